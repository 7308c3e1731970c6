"""The JSON writer's own ISO formatter (``passes_json._iso_z_ms``, text assembled as arrays of
characters) against :func:`~tiangong_orbit.timeutil.iso_z`, which formats one ``datetime`` at a
time with ``strftime`` and shares no code with it."""

from __future__ import annotations

import random
from datetime import UTC, datetime, timedelta

import numpy as np

from tiangong_orbit.render.passes_json import _iso_z_ms
from tiangong_orbit.timeutil import iso_z

EPOCH_1970 = datetime(1970, 1, 1, tzinfo=UTC)


def test_json_times_are_iso_z_to_the_millisecond() -> None:
    rng = random.Random(14)
    # 1957 to 2052, so that the table of dates spans years, leap days and both signs.
    micro = [rng.randrange(-400_000_000_000_000, 2_600_000_000_000_000) for _ in range(20_000)]
    # Near every kind of millisecond boundary; exact halves (to the even millisecond); carries
    # into the next second, minute, hour, day and year.
    micro += [base + d for base in (0, 1_759_766_400_000_000) for d in range(-1502, 1503, 7)]
    micro += [k * 1000 + 500 for k in range(-5, 5)]
    new_year = int((datetime(2027, 1, 1, tzinfo=UTC) - EPOCH_1970).total_seconds()) * 1_000_000
    micro += [new_year + d for d in (-500, -501, -499, -1500, 0, 499, 500, 1500)]
    expected = [iso_z(EPOCH_1970 + timedelta(microseconds=us)) for us in micro]
    assert _iso_z_ms(np.array(micro, dtype=np.int64)) == expected
    # One pass's times (a day or two of dates), in any order.
    few = micro[-8:][::-1]
    assert _iso_z_ms(np.array(few, dtype=np.int64)) == expected[-8:][::-1]
    assert _iso_z_ms(np.array([], dtype=np.int64)) == []
