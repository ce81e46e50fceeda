"""Reading the texts: notes, names, dates and candidate claims from a scanned chapter or a review page.

``read_text(path, case=None)`` turns a plain-text (or HTML) document into a :class:`Reading`:

* **boilerplate**: shop and navigation lines of a web capture (prices, "Buy Used", rating
  widgets, review rules) are dropped and listed; HTML goes through trafilatura;
* **OCR repairs**, listed with position and original text, never silent: fused words
  (``ifnecessary`` -> ``if necessary``, ``ofKim`` -> ``of Kim``) and character confusions
  (``fTee`` -> ``free``, ``Kim II Sung`` -> ``Kim Il Sung``) checked against wordfreq's English
  word list and the case's names;
* **note markers** fused after punctuation or a closing quote (``live with."124``) are taken out
  of the sentence and attached to it; years, decimals and page numbers are not notes;
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

from .errors import SrccritError
from .io.atomic import note_input

__all__ = ["Reading", "Sentence", "read_text", "candidates", "citation_report", "find_dates", "repair_ocr"]

MONTHS = {m.lower(): i for i, m in enumerate(calendar.month_name) if m}
MONTHS.update({m.lower(): i for i, m in enumerate(calendar.month_abbr) if m})

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

    def sentences_frame(self) -> pd.DataFrame:
        return pd.DataFrame([{"sentence": s.index, "paragraph": s.paragraph, "text": s.text, "notes": s.notes, "mentions": s.mentions,
                              "dates": s.dates, "attribution": s.attribution} for s in self.sentences])

    def repairs_frame(self) -> pd.DataFrame:
        return pd.DataFrame([r.__dict__ for r in self.repairs], columns=["start", "end", "original", "replacement", "kind"])


# ------------------------------------------------------------------------------ OCR


def _zipf(token: str) -> float:
    from wordfreq import zipf_frequency

    return zipf_frequency(token, "en")


_CONFUSIONS = [("T", "r"), ("l", "i"), ("1", "l"), ("0", "o"), ("rn", "m"), ("vv", "w"), ("I", "l"), ("cl", "d")]


def repair_ocr(text: str, names: list[str] | None = None) -> tuple[str, list[Repair]]:
    """Repair fused words and character confusions; return the new text and every repair made."""
    repairs: list[Repair] = []
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
    for m in token_re.finditer(text):
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
                score = min(_zipf(a), _zipf(b))
                if score >= 3.5 and (best is None or score > best[0]):
                    best = (score, f"{a} {b}")
            if best:
                fixed, kind = best[1], "fused words"
        if fixed:
            repairs.append(Repair(m.start(), m.end(), tok, fixed, kind))
    repairs.sort(key=lambda r: r.start)
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
_MONTH_NAMES = "|".join(sorted((m for m in MONTHS if len(m) > 3), key=len, reverse=True))


def _month_range(year: int, month: int, part: str | None = None) -> str:
    if part == "early":
        return f"{year:04d}-{month:02d}-01/{year:04d}-{month:02d}-10"
    if part == "mid":
        return f"{year:04d}-{month:02d}-11/{year:04d}-{month:02d}-20"
    if part == "late":
        last = calendar.monthrange(year, month)[1]
        return f"{year:04d}-{month:02d}-21/{year:04d}-{month:02d}-{last:02d}"
    return f"{year:04d}-{month:02d}"


def find_dates(sentence: str, context_year=None) -> tuple[list[str], tuple]:
    """Dates mentioned in a sentence, in the case date syntax, and the narrative context
    (year, month) to pass to the next sentence: a month named without a year takes the
    year of the text so far, rolled forward when the month comes before the last one."""
    found: list[tuple[int, str]] = []
    used: list[tuple[int, int]] = []

    def take(m, value):
        if any(a < m.end() and m.start() < b for a, b in used):
            return
        used.append((m.start(), m.end()))
        found.append((m.start(), value))

    for m in re.finditer(rf"\b({_MONTH_NAMES})\s+(\d{{1,2}}),\s*(\d{{4}})\b", sentence, re.I):
        take(m, f"{int(m.group(3)):04d}-{MONTHS[m.group(1).lower()]:02d}-{int(m.group(2)):02d}")
    for m in re.finditer(rf"\b({_MONTH_NAMES})\s*[-–]\s*({_MONTH_NAMES})\s+(\d{{4}})\b", sentence, re.I):
        y = int(m.group(3))
        take(m, f"{y:04d}-{MONTHS[m.group(1).lower()]:02d}/{y:04d}-{MONTHS[m.group(2).lower()]:02d}")
    for m in re.finditer(rf"\b(?:(early|mid|late)[- ])?({_MONTH_NAMES})\s+(\d{{4}})\b", sentence, re.I):
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
    for m in re.finditer(r"\b(1[5-9]\d\d|20\d\d)\b", sentence):
        take(m, m.group(1))
        year = int(m.group(1))
        before = sentence[max(0, m.start() - 12):m.start()].lower()
        last_month = 12 if ("end of" in before or "late" in before) else 0
        for start, value in found:
            if value.startswith(m.group(1) + "-"):
                last_month = max(last_month, int(value[5:7]))
    for m in re.finditer(rf"\b(?:(early|mid|late)[- ])?({_MONTH_NAMES})(?:\s+(\d{{1,2}}))?\b(?!,?\s*\d{{4}})", sentence, re.I):
        if year is None or (m.group(2).lower() == "may" and not m.group(3) and not m.group(1)):
            continue
        if not m.group(2)[0].isupper():
            continue
        month = MONTHS[m.group(2).lower()]
        if month < last_month:  # a date without a year follows the previous one in the narrative
            year, last_month = year + 1, 0
        last_month = max(last_month, month)
        if m.group(3):
            take(m, f"{year:04d}-{month:02d}-{int(m.group(3)):02d}")
        else:
            take(m, _month_range(year, month, (m.group(1) or "").lower() or None))
    return [v for _, v in sorted(found)], (year, last_month)


# ------------------------------------------------------------------------ the reading


def _extract_html(raw: str) -> str:
    try:
        import trafilatura
    except ImportError as exc:  # pragma: no cover - a declared dependency
        raise SrccritError("reading HTML needs trafilatura (pip install trafilatura)") from exc
    text = trafilatura.extract(raw, include_comments=False, include_tables=False, favor_recall=True)
    if not text:
        raise SrccritError("no article text found in the HTML")
    return text


def _name_forms(case) -> dict[str, str]:
    """Spellings to look for in a text -> witness id: names, aliases, and unambiguous surnames."""
    forms: dict[str, str] = {}
    surnames: dict[str, set] = {}
    for wid, row in case.witnesses.iterrows():
        for n in [row["name"], *row["aliases"]]:
            if len(n) >= 3:
                forms.setdefault(n, wid)
            parts = re.sub(r"[^\w\s'’-]", " ", n).split()
            if len(parts) >= 2 and len(parts[-1]) >= 3:
                surnames.setdefault(parts[-1], set()).add(wid)
    for s, ids in surnames.items():
        if len(ids) == 1 and s not in forms:
            forms[s] = next(iter(ids))
    return forms


def read_text(path: str | Path | None = None, case=None, text: str | None = None, html: bool | None = None) -> Reading:
    """Read a document (plain text or HTML) into sentences with notes, names, dates and attributions."""
    if text is None:
        if path is None:
            raise SrccritError("read_text needs a path or a text")
        p = Path(path)
        if not p.exists():
            raise SrccritError(f"{p}: no such file")
        if p.is_dir():
            raise SrccritError(f"{p}: is a folder; give a text or HTML file")
        note_input(p)
        try:
            text = p.read_text(encoding="utf-8")
        except UnicodeDecodeError as exc:
            raise SrccritError(f"{p}: not UTF-8 text (byte {exc.start}): save it as UTF-8") from None
    original = text
    if html is None:
        html = bool(re.search(r"<(html|body|p|div)\b", text[:5000], re.I))
    if html:
        text = _extract_html(text)
    text = text.replace("\r\n", "\n")

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
    text, repairs = repair_ocr(text, names)

    # 3. note markers out of the text, remembered by position
    notes_at: list[tuple[int, int]] = []
    out, pos, removed = [], 0, 0
    for m in _NOTE.finditer(text):
        out.append(text[pos:m.start(2)])
        notes_at.append((m.start(2) - removed, int(m.group(2))))
        removed += m.end(2) - m.start(2)
        pos = m.end(2)
    out.append(text[pos:])
    text = "".join(out)

    # 4. paragraphs and attributed blocks
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
        runs_on = (bool(s_line) and len(s_line) > 60 and not re.search(r"[.!?\"”’)\]:]$", s_line)
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
        if len(words) <= 6 and not re.search(r"[.!?\"”]$", s):
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

    seg = pysbd.Segmenter(language="en", clean=False, char_span=True)
    forms = _name_forms(case) if case is not None else {}
    form_res = [(re.compile(r"(?<![\w])" + re.escape(f).replace(r"\ ", r"[\s-]+") + r"(?![\w])", re.I), wid) for f, wid in
                sorted(forms.items(), key=lambda kv: -len(kv[0]))]
    sentences: list[Sentence] = []
    year = None
    for pi, (pstart, para) in enumerate(paragraphs):
        for chunk_start, span in _segments(seg, para.replace("\n", " ")):  # same length: offsets stay true
            sent_text = span.sent.strip()
            if not sent_text or not re.search(r"[A-Za-z]", sent_text):
                continue
            start = pstart + chunk_start + span.start
            s = Sentence(len(sentences), pi, sent_text, start, attribution=attributions[pi])
            s.dates, year = find_dates(sent_text, year)
            seen: list[str] = []
            for rx, wid in form_res:
                if rx.search(sent_text) and wid not in seen:
                    seen.append(wid)
            s.mentions = seen
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
    return Reading(str(path) if path else "<text>", text, original, sentences, repairs, dropped, note_map, blocks)


#: pysbd's time grows with the square of the text it is given: paragraphs are cut into pieces of
#: about this many characters, at a sentence end where one is found
SEGMENT_CHUNK = 2000
_CHUNK_END = re.compile(r"[.!?][\"”’)\]]*\s+(?=[\"“‘(\[]?[A-Z0-9])")


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


def candidates(reading: Reading, case=None, source: str | None = None) -> pd.DataFrame:
    """One candidate claim per sentence naming a witness (or attributed to one), in the claims schema
    plus ``sentence``, ``notes``, ``mentions``, ``confidence`` -- for the historian to review."""
    block_witness = {b["attribution"]: b["witness"] for b in reading.blocks}
    # who speaks: the reviewer a block is attributed to, else the text's author, else the first name in it
    author = None
    if case is not None and source is not None and source in case.sources.index:
        a = case.sources.at[source, "author"]
        author = a if isinstance(a, str) else None
    rows = []
    for s in reading.sentences:
        speaker = block_witness.get(s.attribution) if s.attribution else None
        if not s.mentions and not speaker:
            continue
        witness = speaker or author or s.mentions[0]
        confidence = 0.4 + 0.2 * bool(s.notes) + 0.2 * bool(speaker) + 0.1 * bool(s.dates) + 0.1 * bool(re.search(r"[\"“”]", s.text))
        rows.append({
            "id": f"cand-{s.index:04d}", "witness": witness, "source": source, "locator": (f"n. {', '.join(map(str, s.notes))}" if s.notes else f"para. {s.paragraph + 1}"),
            "proposition": None, "stance": None, "value": None, "date": s.dates[0] if s.dates else None, "via": "",
            "quote": s.text, "note": "", "sentence": s.index, "notes": ";".join(map(str, s.notes)), "mentions": ";".join(s.mentions),
            "attribution": s.attribution, "confidence": round(min(confidence, 1.0), 2),
        })
    return pd.DataFrame(rows, columns=["id", "witness", "source", "locator", "proposition", "stance", "value", "date", "via", "quote", "note",
                                       "sentence", "notes", "mentions", "attribution", "confidence"])


_FACT = re.compile(r"\b(1[5-9]\d\d|20\d\d)\b|\b\d[\d,.]*\b|[\"“”]")


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
    from .io.tables import read_table_file
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
        reviewed = pd.read_csv(reviewed_csv, dtype=str, keep_default_na=False)
    except (ValueError, UnicodeDecodeError, pd.errors.ParserError) as exc:
        raise SrccritError(f"{reviewed_csv}: cannot read it as CSV ({str(exc).splitlines()[0][:120]})") from None
    if "accept" not in reviewed.columns:
        raise SrccritError(f"{reviewed_csv}: add an 'accept' column and mark the rows to keep with yes")
    keep = reviewed[reviewed["accept"].str.strip().str.lower().isin(["yes", "y", "true", "1", "x"])]
    existing = pd.read_csv(target, dtype=str, keep_default_na=False)
    # the table's columns, and any other claim field the reviewer filled in (a quote, a locator...)
    cols = list(existing.columns) + [c for c in FIELDS["claims"] if c not in existing.columns and c in keep.columns
                                     and keep[c].str.strip().ne("").any()]
    existing = existing.reindex(columns=cols, fill_value="")
    new = keep.reindex(columns=cols, fill_value="").map(unescape_cell)  # undo the formula guard of our own CSV
    combined = pd.concat([existing, new], ignore_index=True)
    text = combined.to_csv(index=False, lineterminator="\n")
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
