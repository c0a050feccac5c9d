"""`posecount progress` (issue 10, part 4) on a generated month of history (tests/historyfixture.py): every day's
figures per leg, the symmetry index, the first-week-against-last-week lines, against the numbers the fixture
drew (never against the queries themselves); the command's table, lines, chart and one-line errors."""

from __future__ import annotations

import io
from datetime import date, datetime, timedelta
from pathlib import Path
from statistics import mean

import numpy as np
import pytest
from commands import one_error_line, posecount
from historyfixture import MISSED, SKE, SLR, START, STS, Truth, mean_range, write_month
from PIL import Image

from posecount.exercises.engine import RepRecord
from posecount.history import History
from posecount.history.progress import Progress, compute, symmetry_index
from posecount.history.queries import LegSummary

DAY = timedelta(days=1)


@pytest.fixture(scope="module")
def month(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Truth]:
    db = tmp_path_factory.mktemp("month") / "history.sqlite3"
    return db, write_month(db)


@pytest.fixture(scope="module")
def progress(month: tuple[Path, Truth]) -> Progress:
    with History.open(month[0]) as h:
        return compute(h)


def _sym(truth: Truth, exercise: str, since: date, until: date) -> tuple[float, str]:
    """The truth's symmetry over a stretch of days: weaker ÷ stronger mean range, and the weaker leg."""
    ranges = {side: mean_range(truth.attempts(exercise, side, since, until)) for side in ("left", "right")}
    return min(ranges.values()) / max(ranges.values()), min(ranges, key=ranges.__getitem__)


# -- the numbers ---------------------------------------------------------------------------------------------------
def test_the_month_was_written_three_ways_with_tests_and_ratings(month: tuple[Path, Truth]) -> None:
    db, truth = month
    with History.open(db) as h:
        kinds = dict(h.conn.execute("SELECT kind, count(*) FROM sessions GROUP BY kind").fetchall())
        reps = h.conn.execute("SELECT count(*) FROM reps").fetchone()[0]
    assert set(kinds) == {"live", "routine", "analyze", "test"} and kinds["test"] == 2
    assert reps == sum(len(r) for r in truth.reps.values())
    assert len(truth.trained) == 30 - len(MISSED) == 25 and len(truth.ratings) == 25


def test_every_day_and_leg_is_what_the_fixture_drew(month: tuple[Path, Truth], progress: Progress) -> None:
    _, truth = month
    by_name = {ex.exercise: ex for ex in progress.exercises}
    assert sorted(by_name) == sorted([SKE, SLR, STS])
    for name in (SLR, SKE, STS):
        ex = by_name[name]
        assert [d.day for d in ex.days] == truth.days_of(name)
        assert ex.tracks == (("both",) if name == STS else ("left", "right"))
        for day in ex.days:
            for side in ex.tracks:
                drawn = truth.reps[(name, day.day, side)]
                leg = day.legs[side]
                assert (leg.attempts, leg.counted) == (len(drawn), sum(r.counted for r in drawn)), (name, day.day, side)
                assert leg.mean_peak == pytest.approx(mean(r.peak for r in drawn))
                assert leg.best_peak == max(r.peak for r in drawn)
                assert leg.mean_hold_s == pytest.approx(mean(r.hold_s for r in drawn))
                assert leg.faults == sum(len(r.faults) for r in drawn)
                assert leg.faults_per_rep == pytest.approx(leg.faults / len(drawn))
                assert leg.mean_range == pytest.approx(mean_range(drawn))
            if name == STS:
                assert day.symmetry is None and day.weaker is None
            else:
                expected, weaker = _sym(truth, name, day.day, day.day)
                assert day.symmetry == pytest.approx(expected) and day.weaker == weaker == "right"
    missed = {START + k * DAY for k in MISSED}
    assert not missed & set(progress.days)


