"""How far each witness can be trusted: a source-critical prior updated by corroboration.

**Model** (one-coin Dawid-Skene, Dawid & Skene 1979, *Applied Statistics* 28(1):20-28,
doi:10.2307/2346806, with Beta priors on the skills). Each proposition *i* has an unknown true
option *t_i*: true/false for a boolean proposition; for a valued one, one of its sides or
"some other value" (so *K_i* = sides + 1). Each witness *w* speaks truly with probability
*r_w*; when wrong, it picks any other option with equal probability::

    P(vote = k | t_i = j) = r_w                  if k == j
                          = (1 - r_w)/(K_i - 1)  otherwise
    r_w ~ Beta(a_w, b_w)                         (the source-critical prior, below)

Each independent **line** of evidence casts one vote, in the name of its origin witness (a
claim repeated through a ``via`` chain or a derivative book does not vote again). EM alternates
the posterior over each proposition's options (E) and the skills (M)::

    P(t_i = j | votes) ∝ exp(sum over the votes for j of  max(0, log(r_w (K_i - 1) / (1 - r_w))))
    r_w = (a_w + sum of P(vote correct)) / (a_w + b_w + number of votes)

**A witness worse than a guess is disregarded, not read backwards.** Under the plain one-coin
likelihood a witness estimated below chance (r_w < 1/K_i; below 0.5 on a yes/no question)
would count as evidence *against* what he says, so that a new witness agreeing with someone
could lower that witness's reliability. Source criticism discounts an untrustworthy witness;
it does not invert him. So each vote's weight for the option it names is floored at zero (the
``max`` above): the E-step departs from the plain likelihood only for such votes, and the fit
is the fixed point of this EM. His reliability is still estimated, may be reported below 0.5,
and his reasons say that his testimony is given no weight.

All of it is vectorised with ``numpy.bincount`` over the votes, and the EM is accelerated by
SQUAREM (see :func:`run_em`). Archival documents enter as witnesses with strong priors, not as
hard-coded truth.

**Testimony.** Each vote carries its testimony's shift of the witness's skill (kind of source,
estimated by the EM; delay, basis, admission against interest, hostile corroboration, fixed) and
its informativeness; see :mod:`srccrit.analysis.testimony`. ``Reliability(testimony=False)`` is
the plain model above.

**Copying and habits.** Witnesses found to copy one another have the copier's agreeing votes
discounted (:mod:`srccrit.analysis.copying`); where answers recur across propositions and a test
says it tells, each witness's habit with each answer is read at every EM step, as Dawid and
Skene's confusion matrices read it (:mod:`srccrit.analysis.habits`).

**Prior** (``PRIOR_TABLE``; every adjustment is stated in the witness's ``reasons``):

==============================  ========================================================
base by proximity               participant .65, eyewitness .70, official .65, document .85,
                                contemporary .65, secondhand .55, historian .70, reviewer .60,
                                not stated .60
hostility                       hostile to a witness on the other side of a contradiction
                                with him -.05; hostile to a witness, no contradiction -.02
explicit override               ``prior:`` on the witness replaces all of the above
strength (pseudo-counts)        4; 12 for documents; ``prior_strength:`` overrides
==============================  ========================================================

The result is clipped to [0.05, 0.95]; a = prior x strength, b = (1 - prior) x strength.

Example::

    >>> from srccrit import load_case, Reliability
    >>> est = Reliability().fit(load_case())
    >>> est.reliability_.loc["kovalev", ["reliability", "low", "high"]]  # doctest: +SKIP
"""

from __future__ import annotations

from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor

import numpy as np
import pandas as pd
import pyarrow.compute as pc
from scipy.special import betaincinv

from .._arrays import as_arrow_text, factorize, take
from .._gc import paused_gc
from .._text import share_text
from ..errors import UsageError
from .copying import (COPY_ROUNDS, COPY_SETTLED, COPYING_COLUMNS, EXAMINE_AGREEMENT, MIN_AGREEMENT, find_copying, near_identical_groups,
                      pair_agreement)
from .em import Testimony, Votes, _posterior, build_votes, fit_temperature, log_likelihood, run_em, vote_logits
from .habits import HABIT_COLUMNS, namings_of, read_habits, test_habits
from .testimony import KIND_MEAN, KIND_NAMES, _first_best, describe_kind, testimony_of, votes_testimony
from .evidence import claim_flags, codes_memo, codes_of, group_codes, lex_order, positions, positions_and_lines, sorted_unique, table_values

__all__ = ["Reliability", "testimonies", "TESTIMONY_COLUMNS", "PRIOR_TABLE", "RANK_DECIMALS", "by_reliability", "prior", "reliability", "propositions", "Votes", "build_votes", "run_em"]

PRIOR_TABLE = {
    "participant": 0.65, "eyewitness": 0.70, "official": 0.65, "document": 0.85,
    "contemporary": 0.65, "secondhand": 0.55, "historian": 0.70, "reviewer": 0.60, None: 0.60,
}


def prior(case, evidence: pd.DataFrame | None = None, strength: float = 4.0, document_strength: float = 12.0) -> pd.DataFrame:
    """The source-critical prior of each witness: ``prior``, ``strength``, ``a``, ``b``, ``prior_reasons``."""
    ev = positions(case) if evidence is None else evidence
    w = case.witnesses
    # proximity as codes over the table's words (-1: not stated or not one of them)
    known = [k for k in PRIOR_TABLE if k is not None]
    prox_code = pd.Categorical(w["proximity"].to_numpy(dtype=object), categories=known).codes.astype(np.int64)
    base = np.array([PRIOR_TABLE[k] for k in known] + [PRIOR_TABLE[None]])[prox_code]
    p = base.copy()

    # hostility: only witnesses who declare it need the opponents' list
    hostile_to = w["hostile_to"].to_numpy(dtype=object)
    hostile_pos = [i for i, hs in enumerate(hostile_to.tolist()) if hs]
    hostility_note: dict[int, str] = {}
    if hostile_pos:
        ids = w.index.tolist()
        hostile_ids = [ids[i] for i in hostile_pos]
        plain = ev[ev["side"] >= 0][["proposition", "side", "witness"]].astype({"proposition": object, "witness": object})
        counted = plain[plain["witness"].isin(hostile_ids)].drop_duplicates()
        others = plain[plain["proposition"].isin(set(counted["proposition"]))].drop_duplicates()
        opp = counted.merge(others, on="proposition")
        opp = opp[opp["side_x"] != opp["side_y"]]
        opponents = opp.groupby("witness_x")["witness_y"].agg(set).to_dict()
        names = dict(zip(ids, w["name"].tolist()))
        for i, wid in zip(hostile_pos, hostile_ids):
            hostile = [h for h in hostile_to[i] if h in names]
            against = [h for h in hostile if h in opponents.get(wid, set())]
            if against:
                p[i] -= 0.05
                hostility_note[i] = "hostile to " + ", ".join(names[h] for h in against) + ", who contradicts him (−)"
            elif hostile:
                p[i] -= 0.02
                hostility_note[i] = "hostile to " + ", ".join(names[h] for h in hostile) + " (−)"

    override = w["prior"].to_numpy(dtype=float)
    p = np.where(np.isnan(override), p, override)
    p = np.clip(p, 0.05, 0.95)
    s = np.where(prox_code == known.index("document"), document_strength, strength)
    s = np.where(np.isnan(w["prior_strength"].to_numpy(dtype=float)), s, w["prior_strength"].to_numpy(dtype=float))

    reasons = []
    for i, (x, b0, set_to) in enumerate(zip(np.array(known + [None], dtype=object)[prox_code].tolist(), base.tolist(), override.tolist())):
        if set_to == set_to:  # not NaN: the case sets the prior
            reasons.append([f"prior set by the case: {set_to:.2f}"])
            continue
        x = x if isinstance(x, str) else None
        rs = [f"{x or 'proximity not stated'}: base {b0:.2f}" + (" (+)" if b0 > 0.62 else " (−)" if b0 < 0.6 else "")]
        if i in hostility_note:
            rs.append(hostility_note[i])
        reasons.append(rs)
    out = pd.DataFrame({"prior": p, "strength": s, "a": p * s, "b": (1 - p) * s, "prior_reasons": reasons}, index=w.index.rename("witness"))
    return out


