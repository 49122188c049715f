"""Checkpoints: the bytes are on disk before the rename, and a pickle in a checkpoint is never executed."""

import os
import pickle

import numpy as np
import pytest
import torch

from torchref.checkpoint import load_state_dict, save_state_dict
from torchref.models import ShallowNet
from torchref_handmade import checkpoint
from torchref_handmade.checkpoint import CheckpointError


def _params():
    rng = np.random.default_rng(0)
    return {"W1": rng.standard_normal((3, 4)), "b1": np.zeros((1, 4))}


def _trace_fsync_and_replace(monkeypatch):
    """Record, in order, each fsync (with the size and content of the file it syncs) and each rename."""
    events = []
    real_fsync, real_replace = os.fsync, os.replace

    def fsync(fd):
        path = os.readlink(f"/proc/self/fd/{fd}")
        with open(path, "rb") as fh:
            events.append(("fsync", path, fh.read()))
        return real_fsync(fd)

    def replace(src, dst):
        events.append(("replace", os.fspath(src), os.fspath(dst)))
        return real_replace(src, dst)

    monkeypatch.setattr(os, "fsync", fsync)
    monkeypatch.setattr(os, "replace", replace)
    return events


@pytest.mark.skipif(not os.path.isdir("/proc/self/fd"), reason="reads the synced file through /proc")
@pytest.mark.parametrize("kind", ["npz", "state_dict"])
def test_the_whole_file_is_synced_before_it_is_renamed_over_the_target(tmp_path, monkeypatch, kind):
    path = tmp_path / "ckpt"
    path.write_bytes(b"the previous checkpoint")
    events = _trace_fsync_and_replace(monkeypatch)
    if kind == "npz":
        checkpoint.save(path, _params(), model="shallow")
    else:
        save_state_dict(path, ShallowNet(3, 4, torch.float64), "shallow")
    assert [e[0] for e in events] == ["fsync", "replace"], "one fsync, then the rename"
    (_, synced, content), (_, src, dst) = events
    assert synced == src != dst == str(path), "the temporary file is synced, then renamed over the target"
    assert os.path.dirname(src) == str(tmp_path), "the temporary file is in the target's folder (same file system)"
    assert content == path.read_bytes(), "everything was written and flushed before the fsync"
    assert not [p for p in tmp_path.iterdir() if p != path], "no temporary file is left behind"


class _Planted:
    """Unpickling this calls os.mkdir(marker): the proof that a loader executed a pickle."""

    def __init__(self, marker):
        self.marker = str(marker)

    def __reduce__(self):
        return (os.mkdir, (self.marker,))


def test_an_npz_holding_a_pickled_object_is_refused_without_running_it(tmp_path):
    marker = tmp_path / "executed"
    path = tmp_path / "evil.npz"
    evil = np.empty(1, dtype=object)
    evil[0] = _Planted(marker)
    np.savez(path, W1=evil, b1=np.zeros((1, 4)), __model__=np.array("shallow"))  # savez pickles object arrays
    with pytest.raises(CheckpointError, match="truncated or corrupted"):
        checkpoint.load(path, model="shallow")
    assert not marker.exists(), "the pickle was executed"


def test_a_plain_pickle_file_is_refused_without_running_it(tmp_path):
    marker = tmp_path / "executed"
    path = tmp_path / "evil.npz"
    path.write_bytes(pickle.dumps({"W1": _Planted(marker)}))
    with pytest.raises(CheckpointError):
        checkpoint.load(path)
    assert not marker.exists(), "the pickle was executed"


def test_a_state_dict_file_with_a_pickled_object_is_refused_without_running_it(tmp_path):
    marker = tmp_path / "executed"
    path = tmp_path / "evil.pt"
    twin = ShallowNet(3, 4, torch.float64)
    before = {k: v.clone() for k, v in twin.state_dict().items()}
    state = dict(twin.state_dict())
    state["evil"] = _Planted(marker)
    torch.save({"model": "shallow", "state_dict": state}, path)
    with pytest.raises(CheckpointError, match="not a state_dict file"):
        load_state_dict(path, twin, "shallow")
    assert not marker.exists(), "the pickle was executed"
    assert all(torch.equal(before[k], v) for k, v in twin.state_dict().items())
    path.write_bytes(pickle.dumps(_Planted(marker)))
    with pytest.raises(CheckpointError):
        load_state_dict(path, twin, "shallow")
    assert not marker.exists(), "the pickle was executed"
