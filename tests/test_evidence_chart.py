"""The evidence chart of a conclusion, its data, the readable tables, and the report's pages that
work offline and anywhere (issue 17)."""

import gc
import json
import os
import shutil
import struct
import threading
from concurrent.futures import ThreadPoolExecutor

import nbformat
import numpy as np
import pandas as pd
import pytest

import srccrit
from srccrit import charts
from srccrit.cli import main

from conftest import CASES


@pytest.fixture(scope="module")
def est(bundled):
    return srccrit.Reliability().fit(bundled)


def test_conclusion_evidence_agrees_with_support_and_brackets_it(bundled, est):
    sup = srccrit.support(bundled, estimator=est, fragility=False)
    for cid in bundled.conclusions.index:
        ce = srccrit.conclusion_evidence(bundled, cid, estimator=est)
        assert ce.probability == pytest.approx(sup.at[cid, "probability"], abs=1e-12)
        assert ce.verdict == sup.at[cid, "verdict"]
        assert ce.low <= ce.probability <= ce.high and 0 <= ce.low and ce.high <= 1
        assert ce.high - ce.low > 0.01  # the witnesses' reliabilities are uncertain: so is the conclusion
        # one row per independent line: the premises' counts are support's
        assert ce.premises["lines_for"].sum() == sup.at[cid, "lines_for"]
        assert ce.premises["lines_against"].sum() == sup.at[cid, "lines_against"]
        assert np.prod(ce.premises["probability"]) == pytest.approx(ce.probability)
        lines = ce.lines
        assert ((lines["low"] <= lines["reliability"] + 1e-12) & (lines["reliability"] <= lines["high"] + 1e-12)).all()
    again = srccrit.conclusion_evidence(bundled, "gao-offered-manchuria", estimator=est)
    assert (again.low, again.high) == (srccrit.conclusion_evidence(bundled, "gao-offered-manchuria", estimator=est).low,
                                       srccrit.conclusion_evidence(bundled, "gao-offered-manchuria", estimator=est).high)


def test_the_only_source_against_is_on_the_chart(bundled, est):
    """Zubok is the one source against "the alliance left the USSR its privileged position in
    Manchuria": the old matrix netted him away; the evidence chart shows him against."""
    ce = srccrit.conclusion_evidence(bundled, "treaty-kept-soviet-manchuria", estimator=est)
    against = ce.lines[ce.lines["bears"] == "against"]
    assert against["witness"].tolist() == ["zubok"] and against["source"].tolist() == ["zubok2007failed"]
    fig = charts.evidence_chart(bundled, "treaty-kept-soviet-manchuria", est)
    ax = fig.axes[0]
    labels = [t.get_text() for t in ax.get_yticklabels()]
    assert any(label.startswith("Vladislav M. Zubok — zubok2007failed") for label in labels)
    assert labels[-1].startswith("Conclusion:")
    assert sum(label.startswith("Under the 1950 treaty") or label.startswith("Secret agreements") for label in labels) == 2
    squares = [ln for ln in ax.get_lines() if ln.get_marker() == "s" and ln.get_color() == charts.AGAINST_COLOUR]
    assert len(squares) == 1  # one line against, drawn as a vermillion square
    assert "doubtful" in ax.get_title() and f"{ce.low:.2f}" in ax.get_title()
    notes = " ".join(t.get_text() for t in ax.texts)
    assert all(band in notes for band in ("contradicted", "doubtful", "contested", "probable", "well-supported"))


def test_evidence_chart_caps_lines_and_says_so(make_case):
    claims = "\n".join(f"  - {{id: c{i}, witness: w{i}, source: s1, proposition: p, stance: affirms}}" for i in range(20))
    witnesses = ", ".join(f"w{i}: {{name: Witness {i}}}" for i in range(20))
    case = srccrit.load_case(make_case(f"""
case: many
title: Many lines
sources: {{s1: {{kind: memoir}}}}
witnesses: {{{witnesses}}}
propositions: {{p: {{text: It happened}}}}
conclusions: {{c: {{text: It happened, rests_on: {{p: true}}}}}}
claims:
{claims}
"""))
    fig = charts.evidence_chart(case, "c", max_lines=5)
    labels = [t.get_text() for t in fig.axes[0].get_yticklabels()]
    assert len(labels) == 1 + 5 + 1 + 1 and labels[6].startswith("… 15 more lines for")


