"""The alert state: an SQLite database with one row per (satellite, place, pass, destination).

A row is written as ``sending`` and committed *before* its post, then turned into ``sent``,
``failed`` or ``unknown`` after it, so that two overlapping runs can never both post. See
:func:`tiangong_orbit.alerts.delivery.deliver` and the README ("Alerts").
The database stores POSIX seconds (UTC).
"""

from __future__ import annotations

import contextlib
import os
import platform
import sqlite3
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal

from tiangong_orbit.errors import BusyError, DataError, UsageError

if TYPE_CHECKING:
    from tiangong_orbit.alerts.message import Alert

#: Two predictions of one satellite over one place whose culminations lie this close are the
#: same pass: a fresh element set moves a pass by seconds to a minute or two, while two real
#: passes of a station in low orbit are at least one revolution (about 90 minutes) apart.
SAME_PASS_WINDOW_S = 600.0
#: The UNIQUE key rounds the culmination to buckets this wide; a backstop to the window above.
PASS_BUCKET_S = 600
#: A row left in ``sending`` by a run on another machine (whose process this one cannot look
#: up) is taken as abandoned when its claim is older than this by the wall clock; a single
#: post lasts seconds (Apprise's timeouts), never minutes. Rows of this machine are judged by
#: the liveness of the process that claimed them instead (:func:`run_is_alive`).
SENDING_STALE_S = 600.0
#: Rows of passes older than this are deleted.
PRUNE_AFTER_DAYS = 30.0
#: How long a run waits for another one holding the state database before exit 5.
DEFAULT_LOCK_TIMEOUT_S = 10.0
STATE_FILE_NAME = "alerts.sqlite3"

RowState = Literal["sending", "sent", "failed", "unknown"]
#: What a claim decided: post now, or why not.
Decision = Literal["post", "already_sent", "in_progress", "interrupted", "unknown"]

_APPLICATION_ID = 0x54475F41  # "TG_A": marks the file as ours (PRAGMA application_id)
_SCHEMA_VERSION = 2
_SCHEMA = """
CREATE TABLE IF NOT EXISTS alerts (
    id INTEGER PRIMARY KEY,
    norad_id INTEGER NOT NULL,
    place_key TEXT NOT NULL,
    target_key TEXT NOT NULL,          -- 'stdout', or 'apprise:' + a hash of the URL
    pass_bucket INTEGER NOT NULL,      -- culmination, POSIX seconds rounded to 600 s
    pass_time_unix REAL NOT NULL,      -- culmination (UTC)
    visible_start_unix REAL NOT NULL,
    state TEXT NOT NULL CHECK (state IN ('sending', 'sent', 'failed', 'unknown')),
    attempts INTEGER NOT NULL DEFAULT 1,
    owner TEXT NOT NULL,               -- the run that claimed the row last
    claimed_unix REAL NOT NULL,
    updated_unix REAL NOT NULL,
    target_label TEXT NOT NULL,        -- the URL with its secrets masked
    title TEXT NOT NULL,
    body TEXT NOT NULL,
    error TEXT,
    owner_host TEXT,                   -- the claiming process: host name,
    owner_pid INTEGER,                 -- process id,
    owner_started TEXT,                -- and boot id + start time (pid reuse is not it)
    claimed_wall_unix REAL,            -- the real clock at the claim (not --now)
    UNIQUE (norad_id, place_key, target_key, pass_bucket)
);
CREATE INDEX IF NOT EXISTS alerts_by_pass
    ON alerts (norad_id, place_key, target_key, pass_time_unix);
"""
#: Version 1 files gain the liveness columns (their rows keep NULL there: judged by age).
_MIGRATE_FROM_1 = (
    "ALTER TABLE alerts ADD COLUMN owner_host TEXT",
    "ALTER TABLE alerts ADD COLUMN owner_pid INTEGER",
    "ALTER TABLE alerts ADD COLUMN owner_started TEXT",
    "ALTER TABLE alerts ADD COLUMN claimed_wall_unix REAL",
)


