"""Save and load parameters as .npz: plain arrays, never pickles, written atomically.

A checkpoint holds the parameter arrays under their notes' names (W1, b1, ...) and the
model's name under `__model__`. `save` writes a temporary file in the same folder and
renames it over the target, so an interrupted save leaves the previous file whole.
`load` checks everything before it returns and raises CheckpointError (a ValueError)
for a missing, truncated, corrupted, wrong-model or wrong-shape file.
"""

from __future__ import annotations

import os
import tempfile
import zipfile
from pathlib import Path

import numpy as np

from . import _checks

MODEL_KEY = "__model__"


class CheckpointError(ValueError):
    """A checkpoint file that cannot be used; the message names the file and what is wrong."""


def atomic_write(path, write) -> None:
    """Call write(file object) on a temporary file beside `path`, fsync it, then rename it over `path`."""
    path = Path(path)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent or ".")
    try:
        with os.fdopen(fd, "wb") as fh:
            write(fh)
            fh.flush()
            os.fsync(fh.fileno())
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def save(path, params: dict, model: str) -> None:
    """Write `params` (name -> float32/float64 array) and the model's name to `path` (.npz)."""
    if not isinstance(model, str) or not model:
        raise ValueError(f"model must be a non-empty name, got {model!r}")
    if not isinstance(params, dict) or not params:
        raise TypeError(f"params must be a non-empty dict of arrays, got {type(params).__name__}")
    for key, value in params.items():
        if not isinstance(key, str) or not key.isidentifier() or key == MODEL_KEY:
            raise ValueError(f"params keys must be names such as 'W1', got {key!r}")
        if not isinstance(value, np.ndarray):
            raise TypeError(f"params[{key!r}] must be a NumPy array, got {type(value).__name__}")
        _checks.float_dtype(f"params[{key!r}].dtype", value.dtype)
    atomic_write(path, lambda fh: np.savez(fh, **params, **{MODEL_KEY: np.array(model)}))


def load(path, model: str | None = None, shapes: dict | None = None) -> dict:
    """The parameters saved in `path`; with `model` and `shapes`, checked against them."""
    path = Path(path)
    try:
        with open(path, "rb") as fh, np.load(fh, allow_pickle=False) as data:
            arrays = {key: data[key] for key in data.files}
    except FileNotFoundError:
        raise CheckpointError(f"checkpoint {path} does not exist") from None
    except (zipfile.BadZipFile, ValueError, OSError, EOFError, KeyError) as exc:
        raise CheckpointError(f"checkpoint {path} is truncated or corrupted ({type(exc).__name__}: {exc})") from None
    saved = arrays.pop(MODEL_KEY, None)
    if saved is None or saved.dtype.kind != "U" or saved.shape != ():
        raise CheckpointError(f"checkpoint {path} has no model name: not written by handmade.checkpoint.save")
    if model is not None and str(saved) != model:
        raise CheckpointError(f"checkpoint {path} holds model {str(saved)!r}, expected {model!r}")
    if shapes is not None:
        if set(arrays) != set(shapes):
            raise CheckpointError(f"checkpoint {path} holds {sorted(arrays)}, expected {sorted(shapes)}")
        for key, shape in shapes.items():
            if arrays[key].shape != tuple(shape):
                got = arrays[key].shape
                raise CheckpointError(f"checkpoint {path}: {key} has shape {got}, expected {tuple(shape)}")
    for key, value in arrays.items():
        if value.dtype not in _checks.FLOAT_DTYPES:
            raise CheckpointError(f"checkpoint {path}: {key} has dtype {value.dtype}, expected float32 or float64")
    return arrays
