"""Merging .bib files without losing anything a user wrote.

``merge(paths)`` reads every file tolerantly (:func:`srccrit.io.bibliography.tolerated_entries`)
and writes one library that keeps, in file order, every comment (``%`` lines, ``@comment``,
JabRef's ``jabref-meta``), every ``@string`` (in its original order: a macro may be built from an
earlier one), every ``@preamble``, every unknown entry type and field, and every entry that is
not a duplicate of an earlier one. A duplicate is merged into the first entry of its work:

* **evidence, conservatively.** Two entries are one work if they carry the same DOI (normalised:
  ``https://doi.org/``, ``dx.doi.org``, ``doi:`` stripped, case folded) -- unless their titles
  are unlike and their first authors differ, an exporter's error seen in real files -- or, with no DOI on one
  side: the same ISBN on two *books* (an ISBN names a volume, never a chapter or a paper in it);
  or the same kind of entry (article; book; part of a book or proceedings; thesis; report;
  other) *and* titles alike (rapidfuzz token-sort ratio >= :data:`TITLE_THRESHOLD` on Unicode
  text, transliterated only when the two are in different scripts) with the same numbers and
  acronyms (Vol. 1 is not Vol. 2, ICML is not ICLR) *and* the same year (inherited through
  ``crossref``/``xdata``) *and* the same first author or editor (across romanisations) *and*
  equal ``volume``/``number``/``pages``/``chapter``/``edition`` where both have one (a first page
  alone equals the range it begins: ``8920`` and ``8920--8923``). An entry
  without a title is never a duplicate by its title; two DOIs that differ are two works.
* **nothing lost.** The merged entry keeps every field of both (field names compared without
  case: ``Title`` is ``title``); where both have a field with different values, the kept entry's
  value stays (``prefer='last'``: the later file's) and the other is listed in the report. Every
  merged-away key is added to the entry's ``ids`` field (biblatex's key aliases), so
  ``\\cite{merged-away-key}`` keeps working with biber.
* **keys.** A different work under a key already used is renamed (``keya``) and reported.

Comparisons are blocked by DOI, by the first letters of the title and by ISBN, so time grows
about linearly with the number of entries (see ``benchmarks/``).
"""

from __future__ import annotations

import json
import re
import unicodedata
from dataclasses import dataclass, field
from pathlib import Path

import bibtexparser
from bibtexparser.library import Library
from bibtexparser.model import Entry, Field, ParsingFailedBlock, DuplicateBlockKeyBlock, DuplicateFieldKeyBlock
from rapidfuzz import fuzz

from .dates import fold_text
from .errors import CaseError
from .io.atomic import write_text
from .io.bibliography import parse_bib_file, tolerated_entries

__all__ = ["merge", "MergeReport", "normalise_doi", "TITLE_THRESHOLD", "to_latin"]

#: the lowest title similarity (rapidfuzz token-sort ratio, 0-100) at which two entries may be one work
TITLE_THRESHOLD = 92

_FAMILIES = {
    "article": "article", "review": "article",
    "book": "book", "mvbook": "book", "collection": "book", "mvcollection": "book", "proceedings": "book",
    "mvproceedings": "book", "reference": "book", "mvreference": "book", "booklet": "book", "manual": "book",
    "inbook": "part", "incollection": "part", "inproceedings": "part", "conference": "part", "bookinbook": "part",
    "suppbook": "part", "suppcollection": "part", "inreference": "part",
    "thesis": "thesis", "phdthesis": "thesis", "mastersthesis": "thesis",
    "report": "report", "techreport": "report",
}
_BOOKS = {"book", "mvbook", "collection", "mvcollection", "proceedings", "mvproceedings", "reference", "mvreference"}
_EXACT_FIELDS = ("volume", "number", "pages", "chapter", "edition", "part", "version")
_CJK = re.compile(r"[\u3400-\u9fff\uf900-\ufaff]")


