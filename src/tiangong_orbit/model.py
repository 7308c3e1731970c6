"""The data the pass predictor returns: frozen dataclasses and named tuples, shared by every
renderer.

Times are aware UTC datetimes; angles in degrees (azimuth from north through east, geometric
elevation, no refraction); distances in km. See DESIGN.md for the conventions (rise, set,
culmination, sunlit, dark sky, visible interval, magnitude).
"""

from __future__ import annotations

import math
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING, Any, NamedTuple, overload

if TYPE_CHECKING:
    import numpy as np
    from numpy.typing import NDArray

    from tiangong_orbit.places import Place

if TYPE_CHECKING:
    from tiangong_orbit.sky import Near


class Settings(NamedTuple):
    """Thresholds of a pass search (DESIGN.md, Conventions).

    This and :class:`SatelliteInfo` are named tuples, not frozen dataclasses: read-only records
    with the same fields, defaults, equality and repr, which nothing replaces field by field,
    and a frozen dataclass costs 0.6 ms of every start to define (generating its methods), a
    named tuple 0.1 ms. The other results are dataclasses: ``dataclasses.replace`` makes new
    ones from old.
    """

    horizon_deg: float = 0.0
    min_visible_elevation_deg: float = 10.0
    sun_max_altitude_deg: float = -6.0
    standard_magnitude: float = 0.0
    """Tiangong's standard magnitude: visual magnitude at 1000 km and 90° phase angle (Matson's
    diffuse sphere), ``tiangong_orbit.passes.TIANGONG_STANDARD_MAGNITUDE``. Scaled from the
    ISS's -1.8 (McCants' quicksat.mag, as Heavens-Above uses) by Tiangong's ~20% of the ISS's
    sunlit cross-section: -1.8 + 2.5 log10(5) = -0.05, rounded to 0.0. Uncertain by ±0.5 mag
    (1 sigma), and single passes scatter by ~1 mag more (attitude, solar-wing glints). For
    another satellite use ``passes.standard_magnitude_for(norad_id)``."""


@dataclass(frozen=True, slots=True)
class Point:
    """The satellite seen from one place at one moment."""

    time: datetime
    azimuth_deg: float
    elevation_deg: float
    range_km: float | None = None
    altitude_km: float | None = None


@dataclass(frozen=True, slots=True)
class Pass:
    """One pass of a satellite over one place, from rise to set above ``horizon_deg``.

    ``visible_start``/``visible_peak``/``visible_end`` bound the one stretch where the satellite
    is sunlit, the sky is dark and it stands at least ``min_visible_elevation_deg`` high; they
    and ``magnitude`` are ``None`` when the pass is not visible. ``reason`` says why a pass is
    not visible ("daylight", "in Earth's shadow", "too low", or a combination).
    """

    rise: Point
    culmination: Point
    set: Point
    visible_start: Point | None
    visible_peak: Point | None
    visible_end: Point | None
    magnitude: float | None
    tle_age_days: float
    uncertainty_s: float
    reason: str | None = None
    # Where the satellite enters (or leaves) the Earth's shadow during the pass, if it does.
    shadow_entry: datetime | None = None
    shadow_exit: datetime | None = None
    #: Which satellite, when a list merges several (``passes -s tiangong -s iss``).
    norad_id: int | None = None
    #: The closest approach to a bright star, planet or the Moon during the visible interval,
    #: when within a few degrees (``tiangong_orbit.sky.add_near`` fills it; else ``None``).
    near: Near | None = None

    @property
    def visible(self) -> bool:
        """Whether the pass has a visible interval."""
        return self.visible_start is not None

    @property
    def duration_s(self) -> float:
        """Seconds from rise to set."""
        return (self.set.time - self.rise.time).total_seconds()

    @property
    def visible_duration_s(self) -> float | None:
        """Seconds of the visible interval, or ``None``."""
        if self.visible_start is None or self.visible_end is None:
            return None
        return (self.visible_end.time - self.visible_start.time).total_seconds()


#: Why a pass is not visible, as bits of :attr:`PassColumns.reason_code`.
REASON_TOO_LOW, REASON_DAYLIGHT, REASON_SHADOW = 1, 2, 4


