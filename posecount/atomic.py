"""Write files whole or not at all: write to a temporary name in the same directory, then rename."""

from __future__ import annotations

import contextlib
import os
import tempfile
from collections.abc import Iterator
from pathlib import Path
from typing import IO

from posecount.errors import OutputError, PosecountError


@contextlib.contextmanager
def atomic_path(target: Path, suffix: str | None = None, error: type[PosecountError] = OutputError,
                hint: str = "") -> Iterator[Path]:
    """Yield a temporary path beside ``target``; on success it is renamed onto ``target``.

    Same directory, so the rename is atomic. On any exception the temporary file is removed and
    ``target`` is left as it was. ``error`` (with ``hint`` appended) is raised when the file system refuses.
    """
    target = Path(target)
    try:
        target.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp_name = tempfile.mkstemp(prefix=f".{target.name}.", dir=target.parent,
                                        suffix=suffix if suffix is not None else ".tmp" + target.suffix)
    except OSError as exc:
        raise error(f"cannot write {target}: {exc.strerror or exc}{hint}") from exc
    os.close(fd)
    tmp = Path(tmp_name)
    try:
        yield tmp
        os.chmod(tmp, 0o666 & ~_umask())  # mkstemp makes 0600; results are ordinary files
        os.replace(tmp, target)
    except OSError as exc:
        tmp.unlink(missing_ok=True)
        raise error(f"cannot write {target}: {exc.strerror or exc}{hint}") from exc
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise


@contextlib.contextmanager
def atomic_open(target: Path, mode: str = "w", **kwargs: object) -> Iterator[IO]:
    """Open a temporary file for writing that replaces ``target`` only when the block succeeds."""
    with atomic_path(target) as tmp, open(tmp, mode, **kwargs) as fh:  # type: ignore[call-overload]
        yield fh


def _umask() -> int:
    mask = os.umask(0)
    os.umask(mask)
    return mask


def ensure_writable_dir(directory: Path) -> Path:
    """Create ``directory`` if needed and check that we can write into it, before any long work starts."""
    directory = Path(directory)
    try:
        directory.mkdir(parents=True, exist_ok=True)
        with tempfile.NamedTemporaryFile(dir=directory, prefix=".probe."):
            pass
    except OSError as exc:
        raise OutputError(f"cannot write to {directory}: {exc.strerror or exc}") from exc
    return directory


@contextlib.contextmanager
def output_dir(directory: Path) -> Iterator[Path]:
    """:func:`ensure_writable_dir` for one run: if the run fails, the directories it created are removed
    again when they are still empty, so a bad input leaves nothing behind (a directory that was already
    there, or one holding anything, is left as it was)."""
    directory = Path(directory)
    created = [d for d in (directory, *directory.parents) if not d.exists()]
    ensure_writable_dir(directory)
    try:
        yield directory
    except BaseException:
        for d in created:  # deepest first
            with contextlib.suppress(OSError):
                d.rmdir()  # only an empty directory goes
        raise
