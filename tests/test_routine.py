"""``posecount live --routine``: the routine as data, its state machine, the live loop walking it, the window.

Four layers, fastest first:

* The file and its loader: the built-in ``seed``, and one-line errors naming the file and the field.
* :class:`~posecount.routine.RoutineRun` on a fake clock (plain numbers: it is handed the time): the order of
  the stages, the set-up check (the leg nearer the camera for a seated exercise), counted and not-counted
  attempts, the rest countdown, skipping, ending early, breathing cues, the answer keys (and bad ones).
* The live loop in-process over a playlist of committed sample recordings (no model): a routine whose set
  sizes fit the clips, the rest's end and the answers driven by a fake window that acts on what the routine
  shows; the history (the temporary file conftest gives) must hold the clips' truth, set by set.
* ``posecount live --routine`` in a real window on Xvfb (``gui``; the recordings replayed, no model): a
  screenshot of each stage, told apart by the routine's stage colours; a routine file sized to three clips in
  real time, and the built-in ``seed`` as prescribed (2 x 2 sets of 10 reps per leg, 30 s rests) over a
  playlist of 17 clips at 5x, the test ending each leg by Tab once its clips' reps are counted and answering
  the questions; the history must hold each leg of each set with its clips' truth.
"""

from __future__ import annotations

import json
import os
import sqlite3
import subprocess
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass, field, replace
from itertools import pairwise
from pathlib import Path

import cv2
import numpy as np
import pytest

# xvfb: test_live's private X server fixture, used here too
from test_live import SHOWN_WH, X11, ListFeed, LiveProcess, Recorded, XServer, _near, _recorded, xvfb  # noqa: F401

from posecount.display import KEY_ESC, KEY_TAB, NullWindow
from posecount.errors import ConfigError
from posecount.exercises.spec import SIDES, Side
from posecount.history import History, SessionWriter, daily, default_db_path, sessions
from posecount.live import KEY_ENTER, EndReason, LiveLoop, OpenedSource, save_live_result
from posecount.overlay import ASK_YELLOW, GREEN, REST_TEAL, ROUTINE_BLUE, SETUP_PURPLE, RoutineBanner, draw_routine
from posecount.routine import (
    ANSWER_KEYS,
    EventKind,
    Routine,
    RoutineEvent,
    RoutineRun,
    Stage,
    breathing_cue,
    builtin_routines,
    load_routine,
    routine_specs,
)

ROOT = Path(__file__).resolve().parents[1]
SAMPLES = ROOT / "samples"
#: The playlist: one file per set-up of the test routine (side leg raise; seated, left leg; seated, right leg).
PLAYLIST = ("slr_clean_alternating", "ske_clean_facing_left", "ske_clean_facing_right")

#: The seed's two exercises, with set sizes the sample clips complete: the side-leg-raise clip lifts L, R,
#: L, R (so two sets of one rep per leg), each seated clip lifts its near leg three times (one set of three).
#: Rest and set-up check are short enough for the clips: the first rest (after the right rep ending at
#: 16.5 s) is over before the next left rep ends (25.1 s); each seated check passes before the first
#: extension ends (6.5 s into its clip).
TEST_ROUTINE = """\
name = "test"
title = "The seed's exercises, sized to the sample clips"
breathing_cues = true
setup_check_s = {check_s}

[[exercises]]
exercise = "side-leg-raise"
sets = 2
reps_per_leg = 1
rest_s = {rest_s}

[[exercises]]
exercise = "seated-knee-extension"
sets = 1
reps_per_leg = 3
rest_s = {rest_s}
"""


def _write_routine(tmp_path: Path, rest_s: float = 5.0, check_s: float = 2.0) -> Path:
    path = tmp_path / "test-routine.toml"
    path.write_text(TEST_ROUTINE.format(rest_s=rest_s, check_s=check_s))
    return path


def _truth(name: str) -> dict[str, int]:
    return json.loads((SAMPLES / f"{name}.truth.json").read_text())["counts"]  # type: ignore[no-any-return]


# == the file ===========================================================================================
def test_the_seed_routine_is_built_in() -> None:
    assert "seed" in builtin_routines()
    seed = load_routine("seed")
    assert [e.name for e in seed.exercises] == ["side-leg-raise", "seated-knee-extension"]
    slr, ske = seed.exercises
    assert slr.reps_per_leg == ske.reps_per_leg == 10 and slr.legs == ske.legs == SIDES
    assert slr.rest_s == 30 and slr.sets >= 1 and seed.breathing_cues
    assert not slr.near_leg and ske.near_leg, "seated: only the leg nearer the camera is seen"
    assert "side-on" in ske.setup
    assert [s.name for s in routine_specs(seed)] == ["side-leg-raise", "seated-knee-extension"]


def test_per_leg_targets_and_holds_reach_the_specs(tmp_path: Path) -> None:
    path = tmp_path / "mine.toml"
    path.write_text('[[exercises]]\nexercise = "side-leg-raise"\ntarget_deg = { left = 15 }\n'
                    'min_hold_s = { right = 3 }\nlegs = ["right", "left"]\n')
    routine = load_routine(path)
    (ex,) = routine.exercises
    assert routine.name == "mine" and ex.legs == ("right", "left") and ex.reps_per_leg == 10 and ex.sets == 1
    (spec,) = routine_specs(routine)
    assert spec.target("left") == 15 and spec.min_hold_s("right") == 3
    assert spec.target("right") == 20 and spec.min_hold_s("left") == 2, "the other leg keeps the exercise's own"


ERROR_CASES = [
    ('[[exercises]]\nexercise = "jumping-jack"\n', "exercises[0].exercise: unknown exercise 'jumping-jack'"),
    ('[[exercises]]\nexercise = "side-leg-raise"\nrest_s = -5\n', "exercises[0].rest_s: must be 0 or more, not -5"),
    ('[[exercises]]\nexercise = "side-leg-raise"\nsets = 0\n', "exercises[0].sets: must be 1 or more, not 0"),
    ('[[exercises]]\nexercise = "side-leg-raise"\nreps = 10\n', "exercises[0].reps: unknown field"),
    ('[[exercises]]\nexercise = "side-leg-raise"\nlegs = ["left", "middle"]\n',
     "exercises[0].legs[1]: must be left or right, not 'middle'"),
    ('[[exercises]]\nexercise = "side-leg-raise"\nlegs = ["left", "left"]\n', "exercises[0].legs: list each leg"),
    ('[[exercises]]\nexercise = "side-leg-raise"\ntarget_deg = { lft = 15 }\n',
     "exercises[0].target_deg: must be left or right, not 'lft'"),
    ('[[exercises]]\nexercise = "side-leg-raise"\ntarget_deg = { left = 5 }\n',
     "exercises[0].target_deg: the left target 5 deg must be above the start line"),
    ('[[exercises]]\nexercise = "sit-to-stand"\nlegs = ["left"]\n', "exercises[0].legs: sit-to-stand is counted for "
     "the whole body"),
    ('[[exercises]]\nsets = 2\n', "exercises[0].exercise: missing"),
    ('breathing = true\n[[exercises]]\nexercise = "side-leg-raise"\n', "breathing: unknown field"),
    ("exercises = []\n", "exercises: must list at least one exercise"),
    ('[[exercises]\nexercise = "side-leg-raise"\n', "not valid TOML"),
]


