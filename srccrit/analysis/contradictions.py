"""Contradictory testimony: propositions on which the claims stand on two or more sides.

See :mod:`srccrit.analysis.evidence` for how sides and independent lines are formed.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from .._arrays import as_arrow_text, list_column, list_lengths, python_values, take
from .._gc import paused_gc
from ..errors import UsageError
from .evidence import codes_of, ids_at, line_labels, object_labels, positions, rank_in, sorted_unique

__all__ = ["contradictions", "contradictions_records", "lines", "undeclared_dependence"]

_COLUMNS = ["proposition", "text", "kind", "side", "position", "witnesses", "claims", "sources", "lines", "self_contradicting", "uncertain"]


def _id_lists(counts: np.ndarray, codes: np.ndarray, labels: pa.Array) -> pd.Series:
    """A column of lists of ids, held by Arrow: row i holds the next ``counts[i]`` of ``codes``,
    as positions in ``labels`` (dictionary-encoded, like the claims' categoricals). No Python
    object is made per item; a cell read from it is a Python list of ids."""
    offsets = pa.array(np.r_[0, np.cumsum(counts)].astype(np.int64), type=pa.int64())
    items = pa.DictionaryArray.from_arrays(pa.array(codes, type=pa.int64()), labels.cast(pa.large_string()))
    return list_column(pa.LargeListArray.from_arrays(offsets, items))


def distinct_per_group(group: np.ndarray, codes: np.ndarray, labels: pd.Index, n_groups: int) -> pd.Series:
    """For each group 0..n_groups-1, the distinct labels of its rows' codes, sorted (codes index
    the sorted ``labels``): one sort of integer pairs, no per-group Python work."""
    width = int(codes.max()) + 1 if len(codes) else 1
    pairs = sorted_unique(group.astype(np.int64) * width + codes)
    counts = np.bincount(pairs // width, minlength=n_groups)
    return _id_lists(counts, pairs % width, as_arrow_text(labels))


def _sorted_by_group(group: np.ndarray, rows: np.ndarray, ids: pa.Array, n_groups: int) -> pd.Series:
    """For each group, the ids of its rows (``ids`` at ``rows``, all distinct) in code-point order."""
    by_id = pc.sort_indices(ids).to_numpy()  # every row, in id order
    rank = np.empty(len(by_id), dtype=np.int64)
    rank[by_id] = np.arange(len(by_id))
    n = max(len(by_id), 1)
    keys = np.sort(group.astype(np.int64) * n + rank[rows])
    counts = np.bincount(group, minlength=n_groups)
    return _id_lists(counts, by_id[keys % n], ids)


def contradictions(case, evidence: pd.DataFrame | None = None, propositions=None) -> pd.DataFrame:
    """One row per side of each contested proposition (``propositions``: of these only, as
    the rows of the whole table on them, worked out on their claims alone).

    Columns: ``proposition``, ``text``, ``kind`` (``stance`` for boolean propositions, ``value``
    otherwise), ``side`` (0, 1, ...), ``position`` (``affirms``/``denies`` or the value as written),
    ``witnesses``, ``claims``, ``sources`` (sorted lists), ``lines`` (independent lines of evidence
    on that side), ``self_contradicting`` (witnesses found on more than one side of the
    proposition) and ``uncertain`` (witnesses who testified ``uncertain``).
    Propositions on which all claims agree do not appear. The list columns are held by Arrow
    (lists of dictionary-encoded ids): a cell is a Python list of ids, and ``.list`` gives
    vectorised access (``table["witnesses"].list.len()``).

    >>> contradictions(load_case())  # doctest: +SKIP
    """
    if propositions is not None:
        propositions = [propositions] if isinstance(propositions, str) else list(propositions)
        unknown = [p for p in propositions if not isinstance(p, str) or p not in case.propositions.index]
        if unknown:
            from ..validation import did_you_mean

            raise UsageError(f"no proposition {unknown[0]!r} in case {case.id!r}" + did_you_mean(str(unknown[0]), case.propositions.index))
    ev = positions(case) if evidence is None else evidence
    if propositions is not None:
        ev = ev[ev["proposition"].isin(propositions)]
    with paused_gc():
        return _contradictions(case, ev)


def _contradictions(case, ev: pd.DataFrame) -> pd.DataFrame:
    side = ev["side"].to_numpy()
    prop, prop_ids = codes_of(ev["proposition"])
    wit, wit_ids = codes_of(ev["witness"])
    counted = side >= 0
    if not counted.any():
        return _empty()
    n_side = int(side.max()) + 1
    side_key = prop * n_side + side
    sides = sorted_unique(side_key[counted])
    n_sides = np.bincount(sides // n_side, minlength=len(prop_ids))
    contested = n_sides >= 2
    if not contested.any():
        return _empty()
    sides = sides[contested[sides // n_side]]
    rows = np.flatnonzero(counted & contested[prop])
    g = rank_in(side_key[rows], sides)  # each row's side, numbered over the table
    n_g = len(sides)
    src, src_ids = codes_of(ev["source"])
    # a line lies on one side, so each line's side is that of any of its rows; so is a side's label
    line = ev["line"].to_numpy()[rows]
    side_of_line = np.full(int(line.max()) + 1, -1, dtype=np.int64)
    side_of_line[line] = g
    lines = np.bincount(side_of_line[side_of_line >= 0], minlength=n_g)
    first = np.empty(n_g, dtype=np.int64)
    first[g] = rows
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
    at = pa.array(prop_row[side_prop])

    where = case.rows_of("propositions", prop_ids)[side_prop]
    ptype = take(case.propositions["type"].to_numpy(dtype=object), where, None)
    text = as_arrow_text(case.propositions["text"]).take(pa.array(where, mask=where < 0))
    table = pd.DataFrame({
        "proposition": _text_column(as_arrow_text(prop_ids).take(pa.array(side_prop))),
        "text": _text_column(text),
        "kind": np.where(ptype == "boolean", "stance", "value").astype(object),
        "side": sides % n_side,
        "position": pd.Series(np.asarray(ev["position"].array.take(first), dtype=object), dtype=object, copy=False),
        "witnesses": distinct_per_group(g, wit[rows], wit_ids, n_g),
        "claims": _sorted_by_group(g, rows, as_arrow_text(ev["claim"]), n_g),
        "sources": distinct_per_group(g, src[rows], src_ids, n_g),
        "lines": lines,
        "self_contradicting": _take_lists(self_lists, at),
        "uncertain": _take_lists(unsure_lists, at),
    })
    return table[_COLUMNS]


def _text_column(values: pa.Array) -> pd.Series:
    """A column of pandas' default text dtype (``str``) over Arrow text, without a copy."""
    dtype = pd.StringDtype("pyarrow", na_value=np.nan)
    return pd.Series(pd.arrays.ArrowStringArray(values.cast(pa.large_string()), dtype=dtype), copy=False)