def _count_by_flags(group: np.ndarray, flags: np.ndarray, n_groups: int, n_flags: int = 4) -> np.ndarray:
    """``(n_groups, n_flags)`` counts of rows per group and flag value: one unweighted bincount
    (numpy turns boolean weights into a float copy first, several times slower)."""
    key = group * n_flags
    key += flags
    return np.bincount(key, minlength=n_groups * n_flags).reshape(n_groups, n_flags)


class Reliability:
    """Estimate each witness's reliability (an estimator in the scikit-learn manner).

    Parameters
    ----------
    n_iter, tol:
        EM iterations at most (with copy detection, over all its refits together: ``n_iter_``
        is their sum), and the change in every skill below which it stops.
    strength, document_strength:
        Beta pseudo-counts of the source-critical prior (documents get the stronger prior).
    interval:
        Width of the credible interval reported as ``low``/``high`` (0.9: 5% to 95%).
    as_of:
        Only sources available by this date count (``None``: all).
    testimony:
        Weigh each vote by its testimony (kind, delay, basis, interest; see
        :mod:`srccrit.analysis.testimony`); ``False``: every vote is its witness's plain vote.
    copying:
        Find witnesses who copy one another (identical on every contested proposition they share,
        or sharing false values) and discount the copier's agreeing votes (see
        :mod:`srccrit.analysis.copying`); on by default; ``False``: only declared dependence counts.
    temper:
        Temper the reported probabilities for evidence more correlated than the model knows (see
        :func:`srccrit.analysis.em.fit_temperature`: the temperature is fitted on the case itself,
        by how well each line is predicted from the others); ``False``: the untempered posterior.
    habits:
        Read each witness's habits with answers that recur across propositions (a "yes" that
        means less from one who affirms everything; see :mod:`srccrit.analysis.habits`):
        ``"auto"`` (default) where they explain the votes better than their number of
        parameters costs (BIC), ``True`` always, ``False`` never.

    Learned attributes
    ------------------
    ``reliability_`` (DataFrame by witness: name, reliability, low, high, prior, claims,
    corroborated, contradicted, reasons), ``propositions_`` (see :func:`propositions`),
    ``evidence_``, ``votes_``, ``posterior_``, ``n_iter_``, ``converged_``, ``kind_shifts_``,
    ``testimonies_``, ``copying_`` (pairs found to copy: ``COPYING_COLUMNS``), ``temperature_``
    (1: untempered), ``habits_`` (per witness and recurring answer, ``HABIT_COLUMNS``: empty
    where habits were not read) and ``habit_test_`` (the BIC test: statistic, parameters,
    threshold, read; under the first fit, or under majority vote where only that one passes).
    """

    def __init__(self, n_iter: int = 500, tol: float = 1e-8, strength: float = 4.0, document_strength: float = 12.0,
                 interval: float = 0.9, as_of: str | None = None, testimony: bool = True, copying: bool = True,
                 temper: bool = True, habits: bool | str = "auto"):
        if habits not in (True, False, "auto"):
            raise UsageError(f"habits must be True, False or 'auto', not {habits!r}")
        _check_params(n_iter=n_iter, tol=tol, strength=strength, document_strength=document_strength, interval=interval,
                      testimony=testimony, copying=copying, temper=temper)
        self.habits = habits
        self.n_iter = n_iter
        self.copying = copying
        self.temper = temper
        self.testimony = testimony
        self.tol = tol
        self.strength = strength
        self.document_strength = document_strength
        self.interval = interval
        self.as_of = as_of

    _PARAMS = ("n_iter", "tol", "strength", "document_strength", "interval", "as_of", "testimony", "copying", "temper", "habits")

    def get_params(self) -> dict:
        """The parameters given to ``__init__`` (as scikit-learn's estimators have them): refits
        made for this fit (fragility's, say) are made with the same model."""
        return {k: getattr(self, k) for k in self._PARAMS}

    def __repr__(self) -> str:
        params = ", ".join(f"{k}={v!r}" for k, v in self.get_params().items())
        return f"Reliability({params})"

    def fit(self, case, claims: pd.DataFrame | None = None) -> "Reliability":
        given_claims = claims
        if claims is None:
            claims = case.available_claims(self.as_of)
        sub = case.with_claims(claims)
        # every stage reads the same claim columns' codes; the fit builds lists and strings by
        # the ten thousand, none in a cycle: no collector passes over the case meanwhile
        with codes_memo(), paused_gc():
            ev, lines = positions_and_lines(sub)
            votes = build_votes(sub, ev, lines)
            criteria = None
            with ThreadPoolExecutor(max_workers=1) as pool:
                # which witnesses agree on nearly everything needs the votes only: it runs on the
                # second core while the priors and testimonies are read (a sixth of the fit at a
                # million claims)
                agreement = pool.submit(pair_agreement, votes, min_agreement=EXAMINE_AGREEMENT) if self.copying else None
                # (the priors after it on that core: the testimonies here take longer)
                priors = pool.submit(prior, sub, ev, self.strength, self.document_strength)
                if self.testimony:
                    criteria = testimony_of(sub, ev)
                    votes.testimony = votes_testimony(votes, ev, criteria)
                    if agreement is not None:
                        votes.testimony.option_products(votes)  # the EM's layout, made while the pairs are still counted
                rows = sub.rows_of("witnesses", votes.witnesses)  # the prior is in table order, the votes' in id order
                pri = priors.result()
                a = take(pri["a"].to_numpy(), rows, np.nan)
                b = take(pri["b"].to_numpy(), rows, np.nan)
                agreement = agreement.result() if agreement is not None else None
            copying = habits = None
            if self.copying or self.habits is not False:
                r, post, it, ok, shifts, copying, habits = _fit_rounds(votes, a, b, self.n_iter, self.tol, agreement, self.copying, self.habits)
            else:
                r, post, it, ok, shifts = run_em(votes, a, b, self.n_iter, self.tol)
            self.copying_ = copying.pairs if copying is not None else pd.DataFrame({c: [] for c in COPYING_COLUMNS})
            last, test = habits if habits is not None else (None, None)
            read = votes.testimony is not None and votes.testimony.habit is not None
            self.habits_ = last.table if read else pd.DataFrame({c: [] for c in HABIT_COLUMNS})
            self.habit_test_ = {"statistic": test.statistic, "parameters": test.parameters, "threshold": test.threshold,
                                "read": read} if test is not None else {"statistic": 0.0, "parameters": 0, "threshold": 0.0, "read": False}
            self.temperature_ = 1.0
            if self.temper:
                self.temperature_ = fit_temperature(votes, r, shifts)
                if votes.testimony is not None and votes.testimony.habit is not None:
                    # reading habits fits each witness closer to his own votes, and the held-out
                    # votes then look better foretold than the case warrants (on a crowd's face
                    # sentiment labels the temperature rose from 0.39 to 0.97, and 401 answers given
                    # p >= .99 were right 74% of the time): the bolder of the two is not taken
                    self.temperature_ = min(self.temperature_, fit_temperature(votes, r, shifts, habits=False))
                votes.temperature = self.temperature_
                if self.temperature_ != 1.0:
                    post = _posterior(votes, r, shifts=shifts)
            self.evidence_, self.votes_, self.posterior_ = ev, votes, post
            self.n_iter_, self.converged_ = it, ok
            self.prior_ = pri
            self.skills_ = pd.Series(r, index=votes.witnesses.rename(None), name="reliability")  # a copy of the index
            self.kind_shifts_ = _kind_shifts(votes, shifts)
            with ThreadPoolExecutor(max_workers=1) as pool:  # the intervals' inverse Betas beside the tables (a ufunc: no GIL)
                bounds = pool.submit(_credible_interval, votes, r, post, a, b, self.interval)
                self._propositions, self._propositions_valued = _resolve(sub, votes, post), None
                self._reliability, self._write_reasons = _report(sub, ev, votes, pri, r, post, a, b, bounds.result)
            self._case, self._criteria, self._testimony_table = sub, criteria, None
            self._whole_case = case if given_claims is None and self.as_of is None else None  # see fitted_on_whole
            self._kept = None  # results derived from this fit, kept for one case object (see kept_for)
            if criteria is not None:
                self._claim_shift = _claim_shifts(criteria, votes, shifts)
        return self

    @property
    def propositions_(self) -> pd.DataFrame:
        """Each proposition resolved (see :func:`propositions`), with ``best_side`` (the side the
        value is, -1 for "some other value"); a valued proposition's ``value`` is read off the
        evidence the first time it is asked for (its written label: at a million claims, a pass
        a fit that only wants the probabilities does not pay for)."""
        if self._propositions_valued is None:
            self._propositions_valued = _with_values(self._propositions, self.evidence_)
        return self._propositions_valued

    @property
    def reliability_(self) -> pd.DataFrame:
        """One row per witness, most reliable first: his reliability with its interval, prior,
        claims, lines, corroborated and contradicted claims and the reasons in words (written on
        first use: for a hundred thousand witnesses the words cost more than the fit)."""
        table = self._reliability  # AttributeError before fit, as for any learned attribute
        if self._write_reasons is not None:
            write, self._write_reasons = self._write_reasons, None
            with codes_memo(), paused_gc():
                write(table)
                if self._criteria is not None:
                    _add_testimony_reasons(table, self.evidence_, self.votes_, self.skills_.to_numpy(), self._criteria, self._claim_shift)
                _add_copying_reasons(table, self.copying_, self._case)
                _add_habit_reasons(table, self.habits_)
        return table

    @property
    def testimonies_(self) -> pd.DataFrame:
        """One row per claim: its testimony's kind, delay, basis, interest, shift and reliability
        (built on first use: a million-row table the fit itself does not need)."""
        if self._testimony_table is None:
            self._testimony_table = _testimonies(self)
        return self._testimony_table

    def fitted_on_whole(self, case, **params) -> bool:
        """Whether this is the fit of every claim of ``case`` (no ``as_of``, no claims chosen)
        with these parameters (the others as given to ``__init__``): a fit that others can
        take instead of making their own."""
        mine = self.get_params()
        return getattr(self, "_whole_case", None) is case and all(mine[k] == v for k, v in (Reliability(**params).get_params() | {"as_of": None}).items())

    def kept_for(self, case) -> dict:
        """A dict for results derived from this fit and ``case`` (the requirement table, each
        conclusion's evidence: a notebook asks for them several times), emptied when asked for
        another case object and by the next fit."""
        if self._kept is None or self._kept[0] is not case:
            self._kept = (case, {})
        return self._kept[1]

    def claim_reliability(self, rows) -> np.ndarray:
        """The reliability of the testimony of the claims at these rows of the fitted case's
        claims: the ``reliability`` column of ``testimonies_`` at those rows, without building
        the table (a million rows for one conclusion's ledger)."""
        rows = np.asarray(rows, dtype=np.int64)
        if self._testimony_table is not None:
            return self._testimony_table["reliability"].to_numpy()[rows]
        witness = self.evidence_["witness"].iloc[rows].astype(object).to_numpy()
        skill = self.skills_.reindex(witness).to_numpy(dtype=float)
        if self._criteria is None:
            return skill
        return _sigmoid(_logit(skill) + self._claim_shift[rows])

    def line_reliability(self, lines) -> np.ndarray:
        """The reliability of the testimony each of these lines of evidence (numbers of
        ``evidence_["line"]``) votes with; NaN for -1."""
        v = self.votes_
        rho = _sigmoid(vote_logits(v, self.skills_.to_numpy(), self.kind_shifts_["shift"].to_numpy()))
        lines = np.asarray(lines, dtype=np.int64)
        at = np.full(int(max(v.line_ids.max(initial=-1), lines.max(initial=-1))) + 1, -1, dtype=np.int64)
        at[v.line_ids] = np.arange(len(v.line_ids))
        vote = np.where(lines >= 0, at[np.maximum(lines, 0)], -1) if len(at) else np.full(len(lines), -1)
        return np.where(vote >= 0, rho[np.maximum(vote, 0)] if len(rho) else np.nan, np.nan)

    def fit_predict(self, case) -> pd.DataFrame:
        return self.fit(case).reliability_


