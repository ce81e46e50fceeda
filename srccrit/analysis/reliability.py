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
    """The source-critical prior of each witness: ``prior``, ``strength``, ``a``, ``b``, ``reasons``."""
    ev = positions(case) if evidence is None else evidence
    w = case.witnesses
    claims = case.claims
    rows = []
    kinds = case.sources["kind"].reindex(claims["source"]).to_numpy()
    gap_years = ((claims["date_start"] - case.propositions["date_end"].reindex(claims["proposition"]).to_numpy()).dt.days / 365.25).to_numpy()
    per_w = pd.DataFrame({"witness": claims["witness"].to_numpy(), "kind": kinds, "gap": gap_years})
    kinds_by_w = {k: g for k, g in per_w.groupby("witness")}
    # who stands against whom: (witness, other) pairs on opposite sides of a proposition
    counted = ev[ev["side"] >= 0][["proposition", "side", "witness"]].drop_duplicates()
    opp = counted.merge(counted, on="proposition")
    opp = opp[opp["side_x"] != opp["side_y"]]
    opponents = opp.groupby("witness_x")["witness_y"].agg(set).to_dict()
    names = w["name"].to_dict()
    for wid, row in w.iterrows():
        reasons: list[str] = []
        prox = row["proximity"] if isinstance(row["proximity"], str) else None
        p = PRIOR_TABLE.get(prox, 0.60)
        reasons.append(f"{prox or 'proximity not stated'}: base {p:.2f}" + (" (+)" if p > 0.62 else " (−)" if p < 0.6 else ""))
        g = kinds_by_w.get(wid)
        if g is not None and len(g):
            gaps = g["gap"].dropna()
            if prox in MEMORY_PROXIMITIES and len(gaps):
                med = float(np.median(gaps))
                if med <= 1:
                    p += 0.05
                    reasons.append("testimony within a year of the events (+)")
                elif med > 25:
                    p -= 0.10
                    reasons.append(f"testimony {med:.0f} years after the events (−)")
                elif med > 10:
                    p -= 0.05
                    reasons.append(f"testimony {med:.0f} years after the events (−)")
            share_records = float(np.isin(g["kind"], list(CONTEMPORARY_KINDS)).mean())
            share_memory = float(np.isin(g["kind"], list(RECOLLECTION_KINDS)).mean())
            if share_records >= 0.5:
                p += 0.05
                reasons.append("testifies mostly in contemporary records (+)")
            elif share_memory >= 0.5:
                p -= 0.05
                reasons.append("testifies mostly in memoirs, interviews or later testimony (−)")
        hostile = [h for h in row["hostile_to"] if h in w.index]
        if hostile:
            against = [h for h in hostile if h in opponents.get(wid, set())]
            if against:
                p -= 0.05
                reasons.append("hostile to " + ", ".join(names[h] for h in against) + ", who contradicts him (−)")
            else:
                p -= 0.02
                reasons.append("hostile to " + ", ".join(names[h] for h in hostile) + " (−)")
        if not np.isnan(row["prior"]):
            p = float(row["prior"])
            reasons = [f"prior set by the case: {p:.2f}"]
        p = float(np.clip(p, 0.05, 0.95))
        s = float(row["prior_strength"]) if not np.isnan(row["prior_strength"]) else (document_strength if prox == "document" else strength)
        rows.append({"witness": wid, "prior": p, "strength": s, "a": p * s, "b": (1 - p) * s, "prior_reasons": reasons})
    return pd.DataFrame(rows).set_index("witness")


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
    for wid in votes.witnesses:
        rs = list(pri.at[wid, "prior_reasons"])
        n = int(n_counted.get(wid, 0))
        k_corr, k_con = int(table.at[wid, "corroborated"]), int(table.at[wid, "contradicted"])
        if n:
            if k_corr:
                rs.append(f"{k_corr} of {n} claims corroborated by independent witnesses (+)")
            if k_con:
                rs.append(f"{k_con} of {n} claims contradicted by other witnesses (−)")
            if not k_corr and not k_con:
                rs.append(f"{n} claim{'s' if n != 1 else ''}, none corroborated or contradicted")
        else:
            rs.append("no claim with a stance or value: the prior alone")
        for text in archival.get(wid, []):
            rs.append(text)
        reasons.append(rs)
    table["reasons"] = reasons
    return table.sort_values(["reliability", "name"], ascending=[False, True], kind="mergesort")


