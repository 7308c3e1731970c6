"""Big outputs: JSON from the predictor's arrays, streamed; pass columns; long tables.

The references here share no code with the fast paths they check: Python's own ``round`` and
``datetime`` arithmetic, the per-object JSON layout the project used before the arrays (kept
below as :func:`_reference_pass`), rich printing a table itself, and the JSON read back.
"""

from __future__ import annotations

import io
import json
import os
import random
import subprocess
import sys
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from tiangong_orbit import passes
from tiangong_orbit.model import Pass, PassColumns, PassList, Point, Prediction, SatelliteInfo
from tiangong_orbit.places import find_place
from tiangong_orbit.render.passes_json import (
    _write_passes_json,
    passes_json,
    round_array,
    write_passes_json,
)
from tiangong_orbit.timeutil import iso_z, iso_z_ms_array

ROOT = Path(__file__).resolve().parents[1]
LATEST = ROOT / "data" / "tle" / "stations_latest.tle"
START = datetime(2026, 10, 6, 16, tzinfo=UTC)
EPOCH_1970 = datetime(1970, 1, 1, tzinfo=UTC)


@pytest.fixture(scope="module")
def tiangong():
    from tiangong_orbit import tle

    return next(s for s in tle.parse_file(LATEST) if s.norad_id == 48274)


@pytest.fixture(scope="module")
def every_pass(tiangong) -> Prediction:
    """Every pass over Lahore and Quetta for 12 days, from the real 2026-10-06 set."""
    where = [find_place("Lahore"), find_place("Quetta")]
    groups = passes.find_passes(
        tiangong, where, START, START + timedelta(days=12), include_invisible=True
    )
    info = SatelliteInfo(tiangong.name, tiangong.norad_id, tiangong.epoch)
    return Prediction(info, START, START + timedelta(days=12), passes.Settings(), groups)


# --- numbers and times -------------------------------------------------------------------------


def test_iso_z_rounds_in_exact_microseconds() -> None:
    # 20.043499 s: a float division of the microseconds since year 1 rounded it up to .044.
    moment = datetime(2026, 10, 8, 23, 44, 20, 43499, tzinfo=UTC)
    assert iso_z(moment) == "2026-10-08T23:44:20.043Z"
    assert iso_z(moment + timedelta(microseconds=2)) == "2026-10-08T23:44:20.044Z"
    # Exact halves go to the even millisecond; a carry reaches the next day.
    assert iso_z(moment.replace(microsecond=42500)) == "2026-10-08T23:44:20.042Z"
    assert iso_z(moment.replace(microsecond=43500)) == "2026-10-08T23:44:20.044Z"
    assert iso_z(datetime(2026, 12, 31, 23, 59, 59, 999600, tzinfo=UTC)) == (
        "2027-01-01T00:00:00.000Z"
    )


def test_iso_z_array_matches_iso_z() -> None:
    rng = random.Random(14)
    micro = [rng.randrange(-400_000_000_000_000, 2_600_000_000_000_000) for _ in range(20_000)]
    # Near every kind of millisecond boundary, both signs of the epoch.
    micro += [base + d for base in (0, 1_759_766_400_000_000) for d in range(-1502, 1503, 7)]
    micro += [k * 1000 + 500 for k in range(-5, 5)]
    expected = [iso_z(EPOCH_1970 + timedelta(microseconds=us)) for us in micro]
    assert iso_z_ms_array(np.array(micro, dtype=np.int64)) == expected


def test_round_array_matches_python_round() -> None:
    rng = random.Random(7)
    values = [rng.uniform(-400.0, 400.0) for _ in range(20_000)]
    # Decimal halves, where scaling by 10**digits may land either side of .5.
    values += [k / 1000 + 0.005 for k in range(-3000, 3000)] + [2.675, 0.285, 1.005, -0.125]
    values += [0.0, -0.0, -0.001, 1e-9, -1e-9, 359.995, 89.9999999]
    for digits in (1, 2, 6):
        got = round_array(np.array(values), digits)
        # Python's round, except that a value rounding to zero is 0.0, never -0.0.
        expected = [round(v, digits) + 0.0 for v in values]
        assert got == expected
        assert [str(g) for g in got] == [str(e) for e in expected]
        assert "-0.0" not in {str(g) for g in got}
    assert round_array(np.array([np.nan, 1.25]), 1) == [None, 1.2]


