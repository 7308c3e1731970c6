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
from typing import Any, Literal, NamedTuple

from sgp4.api import SGP4_ERRORS, WGS72, Satrec

from tiangong_orbit.errors import NoElementSetError, StaleDataError, TLEFormatError, UsageError

TIANGONG_NORAD_ID = 48274
ISS_NORAD_ID = 25544
#: When each station's first module reached orbit: no element set can describe it before.
#: Tianhe, Long March 5B from Wenchang; Zarya, Proton-K from Baikonur (launch records).
LAUNCHES: dict[int, tuple[datetime, str]] = {
    TIANGONG_NORAD_ID: (
        datetime(2021, 4, 29, 3, 23, 15, tzinfo=UTC),
        "Tiangong's first module, Tianhe, was launched",
    ),
    ISS_NORAD_ID: (
        datetime(1998, 11, 20, 6, 40, tzinfo=UTC),
        "the ISS's first module, Zarya, was launched",
    ),
}

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
# Patterns are compiled on first use (see _compiled): most runs never need these, and compiling
# them all at import cost every start 0.3 ms.
_INNER_SPACE = r"\S +\S"

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

#: The highest catalog number a TLE can carry (Alpha-5 ``Z9999``).
_TLE_MAX_CATALOG = 339_999

# (key, lowest, highest) of the OMM integer fields.
_OMM_INTEGER_RANGES = (
    ("NORAD_CAT_ID", 1, 999_999_999),  # OMM: nine digits; a TLE: up to 339999 (Alpha-5)
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
    #: SGP4's record of the set, or ``None`` for one made from the TLE lines when :attr:`satrec`
    #: is first read: the catalog index rebuilds its thousands of sets so (3 µs each, 7 ms for
    #: the bundled data), and a command propagates a few of them.
    record: Satrec | None = field(repr=False, compare=False, default=None)

    @property
    def satrec(self) -> Satrec:
        """SGP4's record of the set (WGS72 constants, as the elements were fitted with)."""
        if self.record is None:
            # Frozen: the record is a cache of what the lines say, not a change of the set.
            object.__setattr__(self, "record", Satrec.twoline2rv(self.line1, self.line2, WGS72))
        return self.record  # type: ignore[return-value]

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
            self.record,
        )


# --------------------------------------------------------------------------------------------
# Parsing

#: The most bytes read from one element-set file. An OMM JSON record is under 1 KB and a 3LE
#: set under 200 bytes, so this holds some 65,000 sets, more than the whole public catalogue; a
#: bigger file is not one (``/dev/zero``, a disk image, a log): refuse it rather than read on
#: until memory runs out.
MAX_FILE_BYTES = 64 * 1024 * 1024

#: How many skipped records of other satellites are named one by one, before a count.
_BAD_RECORDS_NAMED = 5

_GP_NOT_UPDATED = "has not updated since your last successful download"
_TITLE = r"(?i)<title[^>]*>([^<]{1,200})</title>"


class BadRecord(NamedTuple):
    """One record of a file that is not a valid element set, and why.

    ``norad_id`` is the catalog number when it can still be read from the record (``None``
    when it cannot); ``position`` is its line (TLE, OMM KVN/CSV) or record number (OMM
    JSON/XML), for ordering; ``error`` names the file, the place and what was expected.

    This record, :class:`ParsedText`, :class:`Staleness` and :class:`Catalog` are named tuples
    rather than dataclasses: results a command makes and reads, never compares or changes,
    and each dataclass would cost 0.5 ms of every start to define (generating its methods).
    """

    norad_id: int | None
    name: str
    position: int
    error: TLEFormatError

    def describe(self) -> str:
        """The record's satellite in words: ``'ISS (ZARYA)' (NORAD 25544)``."""
        who = f"{self.name!r} " if self.name else ""
        number = (
            f"NORAD {self.norad_id}" if self.norad_id is not None else "catalog number unreadable"
        )
        return f"{who}({number})"


class ParsedText(NamedTuple):
    """Everything :func:`read_text` found in one text.

    ``sets`` are the valid element sets in file order; ``bad`` the records that are not valid
    (see :class:`BadRecord`); ``ignored`` the lines of other text (a bulletin's prose, a stray
    name), each with the error a strict reading reports for it; ``kind`` the format found
    (``"tle"``, ``"omm-json"``, ``"omm-xml"``, ``"omm-kvn"``, ``"omm-csv"``).
    """

    sets: list[ElementSet]
    bad: list[BadRecord]
    ignored: list[tuple[int, TLEFormatError]]
    kind: str
    path: str

    def first_problem(self) -> TLEFormatError | None:
        """The error of the first bad record or ignored line, by position; ``None`` if clean."""
        problems = [(bad.position, bad.error) for bad in self.bad] + list(self.ignored)
        return min(problems, key=lambda item: item[0])[1] if problems else None

    def notes(self) -> list[str]:
        """One-line warnings about the ignored lines (none when there are none)."""
        if not self.ignored:
            return []
        numbers = [number for number, _ in self.ignored]
        return [
            f"{self.path}: ignored {len(numbers)} line(s) of text that are not element sets "
            f"({_ranges(numbers)}), as in a bulletin's header; only the sets were read"
        ]


def parse_text(text: str, *, path: str = "<text>", source: Source = "file") -> list[ElementSet]:
    """Parse element-set text strictly: every record must be valid and nothing else present.

    Accepts TLE (2-line), 3LE (name + 2 lines), CelesTrak OMM JSON and the CCSDS OMM XML, KVN
    and CelesTrak CSV forms (see :func:`read_text`). Raises :class:`TLEFormatError` naming
    ``path``, the line or record, and what was expected, for the first problem.
    """
    parsed = read_text(text, path=path, source=source)
    problem = parsed.first_problem()
    if problem is not None:
        raise problem
    return parsed.sets


