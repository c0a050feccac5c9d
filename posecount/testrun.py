"""A function test run live (``posecount live --test NAME``): when "go" is, what the clock shows, when the test
ends. Pure: the frames' timestamps in, events and a view out; no camera, no window, no wall clock.

The stages, on each frame's ``t_s`` (the frames' own timestamps, so a recorded clip gives the same run every
time)::

    SETUP --in position--> COUNTDOWN --countdown_s--> RUNNING --the test's end--> SETTLING --scored--> DONE
    "sit on the chair"     "3", "2", "1"   "Go"       a 30 s clock, a stopwatch,   the movement      the result
                                                      or a stopwatch per stance    under way ends

* ``count_in_time`` (30-second chair stand): a clock counting down ``duration_s`` from go, with the stands so
  far; it ends ``duration_s`` after go.
* ``time_to_count`` (five-times sit-to-stand): a stopwatch from go with the stands so far; it stops at the
  ``count``-th stand.
* ``stances`` (4-stage balance): a stopwatch per stance (:class:`StanceClock`) with the stance's name and the
  instruction for the next one; the test ends at the first stance not held (left before ``hold_s``, or not
  taken within ``TAKE_TIMEOUT_S``) or once the last is held. The stance of each frame is read from the feet
  as they come (:class:`LiveStance`, the rules of :func:`posecount.exercises.balance.classify_stance`).

A rep carrying one of the protocol's ``void_faults`` (the arms pushed off) ends a count test at once: the
protocol stops it. The end is followed by ``SETTLING``: the movement under way finishes (back in the chair,
the foot that left the stance down again), so that the result is scored on the whole of it. Then the caller
scores the test with the code ``posecount test`` runs (:class:`TestRecorder`) and hands the result to
:meth:`TestRun.finish`. The running clock is this module's live reading; the result on screen and in the
report (the score, the times, the stances held) is always the scorer's.
"""

from __future__ import annotations

import math
from collections import deque
from collections.abc import Sequence
from dataclasses import dataclass, field
from enum import StrEnum

import numpy as np

from posecount.errors import ConfigError
from posecount.exercises.balance import (
    FOOT_PER_LEG_RATIO,
    SMOOTH_S,
    STEP_RATIO,
    FeetRecorder,
    classify_stance,
    score_balance,
)
from posecount.exercises.engine import RepCounter
from posecount.exercises.protocols import ProtocolSpec, Sex, StanceDef, score_test
from posecount.exercises.spec import Track
from posecount.pose import LM, Pose

#: The countdown's default length: "3", "2", "1", then "go".
COUNTDOWN_S = 3.0
#: The longest countdown allowed (time to walk from the computer to the chair).
MAX_COUNTDOWN_S = 60.0
#: "Go!" stays in the middle of the screen this long.
GO_SHOWN_S = 1.0
#: A count test is scored once the person is back at rest after its end, or this long after it at the latest.
SETTLE_MAX_S = 8.0
#: A stances test is scored this long after its end: the movement out of the last stance is timed from the
#: frames after it (balance.MAX_MOVE_S).
STANCE_SETTLE_S = 3.0
#: A stance is left when the feet read as another stance (or none) for this long.
LEAVE_GRACE_S = 0.3
#: The next stance not taken this long after it was asked for (or after go, for the first) ends the test.
TAKE_TIMEOUT_S = 20.0
#: A stance on both feet is taken once the feet have kept still (lead and lift within STEP_RATIO foot lengths)
#: over this long: a foot passing through a stance on its way to the next does not start the stopwatch.
STILL_S = 0.3
#: The leg length (for foot lengths) and facing are medians over this many recent frames.
BODY_FRAMES = 300


class Stage(StrEnum):
    SETUP = "setup"
    COUNTDOWN = "countdown"
    RUNNING = "running"
    SETTLING = "settling"
    DONE = "done"


