"""Result tables as text, CSV and JSON: the documented, stable shapes of the CLI's output."""

from __future__ import annotations

import json
import math
import re
from typing import Any

import numpy as np
import pandas as pd

from .._arrays import joined_lists
from .._gc import paused_gc

__all__ = ["to_jsonable", "dumps", "dumps_records", "write_records_json", "write_csv", "table_text", "table_csv", "escape_cell", "unescape_cell", "records", "reliability_records", "support_records", "info_record"]


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


def dumps_records(records: list[dict]) -> str:
    """A list of plain records (as :func:`records` makes them) as a JSON array with one record
    per line: as readable as indented JSON in an editor or with ``grep``, and written by the
    JSON module's C encoder (indentation makes it use the Python one: twice the time on a
    million records). The same values as :func:`dumps`."""
    return "[\n" + _records_body(records) + "\n]\n" if records else "[]\n"


def _records_body(records: list[dict]) -> str:
    """The records, one JSON object per line, joined by ``,\\n``."""
    encode = json.JSONEncoder(ensure_ascii=False, allow_nan=False, default=_not_plain).encode
    try:
        return ",\n".join(map(encode, records))
    except (ValueError, _NotPlain):
        return ",\n".join(json.dumps(r, ensure_ascii=False) for r in to_jsonable(records))


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
            fh.write(_records_body(records(frame.iloc[start:start + JSON_CHUNK_ROWS], index_name)))
        fh.write("\n]\n")


class _NotPlain(Exception):
    pass


def _not_plain(value: Any):
    raise _NotPlain(type(value).__name__)


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

    def text_of(column: pd.Series) -> list:
        joined = joined_lists(column)  # an Arrow list column: joined by Arrow
        if joined is not None:
            return [escape_cell(v) for v in joined]
        # text that cannot start a formula (nearly all) passes as it is
        return [v if type(v) is str and not v.startswith(_FORMULA_START) else cell(v) for v in column.tolist()]

    # numbers, booleans and dates hold no list and no formula: only the other columns, cell by cell
    shown = shown.assign(**{str(c): text_of(shown[c]) for c in shown.columns
                            if not (isinstance(shown[c].dtype, np.dtype) and shown[c].dtype.kind in "biufcmM")})
    if index:
        shown.index = shown.index.map(escape_cell)
    return shown


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
    return [v if type(v) is str else to_jsonable(v) for v in column.tolist()]


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