@dataclass(frozen=True, slots=True)
class RunIdentity:
    """Which process claimed a row: host name, process id, and what makes the pid unique.

    ``started`` is the boot id and the process's start time (clock ticks since boot, from
    ``/proc/<pid>/stat``), so that a pid reused after the claiming run died, or after a reboot,
    is not mistaken for it; empty where ``/proc`` does not exist.
    """

    host: str
    pid: int
    started: str

    @classmethod
    def current(cls) -> RunIdentity:
        """The identity of this process."""
        pid = os.getpid()
        return cls(platform.node(), pid, _process_started(pid) or "")


def _process_started(pid: int) -> str | None:
    """``<boot id>:<start ticks>`` of a running process; ``None`` when it does not exist.

    Linux: field 22 of ``/proc/<pid>/stat`` (proc(5)); the command name before it is in
    parentheses and may itself hold spaces or parentheses, hence the split at the last ``)``.
    Elsewhere: ``""`` while the process exists (``kill(pid, 0)``), ``None`` once it is gone.
    """
    try:
        stat = Path(f"/proc/{pid}/stat").read_text(encoding="ascii", errors="replace")
    except FileNotFoundError:
        if Path("/proc/self/stat").exists():
            return None  # /proc works here: no such process
        try:
            os.kill(pid, 0)
        except ProcessLookupError:
            return None
        except OSError:
            return ""  # exists, owned by someone else
        return ""
    except OSError:
        return ""
    fields = stat.rsplit(")", 1)[-1].split()
    if fields and fields[0] in ("Z", "X"):
        return None  # a zombie (killed, not yet reaped by its parent) or dead: not running
    ticks = fields[19] if len(fields) > 19 else ""
    try:
        boot = Path("/proc/sys/kernel/random/boot_id").read_text(encoding="ascii").strip()
    except OSError:
        boot = ""
    return f"{boot}:{ticks}"


def run_is_alive(host: str | None, pid: int | None, started: str | None) -> bool | None:
    """Whether the run that claimed a row is still running; ``None`` when this machine cannot
    tell (another host, or a row written before runs recorded themselves)."""
    if host is None or pid is None or started is None or host != platform.node():
        return None
    now_started = _process_started(pid)
    if now_started is None:
        return False
    return not started or not now_started or now_started == started


class _Corrupt(DataError):
    """The state file is not a usable SQLite database.

    :meth:`AlertState.open` recovers from it; met later in a run (the file damaged while in
    use), it stops the run with exit 3 and the next run recovers.
    """

    def __init__(self, path: Path, reason: str):
        reason = " ".join(reason.split())  # one line, whatever SQLite said
        super().__init__(
            f"the alert state {path} is damaged ({reason}); nothing more was done, the next "
            "run moves it aside and starts afresh"
        )
        self.reason = reason


@dataclass(frozen=True, slots=True)
class Claim:
    """The state's answer for one alert and one destination.

    ``decision`` is ``post`` (the row is ours, in ``sending``: post it now), ``already_sent``,
    ``in_progress`` (another run that is still running is posting it), ``interrupted`` (the
    run posting it died mid-post: it may have been delivered; reported once, then
    ``unknown``) or ``unknown``.
    """

    decision: Decision
    row_id: int | None = None
    owner: str | None = None
    since: datetime | None = None


def _error_code(error: sqlite3.Error) -> int | None:
    code = getattr(error, "sqlite_errorcode", None)
    return None if code is None else code & 0xFF


def _is_busy(error: sqlite3.Error) -> bool:
    code = _error_code(error)
    if code is not None:
        return code in (sqlite3.SQLITE_BUSY, sqlite3.SQLITE_LOCKED)
    return "locked" in str(error).lower() or "busy" in str(error).lower()


def _is_corrupt(error: sqlite3.Error) -> bool:
    code = _error_code(error)
    if code is not None:
        return code in (sqlite3.SQLITE_CORRUPT, sqlite3.SQLITE_NOTADB)
    text = str(error).lower()
    return "not a database" in text or "malformed" in text


def _unix(moment: datetime) -> float:
    return moment.timestamp()


def _utc(seconds: float) -> datetime:
    return datetime.fromtimestamp(seconds, UTC)


