"""Result tables as text, CSV and JSON: the documented, stable shapes of the CLI's output."""

from __future__ import annotations

import functools
import json
import math
import re
from typing import Any

import numpy as np
import orjson
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from .._arrays import arrow_text, joined_lists, python_values
from .._gc import paused_gc
from .._text import share_text  # noqa: F401 (re-exported: the I/O edge's formatting)

__all__ = ["to_jsonable", "dumps", "dumps_table", "dumps_records", "write_records_json", "write_csv", "table_text", "table_csv", "escape_cell", "unescape_cell", "records", "reliability_records", "support_records", "info_record", "share_text"]


def to_jsonable(value: Any) -> Any:
    """Plain JSON values: floats rounded to 6 places, NaN/NaT as null, dates as ISO text."""
    if isinstance(value, dict):
        return {str(k): to_jsonable(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)) and all(type(v) is str for v in value):
        return list(value)  # a list of ids, the common case: nothing to convert
    if isinstance(value, (list, tuple, np.ndarray)):
        return [to_jsonable(v) for v in value]
    if value is None or value is pd.NaT:
        return None
    if isinstance(value, (bool, np.bool_)):
        return bool(value)
    if isinstance(value, (int, np.integer)):
        return int(value)
    if isinstance(value, (float, np.floating)):
        f = float(value)
        return None if math.isnan(f) or math.isinf(f) else round(f, 6)
    if isinstance(value, (pd.Timestamp,)):
        return value.date().isoformat()
    if isinstance(value, np.datetime64):
        return None if np.isnat(value) else pd.Timestamp(value).date().isoformat()
    try:
        if pd.isna(value):
            return None
    except (TypeError, ValueError):
        pass
    return str(value) if not isinstance(value, str) else value


def dumps(obj: Any) -> str:
    return json.dumps(to_jsonable(obj), ensure_ascii=False, indent=2) + "\n"


def dumps_table(records: list) -> bytes:
    """Plain records (as :func:`records` and the analyses' ``*_records`` make them: text,
    numbers already rounded, booleans, None, lists and dicts of them) as :func:`dumps` writes
    them (indented by two spaces), in UTF-8, written by orjson: the JSON module took 25 of the
    29 seconds of ``srccrit testimonies --format json`` at a hundred thousand claims (and 5.8 GB
    at a million), orjson a fiftieth of that. The same values; a small number's exponent is
    written ``8e-6`` where the JSON module writes ``8e-06`` (as the report's JSON files always
    did). Records that are not plain go through :func:`dumps`."""
    try:
        return orjson.dumps(records, option=_ORJSON_OPTIONS | orjson.OPT_INDENT_2) + b"\n"
    except TypeError:  # orjson.JSONEncodeError too: a date, a numpy value, a key that is not text
        return dumps(records).encode("utf-8")


def dumps_records(records: list[dict]) -> str:
    """A list of plain records (as :func:`records` makes them) as a JSON array with one record
    per line, compact (``{"witness":"w1","reliability":0.8}``): as readable as indented JSON in
    an editor or with ``grep``, and written by orjson (several times as fast as the JSON
    module's C encoder, which took 4 s for the report's million-row lines table). The same
    values as :func:`dumps`."""
    return "[\n" + _records_body(records) + "\n]\n" if records else "[]\n"


#: orjson's options for the records: dates (and anything else orjson would write otherwise than
#: :func:`to_jsonable`: numpy's values, keys that are not text) raise, and the records then go
#: through :func:`to_jsonable`
_ORJSON_OPTIONS = orjson.OPT_PASSTHROUGH_DATETIME


