"""Reading the seed texts: notes, names, OCR repairs, attributions, boilerplate, dates, candidates."""

from pathlib import Path

import pandas as pd
import pytest

import srccrit
from srccrit import ingest
from srccrit.cli import main
from srccrit.names import russian_skeleton, same_person, wade_giles_to_pinyin

TEXTS = Path(__file__).resolve().parent / "texts"
CASES = Path(__file__).resolve().parent / "cases"
ZUBOK = TEXTS / "zubok-excerpt.txt"
PAGE = TEXTS / "uncertain-partners-page.txt"


@pytest.fixture(scope="module")
def zubok(bundled):
    return ingest.read_text(ZUBOK, case=bundled)


@pytest.fixture(scope="module")
def page(bundled):
    return ingest.read_text(PAGE, case=bundled)


def test_notes_found_and_attached_to_the_right_sentences(zubok):
    assert sorted(zubok.notes) == [124, 125, 126]
    by_note = {n: zubok.sentences[i].text for n, i in zubok.notes.items()}
    assert "But this we have already learned to live with." in by_note[124]
    assert by_note[125].startswith("\"Americans realize that the war is detrimental")
    assert "aggression from the West" in by_note[126]
    # no year or page taken as a note, and the markers are gone from the text
    assert all(1 <= n < 1000 for n in zubok.notes)
    assert "with.\"124" not in zubok.text and "Moscow.126" not in zubok.text
    assert not any(n in (1945, 1949, 1950, 1952, 1953, 47) for s in zubok.sentences for n in s.notes)


def test_no_year_or_decimal_is_a_note(bundled):
    r = ingest.read_text(text="In 1950, 12.5 tons were shipped. See p. 12 and pp. 3-4. It was 1949.\nIt rose by 3.5 percent.", case=bundled)
    assert r.notes == {}


def test_every_kim_il_sung_mention_resolves(zubok, page):
    for reading in (zubok, page):
        for s in reading.sentences:
            if "Kim" in s.text and ("Sung" in s.text or "sung" in s.text):
                assert "kim-il-sung" in s.mentions, s.text
    assert sum("kim-il-sung" in s.mentions for s in zubok.sentences) == 6


def test_ocr_repairs_listed_with_position_and_original(zubok):
    repairs = {(r.original, r.replacement, r.kind) for r in zubok.repairs}
    assert ("ifnecessary", "if necessary", "fused words") in repairs
    assert ("ofKim", "of Kim", "fused words") in repairs
    assert ("fTee", "free", "character confusion") in repairs
    assert ("Kim II Sung", "Kim Il Sung", "character confusion (name)") in repairs
    assert len(zubok.repairs) == 4  # nothing else touched: real words are left alone
    for r in zubok.repairs:
        assert zubok.original[r.start:r.end] == r.original  # reversible: positions in the original text


def test_boilerplate_dropped_and_the_five_reviews_kept(page):
    assert any("Buy Used" in d for d in page.dropped) and any("$2.61" in d for d in page.dropped)
    assert any("Pen Name" in d for d in page.dropped)
    text = page.text
    assert "Buy Used" not in text and "Rating Distribution" not in text
    witnesses = {b["witness"] for b in page.blocks}
    assert {"atlantic-monthly", "leffler", "sandstrom", "publishers-weekly", "madon"} <= witnesses


def test_madon_paragraphs_attributed_to_madon(page):
    madon = [s for s in page.sentences if s.attribution == "Michael P. Madon"]
    texts = " ".join(s.text for s in madon)
    assert "If Kovalev and Zhe truly detested one another" in texts
    assert "Russian government's release in 1995" in texts
    assert "Carlyle" in texts
    lj = [s for s in page.sentences if "three different ways to transliterate" in s.text]
    assert lj and lj[0].attribution in ("John Sandstrom", "Library Journal")
    pw = [s for s in page.sentences if "reckless warmaking" in s.text]
    assert pw and pw[0].attribution == "Publishers Weekly"


def test_dates_normalised(zubok):
    dates = {d for s in zubok.sentences for d in s.dates}
    assert {"1950-02-14", "1949-09/1949-11", "1945/1947", "1950-01-30", "1952-08", "1953-03", "1951-01"} <= dates
    assert "1950-10-01/1950-10-10" in dates  # early October, in the year the narrative has reached


@pytest.mark.parametrize("text,expected", [
    ("on February 14, 1950 it was signed", ["1950-02-14"]), ("the fall of 1949", ["1949-09/1949-11"]), ("In 1945-47, he", ["1945/1947"]),
    ("in late 1949", ["1949-09/1949-12"]), ("notes of March-April 1952", ["1952-03/1952-04"]), ("in August 1952", ["1952-08"]),
    # the day first, May, and years before 1500: a month was all that was kept of "18 September
    # 1931", "May 1953" gave the year alone, and 1453 was no year at all
    ("on 18 September 1931 a charge", ["1931-09-18"]), ("the 18th of September, 1931", ["1931-09-18"]),
    ("Constantinople fell on 29 May 1453.", ["1453-05-29"]), ("on May 29, 1453", ["1453-05-29"]), ("in May 1953", ["1953-05"]),
    ("In 1066 William landed.", ["1066"]), ("He said he may come in 1950.", ["1950"]), ("on 31 September 1931", ["1931-09"]),
    ("In 1950, on 3 May, it began; on 5 June it ended.", ["1950", "1950-05-03", "1950-06-05"]),
    ("in Sept. 1931 it began", ["1931-09"]), ("on Sept. 18, 1931", ["1931-09-18"]),
])
def test_date_phrases(text, expected):
    assert ingest.find_dates(text)[0] == expected


@pytest.mark.parametrize("sentences,language,expected", [
    # across New Year: the next year
    (["Mao reached Moscow on 16 December 1949.", "On 2 January he asked for Zhou Enlai."], "en", ["1949-12-16", "1950-01-02"]),
    (["Mao llegó a Moscú el 16 de diciembre de 1949.", "El 2 de enero pidió que viniera Zhou Enlai."], "es", ["1949-12-16", "1950-01-02"]),
    # looking back a month or two: the same year (was read as the next)
    (["Carranza refused on 14 April 1917.", "On 3 March Zimmermann had admitted it."], "en", ["1917-04-14", "1917-03-03"]),
    (["Carranza rechazó la propuesta el 14 de abril de 1917.", "El 3 de marzo Zimmermann lo había admitido."], "es", ["1917-04-14", "1917-03-03"]),
])
def test_a_day_without_a_year_takes_the_nearer_year_of_the_narrative(sentences, language, expected):
    found, context = [], None
    for sentence in sentences:
        dates, context = ingest.find_dates(sentence, context, language)
        found += dates
    assert found == expected


def test_candidates_in_the_claims_schema(bundled, page):
    cands = ingest.candidates(page, bundled, source="madonreview")
    assert {"id", "witness", "source", "locator", "quote", "date", "sentence", "notes", "mentions", "confidence"} <= set(cands.columns)
    row = cands[cands["quote"].str.contains("floated Stalin a proposal")].iloc[0]
    assert row["witness"] == "madon" and "kovalev" in row["mentions"] and "gao-gang" in row["mentions"] and "shi-zhe" in row["mentions"]
    assert cands["confidence"].between(0, 1).all()


def test_citation_report_finds_the_unnoted_change_of_mind(zubok):
    report = ingest.citation_report(zubok)
    jan30 = report[report["text"].str.startswith("But on January 30")].iloc[0]
    assert jan30["factual"] and not jan30["noted"] and jan30["unsupported"]
    assert report[report["notes"].map(len) > 0].shape[0] == 3


