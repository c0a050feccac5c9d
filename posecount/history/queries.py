"""Reading the history: sessions for `posecount history`, and per day and per leg for `progress` and `report`.

Days are the person's local dates (the date where and when each session was recorded, see
:func:`posecount.history.db.timestamp`); ``since`` and ``until`` are such dates, both included.

Per leg, over all attempts (counted or not: what the leg did): attempts, counted reps, mean and best peak
(best: the furthest from rest, the largest for a rising drive), mean hold, form faults (a rep may carry
several; ``faults_per_rep`` is faults ÷ attempts), and the mean range (each attempt's movement from its
leg's rest level to its peak, in the drive's direction; an attempt stored without its rest level counts
from 0).
Peaks are in the drive's unit (``unit``: deg or ratio), so figures are per exercise, never mixed across
exercises.

Every query filters on ``sessions.local_date`` (index ``sessions_local_date``) and optionally
``sets.exercise`` (``sets_exercise``), and reaches the reps through ``reps_set`` (set_id, idx).
"""

from __future__ import annotations

import json
import sqlite3
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta, timezone
from typing import TYPE_CHECKING

from posecount.history.db import History

if TYPE_CHECKING:
    from posecount.exercises.engine import RepRecord

#: The best peak: the furthest from rest (a falling drive, target below rest, reaches its lowest).
_BEST_PEAK = "CASE WHEN avg(r.target) < avg(r.rest) THEN min(r.peak) ELSE max(r.peak) END"
#: The mean range: rest to peak, positive in the drive's direction (an attempt stored without its rest level
#: counts from 0).
_MEAN_RANGE = "avg(CASE WHEN r.target < r.rest THEN r.rest - r.peak ELSE r.peak - coalesce(r.rest, 0) END)"
#: A leg's figures, in the order :func:`_leg` reads them.
_LEG_FIGURES = (f"count(*), sum(r.counted), avg(r.hold_s), avg(r.peak), {_BEST_PEAK},"
                f" sum(json_array_length(r.faults)), {_MEAN_RANGE}")


@dataclass(frozen=True)
class LegSummary:
    """One leg (or the whole body, ``both``) of a session or a day."""

    attempts: int
    counted: int
    mean_hold_s: float | None
    mean_peak: float | None
    best_peak: float | None
    faults: int
    #: the mean movement from rest to peak, in the drive's unit (None: a summary made without it)
    mean_range: float | None = None

    @property
    def faults_per_rep(self) -> float | None:
        return self.faults / self.attempts if self.attempts else None


@dataclass
class SessionSummary:
    """One exercise of one session (a live session switched with Tab has a summary per exercise)."""

    session_id: int
    started_at: datetime  # aware, in the offset it was recorded in: the wall-clock time the person lived
    kind: str
    exercise: str
    source: str | None
    finished: bool  # False: still running, or the process died (every rep added until then is here)
    unit: str
    tracks: tuple[str, ...]  # ("left", "right") or ("both",)
    counts: dict[str, int]  # counted per track and total, as report.json's counts
    legs: dict[str, LegSummary]
    faults: dict[str, int]  # fault code -> attempts that carry it, most frequent first
    pain: int | None = None
    effort: int | None = None
    test: dict[str, object] | None = None  # report.json's test object (a `posecount test` session)
    warnings: list[str] = field(default_factory=list)
    posecount_version: str = ""
    results_dir: str | None = None
    reps: list[RepRecord] | None = None  # with ``reps=True``

    @property
    def attempts(self) -> int:
        return sum(leg.attempts for leg in self.legs.values())

    @property
    def local_date(self) -> date:
        return self.started_at.date()


@dataclass(frozen=True)
class DayLeg:
    """One exercise, one leg, one local day (every session of that day together)."""

    day: date
    exercise: str
    side: str
    unit: str
    sessions: int
    leg: LegSummary


