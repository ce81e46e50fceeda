"""Charts as matplotlib Figures: reliability forest plot, support matrix, timeline, contradictions.

Every chart has a title, labelled axes and a legend where colour carries meaning, and stays
legible in greyscale print: sides are told apart by marker shape as well as colour, support by
the sign printed in each cell, conclusions by line style.
"""

from __future__ import annotations

import functools
import re
import textwrap
from pathlib import Path

import matplotlib
import matplotlib.ticker
import matplotlib.pyplot as plt  # noqa: E402
import networkx as nx  # noqa: E402
import numpy as np  # noqa: E402
import pandas as pd  # noqa: E402
from matplotlib.figure import Figure  # noqa: E402
from matplotlib.lines import Line2D  # noqa: E402

from ._text import share_text  # noqa: E402
from .analysis import Reliability, positions, timeline  # noqa: E402
from .analysis.reliability import fitted_for  # noqa: E402

__all__ = ["notes_chart", "reliability_chart", "support_matrix", "timeline_chart", "contradictions_chart", "evidence_chart", "all_charts"]

#: the most rows (or columns, or lines, or nodes) a chart draws before it shows the most telling
#: ones and says how many it left out: beyond these, labels collide and pictures grow unreadable
MAX_ROWS = 30
MAX_LINES = 10
MAX_NODES = 40


def most_telling_conclusions(case, support_table: pd.DataFrame) -> list[str]:
    """Conclusions ordered for a reader with little time: fragile first, then the most contested
    (probability nearest 0.5), then those with the most lines of evidence, then by id."""
    s = support_table
    fragile = s["fragile"].fillna(False).astype(bool) if "fragile" in s else pd.Series(False, index=s.index)
    order = pd.DataFrame({"fragile": ~fragile, "contest": (s["probability"] - 0.5).abs().round(6),
                          "lines": -(s["lines_for"] + s["lines_against"]), "id": s.index.astype(str)}, index=s.index)
    return order.sort_values(["fragile", "contest", "lines", "id"], kind="mergesort").index.tolist()


def _left_out(shown: int, total: int, what: str) -> str:
    return f" — the {shown} most telling of {total} {what}" if shown < total else ""


MARKERS = ["o", "s", "D", "^", "v", "P", "X", "*", "h", "<", ">"]
LINESTYLES = ["-", "--", "-.", ":", (0, (5, 1)), (0, (3, 1, 1, 1)), (0, (1, 1))]


def _plain_text(build):
    """Build a chart with matplotlib's mathtext off: names and titles from the case (``$x$``,
    ``Price $5``) are shown as written, never parsed as TeX (which fails on stray ``$``); and in
    the chart's font with, behind it, the installed fonts of other scripts (:func:`font_families`)."""

    @functools.wraps(build)
    def wrapped(*args, **kwargs):
        with matplotlib.rc_context({"text.parse_math": False, "font.family": font_families()}):
            return build(*args, **kwargs)

    return wrapped


#: fonts that draw the scripts DejaVu Sans lacks (Chinese, Japanese, Korean above all), tried in
#: this order behind it when installed: matplotlib takes each missing glyph from the first that has it
FALLBACK_FONTS = ("Noto Sans CJK SC", "Noto Sans CJK JP", "Noto Sans CJK TC", "Noto Sans CJK KR", "Noto Sans SC", "Noto Sans JP",
                  "Source Han Sans SC", "Source Han Sans", "WenQuanYi Zen Hei", "WenQuanYi Micro Hei", "Droid Sans Fallback",
                  "AR PL UMing CN", "Microsoft YaHei", "SimHei", "PingFang SC", "Hiragino Sans GB", "Hiragino Sans", "Apple SD Gothic Neo",
                  "Malgun Gothic", "Noto Sans Arabic", "Noto Sans Hebrew", "Noto Sans Devanagari", "Noto Sans Armenian", "Arial Unicode MS")


def font_families() -> list[str]:
    """The chart font (matplotlib's sans-serif default, DejaVu Sans) followed by those of
    :data:`FALLBACK_FONTS` this machine has: a witness named in Chinese characters is drawn in them
    where a font for them is installed (without one, :func:`save` says which characters it lacks)."""
    from matplotlib import font_manager

    installed = {f.name for f in font_manager.fontManager.ttflist}
    return ["DejaVu Sans", *(name for name in FALLBACK_FONTS if name in installed)]


def _wrap(text: str, width: int = 40) -> str:
    return "\n".join(textwrap.wrap(str(text), width)) or str(text)


#: the sides' colours: Okabe & Ito's palette for colour-blind readers (2008; yellow left out, too
#: pale on white), told apart under deuteranopia and protanopia -- and by marker shape in any case
SIDE_COLOURS = ["#0072B2", "#E69F00", "#009E73", "#CC79A7", "#56B4E9", "#D55E00", "#000000", "#999999"]


def _side_styles(sides: list[str]) -> dict[str, tuple]:
    return {s: (SIDE_COLOURS[i % len(SIDE_COLOURS)], MARKERS[i % len(MARKERS)]) for i, s in enumerate(sides)}


def _case_side_styles(case) -> dict[str, tuple]:
    """One colour and marker per side, the same in every chart of the case."""
    return _side_styles(sorted(set(case.witnesses["side"].fillna("(no side)"))))


