"""The main job: every analysis of a case written to one folder, with an index.html linking it.

``build_report(case, out_dir)`` validates, writes the tables (CSV and JSON), the bibliography
(biblatex, BibTeX, CSL-JSON), the charts (PNG and SVG), the executed notebooks and their HTML,
and ``index.html``. Everything is built in a temporary sibling folder and swapped in at the end:
on error, nothing in ``out_dir`` is replaced.
"""

from __future__ import annotations

import functools
import html
import sys
import threading
from concurrent.futures import ThreadPoolExecutor
from contextlib import ExitStack
from dataclasses import dataclass
from pathlib import Path
from typing import Callable

import pandas as pd

from . import analysis, bibtex, charts
from ._text import share_text
from .io import output
from .io.atomic import replace_dir, write_text
from .io.html_safety import sanitize_page
from .io.notebooks import MAX_NOTEBOOKS, KernelPool, build_notebooks, notebook_conclusions, notebook_name, prepare_html_export, warm_up_code
from ._gc import frozen_heap
from .io.display import readable

__all__ = ["build_report", "ReportSummary"]


@dataclass
class ReportSummary:
    out_dir: Path
    contradictions: int
    fragile: list[str]
    least_reliable: str | None
    files: list[str]

    def text(self) -> str:
        lines = [f"report written to {self.out_dir}/index.html ({len(self.files)} files)",
                 f"  contradictions: {self.contradictions} contested proposition{'s' if self.contradictions != 1 else ''}",
                 f"  fragile conclusions: {len(self.fragile)}" + (f" ({', '.join(self.fragile)})" if self.fragile else "")]
        if self.least_reliable:
            lines.append(f"  least reliable witness: {self.least_reliable}")
        return "\n".join(lines) + "\n"


#: the steps :func:`build_report` says it is at (for a progress printer's "[n/total]")
REPORT_STEPS = 10


def _progress_printer(total: int = REPORT_STEPS) -> Callable[[str], None]:
    import time

    state = {"n": 0, "start": time.perf_counter()}

    def say(message: str) -> None:
        elapsed = f"{time.perf_counter() - state['start']:6.1f} s"
        if message.startswith("notebook "):
            print(f"      {elapsed}  {message}", file=sys.stderr, flush=True)
            return
        state["n"] += 1
        print(f"[{state['n']}/{total}] {elapsed}  {message}", file=sys.stderr, flush=True)

    return say


