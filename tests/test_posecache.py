"""posecount.posecache and the compact recording format: a recording is reused only while the clip, the
model, mediapipe and the confidences are all the same; compact files load back to within their steps.

The model is not run here: ``record_track`` is replaced by a stand-in that counts its calls, so what is
tested is the cache's bookkeeping, which the model-marked tests then rely on.
"""

from __future__ import annotations

import json
import multiprocessing
import os
from pathlib import Path

import numpy as np
import pytest

from posecount import motion, pipeline, posecache
from posecount.pose import NUM_LANDMARKS, PoseOptions
from posecount.posecache import PoseCache, recording_key
from posecount.recording import PoseTrack
from posecount.sources import SourceInfo


def fake_track(video: Path, options: PoseOptions, *args: object, **kwargs: object) -> PoseTrack:
    """A recording that depends on the video's and the model's bytes, like a real one would."""
    seed = sum(Path(video).read_bytes()) + sum(Path(options.model_path).read_bytes())
    rng = np.random.default_rng(seed)
    n = 40
    detected = rng.random(n) > 0.2
    xy = rng.uniform(-20, 700, (n, NUM_LANDMARKS, 2)).astype(np.float32)
    world = rng.uniform(-1, 1, (n, NUM_LANDMARKS, 3)).astype(np.float32)
    vis = rng.random((n, NUM_LANDMARKS)).astype(np.float32)
    pres = rng.random((n, NUM_LANDMARKS)).astype(np.float32)
    for a in (xy, world, vis, pres):
        a[~detected] = np.nan
    info = SourceInfo(path=Path(video).name, fps=30.0, frames=n, width=640, height=480)
    return PoseTrack(info, np.arange(n, dtype=np.int64), np.arange(n, dtype=np.int64) * 33, detected, xy, world, vis,
                     pres)


@pytest.fixture
def calls(monkeypatch: pytest.MonkeyPatch) -> list[Path]:
    made: list[Path] = []

    def record(video: Path, options: PoseOptions, *args: object, **kwargs: object) -> PoseTrack:
        made.append(Path(video))
        return fake_track(video, options)

    monkeypatch.setattr(pipeline, "record_track", record)
    return made


@pytest.fixture
def files(tmp_path: Path) -> tuple[Path, Path]:
    video, model = tmp_path / "clip.mp4", tmp_path / "model.task"
    video.write_bytes(b"video bytes " * 100)
    model.write_bytes(b"model bytes " * 100)
    return video, model


def test_a_recording_is_made_once_then_replayed(calls: list[Path], files: tuple[Path, Path], tmp_path: Path) -> None:
    video, model = files
    cache = PoseCache(tmp_path / "cache")
    first = cache.track(video, PoseOptions(model_path=model))
    again = PoseCache(tmp_path / "cache").track(video, PoseOptions(model_path=model))  # another process, later
    assert calls == [video] and cache.recorded == 1
    np.testing.assert_array_equal(first.image_xy, again.image_xy)
    assert [p.suffix for p in (tmp_path / "cache").iterdir() if p.suffix == ".npz"] == [".npz"]


@pytest.mark.parametrize("change", ["model", "video", "mediapipe", "decoder", "confidence", "motion readers"])
def test_a_stale_recording_is_never_reused(change: str, calls: list[Path], files: tuple[Path, Path], tmp_path: Path,
                                           monkeypatch: pytest.MonkeyPatch) -> None:
    video, model = files
    cache = PoseCache(tmp_path / "cache")
    options = PoseOptions(model_path=model, knee_motion=change == "motion readers")
    before = cache.track(video, options)
    if change == "model":  # same size, same name: only the bytes differ
        model.write_bytes(b"MODEL bytes " * 100)
        os.utime(model, ns=(model.stat().st_atime_ns, model.stat().st_mtime_ns + 1_000_000))
    elif change == "video":
        video.write_bytes(b"VIDEO bytes " * 100)
        os.utime(video, ns=(video.stat().st_atime_ns, video.stat().st_mtime_ns + 1_000_000))
    elif change == "mediapipe":
        monkeypatch.setattr(posecache, "mediapipe_version", lambda: "99.0.0")
    elif change == "decoder":
        monkeypatch.setattr(posecache, "decoder_version", lambda: "99.0.0")
    elif change == "motion readers":  # a reader that reads the same frames differently
        monkeypatch.setattr(motion, "READERS_VERSION", motion.READERS_VERSION + 1)
    else:
        options = PoseOptions(model_path=model, min_tracking_confidence=0.7)
    after = cache.track(video, options)
    assert len(calls) == 2, f"a recording made before the {change} changed was replayed"
    if change in ("model", "video"):
        assert not np.array_equal(np.nan_to_num(before.image_xy), np.nan_to_num(after.image_xy))


