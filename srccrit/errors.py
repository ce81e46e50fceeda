"""One exception base for the whole toolkit, and problems found in a case kept as data."""

from __future__ import annotations

from dataclasses import dataclass

__all__ = ["SrccritError", "CaseError", "Problem", "OutputError", "SrccritWarning"]


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
