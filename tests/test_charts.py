"""Charts show what they claim: rows, intervals, priors, labels, legends, markers."""

import matplotlib
from matplotlib.backends.backend_agg import FigureCanvasAgg
import numpy as np
import pytest

import srccrit
from srccrit import charts
from srccrit.cli import main


@pytest.fixture(scope="module")
def est(bundled):
    return srccrit.Reliability().fit(bundled)


def test_reliability_forest_plot(bundled, est):
    fig = charts.reliability_chart(bundled, est)
    ax = fig.axes[0]
    labels = [t.get_text().replace("\n", " ") for t in ax.get_yticklabels()]
    rel = est.reliability_
    unheard = rel[rel["claims"] == 0]
    rel = rel[rel["claims"] > 0]
    assert len(unheard) and labels == [bundled.witness_name(w) for w in rel.index[::-1]]  # one row per witness with claims, best on top
    note = " ".join(t.get_text().replace("\n", " ") for t in ax.texts)
    assert "Not ranked (no claims" in note and all(bundled.witness_name(w) in note for w in unheard.index)
    # each row: an interval line from low to high, a point at the mean and a prior mark
    lines = [l for l in ax.get_lines() if len(l.get_xdata()) == 2 and l.get_ydata()[0] == l.get_ydata()[1]]
    spans = sorted((round(l.get_xdata()[0], 6), round(l.get_xdata()[1], 6)) for l in lines)
    assert spans == sorted((round(a, 6), round(b, 6)) for a, b in zip(rel["low"], rel["high"]))
    priors = [l for l in ax.get_lines() if l.get_marker() == "|" and len(l.get_xdata()) == 1]
    assert sorted(round(p.get_xdata()[0], 6) for p in priors) == sorted(round(p, 6) for p in rel["prior"])
    texts = [t.get_text() for t in ax.texts]
    assert "12 claims" in texts
    assert ax.get_legend() is None  # the legend is the figure's, below the axes: it covers no interval
    legend = [t.get_text() for t in fig.legends[0].get_texts()]
    assert {"USSR", "PRC", "historians", "reviewers", "prior"} <= set(legend)
    assert ax.get_title().startswith("Witness reliability") and "90% interval" in ax.get_xlabel()
    # greyscale: sides differ by marker shape, not only colour
    markers = {l.get_marker() for l in ax.get_lines() if l.get_marker() not in ("None", "|", None)}
    assert len(markers) >= 4


def test_support_matrix_counts_lines_once_and_signs_them(bundled, est):
    cells = charts.support_cells(bundled, est)
    assert cells.loc["gao-offered-manchuria", "kovalev"] > 0 > cells.loc["gao-offered-manchuria", "shi-zhe"]
    assert cells.loc["china-entered-for-its-own-security", "zubok"] < 0
    fig = charts.support_matrix(bundled, est)
    ax = fig.axes[0]
    assert len(ax.get_yticklabels()) == len(bundled.conclusions)
    printed = [t.get_text() for t in ax.texts]
    assert any(t.startswith("−") for t in printed) and any(t.startswith("+") for t in printed)
    assert [t.get_text() for t in fig.legends[0].get_texts()] == ["lines for (sum of reliabilities)", "lines against"]


def test_support_matrix_never_nets_for_against(bundled, est):
    # Zubok is for one premise of the treaty conclusion and against the other: his net is 0,
    # but the matrix shows both, and the row says how probable the conclusion is
    sides = charts.support_sides(bundled, est)
    row = "treaty-kept-soviet-manchuria"
    assert sides["for"].at[row, "zubok"] > 0 and sides["against"].at[row, "zubok"] > 0
    assert charts.support_cells(bundled, est).at[row, "zubok"] == pytest.approx(0)  # what the old matrix drew: nothing
    fig = charts.support_matrix(bundled, est)
    ax = fig.axes[0]
    labels = [t.get_text().replace("\n", " ") for t in ax.get_yticklabels()]
    i = list(bundled.conclusions.index).index(row)
    s = srccrit.support(bundled, estimator=est, fragility=False).loc[row]
    assert f"{s['probability']:.2f}, {s['verdict']}" in labels[i]
    j = [t.get_text().replace("\n", " ") for t in ax.get_xticklabels()].index("Vladislav M. Zubok")
    marks = [t.get_text() for t in ax.texts if abs(t.get_position()[1] - i) < 0.01 and abs(t.get_position()[0] - j) < 0.3]
    plus, minus = sides["for"].at[row, "zubok"], sides["against"].at[row, "zubok"]
    assert any(m.startswith(f"+{plus:.2f}") for m in marks) and any(m.startswith(f"−{minus:.2f}") for m in marks)


