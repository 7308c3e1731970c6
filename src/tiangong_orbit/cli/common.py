"""Steps several commands share: refreshing and choosing the element set, printing warnings."""

from __future__ import annotations

from datetime import datetime
from pathlib import Path
from typing import NamedTuple

from tiangong_orbit.cli.app import warn
from tiangong_orbit.tle import Catalog, ElementSet


class Chosen(NamedTuple):
    """The element set a command uses, the catalog it came from, and its age at the time asked.

    (A named tuple rather than a dataclass: a record made once per command, which a dataclass
    would cost 0.5 ms of every start to define.)"""

    element_set: ElementSet
    catalog: Catalog
    norad_id: int
    age_days: float
    warnings: tuple[str, ...] = ()
    #: The set is past the staleness limit at the time asked (only with ``for_terminal``).
    past_limit: bool = False


#: The catalog warnings this command has printed (see :func:`choose_set`; emptied by the
#: top-level callback at the start of every command).
CATALOG_NOTES_SHOWN: set[str] = set()


def choose_set(
    tle_file: Path | None,
    satellite: str,
    at: datetime,
    *,
    allow_stale: bool,
    for_alert: bool = False,
    catalog: Catalog | None = None,
    print_warnings: bool = True,
    offline: bool = False,
    until: datetime | None = None,
    quiet: bool = False,
    for_terminal: bool = False,
) -> Chosen:
    """Load the sets (DESIGN.md, "Where element sets come from"), refresh them when they are
    too old for ``until`` (the latest time the command needs, default ``at``; see
    :func:`refresh_if_needed`), pick the one nearest ``at``, apply the staleness policy and
    print its warnings to stderr (or leave them to the caller, in :attr:`Chosen.warnings`, with
    ``print_warnings=False``). ``quiet`` leaves out the refresh's success note. With
    ``for_terminal`` (a table for a person) a set past the limit is not refused:
    :attr:`Chosen.past_limit` says so."""
    from tiangong_orbit import tle

    if catalog is None:
        catalog = tle.load_catalog(tle_file)
    norad_id = tle.satellite_ids(satellite, catalog.sets)
    if norad_id in tle.LAUNCHES and at < tle.LAUNCHES[norad_id][0]:
        from tiangong_orbit.errors import NoElementSetError

        launched, words = tle.LAUNCHES[norad_id]
        raise NoElementSetError(
            f"{words} on {launched:%Y-%m-%d %H:%M} UTC: there is nothing in orbit to see at "
            f"{at:%Y-%m-%d %H:%M} UTC; ask for a time after the launch"
        )
    catalog = refresh_if_needed(
        catalog, norad_id, until if until is not None else at, offline=offline, quiet=quiet
    )
    for message in [*catalog.warnings, *catalog.check_satellite(norad_id)]:
        # Several satellites in one command read the same file: say each thing about it once.
        if message not in CATALOG_NOTES_SHOWN:
            CATALOG_NOTES_SHOWN.add(message)
            warn(message)
    if catalog.file_given and not tle.sets_for(catalog.sets, norad_id):
        from tiangong_orbit.errors import NoElementSetError

        raise NoElementSetError(
            f"no element set for NORAD {norad_id} in {tle_file}; give a file that holds it, "
            "or leave out --tle to use the bundled sets and the cache"
        )
    element_set = tle.nearest_set(catalog.sets, norad_id, at)
    staleness = tle.check_staleness(
        element_set,
        at,
        newest=catalog.newest_epoch(norad_id),
        for_alert=for_alert,
        allow_stale=allow_stale,
        file_given=catalog.file_given,
        for_terminal=for_terminal,
    )
    if print_warnings:
        for message in staleness.warnings:
            warn(message)
    return Chosen(
        element_set,
        catalog,
        norad_id,
        staleness.age_days,
        staleness.warnings,
        staleness.past_limit,
    )