def read_text(text: str, *, path: str = "<text>", source: Source = "file") -> ParsedText:
    """Read every element set in ``text``, keeping the records that are not valid apart.

    The format is recognised from the text: OMM JSON (``[`` or ``{``), OMM XML (``<ndm>`` or
    ``<omm>``), OMM KVN (``CCSDS_OMM_VERS = ...``), CelesTrak's OMM CSV (a header with
    ``OBJECT_NAME`` and ``EPOCH``), else TLE/3LE lines, where lines of other text (a
    bulletin's prose) are set apart in :attr:`ParsedText.ignored`. CRLF, trailing spaces, a
    byte-order mark and CelesTrak's ``0 `` name prefix are accepted. A name that begins like a
    TLE line (``2 PATHFINDER``) is a name when a line 1 and a line 2 follow it.

    Raises :class:`TLEFormatError` when the text as a whole is not element sets (empty, an HTML
    page, CelesTrak's "No GP data found" or "has not updated" notice, JSON that does not parse
    or is nested too deep, prose alone) or holds no readable record at all.
    """
    if text.startswith("\ufeff"):
        text = text[1:]
    stripped = text.strip()
    if not stripped:
        raise TLEFormatError(f"{path}: the file is empty; expected TLE lines or OMM JSON")
    first_line = text[: len(text) - len(text.lstrip())].count("\n") + 1
    head = stripped[:2000]
    if stripped[0] in "[{":
        parsed = _read_omm_json(text, path=path, source=source)
    elif stripped[0] == "<":
        parsed = _read_omm_xml(text, head, first_line, path=path, source=source)
    elif head.startswith("CCSDS_OMM_VERS"):
        parsed = _read_omm_kvn(text, path=path, source=source)
    elif _is_omm_csv_header(head.split("\n", 1)[0]):
        parsed = _read_omm_csv(text, path=path, source=source)
    else:
        lowered = head.lower()
        if lowered.startswith("no gp data found"):
            raise TLEFormatError(
                f"{path}: line {first_line}: the source answered 'No GP data found': no element "
                "sets; expected TLE lines or OMM JSON (is the NORAD number right?)"
            )
        if _GP_NOT_UPDATED in lowered[:300]:
            raise TLEFormatError(
                f"{path}: line {first_line}: this is CelesTrak's notice "
                f"{_quote(stripped.split(chr(10), 1)[0], 60)}, not element sets (CelesTrak sends "
                "it instead of the data when the same data is asked for again before it changes); "
                "use the file of the earlier download, or download again in two hours"
            )
        if "<html" in lowered or "<!doctype html" in lowered:
            raise _html_error(head, first_line, path)
        parsed = _read_tle_lines(text, path=path, source=source)
    if not parsed.sets and not parsed.bad:
        if parsed.kind == "tle" and len(parsed.ignored) > 1:
            raise TLEFormatError(
                f"{path}: no element sets in {len(parsed.ignored)} lines of text (it begins "
                f"{_quote(stripped.split(chr(10), 1)[0].strip(), 50)}); expected TLE lines "
                "(1 ... and 2 ...) or OMM JSON, XML, KVN or CSV"
            )
        problem = parsed.first_problem()
        if problem is not None:
            raise problem
        raise TLEFormatError(f"{path}: no element sets found; expected TLE lines or OMM JSON")
    return parsed


def _html_error(head: str, first_line: int, path: str) -> TLEFormatError:
    title = _compiled(_TITLE).search(head)
    named = f" ({_quote(' '.join(title.group(1).split()), 60)})" if title else ""
    return TLEFormatError(
        f"{path}: line {first_line}: this is an HTML page{named}, not element sets; expected "
        "TLE lines or OMM JSON (a download that returned an error or login page?)"
    )


def _ranges(numbers: Sequence[int], limit: int = 4) -> str:
    """``lines 1-14, 60`` from sorted line numbers (the first ``limit`` runs, then ``…``)."""
    runs: list[list[int]] = []
    for number in numbers:
        if runs and number == runs[-1][1] + 1:
            runs[-1][1] = number
        else:
            runs.append([number, number])
    shown = [f"{a}" if a == b else f"{a}-{b}" for a, b in runs[:limit]]
    more = ", …" if len(runs) > limit else ""
    return ("line " if len(numbers) == 1 else "lines ") + ", ".join(shown) + more


def read_bytes_limited(path: str | Path, *, what: str) -> bytes:
    """The bytes of ``path``, at most :data:`MAX_FILE_BYTES`; ``what`` names the expected content.

    Raises :class:`UsageError` (exit 2) when the file is missing, a directory or unreadable,
    and :class:`TLEFormatError` (exit 3) when it is larger than the limit.
    """
    from tiangong_orbit.fileio import FileTooLargeError, read_limited

    try:
        return read_limited(path, limit_bytes=MAX_FILE_BYTES, what=what)
    except FileTooLargeError as error:
        raise TLEFormatError(str(error)) from None


def parse_file(path: str | Path, *, source: Source = "file") -> list[ElementSet]:
    """Read and parse one element-set file strictly (UTF-8); see :func:`parse_text`."""
    return _strict(read_file(path, source=source))


def _strict(parsed: ParsedText) -> list[ElementSet]:
    problem = parsed.first_problem()
    if problem is not None:
        raise problem
    return parsed.sets


# Files people save by mistake instead of the element sets inside them (first bytes).
_BINARY_KINDS = (
    (b"\x1f\x8b", "a gzip-compressed file"),
    (b"PK\x03\x04", "a ZIP archive"),
    (b"%PDF-", "a PDF document"),
    (b"\xd0\xcf\x11\xe0", "an old Microsoft Office document"),
    (b"SQLite format 3\x00", "an SQLite database"),
)