def test_evidence_command_json_contract_and_errors(tmp_path, capsys):
    assert main(["evidence", str(CASES / "tonkin"), "no-second-attack", "-f", "json"]) == 0
    data = json.loads(capsys.readouterr().out)
    assert set(data) == {"conclusion", "text", "probability", "low", "high", "verdict", "premises", "lines"}
    assert data["low"] <= data["probability"] <= data["high"]
    assert {"premise", "bears", "witness", "name", "source", "locator", "claims", "reliability", "low", "high"} <= set(data["lines"][0])
    assert main(["evidence", str(CASES / "tonkin"), "no-second"]) == 2
    assert "did you mean 'no-second-attack'" in capsys.readouterr().err


def _png_size(path):
    head = path.read_bytes()[:24]
    return struct.unpack(">II", head[16:24])


def test_chart_command_writes_evidence_charts_for_print(tmp_path, capsys):
    for fmt in ("png", "svg", "pdf"):
        assert main(["chart", str(CASES / "tonkin"), "-o", str(tmp_path), "--evidence", "no-second-attack", "--format", fmt]) == 0
        assert (tmp_path / f"evidence-no-second-attack.{fmt}").stat().st_size > 1000
    width, _ = _png_size(tmp_path / "evidence-no-second-attack.png")
    assert width == 3000  # 10 inches at 300 dpi
    assert not (tmp_path / "reliability.png").exists()  # --evidence alone draws only what was asked
    assert main(["chart", str(CASES / "tonkin"), "-o", str(tmp_path / "x"), "--evidence", "nope"]) == 2


def test_readable_tables_show_names_two_decimals_and_no_reprs(bundled, est):
    sup = srccrit.support(bundled, estimator=est)
    page = srccrit.readable(sup, bundled).to_html()
    p = sup.at["stalin-approved-invasion", "probability"]
    for junk in (">True<", ">False<", ">nan<", ">None<", ">[]<", "<NA>", f"{p:.3f}", f"{p!r}", "array("):
        assert junk not in page, junk
    assert f">{p:.2f}<" in page and ">Vladislav M. Zubok<" in page and ">zubok<" in page  # the name, and the id beside it
    assert page.index(">verdict<") < page.index(">text<")  # the verdict first
    assert page == srccrit.readable(sup, bundled).to_html()  # fixed ids: the same table, the same page
    ledger = srccrit.evidence_for(bundled, "treaty-kept-soviet-manchuria", est=est)
    styled = srccrit.readable(ledger, bundled).to_html()
    assert "background-color:#cce3f0" in styled.replace(": ", ":") and "background-color:#f6d5c2" in styled.replace(": ", ":")
    long_quote = max(ledger["quote"].dropna(), key=len)
    assert srccrit.readable(ledger, bundled).data.isin([long_quote]).any().any()  # quotes whole


def test_readable_escapes_payloads(make_case):
    from test_notebooks import XSS

    case = srccrit.load_case(make_case(XSS))
    page = srccrit.readable(srccrit.evidence_for(case, "c"), case).to_html()
    assert "<script" not in page and "<img" not in page and "&lt;script&gt;" in page


def test_timeline_steps_at_most_max_steps_and_keeps_the_release(bundled):
    full = srccrit.timeline(bundled, max_steps=None)
    short = srccrit.timeline(bundled, max_steps=3)
    steps = short[short["as_of"] != "prior"]["date"].unique()
    assert 1 <= len(steps) <= 3
    assert short["archival"].any()  # the archival release stays a step of its own
    last = full["date"].max()
    assert (short[short["date"] == last].set_index("conclusion")["probability"]
            .equals(full[full["date"] == last].set_index("conclusion")["probability"]))
    released = sorted(sum(short[short["as_of"] != "prior"].drop_duplicates("date")["released"].tolist(), []))
    assert released == sorted(sum(full[full["as_of"] != "prior"].drop_duplicates("date")["released"].tolist(), []))


