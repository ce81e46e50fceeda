"""Real .bib files from public repositories (tests/bib/real/README.md gives each one's origin and
licence): every file is read, merged alone, with itself and with every other, and written back,
and no citekey and no value is ever lost."""

from __future__ import annotations

import itertools
import json
import re
import shutil
import subprocess
from pathlib import Path

import bibtexparser
import pytest

from srccrit import bibtex
from srccrit.bibmerge import merge
from srccrit.dates import fold_text
from srccrit.io.bibliography import parse_bib_file, tolerated_entries

REAL = sorted((Path(__file__).resolve().parent / "bib" / "real").glob("*.bib"))
ALL = REAL + sorted((Path(__file__).resolve().parent / "bib").glob("*.bib"))


#: the duplicates real files hold: JabRef's software test file writes one Scilab version twice,
#: once whole and once by crossref (every other file, the one with two articles given one DOI
#: and chapters sharing their volume's ISBN included, holds none)
EXPECTED_MERGES = {"jabref-biblatex-software.bib": {"delebecque:hal-02090402v1", "cgal:lp-gi-20a-condensed"}}


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
    merged = {d["key"] for d in result["report"].decisions if d["action"] == "merged"}
    assert merged == EXPECTED_MERGES.get(path.name, set())
    assert not [d for d in result["report"].decisions if d["action"] == "warning"]  # every block of these files is readable
    again = bibtexparser.parse_string(bibtex.round_trip(path), parse_stack=[])
    assert [e.key for e in again.entries] == [e.key for e in bibtexparser.parse_string(path.read_text(encoding="utf-8")).entries]
    for comment in re.findall(r"jabref-meta: \w+", path.read_text(encoding="utf-8")):
        assert comment in result["text"]  # JabRef's groups and settings survive the merge


@pytest.mark.parametrize("path", ALL, ids=lambda p: p.name)
def test_a_file_merged_with_its_copy_gives_the_file(path, tmp_path):
    copy = tmp_path / ("copy-" + path.name)
    copy.write_bytes(path.read_bytes())
    result = _check_nothing_lost([path, copy], tmp_path)
    alone = _check_nothing_lost([path], tmp_path)
    assert [e.key for e in result["out"].entries] == [e.key for e in alone["out"].entries]  # the copy adds no entry


@pytest.mark.parametrize("pair", list(itertools.combinations(ALL, 2)), ids=lambda pair: f"{pair[0].name}+{pair[1].name}")
def test_pairs_of_real_files_lose_nothing(pair, tmp_path):
    _check_nothing_lost(list(pair), tmp_path)


def test_two_articles_given_one_doi_by_their_exporter_stay_apart():
    text, report = merge([ALL[[p.name for p in ALL].index("jabref-complex.bib")]])
    assert "@article{10250999," in text.lower() and "@article{1025014," in text.lower()


def _biber_kinds(tmp_path: Path, name: str, text: str) -> tuple[set[str], list[str], set[str]]:
    """biber --tool --validate-datamodel on ``text``: its warnings without file names, its errors,
    and the keys of the entries it read."""
    if shutil.which("biber") is None:
        pytest.fail("biber is not installed: run `make test` (it installs the Debian package) or apt-get install biber")
    folder = tmp_path / name
    folder.mkdir()
    (folder / "in.bib").write_text(text, encoding="utf-8")
    run = subprocess.run(["biber", "--tool", "--validate-datamodel", "--output-file", str(folder / "out.bib"), "in.bib"],
                         capture_output=True, text=True, cwd=folder, timeout=120)
    lines = (run.stdout + run.stderr).splitlines()
    warnings = set()
    for line in lines:
        if line.startswith("WARN"):  # what is said, not where: no file name, temporary file or line number
            line = re.sub(r"\s*\([^)]*\.bib\)", "", line)
            line = re.sub(r"/\S*biber_tmp\S*, line \d+", "FILE", line)
            warnings.add(re.sub(r"line \d+", "line N", line))
    read = set(re.findall(r"^@\w+\{([^,\s]+),", (folder / "out.bib").read_text(encoding="utf-8"), re.M)) if (folder / "out.bib").exists() else set()
    return warnings, [line for line in lines if line.startswith("ERROR")], read


@pytest.mark.biber
@pytest.mark.parametrize("path", ALL, ids=lambda p: p.name)
def test_export_dialects_and_csl_json_of_real_files(path, tmp_path):
    from srccrit import csl
    from srccrit.io.bibliography import read_bibliography

    raw, _decoded, _ = parse_bib_file(path)
    entries = tolerated_entries(raw, str(path))[0]
    keys = [e.key for e in entries]
    biblatex = bibtex.write_library(bibtex.convert(entries, raw.strings, raw.preambles, "biblatex"))
    classic = bibtex.write_library(bibtex.convert(entries, raw.strings, raw.preambles, "bibtex", warn=lambda m: None))
    for text in (biblatex, classic):
        again = bibtexparser.parse_string(text, parse_stack=[])
        assert [e.key for e in again.entries] == keys and not again.failed_blocks  # no citekey lost, every entry read
    before, errors_before, read_before = _biber_kinds(tmp_path, "input", path.read_text(encoding="utf-8"))
    after, errors_after, read_after = _biber_kinds(tmp_path, "biblatex", biblatex)
    assert read_after >= read_before  # biber reads every entry it read before (JabRef's free text made it skip some)
    skipped_before = read_after - read_before
    after = {w for w in after if not any(f"Entry '{k}'" in w for k in skipped_before)}
    assert after <= before, sorted(after - before)  # biber warnings never up, for the entries it read both times
    assert len(errors_after) <= len(errors_before)  # and errors never added
    bib, _ = read_bibliography([(path, str(path))])
    items = csl.csl_json_items(list(bib.records.values()))
    (tmp_path / "items.json").write_text(csl.dumps(items), encoding="utf-8")
    run = subprocess.run(["pandoc", "-f", "csljson", "-t", "csljson", str(tmp_path / "items.json")], capture_output=True, text=True, timeout=120)
    assert run.returncode == 0, run.stderr
    assert [i["id"] for i in json.loads(run.stdout)] == [i["id"] for i in items]  # pandoc reads every item back
