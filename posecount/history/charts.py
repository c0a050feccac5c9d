"""The history's charts, drawn with matplotlib's Agg renderer (no window, no pyplot state): PNG bytes, which
`posecount progress --out` writes (atomically, :func:`write_png`) and the physiotherapist's report embeds.

Drawing only: the figures come from :mod:`posecount.history.progress` and the queries; nothing here decides
a number. Each leg keeps its colour everywhere (left blue, right red, whole body green).
"""

from __future__ import annotations

import io
from collections.abc import Sequence
from datetime import date
from pathlib import Path
from typing import TYPE_CHECKING

from posecount.atomic import atomic_path

if TYPE_CHECKING:
    from matplotlib.axes import Axes
    from matplotlib.figure import Figure, SubFigure

    from posecount.history.progress import ExerciseProgress, Progress
    from posecount.history.queries import LegSummary, Rating, StoredTest

COLOURS = {"left": "#1f77b4", "right": "#d62728", "both": "#2ca02c"}
DPI = 100
#: One exercise's panels: width, height (inches).
EXERCISE_SIZE_IN = (12.0, 6.4)
#: A one-row chart (pain and effort, function tests): width, height per row (inches).
STRIP_SIZE_IN = (12.0, 3.0)
_STRIP_MARGINS = {"left": 0.05, "right": 0.985, "top": 0.88, "bottom": 0.14, "hspace": 0.45}
#: The peak and range panels span at least this much (degrees, or a ratio drive's unit).
MIN_SPAN_DEG = 10.0
MIN_SPAN_RATIO = 0.1
#: More days than this: lines without a marker per day.
MARKERS_UP_TO_DAYS = 60


def _figure(width_in: float, height_in: float) -> Figure:
    """A figure on the Agg canvas (matplotlib's raster renderer: no display, no global pyplot state)."""
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure

    fig = Figure(figsize=(width_in, height_in), dpi=DPI)  # fixed margins: a layout engine doubles the drawing time
    FigureCanvasAgg(fig)
    return fig


def png_bytes(fig: Figure) -> bytes:
    buf = io.BytesIO()
    fig.savefig(buf, format="png", dpi=DPI, metadata={"Software": None})
    return buf.getvalue()


def write_png(path: Path, data: bytes) -> None:
    """``data`` into ``path``, whole or not at all (an OutputError, one line, if it cannot be written)."""
    with atomic_path(Path(path)) as tmp:
        tmp.write_bytes(data)


def _dates(ax: Axes) -> None:
    import matplotlib.dates as mdates

    locator = mdates.AutoDateLocator(minticks=3, maxticks=8)
    ax.xaxis.set_major_locator(locator)
    ax.xaxis.set_major_formatter(mdates.ConciseDateFormatter(locator))
    ax.grid(alpha=0.3)


def _min_span(ax: Axes, span: float) -> None:
    low, high = ax.get_ylim()
    if high - low < span:
        middle = (low + high) / 2
        ax.set_ylim(middle - span / 2, middle + span / 2)


def _leg_label(side: str) -> str:
    return "whole body" if side == "both" else f"{side} leg"


def _series(ex: ExerciseProgress, side: str, value: str) -> tuple[list[date], list[float]]:
    """The days ``side`` trained and its ``value`` (a LegSummary attribute or property) on each."""
    days, values = [], []
    for day in ex.days:
        leg: LegSummary | None = day.legs.get(side)
        if leg is None:
            continue
        v = getattr(leg, value)
        if v is not None:
            days.append(day.day)
            values.append(float(v))
    return days, values


