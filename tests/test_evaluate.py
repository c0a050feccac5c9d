"""`posecount evaluate`: the scorecard's matching rules (pure), and every shipped sample replayed from the
committed recordings (no model) and from this run's recordings with the model in use."""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest
from conftest import COMMITTED_LANDMARKS, EXERCISE_SAMPLES, SAMPLE_SETS, RecordFn
from typer.testing import CliRunner

from posecount.cli import app
from posecount.errors import InputError
from posecount.evaluate import score

SAMPLES = Path(__file__).resolve().parents[1] / "samples"


def rep(side: str, start: float, end: float, counted: bool = True, faults: tuple[str, ...] = ()) -> dict:
    return {"side": side, "start_s": start, "peak_s": start + 1, "end_s": end, "hold_s": 2.0, "peak_angle_deg": 30.0,
            "counted": counted, "faults": list(faults)}


def doc(*reps: dict) -> dict:
    counted = [r for r in reps if r["counted"]]
    left = sum(r["side"] == "left" for r in counted)
    return {"exercise": "side-leg-raise", "reps": list(reps),
            "counts": {"left": left, "right": len(counted) - left, "total": len(counted)}}


def test_exact_match_is_ok() -> None:
    truth = doc(rep("left", 1, 6), rep("right", 8, 13, False, ("hold_too_short",)))
    report = doc(rep("left", 1.4, 6.2), rep("right", 8.5, 12.8, False, ("hold_too_short",)))
    s = score("x", truth, report)
    assert s.ok and s.matched == 2 and s.faults_caught == 1


@pytest.mark.parametrize(
    ("report", "why"),
    [
        (doc(rep("left", 1, 6)), "a true rep is missing"),
        (doc(rep("left", 1, 6), rep("left", 8, 13, False, ("hold_too_short",))), "wrong side"),
        (doc(rep("left", 1, 6), rep("right", 8, 13, False, ())), "expected fault not raised"),
        (doc(rep("left", 1, 6, True, ("trunk_lean",)), rep("right", 8, 13, False, ("hold_too_short",))),
         "fault on a clean rep"),
        (doc(rep("left", 1, 6), rep("right", 8, 13, False, ("hold_too_short",)), rep("left", 20, 22, False)),
         "an extra attempt"),
        (doc(rep("left", 1, 6), rep("right", 8, 13, True, ("hold_too_short",))), "counted flag disagrees"),
        (doc(rep("left", 1, 6), rep("right", 8, 13, False, ("hold_too_short", "trunk_lean"))),
         "a fault beside the real one: a scolding for what the person did not do"),
    ],
)
def test_anything_off_is_not_ok(report: dict, why: str) -> None:
    truth = doc(rep("left", 1, 6), rep("right", 8, 13, False, ("hold_too_short",)))
    assert not score("x", truth, report).ok, why


def evaluate(*args: str) -> tuple[int, str]:
    """``posecount evaluate ARGS`` in this process: (exit code, stdout)."""
    result = CliRunner().invoke(app, ["evaluate", *args], catch_exceptions=False)
    return result.exit_code, result.stdout


def _check_every_sample(clips: Path, code: int, stdout: str, results: Path) -> None:
    n = len(list(clips.glob("*.truth.json")))
    assert n >= 11
    assert code == 0, stdout
    assert f"{n} of {n} clips exactly right" in stdout
    for truth_path in clips.glob("*.truth.json"):
        name = truth_path.name.removesuffix(".truth.json")
        report = json.loads((results / name / "report.json").read_text())
        truth = json.loads(truth_path.read_text())
        assert report["counts"] == truth["counts"], name
        assert [(r["side"], r["counted"]) for r in report["reps"]] == [(r["side"], r["counted"]) for r in truth["reps"]]
        assert score(name, truth, report).ok, name


SET_IDS = [clips.name for clips, _ in SAMPLE_SETS]


@pytest.mark.parametrize(("clips", "landmarks"), SAMPLE_SETS, ids=SET_IDS)
def test_every_sample_comes_out_exactly_right_from_the_committed_recordings(clips: Path, landmarks: Path,
                                                                             tmp_path: Path) -> None:
    """The engine on every shipped sample, replaying the committed MediaPipe recordings (no model)."""
    code, stdout = evaluate(str(clips), "--landmarks", str(landmarks), "--out", str(tmp_path))
    _check_every_sample(clips, code, stdout, tmp_path)


@pytest.mark.model
@pytest.mark.slow
@pytest.mark.skipif(not os.environ.get("POSECOUNT_EXHAUSTIVE"),
                    reason="whole samples through the model: POSECOUNT_EXHAUSTIVE=1 (the suite checks the model "
                           "on each sample's first seconds, test_samples_model)")
@pytest.mark.parametrize(("clips", "landmarks"), SAMPLE_SETS, ids=SET_IDS)
def test_every_sample_comes_out_exactly_right_with_the_current_model(clips: Path, landmarks: Path,
                                                                      recorded: RecordFn, tmp_path: Path) -> None:
    """The same with this run's own recordings of the model in use (each clip through the model once)."""
    fresh = tmp_path / "landmarks"
    for truth_path in clips.glob("*.truth.json"):
        name = truth_path.name.removesuffix(".truth.json")
        video = json.loads(truth_path.read_text(encoding="utf-8")).get("video", f"{name}.mp4")  # .mov, .webm too
        recorded(clips / video).save_npz(fresh / f"{name}.npz")
    code, stdout = evaluate(str(clips), "--landmarks", str(fresh), "--out", str(tmp_path / "out"))
    _check_every_sample(clips, code, stdout, tmp_path / "out")


