"""The one engine that runs any :class:`ExerciseSpec`: a rep state machine per side, and the verdicts.

Per side::

    REST --angle > start--> LIFTING --held (hold.py)--> HOLDING --hold ends--> LOWERING
      ^                        |                                                  |
      +---- angle < start - hysteresis, or settled 3/4 of the way down (verdict) --+

One such machine runs per *track* of the spec: each leg (a side leg raise; a seated knee extension, whose
near leg is the one measured), or the whole body (a sit-to-stand: one count, ``side`` "both"). The drive
is any registered feature, in degrees or a ratio, rising or falling away from rest; the engine works on
``sign * value`` so that "up" is always away from rest, and reports values in the drive's own terms.

Time comes only from frame timestamps. Thresholds are relative to the person's own rest: each track's rest
level is learned from its frames at rest (the median of the last second), and the start line (and, where
the spec says so, the target) moves with it, within ``rest_shift_max`` of the spec's ``rest``; so a wide
stance is not an open attempt, and a leg that never comes back down cannot ratchet the lines up. The
target never drops below the spec's own. A leg that has come three quarters of the way down from its peak
to its rest and stays still there for a second is back at rest too, though it reads above its end line
(side-on the model's resting knee moves 10-20 deg from one rest to the next: :data:`SETTLED_DOWN_SHARE`).

The hold is :mod:`posecount.exercises.hold`'s, one definition for the screen and the verdict: "hold
complete" on screen means the report counts the hold. While an attempt is open its samples are kept
(memory is bounded by one attempt, not by the video); when the leg is back at rest the attempt gets its
verdict: reached (the 5-sample median of the angle at or above the target), the hold (the longest held
run), the lowering time (80 %→30 % of the way back to the rest level from where the lowering began, each
half of that span scaled to the whole way for a minimum-jerk movement, the slower half taken: see
:func:`_lowering_s` and :func:`_descent_start`) and the form rules.
A form fault needs evidence that survives landmark noise: a rule at the top is judged on the median of its
feature over the hold (or its best-seen fifth), and only when the feature was measured (from landmarks the
model is sure of) on at least half of the hold (a third, for the best-seen fifth); a rule over the attempt
must be broken without a break for its ``min_duration_s``.

Before any of this, narrow dips of the drive back toward rest are filled (``drive.dip_fill_s``: 0.5 s for
the standing leg exercises, 0.8 s for the seated knee extension, where side-on the model may put both
ankles on the resting foot for longer): a morphological closing (the max over half the window either side,
then the min of that over the same) of each track's signed series. Why: when a lifted leg is hidden or
ambiguous (a chair in front of the legs, a straight leg seen side-on over the other one), the pose model
falls back on its prior, a leg at rest, for a few frames: the reading drops toward rest and comes back, and
never goes further out than the leg is. Over 100 held-out realistic clips such flips lasted 0.1-0.4 s (a drawn 43°
hold read 43° → 29° → 20° → 38° within 0.3 s); they broke holds and split attempts. A leg cannot drop from
its top to rest and come back that fast, but it can lower quickly and stay down: a closing fills a dip only
when the leg comes back up within the window, and leaves a lowering, a rest and a quick flick (a peak, not a
dip) exactly as they were. Frames not seen count as the lower of the seen values either side of them, so a
leg lost right after it came down is not held up. The price: the engine decides each frame ``dip_fill_s``
after it is seen (:attr:`RepCounter.delay_s`), the same late for the screen and the report. A whole-body
drive is not filled: hips do not vanish behind a chair, and a rhythmic bounce (dribbling a ball, a brisk
walk) filled into a sustained low would pass for a held squat.

A side whose driving angle is NaN (leg not visible, wrong view) is frozen: it never advances, unless the
frame says it is at rest unseen (``at_rest_unseen``: a foot hanging below the picture of a recorded video),
which ends an open attempt like a leg seen back at rest. An attempt
unseen for longer than ``max_gap_s`` is closed with ``lost_sight`` (never counted); one that had already
come back to rest is closed normally, and so is one last seen on its way down (below the target, clearly
below its peak) or never held (a flick), when each leg is tracked front-on: a leg lowered behind a chair
vanishes there and is not seen again until it is lifted (``RepRecord.ended_unseen``, said in the report's
warnings). Side-on a leg goes "unseen" when the other one is taken for the working leg, so there it is lost.
Every attempt is in ``reps``.
"""

from __future__ import annotations

import math
from collections import deque
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from enum import StrEnum

import numpy as np

from posecount.exercises.hold import HoldRules, HoldTracker
from posecount.exercises.spec import SIDES, ExerciseSpec, FormRule, Side, Track


def _min_jerk_time(fraction: float) -> float:
    """When a minimum-jerk movement (Flash & Hogan 1985: 10τ³ - 15τ⁴ + 6τ⁵) has covered ``fraction`` of its way."""
    lo, hi = 0.0, 1.0
    for _ in range(60):
        mid = (lo + hi) / 2
        lo, hi = (mid, hi) if 10 * mid**3 - 15 * mid**4 + 6 * mid**5 < fraction else (lo, mid)
    return lo


#: The lowering's top is the hold's highest over this long before it ended (see :func:`_lowering_s`) ...
LOWER_TOP_S = 1.0
#: ... or, if the hold ended on a descent that began earlier, where that began (:func:`_descent_start`): the
#: leg coming down faster than this share of the hold's speed limit on average.
DESCENT_SPEED_SHARE = 0.5

#: Lowering is timed between 80 % and 30 % of the way down (20 % and 70 % of the way covered) and scaled
#: to the whole way assuming a minimum-jerk movement, the speed profile of smooth human reaching and
#: lowering: that span is this fraction of it (0.284; a cosine ease would say 0.336 and so report the
#: lowering ~16 % short). (The classic sample set's truth rules restate it.)
LOWER_SPAN_FRACTION = _min_jerk_time(0.7) - _min_jerk_time(0.2)
#: ... in two halves, 80 % → 55 % and 55 % → 30 % of the way down, each scaled by its own share of a minimum-jerk
#: movement; the lowering is the slower of the two estimates (see :func:`_lowering_s`).
LOWER_HALF_FRACTIONS = (_min_jerk_time(0.45) - _min_jerk_time(0.2), _min_jerk_time(0.7) - _min_jerk_time(0.45))