@_plain_text
def reliability_chart(case, estimator: Reliability | None = None, as_of: str | None = None, max_rows: int = 40) -> Figure:
    """Forest plot: one row per witness, posterior mean and 90% interval, prior marked (|),
    claims counted on the right, colour and marker by the witness's side."""
    est = fitted_for(estimator, case, as_of) if estimator is not None else Reliability(as_of=as_of).fit(case)
    table = est.reliability_
    unheard = table[table["claims"] == 0]  # known only by their prior: not ranked among the estimates
    table = table[table["claims"] > 0]
    total = len(table)
    if total > max_rows:  # the most and the least reliable, the middle left out (and said so)
        half = max_rows // 2
        table = pd.concat([table.iloc[:half], table.iloc[-(max_rows - half):]])
    table = table.iloc[::-1]  # most reliable at the top
    sides_of = case.witnesses["side"].fillna("(no side)").reindex(table.index)
    styles = _case_side_styles(case)
    styles = {k: v for k, v in styles.items() if k in set(sides_of)}
    n = len(table)
    fig = Figure(figsize=(9, max(2.5, 0.42 * n + 1.5)), layout="constrained")
    ax = fig.add_subplot()
    y = np.arange(n)
    for i, (wid, row) in enumerate(table.iterrows()):
        color, marker = styles[sides_of[wid]]
        ax.plot([row["low"], row["high"]], [i, i], color=color, linewidth=2, solid_capstyle="butt")
        ax.plot(row["reliability"], i, marker=marker, color=color, markersize=8, markeredgecolor="black", linestyle="none")
        ax.plot(row["prior"], i, marker="|", color="black", markersize=14, markeredgewidth=2, linestyle="none")
        ax.annotate(f"{int(row['claims'])} claim{'s' if row['claims'] != 1 else ''}", (1.02, i), xycoords=("axes fraction", "data"), va="center", fontsize=8)
    ax.set_yticks(y, [_wrap(case.witness_name(w), 34) for w in table.index], fontsize=8)
    ax.set_xlim(0, 1)
    ax.set_ylim(-0.7, n - 0.3)
    ax.axvline(0.5, color="grey", linewidth=0.8, linestyle=":")
    ax.set_xlabel("reliability (posterior mean and 90% interval)")
    ax.set_ylabel("witness")
    ax.set_title(_wrap(f"Witness reliability — {case.title}", 90) + (f" (sources available by {as_of})" if as_of else "")
                 + (f"\nthe {max_rows // 2} most and {max_rows - max_rows // 2} least reliable of {total} witnesses with claims" if total > max_rows else ""),
                 fontsize=10)
    handles = [Line2D([], [], color=c, marker=m, linestyle="-", markeredgecolor="black", label=s) for s, (c, m) in styles.items()]
    handles.append(Line2D([], [], color="black", marker="|", linestyle="none", markersize=12, markeredgewidth=2, label="prior"))
    # the legend below the axes, never over an interval
    fig.legend(handles=handles, title="side", loc="outside lower center", ncols=min(len(handles), 6), fontsize=7, title_fontsize=8)
    if len(unheard):
        names = ", ".join(case.witness_name(w) for w in unheard.index[:8]) + (f" and {len(unheard) - 8} more" if len(unheard) > 8 else "")
        ax.annotate(_wrap(f"Not ranked (no claims, known only by their prior): {names}", 110), (0, -0.1), xycoords="axes fraction",
                    va="top", fontsize=7, color="0.3", annotation_clip=False)
    ax.grid(axis="x", alpha=0.3)
    return fig


def support_cells(case, estimator: Reliability | None = None) -> pd.DataFrame:
    """Conclusions x witnesses: for each independent line a witness originates on a proposition a
    conclusion rests on, + its reliability if the line supports the conclusion, - if it
    contradicts it; each line counted once."""
    from .analysis.support import _requirement_slots

    est = fitted_for(estimator, case) if estimator is not None else Reliability().fit(case)
    rows = _requirement_slots(case, est)
    ev = est.evidence_[est.evidence_["side"] >= 0].drop_duplicates("line")
    m = rows.dropna(subset=["side"]).merge(ev[["proposition", "side", "origin", "line"]], on=["proposition", "side"])
    rel = est.line_reliability(m["line"])
    m["weight"] = np.where(m["compatible"].to_numpy(dtype=bool), rel, -rel)
    cells = m.pivot_table(index="conclusion", columns="origin", values="weight", aggfunc="sum", fill_value=0.0)
    return cells.reindex(index=case.conclusions.index, fill_value=0.0)


def support_sides(case, estimator: Reliability | None = None) -> dict[str, pd.DataFrame]:
    """Conclusions x witnesses, for and against kept apart (never netted): ``for`` and
    ``against`` sum the reliabilities (of the testimony each votes with) of the independent lines a witness originates on each side
    of the propositions a conclusion rests on; ``lines_for`` and ``lines_against`` count them."""
    from .analysis.support import _requirement_slots

    est = fitted_for(estimator, case) if estimator is not None else Reliability().fit(case)
    rows = _requirement_slots(case, est)
    ev = est.evidence_[est.evidence_["side"] >= 0].drop_duplicates("line")
    m = rows.dropna(subset=["side"]).merge(ev[["proposition", "side", "origin", "line"]], on=["proposition", "side"])
    m["weight"] = est.line_reliability(m["line"])
    m["one"] = 1
    out = {}
    for name, mask in (("for", m["compatible"].to_numpy(dtype=bool)), ("against", ~m["compatible"].to_numpy(dtype=bool))):
        part = m[mask]
        for value, label in (("weight", name), ("one", f"lines_{name}")):
            table = part.pivot_table(index="conclusion", columns="origin", values=value, aggfunc="sum", fill_value=0)
            out[label] = table.reindex(index=case.conclusions.index, columns=sorted(set(m["origin"])), fill_value=0)
    return out


