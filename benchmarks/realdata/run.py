"""Real-data benchmark: accuracy on gold, calibration and seconds of srccrit and other
truth-discovery systems on public datasets with gold answers (see README.md).

    python benchmarks/realdata/run.py            # prints the table, writes results.json

Every system sees the same triples (source, item, value): on ``raw`` data the values as written
(folded for case, accents and white space, as srccrit's ``text`` type compares them), on
``normalised`` data the key srccrit's normaliser gives each value (unreadable values left out).
An answer is right when it means the gold value (its key under the normaliser equals the gold
value's). Calibration, for systems that give probabilities: the share of answers given
p >= .99 that are right, and the expected calibration error (10 equal-width bins).

truthdiscovery runs in its own environment (``.venv-td``, made on first use: the package pins
ancient versions of everything, so it is installed with ``--no-deps`` beside numpy, scipy,
bidict and imageio, what it really imports).
"""

from __future__ import annotations

import argparse
import hashlib
import json
import subprocess
import sys
import tempfile
import time
import warnings
from pathlib import Path

import numpy as np
import pandas as pd

HERE = Path(__file__).resolve().parent
ROOT = HERE.parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(HERE))

import srccrit  # noqa: E402
from convert import DATASETS, Dataset, key, keys_of, triples_for, write_case  # noqa: E402
from srccrit.normalisers import part_of  # noqa: E402

TD_ENV = ROOT / ".venv-td"
TD_PACKAGES = ["truthdiscovery==1.0.4", "numpy", "scipy", "bidict==0.22.1", "imageio", "pillow"]
#: TruthFinder's implication from a partial author list to the fuller one (normalised names
#: only): its own base similarity, 0.5 (better for it here than srccrit's 0.25: 91 books to 85)
SUBSET_IMPLICATION = 0.5


def td_python() -> Path | None:
    """The interpreter of truthdiscovery's own environment, made on first use (None: it could
    not be made, say with no package registry)."""
    py = TD_ENV / "bin" / "python"
    stamp = TD_ENV / ".installed"
    if not stamp.exists():
        try:
            subprocess.run([sys.executable, "-m", "venv", str(TD_ENV)], check=True)
            subprocess.run([str(py), "-m", "pip", "install", "--quiet", "--no-deps", *TD_PACKAGES], check=True)
            stamp.touch()
        except (subprocess.CalledProcessError, OSError) as exc:
            print(f"truthdiscovery left out: its environment could not be made ({exc})", file=sys.stderr)
            return None
    return py


def _first_per_source(t: pd.DataFrame) -> pd.DataFrame:
    """One value per (source, item), the first: what the other systems take (srccrit reads
    every claim)."""
    return t.drop_duplicates(["source", "item"], keep="first").reset_index(drop=True)


def majority(t: pd.DataFrame) -> pd.DataFrame:
    """Majority vote: the value most sources give (ties: the smallest value, deterministically)."""
    n = t.groupby(["item", "value"]).size().rename("n").reset_index()
    n = n.sort_values(["item", "n", "value"], ascending=[True, False, True], kind="mergesort")
    best = n.drop_duplicates("item")
    return pd.DataFrame({"answer": best["value"].to_numpy(), "p": np.nan}, index=best["item"].to_numpy())


def crowdkit(t: pd.DataFrame) -> pd.DataFrame:
    """crowd-kit's one-coin Dawid-Skene. Its error matrix is labels x labels over the whole data
    (thousands of author lists: hours and gigabytes), so each item's values are numbered within
    the item, in an order that carries no meaning (a digest of the value): the one-coin model
    only asks whether a worker gave the true label, which the numbering keeps."""
    from crowdkit.aggregation import OneCoinDawidSkene

    digest = t["value"].map({v: hashlib.blake2b(v.encode(), digest_size=8).hexdigest() for v in pd.unique(t["value"])})
    local = digest.groupby(t["item"]).rank(method="dense").astype(int) - 1
    df = pd.DataFrame({"task": t["item"], "worker": t["source"], "label": local})
    est = OneCoinDawidSkene(n_iter=100)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        est.fit(df)
    probas = est.probas_
    best = probas.to_numpy().argmax(axis=1)
    value_of = dict(zip(zip(t["item"], local), t["value"]))
    answer = [value_of.get((item, int(probas.columns[b])), None) for item, b in zip(probas.index, best)]
    return pd.DataFrame({"answer": answer, "p": probas.max(axis=1).to_numpy()}, index=probas.index)


def srccrit_answers(case_dir: Path, **params) -> pd.DataFrame:
    case = srccrit.load_case(case_dir / "case.yaml", cache=False)
    props = srccrit.propositions(case, **params)
    item = case.propositions["text"].reindex(props.index)
    return pd.DataFrame({"answer": props["value"].to_numpy(dtype=object), "p": props["probability"].to_numpy()}, index=item.to_numpy())


