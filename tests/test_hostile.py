"""Hostile input and the user's own files: every finding of the hostile pass has a regression test
here. The CLI never prints a traceback (exit 2 with file and line for bad input), never writes
onto a file the case reads, and nothing from case text becomes live in HTML or a spreadsheet."""

from __future__ import annotations

import hashlib
import os
import shutil
import stat
from pathlib import Path

import pytest

import srccrit
from srccrit.cli import main

from conftest import BUNDLED, DEFAULT_BIB

MINI = """\
case: mini
title: A mini case
bibliography: refs.bib
sources:
  s1: {kind: memoir, date: 1960}
  s2: {kind: document, date: 1950-02-03}
witnesses:
  a: {name: Anna, proximity: participant}
  b: {name: Boris, proximity: official}
propositions:
  p: {text: The treaty was signed}
  q: {text: When it was signed, type: date}
  n: {text: How many troops, type: number}
conclusions:
  c: {text: It was signed, rests_on: {p: true}}
claims:
  - {id: c1, witness: a, source: s1, proposition: p, stance: affirms, quote: "We signed."}
  - {id: c2, witness: b, source: s2, proposition: p, stance: denies}
  - {id: c3, witness: a, source: s1, proposition: q, value: 1950-02}
  - {id: c4, witness: b, source: s2, proposition: n, value: "10±2"}
"""


def write_case(folder: Path, text: str = MINI, bib: str = DEFAULT_BIB) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "refs.bib").write_text(bib, encoding="utf-8")
    (folder / "case.yaml").write_text(text, encoding="utf-8")
    return folder / "case.yaml"


def mutate(text: str, old: str, new: str) -> str:
    assert old in text, old
    return text.replace(old, new, 1)


def run(capsys, *argv) -> tuple[int, str, str]:
    code = main([str(a) for a in argv])
    out = capsys.readouterr()
    return code, out.out, out.err


def snapshot(folder: Path) -> dict[str, tuple]:
    """Every file below ``folder``: content hash, mode and whether it is a link."""
    out = {}
    for p in sorted(folder.rglob("*")):
        if p.is_file() or p.is_symlink():
            data = p.read_bytes() if p.exists() else b""
            out[str(p.relative_to(folder))] = (hashlib.sha256(data).hexdigest(), p.is_symlink(), stat.S_IMODE(p.lstat().st_mode))
    return out


def assert_bad_input(capsys, argv, *expected: str) -> str:
    code, _, err = run(capsys, *argv)
    assert code == 2, err
    assert "Traceback" not in err and "internal error" not in err
    for text in expected:
        assert text in err, err
    return err


# ---------------------------------------------------------------- the loader: tracebacks -> exit 2


@pytest.mark.parametrize("date", ["1944-13-45", "1950-02-30", "0000-01-01"])
def test_unquoted_invalid_dates_are_errors_with_their_line(tmp_path, capsys, date):
    path = write_case(tmp_path / "c", mutate(MINI, "date: 1950-02-03", f"date: {date}"))
    assert_bad_input(capsys, ["validate", path], "case.yaml:6:", repr(date))


def test_explicit_tags_are_errors_with_their_line(tmp_path, capsys):
    path = write_case(tmp_path / "c", mutate(MINI, "title: A mini case", "title: !!int x"))
    assert_bad_input(capsys, ["validate", path], "case.yaml:2:", "'x' as int")


@pytest.mark.parametrize("old,new,field", [
    ("value: 1950-02}", "value: [Mao]}", "value"),
    ("s2: {kind: document, date: 1950-02-03}", "s2: {kind: document, date: 1950-02-03, available: [1950]}", "available"),
    ("a: {name: Anna,", "a: {name: {first: Anna},", "name"),
])
def test_a_list_or_mapping_where_one_value_belongs_is_an_error(tmp_path, capsys, old, new, field):
    path = write_case(tmp_path / "c", mutate(MINI, old, new))
    err = assert_bad_input(capsys, ["validate", path], f"{field} must be a single value")
    assert "case.yaml:" in err


def test_a_list_as_a_mapping_key_is_an_error(tmp_path, capsys):
    path = write_case(tmp_path / "c", MINI + "? [x, y]\n: 1\n")
    assert_bad_input(capsys, ["validate", path], "case.yaml:", "mapping key must be a plain name")


@pytest.mark.parametrize("depth", [100, 5000])
def test_deep_nesting_is_refused_not_a_recursion_error(tmp_path, capsys, depth):
    path = write_case(tmp_path / "c", MINI + "deep: " + "[" * depth + "]" * depth + "\n")
    assert_bad_input(capsys, ["validate", path], "case.yaml:21:", "nest")


def test_yaml_alias_bomb_is_refused_quickly(tmp_path, capsys):
    bomb = ['a0: &a0 ["lol"]'] + [f"a{i}: &a{i} [{', '.join([f'*a{i - 1}'] * 9)}]" for i in range(1, 10)]
    path = write_case(tmp_path / "c", MINI + "\n".join(bomb) + "\n")
    assert len(path.read_bytes()) < 3000
    assert_bad_input(capsys, ["validate", path], "aliases expand the document")


def test_a_recursive_alias_is_refused(tmp_path, capsys):
    path = write_case(tmp_path / "c", MINI + "loop: &l [*l]\n")
    assert_bad_input(capsys, ["validate", path], "refers to the list or mapping that contains it")