def build_report(case, out_dir: str | Path = "out", execute: bool = True, html_notebooks: bool = True,
                 progress: Callable[[str], None] | None = None, max_notebooks: int | None = MAX_NOTEBOOKS) -> ReportSummary:
    """Write the report of ``case`` into ``out_dir``: at most ``max_notebooks`` conclusion
    notebooks (the most telling; None: one per conclusion), every conclusion in the index."""
    out_dir = Path(out_dir)
    say = progress or (lambda m: None)
    stop = threading.Event()
    with replace_dir(out_dir) as tmp, ExitStack() as stack:
        say("validation")
        warnings = "\n".join(str(w) for w in case.warnings)
        write_text(tmp / "validation.txt", f"{case.id}: valid\n" + (f"warnings:\n{warnings}\n" if warnings else "no warnings\n"))
        case_file = copy_case(case, tmp / "case", out_dir / "case")
        kernels = None
        if execute:  # started now, the kernels start and import while this process works out what they will run
            wanted = 1 + (len(case.conclusions) if max_notebooks is None else min(len(case.conclusions), max_notebooks))
            (tmp / "notebooks").mkdir(parents=True, exist_ok=True)
            kernels = stack.enter_context(KernelPool(tmp / "notebooks", kernels=1 if wanted < 4 else None, stop=stop,
                                                     warm_up=warm_up_code(case, out_dir / "notebooks", case_file)))
        if html_notebooks:  # here, while the kernels start, and before the threads that export the pages
            prepare_html_export()

        say("reliability")
        est = analysis.Reliability().fit(case)
        rel = est.reliability_
        say("contradictions, support and fragility, propositions")
        contra = analysis.contradictions(case, est.evidence_)
        sup = analysis.support(case, estimator=est)
        props = analysis.propositions(case, estimator=est)
        with_notebook = notebook_conclusions(case, sup, max_notebooks)
        stack.enter_context(frozen_heap())  # the case and its analyses live to the end: no collection walks them again

        # the notebooks are written, and run in their kernels (other processes), while this one
        # writes the tables and the bibliography
        say(f"notebooks: {len(with_notebook) + 1}" + (", executing on python3 kernels meanwhile" if execute else ""))
        # the timeline table and the case's charts, after the overview, and each conclusion's
        # evidence chart for a paper (PNG at 300 dpi, SVG, PDF), after its notebook: written by the
        # kernel that ran the notebook, on what it worked out (see _kernel_tasks); without kernels, here
        tasks = _kernel_tasks(case, est, with_notebook, tmp, out_dir / "notebooks", case_file, kernels)
        if tasks:
            kernels.add_tasks(tasks)
        with ThreadPoolExecutor(max_workers=1) as pool:
            job = pool.submit(build_notebooks, case, tmp / "notebooks", execute_cells=execute, html_too=html_notebooks, progress=say,
                              home=out_dir / "notebooks", support_table=sup, max_notebooks=max_notebooks, case_file=case_file, stop=stop,
                              kernels=kernels)
            try:
                if tasks:
                    say("timeline and the case's charts: by the kernel that runs the overview (it works the timeline out)")
                else:
                    say("timeline: the model re-estimated at each release; the case's charts")
                    write_timeline_and_charts(case, est, tmp / "tables", tmp / "charts")
                say("tables: CSV and JSON")
                _write_tables(tmp / "tables", case, est, contra, sup, props)
                say("bibliography: biblatex, BibTeX, CSL-JSON")
                write_text(tmp / "bibliography.bib", bibtex.export(case, annotate=True, est=est))
                write_text(tmp / "bibliography-bibtex.bib", bibtex.export(case, dialect="bibtex", annotate=True, est=est))
                write_text(tmp / "bibliography.csl.json", bibtex.csl_json(case))
                say("charts: " + ("what the kernels have not taken yet" if tasks else "an evidence chart per conclusion with a notebook"))
                if not tasks:
                    charts.write_evidence_charts(case, with_notebook, tmp / "charts", est)
                else:  # the evidence charts the kernels have not taken yet, drawn here
                    kernels.help()
            except BaseException:
                failed_here = True
                stop.set()  # an error or a signal here: the notebooks stop at their next one, their kernels shut down
                raise
            else:
                failed_here = False
            finally:
                if not stop.is_set():
                    say("notebooks: waiting for the last" + (" to finish running" if execute else " to be written"))
                # the notebooks' error, if any, wins (a kernel that failed set ``stop`` itself: its
                # error is raised here, never passed over), unless this process's own is on its way
                job.result() if not failed_here else _quietly(job)

        say("index.html")
        write_text(tmp / "index.html", sanitize_page(_index_html(case, sup, rel, contra, html_notebooks, set(with_notebook), est)))
        files = sorted(str(p.relative_to(tmp)) for p in tmp.rglob("*") if p.is_file())
    fragile = [c for c in sup.index if sup.at[c, "fragile"]]
    least = rel.index[-1] if len(rel) else None
    return ReportSummary(out_dir, contra["proposition"].nunique() if len(contra) else 0, fragile,
                         f"{case.witness_name(least)} ({share_text(rel.at[least, 'reliability'])})" if least else None, files)


