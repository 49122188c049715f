"""Named arrays as one plain file: each array's raw bytes, then a JSON index and its length. No pickle, no zip.

The judge and the learner's process (`runner.py`) hand each other a few hundred small
arrays per file checked; `.npz` spent ~0.3 ms on each member's zip entry and header, a
third of a normal check. Here each array is written as it comes (`Writer`: the learner's
process never holds its outputs in memory, nor copies them), the index last; reading is
one `np.ndarray` view per array. The reader trusts nothing in the file: a malformed index,
an offset outside the data, a dtype that is not a plain number or a size that does not
match its shape is a ValueError. Only the standard library and NumPy: the learner's
process loads this file by path.
"""

from __future__ import annotations

import json
import math
import os

import numpy as np

# typing is not imported at run time: the runner loads this file by its text in the learner's process, where
# every import before the learner's code is time and surface (mypy reads the block below as if it were true)
TYPE_CHECKING = False
if TYPE_CHECKING:
    from collections.abc import Mapping
    from os import PathLike
    from typing import Any, TypedDict

    from numpy.typing import NDArray

    Array = NDArray[Any]

    class ErrorBase(TypedDict):
        type: str
        message: str

    class Error(ErrorBase, total=False):
        """An exception raised by the learner's code: its type and message; where, when in the learner's file."""

        file: str
        line: int | None  # a SyntaxError's line may be None
        function: str
        code: str
        shapes: dict[str, list[int]]  # the arrays in the failing frame
        errno: int

    class CaseBase(TypedDict):
        problems: list[str]
        mutated: list[str]

    class CaseRecord(CaseBase, total=False):
        """What one case of forward and backward did (result.json's "cases")."""

        error: Error
        exit: str  # the repr of sys.exit's argument

    class CallBase(TypedDict):
        id: str
        problems: list[str]
        mutated: list[str]
        types: dict[str, str]  # {place: type name} of what the call returned
        returns_argument: str

    class CallRecord(CallBase, total=False):
        """What one planned call did (result.json's "calls", pieces.plan)."""

        missing: bool
        error: Error
        exit: str

    class Exit(TypedDict):
        where: str
        code: str

    class Found(TypedDict, total=False):
        """The first attempt to reach the reference, of one kind (result.json's "reference")."""

        name: str
        what: str
        line: int

    class ResultBase(TypedDict):
        import_error: Error | None
        exit: Exit | None
        has_forward: bool
        has_backward: bool
        cases: list[CaseRecord]
        reference: dict[str, Found]

    class Result(ResultBase, total=False):
        """result.json: what the runner writes (with its nonce), as the judge reads it back (found and calls
        always there)."""

        nonce: str
        found: dict[str, str]
        calls: list[CallRecord]
        saturated: list[CaseRecord]  # the judge's own: the saturated cases, split off "cases" (batch.Session)

    # One argument of a planned call: an input array ("in": its key), a dict of them ("dict": [case, part]), an
    # earlier call's returned value ("ret": its id; a part of it by "path"), or a literal ("value")
    ArgSpec = TypedDict(
        "ArgSpec",
        {"in": str, "dict": list[str], "ret": str, "path": list[int | str], "value": object},
        total=False,
    )

    class PlannedCall(TypedDict):
        id: str
        fn: str  # the contract function's name
        args: list[tuple[str, ArgSpec]]  # [name, spec] pairs on the wire

    class Plan(TypedDict):
        names: dict[str, list[str]]  # {contract name: the spellings accepted}
        calls: list[PlannedCall]

    class JobLimits(TypedDict):
        memory_mb: int
        cpu_seconds: int
        file_mb: int
        processes: int

    class JobBase(TypedDict):
        dir: str
        file: str
        cases: int
        nonce: str
        import_timeout: float
        timeout: float
        limits: JobLimits
        own: str  # the server's work folder
        blocked: list[str]
        allowed: list[str]
        roots: list[tuple[str, str]]  # [folder, what it holds] pairs on the wire
        strict: bool
        native: bool

    class Job(JobBase, total=False):
        """One line to the runner: one learner's file to run (child.run_file, policy.rules)."""

        plan: Plan

    class Reply(TypedDict):
        """The runner's answer to one job."""

        killed: str | None  # "import", "run", "processes", "memory"
        status: int | None
        signal: int | None
        cpu: float
        left_behind: int
        seconds: float


