"""Reading the texts: notes, names, dates and candidate claims from a scanned chapter or a review page.

``read_text(path, case=None)`` turns a plain-text (or HTML) document into a :class:`Reading`:

* **boilerplate**: shop and navigation lines of a web capture (prices, "Buy Used", rating
  widgets, review rules) are dropped and listed; HTML goes through trafilatura;
* **OCR repairs**, listed with position and original text, never silent: fused words
  (``ifnecessary`` -> ``if necessary``, ``ofKim`` -> ``of Kim``) and character confusions
  (``fTee`` -> ``free``, ``Kim II Sung`` -> ``Kim Il Sung``) checked against wordfreq's English
  word list and the case's names;
* **note markers** fused after punctuation or a closing quote (``live with."124``), and Markdown
  footnotes (``[^1]``, ``[^kovalev]`` with their ``[^1]: ...`` definitions), are taken out of the
  sentence and attached to it; years, decimals and page numbers are not notes;
* **sentences** by pySBD (initials such as "I. V. Kovalev" and quotations stay whole);
* **attribution** of review blocks to their reviewer or outlet, from the page's headings and
  signatures ("—Atlantic Monthly", "-- John Sandstrom, Houston P.L.", "Michael P. Madon Reviewer");
* **names** resolved to the case's witnesses across aliases and romanisations;
* **dates** normalised to the case format (``February 14, 1950`` -> ``1950-02-14``, ``January 30``
  with the year from context, ``the fall of 1949`` -> ``1949-09/1949-11``, ``1945-47``).

``candidates(reading)`` gives one row per sentence that names a witness, in the claims schema,
for the historian to accept, edit or drop; ``citation_report(reading)`` says which factual
sentences carry no note.
"""

from __future__ import annotations

import bisect
import calendar
import re
from dataclasses import dataclass, field
from pathlib import Path

import pandas as pd

from .dates import MONTHS, fold_text
from .errors import SrccritError
from .io.atomic import note_input
from .io.documents import read_document
from .mentions import Mention, NameFinder

__all__ = ["Reading", "Sentence", "read_text", "candidates", "citation_report", "find_dates", "repair_ocr"]


BOILERPLATE = [
    r"\$\d", r"\bbuy (used|new)\b", r"\(save \d+%\)", r"usually ships", r"^read more", r"show less$", r"^\s*\d star\s*$",
    r"your rating", r"your name:", r"pen name", r"customer reviews", r"be the first to write", r"rating distribution",
    r"barnes & noble\.com", r"bn\.com", r"^\s*•", r"^\s*- ", r"sellers?\b", r"condition:", r"paperback \(print\)", r"^product details$",
    r"^meet the author$", r"terms of use", r"continue anonymously", r"report it to", r"why is this product", r"comments \(optional\)",
    r"reviews? (should|by our)", r"what to exclude", r"search for products", r"recommend other products", r"^editorial reviews$",
    r"item is in good condition", r"used and new from", r"^\s*\(\s*\d+\s*\)\s*$", r"create a pen name", r"^other sellers",
]
_BOILER = re.compile("|".join(f"(?:{p})" for p in BOILERPLATE), re.IGNORECASE)
_NOTE = re.compile(r"(?<=[A-Za-z)\]])([.!?,;:](?:[\"”’'])?|[\"”’'])(\d{1,3})(?=\s|$)")
#: more places a printed superscript lands in OCR'd text: after a year and its full stop when a
#: new sentence follows ("in 1954.9 Chou"), as Unicode superscripts, fused to a lower-case word
_NOTE_AFTER_YEAR = re.compile(r"(?<=\b(?:1\d|20)\d\d)([.,;:])(\d{1,3})(?=\s+[\"“‘(]?[A-Z]|\s*$)")
_NOTE_SUPERSCRIPT = re.compile(r"(?<=[\w.,;:!?\"”’')\]])()([⁰¹²³⁴⁵⁶⁷⁸⁹]{1,3})")
_NOTE_FUSED = re.compile(r"(?<=[a-z]{3})()(\d{1,3})(?=[\s.,;:!?)]|$)")
_SUPERSCRIPT_DIGITS = str.maketrans("⁰¹²³⁴⁵⁶⁷⁸⁹", "0123456789")


def _note_number(mark: str) -> int:
    """A note marker's number: digits, superscript digits or a circled number (① is 1)."""
    if len(mark) == 1 and "①" <= mark <= "⑳":
        return ord(mark) - ord("①") + 1
    return int(mark.translate(_SUPERSCRIPT_DIGITS))


#: the heading of a notes section, and one note in it ("7. Eden, Full Circle, p. 140.")
#: (also a web page's or Wikipedia's: References, Footnotes, Citations; Anmerkungen,
#: Einzelnachweise, Notes et références, Примечания, Przypisy...)
_NOTES_HEADING = re.compile(r"^\s*(?:(?:end\s*|foot\s*)?notes(?:\s+to\s+.{1,60})?|references|citations|notes\s+(?:and|&)\s+references|"
                            r"anmerkungen|einzelnachweise|fu(?:ß|ss)noten|notes\s+et\s+r[ée]f[ée]rences|r[ée]f[ée]rences|примечания|сноски|"
                            r"przypisy|notas|"
                            # Chinese, Japanese and Korean: notes, footnotes, references, sources
                            r"注|注释|注釋|注解|脚注|腳註|尾注|参考文献|參考文獻|出典|주|주석|각주|참고문헌)\s*[:：]?\s*$", re.IGNORECASE)
#: one note: "7. Eden, ...", "7 Eden", "[7] Eden", a web page's "7. ^ Eden" or "^ a b Eden"
#: (Wikipedia's links back to the text, left out of the note), and "¹ Amtliches Material" (a
#: superscript number, as a PDF or a word processor prints a footnote)
_NOTE_LINE = re.compile(r"^\s*(?:[\[［]?(\d{1,3})[.)\]］]?\s+|[\[［](\d{1,3})[\]］]\s*|([⁰¹²³⁴⁵⁶⁷⁸⁹]{1,3}|[①-⑳])\s*)"
                        r"(?:\^\s*(?:[a-z]{1,2}\s+)*)?(\S.*)$")
#: a web page's bracketed marker fused to what it notes, "Mukden.[2][3]" (Wikipedia); one after a
#: space ("as shown in [5]") is the sentence's own words and stays
_NOTE_BRACKET = re.compile(r"(?:(?<=[^\W\d_])|(?<=[.,;:!?\"”’')\]。，；：！？」』）》]))[\[［](\d{1,3})[\]］]")
#: a circled number after the words it notes ("……分子。①"), as Chinese and Japanese books print
#: their notes, with the note "① 师哲：……" below
_NOTE_CIRCLED = re.compile(r"(?<=\S)()([①-⑳])")


#: Markdown footnotes (Pandoc, Zettlr, Obsidian, GitHub): a reference ``[^label]`` and its
#: definition, a line ``[^label]: text`` whose continuation lines are indented or follow it
#: directly. Read by hand, not by a Markdown parser: the markers must come out of the text with
#: their offsets, which no parser reports for inline references
_MD_NOTE_REF = re.compile(r"\[\^([^\]\s]{1,40})\](?!:)")
_MD_NOTE_DEF = re.compile(r"^ {0,3}\[\^([^\]\s]{1,40})\]:[ \t]*(.*)$")
_MD_NOTE_DEFS = re.compile(_MD_NOTE_DEF.pattern, re.MULTILINE)


def _note_line(line: str) -> tuple[int, str] | None:
    """A note's number and text, if ``line`` is one (see ``_NOTE_LINE``)."""
    m = _NOTE_LINE.match(line)
    if not m:
        return None
    return _note_number(m.group(1) or m.group(2) or m.group(3)), m.group(4)


