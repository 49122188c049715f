"""torch twins of the handmade models, the registry of pairs, and the checks that hold them together.

Importing this package is cheap (torch loads on first use):

    import torchref
    report = torchref.check("derivation.py", model="shallow")        # a learner's file (.py or .ipynb)
    report = torchref.check(backward=backward, model="shallow")      # functions defined in a notebook
    torchref.assert_derivation("derivation.py", model="shallow")      # AssertionError with the report
"""


def check(path=None, model: str | None = None, *, backward=None, forward=None, source=None, **kwargs):
    """Judge a derivation and return its report (`torchref.derivation.FileReport`).

    Give one of:
    - `path`: a `.py` file, or a `.ipynb` notebook (its code cells that define the functions);
    - `backward=fn` (and `forward=fn`): functions, e.g. just defined in a notebook; their
      source, and the imports, helpers and constants they use, run in the judge's own process;
    - `source=`: a cell's text (str) or a file's bytes (`path`, if given, names it).
    A function given first is the backward: `torchref.check(backward, model="shallow")`.

    Options as for `torchref check`: cases=20, seed, dtypes, timeout, import_timeout, memory_mb.
    In Jupyter the report shows as a table; `print(report)` gives the terminal's table.
    """
    from pathlib import Path

    from torchref.derivation import check as judge
    from torchref.derivation import sources
    from torchref.derivation.judge import check_option_names

    if callable(path) and not isinstance(path, (str, bytes, Path)):  # torchref.check(backward, model=...)
        if backward is not None:
            raise TypeError("give the function once: torchref.check(backward, model=...) or backward=...")
        path, backward = None, path
    if model is None:
        raise TypeError("model is required: torchref.check(..., model='shallow')")
    check_option_names(kwargs)
    given = [name for name, v in (("path", path), ("backward", backward), ("source", source)) if v is not None]
    if forward is not None and backward is None:
        raise TypeError("forward=... needs backward=... too (backward is what is judged)")
    if not given or (len(given) > 1 and given != ["path", "source"]):
        raise TypeError(f"give one of path, backward=fn or source=..., got {', '.join(given) or 'none'}")
    if backward is not None:
        src = sources.from_functions(backward, forward)
        data = src.text.encode("utf-8")
    elif isinstance(source, str):
        src = sources.from_text(source, Path(path).name if path is not None else "cell")
        data = src.text.encode("utf-8")
    elif source is not None or str(path).endswith(".ipynb"):
        if source is None:
            entry = sources.read(Path(path), model)
        elif isinstance(source, bytes):
            entry = sources.submission(Path(path if path is not None else "cell.py"), source, "", model)
        else:
            raise TypeError(f"source must be the cell's text (str) or a file's bytes, got {type(source).__name__}")
        if not entry.judged:
            return entry.report
        return sources.finish(entry, judge(sources.judge_path(entry), model, source=entry.data, **kwargs))
    else:
        return judge(path, model, **kwargs)
    report = judge(Path(src.pyname), model, source=data, **kwargs)
    report.file = src.name
    return src.relabel(report)


def assert_derivation(path=None, model: str | None = None, **kwargs):
    """Raise AssertionError (first line: the verdict and the first wrong link) unless the derivation passes."""
    report = check(path, model, **kwargs)
    if report.verdict != "pass":
        raise AssertionError(f"{report.headline()}\n\n{report.table()}")
    return report
