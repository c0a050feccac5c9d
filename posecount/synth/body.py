"""Angles → joint positions: the mannequin's 2D skeleton in image pixels, for the front and side views.

Proportions are an average adult's (Drillis & Contini segment lengths as fractions of standing height H).
Pure geometry, no drawing. Point names follow MediaPipe's landmark names with the person's own left/right
(``left_hip``, ``right_knee``, ``left_heel``, ``left_foot_index`` = toe tip, ...), plus a few helpers
(``mid_hip``, ``mid_shoulder``, ``head_center``, ``{side}_hand_tip``, ``chair_*``).
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field

import numpy as np

from posecount.synth.chairs import hand_targets
from posecount.synth.motion import angles_at, body_sway_px
from posecount.synth.script import PROGRAMME_EXERCISES, MotionScript

Point = tuple[float, float]


@dataclass(frozen=True)
class Proportions:
    """Body dimensions as fractions of the standing height (floor to top of head)."""

    hip_height: float = 0.53
    hip_half_width: float = 0.058
    trunk: float = 0.29  # mid-hip to mid-shoulder
    shoulder_half_width: float = 0.108
    neck_to_head_center: float = 0.118  # mid-shoulder to the head's centre
    head_half_height: float = 0.064
    head_half_width: float = 0.047
    thigh: float = 0.245
    shank: float = 0.246
    ankle_height: float = 0.039
    heel_back: float = 0.034
    toe_forward: float = 0.118
    upper_arm: float = 0.186
    forearm: float = 0.146
    hand: float = 0.085
    #: side view: apparent offset of the far side (the camera is a little in front and above)
    far_forward: float = 0.03
    far_up: float = 0.012
    #: seated: the chair
    seat_front: float = 0.19  # ahead of the hip joint
    seat_back: float = 0.10  # behind the hip joint
    seat_below_hip: float = 0.052
    backrest_height: float = 0.25
    backrest_tilt_deg: float = 12.0
    #: standing: the chair in front (its back, seen from behind)
    rail_height: float = 0.52
    chair_half_width: float = 0.165
    hand_half_spacing: float = 0.135


PROPORTIONS = Proportions()


@dataclass(frozen=True)
class Skeleton:
    """Joint positions (pixels) and the few orientations the drawing needs."""

    points: dict[str, Point]
    view: str
    facing: int  # +1 image right, -1 image left, 0 the camera
    height_px: float
    trunk_up: Point  # unit vector mid-hip → mid-shoulder
    head_up: Point  # unit vector of the head's axis
    near_side: str | None = None
    extra: dict[str, float] = field(default_factory=dict)


def _v(a: Point, b: Point, s: float = 1.0) -> Point:
    return (a[0] + b[0] * s, a[1] + b[1] * s)


def _unit_deg(angle_deg: float) -> Point:
    """A unit vector ``angle_deg`` from straight down (image y down), rotating toward +x."""
    a = math.radians(angle_deg)
    return (math.sin(a), math.cos(a))


def _rot(p: Point, angle_deg: float) -> Point:
    """Rotate a vector by ``angle_deg`` (image coordinates: positive turns +x toward +y, i.e. clockwise)."""
    a = math.radians(angle_deg)
    c, s = math.cos(a), math.sin(a)
    return (p[0] * c - p[1] * s, p[0] * s + p[1] * c)


def two_link_ik(root: Point, target: Point, a: float, b: float, bend: Point) -> tuple[Point, Point]:
    """Elbow and wrist for a two-segment limb reaching from ``root`` toward ``target``.

    The middle joint goes to the side of the root→target line that ``bend`` points to. An unreachable
    target is approached along the straight line.
    """
    dx, dy = target[0] - root[0], target[1] - root[1]
    d = math.hypot(dx, dy)
    if d < 1e-9:
        return _v(root, bend, a), root
    ux, uy = dx / d, dy / d
    reach = min(max(d, abs(a - b) + 1e-6), (a + b) * 0.9999)
    wrist = (root[0] + ux * reach, root[1] + uy * reach)
    along = (a * a - b * b + reach * reach) / (2 * reach)
    perp = math.sqrt(max(a * a - along * along, 0.0))
    nx, ny = -uy, ux
    if nx * bend[0] + ny * bend[1] < 0:
        nx, ny = -nx, -ny
    elbow = (root[0] + ux * along + nx * perp, root[1] + uy * along + ny * perp)
    return elbow, wrist


def floor_y_px(script: MotionScript) -> float:
    return script.look.floor_y_frac * script.height


def skeleton_at(script: MotionScript, t_s: float, props: Proportions = PROPORTIONS) -> Skeleton | None:
    """The posed skeleton at ``t_s``; None when nobody is in the clip."""
    if not script.person_present:
        return None
    if script.exercise in PROGRAMME_EXERCISES:
        from posecount.synth.poses import programme_skeleton_at

        return programme_skeleton_at(script, t_s, props)
    ang = angles_at(script, t_s)
    if script.view == "front":
        return _front(script, ang, props, body_sway_px(script, t_s))
    return _side(script, ang, props)


def joints_at(script: MotionScript, t_s: float) -> dict[str, Point]:
    """Named joint positions ``(x_px, y_px)`` at ``t_s``; empty when nobody is in the clip."""
    sk = skeleton_at(script, t_s)
    return dict(sk.points) if sk else {}


def chair_anchor_front(script: MotionScript, props: Proportions = PROPORTIONS) -> tuple[float, float]:
    """(centre x, rail y) of the chair in front of a standing person, fixed for the whole clip."""
    h = script.look.height_px
    return script.look.center_x_frac * script.width, floor_y_px(script) - props.rail_height * h


#: The chair in front of a standing person stands this much (units of H) nearer the camera than the feet:
#: its floor line is drawn lower.
CHAIR_FLOOR_DROP_H = 0.035


def chair_floor_front_px(script: MotionScript) -> float:
    """Image y of the floor under the chair in front of a standing person."""
    return floor_y_px(script) + CHAIR_FLOOR_DROP_H * script.look.height_px


# -- the front view (standing) ---------------------------------------------------------------------------
def _front(script: MotionScript, ang: dict[str, float], p: Proportions, sway_px: float) -> Skeleton:
    h = script.look.height_px
    floor = floor_y_px(script)
    leg = p.thigh + p.shank
    hip_y = floor - (leg * math.cos(math.radians(script.stance_deg)) + p.ankle_height) * h
    mid_x = script.look.center_x_frac * script.width + sway_px
    pts: dict[str, Point] = {}
    mid_hip = (mid_x, hip_y)
    pts["mid_hip"] = mid_hip
    for side, s in (("left", 1.0), ("right", -1.0)):  # the person's left is image right (+x)
        hip = (mid_x + s * p.hip_half_width * h, hip_y)
        abd = ang[f"{side}_abduction_deg"]
        flex = ang[f"{side}_knee_flexion_deg"]
        l1, l2 = p.thigh * h, p.shank * h
        c = math.cos(math.radians(flex))
        d = math.sqrt(l1 * l1 + l2 * l2 + 2 * l1 * l2 * c)
        beta = math.degrees(math.asin(min(1.0, l2 * math.sin(math.radians(flex)) / d)))
        ankle = _v(hip, _unit_deg(s * abd), d)
        knee = _v(hip, _unit_deg(s * (abd + beta)), l1)  # a bent knee points up and out
        down = ((ankle[0] - knee[0]) / l2, (ankle[1] - knee[1]) / l2) if l2 > 0 else (0.0, 1.0)
        norm = math.hypot(*down)
        down = (down[0] / norm, down[1] / norm)
        out = (down[1] * s, -down[0] * s)  # outward, perpendicular to the shank
        pts[f"{side}_hip"] = hip
        pts[f"{side}_knee"] = knee
        pts[f"{side}_ankle"] = ankle
        # toes point at the camera: the heel shows just below the ankle, the toe tip further down
        pts[f"{side}_heel"] = _v(ankle, down, 0.03 * h)
        pts[f"{side}_foot_index"] = _v(_v(ankle, down, 0.078 * h), out, 0.012 * h)

    lean = ang["trunk_lean_left_deg"]  # toward the person's left = toward +x
    up = front_upper_body(script, pts, mid_hip, lean, h, p)
    return Skeleton(points=pts, view="front", facing=0, height_px=h, trunk_up=up, head_up=up,
                    extra={"lean_deg": lean})


def front_upper_body(script: MotionScript, pts: dict[str, Point], mid_hip: Point, lean: float, h: float,
                     p: Proportions, left_sign: float = 1.0) -> Point:
    """Trunk, head, face and arms of a standing person seen front-on (``left_sign`` -1: from behind, the person's
    left on the image's left), into ``pts``; returns the trunk's up vector. The hands hold the chair in front
    (when the scene has one) or hang at the sides."""
    up = (math.sin(math.radians(lean)) * left_sign, -math.cos(math.radians(lean)))
    across = (-up[1], up[0])  # +x rotated with the trunk
    mid_sh = _v(mid_hip, up, p.trunk * h)
    pts["mid_shoulder"] = mid_sh
    head_c = _v(mid_sh, up, p.neck_to_head_center * h)
    pts["head_center"] = head_c
    _front_face(pts, head_c, up, across, h, p, left_sign)
    rail_x, rail_y = chair_anchor_front(script, p)
    design = script.scene.chair_design
    targets = (hand_targets(design, rail_x, rail_y, chair_floor_front_px(script), h)
               if script.scene.chair and design != "rail" else {})
    for side, s in (("left", left_sign), ("right", -left_sign)):
        sh = _v(mid_sh, across, s * p.shoulder_half_width * h)
        pts[f"{side}_shoulder"] = sh
        if script.scene.chair:
            # hands on the chair's top rail; the arms reach forward, so they look shorter
            target = targets[side] if targets else (rail_x + s * p.hand_half_spacing * h, rail_y - 0.012 * h)
            elbow, wrist = two_link_ik(sh, target, 0.9 * p.upper_arm * h, 0.9 * p.forearm * h, (s, 0.0))
            hand_dir = (0.0, 1.0)
            hand_len = 0.05 * h
        else:
            elbow = _v(sh, _rot(_unit_deg(s * 9.0), lean), p.upper_arm * h)
            wrist = _v(elbow, _rot(_unit_deg(s * 5.0), lean), p.forearm * h)
            hand_dir = _rot(_unit_deg(s * 4.0), lean)
            hand_len = p.hand * h
        pts[f"{side}_elbow"] = elbow
        pts[f"{side}_wrist"] = wrist
        pts[f"{side}_hand_tip"] = _v(wrist, hand_dir, hand_len)
    return up


def _front_face(pts: dict[str, Point], c: Point, up: Point, across: Point, h: float, p: Proportions,
                left_sign: float = 1.0) -> None:
    def at(x: float, y: float) -> Point:  # x toward the person's left (+x), y up, in units of H
        return (c[0] + (across[0] * x + up[0] * y) * h, c[1] + (across[1] * x + up[1] * y) * h)

    pts["nose"] = at(0.0, -0.012)
    for side, s in (("left", left_sign), ("right", -left_sign)):
        pts[f"{side}_eye"] = at(s * 0.0175, 0.006)
        pts[f"{side}_eye_inner"] = at(s * 0.010, 0.006)
        pts[f"{side}_eye_outer"] = at(s * 0.026, 0.006)
        pts[f"{side}_ear"] = at(s * p.head_half_width, 0.0)
        pts[f"{side}_mouth"] = at(s * 0.012, -0.03)


# -- the side view (seated) ------------------------------------------------------------------------------
def _side(script: MotionScript, ang: dict[str, float], p: Proportions) -> Skeleton:
    h = script.look.height_px
    f = float(script.facing)
    near = script.near_side or "right"
    far = "left" if near == "right" else "right"
    floor = floor_y_px(script)
    hip_near = (script.look.center_x_frac * script.width, floor - (p.shank + p.ankle_height) * h)
    off = (f * p.far_forward * h, -p.far_up * h)
    pts: dict[str, Point] = {}
    for side in (near, far):
        hip = hip_near if side == near else _v(hip_near, off)
        knee_deg = ang[f"{side}_knee_deg"]
        knee = (hip[0] + f * p.thigh * h, hip[1])  # thigh horizontal on the seat
        down = _unit_deg(f * (knee_deg - 90.0))
        ankle = _v(knee, down, p.shank * h)
        fwd = (f * down[1], -f * down[0])  # foot axis: perpendicular to the shank, toward the toes
        pf = math.radians(ang[f"{side}_ankle_plantarflex_deg"])
        foot_fwd = (math.cos(pf) * fwd[0] + math.sin(pf) * down[0], math.cos(pf) * fwd[1] + math.sin(pf) * down[1])
        foot_down = (math.cos(pf) * down[0] - math.sin(pf) * fwd[0], math.cos(pf) * down[1] - math.sin(pf) * fwd[1])
        sole = _v(ankle, foot_down, 0.035 * h)
        pts[f"{side}_hip"] = hip
        pts[f"{side}_knee"] = knee
        pts[f"{side}_ankle"] = ankle
        pts[f"{side}_heel"] = _v(sole, foot_fwd, -p.heel_back * h)
        pts[f"{side}_foot_index"] = _v(sole, foot_fwd, p.toe_forward * h)
    trunk = ang["trunk_lean_deg"]  # positive: leaning back, away from the facing direction
    up, head_up = side_upper_body(pts, hip_near, off, trunk, f, near, far, h, p)
    for side in (near, far):
        shift = (0.0, 0.0) if side == near else off
        sh = pts[f"{side}_shoulder"]
        target = _v(_v(hip_near, (f * 0.075 * h, 0.028 * h)), shift)  # hand on the seat beside the thigh
        elbow, wrist = two_link_ik(sh, target, p.upper_arm * h, p.forearm * h, (-f, 0.3))
        pts[f"{side}_elbow"] = elbow
        pts[f"{side}_wrist"] = wrist
        pts[f"{side}_hand_tip"] = _v(wrist, (f * 0.9, 0.44), p.hand * 0.8 * h)
    return Skeleton(points=pts, view=script.view, facing=int(f), height_px=h, trunk_up=up, head_up=head_up,
                    near_side=near, extra={"trunk_deg": trunk})


def side_upper_body(pts: dict[str, Point], hip_near: Point, off: Point, trunk: float, f: float, near: str, far: str,
                    h: float, p: Proportions) -> tuple[Point, Point]:
    """Shoulders, mid points, head and face of a person seen side-on, into ``pts``; ``trunk``: degrees from
    vertical, positive leaning back (away from the facing direction). Returns (trunk up, head up) vectors."""
    up = (-f * math.sin(math.radians(trunk)), -math.cos(math.radians(trunk)))
    head_tilt = 0.5 * trunk  # the head stays nearer upright, looking ahead
    head_up = (-f * math.sin(math.radians(head_tilt)), -math.cos(math.radians(head_tilt)))
    sh_near = _v(hip_near, up, p.trunk * h)
    pts[f"{near}_shoulder"] = sh_near
    pts[f"{far}_shoulder"] = _v(sh_near, off)
    mid_hip = _v(hip_near, off, 0.5)
    mid_sh = _v(sh_near, off, 0.5)
    pts["mid_hip"] = mid_hip
    pts["mid_shoulder"] = mid_sh
    head_c = _v(mid_sh, head_up, p.neck_to_head_center * h)
    pts["head_center"] = head_c
    fwd_head = (-head_up[1] * f, head_up[0] * f)  # the face's forward direction

    def at(x: float, y: float, shift: Point = (0.0, 0.0)) -> Point:  # x forward, y up, units of H
        return (head_c[0] + (fwd_head[0] * x + head_up[0] * y) * h + shift[0],
                head_c[1] + (fwd_head[1] * x + head_up[1] * y) * h + shift[1])

    pts["nose"] = at(0.056, -0.012)
    half = (off[0] * 0.5, off[1] * 0.5)
    for side, shift in ((near, (-half[0] * 0.6, -half[1] * 0.6)), (far, (half[0] * 0.6, half[1] * 0.6))):
        pts[f"{side}_eye"] = at(0.033, 0.008, shift)
        pts[f"{side}_eye_inner"] = at(0.038, 0.008, shift)
        pts[f"{side}_eye_outer"] = at(0.027, 0.008, shift)
        pts[f"{side}_mouth"] = at(0.040, -0.032, shift)
    pts[f"{near}_ear"] = at(-0.004, 0.0)
    pts[f"{far}_ear"] = at(-0.004, 0.0, off)
    return up, head_up


def line_angle_from_vertical_deg(a: Point, b: Point) -> float:
    """Angle of the a→b line from the downward vertical, in degrees (0..180)."""
    v = np.array([b[0] - a[0], b[1] - a[1]])
    return float(np.degrees(np.arccos(np.clip(v[1] / np.linalg.norm(v), -1.0, 1.0))))


def interior_angle_deg(a: Point, b: Point, c: Point) -> float:
    """The angle a–b–c at b, in degrees (0..180)."""
    u = np.array([a[0] - b[0], a[1] - b[1]])
    w = np.array([c[0] - b[0], c[1] - b[1]])
    cosv = float(u @ w / (np.linalg.norm(u) * np.linalg.norm(w)))
    return float(np.degrees(np.arccos(np.clip(cosv, -1.0, 1.0))))
