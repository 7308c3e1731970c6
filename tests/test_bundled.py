"""The bundled element sets: the ISS history and the Tiangong gap fills, each set kept once.

Expected counts come from the provenance tables of data/tle/SOURCES.md (written when the data
was gathered) and from reading the files with python-sgp4 directly; the ISS altitude for a past
date is checked against skyfield propagating the ISS set that a plain scan of the file finds
nearest that date.
"""

from __future__ import annotations

import itertools
import json
import re
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from sgp4.api import WGS72, Satrec

from tiangong_orbit import tle

REPO_ROOT = Path(__file__).resolve().parents[1]
TLE_DIR = REPO_ROOT / "data" / "tle"
SOURCES_MD = (TLE_DIR / "SOURCES.md").read_text(encoding="utf-8")
# CelesTrak re-issues: epochs closer than this are one set (SOURCES.md: "<2e-7 day").
SAME_EPOCH_DAYS = 2e-7


def _section_rows(title: str) -> tuple[list[tuple[str, int]], int]:
    """(epoch text, NORAD) of each row of the ``## title`` section, and its stated total."""
    section = SOURCES_MD.split(f"## {title}\n", 1)[1].split("\n## ", 1)[0]
    rows = re.findall(r"^\| (\d{4}-\d\d-\d\dT[\d:.]+Z) \| (\d+) \|", section, re.MULTILINE)
    total = re.search(r"(\d+) element sets", section)
    assert total is not None
    return [(epoch, int(norad)) for epoch, norad in rows], int(total[1])


def _epochs_jd(path: Path) -> list[tuple[int, float]]:
    """(NORAD, epoch as Julian date) of every TLE in ``path``, read with python-sgp4 alone."""
    lines = path.read_text(encoding="utf-8").splitlines()
    found = []
    for first, second in itertools.pairwise(lines):
        if first.startswith("1 ") and second.startswith("2 "):
            satrec = Satrec.twoline2rv(first, second, WGS72)
            found.append((satrec.satnum, satrec.jdsatepoch + satrec.jdsatepochF))
    return found


def _distinct(epochs: list[float]) -> int:
    ordered = sorted(epochs)
    groups = 0
    start = None
    for value in ordered:
        if start is None or value - start > SAME_EPOCH_DAYS:
            groups += 1
            start = value
    return groups


def test_new_files_match_their_provenance() -> None:
    for name, norad in (("iss_history.tle", 25544), ("tiangong_additions.tle", 48274)):
        rows, total = _section_rows(name)
        sets = tle.parse_file(TLE_DIR / name, source="bundled")
        assert len(sets) == len(rows) == total, name
        assert {s.norad_id for s in sets} == {norad}
        for element_set, (epoch_text, row_norad) in zip(sets, rows, strict=True):
            stated = datetime.fromisoformat(epoch_text.replace("Z", "+00:00"))
            assert timedelta(0) <= element_set.epoch - stated < timedelta(milliseconds=1)
            assert element_set.norad_id == row_norad
    assert _section_rows("iss_history.tle")[1] == 1126
    assert _section_rows("tiangong_additions.tle")[1] == 311


def test_catalog_keeps_each_set_once() -> None:
    """Every bundled file read with sgp4 and json alone, epochs clustered: the catalog holds
    exactly one set per cluster, for every satellite."""
    by_id: dict[int, list[float]] = {}
    for path in sorted(TLE_DIR.glob("*.tle")):
        for norad, jd in _epochs_jd(path):
            by_id.setdefault(norad, []).append(jd)
    for record in json.loads((TLE_DIR / "tiangong_omm.json").read_text(encoding="utf-8")):
        epoch = datetime.fromisoformat(record["EPOCH"]).replace(tzinfo=UTC)
        jd = (epoch - datetime(2000, 1, 1, 12, tzinfo=UTC)).total_seconds() / 86400 + 2451545.0
        by_id.setdefault(int(record["NORAD_CAT_ID"]), []).append(jd)
    expected = {norad: _distinct(epochs) for norad, epochs in by_id.items()}

    catalog = tle.load_catalog()
    counted: dict[int, int] = {}
    for element_set in catalog.sets:
        counted[element_set.norad_id] = counted.get(element_set.norad_id, 0) + 1
    assert counted == expected
    # 663 history + 311 additions (SOURCES.md); the OMM and latest copies of history sets drop.
    assert expected[48274] == 663 + 311 + 3  # three OMM records fall between history sets
    assert expected[25544] == 1126 + 1  # the history and the latest set of stations_latest.tle


