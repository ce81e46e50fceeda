"""Copying between witnesses, found by the reliability model itself.

Witnesses who copy one another repeat each other's *errors*: two independent witnesses share a
false value only by chance, a copier shares his original's false values as often as he copies.
This is the Bayesian copy detection of Dong, Berti-Équille and Srivastava, *Integrating
conflicting data: the role of source dependence*, PVLDB 2(1):550-561, 2009 (AccuCopy), on the
votes of the EM (one per independent line: declared ``derives_from``/``via`` dependence is
already one line and stays hard dependence):

* For a pair of witnesses (a, b) with reliabilities ``A_a``, ``A_b`` who both speak to a
  proposition with ``N`` false options (``K - 1``, at least 1), and the current probability ``p``
  that the option they share is true, independence gives ``P(same) = p A_a A_b + (1 - p)
  (1 - A_a)(1 - A_b) / N``; copying at rate ``c`` from the more reliable of the two (``A_o``)
  gives ``P(same) = p (c A_o + (1 - c) A_a A_b) + (1 - p) (c (1 - A_o) + (1 - c) (1 - A_a)
  (1 - A_b) / N)``; a disagreement has ratio ``1 - c``. Shared false values are strong evidence,
  shared true values weak, disagreements evidence against. The pair's probability of copying is
  the prior odds ``COPY_PRIOR / (1 - COPY_PRIOR)`` times the product of these ratios. ``p`` is
  the probability of the shared value *without the pair's own two votes*: the posterior they
  helped make would count their agreement twice (it makes their value look true, and a true
  value shared is weak evidence of copying). Where both are in one group of near-identical
  witnesses (the connected pairs that agree on ``EXAMINE_AGREEMENT`` of what they share), the
  whole group's votes are left out: two more copies of a feed would hold its values up. On the
  real-data benchmark this took the raw flight times' answers given p >= .99 from 96.4% to 99.6%
  right, and a feed with three near copies no longer out-votes four independent witnesses.
* Only pairs that share at least ``MIN_SHARED_FALSE`` probably false values (an option with
  ``p < 0.5``, held by at most ``MAX_SIDE`` lines), or agree on ``EXAMINE_AGREEMENT`` of the
  contested propositions they both speak to (at least ``MIN_COMMON``), are examined: finding the
  others would cost a pass over every pair of witnesses on every popular value, and few could
  reach the threshold (shared true values weigh ``log(c / A + 1 - c)`` each, little; what makes
  a near-identical pair a copy is how seldom it disagrees).
* Discount: on every option a pair shares, the vote of the less reliable of the two under the
  fit without copying (the likely copier; ties: the later id) is multiplied by ``1 - c P(copy)`` (AccuCopy's independence factor), in
  the E-step and the M-step alike. The EM is fitted again with the discount, from where it
  stood, until no discount moves by ``COPY_SETTLED`` (at most ``COPY_ROUNDS`` rounds).

* Habits: where an answer recurs across propositions (affirming, denying, a class label), each
  witness's chance of naming it where true and where false is read off his other propositions
  (see :func:`_label_rates`), and the more innocent of that and the one-coin reading is used: two
  witnesses who deny whatever they are asked share false denials without copying.

Known limit: the evidence is read off the current posterior, so a copy group that holds the
majority on most propositions is taken for the truth and the independent minority, agreeing on
what the group calls false, for the copiers (the trap of every iterative copy detector started
from a vote). Where the group is a minority, as on the web data the method was made for, the
copiers are found and counted down.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
import pandas as pd

from .._arrays import factorize, lex_order, radix_order
from .em import Votes, each_option, vote_gain

__all__ = ["COPY_RATE", "pair_agreement", "near_identical_groups", "EXAMINE_AGREEMENT", "COPY_PRIOR", "MIN_SHARED_FALSE", "MAX_SIDE", "COPY_ROUNDS", "COPY_SETTLED", "Copying", "find_copying", "COPYING_COLUMNS"]

#: c: the share of a copier's values taken from his original (AccuCopy's default)
COPY_RATE = 0.8
#: prior probability that two witnesses who share false values are dependent
COPY_PRIOR = 0.2
#: a first fit counts once the pairs agreeing on this share of the contested propositions ...
MIN_AGREEMENT = 1.0
#: ... of at least this many. Measured on the real-data benchmark (benchmarks/realdata): pairs
#: agreeing on 90% or even 99% of what they share are as often two accurate witnesses as a copy
#: and its original (counting them once cost 25 to 100 of 400 flight times); pairs identical on
#: 20 or more contested propositions are copies (the web sources that repeat one feed, format
#: and all), and counting them once first lifted the raw flight times from 271 to 375 of 400
MIN_COMMON = 20
#: a pair is examined only if it shares at least this many probably false values, or agrees on
#: this share of the contested propositions it speaks to (at least ``MIN_COMMON``): a copy group
#: that holds the majority shares few values the posterior calls false, and only the test of
#: what it shares tells copies from accurate witnesses. On the real-data benchmark examining
#: them made the normalised flight times' answers given p >= .99 right 99.6% of the time (95.7%
#: before; 0.8 to 0.99 here give the same); counting them once outright cost accuracy (above)
MIN_SHARED_FALSE = 2
EXAMINE_AGREEMENT = 0.9
#: an option held by more lines than this is no shared secret
MAX_SIDE = 50
#: at most this many refits with the discount
COPY_ROUNDS = 4
#: the rounds stop when no vote's discount moves by this much
COPY_SETTLED = 0.02
#: pairs below this probability of copying are neither discounted nor reported
REPORT_AT = 0.5

COPYING_COLUMNS = ["witness_a", "witness_b", "copier", "p_copy", "shared_false", "shared", "disagreements", "common", "factor"]


@dataclass
class Copying:
    """Pairs of witnesses found to copy (one row per pair, ``COPYING_COLUMNS``) and each vote's
    independence factor."""

    pairs: pd.DataFrame
    factor: np.ndarray


def _pairs_within(groups: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """All pairs (i, j), i < j, of positions that share a value of the sorted ``groups``."""
    n = len(groups)
    if n < 2:
        return np.zeros(0, dtype=np.int64), np.zeros(0, dtype=np.int64)
    starts = np.flatnonzero(np.r_[True, groups[1:] != groups[:-1]])
    ends = np.r_[starts[1:], n]
    end_of = np.repeat(ends, ends - starts)
    after = end_of - np.arange(n) - 1  # later positions in the same group
    left = np.repeat(np.arange(n), after)
    first = np.cumsum(after) - after  # where each position's pairs begin
    right = left + 1 + (np.arange(len(left)) - np.repeat(first, after))
    return left, right


def frequent_pairs(who: np.ndarray, left: np.ndarray, right: np.ndarray, n: int, at_least: int) -> tuple[np.ndarray, np.ndarray]:
    """The pairs of distinct witnesses ``{who[left[i]], who[right[i]]}`` (``who``: the witness at
    each position; ``left``, ``right``: pairs of positions) that occur at least ``at_least``
    times, as sorted keys ``a * n + b`` (a < b) with their counts. At a million claims there are
    millions of co-occurrences and a few dozen pairs that recur: each occurrence is first hashed
    into a bucket (a random code per witness, xor-ed: the same bucket for (a, b) and (b, a)),
    buckets are counted with one ``bincount``, and only occurrences in buckets that reach
    ``at_least`` are counted exactly (a bucket reaches it by chance at most 1% of the time, from
    the Poisson tail of its expected load). The answer is exact, whatever the codes; about a third
    of the time of counting every pair in a sparse matrix. The witnesses of an occurrence are
    looked up only where it is counted exactly (the codes are gathered per position, once)."""
    none = np.zeros(0, dtype=np.int64), np.zeros(0, dtype=np.int64)
    if len(left) < at_least or at_least < 1:
        return none
    load = next((x for x in (16.0, 8.0, 4.0, 2.0, 1.0, 0.5, 0.25) if _poisson_tail(at_least, x) <= 0.01), 0.125)
    bits = int(np.clip(np.ceil(np.log2(len(left) / load)), 8, 30))
    codes = np.random.default_rng(0x5EED).integers(0, 1 << 32, size=n, dtype=np.uint32)  # fixed: the answer does not depend on them
    coded = codes[who] >> np.uint32(32 - bits)  # (xor commutes with the shift)
    bucket = coded[left] ^ coded[right]
    hot = np.flatnonzero((np.bincount(bucket, minlength=1 << bits) >= at_least)[bucket])
    a, b = who[left[hot]], who[right[hot]]
    other = a != b
    key = np.minimum(a, b)[other].astype(np.int64) * n + np.maximum(a, b)[other]
    keys, counts = np.unique(key, return_counts=True)
    enough = counts >= at_least
    return keys[enough], counts[enough]


def _poisson_tail(k: int, mean: float) -> float:
    """P(X >= k) for X ~ Poisson(mean)."""
    term, below = math.exp(-mean), 0.0
    for i in range(k):
        below += term
        term *= mean / (i + 1)
    return max(0.0, 1.0 - below)


def pair_agreement(v: Votes, min_common: int = MIN_COMMON, min_agreement: float = MIN_AGREEMENT) -> tuple[np.ndarray, np.ndarray]:
    """Pairs of witnesses (keys ``a * n_witnesses + b``, a < b, sorted) who name the same option on
    at least ``min_agreement`` of the contested propositions they both speak to (at least
    ``min_common`` of them), with that share. Those agreeing on all (``MIN_AGREEMENT``) are the
    suspects a first fit counts once, so that a group of copiers holding the majority cannot
    make itself the truth before its shared values are weighed; those agreeing on
    ``EXAMINE_AGREEMENT`` are examined by the copy test and form the groups of
    :func:`near_identical_groups`.

    Pairs are first counted on the options they share (a pair with fewer than
    ``min_agreement * min_common`` agreements cannot qualify), then only those are checked
    against every contested proposition both speak to: the pass over all pairs of a
    proposition's witnesses, most of whom disagree, is never made."""
    none = np.zeros(0, dtype=np.int64), np.zeros(0)
    n_w = len(v.witnesses)
    named = np.bincount(v.slot_item[v.per_option > 0], minlength=len(v.k))
    contested = named[v.item] >= 2
    rows = np.flatnonzero(contested & (v.per_option[v.slot] <= MAX_SIDE))
    if len(rows) < 2:
        return none
    if v.option_order is None:  # the votes are laid out by option already
        order = rows
    else:
        slots = v.slot[rows].astype(np.int64)
        order = rows[radix_order(slots, max(int(slots.max()), 1).bit_length())]  # by option, stable
    left, right = _pairs_within(v.slot[order])
    candidates, _ = frequent_pairs(v.voter[order], left, right, n_w, int(np.ceil(min_agreement * min_common)))
    if not len(candidates):
        return none
    # every contested proposition each candidate pair both speak to (a witness with two lines
    # on one proposition disagrees with himself: every pair of their votes counts)
    pair, va, vb = _pair_votes(v, candidates, np.flatnonzero(contested))
    common = np.bincount(pair, minlength=len(candidates))
    same = np.bincount(pair, (v.slot[va] == v.slot[vb]).astype(float), minlength=len(candidates))
    keep = (common >= min_common) & (same >= min_agreement * common)
    return candidates[keep], same[keep] / common[keep]


