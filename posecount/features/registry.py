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
the feature's function. Features sharing a state class share the instance (the seated knee angle's
learned thigh, :class:`SeatedThigh`, serves both legs). A whole-body feature's state learns from the frames
its function is given (``compute(pose, state)``: the standing level of :func:`body_rise_ratio`). A feature
that reads the person's silhouette (``silhouette=True``: the foot's angle) makes the landmarker produce it
for the specs that name it.

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

from posecount.exercises.spec import SIDES, Side, Unit
from posecount.pose import LEG, LM, Pose, leg_abduction_deg

NAN = math.nan
View = Literal["front", "side"]


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
    return leg_abduction_deg(pose.image_xy, side)


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


#: The knee's flexion over the angle at the hip between the thigh and the hip-to-foot line, for a leg bent in
#: the picture's plane. With thigh and shank of length l the hip, knee and foot make an isosceles triangle, so
#: that angle is half the flexion; adults' thigh and shank are equally long (0.245 and 0.246 of the stature,
#: Drillis & Contini 1966).
KNEE_FROM_THIGH = 2.0


def knee_flexion_from_motion_deg(leg_motion_deg: float, thigh_motion_deg: float) -> float:
    """Front view: how far the knee is bent, from the leg's and the thigh's directions read from motion
    (:class:`posecount.motion.LegMotion`): :data:`KNEE_FROM_THIGH` times how much further out the thigh points
    than the hip-to-foot line; 0 when it points no further out (a knee bends one way). NaN where either is.

    Needs no knee landmark: behind a chair the model guesses the knee, and over a leg that stands out little
    from the wall it straightens a bent one (held-out: drawn 28-43 deg, read 6-19 deg), while the thigh
    sticking out past the chair is plain to see. On a dev set of 57 held side leg raises (16 clips, chairs
    of three designs and none; not the held-out seeds), the hold's straightest fifth read knees drawn 0-12
    deg at 0-14.7 and knees drawn 27-45 deg at 26.5-49.7 (within 8 deg of the drawing; straight legs behind
    a slatted or solid chair back, whose inner thigh it hides, read 7-10).
    """
    flexion = KNEE_FROM_THIGH * (thigh_motion_deg - leg_motion_deg)
    return flexion if not flexion < 0.0 else 0.0  # NaN stays NaN


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


def ankle_plantarflexion_deg(pose: Pose, side: Side) -> float:
    """Side view, seated: how far the toes point, 90° minus the angle between the foot and the shank, in
    degrees: 0 = neutral (foot at a right angle to the shin), positive = plantarflexed (toes pointed away),
    negative = dorsiflexed (toes pulled up toward the shin).

    The foot is read from the person's silhouette, not from the foot landmarks
    (:func:`posecount.silhouette.foot_axes_deg`: the long axis of the silhouette beyond the ankle), and the
    shank is the knee landmark → ankle. The axis is a line; its toes end is the one on the front of the shin,
    the way the person faces (:func:`facing_sign`), so a foot pulled up reads negative however far.
    Side-on MediaPipe's heel and foot-index landmarks squash the foot toward a fixed angle: over 85 drawn
    seated reps a neutral foot (drawn 0-18°) read -8° to 44° from them and a pointed one (42-46°) 24-36°,
    so no line told the two apart. From the silhouette, over 254 drawn seated holds (99 clips), the hold's
    most-up fifth read every neutral foot (drawn 0-18°) under 23° and 24 of 28 pointed ones (drawn 36-49°)
    over 30°: the clinical line separates them.

    NaN without a silhouette (a recording made without it) or where it shows no foot. It needs the leg's
    hip and ankle only, like the seated drive, not a sure heel and toe: side-on the label the model is
    unsure of is often the real extended leg (see :mod:`posecount.features`), and its foot is found in the
    silhouette all the same. The hold's rule reads the most-up fifth of the hold, so frames of a misread
    foot do not scold.
    """
    if pose.foot_axis_deg is None:
        return math.nan
    axis_deg = float(pose.foot_axis_deg[0 if side == "left" else 1])
    if not math.isfinite(axis_deg):
        return math.nan
    _, knee_i, ankle_i, _, _ = LEG[side]
    xy = pose.image_xy
    shank = xy[ankle_i] - xy[knee_i]
    length = float(np.hypot(*shank))
    if not length > 0.0:
        return math.nan
    down = shank / length
    front = facing_sign(pose) * np.array([down[1], -down[0]])  # the shin's front: the toes' side
    foot = np.array([math.cos(math.radians(axis_deg)), math.sin(math.radians(axis_deg))])
    if foot @ front < 0.0:
        foot = -foot
    return math.degrees(math.atan2(float(foot @ down), float(foot @ front)))


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


