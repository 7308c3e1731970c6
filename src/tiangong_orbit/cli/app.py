"""The typer application, output helpers and the error boundary shared by every command.

Commands live in ``cli/cmd_*.py`` modules, each registering itself on :data:`app`. Heavy
modules (skyfield, matplotlib, apprise) are imported inside the command functions, never here,
so that a cron run pays only for what it uses.
"""

from __future__ import annotations

import errno
import io
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
    from tiangong_orbit.cli.common import CATALOG_NOTES_SHOWN

    CATALOG_NOTES_SHOWN.clear()  # each command says each thing about its data once


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


#: The modules that register each top-level command, or the commands of each group (``tle``,
#: ``chart``). A run of one of these imports those modules alone.
COMMAND_MODULES = {
    "alert": ("cmd_alert",),
    "altitude": ("cmd_altitude",),
    "chart": ("cmd_chart", "cmd_history"),
    "cities": ("cmd_cities",),
    "history": ("cmd_history",),
    "outlook": ("cmd_outlook",),
    "passes": ("cmd_passes",),
    "tle": ("cmd_tle", "cmd_update"),
    "transits": ("cmd_transits",),
}


def load_commands(command: str | None = None) -> None:
    """Register commands on :data:`app` by importing their ``cmd_*`` modules: those of
    ``command`` alone when it is one of :data:`COMMAND_MODULES` (2.5 ms less than all of them),
    else all of them. Then, whatever was registered before, each group lists its commands in
    the order of their modules' names (the order ``--help`` shows), as importing every module
    in that order would."""
    import importlib

    package = __name__.rpartition(".")[0]
    folder = os.path.dirname(__file__)  # a listing rather than pkgutil, whose import costs more
    modules = sorted(
        f"{package}.{name.removesuffix('.py')}"
        for name in os.listdir(folder)
        if name.startswith("cmd_") and name.endswith(".py")
    )
    if command in COMMAND_MODULES:
        modules_used = [f"{package}.{module}" for module in COMMAND_MODULES[command]]
    else:
        modules_used = modules
    for module in modules_used:
        importlib.import_module(module)
    for group in (app, tle_app, chart_app):
        group.registered_commands.sort(key=lambda info: modules.index(info.callback.__module__))


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
    """A rich Console for stdout: plain text (no ANSI codes) unless :func:`use_color`.

    Strings print as they are: no console markup (``[bold]``) and no emoji codes
    (``:satellite:``), which nothing here writes, so that a place, satellite or file name
    holding such text is shown as typed; styles come as ``style=`` arguments. (It also spares
    every table the import of rich's emoji names, 2 ms.)
    """
    from rich.console import Console

    class _Console(Console):
        def on_broken_pipe(self) -> None:
            # Rich would exit 1 (our "internal error"); the reader going away (``| head``)
            # is no error of ours: let main() end quietly with 0.
            raise BrokenPipeError

    if use_color():
        return _Console(highlight=False, markup=False, emoji=False)
    width = output_width()
    return _Console(
        no_color=True,
        color_system=None,
        highlight=False,
        markup=False,
        emoji=False,
        soft_wrap=False,
        width=width,
        force_terminal=False,
    )


def warn(message: str) -> None:
    """Print one ``warning:`` line to stderr (a message of several lines is joined into one)."""
    print(f"warning: {' '.join(message.split())}", file=sys.stderr, flush=True)


#: Errors of a write to stdout that the user's setup causes, not a bug of ours.
_OUTPUT_ERRNOS = frozenset(
    {errno.EPIPE, errno.EBADF, errno.ENOSPC, errno.EIO, errno.EDQUOT, errno.EFBIG, errno.EINVAL}
)
#: The exit code of a command whose stdout cannot be written (closed, a full disk): the same
#: as an ``--output`` file that cannot be written. ``alert`` without ``--notify`` exits 4
#: instead (stdout is its notification channel; the alerts stay due).
OUTPUT_ERROR_EXIT = 2


class _ClosedOutput(io.TextIOBase):
    """Stands for a standard stream that was closed before the program started (``>&-``).

    Python would set ``sys.stdout`` to ``None`` and ``print`` would then write nothing,
    silently; writing here raises ``OSError(EBADF)`` like a write to a closed descriptor.
    """

    def writable(self) -> bool:
        return True

    def write(self, text: str) -> int:
        raise OSError(errno.EBADF, "standard output is closed")

    def isatty(self) -> bool:
        return False