def test_cli_ingest_and_notes(tmp_path, capsys):
    out = tmp_path / "cands.csv"
    assert main(["ingest", str(PAGE), "--case", "data/sino-soviet-korea", "--source", "madonreview", "-o", str(out)]) == 0
    cands = pd.read_csv(out)
    assert len(cands) > 10 and set(cands["source"]) == {"madonreview"}
    assert main(["notes", str(ZUBOK), "--format", "json"]) == 0
    assert '"unsupported": true' in capsys.readouterr().out
    assert main(["ingest", str(tmp_path / "missing.txt")]) == 2


APPEND_CASE = """
    case: app
    sources: {s1: {kind: review}}
    witnesses: {madon: {name: Michael P. Madon}, kovalev: {name: Ivan V. Kovalev}}
    propositions: {p: {text: P}}
    claims: claims.csv
"""


def test_append_accepted_candidates_with_backup(make_case, tmp_path, bundled):
    path = make_case(APPEND_CASE)
    claims = path.parent / "claims.csv"
    claims.write_text("id,witness,source,proposition,stance\nc1,madon,s1,p,affirms\n", encoding="utf-8")
    reviewed = tmp_path / "reviewed.csv"
    reviewed.write_text("id,witness,source,proposition,stance,quote,accept\nc2,kovalev,s1,p,denies,\"a quote\",yes\nc3,madon,s1,p,affirms,,no\n", encoding="utf-8")
    assert main(["ingest", str(PAGE), "--append-to", str(path), "-o", str(reviewed)]) == 0
    assert (path.parent / "claims.csv.bak").read_text() == "id,witness,source,proposition,stance\nc1,madon,s1,p,affirms\n"
    assert pd.read_csv(claims)["id"].tolist() == ["c1", "c2"]
    bad = tmp_path / "bad.csv"
    bad.write_text("id,witness,source,proposition,stance,accept\nc9,nobody,s1,p,affirms,yes\n", encoding="utf-8")
    assert main(["ingest", str(PAGE), "--append-to", str(path), "-o", str(bad)]) == 2  # re-validated first
    assert pd.read_csv(claims)["id"].tolist() == ["c1", "c2"]


@pytest.mark.parametrize("wade_giles,pinyin", [("Kao Kang", "gaogang"), ("Shih Che", "shizhe"), ("Chou En-lai", "zhouenlai"), ("Mao Tse-tung", "maozedong"),
                                               ("Teng Hsiao-p'ing", "dengxiaoping"), ("Hsü Hsiang-ch’ien", "xuxiangqian"), ("Chu Teh", "zhude")])
def test_wade_giles_candidates(wade_giles, pinyin):
    assert pinyin in wade_giles_to_pinyin(wade_giles)


def test_ambiguous_wade_giles_gives_several_candidates():
    cands = wade_giles_to_pinyin("Chou")
    assert {"zhou", "chou"} <= cands  # the aspiration mark is often dropped in print
    assert {"zhude", "jude"} <= wade_giles_to_pinyin("Chu Teh")


@pytest.mark.parametrize("a,b", [("Kovalev", "Kovalyov"), ("Kovalëv", "Kowaljow"), ("Yuriy", "Yurii"), ("Tchaikovsky", "Chaikovsky")])
def test_russian_variants(a, b):
    assert russian_skeleton(a) == russian_skeleton(b)
    assert same_person(a, b)


def test_different_people_are_not_merged():
    assert not same_person("Kovalev", "Kozlov") and not same_person("Gao Gang", "Kang Sheng")


def test_html_goes_through_the_extractor(bundled, tmp_path):
    page = tmp_path / "review.html"
    page.write_text("""<html><head><title>Review</title></head><body>
<nav><a href="/">Home</a> | <a href="/cart">Cart</a> Buy Used $2.61</nav>
<article><h1>Uncertain Partners</h1>
<p>We learn from Kovalev, in an account disputed by Shih Che, that Kao Kang floated Stalin a proposal.<sup>12</sup></p>
<p>The conclusions were supported by the Russian government's release in 1995 of previously classified material.</p></article>
<footer>Terms of Use. Copyright 2024 Barnes &amp; Noble.</footer></body></html>""", encoding="utf-8")
    r = ingest.read_text(page, case=bundled)
    assert "Cart" not in r.text and "Terms of Use" not in r.text
    first = next(s for s in r.sentences if "floated Stalin" in s.text)
    assert {"kovalev", "shi-zhe", "gao-gang", "stalin"} <= set(first.mentions)  # Wade-Giles resolved


def test_names_in_chinese_characters_resolve(bundled):
    assert bundled.witness("师哲").name == "shi-zhe"
    assert bundled.witness("高岗").name == "gao-gang"
    assert bundled.witness("周恩来").name == "zhou-enlai"


# ------------------------------------------------------------------ texts in other languages

LANGUAGES = TEXTS / "languages"


@pytest.mark.parametrize("text,language", [
    ("Im April 1943 meldete das Deutsche Reich die Entdeckung von Massengräbern im Wald von Katyn.", "de"),
    ("Le 13 avril 1990, l'agence TASS reconnut que le NKVD était responsable du massacre.", "fr"),
    ("El 5 de marzo de 1940 Beria propuso a Stalin fusilar a los prisioneros polacos.", "es"),
    ("W marcu 1940 roku NKWD rozstrzelało polskich oficerów w Katyniu i w innych miejscach.", "pl"),
    ("5 марта 1940 года Берия направил Сталину записку с предложением расстрелять пленных.", "ru"),
    ("1950年2月14日，中苏两国在莫斯科签订了条约。", "zh"),
    ("1950年2月14日、モスクワで中ソ友好同盟相互援助条約が調印された。", "ja"),
    ("On 14 February 1950 the treaty was signed in Moscow by the two foreign ministers.", "en"),
    ("12345 — 67", "en"),
])
def test_the_language_of_a_text_is_told_by_its_script_and_its_commonest_words(text, language):
    from srccrit.language import detect_language

    assert detect_language(text) == language


@pytest.mark.parametrize("sentence,language,dates", [
    ("5 марта 1940 года Л. П. Берия направил Сталину записку.", "ru", ["1940-03-05"]),
    ("В марте 1959 года Шелепин сообщил Хрущёву о расстреле; в мае 1990 года об этом узнали.", "ru", ["1959-03", "1990-05"]),
    ("Erst am 13. April 1990 räumte die TASS ein, was am 05.03.1940 beschlossen war.", "de", ["1990-04-13", "1940-03-05"]),
    ("El 5 de marzo de 1940 Beria propuso fusilar a los prisioneros; en abril de 1940 empezó.", "es", ["1940-03-05", "1940-04"]),
    ("Le 13 avril 1990, l'agence TASS reconnut les faits de 1940.", "fr", ["1990-04-13", "1940"]),
    ("1950年2月14日，中苏两国签订了条约；1950年4月生效。", "zh", ["1950-02-14", "1950-04"]),
    ("W marcu 1940 roku; 30.02.1940 nie istnieje.", "pl", ["1940-03", "1940"]),
    ("Le 1er mai 1940 et le 2 septembre.", "fr", ["1940-05-01", "1940-09-02"]),  # the year carried on
    ("El 1º de mayo de 1940; 1-го мая.", "es", ["1940-05-01"]),
    ("1-го мая 1940 года.", "ru", ["1940-05-01"]),
    ("Il 25 aprile 1945 fu liberata Milano.", "it", ["1945-04-25"]),
    ("1945年8月15日、日本は降伏した。", "ja", ["1945-08-15"]),
])
def test_dates_in_other_languages_by_their_month_names(sentence, language, dates):
    assert ingest.find_dates(sentence, None, language)[0] == dates


