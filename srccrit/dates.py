"""The value rules of the case format: dates, numbers and text, and when two values conflict.

A date names an interval of days: ``1950`` is 1950-01-01/1950-12-31, ``1950-02`` is the whole of
February 1950, ``1940-03/1940-05`` runs from 1 March to 31 May 1940, and a trailing ``?`` marks
the date as uncertain (the interval is kept; the flag is reported). Intervals are held as
proleptic Gregorian day ordinals (``datetime.date.toordinal``), so that date and number values
share one representation: a closed range ``[low, high]``.

A number is a value with an optional tolerance: ``12``, ``12±3``, ``12 +/- 3``, ``1.5e3``.
Text is compared after folding case, accents and white space.

Two values conflict exactly when their ranges do not overlap (text: when their folds differ).
"""

from __future__ import annotations

import calendar
import math
import datetime as dt
import re
import unicodedata
from dataclasses import dataclass

__all__ = [
    "Value",
    "ValueError_",
    "parse_date",
    "parse_number",
    "parse_value",
    "fold_text",
    "spelling_key",
    "conflict",
    "format_date_interval",
]


class ValueError_(ValueError):
    """A value that does not follow the case format's syntax."""


@dataclass(frozen=True)
class Value:
    """A parsed value: a closed range ``[low, high]`` (days for dates) or a folded text."""

    type: str  # "date" | "number" | "text" | "boolean"
    written: str
    low: float | None = None
    high: float | None = None
    fold: str | None = None
    uncertain: bool = False

    def conflicts_with(self, other: "Value") -> bool:
        return conflict(self, other)

    @property
    def start(self) -> dt.date | None:
        return dt.date.fromordinal(int(self.low)) if self.type == "date" else None

    @property
    def end(self) -> dt.date | None:
        return dt.date.fromordinal(int(self.high)) if self.type == "date" else None


_DATE_RE = re.compile(r"^(\d{1,4})(?:-(\d{1,2})(?:-(\d{1,2}))?)?$")


def _point(text: str) -> tuple[int, int]:
    m = _DATE_RE.match(text)
    if not m:
        raise ValueError_(f"unparseable date {text!r} (expected YYYY, YYYY-MM or YYYY-MM-DD)")
    year = int(m.group(1))
    if year < 1:
        raise ValueError_(f"unparseable date {text!r}: year must be 1 or later")
    month = int(m.group(2)) if m.group(2) else None
    day = int(m.group(3)) if m.group(3) else None
    try:
        if month is None:
            return dt.date(year, 1, 1).toordinal(), dt.date(year, 12, 31).toordinal()
        if day is None:
            last = calendar.monthrange(year, month)[1]
            return dt.date(year, month, 1).toordinal(), dt.date(year, month, last).toordinal()
        d = dt.date(year, month, day).toordinal()
        return d, d
    except ValueError as exc:  # month 13, 30 February ...
        raise ValueError_(f"unparseable date {text!r}: {exc}") from None


def parse_date(raw: object) -> Value:
    """Parse a case-format date (or a ``datetime.date`` / year ``int`` as YAML gives them)."""
    if isinstance(raw, dt.datetime):
        raw = raw.date()
    if isinstance(raw, dt.date):
        d = raw.toordinal()
        return Value("date", raw.isoformat(), d, d)
    if isinstance(raw, bool) or raw is None:
        raise ValueError_(f"unparseable date {raw!r}")
    if isinstance(raw, float) and raw.is_integer():
        raw = int(raw)
    if isinstance(raw, int):
        raw = str(raw)
    if not isinstance(raw, str):
        raise ValueError_(f"unparseable date {raw!r}")
    try:
        return _parse_date_text(raw)
    except ValueError_:
        hint = _written_otherwise(raw.strip())
        if hint and _parses(hint.split(" ")[0]):  # (not "31 September 1931": no such day)
            raise ValueError_(f"unparseable date {raw.strip()!r} (expected YYYY, YYYY-MM or YYYY-MM-DD): write {hint}") from None
        raise


