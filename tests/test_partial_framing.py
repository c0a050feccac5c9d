"""Partial framing: a recorded video whose working foot hangs below the picture at rest.

The clips are the drawn seated samples, cropped at the bottom the way a phone propped too close crops them:
the committed recording's landmarks stay where the model put them, the picture's height shrinks so that
the resting ankles fall below its edge (the model's guesses for a landmark outside the picture lie beyond
the edge, as measured on the real treatment-table clip in ../shared). Truth is the drawn motion; the
crop is chosen from the drawn ankle heights, not from the engine's lines.
"""

from __future__ import annotations

import json
import math
from dataclasses import replace
from pathlib import Path

import numpy as np
import pytest
from conftest import SAMPLES, committed_landmarks

from posecount.exercises import get_exercise
from posecount.exercises.engine import FeatureFrame, RepCounter
from posecount.exercises.spec import SIDES
from posecount.features import ViewSettings
from posecount.pipeline import Session, replay_track
from posecount.pose import LEG, LM
from posecount.recording import PoseTrack

SEATED = ["ske_clean_facing_right", "ske_clean_facing_left"]


def _cropped(track: PoseTrack, height_px: int) -> PoseTrack:
    return replace(track, source=replace(track.source, height=height_px))


def _crop_height(track: PoseTrack) -> int:
    """A bottom edge between the working ankle at rest and at the top: 40 % of the way up from rest."""
    xy = track.image_xy[track.detected]
    ankle_y = np.maximum(xy[:, LM.LEFT_ANKLE, 1], xy[:, LM.RIGHT_ANKLE, 1])
    near_y = np.minimum(xy[:, LM.LEFT_ANKLE, 1], xy[:, LM.RIGHT_ANKLE, 1])
    rest_y, top_y = float(np.percentile(ankle_y, 90)), float(np.percentile(near_y, 2))
    return int(rest_y - 0.4 * (rest_y - top_y))


def _truth(name: str) -> list[dict]:
    return json.loads((SAMPLES / f"{name}.truth.json").read_text())["reps"]


def _replay(track: PoseTrack, exercise: str, view: ViewSettings) -> Session:
    session = Session(get_exercise(exercise), (track.source.width, track.source.height), view=view)
    for index, ts, pose in track:
        session.step(index, ts, pose)
    session.finish()
    return session


@pytest.mark.parametrize("name", SEATED)
def test_feet_below_the_picture_at_rest_still_count_every_drawn_rep(name: str) -> None:
    track = committed_landmarks(name)
    height = _crop_height(track)
    cropped = _cropped(track, height)
    # The crop really hides the resting feet and shows the raised one.
    ankles_y = cropped.image_xy[cropped.detected][:, [LM.LEFT_ANKLE, LM.RIGHT_ANKLE], 1]
    assert (ankles_y.max(axis=1) >= height).mean() > 0.4 and (ankles_y.min(axis=1) < height).any()

    session, _ = replay_track(cropped, get_exercise("seated-knee-extension"))
    truth = _truth(name)
    reps = session.counter.reps
    assert [(r.side, r.counted, list(r.faults)) for r in reps] == [
        (t["side"], t["counted"], t["faults"]) for t in truth]
    whole, _ = replay_track(track, get_exercise("seated-knee-extension"))
    for r, t, w in zip(reps, truth, whole.counter.reps, strict=True):
        # What is seen is counted: the attempt starts when the foot comes into view (after the drawn start)
        # and ends when it goes back down out of view (before the drawn end).
        assert t["start_s"] <= r.start_s < t["peak_s"] + 0.3
        assert t["peak_s"] < r.end_s <= t["end_s"] + 0.3
        assert abs(r.hold_s - w.hold_s) < 0.1  # the hold is in view: the crop does not change it
    warnings = session.warnings(track.source.fps)
    assert any("below the bottom of the picture" in w for w in warnings)
    assert not any("did not suit" in w for w in warnings)