def read_file(path: str | Path, *, source: Source = "file") -> ParsedText:
    """Read one element-set file (UTF-8, at most :data:`MAX_FILE_BYTES`); see :func:`read_text`.

    Raises :class:`UsageError` when the file cannot be read, :class:`TLEFormatError` when it is
    too large, not text, or not element sets at all.
    """
    file_path = Path(path)
    data = read_bytes_limited(file_path, what="a TLE or OMM file")
    for magic, kind in _BINARY_KINDS:
        if data.startswith(magic):
            raise TLEFormatError(
                f"{file_path}: this is {kind}, not element sets; expected TLE lines or OMM text "
                "(extract or export the element sets first)"
            )
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as error:
        line_number = data[: error.start].count(b"\n") + 1
        raise TLEFormatError(
            f"{file_path}: line {line_number}: byte 0x{data[error.start]:02X} is not text "
            "(UTF-8/ASCII); expected TLE lines or OMM JSON"
        ) from None
    return read_text(text, path=str(file_path), source=source)


def _shaped(line: str, digit: str) -> bool:
    """Whether ``line`` looks like TLE line ``digit`` ("1" or "2"): the digit, then a space."""
    return line[:1] == digit and (len(line) == 1 or line[1].isspace() or line[1] == "\u200b")


def _readable_catalog(*lines: str) -> int | None:
    """The catalog number in columns 3-7 of the first of ``lines`` that holds a valid one."""
    for line in lines:
        chunk = line[2:7]
        if len(chunk) == 5 and _compiled(_CATALOG).fullmatch(chunk) and " " not in chunk.strip():
            return _catalog_number(chunk)
    return None


def _name_of(line: str) -> str:
    name = line.strip()
    return name[2:].strip() if name.startswith("0 ") else name


def _read_tle_lines(text: str, *, path: str, source: Source) -> ParsedText:
    """TLE/3LE lines, each record read on its own (see :func:`read_text`).

    A line that is neither a TLE line nor the name before one is other text; a TLE-shaped line
    without its partner (line 1 with no line 2 after it, line 2 alone) is a bad record.
    """
    content = [
        (number, raw.rstrip("\r").rstrip(" "))
        for number, raw in enumerate(text.split("\n"), start=1)
        if raw.strip()
    ]
    sets: list[ElementSet] = []
    bad: list[BadRecord] = []
    ignored: list[tuple[int, TLEFormatError]] = []
    count = len(content)
    index = 0
    while index < count:
        number, raw = content[index]
        following = content[index + 1][1] if index + 1 < count else ""
        after = content[index + 2][1] if index + 2 < count else ""
        if _shaped(raw, "1") and _shaped(following, "2"):
            name_line, line1_at, taken = None, index, 2
        elif _shaped(following, "1") and _shaped(after, "2"):
            name_line, line1_at, taken = (number, _name_of(raw)), index + 1, 3
        elif _shaped(raw, "1") or _shaped(raw, "2"):
            bad.append(_stray(raw, number, content, index, None, path=path))
            index += 1
            continue
        elif _shaped(following, "1") or _shaped(following, "2"):
            name = _name_of(raw)
            bad.append(_stray(following, number, content, index + 1, name, path=path))
            index += 2
            continue
        else:
            ignored.append(_ignored_error(raw, number, content, index, path=path))
            index += 1
            continue
        (n1, line1), (n2, line2) = content[line1_at], content[line1_at + 1]
        name = name_line[1] if name_line else ""
        try:
            if name_line:
                _check_characters(raw, path=path, number=number)
            _check_characters(line1, path=path, number=n1)
            _check_characters(line2, path=path, number=n2)
            element_set = _element_set_from_lines(
                name, line1, line2, path=path, number=n1, source=source, number2=n2
            )
        except TLEFormatError as error:
            norad_id = _readable_catalog(line1, line2)
            if norad_id is None and not any(char.isdigit() for char in line1[2:7] + line2[2:7]):
                # No satellite at all: text shaped like TLE lines, such as the key an AMSAT
                # bulletin prints above its sets ("1 AAAAAU 00  0  0 BBBBB.BBB...").
                if name_line:
                    ignored.append((number, error))
                ignored.extend([(n1, error), (n2, error)])
            else:
                bad.append(BadRecord(norad_id, name, number, error))
        else:
            if element_set.line_number != number:
                element_set = replace(element_set, line_number=number)
            sets.append(element_set)
        index += taken
    return ParsedText(sets, bad, ignored, "tle", path)


def _stray(
    line: str,
    name_number: int,
    content: Sequence[tuple[int, str]],
    index: int,
    name: str | None,
    *,
    path: str,
) -> BadRecord:
    """The bad record of a TLE-shaped line without its partner (at ``content[index]``)."""
    number = content[index][0]
    if _shaped(line, "1"):
        if index + 1 >= len(content):
            message = (
                f"{path}: line {number}: TLE line 1 is not followed by a line 2; expected "
                "line 2 of the set (the file ends here: truncated?)"
            )
        else:
            next_number, next_line = content[index + 1]
            message = (
                f"{path}: line {next_number}: expected TLE line 2 after line 1 "
                f"(line {number}), found {_quote(next_line)}"
            )
    else:
        message = (
            f"{path}: line {number}: TLE line 2 without a line 1 before it "
            "(lines out of order?); expected line 1 first"
        )
    return BadRecord(_readable_catalog(line), name or "", name_number, TLEFormatError(message))