def test_table_and_bibliography_paths_that_are_folders_empty_or_not_utf8(tmp_path, capsys):
    base = tmp_path / "c"
    path = write_case(base, mutate(MINI, "bibliography: refs.bib", "bibliography: [refs.bib, bibdir.bib, empty.bib]"))
    (base / "bibdir.bib").mkdir()
    (base / "empty.bib").write_text("")
    text = path.read_text()
    text = text[: text.index("claims:")] + "claims: claims.yaml\n"
    path.write_text(text)
    (base / "claims.yaml").write_bytes("- {id: x, quote: caf\xe9}\n".encode("latin-1"))
    err = assert_bad_input(capsys, ["validate", path], "bibdir.bib' is a folder", "empty.bib' is empty",
                           "claims.yaml:1: not UTF-8 text: byte 0xE9 at column 21")
    text = text.replace("claims: claims.yaml", "claims: tables")
    (base / "tables").mkdir()
    path.write_text(text)
    err = assert_bad_input(capsys, ["validate", path], "claims: table file 'tables' is a folder")
    assert "case.yaml:" in err


def test_a_bib_with_thousands_of_nested_braces_is_read(tmp_path):
    bib = DEFAULT_BIB + "\n@misc{deep, title = {" + "{" * 3000 + "x" + "}" * 3000 + "}}\n"
    case = srccrit.load_case(write_case(tmp_path / "c", bib=bib))
    assert case.bibliography.records["deep"].fields["title"] == "x"


def test_notes_on_an_empty_file_and_a_folder(tmp_path, capsys):
    empty = tmp_path / "empty.txt"
    empty.write_text("")
    code, out, err = run(capsys, "notes", empty)
    assert code == 0 and "0 sentences" in out, err
    assert_bad_input(capsys, ["notes", tmp_path], "is a folder")


def test_dollar_signs_in_names_are_drawn_as_written(tmp_path, capsys):
    text = mutate(MINI, "name: Anna", r"name: '$\frac{Anna$'").replace("title: A mini case", "title: 'Price $5 and $x^$'")
    path = write_case(tmp_path / "c", text)
    code, out, err = run(capsys, "chart", path, "-o", tmp_path / "charts", "--format", "svg")
    assert code == 0, err
    svg = (tmp_path / "charts" / "reliability.svg").read_text()
    assert "frac" in svg or "Anna" in svg


def test_chart_and_table_outputs_of_the_wrong_kind_are_refused(tmp_path, capsys):
    afile = tmp_path / "afile"
    afile.write_text("mine")
    assert_bad_input(capsys, ["chart", "-o", afile], "is a file, not a folder")
    assert afile.read_text() == "mine"
    text = tmp_path / "t.txt"
    text.write_text("Stalin agreed in 1950.1\n")
    assert_bad_input(capsys, ["notes", text, "--chart", tmp_path / "x.xyz"], "not .xyz")
    assert_bad_input(capsys, ["bib", "keys", tmp_path], "is a folder")
    folder = tmp_path / "existing"
    folder.mkdir()
    assert_bad_input(capsys, ["support", "--no-fragility", "-o", folder], "is a folder")


def test_append_to_a_claims_csv_in_a_subfolder(tmp_path, capsys):
    base = tmp_path / "c"
    path = write_case(base)
    text = path.read_text()
    path.write_text(text[: text.index("claims:")] + "claims: tables/claims.csv\n")
    (base / "tables").mkdir()
    (base / "tables" / "claims.csv").write_text("id,witness,source,proposition,stance,value\nc1,a,s1,p,affirms,\n")
    reviewed = tmp_path / "reviewed.csv"
    reviewed.write_text("accept,id,witness,source,proposition,stance,quote\nyes,c9,b,s2,p,denies,'=HYPERLINK(x)\nno,c10,a,s1,p,affirms,\n")
    text_file = tmp_path / "t.txt"
    text_file.write_text("Boris denied it.\n")
    code, _, err = run(capsys, "ingest", text_file, "--append-to", path, "-o", reviewed)
    assert code == 0, err
    case = srccrit.load_case(path)
    assert list(case.claims["id"]) == ["c1", "c9"]
    assert case.claims.set_index("id").at["c9", "quote"] == "=HYPERLINK(x)"  # our own formula guard undone
    assert (base / "tables" / "claims.csv.bak").exists()


# ---------------------------------------------------------------- no silently changed data


def test_yaml_11_words_stay_as_written(tmp_path):
    text = MINI.replace("  a: {name: Anna, proximity: participant}\n  b: {name: Boris, proximity: official}\n",
                        "  yes: {name: Anna, proximity: participant}\n  on: {name: Boris, proximity: official}\n")
    text = text.replace("witness: a,", "witness: yes,").replace("witness: b,", "witness: on,")
    text = mutate(text, "type: date}", "type: date}\n  t: {text: What time, type: text}")
    text = text.replace("claims:\n", "claims:\n  - {id: c5, witness: yes, source: s1, proposition: t, value: 1:30}\n")
    case = srccrit.load_case(write_case(tmp_path / "c", text))
    assert sorted(case.witnesses.index) == ["on", "yes"]
    assert case.claims.set_index("id").at["c5", "value"] == "1:30"


def test_a_key_given_twice_in_a_row_is_an_error(tmp_path, capsys):
    path = write_case(tmp_path / "c", mutate(MINI, "stance: denies}", "stance: denies, stance: affirms}"))
    assert_bad_input(capsys, ["validate", path], "case.yaml:18:", "duplicate key 'stance'")


@pytest.mark.parametrize("value", ["1e400", "'1e400±1e400'", "'-1e999'"])
def test_numbers_that_are_not_finite_are_errors(tmp_path, capsys, value):
    path = write_case(tmp_path / "c", mutate(MINI, 'value: "10±2"', f"value: {value}"))
    assert_bad_input(capsys, ["validate", path], "case.yaml:20:", "not finite")