#: English month names and abbreviations, lower case -> month number (also what ``ingest`` reads)
MONTHS = {m.lower(): i for i, m in enumerate(calendar.month_name) if m} | {
    m.lower(): i for i, m in enumerate(calendar.month_abbr) if m} | {"sept": 9}
_MONTH_WORD = "(" + "|".join(sorted(MONTHS, key=len, reverse=True)) + r")\.?"


def _parses(text: str) -> bool:
    try:
        _parse_date_text(text)
    except ValueError_:
        return False
    return True


def _written_otherwise(text: str) -> str | None:
    """The case syntax for a date written the way people write dates, for the error message:
    ``18 September 1931``, ``September 18, 1931``, ``Sept. 1931``, ``18.09.1931``,
    ``1931/09/18``, ``c. 1950``, ``1950s``; None if it is none of those."""
    t = " ".join(text.lower().replace(",", " ").split())
    day_month = re.fullmatch(r"(\d{1,2})(?:st|nd|rd|th)?\s+(?:of\s+)?" + _MONTH_WORD + r"\s+(\d{4})", t)
    month_day = re.fullmatch(_MONTH_WORD + r"\s+(\d{1,2})(?:st|nd|rd|th)?\s+(\d{4})", t)
    month = re.fullmatch(_MONTH_WORD + r"\s+(\d{4})", t)
    numeric = re.fullmatch(r"(\d{1,2})\.(\d{1,2})\.(\d{4})", t)
    slashed = re.fullmatch(r"(\d{4})/(\d{1,2})/(\d{1,2})", t)
    if day_month:
        y, mo, d = int(day_month.group(3)), MONTHS[day_month.group(2)], int(day_month.group(1))
    elif month_day:
        y, mo, d = int(month_day.group(3)), MONTHS[month_day.group(1)], int(month_day.group(2))
    elif numeric:
        y, mo, d = int(numeric.group(3)), int(numeric.group(2)), int(numeric.group(1))
    elif slashed:
        y, mo, d = int(slashed.group(1)), int(slashed.group(2)), int(slashed.group(3))
        return f"{y:04d}-{mo:02d}-{d:02d} (a slash separates the two ends of an interval)"
    elif month:
        return f"{int(month.group(2)):04d}-{MONTHS[month.group(1)]:02d}"
    elif m := re.fullmatch(r"(?:c\.|ca\.?|circa|about|around)\s*(\d{4})", t):
        return f"{m.group(1)}? (an uncertain date)"
    elif m := re.fullmatch(r"(\d{3})0'?s", t):
        return f"{m.group(1)}0/{m.group(1)}9 (a decade is an interval)"
    else:
        return None
    return f"{y:04d}-{mo:02d}-{d:02d}"


def _parse_date_text(raw: str) -> Value:
    text = raw.strip()
    uncertain = text.endswith("?")
    if uncertain:
        text = text[:-1].strip()
    if not text:
        raise ValueError_(f"unparseable date {raw!r}")
    if "/" in text:
        a, _, b = text.partition("/")
        lo, _ = _point(a.strip().rstrip("?"))
        _, hi = _point(b.strip().rstrip("?"))
        uncertain = uncertain or a.strip().endswith("?") or b.strip().endswith("?")
        if hi < lo:
            raise ValueError_(f"unparseable date {raw!r}: the interval ends before it starts")
    else:
        lo, hi = _point(text)
    return Value("date", str(raw).strip(), lo, hi, uncertain=uncertain)


_NUM_RE = re.compile(
    r"^\s*([-+]?(?:\d+(?:[.,]\d*)?|\.\d+)(?:[eE][-+]?\d+)?)\s*(?:(?:±|\+/-|\+-)\s*((?:\d+(?:\.\d*)?|\.\d+)(?:[eE][-+]?\d+)?))?\s*$"
)


