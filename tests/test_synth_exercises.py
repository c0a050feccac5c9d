"""The drawn exercises and function tests of issue 9 (samples/exercises): determinism, truth from the motion,
geometry, and clinical definitions that refuse ambiguous scripts.

No pose model: the function tests' results are recounted here from the drawn joints (where the hips and the
feet are), not from the scripts' own flags; the committed landmark recordings are what the model tests replay.
"""

from __future__ import annotations

import json
import math
from dataclasses import replace
from pathlib import Path

import numpy as np
import pytest

from posecount.synth import FrameRenderer, Look, MotionScript, Rep, Scene, angles_at, build_truth, check_script
from posecount.synth.body import PROPORTIONS, joints_at
from posecount.synth.motion import rep_timings
from posecount.synth.moves import FOOT_H, STANCE_FEET, STS_SEAT_OFF_U, stance_timings, sts_pose_at
from posecount.synth.poses import calf_rise_h, seat_hand_point
from posecount.synth.programme import (
    DEFINITIONS,
    KNEE_OVER_TOES_DEG,
    function_test_truth,
    go_s,
    hip_height_ratio_at,
    programme_verdict,
)
from posecount.synth.samples import (
    EXERCISE_SAMPLES,
    EXERCISES_SIZE_BUDGET_BYTES,
    EXERCISES_SUBDIR,
    REALISTIC_SAMPLES,
    SAMPLES,
    exercises_readme_text,
    sample_truth_text,
    sample_video_name,
)
from posecount.synth.script import Stance
from posecount.synth.video import write_clip

ROOT = Path(__file__).resolve().parents[1]
EXERCISES_DIR = ROOT / "samples" / EXERCISES_SUBDIR
IDS = [s.name for s in EXERCISE_SAMPLES]
BY_NAME = {s.name: s.script for s in EXERCISE_SAMPLES}
P = PROPORTIONS
DT_S = 0.01
#: Each clip stays small: under 0.6 MiB, but for the 35 s chair stand (0.65) and the 49 s balance test (0.72).
CLIP_MAX_BYTES = 0.75 * 1024 * 1024


def _times(script: MotionScript, dt_s: float = DT_S) -> np.ndarray:
    return np.arange(0.0, script.total_duration_s, dt_s)


def _sts(*reps: Rep, **kw: object) -> MotionScript:
    base = MotionScript(exercise="sit-to-stand", view="side-facing-right", seed=5, ease="min-jerk",
                        truth_rules="clinical", rest_trunk_deg=2.0,
                        look=Look(height_px=400.0, center_x_frac=0.36, floor_y_frac=0.95), reps=list(reps))
    return replace(base, **kw)  # type: ignore[arg-type]


def _stand(peak: float = 176.0, **kw: object) -> Rep:
    fields: dict = {"rise_s": 1.7, "hold_s": 0.6, "lower_s": 2.2, "rest_s": 1.3, **kw}
    return Rep("both", peak, **fields)  # type: ignore[arg-type]


def _standing(exercise: str, view: str, *reps: Rep, **kw: object) -> MotionScript:
    base = MotionScript(exercise=exercise, view=view, seed=6, ease="min-jerk",  # type: ignore[arg-type]
                        truth_rules="clinical", reps=list(reps),
                        look=Look(height_px=400.0, center_x_frac=0.34 if view != "side-facing-left" else 0.66,
                                  floor_y_frac=0.95))
    return replace(base, **kw)  # type: ignore[arg-type]


def _held(side: str, peak: float, **kw: object) -> Rep:
    fields: dict = {"rise_s": 1.4, "hold_s": 2.8, "lower_s": 2.2, "rest_s": 1.6, **kw}
    return Rep(side, peak, **fields)  # type: ignore[arg-type]


def _dist(a: tuple[float, float], b: tuple[float, float]) -> float:
    return math.hypot(a[0] - b[0], a[1] - b[1])


def _from_vertical_deg(top: tuple[float, float], bottom: tuple[float, float], f: float) -> float:
    """The top→bottom line's angle from straight down, positive when the bottom is ahead (facing ``f``)."""
    return math.degrees(math.atan2(f * (bottom[0] - top[0]), bottom[1] - top[1]))


