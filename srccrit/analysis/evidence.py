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

from .._arrays import list_lengths, lists_at, take
from .._gc import paused_gc

__all__ = ["positions", "ancestors", "codes_of", "first_per_group", "rank_in", "sorted_unique", "stable_order", "line_labels", "table_values", "EVIDENCE_COLUMNS"]

EVIDENCE_COLUMNS = [
    "claim", "witness", "source", "proposition", "type", "side", "position", "side_low", "side_high",
    "side_fold", "origin", "line",
]


def ancestors(case) -> dict[str, frozenset]:
    """Every source a source derives from, directly or transitively."""
    derives = case.sources["derives_from"]
    if not any(derives.tolist()):
        return {}
    graph = nx.DiGraph()
    graph.add_nodes_from(case.sources.index)
    for sid, parents in derives.items():
        for p in parents:
            graph.add_edge(sid, p)
    return {sid: frozenset(nx.descendants(graph, sid)) for sid in case.sources.index if graph.out_degree(sid)}


def codes_of(column: pd.Series) -> tuple[np.ndarray, pd.Index]:
    """Integer codes of a column and the labels they stand for (in sorted order). Free for the
    categorical columns a loaded case holds; other columns are factorized."""
    if isinstance(column.dtype, pd.CategoricalDtype):
        return column.cat.codes.to_numpy().astype(np.int64), column.cat.categories
    codes, uniques = pd.factorize(column, sort=True)
    return codes.astype(np.int64), pd.Index(uniques)


def table_values(case, table: str, column: str, ids: pd.Index, dtype=object) -> np.ndarray:
    """``case.<table>[column]`` at each of ``ids`` (missing where an id is not in the table)."""
    missing = None if dtype is object else np.datetime64("NaT") if np.dtype(dtype).kind == "M" else np.nan
    return take(getattr(case, table)[column].to_numpy(dtype=dtype), case.rows_of(table, ids), missing)


def sorted_unique(values: np.ndarray) -> np.ndarray:
    """The distinct values, sorted. (numpy 2.3+ ``np.unique`` hashes when asked for nothing but
    the values, which is many times slower than sorting integer keys.)"""
    values = np.sort(values)
    return values[np.r_[True, values[1:] != values[:-1]]] if len(values) else values


def stable_order(group: np.ndarray) -> np.ndarray:
    """``np.argsort(group, kind="stable")`` for non-negative integer groups, by one plain sort
    of ``group * n + position`` (numpy's vectorised sort is several times faster than timsort)."""
    n = len(group)
    if not n or int(group.max()) >= (2**62) // max(n, 1):
        return np.argsort(group, kind="stable")
    return np.sort(group.astype(np.int64) * n + np.arange(n)) % n


def rank_in(keys: np.ndarray, table: np.ndarray) -> np.ndarray:
    """Position of each key in the sorted distinct ``table`` (every key must be in it): a direct
    lookup array when the key range is small, else a binary search."""
    if not len(table):
        return np.zeros(len(keys), dtype=np.int64)
    span = int(table[-1]) + 1
    if span <= 4 * len(keys) + 1024:
        lookup = np.zeros(span, dtype=np.int64)
        lookup[table] = np.arange(len(table))
        return lookup[keys]
    return np.searchsorted(table, keys)


def first_per_group(group: np.ndarray, *order: np.ndarray) -> np.ndarray:
    """Row positions of the first row of each group under the sort ``order`` (most significant
    first), groups in increasing order."""
    perm = np.lexsort(tuple(reversed((group, *order))))
    g = group[perm]
    return perm[np.r_[True, g[1:] != g[:-1]]] if len(g) else perm


def _stab_groups(prop: np.ndarray, low: np.ndarray, high: np.ndarray, rounds: int = 64) -> np.ndarray:
    """Side numbers for value claims, by greedy interval stabbing within each proposition.

    Input arrays are sorted by (proposition, high, low). Returns the side of each row, numbered
    from 0 within each proposition in order of the stab points. Vectorised by rounds: in each
    round every proposition still open takes the first uncovered claim's high as its stab point
    and covers every uncovered claim whose low reaches it. Propositions needing more than
    ``rounds`` sides finish in a per-proposition sweep.
    """
    n = len(prop)
    side = np.full(n, -1, dtype=np.int64)
    rem = np.arange(n)
    k = 0
    while len(rem) and k < rounds:
        p = prop[rem]
        first = np.r_[True, p[1:] != p[:-1]]
        leader = np.maximum.accumulate(np.where(first, np.arange(len(rem)), 0))
        hit = low[rem] <= high[rem][leader]
        side[rem[hit]] = k
        rem = rem[~hit]
        k += 1
    if len(rem):
        _sweep(prop, low, high, rem, side, k)
    return side


