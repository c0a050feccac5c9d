"""The committed sample sets: named motion scripts, and writing them with their truth.

Two sets: the first (:data:`SAMPLES`, ``samples/``), whose motion is what the engine expects (smooth ramps,
a flat plateau), and the realistic set (:data:`REALISTIC_SAMPLES`,
``samples/realistic/``), whose motion is what people with weak legs do and whose truth comes from the
exercise's clinical definition. Both sets' truth comes from that definition (:mod:`posecount.synth.clinical`),
never from the engine's thresholds. ``python -m posecount.synth samples`` regenerates every clip, its
``.truth.json`` and each set's ``README.md`` byte for byte. Each sample is checked with
:func:`posecount.synth.rules.check_script` before writing.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Sequence
from dataclasses import dataclass, replace
from pathlib import Path

from posecount.atomic import atomic_open
from posecount.synth.rules import check_script
from posecount.synth.script import Look, MotionScript, Rep, Scene, ScriptError, Stance, Sway, VariableRate
from posecount.synth.truth import build_truth, truth_json
from posecount.synth.video import WrittenClip, default_bitrate_bps, write_clip

#: The sample set is written with MPEG-4 Part 2 only, so any machine regenerates the same bytes.
SAMPLE_FOURCCS: tuple[str, ...] = ("mp4v",)
SIZE_BUDGET_BYTES = 10 * 1024 * 1024
#: The realistic set (``samples/realistic/``) has a budget of its own.
REALISTIC_SIZE_BUDGET_BYTES = 8 * 1024 * 1024

# -- looks and scenes ------------------------------------------------------------------------------------
LOOK_A = Look(skin="#c89878", hair="#3a2a1e", shirt="#2f6db5", trousers="#30343c", shoes="#f0f0f0")
LOOK_B = Look(skin="#8d5a3b", hair="#1b1410", shirt="#b8402f", trousers="#2b3a55", shoes="#e6e2da")
LOOK_C = Look(skin="#e8c4a8", hair="#a0703c", shirt="#3d8a4f", trousers="#4a4a4a", shoes="#ffffff")
LOOK_D = Look(skin="#a8754f", hair="#2a2a2a", shirt="#d9a441", trousers="#26303d", shoes="#f4f4f4")

ROOM = Scene(background="room", wall="#d8d2c4", floor="#8a7458")
ROOM_BLUE = Scene(background="room", wall="#c9d4dc", floor="#9a8a70", chair_color="#4a3a2a",
                  decor_shift_frac=0.03)
GRADIENT = Scene(background="gradient", wall="#cfd8d0", chair=False, noise_sigma=2.0)
PLAIN = Scene(background="plain", wall="#bfc4c8", noise_sigma=1.0)


def _front(look: Look, **kw: float) -> Look:
    """A standing person framed for 640x480 (head to toe, with room for a leg lifted to 45°)."""
    return replace(look, height_px=kw.get("height_px", 380.0), center_x_frac=kw.get("center_x_frac", 0.5),
                   floor_y_frac=kw.get("floor_y_frac", 0.9))


def _seated(look: Look, facing: int, **kw: float) -> Look:
    """A seated person in profile for 640x480, the hip set back so the straight leg stays in frame."""
    return replace(look, height_px=kw.get("height_px", 520.0),
                   center_x_frac=kw.get("center_x_frac", 0.33 if facing > 0 else 0.67),
                   floor_y_frac=kw.get("floor_y_frac", 0.96))


def _slr(side: str, peak: float, *, rise: float = 1.3, hold: float = 3.0, lower: float = 2.2, rest: float = 1.8,
         knee: float = 0.0, lean: float | None = None, counted: bool = True,
         faults: Sequence[str] = ()) -> Rep:
    return Rep(side=side, peak_deg=peak, rise_s=rise, hold_s=hold, lower_s=lower, rest_s=rest,  # type: ignore[arg-type]
               knee_bend_deg=knee, trunk_lean_deg=lean, expect_counted=counted, expect_faults=list(faults))


def _ske(side: str, peak: float, *, rise: float = 1.2, hold: float = 2.2, lower: float = 1.6, rest: float = 1.8,
         ankle: float = 3.0, lean: float | None = None, counted: bool = True,
         faults: Sequence[str] = ()) -> Rep:
    return Rep(side=side, peak_deg=peak, rise_s=rise, hold_s=hold, lower_s=lower, rest_s=rest,  # type: ignore[arg-type]
               ankle_plantarflex_deg=ankle, trunk_lean_deg=lean, expect_counted=counted,
               expect_faults=list(faults))


@dataclass(frozen=True)
class Sample:
    name: str
    description: str
    script: MotionScript


def _samples() -> list[Sample]:
    slr = "side-leg-raise"
    ske = "seated-knee-extension"
    out = [
        Sample("slr_clean_alternating", "Side leg raise behind a chair, 4 clean reps alternating L, R, L, R.",
               MotionScript(exercise=slr, view="front", seed=101, look=_front(LOOK_A), scene=ROOM, reps=[
                   _slr("left", 35), _slr("right", 38, hold=3.2), _slr("left", 41, lower=2.5),
                   _slr("right", 33, hold=2.9)])),
        Sample("slr_hold_too_short", "Two lifts held only 0.6-0.7 s (not counted), then one clean rep.",
               MotionScript(exercise=slr, view="front", seed=102, look=_front(LOOK_B), scene=ROOM_BLUE, reps=[
                   _slr("left", 36, hold=0.6, rise=1.2, counted=False, faults=["hold_too_short"]),
                   _slr("right", 34, hold=0.7, rise=1.2, counted=False, faults=["hold_too_short"]),
                   _slr("left", 37)])),
        Sample("slr_range_too_small", "Two lifts to only 13-13.5° (attempts, not counted), then one clean rep.",
               MotionScript(exercise=slr, view="front", seed=103, look=_front(LOOK_C), scene=ROOM, reps=[
                   _slr("left", 13.0, counted=False, faults=["range_too_small"]),
                   _slr("right", 13.5, counted=False, faults=["range_too_small"]),
                   _slr("left", 36)])),
        Sample("slr_trunk_lean", "Two reps leaning the trunk 18-20° toward the standing leg (counted, "
                                 "trunk_lean), then one upright rep.",
               MotionScript(exercise=slr, view="front", seed=104, look=_front(LOOK_D), scene=ROOM_BLUE, reps=[
                   _slr("left", 36, lean=18.0, faults=["trunk_lean"]),
                   _slr("right", 35, lean=20.0, faults=["trunk_lean"]),
                   _slr("left", 38, lean=1.0)])),
        Sample("slr_fast_lower_knee_bent", "Lowered in 0.4 s (lowered_too_fast), a bent knee (40°, knee_bent), "
                                           "then both at once; all counted.",
               MotionScript(exercise=slr, view="front", seed=105, look=_front(LOOK_A), scene=ROOM, reps=[
                   _slr("left", 37, lower=0.4, faults=["lowered_too_fast"]),
                   _slr("right", 36, knee=40.0, faults=["knee_bent"]),
                   _slr("left", 35, knee=38.0, lower=0.4, faults=["lowered_too_fast", "knee_bent"])])),
        Sample("slr_hd_24fps", "1280x720 at 24 fps, no chair (arms at the sides), gradient background; "
                               "2 clean reps R, L.",
               MotionScript(exercise=slr, view="front", width=1280, height=720, fps=24.0, seed=106,
                            look=_front(LOOK_C, height_px=600.0, center_x_frac=0.46, floor_y_frac=0.92),
                            scene=GRADIENT, reps=[_slr("right", 39), _slr("left", 34)])),
        Sample("slr_portrait_60fps", "480x640 portrait at 60 fps, plain background; 2 clean reps L, R.",
               MotionScript(exercise=slr, view="front", width=480, height=640, fps=60.0, seed=107,
                            look=_front(LOOK_B, height_px=500.0, floor_y_frac=0.88), scene=PLAIN,
                            reps=[_slr("left", 36, hold=2.9), _slr("right", 40, hold=2.9)])),
        Sample("slr_standing_still", "A person standing behind the chair, not exercising (no reps).",
               MotionScript(exercise=slr, view="front", seed=108, look=_front(LOOK_D), scene=ROOM,
                            duration_s=15.0)),
        Sample("empty_room", "Nobody in the room: the background and the chair only (side-leg-raise setup).",
               MotionScript(exercise=slr, view="front", seed=109, person_present=False, look=_front(LOOK_A),
                            scene=ROOM, duration_s=12.0)),
        Sample("ske_clean_facing_right", "Seated knee extension, facing image right (working leg: right, the "
                                         "near leg); 3 clean reps.",
               MotionScript(exercise=ske, view="side-facing-right", seed=201, look=_seated(LOOK_A, 1),
                            scene=ROOM, reps=[_ske("right", 176), _ske("right", 174, hold=2.5),
                                              _ske("right", 178, lower=1.9)])),
        Sample("ske_clean_facing_left", "Seated knee extension, facing image left (working leg: left, the near "
                                        "leg); 3 clean reps.",
               MotionScript(exercise=ske, view="side-facing-left", seed=202, look=_seated(LOOK_B, -1),
                            scene=ROOM_BLUE, reps=[_ske("left", 175), _ske("left", 177, hold=2.0),
                                                   _ske("left", 174, hold=2.6)])),
        Sample("ske_hold_too_short", "Two extensions straight up and down again (above the target for 0.3 s; not "
                                     "counted), then one clean rep.",
               MotionScript(exercise=ske, view="side-facing-right", seed=203, look=_seated(LOOK_C, 1),
                            scene=ROOM, reps=[
                                _ske("right", 175, hold=0.05, rise=0.8, lower=1.2, counted=False,
                                     faults=["hold_too_short"]),
                                _ske("right", 176, hold=0.0, rise=0.8, lower=1.2, counted=False,
                                     faults=["hold_too_short"]),
                                _ske("right", 176)])),
        Sample("ske_range_too_small", "An extension to 130° (not counted), one to 154° (counted, knee_bent), "
                                      "then a clean one.",
               MotionScript(exercise=ske, view="side-facing-left", seed=204, look=_seated(LOOK_D, -1),
                            scene=ROOM, reps=[
                                _ske("left", 130, counted=False, faults=["range_too_small"]),
                                _ske("left", 154, faults=["knee_bent"]),
                                _ske("left", 176)])),
        Sample("ske_trunk_lean", "Two reps slouching back to 32-33° from vertical (counted, trunk_lean), "
                                 "then one upright rep.",
               MotionScript(exercise=ske, view="side-facing-right", seed=205, look=_seated(LOOK_B, 1),
                            scene=ROOM_BLUE, reps=[
                                _ske("right", 175, lean=32.0, faults=["trunk_lean"]),
                                _ske("right", 176, lean=33.0, faults=["trunk_lean"]),
                                _ske("right", 175)])),
        Sample("ske_toes_not_up", "Two reps with the toes pointed (ankle plantarflexed 42-46°, counted, "
                                  "toes_not_up), then one with the toes up.",
               MotionScript(exercise=ske, view="side-facing-left", seed=206, look=_seated(LOOK_C, -1),
                            scene=ROOM, reps=[
                                _ske("left", 176, ankle=45.0, faults=["toes_not_up"]),
                                _ske("left", 175, ankle=42.0, faults=["toes_not_up"]),
                                _ske("left", 177, ankle=2.0)])),
        Sample("ske_sitting_still", "A person sitting on the chair, not exercising (no reps).",
               MotionScript(exercise=ske, view="side-facing-right", seed=207, look=_seated(LOOK_D, 1),
                            scene=ROOM, duration_s=15.0)),
    ]
    return out


#: Every first-set clip's truth comes from the clinical definition (posecount.synth.clinical), like the
#: realistic set's: the scripts were drawn for the engine's rules once, and each rep now clears the clinical
#: margins too, so neither definition is needed to trust the other.
SAMPLES: tuple[Sample, ...] = tuple(replace(s, script=replace(s.script, truth_rules="clinical"))
                                    for s in _samples())


# -- the realistic set (samples/realistic/): motion as people with weak legs move, truth from the clinic ----
#: The realistic set's directory, inside the first set's (``samples/realistic``).
REALISTIC_SUBDIR = "realistic"

ROOM_WARM = Scene(background="room", wall="#e0d6c6", floor="#7e6a50", chair_color="#7a5634", decor_shift_frac=-0.02)
ROOM_GREY = Scene(background="room", wall="#cfd0d2", floor="#8e8270", chair_color="#5a3d26", decor_shift_frac=0.04)


def _real(side: str, peak: float, *, rise: float = 1.4, hold: float = 3.0, lower: float = 2.4, rest: float = 1.6,
          sway: Sequence[Sway] = (), sag: float = 0.0, ankle: float = 0.0, counted: bool = True,
          faults: Sequence[str] = ()) -> Rep:
    return Rep(side=side, peak_deg=peak, rise_s=rise, hold_s=hold, lower_s=lower, rest_s=rest,  # type: ignore[arg-type]
               ankle_plantarflex_deg=ankle, sway=list(sway), sag_deg_s=sag, expect_counted=counted,
               expect_faults=list(faults))


def _flick(side: str, peak: float, *, up: float = 0.15, down: float = 0.15, rest: float = 1.3) -> Rep:
    """A quick flick: up and straight back down, no hold (an attempt that must not count)."""
    return _real(side, peak, rise=up, hold=0.0, lower=down, rest=rest, counted=False,
                 faults=["hold_too_short", "lowered_too_fast"])


def _realistic(exercise: str, view: str, seed: int, look: Look, scene: Scene, reps: list[Rep],
               **kw: object) -> MotionScript:
    return MotionScript(exercise=exercise, view=view, seed=seed, look=look, scene=scene,  # type: ignore[arg-type]
                        reps=reps, ease="min-jerk", truth_rules="clinical", **kw)  # type: ignore[arg-type]


def _realistic_samples() -> list[Sample]:
    slr = "side-leg-raise"
    ske = "seated-knee-extension"
    sway = Sway(2.0, 0.5)
    wobble = Sway(1.5, 1.0)
    tremor = Sway(0.6, 6.0)
    return [
        Sample("slr_sway_tremor", "Minimum-jerk reps whose holds sway ±2° at 0.5 Hz (L), ±1.5° at 1 Hz (R), then both "
                                  "with a ±0.6° 6 Hz tremor (L); all held 3 s above 20°, all counted.",
               _realistic(slr, "front", 301, _front(LOOK_B), ROOM_WARM, [
                   _real("left", 36, sway=[sway]), _real("right", 35, sway=[wobble]),
                   _real("left", 37, hold=3.2, sway=[sway, wobble, tremor])])),
        Sample("slr_sagging_hold", "Holds that sag slowly (2, 3 and 1.5°/s) but stay well above 20° for 3-3.4 s; "
                                   "all counted.",
               _realistic(slr, "front", 302, _front(LOOK_C), ROOM_GREY, [
                   _real("left", 38, hold=3.2, sag=2.0), _real("right", 37, hold=3.0, sag=3.0),
                   _real("left", 34, hold=3.4, sag=1.5, sway=[Sway(1.0, 0.7)])])),
        Sample("slr_wide_stance", "A shoulder-width stance (each leg rests at 8°): 3 reps to 36-40°, all counted.",
               _realistic(slr, "front", 303, _front(LOOK_D), ROOM, [
                   _real("left", 38), _real("right", 36, sway=[Sway(1.0, 0.6)]), _real("left", 40, hold=2.8)],
                   stance_deg=8.0)),
        Sample("slr_weak_left_leg", "A weak left leg: left reps only to 26° held 2.6 s, the right to 38° held 3 s; "
                                    "all counted.",
               _realistic(slr, "front", 304, _front(LOOK_A), ROOM_BLUE, [
                   _real("left", 26, rise=1.7, hold=2.6, sway=[Sway(0.8, 0.9)]), _real("right", 38),
                   _real("left", 26.5, rise=1.8, hold=2.6, sway=[Sway(0.8, 1.1)])])),
        Sample("slr_slow_reps", "Slow controlled reps: 3 s up, 3 s held, 4 s down (L to 35°, R to 37°); "
                                "both counted.",
               _realistic(slr, "front", 305, _front(LOOK_B), ROOM, [
                   _real("left", 35, rise=3.0, hold=3.0, lower=4.0, rest=1.5, sway=[Sway(0.7, 0.5)]),
                   _real("right", 37, rise=3.0, hold=3.0, lower=4.0, rest=1.5, sway=[Sway(0.7, 0.4)])])),
        Sample("slr_flicks_between_reps", "3 real reps (L, R, L) with 0.3 s flicks to 30-32° between them (R, L): "
                                          "the flicks are attempts that must not count.",
               _realistic(slr, "front", 306, _front(LOOK_C), ROOM_WARM, [
                   _real("left", 36, hold=2.8, rest=1.4), _flick("right", 30), _flick("left", 32),
                   _real("right", 35, hold=2.8, rest=1.4), _real("left", 37, hold=2.8, rest=1.4)],
                   initial_rest_s=1.2, tail_s=0.8)),
        Sample("ske_min_jerk_tremor", "Seated, minimum-jerk extensions to 174-176° whose 2 s holds tremble (±1.5° at "
                                      "5 Hz; ±2° at 0.5 Hz with a ±1° 6 Hz tremor); all counted.",
               _realistic(ske, "side-facing-right", 307, _seated(LOOK_D, 1), ROOM_GREY, [
                   _real("right", 175, rise=1.2, hold=2.0, lower=1.6, rest=1.8, ankle=3.0, sway=[Sway(1.5, 5.0)]),
                   _real("right", 174, rise=1.3, hold=2.2, lower=1.8, rest=1.8, ankle=4.0,
                         sway=[Sway(2.0, 0.5), Sway(1.0, 6.0)]),
                   _real("right", 176, rise=1.1, hold=1.8, lower=1.6, rest=1.8, ankle=2.0, sway=[Sway(1.2, 4.0)])])),
        *[Sample(f"slr_chair_{name.replace('-', '_')}", f"Behind a {what}: 2 clean reps (L, R) to 35-37° whose legs "
                                                       f"pass behind the chair; both counted.",
                 _realistic(slr, "front", 310 + k, _front(look), replace(scene, chair_design=name), [  # type: ignore[arg-type]
                     _real("left", 35, sway=[Sway(1.0, 0.6)]), _real("right", 37, sway=[Sway(1.0, 0.5)])]))
          for k, (name, what, look, scene) in enumerate([
              ("slatted", "chair with a slatted back (the slats hide stripes of the thighs)", LOOK_A, ROOM),
              ("solid", "chair with a solid back (it hides the thighs)", LOOK_B, ROOM_GREY),
              ("metal", "metal-frame chair (thin tubes, a band across the top of the back)", LOOK_C, ROOM_BLUE),
              ("kitchen-angle", "kitchen chair turned 28° (a ladder back, the seat to one side)", LOOK_D,
               ROOM_WARM)])],
        # -- recorded by a browser and by phones: other containers, variable frame times, a rotation tag --
        Sample("slr_browser_vfr", "A browser's recording (WebM, VP8, live-written: no duration, no index): frames "
                                  "every 25-60 ms with 3 stalls of 150-400 ms, millisecond timestamps; 3 reps "
                                  "(L, R, L) to 35-37°; all counted.",
               _realistic(slr, "front", 320, _front(LOOK_A), ROOM_GREY, [
                   _real("left", 36, rise=1.3, hold=2.7, lower=2.0, rest=1.3, sway=[Sway(1.0, 0.6)]),
                   _real("right", 35, rise=1.3, hold=2.8, lower=2.0, rest=1.3, sway=[Sway(0.8, 0.5)]),
                   _real("left", 37, rise=1.3, hold=2.7, lower=2.0, rest=1.3)],
                   container="webm", vfr=VariableRate(25, 60, stalls=3, stall_min_ms=150, stall_max_ms=400))),
        Sample("slr_phone_portrait_rotated", "A phone held upright (MP4, H.264): landscape 640x360 frames with a "
                                             "rotation tag of -90°, shown 360x640; 2 reps (R, L) to 36-38°; both "
                                             "counted.",
               _realistic(slr, "front", 321, _front(LOOK_C, height_px=360.0, floor_y_frac=0.9), ROOM_BLUE, [
                   _real("right", 38, rise=1.3, hold=2.8, lower=2.2, rest=1.5, sway=[Sway(1.0, 0.5)]),
                   _real("left", 36, rise=1.3, hold=2.8, lower=2.2, rest=1.5, sway=[Sway(0.8, 0.7)])],
                   width=360, height=640, display_rotation_deg=270)),
        Sample("ske_phone", "A phone's QuickTime movie (MOV, H.264, 1/600 s timescale), 640x360, seated facing "
                            "image right: 3 extensions of the right leg to 174-176° held 1.8-2.2 s; all counted.",
               _realistic(ske, "side-facing-right", 322, _seated(LOOK_A, 1, height_px=390.0), ROOM_WARM, [
                   _real("right", 175, rise=1.2, hold=2.0, lower=1.6, rest=1.8, ankle=3.0, sway=[Sway(1.0, 4.0)]),
                   _real("right", 174, rise=1.3, hold=2.2, lower=1.8, rest=1.8, ankle=2.0, sway=[Sway(1.5, 0.5)]),
                   _real("right", 176, rise=1.1, hold=1.8, lower=1.6, rest=1.8, ankle=4.0)],
                   width=640, height=360, container="mov")),
    ]


REALISTIC_SAMPLES: tuple[Sample, ...] = tuple(_realistic_samples())


# -- the exercise set (samples/exercises/): the exercises and function tests of issue 9 ------------------------------
#: The exercise set's directory, inside the first set's (``samples/exercises``).
EXERCISES_SUBDIR = "exercises"
EXERCISES_SIZE_BUDGET_BYTES = 8 * 1024 * 1024
#: The set's frame size (most clips; the MPEG-4 Part 2 encoder's size grows with the pixels and the duration).
SMALL = {"width": 640, "height": 360}
#: The balance clips (long, hardly moving) are encoded at this rate, bits per pixel per frame (the default 0.02
#: gives them 15 % more bytes for nothing the eye or the model sees).
BALANCE_BITS_PER_PIXEL = 0.011


def _side_look(look: Look, facing: int, x_right: float, **kw: float) -> Look:
    """A person seen side-on at 640x360 (``height_px`` 300; at 640x480 pass 400); ``x_right`` places the body's
    anchor facing image right (mirrored facing left)."""
    return replace(look, height_px=kw.get("height_px", 300.0), floor_y_frac=kw.get("floor_y_frac", 0.95),
                   center_x_frac=x_right if facing > 0 else 1.0 - x_right)


def _front_small(look: Look) -> Look:
    """A standing person front-on at 640x360, head to toe with the chair in front."""
    return _front(look, height_px=300.0, floor_y_frac=0.92)


def _ex(exercise: str, view: str, seed: int, look: Look, scene: Scene, reps: list[Rep], **kw: object) -> MotionScript:
    """A clip of the exercise set: 640x360 unless ``width``/``height`` say otherwise, minimum jerk, clinical truth."""
    kw = {**SMALL, **kw}
    return MotionScript(exercise=exercise, view=view, seed=seed, look=look, scene=scene,  # type: ignore[arg-type]
                        reps=reps, ease="min-jerk", truth_rules="clinical", **kw)  # type: ignore[arg-type]


def _rep(side: str, peak: float, *, rise: float, hold: float, lower: float, rest: float, counted: bool = True,
         faults: Sequence[str] = (), sway: Sequence[Sway] = (), **kw: object) -> Rep:
    return Rep(side=side, peak_deg=peak, rise_s=rise, hold_s=hold, lower_s=lower, rest_s=rest,  # type: ignore[arg-type]
               expect_counted=counted, expect_faults=list(faults), sway=list(sway), **kw)  # type: ignore[arg-type]


def _stand(peak: float = 176.0, *, rise: float = 1.7, hold: float = 0.6, lower: float = 2.2, rest: float = 1.3,
           **kw: object) -> Rep:
    """One sit-to-stand (the knee angle at the top: 176 is standing straight)."""
    return _rep("both", peak, rise=rise, hold=hold, lower=lower, rest=rest, **kw)


def _chair_stands(push_from: int | None = None, count: int = 12) -> list[Rep]:
    """A 30-second chair stand done as fast as the person can, slowing a little as they tire (each stand 0.02 s
    slower to rise and to sit); the eleventh rest is longer, so that 30 s after "go" falls in the twelfth rise
    with the hips two thirds of the way up. ``push_from``: from this stand on (1-based) the arms push off."""
    reps = []
    for k in range(count):
        slow = 0.02 * k
        push = push_from is not None and k + 1 >= push_from
        reps.append(_stand(rise=round((1.45 if push else 0.95) + slow, 3), hold=0.2, lower=round(1.0 + slow, 3),
                           rest=0.5 if k == 10 else 0.3, push_off=push,
                           faults=["arms_push_off"] if push else ()))
    return reps


def _exercise_samples() -> list[Sample]:
    sts, calf, squat = "sit-to-stand", "standing-calf-raise", "mini-squat"
    march, curl, balance = "standing-march", "standing-hamstring-curl", "four-stage-balance"
    right, left = "side-facing-right", "side-facing-left"
    balance_scene = replace(ROOM_GREY, chair=False)
    return [
        # -- sit-to-stand and the two tests that count it ----------------------------------------------------
        Sample("sts_clean", "Sit-to-stand side-on (facing right), arms crossed: 4 full stands (the knee to 175-177°), "
                            "each sat back down with control; all counted.",
               _ex(sts, right, 401, _side_look(LOOK_A, 1, 0.36), ROOM, [
                   _stand(176, hold=0.7), _stand(177, rise=1.9, lower=2.4), _stand(175, hold=0.5),
                   _stand(176, rise=1.8, hold=0.8, rest=1.2)], rest_trunk_deg=2.0)),
        Sample("sts_partial_push_off", "Sit-to-stand facing left: a full stand, a rise that stops part way (the knee "
                                       "to 108°, hips off the seat: not counted, range_too_small), a stand pushed "
                                       "off the seat with both hands (counted, arms_push_off), a full stand.",
               _ex(sts, left, 402, _side_look(LOOK_B, -1, 0.36), ROOM_BLUE, [
                   _stand(176), _stand(108, rise=1.2, hold=0.4, lower=1.2, counted=False, faults=["range_too_small"]),
                   _stand(176, rise=2.0, hold=0.6, push_off=True, faults=["arms_push_off"]), _stand(175)],
                   rest_trunk_deg=2.0)),
        Sample("chair_stand_30s", "30-second chair stand (CDC STEADI), facing right: go at 1.5 s, 11 full "
                                  "stands in 30 s and the 12th two thirds of the way up at 30 s (it counts): score "
                                  "12.",
               _ex(sts, right, 403, _side_look(LOOK_C, 1, 0.36), ROOM_WARM, _chair_stands(),
                   rest_trunk_deg=2.0, test="chair-stand-30s")),
        Sample("chair_stand_30s_push_off", "30-second chair stand facing left: 6 stands with the arms "
                                           "crossed, then the 7th and 8th pushed off the seat with the hands; the "
                                           "protocol scores it 0 (the test is stopped).",
               _ex(sts, left, 404, _side_look(LOOK_D, -1, 0.36), ROOM, _chair_stands(7, 8),
                   rest_trunk_deg=2.0, test="chair-stand-30s")),
        Sample("five_times_sts", "Five-times sit-to-stand facing left: 5 fast full stands from go (1.5 s); the fifth "
                                 "is fully up 9.9 s after go.",
               _ex(sts, left, 405, _side_look(LOOK_A, -1, 0.36, height_px=400.0), ROOM_GREY, [
                   _stand(176, rise=0.9, hold=0.15, lower=0.9, rest=0.3) for _ in range(5)],
                   rest_trunk_deg=2.0, test="five-times-sit-to-stand", tail_s=1.5, width=640, height=480)),
        # -- standing calf raise (front, and from behind) -------------------------------------------------------
        Sample("calf_raise_clean", "Standing calf raise holding the chair, front view: 3 heel raises (plantarflexion "
                                   "36-40°, heels up 0.066-0.072 of the height) held 2.6-3 s, lowered slowly; all "
                                   "counted.",
               _ex(calf, "front", 411, _front_small(LOOK_C), ROOM, [
                   _rep("both", 38, rise=1.2, hold=2.8, lower=2.2, rest=1.6, sway=[Sway(1.0, 0.6)]),
                   _rep("both", 36, rise=1.3, hold=3.0, lower=2.4, rest=1.6, sway=[Sway(1.2, 0.5), Sway(0.4, 6.0)]),
                   _rep("both", 40, rise=1.2, hold=2.6, lower=2.2, rest=1.6)])),
        Sample("calf_raise_from_behind", "Standing calf raise filmed from behind (the chair beyond the person): a "
                                         "clean raise, one held only 0.7 s (not counted, hold_too_short), one up "
                                         "only 11° (heels 0.02 of the height: not counted, range_too_small).",
               _ex(calf, "front", 412, _front_small(LOOK_D), ROOM_WARM, [
                   _rep("both", 38, rise=1.2, hold=2.8, lower=2.2, rest=1.6, sway=[Sway(1.0, 0.5)]),
                   _rep("both", 37, rise=1.0, hold=0.7, lower=1.6, rest=1.6, counted=False,
                        faults=["hold_too_short"]),
                   _rep("both", 11, rise=1.2, hold=2.6, lower=1.8, rest=1.6, counted=False,
                        faults=["range_too_small"])], from_behind=True)),
        # -- mini squat (side) --------------------------------------------------------------------------------------
        Sample("mini_squat_clean", "Mini squat holding a chair's back, facing right: 3 squats to 55-62° of knee "
                                   "flexion (hips 0.06-0.07 of the height lower, back and trunk 22-25° forward, "
                                   "knees behind the toes) held 2.6-3 s; all counted.",
               _ex(squat, right, 421, _side_look(LOOK_B, 1, 0.34), ROOM, [
                   _rep("both", 60, rise=1.6, hold=2.8, lower=2.0, rest=1.6, sway=[Sway(1.5, 0.5)]),
                   _rep("both", 55, rise=1.5, hold=3.0, lower=2.0, rest=1.6, sway=[Sway(1.0, 0.7)]),
                   _rep("both", 62, rise=1.7, hold=2.6, lower=2.2, rest=1.6)])),
        Sample("mini_squat_faults", "Mini squat facing left: the trunk 55° forward (counted, trunk_lean), the knees "
                                    "far past the toes (shanks 38° forward: counted, knees_past_toes), then a clean "
                                    "squat.",
               _ex(squat, left, 422, _side_look(LOOK_C, -1, 0.34), ROOM_BLUE, [
                   _rep("both", 58, rise=1.6, hold=2.8, lower=2.0, rest=1.6, trunk_lean_deg=55.0,
                        faults=["trunk_lean"]),
                   _rep("both", 62, rise=1.6, hold=2.8, lower=2.0, rest=1.6, shank_tilt_deg=38.0, trunk_lean_deg=8.0,
                        faults=["knees_past_toes"]),
                   _rep("both", 58, rise=1.6, hold=2.8, lower=2.0, rest=1.6, sway=[Sway(1.0, 0.6)])])),
        # -- standing march (front) ---------------------------------------------------------------------------------
        Sample("march_clean", "Standing march holding the chair, front view: 4 knee lifts L, R, L, R (hip flexion "
                              "70-80°, the knee bent 90°) held 1.8-2 s; all counted.",
               _ex(march, "front", 431, _front_small(LOOK_A), ROOM_GREY, [
                   _rep("left", 75, rise=1.0, hold=1.8, lower=1.3, rest=1.4, knee_bend_deg=90.0,
                        sway=[Sway(2.0, 0.7)]),
                   _rep("right", 72, rise=1.0, hold=2.0, lower=1.3, rest=1.4, knee_bend_deg=88.0),
                   _rep("left", 80, rise=1.1, hold=1.8, lower=1.4, rest=1.4, knee_bend_deg=92.0,
                        sway=[Sway(1.5, 0.5)]),
                   _rep("right", 70, rise=1.0, hold=1.9, lower=1.3, rest=1.4, knee_bend_deg=90.0)])),
        Sample("march_faults", "Standing march, front view: a lift leaning the trunk 18° toward the standing leg "
                               "(counted, trunk_lean), a lift to only 30° (not counted, range_too_small), then a "
                               "clean lift.",
               _ex(march, "front", 432, _front(LOOK_B), ROOM_WARM, [
                   _rep("left", 74, rise=1.0, hold=1.9, lower=1.3, rest=1.5, knee_bend_deg=90.0, trunk_lean_deg=18.0,
                        faults=["trunk_lean"]),
                   _rep("right", 30, rise=0.9, hold=1.9, lower=1.1, rest=1.5, knee_bend_deg=60.0, counted=False,
                        faults=["range_too_small"]),
                   _rep("left", 76, rise=1.0, hold=1.9, lower=1.3, rest=1.5, knee_bend_deg=90.0)],
                   width=640, height=480)),
        # -- standing hamstring curl (side, the near leg) -----------------------------------------------------------
        Sample("hamstring_curl_clean", "Standing hamstring curl holding a chair, facing right (the near leg: right): "
                                       "3 curls to 88-95° of knee flexion with the thigh vertical, held 2.6-3 s, "
                                       "lowered slowly; all counted.",
               _ex(curl, right, 441, _side_look(LOOK_D, 1, 0.34), ROOM_GREY, [
                   _rep("right", 90, rise=1.4, hold=2.8, lower=2.2, rest=1.6, sway=[Sway(2.0, 0.5)]),
                   _rep("right", 95, rise=1.5, hold=3.0, lower=2.4, rest=1.6, hip_flex_deg=4.0),
                   _rep("right", 88, rise=1.4, hold=2.6, lower=2.2, rest=1.6, sway=[Sway(1.0, 0.8)])])),
        Sample("hamstring_curl_faults", "Standing hamstring curl facing left (the near leg: left): the thigh swinging "
                                        "30° forward (counted, thigh_forward), a curl to only 45° (not counted, "
                                        "range_too_small), then a clean curl.",
               _ex(curl, left, 442, _side_look(LOOK_A, -1, 0.34), ROOM, [
                   _rep("left", 92, rise=1.4, hold=2.8, lower=2.2, rest=1.6, hip_flex_deg=30.0,
                        faults=["thigh_forward"]),
                   _rep("left", 45, rise=1.2, hold=2.8, lower=1.8, rest=1.6, counted=False,
                        faults=["range_too_small"]),
                   _rep("left", 90, rise=1.4, hold=2.8, lower=2.2, rest=1.6, hip_flex_deg=3.0)])),
        # -- the 4-stage balance test (side) -------------------------------------------------------------------------
        Sample("balance_all_stances", "4-stage balance test (CDC STEADI) facing right: feet side by side, "
                                      "semi-tandem, tandem and one leg, each kept 10.5 s (held 10 s): no increased "
                                      "fall risk.",
               _ex(balance, right, 451, _side_look(LOOK_B, 1, 0.44), balance_scene, [],
                   stances=[Stance("side_by_side", hold_s=10.5, sway_px=1.0, move_s=0.9),
                            Stance("semi_tandem", hold_s=10.5, sway_px=1.5, move_s=1.0),
                            Stance("tandem", hold_s=10.5, sway_px=2.5, move_s=1.0),
                            Stance("one_leg", hold_s=10.5, sway_px=3.0, move_s=1.3)],
                   test="four-stage-balance", initial_rest_s=1.2, tail_s=0.5)),
        Sample("balance_tandem_lost", "4-stage balance test facing left: side by side and semi-tandem held "
                                      "10 s, tandem lost after 6 s (the back foot steps out): the test ends, "
                                      "increased fall risk.",
               _ex(balance, left, 452, _side_look(LOOK_C, -1, 0.44), balance_scene, [],
                   stances=[Stance("side_by_side", sway_px=1.0, move_s=0.9), Stance("semi_tandem", sway_px=1.8),
                            Stance("tandem", hold_s=6.0, sway_px=3.0)],
                   test="four-stage-balance", tail_s=2.0)),
    ]


EXERCISE_SAMPLES: tuple[Sample, ...] = tuple(_exercise_samples())
#: Samples encoded at another rate than the default (bits per pixel per frame), by name.
BITS_PER_PIXEL: dict[str, float] = {s.name: BALANCE_BITS_PER_PIXEL for s in EXERCISE_SAMPLES
                                    if s.script.exercise == "four-stage-balance"}
#: Every sample, by set: ``(samples, subdirectory of samples/)``.
SAMPLE_SETS: dict[str, tuple[tuple[Sample, ...], str]] = {"first": (SAMPLES, ""),
                                                         "realistic": (REALISTIC_SAMPLES, REALISTIC_SUBDIR),
                                                         "exercises": (EXERCISE_SAMPLES, EXERCISES_SUBDIR)}


def sample_by_name(name: str) -> Sample:
    every = SAMPLES + REALISTIC_SAMPLES + EXERCISE_SAMPLES
    for s in every:
        if s.name == name:
            return s
    raise KeyError(f"no sample {name!r}; known: {', '.join(s.name for s in every)}")


def sample_set_of(sample: Sample) -> str:
    """The name of the set ``sample`` belongs to (a key of :data:`SAMPLE_SETS`)."""
    if sample in EXERCISE_SAMPLES:
        return "exercises"
    return "realistic" if sample in REALISTIC_SAMPLES else "first"


def sample_video_name(sample: Sample) -> str:
    """The clip's file name: ``NAME.mp4``, or ``NAME.mov`` / ``NAME.webm`` as its script's container says."""
    return f"{sample.name}{sample.script.video_suffix}"


def sample_truth_text(sample: Sample) -> str:
    """The exact text of ``NAME.truth.json``."""
    return truth_json(build_truth(sample.script, sample_video_name(sample)))


def write_sample(sample: Sample, out_dir: Path,
                 progress: Callable[[int, int], None] | None = None) -> tuple[WrittenClip, Path]:
    """Check, render and write one sample's clip and truth."""
    problems = check_script(sample.script)
    if problems:
        raise ScriptError(f"sample {sample.name}: " + "; ".join(problems))
    out_dir = Path(out_dir)
    bpp = BITS_PER_PIXEL.get(sample.name)
    clip = write_clip(sample.script, out_dir / sample_video_name(sample), fourccs=SAMPLE_FOURCCS, progress=progress,
                      bitrate_bps=default_bitrate_bps(sample.script, bpp) if bpp is not None else None)
    if clip.frames != sample.script.frame_count:
        raise ScriptError(f"sample {sample.name}: wrote {clip.frames} frames, expected {sample.script.frame_count}")
    truth_path = out_dir / f"{sample.name}.truth.json"
    with atomic_open(truth_path, "w", encoding="utf-8", newline="\n") as fh:
        fh.write(sample_truth_text(sample))
    return clip, truth_path


