"""The pipeline end to end on a shipped sample: pose recording, replay, outputs, and bad output paths."""

from __future__ import annotations

import csv
import json
import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from posecount.errors import OutputError
from posecount.exercises import get_exercise
from posecount.pipeline import replay_track, run_analysis, run_pose_extraction
from posecount.pose import PoseOptions
from posecount.recording import PoseTrack

SAMPLES = Path(__file__).resolve().parents[1] / "samples"
SAMPLE = SAMPLES / "slr_clean_alternating.mp4"
pytestmark = pytest.mark.model


def posecount(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "posecount", *args], capture_output=True, text=True, timeout=600)


@pytest.fixture(scope="module")
def recorded(tmp_path_factory: pytest.TempPathFactory, model_path: Path) -> tuple[Path, PoseTrack]:
    out = tmp_path_factory.mktemp("pose")
    track = run_pose_extraction(SAMPLE, out, PoseOptions(model_path=model_path))
    return out, track


def test_pose_recording_is_complete_and_loads_back(recorded: tuple[Path, PoseTrack]) -> None:
    out, track = recorded
    loaded = PoseTrack.load(out / "landmarks.npz")
    assert len(loaded) == len(track) == track.source.frames
    assert loaded.detected_fraction > 0.95
    np.testing.assert_array_equal(loaded.image_xy, track.image_xy)
    with open(out / "landmarks.csv", newline="") as fh:
        rows = list(csv.DictReader(fh))
    assert len(rows) == len(track)
    i = int(np.flatnonzero(track.detected)[0])
    assert float(rows[i]["left_hip_x_px"]) == pytest.approx(float(track.image_xy[i, 23, 0]), abs=0.01)


def test_replay_from_landmarks_equals_analysis_with_the_model(recorded: tuple[Path, PoseTrack], model_path: Path,
                                                               tmp_path: Path) -> None:
    """The replay path (no model) and the model path produce the same reps from the same landmarks."""
    _, track = recorded
    spec = get_exercise("side-leg-raise")
    session, results = replay_track(track, spec)
    live_report = run_analysis(SAMPLE, spec, tmp_path / "a", PoseOptions(model_path=model_path), write_video=False)
    assert [r.to_dict() for r in session.counter.reps] == [r.to_dict() for r in live_report.reps]
    assert len(results) == len(track)
    truth = json.loads((SAMPLES / "slr_clean_alternating.truth.json").read_text())
    assert live_report.counts == truth["counts"]


def test_analyze_writes_every_contract_file(recorded: tuple[Path, PoseTrack], tmp_path: Path) -> None:
    out, _ = recorded
    dest = tmp_path / "new" / "dir"
    r = posecount("analyze", str(SAMPLE), "--exercise", "side-leg-raise", "--landmarks",
                  str(out / "landmarks.npz"), "--out", str(dest))
    assert r.returncode == 0, r.stderr
    for name in ("report.json", "reps.csv", "frames.csv", "annotated.mp4", "timeline.png"):
        assert (dest / name).stat().st_size > 0, name
    report = json.loads((dest / "report.json").read_text())
    assert set(report) >= {"schema_version", "exercise", "source", "counts", "reps", "pose_detected_fraction",
                           "warnings"}
    assert report["source"]["path"] == SAMPLE.name
    with open(dest / "reps.csv", newline="") as fh:
        rows = list(csv.DictReader(fh))
    assert len(rows) == len(report["reps"])
    assert list(rows[0]) == ["index", "side", "start_s", "peak_s", "end_s", "hold_s", "peak_angle_deg", "counted",
                             "faults"]
    with open(dest / "frames.csv", newline="") as fh:
        frames = list(csv.DictReader(fh))
    assert len(frames) == report["source"]["frames"]
    assert {"frame", "t_s", "pose_found", "hip_abduction_deg_left", "phase_left", "phase_right"} <= set(frames[0])
    assert not [p for p in dest.iterdir() if p.name.startswith(".")], "temporary files left behind"


def test_unwritable_output_is_one_line_and_leaves_earlier_results(tmp_path: Path) -> None:
    blocker = tmp_path / "file"
    blocker.write_text("I am a file, not a directory")
    r = posecount("analyze", str(SAMPLE), "--exercise", "side-leg-raise", "--out", str(blocker / "sub"))
    assert r.returncode != 0
    assert r.stderr.count("\n") == 1 and "Traceback" not in r.stderr and "cannot write" in r.stderr
    assert blocker.read_text() == "I am a file, not a directory"


@pytest.mark.skipif(os.geteuid() == 0, reason="root can write into read-only directories")
def test_read_only_output_dir(tmp_path: Path) -> None:
    ro = tmp_path / "ro"
    ro.mkdir()
    ro.chmod(0o500)
    with pytest.raises(OutputError):
        run_analysis(SAMPLE, get_exercise("side-leg-raise"), ro, None)


@pytest.mark.parametrize(
    ("args", "needle"),
    [
        (["analyze", "missing.mp4", "--exercise", "side-leg-raise"], "no such file"),
        (["analyze", str(SAMPLE), "--exercise", "handstand"], "unknown exercise"),
        (["pose", "README.md", "--out", "x"], "not a readable video"),
        (["evaluate", "no-such-dir"], "not a directory"),
    ],
)
def test_bad_input_is_one_line_and_non_zero(args: list[str], needle: str, tmp_path: Path) -> None:
    r = subprocess.run([sys.executable, "-m", "posecount", *args], capture_output=True, text=True, timeout=300,
                       cwd=Path(__file__).resolve().parents[1])
    assert r.returncode != 0
    assert needle in r.stderr
    assert r.stderr.strip().count("\n") == 0, r.stderr
    assert "Traceback" not in r.stderr


def test_interrupted_analysis_leaves_no_half_written_file(tmp_path: Path, recorded: tuple[Path, PoseTrack]) -> None:
    """An error in the middle of a run leaves the previous results untouched and no temporary files."""
    _, track = recorded
    dest = tmp_path / "res"
    dest.mkdir()
    (dest / "report.json").write_text('{"previous": true}')

    def boom(n: int) -> None:
        if n == 50:
            raise KeyboardInterrupt

    with pytest.raises(KeyboardInterrupt):
        run_analysis(SAMPLE, get_exercise("side-leg-raise"), dest, None, landmarks=track, on_frame=boom)
    assert json.loads((dest / "report.json").read_text()) == {"previous": True}
    assert sorted(p.name for p in dest.iterdir()) == ["report.json"]
