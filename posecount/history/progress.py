"""Progress per leg over days: what `posecount progress` shows, and what the physiotherapist's report builds on.

Per exercise, per local day and per leg (the sums are SQL's, :mod:`posecount.history.queries`): counted reps
of the attempts, mean and best peak (the range of motion reached, in the drive's unit: degrees, or a ratio),
mean hold, form faults per attempt, and for an exercise done with each leg the left/right symmetry index.

**Symmetry index**: weaker ÷ stronger, of the two legs' *mean range*: each attempt's movement from its leg's
own rest level to its peak (rest 3°, peak 21°: 18°), averaged over the attempts. 1.00 when both legs move
alike, 0.50 when one moves half as far as the other. The range above rest, not the raw angle: a seated knee
extension rests near 95° of knee angle, so peaks of 150° and 165° would read 0.91 although the weaker leg
moves 55° against 70° (0.79). An attempt stored without its rest level counts from 0. There is no index
(None) on a day one leg did nothing, when a leg did not move away from rest at all, or for an exercise
counted for the whole body (side ``both``).

**What changed**: the first week of training (the first day trained and the six days after it) against the
last week (the last day trained and the six days before it), each week's figures over all of its attempts
(not a mean of daily means), when those weeks do not overlap (the days trained span 14 calendar days or
more). Over a shorter stretch: the first day trained against the last; a single day: nothing to compare.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import date, timedelta
from pathlib import Path

from rich import box
from rich.markup import escape
from rich.table import Table

from posecount.errors import ConfigError
from posecount.history.db import History, default_db_path
from posecount.history.queries import DayLeg, LegSummary, PeriodLeg, daily, period, weekly

#: The legs of an exercise done with each leg, and the track of one counted for the whole body.
LEGS = ("left", "right")
WHOLE_BODY = "both"
#: A comparison by weeks needs the last day trained this many days after the first (two whole weeks).
WEEKS_MIN_SPAN_DAYS = 13


@dataclass(frozen=True)
class Day:
    """One exercise on one local day: each leg's figures (``left``/``right``, or ``both``) and the symmetry."""

    day: date
    sessions: int
    legs: dict[str, LegSummary]
    symmetry: float | None
    weaker: str | None  # the leg with the smaller range (None: no index, or both alike)


@dataclass(frozen=True)
class Period:
    """One exercise over a stretch of days (a first or last week): figures per leg over all its attempts."""

    label: str  # "first week", "last week", "first day", "last day"
    since: date
    until: date
    legs: dict[str, PeriodLeg]
    symmetry: float | None
    weaker: str | None


@dataclass(frozen=True)
class ExerciseProgress:
    exercise: str
    title: str
    unit: str  # the drive's unit: deg or ratio
    tracks: tuple[str, ...]  # ("left", "right"), or ("both",) for an exercise counted for the whole body
    days: tuple[Day, ...]  # the days trained, in order
    first: Period | None  # None: a single day, nothing to compare
    last: Period | None

    @property
    def per_leg(self) -> bool:
        return WHOLE_BODY not in self.tracks

    @property
    def by_weeks(self) -> bool:
        return self.first is not None and self.first.label == "first week"

    def lines(self) -> list[str]:
        """What changed, in plain words: a line saying what is compared, one per leg, one for the symmetry."""
        return change_lines(self)


@dataclass(frozen=True)
class Progress:
    """Every exercise trained from ``since`` to ``until`` (None: no limit), the most days first."""

    since: date | None
    until: date | None
    exercises: tuple[ExerciseProgress, ...]

    @property
    def days(self) -> list[date]:
        """Every day with an attempt of any exercise, in order."""
        return sorted({d.day for ex in self.exercises for d in ex.days})

    def __bool__(self) -> bool:
        return bool(self.exercises)


# -- the computation --------------------------------------------------------------------------------------------
def symmetry_index(left: LegSummary | PeriodLeg | None, right: LegSummary | PeriodLeg | None
                   ) -> tuple[float | None, str | None]:
    """(weaker ÷ stronger of the two legs' mean range, the weaker leg); (None, None) when a leg is missing or
    did not move away from rest. Equal ranges: 1.0 and no weaker leg."""
    ranges = {}
    for side, leg in (("left", left), ("right", right)):
        summary = leg.leg if isinstance(leg, PeriodLeg) else leg
        if summary is None or not summary.attempts:
            return None, None
        value = summary.mean_range if summary.mean_range is not None else summary.mean_peak
        if value is None or value <= 0:
            return None, None
        ranges[side] = value
    low, high = sorted(ranges.values())
    if low == high:
        return 1.0, None
    return low / high, min(ranges, key=lambda side: ranges[side])


def check_range(since: date | None, until: date | None) -> None:
    """A ConfigError (one line) when ``since`` is after ``until``."""
    if since is not None and until is not None and since > until:
        raise ConfigError(f"--since {since.isoformat()} is after --until {until.isoformat()}: no day is in between")


