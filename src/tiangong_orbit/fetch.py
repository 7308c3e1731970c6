"""Fresh element sets from CelesTrak into the user cache: the only code of the tool that uses
the network (``tiangong-orbit tle update``).

:func:`update` asks one source (by default CelesTrak's GP service for the space-station group,
OMM JSON: Tiangong and its modules, the ISS, visiting vehicles) with one HTTP GET, reads the
whole answer, validates all of it with :func:`tiangong_orbit.tle.parse_text`, and only then adds
to the cache the sets that move a satellite's newest epoch forward. Any doubt about the answer
(an error status, an HTML page, "No GP data found", a truncated body, no Tiangong in it) is a
:class:`~tiangong_orbit.errors.DownloadError` (exit 4) and leaves the cache as it was.

The cache (``paths.tle_cache_dir()``) keeps each set exactly as the source sent it, so nothing is
lost in conversion: OMM records in ``elements.json``, TLE/3LE lines in ``elements.tle``, which
:func:`tiangong_orbit.tle.load_catalog` reads. They hold a history, one entry per satellite and
epoch: every Tiangong set ever fetched, and the newest :data:`OTHER_SETS_KEPT` sets of each
other object (the whole station group would add some 30 000 sets a year that every command
would have to read). Bookkeeping that is not element sets (when each source was last checked)
lives in ``update-state.json`` beside the ``tle/`` folder, where the catalog never looks.

Politeness, after CelesTrak's usage rules for the GP service ("A New Way to Obtain GP Data",
celestrak.org/NORAD/documentation/gp-data-formats.php): the data is updated once every two
hours, so each source (URL) is asked at most once every :data:`MIN_INTERVAL` after a successful
check unless ``force``; a 403 whose body says the data "has not updated" since the last download
is CelesTrak's "nothing new", not a failure. No retry: the next scheduled run is the retry.

The request uses :mod:`urllib.request` from the standard library: one GET with a timeout and a
User-Agent does not justify a dependency (requests, httpx) that every user would install.

Nothing here prints or reads the clock: ``now`` is an argument and the result says what happened.
"""

from __future__ import annotations

import contextlib
import json
import os
import re
from collections.abc import Sequence
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal, NamedTuple
from urllib.parse import urlsplit

from tiangong_orbit import __version__, paths, tle
from tiangong_orbit.errors import (
    BusyError,
    DownloadError,
    TLEFormatError,
    UsageError,
)

if TYPE_CHECKING:
    # The network modules (with ssl and email, some 40 modules) are imported where a request
    # is made: the automatic refresh mostly finds it asked lately and makes none.
    import http.client
    import urllib.error

#: CelesTrak's GP query for the space stations group (Tiangong, its modules, the ISS, visiting
#: vehicles) in OMM JSON, which carries every element at full precision.
DEFAULT_URL = "https://celestrak.org/NORAD/elements/gp.php?GROUP=stations&FORMAT=json"

#: The whole of one ``tle update`` download, in seconds: connect, every read and the parse
#: together (a deadline, not a per-read timeout: a server that trickles bytes cannot hold it).
TIMEOUT_S = 15.0

#: The same for the automatic refresh of the computing commands (issue 10: at most 10 s).
REFRESH_DEADLINE_S = 10.0

#: After a failed automatic refresh, no second try of that source for this long, so that an
#: offline machine waits at most once per half hour.
RETRY_AFTER_FAILURE = timedelta(minutes=30)

#: The automatic refresh fetches when the newest set is older than the latest time the command
#: needs by more than this.
REFRESH_AFTER = tle.REFRESH_AFTER

#: A set whose epoch is later than the time of the download by more than this is refused: an
#: element set is fitted to past observations, and a 2035 set would otherwise pass for the
#: newest one for years.
MAX_EPOCH_AHEAD = tle.MAX_EPOCH_AHEAD

#: The most element sets one answer may hold (the stations group has about 100; CelesTrak's
#: largest groups several thousand): a bigger answer is refused, so that no download can make
#: every later command slow.
MAX_SETS_PER_ANSWER = 2000

#: The shortest spacing between two requests to one source: CelesTrak updates GP data every
#: two hours and asks clients not to download more often.
MIN_INTERVAL = timedelta(hours=2)

#: How long a second ``tle update`` waits for the first one's lock before giving up (exit 5).
LOCK_TIMEOUT_S = 2.0

#: An answer larger than this is not the stations group (about 30 kB): refused, not stored.
MAX_BODY_BYTES = 4 * 1024 * 1024

#: Two sets of one satellite whose epochs differ by less than this are one set.
SAME_EPOCH = tle.SAME_EPOCH

#: Satellites whose every set is kept in the cache (the history that past passes need) ...
FULL_HISTORY_IDS = frozenset({tle.TIANGONG_NORAD_ID})
#: ... and how many of the newest sets are kept for every other object of the answer.
OTHER_SETS_KEPT = 10

USER_AGENT = (
    f"tiangong-orbit/{__version__} (Tiangong pass predictions for Pakistan; "
    "at most one request per source every 2 hours)"
)
_ACCEPT = "application/json, text/plain;q=0.9, */*;q=0.1"

