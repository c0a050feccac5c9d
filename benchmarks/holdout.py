"""Held-out check: random clips the engine has never seen, scored against their truth.

The committed samples are few and were looked at while tuning. This renders fresh clips from random
motion scripts and runs ``posecount evaluate`` on them. Two kinds of motion:

* ``realistic`` (the default): what people do. Minimum-jerk lifts and lowerings, sway and tremor in the
  hold, sagging holds, narrow to shoulder-width stances, a weak leg, slow controlled reps, quick flicks
  between reps, chairs of every design in front of the legs, and faulty reps (a short hold, too small a
  range, a trunk lean, a fast lowering, a bent knee; seated: the toes pointed, an extensor lag, a slouch).
  The truth comes from the exercise's clinical definition (``truth_rules="clinical"``,
  :mod:`posecount.synth.clinical`), never from the engine's thresholds: every rep is drawn with an intent
  (clean, or one or two faults) and redrawn until the clinical definition agrees with that intent with its margins.
  Nothing too near a clinical line is kept or nudged. A too-small rep is drawn as a clear attempt (at least 60 %
  of the lift the target asks for). The picture must be one a person would keep after the app's set-up advice
  (:func:`scene_problems`: trousers and shoes not camouflaged against the wall, floor or chair; seated, not
  so far back in a portrait frame that the body is small; standing behind a chair of the newer designs, the
  feet clear of the bottom edge), or the whole script is redrawn.
* ``classic`` (``--motion classic``): the first sample set's motion (cosine ease, flat plateaus), checked
  against the engine's thresholds with bands (:mod:`posecount.synth.rules`).

    python benchmarks/holdout.py --clips 20 --seed 202 [--motion classic] [--keep DIR]

``--keep DIR`` keeps the clips, their truth and each clip's analysis (``DIR/results/NAME``); replay one with
``posecount analyze DIR/NAME.mp4 --out OUT``.

Prints the scorecard, every rep that is not right (truth against the report), and a summary line
(clips exact / total, reps right / total, seconds taken); exits non-zero if any clip is off. Not a test:
it takes minutes.
"""

from __future__ import annotations

import argparse
import json
import math
import random
import sys
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass, replace
from pathlib import Path

from rich.console import Console

from posecount.evaluate import evaluate_directory, render_scorecard
from posecount.models import ensure_model
from posecount.pipeline import record_track
from posecount.pose import PoseOptions
from posecount.synth.body import skeleton_at
from posecount.synth.clinical import DEFINITIONS, MARGINS, clinical_verdict, target_readings_deg
from posecount.synth.rules import check_script
from posecount.synth.script import CHAIR_DESIGNS, Look, MotionScript, Rep, Scene, Sway
from posecount.synth.truth import build_truth, truth_json
from posecount.synth.video import write_clip

RESOLUTIONS = [(640, 480), (800, 600), (960, 540), (1280, 720), (480, 640), (720, 1280)]
FPS = [24.0, 25.0, 30.0, 50.0, 60.0]
MOTIONS = ("realistic", "classic")


SKIN = ["#f1c27d", "#e0ac69", "#c68642", "#8d5524", "#ffdbac", "#a8754f", "#6b4226", "#d9a066"]
HAIR = ["#090806", "#2c222b", "#71635a", "#b7a69e", "#d6c4c2", "#a56b46", "#8d4a43", "#e6cea8"]


def _colour(rng: random.Random) -> str:
    return "#" + "".join(f"{rng.randint(20, 235):02x}" for _ in range(3))


# -- classic motion: the first sample set's (cosine ease, flat plateau), truth from the engine's bands ----------
def _slr_rep(rng: random.Random, side: str) -> Rep:
    kind = rng.choices(["clean", "short", "small", "lean", "fast", "knee"], [4, 1, 1, 1, 1, 1])[0]
    rep = Rep(side=side, peak_deg=rng.uniform(30, 45), rise_s=rng.uniform(1.0, 2.0), hold_s=rng.uniform(2.8, 4.0),
              lower_s=rng.uniform(1.5, 3.0), rest_s=rng.uniform(1.5, 3.0))  # type: ignore[arg-type]
    if kind == "short":
        rep.hold_s, rep.expect_counted, rep.expect_faults = rng.uniform(0.5, 1.0), False, ["hold_too_short"]
    elif kind == "small":
        rep.peak_deg, rep.expect_counted, rep.expect_faults = rng.uniform(13, 15), False, ["range_too_small"]
    elif kind == "lean":
        rep.trunk_lean_deg, rep.expect_faults = rng.uniform(16, 22), ["trunk_lean"]
    elif kind == "fast":
        rep.lower_s, rep.expect_faults = rng.uniform(0.3, 0.5), ["lowered_too_fast"]
    elif kind == "knee":
        rep.knee_bend_deg, rep.expect_faults = rng.uniform(35, 45), ["knee_bent"]
    return rep