def _take_lists(column: pd.Series, at: pa.Array) -> pd.Series:
    return list_column(column.array._pa_array.take(at))


def _empty() -> pd.DataFrame:
    return pd.DataFrame(columns=_COLUMNS)


def contradictions_records(table: pd.DataFrame) -> list[dict]:
    """The documented JSON shape: one object per contested proposition with its sides."""
    if not len(table):
        return []
    with paused_gc():  # lists and dicts by the million, none in a cycle
        return _contradictions_records(table)


def _contradictions_records(table: pd.DataFrame) -> list[dict]:
    # column by column (Arrow lists come out as Python lists at once), then one pass over the rows
    cols = {c: python_values(table[c]) for c in ("proposition", "text", "kind", "position", "witnesses", "claims", "sources", "lines",
                                                 "self_contradicting", "uncertain")}
    order = sorted(range(len(table)), key=lambda i: str(cols["proposition"][i]))  # stable: sides keep their order
    out: list[dict] = []
    current = None
    for i in order:
        prop = cols["proposition"][i]
        if current is None or current["proposition"] != prop:
            current = {"proposition": prop, "text": cols["text"][i], "kind": cols["kind"][i], "sides": [],
                       "self_contradicting": list(cols["self_contradicting"][i] or []), "uncertain": list(cols["uncertain"][i] or [])}
            out.append(current)
        current["sides"].append({"position": cols["position"][i], "witnesses": list(cols["witnesses"][i] or []),
                                 "claims": list(cols["claims"][i] or []), "sources": list(cols["sources"][i] or []),
                                 "lines": int(cols["lines"][i])})
    return out


