"""Drawing only: ndarray in, ndarray out. Knows nothing of thresholds beyond what :class:`OverlayState`
hands it; every number on screen comes from the engine or the coach."""

from __future__ import annotations

from dataclasses import dataclass, field

import cv2
import numpy as np

from posecount.exercises.engine import Phase, SideState
from posecount.exercises.spec import SIDES, Side
from posecount.pose import SKELETON, Pose

WHITE = (255, 255, 255)
BLACK = (0, 0, 0)
GREEN = (80, 200, 80)
ORANGE = (0, 160, 255)
RED = (60, 60, 230)
GREY = (160, 160, 160)
LEG_LANDMARKS: dict[Side, tuple[int, ...]] = {"left": (23, 25, 27, 29, 31), "right": (24, 26, 28, 30, 32)}


@dataclass(frozen=True)
class OverlayState:
    """Everything the screen shows, decided elsewhere."""

    title: str
    drive_label: str
    sides: dict[Side, SideState]
    start_deg: float
    target_deg: float
    min_hold_s: float
    goal_per_side: int
    working_side: Side | None = None
    message: str | None = None
    message_tone: str = "step"
    view_ok: bool = True
    fps: float | None = None
    flags: tuple[str, ...] = field(default_factory=tuple)  # e.g. "paused", "muted"


def draw_overlay(image: np.ndarray, pose: Pose | None, state: OverlayState, mirror: bool = False) -> np.ndarray:
    """Return a copy of ``image`` with the skeleton and the coaching overlay.

    ``mirror`` flips the image for display (a selfie view); labels stay the person's own left/right.
    """
    out = image.copy()
    h, w = out.shape[:2]
    scale = max(0.5, min(w, h) / 480.0)
    if pose is not None:
        _skeleton(out, pose, state, scale)
    if mirror:
        out = cv2.flip(out, 1)
    _panel(out, state, scale)
    return out


def _active_side(state: OverlayState) -> Side | None:
    if state.working_side:
        return state.working_side
    moving = [s for s in SIDES if state.sides[s].phase != Phase.REST]
    return moving[0] if moving else None


def _skeleton(img: np.ndarray, pose: Pose, state: OverlayState, scale: float) -> None:
    xy = pose.image_xy
    active = _active_side(state)
    hot = set(LEG_LANDMARKS[active]) if active else set()
    thick = max(2, int(3 * scale))
    for a, b in SKELETON:
        if not (np.isfinite(xy[a]).all() and np.isfinite(xy[b]).all()):
            continue
        colour = ORANGE if (a in hot and b in hot) else WHITE
        cv2.line(img, tuple(int(v) for v in xy[a]), tuple(int(v) for v in xy[b]), colour,
                 thick + (2 if colour == ORANGE else 0), cv2.LINE_AA)
    for i in range(11, 33):
        if np.isfinite(xy[i]).all():
            cv2.circle(img, (int(xy[i][0]), int(xy[i][1])), thick + 1, ORANGE if i in hot else GREEN, -1, cv2.LINE_AA)


def _text(img: np.ndarray, text: str, org: tuple[int, int], size: float, colour: tuple[int, int, int],
          thick: int) -> None:
    cv2.putText(img, text, org, cv2.FONT_HERSHEY_SIMPLEX, size, BLACK, thick + 3, cv2.LINE_AA)
    cv2.putText(img, text, org, cv2.FONT_HERSHEY_SIMPLEX, size, colour, thick, cv2.LINE_AA)


def _panel(img: np.ndarray, state: OverlayState, scale: float) -> None:
    h, w = img.shape[:2]
    t = max(1, int(2 * scale))
    counts = " · ".join(f"{s.capitalize()} {state.sides[s].counted}/{state.goal_per_side}" for s in SIDES)
    _text(img, counts, (int(12 * scale), int(34 * scale)), 0.9 * scale, WHITE, t)
    active = _active_side(state)
    if active:
        st = state.sides[active]
        angle = "--" if not np.isfinite(st.angle_deg) else f"{st.angle_deg:.0f}°".replace("°", " deg")
        _text(img, f"{active} {state.drive_label}: {angle}  [{st.phase.value}]",
              (int(12 * scale), int(64 * scale)), 0.6 * scale, WHITE, max(1, t - 1))
        if st.phase == Phase.HOLDING:
            frac = min(1.0, st.hold_s / state.min_hold_s)
            x0, y0, bw, bh = int(12 * scale), int(76 * scale), int(180 * scale), int(14 * scale)
            cv2.rectangle(img, (x0, y0), (x0 + bw, y0 + bh), GREY, 1)
            cv2.rectangle(img, (x0, y0), (x0 + int(bw * frac), y0 + bh), GREEN if frac >= 1 else ORANGE, -1)
    if state.message:
        colour = {"fault": RED, "setup": ORANGE, "praise": GREEN}.get(state.message_tone, WHITE)
        size = 0.9 * scale
        (tw, _th), _ = cv2.getTextSize(state.message, cv2.FONT_HERSHEY_SIMPLEX, size, t)
        _text(img, state.message, (max(4, (w - tw) // 2), h - int(20 * scale)), size, colour, t)
    if state.fps:
        _text(img, f"{state.fps:.0f} fps", (w - int(90 * scale), int(24 * scale)), 0.5 * scale, GREY, 1)