#: An attempt longer than this is closed as incomplete (someone left the leg up, or the view is wrong).
MAX_ATTEMPT_S = 120.0
#: An "attempt" back under its start line sooner than this was no lift but a landmark glitch: it is dropped
#: without a verdict. The quickest flick drawn (0.15 s up, 0.15 s down to 30°) is over a side leg raise's
#: start line for ~0.2 s; behind a slatted chair the model read a resting leg 11° out for three frames (0.1
#: s) twice in held-out 1414/04, and each was reported as a lift too small.
MIN_ATTEMPT_S = 0.15
#: A leg's rest level is the median of its settled frames at rest over the last this long of them (whatever the
#: frame rate; at most REST_SAMPLES) ...
REST_WINDOW_S = 2.0
REST_SAMPLES = 240
#: ... once it has at least this many; before that the spec's own lines hold.
REST_MIN_SAMPLES = 10
#: A frame at rest is settled when the leg has stayed within this range over the last REST_SETTLE_S.
REST_SETTLE_S = 0.5
REST_SETTLE_RANGE_DEG = 2.5
#: ... which is this share of the side leg raise's start line above rest (10° - 3°); a drive in another unit
#: settles within the same share of its own start line's distance from rest.
REST_SETTLE_REFERENCE_DEG = 7.0
#: A settled level further than the settle range from the learned rest is a new rest (the feet moved, the chair
#: moved) only once the leg has stayed there this long: a slow lift's early degrees and the still top of a small
#: one (a weak leg creeping up 11° over 3 s and holding it a second) are not; a new stance is kept for longer.
REST_RELEARN_S = 2.0
#: An attempt's leg is also back at rest when it has come down at least this share of the way from its peak to
#: its rest level and stayed there, within the settle range, for SETTLED_DOWN_S: side-on the model reads a
#: resting knee 10-20 deg apart from one rest to the next (held-out 3232/17: 74-85 deg before the first rep,
#: 93-97 after it, drawn 94), so a leg down a rep later can read above its end line, learned from the first
#: rest; the attempt stayed open through the rest and swallowed the quick kick after it. Nothing rests 75 %
#: of the way down a lift and then holds it there on purpose, and a leg that settles there is not yet below
#: its start line: the track is re-armed only once the leg goes under that line or rises a hysteresis above
#: where it settled (a new lift), so the settled level does not open a new attempt.
SETTLED_DOWN_SHARE = 0.75
SETTLED_DOWN_S = 1.0


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
    side: Track  # a leg, or "both" for an exercise counted for the whole body
    start_s: float
    peak_s: float
    end_s: float
    hold_s: float
    peak: float  # the drive's furthest point from rest, in ``unit``
    counted: bool
    faults: tuple[str, ...]
    lower_s: float | None = None
    target: float | None = None  # the target in force for this attempt (it follows the track's rest)
    rest: float | None = None  # the track's learned rest level when the attempt began
    unit: str = "deg"  # the drive's unit
    #: last seen on the way down, then out of sight: taken to be back at rest (said in the report's warnings)
    ended_unseen: bool = False

    @property
    def peak_angle_deg(self) -> float:
        """The peak of a degree drive (the contract's ``peak_angle_deg``); NaN for a drive in another unit."""
        return self.peak if self.unit == "deg" else math.nan

    def to_dict(self) -> dict[str, object]:
        """The fields of ``reps`` in report.json: a degree drive's values as ``peak_angle_deg``,
        ``target_deg``, ``rest_deg`` (the contract's names), a ratio drive's as ``peak_ratio`` ..."""
        digits = 1 if self.unit == "deg" else 3
        suffix = "angle_deg" if self.unit == "deg" else self.unit
        line_suffix = "deg" if self.unit == "deg" else self.unit
        return {
            "index": self.index, "side": self.side, "start_s": round(self.start_s, 3),
            "peak_s": round(self.peak_s, 3), "end_s": round(self.end_s, 3), "hold_s": round(self.hold_s, 2),
            f"peak_{suffix}": round(self.peak, digits), "counted": self.counted,
            "faults": list(self.faults),
            **({f"target_{line_suffix}": round(self.target, digits)} if self.target is not None else {}),
            **({f"rest_{line_suffix}": round(self.rest, digits)} if self.rest is not None else {}),
        }


@dataclass(frozen=True)
class RepEvent:
    kind: EventKind
    side: Track
    timestamp_ms: int
    rep: RepRecord | None = None
    code: str | None = None
    message: str | None = None


@dataclass
class SideState:
    """What the screen needs to know of one track (a leg, or the whole body); read-only for everyone but the
    engine. Values are the drive's, in its unit."""

    side: Track
    phase: Phase = Phase.REST
    value: float = math.nan
    peak: float = math.nan
    hold_s: float = 0.0  # live estimate of the current hold
    counted: int = 0
    attempts: int = 0
    visible: bool = False
    active_faults: tuple[str, ...] = ()  # form rules broken right now (for at least their min duration)


@dataclass
class _Attempt:
    start_ms: int
    hold: HoldTracker
    rule_values: dict[str, list[float]] = field(default_factory=dict)  # aligned with the hold's samples
    #: (t_ms, value) per rule from just before the attempt started (rules with ``lead_s``)
    lead_values: dict[str, list[tuple[int, float]]] = field(default_factory=dict)
    # The lines in force for this attempt (from the track's rest when it began), signed: sign * value.
    rest_level: float = math.nan
    start: float = math.nan
    target: float = math.nan
    last_seen_ms: int = 0
    reached: bool = False
    hold_done: bool = False
    live_faults: set[str] = field(default_factory=set)
    violation_since_ms: dict[str, int] = field(default_factory=dict)
    rest_since_ms: int | None = None