def read(db: Path | None = None, exercise: str | None = None, since: date | None = None, until: date | None = None
         ) -> tuple[Path, Progress]:
    """(the history file, the progress in it); a history not made yet has none (and is not created by reading)."""
    check_range(since, until)
    path = Path(db).expanduser() if db is not None else default_db_path()
    if not path.exists():
        return path, Progress(since, until, ())
    with History.open(path) as history:
        return path, compute(history, exercise, since, until)


def _days(rows: Sequence[DayLeg]) -> dict[str, tuple[str, tuple[str, ...], list[Day]]]:
    """Rows of the queries as days per exercise: exercise -> (unit, tracks, days in order)."""
    grouped: dict[str, dict[date, dict[str, DayLeg]]] = {}
    for row in rows:
        grouped.setdefault(row.exercise, {}).setdefault(row.day, {})[row.side] = row
    out = {}
    for ex, days in grouped.items():
        sides = {side for legs in days.values() for side in legs}
        tracks = (WHOLE_BODY,) if sides == {WHOLE_BODY} else tuple(s for s in (*LEGS, WHOLE_BODY) if s in sides)
        unit = next(row.unit for legs in days.values() for row in legs.values())
        out_days = []
        for day in sorted(days):
            legs = {side: row.leg for side, row in days[day].items()}
            sym, weaker = symmetry_index(legs.get("left"), legs.get("right"))
            out_days.append(Day(day, max(row.sessions for row in days[day].values()), legs, sym, weaker))
        out[ex] = (unit, tracks, out_days)
    return out


def compute(history: History, exercise: str | None = None, since: date | None = None,
            until: date | None = None) -> Progress:
    """Per exercise: its days (figures per leg, symmetry) and the first and last week (or day) compared."""
    out = []
    for ex, (unit, tracks, days) in _days(daily(history, exercise, since, until)).items():
        first, last = _compared(history, ex, [d.day for d in days])
        out.append(ExerciseProgress(ex, exercise_title(ex), unit, tracks, tuple(days), first, last))
    out.sort(key=lambda e: (-len(e.days), e.exercise))
    return Progress(since, until, tuple(out))


def weeks(history: History, exercise: str | None = None, since: date | None = None, until: date | None = None
          ) -> dict[str, tuple[Day, ...]]:
    """Per exercise, its weeks (Monday to Sunday; ``Day.day`` is the Monday) with figures per leg over all of
    the week's attempts, and the week's symmetry; ``sessions`` is the most sessions a leg was in."""
    return {ex: tuple(days) for ex, (_, _, days) in _days(weekly(history, exercise, since, until)).items()}


def comparison_periods(days: Sequence[date]) -> tuple[tuple[str, date, date], tuple[str, date, date]] | None:
    """(label, first day, last day) of the two stretches to compare, from the days trained (in order); None
    for fewer than two days."""
    if len(days) < 2:
        return None
    first, last = days[0], days[-1]
    if (last - first).days >= WEEKS_MIN_SPAN_DAYS:
        return ("first week", first, first + timedelta(days=6)), ("last week", last - timedelta(days=6), last)
    return ("first day", first, first), ("last day", last, last)


def _compared(history: History, exercise: str, days: Sequence[date]) -> tuple[Period | None, Period | None]:
    periods = comparison_periods(days)
    if periods is None:
        return None, None
    out = []
    for label, since, until in periods:
        legs = {row.side: row for row in period(history, exercise, since, until)}
        sym, weaker = symmetry_index(legs.get("left"), legs.get("right"))
        out.append(Period(label, since, until, legs, sym, weaker))
    return out[0], out[1]


def exercise_title(exercise: str) -> str:
    """The exercise's title from its spec (an exercise not built in keeps its stored name)."""
    from posecount.exercises import builtin_exercises

    spec = builtin_exercises().get(exercise)
    return spec.title if spec is not None else exercise


# -- plain words -------------------------------------------------------------------------------------------------
def value_text(value: float | None, unit: str) -> str:
    """``26°`` for degrees, ``0.93`` for a ratio, ``-`` for nothing."""
    if value is None:
        return "-"
    return f"{value:.0f}°" if unit == "deg" else f"{value:.2f}"


def _change(name: str, before: float | None, after: float | None, text: str, since: str = "") -> str:
    """``mean peak up from 18° to 26° in 3 weeks``, ``... steady at 30°``; ``since`` is the ``in ...`` part."""
    a, b = text.format(before), text.format(after)
    if a == b:
        return f"{name} steady at {a}"
    way = "up" if (after or 0) > (before or 0) else "down"
    return f"{name} {way} from {a} to {b}{since}"


def _leg_name(side: str) -> str:
    return "whole body" if side == WHOLE_BODY else f"{side} leg"


