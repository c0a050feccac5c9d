"""The 4-stage balance test (CDC STEADI) read from the feet seen side-on: poses in, timed stances out. Pure.

1. **Feet** (:class:`FeetTrack`): per frame, each foot's centre (the mean of its heel, ankle and toe landmarks)
   along the walking direction and its height, in foot lengths. A foot is ``FOOT_PER_LEG_RATIO`` of the leg
   (hip→knee→ankle, the longer leg's median over the clip), the body's proportions (Drillis & Contini 1966),
   never pixels: the leg is long and well tracked, while MediaPipe's heel→toe span is short and sits behind the
   tip of the toes.
2. **Stance per frame** (:func:`classify_stance`): the feet's lead (the front foot's centre ahead of the other)
   against the protocol's own leads (side by side 0, semi-tandem about half a foot, tandem a whole foot: the
   nearest wins, with ``LEAD_HYSTERESIS_RATIO`` around each boundary), or one foot off the floor. Lead and lift
   are a rolling median over ``SMOOTH_S`` of the smoothed landmarks first, so that noise does not flicker it.
3. **Stance periods** (:func:`stance_periods`): runs of one stance at least ``MIN_STANCE_S`` long while no foot on
   the floor moves: a foot that shifts ``STEP_RATIO`` of a foot (the medians of the half second before and after
   differ by that much) has stepped, and a step ends the stance even when the next one looks the same.
4. **Timing** (:func:`fit_step`): each movement between two periods is timed on the unsmoothed landmarks (the
   causal smoothing lags a movement by about 0.1 s) by fitting, for each foot that moved ``STEP_RATIO`` or more,
   a step: the foot travels as a minimum-jerk movement (Flash & Hogan 1985, the path of smooth human
   point-to-point movements) and clears the floor in one arc meanwhile. The stance before is left when the first
   foot starts, the next is taken when the last foot has arrived (down, or up for a foot lifted). A threshold on
   the path would start a smooth movement late and end it early, by about a quarter of its duration each.
5. **The protocol** (:func:`score_periods`): the stances in their order, each timed from when it is taken to when
   it is left, up to ``hold_s``; the first stance not held ends the test; not holding ``fall_risk_stance`` is an
   increased risk of falling.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass, replace

import numpy as np

from posecount.exercises.protocols import ProtocolSpec, Sex, StanceDef
from posecount.exercises.spec import ExerciseSpec
from posecount.pose import LM, Pose
from posecount.smoothing import unswap_legs

#: A foot's length over the leg's (hip→knee + knee→ankle): 0.152 over 0.245 + 0.246 of the standing height
#: (Drillis & Contini 1966; Winter, Biomechanics and Motor Control of Human Movement, 2009, table 4.1).
FOOT_PER_LEG_RATIO = 0.152 / (0.245 + 0.246)
#: One foot is off the floor when its centre is this many foot lengths above the other's (a foot flat on the floor
#: reads up to 0.2 higher or lower side-on: the far foot is seen from a little above) ...
LIFT_RATIO = 0.4
#: ... and a lifted foot stays off it down to this much less.
LIFT_HYSTERESIS_RATIO = 0.1
#: Dead band around each boundary between two stances' leads (foot lengths).
LEAD_HYSTERESIS_RATIO = 0.05
#: A front foot more than this beyond the last stance's lead (a gap between heel and toe) is a walking step.
MAX_GAP_RATIO = 0.5
#: A foot on the floor that moves this far (foot lengths) has stepped: about half the smallest change of stance.
STEP_RATIO = 0.25
#: The step detector compares the medians of this long before and after each frame, this far apart.
STEP_WINDOW_S = 0.5
STEP_GAP_S = 0.1
#: Lead and lift are a centred rolling median over this long before they are classified.
SMOOTH_S = 0.3
#: A stance shorter than this is a pause in a movement, not a stance taken.
MIN_STANCE_S = 1.0
#: A movement between two stances is fitted over itself and up to this much of each stance around it ...
FIT_PAD_S = 1.5
#: ... whose levels are read from the frames this far from the movement's first and last still frame ...
LEVEL_GAP_S = 0.3
#: ... as a step lasting between these (a step into a stance takes about a second).
MIN_MOVE_S = 0.2
MAX_MOVE_S = 3.0
#: A movement at either end of the video is timed when at least this much follows (precedes) it.
MIN_EDGE_S = 0.5
#: Noise floor of a foot coordinate (foot lengths) when weighing the fit's residuals.
NOISE_FLOOR_RATIO = 0.01

_FOOT = {"left": (LM.LEFT_HEEL, LM.LEFT_ANKLE, LM.LEFT_FOOT_INDEX),
         "right": (LM.RIGHT_HEEL, LM.RIGHT_ANKLE, LM.RIGHT_FOOT_INDEX)}
_LEG = {"left": (LM.LEFT_HIP, LM.LEFT_KNEE, LM.LEFT_ANKLE), "right": (LM.RIGHT_HIP, LM.RIGHT_KNEE, LM.RIGHT_ANKLE)}


# -- 1. the feet --------------------------------------------------------------------------------------------
@dataclass(frozen=True)
class FeetTrack:
    """The feet, frame by frame (N frames; NaN where no pose was found). Foot lengths, from an arbitrary origin:
    only differences and movements are read.

    t_s:              (N,) seconds of the video
    ahead_ratio:      (N, 2) each foot's centre (left, right) along the walking direction, smoothed landmarks
    height_ratio:     (N, 2) each foot's centre height (up), smoothed landmarks
    raw_ahead_ratio:  (N, 2) the same from the unsmoothed landmarks (timing); None: the smoothed ones
    raw_height_ratio: (N, 2) likewise
    """

    t_s: np.ndarray
    ahead_ratio: np.ndarray
    height_ratio: np.ndarray
    raw_ahead_ratio: np.ndarray | None = None
    raw_height_ratio: np.ndarray | None = None

    def __post_init__(self) -> None:
        n = len(self.t_s)
        for name in ("ahead_ratio", "height_ratio", "raw_ahead_ratio", "raw_height_ratio"):
            value = getattr(self, name)
            if value is not None and np.shape(value) != (n, 2):
                raise ValueError(f"feet track: {name} must be ({n}, 2), not {np.shape(value)}")
        if n > 1 and not np.all(np.diff(self.t_s) > 0):
            raise ValueError("feet track: t_s must increase")

    @property
    def lead_ratio(self) -> np.ndarray:
        """(N,) how far the left foot stands ahead of the right one (negative: behind), foot lengths."""
        return self.ahead_ratio[:, 0] - self.ahead_ratio[:, 1]

    @property
    def lift_ratio(self) -> np.ndarray:
        """(N,) how far the left foot is above the right one (negative: below), foot lengths."""
        return self.height_ratio[:, 0] - self.height_ratio[:, 1]

    def timing(self) -> tuple[np.ndarray, np.ndarray]:
        """(ahead, height) for timing movements: the unsmoothed positions when there are any."""
        ahead = self.raw_ahead_ratio if self.raw_ahead_ratio is not None else self.ahead_ratio
        height = self.raw_height_ratio if self.raw_height_ratio is not None else self.height_ratio
        return ahead, height


class FeetRecorder:
    """Collects the feet frame by frame (``add``), then gives the :class:`FeetTrack` (``track``).

    Keeps a few points per frame (heels, ankles, toes, legs), not the poses."""

    def __init__(self) -> None:
        self._t_s: list[float] = []
        self._feet: list[np.ndarray] = []  # (2 smoothed/raw, 2 feet, 3 points, x/y) pixels
        self._legs: list[float] = []

    def add(self, t_s: float, pose: Pose | None, raw: Pose | None = None) -> None:
        """One frame: its smoothed ``pose`` and the model's own (``raw``, unsmoothed; its legs are labelled as
        the smoothed pose's, which repaired the swaps)."""
        points = np.full((2, 2, 3, 2), np.nan)
        leg = math.nan
        if pose is not None:
            if raw is not None:
                raw = unswap_legs(raw, pose)
            for j, source in enumerate((pose, raw if raw is not None else pose)):
                xy = source.image_xy.astype(float)
                for k, side in enumerate(("left", "right")):
                    points[j, k] = xy[list(_FOOT[side])]
            xy = pose.image_xy.astype(float)
            leg = max(float(np.linalg.norm(xy[knee] - xy[hip]) + np.linalg.norm(xy[ankle] - xy[knee]))
                      for hip, knee, ankle in _LEG.values())
        self._t_s.append(float(t_s))
        self._feet.append(points)
        self._legs.append(leg)

    def __len__(self) -> int:
        return len(self._t_s)

    def track(self) -> FeetTrack:
        t_s = np.asarray(self._t_s, dtype=float)
        n = len(t_s)
        legs = np.asarray(self._legs, dtype=float)
        found = np.isfinite(legs) & (legs > 0)
        if not found.any():
            nan = np.full((n, 2), np.nan)
            return FeetTrack(t_s, nan, nan.copy())
        feet = np.asarray(self._feet, dtype=float).reshape(n, 2, 2, 3, 2)
        foot_px = FOOT_PER_LEG_RATIO * float(np.median(legs[found]))
        # Facing image-right the toes are right of the heels: "ahead" is +x, else -x.
        facing = 1.0 if np.nanmedian(feet[found, 0, :, 2, 0] - feet[found, 0, :, 0, 0]) >= 0 else -1.0
        centre = feet.mean(axis=3)  # (n, smoothed/raw, 2 feet, x/y)
        ahead, height = facing * centre[..., 0] / foot_px, -centre[..., 1] / foot_px
        return FeetTrack(t_s, ahead[:, 0], height[:, 0], ahead[:, 1], height[:, 1])


