"""Steps several commands share: choosing the element set and printing its warnings."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

from tiangong_orbit.cli.app import warn
from tiangong_orbit.tle import Catalog, ElementSet


@dataclass(frozen=True, slots=True)
class Chosen:
    """The element set a command uses, the catalog it came from, and its age at the time asked."""

    element_set: ElementSet
    catalog: Catalog
    norad_id: int
    age_days: float
    warnings: tuple[str, ...] = ()
    #: The set is past the staleness limit at the time asked (only with ``for_terminal``).
    past_limit: bool = False


def choose_set(
    tle_file: Path | None,
    satellite: str,
    at: datetime,
    *,
    allow_stale: bool,
    for_alert: bool = False,
    catalog: Catalog | None = None,
    print_warnings: bool = True,
    for_terminal: bool = False,
) -> Chosen:
    """Load the sets (DESIGN.md, "Where element sets come from"), pick the one nearest ``at``,
    apply the staleness policy and print its warnings to stderr (or leave them to the caller,
    in :attr:`Chosen.warnings`, with ``print_warnings=False``). With ``for_terminal`` (a table
    for a person) a set past the limit is not refused: :attr:`Chosen.past_limit` says so."""
    from tiangong_orbit import tle

    if catalog is None:
        catalog = tle.load_catalog(tle_file)
    for message in catalog.warnings:
        warn(message)
    norad_id = tle.satellite_ids(satellite, catalog.sets)
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