def _kernel_tasks(case, est, conclusions: list[str], tmp: Path, home: Path, case_file: Path | None, kernels) -> list:
    """What the report's kernels draw and write once their notebooks are done, each as a task
    for the kernel that ran the notebook it follows, or for this process
    (:meth:`KernelPool.help`), whichever comes first: right after the overview,
    :func:`write_timeline_and_charts` (the overview works the timeline out; this process would
    do it again, 6 s at a million claims); after each conclusion's notebook,
    :func:`srccrit.charts.write_evidence_charts`. None without kernels or for a case read from
    no file (a kernel could not load it)."""
    from .io.notebooks import KernelTask, _relative_case_path

    if kernels is None or (case_file is None and case.path is None):
        return []
    charts_dir, tables_dir = tmp / "charts", tmp / "tables"
    charts_dir.mkdir(parents=True, exist_ok=True)
    tables_dir.mkdir(parents=True, exist_ok=True)
    where = _relative_case_path(case, home, case_file)
    # the case and fit the notebook left (a task that loads its own works everything out again:
    # 0.4 s an evidence chart, 6 s the timeline at a million claims), else the kernel's own
    setup = ("import pandas, srccrit, srccrit.charts, srccrit.report\n"
             "try:\n"
             "    _srccrit_fit = (case, est) if isinstance(est, srccrit.Reliability) and est.fitted_on_whole(case) else None\n"
             "except NameError:\n"
             "    _srccrit_fit = None\n"
             "_srccrit_tl = globals().get('tl') if _srccrit_fit else None\n"
             f"_srccrit_fit = _srccrit_fit or srccrit.load_and_fit({where!r})\n")
    overview = KernelTask(setup + "srccrit.report.write_timeline_and_charts(*_srccrit_fit, "
                          f"{str(tables_dir)!r}, {str(charts_dir)!r}, _srccrit_tl if isinstance(_srccrit_tl, pandas.DataFrame) else None)",
                          what="writing the timeline and drawing the case's charts",
                          here=functools.partial(write_timeline_and_charts, case, est, tables_dir, charts_dir), follows=0)
    # each right after its notebook (the overview is notebook 0), on the kernel that ran it
    return [overview] + [
        KernelTask(setup + f"srccrit.charts.write_evidence_charts(_srccrit_fit[0], [{cid!r}], {str(charts_dir)!r}, _srccrit_fit[1])",
                   what=f"drawing the evidence chart of {cid!r}",
                   here=functools.partial(charts.write_evidence_charts, case, [cid], charts_dir, est), follows=k + 1)
        for k, cid in enumerate(conclusions)]


def write_timeline_and_charts(case, est, tables_dir, charts_dir, timeline_table: pd.DataFrame | None = None) -> None:
    """The timeline table (CSV and JSON) and the case-wide charts of a report (see
    :func:`srccrit.charts.write_case_charts`). ``est``: the model fitted on the whole case;
    ``timeline_table``: :func:`srccrit.timeline`'s for it (default: worked out here)."""
    tl = analysis.timeline(case, estimator=est) if timeline_table is None else timeline_table
    tables_dir = Path(tables_dir)
    output.write_csv(tables_dir / "timeline.csv", tl, index=False)
    output.write_records_json(tables_dir / "timeline.json", tl, None)
    charts.write_case_charts(case, est, charts_dir, tl)


def _write_tables(folder: Path, case, est, contra, sup, props) -> None:
    """Every result table but the timeline's as CSV (for people and spreadsheets) and JSON (the
    documented shapes)."""
    lines = analysis.lines(case, est.evidence_)
    dep = analysis.undeclared_dependence(case, est.evidence_)
    rel = est.reliability_
    # the JSON of each: its documented records, or (None) the plain records of its rows, written a
    # chunk at a time (lines and timeline hold a row per claim, per conclusion and step)
    tables = {
        "contradictions": (contra, lambda: analysis.contradictions_records(contra), False),
        "reliability": (rel, lambda: output.reliability_records(rel), True),
        "support": (sup, lambda: output.support_records(sup), True),
        "propositions": (props, "proposition", True),
        "lines": (lines, None, False),
        "dependence": (dep, None, False),
        "copying": (est.copying_, None, False),
    }
    for name, (frame, recs, index) in tables.items():
        output.write_csv(folder / f"{name}.csv", frame, index=index)
        if recs is None or isinstance(recs, str):
            output.write_records_json(folder / f"{name}.json", frame, recs)
        else:
            write_text(folder / f"{name}.json", output.dumps_records(recs()))


def _quietly(job) -> None:
    """Wait for a job that is being stopped; its own error is not the one to report."""
    try:
        job.result()
    except BaseException:  # noqa: BLE001
        pass


def copy_case(case, folder: Path, final: Path) -> Path | None:
    """Copy the case file and every table and bibliography file it read into ``folder`` (which
    will be renamed ``final``), keeping their paths relative to one another, so that notebooks
    loading it by a relative path re-run wherever the report is moved. Returns where the case
    file will be (under ``final``), or None for a case not read from a file."""
    import os
    import shutil

    if case.path is None:
        return None
    files = [Path(case.path).resolve(), *(Path(f).resolve() for f in case.files)]
    root = Path(os.path.commonpath([str(f.parent) for f in files]))
    for f in files:
        target = folder / f.relative_to(root)
        target.parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(f, target)
    return final / files[0].relative_to(root)


