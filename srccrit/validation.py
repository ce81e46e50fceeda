"""Validation: raw tables -> a typed :class:`~srccrit.Case`, every problem found in one pass.

Checks are vectorised over the claims table (a collection may hold millions of rows); messages
are built only for the rows that fail. Each problem names its file and line; the list is sorted.
"""

from __future__ import annotations

import re
from pathlib import Path

from typing import Any, Iterable

import networkx as nx
import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc
from rapidfuzz import fuzz, process

from .dates import ValueError_, check_unit, fold_text, parse_date, parse_value, spelling_key
from ._arrays import has_repeats, id_lists, list_column, positions_in, take
from .errors import CaseError, Problem
from .io.tables import CSV_LINES, LIST_FIELDS
from .normalisers import value_types
from .model import CASE_FIELDS, FIELDS, PROXIMITIES, SOURCE_KINDS, STANCES, BASES, Case

__all__ = ["build_case", "ID_PATTERN", "did_you_mean"]

ID_PATTERN = r"[A-Za-z0-9_.\-]+"  # the common case, checked at once; see valid_id for the rest
_ID_MESSAGE = "use letters (of any script), digits, '-', '_' and '.'"


def valid_id(text: str) -> bool:
    """Whether ``text`` is an id: letters of any script and digits (``катынь``, ``満州事変``,
    ``müller``), ``-``, ``_`` and ``.`` -- no spaces, no marks standing alone (a decomposed
    accent, a direction override), nothing else."""
    return bool(text) and all(ch.isalnum() or ch in "_.-" for ch in text)
_EPOCH_ORDINAL = 719163  # date(1970, 1, 1).toordinal()
_MAX_ROW_ERRORS = 200  # per check: a broken million-row table must not print a million lines

BIB_COLUMNS = ("entry_type", "bib_author", "bib_editor", "title", "year", "journaltitle", "publisher", "doi", "url")


def _ordinals_to_datetime(values: Iterable[float | None]) -> np.ndarray:
    arr = np.asarray(list(values) if not isinstance(values, np.ndarray) else values, dtype="float64")
    out = np.full(arr.shape, np.datetime64("NaT"), dtype="datetime64[s]")
    ok = ~np.isnan(arr)
    out[ok] = (arr[ok].astype("int64") - _EPOCH_ORDINAL).astype("datetime64[D]").astype("datetime64[s]")
    return out


def _blank(v: Any) -> bool:
    if v is None or v is pd.NA or v is pd.NaT:
        return True
    if isinstance(v, float) and np.isnan(v):
        return True
    if isinstance(v, str) and not v.strip():
        return True
    return False


def _text(v: Any) -> str | None:
    if _blank(v):
        return None
    if hasattr(v, "isoformat"):
        return v.isoformat()
    return str(v).strip()


class _Checker:
    def __init__(self, raw):
        self.raw = raw
        self.problems: list[Problem] = [p for p in raw.problems if p.level == "error"]
        self.warnings: list[Problem] = [p for p in raw.problems if p.level == "warning"]

    def line(self, frame: pd.DataFrame, pos: int) -> int:
        lines = CSV_LINES.get(str(frame["_file"].iat[pos])) if len(frame) else None
        if lines is not None:
            return lines(pos)
        return int(frame["_line"].iat[pos])

    def field_line(self, frame: pd.DataFrame, pos: int, field: str | None) -> int:
        """The line of ``field`` in row ``pos`` where the YAML tells it, else the row's line."""
        if field and "_fieldlines" in frame.columns:
            lines = frame["_fieldlines"].iat[pos]
            if isinstance(lines, dict) and field in lines:
                return int(lines[field])
        return self.line(frame, pos)

    def error(self, frame: pd.DataFrame, pos: int, message: str, field: str | None = None) -> None:
        self.problems.append(Problem(str(frame["_file"].iat[pos]), self.field_line(frame, pos, field), message))

    def warn(self, frame: pd.DataFrame, pos: int, message: str) -> None:
        self.warnings.append(Problem(str(frame["_file"].iat[pos]), self.line(frame, pos), message, "warning"))

    def errors_where(self, frame: pd.DataFrame, mask: np.ndarray, make_message, field: str | None = None) -> None:
        positions = np.flatnonzero(mask)
        for pos in positions[:_MAX_ROW_ERRORS]:
            self.error(frame, int(pos), make_message(int(pos)), field)
        if len(positions) > _MAX_ROW_ERRORS:
            self.error(frame, int(positions[_MAX_ROW_ERRORS]), f"... and {len(positions) - _MAX_ROW_ERRORS} more rows with the same problem")


def did_you_mean(value: str, choices: Iterable[str], aliases: dict[str, str] | None = None) -> str:
    """``"; did you mean 'x'?"`` for the choice nearest ``value`` (folded for case and accents),
    or nothing where none is near: the tail of an unknown-id message."""
    value = str(value)
    if aliases:
        hit = aliases.get(fold_text(value))
        if hit:
            return f"; did you mean {hit!r}?"
    choices = list(choices)
    if not choices:
        return ""
    best = process.extractOne(value, choices, scorer=fuzz.ratio, processor=fold_text, score_cutoff=60)
    return f"; did you mean {best[0]!r}?" if best else ""


def _ensure(frame: pd.DataFrame, columns: Iterable[str]) -> pd.DataFrame:
    for col in columns:
        if col not in frame.columns:
            frame[col] = None
    return frame


def _check_ids(ck: _Checker, frame: pd.DataFrame, what: str, syntax: bool = True) -> None:
    ids = frame["id"]  # stripped, blank ids missing
    missing = ids.isna().to_numpy(dtype=bool)
    ck.errors_where(frame, missing, lambda pos: f"{what} has no id")
    if not isinstance(ids.dtype, pd.StringDtype):
        ids = ids.astype("str")
    if syntax:
        bad = ~missing & ~ids.str.fullmatch(ID_PATTERN).fillna(False).to_numpy(dtype=bool)
        if bad.any():  # not ASCII: letters of other scripts are letters too
            at = np.flatnonzero(bad)
            bad[at] = [not valid_id(str(x)) for x in ids.to_numpy(dtype=object)[at]]
        ck.errors_where(frame, bad, lambda pos: f"invalid {what} id {frame['id'].iat[pos]!r}: {_ID_MESSAGE}")
    dup = _repeated(ids) & ~missing
    ck.errors_where(frame, dup, lambda pos: f"duplicate {what} id {frame['id'].iat[pos]!r}")


def _repeated(values: pd.Series) -> np.ndarray:
    """Rows whose value appeared in an earlier row. Arrow text is first checked by one sort;
    the rows are looked for (one hash pass) only when there are repeats."""
    if has_repeats(values) is False:
        return np.zeros(len(values), dtype=bool)
    codes, uniques = pd.factorize(values)
    present = codes >= 0
    if len(uniques) == int(present.sum()):
        return np.zeros(len(codes), dtype=bool)
    _, first = np.unique(np.where(present, codes, -1), return_index=True)
    out = present.copy()
    out[first] = False
    return out


