"""City populations from Wikipedia's edit history, with census gold: srccrit against majority
vote and crowd-kit on numbers copied from one editor to the next.

The data of Pasternack and Roth, *Knowing what to believe (when you already know something)*,
COLING 2010 (Cognitive Computation Group, UIUC), as kept in the GitHub repository
``daz45/population---truth-discovery`` (folder ``data/population/``): ``population-new.txt``
holds one claim per line, ``city_year <TAB> contributor <TAB> population <TAB> year`` (50,239
claims of 4,173 contributors on 42,733 city-years), ``population-gd.txt`` the census figure of
308 city-years, ``city, state, year, population``. Its licence is not stated, so the files are
not in this repository: clone it and point this script at that folder.

    python benchmarks/realdata/population.py PATH/population---truth-discovery/data/population

Each figure is a claim of a ``number`` proposition (the city-year) by its contributor. Printed:
accuracy on gold, the answers given p >= .99 and the share of them right, the expected
calibration error and seconds. What it showed is in the README (*Accuracy on real data*).
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
from pathlib import Path

import pandas as pd

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))
sys.path.insert(0, str(HERE.parents[1]))

import run as realdata  # noqa: E402
from convert import Dataset, keys_of, triples_for, write_case  # noqa: E402


def load(folder: Path) -> Dataset:
    """The claims and the gold of the folder (Latin-1: a few city names are not UTF-8)."""
    claims, gold_file = folder / "population-new.txt", folder / "population-gd.txt"
    if not claims.is_file() or not gold_file.is_file():
        raise SystemExit(f"{folder}: needs population-new.txt and population-gd.txt")
    t = pd.read_csv(claims, sep="\t", header=None, names=["item", "source", "value", "year"], dtype=str, encoding="latin-1",
                    keep_default_na=False, quoting=3)
    g = pd.read_csv(gold_file, header=None, names=["city", "state", "year", "value"], dtype=str, skipinitialspace=True, keep_default_na=False)
    if (t["value"] == "").any() or (g["value"] == "").any():
        raise SystemExit(f"{folder}: expected 'city_year, contributor, population, year' per claim and 'city, state, year, population' per gold line")
    item = g["city"].str.strip() + ", " + g["state"].str.strip() + "_" + g["year"].str.strip()
    gold = pd.Series(g["value"].str.strip().to_numpy(), index=pd.Index(item, name="item"))
    return Dataset("population", "number", t[["source", "item", "value"]].reset_index(drop=True), gold, "Pasternack and Roth 2010")


def compare(ds: Dataset) -> list[dict]:
    """One row per system: its score on the gold (see ``run.score``) and its seconds."""
    claimed = ds.triples.assign(k=keys_of(ds)).groupby("item")["k"].agg(lambda k: set(k.dropna()))
    values = realdata._first_per_source(triples_for(ds, "normalised"))
    rows = []
    with tempfile.TemporaryDirectory() as tmp:
        write_case(ds, "normalised", Path(tmp))
        for system, params in (("srccrit", {}), ("srccrit, no copying", {"copying": False})):
            start = time.perf_counter()
            answers = realdata.srccrit_answers(Path(tmp), **params)
            rows.append({"system": system, **realdata.score(answers, ds.gold, ds.type, claimed), "seconds": time.perf_counter() - start})
    rows.append({"system": "majority vote", **realdata.score(realdata.majority(values), ds.gold, ds.type)})
    try:
        start = time.perf_counter()
        answers = realdata.crowdkit(values)
        rows.append({"system": "crowd-kit OneCoinDawidSkene", **realdata.score(answers, ds.gold, ds.type), "seconds": time.perf_counter() - start})
    except ImportError:
        pass
    return rows


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("folder", help="the folder holding population-new.txt and population-gd.txt")
    args = ap.parse_args(argv)
    table = pd.DataFrame(compare(load(Path(args.folder)))).drop(columns=["bins"], errors="ignore")
    with pd.option_context("display.width", 200, "display.max_columns", 20):
        print(table.round(4).to_string(index=False))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
