"""`posecount report` (issue 10, part 5): the physiotherapist's page from a generated month of history
(tests/historyfixture.py): it shows the database's numbers (checked against what the fixture drew), is one
self-contained file (charts as PNG data URIs, nothing fetched), escapes every text from the database, has a
print stylesheet, and opens in a real headless browser (Debian's chromium: a screenshot, the DOM it built,
a PDF print)."""

from __future__ import annotations

import base64
import io
import re
import shutil
import subprocess
from collections import Counter
from datetime import date, datetime, timedelta
from html.parser import HTMLParser
from pathlib import Path
from statistics import mean

import numpy as np
import pytest
from commands import one_error_line, posecount
from conftest import EXERCISE_SAMPLES
from historyfixture import SKE, SLR, START, Truth, mean_range, write_month
from PIL import Image

from posecount.exercises import get_exercise
from posecount.exercises.engine import RepRecord
from posecount.history import History
from posecount.history.html_report import ReportData, collect, fault_meaning, render, write_report

UNTIL = date(2025, 7, 1)
DATA_PNG = re.compile(r'<img\b[^>]*\bsrc="data:image/png;base64,([A-Za-z0-9+/=]+)"')


class _Text(HTMLParser):
    """The page's visible text, whitespace collapsed (what a reader sees, not the markup)."""

    def __init__(self) -> None:
        super().__init__()
        self.parts: list[str] = []
        self._skip = 0

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self._skip += tag in ("style", "script", "title")
        if tag in ("br", "p", "li", "td", "th", "tr", "h1", "h2", "h3", "h4", "div"):
            self.parts.append(" ")

    def handle_endtag(self, tag: str) -> None:
        self._skip -= tag in ("style", "script", "title")

    def handle_data(self, data: str) -> None:
        if not self._skip:
            self.parts.append(data)


def page_text(page: str) -> str:
    parser = _Text()
    parser.feed(page)
    return " ".join("".join(parser.parts).split())


def pngs(page: str) -> list[Image.Image]:
    """Every chart of the page: each an <img> whose source is a base64 PNG data URI, decoded and verified."""
    images = []
    for data in DATA_PNG.findall(page):
        raw = base64.b64decode(data, validate=True)
        assert raw.startswith(b"\x89PNG\r\n\x1a\n")
        Image.open(io.BytesIO(raw)).verify()  # the whole file, its checksums
        images.append(Image.open(io.BytesIO(raw)))
    return images


@pytest.fixture(scope="module")
def month(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Truth]:
    db = tmp_path_factory.mktemp("month") / "history.sqlite3"
    return db, write_month(db)


@pytest.fixture(scope="module")
def report(month: tuple[Path, Truth], tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, ReportData]:
    out = tmp_path_factory.mktemp("report") / "report.html"
    return out, write_report(month[0], START, UNTIL, out)


def expected_texts(truth: Truth) -> list[str]:
    """Sentences the page must show, from what the fixture drew (never from the queries)."""
    n = len(truth.trained)
    texts = [f"Days trained: {n} of 30 days ({100 * n / 30:.0f} %)"]
    first, last = (START, START + timedelta(days=6)), (UNTIL - timedelta(days=6), UNTIL)
    for exercise in (SLR, SKE):
        sym = []
        for since, until in (first, last):
            ranges = [mean_range(truth.attempts(exercise, side, since, until)) for side in ("left", "right")]
            sym.append(min(ranges) / max(ranges))
        texts.append(f"left/right symmetry {sym[0]:.2f} → {sym[1]:.2f} (1.00 = both legs alike; the right leg is "
                     "the weaker)")
        a, b = (mean(r.peak for r in truth.attempts(exercise, "right", *p)) for p in (first, last))
        texts.append(f"right leg: mean peak up from {a:.0f}° to {b:.0f}° in 3 weeks")
    for day, score, threshold, below in truth.tests:
        texts.append(f"{day.isoformat()} 30-second chair stand {score} stands 72, female {threshold:g} stands "
                     f"{'below the norm' if below else 'not below the norm'}")
    weeks: dict[date, list[int]] = {}
    for day, pain, _ in truth.ratings:
        weeks.setdefault(day - timedelta(days=day.weekday()), []).append(pain)
    for monday, pains in weeks.items():
        texts.append(f"{monday.strftime('%d %b %Y')} {len(pains)} {mean(pains):.1f} (max {max(pains)})")
    return texts


def top_fault(truth: Truth) -> tuple[str, str, str, int]:
    counts = Counter((ex, side, code) for (ex, _, side), reps in truth.reps.items() for r in reps for code in r.faults)
    (ex, side, code), n = min(counts.items(), key=lambda kv: (-kv[1], kv[0]))
    return ex, side, code, n


