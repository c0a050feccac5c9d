"""Tracks: an exercise counted per leg, for the near leg, or for the whole body; a drive that rises or falls,
in degrees or a ratio. One engine for all of them.

The motions are drawn here (minimum-jerk, as people move) with their truth from the movement: a stand that
reaches standing height counts, a rise that stops half way does not, a push-off with the hands is a fault.
"""

from __future__ import annotations

import csv
import math
from pathlib import Path

import numpy as np
import pytest

from posecount.exercises import get_exercise
from posecount.exercises.engine import FeatureFrame, RepCounter
from posecount.exercises.spec import ExerciseSpec
from posecount.overlay import OverlayState, draw_overlay
from posecount.report import Report
from posecount.sources import SourceInfo

DT_MS = 33


def min_jerk(u: float) -> float:
    u = min(1.0, max(0.0, u))
    return 10 * u**3 - 15 * u**4 + 6 * u**5


def _segments(rest: float, moves: list[tuple[float, float, float, float]], rest_s: float = 1.5
              ) -> list[tuple[int, float]]:
    """(t_ms, value) for moves of (peak, up_s, hold_s, down_s) from ``rest``, ``rest_s`` apart."""
    out: list[tuple[int, float]] = []
    t = 0.0

    def add(duration_s: float, f: object) -> None:
        nonlocal t
        n = max(1, round(duration_s * 1000 / DT_MS))
        for k in range(n):
            out.append((round(t), f(k / n)))  # type: ignore[operator]
            t += DT_MS

    add(rest_s, lambda u: rest)
    for peak, up_s, hold_s, down_s in moves:
        add(up_s, lambda u, p=peak: rest + (p - rest) * min_jerk(u))
        add(hold_s, lambda u, p=peak: p)
        add(down_s, lambda u, p=peak: p - (p - rest) * min_jerk(u))
        add(rest_s, lambda u: rest)
    return out


def _body_frames(samples: list[tuple[int, float]], feature: str, extra: dict[str, object] | None = None
                 ) -> list[FeatureFrame]:
    frames = []
    for t, v in samples:
        body = {feature: v}
        for name, f in (extra or {}).items():
            body[name] = f(t) if callable(f) else f  # type: ignore[assignment]
        frames.append(FeatureFrame(t, {"left": {}, "right": {}}, body))
    return frames


def _run(spec: ExerciseSpec, frames: list[FeatureFrame]) -> RepCounter:
    counter = RepCounter(spec)
    for f in frames:
        counter.update(f)
    counter.finish(frames[-1].timestamp_ms)
    return counter


STS = get_exercise("sit-to-stand")
SEATED, STANDING = 0.5, 0.97  # hip height over leg length: seated knees at 90°, standing straight


def test_sit_to_stand_is_counted_for_the_whole_body() -> None:
    """Three full stands and one that stops half way up: three counted, one too small, all "both"."""
    moves = [(STANDING, 1.2, 0.4, 1.6), (STANDING, 1.0, 0.3, 1.4), (0.74, 0.9, 0.4, 0.9), (STANDING, 1.3, 0.6, 1.8)]
    c = _run(STS, _body_frames(_segments(SEATED, moves), "hip_height_ratio", {"wrist_drop_ratio": 0.35}))
    assert [(r.side, r.counted, r.faults) for r in c.reps] == [
        ("both", True, ()), ("both", True, ()), ("both", False, ("range_too_small",)), ("both", True, ())]
    assert c.counts == {"left": 0, "right": 0, "both": 3, "total": 3}
    assert c.reps[0].peak == pytest.approx(STANDING, abs=0.01) and c.reps[0].unit == "ratio"
    assert math.isnan(c.reps[0].peak_angle_deg), "a ratio is no angle"


def test_a_push_off_with_the_hands_is_a_fault_on_a_full_stand() -> None:
    """The hands drop to the thighs (wrist 1.0 trunk below the shoulders) during the rise of the 2nd stand."""
    samples = _segments(SEATED, [(STANDING, 1.2, 0.4, 1.6), (STANDING, 1.2, 0.4, 1.6)])
    second_rise_ms = (1.5 + 1.2 + 0.4 + 1.6 + 1.5) * 1000

    def wrists(t: int) -> float:
        return 1.0 if second_rise_ms - 200 <= t <= second_rise_ms + 900 else 0.35

    c = _run(STS, _body_frames(samples, "hip_height_ratio", {"wrist_drop_ratio": wrists}))
    assert [r.faults for r in c.reps] == [(), ("arms_push_off",)]


SQUAT = ExerciseSpec.model_validate({
    "name": "test-squat", "title": "A squat", "description": "a falling whole-body drive", "view": "side",
    "posture": "standing", "track": "whole_body",
    "drive": {"feature": "hip_height_ratio", "unit": "ratio", "direction": "fall", "rest": 0.97, "start": 0.94,
              "target": 0.9, "hysteresis": 0.01, "min_hold_s": 2.0, "hold_max_speed_per_s": 0.08,
              "rest_shift_max": 0.04}})


