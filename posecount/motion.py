"""Legs read from motion against the scene behind the person: each leg's sideways lift (front view,
:class:`LegMotion`) and a seated knee's extension (side view, :class:`KneeMotion`).

Leg motion (front view)
-----------------------

Standing behind a chair with the camera in front, the chair's back stands between the camera and the
person's legs. A leg lifted out past the chair's side is plainly visible, but MediaPipe often places it
at rest behind the chair's back (its segmentation mask takes the chair for the person and leaves the
lifted leg out). Here the leg is found as *change* against the scene as it looks with the legs at rest,
and only the hips come from the model, which places them well.

Per frame, on every fourth pixel of every fourth row (coarser in an HD picture: at most 250 across), in
CIELAB:

* **the scene at rest** is the per-pixel median of up to :attr:`MotionSettings.background_frames` quiet
  frames (no leg read more than :attr:`~MotionSettings.quiet_deg` out), one taken every
  :attr:`~MotionSettings.sample_every_s`. Only quiet frames go in, so a lifted and held leg never becomes
  part of it, however long it is held; it starts from the first frame
  the model sees both legs hanging, and it follows slow changes of light with the quiet frames;
* **a change mask**: pixels further than :attr:`~MotionSettings.change_lab` from it, opened 3x3 (a few
  pixels of noise or an outline's sway are not a leg);
* **a fan of rays** from each hip, outward from straight down (-15 to 85 deg); a ray's support is its
  share of changed pixels between 0.75 and 1.05 leg lengths from the hip: the shank and foot, which stick
  out past a chair's side once the leg is lifted. The leg's angle is the outermost ridge of support that
  reaches :attr:`~MotionSettings.min_support` (refined as the support-weighted mean angle over the ridge);
  NaN where no ray has enough support: a leg at rest does not differ from the scene at rest.

**The thigh** is read alike, by a second fan from each hip over 0.25-0.5 leg lengths (the thigh, short of
the knee): its direction from the hip (the same ridge), NaN where no thigh sticks out. A straight leg's
thigh points where its foot does; a knee bent in the picture's plane puts the thigh further out than the
hip-to-foot line, by half the knee's flexion where thigh and shank are equally long (as in adults:
:data:`posecount.features.registry.KNEE_FROM_THIGH`). This is the knee read without the knee landmark,
which behind a chair the model guesses and, over a low-contrast leg, straightens. A knee bent toward or
away from the camera does not move the thigh sideways: it is not seen here (nor well by the model).

Guards: a frame with much of the picture changed (the camera moved, the light changed) starts the scene
afresh, as does a scene with no quiet frame for :attr:`~MotionSettings.stale_s` (a lift that "lasts" that
long is a scene that changed). A leg angle further inward than -5 deg is the other leg's vacated place:
NaN.

Measured on 36 rendered held-out side leg raise clips (44 414 frames; chairs of five designs, and none):
on the frames a leg was lifted more than 15 deg, the motion angle was within 5 deg of the drawn one on
99.7 % behind a solid chair back (median error 0.7 deg), where the model's own angle was on 36 % (median
error 10 deg); behind a slatted one 100 % (the model 73 %); with no chair 100 % (the model 100 %). No leg
at rest read more than 12 deg above its stance. Between 5 and 15 deg a lift is still inside the chair's
outline and reads low (near rest); the landmarks carry those degrees. The scene at rest assumes a still
camera: a handheld one restarts it often (the changed-picture guard) and the legs are read from the
landmarks alone meanwhile.

Knee motion (side view, seated knee extension)
----------------------------------------------

Side-on, MediaPipe misplaces the knee of a straight leg (mid-thigh) and often reads a 3 s straight hold as
100-115 deg, so a hold is split or lost. The knee itself does not move in this exercise, and the model places
it well while the leg is bent. :class:`KneeMotion` keeps the same scene at rest and change mask, and:

* **the hip, knee and ankle at rest** of each leg are the median of the model's over the last
  :attr:`KneeMotionSettings.rest_frames` quiet frames with both knees read bent (interior angle under
  :attr:`~KneeMotionSettings.bent_deg`, 115 deg); the scene starts on the first such frame;
* **a fan of rays from the knee at rest**, from straight down (0 deg) to 120 deg forward (the way the knee
  points from the hip at rest: the person faces there); a ray's support is its share of changed pixels
  between 0.55 and 1.05 shank lengths from the knee; the shank's direction is the outermost ridge of
  support as above (0.45, ridge 0.7). Less than 25 deg forward is not told from a leg at rest: NaN;
* **the knee angle** is the angle between that shank direction and the knee-to-hip direction at rest.

A frame is quiet when no knee reads straighter than 120 deg *and* the model reads both knees bent: a
knee extended only to about 120 deg reads under that line by its motion, and were it quiet the held leg
would become the scene at rest (its reading vanishing mid-hold, and its old place reading as a shank out
once it is back down: held-out 1717/15, an attempt that never ended). The model places a knee bent that
little well, so it is not taken for rest.

Side-on both knees are at almost the same place, so both fans see the same change: the motion tells how
far *a* leg is extended, not which one (:class:`posecount.features.FeatureExtractor` gives it to the leg
the model reads as the more extended).

Measured on 90 rendered held-out seated knee extension clips (9 seeds): on the 32 589 frames with the
working knee drawn straighter than 150 deg, the motion read it within 10 deg on 95.5 %, the model on 84.0 %.
Of the 39 956 frames drawn at rest (under 100 deg) it read a knee straighter than 120 deg on 124, all in one
clip where the model finds no person at all.
"""