def _natural(text: str) -> list:
    """A key that sorts "Witness 9" before "Witness 10"."""
    import re

    return [int(part) if part.isdigit() else part.casefold() for part in re.split(r"(\d+)", str(text))]


#: colour-blind-safe sides (Okabe & Ito 2008): blue for, vermillion against
FOR_COLOUR, AGAINST_COLOUR = "#0072B2", "#D55E00"


@_plain_text
def support_matrix(case, estimator: Reliability | None = None, max_rows: int = MAX_ROWS, max_columns: int = MAX_ROWS) -> Figure:
    """Which witnesses support or contradict each conclusion: each cell shows the lines *for*
    (left half, blue, ``+weight``) and *against* (right half, vermillion, ``−weight``) apart --
    never netted -- with the number of lines where more than one; each row is labelled with the
    conclusion's probability and verdict. Witnesses are ordered by side, then by weight. Above
    ``max_rows`` conclusions or ``max_columns`` witnesses, the most telling conclusions (see
    :func:`most_telling_conclusions`) and the witnesses weighing most on them are shown, and the
    title says how many of each."""
    from matplotlib.patches import Rectangle

    from .analysis import support

    est = fitted_for(estimator, case) if estimator is not None else Reliability().fit(case)
    sides = support_sides(case, est)
    sup = support(case, estimator=est, fragility=False)
    pro, con = sides["for"], sides["against"]
    total_c, total_w = pro.shape
    rows = list(pro.index)
    if total_c > max_rows:
        keep = set(most_telling_conclusions(case, sup)[:max_rows])
        rows = [c for c in rows if c in keep]
    weight = (pro.loc[rows] + con.loc[rows]).sum(axis=0)
    cols = [w for w in weight.sort_values(ascending=False, kind="mergesort").index if weight[w] > 0][:max_columns]
    side_of = case.witnesses["side"].fillna("~")
    cols = sorted(cols, key=lambda w: (str(side_of.get(w, "~")), -weight[w], _natural(case.witness_name(w))))
    left_out = [w for w in pro.columns if w not in set(cols)]
    others = None
    if left_out:  # the witnesses not drawn, summed in one last column: nothing silently dropped
        others = f"{len(left_out)} other witnesses"
        pro, con = pro.copy(), con.copy()
        lines_for, lines_against = sides["lines_for"].copy(), sides["lines_against"].copy()
        pro[others], con[others] = pro[left_out].sum(axis=1), con[left_out].sum(axis=1)
        lines_for[others], lines_against[others] = lines_for[left_out].sum(axis=1), lines_against[left_out].sum(axis=1)
        sides = {**sides, "lines_for": lines_for, "lines_against": lines_against}
        if (pro.loc[rows, others] + con.loc[rows, others]).sum() > 0:
            cols = cols + [others]
    n_c, n_w = len(rows), len(cols)
    fig = Figure(figsize=(max(6, 0.7 * n_w + 5), max(3, 0.55 * n_c + 2.5)), layout="constrained")
    ax = fig.add_subplot()
    limit = max(1.0, float(max(pro.to_numpy().max(initial=0), con.to_numpy().max(initial=0))))
    for i, cid in enumerate(rows):
        for j, wid in enumerate(cols):
            for part, table, lines, colour, sign, dx in ((0, pro, sides["lines_for"], FOR_COLOUR, "+", -0.25),
                                                         (1, con, sides["lines_against"], AGAINST_COLOUR, "−", 0.25)):
                v = float(table.at[cid, wid])
                if not v:
                    continue
                ax.add_patch(Rectangle((j - 0.5 + 0.5 * part, i - 0.5), 0.5, 1, color=colour, alpha=0.25 + 0.6 * v / limit, linewidth=0))
                n = int(lines.at[cid, wid])
                ax.text(j + dx, i, f"{sign}{share_text(v)}" + (f"\n×{n}" if n > 1 else ""), ha="center", va="center", fontsize=6,
                        color="white" if v > 0.6 * limit else "black")
    if not n_c or not n_w:  # a case with no conclusions, or none any witness speaks to
        ax.set_axis_off()
        ax.text(0.5, 0.5, "No conclusion rests on what a witness says: nothing to draw.", ha="center", va="center", transform=ax.transAxes)
        return fig
    ax.set_xlim(-0.5, n_w - 0.5)
    ax.set_ylim(n_c - 0.5, -0.5)
    ax.set_xticks(np.arange(n_w), [_wrap(w if w == others else case.witness_name(w), 18) for w in cols], rotation=60, ha="right",
                  rotation_mode="anchor", fontsize=7)
    ax.set_yticks(np.arange(n_c), [_wrap(f"{case.conclusions.at[c, 'text']} — {share_text(sup.at[c, 'probability'])}, {sup.at[c, 'verdict']}", 50)
                                   for c in rows], fontsize=7)
    for j in range(n_w + 1):
        ax.axvline(j - 0.5, color="0.85", linewidth=0.5)
    for i in range(n_c + 1):
        ax.axhline(i - 0.5, color="0.85", linewidth=0.5)
    ax.set_xlabel("witness (origin of an independent line), by side, then by weight")
    ax.set_ylabel("conclusion — probability, verdict")
    shown_w = n_w - (1 if others in cols else 0)
    ax.set_title("Which witnesses support (+, left, blue) or contradict (−, right, vermillion) each conclusion, "
                 "weighted by reliability" + (f"\nthe {n_c} most telling of {total_c} conclusions; the {shown_w} witnesses weighing most on them"
                                              + (", the other witnesses summed in the last column" if others in cols else "")
                                              if (n_c, shown_w) != (total_c, total_w) else ""), fontsize=9)
    handles = [Rectangle((0, 0), 1, 1, color=FOR_COLOUR, alpha=0.6, label="lines for (sum of reliabilities)"),
               Rectangle((0, 0), 1, 1, color=AGAINST_COLOUR, alpha=0.6, label="lines against")]
    fig.legend(handles=handles, loc="outside lower center", ncols=2, fontsize=7)
    return fig


