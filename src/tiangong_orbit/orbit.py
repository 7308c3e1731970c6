"""Propagation and geometry: SGP4 to the Earth-fixed frame, WGS84 altitude, the Sun, references.

Frames and units: SGP4 gives TEME positions (km) and velocities (km/s); one rotation by the
Greenwich mean sidereal time of 1982 (AIAA 2006-6753, Appendix C; skyfield's
``theta_GMST1982``) turns them into the pseudo-Earth-fixed frame, which we use as ITRS (polar
motion, below 0.5 arcsecond, is neglected, as skyfield's built-in timescale does). Times are
float64 arrays of POSIX seconds, UTC. Angles are degrees at the interfaces, radians inside.
"""

from __future__ import annotations

import functools
import math
from datetime import datetime
from typing import TYPE_CHECKING, Any, NamedTuple

import numpy as np
from numpy.typing import NDArray
from sgp4.api import SGP4_ERRORS, Satrec

from tiangong_orbit.errors import PropagationError
from tiangong_orbit.timeutil import SECONDS_PER_DAY, UNIX_EPOCH_JD, to_unix

if TYPE_CHECKING:
    from tiangong_orbit.altitude import AltitudeReport, Reference

FloatArray = NDArray[np.float64]

# WGS84 ellipsoid (NIMA TR8350.2).
WGS84_A_KM = 6378.137
WGS84_F = 1.0 / 298.257223563
WGS84_E2 = WGS84_F * (2.0 - WGS84_F)
#: Earth's radius used for the shadow test, as skyfield's ``is_sunlit`` (IERS 2010) uses.
SHADOW_EARTH_RADIUS_KM = 6378.1366

#: Reference altitudes (km) that Tiangong is compared with; sources in the README.
KARMAN_LINE_KM = 100.0
NAMIRA_SALIM_2023_KM = 87.4
US_SPACE_BOUNDARY_KM = 80.0
#: Tiangong's design orbit, 340-450 km (China Manned Space Agency); news reports quote 450 km.
TIANGONG_DESIGN_MIN_KM = 340.0
TIANGONG_DESIGN_MAX_KM = 450.0


# --------------------------------------------------------------------------------------------
# Time scales and the Sun (skyfield, imported lazily: cron pays only for what it uses)


@functools.cache
def timescale() -> Any:
    """Skyfield's timescale from the data built into skyfield itself: nothing is downloaded.

    Built as ``skyfield.api.load.timescale(builtin=True)`` builds it (the bundled ``iers.npz``:
    daily TT and Delta T, leap seconds), without importing ``skyfield.api``, whose file loader
    brings in urllib, ssl, http and email: some 70 modules and 40 ms of every start.
    """
    from skyfield.functions import load_bundled_npy
    from skyfield.timelib import Timescale

    arrays = load_bundled_npy("iers.npz")
    daily_tt = arrays["tt_jd_minus_arange"]
    daily_tt += np.arange(len(daily_tt))
    daily_delta_t = (arrays["delta_t_1e7"] / 1e7).round(7)
    return Timescale((daily_tt, daily_delta_t), arrays["leap_dates"], arrays["leap_offsets"])


@functools.cache
def ephemeris() -> Any:
    """JPL DE421 (1900-2050) from the skyfield-data package: nothing is downloaded.

    We open ``de421.bsp`` by path rather than through ``skyfield_data.get_skyfield_data_path``:
    that function warns that the package's ``finals2000A.all`` Earth-orientation file has
    expired, a file we never read (UT1 comes from skyfield's own built-in tables). The path is
    taken from the package's ``__file__``, as ``importlib.resources.files`` would give it,
    without importing ``importlib.resources`` (2 ms).
    """
    import atexit
    from pathlib import Path

    import skyfield_data
    from skyfield.jpllib import SpiceKernel  # what skyfield.api.load_file opens a .bsp with

    kernel = SpiceKernel(str(Path(skyfield_data.__file__).parent / "data" / "de421.bsp"))
    atexit.register(kernel.close)  # the kernel keeps its file open for memory mapping
    return kernel


def skyfield_times(t_unix: FloatArray) -> Any:
    """A skyfield ``Time`` array for POSIX seconds UTC (days passed separately, so that skyfield
    applies the leap seconds of each date rather than counting them from 1970)."""
    t_unix = np.asarray(t_unix, dtype=float)
    days = np.floor(t_unix / SECONDS_PER_DAY)
    return timescale().utc(1970, 1, 1 + days, 0, 0, t_unix - days * SECONDS_PER_DAY)


