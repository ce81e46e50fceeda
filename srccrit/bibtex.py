"""Bibliographies out: biblatex/BibTeX export, lossless round trip, merge and de-duplication,
citation keys, CSL-JSON, and the citations behind each conclusion.

Everything goes through bibtexparser v2: parsing (:mod:`srccrit.io.bibliography`), its
``Library``/``Entry``/``Field`` model, its middlewares, and its writer. Values from the user's
file are kept as written (already LaTeX); values srccrit generates (annotations, keywords) are
LaTeX-escaped; the ``bibtex`` dialect additionally LaTeX-encodes non-ASCII characters.
"""

from __future__ import annotations

import functools
import re
import unicodedata
from pathlib import Path

import bibtexparser
from bibtexparser.library import Library
from bibtexparser.model import Entry, Field
from pylatexenc.latexencode import unicode_to_latex

from ._gc import paused_gc
from .errors import SrccritError
from .io.atomic import write_text
from .io.atomic import note_input
from .io.output import share_text
from .io.bibliography import decoded_stack, parse_bib_file, tolerated_entries

__all__ = [
    "export", "export_library", "latex_escape", "round_trip", "merge", "MergeReport", "propose_keys", "citation_key",
    "csl_json", "cite", "citing_sources", "write_library",
]

_SPECIALS = {"&": r"\&", "%": r"\%", "$": r"\$", "#": r"\#", "_": r"\_", "{": r"\{", "}": r"\}", "~": r"\textasciitilde{}",
             "^": r"\textasciicircum{}", "\\": r"\textbackslash{}"}
_SPECIALS_TABLE = str.maketrans(_SPECIALS)

# biblatex -> classic BibTeX
_TYPE_MAP = {"online": "misc", "report": "techreport", "thesis": "phdthesis", "collection": "book", "mvbook": "book",
             "bookinbook": "inbook", "suppbook": "inbook", "suppcollection": "incollection", "reference": "book",
             "mvreference": "book", "inreference": "incollection", "periodical": "misc", "unpublished": "unpublished",
             "review": "article", "letter": "misc", "archive": "misc", "dataset": "misc", "software": "misc",
             "patent": "misc", "audio": "misc", "video": "misc", "movie": "misc", "music": "misc", "image": "misc",
             "standard": "misc", "jurisdiction": "misc", "legislation": "misc", "legal": "misc", "performance": "misc"}
_STANDARD_BIBTEX = {"article", "book", "booklet", "inbook", "incollection", "inproceedings", "conference", "manual",
                    "mastersthesis", "misc", "phdthesis", "proceedings", "techreport", "unpublished"}
_FIELD_MAP = {"journaltitle": "journal", "location": "address", "institution": "institution", "annotation": "annote"}
_MONTHS = ["jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov", "dec"]


def latex_escape(text: str) -> str:
    """Make generated text safe in BibTeX: the ten LaTeX specials escaped, nothing else changed."""
    return str(text).translate(_SPECIALS_TABLE)


def _braced(value: str) -> str:
    return "{" + value + "}"


def _raw_value(f: Field) -> str:
    """A raw field value as bibtexparser keeps it: with its braces/quotes, or a macro name."""
    return str(f.value)


def _strip_enclosing(value: str) -> str:
    v = value.strip()
    if len(v) >= 2 and ((v[0] == "{" and v[-1] == "}") or (v[0] == '"' and v[-1] == '"')):
        return v[1:-1]
    return v


def _entries_for(case) -> tuple[list[Entry], list, list]:
    """The raw entries of the case's sources (sorted by citekey), then the ``crossref``/``xdata``
    parents they need that are not sources themselves; the ``@string`` blocks in the order the
    files define them (a macro may be built from an earlier one); the ``@preamble`` blocks."""
    records = case.bibliography.records  # first definition of each key, as validation saw it
    keys = [k for k in sorted(case.sources.index.tolist()) if k in records]
    wanted, parents = set(keys), []
    frontier = list(keys)
    while frontier:
        nxt = []
        for key in frontier:
            fields = records[key].fields
            for link in ("crossref", "xdata"):
                linked = fields.get(link)
                if not linked:  # most entries link to nothing: no split (a regex per key was a third of an export)
                    continue
                for parent in re.split(r"\s*,\s*", linked):
                    if parent and parent in records and parent not in wanted:
                        wanted.add(parent)
                        parents.append(parent)
                        nxt.append(parent)
        frontier = nxt
    strings, preambles = {}, []
    for _display, lib in case.bibliography.raw_libraries:
        for block in lib.strings:  # the library's own index, in the file's order (no pass over every entry)
            strings.setdefault(block.key, block)
        # type(), not isinstance: the blocks' abstract base made each check a tenth of an export
        for block in (b for b in lib.blocks if type(b) is bibtexparser.model.Preamble):
            if block.value not in [p.value for p in preambles]:
                preambles.append(block)
    return [records[k].raw for k in keys + sorted(parents)], list(strings.values()), preambles


