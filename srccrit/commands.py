"""CLI commands for the bibliography, charts, notebooks and the report.

Kept apart from :mod:`srccrit.cli` so that each command sits beside the library calls it makes;
the parsing conventions (CASE, --format, --output, exit status 2) are the same.
"""

from __future__ import annotations

import sys
from pathlib import Path

from . import bibtex
from .cli_common import case_arg, emit, load, register
from .errors import SrccritError
from .io import output
from .io.atomic import check_output, write_text
from .io.notebooks import MAX_NOTEBOOKS
from .io.case_file import load_case


def cmd_bib(args) -> int:
    if args.bib_command == "export":
        case = load(args.case)
        if args.format == "csl-json":
            text = bibtex.csl_json(case)
        else:
            text = bibtex.export(case, dialect=args.dialect, annotate=args.annotate,
                                 warn=lambda m: print(f"warning: {m}", file=sys.stderr))
        if args.output:
            write_text(args.output, text)  # never onto the case's own .bib: it was read as input
            print(f"wrote {len(case.sources)} entries to {args.output}", file=sys.stderr)
        else:
            sys.stdout.write(text)
        return 0
    if args.bib_command == "merge":
        if not args.output:
            raise SrccritError("bib merge: give -o OUT.bib (inputs are never rewritten)")
        text, report = bibtex.merge(args.files, prefer=args.prefer)  # reads (and notes) the inputs
        for target in (args.output, args.report):  # both refused before either is written
            if target:
                check_output(target)
        write_text(args.output, text)
        if args.report:
            write_text(args.report, report.to_json())
        for d in report.decisions:
            if d["action"] == "warning":  # entries read by a rule, blocks skipped: said, not only in --report
                print(f"warning: {d['file']}:{d['line']}: {d['message']}", file=sys.stderr)
        merged = sum(1 for d in report.decisions if d["action"] == "merged")
        renamed = sum(1 for d in report.decisions if d["action"] == "renamed")
        print(f"wrote {args.output}: {merged} duplicate{'s' if merged != 1 else ''} merged, {renamed} key{'s' if renamed != 1 else ''} renamed", file=sys.stderr)
        return 0
    if args.bib_command == "keys":
        rows = bibtex.propose_keys(args.file)
        if args.format == "json":
            emit(args, output.dumps(rows))
        else:
            emit(args, "".join(f"{r['key']}\t{r['proposed']}{'' if r['changed'] else '  (unchanged)'}\n" for r in rows))
        return 0
    raise SrccritError("bib: choose export, merge or keys")


def _cfg_bib(p):
    sub = p.add_subparsers(dest="bib_command", metavar="SUBCOMMAND", required=True)
    e = sub.add_parser("export", help="the case's sources as biblatex, BibTeX or CSL-JSON", description="Export the case's sources, sorted by citekey, original fields kept.")
    case_arg(e)
    e.add_argument("-o", "--output", metavar="FILE", help="write to FILE (a new file; never the case's own .bib)")
    e.add_argument("--dialect", choices=["biblatex", "bibtex"], default="biblatex", help="biblatex (default, unicode) or classic BibTeX (LaTeX-encoded)")
    e.add_argument("--annotate", action="store_true", help="add annotation/keywords: kind, witnesses and their reliability interval")
    e.add_argument("--format", choices=["bib", "csl-json"], default="bib", help="bib (default) or CSL-JSON for Zotero and pandoc")
    m = sub.add_parser("merge", help="merge .bib files, de-duplicating entries", description="Merge and de-duplicate: DOI/ISBN, else fuzzy title + year + first author.")
    m.add_argument("files", nargs="+", metavar="FILE.bib")
    m.add_argument("-o", "--output", metavar="OUT", help="the merged file (required; inputs are never rewritten)")
    m.add_argument("--report", metavar="FILE", help="write every merge decision as JSON")
    m.add_argument("--prefer", choices=["first", "last"], default="first", help="which file wins a field conflict (default: first)")
    k = sub.add_parser("keys", help="propose Better BibTeX-style keys (authoryearshorttitle)", description="Propose citation keys for a .bib file.")
    k.add_argument("file", metavar="FILE.bib")
    k.add_argument("--format", "-f", choices=["table", "json"], default="table")
    k.add_argument("--output", "-o", metavar="FILE")


CHART_FORMATS = ("png", "svg", "pdf")


def chart_format(path: str) -> str:
    """The chart format a file name asks for (png, svg or pdf); anything else is refused."""
    suffix = Path(path).suffix.lower().lstrip(".")
    if suffix not in CHART_FORMATS:
        raise SrccritError(f"{path}: a chart is written as .png, .svg or .pdf, not {('.' + suffix) if suffix else 'a file with no extension'}")
    return suffix


def _known_conclusion(case, conclusion: str) -> str:
    if conclusion not in case.conclusions.index:
        from .validation import did_you_mean

        raise SrccritError(f"no conclusion {conclusion!r} in case {case.id!r}" + did_you_mean(conclusion, case.conclusions.index))
    return conclusion