CACHE_JSON_NAME = "elements.json"
CACHE_TLE_NAME = "elements.tle"
STATE_NAME = "update-state.json"
LOCK_NAME = "update.lock"
_STATE_SCHEMA = "tiangong-orbit/update-state/1"

# CelesTrak: "GP data has not updated since your last successful download of GROUP=stations at
# 2026-11-21 12:00:00 UTC. Data is updated once every 2 hours."
_NOT_UPDATED = re.compile(r"has\s+not\s+(?:been\s+)?updated", re.IGNORECASE)

AnswerFormat = Literal["omm", "tle"]


def cache_json_path() -> Path:
    """The cache file of OMM records (``elements.json`` in :func:`paths.tle_cache_dir`)."""
    return paths.tle_cache_dir() / CACHE_JSON_NAME


def cache_tle_path() -> Path:
    """The cache file of TLE/3LE sets (``elements.tle`` in :func:`paths.tle_cache_dir`)."""
    return paths.tle_cache_dir() / CACHE_TLE_NAME


def state_path() -> Path:
    """When each source was last checked (in :func:`paths.cache_dir`, outside ``tle/``)."""
    return paths.cache_dir() / STATE_NAME


def lock_path() -> Path:
    """The lock file that keeps two ``tle update`` runs from overlapping."""
    return paths.cache_dir() / LOCK_NAME


class UpdateResult(NamedTuple):
    """What one :func:`update` did (a named tuple: defined in a sixth of a frozen dataclass's
    0.9 ms, which every run past the newest set paid for importing this module).

    Epochs are aware UTC datetimes. ``http_status`` is ``None`` when no request was sent
    (``skipped_polite``). ``tiangong_epoch_before``/``after`` are the newest Tiangong epochs
    available (bundled data plus cache) before and after; ``answer_tiangong_epoch`` is the newest
    one in the answer. ``source_message`` is the source's own words when it said nothing
    changed (HTTP 403 "has not updated"). ``last_check`` is the previous successful check of
    this source, and ``next_check_after`` the time from which a request is polite again.
    """

    url: str
    checked_at: datetime
    http_status: int | None
    sets_received: int
    sets_added: int
    tiangong_epoch_before: datetime | None
    tiangong_epoch_after: datetime | None
    answer_tiangong_epoch: datetime | None = None
    answer_format: AnswerFormat | None = None
    skipped_polite: bool = False
    not_updated: bool = False
    last_check: datetime | None = None
    next_check_after: datetime | None = None
    cache_file: Path | None = None
    source_message: str | None = None
    warnings: tuple[str, ...] = ()

    @property
    def requested(self) -> bool:
        """Whether a request was sent."""
        return not self.skipped_polite

    @property
    def answer_older(self) -> bool:
        """Whether the answer's Tiangong set is older than the newest one already available."""
        return (
            self.answer_tiangong_epoch is not None
            and self.tiangong_epoch_before is not None
            and self.answer_tiangong_epoch < self.tiangong_epoch_before - SAME_EPOCH
        )


def source_url() -> str:
    """The source of ``tle update`` and of the automatic refresh: ``$TIANGONG_ORBIT_TLE_URL``
    when set, else :data:`DEFAULT_URL` (CelesTrak's stations group)."""
    import os

    return os.environ.get("TIANGONG_ORBIT_TLE_URL", "").strip() or DEFAULT_URL


def shown_url(url: str) -> str:
    """``url`` as messages show it: without a user name or password, and with the values of
    query parameters that look like credentials (key, token, password, ...) masked."""
    try:
        parts = urlsplit(url)
        host = parts.hostname or ""
        port = f":{parts.port}" if parts.port else ""
    except ValueError:
        return "<an invalid URL>"
    if ":" in host:
        host = f"[{host}]"
    userinfo = "***@" if parts.username or parts.password else ""
    query = "&".join(
        f"{name}=***" if _SECRET_NAME.search(name) else (f"{name}={value}" if sep else name)
        for name, sep, value in (item.partition("=") for item in parts.query.split("&") if item)
    )
    rebuilt = f"{parts.scheme}://{userinfo}{host}{port}{parts.path}"
    return f"{rebuilt}?{query}" if query else rebuilt


_SECRET_NAME = re.compile(r"key|token|pass|secret|auth|sig|session|cred", re.IGNORECASE)