@dataclass(frozen=True)
class FeatureFrame:
    """What the engine reads each frame: per-side and whole-body features (NaN = unknown)."""

    timestamp_ms: int
    sides: Mapping[Side, Mapping[str, float]]
    body: Mapping[str, float]  # whole-body features (a whole-body drive is read from here)
    #: legs with no angle that are known to be at rest (partial framing: the foot hangs below the picture)
    at_rest_unseen: frozenset[Side] = frozenset()


class RepCounter:
    """Runs one :class:`ExerciseSpec` on a stream of :class:`FeatureFrame`. Pure: no pixels, no clock.

    One state machine per track of the spec (each leg, or the whole body). Internally every value is
    signed (``drive.sign * value``) so that it rises away from rest whichever way the drive moves; what
    leaves the engine (states, reps) is in the drive's own terms.
    """

    def __init__(self, spec: ExerciseSpec) -> None:
        self.spec = spec
        self.tracks: tuple[Track, ...] = spec.tracks
        self._sign = spec.drive.sign
        self.states: dict[Track, SideState] = {s: SideState(side=s) for s in self.tracks}
        self.reps: list[RepRecord] = []
        self._attempts: dict[Track, _Attempt | None] = {s: None for s in self.tracks}
        self._rest: dict[Track, deque[float]] = {s: deque(maxlen=REST_SAMPLES) for s in self.tracks}
        self._rest_ms: dict[Track, deque[int]] = {s: deque(maxlen=REST_SAMPLES) for s in self.tracks}
        #: the median of each track's rest frames, kept as they change (read several times a frame)
        self._rest_median: dict[Track, float] = {s: math.nan for s in self.tracks}
        self._seen_below_start: set[Track] = set()  # tracks seen under their start line (see _maybe_wide_rest)
        self._settling: dict[Track, deque[tuple[int, float]]] = {s: deque() for s in self.tracks}
        #: since when the leg has been settled away from its learned rest (a new stance in the making)
        self._away_since: dict[Track, int | None] = {s: None for s in self.tracks}
        #: where a track's last attempt settled down, above its start line (:data:`SETTLED_DOWN_SHARE`): no attempt
        #: opens until the leg goes under the start line or a hysteresis above this
        self._settled_above_start: dict[Track, float | None] = {s: None for s in self.tracks}
        #: front-on, each leg tracked: a leg can go out of sight behind the chair on its way down. (Side-on a leg
        #: "unseen" is the other leg taken for the working one, or a label swap: a dancer's leg was counted.)
        self._ends_behind_chair = spec.view == "front" and spec.track_kind == "per_leg"
        #: recent rule values at rest, for rules that watch a little before an attempt (``lead_s``)
        self._lead_rules = [r for r in spec.rules if r.window == "attempt" and r.lead_s > 0]
        self._lead_s = max((r.lead_s for r in self._lead_rules), default=0.0)
        self._recent: dict[Track, deque[tuple[int, dict[str, float]]]] = {s: deque() for s in self.tracks}
        self._fill_ms = spec.drive.dip_fill_s * 1000.0  # the closing's window, and how far the engine looks ahead
        #: rules on the drive itself, which read the drive as the engine does (its dips filled)
        self._drive_rules = {r.code for r in spec.rules if r.feature == spec.drive.feature and r.side == "working"}
        self._pending: deque[FeatureFrame] = deque()
        self._series: dict[Track, deque[tuple[int, float]]] = {s: deque() for s in self.tracks}

    # -- public ---------------------------------------------------------------------------------------
    def update(self, frame: FeatureFrame) -> list[RepEvent]:
        values = {}
        for track in self.tracks:
            st = self.states[track]
            raw = self._value(track, frame)
            st.value, st.visible = raw, math.isfinite(raw)
            value = self._sign * raw
            if st.visible and not self._gates_pass(track, frame):
                value = math.nan  # not this exercise right now: frozen like an unseen leg
            values[track] = value
        if self._fill_ms <= 0:
            return self._step(frame, values)
        self._pending.append(frame)
        for track in self.tracks:
            self._series[track].append((frame.timestamp_ms, values[track]))
        return self._drain(frame.timestamp_ms - self._fill_ms)

    def _drain(self, until_ms: float) -> list[RepEvent]:
        events: list[RepEvent] = []
        while self._pending and self._pending[0].timestamp_ms <= until_ms:
            frame = self._pending.popleft()
            events.extend(self._step(frame, {track: self._filled(track, frame.timestamp_ms) for track in self.tracks}))
        if self._pending:
            keep_from = self._pending[0].timestamp_ms - self._fill_ms
            for series in self._series.values():
                while series and series[0][0] < keep_from:
                    series.popleft()
        return events

    def _filled(self, track: Track, t_ms: int) -> float:
        """The drive at ``t_ms`` with dips narrower than ``dip_fill_s`` filled (:func:`closing_at`)."""
        h = self._fill_ms / 2
        pts = [(t, v) for t, v in self._series[track] if abs(t - t_ms) <= 2 * h]
        return closing_at(np.asarray([t for t, _ in pts], dtype=np.float64),
                          np.asarray([v for _, v in pts], dtype=np.float64), t_ms, h)

    def _step(self, frame: FeatureFrame, values: Mapping[Track, float]) -> list[RepEvent]:
        events: list[RepEvent] = []
        for track in self.tracks:
            events.extend(self._update_track(track, frame, values[track]))
        return events

    def finish(self, timestamp_ms: int) -> list[RepEvent]:
        """End of the session: an attempt still open is closed as ``incomplete`` (never counted)."""
        events = self._drain(math.inf)
        for track in self.tracks:
            attempt = self._attempts[track]
            if attempt is not None and attempt.hold.times_ms:
                if attempt.rest_since_ms is not None:  # already back at rest, just not confirmed yet
                    events.extend(self._close(track, attempt, attempt.rest_since_ms))
                else:
                    events.extend(self._close(track, attempt, attempt.hold.times_ms[-1], fault="incomplete"))
        return events

    def reset(self) -> None:
        self.__init__(self.spec)  # type: ignore[misc]

    @property
    def delay_s(self) -> float:
        """How long after a frame is seen the engine decides it (its states and events): the look-ahead of
        the dip filling (``drive.dip_fill_s``)."""
        return self.spec.drive.dip_fill_s

    @property
    def counts(self) -> dict[str, int]:
        """Counted reps per leg and in total; an exercise counted for the whole body adds ``both``."""
        return count_reps(self.reps, self.tracks)

    # -- the lines, relative to each track's rest (in the drive's unit) --------------------------------
    def rest_shift(self, track: Track) -> float:
        """How far this track's learned rest level sits from the spec's ``rest`` (bounded), signed."""
        d = self.spec.drive
        rest = self._rest[track]
        if d.rest is None or len(rest) < REST_MIN_SAMPLES:
            return 0.0
        shift = self._rest_median[track] - self._sign * d.rest
        return min(max(shift, -d.rest_shift_max), d.rest_shift_max)

    def rest_level(self, track: Track) -> float:
        """This track's learned rest level in the drive's unit (the spec's ``rest`` until it is learned)."""
        rest = self._rest[track]
        if len(rest) >= REST_MIN_SAMPLES:
            return self._sign * self._rest_median[track]
        d = self.spec.drive
        return d.rest if d.rest is not None else d.start

    def start_line(self, track: Track) -> float:
        """Where an attempt starts for this track now, in the drive's unit."""
        return self._sign * self._start_signed(track)

    def target_line(self, track: Track) -> float:
        """The target in force for this track now (personal, moved with its rest), in the drive's unit."""
        return self._sign * self._target_signed(track)

    def _start_signed(self, track: Track) -> float:
        return self._sign * self.spec.drive.start + self.rest_shift(track)

    def _target_signed(self, track: Track) -> float:
        shift = self.rest_shift(track) if self.spec.drive.target_follows_rest else 0.0
        return self._sign * self.spec.target(track) + max(0.0, shift)

    def _learn_rest(self, track: Track, t_ms: int, value: float) -> None:
        """Add a frame at rest to the track's rest level, once it has settled there: the last
        ``REST_SETTLE_S`` within ``REST_SETTLE_RANGE_DEG`` (a ratio drive: that share of its start line's
        distance from rest). A leg on its way up (a slow lift still under the start line) seldom settles, and
        a settled level away from the learned rest is taken only after ``REST_RELEARN_S`` there, so a slow or
        small lift cannot drag the rest level, and with it the lines, up ahead of it."""
        recent = self._settling[track]
        recent.append((t_ms, value))
        while recent and t_ms - recent[0][0] > REST_SETTLE_S * 1000:
            recent.popleft()
        values = [a for _, a in recent]
        if t_ms - recent[0][0] < 0.8 * REST_SETTLE_S * 1000 or max(values) - min(values) > self._settle_range():
            self._away_since[track] = None
            return
        rest = self._rest[track]
        if len(rest) >= REST_MIN_SAMPLES and abs(value - self._rest_median[track]) > self._settle_range():
            since = self._away_since[track]
            if since is None:
                self._away_since[track] = t_ms
                return
            if t_ms - since < REST_RELEARN_S * 1000:
                return
        else:
            self._away_since[track] = None
        times = self._rest_ms[track]
        rest.append(value)
        times.append(t_ms)
        while len(rest) > REST_MIN_SAMPLES and t_ms - times[0] > REST_WINDOW_S * 1000:
            rest.popleft()
            times.popleft()
        self._rest_median[track] = float(np.median(rest))

    def _maybe_wide_rest(self, track: Track, value: float) -> bool:
        """A leg that has only ever been seen above the start line, by less than the rest may shift
        (``rest_shift_max``), before its rest is learned, may be resting at a stance wider than the spec's
        ``rest``: it is not an attempt yet. It becomes one when it rises past the start line the widest rest
        would give, and it is learned as the rest if it settles where it is (a leg first seen at a 9 deg
        stance, read 10.1-10.4 deg, opened a 2.4 s "attempt" on held-out 1212/02). A leg seen below the
        start line first (rising into view: a seated foot hidden at rest) opens at the start line as ever,
        unless it has already settled nearer the start line than the spec's ``rest``: a shoulder-width stance
        read 8.9-9.3 deg for half a second, then 10.3 deg, opened two attempts in the first seconds of
        held-out 202/14, before ten settled frames had taught its rest."""
        d = self.spec.drive
        if d.rest is None or len(self._rest[track]) >= REST_MIN_SAMPLES:
            return False
        if value > self._sign * d.start + d.rest_shift_max:
            return False
        if track not in self._seen_below_start:
            return True
        settled_shift = self._rest_median[track] - self._sign * d.rest  # nan until a settled frame
        return settled_shift > abs(d.start - d.rest) / 2

    def _settle_range(self) -> float:
        d = self.spec.drive
        if d.unit == "deg" or d.rest is None:
            return REST_SETTLE_RANGE_DEG
        return REST_SETTLE_RANGE_DEG / REST_SETTLE_REFERENCE_DEG * abs(d.start - d.rest)

    # -- the state machine ----------------------------------------------------------------------------
    def _value(self, track: Track, frame: FeatureFrame) -> float:
        feature = self.spec.drive.feature
        if track == "both":
            return float(frame.body.get(feature, math.nan))
        return float(frame.sides.get(track, {}).get(feature, math.nan))

    def _update_track(self, track: Track, frame: FeatureFrame, value: float) -> list[RepEvent]:
        d = self.spec.drive
        st = self.states[track]
        t = frame.timestamp_ms
        attempt = self._attempts[track]
        if attempt is None and self._lead_rules:
            self._remember(track, frame)
        if not math.isfinite(value) and track in frame.at_rest_unseen:
            return self._at_rest_unseen(track, attempt, t)
        if not math.isfinite(value):
            if attempt is not None and t - attempt.last_seen_ms > d.max_gap_s * 1000:
                if attempt.rest_since_ms is not None:  # it was back at rest when it went out of sight
                    return self._close(track, attempt, attempt.rest_since_ms)
                if self._ends_behind_chair and self._went_down_unseen(attempt):
                    return self._close(track, attempt, attempt.last_seen_ms, ended_unseen=True)
                what = "your legs" if track == "both" else f"your {track} leg"
                return [*self._close(track, attempt, attempt.last_seen_ms, fault="lost_sight"),
                        RepEvent(EventKind.ATTEMPT_DROPPED, track, t, message=f"Lost sight of {what}")]
            return []

        if attempt is None:
            settled = self._settled_above_start[track]
            if value > self._start_signed(track):
                if settled is not None and value <= settled + d.hysteresis:
                    pass  # still where the last attempt settled down: not a new lift
                elif not self._maybe_wide_rest(track, value):
                    self._settled_above_start[track] = None
                    return self._open(track, frame, value)
            else:
                self._seen_below_start.add(track)
                self._settled_above_start[track] = None
            self._learn_rest(track, t, value)
            return []

        events: list[RepEvent] = []
        attempt.last_seen_ms = t
        self._record(attempt, frame, track, value)
        st.peak = self._sign * value if not math.isfinite(st.peak) else self._sign * max(self._sign * st.peak, value)

        if value < attempt.start - d.hysteresis:
            # Back at rest, once it has stayed there: a leg cannot drop from the top to rest and back in a
            # few frames, so a shorter dip is a landmark glitch, not the end of the attempt.
            if attempt.rest_since_ms is None:
                attempt.rest_since_ms = t
            if t - attempt.rest_since_ms >= d.rest_confirm_s * 1000:
                if attempt.rest_since_ms - attempt.start_ms < MIN_ATTEMPT_S * 1000:
                    self._back_at_rest(track)  # a glitch, not a lift
                else:
                    events.extend(self._close(track, attempt, attempt.rest_since_ms))
                self._learn_rest(track, t, value)
                return events
        else:
            attempt.rest_since_ms = None
            settled_ms = self._settled_down_since(attempt, self._sign * st.peak)
            if settled_ms is not None:
                self._settled_above_start[track] = max(attempt.hold.values[-1], attempt.start)
                events.extend(self._close(track, attempt, settled_ms))
                return events
        if t - attempt.start_ms > MAX_ATTEMPT_S * 1000:
            return [*self._close(track, attempt, t, fault="incomplete"),
                    RepEvent(EventKind.ATTEMPT_DROPPED, track, t, message="Rest your leg")]

        hold = attempt.hold
        if hold.reached and not attempt.reached:
            attempt.reached = True
            events.append(RepEvent(EventKind.TARGET_REACHED, track, t))
        run = hold.current
        if run is not None:
            st.phase = Phase.HOLDING
        elif st.phase == Phase.HOLDING or (attempt.reached and value < attempt.target):
            st.phase = Phase.LOWERING
        # the ring: the hold going on, as far as confirmed; while lowering, the longest held (the run that just
        # ended is final then, and may be longer than the screen could confirm while the leg was going down)
        if run is not None:
            st.hold_s = run.duration_s
        else:
            st.hold_s = hold.best_s if st.phase == Phase.LOWERING else 0.0
        # the longest hold so far, as far as confirmed (a run that has ended, or the current one up to what
        # a lowering to come can no longer take back): what the verdict will count at the least
        if not attempt.hold_done and hold.best_s >= self.spec.min_hold_s(track):
            attempt.hold_done = True
            events.append(RepEvent(EventKind.HOLD_COMPLETE, track, t))
        events.extend(self._live_rules(track, attempt, t))
        return events

    def _settled_down_since(self, attempt: _Attempt, peak: float) -> int | None:
        """When the attempt's leg settled :data:`SETTLED_DOWN_SHARE` of the way down from its ``peak`` (signed: the
        track's running peak, so no frame rescans the attempt) to its rest level, if it has stayed there (within
        the settle range) for :data:`SETTLED_DOWN_S`; else None. Reads back only as far as that second."""
        times, values = attempt.hold.times_ms, attempt.hold.values
        if not times or times[-1] - times[0] < SETTLED_DOWN_S * 1000 or not math.isfinite(attempt.rest_level):
            return None
        down = attempt.rest_level + (1.0 - SETTLED_DOWN_SHARE) * (peak - attempt.rest_level)
        settle = self._settle_range()
        lo = hi = values[-1]
        for i in range(len(times) - 1, -1, -1):
            if values[i] > down:
                return None
            lo, hi = min(lo, values[i]), max(hi, values[i])
            if hi - lo > settle:
                return None
            if times[-1] - times[i] >= SETTLED_DOWN_S * 1000:
                return times[i]
        return None

    def _went_down_unseen(self, attempt: _Attempt) -> bool:
        """The leg was last seen on its way down (below the target, after a clear drop from its peak), or it
        was never held (a flick seen for a few frames out past a chair). Front-on, a leg lowered behind a
        chair's back or between its legs vanishes there (the model cannot place it and says so), and it is not
        seen again until it is lifted; a person watching knows it came down. A leg lost while held, or at its
        top after a hold, is not known to have come down: that attempt is lost from sight."""
        values = attempt.hold.values
        if not values or not math.isfinite(values[-1]):
            return False
        last, peak = values[-1], max(values)
        if last < attempt.target and last <= peak - self.spec.drive.hysteresis:
            return True
        return attempt.hold.best is None and attempt.hold.current is None

    def _remember(self, track: Track, frame: FeatureFrame) -> None:
        """Keep the last ``lead_s`` of the lead rules' values while the track is at rest."""
        recent = self._recent[track]
        recent.append((frame.timestamp_ms, {r.code: _rule_value(r, frame, track) for r in self._lead_rules}))
        while recent and frame.timestamp_ms - recent[0][0] > self._lead_s * 1000:
            recent.popleft()

    def _at_rest_unseen(self, track: Track, attempt: _Attempt | None, t: int) -> list[RepEvent]:
        """A leg known to be at rest without a value: an open attempt ends as if the leg were seen back at
        rest (confirmed the same way); nothing is learned of the rest level."""
        if attempt is None:
            return []
        attempt.last_seen_ms = t
        if attempt.rest_since_ms is None:
            attempt.rest_since_ms = t
        if t - attempt.rest_since_ms >= self.spec.drive.rest_confirm_s * 1000:
            return self._close(track, attempt, attempt.rest_since_ms)
        return []

    def _gates_pass(self, track: Track, frame: FeatureFrame) -> bool:
        for gate in self.spec.gates:
            if gate.side == "body" or track == "both":
                value = frame.body.get(gate.feature, math.nan)
            else:
                other: Side = "right" if track == "left" else "left"
                value = frame.sides.get(track if gate.side == "working" else other, {}).get(gate.feature, math.nan)
            if not gate.passes(float(value)):
                return False
        return True

    def _open(self, track: Track, frame: FeatureFrame, value: float) -> list[RepEvent]:
        d = self.spec.drive
        rest = self._rest[track]
        target = self._target_signed(track)
        rules = HoldRules(target=target, hysteresis=d.hysteresis, move_speed_per_s=d.hold_max_speed_per_s,
                          window_s=d.hold_window_s, grace_s=d.hold_grace_s, max_gap_s=d.max_gap_s,
                          descent_window_s=d.hold_descent_window_s, descent_share=DESCENT_SPEED_SHARE)
        start = self._start_signed(track)
        attempt = _Attempt(start_ms=frame.timestamp_ms, hold=HoldTracker(rules), last_seen_ms=frame.timestamp_ms,
                           rest_level=self._rest_median[track] if rest else self._sign * self.rest_level(track),
                           start=start, target=target)
        for rule in self._lead_rules:
            attempt.lead_values[rule.code] = [(t, v[rule.code]) for t, v in self._recent[track]
                                              if frame.timestamp_ms - t <= rule.lead_s * 1000]
        self._recent[track].clear()
        self._attempts[track] = attempt
        st = self.states[track]
        st.phase, st.peak, st.hold_s = Phase.LIFTING, self._sign * value, 0.0
        self._record(attempt, frame, track, value)
        return [RepEvent(EventKind.ATTEMPT_STARTED, track, frame.timestamp_ms)]

    def _record(self, attempt: _Attempt, frame: FeatureFrame, track: Track, value: float) -> None:
        attempt.hold.add(frame.timestamp_ms, value)  # the attempt's samples: its hold tracker keeps them
        for rule in self.spec.rules:
            own = rule.code in self._drive_rules and track != "both"
            rule_value = self._sign * value if own else _rule_value(rule, frame, track)
            attempt.rule_values.setdefault(rule.code, []).append(rule_value)

    def _live_rules(self, track: Track, attempt: _Attempt, t: int) -> list[RepEvent]:
        events = []
        active: list[str] = []
        phase = self.states[track].phase
        for rule in self.spec.rules:
            if rule.window == "hold" and phase != Phase.HOLDING:
                attempt.violation_since_ms.pop(rule.code, None)
                continue
            value = attempt.rule_values[rule.code][-1]  # this frame's, as _record kept it for the verdict
            if not (math.isfinite(value) and rule.violated(value)):
                attempt.violation_since_ms.pop(rule.code, None)
                continue
            since = attempt.violation_since_ms.setdefault(rule.code, t)
            if t - since >= rule.min_duration_s * 1000:
                active.append(rule.code)
                if rule.code not in attempt.live_faults:
                    attempt.live_faults.add(rule.code)
                    events.append(RepEvent(EventKind.FORM_FAULT, track, t, code=rule.code, message=rule.message))
        self.states[track].active_faults = tuple(active)
        return events

    # -- the verdict ----------------------------------------------------------------------------------
    def _close(self, track: Track, attempt: _Attempt, t_end: int, fault: str | None = None,
               ended_unseen: bool = False) -> list[RepEvent]:
        """The verdict on an attempt; ``fault`` (``incomplete``, ``lost_sight``) when it did not end at rest;
        ``ended_unseen`` when it was last seen on the way down and taken to be back at rest. A counted rep
        whose hold was confirmed only now (its run ended as the attempt did) gets its "hold complete" first,
        so that the screen says it for every rep the report counts."""
        d = self.spec.drive
        hold = attempt.hold
        hold.flush()
        t_ms = np.asarray(hold.times_ms, dtype=np.float64)
        value = _median5(np.asarray(hold.values, dtype=np.float64))
        i_peak = int(np.nanargmax(value))
        peak = float(value[i_peak])
        reached = hold.reached
        run = hold.best if reached else None
        hold_s = run.duration_s if run is not None else 0.0
        lo, hi = (run.first, run.last) if run is not None else (i_peak, i_peak)
        # the lowering starts from the hold's level over its last second (a sagged hold from where it sagged
        # to), or from where the descent the hold ended on began (a slow lowering's start is held)
        last_second = value[lo + np.flatnonzero(t_ms[lo:hi + 1] >= t_ms[hi] - LOWER_TOP_S * 1000)]
        top = float(np.nanmax(last_second)) if np.isfinite(last_second).any() else peak
        down = _descent_start(t_ms, value, lo, hi, DESCENT_SPEED_SHARE * d.hold_max_speed_per_s)
        if value[down] > top:
            top = float(value[down])
        else:
            down = hi
        lower_s = _lowering_s(t_ms[down:], value[down:], attempt.rest_level, min(peak, top))

        faults: list[str] = []
        if not reached:
            faults.append("range_too_small")
        elif hold_s < self.spec.min_hold_s(track):
            faults.append("hold_too_short")
        if fault is not None:
            faults.append(fault)
        if reached and d.min_lower_s > 0 and fault is None and lower_s is not None and lower_s < d.min_lower_s:
            faults.append("lowered_too_fast")
        for rule in self.spec.rules:
            values = np.asarray(attempt.rule_values.get(rule.code, []), dtype=np.float64)
            if rule.window == "hold":
                if run is None:
                    continue
                if _hold_rule_broken(t_ms[lo:hi + 1], values[lo:hi + 1], rule):
                    faults.append(rule.code)
            else:
                lead = attempt.lead_values.get(rule.code, [])
                times = np.concatenate([np.asarray([t for t, _ in lead], dtype=np.float64), t_ms])
                if _sustained(times, np.concatenate([np.asarray([v for _, v in lead], dtype=np.float64), values]),
                              rule):
                    faults.append(rule.code)

        counted = bool(reached and hold_s >= self.spec.min_hold_s(track) and fault is None)
        k = self._sign
        rep = RepRecord(
            index=len(self.reps) + 1, side=track, start_s=attempt.start_ms / 1000.0,
            peak_s=float(t_ms[lo]) / 1000.0, end_s=t_end / 1000.0,
            hold_s=hold_s, peak=k * peak, counted=counted, faults=tuple(faults), lower_s=lower_s,
            target=k * attempt.target, rest=k * attempt.rest_level, unit=d.unit, ended_unseen=ended_unseen)
        self.reps.append(rep)
        st = self.states[track]
        st.attempts += 1
        st.counted += int(counted)
        self._back_at_rest(track)
        finished = RepEvent(EventKind.REP_FINISHED, track, t_end, rep=rep)
        if counted and not attempt.hold_done:
            return [RepEvent(EventKind.HOLD_COMPLETE, track, t_end), finished]
        return [finished]

    def _back_at_rest(self, track: Track) -> None:
        """No attempt open on ``track`` any more (closed with a verdict, or dropped as a glitch)."""
        st = self.states[track]
        st.phase, st.hold_s, st.peak, st.active_faults = Phase.REST, 0.0, math.nan, ()
        self._attempts[track] = None


