"""Element-set files as users download them: OMM XML, KVN and CSV, names that look like TLE
lines, bulletins, notices, bad records of other satellites, duplicates, and hostile files.

References share no code with the parser: python-sgp4's own OMM readers and TLE parser, the
calendar (``%j``) for day-of-year epochs, and real runs of the command on a file that holds
only the set asked for. Every file here is a real set of ``data/tle`` or ``tests/data`` (see
``tests/data/README.md``); a synthetic variant says how it was derived where it is made.
"""

from __future__ import annotations

import io
import json
import os
import subprocess
import sys
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from sgp4 import omm as sgp4_omm
from sgp4.api import WGS72, Satrec

from tiangong_orbit import tle
from tiangong_orbit.errors import TLEFormatError, UsageError

ROOT = Path(__file__).resolve().parents[1]
TEST_DATA = ROOT / "tests" / "data"
STATIONS = ROOT / "data" / "tle" / "stations_latest.tle"
OMM_JSON = TEST_DATA / "css_omm_2025-05-25.json"
OMM_EPOCH = datetime(2025, 5, 25, 23, 0, 12, 248640, UTC)


def _fix_checksum(line: str) -> str:
    total = sum(int(c) if c.isdigit() else (c == "-") for c in line[:68])
    return line[:68] + str(total % 10)


def _stations() -> list[str]:
    return STATIONS.read_text(encoding="utf-8").splitlines()


def _run(*args: str, tmp_path: Path) -> subprocess.CompletedProcess:
    environment = {**os.environ, "NO_COLOR": "1", "COLUMNS": "80"}
    environment.pop("TIANGONG_ORBIT_DEBUG", None)
    return subprocess.run(
        [sys.executable, "-m", "tiangong_orbit", *args],
        capture_output=True,
        text=True,
        env=environment,
        timeout=120,
        cwd=tmp_path,
    )


def _one_line_error(result: subprocess.CompletedProcess, code: int, *words: str) -> str:
    assert result.returncode == code, (result.returncode, result.stderr)
    assert "Traceback" not in result.stderr
    errors = [line for line in result.stderr.splitlines() if line.startswith("error:")]
    assert len(errors) == 1, result.stderr
    for word in words:
        assert word.lower() in errors[0].lower(), errors[0]
    return errors[0]


def _elements(satrec: Satrec) -> tuple[float, ...]:
    return (
        satrec.jdsatepoch + satrec.jdsatepochF,
        satrec.no_kozai,
        satrec.ecco,
        satrec.inclo,
        satrec.nodeo,
        satrec.argpo,
        satrec.mo,
        satrec.bstar,
        satrec.ndot,
        satrec.nddot,
    )


def _reference_satrec() -> Satrec:
    """The 2025-05-25 record read by python-sgp4's own OMM initialisation (no code of ours)."""
    (record,) = json.loads(OMM_JSON.read_text(encoding="utf-8"))
    fields = {key: str(value) for key, value in record.items()}
    satrec = Satrec()
    sgp4_omm.initialize(satrec, fields)
    return satrec


# --------------------------------------------------------------------------------------------
# OMM XML, KVN, CSV (tests/data: the record of css_omm_2025-05-25.json in each layout)


@pytest.mark.parametrize("suffix", ["json", "xml", "kvn", "csv"])
def test_every_omm_form_gives_python_sgp4s_own_reading(suffix):
    (element_set,) = tle.parse_file(TEST_DATA / f"css_omm_2025-05-25.{suffix}")
    reference = _reference_satrec()
    assert element_set.name == "CSS (TIANHE)" and element_set.norad_id == 48274
    assert element_set.epoch == OMM_EPOCH
    assert _elements(element_set.satrec) == pytest.approx(_elements(reference), rel=1e-12)
    for minutes in (0.0, 720.0, 4320.0):
        ours = element_set.satrec.sgp4_tsince(minutes)
        theirs = reference.sgp4_tsince(minutes)
        assert ours[0] == theirs[0] == 0
        assert ours[1] == pytest.approx(theirs[1], abs=1e-6)  # km


