"""Tables as a reader wants them in a notebook or a page: ``readable(table, case)``.

The analyses return plain DataFrames (ids, floats to full precision, lists, booleans) because
programs read them. A reader gets a pandas ``Styler`` over a copy:

* headers in words (``lines_for`` -> "lines for"), the verdict first where there is one;
* witness ids (``witness``, ``origin``, ``pivotal_witness``, ``sole_support``, ``witnesses``)
  shown as names, the ids in a second column beside;
* probabilities and reliabilities to two decimals, shifts signed; missing values blank;
  ``True``/``False`` as "yes" and blank; lists as comma-separated text;
* lines *for* on a blue ground and *against* on a vermillion one (the Okabe-Ito colours of the
  charts), fragile conclusions marked;
* text whole (quotes are evidence), or cut to ``max_text`` characters when asked;
* at most ``max_rows`` rows (default ``MAX_ROWS``): a longer table shows its first rows and says,
  in its caption, how many it left out and how to see them all (a notebook with a table of
  thousands of rows is a page nobody reads and a file of megabytes).

The Styler's element ids are fixed (not random), so an executed notebook is byte-identical from
run to run. Everything it shows is HTML-escaped.
"""

from __future__ import annotations

import hashlib
import html
from collections.abc import Iterable

import numpy as np
import pandas as pd
from pandas.io.formats.style import Styler

from .output import share_text

__all__ = ["readable", "WITNESS_COLUMNS", "MAX_ROWS"]

#: rows a readable table shows by default (pandas shows 60 of a DataFrame)
MAX_ROWS = 100

#: columns whose values are witness ids (or lists of them, or "; "-joined ones)
WITNESS_COLUMNS = ("witness", "origin", "pivotal_witness", "sole_support", "witnesses", "witness_a", "witness_b", "copier")
#: columns shown as a share to two decimals
_FRACTIONS = ("probability", "prior", "reliability", "low", "high", "p_true", "p_copy", "witness_reliability", "informativeness",
              "p_unclaimed", "pivotal_shift")
_FOR, _AGAINST = "#cce3f0", "#f6d5c2"  # light grounds of the Okabe-Ito blue and vermillion


def _as_list(value) -> list | None:
    if isinstance(value, (list, tuple, np.ndarray)):
        return list(value)
    if hasattr(value, "tolist") and not isinstance(value, str):
        out = value.tolist()
        return out if isinstance(out, list) else None
    return None


def _missing(value) -> bool:
    if value is None or value is pd.NA:
        return True
    try:
        return bool(pd.isna(value))
    except (TypeError, ValueError):
        return False


class ReadableTable(Styler):
    """pandas' Styler, whose text form names the table instead of a memory address (so that an
    executed notebook is byte-identical from run to run)."""

    def __repr__(self) -> str:
        rows, cols = self.data.shape
        return f"<readable table: {rows} row{'s' if rows != 1 else ''} x {cols} column{'s' if cols != 1 else ''}>"


def readable(table: pd.DataFrame, case=None, max_text: int | None = None, caption: str | None = None,
             max_rows: int | None = MAX_ROWS):
    """A pandas ``Styler`` of ``table`` for a reader (see the module). ``case``: to show witness
    names for ids (each witness column is then followed by its ids); ``max_text``: cut longer
    text to this many characters (default: never, quotes are shown whole); ``max_rows``: show
    the first rows only (None: all; the caption says what was left out)."""
    if max_rows is not None and (not isinstance(max_rows, (int, np.integer)) or isinstance(max_rows, bool) or max_rows < 1):
        raise ValueError(f"readable: max_rows must be a positive whole number or None, not {max_rows!r}")
    total = len(table)
    shown = table.iloc[:max_rows].copy() if max_rows is not None and total > max_rows else table.copy()
    if len(shown) < total:
        note = f"the first {len(shown):,} of {total:,} rows (readable(table, max_rows=None) shows them all)"
        caption = f"{caption}: {note}" if caption else note[0].upper() + note[1:]
    names = (lambda w: case.witness_name(w)) if case is not None else (lambda w: w)

    def cell_text(col: str, value) -> str:
        items = _as_list(value)
        if items is not None:
            return ", ".join(names(str(v)) if col in WITNESS_COLUMNS else str(v) for v in items)
        if _missing(value):
            return ""
        if isinstance(value, (bool, np.bool_)):
            return "yes" if value else ""
        if col in WITNESS_COLUMNS and isinstance(value, str):
            return ", ".join(names(w) for w in value.split("; "))
        if col in ("pivotal_shift", "change", "shift") and isinstance(value, (float, np.floating)):
            text = f"{value:+.2f}"
            return "0.00" if text in ("+0.00", "-0.00") else text
        if isinstance(value, (float, np.floating)):
            if col in _FRACTIONS or 0 <= value <= 1:
                return share_text(float(value))
            return f"{value:.0f}" if float(value).is_integer() else f"{value:.2f}"
        text = str(value)
        return text[: max_text - 1] + "…" if max_text and len(text) > max_text else text

    def ids_text(value) -> str:
        items = _as_list(value)
        if items is not None:
            return ", ".join(str(v) for v in items)
        return "" if _missing(value) else str(value).replace("; ", ", ")

    columns = {}
    for col in shown.columns:
        values = shown[col].tolist()
        columns[str(col).replace("_", " ")] = [cell_text(str(col), v) for v in values]
        if case is not None and col in WITNESS_COLUMNS:
            columns[f"{str(col).replace('_', ' ')} (id)"] = [ids_text(v) for v in values]
    out = pd.DataFrame(columns, index=[str(i) for i in shown.index])
    out.index.name = shown.index.name
    order = [c for c in ("verdict",) if c in out.columns] + [c for c in out.columns if c != "verdict"]
    out = out[order]
    styler = ReadableTable(out)
    # element ids from the content: the same table gives the same page, two tables never share ids
    styler.set_uuid("srccrit-" + hashlib.sha1(out.to_csv().encode("utf-8")).hexdigest()[:10])
    styler.format(escape="html")
    styler.format_index(escape="html", axis=0)
    styler.format_index(escape="html", axis=1)
    if "bears" in out.columns:
        styler.apply(lambda col: [f"background-color:{_FOR}" if v == "for" else f"background-color:{_AGAINST}" if v == "against" else ""
                                  for v in col], subset=["bears"])
    if "fragile" in out.columns:
        styler.apply(lambda col: ["font-weight:bold; color:#B34700" if v == "yes" else "" for v in col], subset=["fragile"])
    styler.set_table_attributes('class="srccrit-table"')
    styler.set_table_styles([{"selector": "th", "props": "text-align:left"}, {"selector": "td", "props": "text-align:left; vertical-align:top"}])
    if caption:
        styler.set_caption(html.escape(caption))
    return styler


def readable_columns(table: pd.DataFrame, wanted: Iterable[str]) -> pd.DataFrame:
    """``table`` with the ``wanted`` columns that it has, in that order."""
    return table[[c for c in wanted if c in table.columns]]