@pytest.mark.parametrize(("text", "expected"), ERROR_CASES, ids=[e.split(":")[0] + str(i) for i, (_, e) in
                                                                  enumerate(ERROR_CASES)])
def test_file_errors_are_one_line_naming_the_file_and_the_field(tmp_path: Path, text: str, expected: str) -> None:
    path = tmp_path / "bad.toml"
    path.write_text(text)
    with pytest.raises(ConfigError) as caught:
        load_routine(path)
    message = str(caught.value)
    assert message.startswith(f"{path}: "), message
    assert expected in message, message
    assert "\n" not in message


def test_missing_file_and_unknown_name(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match=r"nothere\.toml: cannot read the routine"):
        load_routine(tmp_path / "nothere.toml")
    with pytest.raises(ConfigError, match=r"unknown routine 'weekly': give a \.toml file, or one of: seed"):
        load_routine("weekly")


# == the state machine on a fake clock ==================================================================
@dataclass
class Walk:
    """Drives a RoutineRun as the live loop would, keeping every event; ``t`` is the fake clock (s)."""

    run: RoutineRun
    t: float = 0.0
    events: list[RoutineEvent] = field(default_factory=list)

    def _keep(self, events: list[RoutineEvent]) -> list[RoutineEvent]:
        self.events += events
        return events

    def frames(self, seconds: float, view_ok: bool = True, side: str | None = None, phase: str | None = "rest",
               fps: float = 10.0) -> list[RoutineEvent]:
        """``seconds`` of frames at ``fps``, the clock moving on."""
        out: list[RoutineEvent] = []
        for _ in range(round(seconds * fps)):
            self.t += 1.0 / fps
            out += self.run.update(self.t, view_ok=view_ok, working_side=side, phase=phase)  # type: ignore[arg-type]
        return self._keep(out)

    def rep(self, side: str, counted: bool = True, faults: tuple[str, ...] = ()) -> list[RoutineEvent]:
        self.t += 5.0
        return self._keep(self.run.rep(side, counted, faults, self.t))  # type: ignore[arg-type]

    def key(self, char: str) -> list[RoutineEvent]:
        return self._keep(self.run.key(char, self.t))

    def skip(self) -> list[RoutineEvent]:
        return self._keep(self.run.skip(self.t))

    def text(self) -> str:
        return self.run.view(self.t).text


def _routine(tmp_path: Path, text: str = TEST_ROUTINE.format(rest_s=30, check_s=2.0)) -> Routine:
    path = tmp_path / "r.toml"
    path.write_text(text)
    return load_routine(path)


def _walk(tmp_path: Path, **kw: str) -> Walk:
    walk = Walk(RoutineRun(_routine(tmp_path, **kw)))
    walk._keep(walk.run.start(0.0))
    return walk


def test_stage_order_through_the_whole_routine(tmp_path: Path) -> None:
    w = _walk(tmp_path)
    run = w.run
    assert run.stage == Stage.SETUP and w.events[0].kind == EventKind.SETUP
    assert w.events[0].text == "Standing side leg raise: stand behind your chair, facing the camera"
    # The set-up check: the view must be right for setup_check_s (2 s) without a break.
    w.frames(1.5)
    w.frames(0.1, view_ok=False)
    w.frames(1.5)
    assert run.stage == Stage.SETUP, "a break in the view starts the check over"
    started = w.frames(1.0)
    assert run.stage == Stage.EXERCISE and run.step.leg == "left"
    assert [e.kind for e in started] == [EventKind.SET_STARTED, EventKind.STAGE]
    assert started[1].text == "Set 1 of 2: left leg" and started[1].speak
    w.frames(3.5)
    assert w.text() == "Left leg: 0/1", "the opening line gives way to the count"
    w.rep("left")
    assert run.stage == Stage.EXERCISE and run.step.leg == "right"
    assert w.events[-1].text == "Now the right leg"
    w.rep("right")
    assert run.stage == Stage.REST
    assert [e.text for e in w.events[-2:]] == ["Standing side leg raise set 1 of 2 done (left 1/1, right 1/1)",
                                               "Rest 30 s"]
    # The countdown: whole seconds left, rounded up; the bar is the share left.
    rest_from = w.t
    view = run.view(w.t)
    assert (view.text, view.detail, view.fraction) == ("Rest 30 s", "Next: set 2 of 2 - left leg", 1.0)
    w.frames(9.5)
    assert w.text() == "Rest 21 s" and run.view(w.t).fraction == pytest.approx(20.5 / 30, abs=0.01)
    w.frames(20.4)
    assert run.stage == Stage.REST and w.text() == "Rest 1 s"
    w.frames(0.2)
    assert run.stage == Stage.EXERCISE and w.t - rest_from == pytest.approx(30.1, abs=0.11)
    assert w.events[-1].text == "Set 2 of 2: left leg"
    assert run.view(w.t).counts == {"left": 0, "right": 0}, "a new set counts from 0"
    w.rep("left")
    w.rep("right")
    assert run.stage == Stage.REST and run.view(w.t).detail == "Next: seated knee extension"
    w.frames(30.1)
    # The next exercise: seated, so the check also wants the left leg nearer the camera.
    assert run.stage == Stage.SETUP and w.events[-1].kind == EventKind.SETUP
    assert w.events[-1].text == ("Next: seated knee extension - turn your chair side-on to the camera so your left "
                                 "leg is nearer the camera")
    assert run.view(w.t).heading == "Next exercise"
    w.frames(3.0, side="right")
    assert run.stage == Stage.SETUP
    assert run.view(w.t).detail == "Your right leg is nearer the camera: turn the chair round"
    w.frames(2.1, side="left")
    assert run.stage == Stage.EXERCISE and run.step == replace(run.step, exercise=1, set=1, leg="left")
    for _ in range(3):
        w.rep("left")
    # The other leg of a seated exercise is a set-up of its own: the chair turned.
    assert run.stage == Stage.SETUP and run.view(w.t).heading == "Turn your chair"
    assert w.events[-1].text == "Now the right leg - turn your chair so your right leg is nearer the camera"
    w.frames(2.1, side="right")
    assert run.stage == Stage.EXERCISE and run.step.leg == "right"
    for _ in range(3):
        w.rep("right")
    assert run.stage == Stage.ASK_PAIN and run.asking
    assert w.events[-1].text == "Routine done. How much pain did you feel, from 0 to 10?"
    assert [(r.exercise, r.step.set, r.step.leg, r.counted, r.ended) for r in run.legs] == [
        ("side-leg-raise", 1, "left", 1, "done"), ("side-leg-raise", 1, "right", 1, "done"),
        ("side-leg-raise", 2, "left", 1, "done"), ("side-leg-raise", 2, "right", 1, "done"),
        ("seated-knee-extension", 1, "left", 3, "done"), ("seated-knee-extension", 1, "right", 3, "done")]


