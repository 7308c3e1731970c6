"""Propagation and geometry against an independent computation (skyfield), and their failures.

The reference builds its own skyfield objects from the TLE lines and its own times
(``ts.from_datetimes``), so it shares neither our frame rotation nor our time conversion.
"""

from __future__ import annotations

import json
import math
import subprocess
import sys
from datetime import UTC, datetime, timedelta
from importlib.resources import files
from pathlib import Path

import numpy as np
import pytest
from sgp4.api import WGS72, Satrec
from skyfield.api import EarthSatellite, load, load_file, wgs84

from tiangong_orbit import orbit, tle
from tiangong_orbit.errors import PropagationError, TLEFormatError

REPO_ROOT = Path(__file__).resolve().parents[1]
TLE_DIR = REPO_ROOT / "data" / "tle"

#: Islamabad, Karachi and Skardu (WGS84 degrees, metres).
PLACES = np.array([(33.6844, 73.0479, 540.0), (24.8607, 67.0011, 10.0), (35.2971, 75.6333, 2228.0)])


@pytest.fixture(scope="module")
def ts():
    return load.timescale(builtin=True)


@pytest.fixture(scope="module")
def de421():
    kernel = load_file(str(files("skyfield_data") / "data" / "de421.bsp"))
    yield kernel
    kernel.close()


def _fix_checksum(line: str) -> str:
    total = sum(int(c) if c.isdigit() else (c == "-") for c in line[:68])
    return line[:68] + str(total % 10)


def _sample_sets(history_sets):
    """A spread of real sets: the oldest, three from the middle, the newest, and an OMM record."""
    chosen = [history_sets[i] for i in (0, 200, 400, 600, -1)]
    return [*chosen, tle.parse_file(TLE_DIR / "tiangong_omm.json")[0]]


def _times(element_set, count=240, span_days=3.0):
    """``count`` datetimes from a day before the epoch to ``span_days`` - 1 after, odd steps."""
    step = timedelta(days=span_days) / count
    start = element_set.epoch - timedelta(days=1) + timedelta(seconds=0.123)
    return [start + step * i for i in range(count)]


def _skyfield_satellite(element_set, ts):
    if element_set.line_number is None:  # an OMM record: use its full-precision elements
        return EarthSatellite.from_satrec(element_set.satrec, ts)
    return EarthSatellite(element_set.line1, element_set.line2, element_set.name, ts)


def _unix(moments):
    return np.array([m.timestamp() for m in moments])


# --------------------------------------------------------------------------------------------
# Altitude, sub-satellite point and speed against skyfield


def test_altitude_series_against_skyfield(history_sets, ts):
    for element_set in _sample_sets(history_sets):
        moments = _times(element_set)
        t = ts.from_datetimes(moments)
        geocentric = _skyfield_satellite(element_set, ts).at(t)
        point = wgs84.geographic_position_of(geocentric)
        series = orbit.altitude_series(element_set.satrec, _unix(moments))
        np.testing.assert_allclose(series["altitude_km"], point.elevation.km, atol=0.010)
        np.testing.assert_allclose(series["latitude_deg"], point.latitude.degrees, atol=1e-4)
        longitude_error = (series["longitude_deg"] - point.longitude.degrees + 180) % 360 - 180
        assert np.abs(longitude_error).max() < 1e-4
        assert np.all((series["longitude_deg"] >= -180) & (series["longitude_deg"] <= 180))
        speed = np.linalg.norm(geocentric.velocity.km_per_s, axis=0)
        np.testing.assert_allclose(series["speed_km_s"], speed, atol=1e-5)
        assert np.all((series["altitude_km"] > 330) & (series["altitude_km"] < 430))


