"""A satellite's orbit over time from its element sets: altitude, burns, decay, timing errors.

Everything here comes from the *mean* elements of each set (SGP4's Brouwer semi-major axis ``a``
and eccentricity ``e``, WGS72 radius ``R`` = 6378.135 km, as CelesTrak and Heavens-Above quote
them): mean altitude ``a - R``, perigee ``a (1 - e) - R``, apogee ``a (1 + e) - R``. These are
heights above the *equatorial* radius; the WGS84 geodetic altitude of :mod:`orbit` is up to
about 10 km more near 41.5° latitude, where the flattened Earth's surface lies lower.

The thresholds below were chosen on Tiangong's history (``data/tle/tiangong_history.tle``, 663
sets, 2021-12 to 2026-10); ``tests/test_history.py`` checks the facts quoted here.

Reboosts. Drag can only lower an orbit, so between two sets without a burn the semi-major axis
falls (the mean motion rises). A rise of ``a`` larger than the sets' own scatter is a reboost.
Between sets a few hours apart ``a`` scatters, after removing the decay, by a robust standard
deviation of 8 m (sets under 0.3 day apart) to 21 m (0.3 to 1 day), and the largest rise without
a burn is 67 m; the smallest rises that are plainly burns are 120-175 m over a week in which drag
alone would have lowered the orbit by about 1 km. :data:`REBOOST_THRESHOLD_KM` (0.1 km) sits in
that gap, five times the worst scatter. A burn smaller than the decay between two weekly sets
hides in the raw rise, so the change is also given corrected for the decay of the neighbouring
periods.

Burns inside a set's fit. The first set published after a burn is often fitted to tracking from
both sides of it: the orbit determination absorbs the rise as *negative* drag (BSTAR and the
mean-motion derivative below zero, which air drag cannot produce). Six sets have a BSTAR below
:data:`BURN_BSTAR_LIMIT` (typical values are +1e-4 to +4e-4): five are the first set after a
reboost seen in the rise, and one (2023-04-05) follows a week in which a small burn was hidden
by the decay. Such a set marks a reboost in the interval before it ("detected by the drag
term"), and is never used as the *older* set of a pair when calibrating timing errors: its
orbit keeps climbing when propagated (15-30 s off after 1-2 days).

Lowerings. A fall of ``a`` much faster than drag's is a burn too. Between consecutive sets the
fall is at most three times the neighbouring decay rate, except three times: two undo the too
high ``a`` of a set with a burn in its fit, and one, 0.91 km in 1.2 days (five times the decay)
on 2022-11-26/27, two days before Shenzhou-15's launch, lowered the orbit: predictions across it
miss by 17 s after a day. A fall more than :data:`LOWERING_RATIO` times the neighbouring decay
and :data:`LOWERING_MIN_KM` beyond it, not after a set with a burn in its fit, is a lowering.

Suspect sets. Now and then a published set disagrees with both its neighbours by kilometres
(2022-07-26, during the Wentian docking: 8.6 km higher than the sets 1.5 days before and 2 days
after, its predicted positions 660 km off theirs). A set that jumps from both neighbours by more
than :data:`SUSPECT_JUMP_KM` the same way, while the neighbours agree with each other, is
suspect and left out of the burns, the decay rates and the calibration.

Timing errors (:func:`timing_errors`): each older set is propagated to the epochs of newer ones
and compared with the newer set there. For a near-circular low orbit an old set's error lies
mostly along the track (drag is mismodelled), so the along-track miss over the along-track speed
is the error of a predicted pass time.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Literal

import numpy as np
from numpy.typing import NDArray

from tiangong_orbit.tle import ElementSet

FloatArray = NDArray[np.float64]
BoolArray = NDArray[np.bool_]
IndexArray = NDArray[np.intp]

#: A rise of the mean semi-major axis between consecutive sets above this is a reboost (km).
REBOOST_THRESHOLD_KM = 0.1
#: A BSTAR drag term below this (1/earth radii) means a burn fell inside the set's fit.
BURN_BSTAR_LIMIT = -1e-4
#: A fall this many times faster than the neighbouring decay ...
LOWERING_RATIO = 4.0
#: ... and this much (km) beyond it, is a lowering burn.
LOWERING_MIN_KM = 0.3
#: Steps on each side whose decay rates give the neighbouring decay rate of a step.
NEIGHBOUR_STEPS = 10
#: A set that differs from both neighbours by more than this, the same way, is suspect (km).
SUSPECT_JUMP_KM = 2.0
#: Consecutive sets further apart than this leave a gap in which burns cannot be seen (days).
MAX_GAP_DAYS = 21.0
#: Decay periods shorter than this (days) get no rate: the sets' scatter would dominate it.
MIN_PERIOD_DAYS = 2.0
#: Standard gravitational parameter of SGP4's WGS72 model (km^3/s^2), for speeds and delta-v.
MU_KM3_S2 = 398600.8

_SECONDS_PER_DAY = 86400.0

BurnKind = Literal["reboost", "lowering"]


@dataclass(frozen=True, slots=True)
class HistoryPoint:
    """One element set's orbit: mean altitude, perigee and apogee (km above the equatorial
    radius), mean motion (rev/day), and what the analysis found about it.

    ``reboost``/``lowering``: a burn came between the previous set and this one. ``suspect``:
    the set disagrees with both neighbours and is ignored. ``burn_in_fit``: the set's drag term
    is negative, so its fit spans a burn (see the module doc).
    """

    epoch: datetime
    semi_major_axis_km: float
    mean_altitude_km: float
    perigee_km: float
    apogee_km: float
    mean_motion_rev_per_day: float
    eccentricity: float
    bstar: float
    reboost: bool
    lowering: bool
    suspect: bool
    burn_in_fit: bool


@dataclass(frozen=True, slots=True)
class Burn:
    """A burn seen between the set of epoch ``before`` and the next one, at ``after``.

    ``altitude_change_km`` is the change of the mean altitude between those two sets;
    ``altitude_change_corrected_km`` adds back the decay of the interval at the neighbouring
    decay rate (the burn's real size when sets are a week apart). ``delta_v_m_s`` is the speed
    change such a change takes on a near-circular orbit, ``v |da| / (2 a)``. ``detected_by`` is
    ``"rise"`` (``a`` rose by more than the threshold), ``"drag term"`` (the rise was hidden by
    the decay, but the next set's fit spans a burn) or ``"fall"`` (a lowering).
    """

    kind: BurnKind
    before: datetime
    after: datetime
    altitude_before_km: float
    altitude_after_km: float
    altitude_change_km: float
    altitude_change_corrected_km: float
    delta_v_m_s: float
    detected_by: str

    @property
    def interval_days(self) -> float:
        """Days between the sets that bracket the burn."""
        return (self.after - self.before).total_seconds() / _SECONDS_PER_DAY


@dataclass(frozen=True, slots=True)
class DecayPeriod:
    """A stretch of sets with no burn and no gap, and how fast the orbit sank over it.

    ``decay_rate_km_per_day`` is the least-squares slope of the mean altitude against time, with
    the sign turned so that a sinking orbit has a positive rate; ``None`` when the period is
    shorter than :data:`MIN_PERIOD_DAYS`.
    """

    start: datetime
    end: datetime
    n_sets: int
    start_altitude_km: float
    end_altitude_km: float
    decay_rate_km_per_day: float | None

    @property
    def days(self) -> float:
        """Length of the period in days."""
        return (self.end - self.start).total_seconds() / _SECONDS_PER_DAY


@dataclass(frozen=True, slots=True)
class Gap:
    """Consecutive sets more than :data:`MAX_GAP_DAYS` apart: burns in between are not seen."""

    start: datetime
    end: datetime
    altitude_change_km: float

    @property
    def days(self) -> float:
        """Length of the gap in days."""
        return (self.end - self.start).total_seconds() / _SECONDS_PER_DAY


@dataclass(frozen=True, slots=True)
class MonthSummary:
    """The mean altitude over one calendar month (UTC) that has sets."""

    month: str
    n_sets: int
    mean_altitude_km: float
    min_altitude_km: float
    max_altitude_km: float
    min_perigee_km: float
    max_apogee_km: float
    n_reboosts: int


@dataclass(frozen=True, slots=True)
class History:
    """The orbit of one satellite over its element sets, oldest first."""

    name: str
    norad_id: int
    points: tuple[HistoryPoint, ...]
    burns: tuple[Burn, ...]
    decay_periods: tuple[DecayPeriod, ...]
    gaps: tuple[Gap, ...]
    reboost_threshold_km: float = REBOOST_THRESHOLD_KM

    @property
    def reboosts(self) -> tuple[Burn, ...]:
        """The burns that raised the orbit."""
        return tuple(burn for burn in self.burns if burn.kind == "reboost")

    @property
    def lowerings(self) -> tuple[Burn, ...]:
        """The burns that lowered the orbit."""
        return tuple(burn for burn in self.burns if burn.kind == "lowering")

    @property
    def suspects(self) -> tuple[HistoryPoint, ...]:
        """The sets left out as inconsistent with both neighbours."""
        return tuple(point for point in self.points if point.suspect)

    def decay_rates_km_per_day(self) -> list[float]:
        """The decay rates of the periods long enough to have one (positive = sinking)."""
        return [
            p.decay_rate_km_per_day
            for p in self.decay_periods
            if p.decay_rate_km_per_day is not None
        ]

    def median_decay_rate_km_per_day(self) -> float | None:
        """The median decay rate over the periods between burns, or ``None``."""
        rates = self.decay_rates_km_per_day()
        return float(np.median(rates)) if rates else None

    def months(self) -> list[MonthSummary]:
        """One summary per calendar month that has sets (months without sets are left out)."""
        by_month: dict[str, list[HistoryPoint]] = {}
        for point in self.points:
            if not point.suspect:
                by_month.setdefault(point.epoch.strftime("%Y-%m"), []).append(point)
        rows = []
        for month, points in sorted(by_month.items()):
            altitudes = np.array([p.mean_altitude_km for p in points])
            rows.append(
                MonthSummary(
                    month=month,
                    n_sets=len(points),
                    mean_altitude_km=float(altitudes.mean()),
                    min_altitude_km=float(altitudes.min()),
                    max_altitude_km=float(altitudes.max()),
                    min_perigee_km=min(p.perigee_km for p in points),
                    max_apogee_km=max(p.apogee_km for p in points),
                    n_reboosts=sum(p.reboost for p in points),
                )
            )
        return rows


# --------------------------------------------------------------------------------------------
# The analysis


def orbit_arrays(sets: Sequence[ElementSet]) -> dict[str, FloatArray]:
    """Epochs (POSIX s), semi-major axis, mean altitude, perigee, apogee (km), mean motion
    (rev/day), eccentricity and BSTAR of each set (mean elements, WGS72; see the module doc)."""
    radius = np.array([s.satrec.radiusearthkm for s in sets], dtype=float)
    a_km = np.array([s.satrec.a for s in sets], dtype=float) * radius
    ecc = np.array([s.satrec.ecco for s in sets], dtype=float)
    mean_motion = np.array([s.satrec.no_kozai for s in sets], dtype=float)
    return {
        "epoch_unix": np.array([s.epoch.timestamp() for s in sets], dtype=float),
        "semi_major_axis_km": a_km,
        "mean_altitude_km": a_km - radius,
        "perigee_km": a_km * (1.0 - ecc) - radius,
        "apogee_km": a_km * (1.0 + ecc) - radius,
        "mean_motion_rev_per_day": mean_motion * 1440.0 / (2.0 * math.pi),
        "eccentricity": ecc,
        "bstar": np.array([s.satrec.bstar for s in sets], dtype=float),
    }


def find_suspects(a_km: FloatArray, jump_km: float = SUSPECT_JUMP_KM) -> BoolArray:
    """Which sets jump from both neighbours by more than ``jump_km`` the same way, while the
    neighbours agree with each other to within half that jump (see the module doc)."""
    suspect = np.zeros(len(a_km), dtype=bool)
    if len(a_km) < 3:
        return suspect
    up = a_km[1:-1] - a_km[:-2]
    down = a_km[1:-1] - a_km[2:]
    across = np.abs(a_km[2:] - a_km[:-2])
    same_way = np.sign(up) == np.sign(down)
    big = (np.abs(up) > jump_km) & (np.abs(down) > jump_km)
    agree = across < 0.5 * np.minimum(np.abs(up), np.abs(down))
    suspect[1:-1] = same_way & big & agree
    return suspect


def neighbour_decay_rates(
    rise_km: FloatArray, step_days: FloatArray, usable: BoolArray
) -> FloatArray:
    """For each step between sets, the median decay rate (km/day, positive) of the falling,
    ``usable`` steps among the :data:`NEIGHBOUR_STEPS` on each side (0 when there is none)."""
    rate = np.where(usable & (rise_km < 0), -rise_km / np.maximum(step_days, 1e-9), np.nan)
    result = np.zeros(len(rise_km))
    for step in range(len(rise_km)):
        window = np.concatenate(
            (
                rate[max(0, step - NEIGHBOUR_STEPS) : step],
                rate[step + 1 : step + 1 + NEIGHBOUR_STEPS],
            )
        )
        window = window[np.isfinite(window)]
        result[step] = float(np.median(window)) if len(window) else 0.0
    return result


def analyse(
    sets: Sequence[ElementSet],
    *,
    reboost_threshold_km: float = REBOOST_THRESHOLD_KM,
    max_gap_days: float = MAX_GAP_DAYS,
) -> History:
    """The orbit history of the sets of one satellite: points, burns, decay periods, gaps.

    ``sets`` are those of one satellite (as :func:`tle.sets_for` returns them); they are sorted
    by epoch here. Raises ``ValueError`` when they are empty or mix satellites.
    """
    if not sets:
        raise ValueError("no element sets to analyse")
    if len({s.norad_id for s in sets}) != 1:
        raise ValueError("the element sets belong to more than one satellite")
    ordered = sorted(sets, key=lambda s: s.epoch)
    arrays = orbit_arrays(ordered)
    t = arrays["epoch_unix"]
    a = arrays["semi_major_axis_km"]
    altitude = arrays["mean_altitude_km"]
    suspect = find_suspects(a)
    burn_in_fit = (arrays["bstar"] < BURN_BSTAR_LIMIT) & ~suspect
    good = np.flatnonzero(~suspect)

    # Steps between consecutive good sets; step k goes from good[k] to good[k + 1].
    rise_km = np.diff(a[good])
    step_days = np.diff(t[good]) / _SECONDS_PER_DAY
    earlier, later = good[:-1], good[1:]
    is_gap = step_days > max_gap_days
    by_rise = rise_km > reboost_threshold_km
    is_reboost = (by_rise | burn_in_fit[later]) & ~is_gap
    local_rate = neighbour_decay_rates(
        rise_km, step_days, ~is_gap & (step_days <= 10.0) & ~burn_in_fit[earlier] & ~is_reboost
    )
    excess_fall_km = -rise_km - local_rate * step_days
    is_lowering = (
        (-rise_km > LOWERING_RATIO * local_rate * step_days)
        & (excess_fall_km > LOWERING_MIN_KM)
        & ~burn_in_fit[earlier]
        & ~is_gap
        & ~is_reboost
    )
    is_burn = is_reboost | is_lowering

    periods = _decay_periods(ordered, good, t, altitude, np.flatnonzero(is_burn | is_gap))
    burns = []
    for step in np.flatnonzero(is_burn):
        before, after = earlier[step], later[step]
        change = float(altitude[after] - altitude[before])
        rate = _period_rate(periods, ordered[before].epoch, ordered[after].epoch)
        corrected = change + rate * float(step_days[step])
        a_mid = 0.5 * (a[before] + a[after])
        speed_km_s = math.sqrt(MU_KM3_S2 / a_mid)
        burns.append(
            Burn(
                kind="reboost" if is_reboost[step] else "lowering",
                before=ordered[before].epoch,
                after=ordered[after].epoch,
                altitude_before_km=float(altitude[before]),
                altitude_after_km=float(altitude[after]),
                altitude_change_km=change,
                altitude_change_corrected_km=corrected,
                delta_v_m_s=1000.0 * speed_km_s * abs(corrected) / (2.0 * a_mid),
                detected_by=("rise" if by_rise[step] else "drag term")
                if is_reboost[step]
                else "fall",
            )
        )

    gaps = tuple(
        Gap(
            ordered[earlier[step]].epoch,
            ordered[later[step]].epoch,
            float(altitude[later[step]] - altitude[earlier[step]]),
        )
        for step in np.flatnonzero(is_gap)
    )
    reboost_flag = np.zeros(len(ordered), dtype=bool)
    reboost_flag[later[is_reboost]] = True
    lowering_flag = np.zeros(len(ordered), dtype=bool)
    lowering_flag[later[is_lowering]] = True
    points = tuple(
        HistoryPoint(
            epoch=element_set.epoch,
            semi_major_axis_km=float(a[k]),
            mean_altitude_km=float(altitude[k]),
            perigee_km=float(arrays["perigee_km"][k]),
            apogee_km=float(arrays["apogee_km"][k]),
            mean_motion_rev_per_day=float(arrays["mean_motion_rev_per_day"][k]),
            eccentricity=float(arrays["eccentricity"][k]),
            bstar=float(arrays["bstar"][k]),
            reboost=bool(reboost_flag[k]),
            lowering=bool(lowering_flag[k]),
            suspect=bool(suspect[k]),
            burn_in_fit=bool(burn_in_fit[k]),
        )
        for k, element_set in enumerate(ordered)
    )
    return History(
        name=ordered[-1].name,
        norad_id=ordered[-1].norad_id,
        points=points,
        burns=tuple(burns),
        decay_periods=periods,
        gaps=gaps,
        reboost_threshold_km=reboost_threshold_km,
    )


def _decay_periods(
    ordered: Sequence[ElementSet],
    good: IndexArray,
    t: FloatArray,
    altitude: FloatArray,
    breaks: IndexArray,
) -> tuple[DecayPeriod, ...]:
    """Runs of good sets split after every step in ``breaks``, with their decay rates."""
    run_starts = np.concatenate(([0], breaks + 1))
    run_ends = np.concatenate((breaks, [len(good) - 1]))
    periods = []
    for first, last in zip(run_starts, run_ends, strict=True):
        members = good[first : last + 1]
        days = (t[members] - t[members[0]]) / _SECONDS_PER_DAY
        rate = None
        if days[-1] >= MIN_PERIOD_DAYS:
            rate = float(-np.polyfit(days, altitude[members], 1)[0])
        periods.append(
            DecayPeriod(
                start=ordered[members[0]].epoch,
                end=ordered[members[-1]].epoch,
                n_sets=len(members),
                start_altitude_km=float(altitude[members[0]]),
                end_altitude_km=float(altitude[members[-1]]),
                decay_rate_km_per_day=rate,
            )
        )
    return tuple(periods)


def _period_rate(periods: Sequence[DecayPeriod], before: datetime, after: datetime) -> float:
    """The decay rate (km/day) around a burn between ``before`` and ``after``: the mean of the
    nearest measured rates on each side (0 when there is none)."""
    earlier = [
        p.decay_rate_km_per_day
        for p in periods
        if p.decay_rate_km_per_day is not None and p.end <= before
    ]
    later = [
        p.decay_rate_km_per_day
        for p in periods
        if p.decay_rate_km_per_day is not None and p.start >= after
    ]
    rates = ([earlier[-1]] if earlier else []) + ([later[0]] if later else [])
    return max(0.0, float(np.mean(rates))) if rates else 0.0


# --------------------------------------------------------------------------------------------
# Timing errors of old sets, for the calibration of uncertainty.py


@dataclass(frozen=True, slots=True)
class TimingErrors:
    """Older set ``older[k]`` propagated to the epoch of newer set ``newer[k]``.

    ``age_days`` is how far it was propagated; ``error_s`` is the along-track miss divided by
    the along-track speed, measured as an angle along the orbit (positive: the old set puts the
    satellite ahead of where it is, so its predicted times come early); ``miss_km`` is the
    whole position difference; ``older_epoch_unix`` is the older set's epoch (POSIX s).
    """

    older: IndexArray
    newer: IndexArray
    age_days: FloatArray
    error_s: FloatArray
    miss_km: FloatArray
    older_epoch_unix: FloatArray

    def select(self, mask: BoolArray) -> TimingErrors:
        """The pairs where ``mask`` is true."""
        return TimingErrors(
            self.older[mask],
            self.newer[mask],
            self.age_days[mask],
            self.error_s[mask],
            self.miss_km[mask],
            self.older_epoch_unix[mask],
        )

    def __len__(self) -> int:
        return len(self.age_days)


def timing_errors(
    sets: Sequence[ElementSet],
    *,
    max_age_days: float = 30.0,
    history: History | None = None,
) -> TimingErrors:
    """Timing errors of every (older, newer) pair of sets up to ``max_age_days`` apart.

    Skipped: pairs across a burn or a gap (a prediction cannot foresee a burn), pairs with a
    suspect set, and pairs whose older set has a burn inside its fit. ``sets`` are sorted by
    epoch here; the indices in the result refer to that order. One vectorized SGP4 call
    (``SatrecArray``) propagates every set to every epoch.
    """
    from sgp4.api import SatrecArray

    ordered = sorted(sets, key=lambda s: s.epoch)
    if history is None:
        history = analyse(ordered)
    n = len(ordered)
    if n < 2:
        index, empty = np.zeros(0, dtype=np.intp), np.zeros(0)
        return TimingErrors(index, index, empty, empty, empty, empty)
    t = np.array([s.epoch.timestamp() for s in ordered])
    suspect = np.array([p.suspect for p in history.points])
    burn_in_fit = np.array([p.burn_in_fit for p in history.points])
    # Segment number of each set: it goes up after every burn and every gap, so two sets in
    # the same segment have no burn (seen, or possibly hidden in a gap) between them.
    breaks_after = {g.start for g in history.gaps} | {b.before for b in history.burns}
    segment = np.cumsum([0] + [ordered[k].epoch in breaks_after for k in range(n - 1)])

    older, newer = np.triu_indices(n, k=1)
    age = (t[newer] - t[older]) / _SECONDS_PER_DAY
    keep = (
        (age <= max_age_days)
        & ~suspect[older]
        & ~suspect[newer]
        & ~burn_in_fit[older]
        & (segment[older] == segment[newer])
    )
    older, newer, age = older[keep], newer[keep], age[keep]

    jd = np.array([s.satrec.jdsatepoch for s in ordered])
    fr = np.array([s.satrec.jdsatepochF for s in ordered])
    errors, r, v = SatrecArray([s.satrec for s in ordered]).sgp4(jd, fr)  # (sets, epochs, 3)
    r_pred, r_true, v_true = r[older, newer], r[newer, newer], v[newer, newer]
    ok = (errors[older, newer] == 0) & (errors[newer, newer] == 0) & np.isfinite(r_pred).all(axis=1)
    # The along-track miss as the angle, in the true orbit's plane, from the true position to
    # the predicted one (positive ahead), over the angular rate: a chord would saturate at a
    # quarter of an orbit (about 880 s) while month-old sets can be off by more.
    momentum = np.cross(r_true, v_true)
    normal = momentum / np.linalg.norm(momentum, axis=1)[:, None]
    ahead = np.einsum("nk,nk->n", np.cross(r_true, r_pred), normal)
    angle_rad = np.arctan2(ahead, np.einsum("nk,nk->n", r_true, r_pred))
    rate_rad_s = np.linalg.norm(momentum, axis=1) / np.einsum("nk,nk->n", r_true, r_true)
    # Past half an orbit the angle wraps round; follow each older set through its newer ones
    # (sorted by age, a few days apart at most) and unwrap, as np.unwrap does.
    angle_rad = _unwrap_groups(angle_rad, older, ok)
    result = TimingErrors(
        older, newer, age, angle_rad / rate_rad_s, np.linalg.norm(r_pred - r_true, axis=1), t[older]
    )
    return result.select(ok)


def _unwrap_groups(angle_rad: FloatArray, group: IndexArray, ok: BoolArray) -> FloatArray:
    """Unwrap ``angle_rad`` within each run of equal ``group`` (consecutive, in order), using
    only the entries where ``ok``; the first angle of each run is taken as it is (its set is
    the nearest in time, far less than half an orbit off)."""
    result = angle_rad.copy()
    index = np.flatnonzero(ok)
    if len(index) < 2:
        return result
    values, groups = angle_rad[index], group[index]
    step = np.diff(values)
    step = (step + np.pi) % (2.0 * np.pi) - np.pi
    starts = np.concatenate(([True], groups[1:] != groups[:-1]))
    step[starts[1:]] = 0.0
    total = np.concatenate(([0.0], np.cumsum(step)))
    first = np.maximum.accumulate(np.where(starts, np.arange(len(index)), 0))
    result[index] = values[first] + total - total[first]
    return result
