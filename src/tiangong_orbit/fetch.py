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

import http.client
import json
import re
import socket
import ssl
import urllib.error
import urllib.request
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any, Literal
from urllib.parse import urlsplit

from tiangong_orbit import __version__, paths, tle
from tiangong_orbit.errors import (
    BusyError,
    DownloadError,
    TLEFormatError,
    UsageError,
)

#: CelesTrak's GP query for the space stations group (Tiangong, its modules, the ISS, visiting
#: vehicles) in OMM JSON, which carries every element at full precision.
DEFAULT_URL = "https://celestrak.org/NORAD/elements/gp.php?GROUP=stations&FORMAT=json"

#: How long to wait for the source to connect and for each read, in seconds.
TIMEOUT_S = 15.0

#: The shortest spacing between two requests to one source: CelesTrak updates GP data every
#: two hours and asks clients not to download more often.
MIN_INTERVAL = timedelta(hours=2)

#: How long a second ``tle update`` waits for the first one's lock before giving up (exit 5).
LOCK_TIMEOUT_S = 2.0

#: An answer larger than this is not the stations group (about 30 kB): refused, not stored.
MAX_BODY_BYTES = 16 * 1024 * 1024

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


@dataclass(frozen=True, slots=True)
class UpdateResult:
    """What one :func:`update` did.

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
    their satellite (bundled data and cache), so the active set never goes back in time.

    Raises :class:`DownloadError` (exit 4) when the source fails or answers something that is not
    a complete, valid set of elements holding Tiangong; :class:`BusyError` (exit 5) when another
    update holds the lock for longer than ``lock_timeout_s``; :class:`UsageError` (exit 2) for a
    URL that is not http(s) or a cache folder that cannot be written. The cache is unchanged
    whenever an error is raised.
    """
    if now.tzinfo is None:
        raise ValueError("now must be an aware datetime (UTC)")
    now = now.astimezone(UTC)
    _check_url(url)
    folder = paths.tle_cache_dir()
    try:
        folder.mkdir(parents=True, exist_ok=True)
    except OSError as error:
        raise UsageError(
            f"cannot create the cache folder {folder}: {error.strerror}; set "
            "TIANGONG_ORBIT_CACHE_DIR to a folder you can write"
        ) from None
    from filelock import FileLock, Timeout

    lock = FileLock(lock_path(), timeout=lock_timeout_s)
    try:
        lock.acquire()
    except Timeout:
        raise BusyError(
            f"another 'tiangong-orbit tle update' is running (it holds {lock_path()}); "
            "nothing was done; try again in a minute"
        ) from None
    try:
        return _update_locked(now=now, url=url, force=force, timeout_s=timeout_s)
    finally:
        lock.release()


def _update_locked(*, now: datetime, url: str, force: bool, timeout_s: float) -> UpdateResult:
    warnings: list[str] = []
    state = _read_state(warnings)
    source_state = state["sources"].get(url)
    last_check = (
        _parse_time(source_state.get("last_success")) if isinstance(source_state, dict) else None
    )
    if last_check is not None and last_check > now + timedelta(minutes=5):
        warnings.append(
            f"the last check of {url} is recorded at {last_check:%Y-%m-%d %H:%M} UTC, after "
            "now (was the clock changed?); checking again"
        )
        last_check = None

    catalog = tle.load_catalog()
    warnings.extend(catalog.warnings)
    before = catalog.newest_epoch(tle.TIANGONG_NORAD_ID)
    common = {"url": url, "checked_at": now, "tiangong_epoch_before": before}

    if not force and last_check is not None and now - last_check < MIN_INTERVAL:
        return UpdateResult(
            **common,
            http_status=None,
            sets_received=0,
            sets_added=0,
            tiangong_epoch_after=before,
            skipped_polite=True,
            last_check=last_check,
            next_check_after=last_check + MIN_INTERVAL,
            warnings=tuple(warnings),
        )

    status, body, not_updated = _download(url, timeout_s)
    if not_updated is not None:
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

    received, records, answer_format = _validate(body, url)
    answer_tiangong = max(s.epoch for s in received if s.norad_id == tle.TIANGONG_NORAD_ID)
    newest_known: dict[int, datetime] = {}
    names: dict[int, str] = {}
    for known in catalog.sets:
        if known.norad_id not in newest_known or known.epoch > newest_known[known.norad_id]:
            newest_known[known.norad_id] = known.epoch
        names.setdefault(known.norad_id, known.name)
    fresh = _newer_sets(received, newest_known)

    cache_file: Path | None = None
    if fresh:
        payloads = records if records is not None else [_tle_block(s, names) for s in received]
        entries = [(received[i], payloads[i]) for i in fresh]
        cache_file = _add_to_cache(answer_format, entries, names, now, warnings)
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


# --------------------------------------------------------------------------------------------
# The request


