"""Merging .bib files as a Zotero or JabRef user would trust it: duplicates only on evidence,
nothing a user wrote lost (comments, @string order, @preamble, fields, keys as ids aliases),
tolerant reading as biber's."""

from __future__ import annotations

import json

import bibtexparser
import pytest

from srccrit.bibmerge import merge, normalise_doi, to_latin
from srccrit.cli import main


def merged(tmp_path, *texts: str, prefer: str = "first"):
    paths = []
    for i, text in enumerate(texts):
        p = tmp_path / f"in{i}.bib"
        p.write_text(text, encoding="utf-8")
        paths.append(p)
    text, report = merge(paths, prefer=prefer)
    lib = bibtexparser.parse_string(text)
    return text, lib, report


def keys(lib) -> list[str]:
    return [e.key for e in lib.entries]


@pytest.mark.parametrize("a,b", [
    ("https://doi.org/10.1000/ABC", "doi:10.1000/abc"),
    ("https://dx.doi.org/10.1000/abc", "10.1000/ABC"),
    ("http://doi.org/10.1000/abc", "DOI: 10.1000/abc"),
])
def test_doi_spellings_are_one_doi(tmp_path, a, b):
    assert normalise_doi(a) == normalise_doi(b) == "10.1000/abc"
    _, lib, report = merged(tmp_path, f"@article{{x, title={{One}}, doi={{{a}}}}}", f"@article{{y, title={{Two}}, doi={{{b}}}}}")
    assert keys(lib) == ["x"] and report.decisions[0]["reason"] == "same DOI"


def test_chapters_sharing_their_volume_isbn_are_distinct(tmp_path):
    a = "@incollection{ch1, author={Roe, R.}, title={First chapter}, booktitle={The Volume}, isbn={978-0-00-000000-1}, year=2000}"
    b = "@incollection{ch2, author={Doe, D.}, title={Second chapter}, booktitle={The Volume}, isbn={978-0-00-000000-1}, year=2000}"
    c = "@inproceedings{p1, author={Roe, R.}, title={A paper}, isbn={978-0-00-000000-1}, year=2000}"
    _, lib, report = merged(tmp_path, a + "\n" + c, b)
    assert keys(lib) == ["ch1", "p1", "ch2"] and not [d for d in report.decisions if d["action"] == "merged"]
    _, lib, _ = merged(tmp_path, "@book{v, title={The Volume}, isbn={9780000000001}}", "@book{w, title={A Volume}, isbn={978-0-00-000000-1}}")
    assert keys(lib) == ["v"]  # an ISBN does identify a book


def test_an_isbn_10_and_its_isbn_13_are_one_book(tmp_path):
    """Zotero writes 9780804725217, an older JabRef file 0-8047-2521-7, a library catalogue both
    with "(pbk.)": one book, and no conflict reported for spelling its number otherwise."""
    zotero = "@book{goncharov_uncertain_1993, title={Uncertain Partners}, author={Goncharov, Sergei}, year={1993}, isbn={9780804725217}}"
    jabref = "@Book{Goncharov1993, title={Uncertain partners: Stalin, Mao, and the Korean War}, author={Goncharov, S. N.}, year={1993}, isbn={0-8047-2521-7}}"
    catalogue = "@book{gon93, title={Uncertain partners}, year={1994}, isbn={0804725217 (pbk.); 0804721157 (cloth)}}"
    _, lib, report = merged(tmp_path, zotero, jabref, catalogue)
    assert keys(lib) == ["goncharov_uncertain_1993"]
    assert [d["reason"] for d in report.decisions if d["action"] == "merged"] == ["same ISBN (books)"] * 2
    assert not [c for d in report.decisions for c in d.get("conflicts", []) if c["field"] == "isbn" and "0-8047" in c["dropped"]]
    # an invalid number (a typo) is its own digits: it matches only the same typo
    _, lib, _ = merged(tmp_path, "@book{a, title={One}, isbn={0-8047-2521-8}}", "@book{b, title={Two}, isbn={9780804725217}}",
                       "@book{c, title={Three}, isbn={0804725218}}")
    assert keys(lib) == ["a", "b"]


