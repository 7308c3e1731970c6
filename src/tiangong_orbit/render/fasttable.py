"""Printing long plain rich tables fast: rich lays the table out, the rows are filled in here.

rich spends about 3 ms a row on a pass table (measuring, markup, segments): a year of every
pass over every city, a million rows, would print for the best part of an hour. A table's
layout depends only on its widest cells, so :func:`print_table` lets rich render a two-row
*skeleton* (the widest cell of every column, then the narrowest) with the same title, columns
and settings, checks that it can compose both rows itself character for character, and then
composes every real row the same way. Whenever that check fails, or the table has colour,
wrapping or anything else the composer does not model, rich prints the table itself: the
output is rich's own either way.
"""

from __future__ import annotations

import copy
import re
from collections.abc import Sequence
from typing import Any

#: Tables shorter than this go to rich directly (the skeleton costs two small renders).
MIN_ROWS = 64

#: What rich could take for an emoji code (":smile:"): a name with a letter between colons.
_EMOJI_CODE = re.compile(r":[\w+-]*[A-Za-z][\w+-]*:")


def print_table(console: Any, table: Any) -> None:
    """``console.print(table)``, composed here for long tables on a colourless console."""
    lines = table_lines(console, table)
    if lines is None:
        console.print(table)
        return
    console.file.write("\n".join(lines) + "\n")


def _plain(cell: Any) -> str | None:
    from rich.text import Text

    if isinstance(cell, Text):
        return cell.plain
    if not isinstance(cell, str):
        return None
    if "[" in cell or _EMOJI_CODE.search(cell):
        return Text.from_markup(cell).plain
    return cell


def _skeleton(table: Any) -> tuple[Any, list[list[str]], list[list[str]]] | None:
    """A copy of ``table`` with three rows (every column's widest cell, the cell with its
    longest word, its narrowest cell: what rich lays a column out from), the plain text of
    every column, and the three sample rows; ``None`` when the composer cannot handle it."""
    from rich.cells import cell_len
    from rich.table import Row

    if (
        table.row_count < MIN_ROWS
        or table.box is None
        or not table.show_header
        or table.show_footer
        or table.show_lines
        or table.caption is not None
        or table.padding != (0, 1, 0, 1)
        or any(
            not column.no_wrap
            or column.justify not in ("left", "right")
            or column.width is not None
            or column.min_width is not None
            or column.max_width is not None
            or column.ratio is not None
            for column in table.columns
        )
    ):
        return None
    columns: list[list[str]] = []
    for column in table.columns:
        cells = [_plain(cell) for cell in column._cells]
        if any(cell is None or "\n" in cell for cell in cells):
            return None
        columns.append(cells)  # type: ignore[arg-type]
    widest, wordiest, narrowest = [], [], []
    for cells in columns:
        widths = [cell_len(cell) for cell in cells]
        words = [
            max((cell_len(word) for word in cell.split()), default=w)
            for cell, w in zip(cells, widths, strict=True)
        ]
        widest.append(cells[max(range(len(cells)), key=widths.__getitem__)])
        wordiest.append(cells[max(range(len(cells)), key=words.__getitem__)])
        narrowest.append(cells[min(range(len(cells)), key=widths.__getitem__)])
    samples = [widest, wordiest, narrowest]
    skeleton = copy.copy(table)
    skeleton.columns = []
    for index, column in enumerate(table.columns):
        twin = copy.copy(column)
        twin._cells = [sample[index] for sample in samples]
        skeleton.columns.append(twin)
    skeleton.rows = [Row(end_section=True), Row(), Row()]
    return skeleton, columns, samples


def layout_twin(table: Any) -> Any:
    """A table rich measures as it measures ``table`` (its skeleton, for a long plain table):
    measuring a million-row table cell by cell costs as much as printing it."""
    found = _skeleton(table)
    return table if found is None else found[0]


def table_lines(console: Any, table: Any) -> list[str] | None:
    """The lines rich would print for ``table`` on ``console``, or ``None`` when this table is
    not one the composer handles (then print it with rich)."""
    from rich.cells import cell_len, set_cell_size

    if console.color_system is not None:
        return None
    found = _skeleton(table)
    if found is None:
        return None
    skeleton, columns, samples = found
    with console.capture() as capture:
        console.print(skeleton)
    drawn = capture.get().split("\n")
    if drawn and drawn[-1] == "":
        drawn.pop()
    if len(drawn) < 9 or not table.show_edge:
        return None
    head, section, bottom = drawn[:-5], drawn[-4], drawn[-1]
    box = table.box
    spans = bottom[1:-1].split(box.bottom_divider)
    if len(spans) != len(table.columns):
        return None
    last = len(spans) - 1
    pads = [
        (
            0 if index == 0 and not table.pad_edge else 1,
            0 if index == last and not table.pad_edge else 1,
        )
        for index in range(len(spans))
    ]
    content = [len(span) - lead - tail for span, (lead, tail) in zip(spans, pads, strict=True)]
    left, right, vertical = drawn[-5][0], drawn[-5][-1], box.mid_vertical

    def compose(cells: Sequence[str]) -> str:
        parts = []
        for cell, width, column, (lead, tail) in zip(
            cells, content, table.columns, pads, strict=True
        ):
            size = cell_len(cell)
            if size > width:
                cell = set_cell_size(cell, width - 1) + "…" if width > 0 else ""
                size = cell_len(cell)
            gap = " " * (width - size)
            text = cell + gap if column.justify == "left" else gap + cell
            parts.append(" " * lead + text + " " * tail)
        return left + vertical.join(parts) + right

    if [compose(sample) for sample in samples] != [drawn[-5], drawn[-3], drawn[-2]]:
        return None
    lines = list(head)
    rows = table.rows
    for index, cells in enumerate(zip(*columns, strict=True)):
        lines.append(compose(cells))
        if rows[index].end_section and index < len(rows) - 1:
            lines.append(section)
    lines.append(bottom)
    return lines