def _ske_rep(rng: random.Random, side: str) -> Rep:
    kind = rng.choices(["clean", "short", "small", "lean", "toes", "bent"], [4, 1, 1, 1, 1, 1])[0]
    rep = Rep(side=side, peak_deg=rng.uniform(172, 180), rise_s=rng.uniform(0.9, 1.8), hold_s=rng.uniform(1.8, 3.0),
              lower_s=rng.uniform(1.2, 2.5), rest_s=rng.uniform(1.5, 3.0),  # type: ignore[arg-type]
              ankle_plantarflex_deg=rng.uniform(0, 8))
    if kind == "short":
        rep.hold_s, rep.expect_counted, rep.expect_faults = rng.uniform(0.3, 0.5), False, ["hold_too_short"]
    elif kind == "small":
        rep.peak_deg, rep.expect_counted, rep.expect_faults = rng.uniform(125, 135), False, ["range_too_small"]
    elif kind == "lean":
        rep.trunk_lean_deg, rep.expect_faults = rng.uniform(30, 35), ["trunk_lean"]
    elif kind == "toes":
        rep.ankle_plantarflex_deg, rep.expect_faults = rng.uniform(40, 50), ["toes_not_up"]
    elif kind == "bent":
        rep.peak_deg, rep.expect_faults = rng.uniform(155, 158), ["knee_bent"]
    return rep


def _layout(rng: random.Random, exercise: str, seed: int,
            draw_reps: Callable[[random.Random, str], list[Rep]] = lambda rng, near: []) -> MotionScript:
    """Resolution, frame rate, look, scene and framing (both kinds of motion); ``draw_reps(rng, near leg)``
    draws the reps where the first version of this check did, so a classic seed gives the clips it gave."""
    width, height = rng.choice(RESOLUTIONS)
    look = Look(skin=rng.choice(SKIN), hair=rng.choice(HAIR), shirt=_colour(rng), trousers=_colour(rng),
                shoes=_colour(rng))
    scene = Scene(background=rng.choice(["plain", "gradient", "room"]), wall=_colour(rng), floor=_colour(rng),
                  chair=rng.random() < 0.7 or exercise != "side-leg-raise", noise_sigma=rng.uniform(0.0, 4.0))
    if exercise == "side-leg-raise":
        # head to toe in the frame, and a leg lifted to 45 deg still inside its width
        look.height_px = min(rng.uniform(0.65, 0.85) * height, 0.95 * width)
        look.center_x_frac, look.floor_y_frac = rng.uniform(0.4, 0.6), rng.uniform(0.88, 0.96)
        view = "front"
        reps = draw_reps(rng, "")
    else:
        view = rng.choice(["side-facing-left", "side-facing-right"])
        facing = 1 if view.endswith("right") else -1
        # as tall as the frame, but the straightened leg (about half the stature) must fit in its width
        look.height_px = min(rng.uniform(0.95, 1.1) * height, 1.0 * width)
        look.center_x_frac = (0.33 if facing > 0 else 0.67) + rng.uniform(-0.04, 0.04)
        look.floor_y_frac = rng.uniform(0.93, 0.97)
        reps = draw_reps(rng, "right" if facing > 0 else "left")
    return MotionScript(exercise=exercise, view=view, width=width, height=height, fps=rng.choice(FPS),  # type: ignore[arg-type]
                        seed=seed, look=look, scene=scene, reps=reps, sway_px=rng.uniform(0.5, 3.0))


