"""THE hold model: is the leg holding the position? One piece of code for the screen and for the verdict.

Clinically, "hold the position" means the leg stays up, at or above the target, and is not being moved
on purpose. So a frame is *held* when

* the driving angle (the median of 5 frames around it) is at or above the target (once the target has been
  reached in this attempt, down to ``target - hysteresis``, so landmark jitter at the line does not cut the
  hold), and
* the leg is not moving deliberately: the slope of the angle over ``window_s`` centred on the frame (a
  Theil-Sen slope, which a glitch of a frame or two cannot swing) is at most ``move_speed_per_s`` either way.

Why a slope over a window and no band around the peak: people with weak legs sway and tremble while they
hold. Over a 0.6 s window the slope of natural sway (±2° at 0.5 Hz) is at most ~6°/s, of a ±1.5° tremor at
1 Hz ~6.5°/s (the window averages it), of a 4-8 Hz tremor under 1°/s; a slow sag of a tiring leg is a few
degrees a second. A deliberate lift or lowering is faster for most of its way (a controlled 25° lowering
over 2 s peaks near 23°/s on a minimum-jerk profile), so its slow first and last few degrees are the only
part of it that can pass as held. The limits per exercise are in its spec (``hold_max_speed_per_s``; a drive
in another unit than degrees, e.g. a ratio, states its own). Values are the drive's, signed to rise away
from rest (the engine's ``sign * value``).

A hold is a run of held frames. A dip (frames seen and not held) shorter than ``grace_s`` is bridged;
frames never seen (skipped by a busy live loop, a landmark lost for a moment) do not break a run unless
the gap is longer than ``max_gap_s``. The verdict is the longest run; live shows the current run.

A frame is decided once the window after it has been seen, so a decision comes ``window_s / 2`` late:
the screen's hold timer runs that much behind the leg (plus the engine's own ``dip_fill_s``). In exchange
it never counts a moment that the verdict will not, and "hold complete" on screen means the report says
the hold was long enough.
"""

from __future__ import annotations

import statistics
from collections import deque
from dataclasses import dataclass

import numpy as np


@dataclass(frozen=True)
class HoldRules:
    """What a hold is for one exercise (from its :class:`~posecount.exercises.spec.DriveSpec`)."""

    target: float  # in the drive's unit, signed so that it rises away from rest (degrees for an angle)
    hysteresis: float
    move_speed_per_s: float
    window_s: float = 0.6
    grace_s: float = 0.25
    max_gap_s: float = 1.0


@dataclass(frozen=True)
class HoldRun:
    """A run of held frames: sample indices (within the attempt) and times of its first and last frame."""

    first: int
    last: int
    start_ms: int
    end_ms: int
    period_ms: float  # the frame interval the run's length is rounded up by

    @property
    def duration_s(self) -> float:
        """From the first held frame to the end of the last one."""
        return (self.end_ms - self.start_ms + self.period_ms) / 1000.0


class HoldTracker:
    """Follows one attempt's (time, angle) samples and decides, frame by frame, whether the leg is held.

    Feed every seen sample with :meth:`add` (finite angles only, increasing times); call :meth:`flush`
    when the attempt ends to decide the last frames with the window that exists. Pure: no clock.
    """

    def __init__(self, rules: HoldRules) -> None:
        self.rules = rules
        self._t: list[int] = []
        self._a: list[float] = []
        self._decided = 0  # samples [0, _decided) are decided
        self._reached = False
        self._intervals: deque[int] = deque(maxlen=31)
        self._run: tuple[int, int] | None = None  # (first, last) held sample of the current run
        self._dip_since: int | None = None  # time of the first not-held sample after the run's last one
        self.best: HoldRun | None = None

    # -- input ------------------------------------------------------------------------------------------
    def add(self, t_ms: int, value: float) -> None:
        if self._t:
            self._intervals.append(t_ms - self._t[-1])
        self._t.append(t_ms)
        self._a.append(value)
        half_ms = self.rules.window_s * 500.0
        while self._decided < len(self._t) and self._t[self._decided] + half_ms <= t_ms:
            self._decide(self._decided)

    def flush(self) -> None:
        """Decide every remaining frame (the attempt is over: its windows are cut at the end)."""
        while self._decided < len(self._t):
            self._decide(self._decided)

    # -- output -----------------------------------------------------------------------------------------
    @property
    def times_ms(self) -> list[int]:
        """Every sample's time, in order (the attempt's record; read, do not change)."""
        return self._t

    @property
    def values(self) -> list[float]:
        """Every sample's drive value (degrees for an angle), in order."""
        return self._a

    @property
    def reached(self) -> bool:
        """The target was reached (a decided frame's 5-sample median at or above it)."""
        return self._reached

    @property
    def period_ms(self) -> float:
        return float(statistics.median(self._intervals)) if self._intervals else 0.0

    @property
    def current(self) -> HoldRun | None:
        """The run going on at the last decided frame (None once a dip outlasted the grace)."""
        if self._run is None:
            return None
        first, last = self._run
        return HoldRun(first, last, self._t[first], self._t[last], self.period_ms)

    @property
    def current_s(self) -> float:
        run = self.current
        return run.duration_s if run is not None else 0.0

    @property
    def best_s(self) -> float:
        return self.best.duration_s if self.best is not None else 0.0

    # -- the decision -----------------------------------------------------------------------------------
    def _decide(self, i: int) -> None:
        r = self.rules
        t = self._t[i]
        a = float(statistics.median(self._a[max(0, i - 2):i + 3]))  # one wild frame can neither reach nor hold
        level = r.target - r.hysteresis if self._reached else r.target
        held = a >= level and abs(self._slope(i)) <= r.move_speed_per_s
        self._reached = self._reached or a >= r.target
        self._decided = i + 1
        if held:
            if self._run is not None:
                # A dip longer than the grace has already ended the run (below): frames never seen after a
                # short dip do not lengthen it; only a gap longer than max_gap_s since the last held frame does.
                first, last = self._run
                unseen = t - self._t[last] > r.max_gap_s * 1000
                self._run = (i, i) if unseen else (first, i)
            else:
                self._run = (i, i)
            self._dip_since = None
            self._keep_best()
        elif self._run is not None:
            if self._dip_since is None:
                self._dip_since = t
            if t - self._dip_since > r.grace_s * 1000:
                self._run = None
                self._dip_since = None

    def _keep_best(self) -> None:
        run = self.current
        if run is not None and (self.best is None or run.duration_s > self.best.duration_s):
            self.best = run

    def _slope(self, i: int) -> float:
        """Theil-Sen slope (deg/s: the median of the pairwise slopes) of the samples within ``window_s / 2``
        of sample ``i``. The median, not a least-squares fit, so one or two frames of a landmark glitch do
        not make a held leg look as if it moved."""
        half_ms = self.rules.window_s * 500.0
        t0 = self._t[i]
        lo = i
        while lo > 0 and t0 - self._t[lo - 1] <= half_ms:
            lo -= 1
        hi = i
        while hi + 1 < len(self._t) and self._t[hi + 1] - t0 <= half_ms:
            hi += 1
        if hi - lo < 1:
            return 0.0
        ts = np.asarray(self._t[lo:hi + 1], dtype=np.float64) / 1000.0
        ys = np.asarray(self._a[lo:hi + 1], dtype=np.float64)
        a, b = np.triu_indices(ts.size, k=1)
        return float(np.median((ys[b] - ys[a]) / (ts[b] - ts[a])))


__all__ = ["HoldRules", "HoldRun", "HoldTracker"]
