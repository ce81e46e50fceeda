"""Witnesses' habits with answers that recur: when a "yes" from him means less than a "no".

Where the same answers recur across propositions — affirming and denying on yes/no
propositions, the classes of a classification task (``option_labels`` in
:mod:`srccrit.analysis.em`) — a witness may lean to one of them: an official who denies whatever
he is asked, an annotator who calls most pictures "no duck". The one-coin model gives each
testimony one reliability whatever it says, so his habitual answer counts as much as his rare
one. Dawid and Skene's confusion matrices capture this (*Maximum likelihood estimation of
observer error-rates using the EM algorithm*, Applied Statistics 28(1):20-28, 1979); the
reading here keeps the testimony model and adds to it, per witness ``w`` and label ``l``:

* ``hit``: his chance of naming ``l`` where it is true, and ``false_hit``: where another option
  is (per false option), counted over the disputed propositions he speaks to under the current
  posterior (the propositions where two or more labels are named: elsewhere a habit moves
  nothing), each drawn towards the model's own chances (``rho`` and ``(1 - rho) / (K - 1)``
  of his testimonies) by ``HABIT_PRIOR`` propositions' worth;
* a vote's E-step gain is then ``max(0, log-odds + log(K - 1) + habit)``, the habit being
  ``log(hit / false_hit)`` less the model's average gain of his votes naming ``l`` (so the
  testimony's own shifts stay: a cable still weighs more than a memoir). The M-step is the
  testimony model's own, and the habits are read again at every EM step (a Dawid-Skene EM).

Whether to read habits at all is a test, not a taste: the witnesses' own rates must explain
their namings better than the model's rates by more than their number of parameters times
``log(votes)`` (the BIC), and the witness of the median vote must have ``MIN_VOTES`` votes on
disputed recurring answers (half the votes cast by witnesses with that many: on TREC's relevance
judgments the median worker answers 17 questions, but most answers come from a few who answer
hundreds). It is made under two fits (:func:`test_habits`): the first one-coin fit, and
majority vote, for a bloc of witnesses who share one habit agree with each other as a reliable
bloc would, the one-coin fit may take them for it, and its posterior then explains their habit
away. Cases a historian writes never pass it, nor witnesses who err evenly (a
synthetic million claims: statistic 3,572 against a threshold of 42,717 on the eighth of its
witnesses the test samples beyond ``TEST_VOTES``); a crowd that answers
a hundred questions each with biases does. ``Reliability(habits=True)`` reads them whatever the
test says, ``habits=False`` never.

Measured on public crowdsourcing data with gold (Zheng et al., PVLDB 10(5), 2017; see
``benchmarks/realdata/crowd.py``): duck pictures 57% -> 87% right (majority vote 76%,
crowd-kit's Dawid-Skene 89%), face sentiment 62.3% -> 65.1% (64.0%), dog breeds 83.2% ->
83.5% (84.3%; the test passes there under majority vote only), TREC relevance 62.2% -> 69.8%
(70.2%), RTE 91.9% -> 92.9% (92.8%); product matches 93.0% -> 90.4% (94.0%: see the README's
*Accuracy on real data*). A prior on how common each label is (Dawid and
Skene have one), learned or fixed from the first fit, was tried and left out: on the face
sentiment data, whose four classes are equally common, it made one of them 63% of the answers
and cost 3 to 6 points (TREC: up to 10), though it would win back the product matches (93.2%).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from .em import Votes, disputed_items, disputed_labels, each_option, vote_logits

__all__ = ["Habits", "Namings", "namings_of", "read_habits", "test_habits", "HABIT_PRIOR", "HABIT_COLUMNS"]

#: a witness's habit with a label starts from this many votes' worth of the model's reliability
HABIT_PRIOR = 10.0

HABIT_COLUMNS = ["witness", "label", "votes", "hit", "false_hit", "habit"]


@dataclass
class Habits:
    """What :func:`read_habits` found: per (witness, label) ``table`` (``HABIT_COLUMNS``), the
    term each vote's log-odds receives and its chances, and the test."""

    columns: dict  # the table's columns (``HABIT_COLUMNS``), made into a DataFrame only when asked
    vote_term: np.ndarray
    vote_rates: np.ndarray  # per vote: its chance of naming its option where that is true, and where false (NaN: no habit)
    vote_false: np.ndarray  # per vote: its witness's chance of naming its option where that is false (NaN: no habit)
    statistic: float
    parameters: int
    threshold: float

    @property
    def table(self) -> pd.DataFrame:
        """Per (witness, label) his habit: ``HABIT_COLUMNS``."""
        return pd.DataFrame(self.columns, columns=HABIT_COLUMNS)

    @property
    def telling(self) -> bool:
        """The habits explain the votes better than their parameters' cost (BIC)."""
        return self.parameters > 0 and self.statistic > self.threshold


