"""What ``posecount live`` is asked to do (:class:`LiveOptions`, :class:`LiveTest`), and where finished attempts
go as it runs (:class:`RepSink`, :class:`RoutineSink`: the history)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Protocol

from posecount.exercises.engine import RepRecord
from posecount.exercises.protocols import ProtocolSpec, Sex
from posecount.exercises.spec import ExerciseSpec
from posecount.pose import PoseOptions
from posecount.routine import Routine
from posecount.testrun import COUNTDOWN_S

#: When the source ends while a routine asks its questions, the window waits this long for the answers.
ANSWER_WAIT_S = 300.0


@dataclass(frozen=True)
class LiveTest:
    """A function test to run live (``--test NAME``): the protocol, the person (for the norms) and the countdown
    from being in position to "go"."""

    protocol: ProtocolSpec
    age: int | None = None
    sex: Sex | None = None
    countdown_s: float = COUNTDOWN_S


@dataclass(frozen=True)
class LiveOptions:
    """What ``posecount live`` was asked to do. ``source`` (a file or URL) wins over ``camera``."""

    spec: ExerciseSpec
    pose: PoseOptions | None  # None: every frame's pose is replayed from ``landmarks``
    out_dir: Path
    camera: int = 0
    source: str | None = None
    resolution_wh: tuple[int, int] | None = (1280, 720)
    fps: float | None = 30.0
    mute: bool = False
    mirror: bool = True
    headless: bool = False
    stall_timeout_s: float = 5.0  # no frame for this long: the camera or stream is lost
    speed: float = 1.0  # playback speed of a --source file (1.0 = real time)
    display_min_height_px: int = 720  # smaller frames are enlarged for display, so the text stays legible
    #: what Tab cycles through, each with the person's own targets (default: the built-in exercises as filed)
    exercises: tuple[ExerciseSpec, ...] = ()
    #: the session in the history, written as it goes (None: --no-history)
    history: RepSink | None = None
    #: files played after ``source``, one after another (a playlist: one per set-up of a routine)
    playlist: tuple[str, ...] = ()
    #: a routine to walk through (``spec`` is then its first exercise)
    routine: Routine | None = None
    #: recordings made by ``posecount pose`` to replay instead of running the model: a .npz for one source,
    #: or a directory holding NAME.npz for each source NAME.*
    landmarks: Path | None = None
    answer_wait_s: float = ANSWER_WAIT_S
    #: a function test to run (``spec`` is then the exercise it counts: ``protocol_exercise``)
    test: LiveTest | None = None


class RepSink(Protocol):
    """Where finished attempts go as the session runs (posecount.history.SessionWriter): a crash loses
    nothing counted."""

    def rep(self, rep: RepRecord) -> None: ...

    def switched(self, finished: Sequence[RepRecord], spec: ExerciseSpec, at_s: float) -> None: ...

    def reset(self) -> None: ...


class RoutineSink(RepSink, Protocol):
    """A history that also takes a routine's sets and the person's answers (SessionWriter)."""

    def routine_set(self, spec: ExerciseSpec, *, side: str, target_reps: int, at_s: float,
                    settings: dict[str, object] | None = None) -> None: ...

    def rate(self, *, pain: int | None = None, effort: int | None = None) -> None: ...

    def end_set(self, *, at_s: float) -> None: ...
