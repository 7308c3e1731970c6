"""Calibrate the timing uncertainty of predicted passes on Tiangong's real element-set history.

Usage::

    /work/venv/bin/python scripts/fit_uncertainty.py            # fit, print, write the JSON
    /work/venv/bin/python scripts/fit_uncertainty.py --no-write # fit and print only
    /work/venv/bin/python scripts/fit_uncertainty.py --check    # exit 1 if the JSON is stale

Method (see tiangong_orbit.uncertainty and tiangong_orbit.history for the details):

1. Read the history (``data/tle/tiangong_history.tle`` and the gap-filling
   ``data/tle/tiangong_additions.tle``, one set per epoch), find reboosts and suspect sets.
2. Propagate every older set to the epoch of every newer set up to 37.5 days later, skipping
   pairs across a reboost or a data gap and pairs with a suspect set; the along-track miss
   over the along-track speed is the timing error of a predicted pass.
3. RMS error in logarithmic age bins from 0.5 to 37.5 days; fit ``rms = A * age ** B`` on the
   logarithms; ``floor_s`` = RMS error under 0.25 day.
4. Held out: two folds by the calendar month of the older set (odd months fit, even months
   test, and the other way round): a month-long block keeps the nearly identical sets a few
   hours apart on the same side of the split.
5. Write the coefficients, the tables and the provenance to
   ``src/tiangong_orbit/data_uncertainty.json``, which ``uncertainty.py`` reads.
"""

from __future__ import annotations

import argparse
import json
import math
import sys
from datetime import UTC, datetime
from pathlib import Path

import numpy as np

from tiangong_orbit import history, tle, uncertainty
from tiangong_orbit.resources import data_path
from tiangong_orbit.timeutil import iso_z

MAX_AGE_DAYS = 37.5
FLOOR_MAX_AGE_DAYS = 0.25
BIN_EDGES_DAYS = tuple(float(edge) for edge in np.geomspace(0.5, MAX_AGE_DAYS, 15))
#: The figures of the earlier, rougher measurement quoted in the issue, for comparison.
EARLIER_MEASUREMENT_S = {1.0: 0.6, 3.0: 4.0, 7.0: 18.0, 14.0: 80.0, 30.0: 360.0}
ERA_SPLIT = datetime(2025, 1, 1, tzinfo=UTC)
OUTPUT = Path(__file__).resolve().parents[1] / "src" / "tiangong_orbit" / uncertainty.FIT_FILE
#: The bundled Tiangong history the shipped fit is made from.
HISTORY_FILES = ("tiangong_history.tle", "tiangong_additions.tle")


def default_files() -> list[Path]:
    """The bundled history files (:data:`HISTORY_FILES`)."""
    return [data_path("tle", name) for name in HISTORY_FILES]


def _fit(errors: history.TimingErrors) -> dict:
    bins = uncertainty.binned_rms(errors.age_days, errors.error_s, BIN_EDGES_DAYS)
    a_s, b, log_residual = uncertainty.fit_power_law(bins)
    return {"A_s": a_s, "B": b, "log_residual": log_residual, "bins": bins}


def _two_term_residual(bins: np.ndarray) -> tuple[float, float, float]:
    """The alternative model sqrt((L t)^2 + (Q t^2)^2), fitted on sigma^2 relative to each bin."""
    t, rms, n = bins[:, 0], bins[:, 1], bins[:, 2]
    design = np.stack((t**2, t**4), axis=1) / rms[:, None] ** 2
    weight = np.sqrt(n)[:, None]
    coef, *_ = np.linalg.lstsq(design * weight, weight[:, 0], rcond=None)
    coef = np.maximum(coef, 0.0)
    predicted = np.sqrt(design @ coef) * rms
    residual = np.log(rms) - np.log(predicted)
    return (
        float(math.sqrt(coef[0])),
        float(math.sqrt(coef[1])),
        float(np.sqrt(np.average(residual**2, weights=n))),
    )


def _table(
    fit_part: history.TimingErrors,
    test_part: history.TimingErrors | None,
    a_s: float,
    b: float,
    floor_s: float,
) -> list[dict]:
    rows = []
    for age in uncertainty.REPORT_AGES_DAYS:
        rms_fit, n_fit = uncertainty.rms_at(fit_part.age_days, fit_part.error_s, age)
        row = {
            "age_days": age,
            "predicted_s": round(uncertainty.model_s(age, a_s, b, floor_s), 3),
            "rms_fit_s": _round(rms_fit),
            "n_fit": n_fit,
        }
        if test_part is not None:
            rms_test, n_test = uncertainty.rms_at(test_part.age_days, test_part.error_s, age)
            row |= {
                "rms_held_out_s": _round(rms_test),
                "n_held_out": n_test,
                "ratio_predicted_to_held_out": _round(row["predicted_s"] / rms_test, 3),
            }
        rows.append(row)
    return rows