def _copy_entry(e: Entry) -> Entry:
    return Entry(e.entry_type, e.key, [Field(f.key, f.value) for f in e.fields])


def _annotator(case, reliability):
    """A function from a source's key to its annotation (its kind, then each witness it reports
    with his reliability and interval) and its keywords. The witnesses of every source are found
    in one pass over the claims (a filter per source was minutes at a million claims)."""
    pairs = case.claims[["source", "witness"]].astype(object).drop_duplicates()
    witnesses_of = {src: sorted(set(ws)) for src, ws in pairs.groupby("source", sort=False)["witness"]}
    described = {}
    if reliability is not None:
        for w, r, lo, hi in zip(reliability.index, reliability["reliability"], reliability["low"], reliability["high"]):
            described[w] = f"reliability {share_text(r, words=True)} (90% interval {share_text(lo, words=True)} to {share_text(hi, words=True)})"
    kinds = case.sources["kind"].to_dict()
    names = dict(zip(case.witnesses.index, map(str, case.witnesses["name"])))  # as case.witness_name, looked up at once

    def annotation(key: str) -> tuple[str, str]:
        witnesses = witnesses_of.get(key, [])
        parts = [f"{kinds[key]}"]
        for w in witnesses:
            name = names.get(w, w)
            parts.append(f"{name}: {described[w]}" if w in described else name)
        keywords = ",".join(dict.fromkeys(["srccrit", str(kinds[key])] + witnesses))
        return "; ".join(parts), keywords

    return annotation


#: what :func:`biber_entry_types` read from biber 2.17's data model, used only where biber itself
#: cannot be asked
_BIBLATEX_TYPES = {"article", "bibnote", "book", "bookinbook", "booklet", "collection", "dataset", "inbook", "incollection",
                   "inproceedings", "inreference", "manual", "misc", "mvbook", "mvcollection", "mvproceedings", "mvreference",
                   "online", "patent", "periodical", "proceedings", "reference", "report", "set", "software", "suppbook",
                   "suppcollection", "thesis", "unpublished", "xdata", "conference", "electronic", "www", "mastersthesis",
                   "phdthesis", "techreport"}
_BIBLATEX_FALLBACK = {"review": "article", "commentary": "article", "archive": "misc"}


@functools.lru_cache(maxsize=1)
def biber_entry_types() -> frozenset[str]:
    """The entry types biber validates without a warning: those its data model gives fields
    (``letter``, ``standard``, ``video``... are declared with none, so every field of theirs is
    "invalid": they are written as ``misc`` with ``entrysubtype``), ``xdata``, and those its
    default source map renames (``phdthesis`` -> ``thesis``, ``techreport`` -> ``report``...).
    Read from biber's own ``biber-tool.conf`` (found with ``biber --tool-config``); where biber is
    not installed, the same list as read from biber 2.17."""
    import shutil
    import subprocess

    from lxml import etree  # before the try: its except clause names etree's error

    exe = shutil.which("biber")
    if exe:
        try:
            path = subprocess.run([exe, "--tool-config"], capture_output=True, text=True, timeout=60).stdout.strip().splitlines()[-1]
            tree = etree.parse(path)
            types = {t.text.strip().lower() for fields in tree.iter("{*}entryfields") for t in fields.iter("{*}entrytype") if t.text}
            types |= {m.get("map_type_source").lower() for m in tree.iter("{*}map_step") if m.get("map_type_source")}
            types.add("xdata")
            if types:
                return frozenset(types)
        except (OSError, IndexError, subprocess.SubprocessError, ValueError, etree.XMLSyntaxError):
            pass
    return frozenset(_BIBLATEX_TYPES)


