"""Clips recorded as browsers and phones record them (issue 8): a variable-frame-rate WebM, a portrait MP4
stored landscape with a rotation tag, a QuickTime MOV, all three in the realistic sample set
(``samples/realistic``, rendered by ``posecount.synth`` with exact truth).

First the files themselves (no model): each is what it claims to be, and has the property that makes it
special. Then each is analysed end to end (decoded by posecount, poses from this run's model recording of
it, the whole pipeline): counts per side, rep times and the duration against the truth, and the rotated
clip's annotated.mp4 upright.
"""

from __future__ import annotations

import json
from dataclasses import replace
from fractions import Fraction
from pathlib import Path

import av
import numpy as np
import pytest
from conftest import REALISTIC, RecordFn

from posecount.evaluate import score
from posecount.exercises import get_exercise
from posecount.pipeline import run_analysis
from posecount.sources import VideoFileSource
from posecount.synth import Look, check_script
from posecount.synth.draw import FrameRenderer
from posecount.synth.script import MotionScript, VariableRate
from posecount.synth.video import h264_by_pyav, same_pictures, write_clip
from posecount.video import VideoReader

WEBM, PORTRAIT, MOV = "slr_browser_vfr", "slr_phone_portrait_rotated", "ske_phone"
CLIPS = (WEBM, PORTRAIT, MOV)

#: How far the report's peak_s may be from the truth's. The truth's peak is the end of a minimum-jerk
#: rise, whose last 15 % of its time (0.17-0.2 s of these 1.1-1.3 s rises) is within 1° of the top: landmark
#: noise (~1°) cannot tell that from the hold; add the One Euro filter's lag of a frame or two. Measured:
#: 0.02-0.09 s early. Times read from frame indices at the nominal 30 fps would be seconds off on the WebM
#: (its frame 391 is at 17 s, not 13 s), and a 2 % clock error past the 10 s mark would be too.
PEAK_TOLERANCE_S = 0.25


def _truth(name: str) -> dict:
    return json.loads((REALISTIC / f"{name}.truth.json").read_text(encoding="utf-8"))


def _video(name: str) -> Path:
    return REALISTIC / _truth(name)["video"]


def _script(name: str) -> MotionScript:
    return MotionScript.from_dict(_truth(name)["script"])


def _frame_interval_s(script: MotionScript) -> float:
    """One frame interval: the longest ordinary gap of a variable-rate clip (not a stall), else 1 / fps."""
    return script.vfr.max_interval_ms / 1000 if script.vfr is not None else 1.0 / script.fps


def _decoded_pts(path: Path) -> tuple[list[int], Fraction]:
    """Every frame's pts in decoding-output (presentation) order and the stream's time base, straight from PyAV."""
    with av.open(str(path)) as container:
        stream = container.streams.video[0]
        return [f.pts for f in container.decode(stream)], stream.time_base


# -- the files ---------------------------------------------------------------------------------------------
def test_the_browser_clip_is_a_live_webm_whose_frame_times_vary() -> None:
    path, truth, script = _video(WEBM), _truth(WEBM), _script(WEBM)
    assert path.suffix == ".webm"
    head = path.read_bytes()[:64]
    assert head[:4] == bytes.fromhex("1a45dfa3") and b"webm" in head  # EBML, DocType webm
    with av.open(str(path)) as container:
        assert container.format.name == "matroska,webm"
        assert container.streams.video[0].codec_context.name == "vp8"
        assert container.duration is None  # written live, as MediaRecorder does: no duration, no index
    pts, time_base = _decoded_pts(path)
    assert time_base == Fraction(1, 1000)
    assert pts == list(script.frame_times_ms()[:-1])  # stored at exactly the times the motion was drawn at
    gaps = np.diff(pts)
    assert gaps.min() >= 25 and len(set(gaps.tolist())) >= 20  # jittered, 25-60 ms
    assert np.count_nonzero(gaps >= 150) == 3  # three stalls
    frames, nominal = truth["source"]["frames"], truth["source"]["duration_s"] * truth["source"]["fps"]
    assert len(pts) == frames and abs(frames - nominal) > 0.15 * nominal  # 565 frames, not 24.5 s x 30
    with VideoFileSource(path) as src:
        assert src.info.frames == 0  # the file states no count
        times = [f.timestamp_ms for f in src]
        info = src.info
    assert times == pts and info.frames == frames
    assert abs(info.duration_s - truth["source"]["duration_s"]) <= _frame_interval_s(script)