def _to_the_questions(w: Walk) -> None:
    while not w.run.asking:
        if w.run.stage == Stage.EXERCISE:
            w.rep(str(w.run.step.leg))
        else:
            w.skip()


def test_pain_and_effort_keys_and_bad_keys(tmp_path: Path) -> None:
    w = _walk(tmp_path)
    _to_the_questions(w)
    assert w.run.stage == Stage.ASK_PAIN
    view = w.run.view(w.t)
    assert view.choices == tuple(range(11)) and "Press 0-9, or T for 10" in (view.detail or "")
    for bad in ("x", "-", " ", "\t"):
        (event,) = w.key(bad)
        assert event.kind == EventKind.BAD_KEY and "is not an answer" in event.text
        assert w.run.stage == Stage.ASK_PAIN and w.run.pain is None
    assert w.run.view(w.t).detail.startswith("That key is not an answer"), "the prompt says so"  # type: ignore[union-attr]
    w.t += 4.0
    assert not w.run.view(w.t).detail.startswith("That key"), "for a moment"  # type: ignore[union-attr]
    answered = w.key("3")
    assert (answered[0].kind, answered[0].question, answered[0].value) == (EventKind.ANSWER, "pain", 3)
    assert w.run.stage == Stage.ASK_EFFORT and w.run.pain == 3
    assert w.key("q")[0].kind == EventKind.BAD_KEY
    done = w.key("T")
    assert (done[0].question, done[0].value) == ("effort", 10) and done[-1].kind == EventKind.FINISHED
    assert w.run.finished and (w.run.pain, w.run.effort) == (3, 10)
    assert w.key("5") == [], "no more questions"
    summary = w.run.summary()
    assert summary["finished"] and (summary["pain"], summary["effort"]) == (3, 10)
    assert ANSWER_KEYS["t"] == ANSWER_KEYS["T"] == 10 and ANSWER_KEYS["0"] == 0


def test_attempts_that_do_not_count_toward_the_set(tmp_path: Path) -> None:
    w = _walk(tmp_path)
    (ignored,) = w.rep("left")
    assert ignored.kind == EventKind.REP_IGNORED and "before the set-up check passed" in ignored.text
    w.frames(2.1)
    (ignored,) = w.rep("left", counted=False, faults=("hold_too_short",))
    assert ignored.kind == EventKind.REP_IGNORED and "not counted (hold_too_short)" in ignored.text
    (ignored,) = w.rep("right")
    assert "while the left leg is at work" in ignored.text
    assert w.run.legs[0].counted == 0 and w.run.legs[0].not_counted == 1 and w.run.stage == Stage.EXERCISE
    w.rep("left")
    w.rep("right")
    assert w.run.stage == Stage.REST
    (ignored,) = w.rep("left")
    assert "during the rest" in ignored.text and w.run.legs[2].counted == 0


def test_skipping_each_stage_and_ending_early(tmp_path: Path) -> None:
    w = _walk(tmp_path)
    started = w.skip()
    assert w.run.stage == Stage.EXERCISE and "set-up check skipped" in started[0].text
    w.skip()  # the rest of the left leg's reps
    assert w.run.legs[0].ended == "skipped" and w.run.step.leg == "right"
    w.rep("right")
    assert w.run.stage == Stage.REST
    w.skip()
    assert w.run.stage == Stage.EXERCISE and w.run.step.set == 2
    w.rep("left")
    # q: the routine ends early; the questions come now; a second stop does nothing (q again quits).
    asked = w._keep(w.run.stop(w.t))
    assert w.run.asking and w.run.ended_early and asked[-1].text.startswith("Routine ended early")
    assert w.run.legs[3].ended == "stopped" and w.run.stop(w.t) == []
    assert "not finished" not in (w.run.unfinished_note() or ""), "asking: the questions say it"
    w.skip()  # pain: not answered
    w.key("4")
    assert w.run.finished and (w.run.pain, w.run.effort) == (None, 4)
    summary = w.run.summary()
    assert not summary["finished"] and summary["ended_early"]
    assert [s["ended"] for s in summary["sets"]] == ["skipped", "done", "done", "stopped"]  # type: ignore[index]


def test_restart_leg_and_the_unfinished_note(tmp_path: Path) -> None:
    w = _walk(tmp_path, text=TEST_ROUTINE.format(rest_s=30, check_s=0).replace("reps_per_leg = 1", "reps_per_leg = 3"))
    w.frames(0.1)
    w.rep("left")
    w.rep("left")
    assert w.run.view(w.t).counts["left"] == 2
    w._keep(w.run.restart_leg(w.t))
    assert w.run.view(w.t).counts["left"] == 0 and "counting again from 0" in w.events[-1].text
    assert w.run.unfinished_note() == ("the routine was not finished: it stopped in side-leg-raise set 1 of 2, "
                                       "left leg 0/3")


def test_no_rest_goes_straight_on_and_a_whole_body_exercise_counts_reps(tmp_path: Path) -> None:
    text = ('setup_check_s = 0\n[[exercises]]\nexercise = "sit-to-stand"\nsets = 2\nreps_per_leg = 2\nrest_s = 0\n')
    w = _walk(tmp_path, text=text)
    w.frames(0.1)
    assert w.run.stage == Stage.EXERCISE and w.run.step.leg == "both"
    w.frames(3.5)
    assert w.text() == "Reps: 0/2"
    w.rep("both")
    w.rep("both")
    assert w.run.stage == Stage.EXERCISE and w.run.step.set == 2, "rest_s = 0: no rest"
    w.rep("both")
    w.rep("both")
    assert w.run.stage == Stage.ASK_PAIN


def test_breathing_cues_follow_the_phase(tmp_path: Path) -> None:
    w = _walk(tmp_path)
    w.frames(2.1)
    said = []
    for phase in ("rest", "lifting", "holding", "lowering", "rest", "lifting"):
        said += [e.text for e in w.frames(0.5, phase=phase) if e.kind == EventKind.BREATH]
        if phase == "holding":
            assert w.run.view(w.t).detail == "Keep breathing"
    assert said == ["Breathe out as you lower", "Breathe in, then lift"], "out as the leg comes down, in before"
    assert breathing_cue("rest") == "Breathe in, then lift" and breathing_cue("lifting") is None
    quiet = _walk(tmp_path, text=TEST_ROUTINE.format(rest_s=30, check_s=0).replace("breathing_cues = true",
                                                                                    "breathing_cues = false"))
    quiet.frames(0.1)
    assert not [e for p in ("rest", "lowering", "rest") for e in quiet.frames(0.5, phase=p)]
    assert quiet.run.view(quiet.t).detail is None