def test_omm_xml_matches_python_sgp4s_xml_reader():
    """sgp4.omm.parse_xml reads the same fields from the same file."""
    with open(TEST_DATA / "css_omm_2025-05-25.xml", "rb") as stream:
        (fields,) = list(sgp4_omm.parse_xml(stream))
    reference = Satrec()
    sgp4_omm.initialize(reference, fields)
    (element_set,) = tle.parse_file(TEST_DATA / "css_omm_2025-05-25.xml")
    assert _elements(element_set.satrec) == pytest.approx(_elements(reference), rel=1e-12)


def test_omm_csv_with_several_records_is_read_in_order():
    """CelesTrak's stations CSV layout, rows made from the real stations sets (python-sgp4's
    exporter turns each real TLE into its OMM fields)."""
    from sgp4 import exporter

    lines = _stations()
    rows = []
    for index in range(0, len(lines), 3):
        satrec = Satrec.twoline2rv(lines[index + 1], lines[index + 2], WGS72)
        fields = exporter.export_omm(satrec, lines[index])
        rows.append(fields)
    header = list(rows[0])
    text = ",".join(header) + "\r\n"
    text += "".join(",".join(str(row[key]) for key in header) + "\r\n" for row in rows)
    parsed = tle.parse_text(text, path="stations.csv")
    reference = tle.parse_file(STATIONS)
    assert [(s.name, s.norad_id) for s in parsed] == [(s.name, s.norad_id) for s in reference]
    for ours, theirs in zip(parsed, reference, strict=True):
        assert abs((ours.epoch - theirs.epoch).total_seconds()) < 1e-3
        assert ours.line2[:68] == theirs.line2[:68]


def test_kvn_with_several_records_and_units():
    text = (TEST_DATA / "css_omm_2025-05-25.kvn").read_text(encoding="utf-8")
    second = text.replace("NORAD_CAT_ID = 48274", "NORAD_CAT_ID = 48275").replace(
        "OBJECT_NAME = CSS (TIANHE)", "OBJECT_NAME = SYNTHETIC COPY"
    )
    parsed = tle.parse_text(text + "\n" + second, path="two.kvn")
    assert [(s.name, s.norad_id) for s in parsed] == [
        ("CSS (TIANHE)", 48274),
        ("SYNTHETIC COPY", 48275),
    ]
    assert parsed[0].epoch == parsed[1].epoch == OMM_EPOCH


@pytest.mark.parametrize(
    ("epoch_text", "expected"),
    [
        # 2025 day 145 is 25 May (the calendar's own %j reading below).
        ("2025-145T23:00:12.248640", "2025-145 23:00:12.248640"),
        ("2025-145T23:00:12.248640Z", "2025-145 23:00:12.248640"),
        ("2025-145T23:00:12", "2025-145 23:00:12.000000"),
        ("2024-366T12:00:00", "2024-366 12:00:00.000000"),  # leap year: 31 December
    ],
)
def test_day_of_year_epoch(epoch_text, expected):
    (record,) = json.loads(OMM_JSON.read_text(encoding="utf-8"))
    record["EPOCH"] = epoch_text
    (element_set,) = tle.parse_text(json.dumps([record]))
    truth = datetime.strptime(expected, "%Y-%j %H:%M:%S.%f").replace(tzinfo=UTC)
    assert element_set.epoch == truth
    if epoch_text.startswith("2025-145T23:00:12.248640"):
        assert element_set.epoch == OMM_EPOCH


@pytest.mark.parametrize(
    ("epoch_text", "words"),
    [
        ("2025-366T00:00:00", ["day 366 of 2025 does not exist", "1 to 365"]),
        ("2025-000T00:00:00", ["day 0 of 2025"]),
        ("2025-145T24:00:00", ["does not exist"]),
    ],
)
def test_impossible_day_of_year_epoch_is_refused(epoch_text, words):
    (record,) = json.loads(OMM_JSON.read_text(encoding="utf-8"))
    record["EPOCH"] = epoch_text
    with pytest.raises(TLEFormatError) as caught:
        tle.parse_text(json.dumps([record]), path="x.json")
    for word in words:
        assert word in str(caught.value)