def reason_text(code: int) -> str | None:
    """The words for a :attr:`PassColumns.reason_code` ("too low, daylight"), ``None`` for 0."""
    words = []
    if code & REASON_TOO_LOW:
        words.append("too low")
    if code & REASON_DAYLIGHT:
        words.append("daylight")
    if code & REASON_SHADOW:
        words.append("in Earth's shadow")
    return ", ".join(words) or None


#: :attr:`PassColumns.norad_id` of a pass whose satellite is not said (``Pass.norad_id`` None).
NO_NORAD_ID = -1

#: The six points of a pass, in the column order of :class:`PassColumns`' (M, 6) arrays.
POINT_NAMES = ("rise", "culmination", "set", "visible_start", "visible_peak", "visible_end")


@dataclass(frozen=True, slots=True, eq=False)
class PassColumns:
    """M passes as parallel numpy arrays: what the predictor computes, before any object exists.

    The (M, 6) arrays hold the six points of each pass in :data:`POINT_NAMES` order; a point
    that does not exist (the visible ones of a pass that is not visible) has a NaN time.
    ``time_unix``: POSIX seconds, UTC (a :class:`Pass` carries them rounded to the
    microsecond); ``azimuth_deg`` from north through east; ``elevation_deg`` geometric;
    ``range_km`` from the observer; ``altitude_km`` WGS84 geodetic height. ``place``: index of
    each pass's place in the places asked for. ``shadow_entry_unix``/``shadow_exit_unix``: NaN
    when the pass does not cross the shadow's edge; ``magnitude``: NaN when not visible;
    ``reason_code``: bits ``REASON_*`` (0 when visible). ``norad_id``: the satellite of each
    pass in a list of several, :data:`NO_NORAD_ID` when not said.

    Renderers that handle many passes (JSON) read the arrays directly; :class:`PassList` makes
    :class:`Pass` objects from them on demand for everything else.
    """

    place: NDArray[np.intp]
    time_unix: NDArray[np.float64]
    azimuth_deg: NDArray[np.float64]
    elevation_deg: NDArray[np.float64]
    range_km: NDArray[np.float64]
    altitude_km: NDArray[np.float64]
    shadow_entry_unix: NDArray[np.float64]
    shadow_exit_unix: NDArray[np.float64]
    magnitude: NDArray[np.float64]
    tle_age_days: NDArray[np.float64]
    uncertainty_s: NDArray[np.float64]
    reason_code: NDArray[np.int8]
    norad_id: NDArray[np.int64]
    near: NDArray[np.object_] | None = None
    """Per pass, the :class:`~tiangong_orbit.sky.Near` object it passes close to, or ``None``
    (an object array filled by ``sky.add_near``); ``None`` for the whole column until then."""

    def __len__(self) -> int:
        return len(self.place)

    def take(self, index: Any) -> PassColumns:
        """The passes at ``index`` (a slice, integer array or boolean mask), as new columns."""
        return PassColumns(
            *(
                None if getattr(self, name) is None else getattr(self, name)[index]
                for name in PassColumns.__dataclass_fields__
            )
        )

    def near_column(self) -> NDArray[np.object_]:
        """:attr:`near` as an object array of length M (all ``None`` when not filled)."""
        import numpy as np

        if self.near is not None:
            return self.near
        return np.full(len(self), None, dtype=object)

    @classmethod
    def concatenate(cls, parts: Sequence[PassColumns]) -> PassColumns:
        """The passes of ``parts``, one after the other (at least one part)."""
        import numpy as np

        fields = [name for name in cls.__dataclass_fields__ if name != "near"]
        columns = cls(*(np.concatenate([getattr(part, name) for part in parts]) for name in fields))
        if all(part.near is None for part in parts):
            return columns
        near = np.concatenate([part.near_column() for part in parts])
        return replace(columns, near=near)

    @classmethod
    def from_passes(cls, passes: Sequence[Pass]) -> PassColumns:
        """Columns holding ``passes`` (objects made elsewhere, e.g. in tests): the inverse of
        :class:`PassList` up to the microsecond rounding the objects already carry."""
        import numpy as np

        m = len(passes)
        grid = {name: np.full((m, 6), np.nan) for name in ("t", "az", "el", "rng", "alt")}
        entry, exit_, mags = np.full(m, np.nan), np.full(m, np.nan), np.full(m, np.nan)
        codes = np.zeros(m, dtype=np.int8)
        ids = np.full(m, NO_NORAD_ID, dtype=np.int64)
        texts = {reason_text(code): code for code in range(1, 8)}
        for i, item in enumerate(passes):
            points = (
                item.rise,
                item.culmination,
                item.set,
                item.visible_start,
                item.visible_peak,
                item.visible_end,
            )
            for j, point in enumerate(points):
                if point is None:
                    continue
                grid["t"][i, j] = _unix(point.time)
                grid["az"][i, j] = point.azimuth_deg
                grid["el"][i, j] = point.elevation_deg
                if point.range_km is not None:
                    grid["rng"][i, j] = point.range_km
                if point.altitude_km is not None:
                    grid["alt"][i, j] = point.altitude_km
            if item.shadow_entry is not None:
                entry[i] = _unix(item.shadow_entry)
            if item.shadow_exit is not None:
                exit_[i] = _unix(item.shadow_exit)
            if item.magnitude is not None:
                mags[i] = item.magnitude
            if not item.visible and item.reason is not None:
                codes[i] = texts.get(item.reason, REASON_DAYLIGHT | REASON_SHADOW)
            if item.norad_id is not None:
                ids[i] = item.norad_id
        return cls(
            np.zeros(m, dtype=np.intp),
            grid["t"],
            grid["az"],
            grid["el"],
            grid["rng"],
            grid["alt"],
            entry,
            exit_,
            mags,
            np.array([p.tle_age_days for p in passes], dtype=float),
            np.array([p.uncertainty_s for p in passes], dtype=float),
            codes,
            ids,
            np.array([p.near for p in passes] + [None], dtype=object)[:m],
        )