def cmd_cite(args) -> int:
    case = load(args.case)
    _known_conclusion(case, args.conclusion)
    emit(args, bibtex.cite(case, args.conclusion, against=args.against, style=args.format))
    return 0


def _cfg_cite(p):
    case_arg(p, required=True)
    p.add_argument("conclusion", metavar="CONCLUSION", help="a conclusion id")
    p.add_argument("--against", action="store_true", help="the sources against it instead")
    p.add_argument("--format", "-f", choices=["latex", "pandoc", "bib"], default="latex", help="\\cite{a,b} (default), [@a; @b] or a .bib subset")
    p.add_argument("--output", "-o", metavar="FILE")


def cmd_chart(args) -> int:
    import matplotlib.pyplot as plt

    from . import charts

    case = load(args.case)
    for cid in args.evidence or []:
        _known_conclusion(case, cid)
    out = check_output(args.output, folder=True)
    names = args.only or ([] if args.evidence else list(charts.CHARTS))
    est = charts.Reliability().fit(case)
    for name in names:
        fig = charts.CHARTS[name](case, est)
        charts.save(fig, out / f"{name}.{args.format}", args.format)
        plt.close(fig)
        print(out / f"{name}.{args.format}")
    for cid in args.evidence or []:
        fig = charts.evidence_chart(case, cid, est)
        path = out / f"evidence-{charts.file_stem(cid)}.{args.format}"
        charts.save(fig, path, args.format, dpi=300)
        plt.close(fig)
        print(path)
    return 0


def _cfg_chart(p):
    case_arg(p)
    p.add_argument("-o", "--output", metavar="DIR", required=True, help="folder for the charts")
    p.add_argument("--format", choices=["png", "svg", "pdf"], default="png")
    p.add_argument("--only", action="append", choices=["reliability", "support-matrix", "timeline", "contradictions"], help="one chart (repeatable)")
    p.add_argument("--evidence", action="append", metavar="CONCLUSION",
                   help="the evidence chart of this conclusion, evidence-<id>.<format> (repeatable; PNG at 300 dpi)")


def cmd_evidence(args) -> int:
    from .analysis import conclusion_evidence

    case = load(args.case)
    _known_conclusion(case, args.conclusion)
    ce = conclusion_evidence(case, args.conclusion, as_of=args.as_of)
    if args.format == "json":
        emit(args, output.dumps(output.conclusion_evidence_record(ce)))
    else:
        from .io.output import share_text

        head = (f"{ce.text}\n  probability {share_text(ce.probability)} (90% interval {share_text(ce.low)} to {share_text(ce.high)}), "
                f"{ce.verdict}\n\npremises:\n")
        emit(args, head + output.table_text(ce.premises, index=False) + "\nlines of evidence:\n" + output.table_text(ce.lines, index=False))
    return 0


def _cfg_evidence(p):
    case_arg(p, required=True)
    p.add_argument("conclusion", metavar="CONCLUSION", help="a conclusion id")
    p.add_argument("--format", "-f", choices=["table", "json"], default="table", help="output format (default: table)")
    p.add_argument("--output", "-o", metavar="FILE", help="write to FILE (atomically) instead of standard output")
    p.add_argument("--as-of", metavar="DATE", default=None, help="count only sources available by DATE")


def cmd_notebook(args) -> int:
    from .io.notebooks import build_notebooks

    case = load(args.case)
    check_output(args.output, folder=True)
    for path in build_notebooks(case, args.output, execute_cells=args.execute, html_too=args.html,
                                progress=lambda m: print(m, file=sys.stderr, flush=True)):
        print(path)
    return 0


def _cfg_notebook(p):
    case_arg(p)
    p.add_argument("-o", "--output", metavar="DIR", required=True, help="folder for the notebooks")
    p.add_argument("--execute", action="store_true", default=True, help="run them on the python3 kernel so outputs are stored (default)")
    p.add_argument("--no-execute", dest="execute", action="store_false", help="write them without running")
    p.add_argument("--html", action="store_true", help="also export each to HTML with nbconvert")


def cmd_report(args) -> int:
    from .report import _progress_printer, build_report

    case = load(args.case)
    if args.max_notebooks is not None and args.max_notebooks < 0:
        raise SrccritError("--max-notebooks: give 0 or more (0: one for every conclusion)")
    summary = build_report(case, args.output, execute=args.execute, progress=_progress_printer(),
                           max_notebooks=(args.max_notebooks or None) if args.max_notebooks is not None else MAX_NOTEBOOKS)
    sys.stdout.write(summary.text())
    return 0


def _cfg_report(p):
    case_arg(p)
    p.add_argument("-o", "--output", metavar="DIR", default="out", help="output folder (default: out)")
    p.add_argument("--no-execute", dest="execute", action="store_false", default=True, help="do not run the notebooks")
    p.add_argument("--max-notebooks", type=int, default=None, metavar="N",
                   help=f"conclusion notebooks at most: the N most telling (default {MAX_NOTEBOOKS}; 0: one per conclusion)")