def _is_true(value) -> bool:
    """True for True; False for False and for a missing value (fragility not worked out)."""
    return False if value is None or value is pd.NA else bool(value)


#: rows of a table on the index page at most (all rows are in tables/*.csv and *.json)
INDEX_ROWS = 40
#: conclusions without a notebook listed (folded) on the index page at most
INDEX_MORE_ROWS = 2000

CHART_CAPTIONS = {
    "reliability": ("Witness reliability", "Forest plot: each witness's estimated reliability (dot) with its 90% interval (bar) "
                    "and the prior from source criticism (tick)."),
    "support-matrix": ("Which sources support each conclusion", "Matrix of conclusions by witnesses: lines of evidence for "
                       "(blue, left half) and against (vermillion, right half) each conclusion, never netted, with each "
                       "conclusion's probability and verdict."),
    "timeline": ("How support changed as sources became available", "Each conclusion's probability stepping at the dates "
                 "its sources became available; archival releases marked."),
    "contradictions": ("Contradictory testimony between witnesses", "Network: witnesses who contradict one another, "
                       "linked by the propositions in dispute; hostility dashed."),
}


#: copying pairs shown in the index at most (all are in tables/copying.csv and JSON)
COPYING_ROWS = 40


def _copying_html(case, est) -> str:
    """The witnesses the model found copying (who copies whom, shared false values, the
    probability) and the temperature of the probabilities; a sentence when there is none."""
    if est is None:
        return ""
    temper = (f" Probabilities are tempered (temperature {est.temperature_:.2f}): the lines agree less than independent lines would."
              if est.temperature_ < 1 else "")
    pairs = est.copying_
    if pairs.empty:
        return f'<section id="copying"><h2>Copying</h2><p>No two witnesses were found copying one another.{html.escape(temper)}</p></section>'
    shown = pairs.iloc[:COPYING_ROWS][["copier", "witness_a", "witness_b", "p_copy", "shared_false", "shared", "common"]]
    table = readable(shown, case, caption="Pairs of witnesses found copying, most probable first" +
                     (f" (the first {len(shown)} of {len(pairs)})" if len(pairs) > len(shown) else ""))
    return (f'<section id="copying"><h2>Copying</h2><p>Their agreement is counted once: the copier\'s agreeing testimony weighs '
            f'less for the value (not for his own reliability).{html.escape(temper)}</p><div class="scroll">{table.to_html()}</div></section>')