def _xlogy(x: np.ndarray, y: np.ndarray) -> np.ndarray:
    return np.where(x > 0, x * np.log(np.maximum(y, 1e-300)), 0.0)


#: posterior weight below which a label counts as never true (or never false) in a group
_NEVER = 1e-9

#: the test is made on the votes of a sample of the witnesses beyond this many votes
TEST_VOTES = 100_000
#: habits are read only where the witness of the median vote has this many votes on disputed recurring answers
MIN_VOTES = 2 * HABIT_PRIOR


@dataclass
class Namings:
    """What a witness's habits are counted over (see :func:`read_habits`), whatever the fit:
    every vote on a disputed proposition once per labelled option of it (``counted``, its
    ``option``), each (witness, label) group numbered (``group``, ``keys``), and the votes a
    habit weighs (``use``); sampled (see :func:`namings_of`) or whole."""

    counted: np.ndarray   # per row: the vote (position in the votes)
    option: np.ndarray    # per row: the option it is counted for
    named: np.ndarray     # per row: 1.0 where the vote names that option
    group: np.ndarray     # per row: its (witness, label) group
    keys: np.ndarray      # per group: witness * n_labels + label
    dense: bool           # groups numbered by their key itself (else by pd.factorize)
    code_of_slot: np.ndarray  # per option: its label's code among ``labels`` (-1: none)
    labels: np.ndarray    # the recurring labels counted
    use: np.ndarray       # the votes a habit weighs (named labels on disputed propositions)

    @property
    def n_labels(self) -> int:
        return len(self.labels)


def namings_of(v: Votes, sample: bool) -> Namings | None:
    """The layout of :class:`Namings` (None where no vote names a recurring label on a
    disputed proposition); ``sample``: of an evenly spaced sample of the witnesses beyond
    ``TEST_VOTES`` votes (deterministic: a statistic per parameter is as well read off a
    hundred thousand votes as off a million)."""
    if v.slot_label is None or not len(v.voter):
        return None
    labelled_slot = np.flatnonzero(v.slot_label >= 0)
    if not len(labelled_slot) or not (v.per_option[labelled_slot] > 0).any():
        return None
    # only where two or more labels are named does a habit move anything: it is read there
    disputed = disputed_items(v)
    labelled_slot = labelled_slot[disputed[v.slot_item[labelled_slot]]]
    if not len(labelled_slot):
        return None
    labels, slot_code = np.unique(v.slot_label[labelled_slot], return_inverse=True)
    n_labels = len(labels)
    code_of_slot = np.full(len(v.slot_item), -1, dtype=np.int64)
    code_of_slot[labelled_slot] = slot_code
    # every vote on a contested proposition, once per labelled option of it: where that option
    # is true (q) or false (1 - q), did he name it?
    on_disputed = disputed[v.item]
    every = 1
    n_contested = int(v.per_item[disputed].sum())
    if sample and n_contested > TEST_VOTES:
        every = int(np.ceil(n_contested / TEST_VOTES))
        on_disputed &= (np.arange(len(v.witnesses)) % every == 0)[v.voter]
    contested = np.flatnonzero(on_disputed)
    at, option = each_option(v, contested)
    vote = contested[at]
    on = code_of_slot[option] >= 0
    vote, option = vote[on], option[on]
    if not len(vote):
        return None
    named = (v.slot[vote] == option).astype(float)
    # groups: (witness, label), numbered witness * n_labels + label where that range is small
    key = v.voter[vote].astype(np.int64) * n_labels + code_of_slot[option]
    span = len(v.witnesses) * n_labels
    dense = span <= max(4 * len(key), 1 << 20)
    if dense:
        group, keys = key, np.arange(span)
    else:
        group, keys = pd.factorize(key, sort=True)
    use = contested[v.slot_label[v.slot[contested]] >= 0]  # the votes a habit weighs (on propositions where two labels are named)
    return Namings(vote, option, named, group, np.asarray(keys), dense, code_of_slot, labels, use)