def _first_of_each(frame: pd.DataFrame) -> pd.DataFrame:
    """The table with only the first row of each id (repeats are reported as errors)."""
    return frame if has_repeats(frame["id"]) is False else frame.drop_duplicates("id")


def _rows_of(table: pd.DataFrame, ids: pd.Index) -> np.ndarray:
    """The row of each of ``ids`` in ``table`` (its first, if an id is repeated; -1: absent)."""
    first = _first_of_each(table)
    rows = positions_in(pd.Index(first["id"].astype(str), dtype="str"), ids)
    if first is not table:  # positions in the deduplicated table -> positions in the table
        rows = take(np.flatnonzero(~table["id"].duplicated().to_numpy()), rows, -1)
    return rows


def _str_list_column(frame: pd.DataFrame, col: str) -> None:
    """A list field as lists of stripped text (YAML may give numbers, a bare string or padding)."""
    cells = frame[col].tolist()
    if all(type(v) is list for v in cells) and all(type(x) is str and x == x.strip() for v in cells for x in v):
        return  # already clean (CSV and Parquet cells are split and stripped by the reader)
    frame[col] = pd.Series([[str(x).strip() for x in v] if isinstance(v, list) else ([] if _blank(v) else [str(v).strip()]) for v in cells],
                           index=frame.index, dtype=object)


def _text_column(col: pd.Series) -> pd.Series:
    """Free text stripped, blank cells missing, YAML dates as ISO text: ``col.map(_text)``, with
    Arrow text stripped in one pass and an empty column left as it is."""
    if isinstance(col.dtype, pd.StringDtype) or col.isna().all():
        return _strip_or_none(col)
    return col.map(_text)


def _distinct(values: pd.Series) -> tuple[np.ndarray, list]:
    """Codes into the distinct values of a column (-1: missing), so that a million-row column is
    parsed once per distinct value. Values of different Python types stay distinct (1 != "1")."""
    if isinstance(values.dtype, pd.CategoricalDtype):
        return values.cat.codes.to_numpy().astype(np.int64), list(values.cat.categories)
    arr = values.to_numpy(dtype=object)
    if pd.api.types.infer_dtype(arr, skipna=True) in ("string", "empty"):
        codes, uniques = pd.factorize(arr)
        return codes, list(uniques)
    keys = np.empty(len(arr), dtype=object)
    keys[:] = [None if _blank(v) else (type(v).__name__, v) for v in arr]
    codes, uniques = pd.factorize(keys)
    return codes, [u[1] for u in uniques]


def _encode(values: pd.Series, known: pd.Index) -> np.ndarray:
    """The position in ``known`` of every value (-1: missing or unknown): one hash pass over the
    column, the lookup over its distinct values only."""
    if isinstance(values.dtype, pd.CategoricalDtype):  # read from Parquet: codes are free
        codes, uniques = values.cat.codes.to_numpy().astype(np.int64), values.cat.categories
    else:
        codes, uniques = pd.factorize(values)
    if not len(uniques):
        return np.full(len(values), -1, dtype=np.int64)
    return take(positions_in(known, pd.Index(uniques)), codes, -1)


def _sorted_ids(table: pd.DataFrame) -> pd.Index:
    """A table's distinct ids in code-point order (the categories of the claims' columns)."""
    return pd.Index(table["id"].dropna().unique()).astype(str).sort_values()


def _parse_date_column(ck: _Checker, frame: pd.DataFrame, col: str, what: str) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Parse a date column (once per distinct value); return low, high ordinals and an uncertain flag."""
    n = len(frame)
    low = np.full(n, np.nan)
    high = np.full(n, np.nan)
    unc = np.zeros(n, dtype=bool)
    if not n or frame[col].isna().all():
        return low, high, unc
    codes, uniques = _distinct(frame[col])
    u_low = np.full(len(uniques), np.nan)
    u_high = np.full(len(uniques), np.nan)
    u_unc = np.zeros(len(uniques), dtype=bool)
    u_err: dict[int, str] = {}
    for k, v in enumerate(uniques):
        if _blank(v):
            continue
        try:
            res = parse_date(v)
        except ValueError_ as exc:
            u_err[k] = str(exc)
            continue
        u_low[k], u_high[k], u_unc[k] = res.low, res.high, res.uncertain
    ok = codes >= 0
    low[ok], high[ok], unc[ok] = u_low[codes[ok]], u_high[codes[ok]], u_unc[codes[ok]]
    if u_err:
        bad = np.flatnonzero(np.isin(codes, list(u_err)))
        for i in bad[:_MAX_ROW_ERRORS].tolist():
            ident = frame["id"].iat[i] if "id" in frame.columns else None
            msg = u_err[int(codes[i])]
            ck.error(frame, i, f"{what} {ident!r} {col}: {msg}" if not _blank(ident) else f"{what} {col}: {msg}", col)
    return low, high, unc


# ---------------------------------------------------------------------------- tables


def _sources(ck: _Checker, raw) -> pd.DataFrame:
    frame = _ensure(raw.tables["sources"], ["id", "kind", "date", "available", "derives_from", "author"])
    frame["id"] = _strip_or_none(frame["id"])
    _check_ids(ck, frame, "source", syntax=False)
    kind = _text_column(frame["kind"])
    frame["kind"] = kind.where(kind.notna(), "other")
    bad_kind = ~frame["kind"].isin(SOURCE_KINDS).to_numpy()
    ck.errors_where(frame, bad_kind, lambda pos: f"source {frame['id'].iat[pos]!r}: unknown kind {frame['kind'].iat[pos]!r}{did_you_mean(frame['kind'].iat[pos], SOURCE_KINDS)} (kinds: {', '.join(SOURCE_KINDS)})", "kind")
    _str_list_column(frame, "derives_from")
    lo, hi, unc = _parse_date_column(ck, frame, "date", "source")
    alo, ahi, _ = _parse_date_column(ck, frame, "available", "source")
    alo = np.where(np.isnan(alo), lo, alo)
    ahi = np.where(np.isnan(ahi), hi, ahi)
    frame["date"] = _text_column(frame["date"])
    frame["available"] = _text_column(frame["available"])
    frame["date_start"], frame["date_end"] = _ordinals_to_datetime(lo), _ordinals_to_datetime(hi)
    frame["date_uncertain"] = unc
    frame["available_start"], frame["available_end"] = _ordinals_to_datetime(alo), _ordinals_to_datetime(ahi)
    frame["author"] = _text_column(frame["author"])

    bib = raw.bibliography
    if raw.bib_files:
        names = "; ".join(str(p) for p in _bib_display(raw))
    else:
        names = f"{', '.join(raw.bib_named)} could not be read" if raw.bib_named else "no bibliography is named"
    keys = frame["id"].tolist()
    for pos, key in enumerate(keys):
        if not _blank(key) and key not in bib.records:
            ck.error(frame, pos, f"citekey {key!r} is not in the bibliography ({names}){did_you_mean(key, bib.records)}")
    none = (None,) * len(BIB_COLUMNS)
    rows = [none if r is None else _bib_row(r) for r in (None if _blank(k) else bib.records.get(k) for k in keys)]
    for col, values in zip(BIB_COLUMNS, zip(*rows) if rows else [()] * len(BIB_COLUMNS)):
        frame[col] = pd.Series(values, index=frame.index, dtype=object)
    return frame


def _bib_row(r) -> tuple:
    """A record's values for :data:`BIB_COLUMNS`, in that order."""
    f = r.fields
    return (r.entry_type, f.get("author"), f.get("editor"), f.get("title"), r.year, f.get("journaltitle") or f.get("journal"),
            f.get("publisher"), f.get("doi"), f.get("url"))


