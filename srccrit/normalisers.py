"""Value normalisers: the proposition types beyond the case format's first four, and a hook for
a user's own.

Witnesses write the same value in many ways. A flight's departure is "4:30 p.m.", "4:30pm",
"16:30" or "Thu 16:30"; a book's authors are "Han, Jiawei and Kamber, Micheline", "Jiawei Han,
Micheline Kamber" or "J. Han; M. Kamber". Compared as text these are different values that compete
with each other, and a group of witnesses that only shares a spelling looks like corroboration.
A normaliser turns each spelling into one key; two values agree exactly when their keys do.

* ``time`` — a time of day: ``16:30``, ``4:30 p.m.``, ``4:30PM``, ``4 pm``, ``16h30``, ``16.30``,
  ``1630``, ``noon``, ``midnight``, with seconds (``16:30:15``). What is not the time is set
  aside: a note in parentheses (``6:47 p.m. (Estimated runway)``), a weekday (``Thu 19:25``), a
  day of the month (``11:33a Dec 1``), a zone abbreviation (``EST``), and the words for "at"
  and "o'clock" in German, French, Spanish, Italian, Polish, Russian and Dutch (``um 21.15 Uhr``,
  ``à 21 h 15``). An approximate time (``about 9 p.m.``, ``gegen 21 Uhr``, ``shortly after 9``)
  is a range. Held as minutes after midnight, a range like a number's (``16:30±5`` is 16:25 to
  16:35), so two times conflict when their ranges do not overlap.
* ``names`` — a list of personal names (authors, signatories, members). Order, initials and
  given names, "and"/"&"/";" or commas, "Last, First" or "First Last", "et al.", "By (author)",
  case and accents and the usual romanisations (the Russian skeleton of
  :func:`srccrit.names.russian_skeleton`, pinyin of names in Chinese characters) are folded: the
  key is the sorted surnames. A list that is a strict part of another (``Han`` beside ``Han;
  Kamber``, or any list ending "et al.") partly supports the fuller one (see
  :data:`SUBSET_SUPPORT` in :mod:`srccrit.analysis.em`), as TruthFinder's implication between
  facts does (Yin, Han and Yu, KDD 2007); it is still a value of its own, and wrong where the
  fuller list is right.

:func:`register_value_type` adds a type of one's own: a function from the written value to a key
(a string), raising :class:`ValueError` for a value it cannot read; the case's values of that type
then agree exactly when their keys are equal. It is registered for the process: register before
loading the case.
"""

from __future__ import annotations

import html
import re
from typing import Callable

from .dates import fold_text
from .errors import UsageError

__all__ = ["parse_time", "name_list_key", "register_value_type", "value_types", "format_minutes",
           "TEXT_LIKE_TYPES", "RANGE_TYPES", "LIST_SEPARATOR", "OPEN_LIST_MARK"]

#: types whose values are held as a range [low, high] and conflict when the ranges do not overlap
RANGE_TYPES = ("date", "number", "time")
#: built-in types whose values are held as a folded key and conflict when the keys differ
TEXT_LIKE_TYPES = ("text", "names")
#: between the surnames of a ``names`` key
LIST_SEPARATOR = "; "
#: the last item of the key of a list that says it is incomplete ("et al.")
OPEN_LIST_MARK = "…"

_USER_TYPES: dict[str, Callable[[str], str]] = {}
_BUILT_IN = ("boolean", "date", "number", "text", "time", "names")


def register_value_type(name: str, normalise: Callable[[str], str]) -> None:
    """Register a proposition type ``name`` whose values agree when ``normalise`` gives them the
    same key. ``normalise(written) -> str`` raises ``ValueError`` for a value it cannot read (the
    case then fails to load with that message, naming file and line). Registering a built-in type
    name is an error; registering a name again replaces its normaliser.

    >>> register_value_type("isbn", lambda s: s.replace("-", "").strip().upper())
    """
    if not isinstance(name, str) or not re.fullmatch(r"[a-z][a-z0-9_-]*", name):
        raise UsageError(f"a value type's name is lower-case letters, digits, '-' and '_', starting with a letter: {name!r}")
    if name in _BUILT_IN:
        raise UsageError(f"{name!r} is a built-in proposition type")
    if not callable(normalise):
        raise UsageError(f"the normaliser of {name!r} must be callable (a function from the written value to its key), not {normalise!r}")
    _USER_TYPES[name] = normalise