def _archival_agreement(case, counted: pd.DataFrame) -> dict[str, list[str]]:
    """'2 of 3 claims agree with <archival release> (+)' for witnesses an archive checks."""
    kinds = case.sources["kind"].reindex(counted["source"]).to_numpy()
    arch = counted[np.isin(kinds, ["archival-release"])]
    if arch.empty:
        return {}
    out: dict[str, list[str]] = {}
    for src, g in arch.groupby("source"):
        year = case.sources.at[src, "date"] if isinstance(case.sources.at[src, "date"], str) else ""
        label = f"the {year} archival release ({src})" if year else f"the archival release {src}"
        arch_side = g.drop_duplicates("proposition").set_index("proposition")["side"]
        others = counted[counted["proposition"].isin(arch_side.index) & ~counted["witness"].isin(g["witness"])]
        if others.empty:
            continue
        agree = others["side"].to_numpy() == arch_side.reindex(others["proposition"]).to_numpy()
        res = pd.DataFrame({"witness": others["witness"].to_numpy(), "agree": agree}).groupby("witness")["agree"].agg(["sum", "size"])
        for wid, row in res.iterrows():
            k, n = int(row["sum"]), int(row["size"])
            sign = "(+)" if k * 2 > n else "(−)" if k * 2 < n else "(±)"
            out.setdefault(wid, []).append(f"{k} of {n} claims checked by {label} agree with it {sign}")
    return out


def _resolve(case, votes: Votes, post: np.ndarray) -> pd.DataFrame:
    """Each proposition's verdict: P(true) or the best-supported value, with its probability."""
    rows = []
    props = case.propositions
    for pid in props.index:
        rows.append({"proposition": pid, "text": props.at[pid, "text"], "type": props.at[pid, "type"]})
    table = pd.DataFrame(rows).set_index("proposition")
    table["p_true"] = np.nan
    table["value"] = None
    table["probability"] = np.nan
    table["sides"] = 0
    table["lines"] = 0
    if len(votes.items):
        slot_df = pd.DataFrame({"item": votes.slot_item, "side": votes.slot_side, "p": post})
        slot_df["proposition"] = votes.items[slot_df["item"].to_numpy()]
        is_bool = props["type"].reindex(slot_df["proposition"]).to_numpy() == "boolean"
        p_true = slot_df[is_bool & (slot_df["side"] == 0)].set_index("proposition")["p"]
        table.loc[p_true.index, "p_true"] = p_true
        best = slot_df.sort_values(["proposition", "p", "side"], ascending=[True, False, True], kind="mergesort").drop_duplicates("proposition").set_index("proposition")
        table.loc[best.index, "probability"] = best["p"]
        table.loc[best.index, "best_side"] = best["side"]
        n_lines = pd.Series(votes.item).value_counts()
        table.loc[votes.items[n_lines.index.to_numpy()], "lines"] = n_lines.to_numpy()
        n_sides = slot_df[slot_df["side"] >= 0].groupby("proposition").size()
        table.loc[n_sides.index, "sides"] = n_sides
    is_bool_t = table["type"] == "boolean"
    table.loc[is_bool_t & table["p_true"].isna(), "p_true"] = 0.5
    table.loc[is_bool_t, "probability"] = table.loc[is_bool_t, "p_true"].where(table.loc[is_bool_t, "p_true"] >= 0.5, 1 - table.loc[is_bool_t, "p_true"])
    table.loc[is_bool_t, "value"] = np.where(table.loc[is_bool_t, "p_true"] >= 0.5, "true", "false")
    table["probability"] = table["probability"].fillna(0.5)
    return table


def reliability(case, as_of: str | None = None, **params) -> pd.DataFrame:
    """Shortcut: ``Reliability(**params, as_of=as_of).fit(case).reliability_``."""
    return Reliability(as_of=as_of, **params).fit(case).reliability_


def propositions(case, as_of: str | None = None, **params) -> pd.DataFrame:
    """Each proposition resolved: ``p_true`` (boolean), ``value`` (the best-supported position as
    written) and ``probability`` (of that value), with ``sides`` and ``lines``."""
    est = Reliability(as_of=as_of, **params).fit(case)
    table = est.propositions_.copy()
    ev = est.evidence_[est.evidence_["side"] >= 0]
    labels = ev.drop_duplicates(["proposition", "side"]).set_index(["proposition", "side"])["position"]
    if "best_side" in table:
        valued = (table["type"] != "boolean") & table["best_side"].notna()
        for pid in table.index[valued]:
            side = int(table.at[pid, "best_side"])
            table.at[pid, "value"] = "(another value)" if side < 0 else labels.get((pid, side))
        table = table.drop(columns="best_side")
    return table