def test_first_week_against_last_week_in_plain_words(month: tuple[Path, Truth], progress: Progress) -> None:
    _, truth = month
    first = (START, START + 6 * DAY)
    last = (truth.until - 6 * DAY, truth.until)
    for ex in progress.exercises:
        if ex.exercise == STS:
            continue
        lines = ex.lines()
        assert lines[0] == (f"{ex.title}: first week (2025-06-02 to 2025-06-08) vs last week (2025-06-25 to "
                            "2025-07-01)")
        assert ex.first is not None and ex.last is not None and ex.by_weeks
        for side, line in zip(("left", "right"), lines[1:3], strict=True):
            a, b = truth.attempts(ex.exercise, side, *first), truth.attempts(ex.exercise, side, *last)
            peak_a, peak_b = mean(r.peak for r in a), mean(r.peak for r in b)
            assert ex.first.legs[side].leg.mean_peak == pytest.approx(peak_a)
            assert ex.last.legs[side].leg.best_peak == max(r.peak for r in b)
            days_a = len({d for d in truth.trained if first[0] <= d <= first[1]})
            days_b = len({d for d in truth.trained if last[0] <= d <= last[1]})
            assert line.startswith(f"{side} leg: mean peak ")
            if f"{peak_a:.0f}" == f"{peak_b:.0f}":
                assert f"mean peak steady at {peak_b:.0f}°" in line
            else:
                way = "up" if peak_b > peak_a else "down"
                assert f"mean peak {way} from {peak_a:.0f}° to {peak_b:.0f}° in 3 weeks" in line
            assert f"(best {max(r.peak for r in a):.0f}° → {max(r.peak for r in b):.0f}°)" in line
            assert (f"counted {sum(r.counted for r in a) / days_a:.1f} → {sum(r.counted for r in b) / days_b:.1f} "
                    "a day") in line
            assert f"hold {mean(r.hold_s for r in a):.1f} → {mean(r.hold_s for r in b):.1f} s" in line
            per_rep = [sum(len(r.faults) for r in reps) / len(reps) for reps in (a, b)]
            assert f"faults per rep {per_rep[0]:.2f} → {per_rep[1]:.2f}" in line
        s1, s2 = _sym(truth, ex.exercise, *first)[0], _sym(truth, ex.exercise, *last)[0]
        assert lines[3] == (f"left/right symmetry {s1:.2f} → {s2:.2f} (1.00 = both legs alike; the right leg is "
                            "the weaker)")
        assert ex.first.symmetry == pytest.approx(s1) and ex.last.symmetry == pytest.approx(s2)
        # and the month is what the fixture meant: the weak right leg catches up, its faults fall
        right_a, right_b = ex.first.legs["right"].leg, ex.last.legs["right"].leg
        assert right_b.mean_peak - right_a.mean_peak > 5 and s2 - s1 > 0.1
        assert right_b.faults_per_rep < right_a.faults_per_rep  # type: ignore[operator]
    slr = next(ex for ex in progress.exercises if ex.exercise == SLR)
    assert "right leg: mean peak up from 19° to 26° in 3 weeks" in slr.lines()[2]  # the line, as drawn


def test_an_exercise_for_the_whole_body_has_no_symmetry(progress: Progress) -> None:
    (sts,) = [ex for ex in progress.exercises if ex.exercise == STS]
    assert not sts.per_leg and all(d.symmetry is None for d in sts.days)
    lines = sts.lines()
    assert lines[1].startswith("whole body: mean peak steady at 0.95") and "counted 8.0 → 11.0 a day" in lines[1]
    assert not any("symmetry" in line for line in lines)


def _leg(mean_range: float | None, attempts: int = 10, mean_peak: float = 30.0) -> LegSummary:
    return LegSummary(attempts, attempts, 2.0, mean_peak, mean_peak + 2, 0, mean_range)


@pytest.mark.parametrize(("left", "right", "expected"), [
    (_leg(20.0), _leg(10.0), (0.5, "right")),
    (_leg(12.0), _leg(16.0), (0.75, "left")),
    (_leg(15.0), _leg(15.0), (1.0, None)),  # alike: no weaker leg
    (_leg(None, mean_peak=20.0), _leg(None, mean_peak=40.0), (0.5, "left")),  # no range stored: the peaks
    (_leg(20.0), None, (None, None)),  # one leg did nothing
    (_leg(20.0), _leg(10.0, attempts=0), (None, None)),
    (_leg(20.0), _leg(-1.0), (None, None)),  # a leg that never left rest
    (_leg(0.0), _leg(0.0), (None, None)),
])
def test_the_symmetry_index(left: LegSummary | None, right: LegSummary | None,
                            expected: tuple[float | None, str | None]) -> None:
    got = symmetry_index(left, right)
    assert (pytest.approx(got[0]) if got[0] is not None else None, got[1]) == expected