# -- the committed set ---------------------------------------------------------------------------------------------
def test_the_committed_set_is_exactly_the_defined_one() -> None:
    truths = {p.name.removesuffix(".truth.json") for p in EXERCISES_DIR.glob("*.truth.json")}
    videos = {p.name for p in EXERCISES_DIR.iterdir() if p.suffix == ".mp4"}
    assert truths == set(IDS) and videos == {sample_video_name(s) for s in EXERCISE_SAMPLES}
    total = sum(p.stat().st_size for p in EXERCISES_DIR.iterdir() if p.is_file())
    assert total < EXERCISES_SIZE_BUDGET_BYTES
    for name in videos:
        assert (EXERCISES_DIR / name).stat().st_size < CLIP_MAX_BYTES, name
    assert (EXERCISES_DIR / "README.md").read_text(encoding="utf-8") == exercises_readme_text(EXERCISES_DIR)


@pytest.mark.parametrize("sample", EXERCISE_SAMPLES, ids=IDS)
def test_committed_truth_is_what_the_generator_writes_now(sample) -> None:
    assert (EXERCISES_DIR / f"{sample.name}.truth.json").read_text(encoding="utf-8") == sample_truth_text(sample)


@pytest.mark.parametrize("sample", EXERCISE_SAMPLES, ids=IDS)
def test_scripts_pass_their_clinical_definitions_and_round_trip(sample) -> None:
    assert check_script(sample.script) == []
    assert MotionScript.from_json(sample.script.to_json()) == sample.script
    sc = sample.script
    assert sc.fps == 30.0 and (sc.width, sc.height) in ((640, 480), (640, 360))
    assert sc.ease == "min-jerk" and sc.truth_rules == "clinical"


def test_the_set_has_what_issue_9_asks_for() -> None:
    scripts = [s.script for s in EXERCISE_SAMPLES]
    assert {s.exercise for s in scripts} == set(DEFINITIONS) | {"four-stage-balance"}
    assert {s.test for s in scripts} >= {"chair-stand-30s", "five-times-sit-to-stand", "four-stage-balance"}
    faults = {(s.exercise, f) for s in scripts for r in s.reps for f in r.expect_faults}
    assert faults >= {("sit-to-stand", "arms_push_off"), ("sit-to-stand", "range_too_small"),
                      ("standing-calf-raise", "hold_too_short"), ("standing-calf-raise", "range_too_small"),
                      ("mini-squat", "trunk_lean"), ("mini-squat", "knees_past_toes"),
                      ("standing-march", "trunk_lean"), ("standing-march", "range_too_small"),
                      ("standing-hamstring-curl", "thigh_forward"), ("standing-hamstring-curl", "range_too_small")}
    assert any(s.from_behind for s in scripts)
    for exercise in DEFINITIONS:  # a clean clip of each: every rep counted, no fault
        assert any(s.exercise == exercise and s.reps and all(r.expect_counted and not r.expect_faults
                                                             for r in s.reps) for s in scripts), exercise
    assert sum(r.expect_counted for r in BY_NAME["sts_clean"].reps) == 4
    assert BY_NAME["chair_stand_30s"].total_duration_s == pytest.approx(34.7, abs=0.6)
    lost = BY_NAME["balance_tandem_lost"].stances
    assert [s.name for s in lost] == ["side_by_side", "semi_tandem", "tandem"] and lost[-1].hold_s == 6.0


def test_the_new_fields_stay_out_of_the_older_sets_json() -> None:
    for sample in SAMPLES + REALISTIC_SAMPLES:
        d = sample.script.to_dict()
        assert not {"from_behind", "test", "stances"} & set(d)
        assert all(not {"push_off", "hip_flex_deg", "shank_tilt_deg"} & set(r) for r in d["reps"])


# -- determinism -----------------------------------------------------------------------------------------------------
@pytest.mark.parametrize("name", ["sts_partial_push_off", "calf_raise_from_behind", "mini_squat_faults",
                                  "march_clean", "hamstring_curl_faults", "balance_tandem_lost"])
