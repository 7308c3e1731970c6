"""Where tiangong-orbit keeps files of its own: the TLE cache and the alert state.

The cache is platformdirs' user cache directory (``~/.cache/tiangong-orbit`` on Linux), or
``$TIANGONG_ORBIT_CACHE_DIR`` when set; the alert state lives in the user state directory, or
``$TIANGONG_ORBIT_STATE_DIR``; the configuration file is ``config.toml`` in the user config
directory, or ``$TIANGONG_ORBIT_CONFIG`` when set. Nothing here creates a directory: writers
do, when they write.
"""

from __future__ import annotations

import os
from pathlib import Path

APP_NAME = "tiangong-orbit"


def cache_dir() -> Path:
    """The TLE cache directory (``tle update`` writes here; every command reads it)."""
    override = os.environ.get("TIANGONG_ORBIT_CACHE_DIR")
    if override:
        return Path(override).expanduser()
    from platformdirs import user_cache_dir

    return Path(user_cache_dir(APP_NAME, appauthor=False))


def tle_cache_dir() -> Path:
    """The folder of cached element-set files (``*.tle``, ``*.json``) in :func:`cache_dir`."""
    return cache_dir() / "tle"


def state_dir() -> Path:
    """The directory of the alert state database."""
    override = os.environ.get("TIANGONG_ORBIT_STATE_DIR")
    if override:
        return Path(override).expanduser()
    from platformdirs import user_state_dir

    return Path(user_state_dir(APP_NAME, appauthor=False))


def config_file() -> Path:
    """The configuration file (``config.toml`` in platformdirs' user config directory, e.g.
    ``~/.config/tiangong-orbit/config.toml``), or ``$TIANGONG_ORBIT_CONFIG`` when set."""
    override = os.environ.get("TIANGONG_ORBIT_CONFIG")
    if override:
        return Path(override).expanduser()
    from platformdirs import user_config_dir

    return Path(user_config_dir(APP_NAME, appauthor=False)) / "config.toml"