def count_reps(reps: Sequence[RepRecord], tracks: Sequence[Track]) -> dict[str, int]:
    """Counted reps per leg and in total (the contract's ``counts``); an exercise counted for the whole body
    adds ``both``, which is then the total."""
    per: dict[str, int] = {s: sum(1 for r in reps if r.counted and r.side == s) for s in SIDES}
    if "both" in tracks:
        both = sum(1 for r in reps if r.counted and r.side == "both")
        return {**per, "both": both, "total": both}
    return {**per, "total": sum(per.values())}


def _rule_value(rule: FormRule, frame: FeatureFrame, track: Track) -> float:
    source = frame.sides.get(track, {}) if rule.side == "working" and track != "both" else frame.body
    return float(source.get(rule.feature, math.nan))


def closing_at(times_ms: np.ndarray, x: np.ndarray, t_ms: float, h_ms: float) -> float:
    """A morphological closing of the series ``x`` (sampled at ``times_ms``, which holds ``t_ms`` and the
    samples within 2 ``h_ms`` of it) at ``t_ms``: the min over tau in [t - h, t + h] of the max over
    [tau - h, tau + h]. It fills dips narrower than 2 h and leaves rises, lowerings and peaks alone. Frames not
    seen (NaN) count as the lower of the seen values either side of them and the series' ends as their edge
    value, so a closing never raises the frames before a leg is lost or the stream ends. NaN at an unseen
    frame."""
    i = int(np.searchsorted(times_ms, t_ms))
    if i >= len(x) or not math.isfinite(x[i]):
        return math.nan
    x = _fill_unseen_low(x)
    # A closing never lowers a sample, and keeps it where one window holding it has nothing higher: the
    # window ending or starting at this frame (a rise, a lowering, a top), or the one centred on it. Most
    # frames are one of these; the rest take the whole computation.
    if x[: i + 1].max() <= x[i] or x[i:].max() <= x[i] or x[np.abs(times_ms - t_ms) <= h_ms].max() <= x[i]:
        return float(x[i])
    times_ms, x = _pad_edges(times_ms, x, t_ms - 2 * h_ms, t_ms + 2 * h_ms)
    # The max over [tau - h, tau + h] changes only where a window edge crosses a sample: evaluate it at
    # those points and between them (frames may be missing: samples alone would miss some windows).
    edges = np.concatenate([times_ms - h_ms, times_ms + h_ms, [t_ms - h_ms, t_ms + h_ms]])
    edges = np.unique(edges[(edges >= t_ms - h_ms) & (edges <= t_ms + h_ms)])
    taus = np.concatenate([edges, (edges[1:] + edges[:-1]) / 2])
    near = np.abs(taus[:, None] - times_ms[None, :]) <= h_ms
    dilated = np.where(near, x[None, :], -np.inf).max(axis=1)
    return float(dilated.min())