# == drawing ============================================================================================
@pytest.mark.parametrize(("stage", "colour"), [("exercise", ROUTINE_BLUE), ("rest", REST_TEAL),
                                               ("setup", SETUP_PURPLE), ("ask_pain", ASK_YELLOW), ("done", GREEN)])
def test_each_stage_is_ruled_in_its_own_colour(stage: str, colour: tuple[int, int, int]) -> None:
    image = np.full((720, 960, 3), 110, np.uint8)
    banner = RoutineBanner(stage, "Heading", "Rest 27 s", "Next: set 2 of 2 - left leg", 0.5,
                           tuple(range(11)) if stage == "ask_pain" else ())
    out = draw_routine(image, banner)
    assert out.shape == image.shape and (image == 110).all(), "a copy: the input is left as it was"
    assert _stage_on(out) == stage


# == the live loop in-process over a playlist of recordings ===========================================
class Playlist:
    """The playlist's files after the first, as the loop takes them (a SourceQueue)."""

    def __init__(self, recordings: list[Recorded]) -> None:
        self._left = list(recordings)
        self.opened: list[str] = []

    @property
    def remaining(self) -> int:
        return len(self._left)

    def next(self) -> OpenedSource | None:
        if not self._left:
            return None
        rec = self._left.pop(0)
        self.opened.append(rec.clip.stem)
        return OpenedSource(ListFeed(rec.stand_in_frames(), rec.info), str(rec.clip), False, rec.estimate)


class RoutineDriver(NullWindow):
    """A fake window that presses keys on what the routine shows, as a person would: Enter ``skip_rest_after_s``
    into the rest before the next exercise; at the questions, first a bad key, then the answers."""

    def __init__(self, answers: str = "x27", skip_rest_after_s: float = 2.0) -> None:
        super().__init__()
        self.loop: LiveLoop | None = None
        self.answers = list(answers)
        self.skip_rest_after_s = skip_rest_after_s
        self.rest_views: list[tuple[float, str, float | None]] = []  # (session s, text, bar) during rests
        self.stages: list[str] = []  # each stage shown, in order (repeats collapsed)
        self._rest_since: float | None = None

    def show(self, image: np.ndarray) -> None:
        super().show(image)
        assert self.loop is not None and self.loop.routine is not None
        view = self.loop.routine.view(self.loop.session_s)
        if not self.stages or self.stages[-1] != view.stage:
            self.stages.append(view.stage)
        if view.stage == Stage.REST:
            self.rest_views.append((self.loop.session_s, view.text, view.fraction))

    def poll_key(self, wait_ms: int = 1) -> int | None:
        assert self.loop is not None and self.loop.routine is not None
        run, now = self.loop.routine, self.loop.session_s
        if run.asking and self.answers:
            return ord(self.answers.pop(0))
        if run.stage == Stage.REST and run.step.exercise == 0 and run.step.set == 2:  # the rest before the next one
            self._rest_since = now if self._rest_since is None else self._rest_since
            if now - self._rest_since >= self.skip_rest_after_s:
                self._rest_since = None
                return KEY_ENTER
        return None


def _routine_loop(tmp_path: Path, window: NullWindow, history: SessionWriter | None, rest_s: float = 5.0,
                  files: tuple[str, ...] = PLAYLIST, answer_wait_s: float = 60.0) -> tuple[LiveLoop, Playlist]:
    routine = load_routine(_write_routine(tmp_path, rest_s=rest_s))
    first, *rest = [_recorded(name) for name in files]
    playlist = Playlist(rest)
    loop = LiveLoop(routine_specs(routine)[0], ListFeed(first.stand_in_frames(), first.info), first.estimate, window,
                    None, source_label=str(first.clip), history=history, routine=routine, sources=playlist,
                    answer_wait_s=answer_wait_s, draw=False)
    return loop, playlist


def _stored(session_id: int) -> tuple[sqlite3.Row, list[sqlite3.Row], list[sqlite3.Row]]:
    """(the session, its sets, its reps) as stored."""
    with History.open(default_db_path()) as h:
        h.conn.row_factory = sqlite3.Row
        session = h.conn.execute("SELECT * FROM sessions WHERE id = ?", (session_id,)).fetchone()
        sets = h.conn.execute("SELECT * FROM sets WHERE session_id = ? ORDER BY number", (session_id,)).fetchall()
        reps = h.conn.execute("SELECT reps.*, sets.number FROM reps JOIN sets ON sets.id = reps.set_id "
                              "WHERE reps.session_id = ? ORDER BY reps.idx", (session_id,)).fetchall()
    return session, sets, reps