def value_types() -> tuple[str, ...]:
    """Every proposition type a case may use now: the built-in ones, then those registered."""
    return _BUILT_IN + tuple(sorted(_USER_TYPES))


def user_key(type_: str, written: str) -> str:
    """The key a registered type's normaliser gives (its errors become the value's error)."""
    key = _USER_TYPES[type_](written)
    if not isinstance(key, str):
        raise ValueError(f"the normaliser of type {type_!r} returned {type(key).__name__}, not a string")
    return key


def is_user_type(type_: str) -> bool:
    return type_ in _USER_TYPES



# --- time of day -----------------------------------------------------------------------------

_MONTHS = r"(?:jan|feb|mar|apr|may|jun|jul|aug|sep|sept|oct|nov|dec)[a-z]*\.?"
_AROUND_TIME = [
    re.compile(r"\([^)]*\)"),                                              # (Estimated runway), (-05:00)
    re.compile(r"\b\d{4}-\d{2}-\d{2}(?:t|\b)"),                            # an ISO date before the time
    re.compile(_MONTHS + r"\s*\d{1,2}(?:st|nd|rd|th)?(?:,?\s*\d{4})?"),    # Dec 1, December 1st, 2011
    re.compile(r"\b\d{1,2}(?:st|nd|rd|th)?\s+" + _MONTHS + r"(?:\s*\d{4})?"),  # 1 Dec 2011
    re.compile(r"\b(?:mon|tue|tues|wed|thu|thur|thurs|fri|sat|sun)(?:day|sday|nesday|urday|rsday)?\b\.?,?"),
    re.compile(r"\b(?:utc|gmt|z|[ecmpa][sd]t|bst|cet|cest|msk|jst)\b"),    # zone abbreviations
]
_TIME = re.compile(
    r"^(?P<h>\d{1,2})(?:\s*(?:[:.h]|hrs?)\s*(?P<m>\d{2})(?:\s*:\s*(?P<s>\d{2}(?:\.\d+)?))?)?\s*(?:h|hrs?|hours?)?\s*"
    r"(?P<ap>a\.?\s*m\.?|p\.?\s*m\.?|a|p)?\s*(?:(?:±|\+/-|\+-)\s*(?P<tol>\d+(?:\.\d+)?)\s*(?:min(?:utes?|s)?)?)?$")
_MILITARY = re.compile(r"^(?P<h>\d{2})(?P<m>\d{2})\s*(?:h|hrs?|hours?)?$")
# How testimony gives a time in words, in the languages of srccrit's texts (folded: lower case, no
# accents). An approximate time ("about 9 p.m.", "gegen 21 Uhr", "ca. 21.15", "vers 21 h") is a
# range: half an hour either side of a time given to the hour, ten minutes of one given to the
# minute; "shortly after 9" is the half hour after it, "shortly before" the half hour before.
_APPROX_WORDS = (r"about|around|approximately|approx\.?|roughly|some|c\.|ca\.?|circa|gegen|etwa|ungefahr|zirka|"
                 r"vers|environ|hacia|sobre|verso|около|примерно|ok\.|okolo|omstreeks|rond|cerca\s+de|por\s+volta\s+de")
_APPROX = re.compile(r"^(?:" + _APPROX_WORDS + r")(?:\s+|(?<=\.)(?=\d))")
_SHORTLY = re.compile(r"^(?:(?P<after>shortly\s+after|just\s+after|soon\s+after|kurz\s+nach|peu\s+apres|poco\s+despues\s+de|"
                      r"poco\s+dopo|вскоре\s+после|tuz\s+po|kort\s+na)|(?P<before>shortly\s+before|just\s+before|kurz\s+vor|"
                      r"peu\s+avant|poco\s+antes\s+de|poco\s+prima\s+(?:di|delle)|незадолго\s+до|tuz\s+przed|kort\s+voor))\s+")
