import datetime as dt

import pytest

import srccrit

from srccrit.dates import ValueError_, conflict, fold_text, format_date_interval, parse_date, parse_number, parse_value


@pytest.mark.parametrize("text,start,end", [
    ("1950", dt.date(1950, 1, 1), dt.date(1950, 12, 31)),
    ("1950-02", dt.date(1950, 2, 1), dt.date(1950, 2, 28)),
    ("1952-02", dt.date(1952, 2, 1), dt.date(1952, 2, 29)),
    ("1950-01-30", dt.date(1950, 1, 30), dt.date(1950, 1, 30)),
    ("1940-03/1940-05", dt.date(1940, 3, 1), dt.date(1940, 5, 31)),
    ("1949/1950-06-25", dt.date(1949, 1, 1), dt.date(1950, 6, 25)),
])
def test_dates_name_intervals_of_days(text, start, end):
    v = parse_date(text)
    assert (v.start, v.end) == (start, end)
    assert not v.uncertain


def test_uncertain_date_keeps_interval_and_flags_it():
    v = parse_date("1995?")
    assert v.uncertain and v.start == dt.date(1995, 1, 1) and v.end == dt.date(1995, 12, 31)


def test_yaml_native_values_are_accepted():
    assert parse_date(dt.date(1950, 1, 30)).start == dt.date(1950, 1, 30)
    assert parse_date(1993).end == dt.date(1993, 12, 31)


@pytest.mark.parametrize("bad", ["1950-13", "1950-02-30", "January 1950", "", "1951/1950", "19x0", True, None])
def test_bad_dates_are_errors(bad):
    with pytest.raises(ValueError_):
        parse_date(bad)


def test_date_conflict_only_when_intervals_do_not_overlap():
    assert not conflict(parse_date("1950"), parse_date("1950-01-30"))
    assert not conflict(parse_date("1949-10/1950-06"), parse_date("1950-01"))
    assert conflict(parse_date("1950-01-01/1950-01-10"), parse_date("1950-01-22"))


@pytest.mark.parametrize("text,low,high", [("120", 120, 120), ("120±10", 110, 130), ("120 +/- 10", 110, 130), ("1.5e3", 1500, 1500), ("−5", -5, -5)])
def test_numbers_with_tolerance(text, low, high):
    v = parse_number(text)
    assert (v.low, v.high) == (low, high)


def test_number_conflicts_when_ranges_do_not_overlap():
    assert not conflict(parse_number("120±10"), parse_number("125"))
    assert conflict(parse_number("120±10"), parse_number("131"))
    with pytest.raises(ValueError_):
        parse_number("many")


def test_text_folding_case_accents_and_space():
    assert fold_text("  Kovalëv\tSAID ") == "kovalev said"
    assert not conflict(parse_value("Port  Arthur", "text"), parse_value("port arthur", "text"))
    assert conflict(parse_value("Port Arthur", "text"), parse_value("Dalian", "text"))


def test_format_date_interval_round_trips():
    for text in ["1950", "1950-02", "1950-01-30", "1950-01-22/1950-01-24"]:
        v = parse_date(text)
        assert format_date_interval(v.low, v.high) == text


@pytest.mark.parametrize("written, value", [
    ("10,000", 10_000), ("1,234,567.5", 1_234_567.5), ("10 000", 10_000), ("10\u202f000", 10_000), ("10\u00a0000", 10_000),
    ("1.234.567", 1_234_567), ("1.234,5", 1234.5), ("-10,000", -10_000),
    # a lone comma before other than three digits is a decimal comma; one dot is a decimal point
    ("1,5", 1.5), ("1.234", 1.234), ("12,50", 12.5),
])
def test_numbers_with_thousands_separators(written, value):
    v = parse_number(written)
    assert v.low == v.high == pytest.approx(value)


def test_thousands_separators_keep_the_tolerance():
    v = parse_number("10,000 ± 500")
    assert (v.low, v.high) == (9_500, 10_500)
    v = parse_number("1 000 +/- 50")
    assert (v.low, v.high) == (950, 1_050)


@pytest.mark.parametrize("written, value", [("1.2 million", 1_200_000), ("3 thousand", 3_000), ("2.5bn", 2.5e9), ("1,5 thousand", 1_500),
                                            ("10,000", 10_000)])
def test_numbers_with_scale_words(written, value):
    v = parse_number(written)
    assert v.low == v.high == pytest.approx(value)


