"""One exception hierarchy for tiangong-orbit; each class carries its exit code (DESIGN.md).

The CLI prints ``error: <message>`` on one line and exits with ``exit_code``; messages therefore
quote the bad input, say what was expected and what to do next, and fit on one line.
"""

from __future__ import annotations


class TiangongError(Exception):
    """Root of every error the tool reports to a user (exit code 1 when not more specific)."""

    exit_code: int = 1


class UsageError(TiangongError, ValueError):
    """Bad usage or input: unknown option, city, date, coordinate, file not found (exit 2)."""

    exit_code = 2


class UnknownPlaceError(UsageError):
    """A place name that is not in the gazetteer (exit 2)."""


class DataError(TiangongError, ValueError):
    """A data problem: invalid TLE/OMM, no set for the satellite, data too stale (exit 3)."""

    exit_code = 3


class TLEFormatError(DataError):
    """A TLE or OMM text that does not follow the format (exit 3)."""


class NoElementSetError(DataError):
    """No element set for the satellite asked for (exit 3)."""


class StaleDataError(DataError):
    """The element set is too old for the time asked, without ``--allow-stale`` (exit 3)."""


class PropagationError(DataError):
    """SGP4 could not propagate the element set to the time asked (decayed, diverged) (exit 3)."""


class ServiceError(TiangongError):
    """An outside service failed: download or notification (exit 4)."""

    exit_code = 4


class DownloadError(ServiceError):
    """A TLE download failed or returned something unusable (exit 4)."""


class NotifyError(ServiceError):
    """Posting a notification failed (exit 4)."""


class BusyError(TiangongError):
    """Another instance holds the lock (cron overlap); nothing was done (exit 5)."""

    exit_code = 5


class RunInterrupted(TiangongError):
    """Stopped by SIGINT or SIGTERM after finishing what was under way; exit 128 + the
    signal's number (130 for SIGINT, 143 for SIGTERM), as shells report a signal."""

    exit_code = 130

    def __init__(self, message: str, signal_number: int = 2):
        super().__init__(message)
        self.exit_code = 128 + signal_number