# words around the time that say only "at" or "o'clock": German um/Uhr, French a/heures, Spanish
# a las/horas, Italian alle ore, Polish o godz., Russian в/часов, Dutch om/uur
_BEFORE_TIME = re.compile(r"^(?:um|a\s+las|a\s+la|a|alle\s+ore|alle|ore|o\s+godz\.?|godz\.?|o|в|om|the\s+time\s+was)\s+")
_AFTER_TIME = re.compile(r"\s*(?:uhr|uur|heures?|o'?clock|horas|hs|godz\.?|часов|часа|час|ч\.?)$")
_HOUR_WORD = re.compile(r"(\d)\s*(?:uhr|heures?|horas|godz\.?|ч\.?)\s*(\d{2})\b(?:\s*(?:min\.?|minuten|minutes))?")


def parse_time(raw: object) -> tuple[float, float]:
    """A time of day as (low, high) minutes after midnight. Raises ``ValueError`` with the reason."""
    if raw is None or isinstance(raw, bool) or not str(raw).strip():
        raise ValueError("empty time of day")
    text = fold_text(str(raw))
    for pattern in _AROUND_TIME:
        text = pattern.sub(" ", text)
    text = " ".join(text.replace(",", " ").split()).strip(" -–—@")
    text = " ".join(re.sub(r"\bat\b|^-\s+|\s+-$", " ", text).split())
    text, approx, side = _words_around_time(text)
    special = {"noon": 720.0, "midday": 720.0, "midnight": 0.0, "mittag": 720.0, "mitternacht": 0.0, "midi": 720.0, "minuit": 0.0}
    if text in special:
        return _widened(special[text], special[text], approx, side, to_the_hour=True)
    m = _TIME.match(text) if text else None
    tol = 0.0
    if m:
        h, mins = int(m.group("h")), int(m.group("m") or 0)
        secs = float(m.group("s") or 0)
        ap = (m.group("ap") or "").replace(".", "").replace(" ", "")[:1]
        tol = float(m.group("tol") or 0)
    else:
        mm = _MILITARY.match(text)
        if not mm:
            raise ValueError(f"unparseable time of day {raw!r} (expected e.g. 16:30, 4:30 p.m. or noon)")
        h, mins, secs, ap = int(mm.group("h")), int(mm.group("m")), 0.0, ""
    if m is None and not _MILITARY.match(text):
        raise ValueError(f"unparseable time of day {raw!r} (expected e.g. 16:30, 4:30 p.m. or noon)")
    if ap:
        if not 1 <= h <= 12:
            raise ValueError(f"time of day {raw!r}: {h} is not an hour on a 12-hour clock")
        h = h % 12 + (12 if ap == "p" else 0)
    if not (0 <= h <= 24 and 0 <= mins < 60 and 0 <= secs < 60) or (h == 24 and (mins or secs)):
        raise ValueError(f"time of day {raw!r} is out of range")
    t = (h % 24) * 60 + mins + secs / 60
    if tol or not (approx or side):
        return t - tol, t + tol
    return _widened(t, t, approx, side, to_the_hour=not (m and m.group("m")) and m is not None)


def _words_around_time(text: str) -> tuple[str, bool, str]:
    """The time itself, whether it was given as approximate, and "after"/"before" for "shortly
    after"/"shortly before" (else "")."""
    approx, side = False, ""
    for _ in range(3):  # "um etwa 21 Uhr", "gegen kurz nach neun" read from the left, a word at a time
        before = text
        if (a := _APPROX.match(text)) is not None:
            approx, text = True, text[a.end():]
        if (sh := _SHORTLY.match(text)) is not None:
            side, text = ("after" if sh.group("after") else "before"), text[sh.end():]
        text = _BEFORE_TIME.sub("", text)
        if text == before:
            break
    text = _HOUR_WORD.sub(r"\1:\2", text)
    text = _AFTER_TIME.sub("", text).strip()
    return text, approx, side