def julian_dates(t_unix: FloatArray) -> tuple[FloatArray, FloatArray]:
    """Split POSIX seconds (UTC) into a whole Julian date and a day fraction, as SGP4 wants.

    The fraction is the seconds since the day's start, which floating point subtracts
    exactly, divided by 86400: one rounding of a number below one, so the pair names the
    float64 instant ``t_unix`` itself to 1e-11 s. (Dividing the POSIX seconds by 86400 first
    rounded the instant to a float64 count of days since 1970, about 20,000 in this century:
    to 0.16 us, 1.2 mm of track; in a 10 ms central difference that is 0.1 m/s of noise.)
    The fraction may be a rounding below 0 or at 1 at a day's edge, which SGP4 and
    :func:`gmst1982_rad` take as they are.
    """
    t_unix = np.asarray(t_unix, dtype=float)
    whole_days = np.floor(t_unix / SECONDS_PER_DAY)
    fraction = (t_unix - whole_days * SECONDS_PER_DAY) / SECONDS_PER_DAY
    return UNIX_EPOCH_JD + whole_days, fraction


def _hour_grid(start_unix: float, stop_unix: float) -> FloatArray:
    """Whole hours (POSIX seconds) from before ``start_unix`` to past ``stop_unix``."""
    start = math.floor(start_unix / 3600.0) * 3600.0
    stop = math.ceil(stop_unix / 3600.0) * 3600.0 + 3600.0
    return np.arange(start, stop + 1.0, 3600.0)


class FrameTable(NamedTuple):
    """UT1 - UTC and the Sun over a span, computed once on nodes and interpolated linearly.

    Building a skyfield ``Time`` and evaluating JPL DE421 costs milliseconds per call; a pass
    search asks for GMST and the Sun many times over one window, so :meth:`for_span` asks
    skyfield once for all the nodes. UT1 - UTC is tabulated every hour (it drifts by
    milliseconds a day: exact to microseconds). The Sun, the geometric Earth-to-Sun vector in
    the TEME frame (km), every ``sun_step_s`` (hourly by default): it turns by 0.04° an hour
    there, so linear interpolation errs in direction by below 1e-7 rad even with 6-hour nodes
    (measured: 3e-8 rad; the chord shortens the vector by 2e-6 of its length, which no
    direction depends on).
    ``sun_teme_km`` is NaN when the table was built with ``sun=False``. Build it with
    :meth:`for_span`, which also sums up the leap seconds (``leaps_s``).
    """

    grid_unix: FloatArray
    dut1_s: FloatArray
    sun_grid_unix: FloatArray
    sun_teme_km: FloatArray
    # The leap seconds summed up to each node (None: none in the span): _leap_steps_s(dut1_s).
    # Required, so that no table is made without them (dut1_s jumps by a second at each).
    leaps_s: FloatArray | None

    @classmethod
    def for_span(
        cls, start_unix: float, stop_unix: float, *, sun: bool = True, sun_step_s: float = 3600.0
    ) -> FrameTable:
        """Nodes from before ``start_unix`` to past ``stop_unix``.

        ``sun=False`` skips the ephemeris: GMST-only callers do not pay for opening DE421.
        ``sun_step_s`` (a multiple of an hour) spaces the Sun's nodes: each costs a nutation
        evaluation (about 50 us).
        """
        grid = _hour_grid(start_unix, stop_unix)
        t = skyfield_times(grid)
        dut1 = np.atleast_1d(np.asarray(t.dut1, dtype=float))
        leaps = _leap_steps_s(dut1)
        if not sun:
            return cls(grid, dut1, grid, np.full((len(grid), 3), np.nan), leaps)
        every = max(1, round(sun_step_s / 3600.0))
        if every == 1:
            return cls(grid, dut1, grid, _sun_teme_km_at(t), leaps)
        start = math.floor(start_unix / (3600.0 * every)) * 3600.0 * every
        sun_grid = np.arange(start, grid[-1] + 3600.0 * every + 1.0, 3600.0 * every)
        return cls(grid, dut1, sun_grid, _sun_teme_km_at(skyfield_times(sun_grid)), leaps)

    def dut1_seconds(self, t_unix: FloatArray) -> FloatArray:
        """UT1 - UTC (s) at POSIX seconds UTC, interpolated between the hourly nodes.

        A leap second makes UT1 - UTC jump by one second at the midnight that ends its day (a
        node of the hourly grid): the jumps are taken out before interpolating and put back as
        steps at their node, so the hour before a leap second is not a one-second ramp.
        """
        t_unix = np.asarray(t_unix, dtype=float)
        grid, dut1, leaps = self.grid_unix, self.dut1_s, self.leaps_s
        if leaps is None:
            return np.interp(t_unix, grid, dut1)
        smooth = np.interp(t_unix, grid, dut1 - leaps)
        # The step belongs to the node where it is first seen: a time at or after it has it.
        index = np.clip(np.searchsorted(grid, t_unix, side="right") - 1, 0, len(grid) - 1)
        return smooth + leaps[index]

    def gmst_rad(self, t_unix: FloatArray) -> FloatArray:
        """Greenwich mean sidereal time 1982 (radians) at POSIX seconds UTC, via UT1."""
        t_unix = np.asarray(t_unix, dtype=float)
        whole, fraction = julian_dates(t_unix + self.dut1_seconds(t_unix))
        return gmst1982_rad(whole, fraction)

    def sun_teme_at(self, t_unix: FloatArray) -> FloatArray:
        """Geometric Earth-to-Sun vector (N, 3), km, TEME frame, interpolated."""
        t_unix = np.atleast_1d(np.asarray(t_unix, dtype=float))
        nodes = self.sun_teme_km
        return np.stack([np.interp(t_unix, self.sun_grid_unix, nodes[:, k]) for k in range(3)], -1)

    def sun_itrs_at(self, t_unix: FloatArray, theta_rad: FloatArray | None = None) -> FloatArray:
        """Geometric Earth-to-Sun vector (N, 3), km, Earth-fixed frame (as :func:`sun_itrs_km`);
        ``theta_rad`` is GMST at the times, computed when omitted."""
        t_unix = np.atleast_1d(np.asarray(t_unix, dtype=float))
        theta = self.gmst_rad(t_unix) if theta_rad is None else theta_rad
        return teme_to_itrs(self.sun_teme_at(t_unix), theta)


