"""Angles → joints for the exercises of issue 9 and the balance test: the mannequin's 2D skeleton in pixels.

Pure geometry like :mod:`posecount.synth.body` (same proportions, same point names, the same far-side offset
of a side view: the camera a little in front and above). Thigh and shank keep their lengths in every pose.

Side views (sit-to-stand, mini squat, hamstring curl, the balance stances) stand on the floor: a foot on the
floor is flat, its ankle ``ankle_height`` above the floor line (the far foot's line ``far_up`` higher).

* **sit-to-stand**: the feet stay where a seated person with the knees at a right angle puts them; each leg
  is built from the ankle up (shank tilt, knee angle) so the feet never slide, and the hips sit exactly on
  the seat until the path leaves it. Arms crossed over the chest (each hand toward the other shoulder); a
  push-off puts both hands on the seat beside the hips and pushes until the arms are straight.
* **mini squat**: the feet flat, the shank tilted forward and the thigh back (hips back and down), the hands
  on the top of a chair's back in front of the person.
* **hamstring curl**: the far leg straight under the hips; the near thigh at its angle from vertical (0: the
  thigh stays vertical), the shank folding back behind it, the foot at a right angle to the shank.
* **balance**: the feet where the stance puts them, the hips over them (over the standing foot on one leg),
  just low enough for the legs to reach (soft knees), swaying fore and aft; arms hanging.

Front views (standing march, calf raise; the calf raise also from behind):

* **march**: a lifted thigh comes toward the camera, so it is drawn shortened: the knee rises to
  ``thigh·cos(hip flexion)`` below the hip, the shank hangs at ``hip flexion − knee flexion`` from vertical;
  the pelvis shifts over the standing leg.
* **calf raise**: each foot pivots on its ball (``BALL_AHEAD_H`` ahead of the ankle): the ankle and
  everything above it rise by ``ball·sin θ − ankle_height·(1 − cos θ)``, the heel by ``(ball + heel_back)·sin θ``,
  the toes stay on the floor.
"""

from __future__ import annotations

import math

from posecount.synth.body import (
    PROPORTIONS,
    Point,
    Proportions,
    Skeleton,
    _v,
    floor_y_px,
    front_upper_body,
    side_upper_body,
    two_link_ik,
)
from posecount.synth.motion import body_sway_px
from posecount.synth.moves import (
    ONE_LEG_HIP_DEG,
    ONE_LEG_KNEE_DEG,
    balance_state_at,
    programme_angles_at,
)
from posecount.synth.script import MotionScript

#: Calf raise: the ball of the foot (the pivot) this far ahead of the ankle, units of H (about 70 % of the
#: foot's length from the heel).
BALL_AHEAD_H = 0.075
#: A side view's chair in front of a standing person (mini squat, hamstring curl): it faces away, its back
#: toward the person. Its back legs stand ``CHAIR_AHEAD_X_H`` ahead of the person's near ankle, the back rises
#: to ``CHAIR_AHEAD_TOP_H`` above the floor tilted toward the person by ``CHAIR_AHEAD_TILT_DEG``; the seat is
#: ``CHAIR_AHEAD_SEAT_H`` high and ``CHAIR_AHEAD_DEPTH_H`` deep. Units of H.
CHAIR_AHEAD_X_H = 0.21
CHAIR_AHEAD_TOP_H = 0.57
CHAIR_AHEAD_SEAT_H = 0.265
CHAIR_AHEAD_DEPTH_H = 0.26
CHAIR_AHEAD_TILT_DEG = 6.0
#: The chair's far side is this multiple of the body's far-side offset away (the chair is wider than the hips).
CHAIR_FAR_SCALE = 1.4
#: Crossed arms, in the trunk's frame (forward, up; units of H, from the near hip; the shoulder is at (0, trunk)).
CROSSED_ELBOW = (0.07, 0.135)
CROSSED_WRIST = (0.105, 0.215)
CROSSED_HAND_TIP = (0.085, 0.262)
#: Push-off: each wrist this far ahead of its hip and above the seat (units of H).
PUSH_HAND_AHEAD_H = 0.06
PUSH_HAND_ABOVE_SEAT_H = 0.025
#: Soft knees of a standing person in the balance test: the legs reach at most as far as with this much flexion.
BALANCE_KNEE_FLEX_DEG = 4.0


def _unit(angle_deg: float, f: float) -> Point:
    """A unit vector ``angle_deg`` from straight down, toward the facing direction (``f`` +1 image right)."""
    a = math.radians(angle_deg)
    return (f * math.sin(a), math.cos(a))