def _reps_summary(script: MotionScript) -> str:
    if not script.person_present:
        return "nobody"
    if script.stances:
        return f"{len(script.stances)} stances"
    if not script.reps:
        return "no reps"
    if script.whole_body:
        return f"{len(script.reps)} ({sum(r.expect_counted for r in script.reps)} counted)"
    left = sum(r.expect_counted for r in script.reps if r.side == "left")
    right = sum(r.expect_counted for r in script.reps if r.side == "right")
    return f"{len(script.reps)} ({left}L+{right}R counted)"


def _size_at_rate(script: MotionScript) -> str:
    """The table's "size @ fps": the displayed size, and what a phone's or a browser's file adds."""
    text = f"{script.width}x{script.height} @ {script.fps:g}"
    if script.vfr is not None:
        text = (f"{script.width}x{script.height} @ {script.frame_count / script.frames_end_s:.1f} mean "
                f"(VFR, {script.vfr.min_interval_ms}-{script.vfr.max_interval_ms} ms)")
    if script.display_rotation_deg:
        text += f", stored {script.height}x{script.width} + rotation tag" if script.display_rotation_deg % 180 else \
            ", stored upside down + rotation tag"
    if script.container != "mp4":
        text += f", .{script.container}"
    return text


def _table(samples: Sequence[Sample], out_dir: Path) -> list[str]:
    """The clips' table rows and the total line (sizes read from ``out_dir``)."""
    lines = ["| clip | exercise | view | size @ fps | duration | reps | what it shows | file |",
             "| --- | --- | --- | --- | --- | --- | --- | --- |"]
    total = 0
    for s in samples:
        sc = s.script
        video = Path(out_dir) / sample_video_name(s)
        size = video.stat().st_size if video.exists() else 0
        total += size + len(sample_truth_text(s).encode())
        what = sc.exercise if sc.test in (None, sc.exercise) else f"{sc.exercise} ({sc.test})"
        view = sc.view + (" (from behind)" if sc.from_behind else "")
        lines.append(f"| `{s.name}` | {what} | {view} | {_size_at_rate(sc)} | "
                     f"{sc.frames_end_s:.1f} s | {_reps_summary(sc)} | {s.description} | "
                     f"{size / 1024:.0f} KiB |")
    lines += ["", f"Total: {total / 1024 / 1024:.2f} MiB.", ""]
    return lines


