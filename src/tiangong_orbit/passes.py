"""Pass prediction over many places at once: rise, culmination, set, visibility and brightness.

How (DESIGN.md, data flow): the satellite is propagated once with SGP4 on a coarse grid of
``COARSE_STEP_S`` and its Earth-fixed positions and velocities are shared by every place. Between
grid nodes the track is a cubic Hermite interpolant of those positions and velocities (error
about 5 m at 120 s, 0.3 m at 60 s: far below a millisecond of pass time). Only the nodes where
the satellite may stand inside a cone around the places (elsewhere it is below the horizon for
all of them), and their neighbours, are propagated: a screening pass every ``SCREEN_STRIDE``
nodes bounds the rest (when only visible passes are wanted, the stretches where the Sun stands
too high at every place for any pass near them to be visible are skipped as well; see
:func:`_propagate_grid`). For every place at once the sine of the elevation is computed at the
nodes inside the cone with two (N, 3) @ (3, P) products; its local maxima are the candidate
culminations. When only visible passes are wanted, candidates whose whole pass is provably too
low, in daylight or in the Earth's shadow are dropped as soon as that shows (on their grid
node and the nodes bracketing the pass, on their culmination, on their rise and set). All
candidates are then refined together: culmination as the root of the elevation rate, rise and
set as roots of ``elevation - horizon``, and the ends of the visible interval (elevation
threshold, entry into and exit from the Earth's shadow, the Sun crossing
``sun_max_altitude_deg``) as roots of their own continuous functions, each solved by a
vectorized safeguarded regula falsi (Illinois) to ``TOLERANCE_S``.

Why 120 s for the grid: the elevation of a pass is a hump as wide as the orbit, so every pass
gives a local maximum on any grid much finer than the orbit; what the step costs is how far the
grid maximum can fall below the true one. Near the horizon the geocentric angle between the
satellite and the observer behaves as ``sqrt(gamma_min**2 + (omega*dt)**2)``, so a grid within
``dt <= step/2`` of the culmination sees at most the drop :func:`_grid_margin_deg` computes
(0.44° at 120 s for Tiangong and a 0° horizon; measured: 0.42°); every grid maximum within twice
that, plus 0.5°, of the horizon is refined, so grazing passes are not missed; a pass whose top
lies within ``GRAZING_BAND_DEG`` of the horizon (or of the visibility threshold) is refined on
SGP4 itself rather than the interpolant, whose metres would decide it. 120 s halves the
SGP4 calls and the (N, P) work of 60 s while keeping the interpolation error near 1 ms of time
at worst; 180 s would cost 26 m of interpolation error.

Memory is bounded by working in chunks of time (``chunk_days``) whose grids overlap by half an
orbit; a pass belongs to the chunk that holds its culmination, so it is found exactly once, and
since grid nodes are fixed multiples of the step in absolute time (not counted from ``start``),
neither chunking nor the window's start changes a result.

Windows over several element sets (:func:`find_passes_over_sets`) take each pass from the set
nearest it; near a hand-over both sets' predictions of a pass are paired and the mean of their
times decides, so a pass the two sets place minutes apart is neither doubled nor lost.

Magnitude: Matson's diffuse-sphere formula (see :func:`magnitude`), with the standard magnitude
of :data:`STANDARD_MAGNITUDES` (Tiangong: :data:`TIANGONG_STANDARD_MAGNITUDE`).

This module is pure: no printing, no clock, no network; errors come from
:mod:`tiangong_orbit.errors`.
"""

from __future__ import annotations

import functools
import math
from collections.abc import Callable, Sequence
from dataclasses import replace
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, NamedTuple

import numpy as np
from numpy.typing import NDArray

from tiangong_orbit import orbit
from tiangong_orbit.errors import DataError, PropagationError, UsageError
from tiangong_orbit.model import (
    NO_NORAD_ID,
    REASON_DAYLIGHT,
    REASON_SHADOW,
    REASON_TOO_LOW,
    Pass,
    PassColumns,
    PassList,
    PlacePasses,
    Settings,
    microseconds,
)
from tiangong_orbit.timeutil import check_range
from tiangong_orbit.uncertainty import uncertainties_s

if TYPE_CHECKING:
    from sgp4.api import Satrec

    from tiangong_orbit.places import Place
    from tiangong_orbit.tle import ElementSet

FloatArray = NDArray[np.float64]
IntArray = NDArray[np.intp]

__all__ = [
    "COARSE_STEP_S",
    "ISS_STANDARD_MAGNITUDE",
    "MAX_WINDOW_DAYS",
    "STANDARD_MAGNITUDES",
    "TIANGONG_STANDARD_MAGNITUDE",
    "TIANGONG_STANDARD_MAGNITUDE_UNCERTAINTY",
    "TOLERANCE_S",
    "find_passes",
    "magnitude",
    "pass_track",
    "standard_magnitude_for",
]

#: Step (s) of the coarse grid on which the satellite is propagated; see the module docstring.
COARSE_STEP_S = 120.0
#: The grid's nodes are whole multiples of the step from this instant (POSIX seconds): the
#: same instants for every window, whatever its start.
GRID_ANCHOR_UNIX = 0.0
#: Every event time is refined until its bracket is this narrow (s): 1 ms, ten times better
#: than the 10 ms asked for, at the cost of about one more iteration.
TOLERANCE_S = 1e-3
#: Longest window accepted (days): ten years and a little.
MAX_WINDOW_DAYS = 3660.0
#: SGP4 switches to its deep-space model (SDP4) from this period on; passes of such orbits can
#: last hours and are out of this predictor's scope.
DEEP_SPACE_PERIOD_MIN = 225.0
#: Samples per pass on which the sunlit and dark-sky conditions are checked for changes (each
#: change is then refined exactly): one every ~70 s for a 10-minute pass, while the Sun's
#: altitude changes by at most 0.25° a minute and the shadow is crossed once.
CONDITION_SAMPLES = 9
#: Samples across the visible interval for the brightest magnitude (ends included): at most
#: ~75 s apart, enough to tell which stretch holds the minimum (the magnitude is smooth and has
#: one minimum along a pass)...
MAGNITUDE_SAMPLES = 9
#: ...which is then narrowed this many times: the bracket around the brightest time so far is
#: halved, with one sample either side, down to 1/512 of the interval (about 1 s). Measured
#: on 1,500 visible passes (50 places, a year): within 5e-5 mag of the minimum on a 0.1 s grid
#: of SGP4 (64 even samples came within 0.004), with 21 magnitudes per pass instead of 64.
MAGNITUDE_HALVINGS = 6
#: About this many (time x place) samples per chunk (16 MB per float array).
CHUNK_BUDGET_SAMPLES = 2_000_000
#: Spacing (s) of the Sun's nodes (each costs a nutation evaluation): 6 hours, where linear
#: interpolation errs by 3e-8 rad in direction (20 us of shadow-entry time).
SUN_STEP_S = 21600.0
#: Fastest change of the Sun's altitude at a place (deg/s): the Earth's rotation, 360° a
#: sidereal day, with a little to spare for the Sun's own motion.
SUN_ALTITUDE_RATE_DEG_S = 0.0042
#: Passes whose highest elevation on the interpolated track lies within this of the horizon or
#: of the minimum visible elevation (deg) are refined with SGP4 itself: the interpolant's
#: error is below 1.5e-4° in elevation (13 times less), and a pass is found or visible from
#: its top.
GRAZING_BAND_DEG = 0.002
#: Events found on the interpolant are solved again on SGP4 itself: the interpolant sits
#: metres off the true track, which moves a rise or set by ~2 ms, the top of a pass (the root
#: of the interpolant's derivative, 0.1 m/s off) by up to 15 ms, and the rise and set of a
#: pass topping under a degree by more. Only the passes listed are: one Newton step from the
#: interpolated time (SGP4 for the value, the interpolant for the slope) is kept when it is at
#: most ``NEWTON_MAX_STEP_S`` (its error is then under 0.1 ms); otherwise the root is solved
#: on SGP4 within ``POLISH_HALF_S`` of the interpolated time, or failing that on the whole
#: bracket.
NEWTON_MAX_STEP_S = 0.02
POLISH_HALF_S = 0.05
#: Half-width (s) of the central difference giving the interpolant's slope at a root.
SLOPE_HALF_S = 0.01
#: Grid nodes propagated first, to screen the rest: every this many steps (12 minutes). Most
#: nodes lie where the satellite is below every place's horizon; between two screening nodes
#: its direction from the Earth's centre turns by a bounded angle, so only the nodes that may
#: lie inside the cone around the places (and their neighbours) are propagated as well (see
#: :func:`_propagate_grid`).
SCREEN_STRIDE = 6
#: Passes assembled into objects at a time (bounds the temporary Python lists).
ASSEMBLY_BATCH = 20_000
#: Earth's rotation rate (rad/s), for the bound on how fast a sub-satellite point moves.
EARTH_ROTATION_RAD_S = 7.292115146706979e-5
#: The Earth's gravitational parameter (km³/s², WGS72's, as SGP4 uses), for the satellite's
#: acceleration over the milliseconds :func:`_moved` carries an SGP4 state.
EARTH_MU_KM3_S2 = 398600.8

#: Tiangong's standard magnitude: the visual magnitude at 1000 km range and 90° phase angle,
#: for Matson's diffuse sphere. No observed (McCants "v") value is published for the complete
#: station, so it is scaled from the ISS's -1.8 (McCants' quicksat.mag, the value Heavens-Above
#: uses) by the ratio of sunlit cross-sections: Tiangong, about 20% of the ISS's size (three
#: modules of 17-18 m x 4.2 m, and solar wings of about 110 m² each: two on Wentian, two on
#: Mengtian, Tianhe's pair half that size, per CMSA) against the ISS's ~2,500 m² of US arrays
#: alone. -1.8 + 2.5 log10(1 / 0.20) = -0.05, rounded to 0.0; a ratio of 0.15-0.30 gives
#: -0.5 to +0.3.
TIANGONG_STANDARD_MAGNITUDE = 0.0
#: 1-sigma uncertainty (mag) of :data:`TIANGONG_STANDARD_MAGNITUDE` itself. Single passes
#: scatter by a further ~1 mag about any diffuse-sphere prediction (orientation, solar-wing
#: glints; T. Molczan, SeeSat-L, 12 Sep 2004), so magnitudes are printed to 0.1 as estimates.
TIANGONG_STANDARD_MAGNITUDE_UNCERTAINTY = 0.5
#: The ISS's standard magnitude (McCants' quicksat.mag; Heavens-Above's intrinsic magnitude).
ISS_STANDARD_MAGNITUDE = -1.8
#: Standard magnitudes (1000 km, 90° phase) by NORAD catalog number, for ``--satellite``.
STANDARD_MAGNITUDES: dict[int, float] = {
    48274: TIANGONG_STANDARD_MAGNITUDE,  # CSS (Tianhe), the complete Tiangong station
    25544: ISS_STANDARD_MAGNITUDE,  # ISS (Zarya)
}


def standard_magnitude_for(norad_id: int) -> float | None:
    """The standard magnitude (1000 km, 90° phase) of ``norad_id``, or ``None`` if unknown."""
    return STANDARD_MAGNITUDES.get(int(norad_id))


def magnitude(
    range_km: FloatArray | float, phase_angle_deg: FloatArray | float, standard_magnitude: float
) -> FloatArray:
    """Visual magnitude of a diffusely reflecting sphere (Matson's formula).

    ``m = std + 5 log10(range / 1000 km) - 2.5 log10(sin(phi) + (pi - phi) cos(phi))``, with
    ``phi`` the phase angle at the satellite between the Sun and the observer (0° = fully lit
    as seen, 180° = back-lit), so ``m = std`` at 1000 km and 90°, and 2.5 log10(pi) = 1.24 mag
    brighter at 0°. Returns ``inf`` at 180°, where the sphere shows no lit face. See D. Matson,
    SeeSat-L, 13 Apr 2001 (www.satobs.org/seesat/Apr-2001/0313.html).
    """
    rng = np.asarray(range_km, dtype=float)
    phi = np.radians(np.clip(np.asarray(phase_angle_deg, dtype=float), 0.0, 180.0))
    lit = np.sin(phi) + (math.pi - phi) * np.cos(phi)
    # sin(pi) is 1.2e-16 in floating point: no lit face is no lit face.
    lit = np.where(lit > 1e-12, lit, 0.0)
    with np.errstate(divide="ignore", invalid="ignore"):
        value = standard_magnitude + 5.0 * np.log10(rng / 1000.0) - 2.5 * np.log10(lit)
    return np.asarray(value, dtype=float)


# --------------------------------------------------------------------------------------------
# The shared track: SGP4 on a grid, cubic Hermite in between

#: Three arrays: the x, y, z components of M vectors (kept apart, as gathering whole (M, 3)
#: rows costs several times more than gathering three contiguous component arrays).
Vec = tuple[FloatArray, FloatArray, FloatArray]


def _dot(a: Vec, b: Vec) -> FloatArray:
    # Written out: elementwise, hence bit-reproducible whatever the array sizes (chunking).
    return a[0] * b[0] + a[1] * b[1] + a[2] * b[2]


def _norm(a: Vec) -> FloatArray:
    return np.sqrt(_dot(a, a))


def _sub(a: Vec, b: Vec) -> Vec:
    return a[0] - b[0], a[1] - b[1], a[2] - b[2]


def _take(components: FloatArray, index: IntArray) -> Vec:
    # ``take`` rather than ``[index]``: the same values, a third faster for 1-D gathers.
    return components[0].take(index), components[1].take(index), components[2].take(index)


