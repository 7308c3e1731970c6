"""``tiangong-orbit history`` and ``chart history``: the station's altitude over its element sets.

Mean altitude, perigee and apogee of every set (mean elements, km above the equatorial radius),
the reboosts (and the rare lowering) found in them, and the decay between burns; see
:mod:`tiangong_orbit.history` for the method and its thresholds. Output: a table (default),
``--json`` (schema ``tiangong-orbit/history/1``) or ``--format csv`` (one row per set).
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated, Any

import typer

from tiangong_orbit.cli.app import app, chart_app, stdout_console, warn
from tiangong_orbit.cli.common import write_output
from tiangong_orbit.cli.options import PictureOption, SatelliteOption, TleOption
from tiangong_orbit.errors import NoElementSetError, UsageError
from tiangong_orbit.render.history import (
    FORMATS,
    SCHEMA,
    history_csv,
    history_figure,
    history_json,
    print_history,
)

FromOption = Annotated[
    str | None,
    typer.Option("--from", help="Only sets from this date on (ISO 8601, UTC).", show_default=False),
]
ToOption = Annotated[
    str | None,
    typer.Option("--to", help="Only sets before this date (ISO 8601, UTC).", show_default=False),
]


@app.command("history")
def history_command(
    tle_file: TleOption = None,
    satellite: SatelliteOption = "tiangong",
    as_json: Annotated[
        bool, typer.Option("--json", help=f"JSON (schema {SCHEMA}); same as --format json.")
    ] = False,
    fmt: Annotated[
        str,
        typer.Option("--format", help="table (default), json, or csv (one row per set)."),
    ] = "table",
    start: FromOption = None,
    stop: ToOption = None,
    output: Annotated[
        Path | None,
        typer.Option(
            "--output",
            "-o",
            help="With --json or --format csv: write this file.",
            dir_okay=False,
            show_default=False,
        ),
    ] = None,
) -> None:
    """The station's orbit over all its element sets: mean altitude, perigee and apogee over
    time, the reboosts found (date and altitude gained), and how fast it sinks between them.
    Uses the bundled history plus 'tle update' downloads, or only --tle FILE."""
    chosen_format = "json" if as_json else fmt.strip().lower()
    if chosen_format not in FORMATS:
        raise UsageError(f"--format '{fmt}' is not one of {', '.join(FORMATS)}")
    if as_json and fmt.strip().lower() not in ("table", "json"):
        raise UsageError(f"--json and --format {fmt} disagree; give one of them")
    if output is not None and chosen_format == "table":
        raise UsageError("--output goes with --json or --format csv")
    record, sources = load_history(tle_file, satellite, start, stop)
    if chosen_format == "json":
        text = json.dumps(history_json(record, sources), indent=2, ensure_ascii=False) + "\n"
        write_output(text, output)
    elif chosen_format == "csv":
        write_output(history_csv(record), output)
    else:
        print_history(stdout_console(), record, sources)


@chart_app.command("history")
def chart_history_command(
    output: PictureOption,
    tle_file: TleOption = None,
    satellite: SatelliteOption = "tiangong",
    start: FromOption = None,
    stop: ToOption = None,
) -> None:
    """Mean altitude with the perigee-apogee band over time, reboosts marked, and, to scale
    below, the Kármán line (100 km) for comparison."""
    from tiangong_orbit.render.charts import output_format, save_figure

    output_format(output)
    record, _ = load_history(tle_file, satellite, start, stop)
    save_figure(history_figure(record), output)


# --------------------------------------------------------------------------------------------
# Loading


def load_history(
    tle_file: Path | None, satellite: str, start: str | None, stop: str | None
) -> tuple[Any, list[str]]:
    """The :class:`History` of ``satellite`` from the catalog (DESIGN.md), and the sources
    ('bundled', 'cache', 'file') its sets came from; catalog warnings go to stderr."""
    from tiangong_orbit import history, tle
    from tiangong_orbit.cli.options import time_option

    first = time_option(start, "--from", None)
    last = time_option(stop, "--to", None)
    if first is not None and last is not None and last <= first:
        raise UsageError(f"--to {stop} is not after --from {start}")
    catalog = tle.load_catalog(tle_file)
    for message in catalog.warnings:
        warn(message)
    norad_id = tle.satellite_ids(satellite, catalog.sets)
    for message in catalog.check_satellite(norad_id):
        warn(message)
    sets = tle.sets_for(catalog.sets, norad_id)
    if not sets:
        raise NoElementSetError(
            f"no element set for NORAD {norad_id} in the data; fetch some with "
            "'tiangong-orbit tle update' or give --tle FILE"
        )
    chosen = [
        s for s in sets if (first is None or s.epoch >= first) and (last is None or s.epoch < last)
    ]
    if not chosen:
        span = f"{sets[0].epoch:%Y-%m-%d} to {sets[-1].epoch:%Y-%m-%d}"
        raise NoElementSetError(
            f"no element set of NORAD {norad_id} between --from and --to; the data span {span}"
        )
    if len(chosen) < 2:
        warn("only one element set: no reboosts or decay can be measured")
    return history.analyse(chosen), sorted({s.source for s in chosen})
