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
never merges two otherwise independent lines. Lines are the whole case's: where a case is a
subset of its claims (as of a date, a witness dropped) and the claim a derived claim joins is
left out, the derived claim keeps that claim's origin, so copies do not become independent
because their original is out of view.
"""

from __future__ import annotations

from concurrent.futures import Future, ThreadPoolExecutor
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass

import networkx as nx
import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from .._arrays import arrow_text, first_per_group, group_codes, lex_order, list_lengths, lists_at, rank_in, sorted_unique, take
from .._gc import paused_gc

from ..normalisers import RANGE_TYPES
__all__ = ["positions", "positions_and_lines", "LineKeys", "ancestors", "codes_of", "ids_at", "codes_memo", "first_per_group", "group_codes", "lex_order", "rank_in", "sorted_unique", "line_labels", "table_values", "EVIDENCE_COLUMNS"]

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


_MEMO: ContextVar[dict | None] = ContextVar("srccrit_codes_memo", default=None)


@contextmanager
def codes_memo():
    """Within the block :func:`codes_of` converts each categorical's codes once: the stages of
    one analysis ask for the same million-row columns again and again. The memo holds the
    columns it has seen (so their memory is not reused) and is dropped on exit, so a case
    edited later is always read afresh; the codes it hands out are read-only."""
    token = _MEMO.set({})
    try:
        yield
    finally:
        _MEMO.reset(token)


def claim_flags(claims: pd.DataFrame, name: str, rows: np.ndarray | None = None) -> np.ndarray:
    """A true/false claim field (``against_interest``, ``self_serving``) as booleans (at
    ``rows``: all by default), all false where the table has no such column (a claims table
    built otherwise than by the loader)."""
    if name not in claims.columns:
        return np.zeros(len(claims) if rows is None else len(rows), dtype=bool)
    column = claims[name] if rows is None else claims[name].iloc[rows]
    return column.to_numpy(dtype=bool)


def codes_of(column: pd.Series) -> tuple[np.ndarray, pd.Index]:
    """Integer codes of a column and the labels they stand for (in sorted order). Free for the
    categorical columns a loaded case holds; other columns are factorized."""
    if isinstance(column.dtype, pd.CategoricalDtype):
        array = column.array
        raw, categories = array.codes, array.categories
        memo = _MEMO.get()
        if memo is None:
            return raw.astype(np.int64), categories
        # keyed by the codes' memory, not the Categorical: the evidence's columns are new
        # wrappers around the claims' codes
        key = (raw.__array_interface__["data"][0], len(raw), raw.dtype.str, id(categories))
        hit = memo.get(key)
        if hit is None:
            codes = raw.astype(np.int64)
            codes.flags.writeable = False
            hit = memo[key] = (array, codes, categories)  # the array held: its memory is not reused
        return hit[1], hit[2]
    codes, uniques = pd.factorize(column, sort=True)
    return codes.astype(np.int64), pd.Index(uniques)


def ids_at(column: pd.Series, rows: np.ndarray | None = None) -> np.ndarray:
    """A column of ids (at ``rows``: all by default) as an object array of plain strings, made
    from :func:`codes_of` (one string per distinct id, none converted per row)."""
    code, labels = codes_of(column)
    return object_labels(labels)[code if rows is None else code[rows]]


#: the labels of the last categoricals read as Python strings, by the identity of their index
#: (a few: a fit reads four or five; each holds its index, up to some megabytes on a large case)
_OBJECT_LABELS: dict[int, tuple[pd.Index, np.ndarray, pd.Index]] = {}
_OBJECT_LABELS_KEPT = 8


def _as_python_strings(labels: pd.Index) -> tuple[np.ndarray, pd.Index]:
    """``labels`` held by Arrow, converted once per index and kept with it (an index is
    immutable, and is held so its identity is not reused): as a read-only object array and as
    an index over that same array."""
    hit = _OBJECT_LABELS.get(id(labels))
    if hit is not None and hit[0] is labels:
        return hit[1], hit[2]
    values = np.asarray(labels, dtype=object)
    values.flags.writeable = False
    index = pd.Index(values, dtype=object, name=labels.name, copy=False)
    if len(_OBJECT_LABELS) >= _OBJECT_LABELS_KEPT:
        _OBJECT_LABELS.pop(next(iter(_OBJECT_LABELS)))
    _OBJECT_LABELS[id(labels)] = (labels, values, index)
    return values, index


def object_index(labels: pd.Index) -> pd.Index:
    """``labels`` as an index of Python strings, to look ids up in: pandas keeps the hash table
    of such an index, and builds one afresh at every lookup in an Arrow one (13 ms each on the
    100,000 propositions of a large case)."""
    return labels if labels.dtype == object else _as_python_strings(labels)[1]


def object_labels(labels: pd.Index) -> np.ndarray:
    """A categorical's labels as an object array of Python strings (a lookup of a conclusion's
    few ids converted the 100,000 labels of a large case's propositions each time)."""
    return np.asarray(labels, dtype=object) if labels.dtype == object else _as_python_strings(labels)[0]


