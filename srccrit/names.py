"""Names across romanisations: Wade-Giles -> Pinyin candidates and Russian transliteration variants.

No maintained package converts *romanised* Wade-Giles (pypinyin starts from Chinese characters),
so this module keeps the syllable rules and returns **candidate sets**: an ambiguous spelling
(``Chou`` without its aspiration mark may be Zhou or Chou) gives several candidates and the
caller keeps the one that names a known witness.

Names written in Chinese characters are converted with pypinyin (``师哲`` -> ``shizhe``).

Russian names are compared through a *skeleton* that folds the common variants of the Library
of Congress, BGN/PCGN, ISO 9 and German/French schemes: ``Kovalev``, ``Kovalyov``, ``Kovalëv``,
``Kowaljow`` all give ``kovalev``.
"""

from __future__ import annotations

import itertools
import re

from .dates import fold_text

__all__ = ["same_person", "wade_giles_to_pinyin", "russian_skeleton", "korean_skeleton", "compact", "romanisation_keys", "name_keys"]

_APOS = "'’‘`ʻʼ"

# Wade-Giles initials, longest first: (spelling, pinyin before i/ü, pinyin otherwise)
_INITIALS = [
    ("ch'", "q", "ch"), ("ts'", "c", "c"), ("tz'", "c", "c"), ("ch", "j", "zh"), ("hs", "x", "x"),
    ("sh", "sh", "sh"), ("ts", "z", "z"), ("tz", "z", "z"), ("ss", "s", "s"), ("sz", "s", "s"),
    ("k'", "k", "k"), ("p'", "p", "p"), ("t'", "t", "t"), ("k", "g", "g"), ("p", "b", "b"), ("t", "d", "d"),
    ("j", "r", "r"), ("h", "h", "h"), ("f", "f", "f"), ("m", "m", "m"), ("n", "n", "n"), ("l", "l", "l"),
    ("s", "s", "s"), ("w", "w", "w"), ("y", "y", "y"),
]

_Y_SYLLABLES = {"yu": ["you", "yu"], "yü": ["yu"], "yung": ["yong"], "yen": ["yan"], "yeh": ["ye"], "yüan": ["yuan"],
                "yuan": ["yuan"], "yüeh": ["yue"], "yueh": ["yue"], "yün": ["yun"], "yun": ["yun"], "i": ["yi"], "yi": ["yi"]}


def _final(initial_py: str, final: str, initial_wg: str) -> list[str]:
    f = final.replace("ŭ", "u").replace("ê", "e")
    if f == "ih":
        return ["i"]
    if initial_wg in ("ts", "tz", "ts'", "tz'", "ss", "sz", "s") and f in ("u", "ŭ"):
        return ["i", "u"]
    if f == "erh":
        return ["er"]
    repl = [("iung", "iong"), ("ung", "ong"), ("ien", "ian"), ("ieh", "ie"), ("üeh", "ue"), ("ueh", "ue"), ("uei", "ui"), ("üan", "uan"), ("ü", "u"), ("eh", "e")]
    for a, b in repl:
        if f.endswith(a):
            f = f[: -len(a)] + b
            break
    if f == "o":
        if initial_py in ("g", "k", "h"):
            return ["e"]
        if initial_py in ("b", "p", "m", "f", "w", "y", ""):
            return ["o"]
        return ["uo", "o"]
    return [f]


def _syllable(s: str) -> set[str]:
    s = s.lower()
    for a in _APOS:
        s = s.replace(a, "'")
    out = {s.replace("'", "").replace("ü", "u")}
    if s in _Y_SYLLABLES:
        return out | set(_Y_SYLLABLES[s])
    plain = s.replace("'", "")
    for wg, palatal, other in _INITIALS:
        if s.startswith(wg):
            rest = s[len(wg):]
            py = palatal if rest[:1] in ("i", "ü") else other
            for f in _final(py, rest, wg):
                out.add(py + f)
            if "ü" in rest or (wg == "ch" and rest.startswith("u")):
                for f in _final(palatal, rest, wg):
                    out.add(palatal + f)
            if "'" not in wg and wg in ("ch", "ts", "tz", "k", "p", "t") and "'" not in s:
                # the aspiration mark is often dropped in print: Chou may be Zhou or Chou
                asp = {"ch": ("q", "ch"), "ts": ("c", "c"), "tz": ("c", "c"), "k": ("k", "k"), "p": ("p", "p"), "t": ("t", "t")}[wg]
                py2 = asp[0] if rest[:1] in ("i", "ü") else asp[1]
                for f in _final(py2, rest, wg + "'"):
                    out.add(py2 + f)
            break
    else:
        for f in _final("", plain, ""):
            out.add(f)
    return {o for o in out if o}


def wade_giles_to_pinyin(name: str, limit: int = 64) -> set[str]:
    """Candidate Pinyin spellings of a Wade-Giles name, syllables joined without spaces.

    >>> sorted(wade_giles_to_pinyin("Kao Kang")) [:1]
    ['gaogang']
    >>> "zhouenlai" in wade_giles_to_pinyin("Chou En-lai")
    True
    """
    syllables = [s for s in re.split(r"[\s\-]+", name.strip()) if s]
    if not syllables or len(syllables) > 6:
        return set()
    options = [sorted(_syllable(s)) for s in syllables]
    out = set()
    for combo in itertools.islice(itertools.product(*options), limit):
        out.add("".join(combo))
    return out