def test_support_matrix_stays_readable_with_30_witnesses_and_15_conclusions(make_case):
    ws = "".join(f"  w{i}: {{name: Witness number {i} of a long list}}\n" for i in range(30))
    ps = "".join(f"  p{j}: {{text: P{j}}}\n" for j in range(15))
    cs = "".join(f"  c{j}: {{text: Conclusion number {j} with a long explanatory title, rests_on: {{p{j}: true}}}}\n" for j in range(15))
    cl = "".join(f"  - {{id: k{i}-{j}, witness: w{i}, source: s1, proposition: p{j}, stance: {'affirms' if (i + j) % 3 else 'denies'}}}\n"
                 for i in range(30) for j in range(15) if (i * j) % 4 == 0)
    case = srccrit.load_case(make_case(f"case: big\nsources: {{s1: {{kind: memoir}}}}\nwitnesses:\n{ws}propositions:\n{ps}conclusions:\n{cs}claims:\n{cl}"))
    fig = charts.support_matrix(case)
    FigureCanvasAgg(fig)
    fig.canvas.draw()
    ax = fig.axes[0]
    renderer = fig.canvas.get_renderer()
    boxes = [t.get_window_extent(renderer) for t in ax.get_xticklabels() if t.get_text()]
    assert len(boxes) == 30
    xs = sorted(b.x1 for b in boxes)
    assert all(b - a > 5 for a, b in zip(xs, xs[1:]))  # rotated labels, spaced apart
    ys = sorted((t.get_window_extent(renderer) for t in ax.get_yticklabels()), key=lambda b: b.y0)
    assert all(b.y0 >= a.y1 - 1 for a, b in zip(ys, ys[1:]))  # row labels do not overlap


def test_timeline_marks_the_archival_release(bundled):
    fig = charts.timeline_chart(bundled)
    ax = fig.axes[0]
    assert any("archival release 1995" in t.get_text() for t in ax.texts)
    ticks = [t.get_text() for t in ax.get_xticklabels()]
    table = srccrit.timeline(bundled)
    steps = table[table["as_of"] != "prior"].drop_duplicates("date").sort_values("date")
    # the prior first (no invented year), then each step labelled with its availability and the day it counts from, in order
    assert ticks[0].startswith("prior") and ticks[1:] == [f"{a}\n{d.date().isoformat()}" for a, d in zip(steps["as_of"], steps["date"])]
    assert len(ax.get_legend().get_texts()) == len(bundled.conclusions)
    styles = {l.get_linestyle() for l in ax.get_lines() if len(l.get_xdata()) > 2}
    assert len(styles) >= 4  # told apart in greyscale
    assert ax.get_ylabel().startswith("probability")


def test_contradictions_graph_has_the_disputes_and_the_hostility(bundled):
    fig = charts.contradictions_chart(bundled)
    ax = fig.axes[0]
    names = {t.get_text().replace("\n", " ") for t in ax.texts}
    assert {"Ivan V. Kovalev", "Shi Zhe", "Vladislav M. Zubok"} <= names
    legend = [t.get_text() for t in fig.legends[0].get_texts()]
    assert "hostile to (arrow)" in legend
    arrows = [t for t in ax.texts if getattr(t, "arrow_patch", None) is not None and t.get_text() == ""]
    assert len(arrows) == 2  # Kovalev -> Shi Zhe and back
    edge_names = [t.get_text().replace("\n", " ") for t in ax.texts if t.get_color() == "firebrick"]
    assert any(t.startswith("Gao Gang proposed to Stalin") for t in edge_names)  # the proposition in dispute is named
    labels = [t for t in ax.texts if t.get_text().replace("\n", " ") in names and t.get_bbox_patch() is not None]
    assert labels and all(t.get_bbox_patch().get_facecolor()[:3] == (1.0, 1.0, 1.0) for t in labels)  # edges pass under a white ground