def test_cache_copy_of_a_bundled_set_is_not_a_second_set(tmp_path: Path, monkeypatch) -> None:
    monkeypatch.setenv("TIANGONG_ORBIT_CACHE_DIR", str(tmp_path))
    before = tle.load_catalog().sets
    folder = tmp_path / "tle"
    folder.mkdir()
    # A real set of the ISS history, written to the cache as a download would keep it.
    lines = (TLE_DIR / "iss_history.tle").read_text(encoding="utf-8").splitlines()[300:303]
    (folder / "elements.tle").write_text("\n".join(lines) + "\n", encoding="utf-8")
    after = tle.load_catalog().sets
    assert len(after) == len(before)
    assert all(s.source == "bundled" for s in after)


def test_dedupe_keeps_the_first_met_within_17_ms(history_sets) -> None:
    real = history_sets[100]
    # The same set re-issued 10 ms later (a synthetic copy of a real one: epoch shifted only).
    shifted = tle.ElementSet(
        real.name,
        real.norad_id,
        real.epoch + timedelta(milliseconds=10),
        real.line1,
        real.line2,
        "cache",
        "x",
        None,
        real.satrec,
    )
    apart = tle.ElementSet(
        real.name,
        real.norad_id,
        real.epoch + timedelta(milliseconds=30),
        real.line1,
        real.line2,
        "cache",
        "y",
        None,
        real.satrec,
    )
    assert tle.dedupe_sets([shifted, real, apart]) == (shifted, apart)
    assert tle.dedupe_sets([real, shifted]) == (real,)


def _nearest_iss(at: datetime) -> tuple[datetime, str, str]:
    """Epoch and lines of the ISS set of iss_history.tle nearest ``at``, by a plain scan."""
    lines = (TLE_DIR / "iss_history.tle").read_text(encoding="utf-8").splitlines()
    best: tuple[float, datetime, str, str] | None = None
    for first, second in itertools.pairwise(lines):
        if first.startswith("1 25544") and second.startswith("2 25544"):
            satrec = Satrec.twoline2rv(first, second, WGS72)
            jd = satrec.jdsatepoch + satrec.jdsatepochF
            epoch = datetime(2000, 1, 1, 12, tzinfo=UTC) + timedelta(days=jd - 2451545.0)
            distance = abs((epoch - at).total_seconds())
            if best is None or distance < best[0]:
                best = (distance, epoch, first, second)
    assert best is not None
    return best[1], best[2], best[3]


@pytest.mark.parametrize("when", ["2022-06-15T03:00:00Z", "2024-03-01T20:00:00Z"])
def test_iss_row_of_altitude_for_past_dates(when: str) -> None:
    """The ISS reference altitude at a past moment equals skyfield's geodetic height from the
    ISS set nearest that moment in iss_history.tle."""
    from skyfield.api import EarthSatellite, load, wgs84
    from typer.testing import CliRunner

    from tiangong_orbit.cli import app

    at = datetime.fromisoformat(when.replace("Z", "+00:00"))
    epoch, line1, line2 = _nearest_iss(at)
    assert abs(epoch - at) < timedelta(days=4)
    timescale = load.timescale(builtin=True)
    satellite = EarthSatellite(line1, line2, "ISS", timescale)
    expected_km = wgs84.height_of(satellite.at(timescale.from_datetime(at))).km

    result = CliRunner().invoke(app, ["altitude", "--at", when, "--json"])
    assert result.exit_code == 0, result.output
    document = json.loads(result.stdout)
    iss = [r for r in document["references"] if r["name"].startswith("ISS")]
    assert len(iss) == 1
    assert iss[0]["altitude_km"] == pytest.approx(expected_km, abs=0.05)


