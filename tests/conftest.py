"""Shared fixtures: where the real data lives, and the real element sets every test starts from."""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from hypothesis import settings

# In CI the property tests run the same examples every time: a red CI then always reproduces.
settings.register_profile("ci", derandomize=True)
if os.environ.get("CI"):
    settings.load_profile("ci")

REPO_ROOT = Path(__file__).resolve().parents[1]
TLE_DIR = REPO_ROOT / "data" / "tle"
TEST_DATA = Path(__file__).resolve().parent / "data"


@pytest.fixture(scope="session")
def css_tle() -> tuple[str, str, str]:
    """Name, line 1 and line 2 of a real Tiangong set (epoch 2026-10-06), from tests/data."""
    name, line1, line2 = (TEST_DATA / "css_2026-10-06.tle").read_text().splitlines()
    return name, line1, line2


@pytest.fixture(scope="session")
def history_sets():
    """The 663 real Tiangong sets of data/tle/tiangong_history.tle, oldest first."""
    from tiangong_orbit import tle

    return tle.parse_file(TLE_DIR / "tiangong_history.tle", source="bundled")


@pytest.fixture(autouse=True)
def _never_the_internet(monkeypatch: pytest.MonkeyPatch, tmp_path_factory: pytest.TempPathFactory):
    """Every test runs offline against its own cache, unless it points the source at 127.0.0.1.

    Automatic refresh would otherwise reach CelesTrak from any computing command; a test that
    exercises the network sets ``TIANGONG_ORBIT_TLE_URL`` to its own local server and clears
    ``TIANGONG_ORBIT_OFFLINE``. The URL below is the discard port on loopback: nothing listens.
    """
    monkeypatch.setenv("TIANGONG_ORBIT_OFFLINE", "1")
    monkeypatch.setenv("TIANGONG_ORBIT_TLE_URL", "http://127.0.0.1:9/unreachable")
    if "TIANGONG_ORBIT_CACHE_DIR" not in os.environ:
        monkeypatch.setenv("TIANGONG_ORBIT_CACHE_DIR", str(tmp_path_factory.mktemp("cache")))
    if "TIANGONG_ORBIT_STATE_DIR" not in os.environ:
        monkeypatch.setenv("TIANGONG_ORBIT_STATE_DIR", str(tmp_path_factory.mktemp("state")))
