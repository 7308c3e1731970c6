"""Element sets: parse and validate TLE, 3LE and CelesTrak OMM JSON; pick the set for a time.

Validation is strict and ours: ``sgp4.api.Satrec.twoline2rv`` (the C++ parser) silently accepts
wrong lengths, bad checksums, mismatched catalog numbers and stray characters. Every rejection is
a :class:`~tiangong_orbit.errors.TLEFormatError` naming the file, the line and what was expected,
with the column template above the offending line, as python-sgp4's own parser shows it.

Epochs are UTC (AIAA 2006-6753); ages are in days.
"""

from __future__ import annotations

import functools
import json
import math
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Literal

from sgp4.api import SGP4_ERRORS, WGS72, Satrec

from tiangong_orbit.errors import NoElementSetError, StaleDataError, TLEFormatError, UsageError

TIANGONG_NORAD_ID = 48274
ISS_NORAD_ID = 25544

#: Friendly names for ``--satellite``; anything else is a NORAD number or part of a set's name.
SATELLITE_ALIASES: dict[str, int] = {
    "tiangong": TIANGONG_NORAD_ID,
    "css": TIANGONG_NORAD_ID,
    "tianhe": TIANGONG_NORAD_ID,
    "china space station": TIANGONG_NORAD_ID,
    "iss": ISS_NORAD_ID,
    "zarya": ISS_NORAD_ID,
}

# The column templates of AIAA 2006-6753 / CelesTrak, as python-sgp4's io.py shows them.
LINE1_TEMPLATE = "1 NNNNNC NNNNNAAA NNNNN.NNNNNNNN +.NNNNNNNN +NNNNN-N +NNNNN-N N NNNNN"
LINE2_TEMPLATE = "2 NNNNN NNN.NNNN NNN.NNNN NNNNNNN NNN.NNNN NNN.NNNN NN.NNNNNNNNNNNNNN"

Source = Literal["bundled", "cache", "file"]

# (first column, last column (1-based, inclusive), what it is, pattern, whether it is one number)
# A "number" field may be padded with spaces but holds none inside: the C++ parser reads it with
# sscanf, which stops at an inner space and shifts every later field (and float() refuses it).
# The mantissas of the second derivative and BSTAR are digits only for the same reason.
_CATALOG = r"[ 0-9]{4}[0-9]|[A-HJ-NP-Z][0-9]{4}"
_DEGREES = r"(?=.*[0-9])[ 0-9]{3}\.[0-9 ]{4}"
_LINE1_FIELDS: tuple[tuple[int, int, str, str, bool], ...] = (
    (1, 1, "the line number 1", r"1", False),
    (2, 2, "a space", r" ", False),
    (3, 7, "the catalog number", _CATALOG, True),
    (8, 8, "the classification (U, C or S)", r"[UCS ]", False),
    (9, 9, "a space", r" ", False),
    (10, 17, "the international designator", r"[ 0-9A-Z-]{8}", False),
    (18, 18, "a space", r" ", False),
    (19, 20, "the epoch year YY", r"[0-9]{2}", False),
    (21, 32, "the epoch day of the year DDD.DDDDDDDD", r"[ 0-9]{2}[0-9]\.[0-9 ]{8}", True),
    (33, 33, "a space", r" ", False),
    (
        34,
        43,
        "the first derivative of mean motion",
        r"(?=.*[0-9])(?:[ +-]\.[0-9 ]{8}|[ +-][0-9]\.[0-9 ]{7})",
        True,
    ),
    (44, 44, "a space", r" ", False),
    (45, 52, "the second derivative of mean motion", r"[ +-][0-9]{5}[ +-][0-9]", False),
    (53, 53, "a space", r" ", False),
    (54, 61, "the drag term BSTAR", r"[ +-][0-9]{5}[ +-][0-9]", False),
    (62, 62, "a space", r" ", False),
    (63, 63, "the ephemeris type", r"[ 0-9]", False),
    (64, 64, "a space", r" ", False),
    (65, 68, "the element set number", r"[ 0-9]{4}", True),
    (69, 69, "the checksum digit", r"[0-9]", False),
)
_LINE2_FIELDS: tuple[tuple[int, int, str, str, bool], ...] = (
    (1, 1, "the line number 2", r"2", False),
    (2, 2, "a space", r" ", False),
    (3, 7, "the catalog number", _CATALOG, True),
    (8, 8, "a space", r" ", False),
    (9, 16, "the inclination (degrees)", _DEGREES, True),
    (17, 17, "a space", r" ", False),
    (18, 25, "the right ascension of the ascending node (degrees)", _DEGREES, True),
    (26, 26, "a space", r" ", False),
    (27, 33, "the eccentricity (decimal point assumed)", r"[0-9 ]{7}", False),
    (34, 34, "a space", r" ", False),
    (35, 42, "the argument of perigee (degrees)", _DEGREES, True),
    (43, 43, "a space", r" ", False),
    (44, 51, "the mean anomaly (degrees)", _DEGREES, True),
    (52, 52, "a space", r" ", False),
    (
        53,
        63,
        "the mean motion (revolutions per day)",
        r"(?=.*[0-9])[ 0-9]{2}\.[0-9 ]{8}",
        True,
    ),
    (64, 68, "the revolution number", r"[ 0-9]{5}", True),
    (69, 69, "the checksum digit", r"[0-9]", False),
)
_INNER_SPACE = re.compile(r"\S +\S")