def readme_text(out_dir: Path) -> str:
    """``samples/README.md``: the table of clips (sizes read from ``out_dir``) and how to regenerate."""
    lines = [
        "# Synthetic sample clips",
        "",
        "Rendered by `posecount.synth` (an articulated 2D mannequin, OpenCV) from motion scripts with exact "
        "ground truth. Every `NAME.mp4` has a `NAME.truth.json` beside it: the source's fps/frames/size, the "
        "counts per side, every rep's `start_s`/`peak_s`/`end_s`/`hold_s`/`peak_angle_deg`/`counted`/`faults`, "
        "and the full motion script. Frame *i* shows the instant *i* / fps; times are seconds from the first "
        "frame.",
        "",
        "Regenerate everything byte for byte (clips, truths and this file):",
        "",
        "```",
        "python -m posecount.synth samples            # all",
        "python -m posecount.synth samples --only ske_trunk_lean",
        "python -m posecount.synth samples --verify   # regenerate in a temp dir and compare hashes",
        "```",
        "",
        "Codec: MPEG-4 Part 2 ('mp4v') in .mp4; the pinned OpenCV wheel has no software H.264 encoder.",
        "",
        "Angles: side-leg-raise = hip→ankle line from vertical in the image (abduction); seated = interior "
        "hip–knee–ankle angle (180 = straight). The working leg of a seated clip is always the leg nearer "
        "the camera (facing image right: the person's right). `counted`/`faults` are the script's intent, "
        "checked against the exercise's clinical definition with margins (`posecount/synth/clinical.py`): "
        "reached the target, held it for the prescribed time, the form lines physiotherapists use; never the "
        "engine's own thresholds.",
        "",
        f"`{REALISTIC_SUBDIR}/` holds {len(REALISTIC_SAMPLES)} more clips that move the way people with weak legs "
        "do (minimum-jerk lifts, sway and tremor in the hold, sagging holds, a wide stance, a weak leg, slow reps, "
        "quick flicks, chairs of several designs in front of the legs; three recorded as browsers and phones record: "
        "a WebM with variable frame times, a rotated portrait MP4, a MOV), whose truth comes from the exercise's "
        f"clinical definition instead: see `{REALISTIC_SUBDIR}/README.md`.",
        "",
    ]
    return "\n".join(lines + _table(SAMPLES, out_dir))


