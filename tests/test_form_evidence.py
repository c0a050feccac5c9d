"""A form fault needs evidence that survives landmark noise: how long, and how sure the landmarks are.

A wrong scolding for a clean rep is as bad as a missed count. These tests draw the rep (its truth is the
motion: a foot held at a right angle is not pointing its toes) and spoil only the evidence.
"""

from __future__ import annotations

import json
import math
from dataclasses import replace

import numpy as np
import pytest
from conftest import REALISTIC, SAMPLES, committed_landmarks

from posecount.exercises import get_exercise
from posecount.exercises.engine import FeatureFrame, RepCounter
from posecount.features.registry import facing_sign
from posecount.pipeline import replay_track
from posecount.pose import LM
from posecount.recording import PoseTrack

DT_MS = 33


def _seated_rep(plantar_at_top: list[float], knee_at_top: list[float] | None = None) -> list:
    """One seated rep: rest, 1 s up, a hold of len(plantar_at_top) frames (the knee read at 175°, or
    ``knee_at_top``), 1 s down, rest."""
    counter = RepCounter(get_exercise("seated-knee-extension"))
    t = 0

    def step(knee: float, plantar: float) -> None:
        nonlocal t
        counter.update(FeatureFrame(t, {"left": {}, "right": {"knee_angle_deg": knee,
                                                             "ankle_plantarflexion_deg": plantar}},
                                    {"trunk_lean_deg": 4.0}))
        t += DT_MS

    for _ in range(45):
        step(90.0, 0.0)
    for k in range(30):
        step(90.0 + 85.0 * k / 29, 0.0)
    for p, knee in zip(plantar_at_top, knee_at_top or [175.0] * len(plantar_at_top), strict=True):
        step(knee, p)
    for k in range(30):
        step(175.0 - 85.0 * k / 29, 0.0)
    for _ in range(45):
        step(90.0, 0.0)
    counter.finish(t)
    return counter.reps


HOLD_FRAMES = 75  # 2.5 s


@pytest.mark.parametrize(("what", "plantar", "fault"), [
    # pointed: past the clinical line (30° of plantarflexion; see the seated spec)
    ("toes pointed the whole hold", [45.0] * HOLD_FRAMES, True),
    ("foot at a right angle", [5.0] * HOLD_FRAMES, False),
    ("a right angle with a third of the frames wild", [5.0 if i % 3 else 70.0 for i in range(HOLD_FRAMES)], False),
    ("pointed, but the foot seen on only a quarter of the hold",
     [60.0 if i % 4 == 0 else math.nan for i in range(HOLD_FRAMES)], False),
    # held-out 3333/13: the silhouette found a foot drawn 48° pointed on 32 % of the hold, reading it 50-52°
    ("pointed, the foot seen on a third of the hold", [60.0 if i % 3 == 0 else math.nan for i in range(HOLD_FRAMES)],
     True),
    ("pointed, the foot seen on two thirds of the hold", [math.nan if i % 3 == 0 else 60.0 for i in range(HOLD_FRAMES)],
     True),
    # As the silhouette read a foot drawn at 1° on held-out 909/01: its long axis flips to another line on some
    # frames (a foot's outline nearly as wide as long), median 36°, its most-up fifth 1°. The median alone is
    # past the line; the foot is at a right angle.
    ("a right angle read 40° on three frames in five", [40.0 if i % 5 < 3 else 2.0 for i in range(HOLD_FRAMES)],
     False),
])
def test_toes_rule_fires_on_evidence_only(what: str, plantar: list[float], fault: bool) -> None:
    (rep,) = _seated_rep(plantar)
    assert rep.counted, what
    assert ("toes_not_up" in rep.faults) == fault, what


@pytest.mark.parametrize("name", ["ske_clean_facing_right", "ske_clean_facing_left"])
def test_a_foot_misread_on_some_frames_does_not_scold_a_clean_rep(name: str) -> None:
    """The recording's silhouette turned pointed (the foot's line 60° from square to the shank) on three
    frames in five: the rep is clean, so no toes_not_up, and it still counts. Turned pointed on every frame,
    every rep held at the top is scolded: the rule does read the silhouette."""
    track = committed_landmarks(name)
    assert track.foot_axis_deg is not None
    spec = get_exercise("seated-knee-extension")
    session, _ = replay_track(track, spec)
    clean = [(r.side, r.counted, r.faults) for r in session.counter.reps]
    assert clean and all(not r.faults for r in session.counter.reps)

    along = np.full_like(track.foot_axis_deg, np.nan)  # the pointed foot's line, per frame and leg
    for i in np.flatnonzero(track.detected):
        pose = track.pose(i)
        assert pose is not None
        for k, (ankle, knee) in enumerate(((LM.LEFT_ANKLE, LM.LEFT_KNEE), (LM.RIGHT_ANKLE, LM.RIGHT_KNEE))):
            down = pose.image_xy[ankle] - pose.image_xy[knee]
            front = facing_sign(pose) * np.array([down[1], -down[0]])
            foot = 0.5 * front + math.sqrt(3) / 2 * down  # 60° from the front toward the shank's line
            along[i, k] = math.degrees(math.atan2(foot[1], foot[0]))
    some = np.arange(len(track)) % 5 < 3
    spoiled = replace(track, foot_axis_deg=np.where(some[:, None], along, track.foot_axis_deg).astype(np.float32))
    session, _ = replay_track(spoiled, spec)
    assert [(r.side, r.counted, r.faults) for r in session.counter.reps] == clean

    pointed = replace(track, foot_axis_deg=along.astype(np.float32))
    session, _ = replay_track(pointed, spec)
    assert all("toes_not_up" in r.faults for r in session.counter.reps if r.counted or r.hold_s > 1)