def feet_track(frames: Sequence[tuple[float, Pose | None]]) -> FeetTrack:
    """The feet of ``frames`` ((t_s, smoothed pose or None) pairs), seen side-on (see the module docstring)."""
    recorder = FeetRecorder()
    for t_s, pose in frames:
        recorder.add(t_s, pose)
    return recorder.track()


# -- 2. the stance of a frame -------------------------------------------------------------------------------
def _floor_bands(stances: Sequence[StanceDef]) -> list[tuple[str, float, float]]:
    """(name, lowest lead, highest lead) of each stance on both feet: the boundaries halfway between leads."""
    floor = sorted((s for s in stances if s.lead_ratio is not None), key=lambda s: s.lead_ratio or 0.0)
    bands = []
    for i, s in enumerate(floor):
        lead = s.lead_ratio or 0.0
        lo = -math.inf if i == 0 else (lead + (floor[i - 1].lead_ratio or 0.0)) / 2
        hi = lead + MAX_GAP_RATIO if i == len(floor) - 1 else (lead + (floor[i + 1].lead_ratio or 0.0)) / 2
        bands.append((s.name, lo, hi))
    return bands


def classify_stance(lead_ratio: float, lift_ratio: float, stances: Sequence[StanceDef],
                    previous: str | None = None) -> str | None:
    """The stance of one frame: the lifted stance when a foot is ``LIFT_RATIO`` above the other, else the stance
    whose lead is nearest ``|lead_ratio|``; None for no stance (feet apart, unseen). ``previous`` (the stance of
    the frame before) is kept within the hysteresis bands around its boundaries."""
    if not (math.isfinite(lead_ratio) and math.isfinite(lift_ratio)):
        return None
    lifted = next((s.name for s in stances if s.lifted), None)
    lift_needed = LIFT_RATIO - (LIFT_HYSTERESIS_RATIO if previous is not None and previous == lifted else 0.0)
    if abs(lift_ratio) >= lift_needed:
        return lifted
    lead = abs(lead_ratio)
    bands = _floor_bands(stances)
    for name, lo, hi in bands:
        if name == previous and lo - LEAD_HYSTERESIS_RATIO <= lead < hi + LEAD_HYSTERESIS_RATIO:
            return name
    return next((name for name, lo, hi in bands if lo <= lead < hi), None)


