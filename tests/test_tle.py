"""The element-set parser, set selection, staleness and time parsing.

Golden values come from independent records: the tables of data/tle/SOURCES.md (written when
the data was collected), python-sgp4's own TLE parser and PyEphem's. Malformed inputs are made
by corrupting real lines, each corruption described where it is made.
"""

from __future__ import annotations

import json
import math
import re
from datetime import UTC, datetime, timedelta
from pathlib import Path

import ephem
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sgp4.api import WGS72, Satrec

from tiangong_orbit import tle
from tiangong_orbit.errors import (
    DataError,
    NoElementSetError,
    StaleDataError,
    TLEFormatError,
    UsageError,
)
from tiangong_orbit.timeutil import parse_time
from tiangong_orbit.uncertainty import describe_error, uncertainty_s

REPO_ROOT = Path(__file__).resolve().parents[1]
TLE_DIR = REPO_ROOT / "data" / "tle"
TEST_DATA = Path(__file__).resolve().parent / "data"
SOURCES_MD = (TLE_DIR / "SOURCES.md").read_text(encoding="utf-8")


def _fix_checksum(line: str) -> str:
    """``line`` with its column-69 checksum recomputed (for corruptions meant to get past it)."""
    total = sum(int(c) if c.isdigit() else (c == "-") for c in line[:68])
    return line[:68] + str(total % 10)


def _utc(text: str) -> datetime:
    return datetime.fromisoformat(text.replace("Z", "+00:00"))


def _sources_section(title: str) -> str:
    """The text of one ``## title`` section of SOURCES.md."""
    return SOURCES_MD.split(f"## {title}\n", 1)[1].split("\n## ", 1)[0]


# --------------------------------------------------------------------------------------------
# Golden tests on the real data


def test_history_matches_sources_md(history_sets):
    section = _sources_section("tiangong_history.tle")
    rows = re.findall(r"^\| (\d{4}-\d\d-\d\dT[\d:.]+Z) \| (\d+) \|", section, re.MULTILINE)
    summary = re.search(r"(\d+) element sets, (\S+Z) to (\S+Z)\.", section)
    assert summary is not None
    assert len(history_sets) == len(rows) == int(summary[1]) == 663
    assert {s.norad_id for s in history_sets} == {48274}
    assert {s.name for s in history_sets} == {"CSS (TIANHE)"}
    assert all(s.source == "bundled" for s in history_sets)
    # SOURCES.md writes epochs truncated to the millisecond; every set agrees with its row.
    for element_set, (epoch_text, norad) in zip(history_sets, rows, strict=True):
        offset = element_set.epoch - _utc(epoch_text)
        assert timedelta(0) <= offset < timedelta(milliseconds=1), (epoch_text, element_set)
        assert element_set.norad_id == int(norad)
    assert history_sets[0].epoch - _utc(summary[2]) < timedelta(milliseconds=1)
    assert history_sets[-1].epoch - _utc(summary[3]) < timedelta(milliseconds=1)
    # Pasted from SOURCES.md, to the millisecond.
    assert history_sets[0].epoch.isoformat(timespec="milliseconds") == (
        "2021-12-07T09:35:42.656+00:00"
    )
    assert history_sets[-1].epoch.isoformat(timespec="milliseconds") == (
        "2026-10-06T16:02:50.305+00:00"
    )
    epochs = [s.epoch for s in history_sets]
    assert epochs == sorted(epochs) and len(set(epochs)) == len(epochs)
    assert history_sets[0].line_number == 1 and history_sets[1].line_number == 4


def test_stations_latest_matches_sources_md():
    sets = tle.parse_file(TLE_DIR / "stations_latest.tle")
    rows = re.findall(
        r"^\| ([^|]+?) \| (\d+) \| (\d{4}-[\d:.T-]+Z) \|",
        _sources_section("stations_latest.tle"),
        re.MULTILINE,
    )
    assert len(sets) == len(rows) == 6
    for element_set, (name, norad, epoch_text) in zip(sets, rows, strict=True):
        assert element_set.name == name
        assert element_set.norad_id == int(norad)
        assert timedelta(0) <= element_set.epoch - _utc(epoch_text) < timedelta(milliseconds=1)
    assert [s.norad_id for s in sets] == [48274, 25544, 53239, 54216, 69049, 69180]


def test_omm_matches_sources_md_and_its_epoch_strings():
    path = TLE_DIR / "tiangong_omm.json"
    sets = tle.parse_file(path)
    records = json.loads(path.read_text(encoding="utf-8"))
    rows = re.findall(
        r"^\| (\d) \| (\S+Z) \| (\d+) \|", _sources_section("tiangong_omm.json"), re.MULTILINE
    )
    assert len(sets) == len(records) == len(rows) == 4
    for element_set, record, (_, epoch_text, norad) in zip(sets, records, rows, strict=True):
        # OMM epochs carry microseconds: exact, against SOURCES.md and against EPOCH itself.
        assert element_set.epoch == _utc(epoch_text)
        assert element_set.epoch == datetime.strptime(
            record["EPOCH"], "%Y-%m-%dT%H:%M:%S.%f"
        ).replace(tzinfo=UTC)
        assert element_set.norad_id == int(norad) == 48274
        assert element_set.name == "CSS (TIANHE)"
        assert element_set.line_number is None
        assert element_set.mean_motion_rev_per_day == pytest.approx(record["MEAN_MOTION"])
        assert element_set.eccentricity == pytest.approx(record["ECCENTRICITY"])
        assert element_set.inclination_deg == pytest.approx(record["INCLINATION"])