def _fill_unseen_low(x: np.ndarray) -> np.ndarray:
    """NaN samples take the lower of the nearest finite samples before and after them."""
    seen = np.isfinite(x)
    if seen.all() or not seen.any():
        return x
    idx = np.arange(len(x))
    before = np.maximum.accumulate(np.where(seen, idx, -1))
    after = np.minimum.accumulate(np.where(seen, idx, len(x))[::-1])[::-1]
    lo = np.where(before >= 0, x[np.clip(before, 0, None)], np.inf)
    hi = np.where(after < len(x), x[np.clip(after, None, len(x) - 1)], np.inf)
    return np.where(seen, x, np.minimum(lo, hi))


def _pad_edges(times: np.ndarray, x: np.ndarray, lo_ms: float, hi_ms: float) -> tuple[np.ndarray, np.ndarray]:
    """Extend a series with its edge values, at its own frame interval, to cover [lo_ms, hi_ms]."""
    step = float(np.median(np.diff(times))) if len(times) > 1 else 33.0
    step = max(step, 1.0)
    left = np.arange(times[0] - step, lo_ms - step / 2, -step)[::-1]
    right = np.arange(times[-1] + step, hi_ms + step / 2, step)
    return (np.concatenate([left, times, right]),
            np.concatenate([np.full(len(left), x[0]), x, np.full(len(right), x[-1])]))


