"""The outlook: which evenings and mornings can have a visible pass, weeks to months ahead.

An element set that is weeks old no longer says *when* the station comes (the along-track error
grows as the square of the age: tens of minutes after a month), but it still knows the orbital
*plane* for months: the node precesses by J2 at a rate that station-keeping holds nearly
constant, and the inclination does not move. So the outlook treats the position along the orbit
as unknown and keeps everything else from the set:

* The ring: a circle of radius ``r_max`` (km) in the plane of inclination ``i`` and right
  ascension of the ascending node ``Omega(t) = Omega_epoch + rate * (t - epoch)`` (TEME),
  turned into the Earth-fixed frame by GMST (as :mod:`tiangong_orbit.orbit` does). ``rate`` is
  the median J2 nodal rate (SGP4's ``nodedot``) of the satellite's sets over the year before the
  set (the altitude that station-keeping holds: it beats the set's own rate after a month, when
  drag and reboosts have changed the altitude), or the set's own rate without such a history.
  ``r_max`` is the set's apogee radius plus :data:`RADIUS_MARGIN_KM` and a little more with
  age: a higher satellite is visible from more places and sunlit longer, so the highest radius
  gives the widest (honest) windows.
* The plane's drift: ``Omega`` is swept through ``±`` :func:`raan_margin_deg` (age), an
  envelope calibrated on the real history (every pair of Tiangong sets up to 730 days apart:
  the node predicted from the older set against the newer set's node;
  ``benchmarks/outlook_honesty.py`` prints the figures).
* The sweep: every :data:`STEP_S` seconds of each dark period, every point of the ring within
  the elevation limit of the place (:data:`ARC_STEP_DEG` apart) is tested: elevation at least
  ``min_visible_elevation_deg`` from the place (WGS84, geodetic up), sunlit (the Earth's shadow
  as a cylinder of radius ``orbit.SHADOW_EARTH_RADIUS_KM``, as skyfield's ``is_sunlit`` to
  0.004°), and the Sun at or below ``sun_max_altitude_deg`` at the place. The union over the
  ring is "a visible pass is possible at t". Its first and last times (padded by one step and
  the node sampling) are ``earliest`` and ``latest``; its highest elevation is the highest
  possible; and for every phase along the orbit (1° bins of the mean argument of latitude) the
  passes that phase would give are counted: the most over all phases is ``max_passes``.

Where the set is still good to about a minute (``uncertainty_s(age) <= exact_max_sigma_s``) a
period is ``exact``: its real passes from :mod:`tiangong_orbit.passes` are given instead.
Past :data:`HORIZON_DAYS` from the set's epoch (see its comment) a
period is ``unknown``: no honest window can be given.

Periods: each place's evenings run from local mean solar noon to solar midnight, its mornings
from solar midnight to solar noon; each is labelled with the civil date (in the place's zone) of
its middle. This module is pure: no printing, no clock, no network.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from datetime import date, datetime, timedelta
from typing import TYPE_CHECKING, Literal, NamedTuple

import numpy as np
from numpy.typing import NDArray

from tiangong_orbit import orbit
from tiangong_orbit.errors import UsageError
from tiangong_orbit.model import Pass, Settings
from tiangong_orbit.timeutil import check_range, from_unix
from tiangong_orbit.uncertainty import uncertainty_s

if TYPE_CHECKING:
    from tiangong_orbit.places import Place
    from tiangong_orbit.tle import ElementSet

FloatArray = NDArray[np.float64]
Kind = Literal["exact", "window", "unknown"]
PeriodName = Literal["evening", "morning"]

#: Time step (s) of the sweep: a visible pass of 20 s or more holds at least one sample.
STEP_S = 20.0
#: Spacing (deg) of the ring points tested along the orbit (the satellite moves 1.3° in 20 s).
ARC_STEP_DEG = 0.5
#: Spacing (deg) of the node values swept through the drift margin.
RAAN_STEP_DEG = 0.4
#: The node's drift envelope ``base + per_day * age`` (deg), calibrated on Tiangong's real
#: history 2021-2026 (977 sets; ``benchmarks/outlook_honesty.py --calibrate``): the largest
#: error of the predicted node over every pair of sets up to 730 days apart is under
#: ``0.2 + 0.0344 * age``; 0.036 keeps 5 % in hand. (At 30 days: 1.3°, 90 days: 3.4°.)
RAAN_MARGIN_BASE_DEG = 0.2
RAAN_MARGIN_DEG_PER_DAY = 0.036
#: Added to the apogee radius (km): SGP4's short-period J2 terms move the radius by up to
#: about ±7 km around the mean orbit; reboosts raise it later (up to +25 km over the history).
RADIUS_MARGIN_KM = 10.0
RADIUS_MARGIN_KM_PER_DAY = 0.3
RADIUS_MARGIN_MAX_KM = 35.0
#: The oldest age (days) of a set for which the outlook gives windows; beyond it a period is
#: ``unknown``. Containment is measured up to 365 days (``benchmarks/outlook_honesty.py``:
#: every real pass inside its window, from sets 30 to 365 days old) and the node's envelope up
#: to 730 days; 400 days covers a few weeks' window starting a year after the newest set, and
#: beyond it the outlook would claim more than anything measured shows.
HORIZON_DAYS = 400.0
#: A period is ``exact`` when the set's 1-sigma timing error there is at most this (s).
EXACT_MAX_SIGMA_S = 60.0
#: The visible intervals of consecutive passes over a place start at least the orbital period
#: less this (s) apart: measured over Tiangong's real passes 2022-2026 at four Pakistani cities,
#: the closest were 90.8 minutes apart for a period of 92.3 (1.5 minutes less); 5 minutes keeps
#: a margin.
PASS_GAP_SLACK_S = 300.0
#: The nodal rate from the history: sets this many days before the set, when they span at
#: least ``HISTORY_MIN_SPAN_DAYS``.
HISTORY_DAYS = 365.0
HISTORY_MIN_SPAN_DAYS = 30.0
#: Longest outlook accepted (days).
MAX_DAYS = 366.0

_SIDEREAL_RATE_DEG_S = 360.0 / 86164.0905


class Period(NamedTuple):
    """One evening or morning at one place, and what can be seen in it.

    (This and the other result types here are named tuples, defined in a sixth of the time of
    frozen dataclasses: 2.5 ms less for a run that shows the outlook.)

    ``possible`` is ``None`` for an ``unknown`` period. ``earliest``/``latest`` (aware UTC) bound
    every visible interval a pass can have (``None`` when no pass is possible);
    ``max_elevation_deg`` is the highest elevation a visible pass can reach, ``max_passes`` the
    most visible passes the period can hold (for ``exact``: the passes it holds, listed in
    ``passes``). ``tle_epoch`` is the epoch of the set the period was computed from and
    ``tle_age_days`` its distance from the period's middle.
    """

    date: date
    period: PeriodName
    start: datetime
    end: datetime
    kind: Kind
    possible: bool | None
    earliest: datetime | None
    latest: datetime | None
    max_elevation_deg: float | None
    max_passes: int
    tle_epoch: datetime
    tle_age_days: float
    passes: tuple[Pass, ...] = ()


class PlaceOutlook(NamedTuple):
    """The periods of one place, in time order."""

    place: Place
    periods: tuple[Period, ...]


class Outlook(NamedTuple):
    """The outlook of one satellite over several places in ``[start, end)``."""

    name: str
    norad_id: int
    start: datetime
    end: datetime
    settings: Settings
    places: tuple[PlaceOutlook, ...]
    tle_epochs: tuple[datetime, ...]


def raan_margin_deg(age_days: float) -> float:
    """Half-width (deg) of the node values swept for a set ``age_days`` from its epoch."""
    return RAAN_MARGIN_BASE_DEG + RAAN_MARGIN_DEG_PER_DAY * abs(age_days)


def nodal_rate_rad_s(element_set: ElementSet, history: Sequence[ElementSet] = ()) -> float:
    """The node's precession rate (rad/s) used for ``element_set``: the median SGP4 J2 rate of
    the sets in ``history`` from :data:`HISTORY_DAYS` before the set's epoch up to it, when they
    span :data:`HISTORY_MIN_SPAN_DAYS` or more, else the set's own rate."""
    window = [
        s
        for s in history
        if s.norad_id == element_set.norad_id
        and timedelta(0) <= element_set.epoch - s.epoch <= timedelta(days=HISTORY_DAYS)
    ]
    rates = [float(s.satrec.nodedot) for s in window]
    span = (
        (max(s.epoch for s in window) - min(s.epoch for s in window)).total_seconds() / 86400.0
        if window
        else 0.0
    )
    if span >= HISTORY_MIN_SPAN_DAYS:
        return _median(rates) / 60.0
    return float(element_set.satrec.nodedot) / 60.0  # rad/min -> rad/s