_OMM_REQUIRED = (
    "OBJECT_NAME",
    "NORAD_CAT_ID",
    "EPOCH",
    "MEAN_MOTION",
    "ECCENTRICITY",
    "INCLINATION",
    "RA_OF_ASC_NODE",
    "ARG_OF_PERICENTER",
    "MEAN_ANOMALY",
    "BSTAR",
    "MEAN_MOTION_DOT",
    "MEAN_MOTION_DDOT",
)

# (key, lowest, highest) of the OMM integer fields, as a TLE can carry them.
_OMM_INTEGER_RANGES = (
    ("NORAD_CAT_ID", 1, 339_999),
    ("EPHEMERIS_TYPE", 0, 9),
    ("ELEMENT_SET_NO", 0, 9999),
    ("REV_AT_EPOCH", 0, 9_999_999),  # a TLE keeps the last five digits (wraps at 100,000)
)

_CHAR_NAMES = {
    "\t": "a tab",
    "\u00a0": "a non-breaking space (U+00A0)",
    "\u2212": "a Unicode minus sign (U+2212)",
    "\u2013": "an en dash (U+2013)",
    "\u200b": "a zero-width space (U+200B)",
}


@dataclass(frozen=True, slots=True)
class ElementSet:
    """One element set of one satellite, with where it came from.

    ``epoch`` is an aware UTC datetime. ``line1``/``line2`` are the TLE lines (for an OMM record,
    an equivalent TLE rendering for display and for tools that only read TLEs; propagation uses
    the OMM values at full precision through :attr:`satrec`).
    """

    name: str
    norad_id: int
    epoch: datetime
    line1: str
    line2: str
    source: Source = "file"
    path: str | None = None
    line_number: int | None = None
    satrec: Satrec = field(repr=False, compare=False, default=None)  # type: ignore[assignment]

    @property
    def mean_motion_rev_per_day(self) -> float:
        """Mean motion in revolutions per day (Kozai, as in the TLE)."""
        return self.satrec.no_kozai * 1440.0 / (2.0 * math.pi)

    @property
    def eccentricity(self) -> float:
        """Mean eccentricity (dimensionless)."""
        return float(self.satrec.ecco)

    @property
    def inclination_deg(self) -> float:
        """Mean inclination in degrees."""
        return math.degrees(self.satrec.inclo)

    def age_days(self, at: datetime) -> float:
        """Distance in days between ``at`` and this set's epoch (always positive)."""
        return abs((at - self.epoch).total_seconds()) / 86400.0

    def with_source(self, source: Source, path: str | None) -> ElementSet:
        """The same set, labelled with another source and path."""
        return ElementSet(
            self.name,
            self.norad_id,
            self.epoch,
            self.line1,
            self.line2,
            source,
            path,
            self.line_number,
            self.satrec,
        )


# --------------------------------------------------------------------------------------------
# Parsing


