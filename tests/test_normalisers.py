"""Value normalisers (issue 13, item 2): times of day and lists of names in their usual
spellings, a partial list's support of the fuller one, and a user's own value type."""

from __future__ import annotations

import pytest

import srccrit
from srccrit.dates import conflict, parse_value
from srccrit.normalisers import format_minutes, name_list_key, parse_time, part_of, register_value_type


@pytest.mark.parametrize("written", ["16:30", "4:30 p.m.", "4:30pm", "4:30 PM", "16h30", "16.30", "1630", "4:30 PM EST",
                                     "Thu  16:30", "4:30pDec 1", "4:30 p.m. (Estimated runway)", "Dec 1 - 4:30 PM", "16:30:00",
                                     "2011-12-01 16:30"])
def test_every_spelling_of_a_time_of_day_is_one_time(written):
    assert parse_time(written) == (990.0, 990.0)


@pytest.mark.parametrize("written, minutes", [("noon", 720), ("midnight", 0), ("12:00 a.m.", 0), ("12:30 p.m.", 750), ("4 pm", 960),
                                              ("7:16 a.m.Dec 1", 436), ("16:30:15", 990.25)])
def test_times_of_day_on_the_twelve_hour_clock(written, minutes):
    assert parse_time(written)[0] == pytest.approx(minutes)


@pytest.mark.parametrize("written", ["21.15 Uhr", "um 21.15 Uhr", "21 Uhr 15", "21:15 Uhr", "21 h 15", "à 21 h 15", "21 heures 15",
                                     "a las 21:15 horas", "alle ore 21.15", "o godz. 21.15", "в 21:15", "om 21.15 uur", "9.15 p.m.",
                                     "at 9:15 p.m."])
def test_a_time_of_day_as_other_languages_write_it(written):
    """How a German, French, Spanish, Italian, Polish, Russian or Dutch text (or a case written
    from one) gives the time: "at" and "o'clock" in those languages around the figures."""
    assert parse_time(written) == (1275.0, 1275.0)


@pytest.mark.parametrize("written, low, high", [
    ("about 9 p.m.", 1230, 1290), ("gegen 21 Uhr", 1230, 1290), ("vers 21 h", 1230, 1290), ("около 21 часа", 1230, 1290),
    ("ca. 21.15 Uhr", 1265, 1285), ("c. 9.15 p.m.", 1265, 1285), ("circa 21:15", 1265, 1285), ("about noon", 690, 750),
    ("shortly after 9 p.m.", 1260, 1290), ("kurz nach 21 Uhr", 1260, 1290), ("kurz vor 21 Uhr", 1230, 1260),
    ("shortly before midnight", 1410, 1440), ("about 21:15±2", 1273, 1277)])
def test_an_approximate_time_is_a_range(written, low, high):
    """Testimony gives times as approximate: half an hour either side of a time to the hour, ten
    minutes of one to the minute, the half hour after "shortly after"; a tolerance written out wins."""
    assert parse_time(written) == (low, high)
    assert not conflict(parse_value("about 9 p.m.", "time"), parse_value("21:14", "time"))  # an estimate agrees with the record
    assert conflict(parse_value("shortly after 9 p.m.", "time"), parse_value("20:50", "time"))


@pytest.mark.parametrize("bad", ["Not Available", "Contact Airline", "25:00", "13:00 pm", "abc", "4 5", "", "about", "um Uhr",
                                 "gegen Abend"])
def test_what_is_not_a_time_of_day_is_refused_with_the_reason(bad):
    with pytest.raises(ValueError):
        parse_time(bad)


def test_times_conflict_when_their_ranges_do_not_overlap():
    assert not conflict(parse_value("4:30 p.m.", "time"), parse_value("16:30", "time"))
    assert conflict(parse_value("4:29 p.m.", "time"), parse_value("16:30", "time"))
    assert not conflict(parse_value("16:30±5", "time"), parse_value("4:33 pm", "time"))
    assert format_minutes(990.25) == "16:30:15" and format_minutes(0) == "00:00"


HAN_KAMBER = ["Jiawei Han, Micheline Kamber", "Han, Jiawei and Kamber, Micheline", "Han, Jiawei, and Kamber, Micheline",
              "By (author) Han, Jiawei By (author) Kamber, Micheline", "Jiawei Han; Micheline Kamber", "J. Han; M. Kamber",
              "Han J, Kamber M", "Han, Jiawei; Kamber, Micheline", "Han, Jiawei, Kamber, Micheline", "Micheline Kamber & Jiawei Han",
              "Han, Jiawei/ Kamber, Micheline", "Han, Jiawei (ed.); Kamber, Micheline (ed.)", "HAN, JIAWEI; KAMBER, MICHELINE"]