def _median(values: Sequence[float]) -> float:
    """The median of ``values``, the very number ``np.median`` gives (the mean of the middle two
    of an even count), without numpy 2's median, which imports ``numpy.ma``: 7 ms of a run."""
    ordered = sorted(values)
    middle = len(ordered) // 2
    if len(ordered) % 2:
        return ordered[middle]
    return (ordered[middle - 1] + ordered[middle]) / 2.0


def solar_periods(
    place: Place, start: datetime, end: datetime
) -> list[tuple[date, str, float, float]]:
    """The evenings and mornings overlapping ``[start, end)`` at ``place``: ``(civil date,
    "evening"|"morning", start, end)`` with POSIX seconds clipped to the window."""
    from zoneinfo import ZoneInfo

    tz = ZoneInfo(place.timezone)
    shift_s = place.longitude_deg * 240.0  # local mean solar time - UTC, seconds
    lo, hi = start.timestamp(), end.timestamp()
    first_day = math.floor((lo + shift_s) / 86400.0) - 1
    last_day = math.floor((hi + shift_s) / 86400.0) + 1
    found: list[tuple[date, str, float, float]] = []
    for day in range(first_day, last_day + 1):
        midnight = day * 86400.0 - shift_s  # solar midnight starting solar day ``day``
        for name, a, b in (
            ("morning", midnight, midnight + 43200.0),
            ("evening", midnight + 43200.0, midnight + 86400.0),
        ):
            a_clip, b_clip = max(a, lo), min(b, hi)
            if a_clip < b_clip:
                label = from_unix((a + b) / 2.0).astimezone(tz).date()
                found.append((label, name, a_clip, b_clip))
    return found


