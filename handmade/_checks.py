"""Input checks shared by every handmade model.

Each check either returns the argument in the form the models compute with, or raises
an error whose message names the argument, what was expected and what came. Nothing is
silently broadcast, truncated or promoted to another float dtype.
"""

from __future__ import annotations

import numpy as np

FLOAT_DTYPES = (np.dtype(np.float32), np.dtype(np.float64))


def _describe(x) -> str:
    if isinstance(x, np.ndarray):
        return f"an array of shape {x.shape} and dtype {x.dtype}"
    return f"{type(x).__name__} {x!r}"[:120]


def float_dtype(name: str, dtype) -> np.dtype:
    """`dtype` as a NumPy dtype, which must be float32 or float64."""
    try:
        dt = np.dtype(dtype)
    except TypeError as exc:
        raise TypeError(f"{name} must be float32 or float64, got {dtype!r}") from exc
    if dt not in FLOAT_DTYPES:
        raise TypeError(f"{name} must be float32 or float64, got {dt}")
    return dt


def matrix(name: str, x, dtype=None, cols: int | None = None, rows: int | None = None) -> np.ndarray:
    """A finite 2-D float array.

    bool and integer arrays are cast to `dtype` (float64 when None); a float array must
    already be float32/float64 and, when `dtype` is given, of that dtype (no silent mix).
    """
    arr = np.asarray(x)
    if arr.ndim != 2:
        raise ValueError(f"{name} must be a 2-D array (rows are examples), got {_describe(arr)}")
    if arr.dtype.kind in "bui":
        arr = arr.astype(np.float64 if dtype is None else dtype)
    elif arr.dtype.kind != "f":
        raise TypeError(f"{name} must hold numbers (bool, int or float), got dtype {arr.dtype}")
    float_dtype(f"{name}.dtype", arr.dtype)
    if dtype is not None and arr.dtype != np.dtype(dtype):
        raise TypeError(f"{name} must have dtype {np.dtype(dtype)} like the parameters, got {arr.dtype}")
    if rows is not None and arr.shape[0] != rows:
        raise ValueError(f"{name} must have {rows} rows, got shape {arr.shape}")
    if cols is not None and arr.shape[1] != cols:
        raise ValueError(f"{name} must have {cols} columns, got shape {arr.shape}")
    if arr.shape[0] < 1:
        raise ValueError(f"{name} must have at least one row (m >= 1), got shape {arr.shape}")
    if arr.shape[1] < 1:
        raise ValueError(f"{name} must have at least one column, got shape {arr.shape}")
    if not np.isfinite(arr).all():
        raise ValueError(f"{name} must be finite, got {np.count_nonzero(~np.isfinite(arr))} NaN/inf values")
    return arr


def labels(name: str, y, m: int, dtype, k: int = 1, one_hot: bool = False) -> np.ndarray:
    """Labels as an (m, k) array of `dtype`.

    Accepted: shape (m, k), or (m,) when k == 1. Binary labels must lie in [0, 1] (soft
    targets are allowed, as nn.BCELoss allows them); one-hot labels must be rows of 0/1
    with exactly one 1.
    """
    arr = np.asarray(y)
    if arr.ndim == 1 and k == 1:
        arr = arr.reshape(-1, 1)
    if arr.shape != (m, k):
        want = f"({m}, {k})" + (f" or ({m},)" if k == 1 else "")
        raise ValueError(f"{name} must have shape {want}, got {_describe(arr)}")
    if arr.dtype.kind not in "buif":
        raise TypeError(f"{name} must hold numbers, got dtype {arr.dtype}")
    arr = arr.astype(dtype, copy=False)
    if not ((arr >= 0) & (arr <= 1)).all():               # nan fails both comparisons
        raise ValueError(f"{name} must lie in [0, 1], got values from {np.nanmin(arr)} to {np.nanmax(arr)}")
    if one_hot and not (np.isin(arr, (0, 1)).all() and (arr.sum(axis=1) == 1).all()):
        raise ValueError(f"{name} must be one-hot: each row 0/1 with exactly one 1")
    return arr


def params(name: str, p, shapes: dict[str, tuple[int, ...]]) -> np.dtype:
    """Check a parameter dict against the expected shapes; return their common dtype."""
    if not isinstance(p, dict):
        raise TypeError(f"{name} must be a dict of arrays, got {type(p).__name__}")
    missing = [key for key in shapes if key not in p]
    if missing:
        raise ValueError(f"{name} is missing {missing}; expected keys {list(shapes)}")
    dtypes = set()
    for key, shape in shapes.items():
        value = p[key]
        if not isinstance(value, np.ndarray):
            raise TypeError(f"{name}[{key!r}] must be a NumPy array, got {type(value).__name__}")
        if value.shape != shape:
            raise ValueError(f"{name}[{key!r}] must have shape {shape}, got {value.shape}")
        float_dtype(f"{name}[{key!r}].dtype", value.dtype)
        dtypes.add(value.dtype)
    if len(dtypes) > 1:
        raise TypeError(f"{name} must share one dtype, got {sorted(map(str, dtypes))}")
    return dtypes.pop()


def positive_int(name: str, value) -> int:
    if isinstance(value, bool) or not isinstance(value, (int, np.integer)) or value < 1:
        raise ValueError(f"{name} must be a positive integer, got {value!r}")
    return int(value)


def learning_rate(name: str, value) -> float:
    if isinstance(value, bool) or not isinstance(value, (int, float, np.floating, np.integer)):
        raise TypeError(f"{name} must be a number, got {type(value).__name__}")
    if not np.isfinite(value) or value <= 0:
        raise ValueError(f"{name} must be finite and > 0, got {value!r}")
    return float(value)
