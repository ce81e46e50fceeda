"""Reading BibTeX/biblatex files with bibtexparser v2, keeping both the raw and the decoded form.

Each file is parsed twice:

* *raw* (``parse_stack=[]``): exactly what the user wrote (braces, ``@string`` references, LaTeX),
  which the BibTeX writer uses for lossless export;
* *decoded* (string references resolved, enclosing braces removed, LaTeX decoded to unicode,
  field names lower-cased): what the case model and the reports show.

A block bibtexparser cannot read (including a duplicate key) is a problem with the file's line.
"""

from __future__ import annotations

import copy
import functools
import logging
import re
import unicodedata
from dataclasses import dataclass, field
from pathlib import Path

import bibtexparser
from bibtexparser import middlewares as mw
from bibtexparser.library import Library
from bibtexparser.model import DuplicateBlockKeyBlock, DuplicateFieldKeyBlock, Entry, Field, ParsingFailedBlock

from ..errors import Problem, not_utf8
from .atomic import note_input

__all__ = ["BibRecord", "Bibliography", "read_bibliography", "parse_bib_file", "decoded_stack", "BIB_SUFFIXES", "latex_to_text",
           "tolerated_entries"]

#: the file names a bibliography may have
BIB_SUFFIXES = (".bib", ".bibtex", ".biblatex")

logging.getLogger("bibtexparser").setLevel(logging.ERROR)


_LATEX_HINT = re.compile(r"[\\{}~$]|--")
#: accent commands and the combining character each adds (``\"o``, ``\'{e}``, ``{\c c}``, ``\v{s}``)
_ACCENTS = {'"': "\u0308", "'": "\u0301", "`": "\u0300", "^": "\u0302", "~": "\u0303", "=": "\u0304", ".": "\u0307",
            "u": "\u0306", "v": "\u030c", "H": "\u030b", "c": "\u0327", "k": "\u0328", "r": "\u030a", "d": "\u0323", "b": "\u0331"}
_ACCENT_RE = re.compile(r"""\\(?:([\"'`^~=.])\s*(?:\{\s*([A-Za-z])\s*\}|([A-Za-z]))|([uvHckrdb])(?:\s*\{\s*([A-Za-z])\s*\}|\s+([A-Za-z])))""")
_BRACED_ACCENT_RE = re.compile(r"\{(\\[^{}\\]{1,6})\}")  # {\"o} -> \"o
#: a value longer than this is not given to the LaTeX decoder (its cost grows with the text)
MAX_DECODED_LENGTH = 20_000


def _fast_latex(value: str) -> str | None:
    """Decode values whose only LaTeX is accent commands and grouping braces, without the full
    decoder (which costs ~0.1 ms per command: minutes on a large file of accented names).
    Returns None where anything else is left for pylatexenc."""
    text = _BRACED_ACCENT_RE.sub(lambda m: m.group(1), value)
    text = _ACCENT_RE.sub(lambda m: (m.group(2) or m.group(3) or m.group(5) or m.group(6)) + _ACCENTS[m.group(1) or m.group(4)], text)
    if "\\" in text or "$" in text or "~" in text or "--" in text or "%" in text:
        return None
    return unicodedata.normalize("NFC", text.replace("{", "").replace("}", ""))


def _decode(lib: Library) -> Library:
    """String references resolved, enclosing removed, field names lower-cased, and LaTeX decoded
    to unicode -- by pylatexenc, but only in values that hold LaTeX (most hold none)."""
    for m in (mw.ResolveStringReferencesMiddleware(allow_inplace_modification=True),
              mw.RemoveEnclosingMiddleware(allow_inplace_modification=True),
              mw.NormalizeFieldKeys(allow_inplace_modification=True)):
        lib = m.transform(lib)
    for entry in lib.entries:
        for f in entry.fields:
            if isinstance(f.value, str):
                f.value = latex_to_text(f.value)
    return lib


@functools.lru_cache(maxsize=1)
def _decoder():
    from pylatexenc.latex2text import LatexNodes2Text

    return LatexNodes2Text(math_mode="verbatim", keep_braced_groups=False, strict_latex_spaces=True)


_LOGO_TEXT = {"LaTeXe": "LaTeX2e", "AmS": "AMS"}
_LOGOS = re.compile(r"\\(TeX|LaTeXe|LaTeX|BibTeX|BibLaTeX|XeTeX|XeLaTeX|LuaTeX|LuaLaTeX|pdfTeX|pdfLaTeX|ConTeXt|AmS|METAFONT|MF)"
                    r"(?![A-Za-z])(?:\{\})?")