def test_norad_number_beyond_a_tle_is_read_from_the_omm_fields():
    """OMM allows catalog numbers past 339999 (no TLE can carry them): the record propagates
    exactly as python-sgp4 propagates the same elements under the real number 48274."""
    (record,) = json.loads(OMM_JSON.read_text(encoding="utf-8"))
    record["NORAD_CAT_ID"] = 412345  # synthetic: the real record under a nine-digit-era number
    record["OBJECT_NAME"] = "FUTURE OBJECT"
    (element_set,) = tle.parse_text(json.dumps([record]))
    assert element_set.norad_id == 412345 and element_set.name == "FUTURE OBJECT"
    assert element_set.line1 == element_set.line2 == ""  # no TLE form exists
    reference = _reference_satrec()
    for minutes in (0.0, 1440.0):
        assert element_set.satrec.sgp4_tsince(minutes)[1] == pytest.approx(
            reference.sgp4_tsince(minutes)[1], abs=1e-9
        )
    assert tle.satellite_ids("412345", [element_set]) == 412345


# --------------------------------------------------------------------------------------------
# TLE text: names that look like lines, bulletins, notices, pages


def test_names_that_begin_like_tle_lines_are_names():
    lines = _stations()
    text = "\n".join(["2 PATHFINDER", *lines[4:6], "1 SOMETHING", *lines[1:3], "0 2", *lines[7:9]])
    parsed = tle.parse_text(text, path="names.tle")
    assert [(s.name, s.norad_id, s.line_number) for s in parsed] == [
        ("2 PATHFINDER", 25544, 1),
        ("1 SOMETHING", 48274, 4),
        ("2", 53239, 7),
    ]
    for element_set, (l1, l2) in zip(parsed, [lines[4:6], lines[1:3], lines[7:9]], strict=True):
        assert (element_set.line1, element_set.line2) == (l1, l2)
        reference = Satrec.twoline2rv(l1, l2, WGS72)
        assert _elements(element_set.satrec) == pytest.approx(_elements(reference), rel=1e-15)


def _bulletin() -> str:
    """The real stations sets under the header and key an AMSAT keps bulletin carries."""
    lines = _stations()
    header = [
        "SB KEPS @ AMSAT  $ORBS-280.N",
        "2LINE Orbital Elements 280.AMSAT",
        "",
        "HR AMSAT ORBITAL ELEMENTS FOR AMATEUR SATELLITES IN NASA FORMAT",
        "DECODE 2-LINE ELSETS WITH THE FOLLOWING KEY:",
        "1 AAAAAU 00  0  0 BBBBB.BBBBBBBB  .CCCCCCCC  00000-0  00000-0 0  DDDZ",
        "2 AAAAA EEE.EEEE FFF.FFFF GGGGGGG HHH.HHHH III.IIII JJ.JJJJJJJJKKKKKZ",
        "KEY: A-CATALOGNUM B-EPOCHTIME C-DECAY D-ELSETNUM E-INCLINATION F-RAAN",
        "TO ALL RADIO AMATEURS BT",
        "",
    ]
    return "\n".join([*header, *lines, "/EX", ""])


def test_bulletin_sets_are_read_and_its_prose_named_in_one_warning():
    parsed = tle.read_text(_bulletin(), path="keps.txt")
    reference = tle.parse_file(STATIONS)
    assert [(s.norad_id, s.epoch, s.line2) for s in parsed.sets] == [
        (s.norad_id, s.epoch, s.line2) for s in reference
    ]
    assert parsed.bad == []
    (note,) = parsed.notes()
    assert "ignored 9 line(s)" in note and "lines 1-2, 4-9, 29" in note
    with pytest.raises(TLEFormatError):  # the strict reading (downloads) still refuses it
        tle.parse_text(_bulletin(), path="keps.txt")


