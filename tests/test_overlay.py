"""The overlay: drawing only, on synthetic frames and hand-made poses."""

from __future__ import annotations

import math

import numpy as np
import pytest

from posecount import overlay
from posecount.exercises.engine import Phase, SideState
from posecount.overlay import GREEN, ORANGE, OverlayState, draw_overlay, drawable_text, gauge_range_deg, put_text
from posecount.pose import Pose


def _frame(h: int = 720, w: int = 1280) -> np.ndarray:
    """A bright, left-right asymmetric test picture (BGR uint8)."""
    x = np.linspace(120, 240, w, dtype=np.float32)
    img = np.empty((h, w, 3), np.uint8)
    img[..., 0] = x[None, :].astype(np.uint8)
    img[..., 1] = 200
    img[..., 2] = np.linspace(230, 150, h, dtype=np.float32)[:, None].astype(np.uint8)
    return img


def _state(**kw: object) -> OverlayState:
    sides = {"left": SideState("left", phase=Phase.HOLDING, value=27.0, peak=28.0, hold_s=1.2, counted=4),
             "right": SideState("right", phase=Phase.REST, value=3.0, counted=3)}
    base: dict[str, object] = dict(title="Standing side leg raise", drive_label="hip abduction", sides=sides,
                                   start_line=10.0, target_line=20.0, min_hold_s=2.0, goal_per_side=10,
                                   message="Hold… 1 s", message_tone="step", fps=29.5)
    base.update(kw)
    return OverlayState(**base)  # type: ignore[arg-type]


def _pose(w: int = 1280, h: int = 720) -> Pose:
    """A standing figure facing the camera, its left leg (image right) lifted to the side."""
    xy = np.full((33, 2), np.nan, np.float32)
    cx = w / 2
    pts = {11: (cx + 80, 200), 12: (cx - 80, 200), 13: (cx + 100, 300), 14: (cx - 100, 300), 15: (cx + 110, 390),
           16: (cx - 110, 390), 23: (cx + 50, 400), 24: (cx - 50, 400), 25: (cx + 110, 510), 26: (cx - 55, 530),
           27: (cx + 170, 620), 28: (cx - 60, 660), 29: (cx + 175, 635), 30: (cx - 65, 675), 31: (cx + 190, 640),
           32: (cx - 40, 680), 0: (cx, 120), 7: (cx + 30, 115), 8: (cx - 30, 115)}
    for i, p in pts.items():
        xy[i] = p
    xy[:, 0] *= w / 1280
    xy[:, 1] *= h / 720
    return Pose(image_xy=xy, world_xyz=np.zeros((33, 3), np.float32), visibility=np.ones(33, np.float32),
                presence=np.ones(33, np.float32))


def _near(img: np.ndarray, colour: tuple[int, int, int], tol: int = 30) -> np.ndarray:
    return (np.abs(img.astype(np.int16) - np.array(colour, np.int16)) <= tol).all(axis=-1)