def test_entries_without_titles_are_never_duplicates(tmp_path):
    _, lib, _ = merged(tmp_path, "@set{s1, entryset={a,b}}\n@xdata{x1, publisher={P}}\n@book{c1, crossref={parent}}",
                       "@set{s2, entryset={c,d}}\n@xdata{x2, publisher={Q}}\n@book{c2, crossref={other}}")
    assert keys(lib) == ["s1", "x1", "c1", "s2", "x2", "c2"]


def test_titles_in_other_scripts_are_not_folded_away(tmp_path):
    _, lib, _ = merged(tmp_path, "@book{ru, author={Волкогонов, Д.}, title={Сталин}, year=1989}",
                       "@book{zh, author={沈志华}, title={毛泽东}, year=1989}\n@book{ru2, author={Волкогонов, Д.}, title={Ленин}, year=1989}")
    assert keys(lib) == ["ru", "zh", "ru2"]
    # one work in two scripts: compared through a transliteration
    _, lib, report = merged(tmp_path, "@book{a, author={Volkogonov, Dmitri}, title={Stalin}, year=1989}",
                            "@book{b, author={Волкогонов, Дмитрий}, title={Сталин}, year=1989}")
    assert keys(lib) == ["a"] and "transliterated" in report.decisions[0]["reason"]
    assert to_latin("毛泽东") == "mao ze dong" and to_latin("Сталин") == "Stalin"


def test_volumes_and_acronyms_keep_works_apart(tmp_path):
    _, lib, _ = merged(tmp_path, "@book{v1, author={Smith, A.}, title={Collected Works, Volume 1}, year=1990}\n"
                                 "@proceedings{icml, editor={Doe, J.}, title={Proc. ICML 2017}, year=2017}",
                       "@book{v2, author={Smith, A.}, title={Collected Works, Volume 2}, year=1990}\n"
                       "@proceedings{iclr, editor={Doe, J.}, title={Proc. ICLR 2017}, year=2017}\n"
                       "@book{v1b, author={Smith, A.}, title={Collected works, volume 1}, year=1990, volume={1}}")
    assert keys(lib) == ["v1", "icml", "v2", "iclr"]


def test_years_inherited_through_crossref_count(tmp_path):
    a = "@book{parent, title={The Book}, year=1990}\n@inbook{c, author={Roe, R.}, title={A chapter}, crossref={parent}}"
    b = "@inbook{d, author={Roe, R.}, title={A chapter}, year=1995}"
    _, lib, _ = merged(tmp_path, a, b)
    assert keys(lib) == ["parent", "c", "d"]  # 1990 (from the parent) is not 1995
    _, lib, _ = merged(tmp_path, a, "@inbook{d, author={Roe, R.}, title={A chapter}, year=1990}")
    assert keys(lib) == ["parent", "c"]


def test_different_pages_or_first_authors_are_different_works(tmp_path):
    _, lib, _ = merged(tmp_path, "@article{a, author={Roe, R.}, title={Notes}, journal={J}, year=2000, pages={1--10}}",
                       "@article{b, author={Roe, R.}, title={Notes}, journal={J}, year=2000, pages={11--20}}\n"
                       "@article{c, author={Doe, D.}, title={Notes}, journal={J}, year=2000}")
    assert keys(lib) == ["a", "b", "c"]


