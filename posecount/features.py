"""Named angles from a pose, the view check, and which leg is working.

Why these features (measured on drawn clips with exact ground truth, see samples/ and tests):

* **Front view (side-leg-raise).** MediaPipe tracks both legs well front-on. The driving angle is
  ``hip_abduction_deg``: the hip→ankle line from vertical, outward positive. Hip and ankle are the most
  reliable leg landmarks, and the straight line between them is insensitive to where the knee is placed.
  The image vertical stands in for gravity (the camera is upright); the pelvis is not used as reference
  because a patient who hikes the hip would otherwise hide the lift.
* **Side view (seated-knee-extension).** Seen side-on MediaPipe places the knee of a straight leg
  mid-thigh (the hip-knee-ankle angle reads 120-150° instead of ~175°) and swaps the two legs' labels
  every few frames, while hip and ankle stay accurate. So the knee is *reconstructed*: while the leg rests
  bent (knee landmark reliable) we learn the thigh vector hip→knee; the thigh lies on the seat and does
  not move during the exercise. ``knee_angle_deg`` then comes from hip, ankle and that thigh alone
  (:func:`seated_knee_angle_deg`). Labels are not trusted either:
  both legs are candidates and the more extended one is the working leg, credited to the leg nearer the
  camera (facing image-right, that is the person's right; facing image-left, their left), which is what
  the exercise asks for (camera at the side of the working leg).
* 2D image coordinates, not MediaPipe's world coordinates: the exercises move in a plane facing the
  camera (frontal plane front-on, sagittal plane side-on), where 2D angles are true angles, while the world
  landmarks' depth is the least reliable axis.

A side whose landmarks are not visible, or every side while the view is wrong, gets NaN: the engine
freezes it.

**Partial framing (recorded video only).** Demonstrations filmed close up (a person on a treatment table, a
phone propped too near) often show the working foot only while the leg is extended: at rest it hangs below
the picture. With :attr:`ViewSettings.assume_rest_below_frame` a leg whose hip and knee are in view and
whose ankle is below the bottom edge (MediaPipe's guess lands there, or it is not visible and a shank as
long as the thigh, hanging from the knee, would reach the edge) is *at rest, unseen*: it has no angle, but
the engine may end an attempt on it as on a leg seen back at rest (``FeatureFrame.at_rest_unseen``), and
the view check does not ask the person to move back. What is counted is what is seen: an attempt starts
when the foot comes into view above the start line. Live keeps the set-up banner instead, because there
the person can simply step back.
"""

from __future__ import annotations

import math
from collections import deque
from dataclasses import dataclass

import numpy as np

from posecount.exercises.engine import FeatureFrame
from posecount.exercises.spec import SIDES, ExerciseSpec, Side
from posecount.pose import LM, Pose

NAN = math.nan
LEG: dict[Side, tuple[int, int, int, int, int]] = {  # hip, knee, ankle, heel, foot index
    "left": (LM.LEFT_HIP, LM.LEFT_KNEE, LM.LEFT_ANKLE, LM.LEFT_HEEL, LM.LEFT_FOOT_INDEX),
    "right": (LM.RIGHT_HIP, LM.RIGHT_KNEE, LM.RIGHT_ANKLE, LM.RIGHT_HEEL, LM.RIGHT_FOOT_INDEX),
}


@dataclass(frozen=True)
class ViewSettings:
    """Thresholds of the set-up check. Ratios are of the torso length (mid-hip to mid-shoulder)."""

    min_visibility: float = 0.5
    front_min_shoulder_ratio: float = 0.30  # shoulder width / torso length, front-on ~0.6-0.8
    # side-on ~0.0-0.3; oblique views (up to ~0.8) are accepted, where the 2D knee angle reads low but still
    # rises and falls with each extension; beyond that the camera is in front and the leg moves toward it
    side_max_shoulder_ratio: float = 0.8
    standing_min_leg_ratio: float = 0.9  # vertical hip→ankle drop / torso length, standing ~1.3-1.6
    seated_max_thigh_tilt_deg: float = 45.0  # a seated thigh is near horizontal
    min_body_fraction: float = 0.2  # shoulder→ankle height / frame height: closer than this is too far
    debounce_s: float = 0.5  # the view verdict changes only after it held this long
    #: recorded video: a foot below the picture's bottom edge is a leg at rest (see the module docstring)
    assume_rest_below_frame: bool = False
    #: ... when a shank this long (a fraction of the thigh; they are equal in adults) would reach the edge
    hanging_shank_ratio: float = 0.8


