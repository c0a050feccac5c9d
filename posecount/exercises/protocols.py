"""Timed function tests (the camera-scored STEADI tests) built on the engine's reps: data in, a score out.

A test is a TOML file in ``protocols/`` (:class:`ProtocolSpec`): which exercise it counts (its reps come
from the one engine, :mod:`posecount.exercises.engine`), its kind, its norms and their source. Two kinds:

* ``count_in_time`` (30-second chair stand): full stands whose top is reached within ``duration_s`` of
  "go"; one still on its way up at the end counts when the drive is more than halfway from rest to the
  target then (the protocol's "over halfway to a standing position");
* ``time_to_count`` (five-times sit-to-stand): seconds from "go" to the top of the ``count``-th full stand;
* ``stances`` (4-stage balance): each stance of ``stances`` timed up to ``hold_s``, the test ending at the first
  not held; it counts no reps (no exercise: the feet are read by :mod:`posecount.exercises.balance`).

"Go" is given (``start_s``: a spoken countdown live, ``--start`` for a video) or found: the moment the drive
first left its rest band before the first attempt (movement onset, earlier than the engine's start line).
A rep carrying one of ``void_faults`` (arms used to push off) voids the test: score 0 or no time, as the
protocols say. Pure: no video, no clock.
"""

from __future__ import annotations

import math
import tomllib
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError, model_validator

from posecount.errors import ConfigError
from posecount.exercises.engine import RepRecord
from posecount.exercises.spec import ExerciseSpec

PROTOCOLS_DIR = Path(__file__).parent / "protocols"
Sex = Literal["female", "male"]
#: Movement onset: the drive has left rest by this share of the way from rest to the start line.
ONSET_FRACTION = 0.2