@pytest.mark.parametrize("name", SEATED)
def test_live_asks_to_move_back_instead_of_assuming(name: str) -> None:
    """Live keeps the set-up banner: there the person can step back, so nothing is assumed."""
    cropped = _cropped(committed_landmarks(name), _crop_height(committed_landmarks(name)))
    session = _replay(cropped, "seated-knee-extension", ViewSettings())
    assert session.tally.view_issues.most_common(1)[0][0] == "Move back until your whole leg is visible"
    assert sum(session.tally.side_below_frames.values()) == 0
    assert not any("below the bottom" in w for w in session.warnings(cropped.source.fps))


def test_whole_picture_is_unchanged_by_the_assumption() -> None:
    """On a clip whose feet are always in view the recorded-video setting changes nothing."""
    track = committed_landmarks("ske_clean_facing_right")
    plain = _replay(track, "seated-knee-extension", ViewSettings())
    recorded = _replay(track, "seated-knee-extension", ViewSettings(assume_rest_below_frame=True))
    assert plain.counter.reps == recorded.counter.reps
    assert sum(recorded.tally.side_below_frames.values()) == 0


def _frame(t_ms: int, angle: float, unseen: bool = False) -> FeatureFrame:
    sides = {"left": {"knee_angle_deg": math.nan}, "right": {"knee_angle_deg": angle}}
    return FeatureFrame(t_ms, sides, {"trunk_lean_deg": 5.0},
                        at_rest_unseen=frozenset({"right"}) if unseen else frozenset())


@pytest.mark.parametrize(("unseen", "expect"), [(True, (True, [])), (False, (False, ["lost_sight"]))])
def test_an_attempt_that_goes_below_the_picture_ends_at_rest_not_lost(unseen: bool, expect: tuple) -> None:
    """Engine: a leg held straight 2 s, then gone from view while still high. Known to be at rest below
    the picture, the attempt closes normally and counts; merely unseen, it is lost."""
    counter = RepCounter(get_exercise("seated-knee-extension"))
    t = 0
    for _ in range(60):  # seated at rest
        counter.update(_frame(t, 90.0))
        t += 33
    for k in range(30):  # up in 1 s
        counter.update(_frame(t, 90.0 + 85.0 * k / 29))
        t += 33
    for _ in range(70):  # held 2.3 s
        counter.update(_frame(t, 175.0))
        t += 33
    for _ in range(90):  # the foot drops out of the picture
        counter.update(_frame(t, math.nan, unseen))
        t += 33
    counter.finish(t)
    (rep,) = counter.reps
    assert (rep.counted, list(rep.faults)) == expect
    assert rep.hold_s > 2.0


def test_a_foot_hidden_behind_the_chair_does_not_stop_the_other_leg_counting() -> None:
    """Front-on, a chair's back or leg may hide one foot (the model then gives it a low visibility). The
    hidden leg is unseen; the other leg's reps still count as drawn. Here the right ankle is hidden for the
    whole clip: the left leg's drawn reps are all counted, no right rep is invented."""
    name = "slr_clean_alternating"
    track = _landmarks_alone(committed_landmarks(name))
    vis = track.visibility.copy()
    vis[:, LM.RIGHT_ANKLE] = 0.1
    hidden = replace(track, visibility=vis)
    session, _ = replay_track(hidden, get_exercise("side-leg-raise"))
    truth = _truth(name)
    assert [(r.side, r.counted) for r in session.counter.reps] == [
        (t["side"], t["counted"]) for t in truth if t["side"] == "left"]
    assert any("right leg was not visible" in w for w in session.warnings(track.source.fps))


# -- front-on: legs hidden behind the chair whenever they are down ---------------------------------------
def _landmarks_alone(track: PoseTrack) -> PoseTrack:
    """The recording without the legs' motion: these clips have no chair, so the motion sees every leg the
    hiding below takes from the landmarks only (behind a real chair back a leg at rest makes no motion
    either; tests/test_motion.py covers a lifted leg seen by motion alone)."""
    return replace(track, leg_motion_deg=None)


