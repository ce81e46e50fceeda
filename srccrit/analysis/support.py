"""How well each conclusion is supported, how fragile it is, and how that changed over time.

A conclusion holds where every proposition it ``rests_on`` resolves the way it needs. Its
**probability** is the product, over those propositions, of the posterior probability that the
proposition resolves that way (propositions treated as independent): for a boolean proposition
P(true) or P(false); for a valued one the total posterior of the sides whose value agrees with
the required value under the case format's conflict rules. A required value that no claimed
value matches is the *unclaimed value*: the model keeps "some other value" beside the claimed
ones on every valued proposition, and such a requirement takes that option's posterior (an upper
bound: it also stands for every other value nobody claimed). One estimate alone therefore never
makes every other value impossible. A proposition without evidence stands at 0.5, so a
conclusion's **prior** (its probability with no evidence) is 0.5^k.

**Verdicts** (``VERDICTS``): probability >= 0.90 ``well-supported``; >= 0.70 ``probable``;
>= 0.40 ``contested``; >= 0.15 ``doubtful``; below ``contradicted``.

**Sole support** (*testis unus*): the witness without whom some proposition the conclusion needs
keeps no independent line for it -- the only origin of all its lines on the needed side.

**Fragility**: drop each witness who testified on the conclusion's propositions in turn (all his
claims) and re-estimate. For cases up to ``exact_limit`` (2,000) lines the whole model is
refitted without him; above it, the other witnesses' reliabilities are held at their full-case
values and only the propositions he touches are re-scored (a one-step approximation that keeps
support with fragility linear in the size of the case). ``pivotal_witness`` is the removal that
moves the probability most, ``pivotal_shift`` that move and ``verdict_without`` the verdict after
it (all three describe the same removal). ``break_count``, for a *supported* conclusion
(probability >= 0.70), is the smallest number of witnesses whose removal leaves it below 0.70 --
the analogue of the Fragility Index of clinical trials (Walsh et al., J Clin Epidemiol 2014) --
found greedily: witnesses are removed in the order of their single removal's effect, most
damaging first, and the model re-estimated after each; it may overstate the true minimum.
``fragile`` is ``break_count == 1``. Without fragility these columns are empty.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from ..dates import parse_date
from ..errors import SrccritError
from ..normalisers import RANGE_TYPES
from .evidence import claim_flags, codes_of, line_labels, object_index
from .em import imply, vote_gain
from .reliability import Reliability, Votes, fitted_for

__all__ = ["support", "timeline", "verdict", "VERDICTS", "evidence_for"]

VERDICTS = [(0.90, "well-supported"), (0.70, "probable"), (0.40, "contested"), (0.15, "doubtful"), (0.0, "contradicted")]


def verdict(p: float) -> str:
    for threshold, name in VERDICTS:
        if p >= threshold:
            return name
    return VERDICTS[-1][1]


def _requirement_slots(case, est: Reliability, only: str | None = None) -> pd.DataFrame:
    """One row per (rests_on row, side of that proposition): compatible? lines on the side, slot.
    ``only``: the rows of this conclusion alone (``row`` keeps its number in ``case.rests_on``).

    The table of every conclusion is kept on ``est`` for the same case object (a notebook asks
    for it from its support table, its ledger and each citation list: seven times)."""
    if only is not None:
        return _requirement_rows(case, est, only)
    kept = est.kept_for(case)
    if "requirements" not in kept:
        kept["requirements"] = _requirement_rows(case, est, None)
    return kept["requirements"].copy()


def _requirement_rows(case, est: Reliability, only: str | None) -> pd.DataFrame:
    rests = case.rests_on.reset_index(drop=True).reset_index(names="row")
    if only is not None:
        rests = rests[rests["conclusion"] == only]
    ev = _rested_evidence(case, est.evidence_, rests)
    votes: Votes = est.votes_
    observed = ev.groupby(["proposition", "side"]).agg(side_low=("side_low", "first"), side_high=("side_high", "first"),
                                                        side_fold=("side_fold", "first"), lines=("line", "nunique"))
    # every option of every voted proposition a conclusion rests on, including a boolean side nobody took
    wanted = object_index(votes.items).get_indexer(pd.Index(rests["proposition"].unique(), dtype=object))
    slots = np.flatnonzero(np.isin(votes.slot_item, wanted[wanted >= 0]) & (votes.slot_side >= 0))
    sides = pd.DataFrame({"proposition": pd.Series(np.asarray(votes.items, dtype=object)[votes.slot_item[slots]], dtype=object),
                          "side": votes.slot_side[slots], "slot": slots})
    sides = sides.join(observed, on=["proposition", "side"])
    is_bool = case.propositions["type"].reindex(sides["proposition"]).to_numpy() == "boolean"
    truth = np.where(sides["side"].to_numpy() == 0, 1.0, 0.0)
    sides["side_low"] = np.where(is_bool, truth, sides["side_low"].to_numpy(dtype=float))
    sides["side_high"] = np.where(is_bool, truth, sides["side_high"].to_numpy(dtype=float))
    sides["lines"] = sides["lines"].fillna(0)
    m = rests.merge(sides, on="proposition", how="left")
    has_side = m["side"].notna()
    is_text = ~m["type"].isin(RANGE_TYPES + ("boolean",))
    overlap = ~((m["side_high"] < m["required_low"]) | (m["required_high"] < m["side_low"]))
    compatible = np.where(is_text, m["side_fold"] == m["required_fold"], overlap)
    m["compatible"] = has_side & compatible
    m["unclaimed"] = False
    return _with_unclaimed(m, votes)


def _with_unclaimed(m: pd.DataFrame, votes: Votes) -> pd.DataFrame:
    """A required value no side matches is the model's *unclaimed value*: its requirement takes
    the posterior of "some other value" (an upper bound, for that option also stands for every
    other value nobody claimed), marked ``unclaimed``."""
    valued = (m["type"] != "boolean").to_numpy() & m["side"].notna().to_numpy()
    if not valued.any():
        return m
    met = m.loc[valued].groupby("row")["compatible"].any()
    rows = met.index[~met.to_numpy(dtype=bool)]
    if not len(rows):
        return m
    extra = m[m["row"].isin(rows)].drop_duplicates("row").copy()
    item = object_index(votes.items).get_indexer(pd.Index(extra["proposition"].to_numpy(dtype=object)))
    extra = extra[item >= 0]
    item = item[item >= 0]
    extra["slot"] = votes.offsets[item] + votes.k[item] - 1
    extra["side"] = -1
    extra["lines"] = 0
    for col in ("side_low", "side_high", "side_fold"):
        extra[col] = np.nan if col != "side_fold" else None
    extra["compatible"], extra["unclaimed"] = True, True
    return pd.concat([m, extra], ignore_index=True).sort_values(["row", "side"], kind="mergesort").reset_index(drop=True)


def _rested_evidence(case, evidence: pd.DataFrame, rests: pd.DataFrame | None = None) -> pd.DataFrame:
    """The counted evidence on propositions some conclusion rests on (some row of ``rests``:
    default every one), with plain string ids."""
    p_code, p_ids = codes_of(evidence["proposition"])
    rests = case.rests_on if rests is None else rests
    wanted = object_index(p_ids).get_indexer(pd.Index(rests["proposition"].unique(), dtype=object))
    keep = np.isin(p_code, wanted[wanted >= 0]) & (evidence["side"].to_numpy() >= 0)
    return evidence[keep].astype({c: object for c in ("proposition", "witness", "source", "origin")})


def _probabilities(rows: pd.DataFrame, post: np.ndarray, n_rests: int) -> np.ndarray:
    """P(requirement) per rests_on row."""
    valid = rows["slot"].fillna(-1).to_numpy().astype(np.int64) >= 0
    p = np.zeros(len(rows))
    slots = rows["slot"].fillna(-1).to_numpy().astype(np.int64)
    p[valid] = post[slots[valid]]
    p = np.where(rows["compatible"].to_numpy(dtype=bool), p, 0.0)
    per_row = np.bincount(rows["row"].to_numpy(), p, minlength=n_rests)
    voted = np.bincount(rows["row"].to_numpy(), valid.astype(float), minlength=n_rests) > 0
    return np.where(voted, per_row, 0.5)


def _conclusion_table(case, est: Reliability) -> tuple[pd.DataFrame, pd.DataFrame]:
    rows = _requirement_slots(case, est)
    n_rests = len(case.rests_on)
    p_req = _probabilities(rows, est.posterior_, n_rests)
    rests = case.rests_on.reset_index(drop=True).copy()
    rests["p"] = p_req
    lines = rows.assign(lines=rows["lines"].fillna(0))
    lf = lines[lines["compatible"]].groupby("row")["lines"].sum()
    la = lines[~lines["compatible"] & lines["side"].notna()].groupby("row")["lines"].sum()
    rests["lines_for"] = lf.reindex(rests.index).fillna(0).astype(int).to_numpy()
    rests["lines_against"] = la.reindex(rests.index).fillna(0).astype(int).to_numpy()
    table = rests.groupby("conclusion").agg(probability=("p", "prod"), lines_for=("lines_for", "sum"),
                                            lines_against=("lines_against", "sum"), n=("p", "size"))
    return table, rows


def support(case, as_of: str | None = None, fragility: bool = True, exact_limit: int = 2_000,
            estimator: Reliability | None = None, conclusions: list[str] | None = None, **params) -> pd.DataFrame:
    """One row per conclusion: ``text``, ``probability``, ``prior``, ``verdict``, ``lines_for``,
    ``lines_against``, ``held_by``, ``sole_support``, ``fragile``, ``break_count``,
    ``pivotal_witness``, ``pivotal_shift`` (signed change in probability when he is dropped),
    ``verdict_without`` and ``as_of`` (see the module's docstring).

    ``estimator``: a :class:`Reliability` already fitted on this case with the same ``as_of``
    (with none given, the estimator's), to reuse instead of fitting again; the fit of another
    case, of another version of this one or as of another date is a :class:`UsageError`.
    ``conclusions``: only these (in this order; fragility is then worked out for them alone)."""
    if as_of is not None:
        try:
            parse_date(as_of)
        except ValueError as exc:
            raise SrccritError(f"as_of: {exc}") from None
    est = fitted_for(estimator, case, as_of, "support") if estimator is not None else Reliability(as_of=as_of, **params).fit(case)
    as_of = est.as_of if as_of is None else as_of  # the estimator's date where none is given
    if estimator is not None and not params and hasattr(estimator, "get_params"):  # fragility's refits: the estimator's model
        params = {k: v for k, v in estimator.get_params().items() if k != "as_of"}
    table, rows = _conclusion_table(case, est)
    out = case.conclusions[["text"]].copy()
    if conclusions is not None:
        unknown = [c for c in conclusions if c not in out.index]
        if unknown:
            from ..model import UnknownName

            raise UnknownName(f"no conclusion {unknown[0]!r} in case {case.id!r}")
        out = out.loc[list(conclusions)]
    out = out.rename_axis("conclusion")
    out["probability"] = table["probability"].reindex(out.index).fillna(1.0)
    out["prior"] = 0.5 ** table["n"].reindex(out.index).fillna(0)
    out["verdict"] = out["probability"].map(verdict)
    out["lines_for"] = table["lines_for"].reindex(out.index).fillna(0).astype(int)
    out["lines_against"] = table["lines_against"].reindex(out.index).fillna(0).astype(int)
    out["held_by"] = case.conclusions["held_by"].reindex(out.index)
    if conclusions is not None:
        rows = rows[rows["conclusion"].isin(set(out.index))]
    sole = _sole_support(case, est, rows) if len(out) else {}
    out["sole_support"] = pd.Series([sole.get(c) for c in out.index], index=out.index, dtype=object)
    # without fragility these stay empty (not False, not a verdict): nothing was re-estimated
    out["fragile"] = pd.array([pd.NA] * len(out), dtype="boolean")
    out["break_count"] = pd.array([pd.NA] * len(out), dtype="Int64")
    out["pivotal_witness"] = pd.Series([None] * len(out), index=out.index, dtype=object)
    out["pivotal_shift"] = np.nan
    out["verdict_without"] = pd.Series([None] * len(out), index=out.index, dtype=object)
    if fragility and len(out):
        _fragility(case, est, rows, out, as_of, exact_limit, params)
    out["as_of"] = as_of
    return out


def _touching(case, est: Reliability, only=None) -> dict[str, list[str]]:
    """conclusion -> witnesses with a counted claim on one of its propositions (sorted);
    ``only``: these conclusions."""
    rests = case.rests_on if only is None else case.rests_on[case.rests_on["conclusion"].isin(set(only))]
    ev = _rested_evidence(case, est.evidence_, rests)
    # the witnesses who speak, and those whose testimony others' derived sources repeat
    ev = pd.concat([ev[["proposition", "witness"]], ev[["proposition", "origin"]].rename(columns={"origin": "witness"})]).drop_duplicates()
    m = rests[["conclusion", "proposition"]].merge(ev, on="proposition")
    return {c: sorted(set(g["witness"])) for c, g in m.groupby("conclusion")}


#: a conclusion is *supported* at or above this probability (the ``probable`` band)
SUPPORTED = 0.70


def _fragility(case, est, rows, out, as_of, exact_limit, params) -> None:
    """Fill ``pivotal_*``, ``verdict_without``, ``break_count`` and ``fragile`` (see :func:`support`)."""
    touching = _touching(case, est, out.index)
    claims = case.available_claims(as_of)
    # a dropped witness takes with him what derived sources repeat of him (the claims on his
    # lines), as the local re-scoring does by dropping his votes
    exact = len(est.votes_.voter) <= exact_limit
    ev = est.evidence_
    origin = None
    if exact:
        origin = ev["origin"].astype(object).to_numpy() if len(ev) == len(claims) else claims["witness"].astype(object).to_numpy()
    cache: dict[frozenset, pd.Series] = {}
    local = None if exact else _LocalDrop(est, rows, len(case.rests_on), case.rests_on["conclusion"].to_numpy(), est.kept_for(case))

    def without(cid: str, dropped: frozenset) -> float:
        if not exact:
            return local.probability_without(cid, dropped)
        if dropped not in cache:
            gone = list(dropped)
            kept = claims[~(claims["witness"].isin(gone).to_numpy() | pd.Index(origin).isin(gone))]
            cache[dropped] = _conclusion_table(case, Reliability(as_of=None, **params).fit(case, kept))[0]["probability"]
        return float(cache[dropped].get(cid, 1.0))

    pivotal, shifts, verdicts, breaks = [], [], [], []
    for cid, base in zip(out.index.tolist(), out["probability"].astype(float).tolist()):
        single = {wid: without(cid, frozenset([wid])) for wid in touching.get(cid, [])}
        # the removal that moves the probability most; ties to the first by name
        best = max(single, key=lambda w: (abs(single[w] - base), -sorted(single).index(w)), default=None)
        if best is not None and abs(single[best] - base) <= 1e-12:
            best = None
        pivotal.append(best)
        shifts.append(single[best] - base if best is not None else 0.0)
        verdicts.append(verdict(single[best]) if best is not None else verdict(base))
        # break count, greedily: remove the most damaging witnesses one after another
        count = None
        if base >= SUPPORTED and single:
            order = sorted(single, key=lambda w: (single[w], w))
            for n in range(1, len(order) + 1):
                p = single[order[0]] if n == 1 else without(cid, frozenset(order[:n]))
                if p < SUPPORTED:
                    count = n
                    break
        breaks.append(count)
    out["pivotal_witness"] = pd.Series(pivotal, index=out.index, dtype=object)
    out["pivotal_shift"] = np.asarray(shifts, dtype=float)
    out["verdict_without"] = pd.Series(verdicts, index=out.index, dtype=object)
    out["break_count"] = pd.array(breaks, dtype="Int64")
    out["fragile"] = pd.array([b == 1 if b is not None else False for b in breaks], dtype="boolean")


def _sole_support(case, est, rows) -> dict[str, str | None]:
    """conclusion -> the witness without whom some proposition it needs has no independent line
    for it left (testis unus): the only origin of every line on a compatible side; several such
    witnesses (for different propositions) are joined with "; "."""
    ev = _rested_evidence(case, est.evidence_)[["proposition", "side", "origin"]].drop_duplicates()
    comp = rows[rows["compatible"]][["row", "conclusion", "proposition", "side"]].dropna(subset=["side"])
    comp = comp.astype({"side": ev["side"].dtype}) if len(comp) else comp
    m = comp.merge(ev, on=["proposition", "side"])
    if not len(m):
        return {}
    # rows (requirements) whose lines on the needed sides all come from one origin
    m = m.astype({"origin": str})
    per_row = m.groupby("row").agg(conclusion=("conclusion", "first"), origins=("origin", "nunique"), origin=("origin", "first"))
    sole = per_row[per_row["origins"] == 1].drop_duplicates(["conclusion", "origin"]).sort_values(["conclusion", "origin"], kind="mergesort")
    out: dict[str, str | None] = {c: None for c in m["conclusion"].unique()}
    for cid, g in sole.groupby("conclusion", sort=False):
        out[cid] = "; ".join(g["origin"].tolist())
    return out


class _LocalDrop:
    """Re-score only the propositions a dropped witness touches, skills held fixed."""

    def __init__(self, est: Reliability, rows: pd.DataFrame, n_rests: int, rest_conclusion: np.ndarray, kept: dict | None = None):
        v: Votes = est.votes_
        self.v = v
        # what depends on the fit alone is kept with it (``kept``: :meth:`Reliability.kept_for`):
        # a notebook asks for one conclusion's fragility, and a million votes' gains took longer
        # than the conclusion
        shared = (kept if kept is not None else {}).get("local_drop")
        if shared is None:
            # each vote's weight for the option it names, floored at zero as in the fit (terms
            # shared by all of a proposition's options cancel in its posterior)
            gain = vote_gain(v, est.skills_.to_numpy(), est.kind_shifts_["shift"].to_numpy())
            score = np.bincount(v.slot, gain, minlength=len(v.slot_item))
            gain.flags.writeable = score.flags.writeable = False
            shared = (gain, score, dict(zip(v.items.tolist(), range(len(v.items)))), {w: i for i, w in enumerate(v.witnesses)})
            if kept is not None:
                kept["local_drop"] = shared
        self.gain, self.score, self.prop_item, self.witness_index = shared
        self.post = est.posterior_
        # the votes on the propositions the conclusions rest on, by (voter, proposition)
        rested = np.array(sorted({self.prop_item[p] for p in rows["proposition"].dropna() if p in self.prop_item}), dtype=np.int64)
        on = np.flatnonzero(np.isin(v.item, rested))
        self.by_voter_item = {key: on[idx] for key, idx in pd.Series(on).groupby([v.voter[on], v.item[on]]).indices.items()}
        self.p_req = _probabilities(rows, self.post, n_rests)
        self.rows_by_conclusion = {c: np.flatnonzero(rest_conclusion == c) for c in np.unique(rest_conclusion)}
        self.votes_per_item = v.per_item
        # per rests_on row: its proposition's item, and the compatible options' slots
        self.requirement: dict[int, tuple[int | None, np.ndarray]] = {}
        slot = rows["slot"].fillna(-1).to_numpy().astype(np.int64)
        comp = rows["compatible"].to_numpy(dtype=bool)
        for r, idx in rows.groupby("row").indices.items():
            item = self.prop_item.get(rows["proposition"].iat[idx[0]])
            self.requirement[int(r)] = (item, slot[idx][comp[idx] & (slot[idx] >= 0)])

    def probability_without(self, cid: str, dropped) -> float:
        """The conclusion's probability with every claim of the ``dropped`` witnesses removed."""
        v = self.v
        voters = [self.witness_index[w] for w in ([dropped] if isinstance(dropped, str) else dropped) if w in self.witness_index]
        p = 1.0
        for r in self.rows_by_conclusion.get(cid, []):
            item, compatible_slots = self.requirement.get(int(r), (None, np.array([], dtype=np.int64)))
            parts = [self.by_voter_item[(wi, item)] for wi in voters if item is not None and (wi, item) in self.by_voter_item]
            idx = np.concatenate(parts) if parts else None
            if idx is None:
                p *= self.p_req[r]
                continue
            if self.votes_per_item[item] - len(idx) <= 0:
                p *= 0.5
                continue
            lo, k = v.offsets[item], v.k[item]
            score = self.score[lo:lo + k].copy()
            np.subtract.at(score, v.slot[idx] - lo, self.gain[idx])
            score = imply(v, score, np.arange(lo, lo + k))  # one value's support of another (a partial list, a spelling)
            e = np.exp(score - score.max())
            post = e / e.sum()
            p *= float(post[compatible_slots - lo].sum())
        return p


#: availability dates the timeline steps at, at most (every archival release is a step)
MAX_STEPS = 24
#: above this many claims the timeline takes fewer steps (each step refits the whole model) ...
STEP_CLAIMS = 100_000
#: ... but never fewer than this many (archival releases are steps whatever the budget)
MIN_STEPS = 6


def step_budget(case) -> int:
    """The timeline's steps at most for ``case`` (``max_steps="auto"``): ``MAX_STEPS`` up to
    ``STEP_CLAIMS`` claims, then fewer in proportion (a million claims: 6 steps of about 2 s each
    instead of 24), never fewer than ``MIN_STEPS``."""
    n = len(case.claims)
    return MAX_STEPS if n <= STEP_CLAIMS else max(MIN_STEPS, int(MAX_STEPS * STEP_CLAIMS / n))


def timeline(case, max_steps: int | None | str = "auto", estimator: Reliability | None = None, **params) -> pd.DataFrame:
    """Each conclusion's probability at each date a source became available.

    Each step re-estimates the model on the sources available by then. Above ``max_steps``
    distinct dates (None: no limit; ``"auto"``, the default: :func:`step_budget`, 24 up to
    100,000 claims), steps are taken at every archival release (at the releases at equal shares
    of the sources when there are more releases than steps) and, between them, at the dates
    that split the sources into equal shares; a step then counts every source available by its
    day and ``released`` lists all the sources since the previous step.

    A source counts from the last day of its availability (``available``, else ``date``): one
    available "1995" counts from 1995-12-31 -- for ``--as-of 1995`` and later, not for
    ``--as-of 1995-06`` -- and one available "1995-03" from 1995-03-31, so the March source comes
    first. Steps are ordered by that day.

    Columns: ``as_of`` (the availability as written, of the first source counted that day),
    ``conclusion``, ``probability``, ``verdict``, ``date`` (the day the step is counted from),
    ``released`` (the sources counted from that day), ``archival`` (whether an archival release
    is among them). The first row per conclusion, ``as_of = "prior"``, is the probability with
    no evidence.

    ``estimator``: the model fitted on the whole case with these ``params`` (a report's, a
    notebook's), taken for the steps at which every claim is available instead of a refit; an
    estimator fitted otherwise is an error.
    """
    if estimator is not None and not isinstance(estimator, Reliability):
        fitted_for(estimator, case, None, "timeline")  # says what it is
    if estimator is not None and not estimator.fitted_on_whole(case, **params):
        raise SrccritError("timeline: the estimator given was not fitted on this whole case with these parameters "
                           "(give Reliability(**params).fit(case), or none)")
    src = case.sources[case.sources["available_end"].notna()].copy()
    src["label"] = src["available"].where(src["available"].notna(), src["date"])
    src = src.sort_values(["available_end", "label"], kind="mergesort")
    dates = src.groupby("available_end", sort=True).agg(label=("label", "first"), released=("label", lambda s: sorted(s.index)),
                                                          archival=("kind", lambda k: bool((k == "archival-release").any())))
    if max_steps == "auto":
        max_steps = step_budget(case)
    elif max_steps is not None and (isinstance(max_steps, str) or isinstance(max_steps, bool)):
        raise SrccritError(f"timeline: max_steps must be a whole number, None or 'auto', not {max_steps!r}")
    if max_steps is not None and len(dates) > max_steps:
        dates = _fewer_steps(dates, src, max_steps)
    frames = []
    ids = case.conclusions.index.rename("conclusion")
    n_premises = case.rests_on.groupby("conclusion").size().reindex(ids).fillna(0).to_numpy()
    prior = 0.5 ** n_premises
    # dates in seconds, not pandas' nanoseconds (whose range is 1677-2262: a chronicle of 1453)
    frames.append(pd.DataFrame({"as_of": "prior", "date": np.full(len(ids), np.datetime64("NaT", "s")), "conclusion": ids, "probability": prior,
                                "verdict": [verdict(p) for p in prior], "released": [[]] * len(ids), "archival": False}))
    for end, row in dates.iterrows():
        label = str(row["label"]).rstrip("?")
        # the probabilities alone: a step needs neither sole support nor fragility
        as_of = pd.Timestamp(end).date().isoformat()
        claims = case.available_claims(as_of)
        if estimator is not None and len(claims) == len(case.claims):
            est = estimator  # every claim counts by then: the fit of the whole case
        else:
            est = Reliability(as_of=as_of, **params).fit(case, claims)
        p = _conclusion_table(case, est)[0]["probability"].reindex(ids).fillna(1.0).to_numpy()
        frames.append(pd.DataFrame({"as_of": label, "date": np.full(len(ids), np.datetime64(end, "s")), "conclusion": ids, "probability": p,
                                    "verdict": [verdict(x) for x in p], "released": [row["released"]] * len(ids), "archival": row["archival"]}))
    return pd.concat(frames, ignore_index=True)


def _fewer_steps(dates: pd.DataFrame, src: pd.DataFrame, max_steps: int) -> pd.DataFrame:
    """At most ``max_steps`` of the availability dates (see :func:`timeline`): every archival
    release (or, when there are more releases than steps, the releases at equal shares of the
    sources), the last date, and dates at equal shares of the sources; each kept step takes over
    the sources released since the previous kept one."""
    if max_steps < 1:
        raise SrccritError("timeline: max_steps must be at least 1")
    ends = dates.index.to_numpy()
    per_date = src.groupby("available_end", sort=True).size().reindex(dates.index).to_numpy()
    share = np.cumsum(per_date) / per_date.sum()
    archival = np.flatnonzero(dates["archival"].to_numpy())
    if len(archival) + 1 > max_steps:
        # more releases than steps (a synthetic case, or an archive opened file by file): the
        # releases themselves at equal shares of the sources, each step marked archival
        at = np.searchsorted(share[archival], np.linspace(0, 1, max_steps + 1)[1:-1])
        keep = set(archival[np.minimum(at, len(archival) - 1)].tolist()) | {len(ends) - 1}
    else:
        keep = set(archival.tolist()) | {len(ends) - 1}
    room = max(max_steps - len(keep), 0)
    for q in np.linspace(0, 1, room + 2)[1:-1]:
        keep.add(int(np.searchsorted(share, q)))
    kept = sorted(keep)
    rows = []
    start = 0
    for k in kept:
        chunk = dates.iloc[start:k + 1]
        rows.append({"available_end": ends[k], "label": dates["label"].iat[k], "released": sorted(sum(chunk["released"], [])),
                     "archival": bool(chunk["archival"].any())})
        start = k + 1
    return pd.DataFrame(rows).set_index("available_end")


def evidence_for(case, conclusion: str, as_of: str | None = None, est: Reliability | None = None) -> pd.DataFrame:
    """The evidence ledger of one conclusion: every claim on its propositions, with the side it
    takes relative to the conclusion (``for``/``against``/``uncertain``), the reliability of its
    testimony (``reliability``: the witness's skill shifted by the kind of source, delay, basis
    and interest) and of the witness (``witness_reliability``), its ``basis`` (``inferred``
    claims are the case author's), ``against_interest`` and ``self_serving``, and its independent line."""
    if conclusion not in case.conclusions.index:
        from ..model import UnknownName

        raise UnknownName(f"no conclusion {conclusion!r} in case {case.id!r}")
    est = fitted_for(est, case, as_of, "evidence_for") if est is not None else Reliability(as_of=as_of).fit(case)
    rows = _requirement_slots(case, est)
    rows = rows[rows["conclusion"] == conclusion]
    compat = {(p, s): c for p, s, c in zip(rows["proposition"], rows["side"], rows["compatible"]) if pd.notna(s)}
    ev = est.evidence_
    ev = ev[ev["proposition"].isin(set(case.rests_on.loc[case.rests_on["conclusion"] == conclusion, "proposition"]))]
    # the evidence has a row per claim of the case the model was fitted on, in its order: the
    # claims' columns are read at those rows (no index over a million claim ids per ledger)
    fitted = est._case.claims
    at = ev.index.to_numpy()
    if len(fitted) != len(est.evidence_) or not (fitted["id"].iloc[at].to_numpy() == ev["claim"].to_numpy()).all():
        at = pd.Index(fitted["id"]).get_indexer(ev["claim"])
    ledger = pd.DataFrame({
        "claim": ev["claim"].to_numpy(),
        "proposition": ev["proposition"].to_numpy(),
        "position": ev["position"].to_numpy(),
        "bears": ["uncertain" if s < 0 else ("for" if compat.get((p, s), False) else "against") for p, s in zip(ev["proposition"], ev["side"])],
        "witness": ev["witness"].to_numpy(),
        "source": ev["source"].to_numpy(),
        "locator": fitted["locator"].iloc[at].to_numpy(),  # the rows taken first: no array of a million texts
        "quote": fitted["quote"].iloc[at].to_numpy(),
        "reliability": est.claim_reliability(at),
        "witness_reliability": est.skills_.reindex(ev["witness"]).to_numpy(),
        "basis": fitted["basis"].iloc[at].astype(object).to_numpy(),
        "against_interest": fitted["against_interest"].iloc[at].to_numpy(dtype=bool),
        "self_serving": claim_flags(fitted, "self_serving")[at],
        "origin": ev["origin"].to_numpy(dtype=object),
        "line": line_labels(ev),
    })
    return ledger.sort_values(["bears", "reliability", "claim"], ascending=[True, False, True], kind="mergesort").reset_index(drop=True)