class TestEventKind(StrEnum):
    __test__ = False  # not a pytest test class

    ANNOUNCE = "announce"  # the test and how to get into position
    COUNT = "count"  # a countdown number
    GO = "go"
    STAND = "stand"  # a count test's stand (the live reading)
    STANCE_TAKEN = "stance_taken"
    STANCE_HELD = "stance_held"
    NEXT = "next"  # the next stance's instruction
    OVER = "over"  # the test's end: time, the last stand, a stance not held, a void fault, the session's end
    SCORE = "score"  # the caller scores the test now (once)
    RESULT = "result"


@dataclass(frozen=True)
class TestEvent:
    __test__ = False  # not a pytest test class

    kind: TestEventKind
    text: str
    at_s: float
    speak: bool = True


@dataclass(frozen=True)
class TestView:
    """What the screen shows of the test (the fields of :class:`posecount.overlay.TestPanel`)."""

    __test__ = False  # not a pytest test class

    kind: str  # count_in_time | time_to_count | stances
    stage: str
    heading: str  # the test's title (and the stance's number)
    clock: str  # "24 s" left, "7.3 s" on the stopwatch
    label: str  # "stands", the stance's name, "Get ready", "Time!"
    count: str | None = None  # "12 stands", "3 of 5 stands"
    detail: str | None = None  # how to get into position, the next stance's instruction
    fraction: float | None = None  # a bar: time left, stands done, the stance's hold
    centre: str | None = None  # big in the middle: the countdown's numbers, "Go!"
    result: str | None = None  # the verdict, once scored
    laps: tuple[tuple[str, str, bool | None], ...] = ()  # stances so far: (title, "10.0 s", held; None running)


# -- the stance of each frame, as it comes -----------------------------------------------------------------
_FOOT = {"left": (LM.LEFT_HEEL, LM.LEFT_ANKLE, LM.LEFT_FOOT_INDEX),
         "right": (LM.RIGHT_HEEL, LM.RIGHT_ANKLE, LM.RIGHT_FOOT_INDEX)}
_LEG = ((LM.LEFT_HIP, LM.LEFT_KNEE, LM.LEFT_ANKLE), (LM.RIGHT_HIP, LM.RIGHT_KNEE, LM.RIGHT_ANKLE))


@dataclass(frozen=True)
class StanceReading:
    """One frame's stance: ``name`` (None: no stance, the feet apart), ``seen`` (False: no feet to read) and
    ``still`` (the feet have not moved over ``STILL_S``)."""

    name: str | None
    seen: bool
    still: bool