@pytest.mark.kernel
def test_one_kernel_runs_the_notebooks_each_as_if_alone(tmp_path):
    from nbformat.v4 import new_code_cell, new_notebook

    from srccrit.errors import SrccritError
    from srccrit.io.notebooks import KERNELSPEC, execute_many

    first = new_notebook(cells=[new_code_cell("x = 41", id="a"), new_code_cell("x + 1", id="b")], metadata={"kernelspec": KERNELSPEC})
    second = new_notebook(cells=[new_code_cell("y = 1", id="a"), new_code_cell("y", id="b")], metadata={"kernelspec": KERNELSPEC})
    execute_many([first, second], tmp_path)
    assert [c.execution_count for c in second.cells] == [1, 2]  # counted in its own notebook
    assert second.cells[1].outputs[0]["data"]["text/plain"] == "1"
    leaky = new_notebook(cells=[new_code_cell("x", id="a")], metadata={"kernelspec": KERNELSPEC})
    with pytest.raises(SrccritError, match="cell failed"):
        execute_many([first, leaky], tmp_path)  # the previous notebook's names are gone


@pytest.mark.kernel
def test_a_moved_report_reruns_and_its_pages_work_offline(tmp_path):
    from srccrit.io.notebooks import execute
    from srccrit.report import build_report

    case = srccrit.load_case(CASES / "tonkin")
    build_report(case, tmp_path / "out")
    assert gc.get_freeze_count() == 0  # the report froze its heap while it ran, and thawed it
    # the kernels wrote the timeline (from the overview's own) and drew the charts: the same bytes
    # as this process writes without them
    build_report(case, tmp_path / "here", execute=False)
    drawn = sorted(p.relative_to(tmp_path / "here") for folder in ("charts", "tables") for p in (tmp_path / "here" / folder).iterdir())
    assert {p.name for p in drawn} >= {"timeline.csv", "timeline.json", "timeline.png", "support-matrix.svg", "evidence-no-second-attack.pdf"}
    for path in drawn:
        assert (tmp_path / "out" / path).read_bytes() == (tmp_path / "here" / path).read_bytes(), path
    moved = tmp_path / "elsewhere" / "copy"
    shutil.copytree(tmp_path / "out", moved)
    shutil.rmtree(tmp_path / "out")
    nb = nbformat.read(moved / "notebooks" / "conclusion-no-second-attack.ipynb", as_version=4)
    assert "../case/" in nb.cells[1].source
    for cell in nb.cells:
        if cell.cell_type == "code":
            cell.outputs = []
    execute(nb, moved / "notebooks")  # "Run all" where the report now is
    chart = nb.cells[3]  # title, loader, heading, then the evidence chart
    assert "evidence_chart" in chart.source and any("image/png" in o.get("data", {}) for o in chart.outputs)
    page = (moved / "notebooks" / "conclusion-no-second-attack.html").read_text(encoding="utf-8")
    title = case.conclusions.at["no-second-attack", "text"]
    assert f"<title>{title} — srccrit</title>" in page and "<script" not in page
    assert "https://cdn" not in page and 'src="http' not in page  # nothing fetched from a CDN
    assert 'href="overview.html"' in page
    assert 'alt="Evidence chart' in page  # every figure has a text alternative
    index = (moved / "index.html").read_text(encoding="utf-8")
    assert 'name="viewport"' in index and "<figcaption><strong>Witness reliability.</strong>" in index and "Verdicts:" in index
    assert (moved / "charts" / "evidence-no-second-attack.pdf").exists() and (moved / "charts" / "evidence-no-second-attack.svg").exists()


