"""A realistic month of training history, written through the real API, and the numbers it drew (its truth).

:func:`write_month` writes 30 days from Monday 2 June 2025, in Berlin, into a history file:

- every day but five (missed: the 6th, 11th, 12th, 18th and 25th day), a morning session of the two seed
  exercises, 10 attempts with each leg, the left leg first: the standing side leg raise (left leg strong,
  peaks near 30°; the right leg weak, peaks from 18° rising to 26° over the month, holds getting longer)
  and the seated knee extension (left near 168°, right from 148° to 163°); trunk lean, toes pointing and
  fast lowering less frequent as the weeks go by;
- recorded three ways, as posecount records them: a live session written as it goes (``SessionWriter``:
  a set per exercise, Tab between them), a routine (``History``: a set per leg with its prescribed 10 reps
  and the personal targets), or two ``analyze`` runs of recorded videos (``RunRecorder``, one per exercise);
- pain (falling from about 5 to 2) and effort (about 6) after the session (not after the second analyze);
- the 30-second chair stand on the first day and the 29th (8 stands, below the norm for a woman of 72; then
  11, not below it), stored as ``posecount test`` stores it, with sit-to-stand reps counted for the whole body.

The truth is what was drawn, not what the queries say: every attempt per exercise, day and leg, every rating
and test, the days trained. Seeded: the same month every time.
"""

from __future__ import annotations

import random
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from pathlib import Path
from statistics import mean
from zoneinfo import ZoneInfo

from posecount.exercises import get_exercise, personalise
from posecount.exercises.engine import RepRecord
from posecount.exercises.protocols import FunctionTestResult, get_protocol
from posecount.history import History, RunRecorder, SessionWriter
from posecount.report import Report, provenance
from posecount.sources import SourceInfo

START = date(2025, 6, 2)
DAYS = 30
MISSED = frozenset({5, 10, 11, 17, 24})  # day indexes (0 = START) with no training
TEST_DAYS = {0: 8, 28: 11}  # day index: chair stands in 30 s
AGE, SEX = 72, "female"
PER_LEG = 10
BERLIN = ZoneInfo("Europe/Berlin")
SLR, SKE, STS = "side-leg-raise", "seated-knee-extension", "sit-to-stand"
#: The prescription: per-leg targets (degrees) and holds (s); the right leg, the weak one, has a lower target.
PRESCRIPTION = {SLR: ({"left": 20.0, "right": 15.0}, {"left": 2.0, "right": 2.0}),
                SKE: ({"left": 145.0, "right": 145.0}, {"left": 1.0, "right": 1.0})}


@dataclass
class Truth:
    """What :func:`write_month` drew."""

    start: date = START
    days: int = DAYS
    reps: dict[tuple[str, date, str], list[RepRecord]] = field(default_factory=dict)  # (exercise, day, side)
    ratings: list[tuple[date, int, int]] = field(default_factory=list)  # (day, pain, effort)
    tests: list[tuple[date, int, float, bool]] = field(default_factory=list)  # (day, score, norm line, below)
    trained: list[date] = field(default_factory=list)  # days with an exercise session (tests apart)

    @property
    def until(self) -> date:
        return self.start + timedelta(days=self.days - 1)

    def attempts(self, exercise: str, side: str, since: date, until: date) -> list[RepRecord]:
        """Every attempt of ``exercise`` with ``side`` from ``since`` to ``until`` (both included)."""
        return [r for (ex, day, s), reps in sorted(self.reps.items()) if ex == exercise and s == side
                and since <= day <= until for r in reps]

    def days_of(self, exercise: str) -> list[date]:
        return sorted({day for ex, day, _ in self.reps if ex == exercise})


def mean_range(reps: list[RepRecord]) -> float:
    """The truth's own mean range: peak minus rest (every drawn rep has a rest; all these drives rise)."""
    return mean(r.peak - (r.rest or 0.0) for r in reps)


def _clamp(value: float, low: int = 0, high: int = 10) -> int:
    return max(low, min(high, round(value)))