def test_the_key_covers_every_input(files: tuple[Path, Path], tmp_path: Path) -> None:
    video, model = files
    base = recording_key(video, PoseOptions(model_path=model))
    assert len(base) == 64 and base == recording_key(video, PoseOptions(model_path=model))
    other_model = tmp_path / "other.task"
    other_model.write_bytes(model.read_bytes())
    assert recording_key(video, PoseOptions(model_path=other_model)) == base, "the key is the bytes, not the name"
    keys = {recording_key(video, PoseOptions(model_path=model, min_pose_detection_confidence=0.6)),
            recording_key(video, PoseOptions(model_path=model, min_pose_presence_confidence=0.6)),
            recording_key(video, PoseOptions(model_path=model, min_tracking_confidence=0.6))}
    assert len(keys) == 3 and base not in keys


def test_a_damaged_recording_is_made_again(calls: list[Path], files: tuple[Path, Path], tmp_path: Path) -> None:
    video, model = files
    cache = PoseCache(tmp_path / "cache")
    options = PoseOptions(model_path=model)
    cache.track(video, options)
    cache.path_for(video, options).write_bytes(b"half a file")
    track = cache.track(video, options)
    assert len(calls) == 2 and len(track) == 40
    assert PoseTrack.load(cache.path_for(video, options)).frame.tolist() == list(range(40))


def _worker(args: tuple[str, str, str, str]) -> int:
    video, model, cache_dir, log = args
    import time

    def slow_record(v: Path, o: PoseOptions, *a: object, **k: object) -> PoseTrack:
        with open(log, "a") as fh:
            fh.write("recorded\n")
        time.sleep(0.5)  # long enough for the other process to arrive while this one works
        return fake_track(v, o)

    pipeline.record_track = slow_record  # type: ignore[assignment]
    return len(PoseCache(Path(cache_dir)).track(Path(video), PoseOptions(model_path=Path(model))))


def test_two_processes_asking_at_once_record_once(files: tuple[Path, Path], tmp_path: Path) -> None:
    video, model = files
    log = tmp_path / "log"
    args = (str(video), str(model), str(tmp_path / "cache"), str(log))
    with multiprocessing.get_context("fork").Pool(2) as pool:
        lengths = pool.map(_worker, [args, args])
    assert lengths == [40, 40]
    assert log.read_text().count("recorded") == 1


def test_compact_files_load_back_within_their_steps(tmp_path: Path) -> None:
    video, model = tmp_path / "v", tmp_path / "m"
    video.write_bytes(b"v")
    model.write_bytes(b"m")
    track = fake_track(video, PoseOptions(model_path=model))
    track.save_npz(tmp_path / "full.npz")
    track.save_npz(tmp_path / "compact.npz", compact=True)
    back = PoseTrack.load(tmp_path / "compact.npz")
    assert (tmp_path / "compact.npz").stat().st_size < (tmp_path / "full.npz").stat().st_size
    np.testing.assert_array_equal(back.detected, track.detected)
    np.testing.assert_array_equal(back.timestamp_ms, track.timestamp_ms)
    d = track.detected
    assert np.isnan(back.image_xy[~d]).all() and np.isfinite(back.image_xy[d]).all()
    # Steps of 1/10 px, 1 mm, 1/1000 are rounded once each, so the error never accumulates past half a step.
    assert np.abs(back.image_xy[d] - track.image_xy[d]).max() <= 0.05 + 1e-3
    assert np.abs(back.world_xyz[d] - track.world_xyz[d]).max() <= 0.0005 + 1e-6
    assert np.abs(back.visibility[d] - track.visibility[d]).max() <= 0.0005 + 1e-6
    assert np.abs(back.presence[d] - track.presence[d]).max() <= 0.0005 + 1e-6
    assert json.loads(str(np.load(tmp_path / "compact.npz")["source"]))["frames"] == len(track)