class _Track(NamedTuple):
    """Satellite and Sun at nodes ``anchor + (first + k) * step``, k = 0..N-1.

    ``r_km``, ``v_km_s``: the satellite, Earth-fixed, (3, N) km and km/s. The Sun: its
    Earth-fixed vector at the nodes (``sun_km``, (3, N), km), its TEME increment to the next
    node turned by the node's sidereal angle (``sun_step_km``) and the sidereal angle's
    increment (``dtheta_rad``, (N,), rad): between nodes the TEME vector and the angle are
    interpolated linearly and the Sun is turned into the Earth-fixed frame at the time itself.
    (Interpolating the Earth-fixed Sun linearly would cut the chord of its daily circle, which
    lifts its declination by up to 2e-4° at the solstices: 0.1-0.2 s on a twilight limit.)

    The anchor is the POSIX epoch itself (``GRID_ANCHOR_UNIX``) for every window and chunk, so
    nodes sit on one absolute grid and a time gets bit-identical values in whichever window or
    chunk it is evaluated: neither ``--start`` nor chunking changes a result. (Fractions
    reckoned from 1970 carry 3e-9 of a step, 0.4 us, of rounding: nothing at 1 ms.)
    """

    anchor_unix: float
    first: int
    step_s: float
    r_km: FloatArray
    v_km_s: FloatArray
    sun_km: FloatArray
    # Without these two (a track built from Earth-fixed Sun nodes only), the Sun is
    # interpolated linearly: 2e-4° off in altitude at most; :meth:`build` gives both.
    sun_step_km: FloatArray | None = None
    dtheta_rad: FloatArray | None = None
    # Which nodes were propagated (None: all). The others lie where the satellite is outside
    # the cone around the places, and the search reads them only with weight zero (the
    # interpolant at a node time weighs the next node by 0): they hold zeros, as 0 * NaN
    # would be NaN.
    propagated: NDArray[np.bool_] | None = None

    @classmethod
    def build(
        cls,
        anchor_unix: float,
        first: int,
        step_s: float,
        r_km: FloatArray,
        v_km_s: FloatArray,
        sun_teme_km: FloatArray,
        theta_rad: FloatArray,
        propagated: NDArray[np.bool_] | None = None,
    ) -> _Track:
        """A track from (N, 3) node arrays (as SGP4 and the frame table give them) and the
        sidereal angle at the nodes, (N,) rad; ``propagated`` as :func:`_propagate_grid`
        gives it."""
        theta = np.asarray(theta_rad, dtype=float)
        step_teme = np.zeros_like(sun_teme_km)
        step_teme[:-1] = np.diff(sun_teme_km, axis=0)
        dtheta = np.zeros_like(theta)
        dtheta[:-1] = np.mod(np.diff(theta), 2.0 * math.pi)
        # Turned into the Earth-fixed frame at the propagated nodes only (the others, and
        # the Sun and the angle given there, are never read: see _propagate_grid).
        sun_itrs = np.zeros_like(sun_teme_km)
        sun_step = np.zeros_like(sun_teme_km)
        which = slice(None) if propagated is None else propagated
        sun_itrs[which] = orbit.teme_to_itrs(sun_teme_km[which], theta[which])
        sun_step[which] = orbit.teme_to_itrs(step_teme[which], theta[which])
        return cls(
            anchor_unix,
            first,
            step_s,
            np.ascontiguousarray(r_km.T),
            np.ascontiguousarray(v_km_s.T),
            np.ascontiguousarray(sun_itrs.T),
            np.ascontiguousarray(sun_step.T),
            dtheta,
            propagated,
        )

    def node_time(self, k: IntArray | int) -> FloatArray:
        """Times of the chunk's nodes ``k`` (local numbers)."""
        return self.anchor_unix + self.step_s * (np.asarray(k) + self.first).astype(float)

    def _locate(self, t: FloatArray) -> tuple[IntArray, FloatArray]:
        x = (t - self.anchor_unix) / self.step_s
        whole = np.floor(x)
        k = np.minimum(np.maximum(whole - self.first, 0), self.r_km.shape[1] - 2).astype(np.intp)
        return k, x - (k + self.first)

    def position(self, t: FloatArray, at: tuple[IntArray, FloatArray] | None = None) -> Vec:
        """Position by cubic Hermite interpolation of the nodes' positions and velocities.
        ``at``: ``t`` located on the grid already (:meth:`locate`)."""
        k, u = self._locate(t) if at is None else at
        k1 = k + 1
        h = self.step_s
        u2 = u * u
        u3 = u2 * u
        h00 = 2.0 * u3 - 3.0 * u2 + 1.0
        h01 = 1.0 - h00
        h10 = (u3 - 2.0 * u2 + u) * h
        h11 = (u3 - u2) * h
        r, v = self.r_km, self.v_km_s
        return tuple(  # type: ignore[return-value]
            h00 * r[c].take(k) + h10 * v[c].take(k) + h01 * r[c].take(k1) + h11 * v[c].take(k1)
            for c in range(3)
        )

    def state(self, t: FloatArray) -> tuple[Vec, Vec]:
        """Position and velocity (the interpolant's derivative) at ``t``."""
        k, u = self._locate(t)
        k1 = k + 1
        h = self.step_s
        u2 = u * u
        u3 = u2 * u
        h00 = 2.0 * u3 - 3.0 * u2 + 1.0
        h01 = 1.0 - h00
        h10 = (u3 - 2.0 * u2 + u) * h
        h11 = (u3 - u2) * h
        d00 = (6.0 * u2 - 6.0 * u) / h
        d10 = 3.0 * u2 - 4.0 * u + 1.0
        d11 = 3.0 * u2 - 2.0 * u
        r, v = self.r_km, self.v_km_s
        position = []
        velocity = []
        for c in range(3):
            r0, r1, v0, v1 = r[c].take(k), r[c].take(k1), v[c].take(k), v[c].take(k1)
            position.append(h00 * r0 + h10 * v0 + h01 * r1 + h11 * v1)
            velocity.append(d00 * (r0 - r1) + d10 * v0 + d11 * v1)
        return tuple(position), tuple(velocity)  # type: ignore[return-value]

    def locate(self, t: FloatArray) -> tuple[IntArray, FloatArray] | None:
        """``t`` located on the grid (the node before it and the fraction of a step since),
        for :meth:`position`, :meth:`sun` and :meth:`sun_coarse` at the same times."""
        return self._locate(t)

    def sun(self, t: FloatArray, at: tuple[IntArray, FloatArray] | None = None) -> Vec:
        """Earth-to-Sun vector (km), Earth-fixed: the TEME vector (it turns 0.0014° in 120 s
        there, so linear interpolation errs by under 1e-9 rad in direction) turned by the
        sidereal angle at ``t`` (linear between nodes: exact to 1e-12 rad).

        Written as the node's Earth-fixed vector and its TEME increment, both turned by the
        node's angle, then turned by the small angle ``phi`` gone since the node (under 0.6°:
        the cosine and sine series below err by under 3e-10 rad)."""
        k, u = self._locate(t) if at is None else at
        a, b = self.sun_km, self.sun_step_km
        if b is None or self.dtheta_rad is None:
            return self.sun_coarse(t, (k, u))
        x = a[0].take(k) + u * b[0].take(k)
        y = a[1].take(k) + u * b[1].take(k)
        z = a[2].take(k) + u * b[2].take(k)
        phi = u * self.dtheta_rad.take(k)
        phi2 = phi * phi
        cos_p = 1.0 - 0.5 * phi2
        sin_p = phi * (1.0 - phi2 / 6.0)
        return cos_p * x + sin_p * y, cos_p * y - sin_p * x, z

    def sun_coarse(self, t: FloatArray, at: tuple[IntArray, FloatArray] | None = None) -> Vec:
        """The Earth-fixed Sun interpolated linearly between nodes: its direction within 2e-4°
        (the chord of its daily circle), enough for a phase angle, not for twilight."""
        k, u = self._locate(t) if at is None else at
        a = self.sun_km
        return tuple(  # type: ignore[return-value]
            a[c].take(k) + u * (a[c].take(k + 1) - a[c].take(k)) for c in range(3)
        )


class _ExactTrack(_Track):
    """The same nodes, but SGP4 itself (and the frame table's Sun) at every time asked: used to
    refine passes whose highest elevation lies so near a threshold that the interpolant's few
    metres could decide whether they exist or are visible.

    A plain subclass of the named tuple: its two extra attributes live in the instance's
    ``__dict__`` (a tuple subclass cannot add slots), set once by :meth:`like`."""

    satrec: Satrec
    frames: orbit.FrameTable

    @classmethod
    def like(cls, track: _Track, satrec: Satrec, frames: orbit.FrameTable) -> _ExactTrack:
        exact = cls(*track)
        exact.satrec = satrec
        exact.frames = frames
        return exact

    def _state(self, t: FloatArray) -> tuple[FloatArray, FloatArray]:
        t = np.asarray(t, dtype=float)
        return orbit.satellite_itrs(self.satrec, t, self.frames.gmst_rad(t))

    def locate(self, t: FloatArray) -> tuple[IntArray, FloatArray] | None:
        return None  # nothing to share: SGP4 and the frame table at every time

    def position(self, t: FloatArray, at: tuple[IntArray, FloatArray] | None = None) -> Vec:
        r, _ = self._state(t)
        return r[:, 0], r[:, 1], r[:, 2]

    def position_velocity(self, t: FloatArray) -> tuple[Vec, Vec]:
        """:meth:`position` (the same values) and SGP4's own velocity there."""
        r, v = self._state(t)
        return (r[:, 0], r[:, 1], r[:, 2]), (v[:, 0], v[:, 1], v[:, 2])

    def state(self, t: FloatArray) -> tuple[Vec, Vec]:
        """Position and velocity, the velocity the central difference of SGP4's positions
        ``SLOPE_HALF_S`` either side (divided by the two float times' own difference).

        SGP4's own velocity is not the derivative of its positions: a day either side of the
        epochs of the 977 bundled Tiangong sets the two differ by 1.2 cm/s (median; 99 %
        within 2 cm/s, all within 7), about a cm/s of it across the track, and that part
        alone moved the top of a low pass by up to 1.1 ms (against the skyfield sampler
        bisected to 1 us, 149 passes within two days of the epoch: tops 7 us off with this
        difference, 1.1 ms with SGP4's velocity). Along the track SGP4's velocity falls
        behind by about 1 mm/s a day from the epoch (the 2026-10-06 set: 0.36 m/s a year on).
        The difference itself is good to 0.02 mm/s (the rounding of SGP4's positions:
        compared with 3 and 30 ms either side).
        The position is the mean of the two (0.45 mm inside the track: nothing for a rate)."""
        t = np.asarray(t, dtype=float)
        later, earlier = t + SLOPE_HALF_S, t - SLOPE_HALF_S
        both, _ = self._state(np.concatenate((later, earlier)))
        n = len(t)
        after, before = both[:n], both[n:]
        r = 0.5 * (after + before)
        v = (after - before) / (later - earlier)[:, np.newaxis]
        return (r[:, 0], r[:, 1], r[:, 2]), (v[:, 0], v[:, 1], v[:, 2])

    def sun(self, t: FloatArray, at: tuple[IntArray, FloatArray] | None = None) -> Vec:
        s = self.frames.sun_itrs_at(np.asarray(t, dtype=float))
        return s[:, 0], s[:, 1], s[:, 2]


class _Sky(NamedTuple):
    """The track and the observers (position and local axes as (3, P) arrays): the functions
    whose roots are the events."""

    track: _Track
    position_km: FloatArray
    east: FloatArray
    north: FloatArray
    up: FloatArray

    @classmethod
    def of(cls, track: _Track, observers: orbit.Observers) -> _Sky:
        def columns(a: FloatArray) -> FloatArray:
            return np.ascontiguousarray(a.T)

        return cls(
            track,
            columns(observers.position_km),
            columns(observers.east),
            columns(observers.north),
            columns(observers.up),
        )

    def sin_elevation(self, t: FloatArray, place: IntArray) -> FloatArray:
        return self.sin_elevation_of(self.track.position(t), place)

    def sin_elevation_of(self, r: Vec, place: IntArray) -> FloatArray:
        """:meth:`sin_elevation` of the satellite at ``r`` (km, Earth-fixed)."""
        delta = _sub(r, _take(self.position_km, place))
        return _dot(delta, _take(self.up, place)) / _norm(delta)

    def sin_elevation_at_node(self, node: IntArray, place: IntArray) -> FloatArray:
        """:meth:`sin_elevation` at grid nodes (local numbers), read from the node arrays: the
        same values, as the interpolant is the nodes there, and the nodes are SGP4."""
        return self.sin_elevation_of(_take(self.track.r_km, node), place)

    def sin_elevation_near_node(self, t: FloatArray, node: IntArray, place: IntArray) -> FloatArray:
        """:meth:`sin_elevation` at ``t`` (the same bits), read from the node arrays where
        ``t`` is the time of ``node`` (local numbers): there the interpolant's weights are
        exactly 1 and 0, so it gives the node's position itself, and a node costs a third of
        an interpolation."""
        if isinstance(self.track, _ExactTrack):  # SGP4 at every time: nothing to read
            return self.sin_elevation(t, place)
        value = np.empty(len(t))
        at_node = t == self.track.node_time(node)
        where = np.flatnonzero(at_node)
        value[where] = self.sin_elevation_at_node(node[where], place[where])
        where = np.flatnonzero(~at_node)
        if where.size:
            value[where] = self.sin_elevation(t[where], place[where])
        return value

    def elevation_rate_at_node(self, node: IntArray, place: IntArray) -> FloatArray:
        """:meth:`elevation_rate` at grid nodes (local numbers), read from the node arrays:
        the same bits, as the interpolant and its derivative are the node's position and
        velocity there (weights exactly 1 and 0)."""
        if isinstance(self.track, _ExactTrack):
            return self.elevation_rate(self.track.node_time(node), place)
        track = self.track
        return self.elevation_rate_of(_take(track.r_km, node), _take(track.v_km_s, node), place)

    def elevation_rate(self, t: FloatArray, place: IntArray) -> FloatArray:
        """d/dt of the sine of the elevation (1/s), from the interpolant's velocity."""
        r, v = self.track.state(t)
        return self.elevation_rate_of(r, v, place)

    def elevation_rate_of(self, r: Vec, v: Vec, place: IntArray) -> FloatArray:
        """:meth:`elevation_rate` of the satellite at ``r`` moving at ``v`` (km, km/s)."""
        delta = _sub(r, _take(self.position_km, place))
        up = _take(self.up, place)
        rho = _norm(delta)
        return _dot(v, up) / rho - _dot(delta, up) * _dot(delta, v) / rho**3

    def shadow(self, t: FloatArray) -> FloatArray:
        """Signed clearance (km) of the line from the satellite to the Sun above the Earth.

        Negative exactly when that line meets the sphere of ``orbit.SHADOW_EARTH_RADIUS_KM``
        (``orbit.sunlit`` is False, as skyfield's ``is_sunlit``); continuous, so its roots are
        the shadow entry and exit.
        """
        at = self.track.locate(t)
        return _clearance_km(self.track.position(t, at), self.track.sun(t, at))

    def sin_sun_altitude(self, t: FloatArray, place: IntArray) -> FloatArray:
        """Sine of the Sun's geometric (topocentric) altitude at the places."""
        delta = _sub(self.track.sun(t), _take(self.position_km, place))
        return _dot(delta, _take(self.up, place)) / _norm(delta)

    def conditions(
        self, t: FloatArray, place: IntArray
    ) -> tuple[FloatArray, FloatArray, FloatArray]:
        """:meth:`sin_elevation`, :meth:`shadow` and :meth:`sin_sun_altitude` at once, the
        satellite and the Sun found once (the same values)."""
        at = self.track.locate(t)
        r, sun = self.track.position(t, at), self.track.sun(t, at)
        observer, up = _take(self.position_km, place), _take(self.up, place)
        delta = _sub(r, observer)
        to_sun = _sub(sun, observer)
        return (
            _dot(delta, up) / _norm(delta),
            _clearance_km(r, sun),
            _dot(to_sun, up) / _norm(to_sun),
        )

    def sun_conditions(self, t: FloatArray, place: IntArray) -> tuple[FloatArray, FloatArray]:
        """:meth:`shadow` and :meth:`sin_sun_altitude` at once (the same values), the satellite
        and the Sun found once: :meth:`conditions` without the elevation, for samples whose
        elevation is known not to be needed."""
        at = self.track.locate(t)
        sun = self.track.sun(t, at)
        to_sun = _sub(sun, _take(self.position_km, place))
        return (
            _clearance_km(self.track.position(t, at), sun),
            _dot(to_sun, _take(self.up, place)) / _norm(to_sun),
        )

    def phase_angle_deg(self, t: FloatArray, place: IntArray) -> tuple[FloatArray, FloatArray]:
        """Range (km) and phase angle (deg) at the satellite between the Sun and the place
        (the Sun's direction within 2e-4°: 1e-5 mag)."""
        at = self.track.locate(t)
        r = self.track.position(t, at)
        to_sun = _sub(self.track.sun_coarse(t, at), r)
        to_observer = _sub(_take(self.position_km, place), r)
        rng = _norm(to_observer)
        cos_phase = _dot(to_sun, to_observer) / (_norm(to_sun) * rng)
        return rng, np.degrees(np.arccos(np.clip(cos_phase, -1.0, 1.0)))


