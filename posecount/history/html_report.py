"""The physiotherapist's report: one self-contained HTML page (`posecount report --since DATE --out FILE.html`).

What it shows, from ``since`` to ``until`` (local dates, both included):

1. the programme: each exercise done (what it is, on how many days), and the prescription stored with it
   (per-leg targets and holds, reps per set) when there is one;
2. adherence: days trained of the days in the range, and a calendar of the weeks;
3. per-leg trends: what changed in plain words (first week against last week, :mod:`.progress`), the first
   and last week side by side, every week's figures, and a chart of every day;
4. function tests (the chair stands...) with their norms and the norms' source;
5. the most frequent form faults, how often, and what each means (the exercise spec's own coaching line and
   the reason behind its threshold);
6. pain and effort after the sessions, week by week and as a chart.

Self-contained: the styles are inline, the charts are PNG data URIs, there is no script and nothing is fetched,
so the page opens offline in any browser or mail client; a print stylesheet lays it out on A4. Every text
that comes from the history is escaped. The page is written whole or not at all.
"""

from __future__ import annotations

import base64
import html
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from pathlib import Path
from statistics import mean

from posecount.atomic import atomic_open
from posecount.errors import PosecountError
from posecount.history.db import History, default_db_path
from posecount.history.progress import (
    Day,
    ExerciseProgress,
    Period,
    Progress,
    check_range,
    comparison_periods,
    compute,
    exercise_title,
    value_text,
    weeks,
)
from posecount.history.queries import (
    LegSummary,
    ProgrammeItem,
    Rating,
    StoredTest,
    fault_counts,
    function_tests,
    period,
    programme,
    ratings,
    training_days,
)
from posecount.testrun import score_text

#: How many of the most frequent faults the report lists.
TOP_FAULTS = 10


@dataclass(frozen=True)
class ReportData:
    """Everything the page shows, read from the history (no HTML yet)."""

    db: Path
    since: date
    until: date
    generated_at: datetime
    trained: dict[date, int]  # day trained -> exercise sessions that day
    programme: list[ProgrammeItem]
    progress: Progress
    weeks: dict[str, tuple[Day, ...]]
    faults: list[tuple[str, str, str, int]]  # (exercise, side, code, attempts carrying it), most frequent first
    attempts: dict[tuple[str, str], int]  # (exercise, side) -> attempts in the range
    tests: list[StoredTest]
    ratings: list[Rating]

    @property
    def days_in_range(self) -> int:
        return (self.until - self.since).days + 1

    @property
    def sessions(self) -> int:
        return sum(self.trained.values())

    @property
    def empty(self) -> bool:
        return not self.progress and not self.tests and not self.ratings


def collect(history: History, since: date, until: date) -> ReportData:
    """Read what the report shows (every figure is aggregated by SQL, :mod:`posecount.history.queries`)."""
    check_range(since, until)
    return ReportData(
        db=history.path, since=since, until=until, generated_at=datetime.now().astimezone(),
        trained=training_days(history, since, until), programme=programme(history, since, until),
        progress=compute(history, None, since, until), weeks=weeks(history, None, since, until),
        faults=fault_counts(history, None, since, until),
        attempts={(p.exercise, p.side): p.leg.attempts for p in period(history, None, since, until)},
        tests=function_tests(history, since, until), ratings=ratings(history, since, until))


def write_report(db: Path | None, since: date, until: date, out: Path) -> ReportData:
    """Read the history file ``db`` (None: the default one) and write the report to ``out``. Nothing in the
    range (or no history at all): a one-line PosecountError, and no file."""
    check_range(since, until)
    path = Path(db).expanduser() if db is not None else default_db_path()
    span = f"from {since.isoformat()} to {until.isoformat()}"
    if not path.exists():
        raise PosecountError(f"no history at {path}: nothing to report (no report written)")
    with History.open(path) as history:
        data = collect(history, since, until)
    if data.empty:
        raise PosecountError(f"nothing to report {span} in {path} (no attempt, rating or test result): no report "
                             "written")
    page = render(data)
    with atomic_open(Path(out), "w", encoding="utf-8") as fh:
        fh.write(page)
    return data


