"""Words for printed pass tables in English and Urdu: headings, legend, dates, directions.

Only the Markdown and HTML tables are translated; CSV, ICS and JSON are for programs and stay
English. Urdu text keeps Western digits (as Pakistani newspapers print times) and leaves
numbers, times and angles to be wrapped as left-to-right runs by the renderer (``<bdi>`` in
HTML, Unicode isolates in Markdown), so that "19:12:03" never comes out as "03:12:19".
"""

from __future__ import annotations

import re
from datetime import datetime

from tiangong_orbit.errors import UsageError

LANGUAGES = ("en", "ur")

#: The 16 points of the compass, clockwise from north, 22.5° apart.
COMPASS_EN = (
    "N", "NNE", "NE", "ENE", "E", "ESE", "SE", "SSE",
    "S", "SSW", "SW", "WSW", "W", "WNW", "NW", "NNW",
)  # fmt: skip
_NORTH, _SOUTH, _EAST, _WEST = "شمال", "جنوب", "مشرق", "مغرب"
#: Urdu names of the same points: شمال north, جنوب south, مشرق east, مغرب west; the
#: in-between points are built as in English (شمال مشرق = north-east).
COMPASS_UR = (
    _NORTH,
    f"{_NORTH} {_NORTH} {_EAST}",
    f"{_NORTH} {_EAST}",
    f"{_EAST} {_NORTH} {_EAST}",
    _EAST,
    f"{_EAST} {_SOUTH} {_EAST}",
    f"{_SOUTH} {_EAST}",
    f"{_SOUTH} {_SOUTH} {_EAST}",
    _SOUTH,
    f"{_SOUTH} {_SOUTH} {_WEST}",
    f"{_SOUTH} {_WEST}",
    f"{_WEST} {_SOUTH} {_WEST}",
    _WEST,
    f"{_WEST} {_NORTH} {_WEST}",
    f"{_NORTH} {_WEST}",
    f"{_NORTH} {_NORTH} {_WEST}",
)

MONTHS = {
    "en": ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"),
    "ur": (
        "جنوری", "فروری", "مارچ", "اپریل", "مئی", "جون",
        "جولائی", "اگست", "ستمبر", "اکتوبر", "نومبر", "دسمبر",
    ),
}  # fmt: skip
#: Monday first, as ``datetime.weekday()`` counts.
WEEKDAYS = {
    "en": ("Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun"),
    "ur": ("پیر", "منگل", "بدھ", "جمعرات", "جمعہ", "ہفتہ", "اتوار"),
}


