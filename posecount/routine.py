"""A routine: exercises in order, sets, reps per leg and rests, as data (a TOML file) and as a pure state
machine that walks a person through it.

The walk, for each exercise of the routine::

    set-up check → "Left leg: n/10" → "Now the right leg" → set done → "Rest 30 s" → next set → ...
    → "Next: seated knee extension - turn your chair side-on to the camera" (its set-up check) → ...
    → finished → pain (0-10) → effort (0-10) → done

:class:`RoutineRun` knows no pixels, no keys codes and no clock: the live loop hands it the time (seconds
of the session, ``now_s``), the set-up check (the view check, and which leg is nearer the camera), the
engine's phase of the leg at work, every finished attempt and the answer keys; it answers with
:class:`RoutineEvent` (what to say, log and store) and :meth:`RoutineRun.view` (what to show).

A near-leg exercise (seated, camera at the side: only the leg nearer the camera is seen) asks for a new
set-up whenever the leg changes: the person turns the chair, and the check waits until the leg wanted
is the one nearer the camera.

The file (``posecount/routines/seed.toml`` is the built-in one, ``seed``)::

    name = "seed"                     # default: the file's name
    title = "Strong legs: standing and seated"
    breathing_cues = true             # breathe in before the lift, out as the leg comes down
    setup_check_s = 2.0               # the view must pass this long before an exercise starts

    [[exercises]]
    exercise = "side-leg-raise"       # a name from `posecount exercises`, or a spec file (.toml, beside this)
    sets = 2
    reps_per_leg = 10                 # default: the exercise's own goal per leg
    rest_s = 30                       # after each set (0: none)
    legs = ["left", "right"]          # the order; default left then right
    target_deg = { left = 15 }        # per-leg targets, in the exercise's unit (optional)
    min_hold_s = { left = 3 }         # per-leg hold times (optional)
    setup = "stand behind your chair, facing the camera"   # default: from the exercise's view and posture

Any problem is a one-line :class:`~posecount.errors.ConfigError` naming the file and the field.
"""

from __future__ import annotations

import math
import tomllib
from dataclasses import dataclass, field
from enum import StrEnum
from pathlib import Path
from typing import TYPE_CHECKING, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator

from posecount.errors import ConfigError
from posecount.exercises.spec import SIDES, Side, Track, field_path

if TYPE_CHECKING:
    from posecount.exercises.spec import ExerciseSpec

#: The built-in routines: ``NAME.toml`` in this package's ``routines/`` directory.
ROUTINES_DIR = Path(__file__).parent / "routines"
#: How long a stage's opening line ("Now the right leg") stays on screen before the count replaces it.
ANNOUNCE_S = 3.0
#: How long a wrong answer key's hint stays in the prompt.
BAD_KEY_S = 3.0
#: The answer keys: 0-9, and T for ten.
ANSWER_KEYS: dict[str, int] = {**{str(n): n for n in range(10)}, "t": 10, "T": 10}
ANSWER_HINT = "Press 0-9, or T for 10"
#: Times that differ by less than this are the same (sums of frame intervals carry rounding).
EPSILON_S = 1e-6


# == the routine as data ===================================================================================
@dataclass(frozen=True)
class RoutineExercise:
    """One exercise of a routine, resolved against the exercise registry."""

    ref: str  # what get_exercise takes: a registry name, or a spec file's path
    name: str  # the exercise's name (history, reports)
    title: str
    legs: tuple[Track, ...]  # in order; ("both",) for an exercise counted for the whole body
    near_leg: bool  # only the leg nearer the camera is seen: a change of leg is a new set-up (turn the chair)
    sets: int
    reps_per_leg: int
    rest_s: float  # after each set
    setup: str  # what to do before it, in plain words ("turn your chair side-on to the camera")
    target: dict[Side, float] = field(default_factory=dict)  # personal targets, in the exercise's unit
    min_hold_s: dict[Side, float] = field(default_factory=dict)

    @property
    def lower_title(self) -> str:
        return self.title[:1].lower() + self.title[1:]