# --- pass columns and objects ------------------------------------------------------------------


def _reference_point(point: Point | None, *, full: bool = False) -> dict[str, Any] | None:
    # The per-object layout the JSON had before it was made from arrays.
    if point is None:
        return None
    data: dict[str, Any] = {
        "time": iso_z(point.time),
        "azimuth_deg": round(point.azimuth_deg, 2),
        "elevation_deg": round(point.elevation_deg, 2),
    }
    if full or point.range_km is not None:
        data["range_km"] = None if point.range_km is None else round(point.range_km, 1)
    if full or point.altitude_km is not None:
        data["altitude_km"] = None if point.altitude_km is None else round(point.altitude_km, 1)
    return data


def _reference_pass(item: Pass) -> dict[str, Any]:
    return {
        "rise": _reference_point(item.rise),
        "culmination": _reference_point(item.culmination, full=True),
        "set": _reference_point(item.set),
        "duration_s": round(item.duration_s, 1),
        "visible": item.visible,
        "visible_start": _reference_point(item.visible_start),
        "visible_peak": _reference_point(item.visible_peak),
        "visible_end": _reference_point(item.visible_end),
        "magnitude": None if item.magnitude is None else round(item.magnitude, 1),
        "tle_age_days": round(item.tle_age_days, 2),
        "uncertainty_s": round(item.uncertainty_s, 1),
        "visible_duration_s": (
            None if item.visible_duration_s is None else round(item.visible_duration_s, 1)
        ),
        "reason": item.reason,
        "shadow_entry": None if item.shadow_entry is None else iso_z(item.shadow_entry),
        "shadow_exit": None if item.shadow_exit is None else iso_z(item.shadow_exit),
        "near": None
        if item.near is None
        else {
            "name": item.near.name,
            "kind": item.near.kind,
            "time": iso_z(item.near.time),
            "separation_deg": round(item.near.separation_deg, 2),
            "relation": item.near.relation,
            "magnitude": None if item.near.magnitude is None else round(item.near.magnitude, 1),
            "words": item.near.words(),
        },
    }


def test_json_from_arrays_matches_json_from_objects(every_pass: Prediction) -> None:
    document = passes_json(every_pass)
    for group, observer in zip(every_pass.places, document["observers"], strict=True):
        assert isinstance(group.passes, PassList)
        objects = list(group.passes)
        assert len(objects) > 50
        assert any(p.visible for p in objects) and any(not p.visible for p in objects)
        assert any(p.shadow_entry or p.shadow_exit for p in objects)
        assert observer["passes"] == [_reference_pass(p) for p in objects]
    # Hand-made objects (as the alerts and the tests build them) go through the same code.
    item = objects[3]
    assert passes_json(every_pass)["observers"][1]["passes"][3] == _reference_pass(item)
    rebuilt = PassList(PassColumns.from_passes(objects))
    assert rebuilt == tuple(objects)


def test_pass_list_behaves_as_a_tuple(every_pass: Prediction) -> None:
    group = every_pass.places[0].passes
    assert isinstance(group, PassList)
    objects = tuple(group)
    assert group == objects and objects == tuple(group) and len(group) == len(objects)
    assert group[0] == objects[0] and group[-1] == objects[-1]
    assert group[2:5] == objects[2:5] and group[::7] == objects[::7]
    assert hash(group) == hash(objects)
    assert group != objects[1:]
    with pytest.raises(IndexError):
        group[len(objects)]
    empty = PassList(group.columns.take(slice(0, 0)))
    assert empty == () and not empty and list(empty) == []
    # Objects are made on each access: equal, never shared, times to the microsecond.
    assert group[1] == group[1] and group[1] is not group[1]
    assert all(p.rise.time.tzinfo is UTC for p in objects)


def test_visible_only_is_the_visible_part_of_all(tiangong, every_pass: Prediction) -> None:
    place = every_pass.places[0].place
    visible = passes.find_passes(tiangong, [place], START, START + timedelta(days=12))[0]
    assert visible.passes == tuple(p for p in every_pass.places[0].passes if p.visible)


# --- JSON streamed from the command line -------------------------------------------------------


def _run(*args: str, tmp_path: Path) -> subprocess.CompletedProcess:
    environment = {**os.environ, "NO_COLOR": "1", "COLUMNS": "160"}
    return subprocess.run(
        [sys.executable, "-m", "tiangong_orbit", "passes", *args],
        capture_output=True,
        env=environment,
        timeout=240,
        cwd=tmp_path,
    )