#: thousands grouped by commas (10,000 / 1,234,567.5), by dots with a decimal comma or two
#: groups at least (1.234.567 / 1.234,5), or by spaces (10 000, also no-break and thin spaces)
_COMMA_GROUPS = re.compile(r"^([-+]?)(\d{1,3}(?:,\d{3})+)(\.\d+)?$")
_DOT_GROUPS = re.compile(r"^([-+]?)(\d{1,3}(?:\.\d{3}){2,}|\d{1,3}(?:\.\d{3})+(?=,))(,\d+)?$")
_SPACE_IN_NUMBER = re.compile(r"(?<=\d)[ \u00a0\u202f\u2009](?=\d{3}(?!\d))")


def _ungrouped(text: str) -> str:
    """A number's thousands separators taken out: ``10,000`` -> ``10000``, ``1.234,5`` ->
    ``1234.5``, ``10 000`` -> ``10000``. A lone comma before other than three digits stays a
    decimal comma (``1,5``), and so does one dot (``1.234`` is one and a quarter, not a
    thousand: a single dot group is ambiguous, and read as the decimal point it usually is)."""
    core, sep, rest = text.strip().partition("±") if "±" in text else (text.strip(), "", "")
    core = _SPACE_IN_NUMBER.sub("", core.strip())
    m = _COMMA_GROUPS.match(core)
    if m:
        core = m.group(1) + m.group(2).replace(",", "") + (m.group(3) or "")
    else:
        m = _DOT_GROUPS.match(core)
        if m:
            core = m.group(1) + m.group(2).replace(".", "") + (m.group(3) or "").replace(",", ".")
    return core + (" " + sep + " " + rest.strip() if sep else "")


#: words that multiply a number ("1.2 million", "3 thousand", "2.5bn")
_SCALE_WORDS = {"thousand": 1e3, "k": 1e3, "million": 1e6, "millions": 1e6, "mn": 1e6, "mio": 1e6, "billion": 1e9, "bn": 1e9,
                "billions": 1e9, "trillion": 1e12, "hundred": 1e2, "thousands": 1e3,
                # German, French, Spanish, Russian; India's lakh and crore
                "tausend": 1e3, "tsd": 1e3, "millionen": 1e6, "milliarde": 1e9, "milliarden": 1e9, "mrd": 1e9, "mille": 1e3,
                "milliard": 1e9, "milliards": 1e9, "mil": 1e3, "millón": 1e6, "millones": 1e6, "тыс": 1e3, "тысяч": 1e3, "тысячи": 1e3,
                "млн": 1e6, "миллиона": 1e6, "миллионов": 1e6, "млрд": 1e9, "lakh": 1e5, "lakhs": 1e5, "crore": 1e7, "crores": 1e7,
                # Chinese and Japanese: ten thousand (万), a hundred million (亿), a thousand (千)
                "千": 1e3, "万": 1e4, "萬": 1e4, "亿": 1e8, "億": 1e8}
_NUMBER_AND_UNIT = re.compile(r"^\s*(?P<num>[-+\u2212]?[\d.,\s\u00a0\u202f\u2009]*\d(?:[eE][-+]?\d+)?)\s*"
                              r"(?:(?:±|\+/-|\+-)\s*(?P<tol>\d[\d.,]*(?:[eE][-+]?\d+)?))?\s*(?P<rest>.*?)\s*$")


_UNIT_THEN_TOLERANCE = re.compile(r"^\s*(?P<num>[-+\u2212]?\d[\d.,\u00a0\u202f\u2009]*(?: \d{3})*)\s+(?P<unit>[^\W\d][^±]*?)\s*(?:±|\+/-|\+-)\s*(?P<tol>\d[\d.,]*)\s*$|"
                                  r"^\s*(?P<num2>[-+\u2212]?\d[\d.,]*)(?P<unit2>[^\W\d][^±]*?)\s*(?:±|\+/-|\+-)\s*(?P<tol2>\d[\d.,]*)\s*$")


#: a range of two numbers: ``4000/5000`` (as a date interval is written), ``4,000–5,000``,
#: ``4000-5000``, ``22,000 to 25,000``, ``between 22,000 and 25,000``
_NUMBER_RANGE = re.compile(r"^\s*(?:between\s+)?(?P<a>[-+\u2212]?\d[^/–—]*?)\s*(?:/|–|—|(?<=[\w.])(?<![eE])-(?=\s*\d)|\s-\s|\s+(?:to|and|bis|à|a|до)\s+)\s*(?P<b>\d.*?)\s*$",
                           re.IGNORECASE)
