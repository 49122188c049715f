"""A class judged on several machines and joined again.

    torchref check class/ --model shallow --recursive --seed 7 --shard 2/4 --json shard-2.json   # on each machine
    torchref merge shard-*.json --csv grades.csv --html report/                                    # once, anywhere

Which shard judges a student: the SHA-256 of the student's key, read as a number, modulo N
(shard K judges the students whose remainder is K - 1). The key is the entry's first path
component under the folder checked, without its .py or .ipynb suffix: the student's folder
with --recursive, the student's file in a flat folder (alice.py and alice.ipynb are one
student's). Nothing else enters it (not the other students, not the seed, not the machine), so
every shard computes the same split on its own, every file of a student lands in one shard,
and adding or removing a student moves no other student.

Every shard must judge the same cases: the seed is given (--seed) or taken from TORCHREF_SEED,
never drawn per shard (a secret seed from TORCHREF_SEED is recorded as "secret" and a
fingerprint that does not give it back, `cases.recorded_seed`). A shard's --json document is
the folder's document (its "files" are the shard's own entries) with a "shard" object that the
merge checks before joining anything:

    "shard": {"index": K, "count": N, "seed": S, "model": ..., "options": {every option that
              changes a verdict}, "root": the folder as given, "entries": how many entries the
              whole folder has, "listing": SHA-256 of their relative paths, "folder": the
              folder's absolute path,
              "positions": [each file's place in the whole listing],
              "sources": [each file's code as the class report shows it, or null]}

The merge refuses (one line each) a document that is not a shard, shards of different seeds,
models, options or folder listings, a shard given twice, a missing one, and a shard that was
interrupted; then it orders the reports as the whole folder lists them, so its gradebook,
Gradescope, platform and class-report outputs are those of one run over the whole folder with
the same seed. What may differ between the two is what differs between any two runs: the time
each file took (`seconds`, Gradescope's `execution_time`).
"""

from __future__ import annotations

import dataclasses
import hashlib
import json
import os
from pathlib import Path

from torchref.checker.escape import clean
from torchref.checker.intake import Source
from torchref.checker.report import SCHEMA, FileReport, TensorVerdict
from torchref.checker.submission import Submission, owner


class ShardError(ValueError):
    """Shards that cannot be joined into one class: the message names the shard and what differs."""


def parse(text: str) -> tuple[int, int]:
    """`K/N` as (K, N) with 1 <= K <= N; ValueError naming what was expected otherwise."""
    k, _, n = str(text).partition("/")
    try:
        index, count = int(k), int(n)
    except ValueError:
        index = count = 0
    if count < 1 or not 1 <= index <= count:
        raise ValueError(f"expected K/N with 1 <= K <= N (shard K of N), got {text!r}")
    return index, count


def key(path, root) -> str:
    """The student an entry belongs to, as the split sees it: its first path component under `root`, unsuffixed
    ("" for the file that was checked itself)."""
    # both escaped as a report's file is (clean is idempotent): a report's name and the raw path give one key
    return owner(clean(os.path.abspath(path)), clean(os.path.abspath(root)))


def shard_of(student: str, count: int) -> int:
    """The shard (1..count) that judges `student`: SHA-256 of the key's UTF-8 bytes, modulo count."""
    digest = hashlib.sha256(student.encode("utf-8", "surrogateescape")).digest()
    return int.from_bytes(digest[:8], "big") % count + 1


def select(found: list[Submission], root, index: int, count: int) -> list[int]:
    """The positions in `found` (the whole folder's listing) of the entries shard `index` of `count` judges."""
    return [i for i, entry in enumerate(found) if shard_of(key(entry.path, root), count) == index]


def listing(found: list[Submission], root) -> str:
    """A fingerprint of the folder's listing: the SHA-256 of every entry's path under `root`, in order."""
    paths = "\n".join(os.path.relpath(os.path.abspath(e.path), os.path.abspath(root)) for e in found)
    return hashlib.sha256(paths.encode("utf-8", "surrogateescape")).hexdigest()


def describe(found, root, positions, index, count, seed, model, options) -> dict:
    """The "shard" object of a shard's --json document (the module's docstring lists its fields)."""
    return {
        "index": index,
        "count": count,
        "seed": seed,
        "model": model,
        "options": options,
        "root": str(root),
        "folder": os.path.abspath(root),
        "entries": len(found),
        "listing": listing(found, root),
        "positions": positions,
        "sources": [_source(found[i].source) for i in positions],
    }


def _source(source: Source | None) -> dict | None:
    if source is None:
        return None
    return {"name": source.name, "text": source.text, "labels": source.labels, "prefix": source.prefix}


# ---- joining ---------------------------------------------------------------------------------


