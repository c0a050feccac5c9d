"""Smoothing across frames: the Tasks API does none, and raw landmarks jitter by several pixels.

* :class:`OneEuroFilter` (Casiez et al., CHI 2012) is causal and adapts its cut-off to the speed of the
  signal: strong smoothing when the leg is still (a steady hold timer), little lag when it moves. Being
  causal, it gives the live and the offline paths identical results frame for frame.
* :class:`PoseSmoother` first undoes MediaPipe's left/right leg swaps by continuity (seen side-on, the two
  legs overlap and their labels swap every few frames), then filters every landmark's pixel position (the
  world landmarks, which no feature reads, pass through as the model gave them). After a gap longer than
  ``max_gap_ms`` it restarts rather than gliding from a stale position.

Filters are chosen by name (:func:`make_filter`), including ``"none"``.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass, replace

import numpy as np

from posecount.errors import ConfigError
from posecount.pose import LEG, LM, Pose


def _alpha(cutoff_hz: np.ndarray | float, dt_s: float) -> np.ndarray | float:
    tau = 1.0 / (2.0 * math.pi * cutoff_hz)
    return 1.0 / (1.0 + tau / dt_s)


class OneEuroFilter:
    """One Euro filter over an array of any shape, with time steps taken from timestamps.

    min_cutoff_hz: cut-off when still (lower = smoother, more lag)
    beta: how fast the cut-off rises with speed (units of the signal per second)
    d_cutoff_hz: cut-off of the speed estimate
    """

    def __init__(self, min_cutoff_hz: float = 1.0, beta: float = 0.05, d_cutoff_hz: float = 1.0) -> None:
        if min_cutoff_hz <= 0 or d_cutoff_hz <= 0 or beta < 0:
            raise ConfigError("One Euro filter: min_cutoff_hz and d_cutoff_hz must be > 0, beta >= 0")
        self.min_cutoff_hz = min_cutoff_hz
        self.beta = beta
        self.d_cutoff_hz = d_cutoff_hz
        self._x: np.ndarray | None = None
        self._dx: np.ndarray | None = None
        self._t_ms: float | None = None

    def reset(self) -> None:
        self._x = self._dx = self._t_ms = None

    def __call__(self, x: np.ndarray, timestamp_ms: float) -> np.ndarray:
        x = np.asarray(x, dtype=np.float64)
        if self._x is None or self._t_ms is None or timestamp_ms <= self._t_ms:
            self._x, self._dx, self._t_ms = x.copy(), np.zeros_like(x), float(timestamp_ms)
            return x
        dt_s = (timestamp_ms - self._t_ms) / 1000.0
        self._t_ms = float(timestamp_ms)
        # Where the previous value is unknown (NaN), start over from the new one.
        fresh = ~np.isfinite(self._x)
        dx = np.where(fresh, 0.0, (x - self._x) / dt_s)
        a_d = _alpha(self.d_cutoff_hz, dt_s)
        prev_dx = self._dx
        prev_dx[~np.isfinite(prev_dx)] = 0.0  # ours alone: zeroed in place (np.nan_to_num costs more than the filter)
        self._dx = a_d * dx + (1 - a_d) * prev_dx
        cutoff = self.min_cutoff_hz + self.beta * np.abs(self._dx)
        a = _alpha(cutoff, dt_s)
        out = np.where(fresh | ~np.isfinite(x), x, a * x + (1 - a) * self._x)
        self._x = out
        return out


class NoFilter:
    """The do-nothing filter, for measuring what smoothing buys."""

    def reset(self) -> None:
        pass

    def __call__(self, x: np.ndarray, timestamp_ms: float) -> np.ndarray:
        return np.asarray(x, dtype=np.float64)


FILTERS: dict[str, Callable[..., OneEuroFilter | NoFilter]] = {
    "one-euro": OneEuroFilter,
    "none": NoFilter,
}


def make_filter(name: str, **params: float) -> OneEuroFilter | NoFilter:
    """Build a filter by name; an unknown name fails with the list of valid ones."""
    try:
        factory = FILTERS[name]
    except KeyError:
        raise ConfigError(f"unknown filter {name!r}; choose one of: {', '.join(FILTERS)}") from None
    return factory(**params) if name != "none" else factory()


@dataclass(frozen=True)
class SmoothingSettings:
    """``pixel_beta`` is per body scale: the filter sees landmarks in units of the frame height."""

    filter: str = "one-euro"
    min_cutoff_hz: float = 1.5
    beta: float = 2.0
    d_cutoff_hz: float = 1.0
    max_gap_ms: float = 500.0
    fix_leg_swaps: bool = True


#: each leg's landmarks (hip, knee, ankle, heel, foot index) as index arrays, the left's paired with the right's
_LEFT_LEG, _RIGHT_LEG = np.asarray(LEG["left"]), np.asarray(LEG["right"])


def unswap_legs(pose: Pose, previous: Pose | None) -> Pose:
    """Swap left/right labels back, joint by joint, where the swapped assignment is much closer to the
    previous frame.

    MediaPipe sometimes gives the left leg's label to the right one: seen side-on, where the legs overlap,
    often just for the ankles and feet, every few frames. A joint cannot jump to the other leg between two
    frames, so continuity decides for each pair (hips, knees, ankles, heels, toes). Front-on the legs are
    apart and a correct label is never "much closer" swapped, so this is safe for every view.
    """
    if previous is None:
        return pose
    cur, prev = pose.image_xy, previous.image_xy
    left, right = _LEFT_LEG, _RIGHT_LEG
    # every pair at once: the distance each joint moved if the labels are kept, and if they are swapped
    keep = np.hypot(*(cur[left] - prev[left]).T) + np.hypot(*(cur[right] - prev[right]).T)
    swap = np.hypot(*(cur[left] - prev[right]).T) + np.hypot(*(cur[right] - prev[left]).T)
    swapped = swap < 0.5 * keep
    if not swapped.any():
        return pose
    order = np.arange(len(cur))
    order[left[swapped]], order[right[swapped]] = right[swapped], left[swapped]
    feet = pose.foot_axis_deg
    if feet is not None and order[LM.LEFT_ANKLE] == LM.RIGHT_ANKLE:  # each foot was found at its ankle
        feet = feet[::-1].copy()
    motion, thighs = pose.leg_motion_deg, pose.thigh_motion_deg
    if order[LM.LEFT_HIP] == LM.RIGHT_HIP:  # read outward from hips that were mislabelled
        motion = None if motion is None else np.full(2, np.nan, np.float32)
        thighs = None if thighs is None else np.full(2, np.nan, np.float32)
    # The knees' motion is kept as it is: side-on both legs' fans see the same extended shank, so it says
    # how far *a* knee is extended, whatever the labels (the extractor takes it for either leg).
    return Pose(image_xy=pose.image_xy[order], world_xyz=pose.world_xyz[order],
                visibility=pose.visibility[order], presence=pose.presence[order], foot_axis_deg=feet,
                leg_motion_deg=motion, knee_motion_deg=pose.knee_motion_deg, thigh_motion_deg=thighs)


class PoseSmoother:
    """Leg-swap repair by continuity, then a filter on the pixel landmarks, with gap handling."""

    def __init__(self, settings: SmoothingSettings | None = None, frame_height_px: float = 480.0) -> None:
        self.settings = settings or SmoothingSettings()
        s = self.settings
        params = {"min_cutoff_hz": s.min_cutoff_hz, "beta": s.beta, "d_cutoff_hz": s.d_cutoff_hz}
        self._xy = make_filter(s.filter, **params)
        self._scale = float(frame_height_px)
        self._last: Pose | None = None
        self._last_ms: float | None = None

    def reset(self) -> None:
        self._xy.reset()
        self._last = None
        self._last_ms = None

    def __call__(self, pose: Pose | None, timestamp_ms: float) -> Pose | None:
        if pose is None:
            if self._last_ms is not None and timestamp_ms - self._last_ms > self.settings.max_gap_ms:
                self.reset()
            return None
        if self._last_ms is not None and timestamp_ms - self._last_ms > self.settings.max_gap_ms:
            self.reset()
        if self.settings.fix_leg_swaps:
            pose = unswap_legs(pose, self._last)
        # Filter in frame-height units so the same beta suits any resolution.
        xy = self._xy(pose.image_xy / self._scale, timestamp_ms) * self._scale
        out = replace(pose, image_xy=xy.astype(np.float32))
        self._last, self._last_ms = out, timestamp_ms
        return out