def _median5(x: np.ndarray) -> np.ndarray:
    """A 5-sample running median (NaN-aware), so a single wild frame cannot set the peak."""
    if x.size < 5:
        return x
    padded = np.pad(x, 2, mode="edge")
    windows = np.lib.stride_tricks.sliding_window_view(padded, 5)
    with np.errstate(all="ignore"):
        out = np.nanmedian(windows, axis=1) if np.isnan(x).any() else np.median(windows, axis=1)
    return out


def _descent_start(t_ms: np.ndarray, value: np.ndarray, lo: int, hi: int, speed_per_s: float) -> int:
    """Where the descent the hold ended on began: the earliest sample back from ``hi`` (the hold's last)
    toward ``lo`` (its first), with the leg never rising on the way (by more than it would descend in 0.1 s at
    ``speed_per_s``: noise), from which it came down to ``hi`` faster than ``speed_per_s`` on average;
    ``hi`` if there is none.

    A slow lowering's first degrees are slower than a hold's speed limit and are held: on held-out 1313/16 a
    4.3 s minimum-jerk lowering behind a kitchen chair was held from 35° down to 17° (1.9 s, a dip the model
    made in it filled flat on the way), and timed from there it was the 0.05 s the model took to snap the
    hidden leg to rest. A sag (at most ~3°/s) is slower than the average asked; a sway turns back up."""
    tol = 0.1 * speed_per_s
    start = hi
    k = hi
    while k > lo and value[k - 1] >= value[k] - tol:
        k -= 1
        if t_ms[hi] > t_ms[k] and (value[k] - value[hi]) * 1000.0 / (t_ms[hi] - t_ms[k]) >= speed_per_s:
            start = k
    return start