def _filters(exercise: str | None, since: date | None, until: date | None) -> tuple[str, list[object]]:
    """A WHERE clause on sessions ``s`` and sets ``t``, and its parameters."""
    terms, params = ["1"], []
    if exercise is not None:
        terms.append("t.exercise = ?")
        params.append(exercise)
    if since is not None:
        terms.append("s.local_date >= ?")
        params.append(since.isoformat())
    if until is not None:
        terms.append("s.local_date <= ?")
        params.append(until.isoformat())
    return " AND ".join(terms), params


def _leg(row: sqlite3.Row | tuple) -> LegSummary:
    attempts, counted, hold, peak, best, faults, mean_range = row
    return LegSummary(int(attempts), int(counted or 0), hold, peak, best, int(faults or 0), mean_range)


def sessions(history: History, exercise: str | None = None, since: date | None = None, until: date | None = None,
             reps: bool = False) -> list[SessionSummary]:
    """Every session (one summary per exercise in it) in the order they happened; with ``reps``, each
    summary carries its attempts too."""
    where, params = _filters(exercise, since, until)
    c = history.conn
    with history.errors("read the sessions"):
        meta = c.execute(
            "SELECT s.id, s.started_at, s.utc_offset_s, s.kind, t.exercise, s.source, s.ended_at, s.pain, s.effort,"
            " s.warnings, s.posecount_version, s.results_dir, min(t.number), t.tracks, t.settings"
            " FROM sessions s JOIN sets t ON t.session_id = s.id"
            f" WHERE {where} GROUP BY s.id, t.exercise ORDER BY s.started_at, s.id, min(t.number)", params).fetchall()
        legs: dict[tuple[int, str], dict[str, LegSummary]] = {}
        units: dict[tuple[int, str], str] = {}
        for sid, ex, side, unit, *figures in c.execute(
                f"SELECT s.id, t.exercise, r.side, max(r.unit), {_LEG_FIGURES}"
                " FROM sessions s JOIN sets t ON t.session_id = s.id JOIN reps r ON r.set_id = t.id"
                f" WHERE {where} GROUP BY s.id, t.exercise, r.side", params):
            legs.setdefault((sid, ex), {})[side] = _leg(figures)
            units[(sid, ex)] = unit
        faults: dict[tuple[int, str], dict[str, int]] = {}
        for sid, ex, code, n in c.execute(
                "SELECT s.id, t.exercise, j.value, count(*)"
                " FROM sessions s JOIN sets t ON t.session_id = s.id JOIN reps r ON r.set_id = t.id,"
                f" json_each(r.faults) j WHERE {where} GROUP BY s.id, t.exercise, j.value"
                " ORDER BY count(*) DESC, j.value", params):
            faults.setdefault((sid, ex), {})[code] = n
        tests = {sid: json.loads(result) for sid, result in c.execute(
            "SELECT s.id, x.result FROM sessions s JOIN sets t ON t.session_id = s.id AND t.number = 1"
            f" JOIN test_results x ON x.session_id = s.id WHERE {where}", params)}
        rep_lists = _reps(history, where, params) if reps else {}
    out = []
    for (sid, started, offset_s, kind, ex, source, ended, pain, effort, warnings, version, results_dir, _, tracks_json,
         settings_json) in meta:
        key = (sid, ex)
        leg = legs.get(key, {})
        tracks = tuple(json.loads(tracks_json)) if tracks_json else (
            ("both",) if "both" in leg else ("left", "right"))
        unit = units.get(key) or _settings_unit(settings_json)
        out.append(SessionSummary(
            session_id=sid, started_at=_local(started, offset_s), kind=kind, exercise=ex, source=source,
            finished=ended is not None, unit=unit, tracks=tracks, counts=_counts(tracks, leg), legs=leg,
            faults=faults.get(key, {}), pain=pain, effort=effort, test=tests.get(sid), warnings=json.loads(warnings),
            posecount_version=version, results_dir=results_dir,
            reps=rep_lists.get(key, []) if reps else None))
    return out