_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)


def _unix(moment: datetime) -> float:
    # Exact to the microsecond: (moment - epoch) counted in whole microseconds, then seconds.
    return ((moment - _EPOCH) // timedelta(microseconds=1)) / 1e6


def microseconds(t_unix: Any) -> Any:
    """POSIX seconds (array, NaN allowed) as whole microseconds (int64; 0 where NaN): the
    rounding every datetime of a :class:`Pass` carries."""
    import numpy as np

    return np.round(np.nan_to_num(np.asarray(t_unix, dtype=float)) * 1e6).astype(np.int64)


def _datetimes(t_unix: Any) -> list[datetime | None]:
    import numpy as np

    finite = np.isfinite(t_unix).tolist()
    return [
        _EPOCH + timedelta(microseconds=us) if ok else None
        for us, ok in zip(microseconds(t_unix).tolist(), finite, strict=True)
    ]


class PassList(Sequence[Pass]):
    """The passes of one place: a read-only sequence of :class:`Pass` made on demand from
    :class:`PassColumns` (each access builds new, equal objects; nothing is cached, so a long
    list costs its arrays, not millions of objects). Compares equal to a tuple of the same
    passes; slices are tuples."""

    __slots__ = ("columns",)

    def __init__(self, columns: PassColumns) -> None:
        self.columns = columns

    def __len__(self) -> int:
        return len(self.columns)

    @overload
    def __getitem__(self, index: int) -> Pass: ...
    @overload
    def __getitem__(self, index: slice) -> tuple[Pass, ...]: ...
    def __getitem__(self, index: int | slice) -> Pass | tuple[Pass, ...]:
        if isinstance(index, slice):
            return tuple(_build(self.columns.take(index)))
        m = len(self)
        if not -m <= index < m:
            raise IndexError("pass index out of range")
        i = index % m
        return _build(self.columns.take(slice(i, i + 1)))[0]

    def __iter__(self) -> Iterator[Pass]:
        batch = 4096
        for first in range(0, len(self), batch):
            yield from _build(self.columns.take(slice(first, first + batch)))

    def __eq__(self, other: object) -> bool:
        if isinstance(other, PassList | tuple | list):
            return len(self) == len(other) and all(a == b for a, b in zip(self, other, strict=True))
        return NotImplemented

    def __hash__(self) -> int:
        return hash(tuple(self))

    def __repr__(self) -> str:
        return f"PassList({len(self)} passes)"


def _build(columns: PassColumns) -> list[Pass]:
    """:class:`Pass` objects for every row of ``columns``."""
    times = _datetimes(columns.time_unix.ravel())
    lists = [
        getattr(columns, name).ravel().tolist()
        for name in ("azimuth_deg", "elevation_deg", "range_km", "altitude_km")
    ]
    points = [
        None if when is None else Point(when, a, e, d, h)
        for when, a, e, d, h in zip(times, *lists, strict=True)
    ]
    entry = _datetimes(columns.shadow_entry_unix)
    exit_ = _datetimes(columns.shadow_exit_unix)
    rows = zip(
        columns.magnitude.tolist(),
        columns.tle_age_days.tolist(),
        columns.uncertainty_s.tolist(),
        columns.reason_code.tolist(),
        columns.norad_id.tolist(),
        columns.near_column().tolist(),
        strict=True,
    )
    out = []
    for i, (mag, age, sigma, code, norad_id, near) in enumerate(rows):
        rise, culmination, set_, v_start, v_peak, v_end = points[6 * i : 6 * i + 6]
        visible = v_start is not None
        out.append(
            Pass(
                rise=rise,  # type: ignore[arg-type]
                culmination=culmination,  # type: ignore[arg-type]
                set=set_,  # type: ignore[arg-type]
                visible_start=v_start,
                visible_peak=v_peak,
                visible_end=v_end,
                magnitude=mag if visible and mag == mag and abs(mag) != float("inf") else None,
                tle_age_days=age,
                uncertainty_s=sigma,
                reason=None if visible else reason_text(code),
                shadow_entry=entry[i],
                shadow_exit=exit_[i],
                norad_id=None if norad_id == NO_NORAD_ID else norad_id,
                near=near,
            )
        )
    return out


@dataclass(frozen=True, slots=True)
class PlacePasses:
    """The passes over one place, in time order: a tuple of :class:`Pass`, or a
    :class:`PassList` over the predictor's arrays (same behaviour as a sequence)."""

    place: Place
    passes: tuple[Pass, ...] | PassList
    #: When no pass of the window is visible: the first visible one in the following days (up to
    #: 30), if the command looked ahead and found one.
    next_visible: Pass | None = None


class SatelliteInfo(NamedTuple):
    """Which satellite and which element set a prediction used (a named tuple, as
    :class:`Settings`)."""

    name: str
    norad_id: int
    tle_epoch: datetime
    tle_source: str = "bundled"
    tle_path: str | None = None
    #: Every set used, oldest first, when a long window spans several (each pass is computed
    #: from the set nearest it); just ``(tle_epoch,)`` otherwise.
    tle_epochs: tuple[datetime, ...] = ()
    #: The standard magnitude used for this satellite; ``None`` when none is known (its passes
    #: then carry no magnitude). ``math.nan`` = not said (the prediction's settings hold it).
    standard_magnitude: float | None = math.nan

    @property
    def magnitude_known(self) -> bool:
        """Whether this satellite's passes carry magnitudes."""
        return self.standard_magnitude is not None


@dataclass(frozen=True, slots=True)
class Prediction:
    """Everything ``passes`` computed: the input echo and one :class:`PlacePasses` per place."""

    satellite: SatelliteInfo
    start: datetime
    end: datetime
    settings: Settings
    places: tuple[PlacePasses, ...]
    warnings: tuple[str, ...] = field(default=())
    #: Every satellite of a merged list, in the order asked (``satellite`` is the first).
    satellites: tuple[SatelliteInfo, ...] = field(default=())
    #: The filters that left passes out (``--max-magnitude``, ``--min-duration`` in visible
    #: seconds); ``None`` when none applied (``--all``).
    max_magnitude: float | None = None
    min_duration_s: float | None = None

    def satellite_label(self, norad_id: int | None) -> str:
        """The display name of the satellite ``norad_id`` of this prediction (see names.py)."""
        from tiangong_orbit.names import display_name

        for info in (self.satellite, *self.satellites):
            if info.norad_id == norad_id:
                return display_name(info.norad_id, info.name)
        return display_name(self.satellite.norad_id, self.satellite.name)

    @property
    def several_satellites(self) -> bool:
        """Whether the list merges passes of more than one satellite."""
        return len({info.norad_id for info in self.satellites}) > 1
