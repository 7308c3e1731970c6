"""``tiangong-orbit passes``: when the station passes over a place, and whether it can be seen."""

from __future__ import annotations

import math
import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import replace
from datetime import datetime, timedelta
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any, NamedTuple

import typer

from tiangong_orbit.cli.app import app, stdout_console
from tiangong_orbit.cli.common import Chosen, choose_set, now_utc, write_output
from tiangong_orbit.cli.options import (
    AllowStaleOption,
    CityOption,
    ElevationOption,
    HorizonOption,
    LatOption,
    LonOption,
    MinVisibleOption,
    NameOption,
    OfflineOption,
    OutputFileOption,
    PlacesFileOption,
    SatellitesOption,
    StandardMagnitudeOption,
    StartOption,
    SunMaxOption,
    TleOption,
    TzOption,
    check_thresholds,
    resolve_places,
)
from tiangong_orbit.errors import UsageError
from tiangong_orbit.tle import ElementSet

if TYPE_CHECKING:
    from tiangong_orbit.model import Pass, PassColumns, PassList, PlacePasses, Prediction, Settings
    from tiangong_orbit.places import Place

FORMATS = ("table", "json", "csv", "markdown", "html", "ics")
#: The formats --lang ur translates.
TRANSLATED_FORMATS = ("markdown", "html")
#: Filters' defaults (see --help): what a Heavens-Above user expects from "visible passes".
DEFAULT_MAX_MAGNITUDE = 4.0
DEFAULT_MIN_DURATION_S = 10.0
#: How far past the window the table looks for the next visible pass of an empty place.
NEXT_PASS_LOOKAHEAD = timedelta(days=30)
#: ...searching this far first (then the rest, for the places still without one).
NEXT_PASS_FIRST_LOOK = timedelta(days=3)