def test_numbers_with_units_convert_to_their_propositions_unit():
    assert parse_number("12 km", "km").low == 12
    assert parse_number("12000 m", "km").low == pytest.approx(12)
    v = parse_number("7.456 mi±0.01", "km")  # the tolerance in the value's own unit
    assert v.low < 12 < v.high and v.written == "7.456 mi±0.01"
    assert parse_number("12", "km").low == 12  # a bare number is in the proposition's unit
    assert parse_number("3 thousand ± 100").low == 2_900  # a tolerance after a scale word is not scaled
    with pytest.raises(ValueError_, match="declares none"):
        parse_number("12 km")  # ambiguous beside a bare 12: the proposition must say its unit
    with pytest.raises(ValueError_, match="cannot read 'kg' as"):
        parse_number("12 kg", "km")


UNITS_CASE = """
    case: units
    sources:
      s1: {kind: report, author: a}
      s2: {kind: report, author: b}
      s3: {kind: report, author: c}
    witnesses:
      a: {name: A}
      b: {name: B}
      c: {name: C}
    propositions:
      dist: {text: How far the column marched, type: number, unit: km}
    conclusions:
      far: {text: Twelve kilometres, rests_on: {dist: "12 km"}}
    claims:
      - {id: c1, source: s1, proposition: dist, value: "12 km"}
      - {id: c2, source: s2, proposition: dist, value: "7.456 mi ± 0.01"}
      - {id: c3, source: s3, proposition: dist, value: "12,000 m"}
"""


def test_a_case_with_a_unit_compares_values_in_it(make_case):
    case = srccrit.load_case(make_case(UNITS_CASE))
    assert srccrit.contradictions(case).empty  # one side: every value is twelve kilometres
    assert srccrit.support(case).at["far", "probability"] > 0.9


def test_an_unknown_unit_or_a_unit_on_a_non_number_is_an_error_naming_the_line(make_case):
    with pytest.raises(srccrit.CaseError) as info:
        srccrit.load_case(make_case(UNITS_CASE.replace("unit: km", "unit: kilometrez")))
    assert "unknown unit 'kilometrez'" in str(info.value) and "case.yaml:" in str(info.value)
    with pytest.raises(srccrit.CaseError) as info:
        srccrit.load_case(make_case(UNITS_CASE.replace('value: "12,000 m"', 'value: "12 kg"')))
    assert "cannot read 'kg' as" in str(info.value)


@pytest.mark.parametrize("unit", ["m**(10**10**8)", "10**10**8 m", "m**10**10**8", "m" + "*m" * 100_000, "m^9^9^9"])
def test_a_hostile_unit_is_refused_before_the_unit_library_evaluates_it(unit):
    """pint evaluates what it parses: an exponent tower in a case file would never return.
    Such text is refused by its shape, at once, as an unknown unit."""
    from srccrit.dates import check_unit

    with pytest.raises(ValueError_, match="unknown unit"):
        check_unit(unit)
    with pytest.raises(ValueError_):  # as a value's unit too (or as no number at all)
        parse_number(f"12 {unit}", "km")


def test_a_case_before_1677_runs_through_every_command(make_case, tmp_path, capsys):
    """pandas' nanosecond timestamps end in 1677: a chronicle of 1453 made the timeline, its
    chart and the report fail (an internal error). Dates are days in seconds everywhere."""
    import json

    from srccrit.cli import main

    path = make_case("""
        case: constantinople
        sources: {s1: {kind: memoir, date: "1477", available: "1490"}, s2: {kind: diary, date: "1453-06", author: w2}}
        witnesses: {w: {name: A chronicler}, w2: {name: A diarist}}
        propositions: {p: {text: The walls were breached at the Kerkoporta, date: "1453-05-29"}, q: {text: When the city fell, type: date}}
        conclusions: {c1: {text: It fell on 29 May, rests_on: {q: "1453-05-29"}}, c2: {text: Breached there, rests_on: {p: true}}}
        claims:
          - {id: c, witness: w, source: s1, proposition: p, stance: affirms}
          - {id: c2, witness: w, source: s1, proposition: q, value: "1453-05-29"}
          - {id: c3, witness: w2, source: s2, proposition: q, value: "1453-05-29"}
    """, bib="@misc{s1, title={Chronicle}, year={1477}}\n@misc{s2, title={Diary}, year={1453}}\n")
    assert main(["timeline", str(path), "--format", "json"]) == 0
    steps = json.loads(capsys.readouterr().out)
    assert [(s["as_of"], s["date"]) for s in steps if s["conclusion"] == "c1"] == [("prior", None), ("1453-06", "1453-06-30"), ("1490", "1490-12-31")]
    assert main(["testimonies", str(path), "--format", "json"]) == 0
    delays = {t["claim"]: t["delay"] for t in json.loads(capsys.readouterr().out)}
    assert round(delays["c"]) == 24  # the chronicle, 24 years after the fall
    assert main(["support", str(path), "--as-of", "1460", "--format", "json"]) == 0
    assert main(["chart", str(path), "-o", str(tmp_path / "charts")]) == 0
    assert (tmp_path / "charts" / "timeline.png").stat().st_size > 0


