"""Speech: the worker never blocks the caller, never builds a backlog, and degrades to the bell."""

from __future__ import annotations

import logging
import os
import stat
import sys
import threading
import time
from pathlib import Path

import pytest

from posecount import speech
from posecount.speech import BellVoice, EspeakVoice, Speaker, default_voice, spoken_text


class SlowVoice:
    """Says a line in ``seconds``; records what it said."""

    name = "slow"

    def __init__(self, seconds: float = 0.3) -> None:
        self.seconds = seconds
        self.said: list[str] = []
        self.stopped = threading.Event()

    def say(self, text: str) -> None:
        self.said.append(text)
        self.stopped.wait(self.seconds)

    def stop(self) -> None:
        self.stopped.set()


def test_spoken_text() -> None:
    assert spoken_text("Hold… 2 s") == "Hold, 2 seconds"
    assert spoken_text("Hold… 1 s") == "Hold, 1 second"
    assert spoken_text("Keep your knee straight") == "Keep your knee straight"


def test_say_never_blocks_and_drops_the_backlog() -> None:
    voice = SlowVoice(0.4)
    with Speaker(lambda: voice) as speaker:
        t0 = time.monotonic()
        for i in range(10):
            speaker.say(f"line {i}")
            time.sleep(0.01)
        assert time.monotonic() - t0 < 0.3, "say() must return at once"
        assert speaker.wait_idle(3.0)
    # The first line was taken at once; of the nine said while it played only the newest survived.
    assert voice.said == ["line 0", "line 9"]
    assert speaker.dropped == 8


def test_stale_line_is_dropped() -> None:
    voice = SlowVoice(0.5)
    with Speaker(lambda: voice, max_age_s=0.2) as speaker:
        speaker.say("first")
        time.sleep(0.05)
        speaker.say("too late")  # waits 0.45 s behind "first": older than max_age_s when the voice is free
        assert speaker.wait_idle(3.0)
    assert voice.said == ["first"]
    assert speaker.dropped == 1


def test_mute_drops_and_silences_and_unmute_speaks_again() -> None:
    voice = SlowVoice(0.05)
    made: list[int] = []

    def factory() -> SlowVoice:
        made.append(1)
        return voice

    with Speaker(factory, muted=True) as speaker:
        speaker.say("not said")
        time.sleep(0.1)
        assert made == [], "a muted speaker does not even load a voice"
        speaker.muted = False
        speaker.say("said")
        assert speaker.wait_idle(2.0)
        speaker.muted = True
        speaker.say("not said either")
        time.sleep(0.1)
    assert voice.said == ["said"]
    assert list(speaker.spoken) == ["said"]


def test_muting_cuts_the_current_line_short() -> None:
    voice = SlowVoice(5.0)
    with Speaker(lambda: voice) as speaker:
        speaker.say("a long line")
        time.sleep(0.1)
        t0 = time.monotonic()
        speaker.muted = True
        assert speaker.wait_idle(1.0)
        assert time.monotonic() - t0 < 1.0


def test_broken_voice_falls_back_to_bell(caplog: pytest.LogCaptureFixture) -> None:
    def broken() -> SlowVoice:
        raise OSError("libespeak-ng.so.1: cannot open shared object file")

    with caplog.at_level(logging.WARNING, logger="posecount.speech"), Speaker(broken) as speaker:
        speaker.say("hello")
        assert speaker.wait_idle(2.0)
        assert speaker.voice_name == "terminal bell"
    assert "no voice for spoken cues" in caplog.text and "espeak-ng" in caplog.text


def test_default_voice_without_anything_is_the_bell_with_one_clear_message(
        monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture) -> None:
    monkeypatch.setattr(speech, "_pyttsx3_importable", lambda: False)
    monkeypatch.setattr(speech.shutil, "which", lambda name: None)
    with caplog.at_level(logging.INFO, logger="posecount.speech"):
        voice = default_voice()
    assert isinstance(voice, BellVoice)
    warnings = [r for r in caplog.records if r.levelno >= logging.WARNING]
    assert len(warnings) == 1 and "posecount[speech]" in warnings[0].getMessage()


def test_default_voice_uses_the_espeak_program(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(speech, "_pyttsx3_importable", lambda: False)
    monkeypatch.setattr(speech.shutil, "which", lambda name: f"/usr/bin/{name}" if name == "espeak-ng" else None)
    voice = default_voice()
    assert isinstance(voice, EspeakVoice) and voice.name == "espeak-ng"


def _fake_espeak(tmp_path: Path, body: str) -> Path:
    exe = tmp_path / "espeak-ng"
    exe.write_text("#!/bin/sh\n" + body)
    exe.chmod(exe.stat().st_mode | stat.S_IXUSR)
    return exe


@pytest.mark.skipif(os.name != "posix", reason="uses a shell script as the espeak program")
def test_espeak_voice_runs_the_program_with_the_text(tmp_path: Path) -> None:
    out = tmp_path / "said.txt"
    exe = _fake_espeak(tmp_path, f'printf "%s|" "$@" > "{out}"\n')
    EspeakVoice(str(exe), rate_wpm=150).say("Hold, 2 seconds")
    assert out.read_text() == "-s|150|Hold, 2 seconds|"


@pytest.mark.skipif(os.name != "posix", reason="uses a shell script as the espeak program")
def test_espeak_voice_stop_ends_the_process(tmp_path: Path) -> None:
    exe = _fake_espeak(tmp_path, "exec sleep 30\n")
    voice = EspeakVoice(str(exe))
    t = threading.Thread(target=voice.say, args=("a very long line",))
    t0 = time.monotonic()
    t.start()
    time.sleep(0.3)
    voice.stop()
    t.join(5.0)
    assert not t.is_alive() and time.monotonic() - t0 < 5.0


def test_speaker_with_the_real_default_voice_does_not_block() -> None:
    """Whatever voice this machine has (pyttsx3, espeak-ng or the bell), saying a line returns at once."""
    with Speaker() as speaker:
        t0 = time.monotonic()
        speaker.say("Well done")
        assert time.monotonic() - t0 < 0.1
        speaker.wait_idle(10.0)
        assert speaker.voice_name is not None


def test_default_voice_prefers_pyttsx3_when_it_can_play(monkeypatch: pytest.MonkeyPatch) -> None:
    import types

    said: list[str] = []

    class Engine:
        def setProperty(self, name: str, value: object) -> None:  # noqa: N802 (pyttsx3's API)
            pass

        def say(self, text: str) -> None:
            said.append(text)

        def runAndWait(self) -> None:  # noqa: N802
            pass

    monkeypatch.setitem(sys.modules, "pyttsx3", types.SimpleNamespace(init=Engine))
    monkeypatch.setattr(speech, "_pyttsx3_importable", lambda: True)
    monkeypatch.setattr(speech.shutil, "which", lambda name: f"/usr/bin/{name}")
    voice = default_voice()
    assert voice.name == "pyttsx3"
    voice.say("Lower slowly")
    assert said == ["Lower slowly"]
    if sys.platform.startswith("linux"):  # pyttsx3 plays through aplay there: without it, espeak-ng directly
        monkeypatch.setattr(speech.shutil, "which", lambda name: None if name == "aplay" else f"/usr/bin/{name}")
        assert isinstance(default_voice(), EspeakVoice)