def test_what_if_refits_without_a_witness_and_compares_with_the_case(bundled):
    base = srccrit.support(bundled, fragility=False)
    out = srccrit.what_if(bundled, without=["kovalev"])
    assert out.loc["gao-offered-manchuria", "baseline"] == pytest.approx(base.at["gao-offered-manchuria", "probability"])
    # Kovalev is the only witness for Gao Gang's offer: without him it falls, and says how far
    assert out.loc["gao-offered-manchuria", "probability"] < out.loc["gao-offered-manchuria", "baseline"]
    assert out.loc["gao-offered-manchuria", "change"] == pytest.approx(out.loc["gao-offered-manchuria", "probability"] - out.loc["gao-offered-manchuria", "baseline"])
    nobody = srccrit.what_if(bundled, without=list(bundled.witnesses.index))
    assert np.allclose(nobody["probability"], srccrit.support(bundled, fragility=False)["prior"])
    assert srccrit.what_if(bundled)["change"].abs().max() == 0
    early = srccrit.what_if(bundled, as_of="1994")
    assert early.loc["stalin-approved-invasion", "probability"] == pytest.approx(srccrit.support(bundled, as_of="1994", fragility=False).at["stalin-approved-invasion", "probability"])
    trusting = srccrit.what_if(bundled, priors={"kovalev": 0.95})
    assert trusting.loc["gao-offered-manchuria", "probability"] > base.at["gao-offered-manchuria", "probability"]
    with pytest.raises(srccrit.SrccritError, match="no witness called 'nobody'"):
        srccrit.what_if(bundled, without=["nobody"])
    with pytest.raises(srccrit.SrccritError, match="strictly between 0 and 1"):
        srccrit.what_if(bundled, priors={"kovalev": 1.5})


def test_explorer_controls_update_the_table(bundled):
    x = srccrit.explore(bundled, "gao-offered-manchuria")
    assert "application/vnd.jupyter.widget-view+json" in x._repr_mimebundle_() and "running Python kernel" in x._repr_mimebundle_()["text/html"]
    x.witness_boxes["kovalev"].value = False
    assert "without Ivan V. Kovalev" in x.status.value
    assert x.last_table.at["gao-offered-manchuria", "change"] < 0
    x.prior_witness.value = "shi-zhe"
    x.prior.value = 0.9
    assert x.priors == {"shi-zhe": 0.9} and "Shi Zhe 0.90" in x.status.value
    x.as_of.value = x.as_of.options[0]
    assert "sources available by" in x.status.value
    x._reset()
    assert x.status.value == "<p>the case as it is</p>" and x.last_table["change"].abs().max() == 0


def test_explorer_sets_many_witnesses_aside_in_one_list_and_reuses_a_whole_fit(tmp_path):
    """Above MAX_CHECKBOXES witnesses the explorer has one list to select the witnesses to set
    aside (no check box per witness); given the notebook's fit, the case as it is needs no refit
    and reads the same as without it; a fit of part of the case is refused."""
    import sys
    from pathlib import Path

    import pandas as pd

    import importlib

    explore_module = importlib.import_module("srccrit.explore")
    what_if_module = importlib.import_module("srccrit.analysis.what_if")

    sys.path.insert(0, str(Path(__file__).parent.parent / "benchmarks"))
    import synth

    syn = synth.generate(5_000, tmp_path / "synth", seed=2, csv=False)  # 50 witnesses
    case = srccrit.load_case(syn.path)
    assert len(case.witnesses) > explore_module.MAX_CHECKBOXES
    est = srccrit.Reliability().fit(case)
    fits = []
    real = what_if_module._estimate
    try:
        what_if_module._estimate = lambda *a: fits.append(a) or real(*a)
        x = srccrit.explore(case, estimator=est)
        assert fits == [] and x.witness_boxes == {} and len(x.set_aside.options) == len(case.witnesses)
        plain = srccrit.explore(case)
        assert len(fits) == 1
        pd.testing.assert_frame_equal(x.last_table, plain.last_table)
        lines_of = srccrit.conclusion_evidence(case, x.conclusion.value, estimator=est).lines
        victim = lines_of[lines_of["bears"] == "for"]["witness"].iloc[0]  # a witness for the conclusion shown
        x.set_aside.value = (victim,)
        assert x.without == [victim] and len(fits) == 2 and f"without {case.witness_name(victim)}" in x.status.value
        expected = srccrit.what_if(case, without=[victim])
        assert x.last_table["probability"].to_numpy() == pytest.approx(expected["probability"].to_numpy())
        n_fits = len(fits)
        x._reset()
        assert x.set_aside.value == () and x.last_table["change"].abs().max() == 0 and len(fits) == n_fits  # back to the whole fit
    finally:
        what_if_module._estimate = real
    with pytest.raises(srccrit.SrccritError, match="not fitted on this whole case"):
        srccrit.explore(case, estimator=srccrit.Reliability(as_of="1990").fit(case))