def _leap_steps_s(dut1_s: FloatArray) -> FloatArray | None:
    """The leap seconds summed up to each node of an hourly UT1 - UTC table (None: none)."""
    jumps = np.zeros(len(dut1_s))
    jumps[1:] = np.round(np.diff(dut1_s))  # whole seconds: leap seconds, nothing else
    return np.cumsum(jumps) if jumps.any() else None


#: J2000.0 as a Julian date, the origin of the 1982 sidereal-time polynomial.
J2000_JD = 2451545.0


def _unit_remainder(x: FloatArray) -> FloatArray:
    """``x % 1.0``, bit for bit: numpy takes ``fmod`` (exact: ``x - trunc(x)``) and adds one
    where that is negative, one rounding of the same number ``x - floor(x)`` is; zeros come
    out as +0.0 either way. Six times cheaper than ``%``."""
    return x - np.floor(x)


def gmst1982_rad(jd_ut1: FloatArray, fraction_ut1: FloatArray) -> FloatArray:
    """Greenwich mean sidereal time 1982 (radians, in [0, 2 pi)) at the UT1 Julian date
    ``jd_ut1 + fraction_ut1``: the angle from SGP4's TEME frame to the pseudo-Earth-fixed
    frame (AIAA 2006-6753, Appendix C).

    The same operations, in the same order, as skyfield's ``theta_GMST1982`` (whose rate we
    do not need), so the same bits, which a test checks; the remainders taken as
    :func:`_unit_remainder` takes them. Half the time (measured: 2.8 against 5.9 ms for
    100,000 times), and ``skyfield.sgp4lib`` (with the vector and position modules it
    imports, 4 ms) is not imported for it.
    """
    jd_ut1 = np.asarray(jd_ut1, dtype=float)
    t = (jd_ut1 - J2000_JD + fraction_ut1) / 36525.0
    g = 67310.54841 + (8640184.812866 + (0.093104 + (-6.2e-6) * t) * t) * t
    turns = _unit_remainder(
        _unit_remainder(jd_ut1) + fraction_ut1 + _unit_remainder(g / SECONDS_PER_DAY)
    )
    return turns * (2.0 * math.pi)


def dut1_seconds(t_unix: FloatArray) -> FloatArray:
    """UT1 - UTC in seconds from skyfield's built-in IERS tables (extrapolated past them)."""
    t_unix = np.asarray(t_unix, dtype=float)
    if t_unix.size == 0:
        return np.zeros(0)
    # UT1 - UTC drifts by milliseconds a day: sampling it hourly and interpolating is exact
    # to microseconds and spares building a skyfield Time for every sample.
    table = FrameTable.for_span(float(t_unix.min()), float(t_unix.max()), sun=False)
    return table.dut1_seconds(t_unix)


def gmst_rad(t_unix: FloatArray) -> FloatArray:
    """Greenwich mean sidereal time 1982 (radians) at POSIX seconds UTC, via UT1."""
    t_unix = np.asarray(t_unix, dtype=float)
    if t_unix.size == 0:
        return np.zeros(0)
    table = FrameTable.for_span(float(t_unix.min()), float(t_unix.max()), sun=False)
    return table.gmst_rad(t_unix)


def teme_to_itrs(vectors_teme: FloatArray, theta_rad: FloatArray) -> FloatArray:
    """Rotate (N, 3) TEME vectors about z by GMST ``theta_rad`` (N,) into the Earth-fixed frame."""
    return _turn(vectors_teme, np.cos(theta_rad), np.sin(theta_rad))


def _turn(vectors: FloatArray, cos_t: FloatArray, sin_t: FloatArray) -> FloatArray:
    """:func:`teme_to_itrs` with the angle's cosine and sine given."""
    x, y = vectors[:, 0], vectors[:, 1]
    out = np.empty(np.shape(vectors), dtype=float)
    out[:, 0] = cos_t * x + sin_t * y
    out[:, 1] = -sin_t * x + cos_t * y
    out[:, 2] = vectors[:, 2]
    return out


# --------------------------------------------------------------------------------------------
# The satellite