@functools.lru_cache(maxsize=1024)  # a library holds few distinct entry types
def _biblatex_native(entry_type: str) -> bool:
    """Whether biber's data model knows the entry type as written."""
    etype = entry_type.lower()
    return etype in biber_entry_types() or etype.startswith("custom")


def _to_biblatex(e: Entry) -> Entry:
    if _biblatex_native(e.entry_type):
        return e
    etype = e.entry_type.lower()
    out = Entry(_BIBLATEX_FALLBACK.get(etype, "misc"), e.key, [Field(f.key, f.value) for f in e.fields])
    if "entrysubtype" not in out.fields_dict:
        out.set_field(Field("entrysubtype", _braced(etype)))
    return out


def export_library(case, dialect: str = "biblatex", annotate: bool = False) -> Library:
    """A bibtexparser Library of the case's sources, ready for :func:`bibtexparser.write_string`.
    Its entries are copies: changing them leaves the case's bibliography as it was."""
    return _library(case, dialect, annotate, share=False)


def _library(case, dialect: str, annotate: bool, share: bool, warn=None, est=None) -> Library:
    """The export library. ``share``: an entry that goes out unchanged is the case's own raw
    entry, not a copy (for writing text at once, which never alters an entry)."""
    if dialect not in ("biblatex", "bibtex"):
        raise SrccritError(f"unknown dialect {dialect!r} (use biblatex or bibtex)")
    entries, strings, preambles = _entries_for(case)
    annotation = None
    if annotate:
        from .analysis import reliability as _rel

        annotation = _annotator(case, est.reliability_ if est is not None else _rel(case))
    sources = set(case.sources.index)

    def annotate_entry(e: Entry) -> Entry:
        if annotate or not share:
            e = _copy_entry(e)
        if annotate and e.key in sources:
            note, keywords = annotation(e.key)
            # the user's own annotation (under either name) comes first, srccrit's after it
            own = _field(e, "annotation") or _field(e, "annote")
            if own is None:
                e.set_field(Field("annotation" if dialect == "biblatex" else "annote", _braced(latex_escape(note))))
            else:
                e.set_field(Field(own.key, _braced(_strip_enclosing(_raw_value(own)) + "; " + latex_escape(note))))
            existing = _field(e, "keywords")
            kw = latex_escape(keywords) if existing is None else _strip_enclosing(_raw_value(existing)) + "," + latex_escape(keywords)
            e.set_field(Field(existing.key if existing is not None else "keywords", _braced(kw)))
        return e

    return convert(entries, strings, preambles, dialect, warn, annotate_entry)


def _field(e: Entry, name: str) -> Field | None:
    """The entry's field of this name in any case (JabRef and older tools write ``Keywords``)."""
    return next((f for f in e.fields if f.key.lower() == name), None)


def convert(entries: list[Entry], strings: list, preambles: list, dialect: str = "biblatex", warn=None, each=None) -> Library:
    """Raw entries (with the ``@string`` and ``@preamble`` blocks they need) in the ``biblatex``
    or ``bibtex`` dialect, as ``bib export`` writes them; ``each(entry)`` may first change a
    copy of an entry (the annotations)."""
    if dialect not in ("biblatex", "bibtex"):
        raise SrccritError(f"unknown dialect {dialect!r} (use biblatex or bibtex)")
    blocks: list = [bibtexparser.model.Preamble(p.value) for p in preambles]
    blocks += [bibtexparser.model.String(s.key, s.value) for s in strings]
    for e in entries:
        if each is not None:
            e = each(e)
        blocks.append(_to_bibtex(e, warn) if dialect == "bibtex" else _to_biblatex(e))
    return Library(blocks, fail_on_duplicate_key=False)  # keys are distinct by construction


#: fields whose value is not text but an address, an identifier or a path: never LaTeX-encoded
VERBATIM_FIELDS = {"url", "urlraw", "doi", "file", "pdf", "eprint", "verba", "verbb", "verbc", "uri", "isbn", "issn"}