# -- what the faults mean ------------------------------------------------------------------------------------------
#: The engine's own verdicts (not form rules of a spec): the spec's coaching line (a ``messages`` field) and why.
_OUTCOME_FAULTS = {
    "range_too_small": ("too_small", "the attempt did not reach the target ({target}, or the leg's own target "
                        "when one is prescribed): not counted"),
    "hold_too_short": ("too_short", "not held at the top for the hold time ({hold_s:g} s, or the leg's own hold "
                       "when one is prescribed): not counted"),
    "lowered_too_fast": ("too_fast", "lowered in less than {lower_s:g} s (a controlled lowering is part of it)"),
    "incomplete": (None, "the session or the video ended in the middle of the attempt"),
    "lost_sight": (None, "the leg went out of the camera's view in the middle of the attempt"),
}


def fault_meaning(exercise: str, code: str) -> tuple[str, str]:
    """(the coaching line the person hears, what the fault means) in plain words, from the exercise's spec:
    a form rule's message and the reason for its threshold, or the engine's verdict with the spec's numbers."""
    from posecount.exercises import builtin_exercises

    spec = builtin_exercises().get(exercise)
    words = code.replace("_", " ")
    if spec is None:
        return "", words
    for rule in spec.rules:
        if rule.code == code:
            return rule.message, rule.source or words
    if code in _OUTCOME_FAULTS:
        field, why = _OUTCOME_FAULTS[code]
        message = getattr(spec.messages, field) if field else ""
        d = spec.drive
        return message, why.format(target=value_text(d.target, d.unit), hold_s=d.min_hold_s, lower_s=d.min_lower_s)
    return "", words


# -- the page ---------------------------------------------------------------------------------------------------------
def _e(value: object) -> str:
    return html.escape(str(value), quote=True)


def _img(png: bytes, alt: str) -> str:
    return (f'<img class="chart" alt="{_e(alt)}" src="data:image/png;base64,'
            f'{base64.b64encode(png).decode("ascii")}">')


Cell = str | tuple[str, str]  # HTML, or (a class, HTML)


def _table(head: Sequence[Cell], rows: Iterable[Sequence[Cell]], cls: str = "") -> str:
    """A table; cells are HTML already (escape those holding text from the history), or (class, HTML)."""
    def cell(tag: str, c: Cell) -> str:
        return f'<{tag} class="{c[0]}">{c[1]}</{tag}>' if isinstance(c, tuple) else f"<{tag}>{c}</{tag}>"

    th = "".join(cell("th", h) for h in head)
    body = "".join("<tr>" + "".join(cell("td", c) for c in row) + "</tr>" for row in rows)
    return f'<table class="{cls}"><thead><tr>{th}</tr></thead><tbody>{body}</tbody></table>'


def _day(d: date) -> str:
    return f"{d.strftime('%a')} {d.isoformat()}"


def _per_leg(legs: dict[str, LegSummary], tracks: Sequence[str], text: Callable[[LegSummary], str]) -> str:
    if tuple(tracks) == ("both",):
        leg = legs.get("both")
        return _e(text(leg)) if leg else "-"
    return "<br>".join(f"{side[0].upper()} {_e(text(legs[side])) if side in legs else '-'}" for side in tracks)