def _records_body(records: list[dict], first_key: str | None = None) -> str:
    """The records, one JSON object per line, joined by ``,\\n``: by orjson when every value is
    plain (text, numbers, booleans, None, lists and dicts of them: what :func:`records` makes),
    else through :func:`to_jsonable` and the JSON module.

    orjson writes the whole array at once (a call per record costs ten times as much) and a line
    break goes in where one record ends and the next begins: when every record starts with the
    same key ``k``, that boundary is the bytes ``},{"k":`` (inside a string a quote is always
    escaped), found exactly once between two records; if they are found more often (a list of
    objects inside a record), each record is encoded alone."""
    try:
        whole = orjson.dumps(records, option=_ORJSON_OPTIONS)
    except TypeError:  # orjson.JSONEncodeError too
        return ",\n".join(json.dumps(r, ensure_ascii=False, separators=(",", ":")) for r in to_jsonable(records))
    first = next(iter(records[0]), None) if records else None
    # ``first_key``: the caller made every record with this key first (:func:`records` does)
    if isinstance(first, str) and (first == first_key or all(next(iter(r), None) == first for r in records)):
        between = b"},{" + orjson.dumps(first) + b":"
        inner = whole[1:-1]
        if inner.count(between) == len(records) - 1:
            return inner.replace(between, b"},\n{" + between[3:]).decode("utf-8")
    encode = functools.partial(orjson.dumps, option=_ORJSON_OPTIONS)
    return b",\n".join(map(encode, records)).decode("utf-8")


#: rows converted and written at a time by :func:`write_records_json`
JSON_CHUNK_ROWS = 50_000


def write_records_json(path, frame: pd.DataFrame, index_name: str | None = None) -> None:
    """``dumps_records(records(frame, index_name))`` written to ``path`` (atomically) a chunk of
    rows at a time, the same bytes: a million-row table never holds a million dicts and its whole
    text in memory at once (the report's peak was there)."""
    from .atomic import atomic_path

    with atomic_path(path, suffix=".json") as tmp, open(tmp, "w", encoding="utf-8", newline="\n") as fh:
        if not len(frame):
            fh.write("[]\n")
            return
        fh.write("[\n")
        for start in range(0, len(frame), JSON_CHUNK_ROWS):
            if start:
                fh.write(",\n")
            chunk = records(frame.iloc[start:start + JSON_CHUNK_ROWS], index_name)
            # :func:`records` gives every record the same keys in the same order
            fh.write(_records_body(chunk, next(iter(chunk[0]), None) if chunk else None))
        fh.write("\n]\n")


def _cell(v: Any) -> Any:
    if isinstance(v, (list, tuple, np.ndarray)):
        return "; ".join(map(str, v))
    if isinstance(v, float):
        return "" if math.isnan(v) else round(v, 3)
    return v


def table_text(frame: pd.DataFrame, index: bool = True) -> str:
    shown = frame.drop(columns=[c for c in frame.columns if str(c).startswith("_")], errors="ignore").map(_cell)
    with pd.option_context("display.max_rows", None, "display.max_columns", None, "display.width", 200, "display.max_colwidth", 60):
        return shown.to_string(index=index) + "\n"


#: a spreadsheet reads a cell starting with one of these as a formula (OWASP, "CSV Injection")
_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")
_FORMULA_PATTERN = "^[=+@\\t\\r-]"
_NUMBER = re.compile(r"^[-+]?(\d+(\.\d*)?|\.\d+)([eE][-+]?\d+)?$")


def escape_cell(value: Any) -> Any:
    """A text cell a spreadsheet would run as a formula gets a leading ``'`` (numbers such as
    ``-0.3`` are left as they are)."""
    if isinstance(value, str) and value.startswith(_FORMULA_START) and not _NUMBER.match(value):
        return "'" + value
    return value


def unescape_cell(value: Any) -> Any:
    """Undo :func:`escape_cell` (for CSV that srccrit wrote and a user reviewed)."""
    if isinstance(value, str) and value.startswith("'") and value[1:].startswith(_FORMULA_START) and not _NUMBER.match(value[1:]):
        return value[1:]
    return value


def table_csv(frame: pd.DataFrame, index: bool = True) -> str:
    """CSV for people and spreadsheets: lists joined by ``; ``, formula-like text neutralised."""
    return _csv_frame(frame, index).to_csv(index=index, lineterminator="\n", float_format="%.6g")