def test_altitude_report_against_skyfield(ts):
    element_set = tle.parse_file(TLE_DIR / "stations_latest.tle")[0]
    at = datetime(2026, 10, 7, 15, 30, 17, 250000, tzinfo=UTC)
    report = orbit.altitude_report(element_set.name, element_set.norad_id, element_set.satrec, at)
    geocentric = _skyfield_satellite(element_set, ts).at(ts.from_datetime(at))
    assert report.altitude_km == pytest.approx(wgs84.height_of(geocentric).km, abs=0.010)
    latitude, longitude = wgs84.latlon_of(geocentric)
    assert report.latitude_deg == pytest.approx(latitude.degrees, abs=1e-4)
    assert report.longitude_deg == pytest.approx(longitude.degrees, abs=1e-4)
    assert report.speed_km_s == pytest.approx(
        float(np.linalg.norm(geocentric.velocity.km_per_s)), abs=1e-5
    )
    assert report.time == at and report.norad_id == 48274
    references = {r.name: r for r in report.references}
    karman = references["Kármán line"]
    assert karman.altitude_km == 100.0
    assert karman.times_higher == pytest.approx(report.altitude_km / 100.0)
    assert karman.above_by_km == pytest.approx(report.altitude_km - 100.0)
    assert references["Namira Salim, 2023"].altitude_km == 87.4


def test_look_angles_against_skyfield(history_sets, ts):
    observers = orbit.Observers.from_geodetic(PLACES[:, 0], PLACES[:, 1], PLACES[:, 2])
    for element_set in _sample_sets(history_sets)[3:]:
        moments = _times(element_set, count=300, span_days=1.0)
        t = ts.from_datetimes(moments)
        r_itrs, _ = orbit.satellite_itrs(element_set.satrec, _unix(moments))
        elevation, azimuth, range_km = orbit.look_angles(r_itrs, observers)
        assert elevation.shape == azimuth.shape == range_km.shape == (len(PLACES), len(moments))
        satellite = _skyfield_satellite(element_set, ts)
        for index, (latitude, longitude, elevation_m) in enumerate(PLACES):
            place = wgs84.latlon(latitude, longitude, elevation_m=elevation_m)
            alt, az, distance = (satellite - place).at(t).altaz()
            np.testing.assert_allclose(elevation[index], alt.degrees, atol=1e-4)
            azimuth_error = (azimuth[index] - az.degrees + 180) % 360 - 180
            assert np.abs(azimuth_error).max() < 1e-4
            np.testing.assert_allclose(range_km[index], distance.km, atol=0.010)
        assert elevation.max() > 10  # some samples are real passes, not only the far side


def test_sunlit_against_skyfield(history_sets, ts, de421):
    for element_set in _sample_sets(history_sets)[2:]:
        # Three orbits every 20 s, starting half a day after the epoch.
        start = element_set.epoch + timedelta(hours=12, seconds=0.37)
        moments = [start + timedelta(seconds=20 * i) for i in range(820)]
        satellite = _skyfield_satellite(element_set, ts)
        expected = satellite.at(ts.from_datetimes(moments)).is_sunlit(de421)
        # Samples within a second of a shadow crossing may fall either way; drop them.
        before = satellite.at(ts.from_datetimes([m - timedelta(seconds=1) for m in moments]))
        after = satellite.at(ts.from_datetimes([m + timedelta(seconds=1) for m in moments]))
        steady = (before.is_sunlit(de421) == expected) & (after.is_sunlit(de421) == expected)
        t_unix = _unix(moments)
        r_itrs, _ = orbit.satellite_itrs(element_set.satrec, t_unix)
        ours = orbit.sunlit(r_itrs, orbit.sun_itrs_km(t_unix))
        assert steady.sum() >= len(moments) - 12
        assert expected[steady].any() and not expected[steady].all()
        np.testing.assert_array_equal(ours[steady], expected[steady])


def test_sun_direction_against_skyfield(ts, de421):
    """The Sun's direction in the Earth-fixed frame, hourly interpolation included."""
    moments = [datetime(2026, 10, 1, tzinfo=UTC) + timedelta(minutes=37 * i) for i in range(200)]
    t = ts.from_datetimes(moments)
    sun = (de421["sun"] - de421["earth"]).at(t)
    from skyfield.framelib import itrs

    expected = sun.frame_xyz(itrs).km.T
    ours = orbit.sun_itrs_km(_unix(moments))
    cosine = np.einsum("ij,ij->i", ours, expected) / (
        np.linalg.norm(ours, axis=1) * np.linalg.norm(expected, axis=1)
    )
    assert np.degrees(np.arccos(np.clip(cosine, -1, 1))).max() < 1e-4