def _index_html(case, sup, rel, contra, html_notebooks: bool, with_notebook: set | None = None, est=None) -> str:
    from .io.display import readable
    from .io.notebooks import VERDICT_NOTE

    e = html.escape
    nb_ext = "html" if html_notebooks else "ipynb"
    with_notebook = set(sup.index) if with_notebook is None else with_notebook

    def title(cid: str) -> str:
        text = e(str(sup.at[cid, "text"]))
        return f"<a href=\"notebooks/{e(notebook_name(cid)[:-6])}.{nb_ext}\">{text}</a>" if cid in with_notebook else text

    def evidence_link(cid: str) -> str:
        if cid not in with_notebook:
            return ""
        stem = e(charts.file_stem(cid))
        return (f" — evidence chart (<a href=\"charts/evidence-{stem}.png\">PNG</a>, <a href=\"charts/evidence-{stem}.svg\">SVG</a>, "
                f"<a href=\"charts/evidence-{stem}.pdf\">PDF</a>)")

    shown_ids = [c for c in sup.index if c in with_notebook][:INDEX_ROWS]
    rest = len(sup) - len(shown_ids)
    conclusions = "".join(
        f"<li>{title(cid)} — <strong>{e(sup.at[cid, 'verdict'])}</strong> ({e(share_text(sup.at[cid, 'probability']))})"
        f"{' — <strong>fragile</strong>' if _is_true(sup.at[cid, 'fragile']) else ''}{evidence_link(cid)}</li>"
        for cid in shown_ids)
    more = ""
    if rest:
        others = [c for c in sup.index if c not in set(shown_ids)]
        listed = others[:INDEX_MORE_ROWS]
        table = readable(sup.loc[listed, ["text", "probability", "verdict", "lines_for", "lines_against", "fragile"]], case, max_rows=None,
                         caption=f"The {len(others)} conclusions without a notebook" + (f" (the first {len(listed)})" if len(listed) < len(others) else ""))
        more = (f"<details id=\"more-conclusions\"><summary>{len(others)} more conclusion{'s' if len(others) != 1 else ''} without a notebook of "
                f"their own (every conclusion is also in <a href=\"tables/support.csv\">tables/support.csv</a> and JSON)</summary>"
                f"<div class=\"scroll\">{table.to_html()}</div></details>")
    table_links = " · ".join(f"{e(n)} (<a href=\"tables/{n}.csv\">CSV</a>, <a href=\"tables/{n}.json\">JSON</a>)"
                             for n in ["contradictions", "reliability", "support", "propositions", "timeline", "lines", "dependence", "copying"])
    charts_html = "".join(
        f"<figure id=\"chart-{n}\"><a href=\"charts/{n}.svg\"><img src=\"charts/{n}.png\" alt=\"{e(alt)}\" "
        f"style=\"max-width:100%;height:auto\"></a><figcaption><strong>{e(head)}.</strong> {e(alt)}</figcaption></figure>"
        for n, (head, alt) in CHART_CAPTIONS.items())
    sup_rows = sup.loc[shown_ids] if rest else sup
    rel_rows = rel.iloc[:INDEX_ROWS]
    shown_sup = readable(sup_rows[["text", "probability", "verdict", "lines_for", "lines_against", "fragile", "break_count",
                                   "sole_support", "pivotal_witness"]], case,
                         caption="Support for each conclusion" + (f" (the {len(sup_rows)} with notebooks of {len(sup)})" if rest else ""))
    shown_rel = readable(rel_rows[["name", "reliability", "low", "high", "prior", "claims", "corroborated", "contradicted"]], None,
                         caption="Witness reliability, most reliable first" + (f" (the first {len(rel_rows)} of {len(rel)})" if len(rel) > len(rel_rows) else ""))
    verdicts = html.escape(VERDICT_NOTE.replace("**", "").replace("*", "").replace("`", ""))
    copying_html = _copying_html(case, est)
    return f"""<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<title>{e(case.title)} — srccrit report</title>
<style>body{{font-family:sans-serif;max-width:1100px;margin:2em auto;padding:0 1em;line-height:1.4;overflow-wrap:break-word}}
.scroll{{overflow-x:auto;max-width:100%}} table.srccrit-table{{border-collapse:collapse;font-size:90%}}
table.srccrit-table td,table.srccrit-table th{{border:1px solid #ccc;padding:3px 6px}} caption{{text-align:left;font-weight:bold;padding:4px 0}}
figure{{margin:1em 0}} img{{max-width:100%;height:auto}}</style></head>
<body>
<header><h1>{e(case.title)}</h1>
<p>Case <code>{e(case.id)}</code>: {", ".join(f"{v} {e(k)}" for k, v in case.summary().items())}.
<a href="validation.txt">Validation</a> · <a href="notebooks/overview.{nb_ext}">Overview notebook</a> ·
the case itself, as the notebooks load it: <a href="case/">case/</a></p></header>
<main>
<h2>Conclusions</h2><ul id="conclusions">{conclusions}</ul>{more}
<p id="definitions"><small>{verdicts}</small></p>
<section id="support"><h2>Support</h2><div class="scroll">{shown_sup.to_html()}</div></section>
<section id="reliability"><h2>Reliability</h2><div class="scroll">{shown_rel.to_html()}</div></section>
{copying_html}<section id="charts"><h2>Charts</h2>{charts_html}</section>
<section id="tables"><h2>Tables</h2><p>{table_links}</p></section>
<section id="bibliography"><h2>Bibliography</h2><p><a href="bibliography.bib">biblatex</a> · <a href="bibliography-bibtex.bib">BibTeX</a> · <a href="bibliography.csl.json">CSL-JSON</a></p></section>
</main>
<footer><p><small>{len(contra["proposition"].unique()) if len(contra) else 0} contested propositions. Generated by srccrit.</small></p></footer>
</body></html>
"""