STYLE = """
:root { --left: #1f77b4; --right: #d62728; --muted: #666; --line: #d9d9d9; }
* { box-sizing: border-box; }
body { font: 15px/1.45 system-ui, -apple-system, "Segoe UI", Roboto, "DejaVu Sans", sans-serif; color: #1a1a1a;
       max-width: 1200px; margin: 0 auto; padding: 24px; background: #fff; }
h1 { font-size: 1.6em; margin: 0 0 4px; }
h2 { font-size: 1.25em; border-bottom: 2px solid #333; padding-bottom: 3px; margin-top: 32px; }
h3 { font-size: 1.08em; margin: 22px 0 6px; }
.meta, .note { color: var(--muted); font-size: 0.9em; }
.big { font-size: 1.35em; font-weight: 600; }
table { border-collapse: collapse; margin: 8px 0 14px; font-size: 0.92em; }
th, td { border: 1px solid var(--line); padding: 4px 8px; text-align: left; vertical-align: top; }
th { background: #f2f2f2; }
td.num, th.num { text-align: right; font-variant-numeric: tabular-nums; }
img.chart { width: 100%; max-width: 1200px; height: auto; border: 1px solid var(--line); }
ul.changes li { margin: 3px 0; }
table.calendar td { width: 3.2em; text-align: center; padding: 3px; }
table.calendar td.trained { background: #cfe8cf; font-weight: 600; }
table.calendar td.missed { background: #f6dede; color: #933; }
table.calendar td.out { color: #bbb; }
.left { color: var(--left); } .right { color: var(--right); }
section { margin-bottom: 12px; }
@media print {
  @page { size: A4; margin: 14mm; }
  body { font-size: 10pt; max-width: none; padding: 0; color: #000; }
  h2 { break-after: avoid; margin-top: 16px; }
  h3 { break-after: avoid; }
  table, img.chart, ul.changes { break-inside: avoid; }
  section.exercise { break-before: page; }
  img.chart { max-width: 100%; border: none; }
  table.calendar td.trained { background: #cfe8cf !important; -webkit-print-color-adjust: exact;
                              print-color-adjust: exact; }
}
"""


def render(data: ReportData, charts: bool = True) -> str:
    """The whole page (``charts`` False: without the chart images, for a quick look at the numbers)."""
    span = f"{data.since.strftime('%d %B %Y')} to {data.until.strftime('%d %B %Y')}"
    from posecount import __version__

    parts = [
        "<!DOCTYPE html>",
        '<html lang="en"><head><meta charset="utf-8">',
        '<meta name="viewport" content="width=device-width, initial-scale=1">',
        f"<title>Exercise report, {_e(span)}</title>",
        f"<style>{STYLE}</style></head><body>",
        f"<header><h1>Home exercise report</h1><div class=\"big\">{_e(span)}</div>",
        f'<p class="meta">Counted by posecount {_e(__version__)} (camera or video); made '
        f"{_e(data.generated_at.strftime('%Y-%m-%d %H:%M'))} from {_e(data.db)}. Left and right are the person's "
        "own legs.</p></header>",
        _adherence(data),
        _programme(data),
        _trends(data, charts),
        _tests(data, charts),
        _faults(data),
        _ratings(data, charts),
        "</body></html>",
    ]
    return "\n".join(parts) + "\n"


def _adherence(data: ReportData) -> str:
    n = len(data.trained)
    body = []
    monday = data.since - timedelta(days=data.since.weekday())
    while monday <= data.until:
        cells, trained_in_week = [f"<td>{monday.strftime('%d %b')}</td>"], 0
        for d in (monday + timedelta(days=k) for k in range(7)):
            if d < data.since or d > data.until:
                cells.append('<td class="out"></td>')
            elif d in data.trained:
                trained_in_week += 1
                cells.append(f'<td class="trained">✓ {d.day}</td>')
            else:
                cells.append(f'<td class="missed">{d.day}</td>')
        body.append("<tr>" + "".join(cells) + f'<td class="num">{trained_in_week}</td></tr>')
        monday += timedelta(days=7)
    head = "".join(f"<th>{h}</th>" for h in ("Week of", "Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun", "Days"))
    tests = f", {len(data.tests)} function test(s)" if data.tests else ""
    return (
        '<section id="adherence"><h2>Adherence</h2>'
        f'<p class="big">Days trained: <span id="days-trained">{n}</span> of <span id="days-in-range">'
        f"{data.days_in_range}</span> days ({100 * n / data.days_in_range:.0f} %)</p>"
        f"<p>{data.sessions} exercise session(s){tests}. A day counts as trained when it has at least one exercise "
        "session with an attempt (a function test alone does not count).</p>"
        f'<table class="calendar"><thead><tr>{head}</tr></thead><tbody>{"".join(body)}</tbody></table></section>')