def _markdown_note_numbers(text: str) -> dict[str, int]:
    """Markdown footnote label -> note number: the labels' own numbers where every label is a
    number (``[^12]`` is note 12, as the author wrote it), else their order of first reference,
    as Pandoc numbers them (definitions whose label is never referred to come last)."""
    labels = list(dict.fromkeys(m.group(1) for m in _MD_NOTE_REF.finditer(text)))  # (a definition is no reference)
    labels += [m.group(1) for m in _MD_NOTE_DEFS.finditer(text) if m.group(1) not in labels]
    if labels and all(label.isdigit() and len(label) <= 3 for label in labels):
        return {label: int(label) for label in labels}
    return {label: i + 1 for i, label in enumerate(labels)}


def _note_markers(text: str) -> list[tuple[int, int, int]]:
    """(start, end, number) of every note marker, in text order, not overlapping."""
    found = []
    for rx in (_NOTE, _NOTE_AFTER_YEAR, _NOTE_SUPERSCRIPT, _NOTE_FUSED, _NOTE_CIRCLED):
        for m in rx.finditer(text):
            found.append((m.start(2), m.end(2), _note_number(m.group(2))))
    if "[" in text:
        found += [(m.start(), m.end(), int(m.group(1))) for m in _NOTE_BRACKET.finditer(text)]
    if "[^" in text:
        numbers = _markdown_note_numbers(text)
        found += [(m.start(), m.end(), numbers[m.group(1)]) for m in _MD_NOTE_REF.finditer(text) if m.group(1) in numbers]
    found.sort()
    out: list[tuple[int, int, int]] = []
    for item in found:
        if not out or item[0] >= out[-1][1]:
            out.append(item)
    return out


def _take_endnotes(text: str) -> tuple[str, dict[int, str]]:
    """The notes a text carries: a "Notes" section (the numbered entries after the heading, each
    running on over the lines that follow it without a blank; the section ends at the first
    unnumbered paragraph) or footnote lines ("7 Eden, Full Circle, p. 140") whose number is a
    marker found earlier in the text. Their lines are blanked (same length, so every offset
    stays true); returns the text and note number -> note text (the first note of a number)."""
    lines = text.split("\n")
    notes: dict[int, str] = {}
    blank = [False] * len(lines)
    if "[^" in text:
        _take_markdown_notes(lines, notes, blank, _markdown_note_numbers(text))
    markers_before: dict[int, int] = {}  # note number -> offset of its first marker
    for start, _end, number in _note_markers(text):
        markers_before.setdefault(number, start)
    offset, current, in_section, first = 0, None, False, False
    for i, line in enumerate(lines):
        m = _note_line(line)
        stripped = line.strip()
        if blank[i]:  # a Markdown footnote's definition, taken above
            current = None
        elif _NOTES_HEADING.match(line):
            in_section, current, blank[i] = True, None, True
        elif m and (in_section or (m[0] in markers_before and markers_before[m[0]] < offset)):
            current = m[0]
            first = current not in notes  # a later note of the same number (another chapter) is not kept
            if first:
                notes[current] = m[1].strip()
            blank[i] = True
        elif stripped and current is not None:
            if lines[i - 1].strip() and (in_section or line[:1].isspace()):  # a footnote runs on indented
                if first:
                    notes[current] += " " + stripped  # a note running on to the next line
                blank[i] = True
            else:
                in_section, current = False, None  # a new paragraph of text: the notes are over
        elif not stripped:
            current = None if not in_section else current
            if in_section and i + 1 < len(lines) and lines[i + 1].strip() and not _note_line(lines[i + 1]):
                in_section, current = False, None
        offset += len(line) + 1
    if not notes:
        return text, {}
    return "\n".join(" " * len(line) if blank[i] else line for i, line in enumerate(lines)), notes


def _take_markdown_notes(lines: list[str], notes: dict[int, str], blank: list[bool], numbers: dict[str, int]) -> None:
    """Markdown footnote definitions into ``notes`` (number -> text), their lines marked in
    ``blank``: the definition line, then every line that runs on from it (indented, or directly
    after it: a lazy continuation) until a blank line before an unindented one."""
    current = None
    for i, line in enumerate(lines):
        m = _MD_NOTE_DEF.match(line)
        if m:
            current = numbers[m.group(1)]
            if current not in notes:
                notes[current] = m.group(2).strip()
            else:
                current = -1  # a second definition of a label: its lines go, the first stays
            blank[i] = True
        elif current is not None and line.strip() and (line[:1] in " \t" or lines[i - 1].strip()):
            if current >= 0:
                notes[current] = (notes[current] + " " + line.strip()).strip()
            blank[i] = True
        elif current is not None and not line.strip():
            following = next((x for x in lines[i + 1:] if x.strip()), "")
            if following[:1] in " \t" and not _MD_NOTE_DEF.match(following):
                blank[i] = True  # a blank line inside a note of several paragraphs
            else:
                current = None


#: a heading is at most six words and this many characters (a paragraph of Chinese or Japanese
#: has no spaces between its words: its length tells it from a heading)
_HEADING_CHARS = 80
#: a note that cites the work of the note before: Ibid., ibidem, ebd./ebenda, там же, tamże,
#: 同上, 同前
_IBID = re.compile(r"^\s*(?:ibid(?:em)?\b|ib[íi]d(?:em)?\b|ebd\.|ebenda\b|там\s+же\b|tamże\b|同上|同前)", re.IGNORECASE)
#: note markers at the end of a paragraph, set aside before asking whether it ends as a sentence
_TRAILING_MARKERS = re.compile(r"(?:[\[［]\d{1,3}[\]］]|\[\^[^\]\s]{1,40}\]|[⁰¹²³⁴⁵⁶⁷⁸⁹]+|[①-⑳]|\s)+$")
#: a Chinese or Japanese clause mark inside a line: a sentence (no spaces between its words), not a heading
_CJK_CLAUSE = re.compile(r"[，。；！？、]")
_SIGNATURE_DASH = re.compile(r"(?:—|–|--|―)\s*([A-Z][\w.'’ -]{2,60}?)(?:,\s*([^—\n]{2,80}))?\s*$")
_REVIEWER_LINE = re.compile(r"^\s*([A-Z][\w.'’-]+(?:\s+[A-Z][\w.'’-]*)+)\s+(?:Reviewer|Review)\s*$")


@dataclass
class Repair:
    start: int
    end: int
    original: str
    replacement: str
    kind: str


@dataclass
class Sentence:
    index: int
    paragraph: int
    text: str
    start: int
    notes: list[int] = field(default_factory=list)
    mentions: list[str] = field(default_factory=list)
    dates: list[str] = field(default_factory=list)
    attribution: str | None = None
    names: list[Mention] = field(default_factory=list)  # every name span, resolved or not
    page: str | None = None  # the printed page it starts on, where the text has pages (see _pages)


@dataclass
class Reading:
    path: str
    text: str                     # the repaired, note-free text the sentences point into
    original: str
    sentences: list[Sentence]
    repairs: list[Repair]
    dropped: list[str]            # boilerplate lines removed
    notes: dict[int, int]         # note number -> sentence index
    blocks: list[dict]            # attributed blocks: {"attribution", "witness", "paragraphs"}
    note_texts: dict[int, str] = field(default_factory=dict)  # note number -> its text, where the text carries its notes
    language: str = "en"          # the text's (ISO 639-1), as given or detected

    def sentences_frame(self) -> pd.DataFrame:
        return pd.DataFrame([{"sentence": s.index, "paragraph": s.paragraph, "text": s.text, "notes": s.notes, "mentions": s.mentions,
                              "dates": s.dates, "attribution": s.attribution} for s in self.sentences])

    def repairs_frame(self) -> pd.DataFrame:
        return pd.DataFrame([r.__dict__ for r in self.repairs], columns=["start", "end", "original", "replacement", "kind"])


# ---------------------------------------------------------------------------- pages

#: a page's number printed alone (arabic or roman) or at one end of a running head or foot
#: ("84 UNCERTAIN PARTNERS", "THE TREATY 85")
_PAGE_NUMBER = re.compile(r"^\s*(\d{1,4}|(?=[ivxlc]+\s*$)(?:xc|xl|l?x{0,3})(?:ix|iv|v?i{0,3}))\s*$", re.IGNORECASE)  # roman: to 99
_PAGE_HEAD = re.compile(r"^\s*(?:(\d{1,4})\s+(\D.{0,70}?)|(\D.{0,70}?)\s+(\d{1,4}))\s*$")


