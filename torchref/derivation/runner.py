"""The child process that runs a learner's derivation. The judge never imports this file.

    python -I _runner.py JOBDIR

Reads JOBDIR/job.json and JOBDIR/inputs.arrays, imports the learner's file, runs its
`forward` (when it has one) and `backward` on every case, and writes JOBDIR/outputs.arrays
(plain arrays, never pickles: `_arrays.py`), then JOBDIR/result.json (what happened per case). The
judge compares the arrays itself: nothing this process does can pass a derivation.
Only the standard library and NumPy are imported here.
"""

import importlib.util
import json
import os
import sys
import traceback

import numpy as np


def _load_protocol():
    """protocol.py beside this file, by path: -I leaves this folder off sys.path, and torchref is not imported here."""
    path = os.path.join(os.path.dirname(os.path.abspath(__file__)), "protocol.py")
    spec = importlib.util.spec_from_file_location("torchref_protocol", path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


arrays_file = _load_protocol()
NUMERIC = arrays_file.NUMERIC


def _where(exc, path):
    """The innermost frame of the learner's file in the traceback: file, line, function, code."""
    tb, last = exc.__traceback__, None
    while tb is not None:
        if os.path.abspath(tb.tb_frame.f_code.co_filename) == path:
            last = tb
        tb = tb.tb_next
    where = {"type": type(exc).__name__, "message": str(exc)[:500]}
    if last is not None:
        frame = traceback.extract_tb(last, limit=1)[0]
        shapes = {
            name: list(value.shape) for name, value in last.tb_frame.f_locals.items() if isinstance(value, np.ndarray)
        }
        where.update(
            file=os.path.basename(path),
            line=frame.lineno,
            function=frame.name,
            code=(frame.line or "").split("#")[0].strip()[:200],
            shapes=dict(list(shapes.items())[:30]),
        )
    return where


def _arrays(prefix, mapping, out, problems):
    """Copy a dict of arrays into `out` under `prefix`; anything that is not numeric is a problem."""
    if not isinstance(mapping, dict):
        problems.append(f"{prefix.rstrip('/')} must be a dict of arrays, got {type(mapping).__name__}")
        return
    for key, value in mapping.items():
        if not isinstance(key, str) or not key.isidentifier():
            problems.append(f"{prefix}{key!r}: keys must be names such as 'dW1'")
            continue
        try:
            arr = np.asarray(value)
        except Exception as exc:  # noqa: BLE001 - a learner's object can fail to convert in any way
            problems.append(f"{prefix}{key}: cannot be read as an array ({type(exc).__name__})")
            continue
        if arr.dtype.kind not in NUMERIC:
            problems.append(f"{prefix}{key}: dtype {arr.dtype} is not numeric")
            continue
        out[prefix + key] = arr


def main(jobdir):
    with open(os.path.join(jobdir, "job.json"), encoding="utf-8") as fh:
        job = json.load(fh)
    path = os.path.abspath(job["file"])
    result = {"nonce": job["nonce"], "import_error": None, "exit": None, "has_forward": False, "cases": []}
    out = {}
    inputs = arrays_file.unpack(os.path.join(jobdir, "inputs.arrays"))
    try:
        sys.path.insert(0, os.path.dirname(path))
        spec = importlib.util.spec_from_file_location("derivation", path)
        module = importlib.util.module_from_spec(spec)
        spec.loader.exec_module(module)
    except SystemExit as exc:
        result["exit"] = {"where": "import", "code": repr(exc.code)}
    except BaseException as exc:  # noqa: BLE001 - SyntaxError, ImportError, anything at import
        result["import_error"] = (
            _where(exc, path)
            if not isinstance(exc, SyntaxError)
            else {
                "type": "SyntaxError",
                "message": exc.msg,
                "file": os.path.basename(path),
                "line": exc.lineno,
                "code": (exc.text or "").strip()[:200],
            }
        )
    _imported(job)
    if result["import_error"] is None and result["exit"] is None:
        backward = getattr(module, "backward", None)
        forward = getattr(module, "forward", None)
        result["has_backward"] = callable(backward)
        result["has_forward"] = callable(forward)
        for i in range(job["cases"] if callable(backward) else 0):
            result["cases"].append(_run_case(i, inputs, forward, backward, path, out))
            if result["cases"][-1].get("exit"):
                result["exit"] = {"where": f"case {i}", "code": result["cases"][-1]["exit"]}
                break
    arrays_file.pack(os.path.join(jobdir, "outputs.arrays"), out)
    tmp = os.path.join(jobdir, "result.json.tmp")
    with open(tmp, "w", encoding="utf-8") as fh:
        json.dump(result, fh)
    os.replace(tmp, os.path.join(jobdir, "result.json"))


def _imported(job):
    """Tell the judge the import is over: its clock for running the cases starts now."""
    try:
        os.write(job["imported_fd"], b"i")
        os.close(job["imported_fd"])
    except OSError:  # the learner's file closed it already: the judge saw end-of-file, which counts too
        pass


def _run_case(i, inputs, forward, backward, path, out):
    protocol = arrays_file
    X, Y = inputs[protocol.key(i, "X")], inputs[protocol.key(i, "Y")]
    params, cache = protocol.take(inputs, i, "params"), protocol.take(inputs, i, "cache")
    watched = {"X": X, "Y": Y, **{f"params[{k!r}]": v for k, v in params.items()}}
    if forward is None:  # the cache the judge supplied is an input too
        watched.update({f"cache[{k!r}]": v for k, v in cache.items()})
    before = {name: value.copy() for name, value in watched.items()}
    case = {"problems": [], "mutated": []}
    try:
        if forward is not None:
            fwd = forward(X, params)
            if not (isinstance(fwd, tuple) and len(fwd) == 2):
                case["problems"].append(f"forward must return (A, cache), got {type(fwd).__name__}")
                return case
            A, cache = fwd
            _arrays(protocol.key(i, "forward", ""), {"A": A}, out, case["problems"])
            _arrays(protocol.key(i, "cache", ""), cache, out, case["problems"])
        grads = backward(X, Y, params, cache)
        _arrays(protocol.key(i, "grads", ""), grads, out, case["problems"])
    except SystemExit as exc:
        case["exit"] = repr(exc.code)
    except BaseException as exc:  # noqa: BLE001 - report any failure of the learner's code
        case["error"] = _where(exc, path)
    case["mutated"] = [
        name for name, value in before.items() if not np.array_equal(value, watched[name], equal_nan=True)
    ]
    return case


if __name__ == "__main__":
    main(sys.argv[1])