@dataclass(frozen=True)
class Routine:
    name: str
    title: str
    exercises: tuple[RoutineExercise, ...]
    breathing_cues: bool = False
    setup_check_s: float = 2.0  # the set-up check passes after the view has been right this long
    path: str = ""  # the file it came from


class _ExerciseEntry(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")

    exercise: str
    sets: int = Field(1, ge=1, le=50)
    reps_per_leg: int | None = Field(None, ge=1, le=100)
    rest_s: float = Field(30.0, ge=0, le=1800)
    legs: tuple[Side, ...] | None = None
    target_deg: dict[Side, float] = Field(default_factory=dict)
    min_hold_s: dict[Side, float] = Field(default_factory=dict)
    setup: str | None = None

    @field_validator("legs")
    @classmethod
    def _legs(cls, legs: tuple[Side, ...] | None) -> tuple[Side, ...] | None:
        if legs is not None and (not legs or len(set(legs)) != len(legs)):
            raise ValueError("list each leg once, e.g. [\"left\", \"right\"]")
        return legs


class _RoutineFile(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")

    name: str | None = Field(None, pattern=r"^[A-Za-z0-9][A-Za-z0-9_-]*$")
    title: str | None = None
    breathing_cues: bool = False
    setup_check_s: float = Field(2.0, ge=0, le=60)
    exercises: tuple[_ExerciseEntry, ...] = Field(min_length=1)


def builtin_routines() -> list[str]:
    return sorted(p.stem for p in ROUTINES_DIR.glob("*.toml"))


def load_routine(name_or_path: str | Path) -> Routine:
    """A built-in routine by name (``seed``) or a routine file; any problem is one line naming the file and
    the field."""
    text = str(name_or_path)
    if text in builtin_routines():
        path = ROUTINES_DIR / f"{text}.toml"
    elif text.endswith(".toml"):
        path = Path(text)
    else:
        raise ConfigError(f"unknown routine {text!r}: give a .toml file, or one of: {', '.join(builtin_routines())}")
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except OSError as exc:
        raise ConfigError(f"{path}: cannot read the routine ({exc.strerror or exc})") from exc
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(f"{path}: not valid TOML ({exc})") from exc
    except UnicodeDecodeError as exc:
        raise ConfigError(f"{path}: not a text file ({exc.reason})") from exc
    try:
        parsed = _RoutineFile.model_validate(data)
    except ValidationError as exc:
        raise _error(path, exc) from exc
    exercises = tuple(_resolve(path, i, entry) for i, entry in enumerate(parsed.exercises))
    return Routine(name=parsed.name or path.stem, title=parsed.title or path.stem, exercises=exercises,
                   breathing_cues=parsed.breathing_cues, setup_check_s=parsed.setup_check_s, path=str(path))


def _error(path: Path, exc: ValidationError) -> ConfigError:
    """The first problem as one line: ``FILE: exercises[1].rest_s: must be 0 or more, not -5``."""
    first = exc.errors()[0]
    parts = tuple(first["loc"])
    if "[key]" in parts:  # a bad key of a per-leg table: name the table, the message names the key
        parts = parts[:parts.index("[key]") - 1]
    loc = field_path(parts)
    kind, ctx, given = first["type"], first.get("ctx", {}), first.get("input")
    if kind == "extra_forbidden":
        entry = "exercises" in first["loc"]
        known = (_ExerciseEntry if entry else _RoutineFile).model_fields
        message = f"unknown field; {'an exercise' if entry else 'a routine'} has {', '.join(known)}"
    elif kind == "missing":
        message = "missing"
    elif kind in ("greater_than_equal", "greater_than"):
        message = f"must be {_number(ctx.get('ge', ctx.get('gt')))} or more, not {given!r}"
    elif kind in ("less_than_equal", "less_than"):
        message = f"must be {_number(ctx.get('le', ctx.get('lt')))} or less, not {given!r}"
    elif kind == "literal_error":
        message = f"must be left or right, not {given!r}"
    elif kind == "too_short":
        message = "must list at least one exercise ([[exercises]])"
    else:
        message = str(first["msg"]).removeprefix("Value error, ") + (
            f", not {given!r}" if not isinstance(given, dict | list) else "")
    return ConfigError(f"{path}: {loc + ': ' if loc else ''}{message}")


def _number(value: object) -> str:
    return f"{value:g}" if isinstance(value, int | float) else str(value)


_SETUPS: dict[tuple[str, str], str] = {
    ("front", "standing"): "stand behind your chair, facing the camera",
    ("side", "seated"): "turn your chair side-on to the camera",
    ("side", "standing"): "stand side-on to the camera",
}


def _resolve(path: Path, i: int, entry: _ExerciseEntry) -> RoutineExercise:
    """One entry against the registry: the exercise exists, its legs and personal targets fit it."""
    from posecount.exercises import builtin_exercises, get_exercise, personalise

    at = f"{path}: exercises[{i}]"
    ref = entry.exercise
    if ref.endswith(".toml"):
        spec_path = Path(ref) if Path(ref).is_absolute() else path.parent / ref
        ref = str(spec_path)
    elif ref not in builtin_exercises():
        raise ConfigError(f"{at}.exercise: unknown exercise {ref!r}; choose one of: {', '.join(builtin_exercises())}")
    try:
        spec = get_exercise(ref)
    except ConfigError as exc:
        raise ConfigError(f"{at}.exercise: {exc}") from exc
    if spec.track_kind == "whole_body":
        if entry.legs is not None:
            raise ConfigError(f"{at}.legs: {spec.name} is counted for the whole body: leave legs out")
        if entry.target_deg or entry.min_hold_s:
            raise ConfigError(f"{at}: {spec.name} is counted for the whole body: no per-leg targets or holds")
        legs: tuple[Track, ...] = ("both",)
    else:
        legs = entry.legs or SIDES
    for key, values in (("target_deg", entry.target_deg), ("min_hold_s", entry.min_hold_s)):
        try:
            personalise(spec, values if key == "target_deg" else {}, values if key == "min_hold_s" else {})
        except ConfigError as exc:
            raise ConfigError(f"{at}.{key}: {str(exc).removeprefix(spec.name + ': ')}") from exc
    setup = entry.setup or _SETUPS.get((spec.view, spec.posture), "make sure the camera sees your legs")
    return RoutineExercise(ref=ref, name=spec.name, title=spec.title, legs=legs,
                           near_leg=spec.track_kind == "near_leg", sets=entry.sets,
                           reps_per_leg=entry.reps_per_leg or spec.goal_per_side, rest_s=entry.rest_s, setup=setup,
                           target=dict(entry.target_deg), min_hold_s=dict(entry.min_hold_s))


def routine_specs(routine: Routine) -> tuple[ExerciseSpec, ...]:
    """Each exercise's spec with the routine's per-leg targets and holds, in the routine's order."""
    from posecount.exercises import get_exercise, personalise

    return tuple(personalise(get_exercise(e.ref), dict(e.target), dict(e.min_hold_s)) for e in routine.exercises)


# == the walk ==============================================================================================
class Stage(StrEnum):
    SETUP = "setup"  # waiting for the set-up check (a new exercise, or the chair turned for the other leg)
    EXERCISE = "exercise"  # one leg of a set
    REST = "rest"  # the countdown after a set
    ASK_PAIN = "ask_pain"
    ASK_EFFORT = "ask_effort"
    DONE = "done"


ASKING = (Stage.ASK_PAIN, Stage.ASK_EFFORT)


class EventKind(StrEnum):
    STAGE = "stage"  # a new stage began: ``text`` says it (speak it); ``step`` is where in the routine
    SETUP = "setup"  # a set-up began (a new exercise, or the chair turned for the other leg): ``text`` says what
    SET_STARTED = "set_started"  # one leg of a set begins: a new set in the history
    REP_COUNTED = "rep_counted"
    REP_IGNORED = "rep_ignored"  # an attempt that does not count toward the set (not counted, other leg, resting)
    BREATH = "breath"  # a breathing cue, matched to the phase of the leg at work
    ANSWER = "answer"  # pain or effort answered (``question``, ``value``)
    BAD_KEY = "bad_key"  # a key that is not an answer
    FINISHED = "finished"  # both questions answered (or skipped): the routine is over


@dataclass(frozen=True)
class Step:
    """A place in the routine: one leg of one set of one exercise (``exercise`` is its index)."""

    exercise: int
    set: int  # 1-based
    leg: Track


@dataclass(frozen=True)
class RoutineEvent:
    kind: EventKind
    text: str  # plain words, for the log and (``speak``) the voice
    speak: bool = False
    step: Step | None = None
    question: Literal["pain", "effort"] | None = None
    value: int | None = None


@dataclass
class LegResult:
    """How one leg of one set went (the routine's record; the history has the reps themselves)."""

    step: Step
    exercise: str
    goal: int
    counted: int = 0
    not_counted: int = 0  # attempts on this leg that did not count (why: the rep's faults)
    started_s: float | None = None
    ended_s: float | None = None
    ended: Literal["done", "skipped", "stopped"] | None = None  # None: not reached

    def to_dict(self) -> dict[str, object]:
        return {"exercise": self.exercise, "set": self.step.set, "leg": self.step.leg, "goal": self.goal,
                "counted": self.counted, "not_counted": self.not_counted, "ended": self.ended,
                "started_s": None if self.started_s is None else round(self.started_s, 2),
                "ended_s": None if self.ended_s is None else round(self.ended_s, 2)}


@dataclass(frozen=True)
class RoutineView:
    """What the screen shows of the routine now (drawing: :func:`posecount.overlay.draw_routine`)."""

    stage: Stage
    heading: str  # small: where in the routine ("Standing side leg raise · set 1 of 2")
    text: str  # big: "Left leg: 3/10", "Rest 27 s", "Next: ...", the question
    detail: str | None = None  # smaller: what comes next, the breathing cue, the answer keys
    fraction: float | None = None  # a bar: the rest left, the set-up check's progress (0-1)
    leg: Track | None = None  # the leg at work (exercise stage)
    counts: dict[Track, int] = field(default_factory=dict)  # this set's counted reps per leg
    goal: int = 0  # reps per leg in this set
    choices: tuple[int, ...] = ()  # the answers on offer (0-10) while asking


def breathing_cue(phase: str | None) -> str | None:
    """The breathing cue for the engine's phase of the leg at work: in before the lift, out as the leg comes
    down, and never held at the top (holding the breath while straining raises the blood pressure)."""
    return {"rest": "Breathe in, then lift", "holding": "Keep breathing",
            "lowering": "Breathe out as you lower"}.get(phase or "")


def _leg_word(leg: Track) -> str:
    return "Reps" if leg == "both" else f"{leg.capitalize()} leg"


class RoutineRun:
    """A routine being walked through. Pure: times (``now_s``, seconds of the session) are handed in.

    Call :meth:`start` once, then per frame :meth:`update`, per finished attempt :meth:`rep`; :meth:`skip`
    (on to the next stage), :meth:`key` (an answer), :meth:`stop` (end early: ask now) and
    :meth:`restart_leg` on the person's keys. Each returns the :class:`RoutineEvent` list it caused.
    """

    def __init__(self, routine: Routine) -> None:
        if not routine.exercises:
            raise ConfigError(f"{routine.path or routine.name}: a routine needs at least one exercise")
        self.routine = routine
        self.plan: tuple[Step, ...] = tuple(
            Step(i, s, leg) for i, ex in enumerate(routine.exercises) for s in range(1, ex.sets + 1) for leg in ex.legs)
        self.legs: list[LegResult] = [LegResult(step, routine.exercises[step.exercise].name,
                                                routine.exercises[step.exercise].reps_per_leg) for step in self.plan]
        self.stage = Stage.SETUP
        self.index = 0  # into plan: the leg at work, or next (during a rest or a set-up)
        self.pain: int | None = None
        self.effort: int | None = None
        self.ended_early = False
        self._since_s = 0.0  # when the stage began
        self._ok_since_s: float | None = None  # the set-up check has passed continuously since
        self._announce: str | None = None  # the stage's opening line, shown for ANNOUNCE_S
        self._phase: str | None = None
        self._bad_key_s: float | None = None
        self._setup_kind: Literal["first", "next", "turn"] = "first"
        self._seen_side: Side | None = None  # the leg nearer the camera, as the set-up check last saw it
        self._started = False

    # -- where we are --------------------------------------------------------------------------------------
    @property
    def step(self) -> Step:
        return self.plan[min(self.index, len(self.plan) - 1)]

    @property
    def exercise(self) -> RoutineExercise:
        return self.routine.exercises[self.step.exercise]

    @property
    def asking(self) -> bool:
        return self.stage in ASKING

    @property
    def finished(self) -> bool:
        return self.stage == Stage.DONE

    def set_counts(self, step: Step | None = None) -> dict[Track, int]:
        """Counted reps per leg in the set of ``step`` (default: the current one)."""
        step = step or self.step
        return {r.step.leg: r.counted for r in self.legs
                if r.step.exercise == step.exercise and r.step.set == step.set}

    # -- driving it ----------------------------------------------------------------------------------------
    def start(self, now_s: float) -> list[RoutineEvent]:
        """The first set-up; call once, when the session starts."""
        if self._started:
            return []
        self._started = True
        return self._enter_setup(now_s, "first")

    def update(self, now_s: float, *, view_ok: bool, working_side: Side | None = None,
               phase: str | None = None) -> list[RoutineEvent]:
        """A frame: the set-up check (``view_ok``, and for a near-leg exercise ``working_side``, the leg nearer
        the camera), the engine's ``phase`` of the leg at work (for breathing cues), and the time."""
        if self.stage == Stage.SETUP:
            ex = self.exercise
            self._seen_side = working_side if view_ok else None
            ok = view_ok and (not ex.near_leg or working_side == self.step.leg)
            if not ok:
                self._ok_since_s = None
                return []
            if self._ok_since_s is None:
                self._ok_since_s = now_s
            if now_s - self._ok_since_s >= self.routine.setup_check_s - EPSILON_S:
                return self._begin_leg(now_s, checked=True)
            return []
        if self.stage == Stage.REST:
            if now_s - self._since_s >= self.exercise.rest_s - EPSILON_S:
                return self._after_rest(now_s)
            return []
        if self.stage == Stage.EXERCISE and self.routine.breathing_cues and phase != self._phase:
            before, self._phase = self._phase, phase
            # Said as the phase changes: out as the leg starts down, in once it is back at rest.
            if phase == "lowering" or (phase == "rest" and before is not None):
                cue = breathing_cue(phase)
                if cue:
                    return [RoutineEvent(EventKind.BREATH, cue, speak=True, step=self.step)]
        return []

    def rep(self, side: Track, counted: bool, faults: tuple[str, ...], now_s: float) -> list[RoutineEvent]:
        """A finished attempt (the engine's REP_FINISHED): counts toward the set if it was counted, on the leg
        at work, during an exercise stage; anything else is noted and skipped."""
        step = self.step
        what = f"{side} leg" if side != "both" else "rep"
        if self.stage != Stage.EXERCISE:
            where = {Stage.REST: "during the rest", Stage.SETUP: "before the set-up check passed"}.get(
                self.stage, "after the routine")
            return [RoutineEvent(EventKind.REP_IGNORED, f"{what} attempt {where}: not part of a set", step=step)]
        result = self.legs[self.index]
        if side != step.leg:
            return [RoutineEvent(EventKind.REP_IGNORED, f"{what} attempt while the {_leg_word(step.leg).lower()} "
                                 "is at work: not part of this set", step=step)]
        if not counted:
            result.not_counted += 1
            why = ", ".join(faults) or "not counted"
            return [RoutineEvent(EventKind.REP_IGNORED, f"{what} attempt not counted ({why})", step=step)]
        result.counted += 1
        events = [RoutineEvent(EventKind.REP_COUNTED, f"{_leg_word(step.leg)}: {result.counted}/{result.goal}",
                               step=step)]
        if result.counted >= result.goal:
            events += self._end_leg(now_s, "done")
        return events

    def skip(self, now_s: float) -> list[RoutineEvent]:
        """On to the next stage (Tab or Enter): past the set-up check, the rest of this leg's reps, the rest,
        or a question."""
        if self.stage == Stage.SETUP:
            return self._begin_leg(now_s, checked=False)
        if self.stage == Stage.EXERCISE:
            return self._end_leg(now_s, "skipped")
        if self.stage == Stage.REST:
            return self._after_rest(now_s)
        if self.asking:
            return self._answer(None, now_s)
        return []

    def stop(self, now_s: float) -> list[RoutineEvent]:
        """End the routine early (q): what is under way ends here, and the questions come now."""
        if self.asking or self.finished:
            return []
        self.ended_early = True
        if self.stage == Stage.EXERCISE:
            result = self.legs[self.index]
            result.ended, result.ended_s = "stopped", now_s
        return self._ask(now_s)

    def restart_leg(self, now_s: float) -> list[RoutineEvent]:
        """Start this leg's count over (r); only while a leg is at work."""
        if self.stage != Stage.EXERCISE:
            return []
        result = self.legs[self.index]
        result.counted = result.not_counted = 0
        return [RoutineEvent(EventKind.STAGE, f"{_leg_word(self.step.leg)}: counting again from 0", step=self.step)]

    def key(self, char: str, now_s: float) -> list[RoutineEvent]:
        """An answer key while asking (0-9, T for 10); anything else is a bad key (and ignored)."""
        if not self.asking:
            return []
        if char in ANSWER_KEYS:
            return self._answer(ANSWER_KEYS[char], now_s)
        self._bad_key_s = now_s
        shown = char if char.isprintable() and char.strip() else "that key"
        return [RoutineEvent(EventKind.BAD_KEY, f"{shown} is not an answer ({ANSWER_HINT})")]

    # -- transitions -----------------------------------------------------------------------------------------
    def _enter_setup(self, now_s: float, kind: Literal["first", "next", "turn"]) -> list[RoutineEvent]:
        self.stage, self._since_s, self._ok_since_s, self._setup_kind = Stage.SETUP, now_s, None, kind
        self._seen_side = None
        self._announce = None
        return [RoutineEvent(EventKind.SETUP, self._setup_text(), speak=True, step=self.step)]

    def _setup_text(self) -> str:
        ex, leg = self.exercise, self.step.leg
        if self._setup_kind == "turn":
            return f"Now the {leg} leg - turn your chair so your {leg} leg is nearer the camera"
        turn = f" so your {leg} leg is nearer the camera" if ex.near_leg and leg != "both" else ""
        if self._setup_kind == "next":
            return f"Next: {ex.lower_title} - {ex.setup}{turn}"
        return f"{ex.title}: {ex.setup}{turn}"

    def _begin_leg(self, now_s: float, checked: bool) -> list[RoutineEvent]:
        step, ex = self.step, self.exercise
        self.stage, self._since_s, self._phase = Stage.EXERCISE, now_s, None
        result = self.legs[self.index]
        result.started_s = now_s
        first_of_set = self.index == 0 or self.plan[self.index - 1].set != step.set or \
            self.plan[self.index - 1].exercise != step.exercise
        if step.leg == "both":
            line = f"Set {step.set} of {ex.sets}" if ex.sets > 1 else "Start"
        elif first_of_set:
            line = (f"Set {step.set} of {ex.sets}: {step.leg} leg" if ex.sets > 1 else f"{_leg_word(step.leg)}")
        else:
            line = f"Now the {step.leg} leg"
        self._announce = line
        events = [RoutineEvent(EventKind.SET_STARTED, f"{ex.name} set {step.set} of {ex.sets}, {step.leg}: "
                               f"{ex.reps_per_leg} reps" + ("" if checked else " (set-up check skipped)"), step=step),
                  RoutineEvent(EventKind.STAGE, line, speak=True, step=step)]
        return events

    def _end_leg(self, now_s: float, how: Literal["done", "skipped"]) -> list[RoutineEvent]:
        result = self.legs[self.index]
        result.ended, result.ended_s = how, now_s
        step, ex = self.step, self.exercise
        if self.index + 1 >= len(self.plan):
            return self._ask(now_s)
        nxt = self.plan[self.index + 1]
        if nxt.exercise == step.exercise and nxt.set == step.set:  # the other leg of this set
            self.index += 1
            if ex.near_leg:
                return self._enter_setup(now_s, "turn")
            return self._begin_leg(now_s, checked=True)
        counts = self.set_counts(step)
        done = ", ".join(f"{leg} {n}/{ex.reps_per_leg}" if leg != "both" else f"{n}/{ex.reps_per_leg}"
                         for leg, n in counts.items())
        events = [RoutineEvent(EventKind.STAGE, f"{ex.title} set {step.set} of {ex.sets} done ({done})", step=step)]
        if ex.rest_s > 0:  # during the rest, ``index`` stays on the set just done
            self.stage, self._since_s, self._announce = Stage.REST, now_s, None
            events.append(RoutineEvent(EventKind.STAGE, f"Rest {ex.rest_s:g} s", speak=True, step=step))
            return events
        return events + self._after_rest(now_s)

    def _after_rest(self, now_s: float) -> list[RoutineEvent]:
        before = self.plan[self.index]
        self.index += 1
        step = self.step
        if step.exercise != before.exercise:
            return self._enter_setup(now_s, "next")
        if self.exercise.near_leg and step.leg != before.leg:
            return self._enter_setup(now_s, "turn")
        return self._begin_leg(now_s, checked=True)

    def _ask(self, now_s: float) -> list[RoutineEvent]:
        self.stage, self._since_s, self._announce, self._bad_key_s = Stage.ASK_PAIN, now_s, None, None
        opening = "Routine ended early" if self.ended_early else "Routine done"
        return [RoutineEvent(EventKind.STAGE, f"{opening}. How much pain did you feel, from 0 to 10?", speak=True)]

    def _answer(self, value: int | None, now_s: float) -> list[RoutineEvent]:
        self._bad_key_s = None
        if self.stage == Stage.ASK_PAIN:
            self.pain = value
            self.stage, self._since_s = Stage.ASK_EFFORT, now_s
            said = "pain skipped" if value is None else f"pain {value}"
            return [RoutineEvent(EventKind.ANSWER, said, question="pain", value=value),
                    RoutineEvent(EventKind.STAGE, "How hard was it, from 0 to 10?", speak=True)]
        self.effort = value
        self.stage, self._since_s = Stage.DONE, now_s
        said = "effort skipped" if value is None else f"effort {value}"
        return [RoutineEvent(EventKind.ANSWER, said, question="effort", value=value),
                RoutineEvent(EventKind.FINISHED, "Well done: routine finished" if not self.ended_early
                             else "Routine ended", speak=True)]

    # -- the screen ------------------------------------------------------------------------------------------
    def view(self, now_s: float) -> RoutineView:
        ex, step = self.exercise, self.step
        where = f"{ex.title} · set {step.set} of {ex.sets}"
        counts = self.set_counts()
        if self.stage == Stage.SETUP:
            heading = {"first": "Set-up", "next": "Next exercise", "turn": "Turn your chair"}[self._setup_kind]
            check = self.routine.setup_check_s
            fraction = (0.0 if self._ok_since_s is None or check <= 0
                        else min(1.0, (now_s - self._ok_since_s) / check))
            detail = "Hold still: checking the view" if self._ok_since_s is not None else None
            if ex.near_leg and self._seen_side is not None and self._seen_side != step.leg:
                detail = f"Your {self._seen_side} leg is nearer the camera: turn the chair round"
            return RoutineView(Stage.SETUP, heading, self._setup_text(), detail, fraction, counts=counts,
                               goal=ex.reps_per_leg)
        if self.stage == Stage.EXERCISE:
            result = self.legs[self.index]
            announcing = self._announce is not None and now_s - self._since_s < ANNOUNCE_S
            text = self._announce if announcing and self._announce else \
                f"{_leg_word(step.leg)}: {result.counted}/{result.goal}"
            detail = breathing_cue(self._phase) if self.routine.breathing_cues else None
            return RoutineView(Stage.EXERCISE, where, text, detail, leg=step.leg, counts=counts, goal=ex.reps_per_leg)
        if self.stage == Stage.REST:
            rest = self.exercise
            left_s = max(0.0, rest.rest_s - (now_s - self._since_s))
            return RoutineView(Stage.REST, f"{rest.title} · set {step.set} of {rest.sets} done",
                               f"Rest {math.ceil(left_s - 1e-9):d} s", self._next_line(),
                               left_s / rest.rest_s if rest.rest_s > 0 else 0.0, counts=counts, goal=rest.reps_per_leg)
        if self.asking:
            opening = "Routine ended early" if self.ended_early else "Routine done"
            question = ("Pain during the routine? 0 = none, 10 = the worst imaginable"
                        if self.stage == Stage.ASK_PAIN else "How hard was it? 0 = no effort, 10 = as hard as can be")
            bad = self._bad_key_s is not None and now_s - self._bad_key_s < BAD_KEY_S
            detail = ("That key is not an answer. " if bad else "") + ANSWER_HINT + (
                "; Tab skips the question" if not bad else "")
            return RoutineView(self.stage, opening, question, detail, counts=counts, goal=ex.reps_per_leg,
                               choices=tuple(range(11)))
        answers = " · ".join(f"{name} {'-' if v is None else v}"
                             for name, v in (("Pain", self.pain), ("Effort", self.effort)))
        return RoutineView(Stage.DONE, self.routine.title, "Well done: routine finished" if not self.ended_early
                           else "Routine ended", answers, counts=counts, goal=ex.reps_per_leg)

    def _next_line(self) -> str | None:
        """What follows the rest, in plain words."""
        if self.index + 1 >= len(self.plan):
            return None
        nxt = self.plan[self.index + 1]
        ex = self.routine.exercises[nxt.exercise]
        if nxt.exercise != self.step.exercise:
            return f"Next: {ex.lower_title}"
        leg = "" if nxt.leg == "both" else f" - {nxt.leg} leg"
        return f"Next: set {nxt.set} of {ex.sets}{leg}"

    # -- the record --------------------------------------------------------------------------------------------
    def summary(self) -> dict[str, object]:
        """The routine as it went: routine.json beside report.json. ``finished``: every set was gone through
        (the questions may still be unanswered: None)."""
        complete = all(r.ended in ("done", "skipped") for r in self.legs)
        return {"routine": self.routine.name, "title": self.routine.title, "file": self.routine.path,
                "finished": complete and not self.ended_early, "ended_early": self.ended_early,
                "stage": self.stage.value, "pain": self.pain, "effort": self.effort,
                "sets": [r.to_dict() for r in self.legs if r.ended is not None or r.started_s is not None]}

    def unfinished_note(self) -> str | None:
        """A warning when the session ended before the routine did."""
        if self.finished or self.asking:
            return None
        step, ex = self.step, self.exercise
        where = {Stage.SETUP: "at the set-up check", Stage.REST: "during the rest"}.get(self.stage, "")
        leg = self.legs[self.index]
        doing = where or f"{_leg_word(step.leg).lower()} {leg.counted}/{leg.goal}"
        return f"the routine was not finished: it stopped in {ex.name} set {step.set} of {ex.sets}, {doing}"


__all__ = ["ANSWER_HINT", "ANSWER_KEYS", "EventKind", "LegResult", "Routine", "RoutineEvent", "RoutineExercise",
           "RoutineRun", "RoutineView", "Stage", "Step", "breathing_cue", "builtin_routines", "load_routine",
           "routine_specs"]