# --------------------------------------------------------------------------------------------
# Perigee and apogee


def test_perigee_apogee_plausible_for_2026(history_sets):
    sets_2026 = [s for s in history_sets if s.epoch.year == 2026]
    assert len(sets_2026) > 300
    for element_set in sets_2026:
        perigee, apogee = orbit.mean_perigee_apogee_km(element_set.satrec)
        # Real 2026 sets: mean perigee 376-394 km (lowest 2026-04-29), apogee up to 398 km.
        assert 370.0 < perigee <= apogee < 400.0, element_set.epoch
    newest = tle.parse_file(TLE_DIR / "stations_latest.tle")[0]
    perigee, apogee = orbit.mean_perigee_apogee_km(newest.satrec)
    assert 380.0 < perigee <= apogee < 400.0


def test_perigee_and_apogee_bracket_the_geodetic_altitude_over_an_orbit(history_sets):
    for element_set in [s for s in history_sets if s.epoch.year == 2026][::25]:
        t_unix = element_set.epoch.timestamp() + np.arange(0.0, 5600.0, 10.0)
        altitude = orbit.altitude_series(element_set.satrec, t_unix)["altitude_km"]
        perigee, apogee = orbit.mean_perigee_apogee_km(element_set.satrec)
        assert perigee <= altitude.min() + 25.0
        assert apogee >= altitude.max() - 25.0


# --------------------------------------------------------------------------------------------
# Propagation errors: PropagationError (exit 3), never NaN


def test_propagating_years_ahead_is_a_propagation_error():
    element_set = tle.parse_file(TLE_DIR / "stations_latest.tle")[0]
    epoch = element_set.epoch.timestamp()
    # Valid at first, then SGP4's drag term drives the orbit into the ground (error 1 or 6).
    t_unix = epoch + np.linspace(0.0, 30 * 365.25 * 86400.0, 400)
    with pytest.raises(PropagationError, match=r"SGP4 cannot propagate .* \(error [1-6]") as caught:
        orbit.propagate_teme(element_set.satrec, t_unix)
    assert caught.value.exit_code == 3
    with pytest.raises(PropagationError):
        orbit.altitude_series(element_set.satrec, t_unix)
    with pytest.raises(PropagationError):
        orbit.satellite_itrs(element_set.satrec, t_unix)
    with pytest.raises(PropagationError):
        orbit.altitude_report(
            element_set.name,
            element_set.norad_id,
            element_set.satrec,
            element_set.epoch + timedelta(days=20 * 365.25),
        )


def test_eccentricity_edited_to_0_99_is_refused(css_tle):
    name, line1, line2 = css_tle
    # The real line 2 with its eccentricity 0001458 edited to 9900000, checksum recomputed.
    bad_line2 = _fix_checksum(line2[:26] + "9900000" + line2[33:])
    with pytest.raises(TLEFormatError, match="error 6") as caught:
        tle.parse_text(f"{name}\n{line1}\n{bad_line2}\n")
    assert caught.value.exit_code == 3
    # Past the parser (sgp4's own Satrec), propagation refuses it too, with no NaN returned.
    satrec = Satrec.twoline2rv(line1, bad_line2, WGS72)
    epoch = (satrec.jdsatepoch - 2440587.5 + satrec.jdsatepochF) * 86400.0
    with pytest.raises(PropagationError, match="decayed"):
        orbit.altitude_series(satrec, epoch + np.arange(0.0, 6000.0, 60.0))


def test_orbit_that_reaches_the_ground_within_an_orbit(css_tle):
    name, line1, line2 = css_tle
    # Eccentricity edited to 0.07 and mean anomaly to 180° (apogee at the epoch), checksum
    # recomputed: valid at its epoch, below the surface half an orbit later.
    edited = line2[:26] + "0700000" + line2[33:43] + "180.0000" + line2[51:]
    (element_set,) = tle.parse_text(f"{name}\n{line1}\n{_fix_checksum(edited)}\n")
    epoch = element_set.epoch.timestamp()
    assert orbit.altitude_series(element_set.satrec, np.array([epoch]))["altitude_km"][0] > 700
    with pytest.raises(PropagationError, match=r"error 6: the satellite has decayed"):
        orbit.altitude_series(element_set.satrec, epoch + np.arange(0.0, 5600.0, 30.0))