@pytest.mark.parametrize(
    ("text", "words"),
    [
        (
            "GP data has not updated since your last successful download of GROUP=stations "
            "at 2026-10-07 11:02:13 UTC.\nData is updated once every 2 hours.\n",
            ["CelesTrak's notice", "not element sets", "earlier download"],
        ),
        (
            "\n<!DOCTYPE html>\n<html><head><title>403 Forbidden</title></head><body>"
            "<p>Too many requests</p></body></html>\n",
            ["HTML page", "403 Forbidden", "not element sets"],
        ),
        (
            "<?xml version='1.0'?>\n<rss><channel><title>News</title></channel></rss>\n",
            ["XML with a <rss> root", "not element sets"],
        ),
        (
            "Dear colleagues,\nplease find the elements attached.\nRegards\n",
            ["no element sets in 3 lines of text", "Dear colleagues"],
        ),
        ("<ndm><omm><body><segment>\n", ["line 2", "not valid XML"]),
        ("CCSDS_OMM_VERS = 2.0\nOBJECT_NAME = X\n", ["missing NORAD_CAT_ID"]),
        ("OBJECT_NAME,EPOCH,MEAN_MOTION\n", ["no records"]),
    ],
    ids=["gp-not-updated", "html", "rss", "prose", "cut-xml", "kvn-incomplete", "csv-empty"],
)
def test_text_that_is_not_element_sets_says_what_it_is(text, words):
    with pytest.raises(TLEFormatError) as caught:
        tle.parse_text(text, path="download.txt")
    message = str(caught.value)
    assert message.startswith("download.txt")
    for word in words:
        assert word in message


# --------------------------------------------------------------------------------------------
# Day of the year in a TLE


@pytest.mark.parametrize(
    ("year_and_day", "accepted"),
    [
        ("25366.50000000", False),  # 2025 is a common year: no day 366
        ("26365.99999999", True),
        ("24366.50000000", True),  # 2024 is a leap year: 31 December, noon
        ("26000.50000000", False),  # day 0 is refused, not read as 31 December 2025
        ("99366.50000000", False),  # 1999
        ("00366.50000000", True),  # 2000 is a leap year
    ],
)
def test_day_of_year_in_a_tle(css_tle, year_and_day, accepted):
    name, l1, l2 = css_tle
    line1 = _fix_checksum(l1[:18] + year_and_day + l1[32:])
    if not accepted:
        with pytest.raises(TLEFormatError, match=r"is not a day of (19|20)\d\d"):
            tle.parse_text(f"{name}\n{line1}\n{l2}\n")
        return
    (element_set,) = tle.parse_text(f"{name}\n{line1}\n{l2}\n")
    two_digit, day = int(year_and_day[:2]), float(year_and_day[2:])
    year = two_digit + (1900 if two_digit >= 57 else 2000)
    truth = datetime(year, 1, 1, tzinfo=UTC) + timedelta(days=day - 1)
    assert abs((element_set.epoch - truth).total_seconds()) < 1e-3
    reference = Satrec.twoline2rv(line1, l2, WGS72)
    assert element_set.satrec.jdsatepoch + element_set.satrec.jdsatepochF == pytest.approx(
        reference.jdsatepoch + reference.jdsatepochF, abs=1e-9
    )


# --------------------------------------------------------------------------------------------
# Bad records of other satellites; two sets with one epoch


def _stations_with_bad_iss() -> str:
    """The real stations file with the ISS line 1 checksum digit changed (0 for 9)."""
    lines = _stations()
    line = lines[4]
    lines[4] = line[:68] + str((int(line[68]) + 1) % 10)
    return "\n".join(lines) + "\n"


def test_bad_record_of_another_satellite_is_kept_apart():
    parsed = tle.read_text(_stations_with_bad_iss(), path="stations.tle")
    assert 25544 not in {s.norad_id for s in parsed.sets} and len(parsed.sets) == 5
    (bad,) = parsed.bad
    assert (bad.norad_id, bad.name, bad.position) == (25544, "ISS (ZARYA)", 4)
    catalog = tle.Catalog(tuple(parsed.sets), (), True, tuple(parsed.bad))
    (warning,) = catalog.check_satellite(48274)
    assert "ISS (ZARYA)" in warning and "NORAD 25544" in warning and "line 5" in warning
    with pytest.raises(TLEFormatError, match="line 5: checksum"):
        catalog.check_satellite(25544)