def _sweep(prop, low, high, rem: np.ndarray, side: np.ndarray, k0: int) -> None:
    """The same greedy stabbing, one proposition at a time, for the rows in ``rem``."""
    p = prop[rem]
    starts = np.flatnonzero(np.r_[True, p[1:] != p[:-1]])
    ends = np.r_[starts[1:], len(rem)]
    rows = rem.tolist()
    low_l, high_l = low.tolist(), high.tolist()
    for s, e in zip(starts.tolist(), ends.tolist()):
        members = rows[s:e]  # by (high, low)
        by_low = sorted(members, key=lambda i: (low_l[i], high_l[i]))
        covered = set()
        k, j = k0, 0
        for i in members:
            if i in covered:
                continue
            point = high_l[i]
            while j < len(by_low) and low_l[by_low[j]] <= point:
                m = by_low[j]
                if m not in covered:
                    covered.add(m)
                    side[m] = k
                j += 1
            k += 1


def positions(case, claims: pd.DataFrame | None = None) -> pd.DataFrame:
    """One row per claim: its side on the proposition and its line of evidence.

    ``side`` is -1 for ``uncertain`` claims (reported, not counted). ``line`` numbers the
    independent lines of evidence (claims sharing it are one line; -1 for uncounted claims),
    in the order of proposition, side and origin; :func:`srccrit.lines` spells each line out.
    ``witness``, ``source``, ``proposition`` and ``origin`` are categoricals over the case's ids.
    """
    claims = case.claims if claims is None else claims
    with paused_gc():
        return _positions(case, claims)


def _positions(case, claims: pd.DataFrame) -> pd.DataFrame:
    n = len(claims)
    p_code, p_ids = codes_of(claims["proposition"])
    w_code, w_ids = codes_of(claims["witness"])
    s_code, s_ids = codes_of(claims["source"])
    side = np.full(n, -1, dtype=np.int64)
    label = np.full(n, None, dtype=object)
    s_low = np.full(n, np.nan)
    s_high = np.full(n, np.nan)
    s_fold = np.full(n, None, dtype=object)
    types = claims["type"]
    t_code, t_ids = codes_of(types)
    st_code, st_ids = codes_of(claims["stance"])

    def kind(ids: pd.Index, codes: np.ndarray, name: str) -> np.ndarray:
        where = ids.get_indexer([name])[0]
        return codes == where if where >= 0 else np.zeros(n, dtype=bool)

    is_bool = kind(t_ids, t_code, "boolean")
    aff = is_bool & kind(st_ids, st_code, "affirms")
    den = is_bool & kind(st_ids, st_code, "denies")
    side[aff], label[aff], s_low[aff], s_high[aff] = 0, "affirms", 1.0, 1.0
    side[den], label[den], s_low[den], s_high[den] = 1, "denies", 0.0, 0.0

    is_text = kind(t_ids, t_code, "text")
    if is_text.any():
        idx = np.flatnonzero(is_text)
        folds = claims["value_fold"].to_numpy(dtype=object)[idx]
        f_code, f_uniques = pd.factorize(folds, sort=True)
        # sides numbered by folded text order within each proposition (row order never matters)
        pairs, inv = np.unique(p_code[idx] * len(f_uniques) + f_code, return_inverse=True)
        pair_prop = pairs // len(f_uniques)
        side[idx] = (np.arange(len(pairs)) - np.searchsorted(pair_prop, pair_prop))[inv]
        s_fold[idx] = folds
        label[idx] = _labels(p_code[idx], side[idx], np.asarray(claims["value"].array.take(idx), dtype=object), np.zeros(len(idx)))

    is_range = kind(t_ids, t_code, "date") | kind(t_ids, t_code, "number")
    if is_range.any():
        idx = np.flatnonzero(is_range)
        lo = claims["value_low"].to_numpy(dtype=float)[idx]
        hi = claims["value_high"].to_numpy(dtype=float)[idx]
        pr = p_code[idx]
        order = np.lexsort((lo, hi, pr))
        grp = np.empty(len(idx), dtype=np.int64)
        grp[order] = _stab_groups(pr[order], lo[order], hi[order])
        side[idx] = grp
        # a side's value: the range all its claims accept
        key = pr * (grp.max() + 1) + grp
        uk, inv = np.unique(key, return_inverse=True)
        common_lo = np.full(len(uk), -np.inf)
        common_hi = np.full(len(uk), np.inf)
        np.maximum.at(common_lo, inv, lo)
        np.minimum.at(common_hi, inv, hi)
        s_low[idx], s_high[idx] = common_lo[inv], common_hi[inv]
        label[idx] = _labels(pr, grp, np.asarray(claims["value"].array.take(idx), dtype=object), hi - lo)

    origin = w_code.copy()
    origin = _attach_derived(case, claims, p_code, w_code, w_ids, s_code, s_ids, side, origin)
    counted = side >= 0
    line = np.full(n, -1, dtype=np.int64)
    if counted.any():
        n_side = int(side.max()) + 1
        key = (p_code[counted] * n_side + side[counted]) * max(len(w_ids), 1) + origin[counted]
        line[counted] = np.unique(key, return_inverse=True)[1]
    return pd.DataFrame({
        "claim": claims["id"].array,
        "witness": pd.Categorical.from_codes(w_code, dtype=pd.CategoricalDtype(w_ids)),
        "source": pd.Categorical.from_codes(s_code, dtype=pd.CategoricalDtype(s_ids)),
        "proposition": pd.Categorical.from_codes(p_code, dtype=pd.CategoricalDtype(p_ids)),
        "type": types.array,
        "side": side,
        "position": pd.Series(label, dtype=object, copy=False),  # a Series keeps dtype object (no Arrow copy)
        "side_low": s_low, "side_high": s_high, "side_fold": s_fold,
        "origin": pd.Categorical.from_codes(origin, dtype=pd.CategoricalDtype(w_ids)),
        "line": line,
    })