@app.command("passes")
def passes_command(
    city: CityOption = None,
    lat: LatOption = None,
    lon: LonOption = None,
    elevation_m: ElevationOption = None,
    name: NameOption = None,
    places_file: PlacesFileOption = None,
    tz: TzOption = None,
    start: StartOption = None,
    days: Annotated[float, typer.Option("--days", help="Window length in days.")] = 10.0,
    show_all: Annotated[
        bool,
        typer.Option(
            "--all",
            help="Also list passes that are up but not visible, and why (the magnitude and "
            "duration filters are then off).",
        ),
    ] = False,
    max_magnitude: Annotated[
        float | None,
        typer.Option(
            "--max-magnitude",
            help="Leave out visible passes fainter than this magnitude (larger = fainter; "
            "about +4 is the faintest a satellite is found from a town). Default 4.0 in "
            "tables, pages and calendars; none in JSON and CSV, which list every visible "
            "pass unless asked.",
            show_default=False,
        ),
    ] = None,
    min_duration_s: Annotated[
        float | None,
        typer.Option(
            "--min-duration",
            help="Leave out visible passes seen for fewer seconds than this (a few seconds "
            "low in the sky are hard to catch). Default 10 in tables, pages and calendars; "
            "none in JSON and CSV.",
            show_default=False,
        ),
    ] = None,
    tle_file: TleOption = None,
    satellites: SatellitesOption = None,
    allow_stale: AllowStaleOption = False,
    offline: OfflineOption = False,
    as_json: Annotated[bool, typer.Option("--json", help="Same as --format json.")] = False,
    fmt: Annotated[
        str | None,
        typer.Option(
            "--format",
            "-f",
            help="table (default), json, csv, markdown, html or ics.",
            show_default=False,
        ),
    ] = None,
    output: OutputFileOption = None,
    remind_minutes: Annotated[
        int,
        typer.Option(
            "--remind-minutes",
            help="With --format ics: a reminder this many minutes before each pass (0: none).",
        ),
    ] = 15,
    lang: Annotated[
        str, typer.Option("--lang", help="en or ur (Urdu: --format markdown and html only).")
    ] = "en",
    horizon_deg: HorizonOption = 0.0,
    min_visible_elevation_deg: MinVisibleOption = 10.0,
    sun_max_altitude_deg: SunMaxOption = -6.0,
    standard_magnitude: StandardMagnitudeOption = None,
) -> None:
    """Passes of Tiangong (or --satellite, repeatable) over one or more places: by default the
    visible ones in the next 10 days, brighter than magnitude 4.0 and seen for at least 10 s.
    Visible = sunlit, in a dark sky (Sun at or below -6°) and at least 10° high. Rise and set
    use the geometric elevation (no refraction). JSON/CSV/ICS carry UTC; tables show the
    place's local time (PKT for Pakistan, else the zone at the coordinates, or --tz)."""
    from tiangong_orbit.cli.options import check_at_most, time_option
    from tiangong_orbit.timeutil import check_range

    fmt = _check_format(fmt, as_json, lang, output, remind_minutes)
    check_at_most("--days", days, 366)
    if max_magnitude is not None and not math.isfinite(max_magnitude):
        raise UsageError(f"--max-magnitude {max_magnitude:g} is not a number")
    if min_duration_s is not None and not (math.isfinite(min_duration_s) and min_duration_s >= 0):
        raise UsageError(f"--min-duration {min_duration_s:g} must be 0 or more seconds")
    # For people, the filters a Heavens-Above user expects; for scripts (JSON, CSV), DESIGN.md's
    # contract: every visible pass unless a filter is asked for.
    for_scripts = fmt in ("json", "csv")
    filtered = not for_scripts or max_magnitude is not None or min_duration_s is not None
    if max_magnitude is None:
        max_magnitude = math.inf if for_scripts else DEFAULT_MAX_MAGNITUDE
    if min_duration_s is None:
        min_duration_s = 0.0 if for_scripts else DEFAULT_MIN_DURATION_S
    check_thresholds(
        horizon_deg, min_visible_elevation_deg, sun_max_altitude_deg, standard_magnitude
    )

    places = resolve_places(city, lat, lon, elevation_m, name, places_file, tz)
    first = time_option(start, "--start", now_utc())
    last = first + timedelta(days=days)
    check_range(last, option="--start + --days", window_end=True)
    keep = None if show_all or not filtered else (max_magnitude, min_duration_s)
    terminal = fmt == "table"
    runs = [
        _one_satellite(
            query,
            tle_file,
            places,
            first,
            last,
            allow_stale=allow_stale,
            offline=offline,
            terminal=terminal,
            show_all=show_all,
            keep=keep,
            thresholds=(horizon_deg, min_visible_elevation_deg, sun_max_altitude_deg),
            standard_magnitude=standard_magnitude,
        )
        for query in dict.fromkeys(satellites or ["tiangong"])
    ]
    if terminal and not any(run.good_span for run in runs):
        # Every night is past the staleness limit: the outlook alone, under its banner.
        with _reader_may_leave():
            console = stdout_console()
            for run in runs:
                show_outlook(console, run.chosen, places, run.stale, run.settings, header=True)
        return
    if any(run.stale for run in runs):
        spans = [run.good_span for run in runs if run.good_span]
        first, last = min(s[0] for s in spans), max(s[1] for s in spans)
    prediction = replace(
        _merge(runs, first, last),
        max_magnitude=None if keep is None or math.isinf(max_magnitude) else max_magnitude,
        min_duration_s=None if keep is None else min_duration_s,
    )
    if terminal:
        from tiangong_orbit.render.terminal import print_prediction

        with _reader_may_leave():
            console = stdout_console()
            print_prediction(console, prediction, show_all=show_all)
            for run in runs:
                if run.stale:
                    show_outlook(console, run.chosen, places, run.stale, run.settings, header=False)
        return
    if fmt == "json":
        # Written one observer at a time: a year of every pass over every city is 1 GB of text.
        from tiangong_orbit.render.passes_json import write_passes_json

        if output is None:
            with _reader_may_leave():
                write_passes_json(prediction, _stdout_bytes())
                sys.stdout.flush()
        else:
            from tiangong_orbit.fileio import atomic_writer

            with atomic_writer(output) as write:
                write_passes_json(prediction, write)
        return
    from tiangong_orbit.render import render_passes

    text = render_passes(
        prediction,
        fmt,
        lang=lang,
        element_set=runs[0].element_set if len(runs) == 1 else None,
        remind_minutes=remind_minutes,
    )
    write_output(text, output)


@contextmanager
def _reader_may_leave() -> Iterator[None]:
    """A reader that stops early (``| head``) is no error: stop writing and exit 0 quietly
    (click, under typer, would turn the broken pipe into exit 1)."""
    try:
        yield
    except BrokenPipeError:
        from tiangong_orbit.cli.app import discard_stdout

        discard_stdout()  # later flushes (at exit) go nowhere instead of failing again