# -- the page --------------------------------------------------------------------------------------------------------
def test_the_page_shows_the_numbers_the_fixture_drew(month: tuple[Path, Truth],
                                                     report: tuple[Path, ReportData]) -> None:
    _, truth = month
    page = report[0].read_text(encoding="utf-8")
    text = page_text(page)
    for expected in expected_texts(truth):
        assert expected in text, expected
    assert "left: target 20°, hold 2 s; right: target 15°, hold 2 s (personal prescription); reps per set: left 10, " \
           "right 10" in text
    ex, side, code, n = top_fault(truth)
    attempts = len(truth.attempts(ex, side, START, UNTIL))
    message, why = fault_meaning(ex, code)
    assert message and why
    first_row = text.split("What it means", 1)[1]
    assert first_row.lstrip().startswith(f"{get_exercise(ex).title} {side} {code} {n} ({100 * n / attempts:.0f} % of "
                                         f"{attempts}) “{message}” {why}")
    assert "Norms: CDC STEADI" in text


def test_the_page_is_one_self_contained_printable_file(report: tuple[Path, ReportData]) -> None:
    page = report[0].read_text(encoding="utf-8")
    assert page.startswith("<!DOCTYPE html>") and '<meta charset="utf-8">' in page
    assert "@media print" in page and "@page" in page
    assert not re.search(r"<(script|link|iframe|object|embed)\b", page, re.I), "nothing run or fetched"
    assert not re.search(r"""\b(src|href)\s*=\s*(?!["']?data:image/png;base64,)""", page), "no external source"
    assert "url(" not in page and "@import" not in page
    images = pngs(page)
    assert len(images) == len(re.findall(r"<img\b", page)) == 2 + 1 + 1 + 1  # two exercises, sit-to-stand, tests, pain
    assert all(im.size[0] == 1200 and im.size[1] >= 300 for im in images)
    assert sorted(p.name for p in report[0].parent.iterdir()) == ["report.html"], "written whole, nothing left over"


def test_text_from_the_database_is_escaped(tmp_path: Path) -> None:
    db = tmp_path / "h.sqlite3"
    evil = '<img src=x onerror="alert(1)">&'
    when = datetime(2025, 5, 5, 9).astimezone()
    with History.open(db) as h:
        sid = h.start_session("live", evil, started_at=when, settings={"per_side": {evil: {"target_deg": 3}},
                                                                       "personal": True})
        h.add_reps(sid, [RepRecord(index=i + 1, side=side, start_s=i, peak_s=i + 0.5, end_s=i + 1, hold_s=1.0,  # type: ignore[arg-type]
                                   peak=20.0, counted=True, faults=("<script>x</script>",), rest=2.0, target=15.0)
                         for i, side in enumerate(("left", "right"))])
        h.finish_session(sid)
        h.rate(sid, pain=3)
        tid = h.start_session("test", "sit-to-stand", started_at=when + timedelta(hours=1))
        h.finish_session(tid, test={"name": "<b>chair</b>", "title": "<i>t</i>", "kind": "count_in_time",
                                    "score": 9, "completed": True, "verdict": "<script>alert(2)</script>",
                                    "norm": {"threshold": 10, "below_norm": True}, "norm_source": "<a href=x>"})
        page = render(collect(h, date(2025, 5, 5), date(2025, 5, 5)), charts=False)
    assert "<script" not in page and "<img" not in page and "<a " not in page and "<i>t" not in page
    assert "&lt;img src=x onerror=&quot;alert(1)&quot;&gt;&amp;" in page
    assert "&lt;script&gt;x&lt;/script&gt;" in page and "&lt;script&gt;alert(2)&lt;/script&gt;" in page
    assert "&lt;a href=x&gt;" in page and "&lt;i&gt;t&lt;/i&gt;" in page


# -- the command -----------------------------------------------------------------------------------------------------
def test_the_command_writes_the_report_and_says_what_is_in_it(month: tuple[Path, Truth], tmp_path: Path) -> None:
    db, truth = month
    out = tmp_path / "for the physio" / "report.html"
    r = posecount("report", "--since", "2025-06-02", "--until", "2025-07-01", "--out", str(out), "--db", str(db))
    assert r.returncode == 0, r.stderr
    assert r.stdout.strip() == (f"report of 2025-06-02 to 2025-07-01: {len(truth.trained)} of 30 day(s) trained, "
                                f"3 exercise(s), 2 function test(s) → {out}")
    assert expected_texts(truth)[0] in page_text(out.read_text(encoding="utf-8"))


