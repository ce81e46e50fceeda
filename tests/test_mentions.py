"""Reading real texts: names as printed in older English-language histories (Wade-Giles,
McCune-Reischauer, older Vietnamese spellings, OCR errors), notes as printed superscripts, and the
notes a text carries. The paragraphs in tests/texts/geneva/ were written for these tests in the
style of histories of the 1954 Geneva conference; the case names its participants in modern
spellings only, so every older spelling must be resolved by its romanisation keys."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest
from rapidfuzz import fuzz

import srccrit
from srccrit import ingest
from srccrit.cli import main
from srccrit.dates import fold_text
from srccrit.mentions import FUZZY_THRESHOLD, NameFinder, family_name_first
from srccrit.names import korean_skeleton

from conftest import CASES

GENEVA = Path(__file__).resolve().parent / "texts" / "geneva"


@pytest.fixture(scope="module")
def geneva():
    return srccrit.load_case(CASES / "geneva-1954")


def read(geneva, name):
    reading = ingest.read_text(GENEVA / name, case=geneva)
    return reading, ingest.candidates(reading, geneva).set_index("notes")


# every sentence, by its note numbers: (witnesses named, how each was matched)
EXPECTED = {
    "wade-giles.txt": {
        "1": ([], []),
        "2;3": (["zhou-enlai"], ["wade-giles", "surname"]),  # "Chou En-lai", then "Chou" alone
        "4": (["molotov", "mao-zedong"], ["transliteration", "wade-giles"]),  # "Molotoff", "Mao Tse-tung"
        "5": (["dulles", "eden"], ["name", "name"]),
    },
    "korean.txt": {
        "6": (["nam-il"], ["name"]),
        "7;8": (["pyun", "dulles"], ["transliteration", "name"]),  # "Pyŏn Yŏng-t'ae" = Pyun Yung-tai
        "9": (["kim-il-sung", "nam-il"], ["transliteration", "surname"]),  # "Kim Il-sŏng's", "Nam's"
        "10": ([], []),
    },
    "vietnamese-ocr.txt": {
        "11": (["pham-van-dong"], ["name"]),  # "Pham-van-Dong"
        "12": (["ho-chi-minh"], ["name"]),  # "Ho Chi-minh"
        "13;14": (["bidault", "mendes-france"], ["ocr", "name"]),  # "Biclault" (cl for d), "Mendès-France"
        "15;16": (["zhou-enlai", "pham-van-dong"], ["ocr", "name"]),  # "Chou En-Iai" (I for l), "Phạm Văn Đồng"
        "17": (["molotov", "eden"], ["ocr", "name"]),  # "Moiotov" (i for l)
    },
    "superscripts.txt": {
        "18": (["zhou-enlai", "mendes-france"], ["surname", "name"]),  # "Bern.¹⁸"
        "19;20": (["molotov", "eden"], ["name", "name"]),  # "Molotov19", "in 1954.20"
        "21": ([], []),  # "at 3.50 a.m.21": neither 3 nor 50 is a note
        "22": (["dulles"], ["name"]),
    },
}


@pytest.mark.parametrize("name", sorted(EXPECTED))
def test_every_note_is_found_and_every_actor_resolves(geneva, name):
    reading, cands = read(geneva, name)
    expected = EXPECTED[name]
    numbers = sorted(int(n) for key in expected for n in key.split(";"))
    assert sorted(reading.notes) == numbers  # every note number, and no year or day taken for one
    assert list(cands.index) == list(expected)  # every noted sentence is a candidate
    for key, (witnesses, how) in expected.items():
        row = cands.loc[key]
        assert (row["mentions"].split(";") if row["mentions"] else []) == witnesses, (key, row["quote"])
        assert (row["matched_as"].split(";") if row["matched_as"] else []) == how, (key, row["spellings"])
        cited_author = geneva.sources["author"].get(row["source"]) if isinstance(row["source"], str) else None
        if isinstance(cited_author, str):  # read in the work its note cites ("Full Circle", n. 20): its author's
            assert row["witness"] == cited_author and row["confidence"] >= 0.5
        elif witnesses:
            assert row["witness"] == witnesses[0] and row["confidence"] >= 0.5
        else:
            assert pd.isna(row["witness"]) and row["confidence"] < 0.5  # kept, so that no note is lost
    assert "1954" not in {str(n) for s in reading.sentences for n in s.notes}


def test_spellings_are_recorded_as_printed(geneva):
    _, cands = read(geneva, "vietnamese-ocr.txt")
    assert cands.loc["15;16", "spellings"] == "Chou En-Iai;Phạm Văn Đồng"
    assert cands.loc["13;14", "spellings"] == "Biclault;Mendès-France"


def test_names_no_witness_has_are_listed(geneva):
    _, cands = read(geneva, "korean.txt")
    assert cands.loc["7;8", "unknown_names"] == "Seoul;Rhee"
    _, cands = read(geneva, "wade-giles.txt")
    assert "Peking" in cands.loc["4", "unknown_names"].split(";")
    assert "Geneva" in cands.loc["1", "unknown_names"].split(";")
    assert all("Chinese" not in u for u in cands["unknown_names"])  # a common word, not a name


def test_endnotes_are_attached_and_name_the_source(geneva):
    reading, cands = read(geneva, "wade-giles.txt")
    assert reading.note_texts[3] == "Zhai, China and the Vietnam Wars, p. 49."  # a note running on to an indented line
    assert not any("Randle" in s.text for s in reading.sentences)  # the notes are not read as sentences
    assert cands.loc["1", "source"] == "randle1969geneva"
    assert cands.loc["2;3", "note_text"] == "Ibid., p. 160. | Zhai, China and the Vietnam Wars, p. 49."
    assert cands.loc["2;3", "source"] == "randle1969geneva"  # Ibid. is the note before
    assert cands.loc["4", "source"] == "eden1960full"  # "Eden, Full Circle": author and short title
    reading, cands = read(geneva, "korean.txt")
    assert reading.note_texts == {6: "Randle, Geneva 1954, p. 180.", 7: "FRUS, 1952-1954, XVI, p. 312."}  # footnote lines
    assert cands.loc["6", "source"] == "randle1969geneva"
    assert cands.loc["7;8", "source"] is None or pd.isna(cands.loc["7;8", "source"])  # names no work of the case


def test_a_note_naming_no_work_keeps_the_given_source(geneva):
    reading = ingest.read_text(GENEVA / "korean.txt", case=geneva)
    cands = ingest.candidates(reading, geneva, source="zhai2000china").set_index("notes")
    assert cands.loc["6", "source"] == "randle1969geneva" and cands.loc["10", "source"] == "zhai2000china"


def test_family_name_first_names():
    assert family_name_first("Mao Zedong") and family_name_first("Chou En-lai") and family_name_first("Kim Il Sung")
    assert family_name_first("Phạm Văn Đồng") and family_name_first("Nam Il")
    assert not family_name_first("Anthony Eden") and not family_name_first("Syngman Rhee") and not family_name_first("Molotov")


def test_a_family_name_two_witnesses_share_names_neither(tmp_path, make_case):
    case = srccrit.load_case(make_case("""
        case: kims
        witnesses:
          kim-il-sung: {name: Kim Il Sung}
          kim-jong-il: {name: Kim Jong Il}
          mao-zedong: {name: Mao Zedong}
          pmf: {name: Pierre Mendès France}
        """))
    finder = NameFinder(case)
    assert finder.resolve("Kim") == (None, None)
    assert finder.resolve("Kim Jong-il") == ("kim-jong-il", "name")
    assert finder.resolve("Mao") == ("mao-zedong", "surname")
    assert finder.resolve("Mendès-France") == ("pmf", "surname")  # a compound family name
    assert finder.resolve("France") == (None, None)  # a common English word is not a family name alone


def test_the_fuzzy_threshold(geneva):
    finder = NameFinder(geneva)
    name = "Georges Bidault"
    outcomes = set()
    for spelling in ["Georges Bidaulx", "Georges Bidaut", "Georges Bixaulx", "Gorges Bdault", "Georgy Bidx"]:
        score = fuzz.ratio(fold_text(spelling), fold_text(name))
        wid, how = finder.resolve(spelling)
        assert how in (None, "fuzzy"), spelling
        assert (wid == "bidault") == (score >= FUZZY_THRESHOLD), (spelling, score)
        outcomes.add(wid)
    assert outcomes == {"bidault", None}  # both sides of the threshold were tried


def test_korean_romanisations_share_a_skeleton():
    assert korean_skeleton("Pyŏn Yŏng-t'ae") == korean_skeleton("Pyun Yung-tai") == korean_skeleton("Byeon Yeong-tae")
    assert korean_skeleton("Kim Il-sŏng") == korean_skeleton("Kim Il Sung")
    assert korean_skeleton("Kim Il Sung") != korean_skeleton("Kim Jong Il")


def test_noted_sentences_are_candidates_without_a_case():
    reading = ingest.read_text(GENEVA / "superscripts.txt")
    cands = ingest.candidates(reading)
    assert list(cands["notes"]) == ["18", "19;20", "21", "22"] and cands["witness"].isna().all()


def test_ingest_cli_writes_the_documented_columns(geneva, tmp_path, capsys):
    out = tmp_path / "candidates.csv"
    assert main(["ingest", str(GENEVA / "wade-giles.txt"), "--case", str(CASES / "geneva-1954"), "-o", str(out)]) == 0
    frame = pd.read_csv(out, dtype=str, keep_default_na=False)
    assert list(frame.columns) == ingest.CANDIDATE_COLUMNS
    assert list(frame["notes"]) == ["1", "2;3", "4", "5"]
    assert frame.loc[1, "matched_as"] == "wade-giles;surname"


def test_particles_and_articles_inside_names(make_case):
    case = srccrit.load_case(make_case("""
        case: particles
        witnesses:
          cdg: {name: Charles de Gaulle}
          husseini: {name: Hajj Amin al-Husseini}
          vdb: {name: Hendrik van den Bergh}
        """))
    finder = NameFinder(case)
    found = finder.find("Charles de Gaulle met al-Husseini, and General de Gaulle later wrote to Hendrik van den Bergh.")
    assert [(m.spelling, m.witness, m.matched_as) for m in found] == [
        ("Charles de Gaulle", "cdg", "name"), ("al-Husseini", "husseini", "surname"), ("Gaulle", "cdg", "surname"),
        ("Hendrik van den Bergh", "vdb", "name")]


def test_ranks_and_titles_are_not_names_but_a_name_that_is_also_a_title_stays():
    case = srccrit.load_case(CASES / "mukden-1931")
    found = [(m.spelling, m.witness) for m in NameFinder(case).find(
        "Colonel Itagaki Seishiro and Lieutenant Colonel Ishiwara planned it; Professor Ogata and John Major wrote later.")]
    assert found == [("Itagaki Seishiro", "itagaki"), ("Ishiwara", None), ("Ogata", "ogata"), ("John Major", None)]
