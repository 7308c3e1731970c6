"""How people name the satellites: the one source of display names for every human-facing text.

Element sets carry catalog names ("CSS (TIANHE)", "ISS (ZARYA)"): JSON ``name`` fields keep
them, but tables, pages, calendars, charts and alerts say "Tiangong" and "ISS". Any other
satellite keeps the name of its element set.

Pure: no printing, no clock, no network.
"""

from __future__ import annotations

TIANGONG_NORAD_ID = 48274
ISS_NORAD_ID = 25544

#: Per NORAD number and language: (name on its own, as in a table cell; name inside a sentence).
DISPLAY_NAMES: dict[int, dict[str, tuple[str, str]]] = {
    TIANGONG_NORAD_ID: {
        "en": ("Tiangong", "Tiangong"),
        "ur": ("تیانگونگ", "تیانگونگ"),
    },
    ISS_NORAD_ID: {
        "en": ("ISS", "the ISS"),
        "ur": ("بین الاقوامی خلائی اسٹیشن", "بین الاقوامی خلائی اسٹیشن"),
    },
}


def display_name(norad_id: int, set_name: str, lang: str = "en") -> str:
    """The satellite's name in a table cell or a heading: 'Tiangong', 'ISS', else ``set_name``."""
    names = DISPLAY_NAMES.get(norad_id)
    if names is None:
        return set_name
    return names.get(lang, names["en"])[0]


def sentence_name(norad_id: int, set_name: str, lang: str = "en") -> str:
    """The satellite's name inside a sentence: 'Tiangong', 'the ISS', else ``set_name``."""
    names = DISPLAY_NAMES.get(norad_id)
    if names is None:
        return set_name
    return names.get(lang, names["en"])[1]


def catalog_label(norad_id: int, set_name: str) -> str:
    """'Tiangong (NORAD 48274 "CSS (TIANHE)")': the display name with the catalog's own."""
    shown = display_name(norad_id, set_name)
    if shown == set_name:
        return f"{set_name} (NORAD {norad_id})"
    return f'{shown} (NORAD {norad_id} "{set_name}")'