def _rolling(t_s: np.ndarray, x: np.ndarray, lo_s: float, hi_s: float) -> np.ndarray:
    """The median of ``x`` over [t + lo_s, t + hi_s] at every t (NaN where that window holds no value)."""
    out = np.full(len(x), np.nan)
    starts = np.searchsorted(t_s, t_s + lo_s, side="left")
    ends = np.searchsorted(t_s, t_s + hi_s, side="right")
    for i, (a, b) in enumerate(zip(starts, ends, strict=True)):
        window = x[a:b]
        window = window[np.isfinite(window)]
        if window.size:
            out[i] = float(np.median(window))
    return out


def classify_frames(feet: FeetTrack, stances: Sequence[StanceDef]) -> list[str | None]:
    """Every frame's stance (:func:`classify_stance` on the lead and lift smoothed over ``SMOOTH_S``)."""
    lead = _rolling(feet.t_s, feet.lead_ratio, -SMOOTH_S / 2, SMOOTH_S / 2)
    lift = _rolling(feet.t_s, feet.lift_ratio, -SMOOTH_S / 2, SMOOTH_S / 2)
    out: list[str | None] = []
    previous = None
    for d, h in zip(lead, lift, strict=True):
        previous = classify_stance(float(d), float(h), stances, previous)
        out.append(previous)
    return out


