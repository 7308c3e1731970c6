"""A printable HTML page of passes: one self-contained file, for a classroom wall or a phone.

Self-contained: the CSS is inline, the sky charts are inline SVG (glyphs drawn as paths, so no
font is needed), and nothing is fetched: no fonts, scripts or images from elsewhere. It prints
on A4 (``@page``), a place per page, rows and charts never split across pages, the table head
repeated. In Urdu the page is ``<html lang="ur" dir="rtl">`` with a Nastaliq font stack, and
every number, time and angle is a ``<bdi dir="ltr">`` so it reads left to right.
"""

from __future__ import annotations

import html
from typing import Any
from zoneinfo import ZoneInfo

from tiangong_orbit.model import Pass, PlacePasses, Prediction
from tiangong_orbit.render import i18n
from tiangong_orbit.render.tabular import (
    LRI,
    PDI,
    clock,
    coordinates_text,
    date_text,
    legend_items,
    ltr,
    near_items,
    period_line,
    place_name,
    table_rows,
    title_text,
    zone_line,
)

#: Above this many visible passes the page carries no sky charts (each is ~150 kB of SVG with
#: its stars).
MAX_INLINE_CHARTS = 40

CSS = """
@page { size: A4; margin: 14mm 12mm; }
* { box-sizing: border-box; }
html { -webkit-print-color-adjust: exact; print-color-adjust: exact; }
body {
  margin: 0 auto; padding: 8mm; max-width: 200mm; color: #111; background: #fff;
  font-family: "Segoe UI", "Noto Sans", "DejaVu Sans", Roboto, Arial, sans-serif;
  font-size: 11pt; line-height: 1.45;
}
html[lang="ur"] body {
  font-family: "Noto Nastaliq Urdu", "Jameel Noori Nastaleeq", "Noto Naskh Arabic", serif;
  line-height: 2.2;
}
bdi { unicode-bidi: isolate; }
html[lang="ur"] bdi {
  font-family: "Segoe UI", "Noto Sans", "DejaVu Sans", Arial, sans-serif;
}
h1 { font-size: 20pt; margin: 0 0 1mm; line-height: 1.25; }
h2 { font-size: 15pt; margin: 5mm 0 1mm; }
h3 { font-size: 12.5pt; margin: 5mm 0 2mm; }
html[lang="ur"] h1, html[lang="ur"] h2, html[lang="ur"] h3 { line-height: 2; }
p { margin: 1mm 0; }
.muted { color: #555; }
table { border-collapse: collapse; width: 100%; margin: 3mm 0; font-size: 10.5pt; }
th, td { border: 1px solid #9a9a9a; padding: 1.2mm 2mm; text-align: start; vertical-align: top; }
thead th { background: #eceff4; }
thead { display: table-header-group; }
tr { break-inside: avoid; page-break-inside: avoid; }
tr.invisible td { color: #666; background: #f6f6f6; }
td.brightness { white-space: nowrap; }
.note { border: 1px solid #d9a400; background: #fff8dc; padding: 2mm 3mm; margin: 3mm 0; }
.legend { font-size: 9.5pt; margin-top: 4mm; break-inside: avoid; page-break-inside: avoid; }
.legend ul { margin: 1mm 0; padding-inline-start: 5mm; }
section.place + section.place { break-before: page; page-break-before: always; }
.charts { display: flex; flex-wrap: wrap; gap: 4mm; }
figure { width: 86mm; margin: 0; break-inside: avoid; page-break-inside: avoid; }
figure svg { display: block; width: 100%; height: auto; }
figcaption { font-size: 9pt; }
.key { font-size: 9pt; margin: 1mm 0 3mm; }
.key span.swatch {
  display: inline-block; width: 9mm; height: 0; vertical-align: middle;
  margin-inline: 1mm 1mm;
}
footer { margin-top: 5mm; font-size: 8.5pt; color: #555; }
@media print { body { padding: 0; max-width: none; } }
"""