def test_a_russian_text_gives_candidates_with_its_witnesses_and_dates(capsys, tmp_path):
    """Cyrillic sentences were skipped whole (a sentence needed a Latin letter): a Russian text
    gave no candidate at all."""
    out = tmp_path / "cands.csv"
    assert main(["ingest", str(LANGUAGES / "katyn-ru.txt"), "--case", str(CASES / "katyn-1940"), "-o", str(out)]) == 0
    assert "language: ru (detected)" in capsys.readouterr().err
    cands = pd.read_csv(out)
    got = dict(zip(cands["witness"], cands["date"]))
    assert got == {"beria": "1940-03-05", "shelepin": "1959-03", "burdenko-commission": "1944"}
    assert cands["quote"].iloc[0].startswith("5 марта 1940 года Л. П. Берия")


def test_a_german_text_keeps_a_date_with_a_full_stop_in_its_sentence_and_is_not_ocr_repaired():
    """pySBD cut "Erst am | 13. April 1990 ..." (a day taken for a numbered list)."""
    import srccrit

    reading = ingest.read_text(LANGUAGES / "katyn-de.txt", case=srccrit.load_case(CASES / "katyn-1940"))
    assert reading.language == "de" and reading.repairs == []
    texts = [s.text for s in reading.sentences]
    assert any(t.startswith("Erst am 13. April 1990 räumte die TASS ein") for t in texts)
    assert not any(t in ("Erst am", "Am") for t in texts)
    tass = next(s for s in reading.sentences if "TASS" in s.text)
    assert tass.dates == ["1990-04-13"] and tass.mentions == ["tass", "beria"]  # Berija, as German spells him
    unknown = [m.spelling for m in tass.names if m.witness is None]
    assert "Merkulow" in unknown and not {"Erst", "Verantwortung"} & set(unknown)  # German's common (capitalised) words are no names
    assert next(s for s in reading.sentences if "Pichoja" in s.text).dates == ["1992-10-14", "1940-03-05"]  # and "vom 5. März 1940"


def test_names_in_chinese_characters_are_found_inside_a_run_of_characters(bundled):
    """A run of characters was cut in pieces of four ("师哲担任"), so no name inside one was found,
    and every piece was listed as an unknown name."""
    reading = ingest.read_text(LANGUAGES / "treaty-zh.txt", case=bundled)
    assert reading.language == "zh" and reading.sentences[0].dates == ["1950-02-14"]
    second = reading.sentences[1]
    assert [(m.spelling, m.witness) for m in second.names] == [("师哲", "shi-zhe"), ("毛泽东", "mao")]
    assert not any(m.witness is None for s in reading.sentences for m in s.names)
    cands = ingest.candidates(reading, bundled)
    assert list(cands["witness"]) == ["shi-zhe"] and cands["mentions"].iloc[0] == "shi-zhe;mao"


def test_the_language_can_be_given_and_a_bad_code_is_refused(capsys, tmp_path):
    out = tmp_path / "c.csv"
    assert main(["ingest", str(LANGUAGES / "katyn-ru.txt"), "--language", "ru", "-o", str(out)]) == 0
    assert "language: ru;" in capsys.readouterr().err
    assert main(["ingest", str(LANGUAGES / "katyn-ru.txt"), "--language", "RU", "-o", str(out)]) == 0
    assert "language: ru;" in capsys.readouterr().err
    assert ingest.read_text(text="5 марта 1940 года.", language="xx").sentences[0].dates == ["1940"]  # no month names known
    assert main(["ingest", str(LANGUAGES / "katyn-ru.txt"), "--language", "Russian", "-o", str(out)]) == 2
    assert "no ISO 639-1 code" in capsys.readouterr().err
    assert main(["notes", str(LANGUAGES / "katyn-de.txt"), "--language", "de", "-f", "json"]) == 0


def test_russian_family_names_are_found_in_their_grammatical_cases():
    """Russian inflects names: "записка Шелепина", "с Берией" named no witness."""
    import srccrit
    from srccrit.mentions import NameFinder

    finder = NameFinder(srccrit.load_case(CASES / "katyn-1940"))
    for spelling, wid in [("Шелепина", "shelepin"), ("Шелепиным", "shelepin"), ("Берией", "beria"), ("Берии", "beria"),
                          ("Шелепин", "shelepin")]:
        assert finder.resolve(spelling)[0] == wid, spelling
    assert finder.resolve("Шелепина")[1] == "inflected"
    assert finder.resolve("Беседы") == (None, None)  # a word that only looks like a stem plus an ending
    assert finder.resolve("Бурденко") == (None, None)  # "Комиссия Бурденко" is a body: no family name of its own
    mentions = [m.witness for m in finder.find("Записка Шелепина лежала у Хрущёва; Комиссия Бурденко молчала.") if m.witness]
    assert mentions == ["shelepin", "burdenko-commission"]


def test_polish_family_names_are_found_in_their_grammatical_cases_in_a_polish_text():
    import srccrit
    from srccrit.mentions import NameFinder

    case = srccrit.load_case(CASES / "katyn-1940")
    polish, english = NameFinder(case, "pl"), NameFinder(case, "en")
    for spelling, wid in [("Czapskiego", "czapski"), ("Czapskim", "czapski"), ("Swianiewicza", "swianiewicz"), ("Berii", "beria")]:
        assert polish.resolve(spelling) == (wid, "inflected"), spelling
        assert english.resolve(spelling)[1] != "inflected"  # English does not inflect names
    assert polish.resolve("Polska") == (None, None)
    reading = ingest.read_text(text="Wspomnienia Józefa Czapskiego ukazały się w 1949 roku w Paryżu.", case=case)
    assert reading.language == "pl" and reading.sentences[0].mentions == ["czapski"] and reading.sentences[0].dates == ["1949"]


MARKDOWN_NOTES = """\
# The night at Liutiaohu

On the night of 18 September 1931 a charge exploded on the track.[^army] In 1956 Hanaya Tadashi
wrote that Colonel Itagaki Seishiro had planned it[^hanaya]. Chang Hsüeh-liang always denied that
his troops had touched the railway.[^zhang] The Lytton Commission reported in October 1932.

[^army]: Kwantung Army communiqué of 19 September 1931.
[^hanaya]: Hanaya, Manshū jihen wa kōshite keikaku sareta, Bessatsu Chisei,
    December 1956, p. 40.

    A second paragraph of the same note.
[^zhang]: Interview with NHK, 1990.

Yoshihashi and Ogata agree.[^army]
"""


def test_markdown_footnotes_are_notes_of_their_sentences():
    """A historian's Markdown (Pandoc, Zettlr, Obsidian): ``[^label]`` references numbered in
    the order of first reference, definitions with indented continuation taken out of the text."""
    case = srccrit.load_case(CASES / "mukden-1931")
    r = ingest.read_text(text=MARKDOWN_NOTES, case=case)
    assert r.note_texts == {1: "Kwantung Army communiqué of 19 September 1931.",
                            2: "Hanaya, Manshū jihen wa kōshite keikaku sareta, Bessatsu Chisei, December 1956, p. 40. "
                               "A second paragraph of the same note.",
                            3: "Interview with NHK, 1990."}
    by_sentence = {s.text: s.notes for s in r.sentences}
    assert by_sentence["On the night of 18 September 1931 a charge exploded on the track."] == [1]
    assert by_sentence["Chang Hsüeh-liang always denied that his troops had touched the railway."] == [3]
    assert by_sentence["Yoshihashi and Ogata agree."] == [1]  # a note referred to twice
    assert not any("[^" in s.text or "NHK" in s.text or "second paragraph" in s.text for s in r.sentences)
    cands = ingest.candidates(r, case, source="yoshihashi1963").set_index("quote")
    hanaya = cands.loc[next(q for q in cands.index if q.startswith("In 1956 Hanaya"))]
    # the note names the author and the title: the claim is read in Hanaya's article
    assert hanaya["source"] == "hanaya1956" and hanaya["locator"] == "n. 2"
    assert "Lytton Commission reported" in ingest.citation_report(r).query("unsupported")["text"].iloc[0]