def _stdout_bytes() -> Callable[[bytes], object]:
    """A ``write(bytes)`` to stdout: its binary buffer, or (a stand-in for a closed stdout, which
    has none) its text ``write``, which fails as the closed stream would."""
    buffer = getattr(sys.stdout, "buffer", None)
    if buffer is None:
        return lambda data: sys.stdout.write(data.decode("utf-8"))
    sys.stdout.flush()  # whatever was printed before goes first
    return buffer.write


def _check_format(
    fmt: str | None, as_json: bool, lang: str, output: object, remind_minutes: int
) -> str:
    """The output format the options ask for; UsageError (exit 2) when they contradict."""
    from tiangong_orbit.cli.options import choose_format

    chosen = choose_format(fmt, as_json, FORMATS)
    if lang not in ("en", "ur"):
        raise UsageError(f"--lang '{lang}' is not one of en, ur")
    if lang != "en" and chosen not in TRANSLATED_FORMATS:
        raise UsageError(
            f"--lang {lang} is offered for --format markdown and html only; "
            f"{chosen} is English (drop --lang or pick one of those formats)"
        )
    if chosen == "table" and output is not None:
        raise UsageError("--output needs --format json, csv, markdown, html or ics")
    if not 0 <= remind_minutes <= 10080:
        raise UsageError(f"--remind-minutes {remind_minutes} must be 0 (none) to 10080 (a week)")
    return chosen


class _Run(NamedTuple):
    """One satellite's part of the list (a named tuple: cheaper to define than a dataclass)."""

    element_set: Any
    info: Any
    settings: Settings
    groups: tuple[PlacePasses, ...]
    warnings: tuple[str, ...]
    chosen: Chosen | None = None
    #: Spans past the staleness limit (a terminal table shows the outlook there).
    stale: tuple[tuple[datetime, datetime], ...] = ()
    #: Where exact times were computed, or None when nowhere.
    good_span: tuple[datetime, datetime] | None = None


def _one_satellite(
    query: str,
    tle_file: Path | None,
    places: list[Place],
    first: datetime,
    last: datetime,
    *,
    allow_stale: bool,
    offline: bool,
    show_all: bool,
    keep: tuple[float, float] | None,
    thresholds: tuple[float, float, float],
    standard_magnitude: float | None,
    terminal: bool = False,
) -> _Run:
    """The passes of the satellite ``query`` names over ``places`` in ``[first, last)``."""
    from tiangong_orbit import passes
    from tiangong_orbit.model import SatelliteInfo, Settings
    from tiangong_orbit.tle import nearest_segments

    chosen = choose_set(
        tle_file,
        query,
        first,
        allow_stale=allow_stale,
        offline=offline,
        until=last,
        for_terminal=terminal,
    )
    es = chosen.element_set
    magnitude = standard_magnitude
    if magnitude is None:
        magnitude = passes.standard_magnitude_for(es.norad_id)
    horizon_deg, min_visible_elevation_deg, sun_max_altitude_deg = thresholds
    settings = Settings(
        horizon_deg=horizon_deg,
        min_visible_elevation_deg=min_visible_elevation_deg,
        sun_max_altitude_deg=sun_max_altitude_deg,
        **({} if magnitude is None else {"standard_magnitude": magnitude}),
    )
    # Each pass from the set nearest it: a long window over the history crosses reboosts.
    stretches = nearest_segments(chosen.catalog.sets, chosen.norad_id, first, last)
    stale: list[tuple[datetime, datetime]] = []
    if not allow_stale:
        if terminal:
            # A person is never refused: nights past the limit get the outlook instead.
            stretches, stale = split_at_limit(stretches)
        else:
            refuse_past_limit(chosen, stretches)
    found = passes.find_passes_over_sets(stretches, places, settings, include_invisible=show_all)
    groups = tuple(
        _tidy(group, es.norad_id, keep, has_magnitude=magnitude is not None) for group in found
    )
    from tiangong_orbit.sky import add_near  # bright stars and planets near each visible pass

    groups = add_near(groups, stretches)
    empty = [i for i, group in enumerate(groups) if not _has_visible(group.passes)]
    if empty and not stale:
        # Where the window holds nothing visible: when is the next one (up to 30 days on)?
        upcoming = _next_visible(
            chosen,
            [places[i] for i in empty],
            last,
            settings,
            es.norad_id,
            keep or (math.inf, 0.0),
            has_magnitude=magnitude is not None,
        )
        groups = list(groups)  # type: ignore[assignment]
        for index, following in zip(empty, upcoming, strict=True):
            groups[index] = replace(groups[index], next_visible=following)  # type: ignore[index]
        groups = tuple(groups)
    info = SatelliteInfo(
        es.name,
        es.norad_id,
        es.epoch,
        es.source,
        es.path,
        tle_epochs=tuple(stretch[0].epoch for stretch in stretches),
        standard_magnitude=magnitude,
    )
    good_span = (stretches[0][1], stretches[-1][2]) if stretches else None
    return _Run(es, info, settings, groups, tuple(chosen.warnings), chosen, tuple(stale), good_span)


