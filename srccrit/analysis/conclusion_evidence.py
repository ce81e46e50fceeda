"""One conclusion's case, line by line: what the evidence chart draws.

For a conclusion, :func:`conclusion_evidence` gives

* ``lines``: one row per independent line of evidence on a proposition the conclusion rests on
  (a *premise*), on the side it needs (``bears == "for"``) or on a side that excludes it
  (``"against"``): the line's origin witness, the source and locator of the testimony that
  speaks for the line, how many claims repeat it, and that testimony's reliability with its
  interval (the witness's interval moved by the testimony's shift);
* ``premises``: each premise's probability of resolving as the conclusion needs, with its lines
  for and against;
* the conclusion's pooled ``probability`` (the product of its premises'), its ``verdict``, and a
  ``low``-``high`` interval.

**The interval.** The probability is computed with each witness's reliability at its posterior
mean; the interval propagates how uncertain those reliabilities are. The reliabilities of the
witnesses voting on the premises are drawn ``draws`` times (default 400, from a fixed seed, so the
interval is reproducible), each from a normal distribution in log-odds whose 5-95% range is the
witness's interval; each draw re-scores the premises exactly as the model does (kinds' shifts,
informativeness and copying discounts held at their fitted values) and multiplies them. ``low``
and ``high`` are the draws' quantiles at the same level as the witnesses' intervals (90%). It is an
interval over the *reliabilities* only: it does not widen for doubts about the case's modelling
itself (are the premises really independent?).
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass
from statistics import NormalDist

import numpy as np
import pandas as pd

from .em import Votes, _logit, _sigmoid, imply
from .evidence import claim_flags, codes_of, ids_at, object_index, object_labels
from .reliability import Reliability, fitted_for
from .support import _probabilities, _requirement_slots, verdict

__all__ = ["conclusion_evidence", "ConclusionEvidence", "LINE_COLUMNS", "PREMISE_COLUMNS"]

LINE_COLUMNS = ["premise", "bears", "witness", "name", "source", "locator", "claim", "claims", "basis", "against_interest",
                "self_serving", "reliability", "low", "high"]
PREMISE_COLUMNS = ["premise", "text", "required", "probability", "lines_for", "lines_against"]

#: draws of the witnesses' reliabilities behind a conclusion's interval
INTERVAL_DRAWS = 400


@dataclass
class ConclusionEvidence:
    """The evidence of one conclusion (see the module)."""

    conclusion: str
    text: str
    probability: float
    low: float
    high: float
    verdict: str
    premises: pd.DataFrame
    lines: pd.DataFrame


def conclusion_evidence(case, conclusion: str, as_of: str | None = None, estimator: Reliability | None = None,
                        draws: int = INTERVAL_DRAWS, seed: int = 0) -> ConclusionEvidence:
    """The lines of evidence for and against ``conclusion``, its premises' probabilities and its
    pooled probability with an interval (see the module). ``estimator``: a :class:`Reliability`
    already fitted on this case (with the same ``as_of``)."""
    if conclusion not in case.conclusions.index:
        from ..model import UnknownName

        raise UnknownName(f"no conclusion {conclusion!r} in case {case.id!r}")
    if draws < 1:
        raise ValueError("draws must be at least 1")
    est = fitted_for(estimator, case, as_of, "conclusion_evidence") if estimator is not None else Reliability(as_of=as_of).fit(case)
    # kept on the fit for the same case object (a notebook draws the chart, then shows the premises)
    kept = est.kept_for(case)
    key = ("conclusion_evidence", conclusion, draws, seed)
    if key not in kept:
        kept[key] = _conclusion_evidence(case, conclusion, est, draws, seed)
    ce = kept[key]
    return dataclasses.replace(ce, premises=ce.premises.copy(), lines=ce.lines.copy())


def _conclusion_evidence(case, conclusion: str, est: Reliability, draws: int, seed: int) -> ConclusionEvidence:
    rows = _requirement_slots(case, est, only=conclusion)
    n_rests = len(case.rests_on)
    p_row = _probabilities(rows, est.posterior_, n_rests)
    rests = case.rests_on.reset_index(drop=True)
    mine = np.flatnonzero(rests["conclusion"].to_numpy() == conclusion)
    lines = _lines(case, est, rows)
    premises = pd.DataFrame({
        "premise": rests["proposition"].to_numpy(dtype=object)[mine],
        "text": case.propositions["text"].reindex(rests["proposition"].iloc[mine]).to_numpy(dtype=object),
        "required": rests["required"].astype(object).to_numpy()[mine],
        "probability": p_row[mine],
    })
    counts = lines.groupby(["premise", "bears"]).size() if len(lines) else pd.Series(dtype=int)
    premises["lines_for"] = [int(counts.get((p, "for"), 0)) for p in premises["premise"]]
    premises["lines_against"] = [int(counts.get((p, "against"), 0)) for p in premises["premise"]]
    probability = float(np.prod(p_row[mine])) if len(mine) else 1.0
    low, high = _interval(est, rows, mine, n_rests, probability, draws, seed)
    return ConclusionEvidence(conclusion, str(case.conclusions.at[conclusion, "text"]), probability, low, high, verdict(probability),
                              premises[PREMISE_COLUMNS], lines)


def _lines(case, est: Reliability, rows: pd.DataFrame) -> pd.DataFrame:
    """One row per (premise, line on a side of it), the testimony that speaks for the line."""
    ev = est.evidence_
    sides = rows.dropna(subset=["side"])
    sides = sides[sides["side"] >= 0]
    if not len(sides):
        return pd.DataFrame({c: [] for c in LINE_COLUMNS})
    # the rows on the premises, found on integer codes (a conclusion's few among a million)
    p_code, p_ids = codes_of(ev["proposition"])
    wanted = object_index(p_ids).get_indexer(pd.Index(sides["proposition"].unique(), dtype=object))
    at = np.flatnonzero(np.isin(p_code, wanted[wanted >= 0]) & (ev["side"].to_numpy() >= 0))
    sub = pd.DataFrame({"row": at, "proposition": object_labels(p_ids)[p_code[at]],
                        "side": ev["side"].to_numpy()[at], "line": ev["line"].to_numpy()[at],
                        "witness": ids_at(ev["witness"], at), "origin": ids_at(ev["origin"], at)})
    # the testimony that speaks for each line: the one its vote carries, else the origin's own first claim
    votes: Votes = est.votes_
    own_first = sub.assign(own=sub["witness"] != sub["origin"]).sort_values(["line", "own", "row"], kind="mergesort").drop_duplicates("line")
    speak = own_first["row"].to_numpy(dtype=np.int64)
    if votes.testimony is not None and len(votes.line_ids):
        order = np.argsort(votes.line_ids, kind="stable")
        lines_sorted = votes.line_ids[order]
        wanted_lines = own_first["line"].to_numpy()
        pos = np.minimum(np.searchsorted(lines_sorted, wanted_lines), len(lines_sorted) - 1)
        voted = lines_sorted[pos] == wanted_lines
        speak = np.where(voted, votes.testimony.claim_row[order[pos]], speak)
    speak_row = dict(zip(own_first["line"].tolist(), speak.tolist()))
    per_line = sub.groupby("line").agg(proposition=("proposition", "first"), side=("side", "first"),
                                       origin=("origin", "first"), claims=("row", "size")).reset_index()
    m = sides[["proposition", "side", "compatible"]].astype({"side": "int64"}).merge(per_line, on=["proposition", "side"])
    claim_rows = np.array([speak_row[ln] for ln in m["line"]], dtype=np.int64)
    claims = case.claims
    rel = est.reliability_
    rho = est.line_reliability(m["line"].to_numpy())
    # the testimony's interval: the witness's, moved by the testimony's shift in log-odds
    skill = est.skills_.reindex(m["origin"]).to_numpy(dtype=float)
    moved = _logit(np.clip(rho, 1e-12, 1 - 1e-12)) - _logit(np.clip(skill, 1e-12, 1 - 1e-12))
    w_low = rel["low"].reindex(m["origin"]).to_numpy(dtype=float)
    w_high = rel["high"].reindex(m["origin"]).to_numpy(dtype=float)
    out = pd.DataFrame({
        "premise": m["proposition"].to_numpy(dtype=object),
        "bears": np.where(m["compatible"].to_numpy(dtype=bool), "for", "against"),
        "witness": m["origin"].to_numpy(dtype=object),
        "name": [case.witness_name(w) for w in m["origin"]],
        # read at the few rows wanted (a million converted for a dozen was most of the cost)
        "source": ids_at(ev["source"], claim_rows),
        "locator": claims["locator"].iloc[claim_rows].to_numpy(dtype=object),
        "claim": claims["id"].iloc[claim_rows].to_numpy(dtype=object),
        "claims": m["claims"].to_numpy(dtype=np.int64),
        "basis": claims["basis"].iloc[claim_rows].astype(object).to_numpy() if "basis" in claims.columns else None,
        "against_interest": claim_flags(claims, "against_interest", claim_rows),
        "self_serving": claim_flags(claims, "self_serving", claim_rows),
        "reliability": rho,
        "low": _sigmoid(_logit(np.clip(w_low, 1e-12, 1 - 1e-12)) + moved),
        "high": _sigmoid(_logit(np.clip(w_high, 1e-12, 1 - 1e-12)) + moved),
    })
    order = {p: i for i, p in enumerate(dict.fromkeys(rows["proposition"]))}
    out["_p"] = out["premise"].map(order)
    out["_b"] = (out["bears"] == "against").astype(int)
    out = out.sort_values(["_p", "_b", "reliability", "name", "claim"], ascending=[True, True, False, True, True], kind="mergesort")
    return out.drop(columns=["_p", "_b"]).reset_index(drop=True)[LINE_COLUMNS]


def _draw_probabilities(rows: pd.DataFrame, post: np.ndarray, slots: np.ndarray, mine: np.ndarray) -> np.ndarray:
    """The conclusion's probability in each draw: :func:`..support._probabilities` of every
    draw's posterior at once (``post``: draws x ``slots``, options elsewhere count 0), the
    product over the conclusion's premises (``mine``: its rests_on rows)."""
    row = rows["row"].to_numpy()
    keep = np.isin(row, mine)
    row = row[keep]
    slot = rows["slot"].fillna(-1).to_numpy().astype(np.int64)[keep]
    compatible = rows["compatible"].to_numpy(dtype=bool)[keep]
    valid = slot >= 0
    at = np.minimum(np.searchsorted(slots, slot), max(len(slots) - 1, 0))
    counted = valid & compatible & (len(slots) > 0) & (slots[at] == slot if len(slots) else False)
    premise = np.searchsorted(mine, row)  # mine is sorted (np.flatnonzero)
    per_premise = np.zeros((post.shape[0], len(mine)))
    np.add.at(per_premise.T, premise[counted], post[:, at[counted]].T)
    voted = np.bincount(premise, valid.astype(float), minlength=len(mine)) > 0
    per_premise[:, ~voted] = 0.5
    return per_premise.prod(axis=1)


