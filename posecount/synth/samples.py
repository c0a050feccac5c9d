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
from posecount.synth.script import Look, MotionScript, Rep, Scene, ScriptError, Sway, VariableRate
from posecount.synth.truth import build_truth, truth_json
from posecount.synth.video import WrittenClip, write_clip

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
#: Every sample, by set: ``(samples, subdirectory of samples/)``.
SAMPLE_SETS: dict[str, tuple[tuple[Sample, ...], str]] = {"first": (SAMPLES, ""),
                                                         "realistic": (REALISTIC_SAMPLES, REALISTIC_SUBDIR)}


def sample_by_name(name: str) -> Sample:
    for s in SAMPLES + REALISTIC_SAMPLES:
        if s.name == name:
            return s
    raise KeyError(f"no sample {name!r}; known: {', '.join(s.name for s in SAMPLES + REALISTIC_SAMPLES)}")


def sample_set_of(sample: Sample) -> str:
    """The name of the set ``sample`` belongs to (a key of :data:`SAMPLE_SETS`)."""
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
    clip = write_clip(sample.script, out_dir / sample_video_name(sample), fourccs=SAMPLE_FOURCCS, progress=progress)
    if clip.frames != sample.script.frame_count:
        raise ScriptError(f"sample {sample.name}: wrote {clip.frames} frames, expected {sample.script.frame_count}")
    truth_path = out_dir / f"{sample.name}.truth.json"
    with atomic_open(truth_path, "w", encoding="utf-8", newline="\n") as fh:
        fh.write(sample_truth_text(sample))
    return clip, truth_path


def _reps_summary(script: MotionScript) -> str:
    if not script.person_present:
        return "nobody"
    if not script.reps:
        return "no reps"
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
        lines.append(f"| `{s.name}` | {sc.exercise} | {sc.view} | {_size_at_rate(sc)} | "
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


def write_readme(out_dir: Path, sample_set: str = "first") -> Path:
    """Write the README of ``sample_set`` into ``out_dir`` (that set's own directory)."""
    path = Path(out_dir) / "README.md"
    text = realistic_readme_text(out_dir) if sample_set == "realistic" else readme_text(out_dir)
    with atomic_open(path, "w", encoding="utf-8", newline="\n") as fh:
        fh.write(text)
    return path


def file_sha256(path: Path) -> str:
    return hashlib.sha256(Path(path).read_bytes()).hexdigest()