def test_streamed_json_is_the_document(tmp_path: Path, every_pass: Prediction) -> None:
    args = ("--city", "Lahore", "--city", "Quetta", "--start", "2026-10-06T16:00Z")
    args += ("--days", "12", "--all", "--tle", str(LATEST), "--allow-stale", "--json")
    result = _run(*args, tmp_path=tmp_path)
    assert result.returncode == 0, result.stderr
    streamed = json.loads(result.stdout)
    for observer in streamed["observers"]:
        for item in observer["passes"]:  # the command names each pass's satellite
            assert item.pop("norad_id") == 48274
            # ... and the bright object each visible pass comes near (the core leaves it out).
            near = item.pop("near")
            assert near is None or (item["visible"] and near["separation_deg"] <= 5.0)
            item["near"] = None
    expected = json.loads(json.dumps(passes_json(every_pass)))
    for key in ("window", "settings", "observers"):
        assert streamed[key] == expected[key]
    assert streamed["schema"] == "tiangong-orbit/passes/1"
    # The layout is json.dumps(indent=2)'s, byte for byte, and --output writes the same.
    as_read = json.loads(result.stdout)
    assert result.stdout.decode() == json.dumps(as_read, indent=2, ensure_ascii=False) + "\n"
    target = tmp_path / "passes.json"
    written = _run(*args, "--output", str(target), tmp_path=tmp_path)
    assert written.returncode == 0 and written.stdout == b""
    assert target.read_bytes() == result.stdout
    assert [p.name for p in tmp_path.iterdir() if p.name.endswith(".tmp")] == []


def test_write_passes_json_in_pieces(every_pass: Prediction) -> None:
    pieces: list[bytes] = []
    write_passes_json(every_pass, pieces.append)
    # A header, one piece per observer, a tail: never the whole document at once.
    assert len(pieces) == len(every_pass.places) + 2
    assert max(len(p) for p in pieces) < 0.6 * sum(len(p) for p in pieces)
    assert json.loads(b"".join(pieces)) == json.loads(json.dumps(passes_json(every_pass)))
    nobody = Prediction(every_pass.satellite, START, START, every_pass.settings, ())
    buffer = io.BytesIO()
    write_passes_json(nobody, buffer.write)
    assert json.loads(buffer.getvalue())["observers"] == []


def test_write_passes_json_is_the_whole_document_byte_for_byte(
    every_pass: Prediction, tiangong
) -> None:
    # The pieces (passes of consecutive places formatted together, the nears' times in one
    # call) are exactly the document json.dumps lays out, closest approaches included.
    from dataclasses import replace

    from tiangong_orbit import sky

    end = START + timedelta(days=12)
    with_near = replace(
        every_pass, places=sky.add_near(every_pass.places, [(tiangong, START, end)])
    )
    assert any(p.near is not None for group in with_near.places for p in group.passes)
    whole = json.dumps(passes_json(with_near), indent=2, ensure_ascii=False) + "\n"
    # Small documents' passes are made as dicts, large ones' written as text from columns:
    # both ways give these very bytes.
    for small in (None, True, False):
        pieces: list[bytes] = []
        _write_passes_json(with_near, pieces.append, small=small)
        assert b"".join(pieces) == whole.encode(), small
    pieces = []
    write_passes_json(with_near, pieces.append)
    assert b"".join(pieces) == whole.encode()


def test_passes_text_numbers_are_repr_of_round() -> None:
    # The text path writes numbers from their digits; Python's repr of round is the reference.
    from tiangong_orbit.render.passes_text import _decimals

    rng = random.Random(11)
    values = [rng.uniform(-400.0, 400.0) for _ in range(5_000)]
    values += [rng.uniform(-999_999.0, 999_999.0) for _ in range(5_000)]
    values += [k / 1000 + 0.005 for k in range(-3000, 3000)] + [2.675, 0.285, 1.005, -0.125]
    values += [0.0, -0.0, -0.001, 1e-9, -1e-9, 359.995, 999.95, 1000.0, 999_999.94, 100.05]
    for digits in (1, 2):
        written = _decimals(np.array([*values, np.nan])[:, None], digits)
        chars, missing = written.chars, written.missing
        texts = [bytes(row).replace(b"\0", b"").decode() for row in chars[:, 0]]
        assert texts[:-1] == [repr(round(v, digits) + 0.0) for v in values]
        assert texts[-1] == "" and missing[:, 0].tolist() == [False] * len(values) + [True]