def _prescription(item: ProgrammeItem) -> str:
    """Per-leg targets and holds, reps per set, from the stored settings; '' when none is stored."""
    out = []
    settings = item.settings if isinstance(item.settings, dict) else {}
    per_side = settings.get("per_side")
    drive = settings.get("drive") if isinstance(settings.get("drive"), dict) else {}
    unit = str(drive.get("unit", "deg")) if isinstance(drive, dict) else "deg"
    if isinstance(per_side, dict) and per_side:
        bits = []
        for side, values in per_side.items():
            if not isinstance(values, dict):
                continue
            target = values.get(f"target_{unit}")
            hold = values.get("min_hold_s")
            what = []
            if isinstance(target, int | float):
                what.append(f"target {value_text(float(target), unit)}")
            if isinstance(hold, int | float):
                what.append(f"hold {hold:g} s")
            if what:
                bits.append(f"{_e(side)}: {', '.join(what)}")
        if bits:
            kind = "personal prescription" if settings.get("personal") else "the exercise's standard targets"
            out.append(f"{'; '.join(bits)} ({kind})")
    if item.target_reps:
        order = {"left": 0, "right": 1, "both": 2}
        reps = sorted(item.target_reps.items(), key=lambda kv: (order.get(kv[0], 3), kv[0]))
        out.append("reps per set: " + ", ".join(f"{_e(side)} {n}" for side, n in reps))
    return "; ".join(out)


def _programme(data: ReportData) -> str:
    from posecount.exercises import builtin_exercises

    specs = builtin_exercises()
    rows = []
    for item in data.programme:
        spec = specs.get(item.exercise)
        what = f"<b>{_e(exercise_title(item.exercise))}</b> <span class=\"note\">({_e(item.exercise)})</span>"
        if spec is not None:
            what += f"<br>{_e(spec.description)}"
        prescribed = _prescription(item) or '<span class="note">no prescription recorded</span>'
        rows.append([what, f"{item.days} day(s), {item.sessions} session(s)<br>{item.first_day.isoformat()} to "
                     f"{item.last_day.isoformat()}", prescribed])
    if not rows:
        return '<section id="programme"><h2>Programme</h2><p>No exercise sessions in this range.</p></section>'
    return ('<section id="programme"><h2>Programme</h2>'
            + _table(["Exercise", "Done", "Prescribed (per leg)"], rows) + "</section>")


def _period_row(ex: ExerciseProgress, p: Period, side: str) -> list[Cell]:
    label = f"{_e(p.label)}<br><span class=\"note\">{p.since.isoformat()} to {p.until.isoformat()}</span>"
    leg = p.legs.get(side)
    if leg is None:
        return [label, _e(side), *[("num", "-")] * 7]
    s = leg.leg
    return [label, f'<span class="{_e(side)}">{_e(side)}</span>', ("num", str(leg.days)),
            ("num", value_text(s.mean_peak, ex.unit)), ("num", value_text(s.best_peak, ex.unit)),
            ("num", value_text(s.mean_range, ex.unit)), ("num", f"{s.counted / leg.days:.1f}"),
            ("num", "-" if s.mean_hold_s is None else f"{s.mean_hold_s:.1f} s"),
            ("num", f"{s.faults_per_rep or 0:.2f}")]