@pytest.mark.parametrize("fmt", ["png", "svg", "pdf"])
def test_chart_command_writes_deterministic_files(tmp_path, fmt):
    assert main(["chart", "-o", str(tmp_path / "a"), "--format", fmt]) == 0
    assert main(["chart", "-o", str(tmp_path / "b"), "--format", fmt]) == 0
    for name in ["reliability", "support-matrix", "timeline", "contradictions"]:
        a = (tmp_path / "a" / f"{name}.{fmt}").read_bytes()
        assert a == (tmp_path / "b" / f"{name}.{fmt}").read_bytes()
        assert len(a) > 5000


def _many(make_case, n_witnesses: int, n_conclusions: int):
    ws = "".join(f"  w{i}: {{name: Witness {i}}}\n" for i in range(n_witnesses))
    ps = "".join(f"  p{j}: {{text: P{j}}}\n" for j in range(n_conclusions))
    cs = "".join(f"  c{j}: {{text: Conclusion {j}, rests_on: {{p{j}: true}}}}\n" for j in range(n_conclusions))
    cl = "".join(f"  - {{id: k{i}-{j}, witness: w{i}, source: s1, proposition: p{j}, stance: {'affirms' if (i + j) % 3 else 'denies'}}}\n"
                 for i in range(n_witnesses) for j in range(n_conclusions) if (i + 2 * j) % 5 == 0)
    return srccrit.load_case(make_case(f"case: many\nsources: {{s1: {{kind: memoir, date: 1950}}}}\nwitnesses:\n{ws}propositions:\n{ps}"
                                       f"conclusions:\n{cs}claims:\n{cl}"))


def test_charts_stay_readable_at_any_size_and_say_what_they_left_out(make_case):
    case = _many(make_case, 60, 45)
    est = srccrit.Reliability().fit(case)
    matrix = charts.support_matrix(case, est)
    ax = matrix.axes[0]
    xlabels = [t.get_text() for t in ax.get_xticklabels()]
    assert len(ax.get_yticklabels()) == charts.MAX_ROWS and len(xlabels) == charts.MAX_ROWS + 1
    assert xlabels[-1] == "30 other witnesses"  # the rest summed, not dropped
    assert "the 30 most telling of 45 conclusions; the 30 witnesses weighing most on them" in ax.get_title()
    assert "summed in the last column" in ax.get_title()
    shown = [case.conclusions.index.get_loc(c) for c in case.conclusions.index if any(
        t.get_text().startswith(str(case.conclusions.at[c, "text"]) + " —") for t in ax.get_yticklabels())]
    assert len(shown) == charts.MAX_ROWS
    w, h = matrix.get_size_inches()
    assert w * 110 < 3000 and h * 110 < 3000  # bounded pixels
    forest = charts.reliability_chart(case, est)
    assert len(forest.axes[0].get_yticklabels()) == 40 and "of 60 witnesses" in forest.axes[0].get_title()
    line = charts.timeline_chart(case)
    assert len(line.axes[0].get_legend().get_texts()) <= charts.MAX_LINES
    network = charts.contradictions_chart(case, max_nodes=12)
    assert "the 12 of" in network.axes[0].get_title()


def test_report_writes_the_most_telling_notebooks_and_indexes_every_conclusion(bundled, tmp_path, capsys):
    assert main(["report", "-o", str(tmp_path / "out"), "--no-execute", "--max-notebooks", "2"]) == 0
    names = sorted(p.name for p in (tmp_path / "out" / "notebooks").glob("*.ipynb"))
    assert len(names) == 3 and "overview.ipynb" in names
    sup = srccrit.support(bundled)
    expected = charts.most_telling_conclusions(bundled, sup)[:2]
    assert sorted(f"conclusion-{c}.ipynb" for c in expected) == [n for n in names if n != "overview.ipynb"]
    index = (tmp_path / "out" / "index.html").read_text()
    assert all(str(t) in index for t in bundled.conclusions["text"])  # every conclusion is listed
    assert index.count('href="notebooks/conclusion-') == 2
    assert main(["report", "-o", str(tmp_path / "out2"), "--no-execute", "--max-notebooks", "-1"]) == 2