def _reps(history: History, where: str, params: list[object]) -> dict[tuple[int, str], list[RepRecord]]:
    from posecount.exercises.engine import RepRecord

    out: dict[tuple[int, str], list[RepRecord]] = {}
    for (sid, ex, idx, side, start_s, peak_s, end_s, hold_s, lower_s, peak, unit, target, rest, counted,
         faults) in history.conn.execute(
            "SELECT s.id, t.exercise, r.idx, r.side, r.start_s, r.peak_s, r.end_s, r.hold_s, r.lower_s, r.peak, r.unit,"
            " r.target, r.rest, r.counted, r.faults"
            " FROM sessions s JOIN sets t ON t.session_id = s.id JOIN reps r ON r.set_id = t.id"
            f" WHERE {where} ORDER BY s.id, t.number, r.idx", params):
        out.setdefault((sid, ex), []).append(RepRecord(
            index=idx, side=side, start_s=start_s, peak_s=peak_s, end_s=end_s, hold_s=hold_s, peak=peak,
            counted=bool(counted), faults=() if faults == "[]" else tuple(json.loads(faults)), lower_s=lower_s,
            target=target, rest=rest, unit=unit))
    return out


def daily(history: History, exercise: str | None = None, since: date | None = None, until: date | None = None
          ) -> list[DayLeg]:
    """Per local day, exercise and leg: attempts, counted, mean and best peak, mean hold, faults (by day)."""
    where, params = _filters(exercise, since, until)
    with history.errors("read the days"):
        rows = history.conn.execute(
            f"SELECT s.local_date, t.exercise, r.side, max(r.unit), count(DISTINCT s.id), {_LEG_FIGURES}"
            " FROM sessions s JOIN sets t ON t.session_id = s.id JOIN reps r ON r.set_id = t.id"
            f" WHERE {where} GROUP BY s.local_date, t.exercise, r.side ORDER BY s.local_date, t.exercise, r.side",
            params).fetchall()
    return [DayLeg(date.fromisoformat(day), ex, side, unit, n, _leg(figures))
            for day, ex, side, unit, n, *figures in rows]


def weekly(history: History, exercise: str | None = None, since: date | None = None, until: date | None = None
           ) -> list[DayLeg]:
    """As :func:`daily`, per week (Monday to Sunday of the local dates; ``day`` is the Monday)."""
    where, params = _filters(exercise, since, until)
    monday = "date(s.local_date, 'weekday 0', '-6 days')"  # the Sunday on or after the day, less six days
    with history.errors("read the weeks"):
        rows = history.conn.execute(
            f"SELECT {monday}, t.exercise, r.side, max(r.unit), count(DISTINCT s.id), {_LEG_FIGURES}"
            " FROM sessions s JOIN sets t ON t.session_id = s.id JOIN reps r ON r.set_id = t.id"
            f" WHERE {where} GROUP BY 1, t.exercise, r.side ORDER BY 1, t.exercise, r.side", params).fetchall()
    return [DayLeg(date.fromisoformat(day), ex, side, unit, n, _leg(figures))
            for day, ex, side, unit, n, *figures in rows]


def fault_counts(history: History, exercise: str | None = None, since: date | None = None,
                 until: date | None = None) -> list[tuple[str, str, str, int]]:
    """(exercise, side, fault code, attempts carrying it), most frequent first."""
    where, params = _filters(exercise, since, until)
    with history.errors("read the faults"):
        return [tuple(row) for row in history.conn.execute(  # type: ignore[misc]
            "SELECT t.exercise, r.side, j.value, count(*)"
            " FROM sessions s JOIN sets t ON t.session_id = s.id JOIN reps r ON r.set_id = t.id, json_each(r.faults) j"
            f" WHERE {where} GROUP BY t.exercise, r.side, j.value ORDER BY count(*) DESC, t.exercise, r.side, j.value",
            params)]