def test_timeline_takes_the_whole_fit_for_its_last_step_and_gives_the_same_table(bundled):
    est = srccrit.Reliability().fit(bundled)
    fits = []
    real = srccrit.Reliability.fit
    try:
        srccrit.Reliability.fit = lambda self, *a, **k: fits.append(self.as_of) or real(self, *a, **k)
        plain = srccrit.timeline(bundled)
        n_plain = len(fits)
        reused = srccrit.timeline(bundled, estimator=est)
    finally:
        srccrit.Reliability.fit = real
    import pandas as pd

    pd.testing.assert_frame_equal(plain, reused)
    assert len(fits) - n_plain == n_plain - 1  # the last step (every source out) is the whole fit
    with pytest.raises(srccrit.SrccritError, match="not fitted on this whole case"):
        srccrit.timeline(bundled, estimator=srccrit.Reliability(copying=False).fit(bundled))
    with pytest.raises(srccrit.SrccritError, match="not fitted on this whole case"):
        srccrit.timeline(bundled, estimator=srccrit.Reliability().fit(bundled, bundled.claims.iloc[:-1]))


def test_chart_file_names_never_collide_or_climb():
    stems = [charts.file_stem(x) for x in ("abc", "café", "cafe", "../x", ".hidden", "hidden", "a/b", "a_b")]
    assert len(set(stems)) == len(stems)
    assert stems[:3] == ["abc", "café", "cafe"] and stems[-1] == "a_b"  # ids the format allows stay as they are
    assert all("/" not in s and not s.startswith(".") for s in stems)


@pytest.mark.kernel
def test_a_kernel_pool_shares_notebooks_and_tasks_and_stops_on_a_failure(tmp_path):
    from nbformat.v4 import new_code_cell, new_notebook

    from srccrit.errors import SrccritError
    from srccrit.io.notebooks import KERNELSPEC, KernelPool, KernelTask

    def notebook(i):
        return new_notebook(cells=[new_code_cell(f"n = {i}", id="a"), new_code_cell("n * 2", id="b")], metadata={"kernelspec": KERNELSPEC})

    marks = tmp_path / "marks"
    marks.mkdir()
    ran_here = []
    tasks = [KernelTask(f"import os\nopen({str(marks / f't{i}')!r}, 'w').write(str(os.getpid()))", what=f"task {i}",
                        here=lambda i=i: ran_here.append(i)) for i in range(6)]
    done = []
    with KernelPool(tmp_path, kernels=2, warm_up="import os") as pool:
        pool.add_tasks(tasks)
        assert pool.help() == 6 and ran_here == list(range(6))  # nothing taken yet: this process does them all
        pool.add_tasks(tasks[:4])
        notebooks = pool.run([notebook(i) for i in range(5)], done=lambda i, nb: done.append(i))
    assert sorted(done) == list(range(5))
    assert [nb.cells[1].outputs[0]["data"]["text/plain"] for nb in notebooks] == ["0", "2", "4", "6", "8"]
    # what the warm-up left is frozen out of the collections each notebook's %reset makes
    with KernelPool(tmp_path, kernels=1, warm_up="import os") as pool:
        frozen = pool.run([new_notebook(cells=[new_code_cell("import gc\ngc.get_freeze_count() > 1000", id="a")], metadata={"kernelspec": KERNELSPEC})])
    assert frozen[0].cells[0].outputs[0]["data"]["text/plain"] == "True"
    assert [c.execution_count for c in notebooks[4].cells] == [1, 2]  # each notebook counted as if alone
    assert sorted(p.name for p in marks.iterdir()) == ["t0", "t1", "t2", "t3"]  # the tasks ran after the notebooks, in kernels
    assert len({p.read_text() for p in marks.iterdir()} - {str(os.getpid())}) >= 1

    failing = [KernelTask("raise ValueError('no ink')", what="drawing the charts")]
    with pytest.raises(SrccritError, match="drawing the charts failed in its kernel: ValueError: no ink"):
        with KernelPool(tmp_path, kernels=2, warm_up="") as pool:
            pool.add_tasks(failing)
            pool.run([notebook(1)])


