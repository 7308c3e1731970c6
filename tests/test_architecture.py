"""The house rules of the package, read from the code's own imports (no module is run).

The core (element sets, orbits, passes, outlook, history, places, ...) takes arrays and
datetimes and returns dataclasses: it never imports the command line or the renderers. The
renderers never import the command line. Alerts may borrow the tables' words (``render``),
never the command line.
"""

from __future__ import annotations

import ast
from pathlib import Path

import tiangong_orbit

PACKAGE = Path(tiangong_orbit.__file__).parent


def imported_modules(path: Path) -> set[str]:
    """Every ``tiangong_orbit`` module that ``path`` imports, at any depth of its code."""
    found: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module:
            found.add(node.module)
            found.update(f"{node.module}.{alias.name}" for alias in node.names)
    return {name for name in found if name.startswith("tiangong_orbit")}


def layer(path: Path) -> str:
    relative = path.relative_to(PACKAGE).parts
    if relative[0] in ("cli", "render", "alerts"):
        return relative[0]
    return "entry" if relative[0] == "__main__.py" else "core"


def offenders(source_layer: str, forbidden: tuple[str, ...]) -> list[str]:
    bad = []
    for path in sorted(PACKAGE.rglob("*.py")):
        if layer(path) != source_layer:
            continue
        for name in sorted(imported_modules(path)):
            parts = name.split(".")
            if len(parts) > 1 and parts[1] in forbidden:
                bad.append(f"{path.relative_to(PACKAGE)} imports {name}")
    return bad


def test_the_core_never_imports_the_command_line_or_the_renderers() -> None:
    assert offenders("core", ("cli", "render", "alerts")) == []


def test_the_renderers_and_alerts_never_import_the_command_line() -> None:
    assert offenders("render", ("cli",)) == []
    assert offenders("alerts", ("cli",)) == []


def test_the_check_itself_sees_imports() -> None:
    # The rules are only worth something if the reader finds imports nested in functions.
    assert "tiangong_orbit.render.terminal" in imported_modules(PACKAGE / "cli" / "cmd_passes.py")