def _small_codes(column: pd.Series) -> tuple[np.ndarray, pd.Index]:
    """A categorical's own codes (int8 for a few categories, -1: missing), not widened to int64
    as :func:`codes_of` does; other columns are factorized."""
    if isinstance(column.dtype, pd.CategoricalDtype):
        return column.array.codes, column.array.categories
    return codes_of(column)


def table_values(case, table: str, column: str, ids: pd.Index, dtype=object) -> np.ndarray:
    """``case.<table>[column]`` at each of ``ids`` (missing where an id is not in the table)."""
    missing = None if dtype is object else np.datetime64("NaT") if np.dtype(dtype).kind == "M" else np.nan
    return take(getattr(case, table)[column].to_numpy(dtype=dtype), case.rows_of(table, ids), missing)


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
    return positions_and_lines(case, claims)[0]


@dataclass(frozen=True)
class LineKeys:
    """Each line of evidence's proposition, side and origin codes (over the categories of the
    evidence's ``proposition`` and ``origin``), line by line: what numbering the lines sorted."""

    proposition: np.ndarray
    side: np.ndarray
    origin: np.ndarray


def positions_and_lines(case, claims: pd.DataFrame | None = None) -> tuple[pd.DataFrame, LineKeys]:
    """:func:`positions` and the :class:`LineKeys` its line numbering found (the votes of the
    reliability model are cast line by line, in that order)."""
    claims = case.claims if claims is None else claims
    with paused_gc():
        return _positions(case, claims)


def _positions(case, claims: pd.DataFrame) -> pd.DataFrame:
    n = len(claims)
    p_code, p_ids = codes_of(claims["proposition"])
    w_code, w_ids = codes_of(claims["witness"])
    s_code, s_ids = codes_of(claims["source"])
    types = claims["type"]
    # type and stance are only compared and looked up: their own small codes will do
    t_code, t_ids = _small_codes(types)
    st_code, st_ids = _small_codes(claims["stance"])

    def kind(ids: pd.Index, codes: np.ndarray, name: str) -> np.ndarray:
        where = ids.get_indexer([name])[0]
        return codes == where if where >= 0 else np.zeros(n, dtype=bool)

    # boolean claims: affirms is side 0 (value 1), denies side 1 (value 0); every other claim
    # starts without a side and the text and range rules below give it one. Gathers from
    # per-side tables (index side + 1) instead of masked writes into four columns.
    side_of_stance = np.full(len(st_ids) + 1, -1, dtype=np.int64)  # the last entry: no stance (code -1)
    for stance_side, stance in enumerate(("affirms", "denies")):
        where = st_ids.get_indexer([stance])[0]
        if where >= 0:  # a stance nobody took is not among the codes
            side_of_stance[where] = stance_side
    side = np.where(kind(t_ids, t_code, "boolean"), side_of_stance[st_code], -1)
    label = np.array([None, "affirms", "denies"], dtype=object)[side + 1]
    s_low = np.array([np.nan, 1.0, 0.0])[side + 1]
    s_high = s_low.copy()
    s_fold = np.full(n, None, dtype=object)

    # the sides' written labels are for the tables, not for the lines: in a large case they are
    # found on a second core (Arrow and numpy sorts, free of the GIL) while the lines are numbered
    labelling: list[tuple[np.ndarray, Future | np.ndarray]] = []
    with _aside(n >= _LABELS_ASIDE) as pool:
        # text and every type held as a key (names, a user's own): sides by key
        is_text = np.zeros(n, dtype=bool)
        for t in t_ids:
            if t not in RANGE_TYPES and t != "boolean":
                is_text |= kind(t_ids, t_code, t)
        if is_text.any():
            idx = np.flatnonzero(is_text)
            folds = claims["value_fold"].to_numpy(dtype=object)[idx]
            f_code, f_uniques = pd.factorize(folds, sort=True)
            # sides numbered by folded text order within each proposition (row order never matters)
            inv, pairs = group_codes(p_code[idx] * len(f_uniques) + f_code)
            pair_prop = pairs // len(f_uniques)
            side[idx] = (np.arange(len(pairs)) - np.searchsorted(pair_prop, pair_prop))[inv]
            s_fold[idx] = folds
            labelling.append((idx, _labels_aside(pool, p_code[idx], side[idx], _written(claims["value"], idx), np.zeros(len(idx)))))

        is_range = kind(t_ids, t_code, "date") | kind(t_ids, t_code, "number") | kind(t_ids, t_code, "time")
        if is_range.any():
            idx = np.flatnonzero(is_range)
            lo = claims["value_low"].to_numpy(dtype=float)[idx]
            hi = claims["value_high"].to_numpy(dtype=float)[idx]
            pr = p_code[idx]
            order = lex_order(pr, hi, lo)
            grp = np.empty(len(idx), dtype=np.int64)
            grp[order] = _stab_groups(pr[order], lo[order], hi[order])
            side[idx] = grp
            # a side's value: the range all its claims accept
            key = pr * (grp.max() + 1) + grp
            inv, uk = group_codes(key)
            common_lo = np.full(len(uk), -np.inf)
            common_hi = np.full(len(uk), np.inf)
            np.maximum.at(common_lo, inv, lo)
            np.minimum.at(common_hi, inv, hi)
            s_low[idx], s_high[idx] = common_lo[inv], common_hi[inv]
            labelling.append((idx, _labels_aside(pool, pr, grp, _written(claims["value"], idx), hi - lo)))

        origin = _attach_derived(case, claims, p_code, w_code, w_ids, s_code, s_ids, side, w_code)
        counted = side >= 0
        if n and counted.all():
            line, line_keys = _line_ids(p_code, side, origin, len(p_ids), len(w_ids))
        else:
            line = np.full(n, -1, dtype=np.int64)
            line[counted], line_keys = _line_ids(p_code[counted], side[counted], origin[counted], len(p_ids), len(w_ids))
        witness = _categorical(claims["witness"], w_code, w_ids)
        for idx, found in labelling:
            label[idx] = found.result() if isinstance(found, Future) else found
        # copy=False: the numeric and object columns are this function's own (pandas would stack
        # them into 2-D blocks, copying 60 MB at a million claims); the claims' columns are shared
        # under copy-on-write, so writing into the evidence never reaches the case
        return pd.DataFrame({
            "claim": claims["id"].reset_index(drop=True),
            "witness": witness,
            "source": _categorical(claims["source"], s_code, s_ids),
            "proposition": _categorical(claims["proposition"], p_code, p_ids),
            "type": types.reset_index(drop=True),
            "side": side,
            "position": pd.Series(label, dtype=object, copy=False),  # a Series keeps dtype object (no Arrow copy)
            "side_low": s_low, "side_high": s_high,
            # text where there are text claims (pandas' str dtype), else all missing (not scanned)
            "side_fold": pd.Series(s_fold, dtype="str" if is_text.any() else object, copy=False),
            "origin": witness if origin is w_code else pd.Categorical.from_codes(origin, dtype=witness.dtype, validate=False),
            "line": line,
        }, copy=False), line_keys


