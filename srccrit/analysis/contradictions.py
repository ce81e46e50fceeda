"""Contradictory testimony: propositions on which the claims stand on two or more sides.

See :mod:`srccrit.analysis.evidence` for how sides and independent lines are formed.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from .evidence import positions

__all__ = ["contradictions", "contradictions_records", "lines", "undeclared_dependence"]

_COLUMNS = ["proposition", "text", "kind", "side", "position", "witnesses", "claims", "sources", "lines", "self_contradicting", "uncertain"]


def _grouped_lists(frame: pd.DataFrame, keys: list[str], col: str) -> pd.Series:
    """Sorted distinct values of ``col`` per group, as Python lists (numpy split, no per-group call)."""
    values = frame[keys + [col]].drop_duplicates().sort_values(keys + [col], kind="mergesort")
    if values.empty:
        return pd.Series([], dtype=object)
    k = values[keys]
    change = np.ones(len(values), dtype=bool)
    change[1:] = (k.iloc[1:].to_numpy() != k.iloc[:-1].to_numpy()).any(axis=1)
    starts = np.flatnonzero(change)
    parts = np.split(values[col].to_numpy(dtype=object), starts[1:])
    index = pd.MultiIndex.from_frame(k.iloc[starts]) if len(keys) > 1 else pd.Index(k.iloc[starts, 0])
    return pd.Series([p.tolist() for p in parts], index=index, dtype=object)


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
    counted = ev[ev["side"] >= 0]
    n_sides = counted.groupby("proposition")["side"].nunique()
    contested = n_sides.index[n_sides >= 2]
    if len(contested) == 0:
        return pd.DataFrame(columns=_COLUMNS)
    sub = counted[counted["proposition"].isin(contested)]
    keys = ["proposition", "side"]
    table = sub.groupby(keys, sort=True).agg(position=("position", "first"), lines=("line", "nunique"))
    for col, name in (("witness", "witnesses"), ("claim", "claims"), ("source", "sources")):
        table[name] = _grouped_lists(sub, keys, col).reindex(table.index)
    table = table.reset_index()[["proposition", "side", "position", "witnesses", "claims", "sources", "lines"]]
    # a witness on more than one side of the same proposition contradicts himself
    per_witness = sub.groupby(["proposition", "witness"])["side"].nunique()
    selfc = _grouped_lists(per_witness[per_witness > 1].reset_index(), ["proposition"], "witness")
    table["self_contradicting"] = table["proposition"].map(selfc).map(lambda v: v if isinstance(v, list) else [])
    unsure = _grouped_lists(ev[(ev["side"] < 0) & ev["proposition"].isin(contested)], ["proposition"], "witness")
    table["uncertain"] = table["proposition"].map(unsure).map(lambda v: v if isinstance(v, list) else [])
    table["kind"] = np.where(case.propositions["type"].reindex(table["proposition"]).to_numpy() == "boolean", "stance", "value")
    table["text"] = case.propositions["text"].reindex(table["proposition"]).to_numpy()
    return table[_COLUMNS].reset_index(drop=True)


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
    out = ev[["claim", "proposition", "position", "witness", "source", "origin", "line"]].copy()
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