def _ignored_error(
    raw: str, number: int, content: Sequence[tuple[int, str]], index: int, *, path: str
) -> tuple[int, TLEFormatError]:
    """The error a strict reading reports for a line of other text."""
    name = _name_of(raw)
    if index + 1 >= len(content):
        return number, TLEFormatError(
            f"{path}: line {number}: the name {_quote(name)} is not followed by TLE lines "
            "(truncated?)"
        )
    next_number, next_line = content[index + 1]
    return number, TLEFormatError(
        f"{path}: line {next_number}: expected TLE line 1 after the name {_quote(name)} on "
        f"line {number}, found {_quote(next_line)}"
    )


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
    whole_line, number_columns = _line_checker(tuple(fields))
    clean = whole_line.fullmatch(line) is not None and not any(
        " " in line[low:high].strip() for low, high in number_columns
    )
    for first, last, what, pattern, is_number in () if clean else fields:
        chunk = line[first - 1 : last]
        inner_space = is_number and _compiled(_INNER_SPACE).search(chunk)
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


@functools.cache
def _line_checker(
    fields: tuple[tuple[int, int, str, str, bool], ...],
) -> tuple[re.Pattern[str], tuple[tuple[int, int], ...]]:
    """One pattern for the whole line, equivalent to every field's own (the fast path: only a
    line it refuses is checked field by field, to name the field), and the number fields'
    column slices. A field's "holds a digit" look-ahead is bounded to the field's width."""
    parts = [
        "(?:" + pattern.replace("(?=.*[0-9])", f"(?=.{{0,{last - first}}}[0-9])") + ")"
        for first, last, _what, pattern, _is_number in fields
    ]
    numbers = tuple((first - 1, last) for first, last, _w, _p, is_number in fields if is_number)
    return re.compile("".join(parts)), numbers


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
    # Two-digit years 57-99 are 1957-1999, 00-56 are 2000-2056 (AIAA 2006-6753). Day 1.0 is
    # 1 January 00:00; day 0 (which some converters write for 31 December of the year before)
    # and day 366 of a common year are refused, not moved into another year (README).
    two_digit_year = int(line1[18:20])
    year = two_digit_year + (1900 if two_digit_year >= 57 else 2000)
    days_in_year = _days_in_year(year)
    if not 1.0 <= day_of_year < days_in_year + 1:
        common = "" if days_in_year == 366 else f", {year} being a common year"
        raise TLEFormatError(
            f"{path}: line {number}: epoch day {day_of_year} is not a day of {year} (expected "
            f"1 to {days_in_year}.99999999{common}; 1 January is day 1)"
            + _template_context(LINE1_TEMPLATE, line1, 21)
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
        record=satrec,
    )


def _days_in_year(year: int) -> int:
    """365, or 366 in a leap year of the Gregorian calendar."""
    return 366 if year % 4 == 0 and (year % 100 != 0 or year % 400 == 0) else 365


def _epoch_of(satrec: Satrec) -> datetime:
    whole, fraction = satrec.jdsatepoch, satrec.jdsatepochF
    seconds = ((whole - 2440587.5) + fraction) * 86400.0
    base = math.floor(seconds)
    micro = round((seconds - base) * 1e6)
    return datetime.fromtimestamp(base, UTC) + timedelta(microseconds=micro)


# OMM: CelesTrak JSON, CCSDS XML and KVN, CelesTrak CSV. One record reader for all four.

_ORDINAL_EPOCH = r"(?a)(\d{4})-(\d{3})T(\d{2}):(\d{2}):(\d{2})(\.\d+)?(?:Z|[+-]00:?00)?"


def omm_epoch(text: str) -> datetime:
    """The aware UTC epoch of an OMM ``EPOCH`` value.

    Calendar form (``2026-10-06T16:02:50.305Z``) or day-of-year form (``2026-279T16:02:50``,
    CCSDS 502.0-B-3 §7.5.10), with or without ``Z``; no offset means UTC. Raises
    :class:`ValueError` for a day or time that does not exist (day 366 of a common year).
    """
    text = text.strip()
    ordinal = _compiled(_ORDINAL_EPOCH).fullmatch(text)
    if ordinal is not None:
        year, day = int(ordinal[1]), int(ordinal[2])
        days_in_year = _days_in_year(year)
        if not 1 <= day <= days_in_year:
            raise ValueError(f"day {day} of {year} does not exist (1 to {days_in_year})")
        hour, minute, second = int(ordinal[3]), int(ordinal[4]), int(ordinal[5])
        if hour > 23 or minute > 59 or second > 59:
            raise ValueError(f"time {hour:02d}:{minute:02d}:{second:02d} does not exist")
        fraction = float("0" + ordinal[6]) if ordinal[6] else 0.0
        return datetime(year, 1, 1, tzinfo=UTC) + timedelta(
            days=day - 1, hours=hour, minutes=minute, seconds=second + fraction
        )
    epoch = datetime.fromisoformat(text.removesuffix("Z"))
    return epoch.replace(tzinfo=UTC) if epoch.tzinfo is None else epoch.astimezone(UTC)


def _omm_sets(
    records: Iterable[tuple[int, str, Any, str | None]], *, path: str, source: Source, kind: str
) -> ParsedText:
    """Read each ``(position, where, record, problem)``; a record that fails (or came with a
    ``problem`` from its reader) becomes a :class:`BadRecord`."""
    sets: list[ElementSet] = []
    bad: list[BadRecord] = []
    for position, where, record, problem in records:
        try:
            if problem is not None:
                raise TLEFormatError(problem)
            keys = "CelesTrak OMM JSON keys" if kind == "omm-json" else "OMM keys"
            sets.append(_omm_set(record, where=where, path=path, source=source, keys=keys))
        except TLEFormatError as error:
            norad_id: int | None = None
            name = ""
            if isinstance(record, dict):
                try:
                    norad_id = int(str(record.get("NORAD_CAT_ID")).strip())
                except ValueError:
                    norad_id = None
                name = str(record.get("OBJECT_NAME") or "").strip()
            bad.append(BadRecord(norad_id, name, position, error))
    return ParsedText(sets, bad, [], kind, path)