def lines(case, evidence: pd.DataFrame | None = None) -> pd.DataFrame:
    """The chains of transmission: one row per claim, with its origin and line of evidence.

    ``chain`` reads from the origin to the source where we read the claim, e.g.
    ``kovalev -> goncharov1993uncertain -> madonreview``; ``line_claims`` is how many claims
    the line holds (a line is counted once however many claims repeat it).
    """
    ev = positions(case) if evidence is None else evidence
    # the evidence has a row per claim, in the claims' order when it is the whole case's
    at = ev.index.to_numpy()
    ids = case.claims["id"]
    if len(ev) != len(ids) or not (ids.iloc[at].to_numpy() == ev["claim"].to_numpy()).all():
        at = pd.Index(ids).get_indexer(ev["claim"])
    relays = case.claims["via"].iloc[at]
    origin, witness, source = (ids_at(ev[c]) for c in ("origin", "witness", "source"))
    # a claim told by its own witness with no relay, the common case: "witness -> source"; lists
    # and chains of relays are made for the others only (at a million claims, a few thousand)
    direct = (origin == witness) & (list_lengths(relays) == 0)
    chains = np.where(origin == source, origin, origin + " -> " + source).astype(object) if len(ev) else np.zeros(0, dtype=object)
    with paused_gc():  # a million lists, none in a cycle: no collection need walk them
        via = [[] for _ in range(len(ev))]
        relayed = np.flatnonzero(~direct)
        for i, hops in zip(relayed.tolist(), python_values(relays.iloc[relayed])):
            via[i] = list(hops or ())
            parts = [origin[i]] if origin[i] == witness[i] else [origin[i], witness[i]]
            parts += list(reversed(via[i])) + [source[i]]
            chains[i] = " -> ".join(dict.fromkeys(parts))
    line = ev["line"].to_numpy()
    per_line = np.bincount(line[line >= 0]) if (line >= 0).any() else np.zeros(0, dtype=np.int64)
    labels = line_labels(ev)
    out = pd.DataFrame({"claim": ev["claim"].reset_index(drop=True)})
    for name, values in (("proposition", ids_at(ev["proposition"])), ("position", ev["position"].to_numpy(dtype=object)),
                         ("witness", witness), ("source", source), ("origin", origin)):
        out[name] = pd.Series(values, dtype=object)  # plain strings, as before
    out["line"] = labels
    out["via"] = via
    out["chain"] = list(chains)
    out["line_claims"] = np.where(line >= 0, per_line[np.maximum(line, 0)] if len(per_line) else 0, 0).astype(int)
    # ordered by proposition, line (claims on no side last) and claim, as text, by Arrow
    keys = pa.table({"p": as_arrow_text(out["proposition"]), "l": as_arrow_text(out["line"]), "c": as_arrow_text(out["claim"])})
    order = pc.sort_indices(keys, sort_keys=[("p", "ascending"), ("l", "ascending"), ("c", "ascending")])  # nulls at the end
    return out.take(order.to_numpy()).reset_index(drop=True)


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
    cols = ["witness_a", "witness_b", "shared_minority", "shared_positions", "disagreements", "score"]
    on_side = ev["side"].to_numpy() >= 0
    # on integer codes (pairs are joined, counted and filtered by code; ids come back at the
    # end, for the pairs reported): witnesses numbered in the order of their ids, so that a
    # pair is ordered by id as before
    p_code, p_ids = codes_of(ev["proposition"])
    w_code, w_ids = codes_of(ev["witness"])
    o_code, _ = codes_of(ev["origin"])
    w_names = object_labels(w_ids)
    w_rank = np.empty(len(w_names), dtype=np.int64)
    w_rank[sorted(range(len(w_names)), key=w_names.__getitem__)] = np.arange(len(w_names))
    at = np.flatnonzero(on_side)
    table = pd.DataFrame({"proposition": p_code[at], "side": ev["side"].to_numpy()[at], "witness": w_rank[w_code[at]],
                          "origin": o_code[at], "line": ev["line"].to_numpy()[at], "row": at})
    counted = table.drop_duplicates(["proposition", "side", "witness"])
    if counted.empty:
        return pd.DataFrame(columns=cols)
    lines_per_side = table.groupby(["proposition", "side"])["line"].nunique()
    total = lines_per_side.groupby(level=0).sum()
    best = lines_per_side.groupby(level=0).max()
    sides = lines_per_side.reset_index(name="n")
    sides["total"] = total.reindex(sides["proposition"]).to_numpy()
    minority = sides[sides["n"].to_numpy() < best.reindex(sides["proposition"]).to_numpy()]
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
    pairs = pairs.assign(gain=-np.log(share))
    agg = pairs.groupby(["witness_a", "witness_b"]).agg(shared_minority=("gain", "size"), score=("gain", "sum")).reset_index()
    # disagreements only lower a score: counted for the pairs that could still be reported (all
    # the opposite-side pairs of a million claims are some ten million rows)
    agg = agg[(agg["shared_minority"] >= min_shared) & (agg["score"] >= threshold)]
    both = counted[["proposition", "side", "witness"]]
    cross = agg[["witness_a", "witness_b"]].merge(both.rename(columns={"witness": "witness_a", "side": "side_a"}), on="witness_a")
    cross = cross.merge(both.rename(columns={"witness": "witness_b", "side": "side_b"}), on=["witness_b", "proposition"])
    cross = cross[cross["side_a"] != cross["side_b"]]
    dis = cross.groupby(["witness_a", "witness_b"])["proposition"].nunique().rename("disagreements")
    agg = agg.merge(dis.reset_index(), on=["witness_a", "witness_b"], how="left")
    agg["disagreements"] = agg["disagreements"].fillna(0).astype(int)
    agg["score"] = agg["score"] - np.log(2) * agg["disagreements"]
    agg = agg[agg["score"] >= threshold]
    # the shared positions ("proposition=position", witness a's), listed for the pairs reported only
    kept = pairs.merge(agg[["witness_a", "witness_b"]], on=["witness_a", "witness_b"])
    rows = kept["row_a"].to_numpy()
    kept = kept.assign(pos=pd.Series([f"{p}={x}" for p, x in zip(object_labels(p_ids)[kept["proposition"].to_numpy()].tolist(),
                                                                   ev["position"].iloc[rows].astype(str).tolist())], index=kept.index, dtype="str"))
    listed = kept.groupby(["witness_a", "witness_b"])["pos"].agg(lambda s: sorted(s)).rename("shared_positions")
    agg = agg.join(listed, on=["witness_a", "witness_b"])
    agg = agg.sort_values(["score", "witness_a", "witness_b"], ascending=[False, True, True], kind="mergesort")
    by_rank = w_names[np.argsort(w_rank)]
    agg["witness_a"] = by_rank[agg["witness_a"].to_numpy()]
    agg["witness_b"] = by_rank[agg["witness_b"].to_numpy()]
    return agg[cols].reset_index(drop=True)
