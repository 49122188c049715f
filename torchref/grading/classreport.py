"""The class report a teacher reads in a browser: static pages, no server, no network.

    torchref check submissions/ --model shallow --html report/

writes `index.html` (counts of students, the score distribution, the mistakes ranked by how
many students made them, per function of the contract how many students got it wrong and
with which mistakes, the files another student handed in the same bytes of, a table of every
file sortable by each column, its warnings included: a backward that differentiates without
the notes' formulas is flagged there), one page per
submission under `s/` (verdict, first wrong link, cause, the learner's code with that line
marked, the small case, their printed output) and `report.json` with the same data. The
figures are PNGs inside the pages (base64), so the folder can be zipped and mailed. Students
are counted by the file they are graded by (rubric: their best), so a student with two
files counts once; the table and the pages show every file. Every
text that comes from a learner (file and folder names, their code, messages, output) is
escaped: it shows as text, never as markup or script.

It stays one module of about 450 lines: the index, the pages, the figures and report.json are
written from the same groups of students and mistakes, with the same escaping.
"""

from __future__ import annotations

import base64
import io
from collections import Counter
from html import escape
from pathlib import Path

from torchref import install_hint
from torchref.checker.escape import clean, visible
from torchref.checker.report import (
    SCHEMA,
    VERDICT_COLOURS,
    VERDICT_COUNTED,
    VERDICT_WORDS,
    FileReport,
    repair_text,
)
from torchref.grading.gradebook import by_student
from torchref.grading.rubric import graded
from torchref.grading.writers import label, write_file, write_json

STYLE = """
body { font: 15px/1.45 system-ui, sans-serif; margin: 2em auto; max-width: 72em; padding: 0 1em; color: #1f2328 }
h1 { font-size: 1.5em } h2 { font-size: 1.2em; margin-top: 1.6em }
.counts { display: flex; gap: 1em; flex-wrap: wrap }
.count { border: 1px solid #d0d7de; border-radius: 6px; padding: .5em 1em; min-width: 8em }
.count b { font-size: 1.6em; display: block }
table { border-collapse: collapse; margin: .5em 0 } td, th { border-bottom: 1px solid #d0d7de; padding: .25em .6em;
  text-align: left; vertical-align: top }
#submissions th { cursor: pointer; user-select: none; background: #f6f8fa }
#submissions th[data-order=asc]::after { content: " ▲" } #submissions th[data-order=desc]::after { content: " ▼" }
.verdict { font-weight: 600 } .code td { font: 13px/1.35 ui-monospace, monospace; border: 0; padding: 0 .6em;
  white-space: pre } .code td.n { color: #57606a; text-align: right } tr.mark { background: #ffebe9 }
tr.mark td.n::before { content: "▶ " } pre { background: #f6f8fa; padding: .6em; overflow-x: auto }
img { max-width: 100% }
"""
# sorts the table by the clicked column: numbers by value (data-value), text alphabetically; a second click reverses
SORT_SCRIPT = """
document.querySelectorAll("#submissions th").forEach((th, col) => th.addEventListener("click", () => {
  const body = th.closest("table").tBodies[0];
  const asc = th.dataset.order !== "asc";
  th.parentNode.querySelectorAll("th").forEach(h => delete h.dataset.order);
  th.dataset.order = asc ? "asc" : "desc";
  const key = row => row.cells[col].dataset.value ?? row.cells[col].textContent;
  const cmp = th.dataset.type === "number" ? (a, b) => a - b : (a, b) => a.localeCompare(b);
  [...body.rows].sort((a, b) => (asc ? 1 : -1) * cmp(key(a), key(b))).forEach(row => body.appendChild(row));
}));
"""


def mistake_key(report: FileReport) -> str:
    """What groups learners who made the same mistake: its catalogue name, else the cause's text."""
    return report.mistake or report.explanation() or report.reason


def counted(reports: list[FileReport], root) -> list[int]:
    """The position of the report each student is counted by: the file they are graded by, else their first entry."""
    out = []
    for where in by_student([r.file for r in reports], root).values():
        best = graded([reports[i] for i in where])
        out.append(next((i for i in where if reports[i] is best), where[0]))
    return out