def test_omm_record_of_2025_05_25():
    (element_set,) = tle.parse_file(TEST_DATA / "css_omm_2025-05-25.json")
    assert element_set.epoch == datetime(2025, 5, 25, 23, 0, 12, 248640, tzinfo=UTC)
    # SGP4's own epoch (days since 1949-12-31 inside sgp4init) agrees to well under a millisecond.
    satrec = element_set.satrec
    jd_unix = (satrec.jdsatepoch - 2440587.5 + satrec.jdsatepochF) * 86400.0
    assert jd_unix == pytest.approx(element_set.epoch.timestamp(), abs=1e-4)
    # The TLE rendering carries the same epoch, day 145 of 2025.
    assert element_set.line1[18:32] == "25145.95847510"
    assert len(element_set.line1) == len(element_set.line2) == 69


def _epoch_from_jd(whole: float, fraction: float) -> datetime:
    seconds = (whole - 2440587.5) * 86400.0 + fraction * 86400.0
    return datetime(1970, 1, 1, tzinfo=UTC) + timedelta(seconds=seconds)


@pytest.mark.parametrize("index", [0, 1, 100, 331, 500, 662])
def test_epoch_against_sgp4_and_pyephem(history_sets, index):
    element_set = history_sets[index]
    satrec = Satrec.twoline2rv(element_set.line1, element_set.line2, WGS72)
    by_sgp4 = _epoch_from_jd(satrec.jdsatepoch, satrec.jdsatepochF)
    assert abs(element_set.epoch - by_sgp4) < timedelta(microseconds=2)
    body = ephem.readtle(element_set.name, element_set.line1, element_set.line2)
    by_ephem = ephem.Date(body._epoch).datetime().replace(tzinfo=UTC)
    assert abs(element_set.epoch - by_ephem) < timedelta(microseconds=50)


def test_epoch_against_the_day_of_year_field(history_sets):
    """The epoch field YYDDD.DDDDDDDD read with exact decimal arithmetic, for every set."""
    from decimal import Decimal

    for element_set in history_sets:
        year = 2000 + int(element_set.line1[18:20])
        day = Decimal(element_set.line1[20:32])
        micro = int(((day - 1) * 86400 * 10**6).to_integral_value())
        expected = datetime(year, 1, 1, tzinfo=UTC) + timedelta(microseconds=micro)
        assert abs(element_set.epoch - expected) <= timedelta(microseconds=1)


# --------------------------------------------------------------------------------------------
# Malformed input: TLEFormatError (exit 3) naming the file, the line and what was expected


def _replace(line: str, column: int, text: str) -> str:
    """``line`` with ``text`` written over it from 1-based ``column``."""
    return line[: column - 1] + text + line[column - 1 + len(text) :]


