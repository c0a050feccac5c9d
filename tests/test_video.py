"""Video files through PyAV: real timestamps (variable frame rate), rotation, every common container, damage
reported in one line, and annotated.mp4 as browser-playable H.264 on the source's own timestamps.

Every clip is made here with PyAV (small: 160x120, a few seconds, a square that moves so frames differ).
"""

from __future__ import annotations

import json
from fractions import Fraction
from pathlib import Path

import av
import numpy as np
import pytest

from posecount.errors import InputError
from posecount.exercises import get_exercise
from posecount.pipeline import run_analysis
from posecount.recording import PoseRecorder
from posecount.sources import VideoFileSource
from posecount.video import H264Writer

SIZE_WH = (160, 120)
MS = Fraction(1, 1000)


def picture(i: int, size_wh: tuple[int, int] = SIZE_WH) -> np.ndarray:
    """Frame ``i``: (H, W, 3) uint8 BGR, grey with a yellow square that moves 5 px a frame."""
    w, h = size_wh
    image = np.full((h, w, 3), 60, np.uint8)
    x = (i * 5) % (w - 20)
    image[h // 2 - 10:h // 2 + 10, x:x + 20] = (0, 220, 255)
    return image


def write_clip(path: Path, pts_ms: list[int], codec: str = "libx264", fmt: str | None = None,
               options: dict[str, str] | None = None, rotation_deg: int | None = None,
               size_wh: tuple[int, int] = SIZE_WH) -> Path:
    """A clip whose frame ``i`` is presented at ``pts_ms[i]`` (millisecond time base, like a browser's)."""
    with av.open(str(path), "w", format=fmt, options=options or {}) as container:
        stream = container.add_stream(codec, rate=30)
        stream.width, stream.height = size_wh
        stream.pix_fmt = "yuv420p"
        stream.codec_context.time_base = MS
        if codec.startswith("libvpx"):
            stream.options = {"deadline": "realtime", "cpu-used": "8"}
        if rotation_deg is not None:
            stream.set_display_rotation(rotation_deg)
        for i, t in enumerate(pts_ms):
            frame = av.VideoFrame.from_ndarray(picture(i, size_wh), format="bgr24")
            frame.pts, frame.time_base = t, MS
            container.mux(stream.encode(frame))
        container.mux(stream.encode(None))
    return path


def browser_pts_ms(seed: int = 3) -> list[int]:
    """Presentation times like a browser's MediaRecorder: ~30 fps, a busy stretch at ~10 fps, a 0.6 s stall."""
    rng = np.random.default_rng(seed)
    gaps = np.concatenate([rng.integers(30, 37, 30), rng.integers(90, 110, 15), [600], rng.integers(28, 40, 20)])
    return [0, *np.cumsum(gaps).tolist()]


def decoded_times_ms(path: Path) -> list[float]:
    """Each frame's presentation time in ms from the stream start, read straight from PyAV (no posecount)."""
    with av.open(str(path)) as container:
        stream = container.streams.video[0]
        start = stream.start_time or 0
        return [float((f.pts - start) * stream.time_base * 1000) for f in container.decode(stream)]


def top_level_boxes(path: Path) -> list[str]:
    """The MP4's top-level box types in file order."""
    data, boxes, at = path.read_bytes(), [], 0
    while at + 8 <= len(data):
        size = int.from_bytes(data[at:at + 4], "big")
        boxes.append(data[at + 4:at + 8].decode("latin-1"))
        if size == 1:
            size = int.from_bytes(data[at + 8:at + 16], "big")
        if size < 8:
            break
        at += size
    return boxes


# -- (1) variable frame rate -------------------------------------------------------------------------------
@pytest.mark.parametrize("codec", ["libvpx", "libvpx-vp9"])
@pytest.mark.parametrize("live", [True, False], ids=["live-written", "finalised"])
def test_browser_webm_keeps_its_own_times_and_is_not_truncated(tmp_path: Path, codec: str, live: bool) -> None:
    """A MediaRecorder-like WebM: live-written (no duration, no count) or finalised with a duration from which
    a frame count estimated at the early 30 fps is far too high (OpenCV's reader called that truncated)."""
    pts = browser_pts_ms()
    clip = write_clip(tmp_path / "browser.webm", pts, codec, "webm", {"live": "1"} if live else None)
    with VideoFileSource(clip) as src:
        assert src.info.frames == 0  # a WebM states no frame count
        frames = list(src)
        info = src.info
    assert [f.timestamp_ms for f in frames] == pts
    assert [f.index for f in frames] == list(range(len(pts)))
    assert info.frames == len(pts)
    assert pts[-1] / 1000 < info.duration_s <= pts[-1] / 1000 + 0.12
    assert abs(info.duration_s - len(pts) / info.fps) > 1.0  # frames / stated fps would be far off
    assert frames[0].image.shape == (120, 160, 3) and frames[0].image.dtype == np.uint8
    assert not np.array_equal(frames[0].image, frames[1].image)


def test_frames_in_the_same_millisecond_are_nudged_apart(tmp_path: Path) -> None:
    """Two frames in the same millisecond (pts 0.4 ms apart in a 1/10000 s time base) stay two frames."""
    clip = tmp_path / "close.mkv"
    with av.open(str(clip), "w") as container:
        stream = container.add_stream("libx264", rate=30)
        stream.width, stream.height, stream.pix_fmt = *SIZE_WH, "yuv420p"
        tb = Fraction(1, 10000)
        stream.codec_context.time_base = tb
        for i, pts in enumerate([0, 330, 334, 670, 1000]):
            frame = av.VideoFrame.from_ndarray(picture(i), format="bgr24")
            frame.pts, frame.time_base = pts, tb
            container.mux(stream.encode(frame))
        container.mux(stream.encode(None))
    with VideoFileSource(clip) as src:
        times = [f.timestamp_ms for f in src]
    assert times == [0, 33, 34, 67, 100]  # 33.4 ms rounds to 33, taken: 1 ms later, not dropped


# -- (2) rotation ------------------------------------------------------------------------------------------
@pytest.mark.parametrize(("rotation_deg", "square_at"), [(-90, "top"), (90, "bottom"), (180, "middle")])
def test_rotated_phone_clip_comes_out_upright(tmp_path: Path, rotation_deg: int, square_at: str) -> None:
    """A landscape-coded frame with a display matrix (how phones store portrait clips): frames and info are
    the displayed, rotated size, and the picture is turned the way the matrix says."""
    clip = write_clip(tmp_path / "phone.mp4", [i * 33 for i in range(10)], rotation_deg=rotation_deg)
    with VideoFileSource(clip) as src:
        info = src.info
        first = next(iter(src))
    if rotation_deg == 180:
        assert (info.width, info.height) == (160, 120)
    else:
        assert (info.width, info.height) == (120, 160)  # portrait
    assert first.image.shape == (info.height, info.width, 3)
    # Frame 0's square sits at the left edge, vertically centred: a quarter turn moves it to the top or bottom.
    ys, xs = np.nonzero((first.image[:, :, 2] > 200) & (first.image[:, :, 0] < 80))
    centre_y, centre_x = ys.mean() / info.height, xs.mean() / info.width
    expected_y = {"top": 0.06, "bottom": 0.94, "middle": 0.5}[square_at]
    assert abs(centre_y - expected_y) < 0.1, (centre_y, centre_x)
    if rotation_deg == 180:
        assert centre_x > 0.85  # the left edge went right


def test_hlg_hdr_is_converted_to_sdr_like_opencv_did(tmp_path: Path) -> None:
    """HLG (iPhones' default) puts diffuse white at 75 % of the signal: shown as SDR without conversion it is a
    dull grey (190); converted to BT.709 it is white (OpenCV's reader gave 253 on this clip too)."""
    clip = tmp_path / "hlg.mp4"
    with av.open(str(clip), "w") as container:
        stream = container.add_stream("libx264", rate=30)
        stream.width, stream.height, stream.pix_fmt = *SIZE_WH, "yuv420p"
        cc = stream.codec_context
        cc.color_trc, cc.color_primaries, cc.colorspace, cc.color_range = 18, 9, 9, 1  # HLG, BT.2020, limited
        w, h = SIZE_WH
        luma, chroma = np.full((h, w), 16 + round(0.75 * 219), np.uint8), np.full((h // 2, w), 128, np.uint8)
        planes = np.concatenate([luma, chroma])  # yuv420p as PyAV lays it out: Y, then U and V rows
        for i in range(3):
            frame = av.VideoFrame.from_ndarray(planes, format="yuv420p")
            frame.pts = i
            container.mux(stream.encode(frame))
        container.mux(stream.encode(None))
    with VideoFileSource(clip) as src:
        images = [f.image for f in src]
    assert len(images) == 3 and images[0].shape == (120, 160, 3)
    assert images[0].mean() > 240


# -- (3) containers ----------------------------------------------------------------------------------------
@pytest.mark.parametrize(("name", "codec"), [("clip.mov", "libx264"), ("clip.mkv", "libx264"), ("clip.mp4", "libx264"),
                                             ("clip.avi", "mpeg4"), ("clip.webm", "libvpx")])
def test_common_containers_open_and_decode(tmp_path: Path, name: str, codec: str) -> None:
    pts = [i * 40 for i in range(25)]  # 25 fps, 1 s
    clip = write_clip(tmp_path / name, pts, codec)
    with VideoFileSource(clip) as src:
        assert (src.info.width, src.info.height) == SIZE_WH
        frames = list(src)
        info = src.info
    assert len(frames) == info.frames == 25
    times = np.array([f.timestamp_ms for f in frames])
    assert times[0] == 0 and np.all(np.abs(np.diff(times) - 40) <= 1)
    assert info.duration_s == pytest.approx(1.0, abs=0.045)


# -- (4) the H.264 writer ----------------------------------------------------------------------------------
def test_h264_writer_is_browser_playable_and_keeps_vfr_times(tmp_path: Path) -> None:
    pts = browser_pts_ms(seed=5)
    out = tmp_path / "annotated.mp4"
    with H264Writer(out, SIZE_WH, fps=30.0) as writer:
        for i, t in enumerate(pts):
            writer.write(picture(i), t)
    with av.open(str(out)) as container:
        stream = container.streams.video[0]
        assert stream.codec_context.name == "h264"
        assert stream.codec_context.pix_fmt == "yuv420p"
        assert (stream.width, stream.height) == SIZE_WH
    boxes = top_level_boxes(out)
    assert "moov" in boxes and "mdat" in boxes and boxes.index("moov") < boxes.index("mdat"), boxes  # faststart
    times = decoded_times_ms(out)
    assert len(times) == len(pts)
    assert np.max(np.abs(np.array(times) - np.array(pts))) <= 1.0
    with VideoFileSource(out) as src:  # colours survive: BT.709 written and said, so read back as written
        first = next(iter(src)).image
    assert np.abs(first.astype(int) - picture(0).astype(int)).mean() < 3


def test_h264_writer_pads_odd_sizes_by_one_pixel(tmp_path: Path) -> None:
    out = tmp_path / "odd.mp4"
    with H264Writer(out, (161, 121)) as writer:
        for i in range(5):
            writer.write(picture(i, (161, 121)), i * 33)
    with VideoFileSource(out) as src:
        assert (src.info.width, src.info.height) == (162, 122)
        assert len(list(src)) == 5


def test_h264_writer_refuses_times_that_do_not_increase(tmp_path: Path) -> None:
    with H264Writer(tmp_path / "x.mp4", SIZE_WH) as writer:
        writer.write(picture(0), 10)
        with pytest.raises(ValueError, match="strictly increase"):
            writer.write(picture(1), 10)


# -- (5) damage --------------------------------------------------------------------------------------------
def test_truncated_file_delivers_what_decodes_then_one_line(tmp_path: Path) -> None:
    """An MP4 with its index at the front, cut at 60 %: the frames before the cut, then one line saying where."""
    whole = tmp_path / "whole.mp4"
    with H264Writer(whole, SIZE_WH) as writer:
        for i in range(90):
            writer.write(picture(i), i * 33)
    cut = tmp_path / "cut.mp4"
    cut.write_bytes(whole.read_bytes()[: int(whole.stat().st_size * 0.6)])
    got = []
    with pytest.raises(InputError) as info, VideoFileSource(cut) as src:
        got.extend(src)
    message = str(info.value)
    assert "\n" not in message and "truncated" in message
    assert 10 < len(got) < 90
    assert f"after {len(got)} frames of the 90" in message


@pytest.mark.parametrize("cut_at", ["in the header", "in the first frame"])
def test_file_cut_before_any_frame_is_one_line(tmp_path: Path, cut_at: str) -> None:
    whole = tmp_path / "whole.mp4"
    with H264Writer(whole, SIZE_WH) as writer:
        for i in range(30):
            writer.write(picture(i), i * 33)
    data = whole.read_bytes()
    mdat_at = data.index(b"mdat") - 4  # after ftyp, moov (faststart) and free: the first frame's bytes
    keep = 40 if cut_at == "in the header" else mdat_at + 8 + 20
    cut = tmp_path / "cut.mp4"
    cut.write_bytes(data[:keep])
    with pytest.raises(InputError) as info, VideoFileSource(cut) as src:
        list(src)
    message = str(info.value)
    assert "\n" not in message
    assert ("not a readable video" if cut_at == "in the header" else "no frame could be decoded") in message


def test_sound_without_pictures_is_one_line(tmp_path: Path) -> None:
    sound = tmp_path / "voice.m4a"
    with av.open(str(sound), "w", format="mp4") as container:
        stream = container.add_stream("aac", rate=44100)
        for i in range(10):
            frame = av.AudioFrame.from_ndarray(np.zeros((1, 1024), np.float32), format="fltp", layout="mono")
            frame.sample_rate, frame.pts = 44100, i * 1024
            container.mux(stream.encode(frame))
        container.mux(stream.encode(None))
    with pytest.raises(InputError, match="no image stream"):
        VideoFileSource(sound)


def test_closing_mid_iteration_ends_it_quietly(tmp_path: Path) -> None:
    clip = write_clip(tmp_path / "c.mkv", [i * 33 for i in range(30)])
    src = VideoFileSource(clip)
    frames = iter(src)
    next(frames)
    src.close()
    assert list(frames) == []
    assert src.info.frames == 0  # not decoded to its end: still what the container states


# -- analyze on a variable-frame-rate clip -----------------------------------------------------------------
def test_analyze_reports_the_duration_by_the_timestamps_and_writes_vfr_h264(tmp_path: Path) -> None:
    """No model: a hand-made recording with no pose in any frame. report.json's frames and duration_s come
    from what was decoded and its timestamps (not frames / fps), annotated.mp4 is H.264 at the same times."""
    pts = browser_pts_ms(seed=7)
    clip = write_clip(tmp_path / "browser.webm", pts, "libvpx", "webm")
    with VideoFileSource(clip) as src:
        recorder = PoseRecorder(src.info)
        for frame in src:
            recorder.add(frame.index, frame.timestamp_ms, None)
        stated_fps = src.info.fps
    out = tmp_path / "out"
    run_analysis(clip, get_exercise("side-leg-raise"), out, None, landmarks=recorder.track())
    source = json.loads((out / "report.json").read_text())["source"]
    assert source["frames"] == len(pts)
    assert pts[-1] / 1000 < source["duration_s"] <= pts[-1] / 1000 + 0.12
    assert abs(source["duration_s"] - len(pts) / stated_fps) > 1.0  # what frames / fps would have said
    with av.open(str(out / "annotated.mp4")) as container:
        assert container.streams.video[0].codec_context.name == "h264"
    assert np.max(np.abs(np.array(decoded_times_ms(out / "annotated.mp4")) - np.array(pts))) <= 1.0
    t_s = [float(line.split(",")[1]) for line in (out / "frames.csv").read_text().splitlines()[1:]]
    assert t_s == pytest.approx([t / 1000 for t in pts], abs=1e-3)


def test_a_webm_that_states_no_rate_is_not_read_as_1000_fps() -> None:
    """A WebM without a stated frame rate: FFmpeg guesses its 1 kHz time base, which is no frame rate."""
    from fractions import Fraction
    from types import SimpleNamespace

    from posecount.video import DEFAULT_FPS, _stated_fps

    assert _stated_fps(SimpleNamespace(average_rate=None, guessed_rate=Fraction(1000))) == DEFAULT_FPS
    assert _stated_fps(SimpleNamespace(average_rate=None, guessed_rate=Fraction(240))) == 240.0
    assert _stated_fps(SimpleNamespace(average_rate=Fraction(30000, 1001), guessed_rate=Fraction(1000))) == \
        pytest.approx(29.97, abs=0.01)