def propagate_teme(satrec: Satrec, t_unix: FloatArray) -> tuple[FloatArray, FloatArray]:
    """SGP4 TEME position (km) and velocity (km/s), each (N, 3), at POSIX seconds UTC.

    Raises :class:`PropagationError` (exit 3) when SGP4 fails at any of the times: the error
    codes 1-6 of python-sgp4 (decay, eccentricity out of range...) or non-finite output.
    """
    t_unix = np.atleast_1d(np.asarray(t_unix, dtype=float))
    whole, fraction = julian_dates(t_unix)
    errors, r, v = satrec.sgp4_array(whole, fraction)
    # Whole-array tests first (a row-wise ``all`` over (N, 3) costs five times more), the
    # first bad time looked for only when there is one.
    if errors.any() or not np.isfinite(r).all():
        bad = (errors != 0) | ~np.isfinite(r).all(axis=1)
        index = int(np.argmax(bad))
        code = int(errors[index])
        from tiangong_orbit.timeutil import from_unix, iso_z

        when = iso_z(from_unix(float(t_unix[index])), 0)
        reason = SGP4_ERRORS.get(code, "non-finite position") if code else "non-finite position"
        if code == 6:
            reason = "the satellite has decayed (its orbit reaches the Earth's surface)"
        raise PropagationError(
            f"this element set cannot describe the orbit at {when}: SGP4 cannot propagate it "
            f"there (error {code}: {reason}); use an element set nearer that time"
        )
    check_physical(satrec, t_unix, r, v)
    return r, v


# --------------------------------------------------------------------------------------------
# The physics check: SGP4 can return error code 0 with a state that is no orbit at all (absurd
# drag terms, an epoch read in the wrong century); such a state is refused, never printed.

#: Lowest geodetic height (km) a propagated state may have: below about 80 km (the US space
#: boundary) nothing stays in orbit for even one revolution.
LOWEST_ORBIT_KM = US_SPACE_BOUNDARY_KM
#: How far (km) the distance from the Earth's centre, and the semi-major axis the state
#: implies (vis-viva), may stray outside the set's own perigee and apogee distances: SGP4's
#: short-period terms move a state by about 10 km, and weeks of real drag lower a low orbit by
#: tens; anything beyond this is not the orbit the set describes.
ORBIT_MARGIN_KM = 250.0


def check_physical(
    satrec: Satrec, t_unix: FloatArray, r_teme_km: FloatArray, v_teme_km_s: FloatArray
) -> None:
    """Refuse SGP4 states (TEME, (N, 3) km and km/s, at POSIX seconds ``t_unix``) that no orbit
    of this element set can have: geodetic height below :data:`LOWEST_ORBIT_KM`, distance from
    the Earth's centre more than :data:`ORBIT_MARGIN_KM` outside the set's own perigee and
    apogee distances (mean elements), or a speed that is not of a bound orbit with such a
    semi-major axis (vis-viva: ``v**2 = mu (2/r - 1/a)``; Vallado, *Fundamentals of
    Astrodynamics*, eq. 1-31). Raises :class:`PropagationError` (exit 3) naming the first bad
    time; ``--allow-stale`` does not lift it.
    """
    radius_km = np.sqrt(np.einsum("ij,ij->i", r_teme_km, r_teme_km))
    speed2 = np.einsum("ij,ij->i", v_teme_km_s, v_teme_km_s)
    mu = float(satrec.mu)
    a_km = float(satrec.a) * float(satrec.radiusearthkm)
    lowest_km = a_km * (1.0 - float(satrec.ecco)) - ORBIT_MARGIN_KM
    highest_km = a_km * (1.0 + float(satrec.ecco)) + ORBIT_MARGIN_KM
    with np.errstate(divide="ignore", invalid="ignore"):
        inverse_a = 2.0 / radius_km - speed2 / mu  # 1/a from vis-viva; <= 0: not bound
    bad = (radius_km < lowest_km) | (radius_km > highest_km)
    bad |= ~(inverse_a * highest_km >= 1.0) | ~(inverse_a * lowest_km <= 1.0)
    near_ground = radius_km < WGS84_A_KM + LOWEST_ORBIT_KM
    if near_ground.any():
        index = np.flatnonzero(near_ground)
        bad[index] |= geodetic(r_teme_km[index])[2] < LOWEST_ORBIT_KM
    if not bad.any():
        return
    i = int(np.argmax(bad))
    from tiangong_orbit.timeutil import from_unix, iso_z

    when = iso_z(from_unix(float(t_unix[i])), 0)
    height = float(geodetic(r_teme_km[i : i + 1])[2][0])
    perigee_km, apogee_km = mean_perigee_apogee_km(satrec)
    if height < LOWEST_ORBIT_KM:
        what = f"{height:,.0f} km above the ground, below where anything can orbit"
    elif not radius_km[i] <= highest_km or not radius_km[i] >= lowest_km:
        what = f"{height:,.0f} km above the ground"
    elif not inverse_a[i] > 0:
        what = f"moving at {math.sqrt(speed2[i]):,.2f} km/s, faster than escape speed there"
    else:
        what = (
            f"at {height:,.0f} km moving at {math.sqrt(speed2[i]):,.2f} km/s, the speed of an "
            f"orbit {1.0 / inverse_a[i] - float(satrec.radiusearthkm):,.0f} km up"
        )
    raise PropagationError(
        f"this element set cannot describe the orbit at {when}: SGP4 puts the satellite "
        f"{what}, while the set's own orbit lies {perigee_km:,.0f}-{apogee_km:,.0f} km up "
        "(its drag terms or epoch are implausible); check the file with 'tle check', or use "
        "an element set nearer that time"
    )


