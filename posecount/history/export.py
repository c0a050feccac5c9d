"""`posecount history`'s outputs: a rich table for people, CSV and JSON for programs.

JSON (``{"schema_version": 1, "sessions": [...]}``, a session a line) holds each session summary with its
per-leg figures and every rep in report.json's own format; CSV has one row per session and exercise, the same
figures flat.
Times: ``local_time`` is the wall-clock time where the session was recorded (ISO 8601 with its offset),
``started_at`` the same instant in UTC.
"""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Callable, Sequence
from datetime import UTC

from rich import box
from rich.markup import escape
from rich.table import Table

from posecount.history.queries import LegSummary, SessionSummary

EXPORT_SCHEMA_VERSION = 1
SIDES = ("left", "right", "both")
CSV_FIELDS = [
    "session_id", "local_time", "local_date", "started_at", "kind", "exercise", "source", "finished", "unit",
    *(f"counted_{s}" for s in SIDES), "counted_total", "attempts",
    *(f"mean_hold_s_{s}" for s in SIDES), *(f"mean_peak_{s}" for s in SIDES), *(f"best_peak_{s}" for s in SIDES),
    "fault_count", "faults", "pain", "effort", "test", "test_score", "test_time_s", "test_below_norm", "test_verdict",
]


def _digits(unit: str) -> int:
    return 1 if unit == "deg" else 3  # as report.json's peaks


def _round(value: float | None, digits: int) -> float | None:
    return None if value is None else round(value, digits)


def _leg_dict(leg: LegSummary, unit: str) -> dict[str, object]:
    d = _digits(unit)
    per = leg.faults_per_rep
    return {"attempts": leg.attempts, "counted": leg.counted, "mean_hold_s": _round(leg.mean_hold_s, 2),
            "mean_peak": _round(leg.mean_peak, d), "best_peak": _round(leg.best_peak, d), "faults": leg.faults,
            "faults_per_rep": None if per is None else round(per, 3)}