#: claims from which the sides' labels are found on a second thread
_LABELS_ASIDE = 50_000


@contextmanager
def _aside(wanted: bool):
    """A one-thread pool for work done aside (None where not ``wanted``: a small case would pay
    more for the thread than it saves), shut down on leaving."""
    if not wanted:
        yield None
        return
    with ThreadPoolExecutor(max_workers=1) as pool:
        yield pool


def _labels_aside(pool: ThreadPoolExecutor | None, *args) -> Future | np.ndarray:
    """:func:`_labels` on the ``pool``'s thread (or here, without one)."""
    return pool.submit(_labels, *args) if pool is not None else _labels(*args)


def _line_ids(prop: np.ndarray, side: np.ndarray, origin: np.ndarray, n_props: int, n_witnesses: int) -> tuple[np.ndarray, LineKeys]:
    """Dense line numbers of counted rows, in the order of (proposition, side, origin), and
    each line's three codes."""
    if not len(prop):
        return np.zeros(0, dtype=np.int64), LineKeys(prop[:0], side[:0], origin[:0])
    side_bits = max(int(side.max()), 1).bit_length()
    w_bits = max(n_witnesses - 1, 1).bit_length()
    if max(n_props - 1, 1).bit_length() + side_bits + w_bits <= 62:
        # the three as bit fields of one int64: sorted as (proposition, side, origin), and a
        # line's codes come back with shifts and masks
        key = prop << (side_bits + w_bits)
        key |= side << w_bits
        key |= origin
        line, distinct = group_codes(key)
        return line, LineKeys(distinct >> (side_bits + w_bits), (distinct >> w_bits) & ((1 << side_bits) - 1), distinct & ((1 << w_bits) - 1))
    order = lex_order(prop, side, origin)
    p, s, o = prop[order], side[order], origin[order]
    new = np.r_[True, (p[1:] != p[:-1]) | (s[1:] != s[:-1]) | (o[1:] != o[:-1])]
    line = np.empty(len(prop), dtype=np.int64)
    line[order] = np.cumsum(new) - 1
    return line, LineKeys(p[new], s[new], o[new])


