"""Command-line interface: parse, call one core function, render.

Every ``cmd_*`` module in this package registers its commands on :data:`app` (or on the
``tle``/``chart`` groups) when imported; they are imported here in alphabetical order. They keep
their heavy imports inside the command functions.
"""

import importlib
import pkgutil

from tiangong_orbit.cli.app import app, chart_app, main, tle_app

for _module in sorted(m.name for m in pkgutil.iter_modules(__path__) if m.name.startswith("cmd_")):
    importlib.import_module(f"{__name__}.{_module}")

__all__ = ["app", "chart_app", "main", "tle_app"]
