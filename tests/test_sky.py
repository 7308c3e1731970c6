"""The sky around a pass: star and planet positions against PyEphem, the closest approach in
words, the sky chart's labels (measured after rendering) and the map and altitude charts."""

from __future__ import annotations

import itertools
import math
import os
import subprocess
import sys
from datetime import UTC, datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import ephem
import numpy as np
import pytest

from tiangong_orbit import passes, sky, tle
from tiangong_orbit.geography import map_lines
from tiangong_orbit.model import Settings
from tiangong_orbit.places import find_place
from tiangong_orbit.render import charts

START = datetime(2026, 10, 6, 12, 0, tzinfo=UTC)


def _observer(latitude_deg: float, longitude_deg: float, moment: datetime) -> ephem.Observer:
    observer = ephem.Observer()
    observer.lat, observer.lon = str(latitude_deg), str(longitude_deg)
    observer.elevation = 0.0
    observer.pressure = 0.0  # no refraction: geometric altitudes, as the product gives
    observer.date = ephem.Date(moment.replace(tzinfo=None))
    return observer


def _separation_deg(az1: float, alt1: float, az2: float, alt2: float) -> float:
    a1, e1, a2, e2 = map(math.radians, (az1, alt1, az2, alt2))
    cosine = math.sin(e1) * math.sin(e2) + math.cos(e1) * math.cos(e2) * math.cos(a1 - a2)
    return math.degrees(math.acos(max(-1.0, min(1.0, cosine))))


@pytest.mark.parametrize(
    ("latitude_deg", "longitude_deg", "moment"),
    [
        (31.5204, 74.3587, datetime(2026, 10, 7, 0, 5, tzinfo=UTC)),
        (24.8608, 67.0104, datetime(2026, 3, 1, 15, 30, tzinfo=UTC)),
    ],
)
def test_stars_planets_and_moon_agree_with_pyephem(
    latitude_deg: float, longitude_deg: float, moment: datetime
) -> None:
    objects = sky.sky_objects(latitude_deg, longitude_deg, 0.0, moment)
    observer = _observer(latitude_deg, longitude_deg, moment)
    checked = 0
    for name in ("Vega", "Sirius", "Arcturus", "Capella", "Altair", "Antares", "Deneb"):
        index = objects.star_names.index(name)
        az, alt = objects.altaz(objects.star_ra_deg[index], objects.star_dec_deg[index])
        star = ephem.star(name)
        star.compute(observer)
        reference = (math.degrees(star.az), math.degrees(star.alt))
        assert _separation_deg(float(az), float(alt), *reference) < 0.03, name
        checked += 1
    bodies = {body.name: body for body in objects.bodies}
    for name, reference_body in (
        ("the Moon", ephem.Moon()),
        ("Jupiter", ephem.Jupiter()),
        ("Venus", ephem.Venus()),
        ("Saturn", ephem.Saturn()),
    ):
        reference_body.compute(observer)
        body = bodies[name]
        az, alt = objects.altaz(np.array(body.ra_deg), np.array(body.dec_deg))
        reference = (math.degrees(reference_body.az), math.degrees(reference_body.alt))
        assert _separation_deg(float(az), float(alt), *reference) < 0.03, name
        if body.magnitude is not None:
            # Skyfield follows Mallama & Hilton (2018), PyEphem older formulas: they differ
            # by up to ~0.4 mag for Venus near inferior conjunction.
            assert abs(body.magnitude - reference_body.mag) < 0.5, name
        checked += 1
    moon = ephem.Moon()
    moon.compute(observer)
    assert abs(bodies["the Moon"].illuminated - moon.moon_phase) < 0.01
    assert checked == 11


def _relation(d_az_deg: float, d_alt_deg: float) -> str:
    """The side as a person facing the object says it (the README's words)."""
    if abs(d_alt_deg) >= abs(d_az_deg):
        return "above" if d_alt_deg > 0 else "below"
    return "left of" if d_az_deg < 0 else "right of"


