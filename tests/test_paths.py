"""The directories of paths.py: worked out by hand on Linux, they must be platformdirs' own."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import platformdirs
import pytest

from tiangong_orbit import paths

linux_only = pytest.mark.skipif(sys.platform != "linux", reason="the hand-made rule is Linux's")

VARIABLES = ("XDG_CACHE_HOME", "XDG_STATE_HOME", "XDG_CONFIG_HOME")
OVERRIDES = ("TIANGONG_ORBIT_CACHE_DIR", "TIANGONG_ORBIT_STATE_DIR", "TIANGONG_ORBIT_CONFIG")


def _platformdirs_answers() -> tuple[Path, Path, Path]:
    name = paths.APP_NAME
    return (
        Path(platformdirs.user_cache_dir(name, appauthor=False)),
        Path(platformdirs.user_state_dir(name, appauthor=False)),
        Path(platformdirs.user_config_dir(name, appauthor=False)) / "config.toml",
    )


@linux_only
@pytest.mark.parametrize(
    ("home", "xdg"),
    [
        ("/home/amna", None),
        ("/home/amna/", None),
        ("/home/amna", ""),
        ("/home/amna", "/srv/xdg/"),
        ("/home/amna", "relative/xdg"),
        ("/home/amna", "  "),
        ("/", None),
    ],
)
def test_the_directories_are_platformdirs_ones(
    monkeypatch: pytest.MonkeyPatch, home: str, xdg: str | None
) -> None:
    for variable in OVERRIDES:
        monkeypatch.delenv(variable, raising=False)
    monkeypatch.setenv("HOME", home)
    for variable in VARIABLES:
        if xdg is None:
            monkeypatch.delenv(variable, raising=False)
        else:
            monkeypatch.setenv(variable, xdg)
    ours = (paths.cache_dir(), paths.state_dir(), paths.config_file())
    assert ours == _platformdirs_answers()


@linux_only
def test_the_plain_case_does_not_import_platformdirs(tmp_path: Path) -> None:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("XDG_", "TIANGONG_ORBIT_"))}
    env["HOME"] = str(tmp_path)
    code = (
        "import sys\n"
        "from tiangong_orbit import paths\n"
        "print(paths.cache_dir(), paths.state_dir(), paths.config_file())\n"
        "assert 'platformdirs' not in sys.modules, 'platformdirs imported'\n"
    )
    done = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, env=env, check=False
    )
    assert done.returncode == 0, done.stderr
    assert done.stdout.split() == [
        str(tmp_path / ".cache" / "tiangong-orbit"),
        str(tmp_path / ".local" / "state" / "tiangong-orbit"),
        str(tmp_path / ".config" / "tiangong-orbit" / "config.toml"),
    ]
