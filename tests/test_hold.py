"""The hold model (posecount.exercises.hold) on motion drawn the way people move: minimum-jerk lifts and
lowerings, sway, tremor, a sagging leg, flicks, skipped frames.

Truth is the motion: how long the drawn leg stayed up and still (its plateau), and whether it was up at
all. The model's only freedom is the slow first and last few degrees of a smooth movement, where the leg is
within a degree of the top and nearly still: at most ``SLOW_ENDS_S`` is added for the ramps drawn here.
"""

from __future__ import annotations

import dataclasses
import json
import math
from collections.abc import Callable
from pathlib import Path

import pytest
from anglestreams import count, frames, lift, min_jerk, sampled
from conftest import committed_landmarks, sample_truths
from hypothesis import given, settings
from hypothesis import strategies as st

from posecount.exercises import get_exercise
from posecount.exercises.engine import EventKind, RepRecord
from posecount.exercises.hold import HoldRules, HoldTracker
from posecount.pipeline import replay_track

#: The side leg raise's numbers (target 20°, its spec's speed limit), written out: the tests below draw
#: motion around them, they do not restate the engine's thresholds as truth.
RULES = HoldRules(target=20.0, hysteresis=3.0, move_speed_per_s=9.0)
REST_DEG, PEAK_DEG = 3.0, 35.0
#: A smooth (minimum-jerk) movement is slower than 9°/s at its ends: here ~0.16 s at the top of the 1.3 s
#: rise, ~0.25-0.45 s at the start of the 2 s lowering (the smaller the distance, the longer).
SLOW_ENDS_S = 0.7

Profile = Callable[[float], float]


def rep(hold_s: float, *, rise_s: float = 1.3, lower_s: float = 2.0, peak_deg: float = PEAK_DEG,
        sway_deg: float = 0.0, sway_hz: float = 0.5, sag_deg_s: float = 0.0, t0_s: float = 0.5) -> Profile:
    """A lift from rest, a plateau of ``hold_s`` (with sway/tremor and sag), a lowering back to rest."""
    return lift(hold_s, rise_s=rise_s, lower_s=lower_s, peak_deg=peak_deg, rest_deg=REST_DEG, sway_deg=sway_deg,
                sway_hz=sway_hz, sag_deg_s=sag_deg_s, t0_s=t0_s)


def measure(profile: Profile, duration_s: float = 9.0, fps: float = 30.0,
            skip: Callable[[int], bool] = lambda k: False) -> HoldTracker:
    tracker = HoldTracker(RULES)
    for k in range(int(duration_s * fps)):
        if not skip(k):
            t = k / fps
            tracker.add(round(t * 1000), profile(t))
    tracker.flush()
    return tracker


@pytest.mark.parametrize(("name", "profile"), [
    ("steady", rep(3.0)),
    ("sway ±2° at 0.5 Hz", rep(3.0, sway_deg=2.0, sway_hz=0.5)),
    ("sway ±3° at 0.3 Hz", rep(3.0, sway_deg=3.0, sway_hz=0.3)),
    ("tremor ±1.5° at 1 Hz", rep(3.0, sway_deg=1.5, sway_hz=1.0)),
    ("tremor ±1° at 6 Hz", rep(3.0, sway_deg=1.0, sway_hz=6.0)),
    ("sag 4°/s", rep(3.0, sag_deg_s=4.0)),
])
def test_a_3_s_hold_that_sways_trembles_or_sags_is_held_throughout(name: str, profile: Profile) -> None:
    tracker = measure(profile)
    assert 3.0 - 0.1 <= tracker.best_s <= 3.0 + SLOW_ENDS_S, f"{name}: measured {tracker.best_s:.2f} s"


def test_a_flick_is_no_hold() -> None:
    tracker = measure(rep(0.0, rise_s=0.25, lower_s=0.25))
    assert tracker.best_s < 0.3


def test_a_slow_lift_that_never_reaches_the_target_is_no_hold() -> None:
    tracker = measure(rep(3.0, peak_deg=18.0))
    assert tracker.best is None and tracker.best_s == 0.0


def test_a_deliberate_lowering_ends_the_hold_even_above_the_target() -> None:
    """Lowered from 35° to 22° (still above the 20° target) in 1 s, then held again there for 2 s: two holds,
    not one that runs through the lowering."""

    def angle(t: float) -> float:
        if t < 2.0:
            return rep(10.0)(t)  # rises 0.5-1.8 s, then held
        if t < 3.0:
            return PEAK_DEG - 13.0 * min_jerk(t - 2.0)
        if t < 5.0:
            return 22.0
        return 22.0 - 19.0 * min_jerk((t - 5.0) / 1.5)

    tracker = measure(angle, 8.0)
    assert tracker.best is not None
    assert tracker.best_s < 2.0 + SLOW_ENDS_S, "the lowering was counted as holding"
    assert tracker.best.start_ms >= 2500, "the longest hold is the second one, after the lowering"