#: the most lines per premise and side the evidence chart draws; the rest are summed in one row
MAX_EVIDENCE_LINES = 12


def _line_label(row) -> str:
    where = str(row["source"]) + (f", {row['locator']}" if isinstance(row["locator"], str) and row["locator"] else "")
    marks = []
    if row["claims"] > 1:
        marks.append(f"{int(row['claims'])} claims")
    if row["basis"] == "inferred":
        marks.append("inferred")
    if bool(row["against_interest"]):
        marks.append("against interest")
    if bool(row.get("self_serving", False)):
        marks.append("self-serving")
    return f"{row['name']} — {where}" + (f" ({'; '.join(marks)})" if marks else "")


@_plain_text
def evidence_chart(case, conclusion: str, estimator: Reliability | None = None, as_of: str | None = None,
                   max_lines: int = MAX_EVIDENCE_LINES) -> Figure:
    """The evidence chart of one conclusion, a forest plot in the manner of meta-analyses: for
    each premise (a proposition the conclusion rests on), its probability of holding as needed
    (diamond) and under it one row per independent line of evidence -- origin witness, source and
    locator, the reliability of the testimony that speaks for it with its interval -- lines *for*
    (blue circles) above lines *against* (vermillion squares); at the foot the conclusion's pooled
    probability with its interval and verdict, over the verdict bands. Above ``max_lines`` lines
    on one side of a premise, the most reliable are drawn and the rest summed in one row.
    (Data: :func:`srccrit.conclusion_evidence`.)"""
    from .analysis import VERDICTS, conclusion_evidence

    est = fitted_for(estimator, case, as_of) if estimator is not None else Reliability(as_of=as_of).fit(case)
    ce = conclusion_evidence(case, conclusion, as_of=as_of, estimator=est)
    rows: list[tuple] = []  # (kind, label, value, low, high, right-hand text)
    for prem in ce.premises.itertuples(index=False):
        rows.append(("premise", _wrap(f"{prem.text} — needs {prem.required}", 60), prem.probability, None, None,
                     f"P = {share_text(prem.probability)}"))
        mine = ce.lines[ce.lines["premise"] == prem.premise]
        if not len(mine):
            rows.append(("none", "no line of evidence", None, None, None, ""))
        for bears in ("for", "against"):
            part = mine[mine["bears"] == bears]
            for line in part.head(max_lines).itertuples(index=False):
                rows.append((bears, _wrap(_line_label(line._asdict()), 60), line.reliability, line.low, line.high,
                             f"{bears} {share_text(line.reliability)} [{share_text(line.low)}–{share_text(line.high)}]"))
            rest = part.iloc[max_lines:]
            if len(rest):
                rows.append((bears, f"… {len(rest)} more lines {bears} (mean reliability {rest['reliability'].mean():.2f})",
                             float(rest["reliability"].mean()), None, None, f"{bears} ×{len(rest)}"))
    rows.append(("conclusion", _wrap(f"Conclusion: {ce.text}", 60), ce.probability, ce.low, ce.high,
                 f"{share_text(ce.probability)} [{share_text(ce.low)}–{share_text(ce.high)}] {ce.verdict}"))
    n = len(rows)
    fig = Figure(figsize=(10, max(3.0, 0.36 * n + 1.9)), layout="constrained")
    ax = fig.add_subplot()
    # the verdict bands behind everything, named at the top
    edges = [t for t, _ in VERDICTS][::-1] + [1.0]  # 0, .15, .40, .70, .90, 1
    names = [name for _, name in VERDICTS][::-1]
    for k, (a, b) in enumerate(zip(edges[:-1], edges[1:])):
        ax.axvspan(a, b, color="0.93" if k % 2 else "white", zorder=0)
        ax.annotate(names[k], ((a + b) / 2, 1.0), xycoords=("data", "axes fraction"), xytext=(0, 3), textcoords="offset points",
                    ha="center", va="bottom", fontsize=7, color="0.35")
    styles = {"for": (FOR_COLOUR, "o"), "against": (AGAINST_COLOUR, "s")}
    for i, (kind, _label, value, low, high, right) in enumerate(rows):
        if kind in styles:
            colour, marker = styles[kind]
            if low is not None:
                ax.plot([low, high], [i, i], color=colour, linewidth=2, solid_capstyle="butt", zorder=2)
            ax.plot(value, i, marker=marker, color=colour, markeredgecolor="black", markersize=7, linestyle="none", zorder=3, clip_on=False)
        elif kind in ("premise", "conclusion"):
            if low is not None:
                ax.plot([low, high], [i, i], color="black", linewidth=1.5, zorder=2)
            size = 12 if kind == "conclusion" else 9
            ax.plot(value, i, marker="D", color="black" if kind == "conclusion" else "0.45", markersize=size, linestyle="none", zorder=3, clip_on=False)
        if kind != "none":
            ax.annotate(right, (1.01, i), xycoords=("axes fraction", "data"), va="center", fontsize=7,
                        fontweight="bold" if kind in ("premise", "conclusion") else "normal")
    ax.set_yticks(np.arange(n), [r[1] for r in rows], fontsize=7)
    for tick, r in zip(ax.get_yticklabels(), rows):
        if r[0] in ("premise", "conclusion"):
            tick.set_fontweight("bold")
    premise_rows = [i for i, r in enumerate(rows) if r[0] in ("premise", "conclusion")]
    for i in premise_rows[1:]:
        ax.axhline(i - 0.5, color="0.6", linewidth=0.6)
    ax.set_xlim(0, 1)
    ax.set_ylim(n - 0.4, -0.6)
    ax.set_xlabel("reliability of each line's testimony (90% interval); probability of each premise (◆) and of the conclusion (◆, 90% interval)",
                  fontsize=8)
    ax.set_title(_wrap(f"Evidence for and against: {ce.text}", 90) + f"\n{share_text(ce.probability)} [{share_text(ce.low)}–{share_text(ce.high)}], {ce.verdict}",
                 fontsize=9, pad=14)
    handles = [Line2D([], [], color=FOR_COLOUR, marker="o", markeredgecolor="black", label="line for"),
               Line2D([], [], color=AGAINST_COLOUR, marker="s", markeredgecolor="black", label="line against"),
               Line2D([], [], color="0.45", marker="D", linestyle="none", label="premise holds as needed"),
               Line2D([], [], color="black", marker="D", linestyle="-", label="conclusion (pooled)")]
    fig.legend(handles=handles, loc="outside lower center", ncols=4, fontsize=7)
    return fig