def test_add_near_names_the_object_and_side() -> None:
    """Real visible passes over two cities: each closest approach ``add_near`` finds is
    re-measured with skyfield's own SGP4 satellite and PyEphem's object, side included
    ('passes 2° below Alioth')."""
    from skyfield.api import EarthSatellite, load, wgs84

    catalog = tle.load_catalog(None)
    element_set = tle.nearest_set(catalog.sets, tle.TIANGONG_NORAD_ID, START)
    cities = [find_place("Lahore"), find_place("Karachi")]
    end = START + timedelta(days=6)
    groups = passes.find_passes(element_set, cities, START, end)
    found = sky.add_near(groups, [(element_set, START, end)])
    timescale = load.timescale(builtin=True)
    satellite = EarthSatellite(element_set.line1, element_set.line2, ts=timescale)
    named = 0
    for group in found:
        where = wgs84.latlon(group.place.latitude_deg, group.place.longitude_deg)
        for item in group.passes:
            assert item.visible_start is not None and item.visible_end is not None
            near = item.near
            if near is None:
                continue
            assert item.visible_start.time <= near.time <= item.visible_end.time
            alt, az, _ = (satellite - where).at(timescale.from_datetime(near.time)).altaz()
            reference = _observer(group.place.latitude_deg, group.place.longitude_deg, near.time)
            body = _pyephem_body(near.name, near.kind)
            body.compute(reference)
            body_az, body_alt = math.degrees(body.az), math.degrees(body.alt)
            separation = _separation_deg(az.degrees, alt.degrees, body_az, body_alt)
            assert abs(separation - near.separation_deg) < 0.03, near
            assert near.separation_deg <= sky.NEAR_LIMIT_DEG
            d_az = ((az.degrees - body_az + 180.0) % 360.0 - 180.0) * math.cos(
                math.radians(body_alt)
            )
            if near.separation_deg >= 0.5:
                assert near.relation == _relation(d_az, alt.degrees - body_alt), near
                words = f"{near.separation_deg:.0f}° {near.relation} {near.name}"
            else:
                assert near.relation == "across"
                words = f"right by {near.name}"
            assert near.phrase("19:30") == f"passes {words} at 19:30"
            assert sky.near_phrase(near, "19:30") == near.phrase("19:30")
            named += 1
    assert named >= 3
    assert sky.near_phrase(None, "19:30") is None


def test_near_objects_are_skyfields_observations() -> None:
    # add_near observes the Moon and planets by its own light-time loop and turns the stars by
    # the aberration without skyfield's Star: the same bits as skyfield's observe() for the
    # bodies, the same directions within 1e-14 rad for the stars.
    from skyfield.relativity import add_aberration
    from skyfield.starlib import Star

    from tiangong_orbit import orbit

    eph = orbit.ephemeris()
    for start in (1.79e9, 1.80e9, 1.81e9):
        t = orbit.skyfield_times(start + np.arange(0.0, 30 * 86400.0, 3 * 3600.0))
        earth = eph["earth"].at(t)
        for target in ("moon", *(name for name, _ in sky.PLANETS)):
            seen = earth.observe(eph[target])
            position, light_time = sky._observed_au(earth, eph[target])
            assert np.array_equal(position, seen.xyz.au), target
            assert np.array_equal(light_time, seen.light_time), target
        starts = np.array([start])
        objects = sky._near_objects(starts, starts + 300.0)
        cat = sky.catalogue(figures=False)
        index = [cat.name.index(name) for name in objects.names[: objects.n_stars]]
        middle = orbit.skyfield_times(starts + 150.0)[0]
        geocentre = eph["earth"].at(middle)
        star = Star(ra_hours=cat.ra_deg[index] / 15.0, dec_degrees=cat.dec_deg[index])
        seen = geocentre.observe(star)
        expected = np.array(seen.xyz.au)
        add_aberration(expected, geocentre.velocity.au_per_d[:, None], seen.light_time)
        expected = orbit.teme_rotation(middle) @ (expected / np.linalg.norm(expected, axis=0))
        assert np.abs(objects.star_dirs - expected.T).max() < 1e-14
        # Planets' magnitudes, worked out when asked for, are skyfield's at the nodes.
        from skyfield.magnitudelib import planetary_magnitude

        nodes = eph["earth"].at(orbit.skyfield_times(objects.node_unix))
        for k, (target, _) in enumerate(sky.PLANETS, start=objects.n_stars + 1):
            magnitudes = planetary_magnitude(nodes.observe(eph[target]))
            assert objects.magnitude(k) == float(np.nanmin(magnitudes))