def iss_reference(
    catalog: Catalog, at: datetime, *, allow_stale: bool, what: str
) -> ElementSet | None:
    """The ISS set nearest ``at`` to compare with, from the catalog (or, when ``--tle FILE``
    holds no ISS, from the bundled data and cache); ``None`` with a warning naming ``what``
    leaves it out when there is none or it is too stale."""
    from tiangong_orbit import tle
    from tiangong_orbit.errors import StaleDataError

    if not tle.sets_for(catalog.sets, tle.ISS_NORAD_ID) and catalog.file_given:
        catalog = tle.load_catalog(None)
    if not tle.sets_for(catalog.sets, tle.ISS_NORAD_ID):
        warn(f"no ISS element set in the data: the ISS is left out of {what}")
        return None
    iss = tle.nearest_set(catalog.sets, tle.ISS_NORAD_ID, at)
    try:
        staleness = tle.check_staleness(
            iss,
            at,
            newest=catalog.newest_epoch(tle.ISS_NORAD_ID),
            allow_stale=allow_stale,
            file_given=catalog.file_given,
        )
    except StaleDataError as error:
        warn(f"the ISS is left out of {what}: {error}")
        return None
    for message in staleness.warnings:
        warn(message)
    return iss


def now_utc() -> datetime:
    """The system clock, read only here, at the command-line boundary."""
    from datetime import UTC

    return datetime.now(UTC)


def write_output(text: str, output: Path | None) -> None:
    """Write ``text`` to stdout, or atomically to ``output`` (see :mod:`tiangong_orbit.fileio`)."""
    if output is None:
        import sys

        sys.stdout.write(text)
        sys.stdout.flush()
        return
    from tiangong_orbit.fileio import write_atomic

    write_atomic(output, text)


# --------------------------------------------------------------------------------------------
# Automatic refresh (issue 10 §1; DESIGN.md, "Where element sets come from")

_TRUE_WORDS = ("1", "true", "yes", "on")
_FALSE_WORDS = ("", "0", "false", "no", "off")


def offline_by_environment() -> bool:
    """Whether ``TIANGONG_ORBIT_OFFLINE`` is set to 1, true, yes or on. Any other word than
    those and 0, false, no, off is a warning and counts as offline: whoever set the variable
    meant something, and the network is the side that can be skipped safely."""
    import os

    value = os.environ.get("TIANGONG_ORBIT_OFFLINE", "").strip().lower()
    if value in _TRUE_WORDS:
        return True
    if value in _FALSE_WORDS:
        return False
    warn(
        f"TIANGONG_ORBIT_OFFLINE={value[:40]!r} is none of 1, true, yes, on, 0, false, no, "
        "off: taken as offline (no automatic refresh)"
    )
    return True


def offline_by_config() -> bool:
    """Whether the configuration file (:func:`tiangong_orbit.paths.config_file`) says
    ``offline = true``. A missing file is no; an unreadable one is a warning and no."""
    from tiangong_orbit.paths import config_file

    path = config_file()
    try:
        with path.open("rb") as stream:
            data = stream.read(1024 * 1024)
    except FileNotFoundError:
        return False
    except OSError as error:
        warn(f"cannot read the configuration file {path} ({error.strerror}); ignoring it")
        return False
    import tomllib

    try:
        table = tomllib.loads(data.decode("utf-8"))
    except (UnicodeDecodeError, tomllib.TOMLDecodeError, RecursionError) as error:
        reason = "not UTF-8" if isinstance(error, UnicodeDecodeError) else "not valid TOML"
        warn(f"ignoring the configuration file {path}: {reason} ({error})".split("\n")[0])
        return False
    value = table.get("offline", False)
    if not isinstance(value, bool):
        warn(f"{path}: 'offline' should be true or false, found {value!r}; ignoring it")
        return False
    return value


