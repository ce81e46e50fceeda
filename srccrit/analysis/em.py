"""The reliability model's machinery: one vote per independent line of evidence, and the EM
that fits the witnesses' skills to them (the model, its prior and its references are described
in :mod:`srccrit.analysis.reliability`).

A vote names one *option* of its proposition: a side, or for a valued proposition "some other
value" (the *unclaimed value*). ``build_votes`` lays the options of every voted proposition out
one after another (``offsets``, ``k``) and lists the votes in option order; ``run_em`` fits the
skills by EM accelerated with SQUAREM; ``_posterior`` is its E-step.

A vote may carry its testimony (:class:`Testimony`): a fixed log-odds shift (delay, basis,
admission against interest, hostile corroboration), the kind of testimony whose shift the EM
estimates, an informativeness weight, and the independence factor of a vote found to be copied
(:mod:`srccrit.analysis.copying`: it lowers what the vote adds to its value, not what it says of
its witness). Without one every vote is its witness's plain vote.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from functools import cached_property

import numpy as np
import pandas as pd

from .._arrays import factorize, take
from ..dates import spelling_key
from .evidence import LineKeys, codes_of, rank_in, sorted_unique

__all__ = ["Votes", "Testimony", "build_votes", "run_em", "vote_gain", "fit_temperature", "MIN_TEMPERATURE", "SUBSET_SUPPORT",
           "SPELLING_SUPPORT", "imply", "implications"]


@dataclass
class Testimony:
    """What each vote's testimony adds to its witness's skill (see
    :mod:`srccrit.analysis.testimony`)."""

    shift: np.ndarray        # per vote: fixed log-odds shift of its testimony
    kind: np.ndarray         # per vote: kind of testimony (index into ``kinds``; -1: none)
    kinds: list              # the kinds' names
    kind_mean: np.ndarray    # per kind: the prior mean of its shift (log-odds)
    kind_sd: float           # prior standard deviation of every kind's shift
    weight: np.ndarray       # per vote: informativeness in (0, 1]
    claim_row: np.ndarray    # per vote: the evidence row of the testimony that speaks for the line
    independence: np.ndarray | None = None  # per vote: AccuCopy's independence factor (E-step only; None: 1)
    habit: np.ndarray | None = None  # per vote: what its witness's habit with the label it names adds to its log-odds (E-step only; see habits)
    habit_rates: np.ndarray | None = None  # per vote: his chance of naming its option where true and where false under his habit (NaN: none)
    classes: tuple | None = field(default=None, repr=False)  # the votes' classes (see _vote_classes), made by the first EM
    products: "_OptionProducts | None" = field(default=None, repr=False)  # the EM's sparse layout of the votes, made by the first EM

    def vote_classes(self, v: "Votes") -> tuple:
        """:func:`_vote_classes` of ``v`` (the refits with copying discounts reuse them: the
        discount is not part of a class)."""
        if self.classes is None:
            self.classes = _vote_classes(v, self)
        return self.classes

    def option_products(self, v: "Votes") -> "_OptionProducts":
        """The EM's sums over the votes as sparse products (see :class:`_OptionProducts`),
        made once (again, by label, when habits come in) and given the current independence
        factors and habits."""
        by_label = self.habit is not None and v.slot_label is not None
        if self.products is None or (by_label and not self.products.by_label):
            self.products = _OptionProducts(v, self.vote_classes(v)[0], disputed_labels(v) if by_label else None)
        self.products.discount(self.independence)
        self.products.set_habit(self.habit)
        return self.products


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
    testimony: Testimony | None = None   # each vote's testimony (None: plain votes)
    temperature: float = 1.0             # what each vote's weight is multiplied by in the reported posterior (see fit_temperature)
    implied: tuple[np.ndarray, np.ndarray, np.ndarray] | None = None  # (from slot, to slot, weight): one value's support of another (see imply)
    slot_label: np.ndarray | None = None  # per option: what it says across propositions (see option_labels; -1: its own)
    label_names: list = field(default_factory=lambda: ["affirms", "denies"])  # what each label says (see option_labels)

    @cached_property
    def per_witness(self) -> np.ndarray:
        """Votes cast by each witness."""
        return np.bincount(self.voter, minlength=len(self.witnesses))

    @cached_property
    def option_order(self) -> np.ndarray | None:
        """The votes in option order: None where they already are (as :func:`build_votes` lays
        them out), else a stable argsort of ``slot``."""
        if len(self.slot) < 2 or not np.any(self.slot[1:] < self.slot[:-1]):
            return None
        return np.argsort(self.slot, kind="stable")

    @cached_property
    def per_item(self) -> np.ndarray:
        """Votes (independent lines) on each proposition."""
        return np.bincount(self.item, minlength=len(self.k))

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
    votes = Votes(
        voter=voter, item=item, slot=offsets[item] + side, witnesses=witnesses,
        items=items, slot_item=slot_item, slot_side=slot_side, offsets=offsets, k=k, line_ids=line_ids,
        item_rows=item_rows,
    )
    votes.implied = implications(evidence, votes)
    votes.slot_label = option_labels(evidence, votes, item_bool)
    return votes


def _keyed(ev: pd.DataFrame) -> np.ndarray | None:
    """Which evidence rows are counted claims of a ``text`` or ``names`` proposition (None: none)."""
    types = ev["type"]
    if isinstance(types.dtype, pd.CategoricalDtype):  # most cases: no text nor names at all, said by the codes alone
        codes, cats = types.array.codes, types.array.categories
        wanted = [i for i, c in enumerate(cats) if c in ("names", "text")]
        if not wanted or not np.bincount(codes + 1, minlength=len(cats) + 1)[np.asarray(wanted) + 1].any():
            return None
    kind = np.asarray(types, dtype=object)
    keyed = ((kind == "names") | (kind == "text")) & (ev["side"].to_numpy() >= 0)
    return keyed if keyed.any() else None


def option_labels(ev: pd.DataFrame, v: Votes, item_bool: np.ndarray) -> np.ndarray:
    """Per option, a code for what it says that recurs across propositions (-1: nothing that
    does): on yes/no propositions, affirming (0) and denying (1); on ``text`` and ``names``
    propositions, a folded value that is an option of at least ``VOCABULARY_SHARE`` of them (a
    label of a classification task, "L0", is an answer to every item). The copy test reads each
    witness's habits by them: a witness who denies whatever he is asked agrees with another such
    witness without copying him."""
    label = np.where(item_bool[v.slot_item] & (v.slot_side >= 0), v.slot_side, -1)
    keyed = _keyed(ev)
    if keyed is None:
        return label
    keyed = np.flatnonzero(keyed)
    item = v.items.get_indexer(pd.Index(np.asarray(ev["proposition"], dtype=object)[keyed], dtype=object))
    known = item >= 0
    slot = v.offsets[item[known]] + ev["side"].to_numpy()[keyed[known]]
    slot, first = np.unique(slot, return_index=True)
    fold_code, folds = pd.factorize(np.asarray(ev["side_fold"], dtype=object)[keyed[known]][first], sort=True)
    # a vocabulary's labels are options of many propositions; a value found in a few (two books
    # by the same authors) is that value, not a habit
    common = np.bincount(fold_code) >= max(2, VOCABULARY_SHARE * len(np.unique(v.slot_item[slot])))
    label[slot[common[fold_code]]] = fold_code[common[fold_code]] + 2
    v.label_names = ["affirms", "denies", *[str(x) for x in folds]]
    return label


#: a text value is a label of a vocabulary (see option_labels) when it is an option of at least
#: this share of the text and names propositions
VOCABULARY_SHARE = 0.1


def each_option(v: Votes, votes: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Each of these ``votes`` (positions in ``v``) once per option of its proposition:
    (position in ``votes``, option). What a witness's habits are counted over: where each
    option was true or false, did he name it?"""
    k = v.k[v.item[votes]]
    at = np.repeat(np.arange(len(votes)), k)
    return at, v.offsets[v.item[votes]][at] + np.arange(len(at)) - np.repeat(np.cumsum(k) - k, k)