def _median_vote_witness(per_witness: np.ndarray) -> float:
    """How many votes the witness of the median vote has: half the votes are cast by witnesses
    with at least this many. (A crowd where most workers answer a dozen questions and a few a
    thousand has most of its votes from witnesses whose habits can be read.)"""
    counts = np.sort(per_witness[per_witness > 0])
    if not len(counts):
        return 0.0
    return float(counts[np.searchsorted(np.cumsum(counts), counts.sum() / 2)])


def read_habits(v: Votes, post: np.ndarray, r: np.ndarray, shifts: np.ndarray | None = None,
                prior: float | None = None, test_only: bool = False, namings: Namings | None = None) -> Habits | None:
    """Each witness's habits with the recurring labels under the posterior ``post`` (per
    option), the skills ``r`` and the kinds' ``shifts`` of a fit without them (see the
    module); None where no vote names a recurring label. ``test_only``: the test alone (no
    vote's term, rates nor table: at a million votes they cost as much as the test).
    ``namings``: :func:`namings_of` the votes (whole), where the caller reads habits again and
    again (every EM step) and lays them out once."""
    if namings is None:
        namings = namings_of(v, sample=test_only)
    return None if namings is None else _read(v, namings, post, r, shifts, HABIT_PRIOR if prior is None else prior, test_only)


def test_habits(v: Votes, fits: list[tuple[np.ndarray, np.ndarray]], shifts: np.ndarray | None = None) -> list[Habits | None]:
    """The habits' test (see :func:`read_habits`, ``test_only``) under each of several fits,
    ``(skills, posterior)``, of the same votes: what is counted is laid out once."""
    namings = namings_of(v, sample=True)
    return [None if namings is None else _read(v, namings, post, r, shifts, HABIT_PRIOR, True) for r, post in fits]


