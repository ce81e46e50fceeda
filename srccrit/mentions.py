"""Finding the people a sentence names, however the book printed them.

A sentence is cut into **name spans**: runs of capitalised words, with hyphenated syllables
(``En-lai``), apostrophes (``Ch'iao``), initials (``I. V. Kovalev``) and particles (``van``,
``de``, ``al-``) inside a run. Each span, longest first, is resolved to a witness through the
keys :meth:`srccrit.Case.resolve_witness` uses, and the way it matched is recorded:

===============  ============================================================================
``name``         the witness's name or id, folded (case, accents, spaces, hyphens)
``alias``        one of the witness's aliases
``wade-giles``   a Wade-Giles spelling of a Pinyin name (Chou En-lai, Kao Kang), with or
                 without apostrophes and hyphens (:func:`srccrit.names.wade_giles_to_pinyin`)
``pinyin``       Chinese characters read by pypinyin
``transliteration``  another romanisation of a Russian name (Kovalyov, Kowaljow) or a Korean
                 one (McCune-Reischauer Pyŏn Yŏng-t'ae = Pyun Yung-tai, Kim Il-sŏng)
``surname``      the family name alone, where no other witness has it (and the witness is a
                 person: a name with a word such as Journal, Archives, Committee has none): the *first* word of an
                 East Asian name (Mao, Chou, Kim), the last word -- or the last two, for
                 compound names (Mendès-France) -- of others (Kovalev); a Vietnamese name also
                 by its last word (Diem, Giap), as English texts cite them. A one-word family
                 name that is a very common English word (Zipf frequency 4.9 or more: France,
                 Brown, Young) is not used alone, unless it is an East Asian family name
``ocr``          one of the above after undoing an OCR confusion (rn/m, cl/d, li/h, I/l, 0/o,
                 1/l, vv/w)
``fuzzy``        a full name or alias within :data:`FUZZY_THRESHOLD` (rapidfuzz ratio, on
                 folded text), for spans of five letters or more
===============  ============================================================================

Spans that resolve to no witness are returned too (``witness`` None): the caller lists them as
names a user may want to add.
"""

from __future__ import annotations

import functools
import re
from dataclasses import dataclass

from rapidfuzz import fuzz, process

from .dates import fold_text
from .names import compact, korean_skeleton, pinyin_of, russian_skeleton, wade_giles_to_pinyin

__all__ = ["Mention", "NameFinder", "FUZZY_THRESHOLD", "family_name_first"]

#: the lowest rapidfuzz ratio (0-100, folded text) at which a span is taken for a name
FUZZY_THRESHOLD = 88
#: the longest span tried, in words
MAX_SPAN = 5

#: common family names, by which an East Asian name written family name first is recognised
CHINESE_SURNAMES = frozenset("""
wang li zhang liu chen yang huang zhao wu zhou xu sun ma zhu hu guo he gao lin luo zheng liang xie song tang han deng feng
cao peng zeng xiao tian dong yuan pan jiang cai yu du ye cheng wei su lu ding ren shen yao jin fu zhong cui tan fan liao shi
jia xia fang bai zou meng xiong qin qiu yin xue yan duan lei hou long shao wan qian tao hao kong mao kang rao chai kuang
qu ge geng mo bo nie rong bi ou kou gu lai lan mei pu qi teng wen wo zhan zhuo chu ba bao bian chang che chi dai diao
""".split())
KOREAN_SURNAMES = frozenset("""
pyun pyon byun byeon kim lee yi rhee ri pak park choe choi chong jung chung kang cho jo yun yoon chang jang im lim han o oh so seo sin shin kwon
hwang an ahn song yu yoo hong chon jeon ko koh mun moon son yang pae bae paek baek ho heo nam no noh ha kwak sung cha chu
joo u woo ku koo min ryu
""".split())
VIETNAMESE_SURNAMES = frozenset("""
nguyen tran le pham hoang huynh phan vu vo dang bui do ho ngo duong ly truong dinh lam mai trinh ha
""".split())

_PARTICLES = frozenset({"van", "von", "de", "da", "di", "du", "del", "della", "der", "den", "la", "le", "al", "el", "bin",
                        "ibn", "ben", "y", "dos", "das", "ter", "ten", "zu", "af", "av"})
