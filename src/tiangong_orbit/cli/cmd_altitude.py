"""``tiangong-orbit altitude``: how high the station flies, compared with 100 km and 87.4 km."""

from __future__ import annotations

import json
from datetime import datetime, timedelta
from pathlib import Path
from typing import Annotated, Any

import typer

from tiangong_orbit.cli.app import app, stdout_console
from tiangong_orbit.cli.common import choose_set, iss_reference, now_utc, write_output
from tiangong_orbit.cli.options import (
    AllowStaleOption,
    AtOption,
    OfflineOption,
    OutputFileOption,
    SatelliteOption,
    TleOption,
)
from tiangong_orbit.errors import UsageError

NEWS_NOTE = (
    "News reports often give Tiangong's altitude as about 450 km: that is the top of its "
    "340-450 km design range. Its real altitude, computed here from the element set, is "
    "usually lower."
)
ISS_NOTE = (
    "News reports usually give the ISS's altitude as about 400 km (NASA's round figure); "
    "reboosts and drag move it by tens of kilometres over months."
)


@app.command("altitude")
def altitude_command(
    at: AtOption = None,
    tle_file: TleOption = None,
    satellite: SatelliteOption = "tiangong",
    allow_stale: AllowStaleOption = False,
    offline: OfflineOption = False,
    as_json: Annotated[
        bool, typer.Option("--json", help="JSON (tiangong-orbit/altitude/1).")
    ] = False,
    fmt: Annotated[
        str | None,
        typer.Option(
            "--format",
            help="csv or markdown: altitude over --from..--to every --step.",
            show_default=False,
        ),
    ] = None,
    start: Annotated[
        str | None,
        typer.Option("--from", help="With --format: first time (ISO 8601).", show_default=False),
    ] = None,
    stop: Annotated[
        str | None,
        typer.Option("--to", help="With --format: last time (ISO 8601).", show_default=False),
    ] = None,
    step_s: Annotated[
        float, typer.Option("--step", help="With --format: seconds between rows.")
    ] = 60.0,
    output: OutputFileOption = None,
) -> None:
    """WGS84 altitude, sub-satellite point, speed, perigee and apogee at one moment, compared
    with the Kármán line (100 km), Namira Salim's 2023 flight (87.4 km), the US 80 km boundary
    and the ISS at the same moment. With --format csv|markdown: altitude over a time range."""
    from tiangong_orbit.cli.options import time_option

    if fmt is not None:
        _series(fmt, start, stop, step_s, tle_file, satellite, allow_stale, output, offline)
        return
    if start is not None or stop is not None:
        raise UsageError("--from/--to go with --format csv|markdown")
    moment = time_option(at, "--at", now_utc())
    # A person at a table is never refused (DESIGN.md, Staleness): past the limit the place
    # along the orbit is unknown, but the height range of the orbit is still right.
    chosen = choose_set(
        tle_file,
        satellite,
        moment,
        allow_stale=allow_stale,
        offline=offline,
        for_terminal=not as_json,
    )
    if chosen.past_limit:
        _warn_place_unknown(chosen, moment)
    report = _report(chosen, moment, allow_stale)
    if as_json:
        write_output(
            json.dumps(altitude_json(report, chosen), indent=2, ensure_ascii=False) + "\n", output
        )
        return
    if output is not None:
        raise UsageError("--output goes with --json or --format")
    _print_table(report, chosen)


def _warn_place_unknown(chosen: Any, moment: datetime) -> None:
    """One warning for a table past the staleness limit: which numbers still hold."""
    from tiangong_orbit.cli.common import warn
    from tiangong_orbit.names import sentence_name
    from tiangong_orbit.uncertainty import uncertainty_s

    es = chosen.element_set
    sigma_min = uncertainty_s(chosen.age_days) / 60.0
    warn(
        f"the element set for {sentence_name(es.norad_id, es.name)} is "
        f"{chosen.age_days:.0f} days from {moment:%Y-%m-%d %H:%M} UTC: where along its orbit "
        f"it is then is unknown (timing error about ±{sigma_min:.0f} minutes), so the "
        "altitude, place and speed below are those of some point of the orbit, and only the "
        "perigee/apogee range is to be trusted; for exact figures run 'tiangong-orbit tle update'"
    )


