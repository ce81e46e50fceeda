"""Positions and lines of evidence: the common ground of every analysis.

**Sides.** Each claim takes a position on its proposition:

* boolean propositions: ``affirms`` or ``denies`` (``uncertain`` claims take no side);
* text propositions: one side per distinct folded text;
* date and number propositions: claims are grouped into sides whose values are *mutually*
  compatible, by interval stabbing: take the claim whose range ends first, put every claim
  whose range contains that end point on one side, remove them and repeat. Every side then
  shares a common point (no two values on a side conflict) and the number of sides is the
  smallest possible. When ranges chain (A overlaps B, B overlaps C, A does not overlap C),
  A and B form one side and C another: the chain is broken at the first point where some
  value no longer fits. A side's *value* is the range all its claims accept (their intersection);
  its label is the most common value as written.

**Lines of evidence.** A claim's origin is its witness: a claim repeated in another source
(with ``via`` listing the intermediaries) is the same testimony. A source's own assertions
(claims whose witness is the source's author) in a source that ``derives_from`` other sources
are not independent of them: such a claim joins the line of a claim from one of those sources
(transitively) that stands on the same side, if there is one. Two claims on the same side with the
same origin are one line, however many books repeat them. A derived claim joins one line; it
never merges two otherwise independent lines.
"""

from __future__ import annotations

import networkx as nx
import numpy as np
import pandas as pd

__all__ = ["positions", "ancestors", "EVIDENCE_COLUMNS"]

EVIDENCE_COLUMNS = [
    "claim", "witness", "source", "proposition", "type", "side", "position", "side_low", "side_high",
    "side_fold", "origin", "line",
]


def ancestors(case) -> dict[str, frozenset]:
    """Every source a source derives from, directly or transitively."""
    graph = nx.DiGraph()
    graph.add_nodes_from(case.sources.index)
    for sid, parents in case.sources["derives_from"].items():
        for p in parents:
            graph.add_edge(sid, p)
    return {sid: frozenset(nx.descendants(graph, sid)) for sid in case.sources.index if graph.out_degree(sid)}


def _stab_groups(prop: np.ndarray, low: np.ndarray, high: np.ndarray) -> np.ndarray:
    """Side numbers for value claims, by greedy interval stabbing within each proposition.

    Input arrays are sorted by (proposition, high, low). Returns the side of each row, numbered
    from 0 within each proposition in order of the stab points.
    """
    n = len(prop)
    side = np.empty(n, dtype=np.int64)
    if n == 0:
        return side
    # a claim joins the current side while its low <= the side's stab point (the side's first high)
    starts = np.flatnonzero(np.r_[True, prop[1:] != prop[:-1]])
    ends = np.r_[starts[1:], n]
    low_l, high_l = low.tolist(), high.tolist()
    for s, e in zip(starts.tolist(), ends.tolist()):
        # members sorted by high: a claim belongs to the first stab point >= its low ...
        # ... but stab points are chosen greedily from claims not yet covered
        covered = [False] * (e - s)
        order_low = sorted(range(s, e), key=lambda i: (low_l[i], high_l[i]))
        k = 0
        j = 0  # pointer into order_low
        for i in range(s, e):
            if covered[i - s]:
                continue
            point = high_l[i]
            # every uncovered claim with low <= point contains point (its high >= point by sort order)
            while j < len(order_low) and low_l[order_low[j]] <= point:
                m = order_low[j]
                if not covered[m - s]:
                    covered[m - s] = True
                    side[m] = k
                j += 1
            k += 1
    return side


