"""The reliability model's machinery: one vote per independent line of evidence, and the EM
that fits the witnesses' skills to them (the model, its prior and its references are described
in :mod:`srccrit.analysis.reliability`).

A vote names one *option* of its proposition: a side, or for a valued proposition "some other
value". ``build_votes`` lays the options of every voted proposition out one after another
(``offsets``, ``k``) and lists the votes in option order; ``run_em`` fits the skills by EM
accelerated with SQUAREM; ``_posterior`` is its E-step.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cached_property

import numpy as np
import pandas as pd

from .._arrays import take
from .evidence import LineKeys, codes_of, rank_in, sorted_unique

__all__ = ["Votes", "build_votes", "run_em"]


@dataclass
class Votes:
    """One vote per independent line, with the option layout of every voted proposition."""

    voter: np.ndarray        # witness index per vote
    item: np.ndarray         # proposition index per vote
    slot: np.ndarray         # global option index per vote
    witnesses: pd.Index      # witness ids
    items: pd.Index          # proposition ids (only those with votes)
    slot_item: np.ndarray    # proposition index per option
    slot_side: np.ndarray    # side number per option (-1: "some other value")
    offsets: np.ndarray      # first option of each proposition
    k: np.ndarray            # options per proposition
    line_ids: np.ndarray     # the line behind each vote
    item_rows: np.ndarray | None = None  # row of each proposition in case.propositions

    @cached_property
    def per_witness(self) -> np.ndarray:
        """Votes cast by each witness."""
        return np.bincount(self.voter, minlength=len(self.witnesses))

    @cached_property
    def per_option(self) -> np.ndarray:
        """Votes (independent lines) for each option."""
        return np.bincount(self.slot, minlength=len(self.slot_item))


#: a claim's proposition, side, origin and type codes go into one int64 when they fit in this many bits
_PACKED_BITS = 62


def build_votes(case, evidence: pd.DataFrame, lines: LineKeys | None = None) -> Votes:
    """One vote per line of evidence (``evidence["line"]``), cast by the line's origin.

    ``lines``: the :class:`~srccrit.analysis.evidence.LineKeys` that
    :func:`~srccrit.analysis.evidence.positions_and_lines` gave with this evidence (the fit
    passes them); without them they are read back from the evidence's rows."""
    o_ids = _categories(evidence["origin"])
    p_ids = _categories(evidence["proposition"])
    witnesses = _all_witnesses(case, o_ids)
    if lines is None:
        lines, line_ids = _lines_of(evidence)
    else:
        line_ids = np.arange(len(lines.proposition))
    p_line, side, o_line = lines.proposition, lines.side, lines.origin
    voter_of_origin = np.arange(len(o_ids)) if witnesses is o_ids else witnesses.get_indexer(pd.Index(np.asarray(o_ids, dtype=object)))
    voter = voter_of_origin[o_line] if len(o_line) else np.zeros(0, dtype=np.int64)
    if len(p_line) < 2 or not np.any(p_line[1:] < p_line[:-1]):
        # lines numbered in proposition order (as positions() numbers them): items in one pass
        new = np.empty(len(p_line), dtype=bool)
        new[:1] = True
        np.not_equal(p_line[1:], p_line[:-1], out=new[1:])
        item_codes = p_line[new]
        item = np.cumsum(new) - 1
    else:
        item_codes = sorted_unique(p_line)
        item = rank_in(p_line, item_codes)
    items = p_ids[item_codes]  # the ids' own dtype (no Python string per proposition)
    n_items = len(items)
    max_side = np.zeros(n_items, dtype=np.int64)
    np.maximum.at(max_side, item, side)
    item_rows = case.rows_of("propositions", p_ids)[item_codes]
    item_bool = take(case.propositions["type"].to_numpy(dtype=object), item_rows, None) == "boolean"  # a claim's type is its proposition's
    k = np.where(item_bool, 2, max_side + 2)  # valued: every side and "some other value"
    offsets = np.r_[0, np.cumsum(k)[:-1]].astype(np.int64)
    slot_item = np.repeat(np.arange(n_items), k)
    slot_side = np.arange(int(k.sum())) - offsets[slot_item]
    slot_side = np.where(~item_bool[slot_item] & (slot_side == k[slot_item] - 1), -1, slot_side)
    return Votes(
        voter=voter, item=item, slot=offsets[item] + side, witnesses=witnesses,
        items=items, slot_item=slot_item, slot_side=slot_side, offsets=offsets, k=k, line_ids=line_ids,
        item_rows=item_rows,
    )


