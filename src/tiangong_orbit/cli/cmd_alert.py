"""``tiangong-orbit alert``: post each visible pass once, and only once, from cron."""

from __future__ import annotations

import errno
import signal
import sys
from datetime import datetime, timedelta
from pathlib import Path
from typing import Annotated

import typer

from tiangong_orbit.cli.app import app, discard_stdout, warn
from tiangong_orbit.cli.common import choose_set
from tiangong_orbit.cli.options import (
    AllowStaleOption,
    CityOption,
    ElevationOption,
    HorizonOption,
    LatOption,
    LonOption,
    MinVisibleOption,
    NameOption,
    NowOption,
    OfflineOption,
    PlacesFileOption,
    SatelliteOption,
    StandardMagnitudeOption,
    SunMaxOption,
    TleOption,
    TzOption,
    check_thresholds,
    resolve_places,
    time_option,
)
from tiangong_orbit.errors import BusyError, NotifyError, RunInterrupted, UsageError

_PLACE_OPTIONS = ("city", "lat", "lon", "elevation_m", "name", "places_file")


class _StdoutTarget:
    """Without ``--notify`` the alert goes to stdout (cron mails it): recorded like a post.

    A write that fails (stdout closed with ``>&-``, a full disk, the reader gone after
    ``| head -1``) is not a delivery: the alert stays due, and the channel is reported broken
    so that the run stops writing to it.
    """

    key = "stdout"
    label = "stdout"

    def send(self, title: str, body: str):  # -> alerts.SendResult
        from tiangong_orbit.alerts import SendResult

        stream = sys.stdout
        try:
            if stream is None:
                raise OSError(errno.EBADF, "standard output is closed")
            stream.write(body + "\n")
            stream.flush()
        except OSError as error:
            discard_stdout()  # what stays buffered must not fail again at exit
            why = error.strerror or str(error)
            return SendResult(False, detail=f"cannot write to stdout: {why}", channel_broken=True)
        return SendResult(True)


class _StopOnSignal:
    """SIGINT and SIGTERM while posting: finish the post under way, post nothing more.

    The first signal is remembered (:meth:`requested` turns true); the alert being posted is
    posted and recorded, the others stay due. A second signal stops at once (the alert being
    posted then has an unknown outcome, as after a kill).
    """

    def __init__(self) -> None:
        self.signal_number: int | None = None
        self._saved: dict[int, object] = {}

    def requested(self) -> bool:
        return self.signal_number is not None

    def _handle(self, number: int, frame: object) -> None:
        if self.signal_number is not None:
            raise KeyboardInterrupt
        self.signal_number = number

    def __enter__(self) -> _StopOnSignal:
        for number in (signal.SIGINT, signal.SIGTERM):
            self._saved[number] = signal.signal(number, self._handle)
        return self

    def __exit__(self, *exc: object) -> None:
        for number, handler in self._saved.items():
            signal.signal(number, handler)  # type: ignore[arg-type]