def disputed_items(v: Votes) -> np.ndarray:
    """Per proposition, whether two or more recurring answers (``option_labels``) are named on
    it: where a witness's habits are read off and weigh (see :mod:`srccrit.analysis.habits`;
    elsewhere a habit would only make a unanimous answer surer)."""
    if v.slot_label is None:
        return np.zeros(len(v.k), dtype=bool)
    labelled = np.flatnonzero(v.slot_label >= 0)
    return np.bincount(v.slot_item[labelled], v.per_option[labelled] > 0, minlength=len(v.k)) >= 2


def disputed_labels(v: Votes) -> np.ndarray:
    """Per vote, the recurring answer it names on a proposition of :func:`disputed_items`, else -1."""
    if v.slot_label is None:
        return np.full(len(v.voter), -1, dtype=np.int64)
    label = v.slot_label[v.slot].astype(np.int64)
    label[~disputed_items(v)[v.item]] = -1
    return label


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


#: Newton sweeps at most in one M-step of the testimony model
_NEWTON_SWEEPS = 50

#: a score this far above its proposition's first option would overflow ``exp``
_EXP_SAFE = 600.0


def _logit(r: np.ndarray) -> np.ndarray:
    rw = np.clip(r, 1e-9, 1 - 1e-9)
    return np.log(rw) - np.log1p(-rw)


def vote_logits(v: Votes, r: np.ndarray, shifts: np.ndarray | None = None, rows: np.ndarray | None = None) -> np.ndarray:
    """Each vote's testimony reliability as log-odds: its witness's skill, shifted by its
    testimony (fixed shift plus its kind's shift). ``rows``: of these votes only."""
    lo = _logit(r)[v.voter if rows is None else v.voter[rows]]
    t = v.testimony
    if t is not None:
        lo = lo + (t.shift if rows is None else t.shift[rows])
        if shifts is not None and len(shifts):
            lo += np.r_[shifts, 0.0][t.kind if rows is None else t.kind[rows]]  # kind -1: no kind, no shift
    return lo