def _lowering_s(t_ms: np.ndarray, value: np.ndarray, rest: float, top: float) -> float | None:
    """How long lowering takes from the top to rest, measured between 80 % and 30 % of the way and scaled to
    100 % as a minimum-jerk movement (the ends of a movement are slow and noisy; its middle is not).
    ``value`` starts where the hold ended.

    * The ``top`` is the hold's highest over its last second (the caller's ``LOWER_TOP_S``), not the
      attempt's peak: a hold that sagged is lowered from where it sagged to. Timed from the peak's lines, a
      hold that sagged from 43° to 36°, just above the peak's 80 % line, and dropped in 0.48 s read 1.17 s
      (held-out 505/08): the slow turn into the drop was taken for a fifth of the lowering. The last second
      and not the last frame: a slow lowering's start is still held (slower than a hold's speed limit), and
      would make the top too low. If the hold still ended below the top's 80 % line, the lowering starts
      from there (a leg sagging from 41° to 33° and dropped to rest in 0.4 s; held-out 707/12).
    * Each half of the span (80 → 55 %, 55 → 30 %) gives its own estimate, and the lowering is the slower
      one. One smooth movement gives the same from both; a leg lowered slowly that goes behind a chair, where
      the model snaps it to rest, gives a fast second half only (a 2.4 s lowering read 0.95 s over the whole
      span, 1.3 s over its first half; samples/realistic/slr_chair_kitchen_angle). The model can make a
      lowering look faster than it was, not slower, so the slower half is the evidence.
    """
    amplitude = top - rest
    if not math.isfinite(amplitude) or amplitude <= 0 or t_ms.size < 2:
        return None
    if math.isfinite(value[0]) and rest < value[0] <= rest + 0.8 * amplitude:
        amplitude = float(value[0]) - rest
    level80 = rest + 0.8 * amplitude
    level55 = rest + 0.55 * amplitude
    level30 = rest + 0.3 * amplitude
    if not (value <= level80).any():
        return None
    # The final descent: from the last time the leg was above 80 % before it first came down to 30 %. (The
    # series may begin on the way up: a flick's top is "held" for a frame, and its run ends before the peak.)
    down = np.flatnonzero(value <= level30)
    i30 = int(down[0]) if down.size else value.size - 1
    above = np.flatnonzero(value[:i30] > level80)
    i80 = int(above[-1]) + 1 if above.size else 0
    mid = np.flatnonzero(value[i80:i30 + 1] <= level55)
    i55 = i80 + int(mid[0]) if mid.size else i30
    t80, t55, t30 = (_crossing_ms(t_ms, value, i, level) for i, level in ((i80, level80), (i55, level55),
                                                                          (i30, level30)))
    first, second = LOWER_HALF_FRACTIONS
    return max((t55 - t80) / 1000.0 / first, (t30 - t55) / 1000.0 / second)


