"""Record the current model's landmarks of every shipped sample into samples/landmarks/NAME.npz,
samples/realistic/landmarks/NAME.npz and samples/exercises/landmarks/NAME.npz (compact).

    python scripts/record_sample_landmarks.py [--check | --motion-only] [--set first|realistic|exercises]

Run it after regenerating the samples or on purpose after a model or mediapipe change, and commit the
result; tests/test_samples_model.py checks that the model in use still reproduces these files, and the
tests that need no model replay them. ``--check`` only reports how far the current model is from them.

The files keep the landmarks in 1/10 px steps. The motion readings in them (the legs', thighs' and knees',
:mod:`posecount.motion`) are read again from each clip with those stored landmarks, so that a test that
replays a reader over a clip and its committed recording gets exactly the committed readings (from the
unrounded landmarks a reader can differ on a frame at the edge of its thresholds). ``--motion-only`` reads
only them again, into the committed files, without the model: after a motion reader changed.
"""

from __future__ import annotations

import argparse
import dataclasses
import json
import os
import sys
import tempfile
from pathlib import Path

import numpy as np

from posecount.models import ensure_model
from posecount.motion import KneeMotion, LegMotion, read_motion
from posecount.pose import PoseOptions
from posecount.posecache import PoseCache
from posecount.recording import PoseTrack
from posecount.sources import VideoFileSource

ROOT = Path(__file__).resolve().parents[1]
SAMPLES = ROOT / "samples"


#: The sample sets' folders, by the set's name (``python -m posecount.synth samples --set``).
FOLDERS = {"first": SAMPLES, "realistic": SAMPLES / "realistic", "exercises": SAMPLES / "exercises"}


def _clips(sets: list[str] | None = None) -> list[Path]:
    """Every sample clip, whatever its container: the video each NAME.truth.json names (NAME.mp4 by default)."""
    clips = []
    for folder in (FOLDERS[name] for name in (sets or FOLDERS)):
        for truth in sorted(folder.glob("*.truth.json")):
            name = truth.name.removesuffix(".truth.json")
            clips.append(folder / json.loads(truth.read_text()).get("video", f"{name}.mp4"))
    return clips


def _with_motion_read_again(clip: Path, track: PoseTrack) -> PoseTrack:
    """``track`` with its motion readings (the legs', the thighs' and the knees') read again from ``clip`` with
    its own landmarks, as `posecount pose` reads them (one CIELAB sample of each frame for both readers)."""
    legs, knees = LegMotion(), KneeMotion()
    leg_deg, thigh_deg, knee_deg = (np.full((len(track), 2), np.nan, np.float32) for _ in range(3))
    with VideoFileSource(clip) as source:
        for frame in source:
            if track.detected[frame.index]:
                read = read_motion(legs, knees, frame.image, track.image_xy[frame.index], frame.timestamp_ms)
                leg_deg[frame.index], thigh_deg[frame.index], knee_deg[frame.index] = read.legs, read.thighs, read.knees
    return dataclasses.replace(track, leg_motion_deg=leg_deg, thigh_motion_deg=thigh_deg, knee_motion_deg=knee_deg)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--check", action="store_true", help="compare only, write nothing")
    parser.add_argument("--motion-only", action="store_true",
                        help="read only the motion again, into the committed files (no model)")
    parser.add_argument("--set", action="append", choices=list(FOLDERS), help="only this set (repeatable)")
    args = parser.parse_args(argv)
    if args.motion_only:
        for clip in _clips(args.set):
            target = clip.parent / "landmarks" / f"{clip.stem}.npz"
            _with_motion_read_again(clip, PoseTrack.load(target)).save_npz(target, compact=True)
            print(f"{target.relative_to(ROOT)}: motion read again")
        return 0
    options = PoseOptions(model_path=ensure_model("full", progress=False), silhouette=True,  # as `posecount pose`
                          leg_motion=True, knee_motion=True)
    cache = PoseCache(Path(os.environ.get("POSECOUNT_TEST_CACHE", ROOT / ".pytest_cache" / "posecount-poses")))
    for clip in _clips(args.set):
        track = cache.track(clip, options)
        target = clip.parent / "landmarks" / f"{clip.stem}.npz"
        if args.check:
            old = PoseTrack.load(target)
            both = old.detected & track.detected
            d = np.linalg.norm(old.image_xy[both] - track.image_xy[both], axis=-1)
            print(f"{clip.stem}: detected differs on {int((old.detected != track.detected).sum())} frames; "
                  f"image_xy |diff| median {np.median(d):.3f} px, max {d.max() if d.size else 0:.3f} px")
        else:
            with tempfile.TemporaryDirectory() as tmp:  # the landmarks as the file keeps them (1/10 px)
                stored = Path(tmp) / target.name
                track.save_npz(stored, compact=True)
                track = _with_motion_read_again(clip, PoseTrack.load(stored))
            track.save_npz(target, compact=True)
            print(f"{target.relative_to(ROOT)}: {len(track)} frames, {target.stat().st_size / 1024:.0f} KiB")
    return 0


if __name__ == "__main__":
    sys.exit(main())