def test_evaluate_exits_non_zero_when_off(tmp_path: Path) -> None:
    name = "slr_hold_too_short"
    (tmp_path / f"{name}.mp4").symlink_to(SAMPLES / f"{name}.mp4")
    truth = json.loads((SAMPLES / f"{name}.truth.json").read_text())
    truth["counts"]["left"] += 1  # a wrong truth: the analysis cannot match it
    (tmp_path / f"{name}.truth.json").write_text(json.dumps(truth))
    code, stdout = evaluate(str(tmp_path), "--landmarks", str(COMMITTED_LANDMARKS))
    assert code == 1
    assert "0 of 1 clips exactly right" in stdout


def test_a_missing_recording_is_one_clear_error(tmp_path: Path) -> None:
    with pytest.raises(InputError, match=r"no recording empty_room\.npz for empty_room"):
        evaluate(str(SAMPLES), "--landmarks", str(tmp_path))


# -- function tests -----------------------------------------------------------------------------------------------
EXERCISE_CLIPS = EXERCISE_SAMPLES


def test_function_tests_agree_within_the_tolerance_and_say_what_differs() -> None:
    from posecount.evaluate import score_function_test

    chair = {"name": "chair-stand-30s", "start_s": 1.5, "score": 12, "stands_s": [2.45, 4.92], "voided_by": None}
    got = {"name": "chair-stand-30s", "score": 12, "stands_s": [2.3, 5.1], "voided_by": None}
    assert score_function_test(chair, got).ok
    assert score_function_test(chair, {**got, "score": 11}).problems == ["score 11, truth 12"]
    assert score_function_test(chair, {**got, "stands_s": [2.45, 5.2]}).problems == [
        "stand 2 at 5.20 s, truth 4.92 s"]
    assert not score_function_test(chair, {**got, "voided_by": "arms_push_off"}).ok
    five = {"name": "five-times-sit-to-stand", "time_s": 9.9, "stands_s": [], "voided_by": None}
    assert score_function_test(five, {**five, "time_s": 10.05}).ok
    assert not score_function_test(five, {**five, "time_s": None}).ok
    stances = [{"name": "side_by_side", "start_s": 2.1, "end_s": 12.6, "held_s": 10.0, "held": True},
               {"name": "tandem", "start_s": 13.0, "end_s": 19.0, "held_s": 6.0, "held": False}]
    balance = {"name": "four-stage-balance", "stances": stances, "ended_by": "tandem", "fall_risk": True}
    assert score_function_test(balance, {**balance, "stances": [{**stances[0]}, {**stances[1], "held_s": 6.15}]}).ok
    off = score_function_test(balance, {**balance, "stances": [stances[0], {**stances[1], "held_s": 7.0}]})
    assert off.problems == ["tandem held 7.00 s, truth 6.00 s"]
    assert not score_function_test(balance, {**balance, "fall_risk": False}).ok
    assert not score_function_test(balance, {**balance, "stances": stances[:1]}).ok
    assert not score_function_test(balance, None).ok


def _clip_dir(tmp_path: Path, names: list[str], edit: dict[str, dict] | None = None) -> tuple[Path, Path]:
    """A directory of symlinked clips from samples/exercises with their truth (``edit``: keys replaced in a
    clip's truth) and one of their recordings."""
    clips, recordings = tmp_path / "clips", tmp_path / "landmarks"
    clips.mkdir(parents=True)
    recordings.mkdir()
    for name in names:
        truth = json.loads((EXERCISE_CLIPS / f"{name}.truth.json").read_text())
        truth.update((edit or {}).get(name, {}))
        (clips / f"{name}.truth.json").write_text(json.dumps(truth))
        (clips / truth["video"]).symlink_to(EXERCISE_CLIPS / truth["video"])
        (recordings / f"{name}.npz").symlink_to(EXERCISE_CLIPS / "landmarks" / f"{name}.npz")
    return clips, recordings


def test_the_balance_and_five_times_clips_score_their_tests(tmp_path: Path) -> None:
    """The function-test clips replayed: each test agrees with its truth, shown in the scorecard; a truth with
    the lost tandem held a second longer is not OK."""
    names = ["balance_all_stances", "balance_tandem_lost", "five_times_sts"]
    clips, recordings = _clip_dir(tmp_path, names)
    code, stdout = evaluate(str(clips), "--landmarks", str(recordings), "--out", str(tmp_path / "out"))
    assert code == 0, stdout
    assert "3 of 3 clips exactly right" in stdout and "test (truth)" in stdout
    assert "4/4 held, no risk" in stdout and "2/3 held, fall risk" in stdout
    lost = json.loads((EXERCISE_CLIPS / "balance_tandem_lost.truth.json").read_text())["test"]
    lost["stances"][2]["held_s"] += 1.0
    lost["stances"][2]["end_s"] += 1.0
    off_clips, off_recordings = _clip_dir(tmp_path / "off", ["balance_tandem_lost"],
                                          {"balance_tandem_lost": {"test": lost}})
    code, stdout = evaluate(str(off_clips), "--landmarks", str(off_recordings))
    assert code == 1
    assert "0 of 1 clips exactly right" in stdout and "tandem held 6.04 s, truth 7.00 s" in stdout


def test_a_clip_of_an_exercise_that_does_not_exist_is_listed_and_the_run_goes_on(tmp_path: Path) -> None:
    clips, recordings = _clip_dir(tmp_path, ["sts_clean", "mini_squat_clean"],
                                  {"mini_squat_clean": {"exercise": "no-such-exercise"}})
    code, stdout = evaluate(str(clips), "--landmarks", str(recordings))
    assert code == 1
    assert "no such exercise" in stdout and "unknown exercise 'no-such-exercise'" in stdout
    assert "1 of 2 clips exactly right" in stdout