def test_rendering_a_frame_twice_gives_identical_pixels(name: str) -> None:
    script = BY_NAME[name]
    i = round(0.4 * script.frame_count)
    a, b = FrameRenderer(script).render(i), FrameRenderer(script).render(i)
    assert np.array_equal(a, b)
    assert not np.array_equal(a, FrameRenderer(script).render(i + 15))


def test_writing_a_clip_twice_gives_identical_bytes(tmp_path: Path) -> None:
    script = _sts(_stand(rise_s=0.8, hold_s=0.2, lower_s=0.8, rest_s=0.3, push_off=True,
                         expect_faults=["arms_push_off"]), width=320, height=240, fps=10.0,
                  look=Look(height_px=200.0, center_x_frac=0.36, floor_y_frac=0.95), initial_rest_s=1.0)
    a = write_clip(script, tmp_path / "a.mp4", fourccs=("mp4v",))
    b = write_clip(script, tmp_path / "b.mp4", fourccs=("mp4v",))
    assert a.frames == script.frame_count and a.sha256 == b.sha256


# -- truth from the script -------------------------------------------------------------------------------------------
@pytest.mark.parametrize("sample", [s for s in EXERCISE_SAMPLES if s.script.reps], ids=lambda s: s.name)
def test_truth_times_counts_and_peaks_follow_the_motion(sample) -> None:
    script = sample.script
    truth = build_truth(script, "x.mp4")
    timings = rep_timings(script)
    verdicts = [programme_verdict(script, r) for r in script.reps]
    for tm, row, v in zip(timings, truth["reps"], verdicts, strict=True):
        assert (row["start_s"], row["peak_s"], row["end_s"]) == pytest.approx((tm.start_s, tm.peak_s, tm.end_s))
        assert row["counted"] == v.counted and row["faults"] == list(v.faults)
        key = "both_drive_deg" if script.whole_body else f"{tm.side}_drive_deg"
        drawn = max(angles_at(script, t)[key] for t in np.arange(tm.start_s, tm.end_s, 0.002))
        assert row["peak_angle_deg"] == pytest.approx(drawn, abs=0.05)
        assert angles_at(script, tm.start_s - 0.05)[key] == pytest.approx(angles_at(script, 0.0)[key], abs=0.01)
    if script.whole_body:
        assert truth["counts"] == {"left": 0, "right": 0, "both": sum(v.counted for v in verdicts),
                                   "total": sum(v.counted for v in verdicts)}
        assert all(row["side"] == "both" for row in truth["reps"])
    else:
        for side in ("left", "right"):
            assert truth["counts"][side] == sum(v.counted for r, v in zip(script.reps, verdicts, strict=True)
                                                if r.side == side)
        assert "both" not in truth["counts"]


def _hip_fraction_drawn(script: MotionScript, ts: np.ndarray) -> np.ndarray:
    """How far up the drawn near hip is: 0 where it sits, 1 where a straight-kneed stand puts it."""
    near = script.near_side
    straight = replace(script, reps=[_stand(180.0, rise_s=1.0, hold_s=1.0, lower_s=1.0)], test=None)
    seat_y = joints_at(script, 0.0)[f"{near}_hip"][1]
    stand_y = joints_at(straight, straight.initial_rest_s + 1.5)[f"{near}_hip"][1]
    return np.array([(seat_y - joints_at(script, t)[f"{near}_hip"][1]) / (seat_y - stand_y) for t in ts])


