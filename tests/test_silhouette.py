"""The foot's direction read from the silhouette (posecount.silhouette), and how it travels: the foot's angle
feature, recordings, the leg-swap repair, and which exercises ask the landmarker for the silhouette.

Every truth here is the drawn geometry: a leg drawn as a silhouette (thigh, shank, and a foot at a chosen
angle to the shank), not a value the code computes.
"""

from __future__ import annotations

import csv
import math
from dataclasses import replace
from pathlib import Path

import cv2
import numpy as np
import pytest
from conftest import SAMPLES, committed_landmarks

from posecount.exercises import get_exercise
from posecount.features.registry import FEATURES, ankle_plantarflexion_deg
from posecount.pipeline import options_for, run_analysis
from posecount.pose import LM, NUM_LANDMARKS, Pose, PoseOptions
from posecount.posecache import recording_key
from posecount.recording import PoseRecorder, PoseTrack
from posecount.silhouette import foot_axes_deg
from posecount.smoothing import unswap_legs
from posecount.sources import SourceInfo

FOOT_PX = 60.0  # heel to toes
SHANK_PX = 110.0


def drawn_leg(plantarflexion_deg: float, shank_dir_deg: float, facing: int = 1, size: tuple[int, int] = (640, 480),
              ankle: tuple[float, float] = (320.0, 300.0)) -> tuple[np.ndarray, np.ndarray]:
    """A seated person's left leg, seen side-on facing the image right (``facing`` 1) or left (-1): its
    silhouette and landmarks. The shank points ``shank_dir_deg`` (image angle, knee → ankle, y down); the
    foot is turned ``plantarflexion_deg`` from square to the shank (toes on the shin's front) toward
    pointing along it. The ankle sits a quarter of the foot above the sole's line, the heel a quarter of the
    foot behind the ankle, as in a human foot."""
    a = np.array(ankle)
    u = np.array([math.cos(math.radians(shank_dir_deg)), math.sin(math.radians(shank_dir_deg))])
    front = facing * np.array([u[1], -u[0]])  # the shin's front, where the toes are
    theta = math.radians(plantarflexion_deg)
    foot = math.cos(theta) * front + math.sin(theta) * u
    knee = a - SHANK_PX * u
    hip = knee - np.array([facing * 130.0, 0.0])  # the thigh on the seat, behind the knee
    heel = a + 0.25 * FOOT_PX * u - 0.25 * FOOT_PX * foot
    toe = a + 0.25 * FOOT_PX * u + 0.75 * FOOT_PX * foot
    mask = np.zeros(size[::-1], np.uint8)
    for p, q, width in ((hip, knee, 40), (knee, a, 30), (heel, toe, 18)):
        cv2.line(mask, (int(p[0]), int(p[1])), (int(q[0]), int(q[1])), 1, width)
    xy = np.zeros((NUM_LANDMARKS, 2), np.float32)
    xy[LM.LEFT_HIP], xy[LM.LEFT_KNEE], xy[LM.LEFT_ANKLE] = hip, knee, a
    xy[LM.LEFT_HEEL], xy[LM.LEFT_FOOT_INDEX] = heel, toe
    xy[LM.RIGHT_HIP], xy[LM.RIGHT_KNEE], xy[LM.RIGHT_ANKLE] = hip + 0.5, knee + 0.5, a + 0.5  # hidden behind
    head = hip + np.array([facing * 20.0, -300.0])
    xy[LM.LEFT_EAR], xy[LM.RIGHT_EAR], xy[LM.NOSE] = head, head, head + np.array([facing * 25.0, 5.0])
    return mask.astype(bool), xy


def pose_of(xy: np.ndarray, feet: np.ndarray | None) -> Pose:
    return Pose(image_xy=xy, world_xyz=np.zeros((NUM_LANDMARKS, 3), np.float32),
                visibility=np.ones(NUM_LANDMARKS, np.float32), presence=np.ones(NUM_LANDMARKS, np.float32),
                foot_axis_deg=feet)