#: capitalised words that begin sentences or name no one (titles and ranks that are no family
#: name too: not "Major", "King" or "Lord"): never reported as unknown names
_NOT_NAMES = frozenset("""
a an and as at but by for from he her his however i if in it its nor of on or our she so that the their then there these
they this those though to we when where while who with yet after before although because during later meanwhile since
under until upon mr mrs ms dr sir general gen president premier chairman minister marshal prime foreign secretary
colonel col lieutenant lt captain capt admiral adm commander cmdr sergeant sgt corporal brigadier ambassador senator
governor chancellor emperor professor prof
january february march april may june july august september october november december
monday tuesday wednesday thursday friday saturday sunday
""".split())
#: words that make a witness a body, not a person (no family name of its own)
_BODY_WORDS = frozenset("""
journal weekly monthly quarterly review times post press news daily herald tribune gazette magazine archive archives
documents papers committee ministry department library office agency council government party bureau institute university
commission release service army navy embassy delegation participants collection foundation company
комиссия комитет архив архивы министерство агентство газета партия совет правительство
kommission ausschuss archiv ministerium zeitung partei regierung comité ministère agence gouvernement comisión archivo
""".split())
_OCR = (("rn", "m"), ("cl", "d"), ("li", "h"), ("I", "l"), ("l", "I"), ("i", "l"), ("0", "o"), ("1", "l"), ("vv", "w"), ("m", "rn"))
#: a one-word family name this common in English is not taken alone for a name (see above)
COMMON_WORD_ZIPF = 4.9

#: one or two capitalised words: what a family name can be
_NAME_WORDS = re.compile(r"^[^\W\d_][^\W\d_'’-]*(?:['’-][^\W\d_]+)*(?: [^\W\d_][^\W\d_'’-]*(?:['’-][^\W\d_]+)*)?$")
_WORD = re.compile(r"[^\W\d_](?:[\w'’‘ʻʼ]|-(?=\w))*")
_CJK_RUN = re.compile(r"[\u3400-\u9fff]{2,}")
_CYRILLIC_WORD = re.compile(r"[\u0400-\u04ff]{5,}")
#: the case endings of Russian nouns and family names, longest first (Шелепин-ым, Берие-й, Хрущёв-у)
_LATIN_WORD = re.compile(r"[^\W\d_]{5,}")
#: case endings and nominative endings of family names in Latin-script Slavic texts, by language
_POLISH = (("iego", "owie", "owi", "ego", "emu", "ami", "ach", "ich", "ych", "ym", "im", "em", "om", "ie", "ą", "a", "u", "y", "e", "i"),
           ("i", "a", "y"))
_LATIN_ENDINGS = {"pl": _POLISH, "cs": _POLISH, "sk": _POLISH}
_RUSSIAN_ENDINGS = ("ами", "ями", "ого", "его", "ому", "ему", "ыми", "ими", "ой", "ей", "ом", "ем", "ым", "им", "ую", "юю",
                    "ах", "ях", "ов", "ев", "а", "я", "у", "ю", "е", "ы", "и")


@dataclass(frozen=True)
class Mention:
    start: int           # offsets in the sentence
    end: int
    spelling: str        # as printed
    witness: str | None  # the witness id, or None for a name no witness has
    matched_as: str | None


def family_name_first(name: str) -> bool:
    """Whether a name is written family name first (Mao Zedong, Chou En-lai, Kim Il Sung,
    Ngo Dinh Diem): its first word is a common Chinese (also in Wade-Giles), Korean or
    Vietnamese family name and the name has two words or more."""
    words = [w for w in re.split(r"[\s]+", fold_text(name)) if w]
    if len(words) < 2:
        return False
    first = compact(words[0])
    if first in KOREAN_SURNAMES or first in VIETNAMESE_SURNAMES or first in CHINESE_SURNAMES:
        return True
    return bool(wade_giles_to_pinyin(words[0]) & CHINESE_SURNAMES)


def _capitalised(word: str) -> bool:
    """A word that can be (part of) a name: capitalised, or an Arabic article before a capital
    (al-Husseini, el-Sadat)."""
    return word[:1].isupper() or (word[:3].lower() in ("al-", "el-") and word[3:4].isupper())


def _phrase_key(text: str) -> str:
    return " ".join(re.split(r"[\s-]+", fold_text(text)))


def _common_word(word: str) -> bool:
    from wordfreq import zipf_frequency

    return zipf_frequency(fold_text(word), "en") >= COMMON_WORD_ZIPF


def _vietnamese(name: str) -> bool:
    words = fold_text(name).split()
    return len(words) >= 2 and compact(words[0]) in VIETNAMESE_SURNAMES