def _pair_votes(v: Votes, candidates: np.ndarray, rows: np.ndarray | None = None) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """For every proposition both witnesses of a candidate pair (keys ``a * n + b``, sorted,
    a < b) voted on: (the pair's index in ``candidates``, a's vote, b's vote). ``rows``: the votes
    to look at (default all). Enumerates the pairs of votes within each proposition among the
    candidates' votes only and keeps those of candidate pairs (a join without a table)."""
    n_w = len(v.witnesses)
    in_pair = np.zeros(n_w, dtype=bool)
    in_pair[candidates // n_w] = True
    in_pair[candidates % n_w] = True
    mine = np.flatnonzero(in_pair[v.voter]) if rows is None else rows[in_pair[v.voter[rows]]]
    items = v.item[mine].astype(np.int64)
    order = mine[radix_order(items, max(int(items.max(initial=0)), 1).bit_length())] if len(mine) else mine
    left, right = _pairs_within(v.item[order])
    va, vb = order[left], order[right]
    wa, wb = v.voter[va], v.voter[vb]
    swap = wa > wb
    va, vb = np.where(swap, vb, va), np.where(swap, va, vb)
    key = np.minimum(wa, wb).astype(np.int64) * n_w + np.maximum(wa, wb)
    where = np.searchsorted(candidates, key)
    hit = (where < len(candidates)) & (candidates[np.minimum(where, len(candidates) - 1)] == key)
    return where[hit], va[hit], vb[hit]


def find_copying(v: Votes, post: np.ndarray | None, r: np.ndarray | None, rank: np.ndarray | None = None,
                 copy_rate: float = COPY_RATE, prior: float = COPY_PRIOR, suspects: np.ndarray | None = None,
                 shifts: np.ndarray | None = None, group: np.ndarray | None = None, memo: dict | None = None) -> Copying:
    """Pairs of witnesses whose shared false values make copying probable, under the current
    posterior ``post`` (per option) and skills ``r`` (per witness; ``shifts``: the kinds'
    shifts of the same fit), each shared value judged without the pair's own votes, or without
    their whole ``group`` (:func:`near_identical_groups`) where both are in one; see the
    module. ``rank``
    (per witness, default ``r``) decides which of a pair is taken for the copier: the refits
    pass the first fit's skills, so the direction does not turn as the discount moves them.
    ``suspects`` (pair keys, see :func:`pair_agreement`) are examined too; with ``post`` None
    they are taken for copies outright (the first fit's discount, direction by id). ``memo``: a
    dict kept across the copy rounds of one fit of these votes, in which what depends on the
    candidate pairs alone is kept: their common votes (found again for the pairs new since the
    last round only: at a million claims 4 of 911) and where their witnesses' labels are counted
    (while the witnesses are the same)."""
    n_votes = len(v.voter)
    factor = np.ones(n_votes)
    empty = Copying(pd.DataFrame({c: [] for c in COPYING_COLUMNS}), factor)
    if n_votes < 2:
        return empty
    n_w = len(v.witnesses)
    candidates = np.zeros(0, dtype=np.int64) if suspects is None else suspects
    if post is not None:
        per_option = v.per_option
        false_slot = (post < 0.5) & (per_option >= 2) & (per_option <= MAX_SIDE)
        rows = np.flatnonzero(false_slot[v.slot])
        order = rows if v.option_order is None else rows[np.argsort(v.slot[rows], kind="stable")]
        left, right = _pairs_within(v.slot[order])
        keys, _ = frequent_pairs(v.voter[order], left, right, n_w, MIN_SHARED_FALSE)
        candidates = np.union1d(candidates, keys)
    if not len(candidates):
        return empty
    pa, pb = candidates // n_w, candidates % n_w
    pair, vote_a, vote_b = _kept(memo, "pair_votes", candidates, lambda: _pair_votes(v, candidates),
                                 lambda old, votes: _pair_votes_again(v, candidates, old, votes))
    slot_a, slot_b = v.slot[vote_a], v.slot[vote_b]
    same = slot_a == slot_b
    fitted = post is not None
    if post is None:  # the suspects, taken for copies before any fit
        r = np.full(n_w, 0.5)
        post = np.full(len(v.slot_item), 0.5)
        prior = 1 - 1e-12
    a_acc = np.clip(r[pa[pair]], 1e-6, 1 - 1e-6)
    b_acc = np.clip(r[pb[pair]], 1e-6, 1 - 1e-6)
    n_false = np.maximum(v.k[v.item[vote_a]] - 1, 1)
    p = np.clip(post[slot_a], 0.0, 1.0)
    # each witness's chance of naming the shared value if it is true (hit) and if it is false
    # (false_hit); the one-coin model's unless the value's label recurs (see _label_rates)
    hit_a, hit_b = a_acc, b_acc
    false_a, false_b = (1 - a_acc) / n_false, (1 - b_acc) / n_false
    if fitted and v.slot_label is not None:
        labelled = same & (v.slot_label[slot_a] >= 0)
        if labelled.any():
            who = np.union1d(pa, pb)
            rates = _label_rates(v, post, r, _kept(memo, "labels", who, lambda: _label_layout(v, who)))
            at = np.flatnonzero(labelled)
            hit_a, hit_b, false_a, false_b = hit_a.copy(), hit_b.copy(), false_a.copy(), false_b.copy()
            q_named = post[slot_a[at]]
            # the more innocent reading of the two: a habit may explain an agreement away, never
            # make it more telling than the one-coin model finds it (a habit read off a few
            # propositions is noisy, and noise would find copies the one-coin model does not)
            for hit, false, vote in ((hit_a, false_a, vote_a), (hit_b, false_b, vote_b)):
                habit_hit, habit_false = rates(v.voter[vote[at]], v.slot_label[slot_a[at]], q_named)
                hit[at] = np.maximum(hit[at], habit_hit)
                false[at] = np.maximum(false[at], habit_false)
    a_orig = a_acc >= b_acc
    hit_o, false_o = np.where(a_orig, hit_a, hit_b), np.where(a_orig, false_a, false_b)
    if fitted:
        # the probability that a shared value is true, without the pair's own two votes: read off
        # the posterior they helped make, their agreement makes their value look true, and that
        # explains their agreement away (the evidence counted twice)
        # (the votes' gains are worked out where needed only: the pairs' shared votes are a few
        # of a million)
        at = np.flatnonzero(same)
        drop = np.exp(-(vote_gain(v, r, shifts, rows=vote_a[at]) + vote_gain(v, r, shifts, rows=vote_b[at])))
        p[at] = p[at] * drop / np.maximum(1.0 - p[at] + p[at] * drop, 1e-300)
        if group is not None:  # a pair inside a group of near-identical witnesses: without the group
            within = same & (group[v.voter[vote_a]] == group[v.voter[vote_b]])
            if within.any():
                p[within] = _without_group(v, post, lambda rows: vote_gain(v, r, shifts, rows=rows), group, vote_a[within])
        np.clip(p, 0.0, 1.0, out=p)  # a probability renormalised without some votes may stray by a rounding
    c = copy_rate
    # with the one-coin rates, independent = p A_a A_b + (1 - p) (1 - A_a)(1 - A_b) / N and
    # copied = p (c A_o + (1 - c) A_a A_b) + (1 - p) (c (1 - A_o) + (1 - c)(1 - A_a)(1 - A_b) / N)
    independent = p * hit_a * hit_b + (1 - p) * n_false * false_a * false_b
    copied = p * (c * hit_o + (1 - c) * hit_a * hit_b) + (1 - p) * n_false * (c * false_o + (1 - c) * false_a * false_b)
    llr = np.where(same, np.log(copied) - np.log(independent), np.log1p(-c))
    n_pairs = len(candidates)
    score = np.log(prior) - np.log1p(-prior) + np.bincount(pair, llr, minlength=n_pairs)
    p_copy = 0.5 * (1.0 + np.tanh(0.5 * score))
    shared = np.bincount(pair, same, minlength=n_pairs).astype(int)
    shared_false = np.bincount(pair, same * (1 - p), minlength=n_pairs)
    common = np.bincount(pair, minlength=n_pairs).astype(int)
    # the likely copier: the less reliable of the two (ties: the later id)
    rank = np.round(r if rank is None else rank, 9)
    a_is_copier = (rank[pa] < rank[pb]) | ((rank[pa] == rank[pb]) & (v.witnesses[pa] > v.witnesses[pb]))
    keep = p_copy >= REPORT_AT
    pair_factor = 1.0 - c * p_copy
    if keep.any():
        on = same & keep[pair]
        copier_vote = np.where(a_is_copier[pair[on]], vote_a[on], vote_b[on])
        np.multiply.at(factor, copier_vote, pair_factor[pair[on]])
    ids = np.asarray(v.witnesses, dtype=object)
    table = pd.DataFrame({
        "witness_a": ids[pa], "witness_b": ids[pb],
        "copier": np.where(a_is_copier, ids[pa], ids[pb]),
        "p_copy": p_copy, "shared_false": shared_false, "shared": shared,
        "disagreements": common - shared, "common": common, "factor": pair_factor,
    })[keep]
    table = table.sort_values(["p_copy", "witness_a", "witness_b"], ascending=[False, True, True], kind="stable").reset_index(drop=True)
    return Copying(table, factor)



#: how many propositions' worth of the one-coin model a witness's habit with a label starts
#: from (see _label_rates): a witness's few claims say little of his habits
LABEL_PRIOR = 10.0


@dataclass
class _LabelLayout:
    """Where :func:`_label_rates` counts the witnesses ``who``'s labels: their votes' options
    that carry a label, each option's (witness, label) key, and how a key is found."""

    mine: np.ndarray  # the witnesses' votes
    vote: np.ndarray  # per (vote, labelled option): the position in ``mine``
    option: np.ndarray
    witness: np.ndarray
    named: np.ndarray  # did the vote name the option
    n_false: np.ndarray  # the vote's proposition's false options (K - 1, at least 1)
    code: np.ndarray  # the (witness, label) key's code
    count: np.ndarray  # per code, its options
    keys: np.ndarray  # each code's key, ``witness * n_labels + label``
    n_labels: int
    at_key: object  # key -> code, or None where the key is its own code


def _label_layout(v: Votes, who: np.ndarray) -> _LabelLayout:
    """What :func:`_label_rates` counts over for the witnesses ``who``: it depends on them and the
    votes only, not on the fit (the copy rounds count over it again and again)."""
    label = v.slot_label
    asked = np.zeros(len(v.witnesses), dtype=bool)
    asked[who] = True
    mine = np.flatnonzero(asked[v.voter])
    vote, option = each_option(v, mine)
    k = v.k[v.item[mine]]
    on = label[option] >= 0
    vote, option = vote[on], option[on]
    witness = v.voter[mine][vote]
    named = (v.slot[mine][vote] == option).astype(float)
    n_labels = int(label.max()) + 1
    key = witness.astype(np.int64) * n_labels + label[option]
    if len(v.witnesses) * n_labels <= max(4 * len(key), 1 << 20):  # few labels: (witness, label) indexes itself
        code, keys, at_key = key, np.arange(len(v.witnesses) * n_labels), None
    else:
        code, keys = factorize(key)
        keys = np.asarray(keys)
        order = np.argsort(keys)
        sorted_keys = keys[order]

        def at_key(wanted: np.ndarray) -> np.ndarray:
            return order[np.searchsorted(sorted_keys, wanted)]
    count = np.maximum(np.bincount(code, minlength=len(keys)), 1)
    return _LabelLayout(mine, vote, option, witness, named, np.maximum(k[vote] - 1, 1), code, count, keys, n_labels, at_key)


def _label_rates(v: Votes, post: np.ndarray, r: np.ndarray, layout: _LabelLayout):
    """Each witness's habits with the labels that recur across propositions (``v.slot_label``:
    affirming, denying, a class of a classification task): how often he names a label where it
    is true (hit) and, per proposition, where it is false (false hit), counted over the
    propositions he speaks to under the posterior ``post`` and drawn towards the one-coin model's
    ``r`` and ``(1 - r) / N`` by ``LABEL_PRIOR`` propositions. Two witnesses who both answer
    "no" to most questions share many false "no"s without copying each other: the one-coin model,
    which spreads a witness's errors evenly over the false values, takes their habit for
    copying (on a crowd's duck-identification task, 274 of 741 pairs of workers "copied", and
    the answers fell from 76% right to 50%). Returns ``rates(witness, label) -> (hit, false
    hit)`` for the witnesses of the ``layout`` (:func:`_label_layout`), each vote's own
    proposition left out."""
    code, keys, n_labels, at_key, named = layout.code, layout.keys, layout.n_labels, layout.at_key, layout.named
    q = np.clip(post[layout.option], 0.0, 1.0)
    acc = np.clip(r[layout.witness], 1e-6, 1 - 1e-6)
    n = len(keys)
    true_, false_ = np.bincount(code, q, minlength=n), np.bincount(code, 1 - q, minlength=n)
    k_acc = np.clip(r[keys // n_labels], 1e-6, 1 - 1e-6)
    one_coin_false = np.bincount(code, (1 - acc) / layout.n_false, minlength=n) / layout.count
    true_hits, false_hits = np.bincount(code, q * named, minlength=n), np.bincount(code, (1 - q) * named, minlength=n)

    def rates(w: np.ndarray, lab: np.ndarray, q_named: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """For votes of witnesses ``w`` naming an option labelled ``lab`` whose probability is
        ``q_named``: his habit read off his *other* propositions (the vote itself is the
        evidence being weighed: a label he names in one proposition only would otherwise be
        his habit because he named it there)."""
        at = w.astype(np.int64) * n_labels + lab
        if at_key is not None:
            at = at_key(at)
        qn = np.clip(q_named, 0.0, 1.0)
        hit = (true_hits[at] - qn + LABEL_PRIOR * k_acc[at]) / (true_[at] - qn + LABEL_PRIOR)
        false_hit = (false_hits[at] - (1 - qn) + LABEL_PRIOR * one_coin_false[at]) / (false_[at] - (1 - qn) + LABEL_PRIOR)
        return np.clip(hit, 1e-6, 1 - 1e-6), np.clip(false_hit, 1e-9, 1 - 1e-6)

    return rates


def _kept(memo: dict | None, name: str, key: np.ndarray, make, again=None):
    """``make()``, or what it gave for the same ``key`` in an earlier round (``memo``).
    ``again(old_key, old_value)``: the value for this key made from the earlier one (None where
    it cannot be: ``make()`` then)."""
    if memo is None:
        return make()
    was = memo.get(name)
    if was is not None and np.array_equal(was[0], key):
        return was[1]
    out = again(*was) if was is not None and again is not None else None
    if out is None:
        out = make()
    memo[name] = (key, out)
    return out


def _pair_votes_again(v: Votes, candidates: np.ndarray, old: np.ndarray, old_votes) -> tuple[np.ndarray, np.ndarray, np.ndarray] | None:
    """:func:`_pair_votes` of the ``candidates``, made from those of an earlier round's ``old``
    candidates where most are the same (else None): the votes of the pairs still there are kept,
    the new pairs' found, and the whole put in the order :func:`_pair_votes` gives (by
    proposition, then the pair's first vote, then its second), so that every sum over them is the
    same to the bit."""
    if 2 * len(np.intersect1d(old, candidates, assume_unique=True)) < len(candidates):
        return None
    pair, va, vb = old_votes
    where = np.searchsorted(candidates, old)
    still = (where < len(candidates)) & (candidates[np.minimum(where, len(candidates) - 1)] == old)
    rows = still[pair]
    fresh = candidates[~np.isin(candidates, old, assume_unique=True)]
    f_pair, f_a, f_b = _pair_votes(v, fresh)
    pair = np.r_[where[pair[rows]], np.searchsorted(candidates, fresh)[f_pair]]
    va, vb = np.r_[va[rows], f_a], np.r_[vb[rows], f_b]
    order = lex_order(v.item[va], np.minimum(va, vb), np.maximum(va, vb))
    return pair[order], va[order], vb[order]


def near_identical_groups(examined: np.ndarray, n_witnesses: int) -> np.ndarray:
    """A group label per witness: the connected groups of the pairs (keys ``a * n + b``) that
    agree on nearly everything they share (:func:`pair_agreement`); a witness in none is a group
    of his own."""
    from scipy.sparse import coo_matrix
    from scipy.sparse.csgraph import connected_components

    graph = coo_matrix((np.ones(len(examined)), (examined // n_witnesses, examined % n_witnesses)), shape=(n_witnesses, n_witnesses))
    return connected_components(graph, directed=False)[1]


def _without_group(v: Votes, post: np.ndarray, gain_at: Callable[[np.ndarray], np.ndarray], group: np.ndarray,
                   vote: np.ndarray) -> np.ndarray:
    """For each of these votes, the probability of its option with the votes of its voter's whole
    group taken out of every option of the proposition (the posterior is a softmax of summed
    gains: an option's probability without some votes is its own times ``exp(-their gain)``,
    renormalised). ``gain_at(rows)``: those votes' gains (:func:`vote_gain`)."""
    n_groups = int(group.max(initial=0)) + 1
    asked = np.zeros(n_groups, dtype=bool)
    asked[group[v.voter[vote]]] = True
    grp = group[v.voter]
    mine = np.flatnonzero(asked[grp])  # the votes of the groups asked about only
    # each (proposition, group, option) of theirs once, with the gain its votes give it
    key = v.item[mine].astype(np.int64) * n_groups + grp[mine]
    order = np.lexsort((v.slot[mine], key))
    key, slot, g = key[order], v.slot[mine][order], gain_at(mine[order])
    first = np.flatnonzero(np.r_[True, (key[1:] != key[:-1]) | (slot[1:] != slot[:-1])])
    key, slot, g = key[first], slot[first], np.add.reduceat(g, first) if len(g) else g
    # each vote asked about meets the options its (proposition, group) gave gains to
    wanted = v.item[vote].astype(np.int64) * n_groups + group[v.voter[vote]]
    lo, hi = np.searchsorted(key, wanted, "left"), np.searchsorted(key, wanted, "right")
    row = np.repeat(np.arange(len(vote)), hi - lo)
    at = np.arange(len(row)) - np.repeat(np.cumsum(hi - lo) - (hi - lo), hi - lo) + np.repeat(lo, hi - lo)
    slot, g = slot[at], g[at]
    norm = 1.0 + np.bincount(row, np.clip(post[slot], 0.0, 1.0) * np.expm1(-g), minlength=len(vote))
    own = slot == v.slot[vote][row]
    g_own = np.bincount(row[own], g[own], minlength=len(vote))
    return np.clip(post[v.slot[vote]], 0.0, 1.0) * np.exp(-g_own) / np.maximum(norm, 1e-300)