def satellite_itrs(
    satrec: Satrec, t_unix: FloatArray, theta_rad: FloatArray | None = None
) -> tuple[FloatArray, FloatArray]:
    """Earth-fixed position (km) and velocity (km/s, Earth-fixed frame), each (N, 3)."""
    t_unix = np.atleast_1d(np.asarray(t_unix, dtype=float))
    r_teme, v_teme = propagate_teme(satrec, t_unix)
    theta = gmst_rad(t_unix) if theta_rad is None else theta_rad
    cos_t, sin_t = np.cos(theta), np.sin(theta)
    r = _turn(r_teme, cos_t, sin_t)
    # The frame turns: subtract omega x r (AIAA 2006-6753 eq. C-2), omega from theta's rate.
    omega_rad_s = 7.292115146706979e-5
    v = _turn(v_teme, cos_t, sin_t)
    v[:, 0] += omega_rad_s * r[:, 1]
    v[:, 1] -= omega_rad_s * r[:, 0]
    return r, v


#: Drag terms past these are unusual even for an object in its last days (the ISS and
#: Tiangong: BSTAR 1e-4 to 1e-3 per Earth radius, ndot/2 below 1e-3 rev/day²); ``tle check``
#: warns about them.
UNUSUAL_BSTAR = 0.05
UNUSUAL_NDOT_REV_DAY2 = 0.01
#: ``tle check`` propagates every set this long (days) either side of its epoch, every
#: ``DRAG_CHECK_STEP_S`` seconds: a set with implausible drag terms leaves any orbit there.
DRAG_CHECK_DAYS = 1.0
DRAG_CHECK_STEP_S = 300.0


def drag_terms_problem(satrec: Satrec) -> tuple[str | None, str | None]:
    """Whether a set's drag terms (BSTAR, and ndot, which SGP4 ignores) are plausible.

    Returns ``(error, warning)``: ``error`` when SGP4 fails or :func:`check_physical` refuses a
    state within :data:`DRAG_CHECK_DAYS` of the epoch (the set cannot describe an orbit even
    near its own epoch); ``warning`` when the values are past :data:`UNUSUAL_BSTAR` or
    :data:`UNUSUAL_NDOT_REV_DAY2` but the orbit holds. Each a sentence, ``None`` if fine.
    """
    bstar = float(satrec.bstar)
    # sgp4 keeps ndot in rad/min²; the TLE field is ndot/2 in rev/day².
    ndot_half = float(satrec.ndot) * (1440.0**2) / (2.0 * math.pi)
    terms = f"BSTAR {bstar:.4g} per Earth radius, ndot/2 {ndot_half:.4g} rev/day²"
    epoch_unix = (float(satrec.jdsatepoch) - UNIX_EPOCH_JD + float(satrec.jdsatepochF)) * 86400.0
    half = DRAG_CHECK_DAYS * SECONDS_PER_DAY
    t_unix = epoch_unix + np.arange(-half, half + DRAG_CHECK_STEP_S, DRAG_CHECK_STEP_S)
    try:
        propagate_teme(satrec, t_unix)
    except PropagationError as error:
        return (
            f"its drag terms are implausible ({terms}): within {DRAG_CHECK_DAYS:g} day of its "
            f"own epoch {str(error).split('; ')[0]}",
            None,
        )
    if abs(bstar) > UNUSUAL_BSTAR or abs(ndot_half) > UNUSUAL_NDOT_REV_DAY2:
        return None, (
            f"its drag terms are unusual ({terms}; a space station's are about 1e-4 and "
            "1e-4): predictions from it may be poor"
        )
    return None, None


# --------------------------------------------------------------------------------------------
# The Sun


def sun_itrs_km(t_unix: FloatArray, theta_rad: FloatArray | None = None) -> FloatArray:
    """Geometric Earth-to-Sun vector (km), (N, 3), in the Earth-fixed frame, from JPL DE421.

    The vector is computed by skyfield in the TEME frame on an hourly grid and interpolated
    linearly (the Sun moves 0.04° an hour there: the chord error is below 1e-7 rad), then turned
    into the Earth-fixed frame by the same GMST rotation as the satellite. For many calls over
    one window, build a :class:`FrameTable` once and call its :meth:`FrameTable.sun_itrs_at`.
    """
    t_unix = np.atleast_1d(np.asarray(t_unix, dtype=float))
    if t_unix.size == 0:
        return np.zeros((0, 3))
    table = FrameTable.for_span(float(t_unix.min()), float(t_unix.max()))
    return table.sun_itrs_at(t_unix, theta_rad)


