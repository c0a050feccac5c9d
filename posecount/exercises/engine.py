"""The one engine that runs any :class:`ExerciseSpec`: a rep state machine per side, and the verdicts.

Per side::

    REST --angle > start--> LIFTING --angle >= target--> HOLDING --leaves the peak band--> LOWERING
      ^                        |                                                             |
      +---- angle < start - hysteresis (attempt ends: verdict) ------------------------------+

Time comes only from frame timestamps. While an attempt is open its samples are kept (memory is bounded
by one attempt, not by the video); when the leg is back at rest the attempt gets its verdict from those
samples: the peak (after a 5-sample median against single-frame spikes), the hold (the longest stretch
within ``hold_band_deg`` of that peak and slower than ``hold_max_speed_deg_s``,
dips shorter than ``hold_grace_s`` bridged), the lowering time
(80 %→30 % of the way back to the rest level, scaled to the whole way) and the form rules. Live and
offline feed the same frames through the same code, so they count the same.

A side whose driving angle is NaN (leg not visible, wrong view) is frozen: it never advances, and an
attempt unseen for longer than ``max_gap_s`` is dropped, never counted.
"""

from __future__ import annotations

import math
from collections import deque
from collections.abc import Mapping
from dataclasses import dataclass, field
from enum import StrEnum

import numpy as np

from posecount.exercises.spec import SIDES, ExerciseSpec, FormRule, Side

#: Lowering is timed between 80 % and 30 % of the way down and scaled to the whole way assuming the smooth
#: bell-shaped speed of a controlled human movement (a cosine ease): that span is this fraction of it.
LOWER_SPAN_FRACTION = (math.acos(-0.4) - math.acos(0.6)) / math.pi  # 0.336

#: An attempt longer than this is abandoned (someone left the leg up, or the view is wrong).
MAX_ATTEMPT_S = 120.0


class Phase(StrEnum):
    REST = "rest"
    LIFTING = "lifting"
    HOLDING = "holding"
    LOWERING = "lowering"


class EventKind(StrEnum):
    ATTEMPT_STARTED = "attempt_started"
    TARGET_REACHED = "target_reached"
    HOLD_COMPLETE = "hold_complete"
    REP_FINISHED = "rep_finished"  # rep.counted says whether it counted, rep.faults why not / what to fix
    FORM_FAULT = "form_fault"  # live: a rule is being broken right now
    ATTEMPT_DROPPED = "attempt_dropped"  # the leg went out of sight mid-attempt


@dataclass(frozen=True)
class RepRecord:
    """One attempt and its verdict; the fields of ``reps`` in report.json."""

    index: int
    side: Side
    start_s: float
    peak_s: float
    end_s: float
    hold_s: float
    peak_angle_deg: float
    counted: bool
    faults: tuple[str, ...]
    lower_s: float | None = None

    def to_dict(self) -> dict[str, object]:
        return {
            "index": self.index, "side": self.side, "start_s": round(self.start_s, 3),
            "peak_s": round(self.peak_s, 3), "end_s": round(self.end_s, 3), "hold_s": round(self.hold_s, 2),
            "peak_angle_deg": round(self.peak_angle_deg, 1), "counted": self.counted,
            "faults": list(self.faults),
        }


@dataclass(frozen=True)
class RepEvent:
    kind: EventKind
    side: Side
    timestamp_ms: int
    rep: RepRecord | None = None
    code: str | None = None
    message: str | None = None


@dataclass
class SideState:
    """What the screen needs to know of one side; read-only for everyone but the engine."""

    side: Side
    phase: Phase = Phase.REST
    angle_deg: float = math.nan
    peak_deg: float = math.nan
    hold_s: float = 0.0  # live estimate of the current hold
    counted: int = 0
    attempts: int = 0
    visible: bool = False
    active_faults: tuple[str, ...] = ()  # form rules broken right now (for at least their min duration)