@pytest.mark.parametrize("written", HAN_KAMBER)
def test_every_spelling_of_an_author_list_is_one_list(written):
    assert name_list_key(written) == "han; kamber"


@pytest.mark.parametrize("a, b", [("Kovalyov, Ivan", "I. V. Kovalev"), ("Stützle, Thomas", "Thomas Stutzle"),
                                  ("Zo&eacute; Lacroix", "Zoe Lacroix"), ("Hornick, Mark F. Marcade, Erik", "Mark Hornick; Erik Marcadé"),
                                  ("Steele, Guy, Jr.", "Guy L. Steele")])
def test_accents_entities_and_romanisations_fold(a, b):
    assert name_list_key(a) == name_list_key(b)


def test_et_al_marks_a_list_open_and_a_part_supports_the_whole():
    assert name_list_key("Han et al.") == "han; …"
    assert part_of(name_list_key("Han"), name_list_key("Han; Kamber"))
    assert part_of(name_list_key("Han et al."), name_list_key("Han; Kamber"))
    assert not part_of(name_list_key("Han; Kamber"), name_list_key("Han; Kamber"))
    assert not part_of(name_list_key("Han; Pei"), name_list_key("Han; Kamber"))
    with pytest.raises(ValueError):
        name_list_key("Not Available")


def one_source_each(witnesses: str, indent: str = "    ") -> str:
    """The sources and witnesses of a small case: witness ``a`` is the author of source ``s1``..."""
    lines = ["sources:"] + [f"  s{i}: {{kind: other, author: {w}}}" for i, w in enumerate(witnesses, 1)]
    lines += ["witnesses:"] + [f"  {w}: {{name: {w.upper()}}}" for w in witnesses]
    return "\n".join(indent + line for line in lines) + "\n"


NAMES_CASE = """
    case: names
""" + one_source_each("abcde") + """    propositions:
      authors: {text: Who wrote the book, type: names}
      left: {text: When the flight left, type: time}
    conclusions:
      both: {text: Han and Kamber wrote it, rests_on: {authors: "Kamber, M.; Han, J."}}
      half-past: {text: It left at half past four, rests_on: {left: "16:30"}}
    claims:
      - {id: c1, source: s1, proposition: authors, value: "Jiawei Han, Micheline Kamber"}
      - {id: c2, source: s2, proposition: authors, value: "Han, Jiawei and Kamber, Micheline"}
      - {id: c3, source: s3, proposition: authors, value: "Han"}
      - {id: c4, source: s4, proposition: authors, value: "HAN"}
      - {id: c5, source: s5, proposition: authors, value: "Pei, Jian"}
      - {id: c6, source: s1, proposition: left, value: "4:30 p.m."}
      - {id: c7, source: s2, proposition: left, value: "16:30"}
      - {id: c8, source: s3, proposition: left, value: "Thu 4:29 PM"}
"""


def test_a_case_with_time_and_names_propositions(make_case):
    case = srccrit.load_case(make_case(NAMES_CASE))
    sides = srccrit.contradictions(case)
    authors = sides[sides["proposition"] == "authors"]
    assert sorted(authors["lines"]) == [1, 2, 2]  # two spellings of the whole list are one side
    left = sides[sides["proposition"] == "left"]
    assert sorted(left["lines"]) == [1, 2]
    sup = srccrit.support(case)
    assert sup.at["half-past", "probability"] > 0.5


def test_a_partial_list_partly_supports_the_fuller_one(make_case):
    """Two witnesses give the whole list, two its first name only: the partial lists pass part
    of their weight to the whole list (and only to it: not to Pei's), which is more probable
    with that support than without; the partial list keeps a side of its own."""
    from srccrit.analysis.em import _posterior

    case = srccrit.load_case(make_case(NAMES_CASE))
    props = srccrit.propositions(case)
    assert name_list_key(props.at["authors", "value"]) == "han; kamber"
    est = srccrit.Reliability().fit(case)
    v = est.votes_
    item = list(v.items).index("authors")
    ev = est.evidence_[est.evidence_["proposition"] == "authors"]
    slot = {fold: v.offsets[item] + side for fold, side in zip(ev["side_fold"], ev["side"])}
    assert list(zip(*[a.tolist() for a in v.implied])) == [(slot["han"], slot["han; kamber"], 0.25)]
    with_support = est.posterior_
    v.implied = None
    without = _posterior(v, est.skills_.to_numpy(), shifts=est.kind_shifts_["shift"].to_numpy())
    assert with_support[slot["han; kamber"]] > without[slot["han; kamber"]] + 0.02
    assert with_support[slot["han"]] < without[slot["han"]]
    assert with_support[slot["han"]] > 0.01  # still a value of its own


