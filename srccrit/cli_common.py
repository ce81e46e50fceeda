"""What every command of the ``srccrit`` CLI shares: the argument conventions (CASE, --format,
--output, --as-of), the command registry, and how a command finds its case and writes its output.

:mod:`srccrit.cli` (the analyses' commands and ``main``) and :mod:`srccrit.commands` (the
bibliography, charts, notebooks, report and text commands) both register here; neither imports
the other's helpers.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import Callable

from .io import output
from .io.atomic import write_bytes, write_text
from .io.case_file import default_case_path, load_case

__all__ = ["COMMANDS", "register", "case_arg", "fmt_arg", "as_of_arg", "copying_arg", "emit", "print_warnings", "show_table", "load", "case_path"]

FORMATS = ("table", "csv", "json")

#: command name -> (help, handler, configure(parser))
COMMANDS: dict[str, tuple[str, Callable, Callable]] = {}


def register(name: str, help_: str, handler: Callable, configure: Callable) -> None:
    COMMANDS[name] = (help_, handler, configure)


def case_arg(p: argparse.ArgumentParser, required: bool = False) -> None:
    if required:
        p.add_argument("case", metavar="CASE", help="a case.yaml or a folder holding one")
    else:
        p.add_argument("case", metavar="CASE", nargs="?", default=None,
                       help="a case.yaml or a folder holding one (default: ./case.yaml if there is one, else the bundled case)")


def fmt_arg(p: argparse.ArgumentParser, choices=FORMATS, default="table") -> None:
    p.add_argument("--format", "-f", choices=choices, default=default, help=f"output format (default: {default})")
    p.add_argument("--output", "-o", metavar="FILE", help="write to FILE (atomically) instead of standard output")


def as_of_arg(p: argparse.ArgumentParser) -> None:
    p.add_argument("--as-of", metavar="DATE", default=None,
                   help="count only sources available by DATE (YYYY, YYYY-MM or YYYY-MM-DD)")


def copying_arg(p: argparse.ArgumentParser) -> None:
    p.add_argument("--copying", action=argparse.BooleanOptionalAction, default=True,
                   help="find witnesses who copy one another (identical testimony, shared false values) and count "
                        "their agreement once (the default); --no-copying: only declared dependence counts")


HABITS = {"auto": "auto", "on": True, "off": False}


def habits_arg(p: argparse.ArgumentParser) -> None:
    p.add_argument("--habits", choices=list(HABITS), default="auto",
                   help="read each witness's habits with answers that recur (yes/no, class labels): auto (the default) "
                        "where they explain the votes better than they cost (BIC), on, off")


def model_params(args) -> dict:
    """The reliability model's parameters the command line sets."""
    return {"copying": args.copying, "habits": HABITS[args.habits]}


def case_path(given: str | None) -> str | Path:
    """The case a command works on: the one named, else ``./case.yaml`` (said on stderr), else
    ``$SRCCRIT_CASE`` or the bundled case."""
    if given is not None:
        return given
    for name in ("case.yaml", "case.yml"):
        here = Path.cwd() / name
        if here.is_file():
            print(f"srccrit: using ./{name} (the case in this folder)", file=sys.stderr)
            return here
    return default_case_path()


def load(given: str | None):
    return load_case(case_path(given))


def emit(args, text: str | bytes) -> None:
    """Write a command's output to ``--output`` (atomically) or to standard output; ``bytes``
    are UTF-8 text (a large JSON table is not decoded only to be encoded again)."""
    if getattr(args, "output", None):
        if isinstance(text, bytes):
            write_bytes(args.output, text)
        else:
            write_text(args.output, text)
    elif isinstance(text, bytes):
        out = getattr(sys.stdout, "buffer", None)
        if out is None or (getattr(sys.stdout, "encoding", "") or "").lower().replace("-", "") != "utf8":
            sys.stdout.write(text.decode("utf-8"))
        else:
            sys.stdout.flush()  # what was written as text goes first
            out.write(text)
            out.flush()
    else:
        sys.stdout.write(text)


def print_warnings(case) -> None:
    for w in case.warnings:
        print(f"warning: {w}", file=sys.stderr)


def show_table(args, frame, json_records: Callable, index: bool = True) -> None:
    if args.format == "json":
        emit(args, output.dumps_table(json_records(frame)))
    elif args.format == "csv":
        emit(args, output.table_csv(frame, index=index))
    else:
        emit(args, output.table_text(frame, index=index))
