"""Real .bib files from public repositories (tests/bib/real/README.md gives each one's origin and
licence): every file is read, merged alone, with itself and with every other, and written back,
and no citekey and no value is ever lost."""

from __future__ import annotations

import itertools
import re
from pathlib import Path

import bibtexparser
import pytest

from srccrit import bibtex
from srccrit.bibmerge import merge
from srccrit.dates import fold_text
from srccrit.io.bibliography import parse_bib_file, tolerated_entries

REAL = sorted((Path(__file__).resolve().parent / "bib" / "real").glob("*.bib"))
ALL = REAL + sorted((Path(__file__).resolve().parent / "bib").glob("*.bib"))


def _norm(value: str) -> str:
    return " ".join(fold_text(re.sub(r"[{}]", "", str(value))).split())


def _entries(path: Path) -> list:
    raw, _decoded, problems = parse_bib_file(path)
    assert not [p for p in problems if p.level == "error"], problems
    return tolerated_entries(raw, str(path))[0]


def _check_nothing_lost(inputs: list[Path], tmp_path: Path) -> dict:
    text, report = merge(inputs)
    out = bibtexparser.parse_string(text, parse_stack=[])
    by_key = {e.key: e for e in out.entries}
    alias = {}
    for e in out.entries:
        ids = e.fields_dict.get("ids")
        for k in re.split(r"\s*,\s*", str(ids.value).strip("{}")) if ids else []:
            alias[k] = e.key
    renamed = {(d["file"], d["key"]): d["to"] for d in report.decisions if d["action"] == "renamed"}
    dropped = {(d["key"], c["field"]): _norm(c["dropped"]) for d in report.decisions if d["action"] == "merged" for c in d["conflicts"]}
    for path in inputs:
        for entry in _entries(path):
            key = renamed.get((str(path), entry.key), entry.key)
            target = by_key.get(key) or by_key.get(alias.get(key, ""))
            assert target is not None, f"{path.name}: citekey {entry.key} lost"
            for f in entry.fields:
                kept = target.fields_dict.get(f.key.lower())
                value = _norm(f.value)
                assert kept is not None, f"{path.name}:{entry.key}: field {f.key} lost"
                if _norm(kept.value) != value:
                    assert value in dropped.values() or (entry.key, f.key.lower()) in dropped or value == "", \
                        f"{path.name}:{entry.key}: value of {f.key} lost"
    return {"text": text, "report": report, "out": out}


@pytest.mark.parametrize("path", ALL, ids=lambda p: p.name)
def test_each_real_file_is_read_merged_alone_and_round_tripped(path, tmp_path):
    result = _check_nothing_lost([path], tmp_path)
    assert not [d for d in result["report"].decisions if d["action"] == "merged"]  # one file holds no duplicates
    again = bibtexparser.parse_string(bibtex.round_trip(path), parse_stack=[])
    assert [e.key for e in again.entries] == [e.key for e in bibtexparser.parse_string(path.read_text(encoding="utf-8")).entries]
    for comment in re.findall(r"jabref-meta: \w+", path.read_text(encoding="utf-8")):
        assert comment in result["text"]  # JabRef's groups and settings survive the merge


@pytest.mark.parametrize("path", ALL, ids=lambda p: p.name)
def test_a_file_merged_with_its_copy_gives_the_file(path, tmp_path):
    copy = tmp_path / ("copy-" + path.name)
    copy.write_bytes(path.read_bytes())
    result = _check_nothing_lost([path, copy], tmp_path)
    entries = _entries(path)
    assert len(result["out"].entries) == len(entries)
    merged = [d for d in result["report"].decisions if d["action"] == "merged"]
    assert len(merged) == len([e for e in entries if e.fields_dict.get("title") or e.fields_dict.get("doi")])


@pytest.mark.parametrize("pair", list(itertools.combinations(ALL, 2)), ids=lambda pair: f"{pair[0].name}+{pair[1].name}")
def test_pairs_of_real_files_lose_nothing(pair, tmp_path):
    _check_nothing_lost(list(pair), tmp_path)


def test_two_articles_given_one_doi_by_their_exporter_stay_apart():
    text, report = merge([ALL[[p.name for p in ALL].index("jabref-complex.bib")]])
    assert "@article{10250999," in text.lower() and "@article{1025014," in text.lower()