def test_add_near_search_steps_do_not_change_the_answer() -> None:
    """The closest-approach search samples each pass every ``NEAR_STEP_S`` seconds, screens the
    objects and refines a shortlist: on real passes over six cities it gives what a search
    sampled every second gives (same object and side, separations within 0.001°)."""
    catalog = tle.load_catalog(None)
    element_set = tle.nearest_set(catalog.sets, tle.TIANGONG_NORAD_ID, START)
    cities = [find_place(name) for name in
              ("Lahore", "Karachi", "Quetta", "Gilgit", "Islamabad", "Peshawar")]  # fmt: skip
    end = START + timedelta(days=10)
    groups = passes.find_passes(element_set, cities, START, end)
    stretch = [(element_set, START, end)]
    assert sky.NEAR_STEP_S >= 16.0
    pairs = [
        (a.near, b.near)
        for fast, fine in zip(
            sky.add_near(groups, stretch), sky.add_near(groups, stretch, step_s=1.0), strict=True
        )
        for a, b in zip(fast.passes, fine.passes, strict=True)
    ]
    named = [(a, b) for a, b in pairs if a is not None or b is not None]
    assert len(named) >= 20
    for a, b in named:
        assert a is not None and b is not None, (a, b)
        assert (a.name, a.relation) == (b.name, b.relation)
        assert abs(a.separation_deg - b.separation_deg) < 1e-3, (a, b)
        assert abs((a.time - b.time).total_seconds()) < 0.05, (a, b)


# --------------------------------------------------------------------------------------------
# Sky chart labels, measured on the rendered figure


def _boxes(figure: object) -> list[tuple[str, object]]:
    """Every visible text of the sky axes with its rendered box (text and frame, no arrow)."""
    from matplotlib.text import Text

    figure.canvas.draw()  # type: ignore[attr-defined]
    renderer = figure.canvas.get_renderer()  # type: ignore[attr-defined]
    ax = figure.axes[0]  # type: ignore[attr-defined]
    found = []
    for text in ax.texts:
        if not text.get_visible() or not text.get_text().strip():
            continue
        box = Text.get_window_extent(text, renderer)
        patch = text.get_bbox_patch()
        if patch is not None:
            box = box.union([box, patch.get_window_extent(renderer)])
        found.append((text.get_text(), box))
    return found


def _real_passes(days: float) -> list[tuple[object, object, object]]:
    catalog = tle.load_catalog(None)
    element_set = tle.nearest_set(catalog.sets, tle.TIANGONG_NORAD_ID, START)
    chosen = []
    for name in ("Lahore", "Karachi"):
        place = find_place(name)
        found = passes.find_passes(element_set, [place], START, START + timedelta(days=days))
        chosen += [(element_set, place, p) for p in found[0].passes if p.visible][:2]
    return chosen


def test_sky_chart_labels_never_overlap() -> None:
    from matplotlib.backends.backend_agg import FigureCanvasAgg

    cases = _real_passes(6.0)
    assert len(cases) >= 3
    for element_set, place, pass_ in cases:
        track = passes.pass_track(element_set, place, pass_)
        middle = pass_.visible_peak.time
        objects = sky.sky_objects(
            place.latitude_deg, place.longitude_deg, place.elevation_m, middle
        )
        figure = charts.sky_figure(
            [(pass_, track)], place, "Tiangong", Settings(), sky=[objects], tle_note="note"
        )
        FigureCanvasAgg(figure)
        boxes = _boxes(figure)
        words = [word for word, _ in boxes]
        assert any(word.startswith("appears") for word in words)
        assert any(word.startswith("disappears") for word in words)
        for (word1, box1), (word2, box2) in itertools.combinations(boxes, 2):
            assert not box1.overlaps(box2), (place.name, pass_.rise.time, word1, word2)