def teme_rotation(t: Any) -> FloatArray:
    """The rotation (3, 3, N) from GCRS to SGP4's TEME frame at a skyfield ``Time`` array: as
    skyfield's ``TEME.rotation_at`` builds it (the precession-nutation matrix, then the turn
    by GMST 1982 less the apparent sidereal time), the same operations and so the same bits,
    without importing ``skyfield.sgp4lib`` for it (with the OMM reader it loads, 2 ms of a
    first run: the GMST is :func:`gmst1982_rad`)."""
    from skyfield.functions import mxm, rot_z

    theta = gmst1982_rad(t.whole, t.ut1_fraction)
    return mxm(rot_z(theta - t.gast / 24.0 * (2.0 * math.pi)), t.M)


def _sun_teme_km_at(t: Any) -> FloatArray:
    """Geometric Earth-to-Sun vector (N, 3), km, TEME, at a skyfield ``Time`` array."""
    from skyfield.nutationlib import iau2000b_radians

    # IAU 2000B nutation (77 terms; within 1 mas = 5e-9 rad of the full 2000A series, McCarthy
    # & Luzum 2003) instead of skyfield's default 2000A (1,365 terms): ten times cheaper, and
    # far inside the 1e-7 rad the Sun's direction needs here (20 us of shadow-entry time).
    t._nutation_angles_radians = iau2000b_radians(t)
    eph = ephemeris()
    sun_gcrs = (eph["sun"] - eph["earth"]).at(t).xyz.km  # (3, N)
    rotation = teme_rotation(t)  # GCRS -> TEME, (3, 3, N)
    return np.einsum("ijn,jn->ni", rotation, sun_gcrs)


def sunlit(r_sat_km: FloatArray, sun_km: FloatArray) -> NDArray[np.bool_]:
    """Whether the line from each satellite position to the Sun's centre misses the Earth.

    Same geometry as skyfield's ``is_sunlit``: a sphere of radius 6378.1366 km; (N, 3) inputs in
    one frame, Earth at the origin.
    """
    to_sun = sun_km - r_sat_km
    distance = np.linalg.norm(to_sun, axis=-1)
    unit = to_sun / distance[:, None]
    # Closest approach of the ray satellite->Sun to the Earth's centre.
    along = -np.einsum("ij,ij->i", r_sat_km, unit)
    closest_sq = np.einsum("ij,ij->i", r_sat_km, r_sat_km) - along**2
    blocked = (along > 0) & (closest_sq < SHADOW_EARTH_RADIUS_KM**2)
    return ~blocked


# --------------------------------------------------------------------------------------------
# WGS84 geometry


def geodetic(r_itrs_km: FloatArray) -> tuple[FloatArray, FloatArray, FloatArray]:
    """WGS84 geodetic latitude (deg), longitude (deg, east, -180..180) and height (km).

    Bowring's method with three fixed-point iterations: converges to well under a millimetre
    for any point above 10 km from the Earth's centre.
    """
    r = np.atleast_2d(r_itrs_km)
    x, y, z = r[:, 0], r[:, 1], r[:, 2]
    p = np.hypot(x, y)
    longitude = np.arctan2(y, x)
    latitude = np.arctan2(z, p * (1.0 - WGS84_E2))
    for _ in range(4):
        sin_lat = np.sin(latitude)
        n = WGS84_A_KM / np.sqrt(1.0 - WGS84_E2 * sin_lat**2)
        latitude = np.arctan2(z + n * WGS84_E2 * sin_lat, p)
    sin_lat, cos_lat = np.sin(latitude), np.cos(latitude)
    n = WGS84_A_KM / np.sqrt(1.0 - WGS84_E2 * sin_lat**2)
    # Height along the normal, well conditioned at every latitude.
    height = p * cos_lat + z * sin_lat - n * (1.0 - WGS84_E2 * sin_lat**2)
    return np.degrees(latitude), np.degrees(longitude), height


#: WGS84 semi-minor axis (km) and second eccentricity squared, for :func:`geodetic_height_km`.
WGS84_B_KM = WGS84_A_KM * (1.0 - WGS84_F)
WGS84_SECOND_E2 = WGS84_E2 / (1.0 - WGS84_E2)