def _to_bibtex(e: Entry, warn=None) -> Entry:
    etype = e.entry_type.lower()
    new_type = _TYPE_MAP.get(etype, etype if etype in _STANDARD_BIBTEX else "misc")
    fields: dict[str, str] = {}
    extra_notes = []
    # a biblatex name is renamed only where the entry has no field of the BibTeX name already: an
    # ACM export gives the publisher's `address` and the conference's `location`, and renaming
    # would write one over the other (the unrenamed field stays, ignored by BibTeX styles)
    written = {f.key.lower() for f in e.fields}
    for f in e.fields:
        key = f.key.lower()
        value = _raw_value(f)
        if key == "date":
            inner = _strip_enclosing(value)
            m = re.fullmatch(r"(\d{4})(?:-(\d{2})(?:-(\d{2}))?)?", inner.strip())
            if m:
                fields.setdefault("year", _braced(m.group(1)))
                month = int(m.group(2)) if m.group(2) else 0
                if 1 <= month <= 12:
                    fields.setdefault("month", _MONTHS[month - 1])
                elif month and warn:  # a season (21-24) or an unknown month (00): the year only
                    warn(f"{e.key}: date {inner!r} has no month BibTeX can write; kept as date, year {m.group(1)}")
                    fields["date"] = value
                continue
            year = re.match(r"(\d{4})", inner)
            if year:
                fields.setdefault("year", _braced(year.group(1)))
            if warn:
                warn(f"{e.key}: date {inner!r} is not a single year or month; kept as date" + (f", year {year.group(1)}" if year else ""))
            fields["date"] = value
            continue
        if key in ("related", "relatedtype", "langid", "titleaddon", "pagetotal", "entrysubtype"):
            if key == "titleaddon":
                extra_notes.append(_strip_enclosing(value))
            continue
        if _FIELD_MAP.get(key, key) not in written:
            key = _FIELD_MAP[key]
        fields[key] = value
    if new_type == "misc" and etype not in ("misc",):
        extra_notes.insert(0, f"{etype}")
        if "howpublished" not in fields and "publisher" in fields:
            fields["howpublished"] = fields.pop("publisher")
    if extra_notes:
        old = _strip_enclosing(fields.get("note", "{}"))
        fields["note"] = _braced("; ".join([n for n in [old, *extra_notes] if n]))
    out = Entry(new_type, e.key, [])
    for k, v in fields.items():
        if v.startswith("{") or v.startswith('"'):
            inner = v[1:-1]
            if k not in VERBATIM_FIELDS and not inner.isascii():  # ASCII is left as it is (pylatexenc reads it char by char)
                inner = unicode_to_latex(inner, non_ascii_only=True, unknown_char_warning=False)
            v = "{" + inner + "}"  # always braced: a \"o inside "..." would end the value
        out.set_field(Field(k, v))
    return out


def _format():
    fmt = bibtexparser.BibtexFormat()
    fmt.indent = "  "
    fmt.block_separator = "\n"
    fmt.trailing_comma = True
    return fmt


def write_library(lib: Library) -> str:
    """Serialise a raw library exactly (no re-enclosing: values are written as they are held)."""
    return bibtexparser.write_string(lib, unparse_stack=[], bibtex_format=_format())


def export(case, dialect: str = "biblatex", annotate: bool = False, output: str | Path | None = None, warn=None,
           est=None) -> str:
    """The case's sources as biblatex (default) or BibTeX, sorted by citekey, followed by the
    ``crossref``/``xdata`` parents they need; ``@preamble`` and ``@string`` blocks first, in
    their files' order. Written atomically to ``output`` when given (never over one of the case's
    own bibliography files). ``warn(message)`` hears of what the BibTeX dialect cannot map.
    ``est``: a :class:`~srccrit.Reliability` fitted on the case, for the annotations (else one is
    fitted)."""
    with paused_gc():  # thousands of entries, none of them in a cycle
        text = write_library(_library(case, dialect, annotate, share=True, warn=warn, est=est))
    if output is not None:
        for display, _ in case.bibliography.raw_libraries:
            note_input(display)  # the case may have been loaded before the guard was reset
        write_text(output, text)
    return text


def round_trip(path: str | Path) -> str:
    """Read a user's .bib and write it back: every entry, field, @string, @preamble and comment kept."""
    raw, _decoded, problems = parse_bib_file(Path(path))
    errors = [p for p in problems if p.level == "error"]
    if errors:
        from .errors import CaseError

        raise CaseError(errors)
    return bibtexparser.write_string(raw, unparse_stack=[], bibtex_format=_format())


