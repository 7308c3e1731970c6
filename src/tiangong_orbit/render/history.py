"""Rendering of the station's history (:mod:`tiangong_orbit.history`): JSON, CSV, table, chart.

JSON follows schema ``tiangong-orbit/history/1``; times are UTC ISO 8601 with ``Z``; altitudes
are km above the equatorial radius from the mean elements (see :data:`ALTITUDE_NOTE`).
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

SCHEMA = "tiangong-orbit/history/1"
FORMATS = ("table", "json", "csv")
CSV_COLUMNS = (
    "epoch",
    "mean_altitude_km",
    "perigee_km",
    "apogee_km",
    "mean_motion_rev_per_day",
    "eccentricity",
    "bstar",
    "reboost",
    "lowering",
    "suspect",
    "burn_in_fit",
)
ALTITUDE_NOTE = (
    "Mean altitude = mean semi-major axis minus the equatorial radius (6378.135 km, WGS72), "
    "perigee/apogee likewise, as CelesTrak and Heavens-Above quote them. The height above the "
    "ground below is up to about 10 km more near 41.5° north and south, where the flattened "
    "Earth's surface lies lower."
)

# --------------------------------------------------------------------------------------------
# JSON and CSV


def _km(value: float | None, digits: int = 3) -> float | None:
    return None if value is None else round(value, digits)


def history_json(record: Any, sources: list[str]) -> dict[str, Any]:
    """The ``tiangong-orbit/history/1`` document: satellite, settings, summary, sets (one per
    element set), reboosts, lowerings, decay_periods, gaps and months; times UTC ISO 8601 Z."""
    from tiangong_orbit import history
    from tiangong_orbit.orbit import KARMAN_LINE_KM
    from tiangong_orbit.timeutil import iso_z

    points = record.points
    good = [p for p in points if not p.suspect] or list(points)
    lowest = min(good, key=lambda p: p.mean_altitude_km)
    highest = max(good, key=lambda p: p.mean_altitude_km)
    latest = good[-1]
    rates = record.decay_rates_km_per_day()
    median_rate = record.median_decay_rate_km_per_day()

    def burn(item: Any) -> dict[str, Any]:
        return {
            "before": iso_z(item.before),
            "after": iso_z(item.after),
            "interval_days": round(item.interval_days, 3),
            "altitude_before_km": _km(item.altitude_before_km),
            "altitude_after_km": _km(item.altitude_after_km),
            "altitude_change_km": _km(item.altitude_change_km),
            "altitude_change_corrected_km": _km(item.altitude_change_corrected_km),
            "delta_v_m_s": round(item.delta_v_m_s, 2),
            "detected_by": item.detected_by,
        }

    return {
        "schema": SCHEMA,
        "satellite": {"name": record.name, "norad_id": record.norad_id, "sources": sources},
        "settings": {
            "altitude": "mean semi-major axis minus the WGS72 equatorial radius 6378.135 km",
            "reboost_threshold_km": history.REBOOST_THRESHOLD_KM,
            "burn_bstar_limit": history.BURN_BSTAR_LIMIT,
            "lowering_ratio": history.LOWERING_RATIO,
            "lowering_min_km": history.LOWERING_MIN_KM,
            "suspect_jump_km": history.SUSPECT_JUMP_KM,
            "max_gap_days": history.MAX_GAP_DAYS,
        },
        "summary": {
            "n_sets": len(points),
            "first_epoch": iso_z(points[0].epoch),
            "last_epoch": iso_z(points[-1].epoch),
            "latest_mean_altitude_km": _km(latest.mean_altitude_km),
            "latest_perigee_km": _km(latest.perigee_km),
            "latest_apogee_km": _km(latest.apogee_km),
            "min_mean_altitude_km": _km(lowest.mean_altitude_km),
            "min_mean_altitude_epoch": iso_z(lowest.epoch),
            "max_mean_altitude_km": _km(highest.mean_altitude_km),
            "max_mean_altitude_epoch": iso_z(highest.epoch),
            "n_reboosts": len(record.reboosts),
            "total_altitude_gained_km": _km(
                sum(b.altitude_change_corrected_km for b in record.reboosts)
            ),
            "n_lowerings": len(record.lowerings),
            "n_suspect_sets": len(record.suspects),
            "n_gaps": len(record.gaps),
            "median_decay_rate_km_per_day": _km(median_rate, 4),
            "median_decay_rate_m_per_day": _km(
                None if median_rate is None else median_rate * 1000.0, 1
            ),
            "min_decay_rate_km_per_day": _km(min(rates), 4) if rates else None,
            "max_decay_rate_km_per_day": _km(max(rates), 4) if rates else None,
            "times_karman_line": round(latest.mean_altitude_km / KARMAN_LINE_KM, 2),
        },
        "sets": [
            {
                "epoch": iso_z(p.epoch),
                "mean_altitude_km": _km(p.mean_altitude_km),
                "perigee_km": _km(p.perigee_km),
                "apogee_km": _km(p.apogee_km),
                "mean_motion_rev_per_day": round(p.mean_motion_rev_per_day, 8),
                "eccentricity": round(p.eccentricity, 7),
                "bstar": p.bstar,
                "reboost": p.reboost,
                "lowering": p.lowering,
                "suspect": p.suspect,
                "burn_in_fit": p.burn_in_fit,
            }
            for p in points
        ],
        "reboosts": [burn(item) for item in record.reboosts],
        "lowerings": [burn(item) for item in record.lowerings],
        "decay_periods": [
            {
                "start": iso_z(p.start),
                "end": iso_z(p.end),
                "days": round(p.days, 3),
                "n_sets": p.n_sets,
                "start_altitude_km": _km(p.start_altitude_km),
                "end_altitude_km": _km(p.end_altitude_km),
                "decay_rate_km_per_day": _km(p.decay_rate_km_per_day, 4),
                "decay_rate_m_per_day": _km(
                    None if p.decay_rate_km_per_day is None else p.decay_rate_km_per_day * 1000.0, 1
                ),
            }
            for p in record.decay_periods
        ],
        "gaps": [
            {
                "start": iso_z(g.start),
                "end": iso_z(g.end),
                "days": round(g.days, 2),
                "altitude_change_km": _km(g.altitude_change_km),
            }
            for g in record.gaps
        ],
        "months": [
            {
                "month": m.month,
                "n_sets": m.n_sets,
                "mean_altitude_km": _km(m.mean_altitude_km),
                "min_altitude_km": _km(m.min_altitude_km),
                "max_altitude_km": _km(m.max_altitude_km),
                "min_perigee_km": _km(m.min_perigee_km),
                "max_apogee_km": _km(m.max_apogee_km),
                "n_reboosts": m.n_reboosts,
            }
            for m in record.months()
        ],
    }


def history_csv(record: Any) -> str:
    """One header row, then one row per element set, oldest first: epoch (UTC, ISO 8601 Z),
    km, rev/day, flags as true/false (``reboost``: a reboost came just before this set). Line
    ends are CRLF (RFC 4180)."""
    import csv
    import io

    from tiangong_orbit.timeutil import iso_z

    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerow(CSV_COLUMNS)
    for p in record.points:
        writer.writerow(
            [
                iso_z(p.epoch),
                f"{p.mean_altitude_km:.3f}",
                f"{p.perigee_km:.3f}",
                f"{p.apogee_km:.3f}",
                f"{p.mean_motion_rev_per_day:.8f}",
                f"{p.eccentricity:.7f}",
                f"{p.bstar:.5g}",
                *(
                    "true" if flag else "false"
                    for flag in (p.reboost, p.lowering, p.suspect, p.burn_in_fit)
                ),
            ]
        )
    return buffer.getvalue()


# --------------------------------------------------------------------------------------------
# The table


def _compact_table_style() -> dict[str, Any]:
    from rich import box

    return {"box": box.SIMPLE_HEAD, "pad_edge": False, "show_edge": False}


def print_history(console: Any, record: Any, sources: list[str]) -> None:
    """Summary, burns (with the decay that followed each), and the altitude month by month."""
    from rich.table import Table

    from tiangong_orbit.orbit import KARMAN_LINE_KM

    compact = _compact_table_style()
    data = history_json(record, sources)
    summary = data["summary"]
    points = record.points
    console.print(
        f"{record.name} (NORAD {record.norad_id}): {len(points)} element "
        f"set{'s' if len(points) != 1 else ''}, "
        f"{points[0].epoch:%Y-%m-%d} to {points[-1].epoch:%Y-%m-%d} ({', '.join(sources)})"
    )

    facts = Table(
        show_header=False, box=None, pad_edge=False, title="Summary", title_justify="left"
    )
    facts.add_column(style="bold")
    facts.add_column()
    facts.add_row(
        "Latest mean altitude",
        f"{summary['latest_mean_altitude_km']:.1f} km (perigee {summary['latest_perigee_km']:.1f}"
        f", apogee {summary['latest_apogee_km']:.1f} km) on {points[-1].epoch:%Y-%m-%d}",
    )
    facts.add_row(
        "Lowest / highest",
        f"{summary['min_mean_altitude_km']:.1f} km ({summary['min_mean_altitude_epoch'][:10]}) / "
        f"{summary['max_mean_altitude_km']:.1f} km ({summary['max_mean_altitude_epoch'][:10]})",
    )
    facts.add_row(
        "Edge of space",
        f"{summary['times_karman_line']:.1f}× higher than the Kármán line "
        f"({KARMAN_LINE_KM:.0f} km)",
    )
    facts.add_row(
        "Reboosts",
        f"{summary['n_reboosts']}, raising the orbit {summary['total_altitude_gained_km']:.1f} km "
        "in all (decay-corrected)"
        if record.reboosts
        else "none found",
    )
    if record.lowerings:
        facts.add_row("Lowerings", f"{len(record.lowerings)} (a fall much faster than drag's)")
    if summary["median_decay_rate_m_per_day"] is not None:
        facts.add_row(
            "Decay between burns",
            f"median {summary['median_decay_rate_m_per_day']:.0f} m/day (from "
            f"{summary['min_decay_rate_km_per_day'] * 1000:.0f} to "
            f"{summary['max_decay_rate_km_per_day'] * 1000:.0f} m/day: the Sun heats and "
            "puffs up the upper air)",
        )
    for gap in record.gaps:
        facts.add_row(
            "Gap in the data",
            f"{gap.start:%Y-%m-%d} to {gap.end:%Y-%m-%d} "
            f"({gap.days:.0f} days): burns then are not seen",
        )
    for point in record.suspects:
        facts.add_row(
            "Ignored set",
            f"{point.epoch:%Y-%m-%d %H:%M} UTC: disagrees with both neighbours by kilometres",
        )
    console.print(facts)

    if record.burns:
        title = "Reboosts: engine burns that raised the orbit"
        if record.lowerings:
            title += " (and lowerings)"
        burns = Table(title=title, title_justify="left", **compact)
        burns.add_column("#", justify="right", no_wrap=True)
        burns.add_column("Between (UTC)", no_wrap=True)
        burns.add_column("Altitude km", justify="right", no_wrap=True)
        burns.add_column("Gained\nkm", justify="right", no_wrap=True)
        burns.add_column("Decay-\ncorrected", justify="right", no_wrap=True)
        burns.add_column("Δv\nm/s", justify="right", no_wrap=True)
        burns.add_column("Then sinking\nm/day", justify="right", no_wrap=True)
        periods = {p.start: p for p in record.decay_periods}
        for number, item in enumerate(record.burns, start=1):
            after = periods.get(item.after)
            rate = after.decay_rate_km_per_day if after is not None else None
            note = {"rise": "", "fall": " ↓", "drag term": " †"}[item.detected_by]
            end = (
                f"{item.after:%m-%d}"
                if item.after.year == item.before.year
                else (f"{item.after:%Y-%m-%d}")
            )
            burns.add_row(
                str(number),
                f"{item.before:%Y-%m-%d}→{end}{note}",
                f"{item.altitude_before_km:.1f}→{item.altitude_after_km:.1f}",
                f"{item.altitude_change_km:+.2f}",
                f"{item.altitude_change_corrected_km:+.2f}",
                f"{item.delta_v_m_s:.1f}",
                "—" if rate is None else f"{rate * 1000:.0f}",
            )
        console.print(burns)

    months = Table(
        title="Mean altitude month by month (months with sets)", title_justify="left", **compact
    )
    months.add_column("Month", no_wrap=True)
    months.add_column("Sets", justify="right", no_wrap=True)
    months.add_column("Mean km", justify="right", no_wrap=True)
    months.add_column("Range km", justify="right", no_wrap=True)
    months.add_column("Perigee–\napogee km", justify="right", no_wrap=True)
    months.add_column("Burns", justify="right", no_wrap=True)
    rows = record.months()
    low = min((m.min_altitude_km for m in rows), default=0.0)
    high = max((m.max_altitude_km for m in rows), default=1.0)
    months.add_column(f"Mean, {low:.0f} to\n{high:.0f} km", no_wrap=True)
    previous = None
    for m in rows:
        if previous is not None and _next_month(previous) != m.month:
            months.add_row("(gap)", "", "no sets", "", "", "", "")
        previous = m.month
        months.add_row(
            m.month,
            str(m.n_sets),
            f"{m.mean_altitude_km:.1f}",
            f"{m.min_altitude_km:.1f}–{m.max_altitude_km:.1f}",
            f"{m.min_perigee_km:.0f}–{m.max_apogee_km:.0f}",
            str(m.n_reboosts) if m.n_reboosts else "",
            _bar(m.mean_altitude_km, low, high, width=16),
        )
    console.print(months)
    if any(item.detected_by == "fall" for item in record.burns):
        console.print("↓ A lowering: the orbit fell much faster than drag alone would lower it.")
    if any(item.detected_by == "drag term" for item in record.burns):
        console.print(
            "† The rise was hidden by a week of decay; the next set's negative drag "
            "term (its fit spans the burn) shows it."
        )
    console.print(ALTITUDE_NOTE)
    console.print(
        f"A reboost: the mean semi-major axis rose by more than "
        f"{record.reboost_threshold_km * 1000:.0f} m between consecutive sets (drag only lowers "
        "it; the sets' own scatter is 8-21 m), or the next set's drag term is negative. "
        "'Decay-corrected' adds back the decay of the days between the two sets."
    )


def _next_month(month: str) -> str:
    year, number = int(month[:4]), int(month[5:])
    return f"{year + number // 12}-{number % 12 + 1:02d}"


def _bar(value: float, low: float, high: float, width: int = 20) -> str:
    """A bar from ``low`` (empty) to ``high`` (``width`` blocks), in eighths of a block."""
    if high <= low:
        return ""
    eighths = round((value - low) / (high - low) * width * 8)
    return "█" * (eighths // 8) + ("", "▏", "▎", "▍", "▌", "▋", "▊", "▉")[eighths % 8]


# --------------------------------------------------------------------------------------------
# The chart


def history_figure(record: Any) -> Any:
    """The chart: mean altitude and perigee-apogee band over time with burns marked (top), and
    the same to scale from the ground up with the Kármán line (bottom). A matplotlib Figure on
    the Agg canvas."""
    import numpy as np
    from matplotlib import dates
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure

    from tiangong_orbit.orbit import KARMAN_LINE_KM, NAMIRA_SALIM_2023_KM
    from tiangong_orbit.render.i18n import satellite_name

    band_colour, line_colour = "#56B4E9", "#0072B2"  # Okabe & Ito sky blue and blue
    boost_colour, lower_colour, karman_colour = "#D55E00", "#CC79A7", "#009E73"
    points = [p for p in record.points if not p.suspect] or list(record.points)
    times = [p.epoch.replace(tzinfo=None) for p in points]
    mean = np.array([p.mean_altitude_km for p in points])
    perigee = np.array([p.perigee_km for p in points])
    apogee = np.array([p.apogee_km for p in points])
    # Break the lines across gaps in the data: nothing is known there.
    gap_starts = {g.start for g in record.gaps}
    x: list[datetime] = []
    cut = []
    for point, when in zip(points, times, strict=True):
        x.append(when)
        cut.append(point.epoch in gap_starts)
    x_num = dates.date2num(x)
    for index in reversed([i for i, c in enumerate(cut) if c]):
        middle = 0.5 * (x_num[index] + x_num[index + 1])
        x_num = np.insert(x_num, index + 1, middle)
        mean, perigee, apogee = (
            np.insert(arr, index + 1, np.nan) for arr in (mean, perigee, apogee)
        )

    label = satellite_name(record.norad_id, record.name, "en")
    figure = Figure(figsize=(12.0, 8.0), dpi=100)
    FigureCanvasAgg(figure)
    top, bottom = figure.subplots(2, 1, sharex=True, gridspec_kw={"height_ratios": [3.0, 1.6]})
    figure.subplots_adjust(left=0.08, right=0.97, top=0.86, bottom=0.07, hspace=0.16)
    figure.suptitle(
        f"{label}: how high it flew, {points[0].epoch:%B %Y} to {points[-1].epoch:%B %Y}",
        fontsize=16,
        y=0.975,
    )
    figure.text(
        0.5,
        0.925,
        f"{len(record.points)} element sets; mean altitude and "
        "perigee–apogee range above the equatorial radius",
        ha="center",
        fontsize=11,
        color="#444444",
    )

    top.fill_between(
        x_num,
        perigee,
        apogee,
        color=band_colour,
        alpha=0.45,
        linewidth=0,
        label="perigee to apogee",
    )
    top.plot(x_num, mean, color=line_colour, linewidth=1.6, label="mean altitude")
    for kind, colour, marker, name in (
        ("reboost", boost_colour, "^", "reboost"),
        ("lowering", lower_colour, "v", "lowering"),
    ):
        chosen = [b for b in record.burns if b.kind == kind]
        if chosen:
            top.scatter(
                dates.date2num([b.after.replace(tzinfo=None) for b in chosen]),
                [b.altitude_after_km for b in chosen],
                marker=marker,
                s=55,
                color=colour,
                edgecolor="black",
                linewidth=0.5,
                zorder=5,
                label=f"{name} ({len(chosen)})",
            )
    for gap in record.gaps:
        top.axvspan(
            dates.date2num(gap.start.replace(tzinfo=None)),
            dates.date2num(gap.end.replace(tzinfo=None)),
            color="#DDDDDD",
            zorder=0,
        )
        top.text(
            dates.date2num((gap.start + (gap.end - gap.start) / 2).replace(tzinfo=None)),
            np.nanmin(perigee) - 1.0,
            "no data",
            ha="center",
            va="bottom",
            color="#666666",
            fontsize=10,
        )
    top.set_ylim(np.nanmin(perigee) - 3.0, np.nanmax(apogee) + 3.0)
    top.set_ylabel("altitude (km)")
    top.grid(True, color="#E5E5E5")
    top.legend(loc="upper left", ncols=4, fontsize=10, framealpha=0.9)
    top.set_title(
        "Close up: drag pulls it down day by day; engine burns (reboosts) push it back up",
        fontsize=12,
        loc="left",
    )

    bottom.fill_between(x_num, perigee, apogee, color=band_colour, alpha=0.8, linewidth=0)
    bottom.plot(x_num, mean, color=line_colour, linewidth=1.2)
    bottom.axhline(KARMAN_LINE_KM, color=karman_colour, linestyle="--", linewidth=1.6)
    bottom.axhline(NAMIRA_SALIM_2023_KM, color="#777777", linestyle=":", linewidth=1.2)
    bottom.fill_between([x_num[0], x_num[-1]], 0, 12, color="#8C6D46", alpha=0.5, linewidth=0)
    bottom.text(x_num[0], 14, "the ground", color="#6B5235", fontsize=9, va="bottom")
    latest = points[-1].mean_altitude_km
    bottom.text(
        x_num[0],
        KARMAN_LINE_KM + 8,
        f"Kármán line, {KARMAN_LINE_KM:.0f} km: the edge of space",
        color=karman_colour,
        fontsize=10,
        va="bottom",
    )
    bottom.text(
        x_num[-1],
        NAMIRA_SALIM_2023_KM - 8,
        f"Namira Salim, 2023: {NAMIRA_SALIM_2023_KM:g} km",
        color="#555555",
        fontsize=9,
        va="top",
        ha="right",
    )
    bottom.text(
        0.5 * (x_num[0] + x_num[-1]),
        latest - 40,
        f"{label} flies about {latest / KARMAN_LINE_KM:.1f}× higher than the edge of space",
        color=line_colour,
        fontsize=11,
        ha="center",
        va="top",
    )
    bottom.set_ylim(0, 460)
    bottom.set_yticks([0, 100, 200, 300, 400])
    bottom.set_ylabel("to scale (km)")
    bottom.grid(True, axis="y", color="#E5E5E5")
    bottom.set_title("The same to scale, from the ground up", fontsize=12, loc="left")
    locator = dates.AutoDateLocator()
    bottom.xaxis.set_major_locator(locator)
    bottom.xaxis.set_major_formatter(dates.ConciseDateFormatter(locator))
    return figure


__all__ = ["history_csv", "history_figure", "history_json", "print_history"]