def _attempts(rng: random.Random, exercise: str, side: str, p: float, start_index: int = 1) -> list[RepRecord]:
    """One leg's 10 attempts of one exercise on a day ``p`` (0..1) of the way through the month."""
    spec = get_exercise(exercise)
    targets, holds = PRESCRIPTION[exercise]
    reps, t = [], 3.0
    for i in range(PER_LEG):
        if exercise == SLR:
            rest = rng.gauss(3.0, 0.5)
            peak = (30.0 + 1.5 * p if side == "left" else 18.0 + 8.0 * p) + rng.gauss(0, 1.5)
            hold = (2.6 if side == "left" else 1.8 + 0.8 * p) + rng.gauss(0, 0.3)
            lean = (0.45 * (1 - p) + 0.05) if side == "right" else 0.08
            faults = ["trunk_lean"] if rng.random() < lean else []
            if rng.random() < 0.1 * (1 - p):
                faults.append("knee_bent")
        else:
            rest = rng.gauss(92.0, 2.0)
            peak = (168.0 if side == "left" else 148.0 + 15.0 * p) + rng.gauss(0, 2.0)
            hold = (1.6 if side == "left" else 1.0 + 0.6 * p) + rng.gauss(0, 0.25)
            toes = (0.35 * (1 - p) + 0.05) if side == "right" else 0.05
            faults = ["toes_not_up"] if rng.random() < toes else []
            if peak < 160.0:  # the spec's knee_bent line: an extensor lag
                faults.append("knee_bent")
        hold = max(0.0, round(hold, 2))
        lower_s = 0.6 if spec.drive.min_lower_s and rng.random() < 0.2 * (1 - p) else 1.4
        if lower_s < spec.drive.min_lower_s:
            faults.append("lowered_too_fast")
        if peak < targets[side]:
            faults.append("range_too_small")
        if hold < holds[side]:
            faults.append("hold_too_short")
        counted = "range_too_small" not in faults and "hold_too_short" not in faults
        reps.append(RepRecord(index=start_index + i, side=side, start_s=t, peak_s=t + 1.0,  # type: ignore[arg-type]
                              end_s=t + 2.0 + hold + lower_s, hold_s=hold, peak=round(peak, 2), counted=counted,
                              faults=tuple(faults), lower_s=lower_s, target=targets[side], rest=round(rest, 2)))
        t += 6.0 + hold
    return reps


def _report(exercise: str, reps: list[RepRecord], source: str, test: dict[str, object] | None = None) -> Report:
    spec = get_exercise(exercise)
    if exercise in PRESCRIPTION:
        spec = personalise(spec, *PRESCRIPTION[exercise])  # type: ignore[arg-type]
    _, settings = provenance(spec)
    duration_s = (reps[-1].end_s + 2.0) if reps else 10.0
    return Report(exercise=exercise, source=SourceInfo(source, 30.0, round(30 * duration_s), 1280, 720, duration_s),
                  frames_read=round(30 * duration_s), reps=reps, pose_detected_fraction=0.98, settings=settings,
                  tracks=spec.tracks, unit=spec.drive.unit, test=test)


def _stands(rng: random.Random, score: int) -> list[RepRecord]:
    """A 30-second chair stand's stands, counted for the whole body (the hips' height as a ratio)."""
    reps, t = [], 1.0
    for i in range(score):
        reps.append(RepRecord(index=i + 1, side="both", start_s=t, peak_s=t + 0.9, end_s=t + 2.2,  # type: ignore[arg-type]
                              hold_s=0.15, peak=round(rng.gauss(0.95, 0.015), 3), counted=True, faults=(),
                              lower_s=1.0, target=0.9, rest=0.5, unit="ratio"))
        t += 30.0 / (score + 1)
    return reps


def write_month(db: Path, seed: int = 10) -> Truth:
    """Write the month into the history file ``db`` (made if missing) and return what was drawn."""
    rng = random.Random(seed)
    truth = Truth()
    for i in range(DAYS):
        day = START + timedelta(days=i)
        p = i / (DAYS - 1)
        morning = datetime(day.year, day.month, day.day, 8, 30, tzinfo=BERLIN) + timedelta(minutes=rng.randrange(60))
        if i in TEST_DAYS:
            _chair_stand(db, truth, rng, day, morning + timedelta(hours=3), TEST_DAYS[i])
        if i in MISSED:
            continue
        truth.trained.append(day)
        drawn = {(ex, side): _attempts(rng, ex, side, p) for ex in (SLR, SKE) for side in ("left", "right")}
        for (ex, side), reps in drawn.items():
            truth.reps[(ex, day, side)] = reps
        pain, effort = _clamp(5 - 3 * p + rng.gauss(0, 0.8)), _clamp(6 + rng.gauss(0, 1.0))
        how = i % 3
        if how == 0:
            sid = _live(db, drawn, morning)
        elif how == 1:
            sid = _routine(db, drawn, morning)
        else:
            sid = _analyze(db, drawn, morning)
        with History.open(db) as h:
            h.rate(sid, pain=pain, effort=effort)
        truth.ratings.append((day, pain, effort))
    return truth


