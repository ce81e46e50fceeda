"""Array helpers shared by validation and the analyses."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

__all__ = ["take", "sorted_unique", "group_codes", "rank_in", "lex_order", "first_per_group", "arrow_text", "as_arrow_text", "positions_in", "has_repeats", "ID_LISTS", "id_lists", "split_id_lists", "list_column", "lists_at", "list_lengths"]


def take(values: np.ndarray, codes: np.ndarray, missing=None) -> np.ndarray:
    """``values[codes]`` where a code is -1 (or ``values`` is empty) gives ``missing``."""
    values = np.asarray(values)
    codes = np.asarray(codes)
    if not len(values):
        return np.full(len(codes), missing, dtype=object if missing is None else None)
    out = values[np.maximum(codes, 0)]
    absent = codes < 0
    if absent.any():
        if out.dtype.kind in "iub" and missing is not None and not isinstance(missing, (int, np.integer, bool)):
            out = out.astype(float)
        out[absent] = missing
    return out


def arrow_text(values) -> pa.Array | None:
    """The Arrow array behind a text column or index (pandas' ``str`` dtype), as one chunk;
    None for anything else."""
    arr = _arrow_behind(values)
    if arr is None or not (pa.types.is_string(arr.type) or pa.types.is_large_string(arr.type)):
        return None
    return arr


def _arrow_behind(values) -> pa.Array | None:
    """The Arrow data of a pandas column or index held by Arrow, as one chunk (else None)."""
    arr = getattr(getattr(values, "array", None), "_pa_array", None)
    if arr is None:
        return None
    return arr.chunk(0) if arr.num_chunks == 1 else arr.combine_chunks()


def as_arrow_text(values) -> pa.Array:
    """The Arrow array behind a text column or index, or an Arrow copy of any other values."""
    arr = arrow_text(values)
    return arr if arr is not None else pa.array(np.asarray(values, dtype=object), type=pa.large_string())


def positions_in(index: pd.Index, ids) -> np.ndarray:
    """``index.get_indexer(ids)`` for a unique index (-1: absent). Arrow's hash lookup when both
    hold Arrow text (several times faster than pandas' over a hundred thousand ids)."""
    a, b = arrow_text(ids), arrow_text(index)
    if a is None or b is None or not len(b):
        return index.get_indexer(ids)
    return pc.index_in(a, value_set=b).fill_null(-1).to_numpy().astype(np.intp)


def has_repeats(values) -> bool | None:
    """Whether an Arrow text column holds some value twice (missing values aside), by one sort
    (faster than hashing a million distinct strings); None when the column is not Arrow text."""
    arr = arrow_text(values)
    if arr is None:
        return None
    arr = arr.drop_null()
    if len(arr) < 2:
        return False
    ordered = arr.take(pc.sort_indices(arr))
    return bool(pc.any(pc.equal(ordered.slice(1), ordered.slice(0, len(ordered) - 1))).as_py())


#: the Arrow type of a column of id lists (a claim's ``via``): a cell read from it is a Python list
ID_LISTS = pa.large_list(pa.large_string())


def list_column(lists: pa.Array, index=None) -> pd.Series:
    """A pandas column over an Arrow list array, without a copy."""
    return pd.Series(pd.arrays.ArrowExtensionArray(lists), index=index, copy=False)


def split_id_lists(text) -> pa.Array:
    """``;``-separated text cells (a CSV or Parquet column) as lists of stripped ids, in Arrow:
    blank cells and blank items give nothing. No Python object per cell."""
    arr = as_arrow_text(text)
    n = len(arr)
    parts = pc.split_pattern(arr.fill_null(""), ";")
    items = pc.utf8_trim_whitespace(pc.list_flatten(parts))
    keep = pc.not_equal(items, "")
    owner = pc.list_parent_indices(parts).filter(keep).to_numpy()
    offsets = np.r_[0, np.cumsum(np.bincount(owner, minlength=n))].astype(np.int64)
    return pa.LargeListArray.from_arrays(pa.array(offsets), items.filter(keep).cast(pa.large_string()))


def id_lists(column) -> pa.Array:
    """A column of id lists as Arrow (:data:`ID_LISTS`): kept as it is when Arrow holds it,
    else built from its Python cells (lists, or None for none), each id as stripped text."""
    arr = _arrow_behind(column)
    if arr is not None and arr.type == ID_LISTS:
        return arr
    return pa.array([_ids_of(v) for v in list(column)], type=ID_LISTS)


def _ids_of(cell) -> list[str]:
    if cell is None or cell is pd.NA or isinstance(cell, float) and cell != cell:
        return []
    if isinstance(cell, str):
        cell = cell.split(";")
    return [t for t in (str(x).strip() for x in cell if x is not None) if t]


def lists_at(column: pd.Series, positions) -> list[list]:
    """The cells of a list column at ``positions``, as Python lists (only those are converted)."""
    arr = getattr(column.array, "_pa_array", None)
    if arr is None:
        values = column.to_numpy(dtype=object)
        return [list(values[i]) if values[i] is not None else [] for i in positions]
    return [v or [] for v in arr.take(pa.array(np.asarray(positions, dtype=np.int64))).to_pylist()]


def python_values(column: pd.Series) -> list:
    """The column's cells as Python values, read from Arrow at once where it is held by Arrow
    (pandas iterates an Arrow column cell by cell: seconds for a few hundred thousand lists);
    missing cells are None."""
    arr = getattr(column.array, "_pa_array", None)
    if arr is None:
        return column.tolist()
    if pa.types.is_list(arr.type) or pa.types.is_large_list(arr.type):
        items = arr.type.value_type
        if pa.types.is_dictionary(items) and (pa.types.is_string(items.value_type) or pa.types.is_large_string(items.value_type)):
            arr = arr.cast(pa.large_list(pa.large_string()))  # ids decoded by Arrow at once, not item by item
    return arr.to_pylist()


def joined_lists(column: pd.Series, separator: str = "; ") -> list | None:
    """Each list cell of an Arrow list column joined into text by ``separator`` (None for a
    missing cell), by Arrow; None if the column is not an Arrow list column."""
    arr = getattr(column.array, "_pa_array", None)
    if arr is None or not (pa.types.is_list(arr.type) or pa.types.is_large_list(arr.type)):
        return None
    return pc.binary_join(arr.cast(pa.large_list(pa.large_string())), pa.scalar(separator, pa.large_string())).to_pylist()


def list_lengths(column: pd.Series) -> np.ndarray:
    """The length of each cell of a list column (0 for a missing cell)."""
    arr = getattr(column.array, "_pa_array", None)
    if arr is None:
        return np.fromiter((0 if v is None else len(v) for v in column.tolist()), dtype=np.int64, count=len(column))
    return pc.list_value_length(arr).fill_null(0).to_numpy().astype(np.int64)


# ------------------------------------------------------------- sorting integer keys

def sorted_unique(values: np.ndarray) -> np.ndarray:
    """The distinct values, sorted. (numpy 2.3+ ``np.unique`` hashes when asked for nothing but
    the values, which is many times slower than sorting integer keys.)"""
    values = np.sort(values)
    return values[np.r_[True, values[1:] != values[:-1]]] if len(values) else values


def radix_order(keys: np.ndarray, bits: int) -> np.ndarray:
    """The stable sort order of non-negative int64 ``keys`` below ``2**bits``. Where the key and
    its row position fit in one int64 together, one plain sort of ``key << b | position`` (numpy
    2's vectorised int64 sort: at a million keys about a fifth of the time of the radix passes
    below, measured on AVX2); else a least-significant-digit radix sort by 16-bit digits, each
    pass numpy's stable argsort of a uint16 array (itself a radix sort)."""
    n = len(keys)
    pos_bits = max(n - 1, 1).bit_length()
    if bits + pos_bits <= 63:
        packed = keys.astype(np.int64) << pos_bits
        packed |= np.arange(n, dtype=np.int64)
        packed.sort()
        packed &= (1 << pos_bits) - 1
        return packed
    perm = None
    for shift in range(0, max(bits, 1), 16):
        digit = (keys >> shift) if shift else keys
        digit = (digit & 0xFFFF).astype(np.uint16)
        perm = np.argsort(digit, kind="stable") if perm is None else perm[np.argsort(digit[perm], kind="stable")]
    return perm


RADIX_BITS = 48  # keys up to this width, too wide to sort with their positions, take radix_order's passes


def group_codes(keys: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """``(codes, distinct)`` as ``np.unique(keys, return_inverse=True)`` gives them (``distinct``
    sorted, ``distinct[codes] == keys``), for non-negative integer keys by one plain sort of
    ``key << b | position`` (or :func:`radix_order`'s passes for keys of up to 48 bits too wide
    for that): several times faster than the argsort ``np.unique`` needs for the inverse. Falls
    back to ``np.unique`` for negative keys or wider ones."""
    keys = np.asarray(keys)
    n = len(keys)
    if not n:
        return np.zeros(0, dtype=np.int64), keys.astype(np.int64)
    bits = max(n - 1, 1).bit_length()
    top = int(keys.max())
    low = int(keys.min())
    if low >= 0 and top < 1 << (63 - bits):
        # in place where it can be: at a million keys every fresh array costs more than its arithmetic
        perm = keys.astype(np.int64)
        perm <<= bits
        perm |= np.arange(n, dtype=np.int64)
        perm.sort()
        ordered = perm >> bits
        perm &= (1 << bits) - 1  # the row of each sorted key
    elif low >= 0 and top < 1 << RADIX_BITS:
        keys = keys.astype(np.int64, copy=False)
        perm = radix_order(keys, top.bit_length())
        ordered = keys[perm]
    else:
        distinct, codes = np.unique(keys, return_inverse=True)
        return codes.reshape(-1).astype(np.int64), distinct
    new = np.empty(n, dtype=bool)
    new[0] = True
    np.not_equal(ordered[1:], ordered[:-1], out=new[1:])
    rank = np.cumsum(new)
    rank -= 1
    codes = np.empty(n, dtype=np.int64)
    codes[perm] = rank
    return codes, ordered[new]


def factorize(values: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """``pd.factorize(values)`` (codes numbered in order of first appearance, the distinct values
    in that order), without hashing where it need not: non-negative integers of a small range are
    counted in an array of that range (a third of the time at a million keys), and an array of
    one value is one code. Anything else is handed to pandas."""
    values = np.asarray(values)
    n = len(values)
    if n and values.dtype.kind in "iu":
        low, high = int(values.min()), int(values.max())
        if low >= 0 and high < 4 * n + 1024:
            first = np.full(high + 1, n, dtype=np.int64)
            np.minimum.at(first, values, np.arange(n, dtype=np.int64))
            present = np.flatnonzero(first < n)
            distinct = present[np.argsort(first[present], kind="stable")]
            rank = np.empty(high + 1, dtype=np.int64)
            rank[distinct] = np.arange(len(distinct), dtype=np.int64)
            return rank[values], distinct.astype(values.dtype, copy=False)
    elif n and values.dtype.kind == "f" and values[0] == values.min() == values.max():  # NaN compares unequal: pandas' -1 codes
        return np.zeros(n, dtype=np.int64), values[:1].copy()
    codes, distinct = pd.factorize(values)
    return codes.astype(np.int64, copy=False), np.asarray(distinct)


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


def lex_order(*keys: np.ndarray) -> np.ndarray:
    """``np.lexsort(keys[::-1])``: row positions ordered by the first key, then the next, ...,
    equal rows in row order. Each key becomes its dense rank, and the ranks are packed with the
    row position into one int64 for a plain sort (numpy's vectorised int64 sort is many times
    faster than ``lexsort``); keys are folded into a dense rank whenever the bits would run out."""
    n = len(keys[0])
    if n < 2:
        return np.arange(n)
    pos_bits = (n - 1).bit_length()
    room = 63 - pos_bits
    acc, width = np.zeros(n, dtype=np.int64), 1
    for key in keys:
        code, k_width = _dense_rank(np.asarray(key))
        if (width * k_width - 1).bit_length() > room:
            acc, distinct = group_codes(acc)
            width = len(distinct)
        acc = acc * k_width + code
        width *= k_width
    if (width - 1).bit_length() > room:
        acc, distinct = group_codes(acc)
        width = len(distinct)
    return radix_order(acc, (width - 1).bit_length())


def _dense_rank(key: np.ndarray) -> tuple[np.ndarray, int]:
    """Codes that sort as ``key`` does, and how many values they can take."""
    if key.dtype.kind == "f" and len(key):
        # whole numbers (counts, dates as day numbers) take the integer way: usually no sort
        low, high = float(key.min()), float(key.max())  # Python floats: a range past 1.8e308 is inf, not an overflow warning
        if np.isfinite(low) and np.isfinite(high) and high - low < 2.0**52 and np.array_equal(key, np.floor(key)):
            key = key.astype(np.int64)  # -0.0 and 0.0 both become 0, as they compare equal
    if key.dtype.kind in "iub":
        low, high = int(key.min()), int(key.max())
        if high - low < 4 * len(key) + 1024:  # a small range: the values themselves
            return key.astype(np.int64) - low, high - low + 1
        if high - low < 1 << 62:  # key - low fits in int64
            codes, distinct = group_codes(key.astype(np.int64) - low)
            return codes, len(distinct)
    distinct, codes = np.unique(key, return_inverse=True)  # equal values (0.0 and -0.0, NaNs) share a code
    return codes.reshape(-1).astype(np.int64), len(distinct)


def first_per_group(group: np.ndarray, *order: np.ndarray) -> np.ndarray:
    """Row positions of the first row of each group under the sort ``order`` (most significant
    first), groups in increasing order."""
    perm = lex_order(group, *order)
    g = group[perm]
    return perm[np.r_[True, g[1:] != g[:-1]]] if len(g) else perm
