"""`torchref.check` called as a notebook or a grading script calls it, in a process of its own; what a caller can
read of the report (its JSON, its table, its summary, its notebook view) printed as one UTF-8 JSON document.

    python drive_api.py '{"path": "<the path's bytes, hex>", "model": "shallow", "options": {...}}'
    python drive_api.py '{"module": "<a notebook cell saved as a .py>", "model": "shallow", "options": {...}}'

With "module", the cell's `backward` (and `forward`, if any) are passed as function objects. A ValueError or
TypeError raised for the caller (the API's way to refuse a function it cannot judge, as a lambda) is printed as
{"raised": ..., "message": ...}; anything else is a crash of the judge.
"""

import importlib.util
import json
import os
import sys

import torchref


def _report(request):
    options = request["options"]
    if "module" in request:
        path = request["module"]
        spec = importlib.util.spec_from_file_location(os.path.basename(path)[:-3], path)
        module = importlib.util.module_from_spec(spec)
        sys.modules[spec.name] = module
        spec.loader.exec_module(module)
        forward = getattr(module, "forward", None)
        return torchref.check(backward=module.backward, forward=forward, model=request["model"], **options)
    return torchref.check(os.fsdecode(bytes.fromhex(request["path"])), request["model"], **options)


def main(request) -> None:
    try:
        report = _report(request)
    except (ValueError, TypeError) as exc:
        shown = {"raised": type(exc).__name__, "message": str(exc)}
    else:
        shown = {
            "json": report.to_json(),
            "table": report.table(),
            "summary": report.summary(),
            "html": report._repr_html_(),
        }
    sys.stdout.buffer.write(json.dumps(shown, ensure_ascii=False).encode("utf-8"))


if __name__ == "__main__":
    main(json.loads(sys.argv[1]))