def _pages(text: str) -> tuple[str, list[str | None]]:
    """A text with pages (form feeds between them, as pdftotext and most PDF readers' "save as
    text" give it): each page's furniture taken out -- its number printed alone, and a running
    head or foot (a short line at a page's top or bottom whose words, numbers aside, open or close
    two pages or more) -- and the printed page numbers returned, one per page (None where none
    is printed and none can be counted from a neighbour). A page that ends inside a sentence runs
    on into the next (joined by a form feed, which the sentences read as a space); other pages
    are joined by a blank line holding a form feed. The form feeds stay: the page of a point of
    the text is the number of form feeds before it."""
    pages = text.split("\f")
    if len(pages) > 1 and not pages[-1].strip():
        pages = pages[:-1]  # pdftotext ends the last page with a form feed too
    if len(pages) < 2:
        return text, [None]

    def ends(lines):
        body = [i for i, line in enumerate(lines) if line.strip()]
        return body[:2] + body[-2:] if body else []

    split = [page.split("\n") for page in pages]
    # each page's first and last two lines: a number alone, or a head with its words (folded)
    furniture = [[(i, _PAGE_NUMBER.match(lines[i]), _PAGE_HEAD.match(lines[i]) if len(lines[i].split()) <= 10 else None)
                  for i in ends(lines)] for lines in split]
    words_of = {}  # a furniture line's words without its number -> how many pages have it at an end
    for found in furniture:
        for key in {fold_text(head.group(2) or head.group(3)) for _, _, head in found if head}:
            words_of[key] = words_of.get(key, 0) + 1
    numbers: list[str | None] = []
    page_heads: list[list[tuple[int, str]]] = []  # per page: (line, its number) of heads seen on it alone
    for lines, found in zip(split, furniture):
        number = None
        heads = []
        for i, alone, head in found:
            if alone:
                number = alone.group(1)
                lines[i] = ""
            elif head and words_of.get(fold_text(head.group(2) or head.group(3)), 0) >= 2:
                number = number or head.group(1) or head.group(4)
                lines[i] = ""
            elif head:
                heads.append((i, head.group(1) or head.group(4)))
        numbers.append(number)
        page_heads.append(heads)
    # pages with no printed number counted from a neighbour's (arabic numbers only)
    for i in range(len(numbers)):
        if numbers[i] is None:
            before = next(((j, numbers[j]) for j in range(i - 1, -1, -1) if numbers[j] and numbers[j].isdigit()), None)
            after = next(((j, numbers[j]) for j in range(i + 1, len(numbers)) if numbers[j] and numbers[j].isdigit()), None)
            if before:
                numbers[i] = str(int(before[1]) + i - before[0])
            elif after and int(after[1]) - (after[0] - i) > 0:
                numbers[i] = str(int(after[1]) - (after[0] - i))
    bodies = []
    for lines, heads, number in zip(split, page_heads, numbers):
        for i, printed in heads:  # a head seen on this page only, with the page's own number ("THE TREATY 85")
            if printed == number:
                lines[i] = ""
        bodies.append("\n".join(lines).strip("\n"))
    out = [bodies[0]]
    for body in bodies[1:]:
        last = out[-1].rstrip()
        runs_on = bool(last) and not re.search(r"[.!?\"”’)\]:。！？]$", last) and body.strip()[:1].isalpha()
        out.append(("\f" if runs_on else "\n\f\n") + body.lstrip("\n"))
    return "".join(out), numbers


# ------------------------------------------------------------------------------ OCR


def _zipf(token: str) -> float:
    from wordfreq import zipf_frequency

    return zipf_frequency(token, "en")


_CONFUSIONS = [("T", "r"), ("l", "i"), ("1", "l"), ("0", "o"), ("rn", "m"), ("vv", "w"), ("I", "l"), ("cl", "d")]


#: the English words of two letters a fused word may begin with ("ifnecessary", "ofthe"); the
#: word list also knows romanised syllables ("ji", "ma", "li") that begin many foreign words
_TWO_LETTER_WORDS = frozenset("am an as at be by do go he if in is it me my no of on or so to up us we".split())


#: a word broken at the end of a line by a hyphen, as a PDF's text gives it ("Kova-\nlev")
_LINE_HYPHEN = re.compile(r"(?<![\w-])([^\W\d_]+)-[ \t]*([\n\f])[ \t]*([^\W\d_]+)")


def _line_hyphens(text: str, language: str = "en") -> list[Repair]:
    """Words broken by a hyphen at a line's end joined again: ``Febru-\nary`` -> ``February``,
    ``Kova-\nlev`` -> ``Kovalev``; a compound keeps its hyphen (``well-\nknown`` -> ``well-known``,
    ``Sino-\nSoviet`` -> ``Sino-Soviet``): the joined word where the word list of the text's
    language (wordfreq) knows it at least as well as the hyphenated one (and where it knows
    neither: a name's syllables), the hyphen kept where the second part is capitalised or the
    hyphenated form is the commoner."""
    from wordfreq import available_languages, zipf_frequency

    known = language in available_languages()
    out = []
    for m in _LINE_HYPHEN.finditer(text):
        a, b = m.group(1), m.group(3)
        if b[:1].isupper():
            fixed = f"{a}-{b}"
        elif not known:
            fixed = a + b
        else:
            joined, hyphened = zipf_frequency((a + b).lower(), language), zipf_frequency(f"{a}-{b}".lower(), language)
            fixed = a + b if joined >= hyphened else f"{a}-{b}"
        # a word broken at a page's end keeps the page break after it (a sentence's page is counted by them)
        out.append(Repair(m.start(), m.end(), m.group(0), fixed + ("\f" if m.group(2) == "\f" else ""), "line-break hyphen"))
    return out


def repair_ocr(text: str, names: list[str] | None = None, language: str = "en") -> tuple[str, list[Repair]]:
    """Join words broken at a line's end (any language), and, in English, repair fused words and
    character confusions; return the new text and every repair made."""
    repairs: list[Repair] = _line_hyphens(text, language) if "-" in text else []
    names = names or []
    # names whose OCR form differs by l <-> I (Kim Il Sung printed as Kim II Sung)
    subs: list[tuple[str, str, str]] = []
    for name in names:
        if "l" in name:
            bad = name.replace("l", "I")
            if bad != name:
                subs.append((bad, name, "name"))
    out, pos = [], 0
    token_re = re.compile(r"[A-Za-z][A-Za-z’']*")
    # name confusions first (multi-word)
    for bad, good, kind in subs:
        for m in re.finditer(re.escape(bad), text):
            repairs.append(Repair(m.start(), m.end(), bad, good, "character confusion (name)"))
    for m in token_re.finditer(text if language == "en" else ""):
        tok = m.group(0)
        if len(tok) < 4 or tok.isupper() or _zipf(tok) > 0 or "'" in tok or "’" in tok:
            continue  # only tokens no English word list knows are candidates
        fixed = None
        kind = ""
        # character confusions inside a word: fTee -> free
        if re.search(r"[a-z][A-Z]|\d", tok):
            for wrong, right in _CONFUSIONS:
                cand = tok.replace(wrong, right)
                if cand != tok and _zipf(cand) >= 3.0:
                    fixed, kind = cand, "character confusion"
                    break
                low = cand[0] + cand[1:].lower()
                if low != tok and _zipf(low) >= 3.0:
                    fixed, kind = low, "character confusion"
                    break
        # a short word fused to a capitalised name: ofKim -> of Kim
        m2 = re.match(r"^([a-z]{2,4})([A-Z][a-z]+)$", tok)
        if fixed is None and m2 and _zipf(m2.group(1)) >= 5.0:
            fixed, kind = f"{m2.group(1)} {m2.group(2)}", "fused words"
        # two common words fused: ifnecessary -> if necessary
        if fixed is None and tok.isalpha() and tok.islower():
            best = None
            for i in range(2, len(tok) - 2):
                a, b = tok[:i], tok[i:]
                if len(a) == 2 and a not in _TWO_LETTER_WORDS:
                    continue  # "jihen" is a Japanese word, not "ji hen": the list knows "ji" as a name
                score = min(_zipf(a), _zipf(b))
                if score >= 3.5 and (best is None or score > best[0]):
                    best = (score, f"{a} {b}")
            if best:
                fixed, kind = best[1], "fused words"
        if fixed:
            repairs.append(Repair(m.start(), m.end(), tok, fixed, kind))
    repairs.sort(key=lambda r: (r.start, r.kind != "line-break hyphen"))  # a broken word first: its parts are no words
    kept: list[Repair] = []
    for r in repairs:
        if kept and r.start < kept[-1].end:
            continue
        kept.append(r)
    for r in kept:
        out.append(text[pos:r.start])
        out.append(r.replacement)
        pos = r.end
    out.append(text[pos:])
    return "".join(out), kept