# Every sentence of the tables, by key; ``{...}`` fields are filled by :func:`text`.
TEXT: dict[str, dict[str, str]] = {
    "title": {
        "en": "{satellite} passes over {place}",
        "ur": "{place} کے اوپر سے {satellite} کا گزر",
    },
    "title_many": {
        "en": "{satellite} passes over {count} places",
        "ur": "{count} مقامات کے اوپر سے {satellite} کا گزر",
    },
    "period": {
        "en": "From {start} to {end} ({zone}).",
        "ur": "{start} سے {end} تک ({zone})۔",
    },
    "zone": {
        "en": "All times are local time, {abbr} ({offset}, {tz}).",
        "ur": "تمام اوقات مقامی وقت میں ہیں: {abbr} ({offset}، {tz})۔",
    },
    "place_line": {
        "en": "{lat}, {lon}, {elevation}",
        "ur": "{lat}، {lon}، {elevation}",
    },
    "col_date": {"en": "Date", "ur": "تاریخ"},
    "col_time": {"en": "Time ({abbr})", "ur": "وقت ({abbr})"},
    "col_time_zones": {"en": "Time (local)", "ur": "وقت (مقامی)"},
    "col_satellite": {"en": "Satellite", "ur": "مصنوعی سیارہ"},
    "col_duration": {"en": "Visible for", "ur": "دکھائی دینے کا دورانیہ"},
    "col_max": {"en": "Max height", "ur": "زیادہ سے زیادہ بلندی"},
    "col_appears": {"en": "Appears", "ur": "کہاں نظر آئے گا"},
    "col_disappears": {"en": "Disappears", "ur": "کہاں غائب ہو گا"},
    "col_brightness": {"en": "Brightness (mag.)", "ur": "چمک (میگنیچیوڈ)"},
    "above": {
        "en": "{elevation} above {direction}",
        "ur": "{direction} میں افق سے {elevation} اوپر",
    },
    "in_direction": {"en": "{elevation} in the {direction}", "ur": "{direction} میں {elevation}"},
    "rises": {"en": "rises in the {direction}", "ur": "{direction} سے طلوع"},
    "sets": {"en": "sets in the {direction}", "ur": "{direction} میں غروب"},
    "minutes": {"en": "{n} min", "ur": "{n} منٹ"},
    "minutes_seconds": {"en": "{m} min {s} s", "ur": "{m} منٹ {s} سیکنڈ"},
    "seconds": {"en": "{n} s", "ur": "{n} سیکنڈ"},
    "shadow_note": {
        "en": "fades into Earth's shadow",
        "ur": "زمین کے سائے میں چلا جاتا ہے",
    },
    "shadow_exit_note": {
        "en": "comes out of Earth's shadow",
        "ur": "زمین کے سائے سے نکلتا ہے",
    },
    "not_visible": {"en": "not visible: {reason}", "ur": "دکھائی نہیں دے گا: {reason}"},
    "no_passes": {
        "en": "No visible pass in this period. Try a longer period, or another place.",
        "ur": "اس عرصے میں کوئی گزر دکھائی نہیں دے گا۔ لمبا عرصہ یا کوئی اور مقام آزمائیں۔",
    },
    "legend_title": {"en": "How to read this table", "ur": "یہ جدول کیسے پڑھیں"},
    "legend_visible": {
        "en": "**Visible**: {satellite} is lit by the Sun while your sky is dark (the Sun at "
        "least {sun_below} below the horizon) and it stands at least {min_el} above the "
        "horizon. It looks like a bright, steady star gliding across the sky in a few minutes, "
        "with no blinking lights (blinking lights are an aeroplane).",
        "ur": "**دکھائی دینا**: {satellite} پر سورج کی روشنی پڑ رہی ہو، آپ کا آسمان تاریک ہو "
        "(سورج افق سے کم از کم {sun_below} نیچے) اور وہ افق سے کم از کم {min_el} اوپر ہو۔ "
        "یہ ایک روشن، نہ ٹمٹمانے والے ستارے کی طرح چند منٹ میں آسمان پار کرتا دکھائی دیتا ہے؛ "
        "اس پر جلتی بجھتی بتیاں نہیں ہوتیں (وہ ہوائی جہاز ہوتا ہے)۔",
    },
    "legend_height": {
        "en": "**Height** is the angle above the horizon: 0° is the horizon, 90° straight "
        "overhead. Your fist held at arm's length covers about 10°.",
        "ur": "**بلندی** افق سے اوپر کا زاویہ ہے: 0° افق ہے اور 90° بالکل سر کے اوپر۔ بازو "
        "پھیلا کر بند مٹھی تقریباً 10° ڈھانپتی ہے۔",
    },
    "legend_directions": {
        "en": "**Appears / Disappears**: where to look, as a height and a compass direction "
        "(N north, E east, S south, W west; NE north-east, NNE north-north-east, and so on). "
        "In the evening it often vanishes high in the sky, where it enters the Earth's shadow; "
        "before dawn it may appear high up, coming out of the shadow.",
        "ur": "**کہاں نظر آئے گا / کہاں غائب ہو گا**: کس طرف دیکھنا ہے، افق سے بلندی اور سمت "
        "کے ساتھ (شمال، جنوب، مشرق، مغرب اور ان کے درمیان کی سمتیں)۔ اکثر یہ آسمان کے بیچ "
        "میں ہی غائب ہو جاتا ہے، جہاں یہ زمین کے سائے میں داخل ہوتا ہے؛ صبح سے پہلے یہ سائے سے "
        "نکل کر آسمان میں اونچا اچانک نظر آ سکتا ہے۔",
    },
    "legend_magnitude": {
        "en": "**Brightness** is the magnitude: the smaller the number, the brighter. Venus is "
        "about −4, Sirius (the brightest star) −1.5, Vega 0; from a city you can see down to "
        "about +3. Estimated with a standard magnitude of {std} (Matson's diffuse sphere).",
        "ur": "**چمک** میگنیچیوڈ میں ہے: عدد جتنا چھوٹا، چمک اتنی زیادہ۔ زہرہ تقریباً −4، "
        "شعریٰ (سب سے روشن ستارہ) −1.5، نسر واقع 0؛ شہر سے تقریباً +3 تک نظر آتا ہے۔ "
        "اندازہ {std} کے معیاری میگنیچیوڈ سے لگایا گیا ہے۔",
    },
    "legend_accuracy": {
        "en": "Times come from the orbit ({tle_name}, element set of {epoch}) and are good to "
        "about {sigma} or better. Be outside a few minutes early.",
        "ur": "اوقات مدار کے اعداد و شمار ({tle_name}، {epoch}) سے نکالے گئے ہیں اور "
        "کم از کم تقریباً {sigma} تک درست ہیں۔ چند منٹ پہلے باہر پہنچ جائیں۔",
    },
    "warnings_title": {"en": "Note", "ur": "نوٹ"},
    "charts_title": {"en": "Sky charts", "ur": "آسمانی نقشے"},
    "chart_hold": {
        "en": "Hold a chart over your head with N towards the north: the centre is straight up "
        "and the rim is the horizon, so east (E) is on the left.",
        "ur": "نقشے کو سر کے اوپر اس طرح پکڑیں کہ N شمال کی طرف ہو: بیچ کا حصہ بالکل اوپر اور "
        "کنارا افق ہے، اس لیے مشرق (E) بائیں طرف ہے۔",
    },
    "charts_left_out": {
        "en": "The sky charts are left out: there are {count} visible passes, more than {limit} "
        "would make the page too heavy to print. Draw one with 'tiangong-orbit chart sky'.",
        "ur": "آسمانی نقشے شامل نہیں کیے گئے: {count} گزر دکھائی دیں گے، جو {limit} سے زیادہ ہیں "
        "اور صفحہ چھاپنے کے لیے بہت بھاری ہو جاتا۔ نقشہ \u2066tiangong-orbit chart sky\u2069 "
        "سے بنائیں۔",
    },
    "chart_caption": {"en": "{date}, {time}", "ur": "{date}، {time}"},
    "footer": {
        "en": "Made with tiangong-orbit. Directions are true (geographic) north, not magnetic.",
        "ur": "\u2066tiangong-orbit\u2069 سے تیار کیا گیا۔ سمتیں جغرافیائی شمال کے حساب سے "
        "ہیں، مقناطیسی شمال کے نہیں۔",
    },
    "elevation_m": {"en": "{m} m above sea level", "ur": "سطح سمندر سے {m} میٹر بلند"},
    "elevation_unknown": {
        "en": "height above sea level unknown (0 m used)",
        "ur": "سطح سمندر سے بلندی معلوم نہیں (0 میٹر مانی گئی)",
    },
}