def read_deg(plantarflexion_deg: float, shank_dir_deg: float, facing: int = 1) -> float:
    mask, xy = drawn_leg(plantarflexion_deg, shank_dir_deg, facing)
    return ankle_plantarflexion_deg(pose_of(xy, foot_axes_deg(mask, xy)), "left")


# A straight leg held out (shank near horizontal) and bent ones, facing either way.
SHANKS = [(0.0, 1), (10.0, 1), (45.0, 1), (80.0, 1), (180.0, -1), (170.0, -1), (135.0, -1), (100.0, -1)]


@pytest.mark.parametrize(("shank_dir_deg", "facing"), SHANKS)
@pytest.mark.parametrize("drawn_deg", [0.0, 10.0, 20.0, 30.0, 40.0, 50.0, 60.0])
def test_the_foot_angle_is_read_from_the_silhouette(drawn_deg: float, shank_dir_deg: float, facing: int) -> None:
    assert read_deg(drawn_deg, shank_dir_deg, facing) == pytest.approx(drawn_deg, abs=4.0)


@pytest.mark.parametrize(("shank_dir_deg", "facing"), SHANKS)
def test_toes_pulled_up_read_below_neutral(shank_dir_deg: float, facing: int) -> None:
    """Dorsiflexion (the toes pulled toward the shin, what the exercise asks for) reads negative."""
    assert -30.0 < read_deg(-20.0, shank_dir_deg, facing) < -8.0


@pytest.mark.parametrize(("shank_dir_deg", "facing"), SHANKS)
def test_which_end_is_the_toes_comes_from_the_way_the_person_faces(shank_dir_deg: float, facing: int) -> None:
    """The silhouette gives a line: a pointed foot read the other way round would read pulled up, and the
    rule would miss it. The toes are on the shin's front, whichever end of the line the pixels favour."""
    mask, xy = drawn_leg(45.0, shank_dir_deg, facing)
    feet = foot_axes_deg(mask, xy)
    assert -90.0 <= feet[0] < 90.0
    for turned in (feet[0], feet[0] + 180.0, feet[0] - 180.0):
        pose = pose_of(xy, np.array([turned, np.nan], np.float32))
        assert ankle_plantarflexion_deg(pose, "left") == pytest.approx(45.0, abs=4.0)


def test_the_clinical_line_separates_a_neutral_foot_from_a_pointed_one() -> None:
    """The rule's line is the clinical one, 30° of plantarflexion: the seated spec uses it as drawn."""
    rule = next(r for r in get_exercise("seated-knee-extension").rules if r.code == "toes_not_up")
    assert rule.max == 30.0
    for shank, facing in SHANKS:
        assert not rule.violated(read_deg(18.0, shank, facing))  # the most a clean rep was drawn with
        assert rule.violated(read_deg(38.0, shank, facing))  # the least a pointed foot was drawn with


def test_no_foot_in_the_silhouette_reads_nan() -> None:
    mask, xy = drawn_leg(10.0, 180.0, facing=-1)  # the shank points left: the foot is left of the ankle
    assert np.isnan(foot_axes_deg(np.zeros_like(mask), xy)).all()
    leg_only = mask.copy()
    leg_only[:, : int(xy[LM.LEFT_ANKLE][0]) + 1] = False  # nothing beyond the ankle
    assert math.isnan(foot_axes_deg(leg_only, xy)[0])
    off_picture = xy.copy()
    off_picture[[LM.LEFT_HIP, LM.LEFT_KNEE, LM.LEFT_ANKLE]] += (2000.0, 0.0)
    assert math.isnan(foot_axes_deg(mask, off_picture)[0])