def test_a_thousands_separator_in_a_flow_mapping_is_an_error(tmp_path, capsys):
    path = write_case(tmp_path / "c", mutate(MINI, 'value: "10±2"', "value: 10,000"))
    assert_bad_input(capsys, ["validate", path], "case.yaml:20:", "stray field '000'", "must be quoted")


def test_a_comma_cutting_an_unquoted_text_in_a_flow_mapping_is_an_error(tmp_path, capsys):
    """{text: Kozelsk, Starobelsk and Ostashkov}: YAML ends the text at the comma; loaded, the
    proposition would read "Kozelsk" and a warning would name a strange field."""
    path = write_case(tmp_path / "c", mutate(MINI, "p: {text: The treaty was signed}", "p: {text: The treaty was signed in Moscow, not in Peking}"))
    assert_bad_input(capsys, ["validate", path], "case.yaml:11:", "stray field 'not in Peking'", "quote the whole text")
    block = mutate(MINI, "p: {text: The treaty was signed}", "p:\n    text: The treaty was signed in Moscow, not in Peking")
    assert srccrit.load_case(write_case(tmp_path / "d", block)).propositions.at["p", "text"].endswith("not in Peking")


def test_unknown_fields_are_warnings_with_the_likely_intended_one(tmp_path, capsys):
    text = mutate(MINI, "stance: denies}", "stanse: denies}").replace("title: A mini case", "title: A mini case\ntitel: typo")
    path = write_case(tmp_path / "c", text)
    code, _, err = run(capsys, "validate", path)
    assert code == 2  # the claim has no stance now
    text = mutate(MINI, "stance: denies}", "stance: denies, stanse: x}").replace("title: A mini case", "title: A mini case\ntitel: typo")
    path.write_text(text)
    code, _, err = run(capsys, "validate", path)
    assert code == 0, err
    assert "case.yaml:19: claims: unknown field 'stanse'; did you mean 'stance'?" in err
    assert "case.yaml:3: unknown top-level field 'titel'; did you mean 'title'?" in err


# ---------------------------------------------------------------- the user's files are sacred


def user_case(tmp_path) -> tuple[Path, Path]:
    base = tmp_path / "case"
    path = write_case(base)
    return base, path


@pytest.mark.parametrize("argv", [
    ["cite", "{case}", "c", "-f", "bib", "-o", "{base}/refs.bib"],
    ["cite", "{case}", "c", "-f", "bib", "-o", "{base}/../case/./refs.bib"],
    ["support", "{case}", "--no-fragility", "-o", "{base}/case.yaml"],
    ["contradictions", "{case}", "-f", "csv", "-o", "{base}/refs.bib"],
    ["bib", "export", "{case}", "-o", "{base}/refs.bib"],
    ["report", "{case}", "-o", "{base}", "--no-execute"],
    ["report", "{case}", "-o", "{base}/..", "--no-execute"],
    ["report", "{case}", "-o", "{base}/case.yaml", "--no-execute"],
    ["notebook", "{case}", "-o", "{base}", "--no-execute"],
    ["chart", "{case}", "-o", "{base}"],
    ["ingest", "{base}/text.txt", "--case", "{case}", "-o", "{base}/case.yaml"],
    ["ingest", "{base}/text.txt", "-o", "{base}/text.txt"],
    ["bib", "merge", "{base}/refs.bib", "{base}/other.bib", "-o", "{base}/refs.bib"],
    ["bib", "merge", "{base}/refs.bib", "{base}/other.bib", "-o", "{tmp}/merged.bib", "--report", "{base}/other.bib"],
    ["bib", "keys", "{base}/refs.bib", "-o", "{base}/refs.bib"],
    ["notes", "{base}/text.txt", "-f", "csv", "-o", "{base}/text.txt"],
])
def test_no_command_writes_onto_a_file_it_reads(tmp_path, capsys, argv):
    base, path = user_case(tmp_path)
    (base / "text.txt").write_text("Anna said the treaty was signed in 1950.1\n")
    (base / "other.bib").write_text("@book{other, title={Other}, year=1990}\n")
    before = snapshot(tmp_path)
    args = [a.format(case=path, base=base, tmp=tmp_path) for a in argv]
    err = assert_bad_input(capsys, args)
    assert "refusing to overwrite" in err or "holds the input" in err or "is a file, not a folder" in err
    assert snapshot(tmp_path) == before


def test_no_write_through_a_symlink_or_hard_link_to_an_input(tmp_path, capsys):
    base, path = user_case(tmp_path)
    os.symlink(base / "case.yaml", tmp_path / "link.yaml")
    os.link(base / "refs.bib", tmp_path / "hard.bib")
    before = snapshot(base)
    assert_bad_input(capsys, ["support", path, "--no-fragility", "-o", tmp_path / "link.yaml"], "refusing to overwrite")
    assert_bad_input(capsys, ["bib", "export", path, "-o", tmp_path / "hard.bib"], "refusing to overwrite")
    assert snapshot(base) == before and (tmp_path / "link.yaml").is_symlink()


def test_output_onto_a_symlink_writes_through_it(tmp_path, capsys):
    base, path = user_case(tmp_path)
    target = tmp_path / "real.json"
    target.write_text("old")
    os.symlink(target, tmp_path / "link.json")
    code, _, err = run(capsys, "support", path, "--no-fragility", "-f", "json", "-o", tmp_path / "link.json")
    assert code == 0, err
    assert (tmp_path / "link.json").is_symlink() and target.read_text().startswith("[")


def test_output_onto_dev_stdout_keeps_the_device(tmp_path, capfd):
    code = main(["support", "--no-fragility", "-f", "json", "-o", "/dev/stdout"])
    assert code == 0
    assert Path("/dev/stdout").exists() and capfd.readouterr().out.lstrip().startswith("[")


