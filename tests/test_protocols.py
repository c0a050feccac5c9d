"""Function tests scored from drawn stands: the 30-second chair stand and the five-times sit-to-stand.

Truth is the protocol applied to the motion drawn here (when each stand reaches the top, where the hips are
at 30 s), never the engine's lines: a stand counts when the drawn hips reach standing height; at 30 s one
on its way up counts when the drawn hips are more than halfway from the seat to standing.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest
from test_tracks import SEATED, STANDING, _body_frames, _segments

from posecount.exercises import get_exercise
from posecount.exercises.engine import RepCounter
from posecount.exercises.protocols import get_protocol, load_protocol, score_test

STS = get_exercise("sit-to-stand")
CHAIR = get_protocol("chair-stand-30s")
FIVE = get_protocol("five-times-sit-to-stand")
DT_S = 0.033


def _drawn(moves: list[tuple[float, float, float, float]], rest_s: float, wrists: object = 0.3):
    samples = _segments(SEATED, moves, rest_s=rest_s)
    counter = RepCounter(STS)
    series = []
    for f in _body_frames(samples, "hip_height_ratio", {"wrist_drop_ratio": wrists}):
        counter.update(f)
        series.append((f.timestamp_ms / 1000.0, f.body["hip_height_ratio"]))
    counter.finish(samples[-1][0])
    return counter, series, samples


#: "Fully standing", as a person with a stopwatch sees it: the hips 95 % of the way from the seat to standing
#: height (a minimum-jerk rise covers its last 5 % in its last fifth, when it all but stops).
UPRIGHT = SEATED + 0.95 * (STANDING - SEATED)


def _tops(samples: list[tuple[int, float]]) -> list[float]:
    """When the drawn hips are first upright in each stand (the protocol's full stand)."""
    tops, up = [], False
    for t, v in samples:
        if not up and v >= UPRIGHT:
            tops.append(t / 1000.0)
        up = v >= UPRIGHT
    return tops


def _score(counter: RepCounter, series, protocol=CHAIR, **kw):
    return score_test(protocol, counter.reps, series, rest=counter.rest_level("both"),
                      start=counter.start_line("both"), target=counter.target_line("both"), **kw)


def test_thirty_second_chair_stand_counts_the_full_stands_within_30_s() -> None:
    """Stands of 2.6 s each from 'go' (0.4 s): the score is the drawn stands whose top is within 30 s."""
    counter, series, samples = _drawn([(STANDING, 1.0, 0.2, 1.0)] * 13, rest_s=0.4)
    go = 0.4
    tops = [t for t in _tops(samples) if t <= go + 30.0]
    result = _score(counter, series, start_s=go)
    standing_at_end = [v for t, v in samples if t / 1000.0 <= go + 30.0][-1] >= STANDING - 1e-9
    halfway = ([v for t, v in samples if t / 1000.0 <= go + 30.0][-1] - SEATED) / (STANDING - SEATED) > 0.5
    assert 10 <= len(tops) <= 12
    assert result.score == len(tops) + int(halfway and not standing_at_end)


@pytest.mark.parametrize(("share", "extra"), [(0.7, 1), (0.3, 0)])
def test_more_than_halfway_up_at_30_s_counts_and_less_does_not(share: float, extra: int) -> None:
    """Nine stands, then a seated pause placed so that 30 s after 'go' falls mid-rise of the tenth, with the
    drawn hips at 70 % (counts) or 30 % (does not) of the way from the seat to standing."""
    rise_s, go = 1.2, 0.3
    samples = _segments(SEATED, [(STANDING, rise_s, 0.3, 1.2)] * 9, rest_s=go)
    t_ms = samples[-1][0]
    tenth_rise_start_ms = (go + 30.0 - _min_jerk_inverse(share) * rise_s) * 1000
    while t_ms + 33 < tenth_rise_start_ms:
        t_ms += 33
        samples.append((t_ms, SEATED))
    rise_from = t_ms + 33
    for _ in range(round(rise_s * 1000 / 33) + 20):
        t_ms += 33
        samples.append((t_ms, SEATED + (STANDING - SEATED) * _mj((t_ms - rise_from) / 1000 / rise_s)))
    counter = RepCounter(STS)
    series = []
    for f in _body_frames(samples, "hip_height_ratio", {"wrist_drop_ratio": 0.3}):
        counter.update(f)
        series.append((f.timestamp_ms / 1000.0, f.body["hip_height_ratio"]))
    counter.finish(samples[-1][0])
    drawn_at_end = [v for t, v in samples if t / 1000.0 <= go + 30.0][-1]
    assert abs((drawn_at_end - SEATED) / (STANDING - SEATED) - share) < 0.06
    result = _score(counter, series, start_s=go)
    assert len(result.stands) == 9 and result.score == 9 + extra
    assert result.halfway_at_end == bool(extra)


def _mj(u: float) -> float:
    u = min(1.0, max(0.0, u))
    return 10 * u**3 - 15 * u**4 + 6 * u**5


def _min_jerk_inverse(share: float) -> float:
    lo, hi = 0.0, 1.0
    for _ in range(50):
        mid = (lo + hi) / 2
        lo, hi = (mid, hi) if _mj(mid) < share else (lo, mid)
    return lo


def test_a_push_off_scores_zero_as_the_protocol_says() -> None:
    moves = [(STANDING, 1.0, 0.2, 1.0)] * 6
    push_from, push_to = 8.0, 9.0  # the hands go to the thighs during the 4th rise

    def wrists(t: int) -> float:
        return 1.0 if push_from * 1000 <= t <= push_to * 1000 else 0.3

    counter, series, _ = _drawn(moves, rest_s=0.4, wrists=wrists)
    result = _score(counter, series, start_s=0.4, age=70, sex="female")
    assert result.score == 0 and result.voided_by == "arms_push_off"
    assert result.below_norm is True


def test_five_times_sit_to_stand_is_the_time_from_go_to_the_fifth_full_stand() -> None:
    moves = [(STANDING, 1.1, 0.2, 1.0)] * 6
    counter, series, samples = _drawn(moves, rest_s=0.5)
    tops = _tops(samples)
    result = _score(counter, series, FIVE, start_s=0.5, age=75)
    assert result.completed and result.time_s == pytest.approx(tops[4] - 0.5, abs=0.15)
    # each stand is timed when the person is up, not when the engine's hold at the top starts (earlier)
    assert [round(t, 2) for t in result.stands] == pytest.approx(tops[:5], abs=0.15)
    assert all(r.peak_s < t - 0.05 for r, t in zip(counter.reps, result.stands, strict=False))
    assert result.below_norm is False  # 5 stands of 2.3 s: about 10 s, under the 12.6 s line of 70-79
    # 'go' found from the first movement, without --start: within a frame or two of the drawn onset (0.5 s)
    found = _score(counter, series, FIVE)
    assert found.start_from == "first movement" and found.start_s == pytest.approx(0.5, abs=0.2)


def test_fewer_than_five_stands_is_not_completed() -> None:
    counter, series, _ = _drawn([(STANDING, 1.1, 0.2, 1.0)] * 3 + [(0.7, 1.0, 0.2, 1.0)], rest_s=0.5)
    result = _score(counter, series, FIVE, start_s=0.5, age=75)
    assert not result.completed and result.time_s is None and len(result.stands) == 3
    assert "not completed (3 of 5 stands)" in result.verdict()


@pytest.mark.parametrize(("age", "sex", "score", "below"), [
    (62, "male", 13, True), (62, "male", 14, False), (62, "female", 11, True), (62, "female", 12, False),
    (91, "female", 3, True), (91, "female", 4, False), (55, "male", 5, None)])
def test_steadi_norms_by_age_and_sex(age: int, sex: str, score: int, below: bool | None) -> None:
    """The STEADI table: below average is a score under the band's line (none below 60 years)."""
    from posecount.exercises.protocols import FunctionTestResult

    r = FunctionTestResult(CHAIR, 0.0, "given", score, None, True, None, (), False, age, sex,  # type: ignore[arg-type]
                           CHAIR.norm_for(age, sex))  # type: ignore[arg-type]
    assert r.below_norm is below


def test_a_bad_test_file_is_one_line(tmp_path: Path) -> None:
    bad = tmp_path / "t.toml"
    bad.write_text('name = "x"\ntitle = "x"\ndescription = "x"\nexercise = "sit-to-stand"\nkind = "count_in_time"\n'
                   'norm = "worse_if_more"\nnorm_source = "x"\n')
    from posecount.errors import ConfigError
    with pytest.raises(ConfigError, match="needs duration_s"):
        load_protocol(bad)


def test_the_command_scores_a_test_and_refuses_an_unknown_one(tmp_path: Path) -> None:
    """`posecount test`: an unknown test is one line and exit 2; a known one writes report.json with `test`."""
    exe = Path(sys.executable).with_name("posecount")
    cmd = [str(exe)] if exe.is_file() else [sys.executable, "-m", "posecount"]
    samples = Path(__file__).resolve().parents[1] / "samples"
    clip = samples / "ske_clean_facing_right.mp4"
    bad = subprocess.run([*cmd, "test", "chair-stand-60s", str(clip)], capture_output=True, text=True, timeout=60)
    assert bad.returncode == 2 and "unknown test 'chair-stand-60s'" in bad.stderr
    assert len(bad.stderr.strip().splitlines()) == 1 and "Traceback" not in bad.stderr
    ok = subprocess.run([*cmd, "test", "chair-stand-30s", str(clip), "--age", "70", "--sex", "female", "--no-video",
                         "--landmarks", str(samples / "landmarks" / "ske_clean_facing_right.npz"),
                         "--out", str(tmp_path)], capture_output=True, text=True, timeout=120)
    assert ok.returncode == 0, ok.stderr
    test = json.loads((tmp_path / "report.json").read_text())["test"]
    # Knee extensions seated are no stands: 0, below the 10 of a 70-year-old woman.
    assert test["score"] == 0 and test["norm"]["below_norm"] is True and "STEADI" in test["norm_source"]