MENDELEY = """Automatically generated by Mendeley Desktop 1.19.8
Any changes to this file will be lost if it is regenerated by Mendeley.

@article{Wang2020,
author = {Wang, Wujie and Yang, Tzuhsiung and Harris, William Hunt and Gomez-Bombarelli, Rafael and G{\\'{o}}mez-Bombarelli, Rafael},
file = {::},
issn = {1359-7345},
journal = {Chemical Communications},
mendeley-groups = {wwj/paper-superglyme},
month = {aug},
number = {63},
pages = {8920},
title = {{Active learning and neural network potentials accelerate molecular screening of ether-based solvate ionic liquids}},
volume = {56},
year = {2020}
}
"""
ZOTERO = """@article{wangActiveLearningNeural2020,
  title = {Active Learning and Neural Network Potentials Accelerate Molecular Screening of Ether-Based Solvate Ionic Liquids},
  author = {Wang, Wujie and Yang, Tzuhsiung and Harris, William H. and {G{\\'o}mez-Bombarelli}, Rafael},
  year = {2020},
  journal = {Chemical Communications},
  volume = {56},
  number = {63},
  pages = {8920--8923},
  issn = {1359-7345}
}
@article{wangActiveLearning2020b,
  title = {Active Learning and Neural Network Potentials Accelerate Molecular Screening of Ether-Based Solvate Ionic Liquids},
  author = {Wang, Wujie},
  year = {2020},
  journal = {Chemical Communications},
  volume = {56},
  number = {63},
  pages = {8930--8933}
}
"""


def test_a_first_page_is_the_range_it_begins_across_exporters(tmp_path):
    """Mendeley (and many journals' own exports) give an article's first page alone, Zotero the
    range: one work, and the merged entry keeps the range; a range that begins elsewhere is
    another work."""
    text, lib, report = merged(tmp_path, MENDELEY, ZOTERO)
    assert keys(lib) == ["Wang2020", "wangActiveLearning2020b"]
    wang = lib.entries_dict["Wang2020"]
    assert wang["pages"] == "8920--8923" and wang["ids"] == "wangActiveLearningNeural2020"
    assert wang["mendeley-groups"] == "wwj/paper-superglyme" and wang["file"] == "::"  # the exporter's own fields kept
    assert text.startswith("Automatically generated by Mendeley Desktop")
    (decision,) = [d for d in report.decisions if d["action"] == "merged"]
    assert not [c for c in decision["conflicts"] if c["field"] == "pages"]
    # "pp." and "S." before the pages, and the dash, are the exporter's
    _, lib, _ = merged(tmp_path, "@article{a, author={Roe, R.}, title={Notes}, journal={J}, year=2000, pages={pp. 12-15}}",
                       "@article{b, author={Roe, R.}, title={Notes}, journal={J}, year=2000, pages={S. 12}}")
    assert keys(lib) == ["a"]


MENDELEY_STIFF = """@article{Stiff1951,
author = {Stiff, Henry A.},
doi = {10.2118/951376-G},
file = {:C$\\backslash$:/Users/USER/AppData/Local/Mendeley Ltd./Mendeley Desktop/Downloaded/Stiff - 1951.pdf:pdf},
journal = {Journal of Petroleum Technology},
month = {oct},
number = {10},
pages = {15--3},
title = {{The Interpretation of Chemical Water Analysis by Means of Patterns}},
volume = {3},
year = {1951}
}
"""
SCHOLAR_STIFF = """@article{stiff1951interpretation,
  title={The interpretation of chemical water analysis by means of patterns},
  author={Stiff Jr, Henry A},
  journal={Journal of petroleum technology},
  volume={3},
  number={10},
  pages={15--17},
  year={1951},
  publisher={OnePetro}
}
"""


def test_a_google_scholar_junior_and_a_mendeley_page_range_that_cannot_be_one(tmp_path):
    """Google Scholar glues "Jr" to the family name ("Stiff Jr, Henry A"); Mendeley exported the
    same article's pages as "15--3", a range that cannot be one. One article: the first page
    agrees, the range is kept and the dropped value is reported."""
    _, lib, report = merged(tmp_path, MENDELEY_STIFF, SCHOLAR_STIFF)
    assert keys(lib) == ["Stiff1951"]
    stiff = lib.entries_dict["Stiff1951"]
    assert stiff["pages"] == "15--17" and stiff["ids"] == "stiff1951interpretation"
    (decision,) = [d for d in report.decisions if d["action"] == "merged"]
    assert {"field": "pages", "kept": "15–17", "dropped": "15–3"} in decision["conflicts"]  # decoded, as every value there


