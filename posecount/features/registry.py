"""The feature registry: every quantity a spec can name, as a documented function of the (smoothed) pose.

Each :class:`FeatureDef` in :data:`FEATURES` carries what the rest of posecount needs to know without
reading the function: its unit, the landmarks that must be in the picture for it to be measured, the views
it is valid in, whether it is measured per leg or once for the whole body, the range of values it can
take, and its documentation (the function's docstring). Specs are checked against this table when they
load (:mod:`posecount.exercises.spec`), and :class:`~posecount.features.FeatureExtractor` computes only the
features its spec names.

A feature that needs memory across frames names a *state* class (:class:`FeatureState`); the extractor
keeps one instance of each state class its features need, tells it about every leg it sees
(``observe``) and every leg taken to be at rest below the picture (``at_rest_unseen``), and hands it to
the feature's function. Features sharing a state class share the instance: the seated knee angle and the
foot's angle both use the one learned thigh (:class:`SeatedThigh`).

All angles are 2D, in image coordinates (x right, y down), not MediaPipe's world coordinates: the
exercises move in a plane facing the camera (frontal plane front-on, sagittal plane side-on), where 2D
angles are true angles, while the world landmarks' depth is the least reliable axis.

Adding a feature: write the function with its docstring (what it measures, unit, sign, why these
landmarks) and add a :class:`FeatureDef` line to :data:`FEATURES`. The engine is not touched.
"""

from __future__ import annotations

import inspect
import math
from collections import deque
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from types import MappingProxyType
from typing import Literal, Protocol

import numpy as np

from posecount.exercises.spec import Side, Unit
from posecount.pose import LM, Pose

NAN = math.nan
View = Literal["front", "side"]
LEG: dict[Side, tuple[int, int, int, int, int]] = {  # hip, knee, ankle, heel, foot index
    "left": (LM.LEFT_HIP, LM.LEFT_KNEE, LM.LEFT_ANKLE, LM.LEFT_HEEL, LM.LEFT_FOOT_INDEX),
    "right": (LM.RIGHT_HIP, LM.RIGHT_KNEE, LM.RIGHT_ANKLE, LM.RIGHT_HEEL, LM.RIGHT_FOOT_INDEX),
}


# -- geometry ---------------------------------------------------------------------------------------------
def angle_between(u: np.ndarray, v: np.ndarray) -> float:
    """Angle between two vectors in degrees (NaN if either is zero)."""
    n = float(np.linalg.norm(u) * np.linalg.norm(v))
    if n == 0:
        return NAN
    return math.degrees(math.acos(max(-1.0, min(1.0, float(np.dot(u, v)) / n))))


def angle_at(a: np.ndarray, b: np.ndarray, c: np.ndarray) -> float:
    """Interior angle ABC in degrees (180 = straight)."""
    return angle_between(a - b, c - b)


def seated_knee_angle_deg(hip: np.ndarray, thigh: np.ndarray, ankle: np.ndarray) -> float:
    """Knee angle of a seated leg from the hip, the ankle and the thigh vector (hip→knee, learned at rest).

    Two estimates, blended by how far the leg is from rest:

    * near rest, the angle at the reconstructed knee (hip + thigh) between thigh and shank: the knee
      landmark it was learned from is reliable while the leg is bent;
    * as the leg straightens, the two-segment estimate that needs no knee at all: with thigh and shank of
      equal length (true of adults within a few per cent: 0.245 vs 0.246 of stature, Winter's
      anthropometry), the hip-knee-ankle triangle is isosceles, so the knee angle is 180° − 2β where β is
      the angle at the hip between the thigh and the hip→ankle line. Measured on the seated samples it is
      within ~3° of the truth at the top, where the knee landmark of a straight leg is unreliable.
    """
    knee = hip + thigh
    recon = angle_at(hip, knee, ankle)
    beta = angle_between(ankle - hip, thigh)
    iso = 180.0 - 2.0 * beta if math.isfinite(beta) else NAN
    if not math.isfinite(iso):
        return recon
    w = min(1.0, max(0.0, (recon - 110.0) / 20.0))
    return (1.0 - w) * recon + w * max(recon, iso)


