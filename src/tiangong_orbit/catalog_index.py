"""A compact index of the element-set files already parsed, so that reading the catalog stays
fast however large the cache grows.

Parsing is the slow part of :func:`tiangong_orbit.tle.load_catalog`: the strict validation of
every TLE line costs some 30 µs a set, an OMM record some 300 µs (a few thousand cached OMM
records would add a second to every command). The index keeps, for each file read, a BLAKE2
digest of its bytes and what its sets were made of: the TLE lines (from which a set makes its
SGP4 record with ``Satrec.twoline2rv``, 3 µs, when it is first used) or, for OMM records, the
values that were given to ``sgp4init`` (rebuilt with it, 10 µs, with the exact epoch). It is
``catalog-index.marshal`` in :func:`tiangong_orbit.paths.cache_dir`, beside the ``tle/`` folder
(so the catalog never reads it as element sets): :mod:`marshal` holds plain lists, strings and
numbers, reads several times faster than JSON and, unlike pickle, makes no object that runs
code. A file whose bytes
changed, an index written by another version, or one that does not read is simply parsed
again; the index is only ever a shortcut to what :func:`tiangong_orbit.tle.parse_file` returns
for the same bytes, never a source of its own. Writing it is best effort: a read-only cache
folder only means no shortcut.
"""

from __future__ import annotations

import marshal
import sys
from datetime import datetime
from pathlib import Path
from typing import Any

from sgp4.api import WGS72, Satrec

from tiangong_orbit import __version__, tle

try:  # hashlib's own BLAKE2, without the OpenSSL library that importing hashlib loads (3 ms)
    from _blake2 import blake2b
except ImportError:  # a Python built without its bundled hashes
    from hashlib import blake2b

INDEX_NAME = "catalog-index.marshal"
#: What the index was written by: its layout, this package's version and Python's (marshal's
#: format follows Python's version); any other index is ignored and rewritten.
SCHEMA = f"tiangong-orbit/catalog-index/2 {__version__} {sys.version_info[:2]}"

# Julian date of 1949-12-31 00:00 UTC: sgp4init takes the epoch in days since then.
_SGP4_EPOCH_JD = 2433281.5
_OMM_VALUES = ("bstar", "ndot", "nddot", "ecco", "argpo", "inclo", "mo", "no_kozai", "nodeo")


def index_path() -> Path:
    """Where the index lives (``catalog-index.marshal`` in the cache folder)."""
    from tiangong_orbit.paths import cache_dir

    return cache_dir() / INDEX_NAME


class CatalogIndex:
    """The index, read once; :meth:`parse` a file through it, then :meth:`save`."""

    def __init__(self, path: Path | None = None) -> None:
        self.path = index_path() if path is None else path
        self._files: dict[str, Any] = {}
        self._used: set[str] = set()
        self._changed = False
        try:
            data = marshal.loads(self.path.read_bytes())
        except (OSError, ValueError, EOFError, TypeError):
            return
        if isinstance(data, dict) and data.get("schema") == SCHEMA:
            files = data.get("files")
            if isinstance(files, dict):
                self._files = files

    def parse(self, path: Path, *, source: tle.Source) -> list[tle.ElementSet]:
        """The sets of ``path``, as :func:`tiangong_orbit.tle.parse_file` gives them (and with
        its errors), from the index when the file's bytes are the ones indexed."""
        key = str(path)
        try:
            digest = blake2b(path.read_bytes(), digest_size=16).hexdigest()
        except OSError:
            return tle.parse_file(path, source=source)  # raises the usual error
        self._used.add(key)
        entry = self._files.get(key)
        if isinstance(entry, dict) and entry.get("digest") == digest:
            try:
                return [_rebuild(row, source, key) for row in entry["sets"]]
            except (KeyError, TypeError, ValueError, IndexError):
                pass  # an index that does not read: parse again
        sets = tle.parse_file(path, source=source)
        self._files[key] = {"digest": digest, "sets": [_row(s) for s in sets]}
        self._changed = True
        return sets

    def save(self) -> None:
        """Write the index if it changed (entries of files no longer read are dropped)."""
        if not self._changed and set(self._files) == self._used:
            return
        from tiangong_orbit.errors import UsageError
        from tiangong_orbit.fileio import write_atomic

        files = {key: value for key, value in self._files.items() if key in self._used}
        document = {"schema": SCHEMA, "files": files}
        try:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            write_atomic(self.path, marshal.dumps(document))
        except (OSError, UsageError):
            pass  # no shortcut next time; nothing else depends on it


def _row(element_set: tle.ElementSet) -> list[Any]:
    """What rebuilds ``element_set`` exactly: its TLE lines when ``twoline2rv`` gives back the
    very same elements (sets read from TLE text), else the values given to ``sgp4init`` (sets
    read from OMM records, whose TLE rendering is rounded)."""
    satrec = element_set.satrec
    base = [
        element_set.name,
        element_set.norad_id,
        element_set.line1,
        element_set.line2,
        element_set.epoch.isoformat(),
        element_set.line_number,
    ]
    from_lines = Satrec.twoline2rv(element_set.line1, element_set.line2, WGS72)
    if all(getattr(from_lines, name) == getattr(satrec, name) for name in _EXACT):
        return ["tle", *base]
    return [
        "omm",
        *base,
        satrec.jdsatepoch,
        satrec.jdsatepochF,
        *(getattr(satrec, name) for name in _OMM_VALUES),
    ]


#: The elements (and the epoch's two parts) that must come back identical.
_EXACT = ("jdsatepoch", "jdsatepochF", *_OMM_VALUES)


def _rebuild(row: list[Any], source: tle.Source, path: str) -> tle.ElementSet:
    kind, name, norad_id, line1, line2, epoch_text, line_number = row[:7]
    epoch = datetime.fromisoformat(epoch_text)
    if kind == "tle":
        # Indexed only when twoline2rv gives back the parsed elements exactly (see _row): the
        # set makes its record from the lines when it is first propagated.
        return tle.ElementSet(
            str(name), int(norad_id), epoch, line1, line2, source, path, line_number, None
        )
    if kind == "omm":
        jd, fraction, *values = row[7:]
        if len(values) != len(_OMM_VALUES):
            raise ValueError("short OMM row")
        satrec = Satrec()
        satnum = int(norad_id) if int(norad_id) <= 339_999 else 0  # as tle reads such OMM
        satrec.sgp4init(WGS72, "i", satnum, jd - _SGP4_EPOCH_JD + fraction, *values)
        satrec.jdsatepoch, satrec.jdsatepochF = jd, fraction  # the exact epoch, as parsed
    else:
        raise ValueError(f"unknown kind {kind!r}")
    if satrec.error:
        raise ValueError("SGP4 rejects an indexed set")
    return tle.ElementSet(
        str(name), int(norad_id), epoch, line1, line2, source, path, line_number, satrec
    )