# -- standing exercises: calf raise, mini squat, march, hamstring curl -----------------------------------------
def facing_sign(pose: Pose) -> float:
    """Side view: +1 when the person faces the image right, -1 when they face left.

    The nose is ahead of the ears whatever the legs and the trunk do (a foot points anywhere during a curl,
    the knees are under the hips when standing), and the mid-ear does not move when MediaPipe swaps the
    ears' labels side-on.
    """
    xy = pose.image_xy
    ears_x = float(xy[LM.LEFT_EAR][0] + xy[LM.RIGHT_EAR][0]) / 2
    return 1.0 if float(xy[LM.NOSE][0]) >= ears_x else -1.0


class StandingLevel:
    """Where a standing person's body is in the picture while the feet are flat: the learned standing level.

    A whole-body state (the extractor's per-leg calls are ignored): :meth:`rise` learns from every frame it
    is asked about and measures that frame. The body's height is the mean of the shoulders' and hips' image
    y (four large, steady landmarks; a calf raise lifts them all alike). The standing level is the low end
    of the recent heights the body stood still at (:attr:`PERCENTILE` of the last :attr:`SAMPLES` frames in
    which it moved less than :attr:`STILL_RANGE` of the leg over :attr:`STILL_FRAMES` frames): a raise only
    ever lifts the body above it, and the rests between raises are enough for the low end to be the
    flat-footed stance (a 3 s hold between 1.5 s rests still leaves a third of the frames flat-footed); a
    body on its way down or up (a squat passing through) does not set it. The scale is the median of the
    legs' hip→ankle lengths over the same frames, steadier than one frame's. NaN until a still frame is seen.

    Only straight-legged frames are learned and measured: with a leg bent in the picture (hip→ankle under
    :attr:`STRAIGHT` of hip→knee→ankle) or the legs more than :attr:`KNEES_BENT` shorter than the learned
    length (knees bent toward the camera) the body is lower because of the knees (a squat, a lunge, sitting
    down), not because the heels came down: the frame is not learned and reads NaN; so does a frame with one
    ankle more than :attr:`FOOT_UP` of the leg above the other (a step, a march: a calf raise lifts both heels
    alike). The level is a position in the picture, so it holds only while the person stands where it was
    learned: the frames so far are dropped and the level is learned again when the legs look more than
    :attr:`MOVED_CLOSER` longer (a step toward the camera), stay shorter for :attr:`MOVED_AWAY_FRAMES` frames
    in a row (a step back, or sitting down), or either ankle moves sideways by more than :attr:`MOVED_FOOT` of
    the leg (a step; walking keeps resetting it).
    """

    #: frames kept (20 s at 30 fps)
    SAMPLES = 600
    #: the standing level: this percentile of the image y (y grows downward: the lowest the body stood)
    PERCENTILE = 90.0
    #: still: the body's height moved less than this share of the leg over the last STILL_FRAMES frames
    STILL_RANGE = 0.015
    STILL_FRAMES = 9
    #: a leg is straight when hip→ankle is at least this share of hip→knee + knee→ankle (a knee bent 28° in the
    #: picture's plane is 0.97; the drawn raises keep 0.98-1.0)
    STRAIGHT = 0.97
    #: knees bent: the legs' length in the picture this share under the learned one (~45° of knee flexion);
    #: a calf raise changes it by under 4 % on the drawn clips
    KNEES_BENT = 0.08
    #: a step toward the camera: the legs' length this share over the learned one
    MOVED_CLOSER = 0.15
    #: a step back (or sitting down): the legs shorter for this many frames in a row (5 s at 30 fps)
    MOVED_AWAY_FRAMES = 150
    #: one foot up: its ankle this share of the leg above the other (the drawn raises keep them within 0.02)
    FOOT_UP = 0.06
    #: a step: either ankle moves sideways by more than this share of the leg
    MOVED_FOOT = 0.15

    def __init__(self) -> None:
        self._y: deque[float] = deque(maxlen=self.SAMPLES)
        self._leg: deque[float] = deque(maxlen=self.SAMPLES)
        self._ankles_x: deque[tuple[float, float]] = deque(maxlen=self.SAMPLES)
        self._short_frames = 0  # frames in a row with the legs shorter than learned
        self._recent_y: deque[float] = deque(maxlen=self.STILL_FRAMES)  # the body's last heights, still or not
        self._last: tuple[Pose, float] | None = None  # the last pose asked about, and its rise

    def observe(self, pose: Pose, side: Side) -> None:
        """Per-leg call of the extractor: nothing to learn per leg."""

    def at_rest_unseen(self, pose: Pose, side: Side) -> None:
        """Per-leg call of the extractor: nothing to learn per leg."""

    def rise(self, pose: Pose) -> float:
        """How far the body is above the standing level in this frame, over the legs' length (learns the frame
        first; asked twice about one pose, it learns it once). NaN without both legs' hips and ankles, or
        with the knees bent."""
        if self._last is not None and self._last[0] is pose:
            return self._last[1]
        value = self._learn_and_measure(pose)
        self._last = (pose, value)
        return value

    def _forget(self) -> None:
        self._y.clear()
        self._leg.clear()
        self._ankles_x.clear()
        self._recent_y.clear()
        self._short_frames = 0

    def _learn_and_measure(self, pose: Pose) -> float:
        xy, vis = pose.image_xy, pose.visibility
        joints = [LEG[s][i] for s in SIDES for i in (0, 2)]  # both hips and ankles
        if min(float(vis[i]) for i in joints) < LEG_VISIBLE:
            return NAN
        legs = {s: float(np.linalg.norm(xy[LEG[s][2]] - xy[LEG[s][0]])) for s in SIDES}
        bent = [float(np.linalg.norm(xy[LEG[s][1]] - xy[LEG[s][0]]) + np.linalg.norm(xy[LEG[s][2]] - xy[LEG[s][1]]))
                for s in SIDES]
        leg = max(legs.values())
        if leg <= 0 or any(legs[s] < self.STRAIGHT * b for s, b in zip(SIDES, bent, strict=True)):
            return NAN
        y = float(np.mean([xy[i][1] for i in (LM.LEFT_SHOULDER, LM.RIGHT_SHOULDER, LM.LEFT_HIP, LM.RIGHT_HIP)]))
        ankles_x = (float(xy[LM.LEFT_ANKLE][0]), float(xy[LM.RIGHT_ANKLE][0]))
        if self._leg:
            scale = float(np.median(self._leg))
            stance_x = np.median(np.asarray(self._ankles_x), axis=0)
            if (leg > (1.0 + self.MOVED_CLOSER) * scale
                    or float(np.max(np.abs(np.asarray(ankles_x) - stance_x))) > self.MOVED_FOOT * scale):
                self._forget()
            elif leg < (1.0 - self.KNEES_BENT) * scale:
                self._short_frames += 1
                if self._short_frames < self.MOVED_AWAY_FRAMES:
                    return NAN
                self._forget()
            else:
                self._short_frames = 0
        if abs(float(xy[LM.LEFT_ANKLE][1] - xy[LM.RIGHT_ANKLE][1])) > self.FOOT_UP * leg:
            return NAN
        self._recent_y.append(y)
        recent = self._recent_y
        if len(recent) == recent.maxlen and max(recent) - min(recent) <= self.STILL_RANGE * leg:
            self._y.append(y)
            self._leg.append(leg)
            self._ankles_x.append(ankles_x)
        if not self._y:
            return NAN
        level = float(np.percentile(self._y, self.PERCENTILE))
        return (level - y) / float(np.median(self._leg))