def random_script(rng: random.Random, exercise: str, seed: int) -> MotionScript:
    """A classic script (the first sample set's motion)."""
    def draw_reps(rng: random.Random, near: str) -> list[Rep]:
        if exercise == "side-leg-raise":
            sides = ["left", "right"] * 3
            return [_slr_rep(rng, s) for s in sides[: rng.randint(2, 5)]]
        return [_ske_rep(rng, near) for _ in range(rng.randint(2, 4))]

    return _layout(rng, exercise, seed, draw_reps)


# -- realistic motion: what people do, truth from the clinical definition ----------------------------------------
#: What each drawn kind of rep means clinically: (counted, faults). A rep is kept only if the clinical
#: definition reads exactly this from its drawn motion, with every margin.
SLR_KINDS: dict[str, tuple[bool, tuple[str, ...]]] = {
    "clean": (True, ()),
    "short": (False, ("hold_too_short",)),
    "small": (False, ("range_too_small",)),
    "lean": (True, ("trunk_lean",)),
    "fast": (True, ("lowered_too_fast",)),
    "knee": (True, ("knee_bent",)),
    "lean+fast": (True, ("lowered_too_fast", "trunk_lean")),
    "fast+knee": (True, ("lowered_too_fast", "knee_bent")),
    "flick": (False, ("hold_too_short", "lowered_too_fast")),
}
SLR_WEIGHTS = {"clean": 10, "short": 2, "small": 2, "lean": 2, "fast": 2, "knee": 2, "lean+fast": 0.5,
               "fast+knee": 0.5}
SKE_KINDS: dict[str, tuple[bool, tuple[str, ...]]] = {
    "clean": (True, ()),
    "short": (False, ("hold_too_short",)),
    "small": (False, ("range_too_small",)),
    "lean": (True, ("trunk_lean",)),
    "toes": (True, ("toes_not_up",)),
    "lag": (True, ("knee_bent",)),
    "flick": (False, ("hold_too_short",)),
}
SKE_WEIGHTS = {"clean": 10, "short": 2, "small": 2, "lean": 2, "toes": 2, "lag": 2}
#: Tries to draw one rep of a kind before giving up on that kind (another is drawn instead).
REP_TRIES = 200
#: A rep that falls short of the target is drawn as a clear attempt: it lifts at least this fraction of the
#: lift the target asks for. The clinical definition has no line for "an attempt at all"; a smaller lift could be
#: fidgeting, and the check must not demand that it be reported.
ATTEMPT_FRACTION = 0.6


def _attempt_floor_deg(script: MotionScript) -> float:
    """The least top of a too-small attempt: ATTEMPT_FRACTION of the lift the target asks for (side leg raise:
    of the 17° lift from the stance, so a wide stance cannot make a 5° twitch an attempt)."""
    d = DEFINITIONS[script.exercise]
    if script.exercise == "side-leg-raise":
        assert d.target_lift_deg is not None
        return script.stance_deg + ATTEMPT_FRACTION * d.target_lift_deg
    return script.rest_knee_deg + ATTEMPT_FRACTION * (d.target_deg - script.rest_knee_deg)


# -- scene validity: a picture the person would keep after the app's set-up advice ---------------------------
#: Colour difference (CIE76 ΔE in L*a*b*; 2.3 is just noticeable) the trousers keep from the wall, the floor and
#: the chair, and the shoes, shirt and skin from the wall and floor: random colours otherwise now and then draw
#: green shoes on a green wall.
MIN_CONTRAST_LEGS = 25.0
MIN_CONTRAST_BODY = 15.0
#: Framing, from the drawn skeleton over the whole clip: every joint this far (fraction of the width) from the
#: sides; seated, shoulder to the lower ankle at least this fraction of the height (a person far back in a
#: portrait frame is told to come closer); behind a chair of the newer designs, the feet this far (fraction of
#: the height) above the bottom edge, where the chair's legs and stretchers would hide them.
FRAME_SIDE_MARGIN = 0.04
SEATED_MIN_SPAN = 0.35
CHAIR_FEET_MARGIN = 0.06