@app.command("alert")
def alert_command(
    ctx: typer.Context,
    city: CityOption = None,
    lat: LatOption = None,
    lon: LonOption = None,
    elevation_m: ElevationOption = None,
    name: NameOption = None,
    places_file: PlacesFileOption = None,
    tz: TzOption = None,
    lead_minutes: Annotated[
        int,
        typer.Option(
            "--lead-minutes",
            help="Alert for visible passes that appear within this "
            "many minutes. Run the job more often than this (e.g. every 10 minutes).",
        ),
    ] = 60,
    notify: Annotated[
        list[str] | None,
        typer.Option(
            "--notify",
            help="Apprise URL to post to (repeatable): ntfy://, tgram://, "
            "discord://, json://host/path ... Without it the alert is printed.",
            show_default=False,
        ),
    ] = None,
    config: Annotated[
        Path | None,
        typer.Option(
            "--config",
            help="TOML file with places, notify URLs, lead time and "
            "thresholds (see the README); command-line options override it.",
            dir_okay=False,
            show_default=False,
        ),
    ] = None,
    state: Annotated[
        Path | None,
        typer.Option(
            "--state",
            help="The alert state database. Default: alerts.sqlite3 in "
            "the user state folder ($TIANGONG_ORBIT_STATE_DIR when set).",
            dir_okay=False,
            show_default=False,
        ),
    ] = None,
    now: NowOption = None,
    dry_run: Annotated[
        bool,
        typer.Option(
            "--dry-run", help="Show the alerts that are due; post nothing, record nothing."
        ),
    ] = False,
    quiet: Annotated[
        bool,
        typer.Option(
            "--quiet",
            "-q",
            help="Print nothing on success (cron mails only "
            "failures). Without --notify the alerts themselves still print.",
        ),
    ] = False,
    retry_unknown: Annotated[
        bool,
        typer.Option(
            "--retry-unknown",
            help="Post again the alerts whose delivery is "
            "unknown (a run killed while posting, a timeout after sending).",
        ),
    ] = False,
    lock_timeout_s: Annotated[
        float,
        typer.Option(
            "--lock-timeout-s",
            help="Seconds to wait for another run that "
            "holds the state before giving up with exit code 5.",
        ),
    ] = 10.0,
    tle_file: TleOption = None,
    satellite: SatelliteOption = "tiangong",
    allow_stale: AllowStaleOption = False,
    offline: OfflineOption = False,
    horizon_deg: HorizonOption = 0.0,
    min_visible_elevation_deg: MinVisibleOption = 10.0,
    sun_max_altitude_deg: SunMaxOption = -6.0,
    standard_magnitude: StandardMagnitudeOption = None,
) -> None:
    """Post an alert before each visible pass, once and only once (for cron or a systemd
    timer). Alerts go to the --notify Apprise URLs, or to stdout. A pass is due when its
    visible part starts within --lead-minutes of now. The state file remembers what was
    posted; an element set more than 7 days old posts nothing (a warning says so) unless
    --allow-stale. Exit codes: 0 posted or nothing to alert, 2 bad usage or config, or a state
    file that cannot be written (read-only, full disk), 3 element set too stale (over 14
    days), 4 a post failed, got no answer, or stdout could not take the alert (the next run
    retries what surely failed), 5 another run holds the state, 130/143 stopped by SIGINT or
    SIGTERM after the post under way (the rest stay due)."""
    from tiangong_orbit import alerts, paths
    from tiangong_orbit.cli.common import now_utc

    def given(parameter: str) -> bool:
        # By name: typer may carry its own copy of click, with its own ParameterSource enum.
        source = ctx.get_parameter_source(parameter)
        return source is not None and source.name not in ("DEFAULT", "DEFAULT_MAP")

    cfg = alerts.read_config(config) if config is not None else alerts.AlertConfig()

    def pick(parameter: str, value, configured):
        return value if given(parameter) or configured is None else configured

    lead_minutes = pick("lead_minutes", lead_minutes, cfg.lead_minutes)
    satellite = pick("satellite", satellite, cfg.satellite)
    tle_file = pick("tle_file", tle_file, cfg.tle)
    state = pick("state", state, cfg.state)
    lock_timeout_s = pick("lock_timeout_s", lock_timeout_s, cfg.lock_timeout_s)
    allow_stale = allow_stale or bool(cfg.allow_stale)
    offline = offline or bool(cfg.offline)
    horizon_deg = pick("horizon_deg", horizon_deg, cfg.horizon_deg)
    min_visible_elevation_deg = pick(
        "min_visible_elevation_deg", min_visible_elevation_deg, cfg.min_visible_elevation_deg
    )
    sun_max_altitude_deg = pick(
        "sun_max_altitude_deg", sun_max_altitude_deg, cfg.sun_max_altitude_deg
    )
    standard_magnitude = pick("standard_magnitude", standard_magnitude, cfg.standard_magnitude)
    # The same URL twice is one destination: it gets each alert once.
    urls = list(dict.fromkeys(notify or cfg.notify))

    if not 1 <= lead_minutes <= alerts.MAX_LEAD_MINUTES:
        raise UsageError(
            f"--lead-minutes {lead_minutes} must be from 1 to {alerts.MAX_LEAD_MINUTES}"
        )
    if not 0 <= lock_timeout_s <= 3600:
        raise UsageError(f"--lock-timeout-s {lock_timeout_s:g} must be from 0 to 3600 seconds")
    check_thresholds(
        horizon_deg, min_visible_elevation_deg, sun_max_altitude_deg, standard_magnitude
    )

    if any(given(option) for option in _PLACE_OPTIONS) or not cfg.has_places:
        places = resolve_places(city, lat, lon, elevation_m, name, places_file)
    else:
        try:
            places = resolve_places(
                list(cfg.cities) or None, cfg.lat, cfg.lon, cfg.elevation_m, cfg.name, cfg.places
            )
        except UsageError as error:
            # Name the file: the user wrote these as keys (cities, lat/lon, places), not options.
            raise type(error)(f"config {config}: {error}") from None
    from tiangong_orbit.places import with_timezone

    places = with_timezone(places, tz)  # --tz: the zone of the message's local times
    moment = time_option(now, "--now", now_utc())
    # Check every URL before computing anything: a typo is exit 2, even in a dry run. Two
    # spellings of one destination are one destination.
    checked = [alerts.AppriseTarget(url) for url in urls] or [_StdoutTarget()]
    targets = list({target.key: target for target in checked}.values())
    # Without --notify, stdout carries the alerts themselves (piped into an SMS bridge, say):
    # what the run did then goes to stderr, so that only messages reach the pipe.
    status_stream = sys.stdout if urls else sys.stderr

    def say(text: str) -> None:
        if not quiet:
            print(text, file=status_stream, flush=True)

    element_set, age_days = _element_set(
        tle_file,
        satellite,
        moment,
        allow_stale,
        quiet,
        offline=offline,
        until=moment + timedelta(minutes=lead_minutes),
    )
    short, _ = alerts.satellite_names(element_set.norad_id, element_set.name)
    place_words = ", ".join(place.name for place in places[:3]) + (
        f" and {len(places) - 3} more places" if len(places) > 3 else ""
    )
    if age_days > alerts.ALERT_MAX_AGE_DAYS and not allow_stale:
        warn(
            f"the element set for {short} is {age_days:.1f} days from the time "
            f"asked, too old to alert on (alerts need one at most "
            f"{alerts.ALERT_MAX_AGE_DAYS:g} days old): nothing was posted; "
            + (
                "give a newer one with --tle FILE"
                if tle_file
                else "run 'tiangong-orbit tle update'"
            )
            + ", or pass --allow-stale"
        )
        say("nothing to alert (element set too old)")
        return

    from tiangong_orbit import passes
    from tiangong_orbit.model import Settings

    if standard_magnitude is None:
        standard_magnitude = passes.standard_magnitude_for(element_set.norad_id)
    settings = Settings(
        horizon_deg=horizon_deg,
        min_visible_elevation_deg=min_visible_elevation_deg,
        sun_max_altitude_deg=sun_max_altitude_deg,
        **({} if standard_magnitude is None else {"standard_magnitude": standard_magnitude}),
    )
    start, end = alerts.search_window(moment, lead_minutes)
    groups = passes.find_passes(element_set, places, start, end, settings)
    from tiangong_orbit.sky import add_near  # "passes 2° below Jupiter", when the text has room

    groups = add_near(groups, [(element_set, start, end)])
    due = alerts.due_alerts(
        groups,
        now=moment,
        lead_minutes=lead_minutes,
        norad_id=element_set.norad_id,
        satellite_name=element_set.name,
    )
    if not due:
        say(
            f"nothing to alert: no visible pass of {short} over {place_words} starts in the "
            f"next {lead_minutes} minutes",
        )
        return
    if dry_run:
        where = ", ".join(target.label for target in targets)
        for alert in due:
            print(
                f"{alert.body}\n  (dry run: would post '{alert.title}' to {where}; nothing "
                "posted or recorded)",
                flush=True,
            )
        return

    state_path = state if state is not None else paths.state_dir() / alerts.STATE_FILE_NAME
    opened, problems = alerts.AlertState.open(state_path, now=moment, lock_timeout_s=lock_timeout_s)
    with opened:
        for problem in problems:
            warn(problem)
        with _StopOnSignal() as stop:
            report = alerts.deliver(
                due,
                targets,
                opened,
                now=moment,
                retry_unknown=retry_unknown,
                should_stop=stop.requested,
            )
    _report(report, say, stop.signal_number)