# ------------------------------------------------------------------------------ keys


def _ascii(text: str) -> str:
    return unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode()


#: words a key's title part skips: articles and short function words in English, German, French,
#: Spanish, Italian, Portuguese and Dutch
_STOP = {"a", "an", "the", "on", "of", "in", "and", "for", "to", "from", "with", "at", "by",
         "der", "die", "das", "den", "dem", "des", "ein", "eine", "einer", "eines", "und", "zur", "zum",
         "le", "la", "les", "l", "un", "une", "du", "de", "d", "et", "au", "aux",
         "el", "los", "las", "lo", "uno", "una", "y", "del",
         "il", "gli", "i", "uno", "di", "e",
         "o", "os", "as", "um", "uma", "do", "da", "dos", "das",
         "het", "een", "en", "van"}


def _decoded_fields(e: Entry) -> dict[str, str]:
    lib = Library([_copy_entry(e)])
    for m in decoded_stack():
        lib = m.transform(lib)
    return {f.key.lower(): str(f.value) for f in lib.entries[0].fields}


def _family_names(author: str) -> list[str]:
    out = []
    for person in re.split(r"\s+and\s+", author.strip()):
        person = person.strip().strip("{}")
        if not person:
            continue
        if "," in person:
            out.append(person.split(",")[0].strip())
        else:
            out.append(person.split()[-1])
    return out


def _key_part(text: str) -> str:
    """Lower-case ASCII letters and digits, transliterated from any script (pypinyin for Chinese,
    anyascii for Cyrillic, Greek, Japanese kana, Korean...)."""
    from .bibmerge import to_latin

    return re.sub(r"[^a-z0-9]", "", _ascii(to_latin(text)).lower())


def _first_author_part(raw_names: str, decoded_names: str) -> str:
    """The family name of the first author, as a key part. A corporate author (the whole name
    in braces: ``{World Health Organization}``) gives its words run together, a Chinese,
    Japanese or Korean name written in its script its first character (the family name)."""
    first_raw = re.split(r"\s+and\s+", raw_names.strip().strip("{}\"").strip())[0].strip() if raw_names else ""
    corporate = re.fullmatch(r"\{[^{}]*\}", first_raw) is not None or (raw_names.strip().startswith("{{") and " and " not in raw_names)
    people = _family_names(decoded_names)
    if not people:
        return ""
    if corporate:
        whole = re.split(r"\s+and\s+", decoded_names.strip())[0]
        return _key_part("".join(w for w in whole.split() if w.lower() not in _STOP)[:40])
    family = people[0]
    person = re.split(r"\s+and\s+", decoded_names.strip())[0].strip()
    if "," not in person and re.match(r"^[\u3400-\u9fff\uac00-\ud7af]", person):
        family = person.replace(" ", "")[0]  # 沈志华 -> 沈 (shen); 김일성 -> 김
    return _key_part(family)


def citation_key(fields: dict[str, str], raw_author: str = "") -> str:
    """Better BibTeX's ``authoryearshorttitle``: goncharov1993uncertain, shen2009mao,
    volkogonov1989stalin, worldhealthorganization2020global. Names and titles in other scripts
    are transliterated; articles and function words of several languages are skipped."""
    who = fields.get("author") or fields.get("editor") or ""
    name = _first_author_part(raw_author or who, who)
    year = fields.get("year") or (fields.get("date") or "")[:4]
    year = re.sub(r"[^0-9]", "", year)[:4]
    from .bibmerge import to_latin

    words = [_key_part(w) for w in re.split(r"[\s\-:'’]+", to_latin(fields.get("title", "")))]
    words = [w for w in words if w and w not in _STOP]
    key = f"{name}{year}{words[0] if words else ''}"
    return key or "anon"


def propose_keys(path: str | Path, taken: set[str] | None = None) -> list[dict]:
    """Proposed keys for every entry of a file, ``a``/``b`` suffixes on collision."""
    raw, _dec, problems = parse_bib_file(Path(path))
    errors = [p for p in problems if p.level == "error"]
    if errors:
        from .errors import CaseError

        raise CaseError(errors)
    used = set(taken or ())
    rows = []
    for e in tolerated_entries(raw, str(path))[0]:
        key = free_citation_key(e, used)
        rows.append({"key": e.key, "proposed": key, "changed": key != e.key})
    return rows