def truthdiscovery(t: pd.DataFrame, implication: pd.DataFrame, py: Path) -> dict[str, tuple[pd.DataFrame, float]]:
    with tempfile.TemporaryDirectory() as tmp:
        tp, ip, op = Path(tmp, "t.tsv"), Path(tmp, "i.tsv"), Path(tmp, "o.json")
        t[["source", "item", "value"]].to_csv(tp, sep="\t", index=False)
        implication.to_csv(ip, sep="\t", index=False)
        subprocess.run([str(py), str(HERE / "truthdiscovery_runner.py"), str(tp), str(ip), str(op)], check=True)
        raw = json.loads(op.read_text(encoding="utf-8"))
    out = {}
    for name, r in raw.items():
        items = list(r["answers"])
        out[name] = (pd.DataFrame({"answer": [r["answers"][i][0] for i in items], "p": np.nan}, index=items), r["seconds"])
    return out


def implications(t: pd.DataFrame) -> pd.DataFrame:
    """For normalised author lists: (item, partial list, fuller list, weight)."""
    rows = []
    for item, values in t.groupby("item")["value"]:
        vals = sorted(set(values))
        for a in vals:
            for b in vals:
                if a != b and part_of(a, b):
                    rows.append((item, a, b, SUBSET_IMPLICATION))
    return pd.DataFrame(rows, columns=["item", "value", "implied", "weight"])


def score(answers: pd.DataFrame, gold: pd.Series, type_: str, claimed: pd.Series | None = None) -> dict:
    """Accuracy on the gold items the data speaks to; calibration where there are probabilities.
    ``claimed`` (item -> the keys its sources give): calibration is also reported on the items
    whose gold value some source gives (``right_p99_claimed``): where no source gives it (the
    clean flight data fills some actual times with the scheduled ones), every system is wrong
    and any confidence is misplaced, whatever the method."""
    on = gold.index[gold.index.isin(answers.index)]
    a = answers.reindex(on)
    gold_key = {g: key(g, type_) for g in gold.reindex(on)}
    right = np.array([key(str(ans), type_) == gold_key[g] if ans is not None and not (isinstance(ans, float) and np.isnan(ans)) else False
                      for ans, g in zip(a["answer"], gold.reindex(on))], dtype=bool)
    out = {"gold_items": int(len(on)), "right": int(right.sum()), "accuracy": float(right.mean()) if len(on) else float("nan")}
    p = a["p"].to_numpy(dtype=float)
    if np.isfinite(p).all() and len(p):
        sure = p >= 0.99
        out["n_p99"] = int(sure.sum())
        out["right_p99"] = float(right[sure].mean()) if sure.any() else float("nan")
        bins = np.minimum((p * 10).astype(int), 9)
        ece = 0.0
        for b in range(10):
            m = bins == b
            if m.any():
                ece += m.mean() * abs(right[m].mean() - p[m].mean())
        out["ece"] = float(ece)
        # the reliability diagram's points: per bin, mean probability, share right, how many
        out["bins"] = [[float(p[bins == b].mean()), float(right[bins == b].mean()), int((bins == b).sum())] for b in range(10) if (bins == b).any()]
        if claimed is not None:
            has = np.array([gold_key[g] in claimed.get(i, ()) for i, g in zip(on, gold.reindex(on))], dtype=bool)
            out["gold_unclaimed"] = int((~has).sum())
            sure_c = sure & has
            out["n_p99_claimed"] = int(sure_c.sum())
            out["right_p99_claimed"] = float(right[sure_c].mean()) if sure_c.any() else float("nan")
    return out


def run(out_dir: Path, with_td: bool = True) -> list[dict]:
    py = td_python() if with_td else None
    rows = []
    for name, make in DATASETS.items():
        ds: Dataset = make()
        for variant in ("raw", "normalised"):
            case_dir = out_dir / f"{name}-{variant}"
            info = write_case(ds, variant, case_dir)
            first = _first_per_source(triples_for(ds, variant))
            claimed = ds.triples.assign(k=keys_of(ds)).groupby("item")["k"].agg(lambda k: set(k.dropna()))
            systems: list[tuple[str, callable]] = [
                ("srccrit", lambda: srccrit_answers(case_dir)),
                ("srccrit, no copying", lambda: srccrit_answers(case_dir, copying=False)),
                ("srccrit, untempered", lambda: srccrit_answers(case_dir, temper=False)),
                ("majority vote", lambda: majority(first)),
                ("crowd-kit OneCoinDawidSkene", lambda: crowdkit(first)),
            ]
            for system, fn in systems:
                start = time.perf_counter()
                answers = fn()
                seconds = time.perf_counter() - start
                rows.append({"dataset": name, "values": variant, "system": system, "seconds": seconds, **info, **score(answers, ds.gold, ds.type, claimed)})
            if py is not None:
                imp = implications(first) if variant == "normalised" and ds.type == "names" else pd.DataFrame(columns=["item", "value", "implied", "weight"])
                for system, (answers, seconds) in truthdiscovery(first, imp, py).items():
                    rows.append({"dataset": name, "values": variant, "system": system, "seconds": seconds, **info, **score(answers, ds.gold, ds.type, claimed)})
    return rows