class _Windows(NamedTuple):
    possible: NDArray[np.bool_]
    earliest: FloatArray
    latest: FloatArray
    max_elevation_deg: FloatArray
    max_passes: NDArray[np.int64]


def _rows_dot(rows: FloatArray, vector: FloatArray) -> FloatArray:
    """``rows @ vector`` for (N, 3) rows, without BLAS (whose threads spin on a busy machine)."""
    return rows[:, 0] * vector[0] + rows[:, 1] * vector[1] + rows[:, 2] * vector[2]


def _terms(
    a_vec: FloatArray, b_vec: FloatArray, target: FloatArray, scale: FloatArray
) -> tuple[NDArray[np.float32], NDArray[np.float32]]:
    """Row-wise ``scale * (a . target)`` and ``scale * (b . target)`` as float32 (N,) arrays;
    ``target`` is one vector (3,) or one per row (N, 3)."""
    if target.ndim == 1:
        first, second = _rows_dot(a_vec, target), _rows_dot(b_vec, target)
    else:
        first = np.einsum("ij,ij->i", a_vec, target)
        second = np.einsum("ij,ij->i", b_vec, target)
    return (first * scale).astype(np.float32), (second * scale).astype(np.float32)


def _ring_sum(
    first: NDArray[np.float32],
    second: NDArray[np.float32],
    cos_s: NDArray[np.float32],
    sin_s: NDArray[np.float32],
    *,
    out: NDArray[np.float32],
    scratch: NDArray[np.float32],
) -> NDArray[np.float32]:
    """``cos_s[:, None] * first + sin_s[:, None] * second`` (ring offsets by rows) written into
    ``out``, ``scratch`` holding the second product: the same operations as the expression."""
    np.multiply(cos_s[:, None], first, out=out)
    np.multiply(sin_s[:, None], second, out=scratch)
    return np.add(out, scratch, out=out)


