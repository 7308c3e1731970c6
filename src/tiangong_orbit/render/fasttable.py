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

#: Tables shorter than this go to rich directly (the skeleton costs a small render of its own).
#: Past a handful of rows the skeleton already wins (measured, whole printing, CPU: Lahore's
#: passes over 10 days, 11 rows, 17.4 -> 15.7 ms; over 30 days 30 -> 18 ms; a 60-night
#: outlook 25 -> 10 ms; a 9-row outlook 10.5 -> 9 ms).
MIN_ROWS = 8

#: What rich could take for an emoji code (":smile:"): a name with a letter between colons.
_EMOJI_CODE = re.compile(r":[\w+-]*[A-Za-z][\w+-]*:")


def print_table(console: Any, table: Any) -> None:
    """``console.print(table)``, composed here for long tables on a colourless console."""
    lines = table_lines(console, table)
    if lines is None:
        console.print(table)
        return
    console.file.write("\n".join(lines) + "\n")


def _plain(cell: Any, console: Any) -> str | None:
    """The text rich shows for a cell on ``console``: a string that may hold markup or an
    emoji code as the console renders strings (with or without them), else as it is."""
    from rich.text import Text

    if isinstance(cell, Text):
        return cell.plain
    if not isinstance(cell, str):
        return None
    if "[" in cell or _EMOJI_CODE.search(cell):
        return console.render_str(cell).plain
    return cell


def _skeleton(table: Any, console: Any) -> tuple[Any, list[list[str]], list[list[str]]] | None:
    """A copy of ``table`` with three rows (every column's widest cell, the cell with its
    longest word, its narrowest cell: what rich lays a column out from), the plain text of
    every column on ``console``, and the three sample rows; ``None`` when the composer cannot
    handle it."""
    from rich.cells import cell_len
    from rich.table import Row

    if (
        table.row_count < MIN_ROWS
        or table.box is None
        or not table.show_header
        or table.show_footer
        or table.show_lines
        or table.caption is not None
        or table.padding[0] != 0
        or table.padding[2] != 0
        # Widths, ratios and wrapping are rich's to settle on the skeleton; the rows are then
        # checked, so a column whose widest cell would wrap sends the table back to rich.
        or any(column.justify not in ("left", "right") for column in table.columns)
    ):
        return None
    columns: list[list[str]] = []
    for column in table.columns:
        cells = [_plain(cell, console) for cell in column._cells]
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


def layout_twin(table: Any, console: Any) -> Any:
    """A table rich measures on ``console`` as it measures ``table`` (its skeleton, for a long
    plain table): measuring a million-row table cell by cell costs as much as printing it."""
    found = _skeleton(table, console)
    return table if found is None else found[0]


def table_lines(console: Any, table: Any) -> list[str] | None:
    """The lines rich would print for ``table`` on ``console``, or ``None`` when this table is
    not one the composer handles (then print it with rich)."""
    from rich.cells import cell_len, set_cell_size

    if console.color_system is not None:
        return None
    found = _skeleton(table, console)
    if found is None:
        return None
    skeleton, columns, samples = found
    with console.capture() as capture:
        console.print(skeleton)
    drawn = capture.get().split("\n")
    if drawn and drawn[-1] == "":
        drawn.pop()
    try:  # rich's own layout of the skeleton: the widths of its columns, padding included
        widths = skeleton._calculate_column_widths(console, console.options)
    except Exception:  # a rich without it: let rich print
        return None
    box = table.box
    count = len(widths)
    if count != len(table.columns):
        return None
    left_pad, right_pad = table.padding[3], table.padding[1]
    pads = [
        (
            0 if index == 0 and not table.pad_edge else left_pad,
            0 if index == count - 1 and not table.pad_edge else right_pad,
        )
        for index in range(count)
    ]
    content = [width - lead - tail for width, (lead, tail) in zip(widths, pads, strict=True)]
    edge = table.show_edge

    def compose(cells: Sequence[str], *, last: bool) -> str:
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
        if last:  # rich draws the last row with the box's foot characters
            left, vertical, right = box.foot_left, box.foot_vertical, box.foot_right
        else:
            left, vertical, right = box.mid_left, box.mid_vertical, box.mid_right
        if not edge:
            left = right = ""
        return left + vertical.join(parts) + right

    first = compose(samples[0], last=False)
    if first not in drawn:
        return None
    at = drawn.index(first)
    # The skeleton's rows: first, the section line after it, then the other two (the last
    # drawn as a last row); what follows them is the table's bottom.
    if drawn[at + 2 : at + 4] != [
        compose(samples[1], last=False),
        compose(samples[2], last=True),
    ]:
        return None
    head, section, bottom = drawn[:at], drawn[at + 1], drawn[at + 4 :]
    lines = list(head)
    rows = table.rows
    last_index = len(rows) - 1
    for index, cells in enumerate(zip(*columns, strict=True)):
        lines.append(compose(cells, last=index == last_index))
        if rows[index].end_section and index < last_index:
            lines.append(section)
    lines.extend(bottom)
    return lines
