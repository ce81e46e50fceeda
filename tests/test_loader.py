"""Loading cases: the bundled one, table files, bibliographies, lookups, display."""

import shutil
from pathlib import Path

import pandas as pd
import pytest

import srccrit
from srccrit.io.tables import frame_to_csv_text

from conftest import BUNDLED, CASES


def test_bundled_case_meets_the_brief(bundled):
    counts = bundled.summary()
    assert counts["witnesses"] >= 10 and counts["claims"] >= 30 and counts["propositions"] >= 8 and counts["conclusions"] >= 5
    for name in ["Stalin", "Mao Zedong", "Kim Il Sung", "Zhou Enlai", "Gao Gang", "Kovalev", "Shi Zhe", "Zubok", "Goncharov et al.", "Michael P. Madon"]:
        bundled.resolve_witness(name)
    kinds = set(bundled.sources["kind"])
    assert {"monograph", "memoir", "review", "archival-release", "document"} <= kinds
    # every claim with a quote is a quote from the seeds; locators where the texts give them
    assert bundled.claims["quote"].notna().sum() >= 30
    assert bundled.claims["locator"].str.contains("n. 12[456]", regex=True, na=False).sum() >= 3


@pytest.mark.parametrize("spelling,wid", [
    ("Shih Che", "shi-zhe"), ("shi zhe", "shi-zhe"), ("SHI ZHE", "shi-zhe"), ("Kao Kang", "gao-gang"),
    ("Chou En-lai", "zhou-enlai"), ("Mao Tse-tung", "mao"), ("Kovalyov", "kovalev"), ("Kovalëv", "kovalev"),
    ("Kim II Sung", "kim-il-sung"), ("Kim Il-sung", "kim-il-sung"), ("I. V. Kovalev", "kovalev"),
])
def test_witness_lookup_across_aliases_and_romanisations(bundled, spelling, wid):
    assert bundled.witness(spelling).name == wid


@pytest.mark.parametrize("spelling,wid", [
    ("J. Czapski", "czapski"), ("Czapski, J.", "czapski"), ("S. Swianiewicz", "swianiewicz"), ("L. P. Beria", "beria"),
    ("A. Shelepin", "shelepin"), ("A. Shelepine", None), ("K. Czapski", None), ("Lavrenti Beria", "beria"), ("Лаврентий Берия", "beria"),
])
def test_witness_lookup_by_initials_and_in_other_scripts(spelling, wid):
    """Initials stand for the given names in order (J. = Józef, not Konstanty); Cyrillic by its alias."""
    _finds(srccrit.load_case(CASES / "katyn-1940"), spelling, wid)


def _finds(case, spelling: str, wid: str | None) -> None:
    """``spelling`` names the witness ``wid``, or (None) nobody."""
    if wid is None:
        with pytest.raises(srccrit.UnknownName):
            case.witness(spelling)
    else:
        assert case.witness(spelling).name == wid


@pytest.mark.parametrize("spelling,wid", [
    ("Göring", "goering"), ("Goering", "goering"), ("Goring", "goering"), ("Hermann Goering", "goering"), ("H. Göring", "goering"),
    ("Münzenberg", "muenzenberg"), ("Willi Munzenberg", "muenzenberg"), ("Lubbe", "van-der-lubbe"), ("van der Lubbe", "van-der-lubbe"),
    ("Hett", "hett"), ("Halder", "halder"), ("Hitler", None), ("Hans", None),
])
def test_witness_lookup_by_family_name_and_german_transcriptions(spelling, wid):
    """A family name alone names the one witness who has it (with its particles: van der Lubbe), in
    the German transcription of its umlauts too (Goering = Göring); a given name names nobody."""
    _finds(srccrit.load_case(CASES / "reichstag-1933"), spelling, wid)


def test_initials_fitting_two_witnesses_name_neither(make_case):
    case = srccrit.load_case(make_case("""
case: two
sources: {s1: {kind: memoir}}
witnesses: {a: {name: Ivan Petrov}, b: {name: Igor Petrov}, c: {name: Anna Petrova}}
propositions: {p: {text: P}}
claims: [{id: c1, witness: a, source: s1, proposition: p, stance: affirms}]
"""))
    with pytest.raises(srccrit.UnknownName):
        case.witness("I. Petrov")
    with pytest.raises(srccrit.UnknownName):  # a family name two witnesses share names neither
        case.witness("Petrov")
    assert case.witness("A. Petrova").name == "c" and case.witness("Petrova").name == "c"


def test_unknown_witness_suggests_the_closest(bundled):
    with pytest.raises(srccrit.UnknownName, match="did you mean 'kovalev'"):
        bundled.witness("Kovalenko")