def _omm_set(
    record: Any, *, where: str, path: str, source: Source, keys: str = "OMM keys"
) -> ElementSet:
    """One OMM record (a mapping of OMM keys to values or their text) as an element set;
    ``keys`` names the expected keys in messages."""
    from sgp4 import exporter, omm

    if not isinstance(record, dict):
        raise TLEFormatError(f"{where}: expected a JSON object with OMM keys")
    record = {key: value for key, value in record.items() if value is not None and value != ""}
    missing = [key for key in _OMM_REQUIRED if key not in record]
    if missing:
        raise TLEFormatError(
            f"{where}: missing {', '.join(missing)}; expected {keys} ({', '.join(_OMM_REQUIRED)})"
        )
    fields = {key: str(value) for key, value in record.items() if isinstance(key, str)}
    fields.setdefault("EPHEMERIS_TYPE", "0")
    fields.setdefault("CLASSIFICATION_TYPE", "U")
    fields.setdefault("ELEMENT_SET_NO", "999")
    fields.setdefault("REV_AT_EPOCH", "0")
    fields.setdefault("OBJECT_ID", "")
    try:
        norad_id = int(str(record["NORAD_CAT_ID"]).strip())
        numbers = {key: float(str(record[key])) for key in _OMM_REQUIRED[3:]}
        epoch = omm_epoch(str(record["EPOCH"]))
    except (TypeError, ValueError, OverflowError) as error:
        raise TLEFormatError(f"{where}: a field does not parse ({error})") from None
    fields["EPOCH"] = epoch.replace(tzinfo=None).strftime("%Y-%m-%dT%H:%M:%S.%f")
    # Integer fields go to C ints inside sgp4 (which warns and truncates out of range):
    # hold them to what the formats allow.
    for key, low, high in _OMM_INTEGER_RANGES:
        if key not in record:
            continue
        try:
            value = int(str(record[key]).strip())
        except ValueError:
            raise TLEFormatError(f"{where}: {key} {record[key]!r} is not a whole number") from None
        if not low <= value <= high:
            raise TLEFormatError(f"{where}: {key} {value} is outside {low}..{high}")
        fields[key] = str(value % 100_000 if key == "REV_AT_EPOCH" else value)
    # A TLE holds catalog numbers up to 339999 (Alpha-5); OMM has no such limit, and SGP4 does
    # not use the number: propagate beyond it under a placeholder, with no TLE rendering.
    beyond_tle = norad_id > _TLE_MAX_CATALOG
    if beyond_tle:
        fields["NORAD_CAT_ID"] = "0"
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
    return ElementSet(
        name=str(record["OBJECT_NAME"]).strip() or f"NORAD {norad_id}",
        norad_id=norad_id,
        epoch=epoch,
        line1="" if beyond_tle else line1,
        line2="" if beyond_tle else line2,
        source=source,
        path=path,
        line_number=None,
        record=satrec,
    )


def _read_omm_json(text: str, *, path: str, source: Source) -> ParsedText:
    try:
        data = json.loads(text)
    except json.JSONDecodeError as error:
        raise TLEFormatError(
            f"{path}: line {error.lineno}, column {error.colno}: not valid JSON ({error.msg}); "
            "expected CelesTrak OMM JSON (a truncated download?)"
        ) from None
    except RecursionError:
        raise TLEFormatError(
            f"{path}: the JSON is nested deeper than any OMM (arrays or objects inside one "
            "another thousands of times); expected CelesTrak OMM JSON: a list of flat objects"
        ) from None
    records = data if isinstance(data, list) else [data]
    if not records:
        raise TLEFormatError(f"{path}: the OMM JSON array is empty: no element sets")
    return _omm_sets(
        ((n, f"{path}: OMM record {n}", r, None) for n, r in enumerate(records, start=1)),
        path=path,
        source=source,
        kind="omm-json",
    )


def _local(tag: object) -> str:
    return tag.rsplit("}", 1)[-1] if isinstance(tag, str) else ""


def _read_omm_xml(
    text: str, head: str, first_line: int, *, path: str, source: Source
) -> ParsedText:
    """CCSDS OMM XML (``<ndm><omm>…<segment>``), as CelesTrak and Space-Track serve it.

    Every leaf element of a ``<segment>`` (metadata, mean elements, TLE parameters) is a field,
    as in python-sgp4's ``sgp4.omm.parse_xml``; unlike it, a segment missing a part is one bad
    record rather than the end of the file.
    """
    import xml.etree.ElementTree as ElementTree

    lowered = head.lower()
    if "<html" in lowered or "<!doctype html" in lowered:
        raise _html_error(head, first_line, path)
    try:
        root = ElementTree.fromstring(text.encode("utf-8"))
    except ElementTree.ParseError as error:
        line, column = error.position
        raise TLEFormatError(
            f"{path}: line {line}, column {column + 1}: not valid XML "
            f"({str(error).split(':', 1)[0]}); expected CCSDS OMM XML (a truncated download?)"
        ) from None
    except RecursionError:
        raise TLEFormatError(
            f"{path}: the XML is nested deeper than any OMM; expected CCSDS OMM XML"
        ) from None
    segments = [element for element in root.iter() if _local(element.tag) == "segment"]
    if not segments:
        raise TLEFormatError(
            f"{path}: line {first_line}: this is XML with a <{_local(root.tag)}> root but no OMM "
            "<segment>, not element sets; expected CCSDS OMM XML (<ndm><omm>…) or TLE lines"
        )
    records = []
    for number, segment in enumerate(segments, start=1):
        fields: dict[str, str] = {}
        for element in segment.iter():
            if len(element) == 0 and element is not segment:
                fields.setdefault(_local(element.tag), (element.text or "").strip())
        records.append((number, f"{path}: OMM segment {number}", fields, None))
    return _omm_sets(records, path=path, source=source, kind="omm-xml")


