"""Record the current model's landmarks of every shipped sample into samples/landmarks/NAME.npz,
samples/realistic/landmarks/NAME.npz and samples/exercises/landmarks/NAME.npz (compact).

    python scripts/record_sample_landmarks.py [--check] [--set first|realistic|exercises]

Run it after regenerating the samples or on purpose after a model or mediapipe change, and commit the
result; tests/test_samples_model.py checks that the model in use still reproduces these files, and the
tests that need no model replay them. ``--check`` only reports how far the current model is from them.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
from pathlib import Path

import numpy as np

from posecount.models import ensure_model
from posecount.pose import PoseOptions
from posecount.posecache import PoseCache
from posecount.recording import PoseTrack

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


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--check", action="store_true", help="compare only, write nothing")
    parser.add_argument("--set", action="append", choices=list(FOLDERS), help="only this set (repeatable)")
    args = parser.parse_args(argv)
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
            track.save_npz(target, compact=True)
            print(f"{target.relative_to(ROOT)}: {len(track)} frames, {target.stat().st_size / 1024:.0f} KiB")
    return 0


if __name__ == "__main__":
    sys.exit(main())