def _malformed_cases(name: str, l1: str, l2: str) -> list:
    omm_text = (TEST_DATA / "css_omm_2025-05-25.json").read_text(encoding="utf-8")
    omm_lines = omm_text.split("\n")
    two_records = json.loads((TLE_DIR / "tiangong_omm.json").read_text(encoding="utf-8"))[:2]
    del two_records[1]["EPOCH"], two_records[1]["MEAN_MOTION"]
    # (id, text, line number in the message (None: no line), words expected, template shown)
    return [
        # Line 1 one character short: its last (checksum) character dropped.
        ("short-line", f"{name}\n{l1[:68]}\n{l2}\n", 2, ["68 characters", "exactly 69"], 1),
        # Line 2 one character long: a digit appended.
        ("long-line", f"{name}\n{l1}\n{l2}7\n", 3, ["70 characters", "exactly 69"], 2),
        # Line 2's checksum digit changed (9 -> 0).
        (
            "bad-checksum",
            f"{name}\n{l1}\n{l2[:68]}{(int(l2[68]) + 1) % 10}\n",
            3,
            ["checksum digit", "sums to"],
            2,
        ),
        # Line 2's catalog number changed 48274 -> 48275, checksum recomputed.
        (
            "catalog-mismatch",
            f"{name}\n{l1}\n{_fix_checksum(_replace(l2, 3, '48275'))}\n",
            3,
            ["48275 differs from 48274", "expected the same number"],
            None,
        ),
        # Line 2 moved before line 1.
        ("out-of-order", f"{name}\n{l2}\n{l1}\n", 2, ["line 2 without a line 1", "expected"], None),
        # The space in column 2 of line 1 replaced by a non-breaking space (U+00A0).
        (
            "nbsp",
            f"{name}\n{l1[0]}\u00a0{l1[2:]}\n{l2}\n",
            2,
            ["column 2", "non-breaking space", "ASCII"],
            None,
        ),
        # The space in column 9 of line 2 replaced by a tab.
        ("tab", f"{name}\n{l1}\n{_replace(l2, 9, chr(9))}\n", 3, ["column 9", "a tab"], None),
        # Letters in the inclination: 41.4703 -> 41.47ab, checksum recomputed.
        (
            "letters-in-inclination",
            f"{name}\n{l1}\n{_fix_checksum(_replace(l2, 15, 'ab'))}\n",
            3,
            ["columns 9-16", "inclination", "41.47ab"],
            2,
        ),
        # A space inside the epoch day (26279.66 -> 262 9.66), checksum recomputed: sscanf
        # would read day 2 and shift every later field.
        (
            "space-inside-epoch-day",
            f"{name}\n{_fix_checksum(_replace(l1, 23, ' '))}\n{l2}\n",
            2,
            ["columns 21-32", "epoch day", "a space inside the number"],
            1,
        ),
        # A space inside the catalog number of both lines (48274 -> 48 74), checksums fixed.
        (
            "space-inside-catalog",
            f"{_fix_checksum(_replace(l1, 5, ' '))}\n{_fix_checksum(_replace(l2, 5, ' '))}\n",
            1,
            ["columns 3-7", "catalog number"],
            1,
        ),
        # Epoch day 279 -> 400, checksum recomputed.
        (
            "epoch-day-400",
            f"{name}\n{_fix_checksum(_replace(l1, 21, '400'))}\n{l2}\n",
            2,
            ["epoch day 400", "expected 1 to 365"],
            1,
        ),
        # Eccentricity 0.0001458 -> 0.99: the orbit dips below the ground at its epoch.
        (
            "eccentricity-0.99",
            f"{name}\n{l1}\n{_fix_checksum(_replace(l2, 27, '9900000'))}\n",
            2,
            ["SGP4 rejects", "error 6", "decayed", "expected"],
            None,
        ),
        (
            "html-page",
            "\n<!DOCTYPE html>\n<html><head><title>503 Service Unavailable</title></head>"
            "<body><h1>Service Unavailable</h1></body></html>\n",
            2,
            ["HTML page", "expected TLE lines or OMM JSON"],
            None,
        ),
        ("empty-file", "", None, ["empty", "expected TLE lines or OMM JSON"], None),
        ("blank-file", "\n \r\n\n", None, ["empty", "expected TLE lines or OMM JSON"], None),
        # The file cut after line 1 of the set.
        ("truncated", f"{name}\n{l1}\n", 2, ["not followed by a line 2", "expected"], None),
        ("name-only", f"{name}\n", 1, ["not followed by TLE lines"], None),
        ("two-names", f"{name}\n{name}\n{l1}\n{l2}\n", 2, ["expected TLE line 1"], None),
        ("no-gp-data", "No GP data found\n", 1, ["No GP data found", "expected"], None),
        # The OMM file with a doubled comma after MEAN_MOTION (its line 6), two blank lines first.
        (
            "broken-json",
            "\n\n"
            + "\n".join(line + ("," if '"MEAN_MOTION"' in line else "") for line in omm_lines),
            8,
            ["not valid JSON", "expected CelesTrak OMM JSON"],
            None,
        ),
        # The OMM file cut in the middle of its record.
        (
            "truncated-json",
            omm_text[: len(omm_text) // 2],
            None,
            ["not valid JSON", "expected CelesTrak OMM JSON"],
            None,
        ),
        # Record 2 of the real OMM file without its EPOCH and MEAN_MOTION.
        (
            "omm-missing-keys",
            json.dumps(two_records, indent=1),
            None,
            ["OMM record 2", "missing EPOCH, MEAN_MOTION", "expected CelesTrak OMM JSON keys"],
            None,
        ),
        ("omm-empty-array", "[]", None, ["array is empty"], None),
        ("omm-not-objects", "[1, 2]", None, ["OMM record 1", "expected a JSON object"], None),
    ]


_CASES = _malformed_cases(
    *(TEST_DATA / "css_2026-10-06.tle").read_text(encoding="utf-8").splitlines()
)


@pytest.mark.parametrize(
    ("text", "line", "words", "template"),
    [case[1:] for case in _CASES],
    ids=[case[0] for case in _CASES],
)
def test_malformed_input_is_a_format_error(tmp_path, text, line, words, template):
    path = tmp_path / "bad.tle"
    path.write_text(text, encoding="utf-8", newline="")
    with pytest.raises(TLEFormatError) as caught:
        tle.parse_file(path)
    error = caught.value
    message = str(error)
    assert error.exit_code == 3 and isinstance(error, DataError)
    assert message.startswith(f"{path}: ")
    if line is not None:
        assert f": line {line}" in message
    for word in words:
        assert word in message
    if template is not None:
        shown = tle.LINE1_TEMPLATE if template == 1 else tle.LINE2_TEMPLATE
        assert shown in message and "(expected)" in message


def test_truncated_json_names_its_line(tmp_path):
    text = (TEST_DATA / "css_omm_2025-05-25.json").read_text(encoding="utf-8")
    cut = text[: text.index('"BSTAR"')]  # the download stopped before BSTAR (line 17)
    with pytest.raises(TLEFormatError, match=r"line 17, column 5: not valid JSON"):
        tle.parse_text(cut, path="cut.json")


def test_checksum_error_names_line_2_after_a_blank_line(css_tle):
    name, l1, l2 = css_tle
    bad_l2 = l2[:68] + str((int(l2[68]) + 1) % 10)
    with pytest.raises(TLEFormatError, match=r"^x\.tle: line 4: checksum digit"):
        tle.parse_text(f"{name}\n{l1}\n\n{bad_l2}\n", path="x.tle")


def test_undecodable_bytes_name_the_line(tmp_path, css_tle):
    name, l1, l2 = css_tle
    path = tmp_path / "latin1.tle"
    path.write_bytes(f"{name}\n{l1}\n".encode() + b"\xe9" + f"\n{l2}\n".encode())
    with pytest.raises(TLEFormatError, match=r"line 3: byte 0xE9 is not text"):
        tle.parse_file(path)


def test_missing_file_is_a_usage_error(tmp_path):
    with pytest.raises(UsageError, match="file not found") as caught:
        tle.parse_file(tmp_path / "absent.tle")
    assert caught.value.exit_code == 2


# --------------------------------------------------------------------------------------------
# Accepted variants


def _same_sets(parsed, reference):
    assert [(s.name, s.norad_id, s.epoch, s.line1, s.line2) for s in parsed] == [
        (s.name, s.norad_id, s.epoch, s.line1, s.line2) for s in reference
    ]


def test_accepted_variants(tmp_path, css_tle):
    name, l1, l2 = css_tle
    reference = tle.parse_text(f"{name}\n{l1}\n{l2}\n")
    variants = {
        "crlf": f"{name}\r\n{l1}\r\n{l2}\r\n",
        "trailing-spaces": f"{name}   \n{l1}  \n{l2} \n",
        "no-final-newline": f"{name}\n{l1}\n{l2}",
        "zero-prefix": f"0 {name}\n{l1}\n{l2}\n",
        "blank-lines-around": f"\n\n{name}\n{l1}\n{l2}\n\n\n",
    }
    for label, text in variants.items():
        path = tmp_path / f"{label}.tle"
        path.write_bytes(text.encode("ascii"))
        _same_sets(tle.parse_file(path), reference)
    bom = tmp_path / "bom.tle"
    bom.write_bytes(f"{name}\n{l1}\n{l2}\n".encode("utf-8-sig"))
    _same_sets(tle.parse_file(bom), reference)


def test_two_line_set_without_a_name(css_tle):
    _, l1, l2 = css_tle
    (element_set,) = tle.parse_text(f"{l1}\n{l2}\n")
    assert element_set.name == "NORAD 48274"
    assert element_set.norad_id == 48274 and element_set.line_number == 1


def test_several_sets_blank_lines_and_mixed_names():
    lines = (TLE_DIR / "stations_latest.tle").read_text(encoding="utf-8").splitlines()
    reference = tle.parse_text("\n".join(lines))
    # Blank lines between sets, the ISS set without its name line, CRLF everywhere.
    mixed = "\r\n".join([*lines[0:3], "", "", *lines[4:6], "", *lines[6:]])
    parsed = tle.parse_text(mixed)
    assert len(parsed) == 6
    assert parsed[1].name == "NORAD 25544"
    _same_sets(parsed[:1] + parsed[2:], reference[:1] + reference[2:])
    assert [s.line_number for s in parsed] == [1, 6, 9, 12, 15, 18]


def test_line_number_is_the_name_line_across_blank_lines(css_tle):
    name, l1, l2 = css_tle
    (element_set,) = tle.parse_text(f"{name}\n\n{l1}\n{l2}\n")
    assert element_set.line_number == 1


def test_omm_epoch_with_z_and_single_object(css_tle):
    record = json.loads((TEST_DATA / "css_omm_2025-05-25.json").read_text(encoding="utf-8"))[0]
    plain = tle.parse_text(json.dumps(record))
    record["EPOCH"] += "Z"
    with_z = tle.parse_text(json.dumps([record]))
    assert plain[0].epoch == with_z[0].epoch == datetime(2025, 5, 25, 23, 0, 12, 248640, UTC)
    assert plain[0].satrec.jdsatepochF == with_z[0].satrec.jdsatepochF


# --------------------------------------------------------------------------------------------
# Property: random corruption gives our error or a valid set, never another exception

_CORRUPT_CHARS = '0123456789 .+-UACZaz<{["\t\r\n\u00a0\u2212\ufeff'
_EDITS = st.lists(
    st.one_of(
        st.tuples(st.just("replace"), st.integers(0, 10**4), st.sampled_from(_CORRUPT_CHARS)),
        st.tuples(st.just("insert"), st.integers(0, 10**4), st.sampled_from(_CORRUPT_CHARS)),
        st.tuples(st.just("delete"), st.integers(0, 10**4)),
        st.tuples(st.just("swap"), st.integers(0, 8), st.integers(0, 8)),
        st.tuples(st.just("truncate"), st.integers(0, 10**4)),
        # Recompute the checksums, so that corruptions reach the checks behind the checksum.
        st.tuples(st.just("fix-checksums")),
    ),
    min_size=1,
    max_size=5,
)


def _corrupt(text: str, edits) -> str:
    for edit in edits:
        kind = edit[0]
        position = edit[1] % (len(text) + 1) if len(edit) > 1 else 0
        if kind == "replace" and text:
            position = min(position, len(text) - 1)
            text = text[:position] + edit[2] + text[position + 1 :]
        elif kind == "insert":
            text = text[:position] + edit[2] + text[position:]
        elif kind == "delete":
            text = text[:position] + text[position + 1 :]
        elif kind == "swap":
            lines = text.split("\n")
            i, j = edit[1] % len(lines), edit[2] % len(lines)
            lines[i], lines[j] = lines[j], lines[i]
            text = "\n".join(lines)
        elif kind == "truncate":
            text = text[:position]
        elif kind == "fix-checksums":
            text = "\n".join(
                _fix_checksum(line) if len(line) == 69 and line[0] in "12" else line
                for line in text.split("\n")
            )
    return text


def _assert_valid(sets) -> None:
    assert sets
    for element_set in sets:
        satrec = element_set.satrec
        assert satrec.error == 0
        elements = (
            satrec.no_kozai,
            satrec.ecco,
            satrec.inclo,
            satrec.nodeo,
            satrec.argpo,
            satrec.mo,
            satrec.bstar,
            satrec.jdsatepoch,
            satrec.jdsatepochF,
        )
        assert all(math.isfinite(value) for value in elements)
        assert 0 <= satrec.ecco < 1 and satrec.no_kozai > 0
        assert element_set.epoch.tzinfo is not None
        assert isinstance(element_set.norad_id, int)
        assert len(element_set.line1) == len(element_set.line2) == 69


@settings(
    max_examples=300,
    deadline=None,
    database=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture],
)
@given(edits=_EDITS)
def test_corrupted_tle_is_our_error_or_a_valid_set(css_tle, edits):
    name, l1, l2 = css_tle
    text = _corrupt(f"{name}\n{l1}\n{l2}\n{l1}\n{l2}\n", edits)
    try:
        sets = tle.parse_text(text, path="fuzz.tle")
    except TLEFormatError as error:
        assert str(error).startswith("fuzz.tle: ")
        return
    _assert_valid(sets)