# -- state kept across frames -----------------------------------------------------------------------------
class FeatureState(Protocol):
    """Memory a stateful feature keeps across frames; the extractor holds one instance per class."""

    def observe(self, pose: Pose, side: Side) -> None:
        """This leg is seen in this frame (called before any of its features are computed)."""

    def at_rest_unseen(self, pose: Pose, side: Side) -> None:
        """This leg is taken to be at rest below the picture (partial framing)."""


class SeatedThigh:
    """The thigh vector hip→knee of a seated person (pixels), learned while a leg rests bent.

    Seen side-on, MediaPipe places the knee of a straight leg mid-thigh (the hip-knee-ankle angle reads
    120-150° instead of ~175°), while the knee of a bent leg is placed well. The thigh lies on the seat
    and does not move during a seated exercise, so it is learned from frames where a leg is bent (interior
    angle under :attr:`BENT_DEG`) or hangs at rest below the picture, and the knee of any frame is
    hip + thigh. One thigh serves both legs: they are the same length, and side-on MediaPipe swaps their
    labels every few frames anyway.
    """

    #: frames kept (3 s at 30 fps): a median over them ignores a few misplaced knees
    SAMPLES = 90
    #: before this many, the frame's own knee landmark is used
    MIN_SAMPLES = 5
    #: a leg bent more than this (interior angle below it) has a reliable knee landmark
    BENT_DEG = 115.0

    def __init__(self) -> None:
        self._thigh: deque[np.ndarray] = deque(maxlen=self.SAMPLES)
        self._median: np.ndarray | None = None  # of _thigh, until it changes

    def observe(self, pose: Pose, side: Side) -> None:
        hip_i, knee_i, ankle_i, _, _ = LEG[side]
        hip, knee, ankle = pose.image_xy[hip_i], pose.image_xy[knee_i], pose.image_xy[ankle_i]
        if angle_at(hip, knee, ankle) < self.BENT_DEG:
            self._learn(knee - hip)

    def at_rest_unseen(self, pose: Pose, side: Side) -> None:
        """A leg hanging at rest is bent: its knee landmark is reliable."""
        hip_i, knee_i, _, _, _ = LEG[side]
        self._learn(pose.image_xy[knee_i] - pose.image_xy[hip_i])

    def _learn(self, thigh: np.ndarray) -> None:
        self._thigh.append(thigh)
        self._median = None

    def vector(self, pose: Pose, side: Side) -> np.ndarray:
        """The thigh hip→knee for ``side`` in this frame: the learned one, or the frame's own before that."""
        if len(self._thigh) >= self.MIN_SAMPLES:
            if self._median is None:
                self._median = np.median(np.asarray(self._thigh), axis=0)
            return self._median
        hip_i, knee_i, _, _, _ = LEG[side]
        return pose.image_xy[knee_i] - pose.image_xy[hip_i]


# -- the features -------------------------------------------------------------------------------------------
def trunk_lean_deg(pose: Pose) -> float:
    """How far the trunk leans from upright: the mid-hip→mid-shoulder line's angle from the image vertical,
    in degrees, unsigned (0 = upright; a lean either way is positive).

    Front-on it is the sideways lean that compensates for weak hip abductors (Trendelenburg-type lean);
    side-on, slouching forward or leaning back. Shoulders and hips are the largest, steadiest landmarks,
    and the midpoint of a left/right pair does not move when MediaPipe swaps the pair's labels (as it does
    side-on). The image vertical stands in for gravity: the camera is upright. Measured on every frame the
    view check passes (the check itself finds the torso from these landmarks).
    """
    xy = pose.image_xy
    hip = (xy[LM.LEFT_HIP] + xy[LM.RIGHT_HIP]) / 2
    shoulder = (xy[LM.LEFT_SHOULDER] + xy[LM.RIGHT_SHOULDER]) / 2
    d = shoulder - hip
    return math.degrees(math.atan2(abs(float(d[0])), -float(d[1])))