def test_markdown_footnotes_with_numbers_keep_the_authors_numbers():
    r = ingest.read_text(text="It happened in 1931.[^7] Nobody doubts it now.[^12]\n\n[^7]: Ogata, p. 3.\n[^12]: Yoshihashi, p. 9.\n")
    assert r.note_texts == {7: "Ogata, p. 3.", 12: "Yoshihashi, p. 9."}
    assert [s.notes for s in r.sentences] == [[7], [12]]


def test_a_romanised_word_is_not_split_as_two_fused_english_words():
    # the word list knows "ji" (a name) and "hen": "jihen" (Japanese, incident) is no OCR fusion
    text, repairs = ingest.repair_ocr("The Manshu jihen began, ifnecessary, at night.")
    assert text == "The Manshu jihen began, if necessary, at night." and [r.original for r in repairs] == ["ifnecessary"]


WIKIPEDIA_COPY = """\
Mukden incident

The Mukden incident was a false flag event staged by Japanese military personnel as a pretext for the 1931 Japanese invasion of Manchuria.[1] On September 18, 1931, Lieutenant Suemori Kawamoto detonated a small quantity of dynamite close to a railway line near Mukden.[2][3] The Imperial Japanese Army accused Chinese dissidents of the act.[4] The plot was Ishiwara's.[5] As shown in [5], it was.

References

1. ^ Ferrell, Robert H. (March 1955). "The Mukden Incident: September 18-19, 1931". Journal of Modern History. 27 (1): 66-72.
2. ^ Yoshihashi, Takehiko (1963). Conspiracy at Mukden. Yale University Press.
3. ^ Ogata, Sadako N. (1964). Defiance in Manchuria. University of California Press.
4. ^ a b Hanaya, Tadashi (1956). "Manshu jihen wa koshite keikaku sareta". Bessatsu Chisei.
[5] Matsusaka, Yoshihisa Tak (2001). The Making of Japanese Manchuria. Harvard University Asia Center.
"""


def test_a_web_page_copied_as_text_keeps_its_bracketed_notes_and_references():
    """Text copied from Wikipedia or a page in a numeric citation style: markers in brackets
    ("Mukden.[2][3]", "in [5]"), a "References" section whose entries begin with the page's links
    back ("1. ^", "4. ^ a b") or a bracketed number ("[5] Matsusaka")."""
    case = srccrit.load_case(CASES / "mukden-1931")
    r = ingest.read_text(text=WIKIPEDIA_COPY, case=case)
    assert sorted(r.note_texts) == [1, 2, 3, 4, 5]
    assert r.note_texts[4].startswith("Hanaya, Tadashi (1956).") and r.note_texts[5].startswith("Matsusaka")
    notes = {s.text: s.notes for s in r.sentences}
    assert notes["The Imperial Japanese Army accused Chinese dissidents of the act."] == [4]
    assert [n for t, n in notes.items() if t.startswith("On September 18, 1931")] == [[2, 3]]
    assert notes["The plot was Ishiwara's."] == [5] and notes["As shown in [5], it was."] == []  # words, not a marker
    assert not any("References" in t or "^" in t for t in notes)  # the section is out of the text
    cands = ingest.candidates(r, case, source="ogata1964").set_index("locator")
    assert cands.at["n. 4", "source"] == "hanaya1956"  # the note names Hanaya's article


def test_tables_saved_by_a_spreadsheet_are_read_and_appended_to_as_they_are(make_case, tmp_path, capsys):
    """Excel where the decimal mark is a comma saves CSV with semicolons, a byte-order mark and
    CRLF line ends: the case reads it (errors name the right line), the reviewed candidates come
    back that way too, and the claims table is appended to in its own dialect."""
    path = make_case(APPEND_CASE)
    claims = path.parent / "claims.csv"
    claims.write_bytes("\ufeffid;witness;source;proposition;stance;via\r\nc1;madon;s1;p;affirms;\"kovalev;madon\"\r\n".encode("utf-8"))
    case = srccrit.load_case(path)
    assert case.claims["witness"].tolist() == ["madon"] and list(case.claims["via"].iloc[0]) == ["kovalev", "madon"]
    reviewed = tmp_path / "reviewed.csv"
    reviewed.write_bytes("\ufeffid;witness;source;proposition;stance;accept\r\nc2;kovalev;s1;p;denies;yes\r\n".encode("utf-8"))
    assert main(["ingest", str(PAGE), "--append-to", str(path), "-o", str(reviewed)]) == 0
    assert claims.read_bytes() == "\ufeffid;witness;source;proposition;stance;via\r\nc1;madon;s1;p;affirms;kovalev;madon\r\nc2;kovalev;s1;p;denies;\r\n".encode("utf-8").replace(b"kovalev;madon\r", b'"kovalev;madon"\r')
    assert [c["id"] for c in srccrit.load_case(path).claims.to_dict("records")] == ["c1", "c2"]
    # a bad row is named by its line
    claims.write_bytes("\ufeffid;witness;source;proposition;stance\r\nc1;madon;s1;p;affirms\r\nc2;nobody;s1;p;affirms\r\n".encode("utf-8"))
    assert main(["validate", str(path)]) == 2
    assert "claims.csv:3:" in capsys.readouterr().err


#: a page with Wikipedia's markup (navigation, citation superscripts, an ordered reference list
#: with links back); its first sentences after the article's lead (CC BY-SA 4.0)
WIKIPEDIA_HTML = """<!DOCTYPE html>
<html lang="en"><head><title>Mukden incident - Wikipedia</title></head>
<body>
<div id="mw-navigation"><ul><li><a href="/wiki/Main_Page">Main page</a></li><li><a href="/wiki/Special:Random">Random article</a></li></ul></div>
<main id="content"><h1 id="firstHeading">Mukden incident</h1>
<div id="mw-content-text"><div class="mw-parser-output">
<p>The <b>Mukden incident</b> was a false flag event staged by Japanese military personnel as a pretext for the 1931 Japanese invasion of Manchuria.<sup id="cite_ref-1" class="reference"><a href="#cite_note-1">[1]</a></sup> On 18 September 1931, Lieutenant Suemori Kawamoto detonated a small quantity of dynamite close to a railway line near Mukden.<sup id="cite_ref-2" class="reference"><a href="#cite_note-2">[2]</a></sup><sup id="cite_ref-3" class="reference"><a href="#cite_note-3">[3]</a></sup></p>
<p>The Imperial Japanese Army accused Chinese dissidents of the act.<sup id="cite_ref-hanaya_4-0" class="reference"><a href="#cite_note-hanaya-4">[4]</a></sup> In 1956 Hanaya Tadashi told how it had been planned.<sup id="cite_ref-hanaya_4-1" class="reference"><a href="#cite_note-hanaya-4">[4]</a></sup></p>
<h2><span class="mw-headline" id="References">References</span></h2>
<div class="reflist"><ol class="references">
<li id="cite_note-1"><span class="mw-cite-backlink"><b><a href="#cite_ref-1">^</a></b></span> <span class="reference-text">Ferrell, Robert H. (March 1955). "The Mukden Incident: September 18–19, 1931". <i>Journal of Modern History</i>. <b>27</b> (1): 66–72.</span></li>
<li id="cite_note-2"><span class="mw-cite-backlink"><b><a href="#cite_ref-2">^</a></b></span> <span class="reference-text">Yoshihashi, Takehiko (1963). <i>Conspiracy at Mukden</i>. Yale University Press.</span></li>
<li id="cite_note-3"><span class="mw-cite-backlink"><b><a href="#cite_ref-3">^</a></b></span> <span class="reference-text">Ogata, Sadako N. (1964). <i>Defiance in Manchuria</i>. University of California Press.</span></li>
<li id="cite_note-hanaya-4"><span class="mw-cite-backlink">^ <a href="#cite_ref-hanaya_4-0"><sup><i><b>a</b></i></sup></a> <a href="#cite_ref-hanaya_4-1"><sup><i><b>b</b></i></sup></a></span> <span class="reference-text">Hanaya, Tadashi (1956). "Manshū jihen wa kōshite keikaku sareta". <i>Bessatsu Chisei</i>.</span></li>
</ol></div>
</div></div></main>
<footer><p>This page was last edited on 1 December 2026.</p></footer>
</body></html>
"""