#: words that make a number approximate ("about 30,000", "c. 4,000", "~300", "约3万"): which range
#: they mean is the case author's to say
_APPROXIMATE = re.compile(r"^\s*(?:c\.|ca\.?|circa|about|around|approx(?:\.|imately)?|some|roughly|nearly|almost|over|more\s+than|"
                          r"less\s+than|under|at\s+least|at\s+most|up\s+to|etwa|rund|ungefähr|environ|près\s+de|unos|unas|около|примерно|"
                          r"более|свыше|~|≈|约|大约|近|逾|超过|约有)\s*(?=[\d.])", re.IGNORECASE)


def parse_number(raw: object, unit: str | None = None) -> Value:
    """Parse ``12``, ``12±3``, ``12 +/- 3`` into the range ``[9, 15]``, and a range written
    ``4000/5000``, ``4,000–5,000``, ``4000-5000`` or ``22,000 to 25,000`` into ``[4000, 5000]``;
    thousands separators are read as such (``10,000``, ``10 000``, ``1.234.567``; see
    :func:`_ungrouped`). A scale word multiplies (``1.2 million``, ``3 thousand``, ``2.5bn``,
    ``1,5 Mio.``, ``3万``). ``unit`` (the proposition's ``unit``): a value may then carry a unit
    that converts to it (``12 km`` for a proposition in miles, by pint), and a bare number is in
    that unit; without one, a value with a unit is refused (``12 km`` beside ``12`` would be
    ambiguous). An approximate value ("about 30,000") is refused with the two ways to say which
    range is meant."""
    if isinstance(raw, bool) or raw is None:
        raise ValueError_(f"unparseable number {raw!r}")
    if isinstance(raw, str):
        written = raw.strip()
        approx = _APPROXIMATE.match(written)
        if approx:
            rest = written[approx.end():]
            raise ValueError_(f"number {written!r} is approximate ({approx.group(0).strip()!r}): write the range you mean, "
                              f"as {rest}±N or LOW/HIGH")
        span = _NUMBER_RANGE.match(written) if "±" not in written and "+/-" not in written else None
        if span:
            first, second = span.group("a"), span.group("b")
            words = _NUMBER_AND_UNIT.match(second)
            if words and words.group("rest") and not _NUMBER_AND_UNIT.match(first).group("rest"):
                first += " " + words.group("rest")  # "1-2 million", "3 to 4 km": the words are both numbers'
            try:
                a, b = parse_number(first, unit), parse_number(second, unit)
            except ValueError_:
                a = b = None
            if a is not None:
                if b.high < a.low:
                    raise ValueError_(f"number {written!r}: the range ends before it starts")
                return Value("number", written, a.low, b.high)
        after = _UNIT_THEN_TOLERANCE.match(raw)
        if after:  # "7.5 mi ± 0.1": the tolerance in the same unit ("3 thousand ± 100": not scaled)
            g = after.groupdict()
            words = (g["unit"] or g["unit2"]).split()
            tol = parse_number(g["tol"] or g["tol2"]).low
            if words and words[0].lower().rstrip(".") in _SCALE_WORDS:
                tol /= _SCALE_WORDS[words[0].lower().rstrip(".")]
            raw = f"{g['num'] or g['num2']} ± {tol!r} {' '.join(words)}"
        m = _NUMBER_AND_UNIT.match(raw)
        rest = m.group("rest") if m else ""
        if m and rest:
            v = _number_with_words(raw, m, unit)
            return Value("number", written, v.low, v.high)
    if isinstance(raw, (int, float)):
        try:
            v = float(raw)
        except OverflowError:
            v = math.inf
        if not math.isfinite(v):
            raise ValueError_(f"number {raw!r} is not finite")
        return Value("number", str(raw), v, v)
    m = _NUM_RE.match(_ungrouped(str(raw).replace("\u2212", "-")))
    if not m:
        raise ValueError_(f"unparseable number {raw!r} (expected e.g. 120 or 120±10)")
    v = float(m.group(1).replace(",", "."))
    tol = float(m.group(2)) if m.group(2) else 0.0
    if not (math.isfinite(v - tol) and math.isfinite(v + tol)):
        raise ValueError_(f"number {str(raw).strip()!r} is too large (not finite)")
    return Value("number", str(raw).strip(), v - tol, v + tol)


