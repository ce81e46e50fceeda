"""Loading a case: YAML file -> raw tables (inline or from files) -> bibliography -> validation.

Nothing here analyses anything; :func:`load_case` returns a validated :class:`~srccrit.Case` or
raises one :class:`~srccrit.CaseError` listing every problem found.
"""

from __future__ import annotations

import hashlib
import os
from collections import OrderedDict
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import pandas as pd

from ..errors import CaseError, Problem
from .bibliography import BIB_SUFFIXES, read_bibliography
from .tables import TABLE_SUFFIXES, YAML_READ_ERRORS, YamlDocument, file_problem, read_table_file, read_yaml, yaml_problem, yaml_table

__all__ = ["load_case", "RawCase", "read_raw_case", "TABLES", "default_case_path"]

TABLES = ("sources", "witnesses", "propositions", "conclusions", "claims")


class RawCase:
    """The case as written: top-level fields, the five tables as frames, the bibliography."""

    def __init__(self, path: Path, display: str, doc: YamlDocument):
        self.path = path
        self.display = display
        self.doc = doc
        self.tables: dict[str, Any] = {}
        self.bibliography = None
        self.bib_files: list[str] = []  # the files read
        self.bib_named: list[str] = []  # the paths as the case names them
        self.table_files: list[str] = []  # the table files read (CSV, Parquet)
        self.problems: list[Problem] = []


def _display(path: Path) -> str:
    """Paths in messages: relative to the working directory when that is shorter."""
    try:
        rel = os.path.relpath(path)
    except ValueError:
        return str(path)
    return rel if len(rel) < len(str(path)) else str(path)


def default_case_path() -> Path:
    """The bundled case (``data/sino-soviet-korea/case.yaml``), or ``$SRCCRIT_CASE``."""
    env = os.environ.get("SRCCRIT_CASE")
    if env:
        return Path(env)
    return Path(__file__).resolve().parents[2] / "data" / "sino-soviet-korea" / "case.yaml"


def _case_file(path: str | os.PathLike | None) -> Path:
    from ..errors import SrccritError, UsageError

    if path is not None and not isinstance(path, (str, os.PathLike)):
        raise UsageError(f"a case is loaded from the path of its case.yaml (or of the folder holding it), not from a {type(path).__name__}")
    p = Path(path) if path is not None else default_case_path()
    if p.is_dir():
        candidates = [p / "case.yaml", p / "case.yml"]
        for c in candidates:
            if c.exists():
                return c
        raise SrccritError(f"{p}: no case.yaml in this folder")
    if not p.exists():
        raise SrccritError(f"{p}: no such case file")
    return p


def _resolved(path: Path) -> Path:
    """``path`` resolved, or as written where the system cannot resolve it (the check that follows
    reports why it cannot be read)."""
    try:
        return path.resolve()
    except (OSError, ValueError):
        return path


def read_raw_case(path: str | os.PathLike | None) -> RawCase:
    case_path = _case_file(path)
    display = _display(case_path)
    try:
        doc = read_yaml(case_path)
    except YAML_READ_ERRORS as exc:
        raise CaseError([yaml_problem(display, exc, case_path)]) from None
    raw = RawCase(case_path, display, doc)
    if not isinstance(doc.data, dict):
        raise CaseError([Problem(display, 1, "a case file must be a YAML mapping (case:, title:, sources:, ...)")])
    for dup_path, line in doc.duplicates:
        if dup_path[0] not in TABLES or not isinstance(doc.data.get(dup_path[0]), (dict, list)):
            what = "top-level key" if len(dup_path) == 1 else "key"
            raw.problems.append(Problem(display, line, f"duplicate {what} {dup_path[-1]!r} (each may be given once)"))

    base = case_path.parent
    bib = doc.data.get("bibliography")
    if bib is None:
        bib_list: list = []
    elif isinstance(bib, str):
        bib_list = [bib]
    elif isinstance(bib, list) and all(isinstance(b, str) for b in bib):
        bib_list = bib
    else:
        raw.problems.append(Problem(display, doc.line("bibliography"), "bibliography must be a path or a list of paths"))
        bib_list = []
    raw.bib_named = [str(b) for b in bib_list]
    paths = []
    for entry in bib_list:
        p = _resolved(base / entry)
        problem = file_problem(p, display, f"bibliography {entry!r}", BIB_SUFFIXES)
        if problem:
            raw.problems.append(Problem(display, doc.line("bibliography"), problem.message))
            continue
        paths.append((p, _display(p)))
        raw.bib_files.append(str(p))
    # the bibliography is parsed (pure Python) in a second thread while the tables are read
    # (Arrow and pandas release the interpreter lock for much of that)
    with ThreadPoolExecutor(max_workers=1) as pool:
        bib_job = pool.submit(read_bibliography, paths)
        for name in TABLES:
            value = doc.data.get(name)
            key_name = "id"
            if isinstance(value, str):
                table_path = _resolved(base / value)
                problem = file_problem(table_path, display, f"{name}: table file {value!r}", TABLE_SUFFIXES)
                if problem:  # reported at the line of the case file that names it
                    frame, probs = pd.DataFrame(), [Problem(display, doc.line(name), problem.message)]
                else:
                    frame, probs = read_table_file(table_path, _display(table_path), key_name)
                    raw.table_files.append(str(table_path))
                raw.tables[name] = frame
                raw.problems.extend(probs)
            else:
                frame, probs = yaml_table(value, doc, (name,), display, key_name)
                raw.tables[name] = frame
                raw.problems.extend(probs)
        raw.bibliography, probs = bib_job.result()
    raw.problems.extend(probs)
    return raw