def fitted_for(estimator, case, as_of=None, where: str = "") -> "Reliability":
    """``estimator``, where it is a :class:`Reliability` fitted on ``case`` (the same case, a copy
    of it loaded again, or some of its claims, as ``what_if`` fits) as of ``as_of`` (None: as of
    whatever date it was fitted); else a :class:`UsageError` saying what it was fitted on. A
    notebook cell run after the case was reloaded from other files, or given the fit of another
    case, gave that case's results without a word."""
    at = f"{where}: " if where else ""
    fitted = getattr(estimator, "_case", None) if isinstance(estimator, Reliability) else None
    if fitted is None:
        raise UsageError(f"{at}the estimator must be a Reliability fitted on the case (srccrit.Reliability().fit(case)), "
                         f"not {'an unfitted one' if isinstance(estimator, Reliability) else type(estimator).__name__}")
    if fitted.id != case.id:
        raise UsageError(f"{at}the estimator was fitted on case {fitted.id!r}, not on {case.id!r}")
    if as_of is not None and _as_of_key(estimator.as_of) != _as_of_key(as_of):
        raise UsageError(f"{at}the estimator was fitted as of {estimator.as_of!r}, not as of {as_of!r}: fit one with "
                         f"Reliability(as_of={as_of!r}) or leave it out")
    if estimator._whole_case is case or fitted.claims is case.claims:
        return estimator
    if not (fitted.witnesses.index.equals(case.witnesses.index) and fitted.propositions.index.equals(case.propositions.index)):
        raise UsageError(f"{at}the estimator was fitted on another version of case {case.id!r} (its witnesses or propositions "
                         f"differ): fit it again on this one")
    ids = fitted.claims["id"]
    if len(ids) > len(case.claims) or not ids.isin(case.claims["id"]).all():
        raise UsageError(f"{at}the estimator was fitted on claims case {case.id!r} does not have (another version of the "
                         f"case?): fit it again on this one")
    return estimator


def _as_of_key(as_of):
    """An as-of date as the day range it names (None for none), so that 1994 and "1994" match."""
    if as_of is None:
        return None
    from ..dates import parse_date

    try:
        value = parse_date(as_of)
    except ValueError:
        return str(as_of)
    return value.start, value.end


def _check_params(**params) -> None:
    """The estimator's parameters in their ranges, else a :class:`UsageError` naming the one
    that is not (a 90% interval given as 90, a negative prior strength...)."""
    def real(x) -> bool:
        return isinstance(x, (int, float, np.integer, np.floating)) and not isinstance(x, (bool, np.bool_)) and np.isfinite(x)

    n_iter = params["n_iter"]
    if not (isinstance(n_iter, (int, np.integer)) and not isinstance(n_iter, bool) and n_iter >= 0):
        raise UsageError(f"n_iter must be a whole number of EM steps, 0 or more, not {n_iter!r}")
    for name in ("tol", "strength", "document_strength"):
        if not (real(params[name]) and params[name] > 0):
            raise UsageError(f"{name} must be a number above 0, not {params[name]!r}")
    if not (real(params["interval"]) and 0 < params["interval"] < 1):
        raise UsageError(f"interval must be a probability strictly between 0 and 1 (0.9 for a 90% interval), not {params['interval']!r}")
    for name in ("testimony", "copying", "temper"):
        if not isinstance(params[name], (bool, np.bool_)):
            raise UsageError(f"{name} must be True or False, not {params[name]!r}")