def _next_visible(
    chosen: Chosen,
    places: list[Place],
    after: datetime,
    settings: Settings,
    norad_id: int,
    keep: tuple[float, float],
    *,
    has_magnitude: bool,
) -> list[Pass | None]:
    """Each place's first visible pass (kept by ``keep``, as :func:`_tidy` keeps them) in
    ``[after, after + NEXT_PASS_LOOKAHEAD)``, or ``None``. Searched over
    ``NEXT_PASS_FIRST_LOOK`` first, then over the whole look-ahead for the places still
    without one: most places see one within days, and both searches start at ``after``, so
    the passes are those of one search over the whole look-ahead (every city after a day
    from four starts in September-October 2026: the same first pass everywhere, found 1.6 to
    2.5 times faster)."""
    from tiangong_orbit import passes
    from tiangong_orbit.tle import nearest_segments

    found: list[Pass | None] = [None] * len(places)
    waiting = list(range(len(places)))
    for reach in (NEXT_PASS_FIRST_LOOK, NEXT_PASS_LOOKAHEAD):
        if not waiting:
            break
        ahead = nearest_segments(chosen.catalog.sets, chosen.norad_id, after, after + reach)
        later = passes.find_passes_over_sets(ahead, [places[i] for i in waiting], settings)
        still = []
        for index, group in zip(waiting, later, strict=True):
            tidy = _tidy(group, norad_id, keep, has_magnitude=has_magnitude)
            found[index] = next((p for p in tidy.passes if p.visible), None)
            if found[index] is None:
                still.append(index)
        waiting = still
    return found


def _tidy(
    group: PlacePasses, norad_id: int, keep: tuple[float, float] | None, *, has_magnitude: bool
) -> PlacePasses:
    """``group`` with each pass tagged with its satellite, magnitudes dropped when the satellite
    has no standard magnitude, and (``keep`` = max magnitude, min visible seconds) the visible
    passes that are too faint or too short left out."""
    from tiangong_orbit.model import PassList

    if isinstance(group.passes, PassList):  # the predictor's arrays: no object per pass
        columns = _tidy_columns(group.passes.columns, norad_id, keep, has_magnitude=has_magnitude)
        return replace(group, passes=PassList(columns))
    kept: list[Pass] = []
    for item in group.passes:
        item = replace(item, norad_id=norad_id)
        if not has_magnitude:
            item = replace(item, magnitude=None)
        if keep is not None and item.visible:
            max_magnitude, min_duration_s = keep
            if item.magnitude is not None and item.magnitude > max_magnitude:
                continue
            if (item.visible_duration_s or 0.0) < min_duration_s:
                continue
        kept.append(item)
    return replace(group, passes=tuple(kept))


def _merge(runs: list[_Run], first: datetime, last: datetime) -> Prediction:
    """One prediction of every satellite's passes, per place in time order."""
    from tiangong_orbit.model import Prediction

    places = []
    for index, group in enumerate(runs[0].groups):
        merged = _merged([run.groups[index].passes for run in runs])
        upcoming = [
            run.groups[index].next_visible
            for run in runs
            if run.groups[index].next_visible is not None
        ]
        following = None
        if not _has_visible(merged) and len(upcoming) == len(runs):
            following = min(upcoming, key=lambda p: p.culmination.time)  # type: ignore[union-attr]
        places.append(replace(group, passes=merged, next_visible=following))
    return Prediction(
        satellite=runs[0].info,
        start=first,
        end=last,
        settings=runs[0].settings,
        places=tuple(places),
        warnings=tuple(dict.fromkeys(w for run in runs for w in run.warnings)),
        satellites=tuple(run.info for run in runs),
    )


