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


def choose_set(
    tle_file: Path | None,
    satellite: str,
    at: datetime,
    *,
    allow_stale: bool,
    for_alert: bool = False,
    catalog: Catalog | None = None,
) -> Chosen:
    """Load the sets (DESIGN.md, "Where element sets come from"), pick the one nearest ``at``,
    apply the staleness policy and print its warnings to stderr."""
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
    )
    for message in staleness.warnings:
        warn(message)
    return Chosen(element_set, catalog, norad_id, staleness.age_days)


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