def parse_text(text: str, *, path: str = "<text>", source: Source = "file") -> list[ElementSet]:
    """Parse TLE (2-line), 3LE (name + 2 lines) or CelesTrak OMM JSON text into element sets.

    Accepts CRLF, trailing spaces, a byte-order mark, a ``0 `` name prefix and many sets per
    text. Raises :class:`TLEFormatError` naming ``path``, the line and what was expected.
    """
    if text.startswith("\ufeff"):
        text = text[1:]
    stripped = text.strip()
    if not stripped:
        raise TLEFormatError(f"{path}: the file is empty; expected TLE lines or OMM JSON")
    if stripped[0] in "[{":
        # json.loads skips the surrounding whitespace itself, so its line numbers are the file's.
        return _parse_omm_json(text, path=path, source=source)
    first_line = text[: len(text) - len(text.lstrip())].count("\n") + 1
    if stripped[0] == "<":
        kind = "an HTML page" if "html" in stripped[:500].lower() else "XML or HTML"
        raise TLEFormatError(
            f"{path}: line {first_line}: this is {kind}, not element sets; expected TLE lines "
            "or OMM JSON (a download that returned an error page?)"
        )
    if stripped.lower().startswith("no gp data found"):
        raise TLEFormatError(
            f"{path}: line {first_line}: the source answered 'No GP data found': no element "
            "sets; expected TLE lines or OMM JSON (is the NORAD number right?)"
        )
    return _parse_tle_lines(text, path=path, source=source)


def parse_file(path: str | Path, *, source: Source = "file") -> list[ElementSet]:
    """Read and parse one TLE/3LE/OMM JSON file (UTF-8); see :func:`parse_text`."""
    file_path = Path(path)
    try:
        data = file_path.read_bytes()
    except FileNotFoundError:
        raise UsageError(f"file not found: {file_path}") from None
    except IsADirectoryError:
        raise UsageError(f"{file_path} is a directory; expected a TLE or OMM JSON file") from None
    except OSError as error:
        raise UsageError(f"cannot read {file_path}: {error.strerror}") from None
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as error:
        line_number = data[: error.start].count(b"\n") + 1
        raise TLEFormatError(
            f"{file_path}: line {line_number}: byte 0x{data[error.start]:02X} is not text "
            "(UTF-8/ASCII); expected TLE lines or OMM JSON"
        ) from None
    return parse_text(text, path=str(file_path), source=source)


def _parse_tle_lines(text: str, *, path: str, source: Source) -> list[ElementSet]:
    sets: list[ElementSet] = []
    lines = text.split("\n")
    pending_name: tuple[int, str] | None = None
    index = 0
    while index < len(lines):
        number = index + 1
        raw = lines[index].rstrip("\r").rstrip(" ")
        index += 1
        if not raw.strip():
            continue
        _check_characters(raw, path=path, number=number)
        if raw.startswith("1 ") or raw == "1":
            next_index = _next_content_line(lines, index)
            if next_index is None:
                raise TLEFormatError(
                    f"{path}: line {number}: TLE line 1 is not followed by a line 2; expected "
                    "line 2 of the set (the file ends here: truncated?)"
                )
            raw2 = lines[next_index].rstrip("\r").rstrip(" ")
            _check_characters(raw2, path=path, number=next_index + 1)
            if not raw2.startswith("2"):
                raise TLEFormatError(
                    f"{path}: line {next_index + 1}: expected TLE line 2 after line 1 "
                    f"(line {number}), found {_quote(raw2)}"
                )
            name = pending_name[1] if pending_name else ""
            element_set = _element_set_from_lines(
                name, raw, raw2, path=path, number=number, source=source, number2=next_index + 1
            )
            if pending_name is not None and element_set.line_number != pending_name[0]:
                element_set = replace(element_set, line_number=pending_name[0])
            sets.append(element_set)
            pending_name = None
            index = next_index + 1
        elif raw.startswith("2 ") or raw == "2":
            raise TLEFormatError(
                f"{path}: line {number}: TLE line 2 without a line 1 before it "
                "(lines out of order?); expected line 1 first"
            )
        else:
            if pending_name is not None:
                raise TLEFormatError(
                    f"{path}: line {number}: expected TLE line 1 after the name "
                    f"{_quote(pending_name[1])} on line {pending_name[0]}, found {_quote(raw)}"
                )
            name = raw.strip()
            if name.startswith("0 "):
                name = name[2:].strip()
            pending_name = (number, name)
    if pending_name is not None:
        raise TLEFormatError(
            f"{path}: line {pending_name[0]}: the name {_quote(pending_name[1])} is not followed "
            "by TLE lines (truncated?)"
        )
    if not sets:
        raise TLEFormatError(f"{path}: no element sets found; expected TLE lines or OMM JSON")
    return sets