def test_the_chair_stand_score_is_counted_from_the_drawn_hips() -> None:
    script = BY_NAME["chair_stand_30s"]
    go = go_s(script)
    ts = np.arange(0.0, go + 30.0 + 1e-9, DT_S)
    frac = _hip_fraction_drawn(script, ts)
    # "go" is the first movement: the trunk starts to lean (beyond its natural wobble of about 1°) right after it
    near, f = script.near_side, float(script.facing)

    def lean(t: float) -> float:
        j = joints_at(script, t)
        return _from_vertical_deg(j[f"{near}_shoulder"], j[f"{near}_hip"], -f)

    assert abs(lean(go - 0.02) - lean(0.0)) < 2.5 and lean(go + 0.3) - lean(0.0) > 5.0
    assert joints_at(script, go - 0.02)[f"{near}_hip"] == joints_at(script, 0.0)[f"{near}_hip"]
    up = frac >= 0.99  # fully standing (176° at the knee is 99.8 % of the way)
    stands = int(np.sum(up[1:] & ~up[:-1]))
    rising = frac[-1] > frac[-2]
    halfway = bool(rising and 0.5 < frac[-1] < 0.99)
    truth = function_test_truth(script)
    assert truth is not None
    assert stands == len(truth["stands_s"]) == 11
    assert halfway and truth["halfway_at_end"]
    assert truth["score"] == stands + int(halfway) == 12
    assert truth["hip_fraction_at_end"] == pytest.approx(frac[-1], abs=0.01)
    # each stand's time is when the drawn hips are fully up
    firsts = ts[1:][up[1:] & ~up[:-1]]
    assert np.all(np.abs(np.array(truth["stands_s"]) - firsts) < 0.35)


def test_a_push_off_voids_the_chair_stand() -> None:
    script = BY_NAME["chair_stand_30s_push_off"]
    truth = function_test_truth(script)
    assert truth is not None and truth["score"] == 0 and truth["voided_by"] == "arms_push_off"
    pushed = [tm for tm in rep_timings(script) if tm.rep.push_off]
    assert [tm.index for tm in pushed] == [7, 8]
    for tm in pushed:  # the hands are drawn on the seat, below the hips, during the rise
        ts = np.arange(tm.start_s, tm.peak_s, DT_S)
        low = [t for t in ts if joints_at(script, t)[f"{script.near_side}_wrist"][1]
               > joints_at(script, t)[f"{script.near_side}_hip"][1] - 0.02 * script.look.height_px]
        assert len(low) * DT_S >= 0.4


def test_the_five_times_time_is_read_from_the_drawn_hips() -> None:
    script = BY_NAME["five_times_sts"]
    ts = _times(script, 0.005)
    frac = _hip_fraction_drawn(script, ts)
    top = frac.max()
    at_top = frac >= top - 1e-6
    fifth = ts[1:][at_top[1:] & ~at_top[:-1]][4]
    truth = function_test_truth(script)
    assert truth is not None and truth["completed"]
    assert truth["time_s"] == pytest.approx(fifth - go_s(script), abs=0.01)
    assert truth["time_s"] == pytest.approx(9.9)


@pytest.mark.parametrize("name", ["balance_all_stances", "balance_tandem_lost"])
def test_balance_stances_are_timed_from_the_drawn_feet(name: str) -> None:
    script = BY_NAME[name]
    h = script.look.height_px
    f = float(script.facing)
    near, far = script.near_side, "left" if script.near_side == "right" else "right"
    floor = script.look.floor_y_frac * script.height
    truth = function_test_truth(script)
    assert truth is not None
    for tm, row in zip(stance_timings(script), truth["stances"], strict=True):
        assert row["held_s"] == pytest.approx(min(tm.end_s - tm.start_s, 10.0))
        assert row["held"] == (tm.end_s - tm.start_s >= 10.0)
        ahead, _ = STANCE_FEET[tm.stance.name]
        feet = []
        for t in np.arange(tm.start_s + 0.01, tm.end_s - 0.01, 0.1):
            j = joints_at(script, t)
            anchor = script.look.center_x_frac * script.width  # where the near foot stood at the start
            feet.append(f * (j[f"{far}_ankle"][0] - anchor))
            assert j[f"{far}_heel"][1] == pytest.approx(floor - 0.004 * h - P.far_up * h
                                                        * STANCE_FEET[tm.stance.name][1], abs=1e-6)
            if tm.stance.name == "one_leg":  # the near foot is off the floor, well up
                assert j[f"{near}_ankle"][1] < floor - P.ankle_height * h - 0.1 * h
            else:
                assert j[f"{near}_heel"][1] == pytest.approx(floor - 0.004 * h, abs=1e-6)
        assert np.ptp(feet) < 1e-6  # the feet do not move while the stance is kept
        assert feet[0] / h == pytest.approx(ahead + STANCE_FEET[tm.stance.name][1] * P.far_forward, abs=1e-6)
        # before it is taken and after it is left, a foot is moving
        before, after = joints_at(script, tm.start_s - 0.3), joints_at(script, tm.end_s + 0.3)
        during = joints_at(script, tm.start_s + 0.5)
        assert any(_dist(before[k], during[k]) > 1.0 for k in (f"{far}_ankle", f"{near}_ankle"))
        if tm.end_s + 0.3 < script.total_duration_s:
            assert any(_dist(after[k], during[k]) > 1.0 for k in (f"{far}_ankle", f"{near}_ankle"))
    assert STANCE_FEET["tandem"][0] == FOOT_H  # heel to toe: the front foot a whole foot ahead
    if name == "balance_tandem_lost":
        assert truth["ended_by"] == "tandem" and truth["fall_risk"] and truth["stances"][-1]["held_s"] == 6.0
    else:
        assert truth["ended_by"] is None and not truth["fall_risk"] and len(truth["stances"]) == 4