def test_map_outlines_are_natural_earth_shapes() -> None:
    """Spot checks with known geography: Karachi's coast, and the land border near Lahore."""
    lines = map_lines()
    coast = np.column_stack([lines.coast_lon_deg, lines.coast_lat_deg])
    coast = coast[np.isfinite(coast[:, 0])]
    karachi = np.array([67.01, 24.86])
    assert np.min(np.hypot(*(coast - karachi).T)) < 0.2
    border = np.column_stack([lines.border_lon_deg, lines.border_lat_deg])
    border = border[np.isfinite(border[:, 0])]
    lahore = np.array([74.36, 31.52])  # about 25 km from the border with India
    assert 0.1 < np.min(np.hypot(*(border - lahore).T)) < 0.5
    assert np.min(np.hypot(*(coast - lahore).T)) > 5.0  # far inland


# --------------------------------------------------------------------------------------------
# The chart commands, as real subprocesses


def _run(*args: str, tmp_path: Path) -> subprocess.CompletedProcess:
    environment = {**os.environ, "NO_COLOR": "1"}
    return subprocess.run(
        [sys.executable, "-W", "error", "-m", "tiangong_orbit", *args],
        capture_output=True,
        text=True,
        env=environment,
        timeout=120,
        cwd=tmp_path,
    )


def test_chart_track_default_draws_the_next_visible_pass(tmp_path: Path) -> None:
    result = _run("chart", "track", "--city", "Karachi", "--start", "2026-10-06T06:00Z",
                  "--output", "track.png", tmp_path=tmp_path)  # fmt: skip
    assert result.returncode == 0, result.stderr
    assert "does not fly over" not in result.stderr
    assert (tmp_path / "track.png").read_bytes()[:4] == b"\x89PNG"
    # Six hours from a time when the station is far away: a warning, still a picture.
    result = _run("chart", "track", "--city", "Karachi", "--start", "2026-10-06T06:00Z",
                  "--hours", "0.2", "--output", "empty.png", tmp_path=tmp_path)  # fmt: skip
    assert result.returncode == 0, result.stderr
    assert "warning:" in result.stderr and "next pass" in result.stderr


def test_chart_altitude_for_the_iss(tmp_path: Path) -> None:
    result = _run("chart", "altitude", "-s", "iss", "--at", "2026-10-07T00:00Z",
                  "--output", "iss.png", tmp_path=tmp_path)  # fmt: skip
    assert result.returncode == 0, result.stderr
    catalog = tle.load_catalog(None)
    moment = datetime(2026, 10, 7, tzinfo=UTC)
    from tiangong_orbit import orbit

    iss = tle.nearest_set(catalog.sets, tle.ISS_NORAD_ID, moment)
    report = orbit.altitude_report(iss.name, iss.norad_id, iss.satrec, moment)
    figure = charts.altitude_figure(
        report,
        "the ISS",
        comparisons=[("Tiangong", "China's space station", 388.0)],
        design_band=False,
        news_note=False,
    )
    texts = [t.get_text() for t in figure.texts] + [t.get_text() for t in figure.axes[0].texts]
    joined = "\n".join(texts)
    assert "How high is the ISS?" in joined
    assert "Tiangong's design range" not in joined
    assert "450 km" not in joined
    assert "higher than Tiangong" in joined


# --------------------------------------------------------------------------------------------
# "passes 2° below Jupiter": the JSON field, checked with an independent propagation


