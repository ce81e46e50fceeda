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

    r_w = (a_w + sum of P(vote correct)) / (a_w + b_w + number of votes)

All of it is vectorised with ``numpy.bincount`` over the votes. Archival documents enter as
witnesses with strong priors, not as hard-coded truth.

**Prior** (``PRIOR_TABLE``; every adjustment is stated in the witness's ``reasons``):

==============================  ========================================================
base by proximity               participant .65, eyewitness .70, official .65, document .85,
                                contemporary .65, secondhand .55, historian .70, reviewer .60,
                                not stated .60
gap event -> testimony          <= 1 year +.05; > 10 years -.05; > 25 years -.10
                                (participants, eyewitnesses, officials, contemporaries,
                                second-hand witnesses: memory fades)
kind of source                  most claims in contemporary records (document, diary,
                                letter, archival-release, report, speech, newspaper) +.05;
                                most in memoirs, interviews or testimony -.05
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

from dataclasses import dataclass

import numpy as np
import pandas as pd
from scipy.special import betaincinv

from .evidence import positions

__all__ = ["Reliability", "PRIOR_TABLE", "prior", "reliability", "propositions", "Votes", "build_votes", "run_em"]

PRIOR_TABLE = {
    "participant": 0.65, "eyewitness": 0.70, "official": 0.65, "document": 0.85,
    "contemporary": 0.65, "secondhand": 0.55, "historian": 0.70, "reviewer": 0.60, None: 0.60,
}
CONTEMPORARY_KINDS = {"document", "diary", "letter", "archival-release", "report", "speech", "newspaper"}
RECOLLECTION_KINDS = {"memoir", "interview", "testimony"}
MEMORY_PROXIMITIES = {"participant", "eyewitness", "official", "contemporary", "secondhand"}


def prior(case, evidence: pd.DataFrame | None = None, strength: float = 4.0, document_strength: float = 12.0) -> pd.DataFrame:
    """The source-critical prior of each witness: ``prior``, ``strength``, ``a``, ``b``, ``prior_reasons``."""
    ev = positions(case) if evidence is None else evidence
    w = case.witnesses
    claims = case.claims
    kinds = case.sources["kind"].reindex(claims["source"]).to_numpy()
    gap_years = ((claims["date_start"] - case.propositions["date_end"].reindex(claims["proposition"]).to_numpy()).dt.days / 365.25).to_numpy()
    per = pd.DataFrame({"witness": claims["witness"].to_numpy(), "gap": gap_years,
                        "records": np.isin(kinds, list(CONTEMPORARY_KINDS)), "memory": np.isin(kinds, list(RECOLLECTION_KINDS))})
    g = per.groupby("witness")
    stats = pd.DataFrame({"gap": g["gap"].median(), "records": g["records"].mean(), "memory": g["memory"].mean()}).reindex(w.index)

    prox = w["proximity"].where(w["proximity"].isin(list(PRIOR_TABLE)), None)
    base = prox.map(lambda x: PRIOR_TABLE.get(x if isinstance(x, str) else None, 0.60)).astype(float).to_numpy()
    p = base.copy()
    memory_prox = prox.isin(list(MEMORY_PROXIMITIES)).to_numpy()
    gap = stats["gap"].to_numpy()
    has_gap = memory_prox & ~np.isnan(gap)
    near, far, very_far = has_gap & (gap <= 1), has_gap & (gap > 10) & (gap <= 25), has_gap & (gap > 25)
    p += np.where(near, 0.05, 0.0) - np.where(far, 0.05, 0.0) - np.where(very_far, 0.10, 0.0)
    records = stats["records"].fillna(0).to_numpy() >= 0.5
    memory = ~records & (stats["memory"].fillna(0).to_numpy() >= 0.5)
    p += np.where(records, 0.05, 0.0) - np.where(memory, 0.05, 0.0)

    # hostility: only witnesses who declare it need the opponents' list
    hostile_ids = [wid for wid, hs in w["hostile_to"].items() if hs]
    opponents: dict[str, set] = {}
    if hostile_ids:
        counted = ev[(ev["side"] >= 0) & ev["witness"].isin(hostile_ids)][["proposition", "side", "witness"]].drop_duplicates()
        others = ev[ev["side"] >= 0][["proposition", "side", "witness"]].drop_duplicates()
        opp = counted.merge(others, on="proposition")
        opp = opp[opp["side_x"] != opp["side_y"]]
        opponents = opp.groupby("witness_x")["witness_y"].agg(set).to_dict()
    names = w["name"].to_dict()
    hostility_note: dict[str, str] = {}
    pos_of = {wid: i for i, wid in enumerate(w.index)}
    for wid in hostile_ids:
        hostile = [h for h in w.at[wid, "hostile_to"] if h in pos_of]
        against = [h for h in hostile if h in opponents.get(wid, set())]
        if against:
            p[pos_of[wid]] -= 0.05
            hostility_note[wid] = "hostile to " + ", ".join(names[h] for h in against) + ", who contradicts him (−)"
        elif hostile:
            p[pos_of[wid]] -= 0.02
            hostility_note[wid] = "hostile to " + ", ".join(names[h] for h in hostile) + " (−)"

    override = w["prior"].to_numpy(dtype=float)
    p = np.where(np.isnan(override), p, override)
    p = np.clip(p, 0.05, 0.95)
    s = np.where(prox.to_numpy() == "document", document_strength, strength)
    s = np.where(np.isnan(w["prior_strength"].to_numpy(dtype=float)), s, w["prior_strength"].to_numpy(dtype=float))

    reasons = []
    for i, wid in enumerate(w.index):
        if not np.isnan(override[i]):
            reasons.append([f"prior set by the case: {override[i]:.2f}"])
            continue
        x = prox.iat[i] if isinstance(prox.iat[i], str) else None
        rs = [f"{x or 'proximity not stated'}: base {base[i]:.2f}" + (" (+)" if base[i] > 0.62 else " (−)" if base[i] < 0.6 else "")]
        if near[i]:
            rs.append("testimony within a year of the events (+)")
        elif far[i] or very_far[i]:
            rs.append(f"testimony {gap[i]:.0f} years after the events (−)")
        if records[i]:
            rs.append("testifies mostly in contemporary records (+)")
        elif memory[i]:
            rs.append("testifies mostly in memoirs, interviews or later testimony (−)")
        if wid in hostility_note:
            rs.append(hostility_note[wid])
        reasons.append(rs)
    out = pd.DataFrame({"prior": p, "strength": s, "a": p * s, "b": (1 - p) * s, "prior_reasons": reasons}, index=w.index.rename("witness"))
    out.index.name = "witness"
    return out


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


def build_votes(case, evidence: pd.DataFrame) -> Votes:
    ev = evidence[evidence["side"] >= 0]
    # a line votes once, in the name of its origin witness
    lines_ = ev.drop_duplicates("line")[["line", "origin", "proposition", "side", "type"]].sort_values("line", kind="mergesort")
    witnesses = pd.Index(sorted(case.witnesses.index))
    items = pd.Index(sorted(lines_["proposition"].unique()))
    item = items.get_indexer(lines_["proposition"])
    is_bool = (lines_["type"].to_numpy() == "boolean")
    side = lines_["side"].to_numpy()
    n_items = len(items)
    max_side = np.zeros(n_items, dtype=np.int64)
    np.maximum.at(max_side, item, side)
    item_bool = np.zeros(n_items, dtype=bool)
    item_bool[item] = is_bool
    k = np.where(item_bool, 2, max_side + 2)  # valued: every side and "some other value"
    offsets = np.r_[0, np.cumsum(k)[:-1]].astype(np.int64)
    slot_item = np.repeat(np.arange(n_items), k)
    slot_side = np.arange(int(k.sum())) - offsets[slot_item]
    slot_side = np.where(~item_bool[slot_item] & (slot_side == k[slot_item] - 1), -1, slot_side)
    return Votes(
        voter=witnesses.get_indexer(lines_["origin"]), item=item, slot=offsets[item] + side, witnesses=witnesses,
        items=items, slot_item=slot_item, slot_side=slot_side, offsets=offsets, k=k, line_ids=lines_["line"].to_numpy(),
    )


def _posterior(v: Votes, r: np.ndarray) -> np.ndarray:
    """E-step: posterior probability of every option of every proposition."""
    rv = np.clip(r[v.voter], 1e-9, 1 - 1e-9)
    log_right = np.log(rv)
    log_wrong = np.log((1 - rv) / (v.k[v.item] - 1))
    base = np.bincount(v.item, log_wrong, minlength=len(v.items))
    bonus = np.bincount(v.slot, log_right - log_wrong, minlength=len(v.slot_item))
    score = base[v.slot_item] + bonus
    top = np.maximum.reduceat(score, v.offsets) if len(score) else score
    e = np.exp(score - top[v.slot_item])
    total = np.add.reduceat(e, v.offsets) if len(e) else e
    return e / total[v.slot_item]


def run_em(v: Votes, a: np.ndarray, b: np.ndarray, n_iter: int = 200, tol: float = 1e-8) -> tuple[np.ndarray, np.ndarray, int, bool]:
    """Fit the skills. Returns (r, posterior per option, iterations, converged)."""
    r = a / (a + b)
    n_votes = np.bincount(v.voter, minlength=len(a)).astype(float)
    post = _posterior(v, r)
    for it in range(1, n_iter + 1):
        p_right = post[v.slot]
        r_new = (a + np.bincount(v.voter, p_right, minlength=len(a))) / (a + b + n_votes)
        post = _posterior(v, r_new)
        if np.max(np.abs(r_new - r), initial=0.0) < tol:
            return r_new, post, it, True
        r = r_new
    return r, post, n_iter, False


class Reliability:
    """Estimate each witness's reliability (an estimator in the scikit-learn manner).

    Parameters
    ----------
    n_iter, tol:
        EM iterations at most, and the change in every skill below which it stops.
    strength, document_strength:
        Beta pseudo-counts of the source-critical prior (documents get the stronger prior).
    interval:
        Width of the credible interval reported as ``low``/``high`` (0.9: 5% to 95%).
    as_of:
        Only sources available by this date count (``None``: all).

    Learned attributes
    ------------------
    ``reliability_`` (DataFrame by witness: name, reliability, low, high, prior, claims,
    corroborated, contradicted, reasons), ``propositions_`` (see :func:`propositions`),
    ``evidence_``, ``votes_``, ``posterior_``, ``n_iter_``, ``converged_``.
    """

    def __init__(self, n_iter: int = 200, tol: float = 1e-8, strength: float = 4.0, document_strength: float = 12.0,
                 interval: float = 0.9, as_of: str | None = None):
        self.n_iter = n_iter
        self.tol = tol
        self.strength = strength
        self.document_strength = document_strength
        self.interval = interval
        self.as_of = as_of

    def __repr__(self) -> str:
        params = ", ".join(f"{k}={getattr(self, k)!r}" for k in ("n_iter", "tol", "strength", "document_strength", "interval", "as_of"))
        return f"Reliability({params})"

    def fit(self, case, claims: pd.DataFrame | None = None) -> "Reliability":
        if claims is None:
            claims = case.available_claims(self.as_of)
        sub = case.with_claims(claims)
        ev = positions(sub)
        pri = prior(sub, ev, self.strength, self.document_strength)
        votes = build_votes(sub, ev)
        a = pri["a"].reindex(votes.witnesses).to_numpy()
        b = pri["b"].reindex(votes.witnesses).to_numpy()
        r, post, it, ok = run_em(votes, a, b, self.n_iter, self.tol)
        self.evidence_, self.votes_, self.posterior_ = ev, votes, post
        self.n_iter_, self.converged_ = it, ok
        self.prior_ = pri
        self.skills_ = pd.Series(r, index=votes.witnesses, name="reliability")
        self.propositions_ = _resolve(sub, votes, post)
        self.reliability_ = _report(sub, ev, votes, pri, r, post, a, b, self.interval)
        return self

    def fit_predict(self, case) -> pd.DataFrame:
        return self.fit(case).reliability_


def _report(case, ev, votes: Votes, pri, r, post, a, b, interval) -> pd.DataFrame:
    p_right = post[votes.slot]
    n_votes = np.bincount(votes.voter, minlength=len(a)).astype(float)
    alpha = a + np.bincount(votes.voter, p_right, minlength=len(a))
    beta = b + n_votes - np.bincount(votes.voter, p_right, minlength=len(a))
    tail = (1 - interval) / 2
    low = betaincinv(alpha, beta, tail)
    high = betaincinv(alpha, beta, 1 - tail)

    counted = ev[ev["side"] >= 0]
    lines_per_side = counted.groupby(["proposition", "side"])["origin"].nunique()
    key = pd.MultiIndex.from_arrays([counted["proposition"], counted["side"]])
    same_side_lines = lines_per_side.reindex(key).to_numpy()
    corroborated = same_side_lines > 1  # another independent line on the same side
    sides_per_prop = counted.groupby("proposition")["side"].nunique()
    contested = sides_per_prop.reindex(counted["proposition"]).to_numpy() > 1
    c = pd.DataFrame({"witness": counted["witness"].to_numpy(), "corroborated": corroborated, "contradicted": contested})
    corr = c.groupby("witness")["corroborated"].sum()
    contra = c.groupby("witness")["contradicted"].sum()
    n_claims = case.claims["witness"].value_counts()
    n_counted = c.groupby("witness").size()

    archival = _archival_agreement(case, counted)
    table = pd.DataFrame({
        "name": case.witnesses["name"].reindex(votes.witnesses).to_numpy(),
        "reliability": r, "low": low, "high": high,
        "prior": pri["prior"].reindex(votes.witnesses).to_numpy(),
        "claims": n_claims.reindex(votes.witnesses).fillna(0).astype(int).to_numpy(),
        "lines": n_votes.astype(int),
        "corroborated": corr.reindex(votes.witnesses).fillna(0).astype(int).to_numpy(),
        "contradicted": contra.reindex(votes.witnesses).fillna(0).astype(int).to_numpy(),
    }, index=votes.witnesses)
    table.index.name = "witness"
    reasons = []
    prior_reasons = pri["prior_reasons"].reindex(votes.witnesses).tolist()
    counted_n = n_counted.reindex(votes.witnesses).fillna(0).astype(int).tolist()
    for wid, base, n, k_corr, k_con in zip(votes.witnesses.tolist(), prior_reasons, counted_n, table["corroborated"].tolist(), table["contradicted"].tolist()):
        rs = list(base)
        if n:
            if k_corr:
                rs.append(f"{k_corr} of {n} claims corroborated by independent witnesses (+)")
            if k_con:
                rs.append(f"{k_con} of {n} claims contradicted by other witnesses (−)")
            if not k_corr and not k_con:
                rs.append(f"{n} claim{'s' if n != 1 else ''}, none corroborated or contradicted")
        else:
            rs.append("no claim with a stance or value: the prior alone")
        rs.extend(archival.get(wid, []))
        reasons.append(rs)
    table["reasons"] = reasons
    return table.sort_values(["reliability", "name"], ascending=[False, True], kind="mergesort")


def _archival_agreement(case, counted: pd.DataFrame) -> dict[str, list[str]]:
    """'2 of 3 claims checked by the 1995 archival release (rusarch1995) agree with it (+)'."""
    kinds = case.sources["kind"].reindex(counted["source"]).to_numpy()
    arch = counted[kinds == "archival-release"][["source", "witness", "proposition", "side"]].drop_duplicates(["source", "proposition"])
    if arch.empty:
        return {}
    m = counted[["witness", "proposition", "side"]].merge(arch, on="proposition", suffixes=("", "_arch"))
    m = m[m["witness"] != m["witness_arch"]]
    if m.empty:
        return {}
    m["agree"] = m["side"] == m["side_arch"]
    res = m.groupby(["witness", "source"], sort=True)["agree"].agg(["sum", "size"]).reset_index()
    dates = dict(zip(case.sources.index.tolist(), case.sources["date"].tolist()))
    out: dict[str, list[str]] = {}
    for wid, src, k, n in zip(res["witness"].tolist(), res["source"].tolist(), res["sum"].astype(int).tolist(), res["size"].astype(int).tolist()):
        year = dates.get(src)
        label = f"the {year} archival release ({src})" if isinstance(year, str) else f"the archival release {src}"
        sign = "(+)" if k * 2 > n else "(−)" if k * 2 < n else "(±)"
        out.setdefault(wid, []).append(f"{k} of {n} claims checked by {label} agree with it {sign}")
    return out


def _resolve(case, votes: Votes, post: np.ndarray) -> pd.DataFrame:
    """Each proposition's verdict: P(true) or the best-supported value, with its probability."""
    props = case.propositions
    table = pd.DataFrame({"text": props["text"].to_numpy(), "type": props["type"].to_numpy()}, index=props.index.rename("proposition"))
    table.index.name = "proposition"
    table["p_true"] = np.nan
    table["value"] = None
    table["probability"] = np.nan
    table["sides"] = 0
    table["lines"] = 0
    table["best_side"] = np.nan
    if len(votes.items):
        slot_df = pd.DataFrame({"item": votes.slot_item, "side": votes.slot_side, "p": post})
        item_is_bool = (props["type"].reindex(votes.items).to_numpy() == "boolean")
        first = votes.offsets
        p_true = pd.Series(post[first], index=votes.items)[item_is_bool]
        table.loc[p_true.index, "p_true"] = p_true.to_numpy()
        best = slot_df.sort_values(["item", "p", "side"], ascending=[True, False, True], kind="mergesort").drop_duplicates("item")
        ids = votes.items[best["item"].to_numpy()]
        table.loc[ids, "probability"] = best["p"].to_numpy()
        table.loc[ids, "best_side"] = best["side"].to_numpy()
        n_lines = np.bincount(votes.item, minlength=len(votes.items))
        table.loc[votes.items, "lines"] = n_lines
        n_sides = np.bincount(votes.slot_item[votes.slot_side >= 0], minlength=len(votes.items))
        table.loc[votes.items, "sides"] = n_sides
    is_bool_t = table["type"] == "boolean"
    table.loc[is_bool_t & table["p_true"].isna(), "p_true"] = 0.5
    pt = table.loc[is_bool_t, "p_true"]
    table.loc[is_bool_t, "probability"] = pt.where(pt >= 0.5, 1 - pt)
    table.loc[is_bool_t, "value"] = np.where(pt >= 0.5, "true", "false")
    table["probability"] = table["probability"].fillna(0.5)
    return table


def reliability(case, as_of: str | None = None, **params) -> pd.DataFrame:
    """Shortcut: ``Reliability(**params, as_of=as_of).fit(case).reliability_``."""
    return Reliability(as_of=as_of, **params).fit(case).reliability_


def propositions(case, as_of: str | None = None, estimator: "Reliability | None" = None, **params) -> pd.DataFrame:
    """Each proposition resolved: ``p_true`` (boolean), ``value`` (the best-supported position as
    written) and ``probability`` (of that value), with ``sides`` and ``lines``."""
    est = estimator if estimator is not None else Reliability(as_of=as_of, **params).fit(case)
    table = est.propositions_.copy()
    ev = est.evidence_[est.evidence_["side"] >= 0]
    labels = ev.drop_duplicates(["proposition", "side"]).set_index(["proposition", "side"])["position"]
    valued = (table["type"] != "boolean") & table["best_side"].notna()
    if valued.any():
        sub = table.loc[valued, "best_side"].astype(int)
        key = pd.MultiIndex.from_arrays([sub.index, sub.to_numpy()])
        vals = labels.reindex(key).to_numpy(dtype=object)
        vals[sub.to_numpy() < 0] = "(another value)"
        table.loc[valued, "value"] = vals
    table = table.drop(columns="best_side")
    return table