# -- geometry ----------------------------------------------------------------------------------------------------------
@pytest.mark.parametrize("sample", [s for s in EXERCISE_SAMPLES if s.script.exercise != "standing-march"],
                         ids=lambda s: s.name)
def test_thighs_and_shanks_keep_their_lengths(sample) -> None:
    """Exactly in the side views; front-on (calf raise) the legs lean with the body's sway of 1.5 px."""
    script = sample.script
    h = script.look.height_px
    rel = 1e-6 if script.view != "front" else 2e-3
    for t in _times(script, 0.1):
        j = joints_at(script, t)
        for side in ("left", "right"):
            assert _dist(j[f"{side}_hip"], j[f"{side}_knee"]) == pytest.approx(P.thigh * h, rel=rel)
            assert _dist(j[f"{side}_knee"], j[f"{side}_ankle"]) == pytest.approx(P.shank * h, rel=rel)


@pytest.mark.parametrize("name", ["sts_clean", "sts_partial_push_off", "mini_squat_clean", "mini_squat_faults"])
def test_the_feet_stay_flat_where_they_were_put(name: str) -> None:
    script = BY_NAME[name]
    rest = joints_at(script, 0.0)
    for t in _times(script, 0.05):
        j = joints_at(script, t)
        for k in ("left_heel", "right_heel", "left_foot_index", "right_foot_index", "left_ankle", "right_ankle"):
            assert j[k] == pytest.approx(rest[k], abs=1e-6)


def test_a_seated_person_sits_on_the_seat_until_the_hips_leave_it() -> None:
    script = BY_NAME["sts_clean"]
    near = script.near_side
    seated = joints_at(script, 0.0)[f"{near}_hip"]
    for t in _times(script, 0.02):
        pose = sts_pose_at(script, t)
        hip = joints_at(script, t)[f"{near}_hip"]
        if pose.u <= STS_SEAT_OFF_U:
            assert hip == pytest.approx(seated, abs=1e-6)
        elif pose.u > STS_SEAT_OFF_U + 0.05:
            assert hip[1] < seated[1] - 1.0
    # knees at a right angle seated, straight standing; the hips in between the seat and the ankles
    assert angles_at(script, 0.0)["both_drive_deg"] == pytest.approx(90.0)
    assert hip_height_ratio_at(script, 0.0) == pytest.approx(0.513, abs=0.005)
    assert hip_height_ratio_at(script, rep_timings(script)[0].peak_s) == pytest.approx(1.01, abs=0.01)


def test_the_arms_are_crossed_or_push_on_the_seat() -> None:
    script = BY_NAME["sts_partial_push_off"]
    near = script.near_side
    h = script.look.height_px
    pushed = next(tm for tm in rep_timings(script) if tm.rep.push_off)
    for t in _times(script, 0.05):
        j = joints_at(script, t)
        pose = sts_pose_at(script, t)
        sh, hip = j[f"{near}_shoulder"], j[f"{near}_hip"]
        drop = (j[f"{near}_wrist"][1] - sh[1]) / _dist(sh, hip)
        if pose.push == 0.0:  # crossed over the chest: the wrist a quarter of the trunk under the shoulder
            assert 0.15 < drop < 0.5
        if pose.push == 1.0 and t < pushed.peak_s:
            assert _dist(j[f"{near}_wrist"], seat_hand_point(script)) < 0.005 * h or drop > 0.8


