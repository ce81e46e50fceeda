"""Crowdsourcing data sets with gold: srccrit against majority vote and crowd-kit.

The collection of Zheng et al., *Truth inference in crowdsourcing: is the problem solved?*,
PVLDB 10(5), 2017 (GitHub ``zhydhkcws/crowd_truth_infer``, folder ``datasets/``: duck images,
dog breeds, face sentiment, product matching, ...) holds, per data set, ``answer.csv``
(question, worker, answer) and ``truth.csv`` (question, truth). Its licence is not stated, so
the files are not in this repository: clone it and point this script at its ``datasets``
folder.

    python benchmarks/realdata/crowd.py PATH/crowd_truth_infer/datasets [--only "d_Duck Identification"]

It reads the same way the data of Zhang, Chen, Zhou and Jordan, *Spectral methods meet EM: a
provably optimal algorithm for crowdsourcing*, JMLR 17, 2016 (GitHub
``zhangyuc/SpectralMethodsMeetEM``, folder ``src/``: ``NAME_crowd.txt`` with one "item worker
label" per line, ``NAME_truth.txt`` with "item label"; bird, dog, RTE, TREC relevance, web
search relevance; licence not stated either):

    python benchmarks/realdata/crowd.py PATH/SpectralMethodsMeetEM/src [--only trec]

Each answer is a claim of a ``text`` proposition (the question) by its worker; srccrit runs
with its defaults, without copy detection and without habits, beside majority vote (ties: the smaller label)
and crowd-kit's one-coin and full Dawid-Skene. Printed: accuracy on gold, the answers given
p >= .99 and the share of them right, the pairs of workers srccrit finds copying, whether it read habits. What it
showed is in the README (*Habits are not copying*, *Accuracy on real data*).
"""

from __future__ import annotations

import argparse
import re
import sys
import tempfile
import warnings
from pathlib import Path

import numpy as np
import pandas as pd

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))
sys.path.insert(0, str(HERE.parents[1]))

import srccrit  # noqa: E402
from convert import Dataset, fold_text, write_case  # noqa: E402


#: data sets of the collection that are not classification tasks: emotion intensities rated 0 to
#: 100, whose gold is a number the crowd's ratings scatter around (as labels, every system is
#: right a third of the time); ``--only`` runs them anyway
RATINGS = {"f201_Emotion_FULL"}


def load(folder: Path) -> Dataset:
    """One data set of the collection: every answer as a (worker, question, label) triple."""
    answers = pd.read_csv(folder / "answer.csv", dtype=str)
    truth = pd.read_csv(folder / "truth.csv", dtype=str)
    missing = {"question", "worker", "answer"} - set(answers.columns) | {"question", "truth"} - set(truth.columns)
    if missing:
        raise SystemExit(f"{folder}: missing columns {sorted(missing)}")
    triples = pd.DataFrame({"source": "worker-" + answers["worker"], "item": "q" + answers["question"],
                            "value": "label-" + answers["answer"]}).drop_duplicates(["source", "item"])
    gold = pd.Series(("label-" + truth["truth"]).to_numpy(), index=pd.Index("q" + truth["question"], name="item"))
    name = re.sub(r"[^A-Za-z0-9_.-]+", "-", folder.name).strip("-") or "data"  # a case id
    return Dataset(name, "text", triples.reset_index(drop=True), gold, f"Zheng et al. 2017 ({folder.name})")


def load_pairs(crowd: Path, gold_file: Path) -> Dataset:
    """One data set of Zhang et al.'s: ``NAME_crowd.txt`` (item, worker, label per line) and
    ``NAME_truth.txt`` (item, label), whitespace-separated."""
    answers = pd.read_csv(crowd, sep=r"\s+", header=None, dtype=str, names=["question", "worker", "answer"])
    truth = pd.read_csv(gold_file, sep=r"\s+", header=None, dtype=str, names=["question", "truth"])
    if answers.isna().any().any() or truth.isna().any().any():
        raise SystemExit(f"{crowd}: expected 'item worker label' per line (and 'item label' in {gold_file.name})")
    name = crowd.name[: -len("_crowd.txt")]
    truth = truth.drop_duplicates("question")  # the dog breeds' gold lists each item ten times
    triples = pd.DataFrame({"source": "worker-" + answers["worker"], "item": "q" + answers["question"],
                            "value": "label-" + answers["answer"]}).drop_duplicates(["source", "item"])
    gold = pd.Series(("label-" + truth["truth"]).to_numpy(), index=pd.Index("q" + truth["question"], name="item"))
    return Dataset(name, "text", triples.reset_index(drop=True), gold, f"Zhang et al. 2016 ({name})")