# --------------------------------------------------------------------------------------------
# Invariants of the geometry


def test_geodetic_inverts_the_observer_position():
    latitude = np.array([-90.0, -41.5, -0.001, 0.0, 24.8607, 33.6844, 89.9, 90.0])
    longitude = np.array([0.0, -179.9, 12.0, 180.0, 67.0011, 73.0479, -45.0, 10.0])
    height_m = np.array([0.0, 400e3, -50.0, 8848.0, 10.0, 540.0, 1e6, 390e3])
    observers = orbit.Observers.from_geodetic(latitude, longitude, height_m)
    back_lat, back_lon, back_km = orbit.geodetic(observers.position_km)
    np.testing.assert_allclose(back_lat, latitude, atol=1e-9)
    np.testing.assert_allclose(back_km * 1000.0, height_m, atol=1e-3)
    not_pole = np.abs(latitude) < 90
    lon_error = (back_lon - longitude + 180) % 360 - 180
    assert np.abs(lon_error[not_pole]).max() < 1e-9
    unit = np.stack((observers.east, observers.north, observers.up))
    np.testing.assert_allclose(
        np.einsum("aij,bij->abi", unit, unit),
        np.eye(3)[:, :, None] * np.ones(len(latitude)),
        atol=1e-12,
    )


def test_geodetic_height_km_is_the_height_of_geodetic():
    # The one-step formula the pass points use against the iterated one, and the truth, from
    # the ground to 10,000 km at every latitude, poles and equator included.
    rng = np.random.default_rng(14)
    latitude = np.concatenate(([-90.0, -89.9999, 0.0, 1e-7, 45.0, 89.9999, 90.0],
                               rng.uniform(-90.0, 90.0, 20_000)))  # fmt: skip
    longitude = rng.uniform(-180.0, 180.0, latitude.size)
    height_m = np.concatenate((np.full(7, 400e3), rng.uniform(0.0, 1e7, 20_000)))
    observers = orbit.Observers.from_geodetic(latitude, longitude, height_m)
    height_km = orbit.geodetic_height_km(observers.position_km)
    np.testing.assert_allclose(height_km, orbit.geodetic(observers.position_km)[2], atol=1e-9)
    np.testing.assert_allclose(height_km * 1000.0, height_m, atol=1e-6)


def test_earth_fixed_velocity_matches_the_motion_of_the_position(css_tle):
    (element_set,) = tle.parse_text("\n".join(css_tle))
    t0 = element_set.epoch.timestamp() + 1234.5
    h = 0.5
    r, v = orbit.satellite_itrs(element_set.satrec, np.array([t0 - h, t0, t0 + h]))
    finite_difference = (r[2] - r[0]) / (2 * h)
    np.testing.assert_allclose(v[1], finite_difference, atol=2e-5)
    # Earth-fixed speed is the inertial speed less the Earth's rotation (about 0.4 km/s here).
    _, v_teme = orbit.propagate_teme(element_set.satrec, np.array([t0]))
    assert 0.2 < np.linalg.norm(v_teme[0]) - np.linalg.norm(v[1]) < 0.5


def test_julian_dates_name_the_float_instant_itself():
    """The (whole Julian date, day fraction) pair SGP4 and GMST are given is the float64 POSIX
    instant itself, to 1e-11 s, whatever the century and at the day's edges (dividing the
    seconds by 86400 first rounded it to a float64 count of days: 0.16 us off)."""
    from fractions import Fraction

    rng = np.random.default_rng(5)
    t_unix = np.concatenate(
        (rng.uniform(-3.0e8, 2.7e9, 3000), 86400.0 * np.arange(19000, 22000, 7, dtype=float))
    )
    t_unix = np.concatenate((t_unix, np.nextafter(t_unix, -np.inf), np.nextafter(t_unix, np.inf)))
    whole, fraction = orbit.julian_dates(t_unix)
    assert np.array_equal(whole - 0.5, np.round(whole - 0.5))
    assert np.all((fraction > -1e-15) & (fraction <= 1.0))
    worst_s = max(
        abs(
            (Fraction(float(w)) - Fraction(orbit.UNIX_EPOCH_JD) + Fraction(float(f))) * 86400
            - Fraction(float(t))
        )
        for t, w, f in zip(t_unix, whole, fraction, strict=True)
    )
    assert worst_s < 1e-10