def body_rise_ratio(pose: Pose, level: StandingLevel) -> float:
    """How far the body has risen above the person's own flat-footed standing level: the mean height of the
    shoulders and hips above the learned standing level (:class:`StandingLevel`), over the legs' hip→ankle
    length; a ratio, 0 standing flat-footed, positive when up on the toes. Whole-body, front view: facing the
    camera or with the back to it (both are the view check's "front"; measured on drawn clips of both).

    A calf raise turns the feet about their balls and lifts the whole body by d·sin(θ), θ the
    plantarflexion and d the ankle's distance behind the ball of the foot: about half a foot's length (foot
    0.15 of stature, Winter's anthropometry; the leg from hip to ankle ~0.49), so the body rises ~0.15·sin(θ)
    of the leg: 0.05 for 20°, 0.09 for 38°. Measured on the drawn clips MediaPipe gives 0.08 for 38° and 0.024
    for 11°, front-on and from behind alike. Why not the heels: front-on MediaPipe hardly tracks them (they are
    behind the feet), and from behind the toes move with the heels (hidden, guessed); the body's rise is the
    one reading both views share. It assumes a still camera; frames with the knees bent or one foot up read NaN
    (see :class:`StandingLevel`).
    """
    return level.rise(pose)


class StandingThigh:
    """Each leg's thigh length in the picture (hip→knee, pixels) while that leg stands, for front-on hip
    flexion. Learned per leg from frames in which its foot is on the floor (its ankle at least as low as the
    other ankle, within :attr:`FOOT_DOWN` of the leg): a standing thigh hangs in the picture's plane at its
    full length. The median of the last :attr:`SAMPLES` such frames; before any, the frame's own length.
    """

    #: frames kept per leg (3 s at 30 fps)
    SAMPLES = 90
    #: a foot is on the floor when its ankle is no more than this share of the leg above the other ankle
    FOOT_DOWN = 0.03

    def __init__(self) -> None:
        self._length: dict[Side, deque[float]] = {s: deque(maxlen=self.SAMPLES) for s in SIDES}

    def observe(self, pose: Pose, side: Side) -> None:
        hip_i, knee_i, ankle_i, _, _ = LEG[side]
        other_ankle = LEG["right" if side == "left" else "left"][2]
        xy = pose.image_xy
        leg = float(np.linalg.norm(xy[ankle_i] - xy[hip_i]))
        if float(xy[ankle_i][1]) >= float(xy[other_ankle][1]) - self.FOOT_DOWN * leg:
            self._length[side].append(float(np.linalg.norm(xy[knee_i] - xy[hip_i])))

    def at_rest_unseen(self, pose: Pose, side: Side) -> None:
        """A standing exercise's foot is never taken to hang below the picture: nothing to learn."""

    def length(self, pose: Pose, side: Side) -> float:
        """This leg's standing thigh length: the learned one, or the frame's own before that."""
        learned = self._length[side]
        if learned:
            return float(np.median(learned))
        hip_i, knee_i, _, _, _ = LEG[side]
        return float(np.linalg.norm(pose.image_xy[knee_i] - pose.image_xy[hip_i]))