def mistakes(reports: list[FileReport], among: list[int] | None = None) -> list[tuple[str, str, list[int]]]:
    """(key, what a teacher reads, indexes of the reports) per mistake of the wrong reports at the positions `among`
    (default all), most made first."""
    groups: dict[str, list[int]] = {}
    for i in range(len(reports)) if among is None else among:
        r = reports[i]
        if r.verdict == "wrong":
            groups.setdefault(mistake_key(r), []).append(i)
    ranked = sorted(groups.items(), key=lambda kv: (-len(kv[1]), kv[0]))
    return [
        (key, group_cause(key, [(reports[i].first_wrong, member_cause(reports[i])) for i in members]), members)
        for key, members in ranked
    ]


def group_cause(key: str, members: list[tuple[str, str]]) -> str:
    """What a group of the same mistake says, from its members' (link, own cause): the first member's sentence when
    they share one link; the key with every link (`no-1/m (at dW1, dW2)`) when the same mistake is at several, each
    member's own cause then said beside its name."""
    links = sorted({link for link, _ in members})
    if len(links) == 1:
        return members[0][1]
    return f"{key} (at {', '.join(link for link in links if link)})"


def piece_counts(reports: list[FileReport], among: list[int] | None = None) -> list[dict]:
    """Per function of the contract, over the reports at the positions `among` (default all): how many judged it,
    how many got it wrong, and the mistake groups among those (a piece's catalogue mistake, else its cause, else
    the value that differs), most made first. Every wrong piece counts, not only a report's first."""
    order, judged, groups = [], {}, {}
    for i in range(len(reports)) if among is None else among:
        for p in reports[i].pieces:
            name = p.get("name", "")
            order.append(name)
            if p.get("status") != "judged":
                continue
            judged[name] = judged.get(name, 0) + 1
            if p.get("verdict") == "wrong":
                if name == reports[i].first_wrong_piece:  # the report's own words (a backward's chain says them there)
                    r = reports[i]
                    p = {**p, "mistake": r.mistake, "cause": r.explanation() or r.reason, "first_wrong": r.first_wrong}
                key = p.get("mistake") or p.get("cause") or _unexplained(p)
                groups.setdefault(name, {}).setdefault(key, []).append((i, p))
    out = []
    for name in dict.fromkeys(order):
        if not judged.get(name):
            continue
        ranked = sorted(groups.get(name, {}).items(), key=lambda kv: (-len(kv[1]), kv[0]))
        mistakes = [
            {
                "key": key,
                "cause": group_cause(key, [(p.get("first_wrong", ""), _piece_cause(p)) for _, p in members]),
                "members": members,
            }
            for key, members in ranked
        ]
        wrong = sum(len(m["members"]) for m in mistakes)
        out.append({"name": name, "judged": judged[name], "wrong": wrong, "mistakes": mistakes})
    return out


def _piece_cause(piece: dict) -> str:
    """One submission's own value and cause for a wrong function: `at dW2: dW2 lacks the 1/m ...`."""
    cause, first = piece.get("cause"), piece.get("first_wrong")
    if not cause:
        return _unexplained(piece)
    return f"at {first}: {cause}" if first else cause


def _unexplained(piece: dict) -> str:
    first = piece.get("first_wrong")
    return f"{first} differs from the reference (no cause verified)" if first else "wrong (no cause verified)"


def member_cause(r: FileReport) -> str:
    """One submission's own link and cause: `at dW2: dW2 lacks the 1/m ...`."""
    text = r.explanation() or r.reason
    return f"at {r.first_wrong}: {text}" if r.first_wrong else text


def write(out, found, reports: list[FileReport], root, model: str, hide: bool = False) -> Path:
    """Write the report into the folder `out` (made if needed); return the path of index.html."""
    out, root = Path(out), Path(root)
    for folder in (out, out / "s"):  # a link planted where the report goes is replaced, not followed
        if folder.is_symlink():
            folder.unlink()
        folder.mkdir(parents=True, exist_ok=True)
    for old in (out / "s").glob("[0-9][0-9][0-9][0-9].html"):  # an earlier report's pages
        old.unlink()
    names = [label(r, root) for r in reports]
    pages = [f"s/{i + 1:04d}.html" for i in range(len(reports))]  # numbered: a learner's name is never a path
    students = counted(reports, root)
    ranked = mistakes(reports, students)
    by_piece = piece_counts(reports, students)
    figures = _figures([reports[i] for i in students], ranked)
    for i, (entry, r) in enumerate(zip(found, reports)):
        write_file(out / pages[i], _page(r, names[i], entry.source, model, hide))
    write_file(out / "index.html", _index(reports, students, names, pages, ranked, by_piece, figures, root, model))
    document = {
        "schema": "torchref.class/1",
        "model": model,
        "students": len(students),
        "counts": dict(Counter(reports[i].verdict for i in students)),  # of students, by the file each is graded by
        "scores": sorted(Counter(reports[i].score for i in students if reports[i].verdict != "skipped").items()),
        "mistakes": [
            {
                "key": k,
                "cause": text,
                "count": len(m),
                "files": [names[i] for i in m],
                "members": [{"file": names[i], "cause": member_cause(reports[i])} for i in m],
            }
            for k, text, m in ranked
        ],
        "pieces": [
            {
                "name": piece["name"],
                "judged": piece["judged"],
                "wrong": piece["wrong"],
                "mistakes": [
                    {
                        "key": m["key"],
                        "cause": m["cause"],
                        "count": len(m["members"]),
                        "files": [names[i] for i, _ in m["members"]],
                        "members": [{"file": names[i], "cause": _piece_cause(p)} for i, p in m["members"]],
                    }
                    for m in piece["mistakes"]
                ],
            }
            for piece in by_piece
        ],
        "files": [{**r.to_json(), "name": names[i], "page": pages[i]} for i, r in enumerate(reports)],
        "check_schema": SCHEMA,
    }
    write_json(out / "report.json", document)
    return out / "index.html"