def _widened(low: float, high: float, approx: bool, side: str, to_the_hour: bool) -> tuple[float, float]:
    half = 30.0 if to_the_hour else 10.0
    if side == "after":
        return low, high + 30.0
    if side == "before":  # "shortly before midnight" (or 0:10) is counted from the day before's end
        return (low - 30.0, high) if low >= 30.0 else (low + 1410.0, high + 1440.0)
    return (low - half, high + half) if approx else (low, high)


def format_minutes(minutes: float) -> str:
    """Minutes after midnight as ``HH:MM`` (``HH:MM:SS`` where there are seconds)."""
    whole = int(round(minutes * 60)) % (24 * 3600)
    h, rest = divmod(whole, 3600)
    m, s = divmod(rest, 60)
    return f"{h:02d}:{m:02d}" + (f":{s:02d}" if s else "")


# --- lists of names --------------------------------------------------------------------------

_ROLES = r"(?:author|editor|ed|eds|translator|trans|illustrator|foreword|introduction|contributor|compiler)s?\.?"
#: marks of a person's role, read as a separator between persons ("By (author) Han, Jiawei By (author) Kamber, Micheline")
_ROLE = re.compile(r"\bby\s*\(\s*" + _ROLES + r"\s*\)|\(\s*" + _ROLES + r"\s*\)|\b(?:edited|translated|compiled|written|illustrated)\s+by\b"
                   r"|^\s*by\b|\beds?\.(?=\s|$)", re.I)
_OPEN = re.compile(r"\bet\.?\s*al\b\.?|\band\s+others\b|\bet\s+alii\b|\.\.\.|…", re.I)
_SPLIT = re.compile(r";|&|\band\b|\bund\b|\n|/|~|\|", re.I)
_SUFFIX = {"jr", "sr", "ii", "iii", "iv", "phd", "md", "esq", "prof", "dr", "mr", "mrs", "ms", "sir"}
_PARTICLES = {"van", "von", "der", "den", "de", "del", "della", "di", "da", "du", "la", "le", "bin", "ibn", "al", "el", "ten", "ter", "st"}
_NONE = {"not available", "n/a", "na", "unknown", "none", "anonymous", "various", "-", "--", "?"}


def _initials(word: str) -> bool:
    """"J.", "J.-P.", "JW": given names written as initials."""
    return bool(re.fullmatch(r"(?:[^\W\d_]\.-?)+|[^\W\d_]{1,2}", word)) and (("." in word) or word.isupper())


def _words(part: str) -> list[str]:
    return [w for w in re.split(r"[\s]+", part.strip()) if w and w.strip(".").lower() not in _SUFFIX]


def _surname_of(person: str, last_first: bool) -> str | None:
    """The surname of one written person ("Jiawei Han", "Han, Jiawei", "J. Han", "Han")."""
    if last_first:
        words = _words(person.split(",")[0])
    else:
        words = _words(person)
        # "Han J." / "Han JW": a surname followed by initials only
        if len(words) >= 2 and all(_initials(w) for w in words[1:]) and not _initials(words[0]):
            words = words[:1]
        else:
            # the last word, with the particles before it (van der Waals, de Gaulle)
            i = len(words) - 1
            while i > 0 and words[i - 1].lower().strip(".") in _PARTICLES:
                i -= 1
            words = words[i:]
    name = " ".join(w for w in words if not _initials(w) or len(words) == 1)
    return name.strip(" .,-'") or None


def _is_single(piece: str) -> bool:
    """A piece of a comma list that is a surname alone (one word, particles allowed: "van
    Dijk"), the first half of a "Last, First" pair, not a whole "First Last" name."""
    words = _words(piece)
    return len(words) == 1 or all(w.lower() in _PARTICLES for w in words[:-1])


