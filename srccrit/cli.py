"""The ``srccrit`` command: argument parsing and output formatting only; every command is a
library call first. Bad input exits with status 2 and a message naming file and line."""

from __future__ import annotations

import argparse
import signal
import sys
import threading
import traceback
import warnings

# jsonschema (under nbformat) imports rfc3987-syntax when it is installed, only to check the
# formats "iri" and "iri-reference", which no notebook schema uses; that import builds a grammar
# and costs more than a second on every command. Not in this process: jsonschema goes without.
sys.modules.setdefault("rfc3987_syntax", None)  # type: ignore[arg-type]

from . import analysis
from .cli_common import COMMANDS, as_of_arg, case_arg, copying_arg, emit, fmt_arg, habits_arg, load, model_params, print_warnings, register, show_table
from .errors import CaseError, SrccritError, SrccritWarning
from .io import output
from .io.atomic import forget_inputs

__all__ = ["main", "build_parser", "COMMANDS"]

# --------------------------------------------------------------------------- commands


def cmd_validate(args) -> int:
    case = load(args.case)
    print_warnings(case)
    counts = ", ".join(f"{v} {k}" for k, v in case.summary().items())
    print(f"ok: {case.id} is valid ({counts}; {len(case.warnings)} warning{'s' if len(case.warnings) != 1 else ''})")
    return 0


def cmd_info(args) -> int:
    case = load(args.case)
    if args.format == "json":
        emit(args, output.dumps(output.info_record(case)))
        return 0
    print_warnings(case)
    lines = [f"case: {case.id}", f"title: {case.title}", f"file: {case.path}"]
    lines += [f"{k}: {v}" for k, v in case.summary().items()]
    lines.append("")
    w = case.witnesses[["name", "proximity", "side", "aliases"]]
    emit(args, "\n".join(lines) + "\n" + output.table_text(w))
    return 0


def cmd_contradictions(args) -> int:
    case = load(args.case)
    claims = case.available_claims(args.as_of)
    table = analysis.contradictions(case.with_claims(claims))
    if args.format == "table":
        table = table.drop(columns=["text", "claims"])
    show_table(args, table, analysis.contradictions_records, index=False)
    return 0


def cmd_lines(args) -> int:
    case = load(args.case)
    table = analysis.lines(case)
    show_table(args, table, lambda t: output.records(t), index=False)
    return 0


def cmd_dependence(args) -> int:
    case = load(args.case)
    if args.copying:
        table = analysis.copying(case, as_of=args.as_of)
    else:
        table = analysis.undeclared_dependence(case, min_shared=args.min_shared, threshold=args.threshold)
    show_table(args, table, lambda t: output.records(t), index=False)
    return 0


def cmd_reliability(args) -> int:
    case = load(args.case)
    table = analysis.reliability(case, as_of=args.as_of, **model_params(args))
    show_table(args, table, output.reliability_records)
    return 0


def cmd_testimonies(args) -> int:
    case = load(args.case)
    table = analysis.testimonies(case, as_of=args.as_of, **model_params(args))
    show_table(args, table, lambda t: output.records(t), index=False)
    return 0


def cmd_propositions(args) -> int:
    case = load(args.case)
    table = analysis.propositions(case, as_of=args.as_of, **model_params(args))
    show_table(args, table, lambda t: output.records(t, "proposition"))
    return 0


def cmd_support(args) -> int:
    case = load(args.case)
    table = analysis.support(case, as_of=args.as_of, fragility=not args.no_fragility, **model_params(args))
    show_table(args, table, output.support_records)
    return 0


def cmd_timeline(args) -> int:
    case = load(args.case)
    table = analysis.timeline(case)
    show_table(args, table, lambda t: output.records(t), index=False)
    return 0


def _cfg_validate(p):
    case_arg(p)


def _cfg_info(p):
    case_arg(p)
    fmt_arg(p, ("table", "json"))


def _cfg_table_as_of(p):
    case_arg(p)
    fmt_arg(p)
    as_of_arg(p)


def _cfg_model(p):
    _cfg_table_as_of(p)
    copying_arg(p)
    habits_arg(p)


def _cfg_table(p):
    case_arg(p)
    fmt_arg(p)


def _cfg_dependence(p):
    _cfg_table(p)
    as_of_arg(p)
    p.add_argument("--copying", action="store_true",
                   help="the pairs the reliability model finds copying (p_copy, shared false values, the copier) instead of the shared-minority score")
    p.add_argument("--min-shared", type=int, default=2, help="shared minority positions a pair needs (default 2)")
    p.add_argument("--threshold", type=float, default=2.0, help="score a pair needs (default 2.0)")