def _deuteranope(colour):
    """How a deuteranope sees an sRGB colour (Machado, Oliveira & Fernandes 2009, severity 1)."""
    from matplotlib.colors import to_rgb

    m = np.array([[0.367322, 0.860646, -0.227968], [0.280085, 0.672501, 0.047413], [-0.011820, 0.042940, 0.968881]])
    c = np.array(to_rgb(colour))
    linear = np.where(c <= 0.04045, c / 12.92, ((c + 0.055) / 1.055) ** 2.4)
    seen = np.clip(m @ linear, 0, 1)
    return np.where(seen <= 0.0031308, 12.92 * seen, 1.055 * seen ** (1 / 2.4) - 0.055)


def _closest(colours):
    import itertools

    return min(np.linalg.norm(_deuteranope(a) - _deuteranope(b)) for a, b in itertools.combinations(colours, 2))


def test_colours_stay_apart_under_deuteranopia(bundled, est):
    """The sides (first six) and for/against keep apart for a deuteranope; matplotlib's default
    red, green and brown -- what the sides used to be -- do not."""
    assert _closest(["#d62728", "#2ca02c", "#8c564b"]) < 0.15  # the check can fail
    assert _closest(charts.SIDE_COLOURS[:6]) > 0.18
    assert _closest([charts.FOR_COLOUR, charts.AGAINST_COLOUR]) > 0.5
    fig = charts.reliability_chart(bundled, est)
    used = {l.get_color() for l in fig.axes[0].get_lines() if l.get_marker() not in ("|", "None", None)}
    assert used <= set(charts.SIDE_COLOURS)


def test_timeline_lines_carry_direct_labels_that_never_overlap(make_case):
    from srccrit.charts import LABEL_GAP, label_positions

    fig = charts.timeline_chart(srccrit.load_case())
    ax = fig.axes[0]
    labels = [t for t in ax.texts if (t.get_gid() or "").startswith("direct-label-")]
    legend = [t.get_text() for t in ax.get_legend().get_texts()]
    assert len(labels) == len(legend) and legend[0].startswith("1. ")
    assert sorted(int(t.get_text()) for t in labels) == list(range(1, len(legend) + 1))
    heights = np.sort([t.xyann[1] for t in labels])
    assert (np.diff(heights) >= LABEL_GAP - 1e-9).all()  # never on top of one another
    # the rule: as close to the line's end as the gap allows, within the axis where there is room
    assert np.allclose(label_positions([0.5, 0.2]), [0.5, 0.2])
    assert np.allclose(label_positions([0.5, 0.5, 0.5]), [0.5, 0.5 + LABEL_GAP, 0.5 + 2 * LABEL_GAP])
    assert np.allclose(label_positions([1.0, 1.0, 1.0]), [1.03 - 2 * LABEL_GAP, 1.03 - LABEL_GAP, 1.03])
    assert np.allclose(label_positions([0.0, 0.0]), [0.02, 0.02 + LABEL_GAP])