def latex_to_text(value: str) -> str:
    """A BibTeX value's LaTeX as Unicode text: accent commands and braces by a fast path, the
    rest by pylatexenc; a value longer than :data:`MAX_DECODED_LENGTH` only loses its braces."""
    if not _LATEX_HINT.search(value):
        return value
    if "\\" in value:  # pylatexenc drops the TeX logos: "{\TeX} for the Impatient" lost its first word
        value = _LOGOS.sub(lambda m: _LOGO_TEXT.get(m.group(1), m.group(1)), value)
    fast = _fast_latex(value)
    if fast is not None:
        return fast
    if len(value) > MAX_DECODED_LENGTH:
        return value.replace("{", "").replace("}", "")
    return _decoder().latex_to_text(value)


def _copy_for_decoding(lib: Library) -> Library:
    """A copy the decoding middlewares may change in place: new entries and fields (their values
    are immutable strings), the other blocks shared. Much cheaper than ``copy.deepcopy``."""
    blocks = []
    for block in lib.blocks:
        if isinstance(block, Entry):
            fields = [Field(f.key, f.value, f.start_line) for f in block.fields]
            block = Entry(block.entry_type, block.key, fields, block.start_line, block.raw)
        else:
            block = copy.copy(block)
        blocks.append(block)
    return Library(blocks, fail_on_duplicate_key=False)


def decoded_stack() -> list:
    return [
        mw.ResolveStringReferencesMiddleware(allow_inplace_modification=True),
        mw.RemoveEnclosingMiddleware(allow_inplace_modification=True),
        mw.LatexDecodingMiddleware(allow_inplace_modification=True),
        mw.NormalizeFieldKeys(allow_inplace_modification=True),
    ]


@dataclass
class BibRecord:
    """One bibliographic entry: its key, type, decoded fields, and the raw entry as written."""

    key: str
    entry_type: str
    fields: dict[str, str]
    raw: Entry
    file: str
    line: int

    def get(self, name: str, default: str | None = None) -> str | None:
        return self.fields.get(name, default)

    @property
    def year(self) -> str | None:
        if self.fields.get("year"):
            return self.fields["year"]
        date = self.fields.get("date")
        return date[:4] if date else None


@dataclass
class Bibliography:
    """All bibliography files of a case: records by key, and each file's raw library."""

    records: dict[str, BibRecord] = field(default_factory=dict)
    raw_libraries: list[tuple[str, Library]] = field(default_factory=list)

    def __contains__(self, key: str) -> bool:
        return key in self.records

    def __len__(self) -> int:
        return len(self.records)


#: an entry with no citation key, as EndNote's "BibTeX Export" style writes every entry:
#: ``@article{`` and at once a field (``author = {...}``)
_KEYLESS = re.compile(r"(@[ \t]*(?!(?:string|preamble|comment)\b)[A-Za-z]+[ \t]*\{)(?=\s*[A-Za-z][\w-]*\s*=)", re.IGNORECASE)
_NO_KEY = "srccrit-no-key-"


def _with_placeholder_keys(text: str) -> str:
    """The text with a placeholder key in every entry that has none (on the same line: every line
    number stays true); :func:`tolerated_entries` gives each a key of its own."""
    if "@" not in text:
        return text
    count = iter(range(1, 1 << 30))
    return _KEYLESS.sub(lambda m: f"{m.group(1)}{_NO_KEY}{next(count)},", text)


def tolerated_entries(raw: Library, display: str) -> tuple[list[Entry], list[Problem]]:
    """The entries of a parsed file as biber reads them, in file order, with a warning (file and
    line) for each rule applied, never a refusal:

    * an entry with no citation key (EndNote's BibTeX export writes none): read under the key
      srccrit proposes for it (author, year, first word of the title, as ``srccrit bib keys``);
    * a field given twice in an entry (in any case: ``title``, ``Title``): the first is kept;
    * a key given twice in a file: the later entry is read under ``KEY-2`` (``-3``...);
    * an entry that cannot be read (an unclosed brace): skipped, and kept as written in the file.
    """
    entries: list[Entry] = []
    warnings: list[Problem] = []
    readable = [b.ignore_error_block if isinstance(b, (DuplicateFieldKeyBlock, DuplicateBlockKeyBlock)) else b for b in raw.blocks]
    used = {b.key for b in readable if isinstance(b, Entry)}
    seen: set[str] = set()
    for block, readable_block in zip(raw.blocks, readable):
        line = (block.start_line or 0) + 1
        if isinstance(readable_block, Entry):
            entry, repeated = _first_fields(readable_block)
            if entry.key.startswith(_NO_KEY):
                entry = _keyed(entry, used)
                warnings.append(Problem(display, line, f"{entry.entry_type} entry with no citation key (as EndNote's BibTeX export "
                                        f"writes them): read as {entry.key!r}", "warning"))
            if entry.key in seen:  # in file order: the first entry of a key keeps it
                n = 2
                while f"{entry.key}-{n}" in used:
                    n += 1
                new = f"{entry.key}-{n}"
                used.add(new)
                warnings.append(Problem(display, line, f"duplicate BibTeX key {entry.key!r}: this later entry is read as {new!r}", "warning"))
                entry = Entry(entry.entry_type, new, entry.fields, block.start_line, block.raw)
            seen.add(entry.key)
        elif not isinstance(block, ParsingFailedBlock):
            continue  # @string, @preamble, comments
        else:
            first = block.raw.strip().splitlines()[0][:60] if block.raw.strip().startswith("@") else ""
            err = getattr(block, "error", None)
            reason = (getattr(err, "abort_reason", None) or str(err or "") or "unreadable block").strip().splitlines()[0]
            warnings.append(Problem(display, line, f"BibTeX parse failure in block {first!r}: {reason}; the block is skipped", "warning"))
            continue
        if repeated:
            warnings.append(Problem(display, line, f"entry {entry.key!r}: field{'s' if len(repeated) > 1 else ''} "
                                    f"{', '.join(sorted(repeated))} given twice; the first value is kept", "warning"))
        entries.append(entry)
    return entries, warnings