# ---------------------------------------------------------------------------- dates

_SEASON = {"spring": (3, 5), "summer": (6, 8), "fall": (9, 11), "autumn": (9, 11), "winter": (12, 2)}
_PART = {"early": (1, 10), "mid": (11, 20), "late": (21, None)}
#: month names and their abbreviations of four letters or more ("Jan", "Mar" and "Dec" are names
#: too often), and May, a full name: the patterns below want it before a day or a year
_MONTH_NAMES = "|".join(sorted((m for m in MONTHS if len(m) > 3 or m == "may"), key=len, reverse=True))
#: a year written alone: 1000-2099 (a medieval chronicle's 1453 as much as 1950)
_YEAR = r"1\d\d\d|20\d\d"


def _month_range(year: int, month: int, part: str | None = None) -> str:
    if part == "early":
        return f"{year:04d}-{month:02d}-01/{year:04d}-{month:02d}-10"
    if part == "mid":
        return f"{year:04d}-{month:02d}-11/{year:04d}-{month:02d}-20"
    if part == "late":
        last = calendar.monthrange(year, month)[1]
        return f"{year:04d}-{month:02d}-21/{year:04d}-{month:02d}-{last:02d}"
    return f"{year:04d}-{month:02d}"


class _Found:
    """Dates found in a sentence: each match taken unless it overlaps one taken before (the
    patterns run most specific first) or its value is None (no such day)."""

    def __init__(self):
        self.items: list[tuple[int, str]] = []
        self._spans: list[tuple[int, int]] = []

    def take(self, m, value) -> None:
        if value is None or any(a < m.end() and m.start() < b for a, b in self._spans):
            return
        self._spans.append((m.start(), m.end()))
        self.items.append((m.start(), value))

    def values(self) -> list[str]:
        return [v for _, v in sorted(self.items)]


def find_dates(sentence: str, context_year=None, language: str = "en") -> tuple[list[str], tuple]:
    """Dates mentioned in a sentence, in the case date syntax, and the narrative context
    (year, month) to pass to the next sentence: a month named without a year takes the
    year of the text so far, rolled forward when the month comes before the last one.
    ``language``: the text's (ISO 639-1); other than English, see :func:`_dates_in`."""
    if language != "en":
        return _dates_in(sentence, context_year, language)
    found = _Found()
    take = found.take

    for m in re.finditer(rf"\b({_MONTH_NAMES})\.?\s+(\d{{1,2}}),\s*(\d{{4}})\b", sentence, re.I):
        take(m, _day(int(m.group(3)), MONTHS[m.group(1).lower()], int(m.group(2))))
    # the day first, as British and most historical writing has it: "29 May 1453", "18th of September 1931"
    for m in re.finditer(rf"(?<![\d.])(\d{{1,2}})(?:st|nd|rd|th)?\s+(?:of\s+)?({_MONTH_NAMES})\.?,?\s+(\d{{4}})\b", sentence, re.I):
        take(m, _day(int(m.group(3)), MONTHS[m.group(2).lower()], int(m.group(1))))
    for m in re.finditer(rf"\b({_MONTH_NAMES})\s*[-–]\s*({_MONTH_NAMES})\s+(\d{{4}})\b", sentence, re.I):
        y = int(m.group(3))
        take(m, f"{y:04d}-{MONTHS[m.group(1).lower()]:02d}/{y:04d}-{MONTHS[m.group(2).lower()]:02d}")
    for m in re.finditer(rf"\b(?:(early|mid|late)[- ])?({_MONTH_NAMES})\.?\s+(\d{{4}})\b", sentence, re.I):
        take(m, _month_range(int(m.group(3)), MONTHS[m.group(2).lower()], (m.group(1) or "").lower() or None))
    for m in re.finditer(r"\b(?:the\s+)?(spring|summer|fall|autumn|winter)\s+of\s+(\d{4})\b", sentence, re.I):
        y, (a, b) = int(m.group(2)), _SEASON[m.group(1).lower()]
        take(m, f"{y:04d}-{a:02d}/{y + (1 if b < a else 0):04d}-{b:02d}")
    for m in re.finditer(r"\b(early|mid|late)[- ](\d{4})s?\b", sentence, re.I):
        y = int(m.group(2))
        take(m, {"early": f"{y}-01/{y}-04", "mid": f"{y}-05/{y}-08", "late": f"{y}-09/{y}-12"}[m.group(1).lower()])
    for m in re.finditer(r"\b(\d{4})\s*[-–]\s*(\d{2,4})\b", sentence):
        a, b = int(m.group(1)), m.group(2)
        b = int(str(a)[: 4 - len(b)] + b) if len(b) < 4 else int(b)
        if 1 <= b - a <= 200:
            take(m, f"{a}/{b}")
    year, last_month = (context_year if isinstance(context_year, tuple) else (context_year, 0))
    for m in re.finditer(rf"\b({_YEAR})\b", sentence):
        take(m, m.group(1))
        year = int(m.group(1))
        before = sentence[max(0, m.start() - 12):m.start()].lower()
        last_month = 12 if ("end of" in before or "late" in before) else 0
        for start, value in found.items:
            if value.startswith(m.group(1) + "-"):
                last_month = max(last_month, int(value[5:7]))
    for m in re.finditer(rf"(?:(?<![\d.])(\d{{1,2}})(?:st|nd|rd|th)?\s+(?:of\s+)?)?\b(?:(early|mid|late)[- ])?({_MONTH_NAMES})"
                         rf"(?:\s+(\d{{1,2}}))?\b(?!,?\s*\d{{4}})", sentence, re.I):
        day_first, part, name, day_after = m.groups()
        day = day_first or day_after
        if year is None or (name.lower() == "may" and not day and not part):
            continue
        if not name[0].isupper():
            continue
        month = MONTHS[name.lower()]
        year, last_month = _narrative_year(year, last_month, month)
        if day:
            take(m, _day(year, month, int(day)))
        else:
            take(m, _month_range(year, month, (part or "").lower() or None))
    return found.values(), (year, last_month)


def _narrative_year(year: int, last_month: int, month: int) -> tuple[int, int]:
    """The year of a month named without one, after the text has reached ``last_month`` of
    ``year`` (0: no month yet), and the month reached then: the nearer reading. January after
    December is the next year (a narrative crossing New Year); March after April is the same
    year (a narrative looking back: "Carranza refused on 14 April 1917 ... but on 3 March
    Zimmermann had admitted it", which a next-year rule read as March 1918)."""
    if last_month - month > 6:
        return year + 1, month
    return year, max(last_month, month)


