"""Turn the public truth-discovery datasets in ``data/`` into srccrit cases (see README.md).

Each dataset gives two cases: ``raw`` (every value as written, a ``text`` proposition: compared
after case, accent and white-space folding only) and ``normalised`` (the proposition typed
``names`` or ``time``, so srccrit's normaliser reads every spelling; a value it cannot read, such
as "Not Available" for a departure time, is left out and counted). A witness is a web source and
its own source (citekey), a proposition one book's author list or one flight's time.

    python benchmarks/realdata/convert.py /tmp/realdata     # writes <dataset>-<variant>/case.yaml ...

The same triples (source, item, value) feed every other system in ``run.py``; ``Dataset.gold``
is the gold value of each item, as written by the dataset's authors.
"""

from __future__ import annotations

import argparse
import re
import sys
from dataclasses import dataclass
from pathlib import Path

import pandas as pd

HERE = Path(__file__).resolve().parent
DATA = HERE / "data"
sys.path.insert(0, str(HERE.parents[1]))

from srccrit.dates import ValueError_, fold_text, parse_value  # noqa: E402


@dataclass
class Dataset:
    name: str
    type: str                 # the normalised proposition type: names | time
    triples: pd.DataFrame     # source, item, value (as written; blanks dropped)
    gold: pd.Series           # item -> gold value as written
    cite: str


def books() -> Dataset:
    """AbeBooks author lists (Yin, Han and Yu, KDD 2007): 877+ booksellers, 1,263 books, gold
    author lists for 100 books."""
    t = pd.read_csv(DATA / "books.tsv.gz", sep="\t", dtype=str, keep_default_na=False)
    t = t.rename(columns={"isbn": "item", "authors": "value"})
    t["value"] = t["value"].str.strip()
    t = t[t["value"] != ""]
    gold = pd.read_csv(DATA / "books-gold.tsv", sep="\t", dtype=str).set_index("isbn")["authors"]
    return Dataset("books", "names", t[["source", "item", "value"]].reset_index(drop=True), gold.rename_axis("item"),
                   "Yin, Han and Yu 2007")


FLIGHT_TIMES = ["sched_dep_time", "act_dep_time", "sched_arr_time", "act_arr_time"]


def flights() -> Dataset:
    """Flight times from 38 web sources (Li et al., PVLDB 2012), the 100-flight sample with
    its clean version that HoloClean and PClean use: 4 times per flight, gold for all."""
    t = pd.read_csv(DATA / "flights.csv.gz", dtype=str, keep_default_na=False)
    long = t.melt(id_vars=["src", "flight"], value_vars=FLIGHT_TIMES, var_name="field", value_name="value")
    long["item"] = long["flight"] + "|" + long["field"]
    long["value"] = long["value"].str.strip()
    long = long[long["value"] != ""].rename(columns={"src": "source"})
    g = pd.read_csv(DATA / "flights-gold.csv", dtype=str, keep_default_na=False)
    gl = g.melt(id_vars=["flight"], value_vars=FLIGHT_TIMES, var_name="field", value_name="value")
    gold = pd.Series(gl["value"].to_numpy(), index=pd.Index(gl["flight"] + "|" + gl["field"], name="item"))
    return Dataset("flights", "time", long[["source", "item", "value"]].sort_values(["item", "source"], kind="mergesort").reset_index(drop=True),
                   gold, "Li et al. 2012")


DATASETS = {"books": books, "flights": flights}


def key(value: str, type_: str) -> str | None:
    """What a value means under the normaliser of ``type_`` (None: unreadable). Two values are
    the same answer exactly when their keys are equal: every system is scored by it."""
    try:
        v = parse_value(value, type_)
    except ValueError_:
        return None
    if v.fold is not None:
        return v.fold
    if type_ == "time":
        from srccrit.normalisers import format_minutes

        write = format_minutes
    else:  # a number ("478,403" and "478403" are one), a date (days)
        def write(x: float) -> str:
            return f"{x:.15g}"
    return write(v.low) if v.low == v.high else f"{write(v.low)}/{write(v.high)}"


