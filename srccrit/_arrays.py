"""Array helpers shared by validation and the analyses."""

from __future__ import annotations

import numpy as np

__all__ = ["take"]


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
