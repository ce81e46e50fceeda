"""BibTeX/biblatex: export checked by biber, CSL-JSON read by pandoc, lossless round trips,
merge, keys and citations."""

import json
import shutil
import subprocess
from pathlib import Path

import bibtexparser
import pytest

import srccrit
from srccrit import bibtex
from srccrit.cli import main

HERE = Path(__file__).resolve().parent / "bib"


def reparse(text: str):
    lib = bibtexparser.parse_string(text)
    assert lib.failed_blocks == []
    return lib


def biber_warnings(tmp_path: Path, text: str) -> list[str]:
    if shutil.which("biber") is None:
        pytest.fail("biber is not installed: run `make test` (it installs the Debian package) or apt-get install biber")
    bib = tmp_path / "check.bib"
    bib.write_text(text, encoding="utf-8")
    run = subprocess.run(["biber", "--tool", "--validate-datamodel", "--output-file", str(tmp_path / "out.bib"), str(bib)],
                         capture_output=True, text=True, cwd=tmp_path, timeout=120)
    assert run.returncode == 0, run.stdout + run.stderr
    return [line for line in (run.stdout + run.stderr).splitlines() if "WARN" in line or "ERROR" in line]


@pytest.mark.biber
def test_biblatex_export_of_bundled_case_passes_biber(bundled, tmp_path):
    text = bibtex.export(bundled, annotate=True)
    assert biber_warnings(tmp_path, text) == []
    lib = reparse(text)
    assert [e.key for e in lib.entries] == sorted(bundled.sources.index)
    gon = lib.entries_dict["goncharov1993uncertain"].fields_dict
    assert "Kovalev" in gon["annotation"].value and "reliability" in gon["annotation"].value
    assert "Диалог" in text  # biblatex keeps unicode


EVERY_TYPE = "\n".join(
    f"@{t}{{k{t}, {'editor' if t == 'collection' else 'author'} = {{Doe, Jane}}, title = {{A {t}}}, date = {{2001}}{extra}}}"
    for t, extra in [("article", ", journaltitle = {J}"), ("book", ", publisher = {P}"), ("inbook", ", booktitle = {B}, publisher = {P}"),
                     ("incollection", ", booktitle = {B}, editor = {Roe, R.}, publisher = {P}"), ("inproceedings", ", booktitle = {B}"), ("collection", ", publisher = {P}"),
                     ("online", ", url = {https://example.org}"), ("report", ", type = {Report}, institution = {I}"),
                     ("thesis", ", type = {phdthesis}, institution = {U}"), ("unpublished", ""), ("misc", ""), ("manual", ""),
                     ("letter", ""), ("review", ", journaltitle = {J}")]
)


@pytest.mark.biber
def test_every_supported_type_exports_valid(make_case, tmp_path):
    keys = [line.split("{")[1].split(",")[0] for line in EVERY_TYPE.splitlines()]
    yaml = "case: types\nsources:\n" + "".join(f"  {k}: {{kind: other}}\n" for k in keys)
    case = srccrit.load_case(make_case(yaml, bib=EVERY_TYPE))
    assert biber_warnings(tmp_path, bibtex.export(case)) == []
    classic = bibtex.export(case, dialect="bibtex")
    lib = reparse(classic)
    types = {e.key: e.entry_type for e in lib.entries}
    assert types["konline"] == "misc" and types["kreport"] == "techreport" and types["kthesis"] == "phdthesis"
    biblatex_types = {e.key: e.entry_type for e in reparse(bibtex.export(case)).entries}
    assert biblatex_types["kreview"] == "article" and biblatex_types["kletter"] == "misc" and biblatex_types["konline"] == "online"
    assert lib.entries_dict["karticle"].fields_dict["journal"].value == "J"
    assert "year" in lib.entries_dict["kbook"].fields_dict and "date" not in lib.entries_dict["kbook"].fields_dict


def test_bibtex_dialect_latex_encodes_non_ascii(bundled):
    text = bibtex.export(bundled, dialect="bibtex")
    assert "Диалог" not in text and "{\\CYRD}" in text
    reparse(text)
    # everything LaTeX has a macro for is encoded; CJK has none and stays UTF-8 (xeCJK/CJKutf8 read it)
    leftover = {c for c in text if ord(c) > 127}
    assert leftover and all("\u3000" <= c <= "\u9fff" or "\uff00" <= c <= "\uffef" for c in leftover)


def test_latex_specials_from_the_case_are_escaped_once(make_case, tmp_path):
    bib = r"@book{spec, title = {Profits \& Losses: 100\% of \$5}, author = {Roe, R.}, year = {1999}}"
    yaml = """
        case: specials
        sources: {spec: {kind: monograph}}
        witnesses: {"w_1": {name: "Tom & Jerry's 100% #1 {fan} ~ ^_^ \\\\"}}
        propositions: {p: {text: P}}
        claims: [{id: c1, witness: w_1, source: spec, proposition: p, stance: affirms}]
    """
    case = srccrit.load_case(make_case(yaml, bib=bib))
    text = bibtex.export(case, annotate=True)
    lib = reparse(text)
    entry = lib.entries_dict["spec"].fields_dict
    assert entry["title"].value == r"Profits \& Losses: 100\% of \$5"  # already LaTeX: not escaped again
    note = entry["annotation"].value
    assert r"Tom \& Jerry's 100\% \#1 \{fan\} \textasciitilde{} \textasciicircum{}\_\textasciicircum{} \textbackslash{}" in note
    assert r"w\_1" in entry["keywords"].value
    assert biber_warnings(tmp_path, text) == []