def test_the_browser_clip_shows_the_motion_at_each_frames_own_time() -> None:
    """The frame stored at 2.18 s shows the leg as it is at 2.18 s, not at its index / 30 fps (1.7 s)."""
    path, script = _video(WEBM), _script(WEBM)
    rise = script.initial_rest_s + script.reps[0].rise_s / 2  # mid-rise: the leg moves fastest
    k = min(range(script.frame_count), key=lambda i: abs(script.frame_time_s(i) - rise))
    with VideoReader(path) as reader:
        decoded = next(img for i, (img, _) in enumerate(reader) if i == k).astype(int)
    at_own_time = FrameRenderer(script).render(k).astype(int)
    at_index_time = FrameRenderer(replace(script, vfr=None)).render(k).astype(int)  # i / fps
    leg = np.abs(at_own_time - at_index_time).sum(axis=2) > 60  # where the two instants differ
    assert leg.sum() > 500
    own = np.abs(decoded - at_own_time).sum(axis=2)[leg].mean()
    other = np.abs(decoded - at_index_time).sum(axis=2)[leg].mean()
    assert own < 25 and other > 4 * own, (own, other)


def test_the_phone_clip_is_stored_landscape_with_a_rotation_tag_and_read_upright() -> None:
    path, truth, script = _video(PORTRAIT), _truth(PORTRAIT), _script(PORTRAIT)
    assert path.suffix == ".mp4" and path.read_bytes()[4:12] == b"ftypisom"
    with av.open(str(path)) as container:
        stream = container.streams.video[0]
        assert stream.codec_context.name == "h264"
        assert (stream.codec_context.width, stream.codec_context.height) == (640, 360)  # stored landscape
        assert next(container.decode(stream)).rotation == -90  # the display matrix: a phone held upright
    with VideoReader(path) as reader:
        assert (reader.width, reader.height) == (truth["source"]["width"], truth["source"]["height"]) == (360, 640)
        assert reader.rotation_deg == 270
        first = next(iter(reader))[0]
    assert first.shape == (640, 360, 3)
    drawn = FrameRenderer(script).render(0).astype(int)
    upright = np.abs(first.astype(int) - drawn).mean()
    upside_down = np.abs(first[::-1, ::-1].astype(int) - drawn).mean()
    assert upright < 5 and upside_down > 4 * upright, (upright, upside_down)


def test_the_mov_is_a_quicktime_movie_at_a_constant_rate() -> None:
    path, truth = _video(MOV), _truth(MOV)
    assert path.suffix == ".mov" and path.read_bytes()[4:12] == b"ftypqt  "  # QuickTime, not ISO MP4
    with av.open(str(path)) as container:
        stream = container.streams.video[0]
        assert stream.codec_context.name == "h264" and stream.frames == truth["source"]["frames"]
    pts, time_base = _decoded_pts(path)
    assert time_base == Fraction(1, 600)  # the QuickTime timescale phones write
    assert pts == [20 * i for i in range(truth["source"]["frames"])]  # 30 fps exactly
    with VideoFileSource(path) as src:
        times = [f.timestamp_ms for f in src]
        info = src.info
    assert times == [round(i * 1000 / 30) for i in range(len(pts))]
    assert (info.width, info.height) == (640, 360) and info.duration_s == pytest.approx(truth["source"]["duration_s"])