#: Why a pass is not visible, as :class:`~tiangong_orbit.model.Pass` ``reason`` says it.
REASONS_UR = {
    "daylight": "دن کی روشنی",
    "twilight": "شفق (آسمان کافی تاریک نہیں)",
    "in earth's shadow": "زمین کے سائے میں",
    "too low": "افق کے بہت قریب",
}

#: Urdu words for the part of the day, put before a 12-hour time ("شام 7:12").
_DAY_PARTS_UR = (
    (4, "رات"),
    (12, "صبح"),
    (15, "دوپہر"),
    (17, "سہ پہر"),
    (20, "شام"),
    (24, "رات"),
)


def check_lang(lang: str) -> str:
    """``lang`` itself when it is ``en`` or ``ur``; a :class:`UsageError` otherwise."""
    if lang not in LANGUAGES:
        raise UsageError(f"--lang '{lang}' is not one of {', '.join(LANGUAGES)}")
    return lang


# A number written in an Urdu sentence of TEXT ("0°", "−1.5", "+3"): isolated as an LTR run.
_NUMBER = re.compile(r"(?<![{\w])([−+]?\d+(?:[.:]\d+)*°?)")


def text(key: str, lang: str, **fields: object) -> str:
    """The sentence ``key`` in ``lang`` with ``fields`` filled in.

    In Urdu the numbers the sentence itself holds are wrapped in Unicode isolates (the fields
    come already wrapped by the caller), so that "−1.5" keeps its sign on the left.
    """
    template = TEXT[key][lang]
    if lang == "ur":
        template = _NUMBER.sub("\u2066\\1\u2069", template)
    return template.format(**fields)


def compass_point(azimuth_deg: float, lang: str = "en") -> str:
    """The 16-point compass name of an azimuth in degrees (from north through east).

    Each point covers 22.5° centred on it: 348.75° up to 11.25° is N, 11.25° to 33.75° NNE...
    """
    check_lang(lang)
    index = int((azimuth_deg % 360.0) / 22.5 + 0.5) % 16
    return (COMPASS_EN if lang == "en" else COMPASS_UR)[index]


def satellite_name(norad_id: int, fallback: str, lang: str) -> str:
    """How a sentence names the satellite: 'Tiangong' for 48274, 'the ISS', the set's name
    otherwise (one source: :mod:`tiangong_orbit.names`)."""
    from tiangong_orbit.names import sentence_name

    return sentence_name(norad_id, fallback, lang)


def reason(reason_text: str | None, lang: str) -> str:
    """Why a pass is not visible, in ``lang`` (parts joined by ',' or 'and' are translated)."""
    if not reason_text:
        return ""
    if lang == "en":
        return reason_text
    parts = [p.strip() for p in re.split(r",|;| and ", reason_text) if p.strip()]
    return "، ".join(REASONS_UR.get(part.lower(), part) for part in parts)


def date_words(moment: datetime, lang: str) -> str:
    """'Wed 7 Oct 2026' / 'بدھ، 7 اکتوبر 2026' for a local datetime (locale-independent)."""
    weekday = WEEKDAYS[lang][moment.weekday()]
    month = MONTHS[lang][moment.month - 1]
    if lang == "en":
        return f"{weekday} {moment.day} {month} {moment.year}"
    return f"{weekday}، {moment.day} {month} {moment.year}"


def clock_12h(moment: datetime, lang: str, *, seconds: bool = True) -> tuple[str, str]:
    """A 12-hour clock time and its day part: ('7:12:03', 'pm') or ('7:12:03', 'شام')."""
    hour12 = moment.hour % 12 or 12
    clock = f"{hour12}:{moment.minute:02d}" + (f":{moment.second:02d}" if seconds else "")
    if lang == "en":
        return clock, "am" if moment.hour < 12 else "pm"
    part = next(word for limit, word in _DAY_PARTS_UR if moment.hour < limit)
    return clock, part