def _cfg_support(p):
    _cfg_model(p)
    p.add_argument("--no-fragility", action="store_true", help="skip the drop-one-witness re-estimates")


register("validate", "check a case against the case format; exit 0 if valid, 2 if not", cmd_validate, _cfg_validate)
register("info", "the case's counts, witnesses and warnings", cmd_info, _cfg_info)
register("contradictions", "contradictory testimony: the sides of every contested proposition", cmd_contradictions, _cfg_table_as_of)
register("lines", "chains of transmission: each claim's origin and line of evidence", cmd_lines, _cfg_table)
register("dependence", "pairs of witnesses whose agreement suggests undeclared dependence", cmd_dependence, _cfg_dependence)
register("reliability", "each witness's reliability with a 90%% interval and reasons", cmd_reliability, _cfg_model)
register("testimonies", "each claim's testimony: kind, delay, basis, interest and the reliability it carries", cmd_testimonies, _cfg_model)
register("propositions", "each proposition resolved: probability true, or best-supported value", cmd_propositions, _cfg_model)
register("support", "each conclusion's probability, verdict, lines for/against and fragility", cmd_support, _cfg_support)
register("timeline", "each conclusion's probability as sources became available", cmd_timeline, _cfg_table)


def _load_extensions() -> None:
    """Commands that live beside the I/O modules they drive (bibliography, charts, notebooks...)."""
    from . import commands  # noqa: F401  (registers its commands)


def build_parser() -> argparse.ArgumentParser:
    _load_extensions()
    common = argparse.ArgumentParser(add_help=False)
    common.add_argument("--debug", action="store_true", default=argparse.SUPPRESS,
                        help="on an unexpected error, print the full traceback")
    parser = argparse.ArgumentParser(
        prog="srccrit",
        description="Source criticism and citation analysis: contradictions, witness reliability and the support of conclusions.",
        epilog="With no CASE, commands use ./case.yaml if there is one, else the bundled case (data/sino-soviet-korea). "
               "Exit status: 0 ok, 2 bad input, 1 an error in srccrit itself (run with --debug and report it).",
        parents=[common],
    )
    from . import __version__

    parser.add_argument("--version", action="version", version=f"srccrit {__version__}")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND", required=True)
    for name, (help_, handler, configure) in COMMANDS.items():
        p = sub.add_parser(name, help=help_, description=help_[0].upper() + help_[1:].replace("%%", "%") + ".", parents=[common])
        configure(p)
        p.set_defaults(handler=handler, parser=p)
    return parser


class Terminated(KeyboardInterrupt):
    """SIGTERM, raised in the main thread so that every ``finally`` runs: kernels are shut down
    and temporary folders removed before the process exits."""


def _on_sigterm(signum, frame):  # pragma: no cover - exercised through a subprocess in the tests
    raise Terminated()


def _show_warning(message, category, filename, lineno, file=None, line=None) -> None:
    print(f"warning: {message}", file=sys.stderr if file is None else file)


def main(argv: list[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    forget_inputs()
    previous = signal.signal(signal.SIGTERM, _on_sigterm) if threading.current_thread() is threading.main_thread() else None
    try:
        with warnings.catch_warnings():
            warnings.showwarning = _show_warning  # "warning: ..." on one line, no source line quoted
            warnings.simplefilter("always", SrccritWarning)  # said, whatever the filters (never an error)
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
    except KeyboardInterrupt as exc:  # SIGINT, or SIGTERM (ours, or during a notebook run)
        term = isinstance(exc, Terminated) or getattr(exc, "signum", None) == signal.SIGTERM
        print(f"srccrit: stopped by {'SIGTERM' if term else 'SIGINT'}; its temporary files were removed", file=sys.stderr)
        return 143 if term else 130
    except OSError as exc:  # the system refused a read or a write: the user's to fix
        where = f"{exc.filename}: " if getattr(exc, "filename", None) else ""
        print(f"srccrit: {where}{exc.strerror or exc}", file=sys.stderr)
        return 2
    except Exception as exc:  # noqa: BLE001 - the last resort: a short message, never a traceback
        if getattr(args, "debug", False):
            traceback.print_exc()
        print(f"srccrit: internal error ({type(exc).__name__}: {str(exc).splitlines()[0][:200] if str(exc) else ''}). "
              "This is a bug in srccrit: please report it with the command you ran"
              + ("." if getattr(args, "debug", False) else "; add --debug for the traceback."), file=sys.stderr)
        return 1
    finally:
        if previous is not None:
            signal.signal(signal.SIGTERM, previous)


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
