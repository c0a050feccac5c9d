"""Frame sources: timestamps from the video, and bad files rejected with one clear line."""

from __future__ import annotations

import itertools
import time
from pathlib import Path

import cv2
import numpy as np
import pytest

from posecount.errors import InputError
from posecount.sources import LatestFrame, PacedSource, VideoFileSource, open_source


def make_video(path: Path, frames: int = 30, fps: float = 25.0, size_wh: tuple[int, int] = (160, 120)) -> Path:
    writer = cv2.VideoWriter(str(path), cv2.VideoWriter_fourcc(*"mp4v"), fps, size_wh)
    for i in range(frames):
        img = np.full((size_wh[1], size_wh[0], 3), (i * 8) % 255, np.uint8)
        cv2.putText(img, str(i), (10, 60), cv2.FONT_HERSHEY_SIMPLEX, 1, (0, 0, 255), 2)
        writer.write(img)
    writer.release()
    return path


def test_video_frames_carry_index_and_the_videos_own_timestamps(tmp_path: Path) -> None:
    video = make_video(tmp_path / "v.mp4", frames=30, fps=25.0)
    with VideoFileSource(video) as src:
        assert (src.info.width, src.info.height, src.info.frames) == (160, 120, 30)
        assert src.info.fps == pytest.approx(25.0)
        frames = list(src)
    assert [f.index for f in frames] == list(range(30))
    ts = np.array([f.timestamp_ms for f in frames])
    assert np.all(np.diff(ts) > 0)
    assert np.allclose(np.diff(ts), 40, atol=1)  # 25 fps from the container, not the wall clock
    assert frames[0].image.shape == (120, 160, 3) and frames[0].image.dtype == np.uint8


@pytest.mark.parametrize(
    ("make", "expected"),
    [
        (lambda p: p, "no such file"),
        (lambda p: (p.write_bytes(b""), p)[1], "empty file"),
        (lambda p: (p.write_text("this is not a video\n" * 50), p)[1], "not a readable video"),
        (lambda p: (p.mkdir(), p)[1], "is a directory"),
    ],
)
def test_bad_files_raise_one_line(tmp_path: Path, make, expected: str) -> None:
    path = make(tmp_path / "bad.mp4")
    with pytest.raises(InputError, match=expected) as info, VideoFileSource(path) as src:
        list(src)
    assert "\n" not in str(info.value)


def test_truncated_video_is_an_error(tmp_path: Path) -> None:
    video = make_video(tmp_path / "v.mp4", frames=120)
    data = video.read_bytes()
    cut = tmp_path / "cut.mp4"
    cut.write_bytes(data[: len(data) // 2])
    with pytest.raises(InputError) as info, VideoFileSource(cut) as src:
        list(src)
    assert "truncated" in str(info.value) or "not a readable video" in str(info.value)


def test_open_source_dispatch(tmp_path: Path) -> None:
    video = make_video(tmp_path / "v.mp4", frames=5)
    assert isinstance(open_source(str(video)), VideoFileSource)
    with pytest.raises(InputError, match="camera 97"):
        open_source("97")


@pytest.mark.parametrize("work_s", [0.0, 0.05], ids=["keeping-up", "slow-consumer"])
def test_paced_latest_frame_keeps_timestamps_and_ends(tmp_path: Path, work_s: float) -> None:
    video = make_video(tmp_path / "v.mp4", frames=12, fps=60.0)
    latest = LatestFrame(PacedSource(VideoFileSource(video)))
    got = []
    while (frame := latest.get()) is not None:
        got.append(frame)
        time.sleep(work_s)  # slow: three frame periods per frame, so frames (and the end) come while it works
    latest.close()
    assert latest.error is None
    assert got and all(b.timestamp_ms > a.timestamp_ms for a, b in itertools.pairwise(got))
    # Each frame was either handed over or counted as dropped, never both, and the newest one, left waiting
    # when the video ended, is handed over rather than lost.
    indices = [f.index for f in got]
    assert indices == sorted(set(indices)) and set(indices) <= set(range(12))
    assert len(got) + latest.dropped == 12
    assert indices[-1] == 11
    assert [f.timestamp_ms for f in got] == pytest.approx([i * 1000 / 60 for i in indices], abs=1)  # the video's own
    if work_s:
        assert latest.dropped > 0, "a slow consumer gets the newest frame, not a backlog"


@pytest.mark.parametrize("clip", ["samples/slr_clean_alternating.mp4", "samples/realistic/slr_browser_vfr.webm"])
def test_a_file_read_for_its_times_only_gives_the_same_frames_and_times(clip: str) -> None:
    """``images=False`` (a replay of recorded landmarks with no video written): every frame decoded, with the
    same index and timestamp and the same measured duration, and no picture made."""
    path = Path(__file__).resolve().parents[1] / clip
    if not path.exists():
        pytest.skip(f"{clip} is not in this checkout")
    with VideoFileSource(path) as full, VideoFileSource(path, images=False) as times:
        a = [(f.index, f.timestamp_ms, f.image.shape) for f in full]
        b = [(f.index, f.timestamp_ms, f.image.shape) for f in times]
        assert [x[:2] for x in a] == [x[:2] for x in b] and len(a) > 100
        assert all(shape[0] > 0 for *_, shape in a) and all(shape == (0, 0, 3) for *_, shape in b)
        assert times.info == full.info