def table(rows: list[dict]) -> str:
    df = pd.DataFrame(rows)
    lines = ["| data | values | system | accuracy on gold | right / gold | right among p ≥ .99 | … where a source gives the gold value | ECE | seconds |",
             "|---|---|---|---|---|---|---|---|---|"]
    for r in df.itertuples():
        p99 = f"{r.right_p99:.3f} ({r.n_p99})" if "right_p99" in df and pd.notna(getattr(r, "right_p99", np.nan)) else "—"
        p99c = f"{r.right_p99_claimed:.3f} ({r.n_p99_claimed})" if "right_p99_claimed" in df and pd.notna(getattr(r, "right_p99_claimed", np.nan)) else "—"
        ece = f"{r.ece:.3f}" if "ece" in df and pd.notna(getattr(r, "ece", np.nan)) else "—"
        lines.append(f"| {r.dataset} | {r.values} | {r.system} | {r.accuracy:.3f} | {r.right}/{r.gold_items} | {p99} | {p99c} | {ece} | {r.seconds:.2f} |")
    return "\n".join(lines)


#: the systems the reliability diagram draws (those that give probabilities)
DIAGRAM_SYSTEMS = {"srccrit": ("#0072B2", "o", "-"), "srccrit, untempered": ("#56B4E9", "s", "--"),
                   "crowd-kit OneCoinDawidSkene": ("#D55E00", "^", ":")}


def diagram(rows: list[dict], path: Path) -> None:
    """Reliability diagrams, one panel per dataset and kind of values: for each system with
    probabilities, the share of right answers against the mean probability in each tenth
    (marker area: how many answers); on the diagonal, a probability means what it says."""
    import matplotlib

    matplotlib.use("Agg")
    from matplotlib.figure import Figure

    panels = sorted({(r["dataset"], r["values"]) for r in rows}, key=lambda k: (k[0], k[1] != "raw"))
    fig = Figure(figsize=(4 * len(panels), 4.4), layout="constrained")
    axes = fig.subplots(1, len(panels), squeeze=False)[0]
    for ax, (dataset, values) in zip(axes, panels):
        ax.plot([0, 1], [0, 1], color="0.6", linewidth=1, label="calibrated")
        for r in rows:
            if (r["dataset"], r["values"]) != (dataset, values) or r["system"] not in DIAGRAM_SYSTEMS or not r.get("bins"):
                continue
            colour, marker, style = DIAGRAM_SYSTEMS[r["system"]]
            b = np.asarray(r["bins"], dtype=float)
            ax.plot(b[:, 0], b[:, 1], linestyle=style, color=colour, linewidth=1.2, label=f"{r['system']} (ECE {r['ece']:.3f})")
            ax.scatter(b[:, 0], b[:, 1], s=8 + 60 * b[:, 2] / b[:, 2].sum() * 4, color=colour, marker=marker, zorder=3)
        ax.set_xlim(0, 1.02)
        ax.set_ylim(0, 1.02)
        ax.set_aspect("equal")
        ax.set_title(f"{dataset}, {values} values", fontsize=10)
        ax.set_xlabel("probability given to the answer (mean in each tenth)", fontsize=8)
        ax.set_ylabel("share of those answers that are right", fontsize=8)
        ax.legend(fontsize=7, loc="lower right")
    fig.suptitle("Reliability diagrams on the real-data benchmark (markers: area ∝ answers in the tenth)", fontsize=11)
    fig.savefig(path, format="png", dpi=90, metadata={"Software": None})


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--no-truthdiscovery", action="store_true", help="leave out the truthdiscovery package's algorithms")
    ap.add_argument("--json", default=str(HERE / "results.json"), help="where to write the results")
    ap.add_argument("--diagram", default=str(HERE / "calibration.png"), help="where to draw the reliability diagrams ('' for none)")
    args = ap.parse_args(argv)
    with tempfile.TemporaryDirectory() as tmp:
        rows = run(Path(tmp), with_td=not args.no_truthdiscovery)
    print(table(rows))
    if args.diagram:
        diagram(rows, Path(args.diagram))
    Path(args.json).write_text(json.dumps(rows, indent=1, sort_keys=True) + "\n", encoding="utf-8")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
