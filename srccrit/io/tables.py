"""Reading the case's YAML with line numbers, and its tables from CSV, YAML or Parquet files.

Every table comes back as a ``pandas.DataFrame`` with two bookkeeping columns, ``_file`` and
``_line`` (the YAML line of the row's first key, or the CSV line of the row; for Parquet the row
number), so that validation can say ``file:line: message`` for any row of any table.
"""

from __future__ import annotations

import csv
import io
import re
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import yaml

from .._arrays import id_lists, list_column, split_id_lists
from .._gc import paused_gc
from ..errors import Problem, not_utf8
from .atomic import note_input

__all__ = ["YamlDocument", "read_yaml", "read_table_file", "records_frame", "LIST_FIELDS", "yaml_problem", "YAML_READ_ERRORS", "file_problem",
           "CsvDialect", "csv_dialect", "read_csv", "csv_text"]

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


#: how deep mappings and lists may nest in a case file (a case needs four levels)
MAX_DEPTH = 64
#: how many nodes aliases (``*name``) may add to a document beyond those written out
MAX_ALIAS_EXPANSION = 100_000


#: libyaml's parser where PyYAML was built with it (10x faster), else PyYAML's own
_BaseLoader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


class CaseYamlLoader(_BaseLoader):
    """PyYAML's safe loader with the typing of a case's plain text.

    Every scalar is read as the text the user wrote (``yes``, ``on``, ``1:30``, ``0123``,
    ``1950-02-30`` stay as written) and only ``~``, ``null`` and an empty value are missing:
    srccrit's own rules then parse each field (``true``/``false``, decimal numbers, dates), the
    same rules as for a CSV cell. Mapping keys are text too. A value that PyYAML would still
    construct from an explicit tag (``!!int x``) is reported with its line.
    """

    yaml_implicit_resolvers: dict = {}

    def construct_object(self, node, deep=False):
        try:
            return super().construct_object(node, deep=deep)
        except yaml.YAMLError:
            raise
        except (ValueError, TypeError, OverflowError, ArithmeticError) as exc:
            raise yaml.constructor.ConstructorError(None, None, f"cannot read {_short(node)} as {node.tag.rsplit(':', 1)[-1]}: {exc}",
                                                    node.start_mark) from None


CaseYamlLoader.add_implicit_resolver("tag:yaml.org,2002:null", re.compile(r"^(?:~|null|Null|NULL|)$"), ["~", "n", "N", ""])
# the merge key ("<<: *defaults"), with which a YAML file shares fields between rows
CaseYamlLoader.add_implicit_resolver("tag:yaml.org,2002:merge", re.compile(r"^(?:<<)$"), ["<"])


def _short(node: yaml.Node) -> str:
    value = node.value if isinstance(node, yaml.ScalarNode) else node.tag
    text = str(value)
    return repr(text if len(text) <= 40 else text[:40] + "...")


class YamlLimitError(yaml.YAMLError):
    """A document over srccrit's limits (nesting depth, alias expansion); carries a mark."""

    def __init__(self, problem: str, mark):
        super().__init__(problem)
        self.problem = problem
        self.problem_mark = mark


def _check_depth(text: str) -> None:
    """Refuse documents nested deeper than :data:`MAX_DEPTH` before composing them (PyYAML's
    composer recurses once per level)."""
    depth = 0
    for event in yaml.parse(text, Loader=CaseYamlLoader):
        if isinstance(event, (yaml.MappingStartEvent, yaml.SequenceStartEvent)):
            depth += 1
            if depth > MAX_DEPTH:
                raise YamlLimitError(f"nested more than {MAX_DEPTH} levels deep", event.start_mark)
        elif isinstance(event, (yaml.MappingEndEvent, yaml.SequenceEndEvent)):
            depth -= 1


def _walk(root: yaml.Node, lines: dict, dups: list) -> None:
    """Record the line of every key and item, and duplicated keys; bound alias expansion.

    A node reached again through an alias is not walked again, but the size it adds is counted
    (memoised), so a "billion laughs" document is refused in time linear in its text.
    """
    sizes: dict[int, int] = {}
    walked: set[int] = set()
    distinct = 0
    stack: list[tuple[yaml.Node, tuple, bool]] = [(root, (), False)]
    while stack:
        node, path, done = stack.pop()
        nid = id(node)
        children = _children(node)
        if done:
            sizes[nid] = 1 + sum(sizes[id(c)] for _, c, _ in children)
            continue
        if nid in walked:
            if nid not in sizes:
                raise YamlLimitError("an alias refers to the list or mapping that contains it", node.start_mark)
            continue
        walked.add(nid)
        distinct += 1
        stack.append((node, path, True))
        seen: set = set()
        for key, child, line in children:
            child_path = path + (key,)
            if isinstance(node, yaml.MappingNode) and key in seen:
                dups.append((child_path, line))
            else:
                lines[child_path] = line
            seen.add(key)
            stack.append((child, child_path, False))
    total = sizes.get(id(root), 1)
    if total - distinct > MAX_ALIAS_EXPANSION:
        raise YamlLimitError(f"aliases expand the document to {total:,} values (at most {MAX_ALIAS_EXPANSION:,} more than written)",
                             root.start_mark)