def test_a_falling_drive_counts_going_down_and_reports_the_lowest_point() -> None:
    """Hips down to 0.86 held 2.5 s (counted), to 0.92 (not deep enough), to 0.85 held 1 s (too short)."""
    c = _run(SQUAT, _body_frames(_segments(0.97, [(0.86, 1.0, 2.5, 1.2), (0.92, 1.0, 2.5, 1.2),
                                                  (0.85, 1.0, 1.0, 1.2)]), "hip_height_ratio"))
    assert [(r.counted, r.faults) for r in c.reps] == [
        (True, ()), (False, ("range_too_small",)), (False, ("hold_too_short",))]
    assert c.reps[0].peak == pytest.approx(0.86, abs=0.005), "the peak of a falling drive is its lowest point"
    # Held: at least the drawn plateau, at most the time past the target (0.44 s of the way down, 0.53 s of the
    # way back up, on these minimum-jerk ramps).
    assert 2.4 <= c.reps[0].hold_s <= 0.44 + 2.5 + 0.53
    assert c.reps[0].target == pytest.approx(0.9) and c.reps[0].rest == pytest.approx(0.97, abs=0.005)


def test_the_report_and_reps_csv_of_a_whole_body_ratio_exercise(tmp_path: Path) -> None:
    c = _run(STS, _body_frames(_segments(SEATED, [(STANDING, 1.2, 0.4, 1.6)]), "hip_height_ratio",
                               {"wrist_drop_ratio": 0.3}))
    report = Report(exercise=STS.name, source=SourceInfo("x.mp4", 30.0, 200, 640, 480), frames_read=200,
                    reps=c.reps, pose_detected_fraction=1.0, tracks=STS.tracks, unit=STS.drive.unit)
    d = report.to_dict()
    assert d["counts"] == {"left": 0, "right": 0, "both": 1, "total": 1}
    (rep,) = d["reps"]  # type: ignore[misc]
    assert rep["side"] == "both" and rep["peak_ratio"] == pytest.approx(STANDING, abs=0.01)
    assert "peak_angle_deg" not in rep and rep["target_ratio"] == 0.9
    report.write_reps_csv(tmp_path / "reps.csv")
    with open(tmp_path / "reps.csv", newline="") as fh:
        (row,) = list(csv.DictReader(fh))
    assert row["side"] == "both" and float(row["peak_ratio"]) == pytest.approx(STANDING, abs=0.01)


def test_a_per_leg_report_keeps_the_contract_fields() -> None:
    """The seed's exercises: counts stay left/right/total (no "both"), reps keep peak_angle_deg."""
    slr = get_exercise("side-leg-raise")
    frames = [FeatureFrame(t, {"left": {"hip_abduction_deg": v}, "right": {"hip_abduction_deg": 3.0}}, {})
              for t, v in _segments(3.0, [(30.0, 1.2, 2.6, 2.0)])]
    c = _run(slr, frames)
    report = Report(exercise=slr.name, source=SourceInfo("x.mp4", 30.0, 200, 640, 480), frames_read=200,
                    reps=c.reps, pose_detected_fraction=1.0)
    d = report.to_dict()
    assert d["counts"] == {"left": 1, "right": 0, "total": 1}
    assert set(d["reps"][0]) >= {"peak_angle_deg", "target_deg", "rest_deg"}  # type: ignore[index]


def test_a_whole_body_overlay_shows_one_count_and_a_gauge_that_fills_as_the_drive_falls() -> None:
    """The HUD of a whole-body exercise: one count; a falling drive's gauge fills (orange) as it goes down."""
    c = RepCounter(SQUAT)
    down = _segments(0.97, [(0.86, 1.0, 0.6, 1.0)], rest_s=1.0)[:round(2.5 * 1000 / DT_MS)]  # rest, down, held
    for f in _body_frames(down, "hip_height_ratio"):
        c.update(f)
    st = c.states["both"]
    assert st.phase.value in ("lifting", "holding")
    img = np.full((720, 1280, 3), 60, np.uint8)
    state = OverlayState(title=SQUAT.title, drive_label="hip height", sides=c.states,
                         start_line=c.start_line("both"), target_line=c.target_line("both"), min_hold_s=2.0,
                         goal_per_side=10, unit="ratio", sign=-1.0)
    out = draw_overlay(img, None, state)
    column = out[100:600, 1090:1280]
    green = (np.abs(column.astype(int) - (80, 200, 80)).sum(axis=2) < 90).sum()
    assert green > 500, "below the target: the bar is filled green"
    rest = RepCounter(SQUAT)
    state_rest = OverlayState(title=SQUAT.title, drive_label="hip height", sides=rest.states, start_line=0.94,
                              target_line=0.9, min_hold_s=2.0, goal_per_side=10, unit="ratio", sign=-1.0)
    calm = draw_overlay(img, None, state_rest)[100:600, 1090:1280]
    assert (np.abs(calm.astype(int) - (80, 200, 80)).sum(axis=2) < 90).sum() < green / 4


def test_a_push_off_that_begins_while_still_seated_is_caught() -> None:
    """People put their hands on their thighs to push before the hips leave the seat: here the hands are down
    from 0.6 s before the rise begins until a quarter of the way up, as in the drawn push-off sample."""
    samples = _segments(SEATED, [(STANDING, 1.2, 0.4, 1.6), (STANDING, 1.2, 0.4, 1.6)])
    second_rise_ms = (1.5 + 1.2 + 0.4 + 1.6 + 1.5) * 1000

    def wrists(t: int) -> float:
        return 1.0 if second_rise_ms - 600 <= t <= second_rise_ms + 300 else 0.35

    c = _run(STS, _body_frames(samples, "hip_height_ratio", {"wrist_drop_ratio": wrists}))
    assert [r.faults for r in c.reps] == [(), ("arms_push_off",)]
    assert c.reps[1].start_s * 1000 > second_rise_ms + 300, "the attempt itself starts after the hands came back"