def _read(v: Votes, n: Namings, post: np.ndarray, r: np.ndarray, shifts: np.ndarray | None, prior: float,
          test_only: bool) -> Habits:
    vote, option, named, code, keys = n.counted, n.option, n.named, n.group, n.keys
    n_groups, n_labels = len(keys), n.n_labels
    q = np.clip(post[option], 0.0, 1.0)
    lo = vote_logits(v, r, shifts, rows=None if not test_only else vote)
    lo_vote = lo if test_only else lo[vote]
    rho = 1.0 / (1.0 + np.exp(-lo_vote))
    k1 = v.k[v.item[vote]] - 1.0

    def total(weights):
        return np.bincount(code, weights, minlength=n_groups)

    true_, false_ = total(q), total(1 - q)
    true_hits, false_hits = total(q * named), total((1 - q) * named)
    # the model's own chances, which a habit starts from: naming a true option rho, a false one
    # (1 - rho) / (K - 1); where a label is never true (or never false) under the posterior, his
    # votes' average chances: not 0, which would make it a habit never to be right with it
    count = np.maximum(total(None), 1)
    model_hit = np.where(true_ > _NEVER, total(q * rho) / np.maximum(true_, _NEVER), total(rho) / count)
    model_false = np.where(false_ > _NEVER, total((1 - q) * (1 - rho) / k1) / np.maximum(false_, _NEVER), total((1 - rho) / k1) / count)
    hit = (true_hits + prior * model_hit) / (true_ + prior)
    false_hit = (false_hits + prior * model_false) / (false_ + prior)
    log_ratio = np.log(np.clip(hit, 1e-9, 1.0)) - np.log(np.clip(false_hit, 1e-9, 1.0))

    # the test: the namings' likelihood with each group's own rates against the model's rates
    def loglik(h, f):
        return (_xlogy(true_hits, h) + _xlogy(true_ - true_hits, 1 - h) + _xlogy(false_hits, f) + _xlogy(false_ - false_hits, 1 - f)).sum()

    mle_hit = np.clip(true_hits / np.maximum(true_, 1e-12), 1e-9, 1 - 1e-9)
    mle_false = np.clip(false_hits / np.maximum(false_, 1e-12), 1e-9, 1 - 1e-9)
    statistic = 2.0 * float(loglik(mle_hit, mle_false) - loglik(np.clip(model_hit, 1e-9, 1 - 1e-9), np.clip(model_false, 1e-9, 1 - 1e-9)))
    present = keys[(true_ + false_) > 0]
    parameters = 2 * len(present) - len(np.unique(present // n_labels))
    use = n.use
    threshold = parameters * float(np.log(max(len(use), 2)))
    per_witness = np.bincount(v.voter[use], minlength=len(v.witnesses))
    if _median_vote_witness(per_witness) < MIN_VOTES:
        threshold = np.inf  # too few votes apiece to read a habit off, whatever the test says
    if test_only:
        return Habits({c: [] for c in HABIT_COLUMNS}, np.zeros(0), np.zeros((0, 2)), np.zeros(0), statistic, parameters, threshold)

    # a vote's term: his habit's likelihood ratio for the label he names, less what the model
    # gives his votes naming it on average (the testimony's own shifts stay)
    k1_use = v.k[v.item[use]] - 1.0
    use_key = v.voter[use].astype(np.int64) * n_labels + n.code_of_slot[v.slot[use]]
    at = use_key if n.dense else np.searchsorted(keys, use_key)  # each used vote's own option is in its group
    votes = np.bincount(at, minlength=n_groups)
    habit = log_ratio - np.bincount(at, lo[use] + np.log(k1_use), minlength=n_groups) / np.maximum(votes, 1)
    vote_term = np.zeros(len(v.voter))
    vote_term[use] = habit[at]
    # and its chances of naming its option, read without the vote itself (they predict it: the
    # temperature is fitted on how well each vote is foretold by the rest)
    q_own = np.clip(post[v.slot[use]], 0.0, 1.0)
    vote_rates = np.full((len(v.voter), 2), np.nan)
    vote_rates[use, 0] = (true_hits[at] - q_own + prior * model_hit[at]) / (true_[at] - q_own + prior)
    vote_rates[use, 1] = (false_hits[at] - (1 - q_own) + prior * model_false[at]) / (false_[at] - (1 - q_own) + prior)
    vote_false = np.full(len(v.voter), np.nan)
    vote_false[use] = false_hit[at]
    spoken = np.flatnonzero(votes > 0)  # the groups he has disputed votes in
    ids = np.asarray(v.witnesses, dtype=object)
    names = np.asarray(v.label_names, dtype=object)
    columns = {"witness": ids[keys[spoken] // n_labels], "label": names[n.labels[keys[spoken] % n_labels]], "votes": votes[spoken].astype(int),
               "hit": hit[spoken], "false_hit": false_hit[spoken], "habit": habit[spoken]}
    return Habits(columns, vote_term, vote_rates, vote_false, statistic, parameters, threshold)