def keys_of(ds: Dataset) -> pd.Series:
    """Each triple's key under the dataset's normaliser (missing: unreadable), each distinct
    value read once."""
    return ds.triples["value"].map({v: key(v, ds.type) for v in pd.unique(ds.triples["value"])})


def triples_for(ds: Dataset, variant: str) -> pd.DataFrame:
    """The triples the other systems see: ``raw``, the values folded as srccrit's ``text`` type
    compares them; ``normalised``, their keys, unreadable values left out."""
    if variant == "raw":
        return ds.triples.assign(value=ds.triples["value"].map(fold_text))
    k = keys_of(ds)
    return ds.triples[k.notna()].assign(value=k[k.notna()])


def _id(text: str, prefix: str) -> str:
    """A case-format id for a source's or an item's name (letters, digits, -, _, .)."""
    s = re.sub(r"[^A-Za-z0-9_.-]+", "-", text).strip("-") or "x"
    return f"{prefix}{s}"


def write_case(ds: Dataset, variant: str, out: Path) -> dict:
    """Write the case of ``ds`` (variant ``raw`` or ``normalised``) into ``out``; return what
    was left out."""
    out.mkdir(parents=True, exist_ok=True)
    t = ds.triples
    dropped = 0
    if variant == "normalised":
        readable = keys_of(ds).notna()
        dropped = int((~readable).sum())
        t = t[readable]
    sources = sorted(t["source"].unique())
    sid = {s: _id(s, "w-") for s in sources}
    if len(set(sid.values())) < len(sid):  # two names folding to one id: number them
        sid = {s: f"w{i}-{_id(s, '')}" for i, s in enumerate(sources)}
    items = sorted(t["item"].unique())
    pid = {p: _id(p, "p-") for p in items}
    if len(set(pid.values())) < len(pid):  # two items folding to one id ("dub\xe1_2006", "dub\xed_2006"): number them
        pid = {p: f"p{i}-{_id(p, '')}" for i, p in enumerate(items)}
    ptype = ds.type if variant == "normalised" else "text"
    pd.DataFrame({"id": [sid[s] for s in sources], "name": sources, "proximity": "secondhand"}).to_csv(out / "witnesses.csv", index=False)
    pd.DataFrame({"id": [sid[s] for s in sources], "kind": "other", "author": [sid[s] for s in sources]}).to_csv(out / "sources.csv", index=False)
    pd.DataFrame({"id": [pid[p] for p in items], "text": items, "type": ptype}).to_csv(out / "propositions.csv", index=False)
    claims = pd.DataFrame({"id": [f"c{i}" for i in range(len(t))], "witness": t["source"].map(sid).to_numpy(),
                           "source": t["source"].map(sid).to_numpy(), "proposition": t["item"].map(pid).to_numpy(), "value": t["value"].to_numpy()})
    claims.to_csv(out / "claims.csv", index=False)
    (out / "refs.bib").write_text("".join(f"@misc{{{sid[s]}, title = {{Web source {i}}}, year = {{2011}}}}\n" for i, s in enumerate(sources)), encoding="utf-8")
    (out / "case.yaml").write_text(
        f"case: {ds.name}-{variant}\ntitle: {ds.name} ({variant}), {ds.cite}\nbibliography: refs.bib\n"
        "sources: sources.csv\nwitnesses: witnesses.csv\npropositions: propositions.csv\nclaims: claims.csv\n", encoding="utf-8")
    pd.DataFrame({"proposition": [pid[p] for p in ds.gold.index if p in pid], "item": [p for p in ds.gold.index if p in pid],
                  "gold": [ds.gold[p] for p in ds.gold.index if p in pid]}).to_csv(out / "gold.csv", index=False)
    return {"claims": len(t), "left_out": dropped, "witnesses": len(sources), "propositions": len(items)}


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("out", help="folder for the cases")
    args = ap.parse_args(argv)
    for name, make in DATASETS.items():
        ds = make()
        for variant in ("raw", "normalised"):
            info = write_case(ds, variant, Path(args.out) / f"{name}-{variant}")
            print(f"{name}-{variant}: {info}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