# -- 3. stance periods ----------------------------------------------------------------------------------------
@dataclass(frozen=True)
class StancePeriod:
    """A stance kept with the feet still, from when it was taken to when it was left (seconds of the video)."""

    name: str
    start_s: float
    end_s: float

    @property
    def duration_s(self) -> float:
        return self.end_s - self.start_s


def stepping(feet: FeetTrack, classes: Sequence[str | None], lifted: str | None) -> np.ndarray:
    """(N,) bool: a foot on the floor is moving (the medians of ``STEP_WINDOW_S`` before and after differ by
    ``STEP_RATIO`` or more). A lifted foot is free to move in the air; putting it down changes the stance."""
    t = feet.t_s
    moving = np.zeros(len(t), dtype=bool)
    up = np.array([c is not None and c == lifted for c in classes])
    for coords in (feet.ahead_ratio, feet.height_ratio):
        for k in range(2):
            x = coords[:, k].copy()
            higher = feet.height_ratio[:, k] > feet.height_ratio[:, 1 - k]
            x[up & higher] = np.nan  # the lifted foot
            before = _rolling(t, x, -STEP_GAP_S - STEP_WINDOW_S, -STEP_GAP_S)
            after = _rolling(t, x, STEP_GAP_S, STEP_GAP_S + STEP_WINDOW_S)
            with np.errstate(invalid="ignore"):
                moving |= np.abs(after - before) >= STEP_RATIO
    return moving


def _runs(t_s: np.ndarray, labels: Sequence[str | None]) -> list[StancePeriod]:
    """Runs of one label (None: no stance) at least ``MIN_STANCE_S`` long, from first to last frame."""
    runs: list[StancePeriod] = []
    i = 0
    while i < len(labels):
        j = i
        while j + 1 < len(labels) and labels[j + 1] == labels[i]:
            j += 1
        name = labels[i]
        if name is not None and t_s[j] - t_s[i] >= MIN_STANCE_S:
            runs.append(StancePeriod(name, float(t_s[i]), float(t_s[j])))
        i = j + 1
    return runs