def _sweep(
    element_set: ElementSet,
    rate_rad_s: float,
    place: Place,
    periods: Sequence[tuple[float, float, float]],
    settings: Settings,
    table: orbit.FrameTable,
) -> _Windows:
    """The windows of ``periods`` ``(start, end, age_days)`` (POSIX s) at one place."""
    count = len(periods)
    earliest = np.full(count, np.nan)
    latest = np.full(count, np.nan)
    top = np.full(count, np.nan)
    passes = np.zeros(count, dtype=np.int64)
    if count == 0:
        return _Windows(np.zeros(0, bool), earliest, latest, top, passes)
    satrec = element_set.satrec
    a_km = float(satrec.a) * float(satrec.radiusearthkm)
    apogee_km = a_km * (1.0 + float(satrec.ecco))
    inclination = float(satrec.inclo)
    node0 = float(satrec.nodeo)
    epoch = element_set.epoch.timestamp()
    mean_motion_rad_s = float(satrec.no_kozai) / 60.0 + float(satrec.argpdot) / 60.0
    period_s = 2.0 * math.pi / mean_motion_rad_s
    observers = orbit.Observers.from_geodetic(
        [place.latitude_deg], [place.longitude_deg], [place.elevation_m]
    )
    p = observers.position_km[0]
    up = observers.up[0]
    p_norm = float(np.linalg.norm(p))
    p_up = float(p @ up)
    sin_min_el = math.sin(math.radians(settings.min_visible_elevation_deg))
    sin_sun_max = math.sin(math.radians(settings.sun_max_altitude_deg))
    # Times: multiples of STEP_S (so that results do not depend on how the window is cut).
    pieces = []
    owners = []
    for index, (a, b, _age) in enumerate(periods):
        grid = np.arange(math.ceil(a / STEP_S), math.floor((b - 1e-9) / STEP_S) + 1) * STEP_S
        pieces.append(grid)
        owners.append(np.full(len(grid), index, dtype=np.intp))
    t = np.concatenate(pieces)
    owner = np.concatenate(owners)
    ages = np.array([age for _a, _b, age in periods])
    r_max = apogee_km + np.minimum(
        RADIUS_MARGIN_KM + RADIUS_MARGIN_KM_PER_DAY * ages, RADIUS_MARGIN_MAX_KM
    )
    r_top = float(r_max.max())
    # The widest central angle at which the ring can be seen, and the Sun's lowest altitude
    # with the satellite sunlit there: cheap filters before the sweep.
    elev_min = math.radians(settings.min_visible_elevation_deg)
    # (On a sphere through the place; 0.01 rad more covers its geodetic up, 0.19° off at 31°N.)
    lam = math.acos(min(1.0, p_norm * math.cos(elev_min) / r_top)) - elev_min + 0.01
    sunlit_depth = math.acos(orbit.SHADOW_EARTH_RADIUS_KM / r_top)
    sin_sun_min = math.sin(-(sunlit_depth + lam + math.radians(1.0)))
    # GMST on the table's hourly nodes, unwrapped and interpolated: exact to microradians
    # (it is linear in time but for UT1 - UTC, which drifts by milliseconds a day).
    node_theta = np.unwrap(table.gmst_rad(table.grid_unix))
    margins = np.radians(raan_margin_deg(ages))
    sin_i, cos_i = math.sin(inclination), math.cos(inclination)
    p_hat = p / p_norm
    # Only the times the two filters below may keep go on (the same rows, the same values).
    candidate = _may_pass_filters(
        t,
        table,
        node_theta,
        up=up,
        sun_band=(sin_sun_min, sin_sun_max),
        plane=(node0, rate_rad_s, epoch, sin_i, cos_i, p_hat),
        plane_reach_rad=lam + float(margins.max()) + 0.01,
    )
    t, owner = t[candidate], owner[candidate]
    theta = np.interp(t, table.grid_unix, node_theta)
    sun = table.sun_itrs_at(t, theta)
    sun_hat = sun / np.linalg.norm(sun, axis=1)[:, None]
    sin_sun = _rows_dot(sun_hat, up)
    keep = (sin_sun <= sin_sun_max) & (sin_sun >= sin_sun_min)
    node = node0 + rate_rad_s * (t - epoch) - theta  # the node's Earth-fixed longitude
    # Angle of the place from the nominal plane: the drift margin can bring it at most that
    # much nearer (a rotation about the pole moves no direction by more than the angle).
    sin_node, cos_node = np.sin(node), np.cos(node)
    normal_dot = sin_i * (sin_node * p_hat[0] - cos_node * p_hat[1]) + cos_i * p_hat[2]
    keep &= np.abs(np.arcsin(np.clip(normal_dot, -1, 1))) <= lam + margins[owner] + 0.01
    t, owner, node, sun_hat = t[keep], owner[keep], node[keep], sun_hat[keep]
    sin_node, cos_node = sin_node[keep], cos_node[keep]
    # Offsets along the ring: multiples of ARC_STEP_DEG from the point nearest the place (so
    # the same night is sampled alike whatever else the span holds).
    reach = math.ceil(math.degrees(lam) / ARC_STEP_DEG)
    offsets_arc = np.radians(np.arange(-reach, reach + 1) * ARC_STEP_DEG)
    cos_s, sin_s = np.cos(offsets_arc), np.sin(offsets_arc)
    shadow_c = np.sqrt(1.0 - (orbit.SHADOW_EARTH_RADIUS_KM / r_max[owner]) ** 2)
    r_t = r_max[owner]
    best_sin = np.full(len(t), -2.0, dtype=np.float32)
    any_visible = np.zeros(len(t), dtype=bool)
    span = float(margins.max()) if len(margins) else 0.0
    cos_s32, sin_s32 = cos_s.astype(np.float32), sin_s.astype(np.float32)
    row_margin = margins[owner]
    # Each row's node at fixed multiples of RAAN_STEP_DEG inside its margin, and at the margin's
    # two ends (which set the window's edges) exactly: the same night gets the same window
    # whatever the span asked.
    step = math.radians(RAAN_STEP_DEG)
    count_steps = math.ceil(span / step)
    shifts: list[tuple[float, FloatArray | None]] = [
        (k * step, None) for k in range(-count_steps, count_steps + 1)
    ]
    shifts += [(0.0, -row_margin), (0.0, row_margin)]
    # Which rows a shift keeps (the place within lam of its plane) by the angle-sum formula:
    # dot(node + shift) = cos(shift) toward + sin(shift) across + cos(i) p_z, without a sine
    # and a cosine of every row for every shift (a 60-day outlook: 23 shifts of 100,000 rows).
    # It differs from the direct formula in the last bits only, where the place is lam from
    # the plane, and there no ring point is seen anyway (lam holds 0.01 rad in hand): the rows
    # kept then compute their node exactly as before, so the same bits come out.
    toward = sin_i * (sin_node * p_hat[0] - cos_node * p_hat[1])
    across = sin_i * (cos_node * p_hat[0] + sin_node * p_hat[1])
    cos_margin, sin_margin = np.cos(row_margin), np.sin(row_margin)
    sin_lam = math.sin(lam)
    chosen: list[tuple[float, FloatArray | None, NDArray[np.intp]]] = []
    for fixed, per_row in shifts:
        if per_row is None and not (abs(fixed) < row_margin).any():
            continue
        if per_row is None:
            dot = toward * math.cos(fixed) + across * math.sin(fixed)
        else:
            dot = toward * cos_margin + across * np.copysign(sin_margin, per_row)
        inside = np.abs(dot + cos_i * p_hat[2]) <= sin_lam
        if per_row is None:
            inside &= abs(fixed) < row_margin
        if inside.any():
            chosen.append((fixed, per_row, np.flatnonzero(inside)))
    # Reused by every shift: fresh temporaries for each expression took a third of the sweep
    # (allocation and first touch of their pages). With the offsets-first layout below, the
    # sweep of a 10-day outlook for Lahore takes 25 ms instead of 44 ms; the same bits.
    # Made once, for the most rows one shift keeps (growing them shift by shift touched fresh
    # pages again each time: a 60-day outlook faulted 11,800 pages instead of 7,100; their
    # row indices, kept meanwhile, are 3 MB).
    most_rows = max((len(index_rows) for _f, _r, index_rows in chosen), default=0)
    grids = [np.empty(len(offsets_arc) * most_rows, dtype=np.float32) for _ in range(3)]
    masks = [np.empty(len(offsets_arc) * most_rows, dtype=bool) for _ in range(2)]
    for fixed, per_row, index_rows in chosen:
        ni = node[index_rows] + (fixed if per_row is None else per_row[index_rows])
        si = sun_hat[index_rows]
        ri, ci = r_t[index_rows], shadow_c[index_rows]
        cos_n, sin_n = np.cos(ni), np.sin(ni)
        # The plane's basis, Earth-fixed: n toward the node, m 90° along the orbit.
        n_vec = np.stack((cos_n, sin_n, np.zeros_like(ni)), axis=-1)
        m_vec = np.stack((-sin_n * cos_i, cos_n * cos_i, np.full_like(ni, sin_i)), axis=-1)
        n_p, m_p = _rows_dot(n_vec, p), _rows_dot(m_vec, p)
        u_near = np.arctan2(m_p, n_p)
        cu0, su0 = np.cos(u_near), np.sin(u_near)
        # In the basis turned to the ring point nearest the place (a, b), a ring point at
        # offset s along the orbit is cos(s) a + sin(s) b: each dot product is two terms.
        a_vec = cu0[:, None] * n_vec + su0[:, None] * m_vec
        b_vec = -su0[:, None] * n_vec + cu0[:, None] * m_vec

        up_a, up_b = _terms(a_vec, b_vec, up, ri)
        p_a, p_b = _terms(a_vec, b_vec, p, 2.0 * ri)
        sun_a, sun_b = _terms(a_vec, b_vec, si, np.ones_like(ri))
        # The (offsets, rows) grids, in place in the buffers, by the same float32 operations in
        # the same order as the plain expressions (the same bits):
        #   sin_el = (up_a cos + up_b sin - p.up) / sqrt(|r|^2 + |p|^2 - (p_a cos + p_b sin))
        #   shade = sun_a cos + sun_b sin;  visible = shade >= -c and sin_el >= sin(min el).
        # Offsets first: numpy's inner loops then run along the rows (hundreds to thousands),
        # not along the few dozen offsets.
        size = len(offsets_arc) * len(index_rows)
        sin_el, work, scratch = (b[:size].reshape(len(offsets_arc), -1) for b in grids)
        visible, other = (b[:size].reshape(len(offsets_arc), -1) for b in masks)
        _ring_sum(up_a, up_b, cos_s32, sin_s32, out=sin_el, scratch=scratch)
        np.subtract(sin_el, np.float32(p_up), out=sin_el)  # the height above the place
        _ring_sum(p_a, p_b, cos_s32, sin_s32, out=work, scratch=scratch)
        np.subtract((ri * ri + p_norm**2).astype(np.float32), work, out=work)
        np.sqrt(work, out=work)  # the distance
        np.divide(sin_el, work, out=sin_el)
        shade = _ring_sum(sun_a, sun_b, cos_s32, sin_s32, out=work, scratch=scratch)
        np.greater_equal(shade, -ci.astype(np.float32), out=visible)
        np.greater_equal(sin_el, sin_min_el, out=other)
        np.logical_and(visible, other, out=visible)
        rows = visible.any(axis=0)
        if not rows.any():
            continue
        any_visible[index_rows[rows]] = True
        np.logical_not(visible, out=other)
        np.copyto(sin_el, np.float32(-2.0), where=other)
        best_sin[index_rows] = np.maximum(best_sin[index_rows], sin_el.max(axis=0))
    pad = STEP_S + (RAAN_STEP_DEG / 2.0) / _SIDEREAL_RATE_DEG_S
    hits = np.flatnonzero(any_visible)
    if len(hits):
        o = owner[hits]
        th = t[hits]
        first = np.full(count, np.inf)
        last = np.full(count, -np.inf)
        np.minimum.at(first, o, th)
        np.maximum.at(last, o, th)
        best = np.full(count, -2.0)
        np.maximum.at(best, o, best_sin[hits])
        found = np.isfinite(first)
        bounds = np.array([(a, b) for a, b, _g in periods])
        earliest[found] = np.maximum(first[found] - pad, bounds[found, 0])
        latest[found] = np.minimum(last[found] + pad, bounds[found, 1])
        top[found] = np.degrees(np.arcsin(np.clip(best[found], -1, 1)))
    possible = np.isfinite(earliest)
    # Passes of one phase along the orbit come at least a period less PASS_GAP_SLACK_S apart,
    # and each one's visible interval lies inside [earliest, latest]: that bounds how many a
    # period can hold.
    gap_s = period_s - PASS_GAP_SLACK_S
    passes[possible] = 1 + np.floor((latest[possible] - earliest[possible]) / gap_s)
    return _Windows(possible, earliest, latest, top, passes)


