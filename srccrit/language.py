"""The language a text is written in, and how it names months: what reading a text needs beyond
English.

* :func:`detect_language` tells the language of a text by its script (Chinese characters, kana,
  Cyrillic, Greek, Arabic...) and, within a script, by how many of its words are among each
  language's most frequent ones (wordfreq's lists): no model, no network, a few milliseconds.
* :func:`month_names` gives a language's month names in every form the Unicode CLDR records
  (Babel): wide and abbreviated, in a date ("5 марта") and standing alone ("март"), folded to
  lower case; :func:`month_of` also reads the inflected forms of Slavic languages ("в марте",
  "w marcu") by their stems.
"""

from __future__ import annotations

import functools
import re

__all__ = ["detect_language", "month_names", "month_of", "SEGMENTER_LANGUAGES"]

#: the languages pySBD segments into sentences (others are segmented as English)
SEGMENTER_LANGUAGES = frozenset({"am", "ar", "bg", "da", "de", "el", "en", "es", "fa", "fr", "hi", "hy", "it", "ja", "kk", "mr",
                                 "my", "nl", "pl", "ru", "sk", "ur", "zh"})
#: the languages told apart within each script (wordfreq has a frequency list for each)
_BY_SCRIPT = {
    "latin": ("en", "de", "fr", "es", "it", "nl", "pl", "pt", "da", "sv", "cs", "sk"),
    "cyrillic": ("ru", "uk", "bg"),
    "arabic": ("ar", "fa", "ur"),
}
#: the most frequent words of each language counted, and the words of the text read at most
_TOP_WORDS = 60
_SAMPLE_WORDS = 400
_SCRIPTS = (
    ("kana", re.compile(r"[\u3040-\u30ff]")),
    ("han", re.compile(r"[\u3400-\u9fff\uf900-\ufaff]")),
    ("hangul", re.compile(r"[\uac00-\ud7af]")),
    ("cyrillic", re.compile(r"[\u0400-\u04ff]")),
    ("greek", re.compile(r"[\u0370-\u03ff]")),
    ("arabic", re.compile(r"[\u0600-\u06ff]")),
    ("armenian", re.compile(r"[\u0530-\u058f]")),
    ("devanagari", re.compile(r"[\u0900-\u097f]")),
    ("latin", re.compile(r"[A-Za-z\u00c0-\u024f]")),
)
_WORDS = re.compile(r"[^\W\d_]+")
#: Slavic languages inflect month names ("марта", "марте"): read by stem
_SLAVIC = frozenset({"ru", "uk", "bg", "pl", "cs", "sk"})


def detect_language(text: str) -> str:
    """The ISO 639-1 code of the language ``text`` is most likely written in ("en" when nothing
    tells: no letters, or a script and words none of the known languages match)."""
    sample = text[:20000]
    counts = {name: len(rx.findall(sample)) for name, rx in _SCRIPTS}
    total = sum(counts.values())
    if not total:
        return "en"
    if counts["kana"] >= 0.05 * total:
        return "ja"
    if counts["han"] >= 0.3 * total:
        return "zh"
    script = max(counts, key=lambda k: counts[k])
    if script == "hangul":
        return "ko"
    if script == "greek":
        return "el"
    if script == "armenian":
        return "hy"
    if script == "devanagari":
        return "hi"
    choices = _BY_SCRIPT.get(script)
    if not choices:
        return "en"
    words = [w.lower() for w in _WORDS.findall(sample)][:_SAMPLE_WORDS]
    if not words:
        return choices[0]
    scores = {lang: sum(w in _top_words(lang) for w in words) for lang in choices}
    best = max(choices, key=lambda lang: scores[lang])  # ties: the first listed
    return best if scores[best] else choices[0]


@functools.lru_cache(maxsize=None)
def _top_words(language: str) -> frozenset:
    from wordfreq import top_n_list

    return frozenset(top_n_list(language, _TOP_WORDS))


@functools.lru_cache(maxsize=None)
def month_names(language: str) -> dict[str, int]:
    """Lower-case month name -> month number, every form CLDR gives for ``language`` (abbreviations
    without their full stop); empty for a language CLDR does not know."""
    from babel import UnknownLocaleError
    from babel.dates import get_month_names

    names: dict[str, int] = {}
    try:
        for width in ("wide", "abbreviated"):
            for context in ("format", "stand-alone"):
                for number, name in get_month_names(width, context=context, locale=language).items():
                    name = name.lower().rstrip(".")
                    if name and not name.isdigit() and not re.search(r"\d", name):
                        names.setdefault(name, int(number))
    except (UnknownLocaleError, ValueError):
        return {}
    return names


@functools.lru_cache(maxsize=None)
def _stems(language: str) -> tuple[tuple[str, int], ...]:
    """For a Slavic language, each month name's stem (its final vowel, soft sign or й dropped),
    longest first."""
    if language not in _SLAVIC:
        return ()
    stems = {}
    for name, number in month_names(language).items():
        stem = re.sub(r"[аяеёиийьыоуюaeiouy]$", "", name)
        if len(stem) >= 2 and stem != name:
            stems.setdefault(stem, number)
    return tuple(sorted(stems.items(), key=lambda kv: -len(kv[0])))


def month_of(word: str, language: str) -> int | None:
    """The month a word names in ``language`` (any CLDR form; for Slavic languages also an
    inflected one: the stem and at most two more letters), or None."""
    w = word.lower().rstrip(".")
    names = month_names(language)
    if w in names:
        return names[w]
    for stem, number in _stems(language):
        if w.startswith(stem) and len(w) - len(stem) <= (2 if len(stem) >= 3 else 1):  # мае: май's stem and one letter
            return number
    return None
