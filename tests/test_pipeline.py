"""The pipeline end to end on a shipped sample: pose recording, replay, outputs, and bad output paths."""

from __future__ import annotations

import csv
import json
import os
import sys
from pathlib import Path

import cv2
import numpy as np
import pytest
from commands import posecount
from conftest import COMMITTED_LANDMARKS, committed_landmarks
from typer.testing import CliRunner

from posecount.cli import app
from posecount.errors import OutputError
from posecount.exercises import get_exercise
from posecount.pipeline import replay_track, run_analysis
from posecount.pose import PoseOptions
from posecount.recording import PoseTrack

SAMPLES = Path(__file__).resolve().parents[1] / "samples"
SAMPLE = SAMPLES / "slr_clean_alternating.mp4"
#: The first left rep of SAMPLE runs 1.5-8.0 s; a cut to 9 s holds it whole.
CUT_S = 9.0


def run_main(args: list[str], capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
             ) -> tuple[int, str, str]:
    """``posecount ARGS`` through :func:`posecount.cli.main` in this process: (exit code, stdout, stderr)."""
    from posecount.cli import main

    monkeypatch.setattr(sys, "argv", ["posecount", *args])
    with pytest.raises(SystemExit) as done:
        main()
    captured = capsys.readouterr()
    code = done.value.code
    return (code if isinstance(code, int) else 0 if code is None else 1), captured.out, captured.err