def test_a_web_page_keeps_its_numbered_references_as_notes(tmp_path):
    """The extractor writes list items as "- ", so a page's ordered reference list lost its
    numbers and was dropped as a navigation list: the markers [1]..[4] had no note text."""
    case = srccrit.load_case(CASES / "mukden-1931")
    page = tmp_path / "mukden.html"
    page.write_text(WIKIPEDIA_HTML, encoding="utf-8")
    r = ingest.read_text(page, case=case)
    assert sorted(r.note_texts) == [1, 2, 3, 4] and not r.dropped
    assert r.note_texts[4].startswith("Hanaya, Tadashi (1956).")
    cands = ingest.candidates(r, case, source="ogata1964")
    hanaya = cands[cands["quote"].str.startswith("In 1956 Hanaya")].iloc[0]
    # read in the work its note cites: that work's author's claim, not the page's
    assert (hanaya["witness"], hanaya["source"], hanaya["locator"]) == ("hanaya", "hanaya1956", "n. 4")
    other = cands[cands["quote"].str.startswith("The Mukden incident was")].iloc[0]  # its note cites no case source
    assert (other["witness"], other["source"]) == ("ogata", "ogata1964")
    assert not any("Main page" in s.text or "last edited" in s.text for s in r.sentences)


def test_footnotes_printed_with_superscript_numbers_are_read_as_notes():
    """A text copied from a PDF or a word processor prints its footnotes as "¹ Amtliches
    Material ...": those lines were not read as notes, so every note_text was empty, and in a
    case that names a witness in a note ("² Komunikat TASS") the note became a candidate claim."""
    import srccrit

    katyn = srccrit.load_case(CASES / "katyn-1940")
    de = ingest.read_text(LANGUAGES / "katyn-de.txt", case=katyn)
    assert de.note_texts == {1: "Amtliches Material zum Massenmord von Katyn, Berlin 1943, S. 12.", 2: "Soviet War News, 24. Januar 1944."}
    pl = ingest.candidates(ingest.read_text(LANGUAGES / "katyn-pl.txt", case=katyn), katyn)
    assert not pl["quote"].str.startswith(("¹", "²", "³")).any()  # the notes are no claims
    tass = pl[pl["quote"].str.contains("TASS")].iloc[0]
    assert tass["witness"] == "tass" and tass["note_text"] == "Komunikat TASS, 13 IV 1990." and tass["date"] == "1990-04-13"
    fr = ingest.candidates(ingest.read_text(LANGUAGES / "dreyfus-fr.txt"))
    assert fr["note_text"].tolist() == ["Rapport d'Ormescheville, 3 décembre 1894.", "É. Zola, « J'accuse… ! », L'Aurore, 13 janvier 1898.",
                                        "J.-D. Bredin, L'Affaire, Paris, Julliard, 1983."]


def test_a_texts_title_is_no_reviewer_and_a_japanese_paragraph_no_heading():
    """A short first line ("L'affaire Dreyfus") was taken for a review block's heading, so every
    sentence was "attributed" to the title; a paragraph of Japanese, with no spaces between its
    words, counted as a heading of one word, and its sentences came out as one."""
    fr = ingest.read_text(LANGUAGES / "dreyfus-fr.txt")
    assert all(s.attribution is None for s in fr.sentences) and not fr.blocks
    ja = ingest.read_text(LANGUAGES / "mukden-ja.txt")
    assert ja.language == "ja" and all(s.attribution is None for s in ja.sentences)
    texts = [s.text for s in ja.sentences]
    assert "関東軍はこれを中国軍の仕業であると発表した。" in texts and len(texts) == 5  # the title and four sentences
    assert ja.sentences[1].dates == ["1931-09-18"] and ja.note_texts[2].startswith("花谷正")
    # a review page's headings still attribute their blocks (test_boilerplate_dropped_and_the_five_reviews_kept)


def test_a_common_word_after_a_rare_one_stays_in_an_unknown_name():
    """Outside German, capitalised words common in the text's language were dropped from unknown
    names, and first names and surnames are common words too: "Hubert-Joseph Henry" was listed as
    "Hubert-Joseph" (Henry: Zipf 4.4 in French). Titles and articles before the name still go."""
    fr = ingest.read_text(LANGUAGES / "dreyfus-fr.txt", case=srccrit_case("katyn-1940"))
    unknown = {m.spelling for s in fr.sentences for m in s.names if m.witness is None}
    assert {"Hubert-Joseph Henry", "Ferdinand Walsin Esterhazy", "Zola", "Alfred Dreyfus"} <= unknown
    assert not {"D'après Zola", "Selon", "Le", "La Cour"} & unknown


@pytest.mark.parametrize("language, sentence, name", [
    ("es", "Según el general Francisco Franco, la villa había sido incendiada.", "Francisco Franco"),
    ("pl", "W 1992 roku prezydent Lech Wałęsa otrzymał dokumenty.", "Lech Wałęsa"),
    ("it", "Il 3 gennaio 1925 Benito Mussolini parlò alla Camera.", "Benito Mussolini"),
])
def test_a_name_of_common_words_inside_a_sentence_is_an_unknown_name(language, sentence, name):
    """A name all of whose words are common in the text's language (francisco 5.0 and franco
    4.5 in Spanish, lech and wałęsa over 4 in Polish) was dropped whole; two or more capitalised
    words inside a sentence are a name, and a sentence's common first word is not part of it."""
    from srccrit.mentions import NameFinder

    found = [m.spelling for m in NameFinder(srccrit_case("katyn-1940"), language).find(sentence) if m.witness is None]
    assert name in found
    assert not any(f.split()[0] in ("Según", "W", "Il") for f in found)


def srccrit_case(name: str):
    import srccrit

    return srccrit.load_case(CASES / name)


def test_dates_with_a_month_in_roman_numerals():
    """Polish, Czech or Italian sources write "15 IV 1943": only the year was read."""
    assert ingest.find_dates("Komunikat Sowinformbiura, 15 IV 1943.", None, "pl")[0] == ["1943-04-15"]
    assert ingest.find_dates("Dne 15.IV.1943 oznámilo", None, "cs")[0] == ["1943-04-15"]
    assert ingest.find_dates("dnia 5 XII 1940 r.", None, "pl")[0] == ["1940-12-05"]
    assert ingest.find_dates("dnia 5 XIII 1940", None, "pl")[0] == ["1940"]  # no thirteenth month
    assert ingest.find_dates("II wojna światowa, 1939", None, "pl")[0] == ["1939"]  # a numeral with no day is no month


