"""The drawn sit-to-stand samples and function-test clips (samples/exercises), replayed from their committed
landmark recordings (MediaPipe's output for each clip): reps and test scores against the drawing's truth.

Truth comes from the motion script and the protocol (posecount.synth.programme), never from the engine's
lines. "Go" in a video is the first rise (the hips leaving the seat, ``hips_leave_seat_s`` in the truth),
as the issue defines it for a video without a spoken start.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from posecount.exercises import get_exercise
from posecount.exercises.protocols import get_protocol
from posecount.pipeline import FunctionTestRequest, run_analysis
from posecount.recording import PoseTrack

EXERCISES = Path(__file__).resolve().parents[1] / "samples" / "exercises"
STS_CLIPS = ["sts_clean", "sts_partial_push_off", "chair_stand_30s", "chair_stand_30s_push_off", "five_times_sts"]


def _truth(name: str) -> dict:
    return json.loads((EXERCISES / f"{name}.truth.json").read_text())


def _run(name: str, tmp_path: Path, test: FunctionTestRequest | None = None):
    truth = _truth(name)
    track = PoseTrack.load(EXERCISES / "landmarks" / f"{name}.npz")
    return run_analysis(EXERCISES / truth["video"], get_exercise(truth["exercise"]), tmp_path, None,
                        write_video=False, landmarks=track, test=test)


@pytest.mark.parametrize("name", STS_CLIPS)
def test_every_drawn_stand_is_counted_with_its_faults(name: str, tmp_path: Path) -> None:
    truth = _truth(name)
    report = _run(name, tmp_path)
    assert report.counts == truth["counts"]
    assert [(r.side, r.counted, list(r.faults)) for r in report.reps] == [
        (t["side"], t["counted"], t["faults"]) for t in truth["reps"]]
    for r, t in zip(report.reps, truth["reps"], strict=True):
        assert t["start_s"] <= r.start_s <= t["peak_s"] and r.end_s <= t["end_s"] + 0.2


@pytest.mark.parametrize("name", ["chair_stand_30s", "chair_stand_30s_push_off"])
def test_the_30_second_chair_stand_scores_as_the_protocol_on_the_drawing(name: str, tmp_path: Path) -> None:
    truth = _truth(name)["test"]
    protocol = get_protocol("chair-stand-30s")
    given = _run(name, tmp_path / "given",
                 FunctionTestRequest(protocol, start_s=truth["start_s"], age=72, sex="female"))
    assert given.test is not None and given.test["score"] == truth["score"]
    assert given.test["voided_by"] == truth["voided_by"]
    if not truth["voided_by"]:
        assert given.test["halfway_at_end"] == truth["halfway_at_end"]
    found = _run(name, tmp_path / "found", FunctionTestRequest(protocol, age=72, sex="female"))
    assert found.test is not None and found.test["start_from"] == "first movement"
    assert found.test["start_s"] == pytest.approx(truth["hips_leave_seat_s"], abs=0.2)


def test_five_times_sit_to_stand_times_from_the_first_rise_within_0_2_s(tmp_path: Path) -> None:
    truth = _truth("five_times_sts")["test"]
    report = _run("five_times_sts", tmp_path, FunctionTestRequest(get_protocol("five-times-sit-to-stand"), age=75))
    assert report.test is not None and report.test["completed"] is True
    drawn = truth["stands_s"][-1] - truth["hips_leave_seat_s"]
    assert report.test["time_s"] == pytest.approx(drawn, abs=0.2)
    given = _run("five_times_sts", tmp_path / "g", FunctionTestRequest(get_protocol("five-times-sit-to-stand"),
                                                              start_s=truth["start_s"]))
    assert given.test is not None and given.test["time_s"] == pytest.approx(truth["time_s"], abs=0.2)