def write_csv(path, frame: pd.DataFrame, index: bool = True) -> None:
    """:func:`table_csv` written straight to ``path`` (atomically): the same bytes, without the
    whole text in memory twice (as text, then encoded)."""
    from .atomic import atomic_path

    shown = _csv_frame(frame, index)
    with atomic_path(path, suffix=".csv") as tmp, open(tmp, "w", encoding="utf-8", newline="") as fh:
        shown.to_csv(fh, index=index, lineterminator="\n", float_format="%.6g")


def _csv_frame(frame: pd.DataFrame, index: bool) -> pd.DataFrame:
    """The frame as :func:`table_csv` writes it."""
    shown = frame.drop(columns=[c for c in frame.columns if str(c).startswith("_")], errors="ignore")
    cell = lambda v: escape_cell("; ".join(map(str, v)) if isinstance(v, (list, tuple, np.ndarray)) else v)  # noqa: E731

    def text_of(column: pd.Series) -> list | None:
        """The column's cells as CSV text, or None where every cell stays as it is."""
        joined = joined_lists(column)  # an Arrow list column: joined by Arrow
        if joined is not None:
            return [escape_cell(v) for v in joined]
        text = _arrow_text(column)
        if text is not None:  # text, all of it: Arrow finds the few cells that could start a formula
            risky = pc.match_substring_regex(text, _FORMULA_PATTERN)
            if not pc.any(risky).as_py():
                return None
            at = np.flatnonzero(risky.fill_null(False).to_numpy(zero_copy_only=False))
            values = column.tolist()
            for i in at.tolist():
                values[i] = escape_cell(values[i])
            return values
        # text that cannot start a formula (nearly all) passes as it is, an empty list is blank
        return [v if type(v) is str and not v.startswith(_FORMULA_START) else "" if type(v) is list and not v else cell(v)
                for v in column.tolist()]

    # numbers, booleans and dates hold no list and no formula: only the other columns, cell by
    # cell, and only those with a cell to change are replaced
    changed = {}
    for c in shown.columns:
        if not (isinstance(shown[c].dtype, np.dtype) and shown[c].dtype.kind in "biufcmM"):
            values = text_of(shown[c])
            if values is not None:
                changed[str(c)] = values
    shown = shown.assign(**changed)
    if index:
        shown.index = shown.index.map(escape_cell)
    return shown


def _arrow_text(column: pd.Series):
    """The column as an Arrow array of text (missing cells null) if every cell is text or
    missing, else None: the Arrow data behind a text column (:func:`srccrit._arrays.arrow_text`),
    or an object column converted (50 ms a million cells)."""
    arr = arrow_text(column)
    if arr is not None or column.dtype != object:
        return arr
    values = column.to_numpy()
    present = np.flatnonzero(~pd.isna(values))
    if len(present) and type(values[present[0]]) is not str:
        return None  # lists, say: not converted (a timeline's ten million ids) only to be turned down
    try:
        arr = pa.array(values, from_pandas=True)
    except (pa.ArrowInvalid, pa.ArrowTypeError):
        return None
    return arr if pa.types.is_string(arr.type) or pa.types.is_large_string(arr.type) else None


