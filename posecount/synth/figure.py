"""Skeleton → shapes: the mannequin, the chair and the room as coloured polygons, back to front.

Pure geometry: every shape is a polygon (pixel coordinates) with a fill and an outline colour. Drawing
them is :mod:`posecount.synth.draw`'s job. Limbs are tapered capsules with a darker outline and a lighter
stripe so they separate from each other; the far side of a side view is darker.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from posecount.synth.body import (
    PROPORTIONS,
    Proportions,
    Skeleton,
    chair_anchor_front,
    chair_floor_front_px,
    floor_y_px,
)
from posecount.synth.chairs import chair_parts
from posecount.synth.script import MotionScript

BGR = tuple[int, int, int]
Point = tuple[float, float]

FAR_SHADE = 0.72
OUTLINE_SHADE = 0.55


@dataclass(frozen=True)
class Shape:
    """A filled polygon (or an open polyline when ``fill`` is None), in pixels."""

    points: np.ndarray  # (N, 2) float64
    fill: BGR | None
    outline: BGR | None = None
    outline_px: float = 1.0
    closed: bool = True


def hex_bgr(color: str) -> BGR:
    c = color.lstrip("#")
    if len(c) != 6:
        raise ValueError(f"colour {color!r}: expected #rrggbb")
    r, g, b = (int(c[i:i + 2], 16) for i in (0, 2, 4))
    return (b, g, r)


def shade(color: BGR, factor: float) -> BGR:
    if factor <= 1.0:
        return tuple(round(c * factor) for c in color)  # type: ignore[return-value]
    return tuple(round(c + (255 - c) * (factor - 1.0)) for c in color)  # type: ignore[return-value]


# -- primitives ------------------------------------------------------------------------------------------
def capsule(a: Point, b: Point, ra: float, rb: float, n: int = 10) -> np.ndarray:
    """A tapered capsule around the segment a→b (radii ra at a, rb at b), as a convex polygon."""
    ax, ay = a
    bx, by = b
    d = math.hypot(bx - ax, by - ay)
    ang = math.atan2(by - ay, bx - ax) if d > 1e-9 else 0.0
    # tangent offset of the two circles' common tangent
    s = (ra - rb) / d if d > abs(ra - rb) else 0.0
    phi = math.acos(max(-1.0, min(1.0, s)))
    pts: list[Point] = []
    for k in range(n + 1):  # around b: from +phi to 2pi - phi (the far cap)
        t = ang - phi + (2 * phi) * k / n
        pts.append((bx + rb * math.cos(t), by + rb * math.sin(t)))
    for k in range(n + 1):  # around a: the rest of the circle
        t = ang + phi + (2 * math.pi - 2 * phi) * k / n
        pts.append((ax + ra * math.cos(t), ay + ra * math.sin(t)))
    return np.array(pts, dtype=np.float64)


def ellipse(c: Point, rx: float, ry: float, up: Point = (0.0, -1.0), n: int = 28,
            t0_deg: float = 0.0, t1_deg: float = 360.0, across: Point | None = None) -> np.ndarray:
    """Points of an ellipse centred at c with half-axes rx (along ``across``) and ry (along ``up``).

    ``across`` defaults to ``up`` turned a quarter (image +x when up is -y); angles run from across to up.
    """
    ux, uy = up
    ax, ay = across if across is not None else (-uy, ux)
    out = []
    for k in range(n + 1 if t1_deg - t0_deg < 360 else n):
        t = math.radians(t0_deg + (t1_deg - t0_deg) * k / n)
        x, y = rx * math.cos(t), ry * math.sin(t)
        out.append((c[0] + ax * x + ux * y, c[1] + ay * x + uy * y))
    return np.array(out, dtype=np.float64)


def frame_points(origin: Point, x_axis: Point, y_axis: Point, scale: float,
                 pts: list[tuple[float, float]]) -> np.ndarray:
    """Map (x, y) in a local frame (units of ``scale`` pixels) to image pixels."""
    return np.array([(origin[0] + (x_axis[0] * x + y_axis[0] * y) * scale,
                      origin[1] + (x_axis[1] * x + y_axis[1] * y) * scale) for x, y in pts], dtype=np.float64)


@dataclass(frozen=True)
class Palette:
    skin: BGR
    hair: BGR
    shirt: BGR
    trousers: BGR
    shoes: BGR

    def darker(self, f: float) -> Palette:
        return Palette(*(shade(c, f) for c in (self.skin, self.hair, self.shirt, self.trousers, self.shoes)))


def palette_of(script: MotionScript) -> Palette:
    lk = script.look
    return Palette(hex_bgr(lk.skin), hex_bgr(lk.hair), hex_bgr(lk.shirt), hex_bgr(lk.trousers), hex_bgr(lk.shoes))


def _limb(out: list[Shape], a: Point, b: Point, ra: float, rb: float, color: BGR, h: float,
          highlight: bool = True) -> None:
    lw = max(1.0, 0.0045 * h)
    out.append(Shape(capsule(a, b, ra, rb), color, shade(color, OUTLINE_SHADE), lw))
    if highlight and min(ra, rb) > 3.0:
        # a lighter stripe toward the upper left: reads as a rounded limb
        dx, dy = b[0] - a[0], b[1] - a[1]
        d = math.hypot(dx, dy) or 1.0
        nx, ny = -dy / d, dx / d
        if nx + ny > 0:
            nx, ny = -nx, -ny
        k = 0.35
        a2 = (a[0] + nx * ra * k + dx * 0.08, a[1] + ny * ra * k + dy * 0.08)
        b2 = (b[0] + nx * rb * k - dx * 0.08, b[1] + ny * rb * k - dy * 0.08)
        out.append(Shape(capsule(a2, b2, ra * 0.3, rb * 0.3, n=6), shade(color, 1.18)))


# -- the person ------------------------------------------------------------------------------------------
def person_shapes(script: MotionScript, sk: Skeleton, props: Proportions = PROPORTIONS) -> list[Shape]:
    if sk.view == "front":
        if sk.extra.get("from_behind"):
            return _back_person(script, sk, props)
        return _front_person(script, sk, props)
    return _side_person(script, sk, props)


def _lifted_side(script: MotionScript, sk: Skeleton) -> str | None:
    """standing-march: the leg whose knee comes up toward the camera (drawn over the pelvis and the shirt)."""
    if script.exercise != "standing-march":
        return None
    pts = sk.points
    rise = {s: pts[f"{s}_knee"][1] - pts[f"{s}_hip"][1] for s in ("left", "right")}
    side = min(rise, key=lambda s: rise[s])
    return side if rise[side] < 0.2 * sk.height_px else None


def _front_person(script: MotionScript, sk: Skeleton, p: Proportions) -> list[Shape]:
    pal = palette_of(script)
    h = sk.height_px
    pts = sk.points
    out: list[Shape] = []
    lw = max(1.0, 0.0045 * h)
    lifted = _lifted_side(script, sk)
    # legs: shanks, shoes, thighs (trousers)
    for side in ("left", "right"):
        if side == lifted:
            continue
        _limb(out, pts[f"{side}_knee"], pts[f"{side}_ankle"], 0.031 * h, 0.022 * h, pal.trousers, h)
        out.append(Shape(capsule(pts[f"{side}_ankle"], pts[f"{side}_foot_index"], 0.024 * h, 0.03 * h),
                         pal.shoes, shade(pal.shoes, OUTLINE_SHADE), lw))
        _limb(out, pts[f"{side}_hip"], pts[f"{side}_knee"], 0.047 * h, 0.032 * h, pal.trousers, h)
    _front_trunk_and_head(out, sk, pal, h, lw)
    if lifted:  # the lifted leg comes toward the camera: over the pelvis and the shirt, the knee nearest
        _limb(out, pts[f"{lifted}_knee"], pts[f"{lifted}_ankle"], 0.033 * h, 0.023 * h, pal.trousers, h)
        out.append(Shape(capsule(pts[f"{lifted}_ankle"], pts[f"{lifted}_foot_index"], 0.025 * h, 0.031 * h),
                         pal.shoes, shade(pal.shoes, OUTLINE_SHADE), lw))
        _limb(out, pts[f"{lifted}_hip"], pts[f"{lifted}_knee"], 0.047 * h, 0.04 * h, pal.trousers, h)
    _front_arms(out, sk, pal, h, lw)
    return out


def _front_trunk_and_head(out: list[Shape], sk: Skeleton, pal: Palette, h: float, lw: float) -> None:
    pts = sk.points
    # pelvis (trousers), level
    mid = pts["mid_hip"]
    out.append(Shape(frame_points(mid, (1, 0), (0, -1), h, [
        (-0.104, 0.085), (0.104, 0.085), (0.108, 0.0), (0.09, -0.045), (0.0, -0.06), (-0.09, -0.045),
        (-0.108, 0.0)]), pal.trousers, shade(pal.trousers, OUTLINE_SHADE), lw))
    up = sk.trunk_up
    across = (-up[1], up[0])
    # torso (shirt), rotated with the trunk about mid-hip
    torso = frame_points(mid, across, up, h, [
        (-0.058, 0.312), (-0.118, 0.296), (-0.128, 0.262), (-0.112, 0.18), (-0.097, 0.1), (-0.1, 0.0),
        (0.1, 0.0), (0.097, 0.1), (0.112, 0.18), (0.128, 0.262), (0.118, 0.296), (0.058, 0.312)])
    out.append(Shape(torso, pal.shirt, shade(pal.shirt, OUTLINE_SHADE), lw))
    # a belt line and a collar make the trunk read as clothing, not a blob
    out.append(Shape(frame_points(mid, across, up, h, [(-0.098, 0.03), (0.098, 0.03)]), None,
                     shade(pal.shirt, 0.7), max(1.0, 0.006 * h), closed=False))
    # neck and head
    head_c = pts["head_center"]
    neck_top = (head_c[0] - up[0] * 0.045 * h, head_c[1] - up[1] * 0.045 * h)
    neck_base = (pts["mid_shoulder"][0] + up[0] * 0.005 * h, pts["mid_shoulder"][1] + up[1] * 0.005 * h)
    out.append(Shape(capsule(neck_base, neck_top, 0.024 * h, 0.021 * h), pal.skin, shade(pal.skin, 0.7), lw))
    out.append(Shape(frame_points(mid, across, up, h, [(-0.045, 0.303), (0.0, 0.285), (0.045, 0.303)]),
                     None, shade(pal.shirt, 0.6), max(1.0, 0.005 * h), closed=False))
    out.extend(_front_head(head_c, up, h, pal))


def _front_arms(out: list[Shape], sk: Skeleton, pal: Palette, h: float, lw: float) -> None:
    pts = sk.points
    # arms: upper arm (sleeve), forearm and hand (skin)
    for side in ("left", "right"):
        _limb(out, pts[f"{side}_shoulder"], pts[f"{side}_elbow"], 0.027 * h, 0.022 * h, pal.shirt, h)
        _limb(out, pts[f"{side}_elbow"], pts[f"{side}_wrist"], 0.02 * h, 0.016 * h, pal.skin, h)
        out.append(Shape(capsule(pts[f"{side}_wrist"], pts[f"{side}_hand_tip"], 0.018 * h, 0.015 * h),
                         pal.skin, shade(pal.skin, 0.7), lw))


def _back_person(script: MotionScript, sk: Skeleton, p: Proportions) -> list[Shape]:
    """A standing person seen from behind: the heels nearest, the back of the head, the arms reaching forward
    (past the trunk, to the chair beyond)."""
    pal = palette_of(script)
    h = sk.height_px
    pts = sk.points
    lw = max(1.0, 0.0045 * h)
    out: list[Shape] = []
    for side in ("left", "right"):  # the arms first: the trunk hides their inner part
        _limb(out, pts[f"{side}_shoulder"], pts[f"{side}_elbow"], 0.027 * h, 0.022 * h, pal.shirt, h)
        _limb(out, pts[f"{side}_elbow"], pts[f"{side}_wrist"], 0.02 * h, 0.016 * h, pal.skin, h)
    for side in ("left", "right"):
        _limb(out, pts[f"{side}_knee"], pts[f"{side}_ankle"], 0.031 * h, 0.022 * h, pal.trousers, h)
        out.append(Shape(capsule(pts[f"{side}_foot_index"], pts[f"{side}_heel"], 0.025 * h, 0.028 * h),
                         pal.shoes, shade(pal.shoes, OUTLINE_SHADE), lw))
        _limb(out, pts[f"{side}_hip"], pts[f"{side}_knee"], 0.047 * h, 0.032 * h, pal.trousers, h)
    mid = pts["mid_hip"]
    out.append(Shape(frame_points(mid, (1, 0), (0, -1), h, [
        (-0.104, 0.085), (0.104, 0.085), (0.108, 0.0), (0.095, -0.05), (0.0, -0.062), (-0.095, -0.05),
        (-0.108, 0.0)]), pal.trousers, shade(pal.trousers, OUTLINE_SHADE), lw))
    up = sk.trunk_up
    across = (-up[1], up[0])
    out.append(Shape(frame_points(mid, across, up, h, [
        (-0.06, 0.314), (-0.118, 0.296), (-0.128, 0.262), (-0.112, 0.18), (-0.097, 0.1), (-0.1, 0.0),
        (0.1, 0.0), (0.097, 0.1), (0.112, 0.18), (0.128, 0.262), (0.118, 0.296), (0.06, 0.314)]),
        pal.shirt, shade(pal.shirt, OUTLINE_SHADE), lw))
    out.append(Shape(frame_points(mid, across, up, h, [(0.0, 0.05), (0.0, 0.27)]), None, shade(pal.shirt, 0.8),
                     max(1.0, 0.004 * h), closed=False))  # the shirt's back seam
    head_c = pts["head_center"]
    neck_top = (head_c[0] - up[0] * 0.045 * h, head_c[1] - up[1] * 0.045 * h)
    neck_base = (pts["mid_shoulder"][0] + up[0] * 0.005 * h, pts["mid_shoulder"][1] + up[1] * 0.005 * h)
    out.append(Shape(capsule(neck_base, neck_top, 0.024 * h, 0.021 * h), pal.skin, shade(pal.skin, 0.7), lw))

    def at(x: float, y: float) -> Point:
        return (head_c[0] + (across[0] * x + up[0] * y) * h, head_c[1] + (across[1] * x + up[1] * y) * h)

    for s in (-1, 1):
        out.append(Shape(ellipse(at(s * 0.048, -0.002), 0.01 * h, 0.017 * h, up, n=14), pal.skin,
                         shade(pal.skin, 0.65), lw))
    out.append(Shape(ellipse(at(0, 0.004), 0.053 * h, 0.069 * h, up), pal.hair, shade(pal.hair, 0.6), lw))
    for side in ("left", "right"):  # the hands on the chair's rail, beside the trunk
        out.append(Shape(capsule(pts[f"{side}_wrist"], pts[f"{side}_hand_tip"], 0.018 * h, 0.015 * h),
                         pal.skin, shade(pal.skin, 0.7), lw))
    return out


def _front_head(c: Point, up: Point, h: float, pal: Palette) -> list[Shape]:
    across = (-up[1], up[0])
    lw = max(1.0, 0.004 * h)

    def at(x: float, y: float) -> Point:
        return (c[0] + (across[0] * x + up[0] * y) * h, c[1] + (across[1] * x + up[1] * y) * h)

    out: list[Shape] = []
    out.append(Shape(ellipse(at(0, 0.006), 0.052 * h, 0.07 * h, up), pal.hair, shade(pal.hair, 0.6), lw))
    for s in (-1, 1):
        out.append(Shape(ellipse(at(s * 0.046, -0.002), 0.009 * h, 0.016 * h, up, n=14), pal.skin,
                         shade(pal.skin, 0.65), lw))
    out.append(Shape(ellipse(at(0, -0.004), 0.045 * h, 0.062 * h, up), pal.skin, shade(pal.skin, 0.65), lw))
    # hair over the forehead: the top of the hair ellipse down to a fringe line
    cap = ellipse(at(0, 0.006), 0.052 * h, 0.07 * h, up, n=20, t0_deg=15, t1_deg=165)
    fringe = np.array([at(-0.04, 0.03), at(-0.015, 0.024), at(0.015, 0.026), at(0.045, 0.032)])
    out.append(Shape(np.vstack([cap, fringe]), pal.hair, shade(pal.hair, 0.6), lw))
    white: BGR = (235, 238, 240)
    iris: BGR = (50, 40, 35)
    brow = shade(pal.hair, 0.8)
    for s in (-1, 1):
        out.append(Shape(ellipse(at(s * 0.0175, 0.006), 0.0085 * h, 0.0048 * h, up, n=14), white,
                         shade(pal.skin, 0.45), max(1.0, 0.0025 * h)))
        out.append(Shape(ellipse(at(s * 0.0175, 0.0055), 0.0037 * h, 0.0037 * h, up, n=10), iris))
        out.append(Shape(np.array([at(s * 0.008, 0.016), at(s * 0.018, 0.019), at(s * 0.028, 0.016)]), None,
                         brow, max(1.0, 0.004 * h), closed=False))
    nose = shade(pal.skin, 0.72)
    out.append(Shape(np.array([at(-0.004, 0.004), at(-0.007, -0.013), at(0.0, -0.016), at(0.007, -0.013),
                               at(0.004, 0.004)]), None, nose, max(1.0, 0.003 * h), closed=False))
    out.append(Shape(ellipse(at(0, -0.031), 0.013 * h, 0.0045 * h, up, n=14), (70, 70, 160),
                     (50, 50, 120), max(1.0, 0.002 * h)))
    return out


def _side_person(script: MotionScript, sk: Skeleton, p: Proportions) -> list[Shape]:
    pal = palette_of(script)
    far_pal = pal.darker(FAR_SHADE)
    h = sk.height_px
    pts = sk.points
    f = float(sk.facing)
    near = sk.near_side or "right"
    far = "left" if near == "right" else "right"
    lw = max(1.0, 0.0045 * h)
    out: list[Shape] = []

    def arm(side: str, pl: Palette) -> None:
        _limb(out, pts[f"{side}_shoulder"], pts[f"{side}_elbow"], 0.028 * h, 0.022 * h, pl.shirt, h)
        _limb(out, pts[f"{side}_elbow"], pts[f"{side}_wrist"], 0.021 * h, 0.016 * h, pl.skin, h)
        out.append(Shape(capsule(pts[f"{side}_wrist"], pts[f"{side}_hand_tip"], 0.019 * h, 0.014 * h),
                         pl.skin, shade(pl.skin, 0.7), lw))

    def leg(side: str, pl: Palette) -> None:
        hip, knee, ankle = pts[f"{side}_hip"], pts[f"{side}_knee"], pts[f"{side}_ankle"]
        _limb(out, knee, ankle, 0.034 * h, 0.022 * h, pl.trousers, h)
        out.append(Shape(_shoe(pts, side, h), pl.shoes, shade(pl.shoes, OUTLINE_SHADE), lw))
        back = (hip[0] - f * 0.03 * h, hip[1])
        _limb(out, back, knee, 0.06 * h, 0.036 * h, pl.trousers, h)

    crossed = sk.extra.get("arms_crossed", 0.0) > 0.5 and sk.extra.get("push", 0.0) < 0.5
    if crossed:  # the far upper arm behind the trunk; its forearm crosses in front of the chest (below)
        _limb(out, pts[f"{far}_shoulder"], pts[f"{far}_elbow"], 0.028 * h, 0.022 * h, far_pal.shirt, h)
    else:
        arm(far, far_pal)
    leg(far, far_pal)
    # torso: a profile polygon in the trunk's frame (x forward, y up), origin at the near hip
    up = sk.trunk_up
    fwd = (-up[1] * f, up[0] * f)
    hip = pts[f"{near}_hip"]
    pelvis = frame_points(hip, fwd, up, h, [
        (-0.092, -0.04), (-0.094, 0.06), (-0.08, 0.12), (0.075, 0.12), (0.07, 0.04), (0.05, -0.04)])
    out.append(Shape(pelvis, pal.trousers, shade(pal.trousers, OUTLINE_SHADE), lw))
    torso = frame_points(hip, fwd, up, h, [
        (-0.082, 0.07), (-0.064, 0.17), (-0.07, 0.245), (-0.052, 0.296), (-0.015, 0.316), (0.03, 0.31),
        (0.062, 0.272), (0.08, 0.2), (0.072, 0.13), (0.078, 0.07)])
    out.append(Shape(torso, pal.shirt, shade(pal.shirt, OUTLINE_SHADE), lw))
    leg(near, pal)
    # neck and head
    head_c, head_up = pts["head_center"], sk.head_up
    mid_sh = pts["mid_shoulder"]
    neck_top = (head_c[0] - head_up[0] * 0.045 * h, head_c[1] - head_up[1] * 0.045 * h)
    out.append(Shape(capsule((mid_sh[0] + up[0] * 0.0 * h, mid_sh[1] + up[1] * 0.0 * h), neck_top,
                             0.026 * h, 0.022 * h), pal.skin, shade(pal.skin, 0.7), lw))
    out.extend(_side_head(head_c, head_up, f, h, pal))
    if crossed:
        _limb(out, pts[f"{far}_elbow"], pts[f"{far}_wrist"], 0.021 * h, 0.016 * h, far_pal.skin, h)
        out.append(Shape(capsule(pts[f"{far}_wrist"], pts[f"{far}_hand_tip"], 0.019 * h, 0.014 * h),
                         far_pal.skin, shade(far_pal.skin, 0.7), lw))
    arm(near, pal)
    return out


def _shoe(pts: dict[str, Point], side: str, h: float) -> np.ndarray:
    heel, toe, ankle = pts[f"{side}_heel"], pts[f"{side}_foot_index"], pts[f"{side}_ankle"]
    fx, fy = toe[0] - heel[0], toe[1] - heel[1]
    d = math.hypot(fx, fy) or 1.0
    fwd = (fx / d, fy / d)
    # "down" of the foot: from the ankle toward the sole, perpendicular to the foot axis
    ax, ay = ankle[0] - heel[0], ankle[1] - heel[1]
    along = ax * fwd[0] + ay * fwd[1]
    down = (-(ax - along * fwd[0]), -(ay - along * fwd[1]))
    dn = math.hypot(*down) or 1.0
    down = (down[0] / dn, down[1] / dn)
    # local frame: origin at the heel landmark (back of the sole), x toward the toes, y toward the sole
    return frame_points(heel, fwd, down, h, [
        (-0.008, -0.004), (0.0, 0.006), (0.14, 0.006), (0.156, -0.006), (0.15, -0.022), (0.1, -0.034),
        (0.06, -0.05), (0.036, -0.066), (0.004, -0.064), (-0.012, -0.035)])


def _side_head(c: Point, up: Point, f: float, h: float, pal: Palette) -> list[Shape]:
    fwd = (-up[1] * f, up[0] * f)
    lw = max(1.0, 0.004 * h)

    def at(x: float, y: float) -> Point:
        return (c[0] + (fwd[0] * x + up[0] * y) * h, c[1] + (fwd[1] * x + up[1] * y) * h)

    def poly(pts: list[tuple[float, float]]) -> np.ndarray:
        return np.array([at(x, y) for x, y in pts])

    out: list[Shape] = []
    # skull and face in profile: forehead, nose, lips, chin
    skull = ellipse(at(-0.004, 0.004), 0.058 * h, 0.064 * h, up, n=28)
    face = poly([(0.03, 0.05), (0.048, 0.03), (0.05, 0.012), (0.05, 0.002), (0.063, -0.014),
                 (0.049, -0.02), (0.05, -0.028), (0.046, -0.034), (0.048, -0.04), (0.04, -0.058),
                 (0.02, -0.066), (-0.01, -0.055), (-0.02, 0.0)])
    out.append(Shape(skull, pal.skin, shade(pal.skin, 0.65), lw))
    out.append(Shape(face, pal.skin, shade(pal.skin, 0.65), lw))
    # hair: the back and top of the skull
    hair = np.vstack([ellipse(at(-0.008, 0.008), 0.062 * h, 0.07 * h, up, n=20, t0_deg=40, t1_deg=240, across=fwd),
                      poly([(-0.02, -0.02), (-0.012, 0.02), (0.012, 0.04), (0.03, 0.05)])])
    out.append(Shape(hair, pal.hair, shade(pal.hair, 0.6), lw))
    out.append(Shape(ellipse(at(-0.006, -0.002), 0.01 * h, 0.016 * h, up, n=14), pal.skin,
                     shade(pal.skin, 0.55), lw))
    out.append(Shape(ellipse(at(0.034, 0.008), 0.0065 * h, 0.0045 * h, up, n=12), (235, 238, 240),
                     shade(pal.skin, 0.45), max(1.0, 0.0025 * h)))
    out.append(Shape(ellipse(at(0.037, 0.0075), 0.0033 * h, 0.0036 * h, up, n=10), (50, 40, 35)))
    out.append(Shape(poly([(0.024, 0.019), (0.036, 0.021), (0.046, 0.018)]), None, shade(pal.hair, 0.8),
                     max(1.0, 0.004 * h), closed=False))
    out.append(Shape(poly([(0.05, -0.03), (0.04, -0.031)]), None, (50, 50, 120), max(1.0, 0.003 * h),
                     closed=False))
    return out


# -- the chair and the room ------------------------------------------------------------------------------
#: A metal chair's tubes (BGR); its seat and back band take the scene's chair colour.
STEEL: BGR = (182, 176, 170)


def chair_front_shapes(script: MotionScript, p: Proportions = PROPORTIONS) -> list[Shape]:
    """The chair in front of a standing person, by ``scene.chair_design``; ``rail``: two posts and a top rail."""
    if script.scene.chair_design != "rail":
        return _designed_chair_shapes(script, p)
    h = script.look.height_px
    col = hex_bgr(script.scene.chair_color)
    cx, rail_y = chair_anchor_front(script, p)
    floor = floor_y_px(script) + 0.035 * h  # the chair stands nearer the camera
    lw = max(1.0, 0.004 * h)
    out: list[Shape] = []
    for s in (-1, 1):
        x = cx + s * p.chair_half_width * h
        out.append(Shape(frame_points((x, floor), (1, 0), (0, -1), h, [
            (-0.011, 0.0), (0.011, 0.0), (0.011, floor / h - rail_y / h), (-0.011, floor / h - rail_y / h)]),
            col, shade(col, OUTLINE_SHADE), lw))
    out.append(Shape(frame_points((cx, rail_y), (1, 0), (0, -1), h, [
        (-0.19, 0.016), (0.19, 0.016), (0.195, -0.01), (0.19, -0.018), (-0.19, -0.018), (-0.195, -0.01)]),
        shade(col, 1.1), shade(col, OUTLINE_SHADE), lw))
    return out


def chair_side_shapes(script: MotionScript, p: Proportions = PROPORTIONS) -> list[Shape]:
    """A chair in profile under a seated person: legs, seat and a tilted backrest (far legs darker)."""
    h = script.look.height_px
    f = float(script.facing)
    col = hex_bgr(script.scene.chair_color)
    lw = max(1.0, 0.004 * h)
    floor = floor_y_px(script)
    hip = (script.look.center_x_frac * script.width, floor - (p.shank + p.ankle_height) * h)
    seat_y = hip[1] + p.seat_below_hip * h
    fwd, up = (f, 0.0), (0.0, -1.0)
    out: list[Shape] = []
    far_off = (f * p.far_forward * h * 1.4, -p.far_up * h * 1.4)
    for off, c in ((far_off, shade(col, FAR_SHADE)), ((0.0, 0.0), col)):
        for x in (-p.seat_back + 0.02, p.seat_front - 0.02):
            base = (hip[0] + f * x * h + off[0], floor + off[1])
            top_h = (floor - seat_y) / h
            out.append(Shape(frame_points(base, fwd, up, h, [(-0.011, 0), (0.011, 0), (0.011, top_h),
                                                             (-0.011, top_h)]), c, shade(c, OUTLINE_SHADE), lw))
        # backrest post, tilted back
        t = math.radians(p.backrest_tilt_deg)
        post_up = (-f * math.sin(t), -math.cos(t))
        post_fwd = (-post_up[1] * f, post_up[0] * f)
        base = (hip[0] - f * (p.seat_back - 0.012) * h + off[0], seat_y + off[1])
        out.append(Shape(frame_points(base, post_fwd, post_up, h, [
            (-0.011, 0), (0.011, 0), (0.011, p.backrest_height), (-0.011, p.backrest_height)]),
            c, shade(c, OUTLINE_SHADE), lw))
        out.append(Shape(frame_points(base, post_fwd, post_up, h, [
            (-0.016, p.backrest_height * 0.55), (0.012, p.backrest_height * 0.55),
            (0.012, p.backrest_height + 0.01), (-0.016, p.backrest_height + 0.01)]),
            shade(c, 1.1), shade(c, OUTLINE_SHADE), lw))
    out.append(Shape(frame_points((hip[0], seat_y), fwd, up, h, [
        (-p.seat_back, 0.0), (p.seat_front, 0.0), (p.seat_front + 0.008, -0.014), (p.seat_front, -0.028),
        (-p.seat_back, -0.028)]), shade(col, 1.15), shade(col, OUTLINE_SHADE), lw))
    return out


def chair_ahead_shapes(script: MotionScript, p: Proportions = PROPORTIONS) -> list[Shape]:
    """Side view: the chair in front of a standing person (mini squat, hamstring curl), facing away from them,
    its back toward them; the far side darker (:func:`posecount.synth.poses.chair_ahead_points`)."""
    from posecount.synth.poses import CHAIR_FAR_SCALE, chair_ahead_points, side_frame

    h = script.look.height_px
    col = hex_bgr(script.scene.chair_color)
    lw = max(1.0, 0.004 * h)
    c = chair_ahead_points(script, p)
    _, _, off = side_frame(script, p)
    out: list[Shape] = []
    for shift, colour in (((off[0] * CHAIR_FAR_SCALE, off[1] * CHAIR_FAR_SCALE), shade(col, FAR_SHADE)),
                          ((0.0, 0.0), col)):
        def sh(pt: Point, shift: Point = shift) -> Point:
            return (pt[0] + shift[0], pt[1] + shift[1])

        for a, b in ((c["back_foot"], c["seat_back"]), (c["front_foot"], c["seat_front"])):
            out.append(Shape(capsule(sh(a), sh(b), 0.011 * h, 0.011 * h, n=4), colour, shade(colour, OUTLINE_SHADE),
                             lw))
        out.append(Shape(capsule(sh(c["seat_back"]), sh(c["top"]), 0.012 * h, 0.012 * h, n=4), colour,
                         shade(colour, OUTLINE_SHADE), lw))
        # the back's top rail and a slat under it
        top = sh(c["top"])
        seat_b = sh(c["seat_back"])
        for k, width in ((0.0, 0.017), (0.45, 0.012)):
            q = (top[0] + (seat_b[0] - top[0]) * k * 0.5, top[1] + (seat_b[1] - top[1]) * k * 0.5)
            out.append(Shape(capsule((q[0] - 0.004 * h, q[1]), (q[0] + 0.004 * h, q[1] + 0.001 * h), width * h,
                                     width * h, n=4), shade(colour, 1.1), shade(colour, OUTLINE_SHADE), lw))
    sb, sf = c["seat_back"], c["seat_front"]
    out.append(Shape(np.array([(sb[0], sb[1]), (sf[0], sf[1]), (sf[0], sf[1] + 0.028 * h), (sb[0], sb[1] + 0.028 * h)]),
                     shade(col, 1.15), shade(col, OUTLINE_SHADE), lw))
    return out


def chair_behind_shapes(script: MotionScript, p: Proportions = PROPORTIONS) -> list[Shape]:
    """Seen from behind: the chair the person holds stands beyond them (its floor line higher, a little
    smaller); two posts and a top rail, drawn before the person."""
    h = script.look.height_px
    col = hex_bgr(script.scene.chair_color)
    cx, rail_y = chair_anchor_front(script, p)
    floor = floor_y_px(script) - 0.035 * h
    lw = max(1.0, 0.004 * h)
    out: list[Shape] = []
    for sgn in (-1, 1):
        x = cx + sgn * p.chair_half_width * 0.95 * h
        out.append(Shape(frame_points((x, floor), (1, 0), (0, -1), h, [
            (-0.01, 0.0), (0.01, 0.0), (0.01, floor / h - rail_y / h), (-0.01, floor / h - rail_y / h)]),
            col, shade(col, OUTLINE_SHADE), lw))
    out.append(Shape(frame_points((cx, rail_y), (1, 0), (0, -1), h, [
        (-0.18, 0.015), (0.18, 0.015), (0.185, -0.01), (0.18, -0.017), (-0.18, -0.017), (-0.185, -0.01)]),
        shade(col, 1.1), shade(col, OUTLINE_SHADE), lw))
    return out


def _designed_chair_shapes(script: MotionScript, p: Proportions) -> list[Shape]:
    """A chair of :mod:`posecount.synth.chairs`, coloured: wood in the chair colour, a lighter seat."""
    h = script.look.height_px
    col = hex_bgr(script.scene.chair_color)
    cx, rail_y = chair_anchor_front(script, p)
    lw = max(1.0, 0.004 * h)
    fills: dict[str, BGR] = {"wood": col, "wood_far": shade(col, 0.85), "seat": shade(col, 1.12),
                             "panel": shade(col, 1.06), "steel": STEEL}
    return [Shape(part.points, fills[part.role], shade(fills[part.role], OUTLINE_SHADE), lw)
            for part in chair_parts(script.scene.chair_design, cx, rail_y, chair_floor_front_px(script), h)]


def chair_hand_shapes(script: MotionScript, sk: Skeleton) -> list[Shape]:
    """The fingers curled over the top rail toward the camera, drawn over a designed chair (none for ``rail``)."""
    if sk.view != "front" or not script.scene.chair or script.scene.chair_design == "rail":
        return []
    h = sk.height_px
    skin = palette_of(script).skin
    out: list[Shape] = []
    for side in ("left", "right"):
        wx, wy = sk.points[f"{side}_wrist"]
        a, b = (wx, wy + 0.008 * h), (wx, wy + 0.03 * h)
        out.append(Shape(capsule(a, b, 0.018 * h, 0.016 * h), skin, shade(skin, 0.65), max(1.0, 0.004 * h)))
        for k in (-1, 0, 1):  # the gaps between the fingers
            x = wx + k * 0.0085 * h
            out.append(Shape(np.array([(x, wy + 0.018 * h), (x, wy + 0.04 * h)]), None, shade(skin, 0.7),
                             max(1.0, 0.0025 * h), closed=False))
    return out