def _element_set(
    tle_file: Path | None,
    satellite: str,
    moment: datetime,
    allow_stale: bool,
    quiet: bool,
    *,
    offline: bool = False,
    until: datetime | None = None,
):  # -> tuple[ElementSet, float]
    """The set nearest ``moment`` after the staleness table (exit 3 over 14 days); its age."""
    from tiangong_orbit.alerts import ALERT_MAX_AGE_DAYS

    chosen = choose_set(
        tle_file,
        satellite,
        moment,
        allow_stale=allow_stale,
        for_alert=True,
        print_warnings=False,
        offline=offline,
        until=until,
        quiet=quiet,
    )
    # With --quiet, the timing-error note of a 3-7 day old set is not worth a cron mail each
    # run; from 7 days on the alerts stop (or run on --allow-stale), and that always shows.
    if not quiet or chosen.age_days > ALERT_MAX_AGE_DAYS:
        for message in chosen.warnings:
            warn(message)
    return chosen.element_set, chosen.age_days


def _when(moment: datetime, place) -> str:
    from tiangong_orbit.alerts import local_time_words

    return local_time_words(moment, getattr(place, "timezone", None) or "Asia/Karachi")


def _posts(count: int) -> str:
    return "1 alert post was" if count == 1 else f"{count} alert posts were"