def collection(root: Path) -> dict[str, callable]:
    """Each data set under ``root`` by name: Zheng et al.'s folders (answer.csv, truth.csv) or
    Zhang et al.'s file pairs (NAME_crowd.txt, NAME_truth.txt)."""
    if not root.is_dir():
        return {}
    found = {f.name: (lambda f=f: load(f)) for f in sorted(root.iterdir()) if (f / "answer.csv").is_file() and (f / "truth.csv").is_file()}
    for crowd in sorted(root.glob("*_crowd.txt")):
        truth = crowd.with_name(crowd.name[: -len("_crowd.txt")] + "_truth.txt")
        if truth.is_file():
            found[crowd.name[: -len("_crowd.txt")]] = lambda c=crowd, t=truth: load_pairs(c, t)
    return found


def score(answer: pd.Series, p: pd.Series | None, gold: pd.Series) -> dict:
    """Accuracy on the gold items answered; with probabilities, the answers given p >= .99 and
    the share of them right."""
    on = gold.index[gold.index.isin(answer.index)]
    right = answer.reindex(on).map(lambda v: fold_text(str(v))).to_numpy() == gold.reindex(on).map(fold_text).to_numpy()
    out = {"gold_items": len(on), "accuracy": float(right.mean()) if len(on) else float("nan")}
    if p is not None:
        sure = p.reindex(on).to_numpy(dtype=float) >= 0.99
        out["n_p99"] = int(sure.sum())
        out["right_p99"] = float(right[sure].mean()) if sure.any() else float("nan")
    return out


def run(ds: Dataset, tmp: Path) -> list[dict]:
    write_case(ds, "raw", tmp / ds.name)
    case = srccrit.load_case(tmp / ds.name / "case.yaml", cache=False)
    rows = []
    for system, params in (("srccrit", {}), ("srccrit, no copying", {"copying": False}), ("srccrit, no habits", {"habits": False})):
        est = srccrit.Reliability(**params).fit(case)
        props = srccrit.propositions(case, estimator=est)
        item = case.propositions["text"].reindex(props.index).to_numpy()
        row = score(pd.Series(props["value"].to_numpy(dtype=object), index=item), pd.Series(props["probability"].to_numpy(), index=item), ds.gold)
        rows.append({"data": ds.name, "system": system, **row, "copying_pairs": len(est.copying_), "habits": est.habit_test_["read"]})
    t = ds.triples
    counts = t.groupby(["item", "value"]).size().rename("n").reset_index().sort_values(["item", "n", "value"], ascending=[True, False, True])
    best = counts.drop_duplicates("item")
    rows.append({"data": ds.name, "system": "majority vote", **score(pd.Series(best["value"].to_numpy(), index=best["item"].to_numpy()), None, ds.gold)})
    try:
        from crowdkit.aggregation import DawidSkene, OneCoinDawidSkene
    except ImportError:
        return rows
    data = t.rename(columns={"source": "worker", "item": "task", "value": "label"})
    for model in (OneCoinDawidSkene, DawidSkene):
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            fitted = model(n_iter=100).fit(data)
        rows.append({"data": ds.name, "system": f"crowd-kit {model.__name__}",
                     **score(fitted.labels_, fitted.probas_.max(axis=1), ds.gold)})
    return rows


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("datasets", help="the collection's datasets folder (one folder per data set, each with answer.csv and truth.csv; "
                                     "or NAME_crowd.txt and NAME_truth.txt pairs)")
    ap.add_argument("--only", action="append", default=[], help="a data set's name (repeatable; default: every one found)")
    args = ap.parse_args(argv)
    root = Path(args.datasets)
    found = collection(root)
    names = [n for n in found if n in args.only] if args.only else [n for n in found if n not in RATINGS]
    if not names:
        print(f"{root}: no data set (a folder with answer.csv and truth.csv, or NAME_crowd.txt with NAME_truth.txt)", file=sys.stderr)
        return 2
    rows = []
    with tempfile.TemporaryDirectory() as tmp:
        for name in names:
            rows += run(found[name](), Path(tmp))
    table = pd.DataFrame(rows)
    with pd.option_context("display.width", 200, "display.max_columns", 20):
        print(table.round(4).to_string(index=False))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