def test_passes_text_is_the_dicts_text_on_unusual_values(every_pass: Prediction) -> None:
    # Values real passes seldom hold, written as text or (past six digits) through the dicts:
    # negative, zero and half numbers, long ranges, missing magnitudes and shadow times, the
    # Moon (no magnitude) across the path, a name to escape, passes of two satellites.
    from dataclasses import replace

    from tiangong_orbit.render.passes_text import NotPlain, passes_text
    from tiangong_orbit.sky import Near

    columns = every_pass.places[0].passes.columns
    m = len(columns)
    rng = np.random.default_rng(3)
    near = np.full(m, None, dtype=object)
    moment = datetime(2026, 10, 7, 1, 2, 3, 999_500, tzinfo=UTC)
    near[1] = Near("the Moon", "moon", moment, 0.3, "across", None)
    near[2] = Near('Alpha "Cen" \\ Ā', "star", moment, 2.5, "left of", -0.005)
    near[3] = Near("Vega", "star", moment, 3.5, "below", 0.0)
    odd = replace(
        columns,
        elevation_deg=np.where(rng.random((m, 6)) < 0.3, -columns.elevation_deg, 0.125),
        range_km=columns.range_km * rng.choice([1.0, 10.0, 300.0], (m, 6)),
        magnitude=np.where(rng.random(m) < 0.3, np.nan, rng.uniform(-9.99, 9.99, m)),
        shadow_entry_unix=np.where(rng.random(m) < 0.5, np.nan, columns.shadow_entry_unix),
        tle_age_days=rng.uniform(0, 2000, m),
        norad_id=rng.choice([48274, 25544], m),
        near=near,
    )
    for factor in (1.0, 1e4):  # a range of a million km or more: the dicts write the batch
        far = replace(odd, range_km=odd.range_km * factor)
        if factor == 1.0:
            assert len(passes_text(far)) == m
        else:
            with pytest.raises(NotPlain):
                passes_text(far)
        prediction = replace(
            every_pass, places=(replace(every_pass.places[0], passes=PassList(far)),)
        )
        whole = json.dumps(passes_json(prediction), indent=2, ensure_ascii=False) + "\n"
        assert any(p.near is not None for p in prediction.places[0].passes)
        for small in (True, False):
            pieces: list[bytes] = []
            _write_passes_json(prediction, pieces.append, small=small)
            assert b"".join(pieces) == whole.encode(), (factor, small)


def test_write_passes_json_is_the_whole_document_for_odd_places_and_settings(
    every_pass: Prediction,
) -> None:
    # What a CSV of places or the options may hold, in the parts of the document that are
    # not passes: a place named like the writer's placeholder for the passes (a CSV takes
    # NULs) and numbers Python writes with an exponent (a fast encoder such as orjson writes
    # 0.00001 for 1e-05).
    from dataclasses import replace

    lahore, quetta = every_pass.places
    placeholder = replace(lahore, place=replace(lahore.place, name="\x00observers\x00"))
    tiny = replace(
        quetta.place, name="Tiny", latitude_deg=1e-05, longitude_deg=-2e-06, elevation_m=1e-05
    )
    prediction = replace(
        every_pass,
        settings=every_pass.settings._replace(horizon_deg=1e-05),
        places=(placeholder, replace(quetta, place=tiny)),
        max_magnitude=1e-05,
    )
    whole = json.dumps(passes_json(prediction), indent=2, ensure_ascii=False) + "\n"
    assert "1e-05" in whole and "\\u0000observers\\u0000" in whole
    for small in (None, True, False):
        pieces: list[bytes] = []
        _write_passes_json(prediction, pieces.append, small=small)
        assert b"".join(pieces) == whole.encode(), small