@dataclass
class _Attempt:
    start_ms: int
    t_ms: list[int] = field(default_factory=list)
    angle: list[float] = field(default_factory=list)
    rule_values: dict[str, list[float]] = field(default_factory=dict)
    rest_level_deg: float = math.nan
    last_seen_ms: int = 0
    reached: bool = False
    hold_start_ms: int | None = None
    hold_done: bool = False
    live_faults: set[str] = field(default_factory=set)
    violation_since_ms: dict[str, int] = field(default_factory=dict)
    below_since_ms: int | None = None
    rest_since_ms: int | None = None


@dataclass(frozen=True)
class FeatureFrame:
    """What the engine reads each frame: per-side and whole-body features (NaN = unknown)."""

    timestamp_ms: int
    sides: Mapping[Side, Mapping[str, float]]
    body: Mapping[str, float]


class RepCounter:
    """Runs one :class:`ExerciseSpec` on a stream of :class:`FeatureFrame`. Pure: no pixels, no clock."""

    def __init__(self, spec: ExerciseSpec) -> None:
        self.spec = spec
        self.states: dict[Side, SideState] = {s: SideState(side=s) for s in SIDES}
        self.reps: list[RepRecord] = []
        self._attempts: dict[Side, _Attempt | None] = {s: None for s in SIDES}
        self._rest: dict[Side, deque[float]] = {s: deque(maxlen=30) for s in SIDES}

    # -- public ---------------------------------------------------------------------------------------
    def update(self, frame: FeatureFrame) -> list[RepEvent]:
        events: list[RepEvent] = []
        for side in SIDES:
            events.extend(self._update_side(side, frame))
        return events

    def finish(self, timestamp_ms: int) -> list[RepEvent]:
        """End of the session: an attempt still open is closed as ``incomplete`` (never counted)."""
        events = []
        for side in SIDES:
            attempt = self._attempts[side]
            if attempt is not None and attempt.t_ms:
                if attempt.rest_since_ms is not None:  # already back at rest, just not confirmed yet
                    events.append(self._close(side, attempt, attempt.rest_since_ms))
                else:
                    events.append(self._close(side, attempt, attempt.t_ms[-1], incomplete=True))
        return events

    def reset(self) -> None:
        self.__init__(self.spec)  # type: ignore[misc]

    @property
    def counts(self) -> dict[str, int]:
        left, right = self.states["left"].counted, self.states["right"].counted
        return {"left": left, "right": right, "total": left + right}

    # -- the state machine ----------------------------------------------------------------------------
    def _update_side(self, side: Side, frame: FeatureFrame) -> list[RepEvent]:
        d = self.spec.drive
        st = self.states[side]
        t = frame.timestamp_ms
        angle = float(frame.sides.get(side, {}).get(d.feature, math.nan))
        st.angle_deg = angle
        st.visible = math.isfinite(angle)
        if st.visible and not self._gates_pass(side, frame):
            angle = math.nan  # not this exercise right now: frozen like an unseen leg
        attempt = self._attempts[side]
        if not math.isfinite(angle):
            if attempt is not None and t - attempt.last_seen_ms > d.max_gap_s * 1000:
                self._attempts[side] = None
                st.phase, st.hold_s, st.peak_deg, st.active_faults = Phase.REST, 0.0, math.nan, ()
                return [RepEvent(EventKind.ATTEMPT_DROPPED, side, t,
                                 message=f"Lost sight of your {side} leg")]
            return []

        if attempt is None:
            if angle > d.start_deg:
                return self._open(side, frame, angle)
            self._rest[side].append(angle)
            return []

        events: list[RepEvent] = []
        attempt.last_seen_ms = t
        self._record(attempt, frame, side, angle)
        st.peak_deg = max(st.peak_deg, angle) if math.isfinite(st.peak_deg) else angle

        if angle < d.start_deg - d.hysteresis_deg:
            # Back at rest, once it has stayed there: a leg cannot drop from the top to rest and back in a
            # few frames, so a shorter dip is a landmark glitch, not the end of the attempt.
            if attempt.rest_since_ms is None:
                attempt.rest_since_ms = t
            if t - attempt.rest_since_ms >= d.rest_confirm_s * 1000:
                events.append(self._close(side, attempt, attempt.rest_since_ms))
                self._rest[side].append(angle)
                return events
        else:
            attempt.rest_since_ms = None
        if t - attempt.start_ms > MAX_ATTEMPT_S * 1000:
            self._attempts[side] = None
            st.phase, st.hold_s = Phase.REST, 0.0
            return [RepEvent(EventKind.ATTEMPT_DROPPED, side, t, message="Rest your leg")]

        in_band = angle >= st.peak_deg - d.hold_band_deg and angle >= d.target_deg - d.hysteresis_deg
        if st.phase == Phase.LIFTING and angle >= d.target_deg:
            st.phase = Phase.HOLDING
            attempt.reached = True
            attempt.hold_start_ms = t
            events.append(RepEvent(EventKind.TARGET_REACHED, side, t))
        elif st.phase in (Phase.HOLDING, Phase.LOWERING):
            if in_band:
                attempt.below_since_ms = None
                if st.phase == Phase.LOWERING:  # lifted again: a new hold
                    st.phase, attempt.hold_start_ms = Phase.HOLDING, t
            elif st.phase == Phase.HOLDING:
                if attempt.below_since_ms is None:
                    attempt.below_since_ms = t
                if t - attempt.below_since_ms > d.hold_grace_s * 1000:
                    st.phase = Phase.LOWERING
        if st.phase == Phase.HOLDING and attempt.hold_start_ms is not None:
            st.hold_s = (t - attempt.hold_start_ms) / 1000.0
            if not attempt.hold_done and st.hold_s >= d.min_hold_s:
                attempt.hold_done = True
                events.append(RepEvent(EventKind.HOLD_COMPLETE, side, t))
        events.extend(self._live_rules(side, attempt, frame, t))
        return events

    def _gates_pass(self, side: Side, frame: FeatureFrame) -> bool:
        other: Side = "right" if side == "left" else "left"
        for gate in self.spec.gates:
            if gate.side == "body":
                value = frame.body.get(gate.feature, math.nan)
            else:
                value = frame.sides.get(side if gate.side == "working" else other, {}).get(gate.feature, math.nan)
            if not gate.passes(float(value)):
                return False
        return True

    def _open(self, side: Side, frame: FeatureFrame, angle: float) -> list[RepEvent]:
        rest = self._rest[side]
        attempt = _Attempt(start_ms=frame.timestamp_ms, last_seen_ms=frame.timestamp_ms,
                           rest_level_deg=float(np.median(rest)) if rest else self.spec.drive.start_deg)
        self._attempts[side] = attempt
        st = self.states[side]
        st.phase, st.peak_deg, st.hold_s = Phase.LIFTING, angle, 0.0
        self._record(attempt, frame, side, angle)
        return [RepEvent(EventKind.ATTEMPT_STARTED, side, frame.timestamp_ms)]

    def _record(self, attempt: _Attempt, frame: FeatureFrame, side: Side, angle: float) -> None:
        attempt.t_ms.append(frame.timestamp_ms)
        attempt.angle.append(angle)
        for rule in self.spec.rules:
            attempt.rule_values.setdefault(rule.code, []).append(_rule_value(rule, frame, side))

    def _live_rules(self, side: Side, attempt: _Attempt, frame: FeatureFrame, t: int) -> list[RepEvent]:
        events = []
        active: list[str] = []
        phase = self.states[side].phase
        for rule in self.spec.rules:
            if rule.window == "hold" and phase != Phase.HOLDING:
                attempt.violation_since_ms.pop(rule.code, None)
                continue
            value = _rule_value(rule, frame, side)
            if not (math.isfinite(value) and rule.violated(value)):
                attempt.violation_since_ms.pop(rule.code, None)
                continue
            since = attempt.violation_since_ms.setdefault(rule.code, t)
            if t - since >= rule.min_duration_s * 1000:
                active.append(rule.code)
                if rule.code not in attempt.live_faults:
                    attempt.live_faults.add(rule.code)
                    events.append(RepEvent(EventKind.FORM_FAULT, side, t, code=rule.code, message=rule.message))
        self.states[side].active_faults = tuple(active)
        return events

    # -- the verdict ----------------------------------------------------------------------------------
    def _close(self, side: Side, attempt: _Attempt, t_end: int, incomplete: bool = False) -> RepEvent:
        d = self.spec.drive
        t_ms = np.asarray(attempt.t_ms, dtype=np.float64)
        angle = _median5(np.asarray(attempt.angle, dtype=np.float64))
        i_peak = int(np.nanargmax(angle))
        peak = float(angle[i_peak])
        reached = bool(peak >= d.target_deg)
        # The hold: the longest stretch within the band below the peak (and still in the target range).
        # Near the peak *and* nearly still: the slow top of the rise and of the lowering is not a hold.
        band = (angle >= peak - d.hold_band_deg) & (angle >= d.target_deg - d.hysteresis_deg)
        still = band & (np.abs(_speed_deg_s(t_ms, angle)) <= d.hold_max_speed_deg_s)
        band = still if still.any() else band
        if not band.any():
            band = angle >= peak - d.hold_band_deg
        lo, hi = _longest_run(t_ms, band, d.hold_grace_s * 1000, d.max_gap_s * 1000)
        period_ms = float(np.median(np.diff(t_ms))) if len(t_ms) > 1 else 0.0
        hold_s = float(t_ms[hi] - t_ms[lo] + period_ms) / 1000.0 if reached else 0.0
        lower_s = _lowering_s(t_ms[hi:], angle[hi:], attempt.rest_level_deg, peak)

        faults: list[str] = []
        if not reached:
            faults.append("range_too_small")
        elif hold_s < d.min_hold_s:
            faults.append("hold_too_short")
        if incomplete:
            faults.append("incomplete")
        if reached and d.min_lower_s > 0 and lower_s is not None and lower_s < d.min_lower_s:
            faults.append("lowered_too_fast")
        for rule in self.spec.rules:
            values = np.asarray(attempt.rule_values.get(rule.code, []), dtype=np.float64)
            if rule.window == "hold":
                if not reached:
                    continue
                window = values[lo:hi + 1]
                window = window[np.isfinite(window)]
                if window.size and rule.violated(float(np.median(window))):
                    faults.append(rule.code)
            elif _sustained(t_ms, values, rule):
                faults.append(rule.code)

        counted = bool(reached and hold_s >= d.min_hold_s and not incomplete)
        rep = RepRecord(
            index=len(self.reps) + 1, side=side, start_s=attempt.start_ms / 1000.0,
            peak_s=float(t_ms[lo if reached else i_peak]) / 1000.0, end_s=t_end / 1000.0,
            hold_s=hold_s, peak_angle_deg=peak, counted=counted, faults=tuple(faults), lower_s=lower_s)
        self.reps.append(rep)
        st = self.states[side]
        st.attempts += 1
        st.counted += int(counted)
        st.phase, st.hold_s, st.peak_deg, st.active_faults = Phase.REST, 0.0, math.nan, ()
        self._attempts[side] = None
        return RepEvent(EventKind.REP_FINISHED, side, t_end, rep=rep)