class LiveStance:
    """The stance of each frame from the smoothed pose, using only the frames so far: the feet in foot lengths
    as :class:`posecount.exercises.balance.FeetRecorder` measures them (the leg's and the facing's medians over
    the last ``BODY_FRAMES``), lead and lift as a trailing median over ``SMOOTH_S``, then
    :func:`~posecount.exercises.balance.classify_stance`. The scorer reads the whole recording instead (centred
    medians, steps fitted), so its times may differ from this reading by a fraction of a second."""

    def __init__(self, stances: Sequence[StanceDef]) -> None:
        self.stances = tuple(stances)
        self._lifted = next((s.name for s in stances if s.lifted), None)
        self._legs_px: deque[float] = deque(maxlen=BODY_FRAMES)
        self._facing: deque[float] = deque(maxlen=BODY_FRAMES)
        self._recent: deque[tuple[float, float, float]] = deque()  # (t_s, lead_px, lift_px)
        self._previous: str | None = None

    def update(self, t_s: float, pose: Pose | None) -> StanceReading:
        if pose is None:
            return StanceReading(self._previous, seen=False, still=False)
        xy = pose.image_xy.astype(float)
        centre = {side: xy[list(points)].mean(axis=0) for side, points in _FOOT.items()}
        if not all(np.isfinite(c).all() for c in centre.values()):
            return StanceReading(self._previous, seen=False, still=False)
        leg = max(float(np.linalg.norm(xy[knee] - xy[hip]) + np.linalg.norm(xy[ankle] - xy[knee]))
                  for hip, knee, ankle in _LEG)
        if math.isfinite(leg) and leg > 0:
            self._legs_px.append(leg)
        toe_ahead = float(xy[LM.LEFT_FOOT_INDEX][0] - xy[LM.LEFT_HEEL][0])
        if math.isfinite(toe_ahead):
            self._facing.append(toe_ahead)
        if not self._legs_px:
            return StanceReading(self._previous, seen=False, still=False)
        foot_px = FOOT_PER_LEG_RATIO * float(np.median(self._legs_px))
        facing = 1.0 if not self._facing or float(np.median(self._facing)) >= 0 else -1.0
        self._recent.append((t_s, facing * (centre["left"][0] - centre["right"][0]),
                             -(centre["left"][1] - centre["right"][1])))
        keep_s = max(SMOOTH_S, STILL_S)
        while self._recent and t_s - self._recent[0][0] > keep_s + 1e-9:
            self._recent.popleft()
        recent = np.asarray(self._recent)
        smooth = recent[recent[:, 0] >= t_s - SMOOTH_S - 1e-9]
        lead, lift = float(np.median(smooth[:, 1])) / foot_px, float(np.median(smooth[:, 2])) / foot_px
        name = classify_stance(lead, lift, self.stances, self._previous)
        self._previous = name
        span = recent[:, 1:] / foot_px
        covered = recent[-1, 0] - recent[0, 0] >= 0.8 * STILL_S
        still = covered and float(np.ptp(span, axis=0).max()) < STEP_RATIO
        return StanceReading(name, seen=True, still=still)


# -- the stopwatch per stance --------------------------------------------------------------------------------
@dataclass
class StanceLap:
    """One stance as the live clock timed it: taken at ``start_s``; ``end_s`` and ``held`` once it is over."""

    name: str
    title: str
    start_s: float
    end_s: float | None = None
    held: bool | None = None  # None: still running

    def elapsed_s(self, now_s: float, hold_s: float) -> float:
        end = self.end_s if self.end_s is not None else now_s
        return max(0.0, min(hold_s, end - self.start_s))