_KVN_MARKERS = frozenset(
    {"META_START", "META_STOP", "DATA_START", "DATA_STOP", "COVARIANCE_START", "COVARIANCE_STOP"}
)
_KVN_UNITS = r"\s*\[[^\]]*\]\s*$"


def _read_omm_kvn(text: str, *, path: str, source: Source) -> ParsedText:
    """CCSDS OMM KVN (``KEY = value [unit]`` lines), as Space-Track serves it; each
    ``CCSDS_OMM_VERS`` line starts a record."""
    records: list[tuple[int, str, Any, str | None]] = []
    current: dict[str, str] = {}
    problem: str | None = None
    start = 0
    for number, raw in enumerate(text.split("\n"), start=1):
        line = raw.strip()
        if not line or line.startswith("COMMENT") or line in _KVN_MARKERS:
            continue
        key, equals, value = line.partition("=")
        key = key.strip().upper()
        if key == "CCSDS_OMM_VERS":
            if start:
                records.append((start, f"{path}: line {start}: OMM", current, problem))
            current, problem, start = {}, None, number
            continue
        if not equals or not key or " " in key:
            problem = problem or (
                f"{path}: line {number}: expected KEY = value in OMM KVN, found {_quote(line)}"
            )
            continue
        current.setdefault(key, _compiled(_KVN_UNITS).sub("", value.strip()))
    records.append((start, f"{path}: line {start}: OMM", current, problem))
    return _omm_sets(records, path=path, source=source, kind="omm-kvn")


def _is_omm_csv_header(line: str) -> bool:
    names = {cell.strip().strip('"').upper() for cell in line.split(",")}
    return {"OBJECT_NAME", "EPOCH", "MEAN_MOTION"} <= names


def _read_omm_csv(text: str, *, path: str, source: Source) -> ParsedText:
    """CelesTrak's OMM CSV: a header of OMM keys, one record per line (python-sgp4's
    ``sgp4.omm.parse_csv`` reading)."""
    import csv
    import io

    from sgp4 import omm

    reader = omm.parse_csv(io.StringIO(text, newline=""))
    records: list[tuple[int, str, Any, str | None]] = []
    try:
        for row in reader:
            if not any((value or "").strip() for key, value in row.items() if key is not None):
                continue
            fields = {
                key.strip().upper(): value.strip()
                for key, value in row.items()
                if isinstance(key, str) and isinstance(value, str)
            }
            number = reader.line_num
            problem = None
            if None in row and any(str(v).strip() for v in row[None]):  # type: ignore[index]
                problem = f"{path}: line {number}: more values than the header has columns"
            records.append((number, f"{path}: line {number}", fields, problem))
    except csv.Error as error:
        raise TLEFormatError(
            f"{path}: line {reader.line_num}: not valid CSV ({error}); expected CelesTrak OMM CSV"
        ) from None
    if not records:
        raise TLEFormatError(f"{path}: the OMM CSV has a header but no records: no element sets")
    return _omm_sets(records, path=path, source=source, kind="omm-csv")


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
    """The sets of one satellite, oldest epoch first, one per distinct epoch.

    Epochs within :data:`SAME_EPOCH` of each other are one epoch. When the sets of one epoch
    differ (a corrected set re-issued under the old epoch), the one read last wins: the later
    in a file (README, "Element-set files"; :func:`same_epoch_conflicts` words the warning).
    The same set read more than once keeps its first reading.

    A tuple's answer is remembered until the next tuple or satellite is asked about: a
    command asks about the same catalog's satellite three or four times (choosing the set, its
    stretches, the outlook), and each answer sorts a thousand sets (0.8 ms).
    """
    global _last_sets_for
    remembered = _last_sets_for
    if remembered is not None and remembered[0] is sets and remembered[1] == norad_id:
        return list(remembered[2])
    chosen: list[ElementSet] = []
    for group in _same_epoch_groups(sets, norad_id):
        first = min(group)[1]
        if len(group) == 1 or all(same_elements(first, element_set) for _, element_set in group):
            chosen.append(first)
        else:
            chosen.append(max(group)[1])
    if isinstance(sets, tuple):  # immutable, and so are its sets: the same answer next time
        _last_sets_for = (sets, norad_id, tuple(chosen))
    return chosen


#: The last answer of :func:`sets_for` for a tuple of sets: (that tuple, NORAD number, sets).
_last_sets_for: tuple[tuple[ElementSet, ...], int, tuple[ElementSet, ...]] | None = None


def _same_epoch_groups(
    sets: Iterable[ElementSet], norad_id: int | None = None
) -> list[list[tuple[int, ElementSet]]]:
    """``(reading order, set)`` grouped by satellite and epoch (within :data:`SAME_EPOCH` of
    the group's earliest), groups in (NORAD number, epoch) order."""
    indexed = [
        (element_set.norad_id, element_set.epoch, index, element_set)
        for index, element_set in enumerate(sets)
        if norad_id is None or element_set.norad_id == norad_id
    ]
    indexed.sort(key=lambda item: item[:3])
    groups: list[list[tuple[int, ElementSet]]] = []
    start: ElementSet | None = None
    for satellite, epoch, index, element_set in indexed:
        if start is not None and start.norad_id == satellite and epoch - start.epoch <= SAME_EPOCH:
            groups[-1].append((index, element_set))
        else:
            groups.append([(index, element_set)])
            start = element_set
    return groups


# The resolution of the TLE's columns, one and a half times (an OMM record and the TLE of the
# same set differ by the TLE's rounding, never more).
_SAME_ANGLE_RAD = 1.5 * math.radians(1e-4)
_SAME_ECCENTRICITY = 1.5e-7
_SAME_MEAN_MOTION_RAD_MIN = 1.5 * 1e-8 * 2.0 * math.pi / 1440.0