class NameFinder:
    """Name spans of sentences resolved to the witnesses of a case (see the module's docstring)."""

    def __init__(self, case, language: str = "en"):
        self.case = case
        self.language = language  # the text's: which words are too common to be unknown names
        self._full: dict[str, tuple[str, str]] = {}     # key -> (witness, "name"/"alias")
        self._surname: dict[str, set[str]] = {}         # key -> witnesses with that family name
        self._fuzzy: dict[str, tuple[str, str]] = {}    # folded full form -> (witness, kind)
        self._cache: dict[str, tuple[str | None, str | None]] = {}
        for wid, row in case.witnesses.iterrows():
            forms = [(str(row["name"]), "name"), (str(wid), "name")] + [(str(a), "alias") for a in (row.get("aliases") or [])]
            for form, kind in forms:
                if not form.strip():
                    continue
                for key in self._keys(form, wade_giles=False):
                    self._full.setdefault(key, (wid, kind))
                if len(compact(form)) >= 5:
                    self._fuzzy.setdefault(fold_text(form), (wid, kind))
                words = [w for w in re.split(r"\s+", form.strip()) if w]
                if len(words) < 2 or _BODY_WORDS & {fold_text(w).strip(",.()") for w in words}:
                    continue  # a periodical, an archive, a committee: no family name
                family = []
                east_asian = family_name_first(form)
                if east_asian:
                    family.append(words[0])
                    if _vietnamese(form):
                        family.append(words[-1])
                else:
                    family.append(words[-1])
                    if len(words) >= 3:
                        family.append(" ".join(words[-2:]))
                for word in family:
                    if (not _NAME_WORDS.match(word) or not all(_capitalised(w) for w in word.split())
                            or (" " not in word and not east_asian and _common_word(word))):
                        continue  # a family name is one or two capitalised words ("of 1995" is none)
                    for key in self._keys(word, wade_giles=True):
                        self._surname.setdefault(key, set()).add(wid)
        # a family name shared by two witnesses names neither; nor does one that is a full name
        self._surname = {k: ids for k, ids in self._surname.items() if len(ids) == 1}
        # names and aliases of several words are also found as written, in any case ("the Russian
        # archives", a body that is no capitalised name)
        phrases: dict[str, tuple[str, str]] = {}
        for wid, row in case.witnesses.iterrows():
            for form, kind in [(str(row["name"]), "name")] + [(str(a), "alias") for a in (row.get("aliases") or [])]:
                if len(form.split()) >= 2 and len(form) >= 6:
                    phrases.setdefault(_phrase_key(form), (wid, kind))
        self._phrases = phrases
        # how a witness's name can begin, read aloud (pinyin, spaces folded): a piece of Chinese
        # characters is looked up only where its first character's reading begins one
        keys = [k[2:] for k in [*self._full, *self._surname] if k.startswith(("c:", "f:"))]
        self._name_starts = {k.replace(" ", "")[:n] for k in keys for n in range(1, 7)}
        self._phrase_re = re.compile(
            r"(?<![\w])(" + "|".join(re.escape(p).replace(r"\ ", r"[\s-]+") for p in sorted(phrases, key=len, reverse=True)) + r")(?![\w])",
            re.IGNORECASE) if phrases else None

    @staticmethod
    def _keys(text: str, wade_giles: bool) -> set[str]:
        keys = {"f:" + fold_text(text), "c:" + compact(text), "r:" + russian_skeleton(text).replace(" ", "")}
        if len(compact(text)) >= 6:
            keys.add("k:" + korean_skeleton(text))
        py = pinyin_of(text)
        if py:
            keys.add("c:" + py)
        if wade_giles:
            keys |= {"c:" + c for c in wade_giles_to_pinyin(text)}
        return {k for k in keys if len(k) > 3}  # a key of one letter names no one

    def _lookup(self, span: str, single: bool) -> tuple[str | None, str | None]:
        for key in ("f:" + fold_text(span), "c:" + compact(span)):
            if key in self._full:
                return self._full[key]
        py = pinyin_of(span)
        if py and "c:" + py in self._full:
            return self._full["c:" + py][0], "pinyin"
        for cand in sorted(wade_giles_to_pinyin(span)):
            if "c:" + cand in self._full:
                return self._full["c:" + cand][0], "wade-giles"
        skeleton = "r:" + russian_skeleton(span).replace(" ", "")
        if len(skeleton) > 4 and skeleton in self._full:
            return self._full[skeleton][0], "transliteration"
        if len(compact(span)) >= 6 and "k:" + korean_skeleton(span) in self._full:
            return self._full["k:" + korean_skeleton(span)][0], "transliteration"
        if single:
            for key in self._keys(span, wade_giles=True):
                ids = self._surname.get(key)
                if ids:
                    return next(iter(ids)), "surname"
        return None, None

    def resolve(self, span: str) -> tuple[str | None, str | None]:
        """(witness id, how it matched) for a name as printed; (None, None) if no witness."""
        hit = self._cache.get(span)
        if hit is not None:
            return hit
        single = len(span.split()) <= 2  # a family name has one word, or two (Mendès France)
        wid, how = self._lookup(span, single)
        if wid is None:
            for wrong, right in _OCR:
                if wrong in span:
                    for m in re.finditer(re.escape(wrong), span):
                        variant = span[:m.start()] + right + span[m.end():]
                        wid, _ = self._lookup(variant, single)
                        if wid is not None:
                            how = "ocr"
                            break
                if wid is not None:
                    break
        if wid is None and (_CYRILLIC_WORD.fullmatch(span) or (self.language in _LATIN_ENDINGS and _LATIN_WORD.fullmatch(span))):
            wid = self._inflected(span)
            how = "inflected" if wid is not None else None
        if wid is None and len(compact(span)) >= 5 and self._fuzzy:
            best = process.extractOne(fold_text(span), list(self._fuzzy), scorer=fuzz.ratio, score_cutoff=FUZZY_THRESHOLD)
            if best:
                wid, how = self._fuzzy[best[0]][0], "fuzzy"
        self._cache[span] = (wid, how)
        return wid, how

    def _inflected(self, word: str) -> str | None:
        """The witness a Russian family name names in another grammatical case (Шелепина,
        Хрущёву, Берией; in a Polish or Czech text, Czapskiego, Berii): a case ending taken off,
        longest first, leaving four letters or more, and the stem tried as it is and with the
        endings of a name's nominative (-а, -я, -й; -i, -a, -y)."""
        lower = word.lower()
        cyrillic = bool(_CYRILLIC_WORD.fullmatch(word))
        endings, nominative = (_RUSSIAN_ENDINGS, ("а", "я", "й")) if cyrillic else _LATIN_ENDINGS[self.language]
        for ending in endings:
            if lower.endswith(ending) and len(word) - len(ending) >= 4:
                stem = word[: len(word) - len(ending)]
                for candidate in (stem, *(stem + n for n in nominative)):
                    wid, _ = self._lookup(candidate, True)
                    if wid is not None:
                        return wid
        return None

    def _in_characters(self, run: str, offset: int) -> list[Mention]:
        """The witnesses a run of Chinese characters names (by pypinyin's reading of each piece of
        two to four characters, longest first, left to right). Pieces naming no one are not
        reported: without a word segmenter a name cannot be told from any other word."""
        found, next_free = [], 0
        for i, pieces in _cjk_pieces(run):
            if i < next_free or _reading(run[i]) not in self._name_starts:
                continue
            for piece in pieces:
                wid, how = self.resolve(piece)
                if wid is not None:
                    found.append(Mention(offset + i, offset + i + len(piece), piece, wid, how))
                    next_free = i + len(piece)
                    break
        return found

    def find(self, sentence: str) -> list[Mention]:
        """Every name span of ``sentence``, resolved where a witness has that name."""
        out: list[Mention] = []
        for run in _runs(sentence):
            i = 0
            unknown_from = None
            while i < len(run):
                hit = None
                for length in range(min(MAX_SPAN, len(run) - i), 0, -1):
                    start, end = run[i][0], run[i + length - 1][1]
                    if run[i + length - 1][2] and length > 1:
                        continue  # a span does not end on a particle
                    wid, how = self.resolve(sentence[start:end])
                    if wid is not None:
                        hit = Mention(start, end, sentence[start:end], wid, how)
                        break
                if hit is None:
                    if unknown_from is None:
                        unknown_from = i
                    i += 1
                    continue
                if unknown_from is not None:
                    out += _unknown(sentence, run[unknown_from:i], self.language)
                    unknown_from = None
                out.append(hit)
                i += length
            if unknown_from is not None:
                out += _unknown(sentence, run[unknown_from:], self.language)
        for m in _CJK_RUN.finditer(sentence):
            out += self._in_characters(m.group(0), m.start())
        if self._phrase_re is not None:
            taken = [(m.start, m.end) for m in out if m.witness]
            for m in self._phrase_re.finditer(sentence):
                if any(a < m.end() and m.start() < b for a, b in taken):
                    continue
                hit = self._phrases.get(_phrase_key(m.group(0)))
                if hit is None:
                    continue
                out = [u for u in out if u.witness or not (u.start < m.end() and m.start() < u.end)]  # no longer unknown
                out.append(Mention(m.start(), m.end(), m.group(0), hit[0], hit[1]))
        return sorted(out, key=lambda m: m.start)