def hip_flexion_deg(pose: Pose, side: Side, thigh: StandingThigh) -> float:
    """Front view: how far the thigh is lifted forward (hip flexion), from its foreshortening: arccos of the
    thigh's length in the picture over its length while standing (:class:`StandingThigh`), in degrees (0 = the
    thigh hanging straight down, 90 = level, the knee at hip height); unsigned.

    Front-on a thigh lifted forward points at the camera, and its drawn length shrinks as the cosine of the
    lift: the knee rises toward hip height. The drawn length, not the knee's height alone, so that a leg
    lifted to the side (in the picture's plane, full length) reads 0. A thigh swung back (hip extension)
    foreshortens alike: front-on the two cannot be told apart. The ankle must be in view too (it tells when
    the foot is down, for learning the standing length). Near 0 the arccos is steep: a thigh reading 2 %
    short of its learned length is 11°, so a standing leg reads 0-15°. On the drawn marches MediaPipe places
    the knee of a thigh pointing at the camera up to ~25° low in some frames (a lift of 76° reads 40-67°).
    """
    hip_i, knee_i, _, _, _ = LEG[side]
    length = thigh.length(pose, side)
    if length <= 0:
        return NAN
    drawn = float(np.linalg.norm(pose.image_xy[knee_i] - pose.image_xy[hip_i]))
    return math.degrees(math.acos(max(0.0, min(1.0, drawn / length))))


def standing_knee_flexion_deg(pose: Pose, side: Side) -> float:
    """Side view, standing: how far the knee is bent, 180° minus the interior hip-knee-ankle angle, in
    degrees (0 = straight, 90 = the shank level behind a vertical thigh); unsigned.

    Side-on MediaPipe misplaces the knee of a *seated* straight leg (see :func:`knee_angle_deg`), not that of
    a standing one: on the drawn standing clips a straight leg reads 3-10° and curls of 45-95° read within
    ~5° of the drawing, from the three landmarks directly. The bent leg is the one the model is surest of
    (the far leg of a side view is half hidden and is only measured when visible).
    """
    hip, knee, ankle, _, _ = LEG[side]
    xy = pose.image_xy
    return 180.0 - angle_at(xy[hip], xy[knee], xy[ankle])