def _categorical(column: pd.Series, codes: np.ndarray, ids: pd.Index):
    """The claims' own categorical column (shared under copy-on-write), or one built from the
    codes :func:`codes_of` gave."""
    if isinstance(column.dtype, pd.CategoricalDtype):
        return column.reset_index(drop=True)
    return pd.Categorical.from_codes(codes, dtype=pd.CategoricalDtype(ids), validate=False)


def line_labels(ev: pd.DataFrame) -> np.ndarray:
    """The readable name of each row's line of evidence, ``proposition|side|origin`` (None for
    claims that take no side)."""
    counted = ev["side"].to_numpy() >= 0
    out = np.full(len(ev), None, dtype=object)
    if counted.any():
        sub = ev[counted]
        out[counted] = (sub["proposition"].astype(str) + "|" + sub["side"].astype(str) + "|" + sub["origin"].astype(str)).to_numpy(dtype=object)
    return out


def _written(column: pd.Series, rows: np.ndarray) -> pa.Array:
    """The values as written at ``rows``, as Arrow text (no Python string per claim)."""
    arr = arrow_text(column)
    if arr is not None:
        return arr.take(pa.array(rows))
    return pa.array(column.to_numpy(dtype=object)[rows], type=pa.large_string(), from_pandas=True)


def _labels(prop: np.ndarray, side: np.ndarray, written: pa.Array, width: np.ndarray) -> np.ndarray:
    """The most common written value of each side (ties: the most precise, then the first in
    code-point order), for every row."""
    encoded = pc.dictionary_encode(written)
    order = pc.sort_indices(encoded.dictionary).to_numpy()  # UTF-8 byte order is code-point order
    n_w = len(order)
    rank = np.empty(n_w + 1, dtype=np.int64)
    rank[order] = np.arange(n_w)
    rank[n_w] = n_w  # a missing value sorts after every written one
    w_code = rank[encoded.indices.fill_null(n_w).to_numpy()]
    w_uniques = np.append(encoded.dictionary.take(pa.array(order)).to_numpy(zero_copy_only=False), None)
    side_key = group_codes(prop * (side.max() + 1) + side)[0]
    pair_key = side_key * (n_w + 1) + w_code
    inv, pairs = group_codes(pair_key)
    count = np.bincount(inv)
    narrowest = np.full(len(pairs), np.inf)
    np.minimum.at(narrowest, inv, width)
    pair_side = pairs // (n_w + 1)
    pair_w = pairs % (n_w + 1)
    best = first_per_group(pair_side, -count, narrowest, pair_w)
    label_of_side = np.empty(int(pair_side.max()) + 1, dtype=object)
    label_of_side[pair_side[best]] = w_uniques[pair_w[best]]
    return label_of_side[side_key]


def _whole_case_origins(case) -> np.ndarray:
    """Each claim's origin (witness id) in the whole case, made once per case object."""
    key = ("derived origins", id(case.claims))
    hit = case._rows.get(key)
    if hit is None or hit[0] is not case.claims:
        hit = case._rows[key] = (case.claims, positions_and_lines(case)[0]["origin"].astype(object).to_numpy())
    return hit[1]


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
    # a derived claim whose original is left out of these claims (not yet available as of a
    # date, its witness dropped) stays on the original's line, as the whole case has it: the
    # copies of a source do not become independent because the source is out of view
    whole = getattr(case, "_whole", None)
    orphans = [pos for pos, hits in candidates.items() if not hits]
    if orphans and whole is not None and whole.claims is not claims and len(whole.claims) != len(claims):
        whole_origin = _whole_case_origins(whole)
        ids = claims["id"].to_numpy(dtype=object)[orphans]
        # the subset keeps the whole case's row labels; a claim not found there by label and id
        # (a table edited since, a claim added) is looked up by its id, and one not in the whole
        # case at all keeps its own line
        rows = whole.claims.index.get_indexer(claims.index[orphans])
        whole_ids = whole.claims["id"].to_numpy(dtype=object)
        moved = (rows < 0) | (whole_ids[np.maximum(rows, 0)] != ids)
        if moved.any():
            rows[moved] = pd.Index(whole_ids).get_indexer(pd.Index(ids[moved], dtype=object))
        theirs = w_ids.get_indexer(pd.Index(np.where(rows >= 0, whole_origin[np.maximum(rows, 0)], None), dtype=object))
        for pos, o in zip(orphans, theirs.tolist()):
            if o >= 0:
                origin[pos] = o
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