class StanceClock:
    """The stances in their order, each timed from when it is taken (the feet read as it and still; a lifted
    foot: up) up to ``hold_s``; the first not held ends the test: left early (the feet read as another stance for
    ``LEAVE_GRACE_S``), or not taken within ``TAKE_TIMEOUT_S`` of being asked for."""

    def __init__(self, protocol: ProtocolSpec) -> None:
        if protocol.kind != "stances" or protocol.hold_s is None:
            raise ValueError(f"{protocol.name} is not a stances test")
        self.order = protocol.stances
        self.hold_s = protocol.hold_s
        self.index = 0  # the stance asked for now
        self.laps: list[StanceLap] = []
        self.over = False
        self.ended_by: str | None = None  # the first stance not held (None: all held, or not over)
        self._asked_s: float | None = None
        self._other_since_s: float | None = None

    @property
    def running(self) -> StanceLap | None:
        lap = self.laps[-1] if self.laps else None
        return lap if lap is not None and lap.held is None else None

    @property
    def asked(self) -> StanceDef | None:
        return self.order[self.index] if self.index < len(self.order) else None

    def start(self, t_s: float) -> None:
        """Go: the first stance is asked for now."""
        self._asked_s = t_s

    def update(self, t_s: float, reading: StanceReading) -> list[TestEvent]:
        if self.over:
            return []
        if self._asked_s is None:
            self._asked_s = t_s
        lap = self.running
        if lap is None:
            return self._waiting(t_s, reading)
        if t_s - lap.start_s >= self.hold_s:
            lap.end_s, lap.held = lap.start_s + self.hold_s, True
            self.index += 1
            events = [TestEvent(TestEventKind.STANCE_HELD, f"{lap.title}: held {self.hold_s:g} s", t_s, speak=False)]
            nxt = self.asked
            if nxt is None:
                self.over = True
                events.append(TestEvent(TestEventKind.OVER, f"All {len(self.order)} stances held", t_s))
            else:
                self._asked_s = t_s
                events.append(TestEvent(TestEventKind.NEXT, f"Next: {_instruction(nxt)}", t_s))
            return events
        # Left: the feet read as another stance. (A step within the stance's band is left to the scorer: read
        # live, the feet's movement is too easily faked by frames the loop had to skip.)
        if reading.seen and reading.name != lap.name:
            if self._other_since_s is None:
                self._other_since_s = t_s
            if t_s - self._other_since_s >= LEAVE_GRACE_S:
                lap.end_s, lap.held = self._other_since_s, False
                self.over, self.ended_by = True, lap.name
                return [TestEvent(TestEventKind.OVER, f"{lap.title} not held ({lap.elapsed_s(t_s, self.hold_s):.1f} s):"
                                  " the test ends", t_s)]
        elif reading.seen:
            self._other_since_s = None
        return []

    def _waiting(self, t_s: float, reading: StanceReading) -> list[TestEvent]:
        want = self.asked
        assert want is not None and self._asked_s is not None
        if reading.seen and reading.name == want.name and (reading.still or want.lifted):
            self.laps.append(StanceLap(want.name, want.title, t_s))
            self._other_since_s = None
            return [TestEvent(TestEventKind.STANCE_TAKEN, f"{want.title}: hold {self.hold_s:g} s", t_s, speak=False)]
        if t_s - self._asked_s >= TAKE_TIMEOUT_S:
            self.over, self.ended_by = True, want.name
            return [TestEvent(TestEventKind.OVER, f"{want.title} not taken within {TAKE_TIMEOUT_S:g} s: the test ends",
                              t_s)]
        return []


def _instruction(stance: StanceDef) -> str:
    """``Tandem stance. Place one foot in front of the other...`` (the title alone when it says it all)."""
    said = stance.instruction.strip()
    if not said or said.rstrip(".").lower() == stance.title.lower():
        return f"{stance.title}."
    return f"{stance.title}. {said}"