def update(
    *,
    now: datetime,
    url: str = DEFAULT_URL,
    force: bool = False,
    timeout_s: float = TIMEOUT_S,
    lock_timeout_s: float = LOCK_TIMEOUT_S,
) -> UpdateResult:
    """Fetch element sets from ``url`` into the user cache, politely and safely.

    ``now`` (aware) is the time of the check, recorded for the 2-hour spacing. Sends no request
    when ``url`` was checked successfully less than :data:`MIN_INTERVAL` before ``now``, unless
    ``force``. Adds only the sets whose epoch is newer than the newest one already available for
    their satellite (bundled data and cache), so the active set never goes back in time; refuses
    sets dated more than :data:`MAX_EPOCH_AHEAD` after ``now``. The whole download (connect,
    read, parse) has ``timeout_s`` seconds.

    Raises :class:`DownloadError` (exit 4) when the source fails or answers something that is not
    a complete, valid set of elements holding Tiangong; :class:`BusyError` (exit 5) when another
    update holds the lock for longer than ``lock_timeout_s``; :class:`UsageError` (exit 2) for a
    URL that is not http(s) or a cache folder (or lock file) that cannot be written. The cache
    is unchanged whenever an error is raised.
    """
    now = _aware(now)
    _check_url(url)
    lock = _take_lock(lock_timeout_s)
    try:
        warnings: list[str] = []
        state = _read_state(warnings)
        last_check, _ = _source_times(state, url, now, warnings)
        if not force and last_check is not None and now - last_check < MIN_INTERVAL:
            catalog = tle.load_catalog()
            before = _newest(catalog.sets, tle.TIANGONG_NORAD_ID, now + MAX_EPOCH_AHEAD)
            return UpdateResult(
                url=url,
                checked_at=now,
                tiangong_epoch_before=before,
                http_status=None,
                sets_received=0,
                sets_added=0,
                tiangong_epoch_after=before,
                skipped_polite=True,
                last_check=last_check,
                next_check_after=last_check + MIN_INTERVAL,
                warnings=(*warnings, *catalog.warnings),
            )
        return _update_locked(
            now=now,
            url=url,
            timeout_s=timeout_s,
            state=state,
            last_check=last_check,
            warnings=warnings,
        )
    finally:
        lock.release()


class RefreshResult(NamedTuple):
    """What one automatic :func:`refresh` did (a named tuple, as :class:`UpdateResult`).

    ``outcome``: ``"updated"`` (new sets cached), ``"unchanged"`` (asked; nothing newer),
    ``"skipped"`` (not asked: the source was checked less than 2 hours ago, or failed less than
    30 minutes ago), ``"busy"`` (another process holds the update lock: not waited for) or
    ``"failed"`` (``message`` says what failed, in one line). ``update`` is the
    :class:`UpdateResult` of a request that was answered.
    """

    outcome: Literal["updated", "unchanged", "skipped", "busy", "failed"]
    url: str
    message: str | None = None
    update: UpdateResult | None = None
    warnings: tuple[str, ...] = ()


def refresh(*, now: datetime, url: str, deadline_s: float | None = None) -> RefreshResult:
    """The automatic refresh of the computing commands: :func:`update` that never raises.

    Shares the cache, the lock and the 2-hour spacing per source with ``tle update``; does not
    wait for the lock (``"busy"``); after a failure does not ask the same source again for
    :data:`RETRY_AFTER_FAILURE`; the whole attempt (connect, read, parse) has ``deadline_s``
    seconds (default :data:`REFRESH_DEADLINE_S`). ``now`` (aware) is the wall-clock time of the
    attempt.
    """
    now = _aware(now)
    if deadline_s is None:
        deadline_s = REFRESH_DEADLINE_S
    try:
        _check_url(url)
    except UsageError as error:
        return RefreshResult("failed", url, _one_line(error))
    # Most runs stop here: a window of more than a day always calls for a refresh, which then
    # finds the source asked lately. The state file is replaced whole (write_atomic), so it
    # reads safely without the lock, whose module (filelock) and the request's (urllib, ssl)
    # cost 45 ms to import; the decision is taken again under the lock.
    unlocked: list[str] = []  # warnings of this reading; the one under the lock repeats them
    if _asked_lately(*_source_times(_read_state(unlocked), url, now, unlocked), now):
        return RefreshResult("skipped", url, warnings=tuple(unlocked))
    try:
        lock = _take_lock(0.0)
    except BusyError:
        return RefreshResult("busy", url)
    except UsageError as error:
        return RefreshResult("failed", url, _one_line(error))
    try:
        warnings: list[str] = []
        state = _read_state(warnings)
        last_success, last_failure = _source_times(state, url, now, warnings)
        if _asked_lately(last_success, last_failure, now):
            return RefreshResult("skipped", url, warnings=tuple(warnings))
        try:
            result = _update_locked(
                now=now,
                url=url,
                timeout_s=deadline_s,
                state=state,
                last_check=last_success,
                warnings=warnings,
            )
        except (DownloadError, UsageError) as error:
            message = _one_line(error)
            _record_failure(state, url, now, message)
            return RefreshResult("failed", url, message, warnings=tuple(warnings))
        outcome: Literal["updated", "unchanged"] = "updated" if result.sets_added else "unchanged"
        return RefreshResult(outcome, url, update=result, warnings=result.warnings)
    finally:
        lock.release()


def _asked_lately(
    last_success: datetime | None, last_failure: datetime | None, now: datetime
) -> bool:
    """Whether the source was checked successfully less than :data:`MIN_INTERVAL` before
    ``now``, or failed less than :data:`RETRY_AFTER_FAILURE` before (a refresh asks nothing)."""
    if last_success is not None and now - last_success < MIN_INTERVAL:
        return True
    return last_failure is not None and now - last_failure < RETRY_AFTER_FAILURE


def _one_line(error: Exception) -> str:
    return " ".join(str(error).split("\n")[0].split())


def _aware(now: datetime) -> datetime:
    if now.tzinfo is None:
        raise ValueError("now must be an aware datetime (UTC)")
    return now.astimezone(UTC)