def same_elements(first: ElementSet, second: ElementSet) -> bool:
    """Whether two sets hold the same mean elements, to the precision of a TLE."""
    a, b = first.satrec, second.satrec
    return (
        all(
            abs(math.remainder(x - y, 2.0 * math.pi)) <= _SAME_ANGLE_RAD
            for x, y in (
                (a.inclo, b.inclo),
                (a.nodeo, b.nodeo),
                (a.argpo, b.argpo),
                (a.mo, b.mo),
            )
        )
        and abs(a.ecco - b.ecco) <= _SAME_ECCENTRICITY
        and abs(a.no_kozai - b.no_kozai) <= _SAME_MEAN_MOTION_RAD_MIN
        and abs(a.bstar - b.bstar) <= 1e-4 * max(abs(a.bstar), abs(b.bstar)) + 1e-9
    )


def same_epoch_conflicts(sets: Iterable[ElementSet]) -> list[str]:
    """One warning per satellite and epoch held by different sets, naming the one used (the
    one read last, as :func:`sets_for` chooses)."""
    warnings: list[str] = []
    for group in _same_epoch_groups(sets):
        first, used = min(group)[1], max(group)[1]
        if all(same_elements(first, element_set) for _, element_set in group):
            continue
        warnings.append(
            f"different element sets of {used.name} (NORAD {used.norad_id}) share the epoch "
            f"{first.epoch:%Y-%m-%d %H:%M:%S} UTC ("
            + ", ".join(_where(element_set) for _, element_set in sorted(group, key=lambda g: g[0]))
            + f"): using the one read last ({_where(used)})"
        )
    return warnings


def _where(element_set: ElementSet) -> str:
    place = Path(element_set.path).name if element_set.path else element_set.source
    return f"{place} line {element_set.line_number}" if element_set.line_number else place


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
    import bisect

    candidates = sets_for(sets, norad_id)
    if not candidates:
        nearest_set(candidates, norad_id, start)  # raises NoElementSetError
    # Only the sets from the last one before ``start`` to the first one after ``end`` can be
    # nearest inside the window (the stretch of any other is empty): a 10-day window over the
    # bundled data's 977 Tiangong sets takes 0.6 ms instead of 1.6 ms, the same stretches.
    epochs = [element_set.epoch for element_set in candidates]
    first = max(bisect.bisect_left(epochs, start) - 1, 0)
    last = min(bisect.bisect_right(epochs, end), len(candidates) - 1)
    stretches: list[tuple[ElementSet, datetime, datetime]] = []
    for index in range(first, last + 1):
        element_set = candidates[index]
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
# Staleness (DESIGN.md table), on the calibrated 1-sigma timing error (uncertainty.py)

#: Silent up to this 1-sigma timing error (s): about 3.5 days with the fitted model.
SILENT_SIGMA_S = 5.0
#: Up to here the warning quotes the expected error; past it, times are "approximate" (s).
MINUTE_SIGMA_S = 60.0
#: Where a listed time stops being useful (s): 10 minutes, about 37 days with the fitted
#: model. Past it the terminal table shows the outlook for those nights, and files, scripts
#: and alerts refuse (exit 3) unless ``--allow-stale``. Why 10 minutes: a visible pass lasts
#: 2-6 minutes; with a 1-sigma error of 10 minutes one pass in three comes more than 10 minutes
#: off the listed time, so someone who steps out a few minutes early misses it about as often
#: as not, and a 20-minute +-1-sigma band no longer beats the outlook's window of the evening
#: by much.
LIMIT_SIGMA_S = 600.0
#: ``alert``'s own limit (s): 90 s, about 14 days. An alert that fires minutes off is worse than
#: none: it sends people out at the wrong moment.
ALERT_LIMIT_SIGMA_S = 90.0


def age_for_sigma_days(sigma_s: float) -> float:
    """The age (days) at which the calibrated 1-sigma timing error reaches ``sigma_s``.

    The model grows with the age (``uncertainty.uncertainty_s``); found by bisection, so it
    follows any refit of the model. ``inf`` if the error never gets there within 100 years.
    """
    from tiangong_orbit.uncertainty import uncertainty_s

    low, high = 0.0, 36525.0
    if uncertainty_s(high) < sigma_s:
        return math.inf
    for _ in range(80):
        middle = (low + high) / 2.0
        if uncertainty_s(middle) < sigma_s:
            low = middle
        else:
            high = middle
    return high


def limit_age_days() -> float:
    """The age (days) past which listed times are not useful (:data:`LIMIT_SIGMA_S`)."""
    return age_for_sigma_days(LIMIT_SIGMA_S)


class Staleness(NamedTuple):
    """How old a set is for the time asked, and what to tell the user (warnings, no printing).

    ``sigma_s`` is the expected 1-sigma timing error; ``past_limit`` is true when it exceeds
    :data:`LIMIT_SIGMA_S` (then a terminal table shows the outlook instead of times).
    """

    age_days: float
    warnings: tuple[str, ...]
    sigma_s: float = 0.0
    past_limit: bool = False


def _minutes(seconds: float) -> str:
    return f"±{seconds / 60:.0f} minutes"