def _bib_display(raw) -> list[str]:
    return [display for display, _ in raw.bibliography.raw_libraries]


def _witnesses(ck: _Checker, raw) -> pd.DataFrame:
    frame = _ensure(raw.tables["witnesses"], ["id", "name", "aliases", "role", "side", "proximity", "hostile_to", "prior", "prior_strength"])
    frame["id"] = _strip_or_none(frame["id"])
    _check_ids(ck, frame, "witness")
    frame["name"] = _strip_or_none(frame["name"]).astype(object).fillna(frame["id"])
    _str_list_column(frame, "aliases")
    _str_list_column(frame, "hostile_to")
    for col in ("role", "side"):
        frame[col] = _text_column(frame[col])
    frame["proximity"] = _text_column(frame["proximity"])
    bad = frame["proximity"].notna().to_numpy() & ~frame["proximity"].isin(PROXIMITIES).to_numpy()
    ck.errors_where(frame, bad, lambda pos: f"witness {frame['id'].iat[pos]!r}: unknown proximity {frame['proximity'].iat[pos]!r}{did_you_mean(frame['proximity'].iat[pos], PROXIMITIES)} (closest first: {', '.join(PROXIMITIES)})", "proximity")
    for col, lo, hi in (("prior", 0.0, 1.0), ("prior_strength", 0.0, float("inf"))):
        codes, uniques = _distinct(frame[col])  # parsed once per distinct value
        parsed = np.full(len(uniques), np.nan)
        wrong = np.zeros(len(uniques), dtype=bool)
        for k, v in enumerate(uniques):
            if _blank(v):
                continue
            try:
                f = float(v)
            except (TypeError, ValueError):
                f = np.nan
            if lo < f < hi:
                parsed[k] = f
            else:
                wrong[k] = True
        bad = take(wrong, codes, False).astype(bool)
        ck.errors_where(frame, bad, lambda pos, col=col, lo=lo, hi=hi, codes=codes, uniques=uniques:
                        f"witness {frame['id'].iat[pos]!r}: {col} must be a number between {lo:g} and {hi:g} (exclusive), got {uniques[codes[pos]]!r}")
        frame[col] = take(parsed, codes, np.nan).astype("float64")
    # the same spelling for two witnesses makes lookups ambiguous
    seen: dict[str, str] = {}
    for pos, (wid, name, aliases) in enumerate(zip(frame["id"].tolist(), frame["name"].tolist(), frame["aliases"].tolist())):
        for n in {fold_text(x) for x in [wid, name, *aliases] if x}:
            other = seen.get(n)
            if other is not None and other != wid:
                ck.warn(frame, pos, f"witness {wid!r}: the name {n!r} also belongs to {other!r}; lookups by it find {other!r}")
            seen.setdefault(n, wid)
    return frame


def _propositions(ck: _Checker, raw) -> pd.DataFrame:
    frame = _ensure(raw.tables["propositions"], ["id", "text", "type", "date"])
    frame["id"] = _strip_or_none(frame["id"])
    _check_ids(ck, frame, "proposition")
    frame["text"] = _strip_or_none(frame["text"]).astype(object).fillna(frame["id"])
    frame["type"] = _strip_or_none(frame["type"]).astype(object).fillna("boolean")
    types = value_types()
    bad = ~frame["type"].isin(types).to_numpy()
    ck.errors_where(frame, bad, lambda pos: f"proposition {frame['id'].iat[pos]!r}: unknown type {frame['type'].iat[pos]!r} (types: {', '.join(types)}){did_you_mean(frame['type'].iat[pos], types)}", "type")
    frame["unit"] = _strip_or_none(frame["unit"]) if "unit" in frame else pd.Series(None, index=frame.index, dtype=object)
    has_unit = frame["unit"].notna().to_numpy()
    for pos in np.flatnonzero(has_unit)[:_MAX_ROW_ERRORS]:
        if frame["type"].iat[pos] != "number":
            ck.error(frame, pos, f"proposition {frame['id'].iat[pos]!r}: a unit is for number propositions, not {frame['type'].iat[pos]}", "unit")
            continue
        try:
            frame.iat[pos, frame.columns.get_loc("unit")] = check_unit(frame["unit"].iat[pos])
        except ValueError_ as exc:
            ck.error(frame, pos, f"proposition {frame['id'].iat[pos]!r}: {exc}", "unit")
    lo, hi, _ = _parse_date_column(ck, frame, "date", "proposition")
    frame["date"] = _text_column(frame["date"])
    frame["date_start"], frame["date_end"] = _ordinals_to_datetime(lo), _ordinals_to_datetime(hi)
    return frame


def _parse_mapping(value: Any) -> dict | None:
    """``rests_on`` inline (a mapping) or in a CSV cell (``a: true; b: 1950``)."""
    if isinstance(value, dict):
        return value
    if _blank(value):
        return {}
    if isinstance(value, str):
        out = {}
        for part in value.split(";"):
            if not part.strip():
                continue
            sep = ":" if ":" in part else "="
            if sep not in part:
                return None
            k, _, v = part.partition(sep)
            v = v.strip()
            out[k.strip()] = {"true": True, "false": False}.get(v.lower(), v)
        return out
    return None