_OMM_TEXT = (TEST_DATA / "css_omm_2025-05-25.json").read_text(encoding="utf-8")
_JSON_VALUES = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(min_value=-(10**400), max_value=10**400),
    st.floats(allow_nan=True, allow_infinity=True),
    st.text(max_size=30),
    st.sampled_from(["2026-13-01T00:00:00", "2026-09-19T12:20:12Z", "1e5", "0x10", "nan"]),
    st.lists(st.integers(), max_size=2),
)


@settings(max_examples=200, deadline=None, database=None)
@given(
    key=st.sampled_from(sorted(json.loads(_OMM_TEXT)[0])),
    value=_JSON_VALUES,
    edits=st.one_of(st.just([]), _EDITS),
)
def test_corrupted_omm_is_our_error_or_a_valid_set(key, value, edits):
    record = json.loads(_OMM_TEXT)[0]
    record[key] = value
    text = _corrupt(json.dumps([record], indent=1), edits)
    try:
        sets = tle.parse_text(text, path="fuzz.json")
    except TLEFormatError as error:
        assert str(error).startswith("fuzz.json: ")
        return
    _assert_valid(sets)


# --------------------------------------------------------------------------------------------
# Choosing a set


def test_nearest_set_before_after_and_between(history_sets):
    first, last = history_sets[0], history_sets[-1]
    assert tle.nearest_set(history_sets, 48274, first.epoch - timedelta(days=400)) is first
    assert tle.nearest_set(history_sets, 48274, last.epoch + timedelta(days=30)) is last
    for index in (10, 200, 450, 600):
        before, after = history_sets[index], history_sets[index + 1]
        gap = after.epoch - before.epoch
        assert tle.nearest_set(history_sets, 48274, before.epoch + gap * 0.4) is before
        assert tle.nearest_set(history_sets, 48274, before.epoch + gap * 0.6) is after
        assert tle.nearest_set(history_sets, 48274, before.epoch) is before
        # Exactly halfway: the newer set wins.
        assert tle.nearest_set(history_sets, 48274, before.epoch + gap / 2) is after