def stance_periods(feet: FeetTrack, stances: Sequence[StanceDef]) -> list[StancePeriod]:
    """The stances kept with the feet still, timed by the movements between them (module docstring, 3 and 4)."""
    classes = classify_frames(feet, stances)
    lifted = next((s.name for s in stances if s.lifted), None)
    moving = stepping(feet, classes, lifted)
    still = [None if m else c for c, m in zip(classes, moving, strict=True)]
    return _timed(feet, _runs(feet.t_s, still))


# -- 4. timing the movements ---------------------------------------------------------------------------------
def _min_jerk(u: np.ndarray) -> np.ndarray:
    u = np.clip(u, 0.0, 1.0)
    return u**3 * (10.0 - 15.0 * u + 6.0 * u**2)


@dataclass(frozen=True)
class FootLevels:
    """Where one foot is before and after a movement (foot lengths), and how much its landmarks jitter there."""

    ahead: tuple[float, float]
    height: tuple[float, float]
    ahead_noise: float
    height_noise: float

    @property
    def moved_ratio(self) -> float:
        return max(abs(self.ahead[1] - self.ahead[0]), abs(self.height[1] - self.height[0]))


def fit_step(t_s: np.ndarray, ahead: np.ndarray, height: np.ndarray, lo_s: float, hi_s: float,
             levels: FootLevels) -> tuple[float, float] | None:
    """When one foot's step between ``levels`` best matches its path within [lo_s, hi_s]: (start, end) seconds.

    The step: ``ahead`` goes from its first level to its second as a minimum-jerk movement, ``height`` likewise
    plus an arc (half a sine of fitted height, never below: the foot clears the floor). The residuals are weighed
    by each coordinate's jitter and summed as absolute values, so that a landmark's brief jumps do not pull the
    fit. Start and end are searched on the frame grid; None when there are too few samples."""
    ok = np.isfinite(ahead) & np.isfinite(height) & (t_s >= lo_s) & (t_s <= hi_s)
    t, a, h = t_s[ok], ahead[ok], height[ok]
    if len(t) < 8 or hi_s - lo_s < MIN_MOVE_S:
        return None
    dt = float(np.median(np.diff(t)))
    t0, dur = np.meshgrid(np.arange(lo_s, hi_s - MIN_MOVE_S + 1e-9, dt),
                          np.arange(MIN_MOVE_S, min(MAX_MOVE_S, hi_s - lo_s) + 1e-9, dt), indexing="ij")
    keep = (t0 + dur) <= hi_s + 1e-9
    t0, dur = t0[keep], dur[keep]
    (a0, a1), (h0, h1) = levels.ahead, levels.height
    u = np.clip((t[None, :] - t0[:, None]) / dur[:, None], 0.0, 1.0)  # (candidates, samples)
    m = _min_jerk(u)
    arc = np.sin(np.pi * u)
    rh = h[None, :] - h0 - (h1 - h0) * m
    lift = np.clip((rh * arc).sum(axis=1) / np.maximum((arc * arc).sum(axis=1), 1e-12), 0.0, None)
    cost = (np.abs(a[None, :] - a0 - (a1 - a0) * m).sum(axis=1) / levels.ahead_noise
            + np.abs(rh - lift[:, None] * arc).sum(axis=1) / levels.height_noise)
    g = int(np.argmin(cost))
    return float(t0[g]), float(t0[g] + dur[g])


def _levels(t_s: np.ndarray, ahead: np.ndarray, height: np.ndarray, before: tuple[float, float],
            after: tuple[float, float]) -> FootLevels | None:
    """One foot's levels: the medians over the ``before`` and ``after`` windows (seconds), and its jitter there
    (1.4826 median absolute deviations, at least ``NOISE_FLOOR_RATIO``); None where a window holds nothing."""
    out = []
    for x in (ahead, height):
        parts = [x[(t_s >= lo) & (t_s <= hi) & np.isfinite(x)] for lo, hi in (before, after)]
        if not all(p.size for p in parts):
            return None
        mids = [float(np.median(p)) for p in parts]
        spread = np.concatenate([p - mid for p, mid in zip(parts, mids, strict=True)])
        out.append((mids, max(NOISE_FLOOR_RATIO, 1.4826 * float(np.median(np.abs(spread))))))
    (ahead_mid, ahead_noise), (height_mid, height_noise) = out
    return FootLevels((ahead_mid[0], ahead_mid[1]), (height_mid[0], height_mid[1]), ahead_noise, height_noise)