def _round(value: float, digits: int = 3) -> float | None:
    return None if not math.isfinite(value) else round(value, digits)


def _print_table(title: str, rows: list[dict], held_out: bool) -> None:
    print(f"\n{title}")
    header = f"  {'age':>6} {'fit RMS':>9} {'n':>6} {'model':>9}"
    if held_out:
        header += f" {'held-out RMS':>13} {'n':>6} {'model/held-out':>15}"
    print(header)
    for row in rows:
        line = (
            f"  {row['age_days']:>4.0f} d {_s(row['rms_fit_s']):>9} {row['n_fit']:>6} "
            f"{_s(row['predicted_s']):>9}"
        )
        if held_out:
            ratio = row["ratio_predicted_to_held_out"]
            line += (
                f" {_s(row['rms_held_out_s']):>13} {row['n_held_out']:>6} "
                f"{'-' if ratio is None else f'{ratio:.2f}':>15}"
            )
        print(line)


def _compare(alternative: float, shipped: float) -> str:
    if alternative < shipped - 0.01:
        return "better"
    if alternative > shipped + 0.01:
        return "worse"
    return "about the same"


def _s(value: float | None) -> str:
    if value is None:
        return "-"
    return f"{value:.2f} s" if value < 10 else f"{value:.0f} s"


def calibrate(paths: Path | list[Path]) -> dict:
    """Everything the JSON holds, computed from the history file(s) at ``paths`` (sets of one
    epoch in several files count once)."""
    files = [paths] if isinstance(paths, Path) else list(paths)
    parsed = [s for path in files for s in tle.parse_file(path, source="bundled")]
    sets = tle.sets_for(tle.dedupe_sets(parsed), tle.TIANGONG_NORAD_ID)
    record = history.analyse(sets)
    errors = history.timing_errors(sets, max_age_days=MAX_AGE_DAYS, history=record)
    young = errors.age_days <= FLOOR_MAX_AGE_DAYS
    floor_s = float(np.sqrt(np.mean(errors.error_s[young] ** 2))) if young.any() else 0.1

    overall = _fit(errors)
    l_s, q_s, two_term_residual = _two_term_residual(overall["bins"])

    month = np.array([datetime.fromtimestamp(t, UTC).month for t in errors.older_epoch_unix])
    odd = month % 2 == 1
    folds = []
    for name, train in (("odd months", odd), ("even months", ~odd)):
        part = _fit(errors.select(train))
        folds.append(
            {
                "fit_on": f"older sets from {name}",
                "held_out": f"older sets from {'even' if name.startswith('odd') else 'odd'} months",
                "A_s": round(part["A_s"], 5),
                "B": round(part["B"], 5),
                "table": _table(
                    errors.select(train), errors.select(~train), part["A_s"], part["B"], floor_s
                ),
            }
        )

    split = ERA_SPLIT.timestamp()
    eras = []
    for label, mask in (
        ("2021-12 to 2024-12", errors.older_epoch_unix < split),
        ("2025-01 to 2026-10", errors.older_epoch_unix >= split),
    ):
        eras.append(
            {
                "era": label,
                "n_pairs": int(mask.sum()),
                "table": _table(errors.select(mask), None, overall["A_s"], overall["B"], floor_s),
            }
        )

    epochs = [s.epoch for s in sets]
    return {
        "schema": uncertainty.FIT_SCHEMA,
        "model": "sigma_s = max(floor_s, A_s * age_days ** B)",
        "A_s": round(overall["A_s"], 5),
        "B": round(overall["B"], 5),
        "floor_s": round(floor_s, 4),
        "log_residual": round(overall["log_residual"], 4),
        "alternative": {
            "model": "sqrt((L_s * age_days) ** 2 + (Q_s * age_days ** 2) ** 2)",
            "L_s": round(l_s, 5),
            "Q_s": round(q_s, 5),
            "log_residual": round(two_term_residual, 4),
        },
        "data": {
            "file": " + ".join(f"data/tle/{path.name}" for path in files),
            "norad_id": tle.TIANGONG_NORAD_ID,
            "n_sets": len(sets),
            "first_epoch": iso_z(min(epochs)),
            "last_epoch": iso_z(max(epochs)),
            "n_reboosts": len(record.reboosts),
            "n_lowerings": len(record.lowerings),
            "n_sets_with_burn_in_fit": sum(p.burn_in_fit for p in record.points),
            "n_suspect_sets": len(record.suspects),
            "n_pairs": len(errors),
            "max_age_days": MAX_AGE_DAYS,
            "reboost_threshold_km": history.REBOOST_THRESHOLD_KM,
            "timing_error": "along-track miss / along-track speed, 1-sigma = RMS over pairs",
        },
        "bins": [
            {"age_days": round(age, 3), "rms_s": round(rms, 3), "n": int(n)}
            for age, rms, n in overall["bins"]
        ],
        "table": _table(errors, None, overall["A_s"], overall["B"], floor_s),
        "held_out": {
            "method": "two folds by calendar month of the older set's epoch",
            "folds": folds,
        },
        "eras": eras,
        "generated_by": "scripts/fit_uncertainty.py",
    }