def _take_lock(timeout_s: float):  # -> filelock.BaseFileLock, imported lazily
    """The update lock, held; :class:`BusyError` when another process keeps it longer than
    ``timeout_s``; :class:`UsageError` when the cache folder or the lock file cannot be made."""
    folder = paths.tle_cache_dir()
    what_to_do = "set TIANGONG_ORBIT_CACHE_DIR to a folder you can write"
    try:
        folder.mkdir(parents=True, exist_ok=True)
    except OSError as error:
        raise UsageError(
            f"cannot create the cache folder {folder}: {error.strerror}; {what_to_do}"
        ) from None
    path = lock_path()
    if path.is_dir():
        raise UsageError(
            f"the lock file {path} is a directory; remove it (it holds nothing) and try again"
        )
    import os

    if not os.access(path.parent, os.W_OK) or (path.exists() and not os.access(path, os.W_OK)):
        raise UsageError(
            f"cannot write the lock file {path}: the cache folder {path.parent} is read-only; "
            f"make it writable or {what_to_do}"
        )
    from filelock import FileLock, Timeout

    lock = FileLock(path, timeout=timeout_s)
    try:
        lock.acquire()
    except Timeout:
        raise BusyError(
            f"another 'tiangong-orbit tle update' is running (it holds {path}); "
            "nothing was done; try again in a minute"
        ) from None
    except OSError as error:
        raise UsageError(
            f"cannot take the lock {path}: {error.strerror or error}; {what_to_do}"
        ) from None
    return lock


def _newest(
    sets: Sequence[tle.ElementSet], norad_id: int, limit: datetime | None = None
) -> datetime | None:
    """The newest epoch of ``norad_id`` in ``sets``, ignoring epochs after ``limit``."""
    epochs = [
        s.epoch for s in sets if s.norad_id == norad_id and (limit is None or s.epoch <= limit)
    ]
    return max(epochs) if epochs else None


def _update_locked(
    *,
    now: datetime,
    url: str,
    timeout_s: float,
    state: dict[str, Any],
    last_check: datetime | None,
    warnings: list[str],
) -> UpdateResult:
    """One request, inside the lock: download, validate, add what is new, record the check."""
    limit = now + MAX_EPOCH_AHEAD
    catalog = tle.load_catalog()
    warnings.extend(catalog.warnings)
    before = _newest(catalog.sets, tle.TIANGONG_NORAD_ID, limit)
    common = {"url": url, "checked_at": now, "tiangong_epoch_before": before}

    status, not_updated, received, records, answer_format = _within_deadline(
        url, timeout_s, lambda deadline: _download_and_validate(url, timeout_s, deadline)
    )
    if not_updated is not None:
        _heal_cache(catalog, limit, now, warnings)
        _record_check(state, url, now, status, received=0, added=0)
        return UpdateResult(
            **common,
            http_status=status,
            sets_received=0,
            sets_added=0,
            tiangong_epoch_after=before,
            not_updated=True,
            source_message=not_updated,
            last_check=last_check,
            next_check_after=now + MIN_INTERVAL,
            warnings=tuple(warnings),
        )
    assert answer_format is not None
    received, records = _drop_future(received, records, limit, url, warnings)
    answer_tiangong = max(s.epoch for s in received if s.norad_id == tle.TIANGONG_NORAD_ID)
    newest_known: dict[int, datetime] = {}
    names: dict[int, str] = {}
    for known in catalog.sets:
        names.setdefault(known.norad_id, known.name)
        if known.epoch > limit:
            continue  # a set from the future (an earlier bad download) blocks nothing
        if known.norad_id not in newest_known or known.epoch > newest_known[known.norad_id]:
            newest_known[known.norad_id] = known.epoch
    fresh = _newer_sets(received, newest_known)

    cache_file: Path | None = None
    if fresh:
        payloads = records if records is not None else [_tle_block(s, names) for s in received]
        entries = [(received[i], payloads[i]) for i in fresh]
        cache_file = _add_to_cache(answer_format, entries, names, now, warnings)
    _heal_cache(catalog, limit, now, warnings)
    _record_check(state, url, now, status, received=len(received), added=len(fresh))
    after_candidates = [e for e in (before, answer_tiangong) if e is not None]
    tiangong_added = any(received[i].norad_id == tle.TIANGONG_NORAD_ID for i in fresh)
    return UpdateResult(
        **common,
        http_status=status,
        sets_received=len(received),
        sets_added=len(fresh),
        tiangong_epoch_after=max(after_candidates) if tiangong_added else before,
        answer_tiangong_epoch=answer_tiangong,
        answer_format=answer_format,
        last_check=last_check,
        next_check_after=now + MIN_INTERVAL,
        cache_file=cache_file,
        warnings=tuple(warnings),
    )