def time_movement(feet: FeetTrack, still_until_s: float, still_from_s: float, lo_s: float, hi_s: float
                  ) -> tuple[float, float] | None:
    """When the movement between two stances started and ended: the feet are still up to ``still_until_s`` and
    again from ``still_from_s`` (by the step detector; the fit looks within [lo_s, hi_s]). Each foot that moved
    ``STEP_RATIO`` or more is fitted (:func:`fit_step`): (first start, last end); None when no foot moved."""
    t = feet.t_s
    ahead, height = feet.timing()
    before = (lo_s, max(lo_s, still_until_s - LEVEL_GAP_S))
    after = (min(hi_s, still_from_s + LEVEL_GAP_S), hi_s)
    if before[1] - before[0] < 0.1:
        before = (lo_s, still_until_s)
    if after[1] - after[0] < 0.1:
        after = (still_from_s, hi_s)
    fits = []
    for k in range(2):
        levels = _levels(t, ahead[:, k], height[:, k], before, after)
        if levels is None or levels.moved_ratio < STEP_RATIO:
            continue
        fit = fit_step(t, ahead[:, k], height[:, k], lo_s, hi_s, levels)
        if fit is not None:
            fits.append(fit)
    if not fits:
        return None
    return min(f[0] for f in fits), max(f[1] for f in fits)


def _left(feet: FeetTrack, p: StancePeriod, until_s: float) -> StancePeriod:
    """``p`` ending where the feet start moving out of it (the movement fitted up to ``until_s``)."""
    timed = time_movement(feet, p.end_s, until_s - LEVEL_GAP_S, max(p.start_s, p.end_s - FIT_PAD_S), until_s)
    return p if timed is None else replace(p, end_s=max(p.start_s, timed[0]))


def _taken(feet: FeetTrack, q: StancePeriod, since_s: float) -> StancePeriod:
    """``q`` starting where the feet arrive in it (the movement fitted from ``since_s``)."""
    timed = time_movement(feet, since_s + LEVEL_GAP_S, q.start_s, since_s, min(q.end_s, q.start_s + FIT_PAD_S))
    return q if timed is None else replace(q, start_s=min(q.end_s, timed[1]))


def _timed(feet: FeetTrack, periods: list[StancePeriod]) -> list[StancePeriod]:
    """``periods`` with each boundary moved to where the movement between two periods starts and ends (one fit
    across a short gap, each side on its own across one longer than ``MAX_MOVE_S``; a movement into the first or
    out of the last too, with ``MIN_EDGE_S`` of video beyond it). Two periods of one stance with no foot moved
    between them are one."""
    if not periods:
        return []
    first_s, last_s = float(feet.t_s[0]), float(feet.t_s[-1])
    out = [periods[0]]
    if out[0].start_s - first_s >= MIN_EDGE_S:
        out[0] = _taken(feet, out[0], max(first_s, out[0].start_s - MAX_MOVE_S))
    for q in periods[1:]:
        p = out[-1]
        if q.start_s - p.end_s > MAX_MOVE_S:  # more than one movement, or none seen: each side on its own
            out[-1] = _left(feet, p, p.end_s + MAX_MOVE_S)
            out.append(_taken(feet, q, q.start_s - MAX_MOVE_S))
            continue
        lo, hi = max(p.start_s, p.end_s - FIT_PAD_S), min(q.end_s, q.start_s + FIT_PAD_S)
        timed = time_movement(feet, p.end_s, q.start_s, lo, hi)
        if timed is None:
            if q.name == p.name:
                out[-1] = replace(p, end_s=q.end_s)
            else:
                out.append(q)
            continue
        out[-1] = replace(p, end_s=max(p.start_s, timed[0]))
        out.append(replace(q, start_s=min(q.end_s, timed[1])))
    if last_s - out[-1].end_s >= MIN_EDGE_S:
        out[-1] = _left(feet, out[-1], min(last_s, out[-1].end_s + MAX_MOVE_S))
    return out


