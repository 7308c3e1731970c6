"""CSV, Markdown, HTML and ICS pass files: they parse, hold every listed pass, and read right.

Two kinds of input: hand-made predictions (every branch: visible, not visible, shadow, Urdu
names, two places) and a real prediction from the bundled Tiangong set over Lahore.
"""

from __future__ import annotations

import csv
import io
import math
import re
import xml.etree.ElementTree as ET
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from html.parser import HTMLParser

import pytest

from tiangong_orbit.errors import UsageError
from tiangong_orbit.model import Pass, PlacePasses, Point, Prediction, SatelliteInfo, Settings
from tiangong_orbit.places import custom_place, find_place
from tiangong_orbit.render import compass_point, render_altitude_series, render_passes
from tiangong_orbit.render.ics import pass_uid
from tiangong_orbit.render.tabular import CSV_COLUMNS

T0 = datetime(2026, 10, 6, 14, 12, 3, 400000, tzinfo=UTC)
EPOCH = datetime(2026, 10, 6, 16, 2, 50, 305000, tzinfo=UTC)
ISO_Z = re.compile(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d+Z$")


def _point(seconds: float, azimuth_deg: float, elevation_deg: float) -> Point:
    return Point(T0 + timedelta(seconds=seconds), azimuth_deg, elevation_deg)


def _visible_pass(offset_s: float = 0.0) -> Pass:
    """An evening pass that vanishes into the Earth's shadow at 54° ... 23°."""
    return Pass(
        rise=_point(offset_s, 230.0, 0.0),
        culmination=Point(T0 + timedelta(seconds=offset_s + 300), 160.0, 54.3, 470.1, 388.2),
        set=_point(offset_s + 600, 88.0, 0.0),
        visible_start=_point(offset_s + 60, 225.0, 10.0),
        visible_peak=_point(offset_s + 300, 160.0, 54.3),
        visible_end=_point(offset_s + 450, 95.0, 23.1),
        magnitude=-1.14,
        tle_age_days=0.1,
        uncertainty_s=0.4,
        shadow_entry=T0 + timedelta(seconds=offset_s + 450),
    )


def _morning_pass() -> Pass:
    """A pre-dawn pass that comes out of the Earth's shadow high in the sky."""
    base = 86400.0 - 3600.0 * 9
    return Pass(
        rise=_point(base, 300.0, 0.0),
        culmination=_point(base + 290, 20.0, 61.0),
        set=_point(base + 580, 110.0, 0.0),
        visible_start=_point(base + 250, 340.0, 52.6),
        visible_peak=_point(base + 290, 20.0, 61.0),
        visible_end=_point(base + 470, 112.0, 10.0),
        magnitude=-0.02,
        tle_age_days=0.7,
        uncertainty_s=2.0,
        shadow_exit=T0 + timedelta(seconds=base + 250),
    )


def _daylight_pass() -> Pass:
    base = 3600.0 * 20
    return Pass(
        rise=_point(base, 300.0, 0.0),
        culmination=_point(base + 300, 10.0, 30.0),
        set=_point(base + 600, 60.0, 0.0),
        visible_start=None,
        visible_peak=None,
        visible_end=None,
        magnitude=None,
        tle_age_days=0.9,
        uncertainty_s=3.0,
        reason="daylight",
    )


def _prediction(shift_s: float = 0.0, *, with_invisible: bool = True) -> Prediction:
    lahore = find_place("Lahore")
    field = custom_place(31.0, 72.5, 150.0, "Field camp")
    lahore_passes = (_visible_pass(shift_s), _morning_pass())
    if with_invisible:
        lahore_passes = (*lahore_passes, _daylight_pass())
    return Prediction(
        satellite=SatelliteInfo("CSS (TIANHE)", 48274, EPOCH),
        start=datetime(2026, 10, 6, 12, tzinfo=UTC),
        end=datetime(2026, 10, 16, 12, tzinfo=UTC),
        settings=Settings(),
        places=(
            PlacePasses(lahore, lahore_passes),
            PlacePasses(field, (_visible_pass(shift_s + 20.0),)),
        ),
    )


def _listed(prediction: Prediction) -> int:
    return sum(len(group.passes) for group in prediction.places)


class _Rows(HTMLParser):
    """Counts pass rows and collects the attributes a test needs."""

    def __init__(self) -> None:
        super().__init__()
        self.rows: list[str] = []
        self.html_attrs: dict[str, str | None] = {}
        self.tags: list[str] = []
        self.external: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.tags.append(tag)
        values = dict(attrs)
        if tag == "html":
            self.html_attrs = values
        if tag == "tr" and "pass" in (values.get("class") or "").split():
            self.rows.append(values.get("class") or "")
        for name in ("src", "href"):
            value = values.get(name) or ""
            if value and not value.startswith("#"):
                self.external.append(f"{tag} {name}={value}")


def _parse_html(text: str) -> _Rows:
    parser = _Rows()
    parser.feed(text)
    parser.close()
    return parser


# --------------------------------------------------------------------------------------------
# compass


@pytest.mark.parametrize(
    ("azimuth", "expected"),
    [
        (0.0, "N"),
        (11.24, "N"),
        (11.25, "NNE"),
        (45.0, "NE"),
        (90.0, "E"),
        (168.75, "S"),
        (180.0, "S"),
        (247.5, "WSW"),
        (348.74, "NNW"),
        (348.75, "N"),
        (359.9, "N"),
        (360.0, "N"),
        (-90.0, "W"),
        (725.0, "N"),
    ],
)
def test_compass_point_sixteen_sectors(azimuth: float, expected: str) -> None:
    assert compass_point(azimuth) == expected


def test_compass_point_urdu() -> None:
    assert compass_point(0.0, "ur") == "شمال"
    assert compass_point(90.0, "ur") == "مشرق"
    assert compass_point(180.0, "ur") == "جنوب"
    assert compass_point(270.0, "ur") == "مغرب"
    assert compass_point(45.0, "ur") == "شمال مشرق"
    names = {compass_point(k * 22.5, "ur") for k in range(16)}
    assert len(names) == 16
    with pytest.raises(UsageError):
        compass_point(0.0, "fr")


# --------------------------------------------------------------------------------------------
# the contract


@pytest.mark.parametrize(
    ("fmt", "lang", "words"),
    [
        ("pdf", "en", ("pdf", "csv")),
        ("html", "fr", ("fr", "ur")),
        ("csv", "ur", ("ur", "csv")),
        ("ics", "ur", ("ur", "ics")),
    ],
)
def test_render_passes_rejects_bad_format_or_language(fmt: str, lang: str, words) -> None:
    with pytest.raises(UsageError) as caught:
        render_passes(_prediction(), fmt, lang=lang)
    for word in words:
        assert word in str(caught.value)


def test_render_passes_does_not_import_matplotlib_or_icalendar_for_csv() -> None:
    import subprocess
    import sys

    code = (
        "import sys; from tiangong_orbit import render; "
        "assert 'matplotlib' not in sys.modules and 'icalendar' not in sys.modules; print('ok')"
    )
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert result.stdout.strip() == "ok", result.stderr


# --------------------------------------------------------------------------------------------
# CSV


def test_csv_one_row_per_listed_pass_with_utc_and_local_times() -> None:
    prediction = _prediction()
    text = render_passes(prediction, "csv")
    assert text.endswith("\r\n")
    rows = list(csv.DictReader(io.StringIO(text)))
    assert len(rows) == _listed(prediction) == 4
    assert tuple(rows[0]) == CSV_COLUMNS
    first = rows[0]
    assert first["place"] == "Lahore"
    assert first["visible"] == "true"
    assert first["timezone"] == "Asia/Karachi"
    assert first["utc_offset"] == "+05:00"
    # 14:13:03.4 UTC = 19:13:03 PKT, kept to the millisecond in UTC (as the README says).
    assert first["start_utc"] == "2026-10-06T14:13:03.400Z"
    assert first["start_local"] == "2026-10-06 19:13:03"
    assert first["start_direction"] == "SW"
    assert first["peak_direction"] == "SSE"
    assert float(first["peak_elevation_deg"]) == pytest.approx(54.3)
    assert first["magnitude"] == "-1.1"
    assert float(first["visible_duration_s"]) == pytest.approx(390.0)
    assert float(first["duration_s"]) == pytest.approx(600.0)
    assert first["tle_epoch"] == "2026-10-06T16:02:50.305Z"
    for row in rows:
        for column in CSV_COLUMNS:
            if column.endswith("_utc") and (column != "near_utc" or row[column]):
                assert ISO_Z.match(row[column]), (column, row[column])
    daylight = rows[2]
    assert daylight["visible"] == "false"
    assert daylight["reason"] == "daylight"
    assert daylight["magnitude"] == ""
    # Not visible: start/peak/end are rise, culmination and set.
    assert daylight["start_utc"] == daylight["rise_utc"]
    assert daylight["end_utc"] == daylight["set_utc"]
    assert rows[3]["place"] == "Field camp"


# --------------------------------------------------------------------------------------------
# Markdown


def _markdown_rows(text: str) -> list[str]:
    lines = [line for line in text.splitlines() if line.startswith("|")]
    # Header and separator of every table.
    return [line for line in lines if not line.startswith("|---") and "Date" not in line
            and "تاریخ" not in line]  # fmt: skip


def test_markdown_english_table_and_legend() -> None:
    prediction = _prediction()
    text = render_passes(prediction, "markdown")
    assert text.startswith("# Tiangong passes over 2 places")
    assert len(_markdown_rows(text)) == _listed(prediction)
    assert "PKT (UTC+5, Asia/Karachi)" in text
    assert "| Tue 6 Oct 2026 | 7:13:03 pm | 6 min | 54° above SSE | 10° above SW |" in text
    assert "23° above E (fades into Earth's shadow)" in text
    assert "53° above NNW (comes out of Earth's shadow)" in text
    assert "not visible: daylight" in text
    assert "−1.1" in text  # a true minus sign for people
    assert "| 0.0 |" in text  # -0.02 is not printed as "−0.0"
    for term in ("**Visible**", "**Brightness**", "**Appears / Disappears**"):
        assert term in text


def test_markdown_urdu_is_rtl_with_isolated_numbers() -> None:
    prediction = _prediction()
    text = render_passes(prediction, "markdown", lang="ur")
    assert text.startswith('<div dir="rtl" lang="ur">')
    assert "لاہور" in text  # the gazetteer's Urdu name
    assert "\u2066Field camp\u2069" in text  # a place without an Urdu name, kept LTR
    assert "\u20667:13:03\u2069" in text
    assert "\u2066−1.1\u2069" in text
    assert "جنوب جنوب مشرق" in text  # SSE
    assert len(_markdown_rows(text)) == _listed(prediction)


# --------------------------------------------------------------------------------------------
# HTML


def test_html_english_is_self_contained_and_printable() -> None:
    prediction = _prediction()
    text = render_passes(prediction, "html")
    parsed = _parse_html(text)
    assert parsed.html_attrs == {"lang": "en", "dir": "ltr"}
    assert len(parsed.rows) == _listed(prediction)
    assert sum("invisible" in row.split() for row in parsed.rows) == 1
    assert parsed.external == []
    assert "script" not in parsed.tags and "link" not in parsed.tags
    assert "@page { size: A4" in text
    assert "break-inside: avoid" in text
    assert "@import" not in text and "url(" not in text
    assert "<svg" not in text  # no element set given: no charts
    assert "Tiangong passes over 2 places" in text


def test_html_urdu_is_right_to_left() -> None:
    prediction = _prediction()
    text = render_passes(prediction, "html", lang="ur")
    parsed = _parse_html(text)
    assert parsed.html_attrs == {"lang": "ur", "dir": "rtl"}
    assert len(parsed.rows) == _listed(prediction)
    assert '"Noto Nastaliq Urdu", "Jameel Noori Nastaleeq"' in text
    assert '<bdi dir="ltr">7:13:03</bdi>' in text
    assert "\u2066" not in text and "\u2069" not in text  # isolates became <bdi>
    assert "<h2>لاہور</h2>" in text
    assert "کہاں نظر آئے گا" in text


def test_html_escapes_place_names() -> None:
    place = custom_place(31.0, 72.5, 0.0, "A<b>&C")
    prediction = replace(_prediction(), places=(PlacePasses(place, (_visible_pass(),)),))
    text = render_passes(prediction, "html")
    assert "A&lt;b&gt;&amp;C" in text and "A<b>" not in text


# --------------------------------------------------------------------------------------------
# ICS


def _events(text: str):
    from icalendar import Calendar

    calendar = Calendar.from_ical(text)
    return calendar, [c for c in calendar.walk() if c.name == "VEVENT"]


def test_ics_one_event_per_listed_pass() -> None:
    prediction = _prediction()
    text = render_passes(prediction, "ics")
    assert "\r\n" in text and "\n" not in text.replace("\r\n", "")
    calendar, events = _events(text)
    assert str(calendar["VERSION"]) == "2.0"
    assert "tiangong-orbit" in str(calendar["PRODID"])
    assert len(events) == _listed(prediction)
    first = events[0]
    assert str(first["SUMMARY"]) == "Tiangong visible from Lahore"
    # The visible part, in UTC, seconds rounded outwards.
    assert first.decoded("DTSTART") == datetime(2026, 10, 6, 14, 13, 3, tzinfo=UTC)
    assert first.decoded("DTEND") == datetime(2026, 10, 6, 14, 19, 34, tzinfo=UTC)
    assert "DTSTART:20261006T141303Z" in text
    description = str(first["DESCRIPTION"])
    assert "10° above SW" in description and "magnitude -1.1" in description
    assert "entering the Earth's shadow" in description
    assert first["GEO"].latitude == pytest.approx(31.558, abs=1e-3)
    assert "Lahore" in str(first["LOCATION"])
    assert "not visible (daylight)" in str(events[2]["SUMMARY"])


def test_ics_uids_stable_across_runs_and_small_shifts_and_distinct() -> None:
    first = [str(e["UID"]) for e in _events(render_passes(_prediction(), "ics"))[1]]
    again = [str(e["UID"]) for e in _events(render_passes(_prediction(), "ics"))[1]]
    assert first == again
    assert len(set(first)) == len(first)
    # A fresher element set moves every pass by a minute: the same events, updated.
    shifted = [str(e["UID"]) for e in _events(render_passes(_prediction(60.0), "ics"))[1]]
    assert shifted == first
    # The same pass time over another place, and the next orbit over the same place, differ.
    group = _prediction().places[0]
    one = pass_uid(48274, group, _visible_pass())
    assert one != pass_uid(48274, group, _visible_pass(92 * 60.0))
    assert one != pass_uid(25544, group, _visible_pass())


def test_ics_is_byte_identical_for_identical_input() -> None:
    assert render_passes(_prediction(), "ics") == render_passes(_prediction(), "ics")


# --------------------------------------------------------------------------------------------
# altitude series


def _altitude_rows() -> list[dict]:
    return [
        {
            "time": T0 + timedelta(minutes=k),
            "altitude_km": 386.12345 + k,
            "latitude_deg": 31.5 - k,
            "longitude_deg": -0.00001,
            "speed_km_s": 7.6712,
        }
        for k in range(3)
    ]


def test_altitude_series_csv_and_markdown() -> None:
    text = render_altitude_series(_altitude_rows(), "csv")
    rows = list(csv.DictReader(io.StringIO(text)))
    assert len(rows) == 3
    assert rows[0] == {
        "time": "2026-10-06T14:12:03.4Z",
        "altitude_km": "386.123",
        "latitude_deg": "31.5000",
        "longitude_deg": "0.0000",
        "speed_km_s": "7.6712",
    }
    markdown = render_altitude_series(_altitude_rows(), "markdown")
    assert markdown.splitlines()[0].startswith("| Time (UTC) | Altitude (km)")
    assert len(markdown.splitlines()) == 2 + 3
    with pytest.raises(UsageError):
        render_altitude_series(_altitude_rows(), "html")


# --------------------------------------------------------------------------------------------
# real predictions from the bundled Tiangong set


@pytest.fixture(scope="module")
def lahore_prediction():
    from tiangong_orbit import passes, tle

    start = datetime(2026, 10, 6, 16, tzinfo=UTC)
    end = start + timedelta(days=10)
    catalog = tle.load_catalog(None)
    element_set = tle.nearest_set(catalog.sets, tle.TIANGONG_NORAD_ID, start)
    settings = Settings(standard_magnitude=passes.standard_magnitude_for(element_set.norad_id))
    groups = passes.find_passes(element_set, [find_place("Lahore")], start, end, settings)
    all_groups = passes.find_passes(
        element_set, [find_place("Lahore")], start, end, settings, include_invisible=True
    )
    info = SatelliteInfo(element_set.name, element_set.norad_id, element_set.epoch)
    visible = Prediction(info, start, end, settings, groups)
    everything = Prediction(info, start, end, settings, all_groups)
    return element_set, visible, everything


def test_real_prediction_every_format_holds_every_pass(lahore_prediction) -> None:
    from tiangong_orbit.render.passes_json import passes_json

    _, visible, everything = lahore_prediction
    for prediction in (visible, everything):
        listed = _listed(prediction)
        as_json = passes_json(prediction)
        assert listed == sum(len(o["passes"]) for o in as_json["observers"]) > 0
        assert len(list(csv.DictReader(io.StringIO(render_passes(prediction, "csv"))))) == listed
        assert len(_markdown_rows(render_passes(prediction, "markdown"))) == listed
        assert len(_events(render_passes(prediction, "ics"))[1]) == listed
        for lang in ("en", "ur"):
            assert len(_parse_html(render_passes(prediction, "html", lang=lang)).rows) == listed
    assert _listed(everything) > _listed(visible)


def _check_planets_and_moon(svgs: list[str], group: PlacePasses) -> None:
    """Each inline chart labels the Moon and the bright planets, and only those that PyEphem
    puts above the horizon at the middle of the visible part; it draws the stars too."""
    import ephem

    assert len(svgs) == len(group.passes) > 0
    bodies = {"Moon": ephem.Moon, "Venus": ephem.Venus, "Mars": ephem.Mars,
              "Jupiter": ephem.Jupiter, "Saturn": ephem.Saturn}  # fmt: skip
    for svg, item in zip(svgs, group.passes, strict=True):
        middle = item.visible_start.time + (item.visible_end.time - item.visible_start.time) / 2
        observer = ephem.Observer()
        observer.lat, observer.lon = str(group.place.latitude_deg), str(group.place.longitude_deg)
        observer.pressure = 0.0
        observer.date = ephem.Date(middle.replace(tzinfo=None))
        labelled = set(re.findall(r"<!-- (\w+) -->", svg)) & set(bodies)
        up = set()
        for name, body_type in bodies.items():
            body = body_type()
            body.compute(observer)
            if body.alt > math.radians(1.0) and (name == "Moon" or body.mag <= 2.5):
                up.add(name)  # clearly up and bright: must be there
            if body.alt < math.radians(-1.0):
                assert name not in labelled, (name, middle)
        assert up <= labelled, (up, labelled, middle)
        assert svg.count("<path") > 100  # stars and constellation figures, not the path alone


def test_real_html_embeds_one_valid_svg_per_visible_pass(lahore_prediction) -> None:
    """One valid inline chart per visible pass, ids distinct, the sky drawn in each."""
    element_set, visible, _ = lahore_prediction
    text = render_passes(visible, "html", lang="ur", element_set=element_set)
    svgs = re.findall(r"<svg.*?</svg>", text, flags=re.S)
    assert len(svgs) == _listed(visible)
    _check_planets_and_moon(svgs, visible.places[0])
    for svg in svgs:
        root = ET.fromstring(svg)
        assert root.tag.endswith("svg")
    ids = re.findall(r'\bid="([^"]+)"', text)
    assert len(ids) == len(set(ids)), "inline SVGs must not share ids"
    hrefs = set(re.findall(r'href="#([^"]+)"', text))
    assert hrefs <= set(ids)
    assert _parse_html(text).external == []


def test_real_html_leaves_charts_out_when_too_many(lahore_prediction, monkeypatch) -> None:
    from tiangong_orbit.render import html

    element_set, visible, _ = lahore_prediction
    monkeypatch.setattr(html, "MAX_INLINE_CHARTS", 2)
    text = render_passes(visible, "html", element_set=element_set)
    assert "<svg" not in text
    assert "tiangong-orbit chart sky" in text
    assert len(_parse_html(text).rows) == _listed(visible)


# --------------------------------------------------------------------------------------------
# Staleness, reminders, names and dates in every file format (issue 13)

STALE = (
    "the element set for CSS (TIANHE) is 55 days old (epoch 2026-10-06 16:02 UTC): predicted "
    "times are approximate (about ±23 minutes); run 'tiangong-orbit tle update'"
)


@pytest.mark.parametrize("fmt", ["markdown", "html", "ics"])
def test_stale_banner_in_every_page_format(fmt: str) -> None:
    text = render_passes(replace(_prediction(), warnings=(STALE,)), fmt)
    unfolded = text.replace("\r\n ", "").replace("\\,", ",").replace("\\;", ";")
    assert "55 days old" in unfolded and "±23 minutes" in unfolded
    if fmt == "markdown":
        # A banner above the first table, not a footnote.
        assert unfolded.index("55 days old") < unfolded.index("| Date")
    elif fmt == "html":
        assert unfolded.index('class="note stale"') < unfolded.index("<table>")
    else:
        events = unfolded.count("BEGIN:VEVENT")
        assert unfolded.count("Note: the element set for CSS (TIANHE) is 55 days old") == events
    fresh = render_passes(_prediction(), fmt)
    assert "days old" not in fresh


@pytest.mark.parametrize(("minutes", "alarms"), [(15, True), (0, False), (60, True)])
def test_ics_reminder_before_each_pass(minutes: int, alarms: bool) -> None:
    from icalendar import Calendar

    prediction = _prediction()
    calendar = Calendar.from_ical(render_passes(prediction, "ics", remind_minutes=minutes))
    events = list(calendar.walk("VEVENT"))
    assert len(events) == _listed(prediction)
    for event in events:
        found = [c for c in event.subcomponents if c.name == "VALARM"]
        if not alarms:
            assert found == []
            continue
        assert len(found) == 1
        assert found[0]["ACTION"] == "DISPLAY"
        assert found[0].decoded("TRIGGER") == timedelta(minutes=-minutes)
        assert "Tiangong" in str(found[0]["DESCRIPTION"])


def test_one_name_for_tiangong_in_human_texts_and_the_catalog_name_kept() -> None:
    prediction = _prediction()
    markdown = render_passes(prediction, "markdown")
    html_text = render_passes(prediction, "html")
    ics = render_passes(prediction, "ics").replace("\r\n ", "")
    for text in (markdown, html_text, ics):
        assert "Tiangong" in text
    assert "CSS (TIANHE)" not in ics
    rows = list(csv.DictReader(io.StringIO(render_passes(prediction, "csv"))))
    assert {row["satellite"] for row in rows} == {"Tiangong"}
    assert {row["catalog_name"] for row in rows} == {"CSS (TIANHE)"}
    from tiangong_orbit.render.passes_json import passes_json

    document = passes_json(prediction)
    assert document["satellite"]["name"] == "CSS (TIANHE)"
    assert document["satellite"]["display_name"] == "Tiangong"


def test_csv_times_are_milliseconds() -> None:
    rows = list(csv.DictReader(io.StringIO(render_passes(_prediction(), "csv"))))
    milliseconds = re.compile(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$")
    for row in rows:
        for column in ("start_utc", "peak_utc", "end_utc", "rise_utc", "set_utc", "tle_epoch"):
            assert milliseconds.match(row[column]), (column, row[column])


def test_markdown_dates_each_row_by_its_local_day() -> None:
    # Each row's date and clock, written here from the pass's UTC time with zoneinfo alone
    # (independently of the renderer): the next-morning pass carries the next day's date.
    from zoneinfo import ZoneInfo

    prediction = _prediction(with_invisible=False)
    markdown = render_passes(prediction, "markdown")
    for item in prediction.places[0].passes:
        assert item.visible_start is not None
        local = item.visible_start.time.astimezone(ZoneInfo("Asia/Karachi"))
        weekday = ("Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun")[local.weekday()]
        date = f"{weekday} {local.day} Oct 2026"
        hour = local.hour % 12 or 12
        clock = f"{hour}:{local:%M:%S} {'am' if local.hour < 12 else 'pm'}"
        assert f"| {date} | {clock} |" in markdown


def test_local_day_is_the_calendar_date_of_the_time_itself() -> None:
    from tiangong_orbit.wording import compass, local_day, zone_label

    # The morning pass: visible from 2026-10-07 05:16:13.4 UTC = 10:16 PKT on Wednesday 7 Oct.
    morning = _morning_pass()
    assert morning.visible_start is not None
    start = morning.visible_start.time
    assert (start.year, start.month, start.day, start.hour, start.minute) == (2026, 10, 7, 5, 16)
    assert local_day(start, "Asia/Karachi") == "Wed 7 Oct"
    # 05:16 UTC is 16:16 AEDT in Sydney, the same day; 22:16 PDT the day before in LA.
    assert local_day(start, "Australia/Sydney") == "Wed 7 Oct"
    assert local_day(start, "America/Los_Angeles") == "Tue 6 Oct"
    assert zone_label(start, "Australia/Sydney") == "AEDT"
    assert zone_label(start - timedelta(days=4), "Australia/Sydney") == "AEST"
    assert zone_label(start, "Asia/Kolkata") == "IST"
    assert zone_label(start, "Etc/GMT-5") == "UTC+5"
    assert [compass(a) for a in (0, 11.2, 11.3, 348.8, 112, 180)] == [
        "N", "N", "NNE", "N", "ESE", "S",
    ]  # fmt: skip