def _html(title: str, body: str, script: str = "") -> str:
    return (
        f'<!doctype html>\n<html lang="en"><head><meta charset="utf-8"><title>{escape(title)}</title>'
        f"<style>{STYLE}</style></head><body>\n{body}\n"
        + (f"<script>{script}</script>" if script else "")
        + "</body></html>\n"
    )


def _verdict(r: FileReport) -> str:
    return f'<span class="verdict" style="color:{VERDICT_COLOURS[r.verdict]}">{VERDICT_WORDS[r.verdict]}</span>'


def _score(r: FileReport) -> str:
    return "" if r.verdict == "skipped" else f"{r.score:g} / {r.max_score:g}"


def _index(reports, students, names, pages, ranked, by_piece, figures, root, model) -> str:
    n = len(reports)
    counts = Counter(reports[i].verdict for i in students)
    files = sum(r.verdict != "skipped" for r in reports)
    judged = [reports[i] for i in students if reports[i].verdict != "skipped"]  # students graded by a file
    words, colours = VERDICT_COUNTED, VERDICT_COLOURS
    cards = "".join(
        f'<div class="count" id="count-{v}"><b style="color:{colours[v]}">{counts.get(v, 0)}</b>{words[v]}</div>'
        for v in words
    )
    body = [
        f"<h1>Class report · model {escape(model)}</h1>",
        f'<p id="students">{len(students)} students, counted by the file each is graded by: {n} entries of '
        f"<code>{escape(clean(root))}</code>, {files} files judged.</p>",
        f'<div class="counts">{cards}</div>',
        "<h2>Scores</h2>",
    ]
    if judged:
        top = max(r.max_score for r in judged)
        spread = Counter(r.score for r in judged)
        body.append(
            '<table id="scores"><tr><th>score</th><th>students</th></tr>'
            + "".join(f"<tr><td>{s:g} / {top:g}</td><td>{spread[s]}</td></tr>" for s in sorted(spread))
            + "</table>"
        )
    body.append(figures.get("scores", ""))
    body.append("<h2>Mistakes, by how many students made them</h2>")
    if ranked:
        items = []
        for key, text, members in ranked:
            same = len({member_cause(reports[i]) for i in members}) == 1
            who = (", " if same else ";<br>").join(
                f'<a href="{pages[i]}">{escape(_who(reports[i], names[i]))}</a>'
                + ("" if same else f" {escape(member_cause(reports[i]))}")
                for i in members
            )
            name = f" <code>{escape(key)}</code>" if reports[members[0]].mistake else ""
            items.append(
                f'<li class="mistake" data-count="{len(members)}"><b>{len(members)}</b> of {len(judged)}: '
                f"{escape(text)}{name}<br><small>{who}</small></li>"
            )
        body.append(f'<ol id="mistakes">{"".join(items)}</ol>')
        body.append(figures.get("mistakes", ""))
    else:
        body.append("<p>No wrong submission.</p>")
    if by_piece:
        body.append("<h2>Functions of the contract, by how many students got each wrong</h2>")
        rows = []
        for piece in by_piece:
            found = "".join(
                f"<li><b>{len(m['members'])}</b>: {escape(m['cause'])}"
                + (f" <code>{escape(m['key'])}</code>" if m["members"][0][1].get("mistake") else "")
                + "<br><small>"
                + _members(m["members"], reports, names, pages)
                + "</small></li>"
                for m in piece["mistakes"]
            )
            rows.append(
                f'<tr data-piece="{escape(piece["name"])}"><td><code>{escape(piece["name"])}</code></td>'
                f"<td>{piece['judged']}</td><td>{piece['wrong']}</td><td><ul>{found}</ul></td></tr>"
            )
        body.append(
            '<table id="pieces"><tr><th>function</th><th>students who wrote it</th><th>wrong</th>'
            f"<th>the mistakes</th></tr>{''.join(rows)}</table>"
        )
    shared = [i for i, r in enumerate(reports) if r.same_source_as]
    if shared:  # what was verified of two students' files (no verdict changes with it): for the teacher to look at
        body.append("<h2>Files another student also handed in</h2>")
        body.append(
            '<ul id="same-source">'
            + "".join(
                f'<li><a href="{pages[i]}">{escape(names[i])}</a>: {escape(reports[i].same_source())}</li>'
                for i in shared
            )
            + "</ul>"
        )
    head = [
        ("student", "text"),
        ("file", "text"),
        ("score", "number"),
        ("verdict", "text"),
        ("first wrong link", "text"),
        ("cause", "text"),
        ("line", "text"),
        ("warnings", "text"),  # what the verdict does not judge: how backward differentiates, processes left behind
        ("same source", "text"),
    ]
    rows = []
    for i, r in enumerate(reports):
        place, code = r.learner_line()
        cause = r.explanation() or (r.reason if r.verdict != "pass" else "")
        rows.append(
            "<tr>"
            f"<td>{escape(r.student)}</td>"
            f'<td><a href="{pages[i]}">{escape(names[i])}</a></td>'
            f'<td data-value="{r.score if r.verdict != "skipped" else -1:g}">{_score(r)}</td>'
            f"<td>{_verdict(r)}</td><td>{escape(r.first_wrong)}</td><td>{escape(cause)}"
            + (f"<br>repair: <code>{escape(repair_text(r.repair))}</code>" if r.repair else "")
            + "</td>"
            f"<td>{escape(place)} <code>{escape(code)}</code></td>"
            f"<td>{'<br>'.join(escape(w) for w in r.warnings)}</td>"
            f"<td>{escape(r.same_source())}</td>"
            "</tr>"
        )
    body += [
        "<h2>Every file</h2><p><small>Click a column's header to sort by it.</small></p>",
        '<table id="submissions"><thead><tr>'
        + "".join(f'<th data-type="{t}">{h}</th>' for h, t in head)
        + f"</tr></thead><tbody>{''.join(rows)}</tbody></table>",
        '<p><small>The same data: <a href="report.json">report.json</a>.</small></p>',
    ]
    return _html(f"Class report · {model}", "\n".join(body), SORT_SCRIPT)