def realistic_readme_text(out_dir: Path) -> str:
    """``samples/realistic/README.md``: the realistic set's table (sizes read from ``out_dir``)."""
    lines = [
        "# Realistic synthetic clips",
        "",
        "Rendered by `posecount.synth` like the clips one directory up (same truth format), but moving the way "
        "people with weak legs move rather than the way the engine expects: minimum-jerk lifts and lowerings "
        "(Flash & Hogan, 10τ³−15τ⁴+6τ⁵), sway and tremor during the hold (sinusoids of 0.3-8 Hz on the "
        "driving angle), holds that sag, a shoulder-width stance, one weak leg, slow controlled reps, quick "
        "flicks between reps, and chairs of several designs in front of the legs (slatted, solid and metal "
        "backs, a kitchen chair turned to one side) that hide parts of them; and three recorded the way browsers "
        "and phones record: a WebM with variable frame times, a portrait MP4 stored landscape with a rotation tag, "
        "a QuickTime MOV.",
        "",
        "**Truth from the clinic, not from the engine.** `counted`/`faults` follow the exercise's clinical "
        "definition (`posecount/synth/clinical.py`): a rep counts when the drawn working leg reached the target "
        "(side leg raise: 20° of abduction; seated knee extension: 145° at the knee) and stayed at or above it, "
        "not being lowered, for the prescribed hold (2 s; 1 s); sway, tremor and sag above the target are "
        "holding. A side leg raise lowered in under 1 s is `lowered_too_fast`; a flick (up and down in 0.3 s) "
        "is an attempt with `hold_too_short` and `lowered_too_fast`, never counted. Every script keeps a margin "
        "from those lines (a top 6° past the target under both readings of it, absolute and as a lift from the "
        "stance; a hold 0.6 s longer or shorter than prescribed; a hold that never sinks within 3° of the "
        "target), so a correct analysis is unambiguous. `peak_angle_deg` is the drawn maximum (the top plus "
        "any sway), `hold_s` the plateau from the top to the start of the lowering.",
        "",
        "Regenerate (with the rest): `python -m posecount.synth samples [--set realistic] [--verify]`.",
        "Codec: MPEG-4 Part 2 ('mp4v'), 640x480 at 30 fps; except the browser's and the phones' clips (the last "
        "three, written with PyAV: `posecount/synth/video.py`): VP8 in a live-written WebM whose frames come "
        "every 25-60 ms with a few stalls (its truth's `source.fps` is the nominal 30, `frames` the frames it "
        "has, `duration_s` the end of its last frame), and H.264 in a rotated .mp4 and a .mov.",
        "",
    ]
    return "\n".join(lines + _table(REALISTIC_SAMPLES, out_dir))