def test_sgp4_velocity_is_the_rate_of_its_positions_near_the_epoch(css_tle):
    """SGP4's own velocity against the 10 ms central difference of its positions, over two
    days around the epoch: within 3 cm/s (measured: 1.7 cm/s, TEME and Earth-fixed alike).
    With the times rounded to 0.16 us on their way into SGP4 the difference was 12 cm/s of
    noise, 2 mm of track over 20 ms."""
    (element_set,) = tle.parse_text("\n".join(css_tle))
    t = element_set.epoch.timestamp() + np.linspace(-86400.0, 86400.0, 4001)
    later, earlier = t + 0.01, t - 0.01
    n = t.size
    for r, v in (
        orbit.propagate_teme(element_set.satrec, np.concatenate((t, later, earlier))),
        orbit.satellite_itrs(element_set.satrec, np.concatenate((t, later, earlier))),
    ):
        rate = (r[n : 2 * n] - r[2 * n :]) / (later - earlier)[:, np.newaxis]
        assert np.linalg.norm(rate - v[:n], axis=1).max() < 3e-5  # km/s


def test_overhead_satellite_is_at_zenith(css_tle):
    (element_set,) = tle.parse_text("\n".join(css_tle))
    t_unix = element_set.epoch.timestamp() + np.arange(0.0, 3000.0, 500.0)
    series = orbit.altitude_series(element_set.satrec, t_unix)
    observers = orbit.Observers.from_geodetic(series["latitude_deg"], series["longitude_deg"], 0.0)
    r_itrs, _ = orbit.satellite_itrs(element_set.satrec, t_unix)
    elevation, _, range_km = orbit.look_angles(r_itrs, observers)
    np.testing.assert_allclose(np.diag(elevation), 90.0, atol=1e-6)
    np.testing.assert_allclose(np.diag(range_km), series["altitude_km"], atol=1e-6)
    assert math.isfinite(float(elevation.sum()))


def test_ut1_steps_at_the_2016_leap_second(ts):
    """UT1 - UTC jumps by one second at the midnight after 2016-12-31T23:59:60: through that
    day (and the hour after) it agrees with skyfield's, read from each datetime; interpolated
    across the jump it was 0.98 s off at 23:59."""
    moments = [
        datetime(2016, 12, 31, tzinfo=UTC) + timedelta(seconds=s)
        for s in [*np.arange(0.0, 90000.0, 97.3), 86399.0, 86399.999, 86400.0, 86400.5]
    ]
    ours = orbit.dut1_seconds(_unix(moments))
    theirs = np.asarray(ts.from_datetimes(moments).dut1, dtype=float)
    assert np.abs(ours - theirs).max() < 1e-6
    before, after = (
        orbit.dut1_seconds(_unix(moments[-4:-2])),
        orbit.dut1_seconds(_unix(moments[-2:])),
    )
    assert after[0] - before[-1] == pytest.approx(1.0, abs=1e-4)
    # And so the Earth's rotation: GMST as skyfield computes it from its own UT1.
    from skyfield.sgp4lib import theta_GMST1982

    t = ts.from_datetimes(moments)
    reference, _ = theta_GMST1982(t.ut1)
    difference = np.angle(np.exp(1j * (orbit.gmst_rad(_unix(moments)) - reference)))
    assert np.abs(difference).max() < 1e-8  # float64 Julian dates: 1e-9 rad; a second: 7e-5


