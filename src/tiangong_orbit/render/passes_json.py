"""The ``tiangong-orbit/passes/1`` JSON document (DESIGN.md): keep every field; add freely.

The document is built in one place: :func:`passes_json` for the header and every observer,
:func:`pass_dicts` for the passes (from the predictor's arrays, :class:`~tiangong_orbit.model.
PassColumns`, without making a :class:`~tiangong_orbit.model.Pass` object per pass).
:func:`write_passes_json` writes the same document piece by piece (one observer at a time), so
a year of every pass over every city needs memory for one observer's text, not 1 GB of it; it
writes the passes' text straight from the columns (:func:`_passes_text`), the same bytes as
the dicts encoded. Numbers are rounded as Python's ``round`` rounds them and times as
:func:`~tiangong_orbit.timeutil.iso_z` writes them, whichever path made them.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta
from functools import cache
from typing import TYPE_CHECKING, Any

import numpy as np

from tiangong_orbit.model import (
    NO_NORAD_ID,
    POINT_NAMES,
    Pass,
    PassColumns,
    PassList,
    PlacePasses,
    Prediction,
    SatelliteInfo,
    microseconds,
    reason_text,
)
from tiangong_orbit.names import display_name
from tiangong_orbit.timeutil import iso_z

if TYPE_CHECKING:
    from tiangong_orbit.sky import Near

SCHEMA = "tiangong-orbit/passes/1"

#: Decimals of each field (DESIGN.md's sample: 0.01° for angles, 0.1 km, 0.1 s, 0.1 mag).
ANGLE_DIGITS, KM_DIGITS, SECONDS_DIGITS, MAGNITUDE_DIGITS, AGE_DIGITS = 2, 1, 1, 1, 2
#: Passes turned into dicts at a time: bounds the temporary lists, and a batch's dicts are
#: freed while their memory is still in the processor's cache (every city for 30 days: the
#: writing took 110 ms in batches of 4096 passes, 88 ms in batches of 1024).
BATCH = 1024
#: Passes written as text at a time by :func:`_passes_text`, the passes of consecutive places
#: together (its buffers: about 8 kB a pass; 50 places x 30 days --all, 10,705 passes, in
#: batches of 1024: 70 ms, 2048: 55 ms, 4096: 50 ms).
TEXT_BATCH = 4096


def round_array(values: Any, digits: int) -> list[float | None]:
    """``[round(v, digits) for v in values]`` at numpy speed, ``None`` for NaN (see
    :func:`_rounded`)."""
    out = _rounded(values, digits)
    missing = np.isnan(out)
    if not missing.any():
        return out.tolist()  # type: ignore[no-any-return]
    items = out.astype(object)
    items[missing] = None
    return items.tolist()  # type: ignore[no-any-return]


def _rounded(values: Any, digits: int) -> np.ndarray:
    """``round(v, digits)`` of each value (a float array, NaN kept).

    ``np.round`` scales, rounds and scales back, which differs from Python's correctly
    rounded ``round`` only when the scaled value lies within rounding error of a half: those
    few values are rounded by Python itself, so the result is identical. A value that rounds
    to zero is ``0.0``, never ``-0.0`` (a rise at the horizon: -1e-9° is 0°).
    """
    x = np.asarray(values, dtype=float)
    out = np.round(x, digits) + 0.0  # -0.0 + 0.0 is +0.0
    scaled = x * 10.0**digits
    near_half = np.flatnonzero(np.abs(scaled - np.floor(scaled) - 0.5) < 1e-6)
    if len(near_half):
        flat, given = out.reshape(-1), x.reshape(-1)
        for i in near_half.tolist():
            flat[i] = round(float(given[i]), digits) + 0.0
    return out


def _times(t_unix: Any) -> list[str | None]:
    t = np.asarray(t_unix, dtype=float)
    finite = np.isfinite(t)
    if finite.all():
        return _iso_z_ms(microseconds(t))  # type: ignore[return-value]
    text = np.full(len(t), None, dtype=object)
    text[finite] = _iso_z_ms(microseconds(t[finite]))
    return text.tolist()  # type: ignore[no-any-return]


def _iso_z_ms(microseconds_: Any) -> list[str]:
    """:func:`~tiangong_orbit.timeutil.iso_z_ms_array` (the same strings: millisecond rounded
    half to even in exact integers), several times faster (see :func:`_iso_chars`)."""
    chars = _iso_chars(microseconds_)
    return chars.astype(np.uint32).view("U24").ravel().tolist()  # type: ignore[no-any-return]


def _iso_chars(microseconds_: Any) -> np.ndarray:
    """The ISO texts of :func:`_iso_z_ms` as ASCII bytes, one row of 24 per time: six words
    of four bytes ("2026", "-10-", "06T1", "9:11", ":51.", "546Z"), each taken from a table
    (the dates from one of the few days the times span), rather than formatted one by one or
    by ``numpy.datetime_as_string`` on every time (64,000 times as strings: 10.9 ms with the
    digits computed column by column, 4.7 ms so; as bytes 1.4 ms)."""
    us = np.asarray(microseconds_, dtype=np.int64)
    words = np.empty((len(us), 6), dtype=np.uint32)
    if not len(us):
        return words.view(np.uint8)
    ms, rest = np.divmod(us, 1000)
    # datetime.min is a whole number of even milliseconds before the POSIX epoch, so the
    # parity of ``ms`` is the parity iso_z sees.
    ms += (2 * rest > 1000) | ((2 * rest == 1000) & (ms % 2 == 1))
    day, of_day = np.divmod(ms, 86_400_000)
    first = int(day.min())
    dates = np.datetime_as_string(np.arange(first, int(day.max()) + 1).astype("datetime64[D]"))
    # "YYYY", "-MM-" and "DDTh" for each day and tens of hours (0, 1, 2).
    table = "".join(f"{date}T{tens}" for date in dates.tolist() for tens in "012")
    by_day = np.frombuffer(table.encode(), dtype=np.uint32).reshape(-1, 3, 3)
    day -= first
    of_day = of_day.astype(np.int32)
    hour, rest = np.divmod(of_day, 3_600_000)
    minute, rest = np.divmod(rest, 60_000)
    second, milli = np.divmod(rest, 1000)
    tens, units = np.divmod(hour, 10)
    clock = _clock_tables()
    words[:, 0] = by_day[:, 0, 0].take(day)
    words[:, 1] = by_day[:, 0, 1].take(day)
    words[:, 2] = by_day[:, :, 2].ravel().take(3 * day + tens)
    words[:, 3] = clock["h:mm"].take(60 * units + minute)
    words[:, 4] = clock[":ss."].take(second)
    words[:, 5] = clock["mmmZ"].take(milli)
    return words.view(np.uint8)


def _seconds_between(t0: Any, t1: Any) -> list[float | None]:
    # As ``Pass.duration_s``: between the microsecond-rounded times, then to 0.1 s.
    gap = (microseconds(t1) - microseconds(t0)) / 1e6
    gap = np.where(np.isfinite(t0) & np.isfinite(t1), gap, np.nan)
    return round_array(gap, SECONDS_DIGITS)


def _columns(passes: Sequence[Pass] | PassList) -> PassColumns:
    if isinstance(passes, PassList):
        return passes.columns
    return PassColumns.from_passes(list(passes))


def pass_dicts(passes: Sequence[Pass] | PassList) -> list[dict[str, Any]]:
    """The passes as DESIGN.md's schema lays them out (plus ``reason``, the visible duration
    and the shadow times): one dict per pass, in order."""
    columns = _columns(passes)
    out: list[dict[str, Any]] = []
    for first in range(0, len(columns), BATCH):
        out.extend(_batch_dicts(columns.take(slice(first, first + BATCH))))
    return out


def _pass_texts_by_place(
    groups: Sequence[PlacePasses], *, as_text: bool = True
) -> Iterator[list[bytes] | list[dict[str, Any]]]:
    """Each place's passes as the JSON text of its ``passes`` list in the document, in
    pieces (bytes: :func:`_passes_text`), the passes of consecutive places written together up to
    :data:`TEXT_BATCH` at a time; a batch the text path does not write, or every batch
    unless ``as_text``, comes as :func:`pass_dicts`' dicts."""
    chunk: list[PassColumns] = []
    size = 0

    def made() -> Iterator[list[bytes] | list[dict[str, Any]]]:
        columns = chunk[0] if len(chunk) == 1 else PassColumns.concatenate(chunk)
        counts = [len(part) for part in chunk]
        ends = np.cumsum(counts).tolist()
        try:
            if not as_text:
                raise _NotPlain
            texts = _passes_text(columns)
        except _NotPlain:
            dicts = pass_dicts(PassList(columns))
            for count, end in zip(counts, ends, strict=True):
                yield dicts[end - count : end]
            return
        opening = b"[\n" + b" " * _PASS_INDENT
        between = b",\n" + b" " * _PASS_INDENT
        closing = b"\n" + b" " * (_PASS_INDENT - 2) + b"]"
        for count, end in zip(counts, ends, strict=True):
            if not count:
                yield [b"[]"]
                continue
            pieces = [between] * (2 * count + 1)  # the passes, between them a separator
            pieces[1::2] = texts[end - count : end]
            pieces[0], pieces[-1] = opening, closing
            yield pieces

    for group in groups:
        columns = _columns(group.passes)
        if chunk and size + len(columns) > TEXT_BATCH:
            yield from made()
            chunk, size = [], 0
        chunk.append(columns)
        size += len(columns)
    if chunk:
        yield from made()