def thigh_forward_deg(pose: Pose, side: Side) -> float:
    """Side view: the thigh's angle from the image vertical, hip→knee, in degrees; positive forward (the way
    the person faces, :func:`facing_sign`), negative back; 0 = hanging straight down.

    During a standing hamstring curl the thigh should stay vertical and the knee alone bend: a thigh swinging
    forward is the hip flexing instead. Hip and knee of a bent standing leg are placed well side-on; a thigh
    that hangs straight reads ~5-8° forward on the drawn clips (the hip landmark sits a little behind the
    joint).
    """
    hip, knee, _, _, _ = LEG[side]
    d = pose.image_xy[knee] - pose.image_xy[hip]
    return math.degrees(math.atan2(facing_sign(pose) * float(d[0]), float(d[1])))


def knee_past_toe_ratio(pose: Pose) -> float:
    """Side view: how far the knee is ahead of the toe tip (foot index) the way the person faces
    (:func:`facing_sign`), over the leg's length (hip→knee + knee→ankle); a ratio, positive when the knee is
    past the toes, negative behind them. Whole-body: from the leg the model is surer of (the larger of its
    knee's and toe's visibilities; side-on that is the near leg), NaN when neither is visible.

    The squat cue "knees behind your toes": the knee passing the toe tip means the shank tilts forward past
    asin(toe length / shank), ~29° for adult proportions. Measured directly rather than as a shank angle, so
    that the person's own foot length sets the line. Side-on the far leg's toe is hidden and guessed (it
    reads ~0.05 further forward on the drawn squats), so only the surer leg is read.
    """
    xy, vis = pose.image_xy, pose.visibility
    best: tuple[float, float] | None = None  # (visibility, value)
    for side in SIDES:
        hip_i, knee_i, ankle_i, _, toe_i = LEG[side]
        sure = min(float(vis[knee_i]), float(vis[toe_i]))
        if sure < LEG_VISIBLE or (best is not None and sure <= best[0]):
            continue
        leg = float(np.linalg.norm(xy[knee_i] - xy[hip_i]) + np.linalg.norm(xy[ankle_i] - xy[knee_i]))
        if leg > 0:
            best = (sure, facing_sign(pose) * float(xy[knee_i][0] - xy[toe_i][0]) / leg)
    return best[1] if best is not None else NAN


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
    compute:   ``compute(pose)`` (whole body), ``compute(pose, side)`` (per leg), or with ``state`` an
               instance of ``state``: ``compute(pose, side, state)`` (per leg), ``compute(pose, state)``
               (whole body)
    state:     the :class:`FeatureState` class it keeps across frames, or None
    silhouette: it reads the person's silhouette (:attr:`Pose.foot_axis_deg`), which the landmarker then
               has to be asked for (:attr:`PoseOptions.silhouette`)
    leg_motion: as a drive it can also be read from the legs' motion (:attr:`Pose.leg_motion_deg`, asked for
               with :attr:`PoseOptions.leg_motion`), where that sees a leg further out than the landmarks
               (:class:`posecount.features.FeatureExtractor`)
    thigh_motion: it can also be read from a lifted leg's and its thigh's motion (:attr:`Pose.thigh_motion_deg`,
               with the leg motion), which the extractor prefers to the landmarks where it is read
               (:func:`knee_flexion_from_motion_deg`)
    knee_motion: as a drive it can also be read from a seated knee's motion (:attr:`Pose.knee_motion_deg`,
               asked for with :attr:`PoseOptions.knee_motion`), where that sees a knee straighter than the
               landmarks (:class:`posecount.features.FeatureExtractor`)
    sure:      joints (of ``landmarks``) whose placement is what the feature measures, not just where the leg
               is: measured only where the model is sure it sees them (:attr:`ViewSettings.sure_visibility`);
               a joint it guesses (a knee behind a chair) can be put at any angle
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
    silhouette: bool = False
    leg_motion: bool = False
    knee_motion: bool = False
    thigh_motion: bool = False
    sure: tuple[str, ...] = ()

    def landmark_indices(self, side: Side | None = None) -> list[int]:
        """Indices of :attr:`landmarks` (for ``side`` when the feature is per leg)."""
        if self.per_side:
            if side is None:
                raise ValueError(f"{self.name} is measured per leg: give the side")
            return _joint_indices(self.landmarks, side)
        return [int(LM[name.upper()]) for name in self.landmarks]

    def sure_indices(self, side: Side) -> list[int]:
        """Indices of :attr:`sure` joints of ``side``'s leg."""
        return _joint_indices(self.sure, side)

    def measure(self, pose: Pose, side: Side | None, states: Mapping[type, FeatureState]) -> float:
        """The feature's value in this frame (``states``: the extractor's instance of each state class)."""
        if not self.per_side:
            return float(self.compute(pose) if self.state is None else self.compute(pose, states[self.state]))
        if self.state is None:
            return float(self.compute(pose, side))
        return float(self.compute(pose, side, states[self.state]))