def test_report_into_an_existing_folder_keeps_what_it_did_not_make(tmp_path, capsys):
    base, path = user_case(tmp_path)
    out = tmp_path / "out"
    out.mkdir()
    os.chmod(out, 0o751)
    (out / "mine.txt").write_text("my notes")
    os.symlink(base / "case.yaml", out / "case-link.yaml")
    sibling_old = tmp_path / ".out.old"
    sibling_old.mkdir()
    (sibling_old / "keep").write_text("keep")
    code, _, err = run(capsys, "report", path, "-o", out, "--no-execute")
    assert code == 0, err
    assert (out / "index.html").exists() and (out / "mine.txt").read_text() == "my notes"
    assert (out / "case-link.yaml").is_symlink()
    assert stat.S_IMODE(out.stat().st_mode) == 0o751
    assert (sibling_old / "keep").read_text() == "keep"
    assert sorted(p.name for p in tmp_path.iterdir()) == [".out.old", "case", "out"]  # no build folder left


def test_report_through_a_symlinked_folder_keeps_the_link(tmp_path, capsys):
    base, path = user_case(tmp_path)
    real = tmp_path / "real-out"
    real.mkdir()
    os.symlink(real, tmp_path / "out")
    code, _, err = run(capsys, "report", path, "-o", tmp_path / "out", "--no-execute")
    assert code == 0, err
    assert (tmp_path / "out").is_symlink() and (real / "index.html").exists()


# ---------------------------------------------------------------- nothing live from case text


LIVE = "[click](javascript:alert(1)) ![x](http://tracker.example/p.png) <img src=x onerror=alert(2)>"


def test_markdown_and_html_in_case_text_stay_inert_in_notebook_html(tmp_path, capsys):
    text = MINI.replace("title: A mini case", f"title: '{LIVE}'").replace("text: It was signed", f"text: '{LIVE}'")
    text = text.replace("text: The treaty was signed", f"text: '{LIVE}'")
    path = write_case(tmp_path / "c", text)
    code, _, err = run(capsys, "notebook", path, "-o", tmp_path / "nb", "--no-execute", "--html")
    assert code == 0, err
    pages = list((tmp_path / "nb").glob("*.html"))
    assert len(pages) == 2
    import lxml.html

    for page in pages:
        doc = lxml.html.parse(str(page)).getroot()
        hrefs = [a.get("href") for a in doc.iter("a") if a.get("href")]
        assert not [h for h in hrefs if h.strip().lower().startswith(("javascript:", "data:"))]
        assert not [i.get("src") for i in doc.iter("img") if (i.get("src") or "").startswith("http")]
        assert not [el for el in doc.iter() if isinstance(el.tag, str) and any(k.startswith("on") for k in el.attrib)]
        assert not [s for s in doc.iter("script") if s.get("src")]  # nothing from a CDN either
        assert "click" in doc.text_content()  # the text itself is still shown


def test_the_page_sanitiser_keeps_safe_links_and_figures():
    from srccrit.io.html_safety import sanitize_page

    page = ('<html><body><a href="overview.html">ok</a><a href="#x">anchor</a><a href="https://doi.org/10.1/x">doi</a>'
            '<a href=" JaVa\tscript:alert(1)">bad</a><img src="data:image/png;base64,AAAA"><img alt="t" src="https://e.x/t.png">'
            '<iframe src="https://e.x"></iframe><p style="background:url(https://e.x/t.png)">p</p></body></html>')
    out = sanitize_page(page)
    assert 'href="overview.html"' in out and 'href="#x"' in out and 'href="https://doi.org/10.1/x"' in out
    assert "script:" not in out.lower() and "iframe" not in out and "https://e.x" not in out
    assert "data:image/png;base64,AAAA" in out and "[image not loaded: t]" in out


def test_csv_cells_that_a_spreadsheet_would_run_are_neutralised(tmp_path, capsys):
    text = mutate(MINI, 'quote: "We signed."', 'quote: "=HYPERLINK(\\"http://x\\")"')
    text = text.replace("name: Anna", "name: '@SUM(A1)'").replace("name: Boris", "name: '+cmd'")
    path = write_case(tmp_path / "c", text)
    code, out, err = run(capsys, "reliability", path, "-f", "csv")
    assert code == 0, err
    assert "'@SUM(A1)" in out and "'+cmd" in out and "\n@" not in out and ",@" not in out and ",+cmd" not in out
    from srccrit.io.output import escape_cell

    assert escape_cell("-0.25") == "-0.25" and escape_cell("-x") == "'-x" and escape_cell("\tcmd") == "'\tcmd"
    textfile = tmp_path / "t.txt"
    textfile.write_text("Anna said: =HYPERLINK(\"http://x\") was signed in 1950.1\n")
    code, out, err = run(capsys, "ingest", textfile, "--case", path)
    assert code == 0, err
    assert all(not cell.startswith(("=", "+", "@")) for line in out.splitlines() for cell in line.split(","))



def test_csv_neutralises_formulas_in_every_kind_of_text_column():
    """Text held by Arrow is screened by Arrow, object text and lists cell by cell: a formula
    anywhere in any of them is neutralised, a negative number and plain text are not touched."""
    import pandas as pd

    from srccrit.io.output import table_csv

    n = 50
    plain = [f"w{i}" for i in range(n)]
    frame = pd.DataFrame({
        "arrow": pd.array(plain[:-1] + ["=cmd()"], dtype="string[pyarrow]"),
        "object": plain[:-2] + ["@SUM(A1)", None],
        "number_text": ["-0.25"] * n,
        "arrow_lists": pd.Series([[x] for x in plain[:-1]] + [["+evil", "ok"]], dtype=pd.ArrowDtype(pa_list_of_text())),
        "object_lists": [[] for _ in range(n - 1)] + [["\tcmd", "x"]],
        "mixed": plain[:-1] + [3],
    })
    rows = table_csv(frame, index=False).splitlines()
    assert rows[-1] == "'=cmd(),,-0.25,'+evil; ok,'\tcmd; x,3"
    assert rows[-2].split(",")[:4] == ["w48", "'@SUM(A1)", "-0.25", "w48"]
    assert rows[1] == "w0,w0,-0.25,w0,,w0"