PRESS_BIB = """@article{nyt1917a, title = {Zimmermann admits the note}, journal = {New York Times}, date = {1917-03-04}}
@article{nyt1917b, title = {Mexico silent}, journal = {New York Times}, date = {1917-03-10}}
@article{times1940, title = {Finland signs}, journaltitle = {The Times}, year = {1940}}
"""
PRESS_CASE = """\
case: press
sources:
  nyt1917a: {kind: newspaper, date: 1917-03-04}
  nyt1917b: {kind: newspaper, date: 1917-03-10}
  times1940: {kind: newspaper, date: 1940-03-13}
witnesses:
  w: {name: Walter Lippmann, proximity: contemporary}
propositions:
  p: {text: P}
claims:
  - {id: c1, witness: w, source: nyt1917a, proposition: p, stance: affirms}
  - {id: c2, witness: w, source: nyt1917b, proposition: p, stance: affirms}
  - {id: c3, witness: w, source: times1940, proposition: p, stance: affirms}
"""


@pytest.mark.parametrize("note,language,cited", [
    ("New York Times, 4 March 1917, p. 1.", "en", "nyt1917a"),
    ("New York Times, 4 de marzo de 1917.", "es", "nyt1917a"),
    ("Cf. the New York Times of 10 March 1917.", "en", "nyt1917b"),
    ("The Times, 13 March 1940, p. 8.", "en", "times1940"),   # the case's date where the .bib has a year only
    ("New York Times, 1917.", "en", None),                     # two issues of that year: neither
    ("New York Times, 5 March 1917.", "en", None),             # no issue of that day
    ("Le Temps, 4 mars 1917.", "fr", None),                    # another paper
])
def test_a_note_citing_a_newspaper_issue_by_its_date_names_that_source(make_case, note, language, cited):
    case = srccrit.load_case(make_case(PRESS_CASE, bib=PRESS_BIB))
    reading = ingest.read_text(case=case, text=f"On that day the note was admitted.[1]\n\nNotes\n1. {note}\n")
    reading.language = language
    assert ingest.candidates(reading, case, source="other")["source"].tolist() == [cited or "other"]


LATEX_CHAPTER = r"""\documentclass{article}
\usepackage[style=verbose]{biblatex}
\title{Notes nobody should read as text}
\begin{document}
\section{The telegram}

On 4 March 1917 the \emph{New York Times} printed the admission.\footnote{See \textit{Zimmermann
admits the note}, p.~1; the editorial of 5 March.} % a comment the reader must not see
Walter Lippmann wrote of it~\autocite[12]{nyt1917b} and \cite[see][p.~3]{times1940,nyt1917a}.
It was denied in Berlin.\footcite{nyt1917a} Keys are not markup.\cite{a_b, c&d}
\end{document}
Anything after the document is not read.
"""


def test_a_latex_chapter_gives_its_footnotes_and_citations_as_notes(make_case, tmp_path):
    """Historians who keep BibTeX write LaTeX: its footnotes and citation commands are notes (a
    citation's note holds its keys, the case's citekeys, and its page), the preamble, comments
    and what follows the document are not text, and LaTeX's markup is read as the words it prints."""
    case = srccrit.load_case(make_case(PRESS_CASE, bib=PRESS_BIB))
    path = tmp_path / "chapter.tex"
    path.write_text(LATEX_CHAPTER, encoding="utf-8")
    reading = ingest.read_text(path, case=case)
    assert reading.note_texts == {1: "See Zimmermann admits the note, p. 1; the editorial of 5 March.", 2: "nyt1917b, 12",
                                  3: "see times1940; nyt1917a, p. 3", 4: "nyt1917a", 5: "a_b; c&d"}
    assert not any(w in reading.text for w in ("Notes nobody", "comment", "Anything after", "\\emph", "~"))
    cands = ingest.candidates(reading, case, source="chapter").set_index("quote")
    admission = cands.loc["On 4 March 1917 the New York Times printed the admission."]
    assert admission["notes"] == "1" and admission["date"] == "1917-03-04"
    lippmann = cands.loc[[q for q in cands.index if q.startswith("Walter Lippmann wrote of it")][0]]
    assert lippmann["notes"] == "2;3" and lippmann["source"] == "nyt1917b"  # the first note that names a source
    assert cands.loc["It was denied in Berlin.", "source"] == "nyt1917a"


@pytest.mark.parametrize("text,message", [
    ("\\section{x} " + "{" * 20000 + "a" + "}" * 20000, "nested too deeply"),
    ("\\section{x}\n" + "Said so.\\footnote{A note.} " * 1000, "1,000 notes and citations; notes are numbered up to 999"),
])
def test_latex_the_reader_cannot_take_is_refused_with_the_file_named(tmp_path, capsys, text, message):
    path = tmp_path / "chapter.tex"
    path.write_text(text, encoding="utf-8")
    assert main(["ingest", str(path), "-o", str(tmp_path / "out.csv")]) == 2
    err = capsys.readouterr().err
    assert "chapter.tex: " in err and message in err and "Traceback" not in err
    assert not (tmp_path / "out.csv").exists()


@pytest.mark.parametrize("name", ["shizhe-zh.txt", "shizhe-zh-circled.txt"])
def test_a_chinese_text_keeps_its_notes_and_no_sentence_becomes_a_heading(bundled, name):
    """A Chinese text with its notes under 注释 (or 注), marked [1] after a full stop or ① as
    Chinese books print them: no note was read (0 notes), the note lines became candidate claims,
    and a paragraph ending in its note marker ("……分子。[2]") was taken for a block's heading,
    so every later paragraph was "attributed" to it."""
    reading = ingest.read_text(LANGUAGES / name, case=bundled)
    assert reading.language == "zh" and sorted(reading.note_texts) == [1, 2]
    assert reading.note_texts[1].startswith("师哲：《在历史巨人身边") and reading.note_texts[2].startswith("同上")
    assert all(s.attribution is None for s in reading.sentences) and not reading.blocks
    cands = ingest.candidates(reading, bundled)
    assert not cands["quote"].str.contains("中央文献出版社").any()  # the notes are no claims
    noted = cands[cands["notes"] != ""].set_index("notes")
    assert noted.at["1", "witness"] == "shi-zhe" and noted.at["2", "quote"].startswith("据师哲回忆")
    assert cands.set_index("witness").at["gao-gang", "date"] == "1949-07"


def test_a_short_paragraph_ending_in_its_note_marker_is_no_heading(tmp_path):
    text = "The report\n\nKovalev wrote a long report on the Chinese leaders for Stalin in December.\n\nShi Zhe denied it.[1]\n\n" \
           "Mao later spoke of it to Khrushchev, who repeated it in his memoirs.\n\nNotes\n[1] Shi Zhe, Memoirs, p. 437.\n"
    (tmp_path / "t.txt").write_text(text, encoding="utf-8")
    reading = ingest.read_text(tmp_path / "t.txt")
    assert all(s.attribution is None for s in reading.sentences) and reading.note_texts == {1: "Shi Zhe, Memoirs, p. 437."}


@pytest.mark.parametrize("ibid", ["Ibid., p. 5.", "Ebd., S. 5.", "Там же. С. 5.", "同上，第5页。", "Ibídem, p. 5."])
def test_ibid_in_other_languages_cites_the_work_of_the_note_before(ibid):
    assert ingest._IBID.match(ibid)
    assert not ingest._IBID.match("Idem, Memoirs, p. 5.") and not ingest._IBID.match("Ibiden Co., annual report")


