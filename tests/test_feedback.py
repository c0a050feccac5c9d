"""The coach: one message at a time, faults first, calm (no flicker, no chatter)."""

from __future__ import annotations

import itertools

from anglestreams import Move, frames, profile

from posecount.exercises import get_exercise
from posecount.exercises.engine import RepCounter
from posecount.feedback import Coach, Tone

SLR = get_exercise("side-leg-raise")


def coach_run(moves: list[Move], body: dict[str, float] | None = None) -> list[tuple[int, str | None, Tone | None]]:
    counter, coach = RepCounter(SLR), Coach(SLR)
    out = []
    for f in frames(SLR, profile(moves, 3), body=body, side_extra={"knee_flexion_deg": 2.0}):
        events = counter.update(f)
        msg = coach.update(f.timestamp_ms, events, counter.states, True, None)
        out.append((f.timestamp_ms, msg.text if msg else None, msg.tone if msg else None))
    return out


def test_a_form_fault_stays_on_screen_while_it_lasts() -> None:
    lines = coach_run([Move("left", 35, hold_s=4.0)], body={"trunk_lean_deg": 18.0})
    late_ms = RepCounter(SLR).delay_s * 1000  # the engine decides each frame this much after it is seen
    during = [text for t, text, _ in lines if 3000 + late_ms <= t <= 7000]  # the lift and the whole hold
    assert during and all(text == "Keep your spine upright" for text in during)


def test_clean_rep_walks_through_the_steps_and_praises() -> None:
    lines = coach_run([Move("left", 35), Move("left", 36)])
    texts = [text for _, text, _ in lines if text]
    assert any(text.startswith("Hold") for text in texts)
    assert "Lower slowly" in texts
    assert "Well done" in texts
    assert any("Now the other leg" in text for text in texts)  # the same leg twice in a row


def test_messages_do_not_flicker() -> None:
    lines = coach_run([Move("left", 35), Move("right", 35, hold_s=0.8)])
    changes = [i for i in range(1, len(lines)) if lines[i][1] != lines[i - 1][1] and lines[i][1] is not None]
    for a, b in itertools.pairwise(changes):
        assert lines[b][0] - lines[a][0] >= 900 or lines[b][2] == Tone.FAULT or lines[a][1].startswith("Hold")


def test_set_up_problem_is_said_first() -> None:
    coach = Coach(SLR)
    msg = coach.update(0, [], RepCounter(SLR).states, False, "Step back until your feet are visible")
    assert msg is not None and msg.tone == Tone.SETUP and msg.speak
    assert msg.text == "Step back until your feet are visible"
