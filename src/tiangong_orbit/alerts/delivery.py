"""Posting alerts: Apprise targets, and a run that claims, posts and records each alert.

The rule that keeps every alert posted once: an alert is claimed (``sending``) just before its
own post, never in advance, so a run that stops early (a signal, a full disk, a closed pipe,
an error) leaves behind only the alerts it really tried; the rest stay due for the next run.
"""

from __future__ import annotations

import contextlib
import re
import warnings
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import TYPE_CHECKING, Literal, Protocol
from urllib.parse import parse_qsl, urlsplit

from tiangong_orbit.alerts.masking import mask_text, mask_url
from tiangong_orbit.alerts.message import Alert
from tiangong_orbit.alerts.state import AlertState, Claim, RowState
from tiangong_orbit.errors import BusyError, UsageError

if TYPE_CHECKING:
    import logging  # imported where Apprise runs: a dry run needs neither it nor hashlib


@dataclass(frozen=True, slots=True)
class SendResult:
    """How one post went: ``ok``; else whether it may have been delivered anyway, and why.

    ``channel_broken`` says the destination cannot take anything more in this run (a closed
    or full standard output): the run stops posting to it, and its other alerts stay due.
    """

    ok: bool
    maybe_delivered: bool = False
    detail: str = ""
    channel_broken: bool = False


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
    import logging

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
    import logging

    lines = []
    for record in records:
        if record.levelno >= logging.WARNING:
            with contextlib.suppress(Exception):
                lines.append(" ".join(record.getMessage().split()).rstrip("."))
    return lines


#: Socket errors that happen before a request leaves (nothing was delivered: safe to retry).
#: Any other error after the connection was made (the peer closed it or reset it after reading
#: the request, no answer in time) leaves the outcome unknown.
_NOT_SENT = re.compile(
    r"connection refused|failed to establish a new connection|newconnectionerror|"
    r"name or service not known|nodename nor servname|temporary failure in name resolution|"
    r"no route to host|network is unreachable|connecttimeout|connect timeout|"
    r"certificate|ssl|invalid url|no host supplied",
    re.IGNORECASE,
)
_SENT_MAYBE = re.compile(
    r"read timed out|read timeout|connection aborted|remotedisconnected|"
    r"connection reset|broken pipe|incompleteread|protocolerror|chunkedencodingerror",
    re.IGNORECASE,
)
#: Query options that change how, not where, a post goes (timeouts, retries).
_TRANSPORT_OPTIONS = frozenset({"rto", "cto", "retry", "wait", "verify", "overflow", "optional"})


def destination_key(canonical_url: str) -> str:
    """The state's key of a destination: a hash of its URL in one spelling.

    ``canonical_url`` is Apprise's rendering of the URL (scheme and host in lower case, the
    default port dropped, every option spelled out); on top of it repeated slashes in the
    path and the order of the options do not count, nor do the options of
    :data:`_TRANSPORT_OPTIONS`. A trailing slash does (``/hook/`` is another address than
    ``/hook`` to a web server). The state never stores a token in clear.
    """
    import hashlib  # here: OpenSSL, which it loads, costs 3 ms of a run that posts nothing

    parts = urlsplit(canonical_url)
    path = re.sub(r"/+", "/", parts.path)
    options = sorted(
        (name.lower(), value)
        for name, value in parse_qsl(parts.query, keep_blank_values=True)
        if name.lower() not in _TRANSPORT_OPTIONS
    )
    spelled = f"{parts.scheme.lower()}://{parts.netloc}{path}?{options}"
    return "apprise:" + hashlib.sha256(spelled.encode("utf-8")).hexdigest()[:24]