def test_the_curl_keeps_the_thigh_vertical_unless_it_swings_forward() -> None:
    clean, faulty = BY_NAME["hamstring_curl_clean"], BY_NAME["hamstring_curl_faults"]
    for script, limit in ((clean, 4.0), (faulty, 30.0)):
        f = float(script.facing)
        near = script.near_side
        thigh = [_from_vertical_deg(j[f"{near}_hip"], j[f"{near}_knee"], f)
                 for j in (joints_at(script, t) for t in _times(script, 0.05))]
        assert max(thigh) == pytest.approx(limit, abs=0.01) and min(thigh) >= -1e-6
        far = "left" if near == "right" else "right"
        h = script.look.height_px
        floor = script.look.floor_y_frac * script.height
        for t in _times(script, 0.2):  # the standing (far) foot stays on the floor
            assert joints_at(script, t)[f"{far}_heel"][1] == pytest.approx(floor - 0.004 * h - P.far_up * h)
    tm = rep_timings(clean)[1]
    j = joints_at(clean, tm.peak_s + 0.5)
    knee_flex = 180.0 - math.degrees(math.acos(np.clip(
        np.dot(np.subtract(j["right_hip"], j["right_knee"]), np.subtract(j["right_ankle"], j["right_knee"]))
        / (P.thigh * P.shank * clean.look.height_px ** 2), -1, 1)))
    assert knee_flex == pytest.approx(angles_at(clean, tm.peak_s + 0.5)["right_drive_deg"], abs=1e-6)


def test_the_squat_knees_pass_the_toes_only_in_the_faulty_squat() -> None:
    for name in ("mini_squat_clean", "mini_squat_faults"):
        script = BY_NAME[name]
        f = float(script.facing)
        h = script.look.height_px
        near = script.near_side
        for tm in rep_timings(script):
            j = joints_at(script, tm.peak_s + 1.0)
            past = f * (j[f"{near}_knee"][0] - j[f"{near}_foot_index"][0]) / h
            lean = _from_vertical_deg(j["mid_shoulder"], j["mid_hip"], -f)  # the shoulders ahead of the hips
            if "knees_past_toes" in tm.rep.expect_faults:
                assert past > 0.02
            else:
                assert past < -0.01
            if "trunk_lean" in tm.rep.expect_faults:
                assert lean > 50.0
            else:
                assert lean < 40.0
            drop = (j[f"{near}_hip"][1] - joints_at(script, 0.0)[f"{near}_hip"][1]) / h
            assert 0.05 < drop < 0.1  # the hips go down 0.05-0.1 of the height
    assert math.degrees(math.asin(P.toe_forward / P.shank)) == pytest.approx(KNEE_OVER_TOES_DEG)


def test_the_calf_raise_lifts_the_heels_and_keeps_the_toes_down() -> None:
    for name in ("calf_raise_clean", "calf_raise_from_behind"):
        script = BY_NAME[name]
        h = script.look.height_px
        rest = joints_at(script, 0.0)
        for tm in rep_timings(script):
            t = tm.peak_s + 0.5
            j = joints_at(script, t)
            ankle_rise, heel_rise = calf_rise_h(angles_at(script, t)["both_drive_deg"])
            for side in ("left", "right"):  # the toes stay where they were (the body's sway leans the legs)
                assert j[f"{side}_foot_index"] == pytest.approx(rest[f"{side}_foot_index"], abs=1e-6)
                assert (rest[f"{side}_heel"][1] - j[f"{side}_heel"][1]) / h == pytest.approx(heel_rise, abs=1e-6)
                assert (rest[f"{side}_ankle"][1] - j[f"{side}_ankle"][1]) / h == pytest.approx(ankle_rise, abs=1e-6)
                assert (rest[f"{side}_hip"][1] - j[f"{side}_hip"][1]) / h == pytest.approx(ankle_rise, abs=1e-6)
            if tm.rep.expect_counted:
                assert 0.06 < heel_rise < 0.09
    behind = joints_at(BY_NAME["calf_raise_from_behind"], 0.0)
    assert behind["left_hip"][0] < behind["right_hip"][0]  # from behind, the person's left is on the image's left
    front = joints_at(BY_NAME["calf_raise_clean"], 0.0)
    assert front["left_hip"][0] > front["right_hip"][0]