def test_live_walks_the_routine_over_a_playlist_and_stores_the_clips_truth(tmp_path: Path) -> None:
    window = RoutineDriver(answers="x27")
    out = tmp_path / "out"
    routine_path = _write_routine(tmp_path)
    writer = SessionWriter.start(None, "routine", routine_specs(load_routine(routine_path))[0], "playlist", out)
    loop, playlist = _routine_loop(tmp_path, window, writer)
    window.loop = loop
    result = loop.run()
    save_live_result(result, out)
    session_id = writer.finish(result.report)
    assert session_id is not None

    assert result.end_reason == EndReason.ROUTINE_DONE
    assert playlist.opened == list(PLAYLIST[1:]), "each set-up after the first started on the next file"
    # The stages as the screen showed them.
    assert window.stages == ["setup", "exercise", "rest", "exercise", "rest", "setup", "exercise", "setup",
                             "exercise", "ask_pain", "ask_effort"]
    # The first rest ran out on the session's clock (5 s, counted down in whole seconds); the second was
    # ended by Enter after 2 s.
    first_rest = [v for v in window.rest_views if v[0] < 30]
    texts = list(dict.fromkeys(text for _, text, _ in first_rest))
    assert texts == ["Rest 5 s", "Rest 4 s", "Rest 3 s", "Rest 2 s", "Rest 1 s"]
    assert first_rest[-1][0] - first_rest[0][0] == pytest.approx(5.0, abs=0.05)
    bars = [bar for _, _, bar in first_rest]
    assert bars == sorted(bars, reverse=True) and bars[0] == 1.0
    second_rest = [v for v in window.rest_views if v[0] >= 30]
    assert second_rest[-1][0] - second_rest[0][0] == pytest.approx(2.0, abs=0.05), "Enter ended it"

    # What was stored: a routine session, one set per leg of each set, every clip's reps, the answers.
    session, sets, reps = _stored(session_id)
    assert session["kind"] == "routine" and (session["pain"], session["effort"]) == (2, 7)
    assert [(s["exercise"], s["side"], s["target_reps"]) for s in sets] == [
        ("side-leg-raise", "left", 1), ("side-leg-raise", "right", 1), ("side-leg-raise", "left", 1),
        ("side-leg-raise", "right", 1), ("seated-knee-extension", "left", 3), ("seated-knee-extension", "right", 3)]
    per_set = [{side: sum(r["counted"] for r in reps if r["number"] == s["number"] and r["side"] == side)
                for side in SIDES} for s in sets]
    assert per_set == [{"left": 1, "right": 0}, {"left": 0, "right": 1}, {"left": 1, "right": 0},
                       {"left": 0, "right": 1}, {"left": 3, "right": 0}, {"left": 0, "right": 3}]
    truths = [_truth(name) for name in PLAYLIST]
    expected = {side: sum(t[side] for t in truths) for side in SIDES}
    assert json.loads(session["counts"]) == {**expected, "total": expected["left"] + expected["right"]}
    assert len(reps) == sum(t["total"] for t in truths), "every attempt of the clips, each counted"
    assert len({r["idx"] for r in reps}) == len(reps), "indices unique in the session"

    # The files: a report per part (the exercise, then each seated clip), and routine.json.
    saved = json.loads((out / "routine.json").read_text())
    assert saved["finished"] and (saved["pain"], saved["effort"]) == (2, 7)
    assert [(s["leg"], s["counted"], s["goal"]) for s in saved["sets"]] == [
        ("left", 1, 1), ("right", 1, 1), ("left", 1, 1), ("right", 1, 1), ("left", 3, 3), ("right", 3, 3)]
    # Each set ends where its own leg did (a rest after it is in no set), the last when the questions came.
    assert [s["ended_s"] for s in sets] == [pytest.approx(leg["ended_s"], abs=0.01) for leg in saved["sets"]]
    assert all(s["started_s"] < s["ended_s"] <= nxt["started_s"] for s, nxt in pairwise(sets))
    assert sets[2]["started_s"] - sets[1]["ended_s"] == pytest.approx(5.0, abs=0.05), "the rest: in no set"
    seg1 = json.loads((out / "report-segment-1-side-leg-raise.json").read_text())
    seg2 = json.loads((out / "report-segment-2-seated-knee-extension.json").read_text())
    assert seg1["counts"] == truths[0] and seg2["counts"] == truths[1]
    assert json.loads((out / "report.json").read_text())["counts"] == truths[2]


ONE_EXERCISE = """\
name = "one"
title = "Side leg raise only, its rests longer than the clip's pauses"
setup_check_s = 2.0

[[exercises]]
exercise = "side-leg-raise"
sets = {sets}
reps_per_leg = 1
rest_s = 10
"""


@pytest.mark.parametrize("sets", [2, 1], ids=["a-rest-between-sets", "the-questions-after-the-last"])
def test_an_attempt_between_sets_is_in_no_set_and_each_set_ends_with_its_leg(tmp_path: Path, sets: int) -> None:
    """The side-leg-raise clip lifts L, R, L, R (ending at 8.0, 16.5, 25.1, 33.3 s). Sets of one rep per leg:
    the first L and R make set 1; with a second set, the 10 s rest after set 1 holds the second L lift (the
    routine ignores it: "during the rest"), and the clip ends with set 2's left leg at work (never ended: its
    set ends when the session stopped); with one set, the questions come after the first R, and the lifts
    after it are the routine's no more. An attempt belongs to the set whose leg was at work when it ended, or
    to none; every attempt stays in the session."""
    path = tmp_path / "one.toml"
    path.write_text(ONE_EXERCISE.format(sets=sets))
    routine = load_routine(path)
    rec = _recorded(PLAYLIST[0])
    assert next(iter(rec.stand_in_frames())).timestamp_ms == 0, "the clip's clock is the session's"
    db = tmp_path / "history.sqlite3"
    writer = SessionWriter.start(db, "routine", routine_specs(routine)[0], "clip", tmp_path / "out")
    loop = LiveLoop(routine_specs(routine)[0], ListFeed(rec.stand_in_frames(), rec.info), rec.estimate, NullWindow(),
                    None, source_label=str(rec.clip), history=writer, routine=routine, answer_wait_s=0.0, draw=False)
    result = loop.run()
    session_id = writer.finish(result.report)
    assert session_id is not None and result.end_reason == EndReason.SOURCE_ENDED and loop.routine is not None
    legs = [leg for leg in loop.routine.legs if leg.started_s is not None]
    assert [(leg.step.set, leg.step.leg) for leg in legs] == [(1, "left"), (1, "right"), (2, "left")][:len(legs)]
    assert len(legs) == (3 if sets == 2 else 2) and result.report.counts == _truth(PLAYLIST[0]), "report.json as ever"

    with History.open(db) as h:
        h.conn.row_factory = sqlite3.Row
        stored_sets = h.conn.execute("SELECT * FROM sets ORDER BY number").fetchall()
        reps = h.conn.execute("SELECT reps.*, sets.number FROM reps LEFT JOIN sets ON sets.id = reps.set_id "
                              "ORDER BY reps.idx").fetchall()
        (summary,) = sessions(h)
        days = {d.side: d.leg for d in daily(h, "side-leg-raise")}

    # Every attempt is stored; each in the set of the leg at work when it ended, or (between sets) in none.
    def at_work(end_s: float) -> int | None:
        for number, leg in enumerate(legs, 1):
            assert leg.started_s is not None
            if leg.started_s <= end_s <= (loop.session_s if leg.ended_s is None else leg.ended_s):
                return number
        return None

    assert [(r["side"], r["end_s"]) for r in reps] == [(r.side, r.end_s) for r in result.report.reps]
    assert [r["number"] for r in reps] == [at_work(r["end_s"]) for r in reps]
    outside = [(r["side"], round(r["end_s"])) for r in reps if r["number"] is None]
    assert outside == ([("left", 25)] if sets == 2 else [("left", 25), ("right", 33)])
    # Progress and reports read the reps through their sets: only set 1's left lift is the left leg's.
    left_attempts = 1
    right_attempts = 2 if sets == 2 else 1  # with two sets: the last R lift, while set 2's left leg was at work
    assert (summary.legs["left"].attempts, summary.legs["right"].attempts) == (left_attempts, right_attempts)
    assert (days["left"].attempts, days["left"].counted) == (left_attempts, 1)
    assert summary.reps is None and len(reps) == _truth(PLAYLIST[0])["total"], "nothing lost"

    # Each set ends where its own leg ended; one never ended ends when the session stopped.
    assert len(stored_sets) == len(legs)
    for row, leg in zip(stored_sets, legs, strict=True):
        assert row["started_s"] == pytest.approx(leg.started_s, abs=1e-3)
        assert row["ended_s"] == pytest.approx(loop.session_s if leg.ended_s is None else leg.ended_s, abs=1e-3)
    assert all(a["ended_s"] <= b["started_s"] for a, b in pairwise(stored_sets))
    if sets == 2:
        assert legs[2].ended_s is None and stored_sets[2]["ended_s"] == pytest.approx(36.07, abs=0.05)
        rest_s = stored_sets[2]["started_s"] - stored_sets[1]["ended_s"]
        assert rest_s == pytest.approx(10.0, abs=0.05), "the rest is in no set"