def _hidden_behind_chair(track: PoseTrack, truth_file: Path, below_deg: float) -> PoseTrack:
    """The sample's recording with each ankle hidden (visibility 0.1, the model's guess left in place inside
    the picture) on every frame where the drawn leg is less than ``below_deg`` out from its stance: a chair's
    back and legs hide the feet at rest and the first and last degrees of every lift."""
    from posecount.synth.motion import angles_at
    from posecount.synth.script import MotionScript

    script = MotionScript.from_dict(json.loads(truth_file.read_text())["script"])
    vis = track.visibility.copy()
    for i, t_ms in enumerate(track.timestamp_ms):
        drawn = angles_at(script, float(t_ms) / 1000.0)
        for side in SIDES:
            if drawn[f"{side}_abduction_deg"] - script.stance_deg < below_deg:
                vis[i, LEG[side][2]] = 0.1
    return replace(_landmarks_alone(track), visibility=vis)


@pytest.mark.parametrize("below_deg", [8.0, 14.0])
@pytest.mark.parametrize("clips", [SAMPLES / "slr_clean_alternating",
                                   SAMPLES / "realistic" / "slr_flicks_between_reps"], ids=lambda p: p.name)
def test_legs_hidden_by_the_chair_whenever_down_still_count_every_drawn_rep(clips: Path, below_deg: float) -> None:
    """Both feet hidden at rest (a kitchen chair seen at an angle, a solid one), each leg seen only once it is
    lifted out past the chair: a recorded video still counts every drawn rep and finds every 0.3 s flick, none
    is "lost from sight" (each was last seen on its way down), and the report says what was assumed. Live
    counts the held reps too, and asks for a better set-up while both feet are hidden."""
    name, folder = clips.name, clips.parent
    truth_file = folder / f"{name}.truth.json"
    hidden = _hidden_behind_chair(committed_landmarks(name, folder), truth_file, below_deg)
    session, _ = replay_track(hidden, get_exercise("side-leg-raise"))
    truth = json.loads(truth_file.read_text())["reps"]
    reps = session.counter.reps
    assert [(r.side, r.counted) for r in reps] == [(t["side"], t["counted"]) for t in truth]
    assert not any("lost_sight" in r.faults for r in reps)
    assert all(r.ended_unseen for r in reps)
    assert any("taken to be back at rest" in w for w in session.warnings(hidden.source.fps))
    live = _replay(hidden, "side-leg-raise", ViewSettings())
    assert "The chair hides your feet: turn it or move the camera" in live.tally.view_issues
    assert sum(r.counted for r in live.counter.reps) == sum(t["counted"] for t in truth)


def _slr_frame(t_ms: int, left_deg: float) -> FeatureFrame:
    return FeatureFrame(t_ms, {"left": {"hip_abduction_deg": left_deg, "knee_flexion_deg": 3.0},
                               "right": {"hip_abduction_deg": 3.0, "knee_flexion_deg": 3.0}},
                        {"trunk_lean_deg": 2.0})


@pytest.mark.parametrize(("hold_s", "gone_at_top", "expect"), [
    (3.0, False, (True, [])),  # held 3 s, lowered behind the chair: a rep
    (0.0, False, (False, ["hold_too_short"])),  # a flick seen only while out past the chair: an attempt
    (3.0, True, (False, ["hold_too_short", "lost_sight"])),  # gone mid-hold: nobody knows what it did
])
def test_an_attempt_last_seen_on_its_way_down_ends_at_rest(hold_s: float, gone_at_top: bool, expect: tuple) -> None:
    """Engine: a minimum-jerk lift from 3° to 38° (rise 1.2 s, lower 2 s) that is unseen (NaN) whenever it
    is under 15° (behind the chair), or from the middle of its hold on. Truth is the drawn motion: reached
    the 20° target and held 2 s, or not; a leg lost at the top is not known to have come down."""
    from anglestreams import count, lift, sampled

    angle = lift(hold_s, rise_s=1.2, lower_s=2.0, peak_deg=38.0, rest_deg=3.0, t0_s=2.0)

    def seen(t_s: float, a: float) -> float:
        unseen = t_s > 2.0 + 1.2 + hold_s / 2 if gone_at_top else a < 15.0
        return math.nan if unseen else a

    stream = sampled(lambda t: {"left": angle(t), "right": 3.0}, 12.0)
    (rep,) = count(get_exercise("side-leg-raise"),
                   (_slr_frame(round(t_s * 1000), seen(t_s, angles["left"])) for t_s, angles in stream))
    assert (rep.counted, list(rep.faults)) == expect
    assert rep.ended_unseen != gone_at_top