def test_a_fast_dip_that_stays_above_the_target_and_comes_back_is_still_the_hold() -> None:
    """A sway the model reads twice as deep and fast (held-out 202/18: drawn 39° → 32° → 35°, read 38° → 25°
    → 32°, 17°/s): faster than a hold, but the leg never left the target and came back up. One 4 s hold, not
    two short ones and a scolding."""
    base = rep(4.0)  # held 1.8-5.8 s

    def angle(t: float) -> float:
        if 3.0 <= t < 3.7:
            return PEAK_DEG - 11.0 * min_jerk((t - 3.0) / 0.7)
        if 3.7 <= t < 4.3:
            return PEAK_DEG - 11.0 + 9.0 * min_jerk((t - 3.7) / 0.6)
        if 4.3 <= t < 5.8:
            return PEAK_DEG - 2.0
        return base(t)

    tracker = measure(angle)
    assert tracker.best is not None
    assert 4.0 - 0.1 <= tracker.best_s <= 4.0 + SLOW_ENDS_S, f"measured {tracker.best_s:.2f} s"


def test_a_leg_that_keeps_moving_above_the_target_is_no_hold() -> None:
    """Dancing in a deep squat (a real distractor clip under the mini squat): up all the time, but moving fast
    for half of it. The turns are still for a moment, and each comes back up; they are not one hold."""

    def angle(t: float) -> float:
        if t < 1.0 or t > 8.0:
            return REST_DEG
        return 35.0 + 10.0 * math.sin(2 * math.pi * 0.7 * (t - 1.0)) * min(1.0, t - 1.0)

    assert measure(angle).best_s < 1.0
    joined = HoldTracker(dataclasses.replace(RULES, still_share=0.0))
    for k in range(270):
        joined.add(round(k * 1000 / 30), angle(k / 30))
    joined.flush()
    assert joined.best_s > 4.0  # bridged as if each swing were a sway: what the still share is for


def test_skipped_frames_do_not_break_a_hold_but_a_long_gap_does() -> None:
    every_other = measure(rep(3.0), skip=lambda k: k % 2 == 1)
    assert every_other.best_s == pytest.approx(measure(rep(3.0)).best_s, abs=0.15)  # the lowering read at 15 fps
    # 1.5 s unseen in the middle of a 4 s hold (longer than max_gap_s): the runs either side do not join.
    gap = measure(rep(4.0), skip=lambda k: 75 <= k < 120)
    assert gap.best_s < 4.0 - 1.0


def test_a_short_dip_is_bridged_a_long_one_is_not() -> None:
    def dip(length_s: float) -> Profile:
        base = rep(4.0)
        return lambda t: 12.0 if 3.0 <= t < 3.0 + length_s else base(t)

    assert measure(dip(0.1)).best_s > 3.8
    assert measure(dip(0.6)).best_s < 2.5


def test_frames_unseen_after_a_short_dip_do_not_lengthen_it() -> None:
    """A dip of 0.2 s, then 0.5 s with no frame at all (a busy live loop): the dip seen is within the grace and
    the gap is shorter than max_gap_s, so the hold runs on."""
    base = rep(4.0)
    tracker = measure(lambda t: 12.0 if 3.0 <= t < 3.2 else base(t), skip=lambda k: 96 <= k < 111)
    assert tracker.best_s > 3.8


def test_live_and_verdict_are_the_same_runs() -> None:
    """The current run, read at every frame, never exceeds the final best, and reaches it but for the first
    moments of the lowering, which cannot be told from a hold until the leg has come down further."""
    tracker = HoldTracker(RULES)
    profile = rep(3.0, sway_deg=2.0)
    seen = 0.0
    for k in range(270):
        tracker.add(round(k * 1000 / 30), profile(k / 30))
        seen = max(seen, tracker.current_s)
    tracker.flush()
    assert seen <= tracker.best_s + 1e-9
    assert seen >= tracker.best_s - 0.25


@given(hold_s=st.floats(0.0, 6.0), sway=st.floats(0.0, 2.0), hz=st.floats(0.3, 8.0),
       fps=st.sampled_from([15, 24, 30, 60]))
@settings(max_examples=60, deadline=None)
def test_the_measured_hold_follows_the_drawn_one(hold_s: float, sway: float, hz: float, fps: int) -> None:
    tracker = measure(rep(hold_s, sway_deg=sway, sway_hz=hz), duration_s=hold_s + 4.5, fps=fps)
    assert hold_s - 0.15 <= tracker.best_s <= hold_s + SLOW_ENDS_S + 1.5 / fps