class _GuardedOutput:
    """``sys.stdout`` during a run: a failed write is remembered, so that the error boundary
    can tell a closed or full stdout from any other error, and name it."""

    broken = False

    def __init__(self, stream: object) -> None:
        self._stream = stream

    def _guard(self, name: str, *args: object) -> object:
        try:
            return getattr(self._stream, name)(*args)
        except OSError:
            _GuardedOutput.broken = True
            raise

    def write(self, data: object) -> object:
        return self._guard("write", data)

    def writelines(self, lines: object) -> object:
        return self._guard("writelines", lines)

    def flush(self) -> object:
        return self._guard("flush")

    @property
    def buffer(self) -> _GuardedOutput:
        return _GuardedOutput(self._stream.buffer)  # type: ignore[attr-defined]

    def __getattr__(self, name: str) -> object:
        return getattr(self._stream, name)


def _fd_open(fd: int) -> bool:
    try:
        os.fstat(fd)
    except OSError:
        return False
    return True


def _guard_standard_streams() -> None:
    """Give closed descriptors 0-2 ``/dev/null``, so that no file we open later lands on one
    (and gets our output written into it); then a closed stdout raises on write instead of
    swallowing it, and a closed stderr is quietly ``/dev/null``."""
    closed = [fd for fd in (0, 1, 2) if not _fd_open(fd)]
    for fd in closed:
        opened = os.open(os.devnull, os.O_RDWR)
        if opened != fd:
            os.dup2(opened, fd)
            os.close(opened)
    if 1 in closed or sys.stdout is None:
        sys.stdout = _ClosedOutput()
    if 2 in closed or sys.stderr is None:
        sys.stderr = open(os.devnull, "w")  # noqa: SIM115 (lives as long as the process)


def discard_stdout() -> None:
    """Point descriptor 1 at ``/dev/null`` after stdout failed, so that what stays in Python's
    buffer cannot fail again when the interpreter flushes it at exit."""
    try:
        null = os.open(os.devnull, os.O_WRONLY)
    except OSError:
        return
    try:
        os.dup2(null, 1)
    except OSError:
        pass
    finally:
        os.close(null)


def _stdout_failed(error: OSError) -> bool:
    """Whether ``error`` is a failed write to stdout (not a file's: those carry a name)."""
    if error.errno not in _OUTPUT_ERRNOS or error.filename is not None:
        return False
    return (
        _GuardedOutput.broken
        or isinstance(sys.stdout, _ClosedOutput)
        or isinstance(getattr(sys.stdout, "_stream", None), _ClosedOutput)
    )


def _name_too_long(error: OSError) -> str:
    name = str(error.filename)
    shown = name if len(name) <= 80 else f"{name[:40]}…{name[-30:]}"
    return (
        f"cannot use the file '{shown}': a name in it is too long for the file system (at "
        "most 255 bytes a name); choose a shorter one"
    )


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
    try:
        if sys.stdout is not None:
            sys.stdout.flush()
    except OSError:
        discard_stdout()  # already failing: the error above is the one to report
    raise SystemExit(error.exit_code)


#: Net allocations of container objects between two collections of the cyclic garbage
#: collector's youngest generation in a command-line run (Python's default: 700).
YOUNG_COLLECTION_THRESHOLD = 100_000


def _collect_for_one_run() -> None:
    """Tune the cyclic garbage collector for a process that is one command-line run.

    Start-up creates tens of thousands of objects that live until the exit (the modules'
    functions, classes and dicts: 29,000 tracked at the end of ``passes`` over one city and one
    day). At Python's default threshold the collector examined them as they came, in 72
    collections that freed 629 objects in all: 10 ms of that 0.16 s run. At
    :data:`YOUNG_COLLECTION_THRESHOLD` such a run never collects, and a long one collects every
    100,000 allocations (this code makes few reference cycles, so little garbage waits
    meanwhile: every city for 366 days, every pass, peaks 1 % higher, at 713 MB).

    At the exit, the interpreter's finalization collects every generation again, visiting all
    of those objects each time (18 ms of the same run). :func:`gc.freeze` registered with
    :mod:`atexit` (so after every exit handler registered later) moves them to the permanent
    generation first, which those collections skip. Every object not in a reference cycle is
    still freed and finalized as before; only cycles still alive at the exit are left to the
    operating system, as Python never promises to finalize them.
    """
    import atexit
    import gc

    gc.set_threshold(YOUNG_COLLECTION_THRESHOLD, *gc.get_threshold()[1:])
    atexit.register(gc.freeze)


