"""Synthetic exercise clips with exact ground truth.

A :class:`MotionScript` describes a clip (exercise, view, look, reps); the renderer draws an articulated
2D mannequin with OpenCV, and the truth (``NAME.truth.json``) comes straight from the script.

Pure functions for comparing a pose estimator without decoding video:

* :func:`joints_at` ``(script, t_s) -> {name: (x_px, y_px)}`` (MediaPipe landmark names, the person's own
  left/right);
* :func:`angles_at` ``(script, t_s) -> {name: degrees}``;
* :func:`check_script` lists every disagreement between the script's intent and the engine's rules, or, for
  a script with ``truth_rules="clinical"`` (realistic motion: minimum jerk, sway, tremor, sag, flicks, chairs
  of several designs), the exercise's clinical definition (:func:`clinical_verdict`).

The other exercises of the home programme and the function tests (issue 9: sit-to-stand, standing calf raise,
mini squat, standing march, standing hamstring curl; the 30-second chair stand, the five-times sit-to-stand, the
4-stage balance test) are drawn by :mod:`~posecount.synth.moves` (time → angles) and
:mod:`~posecount.synth.poses` (angles → joints), and judged by :mod:`~posecount.synth.programme`.

Regenerate the committed samples: ``python -m posecount.synth samples`` (``--set exercises``: samples/exercises).
"""

from posecount.synth.body import PROPORTIONS, Proportions, joints_at, skeleton_at
from posecount.synth.clinical import ClinicalVerdict, clinical_verdict
from posecount.synth.draw import FrameRenderer, render_frame
from posecount.synth.motion import RepTiming, angles_at, rep_timings
from posecount.synth.rules import RULES, TruthRules, Verdict, check_script, expected_verdict
from posecount.synth.script import Look, MotionScript, Rep, Scene, ScriptError, Stance, Sway, VariableRate
from posecount.synth.truth import TRUTH_SCHEMA_VERSION, build_truth, truth_json
from posecount.synth.video import WrittenClip, write_clip

__all__ = [
    "PROPORTIONS",
    "RULES",
    "TRUTH_SCHEMA_VERSION",
    "ClinicalVerdict",
    "FrameRenderer",
    "Look",
    "MotionScript",
    "Proportions",
    "Rep",
    "RepTiming",
    "Scene",
    "ScriptError",
    "Stance",
    "Sway",
    "TruthRules",
    "VariableRate",
    "Verdict",
    "WrittenClip",
    "angles_at",
    "build_truth",
    "check_script",
    "clinical_verdict",
    "expected_verdict",
    "joints_at",
    "render_frame",
    "rep_timings",
    "skeleton_at",
    "truth_json",
    "write_clip",
]