def _joint_indices(joints: tuple[str, ...], side: Side) -> list[int]:
    return [int(LM[f"{side}_{joint}".upper()]) for joint in joints]


def _define(compute: Callable[..., float], unit: Unit, landmarks: tuple[str, ...], views: tuple[View, ...],
            bounds: tuple[float, float], state: type[FeatureState] | None = None, silhouette: bool = False,
            leg_motion: bool = False, knee_motion: bool = False, sure: tuple[str, ...] = (),
            thigh_motion: bool = False) -> FeatureDef:
    """A FeatureDef named after its function and documented by its docstring; per leg when the function
    takes a ``side``."""
    per_side = "side" in inspect.signature(compute).parameters
    return FeatureDef(name=compute.__name__, unit=unit, landmarks=landmarks, views=views, per_side=per_side,
                      bounds=bounds, doc=inspect.getdoc(compute) or "", compute=compute, state=state,
                      silhouette=silhouette, leg_motion=leg_motion, knee_motion=knee_motion, sure=sure,
                      thigh_motion=thigh_motion)


#: Every feature a spec can name, by name (read-only).
FEATURES: Mapping[str, FeatureDef] = MappingProxyType({f.name: f for f in (
    _define(trunk_lean_deg, "deg", ("left_shoulder", "right_shoulder", "left_hip", "right_hip"),
            ("front", "side"), (0.0, 180.0)),
    _define(hip_abduction_deg, "deg", ("hip", "knee", "ankle"), ("front",), (-180.0, 180.0), leg_motion=True),
    _define(knee_flexion_deg, "deg", ("hip", "knee", "ankle"), ("front",), (0.0, 180.0), sure=("knee",),
            thigh_motion=True),
    _define(knee_angle_deg, "deg", ("hip", "ankle"), ("side",), (0.0, 180.0), SeatedThigh, knee_motion=True),
    _define(ankle_plantarflexion_deg, "deg", ("hip", "ankle"), ("side",), (-90.0, 90.0),
            silhouette=True),
    _define(hip_height_ratio, "ratio", ("left_hip", "right_hip"), ("front", "side"), (-1.0, 1.5)),
    _define(wrist_drop_ratio, "ratio", ("left_shoulder", "right_shoulder", "left_hip", "right_hip"),
            ("front", "side"), (-3.0, 3.0)),
    _define(body_rise_ratio, "ratio", ("left_shoulder", "right_shoulder", "left_hip", "right_hip", "left_knee",
                                       "right_knee", "left_ankle", "right_ankle"), ("front",), (-1.0, 1.0),
            StandingLevel),
    _define(hip_flexion_deg, "deg", ("hip", "knee", "ankle"), ("front",), (0.0, 90.0), StandingThigh),
    _define(standing_knee_flexion_deg, "deg", ("hip", "knee", "ankle"), ("side",), (0.0, 180.0)),
    _define(thigh_forward_deg, "deg", ("hip", "knee"), ("side",), (-180.0, 180.0)),
    _define(knee_past_toe_ratio, "ratio", ("left_knee", "right_knee", "left_foot_index", "right_foot_index"),
            ("side",), (-2.0, 2.0)),
)})


__all__ = ["FEATURES", "LEG", "FeatureDef", "FeatureState", "SeatedThigh", "StandingLevel", "StandingThigh", "Unit",
           "View", "angle_at", "angle_between", "ankle_plantarflexion_deg", "body_rise_ratio", "facing_sign",
           "hip_abduction_deg", "hip_flexion_deg", "hip_height_ratio", "knee_angle_deg", "knee_flexion_deg",
           "knee_past_toe_ratio", "seated_knee_angle_deg", "standing_knee_flexion_deg", "thigh_forward_deg",
           "trunk_lean_deg", "wrist_drop_ratio"]
