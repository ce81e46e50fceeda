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

from .._arrays import take
from .evidence import codes_of, first_per_group, positions, rank_in, sorted_unique, table_values

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
    w_code, w_ids = codes_of(claims["witness"])
    s_code, s_ids = codes_of(claims["source"])
    p_code, p_ids = codes_of(claims["proposition"])
    kind_of = table_values(case, "sources", "kind", s_ids)
    records_of = np.isin(kind_of, list(CONTEMPORARY_KINDS))
    memory_of = np.isin(kind_of, list(RECOLLECTION_KINDS))
    event_end = table_values(case, "propositions", "date_end", p_ids, dtype="datetime64[s]")
    gap_years = (claims["date_start"].to_numpy(dtype="datetime64[s]") - event_end[p_code]).astype("timedelta64[D]").astype(float) / 365.25
    gap_years[np.isnat(claims["date_start"].to_numpy(dtype="datetime64[s]")) | np.isnat(event_end[p_code])] = np.nan
    n_w = len(w_ids)
    n_claims = np.bincount(w_code, minlength=n_w).astype(float)
    with np.errstate(invalid="ignore", divide="ignore"):
        records_share = np.bincount(w_code, records_of[s_code], minlength=n_w) / n_claims
        memory_share = np.bincount(w_code, memory_of[s_code], minlength=n_w) / n_claims
    median_gap = pd.Series(gap_years).groupby(w_code).median().reindex(np.arange(n_w)).to_numpy()
    at = w_ids.get_indexer(pd.Index(w.index.astype(str)))
    stats = pd.DataFrame({"gap": take(median_gap, at, np.nan), "records": take(records_share, at, np.nan),
                          "memory": take(memory_share, at, np.nan)}, index=w.index)

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
        plain = ev[ev["side"] >= 0][["proposition", "side", "witness"]].astype({"proposition": object, "witness": object})
        counted = plain[plain["witness"].isin(hostile_ids)].drop_duplicates()
        others = plain[plain["proposition"].isin(set(counted["proposition"]))].drop_duplicates()
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
    prox_list = prox.tolist()
    for i, wid in enumerate(w.index.tolist()):
        if not np.isnan(override[i]):
            reasons.append([f"prior set by the case: {override[i]:.2f}"])
            continue
        x = prox_list[i] if isinstance(prox_list[i], str) else None
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
    item_rows: np.ndarray | None = None  # row of each proposition in case.propositions


def build_votes(case, evidence: pd.DataFrame) -> Votes:
    """One vote per line of evidence (``evidence["line"]``), cast by the line's origin."""
    side_all = evidence["side"].to_numpy()
    line_all = evidence["line"].to_numpy()
    counted = np.flatnonzero(side_all >= 0)
    o_code, o_ids = codes_of(evidence["origin"])
    witnesses = pd.Index(sorted(case.witnesses.index), dtype=object)
    if o_ids.equals(witnesses):
        witnesses = o_ids
    p_code, p_ids = codes_of(evidence["proposition"])
    t_code, t_ids = codes_of(evidence["type"])
    # a line votes once, in the name of its origin witness: its first row speaks for it (line
    # ids are dense, 0 .. lines - 1)
    line_ids = np.arange(int(line_all.max()) + 1 if len(counted) else 0)
    rows = np.full(len(line_ids), len(side_all), dtype=np.int64)
    np.minimum.at(rows, line_all[counted], counted)
    present = rows < len(side_all)  # evidence filtered by the caller may leave gaps
    line_ids, rows = line_ids[present], rows[present]
    voter_of_origin = np.arange(len(o_ids)) if witnesses is o_ids else witnesses.get_indexer(pd.Index(np.asarray(o_ids, dtype=object)))
    voter = voter_of_origin[o_code[rows]] if len(rows) else np.zeros(0, dtype=np.int64)
    p_line = p_code[rows]
    item_codes = sorted_unique(p_line)
    items = pd.Index(np.asarray(p_ids, dtype=object)[item_codes], dtype=object)
    item = rank_in(p_line, item_codes)
    boolean = t_ids.get_indexer(["boolean"])[0]
    is_bool = t_code[rows] == boolean if boolean >= 0 else np.zeros(len(rows), dtype=bool)
    side = side_all[rows]
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
        voter=voter, item=item, slot=offsets[item] + side, witnesses=witnesses,
        items=items, slot_item=slot_item, slot_side=slot_side, offsets=offsets, k=k, line_ids=line_ids,
        item_rows=case.rows_of("propositions", p_ids)[item_codes],
    )