def _clearance_km(r: Vec, sun: Vec) -> FloatArray:
    """:meth:`_Sky.shadow` from the satellite's and the Sun's positions."""
    to_sun = _sub(sun, r)
    along = -_dot(r, to_sun) / _norm(to_sun)
    r2 = _dot(r, r)
    closest = np.sqrt(np.maximum(r2 - along**2, 0.0))
    return np.where(along > 0, closest, np.sqrt(r2)) - orbit.SHADOW_EARTH_RADIUS_KM


# --------------------------------------------------------------------------------------------
# Vectorized root finding


def _solve(
    func: Callable[[FloatArray, IntArray], FloatArray],
    a: FloatArray,
    b: FloatArray,
    fa: FloatArray,
    fb: FloatArray,
    tol: float = TOLERANCE_S,
) -> FloatArray:
    """Roots of ``func`` in the brackets ``[a, b]`` (``fa``, ``fb`` of opposite signs or zero).

    ``func(t, which)`` evaluates problem ``which`` at ``t``. Regula falsi with the Illinois
    modification (an end kept twice has its value halved), every new point kept at least
    ``tol / 2`` inside the bracket so that the bracket itself collapses below ``tol``; bisection
    after 40 rounds as a last resort. Returns the midpoints of the final brackets (error below
    ``tol / 2``).
    """
    a, b = np.array(a, dtype=float), np.array(b, dtype=float)
    fa, fb = np.array(fa, dtype=float), np.array(fb, dtype=float)
    exact_a, exact_b = fa == 0, fb == 0
    b[exact_a] = a[exact_a]
    a[exact_b] = b[exact_b]
    # The open brackets, compacted: ``active`` numbers them among all; each leaves (its ends
    # written back) as soon as it is narrower than ``tol``.
    active = np.flatnonzero(b - a > tol)
    lo, hi, flo, fhi = a[active], b[active], fa[active], fb[active]
    kept = np.zeros(active.size, dtype=np.int8)  # -1: ``lo`` was kept last round, +1: ``hi``
    for round_ in range(200):
        if active.size == 0:
            break
        if round_ < 40:
            with np.errstate(divide="ignore", invalid="ignore"):
                x = (lo * fhi - hi * flo) / (fhi - flo)
            x = np.where(np.isfinite(x), x, 0.5 * (lo + hi))
            x = np.minimum(np.maximum(x, lo + 0.5 * tol), hi - 0.5 * tol)
        else:
            x = 0.5 * (lo + hi)
        fx = func(x, active)
        zero = fx == 0
        same_as_lo = (np.signbit(fx) == np.signbit(flo)) & ~zero
        move_lo = same_as_lo | zero
        move_hi = ~same_as_lo
        # Illinois: an end kept for the second round running has its value halved.
        fhi = np.where(same_as_lo & (kept == 1), 0.5 * fhi, fhi)
        flo = np.where(move_hi & ~zero & (kept == -1), 0.5 * flo, flo)
        lo = np.where(move_lo, x, lo)
        flo = np.where(move_lo, fx, flo)
        hi = np.where(move_hi, x, hi)
        fhi = np.where(move_hi, fx, fhi)
        kept = np.where(zero, 0, np.where(same_as_lo, 1, -1)).astype(np.int8)
        open_ = hi - lo > tol
        if not open_.all():
            done = np.flatnonzero(~open_)
            a[active.take(done)], b[active.take(done)] = lo.take(done), hi.take(done)
            still = np.flatnonzero(open_)
            active, lo, hi, flo, fhi, kept = (
                active.take(still),
                lo.take(still),
                hi.take(still),
                flo.take(still),
                fhi.take(still),
                kept.take(still),
            )
    a[active], b[active] = lo, hi
    return 0.5 * (a + b)


def _polish(
    func: Callable[[FloatArray, IntArray], FloatArray],
    slope_of: Callable[[FloatArray, IntArray], FloatArray],
    approx: FloatArray,
    lo: FloatArray,
    hi: FloatArray,
    value: FloatArray | None = None,
) -> tuple[FloatArray, NDArray[np.bool_]]:
    """Roots of ``func`` (the exact function: SGP4 at every time) near ``approx``, the roots of
    ``slope_of``, its interpolated twin, each inside its bracket ``[lo, hi]`` (where ``func``
    changes sign; NaN: none known). ``func(t, which)`` evaluates root ``which`` at ``t``.

    One Newton step: ``func`` at ``approx``, the slope from ``slope_of`` by a central
    difference; kept when it moves the time by at most ``NEWTON_MAX_STEP_S`` and stays in the
    bracket (one evaluation of ``func`` per root). The others (a nearly tangent crossing, which
    the interpolant can shift further) are solved on ``func`` within ``POLISH_HALF_S`` of
    ``approx``, or where ``func`` does not change sign there, on the whole bracket; where not
    even there, ``approx`` is kept. ``value``: ``func`` at ``approx``, if known already.
    Returns (M,) times, error below ``TOLERANCE_S / 2``, and which came from the Newton step.
    """
    approx = np.asarray(approx, dtype=float)
    out = approx.copy()
    if approx.size == 0:
        return out, np.zeros(0, dtype=bool)
    every = np.arange(approx.size)
    if value is None:
        value = func(approx, every)
    ends = slope_of(
        np.concatenate((approx + SLOPE_HALF_S, approx - SLOPE_HALF_S)),
        np.concatenate((every, every)),
    )
    slope = (ends[: approx.size] - ends[approx.size :]) / (2.0 * SLOPE_HALF_S)
    with np.errstate(divide="ignore", invalid="ignore"):
        newton = approx - value / slope
    ok = np.isfinite(newton) & (np.abs(newton - approx) <= NEWTON_MAX_STEP_S)
    ok &= ~(newton < lo) & ~(newton > hi)  # NaN bounds: no bracket known
    out[ok] = newton[ok]
    rest = np.flatnonzero(~ok)
    if rest.size == 0:
        return out, ok
    a = np.fmax(lo[rest], approx[rest] - POLISH_HALF_S)
    b = np.fmin(hi[rest], approx[rest] + POLISH_HALF_S)
    both = func(np.concatenate((a, b)), np.concatenate((rest, rest)))
    fa, fb = both[: rest.size], both[rest.size :]
    near = (np.signbit(fa) != np.signbit(fb)) | (fa == 0) | (fb == 0)
    wide = np.flatnonzero(~near & np.isfinite(lo[rest]) & np.isfinite(hi[rest]))
    if wide.size:
        w = rest[wide]
        both = func(np.concatenate((lo[w], hi[w])), np.concatenate((w, w)))
        f_lo, f_hi = both[: wide.size], both[wide.size :]
        a[wide], b[wide], fa[wide], fb[wide] = lo[w], hi[w], f_lo, f_hi
        near[wide] = (np.signbit(f_lo) != np.signbit(f_hi)) | (f_lo == 0) | (f_hi == 0)
    idx = np.flatnonzero(near)
    if idx.size:
        which = rest[idx]
        out[which] = _solve(lambda t, j: func(t, which[j]), a[idx], b[idx], fa[idx], fb[idx])
    return out, ok


# --------------------------------------------------------------------------------------------
# The search


def _check_window(start: datetime, end: datetime) -> tuple[float, float]:
    for name, moment in (("start", start), ("end", end)):
        if not isinstance(moment, datetime) or moment.tzinfo is None:
            raise UsageError(f"the window {name} {moment!r} must be a timezone-aware datetime")
    check_range(start, option="start")
    check_range(end, option="end", window_end=True)
    if end <= start:
        raise UsageError(
            f"the window ends ({end.isoformat()}) before it starts ({start.isoformat()}); "
            "give a positive number of days"
        )
    days = (end - start).total_seconds() / 86400.0
    if days > MAX_WINDOW_DAYS:
        raise UsageError(
            f"the window is {days:.0f} days long, over the {MAX_WINDOW_DAYS:.0f}-day limit; "
            "ask for fewer days (element sets are good for days to weeks anyway)"
        )
    return start.timestamp(), end.timestamp()


def _orbit_period_s(element_set: ElementSet) -> float:
    period_min = 2.0 * math.pi / float(element_set.satrec.no_kozai)
    if period_min >= DEEP_SPACE_PERIOD_MIN:
        raise DataError(
            f"{element_set.name} (NORAD {element_set.norad_id}) has an orbital period of "
            f"{period_min:.0f} minutes; pass prediction supports near-Earth satellites "
            f"(periods under {DEEP_SPACE_PERIOD_MIN:.0f} minutes) only"
        )
    return period_min * 60.0


def _grid_margin_deg(element_set: ElementSet, horizon_deg: float, step_s: float) -> float:
    """How far below ``horizon_deg`` a grid maximum may lie and still hide a pass above it.

    Near its minimum the geocentric angle between satellite and observer is
    ``sqrt(g_min**2 + (w*dt)**2)`` with ``w`` at most the mean motion plus the Earth's rotation;
    a grid node lies within ``dt = step/2`` of the culmination. That angle is turned into
    elevation on a sphere, at the perigee and the apogee radius; the drop is doubled and 0.5°
    added for the ellipsoid and the observer's height.
    """
    satrec = element_set.satrec
    radius_km = orbit.WGS84_A_KM
    omega = float(satrec.no_kozai) / 60.0 + EARTH_ROTATION_RAD_S
    extra = omega * step_s / 2.0
    horizon = math.radians(horizon_deg)
    a_km = float(satrec.a) * float(satrec.radiusearthkm)
    drop = 0.0
    for r_km in (a_km * (1 - float(satrec.ecco)), a_km * (1 + float(satrec.ecco))):
        gamma = math.acos(min(1.0, radius_km * math.cos(horizon) / r_km)) - horizon
        gamma2 = math.hypot(gamma, extra)
        elevation = math.atan2(r_km * math.cos(gamma2) - radius_km, r_km * math.sin(gamma2))
        drop = max(drop, horizon - elevation)
    return 2.0 * math.degrees(drop) + 0.5


def _chunk_steps(n_places: int, chunk_days: float | None, step_s: float) -> int:
    if chunk_days is not None:
        if not chunk_days > 0:
            raise UsageError(f"chunk_days must be positive, not {chunk_days!r}")
        return max(1, round(chunk_days * 86400.0 / step_s))
    steps = CHUNK_BUDGET_SAMPLES // max(1, n_places)
    return int(min(max(steps, round(86400.0 / step_s)), round(30 * 86400.0 / step_s)))


class _Found(NamedTuple):
    """Passes found in one chunk, as parallel arrays (one entry per pass)."""

    place: IntArray
    times: FloatArray  # (M, 6): rise, culmination, set, visible start, peak, end (NaN if none)
    shadow_entry: FloatArray
    shadow_exit: FloatArray
    magnitude: FloatArray
    reason: NDArray[np.int8]  # bit 1: too low, 2: daylight, 4: in Earth's shadow
    # (M, 6, 3) km, Earth-fixed: the satellite at each time where known (NaN: see _points).
    position_km: FloatArray


_TOO_LOW, _DAYLIGHT, _SHADOW = REASON_TOO_LOW, REASON_DAYLIGHT, REASON_SHADOW


def find_passes(
    element_set: ElementSet,
    places: Sequence[Place],
    start: datetime,
    end: datetime,
    settings: Settings = Settings(),  # noqa: B008 - frozen dataclass, immutable default
    *,
    include_invisible: bool = False,
    chunk_days: float | None = None,
) -> tuple[PlacePasses, ...]:
    """Passes of ``element_set``'s satellite over each of ``places`` in ``[start, end)``.

    A pass belongs to the window when its culmination does; its rise and set are the true
    times even outside the window. Returns one :class:`PlacePasses` per place, in input order,
    passes in time order. Without ``include_invisible`` only visible passes are listed; with it,
    every pass above ``settings.horizon_deg``, with ``reason`` set for those not visible.
    ``chunk_days`` sets the length of the chunks of time worked on at once (default: sized to
    keep memory near 100 MB whatever the number of places); results do not depend on it.

    Raises :class:`UsageError` for a bad window (naive times, ``end <= start``, over
    ``MAX_WINDOW_DAYS``) and :class:`DataError` when SGP4 cannot propagate the set or the orbit
    is a deep-space one.
    """
    if not places:
        _check_window(start, end)
        return ()
    return _by_place(
        places,
        _find_columns(
            element_set,
            places,
            start,
            end,
            settings,
            include_invisible=include_invisible,
            chunk_days=chunk_days,
        ),
    )