def vote_gain(v: Votes, r: np.ndarray, shifts: np.ndarray | None = None, habits: bool = True, rows: np.ndarray | None = None,
              tempered: bool = True) -> np.ndarray:
    """Each vote's weight for the option it names: ``max(0, log(rho (K - 1) / (1 - rho)))``
    for its testimony's reliability rho, times its informativeness. ``habits``: with its
    witness's habit (where one is read). ``rows``: of these votes only. ``tempered``: times
    the votes' temperature (where one is set)."""

    def of(x: np.ndarray) -> np.ndarray:
        return x if rows is None else x[rows]

    lo = vote_logits(v, r, shifts, rows)
    if habits and v.testimony is not None and v.testimony.habit is not None:
        lo = lo + of(v.testimony.habit)
    gain = np.maximum(lo + np.log(v.k - 1)[of(v.item)], 0.0)
    if v.testimony is not None:
        gain *= of(v.testimony.weight)
        if v.testimony.independence is not None:
            gain *= of(v.testimony.independence)
    if tempered and v.temperature != 1.0:
        gain *= v.temperature
    return gain


def log_likelihood(v: Votes, r: np.ndarray, shifts: np.ndarray | None = None, false_chance: np.ndarray | None = None) -> float:
    """The votes' log-likelihood under the skills ``r``, the kinds' ``shifts`` and the
    witnesses' habits (``v.testimony.habit``; ``false_chance``: per vote, his chance of naming
    its option where it is false, NaN where he has no habit), every option of a proposition
    equally likely beforehand: the sum over propositions of ``log (1/K) sum_o prod_v P(v | o)``.

    A vote's chance where its option is false is ``(1 - rho) / (K - 1)`` (or his habit's), and
    where it is true that times ``exp(gain)`` (see :func:`vote_gain`); a vote the E-step
    disregards (gain 0) is as likely whatever is true (``1 / K``). A vote weighed down
    (informativeness, independence, temperature) weighs its log the same. What two fits of the
    same votes are compared by (see ``_fit_rounds`` in :mod:`srccrit.analysis.reliability`)."""
    if not len(v.slot_item):
        return 0.0
    gain = vote_gain(v, r, shifts)
    factor = np.full(len(v.voter), float(v.temperature))
    t = v.testimony
    if t is not None:
        factor *= t.weight
        if t.independence is not None:
            factor *= t.independence
    k = v.k[v.item].astype(float)
    lo = vote_logits(v, r, shifts)
    base = -np.logaddexp(0.0, lo) - np.log(k - 1)  # log((1 - rho) / (K - 1))
    if false_chance is not None:
        habit = ~np.isnan(false_chance)
        base[habit] = np.log(np.clip(false_chance[habit], 1e-300, 1.0))
    base = np.where(gain > 0, base, -np.log(k))
    score = imply(v, np.bincount(v.slot, gain, minlength=len(v.slot_item)))
    top = np.maximum.reduceat(score, v.offsets)
    spread = np.log(np.add.reduceat(np.exp(score - top[v.slot_item]), v.offsets))
    return float((top + spread - np.log(v.k)).sum() + (factor * base).sum())


def _posterior(v: Votes, r: np.ndarray, design: _Design | None = None, shifts: np.ndarray | None = None) -> np.ndarray:
    """E-step: posterior probability of every option of every proposition (a softmax of the
    scores within each proposition)."""
    design = design or _Design(v)
    if not len(v.slot_item):
        return np.zeros(0)
    if v.testimony is not None:
        score = np.bincount(v.slot, vote_gain(v, r, shifts), minlength=len(v.slot_item))
    else:
        log_odds = _logit(r)
        weight = log_odds[v.voter]
        if len(log_odds) and log_odds.min() < 0:
            # someone is below even odds: a vote's weight log_odds + log(K - 1) may not fall below
            # zero (a witness worse than a guess is disregarded, not read backwards); with nobody
            # there, none can
            np.maximum(weight, design.least, out=weight)
        score = np.bincount(v.slot, weight, minlength=len(v.slot_item)) + design.c_slot
        if v.temperature != 1.0:
            score *= v.temperature
    return _softmax(v, score)


#: how much of a partial list's score its fuller lists receive (``Han`` for ``Han; Kamber``):
#: TruthFinder's implication between facts (Yin, Han and Yu, KDD 2007, whose books data it was
#: made for). Measured on those books (benchmarks/realdata): at TruthFinder's 0.5 a fuller list
#: padded with a misread name ("Aiken; Allen; David") took enough of the true list's score to
#: win 4 books more than without; at 0.25 one book more is right than without
SUBSET_SUPPORT = 0.25


#: how much of a text value's score goes to another spelling of it: the same words in another
#: order or with other punctuation ("Han, Jiawei; Kamber, Micheline" and "Jiawei Han, Micheline
#: Kamber"). Two such values stay two sides (the case format says when text values conflict);
#: each supports the other as TruthFinder's implication between similar facts does
SPELLING_SUPPORT = 0.5