def draw_exercise(fig: Figure | SubFigure, ex: ExerciseProgress) -> None:
    """Six panels for one exercise, per leg over the days: mean and best peak, range above rest, symmetry,
    counted and attempted reps, mean hold, form faults per attempt."""
    axes = fig.subplots(2, 3, sharex=True, gridspec_kw={"left": 0.05, "right": 0.985, "top": 0.88, "bottom": 0.08,
                                                         "wspace": 0.2, "hspace": 0.28})
    marker = "o" if len(ex.days) <= MARKERS_UP_TO_DAYS else None
    unit = "(°)" if ex.unit == "deg" else "(ratio)"
    (peak, rng, sym), (counted, hold, faults) = axes
    for side in ex.tracks:
        colour, label = COLOURS[side], _leg_label(side)
        kw = {"color": colour, "marker": marker, "ms": 3.5, "lw": 1.4}
        peak.plot(*_series(ex, side, "mean_peak"), label=f"{label}: mean", **kw)
        peak.plot(*_series(ex, side, "best_peak"), color=colour, ls=":", lw=1.1, label=f"{label}: best")
        rng.plot(*_series(ex, side, "mean_range"), label=label, **kw)
        counted.plot(*_series(ex, side, "counted"), label=f"{label}: counted", **kw)
        counted.plot(*_series(ex, side, "attempts"), color=colour, ls=":", lw=1.1, label=f"{label}: attempts")
        hold.plot(*_series(ex, side, "mean_hold_s"), label=label, **kw)
        faults.plot(*_series(ex, side, "faults_per_rep"), label=label, **kw)
    peak.set_title(f"Peak: range of motion {unit}", fontsize=10)
    rng.set_title(f"Range above rest {unit}", fontsize=10)
    counted.set_title("Reps a day: counted, attempted", fontsize=10)
    hold.set_title("Mean hold (s)", fontsize=10)
    faults.set_title("Form faults per attempt", fontsize=10)
    sym.set_title("Left/right symmetry (weaker ÷ stronger)", fontsize=10)
    if ex.per_leg:
        days = [d.day for d in ex.days if d.symmetry is not None]
        sym.plot(days, [d.symmetry for d in ex.days if d.symmetry is not None], color="#444444", marker=marker,
                 ms=3.5, lw=1.4)
        sym.axhline(1.0, color="green", ls="--", lw=1, label="1.00: both legs alike")
        sym.set_ylim(0, 1.05)
        sym.legend(fontsize=8, loc="lower right")
    else:
        sym.text(0.5, 0.5, "counted for the whole body:\nno left/right symmetry", ha="center", va="center",
                 transform=sym.transAxes, fontsize=10, color="#555555")
        sym.set_yticks([])
    for ax in (counted, hold, faults):
        ax.set_ylim(bottom=0)
    for ax in (peak, rng):  # a few degrees at least: day-to-day noise is not drawn as a cliff
        _min_span(ax, MIN_SPAN_DEG if ex.unit == "deg" else MIN_SPAN_RATIO)
    for ax in axes.flat:
        _dates(ax)
    peak.legend(fontsize=8, ncols=2)
    counted.legend(fontsize=8, ncols=2)
    fig.suptitle(f"{ex.title} ({ex.exercise}): {len(ex.days)} day(s), {ex.days[0].day.isoformat()} to "
                 f"{ex.days[-1].day.isoformat()}", fontsize=12, fontweight="bold", y=0.975)


def exercise_png(ex: ExerciseProgress) -> bytes:
    """One exercise's chart, PNG."""
    fig = _figure(*EXERCISE_SIZE_IN)
    draw_exercise(fig, ex)
    return png_bytes(fig)


def progress_png(progress: Progress) -> bytes:
    """Every exercise of ``progress``, one under the other, PNG (`posecount progress --out`)."""
    n = len(progress.exercises)
    fig = _figure(EXERCISE_SIZE_IN[0], EXERCISE_SIZE_IN[1] * max(1, n))
    parts = fig.subfigures(n, 1) if n > 1 else [fig]
    for part, ex in zip(parts, progress.exercises, strict=True):
        draw_exercise(part, ex)
    return png_bytes(fig)


def ratings_png(ratings: Sequence[Rating]) -> bytes:
    """Pain and effort (0-10) after each rated session, PNG."""
    fig = _figure(*STRIP_SIZE_IN)
    ax = fig.subplots(gridspec_kw=_STRIP_MARGINS)
    marker = "o" if len(ratings) <= 2 * MARKERS_UP_TO_DAYS else None
    for name, colour in (("pain", "#d62728"), ("effort", "#7f7f7f")):
        points = [(r.started_at.replace(tzinfo=None), getattr(r, name)) for r in ratings
                  if getattr(r, name) is not None]
        if points:
            ax.plot(*zip(*points, strict=True), color=colour, marker=marker, ms=3.5, lw=1.4, label=name)
    ax.set_ylim(-0.3, 10.3)
    ax.set_yticks(range(0, 11, 2))
    ax.set_title("Pain and effort after each session (0-10)", fontsize=10)
    ax.legend(fontsize=8, loc="upper right")
    _dates(ax)
    return png_bytes(fig)


def tests_png(tests: Sequence[StoredTest], titles: dict[str, str] | None = None) -> bytes:
    """Each function test's score (stands) or time (s) over the days, with its norm line, PNG."""
    protocols = sorted({t.protocol for t in tests})
    fig = _figure(STRIP_SIZE_IN[0], STRIP_SIZE_IN[1] * len(protocols))
    axes = fig.subplots(len(protocols), 1, squeeze=False, gridspec_kw=_STRIP_MARGINS)[:, 0]
    for ax, protocol in zip(axes, protocols, strict=True):
        mine = [t for t in tests if t.protocol == protocol]
        stands = mine[0].kind == "count_in_time"
        points = [(t.started_at.replace(tzinfo=None), t.score if stands or t.time_s is None else t.time_s)
                  for t in mine]
        points = [(when, v) for when, v in points if v is not None]
        if points:
            ax.plot(*zip(*points, strict=True), color="#2ca02c", marker="o", ms=5, lw=1.4,
                    label="stands" if stands else "time (s)")
        norms = [(t.started_at.replace(tzinfo=None), t.norm_threshold) for t in mine if t.norm_threshold is not None]
        if norms:
            ax.plot(*zip(*norms, strict=True), color="#ff7f0e", ls="--", marker="_", ms=14, lw=1,
                    label="norm line (" + ("below average under it" if stands else "worse above it") + ")")
        ax.set_title((titles or {}).get(protocol, protocol), fontsize=10)
        ax.set_ylim(bottom=0)
        ax.legend(fontsize=8, loc="lower right")
        _dates(ax)
    return png_bytes(fig)