def geodetic_height_km(r_itrs_km: FloatArray) -> FloatArray:
    """WGS84 geodetic height (km) of Earth-fixed points (N, 3), km: the height
    :func:`geodetic` gives, at a third of its cost (square roots only, no iteration).

    Bowring's formula (Survey Review 23, 1976): the latitude one step from the parametric
    latitude ``beta`` (``tan beta = a z / (b p)``), then the height along its normal. An error
    ``d`` in the latitude moves the height by only about ``r d**2 / 2``, and the step leaves
    the latitude far below 1e-9 rad off for points below 10,000 km. Measured against
    :func:`geodetic` (four iterations) on 200,000 points from the ground to 10,000 km at every
    latitude, poles included: within 1e-11 km (the rounding of float64 kilometres), and 3
    times faster (90,000 points: 3.0 against 9.4 ms).
    """
    r = np.atleast_2d(r_itrs_km)
    x, y, z = r[:, 0], r[:, 1], r[:, 2]
    p = np.sqrt(x * x + y * y)
    along_z, along_p = WGS84_A_KM * z, WGS84_B_KM * p
    inverse = 1.0 / np.sqrt(along_z * along_z + along_p * along_p)
    sin_beta, cos_beta = along_z * inverse, along_p * inverse
    # tan(latitude) = (z + e'^2 b sin^3 beta) / (p - e^2 a cos^3 beta)
    numerator = z + (WGS84_SECOND_E2 * WGS84_B_KM) * (sin_beta * sin_beta * sin_beta)
    denominator = p - (WGS84_E2 * WGS84_A_KM) * (cos_beta * cos_beta * cos_beta)
    inverse = 1.0 / np.sqrt(numerator * numerator + denominator * denominator)
    sin_lat, cos_lat = numerator * inverse, denominator * inverse
    # Along the normal, as in geodetic: n (1 - e^2 sin^2) = a sqrt(1 - e^2 sin^2).
    return p * cos_lat + z * sin_lat - WGS84_A_KM * np.sqrt(1.0 - WGS84_E2 * sin_lat * sin_lat)


class Observers:
    """Observers fixed on the Earth: positions (P, 3) km and local east/north/up unit vectors
    (each (P, 3), ITRS); ``len()`` is P.

    A plain class with slots rather than a dataclass (about 0.5 ms to define at every start) or
    a named tuple (whose ``len()`` would be its four fields); its arrays are not changed once
    made."""

    __slots__ = ("east", "north", "position_km", "up")

    def __init__(
        self, position_km: FloatArray, east: FloatArray, north: FloatArray, up: FloatArray
    ) -> None:
        self.position_km = position_km
        self.east = east
        self.north = north
        self.up = up

    @classmethod
    def from_geodetic(
        cls, latitude_deg: FloatArray, longitude_deg: FloatArray, elevation_m: FloatArray
    ) -> Observers:
        """Observers at WGS84 geodetic latitudes/longitudes (deg) and heights (m)."""
        lat = np.radians(np.atleast_1d(np.asarray(latitude_deg, dtype=float)))
        lon = np.radians(np.atleast_1d(np.asarray(longitude_deg, dtype=float)))
        h = np.atleast_1d(np.asarray(elevation_m, dtype=float)) / 1000.0
        sin_lat, cos_lat = np.sin(lat), np.cos(lat)
        sin_lon, cos_lon = np.sin(lon), np.cos(lon)
        n = WGS84_A_KM / np.sqrt(1.0 - WGS84_E2 * sin_lat**2)
        position = np.stack(
            (
                (n + h) * cos_lat * cos_lon,
                (n + h) * cos_lat * sin_lon,
                (n * (1.0 - WGS84_E2) + h) * sin_lat,
            ),
            axis=-1,
        )
        east = np.stack((-sin_lon, cos_lon, np.zeros_like(lon)), axis=-1)
        north = np.stack((-sin_lat * cos_lon, -sin_lat * sin_lon, cos_lat), axis=-1)
        up = np.stack((cos_lat * cos_lon, cos_lat * sin_lon, sin_lat), axis=-1)
        return cls(position, east, north, up)

    def __len__(self) -> int:
        return len(self.position_km)


def look_angles(
    r_sat_km: FloatArray, observers: Observers
) -> tuple[FloatArray, FloatArray, FloatArray]:
    """Elevation (deg), azimuth (deg, from north through east) and range (km), each (P, N).

    ``r_sat_km`` is (N, 3) in the Earth-fixed frame; geometric directions, no refraction.
    """
    delta = r_sat_km[None, :, :] - observers.position_km[:, None, :]
    e = np.einsum("pnk,pk->pn", delta, observers.east)
    n = np.einsum("pnk,pk->pn", delta, observers.north)
    u = np.einsum("pnk,pk->pn", delta, observers.up)
    horizontal = np.hypot(e, n)
    elevation = np.degrees(np.arctan2(u, horizontal))
    azimuth = np.degrees(np.arctan2(e, n)) % 360.0
    return elevation, azimuth, np.sqrt(horizontal**2 + u**2)


# --------------------------------------------------------------------------------------------
# Altitude and the reference heights


REFERENCE_ALTITUDES: tuple[tuple[str, float, str], ...] = (
    (
        "Kármán line",
        KARMAN_LINE_KM,
        "the edge of space used by the FAI (Fédération Aéronautique Internationale)",
    ),
    (
        "Namira Salim, 2023",
        NAMIRA_SALIM_2023_KM,
        "Virgin Galactic's Galactic 04 suborbital flight, 8 Sep 2023: the highest a Pakistani "
        "had flown",
    ),
    (
        "US space boundary",
        US_SPACE_BOUNDARY_KM,
        "50 miles, used by the US Air Force, NASA and the FAA for astronaut wings",
    ),
)