def _batch_dicts(c: PassColumns) -> list[dict[str, Any]]:
    m = len(c)
    if m == 0:
        return []
    t = c.time_unix
    flat_t = t.ravel()
    present = np.isfinite(flat_t)
    complete = present & np.isfinite(c.range_km.ravel()) & np.isfinite(c.altitude_km.ravel())
    if (complete == present).all():
        # Every point that exists knows its range and height (the predictor's output): the
        # points that exist are made, the others (a pass that is not visible) are None.
        where = np.flatnonzero(present)
        made = [
            {"time": w, "azimuth_deg": a, "elevation_deg": e, "range_km": r, "altitude_km": h}
            for w, a, e, r, h in zip(
                _times(flat_t[where]),
                round_array(c.azimuth_deg.ravel()[where], ANGLE_DIGITS),
                round_array(c.elevation_deg.ravel()[where], ANGLE_DIGITS),
                round_array(c.range_km.ravel()[where], KM_DIGITS),
                round_array(c.altitude_km.ravel()[where], KM_DIGITS),
                strict=True,
            )
        ]
        column = np.full(6 * m, None, dtype=object)
        column[where] = made
        points: list[dict[str, Any] | None] = column.tolist()
    else:
        time = _times(flat_t)
        azimuth = round_array(c.azimuth_deg.ravel(), ANGLE_DIGITS)
        elevation = round_array(c.elevation_deg.ravel(), ANGLE_DIGITS)
        rng = round_array(c.range_km.ravel(), KM_DIGITS)
        altitude = round_array(c.altitude_km.ravel(), KM_DIGITS)
        points = [_point(k, time, azimuth, elevation, rng, altitude) for k in range(6 * m)]
    duration = _seconds_between(t[:, 0], t[:, 2])
    visible_duration = _seconds_between(t[:, 3], t[:, 5])
    visible = np.isfinite(t[:, 3]).tolist()
    magnitude = round_array(c.magnitude, MAGNITUDE_DIGITS)
    age = round_array(c.tle_age_days, AGE_DIGITS)
    sigma = round_array(c.uncertainty_s, SECONDS_DIGITS)
    entry = _times(c.shadow_entry_unix)
    exit_ = _times(c.shadow_exit_unix)
    codes = c.reason_code.tolist()
    reasons = {code: reason_text(code) for code in set(codes)}
    reason = [None if v else reasons[code] for v, code in zip(visible, codes, strict=True)]
    rows = zip(
        *(points[j::6] for j in range(6)),
        duration,
        visible,
        magnitude,
        age,
        sigma,
        visible_duration,
        reason,
        entry,
        exit_,
        strict=True,
    )
    dicts = [
        {
            "rise": rise,
            "culmination": culmination,
            "set": set_,
            "duration_s": dur,
            "visible": vis,
            "visible_start": v_start,
            "visible_peak": v_peak,
            "visible_end": v_end,
            "magnitude": mag,
            "tle_age_days": age_days,
            "uncertainty_s": sig,
            "visible_duration_s": v_dur,
            "reason": why,
            "shadow_entry": enter,
            "shadow_exit": leave,
        }
        for (
            rise,
            culmination,
            set_,
            v_start,
            v_peak,
            v_end,
            dur,
            vis,
            mag,
            age_days,
            sig,
            v_dur,
            why,
            enter,
            leave,
        ) in rows
    ]
    # The closest bright star or planet (README, "Stars and planets"), after the shadow times.
    for item, near in zip(dicts, _nears(c.near_column().tolist()), strict=True):
        item["near"] = near
    # In a list of several satellites each pass names its own (last, as it always was).
    for item, norad_id in zip(dicts, c.norad_id.tolist(), strict=True):
        if norad_id != NO_NORAD_ID:
            item["norad_id"] = norad_id
    return dicts


