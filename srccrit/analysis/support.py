"""How well each conclusion is supported, how fragile it is, and how that changed over time.

A conclusion holds where every proposition it ``rests_on`` resolves the way it needs. Its
**probability** is the product, over those propositions, of the posterior probability that the
proposition resolves that way (propositions treated as independent): for a boolean proposition
P(true) or P(false); for a valued one the total posterior of the sides whose value agrees with
the required value under the case format's conflict rules. A proposition without evidence
stands at 0.5, so a conclusion's **prior** (its probability with no evidence) is 0.5^k.

**Verdicts** (``VERDICTS``): probability >= 0.90 ``well-supported``; >= 0.70 ``probable``;
>= 0.40 ``contested``; >= 0.15 ``doubtful``; below ``contradicted``.

**Fragility**: drop each witness who testified on the conclusion's propositions in turn
(all his claims) and re-estimate. For cases up to ``exact_limit`` (2,000) lines the whole model is refitted
without him; above it, the other witnesses' reliabilities are held at their full-case values and
only the propositions he touches are re-scored (a one-step approximation that keeps support
with fragility linear in the size of the case). ``pivotal_witness`` moves the probability most;
``fragile`` is true when one removal changes the verdict.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from ..dates import parse_date
from ..errors import SrccritError
from .evidence import codes_of, line_labels
from .reliability import Reliability, Votes

__all__ = ["support", "timeline", "verdict", "VERDICTS", "evidence_for"]

VERDICTS = [(0.90, "well-supported"), (0.70, "probable"), (0.40, "contested"), (0.15, "doubtful"), (0.0, "contradicted")]


def verdict(p: float) -> str:
    for threshold, name in VERDICTS:
        if p >= threshold:
            return name
    return VERDICTS[-1][1]


def _requirement_slots(case, est: Reliability) -> pd.DataFrame:
    """One row per (rests_on row, side of that proposition): compatible? lines on the side, slot."""
    ev = _rested_evidence(case, est.evidence_)
    votes: Votes = est.votes_
    observed = ev.groupby(["proposition", "side"]).agg(side_low=("side_low", "first"), side_high=("side_high", "first"),
                                                        side_fold=("side_fold", "first"), lines=("line", "nunique"))
    # every option of every voted proposition a conclusion rests on, including a boolean side nobody took
    wanted = votes.items.get_indexer(pd.Index(case.rests_on["proposition"].unique(), dtype=object))
    slots = np.flatnonzero(np.isin(votes.slot_item, wanted[wanted >= 0]) & (votes.slot_side >= 0))
    sides = pd.DataFrame({"proposition": pd.Series(np.asarray(votes.items, dtype=object)[votes.slot_item[slots]], dtype=object),
                          "side": votes.slot_side[slots], "slot": slots})
    sides = sides.join(observed, on=["proposition", "side"])
    is_bool = case.propositions["type"].reindex(sides["proposition"]).to_numpy() == "boolean"
    truth = np.where(sides["side"].to_numpy() == 0, 1.0, 0.0)
    sides["side_low"] = np.where(is_bool, truth, sides["side_low"].to_numpy(dtype=float))
    sides["side_high"] = np.where(is_bool, truth, sides["side_high"].to_numpy(dtype=float))
    sides["lines"] = sides["lines"].fillna(0)
    rests = case.rests_on.reset_index(drop=True).reset_index(names="row")
    m = rests.merge(sides, on="proposition", how="left")
    has_side = m["side"].notna()
    is_text = m["type"] == "text"
    overlap = ~((m["side_high"] < m["required_low"]) | (m["required_high"] < m["side_low"]))
    compatible = np.where(is_text, m["side_fold"] == m["required_fold"], overlap)
    m["compatible"] = has_side & compatible
    return m


def _rested_evidence(case, evidence: pd.DataFrame) -> pd.DataFrame:
    """The counted evidence on propositions some conclusion rests on, with plain string ids."""
    p_code, p_ids = codes_of(evidence["proposition"])
    wanted = p_ids.get_indexer(pd.Index(case.rests_on["proposition"].unique(), dtype=object))
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
            estimator: Reliability | None = None, **params) -> pd.DataFrame:
    """One row per conclusion: ``text``, ``probability``, ``prior``, ``verdict``, ``lines_for``,
    ``lines_against``, ``fragile``, ``pivotal_witness``, ``pivotal_shift`` (signed change in
    probability when he is dropped), ``verdict_without`` and ``as_of``.

    ``estimator``: a :class:`Reliability` already fitted on this case with the same ``as_of``,
    to reuse instead of fitting again."""
    if as_of is not None:
        try:
            parse_date(as_of)
        except ValueError as exc:
            raise SrccritError(f"as_of: {exc}") from None
    est = estimator if estimator is not None else Reliability(as_of=as_of, **params).fit(case)
    table, rows = _conclusion_table(case, est)
    out = case.conclusions[["text"]].copy()
    out = out.rename_axis("conclusion")
    out["probability"] = table["probability"].reindex(out.index).fillna(1.0)
    out["prior"] = 0.5 ** table["n"].reindex(out.index).fillna(0)
    out["verdict"] = out["probability"].map(verdict)
    out["lines_for"] = table["lines_for"].reindex(out.index).fillna(0).astype(int)
    out["lines_against"] = table["lines_against"].reindex(out.index).fillna(0).astype(int)
    out["held_by"] = case.conclusions["held_by"]
    out["fragile"] = False
    out["pivotal_witness"] = None
    out["pivotal_shift"] = 0.0
    out["verdict_without"] = out["verdict"]
    if fragility and len(out):
        _fragility(case, est, rows, out, as_of, exact_limit, params)
    out["as_of"] = as_of
    return out


def _touching(case, est: Reliability) -> dict[str, list[str]]:
    """conclusion -> witnesses with a counted claim on one of its propositions (sorted)."""
    ev = _rested_evidence(case, est.evidence_)[["proposition", "witness"]].drop_duplicates()
    m = case.rests_on[["conclusion", "proposition"]].merge(ev, on="proposition")
    return {c: sorted(set(g["witness"])) for c, g in m.groupby("conclusion")}


def _fragility(case, est, rows, out, as_of, exact_limit, params) -> None:
    touching = _touching(case, est)
    claims = case.available_claims(as_of)
    exact = len(est.votes_.voter) <= exact_limit
    cache: dict[str, pd.Series] = {}
    local = None if exact else _LocalDrop(est, rows, len(case.rests_on), case.rests_on["conclusion"].to_numpy())
    fragile_col, pivotal_col, shift_col, without_col = [], [], [], []
    for cid, base, v_base in zip(out.index.tolist(), out["probability"].astype(float).tolist(), out["verdict"].tolist()):
        best_w, best_shift, fragile, v_without = None, 0.0, False, v_base
        for wid in touching.get(cid, []):
            if exact:
                if wid not in cache:
                    sub = Reliability(as_of=None, **params).fit(case, claims[claims["witness"] != wid])
                    cache[wid] = _conclusion_table(case, sub)[0]["probability"]
                p = float(cache[wid].get(cid, 1.0))
            else:
                p = local.probability_without(cid, wid)
            shift = p - base
            if abs(shift) > abs(best_shift) + 1e-12:
                best_w, best_shift = wid, shift
            if verdict(p) != v_base and not fragile:
                fragile, v_without = True, verdict(p)
        if fragile and best_w is not None:
            v_without = verdict(base + best_shift) if verdict(base + best_shift) != v_base else v_without
        fragile_col.append(fragile)
        pivotal_col.append(best_w)
        shift_col.append(best_shift)
        without_col.append(v_without)
    out["fragile"] = fragile_col
    out["pivotal_witness"] = pd.Series(pivotal_col, index=out.index, dtype=object)
    out["pivotal_shift"] = np.asarray(shift_col, dtype=float)
    out["verdict_without"] = without_col


class _LocalDrop:
    """Re-score only the propositions a dropped witness touches, skills held fixed."""

    def __init__(self, est: Reliability, rows: pd.DataFrame, n_rests: int, rest_conclusion: np.ndarray):
        v: Votes = est.votes_
        self.v = v
        r = np.clip(est.skills_.to_numpy()[v.voter], 1e-9, 1 - 1e-9)
        # each vote's weight for the option it names, floored at zero as in the fit (terms
        # shared by all of a proposition's options cancel in its posterior)
        self.gain = np.maximum(np.log(r) - np.log((1 - r) / (v.k[v.item] - 1)), 0.0)
        self.score = np.bincount(v.slot, self.gain, minlength=len(v.slot_item))
        self.post = est.posterior_
        # the votes on the propositions the conclusions rest on, by (voter, proposition)
        self.prop_item = dict(zip(v.items.tolist(), range(len(v.items))))
        rested = np.array(sorted({self.prop_item[p] for p in rows["proposition"].dropna() if p in self.prop_item}), dtype=np.int64)
        on = np.flatnonzero(np.isin(v.item, rested))
        self.by_voter_item = {key: on[idx] for key, idx in pd.Series(on).groupby([v.voter[on], v.item[on]]).indices.items()}
        self.p_req = _probabilities(rows, self.post, n_rests)
        self.rows_by_conclusion = {c: np.flatnonzero(rest_conclusion == c) for c in np.unique(rest_conclusion)}
        self.witness_index = {w: i for i, w in enumerate(v.witnesses)}
        self.votes_per_item = np.bincount(v.item, minlength=len(v.items))
        # per rests_on row: its proposition's item, and the compatible options' slots
        self.requirement: dict[int, tuple[int | None, np.ndarray]] = {}
        slot = rows["slot"].fillna(-1).to_numpy().astype(np.int64)
        comp = rows["compatible"].to_numpy(dtype=bool)
        for r, idx in rows.groupby("row").indices.items():
            item = self.prop_item.get(rows["proposition"].iat[idx[0]])
            self.requirement[int(r)] = (item, slot[idx][comp[idx] & (slot[idx] >= 0)])

    def probability_without(self, cid: str, wid: str) -> float:
        v = self.v
        wi = self.witness_index.get(wid)
        p = 1.0
        for r in self.rows_by_conclusion.get(cid, []):
            item, compatible_slots = self.requirement.get(int(r), (None, np.array([], dtype=np.int64)))
            idx = self.by_voter_item.get((wi, item)) if item is not None and wi is not None else None
            if idx is None:
                p *= self.p_req[r]
                continue
            if self.votes_per_item[item] - len(idx) <= 0:
                p *= 0.5
                continue
            lo, k = v.offsets[item], v.k[item]
            score = self.score[lo:lo + k].copy()
            np.subtract.at(score, v.slot[idx] - lo, self.gain[idx])
            e = np.exp(score - score.max())
            post = e / e.sum()
            p *= float(post[compatible_slots - lo].sum())
        return p


def timeline(case, **params) -> pd.DataFrame:
    """Each conclusion's probability at each date a source became available.

    Columns: ``as_of`` (the availability date as written), ``conclusion``, ``probability``,
    ``verdict``, ``date`` (when the first of them became available), ``released`` (sources that became available then), ``archival`` (whether an
    archival release is among them). The first row per conclusion, ``as_of = "prior"``, is the
    probability with no evidence.
    """
    src = case.sources[case.sources["available_end"].notna()].copy()
    src["label"] = src["available"].where(src["available"].notna(), src["date"])
    src = src.sort_values(["available_end", "label"], kind="mergesort")
    dates = src.groupby("available_end", sort=True).agg(label=("label", "first"), start=("available_start", "min"), released=("label", lambda s: sorted(s.index)),
                                                          archival=("kind", lambda k: bool((k == "archival-release").any())))
    frames = []
    first = support(case, as_of="0001", fragility=False, **params)
    frames.append(pd.DataFrame({"as_of": "prior", "date": pd.NaT, "conclusion": first.index, "probability": first["prior"].to_numpy(),
                                "verdict": first["prior"].map(verdict).to_numpy(), "released": [[]] * len(first), "archival": False}))
    for end, row in dates.iterrows():
        label = str(row["label"]).rstrip("?")
        s = support(case, as_of=pd.Timestamp(end).date().isoformat(), fragility=False, **params)
        frames.append(pd.DataFrame({"as_of": label, "date": row["start"], "conclusion": s.index, "probability": s["probability"].to_numpy(),
                                    "verdict": s["verdict"].to_numpy(), "released": [row["released"]] * len(s), "archival": row["archival"]}))
    return pd.concat(frames, ignore_index=True)


def evidence_for(case, conclusion: str, as_of: str | None = None, est: Reliability | None = None) -> pd.DataFrame:
    """The evidence ledger of one conclusion: every claim on its propositions, with the side it
    takes relative to the conclusion (``for``/``against``/``uncertain``), the witness's
    reliability and its independent line."""
    if conclusion not in case.conclusions.index:
        from ..model import UnknownName

        raise UnknownName(f"no conclusion {conclusion!r} in case {case.id!r}")
    est = est or Reliability(as_of=as_of).fit(case)
    rows = _requirement_slots(case, est)
    rows = rows[rows["conclusion"] == conclusion]
    compat = {(p, s): c for p, s, c in zip(rows["proposition"], rows["side"], rows["compatible"]) if pd.notna(s)}
    ev = est.evidence_
    ev = ev[ev["proposition"].isin(set(case.rests_on.loc[case.rests_on["conclusion"] == conclusion, "proposition"]))]
    claims = case.claims.set_index("id")
    ledger = pd.DataFrame({
        "claim": ev["claim"].to_numpy(),
        "proposition": ev["proposition"].to_numpy(),
        "position": ev["position"].to_numpy(),
        "bears": ["uncertain" if s < 0 else ("for" if compat.get((p, s), False) else "against") for p, s in zip(ev["proposition"], ev["side"])],
        "witness": ev["witness"].to_numpy(),
        "source": ev["source"].to_numpy(),
        "locator": claims["locator"].reindex(ev["claim"]).to_numpy(),
        "quote": claims["quote"].reindex(ev["claim"]).to_numpy(),
        "reliability": est.skills_.reindex(ev["witness"]).to_numpy(),
        "origin": ev["origin"].to_numpy(dtype=object),
        "line": line_labels(ev),
    })
    return ledger.sort_values(["bears", "reliability", "claim"], ascending=[True, False, True], kind="mergesort").reset_index(drop=True)
