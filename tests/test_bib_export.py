"""Lossless export: @string order and @preamble kept, crossref/xdata parents carried, the types
biber knows kept as written, and a BibTeX dialect that biber and BibTeX read back whole."""

from __future__ import annotations

import os
import re

import pytest

import srccrit
from srccrit import bibtex

from test_bibtex import biber_warnings, reparse

BIB = r"""@preamble{"\providecommand{\noop}[1]{}"}
@string{jc = "Journal of Cold War Studies"}
@string{jcfull = jc # " (MIT Press)"}
@string{aaa = "Alpha"}
@phdthesis{thesis1990, author = {Roe, Richard}, title = {A Thesis}, school = {MIT}, year = {1990}}
@techreport{rand1960, author = {Kahn, Herman}, title = {On Escalation}, institution = {RAND}, year = {1960}, number = {R-1}}
@mastersthesis{ma1980, author = {Doe, Jane}, title = {A Master's Thesis}, school = {LSE}, year = {1980}}
@letter{stalin1950, author = {Stalin, I. V.}, title = {Letter to Mao}, date = {1950-01-30}}
@article{art2001, author = {M{\"u}ller, J{\"o}rg}, title = "Die K{\"o}nigin", journal = jcfull, year = {2001},
  url = {https://example.org/k_%C3%B6nig?a=1&b=2}, doi = {10.1000/ab_c}, file = {:/home/me/Müller 2001.pdf:PDF}}
@inbook{chapter1995, author = {Roe, R.}, title = {Chapter}, crossref = {volume1995}, pages = {1--10}}
@book{volume1995, editor = {Smith, A.}, title = {The Volume}, publisher = {P}, date = {1995}, xdata = {pubdata}}
@xdata{pubdata, location = {London}}
@article{season2021, author = {Roe, R.}, title = {Spring}, journaltitle = {J}, date = {2021-21}}
@book{nomonth1993, author = {Roe, R.}, title = {Unknown month}, date = {1993-00-00}}
@book{span1945, author = {Roe, R.}, title = {A span}, date = {1945/1947}}
"""

SOURCES = ["thesis1990", "rand1960", "ma1980", "stalin1950", "art2001", "chapter1995", "season2021", "nomonth1993", "span1945"]


@pytest.fixture
def case(make_case):
    yaml = "case: export\nsources:\n" + "".join(f"  {k}: {{kind: other}}\n" for k in SOURCES)
    return srccrit.load_case(make_case(yaml, bib=BIB))


def test_strings_keep_their_order_and_the_preamble_is_kept(case):
    text = bibtex.export(case)
    assert text.index("@string{jc ") < text.index("@string{jcfull") < text.index("@string{aaa")  # not sorted
    assert "\\providecommand{\\noop}" in text


def test_crossref_and_xdata_parents_are_carried(case):
    keys = [e.key for e in reparse(bibtex.export(case)).entries]
    assert keys == sorted(SOURCES) + ["pubdata", "volume1995"]  # parents after the sources, grandparents too


@pytest.mark.biber
def test_biblatex_keeps_the_types_biber_knows_and_never_adds_a_warning(case, tmp_path):
    text = bibtex.export(case)
    types = {e.key: e.entry_type for e in reparse(text).entries}
    assert types["thesis1990"] == "phdthesis" and types["rand1960"] == "techreport" and types["ma1980"] == "mastersthesis"
    assert types["stalin1950"] == "misc"  # biber's data model gives @letter no fields: every one would warn
    assert reparse(text).entries_dict["stalin1950"].fields_dict["entrysubtype"].value == "letter"
    def kinds(warnings):  # what biber says, without the file it says it of
        return {re.sub(r"\s*\([^)]*\.bib\)", "", w) for w in warnings if not w.startswith("INFO")}

    (tmp_path / "in").mkdir()
    (tmp_path / "out").mkdir()
    before = kinds(biber_warnings(tmp_path / "in", BIB))
    after = kinds(biber_warnings(tmp_path / "out", text))
    assert after < before  # never a new warning; the @letter's two are gone
    assert not [w for w in after if "stalin1950" in w]
    assert bibtex.biber_entry_types() >= {"article", "thesis", "phdthesis", "techreport", "xdata"}