#: the least distance between two direct labels (axes fraction of the probability axis)
LABEL_GAP = 0.045


def label_positions(ys, gap: float = LABEL_GAP, low: float = 0.02, high: float = 1.03) -> np.ndarray:
    """Heights for labels wanted at ``ys`` (in order), moved apart just enough that no two are
    closer than ``gap``, kept within [low, high] where there is room (ordered as the ys)."""
    ys = np.asarray(ys, dtype=float)
    order = np.argsort(ys, kind="mergesort")
    placed = np.clip(ys[order], low, high)
    for i in range(1, len(placed)):  # up from the lowest
        placed[i] = max(placed[i], placed[i - 1] + gap)
    if len(placed) and placed[-1] > high:  # too high: down from the highest, as far as the floor allows
        placed[-1] = high
        for i in range(len(placed) - 2, -1, -1):
            placed[i] = min(placed[i], placed[i + 1] - gap)
    out = np.empty_like(placed)
    out[order] = placed
    return out


def _direct_labels(ax, ends) -> None:
    """Each line's number at its right end (the legend gives its text), moved apart where lines
    end close together and tied to its line's end by a short stroke."""
    if not ends:
        return
    heights = label_positions([y for _, y, _, _ in ends])
    for (x, y, k, colour), at in zip(ends, heights):
        ax.annotate(str(k + 1), (x, y), xytext=(x + 0.25, at), textcoords="data", fontsize=7, fontweight="bold", color=colour,
                    va="center", ha="left", gid=f"direct-label-{k + 1}",
                    arrowprops=dict(arrowstyle="-", color=colour, linewidth=0.6, shrinkA=0, shrinkB=1))


@_plain_text
def timeline_chart(case, table: pd.DataFrame | None = None, max_lines: int = MAX_LINES, est=None) -> Figure:
    """Each conclusion's probability stepping as sources became available; archival releases
    marked. Above ``max_lines`` conclusions, those whose probability moved most are drawn.
    ``table``: :func:`srccrit.timeline`'s (default: worked out here, taking ``est``, the model
    fitted on the whole case, for its last steps)."""
    table = timeline(case, estimator=est) if table is None else table
    total = table["conclusion"].nunique()
    if total > max_lines:
        moved = table.groupby("conclusion")["probability"].agg(lambda p: p.max() - p.min())
        moved = moved.sort_values(ascending=False, kind="mergesort")
        table = table[table["conclusion"].isin(set(moved.index[:max_lines]))]
    dated = table[table["as_of"] != "prior"].copy()
    fig = Figure(figsize=(10, 5.5), layout="constrained")
    ax = fig.add_subplot()
    if dated.empty:
        ax.text(0.5, 0.5, "no dated sources", ha="center", transform=ax.transAxes)
        steps = pd.DataFrame(columns=["date", "as_of", "archival", "released"])
    else:
        # one step per date, in order, evenly spaced: no invented year for the prior, no crowding
        # of recent years into the right edge; each tick names the date and the availability
        steps = dated.drop_duplicates("date").sort_values("date", kind="mergesort")[["date", "as_of", "archival", "released"]]
        x_of = {d: i + 1 for i, d in enumerate(steps["date"])}
        dated = dated.assign(x=dated["date"].map(x_of).to_numpy())
        ends = []
        for k, (cid, g) in enumerate(dated.groupby("conclusion", sort=False)):
            prior = table[(table["conclusion"] == cid) & (table["as_of"] == "prior")]["probability"]
            g = g.sort_values("x", kind="mergesort")
            xs = np.r_[0, g["x"].to_numpy()]
            ys = np.r_[prior.iloc[0] if len(prior) else 0.5, g["probability"].to_numpy()]
            colour = SIDE_COLOURS[k % len(SIDE_COLOURS)]
            ax.step(np.r_[xs, xs[-1] + 0.6], np.r_[ys, ys[-1]], where="post", linestyle=LINESTYLES[k % len(LINESTYLES)],
                    marker=None, linewidth=1.6, label=f"{k + 1}. " + _wrap(case.conclusions.at[cid, "text"], 50), color=colour)
            ax.plot(xs, ys, linestyle="none", marker=MARKERS[k % len(MARKERS)], markersize=4, color=colour)
            ends.append((xs[-1] + 0.6, ys[-1], k, colour))
        _direct_labels(ax, ends)
        for x, (_, r) in enumerate(steps.iterrows(), start=1):
            if r["archival"]:
                ax.axvline(x, color="black", linewidth=1, linestyle=":")
                ax.annotate(_wrap(f"archival release {r['as_of']} (from {r['date'].date().isoformat()}: {', '.join(r['released'][:4])}"
                                  + (" …" if len(r["released"]) > 4 else "") + ")", 40), (x, 0.02),
                            xycoords=("data", "axes fraction"), fontsize=7, ha="center", va="bottom", zorder=5,
                            bbox=dict(boxstyle="round,pad=0.2", facecolor="white", edgecolor="0.6", alpha=0.9))
    ticks = ["prior\n(no evidence)"] + [f"{r['as_of']}\n{r['date'].date().isoformat()}" for _, r in steps.iterrows()]
    ax.set_xticks(np.arange(len(ticks)), ticks, fontsize=7, rotation=0 if len(ticks) <= 8 else 45,
                  ha="center" if len(ticks) <= 8 else "right", rotation_mode="anchor")
    ax.set_xlim(-0.3, len(ticks) - 0.4 + (0.45 if not dated.empty else 0))
    ax.set_ylim(0, 1.05)
    ax.set_xlabel("evidence available to historians by (availability as written, and the day it counts from);\nsteps evenly spaced")
    ax.set_ylabel("probability the conclusion holds")
    ax.set_title("How support for each conclusion changed as sources became available"
                 + (f" — the {max_lines} of {total} conclusions that moved most" if total > max_lines else ""), fontsize=10)
    ax.grid(alpha=0.3)
    if ax.get_legend_handles_labels()[0]:
        ax.legend(fontsize=7, loc="upper left", bbox_to_anchor=(1.01, 1), title="conclusion", title_fontsize=8)
    return fig