def test_bad_omm_record_of_another_satellite_is_kept_apart():
    (record,) = json.loads(OMM_JSON.read_text(encoding="utf-8"))
    other = dict(record, NORAD_CAT_ID=25544, OBJECT_NAME="ISS (ZARYA)", MEAN_MOTION="x")
    parsed = tle.read_text(json.dumps([other, record]), path="two.json")
    assert [s.norad_id for s in parsed.sets] == [48274]
    (bad,) = parsed.bad
    assert (bad.norad_id, bad.name, bad.position) == (25544, "ISS (ZARYA)", 1)


def test_two_different_sets_with_one_epoch_use_the_one_read_last(css_tle):
    name, l1, l2 = css_tle
    # Synthetic: the real set with its mean anomaly moved by 0.5°, same epoch.
    moved = _fix_checksum(l2[:43] + f"{float(l2[43:51]) + 0.5:8.4f}" + l2[51:])
    parsed = tle.parse_text(f"{name}\n{l1}\n{l2}\n{name}\n{l1}\n{moved}\n", path="dup.tle")
    (warning,) = tle.same_epoch_conflicts(parsed)
    assert warning.startswith("different element sets of CSS (TIANHE) (NORAD 48274) share")
    assert "(dup.tle line 1, dup.tle line 4): using the one read last (dup.tle line 4)" in warning
    (used,) = tle.sets_for(parsed, 48274)
    assert used.line2 == moved
    # The same set twice (as a TLE and as its OMM JSON rendering) is no conflict.
    assert tle.same_epoch_conflicts([parsed[0], parsed[0]]) == []


# --------------------------------------------------------------------------------------------
# Hostile files: the whole reading is bounded


def test_reads_are_bounded(tmp_path, monkeypatch):
    big = tmp_path / "big.tle"
    big.write_bytes(b"0" * 1025)
    monkeypatch.setattr(tle, "MAX_FILE_BYTES", 1024)
    with pytest.raises(TLEFormatError, match="larger than"):
        tle.parse_file(big)
    from tiangong_orbit import places

    monkeypatch.setattr(places, "PLACES_FILE_MAX_BYTES", 1024)
    with pytest.raises(UsageError, match="larger than"):
        places.read_places_csv(big)


def test_deeply_nested_json_and_xml_are_format_errors():
    with pytest.raises(TLEFormatError, match="nested deeper"):
        tle.parse_text("[" * 100_000 + "]" * 100_000, path="deep.json")
    with pytest.raises(TLEFormatError, match="nested deeper"):
        tle.parse_text('{"a":' * 100_000 + "1" + "}" * 100_000, path="deep.json")
    with pytest.raises(TLEFormatError, match="no OMM <segment>"):
        tle.parse_text("<a>" * 100_000 + "</a>" * 100_000, path="deep.xml")


# --------------------------------------------------------------------------------------------
# The command line, as a user runs it


def _passes_json(tmp_path: Path, tle_file: Path, *extra: str) -> subprocess.CompletedProcess:
    return _run(
        "passes",
        "--city",
        "Lahore",
        "--start",
        "2026-10-07T00:00Z",
        "--days",
        "2",
        "--all",
        "--json",
        "--tle",
        str(tle_file),
        *extra,
        tmp_path=tmp_path,
    )


def test_cli_skips_a_bad_record_of_another_satellite(tmp_path):
    lines = _stations()
    mixed = tmp_path / "stations.tle"
    mixed.write_text(_stations_with_bad_iss(), encoding="utf-8")
    alone = tmp_path / "css.tle"
    alone.write_text("\n".join(lines[:3]) + "\n", encoding="utf-8")
    result = _passes_json(tmp_path, mixed)
    assert result.returncode == 0, result.stderr
    warnings = [line for line in result.stderr.splitlines() if "ISS (ZARYA)" in line]
    assert len(warnings) == 1 and warnings[0].startswith("warning: skipped")
    assert "NORAD 25544" in warnings[0]
    reference = _passes_json(tmp_path, alone)
    assert reference.returncode == 0, reference.stderr
    ours, theirs = json.loads(result.stdout), json.loads(reference.stdout)
    assert ours["observers"] == theirs["observers"] and ours["observers"][0]["passes"]
    # The bad record's own satellite stays an error.
    _one_line_error(_passes_json(tmp_path, mixed, "--satellite", "iss"), 3, "line 5", "checksum")
    _one_line_error(_run("tle", "check", str(mixed), tmp_path=tmp_path), 3, "checksum")


