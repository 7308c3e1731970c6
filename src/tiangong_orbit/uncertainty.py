"""How far a predicted pass time can be trusted, from the age of the element set.

The model is a power law for the 1-sigma timing error (seconds) of a pass predicted with an
element set ``age_days`` from its epoch::

    sigma_s = max(floor_s, A_s * age_days ** B)

Its coefficients live in ``data_uncertainty.json`` next to this module, written by
``scripts/fit_uncertainty.py`` from Tiangong's real element-set history
(``data/tle/tiangong_history.tle`` and its gap fills ``data/tle/tiangong_additions.tle``):
each older set is propagated to the epochs of the newer ones up to 37.5 days later (pairs
across a reboost skipped), the along-track miss is turned into a timing error
(:func:`tiangong_orbit.history.timing_errors`), the root mean square error is taken in age
bins, and ``log(rms) = log(A) + B log(age)`` is fitted by least squares. Why a power law: drag
mismodelling makes the along-track error grow as the square of the age, a mean-motion error
only linearly; the data show a log-log slope of about 2 from 1 to 30 days, and a two-term
``sqrt((L t)^2 + (Q t^2)^2)`` fits about as well (within 0.01 in the log). ``floor_s`` is the
RMS error of sets under 6 hours old: the noise of the sets themselves. The JSON also holds the
held-out check; the README shows the figures.
"""

from __future__ import annotations

import functools
import itertools
import json
import math
from collections.abc import Sequence
from typing import Any

#: The JSON file, inside the package, that ``scripts/fit_uncertainty.py`` writes.
FIT_FILE = "data_uncertainty.json"
FIT_SCHEMA = "tiangong-orbit/uncertainty-fit/1"
#: The ages (days) the README, the script and the tests quote the error at.
REPORT_AGES_DAYS: tuple[float, ...] = (1.0, 3.0, 7.0, 14.0, 30.0)
#: An age's window for the RMS at that age: from ``age / WINDOW_RATIO`` to ``age * WINDOW_RATIO``.
WINDOW_RATIO = 1.25


@functools.cache
def load_fit() -> dict[str, Any]:
    """The fitted coefficients and their provenance, read once from :data:`FIT_FILE` (found
    beside this module, as ``importlib.resources.files`` would find it, without importing
    ``importlib.resources``: 2 ms of every start)."""
    from pathlib import Path

    data = json.loads(Path(__file__).with_name(FIT_FILE).read_text(encoding="utf-8"))
    if data.get("schema") != FIT_SCHEMA:
        raise ValueError(f"{FIT_FILE}: expected schema {FIT_SCHEMA}, found {data.get('schema')}")
    return data


def model_s(age_days: float, a_s: float, b: float, floor_s: float) -> float:
    """The model ``max(floor_s, a_s * age ** b)`` for given coefficients (seconds)."""
    age = max(abs(age_days), 1e-3)
    return max(floor_s, a_s * age**b)


def uncertainty_s(age_days: float) -> float:
    """Expected 1-sigma timing error, in seconds, of a pass predicted ``age_days`` from epoch."""
    fit = load_fit()
    return model_s(age_days, fit["A_s"], fit["B"], fit["floor_s"])


def uncertainties_s(age_days: Any) -> Any:
    """:func:`uncertainty_s` for an array of ages (days) at once: an array of seconds, the same
    values element by element (numpy imported lazily)."""
    import numpy as np

    fit = load_fit()
    age = np.maximum(np.abs(np.asarray(age_days, dtype=float)), 1e-3)
    return np.maximum(fit["floor_s"], fit["A_s"] * age ** fit["B"])


#: Half of Tiangong's ~92-minute orbit, in seconds: a larger timing error means no prediction.
LOST_ALONG_ORBIT_S = 46 * 60


def _duration_words(seconds: float) -> str:
    # An uncertainty deserves one or two significant figures: "about 40 s", not "about 37 s".
    if seconds < 10:
        return f"{max(1, round(seconds))} s"
    if seconds < 90:
        return f"{round(seconds / 5) * 5} s"
    if seconds < 5400:
        return f"{round(seconds / 60)} minutes"
    return f"{seconds / 3600:.0f} hours"


def describe_error(age_days: float, *, short: bool = False) -> str:
    """Words for the expected error at ``age_days``: 'times may be off by about 40 s'."""
    sigma = uncertainty_s(age_days)
    if sigma > LOST_ALONG_ORBIT_S:
        # Past half an orbit (~46 min) the timing error stops meaning anything: the set no
        # longer says where along its orbit the station is.
        lost = "more than ±45 minutes, so the station could be anywhere along its orbit"
        return lost if short else f"times may be off by {lost}"
    if short:
        return f"about ±{_duration_words(sigma)}"
    if math.isfinite(sigma) and sigma < 1:
        return "times are good to about a second"
    return f"times may be off by about {_duration_words(sigma)}"


# --------------------------------------------------------------------------------------------
# Calibration helpers (used by scripts/fit_uncertainty.py and the tests; numpy imported lazily)


def rms_at(
    age_days: Any, error_s: Any, age: float, ratio: float = WINDOW_RATIO
) -> tuple[float, int]:
    """RMS error (s) and number of pairs whose age lies within ``[age / ratio, age * ratio]``;
    ``nan`` and 0 when there is none."""
    import numpy as np

    ages = np.asarray(age_days, dtype=float)
    errors = np.asarray(error_s, dtype=float)
    inside = (ages >= age / ratio) & (ages <= age * ratio)
    count = int(inside.sum())
    return (float(np.sqrt(np.mean(errors[inside] ** 2))) if count else math.nan), count


def binned_rms(age_days: Any, error_s: Any, edges: Sequence[float], min_pairs: int = 10) -> Any:
    """RMS error per age bin: an (M, 3) array of the geometric-mean age (days), the RMS (s) and
    the number of pairs, for the bins between consecutive ``edges`` with ``min_pairs`` or more."""
    import numpy as np

    ages = np.asarray(age_days, dtype=float)
    errors = np.asarray(error_s, dtype=float)
    rows = []
    for low, high in itertools.pairwise(edges):
        inside = (ages > low) & (ages <= high)
        if inside.sum() >= min_pairs:
            rows.append(
                (
                    float(np.exp(np.mean(np.log(ages[inside])))),
                    float(np.sqrt(np.mean(errors[inside] ** 2))),
                    int(inside.sum()),
                )
            )
    return np.array(rows, dtype=float).reshape(-1, 3)


def fit_power_law(bins: Any) -> tuple[float, float, float]:
    """Fit ``rms = A * age ** B`` to :func:`binned_rms` rows by least squares on the logarithms,
    each bin weighted by the square root of its pair count. Returns ``A`` (s), ``B`` and the
    weighted RMS of the log residuals (0.1 = the model is off by about 10 % in a typical bin)."""
    import numpy as np

    bins = np.asarray(bins, dtype=float)
    if len(bins) < 2:
        raise ValueError("need at least two age bins to fit a power law")
    x, y, n = np.log(bins[:, 0]), np.log(bins[:, 1]), bins[:, 2]
    b, log_a = np.polyfit(x, y, 1, w=np.sqrt(n))
    residual = y - (log_a + b * x)
    return float(np.exp(log_a)), float(b), float(np.sqrt(np.average(residual**2, weights=n)))