def slow_top(pause_s: float, *, rise_s: float = 2.8, lower_s: float = 4.0, peak_deg: float = 28.0,
             sway_deg: float = 0.0, sway_hz: float = 0.5, sag_deg_s: float = 0.0) -> Profile:
    """A weak leg's rep (held-out 2525/00): a slow minimum-jerk rise, a pause of ``pause_s``, a slow lowering."""
    return rep(pause_s, rise_s=rise_s, lower_s=lower_s, peak_deg=peak_deg, sway_deg=sway_deg, sway_hz=sway_hz,
               sag_deg_s=sag_deg_s, t0_s=1.0)


@pytest.mark.parametrize(("rise_s", "pause_s", "lower_s"), [(2.8, 0.2, 4.0), (2.0, 0.3, 3.5), (2.8, 0.5, 3.0)])
def test_a_slow_rise_and_lowering_with_no_hold_between_is_no_hold(rise_s: float, pause_s: float,
                                                                     lower_s: float) -> None:
    """The slow end of the rise, the pause and the slow start of the lowering are each under the speed limit,
    together over 2 s; the leg was still for the pause alone. The lowering's start is the lowering."""
    profile = slow_top(pause_s, rise_s=rise_s, lower_s=lower_s)
    tracker = measure(profile, 10.0)
    assert tracker.best_s < 2.0, f"measured {tracker.best_s:.2f} s of a {pause_s} s pause"
    reps = count(get_exercise("side-leg-raise"),
                 frames(get_exercise("side-leg-raise"), sampled(lambda t: {"left": profile(t), "right": 3.0}, 11.0)))
    assert [(r.side, r.counted, r.faults) for r in reps] == [("left", False, ("hold_too_short",))]


@pytest.mark.parametrize(("name", "profile"), [
    ("steady", slow_top(2.5)),
    ("sway ±2° at 0.5 Hz", slow_top(2.5, peak_deg=30.0, sway_deg=2.0)),
    ("sag 2°/s", slow_top(2.5, peak_deg=30.0, sag_deg_s=2.0)),
])
def test_the_same_slow_rep_held_for_2_5_s_is_held(name: str, profile: Profile) -> None:
    tracker = measure(profile, 12.0)
    assert 2.5 - 0.1 <= tracker.best_s <= 2.5 + SLOW_ENDS_S + 0.6, f"{name}: measured {tracker.best_s:.2f} s"


def test_a_steady_hold_is_confirmed_on_screen_as_it_happens() -> None:
    """The screen waits for a lowering to show itself only while the leg is going down: a still leg's 2 s
    are shown ``window_s / 2`` after they are over, as before the hold's end was taken back to its lowering."""
    tracker = HoldTracker(RULES)
    profile = rep(4.0)  # still from 1.8 s
    shown_at = None
    for k in range(300):
        t_ms = round(k * 1000 / 30)
        tracker.add(t_ms, profile(k / 30))
        if shown_at is None and tracker.current_s >= 2.0:
            shown_at = t_ms / 1000
    assert shown_at is not None
    assert shown_at <= 1.8 + 2.0 + RULES.window_s / 2 + 0.1


@given(hold_s=st.floats(0.0, 4.0), rise_s=st.floats(0.3, 3.0), lower_s=st.floats(0.3, 5.0),
       sway=st.floats(0.0, 2.5), hz=st.floats(0.3, 8.0), sag=st.floats(0.0, 4.0),
       fps=st.sampled_from([15, 24, 30, 60]))
@settings(max_examples=80, deadline=None)
def test_the_screen_never_shows_more_hold_than_the_verdict_gives(hold_s: float, rise_s: float, lower_s: float,
                                                                 sway: float, hz: float, sag: float,
                                                                 fps: int) -> None:
    """Whatever the motion, the run shown at any frame is never longer than the longest the verdict keeps."""
    profile = rep(hold_s, rise_s=rise_s, lower_s=lower_s, sway_deg=sway, sway_hz=hz, sag_deg_s=sag)
    tracker = HoldTracker(RULES)
    shown = 0.0
    for k in range(int((hold_s + rise_s + lower_s + 2.0) * fps)):
        tracker.add(round(k * 1000 / fps), profile(k / fps))
        shown = max(shown, tracker.current_s)
    tracker.flush()
    assert shown <= tracker.best_s + 1e-9


# -- live and the report, on every shipped sample (committed recordings, no model) -------------------------
SAMPLE_TRUTHS = sample_truths()