def _report(report, say, signal_number: int | None = None) -> None:
    """Tell what the run did (``say``), the problems (stderr); fail with exit 4 when a post
    failed, was left unknown or could not be written, and with 130/143 after a signal."""
    for outcome in report.outcomes:
        alert = outcome.alert
        what = f"{alert.title} at {_when(alert.visible_start, alert.place)}"
        status = outcome.status
        if status == "posted":
            if outcome.target_label != "stdout":
                say(f"posted to {outcome.target_label}: {alert.body}")
            if not outcome.recorded:
                warn(
                    f"posted {what} to {outcome.target_label} but could not record it (the "
                    "state was busy); it will not be posted again"
                )
        elif status == "already_sent":
            say(f"already posted to {outcome.target_label}: {what}")
        elif status == "in_progress":
            say(f"another run is posting {what} to {outcome.target_label}; left to it")
        elif status == "unknown":
            say(
                f"not posted again to {outcome.target_label}: {what} (an earlier "
                "attempt may have been delivered; --retry-unknown posts it)",
            )
        elif status == "interrupted":
            since = f"{outcome.since:%Y-%m-%d %H:%M} UTC" if outcome.since else "earlier"
            warn(
                f"a run that was posting {what} to {outcome.target_label} ({since}) was "
                "interrupted; it may have been delivered, so it is not posted again "
                "(run with --retry-unknown to post it anyway)"
            )
        elif status == "maybe_delivered":
            warn(
                f"posting {what} to {outcome.target_label}: {outcome.detail}; it may have "
                "been delivered, so it is not posted again (run with --retry-unknown to post "
                "it anyway)"
            )
        elif status == "failed":
            warn(
                f"posting {what} to {outcome.target_label} failed: {outcome.detail}; the "
                "next run tries again"
            )
        # "not_tried": counted below, one line for all of them
    not_tried = report.with_status("not_tried")
    if signal_number is not None:
        name = signal.Signals(signal_number).name
        raise RunInterrupted(
            f"stopped by {name} after the post under way; {_posts(len(not_tried))} not "
            "tried and stay due for the next run",
            signal_number,
        )
    if report.busy:
        raise BusyError(
            f"another tiangong-orbit alert run held the state too long in the middle of this "
            f"run; {_posts(len(not_tried))} not tried and stay due for the next run"
        )
    failed = report.with_status("failed")
    unsure = report.with_status("maybe_delivered")
    if failed or unsure:
        tried = len(report.with_status("posted", "failed", "maybe_delivered"))
        parts = []
        if failed:
            first = failed[0]
            parts.append(
                f"{len(failed)} of {tried} posts failed (first: {first.target_label}: "
                f"{first.detail}); the next run tries them again"
            )
        if not_tried:
            parts.append(f"{_posts(len(not_tried))} not tried and stay due for the next run")
        if unsure:
            first = unsure[0]
            parts.append(
                f"{len(unsure)} of {tried} posts got no answer (first: {first.target_label}: "
                f"{first.detail}); they may have been delivered, so they are not posted again "
                "unless --retry-unknown"
            )
        raise NotifyError("; ".join(parts))