@pytest.mark.parametrize("suffix", ["xml", "kvn", "csv"])
def test_cli_reads_every_omm_form_as_json(tmp_path, suffix):
    args = ("altitude", "--at", "2025-05-26T01:00Z", "--json", "--allow-stale", "--tle")
    reference = _run(*args, str(OMM_JSON), tmp_path=tmp_path)
    result = _run(*args, str(TEST_DATA / f"css_omm_2025-05-25.{suffix}"), tmp_path=tmp_path)
    assert result.returncode == reference.returncode == 0, result.stderr
    ours, theirs = json.loads(result.stdout), json.loads(reference.stdout)
    assert ours["altitude_km"] == theirs["altitude_km"]
    assert ours["latitude_deg"] == theirs["latitude_deg"]


def test_cli_bulletin_is_read_with_one_warning(tmp_path):
    bulletin = tmp_path / "keps.txt"
    bulletin.write_text(_bulletin(), encoding="utf-8")
    result = _run("tle", "check", str(bulletin), tmp_path=tmp_path)
    assert result.returncode == 0, result.stderr
    assert result.stderr.count("warning:") == 1 and "ignored 9 line(s)" in result.stderr
    assert "ok: 6 valid element set(s)" in result.stdout


@pytest.mark.parametrize(
    ("args", "code", "words"),
    [
        (("tle", "check", "/dev/zero"), 3, ["/dev/zero is larger than 64 MB"]),
        (("altitude", "--tle", "/dev/zero"), 3, ["/dev/zero is larger than 64 MB"]),
        (("passes", "--places", "/dev/zero"), 2, ["/dev/zero is larger than 32 MB", "places"]),
        (("tle", "check", "deep.json"), 3, ["nested deeper"]),
        (("passes", "--tle", "deep.json"), 3, ["nested deeper"]),
    ],
    ids=["check-zero", "tle-zero", "places-zero", "check-deep", "passes-deep"],
)
def test_cli_hostile_files_are_one_line_errors(tmp_path, args, code, words):
    if not Path("/dev/zero").exists():
        pytest.skip("no /dev/zero here")
    (tmp_path / "deep.json").write_text("[" * 100_000 + "]" * 100_000, encoding="ascii")
    _one_line_error(_run(*args, tmp_path=tmp_path), code, *words)


def test_omm_csv_through_pythons_csv_module_matches_sgp4s_reader():
    """python-sgp4's parse_csv reads the same row we do."""
    text = (TEST_DATA / "css_omm_2025-05-25.csv").read_text(encoding="utf-8")
    (fields,) = list(sgp4_omm.parse_csv(io.StringIO(text)))
    reference = Satrec()
    sgp4_omm.initialize(reference, fields)
    (element_set,) = tle.parse_text(text, path="x.csv")
    assert _elements(element_set.satrec) == pytest.approx(_elements(reference), rel=1e-12)


def test_many_bad_records_are_named_then_counted():
    """The first seven real sets of data/tle/tiangong_history.tle, each with its line 1
    checksum digit changed, beside the valid ISS set of stations_latest.tle: asking for the
    ISS, five warnings name them, a sixth counts the rest; asking for Tiangong is an error."""
    history = ROOT / "data" / "tle" / "tiangong_history.tle"
    records = [line for line in history.read_text(encoding="utf-8").splitlines() if line.strip()]
    records = records[:21]
    for index in range(1, 21, 3):
        line = records[index]
        records[index] = line[:68] + str((int(line[68]) + 1) % 10)
    text = "\n".join([*_stations()[3:6], *records]) + "\n"
    parsed = tle.read_text(text, path="mixed.tle")
    assert [s.norad_id for s in parsed.sets] == [25544] and len(parsed.bad) == 7
    catalog = tle.Catalog(tuple(parsed.sets), (), True, tuple(parsed.bad))
    warnings = catalog.check_satellite(25544)
    assert len(warnings) == 6
    assert all("NORAD 48274" in warning for warning in warnings[:5])
    assert "2 more records" in warnings[5]
    with pytest.raises(TLEFormatError, match="line 5: checksum"):
        catalog.check_satellite(48274)


