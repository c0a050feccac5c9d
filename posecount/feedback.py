"""Coaching: turns engine events and state into one plain-words message at a time.

Like a physiotherapist watching: form faults before everything, then set-up problems, then the step at
hand ("Hold… 2 s", "Lower slowly"), then praise. A message stays up at least ``min_show_s`` and the same
line is not repeated within ``cooldown_s``, so the screen is calm and speech does not chatter.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum

from posecount.exercises.engine import EventKind, Phase, RepEvent, SideState
from posecount.exercises.spec import ExerciseSpec, Side


class Tone(StrEnum):
    FAULT = "fault"
    SETUP = "setup"
    STEP = "step"
    PRAISE = "praise"


# Higher speaks first.
PRIORITY = {Tone.FAULT: 90, Tone.SETUP: 80, Tone.STEP: 40, Tone.PRAISE: 30}


@dataclass(frozen=True)
class Message:
    text: str
    tone: Tone
    priority: int
    since_ms: int
    speak: bool = True  # new enough to be spoken


@dataclass(frozen=True)
class CoachSettings:
    min_show_s: float = 1.5
    cooldown_s: float = 4.0


class Coach:
    """Chooses the message on screen. Pure: timestamps in, :class:`Message` out."""

    def __init__(self, spec: ExerciseSpec, settings: CoachSettings | None = None) -> None:
        self.spec = spec
        self.settings = settings or CoachSettings()
        self.current: Message | None = None
        self._last_said: dict[str, int] = {}
        self._last_side: Side | None = None

    def reset(self) -> None:
        self.current = None
        self._last_said.clear()
        self._last_side = None

    def update(self, timestamp_ms: int, events: list[RepEvent], states: dict[Side, SideState],
               view_ok: bool, view_issue: str | None) -> Message | None:
        m = self.spec.messages
        candidates: list[tuple[str, Tone, int]] = []
        if not view_ok and view_issue:
            candidates.append((view_issue, Tone.SETUP, PRIORITY[Tone.SETUP]))
        for ev in events:
            if ev.kind == EventKind.FORM_FAULT and ev.message:
                rule_priority = next((r.priority for r in self.spec.rules if r.code == ev.code), 50)
                candidates.append((ev.message, Tone.FAULT, PRIORITY[Tone.FAULT] + rule_priority // 10))
            elif ev.kind == EventKind.ATTEMPT_DROPPED and ev.message:
                candidates.append((ev.message, Tone.SETUP, PRIORITY[Tone.SETUP]))
            elif ev.kind == EventKind.HOLD_COMPLETE:
                candidates.append((m.lower, Tone.STEP, PRIORITY[Tone.STEP] + 5))
            elif ev.kind == EventKind.REP_FINISHED and ev.rep is not None:
                rep = ev.rep
                if rep.counted and not rep.faults:
                    text = m.praise
                    if self._last_side == rep.side and self.spec.track_kind == "per_leg":
                        text = f"{m.praise}. {m.other_leg}"
                    candidates.append((text, Tone.PRAISE, PRIORITY[Tone.PRAISE]))
                elif {"lost_sight", "incomplete"} & set(rep.faults):
                    pass  # not the person's doing: the drop is said by ATTEMPT_DROPPED, the end by the summary
                elif "range_too_small" in rep.faults:
                    candidates.append((m.too_small, Tone.FAULT, PRIORITY[Tone.FAULT] - 5))
                elif "hold_too_short" in rep.faults:
                    candidates.append((m.too_short, Tone.FAULT, PRIORITY[Tone.FAULT] - 5))
                elif "lowered_too_fast" in rep.faults:
                    candidates.append((m.too_fast, Tone.FAULT, PRIORITY[Tone.FAULT] - 5))
                if rep.counted:
                    self._last_side = rep.side
        for side, st in states.items():
            for code in st.active_faults:  # keep saying it while it lasts
                rule = next((r for r in self.spec.rules if r.code == code), None)
                if rule is not None:
                    candidates.append((rule.message, Tone.FAULT, PRIORITY[Tone.FAULT] + rule.priority // 10))
            if st.phase == Phase.HOLDING and st.hold_s < self.spec.min_hold_s(side):
                candidates.append((m.hold.format(hold_s=max(1.0, st.hold_s + 0.5), side=side), Tone.STEP,
                                   PRIORITY[Tone.STEP]))
            elif st.phase == Phase.LOWERING:
                candidates.append((m.lower, Tone.STEP, PRIORITY[Tone.STEP]))
        return self._choose(timestamp_ms, candidates)

    def _choose(self, t: int, candidates: list[tuple[str, Tone, int]]) -> Message | None:
        """The highest-priority candidate, with three rules for calm: the line on screen stays while it is
        still the best (and at least ``min_show_s`` unless something more urgent comes); a line said within
        ``cooldown_s`` is not brought back (counting lines excepted); with nothing to say, the last line
        fades after a while."""
        s = self.settings
        cur = self.current
        best: tuple[str, Tone, int] | None = None
        for text, tone, priority in candidates:
            fresh = cur is not None and text == cur.text
            cooled = t - self._last_said.get(text, -(10**9)) >= s.cooldown_s * 1000 or tone == Tone.STEP
            if (fresh or cooled) and (best is None or priority > best[2]):
                best = (text, tone, priority)
        if best is None:
            if cur is not None and t - cur.since_ms > 4 * s.min_show_s * 1000:
                self.current = None
            return self.current
        text, tone, priority = best
        if cur is not None and text == cur.text:
            self._last_said[text] = t
            return cur
        if cur is not None and t - cur.since_ms < s.min_show_s * 1000 and priority <= cur.priority:
            return cur
        # "Hold… 1 s", "Hold… 2 s": a counting line is refreshed each second but spoken once.
        stem = text.split("…")[0]
        speak = cur is None or stem != cur.text.split("…")[0]
        self.current = Message(text, tone, priority, t, speak=speak)
        self._last_said[text] = t
        return self.current