def _drop_future(
    received: list[tle.ElementSet],
    records: list[dict[str, Any]] | None,
    limit: datetime,
    url: str,
    warnings: list[str],
) -> tuple[list[tle.ElementSet], list[dict[str, Any]] | None]:
    """The answer without sets dated after ``limit``; :class:`DownloadError` when no Tiangong
    set is left."""
    keep = [i for i, s in enumerate(received) if s.epoch <= limit]
    if len(keep) == len(received):
        return received, records
    future = [s for s in received if s.epoch > limit]
    first = min(future, key=lambda s: s.epoch)
    said = (
        f"{len(future)} element set(s) dated after the time of the download (e.g. {first.name}, "
        f"epoch {first.epoch:%Y-%m-%d %H:%M} UTC): an element set describes the past, so "
        "the source's data or clock is wrong"
    )
    kept = [received[i] for i in keep]
    if not any(s.norad_id == tle.TIANGONG_NORAD_ID for s in kept):
        raise DownloadError(
            f"{shown_url(url)} answered {said}; no Tiangong set is left; the cache is unchanged"
        )
    warnings.append(f"{shown_url(url)} answered {said}; they were refused, the others kept")
    return kept, (None if records is None else [records[i] for i in keep])


def _heal_cache(catalog: tle.Catalog, limit: datetime, now: datetime, warnings: list[str]) -> None:
    """Remove from the cache files the sets dated after ``limit`` (left by a download from
    before this check existed), so that they stop standing for the newest set."""
    poisoned = {s.path for s in catalog.sets if s.source == "cache" and s.epoch > limit}
    for target in (cache_json_path(), cache_tle_path()):
        if str(target) not in poisoned:
            continue
        answer_format: AnswerFormat = "omm" if target == cache_json_path() else "tle"
        entries = _read_entries(target, answer_format, {}, now, warnings)
        kept = [(s, payload) for s, payload in entries if s.epoch <= limit]
        if len(kept) == len(entries):
            continue
        _write_entries(target, answer_format, kept)
        warnings.append(
            f"removed {len(entries) - len(kept)} element set(s) dated in the future from "
            f"{target} (left by an earlier bad download)"
        )


def _within_deadline(url: str, deadline_s: float, work):  # work(deadline) -> T; returns T
    """Run ``work`` (given the ``time.monotonic()`` deadline) in a worker thread and wait at
    most ``deadline_s``: DNS, connect, a server that trickles bytes and the parse all count.
    The worker is a daemon thread; past the deadline it is left to end on its own."""
    import threading
    import time

    deadline = time.monotonic() + deadline_s
    outcome: dict[str, Any] = {}

    def run() -> None:
        try:
            outcome["value"] = work(deadline)
        except BaseException as error:  # handed to the caller below
            outcome["error"] = error

    worker = threading.Thread(target=run, name="tiangong-orbit download", daemon=True)
    worker.start()
    worker.join(deadline_s)
    if worker.is_alive():
        raise DownloadError(
            f"{shown_url(url)}: no complete answer within {deadline_s:g} s (timeout: the server "
            "is too slow, or stalled); the cache is unchanged; try again later"
        )
    if "error" in outcome:
        raise outcome["error"]
    return outcome["value"]


def _download_and_validate(url: str, deadline_s: float, deadline: float):
    status, body, not_updated = _download(url, deadline_s, deadline)
    if not_updated is not None:
        return status, not_updated, [], None, None
    received, records, answer_format = _validate(body, url)
    return status, None, received, records, answer_format


# --------------------------------------------------------------------------------------------
# The request


def _check_url(url: str) -> None:
    # Name the URL where the user wrote it: the environment, or --url.
    from_environment = os.environ.get("TIANGONG_ORBIT_TLE_URL", "").strip() == url
    label = "TIANGONG_ORBIT_TLE_URL" if from_environment else "--url"
    try:
        parts = urlsplit(url)
        parts.port  # noqa: B018 -- raises ValueError for a port that is not a number
    except ValueError as error:
        raise UsageError(f"{label} {shown_url(url)!r} is not a valid URL ({error})") from None
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise UsageError(
            f"{label} {shown_url(url)!r} is not an http(s) URL; expected e.g. {DEFAULT_URL} "
            "(for a local file use --tle FILE with the other commands)"
        )


def _download(url: str, timeout_s: float, deadline: float) -> tuple[int, bytes, str | None]:
    """One GET: ``(status, body, not_updated_message)``; the message is set for CelesTrak's
    403 "has not updated" answer. Any failure is a :class:`DownloadError`. ``deadline`` is the
    ``time.monotonic()`` by which the whole body must be in."""
    import http.client
    import time
    import urllib.error
    import urllib.request

    request = urllib.request.Request(
        url, headers={"User-Agent": USER_AGENT, "Accept": _ACCEPT}, method="GET"
    )
    unchanged = "the cache is unchanged"
    shown = shown_url(url)
    try:
        remaining = max(0.05, deadline - time.monotonic())
        with urllib.request.urlopen(request, timeout=remaining) as response:
            status = int(response.status)
            body = _read_body(response, url, timeout_s, deadline)
    except urllib.error.HTTPError as error:
        status, text = error.code, _error_body(error)
        if status == 403 and _NOT_UPDATED.search(text):
            return status, b"", _first_line(text) or "the data has not updated"
        quoted = _first_line(text)
        said = f" ({quoted!r})" if quoted else ""
        hint = _status_hint(status)
        raise DownloadError(
            f"{shown} answered HTTP {status} {error.reason}{said}; {unchanged}; {hint}"
        ) from None
    except urllib.error.URLError as error:
        raise DownloadError(
            f"{shown}: {_describe_reason(error.reason, timeout_s)}; {unchanged}; "
            "check your internet connection and the URL, or try later"
        ) from None
    except http.client.IncompleteRead as error:
        raise DownloadError(
            f"{shown}: the answer was cut off after {len(error.partial)} bytes (truncated "
            f"download); {unchanged}; try again later"
        ) from None
    except (TimeoutError, OSError, http.client.HTTPException) as error:
        raise DownloadError(
            f"{shown}: {_describe_reason(error, timeout_s)}; {unchanged}; try again later"
        ) from None
    return status, body, None