def test_without_a_silhouette_the_foot_is_not_measured() -> None:
    """A recording made without the silhouette: NaN, so the toes are not judged (never from the landmarks,
    which side-on cannot tell a pointed foot from a neutral one)."""
    _, xy = drawn_leg(45.0, 180.0)
    assert math.isnan(ankle_plantarflexion_deg(pose_of(xy, None), "left"))
    assert math.isnan(ankle_plantarflexion_deg(pose_of(xy, np.array([np.nan, np.nan], np.float32)), "left"))


def test_only_exercises_that_read_the_foot_ask_for_the_silhouette(tmp_path: Path) -> None:
    assert FEATURES["ankle_plantarflexion_deg"].silhouette
    seated, side = get_exercise("seated-knee-extension"), get_exercise("side-leg-raise")
    assert seated.needs_silhouette and not side.needs_silhouette
    base = PoseOptions(model_path=tmp_path / "model.task")
    assert options_for([side], base).silhouette is False
    assert options_for([side, seated], base).silhouette is True
    assert options_for([side], replace(base, silhouette=True)).silhouette is True  # asked for: kept
    video, model = tmp_path / "v.mp4", tmp_path / "model.task"
    video.write_bytes(b"video")
    model.write_bytes(b"model")
    assert recording_key(video, base) != recording_key(video, replace(base, silhouette=True))


FOOT_JOINTS = ((LM.LEFT_ANKLE, LM.RIGHT_ANKLE), (LM.LEFT_HEEL, LM.RIGHT_HEEL),
               (LM.LEFT_FOOT_INDEX, LM.RIGHT_FOOT_INDEX))


def test_the_leg_swap_repair_swaps_the_feet_with_the_ankles() -> None:
    """MediaPipe swaps the two ankles' labels for a frame: each foot was read at its mislabelled ankle, so
    the repair that puts the ankles back must put the feet back with them."""
    _, xy = drawn_leg(40.0, 180.0)
    for _, right in FOOT_JOINTS:
        xy[right] += (300.0, 0.0)  # the other foot well apart
    previous = pose_of(xy, np.array([10.0, -80.0], np.float32))
    order = np.arange(NUM_LANDMARKS)
    for left, right in FOOT_JOINTS:
        order[[left, right]] = [right, left]
    assert previous.foot_axis_deg is not None
    swapped = Pose(image_xy=xy[order], world_xyz=previous.world_xyz, visibility=previous.visibility,
                   presence=previous.presence, foot_axis_deg=previous.foot_axis_deg[::-1].copy())
    fixed = unswap_legs(swapped, previous)
    np.testing.assert_array_equal(fixed.image_xy, xy)
    assert fixed.foot_axis_deg is not None
    np.testing.assert_array_equal(fixed.foot_axis_deg, [10.0, -80.0])


@pytest.mark.parametrize("compact", [False, True])
def test_a_recording_keeps_the_feet(tmp_path: Path, compact: bool) -> None:
    _, xy = drawn_leg(30.0, 180.0)
    info = SourceInfo(path="v.mp4", fps=30.0, frames=3, width=640, height=480)
    recorder = PoseRecorder(info)
    recorder.add(0, 0, pose_of(xy, np.array([12.5, np.nan], np.float32)))
    recorder.add(1, 33, None)
    recorder.add(2, 67, pose_of(xy, np.array([-100.0, 80.25], np.float32)))
    track = recorder.track()
    track.save_npz(tmp_path / "l.npz", compact=compact)
    back = PoseTrack.load(tmp_path / "l.npz")
    assert back.foot_axis_deg is not None
    np.testing.assert_array_equal(back.foot_axis_deg, [[12.5, np.nan], [np.nan, np.nan], [-100.0, 80.25]])
    feet = back.pose(2).foot_axis_deg if back.pose(2) is not None else None
    np.testing.assert_array_equal(feet, [-100.0, 80.25])
    track.save_csv(tmp_path / "l.csv")
    rows = list(csv.DictReader((tmp_path / "l.csv").open()))
    assert [(r["left_foot_axis_deg"], r["right_foot_axis_deg"]) for r in rows] == [("12.5", ""), ("", ""),
                                                                                   ("-100.0", "80.2")]