#: a day as other languages write it: "13.", "1er", "1º", "1-го"
_DAY = r"(?<![\d.])(\d{1,2})(?:\.|er|re|º|°|ª|-?го|-?е)?"
_DAY_MONTH_YEAR = re.compile(_DAY + r"\s+(?:de\s+)?([^\W\d_]+)\.?\s+(?:de\s+|del\s+)?(\d{4})(?!\d)")
_MONTH_YEAR = re.compile(r"(?<![\w.])([^\W\d_]+)\.?\s+(?:de\s+|del\s+)?(\d{4})(?!\d)")
_DAY_MONTH = re.compile(_DAY + r"\s+(?:de\s+)?([^\W\d_]+)")
_NUMERIC_DATE = re.compile(r"(?<![\d.])(\d{1,2})\.(\d{1,2})\.(\d{4})(?![\d.])")
_ISO_DATE = re.compile(r"(?<![\d-])(\d{4})-(\d{2})(?:-(\d{2}))?(?![\d-])")
#: a day, a month in Roman numerals and a year, as Polish, Czech, Italian or Romanian sources
#: write dates ("15 IV 1943", "15.IV.1943")
_ROMAN_DATE = re.compile(r"(?<![\w.])(\d{1,2})\.?\s*(XII|XI|X|IX|VIII|VII|VI|V|IV|III|II|I)\.?\s*(\d{4})(?!\d)")
_ROMAN_MONTHS = {r: k for k, r in enumerate("I II III IV V VI VII VIII IX X XI XII".split(), start=1)}
_CJK_DATE = re.compile(r"(?<!\d)(\d{4})\s*年(?:\s*(\d{1,2})\s*月(?:\s*(\d{1,2})\s*[日号])?)?")
_ANY_YEAR = re.compile(rf"(?<!\d)({_YEAR})(?!\d)")


def _day(year: int, month: int, day: int) -> str | None:
    """The date in the case syntax, None if there is no such day."""
    if not (1 <= month <= 12) or not (1 <= day <= calendar.monthrange(year, month)[1]):
        return None
    return f"{year:04d}-{month:02d}-{day:02d}"


def _dates_in(sentence: str, context_year, language: str) -> tuple[list[str], tuple]:
    """:func:`find_dates` for a text in another language than English: a day, month name and year
    in the language's order ("5 марта 1940 года", "13. April 1990", "5 de marzo de 1940"), a month
    name and year ("im März 1940", "в марте 1959"), numeric dates (``05.03.1940``, ``1940-03-05``),
    a month in Roman numerals (``15 IV 1943``, ``15.IV.1943``),
    Chinese and Japanese dates (``1950年2月14日``), a day and month with the year of the text so
    far, and years. Month names come from :func:`srccrit.language.month_of` (CLDR's, inflected
    forms of Slavic languages by their stems)."""
    from .language import month_of

    found = _Found()
    take = found.take

    for m in _CJK_DATE.finditer(sentence):
        y, mo, d = int(m.group(1)), m.group(2), m.group(3)
        take(m, _day(y, int(mo), int(d)) if d else (f"{y:04d}-{int(mo):02d}" if mo and 1 <= int(mo) <= 12 else (None if mo else f"{y:04d}")))
    for m in _ISO_DATE.finditer(sentence):
        y, mo, d = int(m.group(1)), int(m.group(2)), m.group(3)
        take(m, _day(y, mo, int(d)) if d else (f"{y:04d}-{mo:02d}" if 1 <= mo <= 12 else None))
    for m in _NUMERIC_DATE.finditer(sentence):
        take(m, _day(int(m.group(3)), int(m.group(2)), int(m.group(1))))
    for m in _ROMAN_DATE.finditer(sentence):
        take(m, _day(int(m.group(3)), _ROMAN_MONTHS[m.group(2)], int(m.group(1))))
    for m in _DAY_MONTH_YEAR.finditer(sentence):
        month = month_of(m.group(2), language)
        if month:
            take(m, _day(int(m.group(3)), month, int(m.group(1))))
    for m in _MONTH_YEAR.finditer(sentence):
        month = month_of(m.group(1), language)
        if month:
            take(m, f"{int(m.group(2)):04d}-{month:02d}")
    year, last_month = (context_year if isinstance(context_year, tuple) else (context_year, 0))
    for m in _ANY_YEAR.finditer(sentence):
        take(m, m.group(1))
        year, last_month = int(m.group(1)), 0
        for _, value in found.items:
            if value.startswith(m.group(1) + "-"):
                last_month = max(last_month, int(value[5:7]))
    if year is not None:
        for m in _DAY_MONTH.finditer(sentence):
            month = month_of(m.group(2), language)
            if not month:
                continue
            year, last_month = _narrative_year(year, last_month, month)
            take(m, _day(year, month, int(m.group(1))))
    return found.values(), (year, last_month)


# ------------------------------------------------------------------------ the reading


def _extract_html(raw: str) -> str:
    try:
        import trafilatura
    except ImportError as exc:  # pragma: no cover - a declared dependency
        raise SrccritError("reading HTML needs trafilatura (pip install trafilatura)") from exc
    text = trafilatura.extract(_numbered_lists(raw), include_comments=False, include_tables=False, favor_recall=True)
    if not text:
        raise SrccritError("no article text found in the HTML")
    # an ordered list's item comes out as "- 1. ^ Ferrell...": the number is the note's
    return re.sub(r"(?m)^(\s*)- (\d{1,3}\. )", r"\1\2", text)


#: what marks a LaTeX source: a footnote, a citation command, a sectioning command, a document
_LATEX = re.compile(r"\\(?:footnote|(?:auto|paren|foot|text|full|smart|super)?cite[pt]?|section|chapter|subsection|begin\{document\})\*?\s*[\[{]")
#: the highest note number the reader takes (a longer number is a year or a page)
_MAX_NOTES = 999
#: the citation commands of natbib and biblatex read as notes (their keys are the case's citekeys)
_CITE_COMMANDS = ("cite", "citep", "citet", "autocite", "parencite", "footcite", "textcite", "fullcite", "smartcite", "supercite", "footcitetext")


def _extract_latex(raw: str, where: str = "the text") -> str:
    """A LaTeX source as the plain text the reader takes, by pylatexenc: the document's body
    (where it has one) as text, each ``\\footnote{...}`` and each citation command
    (``\\cite[p.~146]{tuchman1958}``, ``\\autocite``, ``\\footcite``, natbib's ``\\citep``...) a
    note marker ``[n]``, and the notes' texts in a closing "Notes" list -- a citation's note is
    its keys and its page, so a note names the case's source by its citekey."""
    from pylatexenc.latex2text import LatexNodes2Text, MacroTextSpec
    from pylatexenc.latex2text import get_default_latex_context_db as text_context
    from pylatexenc.latexwalker import LatexWalker, LatexWalkerError, get_default_latex_context_db
    from pylatexenc.macrospec import MacroSpec

    body = re.search(r"\\begin\{document\}(.*?)(?:\\end\{document\}|\Z)", raw, re.S)
    source = body.group(1) if body else raw
    notes: list[str] = []

    def text_of(node, l2tobj) -> str:
        return " ".join(l2tobj.nodelist_to_text([node]).split()) if node is not None else ""

    def footnote(n, l2tobj):
        notes.append(text_of(n.nodeargd.argnlist[-1], l2tobj))
        return f"[{len(notes)}]"

    def cite(n, l2tobj):
        args = n.nodeargd.argnlist
        written = args[-1].latex_verbatim() if args[-1] is not None else ""  # keys as written: "a&b", "o~k" are keys, not markup
        keys = "; ".join(k.strip() for k in written.strip().strip("{}").split(",") if k.strip())
        pre, post = text_of(args[1], l2tobj), text_of(args[2], l2tobj)
        if pre and not post:  # one optional argument is the page ("\\cite[146]{key}")
            pre, post = "", pre
        notes.append(" ".join(x for x in (pre, keys + ("," if post else ""), post) if x))
        return f"[{len(notes)}]"

    walker_context = get_default_latex_context_db()
    walker_context.add_context_category("srccrit-notes", prepend=True,
                                        macros=[MacroSpec(m, "*[[{") for m in _CITE_COMMANDS] + [MacroSpec("footnote", "[{")])
    context = text_context()
    context.add_context_category("srccrit-notes", prepend=True,
                                 macros=[MacroTextSpec(m, simplify_repl=cite) for m in _CITE_COMMANDS] + [MacroTextSpec("footnote", simplify_repl=footnote)])
    try:
        nodes = LatexWalker(source, latex_context=walker_context, tolerant_parsing=True).get_latex_nodes()[0]
        text = LatexNodes2Text(latex_context=context, math_mode="verbatim").nodelist_to_text(nodes)
    except RecursionError:
        raise SrccritError(f"{where}: cannot read the LaTeX source: braces or environments nested too deeply") from None
    except LatexWalkerError as exc:
        raise SrccritError(f"{where}: cannot read the LaTeX source: {exc}") from None
    if len(notes) > _MAX_NOTES:
        raise SrccritError(f"{where}: the LaTeX source has {len(notes):,} notes and citations; notes are numbered up to {_MAX_NOTES}: "
                           "read its chapters one by one")
    # a citation written after a space or a tie ("elsewhere~\\cite{key}") is marked where the word ends
    text = re.sub(r"[ \t\xa0]+(\[\d+\])", r"\1", text).replace("\xa0", " ")
    if notes:
        text = text.rstrip() + "\n\nNotes\n" + "".join(f"{i}. {note}\n" for i, note in enumerate(notes, start=1))
    return text