def _next_content_line(lines: Sequence[str], start: int) -> int | None:
    for index in range(start, len(lines)):
        if lines[index].strip():
            return index
    return None


def _check_characters(line: str, *, path: str, number: int) -> None:
    if line.isascii() and line.isprintable():  # the common case, checked in C
        return
    for column, char in enumerate(line, start=1):
        if char == "\t" or not (" " <= char <= "~"):
            what = _CHAR_NAMES.get(char, f"the character {char!r} (U+{ord(char):04X})")
            raise TLEFormatError(
                f"{path}: line {number}, column {column}: {what}; TLE lines hold only ASCII "
                "letters, digits, spaces and + - . (retype or re-download the line)"
            )


def _quote(text: str, limit: int = 40) -> str:
    return repr(text if len(text) <= limit else text[: limit - 1] + "…")


def _template_context(template: str, line: str, column: int | None) -> str:
    caret = "" if column is None else "\n  " + " " * (column - 1) + "^"
    return f"\n  {template}  (expected)\n  {line}{caret}"


def _check_fields(
    line: str,
    fields: Sequence[tuple[int, int, str, str, bool]],
    template: str,
    *,
    path: str,
    number: int,
    which: int,
) -> None:
    if len(line) != 69:
        raise TLEFormatError(
            f"{path}: line {number}: TLE line {which} has {len(line)} characters; expected "
            f"exactly 69" + _template_context(template, line, min(len(line), 69) + 1)
        )
    for first, last, what, pattern, is_number in fields:
        chunk = line[first - 1 : last]
        inner_space = is_number and _INNER_SPACE.search(chunk)
        if inner_space or not _compiled(pattern).fullmatch(chunk):
            columns = f"column {first}" if first == last else f"columns {first}-{last}"
            note = " (a space inside the number)" if inner_space else ""
            raise TLEFormatError(
                f"{path}: line {number}: {columns} should hold {what}, found {chunk!r}{note}"
                + _template_context(template, line, first)
            )
    expected = checksum(line)
    if int(line[68]) != expected:
        raise TLEFormatError(
            f"{path}: line {number}: checksum digit is {line[68]} but the line sums to "
            f"{expected} (modulo 10, '-' counts 1): the line is corrupted"
            + _template_context(template, line, 69)
        )


@functools.cache
def _compiled(pattern: str) -> re.Pattern[str]:
    return re.compile(pattern)


def checksum(line: str) -> int:
    """The TLE checksum of the first 68 columns: digits summed, ``-`` counts 1, modulo 10."""
    return sum(line[:68].encode("ascii", "replace").translate(_CHECKSUM_VALUES)) % 10


# Byte -> checksum value: digits their value, "-" one, everything else nothing.
_CHECKSUM_VALUES = bytes(
    (byte - 48) if 48 <= byte <= 57 else (1 if byte == 45 else 0) for byte in range(256)
)


def _catalog_number(field_text: str) -> int:
    field_text = field_text.strip()
    if field_text[0].isalpha():  # Alpha-5: A=10 ... Z=33, skipping I and O
        letters = "ABCDEFGHJKLMNPQRSTUVWXYZ"
        return (letters.index(field_text[0]) + 10) * 10000 + int(field_text[1:])
    return int(field_text)