NUMERIC = "biuf"
# A case's arrays are keyed "<case>/<part>/<name>" ("3/params/W1", "3/grads/dW1"); X and Y
# are "<case>/X" and "<case>/Y". The judge sends X, Y, params and the handmade cache; the
# learner's process sends back what its forward ("forward": A, "cache") and backward
# ("grads") returned.
PARTS = ("params", "cache", "forward", "grads")
_LENGTH = 8  # the bytes of the index's length (little-endian), the last of the file


def key(case: int | str, part: str, name: str | None = None) -> str:
    """The key of one array of one case: key(3, "grads", "dW1") == "3/grads/dW1"; key(3, "X") == "3/X".

    key(3, "grads", "") == "3/grads/" is the prefix of every key of that part.
    """
    return f"{case}/{part}" if name is None else f"{case}/{part}/{name}"


def case_inputs(
    case: int, X: Array, Y: Array, params: Mapping[str, Array], cache: Mapping[str, Array]
) -> dict[str, Array]:
    """What the judge sends for one case."""
    out = {key(case, "X"): X, key(case, "Y"): Y}
    out.update({key(case, "params", k): v for k, v in params.items()})
    out.update({key(case, "cache", k): v for k, v in cache.items()})
    return out


def take(arrays: Mapping[str, Array], case: int | str, part: str) -> dict[str, Array]:
    """{name: array} of one part of one case (from the index of `Arrays`, or by scanning a plain dict)."""
    if isinstance(arrays, Arrays):
        return dict(arrays.parts.get((str(case), part), {}))
    prefix = key(case, part, "")
    return {k[len(prefix) :]: v for k, v in arrays.items() if k.startswith(prefix)}


class Arrays(dict[str, "Array"]):
    """A dict of arrays keyed as `key` makes them, indexed by (case, part) so that `take` needs no scan."""

    def __init__(self, arrays: Mapping[str, Array]):
        super().__init__(arrays)
        self.parts: dict[tuple[str, str], dict[str, Array]] = {}
        for name, value in arrays.items():
            case, _, rest = name.partition("/")
            part, _, leaf = rest.partition("/")
            self.parts.setdefault((case, part), {})[leaf] = value

    def __setitem__(self, name: str, value: Array) -> None:
        super().__setitem__(name, value)
        case, _, rest = name.partition("/")
        part, _, leaf = rest.partition("/")
        self.parts.setdefault((case, part), {})[leaf] = value


class Writer:
    """Arrays written to the open file `fd` as they come, each one's bytes at once at this writer's own offsets
    (`os.pwrite`: whatever else moves the file's offset cannot shift them); `close` writes the index and cuts the
    file there. An array set here is written now: what is later done to it cannot change what was written.

    A write that fails (the descriptor closed or replaced by the code it runs beside) stops the writer without
    raising; the file it leaves is then not one `unpack` reads, and the reader says so.
    """

    def __init__(self, fd: int):
        self.fd = fd
        self.index: list[list[object]] = []
        self.offset = 0
        self.broken = False

    def __setitem__(self, name: str, value: object) -> None:
        array = np.asarray(value)
        if not array.flags.c_contiguous:  # C order whatever the array's layout (a copy only when it is not)
            array = array.copy(order="C")
        data = array.reshape(-1).data.cast("B") if array.size else memoryview(b"")
        self.index.append([name, array.dtype.str, list(array.shape), self.offset, len(data)])
        self._write(data)

    def update(self, arrays: Mapping[str, object]) -> None:
        for name, value in arrays.items():
            self[name] = value

    def _write(self, data: bytes | memoryview) -> None:
        view = memoryview(data)
        while view and not self.broken:
            try:
                written = os.pwrite(self.fd, view, self.offset)
            except OSError:
                written = 0
            if written <= 0:
                self.broken = True
                return
            view, self.offset = view[written:], self.offset + written

    def close(self) -> None:
        """The index and its length after the data, and nothing after them."""
        head = json.dumps(self.index).encode()
        self._write(head + len(head).to_bytes(_LENGTH, "little"))
        if not self.broken:
            try:
                os.ftruncate(self.fd, self.offset)
            except OSError:
                self.broken = True