# -- end to end --------------------------------------------------------------------------------------------
@pytest.mark.model
@pytest.mark.parametrize("name", CLIPS)
def test_analysed_end_to_end_with_the_true_counts_times_and_duration(name: str, recorded: RecordFn,
                                                                     tmp_path: Path) -> None:
    truth, script, video = _truth(name), _script(name), _video(name)
    track = recorded(video)  # this run's model, once per clip; the analysis below decodes the clip itself
    if script.vfr is not None:
        assert track.timestamp_ms.tolist() == list(script.frame_times_ms()[:-1])
    run_analysis(video, get_exercise(truth["exercise"]), tmp_path, None, write_video=True, landmarks=track)
    report = json.loads((tmp_path / "report.json").read_text(encoding="utf-8"))

    assert report["counts"] == truth["counts"]
    scored = score(name, truth, report)  # what `posecount evaluate` checks: every rep, its side, counted, faults
    assert scored.ok, (scored.missed, scored.extra, scored.false_faults)
    assert len(report["reps"]) == len(truth["reps"])
    slack = _frame_interval_s(script)
    for got, true in zip(report["reps"], truth["reps"], strict=True):
        where = f"{name} {true['side']} rep {true['index']}: {got}"
        assert got["side"] == true["side"], where
        # the engine times an attempt from its start line (a lift above the leg's rest) back to below it; the
        # truth times the whole movement, from the first motion to back at rest: the attempt lies within it
        assert true["start_s"] - slack <= got["start_s"] <= true["peak_s"], where
        assert abs(got["peak_s"] - true["peak_s"]) <= PEAK_TOLERANCE_S, where
        assert true["peak_s"] + true["hold_s"] <= got["end_s"] <= true["end_s"] + slack, where

    source = report["source"]
    assert source["frames"] == truth["source"]["frames"]
    assert abs(source["duration_s"] - truth["source"]["duration_s"]) <= slack
    assert (source["width"], source["height"]) == (truth["source"]["width"], truth["source"]["height"])

    with VideoFileSource(tmp_path / "annotated.mp4") as annotated:
        size = (annotated.info.width, annotated.info.height)
        times = [f.timestamp_ms for f in annotated]
    assert size == (truth["source"]["width"], truth["source"]["height"])  # the displayed size, upright
    if name == PORTRAIT:
        assert size == (360, 640)
    assert times == track.timestamp_ms.tolist()  # in step with the source, frame for frame


@pytest.mark.parametrize(("container", "extra"), [
    ("webm", {"vfr": VariableRate(25, 60, stalls=1)}), ("mp4", {"display_rotation_deg": 270}), ("mov", {})])
def test_the_generator_writes_these_files_the_same_every_time(tmp_path: Path, container: str, extra: dict) -> None:
    """A short script through the same writer as the samples: the same bytes twice, the frames at the script's
    own times, the displayed size upright (``python -m posecount.synth samples --verify`` relies on it)."""
    script = MotionScript(exercise="side-leg-raise", view="front", width=96, height=128, seed=5, duration_s=3.0,
                          look=Look(height_px=100.0, floor_y_frac=0.9), container=container,  # type: ignore[arg-type]
                          **extra)
    assert check_script(script) == []
    first = write_clip(script, tmp_path / f"a{script.video_suffix}")
    second = write_clip(script, tmp_path / f"b{script.video_suffix}")
    assert first.frames == script.frame_count
    if h264_by_pyav(script):  # libx264 is not bit-exact on a loaded machine: the same pictures at the same times
        assert first.sha256 == second.sha256 or same_pictures(first.path, second.path)
        moved = write_clip(replace(script, duration_s=3.0, look=replace(script.look, center_x_frac=0.4)),
                           tmp_path / f"c{script.video_suffix}")
        assert not same_pictures(first.path, moved.path), "the comparison sees a person 10 % to the left"
    else:
        assert first.sha256 == second.sha256
    with VideoFileSource(first.path) as src:
        frames = list(src)
        info = src.info
    assert [f.timestamp_ms for f in frames] == [round(script.frame_time_s(i) * 1000) for i in range(len(frames))]
    assert len(frames) == script.frame_count and (info.width, info.height) == (96, 128)
    assert info.duration_s == pytest.approx(script.frames_end_s, abs=_frame_interval_s(script))