def test_export_is_byte_identical_and_never_overwrites_the_case_bib(bundled, tmp_path):
    assert bibtex.export(bundled, annotate=True) == bibtex.export(bundled, annotate=True)
    own = bundled.bibliography.raw_libraries[0][0]
    before = Path(own).read_bytes()
    with pytest.raises(srccrit.SrccritError, match="refusing to overwrite"):
        bibtex.export(bundled, output=own)
    assert Path(own).read_bytes() == before
    assert main(["bib", "export", "-o", own]) == 2


@pytest.mark.parametrize("name", ["zotero-bbt.bib", "hand-kept.bib"])
def test_round_trip_keeps_everything(name):
    path = HERE / name
    original = bibtexparser.parse_file(str(path))
    written = bibtex.round_trip(path)
    again = bibtexparser.parse_string(written)
    assert again.failed_blocks == []
    assert [e.key for e in again.entries] == [e.key for e in original.entries]
    for a, b in zip(original.entries, again.entries):
        assert a.entry_type == b.entry_type
        assert {f.key: f.value for f in a.fields} == {f.key: f.value for f in b.fields}
    assert [s.key for s in again.strings] == [s.key for s in original.strings]
    assert len(again.preambles) == len(original.preambles)
    assert [c.comment for c in again.comments] == [c.comment for c in original.comments]
    if name == "hand-kept.bib":
        assert "journal = jcws" in written and "@archive{apf45" in written and "myfield" in written
        assert "crossref = {westad1998brothers}" in written and "沈志华" in written and "Волкогонов" in written


def test_a_duplicate_key_survives_a_round_trip_and_an_unreadable_file_is_an_error(tmp_path):
    bad = tmp_path / "bad.bib"
    bad.write_text("@book{a, title={x}}\n@book{a, title={y}}\n", encoding="utf-8")
    written = bibtex.round_trip(bad)  # read as biber does, written back as it was
    assert "title = {x}" in written and "@book{a, title={y}}" in written
    latin1 = tmp_path / "latin1.bib"
    latin1.write_bytes("@book{a, title={caf\xe9}}\n".encode("latin-1"))
    with pytest.raises(srccrit.CaseError, match=r"latin1.bib:1: not UTF-8 text: byte 0xE9 at column 20 .*'@book\{a, title=\{café\}\}'.*save the bibliography as UTF-8"):
        bibtex.round_trip(latin1)


def test_merge_finds_duplicates_across_spellings(tmp_path):
    a = tmp_path / "a.bib"
    b = tmp_path / "b.bib"
    a.write_text(r"""@book{mueller1990,
  author = {M{\"u}ller, J{\"o}rg}, title = {Die Quellen von G{\"o}ttingen}, year = {1990}, publisher = {P}}
@article{x2001, author = {Roe, R.}, title = {One}, year = {2001}, doi = {10.1000/ABC}}
@book{same2000, author = {Smith, A.}, title = {A Book}, year = {2000}}
@book{kao1955, author = {Kao, Kang}, title = {Report on Manchuria}, year = {1955}}
""", encoding="utf-8")
    b.write_text("""@book{muller1990quellen,
  author = {Müller, Jörg}, title = {Die Quellen von Göttingen}, year = {1990}, isbn = {123}, publisher = {Q}}
@article{roe2001, author = {Roe, Richard}, title = {One, revised title}, year = {2001}, doi = {https://doi.org/10.1000/abc}}
@book{same2000, author = {Jones, B.}, title = {Another Book Entirely}, year = {2000}}
@book{gao1955report, author = {Gao, Gang}, title = {Report on Manchuria}, year = {1955}}
""", encoding="utf-8")
    out = tmp_path / "merged.bib"
    assert main(["bib", "merge", str(a), str(b), "-o", str(out), "--report", str(tmp_path / "r.json")]) == 0
    lib = reparse(out.read_text(encoding="utf-8"))
    keys = [e.key for e in lib.entries]
    assert keys == ["mueller1990", "x2001", "same2000", "kao1955", "same2000a"]
    m = lib.entries_dict["mueller1990"].fields_dict
    assert m["isbn"].value == "123" and m["publisher"].value == "P"  # union of fields, first file wins
    report = json.loads((tmp_path / "r.json").read_text())
    actions = {(d["action"], d["key"]) for d in report}
    assert ("merged", "muller1990quellen") in actions and ("merged", "roe2001") in actions and ("renamed", "same2000") in actions
    assert ("merged", "gao1955report") in actions  # Kao Kang = Gao Gang
    conflict = next(d for d in report if d["key"] == "muller1990quellen")
    assert conflict["conflicts"] == [{"field": "publisher", "kept": "P", "dropped": "Q"}]  # the losing value is listed
    assert m["ids"].value == "muller1990quellen"  # the merged-away key still cites (biblatex ids)
    assert main(["bib", "merge", str(a), str(b), "-o", str(a)]) == 2  # inputs are never rewritten