def _children(node: yaml.Node) -> list[tuple[Any, yaml.Node, int]]:
    """(key or index, child node, 1-based line of the key or item)."""
    if isinstance(node, yaml.MappingNode):
        out = []
        for key_node, value_node in node.value:
            if not isinstance(key_node, yaml.ScalarNode):
                raise YamlLimitError("a mapping key must be a plain name, not a list or a mapping", key_node.start_mark)
            out.append((key_node.value, value_node, key_node.start_mark.line + 1))
        return out
    if isinstance(node, yaml.SequenceNode):
        return [(i, item, item.start_mark.line + 1) for i, item in enumerate(node.value)]
    return []


def read_yaml(path: Path) -> YamlDocument:
    """Parse a YAML file, raising ``yaml.YAMLError`` (with its mark) on a syntax error or on a
    document over the limits; ``UnicodeDecodeError`` if it is not UTF-8."""
    note_input(path)
    text = path.read_text(encoding="utf-8")
    _check_depth(text)
    loader = CaseYamlLoader(text)
    try:
        node = loader.get_single_node()
        lines: dict[tuple, int] = {}
        dups: list = []
        data = None
        if node is not None:
            _walk(node, lines, dups)
            data = loader.construct_document(node)
    finally:
        loader.dispose()
    return YamlDocument(data, lines, dups)


def yaml_problem(display: str, exc: BaseException, path=None) -> Problem:
    """One problem, with file and line, for any failure to read a YAML file (``path``: the file,
    read again to place an encoding error)."""
    if isinstance(exc, yaml.YAMLError):
        mark = getattr(exc, "problem_mark", None)
        line = mark.line + 1 if mark else 0
        return Problem(display, line, f"YAML syntax error: {getattr(exc, 'problem', None) or exc}")
    if isinstance(exc, UnicodeDecodeError):
        return not_utf8(path, display) if path is not None else Problem(display, 0, f"not UTF-8 text (byte {exc.start}): save the file as UTF-8")
    if isinstance(exc, RecursionError):
        return Problem(display, 0, "nested too deeply to read")
    if isinstance(exc, IsADirectoryError):
        return Problem(display, 0, "is a folder, not a file")
    return Problem(display, 0, f"cannot read the file: {getattr(exc, 'strerror', None) or exc}")


YAML_READ_ERRORS = (yaml.YAMLError, UnicodeDecodeError, RecursionError, OSError)


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


class CsvDialect:
    """How a CSV file is written: its separator (a comma; a semicolon as Excel writes it where the
    decimal mark is a comma; a tab), a byte-order mark (Excel's "CSV UTF-8"), its line ends."""

    __slots__ = ("sep", "bom", "newline")

    def __init__(self, sep: str = ",", bom: bool = False, newline: str = "\n"):
        self.sep, self.bom, self.newline = sep, bom, newline


def csv_dialect(path: Path) -> CsvDialect:
    """The dialect of a CSV file, told by its header line: the separator is the first of ``,``
    ``;`` and tab found outside quotes (a header names several columns)."""
    with Path(path).open("rb") as fh:
        head = fh.read(1 << 16)
    bom = head.startswith(b"\xef\xbb\xbf")
    first = head[3 if bom else 0:].split(b"\n", 1)[0].decode("utf-8", errors="replace")
    newline = "\r\n" if first.endswith("\r") else "\n"
    unquoted = re.sub(r'"[^"]*"', "", first)
    sep = next((c for c in (",", ";", "\t") if c in unquoted), ",")
    return CsvDialect(sep, bom, newline)


def read_csv(path: Path, dialect: CsvDialect | None = None, **kwargs) -> pd.DataFrame:
    """``pandas.read_csv`` in the file's own dialect (:func:`csv_dialect`), a byte-order mark left
    out of the first column's name."""
    dialect = dialect or csv_dialect(path)
    return pd.read_csv(path, sep=dialect.sep, encoding="utf-8-sig", **kwargs)