#: Latin letters that Unicode does not decompose into a base letter and a mark (Vietnamese đ,
#: Polish ł, Danish ø...): folded by hand
_UNDECOMPOSED = str.maketrans({"đ": "d", "Đ": "D", "ł": "l", "Ł": "L", "ø": "o", "Ø": "O", "ħ": "h", "Ħ": "H", "ı": "i",
                               "ß": "ss", "æ": "ae", "Æ": "Ae", "œ": "oe", "Œ": "Oe", "þ": "th", "Þ": "Th"})


def _number_with_words(raw: str, m: re.Match, unit: str | None) -> Value:
    """``12 km``, ``1.2 million``, ``3,5 thousand tonnes``, ``12±1 mi``: the number (and
    tolerance) scaled, then converted to the proposition's unit."""
    words = m.group("rest").split()
    scale = 1.0
    if words and words[0].lower().rstrip(".") in _SCALE_WORDS:
        scale = _SCALE_WORDS[words[0].lower().rstrip(".")]
        words = words[1:]
    base = parse_number(m.group("num") + (f" ± {m.group('tol')}" if m.group("tol") else ""))
    low, high = base.low * scale, base.high * scale
    if words:
        written_unit = " ".join(words)
        if unit is None:
            raise ValueError_(f"number {raw.strip()!r} has a unit ({written_unit!r}) but its proposition declares none "
                              "(give the proposition a unit: to compare values in units)")
        low, high = convert(low, written_unit, unit, raw), convert(high, written_unit, unit, raw)
    return Value("number", raw.strip(), min(low, high), max(low, high))


_UNITS = None


def unit_registry():
    """pint's unit registry, made on first use (units are rare: most cases never load it)."""
    global _UNITS
    if _UNITS is None:
        import pint

        _UNITS = pint.UnitRegistry()
    return _UNITS


#: what a unit may look like before pint reads it: names, prefixes, products and quotients,
#: single-digit powers (m^2, s**-1). pint evaluates what it parses, so ``m**(10**10**8)`` would
#: never return: such text never reaches it
_SAFE_UNIT = re.compile(r"^(?!.*(?:\*\*|\^)-?\d[\d*^])(?:[^\W\d_]|[°%µΩ'\"])[\w°%µΩ'\" /*^·.-]{0,39}$")


def _safe_unit(unit: str) -> str:
    text = str(unit).strip()
    if not _SAFE_UNIT.match(text) or re.search(r"\d{2,}", text):
        raise ValueError_(f"unknown unit {text[:60]!r} (a unit is a name such as km, kg/m^2 or mi, at most 40 characters)")
    return text


def check_unit(unit: str) -> str:
    """The unit as pint reads it; raises ``ValueError_`` for one it does not know."""
    unit = _safe_unit(unit)
    try:
        return str(unit_registry().parse_units(str(unit).strip()))
    except Exception as exc:  # pint raises several kinds (undefined unit, syntax)
        raise ValueError_(f"unknown unit {unit!r} ({exc})") from None


def convert(value: float, from_unit: str, to_unit: str, raw: str = "") -> float:
    """``value`` in ``from_unit`` expressed in ``to_unit`` (pint); a unit of another dimension
    is an error naming both."""
    ureg = unit_registry()
    from_unit = _safe_unit(from_unit)
    try:
        return float(ureg.Quantity(value, from_unit).to(to_unit).magnitude)
    except Exception as exc:
        raise ValueError_(f"number {raw.strip() or value!r}: cannot read {from_unit!r} as {to_unit!r} ({exc})") from None