def positions(case, claims: pd.DataFrame | None = None) -> pd.DataFrame:
    """One row per claim: its side on the proposition and its line of evidence.

    ``side`` is -1 for ``uncertain`` claims (reported, not counted). ``line`` is a string
    ``proposition|side|origin`` shared by claims that are one line of evidence.
    """
    claims = case.claims if claims is None else claims
    n = len(claims)
    out = pd.DataFrame({
        "claim": claims["id"].to_numpy(),
        "witness": claims["witness"].to_numpy(),
        "source": claims["source"].to_numpy(),
        "proposition": claims["proposition"].to_numpy(),
        "type": claims["type"].to_numpy(),
    })
    side = np.full(n, -1, dtype=np.int64)
    label = np.full(n, None, dtype=object)
    s_low = np.full(n, np.nan)
    s_high = np.full(n, np.nan)
    s_fold = np.full(n, None, dtype=object)
    types = claims["type"].to_numpy()
    stance = claims["stance"].to_numpy()

    is_bool = types == "boolean"
    aff = is_bool & (stance == "affirms")
    den = is_bool & (stance == "denies")
    side[aff], label[aff], s_low[aff], s_high[aff] = 0, "affirms", 1.0, 1.0
    side[den], label[den], s_low[den], s_high[den] = 1, "denies", 0.0, 0.0

    is_text = types == "text"
    if is_text.any():
        idx = np.flatnonzero(is_text)
        sub = pd.DataFrame({"p": claims["proposition"].to_numpy()[idx], "f": claims["value_fold"].to_numpy()[idx],
                            "w": claims["value"].to_numpy()[idx]})
        # sides numbered by folded text order within each proposition (row order never matters)
        sub["side"] = sub.groupby("p")["f"].rank(method="dense").astype("int64") - 1
        side[idx] = sub["side"].to_numpy()
        s_fold[idx] = sub["f"].to_numpy()
        label[idx] = _labels(sub)

    is_range = (types == "date") | (types == "number")
    if is_range.any():
        idx = np.flatnonzero(is_range)
        lo = claims["value_low"].to_numpy()[idx]
        hi = claims["value_high"].to_numpy()[idx]
        pr = claims["proposition"].to_numpy()[idx].astype(str)
        order = np.lexsort((lo, hi, pr))
        grp = np.empty(len(idx), dtype=np.int64)
        grp[order] = _stab_groups(pr[order], lo[order], hi[order])
        side[idx] = grp
        sub = pd.DataFrame({"p": pr, "side": grp, "lo": lo, "hi": hi, "w": claims["value"].to_numpy()[idx]})
        common = sub.groupby(["p", "side"]).agg(lo=("lo", "max"), hi=("hi", "min"))
        key = pd.MultiIndex.from_arrays([sub["p"], sub["side"]])
        s_low[idx] = common["lo"].reindex(key).to_numpy()
        s_high[idx] = common["hi"].reindex(key).to_numpy()
        label[idx] = _labels(sub)

    out["side"] = side
    out["position"] = label
    out["side_low"], out["side_high"], out["side_fold"] = s_low, s_high, s_fold
    out["origin"] = out["witness"].astype(object)
    out = _attach_derived(case, out)
    counted = out["side"].to_numpy() >= 0
    line = np.full(n, None, dtype=object)
    if counted.any():
        line[counted] = (out.loc[counted, "proposition"].astype(str) + "|" + out.loc[counted, "side"].astype(str) + "|"
                         + out.loc[counted, "origin"].astype(str)).to_numpy()
    out["line"] = line
    return out


def _labels(sub: pd.DataFrame) -> np.ndarray:
    """The most common written value of each side (ties: the most precise, then the first in
    sort order), for every row."""
    if "lo" in sub:
        sub = sub.assign(width=sub["hi"] - sub["lo"])
    else:
        sub = sub.assign(width=0.0)
    counts = sub.groupby(["p", "side", "w"], sort=True).agg(n=("width", "size"), width=("width", "min")).reset_index()
    counts = counts.sort_values(["p", "side", "n", "width", "w"], ascending=[True, True, False, True, True], kind="mergesort")
    best = counts.drop_duplicates(["p", "side"]).set_index(["p", "side"])["w"]
    key = pd.MultiIndex.from_arrays([sub["p"], sub["side"]])
    return best.reindex(key).to_numpy()


def _attach_derived(case, out: pd.DataFrame) -> pd.DataFrame:
    anc = ancestors(case)
    if not anc:
        return out
    author = case.sources["author"]
    authors_of = {sid: a for sid, a in author.items() if isinstance(a, str)}
    # the source in which the witness speaks as author: the claim's own source, or a source in
    # its via chain that he wrote (the book's assertion as a review relays it)
    own_source = out["source"].to_numpy().copy()
    src_author = author.reindex(out["source"]).to_numpy()
    authorial = (out["witness"].to_numpy() == src_author)
    via = case.claims["via"].to_numpy() if len(case.claims) == len(out) else case.claims.set_index("id")["via"].reindex(out["claim"]).to_numpy()
    for pos in np.flatnonzero(~authorial & (out["side"].to_numpy() >= 0)):
        for hop in via[pos]:
            if authors_of.get(hop) == out["witness"].iat[pos]:
                own_source[pos], authorial[pos] = hop, True
                break
    derived = authorial & (out["side"].to_numpy() >= 0) & np.isin(own_source, list(anc))
    if not derived.any():
        return out
    props = out["proposition"].to_numpy()
    sides = out["side"].to_numpy()
    sources = out["source"].to_numpy()
    witnesses = out["witness"].to_numpy()
    # only the (proposition, side) pairs a derived claim stands on need their members listed
    wanted = {(props[i], sides[i]) for i in np.flatnonzero(derived)}
    members: dict[tuple, list[tuple[str, str]]] = {}
    for i in np.flatnonzero(sides >= 0):
        key = (props[i], sides[i])
        if key in wanted:
            members.setdefault(key, []).append(i)
    origin = out["origin"].to_numpy().copy()
    derived_pos = np.flatnonzero(derived)
    candidates = {}
    for pos in derived_pos:
        parents = anc[own_source[pos]]
        parent_authors = {authors_of[p] for p in parents if p in authors_of}
        own = witnesses[pos]
        candidates[pos] = [i for i in members.get((props[pos], sides[pos]), ())
                           if witnesses[i] != own and (sources[i] in parents or witnesses[i] in parent_authors)]
    # repeat until stable, so that a chain of derivative works resolves to its first testimony
    for _ in range(len(derived_pos) + 1):
        changed = False
        for pos, hits in candidates.items():
            if hits:
                # the original testimony: the earliest-sorted origin among the claims it derives from
                new = min(str(origin[i]) for i in hits)
                if new != origin[pos]:
                    origin[pos], changed = new, True
        if not changed:
            break
    out["origin"] = origin
    return out