def test_nearest_set_among_files_and_satellites(history_sets):
    stations = tle.parse_file(TLE_DIR / "stations_latest.tle")
    omm = tle.parse_file(TLE_DIR / "tiangong_omm.json")
    every = [*stations, *omm, *history_sets]
    # The OMM record of 2025-05-25 falls between two history sets and is the nearest there.
    at = datetime(2025, 5, 25, 23, 0, tzinfo=UTC)
    assert tle.nearest_set(every, 48274, at) is omm[0]
    iss = tle.nearest_set(every, 25544, at)
    assert iss.name == "ISS (ZARYA)"
    with pytest.raises(NoElementSetError, match="NORAD 99999") as caught:
        tle.nearest_set(every, 99999, at)
    assert caught.value.exit_code == 3


def test_sets_for_drops_duplicate_epochs(history_sets):
    stations = tle.parse_file(TLE_DIR / "stations_latest.tle")
    # The newest history set and the stations file's Tiangong set are the same set.
    sets = tle.sets_for([*history_sets, *stations], 48274)
    assert len(sets) == 663
    assert sets[-1] is history_sets[-1]


def test_sets_for_answers_a_tuple_again_as_the_first_time(history_sets):
    # The answer for a tuple is remembered: asked again, alternately for two satellites and
    # two catalogs, each answer is a fresh list equal to one worked out from scratch.
    stations = tle.parse_file(TLE_DIR / "stations_latest.tle")
    catalogs = (tuple(history_sets), (*history_sets, *stations))
    fresh = {
        (index, norad_id): tle.sets_for(list(catalog), norad_id)
        for index, catalog in enumerate(catalogs)
        for norad_id in (48274, 25544)
    }
    for index, norad_id in [(0, 48274), (0, 48274), (0, 25544), (1, 25544), (1, 25544), (0, 48274)]:
        answer = tle.sets_for(catalogs[index], norad_id)
        assert answer == fresh[index, norad_id]
        answer.clear()  # the caller's own list: the next answer is whole
    assert tle.sets_for(catalogs[0], 48274) == fresh[0, 48274] != []