#: Spacing (s) of the coarse samples that pick the sweep's candidate times (see
#: :func:`_may_pass_filters`).
COARSE_STEP_S = 600.0
#: The fastest that the Sun's altitude sine and the place's sine from the orbit's plane change
#: (per second): both directions turn with the Earth (7.29e-5 rad/s) plus the Sun's motion or
#: the node's precession (under 1.3e-6 rad/s); 8e-5 keeps a tenth in hand.
_FASTEST_SINE_RATE_PER_S = 8e-5


def _may_pass_filters(
    t: FloatArray,
    table: orbit.FrameTable,
    node_theta: FloatArray,
    *,
    up: FloatArray,
    sun_band: tuple[float, float],
    plane: tuple[float, float, float, float, float, FloatArray],
    plane_reach_rad: float,
) -> NDArray[np.bool_]:
    """Which of the times ``t`` the sweep's two filters may keep: the Sun's altitude sine in
    ``sun_band`` (low, high) and the place within ``plane_reach_rad`` of the orbit's plane.

    Both are evaluated every :data:`COARSE_STEP_S` seconds only, the same way as the sweep
    evaluates them, and a time is kept when its nearest coarse sample passes with the most that
    either sine can change in half a step (:data:`_FASTEST_SINE_RATE_PER_S`): a superset of
    the times the filters keep, so the sweep keeps the very same rows and computes them alike
    (its operations are element by element). With it, one 60-day outlook of Lahore takes
    about 30 ms less CPU (205 -> 175 ms, in process, the allocator's warm-up included).
    ``plane`` is ``(node at the epoch rad, node rate rad/s, epoch POSIX s, sin i, cos i, the
    place's unit vector)``.
    """
    if len(t) == 0:
        return np.zeros(0, dtype=bool)
    first = math.floor(float(t.min()) / COARSE_STEP_S) * COARSE_STEP_S
    coarse = np.arange(first, float(t.max()) + COARSE_STEP_S, COARSE_STEP_S)
    slack = _FASTEST_SINE_RATE_PER_S * COARSE_STEP_S / 2.0
    theta = np.interp(coarse, table.grid_unix, node_theta)
    sun = table.sun_itrs_at(coarse, theta)
    sin_sun = _rows_dot(sun / np.linalg.norm(sun, axis=1)[:, None], up)
    low, high = sun_band
    passing = (sin_sun - slack <= high) & (sin_sun + slack >= low)
    if plane_reach_rad < math.pi / 2.0:
        node0, rate_rad_s, epoch, sin_i, cos_i, p_hat = plane
        node = node0 + rate_rad_s * (coarse - epoch) - theta
        normal_dot = sin_i * (np.sin(node) * p_hat[0] - np.cos(node) * p_hat[1]) + cos_i * p_hat[2]
        passing &= np.abs(normal_dot) - slack <= math.sin(plane_reach_rad)
    nearest = np.rint((t - first) / COARSE_STEP_S).astype(np.intp)
    return passing[np.minimum(nearest, len(coarse) - 1)]


