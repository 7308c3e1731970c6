"""Command-line interface: parse, call one core function, render.

Every ``cmd_*`` module in this package registers its commands on :data:`app` (or on the
``tle``/``chart`` groups) when imported; they are imported here in alphabetical order. They keep
their heavy imports inside the command functions.
"""

import importlib
import os

from tiangong_orbit.cli.app import app, chart_app, main, tle_app

# A listing of the folder rather than pkgutil, whose import costs more than the listing.
for _module in sorted(
    name.removesuffix(".py")
    for folder in __path__
    for name in os.listdir(folder)
    if name.startswith("cmd_") and name.endswith(".py")
):
    importlib.import_module(f"{__name__}.{_module}")

__all__ = ["app", "chart_app", "main", "tle_app"]