@dataclass(frozen=True)
class Features:
    """The extractor's output: the engine's input plus what the screen needs."""

    frame: FeatureFrame
    pose_found: bool
    view_ok: bool
    view_issue: str | None  # plain-words instruction when the view is wrong
    working_side: Side | None  # for exercises that track only the leg near the camera
    below_frame: frozenset[Side] = frozenset()  # legs taken to be at rest below the picture (partial framing)


def angle_between(u: np.ndarray, v: np.ndarray) -> float:
    """Angle between two vectors in degrees (NaN if either is zero)."""
    n = float(np.linalg.norm(u) * np.linalg.norm(v))
    if n == 0:
        return NAN
    return math.degrees(math.acos(max(-1.0, min(1.0, float(np.dot(u, v)) / n))))


def angle_at(a: np.ndarray, b: np.ndarray, c: np.ndarray) -> float:
    """Interior angle ABC in degrees (180 = straight)."""
    return angle_between(a - b, c - b)


def trunk_lean_deg(pose: Pose) -> float:
    """Mid-hip→mid-shoulder line from vertical, unsigned (0 = upright)."""
    xy = pose.image_xy
    hip = (xy[LM.LEFT_HIP] + xy[LM.RIGHT_HIP]) / 2
    shoulder = (xy[LM.LEFT_SHOULDER] + xy[LM.RIGHT_SHOULDER]) / 2
    d = shoulder - hip
    return math.degrees(math.atan2(abs(float(d[0])), -float(d[1])))


def hip_abduction_deg(pose: Pose, side: Side) -> float:
    """Front view: hip→ankle line from vertical, positive away from the midline (the person faces us,
    so their left leg moves toward the image right)."""
    hip, _, ankle, _, _ = LEG[side]
    d = pose.image_xy[ankle] - pose.image_xy[hip]
    outward = 1.0 if side == "left" else -1.0
    return math.degrees(math.atan2(outward * float(d[0]), float(d[1])))


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


def knee_flexion_deg(pose: Pose, side: Side) -> float:
    hip, knee, ankle, _, _ = LEG[side]
    xy = pose.image_xy
    return 180.0 - angle_at(xy[hip], xy[knee], xy[ankle])


