import datetime as dt

import pytest

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