def _nearest(candidates: Sequence[ElementSet], epochs_unix: FloatArray, t: float) -> ElementSet:
    """The set whose epoch is nearest ``t`` (the newer one on a tie, as ``tle.nearest_set``)."""
    index = int(np.searchsorted(epochs_unix, t))
    if index == 0:
        return candidates[0]
    if index == len(candidates):
        return candidates[-1]
    before, after = t - epochs_unix[index - 1], epochs_unix[index] - t
    return candidates[index] if after <= before else candidates[index - 1]


def compute_outlook(
    sets: Sequence[ElementSet],
    norad_id: int,
    places: Sequence[Place],
    start: datetime,
    end: datetime,
    settings: Settings = Settings(),  # noqa: B008 - an immutable named tuple
    *,
    exact_max_sigma_s: float = EXACT_MAX_SIGMA_S,
) -> Outlook:
    """The outlook of satellite ``norad_id`` over ``places`` for the periods in ``[start, end)``.

    ``sets`` are the element sets available (any satellites; history welcome: it gives the
    held nodal rate); each period uses the set whose epoch is nearest its middle. Raises
    :class:`UsageError` for a bad window and :class:`~tiangong_orbit.errors.NoElementSetError`
    when there is no set of ``norad_id``.
    """
    from tiangong_orbit import passes as pass_engine
    from tiangong_orbit import tle

    for label, moment in (("start", start), ("end", end)):
        if moment.tzinfo is None:
            raise UsageError(f"the outlook {label} must be a timezone-aware datetime")
        check_range(moment, option=label, window_end=label == "end")
    days = (end - start).total_seconds() / 86400.0
    if not 0 < days <= MAX_DAYS + 1:
        raise UsageError(f"the outlook spans {days:g} days; expected more than 0, at most 366")
    candidates = tle.sets_for(sets, norad_id)
    if not candidates:
        tle.nearest_set(candidates, norad_id, start)  # raises NoElementSetError
    name = candidates[-1].name
    epochs_unix = np.array([s.epoch.timestamp() for s in candidates])
    per_place = [solar_periods(place, start, end) for place in places]
    chosen: list[list[tuple[ElementSet, float, Kind]]] = []
    for periods in per_place:
        row = []
        for _label, _name, a, b in periods:
            middle = from_unix((a + b) / 2.0)
            element_set = _nearest(candidates, epochs_unix, (a + b) / 2.0)
            age = element_set.age_days(middle)
            kind: Kind
            if age > HORIZON_DAYS:
                kind = "unknown"
            elif uncertainty_s(age) <= exact_max_sigma_s:
                kind = "exact"
            else:
                kind = "window"
            row.append((element_set, age, kind))
        chosen.append(row)
    # Exact periods: the real passes, each from the set nearest it.
    exact_spans = [
        (a, b)
        for periods, row in zip(per_place, chosen, strict=True)
        for (_l, _n, a, b), (_s, _g, kind) in zip(periods, row, strict=True)
        if kind == "exact"
    ]
    exact_passes: list[list[Pass]] = [[] for _ in places]
    if exact_spans:
        low = from_unix(min(a for a, _b in exact_spans))
        high = from_unix(max(b for _a, b in exact_spans))
        stretches = tle.nearest_segments(candidates, norad_id, low, high)
        found = pass_engine.find_passes_over_sets(stretches, places, settings)
        exact_passes = [list(group.passes) for group in found]
    # Window periods: one sweep per place and set.
    results: list[list[Period | None]] = [[None] * len(p) for p in per_place]
    used: set[datetime] = set()
    by_set: dict[datetime, list[tuple[int, int]]] = {}
    for pi, row in enumerate(chosen):
        for qi, (element_set, _age, kind) in enumerate(row):
            used.add(element_set.epoch)
            if kind == "window":
                by_set.setdefault(element_set.epoch, []).append((pi, qi))
    set_of = {s.epoch: s for s in candidates}
    if by_set:
        # The sweep's temporaries (up to megabytes) from the heap, not fresh pages: as the
        # pass search does it (10-day outlook of Lahore: 2,900 page faults instead of 4,500).
        pass_engine.raise_allocator_threshold()
    for epoch, members in by_set.items():
        element_set = set_of[epoch]
        rate = nodal_rate_rad_s(element_set, candidates)
        lo = min(per_place[pi][qi][2] for pi, qi in members)
        hi = max(per_place[pi][qi][3] for pi, qi in members)
        table = orbit.FrameTable.for_span(lo, hi, sun_step_s=21600.0)
        for pi in sorted({pi for pi, _qi in members}):
            mine = [qi for p2, qi in members if p2 == pi]
            spans = [(per_place[pi][qi][2], per_place[pi][qi][3], chosen[pi][qi][1]) for qi in mine]
            windows = _sweep(element_set, rate, places[pi], spans, settings, table)
            for n, qi in enumerate(mine):
                label, period_name, a, b = per_place[pi][qi]
                possible = bool(windows.possible[n])
                results[pi][qi] = Period(
                    date=label,
                    period=period_name,  # type: ignore[arg-type]
                    start=from_unix(a),
                    end=from_unix(b),
                    kind="window",
                    possible=possible,
                    earliest=from_unix(float(windows.earliest[n])) if possible else None,
                    latest=from_unix(float(windows.latest[n])) if possible else None,
                    max_elevation_deg=(
                        round(float(windows.max_elevation_deg[n]), 1) if possible else None
                    ),
                    max_passes=int(windows.max_passes[n]) if possible else 0,
                    tle_epoch=element_set.epoch,
                    tle_age_days=chosen[pi][qi][1],
                )
    outlooks = []
    for pi, place in enumerate(places):
        periods_out: list[Period] = []
        for qi, (label, period_name, a, b) in enumerate(per_place[pi]):
            element_set, age, kind = chosen[pi][qi]
            result = results[pi][qi]
            if result is None and kind == "exact":
                mine = tuple(
                    p
                    for p in exact_passes[pi]
                    if p.visible_start is not None and a <= p.visible_start.time.timestamp() < b
                )
                peaks = [p.visible_peak.elevation_deg for p in mine if p.visible_peak]
                result = Period(
                    date=label,
                    period=period_name,  # type: ignore[arg-type]
                    start=from_unix(a),
                    end=from_unix(b),
                    kind="exact",
                    possible=bool(mine),
                    earliest=min(p.visible_start.time for p in mine) if mine else None,  # type: ignore[union-attr]
                    latest=max(p.visible_end.time for p in mine) if mine else None,  # type: ignore[union-attr]
                    max_elevation_deg=round(max(peaks), 1) if peaks else None,
                    max_passes=len(mine),
                    tle_epoch=element_set.epoch,
                    tle_age_days=age,
                    passes=mine,
                )
            elif result is None:
                result = Period(
                    date=label,
                    period=period_name,  # type: ignore[arg-type]
                    start=from_unix(a),
                    end=from_unix(b),
                    kind="unknown",
                    possible=None,
                    earliest=None,
                    latest=None,
                    max_elevation_deg=None,
                    max_passes=0,
                    tle_epoch=element_set.epoch,
                    tle_age_days=age,
                )
            periods_out.append(result)
        outlooks.append(PlaceOutlook(place, tuple(periods_out)))
    return Outlook(
        name=name,
        norad_id=norad_id,
        start=start,
        end=end,
        settings=settings,
        places=tuple(outlooks),
        tle_epochs=tuple(sorted(used)),
    )