def _people(text: str) -> list[tuple[str, bool]]:
    """The persons of a list, each with whether it is written "Last, First"."""
    parts = [p.strip(" ,") for p in _SPLIT.split(text)]
    parts = [p for p in parts if p]
    out: list[tuple[str, bool]] = []
    several = len(parts) > 1
    for part in parts:
        pieces = [p.strip() for p in part.split(",") if p.strip() and p.strip().strip(".").lower() not in _SUFFIX]
        if len(pieces) <= 1:
            out.extend((p, False) for p in pieces)
        elif len(pieces) == 2 and (several or _is_single(pieces[0])):
            out.append((", ".join(pieces), True))  # "Han, Jiawei"
        elif len(pieces) >= 3 and _is_single(pieces[0]) and all(len(_words(p)) >= 2 and not _initials(_words(p)[-1]) for p in pieces[1:-1]):
            # "Hornick, Mark F. Marcade, Erik Venkayala, Sunil": "Last, First" pairs run together
            out.append((pieces[0], True))
            out.extend((_words(p)[-1], True) for p in pieces[1:-1])
        elif len(pieces) % 2 == 0 and all(_is_single(p) for p in pieces[0::2]) and all(len(_words(p)) <= 2 for p in pieces[1::2]):
            out.extend((f"{a}, {b}", True) for a, b in zip(pieces[0::2], pieces[1::2]))  # "Han, Jiawei, Kamber, Micheline"
        else:
            out.extend((p, False) for p in pieces)  # "Jiawei Han, Micheline Kamber"
    return out


def _surname_key(surname: str) -> str:
    from .names import pinyin_of, russian_skeleton

    py = pinyin_of(surname)
    if py:
        return py
    return russian_skeleton(surname).replace(" ", "")


def name_list_key(raw: object) -> str:
    """The key of a list of names: its surnames folded and sorted, joined by ``"; "``; a list
    that says it is incomplete ("et al.") ends with ``"; …"``. Raises ``ValueError`` when no
    name can be read."""
    if raw is None or isinstance(raw, bool) or not str(raw).strip():
        raise ValueError("empty list of names")
    text = " ".join(html.unescape(str(raw)).split())
    text = re.sub(r"\([^)]*\)|\[[^\]]*\]", lambda m: ";" if _ROLE.fullmatch(m.group(0)) else " ", text)  # (ed.), (Arizona State University)
    text = re.sub(r"(?i)\b(?:editors?|authors?|eds?)\s*:", ";", text)
    if fold_text(text).strip(" .") in _NONE:
        raise ValueError(f"{raw!r} names nobody")
    text = _ROLE.sub(";", text)
    is_open = bool(_OPEN.search(text))
    text = _OPEN.sub(" ", text)
    keys = []
    for person, last_first in _people(text):
        surname = _surname_of(person, last_first)
        if surname:
            key = _surname_key(surname)
            if key:
                keys.append(key)
    if not keys:
        raise ValueError(f"no name can be read in {raw!r}")
    keys = sorted(set(keys))  # a name listed twice is one person listed twice (two namesakes are rarer)
    return LIST_SEPARATOR.join(keys + ([OPEN_LIST_MARK] if is_open else []))


def list_items(key: str) -> tuple[list[str], bool]:
    """The surnames of a ``names`` key and whether the list said it was incomplete."""
    items = key.split(LIST_SEPARATOR)
    if items and items[-1] == OPEN_LIST_MARK:
        return items[:-1], True
    return items, False


def part_of(small: str, full: str) -> bool:
    """Whether the list ``small`` is a strict part of the list ``full``: fewer names, every one
    of them in ``full`` (as multisets of surnames; "et al." changes nothing here)."""
    a, _ = list_items(small)
    b, _ = list_items(full)
    if len(a) >= len(b):
        return False
    rest = list(b)
    for item in a:
        if item not in rest:
            return False
        rest.remove(item)
    return True
