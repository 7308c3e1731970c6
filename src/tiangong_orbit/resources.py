"""Where the bundled data files live: inside the installed package, or in the source checkout.

The wheel carries the repository's top-level ``data/`` folder as ``tiangong_orbit/data``
(``force-include`` in ``pyproject.toml``); a source checkout or an editable install has no such
folder in the package, and the files are read from ``<repository>/data`` instead.
"""

from __future__ import annotations

from importlib.resources import files
from pathlib import Path

__all__ = ["data_path"]


def data_path(*parts: str) -> Path:
    """The path of a bundled data file or folder, e.g. ``data_path("cities.csv")``.

    ``parts`` are path components below ``data/`` (``data_path("tle")`` is the folder of
    bundled element sets). The path is returned whether or not it exists, so callers can say
    which file is missing. Packages imported from a zip file are not supported.
    """
    packaged = files("tiangong_orbit") / "data"
    if isinstance(packaged, Path) and packaged.is_dir():
        root = packaged
    else:
        root = Path(__file__).resolve().parents[2] / "data"
    return root.joinpath(*parts)
