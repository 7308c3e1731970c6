"""``tiangong-orbit tle show`` and ``tle check``: which element sets there are, and how old."""

from __future__ import annotations

import json
from datetime import datetime
from pathlib import Path
from typing import Annotated, Any

import typer

from tiangong_orbit.cli.app import stdout_console, tle_app, warn
from tiangong_orbit.cli.common import now_utc, write_output
from tiangong_orbit.cli.options import TleOption

JsonOption = Annotated[bool, typer.Option("--json", help="JSON (schema tiangong-orbit/tle/1).")]


@tle_app.command("show")
def show_command(tle_file: TleOption = None, as_json: JsonOption = False) -> None:
    """List the element sets available (bundled, cached by 'tle update', or --tle FILE): per
    satellite and file, how many, the newest epoch and its age today."""
    from tiangong_orbit import tle

    catalog = tle.load_catalog(tle_file)
    for message in [*catalog.warnings, *catalog.skipped_warnings()]:
        warn(message)
    _render(catalog.sets, now_utc(), as_json)
    if not as_json and not catalog.file_given:
        from tiangong_orbit.paths import tle_cache_dir

        folder = tle_cache_dir()
        stdout_console().print(
            f"Cache: {folder}"
            + (
                ""
                if folder.is_dir()
                else " (empty: run 'tiangong-orbit tle update' to fetch fresh sets)"
            )
        )


@tle_app.command("check")
def check_command(
    file: Annotated[
        Path,
        typer.Argument(
            help="A TLE, 3LE or OMM file (CelesTrak JSON or CSV, CCSDS XML or KVN).",
            dir_okay=False,
        ),
    ],
    as_json: JsonOption = False,
) -> None:
    """Validate FILE strictly: exit 0 when every set is well formed, 3 with the first problem
    (file, line, column and the expected template) otherwise, every other bad record as a
    warning. Lines of other text (a bulletin's header) are a warning. Each set is also
    propagated a day either side of its epoch: drag terms that make it leave any orbit there
    are an error (3), unusually large ones a warning."""
    from tiangong_orbit import tle
    from tiangong_orbit.errors import TLEFormatError

    parsed = tle.read_file(file, source="file")
    for message in [*parsed.notes(), *tle.same_epoch_conflicts(parsed.sets)]:
        warn(message)
    if parsed.bad:
        first, *others = sorted(parsed.bad, key=lambda bad: bad.position)
        for bad in others:
            warn(f"also not a valid element set: {str(bad.error).split(chr(10))[0]}")
        message, *context = str(first.error).split("\n")
        more = f" (and {len(others)} more bad record(s), above)" if others else ""
        raise TLEFormatError("\n".join([message + more, *context]))
    _check_drag_terms(parsed.sets, file)
    now = now_utc()
    _check_future_epochs(parsed.sets, file, now)
    _render(parsed.sets, now, as_json)
    if not as_json:
        stdout_console().print(f"ok: {len(parsed.sets)} valid element set(s) in {file}")


#: An epoch this far past the clock cannot be a real set: a two-digit year misread, most often
#: (a TLE's 00-56 mean 2000-2056; "56" typed for "26" lands 30 years ahead).
FUTURE_EPOCH_DAYS = 2.0


def _check_future_epochs(sets: Any, file: Path, now: datetime) -> None:
    """Warn about sets whose epoch is after ``now`` by more than :data:`FUTURE_EPOCH_DAYS`."""
    for element_set in sets:
        ahead_days = (element_set.epoch - now).total_seconds() / 86400.0
        if ahead_days > FUTURE_EPOCH_DAYS:
            where = f"{file}: {element_set.name} (NORAD {element_set.norad_id})"
            if element_set.line_number is not None:
                where += f" at line {element_set.line_number}"
            warn(
                f"{where}: its epoch {element_set.epoch:%Y-%m-%d} is {ahead_days:,.0f} days "
                "in the future; no real set is dated ahead: is the two-digit year right "
                "(00-56 read as 2000-2056, 57-99 as 1957-1999)?"
            )


def _check_drag_terms(sets: Any, file: Path) -> None:
    """Warn about unusual drag terms; raise :class:`DataError` (exit 3) for implausible ones."""
    from tiangong_orbit.errors import DataError
    from tiangong_orbit.orbit import drag_terms_problem

    for element_set in sets:
        error, warning = drag_terms_problem(element_set.satrec)
        where = f"{file}: {element_set.name} (NORAD {element_set.norad_id})"
        if element_set.line_number is not None:
            where += f" at line {element_set.line_number}"
        if error is not None:
            raise DataError(f"{where}: {error}")
        if warning is not None:
            warn(f"{where}: {warning}")


def tle_json(sets: Any, now: datetime) -> dict[str, Any]:
    """The ``tiangong-orbit/tle/1`` document (DESIGN.md)."""
    from tiangong_orbit.timeutil import iso_z

    return {
        "schema": "tiangong-orbit/tle/1",
        "sets": [
            {
                "name": s.name,
                "norad_id": s.norad_id,
                "epoch": iso_z(s.epoch),
                "source": s.source,
                "path": s.path,
                "age_days": round((now - s.epoch).total_seconds() / 86400.0, 3),
            }
            for s in sorted(sets, key=lambda s: (s.norad_id, s.epoch))
        ],
    }


def _render(sets: Any, now: datetime, as_json: bool) -> None:
    if as_json:
        write_output(json.dumps(tle_json(sets, now), indent=2) + "\n", None)
        return
    from rich import box
    from rich.table import Table

    # One small table per file, one row per satellite: fits 80 columns with nothing folded
    # (file names head their table instead of filling a narrow column).
    files: dict[tuple[str, str], dict[int, list[Any]]] = {}
    for element_set in sets:
        key = (element_set.source, element_set.path or "")
        files.setdefault(key, {}).setdefault(element_set.norad_id, []).append(element_set)
    console = stdout_console()
    console.print(f"Element sets (ages as of {now:%Y-%m-%d %H:%M} UTC)")
    for (source, path), by_satellite in sorted(files.items(), key=lambda item: item[0]):
        table = Table(
            title=f"{Path(path).name or '(no file)'} ({source})",
            title_justify="left",
            box=box.SIMPLE_HEAD,
            pad_edge=False,
            show_edge=False,
        )
        for column, justify in (
            ("Catalog name", "left"),
            ("NORAD", "right"),
            ("Sets", "right"),
            ("Epochs (UTC)", "left"),
            ("Age of newest", "right"),
        ):
            table.add_column(column, justify=justify, overflow="fold")  # type: ignore[arg-type]
        for norad_id, members in sorted(
            by_satellite.items(), key=lambda item: (item[0] != 48274, item[0])
        ):
            members.sort(key=lambda s: s.epoch)
            newest = members[-1]
            age = (now - newest.epoch).total_seconds() / 86400.0
            span = (
                f"{members[0].epoch:%Y-%m-%d} – {newest.epoch:%Y-%m-%d}"
                if len(members) > 1
                else f"{newest.epoch:%Y-%m-%d %H:%M}"
            )
            table.add_row(newest.name, str(norad_id), str(len(members)), span, f"{age:.1f} d")
        console.print()
        console.print(table)