@pytest.mark.parametrize(
    ("query", "norad_id"),
    [
        ("tiangong", 48274),
        ("Tiangong", 48274),
        (" TIANGONG ", 48274),
        ("css", 48274),
        ("CSS", 48274),
        ("iss", 25544),
        ("ISS", 25544),
        ("48274", 48274),
        ("25544", 25544),
        ("wentian", 53239),
        ("Mengtian", 54216),
        ("shenzhou", 69180),
        ("tianzhou-10", 69049),
    ],
)
def test_satellite_ids(query, norad_id):
    sets = tle.parse_file(TLE_DIR / "stations_latest.tle")
    assert tle.satellite_ids(query, sets) == norad_id


@pytest.mark.parametrize(
    ("query", "words"),
    [
        ("hubble", ["unknown satellite 'hubble'", "NORAD number"]),
        ("", ["empty"]),
        ("tian", ["ambiguous", "WENTIAN", "NORAD number"]),
        ("\u00b2", ["unknown satellite"]),  # a superscript two: isdigit() but not a number
    ],
)
def test_satellite_ids_refuses(query, words):
    sets = tle.parse_file(TLE_DIR / "stations_latest.tle")
    with pytest.raises(UsageError) as caught:
        tle.satellite_ids(query, sets)
    assert caught.value.exit_code == 2
    for word in words:
        assert word in str(caught.value)


# --------------------------------------------------------------------------------------------
# Staleness (DESIGN.md table)


@pytest.fixture(scope="module")
def newest_set():
    return tle.parse_file(TEST_DATA / "css_2026-10-06.tle")[0]


def _age(sigma_s: float, factor: float = 1.0) -> float:
    """The age (days) at which the calibrated 1-sigma error is ``sigma_s``, times ``factor``."""
    return tle.age_for_sigma_days(sigma_s) * factor


def test_age_for_sigma_inverts_the_model():
    for sigma in (tle.SILENT_SIGMA_S, tle.MINUTE_SIGMA_S, tle.LIMIT_SIGMA_S):
        age = tle.age_for_sigma_days(sigma)
        assert uncertainty_s(age) == pytest.approx(sigma, rel=1e-6)
        assert uncertainty_s(age * 0.99) < sigma < uncertainty_s(age * 1.01)
    # The limit sits where a listed time stops being useful: 10-15 minutes, weeks after epoch.
    assert 600 <= tle.LIMIT_SIGMA_S <= 900
    assert 20 < tle.limit_age_days() < 60


@pytest.mark.parametrize("fraction", [0.0, 0.3, -0.7, 0.99])
@pytest.mark.parametrize("for_alert", [False, True])
def test_fresh_sets_are_silent(newest_set, fraction, for_alert):
    days = _age(tle.SILENT_SIGMA_S) * fraction
    at = newest_set.epoch + timedelta(days=days)
    staleness = tle.check_staleness(newest_set, at, for_alert=for_alert)
    assert staleness.warnings == ()
    assert staleness.age_days == pytest.approx(abs(days))
    assert not staleness.past_limit