def _conclusions(ck: _Checker, raw, sources: pd.DataFrame, witnesses: pd.DataFrame, props: pd.DataFrame) -> tuple[pd.DataFrame, pd.DataFrame]:
    frame = _ensure(raw.tables["conclusions"], ["id", "text", "held_by", "rests_on"])
    frame["id"] = _strip_or_none(frame["id"])
    _check_ids(ck, frame, "conclusion")
    frame["text"] = _strip_or_none(frame["text"]).astype(object).fillna(frame["id"])
    _str_list_column(frame, "held_by")
    known_holders = set(sources["id"].dropna().tolist()) | set(witnesses["id"].dropna().tolist())
    ptype = dict(zip(props["id"].tolist(), props["type"].tolist()))
    punit = {p: u for p, u in zip(props["id"].tolist(), props["unit"].tolist()) if isinstance(u, str)}
    rows = []
    ids, holders, rests_on = frame["id"].tolist(), frame["held_by"].tolist(), frame["rests_on"].tolist()
    parsed: list[dict | None] = [None] * len(frame)
    for pos in range(len(frame)):
        cid = ids[pos]
        for holder in holders[pos]:
            if holder not in known_holders:
                ck.error(frame, pos, f"conclusion {cid!r}: held_by names unknown source or witness {holder!r}{did_you_mean(holder, known_holders)}", "held_by")
        mapping = parsed[pos] = _parse_mapping(rests_on[pos])
        if mapping is None:
            ck.error(frame, pos, f"conclusion {cid!r}: rests_on must map propositions to the value the conclusion needs")
            continue
        if not mapping:
            ck.error(frame, pos, f"conclusion {cid!r}: rests_on is empty (name the propositions it rests on)")
        for prop, required in mapping.items():
            prop = str(prop)
            if prop not in ptype:
                ck.error(frame, pos, f"conclusion {cid!r}: rests_on names unknown proposition {prop!r}{did_you_mean(prop, ptype)}", "rests_on")
                continue
            try:
                v = parse_value(required, ptype[prop], punit.get(prop))
            except ValueError_ as exc:
                ck.error(frame, pos, f"conclusion {cid!r}: rests_on {prop!r} ({ptype[prop]}): {exc}", "rests_on")
                continue
            rows.append({"conclusion": cid, "proposition": prop, "type": ptype[prop], "required": v.written if v.type != "boolean" else v.written,
                         "required_low": v.low, "required_high": v.high, "required_fold": v.fold})
    frame["rests_on"] = pd.Series([{str(k): _text(v) if not isinstance(v, bool) else v for k, v in (m or {}).items()} for m in parsed],
                                  index=frame.index, dtype=object)
    rests = pd.DataFrame(rows, columns=["conclusion", "proposition", "type", "required", "required_low", "required_high", "required_fold"])
    return frame, rests


def _reference_column(ck: _Checker, frame: pd.DataFrame, col: str, known: pd.Index, missing_text: str) -> np.ndarray:
    """Check a claim column that must name a known id; return each row's position in ``known``
    (-1 where the id is missing or unknown, each of which is reported)."""
    values = frame[col]
    codes = _encode(values, known)
    missing = values.isna().to_numpy()
    ck.errors_where(frame, missing, lambda pos: f"claim {frame['id'].iat[pos]!r} {missing_text}")
    unknown = ~missing & (codes < 0)
    ck.errors_where(frame, unknown, lambda pos: f"claim {frame['id'].iat[pos]!r}: unknown {col} {values.iat[pos]!r}{did_you_mean(values.iat[pos], known)}", col)
    return codes


def _strip_or_none(col: pd.Series) -> pd.Series:
    """Text cells stripped and blank cells missing. String columns (CSV, Parquet) stay in their
    Arrow-backed dtype and are stripped in one vectorised pass; other columns (YAML's own types:
    numbers, dates) go cell by cell."""
    if col.isna().all():
        return col if col.dtype == object else pd.Series(None, index=col.index, dtype=object)
    if isinstance(col.dtype, pd.CategoricalDtype):
        # strip the distinct values once; stripping may merge two of them
        stripped = _strip_or_none(pd.Series(col.cat.categories))
        if stripped.notna().all() and stripped.equals(pd.Series(col.cat.categories)):
            return col  # already clean
        new_of_old, uniques = pd.factorize(stripped)
        codes = col.cat.codes.to_numpy()
        codes = take(new_of_old, codes, -1)
        return pd.Series(pd.Categorical.from_codes(codes, categories=pd.Index(uniques, dtype="str")), index=col.index)
    if isinstance(col.dtype, pd.StringDtype):
        stripped = col.str.strip()
        return stripped.where(stripped != "")
    return pd.Series([_text(v) for v in col.to_numpy(dtype=object)], index=col.index, dtype="str")


