"""Reading the case's YAML with line numbers, and its tables from CSV, YAML or Parquet files.

Every table comes back as a ``pandas.DataFrame`` with two bookkeeping columns, ``_file`` and
``_line`` (the YAML line of the row's first key, or the CSV line of the row; for Parquet the row
number), so that validation can say ``file:line: message`` for any row of any table.
"""

from __future__ import annotations

import csv
import io
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import yaml

from .._arrays import id_lists, list_column, split_id_lists
from .._gc import paused_gc
from ..errors import Problem

__all__ = ["YamlDocument", "read_yaml", "read_table_file", "records_frame", "LIST_FIELDS"]

#: fields that hold lists; in CSV they are ``;``-separated
LIST_FIELDS = {"aliases", "hostile_to", "derives_from", "held_by", "via"}
#: list fields of the claims table (a million rows) held by Arrow, not as a Python list per row
ARROW_LIST_FIELDS = {"via"}


class YamlDocument:
    """A parsed YAML document plus the line of every mapping key and sequence item (1-based)."""

    def __init__(self, data: Any, lines: dict[tuple, int], duplicates: list[tuple[tuple, int]]):
        self.data = data
        self.lines = lines
        self.duplicates = duplicates  # (path of the duplicated key, its line)

    def line(self, *path: Any, default: int = 1) -> int:
        """The line of the deepest known prefix of ``path``."""
        path = tuple(path)
        while path:
            if path in self.lines:
                return self.lines[path]
            path = path[:-1]
        return default


def _walk(node: yaml.Node, path: tuple, lines: dict, dups: list) -> None:
    if isinstance(node, yaml.MappingNode):
        seen: set = set()
        for key_node, value_node in node.value:
            key = key_node.value
            line = key_node.start_mark.line + 1
            if key in seen:
                dups.append((path + (key,), line))
            else:
                lines[path + (key,)] = line
            seen.add(key)
            _walk(value_node, path + (key,), lines, dups)
    elif isinstance(node, yaml.SequenceNode):
        for i, item in enumerate(node.value):
            lines[path + (i,)] = item.start_mark.line + 1
            _walk(item, path + (i,), lines, dups)


def read_yaml(path: Path) -> YamlDocument:
    """Parse a YAML file, raising ``yaml.YAMLError`` (with its mark) on a syntax error."""
    text = path.read_text(encoding="utf-8")
    node = yaml.compose(text, Loader=yaml.SafeLoader)
    lines: dict[tuple, int] = {}
    dups: list = []
    if node is not None:
        _walk(node, (), lines, dups)
    data = yaml.safe_load(text)
    return YamlDocument(data, lines, dups)


def _split_list(value: Any) -> list:
    if value is None:
        return []
    if isinstance(value, float) and pd.isna(value):
        return []
    if isinstance(value, (list, tuple)):
        return [v for v in value if v is not None and str(v).strip() != ""]
    if hasattr(value, "tolist"):  # numpy arrays from Parquet list columns
        return [v for v in value.tolist() if v is not None and str(v).strip() != ""]
    text = str(value).strip()
    if not text:
        return []
    return [part.strip() for part in text.split(";") if part.strip()]


def _list_field(col: pd.Series, name: str) -> pd.Series:
    if name in ARROW_LIST_FIELDS:
        lists = split_id_lists(col) if isinstance(col.dtype, pd.StringDtype) else id_lists(col)
        return list_column(lists, index=col.index)
    return _split_column(col)


def _split_column(col: pd.Series) -> pd.Series:
    """A list column from ';'-separated text (or Parquet lists) for the small tables' list
    fields. Empty cells become ``[]`` and only non-empty cells are split one by one."""
    if isinstance(col.dtype, pd.StringDtype):
        filled = np.flatnonzero(~(col.isna() | col.str.strip().eq("")).to_numpy(dtype=bool))
        values = np.asarray(col.array.take(filled), dtype=object)  # only the non-empty cells leave Arrow
    else:
        cells = col.to_numpy(dtype=object)
        filled = np.flatnonzero(~np.fromiter((_blank_cell(v) for v in cells), dtype=bool, count=len(col)))
        values = cells[filled]
    with paused_gc():
        out = [[] for _ in range(len(col))]
        for i, v in zip(filled.tolist(), values.tolist()):
            out[i] = _split_list(v)
    return pd.Series(out, index=col.index, dtype=object)