def _report(chosen: Any, moment: datetime, allow_stale: bool) -> Any:
    """The altitude report, with the other station at the same moment as one more reference:
    the ISS beside Tiangong (or any other satellite), Tiangong beside the ISS."""
    import dataclasses

    from tiangong_orbit import orbit, tle
    from tiangong_orbit.cli.common import warn
    from tiangong_orbit.errors import PropagationError

    es = chosen.element_set
    report = orbit.altitude_report(es.name, es.norad_id, es.satrec, moment)
    if es.norad_id == tle.ISS_NORAD_ID:
        other = _tiangong_reference(chosen.catalog, moment, allow_stale=allow_stale)
        label = "Tiangong (same moment)"
    else:
        other = iss_reference(
            chosen.catalog, moment, allow_stale=allow_stale, what="the comparison"
        )
        label = "ISS (same moment)"
    if other is None:
        return report
    at = [orbit.to_unix(moment)]
    try:
        other_altitude = float(orbit.altitude_series(other.satrec, at)["altitude_km"][0])
    except PropagationError as error:
        # The comparison, not the user's set, failed: leave it out (exit 0), as when stale.
        name = label.split(" (")[0]
        warn(
            f"{'the ISS' if name == 'ISS' else name} is left out of the comparison: its "
            f"element set of "
            f"{other.epoch:%Y-%m-%d} ({other.source}) "
            f"{str(error).removeprefix('this element set ')}"
        )
        return report
    from tiangong_orbit.altitude import Reference

    reference = Reference(
        label,
        other_altitude,
        report.altitude_km / other_altitude,
        report.altitude_km - other_altitude,
        f"from the {label.split(' (')[0]} element set of {other.epoch:%Y-%m-%d} ({other.source})",
    )
    return dataclasses.replace(report, references=(*report.references, reference))


def _tiangong_reference(catalog: Any, at: datetime, *, allow_stale: bool) -> Any:
    """Tiangong's set nearest ``at`` to compare the ISS with, or ``None`` with a warning."""
    from tiangong_orbit import tle
    from tiangong_orbit.cli.app import warn
    from tiangong_orbit.errors import StaleDataError
    from tiangong_orbit.names import TIANGONG_NORAD_ID

    if not tle.sets_for(catalog.sets, TIANGONG_NORAD_ID) and catalog.file_given:
        catalog = tle.load_catalog(None)
    if not tle.sets_for(catalog.sets, TIANGONG_NORAD_ID):
        warn("no Tiangong element set in the data: Tiangong is left out of the comparison")
        return None
    found = tle.nearest_set(catalog.sets, TIANGONG_NORAD_ID, at)
    try:
        staleness = tle.check_staleness(
            found,
            at,
            newest=catalog.newest_epoch(TIANGONG_NORAD_ID),
            allow_stale=allow_stale,
            file_given=catalog.file_given,
        )
    except StaleDataError as error:
        warn(f"Tiangong is left out of the comparison: {error}")
        return None
    for message in staleness.warnings:
        warn(message)
    return found


#: How a sentence names each reference of ``orbit.REFERENCE_ALTITUDES``.
REFERENCE_PHRASES = {
    "Kármán line": "the Kármán line",
    "Namira Salim, 2023": "Namira Salim's 2023 flight",
    "US space boundary": "the US space boundary",
}