@pytest.mark.parametrize(("what", "knee", "fault"), [
    # drawn straight (175°); side-on a misplaced ankle reads it low on some frames, never high
    ("straight, read 30° low on three frames in five", [145.0 if i % 5 < 3 else 174.0 for i in range(HOLD_FRAMES)],
     False),
    ("straight, read 10-20° low throughout but seen straight at times",
     [157.0 + 18.0 * ((i * 7) % 10 == 0) for i in range(HOLD_FRAMES)], False),
    # drawn bent (an extensor lag of 28°): its best-seen fifth is still bent
    ("bent at 152°, read ±3°", [152.0 + 3.0 * math.sin(i) for i in range(HOLD_FRAMES)], True),
])
def test_knee_bent_judges_the_best_seen_part_of_the_hold(what: str, knee: list[float], fault: bool) -> None:
    """Side-on the knee's errors run one way (a straight knee read bent, never a bent one read straight), so
    knee_bent asks whether the knee was seen straight in the hold's best fifth, not on a typical frame."""
    (rep,) = _seated_rep([5.0] * HOLD_FRAMES, knee)
    assert rep.counted, what
    assert ("knee_bent" in rep.faults) == fault, what


def _knee_misplaced(track: PoseTrack, frames: np.ndarray, flexion_deg: float) -> PoseTrack:
    """The recording with each knee put off its hip→ankle line (toward the body's midline) on ``frames``, so that
    the knee reads ``flexion_deg`` bent there: the model's guess for a knee hidden behind a chair's back."""
    xy = track.image_xy.copy()
    half_bend = math.radians(flexion_deg / 2)
    for hip, knee, ankle, inward in ((LM.LEFT_HIP, LM.LEFT_KNEE, LM.LEFT_ANKLE, -1.0),
                                     (LM.RIGHT_HIP, LM.RIGHT_KNEE, LM.RIGHT_ANKLE, 1.0)):
        leg = xy[:, ankle] - xy[:, hip]
        length = np.linalg.norm(leg, axis=1, keepdims=True)
        normal = np.stack([-leg[:, 1], leg[:, 0]], axis=1) / np.maximum(length, 1e-6)
        normal *= np.sign(normal[:, :1] * inward + 1e-9)
        moved = (xy[:, hip] + xy[:, ankle]) / 2 + normal * length / 2 * math.tan(half_bend)
        xy[frames, knee] = moved[frames]
    return replace(track, image_xy=xy)


def test_side_leg_raise_knee_bent_needs_the_knee_seen_bent_throughout() -> None:
    """Front-on, behind a chair, the model guesses a hidden knee and reads a straight leg bent on many frames.
    The drawn legs of slr_clean_alternating are straight: with each knee read 30° bent on three frames in five no
    rep is scolded; read bent on every frame (a knee really bent), every held rep is. The landmarks alone here
    (a recording without the thighs' motion, which would read these knees straight: the next tests)."""
    spec = get_exercise("side-leg-raise")
    track = replace(committed_landmarks("slr_clean_alternating"), thigh_motion_deg=None)
    clean = [(r.side, r.counted, r.faults) for r in replay_track(track, spec)[0].counter.reps]
    assert clean and not any(faults for _, _, faults in clean)
    index = np.arange(len(track))
    session, _ = replay_track(_knee_misplaced(track, index % 5 < 3, 30.0), spec)
    assert [(r.side, r.counted, r.faults) for r in session.counter.reps] == clean
    session, _ = replay_track(_knee_misplaced(track, index >= 0, 30.0), spec)
    assert all("knee_bent" in r.faults for r in session.counter.reps if r.counted)


def _knee_rated(track: PoseTrack, visibility: float) -> PoseTrack:
    """The recording with both knees rated ``visibility`` on every frame."""
    vis = track.visibility.copy()
    vis[:, [LM.LEFT_KNEE, LM.RIGHT_KNEE]] = visibility
    return replace(track, visibility=vis)