def _fit_rounds(votes: Votes, a, b, n_iter: int, tol: float, agreement: tuple[np.ndarray, np.ndarray] | None, copying: bool,
                habits: bool | str):
    """Fit, then refit with what the fit reveals until it settles: each copier's agreeing votes
    discounted (``copying``; see :mod:`srccrit.analysis.copying`), each witness's habits with
    recurring answers read (``habits``; see :mod:`srccrit.analysis.habits`). Returns the fit,
    the last :class:`Copying` and (the last :class:`Habits`, the first, the test's) or None.

    Pairs who agree on nearly every contested proposition are first counted once (a fit in
    which a majority of copiers cannot make itself the truth); from that fit on, every pair is
    judged by the false values it shares, and every pair that agrees nearly always too.
    ``agreement``: :func:`pair_agreement` of the votes at ``EXAMINE_AGREEMENT``. Whether habits
    are read (``"auto"``) is decided once, by their test under the first fit and under majority
    vote; once read they are read again at every EM step (a Dawid-Skene EM) from both starts,
    the likelier fit (:func:`log_likelihood`) is kept, and the copy test sees its posterior."""
    found = None
    previous = np.ones(len(votes.voter))
    examined = group = None
    memo: dict = {}  # what the copy rounds share (see find_copying)
    if copying:
        examined, share = agreement
        suspects = examined[share >= MIN_AGREEMENT]
        group = near_identical_groups(examined, len(votes.witnesses))
        if len(suspects):
            found = find_copying(votes, None, None, suspects=suspects)
            previous = _discount(votes, found.factor)
    # the rounds' fits only decide the discounts (a factor settles to COPY_SETTLED): they stop at
    # ROUND_TOL, and the fit under the settled discount is carried on to ``tol`` from where the
    # last round left it (a third fewer EM steps at a million claims). ``n_iter`` bounds the EM
    # steps of all the fits together
    round_tol = max(tol, ROUND_TOL)
    fit = run_em(votes, a, b, n_iter, round_tol)  # the first fit, the suspects counted once: no group votes for itself
    first = fit[0]
    steps = fit[2]
    test = last = refresh = None
    copy_round = None  # the first copy round's finding, made beside the habits' test on the same fit
    if habits is not False:
        majority = _majority_start(votes, a, b)
        with ThreadPoolExecutor(max_workers=1) as pool:
            tested = pool.submit(test_habits, votes, [(fit[0], fit[1]), majority], fit[4])
            if copying:
                copy_round = find_copying(votes, fit[1], fit[0], rank=first, suspects=examined, shifts=fit[4], group=group, memo=memo)
            test, test_majority = tested.result()
        telling = [t for t in (test, test_majority) if t is not None and (habits is True or t.telling)]
        if telling:
            test = telling[0]
            copy_round = None  # the habits move the posterior the copy test reads
            _neutral_testimony(votes)
            namings = namings_of(votes, sample=False)  # what the habits are counted over, whatever the fit

            def refresh(post: np.ndarray, r: np.ndarray, shifts: np.ndarray) -> float:
                nonlocal last
                was = votes.testimony.habit
                read = read_habits(votes, post, r, shifts, namings=namings)
                if read is None:
                    return 0.0
                last = read
                votes.testimony.habit, votes.testimony.habit_rates = read.vote_term, read.vote_rates
                votes.testimony.option_products(votes)  # the E-step's sums take the new terms
                return float(np.abs(read.vote_term - was).max(initial=0.0)) if was is not None else np.inf

            # two starts, the likelier kept: the first fit's and majority vote's. A bloc of
            # witnesses who share one habit (half a crowd that denies most things) agree with
            # each other as a reliable bloc would, and the one-coin fit may take them for it; read
            # from there, their habit is explained away. Majority vote is not fooled by them the
            # same way, and the data tell which of the two fixed points explains the votes better
            tried = []
            for r0, post0 in ((fit[0], fit[1]), majority):
                votes.testimony.habit = votes.testimony.habit_rates = None
                refresh(post0, r0, fit[4])
                got = run_em(votes, a, b, n_iter - steps, round_tol, start=(r0, fit[4]), refresh=refresh)
                steps += got[2]
                ll = log_likelihood(votes, got[0], got[4], last.vote_false if last is not None else None)
                tried.append((ll, got, last, votes.testimony.habit, votes.testimony.habit_rates))
            _, fit, last, votes.testimony.habit, votes.testimony.habit_rates = max(tried, key=lambda x: x[0])
            votes.testimony.option_products(votes)
    final = None  # the last fit carried on to ``tol``, if made ahead
    settling = False
    with ThreadPoolExecutor(max_workers=1) as pool:
        for _ in range(COPY_ROUNDS if copying else 0):
            ahead = None
            if settling and copy_round is None and refresh is None and round_tol > tol and steps < n_iter:
                # the last round moved few discounts: this one will likely find them settled, and
                # the fit carried on to ``tol`` is made on the second core meanwhile (the same
                # computation as after the loop; it reads nothing the copy test changes)
                ahead = pool.submit(run_em, votes, a, b, n_iter - steps, tol, (fit[0], fit[4]))
            found = copy_round or find_copying(votes, fit[1], fit[0], rank=first, suspects=examined, shifts=fit[4], group=group, memo=memo)
            copy_round = None
            moved = np.abs(found.factor - previous)
            if moved.max(initial=0.0) < COPY_SETTLED or steps >= n_iter:
                final = ahead.result() if ahead is not None else None
                break
            if ahead is not None:
                ahead.result()  # not needed; waited for, as it reads the discounts about to change
            settling = np.count_nonzero(moved >= COPY_SETTLED) <= SETTLING_SHARE * np.count_nonzero(found.factor < 1)
            previous = _discount(votes, found.factor)
            fit = run_em(votes, a, b, n_iter - steps, round_tol, start=(fit[0], fit[4]), refresh=refresh)
            steps += fit[2]
    converged = fit[3] and round_tol <= tol
    if not converged and steps < n_iter:
        fit = final or run_em(votes, a, b, n_iter - steps, tol, start=(fit[0], fit[4]), refresh=refresh)
        steps, converged = steps + fit[2], fit[3]
    return (fit[0], fit[1], steps, converged, fit[4], found, None if test is None else (last, test))