class _Design:
    """The votes as sparse incidence matrices, so that each EM step is three sparse
    matrix-vector products over the witnesses' skills instead of gathers over every vote.

    With ``lr_w = log r_w`` and ``lw_w = log(1 - r_w)``, a vote's log-likelihood is ``lr_w`` on
    the option it names and ``lw_w - log(K_i - 1)`` on every other option, so an option's score is
    ``(item x witness) @ lw - C_item + (slot x witness) @ (lr - lw) + C_slot`` where the C terms
    sum ``log(K_i - 1)`` over the votes and never change."""

    def __init__(self, v: Votes, n_witnesses: int):
        from scipy.sparse import csr_matrix

        ones = np.ones(len(v.voter))
        self.item_by_witness = csr_matrix((ones, (v.item, v.voter)), shape=(len(v.items), n_witnesses))
        self.slot_by_witness = csr_matrix((ones, (v.slot, v.voter)), shape=(len(v.slot_item), n_witnesses))
        self.witness_by_slot = self.slot_by_witness.T.tocsr()
        log_other = np.log(v.k[v.item] - 1)
        self.c_item = np.bincount(v.item, log_other, minlength=len(v.items))
        self.c_slot = np.bincount(v.slot, log_other, minlength=len(v.slot_item))
        self.n_votes = np.bincount(v.voter, minlength=n_witnesses).astype(float)


def _posterior(v: Votes, r: np.ndarray, design: _Design | None = None) -> np.ndarray:
    """E-step: posterior probability of every option of every proposition."""
    design = design or _Design(v, len(r))
    rw = np.clip(r, 1e-9, 1 - 1e-9)
    log_right, log_wrong = np.log(rw), np.log1p(-rw)
    base = design.item_by_witness @ log_wrong - design.c_item
    bonus = design.slot_by_witness @ (log_right - log_wrong) + design.c_slot
    score = base[v.slot_item] + bonus
    top = np.maximum.reduceat(score, v.offsets) if len(score) else score
    e = np.exp(score - top[v.slot_item])
    total = np.add.reduceat(e, v.offsets) if len(e) else e
    return e / total[v.slot_item]