def imply(v: Votes, score: np.ndarray, slots: np.ndarray | None = None) -> np.ndarray:
    """Option scores with part of some options' scores passed on to others of their proposition
    (see :func:`implications`): a partial list to each fuller list, a spelling of a text to its
    other spellings. The giving option keeps its own score: it is still a value, wrong where
    the other is right; the witness is judged by what he named (the M-step does not see it).

    ``score``'s last axis holds every option (``slots`` None) or the options ``slots`` (sorted
    global option numbers: one proposition's, or those an evidence chart draws)."""
    if v.implied is None or not score.shape[-1]:
        return score
    src, dst, weight = v.implied
    if slots is not None:
        at_src, at_dst = np.searchsorted(slots, src), np.searchsorted(slots, dst)
        inside = (at_src < len(slots)) & (at_dst < len(slots))
        inside &= (slots[np.minimum(at_src, len(slots) - 1)] == src) & (slots[np.minimum(at_dst, len(slots) - 1)] == dst)
        if not inside.any():
            return score
        src, dst, weight = at_src[inside], at_dst[inside], weight[inside]
    out = score.copy()
    np.add.at(out.T, dst, (weight * score[..., src]).T)
    return out


def implications(ev: pd.DataFrame, v: Votes) -> tuple[np.ndarray, np.ndarray, np.ndarray] | None:
    """(from slot, to slot, weight): every side of a ``names`` proposition whose list is a strict
    part of another side's (:func:`srccrit.normalisers.part_of`) gives it ``SUBSET_SUPPORT``; every
    side of a ``text`` proposition gives ``SPELLING_SUPPORT`` to each side with the same words
    (case, punctuation and order aside). None where there is none."""
    from ..normalisers import part_of

    side = ev["side"].to_numpy()
    keyed = _keyed(ev)
    if keyed is None:
        return None
    kind = np.asarray(ev["type"], dtype=object)
    sides = pd.DataFrame({"proposition": np.asarray(ev["proposition"], dtype=object)[keyed], "side": side[keyed],
                          "fold": np.asarray(ev["side_fold"], dtype=object)[keyed], "type": kind[keyed]}).drop_duplicates(["proposition", "side"])
    item = pd.Series(v.items.get_indexer(pd.Index(sides["proposition"], dtype=object)), index=sides.index)
    sides = sides[item >= 0].assign(first=v.offsets[item[item >= 0]])  # a proposition's first option
    is_text = sides["type"].eq("text")
    # text: every pair of sides with the same words, in one self-join
    text = sides[is_text].assign(words=lambda t: t["fold"].map(spelling_key))
    same = text.merge(text, on=["proposition", "words", "first"])
    same = same[same["side_x"] != same["side_y"]]
    src = [(same["first"] + same["side_x"]).to_numpy()]
    dst = [(same["first"] + same["side_y"]).to_numpy()]
    weight = [np.full(len(same), SPELLING_SUPPORT)]
    # names: every pair of sides where one list is a strict part of the other
    for _, group in sides[~is_text].groupby("proposition", sort=True):
        for a, sa, first in zip(group["fold"], group["side"], group["first"]):
            for b, sb in zip(group["fold"], group["side"]):
                if a != b and part_of(a, b):
                    src.append([first + sa])
                    dst.append([first + sb])
                    weight.append([SUBSET_SUPPORT])
    src, dst, weight = np.concatenate(src).astype(np.int64), np.concatenate(dst).astype(np.int64), np.concatenate(weight).astype(float)
    if not len(src):
        return None
    order = np.lexsort((dst, src))  # deterministic, whatever the join's order
    return src[order], dst[order], weight[order]


def _softmax(v: Votes, score: np.ndarray) -> np.ndarray:
    if not len(score):
        return np.zeros(0)
    score = imply(v, score)
    z = score - score[v.offsets][v.slot_item]  # any shift within a proposition gives the same softmax
    if z.max() > _EXP_SAFE:
        z = score - np.maximum.reduceat(score, v.offsets)[v.slot_item]
    e = np.exp(z)
    return e / np.bincount(v.slot_item, e, minlength=len(v.offsets))[v.slot_item]