# -- the test run ------------------------------------------------------------------------------------------------
class TestRun:
    """One function test, live: feed it every frame (:meth:`update`), draw its :meth:`view`, say and log its
    events; score it when it says so (a ``SCORE`` event) and hand the result over (:meth:`finish`).

    ``countdown_s``: from the moment the person is in position to "go" (0: go at once)."""

    __test__ = False  # not a pytest test class

    def __init__(self, protocol: ProtocolSpec, countdown_s: float = COUNTDOWN_S) -> None:
        if not 0 <= countdown_s <= MAX_COUNTDOWN_S:
            raise ConfigError(f"the countdown must be 0-{MAX_COUNTDOWN_S:g} s, not {countdown_s:g}")
        self.protocol = protocol
        self.countdown_s = countdown_s
        self.stage = Stage.SETUP
        self.go_s: float | None = None
        self.over_s: float | None = None  # when the clock stopped (the end of the 30 s, the last stand...)
        self.ended: str | None = None  # what ended it, in words
        self.stands_s: list[float] = []  # a count test's stands since go (the live reading)
        self.result: dict[str, object] | None = None  # the scorer's test object, once finished
        self.stances = StanceClock(protocol) if protocol.kind == "stances" else None
        self._announced = False
        self._said: int | None = None  # the countdown number said last
        self._over_seen_s: float | None = None  # the frame at which the end was seen
        self._score_asked = False
        self._now_s = 0.0

    @property
    def done(self) -> bool:
        return self.stage == Stage.DONE

    @property
    def end_s(self) -> float | None:
        """A count-in-time test's end: ``duration_s`` after go."""
        if self.go_s is None or self.protocol.duration_s is None or self.protocol.kind != "count_in_time":
            return None
        return self.go_s + self.protocol.duration_s

    def setup_text(self) -> str:
        if self.stances is not None and self.stances.asked is not None:
            return self.stances.asked.instruction or self.protocol.description
        return self.protocol.description

    # -- each frame ----------------------------------------------------------------------------------------
    def update(self, t_s: float, *, ready: bool, stands_s: Sequence[float] = (), at_rest: bool = True,
               void: str | None = None, stance: StanceReading | None = None) -> list[TestEvent]:
        """One frame at ``t_s`` (seconds of the source). ``ready``: the person is in position (the view check
        passed; for a chair test, seated). A count test's ``stands_s``: stands that reached the top this frame,
        ``at_rest``: no attempt under way, ``void``: a void fault carried by an attempt that finished this
        frame. A stances test's ``stance``: this frame's reading."""
        self._now_s = t_s
        events: list[TestEvent] = []
        if self.stage == Stage.SETUP:
            if not self._announced:
                self._announced = True
                events.append(TestEvent(TestEventKind.ANNOUNCE, f"{self.protocol.title}. {self.setup_text()}", t_s))
            if ready:
                self.stage = Stage.COUNTDOWN
                self.go_s = t_s + self.countdown_s
        if self.stage == Stage.COUNTDOWN:
            assert self.go_s is not None
            if t_s >= self.go_s - 1e-9:
                self.stage = Stage.RUNNING
                events.append(TestEvent(TestEventKind.GO, "Go", t_s))
                if self.stances is not None:
                    self.stances.start(t_s)
            else:
                n = math.ceil(self.go_s - t_s - 1e-9)
                if n != self._said:
                    self._said = n
                    events.append(TestEvent(TestEventKind.COUNT, str(n), t_s))
        if self.stage == Stage.RUNNING:
            events += self._running(t_s, stands_s, void, stance)
        if self.stage == Stage.SETTLING and not self._score_asked and self._settled(t_s, at_rest):
            self._score_asked = True
            events.append(TestEvent(TestEventKind.SCORE, "scoring the test", t_s, speak=False))
        return events

    def _running(self, t_s: float, stands_s: Sequence[float], void: str | None, stance: StanceReading | None
                 ) -> list[TestEvent]:
        p = self.protocol
        assert self.go_s is not None
        if self.stances is not None:
            events = self.stances.update(t_s, stance or StanceReading(None, seen=False, still=False))
            if self.stances.over:
                self._over(t_s, t_s, events[-1].text if events else "over")
            return events
        events = []
        end_s = self.end_s if self.end_s is not None else math.inf
        for s in stands_s:
            if self.go_s <= s <= end_s:
                self.stands_s.append(s)
                events.append(TestEvent(TestEventKind.STAND, f"stand {len(self.stands_s)} at "
                                        f"{s - self.go_s:.1f} s", t_s, speak=False))
        if void is not None:
            words = void.replace("_", " ")
            self._over(t_s, t_s, f"{words}: the test stops")
            events.append(TestEvent(TestEventKind.OVER, f"Stop: {words}. The protocol scores it as not done", t_s))
        elif p.kind == "count_in_time" and t_s >= end_s:
            self._over(end_s, t_s, "time")
            events.append(TestEvent(TestEventKind.OVER, "Time! Stop", t_s))
        elif p.kind == "time_to_count" and p.count is not None and len(self.stands_s) >= p.count:
            self._over(self.stands_s[p.count - 1], t_s, f"stand {p.count}")
            events.append(TestEvent(TestEventKind.OVER, "Stop. Sit down", t_s))
        return events

    def _over(self, clock_s: float, seen_s: float, why: str) -> None:
        self.stage = Stage.SETTLING
        self.over_s, self._over_seen_s, self.ended = clock_s, seen_s, why

    def _settled(self, t_s: float, at_rest: bool) -> bool:
        assert self._over_seen_s is not None
        waited = t_s - self._over_seen_s
        if self.stances is not None:
            return waited >= STANCE_SETTLE_S
        return at_rest or waited >= SETTLE_MAX_S

    # -- the end ---------------------------------------------------------------------------------------------
    def stop(self, t_s: float, why: str) -> bool:
        """The session ends (the source ended, q) at ``t_s``: True when there is a test to score (go has come),
        which then ends here unless it had already."""
        if self.go_s is None or t_s < self.go_s:
            return False
        if self.stage == Stage.RUNNING:
            clock = self.stances
            if clock is not None:
                clock.over = True
                if clock.running is not None:
                    lap = clock.running
                    lap.end_s, lap.held = t_s, t_s - lap.start_s >= clock.hold_s
            self._over(t_s, t_s, why)
        return self.stage in (Stage.SETTLING, Stage.DONE)

    def finish(self, result: dict[str, object]) -> list[TestEvent]:
        """The scorer's test object (report.json's ``test``): the run is done; the result is said."""
        self.result = result
        self.stage = Stage.DONE
        self._score_asked = True
        text = score_text(result, len(self.protocol.stances) or None)
        return [TestEvent(TestEventKind.RESULT, f"{self.protocol.title}: {text}", self._now_s)]

    # -- the screen ------------------------------------------------------------------------------------------
    def view(self, t_s: float) -> TestView:
        p = self.protocol
        heading = p.title
        if self.stage == Stage.SETUP:
            return TestView(p.kind, self.stage, heading, "", "Get ready", detail=self.setup_text())
        if self.stage == Stage.COUNTDOWN:
            assert self.go_s is not None
            left = max(1, math.ceil(self.go_s - t_s - 1e-9))
            return TestView(p.kind, self.stage, heading, "", "Get ready", detail=self.setup_text(), centre=str(left))
        just_gone = self.stage == Stage.RUNNING and self.go_s is not None and t_s - self.go_s < GO_SHOWN_S
        centre = "Go!" if just_gone else None
        result = None if self.result is None else str(self.result.get("verdict") or "")
        if self.stances is not None:
            return self._stance_view(t_s, heading, centre, result)
        assert self.go_s is not None
        now = t_s if self.over_s is None else self.over_s
        n = len(self.stands_s)
        # The clock's word: the time left; once stopped, why.
        words = {("count_in_time", True): "left", ("count_in_time", False): "Time!", ("time_to_count", True): "",
                 ("time_to_count", False): "Stop!"}
        label = words[(p.kind, self.stage == Stage.RUNNING)]
        if self.result is not None:
            label = score_text(self.result, len(p.stances) or None)
        if p.kind == "count_in_time":
            assert p.duration_s is not None
            left_s = max(0.0, p.duration_s - (now - self.go_s))
            return TestView(p.kind, self.stage, heading, f"{math.ceil(left_s - 1e-9)} s", label,
                            count=f"{n} stand{'s' if n != 1 else ''}", fraction=left_s / p.duration_s, centre=centre,
                            result=result)
        count = p.count or 0
        elapsed = max(0.0, now - self.go_s)
        return TestView(p.kind, self.stage, heading, f"{elapsed:.1f} s", label, count=f"{n} of {count} stands",
                        fraction=min(1.0, n / count) if count else None, centre=centre, result=result)

    def _stance_view(self, t_s: float, heading: str, centre: str | None, result: str | None) -> TestView:
        clock = self.stances
        assert clock is not None
        hold = clock.hold_s
        laps = tuple((lap.title, f"{lap.elapsed_s(t_s, hold):.1f} s", lap.held) for lap in clock.laps)
        n = len(clock.order)
        lap = clock.running
        if lap is None and self.stage != Stage.RUNNING and clock.laps and clock.ended_by in (None, clock.laps[-1].name):
            lap = clock.laps[-1]  # over: the last stance timed stays up (unless the next was never taken)
        asked = clock.asked
        if self.result is not None:
            return TestView("stances", self.stage, heading, "", score_text(self.result, len(clock.order)),
                            result=result, laps=laps)
        if lap is not None:
            k = clock.order.index(next(s for s in clock.order if s.name == lap.name))
            after = clock.order[k + 1] if k + 1 < n else None
            detail = f"Next: {after.title} - {after.instruction}" if after is not None else "The last stance"
            elapsed = lap.elapsed_s(t_s, hold)
            return TestView("stances", self.stage, f"{heading} · stance {k + 1} of {n}", f"{elapsed:.1f} s",
                            lap.title, count=f"of {hold:g} s", detail=detail, fraction=elapsed / hold, centre=centre,
                            laps=laps)
        k = clock.index
        want = asked or clock.order[-1]
        return TestView("stances", self.stage, f"{heading} · stance {min(k + 1, n)} of {n}", "0.0 s", want.title,
                        count=f"of {hold:g} s", detail=f"Now: {want.instruction}", fraction=0.0, centre=centre,
                        laps=laps)