def _element_set_from_lines(
    name: str,
    line1: str,
    line2: str,
    *,
    path: str,
    number: int,
    source: Source,
    number2: int | None = None,
) -> ElementSet:
    _check_fields(line1, _LINE1_FIELDS, LINE1_TEMPLATE, path=path, number=number, which=1)
    if number2 is None:
        number2 = number + 1
    _check_fields(line2, _LINE2_FIELDS, LINE2_TEMPLATE, path=path, number=number2, which=2)
    catalog1 = _catalog_number(line1[2:7])
    catalog2 = _catalog_number(line2[2:7])
    if catalog1 != catalog2:
        raise TLEFormatError(
            f"{path}: line {number2}: catalog number {catalog2} differs from {catalog1} on "
            f"line 1 (line {number}); expected the same number on both lines: they belong to "
            "different satellites"
        )
    day_of_year = float(line1[20:32])
    if not 1.0 <= day_of_year < 367.0:
        raise TLEFormatError(
            f"{path}: line {number}: epoch day {day_of_year} is not a day of the year "
            "(expected 1 to 366.99999999)" + _template_context(LINE1_TEMPLATE, line1, 21)
        )
    eccentricity = float("0." + line2[26:33].replace(" ", "0"))
    inclination = float(line2[8:16])
    mean_motion = float(line2[52:63])
    if not 0.0 <= inclination <= 180.0:
        raise TLEFormatError(
            f"{path}: line {number2}: inclination {inclination}° is outside 0-180°"
            + _template_context(LINE2_TEMPLATE, line2, 9)
        )
    if not 0.0 < mean_motion < 20.0 or eccentricity >= 1.0:
        raise TLEFormatError(
            f"{path}: line {number2}: mean motion {mean_motion} rev/day is not that of an "
            "Earth orbit (expected 0 to 20)" + _template_context(LINE2_TEMPLATE, line2, 53)
        )
    satrec = Satrec.twoline2rv(line1, line2, WGS72)
    if satrec.error:
        raise TLEFormatError(
            f"{path}: line {number}: SGP4 rejects this element set at its epoch (error "
            f"{satrec.error}: {SGP4_ERRORS.get(satrec.error, 'unknown')}); expected elements of "
            "an orbit above the Earth"
        )
    epoch = _epoch_of(satrec)
    return ElementSet(
        name=name or f"NORAD {catalog1}",
        norad_id=catalog1,
        epoch=epoch,
        line1=line1,
        line2=line2,
        source=source,
        path=path,
        line_number=number if not name else number - 1,
        satrec=satrec,
    )


def _epoch_of(satrec: Satrec) -> datetime:
    whole, fraction = satrec.jdsatepoch, satrec.jdsatepochF
    seconds = ((whole - 2440587.5) + fraction) * 86400.0
    base = math.floor(seconds)
    micro = round((seconds - base) * 1e6)
    return datetime.fromtimestamp(base, UTC) + timedelta(microseconds=micro)