def _lerp(a: Point, b: Point, w: float) -> Point:
    return (a[0] + (b[0] - a[0]) * w, a[1] + (b[1] - a[1]) * w)


def side_frame(script: MotionScript, p: Proportions = PROPORTIONS) -> tuple[float, float, Point]:
    """(facing f, the standing anchor's x: where the near ankle is at rest, the far-side offset in pixels)."""
    h = script.look.height_px
    f = float(script.facing)
    anchor_x = script.look.center_x_frac * script.width
    if script.exercise == "sit-to-stand":  # the hip is at center_x on the seat; the feet a thigh ahead
        anchor_x += f * p.thigh * h
    return f, anchor_x, (f * p.far_forward * h, -p.far_up * h)


def chair_ahead_points(script: MotionScript, p: Proportions = PROPORTIONS) -> dict[str, Point]:
    """The near side of the chair in front of a standing person, side view (pixels): ``back_foot`` (its back leg
    on the floor), ``seat_back``/``seat_front`` (the seat's top edge), ``front_foot``, ``top`` (the back's top,
    where the hands hold it)."""
    h = script.look.height_px
    f, ax, _ = side_frame(script, p)
    floor = floor_y_px(script)
    back_x = ax + f * CHAIR_AHEAD_X_H * h
    rise = (CHAIR_AHEAD_TOP_H - CHAIR_AHEAD_SEAT_H) * h
    top = (back_x - f * math.tan(math.radians(CHAIR_AHEAD_TILT_DEG)) * rise, floor - CHAIR_AHEAD_TOP_H * h)
    return {"back_foot": (back_x, floor), "seat_back": (back_x, floor - CHAIR_AHEAD_SEAT_H * h),
            "seat_front": (back_x + f * CHAIR_AHEAD_DEPTH_H * h, floor - CHAIR_AHEAD_SEAT_H * h),
            "front_foot": (back_x + f * (CHAIR_AHEAD_DEPTH_H - 0.015) * h, floor), "top": top}


def programme_skeleton_at(script: MotionScript, t_s: float, p: Proportions = PROPORTIONS) -> Skeleton:
    ang = programme_angles_at(script, t_s)
    if script.view == "front":
        return _front(script, ang, p, body_sway_px(script, t_s))
    return _side(script, t_s, ang, p)


# -- side views ---------------------------------------------------------------------------------------------------
def _flat_foot(pts: dict[str, Point], side: str, ankle: Point, f: float, h: float, p: Proportions) -> None:
    sole = (ankle[0], ankle[1] + 0.035 * h)
    pts[f"{side}_heel"] = (sole[0] - f * p.heel_back * h, sole[1])
    pts[f"{side}_foot_index"] = (sole[0] + f * p.toe_forward * h, sole[1])


def _shank_foot(knee: Point, ankle: Point, f: float, h: float, p: Proportions,
                plantarflex_deg: float = 0.0) -> tuple[Point, Point]:
    """(heel, toe) of a foot at a right angle to the shank, toes pointed by ``plantarflex_deg``."""
    dx, dy = ankle[0] - knee[0], ankle[1] - knee[1]
    n = math.hypot(dx, dy) or 1.0
    down = (dx / n, dy / n)
    fwd = (f * down[1], -f * down[0])
    a = math.radians(plantarflex_deg)
    foot_fwd = (math.cos(a) * fwd[0] + math.sin(a) * down[0], math.cos(a) * fwd[1] + math.sin(a) * down[1])
    foot_down = (math.cos(a) * down[0] - math.sin(a) * fwd[0], math.cos(a) * down[1] - math.sin(a) * fwd[1])
    sole = _v(ankle, foot_down, 0.035 * h)
    return _v(sole, foot_fwd, -p.heel_back * h), _v(sole, foot_fwd, p.toe_forward * h)


def _leg_from_ankle(ankle: Point, shank_tilt_deg: float, knee_deg: float, f: float, h: float,
                    p: Proportions) -> tuple[Point, Point]:
    """(hip, knee) of a leg standing on ``ankle``: the shank tilted forward, the knee's interior angle."""
    knee = _v(ankle, (f * math.sin(math.radians(shank_tilt_deg)), -math.cos(math.radians(shank_tilt_deg))),
              p.shank * h)
    beta = 180.0 - knee_deg - shank_tilt_deg  # the thigh from vertical, hip→knee pointing forward and down
    hip = _v(knee, _unit(beta, f), -p.thigh * h)
    return hip, knee


