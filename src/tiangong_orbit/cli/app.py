"""The typer application, output helpers and the error boundary shared by every command.

Commands live in ``cli/cmd_*.py`` modules, each registering itself on :data:`app`. Heavy
modules (skyfield, matplotlib, apprise) are imported inside the command functions, never here,
so that a cron run pays only for what it uses.
"""

from __future__ import annotations

import os
import sys
from typing import NoReturn

import typer

from tiangong_orbit.errors import TiangongError

app = typer.Typer(
    name="tiangong-orbit",
    help=(
        "When China's Tiangong space station passes over Pakistan, whether you can see it, "
        "and how high it flies.\n\n"
        "Times: JSON/CSV/ICS carry UTC (ISO 8601, 'Z'); tables show the place's local time "
        "(Pakistan: PKT, UTC+5). Exit codes: 0 ok, 1 internal error, 2 bad usage or input, "
        "3 data problem (TLE invalid or too stale), 4 outside service failed, 5 another "
        "instance holds the lock."
    ),
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
    rich_markup_mode=None,
)


def _show_version(value: bool) -> None:
    """``--version``: the version and the newest element set's epoch, then exit 0."""
    if not value:
        return
    from tiangong_orbit import __version__

    print(f"tiangong-orbit {__version__}")
    try:
        from tiangong_orbit import tle
        from tiangong_orbit.names import TIANGONG_NORAD_ID

        catalog = tle.load_catalog(None)
        newest = catalog.newest_epoch(TIANGONG_NORAD_ID)
        overall = max((s.epoch for s in catalog.sets), default=None)
    except TiangongError as error:  # the version still prints; say why the data does not
        print(f"element sets: unreadable ({' '.join(str(error).split())})")
        raise typer.Exit(0) from None
    if newest is not None:
        print(f"newest Tiangong element set: {newest:%Y-%m-%d %H:%M:%S} UTC")
    if overall is not None and overall != newest:
        print(f"newest element set of any satellite: {overall:%Y-%m-%d %H:%M:%S} UTC")
    raise typer.Exit(0)


@app.callback()
def _top_level(
    version: bool = typer.Option(
        False,
        "--version",
        help="Print the version and the newest element set's epoch, then exit.",
        is_eager=True,
        callback=_show_version,
    ),
) -> None:
    """When China's Tiangong space station passes over Pakistan (see the commands below)."""


#: ``tiangong-orbit tle show|check|update``
tle_app = typer.Typer(
    help="Element sets: which are available and how old (show), validate a file (check), "
    "fetch fresh ones from CelesTrak (update).",
    no_args_is_help=True,
    rich_markup_mode=None,
)
app.add_typer(tle_app, name="tle")

#: ``tiangong-orbit chart sky|track|altitude|history``
chart_app = typer.Typer(
    help="Pictures for a class (PNG or SVG, chosen by the --output file's extension).",
    no_args_is_help=True,
    rich_markup_mode=None,
)
app.add_typer(chart_app, name="chart")


def use_color() -> bool:
    """Whether stdout may carry colour: a terminal, and NO_COLOR unset (https://no-color.org)."""
    return sys.stdout.isatty() and not os.environ.get("NO_COLOR")


def output_width() -> int:
    """Columns for plain output: $COLUMNS, else the terminal's own width (also under NO_COLOR),
    else 120 for a pipe or a file (at least 40 in every case)."""
    columns = os.environ.get("COLUMNS", "")
    if columns.isdigit() and int(columns) >= 40:
        return int(columns)
    if sys.stdout.isatty():
        try:
            return max(40, os.get_terminal_size(sys.stdout.fileno()).columns)
        except (OSError, ValueError):
            pass
    return 120


def stdout_console():  # -> rich.console.Console, imported lazily
    """A rich Console for stdout: plain text (no ANSI codes) unless :func:`use_color`."""
    from rich.console import Console

    class _Console(Console):
        def on_broken_pipe(self) -> None:
            # Rich would exit 1 (our "internal error"); the reader going away (``| head``)
            # is no error of ours: let main() end quietly with 0.
            raise BrokenPipeError

    if use_color():
        return _Console(highlight=False)
    width = output_width()
    return _Console(
        no_color=True,
        color_system=None,
        highlight=False,
        soft_wrap=False,
        width=width,
        force_terminal=False,
    )


def warn(message: str) -> None:
    """Print one ``warning:`` line to stderr."""
    print(f"warning: {message}", file=sys.stderr, flush=True)


def fail(error: TiangongError) -> NoReturn:
    """Print one ``error:`` line to stderr and exit with the error's code.

    Lines after the first in the message (a TLE's column template above the bad line) follow
    as indented context, never as further ``error:`` lines.
    """
    first, *context = str(error).split("\n")
    message = " ".join(first.split()) or type(error).__name__
    print(f"error: {message}", file=sys.stderr, flush=True)
    for line in context:
        print(f"  {line.strip(chr(10))}" if not line.startswith("  ") else line, file=sys.stderr)
    raise SystemExit(error.exit_code)


def main(argv: list[str] | None = None) -> None:
    """Console-script entry point: run the app, turning every known error into one line."""
    # Importing the package registers every command on ``app``.
    import tiangong_orbit.cli  # noqa: F401

    command = typer.main.get_command(app)
    args = sys.argv[1:] if argv is None else argv
    try:
        code = command.main(args=args, prog_name="tiangong-orbit", standalone_mode=False)
    except TiangongError as error:
        fail(error)
    except typer.Abort:
        print("error: interrupted", file=sys.stderr)
        raise SystemExit(130) from None
    except KeyboardInterrupt:
        print("error: interrupted", file=sys.stderr)
        raise SystemExit(130) from None
    except BrokenPipeError:
        # The reader went away (``| head``): not an error of ours.
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        raise SystemExit(0) from None
    except Exception as error:
        # Usage errors of typer's click (vendored in newer typer, the click package in older
        # ones): recognised by their interface rather than by class.
        if type(error).__name__ == "NoArgsIsHelpError":  # a bare group: show its help
            print(error.format_message())  # type: ignore[attr-defined]
            raise SystemExit(0) from None
        if hasattr(error, "format_message") and isinstance(getattr(error, "exit_code", None), int):
            message = " ".join(error.format_message().split())
            print(f"error: {message} (see 'tiangong-orbit --help')", file=sys.stderr, flush=True)
            raise SystemExit(error.exit_code) from None
        if os.environ.get("TIANGONG_ORBIT_DEBUG"):
            raise
        print(
            f"error: internal error ({type(error).__name__}: {error}); this is a bug, please "
            "report it (set TIANGONG_ORBIT_DEBUG=1 for the traceback)",
            file=sys.stderr,
        )
        raise SystemExit(1) from None
    raise SystemExit(code if isinstance(code, int) else 0)
