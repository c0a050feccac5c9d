"""Held-out check: random clips the engine has never seen, scored against their truth.

The committed samples are few and were looked at while tuning. This renders fresh clips from random
motion scripts (other looks, body sizes and positions, resolutions, frame rates, noise, timings, faults;
every value kept inside the truth rules' margins) and runs ``posecount evaluate`` on them.

    python benchmarks/holdout.py --clips 12 --seed 7 [--keep DIR]

Prints the scorecard and exits non-zero if any clip is off. Not a test: it takes minutes.
"""

from __future__ import annotations

import argparse
import random
import sys
import tempfile
from pathlib import Path

from rich.console import Console

from posecount.evaluate import evaluate_directory, render_scorecard
from posecount.models import ensure_model
from posecount.pose import PoseOptions
from posecount.synth.rules import check_script
from posecount.synth.script import Look, MotionScript, Rep, Scene
from posecount.synth.truth import build_truth, truth_json
from posecount.synth.video import write_clip

RESOLUTIONS = [(640, 480), (800, 600), (960, 540), (1280, 720), (480, 640), (720, 1280)]
FPS = [24.0, 25.0, 30.0, 50.0, 60.0]


SKIN = ["#f1c27d", "#e0ac69", "#c68642", "#8d5524", "#ffdbac", "#a8754f", "#6b4226", "#d9a066"]
HAIR = ["#090806", "#2c222b", "#71635a", "#b7a69e", "#d6c4c2", "#a56b46", "#8d4a43", "#e6cea8"]


def _colour(rng: random.Random) -> str:
    return "#" + "".join(f"{rng.randint(20, 235):02x}" for _ in range(3))


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


def random_script(rng: random.Random, exercise: str, seed: int) -> MotionScript:
    width, height = rng.choice(RESOLUTIONS)
    look = Look(skin=rng.choice(SKIN), hair=rng.choice(HAIR), shirt=_colour(rng), trousers=_colour(rng),
                shoes=_colour(rng))
    scene = Scene(background=rng.choice(["plain", "gradient", "room"]), wall=_colour(rng), floor=_colour(rng),
                  chair=rng.random() < 0.7 or exercise != "side-leg-raise", noise_sigma=rng.uniform(0.0, 4.0))
    if exercise == "side-leg-raise":
        # head to toe in the frame, and a leg lifted to 45 deg still inside its width
        look.height_px = min(rng.uniform(0.65, 0.85) * height, 0.95 * width)
        look.center_x_frac, look.floor_y_frac = rng.uniform(0.4, 0.6), rng.uniform(0.88, 0.96)
        sides = ["left", "right"] * 3
        reps = [_slr_rep(rng, s) for s in sides[: rng.randint(2, 5)]]
        view = "front"
    else:
        view = rng.choice(["side-facing-left", "side-facing-right"])
        facing = 1 if view.endswith("right") else -1
        near = "right" if facing > 0 else "left"
        # as tall as the frame, but the straightened leg (about half the stature) must fit in its width
        look.height_px = min(rng.uniform(0.95, 1.1) * height, 1.0 * width)
        look.center_x_frac = (0.33 if facing > 0 else 0.67) + rng.uniform(-0.04, 0.04)
        look.floor_y_frac = rng.uniform(0.93, 0.97)
        reps = [_ske_rep(rng, near) for _ in range(rng.randint(2, 4))]
    return MotionScript(exercise=exercise, view=view, width=width, height=height, fps=rng.choice(FPS),  # type: ignore[arg-type]
                        seed=seed, look=look, scene=scene, reps=reps, sway_px=rng.uniform(0.5, 3.0))


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--clips", type=int, default=12)
    ap.add_argument("--seed", type=int, default=7)
    ap.add_argument("--keep", type=Path, help="keep the clips and results here")
    args = ap.parse_args()
    rng = random.Random(args.seed)
    console = Console()
    with tempfile.TemporaryDirectory(prefix="posecount-holdout-") as tmp:
        clips = Path(args.keep) if args.keep else Path(tmp)
        clips.mkdir(parents=True, exist_ok=True)
        made = 0
        while made < args.clips:
            exercise = "side-leg-raise" if made % 2 == 0 else "seated-knee-extension"
            script = random_script(rng, exercise, seed=args.seed * 1000 + made)
            problems = check_script(script)
            if problems:
                continue
            name = f"holdout_{made:02d}_{exercise}"
            write_clip(script, clips / f"{name}.mp4")
            (clips / f"{name}.truth.json").write_text(truth_json(build_truth(script, f"{name}.mp4")))
            console.print(f"{name}: {script.width}x{script.height} @ {script.fps:g} fps, {len(script.reps)} reps, "
                          f"{script.view}, noise {script.scene.noise_sigma:.1f}")
            made += 1
        options = PoseOptions(model_path=ensure_model("full", progress=False))
        results = evaluate_directory(clips, options, clips / "results" if args.keep else None)
        render_scorecard(results, console)
        return 0 if all(r.ok for r in results) else 1


if __name__ == "__main__":
    sys.exit(main())