def _side(script: MotionScript, t_s: float, ang: dict[str, float], p: Proportions) -> Skeleton:
    h = script.look.height_px
    f, ax, off = side_frame(script, p)
    near = script.near_side or "right"
    far = "left" if near == "right" else "right"
    floor = floor_y_px(script)
    ankle_y = floor - p.ankle_height * h
    pts: dict[str, Point] = {}
    ex = script.exercise
    arms = "chair"
    push = 0.0
    if ex in ("sit-to-stand", "mini-squat"):
        ankle = (ax, ankle_y)
        knee_deg = ang[f"{near}_knee_deg"]
        hip_near, knee = _leg_from_ankle(ankle, ang[f"{near}_shank_tilt_deg"], knee_deg, f, h, p)
        for side, shift in ((near, (0.0, 0.0)), (far, off)):
            pts[f"{side}_hip"] = _v(hip_near, shift)
            pts[f"{side}_knee"] = _v(knee, shift)
            pts[f"{side}_ankle"] = _v(ankle, shift)
            _flat_foot(pts, side, pts[f"{side}_ankle"], f, h, p)
        if ex == "sit-to-stand":
            arms, push = "crossed", ang["push"]
    elif ex == "standing-hamstring-curl":
        hip_near = (ax, ankle_y - (p.thigh + p.shank) * h)
        for side, shift in ((near, (0.0, 0.0)), (far, off)):
            hip = _v(hip_near, shift)
            thigh = ang[f"{side}_hip_flexion_deg"]
            flex = ang[f"{side}_knee_flexion_deg"]
            knee = _v(hip, _unit(thigh, f), p.thigh * h)
            ankle = _v(knee, _unit(thigh - flex, f), p.shank * h)
            pts[f"{side}_hip"], pts[f"{side}_knee"], pts[f"{side}_ankle"] = hip, knee, ankle
            pts[f"{side}_heel"], pts[f"{side}_foot_index"] = _shank_foot(knee, ankle, f, h, p)
    elif ex == "four-stage-balance":
        hip_near = _balance_legs(script, t_s, pts, f, ax, off, near, far, h, p)
        arms = "hang"
    else:
        raise ValueError(f"{ex}: not drawn side-on")
    lean = ang["trunk_lean_deg"]  # forward positive here; side_upper_body's trunk leans back positive
    up, head_up = side_upper_body(pts, hip_near, off, -lean, f, near, far, h, p)
    _side_arms(script, pts, hip_near, up, off, f, near, far, h, p, arms, push)
    return Skeleton(points=pts, view=script.view, facing=int(f), height_px=h, trunk_up=up, head_up=head_up,
                    near_side=near, extra={"trunk_deg": -lean, "arms_crossed": 1.0 if arms == "crossed" else 0.0,
                                           "push": push})


def _balance_legs(script: MotionScript, t_s: float, pts: dict[str, Point], f: float, ax: float, off: Point,
                  near: str, far: str, h: float, p: Proportions) -> Point:
    """Place both legs for the balance test at ``t_s``; returns the near hip."""
    s = balance_state_at(script, t_s)
    floor = floor_y_px(script)
    ankle_y = floor - p.ankle_height * h
    near_ankle = (ax + f * s.near_ahead_h * h, ankle_y - s.near_lift_h * h)
    far_ankle = (ax + f * (s.far_ahead_h * h + s.far_depth * off[0] * f), ankle_y + s.far_depth * off[1]
                 - s.far_lift_h * h)
    w_far = 0.5 + 0.5 * s.one_leg  # the hips over both feet, or over the standing one
    hip_x = ax + f * h * ((1.0 - w_far) * s.near_ahead_h + w_far * s.far_ahead_h + s.sway_h)
    reach = math.sqrt(p.thigh ** 2 + p.shank ** 2 + 2 * p.thigh * p.shank
                      * math.cos(math.radians(BALANCE_KNEE_FLEX_DEG))) * h
    heights = []
    if s.near_lift_h == 0.0 and s.one_leg == 0.0:
        heights.append(math.sqrt(max(reach ** 2 - (near_ankle[0] - hip_x) ** 2, 0.0)))
    if s.far_lift_h == 0.0:
        dx = far_ankle[0] - (hip_x + off[0])
        heights.append(math.sqrt(max(reach ** 2 - dx ** 2, 0.0)) - (1.0 - s.far_depth) * -off[1])
    hip_near = (hip_x, ankle_y - min(heights) if heights else ankle_y - reach)
    hip_far = _v(hip_near, off)
    # the near leg: on the floor, or lifted behind (knee bent) on one leg
    if s.one_leg > 0.0:
        knee_up = _v(hip_near, _unit(ONE_LEG_HIP_DEG, f), p.thigh * h)
        lifted = _v(knee_up, _unit(ONE_LEG_HIP_DEG - ONE_LEG_KNEE_DEG, f), p.shank * h)
        near_ankle = _lerp(near_ankle, lifted, s.one_leg)
    for side, hip, ankle in ((near, hip_near, near_ankle), (far, hip_far, far_ankle)):
        knee, ankle = two_link_ik(hip, ankle, p.thigh * h, p.shank * h, (f, 0.0))
        pts[f"{side}_hip"], pts[f"{side}_knee"], pts[f"{side}_ankle"] = hip, knee, ankle
        _flat_foot(pts, side, ankle, f, h, p)
        if side == near and s.one_leg > 0.0:
            heel, toe = _shank_foot(knee, ankle, f, h, p, plantarflex_deg=20.0)
            pts[f"{side}_heel"] = _lerp(pts[f"{side}_heel"], heel, s.one_leg)
            pts[f"{side}_foot_index"] = _lerp(pts[f"{side}_foot_index"], toe, s.one_leg)
    return hip_near