def test_the_bibtex_dialect_braces_values_and_leaves_verbatim_fields_alone(case):
    warnings = []
    text = bibtex.export(case, dialect="bibtex", warn=warnings.append)
    lib = reparse(text)
    art = lib.entries_dict["art2001"].fields_dict
    assert 'title = {Die K{\\"o}nigin}' in text  # braced: a \" inside "..." would end the value
    assert art["url"].value == "https://example.org/k_%C3%B6nig?a=1&b=2" and art["doi"].value == "10.1000/ab_c"
    assert art["file"].value == ":/home/me/Müller 2001.pdf:PDF"  # a path is not LaTeX
    season = lib.entries_dict["season2021"].fields_dict
    assert season["year"].value == "2021" and season["date"].value == "2021-21" and "month" not in season
    nomonth = lib.entries_dict["nomonth1993"].fields_dict
    assert nomonth["year"].value == "1993" and "month" not in nomonth  # never December
    span = lib.entries_dict["span1945"].fields_dict
    assert span["year"].value == "1945" and span["date"].value == "1945/1947"
    assert any("season2021" in w for w in warnings) and any("span1945" in w for w in warnings)
    assert not any("nomonth1993: date '1993-00-00' is not" in w for w in warnings)


@pytest.mark.parametrize("prints", ["", "/nonexistent/biber-tool.conf\n", "not xml\n"])
def test_a_biber_that_says_nothing_useful_leaves_the_built_in_types(tmp_path, monkeypatch, prints):
    """A biber whose --tool-config prints nothing, a missing file or a file that is not XML:
    the types srccrit knows from biber 2.17, not an internal error (an empty answer once raised
    UnboundLocalError from the except clause, and so did a SIGTERM during the call)."""
    fake = tmp_path / "bin" / "biber"
    fake.parent.mkdir()
    if prints == "not xml\n":
        (tmp_path / "conf.txt").write_text("not xml at all <", encoding="utf-8")
        prints = f"{tmp_path / 'conf.txt'}\n"
    fake.write_text(f"#!/bin/sh\nprintf '{prints}'\n", encoding="utf-8")
    fake.chmod(0o755)
    monkeypatch.setenv("PATH", f"{fake.parent}:{os.environ['PATH']}")
    bibtex.biber_entry_types.cache_clear()
    try:
        assert bibtex.biber_entry_types() == frozenset(bibtex._BIBLATEX_TYPES)
    finally:
        bibtex.biber_entry_types.cache_clear()


ACM = """@inproceedings{10.1145/1281192.1281309,
author = {Yin, Xiaoxin and Han, Jiawei and Yu, Philip S.},
title = {Truth discovery with multiple conflicting information providers on the web},
year = {2007},
publisher = {Association for Computing Machinery},
address = {New York, NY, USA},
booktitle = {Proceedings of the 13th ACM SIGKDD International Conference on Knowledge Discovery and Data Mining},
pages = {1048–1057},
location = {San Jose, California, USA},
series = {KDD '07}
}
@book{notes1990, title = {Annotated}, year = {1990}, Annote = {My own note: read chapter 3}, Keywords = {cold war}}
@book{notes1991, title = {Annotated too}, year = {1991}, annotation = {Borrowed from the library}}
"""


@pytest.fixture
def annotated_case(make_case):
    yaml = """\
    case: annotated
    sources:
      10.1145/1281192.1281309: {kind: article, date: 2007}
      notes1990: {kind: monograph, date: 1990}
      notes1991: {kind: monograph, date: 1991}
    witnesses:
      w: {name: W, proximity: historian}
    propositions:
      p: {text: P}
    claims:
      - {id: c1, witness: w, source: 10.1145/1281192.1281309, proposition: p, stance: affirms}
      - {id: c2, witness: w, source: notes1990, proposition: p, stance: affirms}
      - {id: c3, witness: w, source: notes1991, proposition: p, stance: affirms}
    """
    return srccrit.load_case(make_case(yaml, bib=ACM))


def test_the_bibtex_dialect_never_writes_a_biblatex_field_over_its_bibtex_namesake(annotated_case):
    """An ACM Digital Library export gives the publisher's `address` and the conference's
    `location` (biblatex's name for address): renamed, one would be written over the other."""
    acm = reparse(bibtex.export(annotated_case, dialect="bibtex")).entries_dict["10.1145/1281192.1281309"].fields_dict
    assert acm["address"].value == "New York, NY, USA" and acm["location"].value == "San Jose, California, USA"


@pytest.mark.parametrize("dialect", ["biblatex", "bibtex"])
def test_annotating_keeps_the_users_own_annotation_and_keywords(annotated_case, dialect):
    lib = reparse(bibtex.export(annotated_case, dialect=dialect, annotate=True))
    for key, own in (("notes1990", "My own note: read chapter 3"), ("notes1991", "Borrowed from the library")):
        fields = {f.key.lower(): f.value for f in lib.entries_dict[key].fields}
        note = fields.get("annotation", fields.get("annote"))
        assert note.startswith(own + "; monograph; W: reliability")
        assert len([f for f in lib.entries_dict[key].fields if f.key.lower() in ("annotation", "annote")]) == 1
    words = [f for f in lib.entries_dict["notes1990"].fields if f.key.lower() == "keywords"]
    assert len(words) == 1 and words[0].value.startswith("cold war,srccrit,")