@functools.lru_cache(maxsize=20000)
def _reading(character: str) -> str:
    """The pinyin of one Chinese character (as :func:`srccrit.names.pinyin_of` reads it)."""
    return pinyin_of(character) or ""


def _cjk_pieces(run: str):
    """Each place of a run of Chinese characters, with the pieces of four, three and two
    characters starting there (longest first): names are not set apart by spaces or capitals."""
    for i in range(len(run) - 1):
        yield i, [run[i:i + n] for n in (4, 3, 2) if i + n <= len(run)]


def _runs(sentence: str) -> list[list[tuple[int, int, bool]]]:
    """Runs of capitalised words: (start, end, is_particle) for each word of each run."""
    runs, current = [], []
    prev_end = None
    for m in _WORD.finditer(sentence):
        word = re.sub(r"['’]s$", "", m.group(0)).rstrip("'’‘ʻʼ")  # Nam's -> Nam
        start, end = m.start(), m.start() + len(word)
        gap = sentence[prev_end:start] if prev_end is not None else None
        lower = word.lower()
        capital = _capitalised(word)
        particle = not capital and lower in _PARTICLES
        joined = gap is not None and (gap.strip() == "" or (gap.strip() == "." and current and current[-1][1] - current[-1][0] == 1))
        if current and not joined:
            runs.append(current)
            current = []
        if capital or (particle and current):
            current.append((start, end, particle))
        elif current:
            runs.append(current)
            current = []
        prev_end = end
    if current:
        runs.append(current)
    return [[w for w in _trim(run)] for run in runs if _trim(run)]