def exercises_readme_text(out_dir: Path) -> str:
    """``samples/exercises/README.md``: the exercise set's table (sizes read from ``out_dir``) and its truth."""
    lines = [
        "# Synthetic clips of the other exercises and the function tests",
        "",
        "Rendered by `posecount.synth` like the clips one directory up (minimum-jerk movement, sway and tremor in "
        "the holds), for the exercises and tests of issue 9: sit-to-stand, standing calf raise (front, and from "
        "behind), mini squat, standing march, standing hamstring curl, the 30-second chair stand, the five-times "
        "sit-to-stand and the 4-stage balance test. `landmarks/NAME.npz` is MediaPipe's recording of each clip "
        "(compact), for replaying without the model.",
        "",
        "Regenerate: `python -m posecount.synth samples --set exercises [--verify]`. Codec: MPEG-4 Part 2 ('mp4v') "
        "at 30 fps, 640x360 (two short clips 640x480); the two balance clips at a lower rate (they hardly move).",
        "",
        "## Truth",
        "",
        "Each `NAME.truth.json` has the format of the clips one directory up (`samples/README.md`). Whole-body "
        "exercises (sit-to-stand, calf raise, mini squat) have reps with `\"side\": \"both\"` and counts "
        "`{left: 0, right: 0, both, total}`; the march counts per leg; the hamstring curl counts the leg nearer "
        "the camera. `counted`/`faults` follow each exercise's clinical definition (`posecount/synth/programme.py`, "
        "every line with its source), never the analysis' thresholds, with the margins of the realistic set:",
        "",
        "| exercise | `peak_angle_deg` is | counted when | faults drawn |",
        "| --- | --- | --- | --- |",
        "| sit-to-stand | the knee angle (180 = straight) | the knee reaches 165° (standing) | `range_too_small` "
        "(a rise that stops part way), `arms_push_off` (the hands leave the chest to push on the seat) |",
        "| standing-calf-raise | plantarflexion: the foot tilted up about its ball | 20°, held 2 s | "
        "`range_too_small`, `hold_too_short` |",
        "| mini-squat | knee flexion | 30°, held 2 s | `trunk_lean` (> 45° forward), `knees_past_toes` (the knee "
        "ahead of the toe tip: shank > 28.7° forward) |",
        "| standing-march | hip flexion (the thigh forward of vertical) | 45°, held 1 s | `trunk_lean` (> 10° "
        "sideways), `range_too_small` |",
        "| standing-hamstring-curl | knee flexion of the near leg | 70°, held 2 s | `thigh_forward` (> 20° forward "
        "of vertical), `range_too_small` |",
        "",
        "A sit-to-stand's and a mini squat's rep also gives `hip_height_ratio`: the drawn hips' height over the "
        "lower ankle, over the leg's drawn length, at the rep's top (a seated person with the knees at 90° is about "
        "0.51, standing straight 1.01; a mini squat to 55-62° about 0.86-0.88).",
        "",
        "**Function tests** add a `test` object. For the sit-to-stand tests \"go\" (`start_s`) is the first rep's "
        "`start_s`, when the trunk starts to lean forward (the first visible movement); `hips_leave_seat_s` is when "
        "the hips leave the seat in that first rise (0.3 s later in these clips). A stand's time is its top "
        "(`peak_s`: the rise has ended, fully standing). For the balance test `start_s` is when the first stance is "
        "taken.",
        "",
        "- `chair-stand-30s` (CDC STEADI): `end_s` = go + 30; `score` = the full stands whose top is within 30 s "
        "of go (`stands_s`), plus one when a stand is on its way up at `end_s` with the drawn hips more than halfway "
        "from the seat to standing (`halfway_at_end`, `hip_fraction_at_end`: 0 seated .. 1 standing); 0 with "
        "`voided_by: \"arms_push_off\"` when the arms push off before the end.",
        "- `five-times-sit-to-stand`: `time_s` = the top of the fifth full stand minus go; `completed`, "
        "`stands_s`, `voided_by`.",
        "- `four-stage-balance` (CDC STEADI): `stances`, each `{name, start_s, end_s, held_s, held}`: a stance is "
        "taken when the moving foot is down (on one leg: when the lifted foot is up), and left when a foot steps "
        "out or moves to the next stance; `held_s` is that time up to 10 s. The semi-tandem puts the front foot "
        "0.6 of a foot ahead (its instep beside the big toe), the tandem a whole foot ahead (heel to toe). "
        "`ended_by`: the first stance not held 10 s (null: all held); `fall_risk`: the tandem stance not held "
        "10 s.",
        "",
    ]
    return "\n".join(lines + _table(EXERCISE_SAMPLES, out_dir))


def write_readme(out_dir: Path, sample_set: str = "first") -> Path:
    """Write the README of ``sample_set`` into ``out_dir`` (that set's own directory)."""
    path = Path(out_dir) / "README.md"
    text = {"realistic": realistic_readme_text, "exercises": exercises_readme_text}.get(sample_set, readme_text)(
        out_dir)
    with atomic_open(path, "w", encoding="utf-8", newline="\n") as fh:
        fh.write(text)
    return path


def file_sha256(path: Path) -> str:
    return hashlib.sha256(Path(path).read_bytes()).hexdigest()