def test_the_source_ending_first_asks_the_questions_over_the_last_frame(tmp_path: Path) -> None:
    """The playlist ends in the middle of the routine (only the side-leg-raise clip): with a window, the
    questions come at once and wait for the keys; headless, nobody is asked."""
    window = RoutineDriver(answers="5\t")
    loop, _ = _routine_loop(tmp_path, window, None, files=PLAYLIST[:1])
    window.loop = loop
    result = loop.run()
    assert result.end_reason == EndReason.SOURCE_ENDED and loop.routine is not None
    assert loop.routine.finished and (loop.routine.pain, loop.routine.effort) == (5, None)
    assert result.routine is not None and result.routine["ended_early"]
    assert window.frames > result.stats.frames_processed, "the last frame stayed up for the answers"

    headless, _ = _routine_loop(tmp_path, NullWindow(), None, files=PLAYLIST[:1], answer_wait_s=0.0)
    result = headless.run()
    assert headless.routine is not None and headless.routine.stage == Stage.REST
    assert any(w.startswith("the routine was not finished") for w in result.report.warnings)


def test_keys_under_a_routine(tmp_path: Path) -> None:
    """Tab skips the set-up check; q ends the routine early (the questions come); Esc while asked closes."""
    class Keys(NullWindow):
        def __init__(self) -> None:
            super().__init__()
            self.loop: LiveLoop | None = None

        def poll_key(self, wait_ms: int = 1) -> int | None:
            assert self.loop is not None and self.loop.routine is not None
            run = self.loop.routine
            if self.frames == 3:
                return KEY_TAB
            if self.frames == 100:
                return ord("q")
            return KEY_ESC if run.asking and self.frames == 105 else None

    window = Keys()
    loop, _ = _routine_loop(tmp_path, window, None, files=PLAYLIST[:1])
    window.loop = loop
    result = loop.run()
    assert result.end_reason == EndReason.QUIT and result.stats.frames_processed == 105
    assert loop.routine is not None and loop.routine.ended_early and loop.routine.pain is None
    assert loop.routine.legs[0].started_s == pytest.approx(2 / 30, abs=0.01), "Tab at the 3rd frame: no check"


# == a real window on Xvfb =============================================================================
def _stage_on(shot: np.ndarray) -> str | None:
    """The routine stage on screen, told by its rule lines: a panel's two full-width rules across the middle
    (rest, set-up, questions, done), or the exercise strip's rule under the top bar."""
    h = shot.shape[0]
    if not shot.size:
        return None
    middle = shot[int(0.1 * h):int(0.9 * h)]
    for stage, colour in (("rest", REST_TEAL), ("setup", SETUP_PURPLE), ("ask_pain", ASK_YELLOW), ("done", GREEN)):
        if (_near(middle, colour, 30).mean(axis=1) > 0.95).sum() >= 2:
            return stage
    top = shot[:int(0.3 * h)]
    if (_near(top, ROUTINE_BLUE, 30).mean(axis=1) > 0.7).sum() >= 2:
        return "exercise"
    return None


# == the built-in seed, end to end in a window on Xvfb =================================================
@dataclass(frozen=True)
class SeedSet:
    """One leg of one set of the seed as the playlist plays it. ``clips`` give the leg's reps: all the leg's
    counted reps in them (by their truth) and no more; they run out before the goal (10), so once the last is
    counted the test presses Tab, the key that ends a leg's set early. ``after``: clips with no reps that
    follow, for a rest to run out in (on the clip's clock) and the next set-up to wait in."""

    exercise: str
    set: int
    leg: Side
    clips: tuple[str, ...]
    after: tuple[str, ...] = ()

    @property
    def counted(self) -> int:
        """The leg's counted reps in the set's clips, by their truth."""
        return sum(_truth(name)[self.leg] for name in self.clips)


STILL_STANDING, STILL_SEATED = "slr_standing_still", "ske_sitting_still"  # 15 s each; seated: facing right
#: Before the first set: nobody in the room (the set-up check waits), while the window opens.
SEED_LEAD = ("empty_room",)
#: The seed as prescribed (side leg raise then seated knee extension, 2 sets of 10 reps per leg, 30 s rests)
#: over the sample recordings. Each set-up starts on a file of its own. Side leg raise: the clips lift both
#: legs and only the leg at work counts. A Tab sent as a leg's last rep is counted has at least 7 s of clip
#: (1.4 s at SEED_SPEED) before a rep would count elsewhere. The rests run out in the still clips after their
#: set's clips, and a set-up that follows waits there (the seated still clips face right; the seated set-ups
#: after a rest want the left leg). The last set's reps come from two files.
SEED_SETS: tuple[SeedSet, ...] = (
    SeedSet("side-leg-raise", 1, "left", ("slr_hold_too_short",)),  # 2 attempts not counted, then 1
    SeedSet("side-leg-raise", 1, "right", ("slr_clean_alternating",), (STILL_STANDING,) * 2),
    SeedSet("side-leg-raise", 2, "left", ("slr_range_too_small",)),
    SeedSet("side-leg-raise", 2, "right", ("slr_trunk_lean",), (STILL_SEATED,) * 2),
    SeedSet("seated-knee-extension", 1, "left", ("ske_clean_facing_left",)),
    SeedSet("seated-knee-extension", 1, "right", ("ske_clean_facing_right",), (STILL_SEATED,) * 2),
    SeedSet("seated-knee-extension", 2, "left", ("ske_toes_not_up",)),
    SeedSet("seated-knee-extension", 2, "right", ("ske_trunk_lean", "ske_hold_too_short"), (STILL_SEATED,)),
)
#: Fast enough for about a minute, slow enough that the loop sees a frame at least every 0.2 s of clip on a busy
#: machine (a hold survives a gap of up to 1 s of clip; a 10x playback turns a 0.1 s stall into one).
SEED_SPEED = 5.0
SEED_GOAL = 10
SEED_REST_S = 30.0


def _seed_playlist() -> list[str]:
    return [*SEED_LEAD, *(name for s in SEED_SETS for name in (*s.clips, *s.after))]