def normalise_doi(value: str | None) -> str | None:
    """``https://dx.doi.org/10.1/X``, ``doi:10.1/x``, ``10.1/x`` -> ``10.1/x``; None if no DOI."""
    if not value:
        return None
    v = value.strip().lower()
    v = re.sub(r"^(?:https?://)?(?:dx\.)?doi\.org/", "", v)
    v = re.sub(r"^doi:\s*", "", v)
    if v.startswith("10."):
        return v
    m = re.search(r"(?<![\w.])10\.\d{4,9}/\S+", v)  # http://doi.acm.org/10.1145/..., a resolver's address
    return m.group(0) if m else None


def to_latin(text: str) -> str:
    """Latin letters for any script: Chinese characters by pypinyin (syllables apart), the rest by
    anyascii (Cyrillic, Greek, kana, hangul...); Latin text is returned as it is."""
    if text.isascii():
        return text
    if _CJK.search(text):
        from pypinyin import lazy_pinyin

        text = " ".join(lazy_pinyin(text))
    from anyascii import anyascii

    return anyascii(text)


def _script(text: str) -> str:
    for ch in text:
        if ch.isalpha():
            name = unicodedata.name(ch, "")
            return name.split()[0] if name else "?"
    return ""


def _title_key(title: str) -> str:
    return " ".join(re.findall(r"\w+", fold_text(title)))


@dataclass
class _Work:
    """One entry as the merge compares it."""

    entry: Entry
    file: str
    fields: dict[str, str]       # decoded, field names lower-cased, crossref/xdata resolved
    doi: str | None
    isbn: frozenset              # the ISBNs it gives, each as ISBN-13 where it is a valid ISBN
    family: str
    title: str                   # folded, words only
    latin: str                   # the title in Latin letters, folded
    markers: frozenset           # numbers and acronyms of the title
    year: str | None
    person: str | None           # first author's (or editor's) family name, folded


def _person(fields: dict[str, str]) -> str | None:
    names = fields.get("author") or fields.get("editor") or ""
    first = re.split(r"\s+and\s+", names.strip())[0].strip().strip("{}") if names.strip() else ""
    if not first:
        return None
    parts = [p.strip() for p in first.split(",")]
    if len(parts) > 1:  # "Stiff Jr, Henry A" (Google Scholar), "Stiff, Jr., Henry A." (BibTeX's von Last, Jr, First)
        family = parts[0]
    else:
        words = [w for w in first.split() if fold_text(w).strip(".") not in _SUFFIXES] or first.split()
        family = words[-1]
    words = family.split()
    family = " ".join(w for w in words if fold_text(w).strip(".") not in _SUFFIXES) or family
    return fold_text(family)


#: generational suffixes, which some exporters glue to the family name ("Stiff Jr")
_SUFFIXES = frozenset({"jr", "sr", "ii", "iii", "iv", "jun", "sen"})


_ISBN_LIKE = re.compile(r"[0-9][0-9\s\-]{8,}[0-9Xx]\b")


def isbns(text: str | None) -> frozenset:
    """The ISBNs an ``isbn`` field gives (``978-0-19-932232-9``, ``0804725217 (pbk.); 9780804725217``),
    each as its ISBN-13 (python-stdnum) so that the ISBN-10 and ISBN-13 of a book are one; a
    number that is no valid ISBN is kept as its digits (two exports' same typo still match)."""
    from stdnum import isbn as stdisbn

    out = set()
    for token in _ISBN_LIKE.findall(text or ""):
        digits = stdisbn.compact(token)
        parts = [digits] if len(digits) in (10, 13) else [stdisbn.compact(p) for p in token.split()]  # "9780804725217 0804725217"
        for d in parts:
            if len(d) in (10, 13):
                out.add(stdisbn.to_isbn13(d) if stdisbn.is_valid(d) else d.upper())
    return frozenset(out)