def _tidy_columns(
    columns: PassColumns, norad_id: int, keep: tuple[float, float] | None, *, has_magnitude: bool
) -> PassColumns:
    """:func:`_tidy` on the predictor's arrays, with the same rules pass for pass."""
    import numpy as np

    from tiangong_orbit.model import microseconds

    m = len(columns)
    columns = replace(columns, norad_id=np.full(m, norad_id, dtype=np.int64))
    if not has_magnitude:
        columns = replace(columns, magnitude=np.full(m, np.nan))
    if keep is None:
        return columns
    max_magnitude, min_duration_s = keep
    t = columns.time_unix
    visible = np.isfinite(t[:, 3])
    # As Pass.visible_duration_s: between the times rounded to the microsecond.
    seen_s = (microseconds(t[:, 5]) - microseconds(t[:, 3])) / 1e6
    with np.errstate(invalid="ignore"):
        faint = np.isfinite(columns.magnitude) & (columns.magnitude > max_magnitude)
    short = seen_s < min_duration_s
    return columns.take(~(visible & (faint | short)))


def _merged(groups: list[tuple[Pass, ...] | PassList]) -> tuple[Pass, ...] | PassList:
    """The passes of several satellites over one place, in time order (stable: at the same
    culmination, in the order the satellites were asked)."""
    from tiangong_orbit.model import PassColumns, PassList, microseconds

    if len(groups) == 1:
        return groups[0]
    if all(isinstance(group, PassList) for group in groups):
        import numpy as np

        columns = PassColumns.concatenate([group.columns for group in groups])  # type: ignore[union-attr]
        order = np.argsort(microseconds(columns.time_unix[:, 1]), kind="stable")
        return PassList(columns.take(order))
    merged = [p for group in groups for p in group]
    merged.sort(key=lambda p: p.culmination.time)
    return tuple(merged)


def _has_visible(passes: tuple[Pass, ...] | PassList) -> bool:
    """Whether any of ``passes`` is visible (from the arrays, when they are the predictor's)."""
    from tiangong_orbit.model import PassList

    if isinstance(passes, PassList):
        import numpy as np

        return bool(np.isfinite(passes.columns.time_unix[:, 3]).any())
    return any(p.visible for p in passes)


def split_at_limit(
    stretches: list[tuple[ElementSet, datetime, datetime]],
) -> tuple[list[tuple[ElementSet, datetime, datetime]], list[tuple[datetime, datetime]]]:
    """Cut each stretch to where its set's expected error is within the staleness limit
    (``tle.LIMIT_SIGMA_S``); return those parts and the merged spans past the limit."""
    from tiangong_orbit.tle import limit_age_days

    reach = timedelta(days=limit_age_days())
    good: list[tuple[ElementSet, datetime, datetime]] = []
    stale: list[tuple[datetime, datetime]] = []

    def add_stale(low: datetime, high: datetime) -> None:
        if low >= high:
            return
        if stale and stale[-1][1] >= low:
            stale[-1] = (stale[-1][0], max(stale[-1][1], high))
        else:
            stale.append((low, high))

    for element_set, low, high in stretches:
        good_low = max(low, element_set.epoch - reach)
        good_high = min(high, element_set.epoch + reach)
        if good_low < good_high:
            add_stale(low, good_low)
            good.append((element_set, good_low, good_high))
            add_stale(good_high, high)
        else:
            add_stale(low, high)
    return good, stale


def refuse_past_limit(
    chosen: Chosen, stretches: list[tuple[ElementSet, datetime, datetime]]
) -> None:
    """Files and scripts are never handed times past the limit: exit 3 (StaleDataError) when
    any part of the window is farther from its set than the limit allows."""
    from tiangong_orbit import tle

    for element_set, low, high in stretches:
        worst = low if abs(low - element_set.epoch) > abs(high - element_set.epoch) else high
        tle.check_staleness(
            element_set,
            worst,
            newest=chosen.catalog.newest_epoch(chosen.norad_id),
            file_given=chosen.catalog.file_given,
        )


def show_outlook(
    console: object,
    chosen: Chosen,
    places: list,
    stale: list[tuple[datetime, datetime]],
    settings: object,
    *,
    header: bool,
) -> None:
    """The outlook for the spans past the limit, each under its one-line banner."""
    from tiangong_orbit import outlook
    from tiangong_orbit.render.outlook import print_outlook, stale_banner

    for low, high in stale:
        result = outlook.compute_outlook(
            chosen.catalog.sets,
            chosen.norad_id,
            places,
            low,
            high,
            settings,  # type: ignore[arg-type]
            exact_max_sigma_s=0.0,
        )
        if not header:
            console.print()  # type: ignore[attr-defined]
        console.print(  # type: ignore[attr-defined]
            stale_banner(result, low, file_given=chosen.catalog.file_given), soft_wrap=True
        )
        if any(p.kind != "unknown" for group in result.places for p in group.periods):
            print_outlook(console, result, header=header)