def test_tables_are_typed(bundled):
    c = bundled.claims
    assert str(c["date_start"].dtype) == "datetime64[s]" and str(c["value_low"].dtype) == "float64"
    s = bundled.sources
    assert s.at["goncharov1993uncertain", "title"].startswith("Uncertain Partners")
    assert s.at["goncharov1993uncertain", "publisher"] == "Stanford University Press"  # @string macro resolved
    assert s.at["kovalev1991dialog", "title"] == "Диалог Сталина с Мао Цзэдуном"
    assert s.at["shizhe1991memoirs", "title"].startswith("在历史巨人身边")
    assert s.at["rusarch1995", "available_start"] == pd.Timestamp("1995-01-01")
    # a claim without its own date takes its source's date
    row = c.set_index("id").loc["zubok-stalin-endorsed"]
    assert row["date_start"] == pd.Timestamp("2007-01-01")


def test_source_author_is_the_default_witness(tonkin):
    assert tonkin.claims.set_index("id").at["stockdale-no-boats", "witness"] == "stockdale"


def test_folder_or_file_both_load():
    assert srccrit.load_case(BUNDLED.parent).id == srccrit.load_case(BUNDLED).id == "sino-soviet-korea"


def _table_twin(tmp_path: Path, suffix: str) -> Path:
    """Write the Tonkin case with every table in a file of the given kind."""
    case = srccrit.load_case(CASES / "tonkin")
    folder = tmp_path / f"twin-{suffix}"
    folder.mkdir()
    shutil.copy(CASES / "tonkin" / "tonkin.bib", folder / "tonkin.bib")
    raw = srccrit.io.case_file.read_raw_case(CASES / "tonkin")
    for name, frame in raw.tables.items():
        frame = frame.drop(columns=["_file", "_line", "_fieldlines"], errors="ignore")
        if name == "conclusions":
            frame["rests_on"] = frame["rests_on"].map(lambda m: "; ".join(f"{k}: {str(v).lower() if isinstance(v, bool) else v}" for k, v in m.items()))
        for col in frame.columns:
            frame[col] = frame[col].map(lambda v: v.isoformat() if hasattr(v, "isoformat") else v)
        if suffix == "csv":
            (folder / f"{name}.csv").write_text(frame_to_csv_text(frame), encoding="utf-8")
        else:
            frame = frame.map(lambda v: str(v) if isinstance(v, (int, float)) and not isinstance(v, bool) and v == v else v)
            frame.to_parquet(folder / f"{name}.parquet")
    (folder / "case.yaml").write_text(
        "case: tonkin-1964\ntitle: The Gulf of Tonkin incidents, August 1964\nbibliography: tonkin.bib\n"
        + "".join(f"{n}: {n}.{suffix}\n" for n in raw.tables), encoding="utf-8")
    assert case is not None
    return folder


@pytest.mark.parametrize("suffix", ["csv", "parquet"])
def test_table_files_load_to_the_same_frames_as_inline(tmp_path, tonkin, suffix):
    twin = srccrit.load_case(_table_twin(tmp_path, suffix))
    for name in ["sources", "witnesses", "propositions"]:
        a = getattr(tonkin, name).drop(columns=["_file", "_line"])
        b = getattr(twin, name).drop(columns=["_file", "_line"])
        pd.testing.assert_frame_equal(a.sort_index(axis=1), b.sort_index(axis=1), check_dtype=False)
    cols = ["id", "witness", "source", "proposition", "stance", "value", "value_low", "value_high", "date_start", "date_end", "via", "quote"]
    pd.testing.assert_frame_equal(tonkin.claims[cols], twin.claims[cols], check_dtype=False)
    pd.testing.assert_frame_equal(tonkin.rests_on, twin.rests_on, check_dtype=False)
    assert srccrit.support(twin)["probability"].round(9).tolist() == srccrit.support(tonkin)["probability"].round(9).tolist()


def test_csv_errors_name_the_csv_row(make_case):
    path = make_case("""
        case: csvcase
        sources: {s1: {kind: memoir}}
        witnesses: {w: {name: W}}
        propositions: {p: {text: P}}
        claims: claims.csv
    """)
    path.parent.joinpath("claims.csv").write_text(
        'id,witness,source,proposition,stance,quote\nc1,w,s1,p,affirms,"a quote\nover two lines"\nc2,ww,s1,p,denies,x\n', encoding="utf-8")
    with pytest.raises(srccrit.CaseError) as err:
        srccrit.load_case(path)
    (problem,) = err.value.problems
    assert Path(problem.file).name == "claims.csv" and problem.line == 4  # the quoted field spans lines 2-3
    assert problem.message == "claim 'c2': unknown witness 'ww'; did you mean 'w'?"