def line_labels(ev: pd.DataFrame) -> np.ndarray:
    """The readable name of each row's line of evidence, ``proposition|side|origin`` (None for
    claims that take no side)."""
    counted = ev["side"].to_numpy() >= 0
    out = np.full(len(ev), None, dtype=object)
    if counted.any():
        sub = ev[counted]
        out[counted] = (sub["proposition"].astype(str) + "|" + sub["side"].astype(str) + "|" + sub["origin"].astype(str)).to_numpy(dtype=object)
    return out


def _labels(prop: np.ndarray, side: np.ndarray, written: np.ndarray, width: np.ndarray) -> np.ndarray:
    """The most common written value of each side (ties: the most precise, then the first in
    sort order), for every row."""
    w_code, w_uniques = pd.factorize(written, sort=True)
    side_key = np.unique(prop * (side.max() + 1) + side, return_inverse=True)[1]
    pair_key = side_key * (len(w_uniques) + 1) + w_code
    pairs, inv = np.unique(pair_key, return_inverse=True)
    count = np.bincount(inv)
    narrowest = np.full(len(pairs), np.inf)
    np.minimum.at(narrowest, inv, width)
    pair_side = pairs // (len(w_uniques) + 1)
    pair_w = pairs % (len(w_uniques) + 1)
    best = first_per_group(pair_side, -count, narrowest, pair_w)
    label_of_side = np.empty(int(pair_side.max()) + 1, dtype=object)
    label_of_side[pair_side[best]] = np.asarray(w_uniques, dtype=object)[pair_w[best]]
    return label_of_side[side_key]


def _attach_derived(case, claims, p_code, w_code, w_ids, s_code, s_ids, side, origin) -> np.ndarray:
    """Origins (witness codes) with each derived claim moved to the line it derives from."""
    anc = ancestors(case)
    if not anc:
        return origin
    author = case.sources["author"]
    authors_of = {sid: a for sid, a in author.items() if isinstance(a, str)}
    source_ids = np.asarray(s_ids, dtype=object)
    witness_ids = np.asarray(w_ids, dtype=object)
    author_code = w_ids.get_indexer(pd.Index(author.reindex(s_ids).to_numpy(dtype=object)))
    # the source in which the witness speaks as author: the claim's own source, or a source in
    # its via chain that he wrote (the book's assertion as a review relays it)
    own_source = source_ids[s_code]
    authorial = author_code[s_code] == w_code
    counted = side >= 0
    relayed = np.flatnonzero(~authorial & counted & (list_lengths(claims["via"]) > 0)).tolist()
    for pos, hops in zip(relayed, lists_at(claims["via"], relayed)):
        for hop in hops:
            if authors_of.get(hop) == witness_ids[w_code[pos]]:
                own_source[pos], authorial[pos] = hop, True
                break
    derived = authorial & counted & np.isin(own_source, list(anc))
    if not derived.any():
        return origin
    # only the (proposition, side) pairs a derived claim stands on need their members listed
    wanted = {(p_code[i], side[i]) for i in np.flatnonzero(derived).tolist()}
    members: dict[tuple, list[int]] = {}
    for i in np.flatnonzero(counted).tolist():
        key = (p_code[i], side[i])
        if key in wanted:
            members.setdefault(key, []).append(i)
    origin = origin.copy()
    sources = source_ids[s_code]
    derived_pos = np.flatnonzero(derived).tolist()
    candidates = {}
    for pos in derived_pos:
        parents = anc[own_source[pos]]
        parent_authors = {authors_of[p] for p in parents if p in authors_of}
        own = w_code[pos]
        candidates[pos] = [i for i in members.get((p_code[pos], side[pos]), ())
                           if w_code[i] != own and (sources[i] in parents or witness_ids[w_code[i]] in parent_authors)]
    # repeat until stable, so that a chain of derivative works resolves to its first testimony
    for _ in range(len(derived_pos) + 1):
        changed = False
        for pos, hits in candidates.items():
            if hits:
                # the original testimony: the earliest-sorted origin among the claims it derives from
                new = min(origin[i] for i in hits)
                if new != origin[pos]:
                    origin[pos], changed = new, True
        if not changed:
            break
    return origin