def _read_body(
    response: http.client.HTTPResponse, url: str, timeout_s: float, deadline: float
) -> bytes:
    import time

    chunks: list[bytes] = []
    total = 0
    # read1: whatever has arrived (up to 64 KiB), so that a trickling server is seen between
    # reads and stopped at the deadline.
    while chunk := response.read1(64 * 1024):
        total += len(chunk)
        if total > MAX_BODY_BYTES:
            raise DownloadError(
                f"{shown_url(url)}: the answer is larger than {MAX_BODY_BYTES // (1024 * 1024)} "
                "MiB, far more than the station group; is this the right URL? the cache is "
                "unchanged"
            )
        chunks.append(chunk)
        if time.monotonic() > deadline:
            raise DownloadError(
                f"{shown_url(url)}: no complete answer within {timeout_s:g} s ({total} bytes "
                "in; the server is too slow); the cache is unchanged; try again later"
            )
    declared = response.headers.get("Content-Length")
    encoded = response.headers.get("Content-Encoding", "identity").lower() != "identity"
    if declared and declared.strip().isdigit() and not encoded and int(declared) != total:
        raise DownloadError(
            f"{shown_url(url)}: the answer was cut off: {total} bytes received of the "
            f"{int(declared)} "
            "announced (truncated download); the cache is unchanged; try again later"
        )
    return b"".join(chunks)


def _error_body(error: urllib.error.HTTPError) -> str:
    import http.client

    try:
        if getattr(error, "fp", None) is None:
            return ""
        data = error.read(64 * 1024)
    except (OSError, http.client.HTTPException):
        return ""
    finally:
        error.close()
    return data.decode("utf-8", errors="replace")


def _first_line(text: str, limit: int = 160) -> str:
    if text.lstrip().startswith("<"):
        return ""  # an HTML error page says nothing useful on one line
    for line in text.splitlines():
        if line.strip():
            line = " ".join(line.split())
            return line if len(line) <= limit else line[: limit - 1] + "…"
    return ""


def _status_hint(status: int) -> str:
    if status == 404:
        return "is the URL right?"
    if status in (403, 429):
        return "the source refuses us for now (too many requests?): wait a few hours"
    if status >= 500:
        return "the source has a problem: try again later"
    return "check the URL, or try again later"


def _describe_reason(reason: object, timeout_s: float) -> str:
    import socket
    import ssl

    if isinstance(reason, socket.gaierror):
        return f"cannot resolve the host name (DNS: {reason.strerror or reason})"
    if isinstance(reason, ConnectionRefusedError):
        return "the connection was refused (no server listening there)"
    if isinstance(reason, TimeoutError):
        return f"no answer within {timeout_s:g} s (timeout)"
    if isinstance(reason, ssl.SSLError):
        return f"the secure connection failed ({reason.reason or reason})"
    if isinstance(reason, OSError) and reason.strerror:
        return f"the connection failed ({reason.strerror})"
    return f"the download failed ({reason})"


# --------------------------------------------------------------------------------------------
# Validating the answer


def _validate(
    body: bytes, url: str
) -> tuple[list[tle.ElementSet], list[dict[str, Any]] | None, AnswerFormat]:
    """Parse the whole answer; raise :class:`DownloadError` unless it is valid and has Tiangong.

    Returns the sets, the raw OMM records (one per set, same order) for a JSON answer, and the
    answer's format. An answer of more than :data:`MAX_SETS_PER_ANSWER` sets is refused before
    it is parsed.
    """
    unchanged = "the cache is unchanged"
    shown = shown_url(url)
    try:
        text = body.decode("utf-8")
    except UnicodeDecodeError as error:
        raise DownloadError(
            f"{shown}: the answer is not text (byte 0x{body[error.start]:02X} at offset "
            f"{error.start}); expected OMM JSON or TLE lines; {unchanged}"
        ) from None
    stripped = text.lstrip("\ufeff").strip()
    data: Any = None
    if stripped[:1] in ("[", "{"):
        try:
            data = json.loads(stripped)
        except RecursionError:
            raise DownloadError(
                f"{shown}: the answer is JSON nested too deeply to be element sets; expected "
                f"CelesTrak OMM JSON (a list of flat records); {unchanged}"
            ) from None
        except ValueError:
            data = None  # parse_text below names the line and column
    count = (
        (len(data) if isinstance(data, list) else 1)
        if data is not None
        else sum(1 for line in stripped.splitlines() if line.startswith("1 "))
    )
    if count > MAX_SETS_PER_ANSWER:
        raise DownloadError(
            f"{shown} answered {count} element sets, more than the {MAX_SETS_PER_ANSWER} one "
            "download may add (the stations group has about 100): is this the right URL? "
            f"{unchanged}"
        )
    try:
        sets = tle.parse_text(text, path=shown, source="cache")
    except TLEFormatError as error:
        first = str(error).split("\n")[0]
        raise DownloadError(f"{first}; {unchanged}") from None
    except RecursionError:
        raise DownloadError(
            f"{shown}: the answer is nested too deeply to be element sets; {unchanged}"
        ) from None
    records: list[dict[str, Any]] | None = None
    answer_format: AnswerFormat = "tle"
    if data is not None:
        records = data if isinstance(data, list) else [data]
        answer_format = "omm"
        if len(records) != len(sets):  # parse_text makes one set per record
            raise AssertionError("OMM records and parsed sets do not match")
    if not any(s.norad_id == tle.TIANGONG_NORAD_ID for s in sets):
        listed = ", ".join(sorted({f"{s.name} ({s.norad_id})" for s in sets})[:3])
        more = ", …" if len({s.norad_id for s in sets}) > 3 else ""
        raise DownloadError(
            f"{shown} answered {len(sets)} element set(s) ({listed}{more}) but none for Tiangong "
            f"(CSS (TIANHE), NORAD {tle.TIANGONG_NORAD_ID}), so it is the wrong source or "
            f"group; {unchanged}"
        )
    return sets, records, answer_format