def _members(members: list, reports: list[FileReport], names: list[str], pages: list[str]) -> str:
    """A piece's mistake group's students, linked to their pages; each one's own cause beside its name when the
    members' causes differ (the same mistake at several values)."""
    causes = [_piece_cause(p) for _, p in members]
    same = len(set(causes)) == 1
    return (", " if same else ";<br>").join(
        f'<a href="{pages[i]}">{escape(_who(reports[i], names[i]))}</a>' + ("" if same else f" {escape(cause)}")
        for (i, _), cause in zip(members, causes)
    )


def _who(r: FileReport, name: str) -> str:
    return r.student if r.student and r.student not in name else name


def _page(r: FileReport, name: str, source, model: str, hide: bool) -> str:
    place, code = r.learner_line()
    rows = [("verdict", _verdict(r) + (f" · {escape(r.counted())}" if r.cases else ""))]
    if r.verdict != "skipped":
        rows.append(("score", _score(r)))
    if r.student:
        rows.append(("student", escape(r.student)))
    if r.first_wrong:
        rows.append(("first wrong link", f"<code>{escape(r.first_wrong)}</code>"))
    cause = r.explanation() or (r.reason if r.verdict != "pass" else "")
    if cause:
        rows.append(("cause", escape(cause + ("" if hide else r.pointer()))))  # hidden: no small case below
    if r.repair:
        rows.append(("repair", f"<code>{escape(repair_text(r.repair))}</code>"))
    if place or code:
        rows.append(("your line", f'<a href="#marked">{escape(place)}</a> <code>{escape(code)}</code>'))
    if r.reason and r.reason != cause:
        rows.append(("reason", escape(r.reason)))
    if r.same_source_as:
        rows.append(("same source", escape(r.same_source())))
    if (r.seed or r.seed_secret) and r.verdict != "skipped":
        rows.append(("seed", r.seed_said(html=True)))
    body = [
        '<p><a href="../index.html">← the class</a></p>',
        f"<h1>{escape(name)}</h1>",
        "<table>" + "".join(f"<tr><th>{k}</th><td>{v}</td></tr>" for k, v in rows) + "</table>",
    ]
    small = r.small_case_text()
    if small and not hide:
        body.append(f'<h2>The small case</h2><pre id="small-case">{escape(small)}</pre>')
    if r.tensors:
        # returned: the cases of the backward in which the learner's code gave the tensor (not where it raised)
        cells = "".join(
            f"<tr><td>{escape(t.name)}</td><td>{escape(t.status)}</td><td>{t.cases}/{r.cases_of('backward')}</td>"
            f"<td>{t.failed}/{t.cases}</td>"
            + ("" if hide else f"<td>{t.number(t.max_abs)}</td>")
            + f"<td>{escape(t.diagnosis)}</td></tr>"
            for t in r.tensors
        )
        head = "<th>tensor</th><th>verdict</th><th>returned</th><th>failed</th>" + ("" if hide else "<th>max abs</th>")
        body.append(f"<h2>Every tensor</h2><table><tr>{head}<th>diagnosis</th></tr>{cells}</table>")
    if r.errors or r.warnings:
        items = [f"<li>{escape(e)}</li>" for e in r.errors[:5]]
        items += [f"<li>warning: {escape(w)}</li>" for w in r.warnings]
        body.append(f"<h2>Messages</h2><ul>{''.join(items)}</ul>")
    if source is not None:
        lines = []
        for number, text in source.lines():
            marked = bool(place) and (place.endswith(f":{number}") or place.endswith(f" {number}"))
            attrs = ' class="mark" id="marked"' if marked else ""
            # as written, but a control or bidi character shows as its escape: it can neither colour nor reorder
            # the code a teacher reads (a U+202E in a comment turns the rest of the line around)
            lines.append(f'<tr{attrs}><td class="n">{escape(number)}</td><td>{escape(visible(text))}</td></tr>')
        body.append(f'<h2>The code</h2><table class="code">{"".join(lines)}</table>')
    if r.stdout:
        body.append(f'<h2>What it printed</h2><pre id="stdout">{escape(r.stdout)}</pre>')
    return _html(f"{name} · {model}", "\n".join(body))


