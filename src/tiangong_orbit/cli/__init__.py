"""Command-line interface: parse, call one core function, render.

Every ``cmd_*`` module in this package registers its commands on the application (or on the
``tle``/``chart`` groups) when imported, and keeps its heavy imports inside the command
functions. A run imports the module of its command alone (:func:`main`); ``app``, ``chart_app``
and ``tle_app`` here are the whole application: the first use of one of these names imports
every module (:func:`~tiangong_orbit.cli.app.load_commands`).
"""

import os

# Before numpy loads: the largest matrix product here is (n, 3) by (3, m), which BLAS worker
# threads never speed up, but OpenBLAS's spin on the second core after each product, and from
# skyfield's import on (measured: 70 ms of wall clock in a 50-place month on a busy 2-core
# machine, 100 ms of CPU in a one-day run). A setting of the user's own wins.
os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")

from tiangong_orbit.cli.app import load_commands, main

# Importing the module ``cli.app`` bound the name ``app`` here to it; in this package the name
# stands for the application, which __getattr__ gives with all its commands.
del globals()["app"]

_APPLICATIONS = ("app", "chart_app", "tle_app")


def __getattr__(name: str) -> object:
    """``app``, ``chart_app``, ``tle_app``: the application (or group) with every command."""
    if name in _APPLICATIONS:
        import sys

        load_commands()
        return getattr(sys.modules[f"{__name__}.app"], name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


__all__ = ["app", "chart_app", "load_commands", "main", "tle_app"]