@_plain_text
def contradictions_chart(case, max_nodes: int = MAX_NODES) -> Figure:
    """Witnesses as nodes, contradictions as edges (width: propositions in dispute), hostility
    dashed. Above ``max_nodes`` witnesses, those in the most disputes are drawn."""
    counted, witness_ids, proposition_ids = _sides_taken(case)
    degree = _disputes_per_witness(counted)
    hostile = [(a, b) for a, hs in case.witnesses["hostile_to"].items() for b in hs]
    in_dispute = witness_ids[degree.index[degree.to_numpy() > 0]]
    nodes = sorted(set(in_dispute) | {w for pair in hostile for w in pair})
    total_nodes = len(nodes)
    if total_nodes > max_nodes:  # the most disputed (ties by id), then the hostile among the rest
        ranked = pd.Series(degree.to_numpy(), index=witness_ids[degree.index]).reindex(nodes, fill_value=0)
        nodes = sorted(ranked.sort_values(ascending=False, kind="mergesort").index[:max_nodes])
        hostile = [(a, b) for a, b in hostile if a in set(nodes) and b in set(nodes)]
    disputes = _disputes_between(counted, witness_ids, proposition_ids, nodes)
    graph = nx.Graph()
    graph.add_nodes_from(nodes)
    for (a, b), w in disputes["weight"].items():
        graph.add_edge(a, b, weight=int(w))
    fig = Figure(figsize=(9, 7), layout="constrained")
    ax = fig.add_subplot()
    if not nodes:
        ax.text(0.5, 0.5, "no contradictions", ha="center", transform=ax.transAxes)
    else:
        # on a circle, by side: no node sits on another's label, and an edge runs between two rims
        sides_order = case.witnesses["side"].fillna("(no side)")
        ring = sorted(nodes, key=lambda n: (str(sides_order.get(n, "(no side)")), case.witness_name(n)))
        angle = 2 * np.pi * np.arange(len(ring)) / len(ring) + np.pi / 2
        pos = {n: np.array([np.cos(a), np.sin(a)]) for n, a in zip(ring, angle)}
        sides = case.witnesses["side"].fillna("(no side)")
        used = {sides.get(n, "(no side)") for n in nodes}
        styles = {k: v for k, v in _case_side_styles(case).items() if k in used}
        for n in nodes:
            color, marker = styles[sides.get(n, "(no side)")]
            ax.scatter(*pos[n], s=320, color=color, marker=marker, edgecolors="black", zorder=3)
            ax.annotate(_wrap(case.witness_name(n), 20), pos[n], xytext=(0, -18), textcoords="offset points", ha="center", va="top", fontsize=8,
                        zorder=5, bbox=dict(boxstyle="round,pad=0.15", facecolor="white", edgecolor="none", alpha=0.85))
        name_edges = graph.number_of_edges() <= MAX_NAMED_EDGES
        for a, b, d in graph.edges(data=True):
            (x1, y1), (x2, y2) = pos[a], pos[b]
            ax.plot([x1, x2], [y1, y2], color="firebrick", linewidth=1 + 1.5 * d["weight"], zorder=1)
            if name_edges:  # what they dispute, at the middle of the edge
                first, count = disputes.loc[(a, b) if (a, b) in disputes.index else (b, a), ["first", "weight"]]
                text = _wrap(_short_text(case.propositions.at[first, "text"], 48), 26) + (f"\n+{count - 1} more" if count > 1 else "")
                ax.annotate(text, ((x1 + x2) / 2, (y1 + y2) / 2), ha="center", va="center", fontsize=6, color="firebrick", zorder=4,
                            bbox=dict(boxstyle="round,pad=0.15", facecolor="white", edgecolor="firebrick", linewidth=0.5, alpha=0.9))
        for a, b in hostile:
            (x1, y1), (x2, y2) = pos[a], pos[b]
            ax.annotate("", xy=(x2, y2), xytext=(x1, y1), arrowprops=dict(arrowstyle="->", linestyle="--", color="black", connectionstyle="arc3,rad=0.2", shrinkA=12, shrinkB=12), zorder=2)
        handles = [Line2D([], [], color=c, marker=m, linestyle="none", markeredgecolor="black", markersize=10, label=s) for s, (c, m) in styles.items()]
        handles += [Line2D([], [], color="firebrick", linewidth=2.5, label="contradicts (width: propositions)"),
                    Line2D([], [], color="black", linestyle="--", label="hostile to (arrow)")]
        fig.legend(handles=handles, fontsize=8, loc="outside lower center", ncols=min(len(handles), 4))
        ax.margins(0.15)
    ax.set_xticks([])
    ax.set_yticks([])
    ax.set_xlabel("witnesses on a circle, grouped by side (positions carry no other meaning)")
    ax.set_ylabel("witnesses")
    ax.set_title("Contradictory testimony between witnesses"
                 + (f" — the {len(nodes)} of {total_nodes} in the most disputes" if total_nodes > len(nodes) else ""), fontsize=10)
    return fig