@pytest.mark.parametrize("truth_path", SAMPLE_TRUTHS, ids=[p.name.removesuffix(".truth.json") for p in SAMPLE_TRUTHS])
def test_the_screen_and_the_report_agree_on_every_hold(truth_path: Path) -> None:
    """Frame by frame, the hold the screen shows never exceeds the hold the report gives that attempt, the
    screen says "hold complete" exactly for the attempts the report counts, and those are the true reps."""
    name = truth_path.name.removesuffix(".truth.json")
    truth = json.loads(truth_path.read_text(encoding="utf-8"))
    spec = get_exercise(truth["exercise"])
    session, results = replay_track(committed_landmarks(name, truth_path.parent), spec)
    shown: dict[str, list[float]] = {"left": [], "right": []}  # per side: the largest hold shown per attempt
    completed: dict[str, list[bool]] = {"left": [], "right": []}
    open_: dict[str, bool] = {"left": False, "right": False}
    for result in results:
        for ev in result.events:
            if ev.kind == EventKind.ATTEMPT_STARTED:
                shown[ev.side].append(0.0)
                completed[ev.side].append(False)
                open_[ev.side] = True
            elif ev.kind == EventKind.HOLD_COMPLETE:
                completed[ev.side][-1] = True
            elif ev.kind == EventKind.REP_FINISHED:
                open_[ev.side] = False
        for side in ("left", "right"):
            if open_[side]:
                shown[side][-1] = max(shown[side][-1], session.counter.states[side].hold_s)
    for side in ("left", "right"):
        reps = [r for r in session.counter.reps if r.side == side]
        assert len(reps) == len(shown[side])
        for rep, most, done in zip(reps, shown[side], completed[side], strict=True):
            assert most <= rep.hold_s + 1e-9, f"{name} {side}: the screen showed {most:.2f} s, the report {rep.hold_s}"
            assert done == rep.counted, f"{name} {side} at {rep.start_s} s: hold complete {done}, counted {rep.counted}"
    assert [(r.side, r.counted) for r in session.counter.reps] == [(r["side"], r["counted"]) for r in truth["reps"]]


# -- the seated knee extension, through the whole engine ------------------------------------------------
SKE = get_exercise("seated-knee-extension")
SEATED_REST_DEG = 100.0


def seated_rep(hold_s: float, *, rise_s: float, lower_s: float, peak_deg: float = 169.0, sway_deg: float = 0.0,
               sway_hz: float = 0.5, sag_deg_s: float = 0.0) -> Profile:
    """A seated kick: rest at 100°, a minimum-jerk extension, a plateau (with sway and sag), a lowering."""
    return lift(hold_s, rise_s=rise_s, lower_s=lower_s, peak_deg=peak_deg, rest_deg=SEATED_REST_DEG,
                sway_deg=sway_deg, sway_hz=sway_hz, sag_deg_s=sag_deg_s, t0_s=2.0)


def seated_reps(profile: Profile, duration_s: float) -> list[RepRecord]:
    return count(SKE, frames(SKE, sampled(lambda t: {"left": profile(t), "right": math.nan}, duration_s)))


@pytest.mark.parametrize("lower_s", [2.5, 3.0, 3.5])
def test_a_seated_kick_lowered_slowly_without_a_hold_is_not_counted(lower_s: float) -> None:
    """Straightened in 0.5 s and lowered at once, slowly (held-out 505/13, 808/19): the plateau lasts 0.05 s,
    far short of the prescribed 1 s. The slow start of a minimum-jerk lowering is the lowering, not a hold."""
    reps = seated_reps(seated_rep(0.05, rise_s=0.5, lower_s=lower_s), 2.0 + 0.5 + lower_s + 2.5)
    assert [(r.counted, r.faults) for r in reps] == [(False, ("hold_too_short",))]


@pytest.mark.parametrize(("name", "profile"), [
    ("steady", seated_rep(1.8, rise_s=1.0, lower_s=2.0)),
    ("sway ±2° at 1 Hz", seated_rep(1.8, rise_s=1.0, lower_s=2.0, sway_deg=2.0, sway_hz=1.0)),
    ("sway ±2° at 0.3 Hz", seated_rep(1.8, rise_s=1.0, lower_s=2.0, sway_deg=2.0, sway_hz=0.3)),
    ("tremor ±1.5° at 6 Hz", seated_rep(1.8, rise_s=1.0, lower_s=2.0, sway_deg=1.5, sway_hz=6.0)),
    ("sag 2.5°/s", seated_rep(1.8, rise_s=1.0, lower_s=2.0, sag_deg_s=2.5)),
])
def test_a_seated_hold_of_1_8_s_that_sways_or_sags_is_counted(name: str, profile: Profile) -> None:
    reps = seated_reps(profile, 12.0)
    assert [(r.counted, r.faults) for r in reps] == [(True, ())], name
    assert 1.8 - 0.1 <= reps[0].hold_s <= 1.8 + SLOW_ENDS_S, f"{name}: {reps[0].hold_s:.2f} s"
