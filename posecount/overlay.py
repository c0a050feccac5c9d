"""Drawing only: ndarray in, ndarray out. Knows nothing of thresholds beyond what :class:`OverlayState`
hands it; every number on screen comes from the engine or the coach.

Made to be read from 2 m away on a laptop screen: every size is a multiple of one unit that scales with
the frame (``_unit``: 1.0 at 1280x720), the counts are the biggest thing on screen, and words are plain.

Layout::

    +--------------------------------------------------------------+
    | Left 4/10 · Right 3/10                  title  fps  [muted]  |  top bar
    |                                                   Left       |
    |        (skeleton, working leg highlighted)        23°        |
    |                                             (ring)  |##|     |  gauge with the target band,
    |                                                     |##|     |  hold ring beside it
    |                 [ set-up guidance / banner ]        |  |     |
    |                                                   Holding    |
    |            one coaching message at a time                    |  bottom banner
    +--------------------------------------------------------------+

Text: OpenCV 5 draws UTF-8 with its built-in font (Latin letters, ``°``, ``·``, ``…``), but symbols outside
it come out as ``?``; OpenCV 4's Hershey fonts are ASCII only. So every string goes through
:func:`drawable_text`: on OpenCV 4 ``°`` and ``·`` are drawn as shapes, ``…`` becomes ``...`` and other
characters are transliterated (``é`` → ``e``) or dropped; on OpenCV 5 only characters beyond Latin-1 and
common punctuation are.
"""

from __future__ import annotations

import math
import unicodedata
from dataclasses import dataclass, field

import cv2
import numpy as np

from posecount.exercises.engine import Phase, SideState
from posecount.exercises.spec import SIDES, Side, Track
from posecount.pose import SKELETON, Pose

# BGR
WHITE = (255, 255, 255)
BLACK = (0, 0, 0)
GREEN = (80, 200, 80)
ORANGE = (0, 160, 255)
RED = (60, 60, 230)
GREY = (160, 160, 160)
DARK = (25, 25, 25)
PANEL_ALPHA = 0.72
#: Landmarks before this one are the face: not drawn (nose-to-ear lines read as spectacles from afar).
FIRST_BODY_LANDMARK = 11
LEG_LANDMARKS: dict[Side, tuple[int, ...]] = {"left": (23, 25, 27, 29, 31), "right": (24, 26, 28, 30, 32)}
TONE_COLOURS: dict[str, tuple[int, int, int]] = {"fault": RED, "setup": ORANGE, "praise": GREEN, "step": WHITE}
PHASE_WORDS: dict[Phase, str] = {Phase.REST: "Rest", Phase.LIFTING: "Lifting", Phase.HOLDING: "Holding",
                                 Phase.LOWERING: "Lowering"}
FONT = cv2.FONT_HERSHEY_SIMPLEX
#: OpenCV >= 5 renders UTF-8 text itself; older versions draw Hershey (ASCII) glyphs only.
NATIVE_UNICODE = int(cv2.__version__.split(".")[0]) >= 5
#: Characters drawn as shapes rather than glyphs where the font has no glyph for them.
_SHAPES_ASCII = frozenset("°·")
_REPLACE = {"…": "...", "–": "-", "—": "-", "’": "'", "‘": "'", "“": '"', "”": '"', "×": "x", "→": "->"}


@dataclass(frozen=True)
class OverlayState:
    """Everything the screen shows, decided elsewhere."""

    title: str
    drive_label: str
    sides: dict[Track, SideState]  # both legs, or "both" alone (an exercise counted for the whole body)
    start_line: float  # in the drive's unit
    target_line: float
    min_hold_s: float
    goal_per_side: int
    working_side: Side | None = None
    unit: str = "deg"  # the drive's unit: degrees, or a ratio
    sign: float = 1.0  # +1: the drive rises away from rest; -1: it falls (the gauge fills as it falls)
    message: str | None = None
    message_tone: str = "step"
    view_ok: bool = True
    fps: float | None = None
    flags: tuple[str, ...] = field(default_factory=tuple)  # e.g. "paused", "muted"
    view_issue: str | None = None  # set-up guidance shown big while the view is wrong
    hint: str | None = None  # what to do next, shown when there is no coaching message
    banner: str | None = None  # a centred notice ("Paused", "Camera lost"), over everything else