def _sides_taken(case) -> tuple[pd.DataFrame, np.ndarray, np.ndarray]:
    """Which side each witness takes on each proposition, once per (proposition, side, witness),
    as integer codes ``p``, ``s``, ``w`` (codes in the ids' sorted order), with the witness and
    proposition ids the codes stand for."""
    ev = positions(case)
    ev = ev[ev["side"] >= 0]
    p_codes, p_ids = pd.factorize(ev["proposition"].astype(object), sort=True)
    w_codes, w_ids = pd.factorize(ev["witness"].astype(object), sort=True)
    counted = pd.DataFrame({"p": p_codes, "s": ev["side"].to_numpy(), "w": w_codes}).drop_duplicates()
    return counted, np.asarray(w_ids, dtype=object), np.asarray(p_ids, dtype=object)


def _disputes_per_witness(counted: pd.DataFrame) -> pd.Series:
    """For each witness (code), the number of (proposition, other witness) disputes he is in,
    counted without forming the pairs (a million claims make some ten million of them): on a
    proposition, another witness disputes him unless both take one and the same side."""
    sides = counted.groupby(["p", "w"], sort=False)["s"].transform("size").to_numpy()
    per_prop = counted.drop_duplicates(["p", "w"])
    witnesses_on = per_prop.groupby("p")["w"].size()
    single = counted[sides == 1]
    alone_on_side = single.groupby(["p", "s"]).size()
    rows = per_prop.assign(n=witnesses_on.reindex(per_prop["p"]).to_numpy())
    one_side = single.drop_duplicates(["p", "w"])
    same = pd.Series(alone_on_side.reindex(pd.MultiIndex.from_frame(one_side[["p", "s"]])).to_numpy() - 1, index=one_side.index)
    rows["same"] = same.reindex(rows.index, fill_value=0).to_numpy()
    return (rows["n"] - 1 - rows["same"]).groupby(rows["w"]).sum()


def _disputes_between(counted: pd.DataFrame, witness_ids: np.ndarray, proposition_ids: np.ndarray, among: list) -> pd.DataFrame:
    """Each pair of witnesses ``among`` (``a`` < ``b``, by id) who take different sides on one
    proposition or more: ``weight``, how many propositions they dispute, and ``first``, the first
    of them by id."""
    codes = np.flatnonzero(np.isin(witness_ids, np.asarray(among, dtype=object)))
    mine = counted[counted["w"].isin(codes)]
    pairs = mine.merge(mine, on="p")
    pairs = pairs[(pairs["s_x"] != pairs["s_y"]) & (pairs["w_x"] < pairs["w_y"])][["w_x", "w_y", "p"]].drop_duplicates()
    grouped = pairs.groupby(["w_x", "w_y"], sort=True)["p"]
    out = pd.DataFrame({"weight": grouped.size().astype(int), "first": grouped.min()})
    out.index = pd.MultiIndex.from_arrays([witness_ids[out.index.get_level_values(0)], witness_ids[out.index.get_level_values(1)]], names=["a", "b"])
    out["first"] = proposition_ids[out["first"].to_numpy()]
    return out


#: the case's charts by name, each built from the case and a fitted estimator
CHARTS = {
    "reliability": lambda case, est: reliability_chart(case, est),
    "support-matrix": lambda case, est: support_matrix(case, est),
    "timeline": lambda case, est: timeline_chart(case),
    "contradictions": lambda case, est: contradictions_chart(case),
}
#: the formats of the case-wide charts (:data:`CHARTS`) in a report
CASE_CHART_FORMATS = ("png", "svg")


def write_case_charts(case, est: Reliability, folder, timeline_table: pd.DataFrame | None = None) -> list[Path]:
    """The case-wide charts (:data:`CHARTS`) as ``<name>.png`` and ``.svg`` in ``folder``, drawn
    in matplotlib's default style whatever the session's, so the files are the same wherever
    they are drawn (a report has a notebook kernel draw them). ``est``: the model fitted on the
    whole case; ``timeline_table``: :func:`srccrit.timeline`'s for it (default: worked out here)."""
    import matplotlib.style

    folder = Path(folder)
    written = []
    for name, build in CHARTS.items():
        with matplotlib.style.context("default"):
            fig = timeline_chart(case, timeline_table, est=est) if name == "timeline" else build(case, est)
            for fmt in CASE_CHART_FORMATS:
                path = folder / f"{name}.{fmt}"
                save(fig, path, fmt)
                written.append(path)
        plt.close(fig)
    return written


#: edges of the contradictions graph named by the proposition in dispute, at most
MAX_NAMED_EDGES = 20