@pytest.mark.parametrize("fraction", [1.05, 1.5, -2.0, 2.9])
@pytest.mark.parametrize("for_alert", [False, True])
def test_up_to_a_minute_warns_with_the_expected_error(newest_set, fraction, for_alert):
    days = _age(tle.SILENT_SIGMA_S) * fraction
    assert abs(days) < _age(tle.MINUTE_SIGMA_S)
    at = newest_set.epoch + timedelta(days=days)
    staleness = tle.check_staleness(newest_set, at, for_alert=for_alert)
    (warning,) = staleness.warnings
    assert f"{abs(days):.1f} days" in warning
    assert describe_error(abs(days)) in warning
    assert ("before" if days > 0 else "after") in warning


@pytest.mark.parametrize("fraction", [0.02, 0.5, -0.9, 0.98])
def test_minutes_below_the_limit_warn_that_times_are_approximate(newest_set, fraction):
    # ``fraction`` of the way from "about a minute" to the limit; negative: after the epoch.
    low, high = _age(tle.MINUTE_SIGMA_S), _age(tle.LIMIT_SIGMA_S)
    days = math.copysign(low + (high - low) * abs(fraction), fraction)
    at = newest_set.epoch + timedelta(days=days)
    newest = newest_set.epoch
    staleness = tle.check_staleness(newest_set, at, newest=newest)
    (warning,) = staleness.warnings
    assert f"{abs(days):.1f} days" in warning
    assert "approximate" in warning and "tle update" in warning
    assert "2026-10-06" in warning
    assert not staleness.past_limit
    given_file = tle.check_staleness(newest_set, at, file_given=True)
    assert "--tle FILE" in given_file.warnings[0]


@pytest.mark.parametrize("factor", [1.01, 2.0, -10.0])
def test_past_the_limit_refuses_files_unless_allowed(newest_set, factor):
    days = _age(tle.LIMIT_SIGMA_S) * factor
    at = newest_set.epoch + timedelta(days=days)
    with pytest.raises(StaleDataError) as caught:
        tle.check_staleness(newest_set, at)
    message = str(caught.value)
    assert caught.value.exit_code == 3
    assert f"{abs(days):.1f} days" in message and "--allow-stale" in message
    assert "±10 minutes" in message
    allowed = tle.check_staleness(newest_set, at, allow_stale=True)
    (warning,) = allowed.warnings
    assert f"{abs(days):.1f} days" in warning and "approximate" in warning


@pytest.mark.parametrize("factor", [1.01, 3.0, -10.0])
def test_past_the_limit_a_terminal_table_is_told_not_refused(newest_set, factor):
    at = newest_set.epoch + timedelta(days=_age(tle.LIMIT_SIGMA_S) * factor)
    staleness = tle.check_staleness(newest_set, at, for_terminal=True)
    assert staleness.past_limit and staleness.warnings == ()
    assert staleness.sigma_s > tle.LIMIT_SIGMA_S
    below = newest_set.epoch + timedelta(days=_age(tle.LIMIT_SIGMA_S) * 0.99)
    assert not tle.check_staleness(newest_set, below, for_terminal=True).past_limit


@pytest.mark.parametrize("factor", [1.01, 2.0, 5.0])
def test_alerts_refuse_past_their_own_limit_unless_allowed(newest_set, factor):
    days = _age(tle.ALERT_LIMIT_SIGMA_S) * factor
    at = newest_set.epoch + timedelta(days=days)
    with pytest.raises(StaleDataError) as caught:
        tle.check_staleness(newest_set, at, for_alert=True)
    message = str(caught.value)
    assert caught.value.exit_code == 3
    assert f"{days:.1f} days" in message and "--allow-stale" in message
    assert ("alerts' limit" if days < _age(tle.LIMIT_SIGMA_S) else "±10 minutes") in message
    allowed = tle.check_staleness(newest_set, at, for_alert=True, allow_stale=True)
    (warning,) = allowed.warnings
    assert f"{days:.1f} days" in warning
    # Below the alerts' limit, the same age is a warning only.
    below = newest_set.epoch + timedelta(days=_age(tle.ALERT_LIMIT_SIGMA_S) * 0.99)
    assert tle.check_staleness(newest_set, below, for_alert=True).warnings