def draw_overlay(image: np.ndarray, pose: Pose | None, state: OverlayState, mirror: bool = False) -> np.ndarray:
    """Return a copy of ``image`` (H, W, 3) uint8 BGR with the skeleton and the coaching overlay.

    ``mirror`` flips the image for display (a selfie view); labels stay the person's own left/right.
    """
    active = _active_side(state) if state.view_ok else None  # nothing is "working" while the view is wrong
    out = _pose_layer(image, pose, active, mirror)
    h, w = out.shape[:2]
    u = _unit(w, h)
    setup = (not state.view_ok) and bool(state.view_issue)
    if setup or state.banner:
        out = cv2.convertScaleAbs(out, alpha=0.55)  # dim the picture so the guidance stands out
    _top_bar(out, state, active, u)
    _gauge_column(out, state, _gauge_side(state, active), u)
    bottom = state.message or (None if setup or state.banner else state.hint)
    if bottom and not (setup and bottom == state.view_issue):
        tone = state.message_tone if state.message else "step"
        _bottom_banner(out, bottom, TONE_COLOURS.get(tone, WHITE), u)
    if state.banner:
        _centre_banner(out, state.banner, WHITE, u)
    elif setup:
        _centre_banner(out, state.view_issue or "", ORANGE, u, heading="Set-up")
    return out


# -- text -----------------------------------------------------------------------------------------------
def _native_ok(ch: str) -> bool:
    return 32 <= ord(ch) < 127 or 0xA0 <= ord(ch) <= 0xFF or 0x2010 <= ord(ch) <= 0x2027


def drawable_text(text: str, native: bool | None = None) -> str:
    """``text`` reduced to what the font can draw (see the module docstring)."""
    native = NATIVE_UNICODE if native is None else native
    out = []
    for ch in text:
        if native and _native_ok(ch):
            out.append(ch)
            continue
        ch = _REPLACE.get(ch, ch)
        if ch in "°·" or all(32 <= ord(c) < 127 for c in ch):
            out.append(ch)
            continue
        ascii_ = unicodedata.normalize("NFKD", ch).encode("ascii", "ignore").decode("ascii")
        out.append(ascii_)
    return "".join(out)


def _segments(text: str) -> list[str]:
    """Split into runs of plain text and single shape characters."""
    parts: list[str] = []
    run = ""
    shapes = frozenset() if NATIVE_UNICODE else _SHAPES_ASCII
    for ch in drawable_text(text):
        if ch in shapes:
            if run:
                parts.append(run)
            parts.append(ch)
            run = ""
        else:
            run += ch
    if run:
        parts.append(run)
    return parts


def _shape_width(ch: str, size: float, thick: int) -> int:
    cap = 22 * size
    return int(cap * (0.55 if ch == "°" else 0.6)) + thick


def text_size(text: str, size: float, thick: int) -> tuple[int, int]:
    """(width, cap height) in pixels of ``text`` as :func:`put_text` draws it."""
    width = 0
    for part in _segments(text):
        if part in _SHAPES_ASCII and not NATIVE_UNICODE:
            width += _shape_width(part, size, thick)
        else:
            (tw, _), _ = cv2.getTextSize(part, FONT, size, thick)
            width += tw
    return width, int(22 * size)


