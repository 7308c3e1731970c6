"""Pictures for a class: the sky chart of a pass, the ground track, the altitude ladder.

Drawn with matplotlib's object API (``matplotlib.figure.Figure``, never pyplot: no global state,
no GUI backend) and imported inside the functions only, so a cron job never pays for it. Every
figure is written as PNG or SVG by the output file's extension, atomically (a temporary file
renamed over the target). Nothing is downloaded: the ground track is drawn on a plain
latitude/longitude graticule with the gazetteer's towns as grey dots, not on a coastline map.

Sky-chart convention (NASA's and Heavens-Above's): the chart is the sky seen lying on your back,
or held overhead: zenith at the centre, horizon at the rim, north at the top and east on the
LEFT. Elevation is geometric, azimuth from true north through east.
"""

from __future__ import annotations

import io
import math
import os
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path
from typing import TYPE_CHECKING, Any
from zoneinfo import ZoneInfo

import numpy as np

from tiangong_orbit.errors import UsageError
from tiangong_orbit.render import i18n
from tiangong_orbit.render.tabular import ends_in_shadow, offset_text, signed, starts_from_shadow
from tiangong_orbit.timeutil import from_unix, iso_z, zone_abbreviation

if TYPE_CHECKING:
    from matplotlib.axes import Axes
    from matplotlib.figure import Figure
    from matplotlib.text import Text

    from tiangong_orbit.altitude import AltitudeReport
    from tiangong_orbit.model import Pass, Settings
    from tiangong_orbit.places import Place
    from tiangong_orbit.sky import SkyObjects
    from tiangong_orbit.transits import Transit

CHART_FORMATS = ("png", "svg")

#: Figure sizes (inches) and resolution: the PNGs are SKY_SIZE_IN * DPI pixels, and so on.
DPI = 100
SKY_SIZE_IN = (9.0, 10.0)
SKY_PANEL_IN = (6.0, 6.6)
SKY_INLINE_IN = (5.2, 5.2)
TRACK_SIZE_IN = (10.0, 11.0)
ALTITUDE_SIZE_IN = (12.0, 8.0)

#: The region of the ground-track map (degrees): Pakistan and its neighbours.
REGION_LON_DEG = (55.0, 85.0)
REGION_LAT_DEG = (15.0, 45.0)

# Colours that stay distinct for the common colour-vision deficiencies (Okabe & Ito, 2008)
# and on a black-and-white printout (line styles differ too).
VISIBLE_COLOUR = "#D55E00"  # vermilion
SUNLIT_COLOUR = "#0072B2"  # blue
SHADOW_COLOUR = "#7F7F7F"  # grey
START_COLOUR = "#009E73"  # bluish green
END_COLOUR = "#CC79A7"  # reddish purple
PLACE_COLOUR = "#000000"
BAND_COLOUR = "#F0E442"  # yellow

_FONT = {"font.size": 12, "axes.titlesize": 14, "figure.titlesize": 17, "svg.fonttype": "path"}


# --------------------------------------------------------------------------------------------
# Output files


def output_format(path: str | os.PathLike[str]) -> str:
    """``png`` or ``svg`` from the file name; a :class:`UsageError` for anything else, or for
    a folder that does not exist or cannot be written (checked before any computing)."""
    target = Path(path)
    suffix = target.suffix.lower().lstrip(".")
    if suffix not in CHART_FORMATS:
        shown = f"'{target.suffix}'" if target.suffix else "no extension"
        raise UsageError(
            f"--output '{target}' has {shown}; give a file name ending in .png or .svg"
        )
    folder = target.parent
    if not folder.is_dir():
        raise UsageError(f"cannot write {target}: the folder {folder} does not exist")
    if target.is_dir():
        raise UsageError(f"cannot write {target}: it is a directory")
    if not os.access(folder, os.W_OK | os.X_OK):
        raise UsageError(f"cannot write {target}: no permission to write in {folder}")
    return suffix


def figure_bytes(figure: Figure, fmt: str, *, salt: str = "tiangong-orbit") -> bytes:
    """The figure encoded as PNG or SVG, reproducibly (no date in the file, fixed SVG ids)."""
    from matplotlib import rc_context

    buffer = io.BytesIO()
    metadata: dict[str, Any] = {"Date": None} if fmt == "svg" else {}
    with rc_context({"svg.hashsalt": salt, "svg.fonttype": "path"}):
        figure.savefig(buffer, format=fmt, dpi=DPI, metadata=metadata)
    return buffer.getvalue()


def save_figure(figure: Figure, path: str | os.PathLike[str]) -> None:
    """Write ``figure`` to ``path`` (PNG or SVG by its extension), atomically."""
    from tiangong_orbit.fileio import write_atomic

    fmt = output_format(path)
    write_atomic(path, figure_bytes(figure, fmt))


def _new_figure(size_in: tuple[float, float]) -> Figure:
    from matplotlib.figure import Figure

    return Figure(figsize=size_in, dpi=DPI)


def _local(moment: datetime, timezone: str) -> datetime:
    return moment.astimezone(ZoneInfo(timezone))


def _hm(moment: datetime, timezone: str, seconds: bool = False) -> str:
    local = _local(moment, timezone)
    return local.strftime("%H:%M:%S" if seconds else "%H:%M")


def _zone_words(moment: datetime, timezone: str) -> str:
    """'PKT = UTC+5' for the chart footers."""
    return f"{zone_abbreviation(moment, timezone)} = {offset_text(moment, ZoneInfo(timezone))}"


# --------------------------------------------------------------------------------------------
# Sky chart