# The key under the sky charts, drawn in CSS with the charts' colours (render.charts).
_KEY = {
    "en": (
        ("border-top: 1.2mm solid #D55E00", "visible"),
        ("border-top: 0.5mm solid #0072B2", "sunlit, sky too bright or too low"),
        ("border-top: 0.6mm dashed #7F7F7F", "in Earth's shadow"),
        (
            None,
            "● one dot per minute · ◐ edge of the Earth's shadow · green circle: appears · "
            "purple square: disappears · stars to magnitude 3.5, planets and the Moon as at "
            "the middle of the pass",
        ),
    ),
    "ur": (
        ("border-top: 1.2mm solid #D55E00", "دکھائی دینے والا حصہ"),
        ("border-top: 0.5mm solid #0072B2", "دھوپ میں، مگر آسمان روشن یا افق کے قریب"),
        ("border-top: 0.6mm dashed #7F7F7F", "زمین کے سائے میں"),
        (
            None,
            "● ہر منٹ پر ایک نقطہ · ◐ زمین کے سائے کا کنارا · سبز دائرہ: نظر آنا · "
            "جامنی مربع: غائب ہونا",
        ),
    ),
}


def _h(value: str) -> str:
    """Escape text for HTML and turn the LRI/PDI isolates into ``<bdi dir="ltr">``."""
    return html.escape(value, quote=False).replace(LRI, '<bdi dir="ltr">').replace(PDI, "</bdi>")


def _bold_terms(value: str) -> str:
    """``**term**`` (the legend's Markdown bold) as ``<strong>``, after escaping."""
    parts = _h(value).split("**")
    return "".join(f"<strong>{part}</strong>" if i % 2 else part for i, part in enumerate(parts))


def _plain(value: str) -> str:
    return value.replace(LRI, "").replace(PDI, "").replace("**", "")


def _table(prediction: Prediction, group: PlacePasses, lang: str) -> list[str]:
    titles, rows, visible = table_rows(prediction, group, lang)
    out = ["<table>", "<thead><tr>"]
    out += [f'<th scope="col">{_h(title)}</th>' for title in titles]
    out += ["</tr></thead>", "<tbody>"]
    for cells, seen in zip(rows, visible, strict=True):
        kind = "pass visible" if seen else "pass invisible"
        out.append(
            f'<tr class="{kind}">'
            + "".join(f"<td>{_h(cell)}</td>" for cell in cells[:-1])
            + f'<td class="brightness">{_h(cells[-1])}</td></tr>'
        )
    out += ["</tbody>", "</table>"]
    return out


def _charts(
    prediction: Prediction, group: PlacePasses, lang: str, element_set: Any, first_id: int
) -> tuple[list[str], int]:
    """Inline sky charts of the visible passes of ``group``; returns the HTML and the next id."""
    visible: list[Pass] = [p for p in group.passes if p.visible]
    if element_set is None or not visible:
        return [], first_id
    from tiangong_orbit import passes as passes_module
    from tiangong_orbit.render.charts import sky_svg

    tz = ZoneInfo(group.place.timezone)
    out = [
        f"<h3>{_h(i18n.text('charts_title', lang))}</h3>",
        f"<p>{_h(i18n.text('chart_hold', lang))}</p>",
        '<p class="key">',
    ]
    for style, words in _KEY[lang]:
        if style:
            out.append(f'<span class="swatch" style="{style}"></span>{html.escape(words)} ')
        else:
            out.append(f"<br>{html.escape(words)}")
    out += ["</p>", '<div class="charts">']
    number = first_id
    from tiangong_orbit.sky import sky_objects_at

    place = group.place
    middles = [  # the stars and planets as at the middle of the visible part (chart sky's)
        p.visible_start.time + (p.visible_end.time - p.visible_start.time) / 2  # type: ignore[union-attr]
        for p in visible
    ]
    # Stars to magnitude 3.5 (a third of chart sky's): enough to find the path by, and the
    # page stays light (each star is a vector mark in every chart).
    skies = sky_objects_at(
        place.latitude_deg, place.longitude_deg, place.elevation_m, middles, star_limit_mag=3.5
    )
    for pass_, objects in zip(visible, skies, strict=True):
        track = passes_module.pass_track(element_set, group.place, pass_)
        svg = sky_svg(
            pass_,
            track,
            group.place,
            prediction.settings,
            id_prefix=f"sky{number}",
            sky_objects=objects,
        )
        start = pass_.visible_start.time.astimezone(tz)  # type: ignore[union-attr]
        caption = i18n.text(
            "chart_caption", lang, date=date_text(start, lang), time=clock(start, lang)
        )
        if pass_.near is not None and lang == "en":
            near_local = pass_.near.time.astimezone(tz)
            caption += f"; {pass_.near.phrase(clock(near_local, lang))}"
        label = _plain(caption)
        out += [
            "<figure>",
            svg.replace("<svg", f'<svg role="img" aria-label="{html.escape(label)}"', 1),
            f"<figcaption>{_h(caption)}</figcaption>",
            "</figure>",
        ]
        number += 1
    out.append("</div>")
    return out, number