# -- 5. the protocol ------------------------------------------------------------------------------------------
@dataclass(frozen=True)
class StanceTime:
    """One stance of the test as the protocol times it: taken at ``start_s``, left at ``end_s`` (seconds of the
    video); ``held_s`` is that time up to the protocol's hold; ``held`` when kept the whole hold."""

    name: str
    start_s: float
    end_s: float
    held_s: float
    held: bool

    def to_dict(self) -> dict[str, object]:
        return {"name": self.name, "start_s": round(self.start_s, 3), "end_s": round(self.end_s, 3),
                "held_s": round(self.held_s, 2), "held": self.held}


@dataclass(frozen=True)
class BalanceResult:
    """A stances test's outcome (the ``test`` object of report.json, like the other tests' with ``stances``,
    ``ended_by`` and ``fall_risk`` added)."""

    protocol: ProtocolSpec
    start_s: float | None  # when the first stance was taken (None: none was)
    start_from: str  # "given" or "first stance taken"
    stances: tuple[StanceTime, ...]
    ended_by: str | None  # the first stance not held (None: all held)
    age: int | None = None
    sex: Sex | None = None

    @property
    def completed(self) -> bool:
        """The test was done: its first stance was taken (it then ends at a stance not held, or after the last)."""
        return bool(self.stances)

    @property
    def fall_risk(self) -> bool | None:
        """The protocol's increased risk of falling: its fall-risk stance not held (None: no test, or no rule)."""
        rule = self.protocol.fall_risk_stance
        if rule is None or not self.completed:
            return None
        return not any(s.name == rule and s.held for s in self.stances)

    def verdict(self) -> str:
        if not self.completed:
            first = self.protocol.stances[0].title.lower()
            return f"not done: no stance with the {first} was found"
        hold = self.protocol.hold_s or 0.0
        parts = [f"{s.name.replace('_', '-')} {s.held_s:.1f} s" + ("" if s.held else " (not held)")
                 for s in self.stances]
        what = ", ".join(parts)
        if self.ended_by is None:
            what += f": all {len(self.stances)} stances held {hold:g} s"
        else:
            what += f"; the test ended at the {self.ended_by.replace('_', '-')} stance"
        rule = self.protocol.fall_risk_stance
        if rule is None:
            return what
        if self.fall_risk:
            return f"{what}: increased risk of falling ({rule.replace('_', '-')} stance not held {hold:g} s)"
        return f"{what}: no increased risk of falling by this test"

    def to_dict(self) -> dict[str, object]:
        p = self.protocol
        rule = p.fall_risk_stance
        return {
            "name": p.name, "title": p.title, "exercise": p.exercise, "kind": p.kind,
            "start_s": None if self.start_s is None else round(self.start_s, 3), "start_from": self.start_from,
            "hold_s": p.hold_s, "stances": [s.to_dict() for s in self.stances], "ended_by": self.ended_by,
            "fall_risk": self.fall_risk, "completed": self.completed, "voided_by": None,
            "age": self.age, "sex": self.sex,
            "norm": None if rule is None or not self.completed else {
                "rule": p.norm, "stance": rule, "threshold": p.hold_s, "below_norm": self.fall_risk},
            "norm_source": p.norm_source, "protocol_sources": list(p.sources), "verdict": self.verdict(),
        }