def _numbered_lists(raw: str) -> str:
    """The page with each item of an ordered list beginning with its number ("1. "), as a browser
    shows it: the extractor writes list items as "- ", and a page's notes (Wikipedia's
    references) are an ordered list whose numbers are the markers' ``[1]``."""
    if "<ol" not in raw.lower():
        return raw
    import lxml.html

    try:
        root = lxml.html.document_fromstring(raw)
    except (ValueError, lxml.etree.ParserError):  # nothing parseable: the extractor says so
        return raw
    for ol in root.iter("ol"):
        try:
            n = int(ol.get("start", "1"))
        except ValueError:
            n = 1
        for li in ol.iterchildren("li"):
            li.text = f"{n}. " + (li.text or "")
            n += 1
    return lxml.html.tostring(root, encoding="unicode")


def read_text(path: str | Path | None = None, case=None, text: str | None = None, html: bool | None = None,
              language: str = "auto") -> Reading:
    """Read a document (plain text, HTML or LaTeX) into sentences with notes, names, dates and attributions.

    ``language``: the text's, as an ISO 639-1 code, or ``"auto"`` (the default:
    :func:`srccrit.language.detect_language`). It chooses pySBD's sentence rules and the dates'
    month names; OCR repairs are made in English texts only (they check words against English)."""
    if text is None:
        if path is None:
            raise SrccritError("read_text needs a path or a text")
        p = Path(path)
        if not p.exists():
            raise SrccritError(f"{p}: no such file")
        if p.is_dir():
            raise SrccritError(f"{p}: is a folder; give a text or HTML file")
        note_input(p)
        text = read_document(p)
    original = text
    if html is None:
        html = bool(re.search(r"<(html|body|p|div)\b", text[:5000], re.I))
    if html:
        text = _extract_html(text)
    elif _LATEX.search(text[:20000]) or (path is not None and Path(path).suffix.lower() in (".tex", ".ltx")):
        text = _extract_latex(text, str(path) if path is not None else "the text")
    text = text.replace("\r\n", "\n")
    from .language import SEGMENTER_LANGUAGES, detect_language

    if isinstance(language, str):
        language = language.strip().lower()
    if language == "auto":
        language = detect_language(text)
    elif not isinstance(language, str) or not re.fullmatch(r"[a-z]{2,3}", language):
        raise SrccritError(f"language: {language!r} is no ISO 639-1 code (en, de, fr, ru, zh...) nor 'auto'")

    # 0. a text with pages: their numbers and running heads out, kept as each sentence's page
    page_numbers: list[str | None] = [None]
    if "\f" in text:
        text, page_numbers = _pages(text)

    # 1. drop shop boilerplate line by line
    dropped, kept_lines = [], []
    for line in text.split("\n"):
        stripped = line.strip()
        if stripped and _BOILER.search(stripped) and len(stripped.split()) < 40:
            dropped.append(stripped)
            kept_lines.append("")
        else:
            kept_lines.append(line)
    text = "\n".join(kept_lines)

    # 2. OCR repairs with the case's names
    names = []
    if case is not None:
        names = sorted({n for _, row in case.witnesses.iterrows() for n in [row["name"], *row["aliases"]]})
    text, repairs = repair_ocr(text, names if language == "en" else [], language)

    # 3. the notes the text carries (a Notes section, footnote lines), then the note markers out
    # of the text, remembered by position
    text, note_texts = _take_endnotes(text)
    notes_at: list[tuple[int, int]] = []
    out, pos, removed = [], 0, 0
    for start, end, number in _note_markers(text):
        out.append(text[pos:start])
        notes_at.append((start - removed, number))
        removed += end - start
        pos = end
    out.append(text[pos:])
    text = "".join(out)

    # 4. paragraphs and attributed blocks
    paged = len(page_numbers) > 1
    # paragraphs: a line is a paragraph, except that a long line not ending a sentence runs on into
    # the next (hard-wrapped text); blank lines always separate
    paragraphs = []
    offset, start_at, buf = 0, 0, []
    lines = text.split("\n")
    for k, line in enumerate(lines):
        s_line = line.strip()
        if not buf:
            start_at = offset
        if s_line:
            buf.append(line)
        # (a page's lines are the layout's, however short: in a text with pages every line not
        # ending a sentence runs on)
        runs_on = (bool(s_line) and (len(s_line) > 60 or paged) and not re.search(r"[.!?\"”’)\]:]$", s_line)
                   and k + 1 < len(lines) and lines[k + 1].strip() != "")
        if buf and not runs_on:
            paragraphs.append((start_at, "\n".join(buf)))
            buf = []
        offset += len(line) + 1
    if buf:
        paragraphs.append((start_at, "\n".join(buf)))
    attributions: list[str | None] = [None] * len(paragraphs)
    current: str | None = None
    pending: list[int] = []
    for i, (_, para) in enumerate(paragraphs):
        s = para.strip()
        sig = _SIGNATURE_DASH.search(s)
        reviewer = _REVIEWER_LINE.match(s)
        words = s.split()
        if reviewer and len(words) <= 6:
            for j in pending:
                attributions[j] = reviewer.group(1)
            pending, current = [], None
            attributions[i] = reviewer.group(1)
            continue
        if sig and re.match(r"^(?:—|–|--)", s):
            # a signature line signs the block above it
            who = sig.group(1).strip()
            j = i - 1
            while j >= 0 and attributions[j] == current and current is not None and j >= i - 3:
                j -= 1
            attributions[i] = current or who
            continue
        bare = _TRAILING_MARKERS.sub("", s)  # "He denied it.[3]" ends as a sentence ends
        if len(words) <= 6 and len(s) <= _HEADING_CHARS and not re.search(r"[.!?\"”。！？]$", bare) and not _CJK_CLAUSE.search(bare):
            if i == 0:
                continue  # the text's first line is its title ("L'affaire Dreyfus"), no reviewer
            heading = re.split(r"\s+-\s+", s)[0]
            neutral = heading.lower() in ("from the critics", "from the publisher", "editorial reviews")
            current = None if neutral else heading
            pending = []
            attributions[i] = current
            continue
        if sig and len(s) > 40:
            who = sig.group(1).strip()
            attributions[i] = who
            continue
        attributions[i] = current
        if current is None:
            pending.append(i)

    # 5. sentences
    import pysbd

    seg = pysbd.Segmenter(language=language if language in SEGMENTER_LANGUAGES else "en", clean=False, char_span=True)
    page_breaks = [m.start() for m in re.finditer("\f", text)] if len(page_numbers) > 1 else None
    finder = NameFinder(case, language) if case is not None else None
    sentences: list[Sentence] = []
    year = None
    for pi, (pstart, para) in enumerate(paragraphs):
        for at, sent_text in _sentences(seg, para.replace("\n", " ").replace("\f", " ")):  # same length: offsets stay true
            if not sent_text or not any(ch.isalpha() for ch in sent_text):  # letters of any script
                continue
            start = pstart + at
            s = Sentence(len(sentences), pi, sent_text, start, attribution=attributions[pi])
            if page_breaks is not None:
                s.page = page_numbers[min(bisect.bisect_right(page_breaks, start), len(page_numbers) - 1)]
            s.dates, year = find_dates(sent_text, year, language)
            if finder is not None:
                s.names = finder.find(sent_text)
                s.mentions = list(dict.fromkeys(m.witness for m in s.names if m.witness))
            sentences.append(s)
    note_map: dict[int, int] = {}
    starts = [s.start for s in sentences]  # in text order
    for at, number in notes_at:
        # the last sentence that starts before the marker (the marker ends it or stands in it)
        k = bisect.bisect_left(starts, at) - 1
        owner = sentences[k] if k >= 0 else None
        if owner is not None:
            owner.notes.append(number)
            note_map[number] = owner.index
    blocks = []
    for who in dict.fromkeys(a for a in attributions if a):
        wid = None
        if case is not None:
            try:
                wid = case.resolve_witness(who)
            except SrccritError:
                wid = None
        blocks.append({"attribution": who, "witness": wid, "paragraphs": [i for i, a in enumerate(attributions) if a == who]})
    return Reading(str(path) if path else "<text>", text, original, sentences, repairs, dropped, note_map, blocks, note_texts, language)