def _point(
    k: int,
    time: list[str | None],
    azimuth: list[float | None],
    elevation: list[float | None],
    rng: list[float | None],
    altitude: list[float | None],
) -> dict[str, Any] | None:
    """Point ``k`` (pass ``k // 6``, point ``k % 6`` of :data:`POINT_NAMES`) of hand-made
    passes, whose points may lack a range or height: those keys are left out, except on the
    culmination, which says ``null``."""
    if time[k] is None:
        return None
    point: dict[str, Any] = {"time": time[k], "azimuth_deg": azimuth[k]}
    point["elevation_deg"] = elevation[k]
    culmination = POINT_NAMES[k % 6] == "culmination"
    if rng[k] is not None or culmination:
        point["range_km"] = rng[k]
    if altitude[k] is not None or culmination:
        point["altitude_km"] = altitude[k]
    return point


# --- the passes as text, made from columns ------------------------------------------------------
#
# A large document is mostly passes: 10,700 of them over 50 places for 30 days with --all, 13 MB.
# Made into dicts for an encoder they cost about 5 us each, dicts and encoding; here they are
# written straight from the columns as text, under 3 us each (that document's writing: 63-67
# -> 48 ms of CPU, every city for 30 days 89-96 -> 61 ms). The passes of one shape (which
# points they have, whether they come near a bright object) share a template of constant
# text, filled in with their fields as a byte matrix, one row per pass. A field is written in
# a fixed width, the bytes it does not use (a number's leading zeros, say) are NUL and dropped
# at the end (JSON text has none: strings escape control characters). The text is the very
# bytes ``json.dumps(..., indent=2, ensure_ascii=False)`` writes for the dicts of
# :func:`pass_dicts` at the indentation of a pass in the document (a test compares them).

#: Indentation (spaces) of a pass's opening brace in the document (its keys: 2 more, its
#: points' keys: 4 more).
_PASS_INDENT = 8
#: Ends each pass's text in :func:`_shape_text` (a control character: never in JSON text).
_END_OF_PASS = b"\x01"
#: Numbers from this magnitude on are not written by :func:`_decimals` (at most six digits
#: before the point: a range of 999,999.9 km).
_PLAIN_LIMIT = 1e6
#: Bytes of text handled at a time in :meth:`_Rows.texts`.
_CACHED_BYTES = 256 * 1024


class _NotPlain(Exception):
    """Columns :func:`_passes_text` does not write (hand-made points without a range or
    height, a number too large): their passes go through :func:`pass_dicts` instead."""