class AppriseTarget:
    """One ``--notify`` URL (ntfy, Telegram, Discord, json:// webhooks…), posted with Apprise.

    An invalid URL, or an ntfy URL without a topic, raises :class:`UsageError` naming it with
    its secrets masked. :attr:`key` is :func:`destination_key` of the URL, so that two
    spellings of one destination are one; :attr:`label` is the URL with Apprise's masking of
    secrets and ours (:func:`~tiangong_orbit.alerts.masking.mask_url`), without its query.
    """

    def __init__(self, url: str):
        self.url = url.strip()
        shown = mask_url(self.url)
        with _apprise_quiet() as records:
            import apprise

            service = apprise.Apprise.instantiate(self.url)
            self._apprise = apprise.Apprise()
            added = service is not None and self._apprise.add(service)
        if not added or service is None:
            why = _problem_lines(records)
            reason = f" ({mask_text(why[-1])})" if why else ""
            raise UsageError(
                f"--notify '{shown}' is not a valid Apprise URL{reason}; expected e.g. "
                "ntfy://ntfy.sh/TOPIC, tgram://BOT_TOKEN/CHAT_ID, discord://ID/TOKEN or "
                "json://host:port/path (https://github.com/caronc/apprise/wiki)"
            )
        topics = getattr(service, "topics", None)
        if isinstance(topics, list) and not topics:
            raise UsageError(
                f"--notify '{shown}' names no topic, so every post would fail; expected e.g. "
                "ntfy://ntfy.sh/YOUR-TOPIC"
            )
        self.key = destination_key(service.url(privacy=False))
        self.label = mask_url(service.url(privacy=True).split("?", 1)[0])

    def send(self, title: str, body: str) -> SendResult:
        """Post; when the request may have reached the service (no answer in time, the
        connection dropped after it was sent) the result is *maybe delivered*."""
        with _apprise_quiet() as records:
            result = self._apprise.notify(body=body, title=title)
        if bool(result):
            return SendResult(True)
        status = getattr(result, "status", None)
        messages = []
        for record in records:
            with contextlib.suppress(Exception):
                messages.append(record.getMessage())
        timed_out = status is not None and int(status) == 5
        # Apprise logs the transport's exception ("Socket Exception: ... RemoteDisconnected").
        dropped = any(_SENT_MAYBE.search(m) and not _NOT_SENT.search(m) for m in messages)
        problems = _problem_lines(records)
        detail = mask_text(problems[-1]) if problems else "the service did not accept it"
        if timed_out or any("read timed out" in m.lower() for m in messages):
            detail = "no answer before the read timeout (the request was sent)"
            return SendResult(False, maybe_delivered=True, detail=detail)
        if dropped:
            detail = "the connection closed after the request was sent, with no answer"
            return SendResult(False, maybe_delivered=True, detail=detail)
        return SendResult(False, detail=detail)


# --------------------------------------------------------------------------------------------
# A run: claim, post, record

Status = Literal[
    "posted",
    "failed",
    "maybe_delivered",
    "already_sent",
    "in_progress",
    "interrupted",
    "unknown",
    "not_tried",
]


@dataclass(frozen=True, slots=True)
class Outcome:
    """What became of one alert for one target in a run.

    ``not_tried``: the run stopped (a signal, a broken channel) before this alert; it was not
    claimed and stays due for the next run.
    """

    alert: Alert
    target_label: str
    status: Status
    detail: str = ""
    since: datetime | None = None
    recorded: bool = True


@dataclass(frozen=True, slots=True)
class RunReport:
    """Every outcome of a run, the counts a command reports, and whether it was stopped."""

    outcomes: tuple[Outcome, ...] = field(default=())
    pruned: int = 0
    stopped: bool = False
    #: Another run held the state past the lock timeout after this one had posted some.
    busy: bool = False

    def with_status(self, *statuses: Status) -> list[Outcome]:
        """The outcomes whose status is one of ``statuses``."""
        return [outcome for outcome in self.outcomes if outcome.status in statuses]


def _never() -> bool:
    return False


