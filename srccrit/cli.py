"""The ``srccrit`` command: argument parsing and output formatting only; every command is a
library call first. Bad input exits with status 2 and a message naming file and line."""

from __future__ import annotations

import argparse
import sys
from typing import Callable

from . import analysis
from .errors import CaseError, SrccritError
from .io import output
from .io.atomic import write_text
from .io.case_file import load_case

__all__ = ["main", "build_parser", "COMMANDS"]

FORMATS = ("table", "csv", "json")


def _case_arg(p: argparse.ArgumentParser, required: bool = False) -> None:
    if required:
        p.add_argument("case", metavar="CASE", help="a case.yaml or a folder holding one")
    else:
        p.add_argument("case", metavar="CASE", nargs="?", default=None,
                       help="a case.yaml or a folder holding one (default: the bundled case)")


def _fmt_arg(p: argparse.ArgumentParser, choices=FORMATS, default="table") -> None:
    p.add_argument("--format", "-f", choices=choices, default=default, help=f"output format (default: {default})")
    p.add_argument("--output", "-o", metavar="FILE", help="write to FILE (atomically) instead of standard output")


def _as_of_arg(p: argparse.ArgumentParser) -> None:
    p.add_argument("--as-of", metavar="DATE", default=None,
                   help="count only sources available by DATE (YYYY, YYYY-MM or YYYY-MM-DD)")


def _emit(args, text: str) -> None:
    if getattr(args, "output", None):
        write_text(args.output, text)
    else:
        sys.stdout.write(text)


def _print_warnings(case) -> None:
    for w in case.warnings:
        print(f"warning: {w}", file=sys.stderr)


def _table(args, frame, json_records: Callable, index: bool = True) -> None:
    if args.format == "json":
        _emit(args, output.dumps(json_records(frame)))
    elif args.format == "csv":
        _emit(args, output.table_csv(frame, index=index))
    else:
        _emit(args, output.table_text(frame, index=index))


# --------------------------------------------------------------------------- commands


def cmd_validate(args) -> int:
    case = load_case(args.case)
    _print_warnings(case)
    counts = ", ".join(f"{v} {k}" for k, v in case.summary().items())
    print(f"ok: {case.id} is valid ({counts}; {len(case.warnings)} warning{'s' if len(case.warnings) != 1 else ''})")
    return 0


def cmd_info(args) -> int:
    case = load_case(args.case)
    if args.format == "json":
        _emit(args, output.dumps(output.info_record(case)))
        return 0
    _print_warnings(case)
    lines = [f"case: {case.id}", f"title: {case.title}", f"file: {case.path}"]
    lines += [f"{k}: {v}" for k, v in case.summary().items()]
    lines.append("")
    w = case.witnesses[["name", "proximity", "side", "aliases"]]
    _emit(args, "\n".join(lines) + "\n" + output.table_text(w))
    return 0


def cmd_contradictions(args) -> int:
    case = load_case(args.case)
    claims = case.available_claims(args.as_of)
    table = analysis.contradictions(case.with_claims(claims))
    if args.format == "table":
        table = table.drop(columns=["text", "claims"])
    _table(args, table, analysis.contradictions_records, index=False)
    return 0


def cmd_lines(args) -> int:
    case = load_case(args.case)
    table = analysis.lines(case)
    _table(args, table, lambda t: output.records(t), index=False)
    return 0


def cmd_dependence(args) -> int:
    case = load_case(args.case)
    table = analysis.undeclared_dependence(case, min_shared=args.min_shared, threshold=args.threshold)
    _table(args, table, lambda t: output.records(t), index=False)
    return 0


def cmd_reliability(args) -> int:
    case = load_case(args.case)
    table = analysis.reliability(case, as_of=args.as_of)
    _table(args, table, output.reliability_records)
    return 0


def cmd_propositions(args) -> int:
    case = load_case(args.case)
    table = analysis.propositions(case, as_of=args.as_of)
    _table(args, table, lambda t: output.records(t, "proposition"))
    return 0