def _parse_omm_json(text: str, *, path: str, source: Source) -> list[ElementSet]:
    from sgp4 import exporter, omm

    try:
        data = json.loads(text)
    except json.JSONDecodeError as error:
        raise TLEFormatError(
            f"{path}: line {error.lineno}, column {error.colno}: not valid JSON ({error.msg}); "
            "expected CelesTrak OMM JSON (a truncated download?)"
        ) from None
    records = data if isinstance(data, list) else [data]
    if not records:
        raise TLEFormatError(f"{path}: the OMM JSON array is empty: no element sets")
    sets: list[ElementSet] = []
    for position, record in enumerate(records):
        where = f"{path}: OMM record {position + 1}"
        if not isinstance(record, dict):
            raise TLEFormatError(f"{where}: expected a JSON object with OMM keys")
        missing = [key for key in _OMM_REQUIRED if key not in record]
        if missing:
            raise TLEFormatError(
                f"{where}: missing {', '.join(missing)}; expected CelesTrak OMM JSON keys "
                f"({', '.join(_OMM_REQUIRED)})"
            )
        fields = {key: str(value) for key, value in record.items() if value is not None}
        fields.setdefault("EPHEMERIS_TYPE", "0")
        fields.setdefault("CLASSIFICATION_TYPE", "U")
        fields.setdefault("ELEMENT_SET_NO", "999")
        fields.setdefault("REV_AT_EPOCH", "0")
        fields.setdefault("OBJECT_ID", "")
        try:
            norad_id = int(record["NORAD_CAT_ID"])
            numbers = {key: float(record[key]) for key in _OMM_REQUIRED[3:]}
            epoch_text = str(record["EPOCH"]).strip()
            epoch = datetime.fromisoformat(epoch_text.removesuffix("Z"))
            epoch = epoch.replace(tzinfo=UTC) if epoch.tzinfo is None else epoch.astimezone(UTC)
        except (TypeError, ValueError, OverflowError) as error:
            raise TLEFormatError(f"{where}: a field does not parse ({error})") from None
        fields["EPOCH"] = epoch.replace(tzinfo=None).strftime("%Y-%m-%dT%H:%M:%S.%f")
        # Integer fields go to C ints inside sgp4 (which warns and truncates out of range):
        # hold them to what a TLE can carry.
        for key, low, high in _OMM_INTEGER_RANGES:
            if key not in record or record[key] is None:
                continue
            try:
                value = int(str(record[key]))
            except ValueError:
                raise TLEFormatError(
                    f"{where}: {key} {record[key]!r} is not a whole number"
                ) from None
            if not low <= value <= high:
                raise TLEFormatError(f"{where}: {key} {value} is outside {low}..{high}")
            if key == "REV_AT_EPOCH":
                fields[key] = str(value % 100_000)
        if not all(math.isfinite(value) for value in numbers.values()):
            raise TLEFormatError(f"{where}: a numeric field is not finite")
        if not 0 < numbers["MEAN_MOTION"] < 20 or not 0 <= numbers["ECCENTRICITY"] < 1:
            raise TLEFormatError(
                f"{where}: MEAN_MOTION {numbers['MEAN_MOTION']} / ECCENTRICITY "
                f"{numbers['ECCENTRICITY']} do not describe an Earth orbit"
            )
        if not 0 <= numbers["INCLINATION"] <= 180:
            raise TLEFormatError(
                f"{where}: INCLINATION {numbers['INCLINATION']} is outside 0-180 degrees"
            )
        satrec = Satrec()
        try:
            omm.initialize(satrec, fields)
            line1, line2 = exporter.export_tle(satrec)
        except (KeyError, ValueError, TypeError, OverflowError) as error:
            raise TLEFormatError(f"{where}: SGP4 rejects the record ({error})") from None
        if satrec.error:
            raise TLEFormatError(
                f"{where}: SGP4 rejects the record at its epoch (error {satrec.error}: "
                f"{SGP4_ERRORS.get(satrec.error, 'unknown')}); expected elements of an orbit "
                "above the Earth"
            )
        # The TLE rendering is shown and may be written out: it must be a valid TLE itself
        # (a BSTAR of 1e9, say, overflows its 8 columns).
        for rendered, columns, template, which in (
            (line1, _LINE1_FIELDS, LINE1_TEMPLATE, 1),
            (line2, _LINE2_FIELDS, LINE2_TEMPLATE, 2),
        ):
            try:
                _check_fields(rendered, columns, template, path=path, number=0, which=which)
            except TLEFormatError as error:
                reason = str(error).split("\n")[0].split(": line 0: ", 1)[-1]
                raise TLEFormatError(
                    f"{where}: a value does not fit the TLE format ({reason}); expected values "
                    "of a real element set"
                ) from None
        sets.append(
            ElementSet(
                name=str(record["OBJECT_NAME"]).strip() or f"NORAD {norad_id}",
                norad_id=norad_id,
                epoch=epoch,
                line1=line1,
                line2=line2,
                source=source,
                path=path,
                line_number=None,
                satrec=satrec,
            )
        )
    return sets


# --------------------------------------------------------------------------------------------
# Choosing a set


def satellite_ids(query: str, sets: Iterable[ElementSet]) -> int:
    """The NORAD number that ``--satellite`` names: an alias, a number, or part of a name."""
    text = " ".join(query.strip().lower().split())
    if not text:
        raise UsageError("--satellite is empty; give a name such as tiangong or iss, or a number")
    if text in SATELLITE_ALIASES:
        return SATELLITE_ALIASES[text]
    if text.isascii() and text.isdigit():
        return int(text)
    names: dict[int, str] = {}
    for element_set in sets:
        names.setdefault(element_set.norad_id, element_set.name)
    matches = sorted({nid for nid, name in names.items() if text in name.lower()})
    if len(matches) == 1:
        return matches[0]
    known = ", ".join(sorted({*SATELLITE_ALIASES, *(n.lower() for n in names.values())}))
    if not matches:
        raise UsageError(f"unknown satellite '{query}'; known: {known}, or a NORAD number")
    listed = ", ".join(f"{names[m]} ({m})" for m in matches)
    raise UsageError(f"satellite '{query}' is ambiguous: {listed}; give the NORAD number")