def report(result: dict) -> None:
    """Print the figures of a :func:`calibrate` result."""
    data = result["data"]
    print(
        f"{data['n_sets']} element sets {data['first_epoch']} to {data['last_epoch']}: "
        f"{data['n_reboosts']} reboosts, {data['n_lowerings']} lowering(s), "
        f"{data['n_sets_with_burn_in_fit']} sets with a burn in their fit, "
        f"{data['n_suspect_sets']} suspect set(s), "
        f"{data['n_pairs']} pairs up to {data['max_age_days']} days apart"
    )
    print(
        f"\nfit: sigma = max({result['floor_s']:.3f} s, {result['A_s']:.4f} s * age_days ** "
        f"{result['B']:.4f}); log residual {result['log_residual']:.3f}"
    )
    alt = result["alternative"]
    print(
        f"alternative sqrt((L t)^2 + (Q t^2)^2): L = {alt['L_s']:.3f} s/day, Q = "
        f"{alt['Q_s']:.4f} s/day^2, log residual {alt['log_residual']:.3f} "
        f"({_compare(alt['log_residual'], result['log_residual'])})"
    )
    print("\nRMS per age bin:")
    for row in result["bins"]:
        model = uncertainty.model_s(row["age_days"], result["A_s"], result["B"], result["floor_s"])
        print(
            f"  {row['age_days']:6.2f} d  {_s(row['rms_s']):>9}  model {_s(model):>9}  n={row['n']}"
        )
    _print_table("whole history (the shipped fit):", result["table"], held_out=False)
    print(
        "  earlier measurement in the issue: "
        + ", ".join(f"{s:g} s at {a:g} d" for a, s in EARLIER_MEASUREMENT_S.items())
    )
    for fold in result["held_out"]["folds"]:
        _print_table(
            f"held out: fit on {fold['fit_on']} (A = {fold['A_s']:.4f} s, "
            f"B = {fold['B']:.4f}), tested on {fold['held_out']}:",
            fold["table"],
            held_out=True,
        )
    for era in result["eras"]:
        _print_table(
            f"era {era['era']} ({era['n_pairs']} pairs) against the shipped fit:",
            era["table"],
            held_out=False,
        )


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument(
        "--tle",
        type=Path,
        action="append",
        help="an element-set history file (repeatable; default: the bundled Tiangong history)",
    )
    parser.add_argument("--output", type=Path, default=OUTPUT, help="the JSON to write")
    parser.add_argument("--no-write", action="store_true", help="print the figures only")
    parser.add_argument(
        "--check", action="store_true", help="exit 1 when the JSON differs from a fresh fit"
    )
    args = parser.parse_args(argv)
    result = calibrate(args.tle or default_files())
    report(result)
    text = json.dumps(result, indent=2, ensure_ascii=False) + "\n"
    if args.check:
        current = args.output.read_text(encoding="utf-8") if args.output.exists() else ""
        if current != text:
            print(
                f"\n{args.output} is out of date: run scripts/fit_uncertainty.py", file=sys.stderr
            )
            return 1
        print(f"\n{args.output} is up to date")
        return 0
    if not args.no_write:
        args.output.write_text(text, encoding="utf-8")
        print(f"\nwrote {args.output}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