@pytest.mark.parametrize("hw", [(720, 1280), (480, 640), (640, 480), (1080, 1920), (120, 160)])
def test_same_shape_copy_and_panels_drawn(hw: tuple[int, int]) -> None:
    h, w = hw
    img = _frame(h, w)
    before = img.copy()
    out = draw_overlay(img, None, _state())
    assert out.shape == img.shape and out.dtype == np.uint8
    assert np.array_equal(img, before), "the input must not be drawn on"
    changed = (np.abs(out.astype(np.int16) - img).max(axis=-1) > 10)
    top_bar = changed[: max(2, min(h, w) // 16), :]
    assert top_bar.mean() > 0.9, "the top bar (counts) covers the top of the frame"
    assert changed[h // 6: h // 2, w - max(2, w // 12):].mean() > 0.5, "the gauge column is on the right"
    assert changed[-max(2, h // 16):, :].mean() > 0.9, "the message banner is at the bottom"
    # The picture itself stays visible: the middle left is untouched without a pose or a set-up problem.
    assert changed[h // 3: h // 2, w // 10: w // 3].mean() < 0.02


def test_overlay_scales_with_the_frame() -> None:
    small = draw_overlay(_frame(360, 640), None, _state())
    big = draw_overlay(_frame(720, 1280), None, _state())

    def bar_rows(out: np.ndarray, ref: np.ndarray) -> int:
        dark = out[:, :, :].astype(int).sum(axis=-1) < ref.astype(int).sum(axis=-1) - 60
        return int(np.argmin(dark.mean(axis=1) > 0.5))

    assert bar_rows(big, _frame(720, 1280)) == pytest.approx(2 * bar_rows(small, _frame(360, 640)), abs=3)


def test_pose_none_nan_angles_and_nan_landmarks() -> None:
    sides = {"left": SideState("left", value=math.nan), "right": SideState("right", value=math.nan)}
    out = draw_overlay(_frame(), None, _state(sides=sides, message=None, fps=None))
    assert out.shape == (720, 1280, 3)
    pose = _pose()
    xy = pose.image_xy.copy()
    xy[25] = np.nan  # a knee not found
    nan_pose = Pose(xy, pose.world_xyz, pose.visibility, pose.presence)
    state = _state(sides=sides, fps=math.nan)
    out2 = draw_overlay(_frame(), nan_pose, state)
    assert out2.shape == (720, 1280, 3)
    # Only the bones to the missing knee are left out; the rest of the skeleton is drawn.
    bare = draw_overlay(_frame(), None, state)

    def drawn_at(a: int, b: int) -> bool:
        x, y = ((pose.image_xy[a] + pose.image_xy[b]) / 2).astype(int)
        return bool(np.abs(out2[y - 2: y + 3, x - 2: x + 3].astype(int) - bare[y - 2: y + 3, x - 2: x + 3]).max() > 40)

    assert drawn_at(24, 26) and drawn_at(26, 28), "the right leg"
    assert not drawn_at(23, 25) and not drawn_at(25, 27), "no bone to or from the missing left knee"


def test_working_leg_highlighted() -> None:
    pose = _pose()
    out = draw_overlay(_frame(), pose, _state(message=None))  # left is holding: the left leg is hot
    left_knee_to_ankle = ((pose.image_xy[25] + pose.image_xy[27]) / 2).astype(int)
    right_knee_to_ankle = ((pose.image_xy[26] + pose.image_xy[28]) / 2).astype(int)
    x, y = left_knee_to_ankle
    assert _near(out[y - 3: y + 4, x - 3: x + 4], ORANGE).any()
    x, y = right_knee_to_ankle
    assert not _near(out[y - 3: y + 4, x - 3: x + 4], ORANGE).any()
    assert _near(out[y - 3: y + 4, x - 3: x + 4], (255, 255, 255), 20).any()


def test_mirror_flips_the_picture_not_the_panel() -> None:
    img = _frame()
    plain = draw_overlay(img, None, _state())
    mirrored = draw_overlay(img, None, _state(), mirror=True)
    band = slice(260, 360)
    assert np.array_equal(mirrored[band, 100:500], img[band, ::-1][:, 100:500])
    assert not np.array_equal(mirrored[band, 100:500], img[band, 100:500])
    # The panel reads the same either way (the top bar is shaded from the same, mirrored, picture).
    assert np.abs(plain[:60, :700].astype(int) - mirrored[:60, :700]).mean() < 12


def test_mirror_keeps_left_leg_tag_on_the_left_leg() -> None:
    pose = _pose()
    out = draw_overlay(_frame(), pose, _state(message=None), mirror=True)
    # The person's left knee is at image-right; mirrored, it is at display-left, and the skeleton follows.
    kx, ky = pose.image_xy[25]
    mx = int(1280 - 1 - kx)
    assert _near(out[int(ky) - 4: int(ky) + 5, mx - 4: mx + 5], ORANGE).any()


def test_setup_guidance_is_prominent() -> None:
    img = _frame()
    ok = draw_overlay(img, None, _state())
    bad = draw_overlay(img, None, _state(view_ok=False, view_issue="Step back until your feet are visible",
                                         message="Step back until your feet are visible", message_tone="setup"))
    centre = (slice(330, 390), slice(200, 1000))
    assert np.abs(bad[centre].astype(int) - ok[centre]).mean() > 40
    assert _near(bad[centre], ORANGE, 40).sum() > 500, "the instruction is written big, in the set-up colour"
    # Shown once, in the centre: the bottom banner does not repeat it.
    assert not _near(bad[-60:, :], ORANGE, 40).any()


def test_hold_ring_and_target_band() -> None:
    img = _frame()
    holding = draw_overlay(img, None, _state())
    resting_sides = {"left": SideState("left", value=2.0), "right": SideState("right", value=3.0)}
    resting = draw_overlay(img, None, _state(sides=resting_sides))
    ring_area = (slice(150, 560), slice(900, 1090))
    assert _near(holding[ring_area], ORANGE, 30).sum() > 300, "a part-filled ring beside the gauge"
    assert not _near(resting[ring_area], ORANGE, 30).any()
    full = draw_overlay(img, None, _state(sides={**_state().sides, "left": SideState(
        "left", phase=Phase.HOLDING, value=27.0, hold_s=2.5, counted=4)}))
    assert _near(full[ring_area], GREEN, 25).sum() > _near(holding[ring_area], GREEN, 25).sum() + 300


def test_banner_over_everything() -> None:
    img = _frame()
    out = draw_overlay(img, _pose(), _state(banner="Paused - press space to continue"))
    assert out[300:420, 100:1100].mean() < img[300:420, 100:1100].mean() * 0.6


@pytest.mark.parametrize(("text", "native", "expected"), [
    ("Hold… 2 s", False, "Hold... 2 s"),
    ("23°", False, "23°"),
    ("Left 1/10 · Right 2/10", False, "Left 1/10 · Right 2/10"),
    ("Genou tendu, très bien ✓", False, "Genou tendu, tres bien "),
    ("Hold… 2 s", True, "Hold… 2 s"),
    ("très bien ✓", True, "très bien "),
])
def test_drawable_text(text: str, native: bool, expected: str) -> None:
    assert drawable_text(text, native=native) == expected


@pytest.mark.parametrize("native", [True, False])
def test_degree_sign_is_drawn(monkeypatch: pytest.MonkeyPatch, native: bool) -> None:
    monkeypatch.setattr(overlay, "NATIVE_UNICODE", native)
    a = np.zeros((80, 200, 3), np.uint8)
    b = np.zeros((80, 200, 3), np.uint8)
    wa = put_text(a, "23", (10, 60), 1.5, (255, 255, 255), 3)
    wb = put_text(b, "23°", (10, 60), 1.5, (255, 255, 255), 3)
    assert wb > wa
    assert b[:, 10 + wa:].any(), "something is drawn after the digits"
    assert not b[:, 10 + wa:].all()


def test_gauge_range_contains_both_thresholds() -> None:
    for start, target in [(10, 20), (115, 150), (0, 5), (160, 180)]:
        lo, hi = gauge_range_deg(start, target)
        assert lo <= start < target < hi