def _first_stance(periods: Sequence[StancePeriod], order: Sequence[str], hold_s: float,
                  start_s: float | None) -> int | None:
    """Which period is the test's first stance: with "go" given, the first of that stance still kept then;
    else the first followed by the next stance (getting into position may take a few tries), else the first
    held, else the longest."""
    found = [i for i, p in enumerate(periods) if p.name == order[0] and (start_s is None or p.end_s > start_s)]
    if not found:
        return None
    if start_s is not None:
        return found[0]
    following = [i for i in found if len(order) > 1 and i + 1 < len(periods) and periods[i + 1].name == order[1]]
    held = [i for i in found if periods[i].duration_s >= hold_s]
    return (following or held or [max(found, key=lambda i: periods[i].duration_s)])[0]


def score_periods(protocol: ProtocolSpec, periods: Sequence[StancePeriod], start_s: float | None = None,
                  age: int | None = None, sex: Sex | None = None) -> BalanceResult:
    """The protocol applied to the stance periods: from the first stance on, each stance in order timed up to
    ``hold_s``; the test ends at the first not held, or not taken next."""
    if protocol.kind != "stances" or protocol.hold_s is None:
        raise ValueError(f"{protocol.name} is not a stances test")
    order = [s.name for s in protocol.stances]
    hold = protocol.hold_s
    i = _first_stance(periods, order, hold, start_s)
    timed: list[StanceTime] = []
    ended_by: str | None = order[0]
    k = 0
    while i is not None:
        p = periods[i]
        begin = max(p.start_s, start_s) if k == 0 and start_s is not None else p.start_s
        kept = p.end_s - begin
        timed.append(StanceTime(p.name, begin, p.end_s, min(kept, hold), kept >= hold))
        k += 1
        if kept < hold:
            ended_by = p.name
            break
        if k == len(order):
            ended_by = None
            break
        ended_by = order[k]  # unless it is taken next
        i = i + 1 if i + 1 < len(periods) and periods[i + 1].name == order[k] else None
    return BalanceResult(protocol, timed[0].start_s if timed else None,
                         "given" if start_s is not None else "first stance taken", tuple(timed), ended_by, age, sex)


def score_balance(protocol: ProtocolSpec, feet: FeetTrack, start_s: float | None = None, age: int | None = None,
                  sex: Sex | None = None) -> BalanceResult:
    """Score a stances test from the feet of every frame of the video (:class:`FeetRecorder`)."""
    return score_periods(protocol, stance_periods(feet, protocol.stances), start_s, age, sex)


def stance_spec(protocol: ProtocolSpec) -> ExerciseSpec:
    """The engine's exercise for a stances test: standing side-on, counting nothing (its drive, the hips' height,
    would have to fall to a fifth of the leg: a fall to the floor), so that the one Session runs it like any
    other (frames.csv, the overlay, the view check)."""
    return ExerciseSpec.model_validate({
        "name": protocol.name, "title": protocol.title, "description": protocol.description,
        "view": "side", "posture": "standing", "track": "whole_body", "goal_per_side": len(protocol.stances),
        "drive": {"feature": "hip_height_ratio", "unit": "ratio", "direction": "fall", "rest": 1.0,
                  "start": 0.3, "target": 0.2, "hysteresis": 0.05, "min_hold_s": 1.0},
        "messages": {"lift": "Hold the stance", "hold": "Hold… {hold_s:.0f} s", "lower": "Stand still",
                     "praise": "Well done", "other_leg": "Next stance", "too_small": "Hold the stance",
                     "too_short": "Hold the stance", "too_fast": "Stand still"},
        "sources": list(protocol.sources),
    })


__all__ = [
    "BalanceResult",
    "FeetRecorder",
    "FeetTrack",
    "FootLevels",
    "StancePeriod",
    "StanceTime",
    "classify_frames",
    "classify_stance",
    "feet_track",
    "fit_step",
    "score_balance",
    "score_periods",
    "stance_periods",
    "stance_spec",
    "stepping",
    "time_movement",
]
