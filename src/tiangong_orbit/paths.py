"""Where tiangong-orbit keeps files of its own: the TLE cache and the alert state.

The cache is platformdirs' user cache directory (``~/.cache/tiangong-orbit`` on Linux), or
``$TIANGONG_ORBIT_CACHE_DIR`` when set; the alert state lives in the user state directory, or
``$TIANGONG_ORBIT_STATE_DIR``; the configuration file is ``config.toml`` in the user config
directory, or ``$TIANGONG_ORBIT_CONFIG`` when set. Nothing here creates a directory: writers
do, when they write.

On Linux the three directories are worked out here, by the XDG base directory rule platformdirs
follows (``$XDG_CACHE_HOME`` when it is an absolute path, else ``$HOME/.cache``; the same for
state and config): importing platformdirs cost every run on the bundled data 4.4 ms. Anything
less plain (another system, a relative or blank variable, no absolute ``$HOME``) is left to
platformdirs; a test checks that both give the same directories.
"""

from __future__ import annotations

import os
import sys
from pathlib import Path

APP_NAME = "tiangong-orbit"


def _user_dir(xdg_variable: str, home_default: str, kind: str) -> Path:
    """platformdirs' ``user_<kind>_dir`` for this application: on Linux, ``$<xdg_variable>``
    (when absolute) or ``$HOME/<home_default>``, joined with :data:`APP_NAME`."""
    if sys.platform == "linux" and "ANDROID_DATA" not in os.environ:
        base = os.environ.get(xdg_variable, "")
        if os.path.isabs(base):
            return Path(base, APP_NAME)
        home = os.environ.get("HOME", "")
        if not base and os.path.isabs(home):
            return Path(home, home_default, APP_NAME)
    import platformdirs

    function = getattr(platformdirs, f"user_{kind}_dir")
    return Path(function(APP_NAME, appauthor=False))


def cache_dir() -> Path:
    """The TLE cache directory (``tle update`` writes here; every command reads it)."""
    override = os.environ.get("TIANGONG_ORBIT_CACHE_DIR")
    if override:
        return Path(override).expanduser()
    return _user_dir("XDG_CACHE_HOME", ".cache", "cache")


def tle_cache_dir() -> Path:
    """The folder of cached element-set files (``*.tle``, ``*.json``) in :func:`cache_dir`."""
    return cache_dir() / "tle"


def state_dir() -> Path:
    """The directory of the alert state database."""
    override = os.environ.get("TIANGONG_ORBIT_STATE_DIR")
    if override:
        return Path(override).expanduser()
    return _user_dir("XDG_STATE_HOME", ".local/state", "state")


def config_file() -> Path:
    """The configuration file (``config.toml`` in platformdirs' user config directory, e.g.
    ``~/.config/tiangong-orbit/config.toml``), or ``$TIANGONG_ORBIT_CONFIG`` when set."""
    override = os.environ.get("TIANGONG_ORBIT_CONFIG")
    if override:
        return Path(override).expanduser()
    return _user_dir("XDG_CONFIG_HOME", ".config", "config") / "config.toml"