def _short_text(text, width: int) -> str:
    text = " ".join(str(text).split())
    return text if len(text) <= width else text[: width - 1] + "…"


def all_charts(case, estimator: Reliability | None = None) -> dict[str, Figure]:
    est = fitted_for(estimator, case) if estimator is not None else Reliability().fit(case)
    return {name: build(case, est) for name, build in CHARTS.items()}


#: the evidence chart's formats for a paper, with their resolution
EVIDENCE_FORMATS = {"png": 300, "svg": 110, "pdf": 110}


def write_evidence_charts(case, conclusions, folder, estimator: Reliability | None = None) -> list[Path]:
    """Each conclusion's evidence chart, ready for a paper, as ``evidence-<id>.png`` (300 dpi),
    ``.svg`` and ``.pdf`` in ``folder``, drawn in matplotlib's default style whatever the
    session's (a notebook's inline backend changes it), so the files are the same wherever they
    are drawn. ``estimator``: a :class:`Reliability` fitted on ``case`` (default: fitted here)."""
    import matplotlib.style

    folder = Path(folder)
    est = fitted_for(estimator, case) if estimator is not None else Reliability().fit(case)
    written = []
    for cid in conclusions:
        with matplotlib.style.context("default"):
            fig = evidence_chart(case, cid, est)
            for fmt, dpi in EVIDENCE_FORMATS.items():
                path = folder / f"evidence-{file_stem(cid)}.{fmt}"
                save(fig, path, fmt, dpi=dpi)
                written.append(path)
        plt.close(fig)
    return written


def file_stem(identifier: str) -> str:
    """An id as a file name's stem: the id itself when it is letters, digits, ``-``, ``_`` and
    ``.`` (as the case format has them) and does not start with a dot; otherwise those characters
    kept, the others ``_``, and a short digest of the id appended, so two ids never share a file
    (ids are the case author's; a file name must not climb out of its folder)."""
    import hashlib
    import re

    text = str(identifier)
    stem = re.sub(r"[^\w.-]", "_", text).lstrip(".")
    if stem == text and stem:
        return stem
    return (stem or "_") + "-" + hashlib.sha1(text.encode("utf-8")).hexdigest()[:8]


def save(fig: Figure, path, fmt: str, dpi: int = 110) -> None:
    """Save deterministically (no timestamps in SVG/PDF metadata). The first save settles the
    layout; the figure keeps it for the next formats (constrained layout is in inches, the same
    at every resolution, and was a third of the cost of each save)."""
    from .io.atomic import atomic_path

    import warnings

    metadata = {"png": {"Software": None}, "svg": {"Date": None}, "pdf": {"CreationDate": None, "ModDate": None}}[fmt]
    with atomic_path(path, suffix="." + fmt) as tmp, warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        # SVG text as text (searchable, editable in a figure for a paper, and a third of the cost of
        # drawing every glyph as a path); the PDF embeds its fonts as before
        with matplotlib.rc_context({"svg.hashsalt": "srccrit", "svg.fonttype": "none", "pdf.compression": 1}):
            # PNG: zlib's fastest level (a 300-dpi chart encoded 3x faster, files about a third larger)
            extra = {"pil_kwargs": {"compress_level": 1}} if fmt == "png" else {}
            fig.savefig(tmp, format=fmt, dpi=dpi, metadata=metadata, **extra)
    _say_missing_glyphs(caught, Path(path).name)
    if fig.get_layout_engine() is not None:
        fig.set_layout_engine("none")


_MISSING_GLYPH = re.compile(r"Glyph \d+ \((.*?)\) missing from font")


def _say_missing_glyphs(caught, name: str) -> None:
    """matplotlib's warnings, passed on, except its one per missing glyph: those become one
    warning naming the characters no installed font draws and what to install."""
    import unicodedata
    import warnings

    from .errors import SrccritWarning

    missing = []
    for w in caught:
        m = _MISSING_GLYPH.search(str(w.message))
        if m is None:
            warnings.warn_explicit(w.message, w.category, w.filename, w.lineno)
            continue
        text = m.group(1)
        if text.startswith("\\N{") and text.endswith("}"):
            try:
                text = unicodedata.lookup(text[3:-1])
            except KeyError:
                pass
        if text not in missing:
            missing.append(text)
    if missing:
        warnings.warn(f"{name}: no installed font draws {''.join(missing)!r} (shown as boxes): install a font for these characters "
                      "(for Chinese, Japanese and Korean, Noto Sans CJK) and srccrit's charts use it", SrccritWarning, stacklevel=3)


@_plain_text
def notes_chart(report: pd.DataFrame) -> Figure:
    """Citation density of a text: per paragraph, factual sentences with and without a note."""
    dens = report.groupby("paragraph").agg(factual=("factual", "sum"), noted=("noted", "sum"), unsupported=("unsupported", "sum"))
    fig = Figure(figsize=(9, 4), layout="constrained")
    ax = fig.add_subplot()
    x = np.arange(len(dens))
    ax.bar(x - 0.2, dens["factual"], width=0.4, color="0.75", edgecolor="black", label="factual sentences")
    ax.bar(x + 0.2, dens["unsupported"], width=0.4, color="firebrick", edgecolor="black", hatch="//", label="factual, no note in paragraph")
    ax.plot(x, dens["noted"], "ko", label="sentences with a note")
    ax.set_xticks(x, [str(p) for p in dens.index])
    ax.set_xlabel("paragraph")
    ax.set_ylabel("sentences")
    ax.set_title("Citation density: which factual statements carry a note", fontsize=10)
    ax.legend(fontsize=8)
    return fig
