"""``tiangong-orbit tle update``: fetch fresh element sets into the user cache (the only command
that uses the network; the work is :func:`tiangong_orbit.fetch.update`)."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Annotated

import typer

from tiangong_orbit.cli.app import tle_app, warn

if TYPE_CHECKING:
    from tiangong_orbit.fetch import UpdateResult

UrlOption = Annotated[
    str | None,
    typer.Option(
        "--url",
        help="Another source (a mirror): any http(s) URL answering CelesTrak OMM JSON or "
        "TLE/3LE text that holds Tiangong. Default: $TIANGONG_ORBIT_TLE_URL when set, else "
        "CelesTrak's GP stations group, OMM JSON.",
        show_default=False,
    ),
]
ForceOption = Annotated[
    bool,
    typer.Option(
        "--force",
        help="Ask even if this source was checked less than 2 hours ago (CelesTrak updates "
        "every 2 hours: please keep it for real need).",
    ),
]


@tle_app.command("update")
def update_command(url: UrlOption = None, force: ForceOption = False) -> None:
    """Fetch fresh element sets for Tiangong, its modules, the ISS and visiting vehicles from
    CelesTrak (or --url) into the user cache ($TIANGONG_ORBIT_CACHE_DIR, else the platform's
    user cache folder).

    At most one request per source every 2 hours (the last successful check is remembered);
    an answer is checked completely before anything is written, and only sets newer than the
    ones you have are added; sets dated in the future are refused. The whole download has 15 s.
    Exit 0 when updated or nothing new, 2 when the cache folder or its lock cannot be written, 4
    when the download fails or the answer is unusable (the cache is then unchanged), 5 when
    another update is running.
    """
    from tiangong_orbit import fetch
    from tiangong_orbit.cli.common import now_utc

    now = now_utc()
    result = fetch.update(now=now, url=url or fetch.source_url(), force=force)
    for message in result.warnings:
        warn(message)
    if result.answer_older:
        warn(
            f"{fetch.shown_url(result.url)} serves an older Tiangong set than the one you have: "
            "a stale mirror? "
            "nothing was taken from it"
        )
    for line in describe(result, now):
        print(line)


def describe(result: UpdateResult, now: datetime) -> list[str]:
    """One or two human lines saying what :func:`fetch.update` did."""
    from tiangong_orbit.fetch import shown_url

    newest = _newest_line(result, now)
    if result.skipped_polite:
        assert result.last_check is not None and result.next_check_after is not None
        return [
            f"Not asked: {shown_url(result.url)} was checked {_ago(now - result.last_check)} "
            "ago and CelesTrak's data changes at most every 2 hours; asking is polite again after "
            f"{_time(result.next_check_after)} (or use --force).",
            newest,
        ]
    if result.not_updated:
        return [
            f"Nothing changed: the source says {result.source_message!r} (HTTP 403, its way of "
            "saying nothing is new).",
            newest,
        ]
    received = f"{result.sets_received} set{'s' if result.sets_received != 1 else ''} received"
    if result.sets_added:
        return [
            f"Updated: {received}, {result.sets_added} new, saved in {result.cache_file}.",
            newest,
        ]
    answer = result.answer_tiangong_epoch
    if result.answer_older and answer is not None and result.tiangong_epoch_before is not None:
        return [
            f"Nothing changed: the answer's Tiangong set (epoch {_time(answer)}) is older than "
            f"the one you have (epoch {_time(result.tiangong_epoch_before)}).",
        ]
    return [f"Up to date: {received}, none newer than the sets you have.", newest]


def _newest_line(result: UpdateResult, now: datetime) -> str:
    after, before = result.tiangong_epoch_after, result.tiangong_epoch_before
    if after is None:
        return "No Tiangong set available yet."
    age_days = (now - after).total_seconds() / 86400.0
    was = f"; was {_time(before)}" if before is not None and before != after else ""
    return f"Newest Tiangong set: epoch {_time(after)} ({age_days:.1f} days old{was})."


def _time(moment: datetime) -> str:
    return f"{moment:%Y-%m-%d %H:%M} UTC"


def _ago(elapsed: timedelta) -> str:
    minutes = max(0, round(elapsed.total_seconds() / 60))
    if minutes < 60:
        return f"{minutes} min"
    return f"{minutes // 60} h {minutes % 60:02d} min"