def csv_text(frame: pd.DataFrame, dialect: CsvDialect) -> str:
    """``frame`` as CSV text in ``dialect`` (the byte-order mark as its first character)."""
    return ("\ufeff" if dialect.bom else "") + frame.to_csv(index=False, sep=dialect.sep, lineterminator=dialect.newline)


def _csv_row_lines(path: Path) -> list[int]:
    """The physical line on which each CSV data row starts (quoted fields may span lines)."""
    with path.open(newline="", encoding="utf-8-sig") as fh:
        reader = csv.reader(fh, delimiter=csv_dialect(path).sep)
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


TABLE_SUFFIXES = (".csv", ".yaml", ".yml", ".parquet")


def file_problem(path: Path, display: str, what: str, suffixes: tuple[str, ...]) -> Problem | None:
    """The problem with a file named as a table or a bibliography before it is read, if any:
    missing, a folder, empty, or not of a type srccrit reads. Nothing of its content is shown."""
    try:
        return _file_problem(path, display, what, suffixes)
    except (OSError, ValueError) as exc:  # a name too long, a NUL byte, no permission
        reason = getattr(exc, "strerror", None) or str(exc)
        return Problem(display, 0, f"{what} cannot be read: {reason}")


def _file_problem(path: Path, display: str, what: str, suffixes: tuple[str, ...]) -> Problem | None:
    if not path.exists():
        return Problem(display, 0, f"{what} not found: {path}")
    if path.is_dir():
        return Problem(display, 0, f"{what} is a folder, not a file: {path}")
    if not path.is_file():
        return Problem(display, 0, f"{what} is not a regular file: {path}")
    if path.suffix.lower() not in suffixes:
        return Problem(display, 0, f"{what} must be a {' or '.join(suffixes)} file, not {path.name!r}")
    if path.stat().st_size == 0:
        return Problem(display, 0, f"{what} is empty: {path}")
    return None


def read_table_file(path: Path, display: str, key_name: str = "id") -> tuple[pd.DataFrame, list[Problem]]:
    """Read a table from ``.csv``, ``.yaml``/``.yml`` or ``.parquet``. Returns (frame, problems)."""
    suffix = path.suffix.lower()
    problem = file_problem(path, display, "table file", TABLE_SUFFIXES)
    if problem:
        return pd.DataFrame(), [problem]
    note_input(path)
    if suffix == ".csv":
        try:
            frame = read_csv(path, dtype=str, keep_default_na=False, na_filter=False)
        except UnicodeDecodeError as exc:
            return pd.DataFrame(), [not_utf8(path, display, "the table")]
        except (pd.errors.ParserError, pd.errors.EmptyDataError, ValueError, OSError) as exc:
            return pd.DataFrame(), [Problem(display, 0, f"cannot read CSV table: {_first_line(exc)}")]
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
        with path.open("rb") as fh:
            if fh.read(4) != b"PAR1":
                return pd.DataFrame(), [Problem(display, 0, "not a Parquet file (it does not start with Parquet's signature)")]
        try:
            frame = pd.read_parquet(path, read_dictionary=_dictionary_columns(path))
        except Exception as exc:  # pyarrow raises several types for a broken file
            return pd.DataFrame(), [Problem(display, 0, f"cannot read Parquet table: {_first_line(exc)}")]
        for col in LIST_FIELDS & set(frame.columns):
            frame[col] = _list_field(frame[col], col)
        frame["_file"] = display
        frame["_line"] = pd.RangeIndex(1, len(frame) + 1)
        return frame, []
    if suffix in (".yaml", ".yml"):
        try:
            doc = read_yaml(path)
        except YAML_READ_ERRORS as exc:
            return pd.DataFrame(), [yaml_problem(display, exc, path)]
        return yaml_table(doc.data, doc, (), display, key_name)
    raise AssertionError(suffix)  # file_problem() let only the suffixes above through


def _first_line(exc: BaseException) -> str:
    """An exception's message, first line only and cut short (never a file's content)."""
    text = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
    return text[:200]



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
    for dup_path, line in doc.duplicates:
        if dup_path[:len(path)] != path:
            continue
        if len(dup_path) == len(path) + 1 and isinstance(data, dict):
            problems.append(Problem(display, line, f"duplicate id {dup_path[-1]!r}"))
        else:
            problems.append(Problem(display, line, f"duplicate key {dup_path[-1]!r} (each field may be given once)"))
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
