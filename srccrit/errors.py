"""One exception base for the whole toolkit, and problems found in a case kept as data."""

from __future__ import annotations

from dataclasses import dataclass

__all__ = ["SrccritError", "CaseError", "Problem", "OutputError", "UsageError", "SrccritWarning", "not_utf8"]


@dataclass(frozen=True, order=True)
class Problem:
    """One problem found while loading a case: where it is and what is wrong."""

    file: str
    line: int
    message: str
    level: str = "error"  # "error" | "warning"

    def __str__(self) -> str:
        where = f"{self.file}:{self.line}" if self.line else self.file
        return f"{where}: {self.message}"


class SrccritError(Exception):
    """Base class of every error srccrit raises on purpose; the CLI turns it into exit status 2."""


class UsageError(SrccritError, ValueError):
    """A call of the Python API with an argument srccrit cannot use: a parameter out of its
    range, an id the case does not have (also a ``ValueError``, as Python's own functions raise)."""


class CaseError(SrccritError):
    """A case that breaks the case-format contract. ``problems`` lists every error, sorted."""

    def __init__(self, problems: list[Problem]):
        self.problems = sorted(problems)
        count = len(self.problems)
        head = f"{count} problem{'s' if count != 1 else ''} in the case"
        super().__init__(head + ":\n" + "\n".join(str(p) for p in self.problems))


class OutputError(SrccritError):
    """An output that could not be written (the previous file, if any, is left untouched)."""


class SrccritWarning(UserWarning):
    """Something the user should know of an output that was still written (a chart whose names no
    installed font draws, say); the CLI prints each on one line, ``warning: ...``."""


def not_utf8(path, display: str, what: str = "the file") -> Problem:
    """The problem of a file that is not UTF-8 text: the line and byte where decoding fails, and
    what the file probably is (UTF-16, as some Windows programs save; Windows-1252/Latin-1, as
    older exporters save), so that the user knows how to save it again."""
    from pathlib import Path

    data = Path(path).read_bytes()
    if data[:2] in (b"\xff\xfe", b"\xfe\xff"):
        return Problem(display, 0, f"not UTF-8 text: {what} is UTF-16 (it begins with a UTF-16 byte-order mark); save it as UTF-8")
    try:
        data.decode("utf-8")
        return Problem(display, 0, f"not UTF-8 text: save {what} as UTF-8")
    except UnicodeDecodeError as exc:
        start = exc.start
    line = data.count(b"\n", 0, start) + 1
    column = start - (data.rfind(b"\n", 0, start) + 1) + 1
    end = data.find(b"\n", start)
    shown = data[start - column + 1:end if end >= 0 else len(data)].decode("cp1252", errors="replace").strip()
    shown = shown if len(shown) <= 60 else shown[:57] + "..."
    return Problem(display, line, f"not UTF-8 text: byte 0x{data[start]:02X} at column {column} (as Windows-1252/Latin-1 the line "
                                  f"reads {shown!r}); save {what} as UTF-8")