def _in_trunk(hip: Point, up: Point, f: float, h: float, xy: tuple[float, float]) -> Point:
    fwd = (-up[1] * f, up[0] * f)
    return (hip[0] + (fwd[0] * xy[0] + up[0] * xy[1]) * h, hip[1] + (fwd[1] * xy[0] + up[1] * xy[1]) * h)


def _side_arms(script: MotionScript, pts: dict[str, Point], hip_near: Point, up: Point, off: Point, f: float,
               near: str, far: str, h: float, p: Proportions, arms: str, push: float) -> None:
    for side in (near, far):
        shift = (0.0, 0.0) if side == near else off
        sh = pts[f"{side}_shoulder"]
        hip = _v(hip_near, shift)
        if arms == "chair":
            top = chair_ahead_points(script, p)["top"]
            chair_shift = (0.0, 0.0) if side == near else (off[0] * CHAIR_FAR_SCALE, off[1] * CHAIR_FAR_SCALE)
            target = (top[0] + chair_shift[0] - f * 0.006 * h, top[1] + chair_shift[1] - 0.022 * h)
            elbow, wrist = two_link_ik(sh, target, p.upper_arm * h, p.forearm * h, (-f, 0.6))
            tip = _v(wrist, (f * 0.75, 0.66), 0.055 * h)
        elif arms == "hang":
            elbow = _v(sh, _rot_unit(5.0, up, f), p.upper_arm * h)
            wrist = _v(elbow, _rot_unit(12.0, up, f), p.forearm * h)
            tip = _v(wrist, _rot_unit(14.0, up, f), p.hand * 0.85 * h)
        else:  # crossed over the chest, blended toward pushing on the seat
            elbow = _in_trunk(hip, up, f, h, CROSSED_ELBOW)
            wrist = _in_trunk(hip, up, f, h, CROSSED_WRIST)
            tip = _in_trunk(hip, up, f, h, CROSSED_HAND_TIP)
            if push > 0.0:
                seat = _v(seat_hand_point(script, p), shift)
                p_elbow, p_wrist = two_link_ik(sh, seat, p.upper_arm * h, p.forearm * h, (-f, 0.0))
                p_tip = _v(p_wrist, (f * 0.6, 0.8), p.hand * 0.8 * h)
                elbow, wrist, tip = _lerp(elbow, p_elbow, push), _lerp(wrist, p_wrist, push), _lerp(tip, p_tip, push)
        pts[f"{side}_elbow"] = elbow
        pts[f"{side}_wrist"] = wrist
        pts[f"{side}_hand_tip"] = tip


def seat_hand_point(script: MotionScript, p: Proportions = PROPORTIONS) -> Point:
    """Where the near wrist is when the hand pushes on the chair's seat beside the hip (pixels)."""
    h = script.look.height_px
    f = float(script.facing)
    floor = floor_y_px(script)
    hip_seated = (script.look.center_x_frac * script.width, floor - (p.shank + p.ankle_height) * h)
    seat_y = hip_seated[1] + p.seat_below_hip * h
    return (hip_seated[0] + f * PUSH_HAND_AHEAD_H * h, seat_y - PUSH_HAND_ABOVE_SEAT_H * h)