def hip_abduction_deg(pose: Pose, side: Side) -> float:
    """Front view: how far the leg is lifted to the side, as the hip→ankle line's angle from the image
    vertical, in degrees; positive away from the midline (the person faces the camera, so their left leg
    moves toward the image right), negative across it; 0 = the ankle straight below the hip.

    Front-on MediaPipe tracks both legs well. Hip and ankle are the most reliable leg landmarks, and the
    straight line between them does not depend on where MediaPipe places the knee. The image vertical, not
    the pelvis, is the reference: a patient who hikes the hip would otherwise hide the lift. The knee must
    be in the picture too: a leg whose knee is guessed (low visibility, or placed outside the frame) is not
    measured.
    """
    hip, _, ankle, _, _ = LEG[side]
    d = pose.image_xy[ankle] - pose.image_xy[hip]
    outward = 1.0 if side == "left" else -1.0
    return math.degrees(math.atan2(outward * float(d[0]), float(d[1])))


def knee_flexion_deg(pose: Pose, side: Side) -> float:
    """Front view: how far the knee is bent, 180° minus the interior hip-knee-ankle angle, in degrees
    (0 = straight, 90 = a right angle); unsigned.

    Front-on the knee landmark is placed well, so the three joints of the leg give the angle directly. Not
    valid side-on: there MediaPipe places the knee of a straight leg mid-thigh, so a straight leg would
    read 30-60° bent (see :func:`knee_angle_deg` for the side view).
    """
    hip, knee, ankle, _, _ = LEG[side]
    xy = pose.image_xy
    return 180.0 - angle_at(xy[hip], xy[knee], xy[ankle])


def knee_angle_deg(pose: Pose, side: Side, thigh: SeatedThigh) -> float:
    """Side view, seated: the interior hip-knee-ankle angle of a seated leg, in degrees (180 = straight,
    ~90 = resting with the foot on the floor); unsigned.

    Side-on MediaPipe places the knee of a straight leg mid-thigh (the raw angle reads 120-150° instead of
    ~175°) while hip and ankle stay accurate, so the knee is reconstructed: hip + the thigh learned while
    the leg rests bent (:class:`SeatedThigh`), and the angle blends the reconstructed knee's angle near
    rest with the isosceles two-segment estimate near straight (:func:`seated_knee_angle_deg`; within ~3°
    of the truth at the top on the seated samples). Needs only the hip and the ankle in the picture; it
    assumes the thigh stays on the seat, so it is a seated measure.
    """
    hip_i, _, ankle_i, _, _ = LEG[side]
    xy = pose.image_xy
    return seated_knee_angle_deg(xy[hip_i], thigh.vector(pose, side), xy[ankle_i])


def ankle_plantarflexion_deg(pose: Pose, side: Side, thigh: SeatedThigh) -> float:
    """Side view, seated: how far the toes point, 90° minus the angle between the foot (heel→toe) and
    the shank (reconstructed knee→ankle), in degrees: 0 = neutral (foot at a right angle to the shin),
    positive = plantarflexed (toes pointed away), negative = dorsiflexed (toes pulled up toward the shin).

    The shank runs from the reconstructed knee (hip + the learned thigh, see :func:`knee_angle_deg`), not
    the knee landmark, which side-on is misplaced on a straight leg. Measured only from a foot the model is
    sure of: heel and toe (foot index) visible and inside the picture; a guessed heel or toe (hidden by the
    other leg, outside the picture) would scold a foot held correctly. On the seated samples the foot
    landmarks of a side view read ~10-20° high on a neutral foot.

    Side-on MediaPipe squashes the foot's angle: on the first sample set (drawn, so the true angle is
    known) a neutral foot (drawn 2-4°) reads 10° on average and a pointed one (42-45°) 35°, i.e. the raw
    reading is ~8° + 0.62 × the true angle. The raw reading is mapped back through that line
    (:data:`FOOT_READ_OFFSET_DEG`, :data:`FOOT_READ_GAIN`), so the clinical 30° line means 30° of the
    foot, not of the landmarks (a raw 27°).
    """
    hip_i, _, ankle_i, heel_i, toe_i = LEG[side]
    xy = pose.image_xy
    ankle = xy[ankle_i]
    shank = ankle - (xy[hip_i] + thigh.vector(pose, side))
    raw_deg = 90.0 - angle_between(xy[toe_i] - xy[heel_i], shank)
    return (raw_deg - FOOT_READ_OFFSET_DEG) / FOOT_READ_GAIN