def cmd_support(args) -> int:
    case = load_case(args.case)
    table = analysis.support(case, as_of=args.as_of, fragility=not args.no_fragility)
    _table(args, table, output.support_records)
    return 0


def cmd_timeline(args) -> int:
    case = load_case(args.case)
    table = analysis.timeline(case)
    _table(args, table, lambda t: output.records(t), index=False)
    return 0


COMMANDS: dict[str, tuple[str, Callable, Callable]] = {}


def _register(name: str, help_: str, handler: Callable, configure: Callable) -> None:
    COMMANDS[name] = (help_, handler, configure)


def _cfg_validate(p):
    _case_arg(p)


def _cfg_info(p):
    _case_arg(p)
    _fmt_arg(p, ("table", "json"))


def _cfg_table_as_of(p):
    _case_arg(p)
    _fmt_arg(p)
    _as_of_arg(p)


def _cfg_table(p):
    _case_arg(p)
    _fmt_arg(p)


def _cfg_dependence(p):
    _cfg_table(p)
    p.add_argument("--min-shared", type=int, default=2, help="shared minority positions a pair needs (default 2)")
    p.add_argument("--threshold", type=float, default=2.0, help="score a pair needs (default 2.0)")


def _cfg_support(p):
    _cfg_table_as_of(p)
    p.add_argument("--no-fragility", action="store_true", help="skip the drop-one-witness re-estimates")


_register("validate", "check a case against the case format; exit 0 if valid, 2 if not", cmd_validate, _cfg_validate)
_register("info", "the case's counts, witnesses and warnings", cmd_info, _cfg_info)
_register("contradictions", "contradictory testimony: the sides of every contested proposition", cmd_contradictions, _cfg_table_as_of)
_register("lines", "chains of transmission: each claim's origin and line of evidence", cmd_lines, _cfg_table)
_register("dependence", "pairs of witnesses whose agreement suggests undeclared dependence", cmd_dependence, _cfg_dependence)
_register("reliability", "each witness's reliability with a 90%% interval and reasons", cmd_reliability, _cfg_table_as_of)
_register("propositions", "each proposition resolved: probability true, or best-supported value", cmd_propositions, _cfg_table_as_of)
_register("support", "each conclusion's probability, verdict, lines for/against and fragility", cmd_support, _cfg_support)
_register("timeline", "each conclusion's probability as sources became available", cmd_timeline, _cfg_table)


def _load_extensions() -> None:
    """Commands that live beside the I/O modules they drive (bibliography, charts, notebooks...)."""
    from . import commands  # noqa: F401  (registers its commands)


def build_parser() -> argparse.ArgumentParser:
    _load_extensions()
    parser = argparse.ArgumentParser(
        prog="srccrit",
        description="Source criticism and citation analysis: contradictions, witness reliability and the support of conclusions.",
        epilog="With no CASE, commands use the bundled case (data/sino-soviet-korea). Exit status: 0 ok, 2 bad input.",
    )
    from . import __version__

    parser.add_argument("--version", action="version", version=f"srccrit {__version__}")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND", required=True)
    for name, (help_, handler, configure) in COMMANDS.items():
        p = sub.add_parser(name, help=help_, description=help_[0].upper() + help_[1:].replace("%%", "%") + ".")
        configure(p)
        p.set_defaults(handler=handler, parser=p)
    return parser


def main(argv: list[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    try:
        return int(args.handler(args) or 0)
    except CaseError as exc:
        print(f"srccrit: {len(exc.problems)} problem{'s' if len(exc.problems) != 1 else ''} in the case:", file=sys.stderr)
        for p in exc.problems:
            print(str(p), file=sys.stderr)
        return 2
    except SrccritError as exc:
        print(f"srccrit: {exc}", file=sys.stderr)
        return 2
    except BrokenPipeError:  # `srccrit ... | head`
        return 0
    except KeyboardInterrupt:
        return 130


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