class FeatureExtractor:
    """Pose (smoothed) → :class:`Features` for one exercise. Stateful: it learns the seated thigh and the
    facing direction, and debounces the view check."""

    def __init__(self, spec: ExerciseSpec, frame_wh: tuple[int, int], settings: ViewSettings | None = None) -> None:
        self.spec = spec
        self.settings = settings or ViewSettings()
        self.frame_wh = frame_wh
        self._thigh: deque[np.ndarray] = deque(maxlen=90)
        self._facing_votes: deque[int] = deque(maxlen=90)
        self._view_ok = False
        self._view_issue: str | None = "Step into view"
        self._pending: tuple[bool, str | None, int] | None = None

    def __call__(self, pose: Pose | None, timestamp_ms: int) -> Features:
        if pose is None:
            ok, issue = self._debounce(False, "Step into view", timestamp_ms)
            return self._empty(timestamp_ms, pose_found=False, issue=issue)
        raw_issue = self._check_view(pose)
        ok, issue = self._debounce(raw_issue is None, raw_issue, timestamp_ms)
        body = {"trunk_lean_deg": trunk_lean_deg(pose)}
        if self.spec.view == "front":
            sides = {s: self._front_side(pose, s) for s in SIDES}
            working = None
            tracked: tuple[Side, ...] = SIDES
        else:
            working, values = self._side_view(pose)
            sides = {s: (values if s == working else _nan_side()) for s in SIDES}
            tracked = (working,)
        below = frozenset(s for s in tracked if not math.isfinite(sides[s][self.spec.drive.feature])
                          and self._below_frame(pose, s))
        if self.spec.view == "side":
            for side in below:  # a leg hanging at rest is bent: its knee landmark is reliable
                self._thigh.append(pose.image_xy[LEG[side][1]] - pose.image_xy[LEG[side][0]])
        if not ok:
            sides = {s: _nan_side() for s in SIDES}
            body = {k: NAN for k in body}
            below = frozenset()
        return Features(FeatureFrame(timestamp_ms, sides, body, at_rest_unseen=below), pose_found=True, view_ok=ok,
                        view_issue=issue, working_side=working, below_frame=below)

    def _below_frame(self, pose: Pose, side: Side) -> bool:
        """Partial framing: this leg's hip and knee are in view and its foot hangs below the picture."""
        if not self.settings.assume_rest_below_frame:
            return False
        hip_i, knee_i, ankle_i, _, _ = LEG[side]
        if not self._in_frame(pose, [hip_i, knee_i]) or self._in_frame(pose, [ankle_i]):
            return False
        h = self.frame_wh[1]
        xy = pose.image_xy
        if float(xy[ankle_i][1]) >= h:
            return True
        thigh_px = float(np.linalg.norm(xy[knee_i] - xy[hip_i]))
        return pose.visibility[ankle_i] < self.settings.min_visibility and (
            float(xy[knee_i][1]) + self.settings.hanging_shank_ratio * thigh_px >= h)

    # -- front view -----------------------------------------------------------------------------------
    def _in_frame(self, pose: Pose, indices: list[int]) -> bool:
        """Visible and inside the image: MediaPipe guesses landmarks beyond the frame's edge, often badly."""
        if min(pose.visibility[indices]) < self.settings.min_visibility:
            return False
        w, h = self.frame_wh
        xy = pose.image_xy[indices]
        return bool(np.all((xy[:, 0] >= 0) & (xy[:, 0] < w) & (xy[:, 1] >= 0) & (xy[:, 1] < h)))

    def _front_side(self, pose: Pose, side: Side) -> dict[str, float]:
        hip, knee, ankle, _, _ = LEG[side]
        if not self._in_frame(pose, [hip, knee, ankle]):
            return _nan_side()
        return {"hip_abduction_deg": hip_abduction_deg(pose, side), "knee_flexion_deg": knee_flexion_deg(pose, side)}

    # -- side view ------------------------------------------------------------------------------------
    def _side_view(self, pose: Pose) -> tuple[Side, dict[str, float]]:
        xy = pose.image_xy
        hips = (xy[LM.LEFT_HIP] + xy[LM.RIGHT_HIP]) / 2
        knees = (xy[LM.LEFT_KNEE] + xy[LM.RIGHT_KNEE]) / 2
        self._facing_votes.append(1 if knees[0] >= hips[0] else -1)
        near: Side = "right" if sum(self._facing_votes) >= 0 else "left"

        best: dict[str, float] = _nan_side()
        for side in SIDES:
            hip_i, knee_i, ankle_i, heel_i, toe_i = LEG[side]
            if not self._in_frame(pose, [hip_i, ankle_i]):
                continue
            hip, knee, ankle = xy[hip_i], xy[knee_i], xy[ankle_i]
            if angle_at(hip, knee, ankle) < 115.0:  # bent: the knee landmark is reliable, learn the thigh
                self._thigh.append(knee - hip)
            thigh = np.median(np.asarray(self._thigh), axis=0) if len(self._thigh) >= 5 else knee - hip
            knee_est = hip + thigh
            knee_angle = seated_knee_angle_deg(hip, thigh, ankle)
            if not math.isfinite(knee_angle) or (math.isfinite(best["knee_angle_deg"])
                                                   and knee_angle <= best["knee_angle_deg"]):
                continue
            # The foot's angle only from a foot the model is sure of: a guessed heel or toe (hidden by the
            # other leg, outside the picture) would scold a foot held correctly.
            foot = xy[toe_i] - xy[heel_i]
            shank = ankle - knee_est
            plantar = 90.0 - angle_between(foot, shank) if self._in_frame(pose, [heel_i, toe_i]) else NAN
            best = {"knee_angle_deg": knee_angle, "ankle_plantarflexion_deg": plantar}
        return near, best

    # -- the view check -------------------------------------------------------------------------------
    def _check_view(self, pose: Pose) -> str | None:
        s = self.settings
        xy, vis = pose.image_xy, pose.visibility
        w, h = self.frame_wh
        hip = (xy[LM.LEFT_HIP] + xy[LM.RIGHT_HIP]) / 2
        shoulder = (xy[LM.LEFT_SHOULDER] + xy[LM.RIGHT_SHOULDER]) / 2
        torso = float(np.linalg.norm(shoulder - hip))
        if torso < 1:
            return "Step into view"
        feet = [LM.LEFT_ANKLE, LM.RIGHT_ANKLE]
        feet_in = [(0 <= xy[i][0] < w and 0 <= xy[i][1] < h and vis[i] >= s.min_visibility)
                   or self._below_frame(pose, side) for i, side in zip(feet, SIDES, strict=True)]
        if self.spec.view == "front" and not all(feet_in):
            return "Step back until your feet are visible"
        if self.spec.view == "side" and not any(feet_in):
            return "Move back until your whole leg is visible"
        top = float(min(xy[LM.LEFT_SHOULDER][1], xy[LM.RIGHT_SHOULDER][1]))
        bottom = float(max(xy[LM.LEFT_ANKLE][1], xy[LM.RIGHT_ANKLE][1]))
        if (bottom - top) < s.min_body_fraction * h:
            return "Come a little closer to the camera"
        shoulder_ratio = float(abs(xy[LM.LEFT_SHOULDER][0] - xy[LM.RIGHT_SHOULDER][0])) / torso
        if self.spec.view == "front" and shoulder_ratio < s.front_min_shoulder_ratio:
            return "Face the camera"
        if self.spec.view == "side" and shoulder_ratio > s.side_max_shoulder_ratio:
            return "Turn your chair side-on to the camera"
        ankles = (xy[LM.LEFT_ANKLE] + xy[LM.RIGHT_ANKLE]) / 2
        if self.spec.posture == "standing" and (ankles[1] - hip[1]) < s.standing_min_leg_ratio * torso:
            return "Please stand up behind the chair"
        if self.spec.posture == "seated":
            thighs = [xy[LM.LEFT_KNEE] - xy[LM.LEFT_HIP], xy[LM.RIGHT_KNEE] - xy[LM.RIGHT_HIP]]
            tilt = min(math.degrees(math.atan2(abs(float(t[1])), abs(float(t[0])) + 1e-6)) for t in thighs)
            if tilt > s.seated_max_thigh_tilt_deg:
                return "Please sit down on the chair"
        return None

    def _debounce(self, ok: bool, issue: str | None, timestamp_ms: int) -> tuple[bool, str | None]:
        if ok == self._view_ok:
            self._pending = None
            if not ok:
                self._view_issue = issue
            return self._view_ok, self._view_issue
        if self._pending is None or self._pending[0] != ok:
            self._pending = (ok, issue, timestamp_ms)
        if timestamp_ms - self._pending[2] >= self.settings.debounce_s * 1000:
            self._view_ok, self._view_issue, self._pending = ok, issue, None
        return self._view_ok, self._view_issue

    def _empty(self, timestamp_ms: int, pose_found: bool, issue: str | None) -> Features:
        sides = {s: _nan_side() for s in SIDES}
        return Features(FeatureFrame(timestamp_ms, sides, {"trunk_lean_deg": NAN}), pose_found=pose_found,
                        view_ok=False, view_issue=issue, working_side=None)


def _nan_side() -> dict[str, float]:
    return {"hip_abduction_deg": NAN, "knee_flexion_deg": NAN, "knee_angle_deg": NAN,
            "ankle_plantarflexion_deg": NAN}