def _work(entry: Entry, decoded: dict[str, str], file: str) -> _Work:
    title = decoded.get("title", "")
    folded = _title_key(title)
    year = (decoded.get("year") or decoded.get("date") or "")[:4] or None
    isbn = isbns(decoded.get("isbn"))
    markers = frozenset(re.findall(r"\b\d+\b", folded)) | frozenset(re.findall(r"\b[A-Z]{2,}\b", title))
    etype = entry.entry_type.lower()  # a type of its own (@softwareversion) is a kind of its own
    return _Work(entry, file, decoded, normalise_doi(decoded.get("doi")), isbn, _FAMILIES.get(etype, etype),
                 folded, _title_key(to_latin(title)), markers, year, _person(decoded))


def _contradicts(a: _Work, b: _Work) -> bool:
    """Whether two entries with one DOI are plainly two works: titles unlike (ratio < 60) and
    first authors different."""
    if not (a.title and b.title and a.person and b.person):
        return False
    return fuzz.token_sort_ratio(a.latin, b.latin) < 60 and a.person != b.person


def _same_numbers(name: str, a: str, b: str) -> bool:
    """Whether two values of ``volume``, ``pages``... agree: equal, dashes and spaces aside --
    and for pages, a first page alone agrees with the range it begins (Mendeley and many journals'
    exports give ``8920``, Zotero ``8920--8923``: one article)."""
    if name != "pages":
        return _dashed(a) == _dashed(b)
    a, b = _pages(a), _pages(b)
    first_a, _, rest_a = a.partition("-")
    first_b, _, rest_b = b.partition("-")
    return a == b or (first_a == first_b and bool(first_a) and not (rest_a and rest_b))


def _dashed(value: str) -> str:
    return re.sub(r"[\s\-–—]+", "-", value.strip().lower()).strip("-")


def _pages(pages: str) -> str:
    """Pages as ``first-last`` or ``first``: "pp." or "S." and the kind of dash aside, ``1234-56``
    written out (``1234-1256``), and a range that cannot be one (``15-3``, as Mendeley exports
    some) its first page alone."""
    pages = _dashed(re.sub(r"^\s*(?:pp?\.?|s\.)\s*", "", pages, flags=re.IGNORECASE))
    first, dash, last = pages.partition("-")
    if not (dash and first.isdigit() and last.isdigit()):
        return pages
    if len(last) < len(first):
        last = first[: len(first) - len(last)] + last
    return f"{first}-{last}" if int(last) >= int(first) else first


def same_work(a: _Work, b: _Work) -> tuple[bool, str]:
    """Whether two entries are one work, and the evidence (see the module's docstring)."""
    if a.doi and b.doi:
        if a.doi != b.doi:
            return False, ""
        if _contradicts(a, b):  # an exporter's error: two works given one DOI (seen in real files)
            return False, ""
        return True, "same DOI"
    if a.family != b.family:
        return False, ""
    for name in _EXACT_FIELDS:
        va, vb = a.fields.get(name), b.fields.get(name)
        if va and vb and not _same_numbers(name, va, vb):
            return False, ""
    if a.isbn and b.isbn and a.entry.entry_type.lower() in _BOOKS and b.entry.entry_type.lower() in _BOOKS:
        if a.isbn & b.isbn:
            return True, "same ISBN (books)"
    if not a.title or not b.title:
        return False, ""
    if a.year != b.year or a.markers != b.markers:
        return False, ""
    if a.person or b.person:
        if not (a.person and b.person):
            return False, ""
        if a.person != b.person:
            from .names import same_person

            if not same_person(a.person, b.person) and fuzz.ratio(to_latin(a.person), to_latin(b.person)) < 85:
                return False, ""
    same_script = _script(a.title) == _script(b.title)
    score = fuzz.token_sort_ratio(a.title, b.title) if same_script else fuzz.token_sort_ratio(a.latin, b.latin)
    if score < TITLE_THRESHOLD:
        return False, ""
    return True, f"title {score:.0f}% alike{'' if same_script else ' (transliterated)'}, same year, first author and numbers"