def deliver(
    alerts: Sequence[Alert],
    targets: Sequence[Target],
    state: AlertState,
    *,
    now: datetime,
    retry_unknown: bool = False,
    should_stop: Callable[[], bool] = _never,
) -> RunReport:
    """Post each due alert to each target once, and only once, recording it in ``state``.

    For each (alert, target) in turn:

    1. A short ``BEGIN IMMEDIATE`` transaction *claims* it (:meth:`AlertState.claim`): a new
       or ``failed`` row becomes ``sending`` with this run's token and process, committed
       before the post. A concurrent run waits for this transaction, then finds the row
       ``sending`` by a live process and leaves it alone: it cannot post it too.
    2. The alert is posted; its row becomes ``sent``, ``failed`` (the next run tries again)
       or ``unknown`` (the request may have arrived: not posted again unless
       ``retry_unknown``), in the same transaction as the next claim (one commit, one disk
       sync, per alert), or in one of its own after the last post.

    Targets are deduplicated by :attr:`Target.key`. When ``should_stop()`` turns true (the
    command's SIGINT/SIGTERM handler) or a target reports its channel broken, the remaining
    alerts are left unclaimed (``not_tried``) for the next run; an error from the state (a
    full disk) propagates the same way, leaving no claim untried. Only a process killed
    during a post (SIGKILL, a power cut) leaves a ``sending`` row: later runs see that its
    process is gone and report it once as ``interrupted`` (it may have been delivered).
    """
    unique = list({target.key: target for target in targets}.values())
    outcomes: list[Outcome] = []
    broken: set[str] = set()
    stopped = busy = False
    pruned: int | None = None
    pending: _Posted | None = None  # posted, its result not yet written
    for alert in alerts:
        for target in unique:
            if busy or stopped or should_stop() or target.key in broken:
                stopped = stopped or should_stop()
                outcomes.append(Outcome(alert, target.label, "not_tried"))
                continue
            try:
                with state.transaction():
                    if pruned is None:
                        pruned = state.prune(now)
                    if pending is not None:
                        pending.record(state, now)
                    claim = state.claim(
                        alert, target.key, target.label, now=now, retry_unknown=retry_unknown
                    )
            except BusyError:
                if pending is not None:
                    # Its row stays "sending" under this run's live process: runs meanwhile
                    # leave it alone, later ones report it as interrupted, never re-post it.
                    outcomes.append(pending.outcome(recorded=False))
                    pending = None
                if not outcomes:
                    raise  # nothing done yet: exit 5, "nothing was done"
                busy = True
                outcomes.append(Outcome(alert, target.label, "not_tried"))
                continue
            if pending is not None:
                outcomes.append(pending.outcome(recorded=True))
                pending = None
            if claim.decision != "post":
                outcomes.append(Outcome(alert, target.label, claim.decision, since=claim.since))
                continue
            pending = _post(alert, target, claim, state, now=now)
            if pending.result.channel_broken:
                broken.add(target.key)
    if pending is not None or pruned is None:
        recorded = True
        try:
            with state.transaction():
                if pruned is None:
                    pruned = state.prune(now)
                if pending is not None:
                    pending.record(state, now)
        except BusyError:
            if pending is None:
                raise
            recorded = False
        if pending is not None:
            outcomes.append(pending.outcome(recorded=recorded))
    return RunReport(tuple(outcomes), pruned or 0, stopped, busy)


@dataclass(frozen=True, slots=True)
class _Posted:
    """An alert that was posted (or tried), and what its row becomes."""

    alert: Alert
    target: Target
    claim: Claim
    result: SendResult

    @property
    def row_state(self) -> RowState:
        if self.result.ok:
            return "sent"
        return "unknown" if self.result.maybe_delivered else "failed"

    def record(self, state: AlertState, now: datetime) -> None:
        """Write the result, inside a transaction of ``state``."""
        state.finish(self.claim, self.row_state, now=now, error=self.result.detail or None)

    def outcome(self, *, recorded: bool) -> Outcome:
        status: Status = {"sent": "posted", "unknown": "maybe_delivered", "failed": "failed"}[
            self.row_state
        ]
        return Outcome(self.alert, self.target.label, status, self.result.detail, None, recorded)


def _post(
    alert: Alert, target: Target, claim: Claim, state: AlertState, *, now: datetime
) -> _Posted:
    """Post one claimed alert; a post that raises (a second Ctrl-C, a bug in a plugin) is
    recorded as ``unknown`` (whether it went out is not known) and the exception goes on."""
    try:
        result = target.send(alert.title, alert.body)
    except BaseException:
        with contextlib.suppress(Exception), state.transaction():
            state.finish(claim, "unknown", now=now, error="interrupted while posting")
        raise
    return _Posted(alert, target, claim, result)