def test_every_city_every_pass_streams(tmp_path: Path, tiangong) -> None:
    # The big case scaled down (366 days in the benchmark): every gazetteer place, every pass.
    args = ("--city", "all", "--start", "2026-10-06T16:00Z", "--days", "2", "--all")
    result = _run(*args, "--tle", str(LATEST), "--allow-stale", "--json", tmp_path=tmp_path)
    assert result.returncode == 0, result.stderr
    document = json.loads(result.stdout)
    from tiangong_orbit.places import gazetteer

    assert [o["name"] for o in document["observers"]] == [p.name for p in gazetteer()]
    counted = passes.find_passes(
        tiangong, gazetteer(), START, START + timedelta(days=2), include_invisible=True
    )
    assert [len(o["passes"]) for o in document["observers"]] == [len(g.passes) for g in counted]
    assert sum(len(o["passes"]) for o in document["observers"]) > 2000


def test_closed_pipe_while_streaming_is_quiet(tmp_path: Path) -> None:
    args = ["--city", "all", "--start", "2026-10-06T16:00Z", "--days", "2", "--all"]
    args += ["--tle", str(LATEST), "--allow-stale", "--json"]
    process = subprocess.Popen(
        [sys.executable, "-m", "tiangong_orbit", "passes", *args],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        cwd=tmp_path,
    )
    assert process.stdout is not None and process.stderr is not None
    process.stdout.read(1000)
    process.stdout.close()
    error = process.stderr.read().decode()
    process.stderr.close()
    assert process.wait(timeout=120) == 0
    assert "Traceback" not in error and "error" not in error


# --- long tables -------------------------------------------------------------------------------


def _console(width: int, *, markup: bool = True):
    from rich.console import Console

    return Console(
        file=io.StringIO(),
        width=width,
        no_color=True,
        color_system=None,
        highlight=False,
        markup=markup,
        emoji=markup,
        soft_wrap=False,
        force_terminal=False,
    )


def _rich_text(table: Any, width: int, *, markup: bool = True) -> str:
    console = _console(width, markup=markup)
    console.print(table)
    return console.file.getvalue()  # type: ignore[attr-defined]


def _synthetic_table(rows: int, *, simple: bool = False):
    from rich import box
    from rich.table import Table

    if simple:  # no edges, a gap of two, a last column that may wrap
        table = Table(box=box.SIMPLE_HEAD, show_edge=False, pad_edge=False, padding=(0, 2))
    else:
        table = Table(title="Synthetic: " + "long title words " * 9, title_justify="left")
    table.add_column("When", no_wrap=True)
    table.add_column("Where [deg]", justify="right", no_wrap=True)
    if simple:
        table.add_column("Why", min_width=8, ratio=1)
    else:
        table.add_column("Why", no_wrap=True)
    rng = random.Random(3)
    for i in range(rows):
        if i and i % 9 == 0:
            table.add_section()
        words = " ".join("x" * rng.randint(1, 12) for _ in range(rng.randint(0, 4)))
        table.add_row(f"{i:05d}", f"{rng.uniform(-90, 90):.{rng.randint(0, 4)}f}", words)
    return table


@pytest.mark.parametrize("rows", [8, 13, 300])
@pytest.mark.parametrize("simple", [False, True])
@pytest.mark.parametrize("width", [40, 60, 80, 120, 200])
def test_fast_table_is_what_rich_prints(width: int, simple: bool, rows: int) -> None:
    from tiangong_orbit.render.fasttable import MIN_ROWS, table_lines

    assert rows >= MIN_ROWS  # short tables too: a run's table has a few rows
    table = _synthetic_table(rows, simple=simple)
    lines = table_lines(_console(width), table)
    if width >= 80:  # wide enough that rich needs no wrapping: the fast path is taken
        assert lines is not None
    if lines is not None:
        assert "\n".join(lines) + "\n" == _rich_text(table, width)


@pytest.mark.parametrize("markup", [True, False])
def test_fast_table_shows_cells_as_the_console_renders_strings(markup: bool) -> None:
    # The command line's console takes strings as typed (no markup, no emoji codes): a name
    # such as "[b]Roof[/b] :smile:" must come out as rich prints it there, tags and all.
    from rich.table import Table

    from tiangong_orbit.render.fasttable import table_lines

    table = Table()
    table.add_column("Name", no_wrap=True)
    table.add_column("Row", justify="right", no_wrap=True)
    for i in range(100):
        table.add_row("[b]Roof[/b] :smile:" if i % 7 == 3 else f"place {i}", str(i))
    lines = table_lines(_console(120, markup=markup), table)
    assert lines is not None
    assert "\n".join(lines) + "\n" == _rich_text(table, 120, markup=markup)