def _majority_start(votes: Votes, a: np.ndarray, b: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Majority vote as a fit: the most-named option of each proposition true (ties share), each
    witness's skill the share of his votes naming it (with his prior). Not each option's share
    of the votes: under so soft a posterior every witness seems to name false values often, and
    the habits' test passed on text values where the truth was nearly always one of five (and
    reading habits there halved the answers right)."""
    count = votes.per_option.astype(float)
    top = np.maximum.reduceat(count, votes.offsets)[votes.slot_item] if len(count) else count
    post = (count == top).astype(float)
    post /= np.bincount(votes.slot_item, post, minlength=len(votes.offsets))[votes.slot_item]
    r = (a + np.bincount(votes.voter, post[votes.slot], minlength=len(a))) / (a + b + votes.per_witness)
    return r, post


#: how far the fits made to find the copies are carried (the last is then carried to ``tol``)
ROUND_TOL = 1e-5
#: a copy round whose refit moved at most this share of the discounted votes' factors (by
#: ``COPY_SETTLED``) is taken to be settling: the next round's fit to ``tol`` is made beside its
#: copy test (at a million claims the last round moved 4 of 9,733)
SETTLING_SHARE = 0.01


def _neutral_testimony(votes: Votes) -> None:
    """Plain votes get a testimony that adds nothing (to carry discounts and habits)."""
    if votes.testimony is None:
        n = len(votes.voter)
        votes.testimony = Testimony(shift=np.zeros(n), kind=np.full(n, -1, dtype=np.int64), kinds=[], kind_mean=np.zeros(0),
                                    kind_sd=1.0, weight=np.ones(n), claim_row=np.full(n, -1, dtype=np.int64))


def _discount(votes: Votes, factor: np.ndarray) -> np.ndarray:
    """Give the votes their independence factors; returns ``factor``."""
    _neutral_testimony(votes)
    votes.testimony.independence = factor
    return factor


def _add_copying_reasons(rel: pd.DataFrame, pairs: pd.DataFrame, case) -> None:
    """The copier: "agrees with X on 14 of 15 shared propositions, 6 values probably false:
    likely copies him (P 0.99), his agreeing testimony weighs 0.21 (−)"; the original: "X likely
    copies him: their agreement counted once"."""
    if pairs.empty:
        return
    names = case.witnesses["name"].to_dict() if "name" in case.witnesses.columns else {}
    extra: dict[str, list[str]] = {}
    for a, b, copier, p, false, shared, common, factor in zip(pairs["witness_a"], pairs["witness_b"], pairs["copier"], pairs["p_copy"],
                                                             pairs["shared_false"], pairs["shared"], pairs["common"], pairs["factor"]):
        original = b if copier == a else a
        extra.setdefault(copier, []).append(
            f"agrees with {names.get(original) or original} on {shared} of {common} shared propositions, {false:.0f} values probably false: "
            f"likely copies (P {share_text(p)}), his agreeing testimony weighs {factor:.2f} (−)")
        extra.setdefault(original, []).append(f"{names.get(copier) or copier} likely copies him: their agreement counted once (=)")
    rel["reasons"] = [rs + extra[w] if w in extra else rs for w, rs in zip(rel.index.tolist(), rel["reasons"].tolist())]


#: a habit is named in a witness's reasons when it moves his votes for a label by this much (log-odds)
HABIT_REASON = 0.2


def _add_habit_reasons(rel: pd.DataFrame, habits: pd.DataFrame) -> None:
    """Where habits were read: "habit: names ‘no duck’ where true 85%, where false 38%: his
    ‘no duck’ weighs less (−)", one per label whose habit moves his votes by ``HABIT_REASON``."""
    if habits.empty:
        return
    strong = habits[habits["habit"].abs() >= HABIT_REASON]
    extra: dict[str, list[str]] = {}
    for w, label, votes, hit, false, habit in zip(strong["witness"], strong["label"], strong["votes"], strong["hit"], strong["false_hit"],
                                                  strong["habit"]):
        extra.setdefault(w, []).append(
            f"habit: names ‘{label}’ where it is true {hit:.0%}, where it is false {false:.0%} ({votes} disputed votes): "
            f"his ‘{label}’ weighs {'more' if habit > 0 else 'less'} than his reliability alone gives ({'+' if habit > 0 else '−'})")
    rel["reasons"] = [rs + extra[w] if w in extra else rs for w, rs in zip(rel.index.tolist(), rel["reasons"].tolist())]


def _kind_shifts(votes: Votes, shifts: np.ndarray) -> pd.DataFrame:
    """Each kind of testimony's prior and estimated shift (log-odds) and its votes."""
    t = votes.testimony
    if t is None:
        return pd.DataFrame({"prior_shift": [], "shift": [], "lines": []}, index=pd.Index([], name="kind", dtype=object))
    counts = np.bincount(t.kind[t.kind >= 0], minlength=len(t.kinds))
    return pd.DataFrame({"prior_shift": t.kind_mean, "shift": shifts, "lines": counts}, index=pd.Index(t.kinds, name="kind", dtype=object))


def _logit(p):
    p = np.clip(np.asarray(p, dtype=float), 1e-9, 1 - 1e-9)
    return np.log(p) - np.log1p(-p)


def _sigmoid(x):
    return 0.5 * (1.0 + np.tanh(0.5 * np.asarray(x, dtype=float)))


def _claim_shifts(criteria: pd.DataFrame, votes: Votes, shifts: np.ndarray) -> np.ndarray:
    """Each claim's total log-odds shift: its fixed shifts and its kind's estimated shift (the
    prior mean for a kind that speaks for no line)."""
    t = votes.testimony
    per_kind = np.array([KIND_MEAN[k] for k in KIND_NAMES])
    per_kind[[KIND_NAMES.index(k) for k in t.kinds]] = shifts
    return criteria["shift"].to_numpy() + per_kind[criteria["kind_code"].to_numpy()]


def _testimonies(est: "Reliability") -> pd.DataFrame:
    """One row per claim: its testimony's kind, delay, basis, interest, shift and reliability
    (the witness's skill shifted, with his interval shifted alike); ``speaks_for_line``: the
    claim whose testimony weighs for its line of evidence."""
    case, ev, votes, criteria, rel = est._case, est.evidence_, est.votes_, est._criteria, est.reliability_
    claims = case.claims
    witness = ev["witness"].astype(object).to_numpy()
    skill = rel["reliability"].reindex(witness).to_numpy(dtype=float)
    low = rel["low"].reindex(witness).to_numpy(dtype=float)
    high = rel["high"].reindex(witness).to_numpy(dtype=float)
    out = pd.DataFrame({"claim": ev["claim"].to_numpy(dtype=object), "witness": witness, "source": ev["source"].astype(object).to_numpy(),
                        "proposition": ev["proposition"].astype(object).to_numpy(),
                        "date": _written_dates(case, ev),
                        "basis": claims["basis"].astype(object).to_numpy() if "basis" in claims.columns else None,
                        "against_interest": claim_flags(claims, "against_interest"), "self_serving": claim_flags(claims, "self_serving")})
    line = ev["line"].to_numpy()
    if criteria is None:
        out["kind"], out["shift"] = table_values(case, "sources", "kind", pd.Index(out["source"])), 0.0
        out["reliability"], out["low"], out["high"] = skill, low, high
        out["informativeness"], out["speaks_for_line"] = 1.0, line >= 0
        return out
    t = votes.testimony
    total = est._claim_shift
    out["kind"] = criteria["kind"].astype(object).to_numpy()
    out["delay"] = criteria["delay"].to_numpy()
    out["delay_shift"] = criteria["delay_shift"].to_numpy()
    out["hostile_agreement"] = criteria["hostile_agreement"].to_numpy()
    out["informativeness"] = criteria["informativeness"].to_numpy()
    out["shift"] = total
    out["reliability"] = _sigmoid(_logit(skill) + total)
    out["low"] = _sigmoid(_logit(low) + total)
    out["high"] = _sigmoid(_logit(high) + total)
    out["own"] = codes_of(ev["witness"])[0] == codes_of(ev["origin"])[0]
    speaks = np.zeros(len(out), dtype=bool)
    speaks[t.claim_row] = True
    out["speaks_for_line"] = speaks
    return out


def _written_dates(case, ev) -> np.ndarray:
    """Each claim's date as written: its own, else its source's."""
    own = case.claims["date"].to_numpy(dtype=object)
    s_code, s_ids = codes_of(ev["source"])
    source_date = np.asarray(table_values(case, "sources", "date", s_ids), dtype=object)[s_code] if len(ev) else own
    return np.where(pd.isna(own), source_date, own)


#: at most this many testimonies of one witness are named in his reasons (then a range)
TESTIMONY_DETAIL = 3


