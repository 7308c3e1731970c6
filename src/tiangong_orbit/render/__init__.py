"""Renderers: turn a :class:`~tiangong_orbit.model.Prediction` into files people and programs read.

* :func:`render_passes` — CSV, Markdown, HTML (printable on A4, sky charts inline) and ICS.
* :func:`render_altitude_series` — CSV or Markdown of an altitude series.
* :func:`compass_point` — 16-point compass names in English or Urdu.
* :mod:`tiangong_orbit.render.charts` — sky chart, ground track and altitude ladder (PNG/SVG).

Each format's module is imported only when asked for (icalendar and matplotlib are slow to
import: a cron job pays only for what it uses).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import TYPE_CHECKING, Any

from tiangong_orbit.errors import UsageError

if TYPE_CHECKING:
    from tiangong_orbit.model import Prediction

__all__ = ["PASS_FORMATS", "compass_point", "render_altitude_series", "render_passes"]

#: The formats :func:`render_passes` writes; ``lang`` matters for markdown and html only.
PASS_FORMATS = ("csv", "markdown", "html", "ics")
ALTITUDE_FORMATS = ("csv", "markdown")


def render_passes(
    prediction: Prediction,
    fmt: str,
    *,
    lang: str = "en",
    element_set: Any = None,
    remind_minutes: int = 15,
) -> str:
    """The passes of ``prediction`` as ``fmt`` text: ``csv``, ``markdown``, ``html`` or ``ics``.

    ``lang`` (``en`` or ``ur``) translates Markdown and HTML; CSV and ICS are English only.
    ``element_set`` (a :class:`~tiangong_orbit.tle.ElementSet`) lets the HTML embed a sky chart
    of each visible pass; without it the HTML has the table alone. ``remind_minutes``: the ICS
    reminder (VALARM) before each pass, 0 for none. Raises
    :class:`~tiangong_orbit.errors.UsageError` for an unknown format or language.
    """
    from tiangong_orbit.render.i18n import LANGUAGES

    fmt = fmt.lower()
    if fmt not in PASS_FORMATS:
        raise UsageError(f"--format '{fmt}' is not one of {', '.join(PASS_FORMATS)}")
    if lang not in LANGUAGES:
        raise UsageError(f"--lang '{lang}' is not one of {', '.join(LANGUAGES)}")
    if lang != "en" and fmt in ("csv", "ics"):
        raise UsageError(
            f"--lang {lang} applies to markdown and html; {fmt} is always English (drop --lang)"
        )
    if fmt == "csv":
        from tiangong_orbit.render.tabular import passes_csv

        return passes_csv(prediction)
    if fmt == "markdown":
        from tiangong_orbit.render.tabular import passes_markdown

        return passes_markdown(prediction, lang)
    if fmt == "html":
        from tiangong_orbit.render.html import passes_html

        return passes_html(prediction, lang, element_set=element_set)
    from tiangong_orbit.render.ics import passes_ics

    return passes_ics(prediction, remind_minutes=remind_minutes)


def compass_point(azimuth_deg: float, lang: str = "en") -> str:
    """The 16-point compass name of an azimuth in degrees, in English or Urdu (see
    :func:`tiangong_orbit.render.i18n.compass_point`; the module, with its tables, is imported
    on first use: importing this package is part of every ``--json`` run)."""
    from tiangong_orbit.render.i18n import compass_point as point

    return point(azimuth_deg, lang)


def render_altitude_series(rows: Iterable[Mapping[str, Any]], fmt: str) -> str:
    """An altitude series as ``csv`` or ``markdown``.

    ``rows`` come from :func:`tiangong_orbit.orbit.altitude_series` over a time range, one
    mapping per time with keys ``time`` (aware UTC datetime), ``altitude_km``, ``latitude_deg``,
    ``longitude_deg`` and ``speed_km_s``. Times are written in UTC, ISO 8601 with ``Z``.
    """
    fmt = fmt.lower()
    if fmt not in ALTITUDE_FORMATS:
        raise UsageError(f"--format '{fmt}' is not one of {', '.join(ALTITUDE_FORMATS)}")
    from tiangong_orbit.render.tabular import altitude_csv, altitude_markdown

    return altitude_csv(rows) if fmt == "csv" else altitude_markdown(rows)