def pack(path: str | PathLike[str], arrays: Mapping[str, object]) -> None:
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    try:
        writer = Writer(fd)
        writer.update(arrays)
        writer.close()
        if writer.broken:
            raise OSError(f"could not write {os.fspath(path)!r}")
    finally:
        os.close(fd)


def unpack(path: str | PathLike[str]) -> dict[str, Array]:
    """{name: array}, writable arrays sharing one buffer; ValueError for anything malformed."""
    with open(path, "rb") as fh:
        return unpack_bytes(fh.read())


def unpack_bytes(data: bytes | bytearray) -> dict[str, Array]:
    """`unpack` of a file's bytes already read (by the judge, with a size cap); the arrays are views of a bytearray
    given (made theirs: the caller does not use it again), else of a copy of the bytes."""
    buffer = data if isinstance(data, bytearray) else bytearray(data)
    try:
        if len(buffer) < _LENGTH:
            raise ValueError(f"not an arrays file: {len(buffer)} bytes")
        length = int.from_bytes(buffer[-_LENGTH:], "little")
        end = len(buffer) - _LENGTH - length  # where the data stop and the index starts
        if end < 0:
            raise ValueError(f"not an arrays file: an index of {length} bytes in {len(buffer)}")
        index = json.loads(bytes(buffer[end : len(buffer) - _LENGTH]))
        out = {}
        for name, text, shape, offset, nbytes in index:
            dtype = _plain(text, name)
            if not isinstance(shape, list) or len(shape) > 32 or not all(type(d) is int for d in shape):
                raise ValueError(f"{name!r}: shape {shape!r} is not a list of integers")
            if (
                math.prod(shape) * dtype.itemsize != nbytes
                or min(shape, default=0) < 0
                or offset < 0
                or offset + nbytes > end
            ):
                raise ValueError(f"{name!r}: shape {shape} of {dtype} does not fit its {nbytes} bytes")
            out[name] = np.ndarray(shape, dtype, buffer, offset)  # a view of the buffer, writable
        return out
    except (TypeError, KeyError, OverflowError, UnicodeDecodeError) as exc:  # a malformed index
        raise ValueError(f"not an arrays file: {exc}") from None


_PLAIN: dict[
    str, np.dtype[Any]
] = {}  # the dtype strings met and their dtypes, each parsed once (only plain numbers are kept)


def _plain(text: object, name: object) -> np.dtype[Any]:
    """The dtype `text` names (TypeError when it names none), or ValueError when it is not a plain number or
    `name` is not a string."""
    dtype = _PLAIN.get(text) if isinstance(text, str) else None
    if dtype is None:
        dtype = np.dtype(text)  # type: ignore[call-overload]  # any JSON value: a TypeError when not a dtype's name
        if dtype.kind not in NUMERIC or dtype.hasobject:
            raise ValueError(f"{name!r}: dtype {dtype} is not a plain number")
        if isinstance(text, str) and len(_PLAIN) < 64:
            _PLAIN[text] = dtype
    if not isinstance(name, str):
        raise ValueError(f"{name!r}: dtype {dtype} is not a plain number")
    return dtype