BIB_HARD = r"""
@preamble{"\providecommand{\noopsort}[1]{}"}
@string{gup = "G{\"o}ttingen University Press"}
% a comment line kept by the user
@book{mueller1990,
  author = {M{\"u}ller, J{\"o}rg and Nov{\'a}k, Ji{\v r}{\'\i}},
  title = {{\"U}ber die {Quellen}},
  publisher = gup,
  year = 1990,
}
@book{pavlov2001,
  author = {Павлов, Иван},
  title = {История холодной войны},
  year = {2001},
}
@book{mao1965,
  author = {毛泽东},
  title = {毛泽东选集},
  year = {1965},
}
"""


def test_bib_with_strings_comments_accents_cjk_and_cyrillic(make_case):
    path = make_case("""
        case: bibcase
        sources:
          mueller1990: {kind: monograph, date: 1990}
          pavlov2001: {kind: monograph, date: 2001}
          mao1965: {kind: document, date: 1965}
    """, bib=BIB_HARD)
    case = srccrit.load_case(path)
    s = case.sources
    assert s.at["mueller1990", "publisher"] == "Göttingen University Press"
    assert s.at["mueller1990", "bib_author"] == "Müller, Jörg and Novák, Jiří"
    assert s.at["mueller1990", "title"] == "Über die Quellen"
    assert s.at["pavlov2001", "title"] == "История холодной войны"
    assert s.at["mao1965", "bib_author"] == "毛泽东"


def test_case_displays_as_escaped_html(make_case):
    path = make_case("""
        case: xss
        title: <script>alert(1)</script>
        sources: {s1: {kind: memoir}}
        witnesses: {w: {name: "<img src=x onerror=alert(1)>"}}
        propositions: {p: {text: P}}
        claims: [{id: c1, witness: w, source: s1, proposition: p, stance: affirms}]
    """)
    html = srccrit.load_case(path)._repr_html_()
    assert "<script>" not in html and "<img" not in html
    assert "&lt;script&gt;" in html and "&lt;img src=x onerror=alert(1)&gt;" in html


def test_missing_case_file_is_a_clear_error(tmp_path):
    with pytest.raises(srccrit.SrccritError, match="no such case file"):
        srccrit.load_case(tmp_path / "nope.yaml")
    with pytest.raises(srccrit.SrccritError, match="no case.yaml"):
        srccrit.load_case(tmp_path)


def test_csv_tables_treat_empty_cells_as_missing(make_case):
    """Empty CSV cells are read as missing (cleaned column by column, the lists aside)."""
    path = make_case("""
        case: big
        sources: {s1: {kind: memoir}}
        witnesses: {w: {name: W}}
        propositions: {p: {text: P}, n: {text: N, type: number}}
        claims: claims.csv
    """)
    path.parent.joinpath("claims.csv").write_text("id,witness,source,proposition,stance,value\nc1,w,s1,p,affirms,\nc2,w,s1,n,,12\n", encoding="utf-8")
    case = srccrit.load_case(path)
    assert case.claims.set_index("id").at["c1", "stance"] == "affirms"
    assert case.claims.set_index("id").at["c2", "value_low"] == 12.0


def test_the_case_starts_knowing_where_its_claims_ids_sit(bundled):
    """Loading finds each claim id's row in its table; the case keeps it (no first-use lookup)
    and it is right for tables not in sorted order."""
    for table, col in (("propositions", "proposition"), ("witnesses", "witness"), ("sources", "source")):
        categories = bundled.claims[col].cat.categories
        assert not getattr(bundled, table).index.is_monotonic_increasing  # a real permutation
        assert (table, id(categories)) in bundled._rows
        expected = getattr(bundled, table).index.get_indexer(categories)
        assert bundled.rows_of(table, categories).tolist() == expected.tolist()


def test_a_clean_bibliography_gives_no_warning(bundled, tonkin):
    for case in (bundled, tonkin):
        assert not [w for w in case.warnings if ".bib" in w.file], case.warnings


def test_case_shows_itself_briefly_at_any_size(make_case):
    witnesses = ", ".join(f"w{i}: {{name: Witness {i}}}" for i in range(45))
    claims = ", ".join(f"{{id: c{i}, witness: w{i}, source: s1, proposition: p, stance: affirms}}" for i in range(45))
    case = srccrit.load_case(make_case(f"""
case: many
sources: {{s1: {{kind: memoir}}}}
witnesses: {{{witnesses}}}
propositions: {{p: {{text: P}}}}
conclusions: {{c: {{text: It happened, rests_on: {{p: true}}}}}}
claims: [{claims}]
"""))
    page = case._repr_html_()
    assert "Witnesses, most claims first (the first 20 of 45)" in page and page.count("Witness ") == 20
    assert "It happened" in page  # the conclusions too


