"""A real (non-editable) install, run from another folder, finds the bundled data."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

REPO_ROOT = Path(__file__).resolve().parents[1]


@pytest.mark.slow
def test_installed_package_finds_its_bundled_data(tmp_path):
    site = tmp_path / "site"
    # pip builds the wheel with hatchling (fetched from PyPI into an isolated build env).
    build = subprocess.run(
        [
            sys.executable,
            "-m",
            "pip",
            "install",
            "--no-deps",
            "--no-compile",
            "--quiet",
            "--disable-pip-version-check",
            "--target",
            str(site),
            str(REPO_ROOT),
        ],
        capture_output=True,
        text=True,
        timeout=240,
        check=False,
    )
    assert build.returncode == 0, build.stdout + build.stderr

    installed = site / "tiangong_orbit"
    assert (installed / "data" / "tle" / "tiangong_history.tle").is_file()
    for name in (
        "stations_latest.tle",
        "tiangong_omm.json",
        "iss_history.tle",
        "tiangong_additions.tle",
    ):
        assert (installed / "data" / "tle" / name).is_file()
    if (REPO_ROOT / "data" / "cities.csv").exists():
        assert (installed / "data" / "cities.csv").is_file()

    empty_cache = tmp_path / "cache"
    empty_cache.mkdir()
    env = {
        key: value
        for key, value in os.environ.items()
        if not key.startswith(("PYTHON", "TIANGONG_ORBIT_"))
    }
    env.update(PYTHONPATH=str(site), TIANGONG_ORBIT_CACHE_DIR=str(empty_cache))
    run = subprocess.run(
        [
            sys.executable,
            "-c",
            "import tiangong_orbit, tiangong_orbit.tle as t; print(tiangong_orbit.__file__); "
            "print(len(t.load_catalog().sets))",
        ],
        cwd=tmp_path,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert run.returncode == 0, run.stderr
    module_file, count = run.stdout.split()
    assert Path(module_file).resolve().is_relative_to(site.resolve())
    # 663 + 311 Tiangong, 1126 ISS history, 6 latest and 4 OMM sets (data/tle/SOURCES.md), less
    # the two that sit in two files (the latest Tiangong set; one OMM record of the history).
    assert int(count) == 663 + 311 + 1126 + 6 + 4 - 2