def test_the_seed_playlist_fits_the_seed() -> None:
    """The playlist's sets are the seed's, in order, each with fewer counted reps than the goal (the test ends
    each by Tab); the clips between have no reps; every clip has its recording and is 640x480 (one window)."""
    seed = load_routine("seed")
    plan = [(e.name, n, leg) for e in seed.exercises for n in range(1, e.sets + 1) for leg in e.legs]
    assert [(s.exercise, s.set, s.leg) for s in SEED_SETS] == plan
    assert all(e.reps_per_leg == SEED_GOAL and e.rest_s == SEED_REST_S for e in seed.exercises)
    for s in SEED_SETS:
        assert 0 < s.counted < SEED_GOAL, s
        assert all(json.loads((SAMPLES / f"{n}.truth.json").read_text())["exercise"] == s.exercise for n in s.clips)
    for name in _seed_playlist():
        truth = json.loads((SAMPLES / f"{name}.truth.json").read_text())
        assert (truth["source"]["width"], truth["source"]["height"]) == (640, 480), name
        assert (SAMPLES / "landmarks" / f"{name}.npz").exists(), name
    assert all(_truth(n)["total"] == 0 for n in (*SEED_LEAD, *(n for s in SEED_SETS for n in s.after)))


class RoutineLog:
    """A live process's routine as its log tells it: the ``routine:`` lines, and the files opened."""

    def __init__(self, live: LiveProcess) -> None:
        self.live = live

    def lines(self) -> list[str]:
        return [line.split("routine: ", 1)[1].rstrip() for line in self.live.stderr.splitlines()
                if "routine: " in line]

    def files_opened(self) -> int:
        return 1 + self.live.stderr.count("playing the next file: ")

    def stage(self) -> str:
        """The latest line that began what the screen shows (a stage, a set-up)."""
        return next((line for line in reversed(self.lines()) if _is_stage_line(line)), "")


def _is_stage_line(line: str) -> bool:
    return line.startswith(("Standing side leg raise: ", "Set ", "Now the ", "Next: ", "Rest ", "Routine done",
                            "How hard", "Well done")) or " done (" in line


def _seed_stage_lines() -> list[str]:
    """The stage lines the seed says, in order, when each leg is ended by Tab after ``counted`` reps."""
    lines = ["Standing side leg raise: stand behind your chair, facing the camera"]
    for i, s in enumerate(SEED_SETS):
        seated = s.exercise == "seated-knee-extension"
        turn = f"Now the {s.leg} leg - turn your chair so your {s.leg} leg is nearer the camera"
        if i > 0 and s.exercise != SEED_SETS[i - 1].exercise:
            lines.append(f"Next: seated knee extension - turn your chair side-on to the camera so your {s.leg} "
                         "leg is nearer the camera")
        elif seated and i > 0:
            lines.append(turn)
        lines.append(f"Set {s.set} of 2: {s.leg} leg" if s.leg == "left" else f"Now the {s.leg} leg")
        if s.leg == "right" and i < len(SEED_SETS) - 1:  # the last set goes straight to the questions
            title = "Seated knee extension" if seated else "Standing side leg raise"
            lines += [f"{title} set {s.set} of 2 done (left {SEED_SETS[i - 1].counted}/10, right {s.counted}/10)",
                      "Rest 30 s"]
    return [*lines, "Routine done. How much pain did you feel, from 0 to 10?", "How hard was it, from 0 to 10?",
            "Well done: routine finished"]


def _other_question(shot: np.ndarray, asked_before: np.ndarray) -> bool:
    """The question on screen is not the one ``asked_before`` shows: their yellow (the question line; the rules
    and the answer boxes stay) differs in thousands of pixels."""
    return bool((_near(shot, ASK_YELLOW, 40) != _near(asked_before, ASK_YELLOW, 40)).sum() > 2000)