class AlertState:
    """The alert state database: which alerts were posted where, and which are in flight.

    SQLite with its default rollback journal and ``synchronous=FULL``: a committed transaction
    survives a crash or power loss, and one interrupted by a killed process is rolled back by
    the next opener (the "hot journal"). Each transaction is ``BEGIN IMMEDIATE``: it takes the
    write lock at once, so a concurrent run waits for it (up to ``lock_timeout_s``) and then
    sees the rows the first one committed. Open with :meth:`open`.
    """

    def __init__(
        self,
        connection: sqlite3.Connection,
        path: Path,
        lock_timeout_s: float,
        *,
        identity: RunIdentity | None = None,
        wall_clock: Callable[[], float] = time.time,
    ):
        self._connection = connection
        self.path = path
        self.lock_timeout_s = lock_timeout_s
        #: A random token naming this run in the rows it claims (what ``secrets.token_hex(8)``
        #: returns; the secrets module would load OpenSSL, 3 ms of every alert run).
        self.owner = os.urandom(8).hex()
        #: The process that claims rows, so that other runs can tell whether it still runs.
        self.identity = identity if identity is not None else RunIdentity.current()
        #: The real clock (POSIX seconds), for the claims of runs on other machines only;
        #: every other time in the state is the run's ``now``, which ``--now`` may set.
        self.wall_clock = wall_clock

    # -- opening -------------------------------------------------------------------------------

    @classmethod
    def open(
        cls,
        path: str | os.PathLike[str],
        *,
        now: datetime,
        lock_timeout_s: float = DEFAULT_LOCK_TIMEOUT_S,
    ) -> tuple[AlertState, tuple[str, ...]]:
        """Open (or create) the state at ``path``; return it and the warnings to print.

        A file that is not a usable SQLite database (a text file, random bytes, a damaged page)
        is renamed to ``<name>.corrupt-<UTC time>`` (never deleted) with its journal, and a
        fresh state is started: the returned warning says so. A database of another program is
        refused (:class:`UsageError`); one held by another run past ``lock_timeout_s`` raises
        :class:`BusyError`.
        """
        state_path = Path(path).expanduser()
        try:
            is_dir = state_path.is_dir()
        except OSError as error:  # a name too long, a loop of links
            raise UsageError(f"--state {_shown(state_path)}: {_why(error)}") from None
        if is_dir:
            raise UsageError(f"--state {state_path} is a directory; expected a file name")
        try:
            state_path.parent.mkdir(parents=True, exist_ok=True)
        except OSError as error:
            raise UsageError(
                f"--state: cannot create the folder {state_path.parent}: {error.strerror}"
            ) from None
        try:
            return cls._open_checked(state_path, lock_timeout_s), ()
        except _Corrupt as problem:
            moved = _recover(state_path, now=now, lock_timeout_s=lock_timeout_s)
            state = cls._open_checked(state_path, lock_timeout_s)
            if moved is None:  # another run moved it aside a moment ago
                return state, ()
            return state, (
                f"the alert state {state_path} was not a usable database ({problem.reason}); "
                f"it was moved aside to {moved} for inspection and a fresh state was started, "
                "so an alert already posted may be posted once more",
            )

    @classmethod
    def _open_checked(cls, path: Path, lock_timeout_s: float) -> AlertState:
        try:
            connection = sqlite3.connect(
                path, timeout=lock_timeout_s, isolation_level=None, check_same_thread=True
            )
        except sqlite3.Error as error:
            raise _state_error(path, error, lock_timeout_s) from None
        state = cls(connection, path, lock_timeout_s)
        try:
            state._prepare()
        except BaseException:
            connection.close()
            raise
        return state

    def _prepare(self) -> None:
        connection = self._connection
        try:
            # The rollback journal (not WAL): it works on every file system, network ones too,
            # and keeps the state in one file between runs. FULL syncs the journal and the
            # database at each commit, so a committed claim survives a power cut.
            connection.execute("PRAGMA synchronous = FULL")
            mode = connection.execute("PRAGMA journal_mode = DELETE").fetchone()
            if mode is None:
                raise _Corrupt(self.path, "it cannot be read")
        except sqlite3.Error as error:
            raise _state_error(self.path, error, self.lock_timeout_s) from None
        with self.transaction():  # maps SQLite's errors, corruption to _Corrupt
            check = [row[0] for row in connection.execute("PRAGMA quick_check")]
            if check != ["ok"]:
                raise _Corrupt(self.path, "SQLite's quick_check: " + "; ".join(check[:3]))
            application_id = connection.execute("PRAGMA application_id").fetchone()[0]
            tables = [
                row[0]
                for row in connection.execute(
                    "SELECT name FROM sqlite_master WHERE type = 'table' "
                    "AND name NOT LIKE 'sqlite_%'"
                )
            ]
            if application_id != _APPLICATION_ID and (application_id != 0 or tables):
                raise UsageError(
                    f"--state {self.path} is an SQLite database of another program (tables: "
                    f"{', '.join(tables) or 'none'}); give a file of its own to --state"
                )
            version = connection.execute("PRAGMA user_version").fetchone()[0]
            if version > _SCHEMA_VERSION:
                raise UsageError(
                    f"--state {self.path} was written by a newer tiangong-orbit (state version "
                    f"{version}); upgrade, or give another --state file"
                )
            if version == 1:
                for statement in _MIGRATE_FROM_1:
                    connection.execute(statement)
            for statement in _SCHEMA.split(";"):
                if statement.strip():
                    connection.execute(statement)
            connection.execute(f"PRAGMA application_id = {_APPLICATION_ID}")
            connection.execute(f"PRAGMA user_version = {_SCHEMA_VERSION}")

    def close(self) -> None:
        """Close the database (uncommitted work, if any, is rolled back)."""
        self._connection.close()

    def __enter__(self) -> AlertState:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    # -- transactions --------------------------------------------------------------------------

    @contextlib.contextmanager
    def transaction(self) -> Iterator[sqlite3.Connection]:
        """``BEGIN IMMEDIATE`` … ``COMMIT`` (``ROLLBACK`` on an exception).

        Waits up to ``lock_timeout_s`` for another run's transaction, then raises
        :class:`BusyError` (exit 5).
        """
        connection = self._connection
        try:
            connection.execute("BEGIN IMMEDIATE")
        except sqlite3.Error as error:
            raise _state_error(self.path, error, self.lock_timeout_s) from None
        try:
            yield connection
        except sqlite3.Error as error:
            with contextlib.suppress(sqlite3.Error):
                connection.execute("ROLLBACK")
            raise _state_error(self.path, error, self.lock_timeout_s) from None
        except BaseException:
            with contextlib.suppress(sqlite3.Error):
                connection.execute("ROLLBACK")
            raise
        try:
            connection.execute("COMMIT")
        except sqlite3.Error as error:
            with contextlib.suppress(sqlite3.Error):
                connection.execute("ROLLBACK")
            raise _state_error(self.path, error, self.lock_timeout_s) from None

    # -- rows ----------------------------------------------------------------------------------

    def prune(self, now: datetime) -> int:
        """Delete the rows of passes more than :data:`PRUNE_AFTER_DAYS` before ``now``."""
        limit = _unix(now) - PRUNE_AFTER_DAYS * 86400.0
        cursor = self._connection.execute("DELETE FROM alerts WHERE pass_time_unix < ?", (limit,))
        return cursor.rowcount

    def claim(
        self,
        alert: Alert,
        target_key: str,
        target_label: str,
        *,
        now: datetime,
        retry_unknown: bool = False,
    ) -> Claim:
        """Decide, inside a :meth:`transaction`, whether this run posts ``alert`` to a target.

        Call it just before the post, one alert at a time: a ``sending`` row then always means
        "a post was started", never "queued by a run that may stop first".

        The pass is looked up by satellite, place, destination and a culmination within
        :data:`SAME_PASS_WINDOW_S`, so that a fresh element set that moves the pass by a
        minute or two finds the row of the first prediction. No row, or a ``failed`` one: the
        row becomes ``sending``, owned by this run, and the answer is ``post``. A ``sending``
        row of another run is left to it while that process lives (:func:`run_is_alive`,
        whatever the clocks say); once it is gone the row was being posted when it died: it
        is reported once as ``interrupted`` and becomes ``unknown``.
        """
        connection = self._connection
        pass_unix = _unix(alert.pass_time)
        bucket = round(pass_unix / PASS_BUCKET_S) * PASS_BUCKET_S
        now_unix = _unix(now)
        row = connection.execute(
            "SELECT id, state, owner, updated_unix, owner_host, owner_pid, owner_started, "
            "claimed_wall_unix FROM alerts "
            "WHERE norad_id = ? AND place_key = ? AND target_key = ? "
            "AND (abs(pass_time_unix - ?) <= ? OR pass_bucket = ?) "
            "ORDER BY abs(pass_time_unix - ?) LIMIT 1",
            (
                alert.norad_id,
                alert.place_key,
                target_key,
                pass_unix,
                SAME_PASS_WINDOW_S,
                bucket,
                pass_unix,
            ),
        ).fetchone()
        identity = self.identity
        values = (
            pass_unix,
            _unix(alert.visible_start),
            self.owner,
            now_unix,
            now_unix,
            target_label,
            alert.title,
            alert.body,
            identity.host,
            identity.pid,
            identity.started,
            self.wall_clock(),
        )
        if row is None:
            cursor = connection.execute(
                "INSERT INTO alerts (norad_id, place_key, target_key, pass_bucket, "
                "pass_time_unix, visible_start_unix, state, attempts, owner, claimed_unix, "
                "updated_unix, target_label, title, body, owner_host, owner_pid, "
                "owner_started, claimed_wall_unix) "
                "VALUES (?, ?, ?, ?, ?, ?, 'sending', 1, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                (alert.norad_id, alert.place_key, target_key, bucket, *values),
            )
            return Claim("post", cursor.lastrowid, self.owner, now)
        row_id, row_state, owner, updated_unix, host, pid, started, claimed_wall = row
        since = _utc(updated_unix)
        retake = row_state == "failed"
        if row_state == "sending":
            alive = run_is_alive(host, pid, started)
            if alive is None:  # another machine, or a row of an older version: by age
                age_s = (
                    self.wall_clock() - claimed_wall
                    if claimed_wall is not None
                    else now_unix - updated_unix
                )
                alive = age_s < SENDING_STALE_S
            if alive:
                # Another run is posting it now; never take it over.
                return Claim("in_progress", row_id, owner, since)
            if not retry_unknown:
                connection.execute(
                    "UPDATE alerts SET state = 'unknown', updated_unix = ?, error = ? WHERE id = ?",
                    (now_unix, "the run posting it was interrupted", row_id),
                )
                return Claim("interrupted", row_id, owner, since)
            retake = True
        if row_state == "unknown":
            if not retry_unknown:
                return Claim("unknown", row_id, owner, since)
            retake = True
        if not retake:
            return Claim("already_sent", row_id, owner, since)
        connection.execute(
            "UPDATE alerts SET state = 'sending', attempts = attempts + 1, error = NULL, "
            "pass_time_unix = ?, visible_start_unix = ?, owner = ?, claimed_unix = ?, "
            "updated_unix = ?, target_label = ?, title = ?, body = ?, owner_host = ?, "
            "owner_pid = ?, owner_started = ?, claimed_wall_unix = ? WHERE id = ?",
            (*values, row_id),
        )
        return Claim("post", row_id, self.owner, now)

    def finish(
        self, claim: Claim, state: RowState, *, now: datetime, error: str | None = None
    ) -> bool:
        """Record, inside a :meth:`transaction`, how the post of a claimed row ended.

        Only a row still ``sending`` and owned by this run changes; returns whether it did.
        """
        cursor = self._connection.execute(
            "UPDATE alerts SET state = ?, updated_unix = ?, error = ? "
            "WHERE id = ? AND owner = ? AND state = 'sending'",
            (state, _unix(now), error, claim.row_id, self.owner),
        )
        return cursor.rowcount == 1

    def rows(self) -> list[dict[str, Any]]:
        """Every row, oldest pass first, as dictionaries (for inspection and tests)."""
        cursor = self._connection.execute("SELECT * FROM alerts ORDER BY pass_time_unix, id")
        names = [column[0] for column in cursor.description]
        return [dict(zip(names, row, strict=True)) for row in cursor.fetchall()]