def test_a_recording_without_the_silhouette_has_no_feet(tmp_path: Path) -> None:
    _, xy = drawn_leg(30.0, 180.0)
    recorder = PoseRecorder(SourceInfo(path="v.mp4", fps=30.0, frames=1, width=640, height=480))
    recorder.add(0, 0, pose_of(xy, None))
    recorder.track().save_npz(tmp_path / "l.npz", compact=True)
    back = PoseTrack.load(tmp_path / "l.npz")
    assert back.foot_axis_deg is None and back.pose(0) is not None and back.pose(0).foot_axis_deg is None
    back.save_csv(tmp_path / "l.csv")
    assert "left_foot_axis_deg" not in (tmp_path / "l.csv").read_text().splitlines()[0]


@pytest.mark.parametrize(("shank_dir_deg", "facing"), SHANKS)
def test_a_stray_bit_of_silhouette_in_reach_does_not_turn_the_foot(shank_dir_deg: float, facing: int) -> None:
    """A piece of silhouette apart from the foot but within reach of the ankle (the resting foot on the floor,
    a speck of chair, as held-out 808/13 showed) is not the foot."""
    mask, xy = drawn_leg(45.0, shank_dir_deg, facing)
    ankle = xy[LM.LEFT_ANKLE]
    down = (ankle - xy[LM.LEFT_KNEE]) / np.linalg.norm(ankle - xy[LM.LEFT_KNEE])
    back = -facing * np.array([down[1], -down[0]])  # behind the shin, away from the toes
    speck = ankle + 0.5 * FOOT_PX * down + 1.2 * FOOT_PX * back
    spoiled = mask.astype(np.uint8)
    cv2.circle(spoiled, (int(speck[0]), int(speck[1])), 12, 1, -1)
    assert int(spoiled.sum()) > int(mask.sum()) + 300, "the speck is drawn inside the picture"
    pose = pose_of(xy, foot_axes_deg(spoiled.astype(bool), xy))
    assert ankle_plantarflexion_deg(pose, "left") == pytest.approx(45.0, abs=4.0)


def test_a_recording_without_the_silhouette_replays_with_a_warning(tmp_path: Path) -> None:
    """An older recording (no foot directions) of the pointed-toes sample: the reps count as ever, the toes
    are not judged (never from the landmarks), and the report says why; the same recording with its
    silhouette scolds the pointed feet."""
    track = committed_landmarks("ske_toes_not_up")
    spec = get_exercise("seated-knee-extension")
    video = SAMPLES / "ske_toes_not_up.mp4"
    with_feet = run_analysis(video, spec, tmp_path / "a", None, write_video=False, landmarks=track)
    without = run_analysis(video, spec, tmp_path / "b", None, write_video=False,
                           landmarks=replace(track, foot_axis_deg=None))
    assert sum("toes_not_up" in r.faults for r in with_feet.reps) == 2
    assert [(r.side, r.counted) for r in without.reps] == [(r.side, r.counted) for r in with_feet.reps]
    assert not any("toes_not_up" in r.faults for r in without.reps)
    assert any("no silhouette" in w for w in without.warnings)
    assert not any("no silhouette" in w for w in with_feet.warnings)


def test_a_recording_with_the_silhouette_but_nobody_in_it_still_says_so(tmp_path: Path) -> None:
    """An empty room recorded by `posecount pose`: no foot anywhere, and still a silhouette recording (it
    replays the seated exercise without the 'no silhouette' warning)."""
    recorder = PoseRecorder(SourceInfo(path="v.mp4", fps=30.0, frames=2, width=640, height=480), silhouette=True)
    recorder.add(0, 0, None)
    recorder.add(1, 33, None)
    recorder.track().save_npz(tmp_path / "l.npz", compact=True)
    back = PoseTrack.load(tmp_path / "l.npz")
    assert back.foot_axis_deg is not None and np.isnan(back.foot_axis_deg).all()