def _trends(data: ReportData, charts: bool) -> str:
    from posecount.history.charts import exercise_png

    out = ['<section id="trends"><h2>Per-leg trends</h2>',
           '<p class="note">Peak: the furthest each attempt reached (the range of motion). Range above rest: from '
           "the leg's own resting angle to the peak. Symmetry: the weaker leg's mean range divided by the stronger "
           "leg's (1.00: both legs alike). What changed compares the first week trained with the last (the first "
           "and last day when the days trained span less than two weeks).</p>"]
    for ex in data.progress.exercises:
        out.append(f'<section class="exercise" id="trend-{_e(ex.exercise)}"><h3>{_e(ex.title)}</h3>')
        lines = ex.lines()
        if ex.first is None or ex.last is None:
            out.append(f"<p>{_e(lines[0])}</p>")
        else:
            out.append(f'<p class="note">{_e(lines[0])}</p><ul class="changes">'
                       + "".join(f"<li>{_e(line)}</li>" for line in lines[1:]) + "</ul>")
            head: list[Cell] = ["Period", "Leg", *(("num", h) for h in (
                "Days", "Mean peak", "Best peak", "Range above rest", "Counted a day", "Mean hold", "Faults per rep"))]
            rows = [_period_row(ex, p, side) for p in (ex.first, ex.last) for side in ex.tracks]
            out.append(_table(head, rows, "periods"))
        out.append(_week_table(ex, data.weeks.get(ex.exercise, ())))
        if charts:
            out.append(_img(exercise_png(ex), f"{ex.title}: every day, per leg"))
        out.append("</section>")
    if not data.progress.exercises:
        out.append("<p>No attempts in this range.</p>")
    out.append("</section>")
    return "\n".join(out)


def _week_table(ex: ExerciseProgress, weeks_: Sequence[Day]) -> str:
    if not weeks_:
        return ""
    head = ["Week of", "Counted of attempts", "Mean peak", "Best peak", "Mean hold", "Faults per rep"]
    if ex.per_leg:
        head.append("Symmetry")
    rows = []
    for w in weeks_:
        row = [_e(w.day.strftime("%d %b %Y")),
               _per_leg(w.legs, ex.tracks, lambda leg: f"{leg.counted} of {leg.attempts}"),
               _per_leg(w.legs, ex.tracks, lambda leg: value_text(leg.mean_peak, ex.unit)),
               _per_leg(w.legs, ex.tracks, lambda leg: value_text(leg.best_peak, ex.unit)),
               _per_leg(w.legs, ex.tracks, lambda leg: "-" if leg.mean_hold_s is None else f"{leg.mean_hold_s:.1f} s"),
               _per_leg(w.legs, ex.tracks, lambda leg: f"{leg.faults_per_rep or 0:.2f}")]
        if ex.per_leg:
            row.append("-" if w.symmetry is None else f"{w.symmetry:.2f}")
        rows.append(row)
    return "<h4>Week by week</h4>" + _table(head, rows, "weeks")


def _tests(data: ReportData, charts: bool) -> str:
    from posecount.history.charts import tests_png

    if not data.tests:
        return ('<section id="tests"><h2>Function tests</h2><p>No function test in this range '
                "(<code>posecount test chair-stand-30s VIDEO --age N --sex female|male</code>).</p></section>")
    titles = {t.protocol: str(t.result.get("title") or t.protocol) for t in data.tests}
    rows = []
    for t in data.tests:
        if t.kind == "count_in_time":
            result = f"{t.score} stands" if t.score is not None else "-"
        elif t.kind == "time_to_count":
            result = f"{t.time_s:.1f} s" if t.time_s is not None else "not completed"
        else:  # the balance test: its stances as stored ("3 of 4 stances held"; the verdict says the risk)
            result = score_text(t.result)
        unit = {"count_in_time": " stands", "time_to_count": " s"}.get(t.kind, "")
        norm = "-" if t.norm_threshold is None else f"{t.norm_threshold:g}{unit}"
        against = {None: "no norm to compare", True: "below the norm", False: "not below the norm"}[t.below_norm]
        person = ", ".join(str(v) for v in (t.age, t.sex) if v is not None) or "-"
        rows.append([_e(_day(t.local_date)), _e(titles[t.protocol]), f'<b>{_e(result)}</b>', _e(person), _e(norm),
                     _e(against + (f"; void ({t.voided_by.replace('_', ' ')})" if t.voided_by else "")),
                     _e(t.verdict)])
    sources = sorted({str(t.result.get("norm_source")) for t in data.tests if t.result.get("norm_source")})
    out = ['<section id="tests"><h2>Function tests</h2>',
           _table(["Date", "Test", "Result", "Age, sex", "Norm line", "Against the norm", "Verdict"], rows, "tests")]
    if sources:
        out.append('<p class="note">Norms: ' + "; ".join(_e(s) for s in sources) + "</p>")
    if charts:
        out.append(_img(tests_png(data.tests, titles), "function test results over time, with the norm line"))
    out.append("</section>")
    return "\n".join(out)