def _blank_cell(v: Any) -> bool:
    if v is None or v is pd.NA:
        return True
    if isinstance(v, float):
        return bool(np.isnan(v))
    if isinstance(v, str):
        return not v.strip()
    if isinstance(v, (list, tuple)) or hasattr(v, "tolist"):
        return len(v) == 0
    return False


def records_frame(records: list[dict], file: str, lines: list[int]) -> pd.DataFrame:
    """A DataFrame from row dicts, with ``_file``/``_line`` and list fields as Python lists."""
    # object columns: YAML's own types (int years, dates, booleans) must not be coerced to float
    frame = pd.DataFrame(records, dtype=object) if records else pd.DataFrame()
    frame["_file"] = file
    frame["_line"] = pd.Series(lines, dtype="int64") if lines else pd.Series([], dtype="int64")
    for col in LIST_FIELDS & set(frame.columns):
        frame[col] = frame[col].map(_split_list)
    return frame


def _csv_row_lines(path: Path) -> list[int]:
    """The physical line on which each CSV data row starts (quoted fields may span lines)."""
    with path.open(newline="", encoding="utf-8") as fh:
        reader = csv.reader(fh)
        starts = []
        prev = 0
        for _ in reader:
            starts.append(prev + 1)
            prev = reader.line_num
    return starts[1:]


class CsvLines:
    """Row numbers of a CSV table, exact even with multi-line quoted fields, computed only if asked."""

    def __init__(self, path: Path, n: int):
        self.path, self.n = path, n
        self._lines: list[int] | None = None

    def __call__(self, row: int) -> int:
        if self._lines is None:
            self._lines = _csv_row_lines(self.path)
        return self._lines[row] if row < len(self._lines) else row + 2


#: display name of a CSV table -> its row-to-line map
CSV_LINES: dict[str, "CsvLines"] = {}


def read_table_file(path: Path, display: str, key_name: str = "id") -> tuple[pd.DataFrame, list[Problem]]:
    """Read a table from ``.csv``, ``.yaml``/``.yml`` or ``.parquet``. Returns (frame, problems)."""
    suffix = path.suffix.lower()
    if not path.exists():
        return pd.DataFrame(), [Problem(display, 0, f"table file not found: {path}")]
    if suffix == ".csv":
        try:
            frame = pd.read_csv(path, dtype=str, keep_default_na=False, na_filter=False, encoding="utf-8")
        except (pd.errors.ParserError, UnicodeDecodeError, pd.errors.EmptyDataError) as exc:
            return pd.DataFrame(), [Problem(display, 0, f"cannot read CSV table: {exc}")]
        frame.columns = [str(c).strip() for c in frame.columns]
        for col in LIST_FIELDS & set(frame.columns):
            frame[col] = _list_field(frame[col], col)
        frame = _blank_to_none(frame)
        frame["_file"] = display
        # fast path: one row per line; exact lines are recomputed lazily for messages
        frame["_line"] = pd.RangeIndex(2, len(frame) + 2)
        # exact line numbers, computed only when a message needs one (not in frame.attrs:
        # pandas deep-copies attrs on every column access)
        CSV_LINES[display] = CsvLines(path, len(frame))
        return frame, []
    if suffix == ".parquet":
        try:
            frame = pd.read_parquet(path, read_dictionary=_dictionary_columns(path))
        except Exception as exc:  # pyarrow raises several types for a broken file
            return pd.DataFrame(), [Problem(display, 0, f"cannot read Parquet table: {exc}")]
        for col in LIST_FIELDS & set(frame.columns):
            frame[col] = _list_field(frame[col], col)
        frame["_file"] = display
        frame["_line"] = pd.RangeIndex(1, len(frame) + 1)
        return frame, []
    if suffix in (".yaml", ".yml"):
        try:
            doc = read_yaml(path)
        except yaml.YAMLError as exc:
            line = getattr(getattr(exc, "problem_mark", None), "line", -1) + 1
            return pd.DataFrame(), [Problem(display, line, f"YAML syntax error: {getattr(exc, 'problem', exc)}")]
        return yaml_table(doc.data, doc, (), display, key_name)
    return pd.DataFrame(), [Problem(display, 0, f"unsupported table file type {suffix!r} (use .csv, .yaml or .parquet)")]