def run_em(v: Votes, a: np.ndarray, b: np.ndarray, n_iter: int = 200, tol: float = 1e-8,
           start: tuple[np.ndarray, np.ndarray] | None = None,
           refresh: Callable[[np.ndarray, np.ndarray, np.ndarray], float] | None = None) -> tuple[np.ndarray, np.ndarray, int, bool, np.ndarray]:
    """Fit the skills. Returns (r, posterior per option, EM steps taken, converged, the kinds'
    shifts).

    Plain votes: the M-step is the closed form ``r_w = (a_w + expected correct votes) / (a_w +
    b_w + votes)``. Votes with testimony: the skills (as log-odds theta_w) and the kinds' shifts
    delta_k are the parameters, and the M-step maximises by Newton sweeps the expected complete-data
    log posterior (a generalised EM): for theta_w the gradient ``a_w - (a_w + b_w) sigma(theta_w)
    + sum_v iota_v (q_v - rho_v)`` (``q_v`` the posterior that vote v is right, ``rho_v`` its
    testimony's reliability, ``iota_v`` its informativeness: the Beta(a, b) prior taken over to
    the log-odds), whose zero with no testimony is the closed form above; for delta_k the same
    sum over the kind's votes minus ``(delta_k - mu_k) / sd^2`` (a normal prior around the
    source-critical shift mu_k). Steps are bounded to 2 in log-odds.

    The EM map is accelerated by SQUAREM (Varadhan & Roland 2008, *Scandinavian Journal of
    Statistics* 35(2):335-353, doi:10.1111/j.1467-9469.2007.00585.x, scheme S3): from two EM
    steps x0 -> x1 -> x2 it extrapolates ``x0 - 2 alpha (x1 - x0) + alpha^2 (x2 - 2 x1 + x0)``
    with ``alpha = -|x1 - x0| / |x2 - 2 x1 + x0|`` (at most -1, where it is plain EM's x2) and
    takes one EM step from there. An extrapolation that leaves the parameters' domain is pulled
    back towards x2, and one that does not shrink the step is dropped for x2. It stops, as plain
    EM does, when one EM step moves no reliability by ``tol`` or more (with testimony: a skill's
    log-odds step times the logistic's slope there, a kind's shift's times 1/4, its largest);
    ``n_iter`` bounds the EM steps. ``start``: skills and kinds' shifts to start from (a refit after a small change)
    instead of the prior means. ``refresh(posterior, skills, shifts)``: parameters outside the
    skills that the E-step reads and each step re-estimates (the witnesses' habits, see
    :mod:`srccrit.analysis.habits`), returning how far they moved; with it the steps are plain EM
    (an extrapolation of the skills alone would leave them behind) and the fit converges when
    both move less than ``tol``."""
    design = _Design(v)
    n_w = len(a)
    t = v.testimony
    steps = 0
    if t is None:
        denominator = a + b + design.n_votes

        def m_step(post: np.ndarray, x: np.ndarray) -> np.ndarray:
            nonlocal steps
            steps += 1
            return (a + np.bincount(v.voter, post[v.slot], minlength=n_w)) / denominator

        def e_step(x: np.ndarray) -> np.ndarray:
            return _posterior(v, x, design)

        def inside(x: np.ndarray) -> bool:
            return bool(np.all((x > 0) & (x < 1)))

        x0 = a / (a + b) if start is None else np.clip(start[0], 1e-9, 1 - 1e-9)
    else:
        n_k = len(t.kinds)
        ab = a + b
        precision = 1.0 / t.kind_sd ** 2

        def split(x: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
            return x[:n_w], x[n_w:]

        # votes that share witness, kind, shift and informativeness share their testimony's
        # reliability: the EM works on these classes (a few per witness), not on every vote
        cls, c_voter, c_kind, c_shift, c_weight, c_count = t.vote_classes(v)
        products = t.option_products(v)
        known = c_kind >= 0
        kind_known = c_kind[known]
        voter_kind = c_voter[known] * n_k + kind_known
        cache: dict = {}

        def logits(x: np.ndarray) -> np.ndarray:
            theta, delta = split(x)
            lo = theta[c_voter] + c_shift
            if n_k:
                lo += np.r_[delta, 0.0][c_kind]
            return lo

        def e_step(x: np.ndarray) -> np.ndarray:
            # the E-step's logits are the M-step's too (it is always called next with this x)
            lo = logits(x)
            cache["x"], cache["lo"] = x, lo
            return _softmax(v, products.scores(lo, c_weight))

        def m_step(post: np.ndarray, x: np.ndarray) -> np.ndarray:
            nonlocal steps
            steps += 1
            theta, delta = split(x)
            lo = cache["lo"] if cache.get("x") is x else logits(x)
            right = products.right(post, len(c_voter))  # expected correct votes per class
            wn = c_weight * c_count

            def sums(lo):
                rho = _sigmoid(lo)
                return c_weight * right - wn * rho, wn * rho * (1 - rho)  # iota (q - rho), iota rho (1 - rho), summed

            # Newton steps on the classes (cheap: a few per witness) until the step is below the
            # EM's tolerance: an exact M-step, so the EM needs no more steps than plain EM. The
            # skills and the kinds' shifts trade off, so the step is the joint one: the Hessian's
            # skill block is diagonal, its kind block too, and the kinds are few, so the Schur
            # complement on the kinds (n_k x n_k) solves it exactly; it converges in a few steps
            # where alternating between the two blocks crawled.
            for _ in range(_NEWTON_SWEEPS):
                resid, curv = sums(lo)
                st = _sigmoid(theta)
                grad = a - ab * st + np.bincount(c_voter, resid, minlength=n_w)
                hess = ab * st * (1 - st) + np.bincount(c_voter, curv, minlength=n_w)
                if n_k:
                    grad_k = np.bincount(kind_known, resid[known], minlength=n_k) - (delta - t.kind_mean) * precision
                    hess_k = np.bincount(kind_known, curv[known], minlength=n_k) + precision
                    cross = np.bincount(voter_kind, curv[known], minlength=n_w * n_k).reshape(n_w, n_k)
                    scaled = cross / hess[:, None]
                    schur = np.diag(hess_k) - cross.T @ scaled
                    step_k = np.linalg.solve(schur, grad_k - scaled.T @ grad)
                    step = (grad - cross @ step_k) / hess
                    # a damped step where the quadratic model is far off (bounded to 2 in log-odds)
                    scale = 2.0 / max(2.0, float(np.abs(step).max(initial=0.0)), float(np.abs(step_k).max(initial=0.0)))
                    step *= scale
                    step_k *= scale
                    delta = delta + step_k
                    lo = lo + step[c_voter] + np.r_[step_k, 0.0][c_kind]
                    moved = max(float(np.abs(step).max(initial=0.0)), float(np.abs(step_k).max(initial=0.0)))
                else:
                    step = np.clip(grad / hess, -2.0, 2.0)
                    lo = lo + step[c_voter]
                    moved = float(np.abs(step).max(initial=0.0))
                theta = theta + step
                if moved < tol * 0.01:
                    break
            return np.r_[theta, delta]

        def inside(x: np.ndarray) -> bool:
            return bool(np.all(np.isfinite(x)) and np.abs(x).max(initial=0.0) < 30)

        x0 = np.r_[_logit(a / (a + b)), t.kind_mean]
        if start is not None and len(start[1]) == n_k:
            x0 = np.r_[_logit(start[0]), start[1]]

    if t is None:
        def moved(new: np.ndarray, old: np.ndarray) -> float:
            return float(np.max(np.abs(new - old), initial=0.0))
    else:
        def moved(new: np.ndarray, old: np.ndarray) -> float:
            # in reliability, as plain EM measures it: a skill's log-odds step times the slope
            # of the logistic there, a kind's shift's at most a quarter of it
            d = np.abs(new - old)
            r = _sigmoid(new[:n_w])
            return max(float(np.max(d[:n_w] * r * (1 - r), initial=0.0)), 0.25 * float(np.max(d[n_w:], initial=0.0)))

    def result(x: np.ndarray, post: np.ndarray, converged: bool):
        if t is None:
            return x, post, steps, converged, np.zeros(0)
        return _sigmoid(x[:n_w]), post, steps, converged, x[n_w:]

    p0 = e_step(x0)
    if refresh is not None and t is not None:
        while steps < n_iter:
            r0, d0 = split(x0)
            change = refresh(p0, _sigmoid(r0), d0)
            x1 = m_step(p0, x0)
            p1 = e_step(x1)
            if moved(x1, x0) < tol and change < tol:
                return result(x1, p1, True)
            x0, p0 = x1, p1
        return result(x0, p0, False)
    while steps < n_iter:
        x1 = m_step(p0, x0)
        if moved(x1, x0) < tol:
            return result(x1, e_step(x1), True)
        p1 = e_step(x1)
        if steps >= n_iter:
            x0, p0 = x1, p1
            break
        x2 = m_step(p1, x1)
        if moved(x2, x1) < tol:
            return result(x2, e_step(x2), True)
        d1, d2 = x1 - x0, x2 - 2 * x1 + x0
        alpha = -np.linalg.norm(d1) / max(np.linalg.norm(d2), 1e-300)
        x_ext = None
        while alpha < -1:
            candidate = x0 - 2 * alpha * d1 + alpha * alpha * d2
            if inside(candidate):
                x_ext = candidate
                break
            alpha = (alpha - 1) / 2
        if x_ext is not None and steps < n_iter:
            x3 = m_step(e_step(x_ext), x_ext)
            if moved(x3, x_ext) < moved(x2, x1):  # the extrapolation made progress: keep it
                if moved(x3, x_ext) < tol:
                    return result(x3, e_step(x3), True)
                x0, p0 = x3, e_step(x3)
                continue
        x0, p0 = x2, e_step(x2)  # plain EM's two steps
    return result(x0, p0, False)


class _OptionProducts:
    """The testimony EM's two sums over the votes as sparse products.

    A vote's gain for its option, ``max(0, lo_c + log(K - 1)) * iota_c * independence``, depends
    on the vote only through its class c (see :func:`_vote_classes`), its proposition's number
    of options K and its independence factor. The (class, K) pairs are few (a few per witness),
    so each E-step works out the gains of the pairs, and the option scores are the product of a
    matrix (option x pair, holding the votes' independence factors) with them; the M-step's
    expected correct votes per pair are the transposed product of a 0/1 matrix of the same
    shape with the posterior. Sparse products over the votes laid out in option order (as
    :func:`build_votes` lays them) cost a third of gathering and counting per vote."""

    def __init__(self, v: Votes, cls: np.ndarray, vote_label: np.ndarray | None = None):
        from scipy.sparse import csr_matrix

        n_slots = len(v.slot_item)
        self._order = v.option_order
        k = np.asarray(v.k, dtype=np.int64)
        n_kk = int(k.max(initial=2)) + 1
        key = cls * n_kk + k[v.item]
        self.by_label = vote_label is not None
        if self.by_label:  # where habits are read, a witness's votes for different labels weigh differently
            label = vote_label.astype(np.int64) + 1
            key = key * (int(label.max(initial=0)) + 1) + label
        pair, uniques = factorize(key)
        if self.by_label:
            self.pair_vote = np.zeros(len(uniques), dtype=np.int64)
            self.pair_vote[pair] = np.arange(len(pair))  # a vote of each pair (its habit is the pair's)
            uniques = uniques // (int(label.max(initial=0)) + 1)
        self.pair_class = uniques // n_kk
        self.pair_log_other = np.log((uniques % n_kk) - 1.0)
        self.pair_habit: np.ndarray | None = None
        indptr = np.r_[0, np.cumsum(np.bincount(v.slot, minlength=n_slots))].astype(np.int64)
        pair = pair.astype(np.int64) if self._order is None else pair[self._order].astype(np.int64)
        self._layout = (pair, indptr, (n_slots, len(uniques)))
        self.count = csr_matrix((np.ones(len(pair)), pair, indptr), shape=self._layout[2])
        self.weigh = self.count
        self._independence = None

    def discount(self, independence: np.ndarray | None) -> None:
        """Weigh each vote's gain by its independence factor (None: 1) in the option scores."""
        if independence is self._independence:
            return
        self._independence = independence
        if independence is None:
            self.weigh = self.count
        else:
            from scipy.sparse import csr_matrix

            pair, indptr, shape = self._layout  # the same layout, the factors as its values
            data = np.asarray(independence if self._order is None else independence[self._order], dtype=float)
            self.weigh = csr_matrix((data, pair, indptr), shape=shape)

    def set_habit(self, habit: np.ndarray | None) -> None:
        """Add each vote's habit term (None: none) to its log-odds in the option scores."""
        self.pair_habit = None if habit is None or not self.by_label else habit[self.pair_vote]

    def scores(self, lo: np.ndarray, weight: np.ndarray) -> np.ndarray:
        """Each option's score, the classes' log-odds ``lo`` and informativeness ``weight``."""
        gain = lo[self.pair_class] + self.pair_log_other
        if self.pair_habit is not None:
            gain += self.pair_habit
        np.maximum(gain, 0.0, out=gain)
        gain *= weight[self.pair_class]
        return self.weigh @ gain

    def right(self, post: np.ndarray, n_classes: int) -> np.ndarray:
        """The expected number of right votes of each class, the options' posterior ``post``."""
        return np.bincount(self.pair_class, self.count.T @ post, minlength=n_classes)


def _vote_classes(v: Votes, t: Testimony):
    """Votes grouped by (witness, kind, shift, informativeness): each vote's class and, per
    class, those four and its number of votes."""
    shift_code, shift_values = factorize(t.shift)
    weight_code, weight_values = factorize(t.weight)
    n_s, n_i, n_k = len(shift_values), len(weight_values), len(t.kinds) + 1
    key = v.voter.astype(np.int64) * n_s + shift_code
    key = (key * n_i + weight_code) * n_k + (t.kind + 1)
    cls, uniques = factorize(key)
    kind = uniques % n_k - 1
    rest = uniques // n_k
    weight = np.asarray(weight_values, dtype=float)[rest % n_i]
    rest //= n_i
    shift = np.asarray(shift_values, dtype=float)[rest % n_s]
    voter = rest // n_s
    return cls.astype(np.int64), voter, kind, shift, weight, np.bincount(cls, minlength=len(uniques)).astype(float)


def _sigmoid(x: np.ndarray) -> np.ndarray:
    return 0.5 * (1.0 + np.tanh(0.5 * x))


#: the lowest temperature :func:`fit_temperature` may choose (a vote then weighs a fiftieth)
MIN_TEMPERATURE = 0.02
#: the prior of log tau: normal around 0 (no tempering) with this deviation, so that a case of a few
#: lines is not tempered on the say of one or two held-out votes
TEMPERATURE_PRIOR_SD = 0.5
#: how far below log tau = 0 :func:`fit_temperature` looks to see the likelihood still rising there
_RISING_AT = 1e-4
#: votes the temperature is fitted on, at most (a fixed share of the propositions beyond): one
#: parameter, as well determined by a hundred thousand held-out votes as by a million
_TEMPERATURE_VOTES = 100_000


def fit_temperature(v: Votes, r: np.ndarray, shifts: np.ndarray | None = None, habits: bool = True) -> float:
    """The temperature tau in (0, 1] of the reported posterior ``softmax(tau * score)``, chosen
    to best predict each line from the others.

    The model takes its lines for independent given the truth; real witnesses share sources,
    formats and mistakes that no declared or detected dependence captures, so twenty agreeing
    lines are less than twenty independent confirmations and the untempered posterior is
    overconfident (on the real-data benchmark, a tenth of the answers given p >= .99 were
    wrong). Tempering the likelihood (a power posterior) is the usual remedy for correlated
    evidence; tau is fitted on the data itself, without gold: each vote is held out in turn,
    the others give the posterior of its proposition at tau, and tau maximises the sum of
    log P(the held-out vote names what it names) = log(q rho + (1 - q)(1 - rho) / (K - 1)),
    q the held-out posterior of the vote's option and rho its testimony's reliability, plus a
    normal prior on log tau (``TEMPERATURE_PRIOR_SD``) that keeps a small case near tau = 1.
    Only votes on propositions with three lines or more are held out (with one line left, the
    held-out vote says nothing of how lines combine). Where the
    lines agree as independent lines would, that is tau = 1 (no change); where held-out lines
    contradict confident majorities, tau falls. Golden-section search on log tau over
    [MIN_TEMPERATURE, 1]; beyond ``_TEMPERATURE_VOTES`` votes, on the propositions of a fixed
    evenly spaced sample (deterministic). ``habits``: with the witnesses' habits where they are
    read (their terms and their own chances of naming each option), else as if none were."""
    n = len(v.voter)
    if n < 2:
        return 1.0
    # a held-out vote tells of the way lines combine only where two or more others remain
    per_item = v.per_item
    use = np.flatnonzero(per_item[v.item] >= 3)
    if len(use) > _TEMPERATURE_VOTES:
        step = int(np.ceil(len(use) / _TEMPERATURE_VOTES))
        use = use[v.item[use] % step == 0]
    if not len(use):
        return 1.0
    # every vote of a held-out vote's proposition is held out in turn: the scores of those
    # propositions need the gains of these votes only
    gain = vote_gain(v, r, shifts, habits, rows=use, tempered=False)
    score = np.bincount(v.slot[use], gain, minlength=len(v.slot_item))
    top = np.maximum.reduceat(score, v.offsets) if len(v.offsets) else np.zeros(0)
    rel = score - top[v.slot_item]  # <= 0 within each proposition
    slot, item = v.slot[use], v.item[use]
    own = rel[slot]
    held = own - gain
    k1 = np.maximum(v.k[item] - 1, 1)
    rho_u = np.clip(1.0 / (1.0 + np.exp(-vote_logits(v, r, shifts, use))), 1e-9, 1 - 1e-9)
    wrong = (1 - rho_u) / k1
    rates = v.testimony.habit_rates if habits and v.testimony is not None else None
    if rates is not None:  # where a habit is read, his chances of naming the option are its own
        habitual = ~np.isnan(rates[use, 0])
        rho_u = np.where(habitual, np.clip(rates[use, 0], 1e-9, 1 - 1e-9), rho_u)
        wrong = np.where(habitual, np.clip(rates[use, 1], 1e-9, 1 - 1e-9), wrong)
    # the options of the held-out votes' propositions only (a sample of them in a large case)
    held_item = np.zeros(len(v.offsets), dtype=bool)
    held_item[item] = True
    in_sample = held_item[v.slot_item]
    local = np.cumsum(held_item) - 1  # each sampled proposition's number among them
    rel_s, slot_local, item_local = rel[in_sample], local[v.slot_item[in_sample]], local[item]

    def loglik(log_tau: float) -> float:
        tau = float(np.exp(log_tau))
        z = np.bincount(slot_local, np.exp(tau * rel_s), minlength=int(held_item.sum()))[item_local]
        drop = np.exp(tau * held)
        q = drop / (z - np.exp(tau * own) + drop)
        return float(np.log(q * rho_u + (1 - q) * wrong).sum()) - 0.5 * (log_tau / TEMPERATURE_PRIOR_SD) ** 2

    lo, hi = np.log(MIN_TEMPERATURE), 0.0
    # the search takes the likelihood for unimodal in log tau: where it still rises at tau = 1 and
    # stands above the lowest temperature's, no tempering is best and the search is not made
    # (three evaluations instead of 21: lines that combine as independent ones are the usual case)
    at_one = loglik(0.0)
    if loglik(-_RISING_AT) < at_one and loglik(lo) <= at_one:
        return 1.0
    g = (np.sqrt(5) - 1) / 2
    a, b = hi - g * (hi - lo), lo + g * (hi - lo)
    fa, fb = loglik(a), loglik(b)
    for _ in range(16):
        if fa > fb:
            hi, b, fb = b, a, fa
            a = hi - g * (hi - lo)
            fa = loglik(a)
        else:
            lo, a, fa = a, b, fb
            b = lo + g * (hi - lo)
            fb = loglik(b)
    best = (a + b) / 2
    # the ends are candidates too (golden section looks inside the bracket)
    candidates = [(loglik(best), best), (loglik(0.0), 0.0), (loglik(np.log(MIN_TEMPERATURE)), np.log(MIN_TEMPERATURE))]
    return float(np.round(np.exp(max(candidates)[1]), 4))