#: cases loaded, by resolved case file: (signature of every file read, the case); the last two
_LOADED: "OrderedDict[Path, tuple[tuple, object]]" = OrderedDict()
_LOADED_MAX = 2


def _signature(files: list[Path]) -> tuple:
    """What identifies the files' contents: each one's path, size and BLAKE2 digest (an mtime can
    stay the same across two quick writes; a digest cannot)."""
    out = []
    for f in files:
        h = hashlib.blake2b(digest_size=16)
        with open(f, "rb") as fh:
            for block in iter(lambda: fh.read(1 << 20), b""):
                h.update(block)
        out.append((str(f), os.path.getsize(f), h.hexdigest()))
    return tuple(out)


def _fresh_copy(case):
    """A Case of its own over the same tables (pandas' copy-on-write keeps the tables apart)."""
    from dataclasses import replace

    tables = {name: getattr(case, name).copy(deep=False) for name in ("sources", "witnesses", "propositions", "conclusions", "rests_on", "claims")}
    return replace(case, **tables, warnings=list(case.warnings), files=list(case.files), _rows={})


def load_case(path: str | os.PathLike | None = None, cache: bool = True):
    """Load and validate a case from a ``case.yaml`` (or a folder holding one).

    With no path, loads the bundled case. Raises :class:`srccrit.CaseError` listing every problem
    (``file:line: message``, sorted) when the case breaks the format; warnings are kept on
    ``case.warnings``.

    ``cache``: the last two cases loaded are remembered, and loading one again while none of its
    files changed (same size and content digest) returns a fresh :class:`Case` over the same
    tables without parsing them again -- notebooks run one after another on one kernel load a
    large case once. ``cache=False`` always reads the files.
    """
    from ..validation import build_case
    from .atomic import note_input

    case_path = _case_file(path).resolve()
    if cache and case_path in _LOADED:
        signature, case = _LOADED[case_path]
        files = [case_path, *case.files]
        try:
            same = _signature(files) == signature
        except OSError:
            same = False
        if same:
            _LOADED.move_to_end(case_path)
            for f in files:
                note_input(f)  # the guard against writing onto an input must still know them
            return _fresh_copy(case)
    raw = read_raw_case(path)
    case = build_case(raw)
    if cache and case.path is not None:
        _LOADED[case_path] = (_signature([case_path, *case.files]), _fresh_copy(case))
        _LOADED.move_to_end(case_path)
        while len(_LOADED) > _LOADED_MAX:
            _LOADED.popitem(last=False)
    return case


#: fits made by :func:`load_and_fit`, by (case file, its files' signature, the parameters)
_FITTED: "OrderedDict[tuple, object]" = OrderedDict()


def load_and_fit(path: str | os.PathLike | None = None, **params):
    """Load a case (as :func:`load_case`) and fit :class:`srccrit.Reliability` (``params``: its
    parameters) on it: ``case, est``.

    In one Python session, asking again for a case none of whose files changed (same size and
    content digest), with the same parameters, gives a fresh :class:`Case` and a fresh copy of the
    same fit without fitting again: notebooks run one after another on one kernel fit a large case
    once. The copy's tables are its own (changing them changes nothing elsewhere); a case changed
    after loading must be fitted with ``Reliability().fit(case)``.
    """
    from ..analysis import Reliability

    est = Reliability(**params)  # a bad parameter fails here, before anything is read
    case = load_case(path)
    case_path = _case_file(path).resolve()
    entry = _LOADED.get(case_path) if case.path is not None else None
    if entry is None:
        return case, est.fit(case)
    key = (str(case_path), entry[0], tuple(sorted((k, repr(v)) for k, v in est.get_params().items())))
    if key not in _FITTED:  # fitted on tables of its own: what the caller does to his leaves it alone
        _FITTED[key] = est.fit(_fresh_copy(case))
        _FITTED[key].reliability_  # its reasons written once, not once per copy
        while len(_FITTED) > _LOADED_MAX:
            _FITTED.popitem(last=False)
    _FITTED.move_to_end(key)
    return case, _copy_of_fit(_FITTED[key], case)


def _copy_of_fit(est, case):
    """A fitted estimator of its own over the same results: each table a copy (pandas'
    copy-on-write shares the data until one side writes), results derived later kept apart; the
    fit of the whole of ``case`` (a fresh copy of the case it was fitted on)."""
    import copy

    out = copy.copy(est)
    for name, value in vars(est).items():
        if isinstance(value, (pd.DataFrame, pd.Series)):
            setattr(out, name, value.copy(deep=False))
    out._kept = None
    out._whole_case = case
    return out
