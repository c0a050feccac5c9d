"""Reading the history: sessions for `posecount history`, and per day and per leg for `progress` and `report`.

Days are the person's local dates (the date where and when each session was recorded, see
:func:`posecount.history.db.timestamp`); ``since`` and ``until`` are such dates, both included.

Per leg, over all attempts (counted or not: what the leg did): attempts, counted reps, mean and best peak
(best: the furthest from rest, the largest for a rising drive), mean hold, form faults (a rep may carry
several; ``faults_per_rep`` is faults ÷ attempts). Peaks are in the drive's unit (``unit``: deg or ratio),
so figures are per exercise, never mixed across exercises.
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


@dataclass(frozen=True)
class LegSummary:
    """One leg (or the whole body, ``both``) of a session or a day."""

    attempts: int
    counted: int
    mean_hold_s: float | None
    mean_peak: float | None
    best_peak: float | None
    faults: int

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
    attempts, counted, hold, peak, best, faults = row
    return LegSummary(int(attempts), int(counted or 0), hold, peak, best, int(faults or 0))


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
                "SELECT s.id, t.exercise, r.side, max(r.unit), count(*), sum(r.counted), avg(r.hold_s), avg(r.peak),"
                f" {_BEST_PEAK}, sum(json_array_length(r.faults))"
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
            "SELECT s.local_date, t.exercise, r.side, max(r.unit), count(DISTINCT s.id), count(*), sum(r.counted),"
            f" avg(r.hold_s), avg(r.peak), {_BEST_PEAK}, sum(json_array_length(r.faults))"
            " FROM sessions s JOIN sets t ON t.session_id = s.id JOIN reps r ON r.set_id = t.id"
            f" WHERE {where} GROUP BY s.local_date, t.exercise, r.side ORDER BY s.local_date, t.exercise, r.side",
            params).fetchall()
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