def pa_list_of_text():
    import pyarrow as pa

    return pa.large_list(pa.large_string())


def test_json_records_stay_one_per_line_whatever_their_text():
    """The records' text is written by orjson as one array and split into lines where one record
    ends: text that looks like that boundary, lists of objects and values orjson does not write
    as srccrit does (dates, numpy numbers) still give one record per line and the same values."""
    import datetime
    import json

    import numpy as np

    from srccrit.io.output import dumps_records, to_jsonable

    batches = [
        [{"a": "x},{\"y", "b": 1}, {"a": "}, {", "b": 2.5}],
        [{"a": [{"c": 1}, {"d": 2}]}, {"a": []}, {}],
        [{"a": [{"a": 1}, {"a": 2}]}, {"a": 3}, {"a": {"a": 4}}],
        [{"day": datetime.date(1950, 2, 14)}, {"day": np.datetime64("1995-01-01")}],
        [{"n": np.int64(3), "x": float("nan")}, {"n": 2 ** 70, "x": np.float32(0.5)}],
    ]
    for records in batches:
        text = dumps_records(records)
        lines = text.splitlines()
        assert lines[0] == "[" and lines[-1] == "]" and len(lines) == len(records) + 2, text
        assert [json.loads(line.rstrip(",")) for line in lines[1:-1]] == to_jsonable(records)
        assert json.loads(text) == to_jsonable(records)


# ---------------------------------------------------------------- denial of service


def test_sentence_splitting_is_fed_bounded_pieces(monkeypatch):
    import pysbd

    from srccrit import ingest

    sizes = []
    real = pysbd.Segmenter.segment

    def spy(self, text):
        sizes.append(len(text))
        return real(self, text)

    monkeypatch.setattr(pysbd.Segmenter, "segment", spy)
    sentence = "In January 1950 Stalin told Mao that the treaty would be revised.12 Kovalev said so. "
    reading = ingest.read_text(text=sentence * 3000)  # one 250 KB paragraph
    assert max(sizes) <= ingest.SEGMENT_CHUNK + 200
    assert len(reading.sentences) == 6000
    assert sum(len(s.notes) for s in reading.sentences) == 3000


def test_accented_bibliographies_are_decoded_without_the_slow_decoder(tmp_path, monkeypatch):
    from pylatexenc import latex2text

    from srccrit.io.bibliography import _fast_latex, parse_bib_file

    samples = [r'K\"onig', r"{\'E}douard", r"Erd\H{o}s", r"Gon{\c{c}}alves", r"\v{S}koda", r"{\v c}", r"{Gao} Gang", r"\~n"]
    reference = latex2text.LatexNodes2Text(math_mode="verbatim", keep_braced_groups=False, strict_latex_spaces=True)
    assert [_fast_latex(s) for s in samples] == [reference.latex_to_text(s) for s in samples]
    monkeypatch.setattr(latex2text.LatexNodes2Text, "latex_to_text", lambda *a, **k: pytest.fail("slow decoder used"))
    bib = tmp_path / "a.bib"
    bib.write_text("\n".join(f"@book{{k{i}, author={{K\\\"onig, Andr{{\\'e}}}}, title={{{{\\v{{S}}}}koda {i}}}}}" for i in range(500)))
    _raw, decoded, problems = parse_bib_file(bib)
    assert not problems and decoded.entries[0].fields_dict["author"].value == "König, André"


# ---------------------------------------------------------------- paths and messages


def test_a_file_that_is_not_a_table_or_bibliography_is_refused_without_its_content(tmp_path, capsys):
    secret = tmp_path / "secret"
    secret.write_text("root:x:0:0:root:/root:/bin/bash\n")
    base = tmp_path / "c"
    path = write_case(base)
    text = path.read_text()
    path.write_text(text[: text.index("claims:")] + "claims: ../secret\n")
    err = assert_bad_input(capsys, ["validate", path], "must be a .csv or .yaml or .yml or .parquet file")
    assert "root:x" not in err
    path.write_text(mutate(MINI, "bibliography: refs.bib", f"bibliography: {secret}.bib"))
    shutil.copy(secret, f"{secret}.bib")
    err = assert_bad_input(capsys, ["validate", path], "not a BibTeX file")
    assert "root:x" not in err


def test_relative_paths_may_leave_the_case_folder(tmp_path):
    path = write_case(tmp_path / "data" / "c", mutate(MINI, "bibliography: refs.bib", "bibliography: ../../bib/refs.bib"))
    (tmp_path / "bib").mkdir()
    shutil.move(tmp_path / "data" / "c" / "refs.bib", tmp_path / "bib" / "refs.bib")
    assert len(srccrit.load_case(path).sources) == 2


def test_missing_wrong_format_and_folder_are_different_messages(tmp_path, capsys):
    path = write_case(tmp_path / "c", mutate(MINI, "bibliography: refs.bib", "bibliography: gone.bib"))
    err = assert_bad_input(capsys, ["validate", path], "bibliography 'gone.bib' not found", "gone.bib could not be read")
    assert "no bibliography is named" not in err
    base = tmp_path / "c"
    text = MINI[: MINI.index("claims:")] + "claims: claims.parquet\n"
    path.write_text(text)
    (base / "claims.parquet").write_text("id,witness\n")
    assert_bad_input(capsys, ["validate", path], "not a Parquet file")