def _lab(colour: str) -> tuple[float, float, float]:
    """``#rrggbb`` (sRGB) → CIE L*a*b* (D65)."""
    def lin(c: float) -> float:
        return c / 12.92 if c <= 0.04045 else ((c + 0.055) / 1.055) ** 2.4
    r, g, b = (lin(int(colour[k:k + 2], 16) / 255.0) for k in (1, 3, 5))
    xyz = (0.4124 * r + 0.3576 * g + 0.1805 * b) / 0.95047, 0.2126 * r + 0.7152 * g + 0.0722 * b, \
        (0.0193 * r + 0.1192 * g + 0.9505 * b) / 1.08883
    fx, fy, fz = (v ** (1 / 3) if v > 0.008856 else 7.787 * v + 16 / 116 for v in xyz)
    return 116 * fy - 16, 500 * (fx - fy), 200 * (fy - fz)


def _delta_e(a: str, b: str) -> float:
    return math.dist(_lab(a), _lab(b))


def scene_problems(script: MotionScript) -> list[str]:
    """Why the picture is not one a person would keep (camouflaged legs, framed too tight or too far)."""
    look, scene = script.look, script.scene
    problems = []
    behind = [scene.wall] + ([scene.floor] if scene.background == "room" else [])
    for part, floor_ in (("trousers", MIN_CONTRAST_LEGS), ("shoes", MIN_CONTRAST_BODY), ("shirt", MIN_CONTRAST_BODY),
                         ("skin", MIN_CONTRAST_BODY)):
        against = behind + ([scene.chair_color] if scene.chair and part == "trousers" else [])
        worst = min(_delta_e(getattr(look, part), c) for c in against)
        if worst < floor_:
            problems.append(f"{part} {getattr(look, part)} only ΔE {worst:.0f} from the background or chair")
    xs: list[float] = []
    feet: list[float] = []
    span = math.inf
    t = 0.0
    while t < script.total_duration_s:
        sk = skeleton_at(script, t)
        if sk is not None:
            xs += [p[0] for p in sk.points.values()]
            feet += [sk.points[f"{s}_{j}"][1] for s in ("left", "right") for j in ("ankle", "heel", "foot_index")]
            shoulders = min(sk.points["left_shoulder"][1], sk.points["right_shoulder"][1])
            span = min(span, (max(sk.points["left_ankle"][1], sk.points["right_ankle"][1]) - shoulders) / script.height)
        t += 0.1
    if xs and (min(xs) < FRAME_SIDE_MARGIN * script.width or max(xs) > (1 - FRAME_SIDE_MARGIN) * script.width):
        problems.append("a joint comes within the side margin of the frame")
    if script.exercise == "seated-knee-extension" and span < SEATED_MIN_SPAN:
        problems.append(f"seated shoulder-to-ankle span {span:.2f} of the height: too far from the camera")
    if (script.view == "front" and scene.chair and scene.chair_design != "rail" and feet
            and max(feet) > (1 - CHAIR_FEET_MARGIN) * script.height):
        problems.append("the feet behind the chair come within the bottom margin")
    return problems


@dataclass
class Person:
    """What stays the same through one clip: a weak leg, a slow tempo, how much they sway and tremble."""

    weak: str | None  # the weak leg (side leg raise), or None
    slow: bool  # slow controlled reps throughout
    sway_p: float  # chance of a slow sway in a hold
    tremor_p: float  # chance of a tremor in a hold
    sag_p: float  # chance of a sagging hold

    def describe(self) -> str:
        bits = [f"weak {self.weak} leg" if self.weak else "", "slow" if self.slow else ""]
        return ", ".join(b for b in bits if b)


def _hold_motion(rng: random.Random, person: Person, exercise: str) -> tuple[list[Sway], float]:
    """A hold's sway and tremor (sinusoids on the driving angle) and its sag (°/s)."""
    sways: list[Sway] = []
    seated = exercise == "seated-knee-extension"
    if rng.random() < person.sway_p:  # body sway, or the leg drifting to and fro
        sways.append(Sway(rng.uniform(0.4, 2.0 if seated else 2.5), rng.uniform(0.3, 1.0), rng.uniform(0, 360)))
    if rng.random() < 0.25:  # a wobble of a tiring muscle
        sways.append(Sway(rng.uniform(0.3, 1.2), rng.uniform(1.0, 3.0), rng.uniform(0, 360)))
    if rng.random() < person.tremor_p:  # physiological / fatigue tremor
        sways.append(Sway(rng.uniform(0.2, 1.5 if seated else 1.0), rng.uniform(4.0, 8.0), rng.uniform(0, 360)))
    sag = rng.uniform(0.4, 2.5 if seated else 3.0) if rng.random() < person.sag_p else 0.0
    return sways, sag


