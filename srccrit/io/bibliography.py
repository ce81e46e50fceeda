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
import logging
import re
from dataclasses import dataclass, field
from pathlib import Path

import bibtexparser
from bibtexparser import middlewares as mw
from bibtexparser.library import Library
from bibtexparser.model import DuplicateBlockKeyBlock, Entry, Field

from ..errors import Problem

__all__ = ["BibRecord", "Bibliography", "read_bibliography", "parse_bib_file", "decoded_stack"]

logging.getLogger("bibtexparser").setLevel(logging.ERROR)


_LATEX_HINT = re.compile(r"[\\{}~$]|--")


def _decode(lib: Library) -> Library:
    """String references resolved, enclosing removed, field names lower-cased, and LaTeX decoded
    to unicode -- by pylatexenc, but only in values that hold LaTeX (most hold none)."""
    for m in (mw.ResolveStringReferencesMiddleware(allow_inplace_modification=True),
              mw.RemoveEnclosingMiddleware(allow_inplace_modification=True),
              mw.NormalizeFieldKeys(allow_inplace_modification=True)):
        lib = m.transform(lib)
    decoder = None
    for entry in lib.entries:
        for f in entry.fields:
            if isinstance(f.value, str) and _LATEX_HINT.search(f.value):
                if decoder is None:
                    from pylatexenc.latex2text import LatexNodes2Text

                    decoder = LatexNodes2Text(math_mode="verbatim", keep_braced_groups=False, strict_latex_spaces=True)
                f.value = decoder.latex_to_text(f.value)
    return lib


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


def parse_bib_file(path: Path, display: str | None = None) -> tuple[Library, Library, list[Problem]]:
    """Parse one file; return (raw library, decoded library, problems)."""
    display = display or str(path)
    problems: list[Problem] = []
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        return Library(), Library(), [Problem(display, 0, f"bibliography file not found: {path}")]
    except UnicodeDecodeError as exc:
        return Library(), Library(), [Problem(display, 0, f"bibliography is not UTF-8: {exc}")]
    raw = bibtexparser.parse_string(text, parse_stack=[])
    decoded = _decode(_copy_for_decoding(raw))
    for block in raw.failed_blocks:
        line = (block.start_line or 0) + 1
        if isinstance(block, DuplicateBlockKeyBlock):
            problems.append(Problem(display, line, f"duplicate BibTeX key {block.key!r}"))
        else:
            first = block.raw.strip().splitlines()[0][:60] if block.raw.strip() else ""
            err = getattr(block, "error", None)
            reason = (getattr(err, "abort_reason", None) or str(err or "") or "unreadable block").strip()
            problems.append(Problem(display, line, f"BibTeX parse failure in block {first!r}: {reason}"))
    return raw, decoded, problems


def read_bibliography(paths: list[tuple[Path, str]]) -> tuple[Bibliography, list[Problem]]:
    """Read every (path, display name) pair; a key defined in two files is an error."""
    bib = Bibliography()
    problems: list[Problem] = []
    for path, display in paths:
        raw, decoded, probs = parse_bib_file(path, display)
        problems.extend(probs)
        bib.raw_libraries.append((display, raw))
        raw_by_key = {e.key: e for e in raw.entries}
        for entry in decoded.entries:
            line = (entry.start_line or 0) + 1
            if entry.key in bib.records:
                other = bib.records[entry.key]
                problems.append(Problem(display, line, f"duplicate BibTeX key {entry.key!r} (also in {other.file}:{other.line})"))
                continue
            fields = {f.key: _as_text(f.value) for f in entry.fields}
            bib.records[entry.key] = BibRecord(entry.key, entry.entry_type.lower(), fields, raw_by_key.get(entry.key, entry), display, line)
    return bib, problems


def _as_text(value) -> str:
    if isinstance(value, str):
        return " ".join(value.split())
    return str(value)