from __future__ import annotations

import math
import statistics
from collections import deque
from dataclasses import dataclass

import cv2
import numpy as np

from posecount.features.registry import angle_at, angle_between
from posecount.pose import LEG, leg_abduction_deg

NAN = math.nan

#: Bump whenever what either reader reads from the same frames changes: recordings kept by
#: :mod:`posecount.posecache` that hold an older reader's angles stop being found.
#: 2: a frame goes to the knee's scene at rest only where the model also reads both knees bent.
#: 3: the leg reader reads each thigh's direction too.
#: 4: a frame is quiet (goes to the legs' scene at rest) only with no leg read more than 3 deg out, not 8.
READERS_VERSION = 4


@dataclass(frozen=True)
class SceneSettings:
    """What both readers share: the scene at rest, the change mask and the ridge of a fan's support."""

    step_px: int = 4  # work on every 4th pixel of every 4th row (a quarter of the picture's size) ...
    max_samples: int = 250  # ... or coarser, so that no more than this many span the picture's longer side
    change_lab: float = 22.0  # a changed pixel: this far from the scene at rest (CIELAB, 8-bit units)
    sample_every_s: float = 0.5  # a quiet frame offered to the scene at rest this often
    background_frames: int = 15  # the scene at rest: the median of the last this many quiet frames
    stale_s: float = 30.0  # no quiet frame for this long: the scene has changed, start afresh
    max_changed_fraction: float = 0.35  # more of the picture changed than this: the camera or the light moved
    min_support: float = 0.45  # a ray's share of changed pixels for a leg to be there
    ridge_fraction: float = 0.7  # the ridge: neighbouring rays with at least this share of the peak's support


@dataclass(frozen=True)
class MotionSettings(SceneSettings):
    """:class:`LegMotion`'s numbers (front view, sideways lift)."""

    #: a frame is quiet when no leg reads further out than this (or none is found). A leg at rest reads nothing
    #: on 98.9 % of frames (held-out seeds 3030-3333); a small lift hidden by a chair's back reads 2-7 deg. At 8
    #: such a lift went into the scene within its hold, and its vacated place then read as a second lift
    quiet_deg: float = 3.0
    theta_deg: tuple[float, float] = (-15.0, 85.0)  # the fan, outward from straight down
    reach: tuple[float, float] = (0.75, 1.05)  # the part of each ray read, in leg lengths from the hip
    thigh_reach: tuple[float, float] = (0.25, 0.5)  # the thigh's fan: from a quarter of the leg to about the knee
    min_angle_deg: float = -5.0  # further inward: the other leg's vacated place, not this leg
    leg_samples: int = 90  # leg length: the median hip-to-ankle distance over this many frames