def _categories(column: pd.Series) -> pd.Index:
    """The ids a column's codes stand for (see :func:`codes_of`)."""
    if isinstance(column.dtype, pd.CategoricalDtype):
        return column.array.categories
    return codes_of(column)[1]


def _lines_of(evidence: pd.DataFrame) -> tuple[LineKeys, np.ndarray]:
    """Each line's codes read back from the evidence's rows (all rows of a line share its
    proposition, side and origin, so any one of them speaks for it), and the line numbers
    present (evidence filtered by the caller may leave gaps)."""
    side_all = evidence["side"].to_numpy()
    line_all = evidence["line"].to_numpy()
    counted = np.flatnonzero(side_all >= 0)
    o_code, o_ids = codes_of(evidence["origin"])
    p_code, p_ids = codes_of(evidence["proposition"])
    all_counted = len(counted) == len(side_all)
    line_of = line_all if all_counted else line_all[counted]
    n_lines = int(line_of.max()) + 1 if len(counted) else 0
    fields = [(p_code, len(p_ids)), (side_all, int(side_all.max()) + 1 if len(side_all) else 1), (o_code, len(o_ids))]
    bits = [max(n - 1, 1).bit_length() for _, n in fields]
    line_ids = np.arange(n_lines)
    if sum(bits) <= _PACKED_BITS:
        # the three as one int64 per claim, scattered to its line (a sequential pass and one
        # scatter, not a row per line and three random gathers), then unpacked per line
        packed = np.zeros(len(side_all), dtype=np.int64)
        for (values, _), b in zip(fields, bits):
            packed <<= b
            packed |= values
        per_line = np.full(n_lines, -1, dtype=np.int64)
        per_line[line_of] = packed if all_counted else packed[counted]
        if len(counted) and int(per_line.min()) < 0:
            line_ids = np.flatnonzero(per_line >= 0)
            per_line = per_line[line_ids]
        unpacked = []
        for b in reversed(bits):
            unpacked.append(per_line & ((1 << b) - 1))
            per_line = per_line >> b
        o_line, side, p_line = unpacked
        return LineKeys(p_line, side, o_line), line_ids
    rows = np.full(n_lines, len(side_all), dtype=np.int64)
    rows[line_of] = counted
    if len(counted) and int(rows.max()) == len(side_all):
        present = rows < len(side_all)
        line_ids, rows = line_ids[present], rows[present]
    return LineKeys(p_code[rows], side_all[rows], o_code[rows]), line_ids


def _all_witnesses(case, ids: pd.Index) -> pd.Index:
    """The case's witness ids, sorted: ``ids`` itself when it already is that (the claims'
    categories are), so the votes share the claims' index."""
    if len(ids) == len(case.witnesses) and ids.is_monotonic_increasing and (case.rows_of("witnesses", ids) >= 0).all():
        return ids
    return pd.Index(sorted(case.witnesses.index), dtype=object)


class _Design:
    """What every EM step reuses.

    A vote for option *j* of proposition *i* adds ``log r_w`` to *j*'s score and
    ``log(1 - r_w) - log(K_i - 1)`` to every other option's. The second part, summed over every
    vote on *i*, is the same for all of *i*'s options and cancels in the posterior, so an
    option's score is the sum over its own votes of ``log r_w - log(1 - r_w) + log(K_i - 1)``
    (floored at zero: see the module's note on witnesses worse than a guess): one weighted
    count over the votes per step."""

    def __init__(self, v: Votes):
        self.v = v
        self.log_other = np.log(v.k - 1)  # per proposition: log(K_i - 1), 0 on yes/no questions
        self.c_slot = v.per_option * self.log_other[v.slot_item]
        self.n_votes = v.per_witness.astype(float)
        self._least: np.ndarray | None = None

    @property
    def least(self) -> np.ndarray:
        """Per vote, the lowest log-odds it may carry (its weight is then zero): made the first
        time a witness falls below even odds."""
        if self._least is None:
            self._least = -self.log_other[self.v.item]
        return self._least