def _faults(data: ReportData) -> str:
    if not data.faults:
        return '<section id="faults"><h2>Form faults</h2><p>No form fault in this range.</p></section>'
    rows = []
    for exercise, side, code, n in data.faults[:TOP_FAULTS]:
        attempts = data.attempts.get((exercise, side), 0)
        share = f" ({100 * n / attempts:.0f} % of {attempts})" if attempts else ""
        message, why = fault_meaning(exercise, code)
        meaning = (f"<b>“{_e(message)}”</b><br>" if message else "") + _e(why)
        leg = "whole body" if side == "both" else side
        rows.append([_e(exercise_title(exercise)), f'<span class="{_e(side)}">{_e(leg)}</span>',
                     f"<code>{_e(code)}</code>", f"{n}{share}", meaning])
    more = len(data.faults) - TOP_FAULTS
    return ('<section id="faults"><h2>Most frequent form faults</h2>'
            '<p class="note">How many attempts carried each fault (an attempt may carry several), and what it means: '
            "the coaching line the person hears, and the reason behind the threshold.</p>"
            + _table(["Exercise", "Leg", "Fault", "Attempts with it", "What it means"], rows, "faults")
            + (f'<p class="note">and {more} less frequent.</p>' if more > 0 else "") + "</section>")


def _ratings(data: ReportData, charts: bool) -> str:
    from posecount.history.charts import ratings_png

    if not data.ratings:
        return ('<section id="ratings"><h2>Pain and effort</h2><p>No pain or effort given in this range.</p>'
                "</section>")
    out = ['<section id="ratings"><h2>Pain and effort</h2>',
           '<p class="note">As the person rated each session at its end, 0 (none) to 10 (worst / hardest).</p>']
    periods = comparison_periods(sorted({r.local_date for r in data.ratings}))
    lines = []
    for name in ("pain", "effort"):
        values = [(r.local_date, getattr(r, name)) for r in data.ratings if getattr(r, name) is not None]
        if not values:
            continue
        top = max(v for _, v in values)
        when = next(d for d, v in values if v == top)
        line = f"{name}: mean {mean(v for _, v in values):.1f} over {len(values)} session(s), highest {top} " \
               f"({when.isoformat()})"
        if periods is not None:
            (l1, a1, b1), (l2, a2, b2) = periods
            first = [v for d, v in values if a1 <= d <= b1]
            last = [v for d, v in values if a2 <= d <= b2]
            if first and last:
                line += f"; {l1} {mean(first):.1f} → {l2} {mean(last):.1f}"
        lines.append(line)
    out.append('<ul class="changes">' + "".join(f"<li>{_e(line)}</li>" for line in lines) + "</ul>")
    by_week: dict[date, list[Rating]] = {}
    for r in data.ratings:
        by_week.setdefault(r.local_date - timedelta(days=r.local_date.weekday()), []).append(r)
    rows = []
    for monday, rs in sorted(by_week.items()):
        pains = [r.pain for r in rs if r.pain is not None]
        efforts = [r.effort for r in rs if r.effort is not None]
        rows.append([_e(monday.strftime("%d %b %Y")), str(len(rs)),
                     f"{mean(pains):.1f} (max {max(pains)})" if pains else "-",
                     f"{mean(efforts):.1f}" if efforts else "-"])
    out.append(_table(["Week of", "Sessions rated", "Pain", "Effort"], rows, "ratings"))
    if charts:
        out.append(_img(ratings_png(data.ratings), "pain and effort after each session"))
    out.append("</section>")
    return "\n".join(out)