def test_gmst_is_skyfields_bit_for_bit():
    """Our GMST 1982 (its remainders taken with ``fmod``) equals skyfield's
    ``theta_GMST1982`` to the last bit, before 1999 too (where the polynomial is negative and
    ``fmod`` alone would differ from the floored remainder), at fractions of a day either side
    of zero and at the ends of the day."""
    from skyfield.sgp4lib import theta_GMST1982

    rng = np.random.default_rng(14)
    whole = np.concatenate(
        (orbit.UNIX_EPOCH_JD + np.floor(rng.uniform(-20000.0, 47000.0, 20000)),
         rng.uniform(2.4e6, 2.5e6, 20000))
    )  # fmt: skip
    fraction = np.concatenate((rng.random(20000), rng.uniform(-1.0, 1.0, 20000)))
    fraction[:6] = [0.0, -0.0, 0.5, 1.0 - 1e-16, 1e-300, -1e-300]
    ours = orbit.gmst1982_rad(whole, fraction)
    theirs, _ = theta_GMST1982(whole, fraction)
    assert np.array_equal(ours, theirs)
    assert np.array_equal(np.signbit(ours), np.signbit(theirs))


def test_teme_rotation_is_skyfields_bit_for_bit():
    from skyfield.sgp4lib import TEME

    t_unix = datetime(2026, 10, 6, tzinfo=UTC).timestamp() + 21600.0 * np.arange(-3000, 3000, 7)
    ours = orbit.teme_rotation(orbit.skyfield_times(t_unix))
    assert np.array_equal(ours, TEME.rotation_at(orbit.skyfield_times(t_unix)))


def test_a_pass_search_does_not_import_skyfields_sgp4_module():
    """GMST and the TEME rotation are computed here: skyfield.sgp4lib, with the OMM reader
    and XML parser it imports, is not loaded for a pass search (2 ms of a first run)."""
    code = (
        "import sys\n"
        "from datetime import UTC, datetime, timedelta\n"
        "from tiangong_orbit import passes, places, tle\n"
        f"css = tle.parse_file({str(TLE_DIR / 'stations_latest.tle')!r})[0]\n"
        "start = datetime(2026, 10, 6, 16, tzinfo=UTC)\n"
        "passes.find_passes(css, [places.find_place('Lahore')], start, start + timedelta(days=1))\n"
        "assert 'skyfield.timelib' in sys.modules\n"
        "assert 'skyfield.sgp4lib' not in sys.modules, 'skyfield.sgp4lib imported'\n"
    )
    subprocess.run([sys.executable, "-c", code], check=True, timeout=120)


# --------------------------------------------------------------------------------------------
# Impossible positions: SGP4 error code 0 with a state that is no orbit is refused (exit 3)

#: The issue's two sets, derived from the real Tiangong set of 2026-10-06 (tests/data):
#: line 1 with its drag terms replaced by absurd ones (ndot/2 -0.137 rev/day², BSTAR -2.7963),
#: and line 1 with its two-digit year 26 edited to 56 (read as 2056). Checksums recomputed.
ABSURD_DRAG_LINE1 = "1 48274U 21035A   26279.66863779 -.13702181  00000+0 -27963+1 0  9995"
MU_KM3_S2 = 398600.8  # WGS72, as SGP4


def _derived(css_tle, line1=None, year=None):
    name, real1, line2 = css_tle
    if year is not None:
        line1 = real1[:18] + year + real1[20:]
    return f"{name}\n{_fix_checksum(line1)}\n{line2}\n"


def _plausible(r_km, v_km_s, lowest_km, highest_km):
    """Independent of the product: radius between 80 km above the polar radius and the set's
    apogee plus a margin, and a bound orbit (v² < 2 mu / r)."""
    radius = np.linalg.norm(r_km, axis=1)
    speed2 = np.einsum("ij,ij->i", v_km_s, v_km_s)
    return (
        (radius > 6356.75 + lowest_km)
        & (radius < 6378.14 + highest_km)
        & (speed2 < 2 * MU_KM3_S2 / radius)
    )