def test_contradictions_network_counts_disputes_as_pairs_would_self_contradiction_included(make_case):
    """The network ranks witnesses by disputes counted without forming every pair (a million
    claims make ten million): the counts must equal the pairs', also for a witness who takes both
    sides of one proposition; the drawn edges name the first proposition in dispute."""
    import random

    rng = random.Random(7)
    ws = "".join(f"  w{i}: {{name: W{i}}}\n" for i in range(9))
    ps = "".join(f"  p{j}: {{text: Proposition {j}}}\n" for j in range(12))
    claims = [(i, j, rng.choice(["affirms", "denies"])) for i in range(9) for j in range(12) if rng.random() < 0.5]
    claims += [(0, 3, "affirms"), (0, 3, "denies"), (4, 3, "affirms"), (5, 3, "affirms")]  # w0 contradicts himself on p3
    cl = "".join(f"  - {{id: k{n}, witness: w{i}, source: s1, proposition: p{j}, stance: {st}}}\n" for n, (i, j, st) in enumerate(claims))
    case = srccrit.load_case(make_case(f"case: net\nsources: {{s1: {{kind: memoir}}}}\nwitnesses:\n{ws}propositions:\n{ps}claims:\n{cl}"))
    ev = srccrit.positions(case)
    ev = ev[ev["side"] >= 0][["proposition", "side", "witness"]].astype(object).drop_duplicates()
    pairs = ev.merge(ev, on="proposition")
    pairs = pairs[(pairs["side_x"] != pairs["side_y"]) & (pairs["witness_x"] != pairs["witness_y"])]
    pairs = pairs[["witness_x", "witness_y", "proposition"]].drop_duplicates()
    assert ("w0", "w4", "p3") in set(map(tuple, pairs.to_numpy()))  # the self-contradiction disputes an ally
    counted, wids, pids = charts._sides_taken(case)
    degree = charts._disputes_per_witness(counted)
    assert dict(zip(wids[degree.index], degree.astype(int))) == pairs.groupby("witness_x").size().to_dict()
    between = charts._disputes_between(counted, wids, pids, ["w0", "w4", "w5", "w7"])
    expected = pairs[pairs["witness_x"].isin(["w0", "w4", "w5", "w7"]) & pairs["witness_y"].isin(["w0", "w4", "w5", "w7"])
                     & (pairs["witness_x"] < pairs["witness_y"])].groupby(["witness_x", "witness_y"])["proposition"]
    assert between["weight"].to_dict() == expected.size().to_dict()
    assert between["first"].to_dict() == expected.min().to_dict()
    network = charts.contradictions_chart(case, max_nodes=4)
    assert "the 4 of 9" in network.axes[0].get_title()


def test_names_in_other_scripts_use_an_installed_font_or_say_which_characters_none_draws(make_case, tmp_path, capsys, monkeypatch):
    """A witness named in Chinese characters was drawn as boxes, with one matplotlib warning per
    glyph and per save (source lines quoted). Installed fonts for other scripts are now used behind
    the chart font; without one, one warning names the characters and what to install."""
    import warnings

    from matplotlib import font_manager

    from srccrit.cli import main

    path = make_case("""
case: cjk
sources: {s1: {kind: memoir}, s2: {kind: memoir}}
witnesses: {shi: {name: 师哲}, kov: {name: Ivan Kovalev}}
propositions: {p: {text: 高岗 offered Manchuria}}
claims:
  - {id: c1, witness: shi, source: s1, proposition: p, stance: denies}
  - {id: c2, witness: kov, source: s2, proposition: p, stance: affirms}
""")
    case = srccrit.load_case(path)
    fallback = [f for f in charts.font_families() if f != "DejaVu Sans"]
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        fig = charts.reliability_chart(case)
        charts.save(fig, tmp_path / "r.png", "png")
        charts.save(fig, tmp_path / "r.svg", "svg")
    messages = [str(w.message) for w in caught]
    assert not any("Glyph" in m for m in messages)  # matplotlib's own, one per glyph, never passed on
    if not any("CJK" in f or "Han" in f or "Hei" in f for f in fallback):  # this machine has no font for them
        assert [m for m in messages if "no installed font draws" in m] == [
            "r.png: no installed font draws '师哲' (shown as boxes): install a font for these characters (for Chinese, Japanese and "
            "Korean, Noto Sans CJK) and srccrit's charts use it",
            "r.svg: no installed font draws '师哲' (shown as boxes): install a font for these characters (for Chinese, Japanese and "
            "Korean, Noto Sans CJK) and srccrit's charts use it"]
    assert main(["chart", str(path), "-o", str(tmp_path / "out"), "--only", "reliability"]) == 0
    err = capsys.readouterr().err
    assert "UserWarning" not in err and "charts.save(" not in err  # one line per warning, no source quoted
    assert "warning: reliability.png: no installed font draws" in err or fallback
    # an installed font for the script is put behind the chart font
    fake = font_manager.FontEntry(fname="/nonexistent/NotoSansCJK.ttc", name="Noto Sans CJK SC")
    monkeypatch.setattr(font_manager.fontManager, "ttflist", [*font_manager.fontManager.ttflist, fake])
    assert charts.font_families()[:2] == ["DejaVu Sans", "Noto Sans CJK SC"]