@pytest.fixture(scope="module")
def cut_clip(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The first CUT_S seconds of SAMPLE as a clip of its own (re-encoded: a different file from SAMPLE)."""
    clip = tmp_path_factory.mktemp("cut") / "cut.avi"
    cap = cv2.VideoCapture(str(SAMPLE))
    fps = cap.get(cv2.CAP_PROP_FPS)
    writer = cv2.VideoWriter(str(clip), cv2.VideoWriter_fourcc(*"MJPG"), fps, (640, 480))
    for _ in range(round(CUT_S * fps)):
        ok, image = cap.read()
        assert ok
        writer.write(image)
    writer.release()
    cap.release()
    return clip


@pytest.fixture(scope="module")
def posed(cut_clip: Path, model_path: Path, tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, PoseTrack]:
    """``posecount pose`` on the cut clip (the model, in this process)."""
    out = tmp_path_factory.mktemp("pose")
    result = CliRunner().invoke(app, ["pose", str(cut_clip), "--out", str(out)], catch_exceptions=False)
    assert result.exit_code == 0, result.stdout
    return out, PoseTrack.load(out / "landmarks.npz")


@pytest.mark.model
def test_pose_recording_is_complete_and_loads_back(posed: tuple[Path, PoseTrack]) -> None:
    out, track = posed
    assert len(track) == track.source.frames == round(CUT_S * 30)
    assert track.detected_fraction > 0.95
    np.testing.assert_array_equal(track.frame, np.arange(len(track)))
    assert (np.diff(track.timestamp_ms) > 0).all()
    with open(out / "landmarks.csv", newline="") as fh:
        rows = list(csv.DictReader(fh))
    assert [int(r["frame"]) for r in rows] == track.frame.tolist()
    i = int(np.flatnonzero(track.detected)[0])
    assert float(rows[i]["left_hip_x_px"]) == pytest.approx(float(track.image_xy[i, 23, 0]), abs=0.01)
    assert float(rows[i]["right_ankle_wz_m"]) == pytest.approx(float(track.world_xyz[i, 28, 2]), abs=1e-4)
    assert track.foot_axis_deg is not None, "recorded with the silhouette, so that it replays every exercise"
    found = np.flatnonzero(np.isfinite(track.foot_axis_deg[:, 0]))
    assert len(found) > 0.5 * len(track)
    j = int(found[0])
    assert float(rows[j]["left_foot_axis_deg"]) == pytest.approx(float(track.foot_axis_deg[j, 0]), abs=0.05)
    assert not [p for p in out.iterdir() if p.name.startswith(".")], "temporary files left behind"


@pytest.mark.model
@pytest.mark.slow
def test_replay_from_landmarks_equals_analysis_with_the_model(posed: tuple[Path, PoseTrack], cut_clip: Path,
                                                               model_path: Path, tmp_path: Path) -> None:
    """The replay path (no model) and the model path produce the same reps and frames from the same clip.

    The one clip here that goes through the model twice, on purpose: once by ``posecount pose``, once
    inside ``analyze``, to show the two paths see the same landmarks.
    """
    _, track = posed
    spec = get_exercise("side-leg-raise")
    session, results = replay_track(track, spec)
    with_model = run_analysis(cut_clip, spec, tmp_path / "a", PoseOptions(model_path=model_path), write_video=False)
    assert [r.to_dict() for r in session.counter.reps] == [r.to_dict() for r in with_model.reps]
    assert with_model.counts == {"left": 1, "right": 0, "total": 1}  # the clip's first rep, whole
    run_analysis(cut_clip, spec, tmp_path / "b", None, write_video=False, landmarks=track)
    assert (tmp_path / "a" / "frames.csv").read_text() == (tmp_path / "b" / "frames.csv").read_text()
    assert len(results) == len(track)


def test_analyze_writes_every_contract_file(tmp_path: Path) -> None:
    """The README's main command (the installed entry point), replaying the sample's committed recording."""
    dest = tmp_path / "new" / "dir"
    r = posecount("analyze", str(SAMPLE), "--exercise", "side-leg-raise", "--landmarks",
                  str(COMMITTED_LANDMARKS / f"{SAMPLE.stem}.npz"), "--out", str(dest))
    assert r.returncode == 0, r.stderr
    for name in ("report.json", "reps.csv", "frames.csv", "annotated.mp4", "timeline.png"):
        assert (dest / name).stat().st_size > 0, name
    report = json.loads((dest / "report.json").read_text())
    assert set(report) >= {"schema_version", "exercise", "source", "counts", "reps", "pose_detected_fraction",
                           "warnings"}
    assert report["source"]["path"] == SAMPLE.name
    assert report["counts"] == json.loads((SAMPLES / f"{SAMPLE.stem}.truth.json").read_text())["counts"]
    assert f"left {report['counts']['left']}, right {report['counts']['right']}" in r.stdout
    with open(dest / "reps.csv", newline="") as fh:
        rows = list(csv.DictReader(fh))
    assert list(rows[0]) == ["index", "side", "start_s", "peak_s", "end_s", "hold_s", "peak_angle_deg", "counted",
                             "faults"]
    assert [(int(r["index"]), r["side"], float(r["start_s"]), r["counted"]) for r in rows] == \
        [(r["index"], r["side"], r["start_s"], str(r["counted"]).lower()) for r in report["reps"]]
    with open(dest / "frames.csv", newline="") as fh:
        frames = list(csv.DictReader(fh))
    assert [int(f["frame"]) for f in frames] == list(range(report["source"]["frames"]))
    assert {"frame", "t_s", "pose_found", "hip_abduction_deg_left", "phase_left", "phase_right"} <= set(frames[0])
    video = cv2.VideoCapture(str(dest / "annotated.mp4"))
    assert int(video.get(cv2.CAP_PROP_FRAME_COUNT)) == report["source"]["frames"]
    video.release()
    assert not [p for p in dest.iterdir() if p.name.startswith(".")], "temporary files left behind"


def test_unwritable_output_is_one_line_and_leaves_earlier_results(tmp_path: Path, capsys: pytest.CaptureFixture[str],
                                                                   monkeypatch: pytest.MonkeyPatch) -> None:
    blocker = tmp_path / "file"
    blocker.write_text("I am a file, not a directory")
    code, _, stderr = run_main(["analyze", str(SAMPLE), "--exercise", "side-leg-raise", "--landmarks",
                                str(COMMITTED_LANDMARKS / f"{SAMPLE.stem}.npz"), "--out", str(blocker / "sub")],
                               capsys, monkeypatch)
    assert code == 4
    assert stderr.count("\n") == 1 and "Traceback" not in stderr and "cannot write" in stderr
    assert blocker.read_text() == "I am a file, not a directory"


@pytest.mark.skipif(os.geteuid() == 0, reason="root can write into read-only directories")
def test_read_only_output_dir(tmp_path: Path) -> None:
    ro = tmp_path / "ro"
    ro.mkdir()
    ro.chmod(0o500)
    with pytest.raises(OutputError):
        run_analysis(SAMPLE, get_exercise("side-leg-raise"), ro, None)


@pytest.mark.parametrize(
    ("args", "needle", "exit_code"),
    [
        (["analyze", "missing.mp4", "--exercise", "side-leg-raise"], "no such file", 2),
        (["analyze", str(SAMPLE), "--exercise", "handstand"], "unknown exercise", 2),
        (["pose", "README.md", "--out", "x"], "not a readable video", 2),
        (["evaluate", "no-such-dir"], "not a directory", 2),
        (["analyze", str(SAMPLE), "--exercise", "side-leg-raise", "--landmarks", "README.md"],
         "not a posecount landmarks file", 2),
    ],
)
def test_bad_input_is_one_line_and_non_zero(args: list[str], needle: str, exit_code: int,
                                            capsys: pytest.CaptureFixture[str],
                                            monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(Path(__file__).resolve().parents[1])
    code, _, stderr = run_main(args, capsys, monkeypatch)
    assert code == exit_code
    assert needle in stderr
    assert stderr.strip().count("\n") == 0, stderr
    assert "Traceback" not in stderr


def test_bad_input_from_the_installed_command(tmp_path: Path) -> None:
    """A real process: one line on stderr, nothing from OpenCV or FFmpeg beside it, the exit code."""
    junk = tmp_path / "clip.mp4"
    junk.write_bytes(b"\x00\x00\x00\x18ftypmp42" + b"\x00" * 2000)  # an MP4 header and no movie
    r = posecount("analyze", str(junk), "--exercise", "side-leg-raise", "--out", str(tmp_path / "out"))
    assert r.returncode == 2
    assert r.stderr.count("\n") == 1 and r.stderr.startswith("posecount: error:"), r.stderr
    assert not (tmp_path / "out").exists()  # not even an empty directory


@pytest.mark.parametrize("command", [["analyze", "--exercise", "side-leg-raise"], ["pose"]])
@pytest.mark.parametrize("bad", ["missing.mp4", "README.md"])
def test_bad_input_leaves_no_directory_behind(command: list[str], bad: str, tmp_path: Path,
                                              capsys: pytest.CaptureFixture[str],
                                              monkeypatch: pytest.MonkeyPatch) -> None:
    """The output directories a failed run would have created (two levels here) are gone again; one
    that was already there stays, with what it held."""
    monkeypatch.chdir(Path(__file__).resolve().parents[1])
    fresh = tmp_path / "new" / "out"
    code, _, _ = run_main([command[0], bad, *command[1:], "--out", str(fresh)], capsys, monkeypatch)
    assert code == 2
    assert not (tmp_path / "new").exists()
    kept = tmp_path / "kept"
    kept.mkdir()
    code, _, _ = run_main([command[0], bad, *command[1:], "--out", str(kept)], capsys, monkeypatch)
    assert code == 2
    assert kept.is_dir() and not any(kept.iterdir())


def test_interrupted_analysis_leaves_no_half_written_file(tmp_path: Path) -> None:
    """An error in the middle of a run leaves the previous results untouched and no temporary files."""
    track = committed_landmarks(SAMPLE.stem)
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


class _SlowLandmarker:
    """Stands in for the PoseEstimator: each call takes a while and says which frame it saw; it notes any
    call made while another runs, any call out of order, and any call after it was closed."""

    def __init__(self, options: PoseOptions) -> None:
        self.seen: list[int] = []
        self.running = 0
        self.overlaps = 0
        self.closed = False
        _SlowLandmarker.last = self

    def estimate(self, image: np.ndarray, timestamp_ms: int) -> int:
        import time

        assert not self.closed
        self.running += 1
        self.overlaps += self.running > 1
        time.sleep(0.002)
        self.seen.append(timestamp_ms)
        self.running -= 1
        return timestamp_ms  # the "pose": the frame it came from

    def __enter__(self) -> _SlowLandmarker:
        return self

    def __exit__(self, *exc: object) -> None:
        assert self.running == 0  # nothing still in the model when it is closed
        self.closed = True


def test_the_model_runs_one_frame_ahead_in_order(monkeypatch: pytest.MonkeyPatch) -> None:
    """estimate_poses overlaps the model with the caller's work, but each frame gets its own landmarks, the
    model sees the frames one at a time and in order, and leaving the loop early closes it cleanly."""
    import posecount.pipeline as pipeline
    from posecount.sources import Frame

    monkeypatch.setattr(pipeline, "PoseEstimator", _SlowLandmarker)
    frames = [Frame(image=np.zeros((2, 2, 3), np.uint8), index=i, timestamp_ms=40 * i) for i in range(30)]
    pairs = list(pipeline.estimate_poses(frames, PoseOptions(model_path=Path("unused"))))
    model = _SlowLandmarker.last
    assert [(f.index, pose) for f, pose in pairs] == [(i, 40 * i) for i in range(30)]
    assert model.seen == [40 * i for i in range(30)] and model.overlaps == 0 and model.closed

    poses = pipeline.estimate_poses(frames, PoseOptions(model_path=Path("unused")))
    first = [next(poses) for _ in range(5)]
    poses.close()  # the caller stops (an error, Ctrl-C) with a frame still in the model
    model = _SlowLandmarker.last
    assert [pose for _, pose in first] == [0, 40, 80, 120, 160]
    assert model.closed and model.seen == [40 * i for i in range(6)]  # one frame ahead, no further
