"""The main job: every analysis of a case written to one folder, with an index.html linking it.

``build_report(case, out_dir)`` validates, writes the tables (CSV and JSON), the bibliography
(biblatex, BibTeX, CSL-JSON), the charts (PNG and SVG), the executed notebooks and their HTML,
and ``index.html``. Everything is built in a temporary sibling folder and swapped in at the end:
on error, nothing in ``out_dir`` is replaced.
"""

from __future__ import annotations

import html
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Callable

import matplotlib.pyplot as plt

from . import analysis, bibtex, charts
from .io import output
from .io.atomic import replace_dir, write_text
from .io.html_safety import sanitize_page
from .io.notebooks import MAX_NOTEBOOKS, build_notebooks, notebook_conclusions, notebook_name
from .model import frame_html

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


def _progress_printer(total: int) -> Callable[[str], None]:
    state = {"n": 0}

    def say(message: str) -> None:
        if message.startswith("notebook "):
            print(f"      {message}", file=sys.stderr, flush=True)
            return
        state["n"] += 1
        print(f"[{state['n']}/{total}] {message}", file=sys.stderr, flush=True)

    return say


def build_report(case, out_dir: str | Path = "out", execute: bool = True, html_notebooks: bool = True,
                 progress: Callable[[str], None] | None = None, max_notebooks: int | None = MAX_NOTEBOOKS) -> ReportSummary:
    """Write the report of ``case`` into ``out_dir``: at most ``max_notebooks`` conclusion
    notebooks (the most telling; None: one per conclusion), every conclusion in the index."""
    out_dir = Path(out_dir)
    say = progress or (lambda m: None)
    with replace_dir(out_dir) as tmp:
        say("validation")
        warnings = "\n".join(str(w) for w in case.warnings)
        write_text(tmp / "validation.txt", f"{case.id}: valid\n" + (f"warnings:\n{warnings}\n" if warnings else "no warnings\n"))

        say("analyses: contradictions, reliability, support, timeline")
        est = analysis.Reliability().fit(case)
        contra = analysis.contradictions(case, est.evidence_)
        rel = est.reliability_
        sup = analysis.support(case, estimator=est)
        props = analysis.propositions(case, estimator=est)
        tl = analysis.timeline(case)
        lines = analysis.lines(case, est.evidence_)
        dep = analysis.undeclared_dependence(case, est.evidence_)
        tables = {
            "contradictions": (contra, analysis.contradictions_records(contra), False),
            "reliability": (rel, output.reliability_records(rel), True),
            "support": (sup, output.support_records(sup), True),
            "propositions": (props, output.records(props, "proposition"), True),
            "timeline": (tl, output.records(tl), False),
            "lines": (lines, output.records(lines), False),
            "dependence": (dep, output.records(dep), False),
        }
        for name, (frame, recs, index) in tables.items():
            write_text(tmp / "tables" / f"{name}.csv", output.table_csv(frame, index=index))
            write_text(tmp / "tables" / f"{name}.json", output.dumps(recs))

        say("bibliography: biblatex, BibTeX, CSL-JSON")
        write_text(tmp / "bibliography.bib", bibtex.export(case, annotate=True))
        write_text(tmp / "bibliography-bibtex.bib", bibtex.export(case, dialect="bibtex", annotate=True))
        write_text(tmp / "bibliography.csl.json", bibtex.csl_json(case))

        say("charts")
        figures = charts.all_charts(case, est)
        for name, fig in figures.items():
            for fmt in ("png", "svg"):
                charts.save(fig, tmp / "charts" / f"{name}.{fmt}", fmt)
            plt.close(fig)

        say("notebooks" + (" (executing on the python3 kernel)" if execute else ""))
        with_notebook = set(notebook_conclusions(case, sup, max_notebooks))
        build_notebooks(case, tmp / "notebooks", execute_cells=execute, html_too=html_notebooks, progress=say,
                        home=out_dir / "notebooks", support_table=sup, max_notebooks=max_notebooks)

        say("index.html")
        write_text(tmp / "index.html", sanitize_page(_index_html(case, sup, rel, contra, html_notebooks, with_notebook)))
        files = sorted(str(p.relative_to(tmp)) for p in tmp.rglob("*") if p.is_file())
    fragile = [c for c in sup.index if sup.at[c, "fragile"]]
    least = rel.index[-1] if len(rel) else None
    return ReportSummary(out_dir, contra["proposition"].nunique() if len(contra) else 0, fragile,
                         f"{case.witness_name(least)} ({rel.at[least, 'reliability']:.2f})" if least else None, files)


def _index_html(case, sup, rel, contra, html_notebooks: bool, with_notebook: set | None = None) -> str:
    e = html.escape
    nb_ext = "html" if html_notebooks else "ipynb"
    with_notebook = set(sup.index) if with_notebook is None else with_notebook

    def title(cid: str) -> str:
        text = e(str(sup.at[cid, "text"]))
        return f"<a href=\"notebooks/{e(notebook_name(cid)[:-6])}.{nb_ext}\">{text}</a>" if cid in with_notebook else text

    conclusions = "".join(
        f"<li>{title(cid)} — "
        f"{e(sup.at[cid, 'verdict'])} ({sup.at[cid, 'probability']:.2f}){' — <strong>fragile</strong>' if sup.at[cid, 'fragile'] else ''}</li>"
        for cid in sup.index)
    table_links = " · ".join(f"{e(n)} (<a href=\"tables/{n}.csv\">CSV</a>, <a href=\"tables/{n}.json\">JSON</a>)"
                             for n in ["contradictions", "reliability", "support", "propositions", "timeline", "lines", "dependence"])
    charts_html = "".join(f"<figure><a href=\"charts/{n}.svg\"><img src=\"charts/{n}.png\" alt=\"{e(n)} chart\" style=\"max-width:100%\"></a>"
                          f"<figcaption>{e(n)}</figcaption></figure>" for n in ["reliability", "support-matrix", "timeline", "contradictions"])
    shown_rel = rel[["name", "reliability", "low", "high", "claims", "corroborated", "contradicted"]].round(3)
    shown_sup = sup[["text", "probability", "verdict", "lines_for", "lines_against", "fragile", "pivotal_witness"]].round(3)
    return f"""<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8"><title>{e(case.title)} — srccrit report</title>
<style>body{{font-family:sans-serif;max-width:1100px;margin:2em auto;padding:0 1em;line-height:1.4}}
table.srccrit-table{{border-collapse:collapse;font-size:90%}} table.srccrit-table td,table.srccrit-table th{{border:1px solid #ccc;padding:3px 6px}}
figure{{margin:1em 0}}</style></head>
<body>
<h1>{e(case.title)}</h1>
<p>Case <code>{e(case.id)}</code>: {", ".join(f"{v} {e(k)}" for k, v in case.summary().items())}.
<a href="validation.txt">Validation</a> · <a href="notebooks/overview.{nb_ext}">Overview notebook</a></p>
<h2>Conclusions</h2><ul id="conclusions">{conclusions}</ul>
<section id="support">{frame_html(shown_sup, "Support for each conclusion")}</section>
<section id="reliability">{frame_html(shown_rel, "Witness reliability")}</section>
<h2>Charts</h2>{charts_html}
<h2>Tables</h2><p>{table_links}</p>
<h2>Bibliography</h2><p><a href="bibliography.bib">biblatex</a> · <a href="bibliography-bibtex.bib">BibTeX</a> · <a href="bibliography.csl.json">CSL-JSON</a></p>
<p><small>{len(contra["proposition"].unique()) if len(contra) else 0} contested propositions. Generated by srccrit.</small></p>
</body></html>
"""