def _trim(run: list[tuple[int, int, bool]]) -> list[tuple[int, int, bool]]:
    while run and run[-1][2]:
        run = run[:-1]
    return run


#: in a text in another language than English, a capitalised word at least this common in it
#: (wordfreq's Zipf scale) is no unknown name: German nouns, words that begin sentences; outside
#: German, only before the run's first rarer word (a first name or a surname is a common word
#: too: Henry is 4.4 in French)
OTHER_LANGUAGE_COMMON_ZIPF = 4.0
#: languages that capitalise their nouns
NOUNS_CAPITALISED = frozenset({"de", "lb"})


def _unknown(sentence: str, words: list[tuple[int, int, bool]], language: str = "en") -> list[Mention]:
    """Unresolved capitalised words as one name, less those that begin sentences or name no one
    (in another language than English, less the language's common words)."""
    words = [w for w in words if sentence[w[0]:w[1]].lower() not in _NOT_NAMES and not (w[1] - w[0] == 1)]
    if language != "en":
        from wordfreq import zipf_frequency

        common = [zipf_frequency(sentence[w[0]:w[1]].lower(), language) >= OTHER_LANGUAGE_COMMON_ZIPF for w in words]
        if language in NOUNS_CAPITALISED:
            words = [w for w, c in zip(words, common) if w[2] or not c]
        else:
            if words and common[0] and not sentence[:words[0][0]].strip(" \"'“‘«¿¡(—–-"):
                words, common = words[1:], common[1:]  # a sentence's first word ("Según", "La")
            names = [w for w in words if not w[2]]
            if len(names) >= 2 and all(common[k] for k, w in enumerate(words) if not w[2]):
                pass  # common words only, two or more inside a sentence: a name ("Francisco Franco", "Lech Wałęsa")
            else:
                # a common word after a rare one is part of a name ("Hubert-Joseph Henry"); common
                # words before the first rare one are titles, articles, prepositions ("Le Président
                # Félix Faure", "D'après Zola")
                first_rare = next((k for k, (w, c) in enumerate(zip(words, common)) if not c and not w[2]), len(words))
                words = [w for k, (w, c) in enumerate(zip(words, common)) if k >= first_rare or w[2] or not c]
        while words and words[0][2]:
            words = words[1:]
    if len(words) == 1 and _common_word(sentence[words[0][0]:words[0][1]]):
        return []  # "American", "Soviet": a common word, not a name to add
    while words and words[-1][2]:
        words = words[:-1]
    if not words:
        return []
    start, end = words[0][0], words[-1][1]
    return [Mention(start, end, sentence[start:end], None, None)]