def refresh_if_needed(
    catalog: Catalog,
    norad_id: int,
    until: datetime,
    *,
    offline: bool = False,
    quiet: bool = False,
    config_offline: bool = False,
) -> Catalog:
    """Fetch fresh element sets when the newest set of ``norad_id`` is more than 24 hours older
    than ``until`` (the latest time the command needs); the catalog to compute with.

    Nothing happens for ``--tle FILE`` (``catalog.file_given``), with ``offline`` (``--offline``)
    or ``config_offline`` (an ``offline`` key of a command's own configuration), with
    ``TIANGONG_ORBIT_OFFLINE=1`` or ``offline = true`` in the configuration file. The fetch is
    :func:`tiangong_orbit.fetch.refresh` (same validation, cache and lock as ``tle update``; at
    most one request per source every 2 hours, none for 30 minutes after a failure, 10 s in
    all; no wait for a lock another process holds). It never raises: a failure is one
    ``warning:`` line naming the set used instead; a success one ``note:`` line (none when
    ``quiet``). When nothing needs fetching this costs a scan of the epochs and no import; when
    the source was asked lately (the 2-hour and 30-minute rules: most runs of a window longer
    than a day), the fetch module and a read of its state file, without the lock or the
    network modules (2.5 ms, against 45 ms with them).
    """
    from datetime import UTC

    from tiangong_orbit import tle

    if catalog.file_given:
        return catalog
    now = datetime.now(UTC)
    newest = _newest_epoch(catalog, norad_id, now + tle.MAX_EPOCH_AHEAD)
    if newest is not None and until - newest <= tle.REFRESH_AFTER:
        return catalog
    if offline or config_offline or offline_by_environment() or offline_by_config():
        return catalog

    from tiangong_orbit import fetch

    result = fetch.refresh(now=now, url=fetch.source_url())
    for message in result.warnings:
        warn(message)
    if result.outcome == "failed":
        reason = (result.message or "unknown failure").split("; the cache is unchanged")[0]
        warn(
            f"could not fetch fresh element sets ({reason}); "
            f"{_instead(catalog, norad_id, newest, now)}"
        )
        return catalog
    if result.outcome not in ("updated", "unchanged"):
        return catalog  # "busy": computed with what the cache holds; "skipped": asked lately
    if result.outcome == "updated":
        catalog = tle.load_catalog()
    if not quiet:
        after = _newest_epoch(catalog, norad_id, now + tle.MAX_EPOCH_AHEAD)
        host = _host(result.url)
        if result.outcome == "updated" and after is not None and after != newest:
            note(
                f"fetched fresh element sets from {host}: the newest set of "
                f"{_satellite_words(catalog, norad_id)} is now from {after:%Y-%m-%d %H:%M} UTC "
                f"({_age_words(now - after)} old)"
            )
        else:
            note(f"checked {host} for fresh element sets: nothing newer than what you have")
    return catalog


def note(message: str) -> None:
    """Print one ``note:`` line to stderr."""
    import sys

    print(f"note: {message}", file=sys.stderr, flush=True)


def _newest_epoch(catalog: Catalog, norad_id: int, limit: datetime) -> datetime | None:
    newest: datetime | None = None
    for element_set in catalog.sets:
        if (
            element_set.norad_id == norad_id
            and element_set.epoch <= limit
            and (newest is None or element_set.epoch > newest)
        ):
            newest = element_set.epoch
    return newest


def _instead(catalog: Catalog, norad_id: int, newest: datetime | None, now: datetime) -> str:
    if newest is None:
        return f"no element set of {_satellite_words(catalog, norad_id)} is available"
    return (
        f"using the newest set available instead, from {newest:%Y-%m-%d %H:%M} UTC "
        f"({_age_words(now - newest)} old)"
    )


def _satellite_words(catalog: Catalog, norad_id: int) -> str:
    from tiangong_orbit import tle

    if norad_id == tle.TIANGONG_NORAD_ID:
        return "Tiangong"
    for element_set in catalog.sets:
        if element_set.norad_id == norad_id:
            return f"{element_set.name} ({norad_id})"
    return f"NORAD {norad_id}"


def _age_words(age) -> str:  # age: timedelta
    hours = age.total_seconds() / 3600
    if hours < 48:
        return f"{max(hours, 0):.0f} hours"
    return f"{hours / 24:.0f} days"


def _host(url: str) -> str:
    from urllib.parse import urlsplit

    try:
        return urlsplit(url).hostname or "the source"
    except ValueError:
        return "the source"
