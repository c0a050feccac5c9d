"""posecount.models: finding, downloading, building and verifying the pose model.

The download tests use a real HTTP server on loopback; the wheel test really runs pip and MediaPipe, with
pip served from a local copy of the wheel (fetched once, then kept in pytest's cache).
"""

from __future__ import annotations

import hashlib
import http.server
import logging
import os
import socket
import sys
import tempfile
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

import pytest

from posecount import models
from posecount.errors import ConfigError, ModelError

FAKE_MODEL = b"PK-not-really-a-pose-model " * 4096  # ~110 KB: several chunks
FAKE_SHA256 = hashlib.sha256(FAKE_MODEL).hexdigest()
FULL = "pose_landmarker_full.task"


@dataclass
class Route:
    """What the loopback server sends for one path."""

    body: bytes
    status: int = 200
    declared_bytes: int | None = None  # Content-Length to claim; bigger than the body = truncated transfer


@dataclass
class FakeServer:
    url_template: str
    routes: dict[str, Route] = field(default_factory=dict)
    hits: list[str] = field(default_factory=list)


@pytest.fixture
def server(monkeypatch: pytest.MonkeyPatch) -> Iterator[FakeServer]:
    """A threaded HTTP server on 127.0.0.1:<free port>; POSECOUNT_MODEL_URL points at it."""
    state = FakeServer(url_template="")

    class Handler(http.server.BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            state.hits.append(self.path)
            route = state.routes.get(self.path)
            if route is None:
                self.send_error(404)
                return
            self.send_response(route.status)
            self.send_header("Content-Type", "application/octet-stream")
            length = route.declared_bytes if route.declared_bytes is not None else len(route.body)
            self.send_header("Content-Length", str(length))
            self.end_headers()
            self.wfile.write(route.body)
            self.wfile.flush()
            self.close_connection = True  # HTTP/1.0: the socket closes here, short or not

        def log_message(self, *args: object) -> None:
            pass

    httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=httpd.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)
    thread.start()
    port = httpd.server_address[1]
    state.url_template = f"http://127.0.0.1:{port}/m/pose_landmarker_{{variant}}.task"
    for name in ("HTTP_PROXY", "HTTPS_PROXY", "ALL_PROXY", "http_proxy", "https_proxy", "all_proxy"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv(models.MODEL_URL_ENV, state.url_template)
    try:
        yield state
    finally:
        httpd.shutdown()
        httpd.server_close()
        thread.join(5)


@pytest.fixture
def fake_pins(monkeypatch: pytest.MonkeyPatch) -> None:
    """Make the fake model the only accepted full model."""
    monkeypatch.setitem(models.PINNED_SHA256, "full", frozenset({FAKE_SHA256}))


def _closed_port() -> str:
    """``http://127.0.0.1:<port>`` where nothing listens (any more)."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    return f"http://127.0.0.1:{port}"


def _closed_port_url() -> str:
    return f"{_closed_port()}/pose_landmarker_{{variant}}.task"


def _assert_one_line(exc: BaseException) -> str:
    message = str(exc)
    assert message and "\n" not in message and "\r" not in message
    assert "Traceback" not in message
    return message


def test_paths_and_variant_check(tmp_path: Path) -> None:
    assert models.model_path("lite", tmp_path) == tmp_path / "pose_landmarker_lite.task"
    assert models.model_path(directory=tmp_path) == tmp_path / FULL
    with pytest.raises(ConfigError):
        models.model_path("medium", tmp_path)  # type: ignore[arg-type]
    with pytest.raises(ConfigError):
        models.ensure_model("full", tmp_path, source="ftp")  # type: ignore[arg-type]


def test_default_model_dir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv(models.MODEL_DIR_ENV, str(tmp_path / "env"))
    assert models.default_model_dir() == tmp_path / "env"

    monkeypatch.delenv(models.MODEL_DIR_ENV)
    checkout = tmp_path / "checkout"
    (checkout / "posecount").mkdir(parents=True)
    (checkout / "models").mkdir()
    (checkout / "pyproject.toml").write_text("[project]\nname = 'posecount'\n")
    monkeypatch.setattr(models, "_PACKAGE_DIR", checkout / "posecount")
    assert models.default_model_dir() == checkout / "models"

    installed = tmp_path / "site-packages"
    (installed / "posecount").mkdir(parents=True)
    monkeypatch.setattr(models, "_PACKAGE_DIR", installed / "posecount")
    cache = models.default_model_dir()
    assert cache.name == "models" and "posecount" in cache.parts and not cache.is_relative_to(tmp_path)


def test_official_url_override(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv(models.MODEL_URL_ENV, raising=False)
    assert models.official_url("heavy").endswith(
        "/pose_landmarker_heavy/float16/latest/pose_landmarker_heavy.task")
    monkeypatch.setenv(models.MODEL_URL_ENV, "http://mirror.invalid/{variant}.task")
    assert models.official_url("lite") == "http://mirror.invalid/lite.task"


def test_pins_are_well_formed() -> None:
    for variant in models.VARIANTS:
        assert models.PINNED_SHA256[variant], variant
        for digest in models.PINNED_SHA256[variant]:
            assert len(digest) == 64 and int(digest, 16) >= 0
    assert models.WHEEL_BUNDLE_SHA256 in models.PINNED_SHA256["full"]
    assert models.WHEEL_BUNDLE_SHA256 not in models.OFFICIAL_SHA256["full"]


def test_download_good_model(server: FakeServer, fake_pins: None, tmp_path: Path,
                             caplog: pytest.LogCaptureFixture) -> None:
    server.routes["/m/" + FULL] = Route(FAKE_MODEL)
    with caplog.at_level(logging.INFO, logger="posecount.models"):
        path = models.ensure_model("full", tmp_path, source="official", progress=True)
    assert path == tmp_path / FULL
    assert path.read_bytes() == FAKE_MODEL
    assert models.verify_model(path, "full")
    assert sorted(p.name for p in tmp_path.iterdir()) == [FULL]  # no .part left over
    assert oct(path.stat().st_mode & 0o777) == oct(0o644)
    assert any(str(path) in r.getMessage() for r in caplog.records if r.levelno == logging.INFO)
    info = models.model_info("full", tmp_path)
    assert info == {"variant": "full", "path": str(path), "exists": True, "verified": True,
                    "size": len(FAKE_MODEL), "sha256": FAKE_SHA256, "origin": "official"}


def test_wrong_hash_rejected(server: FakeServer, fake_pins: None, tmp_path: Path) -> None:
    server.routes["/m/" + FULL] = Route(FAKE_MODEL + b"tampered")
    with pytest.raises(ModelError) as err:
        models.ensure_model("full", tmp_path, source="official", progress=False)
    message = _assert_one_line(err.value)
    assert "SHA-256" in message and "wheel" in message  # points at the other source
    assert list(tmp_path.iterdir()) == []


def test_truncated_transfer_rejected(server: FakeServer, fake_pins: None, tmp_path: Path) -> None:
    server.routes["/m/" + FULL] = Route(FAKE_MODEL[:50_000], declared_bytes=len(FAKE_MODEL))
    with pytest.raises(ModelError) as err:
        models.ensure_model("full", tmp_path, source="official", progress=False)
    _assert_one_line(err.value)
    assert list(tmp_path.iterdir()) == []


def test_http_error_status(server: FakeServer, fake_pins: None, tmp_path: Path) -> None:
    with pytest.raises(ModelError) as err:  # no route: 404
        models.ensure_model("full", tmp_path, source="official", progress=False)
    assert "404" in _assert_one_line(err.value)
    assert list(tmp_path.iterdir()) == []


def test_server_down(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setenv(models.MODEL_URL_ENV, _closed_port_url())
    started = time.monotonic()
    with pytest.raises(ModelError) as err:
        models.ensure_model("full", tmp_path, source="official", progress=False)
    message = _assert_one_line(err.value)
    assert time.monotonic() - started < 15
    assert "internet" in message and str(tmp_path / FULL) in message
    assert list(tmp_path.iterdir()) == []


def test_auto_for_lite_does_not_try_the_wheel(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setenv(models.MODEL_URL_ENV, _closed_port_url())
    monkeypatch.setattr(models, "_fetch_wheel", lambda *a: pytest.fail("wheel tried for lite"))
    with pytest.raises(ModelError) as err:
        models.ensure_model("lite", tmp_path, source="auto", progress=False)
    assert "full model" in _assert_one_line(err.value)


def test_wheel_source_only_builds_full(tmp_path: Path) -> None:
    with pytest.raises(ModelError) as err:
        models.ensure_model("heavy", tmp_path, source="wheel", progress=False)
    assert "only the full" in _assert_one_line(err.value)


def test_auto_reports_every_source(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    """Official down and a wrong wheel given: one line naming both failures."""
    monkeypatch.setenv(models.MODEL_URL_ENV, _closed_port_url())
    bogus = tmp_path / "mediapipe.whl"
    bogus.write_bytes(b"not a wheel")
    monkeypatch.setenv(models.WHEEL_ENV, str(bogus))
    target_dir = tmp_path / "models"
    with pytest.raises(ModelError) as err:
        models.ensure_model("full", target_dir, source="auto", progress=False)
    message = _assert_one_line(err.value)
    assert "official download" in message and "wheel build" in message and "not the pinned" in message
    assert not target_dir.exists() or list(target_dir.iterdir()) == []


def test_corrupt_existing_file_replaced(server: FakeServer, fake_pins: None, tmp_path: Path,
                                        caplog: pytest.LogCaptureFixture) -> None:
    server.routes["/m/" + FULL] = Route(FAKE_MODEL)
    target = tmp_path / FULL
    target.write_bytes(FAKE_MODEL[:1000])  # e.g. an interrupted copy
    assert not models.verify_model(target, "full")
    assert models.model_info("full", tmp_path)["verified"] is False
    with caplog.at_level(logging.WARNING, logger="posecount.models"):
        assert models.ensure_model("full", tmp_path, source="official", progress=False) == target
    assert target.read_bytes() == FAKE_MODEL
    assert any("replacing" in r.getMessage() for r in caplog.records if r.levelno == logging.WARNING)
    assert server.hits == ["/m/" + FULL]
    assert sorted(p.name for p in tmp_path.iterdir()) == [FULL]


def test_corrupt_file_kept_when_every_source_fails(monkeypatch: pytest.MonkeyPatch, fake_pins: None,
                                                   tmp_path: Path) -> None:
    monkeypatch.setenv(models.MODEL_URL_ENV, _closed_port_url())
    target = tmp_path / FULL
    target.write_bytes(b"junk")
    with pytest.raises(ModelError):
        models.ensure_model("full", tmp_path, source="official", progress=False)
    assert target.read_bytes() == b"junk"  # not ours to delete; the error says to replace it
    assert sorted(p.name for p in tmp_path.iterdir()) == [FULL]


def test_good_existing_file_used_without_network(monkeypatch: pytest.MonkeyPatch, fake_pins: None,
                                                 tmp_path: Path) -> None:
    monkeypatch.setenv(models.MODEL_URL_ENV, _closed_port_url())  # any network use would fail
    monkeypatch.setattr(models, "_fetch_wheel", lambda *a: pytest.fail("wheel build attempted"))
    target = tmp_path / FULL
    target.write_bytes(FAKE_MODEL)
    mtime_ns = target.stat().st_mtime_ns
    assert models.ensure_model("full", tmp_path, progress=False) == target
    assert target.stat().st_mtime_ns == mtime_ns


def test_force_refetches_and_keeps_old_file_on_failure(server: FakeServer, fake_pins: None,
                                                       tmp_path: Path) -> None:
    server.routes["/m/" + FULL] = Route(FAKE_MODEL)
    target = tmp_path / FULL
    target.write_bytes(FAKE_MODEL)
    models.ensure_model("full", tmp_path, source="official", force=True, progress=False)
    assert server.hits == ["/m/" + FULL]
    server.routes["/m/" + FULL] = Route(b"bad")
    with pytest.raises(ModelError):
        models.ensure_model("full", tmp_path, source="official", force=True, progress=False)
    assert target.read_bytes() == FAKE_MODEL  # the verified file survives a failed refresh


def test_model_info_missing(tmp_path: Path) -> None:
    info = models.model_info("heavy", tmp_path)
    assert info["exists"] is False and info["verified"] is False and info["sha256"] is None
    assert info["path"] == str(tmp_path / "pose_landmarker_heavy.task")
    assert not models.verify_model(tmp_path / "nope.task")


@pytest.fixture(scope="session")
def wheel_links(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A directory holding the pinned mediapipe wheel, for pip to find instead of downloading it again.

    pip's own HTTP cache cannot be relied on for that: it stores a download only when the index sends
    caching headers, and some mirrors (this project's build machines among them) send none. So the wheel
    is downloaded once, by the module's own pip call (the user's index settings apply), and kept in pytest's
    cache; a later run only checks its hash.
    """
    cache = getattr(request.config, "cache", None)  # absent with -p no:cacheprovider: once per session then
    directory = cache.mkdir("posecount-wheel") if cache is not None else tmp_path_factory.mktemp("wheel")
    wheel = directory / models.WHEEL_FILENAME
    if wheel.is_file() and models.sha256_file(wheel) == models.WHEEL_SHA256:
        return directory
    with tempfile.TemporaryDirectory(dir=directory) as tmp:
        downloaded = models._pip_download(Path(tmp), progress=False)
        assert models.sha256_file(downloaded) == models.WHEEL_SHA256, f"{downloaded} is not the pinned wheel"
        os.replace(downloaded, wheel)  # atomic: a parallel worker sees the whole wheel or none
    return directory


@pytest.mark.model
@pytest.mark.slow
def test_wheel_build_end_to_end(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, wheel_links: Path) -> None:
    """pip download of the pinned wheel -> deterministic bundle -> MediaPipe loads it.

    The real ``pip download`` runs with the module's own arguments (version pin, target platform); only
    its index is a local directory holding the wheel, as a user's mirror would be, so nothing is fetched.
    """
    from posecount.pose import PoseEstimator, PoseOptions

    monkeypatch.delenv(models.WHEEL_ENV, raising=False)  # really go through pip
    monkeypatch.setenv("PIP_NO_INDEX", "1")
    monkeypatch.setenv("PIP_FIND_LINKS", str(wheel_links))
    for name in ("HTTP_PROXY", "HTTPS_PROXY", "ALL_PROXY", "http_proxy", "https_proxy", "all_proxy"):
        monkeypatch.setenv(name, _closed_port())  # so any network use would fail
    path = models.ensure_model("full", tmp_path, source="wheel", progress=False)
    assert path == tmp_path / FULL
    assert path.stat().st_size == models.WHEEL_BUNDLE_SIZE_BYTES
    assert hashlib.sha256(path.read_bytes()).hexdigest() == models.WHEEL_BUNDLE_SHA256
    assert models.model_info("full", tmp_path)["origin"] == "wheel"
    assert sorted(p.name for p in tmp_path.iterdir()) == [FULL]
    # the parser-version stand-in lives only for the build
    pywrap = sys.modules.get("mediapipe.tasks.cc.metadata.python._pywrap_metadata_version")
    assert pywrap is None or getattr(pywrap, "__file__", None)  # absent, or a real compiled module
    estimator = PoseEstimator(PoseOptions(model_path=path))
    estimator.close()


@pytest.mark.model
def test_shared_model_fixture(model_path: Path) -> None:
    """The session fixture other tests use hands out a verified full model in the default directory."""
    assert model_path == models.model_path("full")
    assert models.verify_model(model_path, "full")