@pytest.mark.kernel
def test_a_task_that_follows_a_notebook_runs_right_after_it_on_its_kernel(tmp_path, monkeypatch):
    """A task bound to notebook i runs on the kernel that ran i, before that kernel's next
    notebook resets the namespace: it sees what notebook i left (a report's evidence chart task
    finds the chart's evidence worked out by the notebook that drew it)."""
    from nbformat.v4 import new_code_cell, new_notebook

    from srccrit.io.notebooks import KERNELSPEC, KernelPool, KernelTask

    marks = tmp_path / "marks"
    marks.mkdir()
    notebooks = [new_notebook(cells=[new_code_cell(f"left_by = {i}", id="a")], metadata={"kernelspec": KERNELSPEC}) for i in range(6)]
    ran_here = []
    tasks = [KernelTask(f"open({str(marks / f't{i}')!r}, 'w').write(str(left_by))", what=f"task {i}", follows=i,
                        here=lambda i=i: ran_here.append(i)) for i in (1, 2, 4, 5)]
    tasks.append(KernelTask(f"open({str(marks / 'free')!r}, 'w').write('ran')", what="a free task", here=lambda: ran_here.append("free")))
    monkeypatch.setattr("srccrit.io.notebooks.usable_cores", lambda: 2)  # a kernel on every core
    first_done = threading.Event()
    with KernelPool(tmp_path, kernels=2, warm_up="") as pool, ThreadPoolExecutor(1) as side:
        pool.add_tasks(tasks)
        running = side.submit(pool.run, notebooks, done=lambda i, nb: first_done.set())
        assert first_done.wait(120)
        pool.help()  # this process, free meanwhile, leaves the bound tasks to the kernels of their notebooks
        running.result()
    assert set(ran_here) <= {"free"}
    expected = {"t1": "1", "t2": "2", "t4": "4", "t5": "5", "free": "ran"}
    if ran_here:
        del expected["free"]
    assert {p.name: p.read_text() for p in marks.iterdir()} == expected


@pytest.mark.kernel
def test_evidence_charts_drawn_by_a_kernel_are_the_files_drawn_here(tmp_path):
    from nbformat.v4 import new_code_cell, new_notebook

    from srccrit.charts import write_evidence_charts
    from srccrit.io.notebooks import KERNELSPEC, KernelPool
    from srccrit.report import _kernel_tasks, write_timeline_and_charts

    case = srccrit.load_case(CASES / "tonkin")
    est = srccrit.Reliability().fit(case)
    cids = list(case.conclusions.index)
    styled = new_notebook(cells=[new_code_cell("%matplotlib inline\nimport matplotlib\nmatplotlib.rcParams['font.size'] = 14", id="a")],
                          metadata={"kernelspec": KERNELSPEC})
    with KernelPool(tmp_path, kernels=1) as pool:  # a kernel in a notebook's style draws them, nothing here helps
        pool.add_tasks(_kernel_tasks(case, est, cids, tmp_path / "kernel", tmp_path, None, pool))
        pool.run([styled])
    write_evidence_charts(case, cids, tmp_path / "here" / "charts", est)
    write_timeline_and_charts(case, est, tmp_path / "here" / "tables", tmp_path / "here" / "charts")
    here = sorted(p.relative_to(tmp_path / "here") for p in (tmp_path / "here").rglob("*.*"))
    assert len(here) == 3 * len(cids) + 2 * len(srccrit.charts.CHARTS) + 2  # and the timeline's CSV and JSON
    for path in here:
        assert (tmp_path / "kernel" / path).read_bytes() == (tmp_path / "here" / path).read_bytes(), path


def test_readable_tables_show_at_most_max_rows_and_say_so(make_case):
    from srccrit.io.display import MAX_ROWS

    table = pd.DataFrame({"probability": np.linspace(0, 1, MAX_ROWS + 30)})
    shown = srccrit.readable(table)
    assert len(shown.data) == MAX_ROWS
    assert f"the first {MAX_ROWS} of {MAX_ROWS + 30} rows" in shown.to_html().lower()
    assert len(srccrit.readable(table, max_rows=None).data) == MAX_ROWS + 30
    small = srccrit.readable(table.iloc[:5], caption="Five")
    assert len(small.data) == 5 and "rows" not in small.to_html()
    for bad in (0, -1, 2.5, True, "10"):
        with pytest.raises(ValueError, match="max_rows"):
            srccrit.readable(table, max_rows=bad)