def _keyed(entry: Entry, used: set[str]) -> Entry:
    """The entry under the key srccrit proposes for it (``a``, ``b``... where that is taken)."""
    from ..bibtex import free_citation_key  # the key proposer: one rule everywhere

    return Entry(entry.entry_type, free_citation_key(entry, used), entry.fields, entry.start_line, entry.raw)


def _first_fields(entry: Entry) -> tuple[Entry, set[str]]:
    seen: set[str] = set()
    fields, repeated = [], set()
    for f in entry.fields:
        name = f.key.lower()
        if name in seen:
            repeated.add(name)
            continue
        seen.add(name)
        fields.append(f)
    if not repeated:
        return entry, repeated
    return Entry(entry.entry_type, entry.key, fields, entry.start_line, entry.raw), repeated


def parse_bib_file(path: Path, display: str | None = None) -> tuple[Library, Library, list[Problem]]:
    """Parse one file; return (raw library, decoded library, problems).

    The raw library is the file as written (for a lossless round trip); the decoded one holds
    the entries as :func:`tolerated_entries` reads them. Problems are errors only where nothing
    can be read (not UTF-8, a folder, no @entry, braces nested too deeply); the rest are warnings.
    """
    display = display or str(path)
    note_input(path)
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        return Library(), Library(), [Problem(display, 0, f"bibliography file not found: {path}")]
    except UnicodeDecodeError as exc:
        return Library(), Library(), [not_utf8(path, display, "the bibliography")]
    except IsADirectoryError:
        return Library(), Library(), [Problem(display, 0, "bibliography is a folder, not a file")]
    if "@" not in text and text.strip():
        return Library(), Library(), [Problem(display, 0, "not a BibTeX file: it holds no @entry")]
    try:
        raw = bibtexparser.parse_string(_with_placeholder_keys(text), parse_stack=[])
        entries, problems = tolerated_entries(raw, display)
        others = [b for b in raw.blocks if not isinstance(b, (Entry, bibtexparser.model.ParsingFailedBlock))
                  and not isinstance(b, (DuplicateBlockKeyBlock, DuplicateFieldKeyBlock))]
        decoded = _decode(_copy_for_decoding(Library(others + entries, fail_on_duplicate_key=False)))
    except RecursionError:
        return Library(), Library(), [Problem(display, 0, "braces nested too deeply to read")]
    return raw, decoded, problems


def read_bibliography(paths: list[tuple[Path, str]]) -> tuple[Bibliography, list[Problem]]:
    """Read every (path, display name) pair; a key already defined in an earlier file is a
    warning, and the first definition is used (as biber does)."""
    bib = Bibliography()
    problems: list[Problem] = []
    for path, display in paths:
        raw, decoded, probs = parse_bib_file(path, display)
        problems.extend(probs)
        bib.raw_libraries.append((display, raw))
        by_line = {b.start_line: b for b in raw.blocks if isinstance(b, (Entry, DuplicateBlockKeyBlock, DuplicateFieldKeyBlock))}
        for entry in decoded.entries:
            line = (entry.start_line or 0) + 1
            if entry.key in bib.records:
                other = bib.records[entry.key]
                problems.append(Problem(display, line, f"BibTeX key {entry.key!r} is also in {other.file}:{other.line}; "
                                        "the first is used", "warning"))
                continue
            fields = {f.key: _as_text(f.value) for f in entry.fields}
            bib.records[entry.key] = BibRecord(entry.key, entry.entry_type.lower(), fields, _raw_of(by_line, entry), display, line)
    return bib, problems


def _raw_of(by_line: dict, entry: Entry) -> Entry:
    """The entry as written (values undecoded), under the key it is read as."""
    block = by_line.get(entry.start_line)
    if block is None:
        return entry
    if isinstance(block, Entry) and block.key == entry.key and len(block.fields) == len(entry.fields):
        return block
    kept, _ = _first_fields(block if isinstance(block, Entry) else block.ignore_error_block)
    return Entry(kept.entry_type, entry.key, kept.fields, kept.start_line, kept.raw)


def _as_text(value) -> str:
    if isinstance(value, str):
        return " ".join(value.split())
    return str(value)