def test_passes_of_the_iss_for_a_past_date_use_its_history() -> None:
    from typer.testing import CliRunner

    from tiangong_orbit.cli import app

    start = datetime(2023, 5, 1, tzinfo=UTC)
    result = CliRunner().invoke(
        app, ["passes", "--satellite", "iss", "--start", "2023-05-01", "--days", "1", "--json"]
    )
    assert result.exit_code == 0, result.output
    satellite = json.loads(result.stdout)["satellite"]
    assert satellite["norad_id"] == 25544
    epoch, _, _ = _nearest_iss(start)
    shown = datetime.fromisoformat(satellite["tle_epoch"].replace("Z", "+00:00"))
    assert abs(shown - epoch) < timedelta(milliseconds=1)


# --------------------------------------------------------------------------------------------
# The catalog index: a shortcut that gives exactly what parsing gives


def _plain_catalog() -> tuple[tle.ElementSet, ...]:
    """The catalog parsed file by file without the index (the reference)."""
    from tiangong_orbit.paths import tle_cache_dir

    files = [(path, "bundled") for path in tle.bundled_files()]
    folder = tle_cache_dir()
    if folder.is_dir():
        cached = sorted([*folder.glob("*.tle"), *folder.glob("*.json")])
        files += [(path, "cache") for path in cached]
    parsed = [s for path, source in files for s in tle.parse_file(path, source=source)]
    return tle.dedupe_sets(parsed)


def _same(first: tle.ElementSet, second: tle.ElementSet) -> None:
    fields = ("name", "norad_id", "epoch", "line1", "line2", "source", "path", "line_number")
    assert [getattr(first, f) for f in fields] == [getattr(second, f) for f in fields]
    a, b = first.satrec, second.satrec
    assert (a.jdsatepoch, a.jdsatepochF) == (b.jdsatepoch, b.jdsatepochF)
    for days in (0.0, 0.7, 3.0):
        assert a.sgp4(a.jdsatepoch + days, a.jdsatepochF) == b.sgp4(
            b.jdsatepoch + days, b.jdsatepochF
        )


def test_the_index_gives_exactly_what_parsing_gives(tmp_path: Path, monkeypatch) -> None:
    from tiangong_orbit.catalog_index import INDEX_NAME

    monkeypatch.setenv("TIANGONG_ORBIT_CACHE_DIR", str(tmp_path))
    (tmp_path / "tle").mkdir()
    # A cache as a download leaves it: real OMM records (full precision) and a real 3LE set.
    records = json.loads((TLE_DIR / "tiangong_omm.json").read_text(encoding="utf-8"))
    (tmp_path / "tle" / "elements.json").write_text(json.dumps(records[:2]), encoding="utf-8")
    lines = (TLE_DIR / "iss_history.tle").read_text(encoding="utf-8").splitlines()[600:603]
    (tmp_path / "tle" / "elements.tle").write_text("\n".join(lines) + "\n", encoding="utf-8")

    first = tle.load_catalog()  # parses and writes the index
    assert (tmp_path / INDEX_NAME).is_file()
    second = tle.load_catalog()  # from the index
    # Sets indexed from TLE lines make their SGP4 record when first used (start-up: 7 ms).
    assert all(s.record is None for s in second.sets if s.path.endswith(".tle"))
    reference = _plain_catalog()
    assert len(first.sets) == len(second.sets) == len(reference)
    for indexed, parsed in zip(second.sets, reference, strict=True):
        _same(indexed, parsed)

    # A file whose bytes change is parsed again: the newer answer's sets are the ones seen.
    (tmp_path / "tle" / "elements.json").write_text(json.dumps(records[2:]), encoding="utf-8")
    changed = tle.load_catalog()
    for indexed, parsed in zip(changed.sets, _plain_catalog(), strict=True):
        _same(indexed, parsed)

    # A cache file broken after it was indexed is reported, not served from the index.
    (tmp_path / "tle" / "elements.tle").write_text("not element sets\n", encoding="utf-8")
    broken = tle.load_catalog()
    assert any("elements.tle" in warning for warning in broken.warnings)

    # An index that is garbage is ignored and rewritten.
    (tmp_path / INDEX_NAME).write_bytes(b"\x00garbage" * 100)
    again = tle.load_catalog()
    assert [s.epoch for s in again.sets] == [s.epoch for s in broken.sets]
