"""Shared pytest fixtures: the pose model, and recordings of clips made with it (the model runs at most
once per clip per run; every other test replays the recording).

Recordings are kept in ``$POSECOUNT_TEST_CACHE`` (default ``.pytest_cache/posecount-poses`` in the
checkout), keyed by the clip's, the model's and mediapipe's hashes (:mod:`posecount.posecache`), so a
later run reuses them only while all three are the same, and parallel workers never record a clip twice.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from posecount.recording import PoseTrack

ROOT = Path(__file__).resolve().parents[1]
SAMPLES = ROOT / "samples"
#: The samples' recordings as committed (compact): replayed by the tests that need no model.
COMMITTED_LANDMARKS = SAMPLES / "landmarks"
#: The realistic set (samples/realistic: sway, sag, stances, a weak leg, flicks, chairs) and its recordings.
REALISTIC = SAMPLES / "realistic"
#: The other exercises and the function tests (samples/exercises, its README), with their recordings.
EXERCISE_SAMPLES = SAMPLES / "exercises"
#: The seed exercises' sample sets: (clips with NAME.truth.json, their committed recordings).
SAMPLE_SETS: tuple[tuple[Path, Path], ...] = ((SAMPLES, COMMITTED_LANDMARKS), (REALISTIC, REALISTIC / "landmarks"))
#: Every sample set, the other exercises' too (``scripts/record_sample_landmarks.py`` records these three).
EVERY_SAMPLE_SET: tuple[tuple[Path, Path], ...] = (*SAMPLE_SETS, (EXERCISE_SAMPLES, EXERCISE_SAMPLES / "landmarks"))

RecordFn = Callable[[Path], PoseTrack]

@pytest.fixture(scope="session")
def model_path() -> Path:
    """The verified full pose model. Built into the checkout's models/ on first use, reused after."""
    from posecount.models import ensure_model

    return ensure_model("full", progress=False)


@pytest.fixture(scope="session")
def recorded(model_path: Path) -> RecordFn:
    """``recorded(clip)``: the current model's :class:`PoseTrack` of ``clip`` (made once, then replayed), with
    the silhouette, the legs' and the knees' motion, as ``posecount pose`` records it, so that it replays
    every exercise."""
    from posecount.pose import PoseOptions
    from posecount.posecache import PoseCache

    cache = PoseCache(Path(os.environ.get("POSECOUNT_TEST_CACHE", ROOT / ".pytest_cache" / "posecount-poses")))
    options = PoseOptions(model_path=model_path, silhouette=True, leg_motion=True, knee_motion=True)
    return lambda clip: cache.track(clip, options)


def committed_landmarks(name: str, clips: Path = SAMPLES) -> PoseTrack:
    """The committed recording of sample ``name`` of the set in ``clips`` (no model needed)."""
    return PoseTrack.load(clips / "landmarks" / f"{name}.npz")


def sample_truths() -> list[Path]:
    """Every sample's truth file, both sets."""
    return [t for clips, _ in SAMPLE_SETS for t in sorted(clips.glob("*.truth.json"))]


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """Slow tests first, so parallel workers (pytest-xdist) are not left waiting on one long test at the end. Each
    real clip is recorded by a slow test (test_shared_clips), so the tests that only replay its recording run long
    after it: handed out one at a time (scripts/test.sh), they never wait on a recording the other worker is making."""
    items.sort(key=lambda item: item.get_closest_marker("slow") is None)


@pytest.fixture(scope="session", autouse=True)
def _history_in_a_temporary_file(tmp_path_factory: pytest.TempPathFactory) -> Iterator[None]:
    """Every run of the command (in this process or a subprocess) stores its history in a temporary file,
    never in the real ~/.local/share/posecount."""
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("POSECOUNT_DB", str(tmp_path_factory.mktemp("history") / "history.sqlite3"))
        yield