def sets_for(sets: Iterable[ElementSet], norad_id: int) -> list[ElementSet]:
    """The sets of one satellite, oldest epoch first, one per distinct epoch."""
    chosen: dict[datetime, ElementSet] = {}
    for element_set in sets:
        if element_set.norad_id == norad_id and element_set.epoch not in chosen:
            chosen[element_set.epoch] = element_set
    return [chosen[epoch] for epoch in sorted(chosen)]


def nearest_set(sets: Sequence[ElementSet], norad_id: int, at: datetime) -> ElementSet:
    """Among the sets of ``norad_id``, the one whose epoch is nearest ``at`` (DESIGN.md)."""
    candidates = sets_for(sets, norad_id)
    if not candidates:
        raise NoElementSetError(
            f"no element set for NORAD {norad_id} in the data; fetch one with "
            "'tiangong-orbit tle update' or give --tle FILE"
        )
    return min(
        candidates, key=lambda s: (abs((at - s.epoch).total_seconds()), -s.epoch.timestamp())
    )


def nearest_segments(
    sets: Sequence[ElementSet], norad_id: int, start: datetime, end: datetime
) -> list[tuple[ElementSet, datetime, datetime]]:
    """Split ``[start, end)`` into the stretches where each set of ``norad_id`` is the nearest.

    Returns ``(set, stretch start, stretch end)`` in time order; the boundaries are the
    midpoints between consecutive epochs, where the newer set takes over (as in
    :func:`nearest_set`). A window inside the history is thus computed, pass by pass, from the
    set nearest each pass (DESIGN.md), across reboosts.
    """
    candidates = sets_for(sets, norad_id)
    if not candidates:
        nearest_set(candidates, norad_id, start)  # raises NoElementSetError
    stretches: list[tuple[ElementSet, datetime, datetime]] = []
    for index, element_set in enumerate(candidates):
        low = (
            start
            if index == 0
            else max(
                start, element_set.epoch - (element_set.epoch - candidates[index - 1].epoch) / 2
            )
        )
        high = (
            end
            if index == len(candidates) - 1
            else min(end, element_set.epoch + (candidates[index + 1].epoch - element_set.epoch) / 2)
        )
        if low < high:
            stretches.append((element_set, low, high))
    return stretches


# --------------------------------------------------------------------------------------------
# Staleness (DESIGN.md table)

FRESH_DAYS = 3.0
APPROXIMATE_DAYS = 14.0
REFUSE_DAYS = 60.0


@dataclass(frozen=True, slots=True)
class Staleness:
    """How old a set is for the time asked, and what to tell the user (warnings, no printing)."""

    age_days: float
    warnings: tuple[str, ...]


def check_staleness(
    element_set: ElementSet,
    at: datetime,
    *,
    newest: datetime | None = None,
    for_alert: bool = False,
    allow_stale: bool = False,
    file_given: bool = False,
) -> Staleness:
    """Apply the staleness table of DESIGN.md to ``element_set`` used at time ``at``.

    Returns the age and the warnings to print; raises :class:`StaleDataError` (exit 3) where the
    table refuses and ``allow_stale`` is false. ``newest`` is the newest epoch available for
    the satellite, named in the messages.
    """
    from tiangong_orbit.uncertainty import describe_error

    age = element_set.age_days(at)
    direction = "before" if element_set.epoch <= at else "after"
    what = (
        f"the element set for {element_set.name} is {_age_words(age)} old (epoch "
        f"{element_set.epoch:%Y-%m-%d %H:%M} UTC, {age:.1f} days {direction} the time asked)"
    )
    hint = "give a newer one with --tle FILE" if file_given else "run 'tiangong-orbit tle update'"
    newest_note = ""
    if newest is not None and not file_given:
        newest_note = f"; the newest set available is from {newest:%Y-%m-%d}"
    if age <= FRESH_DAYS:
        return Staleness(age, ())
    if age <= APPROXIMATE_DAYS:
        return Staleness(age, (f"{what}: {describe_error(age)}",))
    refuse = age > REFUSE_DAYS or (for_alert and age > APPROXIMATE_DAYS)
    if refuse and not allow_stale:
        limit = "14 days for alerts" if for_alert and age <= REFUSE_DAYS else "60 days"
        raise StaleDataError(
            f"{what}, over the {limit} limit: predictions would be wrong by "
            f"{describe_error(age, short=True)}{newest_note}; {hint}, or pass --allow-stale"
        )
    return Staleness(
        age,
        (
            f"{what}: predicted times are approximate ({describe_error(age, short=True)})"
            f"{newest_note}; {hint}",
        ),
    )