def _newer_sets(received: Sequence[tle.ElementSet], newest_known: dict[int, datetime]) -> list[int]:
    """Indexes of the received sets newer than any known set of their satellite (and distinct
    among themselves): the only ones worth keeping, so the active set only moves forward."""
    kept: dict[int, list[datetime]] = {}
    indexes: list[int] = []
    for index, element_set in enumerate(received):
        limit = newest_known.get(element_set.norad_id)
        if limit is not None and element_set.epoch <= limit + SAME_EPOCH:
            continue
        epochs = kept.setdefault(element_set.norad_id, [])
        if any(abs(element_set.epoch - epoch) <= SAME_EPOCH for epoch in epochs):
            continue
        epochs.append(element_set.epoch)
        indexes.append(index)
    return indexes


# --------------------------------------------------------------------------------------------
# Writing the cache (inside the lock; every write atomic)


# One cached entry: the parsed set, and what is written for it (an OMM record as the source
# sent it, or the 3LE text of a TLE set).
_Entry = tuple[tle.ElementSet, Any]


def _add_to_cache(
    answer_format: AnswerFormat,
    fresh: list[_Entry],
    names: dict[int, str],
    now: datetime,
    warnings: list[str],
) -> Path:
    """Merge ``fresh`` into the cache file of the answer's format, apply :func:`_retained`,
    re-parse the result and write it atomically; the file written."""
    target = cache_json_path() if answer_format == "omm" else cache_tle_path()
    entries = [*_read_entries(target, answer_format, names, now, warnings), *fresh]
    _write_entries(target, answer_format, _retained(entries))
    return target


def _write_entries(target: Path, answer_format: AnswerFormat, kept: list[_Entry]) -> None:
    if answer_format == "omm":
        text = json.dumps([record for _, record in kept], indent=1, ensure_ascii=False) + "\n"
    else:
        text = "".join(block for _, block in kept)
    _write_checked(target, text, expected=len(kept))


def _read_entries(
    target: Path,
    answer_format: AnswerFormat,
    names: dict[int, str],
    now: datetime,
    warnings: list[str],
) -> list[_Entry]:
    """The entries of an existing cache file; a file that does not parse is moved aside."""
    if not target.exists():
        return []
    try:
        sets = tle.parse_file(target, source="cache")
        if answer_format == "tle":
            return [(s, _tle_block(s, names)) for s in sets]
        data = json.loads(target.read_text(encoding="utf-8-sig"))
        records = data if isinstance(data, list) else [data]
        if len(records) != len(sets):
            raise ValueError(f"{len(records)} records for {len(sets)} sets")
        return list(zip(sets, records, strict=True))
    except (TLEFormatError, UsageError, ValueError, OSError, RecursionError) as error:
        if isinstance(error, RecursionError):
            error = ValueError("JSON nested too deeply")
        _move_aside(target, error, now, warnings)
        return []


def _retained(entries: list[_Entry]) -> list[_Entry]:
    """Every Tiangong set (the history past passes need); the newest
    :data:`OTHER_SETS_KEPT` of every other object, so that the cache, which every command
    reads, stays small (the stations group adds some 30 000 sets a year). Order is kept."""
    by_id: dict[int, list[datetime]] = {}
    for element_set, _ in entries:
        by_id.setdefault(element_set.norad_id, []).append(element_set.epoch)
    cutoff = {
        norad_id: sorted(epochs)[-OTHER_SETS_KEPT]
        for norad_id, epochs in by_id.items()
        if norad_id not in FULL_HISTORY_IDS and len(epochs) > OTHER_SETS_KEPT
    }
    return [
        (element_set, payload)
        for element_set, payload in entries
        if element_set.norad_id not in cutoff or element_set.epoch >= cutoff[element_set.norad_id]
    ]


