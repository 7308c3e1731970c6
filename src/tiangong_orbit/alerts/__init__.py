"""Cron alerts: which visible passes are due, what to say, and a state that posts each once.

Four parts, each in its own module, from pure to outward-facing:

- :mod:`~tiangong_orbit.alerts.message`: the due alerts and their text, pure functions of the
  predicted passes and of ``now`` (no clock, no printing, no network).
- :mod:`~tiangong_orbit.alerts.config`: the ``--config`` TOML file.
- :mod:`~tiangong_orbit.alerts.state`: the SQLite state with one row per (satellite, place,
  pass, destination), claimed before each post, and the liveness of the runs that claim.
- :mod:`~tiangong_orbit.alerts.delivery`: Apprise targets, the masking of their secrets, and
  :func:`deliver`, which claims, posts and records each alert.

The names below are the package's public interface; import them from here.
"""

from tiangong_orbit.alerts.config import CONFIG_KEYS, AlertConfig, parse_config, read_config
from tiangong_orbit.alerts.delivery import (
    AppriseTarget,
    Outcome,
    RunReport,
    SendResult,
    Status,
    Target,
    deliver,
)
from tiangong_orbit.alerts.message import (
    ALERT_MAX_AGE_DAYS,
    DEFAULT_LEAD_MINUTES,
    MAX_LEAD_MINUTES,
    SEARCH_MARGIN,
    SMS_LENGTH,
    Alert,
    alert_text,
    due_alerts,
    local_time_words,
    satellite_names,
    search_window,
)
from tiangong_orbit.alerts.state import (
    DEFAULT_LOCK_TIMEOUT_S,
    PASS_BUCKET_S,
    PRUNE_AFTER_DAYS,
    SAME_PASS_WINDOW_S,
    SENDING_STALE_S,
    STATE_FILE_NAME,
    AlertState,
    Claim,
    RowState,
    RunIdentity,
)

__all__ = [
    "ALERT_MAX_AGE_DAYS",
    "CONFIG_KEYS",
    "DEFAULT_LEAD_MINUTES",
    "DEFAULT_LOCK_TIMEOUT_S",
    "MAX_LEAD_MINUTES",
    "PASS_BUCKET_S",
    "PRUNE_AFTER_DAYS",
    "SAME_PASS_WINDOW_S",
    "SEARCH_MARGIN",
    "SENDING_STALE_S",
    "SMS_LENGTH",
    "STATE_FILE_NAME",
    "Alert",
    "AlertConfig",
    "AlertState",
    "AppriseTarget",
    "Claim",
    "Outcome",
    "RowState",
    "RunIdentity",
    "RunReport",
    "SendResult",
    "Status",
    "Target",
    "alert_text",
    "deliver",
    "due_alerts",
    "local_time_words",
    "parse_config",
    "read_config",
    "satellite_names",
    "search_window",
]