def check_staleness(
    element_set: ElementSet,
    at: datetime,
    *,
    newest: datetime | None = None,
    for_alert: bool = False,
    allow_stale: bool = False,
    file_given: bool = False,
    for_terminal: bool = False,
) -> Staleness:
    """Apply the staleness table of DESIGN.md to ``element_set`` used at time ``at``.

    Returns the age, the expected error and the warnings to print. Past the limit
    (:data:`LIMIT_SIGMA_S`; for alerts :data:`ALERT_LIMIT_SIGMA_S`) it raises
    :class:`StaleDataError` (exit 3) unless ``allow_stale``, or, with ``for_terminal`` (a table
    for a person, which shows the outlook instead), returns ``past_limit=True`` without
    warnings. ``newest`` is the newest epoch available for the satellite, named in messages.
    """
    from tiangong_orbit.uncertainty import describe_error, uncertainty_s

    age = element_set.age_days(at)
    sigma = uncertainty_s(age)
    direction = "before" if element_set.epoch <= at else "after"
    from tiangong_orbit.names import sentence_name

    what = (
        f"the element set for {sentence_name(element_set.norad_id, element_set.name)} is "
        f"{_age_words(age)} old (epoch "
        f"{element_set.epoch:%Y-%m-%d %H:%M} UTC, {age:.1f} days {direction} the time asked)"
    )
    hint = "give a newer one with --tle FILE" if file_given else "run 'tiangong-orbit tle update'"
    newest_note = ""
    if newest is not None and not file_given:
        newest_note = f"; the newest set available is from {newest:%Y-%m-%d}"
    if sigma <= SILENT_SIGMA_S:
        return Staleness(age, (), sigma)
    if sigma <= MINUTE_SIGMA_S and not (for_alert and sigma > ALERT_LIMIT_SIGMA_S):
        return Staleness(age, (f"{what}: {describe_error(age)}",), sigma)
    past_limit = sigma > LIMIT_SIGMA_S
    if past_limit and for_terminal and not allow_stale:
        return Staleness(age, (), sigma, True)
    refuse = past_limit or (for_alert and sigma > ALERT_LIMIT_SIGMA_S)
    if refuse and not allow_stale:
        limit_s = ALERT_LIMIT_SIGMA_S if for_alert and not past_limit else LIMIT_SIGMA_S
        limit_days = age_for_sigma_days(limit_s)
        limit = (
            f"alerts' limit of ±{limit_s:.0f} s (about {limit_days:.0f} days)"
            if limit_s == ALERT_LIMIT_SIGMA_S
            else f"limit of {_minutes(limit_s)} (about {limit_days:.0f} days)"
        )
        raise StaleDataError(
            f"{what}, over the {limit}: predictions would be wrong by "
            f"{describe_error(age, short=True)}{newest_note}; {hint}, or pass --allow-stale"
        )
    return Staleness(
        age,
        (
            f"{what}: predicted times are approximate ({describe_error(age, short=True)})"
            f"{newest_note}; {hint}",
        ),
        sigma,
        past_limit,
    )


def _age_words(age_days: float) -> str:
    if age_days < 2:
        return f"{age_days * 24:.0f} hours"
    return f"{age_days:.0f} days"


# --------------------------------------------------------------------------------------------
# Where sets come from (DESIGN.md): --tle FILE, else the bundled files plus the user cache


class Catalog(NamedTuple):
    """Every element set available, and warnings met while reading them (broken cache files)."""

    sets: tuple[ElementSet, ...]
    warnings: tuple[str, ...] = ()
    file_given: bool = False
    bad: tuple[BadRecord, ...] = ()

    def check_satellite(self, norad_id: int) -> tuple[str, ...]:
        """Whether the records that could not be read block ``norad_id`` (README, "Element-set
        files"): a bad record of ``norad_id`` itself raises its :class:`TLEFormatError`
        (exit 3); the bad records of other satellites are skipped, and the warnings naming
        them are returned (one each, the first few, then a count).
        """
        own = [bad for bad in self.bad if bad.norad_id == norad_id]
        if own:
            raise own[0].error
        return self.skipped_warnings()

    def skipped_warnings(self) -> tuple[str, ...]:
        """One warning per record that could not be read (the first few, then a count)."""
        skipped = [
            f"skipped {bad.describe()}, not a valid element set: " + str(bad.error).split("\n")[0]
            for bad in self.bad[:_BAD_RECORDS_NAMED]
        ]
        if len(self.bad) > _BAD_RECORDS_NAMED:
            skipped.append(
                f"skipped {len(self.bad) - _BAD_RECORDS_NAMED} more records that are not valid "
                "element sets ('tiangong-orbit tle check FILE' lists them all)"
            )
        return tuple(skipped)

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
    so that a bad download can never stop predictions from the bundled data. In ``tle_file``,
    records that are not valid sets are kept apart in :attr:`Catalog.bad` (see
    :meth:`Catalog.check_satellite`) and lines of other text are a warning; a file with no
    valid set at all raises its first problem (:class:`TLEFormatError`, exit 3). Files whose
    bytes were parsed before are read through :mod:`tiangong_orbit.catalog_index` (fast whatever
    the cache's size); a set found in several files is kept once (:func:`dedupe_sets`).
    """
    if tle_file is not None:
        parsed = read_file(tle_file, source="file")
        if not parsed.sets:  # nothing usable: the file's first problem is the answer
            _strict(parsed)
        warnings = [*parsed.notes(), *same_epoch_conflicts(parsed.sets)]
        return Catalog(tuple(parsed.sets), tuple(warnings), True, tuple(parsed.bad))
    from tiangong_orbit.catalog_index import CatalogIndex
    from tiangong_orbit.paths import tle_cache_dir

    index = CatalogIndex()
    sets: list[ElementSet] = []
    for path in bundled_files():
        sets.extend(index.parse(path, source="bundled"))
    warnings: list[str] = []
    folder = tle_cache_dir()
    cached = sorted([*folder.glob("*.tle"), *folder.glob("*.json")]) if folder.is_dir() else []
    for path in cached:
        try:
            sets.extend(index.parse(path, source="cache"))
        except (TLEFormatError, UsageError) as error:
            warnings.append(f"ignoring the broken cache file {path}: {error}".split("\n")[0])
        except RecursionError:
            warnings.append(
                f"ignoring the broken cache file {path}: nested too deeply to be element sets"
            )
    index.save()
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
    order = [i for _, _, i in sorted((s.norad_id, s.epoch, i) for i, s in enumerate(listed))]
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