@pytest.mark.parametrize("written, hint", [
    ("18 September 1931", "write 1931-09-18"), ("September 18, 1931", "write 1931-09-18"), ("Sept. 1931", "write 1931-09"),
    ("18.09.1931", "write 1931-09-18"), ("1931/09/18", "write 1931-09-18 (a slash separates the two ends of an interval)"),
    ("c. 1950", "write 1950? (an uncertain date)"), ("1950s", "write 1950/1959 (a decade is an interval)"),
])
def test_a_date_written_as_people_write_dates_is_an_error_that_says_how_to_write_it(written, hint):
    with pytest.raises(ValueError_) as err:
        parse_date(written)
    assert str(err.value) == f"unparseable date {written!r} (expected YYYY, YYYY-MM or YYYY-MM-DD): {hint}"


@pytest.mark.parametrize("written", ["31 September 1931", "banana", "1931-02-30"])
def test_no_hint_where_there_is_no_such_date(written):
    with pytest.raises(ValueError_) as err:
        parse_date(written)
    assert "write" not in str(err.value)


@pytest.mark.parametrize("written, low, high", [
    ("4000/5000", 4000, 5000), ("4000 / 5000", 4000, 5000), ("4,000–5,000", 4000, 5000), ("4000-5000", 4000, 5000),
    ("22,000 to 25,000", 22_000, 25_000), ("between 22,000 and 25,000", 22_000, 25_000), ("1-2 million", 1e6, 2e6),
    ("3-4万", 30_000, 40_000), ("3万-4万", 30_000, 40_000), ("2 to 3 млн", 2e6, 3e6), ("-5-3", -5, 3), ("2e5-3e5", 2e5, 3e5),
])
def test_a_range_of_numbers_is_read_as_the_range(written, low, high):
    """Casualty figures are given as ranges ("4,000–5,000 killed"): they were refused with a
    misleading message ("has a unit ('–5,000')")."""
    v = parse_number(written)
    assert (v.low, v.high) == (pytest.approx(low), pytest.approx(high)) and v.written == written
    assert not conflict(v, parse_number(str(int(high))))


def test_a_range_in_a_unit_and_a_range_the_wrong_way_round():
    assert (parse_number("12 km-15 km", "km").low, parse_number("12 km-15 km", "km").high) == (12, 15)
    with pytest.raises(ValueError_, match="ends before it starts"):
        parse_number("5000-4000")
    assert parse_number("1e-5").low == pytest.approx(1e-5) and parse_number("-5").low == -5  # no range


@pytest.mark.parametrize("written, value", [("3万", 30_000), ("1.5亿", 1.5e8), ("2 lakh", 2e5), ("1 crore", 1e7), ("30 mil", 30_000),
                                            ("2 Milliarden", 2e9), ("5 тыс.", 5_000), ("1,5 Mio.", 1.5e6)])
def test_scale_words_in_other_languages(written, value):
    assert parse_number(written).low == pytest.approx(value)


@pytest.mark.parametrize("written", ["about 30,000", "c. 4,000", "~300", "约3万", "at least 4,000", "около 5000", "etwa 200"])
def test_an_approximate_number_is_refused_with_the_ways_to_say_it(written):
    with pytest.raises(ValueError_, match=r"approximate .*write the range you mean, as .*±N or LOW/HIGH"):
        parse_number(written)


def test_a_number_with_one_dot_group_is_warned_about(make_case):
    """'30.000' is read as 30 (the decimal point English writes); a German author means thirty
    thousand: the case loads with a warning that says both ways to write it."""
    import srccrit

    path = make_case("""
        case: dots
        sources:
          s1: {kind: monograph, date: 1990}
          s2: {kind: monograph, date: 1991}
        witnesses:
          wa: {name: A, proximity: historian}
          wb: {name: B, proximity: historian}
        propositions:
          dead: {text: The dead, type: number}
        claims:
          - {id: k1, witness: wa, source: s1, proposition: dead, value: "30.000"}
          - {id: k2, witness: wb, source: s2, proposition: dead, value: "30.5"}
    """)
    case = srccrit.load_case(path)
    dots = [str(w) for w in case.warnings if "one dot before three digits" in str(w)]
    assert len(dots) == 1 and "'30.000' is read as 30" in dots[0] and "write 30000 or 30,000" in dots[0] and ":12:" in dots[0]