def test_the_command_says_in_one_line_when_there_is_nothing_to_report(month: tuple[Path, Truth],
                                                                      tmp_path: Path) -> None:
    db, _ = month
    out = tmp_path / "report.html"
    out.write_text("the last report\n")
    r = posecount("report", "--since", "2024-01-01", "--until", "2024-01-31", "--out", str(out), "--db", str(db))
    assert r.returncode == 1
    assert f"nothing to report from 2024-01-01 to 2024-01-31 in {db}" in one_error_line(r)
    assert out.read_text() == "the last report\n", "a failed run leaves the file as it was"
    r = posecount("report", "--since", "2025-06-31", "--out", str(out), "--db", str(db))
    assert r.returncode == 2 and "--since '2025-06-31' is not a date (YYYY-MM-DD)" in one_error_line(r)
    r = posecount("report", "--since", "2025-06-10", "--until", "2025-06-01", "--out", str(out), "--db", str(db))
    assert r.returncode == 2 and "is after --until 2025-06-01" in one_error_line(r)
    r = posecount("report", "--out", str(out), "--db", str(db))
    assert r.returncode == 2 and "Missing option '--since'" in r.stderr and "Traceback" not in r.stderr
    missing = tmp_path / "none.sqlite3"
    r = posecount("report", "--since", "2025-06-01", "--out", str(out), "--db", str(missing))
    assert "no history at" in one_error_line(r) and not missing.exists()


# -- in a real browser -------------------------------------------------------------------------------------------------
def _chromium() -> str:
    binary = shutil.which("chromium") or shutil.which("chromium-browser")
    if binary is None:
        pytest.skip("Debian's chromium is not installed (scripts/test.sh installs it: apt-get install chromium)")
    return binary


def _headless(binary: str, profile: Path, *args: str) -> subprocess.CompletedProcess[bytes]:
    """chromium --headless with a profile of its own (parallel runs do not share one), no sandbox (root in CI)."""
    r = subprocess.run([binary, "--headless", "--no-sandbox", "--disable-gpu", "--no-first-run", "--hide-scrollbars",
                        "--disable-extensions", f"--user-data-dir={profile}", *args], capture_output=True, timeout=180)
    assert r.returncode == 0, r.stderr.decode(errors="replace")[-2000:]
    return r


@pytest.mark.browser
def test_the_report_in_a_real_headless_browser(month: tuple[Path, Truth], report: tuple[Path, ReportData],
                                               tmp_path: Path) -> None:
    binary = _chromium()
    _, truth = month
    url = report[0].resolve().as_uri()
    shot = tmp_path / "report.png"
    _headless(binary, tmp_path / "profile", f"--screenshot={shot}", "--window-size=1280,2400", url)
    image = Image.open(shot)
    assert image.format == "PNG" and image.size == (1280, 2400)
    rgb = np.asarray(image.convert("RGB")).astype(int)
    assert (rgb.min(axis=2) < 240).mean() > 0.03 and rgb.std() > 20, "the page was drawn, not a blank window"

    def pixels_near(colour: tuple[int, int, int]) -> int:
        return int((np.abs(rgb - np.array(colour)).sum(axis=2) < 30).sum())

    # the calendar's trained days, the left and right legs' colours (tables and the first chart)
    assert pixels_near((207, 232, 207)) > 2000 and pixels_near((31, 119, 180)) > 300
    assert pixels_near((214, 39, 40)) > 300

    dom = _headless(binary, tmp_path / "profile", "--dump-dom", url).stdout.decode("utf-8")
    text = page_text(dom)
    for expected in expected_texts(truth):
        assert expected in text, expected
    images = pngs(dom)
    assert len(images) == 5 and len(re.findall(r"<img\b", dom)) == 5, "every chart is an image inside the file"

    pdf = tmp_path / "report.pdf"
    _headless(binary, tmp_path / "profile", f"--print-to-pdf={pdf}", "--no-pdf-header-footer", url)
    raw = pdf.read_bytes()
    assert raw.startswith(b"%PDF-") and len(re.findall(rb"/Type\s*/Page\b", raw)) >= 4, "printed on several pages"


def test_chromium_is_in_the_test_scripts_packages() -> None:
    script = (Path(__file__).resolve().parents[1] / "scripts" / "test.sh").read_text()
    assert "need+=(chromium)" in script


def test_a_balance_test_shows_its_stances_and_risk(tmp_path: Path) -> None:
    """The 4-stage balance test has no score nor time: the page says how many stances were held and the
    fall-risk verdict, as `posecount test` stored them (balance_tandem_lost: tandem lost after 6 s)."""
    exercises = EXERCISE_SAMPLES
    db = tmp_path / "history.sqlite3"
    r = posecount("test", "four-stage-balance", str(exercises / "balance_tandem_lost.mp4"), "--no-video",
                  "--landmarks", str(exercises / "landmarks" / "balance_tandem_lost.npz"),
                  "--out", str(tmp_path / "out"), "--db", str(db))
    assert r.returncode == 0, r.stderr
    out = tmp_path / "report.html"
    today = date.today()
    r = posecount("report", "--since", (today - timedelta(days=2)).isoformat(), "--until",
                  (today + timedelta(days=2)).isoformat(), "--out", str(out), "--db", str(db))
    assert r.returncode == 0, r.stderr
    text = page_text(out.read_text(encoding="utf-8"))
    assert "2 of 3 stances held" in text
    assert "fall" in text.lower()