#: pysbd's time grows with the square of the text it is given: paragraphs are cut into pieces of
#: about this many characters, at a sentence end where one is found
SEGMENT_CHUNK = 2000
_CHUNK_END = re.compile(r"[.!?][\"”’)\]]*\s+(?=[\"“‘(\[]?[^\W_a-z])|[。！？]")


#: a piece pySBD cut before a day written with a full stop ("Erst am | 13. April 1990", taken
#: for a numbered list): it ends in a word, and the next piece starts with the day
_CUT_BEFORE_DAY = re.compile(r"\w\s*$")
_STARTS_WITH_DAY = re.compile(r"^\d{1,2}\.\s+[^\W\d_]")


def _sentences(seg, para: str) -> list[tuple[int, str]]:
    """(offset in ``para``, text) of each sentence of a paragraph: pySBD's, with a piece it cut
    before a day written with a full stop joined to the sentence it begins."""
    out: list[tuple[int, int]] = []  # (start, end) in para
    for chunk_start, span in _segments(seg, para):
        start, end = chunk_start + span.start, chunk_start + span.end
        if out and _CUT_BEFORE_DAY.search(para[out[-1][0]:out[-1][1]]) and _STARTS_WITH_DAY.match(para[start:end].lstrip()):
            out[-1] = (out[-1][0], end)
        else:
            out.append((start, end))
    result = []
    for start, end in out:
        text = para[start:end]
        stripped = text.strip()
        result.append((start + (len(text) - len(text.lstrip())), stripped))
    return result