def test_unreadable_values_fail_the_load_naming_file_and_line(make_case):
    bad = NAMES_CASE.replace('value: "16:30"}', 'value: "Contact Airline"}')
    with pytest.raises(srccrit.CaseError) as info:
        srccrit.load_case(make_case(bad))
    assert "case.yaml:" in str(info.value) and "unparseable time of day 'Contact Airline'" in str(info.value)


def test_a_users_own_value_type(make_case):
    register_value_type("isbn", lambda s: s.replace("-", "").replace(" ", "").upper())
    assert "isbn" in srccrit.value_types()
    text = NAMES_CASE.replace("type: time}", "type: isbn}").replace('"4:30 p.m."', '"0-13-110362-8"').replace('"16:30"', '"013110362 8"') \
        .replace('"Thu 4:29 PM"', '"0-201-63361-2"').replace('rests_on: {left: "16:30"}', 'rests_on: {left: "0131103628"}')
    case = srccrit.load_case(make_case(text))
    sides = srccrit.contradictions(case)
    assert sorted(sides[sides["proposition"] == "left"]["lines"]) == [1, 2]
    with pytest.raises(ValueError):
        register_value_type("names", str)
    with pytest.raises(ValueError):
        register_value_type("Bad Name", str)


def test_an_unknown_type_names_the_types_there_are(make_case):
    with pytest.raises(srccrit.CaseError) as info:
        srccrit.load_case(make_case(NAMES_CASE.replace("type: time}", "type: tmie}")))
    assert "unknown type 'tmie'" in str(info.value) and "time" in str(info.value)


def test_spellings_of_a_text_value_support_each_other(make_case):
    """Raw text, no normaliser: the same words in another order or punctuation stay another
    side (the format's conflict rule) but pass half their weight to each other, so four
    spellings of the whole list out-weigh two identical copies of a partial one, which would
    win without that support."""
    from srccrit.analysis.em import _posterior

    text = """
        case: spellings
""" + one_source_each("abcdef", "        ") + """        propositions:
          authors: {text: Who wrote the book, type: text}
        claims:
          - {id: c1, source: s1, proposition: authors, value: "Jiawei Han, Micheline Kamber"}
          - {id: c2, source: s2, proposition: authors, value: "Han, Jiawei; Kamber, Micheline"}
          - {id: c3, source: s3, proposition: authors, value: "Kamber, Micheline; Han, Jiawei"}
          - {id: c4, source: s4, proposition: authors, value: "Han"}
          - {id: c5, source: s5, proposition: authors, value: "Han"}
          - {id: c6, source: s6, proposition: authors, value: "Kamber Micheline / Han Jiawei"}
    """
    case = srccrit.load_case(make_case(text))
    assert len(srccrit.contradictions(case)) == 5  # five sides: the conflict rule is unchanged
    est = srccrit.Reliability().fit(case)
    src, dst, weight = est.votes_.implied
    assert len(src) == 12 and set(weight.tolist()) == {0.5}  # four spellings, each to the three others
    props = srccrit.propositions(case, estimator=est)
    assert props.at["authors", "value"] != "Han"
    v = est.votes_
    v.implied = None
    without = _posterior(v, est.skills_.to_numpy(), shifts=est.kind_shifts_["shift"].to_numpy())
    ev = est.evidence_
    han = v.offsets[0] + int(ev.loc[ev["claim"] == "c4", "side"].iat[0])
    assert without[han] == without[v.offsets[0]:v.offsets[0] + v.k[0]].max()


def test_any_text_is_read_or_refused_with_a_value_error():
    """Hostile input: whatever the text, a normaliser returns a key or raises ValueError (the
    loader turns that into file:line), never another exception."""
    from hypothesis import given, settings
    from hypothesis import strategies as st

    @settings(max_examples=400, deadline=None)
    @given(st.text(max_size=80))
    def check(text):
        for parse in (parse_time, name_list_key):
            try:
                parse(text)
            except ValueError:
                pass

    check()
    long = "Han, Jiawei; " * 2000 + "et al." + " 4:30 p.m." * 500
    for parse in (parse_time, name_list_key):
        try:
            parse(long)
        except ValueError:
            pass