def _slr_draw(rng: random.Random, script: MotionScript, person: Person, side: str, kind: str) -> Rep:
    """One side-leg-raise rep of ``kind`` (its values drawn freely; the caller checks them clinically)."""
    lower_target, upper_target = target_readings_deg(script, DEFINITIONS[script.exercise])
    weak = side == person.weak
    slow = person.slow or rng.random() < 0.1
    if weak:  # a weak leg: lower, slower, a shorter (but still prescribed) hold, more tremor
        peak = rng.uniform(upper_target + 6.5, upper_target + 13.0)
        rise, hold = rng.uniform(1.5, 2.6), rng.uniform(2.7, 3.4)
    else:
        peak = rng.uniform(max(30.0, upper_target + 6.5), 45.0)
        rise, hold = rng.uniform(0.8, 2.0), rng.uniform(2.8, 4.2)
    lower = rng.uniform(2.1, 3.5)
    if slow:
        rise, hold, lower = rng.uniform(2.5, 3.5), rng.uniform(3.0, 4.5), rng.uniform(3.0, 4.5)
    rest = rng.uniform(1.2, 3.0)
    sways, sag = _hold_motion(rng, replace(person, tremor_p=min(1.0, person.tremor_p + (0.4 if weak else 0.0))),
                              script.exercise)
    rep = Rep(side=side, peak_deg=peak, rise_s=rise, hold_s=hold, lower_s=lower, rest_s=rest,  # type: ignore[arg-type]
              sway=sways, sag_deg_s=sag)
    # people are not mannequins: a little lean and a soft knee on clean reps
    rep.trunk_lean_deg = rng.uniform(0.0, 3.0) if rng.random() < 0.5 else None
    rep.knee_bend_deg = rng.uniform(0.0, 12.0) if rng.random() < 0.5 else 0.0
    parts = kind.split("+")
    if "short" in parts:
        rep.hold_s = rng.uniform(0.2, 1.1)
    if "small" in parts:
        rep.peak_deg = rng.uniform(_attempt_floor_deg(script), lower_target - 6.5)
        rep.hold_s = rng.uniform(1.0, 3.5)
    if "lean" in parts:
        rep.trunk_lean_deg = rng.uniform(16.0, 26.0)
    if "fast" in parts:
        rep.lower_s = rng.uniform(0.25, 0.5)
    if "knee" in parts:
        rep.knee_bend_deg = rng.uniform(27.0, 45.0)
    if kind == "flick":  # up and straight back down, between real reps
        rep.peak_deg = rng.uniform(max(25.0, upper_target + 6.5), 38.0)
        rep.rise_s, rep.hold_s, rep.lower_s = rng.uniform(0.12, 0.35), 0.0, rng.uniform(0.12, 0.4)
        rep.sway, rep.sag_deg_s, rep.knee_bend_deg, rep.trunk_lean_deg = [], 0.0, 0.0, None
        rep.rest_s = rng.uniform(1.1, 2.0)
    return rep