@pytest.mark.parametrize(("width", "show_all"), [(80, True), (120, True), (160, False)])
def test_pass_tables_print_as_rich_prints_them(
    width: int, show_all: bool, every_pass: Prediction
) -> None:
    from tiangong_orbit.render.fasttable import print_table
    from tiangong_orbit.render.terminal import place_table

    for group in every_pass.places:
        if not show_all:
            group = type(group)(group.place, tuple(p for p in group.passes if p.visible))
        table = place_table(group, every_pass, show_all=show_all)
        console = _console(width)
        print_table(console, table)
        assert console.file.getvalue() == _rich_text(  # type: ignore[attr-defined]
            place_table(group, every_pass, show_all=show_all), width
        )


@pytest.mark.parametrize(
    ("days", "width", "fast_path"),
    # 50 columns: the "Can be seen" cells would wrap, so the composer leaves them to rich.
    [(10, 80, True), (60, 120, True), (60, 50, False)],
)
def test_outlook_tables_print_as_rich_prints_them(
    days: int, width: int, fast_path: bool, monkeypatch: pytest.MonkeyPatch
) -> None:
    # print_outlook composes its tables fast (render.fasttable); rich alone must print the same.
    from datetime import UTC, datetime, timedelta

    from tiangong_orbit import outlook, places, tle
    from tiangong_orbit.render import fasttable
    from tiangong_orbit.render.outlook import print_outlook

    start = datetime(2026, 11, 30, 18, tzinfo=UTC)
    result = outlook.compute_outlook(
        tle.load_catalog().sets,
        tle.TIANGONG_NORAD_ID,
        [places.find_place("Lahore"), places.find_place("Gilgit")],
        start,
        start + timedelta(days=days),
    )
    composed: list[bool] = []
    table_lines = fasttable.table_lines

    def counted(console: Any, table: Any) -> list[str] | None:
        lines = table_lines(console, table)
        composed.append(lines is not None)
        return lines

    fast = _console(width, markup=False)
    monkeypatch.setattr(fasttable, "table_lines", counted)
    print_outlook(fast, result)
    assert len(composed) >= 1 and any(composed) == fast_path
    by_rich = _console(width, markup=False)
    monkeypatch.setattr(fasttable, "table_lines", lambda console, table: None)
    print_outlook(by_rich, result)
    assert fast.file.getvalue() == by_rich.file.getvalue()  # type: ignore[attr-defined]


@pytest.mark.parametrize(
    ("keep", "has_magnitude"), [(None, True), ((0.5, 120.0), True), ((-1.0, 200.0), False)]
)
def test_filters_on_arrays_match_filters_on_objects(
    every_pass: Prediction, keep: tuple[float, float] | None, has_magnitude: bool
) -> None:
    from tiangong_orbit.cli.cmd_passes import _merged, _tidy

    for group in every_pass.places:
        on_arrays = _tidy(group, 48274, keep, has_magnitude=has_magnitude)
        as_objects = type(group)(group.place, tuple(group.passes))
        on_objects = _tidy(as_objects, 48274, keep, has_magnitude=has_magnitude)
        assert isinstance(on_arrays.passes, PassList)
        assert on_arrays.passes == on_objects.passes
        assert all(p.norad_id == 48274 for p in on_arrays.passes)
    if keep is not None:
        assert len(on_arrays.passes) < len(group.passes)
    # Two satellites' lists merged in time order, as the objects would be.
    lahore, quetta = every_pass.places
    both = _merged([lahore.passes, quetta.passes])
    assert isinstance(both, PassList)
    assert both == _merged([tuple(lahore.passes), tuple(quetta.passes)])
    times = [p.culmination.time for p in both]
    assert times == sorted(times) and len(times) == len(lahore.passes) + len(quetta.passes)


def test_no_negative_zero_in_json(every_pass: Prediction) -> None:
    # Rise and set lie on the horizon: their elevations, -1e-9° or +1e-9°, are both 0°. The
    # JSON says 0.0 (as the CSV does), never -0.0, whichever side the root fell on.
    text = json.dumps(passes_json(every_pass))
    elevations = [
        point["elevation_deg"]
        for observer in json.loads(text)["observers"]
        for item in observer["passes"]
        for point in (item["rise"], item["set"])
    ]
    assert elevations and all(e == 0.0 for e in elevations)
    assert "-0.0" not in text