def _add_testimony_reasons(rel: pd.DataFrame, ev: pd.DataFrame, votes: Votes, r: np.ndarray, criteria: pd.DataFrame,
                           total: np.ndarray) -> None:
    """Each witness's reasons gain what his testimonies weigh ("dobrynin1962cable, document
    (contemporary record), within a year: 0.86 (+)"), his admissions against interest, his
    agreements with an enemy and his inferred claims. One pass over the claims in arrays: a
    witness's own testimonies, one per source and kind, strongest first."""
    w_code, w_ids = codes_of(ev["witness"])
    voter = _as_voters(votes, w_ids, w_code)
    own = np.flatnonzero((w_code == codes_of(ev["origin"])[0]) & (voter >= 0))
    if not len(own):
        return
    s_code, s_ids = codes_of(ev["source"])
    kind = criteria["kind_code"].to_numpy()
    wv, sc, kc = voter[own], s_code[own], kind[own]
    rho = _sigmoid(_logit(r)[wv] + total[own])
    # one testimony per (witness, source, kind): the strongest, then ordered by witness,
    # strength and source
    group, _ = factorize((wv * (len(s_ids) + 1) + sc) * (len(KIND_NAMES) + 1) + kc)
    best = _first_best(group, rho, np.arange(len(own)), int(group.max()) + 1)
    pick = best[lex_order(wv[best], -rho[best], sc[best], kc[best])]
    w_pick = wv[pick]
    starts = np.flatnonzero(np.r_[True, w_pick[1:] != w_pick[:-1]])
    ends = np.r_[starts[1:], len(pick)]
    src = np.asarray(s_ids, dtype=object)[sc[pick]].tolist()
    knd = [KIND_NAMES[k] for k in kc[pick].tolist()]
    delay = criteria["delay"].to_numpy()[own][pick].tolist()
    dshift = criteria["delay_shift"].to_numpy()[own][pick].tolist()
    rho_p = rho[pick].tolist()
    n_w = len(votes.witnesses)
    admissions = np.bincount(wv, criteria["against_interest"].to_numpy()[own], minlength=n_w).astype(int)
    serving = np.bincount(wv, criteria["self_serving"].to_numpy()[own], minlength=n_w).astype(int)
    enemies = np.bincount(wv, criteria["hostile_agreement"].to_numpy()[own], minlength=n_w).astype(int)
    basis = criteria["basis"]
    is_inferred = (basis == "inferred").to_numpy(dtype=bool) & (voter >= 0)
    inferred = np.bincount(voter[is_inferred], minlength=n_w)
    skills = r.tolist()
    witnesses = votes.witnesses.tolist()
    lines_of: dict[str, list[str]] = {}
    for st, en in zip(starts.tolist(), ends.tolist()):
        wi = int(w_pick[st])
        rs = lines_of.setdefault(witnesses[wi], [])
        if en - st <= TESTIMONY_DETAIL:
            for i in range(st, en):
                shown = dshift[i] or knd[i] == "retrospective"  # the delay that weighs: from memory, or a record made later
                when = "" if delay[i] != delay[i] or not shown else ", within a year" if delay[i] <= 1 else f", {delay[i]:.0f} years after the events"
                sign = "(+)" if rho_p[i] > skills[wi] + 0.005 else "(−)" if rho_p[i] < skills[wi] - 0.005 else "(=)"
                rs.append(f"testimony in {src[i]}, {describe_kind(knd[i])}{when}: {share_text(rho_p[i])} {sign}")
        else:
            rs.append(f"{en - st} testimonies weigh from {share_text(rho_p[en - 1])} ({src[en - 1]}, {knd[en - 1]}) to {share_text(rho_p[st])} ({src[st]}, {knd[st]})")
    for wi in np.flatnonzero(admissions | serving | enemies | inferred).tolist():
        rs = lines_of.setdefault(witnesses[wi], [])
        if admissions[wi]:
            rs.append(f"{admissions[wi]} admission{'s' if admissions[wi] > 1 else ''} against interest (+)")
        if serving[wi]:
            rs.append(f"{serving[wi]} claim{'s' if serving[wi] > 1 else ''} serving his own or his side's interest (−)")
        if enemies[wi]:
            rs.append(f"agrees with a witness he is hostile to on {enemies[wi]} claim{'s' if enemies[wi] > 1 else ''} (+)")
        if inferred[wi]:
            rs.append(f"{inferred[wi]} claim{'s' if inferred[wi] > 1 else ''} inferred by the case's author, not read in the source (−)")
    rel["reasons"] = [list(rs) + lines_of[wid] if wid in lines_of else rs for wid, rs in zip(rel.index.tolist(), rel["reasons"].tolist())]


def _credible_interval(votes: Votes, r, post, a, b, interval) -> tuple[np.ndarray, np.ndarray]:
    """Each witness's credible interval (low, high) at ``interval``. Its width comes from the Beta
    posterior of his votes; it is centred on his skill (in log-odds), which the testimony model
    sets apart from the plain vote count (kinds' shifts, informativeness): the plain model's
    skill is that Beta's mean, where this is nothing."""
    right = np.bincount(votes.voter, post[votes.slot], minlength=len(a))  # expected correct votes
    alpha = a + right
    beta = b + votes.per_witness - right
    tail = (1 - interval) / 2
    low = betaincinv(alpha, beta, tail)
    high = betaincinv(alpha, beta, 1 - tail)
    centre = _logit(r) - _logit(alpha / (alpha + beta))
    return _sigmoid(_logit(low) + centre), _sigmoid(_logit(high) + centre)


def _report(case, ev, votes: Votes, pri, r, post, a, b, bounds: Callable[[], tuple[np.ndarray, np.ndarray]]) -> tuple[pd.DataFrame, Callable[[pd.DataFrame], None]]:
    """The reliability table and the writer of its reasons. ``bounds()``: the credible intervals
    (:func:`_credible_interval`; the fit works them out on the second core meanwhile)."""
    w_rows = case.rows_of("witnesses", votes.witnesses)  # the tables are in file order, the votes in id order
    n_votes = votes.per_witness.astype(float)

    side = ev["side"].to_numpy()
    rows = np.flatnonzero(side >= 0)
    counted = _at_rows(rows, len(side))
    w_code, w_ids = codes_of(ev["witness"])
    # witness codes -> positions in votes.witnesses (the same sorted ids for a loaded case)
    wv = _as_voters(votes, w_ids, counted(w_code)) if len(rows) else np.zeros(0, dtype=np.int64)
    # each counted claim's line votes once, for one option (a side of its proposition): another
    # line on that option corroborates the claim, another named option contests it
    lines_on_option = votes.per_option
    options_named = np.bincount(votes.slot_item[lines_on_option > 0], minlength=len(votes.items))
    flags = (lines_on_option[votes.slot] > 1).astype(np.int8)
    flags |= (options_named[votes.item] > 1).astype(np.int8) << 1
    flags = flags[_vote_of_line(votes, counted(ev["line"].to_numpy()))]
    n_w = len(votes.witnesses)
    by_flags = _count_by_flags(wv, flags, n_w)  # claims per witness with flags 0 .. 3
    corr = by_flags[:, 1] + by_flags[:, 3]
    contra = by_flags[:, 2] + by_flags[:, 3]
    n_counted = by_flags.sum(axis=1)
    c_code, c_ids = codes_of(case.claims["witness"])
    n_claims = np.bincount(_as_voters(votes, c_ids, c_code), minlength=n_w) if len(c_code) else np.zeros(n_w, dtype=int)

    low, high = bounds()
    table = pd.DataFrame({
        "name": take(case.witnesses["name"].to_numpy(dtype=object), w_rows, None),
        "reliability": r, "low": low, "high": high,
        "prior": take(pri["prior"].to_numpy(), w_rows, np.nan),
        "claims": n_claims.astype(int),
        "lines": n_votes.astype(int),
        "corroborated": corr,
        "contradicted": contra,
    }, index=votes.witnesses.rename("witness"))  # a renamed copy: the index is the claims' categories

    def write_reasons(ordered: pd.DataFrame) -> None:
        archival = _archival_agreement(case, ev, counted, votes.witnesses, wv, counted(side))
        reasons = []
        prior_reasons = take(pri["prior_reasons"].to_numpy(dtype=object), w_rows, None).tolist()
        no_archive: list[str] = []
        relayed = _derived_in_his_name(ev, counted)
        for wid, base, n, k_corr, k_con, skill, lines in zip(votes.witnesses.tolist(), prior_reasons, n_counted.tolist(), corr.tolist(), contra.tolist(),
                                                             r.tolist(), n_votes.tolist()):
            if not n and lines and wid in relayed:
                rs = [*base, f"no claim of his own here: his testimony reaches the case through {relayed[wid]}, which derive from him "
                             f"({lines:.0f} line{'s' if lines != 1 else ''} in his name)"]
            elif not n:
                rs = [*base, "no claim with a stance or value: the prior alone"]
            elif k_corr and k_con:
                rs = [*base, f"{k_corr} of {n} claims corroborated by independent witnesses (+)",
                      f"{k_con} of {n} claims contradicted by other witnesses (−)"]
            elif k_corr:
                rs = [*base, f"{k_corr} of {n} claims corroborated by independent witnesses (+)"]
            elif k_con:
                rs = [*base, f"{k_con} of {n} claims contradicted by other witnesses (−)"]
            else:
                rs = [*base, f"{n} claim{'s' if n != 1 else ''}, none corroborated or contradicted"]
            rs += archival.get(wid, no_archive)
            if skill < 0.5:
                rs.append(BELOW_EVEN_ODDS)
            reasons.append(rs)
        ordered["reasons"] = pd.Series(reasons, index=table.index, dtype=object)

    return by_reliability(table, "name"), write_reasons