def free_citation_key(entry, used: set[str]) -> str:
    """:func:`citation_key` for a parsed entry, with ``a``, ``b``... where it is in ``used``;
    the key is added to ``used``."""
    raw_author = str((entry.fields_dict.get("author") or entry.fields_dict.get("editor") or Field("author", "")).value)
    base = citation_key(_decoded_fields(entry), raw_author)
    key, n = base, 0
    while key in used:
        key = base + "abcdefghijklmnopqrstuvwxyz"[n % 26] * (1 + n // 26)
        n += 1
    used.add(key)
    return key


# ----------------------------------------------------------------------------- merge

from .bibmerge import MergeReport, merge  # noqa: E402  (merging lives in its own module)


# --------------------------------------------------------------------------- CSL-JSON

def csl_json(case) -> str:
    """CSL-JSON of the case's sources (sorted by citekey), for Zotero, pandoc and citeproc
    (:mod:`srccrit.csl`)."""
    from . import csl

    records = [case.bibliography.records[k] for k in sorted(case.sources.index) if k in case.bibliography.records]
    return csl.dumps(csl.csl_json_items(records, parents=case.bibliography.records))


# ------------------------------------------------------------------------------- cite


def citing_sources(case, conclusion: str, against: bool = False, est=None) -> list[str]:
    """Citekeys carrying the independent lines for (or against) a conclusion, most reliable first:
    one source per line, the one in which the line's origin speaks most directly. ``est``: a
    :class:`~srccrit.Reliability` already fitted on the case (else one is fitted)."""
    from .analysis import evidence_for
    from .analysis.reliability import by_reliability

    ledger = evidence_for(case, conclusion, est=est)
    ledger = ledger[ledger["bears"] == ("against" if against else "for")]
    if ledger.empty:
        return []
    ledger = ledger.assign(own=(ledger["witness"] == ledger["origin"]).astype(int))
    ledger = ledger.sort_values(["line", "own", "source"], ascending=[True, False, True], kind="mergesort")
    best = ledger.drop_duplicates("line")
    best = by_reliability(best, "source")
    return list(dict.fromkeys(best["source"]))


#: a citation key as pandoc reads it bare: a letter, digit or _ first, then word characters with
#: single punctuation marks between them
_PANDOC_BARE_KEY = re.compile(r"[^\W][\w]*(?:[:.#$%&\-+?<>~/][\w]+)*")


def pandoc_key(key: str) -> str:
    """``@key``, or ``@{key}`` where pandoc would end the key early: an ADS key such as
    ``2010A&A...512A..54F`` has consecutive punctuation, and ``[@2010A&A...512A..54F]`` cites
    ``2010A&A``."""
    return "@" + key if _PANDOC_BARE_KEY.fullmatch(key) else "@{" + key + "}"


def cite(case, conclusion: str, against: bool = False, style: str = "latex", est=None) -> str:
    keys = citing_sources(case, conclusion, against, est)
    if style == "latex":
        return "\\cite{" + ",".join(keys) + "}\n" if keys else "% no independent line " + ("against" if against else "for") + f" {conclusion}\n"
    if style == "pandoc":
        return "[" + "; ".join(pandoc_key(k) for k in keys) + "]\n" if keys else ""
    if style == "bib":
        lib = export_library(case)
        keep = Library()
        for s in lib.strings:
            keep.add(bibtexparser.model.String(s.key, s.value))
        by_key = {e.key: e for e in lib.entries}
        wanted = list(keys)
        for key in wanted:  # and the crossref/xdata parents they need
            fields = case.bibliography.records[key].fields if key in case.bibliography.records else {}
            wanted += [p for link in ("crossref", "xdata") for p in re.split(r"\s*,\s*", fields.get(link, "") or "")
                       if p and p in by_key and p not in wanted]
        for k in wanted:
            keep.add(by_key[k])
        return write_library(keep)
    raise SrccritError(f"unknown citation format {style!r} (use latex, pandoc or bib)")