def _segments(seg, para: str):
    """(offset of the piece, pysbd span) for every sentence of ``para``, in linear time: pieces of
    at most about :data:`SEGMENT_CHUNK` characters cut after a sentence-final mark followed by a
    capital (else at a space), each segmented alone."""
    pos, n = 0, len(para)
    while pos < n:
        end = n
        if n - pos > SEGMENT_CHUNK:
            window = para[pos + SEGMENT_CHUNK // 2: pos + SEGMENT_CHUNK]
            cuts = [m.end() for m in _CHUNK_END.finditer(window)]
            if cuts:
                end = pos + SEGMENT_CHUNK // 2 + cuts[-1]
            else:
                space = window.rfind(" ")
                end = pos + SEGMENT_CHUNK // 2 + space + 1 if space >= 0 else pos + SEGMENT_CHUNK
        for span in seg.segment(para[pos:end]):
            yield pos, span
        pos = end


CANDIDATE_COLUMNS = ["id", "witness", "source", "locator", "proposition", "stance", "value", "date", "via", "quote", "note",
                     "sentence", "notes", "note_text", "mentions", "spellings", "matched_as", "unknown_names", "attribution", "confidence"]


def candidates(reading: Reading, case=None, source: str | None = None) -> pd.DataFrame:
    """One candidate claim per sentence that names a witness, is attributed to one, or carries a
    note marker (so that no note is lost), in the claims schema plus ``sentence``, ``notes``,
    ``note_text``, ``mentions``, ``spellings``, ``matched_as``, ``unknown_names``,
    ``attribution`` and ``confidence`` -- for the historian to review (see the README)."""
    block_witness = {b["attribution"]: b["witness"] for b in reading.blocks}
    # who speaks: the reviewer a block is attributed to, else the text's author, else the first name in it

    def author_of(key: str | None) -> str | None:
        if case is None or key is None or key not in case.sources.index:
            return None
        a = case.sources.at[key, "author"]
        return a if isinstance(a, str) else None

    author = author_of(source)
    works = _work_matcher(case, reading.language)
    cites: dict[int, str | None] = {}  # note number -> the case's source it cites; "Ibid." repeats the note before
    previous = None
    for number in sorted(reading.note_texts):
        text = reading.note_texts[number]
        previous = previous if _IBID.match(text) else works(text)
        cites[number] = previous
    rows = []
    for s in reading.sentences:
        speaker = block_witness.get(s.attribution) if s.attribution else None
        if not s.mentions and not speaker and not s.notes:
            continue
        note_texts = [reading.note_texts[n] for n in s.notes if n in reading.note_texts]
        cited = next((cites[n] for n in s.notes if cites.get(n)), None)
        # a claim read in the work its note cites is that work's author's (where the case says who)
        witness = speaker or author_of(cited) or author or (s.mentions[0] if s.mentions else None)
        confidence = (0.4 * bool(witness) + 0.1 + 0.2 * bool(s.notes) + 0.2 * bool(speaker) + 0.1 * bool(s.dates)
                      + 0.1 * bool(re.search(r"[\"“”]", s.text)))
        resolved = [m for m in s.names if m.witness]
        rows.append({
            "id": f"cand-{s.index:04d}", "witness": witness, "source": cited or source,
            "locator": ", ".join(filter(None, [f"p. {s.page}" if s.page else None, f"n. {', '.join(map(str, s.notes))}" if s.notes else None]))
                       or f"para. {s.paragraph + 1}",
            "proposition": None, "stance": None, "value": None, "date": s.dates[0] if s.dates else None, "via": "",
            "quote": s.text, "note": "", "sentence": s.index, "notes": ";".join(map(str, s.notes)), "note_text": " | ".join(note_texts),
            "mentions": ";".join(s.mentions), "spellings": ";".join(m.spelling for m in resolved),
            "matched_as": ";".join(m.matched_as or "" for m in resolved),
            "unknown_names": ";".join(dict.fromkeys(m.spelling for m in s.names if not m.witness)),
            "attribution": s.attribution, "confidence": round(min(confidence, 1.0), 2),
        })
    return pd.DataFrame(rows, columns=CANDIDATE_COLUMNS)


#: the lowest rapidfuzz partial ratio (0-100, folded text) at which a note's text names a title
NOTE_TITLE_THRESHOLD = 85


def _work_matcher(case, language: str = "en"):
    """A function from a note's text to the citekey of the case's source it cites, or None: the
    citekey itself, or an author's family name and the title (fuzzy, rapidfuzz partial ratio of
    the folded title against the note) -- the best-scoring source wins; else a periodical named
    with a date ("New York Times, 4 March 1917"), see :func:`_issue_matcher`."""
    if case is None or case.bibliography is None or not len(case.sources):
        return lambda text: None
    from rapidfuzz import fuzz

    from .dates import fold_text

    works = []
    issue = _issue_matcher(case, language)
    for key in case.sources.index:
        rec = case.bibliography.records.get(key)
        if rec is None:
            continue
        names = rec.get("author") or rec.get("editor") or ""
        families = [fold_text(n.split(",")[0] if "," in n else n.split()[-1]) for n in re.split(r"\s+and\s+", names) if n.strip()]
        for name in ("title", "shorttitle", "titleaddon"):  # a translated title is often in titleaddon
            title = fold_text(re.sub(r"[{}\[\]]", "", rec.get(name) or ""))
            if title:
                works.append((key, [f for f in families if len(f) >= 2], title))

    def match(text: str) -> str | None:
        folded = fold_text(text)
        best, best_score = None, 0.0
        for key, families, title in works:
            if re.search(rf"(?<![\w]){re.escape(key.lower())}(?![\w])", folded):
                return key
            if not title or not any(re.search(rf"(?<![\w]){re.escape(f)}(?![\w])", folded) for f in families):
                continue
            short = title.split(":")[0].strip()  # "uncertain partners: stalin, mao..." is cited by its short title
            score = max(fuzz.partial_ratio(short, folded), fuzz.partial_ratio(title, folded) if len(title) <= len(folded) else 0)
            if score >= NOTE_TITLE_THRESHOLD and score > best_score:
                best, best_score = key, score
        return best or issue(text)

    return match


def _issue_matcher(case, language: str):
    """A function from a note's text to the case's source it cites by periodical and date, as
    newspapers are cited ("The Times, 12 March 1940, p. 5"; "New York Times, 4 de marzo de
    1917"), or None: the sources whose ``journaltitle``/``journal`` the note names (folded, whole
    words) and whose date -- the bibliography's or the case's -- holds a date the note gives;
    of several, the one dated most narrowly, and none where that is not one."""
    from .dates import ValueError_, fold_text, parse_date

    def interval(raw) -> tuple[float, float] | None:
        try:
            v = parse_date(raw)
        except ValueError_:
            return None
        return v.low, v.high

    issues = []
    for key in case.sources.index:
        rec = case.bibliography.records.get(key)
        if rec is None:
            continue
        periodical = fold_text(re.sub(r"[{}]", "", rec.get("journaltitle") or rec.get("journal") or ""))
        if len(periodical) < 3:
            continue
        spans = [interval(rec.get("date"))] if rec.get("date") else []
        start, end = (case.sources.at[key, c] if c in case.sources.columns else None for c in ("date_start", "date_end"))
        if pd.notna(start) and pd.notna(end):  # the case's date of the source, as validation read it
            spans.append((pd.Timestamp(start).toordinal(), pd.Timestamp(end).toordinal()))
        spans = [x for x in spans if x is not None]
        if spans:
            issues.append((key, re.compile(rf"(?<![\w]){re.escape(periodical)}(?![\w])"), spans))
    if not issues:
        return lambda text: None

    def match(text: str) -> str | None:
        folded = fold_text(text)
        named = [(key, spans) for key, pattern, spans in issues if pattern.search(folded)]
        if not named:
            return None
        given = [x for x in (interval(d) for d in find_dates(text, None, language)[0]) if x is not None]
        fits = sorted((hi - lo, key) for key, spans in named for lo, hi in spans
                      if any(lo <= a and b <= hi for a, b in given))
        if not fits or (len(fits) > 1 and fits[1][0] == fits[0][0] and fits[1][1] != fits[0][1]):
            return None
        return fits[0][1]

    return match


_FACT = re.compile(rf"\b({_YEAR})\b|\b\d[\d,.]*\b|[\"“”]")


REPORT_COLUMNS = ["sentence", "paragraph", "text", "notes", "dates", "mentions", "quotation", "factual", "noted",
                  "covered_by_paragraph_note", "unsupported"]


def citation_report(reading: Reading) -> pd.DataFrame:
    """Per sentence: does it carry a note, and does it make a factual statement (a date, a
    number, a quotation, a named actor)? ``unsupported`` marks factual sentences with no note
    (in the same sentence or closing the same paragraph)."""
    rows = []
    closing_notes = {}
    for s in reading.sentences:
        if s.notes:
            closing_notes[s.paragraph] = max(closing_notes.get(s.paragraph, -1), s.index)
    for s in reading.sentences:
        has_quote = bool(re.search(r"[\"“”]", s.text))
        factual = bool(s.dates or s.mentions or _FACT.search(s.text))
        covered = bool(s.notes) or closing_notes.get(s.paragraph, -1) >= s.index
        rows.append({"sentence": s.index, "paragraph": s.paragraph + 1, "text": s.text, "notes": s.notes, "dates": s.dates,
                     "mentions": s.mentions, "quotation": has_quote, "factual": factual, "noted": bool(s.notes),
                     "covered_by_paragraph_note": covered and not s.notes, "unsupported": factual and not covered})
    return pd.DataFrame(rows, columns=REPORT_COLUMNS)


def density(report: pd.DataFrame) -> pd.DataFrame:
    """Notes per paragraph against factual sentences per paragraph."""
    if report.empty:
        return pd.DataFrame(columns=["sentences", "factual", "noted", "unsupported", "quotations_without_note"],
                            index=pd.Index([], name="paragraph"))
    g = report.groupby("paragraph")
    return pd.DataFrame({"sentences": g.size(), "factual": g["factual"].sum(), "noted": g["noted"].sum(),
                         "unsupported": g["unsupported"].sum(), "quotations_without_note": g.apply(lambda d: int((d["quotation"] & ~d["noted"]).sum()), include_groups=False)})



def append_candidates(case, reviewed_csv: str | Path) -> tuple[Path, int]:
    """Append the rows of a reviewed candidates CSV whose ``accept`` column says yes to the case's
    claims table file (CSV only). The table is backed up to ``.bak`` first and rewritten atomically;
    the case is re-validated with the new rows before anything is written. This is the one command
    that writes a file the case reads, and only that table."""
    import shutil
    import tempfile

    from .io.atomic import write_text
    from .io.case_file import read_raw_case
    from .io.output import unescape_cell
    from .io.tables import csv_dialect, csv_text, read_csv, read_table_file
    from .model import FIELDS
    from .validation import build_case

    raw = read_raw_case(case.path)
    claims_ref = raw.doc.data.get("claims")
    if not isinstance(claims_ref, str) or not claims_ref.lower().endswith(".csv"):
        raise SrccritError(f"{case.path}: claims must be a CSV table file to append to (move them to claims.csv and name it in the case)")
    target = (case.path.parent / claims_ref).resolve()
    reviewed_csv = Path(reviewed_csv)
    if not reviewed_csv.is_file():
        raise SrccritError(f"{reviewed_csv}: no such file (give -o the reviewed candidates CSV)")
    note_input(reviewed_csv)
    try:
        reviewed = read_csv(reviewed_csv, dtype=str, keep_default_na=False)  # as saved by a spreadsheet: ";", a BOM
    except (ValueError, UnicodeDecodeError, pd.errors.ParserError) as exc:
        raise SrccritError(f"{reviewed_csv}: cannot read it as CSV ({str(exc).splitlines()[0][:120]})") from None
    if "accept" not in reviewed.columns:
        raise SrccritError(f"{reviewed_csv}: add an 'accept' column and mark the rows to keep with yes")
    keep = reviewed[reviewed["accept"].str.strip().str.lower().isin(["yes", "y", "true", "1", "x"])]
    dialect = csv_dialect(target)  # the table is written back as it was: separator, BOM, line ends
    existing = read_csv(target, dialect, dtype=str, keep_default_na=False)
    # the table's columns, and any other claim field the reviewer filled in (a quote, a locator...)
    cols = list(existing.columns) + [c for c in FIELDS["claims"] if c not in existing.columns and c in keep.columns
                                     and keep[c].str.strip().ne("").any()]
    existing = existing.reindex(columns=cols, fill_value="")
    new = keep.reindex(columns=cols, fill_value="").map(unescape_cell)  # undo the formula guard of our own CSV
    combined = pd.concat([existing, new], ignore_index=True)
    text = csv_text(combined, dialect)
    # validate the result before it replaces the table: the case as read, with the new claims
    with tempfile.TemporaryDirectory(prefix="srccrit-append-") as tmp:
        trial = Path(tmp) / target.name
        trial.write_text(text, encoding="utf-8")
        frame, probs = read_table_file(trial, str(target))
        raw.tables["claims"] = frame
        raw.problems = [p for p in raw.problems if p.file != str(target)] + probs
        build_case(raw)
    shutil.copy2(target, Path(str(target) + ".bak"))
    write_text(target, text, replacing_input=True)
    return target, len(new)