def _tle_block(element_set: tle.ElementSet, names: dict[int, str]) -> str:
    """The 3LE text of a set: its name (the known one for a nameless 2-line set), two lines."""
    name = element_set.name
    known = names.get(element_set.norad_id)
    nameless = name == f"NORAD {element_set.norad_id}"
    if nameless and known and known.isascii() and known.isprintable():
        name = known
    if name[:1] in ("1", "2") and name[1:2] in ("", " "):
        name = "0 " + name  # CelesTrak's 3LE prefix, so a name never reads as a TLE line
    return f"{name}\n{element_set.line1}\n{element_set.line2}\n"


def _move_aside(target: Path, error: Exception, now: datetime, warnings: list[str]) -> None:
    aside = target.with_name(f"{target.name}.broken-{now:%Y%m%dT%H%M%SZ}")
    try:
        target.replace(aside)
    except OSError as move_error:
        raise UsageError(
            f"the cache file {target} is broken and cannot be moved aside "
            f"({move_error.strerror}); delete it and run 'tiangong-orbit tle update' again"
        ) from None
    reason = str(error).split("\n")[0]
    warnings.append(
        f"the cache file {target} could not be read ({reason}); kept it as {aside} "
        "and started a new one"
    )


def _write_checked(target: Path, text: str, *, expected: int) -> None:
    """Re-parse exactly what will be on disk, then write it atomically."""
    from tiangong_orbit.fileio import write_atomic

    written = tle.parse_text(text, path=str(target), source="cache")
    if len(written) != expected:
        raise AssertionError(f"{target}: {len(written)} sets would be written, not {expected}")
    write_atomic(target, text)


# --------------------------------------------------------------------------------------------
# The state file: when each source was last checked


def _read_state(warnings: list[str]) -> dict[str, Any]:
    path = state_path()
    empty: dict[str, Any] = {"schema": _STATE_SCHEMA, "sources": {}}
    if not path.exists():
        return empty
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
        if not isinstance(data, dict) or not isinstance(data.get("sources"), dict):
            raise ValueError("expected an object with 'sources'")
    except (OSError, ValueError, RecursionError) as error:
        reason = "nested too deeply" if isinstance(error, RecursionError) else error
        warnings.append(
            f"ignoring the unreadable state file {path} ({reason}); the 2-hour "
            "spacing of requests starts again"
        )
        return empty
    return data


def _source_times(
    state: dict[str, Any], url: str, now: datetime, warnings: list[str]
) -> tuple[datetime | None, datetime | None]:
    """The last successful check and the last failure of ``url`` in the state file; a value
    that is not a time between 2000 and ``now`` (plus 5 minutes) is treated as missing, with a
    warning."""
    entry = state["sources"].get(url)
    if not isinstance(entry, dict):
        if entry is not None:
            warnings.append(
                f"ignoring the record of {shown_url(url)} in {state_path()} (not an object); "
                "the 2-hour spacing of requests starts again"
            )
        return None, None
    times: list[datetime | None] = []
    for key in ("last_success", "last_failure"):
        raw = entry.get(key)
        value = _parse_time(raw)
        if raw is not None and value is None:
            warnings.append(
                f"ignoring {key} {str(raw)[:40]!r} of {shown_url(url)} in {state_path()} (not a "
                "time); treated as missing"
            )
        elif value is not None and not _EARLIEST_RECORD <= value <= now + timedelta(minutes=5):
            warnings.append(
                f"ignoring {key} {value:%Y-%m-%d %H:%M} UTC of {shown_url(url)} in "
                f"{state_path()}: "
                + ("after now (was the clock changed?)" if value > now else "not a real time")
                + "; treated as missing"
            )
            value = None
        times.append(value)
    return times[0], times[1]


_EARLIEST_RECORD = datetime(2000, 1, 1, tzinfo=UTC)


def _record_failure(state: dict[str, Any], url: str, now: datetime, message: str) -> None:
    """Remember a failed request (best effort: a state file that cannot be written only means
    the next run may try again sooner)."""
    from tiangong_orbit.fileio import write_atomic

    entry = state["sources"].get(url)
    entry = dict(entry) if isinstance(entry, dict) else {}
    entry["last_failure"] = now.strftime("%Y-%m-%dT%H:%M:%S.%fZ")
    entry["last_error"] = message[:300]
    state["schema"] = _STATE_SCHEMA
    state["sources"][url] = entry
    with contextlib.suppress(UsageError):
        write_atomic(state_path(), json.dumps(state, indent=1, sort_keys=True) + "\n")


def _record_check(
    state: dict[str, Any], url: str, now: datetime, status: int, *, received: int, added: int
) -> None:
    from tiangong_orbit.fileio import write_atomic

    state["schema"] = _STATE_SCHEMA
    state["sources"][url] = {
        "last_success": now.strftime("%Y-%m-%dT%H:%M:%S.%fZ"),
        "http_status": status,
        "sets_received": received,
        "sets_added": added,
    }
    write_atomic(state_path(), json.dumps(state, indent=1, sort_keys=True) + "\n")


def _parse_time(text: object) -> datetime | None:
    if not isinstance(text, str):
        return None
    try:
        value = datetime.fromisoformat(text.replace("Z", "+00:00"))
        return value.astimezone(UTC) if value.tzinfo else value.replace(tzinfo=UTC)
    except (ValueError, OverflowError):
        # OverflowError: "0001-01-01T00:00:00+05:00" is before the first representable UTC time
        return None
