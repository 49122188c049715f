"""Figures and the Markdown report of `torchref compare` (matplotlib, Agg backend, PNG)."""

from __future__ import annotations

from pathlib import Path

import numpy as np

from torchref import install_hint

try:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    from matplotlib.colors import ListedColormap, to_rgb
    from matplotlib.patches import Patch
    from matplotlib.ticker import NullLocator
except ImportError as exc:
    raise ImportError(f"torchref compare draws its figures with matplotlib: {install_hint('plots')}") from exc

COLOURS = {"handmade": "tab:blue", "torch": "tab:orange"}
CLASS_COLOURS = ["tab:red", "tab:blue", "tab:green", "tab:purple", "tab:brown"]


def _save(fig, path: Path) -> Path:
    fig.savefig(path, dpi=90, bbox_inches="tight")
    plt.close(fig)
    return path


def run_parameters(run) -> str:
    """The run's settings as a figure states them: "h = 4, lr = 1.2, 10,000 steps" (a fitted model: "fitted")."""
    if not run.steps:
        return "fitted"
    parts = [f"h = {', '.join(map(str, run.hidden))}"] if run.hidden else []
    return ", ".join([*parts, f"lr = {run.lr:g}", f"{run.steps:,} steps"])


def loss_curves(run, path: Path) -> Path:
    """Both loss curves overlaid (handmade solid, torch dashed on top of it); both accuracies on a right axis.

    The legend sits below the axes, so that no curve runs under it.
    """
    fig, ax = plt.subplots(figsize=(6.4, 4.2))
    right = ax.twinx()
    for side, style in (("handmade", "-"), ("torch", "--")):
        width = 2.4 if side == "handmade" else 1.4
        ax.plot(run.loss[side], style, color=COLOURS[side], label=f"{side} loss", linewidth=width)
        right.plot(
            run.accuracy_steps,
            run.accuracy[side],
            style,
            color=COLOURS[side],
            linewidth=width,
            marker="o" if side == "handmade" else None,
            markevery=max(1, len(run.accuracy_steps) // 10),
            markersize=4,
            label=f"{side} accuracy",
        )
    ax.set(xlabel="step", ylabel="loss J")
    ax.set_title(f"{run.model} on {run.data}: loss and training accuracy\n{run_parameters(run)}", fontsize="medium")
    right.set(ylabel="training accuracy (o)", ylim=(0, 1.05))
    lines = ax.get_lines() + right.get_lines()
    ax.legend(
        lines,
        [line.get_label() for line in lines],
        fontsize="small",
        ncol=2,
        loc="upper center",
        bbox_to_anchor=(0.5, -0.16),
    )
    return _save(fig, path)


def decision_boundaries(run, path: Path) -> Path:
    """Each side's final decision regions, by its own forward pass, side by side, with the data and a class legend."""
    X, y = run.X, run.Y.argmax(axis=1) if run.Y.shape[1] > 1 else run.Y[:, 0].astype(int)
    classes = max(2, run.Y.shape[1])
    points = CLASS_COLOURS[:classes]
    regions_cmap = ListedColormap([0.7 * np.array([1, 1, 1]) + 0.3 * np.array(to_rgb(c)) for c in points])
    if run.pair.boolean_inputs:  # the four corners of the unit square are every input there is
        g0, g1 = np.meshgrid([0.0, 1.0], [0.0, 1.0])
    else:
        pad = 0.25 * (X.max(axis=0) - X.min(axis=0)) + 0.1
        lo, hi = X.min(axis=0) - pad, X.max(axis=0) + pad
        g0, g1 = np.meshgrid(np.linspace(lo[0], hi[0], 200), np.linspace(lo[1], hi[1], 200))
    grid = np.column_stack([g0.ravel(), g1.ravel()]).astype(X.dtype)
    fig, axes = plt.subplots(1, 2, figsize=(9, 4.4), sharey=True)
    for ax, side in zip(axes, ("handmade", "torch")):
        regions = run.predict(side, grid).reshape(g0.shape)
        if run.pair.boolean_inputs:
            ax.imshow(
                regions, origin="lower", extent=(-0.5, 1.5, -0.5, 1.5), cmap=regions_cmap, vmin=0, vmax=classes - 1
            )
        else:
            ax.contourf(g0, g1, regions, levels=np.arange(classes + 1) - 0.5, cmap=regions_cmap)
        for c in range(classes):
            mine = y == c
            ax.scatter(
                X[mine, 0], X[mine, 1], color=points[c], s=14 if len(X) > 50 else 60, edgecolors="k", linewidths=0.3
            )
        ax.set(title=f"{side}: accuracy {run.accuracy[side][-1]:.1%}", xlabel="x1")
    axes[0].set_ylabel("x2")
    handles = [
        h
        for c in range(classes)
        for h in (
            plt.Line2D([], [], marker="o", linestyle="", color=points[c], markeredgecolor="k", label=f"class {c}"),
            Patch(color=regions_cmap(c), label=f"predicted {c}"),
        )
    ]
    fig.legend(handles=handles, loc="lower center", ncol=2 * classes, fontsize="small", bbox_to_anchor=(0.5, -0.02))
    fig.suptitle(f"{run.model} on {run.data}: decision boundaries ({run_parameters(run)})")
    fig.tight_layout(rect=(0, 0.06, 1, 1))
    return _save(fig, path)


def drift(run, path: Path) -> Path:
    """max |handmade − torch| over all parameters, per step, on a log axis (0 drawn at 1e-18), under the tolerance."""
    fig, ax = plt.subplots(figsize=(6.4, 3.8))
    ax.semilogy(np.maximum(run.drift, 1e-18), color="tab:green", label="max |parameter difference|")
    tol = run.tolerance
    ax.axhline(
        tol.atol, color="tab:red", linestyle="--", label=f"tolerance: atol {tol.atol:g} + rtol {tol.rtol:g}·|torch|"
    )
    ax.set(
        xlabel="step",
        ylabel="max |param difference|",
        ylim=(1e-19, max(tol.atol, run.drift.max()) * 30),
    )
    ax.set_title(f"{run.model} on {run.data}: drift between twins\n{run_parameters(run)}", fontsize="medium")
    ax.yaxis.set_minor_locator(NullLocator())  # a labelled tick per decade is enough
    ax.legend(fontsize="small", ncol=2, loc="upper center", bbox_to_anchor=(0.5, -0.16))
    return _save(fig, path)


def sweep_title(runs) -> str:
    first = runs[0]
    return f"{first.model} on {first.data}: hidden-size sweep (lr = {first.lr:g}, {first.steps:,} steps each)"


def hidden_sweep(runs, path: Path) -> Path:
    """Training accuracy against hidden size, both twins."""
    sizes = [r.hidden[0] for r in runs]
    fig, ax = plt.subplots(figsize=(6.4, 3.8))
    for side, marker in (("handmade", "o-"), ("torch", "x--")):
        ax.plot(sizes, [r.accuracy[side][-1] for r in runs], marker, color=COLOURS[side], label=side)
    ax.set_xscale("log")
    ax.set_xticks(sizes, [str(h) for h in sizes])
    ax.xaxis.set_minor_locator(NullLocator())
    ax.set(xlabel="hidden units h", ylabel="training accuracy")
    ax.set_title(sweep_title(runs), fontsize="medium")
    ax.legend()
    return _save(fig, path)


def report(runs, sweeps, out: Path) -> Path:
    """Write every figure and report.md (a table of final numbers, figures beside it) into `out`.

    `sweeps`: hidden-size sweeps, each a list of runs of one model that differ in h.
    """
    out = Path(out)
    out.mkdir(parents=True, exist_ok=True)
    lines = [
        "# Handmade NumPy against torch, trained side by side",
        "",
        "| model | data | steps | lr | loss (handmade / torch) | accuracy (handmade / torch) | max drift | s |",
        "|---|---|---|---|---|---|---|---|",
    ]
    for run in runs:
        s = run.summary()
        lines.append(
            f"| {s['model']} | {s['data']} | {s['steps']} | {s['lr']:g} | {s['loss_handmade']:.4f} / "
            f"{s['loss_torch']:.4f} | {s['accuracy_handmade']:.1%} / {s['accuracy_torch']:.1%} | "
            f"{s['max_drift']:.1e} | {s['seconds']:.1f} |"
        )
    for run in runs:
        stem = f"{run.model}-{run.data}"
        lines += ["", f"## {run.model} on {run.data}", ""]
        names = [decision_boundaries(run, out / f"{stem}-boundary.png").name]
        if run.steps:
            names += [loss_curves(run, out / f"{stem}-loss.png").name, drift(run, out / f"{stem}-drift.png").name]
        lines += [f"![{name}]({name})" for name in names]
    for sweep in sweeps:
        name = hidden_sweep(sweep, out / f"{sweep[0].model}-hidden-sweep.png").name
        lines += ["", f"## {sweep_title(sweep)}", ""]
        lines += ["| h | accuracy (handmade / torch) |", "|---|---|"]
        lines += [
            f"| {r.hidden[0]} | {r.accuracy['handmade'][-1]:.1%} / {r.accuracy['torch'][-1]:.1%} |" for r in sweep
        ]
        lines += ["", f"![{name}]({name})"]
    path = out / "report.md"
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path