def test_messages_name_what_the_user_wrote(tmp_path, capsys):
    text = mutate(MINI, "witness: b, source: s2, proposition: p", "witness: 0123, source: s2, proposition: p")
    path = write_case(tmp_path / "c", mutate(text, "witness: a, source: s1, proposition: p", "witness: true, source: s1, proposition: p"))
    err = assert_bad_input(capsys, ["validate", path], "'0123'", "'true'")
    messages = " ".join(line.split("case.yaml:", 1)[1] for line in err.splitlines() if "case.yaml:" in line)  # not the path:
    assert messages and "'True'" not in messages and "83" not in messages  # pytest's tmp folders are numbered (pytest-283)


def test_commands_use_the_case_in_the_current_folder_and_say_so(tmp_path, capsys, monkeypatch):
    write_case(tmp_path / "c")
    monkeypatch.chdir(tmp_path / "c")
    code, out, err = run(capsys, "info", "--format", "json")
    assert code == 0 and '"case": "mini"' in out and "using ./case.yaml" in err


def test_unexpected_errors_are_one_line_with_a_hint_and_exit_1(capsys, monkeypatch):
    from srccrit import analysis

    monkeypatch.setattr(analysis, "timeline", lambda case: 1 / 0)
    code, out, err = run(capsys, "timeline")
    assert code == 1 and "Traceback" not in err and "internal error (ZeroDivisionError" in err and "--debug" in err
    code, out, err = run(capsys, "timeline", "--debug")
    assert code == 1 and "Traceback" in err


def test_cli_and_commands_do_not_import_each_other():
    import ast

    import srccrit.commands as commands

    tree = ast.parse(Path(commands.__file__).read_text())
    imported = {node.module for node in ast.walk(tree) if isinstance(node, ast.ImportFrom)}
    assert "cli" not in imported and "srccrit.cli" not in imported


# ---------------------------------------------------------------- signals


@pytest.mark.kernel
def test_sigterm_stops_the_report_and_leaves_nothing_behind(tmp_path):
    import signal
    import subprocess
    import sys
    import tempfile
    import time

    before = set(Path(tempfile.gettempdir()).glob("srccrit-kernel-*"))
    env = dict(os.environ, PYTHONUNBUFFERED="1")
    proc = subprocess.Popen([sys.executable, "-m", "srccrit.cli", "report", str(BUNDLED), "-o", str(tmp_path / "out")],
                            stderr=subprocess.PIPE, text=True, env=env, cwd=tmp_path)
    lines = []
    for line in proc.stderr:
        lines.append(line)
        if "notebook 2/" in line:
            break
    time.sleep(1.0)  # inside a notebook's execution
    proc.send_signal(signal.SIGTERM)
    try:
        _, rest = proc.communicate(timeout=60)
    except subprocess.TimeoutExpired:
        proc.kill()
        pytest.fail("the report ignored SIGTERM")
    assert proc.returncode == 143, "".join(lines) + rest
    assert "stopped by SIGTERM" in rest and "Traceback" not in rest
    assert sorted(p.name for p in tmp_path.iterdir()) == []  # no output, no hidden build folder
    assert not set(Path(tempfile.gettempdir()).glob("srccrit-kernel-*")) - before  # none of its own left (another run's may come and go)


# ---------------------------------------------------------------- the README's promises


def test_promise_exit_2_with_file_and_line(tmp_path, capsys):
    broken = [mutate(MINI, "date: 1950-02-03", "date: 1950-02-30"), mutate(MINI, "witness: a,", "witness: zed,"),
              MINI + "claims: again\n", MINI.replace("- {id: c2", "- {id: c1"), "case: [unclosed\n"]
    for n, text in enumerate(broken):
        path = write_case(tmp_path / f"c{n}", text)
        code, _, err = run(capsys, "validate", path)
        lines = err.strip().splitlines()
        assert code == 2 and lines[0].startswith("srccrit: ") and len(lines) >= 2, err
        for line in lines[1:]:
            file, lineno, message = line.split(":", 2)
            assert file.endswith("case.yaml") and int(lineno) > 0 and message.strip(), line


