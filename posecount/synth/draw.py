"""Shapes → pixels: the background, the anti-aliased polygons and the sensor noise, with OpenCV.

Deterministic: the same script and frame index always give the same image (noise is seeded per frame).
"""

from __future__ import annotations

from collections.abc import Iterable

import cv2
import numpy as np

from posecount.synth.body import PROPORTIONS, floor_y_px, skeleton_at
from posecount.synth.figure import (
    BGR,
    Shape,
    chair_ahead_shapes,
    chair_behind_shapes,
    chair_front_shapes,
    chair_hand_shapes,
    chair_side_shapes,
    hex_bgr,
    person_shapes,
    shade,
)
from posecount.synth.script import MotionScript

_SHIFT = 4  # sub-pixel bits for OpenCV's anti-aliased drawing
_SCALE = 1 << _SHIFT


def draw_shapes(image: np.ndarray, shapes: Iterable[Shape]) -> None:
    for sh in shapes:
        pts = np.round(sh.points * _SCALE).astype(np.int32).reshape(-1, 1, 2)
        if sh.fill is not None:
            cv2.fillPoly(image, [pts], sh.fill, lineType=cv2.LINE_AA, shift=_SHIFT)
        if sh.outline is not None or sh.fill is None:
            color = sh.outline if sh.outline is not None else (0, 0, 0)
            thickness = max(1, round(sh.outline_px))
            cv2.polylines(image, [pts], sh.closed, color, thickness, lineType=cv2.LINE_AA, shift=_SHIFT)


def _horizon_y(script: MotionScript) -> float:
    """Where the floor meets the wall behind the person."""
    h = script.look.height_px
    back = 0.2 if script.view == "front" else 0.16
    return floor_y_px(script) - back * h


def render_background(script: MotionScript) -> np.ndarray:
    """The empty scene (no person, no chair) as a BGR image."""
    w, hgt = script.width, script.height
    sc = script.scene
    wall = np.array(hex_bgr(sc.wall), dtype=np.float32)
    floor = np.array(hex_bgr(sc.floor), dtype=np.float32)
    img = np.empty((hgt, w, 3), dtype=np.float32)
    if sc.background == "plain":
        img[:] = wall
        return img.astype(np.uint8)
    ys = np.arange(hgt, dtype=np.float32)[:, None, None] / max(hgt - 1, 1)
    if sc.background == "gradient":
        img[:] = wall * (1.08 - 0.22 * ys)
        return np.clip(img, 0, 255).astype(np.uint8)
    # "room": a softly lit wall, a floor with planks, a skirting board, a window and a picture
    hy = round(_horizon_y(script))
    xs = np.arange(w, dtype=np.float32)[None, :, None] / max(w - 1, 1)
    light = 1.06 - 0.12 * np.abs(xs - 0.35) - 0.06 * ys
    img[:] = wall * light
    fl = floor * (0.9 + 0.15 * ys)
    img[hy:] = np.broadcast_to(fl, (hgt, 1, 3))[hy:]
    out = np.clip(img, 0, 255).astype(np.uint8)
    plank = tuple(int(c) for c in shade(hex_bgr(sc.floor), 0.82))
    span = max(hgt - hy, 1)
    k = 1
    while True:
        y = hy + int(span * (k / 6.0) ** 1.6)
        if y >= hgt or k > 12:
            break
        cv2.line(out, (0, y), (w - 1, y), plank, 1, cv2.LINE_AA)
        k += 1
    skirting = tuple(int(c) for c in shade(hex_bgr(sc.wall), 1.25))
    sk_h = max(2, int(0.018 * script.look.height_px))
    cv2.rectangle(out, (0, hy - sk_h), (w - 1, hy), skirting, -1)
    cv2.line(out, (0, hy - sk_h), (w - 1, hy - sk_h), shade(hex_bgr(sc.wall), 0.8), 1, cv2.LINE_AA)
    shift = sc.decor_shift_frac
    # window (left) and a framed picture (right), both well above the person's shoulders' reach
    x0, x1 = int((0.04 + shift) * w), int((0.2 + shift) * w)
    y0, y1 = int(0.08 * hgt), int(0.42 * hgt)
    if x1 > 0 and x0 < w:
        cv2.rectangle(out, (x0, y0), (x1, y1), (238, 232, 222), -1)
        cv2.rectangle(out, (x0, y0), (x1, y1), shade(hex_bgr(sc.wall), 0.6), max(2, w // 200))
        cv2.line(out, ((x0 + x1) // 2, y0), ((x0 + x1) // 2, y1), shade(hex_bgr(sc.wall), 0.6), max(1, w // 300))
    x0, x1 = int((0.8 - shift) * w), int((0.93 - shift) * w)
    y0, y1 = int(0.14 * hgt), int(0.3 * hgt)
    if x1 > 0 and x0 < w:
        cv2.rectangle(out, (x0, y0), (x1, y1), (90, 120, 150), -1)
        cv2.rectangle(out, (x0 + 3, y0 + 3), (x1 - 3, y1 - 3), (140, 170, 110), -1)
        cv2.rectangle(out, (x0, y0), (x1, y1), (40, 50, 60), max(2, w // 220))
    return out


class FrameRenderer:
    """Renders frames of one script; caches the static background. ``render(i)`` is frame ``i``."""

    def __init__(self, script: MotionScript) -> None:
        self.script = script
        self._background = render_background(script)
        chair = script.scene.chair
        # seated: the chair is behind the person, part of the static scene; standing: in front of them
        if chair and script.view != "front":
            if script.exercise in ("mini-squat", "standing-hamstring-curl"):  # side-on, the chair ahead
                draw_shapes(self._background, chair_ahead_shapes(script))
            elif script.exercise != "four-stage-balance":
                draw_shapes(self._background, chair_side_shapes(script))
        if chair and script.from_behind:  # the chair beyond the person
            draw_shapes(self._background, chair_behind_shapes(script))
        self._chair_front: list[Shape] = (chair_front_shapes(script)
                                          if (chair and script.view == "front" and not script.from_behind) else [])

    def render(self, index: int) -> np.ndarray:
        s = self.script
        img = self._background.copy()
        sk = skeleton_at(s, s.frame_time_s(index), PROPORTIONS)
        if sk is not None:
            draw_shapes(img, person_shapes(s, sk))
        draw_shapes(img, self._chair_front)
        if sk is not None and self._chair_front:
            draw_shapes(img, chair_hand_shapes(s, sk))  # fingers over a designed chair's rail (none for rail)
        return add_noise(img, s.scene.noise_sigma, (s.seed, index))

    def background(self) -> np.ndarray:
        return self._background.copy()


def add_noise(image: np.ndarray, sigma: float, key: tuple[int, int]) -> np.ndarray:
    """Gaussian sensor noise, seeded by ``key`` (seed, frame index) so every run gives the same pixels."""
    if sigma <= 0:
        return image
    rng = np.random.Generator(np.random.PCG64(list(key)))
    noise = rng.standard_normal(image.shape, dtype=np.float32) * np.float32(sigma)
    return np.clip(image.astype(np.float32) + noise, 0, 255).astype(np.uint8)


def render_frame(script: MotionScript, index: int) -> np.ndarray:
    """Frame ``index`` of ``script`` as a BGR image (convenience; use :class:`FrameRenderer` for many)."""
    return FrameRenderer(script).render(index)


__all__ = ["BGR", "FrameRenderer", "add_noise", "draw_shapes", "render_background", "render_frame"]
