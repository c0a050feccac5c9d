"""The ground truth of a clip (``NAME.truth.json`` beside ``NAME.mp4``), exact from its script.

Fields (``schema_version`` 1)::

    exercise, video, view, person_present
    source: {fps, frames, duration_s, width, height}   duration_s = frames / fps (a variable-rate script:
                                                        fps is nominal, duration_s the end of its last frame)
    counts: {left, right, total}                        counted reps only (the script's intent)
    reps:   [{index, side, start_s, peak_s, end_s, hold_s, peak_angle_deg, counted, faults}]
    script: the full motion script

Times are seconds from the first frame (frame i shows i / fps): ``start_s`` the leg starts moving,
``peak_s`` the peak is first reached (the hold begins), ``end_s`` the leg is back at rest, ``hold_s`` the
plateau's length. ``counted`` / ``faults`` are the script author's intent, which
:func:`posecount.synth.rules.check_script` has checked against the engine's rules, or, for a script with
``truth_rules="clinical"``, against the exercise's clinical definition (:mod:`posecount.synth.clinical`).
For those scripts ``peak_angle_deg`` is the drawn maximum (the scripted top plus any sway during the hold,
sampled every millisecond), and ``hold_s`` is 0 for a flick.

The exercises of issue 9 (:mod:`posecount.synth.programme`) keep this format: a whole-body exercise's reps say
``"side": "both"`` and its counts are ``{left: 0, right: 0, both, total}``; ``peak_angle_deg`` is the drawn
maximum of the exercise's driving angle (:mod:`posecount.synth.moves`); a sit-to-stand's and a mini squat's rep
adds ``hip_height_ratio`` at its top; a function test adds a ``test`` object (see ``samples/exercises/README.md``).
"""

from __future__ import annotations

import json
from typing import Any

from posecount.synth.clinical import measure_rep
from posecount.synth.motion import rep_timings
from posecount.synth.script import PROGRAMME_EXERCISES, MotionScript

TRUTH_SCHEMA_VERSION = 1


def _t(x: float) -> float:
    return round(x, 6)


def build_truth(script: MotionScript, video_name: str) -> dict[str, Any]:
    if script.exercise in PROGRAMME_EXERCISES:
        from posecount.synth.programme import build_programme_truth

        return build_programme_truth(script, video_name)
    frames = script.frame_count
    reps = []
    counts = {"left": 0, "right": 0}
    for tm in rep_timings(script):
        rep = tm.rep
        peak = measure_rep(script, rep).peak_deg if script.truth_rules == "clinical" else rep.peak_deg
        reps.append({
            "index": tm.index, "side": rep.side, "start_s": _t(tm.start_s), "peak_s": _t(tm.peak_s),
            "end_s": _t(tm.end_s), "hold_s": _t(tm.hold_s), "peak_angle_deg": round(peak, 3),
            "counted": rep.expect_counted, "faults": list(rep.expect_faults),
        })
        if rep.expect_counted:
            counts[rep.side] += 1
    return {
        "schema_version": TRUTH_SCHEMA_VERSION,
        "exercise": script.exercise,
        "video": video_name,
        "source": {"fps": float(script.fps), "frames": frames, "duration_s": _t(script.frames_end_s),
                   "width": script.width, "height": script.height},
        "view": script.view,
        "person_present": script.person_present,
        "counts": {"left": counts["left"], "right": counts["right"], "total": counts["left"] + counts["right"]},
        "reps": reps,
        "script": script.to_dict(),
    }


def truth_json(truth: dict[str, Any]) -> str:
    """The file's exact text (stable key order, two-space indent, trailing newline)."""
    return json.dumps(truth, indent=2, ensure_ascii=False) + "\n"