@pytest.mark.parametrize("a,b,one", [
    ("1234--56", "1234--1256", True),     # an abbreviated range written out
    ("1234--56", "1234--1260", False),    # the same first page, another last: two works
    ("15--3", "16--20", False),           # an impossible range is its first page, not any page
    ("pp. 101-9", "101--109", True),
])
def test_abbreviated_and_impossible_page_ranges(tmp_path, a, b, one):
    _, lib, _ = merged(tmp_path, f"@article{{a, author={{Roe, R.}}, title={{Notes on Ranges}}, journal={{J}}, year=2000, pages={{{a}}}}}",
                       f"@article{{b, author={{Roe, R.}}, title={{Notes on Ranges}}, journal={{J}}, year=2000, pages={{{b}}}}}")
    assert keys(lib) == (["a"] if one else ["a", "b"])


def test_a_junior_is_not_his_father_by_family_name_alone(tmp_path):
    """Stripping "Jr" from a family name must not make two different families one."""
    _, lib, _ = merged(tmp_path, "@article{a, author={Stiff Jr, Henry}, title={Water Patterns}, journal={J}, year=1951}",
                       "@article{b, author={Staff, Henry}, title={Water Patterns}, journal={J}, year=1951}")
    assert keys(lib) == ["a", "b"]


def test_nothing_is_lost_comments_strings_preamble_fields_and_keys(tmp_path):
    first = """% my reading list
@preamble{"\\newcommand{\\noop}[1]{}"}
@string{jc = "Journal of Cold War Studies"}
@string{jcfull = jc # " (MIT)"}
@article{a, Title={One Title}, journal=jcfull, year=2001, myfield={kept}}
@comment{jabref-meta: databaseType:biblatex;}
"""
    second = """% from Zotero
@string{jc = "Journal of Cold War Studies"}
@article{b, title={One title}, author={}, journal=jc, year=2001, note={from Zotero}, Myfield={other}}
@book{z, title={Zed}, year=1999}
"""
    text, lib, report = merged(tmp_path, first, second)
    assert text.index("@string{jc") < text.index("@string{jcfull")  # a macro built from another stays after it
    assert "% my reading list" in text and "% from Zotero" in text and "jabref-meta: databaseType:biblatex;" in text
    assert "\\newcommand{\\noop}" in text and text.count("@string{jc ") == 1
    a = lib.entries_dict["a"].fields_dict
    assert set(a) >= {"title", "journal", "year", "myfield", "note", "ids"} and "Title" not in a
    assert a["ids"].value == "b" and a["myfield"].value == "kept"
    (decision,) = [d for d in report.decisions if d["action"] == "merged"]
    assert {"field": "myfield", "kept": "kept", "dropped": "other"} in decision["conflicts"]
    _, lib, _ = merged(tmp_path, first, second, prefer="last")
    assert lib.entries_dict["a"].fields_dict["myfield"].value == "other"


def test_tolerant_reading_as_biber_does(tmp_path):
    text, lib, report = merged(tmp_path, "@book{k, title={First}, title={Second}, year=1990}\n"
                                         "@book{k, title={Another work}, year=1991}\n"
                                         "@article{broken, title={Unclosed, year=1992\n"
                                         "@article{fine, title={Fine}, year=1993}\n")
    assert keys(lib) == ["k", "k-2", "fine"]
    assert lib.entries_dict["k"].fields_dict["title"].value == "First"  # the first field wins
    warnings = [d["message"] for d in report.decisions if d["action"] == "warning"]
    assert any("title given twice" in w for w in warnings) and any("read as 'k-2'" in w for w in warnings)
    assert any("could not" in w or "skipped" in w for w in warnings)
    assert "% @article{broken, title={Unclosed, year=1992" in text  # kept as written, as a comment
    assert all(d.get("line") for d in report.decisions if d["action"] == "warning")