@dataclass(frozen=True)
class PeriodLeg:
    """One exercise, one leg, over a stretch of local days (every session in it together)."""

    exercise: str
    side: str
    unit: str
    days: int  # days on which this leg made an attempt
    sessions: int
    leg: LegSummary


def period(history: History, exercise: str | None = None, since: date | None = None, until: date | None = None
           ) -> list[PeriodLeg]:
    """Per exercise and leg, the days from ``since`` to ``until`` as one (e.g. a first and a last week)."""
    where, params = _filters(exercise, since, until)
    with history.errors("read the days"):
        rows = history.conn.execute(
            "SELECT t.exercise, r.side, max(r.unit), count(DISTINCT s.local_date), count(DISTINCT s.id),"
            f" {_LEG_FIGURES}"
            " FROM sessions s JOIN sets t ON t.session_id = s.id JOIN reps r ON r.set_id = t.id"
            f" WHERE {where} GROUP BY t.exercise, r.side ORDER BY t.exercise, r.side", params).fetchall()
    return [PeriodLeg(ex, side, unit, days, n, _leg(figures)) for ex, side, unit, days, n, *figures in rows]


def _session_filters(since: date | None, until: date | None) -> tuple[str, list[object]]:
    """A WHERE clause on sessions ``s`` alone (local dates, both included), and its parameters."""
    return _filters(None, since, until)


def training_days(history: History, since: date | None = None, until: date | None = None) -> dict[date, int]:
    """The local days with at least one attempt in an exercise session (function tests are not training), and
    how many such sessions each had."""
    where, params = _session_filters(since, until)
    with history.errors("read the days"):
        rows = history.conn.execute(
            f"SELECT s.local_date, count(*) FROM sessions s WHERE {where} AND s.kind != 'test'"
            " AND EXISTS (SELECT 1 FROM reps r WHERE r.session_id = s.id) GROUP BY s.local_date ORDER BY s.local_date",
            params).fetchall()
    return {date.fromisoformat(day): n for day, n in rows}


@dataclass(frozen=True)
class Rating:
    """The person's pain and effort (0-10 each, None: not given) after one session."""

    session_id: int
    started_at: datetime  # aware, in the offset it was recorded in
    exercise: str  # the session's first exercise
    pain: int | None
    effort: int | None

    @property
    def local_date(self) -> date:
        return self.started_at.date()


def ratings(history: History, since: date | None = None, until: date | None = None) -> list[Rating]:
    """Every session that has a pain or effort rating, in the order they happened."""
    where, params = _session_filters(since, until)
    with history.errors("read pain and effort"):
        rows = history.conn.execute(
            "SELECT s.id, s.started_at, s.utc_offset_s, s.exercise, s.pain, s.effort FROM sessions s"
            f" WHERE {where} AND (s.pain IS NOT NULL OR s.effort IS NOT NULL) ORDER BY s.started_at, s.id",
            params).fetchall()
    return [Rating(sid, _local(started, offset_s), ex, pain, effort)
            for sid, started, offset_s, ex, pain, effort in rows]


@dataclass(frozen=True)
class StoredTest:
    """A function test's stored outcome (the ``test_results`` row; ``result`` is report.json's test object)."""

    session_id: int
    started_at: datetime  # aware, in the offset it was recorded in
    protocol: str
    kind: str  # count_in_time | time_to_count | stances (the balance test: no score nor time, see result)
    score: int | None
    time_s: float | None
    completed: bool
    voided_by: str | None
    age: int | None
    sex: str | None
    norm_threshold: float | None
    below_norm: bool | None
    verdict: str
    result: dict[str, object]

    @property
    def local_date(self) -> date:
        return self.started_at.date()