def _sky_xy(azimuth_deg: np.ndarray, elevation_deg: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Chart coordinates: radius 90 - elevation, east on the left (x = -r sin az)."""
    r = 90.0 - np.asarray(elevation_deg, dtype=float)
    az = np.radians(np.asarray(azimuth_deg, dtype=float))
    return -r * np.sin(az), r * np.cos(az)


@dataclass
class _Label:
    """A text to place: its candidate offsets (points from its anchor), best first."""

    text: Text
    candidates: list[tuple[float, float]]
    droppable: bool


def _anchor_for(dx: float, dy: float) -> tuple[str, str]:
    """Alignment that makes a label grow away from its anchor point."""
    norm = math.hypot(dx, dy) or 1.0
    ux, uy = dx / norm, dy / norm
    ha = "left" if ux > 0.35 else "right" if ux < -0.35 else "center"
    va = "bottom" if uy > 0.35 else "top" if uy < -0.35 else "center"
    return ha, va


def text_box(text: Text, renderer: Any) -> Any:
    """The window extent (display pixels) of a text and its box, without any arrow."""
    from matplotlib.text import Text as PlainText
    from matplotlib.transforms import Bbox

    if hasattr(text, "update_positions"):  # an annotation: place it from its anchor first
        text.update_positions(renderer)
    box = PlainText.get_window_extent(text, renderer)
    patch = text.get_bbox_patch()
    if patch is not None:
        text.update_bbox_position_size(renderer)
        box = Bbox.union([box, patch.get_window_extent(renderer)])
    return box


def _renderer(figure: Figure) -> Any:
    from matplotlib.backends.backend_agg import FigureCanvasAgg

    canvas = figure.canvas
    if not isinstance(canvas, FigureCanvasAgg):
        canvas = FigureCanvasAgg(figure)
    return canvas.get_renderer()


def place_labels(
    ax: Axes, labels: Sequence[_Label], points: Sequence[tuple[float, float]] = ()
) -> None:
    """Move each label to its first candidate offset where its box overlaps no text already on
    ``ax`` (fixed texts first, then the labels in order) nor a marker at ``points`` (data
    coordinates, kept clear by 7 pixels); a droppable label that fits nowhere
    is hidden, another keeps the candidate with the least overlap. Boxes are measured by
    rendering, so the result holds for the real fonts."""
    from matplotlib.transforms import Bbox

    figure = ax.get_figure()
    assert figure is not None
    renderer = _renderer(figure)  # type: ignore[arg-type]
    ax.apply_aspect()  # as drawing will: an equal-aspect axes shrinks to fit its box
    moving = {id(label.text) for label in labels}
    taken = [
        text_box(text, renderer).padded(4.0)
        for text in ax.texts
        if id(text) not in moving and text.get_visible() and text.get_text()
    ]
    for x, y in points:
        px, py = ax.transData.transform((x, y))
        taken.append(Bbox([[px - 7.0, py - 7.0], [px + 7.0, py + 7.0]]))

    def overlap(box: Bbox) -> float:
        total = 0.0
        for other in taken:
            width = min(box.x1, other.x1) - max(box.x0, other.x0)
            height = min(box.y1, other.y1) - max(box.y0, other.y0)
            if width > 0 and height > 0:
                total += width * height
        return total

    for label in labels:
        best: tuple[float, tuple[float, float]] | None = None
        for offset in label.candidates:
            label.text.xyann = offset  # type: ignore[attr-defined]
            ha, va = _anchor_for(*offset)
            label.text.set_horizontalalignment(ha)
            label.text.set_verticalalignment(va)
            box = text_box(label.text, renderer)
            area = overlap(box)
            if best is None or area < best[0]:
                best = (area, offset)
            if area == 0.0:
                break
        assert best is not None
        if best[0] > 0.0 and label.droppable:
            label.text.set_visible(False)
            continue
        label.text.xyann = best[1]  # type: ignore[attr-defined]
        label.text.set_horizontalalignment(_anchor_for(*best[1])[0])
        label.text.set_verticalalignment(_anchor_for(*best[1])[1])
        taken.append(text_box(label.text, renderer).padded(4.0))


def _runs(mask: np.ndarray) -> list[tuple[int, int]]:
    """(first, last) index pairs of the runs of True in ``mask``, each run widened by one
    sample at each end so that consecutive runs of different kinds join without a gap."""
    flags = np.asarray(mask, dtype=bool)
    edges = np.flatnonzero(np.diff(np.concatenate(([0], flags.view(np.int8), [0]))))
    starts, stops = edges[0::2], edges[1::2]  # stop: the first index after the run
    last = len(flags) - 1
    return [(max(0, int(a) - 1), min(last, int(b))) for a, b in zip(starts, stops, strict=True)]


def draw_sky(
    ax: Axes,
    track: Mapping[str, np.ndarray],
    pass_: Pass,
    place: Place,
    *,
    compact: bool = False,
    min_elevation_deg: float = 10.0,
    sky_objects: SkyObjects | None = None,
) -> None:
    """Draw one pass on ``ax`` (a plain, square axes): the sky dome, the path and its marks.

    ``track`` is what :func:`tiangong_orbit.passes.pass_track` returns (rise to set, arrays
    ``t_unix``, ``azimuth_deg``, ``elevation_deg``, ``sunlit``). The path is bold where the pass
    is visible, thin where sunlit but not visible, dashed in the Earth's shadow; a dot marks
    each whole minute (local time), labelled on the right of the direction of travel where
    there is room; the start and end of the visible part are labelled on the left.
    """
    timezone = place.timezone
    small = 9 if compact else 11
    t = np.asarray(track["t_unix"], dtype=float)
    az = np.asarray(track["azimuth_deg"], dtype=float)
    el = np.clip(np.asarray(track["elevation_deg"], dtype=float), 0.0, 90.0)
    sunlit = np.asarray(track["sunlit"], dtype=bool)
    x, y = _sky_xy(az, el)
    az_unwrapped = np.degrees(np.unwrap(np.radians(az)))

    def xy_at(moments: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        return _sky_xy(np.interp(moments, t, az_unwrapped), np.interp(moments, t, el))

    def travel_normal(moment: float) -> tuple[float, float]:
        """Unit vector to the right of the direction of travel at ``moment``."""
        (x0, x1), (y0, y1) = xy_at(np.array([moment - 5.0, moment + 5.0]))
        dx, dy = x1 - x0, y1 - y0
        norm = math.hypot(dx, dy) or 1.0
        return dy / norm, -dx / norm

    # The dome: horizon, rings at 30° and 60° elevation, compass points.
    ax.set_aspect("equal")
    ax.set_xlim(-104, 104)
    ax.set_ylim(-104, 104)
    ax.axis("off")
    circle = np.linspace(0.0, 2.0 * math.pi, 361)
    ax.fill(90 * np.cos(circle), 90 * np.sin(circle), color="#F4F6FB", zorder=0)
    ax.plot(90 * np.cos(circle), 90 * np.sin(circle), color="black", lw=1.6, zorder=1)
    for ring in (30.0, 60.0):
        radius = 90.0 - ring
        ax.plot(radius * np.cos(circle), radius * np.sin(circle), color="#B0B0B0", lw=0.8,
                ls=":", zorder=1)  # fmt: skip
        ax.text(1.5, radius + 1.0, f"{ring:.0f}°", color="#707070", fontsize=small - 1,
                ha="left", va="bottom", zorder=1)  # fmt: skip
    ax.plot([0], [0], marker="+", color="#707070", ms=8, zorder=1)
    for index, label in enumerate(i18n.COMPASS_EN):
        cardinal = index % 4 == 0
        if compact and index % 2:
            continue
        azimuth = np.array([index * 22.5])
        rim_x, rim_y = _sky_xy(azimuth, np.array([0.0]))
        in_x, in_y = _sky_xy(azimuth, np.array([5.0 if cardinal else 3.0]))
        ax.plot([rim_x[0], in_x[0]], [rim_y[0], in_y[0]], color="black", lw=1, zorder=1)
        text_x, text_y = _sky_xy(azimuth, np.array([-7.5 if cardinal else -6.0]))
        ax.text(text_x[0], text_y[0], label, ha="center", va="center",
                fontsize=(small + 5 if cardinal else small - 1),
                fontweight="bold" if cardinal else "normal", zorder=2)  # fmt: skip

    # The path.
    visible = np.zeros(len(t), dtype=bool)
    if pass_.visible_start is not None and pass_.visible_end is not None:
        visible = (t >= pass_.visible_start.time.timestamp() - 1e-6) & (
            t <= pass_.visible_end.time.timestamp() + 1e-6
        )
    for first, last in _runs(~sunlit):
        ax.plot(x[first : last + 1], y[first : last + 1], color=SHADOW_COLOUR, lw=2.0,
                ls=(0, (4, 3)), zorder=3)  # fmt: skip
    for first, last in _runs(sunlit & ~visible):
        ax.plot(x[first : last + 1], y[first : last + 1], color=SUNLIT_COLOUR, lw=1.6, zorder=3)
    for first, last in _runs(visible):
        ax.plot(x[first : last + 1], y[first : last + 1], color=VISIBLE_COLOUR, lw=4.2,
                solid_capstyle="round", zorder=4)  # fmt: skip

    # Start and end of the visible part (labels on the left of travel, off the time labels).
    marks: list[tuple[float, float]] = []
    labels: list[_Label] = []
    if pass_.visible_start is not None and pass_.visible_end is not None:
        for point, colour, marker, word in (
            (pass_.visible_start, START_COLOUR, "o", "appears"),
            (pass_.visible_end, END_COLOUR, "s", "disappears"),
        ):
            px, py = _sky_xy(np.array([point.azimuth_deg]), np.array([point.elevation_deg]))
            marks.append((float(px[0]), float(py[0])))
            ax.plot(px, py, marker=marker, ms=11 if not compact else 8, color=colour,
                    markeredgecolor="black", zorder=8)  # fmt: skip
            if compact:
                continue
            nx, ny = travel_normal(point.time.timestamp())
            label = f"{word}\n{_hm(point.time, timezone, seconds=True)}"
            if marker == "o" and starts_from_shadow(pass_):
                label += "\nout of Earth's shadow"
            elif marker == "s" and ends_in_shadow(pass_):
                label += "\ninto Earth's shadow"
            elif point.elevation_deg > min_elevation_deg + 0.5:
                # Neither the shadow nor the height limit: the sky's darkness is.
                dawn = marker == "s"
                label += "\nthe sky gets too light" if dawn else "\nthe sky is dark enough"
            # Candidate places: on the left of travel first (off the time labels), then all
            # round at two distances; the first that overlaps nothing is kept.
            side = (-nx, -ny)
            directions = [side, (nx, ny)] + [
                (math.cos(angle), math.sin(angle)) for angle in np.radians(np.arange(0, 360, 45))
            ]
            candidates = [(dx * r, dy * r) for r in (20.0, 38.0) for dx, dy in directions]
            annotation = ax.annotate(
                label, (px[0], py[0]),
                xytext=candidates[0], textcoords="offset points", fontsize=small,
                fontweight="bold", zorder=9,
                bbox={"boxstyle": "round,pad=0.25", "fc": "white", "ec": colour, "alpha": 0.92},
                arrowprops={"arrowstyle": "-", "color": colour, "lw": 1.0, "shrinkA": 0,
                            "shrinkB": 5},
            )  # fmt: skip
            labels.append(_Label(annotation, candidates, droppable=False))

    # A dot each whole minute; a label where it does not crowd the previous one or a mark.
    minutes = np.arange(math.ceil(t[0] / 60.0) * 60.0, t[-1] + 1e-6, 60.0)
    tick_x, tick_y = xy_at(minutes)
    min_gap = 15.0 if compact else 11.0  # chart units (the horizon's radius is 90)
    last_label: tuple[float, float] | None = None
    for k, minute in enumerate(minutes):
        ax.plot(tick_x[k], tick_y[k], marker="o", ms=3.5 if compact else 4.5, color="black",
                zorder=5)  # fmt: skip
        here = (float(tick_x[k]), float(tick_y[k]))
        crowded = last_label is not None and math.dist(here, last_label) < min_gap
        if crowded or any(math.dist(here, mark) < 8.0 for mark in marks):
            continue
        last_label = here
        nx, ny = travel_normal(float(minute))
        annotation = ax.annotate(
            _hm(from_unix(float(minute)), timezone), here, xytext=(nx * 9, ny * 9),
            textcoords="offset points", fontsize=small - 1, zorder=6,
        )  # fmt: skip
        labels.append(_Label(annotation, [(nx * 9, ny * 9), (-nx * 9, -ny * 9)], droppable=True))

    # Arrow of the direction of travel, in the middle of the visible part (else of the pass).
    where = np.flatnonzero(visible) if visible.any() else np.arange(len(t))
    middle = float(t[where[len(where) // 2]])
    (ax0, ax1), (ay0, ay1) = xy_at(np.array([middle, middle + 12.0]))
    ax.annotate("", xy=(ax1, ay1), xytext=(ax0, ay0), zorder=7,
                arrowprops={"arrowstyle": "-|>,head_length=0.9,head_width=0.5",
                            "color": VISIBLE_COLOUR if visible.any() else SUNLIT_COLOUR,
                            "lw": 2.5, "shrinkA": 0, "shrinkB": 0})  # fmt: skip

    # Where it crosses the edge of the Earth's shadow (enters in the evening, leaves at dawn).
    for crossing in (pass_.shadow_entry, pass_.shadow_exit):
        if crossing is None or not t[0] <= crossing.timestamp() <= t[-1]:
            continue
        if any(
            point is not None and abs((point.time - crossing).total_seconds()) < 5.0
            for point in (pass_.visible_start, pass_.visible_end)
        ):
            continue  # the appears/disappears mark is there, and its label says so
        sx, sy = xy_at(np.array([crossing.timestamp()]))
        ax.plot(sx, sy, marker="o", ms=9 if not compact else 7, markerfacecolor="#303030",
                markeredgecolor="black", fillstyle="left", zorder=8)  # fmt: skip

    sky_marks: list[tuple[float, float]] = []
    if sky_objects is not None:
        labels += draw_sky_objects(
            ax, sky_objects, compact=compact, path_xy=(x, y), marks=sky_marks
        )
    place_labels(ax, labels, points=marks + (sky_marks if sky_objects is not None else []))


STAR_COLOUR = "#2B2F3A"
FIGURE_COLOUR = "#9DB0CF"
PLANET_COLOUR = "#B8860B"  # dark goldenrod
MOON_COLOUR = "#6E6E6E"
#: Stars named on the chart: brighter than this and within NAMED_STAR_RANGE_DEG of the path.
NAMED_STAR_MAG = 2.0
NAMED_STAR_RANGE_DEG = 30.0


def _star_size(vmag: np.ndarray, compact: bool) -> np.ndarray:
    """Marker area (points²) by brightness: magnitude 4.5 a speck, Sirius a disc."""
    scale = 0.6 if compact else 1.0
    return scale * 2.2 * (5.0 - np.clip(vmag, -1.5, 4.5)) ** 1.9


def draw_sky_objects(
    ax: Axes,
    objects: SkyObjects,
    *,
    compact: bool = False,
    path_xy: tuple[np.ndarray, np.ndarray] | None = None,
    marks: list[tuple[float, float]] | None = None,
) -> list[_Label]:
    """Draw the constellation figures, the bright stars (sized by magnitude), the planets and
    the Moon above the horizon at ``objects``' moment; returns the labels still to place
    (planets and the Moon, and the brightest named stars near ``path_xy``); the positions of
    the planets and the Moon are appended to ``marks`` for the labels to keep clear of."""
    if marks is None:
        marks = []
    small = 8 if compact else 10
    labels: list[_Label] = []
    offsets = [(6.0, 4.0), (-6.0, 4.0), (6.0, -4.0), (-6.0, -4.0), (0.0, 8.0), (0.0, -8.0)]
    segments = objects.figure_segments
    if len(segments):
        az1, alt1 = objects.altaz(segments[:, 0], segments[:, 1])
        az2, alt2 = objects.altaz(segments[:, 2], segments[:, 3])
        up = (alt1 > 0) & (alt2 > 0)
        x1, y1 = _sky_xy(az1[up], alt1[up])
        x2, y2 = _sky_xy(az2[up], alt2[up])
        xs = np.column_stack([x1, x2, np.full(len(x1), np.nan)]).ravel()
        ys = np.column_stack([y1, y2, np.full(len(y1), np.nan)]).ravel()
        ax.plot(xs, ys, color=FIGURE_COLOUR, lw=0.8, zorder=1.5)
    az, alt = objects.altaz(objects.star_ra_deg, objects.star_dec_deg)
    up = alt > 0
    sx, sy = _sky_xy(az[up], alt[up])
    ax.scatter(sx, sy, s=_star_size(objects.star_vmag[up], compact), color=STAR_COLOUR,
               linewidths=0, zorder=2)  # fmt: skip
    if path_xy is not None and not compact:
        px, py = path_xy
        for index in np.flatnonzero(up & (objects.star_vmag <= NAMED_STAR_MAG)):
            name = objects.star_names[index]
            if not name:
                continue
            x, y = _sky_xy(az[index : index + 1], alt[index : index + 1])
            if np.min(np.hypot(px - x[0], py - y[0])) > NAMED_STAR_RANGE_DEG:
                continue
            text = ax.annotate(
                name, (x[0], y[0]), xytext=offsets[0], textcoords="offset points",
                fontsize=small - 1, color=STAR_COLOUR, style="italic", zorder=6,
            )  # fmt: skip
            labels.append(_Label(text, list(offsets), droppable=True))
    for body in objects.bodies:
        b_az, b_alt = objects.altaz(np.array([body.ra_deg]), np.array([body.dec_deg]))
        if b_alt[0] <= 0:
            continue
        x, y = _sky_xy(b_az, b_alt)
        marks.append((float(x[0]), float(y[0])))
        if body.illuminated is not None:
            ax.plot(x, y, marker="o", ms=13 if not compact else 9, color="white",
                    markeredgecolor=MOON_COLOUR, zorder=2.5)  # fmt: skip
            ax.plot(x, y, marker="o", ms=13 if not compact else 9, color=MOON_COLOUR,
                    fillstyle="left" if body.illuminated < 0.5 else "full",
                    alpha=0.55, markeredgewidth=0, zorder=2.6)  # fmt: skip
            word = f"Moon ({body.illuminated * 100:.0f}% lit)" if not compact else "Moon"
        else:
            ax.plot(x, y, marker="o", ms=8 if not compact else 6, color=PLANET_COLOUR,
                    markeredgecolor="black", markeredgewidth=0.6, zorder=2.6)  # fmt: skip
            word = body.name
        far = [(dx * 1.6, dy * 1.6) for dx, dy in offsets]
        text = ax.annotate(word, (x[0], y[0]), xytext=offsets[0], textcoords="offset points",
                           fontsize=small, color="#5A4200" if body.illuminated is None
                           else "#404040", fontweight="bold", zorder=6)  # fmt: skip
        labels.insert(0, _Label(text, list(offsets) + far, droppable=True))
    return labels


def _sky_legend(figure: Figure, settings: Settings, y: float, fontsize: float) -> None:
    from matplotlib.lines import Line2D

    handles = [
        Line2D(
            [],
            [],
            color=VISIBLE_COLOUR,
            lw=4.2,
            label=f"visible (sunlit, dark sky, ≥{settings.min_visible_elevation_deg:.0f}° high)",
        ),
        Line2D([], [], color=SUNLIT_COLOUR, lw=1.6, label="sunlit, but sky too bright or too low"),
        Line2D([], [], color=SHADOW_COLOUR, lw=2.0, ls=(0, (4, 3)), label="in Earth's shadow"),
        Line2D(
            [],
            [],
            ls="",
            marker="o",
            ms=9,
            color=START_COLOUR,
            markeredgecolor="black",
            label="appears",
        ),
        Line2D(
            [],
            [],
            ls="",
            marker="s",
            ms=9,
            color=END_COLOUR,
            markeredgecolor="black",
            label="disappears",
        ),
        Line2D(
            [],
            [],
            ls="",
            marker="o",
            ms=8,
            markerfacecolor="#303030",
            markeredgecolor="black",
            fillstyle="left",
            label="edge of Earth's shadow",
        ),
        Line2D([], [], ls="", marker="o", ms=4.5, color="black", label="one dot per minute"),
    ]
    figure.legend(
        handles=handles,
        loc="upper center",
        bbox_to_anchor=(0.5, y),
        ncol=3,
        frameon=False,
        fontsize=fontsize,
        handlelength=2.6,
        columnspacing=1.4,
    )


def _pass_title(pass_: Pass, place: Place, satellite: str) -> tuple[str, str]:
    timezone = place.timezone
    start = pass_.visible_start or pass_.rise
    end = pass_.visible_end or pass_.set
    peak = pass_.visible_peak or pass_.culmination
    local = _local(start.time, timezone)
    date = i18n.date_words(local, "en")
    zone = zone_abbreviation(start.time, timezone)
    head = f"{satellite} over {place.name}, {date}"
    details = (
        f"{_hm(start.time, timezone, True)}–{_hm(end.time, timezone, True)} {zone}, "
        f"highest {peak.elevation_deg:.0f}° in the {i18n.compass_point(peak.azimuth_deg)}"
    )
    if pass_.magnitude is not None:
        details += f", magnitude {signed(pass_.magnitude)}"
    elif pass_.reason:
        details += f" (not visible: {pass_.reason})"
    return head, details


def _convention_note(moment: datetime, timezone: str, objects: SkyObjects | None = None) -> str:
    note = (
        "Looking up: N at the top, E on the LEFT (hold the chart over your head, N to the north)."
        f"\nCentre = straight overhead, rim = horizon, rings at 30° and 60° high. "
        f"Times are local: {_zone_words(moment, timezone)}."
    )
    if objects is not None:
        note += (
            "\nStars to magnitude 4.5 (bigger = brighter), constellation figures, planets and "
            f"the Moon as at {_hm(from_unix(objects.t_unix), timezone)}."
        )
    return note


def sky_figure(
    items: Sequence[tuple[Pass, Mapping[str, np.ndarray]]],
    place: Place,
    satellite: str,
    settings: Settings,
    *,
    sky: Sequence[SkyObjects | None] | None = None,
    tle_note: str | None = None,
) -> Figure:
    """A sky chart of one pass, or a grid of panels for several, with title, legend and note.

    ``sky`` gives, per pass, the stars, planets and Moon to draw (from
    :func:`tiangong_orbit.sky.sky_objects` at the middle of the pass), or ``None``;
    ``tle_note`` (the set's age and expected error) goes under the title.
    """
    from matplotlib import rc_context

    if not items:
        raise ValueError("sky_figure needs at least one pass")
    skies = list(sky) if sky is not None else [None] * len(items)
    with rc_context(_FONT):
        if len(items) == 1:
            pass_, track = items[0]
            figure = _new_figure(SKY_SIZE_IN)
            ax = figure.add_axes((0.04, 0.165, 0.92, 0.72))
            draw_sky(
                ax,
                track,
                pass_,
                place,
                min_elevation_deg=settings.min_visible_elevation_deg,
                sky_objects=skies[0],
            )
            head, details = _pass_title(pass_, place, satellite)
            if tle_note:
                details += f"\n{tle_note}"
            figure.text(0.5, 0.975, head, ha="center", va="top", fontsize=19, fontweight="bold")
            figure.text(0.5, 0.935, details, ha="center", va="top", fontsize=12.5, linespacing=1.4)
            _sky_legend(figure, settings, 0.158, 10.5)
            figure.text(
                0.5,
                0.018,
                _convention_note(pass_.rise.time, place.timezone, skies[0]),
                ha="center",
                va="bottom",
                fontsize=10.5,
                color="#303030",
            )
            return figure
        columns = min(3, len(items))
        rows = math.ceil(len(items) / columns)
        width = SKY_PANEL_IN[0] * columns
        height = SKY_PANEL_IN[1] * rows + 2.5
        figure = _new_figure((width, height))
        top_in, bottom_in = 1.0, 1.5
        panel_h = (height - top_in - bottom_in) / rows
        for index, ((pass_, track), objects) in enumerate(zip(items, skies, strict=True)):
            row, column = divmod(index, columns)
            left = column / columns
            bottom = (bottom_in + (rows - 1 - row) * panel_h) / height
            ax = figure.add_axes(
                (left + 0.01, bottom, 1 / columns - 0.02, (panel_h - 0.75) / height)
            )
            draw_sky(
                ax,
                track,
                pass_,
                place,
                compact=True,
                min_elevation_deg=settings.min_visible_elevation_deg,
                sky_objects=objects,
            )
            head, details = _pass_title(pass_, place, satellite)
            date = head.split(", ", 1)[1]
            figure.text(
                left + 0.5 / columns,
                bottom + (panel_h - 0.1) / height,
                f"{index + 1}. {date}\n{details}",
                ha="center",
                va="top",
                fontsize=10.5,
            )
        first = items[0][0]
        figure.text(
            0.5,
            1 - 0.25 / height,
            f"{satellite}: visible passes over {place.name}"
            + (f"\n{tle_note}" if tle_note else ""),
            ha="center",
            va="top",
            fontsize=19,
            fontweight="bold",
        )
        _sky_legend(figure, settings, 1.45 / height, 10)
        figure.text(
            0.5,
            0.1 / height,
            _convention_note(first.rise.time, place.timezone)
            + (
                "\nStars to magnitude 4.5, planets and the Moon as at the middle of each pass."
                if any(objects is not None for objects in skies)
                else ""
            ),
            ha="center",
            va="bottom",
            fontsize=10,
            color="#303030",
        )
        return figure


def sky_svg(
    pass_: Pass,
    track: Mapping[str, np.ndarray],
    place: Place,
    settings: Settings,
    *,
    id_prefix: str,
    sky_objects: SkyObjects | None = None,
) -> str:
    """A compact sky chart as an ``<svg>`` element to put inside an HTML page; with
    ``sky_objects`` the stars, figures, planets and Moon are drawn as in ``chart sky``.

    The XML prolog and DOCTYPE are dropped, the fixed size is replaced by the viewBox (the page
    sizes it with CSS), and every id gets ``id_prefix`` so that several charts in one page keep
    distinct ids (matplotlib names glyphs ``DejaVuSans-31`` in every file).
    """
    from matplotlib import rc_context

    with rc_context(_FONT):
        figure = _new_figure(SKY_INLINE_IN)
        ax = figure.add_axes((0.0, 0.0, 1.0, 1.0))
        draw_sky(ax, track, pass_, place, compact=True, sky_objects=sky_objects)
        svg = figure_bytes(figure, "svg", salt=id_prefix).decode("utf-8")
    svg = svg[svg.index("<svg") :]
    svg = re.sub(r'\s(width|height)="[0-9.]+pt"', "", svg, count=2)
    ids = set(re.findall(r'\bid="([^"]+)"', svg))
    for name in sorted(ids, key=len, reverse=True):
        escaped = re.escape(name)
        svg = re.sub(rf'\bid="{escaped}"', f'id="{id_prefix}-{name}"', svg)
        svg = re.sub(rf'href="#{escaped}"', f'href="#{id_prefix}-{name}"', svg)
        svg = re.sub(rf"url\(#{escaped}\)", f"url(#{id_prefix}-{name})", svg)
    return svg.strip()


# --------------------------------------------------------------------------------------------
# Ground track


def _destination(lat_deg: float, lon_deg: float, angle_deg: float) -> tuple[np.ndarray, ...]:
    """Points at central angle ``angle_deg`` all around (lat, lon), on a sphere (degrees)."""
    lat1, lon1 = math.radians(lat_deg), math.radians(lon_deg)
    delta = math.radians(angle_deg)
    bearing = np.linspace(0.0, 2.0 * math.pi, 181)
    lat2 = np.arcsin(
        math.sin(lat1) * math.cos(delta) + math.cos(lat1) * math.sin(delta) * np.cos(bearing)
    )
    lon2 = lon1 + np.arctan2(
        np.sin(bearing) * math.sin(delta) * math.cos(lat1),
        math.cos(delta) - math.sin(lat1) * np.sin(lat2),
    )
    return np.degrees(lat2), (np.degrees(lon2) + 180.0) % 360.0 - 180.0


def visibility_radius_deg(altitude_km: float, min_elevation_deg: float) -> float:
    """Earth-central angle (degrees) within which a satellite at ``altitude_km`` stands at least
    ``min_elevation_deg`` above an observer's horizon (spherical Earth, mean radius 6371 km)."""
    radius_km = 6371.0
    elevation = math.radians(min_elevation_deg)
    angle = math.acos(radius_km * math.cos(elevation) / (radius_km + altitude_km)) - elevation
    return math.degrees(angle)


def _span_words(local_start: datetime, local_end: datetime) -> str:
    """'Wed 7 Oct 2026, 00:00 to 06:00', or with both dates when they differ."""
    first = i18n.date_words(local_start, "en")
    if local_start.date() == local_end.date():
        return f"{first}, {local_start:%H:%M} to {local_end:%H:%M}"
    return f"{first} {local_start:%H:%M} to {i18n.date_words(local_end, 'en')} {local_end:%H:%M}"


def region_for(places: Sequence[Place]) -> tuple[tuple[float, float], tuple[float, float]]:
    """The map's (longitude, latitude) ranges in degrees: Pakistan and its neighbours
    (55-85°E, 15-45°N) when every place lies inside it, else a 30° square around the first
    place (kept between 80°S and 80°N)."""
    inside = all(
        REGION_LON_DEG[0] + 1 <= p.longitude_deg <= REGION_LON_DEG[1] - 1
        and REGION_LAT_DEG[0] + 1 <= p.latitude_deg <= REGION_LAT_DEG[1] - 1
        for p in places
    )
    if inside or not places:
        return REGION_LON_DEG, REGION_LAT_DEG
    lon0 = round(places[0].longitude_deg / 5.0) * 5.0
    lat0 = min(max(round(places[0].latitude_deg / 5.0) * 5.0, -65.0), 65.0)
    return (lon0 - 15.0, lon0 + 15.0), (lat0 - 15.0, lat0 + 15.0)


def _in_box(
    lon: np.ndarray, lat: np.ndarray, region: tuple[tuple[float, float], tuple[float, float]]
) -> np.ndarray:
    (lon0, lon1), (lat0, lat1) = region
    wrapped = (np.asarray(lon, dtype=float) - lon0) % 360.0 + lon0
    return (wrapped <= lon1) & (lat >= lat0) & (lat <= lat1)


def crosses_region(
    series: Mapping[str, np.ndarray],
    region: tuple[tuple[float, float], tuple[float, float]] = (REGION_LON_DEG, REGION_LAT_DEG),
) -> bool:
    """Whether any point of the track lies over the map's region."""
    lat = np.asarray(series["latitude_deg"], dtype=float)
    lon = np.asarray(series["longitude_deg"], dtype=float)
    return bool(_in_box(lon, lat, region).any())


def _wrap_lon(
    lon_deg: np.ndarray | Sequence[float] | float,
    region: tuple[tuple[float, float], tuple[float, float]],
) -> np.ndarray:
    """Longitudes counted from the map's west edge (so a map across ±180° stays continuous);
    those far east of the map come back west of it."""
    (lon_lo, lon_hi), _ = region
    lon = (np.asarray(lon_deg, dtype=float) - lon_lo) % 360.0 + lon_lo
    return np.where(lon > lon_hi + 90.0, lon - 360.0, lon)


def _lon_label(value: float) -> str:
    wrapped = (value + 180.0) % 360.0 - 180.0
    if abs(wrapped) < 1e-9 or abs(abs(wrapped) - 180.0) < 1e-9:
        return f"{abs(wrapped):.0f}°"
    return f"{abs(wrapped):.0f}°{'E' if wrapped > 0 else 'W'}"


def _lat_label(value: float) -> str:
    if abs(value) < 1e-9:
        return "0°"
    return f"{abs(value):.0f}°{'N' if value > 0 else 'S'}"


def draw_map_lines(
    ax: Axes,
    region: tuple[tuple[float, float], tuple[float, float]],
    *,
    lon_offset_deg: float = 0.0,
) -> None:
    """Coastlines (dark) and land borders (grey, dashed) of Natural Earth inside ``region``,
    on a longitude/latitude axes; ``lon_offset_deg`` shifts the map's longitudes when the
    region runs past ±180° (the axes then count longitudes continuously)."""
    from tiangong_orbit.geography import clip_lines, map_lines

    lines = map_lines()
    (lon0, lon1), lat_range = region
    for lon_deg, lat_deg, style in (
        (lines.coast_lon_deg, lines.coast_lat_deg, {"color": "#4A5A6A", "lw": 0.9}),
        (lines.border_lon_deg, lines.border_lat_deg,
         {"color": "#8A8A8A", "lw": 0.8, "ls": (0, (5, 2))}),
    ):  # fmt: skip
        for shift in (-360.0, 0.0, 360.0):
            shifted = lon_deg + shift
            lon, lat = clip_lines(shifted, lat_deg, (lon0, lon1), lat_range)
            if np.isfinite(lon).sum() < 2:
                continue
            ax.plot(lon + lon_offset_deg, lat, zorder=1, **style)


def track_figure(
    series: Mapping[str, np.ndarray],
    places: Sequence[Place],
    satellite: str,
    start: datetime,
    end: datetime,
    settings: Settings,
    *,
    towns: Sequence[tuple[float, float]] = (),
    tle_note: str | None = None,
    region: tuple[tuple[float, float], tuple[float, float]] | None = None,
) -> Figure:
    """The ground track on a map with Natural Earth coastlines and borders.

    ``series`` holds ``t_unix``, ``latitude_deg``, ``longitude_deg``, ``altitude_km`` and
    ``sunlit`` (bool) along the track; ``towns`` are (latitude, longitude) pairs drawn as grey
    dots (the gazetteer). ``region`` is the map's (longitude, latitude) ranges in degrees
    (default :func:`region_for` the places); ``tle_note`` (the set's age and expected timing
    error) is added to the subtitle.
    """
    from matplotlib import rc_context
    from matplotlib.lines import Line2D

    if region is None:
        region = region_for(places)
    (lon_lo, lon_hi), (lat_lo, lat_hi) = region
    timezone = places[0].timezone if places else "Asia/Karachi"
    t = np.asarray(series["t_unix"], dtype=float)
    lat = np.asarray(series["latitude_deg"], dtype=float)
    # Longitudes counted from the map's west edge, so a map across ±180° stays continuous.
    lon = _wrap_lon(series["longitude_deg"], region)
    sunlit = np.asarray(series["sunlit"], dtype=bool)
    altitude = float(np.median(series["altitude_km"]))
    with rc_context(_FONT):
        figure = _new_figure(TRACK_SIZE_IN)
        ax = figure.add_axes((0.07, 0.15, 0.88, 0.74))
        ax.set_xlim(lon_lo, lon_hi)
        ax.set_ylim(lat_lo, lat_hi)
        # Plate carrée stretched by 1/cos(middle latitude): distances there are true.
        ax.set_aspect(1.0 / math.cos(math.radians((lat_lo + lat_hi) / 2)))
        ax.set_facecolor("#F7F9FC")
        ax.set_xticks(np.arange(lon_lo, lon_hi + 0.1, 5.0))
        ax.set_yticks(np.arange(lat_lo, lat_hi + 0.1, 5.0))
        ax.set_xticklabels([_lon_label(v) for v in ax.get_xticks()])
        ax.set_yticklabels([_lat_label(v) for v in ax.get_yticks()])
        ax.grid(color="#DDE1E8", lw=0.7)
        ax.set_xlabel("longitude")
        ax.set_ylabel("latitude")
        draw_map_lines(ax, region)
        if towns:
            town_lat, town_lon = np.array(towns, dtype=float).T
            ax.scatter(
                _wrap_lon(town_lon, region), town_lat, s=6, color="#A9A9A9", zorder=1,
                linewidths=0,
            )  # fmt: skip
        # Where the satellite stands at least min_visible_elevation_deg high, for each place.
        radius_deg = visibility_radius_deg(altitude, settings.min_visible_elevation_deg)
        for place in places:
            ring_lat, ring_lon = _destination(place.latitude_deg, place.longitude_deg, radius_deg)
            ring_lon = _wrap_lon(ring_lon, region)
            ring_lon[np.concatenate(([False], np.abs(np.diff(ring_lon)) > 180.0))] = np.nan
            ax.plot(ring_lon, ring_lat, color=PLACE_COLOUR, lw=0.9, ls=":", zorder=2)
        # The track, broken where it leaves the map and where it wraps past ±180°.
        jump = np.abs(np.diff(lon)) > 180.0
        breaks = np.concatenate(([False], jump))
        for mask, colour, width, style in (
            (sunlit, VISIBLE_COLOUR, 2.6, "-"),
            (~sunlit, SHADOW_COLOUR, 2.0, (0, (4, 3))),
        ):
            for first, last in _runs(mask):
                seg_lon = lon[first : last + 1].copy()
                seg_lat = lat[first : last + 1].copy()
                seg_lon[breaks[first : last + 1]] = np.nan
                ax.plot(seg_lon, seg_lat, color=colour, lw=width, ls=style, zorder=3)
        # Time dots every 2 minutes inside the map, labelled; arrows every 6 minutes.
        unwrapped_lon = np.degrees(np.unwrap(np.radians(lon)))
        every = np.arange(math.ceil(t[0] / 120.0) * 120.0, t[-1], 120.0)
        dot_lat = np.interp(every, t, lat)
        dot_lon = np.interp(every, t, unwrapped_lon)
        dot_lon = _wrap_lon(dot_lon, region)
        time_labels: list[_Label] = []
        for k, moment in enumerate(every):
            in_map = (
                lon_lo + 0.3 < dot_lon[k] < lon_hi - 0.3
                and lat_lo + 0.3 < dot_lat[k] < lat_hi - 0.3
            )
            if not in_map:
                continue
            ax.plot(dot_lon[k], dot_lat[k], marker="o", ms=4, color="black", zorder=4)
            time_labels.append(
                _Label(
                    ax.annotate(
                        _hm(from_unix(float(moment)), timezone),
                        (dot_lon[k], dot_lat[k]),
                        xytext=(6, -6),
                        textcoords="offset points",
                        fontsize=9.5,
                        zorder=5,
                        bbox={
                            "boxstyle": "round,pad=0.1",
                            "fc": "white",
                            "ec": "none",
                            "alpha": 0.7,
                        },
                    ),
                    [(6.0, -6.0), (-6.0, 6.0), (6.0, 6.0), (-6.0, -6.0)],
                    droppable=True,
                )
            )
        arrow_times = np.arange(math.ceil(t[0] / 360.0) * 360.0 + 60.0, t[-1] - 30.0, 360.0)
        for moment in arrow_times:
            tail_lon, head_lon = np.interp([moment, moment + 8.0], t, unwrapped_lon)
            tail_lat, head_lat = np.interp([moment, moment + 8.0], t, lat)
            tail_lon, head_lon = _wrap_lon(np.array([tail_lon, head_lon]), region)
            in_map = all(
                lon_lo < x < lon_hi and lat_lo < y < lat_hi
                for x, y in ((tail_lon, tail_lat), (head_lon, head_lat))
            )
            if not in_map or abs(head_lon - tail_lon) > 180.0:
                continue
            ax.annotate(
                "",
                xy=(head_lon, head_lat),
                xytext=(tail_lon, tail_lat),
                arrowprops={
                    "arrowstyle": "-|>,head_length=1.0,head_width=0.5",
                    "color": "black",
                    "lw": 1.0,
                    "shrinkA": 0,
                    "shrinkB": 0,
                },
                zorder=5,
            )
        for place in places:
            place_lon = float(_wrap_lon(place.longitude_deg, region))
            ax.plot(
                place_lon,
                place.latitude_deg,
                marker="*",
                ms=16,
                color=PLACE_COLOUR,
                markeredgecolor="white",
                zorder=6,
            )
            ax.annotate(
                place.name,
                (place_lon, place.latitude_deg),
                xytext=(9, 6),
                textcoords="offset points",
                fontsize=13,
                fontweight="bold",
                zorder=7,
                bbox={"boxstyle": "round,pad=0.2", "fc": "white", "ec": "black", "alpha": 0.85},
            )
        # Time labels last: wherever they overlap a place's name or each other, moved or left out.
        place_labels(
            ax,
            time_labels,
            points=[(float(_wrap_lon(p.longitude_deg, region)), p.latitude_deg) for p in places],
        )
        local_start, local_end = _local(start, timezone), _local(end, timezone)
        zone = zone_abbreviation(start, timezone)
        figure.text(
            0.5,
            0.975,
            f"{satellite}: where it flies over the ground",
            ha="center",
            va="top",
            fontsize=19,
            fontweight="bold",
        )
        figure.text(
            0.5,
            0.935,
            f"{_span_words(local_start, local_end)} {zone}, about {altitude:.0f} km up"
            + (f"\n{tle_note}" if tle_note else ""),
            ha="center",
            va="top",
            fontsize=13,
            linespacing=1.4,
        )
        handles = [
            Line2D([], [], color=VISIBLE_COLOUR, lw=2.6, label="in sunlight"),
            Line2D([], [], color=SHADOW_COLOUR, lw=2.0, ls=(0, (4, 3)), label="in Earth's shadow"),
            Line2D(
                [],
                [],
                ls="",
                marker="o",
                ms=4,
                color="black",
                label=f"position every 2 minutes ({zone})",
            ),
            Line2D(
                [],
                [],
                color=PLACE_COLOUR,
                lw=0.9,
                ls=":",
                label=f"above {settings.min_visible_elevation_deg:.0f}° for the place "
                "inside this circle",
            ),
            Line2D([], [], ls="", marker="*", ms=12, color=PLACE_COLOUR, label="chosen place"),
            Line2D(
                [],
                [],
                ls="",
                marker="o",
                ms=4,
                color="#A9A9A9",
                label="towns of the gazetteer (GeoNames)",
            ),
        ]
        figure.legend(
            handles=handles,
            loc="lower center",
            bbox_to_anchor=(0.5, 0.035),
            ncol=3,
            frameon=False,
            fontsize=10.5,
        )
        figure.text(
            0.5,
            0.008,
            "Coastlines and borders: Natural Earth (1:50m, public domain). "
            f"Times are local ({_zone_words(start, timezone)}).",
            ha="center",
            va="bottom",
            fontsize=10,
            color="#303030",
        )
    return figure


# --------------------------------------------------------------------------------------------
# Altitude ladder


def _spread(heights: Sequence[float], gap: float, low: float, high: float) -> list[float]:
    """Label positions for ``heights`` (ascending), at least ``gap`` apart, each group of
    crowded labels centred on the mean of its heights and kept inside ``low``..``high``."""
    # Clusters of (first index, count); merge neighbours while they overlap (a classic
    # label-placement pass: every merge only widens a cluster, so it ends).
    clusters: list[list[int]] = [[index, 1] for index in range(len(heights))]

    def centre_positions(first: int, count: int) -> list[float]:
        middle = sum(heights[first : first + count]) / count
        bottom = middle - gap * (count - 1) / 2.0
        bottom = min(max(bottom, low), high - gap * (count - 1))
        return [bottom + gap * k for k in range(count)]

    merged = True
    while merged:
        merged = False
        for k in range(len(clusters) - 1):
            first, count = clusters[k]
            top = centre_positions(first, count)[-1]
            following = centre_positions(*clusters[k + 1])[0]
            if following - top < gap:
                clusters[k] = [first, count + clusters[k + 1][1]]
                del clusters[k + 1]
                merged = True
                break
    return [y for first, count in clusters for y in centre_positions(first, count)]


def altitude_figure(
    report: AltitudeReport,
    satellite: str,
    *,
    iss_altitude_km: float | None = None,
    timezone: str = "Asia/Karachi",
    comparisons: Sequence[tuple[str, str, float]] | None = None,
    design_band: bool = True,
    news_note: bool = True,
    title_name: str | None = None,
    tle_note: str | None = None,
) -> Figure:
    """The altitude ladder: the reference heights, the satellite now, the other stations now,
    on one linear scale from the ground up (km, WGS84 geodetic heights).

    ``comparisons`` are (label, second line, altitude_km) rungs for other satellites at the
    same moment (default: the ISS at ``iss_altitude_km`` when given). ``design_band`` draws
    Tiangong's 340-450 km design range and ``news_note`` the remark on the 450 km of the news:
    both are about Tiangong, so leave them off for another satellite. ``title_name`` is the
    name in the title and facts ("the ISS"), default ``satellite``. ``tle_note`` (the set's
    epoch and age) goes in the footer.
    """
    from matplotlib import rc_context

    from tiangong_orbit.orbit import (
        KARMAN_LINE_KM,
        NAMIRA_SALIM_2023_KM,
        TIANGONG_DESIGN_MAX_KM,
        TIANGONG_DESIGN_MIN_KM,
        US_SPACE_BOUNDARY_KM,
    )

    top_km = 500.0
    # (height, first line (bold), second line, colour, line style)
    rungs: list[tuple[float, str, str, str, Any]] = [
        (
            US_SPACE_BOUNDARY_KM,
            f"{US_SPACE_BOUNDARY_KM:.0f} km  US space boundary",
            "50 miles: US astronaut wings",
            "#555555",
            (0, (5, 3)),
        ),
        (
            NAMIRA_SALIM_2023_KM,
            f"{NAMIRA_SALIM_2023_KM:.1f} km  Namira Salim, 2023",
            "then the highest a Pakistani had flown",
            "#007A4D",
            "-",
        ),
        (
            KARMAN_LINE_KM,
            f"{KARMAN_LINE_KM:.0f} km  Kármán line",
            "where space begins (FAI)",
            "#000000",
            "-",
        ),
        (
            report.altitude_km,
            f"{report.altitude_km:.0f} km  {satellite} now",
            "computed from its orbit",
            VISIBLE_COLOUR,
            "-",
        ),
    ]
    if comparisons is None:
        comparisons = (
            []
            if iss_altitude_km is None
            else [("the ISS", "International Space Station", iss_altitude_km)]
        )
    for label, line, altitude_km in comparisons:
        rungs.append((altitude_km, f"{altitude_km:.0f} km  {label} now", line, SUNLIT_COLOUR, "-"))
    named = title_name or satellite
    rungs.sort(key=lambda rung: rung[0])
    with rc_context(_FONT):
        figure = _new_figure(ALTITUDE_SIZE_IN)
        ax = figure.add_axes((0.08, 0.08, 0.27, 0.80))
        ax.set_ylim(0, top_km)
        ax.set_xlim(0, 1)
        ax.set_xticks([])
        ax.set_yticks(np.arange(0, top_km + 1, 50))
        ax.set_ylabel("height above the ground (km)", fontsize=13)
        for side in ("top", "right"):
            ax.spines[side].set_visible(False)
        ax.axhspan(0, 12, color="#8FBC8F", zorder=0)
        ax.text(
            0.5, 6, "ground, clouds, aeroplanes", ha="center", va="center", fontsize=9.5, zorder=1
        )
        if design_band:
            ax.axhspan(
                TIANGONG_DESIGN_MIN_KM,
                TIANGONG_DESIGN_MAX_KM,
                color=BAND_COLOUR,
                alpha=0.45,
                zorder=0,
            )
            ax.text(
                0.5,
                TIANGONG_DESIGN_MAX_KM + 4,
                f"Tiangong's design range: {TIANGONG_DESIGN_MIN_KM:.0f}–"
                f"{TIANGONG_DESIGN_MAX_KM:.0f} km",
                ha="center",
                va="bottom",
                fontsize=10.5,
                zorder=1,
            )
        # Axes height is 0.80 x 8 in = 461 points for 500 km: a two-line label needs ~36 km.
        labels_at = _spread([rung[0] for rung in rungs], 36.0, 18.0, top_km - 18.0)
        for (height, head, line, colour, style), label_y in zip(rungs, labels_at, strict=True):
            ax.axhline(height, color=colour, lw=2.8, ls=style, zorder=2)
            ax.annotate(
                f"{head}",
                xy=(1.0, height),
                xycoords=("axes fraction", "data"),
                xytext=(1.10, label_y + 5),
                textcoords=("axes fraction", "data"),
                fontsize=14,
                color=colour,
                va="bottom",
                ha="left",
                fontweight="bold",
                annotation_clip=False,
                arrowprops={
                    "arrowstyle": "-",
                    "color": colour,
                    "lw": 1.2,
                    "shrinkA": 0,
                    "shrinkB": 0,
                    "relpos": (0.0, 0.0),
                },
            )
            ax.annotate(
                line,
                xy=(1.10, label_y + 3),
                xycoords=("axes fraction", "data"),
                fontsize=11.5,
                color="#222222",
                va="top",
                ha="left",
                annotation_clip=False,
            )
        local = _local(report.time, timezone)
        zone = zone_abbreviation(report.time, timezone)
        figure.text(
            0.5,
            0.975,
            f"How high is {named}?",
            ha="center",
            va="top",
            fontsize=22,
            fontweight="bold",
        )
        figure.text(
            0.5,
            0.922,
            f"{i18n.date_words(local, 'en')} {local:%H:%M} {zone} "
            f"({iso_z(report.time, 0)}), drawn to scale",
            ha="center",
            va="top",
            fontsize=13,
        )
        facts = [
            f"{named[:1].upper() + named[1:]} flies {report.altitude_km:.0f} km up:",
            f"  {report.altitude_km / KARMAN_LINE_KM:.1f} times as high as the Kármán line,",
            f"  {report.altitude_km / NAMIRA_SALIM_2023_KM:.1f} times as high as Namira Salim flew "
            "in 2023.",
            f"It moves {report.speed_km_s:.1f} km every second ({report.speed_km_s * 3600:,.0f} "
            "km/h)",
            f"and goes round the Earth in about {_orbit_minutes(report):.0f} minutes.",
        ]
        for label, _line, altitude_km in comparisons:
            difference = report.altitude_km - altitude_km
            word = "higher" if difference >= 0 else "lower"
            facts.append(f"That is {abs(difference):.0f} km {word} than {label} flies now.")
        if news_note:
            facts += ["News often says 450 km: that is the top of",
                      "its design range, not where it is now."]  # fmt: skip
        figure.text(
            0.43,
            0.60,
            "\n".join(facts),
            ha="left",
            va="top",
            fontsize=12.5,
            linespacing=1.5,
            bbox={"boxstyle": "round,pad=0.7", "fc": "#FFFFFF", "ec": "#999999"},
        )
        figure.text(
            0.5,
            0.012,
            "Heights are WGS84 geodetic altitudes computed from the element "
            "sets by tiangong-orbit" + (f"; {tle_note}." if tle_note else "."),
            ha="center",
            va="bottom",
            fontsize=9.5,
            color="#303030",
        )
    return figure


def _orbit_minutes(report: AltitudeReport) -> float:
    """Orbital period from the mean perigee/apogee (Kepler's third law, GM of WGS84)."""
    mu_km3_s2 = 398600.4418
    semi_major_km = 6378.137 + (report.perigee_km + report.apogee_km) / 2.0
    return 2.0 * math.pi * math.sqrt(semi_major_km**3 / mu_km3_s2) / 60.0


def track_times(start: datetime, hours: float, step_s: float = 20.0) -> np.ndarray:
    """POSIX seconds from ``start`` every ``step_s`` for ``hours``, end included."""
    first = start.timestamp()
    count = int(hours * 3600.0 // step_s) + 1
    return first + np.arange(count) * step_s


def end_of(start: datetime, hours: float) -> datetime:
    """``start`` plus ``hours``."""
    return start + timedelta(hours=hours)


# --------------------------------------------------------------------------------------------
# Transit map


def transit_figure(
    item: Transit,
    place: Place,
    satellite: str,
    radius_km: float,
) -> Figure:
    """The path of one transit on a map: centre line, the two edges, the place, the radius
    around it and the way to the nearest centre-line point, with coastlines and borders."""
    from matplotlib import rc_context
    from matplotlib.lines import Line2D

    from tiangong_orbit.render.i18n import compass_point
    from tiangong_orbit.transits import SOLAR_FILTER_CHART

    timezone = place.timezone
    lat0, lon0 = place.latitude_deg, place.longitude_deg
    km_per_deg_lat = 111.13
    km_per_deg_lon = 111.32 * math.cos(math.radians(lat0))
    half_km = max(radius_km, item.distance_km) + 20.0
    region = (
        (lon0 - half_km / km_per_deg_lon, lon0 + half_km / km_per_deg_lon),
        (lat0 - half_km / km_per_deg_lat, lat0 + half_km / km_per_deg_lat),
    )
    line = np.asarray(item.centre_line_deg, dtype=float)
    east = (line[:, 1] - lon0) * km_per_deg_lon
    north = (line[:, 0] - lat0) * km_per_deg_lat
    tangent_e, tangent_n = np.gradient(east), np.gradient(north)
    norm = np.hypot(tangent_e, tangent_n)
    norm[norm == 0] = 1.0
    left_e, left_n = -tangent_n / norm, tangent_e / norm  # left of the direction of travel
    body = "Sun" if item.body == "sun" else "Moon"
    with rc_context(_FONT):
        figure = _new_figure(TRACK_SIZE_IN)
        ax = figure.add_axes((0.08, 0.15, 0.86, 0.69))
        ax.set_xlim(*region[0])
        ax.set_ylim(*region[1])
        ax.set_aspect(1.0 / math.cos(math.radians(lat0)))
        ax.set_facecolor("#F7F9FC")
        ax.grid(color="#DDE1E8", lw=0.7)
        ax.xaxis.set_major_formatter(lambda v, _pos: _lon_label_fine(v))
        ax.yaxis.set_major_formatter(lambda v, _pos: _lat_label_fine(v))
        draw_map_lines(ax, region)
        # The path: a band between the edges, the centre line in it.
        for offset, sign in ((item.edge_offsets_km[0], 1.0), (item.edge_offsets_km[1], -1.0)):
            edge_lon = lon0 + (east + sign * offset * left_e) / km_per_deg_lon
            edge_lat = lat0 + (north + sign * offset * left_n) / km_per_deg_lat
            ax.plot(edge_lon, edge_lat, color=VISIBLE_COLOUR, lw=1.4, ls=(0, (5, 3)), zorder=3)
        left_lon = lon0 + (east + item.edge_offsets_km[0] * left_e) / km_per_deg_lon
        left_lat = lat0 + (north + item.edge_offsets_km[0] * left_n) / km_per_deg_lat
        right_lon = lon0 + (east - item.edge_offsets_km[1] * left_e) / km_per_deg_lon
        right_lat = lat0 + (north - item.edge_offsets_km[1] * left_n) / km_per_deg_lat
        ax.fill(
            np.concatenate([left_lon, right_lon[::-1]]),
            np.concatenate([left_lat, right_lat[::-1]]),
            color=BAND_COLOUR,
            alpha=0.45,
            zorder=2,
        )
        ax.plot(line[:, 1], line[:, 0], color=VISIBLE_COLOUR, lw=2.6, zorder=4)
        # Direction of travel of the path, in its middle.
        middle = len(line) // 2
        if len(line) > middle + 3:
            ax.annotate(
                "",
                xy=(line[middle + 3, 1], line[middle + 3, 0]),
                xytext=(line[middle, 1], line[middle, 0]),
                arrowprops={
                    "arrowstyle": "-|>,head_length=1.0,head_width=0.5",
                    "color": VISIBLE_COLOUR,
                    "lw": 2.0,
                },
                zorder=5,
            )
        circle_lat, circle_lon = _destination(lat0, lon0, math.degrees(radius_km / 6371.0))
        ax.plot(circle_lon, circle_lat, color=PLACE_COLOUR, lw=0.9, ls=":", zorder=3)
        ax.plot(
            [lon0, item.centre_longitude_deg],
            [lat0, item.centre_latitude_deg],
            color=PLACE_COLOUR,
            lw=1.2,
            zorder=5,
        )
        ax.plot(
            item.centre_longitude_deg,
            item.centre_latitude_deg,
            marker="o",
            ms=9,
            color=VISIBLE_COLOUR,
            markeredgecolor="black",
            zorder=6,
        )
        ax.plot(
            lon0, lat0, marker="*", ms=16, color=PLACE_COLOUR, markeredgecolor="white", zorder=6
        )
        labels = [
            _Label(
                ax.annotate(
                    place.name,
                    (lon0, lat0),
                    xytext=(9, 6),
                    textcoords="offset points",
                    fontsize=13,
                    fontweight="bold",
                    zorder=7,
                    bbox={"boxstyle": "round,pad=0.2", "fc": "white", "ec": "black", "alpha": 0.85},
                ),
                [(9.0, 6.0), (-9.0, 6.0), (9.0, -8.0), (-9.0, -8.0)],
                droppable=False,
            ),
            _Label(
                ax.annotate(
                    f"{item.distance_km:.1f} km {compass_point(item.bearing_deg)}\n"
                    f"{_hm(item.time, timezone, seconds=True)}"
                    f".{_local(item.time, timezone).microsecond // 10_000:02d}",
                    (item.centre_longitude_deg, item.centre_latitude_deg),
                    xytext=(10, -10),
                    textcoords="offset points",
                    fontsize=11,
                    fontweight="bold",
                    zorder=7,
                    bbox={
                        "boxstyle": "round,pad=0.25",
                        "fc": "white",
                        "ec": VISIBLE_COLOUR,
                        "alpha": 0.92,
                    },
                ),
                [
                    (10.0, -10.0),
                    (-10.0, -10.0),
                    (10.0, 10.0),
                    (-10.0, 10.0),
                    (24.0, -24.0),
                    (-24.0, 24.0),
                ],
                droppable=False,
            ),
        ]
        place_labels(
            ax, labels, points=[(lon0, lat0), (item.centre_longitude_deg, item.centre_latitude_deg)]
        )
        local = _local(item.time, timezone)
        zone = zone_abbreviation(item.time, timezone)
        clock = f"{local:%H:%M:%S}.{local.microsecond // 10_000:02d}"
        figure.text(
            0.5,
            0.975,
            f"{satellite} across the {body}, seen near {place.name}",
            ha="center",
            va="top",
            fontsize=19,
            fontweight="bold",
        )
        lines = [
            f"{i18n.date_words(local, 'en')} {clock} {zone} at the centre line, "
            f"{body} {item.body_altitude_deg:.0f}° high in the "
            f"{compass_point(item.body_azimuth_deg)}",
            f"path {item.path_width_km:.1f} km wide, {item.duration_s:.2f} s on the disc; "
            f"element set of {item.tle_epoch:%d %b %Y %H:%M} UTC ({item.tle_age_days:.1f} days)",
            f"expected error: time ±{item.timing_sigma_s:.1f} s, path ±{item.shift_km:.1f} km "
            "across; check again the day before with a fresh set",
        ]
        if item.near_miss:
            lines.append(
                f"a near miss: from {place.name} it passes {item.closest_from_place_deg:.2f}° "
                f"off the {body}'s edge"
            )
        figure.text(
            0.5, 0.93, "\n".join(lines), ha="center", va="top", fontsize=11.5, linespacing=1.45
        )
        handles = [
            Line2D([], [], color=VISIBLE_COLOUR, lw=2.6, label="centre line (across the middle)"),
            Line2D(
                [],
                [],
                color=VISIBLE_COLOUR,
                lw=1.4,
                ls=(0, (5, 3)),
                label="edges: seen on the disc between them",
            ),
            Line2D(
                [],
                [],
                ls="",
                marker="o",
                ms=8,
                color=VISIBLE_COLOUR,
                markeredgecolor="black",
                label="nearest point of the centre line",
            ),
            Line2D(
                [],
                [],
                color=PLACE_COLOUR,
                lw=0.9,
                ls=":",
                label=f"{radius_km:g} km around the place",
            ),
        ]
        figure.legend(
            handles=handles,
            loc="lower center",
            bbox_to_anchor=(0.5, 0.06),
            ncol=2,
            frameon=False,
            fontsize=10.5,
        )
        footer = "Coastlines and borders: Natural Earth (1:50m, public domain)."
        if item.body == "sun":
            footer = f"{SOLAR_FILTER_CHART}\n{footer}"
        figure.text(
            0.5,
            0.008,
            footer,
            ha="center",
            va="bottom",
            fontsize=10,
            color="#8B0000" if item.body == "sun" else "#303030",
            wrap=True,
        )
    return figure


def _lon_label_fine(value: float) -> str:
    wrapped = (value + 180.0) % 360.0 - 180.0
    return f"{abs(wrapped):.1f}°{'E' if wrapped >= 0 else 'W'}"


def _lat_label_fine(value: float) -> str:
    return f"{abs(value):.1f}°{'N' if value >= 0 else 'S'}"