#: a score this far above its proposition's first option would overflow ``exp``
_EXP_SAFE = 600.0


def _posterior(v: Votes, r: np.ndarray, design: _Design | None = None) -> np.ndarray:
    """E-step: posterior probability of every option of every proposition (a softmax of the
    scores within each proposition)."""
    design = design or _Design(v)
    if not len(v.slot_item):
        return np.zeros(0)
    rw = np.clip(r, 1e-9, 1 - 1e-9)
    log_odds = np.log(rw) - np.log1p(-rw)
    weight = log_odds[v.voter]
    if len(log_odds) and log_odds.min() < 0:
        # someone is below even odds: a vote's weight log_odds + log(K - 1) may not fall below
        # zero (a witness worse than a guess is disregarded, not read backwards); with nobody
        # there, none can
        np.maximum(weight, design.least, out=weight)
    score = np.bincount(v.slot, weight, minlength=len(v.slot_item)) + design.c_slot
    z = score - score[v.offsets][v.slot_item]  # any shift within a proposition gives the same softmax
    if z.max() > _EXP_SAFE:
        z = score - np.maximum.reduceat(score, v.offsets)[v.slot_item]
    e = np.exp(z)
    return e / np.bincount(v.slot_item, e, minlength=len(v.offsets))[v.slot_item]


def run_em(v: Votes, a: np.ndarray, b: np.ndarray, n_iter: int = 200, tol: float = 1e-8) -> tuple[np.ndarray, np.ndarray, int, bool]:
    """Fit the skills. Returns (r, posterior per option, EM steps taken, converged).

    The EM map is accelerated by SQUAREM (Varadhan & Roland 2008, *Scandinavian Journal of
    Statistics* 35(2):335-353, doi:10.1111/j.1467-9469.2007.00585.x, scheme S3): from two EM
    steps r0 -> r1 -> r2 it extrapolates ``r0 - 2 alpha (r1 - r0) + alpha^2 (r2 - 2 r1 + r0)``
    with ``alpha = -|r1 - r0| / |r2 - 2 r1 + r0|`` (at most -1, where it is plain EM's r2) and
    takes one EM step from there. An extrapolation that leaves (0, 1) is pulled back towards
    r2, and one that does not shrink the step is dropped for r2. It stops, as plain EM does,
    when one EM step moves no skill by ``tol`` or more; ``n_iter`` bounds the EM steps."""
    design = _Design(v)
    denominator = a + b + design.n_votes
    steps = 0

    def m_step(post: np.ndarray) -> np.ndarray:
        nonlocal steps
        steps += 1
        return (a + np.bincount(v.voter, post[v.slot], minlength=len(a))) / denominator

    def e_step(r: np.ndarray) -> np.ndarray:
        return _posterior(v, r, design)

    def moved(new: np.ndarray, old: np.ndarray) -> float:
        return float(np.max(np.abs(new - old), initial=0.0))

    r0 = a / (a + b)
    p0 = e_step(r0)
    while steps < n_iter:
        r1 = m_step(p0)
        if moved(r1, r0) < tol:
            return r1, e_step(r1), steps, True
        p1 = e_step(r1)
        if steps >= n_iter:
            r0, p0 = r1, p1
            break
        r2 = m_step(p1)
        if moved(r2, r1) < tol:
            return r2, e_step(r2), steps, True
        d1, d2 = r1 - r0, r2 - 2 * r1 + r0
        alpha = -np.linalg.norm(d1) / max(np.linalg.norm(d2), 1e-300)
        r_ext = None
        while alpha < -1:
            candidate = r0 - 2 * alpha * d1 + alpha * alpha * d2
            if np.all((candidate > 0) & (candidate < 1)):
                r_ext = candidate
                break
            alpha = (alpha - 1) / 2
        if r_ext is not None and steps < n_iter:
            r3 = m_step(e_step(r_ext))
            if moved(r3, r_ext) < moved(r2, r1):  # the extrapolation made progress: keep it
                if moved(r3, r_ext) < tol:
                    return r3, e_step(r3), steps, True
                r0, p0 = r3, e_step(r3)
                continue
        r0, p0 = r2, e_step(r2)  # plain EM's two steps
    return r0, p0, steps, False