def _derived_in_his_name(ev: pd.DataFrame, counted) -> dict[str, str]:
    """witness -> the sources (joined with ", ") of the counted claims of others on his lines:
    works that derive from his when his own claim is out of view (as of a date)."""
    (o_code, o_ids), (w_code, w_ids) = codes_of(ev["origin"]), codes_of(ev["witness"])
    if o_ids is w_ids or o_ids.equals(w_ids):  # the usual case: integer codes over the same ids
        theirs = np.flatnonzero(counted(o_code) != counted(w_code))
    else:
        theirs = np.flatnonzero(np.asarray(counted(ev["origin"].to_numpy()) != counted(ev["witness"].to_numpy()), dtype=bool))
    if not len(theirs):
        return {}
    origin = np.asarray(o_ids, dtype=object)[counted(o_code)[theirs]]
    s_code, s_ids = codes_of(ev["source"])
    pairs = pd.DataFrame({"origin": origin, "source": np.asarray(s_ids, dtype=object)[counted(s_code)[theirs]]})
    return {str(o): ", ".join(sorted(set(map(str, g)))) for o, g in pairs.groupby("origin", sort=True)["source"]}


#: reliabilities equal to this many decimals count as tied when witnesses are ranked (far
#: coarser than the EM's tolerance, far finer than any figure shown): the order of equally
#: reliable witnesses then follows ``then``, not floating-point noise
RANK_DECIMALS = 6


def by_reliability(table: pd.DataFrame, then: str) -> pd.DataFrame:
    """``table`` ordered by ``reliability`` (highest first, to :data:`RANK_DECIMALS`), then by
    the column ``then``."""
    rank = table["reliability"].to_numpy(dtype=float).round(RANK_DECIMALS)
    then_rank = pc.rank(as_arrow_text(table[then].astype(str)), sort_keys="ascending", tiebreaker="dense").to_numpy()
    order = lex_order(-rank, then_rank)
    return table.iloc[order]


def _at_rows(rows: np.ndarray, n: int):
    """A function taking the values at ``rows`` out of an n-long array: the array itself when
    ``rows`` is every row (no claim uncertain, the usual case), not a million-row copy."""
    if len(rows) == n:
        return lambda values: values
    return lambda values: values[rows]


def _vote_of_line(votes: Votes, line: np.ndarray) -> np.ndarray:
    """The vote cast by each of these lines (every counted line votes once)."""
    if len(votes.line_ids) and votes.line_ids[-1] == len(votes.line_ids) - 1:  # lines 0 .. n-1, all present
        return line
    at = np.full(int(votes.line_ids[-1]) + 1 if len(votes.line_ids) else 0, -1, dtype=np.int64)
    at[votes.line_ids] = np.arange(len(votes.line_ids))
    return at[line]


def _as_voters(votes: Votes, ids: pd.Index, codes: np.ndarray) -> np.ndarray:
    """Witness codes over ``ids`` as positions in ``votes.witnesses`` (the codes themselves
    when ``ids`` is that index, as it is for a loaded case)."""
    if ids is votes.witnesses:
        return codes
    return votes.witnesses.get_indexer(pd.Index(np.asarray(ids, dtype=object)))[codes]


#: the reason given to a witness estimated below 0.5 (see the module's note)
BELOW_EVEN_ODDS = "below even odds: on yes/no questions his testimony is given no weight, not read as its opposite (−)"

#: above this many archival releases checking one witness, his reasons give one total
ARCHIVAL_DETAIL = 3