def test_the_march_lifts_the_knee_toward_the_camera() -> None:
    script = BY_NAME["march_clean"]
    h = script.look.height_px
    for tm in rep_timings(script):
        t = tm.peak_s + 0.5
        j, a = joints_at(script, t), angles_at(script, t)
        side, other = tm.side, "left" if tm.side == "right" else "right"
        below = (j[f"{side}_knee"][1] - j[f"{side}_hip"][1]) / h
        assert below == pytest.approx(P.thigh * math.cos(math.radians(a[f"{side}_hip_flexion_deg"])), abs=1e-6)
        assert below < 0.1  # the knee comes up near the hips' height
        assert j[f"{side}_ankle"][1] < j[f"{other}_ankle"][1] - 0.15 * h  # the foot well off the floor
        # the standing leg stays straight (the pelvis' shift over it leans it a little: a 2D projection)
        assert _dist(j[f"{other}_hip"], j[f"{other}_ankle"]) == pytest.approx((P.thigh + P.shank) * h, rel=2e-3)
    lean = BY_NAME["march_faults"]
    tm = rep_timings(lean)[0]
    assert abs(angles_at(lean, tm.peak_s + 0.5)["trunk_lean_left_deg"]) == pytest.approx(18.0, abs=1.5)


# -- the clinical definitions refuse ambiguous scripts -------------------------------------------------------------
def _curl(*reps: Rep) -> MotionScript:
    return _standing("standing-hamstring-curl", "side-facing-right", *reps)


@pytest.mark.parametrize(("script", "needle"), [
    (_sts(_stand(163.0)), "within 6 of the target 165"),
    (_sts(_stand(100.0, expect_counted=False, expect_faults=["range_too_small"])), "barely leaves the seat"),
    (_sts(_stand(rise_s=0.8, push_off=True, expect_faults=["arms_push_off"])), "the push-off lasts"),
    (_sts(_stand(rest_s=0.1), _stand()), "rest_s 0.1 < 0.2"),
    (_standing("mini-squat", "side-facing-right", _held("both", 55.0, trunk_lean_deg=43.0)), "trunk lean"),
    (_standing("mini-squat", "side-facing-right", _held("both", 60.0, shank_tilt_deg=28.0)), "shank tilt"),
    (_standing("mini-squat", "side-facing-right", _held("both", 33.0)), "within 6 of the target 30"),
    (_standing("standing-calf-raise", "front", _held("both", 36.0, hold_s=2.2)), "of the prescribed 2 s"),
    (_standing("standing-march", "front", _held("left", 48.0, knee_bend_deg=90.0, hold_s=1.8)), "target 45"),
    (_standing("standing-march", "front", _held("left", 70.0, knee_bend_deg=90.0, hold_s=1.8,
                                                trunk_lean_deg=8.0)), "trunk lean"),
    (_standing("standing-march", "front", _held("left", 70.0, hold_s=1.8)), "a march bends the knee"),
    (_curl(_held("right", 90.0, hip_flex_deg=21.0)), "thigh forward"),
    (_curl(_held("right", 90.0, sway=[{"amplitude_deg": 19.0, "frequency_hz": 0.5}])), "the hold sinks"),
])
def test_scripts_too_near_a_clinical_line_are_rejected(script: MotionScript, needle: str) -> None:
    problems = check_script(script)
    assert any(needle in p for p in problems), problems


