"""The ``tiangong-orbit/passes/1`` JSON document (DESIGN.md): keep every field; add freely.

The document is built in one place: :func:`passes_json` for the header and every observer,
:func:`pass_dicts` for the passes (from the predictor's arrays, :class:`~tiangong_orbit.model.
PassColumns`, without making a :class:`~tiangong_orbit.model.Pass` object per pass).
:func:`write_passes_json` writes the same document piece by piece (one observer at a time), so
a year of every pass over every city needs memory for one observer's text, not 1 GB of it; it
writes the passes' text straight from the columns (:mod:`.passes_text`), the same bytes as the
dicts encoded. Numbers are rounded as Python's ``round`` rounds them and times as
:func:`~tiangong_orbit.timeutil.iso_z` writes them, whichever path made them.
"""

from __future__ import annotations

import itertools
import math
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from functools import partial
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
from tiangong_orbit.render.passes_text import (
    AGE_DIGITS,
    ANGLE_DIGITS,
    EPOCH,
    KM_DIGITS,
    MAGNITUDE_DIGITS,
    MICROSECOND,
    PASS_INDENT,
    SECONDS_DIGITS,
    NotPlain,
    iso_chars,
    passes_text,
)
from tiangong_orbit.timeutil import iso_z

if TYPE_CHECKING:
    from tiangong_orbit.sky import Near

SCHEMA = "tiangong-orbit/passes/1"

#: Passes turned into dicts at a time: bounds the temporary lists, and a batch's dicts are
#: freed while their memory is still in the processor's cache (every city for 30 days: the
#: writing took 110 ms in batches of 4096 passes, 88 ms in batches of 1024).
BATCH = 1024
#: Passes written as text at a time by :func:`passes_text`, the passes of consecutive places
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
    half to even in exact integers), several times faster (see :func:`iso_chars`)."""
    chars = iso_chars(microseconds_)
    return chars.astype(np.uint32).view("U24").ravel().tolist()  # type: ignore[no-any-return]


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
    pieces (bytes: :func:`~tiangong_orbit.render.passes_text.passes_text`), the passes of
    consecutive places written together up to :data:`TEXT_BATCH` at a time; a batch the text
    path does not write, or every batch unless ``as_text``, comes as :func:`pass_dicts`'
    dicts."""
    chunk: list[PassColumns] = []
    size = 0

    def made() -> Iterator[list[bytes] | list[dict[str, Any]]]:
        columns = chunk[0] if len(chunk) == 1 else PassColumns.concatenate(chunk)
        counts = [len(part) for part in chunk]
        ends = np.cumsum(counts).tolist()
        try:
            if not as_text:
                raise NotPlain
            texts = passes_text(columns)
        except NotPlain:
            dicts = pass_dicts(PassList(columns))
            for count, end in zip(counts, ends, strict=True):
                yield dicts[end - count : end]
            return
        opening = b"[\n" + b" " * PASS_INDENT
        between = b",\n" + b" " * PASS_INDENT
        closing = b"\n" + b" " * (PASS_INDENT - 2) + b"]"
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
    """Each closest approach (README, "Stars and planets") as the document's ``near`` object,
    or ``None``: the times written together (as :func:`iso_z` writes them), the numbers
    rounded together (as ``round`` rounds them), the words by :meth:`Near.words`."""
    present = [near for near in nears if near is not None]
    if not present:
        return [None] * len(nears)
    names = [near.name for near in present]
    relations = [near.relation for near in present]
    separations = [near.separation_deg for near in present]
    times = _iso_z_ms([(near.time - EPOCH) // MICROSECOND for near in present])
    magnitudes = round_array(
        [math.nan if near.magnitude is None else near.magnitude for near in present],
        MAGNITUDE_DIGITS,
    )
    words = [near.words() for near in present]
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


def _split_at_hole(value_with: Callable[[str], Any]) -> tuple[bytes, bytes]:
    """The text of ``value_with(hole)`` (by :func:`_dumps`), split at the hole (a string
    standing for the observers, or one observer's passes): the text before it and after it.
    The hole is a string no other string of the value equals (a place may be called
    anything, even the first hole tried: a CSV of places takes NULs)."""
    for attempt in itertools.count():
        hole = f"{_HOLE}{attempt or ''}"
        parts = _dumps(value_with(hole)).split(f'"{hole}"'.replace("\x00", "\\u0000").encode())
        if len(parts) == 2:
            return parts[0], parts[1]
    raise AssertionError("unreachable")


#: Documents of at most this many passes have their passes made as dicts, not written by the
#: text path (:mod:`.passes_text`), whose fixed cost (some 200 numpy calls) is more than their
#: encoding's (one place for one day: 1.1 against 0.8 ms).
SMALL_DOCUMENT_PASSES = 200


def _dumps(value: Any) -> bytes:
    """UTF-8 JSON indented by two spaces: ``json.dumps(value, indent=2, ensure_ascii=False)``.

    The standard library's encoder, in pure Python when indenting: what it encodes here is the
    header and each observer's few fields (the passes are text already, :mod:`.passes_text`),
    and orjson did that no faster than 2-5 % of the writing (every city for 30 days, every
    pass: 295-301 against 307-314 ms of CPU) while its import cost 7 ms of every run."""
    import json

    return json.dumps(value, indent=2, ensure_ascii=False).encode()


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
        write(_dumps(passes_json(prediction)) + b"\n")
        return
    before, after = _split_at_hole(lambda hole: passes_json(prediction, observers=lambda _: hole))
    write(before + b"[")
    for index, (group, passes, following) in enumerate(
        zip(
            prediction.places,
            _pass_texts_by_place(prediction.places, as_text=not small),
            _next_visible_dicts(prediction.places),
            strict=True,
        )
    ):
        separator = b",\n    " if index else b"\n    "
        if passes and isinstance(passes[0], bytes):
            head, tail = (
                text.replace(b"\n", b"\n    ")
                for text in _split_at_hole(partial(_observer, group, following=following))
            )
            write(b"".join([separator, head, *passes, tail]))  # type: ignore[list-item]
        else:
            text = _dumps(_observer(group, passes, following))
            write(separator + text.replace(b"\n", b"\n    "))
    write(b"\n  ]" + after + b"\n")