def _interval(est: Reliability, rows: pd.DataFrame, mine: np.ndarray, n_rests: int, probability: float,
              draws: int, seed: int) -> tuple[float, float]:
    """The conclusion's interval over the witnesses' reliabilities (see the module)."""
    v: Votes = est.votes_
    items = v.items.get_indexer(pd.Index(rows["proposition"].dropna().unique(), dtype=object))
    items = items[items >= 0]
    idx = np.flatnonzero(np.isin(v.item, items))
    if not len(idx):
        return probability, probability
    rel = est.reliability_
    voters = np.unique(v.voter[idx])
    ids = v.witnesses[voters]
    centre = _logit(np.clip(est.skills_.to_numpy()[voters], 1e-12, 1 - 1e-12))
    level = float(est.interval)
    z = NormalDist().inv_cdf(0.5 + level / 2)
    lo = _logit(np.clip(rel["low"].reindex(ids).to_numpy(dtype=float), 1e-12, 1 - 1e-12))
    hi = _logit(np.clip(rel["high"].reindex(ids).to_numpy(dtype=float), 1e-12, 1 - 1e-12))
    sd = np.maximum((hi - lo) / (2 * z), 0.0)
    rng = np.random.default_rng(seed)
    theta = centre[None, :] + sd[None, :] * rng.standard_normal((draws, len(voters)))  # draws x voters
    local = np.searchsorted(voters, v.voter[idx])
    lo_vote = theta[:, local]  # draws x votes
    t = v.testimony
    weight = np.ones(len(idx))
    if t is not None:
        kind_shift = np.r_[est.kind_shifts_["shift"].to_numpy(), 0.0][t.kind[idx]] if len(est.kind_shifts_) else 0.0
        lo_vote = lo_vote + (t.shift[idx] + kind_shift + (t.habit[idx] if t.habit is not None else 0.0))[None, :]
        weight = t.weight[idx] * (t.independence[idx] if t.independence is not None else 1.0)
    gain = np.maximum(lo_vote + np.log(v.k - 1)[v.item[idx]][None, :], 0.0) * (weight * v.temperature)[None, :]
    # per draw, the score of every option of these propositions, then a softmax per proposition
    slots = np.unique(np.concatenate([np.arange(v.offsets[i], v.offsets[i] + v.k[i]) for i in items]))
    slot_local = np.searchsorted(slots, v.slot[idx])
    onehot = np.zeros((len(idx), len(slots)))
    onehot[np.arange(len(idx)), slot_local] = 1.0
    score = imply(v, gain @ onehot, slots)  # one value's support of another (a partial list, a spelling)
    item_of_slot = v.slot_item[slots]
    post = np.empty_like(score)
    for i in np.unique(item_of_slot):
        cols = np.flatnonzero(item_of_slot == i)
        e = np.exp(score[:, cols] - score[:, cols].max(axis=1, keepdims=True))
        post[:, cols] = e / e.sum(axis=1, keepdims=True)
    p = _draw_probabilities(rows, post, slots, mine)
    q = (1 - level) / 2
    low, high = np.quantile(p, [q, 1 - q])
    return float(min(low, probability)), float(max(high, probability))