def _state_error(path: Path, error: sqlite3.Error, lock_timeout_s: float) -> Exception:
    """The user-facing error for an SQLite failure on the state file."""
    if _is_busy(error):
        return BusyError(
            f"another tiangong-orbit alert run holds the state {path} (waited "
            f"{lock_timeout_s:g} s); nothing was done, the next run will try again"
        )
    if _is_corrupt(error):
        return _Corrupt(path, str(error))
    code = _error_code(error)
    hint = {
        sqlite3.SQLITE_READONLY: "the file or its folder is read-only; give --state a file "
        "in a folder you can write",
        sqlite3.SQLITE_CANTOPEN: "it cannot be created or opened (a folder you cannot write, "
        "or a name too long?); give --state a file in a folder you can write",
        sqlite3.SQLITE_FULL: "the disk is full; free some space (the alerts not posted stay "
        "due for the next run)",
        sqlite3.SQLITE_IOERR: "the disk reported an error (full, or removed?); the alerts not "
        "posted stay due for the next run",
        sqlite3.SQLITE_PERM: "permission denied; give --state a file you can write",
    }.get(code if code is not None else -1, "")
    detail = " ".join(str(error).split())
    return UsageError(
        f"--state {_shown(path)}: cannot use the alert state ({detail})"
        + (f"; {hint}" if hint else "")
    )