def _rule_value(rule: FormRule, frame: FeatureFrame, side: Side) -> float:
    source = frame.sides.get(side, {}) if rule.side == "working" else frame.body
    return float(source.get(rule.feature, math.nan))


def _median5(x: np.ndarray) -> np.ndarray:
    """A 5-sample running median (NaN-aware), so a single wild frame cannot set the peak."""
    if x.size < 5:
        return x
    padded = np.pad(x, 2, mode="edge")
    windows = np.lib.stride_tricks.sliding_window_view(padded, 5)
    with np.errstate(all="ignore"):
        out = np.nanmedian(windows, axis=1) if np.isnan(x).any() else np.median(windows, axis=1)
    return out


def _speed_deg_s(t_ms: np.ndarray, angle: np.ndarray, window_s: float = 0.3) -> np.ndarray:
    """Angular speed as the least-squares slope over a centred window of ~``window_s`` (a first-order
    Savitzky-Golay derivative): far less noisy than a frame difference. Unknown speed counts as fast."""
    n = angle.size
    if n < 5:
        return np.zeros_like(angle)
    period_s = float(np.median(np.diff(t_ms))) / 1000.0 or 1 / 30
    half = max(2, round(window_s / period_s / 2))
    half = min(half, (n - 1) // 2)
    offsets = np.arange(-half, half + 1, dtype=np.float64)
    kernel = offsets / (np.sum(offsets**2) * period_s)
    filled = np.where(np.isfinite(angle), angle, np.nan)
    padded = np.pad(filled, half, mode="edge")
    windows = np.lib.stride_tricks.sliding_window_view(padded, 2 * half + 1)
    with np.errstate(all="ignore"):
        speed = windows @ kernel
    return np.where(np.isfinite(speed), speed, np.inf)


def _longest_run(t_ms: np.ndarray, mask: np.ndarray, bridge_ms: float, max_gap_ms: float) -> tuple[int, int]:
    """Indices (first, last) of the longest True run.

    Only samples actually seen outside the mask break a run, and only when that dip lasts longer than
    ``bridge_ms``. A stretch with no samples at all (frames a busy live loop skipped) does not break it,
    unless it is longer than ``max_gap_ms``.
    """
    idx = np.flatnonzero(mask)
    if idx.size == 0:
        return 0, 0
    start = last = int(idx[0])
    best = (start, start)
    for i in idx[1:]:
        i = int(i)
        gap_ms = t_ms[i] - t_ms[last]
        dipped = i > last + 1 and gap_ms > bridge_ms + (t_ms[last + 1] - t_ms[last])
        if dipped or (i == last + 1 and gap_ms > max_gap_ms):
            start = i
        last = i
        if t_ms[last] - t_ms[start] > t_ms[best[1]] - t_ms[best[0]]:
            best = (start, last)
    return best


def _lowering_s(t_ms: np.ndarray, angle: np.ndarray, rest_deg: float, peak_deg: float) -> float | None:
    """How long lowering takes from the peak to rest, measured between 80 % and 30 % of the way and
    scaled to 100 % by :data:`LOWER_SPAN_FRACTION` (the ends of a movement are slow and noisy; its middle
    is not)."""
    amplitude = peak_deg - rest_deg
    if not math.isfinite(amplitude) or amplitude <= 0 or t_ms.size < 2:
        return None
    level80 = rest_deg + 0.8 * amplitude
    level30 = rest_deg + 0.3 * amplitude
    below80 = np.flatnonzero(angle <= level80)
    if below80.size == 0:
        return None
    i80 = int(below80[0])
    below30 = np.flatnonzero(angle[i80:] <= level30)
    t30 = t_ms[i80 + int(below30[0])] if below30.size else t_ms[-1]
    return float((t30 - t_ms[i80]) / 1000.0 / LOWER_SPAN_FRACTION)


def _sustained(t_ms: np.ndarray, values: np.ndarray, rule: FormRule) -> bool:
    """True when the rule is broken for at least ``min_duration_s`` without a break."""
    since: float | None = None
    for t, v in zip(t_ms, values, strict=False):
        if math.isfinite(v) and rule.violated(float(v)):
            since = t if since is None else since
            if t - since >= rule.min_duration_s * 1000:
                return True
        else:
            since = None
    return False