def fold_text(text: object) -> str:
    """Fold case, accents and white space: 'Port  Arthur ' == 'port arthur', 'Kovalëv' == 'kovalev'."""
    s = str(text)
    if not s.isascii():  # ASCII has no accents to strip (the common case, done without a loop)
        s = unicodedata.normalize("NFKD", s.translate(_UNDECOMPOSED))
        s = "".join(ch for ch in s if not unicodedata.combining(ch))
    return " ".join(s.casefold().split())


#: words a list may join its items with or leave out ("Texas, New Mexico and Arizona" is
#: "Texas, New Mexico, Arizona"): not part of what a spelling says
JOINING_WORDS = frozenset({"and", "und", "et", "и"})


def spelling_key(fold: str) -> str:
    """What a folded text value says, its spelling aside: its words in order of the alphabet,
    punctuation and joining words ("and", "und", "et", "и") left out. Two text values with one
    key are two spellings of one value (see ``SPELLING_SUPPORT`` in :mod:`srccrit.analysis.em`)."""
    return " ".join(sorted(w for w in re.findall(r"\w+", fold) if w not in JOINING_WORDS))


def parse_value(raw: object, type_: str, unit: str | None = None) -> Value:
    """Parse a claim's value (or a conclusion's requirement) for a proposition of ``type_``
    (``unit``: a number proposition's unit, if it declares one)."""
    if type_ == "date":
        return parse_date(raw)
    if type_ == "number":
        return parse_number(raw, unit)
    if type_ == "text":
        if raw is None or (isinstance(raw, str) and not raw.strip()):
            raise ValueError_("empty text value")
        return Value("text", str(raw), fold=fold_text(raw))
    if type_ in ("time", "names") or _normalisers().is_user_type(type_):
        return _normalised(raw, type_)
    if type_ == "boolean":
        if isinstance(raw, bool):
            return Value("boolean", str(raw).lower(), float(raw), float(raw))
        text = fold_text(raw)
        if text in ("true", "yes", "affirms"):
            return Value("boolean", "true", 1.0, 1.0)
        if text in ("false", "no", "denies"):
            return Value("boolean", "false", 0.0, 0.0)
        raise ValueError_(f"expected true or false, got {raw!r}")
    raise ValueError_(f"unknown proposition type {type_!r}")


def _normalisers():
    from . import normalisers

    return normalisers


def _normalised(raw: object, type_: str) -> Value:
    """A value of a type with a normaliser (:mod:`srccrit.normalisers`): ``time`` as a range of
    minutes, ``names`` and a registered type as a key."""
    n = _normalisers()
    if raw is None or isinstance(raw, bool) or (isinstance(raw, str) and not raw.strip()):
        raise ValueError_(f"empty {type_} value")
    written = str(raw).strip()
    try:
        if type_ == "time":
            low, high = n.parse_time(written)
            return Value("time", written, low, high)
        key = n.name_list_key(written) if type_ == "names" else n.user_key(type_, written)
    except ValueError as exc:
        raise ValueError_(str(exc)) from None
    return Value(type_, written, fold=key)


def conflict(a: Value, b: Value) -> bool:
    """True when the two values cannot both be right under the case format's rules."""
    if a.fold is not None or b.fold is not None:
        return a.fold != b.fold
    return a.high < b.low or b.high < a.low


def format_date_interval(low: float, high: float) -> str:
    """Write a day range back in the shortest case-format syntax (1950, 1950-02, A/B)."""
    a, b = dt.date.fromordinal(int(low)), dt.date.fromordinal(int(high))
    if a == b:
        return a.isoformat()
    if a.month == 1 and a.day == 1 and b.month == 12 and b.day == 31 and a.year == b.year:
        return str(a.year)
    if a.day == 1 and a.year == b.year and a.month == b.month and b.day == calendar.monthrange(b.year, b.month)[1]:
        return f"{a.year:04d}-{a.month:02d}"
    return f"{a.isoformat()}/{b.isoformat()}"
