"""A cache of pose recordings, so the model runs once per video however often the video is analysed.

A recording (:class:`~posecount.recording.PoseTrack`) is determined by seven things, and its key is the
SHA-256 of all seven: the video's bytes, the model file's bytes, the version of mediapipe that ran it, the
video decoder's (PyAV's) version, the landmarker's confidences, which readers ran beside it (silhouette,
leg and knee motion) and the motion readers' version (:data:`posecount.motion.READERS_VERSION`).
Change any one (a re-encoded clip, another model, a mediapipe or decoder upgrade, a reader that reads
differently) and the key changes, so a stale recording is never replayed; it simply stops being found.

Files are ``DIR/STEM-KEY.npz`` in the ``posecount pose`` format, written whole or not at all. Processes
that ask for the same recording at once (test workers, batch jobs) take a lock per key, so one of them
runs the model and the others read its file.
"""

from __future__ import annotations

import contextlib
import functools
import hashlib
import json
import logging
from collections.abc import Iterator
from importlib import metadata
from pathlib import Path

from posecount import motion
from posecount.errors import InputError
from posecount.models import sha256_file
from posecount.pose import PoseOptions
from posecount.recording import PoseTrack

log = logging.getLogger(__name__)

#: Bump when what a recording holds changes (a new array, another meaning): old files stop being found.
RECORDING_FORMAT = 4


@functools.cache
def _file_sha256(path: Path, size: int, mtime_ns: int) -> str:
    return sha256_file(path)


def file_sha256(path: Path) -> str:
    """SHA-256 of a file, remembered for this process while its size and mtime stay the same."""
    path = Path(path).resolve()
    st = path.stat()
    return _file_sha256(path, st.st_size, st.st_mtime_ns)


def mediapipe_version() -> str:
    return _version("mediapipe")


def decoder_version() -> str:
    """The video decoder's version (PyAV and its FFmpeg): other decoders may hand the model other pixels."""
    return _version("av")


def _version(package: str) -> str:
    try:
        return metadata.version(package)
    except metadata.PackageNotFoundError:
        return "unknown"


def recording_key(video: Path, options: PoseOptions) -> str:
    """The hex SHA-256 of everything a recording of ``video`` under ``options`` depends on."""
    parts = {
        "format": RECORDING_FORMAT,
        "video_sha256": file_sha256(video),
        "model_sha256": file_sha256(options.model_path),
        "mediapipe": mediapipe_version(),
        "decoder": decoder_version(),
        "confidences": [options.min_pose_detection_confidence, options.min_pose_presence_confidence,
                        options.min_tracking_confidence],
        "silhouette": options.silhouette,
        "leg_motion": options.leg_motion,
        "knee_motion": options.knee_motion,
        "motion_readers": motion.READERS_VERSION if options.leg_motion or options.knee_motion else None,
    }
    return hashlib.sha256(json.dumps(parts, sort_keys=True).encode()).hexdigest()


class PoseCache:
    """Recordings under ``directory``, keyed by :func:`recording_key`."""

    def __init__(self, directory: Path) -> None:
        self.directory = Path(directory)
        self.recorded = 0  # recordings this object made by running the model (the rest were found)

    def path_for(self, video: Path, options: PoseOptions) -> Path:
        return self.directory / f"{Path(video).stem}-{recording_key(video, options)[:24]}.npz"

    def track(self, video: Path, options: PoseOptions) -> PoseTrack:
        """The recording of ``video`` under ``options``: read from the cache, else made now and kept."""
        from posecount.pipeline import record_track  # the pipeline imports heavier stages

        path = self.path_for(video, options)
        found = _load(path)
        if found is not None:
            return found
        self.directory.mkdir(parents=True, exist_ok=True)
        with _lock(path.with_suffix(".lock")):
            found = _load(path)  # another process may have made it while we waited
            if found is not None:
                return found
            log.info("recording poses of %s into %s", video, path)
            track = record_track(Path(video), options)
            track.save_npz(path)
            self.recorded += 1
        return track


def _load(path: Path) -> PoseTrack | None:
    if not path.is_file():
        return None
    try:
        return PoseTrack.load(path)
    except InputError as exc:  # a damaged file: make it again
        log.warning("ignoring a damaged recording: %s", exc)
        return None


@contextlib.contextmanager
def _lock(path: Path) -> Iterator[None]:
    """An exclusive lock on ``path`` between processes (POSIX); elsewhere no lock, only repeated work."""
    try:
        import fcntl
    except ImportError:
        yield
        return
    with open(path, "a") as fh:
        fcntl.flock(fh, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(fh, fcntl.LOCK_UN)


__all__ = ["RECORDING_FORMAT", "PoseCache", "decoder_version", "file_sha256", "mediapipe_version", "recording_key"]
