"""CSL-JSON compared with pandoc's biblatex reader, the reference implementation, field by field,
on the bundled bibliography, the hand-kept and real .bib files, and a file of every field."""

from __future__ import annotations

import json
import shutil
import subprocess
from pathlib import Path

import pytest

from srccrit import csl
from srccrit.io.bibliography import read_bibliography

from conftest import ROOT

FILES = [ROOT / "bib" / "sino-soviet-korea.bib", *sorted((ROOT / "tests" / "bib").glob("*.bib")),
         *sorted((ROOT / "tests" / "bib" / "real").glob("*.bib")), ROOT / "tests" / "cases" / "geneva-1954" / "geneva.bib"]


def pandoc_items(path: Path) -> dict[str, dict]:
    if shutil.which("pandoc") is None:
        pytest.fail("pandoc is not installed: run `make test` (it installs the Debian package) or apt-get install pandoc")
    run = subprocess.run(["pandoc", "-f", "biblatex", "-t", "csljson", str(path)], capture_output=True, text=True, timeout=120)
    assert run.returncode == 0, run.stderr
    return {item["id"]: item for item in json.loads(run.stdout)}


def ours(path: Path) -> dict[str, dict]:
    bib, _ = read_bibliography([(path, str(path))])
    return {item["id"]: item for item in csl.csl_json_items(list(bib.records.values()))}


def plain(value) -> str:
    """Text as compared: pandoc sentence-cases English titles and curls apostrophes."""
    return str(value).replace("’", "'").replace("‘", "'").replace("\xa0", " ").replace("$", "").casefold()


def _dates(value: dict) -> dict:
    if "date-parts" in value:  # pandoc writes unknown parts as 0; srccrit leaves them out
        parts = [[n for n in p if n] for p in value["date-parts"]]
        return {"date-parts": [p for p in parts if p]}
    return value


@pytest.mark.parametrize("path", FILES, ids=lambda p: p.name)
def test_csl_json_has_every_field_pandoc_reads(path):
    reference, mine = pandoc_items(path), ours(path)
    assert set(reference) <= set(mine)
    for key, ref in reference.items():
        item = mine[key]
        assert set(ref) <= set(item), (key, sorted(set(ref) - set(item)))
        assert item["type"] == (ref["type"] or "document"), key  # pandoc leaves @misc without a type
        for name in ("DOI", "ISBN", "ISSN", "URL", "page", "volume", "edition", "issue", "number", "publisher", "publisher-place",
                     "genre", "collection-number", "number-of-volumes", "note", "event", "event-place"):
            if name in ref:
                assert plain(item[name]) == plain(ref[name]), (key, name, item[name], ref[name])
        if "language" in ref and "-" in ref["language"]:  # pandoc maps some languages to BCP 47, srccrit a few more
            assert item["language"] == ref["language"], key
        for name in ("title", "container-title"):
            if name in ref and not (name == "title" and "volume-title" in ref):  # pandoc puts a subtitle on the maintitle
                assert plain(item[name]) == plain(ref[name]), (key, name)
        for name in ("issued", "accessed", "original-date"):
            if name in ref and _dates(ref[name]).get("date-parts"):
                assert _dates(item[name]) == _dates(ref[name]), (key, name)
        for role in ("author", "editor", "translator"):
            if role in ref:
                assert item[role] == ref[role], (key, role)


def test_the_fields_the_issue_named():
    items = ours(ROOT / "tests" / "bib" / "csl-fields.bib")
    chapter = items["ch"]
    assert chapter["container-title"] == "The Book" and chapter["publisher-place"] == "London" and chapter["edition"] == "2"
    assert chapter["issued"] == {"date-parts": [[1990, 3]]} and chapter["collection-title"] == "Series"
    assert chapter["author"][0] == {"family": "Diebold", "given": "A. Richard"}  # not a given name ", A. Richard"
    assert chapter["author"][1] == {"family": "Hippel", "given": "Eric", "dropping-particle": "von"}
    assert chapter["author"][2] == {"literal": "World Health Organization"}
    assert items["th"]["genre"] == "PhD thesis" and items["th"]["publisher"] == "MIT"
    assert items["tr"]["publisher"] == "RAND" and items["tr"]["number"] == "R-1"
    assert items["ar"]["issued"] == {"date-parts": [[2021, 21]]}  # a season, as CSL numbers them
    assert items["bk"]["issued"] == {"date-parts": [[1993]]}  # 1993-00-00: the year, no month 0


def test_crossref_parents_lend_their_fields():
    items = ours(ROOT / "tests" / "bib" / "hand-kept.bib")
    child = next(i for i in items.values() if i["id"] == "shen1998sino")
    assert {"container-title", "editor", "issued", "publisher"} <= set(child)