@pytest.mark.parametrize(("script", "needle"), [
    (_sts(Rep("left", 176.0)), "side must be both"),
    (_standing("mini-squat", "side-facing-right", _held("both", 55.0, push_off=True)), "push_off is a sit-to-stand"),
    (_curl(_held("left", 90.0)), "must be the near leg"),
    (_standing("standing-march", "front", _held("left", 70.0, knee_bend_deg=90.0, hold_s=1.8), from_behind=True),
     "from_behind"),
    (_sts(_stand(), truth_rules="engine-bands"), "truth_rules must be 'clinical'"),
    (_sts(_stand(), scene=Scene(chair=False)), "needs the chair"),
    (_sts(_stand(), test="four-stage-balance"), "draws four-stage-balance"),
    (_standing("four-stage-balance", "side-facing-right", scene=Scene(chair=False),
               stances=[Stance("tandem"), Stance("side_by_side")]), "in the protocol's order"),
    (_standing("four-stage-balance", "side-facing-right", scene=Scene(chair=False),
               stances=[Stance("side_by_side", hold_s=5.0), Stance("semi_tandem")]), "the test ends there"),
    (_standing("four-stage-balance", "side-facing-right", scene=Scene(chair=False),
               stances=[Stance("side_by_side", hold_s=9.8)]), "within 0.5 s of 10 s"),
    (_standing("four-stage-balance", "side-facing-right", stances=[Stance("side_by_side")]), "without support"),
])
def test_malformed_scripts_are_rejected(script: MotionScript, needle: str) -> None:
    problems = check_script(script)
    assert any(needle in p for p in problems), problems


def test_the_thirty_second_mark_must_fall_clear_of_halfway_and_of_a_top() -> None:
    good = BY_NAME["chair_stand_30s"]
    reps = list(good.reps)
    near_half = replace(good, reps=[*reps[:10], replace(reps[10], rest_s=0.57), reps[11]])
    assert any("too near halfway" in p for p in check_script(near_half))
    at_top = replace(good, reps=[*reps[:10], replace(reps[10], rest_s=0.3), replace(reps[11], rise_s=0.9)])
    top = rep_timings(at_top)[11].peak_s - go_s(at_top) - 30.0
    assert abs(top) < 0.3 and any("from the 30 s mark" in p for p in check_script(at_top))


def test_verdicts_follow_the_definitions() -> None:
    cases = [
        (_sts(_stand()), True, ()),
        (_sts(_stand(120.0)), False, ("range_too_small",)),
        (_sts(_stand(push_off=True)), True, ("arms_push_off",)),
        (_standing("standing-calf-raise", "front", _held("both", 38.0)), True, ()),
        (_standing("standing-calf-raise", "front", _held("both", 38.0, hold_s=0.7)), False, ("hold_too_short",)),
        (_standing("mini-squat", "side-facing-right", _held("both", 60.0, trunk_lean_deg=55.0,
                                                            shank_tilt_deg=38.0)),
         True, ("trunk_lean", "knees_past_toes")),
        (_curl(_held("right", 45.0, hip_flex_deg=30.0)), False, ("range_too_small", "thigh_forward")),
    ]
    for script, counted, faults in cases:
        v = programme_verdict(script, script.reps[0])
        assert (v.counted, v.faults, v.problems) == (counted, faults, ()), script.exercise


def test_truth_json_has_the_test_object_and_keeps_the_format() -> None:
    truth = json.loads((EXERCISES_DIR / "chair_stand_30s.truth.json").read_text(encoding="utf-8"))
    assert list(truth) == ["schema_version", "exercise", "video", "source", "view", "person_present", "counts",
                           "reps", "test", "script"]
    assert truth["exercise"] == "sit-to-stand" and truth["test"]["name"] == "chair-stand-30s"
    assert truth["test"]["score"] == 12 and truth["counts"]["both"] == 12 == len(truth["reps"])
    balance = json.loads((EXERCISES_DIR / "balance_tandem_lost.truth.json").read_text(encoding="utf-8"))
    assert balance["reps"] == [] and balance["counts"] == {"left": 0, "right": 0, "total": 0}
    assert [s["held_s"] for s in balance["test"]["stances"]] == [10.0, 10.0, 6.0]