def _age_words(age_days: float) -> str:
    if age_days < 2:
        return f"{age_days * 24:.0f} hours"
    return f"{age_days:.0f} days"


# --------------------------------------------------------------------------------------------
# Where sets come from (DESIGN.md): --tle FILE, else the bundled files plus the user cache


@dataclass(frozen=True, slots=True)
class Catalog:
    """Every element set available, and warnings met while reading them (broken cache files)."""

    sets: tuple[ElementSet, ...]
    warnings: tuple[str, ...] = ()
    file_given: bool = False

    def newest_epoch(self, norad_id: int) -> datetime | None:
        """The newest epoch available for ``norad_id``, or ``None``."""
        epochs = [s.epoch for s in self.sets if s.norad_id == norad_id]
        return max(epochs) if epochs else None


def bundled_files() -> list[Path]:
    """The element-set files shipped with the package (``data/tle/*.tle`` and ``*.json``)."""
    from tiangong_orbit.resources import data_path

    folder = data_path("tle")
    return sorted([*folder.glob("*.tle"), *folder.glob("*.json")])


def load_catalog(tle_file: str | Path | None = None) -> Catalog:
    """Load ``tle_file`` alone, or the bundled sets plus the user cache (DESIGN.md).

    A broken bundled file is an error (exit 3); a broken cache file is a warning and is skipped,
    so that a bad download can never stop predictions from the bundled data.
    """
    if tle_file is not None:
        return Catalog(tuple(parse_file(tle_file, source="file")), (), True)
    from tiangong_orbit.paths import tle_cache_dir

    sets: list[ElementSet] = []
    for path in bundled_files():
        sets.extend(parse_file(path, source="bundled"))
    warnings: list[str] = []
    folder = tle_cache_dir()
    cached = sorted([*folder.glob("*.tle"), *folder.glob("*.json")]) if folder.is_dir() else []
    for path in cached:
        try:
            sets.extend(parse_file(path, source="cache"))
        except (TLEFormatError, UsageError) as error:
            warnings.append(f"ignoring the broken cache file {path}: {error}".split("\n")[0])
    return Catalog(dedupe_sets(sets), tuple(warnings), False)


#: A set dated later than the time it was fetched by more than this is not a real element set
#: (a fit to past observations): refused by downloads, ignored when choosing whether to refresh.
MAX_EPOCH_AHEAD = timedelta(hours=6)

#: The automatic refresh fetches when the newest set is older than the latest time a command
#: needs by more than this (issue 10: 24 hours).
REFRESH_AFTER = timedelta(hours=24)

#: Two sets of one satellite whose epochs differ by less than this are one set: CelesTrak
#: re-issues an element set with epochs that differ by rounding (2e-7 day, about 17 ms, as in
#: data/tle/SOURCES.md), and the same set may sit in several files (a history and the latest
#: sets, the bundled data and the cache).
SAME_EPOCH = timedelta(days=2e-7)


def dedupe_sets(sets: Iterable[ElementSet]) -> tuple[ElementSet, ...]:
    """``sets`` with each element set kept once: the first one met of every group of sets of
    one satellite whose epochs lie within :data:`SAME_EPOCH` of each other (so the bundled copy
    wins over the cached one). Order is kept."""
    listed = list(sets)
    order = sorted(range(len(listed)), key=lambda i: (listed[i].norad_id, listed[i].epoch, i))
    keep: set[int] = set()
    group: list[int] = []
    for index in order:
        first = listed[group[0]] if group else None
        current = listed[index]
        if (
            first is not None
            and first.norad_id == current.norad_id
            and current.epoch - first.epoch <= SAME_EPOCH
        ):
            group.append(index)
            continue
        if group:
            keep.add(min(group))  # the one met first in the input
        group = [index]
    if group:
        keep.add(min(group))
    return tuple(s for i, s in enumerate(listed) if i in keep)