def test_passes_json_near_matches_an_independent_sky(tmp_path: Path) -> None:
    """Each ``near`` of ``passes --json`` is re-measured with skyfield's own SGP4 satellite
    and PyEphem's star or planet at the stated time: the separation agrees within 0.1°."""
    import json

    import jsonschema
    from skyfield.api import EarthSatellite, load, wgs84

    result = _run("passes", "--city", "Lahore", "--city", "Karachi", "--start",
                  "2026-10-06T00:00Z", "--days", "6", "--json", tmp_path=tmp_path)  # fmt: skip
    assert result.returncode == 0, result.stderr
    document = json.loads(result.stdout)
    schema = json.loads((Path(__file__).parent / "data" / "passes.schema.json").read_text())
    jsonschema.validate(document, schema)
    catalog = tle.load_catalog(None)
    element_set = tle.nearest_set(catalog.sets, tle.TIANGONG_NORAD_ID, START)
    timescale = load.timescale(builtin=True)
    satellite = EarthSatellite(element_set.line1, element_set.line2, ts=timescale)
    checked = 0
    for observer in document["observers"]:
        for item in observer["passes"]:
            near = item["near"]
            if near is None:
                continue
            moment = datetime.fromisoformat(near["time"].replace("Z", "+00:00"))
            assert item["visible_start"]["time"] <= near["time"] <= item["visible_end"]["time"]
            place = wgs84.latlon(observer["latitude_deg"], observer["longitude_deg"],
                                 observer["elevation_m"])  # fmt: skip
            alt, az, _ = (satellite - place).at(timescale.from_datetime(moment)).altaz()
            reference = _observer(observer["latitude_deg"], observer["longitude_deg"], moment)
            reference.elevation = observer["elevation_m"]
            body = (
                ephem.star(near["name"])
                if near["kind"] == "star"
                else getattr(ephem, near["name"].removeprefix("the "))()
            )
            body.compute(reference)
            separation = _separation_deg(
                az.degrees, alt.degrees, math.degrees(body.az), math.degrees(body.alt)
            )
            assert abs(separation - near["separation_deg"]) < 0.03, near
            # And it is the closest approach: dense sampling (0.1 s) of the visible part
            # finds none closer.
            first, last = (
                datetime.fromisoformat(item[key]["time"].replace("Z", "+00:00"))
                for key in ("visible_start", "visible_end")
            )
            offsets = np.arange(0.0, (last - first).total_seconds(), 0.1)
            dense = timescale.from_datetimes([first + timedelta(seconds=s) for s in offsets])
            alts, azs, _ = (satellite - place).at(dense).altaz()
            closest = min(
                _separation_deg(a, e, math.degrees(body.az), math.degrees(body.alt))
                for a, e in zip(azs.degrees, alts.degrees, strict=True)
            )
            assert closest > near["separation_deg"] - 0.05, (near, closest)
            assert near["separation_deg"] <= sky.NEAR_LIMIT_DEG
            assert near["words"] in result.stdout
            checked += 1
    assert checked >= 3


#: Bright stars PyEphem's list lacks: J2000 positions from SIMBAD (gamma2 Velorum).
EXTRA_STARS = {"Regor": ("8:09:31.95", "-47:20:11.7")}


def _pyephem_body(name: str, kind: str) -> ephem.Body:
    if kind != "star":
        return getattr(ephem, name.removeprefix("the "))()
    if name not in EXTRA_STARS:
        return ephem.star(name)
    body = ephem.FixedBody()
    body._ra, body._dec = EXTRA_STARS[name]
    body._epoch = ephem.J2000
    return body


def test_near_in_every_format_names_the_satellite(tmp_path: Path) -> None:
    """With two satellites each ``near`` is re-measured independently (skyfield's SGP4
    satellite from the satellite's own element set, PyEphem's star or planet), and the same
    closest approach, with its satellite named, is in CSV, Markdown, ICS, HTML and the
    80-column table."""
    import csv
    import io
    import json

    from skyfield.api import EarthSatellite, load, wgs84

    # No brightness or duration filter: the same passes in every format.
    window = ("passes", "--city", "Karachi", "--start", "2026-10-07T00:00Z", "--days", "10",
              "-s", "tiangong", "-s", "iss",
              "--max-magnitude", "99", "--min-duration", "0")  # fmt: skip
    outputs = {}
    for fmt in ("json", "csv", "markdown", "ics", "table", "html"):
        result = subprocess.run(
            [sys.executable, "-W", "error", "-m", "tiangong_orbit", *window, "--format", fmt],
            capture_output=True,
            text=True,
            env={**os.environ, "NO_COLOR": "1", "COLUMNS": "80"},
            timeout=120,
            cwd=tmp_path,
        )
        assert result.returncode == 0, result.stderr
        outputs[fmt] = result.stdout
    document = json.loads(outputs["json"])
    observer = document["observers"][0]
    names = {info["norad_id"]: info["display_name"] for info in document["satellites"]}
    timescale = load.timescale(builtin=True)
    place = wgs84.latlon(observer["latitude_deg"], observer["longitude_deg"],
                         observer["elevation_m"])  # fmt: skip
    catalog = tle.load_catalog(None)
    expected: list[tuple[int, dict]] = []
    for item in observer["passes"]:
        near = item["near"]
        if near is None:
            continue
        moment = datetime.fromisoformat(near["time"].replace("Z", "+00:00"))
        element_set = tle.nearest_set(catalog.sets, item["norad_id"], moment)
        satellite = EarthSatellite(element_set.line1, element_set.line2, ts=timescale)
        alt, az, _ = (satellite - place).at(timescale.from_datetime(moment)).altaz()
        reference = _observer(observer["latitude_deg"], observer["longitude_deg"], moment)
        reference.elevation = observer["elevation_m"]
        body = _pyephem_body(near["name"], near["kind"])
        body.compute(reference)
        separation = _separation_deg(
            az.degrees, alt.degrees, math.degrees(body.az), math.degrees(body.alt)
        )
        assert abs(separation - near["separation_deg"]) < 0.03, near
        expected.append((item["norad_id"], near))
    assert {norad for norad, _ in expected} == set(names), "both satellites come near a star"

    rows = [row for row in csv.DictReader(io.StringIO(outputs["csv"])) if row["near"]]
    assert [(int(r["norad_id"]), r["near"], r["near_utc"]) for r in rows] == [
        (norad, near["words"], near["time"]) for norad, near in expected
    ]
    table_lines = outputs["table"].splitlines()
    heading = table_lines.index("Near bright stars and planets:")
    markdown_items = [line for line in outputs["markdown"].splitlines() if line.startswith("- ")]
    ics = outputs["ics"].replace("\n ", "")  # unfold the content lines (RFC 5545 3.1)
    for k, (norad, near) in enumerate(expected):
        words = f"{names[norad]} passes {near['words']} at "
        assert words in table_lines[heading + 1 + k], (k, near)
        assert any(words in line for line in markdown_items), near
        assert f"It passes {near['words']} at " in ics
        assert words in outputs["html"]  # no charts for two satellites: a list under the table
    assert all(len(line) <= 80 for line in table_lines)