def test_promise_nothing_half_written(tmp_path, capsys, monkeypatch):
    from srccrit import charts

    base, path = user_case(tmp_path)
    out = tmp_path / "out.json"
    out.write_text("previous")

    def broken_write(self, data):  # the disk fills up halfway through
        with open(self, "wb") as fh:
            fh.write(data[: len(data) // 2])
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(Path, "write_bytes", broken_write)
    code, _, err = run(capsys, "support", path, "--no-fragility", "-f", "json", "-o", out)
    assert code == 2 and "No space left on device" in err
    assert out.read_text() == "previous" and sorted(p.name for p in tmp_path.iterdir()) == ["case", "out.json"]
    monkeypatch.undo()
    monkeypatch.setattr(charts, "evidence_chart", lambda *a, **k: (_ for _ in ()).throw(OSError(5, "I/O error")))
    report = tmp_path / "report"
    report.mkdir()
    (report / "index.html").write_text("previous report")
    code, _, err = run(capsys, "report", path, "-o", report, "--no-execute")
    assert code == 2
    assert [p.name for p in report.iterdir()] == ["index.html"] and (report / "index.html").read_text() == "previous report"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["case", "out.json", "report"]


def test_promise_case_files_never_rewritten(tmp_path, capsys):
    base, path = user_case(tmp_path)
    before = snapshot(base)
    outputs = tmp_path / "outputs"
    for argv in (["report", path, "-o", outputs / "report", "--no-execute"], ["chart", path, "-o", outputs / "charts"],
                 ["bib", "export", path, "-o", outputs / "x.bib"], ["cite", path, "c", "-f", "bib", "-o", outputs / "c.bib"],
                 ["timeline", path, "-f", "csv", "-o", outputs / "t.csv"]):
        code, _, err = run(capsys, *argv)
        assert code == 0, err
    for target in (path, base / "refs.bib", base, tmp_path):
        for argv in (["support", path, "--no-fragility", "-o", target], ["report", path, "--no-execute", "-o", target],
                     ["bib", "export", path, "-o", target]):
            code, _, _ = run(capsys, *argv)
            assert code == 2
    assert snapshot(base) == before


def test_promise_every_html_output_escaped(tmp_path, capsys):
    payload = "<script>alert(1)</script> <img src=x onerror=alert(2)> [l](javascript:alert(3)) ![i](http://e.x/i.png)"
    text = MINI.replace("title: A mini case", f"title: '{payload}'").replace("name: Anna", f"name: '{payload}'")
    text = text.replace('quote: "We signed."', f"quote: '{payload}'").replace("text: It was signed", f"text: '{payload}'")
    path = write_case(tmp_path / "c", text)
    code, _, err = run(capsys, "report", path, "-o", tmp_path / "out", "--no-execute")
    assert code == 0, err
    import lxml.html

    pages = sorted((tmp_path / "out").rglob("*.html"))
    assert len(pages) == 3  # index, overview, one conclusion
    for page in pages:
        html_text = page.read_text()
        doc = lxml.html.fromstring(html_text)
        assert "alert(1)</script>" not in html_text
        assert not [s for s in doc.iter("script") if "alert" in (s.text or "")]
        assert not [el for el in doc.iter() if isinstance(el.tag, str) and any(k.lower().startswith("on") for k in el.attrib)]
        assert not [a for a in doc.iter("a") if (a.get("href") or "").lower().startswith("javascript")]
        assert not [i for i in doc.iter("img") if (i.get("src") or "").startswith("http")]


def test_a_new_report_folder_gets_ordinary_permissions(tmp_path, capsys):
    base, path = user_case(tmp_path)
    code, _, err = run(capsys, "report", path, "-o", tmp_path / "new", "--no-execute")
    mask = os.umask(0)
    os.umask(mask)
    assert code == 0, err
    assert stat.S_IMODE((tmp_path / "new").stat().st_mode) == 0o777 & ~mask


@pytest.mark.kernel
def test_a_report_failing_while_its_kernels_start_leaves_no_kernel_and_no_output(tmp_path, monkeypatch):
    import subprocess
    import tempfile
    import time

    import srccrit
    from srccrit import report

    before = set(Path(tempfile.gettempdir()).glob("srccrit-kernel-*"))

    def kernels() -> set[str]:
        return set(subprocess.run(["pgrep", "-f", "ipykernel_launcher"], capture_output=True, text=True).stdout.split())

    running = kernels()

    def fails(*args, **kwargs):
        time.sleep(1.5)  # the kernels are starting and importing meanwhile
        raise RuntimeError("analysis failed")

    monkeypatch.setattr(report.analysis, "support", fails)
    with pytest.raises(RuntimeError, match="analysis failed"):
        report.build_report(srccrit.load_case(), tmp_path / "out")
    assert list(tmp_path.iterdir()) == []  # nothing written, no hidden build folder
    assert not set(Path(tempfile.gettempdir()).glob("srccrit-kernel-*")) - before  # every kernel's sockets removed (another run's may come and go)
    assert kernels() <= running  # and their processes gone


@pytest.mark.kernel
def test_a_notebook_failing_in_its_kernel_fails_the_report_and_writes_nothing(tmp_path, monkeypatch):
    """A kernel that fails stops the others itself: the report must still raise its error, never
    go on to write an index whose notebook links lead nowhere (CI saw exactly that)."""
    import nbformat

    import srccrit
    from srccrit import report
    from srccrit.errors import SrccritError
    from srccrit.io import notebooks

    real = notebooks.conclusion_notebook

    def broken(*args, **kwargs):
        nb = real(*args, **kwargs)
        nb.cells.append(nbformat.v4.new_code_cell("raise RuntimeError('the kernel ran out of memory')"))
        return nb

    monkeypatch.setattr(notebooks, "conclusion_notebook", broken)
    with pytest.raises(SrccritError, match=r"a notebook cell failed in the notebook .*: RuntimeError: the kernel ran out of memory"):
        report.build_report(srccrit.load_case(), tmp_path / "out")
    assert list(tmp_path.iterdir()) == []


def test_a_kernel_pool_raises_the_failure_not_the_stop_it_caused(tmp_path, monkeypatch):
    """One kernel fails; the other, stopped by that failure, reports a stop (NotebookStopped, a
    KeyboardInterrupt): the pool raises the failure whichever kernel was listed first, never the
    stop (which a test runner reads as ^C, and the report as a signal)."""
    import threading

    from srccrit.errors import SrccritError
    from srccrit.io import notebooks

    failed = threading.Event()
    calls = []
    lock = threading.Lock()

    def fake_kernel(jobs, out_dir, timeout, progress, stop, done, warm_up="", tasks_after=None):
        with lock:
            me = len(calls)
            calls.append(me)
        if me == 0:  # the first kernel listed: stopped once the other has failed
            assert failed.wait(10)
            raise notebooks.NotebookStopped(15)
        failed.set()
        raise SrccritError("a notebook cell failed in the notebook 'x': RuntimeError: boom")

    monkeypatch.setattr(notebooks, "_run_on_one_kernel", fake_kernel)
    with notebooks.KernelPool(tmp_path, kernels=2, warm_up="") as pool:
        with pytest.raises(SrccritError, match="boom"):
            pool.run([object(), object()])


@pytest.mark.kernel
def test_a_kernel_failing_outside_a_cell_says_while_doing_what(tmp_path, monkeypatch):
    """A kernel that fails otherwise than in a cell (its connection lost, a timeout) fails the
    run with what it was doing; nbclient's own exception names neither the notebook nor the task."""
    from srccrit.errors import SrccritError
    from srccrit.io import notebooks

    def lost(self, client):
        raise RuntimeError("connection to the kernel lost")

    monkeypatch.setattr(notebooks.KernelTask, "run_on", lost)
    with notebooks.KernelPool(tmp_path, kernels=1, warm_up="") as pool:
        pool.add_tasks([notebooks.KernelTask("pass", what="drawing the evidence chart of 'x'")])
        with pytest.raises(SrccritError, match=r"a notebook kernel failed while drawing the evidence chart of 'x': RuntimeError: connection"):
            pool.run([])


@pytest.mark.kernel
def test_a_kernel_that_dies_is_reported_with_its_notebook_at_once(tmp_path):
    """A kernel killed mid-notebook (out of memory, a crash in a C library) fails the run within
    seconds, with the notebook it was running: not after the cell's five-minute timeout, and not
    as nbclient's bare "Kernel died"."""
    import time

    import nbformat

    from srccrit.errors import SrccritError
    from srccrit.io.notebooks import execute_many

    nb = nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell("x = 1"), nbformat.v4.new_code_cell("import os\nos._exit(9)")],
                                  metadata={"srccrit": {"title": "The dying notebook"}})
    start = time.monotonic()
    with pytest.raises(SrccritError, match=r"a notebook kernel failed while running the notebook 'The dying notebook': DeadKernelError"):
        execute_many([nb], tmp_path)
    assert time.monotonic() - start < 60