#: Side-on foot angle: raw landmark reading ≈ offset + gain × true plantarflexion (fitted on the first sample
#: set's 18 seated reps: 16 neutral feet drawn at 2-4°, 2 pointed at 42° and 45°; see ankle_plantarflexion_deg)
FOOT_READ_OFFSET_DEG = 8.3
FOOT_READ_GAIN = 0.62


#: A leg's landmark is used by a whole-body feature when at least this visible.
LEG_VISIBLE = 0.5


def hip_height_ratio(pose: Pose) -> float:
    """How high the hips are, as a fraction of the legs' length: the vertical drop from the mid-hip to the
    lower ankle, over the longer leg's length in the picture (hip→knee + knee→ankle); a ratio, rising as the
    person stands up. Standing straight ~0.95-1.0; seated with the knees at a right angle ~0.45-0.55 (the
    shank's share of the leg); a mini squat ~0.85-0.92.

    Seen side-on the legs bend in the picture's plane, so their drawn lengths are true lengths; front-on a
    bent knee points at the camera and the leg looks shorter, which only raises the ratio a little. The
    longer leg is used because a leg hidden behind the other is foreshortened, never lengthened. A leg
    counts when its hip, knee and ankle are visible; NaN when neither is. It needs no memory: the person's
    own rest (the engine learns it) absorbs their proportions and the camera's tilt.
    """
    xy, vis = pose.image_xy, pose.visibility
    legs = []
    for side in ("left", "right"):
        hip_i, knee_i, ankle_i, _, _ = LEG[side]  # type: ignore[index]
        if min(vis[hip_i], vis[knee_i], vis[ankle_i]) >= LEG_VISIBLE:
            legs.append(float(np.linalg.norm(xy[knee_i] - xy[hip_i]) + np.linalg.norm(xy[ankle_i] - xy[knee_i])))
    if not legs or max(legs) <= 0:
        return NAN
    hip_y = float(xy[LM.LEFT_HIP][1] + xy[LM.RIGHT_HIP][1]) / 2
    ankle_y = max(float(xy[LEG[s][2]][1]) for s in ("left", "right") if vis[LEG[s][2]] >= LEG_VISIBLE)  # type: ignore[index]
    return (ankle_y - hip_y) / max(legs)


def wrist_drop_ratio(pose: Pose) -> float:
    """How far the hands are below the shoulders, as a fraction of the trunk: the mean wrist's vertical
    drop below the mid-shoulder over the mid-shoulder→mid-hip length; a ratio. Arms crossed over the chest
    ~0.2-0.5; hands on the thighs or the seat (pushing off with the arms) ~0.8-1.2; arms hanging ~1.0.

    Sit-to-stand tests are done with the arms crossed: a push-off on the thighs or the chair is the
    compensation that hides weak legs. Wrists are used only when visible (side-on the far one is often
    hidden behind the body); NaN when neither is.
    """
    xy, vis = pose.image_xy, pose.visibility
    wrists = [xy[i] for i in (LM.LEFT_WRIST, LM.RIGHT_WRIST) if vis[i] >= LEG_VISIBLE]
    if not wrists:
        return NAN
    shoulder = (xy[LM.LEFT_SHOULDER] + xy[LM.RIGHT_SHOULDER]) / 2
    hip = (xy[LM.LEFT_HIP] + xy[LM.RIGHT_HIP]) / 2
    trunk = float(np.linalg.norm(hip - shoulder))
    if trunk <= 0:
        return NAN
    return (float(np.mean([w[1] for w in wrists])) - float(shoulder[1])) / trunk