def _shown(path: Path) -> str:
    """A path fit for a one-line message: a very long one is cut in its middle."""
    text = str(path)
    return text if len(text) <= 120 else f"{text[:60]}…{text[-50:]}"


def _why(error: OSError) -> str:
    import errno

    if error.errno == errno.ENAMETOOLONG:
        return "the file name is too long for the file system (at most 255 bytes a name)"
    return error.strerror or str(error)


def _recover(path: Path, *, now: datetime, lock_timeout_s: float) -> Path | None:
    """Move a corrupt state file (and its journal) aside; ``None`` if someone else just did.

    A lock file serializes recoveries: without it, a second run that also found the file
    corrupt could move aside the fresh state the first run had just started, and post again.
    """
    from filelock import FileLock, Timeout

    lock_path = Path(str(path) + ".lock")
    lock = FileLock(str(lock_path), timeout=lock_timeout_s)
    try:
        lock.acquire()
    except Timeout:
        raise BusyError(
            f"another tiangong-orbit alert run is repairing the state {path} (waited "
            f"{lock_timeout_s:g} s); nothing was done, the next run will try again"
        ) from None
    except OSError as error:  # a read-only folder, a directory in the way
        raise UsageError(
            f"--state {_shown(path)} is damaged and its lock file {_shown(lock_path)} cannot "
            f"be created ({_why(error)}); make the folder writable, or remove what is in the way"
        ) from None
    try:
        try:
            AlertState._open_checked(path, lock_timeout_s).close()
            return None  # already replaced by a healthy state
        except _Corrupt:
            pass
        stamp = now.astimezone(UTC).strftime("%Y%m%dT%H%M%SZ")
        target = path.with_name(f"{path.name}.corrupt-{stamp}")
        counter = 1
        while target.exists():
            counter += 1
            target = path.with_name(f"{path.name}.corrupt-{stamp}-{counter}")
        try:
            # The journal first: a "hot" journal left beside a fresh database would be
            # played back into it.
            for suffix in ("-journal", "-wal", "-shm"):
                sidecar = Path(str(path) + suffix)
                if sidecar.exists():
                    os.rename(sidecar, Path(str(target) + suffix))
            os.rename(path, target)
        except OSError as error:
            raise UsageError(
                f"--state {path} is corrupt and cannot be moved aside ({error.strerror}); "
                "move or delete it by hand"
            ) from None
        return target
    finally:
        lock.release()