def _claims(ck: _Checker, raw, sources: pd.DataFrame, witnesses: pd.DataFrame, props: pd.DataFrame) -> tuple[pd.DataFrame, dict, set]:
    """Validate the claims; return them with, for witness, source and proposition, each row's
    position in the sorted ids of its table (the codes of the categorical columns), and the ids
    their via chains name."""
    frame = _ensure(raw.tables["claims"], ["id", "witness", "source", "locator", "proposition", "stance", "value", "date", "via", "quote", "note",
                                           "against_interest", "self_serving", "basis"])
    frame = frame.reset_index(drop=True)
    n = len(frame)
    frame["id"] = _strip_or_none(frame["id"])
    _check_ids(ck, frame, "claim")
    src_ids, wit_ids, prop_ids = (_sorted_ids(t) for t in (sources, witnesses, props))
    aliases: dict[str, str] = {}
    for wid, name, al in zip(witnesses["id"].tolist(), witnesses["name"].tolist(), witnesses["aliases"].tolist()):
        for x in [name, *al]:
            aliases.setdefault(fold_text(x), wid)

    # source
    for col in ("witness", "source", "proposition"):
        frame[col] = _strip_or_none(frame[col])
    src = frame["source"]
    src_code = _reference_column(ck, frame, "source", src_ids, "has no source")

    # witness, defaulting to the source's author
    src_rows = _rows_of(sources, src_ids)
    author = take(sources["author"].to_numpy(dtype=object), src_rows, None)
    wit = frame["witness"]
    no_wit = wit.isna().to_numpy()
    if no_wit.any():
        fill = take(author, src_code, None)
        wit = pd.Series(np.where(no_wit, fill, wit.to_numpy(dtype=object)), index=frame.index, dtype=object)
        frame["witness"] = wit
    still = wit.isna().to_numpy() & (src_code >= 0)
    ck.errors_where(frame, still, lambda pos: f"claim {frame['id'].iat[pos]!r} names no witness and its source {src.iat[pos]!r} has no author")
    wit_code = _encode(wit, wit_ids)
    unknown_w = wit.notna().to_numpy() & (wit_code < 0)
    ck.errors_where(frame, unknown_w, lambda pos: f"claim {frame['id'].iat[pos]!r}: unknown witness {wit.iat[pos]!r}{did_you_mean(wit.iat[pos], wit_ids, aliases)}", "witness")

    # proposition
    prop = frame["proposition"]
    prop_code = _reference_column(ck, frame, "proposition", prop_ids, "names no proposition")
    # each claim's proposition type, as a code into PROPOSITION_TYPES (-1: unknown proposition)
    prop_rows = _rows_of(props, prop_ids)
    type_of = take(props["type"].to_numpy(dtype=object), prop_rows, None)
    types = value_types()
    type_code_of = pd.Index(types).get_indexer(type_of) if len(type_of) else np.zeros(0, dtype=np.int64)
    type_code = take(type_code_of, prop_code, -1)
    ptype = pd.Series(pd.Categorical.from_codes(type_code, categories=list(types)), index=frame.index)
    frame["type"] = ptype

    # stance / value
    stance = _strip_or_none(frame["stance"])
    frame["stance"] = stance
    value_codes, value_uniques = _distinct(frame["value"])
    blank_value = np.array([_blank(v) for v in value_uniques], dtype=bool)
    has_value = (value_codes >= 0) & ~(blank_value[value_codes] if len(blank_value) else False)
    has_stance = stance.notna().to_numpy()
    is_bool = type_code == types.index("boolean")
    known_type = type_code >= 0
    both = has_stance & has_value
    ck.errors_where(frame, both, lambda pos: f"claim {frame['id'].iat[pos]!r} has both a stance and a value (a claim has one or the other)")
    stance_on_value = has_stance & ~has_value & known_type & ~is_bool
    ck.errors_where(frame, stance_on_value, lambda pos: f"claim {frame['id'].iat[pos]!r}: a stance on {ptype.iat[pos]} proposition {prop.iat[pos]!r} (give a value instead)", "stance")
    value_on_bool = has_value & ~has_stance & is_bool
    ck.errors_where(frame, value_on_bool, lambda pos: f"claim {frame['id'].iat[pos]!r}: a value on boolean proposition {prop.iat[pos]!r} (give a stance: affirms, denies or uncertain)", "value")
    no_stance = ~has_stance & ~has_value & known_type & is_bool
    ck.errors_where(frame, no_stance, lambda pos: f"claim {frame['id'].iat[pos]!r} on boolean proposition {prop.iat[pos]!r} has no stance (affirms, denies or uncertain)", "stance")
    no_value = ~has_stance & ~has_value & known_type & ~is_bool
    ck.errors_where(frame, no_value, lambda pos: f"claim {frame['id'].iat[pos]!r} on {ptype.iat[pos]} proposition {prop.iat[pos]!r} has no value")
    bad_stance = has_stance & ~stance.isin(STANCES).to_numpy()
    ck.errors_where(frame, bad_stance, lambda pos: f"claim {frame['id'].iat[pos]!r}: unknown stance {stance.iat[pos]!r}{did_you_mean(stance.iat[pos], STANCES)} (affirms, denies or uncertain)", "stance")

    low = np.full(n, np.nan)
    high = np.full(n, np.nan)
    fold = np.full(n, None, dtype=object)
    written = np.full(n, None, dtype=object)
    valued = has_value & ~has_stance & known_type & ~is_bool
    if valued.any():
        # parse each distinct (type, value) pair once
        pos_all = np.flatnonzero(valued)
        # a number proposition's unit is part of what a value means: parse each distinct
        # (unit, type, value) once
        unit_of = take(props["unit"].to_numpy(dtype=object), prop_rows, None)
        unit_codes, unit_names = pd.factorize(pd.Series(unit_of, dtype=object))
        u_code = take(unit_codes.astype(np.int64) + 1, prop_code, 0)[pos_all]  # 0: no unit
        width = (len(value_uniques) + 1) * len(types)
        pair_codes, pairs = pd.factorize(u_code * width + type_code[pos_all].astype(np.int64) * (len(value_uniques) + 1) + value_codes[pos_all])
        parsed = []
        for pair in pairs.tolist():
            ucode, rest = divmod(pair, width)
            t, vcode = types[rest // (len(value_uniques) + 1)], rest % (len(value_uniques) + 1)
            try:
                parsed.append(parse_value(value_uniques[vcode], t, unit_names[ucode - 1] if ucode else None))
            except ValueError_ as exc:
                parsed.append(exc)
        failed = np.array([isinstance(r, Exception) for r in parsed], dtype=bool)
        ok = ~failed[pair_codes]
        good = [r if not isinstance(r, Exception) else None for r in parsed]
        u_low = np.array([r.low if r else np.nan for r in good], dtype=float)
        u_high = np.array([r.high if r else np.nan for r in good], dtype=float)
        u_fold = np.array([r.fold if r else None for r in good], dtype=object)
        u_written = np.array([r.written if r else None for r in good], dtype=object)
        at, pc_ok = pos_all[ok], pair_codes[ok]
        low[at], high[at], fold[at], written[at] = u_low[pc_ok], u_high[pc_ok], u_fold[pc_ok], u_written[pc_ok]
        for pos, code in list(zip(pos_all[~ok].tolist(), pair_codes[~ok].tolist()))[:_MAX_ROW_ERRORS]:
            ck.error(frame, pos, f"claim {frame['id'].iat[pos]!r}: value for {ptype.iat[pos]} proposition {prop.iat[pos]!r}: {parsed[code]}", "value")
    frame["value"] = pd.Series(written, index=frame.index, dtype=object, copy=False)
    frame["value_low"], frame["value_high"] = low, high
    frame["value_fold"] = pd.Series(fold, index=frame.index, dtype=object, copy=False)
    if valued.any():
        _lookalike_values(ck, frame, prop_code, np.flatnonzero(valued & (type_code == types.index("text")) & ~np.equal(fold, None)))
        _one_dot_group(ck, frame, valued & (type_code == types.index("number")) & ~np.isnan(low))

    # claim date, defaulting to the source's date
    dlo, dhi, _ = _parse_date_column(ck, frame, "date", "claim")
    frame["date"] = _strip_or_none(frame["date"])
    start, end = _ordinals_to_datetime(dlo), _ordinals_to_datetime(dhi)
    miss = np.isnan(dlo) & (src_code >= 0)
    if miss.any():
        nat = np.datetime64("NaT")
        s_lo = take(sources["date_start"].to_numpy(dtype="datetime64[s]"), src_rows, nat)
        s_hi = take(sources["date_end"].to_numpy(dtype="datetime64[s]"), src_rows, nat)
        start[miss], end[miss] = s_lo[src_code[miss]], s_hi[src_code[miss]]
    frame["date_start"], frame["date_end"] = start, end
    _date_order(ck, frame, sources, props, take(np.asarray(src_rows, dtype=np.int64), src_code, -1), prop_rows, prop_code, ~np.isnan(dlo))

    # via chains: witness ids or citekeys, as Arrow lists (no Python list per claim)
    via = id_lists(frame["via"])
    frame["via"] = list_column(via, index=frame.index)
    hops = pc.list_flatten(via)
    hop_ids = set(pc.unique(hops).to_pylist())
    known = set(wit_ids.tolist()) | set(src_ids.tolist()) if hop_ids else set()
    if hop_ids - known:
        is_bad = pc.is_in(hops, value_set=pa.array(sorted(hop_ids - known), type=hops.type))
        rows, named = pc.list_parent_indices(via).filter(is_bad).to_pylist(), hops.filter(is_bad).to_pylist()
        for pos, hop in list(zip(rows, named))[:_MAX_ROW_ERRORS]:
            ck.error(frame, pos, f"claim {frame['id'].iat[pos]!r}: via names unknown witness or source {hop!r}{did_you_mean(hop, known, aliases)}", "via")
        if len(rows) > _MAX_ROW_ERRORS:
            ck.error(frame, rows[_MAX_ROW_ERRORS], f"... and {len(rows) - _MAX_ROW_ERRORS} more unknown via names")
    for col in ("locator", "quote", "note"):
        frame[col] = _strip_or_none(frame[col])
    _criteria(ck, frame)
    # each column's codes, the sorted ids they stand for, and those ids' rows in their table
    codes = {"witness": (wit_code, wit_ids, _rows_of(witnesses, wit_ids)), "source": (src_code, src_ids, src_rows),
             "proposition": (prop_code, prop_ids, prop_rows)}
    return frame, codes, hop_ids


_TRUTH_WORDS = {"true": True, "yes": True, "1": True, "1.0": True, "false": False, "no": False, "0": False, "0.0": False}  # 1/0: a spreadsheet's booleans


def _criteria(ck: _Checker, frame: pd.DataFrame) -> None:
    """The source-critical fields of format 1.1: ``against_interest`` and ``self_serving``
    (true/false, default false; not both) and ``basis`` (quoted/paraphrased/inferred; default
    quoted where a quote is given, else paraphrased)."""
    for field in ("against_interest", "self_serving"):
        codes, uniques = _distinct(frame[field])
        words = [None if _blank(v) else _TRUTH_WORDS.get(str(v).strip().lower(), "bad") if not isinstance(v, bool) else v for v in uniques]
        bad = np.array([w == "bad" for w in words], dtype=bool)
        if len(bad) and bad.any():
            ck.errors_where(frame, (codes >= 0) & bad[codes],
                            lambda pos, field=field: f"claim {frame['id'].iat[pos]!r}: {field} must be true or false, not {frame[field].iat[pos]!r}", field)
        truth = np.array([w is True for w in words] + [False], dtype=bool)
        frame[field] = truth[codes]
    both = frame["against_interest"].to_numpy() & frame["self_serving"].to_numpy()
    ck.errors_where(frame, both, lambda pos: f"claim {frame['id'].iat[pos]!r}: against_interest and self_serving are both true; a claim "
                    "serves its witness's interest or goes against it, not both", "self_serving")
    basis = _strip_or_none(frame["basis"])
    folded = basis.str.lower() if len(basis) and basis.notna().any() else basis
    unknown = folded.notna().to_numpy() & ~folded.isin(BASES).to_numpy()
    ck.errors_where(frame, unknown, lambda pos: f"claim {frame['id'].iat[pos]!r}: basis {basis.iat[pos]!r} is not one of {', '.join(BASES)}{did_you_mean(basis.iat[pos], BASES)}", "basis")
    default = np.where(frame["quote"].notna().to_numpy(), "quoted", "paraphrased")
    values = np.where(folded.notna().to_numpy() & ~unknown, folded.to_numpy(dtype=object), default)
    frame["basis"] = pd.Categorical(values, categories=list(BASES))


def _derivation_checks(ck: _Checker, sources: pd.DataFrame, witnesses: pd.DataFrame) -> None:
    source_ids = sources["id"].tolist()
    pos_of = {sid: pos for pos, sid in enumerate(source_ids) if not _blank(sid)}
    ids = set(pos_of)
    graph = nx.DiGraph()  # only sources that derive from another can be on a cycle
    wit_ids = set(witnesses["id"].dropna().tolist())
    for pos, (sid, parents, author) in enumerate(zip(source_ids, sources["derives_from"].tolist(), sources["author"].tolist())):
        if not _blank(author) and author not in wit_ids:
            ck.error(sources, pos, f"source {sid!r}: author {author!r} is not a witness id{did_you_mean(author, wit_ids)}", "author")
        for parent in parents:
            if parent not in ids:
                ck.error(sources, pos, f"source {sid!r}: derives_from names unknown source {parent!r}{did_you_mean(parent, ids)}", "derives_from")
                continue
            graph.add_edge(sid, parent)
            child_end, parent_start = sources["date_end"].iat[pos], sources["date_start"].iat[pos_of[parent]]
            if pd.notna(child_end) and pd.notna(parent_start) and parent_start > child_end:
                ck.warn(sources, pos, f"source {sid!r} derives from {parent!r}, which is dated after it")
    for component in sorted(nx.strongly_connected_components(graph), key=lambda c: sorted(c)):
        if len(component) == 1 and not graph.has_edge(next(iter(component)), next(iter(component))):
            continue
        start = min(component)
        cycle = nx.find_cycle(graph.subgraph(component), source=start)
        path = [edge[0] for edge in cycle] + [cycle[-1][1]]
        ck.error(sources, pos_of[start], "cycle in derives_from: " + " -> ".join(path), "derives_from")


def _date_order(ck: _Checker, claims: pd.DataFrame, sources: pd.DataFrame, props: pd.DataFrame, src_row: np.ndarray,
                prop_rows: np.ndarray, prop_code: np.ndarray, dated: np.ndarray) -> None:
    """Warn where dates cannot be in that order: a source available before it was made, a claim
    dated after the source that holds it, a claim made before the events it speaks of (date
    intervals that do not overlap at all; a year overlaps each of its days)."""
    nat = np.datetime64("NaT")
    s_start = sources["date_start"].to_numpy(dtype="datetime64[s]")
    s_end = sources["date_end"].to_numpy(dtype="datetime64[s]")
    early = sources["available_end"].to_numpy(dtype="datetime64[s]") < s_start  # NaT compares False
    _warn_rows(ck, sources, early, lambda pos: f"source {sources['id'].iat[pos]!r}: available {sources['available'].iat[pos]} is before "
               f"its date {sources['date'].iat[pos]}: a source cannot be read before it was made (the two the other way round?)",
               "sources available before their dates")
    c_start = claims["date_start"].to_numpy(dtype="datetime64[s]")
    c_end = claims["date_end"].to_numpy(dtype="datetime64[s]")
    src_row = np.asarray(src_row, dtype=np.int64)
    has_source = (src_row >= 0) & (src_row < len(s_end))
    holder_end = np.where(has_source, s_end[np.where(has_source, src_row, 0)] if len(s_end) else nat, nat).astype("datetime64[s]")
    later = dated & (c_start > holder_end)
    _warn_rows(ck, claims, later, lambda pos: f"claim {claims['id'].iat[pos]!r} is dated {claims['date'].iat[pos]}, after its source "
               f"{claims['source'].iat[pos]!r} ({sources['date'].iat[int(src_row[pos])]}), which can hold only what was said by then "
               "(for a later edition, cite that edition)", "claims dated after their sources")
    prop_row = take(np.asarray(prop_rows, dtype=np.int64), prop_code, -1)
    p_start = props["date_start"].to_numpy(dtype="datetime64[s]")
    has_prop = (prop_row >= 0) & (prop_row < len(p_start))
    event_start = np.where(has_prop, p_start[np.where(has_prop, prop_row, 0)] if len(p_start) else nat, nat).astype("datetime64[s]")
    before = c_end < event_start
    _warn_rows(ck, claims, before, lambda pos: f"claim {claims['id'].iat[pos]!r} is dated {claims['date'].iat[pos] or 'by its source'} "
               f"({str(c_end[pos])[:10]} at the latest), before the events of proposition {claims['proposition'].iat[pos]!r} "
               f"({props['date'].iat[int(prop_row[pos])]}): testimony cannot precede what it tells of", "claims dated before their events")


def _warn_rows(ck: _Checker, frame: pd.DataFrame, where: np.ndarray, message, what: str) -> None:
    rows = np.flatnonzero(where)
    for pos in rows[:_MAX_ROW_WARNINGS].tolist():
        ck.warn(frame, pos, message(pos))
    if len(rows) > _MAX_ROW_WARNINGS:
        ck.warn(frame, int(rows[_MAX_ROW_WARNINGS]), f"{len(rows) - _MAX_ROW_WARNINGS} more {what}")


def _reference_checks(ck: _Checker, witnesses: pd.DataFrame) -> None:
    ids = set(witnesses["id"].dropna().tolist())
    for pos, (wid, hostile) in enumerate(zip(witnesses["id"].tolist(), witnesses["hostile_to"].tolist())):
        for other in hostile:
            if other not in ids:
                ck.error(witnesses, pos, f"witness {wid!r}: hostile_to names unknown witness {other!r}{did_you_mean(other, ids)}", "hostile_to")
            elif other == wid:
                ck.error(witnesses, pos, f"witness {wid!r} is listed as hostile to himself")


#: warnings of one kind about rows (look-alike values, dates out of order), at most: then one
#: line says how many more
_MAX_ROW_WARNINGS = 20


def _lookalike_values(ck: _Checker, frame: pd.DataFrame, prop_code: np.ndarray, rows: np.ndarray) -> None:
    """Warn where two claims give one text proposition values that differ only in punctuation,
    "and" or word order ("Texas, New Mexico and Arizona" and "Texas, New Mexico, Arizona", one
    :func:`spelling_key`): the format compares text after folding case, accents and spaces only,
    so they are two values, each lending the other half its weight -- a hand-typed variant
    splits the evidence for one value."""
    if len(rows) < 2:
        return
    table = pd.DataFrame({"prop": prop_code[rows], "fold": frame["value_fold"].to_numpy(dtype=object)[rows], "pos": rows})
    table = table.drop_duplicates(["prop", "fold"])  # the first claim of each spelling
    table = table[table.groupby("prop", sort=False)["fold"].transform("size").to_numpy() > 1]  # one value: nothing to compare
    table["loose"] = [spelling_key(f) for f in table["fold"].tolist()]
    table = table[table["loose"] != ""]
    spellings = table.groupby(["prop", "loose"], sort=False)["fold"].transform("size")
    table = table[spellings.to_numpy() > 1]
    if not len(table):
        return
    first = table.groupby(["prop", "loose"], sort=False)["pos"].transform("first").to_numpy()
    later = table["pos"].to_numpy() != first
    other = dict(zip(table["pos"].to_numpy()[later].tolist(), first[later].tolist()))  # each later spelling's first
    where = np.zeros(len(frame), dtype=bool)
    where[list(other)] = True
    ids, values, props = frame["id"], frame["value"], frame["proposition"]
    _warn_rows(ck, frame, where, lambda pos: (
        f"claim {ids.iat[pos]!r}: text value {values.iat[pos]!r} of proposition {props.iat[pos]!r} differs from "
        f"{values.iat[other[pos]]!r} (claim {ids.iat[other[pos]]!r}, line {ck.line(frame, other[pos])}) only in punctuation, \"and\" "
        "or word order: they stay two values, each lending the other half its weight (text is compared after folding case, "
        "accents and spaces); write them alike if they mean the same"),
        "text values differ from another value of their proposition only in punctuation, \"and\" or word order")


#: a number whose only separator is one dot before three digits ("30.000"): a decimal point to
#: English eyes, thirty thousand to German, Spanish or Italian ones
_ONE_DOT_GROUP = re.compile(r"^\s*[-+]?\d{1,3}\.\d{3}(?![\d.,])")


def _one_dot_group(ck: _Checker, frame: pd.DataFrame, where: np.ndarray) -> None:
    """Warn where a number is written ``30.000``: it is read as 30 (see
    :func:`srccrit.dates._ungrouped`); a German or Spanish author means thirty thousand."""
    if not where.any():
        return
    values = frame["value"].to_numpy(dtype=object)
    rows = np.flatnonzero(where)
    uniques, inverse = np.unique(values[rows].astype(str), return_inverse=True)
    hit = np.fromiter((bool(_ONE_DOT_GROUP.match(v)) for v in uniques.tolist()), dtype=bool, count=len(uniques))
    if not hit.any():
        return
    flagged = np.zeros(len(frame), dtype=bool)
    flagged[rows[hit[inverse]]] = True
    ids, low = frame["id"], frame["value_low"].to_numpy(dtype=float)
    _warn_rows(ck, frame, flagged, lambda pos: (
        f"claim {ids.iat[pos]!r}: number {values[pos]!r} is read as {low[pos]:g} (one dot before three digits is a decimal "
        f"point); write {int(round(low[pos] * 1000))} or {int(round(low[pos] * 1000)):,} if you meant {low[pos] * 1000:,.0f}"),
        "numbers written with one dot before three digits are read with a decimal point")


def _usage_warnings(ck: _Checker, sources, witnesses, props, codes: dict, hop_ids: set) -> None:
    for table, col, what in ((witnesses, "witness", "witness {!r} has no claims"),
                             (props, "proposition", "proposition {!r}: no claim is about it"),
                             (sources, "source", "source {!r}: no claim cites it")):
        code, sorted_ids, _ = codes[col]
        used = np.bincount(code[code >= 0], minlength=len(sorted_ids)) > 0
        if col != "proposition" and hop_ids:
            used |= np.fromiter((i in hop_ids for i in sorted_ids.tolist()), dtype=bool, count=len(sorted_ids))
        ids = table["id"]
        where = positions_in(sorted_ids, pd.Index(ids.astype(str)))
        unused = ids.notna().to_numpy() & ~take(used, where, True)
        for pos in np.flatnonzero(unused).tolist():
            ck.warn(table, pos, what.format(ids.iat[pos]))


def _index(frame: pd.DataFrame) -> pd.DataFrame:
    frame = frame.drop(columns=["_fieldlines"], errors="ignore")
    frame = _first_of_each(frame[frame["id"].notna()]).set_index("id")
    # ids as Python strings: pandas keeps the hash table of such an index (lookups by id, the
    # analyses' most frequent operation, cost 0.7 ms on 100,000 propositions), and builds it
    # again at every lookup on an Arrow one (13 ms)
    frame.index = pd.Index(frame.index.to_numpy(dtype=object), dtype=object, name="id")
    return frame


def _field_checks(ck: _Checker, raw) -> None:
    """Fields the format does not know are warned about (with the likely intended one); a list or
    mapping where one value belongs is an error, and the cell is dropped before it is parsed."""
    data = raw.doc.data
    for key in data:
        if key not in CASE_FIELDS and not str(key).startswith(("x-", "_")):  # x-defaults: the user's own, for YAML anchors
            ck.warnings.append(Problem(raw.display, raw.doc.line(key), f"unknown top-level field {str(key)!r}{did_you_mean(key, CASE_FIELDS)}",
                                       "warning"))
    for name, known in FIELDS.items():
        frame = raw.tables.get(name)
        if frame is None or not len(frame.columns):
            continue
        for col in frame.columns:
            if str(col).startswith("_") or col in known:
                continue
            cells = frame[col]
            filled = np.flatnonzero(cells.notna().to_numpy(dtype=bool))
            first = int(filled[0]) if len(filled) else 0
            if str(col).isdigit() and not len(filled):
                # `{value: 10,000}`: YAML reads 10 and a stray key "000"
                where = [i for i, fl in enumerate(frame.get("_fieldlines", pd.Series(dtype=object))) if isinstance(fl, dict) and col in fl]
                pos = where[0] if where else 0
                ck.error(frame, pos, f"stray field {str(col)!r}: a number with a thousands separator inside {{...}} "
                         "must be quoted (value: \"10,000\")", col)
                continue
            if " " in str(col).strip() and not len(filled):
                # `{text: Kozelsk, Starobelsk and Ostashkov}`: YAML ends the text at the comma and
                # reads the rest as a key with no value -- the text would be cut without a word
                where = [i for i, fl in enumerate(frame.get("_fieldlines", pd.Series(dtype=object))) if isinstance(fl, dict) and col in fl]
                if where:
                    ck.error(frame, where[0], f"stray field {str(col)!r}: a comma inside {{...}} ends an unquoted text; "
                             "quote the whole text (text: \"..., ...\")", col)
                    continue
            if len(frame):
                ck.warnings.append(Problem(str(frame["_file"].iat[first]), ck.field_line(frame, first, col),
                                           f"{name}: unknown field {str(col)!r}{did_you_mean(col, known)} (kept, not used)", "warning"))
        for col in [c for c in known if c not in LIST_FIELDS and c != "rests_on"]:
            if col not in frame.columns or frame[col].dtype != object:
                continue
            nested = np.fromiter((isinstance(v, (list, dict)) for v in frame[col].to_numpy(dtype=object)), dtype=bool, count=len(frame))
            if nested.any():
                ck.errors_where(frame, nested, lambda pos, col=col, frame=frame:
                                f"{name}: {col} must be a single value, not a {'list' if isinstance(frame[col].iat[pos], list) else 'mapping'}"
                                " (quote it if the brackets are part of the text)", col)
                values = frame[col].to_numpy(dtype=object).copy()
                values[nested] = None
                frame[col] = pd.Series(values, index=frame.index, dtype=object)
        for col in [c for c in known if c in LIST_FIELDS and c in frame.columns]:
            if frame[col].dtype != object:
                continue
            nested = np.fromiter((isinstance(v, list) and any(isinstance(x, (list, dict)) for x in v) for v in frame[col].to_numpy(dtype=object)),
                                 dtype=bool, count=len(frame))
            if nested.any():
                ck.errors_where(frame, nested, lambda pos, col=col: f"{name}: {col} must be a list of ids, not of lists or mappings", col)
                values = frame[col].to_numpy(dtype=object).copy()
                for i in np.flatnonzero(nested):
                    values[i] = []
                frame[col] = pd.Series(values, index=frame.index, dtype=object)


def build_case(raw) -> Case:
    """Validate a :class:`~srccrit.io.case_file.RawCase`; return a Case or raise CaseError."""
    ck = _Checker(raw)
    data = raw.doc.data
    _field_checks(ck, raw)
    case_id = data.get("case")
    if _blank(case_id):
        ck.problems.append(Problem(raw.display, 1, "the case has no id (add 'case: <id>' at the top)"))
        case_id = raw.path.parent.name
    elif not valid_id(str(case_id)):
        ck.problems.append(Problem(raw.display, raw.doc.line("case"), f"invalid case id {case_id!r}: {_ID_MESSAGE}"))
    title = _text(data.get("title")) or str(case_id)

    sources = _sources(ck, raw)
    witnesses = _witnesses(ck, raw)
    props = _propositions(ck, raw)
    conclusions, rests = _conclusions(ck, raw, sources, witnesses, props)
    claims, codes, hop_ids = _claims(ck, raw, sources, witnesses, props)
    _derivation_checks(ck, sources, witnesses)
    _reference_checks(ck, witnesses)
    errors = [p for p in ck.problems if p.level == "error"]
    if errors:
        raise CaseError(errors)
    _usage_warnings(ck, sources, witnesses, props, codes, hop_ids)

    claim_cols = ["id", "witness", "source", "locator", "proposition", "type", "stance", "value", "value_low", "value_high", "value_fold",
                  "date", "date_start", "date_end", "via", "quote", "note", "against_interest", "self_serving", "basis", "_file", "_line"]
    extra = [c for c in claims.columns if c not in claim_cols and c != "_fieldlines"]
    claims = claims[claim_cols + extra].reset_index(drop=True)
    claims["stance"] = pd.Categorical(claims["stance"], categories=list(STANCES))
    # witness, source and proposition as categoricals over their tables' sorted ids: every
    # analysis groups and joins on their integer codes instead of hashing strings again
    for col, (code, ids, _) in codes.items():
        claims[col] = pd.Categorical.from_codes(code, dtype=pd.CategoricalDtype(ids.rename(None)))
    tables = {"sources": _index(sources), "witnesses": _index(witnesses), "propositions": _index(props)}
    # the rows of those ids in their tables, found while checking the claims: the case's lookup
    # cache starts with them (every analysis asks for them first)
    rows = {}
    for col, name in (("witness", "witnesses"), ("source", "sources"), ("proposition", "propositions")):
        found, categories = codes[col][2], claims[col].cat.categories
        if len(tables[name]) == len(found) == len(categories) and (found >= 0).all():
            rows[(name, id(categories))] = (categories, found)
    return Case(
        id=str(case_id),
        title=title,
        path=raw.path,
        sources=tables["sources"],
        witnesses=tables["witnesses"],
        propositions=tables["propositions"],
        conclusions=_index(conclusions),
        rests_on=rests,
        claims=claims,
        bibliography=raw.bibliography,
        warnings=sorted(ck.warnings),
        files=[Path(f) for f in [*raw.table_files, *raw.bib_files]],
        _rows=rows,
    )