def test_a_case_loaded_again_is_not_parsed_again_until_its_files_change(make_case):
    path = make_case("""
case: again
sources: {s1: {kind: memoir}}
witnesses: {w: {name: W}}
propositions: {p: {text: P}}
claims: [{id: c1, witness: w, source: s1, proposition: p, stance: affirms}]
""")
    first = srccrit.load_case(path)
    second = srccrit.load_case(path)
    assert second is not first and second.claims.equals(first.claims)
    second.witnesses.loc["w", "name"] = "Changed"  # a user's edit of one copy reaches no other
    assert srccrit.load_case(path).witnesses.at["w", "name"] == "W" and first.witnesses.at["w", "name"] == "W"
    text = path.read_text(encoding="utf-8").replace("name: W}", "name: V}")  # same size, new content, same instant
    path.write_text(text, encoding="utf-8")
    assert srccrit.load_case(path).witnesses.at["w", "name"] == "V"
    assert srccrit.load_case(path, cache=False).witnesses.at["w", "name"] == "V"


def test_load_and_fit_fits_a_case_once_per_session_and_hands_out_copies_of_its_own(make_case, monkeypatch):
    """Notebooks run one after another on one kernel: the first fits, the next get the same fit
    without fitting again, and nothing one of them changes reaches another; a changed file or
    other parameters fit again."""
    path = make_case("""
case: fitted
sources: {s1: {kind: memoir}, s2: {kind: memoir}, s3: {kind: memoir}}
witnesses: {a: {name: A}, b: {name: B}, c: {name: C}}
propositions: {p: {text: P}, q: {text: Q}}
claims:
  - {id: c1, witness: a, source: s1, proposition: p, stance: affirms}
  - {id: c2, witness: b, source: s2, proposition: p, stance: affirms}
  - {id: c3, witness: c, source: s3, proposition: p, stance: denies}
  - {id: c4, witness: c, source: s3, proposition: q, stance: affirms}
""")
    fits = []
    real_fit = srccrit.Reliability.fit
    monkeypatch.setattr(srccrit.Reliability, "fit", lambda self, case, claims=None: fits.append(1) or real_fit(self, case, claims))
    case1, est1 = srccrit.load_and_fit(path)
    expected = srccrit.Reliability().fit(srccrit.load_case(path, cache=False)).reliability_
    fits.clear()
    case2, est2 = srccrit.load_and_fit(path)
    assert not fits and est2 is not est1 and case2 is not case1
    pd.testing.assert_frame_equal(est2.reliability_, expected)
    # each copy is the whole fit of the case handed out with it (the timeline and the explorer take it)
    assert est2.fitted_on_whole(case2) and est1.fitted_on_whole(case1) and not est2.fitted_on_whole(case1)
    assert not est2.fitted_on_whole(case2, testimony=False)
    pd.testing.assert_frame_equal(srccrit.timeline(case2, estimator=est2), srccrit.timeline(case2))
    fits.clear()
    # a notebook's edits of its case and of its results reach no other
    for edited in (case1, case2):  # the first asked for the fit that was made
        edited.claims.loc[edited.claims["id"] == "c3", "stance"] = "affirms"
    est2.reliability_.loc["a", "reliability"] = 0.0
    _, est3 = srccrit.load_and_fit(path)
    assert not fits
    pd.testing.assert_frame_equal(est3.reliability_, expected)
    fresh = srccrit.load_case(path)
    assert srccrit.support(fresh, estimator=est3).equals(srccrit.support(fresh, estimator=srccrit.Reliability().fit(fresh)))
    # other parameters, another fit
    _, plain = srccrit.load_and_fit(path, testimony=False)
    assert fits and plain.get_params()["testimony"] is False
    fits.clear()
    # a changed file, another fit, of the new content
    path.write_text(path.read_text(encoding="utf-8").replace("stance: denies", "stance: affirms"), encoding="utf-8")
    _, est4 = srccrit.load_and_fit(path)
    assert fits and not est4.reliability_.equals(expected)
    with pytest.raises(TypeError):
        srccrit.load_and_fit(path, stance=True)


@pytest.mark.parametrize("a, b, same", [("Goering", "Göring", True), ("Muenzenberg", "Münzenberg", True), ("Floeter", "Flöter", True),
                                        ("Goring", "Göring", True), ("Bauer", "Baur", False), ("Hoess", "Hess", False)])
def test_a_german_umlaut_written_out_is_the_same_name(a, b, same):
    from srccrit.names import same_person

    assert same_person(a, b) is same