def test_alert_text_adds_the_near_phrase_only_while_it_stays_an_sms() -> None:
    """A real pass near a bright star: the alert's sentence gets "; passes 2° above Alioth at
    05:39" when the whole stays within an SMS, and is left as it is when it would not."""
    from dataclasses import replace

    from tiangong_orbit import alerts
    from tiangong_orbit.places import custom_place
    from tiangong_orbit.wording import pass_sentence

    catalog = tle.load_catalog(None)
    element_set = tle.nearest_set(catalog.sets, tle.TIANGONG_NORAD_ID, START)
    karachi = find_place("Karachi")
    end = START + timedelta(days=8)
    (group,) = sky.add_near(
        passes.find_passes(element_set, [karachi], START, end), [(element_set, START, end)]
    )
    item = next(p for p in group.passes if p.near is not None)
    near = item.near
    assert near is not None
    local = near.time.astimezone(ZoneInfo("Asia/Karachi"))  # its minute, cut as the sentence
    phrase = f"; {near.phrase(f'{local:%H:%M}')}"
    assert phrase.startswith("; passes ") and phrase.endswith(f"{local:%H:%M}")
    # The real sentence has no room for it.
    _, body = alerts.alert_text(48274, "CSS (TIANHE)", karachi, item, now=START)
    sentence = pass_sentence(48274, "CSS (TIANHE)", "Karachi", item, "Asia/Karachi")
    assert len(sentence + phrase) > alerts.SMS_LENGTH and body == sentence
    # The same pass made shorter to say (no magnitude, visible for 40 s, a place named to
    # fill an SMS exactly): added at 160 characters, left out at 161.
    assert item.visible_start is not None and item.visible_end is not None
    brief_end = replace(item.visible_end, time=item.visible_start.time + timedelta(seconds=40))
    short = replace(item, magnitude=None, visible_end=brief_end)
    base = len(pass_sentence(25544, "ISS", "", short, "Asia/Karachi") + phrase)
    assert base <= alerts.SMS_LENGTH - 2
    for extra in (0, 1):
        name = "A" * (alerts.SMS_LENGTH - base + extra)
        place = custom_place(24.86, 67.01, 0.0, name, "Asia/Karachi")
        _, body = alerts.alert_text(25544, "ISS (ZARYA)", place, short, now=START)
        sentence = pass_sentence(25544, "ISS", name, short, "Asia/Karachi")
        assert body == (sentence + phrase if extra == 0 else sentence)
        assert len(sentence + phrase) == alerts.SMS_LENGTH + extra