@pytest.mark.parametrize(("visibility", "scolded"), [(0.7, False), (0.8, False), (0.9, True), (1.0, True)])
def test_side_leg_raise_knee_bent_needs_a_knee_the_model_is_sure_it_sees(visibility: float, scolded: bool) -> None:
    """A knee the model guesses behind a chair's back (rated 0.6-0.8 visible on the held-out clips) can be put
    at any angle: read 30° bent on every frame it scolds nothing. The same bend on a knee it is sure of (0.9 and
    up; every drawn bent knee read bent was rated 0.93-1.00) is a bent knee. The leg is still counted either way.
    The landmarks alone (no thighs' motion in the recording)."""
    spec = get_exercise("side-leg-raise")
    track = replace(committed_landmarks("slr_clean_alternating"), thigh_motion_deg=None)
    clean = [(r.side, r.counted) for r in replay_track(track, spec)[0].counter.reps]
    bent = _knee_rated(_knee_misplaced(track, np.arange(len(track)) >= 0, 30.0), visibility)
    reps = replay_track(bent, spec)[0].counter.reps
    assert [(r.side, r.counted) for r in reps] == clean
    assert all(("knee_bent" in r.faults) == scolded for r in reps if r.counted)


def test_side_leg_raise_knee_read_from_the_thighs_motion_where_the_model_straightens_it() -> None:
    """slr_fast_lower_knee_bent draws two knees bent 38-40° (and one straight). With the model's knees put
    straight, the lifted thighs' motion still shows both bends: the same reps and faults as drawn; without the
    motion the bends are missed."""
    spec = get_exercise("side-leg-raise")
    track = committed_landmarks("slr_fast_lower_knee_bent")
    truth = json.loads((SAMPLES / "slr_fast_lower_knee_bent.truth.json").read_text())
    drawn = [(r["side"], r["counted"], tuple(r["faults"])) for r in truth["reps"]]
    # each knee put on its hip→ankle line and rated sure: the model straightening a bent knee it does not see
    # well (held-out: drawn 28-43°, read 6-19° over a leg that stands out little from the wall)
    straightened = _knee_rated(_knee_misplaced(track, np.arange(len(track)) >= 0, 0.0), 0.99)
    assert [(r.side, r.counted, r.faults) for r in replay_track(straightened, spec)[0].counter.reps] == drawn
    alone = replay_track(replace(straightened, thigh_motion_deg=None), spec)[0].counter.reps
    assert not any("knee_bent" in r.faults for r in alone)


def test_side_leg_raise_a_straight_knee_the_model_guesses_bent_is_read_straight_from_the_thighs_motion() -> None:
    """slr_clean_alternating's straight legs with the model's knees read 30° bent on every frame, and rated sure:
    the lifted thighs' motion shows them straight, so no rep is scolded."""
    spec = get_exercise("side-leg-raise")
    track = committed_landmarks("slr_clean_alternating")
    clean = [(r.side, r.counted, r.faults) for r in replay_track(track, spec)[0].counter.reps]
    assert clean and not any(faults for _, _, faults in clean)
    bent = _knee_rated(_knee_misplaced(track, np.arange(len(track)) >= 0, 30.0), 0.99)
    assert [(r.side, r.counted, r.faults) for r in replay_track(bent, spec)[0].counter.reps] == clean


@pytest.mark.parametrize(("thigh_shift_deg", "scolded"), [(0.0, False), (6.0, False), (15.0, True)])
def test_side_leg_raise_a_knee_hidden_behind_the_chair_is_read_from_its_thigh_past_the_chairs_bias(
        thigh_shift_deg: float, scolded: bool) -> None:
    """slr_chair_slatted draws straight legs; behind the slatted back the model does not see the right knee
    (rated under 0.85 through its hold), and the right thigh's motion reads it ~10° bent: the back hides the
    thigh's inner part. Its thigh read 6° further out (a soft knee, as held-out 3131/04: drawn 10°, read 23°)
    is within the chair's bias and scolds nothing; read 15° further out (a knee bent ~40°) it is a bent knee."""
    spec = get_exercise("side-leg-raise")
    track = committed_landmarks("slr_chair_slatted", REALISTIC)
    assert track.thigh_motion_deg is not None
    truth = json.loads((REALISTIC / "slr_chair_slatted.truth.json").read_text())
    thighs = track.thigh_motion_deg.copy()
    thighs[:, 1] += thigh_shift_deg  # the right thigh
    reps = replay_track(replace(track, thigh_motion_deg=thighs), spec)[0].counter.reps
    assert [(r.side, r.counted) for r in reps] == [(r["side"], r["counted"]) for r in truth["reps"]]
    right = [r for r in reps if r.side == "right" and r.counted]
    assert right and all(("knee_bent" in r.faults) == scolded for r in right)
    assert not any(r.faults for r in reps if r.side == "left")