def mean_perigee_apogee_km(satrec: Satrec) -> tuple[float, float]:
    """Perigee and apogee heights (km) above the equatorial radius from the mean elements.

    As Heavens-Above and CelesTrak quote them: ``a (1 -/+ e) - R`` with SGP4's (WGS72) semi-major
    axis and radius. The geodetic altitude varies more along an orbit, because the Earth is
    flattened (about 21 km between the equator and 41° latitude).
    """
    a_km = satrec.a * satrec.radiusearthkm
    return a_km * (1 - satrec.ecco) - satrec.radiusearthkm, a_km * (
        1 + satrec.ecco
    ) - satrec.radiusearthkm


#: Sampling step (s) of :func:`revolution_height_range_km`: heights change by at most ~20 m
#: in 10 s near an extreme, and the extremes are refined by a parabola through the samples.
REVOLUTION_STEP_S = 10.0


def revolution_height_range_km(satrec: Satrec, at: datetime) -> tuple[float, float]:
    """The lowest and highest WGS84 geodetic height (km) over the revolution centred on ``at``.

    One orbital period (``2 pi / n``, SGP4's mean motion) from half a period before ``at`` to
    half after, sampled every :data:`REVOLUTION_STEP_S` seconds, ``at`` itself included, each
    extreme refined by a parabola through its neighbours. So the altitude at ``at`` always lies
    between them, unlike the mean-element perigee and apogee (:func:`mean_perigee_apogee_km`),
    which ignore the Earth's flattening.
    """
    period_s = 2.0 * math.pi / satrec.no_kozai * 60.0
    centre = to_unix(at)
    count = math.ceil(period_s / REVOLUTION_STEP_S)
    offsets = np.linspace(-period_s / 2.0, period_s / 2.0, count + 1)
    heights = altitude_series(satrec, centre + np.append(offsets, 0.0))["altitude_km"]
    at_height = float(heights[-1])
    heights = heights[:-1]

    def refined(index: int, sign: float) -> float:
        if not 0 < index < len(heights) - 1:
            return float(heights[index])
        y0, y1, y2 = heights[index - 1], heights[index], heights[index + 1]
        curvature = y0 - 2.0 * y1 + y2
        if curvature * sign >= 0:  # not a true extreme of the parabola
            return float(y1)
        return float(y1 - (y2 - y0) ** 2 / (8.0 * curvature))

    low = min(refined(int(np.argmin(heights)), 1.0), at_height)
    high = max(refined(int(np.argmax(heights)), -1.0), at_height)
    return low, high


def altitude_series(satrec: Satrec, t_unix: FloatArray) -> dict[str, FloatArray]:
    """WGS84 altitude (km), sub-satellite latitude/longitude (deg) and speed (km/s) at times.

    The speed is inertial (TEME frame), the figure usually quoted (about 7.7 km/s).
    """
    t_unix = np.atleast_1d(np.asarray(t_unix, dtype=float))
    r_teme, v_teme = propagate_teme(satrec, t_unix)
    r = teme_to_itrs(r_teme, gmst_rad(t_unix))
    latitude, longitude, height = geodetic(r)
    return {
        "altitude_km": height,
        "latitude_deg": latitude,
        "longitude_deg": longitude,
        "speed_km_s": np.linalg.norm(v_teme, axis=1),
    }


def compare(altitude_km: float) -> tuple[Reference, ...]:
    """The reference altitudes with 'times higher' and 'above by' for ``altitude_km``."""
    from tiangong_orbit.altitude import Reference

    return tuple(
        Reference(name, height, altitude_km / height, altitude_km - height, source)
        for name, height, source in REFERENCE_ALTITUDES
    )


def altitude_report(name: str, norad_id: int, satrec: Satrec, at: datetime) -> AltitudeReport:
    """Altitude, sub-satellite point, speed, perigee/apogee and the comparisons at ``at``.

    The whole revolution around ``at`` is propagated too (every minute) and checked with
    :func:`check_physical`: a set whose drag terms are absurd can give a plausible state at one
    moment between impossible ones. Raises :class:`PropagationError` (exit 3).
    """
    from tiangong_orbit.altitude import AltitudeReport

    period_s = 2.0 * math.pi / float(satrec.no_kozai) * 60.0
    around = to_unix(at) + np.arange(-0.5 * period_s, 0.5 * period_s + 60.0, 60.0)
    propagate_teme(satrec, around)
    series = altitude_series(satrec, np.array([to_unix(at)]))
    mean_perigee, mean_apogee = mean_perigee_apogee_km(satrec)
    perigee, apogee = revolution_height_range_km(satrec, at)
    altitude = float(series["altitude_km"][0])
    return AltitudeReport(
        name=name,
        norad_id=norad_id,
        time=at,
        altitude_km=altitude,
        latitude_deg=float(series["latitude_deg"][0]),
        longitude_deg=float(series["longitude_deg"][0]),
        speed_km_s=float(series["speed_km_s"][0]),
        perigee_km=perigee,
        apogee_km=apogee,
        references=compare(altitude),
        mean_perigee_km=mean_perigee,
        mean_apogee_km=mean_apogee,
    )