def _ske_draw(rng: random.Random, script: MotionScript, person: Person, side: str, kind: str) -> Rep:
    """One seated-knee-extension rep of ``kind`` (values drawn freely; the caller checks them clinically)."""
    slow = person.slow or rng.random() < 0.1
    peak = rng.uniform(166.0, 179.0)
    rise, hold, lower = rng.uniform(0.7, 1.8), rng.uniform(1.7, 3.2), rng.uniform(0.8, 2.4)
    if slow:
        rise, hold, lower = rng.uniform(2.0, 3.2), rng.uniform(2.5, 4.0), rng.uniform(2.5, 3.8)
    sways, sag = _hold_motion(rng, person, script.exercise)
    rep = Rep(side=side, peak_deg=peak, rise_s=rise, hold_s=hold, lower_s=lower,  # type: ignore[arg-type]
              rest_s=rng.uniform(1.2, 3.0), ankle_plantarflex_deg=rng.uniform(0.0, 18.0), sway=sways, sag_deg_s=sag)
    if kind == "short":  # kicked up and dropped
        rep.rise_s, rep.hold_s = rng.uniform(0.35, 0.9), rng.uniform(0.0, 0.35)
        rep.sway, rep.sag_deg_s = [], 0.0
    elif kind == "small":
        rep.peak_deg = rng.uniform(_attempt_floor_deg(script), 138.5)
    elif kind == "lean":  # slouching back off the backrest
        rep.trunk_lean_deg = rng.uniform(26.0, 36.0)
    elif kind == "toes":
        rep.ankle_plantarflex_deg = rng.uniform(36.0, 50.0)
    elif kind == "lag":  # extensor lag: the knee will not straighten past ~155
        rep.peak_deg = rng.uniform(151.5, 155.0)
        rep.sway = [s for s in rep.sway if s.amplitude_deg < 0.8]
    elif kind == "flick":
        rep.rise_s, rep.hold_s, rep.lower_s = rng.uniform(0.15, 0.35), 0.0, rng.uniform(0.15, 0.45)
        rep.sway, rep.sag_deg_s = [], 0.0
        rep.rest_s = rng.uniform(1.1, 2.0)
    return rep


def _clinical_rep(rng: random.Random, script: MotionScript, person: Person, side: str, kind: str,
                  draw: Callable[..., Rep], kinds: dict[str, tuple[bool, tuple[str, ...]]]) -> Rep | None:
    """Draw a rep of ``kind`` until the clinical definition reads it as intended, unambiguously (None: gave up)."""
    counted, faults = kinds[kind]
    for _ in range(REP_TRIES):
        rep = draw(rng, script, person, side, kind)
        if "small" in kind.split("+") and rep.peak_deg < _attempt_floor_deg(script):
            continue  # not a clear attempt (a wide stance leaves no room between the floor and the target)
        verdict = clinical_verdict(script, rep)
        if not verdict.problems and verdict.counted == counted and set(verdict.faults) == set(faults):
            rep.expect_counted, rep.expect_faults = counted, list(verdict.faults)
            return rep
    return None