def test_words_broken_at_a_lines_end_are_joined_again(bundled, tmp_path):
    """Text copied from a PDF breaks words at a line's end ("Kova-\\nlev", "Febru-\\nary"): the
    quote read "According to Kova- lev" and the date was lost. A compound keeps its hyphen."""
    text = ("In December 1949 Mao Zedong travelled to Moscow. According to Kova-\nlev, Gao Gang had proposed that Manchuria\n"
            "join the Soviet Union.12 The well-\nknown Sino-\nSoviet treaty was signed on 14 Febru-\nary 1950.\n\n"
            "12 I. V. Kovalev, \"Dialog Stalina s Mao Tszedunom,\" Problemy Dal'nego Vostoka 6 (1991): 83.\n")
    (tmp_path / "p.txt").write_text(text, encoding="utf-8")
    reading = ingest.read_text(tmp_path / "p.txt", case=bundled)
    texts = [s.text for s in reading.sentences]
    assert "According to Kovalev, Gao Gang had proposed that Manchuria join the Soviet Union." in texts
    treaty = next(s for s in reading.sentences if "treaty" in s.text)
    assert "The well-known Sino-Soviet treaty was signed on 14 February 1950." == treaty.text and treaty.dates == ["1950-02-14"]
    assert {(r.original, r.replacement) for r in reading.repairs if r.kind == "line-break hyphen"} >= {
        ("Kova-\nlev", "Kovalev"), ("Febru-\nary", "February"), ("well-\nknown", "well-known"), ("Sino-\nSoviet", "Sino-Soviet")}
    # in German too (wordfreq's German list): "Machter-\ngreifung" is one word
    de = tmp_path / "de.txt"
    de.write_text("Die Machter-\ngreifung der Nationalsozialisten begann am 30. Januar 1933 in Berlin, und der Reichstag brannte im Februar.\n",
                  encoding="utf-8")
    assert "Machtergreifung" in ingest.read_text(de).sentences[0].text


def test_a_text_with_pages_gives_page_locators_without_its_running_heads(bundled, tmp_path):
    """Text from a PDF (pdftotext: form feeds between pages) carries running heads and page
    numbers: they became sentences of their own, a sentence broken by a page break became two
    (the second "attributed" to whoever it names), and a candidate's locator was a paragraph
    number where a historian cites the printed page."""
    pages = [
        "84 UNCERTAIN PARTNERS\n\nIn December 1949 Mao Zedong travelled to Moscow, where Stalin kept him waiting for\n"
        "weeks. According to Kovalev, Gao Gang had proposed that Manchuria join the Soviet\nUnion.12\n\n"
        "12 I. V. Kovalev, \"Dialog Stalina s Mao Tszedunom,\" Problemy Dal'nego Vostoka 6 (1991): 83.\n",
        "THE TREATY\t85\n\nShi Zhe, Mao's interpreter, denied this in his memoirs. The treaty was signed\n"
        "on 14 February 1950 after long nego-\n",
        "86 UNCERTAIN PARTNERS\n\ntiations between Zhou Enlai and Vyshinsky, which Kovalev attended as\n",
        "THE TREATY\t87\n\nStalin's envoy. Khrushchev later wrote that Stalin distrusted Mao.\n",
        "88 A HEAD PRINTED ONCE\n\nKim Il Sung came to Moscow in April 1950.\n",  # its number is the page's, counted
    ]
    (tmp_path / "book.txt").write_text("\f".join(pages) + "\f", encoding="utf-8")
    reading = ingest.read_text(tmp_path / "book.txt", case=bundled)
    got = [(s.page, s.text) for s in reading.sentences]
    assert got[:3] == [("84", "In December 1949 Mao Zedong travelled to Moscow, where Stalin kept him waiting for weeks."),
                       ("84", "According to Kovalev, Gao Gang had proposed that Manchuria join the Soviet Union."),
                       ("85", "Shi Zhe, Mao's interpreter, denied this in his memoirs.")]
    treaty = got[3]
    assert treaty[0] == "85" and " ".join(treaty[1].split()) == (
        "The treaty was signed on 14 February 1950 after long negotiations between Zhou Enlai and Vyshinsky, "
        "which Kovalev attended as Stalin's envoy.")
    assert got[4] == ("87", "Khrushchev later wrote that Stalin distrusted Mao.")
    assert got[5] == ("88", "Kim Il Sung came to Moscow in April 1950.") and len(got) == 6
    assert reading.note_texts[12].startswith("I. V. Kovalev")
    cands = ingest.candidates(reading, bundled).set_index("quote")
    assert cands.at["According to Kovalev, Gao Gang had proposed that Manchuria join the Soviet Union.", "locator"] == "p. 84, n. 12"
    assert cands.at["Shi Zhe, Mao's interpreter, denied this in his memoirs.", "locator"] == "p. 85"
    # a text without pages keeps its paragraph locators
    (tmp_path / "plain.txt").write_text(pages[1].split("\n\n", 1)[1], encoding="utf-8")
    assert ingest.candidates(ingest.read_text(tmp_path / "plain.txt", case=bundled), bundled)["locator"].str.startswith("para.").all()