def passes_html(prediction: Prediction, lang: str = "en", *, element_set: Any = None) -> str:
    """The printable page: title, period, one section per place (table, sky charts), legend."""
    i18n.check_lang(lang)
    direction = "rtl" if lang == "ur" else "ltr"
    title = title_text(prediction, lang)
    out = [
        "<!DOCTYPE html>",
        f'<html lang="{lang}" dir="{direction}">',
        "<head>",
        '<meta charset="utf-8">',
        '<meta name="viewport" content="width=device-width, initial-scale=1">',
        '<meta name="generator" content="tiangong-orbit">',
        f"<title>{html.escape(_plain(title))}</title>",
        f"<style>{CSS}</style>",
        "</head>",
        "<body>",
        "<header>",
        f"<h1>{_h(title)}</h1>",
        "</header>",
    ]
    if prediction.warnings:
        # The banner: the set's age and expected timing error, above every time on the page.
        out.append(
            f'<div class="note stale" role="alert"><strong>'
            f"{_h(i18n.text('warnings_title', lang))}:</strong>"
        )
        out += [f"<p>{html.escape(warning)}</p>" for warning in prediction.warnings]
        out.append("</div>")
    chart_id = 1
    visible_count = sum(p.visible for group in prediction.places for p in group.passes)
    if element_set is not None and visible_count > MAX_INLINE_CHARTS:
        element_set = None
        note = i18n.text(
            "charts_left_out",
            lang,
            count=ltr(str(visible_count), lang),
            limit=ltr(str(MAX_INLINE_CHARTS), lang),
        )
        out.append(f'<p class="note">{_h(note)}</p>')
    for group in prediction.places:
        out.append('<section class="place">')
        if len(prediction.places) > 1:
            out.append(f"<h2>{_h(place_name(group.place, lang))}</h2>")
        out += [
            f"<p>{_h(period_line(prediction, group, lang))}</p>",
            f"<p><strong>{_h(zone_line(group, prediction.start, lang))}</strong></p>",
            f'<p class="muted">{_h(coordinates_text(group.place, lang))}</p>',
        ]
        if group.passes:
            out += _table(prediction, group, lang)
        else:
            out.append(f"<p><em>{_h(i18n.text('no_passes', lang))}</em></p>")
        charts, chart_id = _charts(prediction, group, lang, element_set, chart_id)
        out += charts
        near = near_items(group, prediction, twelve_hour=True) if lang == "en" else []
        if near and not charts:  # no captions to carry it: a list, as in Markdown
            out += ["<p>Near bright stars and planets:</p>", "<ul>"]
            out += [f"<li>{_h(item)}</li>" for item in near]
            out.append("</ul>")
        out.append("</section>")
    out += [
        '<section class="legend">',
        f"<h3>{_h(i18n.text('legend_title', lang))}</h3>",
        "<ul>",
    ]
    out += [f"<li>{_bold_terms(item)}</li>" for item in legend_items(prediction, lang)]
    out += [
        "</ul>",
        "</section>",
        f"<footer>{_h(i18n.text('footer', lang))}</footer>",
        "</body>",
        "</html>",
        "",
    ]
    return "\n".join(out)