def _sides(rng: random.Random, n: int) -> list[str]:
    """The working legs of n reps: alternating (from either leg), or in blocks (all of one leg, then the other)."""
    first, second = rng.sample(["left", "right"], 2)
    if rng.random() < 0.65:
        return [(first, second)[k % 2] for k in range(n)]
    return [first] * ((n + 1) // 2) + [second] * (n // 2)


def realistic_script(rng: random.Random, exercise: str, seed: int) -> tuple[MotionScript, str] | None:
    """A realistic clinical script and a one-line account of it (None: a rep could not be drawn; redraw)."""
    script = _layout(rng, exercise, seed)
    script.ease, script.truth_rules = "min-jerk", "clinical"
    script.hold_wobble_deg = rng.uniform(0.0, 1.0)
    script.initial_rest_s, script.tail_s = rng.uniform(1.0, 2.2), rng.uniform(0.8, 1.6)
    person = Person(weak=None, slow=rng.random() < 0.2, sway_p=rng.uniform(0.3, 0.9), tremor_p=rng.uniform(0.1, 0.6),
                    sag_p=rng.uniform(0.0, 0.5))
    notes: list[str] = []
    if exercise == "side-leg-raise":
        stance = rng.choice(["narrow", "normal", "wide"])
        script.stance_deg = {"narrow": rng.uniform(0.0, 1.5), "normal": rng.uniform(1.5, 5.0),
                             "wide": rng.uniform(5.5, MARGINS.stance_deg[1])}[stance]
        notes.append(f"stance {script.stance_deg:.1f}° ({stance})")
        if script.scene.chair:
            script.scene.chair_design = rng.choice(CHAIR_DESIGNS)  # type: ignore[assignment]
            notes.append(f"chair {script.scene.chair_design}")
        else:
            notes.append("no chair")
        person.weak = rng.choice(["left", "right"]) if rng.random() < 0.35 else None
        sides = _sides(rng, rng.randint(2, 5))
        draw, kinds, weights = _slr_draw, SLR_KINDS, SLR_WEIGHTS
    else:
        script.rest_knee_deg = rng.uniform(*MARGINS.rest_knee_deg)
        script.rest_trunk_deg = rng.uniform(-3.0, 10.0)
        notes.append(f"knee at rest {script.rest_knee_deg:.0f}°, trunk {script.rest_trunk_deg:.0f}°")
        sides = [script.near_side or "right"] * rng.randint(2, 4)
        draw, kinds, weights = _ske_draw, SKE_KINDS, SKE_WEIGHTS
    if person.describe():
        notes.append(person.describe())
    reps: list[Rep] = []
    labels: list[str] = []
    flicks = rng.random() < 0.35
    for k, side in enumerate(sides):
        if flicks and k > 0 and rng.random() < 0.6:  # a quick flick between two reps, of either leg
            flick_side = rng.choice(["left", "right"]) if exercise == "side-leg-raise" else side
            rep = _clinical_rep(rng, script, person, flick_side, "flick", draw, kinds)
            if rep is None:
                return None
            reps[-1].rest_s = rng.uniform(1.0, 1.8)
            reps.append(rep)
            labels.append(f"{flick_side[0].upper()} flick")
        for _ in range(10):  # a kind this person cannot do unambiguously (a small lift from a wide stance): another
            kind = rng.choices(list(weights), list(weights.values()))[0]
            rep = _clinical_rep(rng, script, person, side, kind, draw, kinds)
            if rep is not None:
                break
        if rep is None:
            return None
        reps.append(rep)
        extras = [w for w, on in (("sway", any(s.frequency_hz < 4 for s in rep.sway)),
                                  ("tremor", any(s.frequency_hz >= 4 for s in rep.sway)),
                                  ("sag", rep.sag_deg_s > 0)) if on]
        labels.append(f"{side[0].upper()} {kind}" + (f" ({'+'.join(extras)})" if extras else ""))
    script.reps = reps
    return script, "; ".join(notes) + " | " + ", ".join(labels)


# -- scoring, rep by rep ------------------------------------------------------------------------------------------
def _overlap(a: dict, b: dict) -> float:
    return min(a["end_s"], b["end_s"]) - max(a["start_s"], b["start_s"])


def rep_lines(truth: dict, report: dict) -> tuple[int, int, int, list[str]]:
    """(reps right, reps, extra attempts, what is wrong). Reps are paired as ``posecount evaluate`` pairs them
    (same side, best time overlap first); a rep is right when it is found, its counted flag agrees, and its
    faults are what ``evaluate`` asks (every expected fault raised; none on a clean rep)."""
    truth_reps, got = list(truth.get("reps", [])), list(report.get("reps", []))
    pairs = sorted(((_overlap(t, r), i, j) for i, t in enumerate(truth_reps) for j, r in enumerate(got)
                    if t["side"] == r["side"] and _overlap(t, r) > 0), reverse=True)
    match: dict[int, int] = {}
    for _, i, j in pairs:
        if i not in match and j not in match.values():
            match[i] = j
    right, lines = 0, []
    for i, t in enumerate(truth_reps):
        want = (f"counted={t['counted']} faults={t['faults'] or '-'} peak {t['peak_angle_deg']:.1f}° "
                f"hold {t['hold_s']:.2f} s")
        where = f"rep {t['index']} {t['side']} {t['start_s']:.2f}-{t['end_s']:.2f} s"
        if i not in match:
            lines.append(f"{where}: not found (truth {want})")
            continue
        r = got[match[i]]
        expected, faults = set(t["faults"]), set(r.get("faults", []))
        ok = bool(t["counted"]) == bool(r["counted"]) and expected <= faults and bool(expected or not faults)
        right += ok
        if not ok or faults != expected:
            nan = float("nan")
            lines.append(f"{where}: truth {want}; got counted={r['counted']} faults={r.get('faults') or '-'} "
                         f"peak {r.get('peak_angle_deg', nan):.1f}° hold {r.get('hold_s', nan):.2f} s "
                         f"({r['start_s']:.2f}-{r['end_s']:.2f} s)" + ("" if ok else "  <-- wrong"))
    extra = [j for j in range(len(got)) if j not in match.values()]
    for j in extra:
        r = got[j]
        lines.append(f"extra attempt {r['side']} {r['start_s']:.2f}-{r['end_s']:.2f} s: counted={r['counted']} "
                     f"faults={r.get('faults') or '-'} peak {r.get('peak_angle_deg', float('nan')):.1f}°")
    return right, len(truth_reps), len(extra), lines


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--clips", type=int, default=12)
    ap.add_argument("--seed", type=int, default=7)
    ap.add_argument("--motion", choices=MOTIONS, default="realistic",
                    help="realistic (default: clinical truth) or classic (the first sample set's motion)")
    ap.add_argument("--keep", type=Path, help="keep the clips and results here")
    ap.add_argument("--landmarks", type=Path, help="record the model's landmarks of each clip here (NAME.npz) and "
                    "score from them; later engine changes are re-scored without the model: "
                    "`posecount evaluate CLIPS --landmarks DIR`")
    args = ap.parse_args()
    started = time.monotonic()
    rng = random.Random(args.seed)
    console = Console(width=None if sys.stdout.isatty() else 200)
    with tempfile.TemporaryDirectory(prefix="posecount-holdout-") as tmp:
        clips = Path(args.keep) if args.keep else Path(tmp) / "clips"
        clips.mkdir(parents=True, exist_ok=True)
        results_dir = clips / "results" if args.keep else Path(tmp) / "results"
        made = redrawn = unfit = 0
        while made < args.clips:
            exercise = "side-leg-raise" if made % 2 == 0 else "seated-knee-extension"
            seed = args.seed * 1000 + made
            if args.motion == "classic":
                script, account = random_script(rng, exercise, seed), ""
            else:
                drawn = realistic_script(rng, exercise, seed)
                if drawn is None:
                    redrawn += 1
                    continue
                script, account = drawn
                if scene_problems(script):
                    unfit += 1
                    continue
            problems = check_script(script)
            if problems:
                redrawn += 1
                continue
            name = f"holdout_{made:02d}_{exercise}"
            write_clip(script, clips / f"{name}.mp4")
            (clips / f"{name}.truth.json").write_text(truth_json(build_truth(script, f"{name}.mp4")))
            console.print(f"{name}: {script.width}x{script.height} @ {script.fps:g} fps, {len(script.reps)} reps, "
                          f"{script.view}, noise {script.scene.noise_sigma:.1f}" + (f"; {account}" if account else ""),
                          highlight=False, markup=False)
            made += 1
        if redrawn or unfit:
            console.print(f"({redrawn} drawn scripts rejected by the truth rules, {unfit} for the picture "
                          "(scene_problems), all redrawn)")
        options = PoseOptions(model_path=ensure_model("full", progress=False))
        if args.landmarks:
            args.landmarks.mkdir(parents=True, exist_ok=True)
            for clip in sorted(clips.glob("holdout_*.mp4")):
                as_pose_records = replace(options, silhouette=True, leg_motion=True, knee_motion=True)
                record_track(clip, as_pose_records).save_npz(args.landmarks / f"{clip.stem}.npz")
            results = evaluate_directory(clips, None, results_dir, landmarks_dir=args.landmarks)
        else:
            results = evaluate_directory(clips, options, results_dir)
        render_scorecard(results, console)
        right = total = extra = 0
        for s in results:
            truth = json.loads((clips / f"{s.name}.truth.json").read_text(encoding="utf-8"))
            report_path = results_dir / s.name / "report.json"
            if not report_path.is_file():  # not analysed (the scorecard says why)
                total += len(truth["reps"])
                continue
            report = json.loads(report_path.read_text(encoding="utf-8"))
            r, n, x, lines = rep_lines(truth, report)
            right, total, extra = right + r, total + n, extra + x
            for line in lines:
                console.print(f"  {s.name}: {line}", highlight=False, markup=False)
        exact = sum(s.ok for s in results)
        console.print(f"holdout ({args.motion} motion, seed {args.seed}): {exact}/{len(results)} clips exact, "
                      f"{right}/{total} reps right, {extra} extra attempts, {time.monotonic() - started:.0f} s",
                      highlight=False)
        return 0 if exact == len(results) else 1


if __name__ == "__main__":
    sys.exit(main())