def test_the_html_export_is_imported_before_the_threads_that_use_it_start(tmp_path):
    """bleach (through nbconvert) adds a warnings filter and then imports a module that warns as
    it loads; the warnings filters are one list per process, and the report's own thread saves
    and restores them around each chart it saves. Imported first in a thread that exports pages,
    the filter could be lost in between and the report failed with a DeprecationWarning under
    ``-W error`` (a race seen in the test suite). The report imports it before those threads;
    and IPython, which the first page's highlighting imports, and which matplotlib looks up as it
    makes the first figure: a chart drawn meanwhile found it half imported."""
    import subprocess
    import sys

    script = f"""
import sys, threading
import srccrit
from srccrit.report import build_report
case = srccrit.load_case({str(BUNDLED)!r})
assert "bleach" not in sys.modules
started = []
original = threading.Thread.start
def start(self):
    started.append("bleach" in sys.modules and "IPython.lib.lexers" in sys.modules)
    return original(self)
threading.Thread.start = start
build_report(case, {str(tmp_path / "out")!r}, execute=False)
assert started and all(started), started
print("ok", len(started))
"""
    done = subprocess.run([sys.executable, "-W", "error::DeprecationWarning", "-c", script], capture_output=True, text=True, timeout=300)
    assert done.returncode == 0 and done.stdout.startswith("ok"), done.stderr[-2000:]


@pytest.mark.parametrize("kind", ["case", "bibliography", "csv table", "text"])
def test_a_file_saved_in_latin1_or_utf16_names_its_line_and_what_it_is(tmp_path, capsys, kind):
    """Old exporters save Windows-1252, some Windows programs UTF-16: the error names the line
    and shows it as Windows-1252 reads it, or says UTF-16, whatever the file is."""
    base = tmp_path / "c"
    path = write_case(base, MINI)
    latin = "one\ntwo M\u00fcller\n".encode("cp1252")
    if kind == "case":
        path.write_bytes(path.read_bytes() + b"# M\xfcller\n")
        args, name = ["validate", path], f"case.yaml:{len(path.read_bytes().splitlines())}"
    elif kind == "bibliography":
        (tmp_path / "x.bib").write_bytes(b"@book{a,\n  author = {M\xfcller, J.},\n}\n")
        args, name = ["bib", "merge", tmp_path / "x.bib", "-o", tmp_path / "out.bib"], "x.bib:2"
    elif kind == "csv table":
        text = path.read_text()
        path.write_text(text[: text.index("claims:")] + "claims: claims.csv\n")
        (base / "claims.csv").write_bytes(b"id,witness,source,proposition,stance\nc1,M\xfcller,s,p,affirms\n")
        args, name = ["validate", path], "claims.csv:2"
    else:
        (tmp_path / "t.txt").write_bytes(latin)
        args, name = ["ingest", tmp_path / "t.txt"], "t.txt:2"
    err = assert_bad_input(capsys, [str(a) for a in args], "not UTF-8 text: byte 0xFC", "Müller")
    assert f"{name}: not UTF-8" in err, err
    assert not (tmp_path / "out.bib").exists()
    if kind in ("bibliography", "text"):
        target = tmp_path / ("x.bib" if kind == "bibliography" else "t.txt")
        target.write_bytes("\ufeffone".encode("utf-16"))
        assert_bad_input(capsys, [str(a) for a in args], "is UTF-16")


def test_a_merge_key_bomb_is_refused_quickly(tmp_path, capsys):
    """Merge keys ("<<: *defaults") are read since this round; their aliases count against the
    same expansion limit as any other."""
    bomb = ["x-a0: &a0 {k0: lol}"] + [f"x-a{i}: &a{i} {{<<: [{', '.join([f'*a{i - 1}'] * 9)}], k{i}: x}}" for i in range(1, 10)]
    path = write_case(tmp_path / "c", MINI + "\n".join(bomb) + "\n")
    assert len(path.read_bytes()) < 3000
    assert_bad_input(capsys, ["validate", path], "aliases expand the document")
