"""Save and load a torch twin's state_dict (`weights_only=True`), atomically, checked before use.

The file holds {"model": name, "state_dict": {...}}. `load_state_dict` checks the model
name, the keys, the shapes and the dtypes against the twin before it copies anything, so
a wrong file raises CheckpointError and leaves the twin unchanged.
"""

from __future__ import annotations

from pathlib import Path

import torch

from torchref_handmade.checkpoint import CheckpointError, atomic_write


def save_state_dict(path, twin: torch.nn.Module, model: str) -> None:
    state = {key: value.detach().clone() for key, value in twin.state_dict().items()}
    atomic_write(path, lambda fh: torch.save({"model": model, "state_dict": state}, fh))


def load_state_dict(path, twin: torch.nn.Module, model: str) -> None:
    path = Path(path)
    try:
        data = torch.load(path, weights_only=True)
    except FileNotFoundError:
        raise CheckpointError(f"checkpoint {path} does not exist") from None
    except Exception as exc:  # torch.load fails in many ways on a damaged file (struct.error, ...)
        raise CheckpointError(
            f"checkpoint {path} is truncated, corrupted or not a state_dict file "
            f"({type(exc).__name__}: {str(exc)[:200]})"
        ) from None
    if not isinstance(data, dict) or not isinstance(data.get("state_dict"), dict):
        raise CheckpointError(f"checkpoint {path} is not a torchref state_dict file")
    if data.get("model") != model:
        raise CheckpointError(f"checkpoint {path} holds model {data.get('model')!r}, expected {model!r}")
    state, want = data["state_dict"], twin.state_dict()
    if set(state) != set(want):
        raise CheckpointError(f"checkpoint {path} holds {sorted(state)}, expected {sorted(want)}")
    for key, value in want.items():
        got = state[key]
        if not isinstance(got, torch.Tensor) or got.shape != value.shape or got.dtype != value.dtype:
            shape = tuple(got.shape) if isinstance(got, torch.Tensor) else type(got).__name__
            raise CheckpointError(
                f"checkpoint {path}: {key} is {shape} {getattr(got, 'dtype', '')}, "
                f"expected {tuple(value.shape)} {value.dtype}"
            )
    twin.load_state_dict(state)