def test_citation_keys_better_bibtex_style(tmp_path):
    f = tmp_path / "k.bib"
    f.write_text(r"""@book{x, author = {Goncharov, Sergei N. and Lewis, John W.}, title = {Uncertain Partners}, year = {1993}}
@book{y, author = {Goncharov, S.}, title = {The Uncertain Road}, year = {1993}}
@book{z, author = {M{\"u}ller, J.}, title = {{\"U}ber Quellen}, date = {2001-05}}
""", encoding="utf-8")
    rows = bibtex.propose_keys(f)
    assert [r["proposed"] for r in rows] == ["goncharov1993uncertain", "goncharov1993uncertaina", "muller2001uber"]


def test_cite_for_and_against(bundled, capsys):
    keys = bibtex.citing_sources(bundled, "stalin-approved-invasion")
    assert keys[0] == "rusarch1995" and set(keys) == {"rusarch1995", "pw1994review", "zubok2007failed"}
    assert bibtex.cite(bundled, "china-entered-for-its-own-security", against=True, style="pandoc") == "[@zubok2007failed]\n"
    assert main(["cite", "data/sino-soviet-korea", "stalin-approved-invasion", "--format", "bib"]) == 0
    lib = reparse(capsys.readouterr().out)
    assert sorted(e.key for e in lib.entries) == sorted(keys)


def test_csl_json_read_by_pandoc(bundled, tmp_path):
    if shutil.which("pandoc") is None:
        pytest.fail("pandoc is not installed: run `make test` or apt-get install pandoc")
    path = tmp_path / "refs.json"
    path.write_text(bibtex.csl_json(bundled), encoding="utf-8")
    items = json.loads(path.read_text())
    assert {i["id"] for i in items} == set(bundled.sources.index)
    atlantic = next(i for i in items if i["id"] == "atlantic1994review")
    assert atlantic["author"] == [{"literal": "The Atlantic Monthly"}]
    run = subprocess.run(["pandoc", "-f", "csljson", "-t", "biblatex", str(path)], capture_output=True, text=True, timeout=60)
    assert run.returncode == 0, run.stderr
    assert "@book{goncharov1993uncertain," in run.stdout and "Goncharov, Sergei N." in run.stdout


def test_changing_an_exported_library_leaves_the_case_alone(bundled):
    """export() hands the case's own raw entries to the writer; export_library() gives copies."""
    from bibtexparser.model import Field

    from srccrit import bibtex

    before = bibtex.export(bundled)
    lib = bibtex.export_library(bundled)
    for entry in lib.entries:
        entry.set_field(Field("title", "{changed by the user}"))
    assert "changed by the user" in bibtex.write_library(lib)
    assert bibtex.export(bundled) == before


def test_export_annotates_from_a_given_fit_as_from_its_own():
    import srccrit
    from srccrit import bibtex

    case = srccrit.load_case()
    est = srccrit.Reliability().fit(case)
    for dialect in ("biblatex", "bibtex"):
        assert bibtex.export(case, dialect=dialect, annotate=True, est=est) == bibtex.export(case, dialect=dialect, annotate=True)


@pytest.mark.parametrize("key,written", [
    ("zubok2007failed", "@zubok2007failed"), ("DBLP:conf/kdd/YinHY07", "@DBLP:conf/kdd/YinHY07"),
    ("10.1145/1281192.1281309", "@10.1145/1281192.1281309"), ("2010A&A...512A..54F", "@{2010A&A...512A..54F}"),
    ("smith2000-", "@{smith2000-}"), ("Müller1990", "@Müller1990"),
])
def test_pandoc_citations_are_read_by_pandoc_as_the_whole_key(tmp_path, key, written):
    """An ADS key (consecutive dots) or a key ending in punctuation is braced, or pandoc cites
    what comes before the first such mark (``[@2010A&A...]`` cited ``2010A&A``)."""
    assert bibtex.pandoc_key(key) == written
    if shutil.which("pandoc") is None:
        pytest.fail("pandoc is not installed: run `make test` or apt-get install pandoc")
    (tmp_path / "refs.bib").write_text(f"@book{{{key}, author = {{Roe, Richard}}, title = {{A Book}}, year = {{1990}}}}\n", encoding="utf-8")
    run = subprocess.run(["pandoc", "--citeproc", "--bibliography", str(tmp_path / "refs.bib"), "-t", "plain"],
                         input=f"Said [{written}].\n", capture_output=True, text=True, timeout=60)
    assert "Roe 1990" in run.stdout and "not found" not in run.stderr