@pytest.fixture
def live_seed(xvfb: XServer, tmp_path: Path) -> Iterator[tuple[LiveProcess, Path, Path]]:  # noqa: F811
    """``posecount --verbose live --routine seed`` over the seed's playlist at SEED_SPEED on the Xvfb display,
    the recordings replayed (no model). (live process, --out, --db)"""
    out, db = tmp_path / "out", tmp_path / "history.sqlite3"
    args = ["--routine", "seed", "--landmarks", str(SAMPLES / "landmarks"), "--speed", f"{SEED_SPEED:g}",
            "--out", str(out), "--db", str(db), "--mute", "--no-mirror"]
    for name in _seed_playlist():
        args += ["--source", str(SAMPLES / f"{name}.mp4")]
    env = {**os.environ, "DISPLAY": xvfb.display}
    proc = subprocess.Popen([sys.executable, "-m", "posecount", "--verbose", "live", *args], env=env,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    live = LiveProcess(proc, X11(xvfb.display), xvfb)
    try:
        live.until(f"a picture in a {SHOWN_WH[0]}x{SHOWN_WH[1]} window", live.drawn)
        yield live, out, db
    finally:
        live.close()


#: The screenshots: the routine line the screen is showing (the latest stage line, before and after the shot)
#: and the stage its colours must tell.
SEED_SHOTS: dict[str, tuple[tuple[str, ...], str]] = {
    "setup": (("Standing side leg raise: ", "Now the left leg - turn", "Now the right leg - turn"), "setup"),
    "exercise": (("Set 1 of 2: left leg",), "exercise"),
    "rest": (("Rest 30 s",), "rest"),
    "next": (("Next: seated knee extension",), "setup"),
    "pain": (("Routine done",), "ask_pain"),
    "effort": (("How hard",), "ask_pain"),
    "done": (("Well done",), "done"),
}


@pytest.mark.gui
@pytest.mark.slow  # about 335 s of clips at 5x: about 75 s
def test_the_seed_routine_end_to_end_in_a_window(live_seed: tuple[LiveProcess, Path, Path], tmp_path: Path) -> None:
    """The built-in seed as prescribed, from its first set-up to the answers, in a real window: the test ends
    each leg by Tab once its clips' reps are counted, lets every rest run out on the clip's clock, answers
    pain and effort by keys (a wrong one first), and takes a screenshot of each stage; the history then holds
    the session as a routine, each leg of each set with the reps the clips' truth has for it."""
    live, out, db = live_seed
    w, h = SHOWN_WH
    log = RoutineLog(live)
    started = time.monotonic()
    shots: dict[str, np.ndarray] = {}
    rest_teal: list[int] = []  # the rest's bar shrinking: teal pixels of successive rest screenshots
    answers: list[str] = []
    tabs = 0  # sets ended by Tab so far
    # The playlist index of the first file after each set's clips: a Tab not sent by then is late.
    ends = []
    at = len(SEED_LEAD)
    for s in SEED_SETS:
        ends.append(at + len(s.clips))
        at += len(s.clips) + len(s.after)
    late: list[str] = []
    stages: list[tuple[float, str]] = []  # (wall clock, the stage line) as the test saw them change
    while live.proc.poll() is None:
        assert time.monotonic() - started < 180, f"the seed did not finish in 180 s:\n{live.stderr[-3000:]}"
        lines = log.lines()
        if tabs < len(SEED_SETS):
            s = SEED_SETS[tabs]
            began = f"{s.exercise} set {s.set} of 2, {s.leg}: 10 reps"
            if began in lines:
                since = lines[lines.index(began):]
                if f"{s.leg.capitalize()} leg: {s.counted}/10" in since or log.files_opened() > ends[tabs]:
                    if log.files_opened() > ends[tabs]:
                        late.append(f"{began}: Tab after its clips ended")
                    live.x.key(live.window, "Tab")
                    tabs += 1
                    continue
        stage = log.stage()
        if not stages or stages[-1][1] != stage:
            stages.append((time.monotonic(), stage))
        # The answers, once each question is on screen: a key that is not an answer, then pain 3, effort T (10).
        key = None
        if stage.startswith("Routine done") and "pain" in shots and not answers:
            key = "x"
        elif answers == ["x"] and any(line.startswith("x is not an answer") for line in lines):
            key = "3"
        elif answers == ["x", "3"] and stage.startswith("How hard") and "effort" in shots:
            key = "t"
        if key is not None:
            live.x.key(live.window, key)
            answers.append(key)
            continue
        need = [name for name, (prefixes, _) in SEED_SHOTS.items() if stage.startswith(prefixes) and
                (name not in shots or (name == "rest" and len(rest_teal) < 2))]
        if not need:
            time.sleep(0.02)
            continue
        shot = live.shot()
        if shot.shape[:2] == (h, w) and shot.std() > 20 and log.stage() == stage and \
                _stage_on(shot) == SEED_SHOTS[need[0]][1]:
            teal = int(_near(shot, REST_TEAL, 30).sum())
            if need[0] == "effort" and not _other_question(shot, shots["pain"]):
                pass  # still the pain question: the window repaints a moment after the log line
            elif need[0] != "rest":
                shots[need[0]] = shot
            elif not rest_teal or teal < rest_teal[-1] - 500:
                rest_teal.append(teal)
                shots["rest" if len(rest_teal) == 1 else "rest-later"] = shot
    code, stdout, stderr = live.wait(30)
    wall_s = time.monotonic() - started
    for name, shot in shots.items():
        cv2.imwrite(str(tmp_path / f"seed-{name}.png"), shot)
    assert code == 0, stderr[-3000:]
    stats = next((line for line in stderr.splitlines() if "live: routine finished after" in line), "")
    print(f"the seed took {wall_s:.0f} s of wall time; {stats}")

    # Each stage was on screen in its colours; the rest's bar shrank as it counted down.
    assert sorted(shots) == sorted([*SEED_SHOTS, "rest-later"]), f"screenshots of {sorted(shots)} only"
    # The routine said each stage in order: every leg ended by Tab after its clips' reps, no set-up check
    # skipped, every rest run out (no key ended one), the answers taken after a wrong key.
    lines = RoutineLog(live).lines()
    assert not late, late
    assert [line for line in lines if _is_stage_line(line)] == _seed_stage_lines()
    assert lines.count("on to the next stage (key)") == len(SEED_SETS) == tabs
    assert not [line for line in lines if "set-up check skipped" in line]
    assert "x is not an answer (Press 0-9, or T for 10)" in lines and "pain 3" in lines and "effort 10" in lines
    assert "Routine seed: finished" in stdout and "pain 3, effort 10" in stdout

    # routine.json: each leg of each set, ended by Tab with its clips' reps; the rests on the clip's clock.
    saved = json.loads((out / "routine.json").read_text())
    assert saved["finished"] and (saved["pain"], saved["effort"]) == (3, 10)
    rows = saved["sets"]
    assert [(r["exercise"], r["set"], r["leg"], r["goal"], r["ended"]) for r in rows] == [
        (s.exercise, s.set, s.leg, SEED_GOAL, "skipped") for s in SEED_SETS]
    assert [r["counted"] for r in rows] == [s.counted for s in SEED_SETS]
    rests = [(rows[i]["ended_s"], rows[i + 1]["started_s"]) for i in range(1, len(rows) - 1, 2)]
    assert rests[0][1] - rests[0][0] == pytest.approx(SEED_REST_S, abs=0.25), "side leg raise: the next set at once"
    assert all(nxt - end >= SEED_REST_S for end, nxt in rests[1:]), "then a set-up: after the rest"
    i = next(i for i, (_, line) in enumerate(stages) if line == "Rest 30 s")
    assert stages[i + 1][0] - stages[i][0] < SEED_REST_S / 2, "30 s of clip, in a fraction of that on the wall"

    # The history: a routine session, one set per leg of each set (every one ended), each with its leg's counted
    # reps as the clips' truth has them; every attempt of every clip stored; the answers.
    with sqlite3.connect(db) as conn:
        conn.row_factory = sqlite3.Row
        (session,) = conn.execute("SELECT * FROM sessions").fetchall()
        sets = conn.execute("SELECT * FROM sets WHERE session_id = ? ORDER BY number", (session["id"],)).fetchall()
        reps = conn.execute("SELECT reps.*, sets.number FROM reps LEFT JOIN sets ON sets.id = reps.set_id "
                            "WHERE reps.session_id = ?", (session["id"],)).fetchall()
    assert (session["kind"], session["pain"], session["effort"]) == ("routine", 3, 10)
    assert [(r["number"], r["exercise"], r["side"], r["target_reps"]) for r in sets] == [
        (i, s.exercise, s.leg, SEED_GOAL) for i, s in enumerate(SEED_SETS, 1)]
    assert all(r["started_s"] is not None and r["ended_s"] is not None for r in sets), "every set ended"
    assert [r["ended_s"] for r in sets] == [pytest.approx(row["ended_s"], abs=0.01) for row in rows], \
        "each where its own leg did (the rests and set-ups between: in no set)"
    assert all(a["ended_s"] <= b["started_s"] for a, b in pairwise(sets))
    per_set = [sum(r["counted"] for r in reps if r["number"] == row["number"] and r["side"] == row["side"])
               for row in sets]
    assert per_set == [s.counted for s in SEED_SETS], "each leg of each set: its clips' counted reps"
    played = _seed_playlist()
    truth = {side: sum(_truth(name)[side] for name in played) for side in SIDES}
    assert json.loads(session["counts"]) == {**truth, "total": sum(truth.values())}
    attempts = sum(len(json.loads((SAMPLES / f"{n}.truth.json").read_text())["reps"]) for n in played)
    assert len(reps) == attempts, "every attempt of the clips, stored"