@dataclass
class MergeReport:
    """Every decision of a merge: ``merged`` (with each conflict's kept and dropped values),
    ``renamed`` and ``warning`` rows."""

    decisions: list[dict] = field(default_factory=list)

    def add(self, **kw) -> None:
        self.decisions.append(kw)

    def to_json(self) -> str:
        return json.dumps(self.decisions, ensure_ascii=False, indent=2) + "\n"


def _resolved_fields(decoded: Library) -> dict[str, dict[str, str]]:
    """Decoded fields of every entry by key, with crossref/xdata parents' fields inherited."""
    own = {e.key: {f.key.lower(): " ".join(str(f.value).split()) for f in e.fields} for e in decoded.entries}
    out = {}
    for key, fields in own.items():
        merged, seen, frontier = dict(fields), {key}, [fields]
        for _ in range(8):  # a chain: module -> version -> software
            nxt = []
            for node in frontier:
                for link in ("crossref", "xdata"):
                    for parent in re.split(r"\s*,\s*", node.get(link, "")):
                        if parent in own and parent not in seen:
                            seen.add(parent)
                            nxt.append(own[parent])
                            for name, value in own[parent].items():
                                if name not in ("ids", "crossref", "xdata"):
                                    merged.setdefault(name, value)
            frontier = nxt
        out[key] = merged
    return out


def merge(paths: list[str | Path], output: str | Path | None = None, prefer: str = "first") -> tuple[str, MergeReport]:
    """Merge .bib files (see the module's docstring). Returns the merged text and the report."""
    report = MergeReport()
    blocks: list = []          # the output, in file order
    works: list[_Work] = []    # kept entries
    by_doi: dict[str, int] = {}
    by_block: dict[tuple, list[int]] = {}
    kept_keys: set[str] = set()
    strings_seen: dict[str, str] = {}
    errors = []
    for path in paths:
        raw, decoded, problems = parse_bib_file(Path(path))
        errors += [p for p in problems if p.level == "error"]
        for p in problems:
            if p.level == "warning":
                report.add(action="warning", file=p.file, line=p.line, message=p.message)
        entries, _ = tolerated_entries(raw, str(path))
        fields = _resolved_fields(decoded)
        tolerated = {e.start_line: e for e in entries}
        for block in raw.blocks:
            if isinstance(block, bibtexparser.model.String):
                value = str(block.value)
                if block.key in strings_seen and strings_seen[block.key] != value:
                    report.add(action="warning", file=str(path), line=(block.start_line or 0) + 1,
                               message=f"@string {block.key} is defined differently in an earlier file; the first definition is kept")
                    continue
                if block.key not in strings_seen:
                    strings_seen[block.key] = value
                    blocks.append(block)
                continue
            if isinstance(block, ParsingFailedBlock) and not isinstance(block, (DuplicateBlockKeyBlock, DuplicateFieldKeyBlock)):
                text = "\n".join("% " + line for line in block.raw.rstrip().splitlines())
                blocks.append(bibtexparser.model.ImplicitComment("% srccrit: this block could not be read and is kept as written:\n" + text))
                continue
            entry = tolerated.get(block.start_line) if isinstance(block, (Entry, DuplicateBlockKeyBlock, DuplicateFieldKeyBlock)) else None
            if entry is None:
                if not isinstance(block, (Entry, DuplicateBlockKeyBlock, DuplicateFieldKeyBlock)):
                    blocks.append(block)  # comments, @preamble
                continue
            entry = Entry(entry.entry_type, entry.key, [Field(f.key.lower(), f.value) for f in entry.fields], entry.start_line)
            work = _work(entry, fields.get(entry.key, {}), str(path))
            hit = _find(work, works, by_doi, by_block)
            if hit is None:
                if entry.key in kept_keys:
                    new = _free_key(entry.key, kept_keys)
                    report.add(action="renamed", key=entry.key, to=new, file=str(path), reason="a different work already has this key")
                    entry = Entry(entry.entry_type, new, entry.fields, entry.start_line)
                    work.entry = entry
                kept_keys.add(entry.key)
                _index(work, len(works), by_doi, by_block)
                works.append(work)
                blocks.append(entry)
                continue
            i, why = hit
            target = works[i].entry
            conflicts = _merge_into(target, entry, work, works[i], prefer)
            if entry.key != target.key:
                ids = [k for k in re.split(r"\s*,\s*", str(target.fields_dict["ids"].value).strip("{}")) if k] if "ids" in target.fields_dict else []
                for k in [entry.key, *[k for k in re.split(r"\s*,\s*", work.fields.get("ids", "")) if k]]:
                    if k not in ids and k != target.key:
                        ids.append(k)
                target.set_field(Field("ids", "{" + ",".join(ids) + "}"))
            report.add(action="merged", key=entry.key, into=target.key, file=str(path), reason=why, conflicts=conflicts,
                       kept=("last" if prefer == "last" else "first"))
    if errors:
        raise CaseError(errors)
    from .bibtex import write_library  # the same writer settings as every .bib srccrit writes

    text = write_library(Library(blocks, fail_on_duplicate_key=False))
    if output is not None:
        write_text(output, text)  # never onto an input: parse_bib_file noted each one
    return text, report