def test_cli_check_names_every_bad_record(tmp_path):
    lines = _stations()
    for index in (4, 7):  # ISS and Wentian: line 1 checksum digit changed
        lines[index] = lines[index][:68] + str((int(lines[index][68]) + 1) % 10)
    path = tmp_path / "two_bad.tle"
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    result = _run("tle", "check", str(path), tmp_path=tmp_path)
    _one_line_error(result, 3, "line 5", "and 1 more bad record")
    (warning,) = [line for line in result.stderr.splitlines() if line.startswith("warning:")]
    assert "line 8" in warning


def test_compressed_or_binary_files_say_what_they_are(tmp_path):
    import gzip
    import zipfile

    packed = tmp_path / "stations.tle.gz"
    packed.write_bytes(gzip.compress(STATIONS.read_bytes()))
    with pytest.raises(TLEFormatError, match="this is a gzip-compressed file, not element sets"):
        tle.parse_file(packed)
    archive = tmp_path / "stations.zip"
    with zipfile.ZipFile(archive, "w") as bundle:
        bundle.write(STATIONS, "stations.tle")
    with pytest.raises(TLEFormatError, match="this is a ZIP archive"):
        tle.parse_file(archive)


def test_cache_holding_a_number_beyond_a_tle_reads_back_the_same(tmp_path, monkeypatch):
    """An OMM record with NORAD 412345 (synthetic: the real 2025-05-25 record renumbered) in
    the cache folder: the first reading parses it, the second comes from the catalog index,
    and both propagate as python-sgp4's own reading of the record."""
    from tiangong_orbit.paths import tle_cache_dir

    monkeypatch.setenv("TIANGONG_ORBIT_CACHE_DIR", str(tmp_path / "cache"))
    (record,) = json.loads(OMM_JSON.read_text(encoding="utf-8"))
    record.update(NORAD_CAT_ID=412345, OBJECT_NAME="FUTURE OBJECT")
    folder = tle_cache_dir()
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "future.json").write_text(json.dumps([record]), encoding="utf-8")
    reference = _reference_satrec()
    for reading in ("parsed", "indexed"):
        if reading == "indexed":  # the second reading must not parse at all

            def no_parsing(*args: object, **kwargs: object) -> None:
                raise AssertionError("parsed again instead of read from the index")

            monkeypatch.setattr(tle, "parse_file", no_parsing)
        catalog = tle.load_catalog()
        assert catalog.warnings == ()
        (element_set,) = [s for s in catalog.sets if s.norad_id == 412345]
        assert element_set.epoch == OMM_EPOCH
        assert element_set.satrec.sgp4_tsince(720.0)[1] == pytest.approx(
            reference.sgp4_tsince(720.0)[1], abs=1e-9
        )


def test_cli_outlook_skips_a_bad_record_of_another_satellite(tmp_path):
    mixed = tmp_path / "stations.tle"
    mixed.write_text(_stations_with_bad_iss(), encoding="utf-8")
    args = ("outlook", "--city", "Lahore", "--start", "2026-10-07T00:00Z", "--days", "2")
    result = _run(*args, "--json", "--tle", str(mixed), tmp_path=tmp_path)
    assert result.returncode == 0, result.stderr
    (warning,) = [line for line in result.stderr.splitlines() if "ISS (ZARYA)" in line]
    assert warning.startswith("warning: skipped") and "NORAD 25544" in warning
    _one_line_error(
        _run(*args, "--json", "--tle", str(mixed), "-s", "iss", tmp_path=tmp_path), 3, "line 5"
    )


def test_cli_several_satellites_name_a_skipped_record_once(tmp_path):
    mixed = tmp_path / "stations.tle"
    mixed.write_text(_stations_with_bad_iss(), encoding="utf-8")
    result = _passes_json(tmp_path, mixed, "-s", "tiangong", "-s", "53239", "--allow-stale")
    assert result.returncode == 0, result.stderr
    skipped = [line for line in result.stderr.splitlines() if "ISS (ZARYA)" in line]
    assert len(skipped) == 1 and skipped[0].startswith("warning: skipped")