def _find_columns(
    element_set: ElementSet,
    places: Sequence[Place],
    start: datetime,
    end: datetime,
    settings: Settings,
    *,
    include_invisible: bool,
    chunk_days: float | None = None,
    frames: orbit.FrameTable | None = None,
) -> PassColumns:
    """:func:`find_passes` as columns sorted by place, then culmination. ``frames``: a table
    covering at least :func:`_frames_span` of the window (built here when not given; its
    nodes are whole hours, so a longer table gives the same values bit for bit)."""
    t_start, t_end = _check_window(start, end)
    raise_allocator_threshold()
    step = COARSE_STEP_S
    period_s = _orbit_period_s(element_set)
    observers = orbit.Observers.from_geodetic(
        [p.latitude_deg for p in places],
        [p.longitude_deg for p in places],
        [p.elevation_m for p in places],
    )
    pad_steps = _pad_steps(element_set)
    if frames is None:
        frames = orbit.FrameTable.for_span(
            *_frames_span(element_set, t_start, t_end), sun_step_s=SUN_STEP_S
        )
    margin_deg = _grid_margin_deg(element_set, settings.horizon_deg, step)
    visible_margin_deg = _grid_margin_deg(element_set, settings.min_visible_elevation_deg, step)
    cone = _Cone.around(observers, element_set, settings.horizon_deg - margin_deg)
    chunk_steps = _chunk_steps(len(places), chunk_days, step)
    daylight = None
    if not include_invisible:
        half_s = period_s / 6.0
        daylight = _Daylight(_daylight_limit_deg(settings, half_s, step), half_s + 3.0 * step)
    # The grid is anchored to absolute time (whole multiples of the step since 1970), not to
    # ``start``: the same instants are sampled whatever the window, so a pass is found (or
    # not) and timed identically from any ``--start`` and in any piece of a longer window.
    anchor = GRID_ANCHOR_UNIX
    k_start = math.floor((t_start - anchor) / step)
    total_steps = math.ceil((t_end - anchor) / step) - k_start

    found: list[_Found] = []
    for offset in range(0, total_steps, chunk_steps):
        first = k_start + offset
        c0 = max(t_start, anchor + first * step)
        c1 = min(anchor + (first + chunk_steps) * step, t_end)
        k_lo = first - pad_steps
        k_hi = k_start + min(offset + chunk_steps, total_steps) + pad_steps
        nodes = anchor + step * np.arange(k_lo, k_hi + 1).astype(float)
        r_km, v_km_s, theta, propagated = _propagate_grid(
            element_set.satrec, nodes, frames, cone, daylight
        )
        sun_teme = np.zeros_like(r_km)
        sun_teme[propagated] = frames.sun_teme_at(nodes[propagated])
        track = _Track.build(anchor, k_lo, step, r_km, v_km_s, sun_teme, theta, propagated)
        exact = _ExactTrack.like(track, element_set.satrec, frames)
        chunk = _search_chunk(
            _Sky.of(track, observers),
            cone,
            c0,
            c1,
            settings,
            margin_deg,
            None if include_invisible else period_s / 6.0,
            exact_sky=_Sky.of(exact, observers),
            visible_margin_deg=visible_margin_deg,
        )
        if chunk is not None:
            found.append(chunk)
    return _assemble(element_set, places, found, frames)


def _frames_span(element_set: ElementSet, t_start: float, t_end: float) -> tuple[float, float]:
    """The span (POSIX s) a search of ``[t_start, t_end)`` reads the frame table over: the
    window, its grid's padding of half an orbit and two steps, and two steps more."""
    reach_s = (_pad_steps(element_set) + 2) * COARSE_STEP_S
    return t_start - reach_s, t_end + reach_s


def _pad_steps(element_set: ElementSet) -> int:
    """Grid steps a search reads beyond each end of its span: half an orbit and two."""
    return math.ceil(0.5 * _orbit_period_s(element_set) / COARSE_STEP_S) + 2


#: Bytes of the block :func:`raise_allocator_threshold` asks for and gives back at once.
ALLOCATOR_WARMUP_BYTES = 8 * 2**20


@functools.cache
def raise_allocator_threshold() -> None:
    """Ask for one large block and give it back, once a process, so that the search's
    temporaries come from the heap instead of fresh pages.

    The GNU C library serves a block above its mmap threshold (128 kB at start) with pages new
    from the kernel, each faulted in on first touch (about 1 us each here), and returns them
    when the block is freed; it raises the threshold to the size of the first such block freed
    (mallopt(3), M_MMAP_THRESHOLD, "dynamic"). The search's temporaries are such blocks (50
    places x 30 days: arrays of 0.2-2.6 MB), so a first search kept faulting pages in until
    the threshold had crept up. Freeing an 8 MB block first (never touched, so it costs no
    fault) raises the threshold at once: for 50 places x 30 days of every pass, a first search
    in a fresh process faults 6,700 pages instead of 11,900 and takes about 97 instead of
    110 ms of CPU (best of 4 each); the whole ``--all --json`` run's resident peak grows by
    4 MB. The heap may keep up to twice that block free (16 MB) rather than return it. A
    larger block gains nothing (16 MB: the same faults), and one of 32 MB or more is not taken
    as a threshold at all. Elsewhere (another allocator) it is an allocation and nothing more.
    """
    block = np.empty(ALLOCATOR_WARMUP_BYTES, dtype=np.uint8)
    del block


def _direction_rate_bound_rad_s(satrec: Satrec) -> float:
    """Fastest turn (rad/s) of the satellite's direction from the Earth's centre, Earth-fixed.

    At most the inertial speed over the distance plus the Earth's rotation; the speed and the
    distance bounded as :func:`orbit.check_physical` bounds every propagated state (vis-viva,
    with the distance at least the lowest and the semi-major axis at most the highest it
    allows). Tiangong: 1.32e-3 rad/s, against 1.06e-3 at its perigee.
    """
    a_km = float(satrec.a) * float(satrec.radiusearthkm)
    lowest_km = a_km * (1.0 - float(satrec.ecco)) - orbit.ORBIT_MARGIN_KM
    highest_km = a_km * (1.0 + float(satrec.ecco)) + orbit.ORBIT_MARGIN_KM
    speed_km_s = math.sqrt(float(satrec.mu) * (2.0 / lowest_km - 1.0 / highest_km))
    return speed_km_s / lowest_km + EARTH_ROTATION_RAD_S


class _Daylight(NamedTuple):
    """When only visible passes are wanted: a grid maximum is dropped as a pass in daylight
    when the Sun stands above ``limit_deg`` at its place (:func:`_daylight_limit_deg`), and
    whatever the search reads for a pass it keeps lies within ``reach_s`` of the pass's grid
    maximum (the prefilter's half-width, longer than any pass, and three steps)."""

    limit_deg: float
    reach_s: float


def _propagate_grid(
    satrec: Satrec,
    nodes: FloatArray,
    frames: orbit.FrameTable,
    cone: _Cone,
    daylight: _Daylight | None = None,
) -> tuple[FloatArray, FloatArray, FloatArray, NDArray[np.bool_]]:
    """Earth-fixed positions and velocities (N, 3) and the sidereal angle (N,) at the grid
    ``nodes``: SGP4 and ``frames`` at every node the search reads, zeros elsewhere; and which
    nodes were propagated.

    SGP4 runs first every ``SCREEN_STRIDE`` nodes (and at the last). Between two of those the
    angle of the satellite from the cone's axis cannot fall faster than
    :func:`_direction_rate_bound_rad_s`, which bounds it from below at every node; the nodes
    where that bound lets the satellite be inside the cone, and their neighbours, are
    propagated too. They hold every node inside the cone and every node next to one: all the
    search reads (grid maxima and their neighbours, the brackets of every event, the walk to
    the first node below the horizon, which lies next to one above it). For 50 places in
    Pakistan 30 % of the nodes are propagated (the cone, 32° in radius, holds 9 %).

    With ``daylight`` (visible passes only), of those only the nodes within its ``reach_s`` of
    a node where the Sun may stand at or below its ``limit_deg`` at one of the places are
    propagated: a grid maximum anywhere else is dropped as in daylight without reading
    anything more, and every node a kept one reads is propagated (a maximum found on the edge
    of the nodes propagated, beside a node that is not, lies in such daylight: see
    :func:`_coarse_candidates`). The Sun's altitude at every place is at least its altitude at
    the cone's axis less the places' spread and 1° (the geodetic vertical, 0.2° off the
    geocentric one, and the Sun's parallax, 0.003°), bounded between the screening nodes by
    ``SUN_ALTITUDE_RATE_DEG_S``. For 50 places in Pakistan over a year, 25 % of the nodes are
    propagated instead of 30 %; the results are the same.

    Where SGP4 fails the whole grid is propagated, so that the error names the first bad time
    as ever. (A failure confined to nodes never propagated, between two good screening nodes
    12 minutes apart, goes unnoticed: decay and runaway drag terms, the failures SGP4 and the
    physics check catch, persist once they start.)
    """
    n = len(nodes)
    stride = SCREEN_STRIDE

    def whole_grid() -> tuple[FloatArray, FloatArray, FloatArray, NDArray[np.bool_]]:
        theta = frames.gmst_rad(nodes)
        r, v = orbit.satellite_itrs(satrec, nodes, theta)
        return r, v, theta, np.ones(n, dtype=bool)

    if stride <= 1 or cone.cos_half_angle <= -1.0 or n <= 2 * stride:
        return whole_grid()
    screen = np.arange(0, n, stride)
    if screen[-1] != n - 1:
        screen = np.append(screen, n - 1)
    theta_rad = np.zeros(n)
    theta_rad[screen] = frames.gmst_rad(nodes[screen])
    try:
        r_screen, v_screen = orbit.satellite_itrs(satrec, nodes[screen], theta_rad[screen])
    except PropagationError:
        return whole_grid()
    cos_angle = (r_screen @ cone.axis) / np.sqrt(np.einsum("ij,ij->i", r_screen, r_screen))
    angle = np.arccos(np.clip(cos_angle, -1.0, 1.0))
    rate = _direction_rate_bound_rad_s(satrec)
    half_angle = math.acos(cone.cos_half_angle)
    # Over a stretch between screening nodes the two bounds add up to a constant, so neither
    # falls below half of it: stretches where that is outside the cone are skipped whole.
    t_screen = nodes[screen]
    near = np.flatnonzero(0.5 * (angle[:-1] + angle[1:] - rate * np.diff(t_screen)) <= half_angle)
    counts = screen[near + 1] - screen[near] + 1
    segment = np.repeat(near, counts)
    node = screen[segment] + np.arange(counts.sum()) - np.repeat(np.cumsum(counts) - counts, counts)
    lowest = np.maximum(
        angle[segment] - rate * (nodes[node] - t_screen[segment]),
        angle[segment + 1] - rate * (t_screen[segment + 1] - nodes[node]),
    )
    maybe_inside = np.zeros(n, dtype=bool)
    maybe_inside[node[lowest <= half_angle]] = True
    wanted = maybe_inside.copy()
    wanted[1:] |= maybe_inside[:-1]
    wanted[:-1] |= maybe_inside[1:]
    if daylight is not None:
        wanted &= _maybe_dark(nodes, screen, theta_rad[screen], frames, cone, daylight)
    propagated = np.zeros(n, dtype=bool)
    propagated[screen] = True
    extra = np.flatnonzero(wanted & ~propagated)
    r = np.zeros((n, 3))
    v = np.zeros((n, 3))
    r[screen], v[screen] = r_screen, v_screen
    if extra.size:
        theta_rad[extra] = frames.gmst_rad(nodes[extra])
        try:
            r[extra], v[extra] = orbit.satellite_itrs(satrec, nodes[extra], theta_rad[extra])
        except PropagationError:
            return whole_grid()
        propagated[extra] = True
    return r, v, theta_rad, propagated