def session_dict(s: SessionSummary) -> dict[str, object]:
    """One session summary as plain JSON data (reps as in report.json, when the summary has them)."""
    return {
        "session_id": s.session_id, "local_time": s.started_at.isoformat(timespec="seconds"),
        "local_date": s.local_date.isoformat(),
        "started_at": s.started_at.astimezone(UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z"),
        "kind": s.kind, "exercise": s.exercise, "source": s.source, "finished": s.finished, "unit": s.unit,
        "counts": s.counts, "attempts": s.attempts,
        "legs": {side: _leg_dict(leg, s.unit) for side, leg in s.legs.items()},
        "faults": s.faults, "pain": s.pain, "effort": s.effort, "test": s.test, "warnings": s.warnings,
        "posecount_version": s.posecount_version, "results_dir": s.results_dir,
        **({"reps": [r.to_dict() for r in s.reps]} if s.reps is not None else {}),
    }


def to_json(summaries: Sequence[SessionSummary]) -> str:
    """``{"schema_version": 1, "sessions": [...]}`` with one session a line (a year of reps stays quick to write
    and to read; ``jq .`` pretty-prints it)."""
    lines = ",\n".join(json.dumps(session_dict(s), ensure_ascii=False) for s in summaries)
    return f'{{"schema_version": {EXPORT_SCHEMA_VERSION}, "sessions": [\n{lines}\n]}}\n'


def to_csv(summaries: Sequence[SessionSummary]) -> str:
    buf = io.StringIO()
    writer = csv.DictWriter(buf, fieldnames=CSV_FIELDS, lineterminator="\n")
    writer.writeheader()
    for s in summaries:
        d = session_dict(s)
        row: dict[str, object] = {k: d[k] for k in ("session_id", "local_time", "local_date", "started_at", "kind",
                                                     "exercise", "source", "unit", "pain", "effort", "attempts")}
        row["finished"] = str(s.finished).lower()
        row["counted_total"] = s.counts.get("total", 0)
        for side in SIDES:
            if side in s.tracks or side in s.legs:
                row[f"counted_{side}"] = s.counts.get(side, 0)
            leg = d["legs"].get(side)  # type: ignore[attr-defined]
            if leg:
                row[f"mean_hold_s_{side}"] = leg["mean_hold_s"]
                row[f"mean_peak_{side}"] = leg["mean_peak"]
                row[f"best_peak_{side}"] = leg["best_peak"]
        row["fault_count"] = sum(leg.faults for leg in s.legs.values())
        row["faults"] = ";".join(f"{code}={n}" for code, n in s.faults.items())
        if s.test:
            norm = s.test.get("norm")
            row.update(test=s.test.get("name"), test_score=s.test.get("score"), test_time_s=s.test.get("time_s"),
                       test_below_norm="" if not isinstance(norm, dict) or norm.get("below_norm") is None
                       else str(bool(norm["below_norm"])).lower(), test_verdict=s.test.get("verdict"))
        writer.writerow({k: "" if v is None else v for k, v in row.items()})
    return buf.getvalue()


# -- the table ------------------------------------------------------------------------------------------------
def _per_leg(s: SessionSummary, text: Callable[[LegSummary], str], missing: str = "-") -> str:
    """``L x`` over ``R y`` for a per-leg exercise, ``x`` for a whole-body one; ``missing`` where a leg did
    nothing."""
    if "both" in s.tracks:
        leg = s.legs.get("both")
        return text(leg) if leg else missing
    return "\n".join(f"{side[0].upper()} {text(s.legs[side]) if side in s.legs else missing}"
                     for side in ("left", "right"))


def _peak_text(value: float | None, unit: str) -> str:
    if value is None:
        return "-"
    return f"{value:.0f}°" if unit == "deg" else f"{value:.2f}"


def _test_text(test: dict[str, object]) -> str:
    """``12 stands, below norm``: the score or time and the norm's verdict (the test's name is in Exercise); a
    stances test: the stances held and the fall risk."""
    stances = test.get("stances")
    if test.get("kind") == "stances" and isinstance(stances, list):
        held = sum(1 for s in stances if isinstance(s, dict) and s.get("held"))
        if not stances:
            return "no stance taken"
        ended_by = test.get("ended_by")
        text = (f"{held} held, {str(ended_by).replace('_', '-')} not" if ended_by
                else f"all {held} stances held")
        risk = test.get("fall_risk")
        return text + ("" if risk is None else ", fall risk" if risk else ", no fall risk")
    if test.get("kind") == "count_in_time":
        result = f"{test.get('score')} stands"
    else:
        time_s = test.get("time_s")
        result = f"{time_s:.1f} s" if isinstance(time_s, int | float) else "not completed"
    if test.get("voided_by"):
        result += ", void"
    norm = test.get("norm")
    if isinstance(norm, dict) and norm.get("below_norm") is not None:
        result += ", below norm" if norm["below_norm"] else ", not below norm"
    return result


def to_table(summaries: Sequence[SessionSummary], title: str) -> Table:
    """The sessions as a rich table: local date and time, exercise, counted of attempted per leg, mean hold,
    mean peak per leg, faults, and pain/effort and test results when there are any. Legs are one above the other,
    so the table fits a terminal of 80 columns."""
    table = Table(title=title, title_justify="left", header_style="bold", box=box.SIMPLE_HEAD,
                  pad_edge=False, collapse_padding=True)
    table.add_column("#", justify="right")
    table.add_column("When", no_wrap=True)
    table.add_column("Exercise", no_wrap=True)
    table.add_column("Counted", no_wrap=True)
    table.add_column("Hold", no_wrap=True)
    table.add_column("Peak", no_wrap=True)
    table.add_column("Faults", min_width=6)
    rated = any(s.pain is not None or s.effort is not None for s in summaries)
    tested = any(s.test for s in summaries)
    if rated:
        table.add_column("Pain/effort", justify="center")
    if tested:
        table.add_column("Test", min_width=10)  # the result; the test's name is in Exercise
    for s in summaries:
        counts = _per_leg(s, lambda leg: f"{leg.counted} of {leg.attempts}", "0 of 0")
        hold = _per_leg(s, lambda leg: "-" if leg.mean_hold_s is None else f"{leg.mean_hold_s:.1f} s")
        peak = _per_leg(s, lambda leg, unit=s.unit: _peak_text(leg.mean_peak, unit))
        faults = "\n".join(f"{code.replace('_', ' ')} {n}" for code, n in list(s.faults.items())[:3])
        if len(s.faults) > 3:
            faults += "\n…"
        kind = s.kind if s.finished else f"{s.kind}, unfinished"
        what = (f"{escape(str(s.test.get('name')))}\n[dim]{kind}: {escape(s.exercise)}[/]" if s.test
                else f"{escape(s.exercise)}\n[dim]{kind}[/]")
        cells = [str(s.session_id), s.started_at.strftime("%Y-%m-%d\n%a %H:%M"), what,
                 counts, hold, peak, escape(faults) or "-"]
        if rated:
            cells.append(f"{'-' if s.pain is None else s.pain}/{'-' if s.effort is None else s.effort}")
        if tested:
            cells.append(escape(_test_text(s.test)) if s.test else "")
        table.add_row(*cells)
    return table