# --------------------------------------------------------------------------------------------
# Time parsing (timeutil.parse_time)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("2026-11-22", datetime(2026, 11, 22, tzinfo=UTC)),
        ("2026-11-22T18:30:00Z", datetime(2026, 11, 22, 18, 30, tzinfo=UTC)),
        ("2026-11-22T18:30", datetime(2026, 11, 22, 18, 30, tzinfo=UTC)),
        ("2026-11-22T23:30+05:00", datetime(2026, 11, 22, 18, 30, tzinfo=UTC)),
        ("2026-11-22 18:30:00.25z", datetime(2026, 11, 22, 18, 30, 0, 250000, tzinfo=UTC)),
        (" 2026-02-28T00:00:00-05:00 ", datetime(2026, 2, 28, 5, tzinfo=UTC)),
        ("now", datetime(2026, 10, 7, 12, tzinfo=UTC)),
        ("NOW", datetime(2026, 10, 7, 12, tzinfo=UTC)),
    ],
)
def test_parse_time_accepts(text, expected):
    parsed = parse_time(text, now=datetime(2026, 10, 7, 12, tzinfo=UTC))
    assert parsed == expected and parsed.tzinfo is UTC


@pytest.mark.parametrize(
    ("text", "words"),
    [
        ("2026-02-30", ["not a real date"]),
        ("2026-11-22T25:00", ["not a real date"]),
        ("garbage", ["not an ISO 8601 time"]),
        ("", ["not an ISO 8601 time"]),
        ("2026-11-22T18:30+99:00", []),
        ("2100-01-01", ["outside the supported span"]),
        ("1900-01-01", ["outside the supported span"]),
        ("0001-01-01T00:00+01:00", ["outside the supported span"]),
    ],
)
def test_parse_time_refuses(text, words):
    with pytest.raises(UsageError) as caught:
        parse_time(text, option="--at")
    message = str(caught.value)
    assert caught.value.exit_code == 2
    assert f"--at '{text}'" in message
    for word in words:
        assert word in message


def test_a_window_may_end_at_the_last_supported_moment():
    # The end of a window is not in it: a window up to LATEST is wholly inside the span (it
    # was refused as "outside the supported span"); a moment at LATEST, or a later end, is not.
    # (tests/test_cli.py runs such a window.)
    from tiangong_orbit.timeutil import LATEST, check_range

    check_range(LATEST, option="--start + --days", window_end=True)
    check_range(LATEST - timedelta(microseconds=1), option="--start")
    for moment, window_end in ((LATEST, False), (LATEST + timedelta(microseconds=1), True)):
        with pytest.raises(UsageError, match="outside the supported span"):
            check_range(moment, option="--start + --days", window_end=window_end)


@pytest.mark.parametrize(
    ("key", "value"),
    [
        ("EPHEMERIS_TYPE", -(2**63)),
        ("ELEMENT_SET_NO", 10**6),
        ("NORAD_CAT_ID", 0),
        ("REV_AT_EPOCH", -1),
        ("EPHEMERIS_TYPE", "x"),
    ],
)
def test_omm_integer_fields_out_of_range_are_our_error(key, value):
    # sgp4 stores these in C ints: out of range it only warns and truncates.
    record = json.loads(_OMM_TEXT)[0]
    record[key] = value
    with pytest.raises(TLEFormatError, match=key):
        tle.parse_text(json.dumps([record]), path="ints.json")


def test_omm_revolution_number_wraps_like_a_tle():
    record = json.loads(_OMM_TEXT)[0]
    record["REV_AT_EPOCH"] = 123_456
    (element_set,) = tle.parse_text(json.dumps([record]), path="revs.json")
    assert element_set.line2[63:68] == "23456"


def _every_stretch(
    candidates: list[tle.ElementSet], start: datetime, end: datetime
) -> list[tuple[tle.ElementSet, datetime, datetime]]:
    """Every set's stretch (between the midpoints to its neighbours) clipped to the window, the
    empty ones left out: what nearest_segments gives, worked out for all the sets."""
    found = []
    for index, element_set in enumerate(candidates):
        low, high = start, end
        if index > 0:
            low = max(
                start, element_set.epoch - (element_set.epoch - candidates[index - 1].epoch) / 2
            )
        if index < len(candidates) - 1:
            high = min(
                end, element_set.epoch + (candidates[index + 1].epoch - element_set.epoch) / 2
            )
        if low < high:
            found.append((element_set, low, high))
    return found


@pytest.mark.parametrize(
    ("from_epoch", "offset", "days"),
    [
        (0, timedelta(days=-40), 10),  # before the first set
        (0, timedelta(days=-5), 10),  # across the first set
        (300, timedelta(0), 3),  # from an epoch exactly
        (300, timedelta(microseconds=1), 1e-3),  # inside one stretch
        (500, timedelta(hours=-1), 60),  # many sets
        (-1, timedelta(0), 0.5),  # from the last epoch
        (-1, timedelta(days=90), 10),  # after the last set
    ],
)
def test_nearest_segments_look_only_near_the_window_with_the_same_stretches(
    from_epoch: int, offset: timedelta, days: float
) -> None:
    sets = tle.load_catalog(None).sets
    candidates = tle.sets_for(sets, tle.TIANGONG_NORAD_ID)
    start = candidates[from_epoch].epoch + offset
    end = start + timedelta(days=days)
    found = tle.nearest_segments(sets, tle.TIANGONG_NORAD_ID, start, end)
    assert found == _every_stretch(candidates, start, end)
    assert found[0][1] == start and found[-1][2] == end