@dataclasses.dataclass
class Merged:
    """The whole class as one run over the folder would have listed it."""

    model: str
    root: Path
    seed: int | str  # a secret one: cases.recorded_seed
    options: dict
    found: list  # Submission per report: what the class report shows of each (its code)
    reports: list  # FileReport, in the folder's order


# what every shard must share, as (field of "shard", what the refusal calls it)
SHARED = (("count", "shard count"), ("seed", "seed"), ("model", "model"), ("options", "options"), ("entries", "folder"))


def merge(documents: list[tuple[str, dict]]) -> Merged:
    """Join shard documents ((name, parsed JSON) each) into one class; ShardError says why they cannot be."""
    if not documents:
        raise ShardError("give the shards' --json files")
    shards = []
    for name, document in documents:
        shard = document.get("shard") if isinstance(document, dict) else None
        if not isinstance(shard, dict):
            raise ShardError(f'{name} is not a shard\'s --json (no "shard": run `torchref check DIR --shard K/N`)')
        if document.get("interrupted"):
            raise ShardError(f"{name}: shard {shard['index']}/{shard['count']} was interrupted: run it again")
        if document.get("schema") != SCHEMA:
            raise ShardError(f"{name}: schema {document.get('schema')!r}, this torchref reads {SCHEMA}")
        shards.append((name, shard, document))
    first_name, first, _ = shards[0]
    for name, shard, _ in shards[1:]:
        for field, what in SHARED:
            if shard[field] != first[field]:
                raise ShardError(
                    f"{name} and {first_name} differ in their {what} ({_short(shard[field])} and "
                    f"{_short(first[field])}): every shard must run with the same arguments and seed"
                )
        if shard["listing"] != first["listing"]:
            raise ShardError(
                f"{name} and {first_name} listed different folders (the same number of entries, other names): "
                "run every shard on the same copy of the class"
            )
    seen: dict[int, str] = {}
    for name, shard, _ in shards:
        if shard["index"] in seen:
            raise ShardError(f"shard {shard['index']}/{shard['count']} given twice: {seen[shard['index']]} and {name}")
        seen[shard["index"]] = name
    missing = [k for k in range(1, first["count"] + 1) if k not in seen]
    if missing:
        listed = ", ".join(f"{k}/{first['count']}" for k in missing)
        raise ShardError(f"shard {listed} missing: the merge needs all {first['count']} shards")
    # the folder as the shards were given it when that names the same folder here, else its absolute path
    folder = first["folder"]
    root = Path(first["root"]) if os.path.abspath(first["root"]) == folder else Path(folder)
    placed: dict[int, tuple[FileReport, Submission]] = {}
    for name, shard, document in shards:
        files, positions, sources = document.get("files", []), shard["positions"], shard["sources"]
        if not (len(files) == len(positions) == len(sources)):
            raise ShardError(f"{name}: {len(files)} files for {len(positions)} positions: the file was changed")
        for position, data, source in zip(positions, files, sources):
            report = from_json(data, name)
            report.file = _rebased(report.file, shard["folder"], folder)
            placed[position] = (report, _entry(report, source))
    if sorted(placed) != list(range(first["entries"])):
        raise ShardError(f"the shards hold {len(placed)} of the folder's {first['entries']} entries")
    ordered = [placed[i] for i in range(first["entries"])]
    return Merged(
        first["model"], root, first["seed"], first["options"], [e for _, e in ordered], [r for r, _ in ordered]
    )


def _short(value) -> str:
    text = json.dumps(value, sort_keys=True, ensure_ascii=False)
    return text if len(text) <= 80 else text[:77] + "..."


def _rebased(file: str, shard_folder: str, folder: str) -> str:
    """A shard's file named under the first shard's folder (shards may mount the class at different places)."""
    relative = os.path.relpath(file, shard_folder)
    return file if relative.startswith("..") else os.path.join(folder, relative)


def _entry(report: FileReport, source: dict | None) -> Submission:
    code = None if source is None else Source(source["name"], source["text"], source["labels"], [], source["prefix"])
    return Submission(Path(report.file), report.student, code, b"", None if code is not None else report)


def from_json(data: dict, name: str = "the document") -> FileReport:
    """A FileReport from its to_json() (what a shard wrote); ShardError when it is not one."""
    fields = {f.name for f in dataclasses.fields(FileReport)}
    try:
        values = {k: v for k, v in data.items() if k in fields}
        values["tensors"] = [TensorVerdict.from_json(t) for t in data["tensors"]]
        return FileReport(**values)
    except (TypeError, KeyError, AttributeError) as exc:
        raise ShardError(f"{name}: a file's report is not one torchref wrote ({type(exc).__name__}: {exc})") from None