def _json_column(column: pd.Series) -> list:
    """A column's values as plain JSON values (as :func:`to_jsonable` makes them), converted a
    column at a time: numbers by numpy, only other values one by one."""
    kind = column.dtype.kind if isinstance(column.dtype, np.dtype) else ""
    if kind == "f":
        values = column.to_numpy(dtype=float)
        finite = np.isfinite(values)
        if finite.all():
            return [round(v, 6) for v in values.tolist()]  # Python's round, as to_jsonable's
        return [round(v, 6) if ok else None for v, ok in zip(values.tolist(), finite.tolist())]
    if kind and kind in "iu":
        return column.to_numpy().tolist()
    if kind == "b":
        return column.to_numpy().tolist()
    # text is the common case (ids, names, chains): kept as it is, the rest converted one by one
    # (an Arrow list column read by Arrow at once: pandas iterates it cell by cell, 7 s for the
    # contradictions table's 200,000 rows at a million claims)
    values = python_values(column)
    if _text_lists(column) or arrow_text(column) is not None:
        return values  # Arrow's text (or lists of it) and missing cells: JSON as they are
    if _text_or_text_lists(values):
        return values  # ids, names, chains, relays: JSON as they are
    # mixed values: text, None and lists of text as they are, the others converted one by one
    return [v if (t := type(v)) is str or v is None or (t is list and all(type(x) is str for x in v)) else to_jsonable(v)
            for v in values]


def _text_or_text_lists(values: list) -> bool:
    """Whether every value is text or None, or every value a list of text or None: the types
    are read in C (``map(type)``, and Arrow for the lists' items; a Python test per value was a
    second per million-row table)."""
    import pyarrow as pa

    kinds = set(map(type, values))
    if kinds <= {str, type(None)}:
        return True
    if not kinds <= {list, type(None)}:
        return False
    try:
        inferred = pa.array(values).type
    except (pa.ArrowInvalid, pa.ArrowTypeError, pa.ArrowNotImplementedError, OverflowError, TypeError, ValueError):
        return False
    items = inferred.value_type if pa.types.is_list(inferred) else inferred
    return pa.types.is_string(items) or pa.types.is_null(items)


def _text_lists(column: pd.Series) -> bool:
    """Whether ``column`` is an Arrow column of lists of text (ids, say)."""
    import pyarrow as pa

    arr = getattr(column.array, "_pa_array", None)
    if arr is None or not (pa.types.is_list(arr.type) or pa.types.is_large_list(arr.type)):
        return False
    items = arr.type.value_type
    items = items.value_type if pa.types.is_dictionary(items) else items
    return pa.types.is_string(items) or pa.types.is_large_string(items)


def records(frame: pd.DataFrame, index_name: str | None = None) -> list[dict]:
    out = frame.reset_index() if index_name else frame
    cols = [c for c in out.columns if not str(c).startswith("_")]
    with paused_gc():  # a dict per row, none in a cycle: at a million rows, collections were 40% of the time
        columns = [_json_column(out[c]) for c in cols]
        names = [str(c) for c in cols]
        return [dict(zip(names, row)) for row in zip(*columns)] if columns else [{} for _ in range(len(out))]


def reliability_records(table: pd.DataFrame) -> list[dict]:
    keys = ["witness", "name", "reliability", "low", "high", "prior", "claims", "lines", "corroborated", "contradicted", "reasons"]
    return [{k: r[k] for k in keys} for r in records(table, "witness")]


def support_records(table: pd.DataFrame) -> list[dict]:
    keys = ["conclusion", "text", "probability", "prior", "verdict", "lines_for", "lines_against", "fragile", "pivotal_witness",
            "pivotal_shift", "verdict_without", "held_by", "as_of", "sole_support", "break_count"]
    return [{k: r[k] for k in keys} for r in records(table, "conclusion")]


def info_record(case) -> dict:
    return to_jsonable({
        "case": case.id,
        "title": case.title,
        "counts": case.summary(),
        "witnesses": [{"id": wid, "name": row["name"], "aliases": list(row["aliases"])} for wid, row in case.witnesses.iterrows()],
        "warnings": [str(w) for w in case.warnings],
    })


def conclusion_evidence_record(ce) -> dict:
    """The JSON contract of ``srccrit evidence``: the conclusion, its pooled probability with its
    interval and verdict, its premises and its lines of evidence."""
    return to_jsonable({
        "conclusion": ce.conclusion, "text": ce.text, "probability": ce.probability, "low": ce.low, "high": ce.high,
        "verdict": ce.verdict, "premises": records(ce.premises), "lines": records(ce.lines),
    })