def _live(db: Path, drawn: dict[tuple[str, str], list[RepRecord]], when: datetime) -> int:
    """A live session written as it goes: the side leg raise, Tab, the seated knee extension."""
    slr, ske = (personalise(get_exercise(ex), *PRESCRIPTION[ex]) for ex in (SLR, SKE))  # type: ignore[arg-type]
    writer = SessionWriter.start(db, "live", slr, "camera:0", Path("posecount-out"), started_at=when)
    first = _renumbered(drawn[(SLR, "left")] + drawn[(SLR, "right")])
    for rep in first:
        writer.rep(rep)
    writer.switched(first, ske, at_s=first[-1].end_s + 5.0)
    second = _renumbered(drawn[(SKE, "left")] + drawn[(SKE, "right")])
    for rep in second:
        writer.rep(rep)
    sid = writer.finish(_report(SKE, second, "camera:0"))
    assert sid is not None
    return sid


def _routine(db: Path, drawn: dict[tuple[str, str], list[RepRecord]], when: datetime) -> int:
    """A routine: a set per leg of each exercise, each with its 10 prescribed reps and the personal targets."""
    with History.open(db) as h:
        sid = h.start_session("routine", SLR, source="camera:0", started_at=when, tracks=("left", "right"),
                              settings=_report(SLR, [], "").settings)
        t = 0.0
        for ex in (SLR, SKE):
            settings = _report(ex, [], "").settings
            for side in ("left", "right"):
                h.start_set(sid, ex, side=side, target_reps=PER_LEG, started_s=t, tracks=("left", "right"),
                            settings=settings)
                h.add_reps(sid, drawn[(ex, side)])
                t += 90.0
        h.finish_session(sid, ended_at=when + timedelta(minutes=20))
    return sid


def _analyze(db: Path, drawn: dict[tuple[str, str], list[RepRecord]], when: datetime) -> int:
    """Two recorded videos analysed, one per exercise (``posecount analyze``); returns the first's session."""
    ids = []
    for k, ex in enumerate((SLR, SKE)):
        recorder = RunRecorder(db)
        recorder.started_at = when + timedelta(minutes=15 * k)
        reps = _renumbered(drawn[(ex, "left")] + drawn[(ex, "right")])
        sid = recorder.record(_report(ex, reps, f"{ex}-{when.date().isoformat()}.mp4"), "analyze",
                              Path("posecount-out"))
        assert sid is not None
        ids.append(sid)
    return ids[0]


def _chair_stand(db: Path, truth: Truth, rng: random.Random, day: date, when: datetime, score: int) -> None:
    """A 30-second chair stand, stored as `posecount test` stores it (RunRecorder, the test's result)."""
    protocol = get_protocol("chair-stand-30s")
    stands = _stands(rng, score)
    norm = protocol.norm_for(AGE, SEX)
    assert norm is not None
    result = FunctionTestResult(protocol=protocol, start_s=0.5, start_from="first movement", score=score, time_s=None,
                                completed=True, voided_by=None, stands=tuple(r.peak_s for r in stands),
                                halfway_at_end=False, age=AGE, sex=SEX, norm=norm)
    recorder = RunRecorder(db)
    recorder.started_at = when
    recorder.record(_report(STS, stands, "chair-stand.mp4", test=result.to_dict()), "test", Path("posecount-out"))
    truth.reps[(STS, day, "both")] = stands
    truth.tests.append((day, score, norm.threshold, bool(result.below_norm)))


def _renumbered(reps: list[RepRecord]) -> list[RepRecord]:
    """Attempts of both legs in one video or set: indexes 1, 2, ... and times one after the other."""
    from dataclasses import replace

    out, offset = [], 0.0
    for i, r in enumerate(reps):
        if i and r.start_s + offset < out[-1].end_s:
            offset = out[-1].end_s + 4.0 - r.start_s
        out.append(replace(r, index=i + 1, start_s=r.start_s + offset, peak_s=r.peak_s + offset,
                           end_s=r.end_s + offset))
    return out