class _Frozen(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")


class NormRow(_Frozen):
    """One age band's line: below it (or above it, for a time) is worse than the norm."""

    sex: Sex | None = None
    age_min: int = Field(ge=0, le=130)
    age_max: int = Field(ge=0, le=130)
    threshold: float = Field(ge=0)


class StanceDef(_Frozen):
    """One stance of a ``stances`` test, as the protocol describes it."""

    name: str = Field(pattern=r"^[a-z][a-z0-9_]*$")
    title: str
    instruction: str = ""
    lead_ratio: float | None = Field(None, ge=0, le=3, description="the front foot's lead over the other, in "
                                     "foot lengths (0: side by side)")
    lifted: bool = Field(False, description="on one foot: the other off the floor")

    @model_validator(mode="after")
    def _defined(self) -> StanceDef:
        if (self.lead_ratio is None) == (not self.lifted):
            raise ValueError(f"stance {self.name}: give lead_ratio (feet on the floor) or lifted = true, not both")
        return self


class ProtocolSpec(_Frozen):
    """One function test, as data."""

    name: str = Field(pattern=r"^[a-z][a-z0-9-]*$")
    title: str
    description: str
    exercise: str | None = Field(None, description="the exercise whose full reps the test counts (none: a "
                                 "stances test)")
    kind: Literal["count_in_time", "time_to_count", "stances"]
    duration_s: float | None = Field(None, gt=0, le=600)
    count: int | None = Field(None, ge=1, le=100)
    halfway_counts: bool = False
    top_within: float = Field(0.0, ge=0, description="a rep's moment (a stand's time): when the drive first comes "
                              "within this of its highest in that rep, in the drive's unit (0: the engine's peak_s, "
                              "where the hold at the top starts)")
    void_faults: tuple[str, ...] = ()
    hold_s: float | None = Field(None, gt=0, le=600, description="stances: each is timed up to this; held when kept "
                                 "this long")
    stances: tuple[StanceDef, ...] = ()
    fall_risk_stance: str | None = Field(None, description="stances: not holding this one is an increased risk "
                                         "of falling")
    norm: Literal["below_average_if_less", "worse_if_more", "fall_risk_if_not_held"]
    norm_source: str
    norms: tuple[NormRow, ...] = ()
    sources: tuple[str, ...] = ()

    @model_validator(mode="after")
    def _complete(self) -> ProtocolSpec:
        if self.kind == "count_in_time" and self.duration_s is None:
            raise ValueError("a count_in_time test needs duration_s")
        if self.kind == "time_to_count" and self.count is None:
            raise ValueError("a time_to_count test needs count")
        if self.kind != "stances" and self.exercise is None:
            raise ValueError(f"a {self.kind} test needs exercise (whose reps it counts)")
        if self.kind == "stances":
            if self.hold_s is None or not self.stances:
                raise ValueError("a stances test needs hold_s and its stances")
            names = [s.name for s in self.stances]
            if len(set(names)) != len(names):
                raise ValueError("stance names must be unique")
            if self.fall_risk_stance is not None and self.fall_risk_stance not in names:
                raise ValueError(f"fall_risk_stance {self.fall_risk_stance!r} is not one of the stances "
                                 f"({', '.join(names)})")
        return self

    def norm_for(self, age: int | None, sex: Sex | None) -> NormRow | None:
        """The norm row for this person (None when the table has no band for them, or age is unknown)."""
        if age is None:
            return None
        for row in self.norms:
            if row.age_min <= age <= row.age_max and (row.sex is None or row.sex == sex):
                return row
        return None


def builtin_protocols() -> dict[str, ProtocolSpec]:
    return {p.name: p for p in (load_protocol(f) for f in sorted(PROTOCOLS_DIR.glob("*.toml")))}


def load_protocol(path: Path) -> ProtocolSpec:
    try:
        with open(path, "rb") as fh:
            data = tomllib.load(fh)
    except OSError as exc:
        raise ConfigError(f"{path}: cannot read the test ({exc.strerror or exc})") from exc
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(f"{path}: not valid TOML ({exc})") from exc
    try:
        return ProtocolSpec.model_validate(data)
    except ValidationError as exc:
        err = exc.errors()[0]
        where = ".".join(str(p) for p in err["loc"]) or "(top level)"
        raise ConfigError(f"{path}: {where}: {err['msg']}") from exc


def get_protocol(name: str) -> ProtocolSpec:
    known = builtin_protocols()
    if name in known:
        return known[name]
    raise ConfigError(f"unknown test {name!r}; known: {', '.join(sorted(known))}")


def protocol_exercise(protocol: ProtocolSpec) -> ExerciseSpec:
    """The exercise the engine runs for ``protocol``: the one whose reps it counts, or for a stances test one
    that counts nothing (:func:`posecount.exercises.balance.stance_spec`)."""
    if protocol.exercise is not None:
        from posecount.exercises import get_exercise

        return get_exercise(protocol.exercise)
    from posecount.exercises.balance import stance_spec

    return stance_spec(protocol)


@dataclass(frozen=True)
class FunctionTestResult:
    """A function test's outcome and how it came about (the ``test`` object of report.json)."""

    protocol: ProtocolSpec
    start_s: float
    start_from: str  # "given" or "first movement"
    score: int | None  # count_in_time: stands
    time_s: float | None  # time_to_count: seconds to the last stand (None: not completed)
    completed: bool
    voided_by: str | None  # the fault that voided it
    stands: tuple[float, ...]  # the time of each stand counted (top reached), seconds of the video
    halfway_at_end: bool
    age: int | None
    sex: Sex | None
    norm: NormRow | None

    @property
    def below_norm(self) -> bool | None:
        """Worse than the norm for this person's age (and sex); None without a norm to compare with."""
        if self.norm is None or not self.completed:
            return None
        if self.protocol.norm == "below_average_if_less":
            return (self.score or 0) < self.norm.threshold
        return self.time_s is None or self.time_s > self.norm.threshold

    def verdict(self) -> str:
        """Plain words: the score or time, and against which norm."""
        p = self.protocol
        what = (f"{self.score} stands in {p.duration_s:g} s" if p.kind == "count_in_time"
                else f"{self.time_s:.1f} s for {p.count} stands" if self.time_s is not None
                else f"not completed ({len(self.stands)} of {p.count} stands)")
        if self.voided_by:
            what = f"{what}: void, {self.voided_by.replace('_', ' ')} (the protocol scores it as not done)"
        if self.norm is None:
            return what + ("" if self.age is not None else " (give --age and --sex to compare with the norms)")
        band = f"{self.norm.age_min}-{self.norm.age_max}" + (f", {self.norm.sex}" if self.norm.sex else "")
        unit = "stands" if p.kind == "count_in_time" else "s"
        line = f"{self.norm.threshold:g} {unit}"
        if self.below_norm:
            return f"{what}: below average for {band} (norm line {line})"
        return f"{what}: not below average for {band} (norm line {line})"

    def to_dict(self) -> dict[str, object]:
        p = self.protocol
        return {
            "name": p.name, "title": p.title, "exercise": p.exercise, "kind": p.kind,
            "start_s": round(self.start_s, 3), "start_from": self.start_from,
            **({"duration_s": p.duration_s, "score": self.score} if p.kind == "count_in_time" else
               {"count": p.count, "time_s": None if self.time_s is None else round(self.time_s, 2)}),
            "completed": self.completed, "voided_by": self.voided_by,
            "stands_s": [round(t, 3) for t in self.stands], "halfway_at_end": self.halfway_at_end,
            "age": self.age, "sex": self.sex,
            "norm": None if self.norm is None else {**self.norm.model_dump(), "rule": p.norm,
                                                      "below_norm": self.below_norm},
            "norm_source": p.norm_source, "protocol_sources": list(p.sources), "verdict": self.verdict(),
        }


def movement_onset_s(series: Sequence[tuple[float, float]], first_attempt_s: float, rest: float, start: float
                     ) -> float:
    """When the drive last sat in its rest band before ``first_attempt_s`` (``series``: (t_s, value) pairs, NaN
    allowed): the rest band reaches ``ONSET_FRACTION`` of the way from ``rest`` to the start line."""
    band = rest + ONSET_FRACTION * (start - rest)
    rising = start > rest
    onset = first_attempt_s
    for t, v in series:
        if t > first_attempt_s:
            break
        if v == v and ((v <= band) if rising else (v >= band)):
            onset = t
    return onset


def score_test(protocol: ProtocolSpec, reps: Sequence[RepRecord], series: Sequence[tuple[float, float]],
               rest: float, start: float, target: float, start_s: float | None = None, age: int | None = None,
               sex: Sex | None = None) -> FunctionTestResult:
    """Score ``protocol`` from the exercise's reps and its drive series ((t_s, value), the whole-body drive).

    ``rest``, ``start`` and ``target`` are the drive's lines (the person's learned rest when known)."""
    given = start_s is not None
    if start_s is None:
        first = min((r.start_s for r in reps), default=None)
        start_s = movement_onset_s(series, first, rest, start) if first is not None else 0.0
    timed = protocol.kind == "count_in_time"
    end_s = start_s + protocol.duration_s if timed and protocol.duration_s is not None else math.inf
    window = [r for r in reps if r.end_s >= start_s and r.start_s <= end_s]
    voided = next((f for r in window for f in r.faults if f in protocol.void_faults), None)
    started_from = "given" if given else "first movement"
    norm = protocol.norm_for(age, sex)
    if timed:
        tops = {id(r): _top_s(r, series, protocol.top_within, rising=target > rest) for r in window}
        stands = [tops[id(r)] for r in window if r.counted and tops[id(r)] <= end_s]
        halfway = protocol.halfway_counts and _halfway_at(series, end_s, rest, target) and not any(
            tops[id(r)] <= end_s <= r.end_s for r in window if r.counted)
        score = 0 if voided else len(stands) + int(halfway)
        return FunctionTestResult(protocol, start_s, started_from, score, None, True, voided, tuple(stands),
                                  halfway, age, sex, norm)
    assert protocol.count is not None
    stands = [_top_s(r, series, protocol.top_within, rising=target > rest) for r in window if r.counted
              ][:protocol.count]
    done = len(stands) == protocol.count and not voided
    time_s = stands[-1] - start_s if done else None
    return FunctionTestResult(protocol, start_s, started_from, None, time_s, done, voided, tuple(stands), False,
                              age, sex, norm)


def _top_s(rep: RepRecord, series: Sequence[tuple[float, float]], within: float, rising: bool) -> float:
    """The moment of a rep's top: the first time within ``within`` of its highest drive value (the rise has
    ended: a stand is fully up), or the engine's ``peak_s`` (the hold's start) when ``within`` is 0 or the
    series has nothing in the rep. The engine's hold starts once the movement has all but stopped, judged
    over a window, which is ~0.2 s before a minimum-jerk rise actually ends; a stand's time in a timed
    test is when the person is up."""
    if within <= 0:
        return rep.peak_s
    inside = [(t, v) for t, v in series if rep.start_s <= t <= rep.end_s and v == v]
    if not inside:
        return rep.peak_s
    sign = 1.0 if rising else -1.0
    top = max(sign * v for _, v in inside)
    return next(t for t, v in inside if sign * v >= top - within)


def _halfway_at(series: Sequence[tuple[float, float]], t_end: float, rest: float, target: float) -> bool:
    """The drive is more than halfway from rest to the target at ``t_end`` (the last value seen by then)."""
    last = None
    for t, v in series:
        if t > t_end:
            break
        if v == v:
            last = v
    if last is None:
        return False
    return (last - rest) / (target - rest) > 0.5


__all__ = [
    "FunctionTestResult",
    "NormRow",
    "ProtocolSpec",
    "StanceDef",
    "builtin_protocols",
    "get_protocol",
    "load_protocol",
    "movement_onset_s",
    "protocol_exercise",
    "score_test",
]