def comparison_sentence(name: str, reference: Any) -> str:
    """One comparison as a sentence: 'Tiangong flies 288 km above the Kármán line (100.0 km),
    3.9 times as high.', 'The ISS flies 41 km higher than Tiangong (387.9 km).'"""
    difference = reference.above_by_km
    height = f"{reference.altitude_km:.1f} km"
    if "(same moment)" in reference.name:
        other = reference.name.replace(" (same moment)", "")
        other = "the ISS" if other == "ISS" else other
        if abs(difference) < 0.5:
            return f"{_capital(name)} and {other} ({height}) fly at the same height."
        if difference > 0:
            return f"{_capital(name)} flies {_km(difference)} higher than {other} ({height})."
        return f"{_capital(other)} ({height}) flies {_km(-difference)} higher than {name}."
    phrase = REFERENCE_PHRASES.get(reference.name, f"the {reference.name}")
    if difference < 0:
        return f"{_capital(name)} flies {_km(-difference)} below {phrase} ({height})."
    return (
        f"{_capital(name)} flies {_km(difference)} above {phrase} ({height}), "
        f"{reference.times_higher:.1f} times as high."
    )


def _km(value: float) -> str:
    return f"{abs(value):.0f} km" if abs(value) >= 10 else f"{abs(value):.1f} km"


def _capital(text: str) -> str:
    return text[:1].upper() + text[1:]


def altitude_json(report: Any, chosen: Any) -> dict[str, Any]:
    """The ``tiangong-orbit/altitude/1`` document (DESIGN.md).

    ``perigee_km``/``apogee_km``: the lowest and highest WGS84 height over the revolution
    centred on ``time`` (so ``altitude_km`` lies between them); ``mean_elements_perigee_km``/
    ``mean_elements_apogee_km``: CelesTrak's ``a (1 -/+ e) - R``. Each reference carries a
    ``sentence``.
    """
    from tiangong_orbit.names import display_name, sentence_name
    from tiangong_orbit.timeutil import iso_z

    es = chosen.element_set
    return {
        "schema": "tiangong-orbit/altitude/1",
        "satellite": {
            "name": es.name,
            "norad_id": es.norad_id,
            "tle_epoch": iso_z(es.epoch),
            "tle_source": es.source,
        },
        "time": iso_z(report.time),
        "altitude_km": round(report.altitude_km, 3),
        "latitude_deg": round(report.latitude_deg, 4),
        "longitude_deg": round(report.longitude_deg, 4),
        "speed_km_s": round(report.speed_km_s, 4),
        "perigee_km": round(report.perigee_km, 3),
        "apogee_km": round(report.apogee_km, 3),
        "mean_elements_perigee_km": round(report.mean_perigee_km, 3),
        "mean_elements_apogee_km": round(report.mean_apogee_km, 3),
        "tle_age_days": round(chosen.age_days, 3),
        "references": [
            {
                "name": ref.name,
                "altitude_km": round(ref.altitude_km, 3),
                "times_higher": round(ref.times_higher, 3),
                "above_by_km": round(ref.above_by_km, 3),
                "sentence": comparison_sentence(sentence_name(es.norad_id, es.name), ref),
                "source": ref.source,
            }
            for ref in report.references
        ],
        "display_name": display_name(es.norad_id, es.name),
        "note": _news_note(es.norad_id),
    }


def _news_note(norad_id: int) -> str | None:
    from tiangong_orbit import tle
    from tiangong_orbit.names import TIANGONG_NORAD_ID

    if norad_id == TIANGONG_NORAD_ID:
        return NEWS_NOTE
    if norad_id == tle.ISS_NORAD_ID:
        return ISS_NOTE
    return None