def test_report_tables_are_json_with_one_record_per_line(bundled, est):
    from srccrit.io import output

    sup = srccrit.support(bundled, estimator=est)
    for recs in (output.support_records(sup), output.reliability_records(est.reliability_),
                 srccrit.analysis.contradictions_records(srccrit.contradictions(bundled, est.evidence_)),
                 output.records(srccrit.timeline(bundled)), output.records(srccrit.lines(bundled, est.evidence_))):
        text = output.dumps_records(recs)
        assert json.loads(text) == json.loads(output.dumps(recs)) and len(recs) > 0
        assert text.count("\n") == len(recs) + 2  # "[", a line per record, "]"
    assert json.loads(output.dumps_records([{"x": float("nan")}])) == [{"x": None}]  # a NaN is null, as everywhere
    assert json.loads(output.dumps_records([{"x": np.int64(3)}])) == [{"x": 3}]
    assert output.dumps_records([]) == "[]\n"


def test_a_large_case_gets_fewer_timeline_steps(bundled):
    from srccrit.analysis.support import MAX_STEPS, MIN_STEPS, STEP_CLAIMS, step_budget

    class Sized:  # only its number of claims matters
        def __init__(self, n):
            self.claims = pd.DataFrame(index=range(n))

    assert step_budget(bundled) == step_budget(Sized(STEP_CLAIMS)) == MAX_STEPS
    assert step_budget(Sized(2 * STEP_CLAIMS)) == MAX_STEPS // 2
    assert step_budget(Sized(1_000_000)) == MIN_STEPS == step_budget(Sized(10**8))
    assert srccrit.timeline(bundled).equals(srccrit.timeline(bundled, max_steps=MAX_STEPS))
    for bad in ("many", True):
        with pytest.raises(srccrit.SrccritError, match="max_steps"):
            srccrit.timeline(bundled, max_steps=bad)


def test_more_archival_releases_than_steps_still_fit_the_budget(make_case):
    from srccrit.analysis.support import _fewer_steps

    dates = pd.DataFrame({"label": [f"{1990 + i}" for i in range(10)], "released": [[f"s{i}"] for i in range(10)],
                          "archival": [True] * 8 + [False, False]},
                         index=pd.Index(pd.to_datetime([f"{1990 + i}-12-31" for i in range(10)]), name="available_end"))
    src = pd.DataFrame({"available_end": dates.index})
    fewer = _fewer_steps(dates, src, 4)
    assert len(fewer) <= 4 and fewer.index[-1] == dates.index[-1]
    assert sorted(sum(fewer["released"].tolist(), [])) == sorted(f"s{i}" for i in range(10))  # every source counted once
    assert fewer["archival"].sum() >= 3  # the steps are releases


def test_claim_reliability_is_the_testimony_table_read_at_those_rows(bundled):
    for testimony in (True, False):
        fresh = srccrit.Reliability(testimony=testimony).fit(bundled)
        rows = np.arange(len(bundled.claims))[::3]
        before = fresh.claim_reliability(rows)  # without building the table
        np.testing.assert_allclose(before, fresh.testimonies_["reliability"].to_numpy()[rows])
        np.testing.assert_allclose(fresh.claim_reliability(rows), before)


def test_conclusion_evidence_is_kept_on_the_fit_and_given_as_a_copy(bundled, est):
    cid = bundled.conclusions.index[0]
    first = srccrit.conclusion_evidence(bundled, cid, estimator=est)
    first.premises["probability"] = -1.0  # a caller's change stays his
    again = srccrit.conclusion_evidence(bundled, cid, estimator=est)
    assert (again.premises["probability"] >= 0).all()
    fresh = srccrit.conclusion_evidence(bundled, cid, estimator=srccrit.Reliability().fit(bundled))
    pd.testing.assert_frame_equal(again.premises, fresh.premises)
    pd.testing.assert_frame_equal(again.lines, fresh.lines)
    assert (again.probability, again.low, again.high) == (fresh.probability, fresh.low, fresh.high)
    other = srccrit.conclusion_evidence(bundled, cid, estimator=est, draws=50)
    assert other.premises.equals(fresh.premises)  # another number of draws is worked out, not taken from the first