def test_absurd_drag_terms_never_give_a_state_that_is_no_orbit(css_tle):
    (element_set,) = tle.parse_text(_derived(css_tle, ABSURD_DRAG_LINE1))
    epoch = element_set.epoch.timestamp()
    satrec = element_set.satrec
    refused = accepted = 0
    for t in epoch + np.arange(-86400.0, 2 * 86400.0, 421.0):
        try:
            r, v = orbit.propagate_teme(satrec, np.array([t]))
        except PropagationError as error:
            assert "this element set cannot describe the orbit at" in str(error)
            refused += 1
            continue
        accepted += 1
        assert _plausible(r, v, 80.0, 390.0 + 300.0).all(), (t, r, v)
    # SGP4 itself (error code 0) gives states from below the ground to 1e9 km for this set.
    raw = [satrec.sgp4(2440587.5, t / 86400.0) for t in epoch + np.arange(0.0, 86400.0, 421.0)]
    radii = [np.linalg.norm(r) for code, r, _ in raw if code == 0]
    assert max(radii) > 1e6 or min(radii) < 6378.0 + 80.0
    assert refused > accepted
    # Over a window (as passes and charts ask), it is refused outright.
    with pytest.raises(PropagationError, match="cannot describe the orbit") as caught:
        orbit.propagate_teme(satrec, epoch + np.arange(0.0, 86400.0, 60.0))
    assert caught.value.exit_code == 3
    # A single moment between impossible ones is refused too: its revolution is checked.
    with pytest.raises(PropagationError, match="cannot describe the orbit"):
        orbit.altitude_report(
            element_set.name, element_set.norad_id, satrec, element_set.epoch + timedelta(hours=2)
        )


def test_a_year_read_as_2056_is_refused_30_million_km_away(css_tle):
    (element_set,) = tle.parse_text(_derived(css_tle, year="56"))
    assert element_set.epoch.year == 2056
    moment = datetime(2026, 10, 7, tzinfo=UTC).timestamp()
    code, r, _ = element_set.satrec.sgp4(2440587.5, moment / 86400.0)
    assert code == 0 and np.linalg.norm(r) > 1e7  # SGP4 alone: 30 million km, no error
    with pytest.raises(PropagationError, match=r"cannot describe the orbit .* km above the ground"):
        orbit.propagate_teme(element_set.satrec, np.array([moment]))


def test_real_sets_pass_the_physics_check_over_weeks(history_sets):
    """The check refuses nothing real: every 50th set of the history, a week either side of
    its epoch (and the drag-term check of ``tle check`` on every set)."""
    for element_set in history_sets[::50]:
        epoch = element_set.epoch.timestamp()
        orbit.propagate_teme(element_set.satrec, epoch + np.arange(-7 * 86400.0, 7 * 86400.0, 97.0))
    for element_set in history_sets:
        assert orbit.drag_terms_problem(element_set.satrec) == (None, None)


def _cli(*args, cwd):
    import os
    import subprocess
    import sys

    env = {**os.environ, "NO_COLOR": "1", "COLUMNS": "80"}
    return subprocess.run(
        [sys.executable, "-m", "tiangong_orbit", *args],
        capture_output=True,
        text=True,
        env=env,
        timeout=120,
        cwd=cwd,
    )


def _one_error(result, *words):
    assert result.returncode == 3, (result.returncode, result.stderr)
    assert "Traceback" not in result.stderr
    errors = [line for line in result.stderr.splitlines() if line.startswith("error:")]
    assert len(errors) == 1, result.stderr
    for word in words:
        assert word in errors[0], errors[0]


@pytest.mark.parametrize("which", ["drag", "year"])
def test_cli_refuses_impossible_positions_even_with_allow_stale(css_tle, tmp_path, which):
    path = tmp_path / f"{which}.tle"
    path.write_text(
        _derived(css_tle, ABSURD_DRAG_LINE1) if which == "drag" else _derived(css_tle, year="56")
    )
    for args in (
        ("passes", "--city", "Karachi", "--start", "2026-10-07", "--days", "2"),
        ("passes", "--city", "Karachi", "--start", "2026-10-07", "--days", "2", "--json"),
        ("altitude", "--at", "2026-10-06T18:00Z", "--json"),
    ):
        result = _cli(*args, "--tle", str(path), "--allow-stale", cwd=tmp_path)
        _one_error(result, "this element set cannot describe the orbit at")
        assert result.stdout == ""