def test_a_leg_the_model_rates_half_visible_out_past_the_chair_still_counts() -> None:
    """Front-on, the model places a leg lifted out past a chair's legs well but rates it 0.3-0.5 visible.
    With every ankle rated 0.4 all along, the drawn reps still all count; rated 0.1 (what the model gives a
    leg it cannot see), nothing is counted and nothing is invented."""
    name = "slr_clean_alternating"
    track = _landmarks_alone(committed_landmarks(name))
    truth = _truth(name)
    for rated, expect in ((0.4, [(t["side"], t["counted"]) for t in truth]), (0.1, [])):
        vis = track.visibility.copy()
        vis[:, [LM.LEFT_ANKLE, LM.RIGHT_ANKLE]] = np.minimum(vis[:, [LM.LEFT_ANKLE, LM.RIGHT_ANKLE]], rated)
        session, _ = replay_track(replace(track, visibility=vis), get_exercise("side-leg-raise"))
        assert [(r.side, r.counted) for r in session.counter.reps] == expect


def test_side_on_quick_kicks_count_where_the_model_rates_the_seated_ankle_under_half_visible() -> None:
    """Side-on, the model rates a seated ankle 0.44-0.46 at rest and over 0.5 only near full extension (held-out
    1010/13, portrait): here, within 15° of straight, under 0.5 s of each of a sample's two quick kicks. A leg
    is measured side-on down to ``side_leg_min_visibility`` (0.2), and the view check now asks no more of a
    foot. When it asked 0.5, the view turned right only 0.5 s after the ankle passed 0.5 and the kicks were
    never found (checked against the old check); asking 0.5 of the leg too, no rep is right. Truth is the drawn
    motion and its clinical verdict (each kick an attempt, not counted, hold too short)."""
    from posecount.pipeline import RECORDED_VIEW
    from posecount.synth.motion import angles_at
    from posecount.synth.script import MotionScript

    name = "ske_hold_too_short"
    track = committed_landmarks(name)
    truth = json.loads((SAMPLES / f"{name}.truth.json").read_text())
    script = MotionScript.from_dict(truth["script"])
    drawn_deg = np.array([max(angles_at(script, script.frame_time_s(int(f)))[f"{s}_knee_deg"] for s in SIDES)
                          for f in track.frame])
    vis = track.visibility.copy()
    below = drawn_deg < 165.0  # rated over 0.5 only within 15° of straight: under 0.5 s of each kick
    vis[np.ix_(below, [LM.LEFT_ANKLE, LM.RIGHT_ANKLE])] = 0.45
    rated = replace(track, visibility=vis)
    wanted = [(t["side"], t["counted"], sorted(t["faults"])) for t in truth["reps"]]
    assert [t["hold_s"] for t in truth["reps"]][:2] == pytest.approx([0.0, 0.0], abs=0.1), "two quick kicks first"

    def reps(view: ViewSettings) -> list[tuple[str, bool, list[str]]]:
        session = _replay(rated, "seated-knee-extension", view)
        return [(r.side, r.counted, sorted(r.faults)) for r in session.counter.reps]

    assert reps(RECORDED_VIEW) == wanted
    asked_half = reps(replace(RECORDED_VIEW, side_leg_min_visibility=0.5))
    assert asked_half != wanted and not any(counted for _, counted, _ in asked_half)


def test_side_on_a_leg_unseen_on_its_way_down_is_still_lost() -> None:
    """Side-on, a leg goes "unseen" when the model takes the other one for the working leg (a dancer's legs
    swapped labels and a 2 s flexion was counted): there is no chair to have hidden it, so an attempt last seen
    on its way down, then unseen, is lost from sight, not taken to be at rest."""
    counter = RepCounter(get_exercise("seated-knee-extension"))
    t = 0
    angles = [90.0] * 60 + [90.0 + 85.0 * k / 29 for k in range(30)] + [175.0] * 70 + \
        [175.0 - 45.0 * k / 14 for k in range(15)] + [math.nan] * 60
    for angle in angles:
        counter.update(_frame(t, angle))
        t += 33
    counter.finish(t)
    (rep,) = counter.reps
    assert not rep.counted and "lost_sight" in rep.faults and not rep.ended_unseen
