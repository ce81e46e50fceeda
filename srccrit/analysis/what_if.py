"""What if: the conclusions re-estimated with witnesses set aside, an earlier as-of date, or a
witness's prior changed -- the computation behind :func:`srccrit.explore`'s controls.

``what_if(case, without=["kovalev"], as_of="1994", priors={"shi-zhe": 0.4})`` refits the whole
model (every reliability, not only the touched propositions) on the claims that remain and
returns each conclusion's probability and verdict beside the unchanged case's (``baseline``,
``baseline_verdict``, ``change``). Fragility is not re-estimated (it is the expensive part and
the controls *are* the fragility question, asked by hand).
"""

from __future__ import annotations

from dataclasses import replace

import numpy as np
import pandas as pd

from ..errors import SrccritError, UsageError
from .evidence import positions
from .reliability import Reliability
from .support import support

__all__ = ["what_if", "WHAT_IF_COLUMNS", "with_priors"]

WHAT_IF_COLUMNS = ["text", "probability", "verdict", "baseline", "baseline_verdict", "change", "lines_for", "lines_against"]


def witness_ids(case, names) -> list[str]:
    """The ids of the witnesses ``names`` stands for: one name or several, each an id, a name or
    an alias (as :meth:`Case.witness` reads them); an unknown one is an error that suggests the
    nearest."""
    if names is None:
        return []
    if isinstance(names, str):
        names = [names]
    out = []
    for name in names:
        if not isinstance(name, str):
            raise UsageError(f"what-if: a witness is named by his id, name or alias (text), not {name!r}")
        try:
            out.append(name if name in case.witnesses.index else case.resolve_witness(name))
        except SrccritError as e:
            raise UsageError(f"what-if: {e}") from None
    return out


def with_priors(case, priors: dict[str, float] | None):
    """The case with these witnesses' priors set (as a case's ``prior:`` field sets them); a
    witness is named by his id, name or alias."""
    if not priors:
        return case
    if not isinstance(priors, dict):
        raise UsageError(f"what-if: priors are a dict from witness to prior, not {type(priors).__name__}")
    priors = dict(zip(witness_ids(case, list(priors)), priors.values()))
    bad = {w: p for w, p in priors.items() if not (isinstance(p, (int, float)) and 0 < float(p) < 1)}
    if bad:
        w, p = next(iter(bad.items()))
        raise UsageError(f"what-if: the prior of {w!r} must be a number strictly between 0 and 1, not {p!r}")
    witnesses = case.witnesses.copy()
    prior = witnesses["prior"].astype(float).to_numpy(copy=True)
    for w, p in priors.items():
        prior[witnesses.index.get_loc(w)] = float(p)
    witnesses["prior"] = prior
    return replace(case, witnesses=witnesses, _rows={})


def _estimate(case, without, as_of, priors) -> tuple[object, Reliability]:
    work = with_priors(case, priors)
    claims = work.available_claims(as_of)
    if without:
        # each dropped witness goes with the claims on his lines (copies of him in derived works)
        origin = positions(work.with_claims(claims))["origin"].astype(object).to_numpy()
        gone = set(without)
        claims = claims[~(claims["witness"].astype(object).isin(gone).to_numpy() | pd.Index(origin).isin(gone))]
    return work, Reliability(as_of=as_of).fit(work, claims)


def what_if(case, without=(), as_of: str | None = None, priors: dict[str, float] | None = None,
            baseline: pd.DataFrame | None = None) -> pd.DataFrame:
    """Each conclusion re-estimated without the ``without`` witnesses' claims (one witness or a
    list; ids, names or aliases: ``without="Shih Che"``), with only the
    sources available by ``as_of``, and with the ``priors`` given (witness id -> prior in (0, 1));
    beside it the unchanged case's probability and verdict (``baseline``: a support table of the
    unchanged case to reuse)."""
    work, est = _estimate(case, witness_ids(case, without), as_of, priors)
    return _compare(work, est, as_of, baseline if baseline is not None else support(case, fragility=False))


def _compare(work, est: Reliability, as_of: str | None, base: pd.DataFrame) -> pd.DataFrame:
    """The conclusions of ``work`` under ``est`` beside the unchanged case's support ``base``."""
    now = support(work, as_of=as_of, fragility=False, estimator=est)
    out = now[["text", "probability", "verdict", "lines_for", "lines_against"]].copy()
    out["baseline"] = base["probability"].reindex(out.index).to_numpy(dtype=float)
    out["baseline_verdict"] = base["verdict"].reindex(out.index).to_numpy(dtype=object)
    out["change"] = out["probability"].to_numpy(dtype=float) - out["baseline"].to_numpy(dtype=float)
    out["change"] = np.where(np.abs(out["change"]) < 1e-12, 0.0, out["change"])
    return out[WHAT_IF_COLUMNS]