def _check_url(url: str) -> None:
    try:
        parts = urlsplit(url)
        parts.port  # noqa: B018 -- raises ValueError for a port that is not a number
    except ValueError as error:
        raise UsageError(f"--url {url!r} is not a valid URL ({error})") from None
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise UsageError(
            f"--url {url!r} is not an http(s) URL; expected e.g. {DEFAULT_URL} "
            "(for a local file use --tle FILE with the other commands)"
        )


def _download(url: str, timeout_s: float) -> tuple[int, bytes, str | None]:
    """One GET: ``(status, body, not_updated_message)``; the message is set for CelesTrak's
    403 "has not updated" answer. Any failure is a :class:`DownloadError`."""
    request = urllib.request.Request(
        url, headers={"User-Agent": USER_AGENT, "Accept": _ACCEPT}, method="GET"
    )
    unchanged = "the cache is unchanged"
    try:
        with urllib.request.urlopen(request, timeout=timeout_s) as response:
            status = int(response.status)
            body = _read_body(response, url)
    except urllib.error.HTTPError as error:
        status, text = error.code, _error_body(error)
        if status == 403 and _NOT_UPDATED.search(text):
            return status, b"", _first_line(text) or "the data has not updated"
        quoted = _first_line(text)
        said = f" ({quoted!r})" if quoted else ""
        hint = _status_hint(status)
        raise DownloadError(
            f"{url} answered HTTP {status} {error.reason}{said}; {unchanged}; {hint}"
        ) from None
    except urllib.error.URLError as error:
        raise DownloadError(
            f"{url}: {_describe_reason(error.reason, timeout_s)}; {unchanged}; "
            "check your internet connection and the URL, or try later"
        ) from None
    except http.client.IncompleteRead as error:
        raise DownloadError(
            f"{url}: the answer was cut off after {len(error.partial)} bytes (truncated "
            f"download); {unchanged}; try again later"
        ) from None
    except (TimeoutError, OSError, http.client.HTTPException) as error:
        raise DownloadError(
            f"{url}: {_describe_reason(error, timeout_s)}; {unchanged}; try again later"
        ) from None
    return status, body, None


def _read_body(response: http.client.HTTPResponse, url: str) -> bytes:
    chunks: list[bytes] = []
    total = 0
    while chunk := response.read(64 * 1024):
        total += len(chunk)
        if total > MAX_BODY_BYTES:
            raise DownloadError(
                f"{url}: the answer is larger than {MAX_BODY_BYTES // (1024 * 1024)} MiB, far "
                "more than the station group; is this the right URL? the cache is unchanged"
            )
        chunks.append(chunk)
    declared = response.headers.get("Content-Length")
    encoded = response.headers.get("Content-Encoding", "identity").lower() != "identity"
    if declared and declared.strip().isdigit() and not encoded and int(declared) != total:
        raise DownloadError(
            f"{url}: the answer was cut off: {total} bytes received of the {int(declared)} "
            "announced (truncated download); the cache is unchanged; try again later"
        )
    return b"".join(chunks)


def _error_body(error: urllib.error.HTTPError) -> str:
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
    answer's format.
    """
    unchanged = "the cache is unchanged"
    try:
        text = body.decode("utf-8")
    except UnicodeDecodeError as error:
        raise DownloadError(
            f"{url}: the answer is not text (byte 0x{body[error.start]:02X} at offset "
            f"{error.start}); expected OMM JSON or TLE lines; {unchanged}"
        ) from None
    try:
        sets = tle.parse_text(text, path=url, source="cache")
    except TLEFormatError as error:
        first = str(error).split("\n")[0]
        raise DownloadError(f"{first}; {unchanged}") from None
    records: list[dict[str, Any]] | None = None
    answer_format: AnswerFormat = "tle"
    stripped = text.lstrip("\ufeff").strip()
    if stripped[0] in "[{":
        data = json.loads(stripped)
        records = data if isinstance(data, list) else [data]
        answer_format = "omm"
        if len(records) != len(sets):  # parse_text makes one set per record
            raise AssertionError("OMM records and parsed sets do not match")
    if not any(s.norad_id == tle.TIANGONG_NORAD_ID for s in sets):
        shown = ", ".join(sorted({f"{s.name} ({s.norad_id})" for s in sets})[:3])
        more = ", …" if len({s.norad_id for s in sets}) > 3 else ""
        raise DownloadError(
            f"{url} answered {len(sets)} element set(s) ({shown}{more}) but none for Tiangong "
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
    kept = _retained(entries)
    if answer_format == "omm":
        text = json.dumps([record for _, record in kept], indent=1, ensure_ascii=False) + "\n"
    else:
        text = "".join(block for _, block in kept)
    _write_checked(target, text, expected=len(kept))
    return target


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
    except (TLEFormatError, UsageError, ValueError, OSError) as error:
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
    except (OSError, ValueError) as error:
        warnings.append(
            f"ignoring the unreadable state file {path} ({error}); the 2-hour "
            "spacing of requests starts again"
        )
        return empty
    return data


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
    except ValueError:
        return None
    return value.astimezone(UTC) if value.tzinfo else value.replace(tzinfo=UTC)