def _rot_unit(angle_deg: float, up: Point, f: float) -> Point:
    """A unit vector ``angle_deg`` forward of the trunk's down direction."""
    down = (-up[0], -up[1])
    fwd = (-up[1] * f, up[0] * f)
    a = math.radians(angle_deg)
    return (down[0] * math.cos(a) + fwd[0] * math.sin(a), down[1] * math.cos(a) + fwd[1] * math.sin(a))


# -- front views ---------------------------------------------------------------------------------------------------
def calf_rise_h(plantarflex_deg: float, p: Proportions = PROPORTIONS) -> tuple[float, float]:
    """(ankle rise, heel rise) in units of H for feet tilted ``plantarflex_deg`` up about the ball of the foot."""
    a = math.radians(plantarflex_deg)
    ankle = BALL_AHEAD_H * math.sin(a) - p.ankle_height * (1.0 - math.cos(a))
    heel = (BALL_AHEAD_H + p.heel_back) * math.sin(a)
    return ankle, heel


def _front(script: MotionScript, ang: dict[str, float], p: Proportions, sway_px: float) -> Skeleton:
    h = script.look.height_px
    floor = floor_y_px(script)
    left_sign = -1.0 if script.from_behind else 1.0
    leg = p.thigh + p.shank
    stance = script.stance_deg
    rest_hip_y = floor - (leg * math.cos(math.radians(stance)) + p.ankle_height) * h
    lift = ang.get("both_drive_deg", 0.0) if script.exercise == "standing-calf-raise" else 0.0
    ankle_rise, heel_rise = calf_rise_h(lift, p)
    hip_y = rest_hip_y - ankle_rise * h
    shift = ang.get("pelvis_shift_h", 0.0) * left_sign * h
    mid_x = script.look.center_x_frac * script.width + sway_px + shift
    pts: dict[str, Point] = {"mid_hip": (mid_x, hip_y)}
    for side, s in (("left", left_sign), ("right", -left_sign)):
        hip = (mid_x + s * p.hip_half_width * h, hip_y)
        # the feet stay where they were put down: the body's sway and the pelvis' shift lean the legs a little
        rest_hip = (mid_x - shift - sway_px + s * p.hip_half_width * h, rest_hip_y)
        out = math.sin(math.radians(stance))
        rest_ankle = (rest_hip[0] + s * out * leg * h, rest_hip_y + math.cos(math.radians(stance)) * leg * h)
        flex_hip = ang.get(f"{side}_hip_flexion_deg", 0.0)
        flex_knee = ang.get(f"{side}_knee_flexion_deg", 0.0)
        if flex_hip > 0.0 or flex_knee > 0.0:  # the march's lifted leg, seen end-on
            knee = (hip[0] + s * out * p.thigh * h, hip[1] + math.cos(math.radians(flex_hip)) * p.thigh * h)
            ankle = (knee[0] + s * out * p.shank * h,
                     knee[1] + math.cos(math.radians(flex_hip - flex_knee)) * p.shank * h)
        else:  # standing: the foot stays where it was put down; the leg straight from the hip
            ankle = (rest_ankle[0], rest_ankle[1] - ankle_rise * h)
            knee = _lerp(hip, ankle, p.thigh / leg)
        pts[f"{side}_hip"] = hip
        pts[f"{side}_knee"] = knee
        pts[f"{side}_ankle"] = ankle
        # front-on the toes point at the camera (drawn below the ankle); from behind the heel is nearest and the
        # forefoot, beyond it, meets the floor a little higher in the picture
        heel_dy, toe_dy = (0.045, 0.03) if script.from_behind else (0.03, 0.078)
        if lift:  # the heel rises off the floor, the toes stay
            pts[f"{side}_heel"] = (ankle[0], rest_ankle[1] + heel_dy * h - heel_rise * h)
            pts[f"{side}_foot_index"] = (rest_ankle[0] + s * 0.012 * h, rest_ankle[1] + toe_dy * h)
        else:
            pts[f"{side}_heel"] = (ankle[0], ankle[1] + heel_dy * h)
            pts[f"{side}_foot_index"] = (ankle[0] + s * 0.012 * h, ankle[1] + toe_dy * h)
    lean = ang["trunk_lean_left_deg"]
    up = front_upper_body(script, pts, pts["mid_hip"], lean, h, p, left_sign)
    return Skeleton(points=pts, view="front", facing=0, height_px=h, trunk_up=up, head_up=up,
                    extra={"lean_deg": lean, "from_behind": 1.0 if script.from_behind else 0.0})