def _print_table(report: Any, chosen: Any) -> None:
    from rich.table import Table

    from tiangong_orbit.names import TIANGONG_NORAD_ID, catalog_label, display_name, sentence_name
    from tiangong_orbit.orbit import TIANGONG_DESIGN_MAX_KM, TIANGONG_DESIGN_MIN_KM

    console = stdout_console()
    es = chosen.element_set
    shown = display_name(es.norad_id, es.name)
    console.print(
        f"{catalog_label(es.norad_id, es.name)} at {report.time:%Y-%m-%d %H:%M:%S} UTC — "
        f"element set of {es.epoch:%Y-%m-%d %H:%M} UTC ({es.source}, {chosen.age_days:.1f} "
        "days from it)"
    )
    facts = Table(show_header=False, box=None, pad_edge=False)
    facts.add_column(style="bold", no_wrap=True)
    facts.add_column()
    facts.add_row("Altitude (WGS84)", f"{report.altitude_km:.1f} km")
    facts.add_row(
        "This revolution",
        f"lowest {report.perigee_km:.1f} km, highest {report.apogee_km:.1f} km (WGS84)",
    )
    facts.add_row(
        "Mean elements",
        f"perigee {report.mean_perigee_km:.1f} km, apogee {report.mean_apogee_km:.1f} km "
        "(as CelesTrak quotes them)",
    )
    facts.add_row("Above", f"{_lat(report.latitude_deg)}, {_lon(report.longitude_deg)}")
    facts.add_row("Speed", f"{report.speed_km_s:.2f} km/s ({report.speed_km_s * 3600:,.0f} km/h)")
    console.print(facts)
    name = sentence_name(es.norad_id, es.name)
    console.print()
    console.print(f"How high is {name}?")
    from rich.padding import Padding
    from rich.table import Table as Bullets

    # A hanging indent: a wrapped sentence continues under its own first word.
    bullets = Bullets.grid(padding=(0, 1))
    bullets.add_column(no_wrap=True)
    bullets.add_column()
    for ref in report.references:
        bullets.add_row("•", comparison_sentence(name, ref))
    console.print(Padding(bullets, (0, 0, 0, 2)))
    console.print()
    rungs = [(shown, report.altitude_km)] + [(r.name, r.altitude_km) for r in report.references]
    if es.norad_id == TIANGONG_NORAD_ID:
        rungs.append(("Tiangong design ceiling", TIANGONG_DESIGN_MAX_KM))
        rungs.append(("Tiangong design floor", TIANGONG_DESIGN_MIN_KM))
    top = max(height for _, height in rungs)
    width = 40
    console.print(f"Altitude ladder (each █ ≈ {top / width:.0f} km):")
    for label, height in sorted(rungs, key=lambda item: -item[1]):
        bar = "█" * max(1, round(height / top * width))
        console.print(f"  {label:<24} {height:6.1f} km {bar}")
    note = _news_note(es.norad_id)
    if note:
        console.print(note)


def _lat(value: float) -> str:
    return f"{abs(value):.2f}°{'N' if value >= 0 else 'S'}"


def _lon(value: float) -> str:
    return f"{abs(value):.2f}°{'E' if value >= 0 else 'W'}"


def _series(
    fmt: str,
    start: str | None,
    stop: str | None,
    step_s: float,
    tle_file: Path | None,
    satellite: str,
    allow_stale: bool,
    output: Path | None,
    offline: bool = False,
) -> None:
    import numpy as np

    from tiangong_orbit import orbit
    from tiangong_orbit.cli.options import time_option
    from tiangong_orbit.render import render_altitude_series
    from tiangong_orbit.timeutil import from_unix, to_unix

    if fmt not in ("csv", "markdown"):
        raise UsageError(f"--format '{fmt}' is not one of csv, markdown")
    first = time_option(start, "--from", now_utc())
    last = time_option(stop, "--to", first + timedelta(minutes=93))
    if not step_s > 0:
        raise UsageError(f"--step {step_s} must be a positive number of seconds")
    if last < first:
        raise UsageError("--to is before --from")
    count = int((last - first).total_seconds() // step_s) + 1
    if count > 200_000:
        raise UsageError(f"--from..--to every {step_s:g} s makes {count:,} rows; at most 200,000")
    chosen = choose_set(
        tle_file, satellite, first, allow_stale=allow_stale, offline=offline, until=last
    )
    times = to_unix(first) + np.arange(count) * step_s
    series = orbit.altitude_series(chosen.element_set.satrec, times)
    rows = [
        {
            "time": from_unix(float(t)),
            "altitude_km": float(series["altitude_km"][i]),
            "latitude_deg": float(series["latitude_deg"][i]),
            "longitude_deg": float(series["longitude_deg"][i]),
            "speed_km_s": float(series["speed_km_s"][i]),
        }
        for i, t in enumerate(times)
    ]
    write_output(render_altitude_series(rows, fmt), output)


__all__ = ["altitude_command", "altitude_json"]