def test_tle_check_flags_implausible_drag_terms(css_tle, tmp_path):
    path = tmp_path / "drag.tle"
    path.write_text(_derived(css_tle, ABSURD_DRAG_LINE1))
    _one_error(_cli("tle", "check", str(path), cwd=tmp_path), "drag terms are implausible", "BSTAR")
    result = _cli("tle", "check", str(TLE_DIR / "tiangong_history.tle"), cwd=tmp_path)
    assert result.returncode == 0 and result.stderr == "", result.stderr


def test_altitude_drops_an_iss_comparison_it_cannot_propagate(css_tle, tmp_path):
    """The ISS set in the file is the real one of stations_latest.tle with the same absurd drag
    terms (derived, checksum recomputed): the comparison is dropped with a warning, exit 0, with
    and without --allow-stale."""
    iss = tle.parse_file(TLE_DIR / "stations_latest.tle")
    iss = next(s for s in iss if s.norad_id == tle.ISS_NORAD_ID)
    iss_line1 = _fix_checksum(iss.line1[:33] + "-.13702181  00000+0 -27963+1" + iss.line1[61:])
    path = tmp_path / "both.tle"
    path.write_text(_derived(css_tle, year="26") + f"ISS (ZARYA)\n{iss_line1}\n{iss.line2}\n")
    for extra in ((), ("--allow-stale",)):
        result = _cli(
            "altitude", "--tle", str(path), "--satellite", "48274", "--at",
            "2026-10-07T06:00Z", "--json", *extra, cwd=tmp_path,
        )  # fmt: skip
        assert result.returncode == 0, result.stderr
        warnings = [line for line in result.stderr.splitlines() if "ISS" in line]
        assert len(warnings) == 1 and warnings[0].startswith("warning: the ISS is left out")
        assert "cannot describe the orbit" in warnings[0]
        document = json.loads(result.stdout)
        assert document["satellite"]["norad_id"] == 48274
        assert all("ISS" not in ref["name"] for ref in document["references"])
        assert 300 < document["altitude_km"] < 450


def test_earth_fixed_positions_agree_with_skyfield_to_a_centimetre(history_sets, ts):
    """The frame chain (TEME to Earth-fixed by GMST 1982 on UT1, no polar motion, as skyfield's
    TEME frame; WGS84 geodetic to Earth-fixed for the observer) gives skyfield's positions at
    the same instants to a centimetre (measured: 0.7 mm; 2 mm while the times reached SGP4
    rounded to 0.16 us). So a
    millisecond between an event time and the skyfield reference is not the frame's: it was
    the interpolated track, metres off SGP4 (see test_passes.py)."""
    from skyfield.framelib import itrs

    for element_set in _sample_sets(history_sets)[3:]:
        moments = _times(element_set, count=300, span_days=2.0)
        r_km, _ = orbit.satellite_itrs(element_set.satrec, _unix(moments))
        satellite = _skyfield_satellite(element_set, ts)
        theirs_km = satellite.at(ts.from_datetimes(moments)).frame_xyz(itrs).km.T
        assert np.abs(r_km - theirs_km).max() < 1e-5
    observers = orbit.Observers.from_geodetic(PLACES[:, 0], PLACES[:, 1], PLACES[:, 2])
    for index, (latitude, longitude, elevation_m) in enumerate(PLACES):
        place = wgs84.latlon(latitude, longitude, elevation_m=elevation_m)
        assert np.abs(observers.position_km[index] - place.itrs_xyz.km).max() < 1e-8


def test_tle_check_warns_of_an_epoch_decades_ahead(css_tle, tmp_path):
    # The year-56 set is a valid orbit near its own epoch, so it is no error; but no real set is
    # dated 30 years ahead of the clock, and the check says which field to look at.
    path = tmp_path / "year.tle"
    path.write_text(_derived(css_tle, year="56"))
    result = _cli("tle", "check", str(path), cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    (warning,) = [line for line in result.stderr.splitlines() if "in the future" in line]
    assert warning.startswith("warning:") and "two-digit year" in warning and "2056" in warning
    real = tmp_path / "real.tle"
    real.write_text(_derived(css_tle, year="26"))
    assert "in the future" not in _cli("tle", "check", str(real), cwd=tmp_path).stderr