def test_merge_report_and_ids_from_the_cli(tmp_path, capsys):
    a, b = tmp_path / "a.bib", tmp_path / "b.bib"
    a.write_text("@book{kao1955, author={Kao, Kang}, title={Report on Manchuria}, year=1955}\n", encoding="utf-8")
    b.write_text("@book{gao1955report, author={Gao, Gang}, title={Report on Manchuria}, year=1955, ids={gao55}}\n", encoding="utf-8")
    out, rep = tmp_path / "out.bib", tmp_path / "report.json"
    assert main(["bib", "merge", str(a), str(b), "-o", str(out), "--report", str(rep)]) == 0
    entry = bibtexparser.parse_string(out.read_text()).entries_dict["kao1955"]
    assert entry.fields_dict["ids"].value == "gao1955report,gao55"
    assert json.loads(rep.read_text())[0]["into"] == "kao1955"


def test_keys_transliterate_skip_articles_and_keep_corporate_names(tmp_path):
    from srccrit import bibtex

    f = tmp_path / "k.bib"
    f.write_text("""@book{a, author={沈志华}, title={毛泽东、斯大林与朝鲜战争}, year=2003}
@book{b, author={Волкогонов, Дмитрий}, title={Сталин}, year=1989}
@book{c, author={{World Health Organization}}, title={The Global Report}, year=2020}
@book{d, author={Dupont, Jean}, title={La guerre de Corée}, year=1990}
@book{e, author={Schmidt, K.}, title={Der Krieg und die Diplomatie}, year=1990}
@book{f, author={Goncharov, S. and Lewis, J.}, title={Uncertain Partners}, year=1993}
""", encoding="utf-8")
    assert [r["proposed"] for r in bibtex.propose_keys(f)] == [
        "shen2003mao", "volkogonov1989stalin", "worldhealthorganization2020global", "dupont1990guerre", "schmidt1990krieg",
        "goncharov1993uncertain"]


ENDNOTE = """@article{
   author = {Smith, John and Doe, Jane},
   title = {On the Mukden incident},
   journal = {Journal of Asian Studies},
   volume = {12},
   year = {1960},
   type = {Journal Article}
}

@book{
   author = {Ogata, Sadako N.},
   title = {Defiance in Manchuria},
   publisher = {University of California Press},
   year = {1964},
   type = {Book}
}
"""


def test_entries_without_citation_keys_as_endnote_exports_them(tmp_path, capsys):
    """EndNote's "BibTeX Export" style writes no citation key: each entry was a parse failure,
    and the merged file kept it half commented out. Each is read under the key srccrit proposes
    (as `srccrit bib keys`), said on stderr with its file and line; @string and @comment blocks,
    which also begin with a name and "=", are left alone."""
    endnote = tmp_path / "endnote.bib"
    endnote.write_text(ENDNOTE, encoding="utf-8")
    other = tmp_path / "mine.bib"
    other.write_text('@string{jas = "Journal of Asian Studies"}\n@comment{x = y}\n'
                     "@article{smith1960mukden, author = {Smith, J.}, title = {Another paper}, journal = jas, year = 1960}\n", encoding="utf-8")
    out = tmp_path / "out.bib"
    assert main(["bib", "merge", str(other), str(endnote), "-o", str(out)]) == 0
    err = capsys.readouterr().err
    lib = bibtexparser.parse_string(out.read_text(encoding="utf-8"))
    assert keys(lib) == ["smith1960mukden", "smith1960mukdena", "ogata1964defiance"]
    assert lib.entries_dict["ogata1964defiance"]["publisher"] == "University of California Press"
    assert [s.key for s in lib.strings] == ["jas"] and "srccrit-no-key" not in out.read_text(encoding="utf-8")
    # read as smith1960mukden in its file; another work has that key in the first file: renamed
    assert f"warning: {endnote}:1: article entry with no citation key" in err and "read as 'smith1960mukden'" in err
    assert "1 key renamed" in err
    assert f"{endnote}:10: book entry with no citation key" in err
