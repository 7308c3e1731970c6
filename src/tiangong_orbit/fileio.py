"""Writing files so that a crash or a full disk never leaves a half-written one behind."""

from __future__ import annotations

import os
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path

from tiangong_orbit.errors import UsageError


def write_atomic(path: str | os.PathLike[str], data: str | bytes) -> None:
    """Write ``data`` to ``path`` atomically: a temporary file in the same folder, flushed to
    disk, then renamed over ``path``. The temporary file never survives a failure; a problem
    with the destination raises :class:`UsageError` naming it. Temporary files of ``path`` left
    by a process that was killed mid-write (``.NAME.*.tmp`` older than :data:`STALE_TMP_S`) are
    removed first."""
    payload = data.encode("utf-8") if isinstance(data, str) else data
    with atomic_writer(path) as write:
        write(payload)


def _mode_for(target: Path) -> int:
    try:
        return target.stat().st_mode & 0o777
    except OSError:
        umask = os.umask(0)
        os.umask(umask)
        return 0o666 & ~umask


#: A temporary file older than this is a leftover of a killed writer, not one being written
#: (writes here take milliseconds; an hour leaves room for a slow disk).
STALE_TMP_S = 3600.0


def remove_stale_temporaries(path: str | os.PathLike[str], *, now_s: float | None = None) -> int:
    """Remove the temporary files that :func:`write_atomic` makes for ``path``
    (``.NAME.<random>.tmp`` in its folder) when they are older than :data:`STALE_TMP_S`
    (``now_s``: the time to compare with, Unix seconds; default the clock). Returns how many
    were removed; files that cannot be removed are left alone."""
    import glob

    target = Path(path)
    limit = (time.time() if now_s is None else now_s) - STALE_TMP_S
    removed = 0
    try:
        candidates = list(target.parent.glob(f".{glob.escape(target.name)}.*.tmp"))
    except OSError:
        return 0
    for candidate in candidates:
        try:
            if candidate.is_file() and candidate.stat().st_mtime < limit:
                candidate.unlink()
                removed += 1
        except OSError:
            continue
    return removed


class FileTooLargeError(UsageError):
    """A file the user named is larger than the reader's limit (``/dev/zero``, a disk image)."""


def read_limited(path: str | os.PathLike[str], *, limit_bytes: int, what: str) -> bytes:
    """The bytes of ``path``, reading at most ``limit_bytes`` (so ``/dev/zero`` or a huge file
    cannot exhaust memory); ``what`` names the expected content for the messages.

    Raises :class:`FileTooLargeError` past the limit and :class:`UsageError` when the file is
    missing, a directory or unreadable.
    """
    file = Path(path)
    try:
        with open(file, "rb") as stream:
            data = stream.read(limit_bytes + 1)
    except FileNotFoundError:
        raise UsageError(f"file not found: {file}") from None
    except IsADirectoryError:
        raise UsageError(f"{file} is a directory; expected {what}") from None
    except OSError as error:
        raise UsageError(f"cannot read {file}: {error.strerror or error}") from None
    if len(data) > limit_bytes:
        raise FileTooLargeError(
            f"{file} is larger than {limit_bytes // (1024 * 1024)} MB; expected {what}, which is "
            "far smaller: is it the right file?"
        )
    return data


@contextmanager
def atomic_writer(path: str | os.PathLike[str]) -> Iterator[Callable[[bytes], object]]:
    """Write to ``path`` atomically, piece by piece: yields a ``write(bytes)``; the file
    appears at ``path`` only when the block ends without an error (memory: one piece). As
    :func:`write_atomic`: a temporary file in the same folder with the mode a plain open()
    would give, flushed to disk, then renamed; never left behind on failure; stale ones of
    killed writers removed first; destination problems are :class:`UsageError`."""
    # mkstemp makes the file private (0600); it gets the mode a plain open() would have (the
    # existing file's mode, else 0666 less the umask), so a shared chart stays shared.
    import tempfile  # here, not at the top: reading files (read_limited) is on every start

    target = Path(path)
    folder = target.parent
    if not folder.is_dir():
        raise UsageError(f"cannot write {target}: the folder {folder} does not exist")
    if target.is_dir():
        raise UsageError(f"cannot write {target}: it is a directory")
    remove_stale_temporaries(target)
    try:
        handle, temporary = tempfile.mkstemp(prefix=f".{target.name}.", suffix=".tmp", dir=folder)
    except OSError as error:
        raise UsageError(f"cannot write {target}: {error.strerror}") from None
    try:
        os.chmod(temporary, _mode_for(target))
        with os.fdopen(handle, "wb") as stream:
            yield stream.write
            stream.flush()
            os.fsync(stream.fileno())
        os.replace(temporary, target)
    except OSError as error:
        Path(temporary).unlink(missing_ok=True)
        raise UsageError(f"cannot write {target}: {error.strerror}") from None
    except BaseException:
        Path(temporary).unlink(missing_ok=True)
        raise
