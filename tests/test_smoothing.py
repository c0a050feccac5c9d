"""The smoothing stage: the One Euro filter and the pose smoother around it.

Truth is the signal drawn here: a landmark held still under the model's jitter, a limb moving fast, a gap, a
variable frame rate. The filter must steady a still landmark (a steady hold timer), follow a moving one with
little lag (a lowering timed as it happened), never glide across a gap, and give the same output whatever
the frame rate.
"""

from __future__ import annotations

import math

import numpy as np
import pytest

from posecount.errors import ConfigError
from posecount.pose import NUM_LANDMARKS, Pose
from posecount.smoothing import OneEuroFilter, PoseSmoother, SmoothingSettings, make_filter


def _filtered(signal: np.ndarray, times_ms: np.ndarray, **params: float) -> np.ndarray:
    f = OneEuroFilter(**params)
    return np.array([f(np.array([v]), float(t))[0] for v, t in zip(signal, times_ms, strict=True)])


def test_a_still_landmark_under_jitter_is_steadied() -> None:
    """Held still with the model's pixel jitter (sigma 0.004 of the frame height, ~2 px at 480 p): the
    filtered position wanders at most a third as much, and stays centred on the true one."""
    rng = np.random.default_rng(1)
    times = np.arange(0, 5000, 1000 / 30)
    raw = 0.5 + rng.normal(0, 0.004, len(times))
    out = _filtered(raw, times, min_cutoff_hz=1.5, beta=2.0)
    settled = out[30:]
    assert np.std(settled) < np.std(raw) / 3
    assert abs(float(np.mean(settled)) - 0.5) < 0.002


@pytest.mark.parametrize("move_s", [0.5, 1.5])
def test_a_move_is_followed_with_little_lag(move_s: float) -> None:
    """A foot moving a quarter of the frame height (a quick or a slow minimum-jerk lift) under jitter: the
    filter's speed term opens its cut-off as the foot speeds up, so it passes 20 %, 50 % and 80 % of the way
    under 70 ms after the drawn foot, and by the same lag within 10 ms: the time between two such lines (how
    a lowering is timed) is kept. It is within 0.005 of the frame of the foot 0.2 s after the move ends.
    Without the speed term (beta 0) the lag grows along the move (by 45-65 ms here), stretching that time."""
    rng = np.random.default_rng(2)
    times = np.arange(0, 1000 + move_s * 1000 + 1000, 1000 / 30)
    x = np.clip((times - 500) / (move_s * 1000), 0, 1)
    drawn = 0.5 + 0.25 * (10 * x**3 - 15 * x**4 + 6 * x**5)
    noisy = drawn + rng.normal(0, 0.002, len(times))

    def crossing_ms(signal: np.ndarray, share: float) -> float:  # between the frames either side of it
        level = 0.5 + 0.25 * share
        k = int(np.argmax(signal >= level))
        return float(times[k - 1] + (level - signal[k - 1]) / (signal[k] - signal[k - 1]) * (times[k] - times[k - 1]))

    for beta in (2.0, 0.0):
        out = _filtered(noisy, times, min_cutoff_hz=1.5, beta=beta)
        lags_ms = [crossing_ms(out, share) - crossing_ms(drawn, share) for share in (0.2, 0.5, 0.8)]
        if beta:
            assert min(lags_ms) > 0 and max(lags_ms) < 70.0
            assert max(lags_ms) - min(lags_ms) < 10.0
            after = times >= 500 + move_s * 1000 + 200
            assert np.max(np.abs(out[after] - drawn[after])) < 0.005
        else:
            assert max(lags_ms) - min(lags_ms) > 25.0  # what the speed term is there for


def test_the_frame_rate_does_not_change_what_is_seen() -> None:
    """Time steps come from timestamps: the same still-then-moving landmark filtered at 24 fps, at 60 fps and
    at a variable rate (a phone's 22-40 ms) reads the same at the same moments, within 0.004."""
    def drawn(t_ms: np.ndarray) -> np.ndarray:
        return 0.4 + 0.2 * np.clip((t_ms - 1000) / 800, 0, 1)

    steps = np.random.default_rng(3).uniform(22, 40, 200)
    clocks = [np.arange(0, 3000, 1000 / 24), np.arange(0, 3000, 1000 / 60), np.cumsum(np.r_[0, steps])]
    probes = [800.0, 1400.0, 2500.0]
    readings = []
    for times in clocks:
        times = times[times < 3000]
        out = _filtered(drawn(times), times)
        readings.append([float(np.interp(p, times, out)) for p in probes])
    for other in readings[1:]:
        assert other == pytest.approx(readings[0], abs=0.004)


def test_an_unseen_landmark_is_not_invented_and_restarts_where_it_is_seen_again() -> None:
    f = OneEuroFilter()
    f(np.array([0.3, 0.3]), 0)
    f(np.array([0.3, 0.3]), 33)
    out = f(np.array([math.nan, 0.3]), 66)
    assert math.isnan(out[0]) and out[1] == pytest.approx(0.3)
    back = f(np.array([0.7, 0.3]), 100)
    assert back[0] == pytest.approx(0.7)  # from where it is seen, not glided from 0.3
    assert np.all(np.isfinite(f(np.array([0.71, 0.3]), 133)))


def test_time_going_backwards_restarts_the_filter() -> None:
    f = OneEuroFilter()
    f(np.array([0.2]), 1000)
    assert f(np.array([0.9]), 500)[0] == pytest.approx(0.9)


@pytest.mark.parametrize("params", [{"min_cutoff_hz": 0.0}, {"d_cutoff_hz": -1.0}, {"beta": -0.1}])
def test_a_filter_that_cannot_work_is_refused(params: dict[str, float]) -> None:
    with pytest.raises(ConfigError):
        OneEuroFilter(**params)


def test_an_unknown_filter_is_refused_naming_the_ones_there_are() -> None:
    with pytest.raises(ConfigError, match="one-euro"):
        make_filter("kalman")


def _pose(y: float) -> Pose:
    xy = np.column_stack([np.linspace(100, 400, NUM_LANDMARKS), np.full(NUM_LANDMARKS, y)]).astype(np.float32)
    return Pose(image_xy=xy, world_xyz=np.zeros((NUM_LANDMARKS, 3), np.float32),
                visibility=np.ones(NUM_LANDMARKS, np.float32), presence=np.ones(NUM_LANDMARKS, np.float32))


def test_the_pose_smoother_restarts_after_a_gap_instead_of_gliding() -> None:
    """The person steps out for longer than ``max_gap_ms`` and comes back elsewhere: the first frame back is
    where they are; after a gap shorter than that the filter carries on (and smooths the jump)."""
    for gap_ms, glides in ((700.0, False), (200.0, True)):
        smoother = PoseSmoother(SmoothingSettings(max_gap_ms=500.0), frame_height_px=480.0)
        for k in range(10):
            smoother(_pose(200.0), k * 33.0)
        assert smoother(None, 297.0 + gap_ms / 2) is None
        back = smoother(_pose(300.0), 297.0 + gap_ms)
        assert back is not None
        assert (float(back.image_xy[0, 1]) < 299.0) is glides


def test_the_world_landmarks_pass_through_as_the_model_gave_them() -> None:
    smoother = PoseSmoother(frame_height_px=480.0)
    first = _pose(200.0)
    smoother(first, 0.0)
    moved = _pose(240.0)
    moved.world_xyz[:] = 0.5
    out = smoother(moved, 33.0)
    assert out is not None
    assert np.array_equal(out.world_xyz, moved.world_xyz)
    assert 200.0 < float(out.image_xy[0, 1]) < 240.0  # the pixels are filtered