def test_range_above_rest_follows_the_drive_and_a_short_stretch_compares_days(tmp_path: Path) -> None:
    """A falling drive's range is rest minus peak; over less than two weeks the first day is compared with the
    last; a single day has nothing to compare."""
    morning = datetime(2025, 3, 3, 9).astimezone()
    with History.open(tmp_path / "h.sqlite3") as h:
        for day, (left, right) in enumerate([(0.30, 0.40), (0.28, 0.34)]):
            sid = h.start_session("live", "squat-ish", started_at=morning + day * 4 * DAY)
            h.add_reps(sid, [RepRecord(index=i + 1, side=side, start_s=i, peak_s=i + 0.5, end_s=i + 1.0, hold_s=1.0,  # type: ignore[arg-type]
                                       peak=peak, counted=True, faults=(), target=0.35, rest=0.50, unit="ratio")
                             for i, (side, peak) in enumerate([("left", left), ("right", right)])])
        (ex,) = compute(h).exercises
        (one,) = compute(h, until=date(2025, 3, 3)).exercises
    first = ex.days[0]
    assert first.legs["left"].mean_range == pytest.approx(0.20)
    assert first.legs["right"].mean_range == pytest.approx(0.10)
    assert first.symmetry == pytest.approx(0.5) and first.weaker == "right"
    assert first.legs["left"].best_peak == pytest.approx(0.30)  # the furthest from rest: the lowest
    lines = ex.lines()
    assert lines[0] == "squat-ish: first day (2025-03-03) vs last day (2025-03-07)"
    assert lines[1].startswith("left leg: mean peak down from 0.30 to 0.28 in 4 days")
    assert lines[3] == "left/right symmetry 0.50 → 0.73 (1.00 = both legs alike; the right leg is the weaker)"
    assert one.lines() == ["squat-ish: one day trained (2025-03-03), nothing to compare yet"]


# -- the command -----------------------------------------------------------------------------------------------------
def test_the_command_prints_the_table_and_lines_and_draws_the_chart(month: tuple[Path, Truth], progress: Progress,
                                                                    tmp_path: Path) -> None:
    db, truth = month
    chart = tmp_path / "charts" / "progress.png"
    r = posecount("progress", "--db", str(db), "--out", str(chart))
    assert r.returncode == 0, r.stderr
    assert r.stdout.startswith(f"progress in {db}: 25 day(s) trained, 2025-06-02 to 2025-07-01")
    for ex in progress.exercises:
        assert f"({ex.exercise}): {len(ex.days)} day(s)" in r.stdout
        for line in ex.lines():
            assert line in r.stdout
    assert all(head in r.stdout for head in ("Day", "Counted", "Mean peak", "Best", "Hold", "Faults/rep", "Symmetry"))
    first_day = truth.reps[(SLR, START, "right")]
    assert f"R {sum(x.counted for x in first_day)} of {len(first_day)}" in r.stdout
    assert "2025-06-03" in r.stdout and "2025-06-07" not in r.stdout  # trained; missed (day 5)
    assert f"chart → {chart}" in r.stdout
    image = Image.open(io.BytesIO(chart.read_bytes()))
    assert image.format == "PNG" and image.size[0] == 1200 and image.size[1] >= 3 * 600
    grey = np.asarray(image.convert("L"))
    assert (grey < 250).mean() > 0.1 and grey.std() > 20, "a drawn chart, not a blank image"
    assert sorted(p.name for p in chart.parent.iterdir()) == ["progress.png"], "no temporary file left"


def test_one_exercise_and_a_range_of_dates(month: tuple[Path, Truth]) -> None:
    db, _ = month
    r = posecount("progress", "--db", str(db), "-e", SLR, "--since", "2025-06-20", "--until", "2025-06-29")
    assert r.returncode == 0, r.stderr
    assert "(side-leg-raise): 9 day(s)" in r.stdout and SKE not in r.stdout
    assert "2025-06-19" not in r.stdout and "2025-06-30" not in r.stdout
    assert "Standing side leg raise: first day (2025-06-20) vs last day (2025-06-29)" in r.stdout


def test_nothing_in_the_range_and_bad_dates(month: tuple[Path, Truth], tmp_path: Path) -> None:
    db, _ = month
    chart = tmp_path / "chart.png"
    r = posecount("progress", "--db", str(db), "--since", "2024-01-01", "--until", "2024-01-31", "--out", str(chart))
    assert r.returncode == 0 and r.stdout.strip() == (f"no sessions from 2024-01-01 to 2024-01-31 in {db}; no chart "
                                                      "written"), r.stderr
    assert not chart.exists()
    none = tmp_path / "none.sqlite3"
    r = posecount("progress", "--db", str(none), "-e", SLR)
    assert r.returncode == 0 and r.stdout.strip() == f"no sessions of {SLR} in {none}" and not none.exists()
    r = posecount("progress", "--db", str(db), "--until", "2025-02-30")
    assert r.returncode == 2 and "--until '2025-02-30' is not a date (YYYY-MM-DD)" in one_error_line(r)
    assert "Traceback" not in r.stderr
    r = posecount("progress", "--db", str(db), "--since", "2025-07-01", "--until", "2025-06-01")
    assert r.returncode == 2 and "--since 2025-07-01 is after --until 2025-06-01" in one_error_line(r)
    blocker = tmp_path / "a-file"
    blocker.write_text("x")
    r = posecount("progress", "--db", str(db), "--out", str(blocker / "chart.png"))
    assert r.returncode == 4 and f"cannot write {blocker / 'chart.png'}" in one_error_line(r)