def function_tests(history: History, since: date | None = None, until: date | None = None) -> list[StoredTest]:
    """Every function test's result, in the order they were done."""
    where, params = _session_filters(since, until)
    with history.errors("read the test results"):
        rows = history.conn.execute(
            "SELECT s.id, s.started_at, s.utc_offset_s, x.protocol, x.kind, x.score, x.time_s, x.completed,"
            " x.voided_by, x.age, x.sex, x.norm_threshold, x.below_norm, x.verdict, x.result"
            f" FROM sessions s JOIN test_results x ON x.session_id = s.id WHERE {where}"
            " ORDER BY s.started_at, s.id", params).fetchall()
    return [StoredTest(sid, _local(started, offset_s), protocol, kind, score, time_s, bool(completed),
                               voided_by, age, sex, threshold, None if below is None else bool(below), verdict,
                               json.loads(result))
            for (sid, started, offset_s, protocol, kind, score, time_s, completed, voided_by, age, sex, threshold,
                 below, verdict, result) in rows]


@dataclass(frozen=True)
class ProgrammeItem:
    """One exercise of the programme over a stretch of days: how often it was done, and what was prescribed."""

    exercise: str
    sessions: int
    days: int
    first_day: date
    last_day: date
    #: the latest stored settings (report.json's: the drive's thresholds, per_side targets and holds, personal)
    settings: dict[str, object] | None
    #: reps per set prescribed for each leg (a routine's sets), the latest stored
    target_reps: dict[str, int]


def programme(history: History, since: date | None = None, until: date | None = None) -> list[ProgrammeItem]:
    """The exercises done (function tests apart), the most often done first, with the latest prescription
    stored for each."""
    where, params = _filters(None, since, until)
    where += " AND s.kind != 'test'"
    with history.errors("read the programme"):
        c = history.conn
        rows = c.execute(
            "SELECT t.exercise, count(DISTINCT s.id), count(DISTINCT s.local_date), min(s.local_date),"
            " max(s.local_date) FROM sessions s JOIN sets t ON t.session_id = s.id"
            f" WHERE {where} GROUP BY t.exercise ORDER BY count(DISTINCT s.local_date) DESC, t.exercise",
            params).fetchall()
        settings: dict[str, dict[str, object]] = {}
        for ex, text in c.execute(
                "SELECT t.exercise, t.settings FROM sessions s JOIN sets t ON t.session_id = s.id"
                f" WHERE {where} AND t.settings IS NOT NULL ORDER BY s.started_at DESC, t.number DESC", params):
            if ex not in settings:
                try:
                    settings[ex] = json.loads(text)
                except ValueError:
                    continue
        targets: dict[str, dict[str, int]] = {}
        for ex, side, n in c.execute(
                "SELECT t.exercise, coalesce(t.side, 'each'), t.target_reps FROM sessions s"
                f" JOIN sets t ON t.session_id = s.id WHERE {where} AND t.target_reps IS NOT NULL"
                " ORDER BY s.started_at DESC, t.number DESC", params):
            targets.setdefault(ex, {}).setdefault(side, int(n))
    return [ProgrammeItem(ex, n, days, date.fromisoformat(first), date.fromisoformat(last), settings.get(ex),
                          targets.get(ex, {})) for ex, n, days, first, last in rows]


def _local(started_utc: str, offset_s: int) -> datetime:
    return datetime.fromisoformat(started_utc).astimezone(timezone(timedelta(seconds=offset_s)))


def _settings_unit(settings_json: str | None) -> str:
    try:
        return str(json.loads(settings_json)["drive"]["unit"]) if settings_json else "deg"
    except (KeyError, TypeError, ValueError):
        return "deg"


def _counts(tracks: tuple[str, ...], legs: dict[str, LegSummary]) -> dict[str, int]:
    """As report.json's counts: left, right and total; a whole-body exercise adds both (= total)."""
    per = {side: legs[side].counted if side in legs else 0 for side in ("left", "right")}
    if "both" in tracks or "both" in legs:
        both = legs["both"].counted if "both" in legs else 0
        return {**per, "both": both, "total": both}
    return {**per, "total": per["left"] + per["right"]}