def _crossing_ms(t_ms: np.ndarray, value: np.ndarray, i: int, level: float) -> float:
    """When the falling series crossed ``level``, sample ``i`` being the first at or below it: interpolated
    between it and the sample before (a half of a 0.5 s lowering is a few frames; whole frames would make it
    ±1 frame)."""
    if i > 0 and math.isfinite(value[i - 1]) and math.isfinite(value[i]) and value[i - 1] > level >= value[i]:
        share = (value[i - 1] - level) / (value[i - 1] - value[i])
        return float(t_ms[i - 1] + share * (t_ms[i] - t_ms[i - 1]))
    return float(t_ms[i])


#: A hold-window form rule is judged only when its feature was measured on at least this share of the hold ...
RULE_MIN_COVERAGE = 0.5
#: ... or this share, for a rule judged on the best-seen fifth (``evidence = "best"``): that fifth past the line
#: is 80 % of what was measured past it, so a fault still needs a quarter of the hold read past the line. The
#: silhouette found a foot drawn 48 deg pointed on 32 % of a hold (held-out 3333/13), reading it 50-52 deg; every
#: neutral foot (drawn 0-18 deg) measured on less than half of its hold read under 22 on its most-up fifth.
RULE_MIN_COVERAGE_BEST = 0.3


def _hold_rule_broken(t_ms: np.ndarray, values: np.ndarray, rule: FormRule) -> bool:
    """The evidence a form fault at the top needs: the feature measured (confident landmarks) over at least
    half of the hold (a third, judged on the best-seen fifth) and for ``min_duration_s``, and its median (or
    best-seen fifth, ``evidence = "best"``) over those frames past the line. A few
    frames of a guessed foot or knee cannot scold a rep; too little evidence judges nothing."""
    ok = np.isfinite(values)
    if not ok.any() or ok.mean() < (RULE_MIN_COVERAGE_BEST if rule.evidence == "best" else RULE_MIN_COVERAGE):
        return False
    measured_s = float(t_ms[ok][-1] - t_ms[ok][0]) / 1000.0
    if measured_s < rule.min_duration_s:
        return False
    if rule.evidence == "best":
        return rule.violated(float(np.percentile(values[ok], 80 if rule.min is not None else 20)))
    return rule.violated(float(np.median(values[ok])))


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