register("bib", "bibliography: export (biblatex/BibTeX/CSL-JSON), merge, keys", cmd_bib, _cfg_bib)
register("cite", "the citations behind (or against) a conclusion", cmd_cite, _cfg_cite)
register("chart", "reliability, support-matrix, timeline and contradictions charts; evidence charts of conclusions", cmd_chart, _cfg_chart)
register("evidence", "one conclusion's lines of evidence for and against, its premises and its probability with an interval", cmd_evidence, _cfg_evidence)
register("notebook", "an overview notebook and one per conclusion, executed", cmd_notebook, _cfg_notebook)
register("report", "the main job: tables, bibliography, charts, notebooks and index.html", cmd_report, _cfg_report)


def cmd_ingest(args) -> int:
    from . import ingest

    case = load(args.case) if (args.case or args.append_to) else None
    if args.append_to:
        case = load_case(args.append_to)
    reading = ingest.read_text(args.text, case=case, language=args.language)
    cands = ingest.candidates(reading, case, source=args.source)
    for r in reading.repairs:
        print(f"repair at {r.start}: {r.original!r} -> {r.replacement!r} ({r.kind})", file=sys.stderr)
    print(f"language: {reading.language}{' (detected)' if args.language == 'auto' else ''}; {len(reading.dropped)} boilerplate lines dropped; "
          f"{len(reading.notes)} notes; {len(cands)} candidate claims", file=sys.stderr)
    if args.append_to:
        from .ingest import append_candidates

        if not args.output:
            raise SrccritError("ingest --append-to: give -o the reviewed candidates CSV to append (rows with accept = yes)")
        path, n = append_candidates(case, args.output)
        print(f"appended {n} accepted rows to {path} (backup: {path}.bak)", file=sys.stderr)
        return 0
    text = output.table_csv(cands, index=False)
    if args.output:
        write_text(args.output, text)
    else:
        sys.stdout.write(text)
    return 0


def _cfg_ingest(p):
    p.add_argument("text", metavar="TEXT", help="a plain-text, HTML, LaTeX, PDF, Word (.docx) or OpenDocument (.odt) file (a PDF by its text layer, page by page; .docx and .odt with their notes)")
    p.add_argument("--case", metavar="CASE", default=None, help="resolve names against this case's witnesses")
    p.add_argument("--source", metavar="CITEKEY", default=None, help="the citekey of the text, for the candidates' source column")
    p.add_argument("-o", "--output", metavar="FILE", help="candidates CSV to write (or, with --append-to, the reviewed one to read)")
    p.add_argument("--append-to", metavar="CASE", help="append the reviewed rows marked accept=yes to CASE's claims CSV (a .bak is kept)")
    p.add_argument("--language", metavar="CODE", default="auto",
                   help="the text's language, an ISO 639-1 code (en, de, fr, ru, zh...); default: detected from the text")


def cmd_notes(args) -> int:
    from . import ingest

    case = load(args.case) if args.case else None
    reading = ingest.read_text(args.text, case=case, language=args.language)
    report = ingest.citation_report(reading)
    if args.format == "json":
        emit(args, output.dumps_table(output.records(report)))
    elif args.format == "csv":
        emit(args, output.table_csv(report, index=False))
    else:
        dens = ingest.density(report)
        unsupported = report[report["unsupported"]]
        lines = [f"{len(report)} sentences, {int(report['noted'].sum())} with a note, {int(report['factual'].sum())} factual, "
                 f"{len(unsupported)} factual sentences with no note in their paragraph", "", "per paragraph:", output.table_text(dens),
                 "factual sentences without a note:"]
        lines += [f"  [{r.paragraph}] {r.text[:110]}" for r in unsupported.itertuples()]
        emit(args, "\n".join(lines) + "\n")
    if args.chart:
        from .charts import notes_chart, save

        save(notes_chart(report), args.chart, chart_format(args.chart))
    return 0


def _cfg_notes(p):
    p.add_argument("text", metavar="TEXT", help="a plain-text, HTML, LaTeX, PDF, Word (.docx) or OpenDocument (.odt) file (a PDF by its text layer, page by page; .docx and .odt with their notes)")
    p.add_argument("--case", metavar="CASE", default=None, help="resolve names against this case's witnesses")
    p.add_argument("--format", "-f", choices=["table", "csv", "json"], default="table")
    p.add_argument("-o", "--output", metavar="FILE")
    p.add_argument("--chart", metavar="FILE.png", help="also draw citation density per paragraph")
    p.add_argument("--language", metavar="CODE", default="auto",
                   help="the text's language, an ISO 639-1 code (en, de, fr, ru, zh...); default: detected from the text")


register("ingest", "candidate claims from a text: notes, names, dates, OCR repairs, attributions", cmd_ingest, _cfg_ingest)
register("notes", "citation analysis of a text: which factual sentences carry no note", cmd_notes, _cfg_notes)