def score_text(result: dict[str, object], stances_total: int | None = None) -> str:
    """The result in a few words: ``12 stands``, ``9.9 s``, ``3 of 4 stances held`` (``stances_total``: how many
    the test has; default the stances done)."""
    kind = result.get("kind")
    if result.get("voided_by"):
        return "void (arms used)" if result.get("voided_by") == "arms_push_off" else "void"
    if kind == "count_in_time":
        return f"{result.get('score')} stands"
    if kind == "time_to_count":
        time_s = result.get("time_s")
        return f"{time_s:.1f} s" if isinstance(time_s, int | float) else "not completed"
    stances = result.get("stances")
    if isinstance(stances, list) and stances:
        held = sum(1 for s in stances if isinstance(s, dict) and s.get("held"))
        return f"{held} of {stances_total or len(stances)} stances held"
    return "not done"


# -- what the scorer reads ---------------------------------------------------------------------------------------
@dataclass
class TestRecorder:
    """What ``posecount test`` scores a test from, collected frame by frame as
    :func:`posecount.pipeline.run_analysis` collects it: a count test's whole-body drive, a stances test's feet;
    :meth:`score` then runs the same scorer with "go" given."""

    __test__ = False  # not a pytest test class

    protocol: ProtocolSpec
    series: list[tuple[float, float]] = field(default_factory=list)
    feet: FeetRecorder | None = None

    def __post_init__(self) -> None:
        if self.protocol.kind == "stances" and self.feet is None:
            self.feet = FeetRecorder()

    def add(self, t_s: float, drive_value: float, pose: Pose | None, raw: Pose | None) -> None:
        """One frame: the drive's value on the test's track, the smoothed pose and the model's own."""
        if self.feet is not None:
            self.feet.add(t_s, pose, raw)
        else:
            self.series.append((t_s, drive_value))

    def score(self, counter: RepCounter, track: Track, start_s: float | None, age: int | None = None,
              sex: Sex | None = None) -> dict[str, object]:
        """report.json's ``test`` object, from the reps so far and what was collected."""
        if self.feet is not None:
            return score_balance(self.protocol, self.feet.track(), start_s=start_s, age=age, sex=sex).to_dict()
        return score_test(self.protocol, counter.reps, self.series, rest=counter.rest_level(track),
                          start=counter.start_line(track), target=counter.target_line(track), start_s=start_s,
                          age=age, sex=sex).to_dict()


__all__ = ["COUNTDOWN_S", "LiveStance", "Stage", "StanceClock", "StanceLap", "StanceReading", "TestEvent",
           "TestEventKind", "TestRecorder", "TestRun", "TestView", "score_text"]