def _figures(reports: list[FileReport], ranked) -> dict:
    """The score histogram and the mistake ranking as <img> tags with base64 PNGs ({} without matplotlib)."""
    try:
        from torchref.plots import plt
    except ImportError:
        note = f"<p><small>Figures need matplotlib: {install_hint('plots')}.</small></p>"
        return {"scores": note}
    judged = [r for r in reports if r.verdict != "skipped"]
    out = {}
    if judged:
        top = max(r.max_score for r in judged)
        fig, ax = plt.subplots(figsize=(6, 2.6))
        spread = Counter(r.score for r in judged)
        xs = sorted(set(spread) | {0.0, top})
        ax.bar(xs, [spread.get(x, 0) for x in xs], width=0.6, color="#0969da")
        ax.set_xticks(xs)
        ax.set_xlabel(f"score (of {top:g})")
        ax.set_ylabel("students")
        ax.set_title("Scores")
        out["scores"] = _img(fig, plt, "the score histogram", "figure-scores")
    if ranked:
        shown = ranked[:12]
        fig, ax = plt.subplots(figsize=(7, 1.6 + 0.35 * len(shown)))
        labels = [_plain(text)[:60] for _, text, _ in shown]
        ax.barh(range(len(shown)), [len(m) for _, _, m in shown], color="#cf222e")
        ax.set_yticks(range(len(shown)), labels)
        ax.invert_yaxis()
        ax.set_xlabel("students")
        ax.set_title("Mistakes")
        out["mistakes"] = _img(fig, plt, "the mistakes ranked", "figure-mistakes")
    return out


def _plain(text: str) -> str:
    """A label matplotlib draws as it is: `$` would start its mathtext."""
    return text.replace("$", r"\$")


def _img(fig, plt, alt: str, ident: str) -> str:
    buffer = io.BytesIO()
    fig.tight_layout()
    fig.savefig(buffer, format="png", dpi=90)
    plt.close(fig)
    data = base64.b64encode(buffer.getvalue()).decode("ascii")
    return f'<p><img id="{ident}" alt="{alt}" src="data:image/png;base64,{data}"></p>'