def _span_text(first: Period, last: Period) -> str:
    days = (last.since - first.since).days
    if first.label == "first week":
        weeks = round(days / 7)
        return f" in {weeks} week{'s' if weeks != 1 else ''}"
    return f" in {days} day{'s' if days != 1 else ''}"


def _period_text(p: Period) -> str:
    return p.since.isoformat() if p.since == p.until else f"{p.since.isoformat()} to {p.until.isoformat()}"


def change_lines(ex: ExerciseProgress) -> list[str]:
    """``first week (...) vs last week (...)``; per leg ``right leg: mean peak up from 18° to 26° in 3 weeks
    (best 23° → 31°); counted 4.0 → 9.5 a day; hold 1.9 → 2.7 s; faults per rep 0.43 → 0.10``; and
    ``left/right symmetry 0.71 → 0.88 (1.00 = both legs alike; the right leg is the weaker)``."""
    first, last = ex.first, ex.last
    if first is None or last is None:
        return [f"{ex.title}: one day trained ({ex.days[0].day.isoformat()}), nothing to compare yet"]
    lines = [f"{ex.title}: {first.label} ({_period_text(first)}) vs {last.label} ({_period_text(last)})"]
    peak = "{:.0f}°" if ex.unit == "deg" else "{:.2f}"
    for side in ex.tracks:
        a, b = first.legs.get(side), last.legs.get(side)
        if a is None or b is None:
            missing = first.label if a is None else last.label
            lines.append(f"{_leg_name(side)}: no attempts in the {missing}")
            continue
        parts = [
            _change("mean peak", a.leg.mean_peak, b.leg.mean_peak, peak, _span_text(first, last))
            + f" (best {value_text(a.leg.best_peak, ex.unit)} → {value_text(b.leg.best_peak, ex.unit)})",
            f"counted {a.leg.counted / a.days:.1f} → {b.leg.counted / b.days:.1f} a day",
            f"hold {a.leg.mean_hold_s or 0:.1f} → {b.leg.mean_hold_s or 0:.1f} s",
            f"faults per rep {a.leg.faults_per_rep or 0:.2f} → {b.leg.faults_per_rep or 0:.2f}",
        ]
        lines.append(f"{_leg_name(side)}: " + "; ".join(parts))
    if ex.per_leg:
        if first.symmetry is None or last.symmetry is None:
            lines.append("left/right symmetry: not both legs in both periods")
        else:
            weaker = last.weaker or first.weaker
            who = f"the {weaker} leg is the weaker" if weaker else "both legs alike"
            lines.append(f"left/right symmetry {first.symmetry:.2f} → {last.symmetry:.2f} (1.00 = both legs alike; "
                         f"{who})")
    return lines


# -- the terminal ------------------------------------------------------------------------------------------------
def _cell(day: Day, tracks: tuple[str, ...], text: Callable[[LegSummary], str]) -> str:
    """``L x`` over ``R y`` for an exercise done with each leg, ``x`` for one counted for the whole body."""
    if tracks == (WHOLE_BODY,):
        leg = day.legs.get(WHOLE_BODY)
        return text(leg) if leg else "-"
    return "\n".join(f"{side[0].upper()} {text(day.legs[side]) if side in day.legs else '-'}" for side in tracks)


def to_table(ex: ExerciseProgress) -> Table:
    """The days of one exercise as a rich table (legs one above the other, so it fits 80 columns)."""
    table = Table(title=f"{escape(ex.title)} ({escape(ex.exercise)}): {len(ex.days)} day(s)", title_justify="left",
                  header_style="bold", box=box.SIMPLE_HEAD, pad_edge=False, collapse_padding=True)
    table.add_column("Day", no_wrap=True)
    table.add_column("Counted", no_wrap=True)
    table.add_column("Mean peak", no_wrap=True, justify="right")
    table.add_column("Best", no_wrap=True, justify="right")
    table.add_column("Hold", no_wrap=True, justify="right")
    table.add_column("Faults/rep", no_wrap=True, justify="right")
    if ex.per_leg:
        table.add_column("Symmetry", no_wrap=True, justify="right")
    for day in ex.days:
        cells = [
            day.day.strftime("%Y-%m-%d\n%a"),
            _cell(day, ex.tracks, lambda leg: f"{leg.counted} of {leg.attempts}"),
            _cell(day, ex.tracks, lambda leg: value_text(leg.mean_peak, ex.unit)),
            _cell(day, ex.tracks, lambda leg: value_text(leg.best_peak, ex.unit)),
            _cell(day, ex.tracks, lambda leg: "-" if leg.mean_hold_s is None else f"{leg.mean_hold_s:.1f} s"),
            _cell(day, ex.tracks, lambda leg: f"{leg.faults_per_rep or 0:.2f}"),
        ]
        if ex.per_leg:
            cells.append("-" if day.symmetry is None else f"{day.symmetry:.2f}")
        table.add_row(*cells)
    return table