# -- the registry -------------------------------------------------------------------------------------------
@dataclass(frozen=True)
class FeatureDef:
    """One registered feature.

    name:      what specs call it; its unit is its suffix (``_deg``)
    unit:      ``deg`` or ``ratio`` (dimensionless)
    landmarks: what must be visible and inside the picture for it to be measured: joint names of one leg
               (``hip``, ``knee`` ...) for a per-leg feature, landmark names (``left_hip``) for a whole-body
               one (whose landmarks the view check reads; it is measured whenever the view is right)
    views:     the camera views it is valid in
    per_side:  measured for each leg (``True``) or once for the whole body
    bounds:    the smallest and largest value it can take (a threshold outside them can never be met)
    doc:       what it measures, unit, sign, why these landmarks (the function's docstring)
    compute:   ``compute(pose)`` (whole body), ``compute(pose, side)`` (per leg) or
               ``compute(pose, side, state)`` (per leg, with ``state`` an instance of ``state``)
    state:     the :class:`FeatureState` class it keeps across frames, or None
    """

    name: str
    unit: Unit
    landmarks: tuple[str, ...]
    views: tuple[View, ...]
    per_side: bool
    bounds: tuple[float, float]
    doc: str
    compute: Callable[..., float]
    state: type[FeatureState] | None = None

    def landmark_indices(self, side: Side | None = None) -> list[int]:
        """Indices of :attr:`landmarks` (for ``side`` when the feature is per leg)."""
        if self.per_side:
            if side is None:
                raise ValueError(f"{self.name} is measured per leg: give the side")
            return [int(LM[f"{side}_{joint}".upper()]) for joint in self.landmarks]
        return [int(LM[name.upper()]) for name in self.landmarks]

    def measure(self, pose: Pose, side: Side | None, states: Mapping[type, FeatureState]) -> float:
        """The feature's value in this frame (``states``: the extractor's instance of each state class)."""
        if not self.per_side:
            return float(self.compute(pose))
        if self.state is None:
            return float(self.compute(pose, side))
        return float(self.compute(pose, side, states[self.state]))


def _define(compute: Callable[..., float], unit: Unit, landmarks: tuple[str, ...], views: tuple[View, ...],
            bounds: tuple[float, float], state: type[FeatureState] | None = None) -> FeatureDef:
    """A FeatureDef named after its function and documented by its docstring; per leg when the function
    takes a ``side``."""
    per_side = "side" in inspect.signature(compute).parameters
    return FeatureDef(name=compute.__name__, unit=unit, landmarks=landmarks, views=views, per_side=per_side,
                      bounds=bounds, doc=inspect.getdoc(compute) or "", compute=compute, state=state)


#: Every feature a spec can name, by name (read-only).
FEATURES: Mapping[str, FeatureDef] = MappingProxyType({f.name: f for f in (
    _define(trunk_lean_deg, "deg", ("left_shoulder", "right_shoulder", "left_hip", "right_hip"),
            ("front", "side"), (0.0, 180.0)),
    _define(hip_abduction_deg, "deg", ("hip", "knee", "ankle"), ("front",), (-180.0, 180.0)),
    _define(knee_flexion_deg, "deg", ("hip", "knee", "ankle"), ("front",), (0.0, 180.0)),
    _define(knee_angle_deg, "deg", ("hip", "ankle"), ("side",), (0.0, 180.0), SeatedThigh),
    _define(ankle_plantarflexion_deg, "deg", ("hip", "ankle", "heel", "foot_index"), ("side",), (-90.0, 90.0),
            SeatedThigh),
    _define(hip_height_ratio, "ratio", ("left_hip", "right_hip"), ("front", "side"), (-1.0, 1.5)),
    _define(wrist_drop_ratio, "ratio", ("left_shoulder", "right_shoulder", "left_hip", "right_hip"),
            ("front", "side"), (-3.0, 3.0)),
)})


__all__ = ["FEATURES", "LEG", "FeatureDef", "FeatureState", "SeatedThigh", "Unit", "View",
           "angle_at", "angle_between", "ankle_plantarflexion_deg", "hip_abduction_deg", "hip_height_ratio",
           "knee_angle_deg", "knee_flexion_deg", "seated_knee_angle_deg", "trunk_lean_deg", "wrist_drop_ratio"]