def main(argv: list[str] | None = None) -> None:
    """Console-script entry point: run the app, turning every known error into one line.

    With ``argv`` ``None`` the process is this command line's own (``tiangong-orbit ...``,
    ``python -m tiangong_orbit ...``), and the garbage collector is tuned for one short run
    (:func:`_collect_for_one_run`); a caller that passes its own arguments keeps its settings.
    """
    if argv is None:
        _collect_for_one_run()
    args = sys.argv[1:] if argv is None else argv
    load_commands(args[0] if args else None)
    command = _command_for(args)
    _guard_standard_streams()
    _GuardedOutput.broken = False
    original_stdout = sys.stdout
    sys.stdout = _GuardedOutput(original_stdout)  # type: ignore[assignment]
    try:
        _run(command, args)
    finally:
        sys.stdout = original_stdout


def _command_for(args: list[str]) -> object:
    """The click command that runs ``args``: for a top-level command (``passes ...``) or group
    (``tle ...``) the application with that command or group alone (and the top-level
    callback); else all of it.

    typer builds every command's options when it builds the application, evaluating all their
    annotations (17 ms for the whole application, a quarter of the start-up of ``passes`` for
    one city and one day); a run needs one command's. Usage, help and error texts are the same
    either way.
    """
    import copy

    first = args[0] if args else ""
    chosen = [
        info
        for info in app.registered_commands
        if (info.name or getattr(info.callback, "__name__", "")) == first
    ]
    groups = [info for info in app.registered_groups if info.name == first]
    if len(chosen) + len(groups) != 1:
        return typer.main.get_command(app)
    alone = copy.copy(app)
    alone.registered_commands = chosen
    alone.registered_groups = groups
    group_commands = [
        info
        for group in groups
        for info in group.typer_instance.registered_commands  # type: ignore[union-attr]
    ]
    for info in [*chosen, *group_commands]:
        _evaluate_annotations(info.callback)
    _evaluate_annotations(app.registered_callback.callback)  # type: ignore[union-attr]
    return typer.main.get_command(alone)


def _evaluate_annotations(function: object) -> None:
    """Replace ``function``'s annotations, strings under ``from __future__ import annotations``,
    by the objects they name, as :func:`typing.get_type_hints` evaluates them.

    typer reads the annotations four times while it builds a command (``inspect.signature``
    with ``eval_str=True`` and ``get_type_hints``, twice each), and each read compiles and
    evaluates every string again: for ``passes``, 31 of them. Evaluated once here, those reads
    find objects: building ``passes`` takes 1.4 ms instead of 2.5 ms, 0.5 ms of it here.
    """
    import typing

    function.__annotations__ = typing.get_type_hints(function, include_extras=True)  # type: ignore[attr-defined]


def _run(command: object, args: list[str]) -> NoReturn:
    """Run the command; turn every known error into one line and its exit code."""
    try:
        code = command.main(  # type: ignore[attr-defined]
            args=args, prog_name="tiangong-orbit", standalone_mode=False
        )
        if sys.stdout is not None:
            sys.stdout.flush()  # a full device shows here, while we can still report it
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
        discard_stdout()
        raise SystemExit(0) from None
    except OSError as error:
        if _stdout_failed(error):
            discard_stdout()
            why = error.strerror or str(error)
            print(
                f"error: cannot write to standard output ({why}); send it to a file or a "
                "pipe that can take it, or use --output FILE where the command has it",
                file=sys.stderr,
                flush=True,
            )
            raise SystemExit(OUTPUT_ERROR_EXIT) from None
        if error.errno == errno.ENAMETOOLONG and error.filename is not None:
            print(f"error: {_name_too_long(error)}", file=sys.stderr, flush=True)
            raise SystemExit(2) from None
        _internal_error(error)
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
        _internal_error(error)
    raise SystemExit(code if isinstance(code, int) else 0)


def _internal_error(error: Exception) -> NoReturn:
    """A bug: one line (exit 1), or the traceback with ``TIANGONG_ORBIT_DEBUG=1``."""
    if os.environ.get("TIANGONG_ORBIT_DEBUG"):
        raise error
    message = " ".join(str(error).split())
    print(
        f"error: internal error ({type(error).__name__}: {message}); this is a bug, please "
        "report it (set TIANGONG_ORBIT_DEBUG=1 for the traceback)",
        file=sys.stderr,
    )
    raise SystemExit(1) from None