@dataclass(frozen=True)
class KneeMotionSettings(SceneSettings):
    """:class:`KneeMotion`'s numbers (side view, seated knee extension)."""

    bent_deg: float = 115.0  # a knee the model reads bent more than this (interior angle below) is placed well
    quiet_deg: float = 120.0  # a frame is quiet when no knee reads straighter than this (or none is found)
    theta_deg: tuple[float, float] = (0.0, 120.0)  # the fan from the knee, forward from straight down
    reach: tuple[float, float] = (0.55, 1.05)  # the part of each ray read, in shank lengths from the knee
    min_angle_deg: float = 25.0  # a shank less far forward than this is not told from one at rest: NaN
    rest_frames: int = 60  # the hip, knee and ankle at rest: the median of the model's over this many frames
    #: seated, the hips stay on the seat: a hip further than this many thigh lengths from its place at rest
    #: is no one sitting (held-out seated: at most 0.11; a dancer who had squatted: 2.3 in the median)
    max_hip_shift: float = 0.35


def sample_step(shape: tuple[int, ...], settings: SceneSettings) -> int:
    """Every how many pixels the scene is sampled: ``step_px``, coarser in an HD frame (a phone's 1080p:
    every 8th), so that no more than ``max_samples`` span its longer side."""
    return max(settings.step_px, -(-max(shape[:2]) // settings.max_samples))


@dataclass(frozen=True)
class LabSample:
    """A frame sampled every ``step`` pixels, in CIELAB: what the scene is compared on. Made once a frame
    and shared when both readers run (the conversion is most of their cost)."""

    lab: np.ndarray
    step: int


def lab_sample(image_bgr: np.ndarray, step: int) -> LabSample:
    return LabSample(cv2.cvtColor(np.ascontiguousarray(image_bgr[::step, ::step]), cv2.COLOR_BGR2LAB), step)


def _ridge_angle(theta: np.ndarray, support: np.ndarray, settings: SceneSettings) -> float:
    """The fan's angle: the outermost ridge of support that reaches ``min_support``, refined as the
    support-weighted mean angle over the ridge; NaN where no ray has enough support."""
    above = np.flatnonzero(support >= settings.min_support)
    if above.size == 0:
        return NAN
    k = int(above[-1])  # the outermost ray with enough support; climb inward to its ridge's peak
    while k > 0 and support[k - 1] >= support[k]:
        k -= 1
    floor = settings.ridge_fraction * support[k]
    lo = hi = k
    while lo > 0 and support[lo - 1] >= floor:
        lo -= 1
    while hi < len(support) - 1 and support[hi + 1] >= floor:
        hi += 1
    weights = support[lo:hi + 1]
    return float((theta[lo:hi + 1] * weights).sum() / weights.sum())


class _Fan:
    """A fan of rays from straight down (angle 0) to one side: per angle, the offsets of the points read
    along the ray (x toward the side, y down), between ``reach`` lengths; remade when the length changes."""

    def __init__(self, theta_deg: tuple[float, float], reach: tuple[float, float]) -> None:
        self._theta_deg = theta_deg
        self._reach = reach
        self._length_px = 0.0
        self._rays: tuple[np.ndarray, np.ndarray, np.ndarray] | None = None

    def rays(self, length_px: float) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        if self._rays is None or abs(length_px - self._length_px) > 0.02 * self._length_px:
            theta = np.arange(self._theta_deg[0], self._theta_deg[1] + 1e-9, 1.0)
            r = np.arange(self._reach[0] * length_px, self._reach[1] * length_px, 0.75)
            rad = np.radians(theta)[:, None]
            self._rays = (theta, r[None, :] * np.sin(rad), r[None, :] * np.cos(rad))
            self._length_px = length_px
        return self._rays

    def support(self, mask: np.ndarray, origin: np.ndarray, toward: float, length_px: float
                ) -> tuple[np.ndarray, np.ndarray]:
        """The fan's angles and each ray's share of changed pixels, from ``origin`` toward image right
        (``toward`` +1) or left (-1)."""
        theta, dx, dy = self.rays(length_px)
        h, w = mask.shape
        x = np.rint(origin[0] + toward * dx).astype(np.int32)
        y = np.rint(origin[1] + dy).astype(np.int32)
        inside = (x >= 0) & (x < w) & (y >= 0) & (y < h)
        hits = np.zeros(x.shape, np.uint8)
        hits[inside] = mask[y[inside], x[inside]]
        return theta, hits.mean(axis=1)


class _SceneMotion:
    """The frame loop both readers share: the scene at rest (started on a frame :meth:`_at_rest` accepts,
    fed with quiet frames), the change mask, its guards; :meth:`_read` reads the legs from the mask."""

    settings: MotionSettings | KneeMotionSettings
    #: how many angles a frame gives; the first two (the legs) decide whether the frame is quiet
    outputs: int = 2

    def __init__(self) -> None:
        self._quiet: deque[np.ndarray] = deque(maxlen=self.settings.background_frames)
        self._scene: np.ndarray | None = None
        self._last_sample_ms: int | None = None
        self._last_quiet_ms: int | None = None

    def __call__(self, image_bgr: np.ndarray, image_xy: np.ndarray, timestamp_ms: int,
                 sample: LabSample | None = None) -> np.ndarray:
        """The legs' angles in this frame; ``sample``: the frame's :meth:`sample`, when another reader has
        made it already (both readers sample alike: the same :class:`SceneSettings` step)."""
        s = self.settings
        out = np.full(self.outputs, NAN, np.float32)
        step = sample.step if sample is not None else sample_step(image_bgr.shape, s)
        if not self._prepare(image_xy, step):
            return out
        small = (sample if sample is not None else lab_sample(image_bgr, step)).lab
        if self._scene is None or self._scene.shape != small.shape:
            if self._at_rest(image_xy):
                self._restart(small, timestamp_ms)
            return out
        mask = self._changed(small)
        if mask.mean() > s.max_changed_fraction:
            self._restart(small, timestamp_ms)
            return out
        self._read(mask, image_xy, step, out)
        quiet = not np.any(out[:2] > s.quiet_deg) and self._landmarks_quiet(image_xy)
        self._offer(small, timestamp_ms, quiet)
        if quiet:
            self._quiet_frame(image_xy)
        return out

    def sample(self, image_bgr: np.ndarray) -> LabSample:
        """This frame as this reader compares it: pass it to the other reader too (:meth:`__call__`)."""
        return lab_sample(image_bgr, sample_step(image_bgr.shape, self.settings))

    # -- what each reader says ---------------------------------------------------------------------------
    def _prepare(self, image_xy: np.ndarray, step: int) -> bool:
        """Learn what this frame tells of the body's size; False: nothing can be read yet."""
        return True

    def _at_rest(self, image_xy: np.ndarray) -> bool:
        """The model sees the legs at rest: a scene to start from."""
        raise NotImplementedError

    def _read(self, mask: np.ndarray, image_xy: np.ndarray, step: int, out: np.ndarray) -> None:
        """Each leg's angle from the change mask into ``out`` ([left, right, ...], NaN where none)."""
        raise NotImplementedError

    def _landmarks_quiet(self, image_xy: np.ndarray) -> bool:
        """The model's landmarks agree that no leg is out (a frame goes to the scene at rest only then)."""
        return True

    def _quiet_frame(self, image_xy: np.ndarray) -> None:
        """A quiet frame (no leg read out) was seen with these landmarks."""

    # -- the scene at rest -------------------------------------------------------------------------------
    def _restart(self, small: np.ndarray, timestamp_ms: int) -> None:
        self._quiet.clear()
        self._quiet.append(small)
        self._scene = small
        self._last_sample_ms = self._last_quiet_ms = timestamp_ms

    def _offer(self, small: np.ndarray, timestamp_ms: int, quiet: bool) -> None:
        s = self.settings
        assert self._last_sample_ms is not None and self._last_quiet_ms is not None
        if not quiet:
            if timestamp_ms - self._last_quiet_ms > s.stale_s * 1000:
                self._restart(small, timestamp_ms)
            return
        self._last_quiet_ms = timestamp_ms
        if timestamp_ms - self._last_sample_ms < s.sample_every_s * 1000:
            return
        self._last_sample_ms = timestamp_ms
        self._quiet.append(small)
        self._scene = np.median(np.stack(self._quiet), axis=0).astype(np.uint8)

    def _changed(self, small: np.ndarray) -> np.ndarray:
        assert self._scene is not None
        d = cv2.absdiff(small, self._scene)
        d2 = np.einsum("ijk,ijk->ij", d, d, dtype=np.int32)
        mask = (d2 > self.settings.change_lab ** 2).astype(np.uint8)
        return cv2.morphologyEx(mask, cv2.MORPH_OPEN, np.ones((3, 3), np.uint8))


@dataclass(frozen=True)
class MotionReading:
    """One frame's readings from motion, ``[left, right]`` degrees each; None for a reader not run."""

    legs: np.ndarray | None = None  # each leg's abduction (:class:`LegMotion`)
    thighs: np.ndarray | None = None  # each thigh's direction from its hip, alike (:class:`LegMotion`)
    knees: np.ndarray | None = None  # side-on, a seated knee's interior angle (:class:`KneeMotion`)


def read_motion(legs: LegMotion | None, knees: KneeMotion | None, image_bgr: np.ndarray, image_xy: np.ndarray,
                timestamp_ms: int) -> MotionReading:
    """Each reader that runs (None: not asked for) on one frame, as ``posecount pose`` runs them: the frame
    in CIELAB is made once for both when both run."""
    sample = legs.sample(image_bgr) if legs is not None and knees is not None else None
    both = None if legs is None else legs(image_bgr, image_xy, timestamp_ms, sample)
    return MotionReading(legs=None if both is None else both[:2], thighs=None if both is None else both[2:],
                         knees=None if knees is None else knees(image_bgr, image_xy, timestamp_ms, sample))


class LegMotion(_SceneMotion):
    """Feed every frame (with the model's landmarks): each leg's abduction from motion, then each thigh's
    direction, ``[left leg, right leg, left thigh, right thigh]`` degrees from straight down, positive away
    from the midline (as ``hip_abduction_deg``), NaN where no leg (thigh) sticks out. One instance per video
    or camera session: it learns that scene."""

    outputs = 4

    def __init__(self, settings: MotionSettings | None = None) -> None:
        self.settings: MotionSettings = settings or MotionSettings()
        super().__init__()
        self._legs: deque[float] = deque(maxlen=self.settings.leg_samples)
        self._leg_px = NAN
        self._fan = _Fan(self.settings.theta_deg, self.settings.reach)
        self._thigh_fan = _Fan(self.settings.theta_deg, self.settings.thigh_reach)

    def _prepare(self, image_xy: np.ndarray, step: int) -> bool:
        self._leg_px = self._leg_length(image_xy) / step
        return self._leg_px > 4

    def _at_rest(self, image_xy: np.ndarray) -> bool:
        """Both legs hang (each ankle within 10 deg of straight below its hip)."""
        return all(abs(leg_abduction_deg(image_xy, side)) < 10.0 for side in ("left", "right"))

    def _read(self, mask: np.ndarray, image_xy: np.ndarray, step: int, out: np.ndarray) -> None:
        for k, side in enumerate(("left", "right")):
            hip = image_xy[LEG[side][0]] / step
            outward = 1.0 if side == "left" else -1.0
            out[k] = self._angle(mask, hip, outward, self._fan)
            out[2 + k] = self._angle(mask, hip, outward, self._thigh_fan)

    def _leg_length(self, image_xy: np.ndarray) -> float:
        for side in ("left", "right"):
            hip, _, ankle, _, _ = LEG[side]
            length = float(np.hypot(*(image_xy[ankle] - image_xy[hip])))
            if math.isfinite(length):
                self._legs.append(length)
        return statistics.median(self._legs) if self._legs else NAN

    def _angle(self, mask: np.ndarray, hip: np.ndarray, outward: float, fan: _Fan) -> float:
        if not np.all(np.isfinite(hip)):
            return NAN
        theta, support = fan.support(mask, hip, outward, self._leg_px)
        angle = _ridge_angle(theta, support, self.settings)
        return angle if angle >= self.settings.min_angle_deg else NAN


class KneeMotion(_SceneMotion):
    """Feed every frame (with the model's landmarks): side-on, seated, how far a knee is extended read from
    motion, ``[left, right]`` interior hip-knee-ankle degrees (180 = straight, as ``knee_angle_deg``), NaN
    where no shank sticks out forward. Side-on both knees are at almost the same place in the picture, so
    both legs' fans see the same change: it tells how far *a* leg is extended, not which one. One instance
    per video or camera session: it learns that scene."""

    def __init__(self, settings: KneeMotionSettings | None = None) -> None:
        self.settings: KneeMotionSettings = settings or KneeMotionSettings()
        super().__init__()
        self._rest: tuple[deque[np.ndarray], deque[np.ndarray]] = (
            deque(maxlen=self.settings.rest_frames), deque(maxlen=self.settings.rest_frames))
        self._fans = (_Fan(self.settings.theta_deg, self.settings.reach),
                      _Fan(self.settings.theta_deg, self.settings.reach))
        self._rest_median: list[np.ndarray | None] = [None, None]  # kept until the rest frames change

    def _bent(self, image_xy: np.ndarray) -> bool:
        return all(angle_at(*image_xy[list(LEG[side][:3])]) < self.settings.bent_deg for side in ("left", "right"))

    def _at_rest(self, image_xy: np.ndarray) -> bool:
        """Both knees bent: the model places them well, and no shank is out."""
        if not self._bent(image_xy):
            return False
        self._learn_rest(image_xy)
        return True

    def _landmarks_quiet(self, image_xy: np.ndarray) -> bool:
        """Both knees read bent: a small extension the motion reads under :attr:`~KneeMotionSettings.quiet_deg`
        is not taken into the scene at rest (its place would read as a shank once the leg is back down)."""
        return self._bent(image_xy)

    def _quiet_frame(self, image_xy: np.ndarray) -> None:
        self._learn_rest(image_xy)

    def _learn_rest(self, image_xy: np.ndarray) -> None:
        for k, side in enumerate(("left", "right")):
            self._rest[k].append(image_xy[list(LEG[side][:3])].copy())
            self._rest_median[k] = None

    def _read(self, mask: np.ndarray, image_xy: np.ndarray, step: int, out: np.ndarray) -> None:
        for k in (0, 1):
            if self._rest[k]:
                rest = self._rest_median[k]
                if rest is None:
                    rest = self._rest_median[k] = np.median(np.stack(self._rest[k]), axis=0)
                if self._seated(image_xy[LEG[("left", "right")[k]][0]], rest):
                    out[k] = self._knee_deg(mask, rest / step, k)

    def _seated(self, hip: np.ndarray, rest: np.ndarray) -> bool:
        """The hip is where it sat at rest (a person who stands up or dances off is not extending a knee)."""
        thigh_px = float(np.hypot(*(rest[0] - rest[1])))
        return bool(np.hypot(*(hip - rest[0])) <= self.settings.max_hip_shift * thigh_px)

    def _knee_deg(self, mask: np.ndarray, rest: np.ndarray, k: int) -> float:
        hip, knee, ankle = rest
        shank_px = float(np.hypot(*(ankle - knee)))
        thigh = hip - knee
        if not (shank_px > 4 and np.all(np.isfinite(thigh))):
            return NAN
        forward = 1.0 if thigh[0] <= 0 else -1.0  # seated, the knee is ahead of the hip
        theta, support = self._fans[k].support(mask, knee, forward, shank_px)
        phi = _ridge_angle(theta, support, self.settings)
        if not phi >= self.settings.min_angle_deg:
            return NAN
        rad = math.radians(phi)
        return angle_between(np.array([forward * math.sin(rad), math.cos(rad)]), thigh)