def put_text(img: np.ndarray, text: str, org: tuple[int, int], size: float, colour: tuple[int, int, int],
             thick: int, outline: bool = False) -> int:
    """Draw ``text`` with its baseline-left at ``org``, optionally with a black outline (for text over the
    picture rather than on a panel); returns its width."""
    passes = ((BLACK, thick + max(2, thick)), (colour, thick)) if outline else ((colour, thick),)
    width = 0
    for pass_colour, t in passes:
        x, y = org
        for part in _segments(text):
            if part in _SHAPES_ASCII and not NATIVE_UNICODE:
                cap = 22 * size
                if part == "°":
                    r = max(2, int(cap * 0.17))
                    cv2.circle(img, (x + r + thick, y - int(cap) + r), r, pass_colour, max(1, t // 2 + 1), cv2.LINE_AA)
                else:
                    r = max(2, int(cap * 0.1))
                    cv2.circle(img, (x + int(cap * 0.3), y - int(cap * 0.45)), r + (t - thick) // 2, pass_colour, -1,
                               cv2.LINE_AA)
                x += _shape_width(part, size, thick)
            else:
                cv2.putText(img, part, (x, y), FONT, size, pass_colour, t, cv2.LINE_AA)
                (tw, _), _ = cv2.getTextSize(part, FONT, size, thick)
                x += tw
        width = x - org[0]
    return width


def _fit(text: str, size: float, thick: int, max_w: int) -> float:
    """The largest font size <= ``size`` at which ``text`` fits ``max_w`` pixels."""
    w, _ = text_size(text, size, thick)
    return size if w <= max_w or w == 0 else max(0.3, size * max_w / w)


# -- layout helpers -------------------------------------------------------------------------------------
def _unit(w: int, h: int) -> float:
    """1.0 at 1280x720; every size on screen is a multiple of it."""
    return max(0.3, min(w / 1280.0, h / 720.0))


def _shade(img: np.ndarray, x0: int, y0: int, x1: int, y1: int, alpha: float = PANEL_ALPHA) -> None:
    h, w = img.shape[:2]
    x0, x1 = max(0, x0), min(w, x1)
    y0, y1 = max(0, y0), min(h, y1)
    if x1 <= x0 or y1 <= y0:
        return
    roi = img[y0:y1, x0:x1]
    roi[:] = cv2.convertScaleAbs(roi, alpha=1.0 - alpha, beta=DARK[0] * alpha)


def _active_side(state: OverlayState) -> Side | None:
    """The leg to highlight: the working (near) leg, else the one moving; none for a whole-body exercise."""
    if state.working_side:
        return state.working_side
    moving = [s for s in SIDES if s in state.sides and state.sides[s].phase != Phase.REST]
    return moving[0] if moving else None


def _gauge_side(state: OverlayState, active: Side | None) -> Track | None:
    if "both" in state.sides:
        return "both"
    if active:
        return active
    seen = [(state.sign * state.sides[s].value, s) for s in SIDES if math.isfinite(state.sides[s].value)]
    return max(seen)[1] if seen else None


def gauge_range_deg(start_deg: float, target_deg: float) -> tuple[float, float]:
    """A degree gauge's span: from below the start threshold to well above the target."""
    span = max(target_deg - start_deg, 10.0)
    lo = max(0.0, start_deg - span)
    hi = min(180.0, target_deg + max(span, 15.0)) if target_deg < 180 else target_deg + span
    return lo, max(hi, target_deg + 5.0)


def gauge_range(state: OverlayState) -> tuple[float, float]:
    """The gauge's span in signed terms (``sign * value``, rising away from rest): degrees as
    :func:`gauge_range_deg`, any other unit from one start-to-target span below the start to one above."""
    start, target = state.sign * state.start_line, state.sign * state.target_line
    if state.unit == "deg" and state.sign > 0:
        return gauge_range_deg(start, target)
    span = target - start
    return start - span, target + span


def format_value(value: float, unit: str) -> str:
    """A drive value for the screen: ``37°``, ``0.82``."""
    if not math.isfinite(value):
        return "--"
    return f"{value:.0f}°" if unit == "deg" else f"{value:.2f}"


# -- pieces ---------------------------------------------------------------------------------------------
def _skeleton(img: np.ndarray, pose: Pose, active: Side | None, u: float) -> None:
    xy = pose.image_xy
    hot = set(LEG_LANDMARKS[active]) if active else set()
    thick = max(2, round(4 * u))
    finite = np.isfinite(xy).all(axis=1)
    for a, b in SKELETON:
        if a < FIRST_BODY_LANDMARK or b < FIRST_BODY_LANDMARK or not (finite[a] and finite[b]):
            continue
        is_hot = a in hot and b in hot
        pa, pb = (int(xy[a][0]), int(xy[a][1])), (int(xy[b][0]), int(xy[b][1]))
        cv2.line(img, pa, pb, BLACK, thick + max(2, round(3 * u)) + (thick if is_hot else 0), cv2.LINE_AA)
        cv2.line(img, pa, pb, ORANGE if is_hot else WHITE, thick * (2 if is_hot else 1), cv2.LINE_AA)
    for i in range(FIRST_BODY_LANDMARK, 33):
        if finite[i]:
            cv2.circle(img, (int(xy[i][0]), int(xy[i][1])), thick + 2, ORANGE if i in hot else GREEN, -1,
                       cv2.LINE_AA)


def _leg_tags(img: np.ndarray, pose: Pose, mirror: bool, u: float) -> None:
    """"L" and "R" beside each knee, in the person's own terms, wherever the display puts them."""
    w = img.shape[1]
    for side, knee in (("left", 25), ("right", 26)):
        x, y = pose.image_xy[knee]
        if not (math.isfinite(float(x)) and math.isfinite(float(y))) or pose.visibility[knee] < 0.5:
            continue
        if mirror:
            x = w - 1 - x
        put_text(img, side[0].upper(), (int(x + 14 * u), int(y)), 0.9 * u, WHITE, max(1, round(2 * u)),
                 outline=True)


def _top_bar(img: np.ndarray, state: OverlayState, active: Side | None, u: float) -> None:
    w = img.shape[1]
    bar_h = int(92 * u)
    _shade(img, 0, 0, w, bar_h)
    size, thick = 1.9 * u, max(2, round(4 * u))
    x, y = int(20 * u), int(64 * u)
    for i, track in enumerate(state.sides):
        st = state.sides[track]
        done = st.counted >= state.goal_per_side > 0
        colour = GREEN if done else (ORANGE if track == active or (track == "both" and st.phase != Phase.REST)
                                     else WHITE)
        if i:
            x += put_text(img, " · ", (x, y), size, GREY, thick, outline=True)
        label = "Reps" if track == "both" else track.capitalize()
        x += put_text(img, f"{label} {st.counted}/{state.goal_per_side}", (x, y), size, colour, thick,
                      outline=True)
    # Right end: the exercise, measured fps and flags, smaller.
    right = w - int(20 * u)
    small, sthick = 0.75 * u, max(1, round(2 * u))
    info = []
    if state.fps is not None and math.isfinite(state.fps):
        info.append(f"{state.fps:.0f} fps")
    info += [f.upper() for f in state.flags]
    line2 = "   ".join(info)
    title_size = _fit(state.title, small, sthick, max(10, right - x - int(30 * u)))
    tw, _ = text_size(state.title, title_size, sthick)
    put_text(img, state.title, (right - tw, int(36 * u)), title_size, WHITE, sthick)
    if line2:
        lw, _ = text_size(line2, small, sthick)
        put_text(img, line2, (right - lw, int(74 * u)), small, ORANGE if state.flags else GREY, sthick)


def _gauge_column(img: np.ndarray, state: OverlayState, side: Track | None, u: float) -> None:
    h, w = img.shape[:2]
    col_w = int(190 * u)
    x0 = w - col_w
    top, bottom = int(110 * u), h - int(120 * u)
    _shade(img, x0, top, w, bottom)
    cx = x0 + col_w // 2
    label_size, thick = 0.9 * u, max(1, round(2 * u))
    st = state.sides[side] if side else None
    label = side.capitalize() if side and side != "both" else state.drive_label
    lw, _ = text_size(label, label_size, thick)
    put_text(img, label, (cx - lw // 2, top + int(34 * u)), label_size, ORANGE if side else GREY, thick)
    value = st.value if st else math.nan
    angle_text = format_value(value, state.unit)
    big, bthick = 1.6 * u, max(2, round(4 * u))
    aw, _ = text_size(angle_text, big, bthick)
    put_text(img, angle_text, (cx - aw // 2, top + int(84 * u)), big, WHITE, bthick, outline=True)

    # The bar: the target band in green, the start threshold as a tick, the value as the fill. Positions are
    # in signed terms (sign * value), so a falling drive fills the bar as it falls.
    lo, hi = gauge_range(state)
    k = state.sign
    start, target = k * state.start_line, k * state.target_line
    bar_w = int(44 * u)
    bx0, bx1 = cx - bar_w // 2, cx + bar_w // 2
    by0, by1 = top + int(104 * u), bottom - int(64 * u)
    if by1 - by0 < 20:
        return

    def y_of(deg: float) -> int:
        f = (min(max(deg, lo), hi) - lo) / (hi - lo)
        return int(by1 - f * (by1 - by0))

    cv2.rectangle(img, (bx0, by0), (bx1, by1), (70, 70, 70), -1)
    cv2.rectangle(img, (bx0, by0), (bx1, y_of(target)), (40, 110, 40), -1)
    if math.isfinite(value):
        reached = k * value >= target
        fill = GREEN if reached else (ORANGE if k * value > start else GREY)
        cv2.rectangle(img, (bx0 + int(6 * u), y_of(k * value)), (bx1 - int(6 * u), by1), fill, -1)
    cv2.rectangle(img, (bx0, by0), (bx1, by1), WHITE, max(1, round(2 * u)))
    ty = y_of(target)
    cv2.line(img, (bx0 - int(10 * u), ty), (bx1 + int(10 * u), ty), GREEN, max(2, round(3 * u)))
    sy = y_of(start)
    cv2.line(img, (bx0 - int(6 * u), sy), (bx1 + int(6 * u), sy), GREY, max(1, round(2 * u)))
    tick = 0.6 * u
    put_text(img, format_value(state.target_line, state.unit), (bx1 + int(12 * u), ty + int(8 * u)), tick, GREEN,
             thick)

    phase = st.phase if st else Phase.REST
    word = PHASE_WORDS.get(phase, str(phase))
    pw, _ = text_size(word, label_size, thick)
    put_text(img, word, (cx - pw // 2, bottom - int(22 * u)), label_size,
             GREEN if phase == Phase.HOLDING else WHITE, thick)

    if st is not None and (phase in (Phase.HOLDING, Phase.LOWERING) or (phase == Phase.LIFTING and st.hold_s > 0)):
        _hold_ring(img, (x0 - int(80 * u), max(ty, top + int(80 * u))), st.hold_s, state.min_hold_s, u)


def _hold_ring(img: np.ndarray, centre: tuple[int, int], hold_s: float, min_hold_s: float, u: float) -> None:
    """A ring that fills clockwise from the top as the hold lasts, seconds in the middle."""
    r = int(58 * u)
    frac = 0.0 if min_hold_s <= 0 else min(1.0, max(0.0, hold_s) / min_hold_s)
    cv2.circle(img, centre, r + int(10 * u), DARK, -1, cv2.LINE_AA)
    ring = max(4, round(12 * u))
    cv2.circle(img, centre, r, (80, 80, 80), ring, cv2.LINE_AA)
    if frac > 0:
        cv2.ellipse(img, centre, (r, r), -90, 0, 360 * frac, GREEN if frac >= 1 else ORANGE, ring, cv2.LINE_AA)
    size, thick = 1.0 * u, max(2, round(3 * u))
    text = f"{max(0.0, hold_s):.1f}"
    tw, th = text_size(text, size, thick)
    put_text(img, text, (centre[0] - tw // 2, centre[1] + th // 2 - int(6 * u)), size, WHITE, thick)
    sub = f"of {min_hold_s:g} s"
    ss = 0.5 * u
    sw, sh = text_size(sub, ss, max(1, round(u)))
    put_text(img, sub, (centre[0] - sw // 2, centre[1] + th // 2 + sh + int(6 * u)), ss, GREY, max(1, round(u)))


def _bottom_banner(img: np.ndarray, text: str, colour: tuple[int, int, int], u: float) -> None:
    h, w = img.shape[:2]
    band = int(100 * u)
    _shade(img, 0, h - band, w, h, 0.7)
    thick = max(2, round(4 * u))
    size = _fit(text, 1.6 * u, thick, w - int(60 * u))
    tw, th = text_size(text, size, thick)
    put_text(img, text, ((w - tw) // 2, h - band // 2 + th // 2), size, colour, thick)


def _centre_banner(img: np.ndarray, text: str, colour: tuple[int, int, int], u: float,
                   heading: str | None = None) -> None:
    h, w = img.shape[:2]
    thick = max(2, round(4 * u))
    size = _fit(text, 1.5 * u, thick, w - int(120 * u))
    tw, th = text_size(text, size, thick)
    box_h = int((150 if heading else 100) * u)
    cy = h // 2
    _shade(img, 0, cy - box_h // 2, w, cy + box_h // 2, 0.75)
    cv2.line(img, (0, cy - box_h // 2), (w, cy - box_h // 2), colour, max(2, round(3 * u)))
    cv2.line(img, (0, cy + box_h // 2), (w, cy + box_h // 2), colour, max(2, round(3 * u)))
    y = cy + th // 2
    if heading:
        hs = 0.8 * u
        hw, hh = text_size(heading, hs, max(1, round(2 * u)))
        put_text(img, heading, ((w - hw) // 2, cy - box_h // 2 + hh + int(20 * u)), hs, GREY, max(1, round(2 * u)))
        y += int(24 * u)
    put_text(img, text, ((w - tw) // 2, y), size, colour, thick)


# -- a routine's stages (posecount.routine decides them; this only draws) ---------------------------------
#: Each stage of a routine has its own colour (BGR), apart from the coaching colours above, so the stage is
#: told at a glance: the exercise strip, the rest countdown, the set-up (next exercise), the questions.
ROUTINE_BLUE = (255, 128, 0)
REST_TEAL = (160, 200, 0)
SETUP_PURPLE = (200, 50, 200)
ASK_YELLOW = (0, 220, 240)
STAGE_COLOURS: dict[str, tuple[int, int, int]] = {
    "exercise": ROUTINE_BLUE, "rest": REST_TEAL, "setup": SETUP_PURPLE, "ask_pain": ASK_YELLOW,
    "ask_effort": ASK_YELLOW, "done": GREEN}


@dataclass(frozen=True)
class RoutineBanner:
    """What the routine's layer shows (the fields of :class:`posecount.routine.RoutineView`)."""

    stage: str  # exercise | rest | setup | ask_pain | ask_effort | done
    heading: str
    text: str
    detail: str | None = None
    fraction: float | None = None  # a bar: the rest left, the set-up check's progress (0-1)
    choices: tuple[int, ...] = ()  # the answers on offer, drawn as numbered boxes


def draw_routine(image: np.ndarray, banner: RoutineBanner) -> np.ndarray:
    """Return a copy of ``image`` (the screen :func:`draw_overlay` made) with the routine's stage on it.

    While a leg is at work, a strip under the top bar (the exercise, the set, the leg's count, the breathing
    cue), ruled in the stage's colour; any other stage, a panel across the middle ruled in its colour, with
    the rest countdown's bar, the set-up check's progress, or the answers 0-10.
    """
    out = image.copy()
    h, w = out.shape[:2]
    u = _unit(w, h)
    colour = STAGE_COLOURS.get(banner.stage, WHITE)
    if banner.stage == "exercise":
        _routine_strip(out, banner, colour, u)
    else:
        _routine_panel(out, banner, colour, u)
    return out


def _routine_strip(img: np.ndarray, banner: RoutineBanner, colour: tuple[int, int, int], u: float) -> None:
    w = img.shape[1]
    x1 = w - int(190 * u)  # left of the gauge column
    y0, y1 = int(92 * u), int(166 * u)
    _shade(img, 0, y0, x1, y1, 0.6)
    rule = max(2, round(4 * u))
    cv2.rectangle(img, (0, y1 - rule), (x1, y1), colour, -1)
    cv2.rectangle(img, (0, y0), (int(8 * u), y1), colour, -1)
    small, sthick = 0.6 * u, max(1, round(2 * u))
    x = int(22 * u)
    put_text(img, banner.heading, (x, y0 + int(20 * u)), _fit(banner.heading, small, sthick, x1 - x), GREY, sthick)
    size, thick = 1.3 * u, max(2, round(3 * u))
    line = banner.text + (f"   {banner.detail}" if banner.detail else "")
    size = _fit(line, size, thick, x1 - x - int(10 * u))
    tw = put_text(img, banner.text, (x, y1 - int(12 * u)), size, WHITE, thick, outline=True)
    if banner.detail:
        put_text(img, f"   {banner.detail}", (x + tw, y1 - int(12 * u)), size, colour, thick, outline=True)


def _two_lines(text: str, size: float, thick: int, max_w: int) -> list[str]:
    """``text`` as one line if it fits at 80% of ``size`` or more, else split in two (at " - " if it has one,
    else at the space nearest the middle)."""
    if _fit(text, size, thick, max_w) >= 0.8 * size or " " not in text:
        return [text]
    head, sep, tail = text.partition(" - ")
    if not sep:
        mid = len(text) // 2
        cut = min((i for i, ch in enumerate(text) if ch == " "), key=lambda i: abs(i - mid))
        head, tail = text[:cut], text[cut + 1:]
    return [head, tail]


def _ruled_box(img: np.ndarray, y0: int, y1: int, colour: tuple[int, int, int], shade: float, rule_px: int,
               heading: str, heading_top: int, u: float) -> int:
    """A band across the picture from ``y0`` to ``y1``: darkened, ruled top and bottom in ``colour``, its small
    grey ``heading`` centred below ``heading_top``; returns the heading's baseline."""
    w = img.shape[1]
    _shade(img, 0, y0, w, y1, shade)
    cv2.rectangle(img, (0, y0), (w, y0 + rule_px), colour, -1)
    cv2.rectangle(img, (0, y1 - rule_px), (w, y1), colour, -1)
    hs, hthick = 0.8 * u, max(1, round(2 * u))
    hw, hh = text_size(heading, hs, hthick)
    y = heading_top + hh
    put_text(img, heading, ((w - hw) // 2, y), hs, GREY, hthick)
    return y


def _routine_panel(img: np.ndarray, banner: RoutineBanner, colour: tuple[int, int, int], u: float) -> None:
    h, w = img.shape[:2]
    box_h = int((270 if banner.choices else 250) * u)
    y0 = max(int(96 * u), h // 2 - box_h // 2)
    y1 = min(h, y0 + box_h)
    y = _ruled_box(img, y0, y1, colour, 0.8, max(2, round(3 * u)), banner.heading, y0 + int(22 * u), u)
    thick = max(2, round(4 * u))
    want = (2.2 if banner.stage == "rest" else 1.3) * u
    lines = _two_lines(banner.text, want, thick, w - int(80 * u))
    size = min(_fit(line, want, thick, w - int(80 * u)) for line in lines)
    for line in lines:
        tw, th = text_size(line, size, thick)
        y += th + int(26 * u if line is lines[0] else 14 * u)
        put_text(img, line, ((w - tw) // 2, y), size, colour, thick)
    if banner.detail:
        ds, dthick = 0.85 * u, max(1, round(2 * u))
        ds = _fit(banner.detail, ds, dthick, w - int(80 * u))
        dw, dh = text_size(banner.detail, ds, dthick)
        y += dh + int(24 * u)
        put_text(img, banner.detail, ((w - dw) // 2, y), ds, WHITE, dthick)
    if banner.fraction is not None:
        bar_w, bar_h = int(w * 0.5), max(6, int(14 * u))
        bx0, by0 = (w - bar_w) // 2, y + int(22 * u)
        cv2.rectangle(img, (bx0, by0), (bx0 + bar_w, by0 + bar_h), (70, 70, 70), -1)
        filled = int(bar_w * min(1.0, max(0.0, banner.fraction)))
        if filled > 0:
            cv2.rectangle(img, (bx0, by0), (bx0 + filled, by0 + bar_h), colour, -1)
    if banner.choices:
        n = len(banner.choices)
        box = int(min(60 * u, (w - 80 * u) / n - 8 * u))
        gap = int(8 * u)
        x = (w - (n * box + (n - 1) * gap)) // 2
        by0 = y1 - box - int(22 * u)
        cs, cthick = 0.8 * u, max(1, round(2 * u))
        for value in banner.choices:
            cv2.rectangle(img, (x, by0), (x + box, by0 + box), colour, max(1, round(2 * u)))
            label = "10 T" if value == 10 else str(value)
            ls = _fit(label, cs, cthick, box - int(8 * u))
            lw, lh = text_size(label, ls, cthick)
            put_text(img, label, (x + (box - lw) // 2, by0 + (box + lh) // 2), ls, WHITE, cthick)
            x += box + gap


# -- a function test live (posecount.testrun decides it; this only draws) -------------------------------------
#: A function test's own colour (BGR), apart from the coaching and routine colours: its clock panel, the
#: countdown and the result are ruled in it.
TEST_PINK = (180, 80, 255)


@dataclass(frozen=True)
class TestPanel:
    """What a function test shows (the fields of :class:`posecount.testrun.TestView`)."""

    __test__ = False  # not a pytest test class

    kind: str  # count_in_time | time_to_count | stances
    stage: str  # setup | countdown | running | settling | done
    heading: str
    clock: str
    label: str
    count: str | None = None
    detail: str | None = None
    fraction: float | None = None
    centre: str | None = None
    result: str | None = None
    laps: tuple[tuple[str, str, bool | None], ...] = ()


def draw_pose(image: np.ndarray, pose: Pose | None, mirror: bool = False) -> np.ndarray:
    """A copy of ``image`` with the skeleton and the leg tags only: the screen of a test that counts no reps (the
    balance test), on which :func:`draw_test` puts its stopwatch."""
    return _pose_layer(image, pose, None, mirror)


def _pose_layer(image: np.ndarray, pose: Pose | None, active: Side | None, mirror: bool) -> np.ndarray:
    """A copy of ``image`` with the skeleton (``active``'s leg highlighted), flipped for display when
    ``mirror``, and the leg tags (drawn after the flip, so they read the right way round)."""
    out = image.copy()
    u = _unit(out.shape[1], out.shape[0])
    if pose is not None:
        _skeleton(out, pose, active, u)
    if mirror:
        out = cv2.flip(out, 1)
    if pose is not None:
        _leg_tags(out, pose, mirror, u)
    return out


def draw_test(image: np.ndarray, panel: TestPanel) -> np.ndarray:
    """A copy of ``image`` with the test on it: before go a panel across the middle (how to get ready, then the
    countdown's numbers, big); while it runs a clock panel at the top left, over the counts of the top bar (the
    clock, what it counts, a bar; the balance test's stopwatch with the stance's name, the next stance's
    instruction and the stances so far); at the end the result across the middle."""
    out = image.copy()
    h, w = out.shape[:2]
    u = _unit(w, h)
    if panel.stage == "done":
        _test_result(out, panel, u)
    elif panel.stage == "setup":
        _routine_panel(out, RoutineBanner("test", panel.heading, panel.label, panel.detail), TEST_PINK, u)
    elif panel.stage == "countdown":
        _test_countdown(out, panel, u)
    else:
        _test_clock(out, panel, u)
        if panel.centre:
            _test_centre(out, panel.centre, u)
    return out


def _test_clock(img: np.ndarray, panel: TestPanel, u: float) -> None:
    w = img.shape[1]
    x1 = w - int(190 * u)  # left of the gauge column
    y1 = int((230 if panel.kind == "stances" else 180) * u)
    bar_h = int(92 * u)  # the top bar's height: its counts are covered whole (the test's clock replaces them)
    cv2.rectangle(img, (0, 0), (x1, bar_h), DARK, -1)
    _shade(img, 0, bar_h, x1, y1, 0.85)
    rule = max(2, round(4 * u))
    cv2.rectangle(img, (0, y1 - rule), (x1, y1), TEST_PINK, -1)
    cv2.rectangle(img, (0, 0), (int(10 * u), y1), TEST_PINK, -1)
    x = int(26 * u)
    small, sthick = 0.7 * u, max(1, round(2 * u))
    put_text(img, panel.heading, (x, int(30 * u)), _fit(panel.heading, small, sthick, x1 - x), GREY, sthick)
    big, bthick = 2.4 * u, max(3, round(5 * u))
    y = int(104 * u)
    cw = put_text(img, panel.clock, (x, y), big, WHITE, bthick, outline=True) if panel.clock else 0
    size, thick = 1.2 * u, max(2, round(3 * u))
    line = f"{panel.label}   {panel.count}" if panel.count else panel.label
    size = _fit(line, size, thick, max(10, x1 - x - cw - int(40 * u)))
    lx = x + cw + int(28 * u)
    lw = put_text(img, panel.label, (lx, y), size, TEST_PINK, thick, outline=True) if panel.label else 0
    if panel.count:
        put_text(img, f"   {panel.count}", (lx + lw, y), size, ORANGE, thick, outline=True)
    if panel.fraction is not None:
        bx0, by0, bx1, by1 = x, int(124 * u), x1 - int(26 * u), int(124 * u) + max(6, int(16 * u))
        cv2.rectangle(img, (bx0, by0), (bx1, by1), (70, 70, 70), -1)
        filled = int((bx1 - bx0) * min(1.0, max(0.0, panel.fraction)))
        if filled > 0:
            cv2.rectangle(img, (bx0, by0), (bx0 + filled, by1), TEST_PINK, -1)
    if panel.detail:
        ds, dthick = 0.75 * u, max(1, round(2 * u))
        put_text(img, panel.detail, (x, int(176 * u)), _fit(panel.detail, ds, dthick, x1 - x - int(20 * u)), WHITE,
                 dthick)
    ls, lthick = 0.65 * u, max(1, round(2 * u))
    y = y1 + int(34 * u)
    for title, held_text, held in panel.laps:
        colour = WHITE if held is None else (GREEN if held else RED)
        mark = "" if held is None else ("  held" if held else "  not held")
        put_text(img, f"{title}  {held_text}{mark}", (x, y), ls, colour, lthick, outline=True)
        y += int(30 * u)


def _test_countdown(img: np.ndarray, panel: TestPanel, u: float) -> None:
    """A band across the middle ruled in the test's colour: the test and "Get ready" above, the countdown's number
    big in a disc, how to be ready below."""
    h, w = img.shape[:2]
    half = int(170 * u)
    y0, y1 = max(0, h // 2 - half), min(h, h // 2 + half)
    _shade(img, 0, y0, w, y1, 0.8)
    rule = max(2, round(3 * u))
    cv2.rectangle(img, (0, y0), (w, y0 + rule), TEST_PINK, -1)
    cv2.rectangle(img, (0, y1 - rule), (w, y1), TEST_PINK, -1)
    hs, hthick = 0.8 * u, max(1, round(2 * u))
    head = f"{panel.heading} - {panel.label}" if panel.label else panel.heading
    hs = _fit(head, hs, hthick, w - int(80 * u))
    hw, hh = text_size(head, hs, hthick)
    put_text(img, head, ((w - hw) // 2, y0 + hh + int(20 * u)), hs, GREY, hthick)
    if panel.centre:
        _test_centre(img, panel.centre, u, size=3.0)
    if panel.detail:
        ds, dthick = 0.85 * u, max(1, round(2 * u))
        ds = _fit(panel.detail, ds, dthick, w - int(80 * u))
        dw, _ = text_size(panel.detail, ds, dthick)
        put_text(img, panel.detail, ((w - dw) // 2, y1 - int(22 * u)), ds, WHITE, dthick)


def _test_centre(img: np.ndarray, text: str, u: float, size: float = 4.0) -> None:
    """The countdown's number or "Go!", big in the middle on a disc ruled in the test's colour."""
    h, w = img.shape[:2]
    size, thick = size * u, max(4, round(size * 2.5 * u))
    tw, th = text_size(text, size, thick)
    r = int(max(tw, th) * 0.5 + 40 * u)
    centre = (w // 2, h // 2)
    cv2.circle(img, centre, r, DARK, -1, cv2.LINE_AA)
    cv2.circle(img, centre, r, TEST_PINK, max(4, round(8 * u)), cv2.LINE_AA)
    put_text(img, text, (centre[0] - tw // 2, centre[1] + th // 2), size, WHITE, thick)


def _wrap(text: str, size: float, thick: int, max_w: int, max_lines: int = 3) -> list[str]:
    """``text`` in lines no wider than ``max_w`` at ``size`` (the last line takes the rest)."""
    lines: list[str] = []
    line = ""
    for word in text.split():
        trial = f"{line} {word}".strip()
        if line and text_size(trial, size, thick)[0] > max_w and len(lines) < max_lines - 1:
            lines.append(line)
            line = word
        else:
            line = trial
    return [*lines, line] if line else lines


def _test_result(img: np.ndarray, panel: TestPanel, u: float) -> None:
    h, w = img.shape[:2]
    box_h = int(300 * u)
    y0 = max(0, h // 2 - box_h // 2)
    y1 = min(h, y0 + box_h)
    y = _ruled_box(img, y0, y1, TEST_PINK, 0.85, max(2, round(4 * u)), panel.heading, y0 + int(24 * u), u)
    big, bthick = 2.2 * u, max(3, round(5 * u))
    big = _fit(panel.label, big, bthick, w - int(80 * u))
    bw, bh = text_size(panel.label, big, bthick)
    y += bh + int(30 * u)
    put_text(img, panel.label, ((w - bw) // 2, y), big, TEST_PINK, bthick)
    ds, dthick = 0.8 * u, max(1, round(2 * u))
    for line in _wrap(panel.result or "", ds, dthick, w - int(80 * u)):
        size = _fit(line, ds, dthick, w - int(80 * u))
        lw, lh = text_size(line, size, dthick)
        y += lh + int(18 * u)
        put_text(img, line, ((w - lw) // 2, y), size, WHITE, dthick)


__all__ = ["ROUTINE_BLUE", "STAGE_COLOURS", "TEST_PINK", "OverlayState", "RoutineBanner", "TestPanel", "draw_overlay",
           "draw_pose", "draw_routine", "draw_test", "drawable_text", "gauge_range_deg", "put_text", "text_size"]
