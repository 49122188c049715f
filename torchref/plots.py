"""Figures and the Markdown report of `torchref compare` (matplotlib, Agg backend, PNG)."""

from __future__ import annotations

from pathlib import Path

import numpy as np

try:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    from matplotlib.ticker import NullLocator
except ImportError as exc:  # pragma: no cover - the [plots] extra is installed by scripts/setup
    raise ImportError("torchref compare draws with matplotlib: pip install 'torchref[plots]'") from exc

COLOURS = {"handmade": "tab:blue", "torch": "tab:orange"}


def _save(fig, path: Path) -> Path:
    fig.tight_layout()
    fig.savefig(path, dpi=90)
    plt.close(fig)
    return path


def loss_curves(run, path: Path) -> Path:
    """Both loss curves overlaid (handmade solid, torch dashed on top of it), and both accuracies on a right axis."""
    fig, ax = plt.subplots(figsize=(6, 3.6))
    right = ax.twinx()
    for side, style in (("handmade", "-"), ("torch", "--")):
        width = 2 if side == "handmade" else 1.2
        ax.plot(run.loss[side], style, color=COLOURS[side], label=f"{side} loss", linewidth=width)
        right.plot(
            run.accuracy_steps,
            run.accuracy[side],
            style,
            color=COLOURS[side],
            alpha=0.6,
            linewidth=width / 2,
            label=f"{side} accuracy",
        )
    ax.set(xlabel="step", ylabel="loss J", title=f"{run.model} on {run.data}: loss and training accuracy")
    right.set(ylabel="training accuracy", ylim=(0, 1.05))
    lines = ax.get_lines() + right.get_lines()
    ax.legend(lines, [line.get_label() for line in lines], fontsize="small", loc="center right")
    return _save(fig, path)


def decision_boundaries(run, path: Path) -> Path:
    """Each side's final decision regions, by its own forward pass, side by side, with the data."""
    X, y = run.X, run.Y.argmax(axis=1) if run.Y.shape[1] > 1 else run.Y[:, 0]
    pad = 0.25 * (X.max(axis=0) - X.min(axis=0)) + 0.1
    lo, hi = X.min(axis=0) - pad, X.max(axis=0) + pad
    points = 2 if run.model == "mp_neuron" else 200  # the MP neuron takes boolean inputs only
    g0, g1 = np.meshgrid(np.linspace(lo[0], hi[0], points), np.linspace(lo[1], hi[1], points))
    if run.model == "mp_neuron":
        g0, g1 = np.meshgrid([0.0, 1.0], [0.0, 1.0])
    grid = np.column_stack([g0.ravel(), g1.ravel()]).astype(X.dtype)
    fig, axes = plt.subplots(1, 2, figsize=(9, 4), sharey=True)
    for ax, side in zip(axes, ("handmade", "torch")):
        regions = run.predict(side, grid).reshape(g0.shape)
        if run.model == "mp_neuron":
            ax.imshow(regions, origin="lower", extent=(-0.5, 1.5, -0.5, 1.5), cmap="Pastel1_r", vmin=0, vmax=1)
        else:
            ax.contourf(g0, g1, regions, levels=[-0.5, 0.5, 1.5], colors=["#c6dbef", "#fdd0a2"])
        ax.scatter(X[:, 0], X[:, 1], c=y, cmap="coolwarm", s=12, edgecolors="k", linewidths=0.3)
        ax.set(title=f"{side}: accuracy {run.accuracy[side][-1]:.1%}", xlabel="x1")
    axes[0].set_ylabel("x2")
    fig.suptitle(f"{run.model} on {run.data}: decision boundaries")
    return _save(fig, path)


def drift(run, path: Path) -> Path:
    """max |handmade − torch| over all parameters, per step, on a log axis (0 drawn at 1e-18)."""
    fig, ax = plt.subplots(figsize=(6, 3.6))
    ax.semilogy(np.maximum(run.drift, 1e-18), color="tab:green")
    ax.set(
        xlabel="step",
        ylabel="max |param difference|",
        title=f"{run.model} on {run.data}: drift between twins",
        ylim=(1e-19, max(1e-12, run.drift.max() * 10)),
    )
    ax.yaxis.set_minor_locator(
        NullLocator()
    )  # a labelled tick per decade is enough; minor ones doubled the drawing time
    return _save(fig, path)


def hidden_sweep(runs, path: Path) -> Path:
    """Training accuracy against hidden size, both twins."""
    sizes = [r.hidden[0] for r in runs]
    fig, ax = plt.subplots(figsize=(6, 3.6))
    for side, marker in (("handmade", "o-"), ("torch", "x--")):
        ax.plot(sizes, [r.accuracy[side][-1] for r in runs], marker, color=COLOURS[side], label=side)
    ax.set_xscale("log")
    ax.set_xticks(sizes, [str(h) for h in sizes])
    ax.set(xlabel="hidden units h", ylabel="training accuracy", title=f"shallow network on {runs[0].data}: hidden size")
    ax.legend()
    return _save(fig, path)


def report(runs, sweep, out: Path) -> Path:
    """Write every figure and report.md (a table of final numbers, figures beside it) into `out`."""
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
    if sweep:
        name = hidden_sweep(sweep, out / "shallow-hidden-sweep.png").name
        lines += ["", "## Hidden-size sweep (shallow network)", "", "| h | accuracy (handmade / torch) |", "|---|---|"]
        lines += [
            f"| {r.hidden[0]} | {r.accuracy['handmade'][-1]:.1%} / {r.accuracy['torch'][-1]:.1%} |" for r in sweep
        ]
        lines += ["", f"![{name}]({name})"]
    path = out / "report.md"
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path