def _pdf(path, pages, text=True):
    """A PDF with these pages of text (matplotlib's PDF backend, TrueType fonts: a text layer),
    or, with ``text`` False, with a drawing only (as a scan has no text layer)."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    from matplotlib.backends.backend_pdf import PdfPages

    with plt.rc_context({"pdf.fonttype": 42}), PdfPages(path) as pdf:
        for page in pages:
            fig = plt.figure(figsize=(6, 8))
            if text:
                fig.text(0.08, 0.95, page, va="top", fontsize=9)
            else:
                ax = fig.add_axes([0.1, 0.1, 0.8, 0.8])
                ax.plot([0, 1], [1, 0])
                ax.set_axis_off()  # no tick labels: no text at all
            pdf.savefig(fig)
            plt.close(fig)


def test_a_pdf_is_read_by_its_text_layer_page_by_page(bundled, tmp_path, capsys):
    """`srccrit ingest book.pdf` failed as a text that is not UTF-8: a PDF is read by pypdf, page
    by page, and gives page locators; a scan without text and a damaged file are clear errors."""
    _pdf(tmp_path / "book.pdf", [
        "84 UNCERTAIN PARTNERS\n\nIn December 1949 Mao Zedong travelled to Moscow.\nAccording to Kovalev, Gao Gang had proposed that\n"
        "Manchuria join the Soviet Union.",
        "THE TREATY 85\n\nShi Zhe, Mao's interpreter, denied this in his memoirs,\npublished in 1991.\n\n85",
        "86 UNCERTAIN PARTNERS\n\nThe treaty was signed on 14 Febru-\nary 1950.",
    ])
    reading = ingest.read_text(tmp_path / "book.pdf", case=bundled)
    pages = {s.text: s.page for s in reading.sentences}
    assert pages["According to Kovalev, Gao Gang had proposed that Manchuria join the Soviet Union."] == "84"
    assert pages["Shi Zhe, Mao's interpreter, denied this in his memoirs, published in 1991."] == "85"
    assert pages["The treaty was signed on 14 February 1950."] == "86"
    assert not any("UNCERTAIN" in t or "TREATY 85" in t for t in pages)
    out = tmp_path / "cands.csv"
    assert main(["ingest", str(tmp_path / "book.pdf"), "--case", str(bundled.path), "-o", str(out)]) == 0
    assert "p. 85" in set(pd.read_csv(out)["locator"])
    _pdf(tmp_path / "scan.pdf", ["x"], text=False)
    (tmp_path / "broken.pdf").write_bytes(b"%PDF-1.7\n1 0 obj << /Type /Catalog >> garbage")
    capsys.readouterr()
    for name, words in (("scan.pdf", "no text layer"), ("broken.pdf", "cannot read this PDF")):
        assert main(["ingest", str(tmp_path / name)]) == 2
        err = capsys.readouterr().err
        assert name in err and words in err


def _docx(path, paragraphs, footnotes, endnotes=None, strict=False):
    """A Word document as Word writes one (the parts the reader needs, in Word's XML): each
    paragraph a list of runs, a run text or ("fn", id) / ("en", id) for a note reference or
    ("del", text) for a tracked deletion; ``footnotes``/``endnotes``: id -> text."""
    import zipfile

    w = 'xmlns:w="http://purl.oclc.org/ooxml/wordprocessingml/main"' if strict else \
        'xmlns:w="http://schemas.openxmlformats.org/wordprocessingml/2006/main"'

    def run(item):
        if isinstance(item, tuple) and item[0] in ("fn", "en"):
            tag = "footnoteReference" if item[0] == "fn" else "endnoteReference"
            return f'<w:r><w:rPr><w:rStyle w:val="FootnoteReference"/></w:rPr><w:{tag} w:id="{item[1]}"/></w:r>'
        if isinstance(item, tuple) and item[0] == "del":
            return f'<w:del w:id="9" w:author="A"><w:r><w:delText>{item[1]}</w:delText></w:r></w:del>'
        return f'<w:r><w:t xml:space="preserve">{item}</w:t></w:r>'

    body = "".join(f"<w:p>{''.join(map(run, p))}</w:p>" for p in paragraphs)
    notes = lambda kind, items: (f'<?xml version="1.0" encoding="UTF-8" standalone="yes"?><w:{kind}s {w}>'  # noqa: E731
                                 f'<w:{kind} w:type="separator" w:id="-1"><w:p><w:r><w:separator/></w:r></w:p></w:{kind}>'
                                 f'<w:{kind} w:type="continuationSeparator" w:id="0"><w:p><w:r><w:continuationSeparator/></w:r></w:p></w:{kind}>'
                                 + "".join(f'<w:{kind} w:id="{i}"><w:p><w:r><w:{kind}Ref/></w:r><w:r><w:t xml:space="preserve"> {t}</w:t></w:r></w:p></w:{kind}>'
                                           for i, t in items.items()) + f"</w:{kind}s>")
    with zipfile.ZipFile(path, "w") as z:
        z.writestr("[Content_Types].xml", '<?xml version="1.0"?><Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types"/>')
        z.writestr("word/document.xml", f'<?xml version="1.0" encoding="UTF-8" standalone="yes"?><w:document {w}><w:body>{body}</w:body></w:document>')
        z.writestr("word/footnotes.xml", notes("footnote", footnotes))
        if endnotes:
            z.writestr("word/endnotes.xml", notes("endnote", endnotes))


def test_a_word_document_keeps_its_footnotes(bundled, tmp_path, capsys):
    """A draft chapter in Word (.docx) failed as a text that is not UTF-8; `srccrit notes` is for
    drafts. Its footnotes are read as Word numbers them (by the order of their references, not
    Word's internal ids), endnotes after them, and tracked deletions are left out."""
    _docx(tmp_path / "chapter.docx", [
        ["In December 1949 Mao Zedong travelled to Moscow."],
        ["According to Kovalev, Gao Gang had ", ("del", "never "), "proposed that Manchuria join the Soviet Union.", ("fn", 7)],
        ["Shi Zhe, Mao's interpreter, denied this in his memoirs.", ("fn", 3), " The treaty was signed on 14 February 1950.", ("en", 1)],
        ["Khrushchev later wrote that Stalin distrusted Mao."],
    ], footnotes={3: "Shi Zhe, Zai lishi juren shenbian (Beijing, 1991), 434.", 7: "Kovalev, \"Dialog Stalina s Mao\", 83."},
        endnotes={1: "Treaty text in Pravda, 15 February 1950."})
    reading = ingest.read_text(tmp_path / "chapter.docx", case=bundled)
    assert reading.note_texts == {1: "Kovalev, \"Dialog Stalina s Mao\", 83.", 2: "Shi Zhe, Zai lishi juren shenbian (Beijing, 1991), 434.",
                                  3: "Treaty text in Pravda, 15 February 1950."}
    by_text = {s.text: s.notes for s in reading.sentences}
    assert by_text["According to Kovalev, Gao Gang had proposed that Manchuria join the Soviet Union."] == [1]
    assert by_text["Shi Zhe, Mao's interpreter, denied this in his memoirs."] == [2]
    assert by_text["The treaty was signed on 14 February 1950."] == [3]
    assert main(["notes", str(tmp_path / "chapter.docx"), "--format", "json"]) == 0
    report = __import__("json").loads(capsys.readouterr().out)
    unsupported = [r["text"] for r in report if r["unsupported"]]  # factual, and no note
    assert "In December 1949 Mao Zedong travelled to Moscow." in unsupported and not any("Gao Gang" in t for t in unsupported)
    (tmp_path / "other.docx").write_bytes(b"PK\x03\x04 not really a zip")
    assert main(["ingest", str(tmp_path / "other.docx")]) == 2
    assert "cannot read this Word document" in capsys.readouterr().err


def test_an_opendocument_text_keeps_its_notes(bundled, tmp_path):
    """A chapter written in LibreOffice (.odt): its notes stand where they are cited (text:note);
    they are read as Markdown footnotes numbered in order, tracked deletions left out."""
    import zipfile

    ns = ('xmlns:office="urn:oasis:names:tc:opendocument:xmlns:office:1.0" '
          'xmlns:text="urn:oasis:names:tc:opendocument:xmlns:text:1.0"')

    def note(i, body):
        return (f'<text:note text:id="ftn{i}" text:note-class="footnote"><text:note-citation>{i}</text:note-citation>'
                f'<text:note-body><text:p text:style-name="Footnote">{body}</text:p></text:note-body></text:note>')

    content = (f'<?xml version="1.0" encoding="UTF-8"?><office:document-content {ns}><office:body><office:text>'
               '<text:tracked-changes><text:changed-region text:id="c1"><text:deletion><text:p>Deleted words.</text:p>'
               '</text:deletion></text:changed-region></text:tracked-changes>'
               '<text:h text:outline-level="1">The Moscow talks</text:h>'
               '<text:p>In December 1949 Mao Zedong travelled to Moscow.</text:p>'
               f'<text:p>According to Kovalev, Gao Gang had proposed that Manchuria join the Soviet Union.{note(1, "Kovalev, 83.")}'
               f' Shi Zhe,<text:s/>Mao\'s interpreter, denied this.{note(2, "Shi Zhe, Memoirs, 434.")}</text:p>'
               '</office:text></office:body></office:document-content>')
    with zipfile.ZipFile(tmp_path / "chapter.odt", "w") as z:
        z.writestr("mimetype", "application/vnd.oasis.opendocument.text")
        z.writestr("content.xml", content)
    reading = ingest.read_text(tmp_path / "chapter.odt", case=bundled)
    assert reading.note_texts == {1: "Kovalev, 83.", 2: "Shi Zhe, Memoirs, 434."}
    by_text = {s.text: s.notes for s in reading.sentences}
    assert by_text["According to Kovalev, Gao Gang had proposed that Manchuria join the Soviet Union."] == [1]
    assert by_text["Shi Zhe, Mao's interpreter, denied this."] == [2]
    assert not any("Deleted" in t for t in by_text)


def test_a_strict_open_xml_word_document_is_read_too(tmp_path):
    """Word's "Strict Open XML" format names its elements in another namespace: such a document
    gave no sentence at all (found on docx2python's test file strict.docx)."""
    _docx(tmp_path / "strict.docx", [["Shi Zhe denied it in 1991.", ("fn", 2)]], footnotes={2: "Shi Zhe, Memoirs, 434."}, strict=True)
    reading = ingest.read_text(tmp_path / "strict.docx")
    assert [(s.text, s.notes) for s in reading.sentences] == [("Shi Zhe denied it in 1991.", [1])]
    assert reading.note_texts == {1: "Shi Zhe, Memoirs, 434."}