def run_em(v: Votes, a: np.ndarray, b: np.ndarray, n_iter: int = 200, tol: float = 1e-8) -> tuple[np.ndarray, np.ndarray, int, bool]:
    """Fit the skills. Returns (r, posterior per option, iterations, converged)."""
    r = a / (a + b)
    design = _Design(v, len(a))
    post = _posterior(v, r, design)
    for it in range(1, n_iter + 1):
        # expected correct votes of each witness: the posterior of the options he named
        r_new = (a + design.witness_by_slot @ post) / (a + b + design.n_votes)
        post = _posterior(v, r_new, design)
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
        self.skills_ = pd.Series(r, index=votes.witnesses.rename(None), name="reliability")  # a copy of the index
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

    side_all = ev["side"].to_numpy()
    rows = np.flatnonzero(side_all >= 0)
    w_code, w_ids = codes_of(ev["witness"])
    p_code, _ = codes_of(ev["proposition"])
    # witness codes -> positions in votes.witnesses (the same sorted ids for a loaded case)
    to_voter = _voter_index(votes, w_ids)
    wv = to_voter[w_code[rows]] if len(rows) else np.zeros(0, dtype=np.int64)
    side = side_all[rows]
    n_side = int(side.max()) + 1 if len(side) else 1
    side_key = p_code[rows] * n_side + side
    sides = sorted_unique(side_key)
    at_side = rank_in(side_key, sides)
    # independent lines on each side: distinct lines (a line is one origin on one side)
    line = ev["line"].to_numpy()[rows]
    line_side = np.zeros(int(line.max()) + 1 if len(line) else 0, dtype=np.int64)
    line_side[line] = at_side
    lines_per_side = np.bincount(line_side, minlength=len(sides)) if len(line_side) else np.zeros(len(sides), dtype=np.int64)
    corroborated = lines_per_side[at_side] > 1  # another independent line on the same side
    sides_per_prop = np.bincount(sides // n_side)
    contested = sides_per_prop[p_code[rows]] > 1
    n_w = len(votes.witnesses)
    corr = np.bincount(wv, corroborated, minlength=n_w).astype(int)
    contra = np.bincount(wv, contested, minlength=n_w).astype(int)
    n_counted = np.bincount(wv, minlength=n_w).astype(int)
    c_code, c_ids = codes_of(case.claims["witness"])
    n_claims = np.bincount(_voter_index(votes, c_ids)[c_code], minlength=n_w) if len(c_code) else np.zeros(n_w, dtype=int)

    archival = _archival_agreement(case, ev, rows, votes.witnesses, wv)
    table = pd.DataFrame({
        "name": case.witnesses["name"].reindex(votes.witnesses).to_numpy(),
        "reliability": r, "low": low, "high": high,
        "prior": pri["prior"].reindex(votes.witnesses).to_numpy(),
        "claims": n_claims.astype(int),
        "lines": n_votes.astype(int),
        "corroborated": corr,
        "contradicted": contra,
    }, index=votes.witnesses.rename("witness"))  # a renamed copy: the index is the claims' categories
    reasons = []
    prior_reasons = pri["prior_reasons"].reindex(votes.witnesses).tolist()
    for wid, base, n, k_corr, k_con in zip(votes.witnesses.tolist(), prior_reasons, n_counted.tolist(), corr.tolist(), contra.tolist()):
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


def _voter_index(votes: Votes, ids: pd.Index) -> np.ndarray:
    """Position in ``votes.witnesses`` of each of ``ids``."""
    if ids is votes.witnesses:
        return np.arange(len(ids))
    return votes.witnesses.get_indexer(pd.Index(np.asarray(ids, dtype=object)))


#: above this many archival releases checking one witness, his reasons give one total
ARCHIVAL_DETAIL = 3


def _archival_agreement(case, ev: pd.DataFrame, rows: np.ndarray, witnesses: pd.Index, wv: np.ndarray) -> dict[str, list[str]]:
    """'2 of 3 claims checked by the 1995 archival release (rusarch1995) agree with it (+)'; one
    line per release, or a total over all of them when more than ``ARCHIVAL_DETAIL`` check him."""
    s_code, s_ids = codes_of(ev["source"])
    is_arch = table_values(case, "sources", "kind", s_ids) == "archival-release"
    src = s_code[rows]
    arch_rows = np.flatnonzero(is_arch[src]) if len(src) else np.zeros(0, dtype=np.int64)
    if not len(arch_rows):
        return {}
    p_code, _ = codes_of(ev["proposition"])
    p_rows, side_rows = p_code[rows], ev["side"].to_numpy()[rows]
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
    other = wv[claim] != wv[release]
    claim, release = claim[other], release[other]
    if not len(claim):
        return {}
    agree = side_rows[claim] == side_rows[release]
    n_s = int(src.max()) + 1
    pair, inv = np.unique(wv[claim] * n_s + src[release], return_inverse=True)
    res = pd.DataFrame({"w": pair // n_s, "s": pair % n_s, "sum": np.bincount(inv, agree), "size": np.bincount(inv)})
    dates = table_values(case, "sources", "date", s_ids).tolist()
    names = np.asarray(s_ids, dtype=object)
    wit = witnesses.tolist()
    out: dict[str, list[str]] = {}

    def sign(k: int, n: int) -> str:
        return "(+)" if k * 2 > n else "(−)" if k * 2 < n else "(±)"

    per_w = res.groupby("w", sort=True).agg(k=("sum", "sum"), n=("size", "sum"), releases=("s", "size"))
    many = set(per_w.index[per_w["releases"] > ARCHIVAL_DETAIL].tolist())
    for w, k, n, releases in zip(per_w.index.tolist(), per_w["k"].astype(int).tolist(), per_w["n"].astype(int).tolist(), per_w["releases"].tolist()):
        if w in many:
            out[wit[w]] = [f"{k} of {n} claims checked by {releases} archival releases agree with them {sign(k, n)}"]
    for w, sc, k, n in zip(res["w"].tolist(), res["s"].tolist(), res["sum"].astype(int).tolist(), res["size"].astype(int).tolist()):
        if w in many:
            continue
        year = dates[sc]
        label = f"the {year} archival release ({names[sc]})" if isinstance(year, str) else f"the archival release {names[sc]}"
        out.setdefault(wit[w], []).append(f"{k} of {n} claims checked by {label} agree with it {sign(k, n)}")
    return out


def _resolve(case, votes: Votes, post: np.ndarray) -> pd.DataFrame:
    """Each proposition's verdict: P(true) or the best-supported value, with its probability."""
    props = case.propositions
    n = len(props)
    ptype = props["type"].to_numpy(dtype=object)
    p_true = np.full(n, np.nan)
    probability = np.full(n, np.nan)
    best_side = np.full(n, np.nan)
    n_sides = np.zeros(n, dtype=np.int64)
    n_lines = np.zeros(n, dtype=np.int64)
    if len(votes.items):
        at = votes.item_rows if votes.item_rows is not None else props.index.get_indexer(votes.items)
        item_is_bool = ptype[at] == "boolean"
        p_true[at[item_is_bool]] = post[votes.offsets[item_is_bool]]
        # the best option of each proposition: highest posterior, then the lowest side
        best = first_per_group(votes.slot_item, -post, votes.slot_side)
        probability[at] = post[best]
        best_side[at] = votes.slot_side[best]
        n_lines[at] = np.bincount(votes.item, minlength=len(votes.items))
        n_sides[at] = np.bincount(votes.slot_item[votes.slot_side >= 0], minlength=len(votes.items))
    is_bool = ptype == "boolean"
    p_true[is_bool & np.isnan(p_true)] = 0.5
    probability[is_bool] = np.where(p_true[is_bool] >= 0.5, p_true[is_bool], 1 - p_true[is_bool])
    value = np.full(n, None, dtype=object)
    value[is_bool] = np.where(p_true[is_bool] >= 0.5, "true", "false")
    table = pd.DataFrame({"text": props["text"].to_numpy(), "type": ptype, "p_true": p_true,
                          "value": pd.Series(value, dtype=object).array, "probability": np.where(np.isnan(probability), 0.5, probability),
                          "sides": n_sides, "lines": n_lines, "best_side": best_side}, index=props.index.rename("proposition"))
    return table


def reliability(case, as_of: str | None = None, **params) -> pd.DataFrame:
    """Shortcut: ``Reliability(**params, as_of=as_of).fit(case).reliability_``."""
    return Reliability(as_of=as_of, **params).fit(case).reliability_


def propositions(case, as_of: str | None = None, estimator: "Reliability | None" = None, **params) -> pd.DataFrame:
    """Each proposition resolved: ``p_true`` (boolean), ``value`` (the best-supported position as
    written) and ``probability`` (of that value), with ``sides`` and ``lines``."""
    est = estimator if estimator is not None else Reliability(as_of=as_of, **params).fit(case)
    table = est.propositions_.copy()
    valued = ((table["type"] != "boolean") & table["best_side"].notna()).to_numpy()
    if valued.any():
        ev = est.evidence_
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
    return table.drop(columns="best_side")
