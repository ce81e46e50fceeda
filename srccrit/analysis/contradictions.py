"""Contradictory testimony: propositions on which the claims stand on two or more sides.

See :mod:`srccrit.analysis.evidence` for how sides and independent lines are formed.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from .._gc import paused_gc
from .evidence import codes_of, line_labels, positions, rank_in, sorted_unique, stable_order, table_values

__all__ = ["contradictions", "contradictions_records", "lines", "undeclared_dependence"]

_COLUMNS = ["proposition", "text", "kind", "side", "position", "witnesses", "claims", "sources", "lines", "self_contradicting", "uncertain"]


def distinct_per_group(group: np.ndarray, codes: np.ndarray, labels: pd.Index, n_groups: int) -> list[list]:
    """For each group 0..n_groups-1, the distinct labels of its rows' codes, sorted (codes index
    the sorted ``labels``). One sort of integer pairs, then list slices: no per-group pandas call."""
    if not len(group):
        return [[] for _ in range(n_groups)]
    width = int(codes.max()) + 1
    pairs = sorted_unique(group.astype(np.int64) * width + codes)
    counts = np.bincount(pairs // width, minlength=n_groups)
    bounds = np.r_[0, np.cumsum(counts)]
    names = np.asarray(labels, dtype=object)[pairs % width].tolist()
    filled = np.flatnonzero(counts)
    if len(filled) == n_groups:
        b = bounds.tolist()
        return [names[b[i]:b[i + 1]] for i in range(n_groups)]
    out: list[list] = [[] for _ in range(n_groups)]
    for i, a, b in zip(filled.tolist(), bounds[filled].tolist(), bounds[filled + 1].tolist()):
        out[i] = names[a:b]
    return out


def contradictions(case, evidence: pd.DataFrame | None = None) -> pd.DataFrame:
    """One row per side of each contested proposition.

    Columns: ``proposition``, ``text``, ``kind`` (``stance`` for boolean propositions, ``value``
    otherwise), ``side`` (0, 1, ...), ``position`` (``affirms``/``denies`` or the value as written),
    ``witnesses``, ``claims``, ``sources`` (sorted lists), ``lines`` (independent lines of evidence
    on that side), ``self_contradicting`` (witnesses found on more than one side of the
    proposition) and ``uncertain`` (witnesses who testified ``uncertain``).
    Propositions on which all claims agree do not appear.

    >>> contradictions(load_case())  # doctest: +SKIP
    """
    ev = positions(case) if evidence is None else evidence
    with paused_gc():
        return _contradictions(case, ev)


def _contradictions(case, ev: pd.DataFrame) -> pd.DataFrame:
    side = ev["side"].to_numpy()
    prop, prop_ids = codes_of(ev["proposition"])
    wit, wit_ids = codes_of(ev["witness"])
    counted = side >= 0
    if not counted.any():
        return pd.DataFrame(columns=_COLUMNS)
    n_side = int(side.max()) + 1
    side_key = prop * n_side + side
    sides = sorted_unique(side_key[counted])
    n_sides = np.bincount(sides // n_side, minlength=len(prop_ids))
    contested = n_sides >= 2
    if not contested.any():
        return pd.DataFrame(columns=_COLUMNS)
    sides = sides[contested[sides // n_side]]
    rows = np.flatnonzero(counted & contested[prop])
    g = rank_in(side_key[rows], sides)  # each row's side, numbered over the table
    n_g = len(sides)
    src, src_ids = codes_of(ev["source"])
    witnesses = distinct_per_group(g, wit[rows], wit_ids, n_g)
    sources = distinct_per_group(g, src[rows], src_ids, n_g)
    order = stable_order(g)
    claim_ids = np.asarray(ev["claim"].array.take(rows[order]), dtype=object).tolist()
    bounds = np.r_[0, np.cumsum(np.bincount(g, minlength=n_g))].tolist()
    claims = [claim_ids[a:b] for a, b in zip(bounds[:-1], bounds[1:])]
    for group in claims:
        if len(group) > 1:
            group.sort()
    line = ev["line"].to_numpy()[rows]
    lines = np.bincount(sorted_unique(g.astype(np.int64) * (int(line.max()) + 1) + line) // (int(line.max()) + 1), minlength=n_g)
    first = rows[order[np.asarray(bounds[:-1])]]
    side_prop = sides // n_side

    # a witness on more than one side of the same proposition contradicts himself; the
    # uncertain are listed by proposition
    contested_props = np.flatnonzero(contested)
    prop_row = np.full(len(prop_ids), -1)
    prop_row[contested_props] = np.arange(len(contested_props))
    trip = sorted_unique((prop[rows] * len(wit_ids) + wit[rows]) * n_side + side[rows]) // n_side
    pw, k = np.unique(trip, return_counts=True)
    selfc = pw[k > 1]
    self_lists = distinct_per_group(prop_row[selfc // len(wit_ids)], selfc % len(wit_ids), wit_ids, len(contested_props))
    unsure_rows = np.flatnonzero(~counted & contested[prop])
    unsure_lists = distinct_per_group(prop_row[prop[unsure_rows]], wit[unsure_rows], wit_ids, len(contested_props))
    at = prop_row[side_prop].tolist()

    ptype = table_values(case, "propositions", "type", prop_ids)[side_prop]
    columns = {
        "proposition": np.asarray(prop_ids, dtype=object)[side_prop],
        "text": table_values(case, "propositions", "text", prop_ids)[side_prop],
        "kind": np.where(ptype == "boolean", "stance", "value").astype(object),
        "side": sides % n_side,
        "position": np.asarray(ev["position"].array.take(first), dtype=object),
        "witnesses": witnesses,
        "claims": claims,
        "sources": sources,
        "lines": lines,
        "self_contradicting": [self_lists[i] for i in at],
        "uncertain": [unsure_lists[i] for i in at],
    }
    # object columns built once (pandas would otherwise copy every text into Arrow)
    table = pd.DataFrame({c: _objects(v) if isinstance(v, list) or v.dtype == object else v for c, v in columns.items()})
    return table[_COLUMNS]


def _objects(items) -> pd.Series:
    """An object column: one Python object (a list, a text) per row, kept as it is."""
    return pd.Series(np.fromiter(items, dtype=object, count=len(items)), dtype=object, copy=False)


def contradictions_records(table: pd.DataFrame) -> list[dict]:
    """The documented JSON shape: one object per contested proposition with its sides."""
    out = []
    for prop, group in table.groupby("proposition", sort=True):
        first = group.iloc[0]
        out.append({
            "proposition": prop,
            "text": first["text"],
            "kind": first["kind"],
            "sides": [
                {"position": r.position, "witnesses": list(r.witnesses), "claims": list(r.claims), "sources": list(r.sources), "lines": int(r.lines)}
                for r in group.itertuples()
            ],
            "self_contradicting": list(first["self_contradicting"]),
            "uncertain": list(first["uncertain"]),
        })
    return out


def lines(case, evidence: pd.DataFrame | None = None) -> pd.DataFrame:
    """The chains of transmission: one row per claim, with its origin and line of evidence.

    ``chain`` reads from the origin to the source where we read the claim, e.g.
    ``kovalev -> goncharov1993uncertain -> madonreview``; ``line_claims`` is how many claims
    the line holds (a line is counted once however many claims repeat it).
    """
    ev = positions(case) if evidence is None else evidence
    via = case.claims.set_index("id")["via"].reindex(ev["claim"]).to_numpy()
    chains = []
    for origin, witness, hops, source in zip(ev["origin"], ev["witness"], via, ev["source"]):
        parts = [origin] if origin == witness else [origin, witness]
        parts += list(reversed(list(hops))) + [source]
        chains.append(" -> ".join(dict.fromkeys(parts)))
    out = ev[["claim", "proposition", "position", "witness", "source", "origin"]].astype(
        {"proposition": object, "witness": object, "source": object, "origin": object})
    out["line"] = line_labels(ev)
    out["via"] = [list(v) for v in via]
    out["chain"] = chains
    out["line_claims"] = out.groupby("line")["claim"].transform("size").where(out["line"].notna(), 0).astype(int)
    return out.sort_values(["proposition", "line", "claim"], na_position="last", kind="mergesort").reset_index(drop=True)


def undeclared_dependence(case, evidence: pd.DataFrame | None = None, min_shared: int = 2, threshold: float = 2.0) -> pd.DataFrame:
    """Pairs of witnesses whose agreement is improbable under independence.

    In the spirit of copy detection in truth discovery (Dong, Berti-Equille and Srivastava,
    *Integrating conflicting data: the role of source dependence*, PVLDB 2(1), 2009): sharing a
    *minority* position (a side holding fewer lines than another side of the same proposition)
    is little likely for two independent witnesses, so each shared minority position adds
    ``-log(share of the other witnesses' lines on that side)`` to the pair's score, and each
    proposition on which they stand on opposite sides subtracts ``log 2``. Pairs already
    declared dependent (the same line) are left out. Reported as a finding for the historian:
    nothing is discounted silently.

    Columns: ``witness_a``, ``witness_b``, ``shared_minority``, ``shared_positions`` (list of
    ``proposition=position``), ``disagreements``, ``score``.
    """
    ev = positions(case) if evidence is None else evidence
    # plain strings: witness pairs are ordered by id below, which categoricals do not allow
    ev = ev.astype({c: object for c in ("witness", "source", "proposition", "origin") if c in ev.columns})
    counted = ev[ev["side"] >= 0].drop_duplicates(["proposition", "side", "witness"])
    cols = ["witness_a", "witness_b", "shared_minority", "shared_positions", "disagreements", "score"]
    if counted.empty:
        return pd.DataFrame(columns=cols)
    lines_per_side = ev[ev["side"] >= 0].groupby(["proposition", "side"])["line"].nunique()
    total = lines_per_side.groupby(level=0).sum()
    best = lines_per_side.groupby(level=0).max()
    sides = lines_per_side.reset_index(name="n")
    sides["total"] = sides["proposition"].map(total)
    sides["minority"] = sides["n"] < sides["proposition"].map(best)
    minority = sides[sides["minority"]]
    if minority.empty:
        return pd.DataFrame(columns=cols)
    m = counted.merge(minority[["proposition", "side", "n", "total"]], on=["proposition", "side"])
    m = m[m["n"] <= 50]  # a side of fifty witnesses is no shared secret
    pairs = m.merge(m, on=["proposition", "side", "n", "total"], suffixes=("_a", "_b"))
    pairs = pairs[(pairs["witness_a"] < pairs["witness_b"]) & (pairs["origin_a"] != pairs["origin_b"])]
    if pairs.empty:
        return pd.DataFrame(columns=cols)
    others = (pairs["total"] - 2).clip(lower=0)
    share = ((pairs["n"] - 2).clip(lower=0) + 1) / (others + 2)
    pairs = pairs.assign(gain=-np.log(share), pos=pairs["proposition"] + "=" + pairs["position_a"].astype(str))
    agg = pairs.groupby(["witness_a", "witness_b"]).agg(shared_minority=("gain", "size"), score=("gain", "sum"), shared_positions=("pos", lambda s: sorted(s))).reset_index()
    # disagreements between the same pairs lower the score
    both = counted[["proposition", "side", "witness"]]
    cross = both.merge(both, on="proposition", suffixes=("_a", "_b"))
    cross = cross[(cross["side_a"] != cross["side_b"]) & (cross["witness_a"] < cross["witness_b"])]
    dis = cross.groupby(["witness_a", "witness_b"])["proposition"].nunique().rename("disagreements")
    agg = agg.merge(dis.reset_index(), on=["witness_a", "witness_b"], how="left")
    agg["disagreements"] = agg["disagreements"].fillna(0).astype(int)
    agg["score"] = agg["score"] - np.log(2) * agg["disagreements"]
    agg = agg[(agg["shared_minority"] >= min_shared) & (agg["score"] >= threshold)]
    return agg[cols].sort_values(["score", "witness_a", "witness_b"], ascending=[False, True, True]).reset_index(drop=True)