_RU_RULES = [
    (r"shch", "sc"), (r"sch", "s"), (r"tsch", "c"), (r"tch", "c"), (r"ch", "c"), (r"zh", "z"), (r"kh", "h"), (r"ts", "c"), (r"tz", "c"),
    (r"w", "v"), (r"ff$", "v"), (r"yo|jo|io|ë|yë", "e"), (r"ye|je|ie", "e"), (r"ya|ja|ia", "a"), (r"yu|ju|iu", "u"),
    (r"iy$|ii$|yi$|yj$|ij$|y$", "i"), (r"y", "i"), (r"j", "i"), (r"'|ʹ|ʺ|’", ""), (r"(.)\1", r"\1"),
]


def russian_skeleton(name: str) -> str:
    """A key shared by the usual romanisations of a Russian name (Kovalyov = Kovalev = Kovalëv)."""
    words = []
    for word in fold_text(name.replace("ё", "e").replace("ë", "e")).replace("-", " ").split():
        w = re.sub(r"[^a-z'ʹʺ’]", "", word) if word.isascii() else word
        for pattern, repl in _RU_RULES:
            w = re.sub(pattern, repl, w)
        words.append(w)
    return " ".join(words)


_KOREAN_RULES = [(r"eo", "o"), (r"eu", "u"), (r"ae|ai|oe|oi|ye", "e"), (r"u", "o"), (r"g", "k"), (r"d", "t"), (r"b", "p"),
                 (r"j", "ch"), (r"sh", "s"), (r"r", "l"), (r"(.)\1", r"\1")]


def korean_skeleton(name: str) -> str:
    """A key shared by the usual romanisations of a Korean name: McCune-Reischauer with or
    without breves and apostrophes (Pyŏn Yŏng-t'ae, Kim Il-sŏng), the Revised Romanisation
    (Byeon Yeong-tae) and older English spellings (Pyun Yung-tai, Kim Il Sung). Lossy by
    design: only compared with the names of one case's witnesses."""
    s = compact(name)
    for pattern, repl in _KOREAN_RULES:
        s = re.sub(pattern, repl, s)
    return s


def compact(name: str) -> str:
    """Folded, with spaces, hyphens, dots and apostrophes removed: 'En-lai' -> 'enlai'."""
    return re.sub(r"[\s\-.'’‘`ʻʼ]+", "", fold_text(name))


_UMLAUT_SPELLED = re.compile(r"(?<=[b-df-hj-np-tv-z])([aou])e")  # after a consonant: Bauer is not Baur


def umlaut_key(name: str) -> str:
    """The German transcription of an umlaut folded away: Goering, Göring and Goring; Muenzenberg
    and Münzenberg (the umlaut is folded to its vowel, and so is the vowel-and-e that spells it)."""
    return "g:" + _UMLAUT_SPELLED.sub(r"\1", compact(name))


def name_keys(name: str) -> set[str]:
    """Keys under which a known name is indexed."""
    keys = {fold_text(name), "c:" + compact(name), "r:" + russian_skeleton(name).replace(" ", ""), umlaut_key(name)}
    py = pinyin_of(name)
    if py:
        keys.add("c:" + py)
    return keys


_CJK = re.compile(r"[\u3400-\u9fff]")


def pinyin_of(name: str) -> str | None:
    """Pinyin (no tones, no spaces) of a name written in Chinese characters, by pypinyin."""
    if not _CJK.search(name):
        return None
    from pypinyin import lazy_pinyin

    return "".join(lazy_pinyin(name)).lower()


def romanisation_keys(query: str) -> list[str]:
    """Keys to try for a name as a user may spell it (most literal first)."""
    keys = ["c:" + compact(query)]
    py = pinyin_of(query)
    if py:
        keys.append("c:" + py)
    keys += sorted("c:" + c for c in wade_giles_to_pinyin(query))
    keys.append("r:" + russian_skeleton(query).replace(" ", ""))
    keys.append(umlaut_key(query))
    return keys


def same_person(a: str, b: str) -> bool:
    """Whether two spellings may name the same person (Kao Kang = Gao Gang, Kovalyov = Kovalev)."""
    ka = set(romanisation_keys(a)) | name_keys(a)
    kb = set(romanisation_keys(b)) | name_keys(b)
    return bool(ka & kb)


def initials_and_family(query: str) -> tuple[list[str], str] | None:
    """A name written with initials for its given names -- ``I. V. Kovalev``, ``J.-P. Sartre``,
    ``Yu. V. Andropov``, ``Kovalev, I. V.`` -- as (folded initials, family name); None for any
    other shape (initials are letters with dots, or single letters)."""
    text = " ".join(query.split())
    if "," in text:  # "Kovalev, I. V.": the family name first
        family, _, given = (p.strip() for p in text.partition(","))
    elif " " in text:
        given, family = text.rsplit(" ", 1)
    else:
        return None
    tokens = [t for t in re.split(r"[\s.\-\u2010]+", given) if t]
    if not tokens or any(len(t) > 2 or not t.isalpha() for t in tokens) or ("." not in given and any(len(t) > 1 for t in tokens)):
        return None
    if "." in family or len(family) < 2 or not family.replace("-", "").replace("'", "").isalpha():
        return None
    return [fold_text(t)[0] for t in tokens], family


def initials_fit(initials: list[str], given_names: list[str]) -> bool:
    """Whether initials may stand for these given names, in order: the first for the first, and
    each further one for the next given name where there is one (``I. V.`` fits ``Ivan`` and
    ``Ivan Vasilievich``, not ``Vasily``)."""
    folded = [fold_text(g)[:1] for g in given_names if g.strip(".")]
    return bool(folded) and all(i == g for i, g in zip(initials, folded))