class _Chars:
    """JSON texts of an (M, k) array of values: their bytes (M, k, width), NUL where unused,
    and where the value is missing (its text is then ``null``; its bytes are all NUL). (A
    plain class: a named tuple's definition would add 0.1 ms to every JSON run's import.)"""

    __slots__ = ("chars", "missing")

    def __init__(self, chars: np.ndarray, missing: np.ndarray) -> None:
        self.chars = chars
        self.missing = missing


def _packed(*columns: Any) -> np.ndarray:
    """Texts of four bytes, given as their four columns of byte values (arrays of the same
    length, or one value for all; 0 for an unused byte, NUL), packed as uint32: one ``take``
    finds one."""
    length = max(np.size(column) for column in columns)
    chars = np.empty((length, 4), dtype=np.uint8)
    for k, column in enumerate(columns):
        chars[:, k] = column
    return chars.view(np.uint32).ravel()


def _digit(values: np.ndarray, power: int, shown: Any = True) -> np.ndarray:
    """The digit of ``values`` for ``10**power`` as a byte, 0 (NUL) where not ``shown``."""
    return np.where(shown, values // 10**power % 10 + ord("0"), 0)


@cache
def _digit_tables() -> dict[str, np.ndarray]:
    """Four-byte pieces of numbers by :func:`_packed`, indexed by value: ``top`` a sign and
    three digits for 0-999 (then -0 to -999 from 1000 on), the leading zeros dropped;
    ``upper`` the same before three more digits (zero: only the sign); ``lower`` three digits
    after a nonzero upper part (0-999) and, from 1000 on, after a zero one (leading zeros
    dropped); ``tenths`` and ``hundredths`` a point and one or two decimals (trailing zeros
    dropped but the first decimal). Made on first use (their 0.6 ms at import would fall on
    every JSON run)."""
    value = np.tile(np.arange(1000), 2)
    sign = np.where(np.arange(2000) >= 1000, ord("-"), 0)
    tens, hundreds = value >= 10, value >= 100
    after_zero = np.arange(2000) >= 1000  # lower: the upper part is zero
    cents = np.arange(100)
    return {
        "top": _packed(sign, _digit(value, 2, hundreds), _digit(value, 1, tens), _digit(value, 0)),
        "upper": _packed(
            sign, _digit(value, 2, hundreds), _digit(value, 1, tens), _digit(value, 0, value > 0)
        ),
        "lower": _packed(
            _digit(value, 2, ~after_zero | hundreds),
            _digit(value, 1, ~after_zero | tens),
            _digit(value, 0),
            0,
        ),
        "tenths": _packed(ord("."), _digit(np.arange(10), 0), 0, 0),
        "hundredths": _packed(ord("."), _digit(cents, 1), _digit(cents, 0, cents % 10 > 0), 0),
    }


@cache
def _clock_tables() -> dict[str, np.ndarray]:
    """Four-byte pieces of a clock's text by :func:`_packed`, indexed by value (see
    :func:`_iso_chars`): "h:mm" by 60 times the hour's units plus the minute, ":ss." by
    second, "mmmZ" by millisecond. Made on first use, as :func:`_digit_tables`."""
    minutes, seconds, millis = np.arange(600), np.arange(60), np.arange(1000)
    return {
        "h:mm": _packed(
            _digit(minutes // 60, 0), ord(":"), _digit(minutes % 60, 1), _digit(minutes % 60, 0)
        ),
        ":ss.": _packed(ord(":"), _digit(seconds, 1), _digit(seconds, 0), ord(".")),
        "mmmZ": _packed(_digit(millis, 2), _digit(millis, 1), _digit(millis, 0), ord("Z")),
    }


def _decimals(values: np.ndarray, digits: int) -> _Chars:
    """``round(value, digits)`` (``digits`` 1 or 2) of each as ``repr`` writes it: the exact
    integer ``round(value * 10**digits)`` in decimal, a point before its last ``digits``
    digits and the trailing zeros after it dropped but one. A value rounded to ``digits``
    decimals is the double nearest that decimal, whose shortest round-tripping text, what
    ``repr`` writes, is that decimal (a number this small). ``null`` for NaN. Raises
    :class:`_NotPlain` from :data:`_PLAIN_LIMIT` on."""
    x = np.asarray(values, dtype=float)
    scaled = x * 10.0**digits
    n = np.rint(scaled)
    # np.rint rounds the scaled value, which is off the exact product by a rounding error:
    # where that lies within reach of a half, Python's correctly rounded round decides.
    for i in np.flatnonzero(np.abs(scaled - np.floor(scaled) - 0.5) < 1e-6).tolist():
        n.flat[i] = round(round(float(x.flat[i]), digits) * 10.0**digits)
    missing = np.isnan(n)
    n[missing] = 0.0
    if np.abs(n).max(initial=0.0) >= _PLAIN_LIMIT * 10.0**digits:
        raise _NotPlain
    return _integers(n.astype(np.int32), digits, missing)


def _integers(n: np.ndarray, point: int = 0, missing: np.ndarray | None = None) -> _Chars:
    """The integers ``n`` in decimal, right-aligned in a common width, with a point before
    the last ``point`` digits (1 or 2: trailing zeros after it dropped but one) if any;
    ``null`` where ``missing``. Raises :class:`_NotPlain` for a million or more before the
    point."""
    whole, fraction = np.divmod(np.abs(n), 10**point)
    if whole.max(initial=0) >= 1_000_000:
        raise _NotPlain
    negative = np.where(n < 0, 1000, 0)
    digits = _digit_tables()
    if whole.max(initial=0) < 1000:
        words = [digits["top"].take(whole + negative)]
    else:
        upper, lower = np.divmod(whole, 1000)
        words = [digits["upper"].take(upper + negative)]
        words.append(digits["lower"].take(np.where(upper == 0, lower + 1000, lower)))
    if point:
        words.append(digits["tenths" if point == 1 else "hundredths"].take(fraction))
    chars = np.stack(words, axis=-1)
    if missing is None:
        missing = np.zeros(n.shape, dtype=bool)
    elif missing.any():
        chars[missing] = 0
    return _Chars(chars.view(np.uint8).reshape(*n.shape, 4 * len(words)), missing)


def _quoted_times(microseconds_: np.ndarray, missing: np.ndarray) -> _Chars:
    """ISO times (as :func:`~tiangong_orbit.timeutil.iso_z` writes them) in quotes."""
    chars = np.zeros((*microseconds_.shape, 26), dtype=np.uint8)
    if missing.all():
        return _Chars(chars, missing)
    chars[..., 0] = chars[..., 25] = ord('"')
    # Rows without a time take another's: the table of dates spans only these times.
    filled = np.where(missing, microseconds_[~missing][0], microseconds_)
    chars[..., 1:25] = _iso_chars(filled.ravel()).reshape(*filled.shape, 24)
    chars[missing] = 0
    return _Chars(chars, missing)


class _Rows:
    """Rows of text assembled from columns, one row per pass: a template of constant text
    with room for fields, and each field's bytes on each row (NUL where unused).
    :meth:`text` gives the rows' text, one after the other."""

    def __init__(self, rows: int) -> None:
        self.rows = rows
        self.template = bytearray()
        self.fields: list[tuple[int, np.ndarray]] = []

    def const(self, text: str | bytes, where: np.ndarray | None = None) -> None:
        """The same text on every row, or on the rows ``where`` says."""
        data = text.encode() if isinstance(text, str) else text
        if where is None:
            self.template += data
            return
        chars = np.where(where[:, None], np.frombuffer(data, dtype=np.uint8), np.uint8(0))
        self.fields.append((len(self.template), chars))
        self.template += bytes(len(data))

    def field(self, values: _Chars, j: int = 0) -> None:
        """Column ``j`` of ``values``, ``null`` where missing."""
        self.fields.append((len(self.template), values.chars[:, j]))
        self.template += bytes(values.chars.shape[-1])
        missing = values.missing[:, j]
        if missing.any():
            self.const("null", missing)

    def choice(self, codes: np.ndarray, table: np.ndarray) -> None:
        """Text ``code`` of ``table`` (:func:`_text_table`) on each row."""
        self.fields.append((len(self.template), table[codes]))
        self.template += bytes(table.shape[1])

    def texts(self, end: bytes) -> list[bytes]:
        """Each row's text; every row must end with ``end`` (which its text leaves out)."""
        template = np.frombuffer(bytes(self.template), dtype=np.uint8)
        chars = np.empty((self.rows, len(template)), dtype=np.uint8)
        chars[:] = template
        for start, field in self.fields:
            chars[:, start : start + field.shape[-1]] = field
        # The NULs dropped a few hundred kB at a time, while they are in the processor's cache.
        out: list[bytes] = []
        step = max(1, _CACHED_BYTES // len(template))
        for first in range(0, self.rows, step):
            text = chars[first : first + step].tobytes().translate(None, b"\x00")
            out += text.split(end)[:-1]
        return out


@cache
def _json_text(value: str | None) -> bytes:
    import json

    return json.dumps(value, ensure_ascii=False).encode()


def _text_table(texts: Sequence[str | None]) -> np.ndarray:
    """The JSON texts of ``texts`` as rows of a byte matrix, NUL after each."""
    return _bytes_table([_json_text(text) for text in texts])


def _bytes_table(encoded: Sequence[bytes]) -> np.ndarray:
    """``encoded`` as rows of a byte matrix, NUL after each."""
    chars = np.zeros((len(encoded), max(len(text) for text in encoded)), dtype=np.uint8)
    for row, text in enumerate(encoded):
        chars[row, : len(text)] = np.frombuffer(text, dtype=np.uint8)
    return chars


def _passes_text(c: PassColumns) -> list[bytes]:
    """Each pass of ``c`` as :func:`pass_dicts` lays it out, as JSON text at its place in the
    document. Raises :class:`_NotPlain` for columns it does not write."""
    present = np.isfinite(c.time_unix)
    if not (present <= (np.isfinite(c.range_km) & np.isfinite(c.altitude_km))).all():
        raise _NotPlain  # hand-made points without a range or height leave those keys out
    nears = c.near_column().tolist()
    has_near = np.array([near is not None for near in nears], dtype=bool)
    named = c.norad_id != NO_NORAD_ID
    shape = present.astype(np.int64) @ (1 << np.arange(6)) + 64 * has_near + 128 * named
    texts = np.empty(len(c), dtype=object)
    for key in sorted(set(shape.tolist())):
        rows = np.flatnonzero(shape == key)
        part = c.take(rows)
        text = _shape_text(
            part, present[rows[0]], [nears[k] for k in rows.tolist()] if key & 64 else None
        )
        texts[rows] = text
    return texts.tolist()  # type: ignore[no-any-return]


def _shape_text(c: PassColumns, present: np.ndarray, nears: list[Near] | None) -> list[bytes]:
    """The text of passes of one shape: the points ``present`` says (for each of the six),
    the closest approaches ``nears`` (or none) and a satellite number if they have one.
    Each one's text ends with :data:`_END_OF_PASS`."""
    pad = " " * (_PASS_INDENT + 2)
    inner = " " * (_PASS_INDENT + 4)
    kept = np.flatnonzero(present)
    us = microseconds(c.time_unix[:, kept])
    point_times = _quoted_times(us, np.zeros(us.shape, dtype=bool))
    angles = np.column_stack((c.azimuth_deg[:, kept], c.elevation_deg[:, kept]))
    angles = _decimals(angles, ANGLE_DIGITS)
    heights = _decimals(np.column_stack((c.range_km[:, kept], c.altitude_km[:, kept])), KM_DIGITS)
    # As Pass.duration_s and visible_duration_s: between the microsecond-rounded times.
    column = {j: i for i, j in enumerate(kept.tolist())}
    gaps = [
        (us[:, column[b]] - us[:, column[a]]) / 1e6
        if a in column and b in column
        else np.full(len(c), np.nan)
        for a, b in ((0, 2), (3, 5))
    ]
    seconds = _decimals(np.column_stack((*gaps, c.uncertainty_s)), SECONDS_DIGITS)
    magnitudes = _decimals(c.magnitude[:, None], MAGNITUDE_DIGITS)
    ages = _decimals(c.tle_age_days[:, None], AGE_DIGITS)
    shadow = np.column_stack((c.shadow_entry_unix, c.shadow_exit_unix))
    shadow_times = _quoted_times(microseconds(shadow), ~np.isfinite(shadow))

    rows = _Rows(len(c))
    visible = bool(present[3])
    n = len(kept)
    for j, name in enumerate(POINT_NAMES):
        rows.const(("{\n" if j == 0 else ",\n") + f'{pad}"{name}": ')
        if j in column:
            i = column[j]
            rows.const(f'{{\n{inner}"time": ')
            rows.field(point_times, i)
            rows.const(f',\n{inner}"azimuth_deg": ')
            rows.field(angles, i)
            rows.const(f',\n{inner}"elevation_deg": ')
            rows.field(angles, n + i)
            rows.const(f',\n{inner}"range_km": ')
            rows.field(heights, i)
            rows.const(f',\n{inner}"altitude_km": ')
            rows.field(heights, n + i)
            rows.const(f"\n{pad}}}")
        else:
            rows.const("null")
        if j == 2:
            rows.const(f',\n{pad}"duration_s": ')
            rows.field(seconds, 0)
            rows.const(f',\n{pad}"visible": ' + ("true" if visible else "false"))
    for key, values, j in (
        ("magnitude", magnitudes, 0),
        ("tle_age_days", ages, 0),
        ("uncertainty_s", seconds, 2),
        ("visible_duration_s", seconds, 1),
    ):
        rows.const(f',\n{pad}"{key}": ')
        rows.field(values, j)
    rows.const(f',\n{pad}"reason": ')
    if visible:
        rows.const("null")
    else:
        codes = c.reason_code.astype(np.intp)
        rows.choice(codes, _text_table([reason_text(code) for code in range(codes.max() + 1)]))
    for j, key in enumerate(("shadow_entry", "shadow_exit")):
        rows.const(f',\n{pad}"{key}": ')
        rows.field(shadow_times, j)
    rows.const(f',\n{pad}"near": ')
    if nears is None:
        rows.const("null")
    else:
        _near_text(rows, nears, inner, pad)
    if c.norad_id[0] != NO_NORAD_ID:
        rows.const(f',\n{pad}"norad_id": ')
        rows.field(_integers(c.norad_id[:, None]))
    rows.const(f"\n{' ' * _PASS_INDENT}}}".encode() + _END_OF_PASS)
    return rows.texts(_END_OF_PASS)


def _near_text(rows: _Rows, nears: list[Near], inner: str, pad: str) -> None:
    """The ``near`` objects of :func:`_nears` on ``rows``, one for each."""
    names, kinds, times, separation_list, relations, magnitude_list = zip(*nears, strict=True)
    separations = np.array(separation_list)
    # Near.words: "right by Vega" within 0.5°, else "2° below Jupiter" (whole degrees as
    # format's .0f rounds them: half to even on the exact value, as numpy's rint).
    keys = list(zip(names, relations, np.rint(separations).astype(np.int64).tolist(), strict=True))
    said = {
        (name, relation, whole): (
            f"right by {name}" if relation == "across" else f"{whole}° {relation} {name}"
        )
        for name, relation, whole in set(keys)
    }
    words = [said[key] for key in keys]
    # Each text of a field once in the table, each near its index there.
    texts: dict[str, int] = {}
    for values in (names, kinds, relations, words):
        for value in dict.fromkeys(values):
            texts.setdefault(value, len(texts))
    name_codes, kind_codes, relation_codes, word_codes = (
        np.array([texts[value] for value in values], dtype=np.intp)
        for values in (names, kinds, relations, words)
    )
    table = _text_table(list(texts))
    micro = np.array([(moment - _EPOCH) // _MICROSECOND for moment in times], dtype=np.int64)
    # An object's magnitude (a catalogue star's has two decimals: its halves are many, each
    # rounded by Python) written once for each object.
    magnitudes = {magnitude: k for k, magnitude in enumerate(dict.fromkeys(magnitude_list))}
    magnitude_codes = np.array([magnitudes[value] for value in magnitude_list], dtype=np.intp)
    magnitude_table = _bytes_table(
        [
            b"null"
            if magnitude is None or math.isnan(magnitude)
            else repr(round(magnitude, MAGNITUDE_DIGITS) + 0.0).encode()
            for magnitude in magnitudes
        ]
    )
    rows.const(f'{{\n{inner}"name": ')
    rows.choice(name_codes, table)
    rows.const(f',\n{inner}"kind": ')
    rows.choice(kind_codes, table)
    rows.const(f',\n{inner}"time": ')
    rows.field(_quoted_times(micro[:, None], np.zeros((len(nears), 1), dtype=bool)))
    rows.const(f',\n{inner}"separation_deg": ')
    rows.field(_decimals(separations[:, None], ANGLE_DIGITS))
    rows.const(f',\n{inner}"relation": ')
    rows.choice(relation_codes, table)
    rows.const(f',\n{inner}"magnitude": ')
    rows.choice(magnitude_codes, magnitude_table)
    rows.const(f',\n{inner}"words": ')
    rows.choice(word_codes, table)
    rows.const(f"\n{pad}}}")


def pass_json(item: Pass) -> dict[str, Any]:
    """One pass as DESIGN.md's schema lays it out (see :func:`pass_dicts`)."""
    return pass_dicts((item,))[0]


def _observer(
    group: PlacePasses,
    passes: list[dict[str, Any]] | str | None,
    following: dict[str, Any] | None = None,
) -> dict[str, Any]:
    """One observer: the place, its passes and, when none of them is visible, the next
    visible pass (``next_visible_pass``: a pass, or ``null``), ``following`` if given (its
    dict, from :func:`_next_visible_dicts`)."""
    place = group.place
    data: dict[str, Any] = {
        "name": place.name,
        "latitude_deg": round(place.latitude_deg, 6) + 0.0,
        "longitude_deg": round(place.longitude_deg, 6) + 0.0,
        "elevation_m": place.elevation_m,
        "elevation_known": place.elevation_known,
        "timezone": place.timezone,
        "passes": passes,
    }
    if not _any_visible(group.passes):
        if following is None and group.next_visible is not None:
            following = pass_json(group.next_visible)
        data["next_visible_pass"] = following
    return data


def _next_visible_dicts(groups: Sequence[PlacePasses]) -> list[dict[str, Any] | None]:
    """Each place's next visible pass as :func:`pass_json` lays it out, where it has one and
    no visible pass in the window, else ``None``: made together, in batches, rather than a
    batch for each (every city for a day, 130 of them: the writing took 51 ms, now 9)."""
    wanted = [
        k
        for k, group in enumerate(groups)
        if group.next_visible is not None and not _any_visible(group.passes)
    ]
    made: list[dict[str, Any] | None] = [None] * len(groups)
    if wanted:
        dicts = pass_dicts([groups[k].next_visible for k in wanted])  # type: ignore[misc]
        for k, item in zip(wanted, dicts, strict=True):
            made[k] = item
    return made


def _any_visible(passes: Sequence[Pass] | PassList) -> bool:
    if isinstance(passes, PassList):
        return bool(np.isfinite(passes.columns.time_unix[:, 3]).any())
    return any(p.visible for p in passes)


def _nears(nears: list[Near | None]) -> list[dict[str, Any] | None]:
    """:func:`_near` of each, made from columns: the times written together (as
    :func:`iso_z` writes them), the numbers rounded together (as ``round`` rounds them) and
    the words as :meth:`Near.words` says them."""
    present = [near for near in nears if near is not None]
    if not present:
        return [None] * len(nears)
    names = [near.name for near in present]
    relations = [near.relation for near in present]
    separations = [near.separation_deg for near in present]
    times = _iso_z_ms([(near.time - _EPOCH) // _MICROSECOND for near in present])
    magnitudes = round_array(
        [math.nan if near.magnitude is None else near.magnitude for near in present],
        MAGNITUDE_DIGITS,
    )
    # Near.words: "right by Vega" within 0.5°, else "2° below Jupiter" (whole degrees as
    # format's .0f rounds them: half to even on the exact value, as numpy's rint).
    degrees = np.rint(separations).astype(np.int64).tolist()
    words = [
        f"right by {name}" if relation == "across" else f"{whole}° {relation} {name}"
        for name, relation, whole in zip(names, relations, degrees, strict=True)
    ]
    made = iter(
        [
            {
                "name": name,
                "kind": near.kind,
                "time": time,
                "separation_deg": separation,
                "relation": relation,
                "magnitude": magnitude,
                "words": said,
            }
            for near, name, time, separation, relation, magnitude, said in zip(
                present,
                names,
                times,
                round_array(separations, ANGLE_DIGITS),
                relations,
                magnitudes,
                words,
                strict=True,
            )
        ]
    )
    return [None if near is None else next(made) for near in nears]


_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
_MICROSECOND = timedelta(microseconds=1)


def _satellite(info: SatelliteInfo) -> dict[str, Any]:
    data: dict[str, Any] = {
        "name": info.name,
        "display_name": display_name(info.norad_id, info.name),
        "norad_id": info.norad_id,
        "tle_epoch": iso_z(info.tle_epoch),
        "tle_source": info.tle_source,
        "tle_epochs": [iso_z(epoch) for epoch in info.tle_epochs or (info.tle_epoch,)],
    }
    if info.standard_magnitude is None or math.isfinite(info.standard_magnitude):
        data["standard_magnitude"] = info.standard_magnitude
    return data


def passes_json(
    prediction: Prediction,
    *,
    observers: Callable[[PlacePasses], Any] | None = None,
) -> dict[str, Any]:
    """The whole document for a prediction. ``observers`` (used by :func:`write_passes_json`)
    replaces the list of observers by what it returns for the first place; by default every
    observer is built in full.

    Extensions of DESIGN.md's schema: ``satellite.display_name`` (the name people use,
    "Tiangong"); ``satellites``, one entry per satellite of a merged list (``-s tiangong -s
    iss``; ``satellite`` stays the first), each pass then naming its ``norad_id``;
    ``settings.max_magnitude`` and ``settings.min_duration_s`` (the filters, ``null`` with
    ``--all``); per observer ``next_visible_pass`` (a pass, or ``null``) when the window holds
    no visible pass; ``warnings``, the same lines as stderr (the set's age and timing error).
    """
    satellite = prediction.satellite
    settings = prediction.settings
    return {
        "schema": SCHEMA,
        "satellite": _satellite(satellite),
        "satellites": [_satellite(info) for info in prediction.satellites or (satellite,)],
        "window": {"start": iso_z(prediction.start), "end": iso_z(prediction.end)},
        "settings": {
            "horizon_deg": settings.horizon_deg,
            "min_visible_elevation_deg": settings.min_visible_elevation_deg,
            "sun_max_altitude_deg": settings.sun_max_altitude_deg,
            "standard_magnitude": (
                settings.standard_magnitude if satellite.magnitude_known else None
            ),
            "max_magnitude": prediction.max_magnitude,
            "min_duration_s": prediction.min_duration_s,
        },
        "observers": (
            [
                _observer(group, pass_dicts(group.passes), following)
                for group, following in zip(
                    prediction.places, _next_visible_dicts(prediction.places), strict=True
                )
            ]
            if observers is None
            else observers(prediction.places[0])
            if prediction.places
            else []
        ),
        "warnings": list(prediction.warnings),
    }


_HOLE = "\x00observers\x00"


#: Documents of at most this many passes are encoded by the standard library (a few ms of
#: pure-Python indenting) rather than orjson, whose import costs a one-day cron run 7 ms.
SMALL_DOCUMENT_PASSES = 200


def _dumps(value: Any, *, small: bool = False) -> bytes:
    """UTF-8 JSON indented by two spaces, as ``json.dumps(value, indent=2,
    ensure_ascii=False)`` lays it out: by that very call when ``small``, else by orjson (C
    speed for the millions of passes; the same bytes, a test checks)."""
    if small:
        import json

        return json.dumps(value, indent=2, ensure_ascii=False).encode()
    import orjson

    return orjson.dumps(value, option=orjson.OPT_INDENT_2)


def write_passes_json(prediction: Prediction, write: Callable[[bytes], Any]) -> None:
    """Write :func:`passes_json`'s document, then a newline, through ``write`` in pieces: the
    header, then one observer at a time (the same JSON, value for value, as the whole
    document; memory bounded by the largest observer)."""
    with _cycles_not_collected():
        _write_passes_json(prediction, write)


@contextmanager
def _cycles_not_collected() -> Iterator[None]:
    """Python's cyclic garbage collector held off for the duration: the document's dicts and
    lists form no cycles, and every few hundred new containers the collector would walk the
    young ones again (10,700 passes x 6 points: 10-15 % of the writing, measured)."""
    import gc

    if not gc.isenabled():
        yield
        return
    gc.disable()
    try:
        yield
    finally:
        gc.enable()


def _write_passes_json(
    prediction: Prediction, write: Callable[[bytes], Any], *, small: bool | None = None
) -> None:
    if small is None:
        small = sum(len(group.passes) for group in prediction.places) <= SMALL_DOCUMENT_PASSES
    if not prediction.places:
        write(_dumps(passes_json(prediction), small=small) + b"\n")
        return
    header = _dumps(passes_json(prediction, observers=lambda _: _HOLE), small=small)
    hole = f'"{_HOLE}"'.replace("\x00", "\\u0000").encode()
    before, after = header.split(hole)
    write(before + b"[")
    for index, (group, passes, following) in enumerate(
        # A small document's passes as dicts: the text path's fixed cost (some 200 numpy calls)
        # is more than their encoding's (one place for one day: 1.1 against 0.8 ms).
        zip(
            prediction.places,
            _pass_texts_by_place(prediction.places, as_text=not small),
            _next_visible_dicts(prediction.places),
            strict=True,
        )
    ):
        separator = b",\n    " if index else b"\n    "
        if passes and isinstance(passes[0], bytes):
            observer = _observer(group, _HOLE, following)
            text = _dumps(observer, small=small).replace(b"\n", b"\n    ")
            head, tail = text.split(hole)
            write(b"".join([separator, head, *passes, tail]))  # type: ignore[list-item]
        else:
            text = _dumps(_observer(group, passes, following), small=small)
            write(separator + text.replace(b"\n", b"\n    "))
    write(b"\n  ]" + after + b"\n")