def _maybe_dark(
    nodes: FloatArray,
    screen: IntArray,
    theta_screen_rad: FloatArray,
    frames: orbit.FrameTable,
    cone: _Cone,
    daylight: _Daylight,
) -> NDArray[np.bool_]:
    """The grid ``nodes`` within ``daylight.reach_s`` of one where the Sun may stand at or
    below ``daylight.limit_deg`` at one of the places around ``cone``'s axis, from the Sun at
    the screening nodes ``screen`` (sidereal angle ``theta_screen_rad`` there); see
    :func:`_propagate_grid`."""
    n = len(nodes)
    everywhere = np.ones(n, dtype=bool)
    threshold_deg = daylight.limit_deg + math.degrees(cone.spread_rad) + 1.0
    if threshold_deg >= 90.0 or cone.cos_half_angle <= -1.0:
        return everywhere
    t_screen = nodes[screen]
    sun = frames.sun_itrs_at(t_screen, theta_screen_rad)
    sin_altitude = (sun @ cone.axis) / np.sqrt(np.einsum("ij,ij->i", sun, sun))
    altitude_deg = np.degrees(np.arcsin(np.clip(sin_altitude, -1.0, 1.0)))
    # Lowest the Sun can stand over a stretch between screening nodes (as in _propagate_grid).
    lowest_deg = 0.5 * (
        altitude_deg[:-1] + altitude_deg[1:] - SUN_ALTITUDE_RATE_DEG_S * np.diff(t_screen)
    )
    dark_stretch = lowest_deg <= threshold_deg
    stretch = np.minimum(np.arange(n) // SCREEN_STRIDE, len(dark_stretch) - 1)
    dark = dark_stretch[stretch]
    dark[screen[1:]] |= dark_stretch  # a screening node ends one stretch and starts the next
    # Every node within the reach of a dark one.
    reach = math.ceil(daylight.reach_s / float(nodes[1] - nodes[0]))
    count = np.concatenate(([0], np.cumsum(dark)))
    index = np.arange(n)
    return count[np.minimum(index + reach + 1, n)] - count[np.maximum(index - reach, 0)] > 0


class _Cone(NamedTuple):
    """A cone around the places, from the Earth's centre, outside which the satellite stands
    below the coarse threshold elevation for every place: nodes there need no (N, P) work."""

    axis: FloatArray  # unit vector (3,)
    cos_half_angle: float
    # Largest angle (rad) between a place's geocentric direction and the axis.
    spread_rad: float = 0.0

    @classmethod
    def around(cls, observers: orbit.Observers, element_set: ElementSet, elevation_deg: float):
        directions = observers.position_km / np.linalg.norm(
            observers.position_km, axis=1, keepdims=True
        )
        mean = directions.mean(axis=0)
        size = float(np.linalg.norm(mean))
        if size < 1e-6:
            return cls(np.array([0.0, 0.0, 1.0]), -1.0, math.pi)
        axis = mean / size
        spread = float(np.arccos(np.clip(directions @ axis, -1.0, 1.0)).max())
        # Widest reach of a satellite at apogee seen from the smallest Earth radius (polar),
        # plus 1° for the geodetic vertical (0.2° off the geocentric one) and 1° to spare.
        satrec = element_set.satrec
        apogee_km = float(satrec.a) * float(satrec.radiusearthkm) * (1 + float(satrec.ecco))
        elevation = math.radians(max(-89.0, min(89.0, elevation_deg)))
        ratio = min(1.0, 6356.0 * math.cos(elevation) / (apogee_km + 50.0))
        reach = math.acos(ratio) - elevation + math.radians(2.0)
        half_angle = spread + reach
        return cls(axis, math.cos(half_angle) if half_angle < math.pi else -1.0, spread)


#: Hand-overs between element sets: each set's passes within this many of its orbital periods
#: of a hand-over are paired with the neighbouring set's (all passes, visible or not)...
HANDOVER_ZONE_PERIODS = 1.0
#: ...where two passes of one place, one from each set, less than this many periods apart are
#: one pass seen by both (consecutive passes of a place are about a period apart; two sets a
#: week apart disagree by minutes).
HANDOVER_MATCH_PERIODS = 0.4

#: A stretch is searched once over its whole reach and cut where its inner part begins and
#: ends, instead of searched in three pieces, unless a pass culminates within this (s) of a
#: cut. A pass belongs to a search by its culmination: its final one (solved on SGP4)
#: wherever it lies within ``POLISH_HALF_S`` of an end of the search, else the interpolated
#: one, which lies within 15 ms of the final one. So where no final culmination lies within
#: ``POLISH_HALF_S`` of a cut, the cut gives the passes of the three searches; where one
#: does, the three searches are made. (Every city, 90 days from 2025-10-01: 82 sets, 2.05 ->
#: 1.45 s CPU for the visible passes, 3.4 -> 2.8 s for every pass, with the shared frame
#: table and the narrower search at the edges.)
HANDOVER_CUT_GUARD_S = POLISH_HALF_S


def find_passes_over_sets(
    stretches: Sequence[tuple[ElementSet, datetime, datetime]],
    places: Sequence[Place],
    settings: Settings = Settings(),  # noqa: B008 - frozen dataclass, immutable default
    *,
    include_invisible: bool = False,
) -> tuple[PlacePasses, ...]:
    """:func:`find_passes` over consecutive stretches of time, each with its own element set
    (``tle.nearest_segments``): every pass comes out exactly once, from the set nearest it.

    The stretches must be in time order and adjoin; each boundary is the midpoint between two
    epochs. Two sets disagree on a pass's culmination by up to minutes, so "the set nearest
    the pass" is decided on the pass, not on either set's time for it: near each hand-over
    (``HANDOVER_ZONE_PERIODS``) both sets' passes are computed, paired (one pass seen by
    both: the same place, culminations under ``HANDOVER_MATCH_PERIODS`` apart), and a pair
    goes to the side of the boundary where the mean of its two culmination times falls; a
    pass only one set predicts goes by its own time. Elsewhere a pass is the nearest set's
    by its own time. Returns one :class:`PlacePasses` per place, passes in time order.

    The passes stay columns throughout (:class:`PassColumns`, as :func:`find_passes` returns
    them): the pairing and the choice at each hand-over are made on arrays of culmination
    times rounded to the microsecond, the times a :class:`Pass` carries.
    """
    if len(stretches) == 1:
        element_set, low, high = stretches[0]
        return find_passes(
            element_set, places, low, high, settings, include_invisible=include_invisible
        )
    if not places:
        for _, low, high in stretches:
            _check_window(low, high)
        return ()
    if not stretches:  # nothing to compute (a terminal's window all past the limit)
        return tuple(PlacePasses(place, ()) for place in places)
    return _by_place(places, _columns_over_sets(stretches, places, settings, include_invisible))


def _columns_over_sets(
    stretches: Sequence[tuple[ElementSet, datetime, datetime]],
    places: Sequence[Place],
    settings: Settings,
    include_invisible: bool,
) -> PassColumns:
    """:func:`find_passes_over_sets` (two stretches or more) as columns sorted by place, then
    culmination."""
    count = len(stretches)
    zone_s: list[float] = []
    # Each stretch's reach: its own time and a zone either side where the set's passes are
    # paired with its neighbour's (the "edges"), and what is left between them (None when
    # nothing is: the stretch is all edge).
    plans: list[tuple[ElementSet, datetime, datetime, tuple[datetime, datetime] | None]] = []
    for k, (element_set, low, high) in enumerate(stretches):
        zone = timedelta(seconds=HANDOVER_ZONE_PERIODS * _orbit_period_s(element_set))
        zone_s.append(zone.total_seconds())
        ext_low = low - zone if k > 0 else low
        ext_high = high + zone if k < count - 1 else high
        inner_low = low + zone if k > 0 else low
        inner_high = high - zone if k < count - 1 else high
        inner = (inner_low, inner_high) if inner_low < inner_high else None
        plans.append((element_set, ext_low, ext_high, inner))
    # One frame table for every search: the same nodes, hence the same values, as each
    # search's own (building it costs about a millisecond a call).
    spans = [_frames_span(e, a.timestamp(), b.timestamp()) for e, a, b, _ in plans]
    frames = orbit.FrameTable.for_span(
        min(lo for lo, _ in spans), max(hi for _, hi in spans), sun_step_s=SUN_STEP_S
    )

    def search(
        element_set: ElementSet,
        low: datetime,
        high: datetime,
        every: bool,
        subset: IntArray | None = None,
    ) -> PassColumns:
        if low >= high:
            return _no_passes()
        where = places if subset is None else [places[i] for i in subset]
        found = _find_columns(
            element_set, where, low, high, settings, include_invisible=every, frames=frames
        )
        return found if subset is None else replace(found, place=subset[found.place])

    def edges_of(
        element_set: ElementSet,
        ext_low: datetime,
        ext_high: datetime,
        inner: tuple[datetime, datetime] | None,
        every: bool,
        subset: IntArray | None = None,
    ) -> PassColumns:
        if inner is None:
            return search(element_set, ext_low, ext_high, every, subset)
        return PassColumns.concatenate(
            [
                search(element_set, ext_low, inner[0], every, subset),
                search(element_set, inner[1], ext_high, every, subset),
            ]
        )

    # Passes away from every hand-over (kept as they are), and each set's passes near its
    # hand-overs (every pass, visible or not), to be paired with the neighbouring set's.
    inner_parts: list[PassColumns] = []
    near: list[PassColumns] = []
    for element_set, ext_low, ext_high, inner in plans:
        if inner is None:
            near.append(edges_of(element_set, ext_low, ext_high, inner, include_invisible))
            continue
        # The whole reach in one search, cut where the inner part begins and ends: see
        # HANDOVER_CUT_GUARD_S.
        whole = search(element_set, ext_low, ext_high, include_invisible)
        culmination = whole.time_unix[:, 1]
        cuts = np.array([inner[0].timestamp(), inner[1].timestamp()])
        if (np.abs(culmination[:, None] - cuts[None, :]) <= HANDOVER_CUT_GUARD_S).any():
            inner_parts.append(search(element_set, *inner, include_invisible))
            near.append(edges_of(element_set, ext_low, ext_high, inner, include_invisible))
            continue
        middle = (culmination >= cuts[0]) & (culmination < cuts[1])
        inner_parts.append(whole.take(middle))
        near.append(whole.take(~middle))
    if not include_invisible:
        # So far ``near`` holds the visible passes near the hand-overs. A place's passes
        # there are needed only if one of them can be kept: the places with a visible pass
        # near a hand-over of the set or of a neighbour (the search for visible passes drops
        # only passes invisible throughout; a place's passes do not depend on the other
        # places searched with it). Their every pass, for the pairing:
        # (Not np.unique, which imports numpy.ma: 8 ms of such a run.)
        seen = [np.bincount(columns.place, minlength=len(places)) > 0 for columns in near]
        for k, (element_set, ext_low, ext_high, inner) in enumerate(plans):
            wanted = np.flatnonzero(np.logical_or.reduce(seen[max(0, k - 1) : k + 2]))
            near[k] = (
                edges_of(element_set, ext_low, ext_high, inner, True, wanted)
                if wanted.size
                else _no_passes()
            )

    # The culmination each pass near a hand-over carries (rounded to the microsecond, POSIX s).
    when = [microseconds(columns.time_unix[:, 1]) / 1e6 for columns in near]
    # Each candidate's side at the hand-over before and after its stretch: True = its own set.
    own_left = [np.ones(len(columns), dtype=bool) for columns in near]
    own_right = [np.ones(len(columns), dtype=bool) for columns in near]
    for k in range(count - 1):
        boundary = stretches[k][2].timestamp()
        zone = max(zone_s[k], zone_s[k + 1])
        match_s = HANDOVER_MATCH_PERIODS * zone / HANDOVER_ZONE_PERIODS
        left = (when[k], near[k].place)
        right = (when[k + 1], near[k + 1].place)
        index, decides = _consensus(left, right, boundary, zone, match_s)
        own_right[k][index] = decides < boundary
        index, decides = _consensus(right, left, boundary, zone, match_s)
        own_left[k + 1][index] = decides >= boundary
    parts = inner_parts  # then the passes kept near each hand-over
    for k, columns in enumerate(near):
        low, high = stretches[k][1].timestamp(), stretches[k][2].timestamp()
        keep = own_left[k] & own_right[k]
        # Away from a hand-over (only at the window's own ends) a pass goes by its time.
        if k == 0:
            keep &= when[k] >= low
        if k == count - 1:
            keep &= when[k] < high
        if not include_invisible:
            keep &= np.isfinite(columns.time_unix[:, 3])
        parts.append(columns.take(keep))
    near.clear()
    return _merged_in_order(parts)


def _merged_in_order(parts: list[PassColumns]) -> PassColumns:
    """The passes of ``parts`` (each sorted by place) as one set of columns sorted by place,
    then culmination to the microsecond (stably: as the objects the first version sorted).

    Empties ``parts`` and gathers the columns one at a time, so that the passes are held
    about once and a column twice, rather than three times over (parts, joined, sorted):
    every city's every pass over a year from 2025-10-01 (1.06 million passes), the whole
    ``--json --all`` run's peak 1,019 -> 778 MB (one set: 709 MB)."""
    order = np.lexsort(
        (
            np.concatenate([microseconds(part.time_unix[:, 1]) for part in parts]),
            np.concatenate([part.place for part in parts]),
        )
    )
    names = [name for name in PassColumns.__dataclass_fields__ if name != "near"]
    near = None
    if any(part.near is not None for part in parts):
        near = np.concatenate([part.near_column() for part in parts])[order]
    pending = {name: [getattr(part, name) for part in parts] for name in names}
    parts.clear()
    merged = {}
    for name in names:
        arrays = pending.pop(name)
        merged[name] = np.concatenate(arrays).take(order, axis=0)
        del arrays
    return PassColumns(**merged, near=near)


#: Culmination times (POSIX s) and place indexes of passes, two arrays of the same length.
_Culminations = tuple[FloatArray, IntArray]


def _consensus(
    mine: _Culminations,
    theirs: _Culminations,
    boundary: float,
    zone_s: float,
    match_s: float,
) -> tuple[IntArray, FloatArray]:
    """For each of ``mine`` culminating within ``zone_s`` of ``boundary`` (its index in
    ``mine``): the time that decides its side, the mean of its culmination and that of its
    partner in ``theirs`` (the nearest pass of the same place within ``zone_s`` of the
    boundary, if each is the other's nearest and under ``match_s`` apart), else its own."""
    ours = np.flatnonzero(np.abs(mine[0] - boundary) <= zone_s)
    others = np.flatnonzero(np.abs(theirs[0] - boundary) <= zone_s)
    when, place = mine[0][ours], mine[1][ours]
    their_when, their_place = theirs[0][others], theirs[1][others]
    partner = _nearest_same_place(when, place, their_when, their_place)
    paired = np.flatnonzero(partner >= 0)
    partner_when = np.full(len(ours), np.nan)
    partner_when[paired] = their_when[partner[paired]]
    paired = paired[np.abs(partner_when[paired] - when[paired]) < match_s]
    back = _nearest_same_place(partner_when[paired], place[paired], when, place)
    paired = paired[back == paired]
    decides = when.copy()
    decides[paired] = 0.5 * (when[paired] + partner_when[paired])
    return ours, decides


def _nearest_same_place(
    when: FloatArray, place: IntArray, among_when: FloatArray, among_place: IntArray
) -> IntArray:
    """For each (``when``, ``place``), the index of the time in ``among_when`` of the same
    place nearest it (of two as near, the earlier), or -1 when that place has none."""
    m = len(among_when)
    if m == 0 or len(when) == 0:
        return np.full(len(when), -1, dtype=np.intp)
    # Times replaced by their ranks among both arrays (equal times, equal ranks), so that one
    # sorted integer key orders by place, then time, exactly.
    _, rank = np.unique(np.concatenate((when, among_when)), return_inverse=True)
    rank = rank.ravel().astype(np.int64)
    span = int(rank.max()) + 1
    key = place.astype(np.int64) * span + rank[: len(when)]
    among_key = among_place.astype(np.int64) * span + rank[len(when) :]
    order = np.argsort(among_key, kind="stable")
    after = np.searchsorted(among_key[order], key, side="left")  # the first at or after
    before = after - 1
    has_after = after < m
    has_before = before >= 0
    after_i = order[np.minimum(after, m - 1)]
    before_i = order[np.maximum(before, 0)]
    has_after &= among_place[after_i] == place
    has_before &= among_place[before_i] == place
    gap_after = np.abs(among_when[after_i] - when)
    gap_before = np.abs(among_when[before_i] - when)
    take_before = has_before & (~has_after | (gap_before <= gap_after))
    return np.where(take_before, before_i, np.where(has_after, after_i, -1)).astype(np.intp)


def _coarse_candidates(
    sky: _Sky, cone: _Cone, c0: float, c1: float, threshold_sin: float
) -> tuple[IntArray, IntArray]:
    """Grid nodes (index, place) that are local maxima of elevation above ``threshold_sin``
    and whose culmination can fall within ``[c0, c1)``."""
    track = sky.track
    r = track.r_km  # (3, N)
    n = r.shape[1]
    inside = r.T @ cone.axis >= cone.cos_half_angle * np.sqrt(np.einsum("kn,kn->n", r, r))
    if track.propagated is not None:
        inside &= track.propagated  # the others are outside (see _propagate_grid)
    # Local maxima need both neighbours: take the nodes next to the cone too.
    near = inside.copy()
    near[1:] |= inside[:-1]
    near[:-1] |= inside[1:]
    rows = np.flatnonzero(near)
    if rows.size < 3:
        return np.zeros(0, dtype=np.intp), np.zeros(0, dtype=np.intp)
    sub = r[:, rows].T  # (R, 3)
    up_dot = sub @ sky.up  # (R, P)
    up_dot -= np.einsum("kp,kp->p", sky.position_km, sky.up)
    rho = sub @ sky.position_km
    rho *= -2.0
    rho += np.einsum("nk,nk->n", sub, sub)[:, None]
    rho += np.einsum("kp,kp->p", sky.position_km, sky.position_km)[None, :]
    np.sqrt(rho, out=rho)
    sin_el = np.divide(up_dot, rho, out=up_dot)
    del rho
    middle = sin_el[1:-1]
    is_max = middle >= threshold_sin
    is_max &= middle > sin_el[:-2]
    is_max &= middle >= sin_el[2:]
    # Only nodes inside the cone whose neighbours in ``rows`` are their neighbours in time.
    consecutive = (rows[:-2] == rows[1:-1] - 1) & (rows[2:] == rows[1:-1] + 1)
    if track.propagated is not None:
        # Both neighbours propagated: a node on the edge of the nodes propagated for the
        # visible passes only, beside one skipped in daylight (see _propagate_grid), is no
        # maximum (it lies in that daylight; every other node's neighbours are propagated).
        consecutive &= track.propagated[rows[:-2]] & track.propagated[rows[2:]]
    is_max &= (inside[rows[1:-1]] & consecutive)[:, None]
    j, place = np.nonzero(is_max)
    node = rows[j + 1]
    times = track.node_time(node)
    # The true maximum lies between the neighbouring nodes.
    keep = (times + track.step_s > c0) & (times - track.step_s < c1) & (node >= 1) & (node < n - 1)
    return node[keep].astype(np.intp), place[keep].astype(np.intp)


def _search_chunk(
    sky: _Sky,
    cone: _Cone,
    c0: float,
    c1: float,
    settings: Settings,
    margin_deg: float,
    prefilter_half_s: float | None,
    *,
    exact_sky: _Sky | None = None,
    visible_margin_deg: float = 90.0,
) -> _Found | None:
    """The passes culminating in ``[c0, c1)``. With ``prefilter_half_s`` (only visible passes
    wanted), passes are dropped before they are refined when they are provably invisible: too
    low, in daylight or in the Earth's shadow throughout (:func:`_maybe_visible`,
    :func:`_invisible_within`; ``prefilter_half_s`` is longer than any pass). With
    ``exact_sky`` (SGP4 at every time),
    the passes whose highest elevation on the interpolant lies within ``GRAZING_BAND_DEG`` of
    the horizon or of the minimum visible elevation are refined on it instead.
    ``visible_margin_deg``: how far below the minimum visible elevation a grid maximum may lie
    and still hide a visible pass (:func:`_grid_margin_deg`)."""
    threshold = math.sin(math.radians(max(-90.0, settings.horizon_deg - margin_deg)))
    node, place = _coarse_candidates(sky, cone, c0, c1, threshold)
    if node.size == 0:
        return None
    return _refine(
        sky, node, place, c0, c1, settings, prefilter_half_s, exact_sky, visible_margin_deg
    )


def _daylight_limit_deg(settings: Settings, half_s: float, step_s: float) -> float:
    """The Sun's altitude (deg) at a place above which :func:`_maybe_visible` drops a grid
    maximum there as a pass in daylight: the limit plus what the Sun can sink in ``half_s``
    and a step, and 0.5° to spare."""
    return settings.sun_max_altitude_deg + SUN_ALTITUDE_RATE_DEG_S * (half_s + step_s) + 0.5


def _maybe_visible(
    sky: _Sky,
    node: IntArray,
    place: IntArray,
    settings: Settings,
    visible_margin_deg: float,
    half_s: float,
) -> NDArray[np.bool_]:
    """False for the candidate grid maxima ``(node, place)`` whose pass is provably invisible
    from the nodes alone, before its culmination is solved: each test is the one
    :func:`_refine_tail` makes at the culmination, widened by how far the culmination can lie
    from its node (one step), so it drops nothing that test would keep.

    Too low: the grid maximum lies more than ``visible_margin_deg`` (:func:`_grid_margin_deg`
    for the minimum visible elevation) below that elevation, so the top is below it. Daylight:
    the Sun stands higher than the limit plus what it can sink in ``half_s`` and a step. Then
    :func:`_invisible_within` the nodes that bracket the pass: the first below the horizon
    either side of the grid maximum, or its neighbours when it is below itself (the pass, the
    stretch above the horizon around a top between them, cannot reach past a node below it).
    """
    track = sky.track
    step = track.step_s
    t = track.node_time(node)
    threshold_deg = settings.min_visible_elevation_deg - visible_margin_deg
    keep = sky.sin_elevation_at_node(node, place) >= math.sin(
        math.radians(max(-90.0, threshold_deg))
    )
    limit_deg = _daylight_limit_deg(settings, half_s, step)
    if limit_deg < 90.0:
        keep &= sky.sin_sun_altitude(t, place) <= math.sin(math.radians(limit_deg))
    idx = np.flatnonzero(keep)
    if idx.size:
        sin_h = math.sin(math.radians(settings.horizon_deg))
        top, where = node[idx], place[idx]
        before = np.minimum(_first_below(sky, top, where, sin_h, -1), top - 1)
        after = np.maximum(_first_below(sky, top, where, sin_h, +1), top + 1)
        keep[idx] = ~_invisible_within(
            sky, where, track.node_time(before), track.node_time(after), settings, half_s
        )
    return keep


def _refine(
    sky: _Sky,
    node: IntArray,
    place: IntArray,
    c0: float,
    c1: float,
    settings: Settings,
    prefilter_half_s: float | None,
    exact_sky: _Sky | None,
    visible_margin_deg: float,
) -> _Found | None:
    """The passes of the candidate grid maxima ``(node, place)`` culminating in ``[c0, c1)``
    (see :func:`_search_chunk`)."""
    track = sky.track
    if prefilter_half_s is not None:
        keep = _maybe_visible(sky, node, place, settings, visible_margin_deg, prefilter_half_s)
        node, place = node[keep], place[keep]
        if node.size == 0:
            return None

    # Culmination: the root of the elevation rate between the neighbouring nodes.
    lo_t = track.node_time(node - 1)
    hi_t = track.node_time(node + 1)
    rate_lo = sky.elevation_rate_at_node(node - 1, place)
    rate_hi = sky.elevation_rate_at_node(node + 1, place)
    good = (rate_lo > 0) & (rate_hi < 0)
    culmination = track.node_time(node)  # fallback: the node itself
    if good.any():
        idx = np.flatnonzero(good)
        culmination[idx] = _solve(
            lambda t, w: sky.elevation_rate(t, place[idx[w]]),
            lo_t[idx],
            hi_t[idx],
            rate_lo[idx],
            rate_hi[idx],
        )
    sin_max = sky.sin_elevation(culmination, place)
    grazing_found: _Found | None = None
    if exact_sky is not None:
        # The interpolant sits a few metres off the true track (1e-4° at the horizon): a pass
        # whose top is that near a threshold is decided on the true track.
        top_deg = np.degrees(np.arcsin(np.clip(sin_max, -1.0, 1.0)))
        grazing = np.abs(top_deg - settings.min_visible_elevation_deg) < GRAZING_BAND_DEG
        if prefilter_half_s is None:  # every pass wanted: whether it exists at all, too
            grazing |= np.abs(top_deg - settings.horizon_deg) < GRAZING_BAND_DEG
        if grazing.any():
            grazing_found = _refine(
                exact_sky,
                node[grazing],
                place[grazing],
                c0,
                c1,
                settings,
                prefilter_half_s,
                None,
                visible_margin_deg,
            )
            rest = ~grazing
            node, place, culmination, sin_max = (
                node[rest],
                place[rest],
                culmination[rest],
                sin_max[rest],
            )
    found = _refine_tail(
        sky,
        node,
        place,
        culmination,
        sin_max,
        c0,
        c1,
        settings,
        prefilter_half_s,
        exact_sky,
    )
    return _join(found, grazing_found)


def _join(a: _Found | None, b: _Found | None) -> _Found | None:
    if a is None or b is None:
        return a if b is None else b
    return _Found(
        np.concatenate((a.place, b.place)),
        np.concatenate((a.times, b.times)),
        np.concatenate((a.shadow_entry, b.shadow_entry)),
        np.concatenate((a.shadow_exit, b.shadow_exit)),
        np.concatenate((a.magnitude, b.magnitude)),
        np.concatenate((a.reason, b.reason)),
        np.concatenate((a.position_km, b.position_km)),
    )


def _refine_tail(
    sky: _Sky,
    node: IntArray,
    place: IntArray,
    culmination: FloatArray,
    sin_max: FloatArray,
    c0: float,
    c1: float,
    settings: Settings,
    prefilter_half_s: float | None,
    exact_sky: _Sky | None = None,
) -> _Found | None:
    """Rise, set and the visible interval of culminations already refined; with ``exact_sky``
    (SGP4 at every time) the events of the passes kept are then solved again on it (see
    :func:`_on_sgp4`)."""
    include_invisible = prefilter_half_s is None
    track = sky.track
    step = track.step_s
    n_nodes = track.r_km.shape[1]
    sin_h = math.sin(math.radians(settings.horizon_deg))
    sin_v = math.sin(math.radians(settings.min_visible_elevation_deg))
    sin_sun = math.sin(math.radians(settings.sun_max_altitude_deg))
    if node.size == 0:
        return None
    top_exact = np.zeros(len(node), dtype=bool)
    if exact_sky is not None:
        # Whether a pass belongs to this chunk is decided on its culmination solved on SGP4
        # where the interpolated one is that near an end of the chunk: each chunk then decides
        # with the same time, and every pass comes out once.
        edge = np.minimum(np.abs(culmination - c0), np.abs(culmination - c1)) <= POLISH_HALF_S
        edge &= sin_max >= sin_h
        if edge.any():
            idx = np.flatnonzero(edge)
            culmination[idx], _ = _top_on_sgp4(
                sky, exact_sky, node[idx], place[idx], culmination[idx]
            )
            top_exact[idx] = True
    keep = (sin_max >= sin_h) & (culmination >= c0) & (culmination < c1)
    if prefilter_half_s is not None:
        keep &= sin_max >= sin_v
        # Daylight throughout: the Sun cannot sink to the limit within the half-width.
        limit_deg = settings.sun_max_altitude_deg + SUN_ALTITUDE_RATE_DEG_S * prefilter_half_s
        daylight = sky.sin_sun_altitude(culmination, place) > math.sin(
            math.radians(min(90.0, limit_deg + 0.5))
        )
        keep &= ~daylight
    node, place, culmination, sin_max = node[keep], place[keep], culmination[keep], sin_max[keep]
    top_exact = top_exact[keep]
    if node.size == 0:
        return None
    # Two candidates of one hump (a plateau on the grid) give one culmination: keep one.
    order = np.lexsort((culmination, place))
    node, place = node[order], place[order]
    culmination, sin_max = culmination[order], sin_max[order]
    duplicate = np.zeros(len(node), dtype=bool)
    duplicate[1:] = (place[1:] == place[:-1]) & (np.diff(culmination) < step)
    node, place, culmination, sin_max = (
        node[~duplicate],
        place[~duplicate],
        culmination[~duplicate],
        sin_max[~duplicate],
    )
    top_exact = top_exact[order][~duplicate]
    m = len(node)

    # Rise and set: walk the grid outwards from the culmination to the first node below the
    # horizon, then refine between it and its neighbour (or the culmination itself).
    at = np.clip(
        (np.floor((culmination - track.anchor_unix) / step) - track.first).astype(np.intp),
        0,
        n_nodes - 1,
    )
    below_before = _first_below(sky, at, place, sin_h, -1)
    below_after = _first_below(sky, np.minimum(at + 1, n_nodes - 1), place, sin_h, +1)
    t_node = track.node_time(np.arange(n_nodes))
    rise_lo = t_node[below_before]
    rise_hi = np.minimum(t_node[np.minimum(below_before + 1, n_nodes - 1)], culmination)
    set_lo = np.maximum(t_node[np.maximum(below_after - 1, 0)], culmination)
    set_hi = t_node[below_after]
    both_places = np.concatenate((place, place))
    lo = np.concatenate((rise_lo, set_lo))
    hi = np.concatenate((rise_hi, set_hi))
    # The ends are grid nodes but where the culmination is nearer: read from the nodes.
    lo_node = np.concatenate((below_before, np.maximum(below_after - 1, 0)))
    hi_node = np.concatenate((np.minimum(below_before + 1, n_nodes - 1), below_after))
    f_lo = sky.sin_elevation_near_node(lo, lo_node, both_places) - sin_h
    f_hi = sky.sin_elevation_near_node(hi, hi_node, both_places) - sin_h
    roots = _solve(lambda t, w: sky.sin_elevation(t, both_places[w]) - sin_h, lo, hi, f_lo, f_hi)
    rise, set_ = roots[:m], roots[m:]
    if prefilter_half_s is not None:
        # Only visible passes wanted: as in _maybe_visible, from rise to set themselves.
        keep = ~_invisible_within(sky, place, rise, set_, settings, prefilter_half_s)
        node, place, culmination, sin_max, top_exact = (
            node[keep],
            place[keep],
            culmination[keep],
            sin_max[keep],
            top_exact[keep],
        )
        rise, set_, rise_lo, rise_hi, set_lo, set_hi = (
            rise[keep],
            set_[keep],
            rise_lo[keep],
            rise_hi[keep],
            set_lo[keep],
            set_hi[keep],
        )
        m = len(node)
        if m == 0:
            return None

    # Sunlit and dark-sky conditions: sampled across the pass, each change refined.
    fraction = np.linspace(0.0, 1.0, CONDITION_SAMPLES)
    samples = rise[:, None] + (set_ - rise)[:, None] * fraction[None, :]  # (m, K)
    flat_t = samples.ravel()
    flat_p = np.repeat(place, CONDITION_SAMPLES)
    shadow_s, sun_s = sky.sun_conditions(flat_t, flat_p)
    shadow_s = shadow_s.reshape(m, -1)
    dark_s = (sun_s - sin_sun).reshape(m, -1)
    shadow_cross = _changes(samples, shadow_s, lambda t, pl: sky.shadow(t), place)
    dark_cross = _changes(
        samples, dark_s, lambda t, pl: sky.sin_sun_altitude(t, pl) - sin_sun, place
    )
    # Shadow entry (clearance turns negative) and exit, at most the first of each.
    entry = _first_with_sign(shadow_cross, -1)
    exit_ = _first_with_sign(shadow_cross, +1)

    # A pass whose samples show neither condition changing, and show it in the shadow, in
    # daylight or never above the minimum elevation, is settled: invisible, and why is known
    # from the samples (a change between two samples 70 s apart that undoes itself before the
    # next is what the search never sees anyway). Its visible interval is not looked for: no
    # elevation threshold solved, no segment judged.
    steady = np.isnan(shadow_cross[0]) & np.isnan(dark_cross[0])
    tall = sin_max >= sin_v
    lit_throughout = shadow_s[:, 0] >= 0
    dark_throughout = dark_s[:, 0] <= 0
    settled = steady & ~(tall & lit_throughout & dark_throughout)

    # The stretch at or above the minimum visible elevation: one interval around culmination.
    high_lo = np.full(m, np.nan)
    high_hi = np.full(m, np.nan)
    if sin_v <= sin_h:
        high_lo[tall], high_hi[tall] = rise[tall], set_[tall]
    elif (tall & ~settled).any():
        idx = np.flatnonzero(tall & ~settled)
        pl2 = np.concatenate((place[idx], place[idx]))
        lo = np.concatenate((rise[idx], culmination[idx]))
        hi = np.concatenate((culmination[idx], set_[idx]))
        # At the culmination, the elevation found with it (the same function at the same
        # time, so the same bits) unless it was solved again on SGP4 since.
        n = len(idx)
        at_ends = sky.sin_elevation(np.concatenate((rise[idx], set_[idx])), pl2) - sin_v
        at_top = sin_max[idx]
        moved = np.flatnonzero(top_exact[idx])
        if moved.size:
            at_top = at_top.copy()
            at_top[moved] = sky.sin_elevation(culmination[idx[moved]], place[idx[moved]])
        at_top = at_top - sin_v
        f_lo = np.concatenate((at_ends[:n], at_top))
        f_hi = np.concatenate((at_top, at_ends[n:]))
        roots = _solve(lambda t, w: sky.sin_elevation(t, pl2[w]) - sin_v, lo, hi, f_lo, f_hi)
        high_lo[idx], high_hi[idx] = roots[: len(idx)], roots[len(idx) :]

    # Segments between every boundary; the visible interval is the longest run of segments
    # that are high enough, sunlit and under a dark sky.
    bounds = np.column_stack(
        (
            rise,
            high_lo,
            high_hi,
            shadow_cross[0],
            shadow_cross[2],
            dark_cross[0],
            dark_cross[2],
            set_,
        )
    )
    column = np.argsort(bounds, axis=1)  # NaN last
    bounds = np.take_along_axis(bounds, column, axis=1)
    bound_kind = np.array(_BOUND_KINDS, dtype=np.int8)[column]
    starts, ends = bounds[:, :-1], bounds[:, 1:]
    valid = np.isfinite(starts) & np.isfinite(ends) & (ends > starts) & ~settled[:, None]
    # Each segment judged at its midpoint (only the valid ones: the others count for nothing).
    segment = np.flatnonzero(valid.ravel())
    mid_t = (0.5 * (starts + ends)).ravel()[segment]
    mid_p = np.repeat(place, valid.shape[1])[segment]
    sin_el_mid, shadow_mid, sin_sun_mid = sky.conditions(mid_t, mid_p)
    is_high, is_lit, is_dark = (np.zeros(valid.shape, dtype=bool) for _ in range(3))
    is_high.ravel()[segment] = sin_el_mid >= sin_v
    is_lit.ravel()[segment] = shadow_mid >= 0
    is_dark.ravel()[segment] = sin_sun_mid <= sin_sun
    ok = valid & is_high & is_lit & is_dark
    vis_start, vis_end = _longest_run(ok, starts, ends)
    visible = np.isfinite(vis_start)

    # Why a pass is not visible, judged over its part high enough (all of it if too low).
    span = np.where(tall[:, None], valid & is_high, valid)
    reason = np.zeros(m, dtype=np.int8)
    reason[~tall] |= _TOO_LOW
    reason[~(span & is_dark).any(axis=1)] |= _DAYLIGHT
    reason[~(span & is_lit).any(axis=1)] |= _SHADOW
    neither = (reason == 0) & ~visible
    reason[neither] = _DAYLIGHT | _SHADOW
    reason[visible] = 0
    reason[settled] = (
        np.where(tall, 0, _TOO_LOW)
        | np.where(dark_throughout, 0, _DAYLIGHT)
        | np.where(lit_throughout, 0, _SHADOW)
    )[settled].astype(np.int8)

    rows = np.arange(m)
    if not include_invisible:
        keep = visible
        rows = rows[keep]
        place, rise, culmination, set_ = place[keep], rise[keep], culmination[keep], set_[keep]
        vis_start, vis_end, entry, exit_, reason = (
            vis_start[keep],
            vis_end[keep],
            entry[keep],
            exit_[keep],
            reason[keep],
        )
        visible = visible[keep]
        m = len(place)
        if m == 0:
            return None

    position_km = np.full((m, 6, 3), np.nan)
    if exact_sky is not None:
        # Which kind of boundary each end of the visible interval is.
        r = np.flatnonzero(np.isfinite(vis_start))
        first_kind = np.full(m, _EV_NONE, dtype=np.int8)
        last_kind = np.full(m, _EV_NONE, dtype=np.int8)
        full_s, full_e = vis_start, vis_end
        if r.size:
            at_start = np.argmax(starts[rows[r]] == full_s[r, None], axis=1)
            at_end = np.argmax(ends[rows[r]] == full_e[r, None], axis=1) + 1
            first_kind[r] = bound_kind[rows[r], at_start]
            last_kind[r] = bound_kind[rows[r], at_end]
        rise, culmination, set_, vis_start, vis_end, entry, exit_, known = _on_sgp4(
            sky,
            exact_sky,
            place,
            (node[rows], top_exact[rows]),
            (rise, rise_lo[rows], rise_hi[rows]),
            culmination,
            (set_, set_lo[rows], set_hi[rows]),
            (vis_start, first_kind),
            (vis_end, last_kind),
            (entry, exit_),
            (sin_h, sin_v, sin_sun),
        )
        # Rise, culmination, set, visible start, (peak: a copy, see _points), end.
        position_km[:, [0, 1, 2, 3, 5]] = known

    # The visible peak: the culmination when inside the interval, else its higher end.
    peak = np.full(m, np.nan)
    if visible.any():
        idx = np.flatnonzero(visible)
        vs, ve, tc = vis_start[idx], vis_end[idx], culmination[idx]
        inside = (vs <= tc) & (tc <= ve)
        s_vs = sky.sin_elevation(vs, place[idx])
        s_ve = sky.sin_elevation(ve, place[idx])
        peak[idx] = np.where(inside, tc, np.where(s_vs >= s_ve, vs, ve))

    mags = np.full(m, np.nan)
    if visible.any():
        idx = np.flatnonzero(visible)
        mags[idx] = _brightest(
            sky, place[idx], vis_start[idx], vis_end[idx], settings.standard_magnitude
        )

    times = np.column_stack((rise, culmination, set_, vis_start, peak, vis_end))
    return _Found(place, times, entry, exit_, mags, reason, position_km)


def _invisible_within(
    sky: _Sky,
    place: IntArray,
    t0: FloatArray,
    t1: FloatArray,
    settings: Settings,
    half_limit_s: float,
) -> NDArray[np.bool_]:
    """True where a pass over ``place`` lying within ``[t0, t1]`` is provably invisible.

    In the Earth's shadow at both ends, when the span is at most ``2 * half_limit_s`` (a third
    of an orbit): in it all along, as the shadow is one arc an orbit and the lit arc (over half
    an orbit) is longer than the span. In daylight throughout: the Sun at mid-span higher than
    the limit plus what it can sink in half the span (``SUN_ALTITUDE_RATE_DEG_S``), and 0.5°.
    """
    length = t1 - t0
    shadowed = (sky.shadow(t0) < 0) & (sky.shadow(t1) < 0) & (length <= 2.0 * half_limit_s)
    limit_deg = settings.sun_max_altitude_deg + SUN_ALTITUDE_RATE_DEG_S * 0.5 * length + 0.5
    daylight = sky.sin_sun_altitude(0.5 * (t0 + t1), place) > np.sin(
        np.radians(np.minimum(90.0, limit_deg))
    )
    return shadowed | daylight


def _brightest(
    sky: _Sky, place: IntArray, start: FloatArray, end: FloatArray, standard_magnitude: float
) -> FloatArray:
    """The brightest (lowest) magnitude over ``[start, end]`` (M,) of passes over ``place``:
    the best of ``MAGNITUDE_SAMPLES`` even samples, then ``MAGNITUDE_HALVINGS`` rounds that
    halve the spacing around the best time so far and sample either side of it (the lowest
    value seen is returned, so never worse than the even samples)."""
    m = len(place)
    fraction = np.linspace(0.0, 1.0, MAGNITUDE_SAMPLES)
    length = end - start
    when = start[:, None] + length[:, None] * fraction[None, :]
    rng, phase = sky.phase_angle_deg(when.ravel(), np.repeat(place, MAGNITUDE_SAMPLES))
    values = magnitude(rng, phase, standard_magnitude).reshape(m, -1)
    column = np.argmin(values, axis=1)
    rows = np.arange(m)
    best_t, best = when[rows, column], values[rows, column]
    half = length / (MAGNITUDE_SAMPLES - 1)
    both_places = np.concatenate((place, place))
    for _ in range(MAGNITUDE_HALVINGS):
        half = 0.5 * half
        t = np.clip(
            np.concatenate((best_t - half, best_t + half)), np.tile(start, 2), np.tile(end, 2)
        )
        rng, phase = sky.phase_angle_deg(t, both_places)
        value = magnitude(rng, phase, standard_magnitude)
        for side in (slice(0, m), slice(m, 2 * m)):
            better = value[side] < best
            best_t = np.where(better, t[side], best_t)
            best = np.where(better, value[side], best)
    return best


# Kinds of event boundaries: the horizon, the minimum visible elevation, the Earth's shadow,
# the Sun's altitude limit (``_EV_NONE``: no boundary).
_EV_NONE, _EV_HORIZON, _EV_HIGH, _EV_SHADOW, _EV_DARK = -1, 0, 1, 2, 3
# The kinds of the columns of ``bounds`` in :func:`_refine_tail`, in order.
_BOUND_KINDS = (
    _EV_HORIZON, _EV_HIGH, _EV_HIGH, _EV_SHADOW, _EV_SHADOW, _EV_DARK, _EV_DARK, _EV_HORIZON,
)  # fmt: skip


def _top_on_sgp4(
    sky: _Sky, exact_sky: _Sky, node: IntArray, place: IntArray, culmination: FloatArray
) -> tuple[FloatArray, FloatArray]:
    """Culminations solved on SGP4: the roots of the elevation rate (the satellite's velocity
    relative to the place, across the line of sight, projected on the local vertical) near
    the interpolated ones. The top is flat, so its time is ill-conditioned in the elevation
    but not in its rate. At the grid nodes either side of ``node`` the interpolant is SGP4,
    so they bracket the root as before.

    The rate comes from the exact track's velocity, the central difference of SGP4's
    positions (see :meth:`_ExactTrack.state`). Returns the times and the satellite's positions
    there (M, 3), km, Earth-fixed (see :func:`_moved`)."""
    track = sky.track
    r, v = exact_sky.track.state(culmination)
    rate = exact_sky.elevation_rate_of(r, v, place)
    # That position is the middle of a chord of the orbit, 0.45 mm inside it.
    sagitta = 0.5 * SLOPE_HALF_S**2
    on_orbit = tuple(r[c] - sagitta * a for c, a in enumerate(_acceleration(r, v)))
    times, newton = _polish(
        lambda t, w: exact_sky.elevation_rate(t, place[w]),
        lambda t, w: sky.elevation_rate(t, place[w]),
        culmination,
        track.node_time(node - 1),
        track.node_time(node + 1),
        rate,
    )
    return times, _moved(on_orbit, v, times - culmination, newton)  # type: ignore[arg-type]


def _acceleration(r: Vec, v: Vec) -> Vec:
    """The satellite's acceleration (km/s²), Earth-fixed, at ``r`` moving at ``v``: point-mass
    gravity and the frame's centrifugal and Coriolis terms (the Earth's flattening and drag,
    a thousandth of it and less, left out)."""
    gravity = -EARTH_MU_KM3_S2 / _dot(r, r) ** 1.5
    w = EARTH_ROTATION_RAD_S
    return (
        (gravity + w * w) * r[0] + 2.0 * w * v[1],
        (gravity + w * w) * r[1] - 2.0 * w * v[0],
        gravity * r[2],
    )


def _moved(r: Vec, v: Vec, dt: FloatArray, newton: NDArray[np.bool_]) -> FloatArray:
    """Positions (M, 3), km, at the roots of :func:`_polish`, from the SGP4 state (``r``,
    ``v``) its Newton step started from, ``dt`` (at most ``NEWTON_MAX_STEP_S``) earlier,
    carried by a second-order step (:func:`_acceleration`): within 8 mm of SGP4's own
    position there, as SGP4's velocity differs from the rate of its positions by up to 0.4 m/s
    (along the track, a year from the epoch: see :meth:`_ExactTrack.state`). Measured over a
    year of 50 places, every pass: rises, sets and visible ends (SGP4's own velocity) within
    7 mm (99 % within 1.2 mm), culminations (the central difference's) within 0.15 mm; against
    SGP4 at the roots, no printed range, altitude or angle moves (ranges within 0.8 mm,
    azimuths within 1.2e-4°). NaN for the roots solved on SGP4 afresh (nearly tangent
    crossings): :func:`_points` propagates those."""
    a = _acceleration(r, v)
    half_dt2 = 0.5 * dt * dt
    moved = np.column_stack([r[c] + v[c] * dt + a[c] * half_dt2 for c in range(3)])
    moved[~newton] = np.nan
    return moved


def _on_sgp4(
    sky: _Sky,
    exact_sky: _Sky,
    place: IntArray,
    top: tuple[IntArray, NDArray[np.bool_]],
    rise: tuple[FloatArray, FloatArray, FloatArray],
    culmination: FloatArray,
    set_: tuple[FloatArray, FloatArray, FloatArray],
    first: tuple[FloatArray, NDArray[np.int8]],
    last: tuple[FloatArray, NDArray[np.int8]],
    shadow: tuple[FloatArray, FloatArray],
    sines: tuple[float, float, float],
) -> tuple[FloatArray, ...]:
    """The events of the passes kept, found on the interpolant, solved again on SGP4.

    ``top``: the culminations' grid nodes and whether they are solved already; ``rise`` and
    ``set_``: times (M,) and their brackets; ``first`` and ``last``: the visible interval's ends
    and their kinds (``_EV_*``); ``shadow``: entry and exit; ``sines``: the sines of the horizon,
    of the minimum visible elevation and of the Sun's altitude limit. Returns rise,
    culmination, set, visible start and end, shadow entry and exit (M,) each, POSIX seconds,
    and the satellite's positions at rise, culmination, set, visible start and end, (M, 5, 3),
    km, Earth-fixed, from the SGP4 states the Newton steps used (:func:`_moved`; NaN where
    there is none).
    """
    sin_h, sin_v, sin_sun = sines
    node, top_done = top
    m = len(place)
    points = np.full((m, 5, 3), np.nan)
    exact_track = exact_sky.track
    assert isinstance(exact_track, _ExactTrack)
    culmination = culmination.copy()
    todo = np.flatnonzero(~top_done)
    culmination[todo], points[todo, 1] = _top_on_sgp4(
        sky, exact_sky, node[todo], place[todo], culmination[todo]
    )

    def elevation(threshold: FloatArray, pl: IntArray) -> tuple[Callable, Callable]:
        return (
            lambda t, w: exact_sky.sin_elevation(t, pl[w]) - threshold[w],
            lambda t, w: sky.sin_elevation(t, pl[w]) - threshold[w],
        )

    def elevation_crossing(
        threshold: float, pl: IntArray, approx: FloatArray, lo: FloatArray, hi: FloatArray
    ) -> tuple[FloatArray, FloatArray]:
        """Times where the elevation's sine crosses ``threshold``, and positions there."""
        exact_f, interp_f = elevation(np.full(len(pl), threshold), pl)
        r, v = exact_track.position_velocity(approx)
        value = exact_sky.sin_elevation_of(r, pl) - threshold
        times, newton = _polish(exact_f, interp_f, approx, lo, hi, value)
        return times, _moved(r, v, times - approx, newton)

    crossings, at = elevation_crossing(
        sin_h,
        np.concatenate((place, place)),
        np.concatenate((rise[0], set_[0])),
        np.concatenate((rise[1], set_[1])),
        np.concatenate((rise[2], set_[2])),
    )
    new_rise, new_set = crossings[:m], crossings[m:]
    points[:, 0], points[:, 2] = at[:m], at[m:]

    entry, exit_ = shadow
    both_shadow = np.concatenate((entry, exit_))
    idx = np.flatnonzero(np.isfinite(both_shadow))
    if idx.size:
        unknown = np.full(idx.size, np.nan)
        both_shadow[idx], _ = _polish(
            lambda t, w: exact_sky.shadow(t),
            lambda t, w: sky.shadow(t),
            both_shadow[idx],
            unknown,
            unknown,
        )
    new_entry, new_exit = both_shadow[:m], both_shadow[m:]

    ends = []
    for (when, kind), after_top, column in ((first, False, 3), (last, True, 4)):
        out = when.copy()
        horizon = kind == _EV_HORIZON
        out[horizon] = (new_set if after_top else new_rise)[horizon]
        points[horizon, column] = points[horizon, 2 if after_top else 0]
        # An end in the shadow's edge is (nearly always) the entry or the exit, polished above
        # from the same time: the same result.
        for crossing, polished in ((entry, new_entry), (exit_, new_exit)):
            same = (kind == _EV_SHADOW) & (when == crossing)
            out[same] = polished[same]
            kind = np.where(same, _EV_NONE, kind)
        for k, exact_g, interp_g in (
            (_EV_SHADOW, lambda t, pl: exact_sky.shadow(t), lambda t, pl: sky.shadow(t)),
            (
                _EV_DARK,
                lambda t, pl: exact_sky.sin_sun_altitude(t, pl) - sin_sun,
                lambda t, pl: sky.sin_sun_altitude(t, pl) - sin_sun,
            ),
        ):
            idx = np.flatnonzero(kind == k)
            if idx.size:
                pl = place[idx]
                unknown = np.full(idx.size, np.nan)
                out[idx], _ = _polish(
                    lambda t, w, g=exact_g, pl=pl: g(t, pl[w]),
                    lambda t, w, g=interp_g, pl=pl: g(t, pl[w]),
                    when[idx],
                    unknown,
                    unknown,
                )
        idx = np.flatnonzero(kind == _EV_HIGH)
        if idx.size:
            lo = culmination[idx] if after_top else new_rise[idx]
            hi = new_set[idx] if after_top else culmination[idx]
            out[idx], points[idx, column] = elevation_crossing(sin_v, place[idx], when[idx], lo, hi)
        ends.append(out)
    return new_rise, culmination, new_set, ends[0], ends[1], new_entry, new_exit, points


def _first_below(sky: _Sky, start: IntArray, place: IntArray, sin_h: float, step: int) -> IntArray:
    """For each item, the first grid node from ``start`` going ``step`` (+1/-1) where the
    elevation is below the horizon (nodes evaluated exactly, as the interpolant is at nodes)."""
    track = sky.track
    n = track.r_km.shape[1]
    result = np.full(len(start), -1, dtype=np.intp)
    current = start.copy()
    pending = np.arange(len(start))
    while pending.size:
        if ((current[pending] < 0) | (current[pending] >= n)).any():
            raise DataError(
                "a pass lasts longer than half an orbit: this orbit is outside what the "
                "pass predictor supports"
            )
        below = sky.sin_elevation_at_node(current[pending], place[pending]) < sin_h
        result[pending[below]] = current[pending[below]]
        pending = pending[~below]
        current[pending] += step
    return result


def _changes(
    samples: FloatArray,
    values: FloatArray,
    func: Callable[[FloatArray, IntArray], FloatArray],
    place: IntArray,
) -> tuple[FloatArray, FloatArray, FloatArray, FloatArray]:
    """The first and last sign change of sampled ``values`` (m, K) along each row, refined.

    Returns (first time, its direction, last time, its direction): times NaN when there is no
    change (the last equals the first when there is one), direction +1 when the function turns
    non-negative, -1 when it turns negative.
    """
    m = len(values)
    sign = values >= 0
    flips = sign[:, 1:] != sign[:, :-1]  # (m, K-1)
    has = flips.any(axis=1)
    first = np.argmax(flips, axis=1)
    last = flips.shape[1] - 1 - np.argmax(flips[:, ::-1], axis=1)
    out_first = np.full(m, np.nan)
    out_last = np.full(m, np.nan)
    dir_first = np.zeros(m)
    dir_last = np.zeros(m)
    rows = np.flatnonzero(has)
    if rows.size == 0:
        return out_first, dir_first, out_last, dir_last
    # The last change is solved only where it is not the first (one change: not counted twice).
    two = rows[first[rows] != last[rows]]
    columns = np.concatenate((first[rows], last[two]))
    both_rows = np.concatenate((rows, two))
    lo = samples[both_rows, columns]
    hi = samples[both_rows, columns + 1]
    f_lo = values[both_rows, columns]
    f_hi = values[both_rows, columns + 1]
    pl = place[both_rows]
    roots = _solve(lambda t, w: func(t, pl[w]), lo, hi, f_lo, f_hi)
    direction = np.where(f_hi >= 0, 1.0, -1.0)
    n = len(rows)
    out_first[rows], out_last[two] = roots[:n], roots[n:]
    dir_first[rows], dir_last[two] = direction[:n], direction[n:]
    return out_first, dir_first, out_last, dir_last


def _first_with_sign(
    crossing: tuple[FloatArray, FloatArray, FloatArray, FloatArray], direction: int
) -> FloatArray:
    first, dir_first, last, dir_last = crossing
    return np.where(dir_first == direction, first, np.where(dir_last == direction, last, np.nan))


def _longest_run(
    ok: NDArray[np.bool_], starts: FloatArray, ends: FloatArray
) -> tuple[FloatArray, FloatArray]:
    """Start and end of the longest run of consecutive ``ok`` segments in each row (NaN if
    none)."""
    m, k = ok.shape
    best_start = np.full(m, np.nan)
    best_end = np.full(m, np.nan)
    best_len = np.zeros(m)
    run_start = np.full(m, np.nan)
    previous = np.zeros(m, dtype=bool)
    for j in range(k):
        here = ok[:, j]
        run_start = np.where(here & ~previous, starts[:, j], run_start)
        length = np.where(here, ends[:, j] - run_start, 0.0)
        better = here & (length > best_len)
        best_len = np.where(better, length, best_len)
        best_start = np.where(better, run_start, best_start)
        best_end = np.where(better, ends[:, j], best_end)
        previous = here
    return best_start, best_end


# --------------------------------------------------------------------------------------------
# From arrays to the model


def _assemble(
    element_set: ElementSet,
    places: Sequence[Place],
    found: list[_Found],
    frames: orbit.FrameTable,
) -> PassColumns:
    """Every pass found, as columns sorted by place, then culmination; the points' positions
    from SGP4 (not the interpolant): the states the search solved the event times on, carried
    to them (:func:`_moved`), or SGP4 at the event time, turned Earth-fixed with ``frames``."""
    if not found:
        return _no_passes()
    place = np.concatenate([f.place for f in found])
    times = np.concatenate([f.times for f in found])
    order = np.lexsort((times[:, 1], place))
    place, times = place[order], times[order]
    entry = np.concatenate([f.shadow_entry for f in found])[order]
    exit_ = np.concatenate([f.shadow_exit for f in found])[order]
    mags = np.concatenate([f.magnitude for f in found])[order]
    reason = np.concatenate([f.reason for f in found])[order]
    known_km = np.concatenate([f.position_km for f in found])[order]
    epoch = element_set.epoch.timestamp()
    ages = np.abs(times[:, 1] - epoch) / 86400.0
    sigma = uncertainties_s(ages)
    angles = np.full((4, *times.shape), np.nan)  # azimuth, elevation, range, altitude
    observers = orbit.Observers.from_geodetic(
        [p.latitude_deg for p in places],
        [p.longitude_deg for p in places],
        [p.elevation_m for p in places],
    )
    for first in range(0, len(place), ASSEMBLY_BATCH):
        batch = slice(first, first + ASSEMBLY_BATCH)
        angles[:, batch] = _points(
            element_set, frames, observers, place[batch], times[batch], known_km[batch]
        )
    visible = np.isfinite(times[:, 3])
    return PassColumns(
        place=place,
        time_unix=times,
        azimuth_deg=angles[0],
        elevation_deg=angles[1],
        range_km=angles[2],
        altitude_km=angles[3],
        shadow_entry_unix=entry,
        shadow_exit_unix=exit_,
        magnitude=np.where(visible & np.isfinite(mags), mags, np.nan),
        tle_age_days=ages,
        uncertainty_s=sigma,
        reason_code=np.where(visible, 0, reason).astype(np.int8),
        norad_id=np.full(len(place), NO_NORAD_ID, dtype=np.int64),
    )


def _no_passes() -> PassColumns:
    empty = np.zeros(0)
    grid = np.zeros((0, 6))
    return PassColumns(
        np.zeros(0, dtype=np.intp),
        *(grid for _ in range(5)),
        *(empty for _ in range(5)),
        np.zeros(0, dtype=np.int8),
        np.zeros(0, dtype=np.int64),
    )


def _by_place(places: Sequence[Place], columns: PassColumns) -> tuple[PlacePasses, ...]:
    """One :class:`PlacePasses` per place from columns sorted by place (then time)."""
    bounds = np.searchsorted(columns.place, np.arange(len(places) + 1))
    return tuple(
        PlacePasses(place, PassList(columns.take(slice(int(lo), int(hi)))))
        for place, lo, hi in zip(places, bounds[:-1], bounds[1:], strict=True)
    )


def _points(
    element_set: ElementSet,
    frames: orbit.FrameTable,
    observers: orbit.Observers,
    place: IntArray,
    times: FloatArray,
    known_km: FloatArray,
) -> FloatArray:
    """Azimuth, elevation (deg), range and geodetic altitude (km) at ``times`` (M, K) of passes
    over ``place`` (M,), as a (4, M, K) array: SGP4 at each time (not the interpolant), NaN
    where a time is NaN. ``known_km`` (M, K, 3): the satellite's Earth-fixed positions where
    the search has them already (from the SGP4 states of its last Newton steps); NaN where
    SGP4 is to be run here. A time that repeats an earlier one of its pass (the visible peak
    is the culmination or an end of the visible interval) is copied, not computed again."""
    times = np.asarray(times, dtype=float)
    source = np.tile(np.arange(times.shape[1]), (times.shape[0], 1))
    for j in range(times.shape[1] - 1, 0, -1):
        for i in range(j - 1, -1, -1):
            source[:, j] = np.where(times[:, j] == times[:, i], i, source[:, j])
    own = source == np.arange(times.shape[1])[None, :]
    flat = times.ravel()
    which = np.flatnonzero(np.isfinite(flat) & own.ravel())
    out = np.full((4, flat.size), np.nan)
    if which.size:
        r = known_km.reshape(-1, 3)[which]
        missing = np.flatnonzero(np.isnan(r[:, 0]))
        if missing.size:
            t = flat[which[missing]]
            r[missing], _ = orbit.satellite_itrs(element_set.satrec, t, frames.gmst_rad(t))
        pl = np.repeat(place, times.shape[1])[which]
        delta = _sub(tuple(r.T), _take(observers.position_km.T, pl))  # type: ignore[arg-type]
        e = _dot(delta, _take(observers.east.T, pl))
        n = _dot(delta, _take(observers.north.T, pl))
        u = _dot(delta, _take(observers.up.T, pl))
        horizontal = np.hypot(e, n)
        out[1, which] = np.degrees(np.arctan2(u, horizontal))
        out[0, which] = np.degrees(np.arctan2(e, n)) % 360.0
        out[2, which] = np.hypot(horizontal, u)
        out[3, which] = orbit.geodetic_height_km(r)
    out = out.reshape(4, *times.shape)
    rows, columns = np.nonzero(~own)
    out[:, rows, columns] = out[:, rows, source[rows, columns]]
    return out


# --------------------------------------------------------------------------------------------
# A pass sampled for sky charts


def pass_track(
    element_set: ElementSet, place: Place, pass_: Pass, step_s: float = 5.0
) -> dict[str, NDArray]:
    """The pass sampled every ``step_s`` seconds from rise to set (both included).

    Returns arrays: ``t_unix`` (POSIX s), ``azimuth_deg``, ``elevation_deg``, ``sunlit``
    (bool), ``sun_altitude_deg`` (the Sun's geometric altitude at the place) and ``range_km``.
    Computed with SGP4 at every sample.
    """
    if not step_s > 0:
        raise UsageError(f"step_s must be positive, not {step_s!r}")
    t0, t1 = pass_.rise.time.timestamp(), pass_.set.time.timestamp()
    count = max(2, math.ceil((t1 - t0) / step_s) + 1)
    t = np.append(t0 + step_s * np.arange(count - 1), t1)
    t = t[t <= t1]
    if t[-1] != t1:
        t = np.append(t, t1)
    observers = orbit.Observers.from_geodetic(
        place.latitude_deg, place.longitude_deg, place.elevation_m
    )
    frames = orbit.FrameTable.for_span(float(t[0]), float(t[-1]))
    theta = frames.gmst_rad(t)
    r, _ = orbit.satellite_itrs(element_set.satrec, t, theta)
    sun = frames.sun_itrs_at(t, theta)
    elevation, azimuth, rng = orbit.look_angles(r, observers)
    to_sun = sun - observers.position_km[0]
    sin_altitude = (to_sun @ observers.up[0]) / np.linalg.norm(to_sun, axis=1)
    sun_altitude = np.degrees(np.arcsin(np.clip(sin_altitude, -1.0, 1.0)))
    return {
        "t_unix": t,
        "azimuth_deg": azimuth[0],
        "elevation_deg": elevation[0],
        "sunlit": orbit.sunlit(r, sun),
        "sun_altitude_deg": sun_altitude,
        "range_km": rng[0],
    }
