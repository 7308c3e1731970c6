"""Where the bundled data files live: inside the installed package, or in the source checkout.

The wheel carries the repository's top-level ``data/`` folder as ``tiangong_orbit/data``
(``force-include`` in ``pyproject.toml``); a source checkout or an editable install has no such
folder in the package, and the files are read from ``<repository>/data`` instead.

The package folder is found from this file's own path, which is what
``importlib.resources.files("tiangong_orbit")`` answers for a package installed as files;
importing ``importlib.resources`` (zipfile, tempfile and a dozen modules more) would cost 2 ms
of every start.
"""

from __future__ import annotations

import functools
from pathlib import Path

__all__ = ["data_path"]


@functools.cache
def _data_root() -> Path:
    """``tiangong_orbit/data`` when installed, else the checkout's ``data`` folder."""
    packaged = Path(__file__).parent / "data"
    if packaged.is_dir():
        return packaged
    return Path(__file__).resolve().parents[2] / "data"


def data_path(*parts: str) -> Path:
    """The path of a bundled data file or folder, e.g. ``data_path("cities.csv")``.

    ``parts`` are path components below ``data/`` (``data_path("tle")`` is the folder of
    bundled element sets). The path is returned whether or not it exists, so callers can say
    which file is missing. Packages imported from a zip file are not supported.
    """
    return _data_root().joinpath(*parts)