#: claims columns whose few distinct values repeat over many rows: read from Parquet as categoricals
#: (no other table has columns of these names)
REPEATED_COLUMNS = {"witness", "source", "proposition", "stance", "value", "locator"}


def _dictionary_columns(path: Path) -> list[str]:
    """The string columns of a Parquet file worth reading dictionary-encoded."""
    import pyarrow as pa
    import pyarrow.parquet as pq

    schema = pq.read_schema(path)
    return [f.name for f in schema if f.name in REPEATED_COLUMNS and (pa.types.is_string(f.type) or pa.types.is_large_string(f.type))]


def _blank_to_none(frame: pd.DataFrame) -> pd.DataFrame:
    """Empty CSV cells -> missing, keeping string columns in their (Arrow-backed) string dtype."""
    for col in frame.columns:
        s = frame[col]
        if isinstance(s.dtype, pd.StringDtype):
            mask = s.eq("").to_numpy(dtype=bool, na_value=False)
            if mask.any():
                frame[col] = s.where(~mask)
        elif s.dtype == object:
            mask = s.eq("").to_numpy(dtype=bool, na_value=False)
            if mask.any():
                values = s.to_numpy(dtype=object)
                values[mask] = None
                frame[col] = pd.Series(values, index=s.index, dtype=object)
    return frame


def yaml_table(data: Any, doc: YamlDocument, path: tuple, display: str, key_name: str) -> tuple[pd.DataFrame, list[Problem]]:
    """A table written inline in YAML: a mapping keyed by id, or a list of rows with ``id``."""
    problems: list[Problem] = []
    records, lines = [], []
    if data is None:
        return records_frame([], display, []), problems
    if isinstance(data, dict):
        for key, row in data.items():
            line = doc.line(*path, key)
            if row is None:
                row = {}
            if not isinstance(row, dict):
                problems.append(Problem(display, line, f"entry {key!r} must be a mapping of fields"))
                continue
            rec = dict(row)
            rec[key_name] = key
            rec["_fieldlines"] = {f: doc.line(*path, key, f) for f in row}
            records.append(rec)
            lines.append(line)
        for dup_path, line in doc.duplicates:
            if dup_path[:-1] == path:
                problems.append(Problem(display, line, f"duplicate id {dup_path[-1]!r}"))
    elif isinstance(data, list):
        for i, row in enumerate(data):
            line = doc.line(*path, i)
            if not isinstance(row, dict):
                problems.append(Problem(display, line, "each row must be a mapping of fields"))
                continue
            rec = dict(row)
            rec["_fieldlines"] = {f: doc.line(*path, i, f) for f in row}
            records.append(rec)
            lines.append(line)
    else:
        problems.append(Problem(display, doc.line(*path), "a table must be a mapping keyed by id, a list of rows, or a file path"))
    frame = records_frame(records, display, lines)
    return frame, problems


def frame_to_csv_text(frame: pd.DataFrame) -> str:
    """CSV text with list fields joined by ``;`` (the case format's CSV convention)."""
    out = frame.copy()
    for col in LIST_FIELDS & set(out.columns):
        out[col] = out[col].map(lambda v: ";".join(map(str, v)) if isinstance(v, (list, tuple, np.ndarray)) else v)
    buf = io.StringIO()
    out.to_csv(buf, index=False, lineterminator="\n")
    return buf.getvalue()
