"""Posting alerts: Apprise targets, and a run that claims, posts and records each alert."""

from __future__ import annotations

import contextlib
import hashlib
import logging
import warnings
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Literal, Protocol

from tiangong_orbit.alerts.message import Alert
from tiangong_orbit.alerts.state import AlertState, Claim, RowState
from tiangong_orbit.errors import BusyError, UsageError


@dataclass(frozen=True, slots=True)
class SendResult:
    """How one post went: ``ok``; else whether it may have been delivered anyway, and why."""

    ok: bool
    maybe_delivered: bool = False
    detail: str = ""


class Target(Protocol):
    """A destination for alerts: a stable ``key`` for the state, a ``label`` safe to print."""

    key: str
    label: str

    def send(self, title: str, body: str) -> SendResult:
        """Post one alert."""
        ...


@contextlib.contextmanager
def _apprise_quiet() -> Iterator[list[logging.LogRecord]]:
    """Collect Apprise's log records (and silence its warnings) instead of printing them.

    Apprise logs through the ``apprise`` logger, which Python would print to stderr in its own
    format; we keep the records, show failures as our own ``warning:`` lines, and read the
    DEBUG ones to tell a read timeout (the request went out) from a refused connection.
    Apprise's plugins also import deprecated modules (``imghdr``): their warnings are dropped.
    """
    logger = logging.getLogger("apprise")
    records: list[logging.LogRecord] = []

    class _Keep(logging.Handler):
        def emit(self, record: logging.LogRecord) -> None:
            records.append(record)

    handler = _Keep(logging.DEBUG)
    saved_level, saved_propagate = logger.level, logger.propagate
    logger.addHandler(handler)
    logger.setLevel(logging.DEBUG)
    logger.propagate = False
    try:
        with warnings.catch_warnings(record=True):
            warnings.simplefilter("always")
            yield records
    finally:
        logger.removeHandler(handler)
        logger.setLevel(saved_level)
        logger.propagate = saved_propagate


def _problem_lines(records: Sequence[logging.LogRecord]) -> list[str]:
    lines = []
    for record in records:
        if record.levelno >= logging.WARNING:
            with contextlib.suppress(Exception):
                lines.append(" ".join(record.getMessage().split()).rstrip("."))
    return lines


class AppriseTarget:
    """One ``--notify`` URL (ntfy, Telegram, Discord, json:// webhooks…), posted with Apprise.

    An invalid URL raises :class:`UsageError` naming it. :attr:`key` is a hash of the URL (the
    state never stores a token in clear); :attr:`label` is the URL with Apprise's masking of
    secrets and without its query.
    """

    def __init__(self, url: str):
        self.url = url.strip()
        with _apprise_quiet() as records:
            import apprise

            service = apprise.Apprise.instantiate(self.url)
            self._apprise = apprise.Apprise()
            added = service is not None and self._apprise.add(service)
        if not added:
            why = _problem_lines(records)
            reason = f" ({why[-1]})" if why else ""
            raise UsageError(
                f"--notify '{self.url}' is not a valid Apprise URL{reason}; expected e.g. "
                "ntfy://ntfy.sh/TOPIC, tgram://BOT_TOKEN/CHAT_ID, discord://ID/TOKEN or "
                "json://host:port/path (https://github.com/caronc/apprise/wiki)"
            )
        self.key = "apprise:" + hashlib.sha256(self.url.encode("utf-8")).hexdigest()[:24]
        self.label = service.url(privacy=True).split("?", 1)[0]

    def send(self, title: str, body: str) -> SendResult:
        """Post; a read timeout (the request was sent, no answer came) is *maybe delivered*."""
        with _apprise_quiet() as records:
            result = self._apprise.notify(body=body, title=title)
        if bool(result):
            return SendResult(True)
        status = getattr(result, "status", None)
        messages = []
        for record in records:
            with contextlib.suppress(Exception):
                messages.append(record.getMessage().lower())
        timed_out = (status is not None and int(status) == 5) or any(
            "read timed out" in message or "read timeout" in message for message in messages
        )
        problems = _problem_lines(records)
        detail = problems[-1] if problems else "the service did not accept the notification"
        if timed_out:
            detail = "no answer before the read timeout (the request was sent)"
        return SendResult(False, maybe_delivered=timed_out, detail=detail)


# --------------------------------------------------------------------------------------------
# A run: claim, post, record

Status = Literal[
    "posted", "failed", "maybe_delivered", "already_sent", "in_progress", "interrupted", "unknown"
]


@dataclass(frozen=True, slots=True)
class Outcome:
    """What became of one alert for one target in a run."""

    alert: Alert
    target_label: str
    status: Status
    detail: str = ""
    since: datetime | None = None
    recorded: bool = True


@dataclass(frozen=True, slots=True)
class RunReport:
    """Every outcome of a run, and the counts a command reports."""

    outcomes: tuple[Outcome, ...] = field(default=())
    pruned: int = 0

    def with_status(self, *statuses: Status) -> list[Outcome]:
        """The outcomes whose status is one of ``statuses``."""
        return [outcome for outcome in self.outcomes if outcome.status in statuses]


def deliver(
    alerts: Sequence[Alert],
    targets: Sequence[Target],
    state: AlertState,
    *,
    now: datetime,
    retry_unknown: bool = False,
) -> RunReport:
    """Post each due alert to each target once, and only once, recording it in ``state``.

    1. One ``BEGIN IMMEDIATE`` transaction prunes old rows and *claims* every (alert, target):
       a new row, or a ``failed`` one, becomes ``sending`` and is committed before anything
       is posted. A second run started at the same moment waits for this short transaction,
       then finds the rows ``sending`` and leaves them alone: it cannot post them too.
    2. Each claimed alert is posted, then its row is set to ``sent``, ``failed`` (the next run
       tries again) or ``unknown`` (a read timeout: it may have been delivered, so it is not
       posted again unless ``retry_unknown``), each in its own short transaction.

    A run killed between 1 and 2 leaves a ``sending`` row; after :data:`SENDING_STALE_S` a
    later run reports it once (``interrupted``) and marks it ``unknown`` instead of re-posting.
    """
    claims: list[tuple[Alert, Target, Claim]] = []
    with state.transaction():
        pruned = state.prune(now)
        for alert in alerts:
            for target in targets:
                decision = state.claim(
                    alert, target.key, target.label, now=now, retry_unknown=retry_unknown
                )
                claims.append((alert, target, decision))
    outcomes: list[Outcome] = []
    for alert, target, claim in claims:
        if claim.decision != "post":
            outcomes.append(Outcome(alert, target.label, claim.decision, since=claim.since))
            continue
        try:
            result = target.send(alert.title, alert.body)
        except BaseException:
            # Interrupted (Ctrl-C, a bug in a plugin): whether it went out is unknown.
            with contextlib.suppress(Exception), state.transaction():
                state.finish(claim, "unknown", now=now, error="interrupted while posting")
            raise
        if result.ok:
            row_state: RowState = "sent"
            status: Status = "posted"
        elif result.maybe_delivered:
            row_state, status = "unknown", "maybe_delivered"
        else:
            row_state, status = "failed", "failed"
        recorded = True
        try:
            with state.transaction():
                state.finish(claim, row_state, now=now, error=result.detail or None)
        except BusyError:
            # The row stays "sending": a later run reports it and does not post it again.
            recorded = False
        outcomes.append(Outcome(alert, target.label, status, result.detail, None, recorded))
    return RunReport(tuple(outcomes), pruned)