def _blocking_keys(work: _Work) -> list[tuple]:
    keys = []
    if work.title:
        keys.append(("t", work.latin.replace(" ", "")[:10], work.year))  # same_work needs the same year
    keys += [("i", number) for number in sorted(work.isbn)]
    return keys


def _index(work: _Work, i: int, by_doi: dict, by_block: dict) -> None:
    if work.doi:
        by_doi.setdefault(work.doi, i)
    for key in _blocking_keys(work):
        by_block.setdefault(key, []).append(i)


def _find(work: _Work, works: list[_Work], by_doi: dict, by_block: dict) -> tuple[int, str] | None:
    if work.doi and work.doi in by_doi:
        same, why = same_work(works[by_doi[work.doi]], work)
        if same:
            return by_doi[work.doi], why
    seen = set()
    for key in _blocking_keys(work):
        for i in by_block.get(key, ()):
            if i in seen:
                continue
            seen.add(i)
            same, why = same_work(works[i], work)
            if same:
                return i, why
    return None


def _free_key(key: str, used: set[str]) -> str:
    """``key`` with the first free letter (``a``, ``b``...; then ``aa``...), as Better BibTeX does."""
    n = 0
    while True:
        new = key + "abcdefghijklmnopqrstuvwxyz"[n % 26] * (1 + n // 26)
        if new not in used:
            return new
        n += 1


def _merge_into(target: Entry, entry: Entry, work: _Work, kept: _Work, prefer: str) -> list[dict]:
    """Add ``entry``'s fields to ``target``; return every conflict with the kept and the dropped value."""
    conflicts = []
    for f in entry.fields:
        name = f.key.lower()
        if name == "ids":
            continue
        existing = target.fields_dict.get(name)
        if existing is None:
            target.set_field(Field(name, f.value))
            continue
        a, b = kept.fields.get(name, str(existing.value)), work.fields.get(name, str(f.value))
        if " ".join(fold_text(a).split()) == " ".join(fold_text(b).split()):
            continue
        if name == "isbn" and isbns(a) and isbns(a) == isbns(b):  # one ISBN, hyphenated or not, 10 or 13 digits
            continue
        if name == "pages" and _same_numbers(name, a, b):  # a first page and the range it begins: the range is kept
            if "-" not in _pages(a) and "-" in _pages(b):
                target.set_field(Field(name, f.value))
                if "-" in _dashed(a):  # a range that could not be one ("15--3") is dropped: said so
                    conflicts.append({"field": name, "kept": b, "dropped": a})
            continue
        if prefer == "last":
            conflicts.append({"field": name, "kept": b, "dropped": a})
            target.set_field(Field(name, f.value))
        else:
            conflicts.append({"field": name, "kept": a, "dropped": b})
    return conflicts