def _archival_agreement(case, ev: pd.DataFrame, counted, witnesses: pd.Index, wv: np.ndarray, side_rows: np.ndarray) -> dict[str, list[str]]:
    """'2 of 3 claims checked by the 1995 archival release (rusarch1995) agree with it (+)'; one
    line per release, or a total over all of them when more than ``ARCHIVAL_DETAIL`` check him.
    A claim on the release's own line of evidence (its source derives from the release) is not
    checked by it.
    ``counted`` takes the counted claims' values out of a column of the evidence; ``wv`` and
    ``side_rows`` are theirs."""
    s_code, s_ids = codes_of(ev["source"])
    is_arch = table_values(case, "sources", "kind", s_ids) == "archival-release"
    if not is_arch.any() or not len(wv):
        return {}
    src = counted(s_code)
    arch_rows = np.flatnonzero(is_arch[src])
    if not len(arch_rows):
        return {}
    p_rows = counted(codes_of(ev["proposition"])[0])
    # each release's position on each proposition it speaks to (its first claim there)
    n_p = int(p_rows.max()) + 1
    _, first = np.unique(src[arch_rows] * n_p + p_rows[arch_rows], return_index=True)
    arch = arch_rows[first]
    arch = arch[np.argsort(p_rows[arch], kind="stable")]
    # every counted claim on a proposition a release speaks to, paired with that release
    per_p = np.bincount(p_rows[arch], minlength=n_p)
    start_p = np.r_[0, np.cumsum(per_p)]
    checked = np.flatnonzero(per_p[p_rows] > 0)
    reps = per_p[p_rows[checked]]
    claim = np.repeat(checked, reps)
    offset = np.arange(len(claim)) - np.repeat(np.cumsum(reps) - reps, reps)
    release = arch[start_p[p_rows[claim]] + offset]
    who = wv[claim]
    # a claim on the release's own line of evidence (a source that derives from the release, a
    # relay of it) repeats the release: it is not checked by it
    line = counted(ev["line"].to_numpy())
    other = (who != wv[release]) & (line[claim] != line[release])
    claim, release, who = claim[other], release[other], who[other]
    if not len(claim):
        return {}
    # per witness: claims checked, how many agree, and by how many distinct releases
    n_w = len(witnesses)
    agrees = side_rows[claim] == side_rows[release]
    k_w = np.bincount(who, agrees, minlength=n_w).astype(np.int64)
    n_w_checked = np.bincount(who, minlength=n_w)
    n_s = int(src.max()) + 1
    key = who * n_s + src[release]
    releases = np.bincount(sorted_unique(key) // n_s, minlength=n_w)
    many = releases > ARCHIVAL_DETAIL
    # per (witness, release) only for those checked by a few releases (one reason each)
    few = ~many[who]
    inv, pair = group_codes(key[few])
    agree = np.bincount(inv, agrees[few]).astype(np.int64)
    size = np.bincount(inv)
    pair_w, pair_s = pair // n_s, pair % n_s
    wit = witnesses.tolist()
    out: dict[str, list[str]] = {}

    def sign(k: int, n: int) -> str:
        return "(+)" if k * 2 > n else "(−)" if k * 2 < n else "(±)"

    total = np.flatnonzero(many)
    k_t, n_t = k_w[total], n_w_checked[total]
    signs = np.where(2 * k_t > n_t, "(+)", np.where(2 * k_t < n_t, "(−)", "(±)")).tolist()
    for w, k, n, r, sg in zip(total.tolist(), k_t.tolist(), n_t.tolist(), releases[total].tolist(), signs):
        out[wit[w]] = [f"{k} of {n} claims checked by {r} archival releases agree with them {sg}"]
    if len(pair):  # pairs in (witness, release) order
        # a release is named by when historians could read it (``available``), else its date
        dates = [a if isinstance(a, str) else d for a, d in zip(table_values(case, "sources", "available", s_ids).tolist(),
                                                                table_values(case, "sources", "date", s_ids).tolist())]
        names = np.asarray(s_ids, dtype=object)
        for w, sc, k, n in zip(pair_w.tolist(), pair_s.tolist(), agree.tolist(), size.tolist()):
            year = dates[sc]
            label = f"the {year} archival release ({names[sc]})" if isinstance(year, str) else f"the archival release {names[sc]}"
            out.setdefault(wit[w], []).append(f"{k} of {n} claims checked by {label} agree with it {sign(k, n)}")
    return out


def _best_options(votes: Votes, post: np.ndarray) -> np.ndarray:
    """Each proposition's best option: the highest posterior, ties to the lowest side number
    ("some other value", side -1, first). Two segmented reductions, no sort."""
    top = np.maximum.reduceat(post, votes.offsets)
    tied_side = np.where(post == top[votes.slot_item], votes.slot_side, np.iinfo(np.int64).max)
    side = np.minimum.reduceat(tied_side, votes.offsets)
    # options are laid out as sides 0, 1, ... and then "some other value" (side -1) last
    return votes.offsets + np.where(side >= 0, side, votes.k - 1)


def _resolve(case, votes: Votes, post: np.ndarray) -> pd.DataFrame:
    """Each proposition's verdict: P(true) or the best-supported value, with its probability."""
    props = case.propositions
    n = len(props)
    ptype = props["type"].to_numpy(dtype=object)
    is_bool = ptype == "boolean"
    p_true = np.full(n, np.nan)
    probability = np.full(n, np.nan)
    best_side = np.full(n, np.nan)
    n_sides = np.zeros(n, dtype=np.int64)
    n_lines = np.zeros(n, dtype=np.int64)
    p_unclaimed = np.full(n, np.nan)
    if len(votes.items):
        at = votes.item_rows if votes.item_rows is not None else props.index.get_indexer(votes.items)
        item_is_bool = is_bool[at]
        p_true[at[item_is_bool]] = post[votes.offsets[item_is_bool]]
        # the best option of each proposition: highest posterior, then the lowest side
        best = _best_options(votes, post)
        probability[at] = post[best]
        best_side[at] = votes.slot_side[best]
        n_lines[at] = np.bincount(votes.item, minlength=len(votes.items))
        n_sides[at] = np.bincount(votes.slot_item[votes.slot_side >= 0], minlength=len(votes.items))
        valued = ~item_is_bool
        p_unclaimed[at[valued]] = post[(votes.offsets + votes.k - 1)[valued]]
    p_true[is_bool & np.isnan(p_true)] = 0.5
    holds = p_true >= 0.5
    probability[is_bool] = np.where(holds, p_true, 1 - p_true)[is_bool]
    value = pd.array([None, "false", "true"], dtype="str").take(np.where(is_bool, 1 + holds, 0))
    type_code, types = pd.factorize(ptype)  # a few types: each converted once, then taken
    # text columns made as pandas' str arrays at once (not inferred from objects, then converted)
    table = pd.DataFrame({"text": pd.array(props["text"].to_numpy(dtype=object), dtype="str"), "type": pd.array(types, dtype="str").take(type_code),
                          "p_true": p_true, "value": value,
                          "probability": np.where(np.isnan(probability), 0.5, probability),
                          "sides": n_sides, "lines": n_lines, "p_unclaimed": p_unclaimed, "best_side": best_side}, index=props.index.rename("proposition"), copy=False)
    return table


TESTIMONY_COLUMNS = ["claim", "witness", "source", "proposition", "kind", "date", "delay", "basis", "against_interest", "self_serving", "hostile_agreement",
                     "informativeness", "shift", "reliability", "low", "high", "speaks_for_line"]


def testimonies(case, as_of: str | None = None, **params) -> pd.DataFrame:
    """Each claim's testimony: its ``kind`` (of source, or ``relayed``), ``delay`` in years after
    the events, ``basis``, ``against_interest``, ``self_serving``, ``hostile_agreement``, ``informativeness``, the
    total log-odds ``shift`` of its witness's skill and the resulting ``reliability`` with its
    ``low``/``high`` interval; ``speaks_for_line``: the testimony its line of evidence votes with.
    (See :mod:`srccrit.analysis.testimony`.)"""
    table = Reliability(as_of=as_of, **params).fit(case).testimonies_
    return table[[c for c in TESTIMONY_COLUMNS if c in table.columns]].reset_index(drop=True)


def reliability(case, as_of: str | None = None, **params) -> pd.DataFrame:
    """Shortcut: ``Reliability(**params, as_of=as_of).fit(case).reliability_``."""
    return Reliability(as_of=as_of, **params).fit(case).reliability_


def copying(case, as_of: str | None = None, **params) -> pd.DataFrame:
    """Pairs of witnesses the model finds copying (``COPYING_COLUMNS``: ``witness_a``,
    ``witness_b``, ``copier``, ``p_copy``, ``shared_false``, ``shared``, ``disagreements``,
    ``common``, ``factor``): ``Reliability(copying=True, ...).fit(case).copying_``."""
    return Reliability(as_of=as_of, **(params | {"copying": True})).fit(case).copying_


def propositions(case, as_of: str | None = None, estimator: "Reliability | None" = None, **params) -> pd.DataFrame:
    """Each proposition resolved: ``p_true`` (boolean), ``value`` (the best-supported position as
    written) and ``probability`` (of that value), with ``sides``, ``lines`` and, for a valued
    proposition, ``p_unclaimed``: the probability left for a value nobody claimed."""
    est = fitted_for(estimator, case, as_of, "propositions") if estimator is not None else Reliability(as_of=as_of, **params).fit(case)
    return est.propositions_.drop(columns="best_side")


def _with_values(resolved: pd.DataFrame, ev: pd.DataFrame) -> pd.DataFrame:
    """The resolved propositions with each valued proposition's best-supported value as its
    claims write it ("(another value)" where the best is a value nobody claimed)."""
    table = resolved.copy()
    valued = ((table["type"] != "boolean") & table["best_side"].notna()).to_numpy()
    if valued.any():
        side = ev["side"].to_numpy()
        p_code, p_ids = codes_of(ev["proposition"])
        n_side = int(side.max()) + 2
        key = p_code * n_side + side  # (proposition, side); uncounted rows (side -1) never match
        keys, first = np.unique(key, return_index=True)
        want_p = p_ids.get_indexer(table.index[valued])
        want_side = table["best_side"].to_numpy()[valued].astype(np.int64)
        want = want_p * n_side + want_side
        where = np.searchsorted(keys, want)
        hit = (where < len(keys)) & (keys[np.minimum(where, len(keys) - 1)] == want) & (want_side >= 0) & (want_p >= 0)
        vals = np.full(len(want), "(another value)", dtype=object)
        vals[hit] = np.asarray(ev["position"].array.take(first[where[hit]]), dtype=object)
        col = table["value"].to_numpy(dtype=object).copy()
        col[valued] = vals
        table["value"] = pd.Series(col, index=table.index, dtype=object).array
    return table
