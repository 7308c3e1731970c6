"""The automatic refresh of the computing commands, and the fetch and cache faults of issue 12.

Every source is a real HTTP server on 127.0.0.1 (tests/httpserver.py, or a raw socket server
here for a trickling one); runs of the command line are real subprocesses. Answer bodies are
real data (data/tle/*); where a set newer than the bundled data is needed, it is a real OMM
record of data/tle/tiangong_omm.json with only its EPOCH moved (said where it is made).
"""

from __future__ import annotations

import contextlib
import io
import json
import os
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from httpserver import Answer, LocalHTTPServer, closed_port
from tiangong_orbit import fetch, tle
from tiangong_orbit.errors import DownloadError, UsageError
from tiangong_orbit.resources import data_path

GP_PATH = "/NORAD/elements/gp.php"
STATIONS_TLE = data_path("tle", "stations_latest.tle").read_bytes()
OMM_RECORDS = json.loads(data_path("tle", "tiangong_omm.json").read_text(encoding="utf-8"))
BUNDLED_NEWEST = "2026-10-06 16:02 UTC"  # the newest bundled Tiangong set (SOURCES.md)
HTML_PAGE = "<!DOCTYPE html>\n<html><body><h1>Service unavailable</h1></body></html>\n"
PROXY_VARIABLES = ("http_proxy", "https_proxy", "all_proxy", "HTTP_PROXY", "HTTPS_PROXY")


def moved_omm(epoch: datetime) -> bytes:
    """A synthetic OMM answer: the real 2026-09-19 Tiangong record of tiangong_omm.json with its
    EPOCH moved to ``epoch`` (the orbit itself is the real one)."""
    record = dict(OMM_RECORDS[-1])
    record["EPOCH"] = epoch.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.%f")
    return json.dumps([record]).encode()


def deep_json(depth: int = 100_000) -> bytes:
    return b"[" * depth + b"]" * depth


@pytest.fixture
def server() -> Iterator[LocalHTTPServer]:
    with LocalHTTPServer() as running:
        yield running


@pytest.fixture
def online(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """An empty cache, no configuration file, no proxy, and the refresh switched on."""
    cache = tmp_path / "cache"
    monkeypatch.setenv("TIANGONG_ORBIT_CACHE_DIR", str(cache))
    monkeypatch.setenv("TIANGONG_ORBIT_CONFIG", str(tmp_path / "no-config.toml"))
    monkeypatch.delenv("TIANGONG_ORBIT_OFFLINE", raising=False)
    for name in PROXY_VARIABLES:
        monkeypatch.delenv(name, raising=False)
    return cache


def run(*args: str, url: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess:
    """The CLI as a real process, with the source at ``url`` and the test's environment."""
    environment = {k: v for k, v in os.environ.items() if k not in PROXY_VARIABLES}
    environment.pop("TIANGONG_ORBIT_DEBUG", None)
    environment |= {"TIANGONG_ORBIT_TLE_URL": url, "COLUMNS": "80", **(env or {})}
    return subprocess.run(
        [sys.executable, "-m", "tiangong_orbit", *args],
        env=environment,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )


@dataclass
class Done:
    """The outcome of one in-process run of the command line's entry point."""

    returncode: int
    stdout: str
    stderr: str


def invoke(
    monkeypatch: pytest.MonkeyPatch, *args: str, url: str, env: dict[str, str] | None = None
) -> Done:
    """The CLI's entry point (its error boundary and exit codes included) run in this process:
    cheaper than a subprocess for the cases that need no process of their own."""
    from tiangong_orbit.cli.app import main

    monkeypatch.setenv("TIANGONG_ORBIT_TLE_URL", url)
    monkeypatch.setenv("COLUMNS", "80")
    for key, value in (env or {}).items():
        monkeypatch.setenv(key, value)
    out, err = io.StringIO(), io.StringIO()
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        try:
            main(list(args))
            code = 0
        except SystemExit as stop:
            code = stop.code if isinstance(stop.code, int) else 0
    return Done(code, out.getvalue(), err.getvalue())


def stderr_lines(done: subprocess.CompletedProcess | Done) -> list[str]:
    assert "Traceback" not in done.stderr
    return [line for line in done.stderr.splitlines() if line.strip()]


# A fixed window 14 days past the newest bundled set: a refresh is due (more than 24 h), and
# the bundled set stays within the staleness limit for files, whatever the date the suite runs.
PASSES = ("passes", "--city", "Lahore", "--start", "2026-10-20T00:00Z", "--days", "1", "--json")
#: From now: for a served set dated hours ago (derived from a real one) to be the nearest.
PASSES_NOW = ("passes", "--city", "Lahore", "--days", "1", "--json")


def utc_now() -> datetime:
    return datetime.now(UTC)


# --------------------------------------------------------------------------------------------
# The command line: success, politeness, failures, switches, the lock


def test_refresh_fetches_then_computes_with_the_new_set(online: Path, server) -> None:
    fresh_epoch = (utc_now() - timedelta(hours=5)).replace(microsecond=0)
    server.add(GP_PATH, Answer(200, moved_omm(fresh_epoch), content_type="application/json"))
    url = server.url(GP_PATH + "?GROUP=stations&FORMAT=json")
    done = run(*PASSES_NOW, url=url)
    assert done.returncode == 0, done.stderr
    lines = stderr_lines(done)
    notes = [line for line in lines if line.startswith("note:")]
    assert len(notes) == 1, lines
    assert "fetched fresh element sets from 127.0.0.1" in notes[0]
    assert f"{fresh_epoch:%Y-%m-%d %H:%M} UTC" in notes[0]
    document = json.loads(done.stdout)
    epoch = datetime.fromisoformat(document["satellite"]["tle_epoch"].replace("Z", "+00:00"))
    assert abs(epoch - fresh_epoch) < timedelta(milliseconds=1)
    assert len(server.requests) == 1
    assert server.requests[0].header("User-Agent").startswith("tiangong-orbit/")
    # The 2-hour rule: the set is still more than a day older than the window's end, but the
    # source was asked minutes ago: no request, no note.
    again = run(*PASSES_NOW, url=url)
    assert again.returncode == 0, again.stderr
    assert not [line for line in stderr_lines(again) if line.startswith("note:")]
    assert len(server.requests) == 1


@pytest.mark.parametrize(
    ("answer", "said"),
    [
        (Answer(500, "Internal Server Error"), "HTTP 500"),
        (Answer(200, HTML_PAGE, content_type="text/html"), "HTML page"),
        (Answer(200, "garbage\x01\x02 not element sets\n"), "line 1"),
        (Answer(200, deep_json(), content_type="application/json"), "nested too deeply"),
    ],
)
def test_a_failed_refresh_is_one_warning_and_never_the_exit_code(
    online: Path, server, answer: Answer, said: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    server.add(GP_PATH, answer)
    done = invoke(monkeypatch, *PASSES, url=server.url(GP_PATH))
    assert done.returncode == 0, done.stderr
    json.loads(done.stdout)  # computed with the bundled set
    refresh_lines = [line for line in stderr_lines(done) if "fresh element sets" in line]
    assert len(refresh_lines) == 1, done.stderr
    (line,) = refresh_lines
    assert line.startswith("warning: could not fetch fresh element sets (")
    assert said in line
    assert f"using the newest set available instead, from {BUNDLED_NEWEST}" in line
    assert all(line.startswith(("warning:", "note:")) for line in stderr_lines(done))
    assert len(server.requests) == 1


def test_refused_connection_then_30_minutes_without_a_second_try(online: Path) -> None:
    url = f"http://127.0.0.1:{closed_port()}/gp.php"
    done = run(*PASSES, url=url)
    assert done.returncode == 0, done.stderr
    (line,) = [x for x in stderr_lines(done) if "fresh element sets" in x]
    assert "the connection was refused" in line and BUNDLED_NEWEST in line
    state = json.loads((online / fetch.STATE_NAME).read_text(encoding="utf-8"))
    assert "last_failure" in state["sources"][url]
    # The failure is remembered: the next run does not try (no second warning, no wait).
    again = run(*PASSES, url=url)
    assert again.returncode == 0
    assert not [x for x in stderr_lines(again) if "fresh element sets" in x]


@pytest.mark.parametrize(
    "switch",
    ["--offline", "TIANGONG_ORBIT_OFFLINE=1", "TIANGONG_ORBIT_OFFLINE=banana", "offline = true"],
)
def test_off_switches_send_no_request(
    online: Path, tmp_path: Path, server, switch: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    server.add(GP_PATH, Answer(200, STATIONS_TLE))
    args: list[str] = list(PASSES)
    env: dict[str, str] = {}
    if switch == "--offline":
        args.append("--offline")
    elif switch.startswith("TIANGONG"):
        env["TIANGONG_ORBIT_OFFLINE"] = switch.split("=", 1)[1]
    else:
        config = tmp_path / "config.toml"
        config.write_text("# tiangong-orbit\noffline = true\n", encoding="utf-8")
        env["TIANGONG_ORBIT_CONFIG"] = str(config)
    done = invoke(monkeypatch, *args, url=server.url(GP_PATH), env=env)
    assert done.returncode == 0, done.stderr
    assert server.requests == []
    assert not [x for x in stderr_lines(done) if "fresh element sets" in x]
    # A word that means neither on nor off is said, once, and taken as offline.
    unclear = [x for x in stderr_lines(done) if "banana" in x]
    assert len(unclear) == ("banana" in switch)
    assert all(x.startswith("warning:") and "taken as offline" in x for x in unclear)


def test_tle_file_and_recent_enough_data_send_no_request(
    online: Path, server, monkeypatch: pytest.MonkeyPatch
) -> None:
    server.add(GP_PATH, Answer(200, STATIONS_TLE))
    url = server.url(GP_PATH)
    tle_file = str(data_path("tle", "stations_latest.tle"))
    with_file = invoke(monkeypatch, *PASSES, "--tle", tle_file, url=url)
    assert with_file.returncode == 0, with_file.stderr
    # A window ending within 24 h of the newest bundled set (2026-10-06 16:02 UTC).
    window = ("--start", "2026-10-06T00:00Z", "--days", "1", "--json")
    past = invoke(monkeypatch, "passes", *window, url=url)
    assert past.returncode == 0, past.stderr
    assert server.requests == []


def test_a_second_process_does_not_wait_for_the_lock(online: Path, server) -> None:
    from filelock import FileLock

    server.add(GP_PATH, Answer(200, STATIONS_TLE))
    online.mkdir(parents=True)
    with FileLock(online / fetch.LOCK_NAME):
        done = run(*PASSES, url=server.url(GP_PATH))
    assert done.returncode == 0, done.stderr
    assert server.requests == []
    assert not [x for x in stderr_lines(done) if "fresh element sets" in x]


def test_alert_quiet_prints_no_note(
    online: Path, tmp_path: Path, server, monkeypatch: pytest.MonkeyPatch
) -> None:
    server.add(GP_PATH, Answer(200, STATIONS_TLE))  # nothing newer than the bundled data
    done = invoke(
        monkeypatch,
        "alert",
        "--city",
        "Lahore",
        "--quiet",
        "--allow-stale",
        "--state",
        str(tmp_path / "alerts.sqlite3"),
        "--dry-run",
        url=server.url(GP_PATH),
    )
    assert done.returncode == 0, done.stderr
    assert len(server.requests) == 1
    assert not [x for x in stderr_lines(done) if x.startswith("note:")]


#: What a run that fetches nothing must not load: the refresh's own machinery (the fetch
#: module, the lock, the configuration file's TOML parser), and the network stack, which
#: skyfield.api would bring in with its file loader (urllib, ssl, http: 70 modules, 40 ms).
NOT_LOADED_WITHOUT_FETCHING = (
    "tiangong_orbit.fetch",
    "filelock",
    "tomllib",
    "skyfield.api",
    "skyfield.iokit",
    "ssl",
    "urllib.request",
    "http.client",
    "email",
)


def test_no_network_module_is_imported_when_nothing_needs_fetching(online: Path) -> None:
    code = (
        "import sys\n"
        "from tiangong_orbit.cli.app import main\n"
        "try:\n"
        "    main(['passes', '--start', '2026-10-06T00:00Z', '--days', '1', '--json'])\n"
        "except SystemExit as done:\n"
        "    assert done.code == 0, done.code\n"
        f"loaded = [m for m in {NOT_LOADED_WITHOUT_FETCHING!r} if m in sys.modules]\n"
        "print(loaded, file=sys.stderr)\n"
    )
    done = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, timeout=60, check=False
    )
    assert done.returncode == 0, done.stderr
    assert done.stderr.strip().splitlines()[-1] == "[]"


def test_a_refresh_that_finds_the_source_asked_lately_loads_no_lock_and_no_network(
    online: Path, server
) -> None:
    # A window reaching more than a day past the newest set always calls for a refresh (a
    # plain 'passes' asks for 10 days); within 2 hours of the last check it asks nothing, and
    # must cost nothing either: neither the lock nor the network stack (45 ms to import).
    server.add(GP_PATH, Answer(200, STATIONS_TLE))
    url = server.url(GP_PATH)
    fetch.update(now=utc_now(), url=url)
    code = (
        "import sys\n"
        "from tiangong_orbit.cli.app import main\n"
        "try:\n"
        f"    main({list(PASSES)!r})\n"
        "except SystemExit as done:\n"
        "    assert done.code == 0, done.code\n"
        "loaded = [m for m in ('filelock', 'ssl', 'urllib.request', 'http.client', 'email')"
        " if m in sys.modules]\n"
        "print(loaded, file=sys.stderr)\n"
    )
    done = subprocess.run(
        [sys.executable, "-c", code],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
        env={**os.environ, "TIANGONG_ORBIT_TLE_URL": url},
    )
    assert done.returncode == 0, done.stderr
    assert done.stderr.strip().splitlines()[-1] == "[]"
    assert len(server.requests) == 1  # the update's, none of the run's


def test_tle_update_uses_the_environment_source(
    online: Path, server, monkeypatch: pytest.MonkeyPatch
) -> None:
    server.add(GP_PATH, Answer(200, STATIONS_TLE))
    done = invoke(monkeypatch, "tle", "update", url=server.url(GP_PATH))
    assert done.returncode == 0, done.stderr
    assert len(server.requests) == 1


# --------------------------------------------------------------------------------------------
# The core: the 2-hour and 30-minute rules with the clock as an argument


T0 = datetime(2026, 11, 22, 6, 0, tzinfo=UTC)


def test_two_hour_rule_is_shared_with_tle_update(online: Path, server) -> None:
    server.add(GP_PATH, Answer(200, STATIONS_TLE))
    url = server.url(GP_PATH)
    fetch.update(now=T0, url=url)
    assert fetch.refresh(now=T0 + timedelta(minutes=119), url=url).outcome == "skipped"
    assert len(server.requests) == 1
    assert fetch.refresh(now=T0 + timedelta(minutes=121), url=url).outcome == "unchanged"
    assert len(server.requests) == 2


def test_thirty_minute_rule_after_a_failure(online: Path, server) -> None:
    server.add(GP_PATH, [Answer(503, "Service Unavailable"), Answer(200, STATIONS_TLE)])
    url = server.url(GP_PATH)
    failed = fetch.refresh(now=T0, url=url)
    assert failed.outcome == "failed" and "HTTP 503" in (failed.message or "")
    assert fetch.refresh(now=T0 + timedelta(minutes=29), url=url).outcome == "skipped"
    assert len(server.requests) == 1
    assert fetch.refresh(now=T0 + timedelta(minutes=31), url=url).outcome == "unchanged"
    assert len(server.requests) == 2


class TricklingServer:
    """Answers 200 with headers, then one byte of a body every ``interval_s``, forever."""

    def __init__(self, interval_s: float = 0.1) -> None:
        self.interval_s = interval_s
        self.listener = socket.create_server(("127.0.0.1", 0))
        self.stopping = threading.Event()
        self.thread = threading.Thread(target=self._serve, daemon=True)

    def __enter__(self) -> str:
        self.thread.start()
        return f"http://127.0.0.1:{self.listener.getsockname()[1]}/gp.php"

    def __exit__(self, *exc: object) -> None:
        self.stopping.set()
        self.listener.close()
        self.thread.join(5)

    def _serve(self) -> None:
        self.listener.settimeout(0.1)
        while not self.stopping.is_set():
            try:
                connection, _ = self.listener.accept()
            except OSError:
                continue
            with connection:
                try:
                    connection.recv(65536)
                    connection.sendall(b"HTTP/1.0 200 OK\r\nContent-Type: text/plain\r\n\r\n")
                    while not self.stopping.wait(self.interval_s):
                        connection.sendall(b"1")
                except OSError:
                    continue


@pytest.mark.parametrize("which", ["refresh", "tle update"])
def test_a_trickling_server_meets_a_whole_download_deadline(online: Path, which: str) -> None:
    with TricklingServer() as url:
        started = time.monotonic()
        if which == "refresh":
            result = fetch.refresh(now=T0, url=url, deadline_s=1.0)
            assert result.outcome == "failed"
            message = result.message or ""
        else:
            with pytest.raises(DownloadError) as caught:
                fetch.update(now=T0, url=url, timeout_s=1.0)
            message = str(caught.value)
        elapsed = time.monotonic() - started
    assert "within 1 s" in message
    assert elapsed < 5.0  # a per-read timeout would never end: a byte arrives every 0.1 s


# --------------------------------------------------------------------------------------------
# Issue 12: data that poisons later runs, garbage state, bounded downloads, locks, .tmp files


def test_a_set_from_the_future_is_refused_and_a_poisoned_cache_heals(online: Path, server) -> None:
    now = utc_now()
    future = moved_omm(datetime(2035, 1, 1, tzinfo=UTC))
    server.add(GP_PATH, Answer(200, future, content_type="application/json"))
    with pytest.raises(DownloadError, match="after the time of the download"):
        fetch.update(now=now, url=server.url(GP_PATH))
    # A cache written before this check existed: the 2035 set sits in elements.json.
    (online / "tle").mkdir(parents=True, exist_ok=True)
    (online / "tle" / fetch.CACHE_JSON_NAME).write_bytes(future)
    good_epoch = (now - timedelta(hours=3)).replace(microsecond=0)
    server.add("/good", Answer(200, moved_omm(good_epoch), content_type="application/json"))
    result = fetch.update(now=now, url=server.url("/good"))
    assert result.sets_added == 1
    assert any("dated in the future" in warning for warning in result.warnings)
    epochs = [s.epoch for s in tle.load_catalog().sets if s.norad_id == 48274]
    assert max(epochs) - good_epoch < timedelta(milliseconds=1)


def test_garbage_in_the_state_file_is_treated_as_missing(
    online: Path, server, monkeypatch: pytest.MonkeyPatch
) -> None:
    server.add(GP_PATH, Answer(200, STATIONS_TLE))
    url = server.url(GP_PATH)
    online.mkdir(parents=True)
    for garbage in ("0001-01-01T00:00:00+05:00", "yesterday", 12345, "9999-12-31T23:59:59Z"):
        state = {"schema": "tiangong-orbit/update-state/1", "sources": {url: {}}}
        state["sources"][url]["last_success"] = garbage
        (online / fetch.STATE_NAME).write_text(json.dumps(state), encoding="utf-8")
        result = fetch.update(now=T0, url=url)
        assert result.requested, garbage
        assert any("last_success" in warning for warning in result.warnings), garbage
    (online / fetch.STATE_NAME).write_bytes(deep_json())
    result = fetch.update(now=T0 + timedelta(hours=3), url=url)
    assert result.requested
    assert any("nested too deeply" in warning for warning in result.warnings)
    done = invoke(monkeypatch, "tle", "update", url=url)  # valid again: polite, exit 0
    assert done.returncode == 0, done.stderr


def test_too_many_sets_in_one_answer_is_exit_4(
    online: Path, server, monkeypatch: pytest.MonkeyPatch
) -> None:
    block = b"".join(STATIONS_TLE.splitlines(keepends=True)[:3])  # one real 3LE set
    server.add(GP_PATH, Answer(200, block * (fetch.MAX_SETS_PER_ANSWER + 1)))
    done = invoke(monkeypatch, "tle", "update", url=server.url(GP_PATH))
    assert done.returncode == 4, done.stderr
    (line,) = stderr_lines(done)
    assert line.startswith("error: ") and "is this the right URL?" in line
    assert f"{fetch.MAX_SETS_PER_ANSWER + 1} element sets" in line


def test_deep_json_left_in_the_cache_folder_is_skipped_with_one_warning(online: Path) -> None:
    (online / "tle").mkdir(parents=True)
    (online / "tle" / "elements.json").write_bytes(deep_json())
    done = run("passes", "--start", "2026-10-06T00:00Z", "--days", "1", "--json", url="x")
    assert done.returncode == 0, done.stderr
    warnings = [x for x in stderr_lines(done) if "elements.json" in x]
    assert len(warnings) == 1 and warnings[0].startswith("warning: ignoring the broken cache")


def test_a_lock_path_that_is_a_directory(
    online: Path, server, monkeypatch: pytest.MonkeyPatch
) -> None:
    server.add(GP_PATH, Answer(200, STATIONS_TLE))
    (online / fetch.LOCK_NAME).mkdir(parents=True)
    done = invoke(monkeypatch, "tle", "update", url=server.url(GP_PATH))
    assert done.returncode == 2, done.stderr
    (line,) = stderr_lines(done)
    assert "is a directory" in line and "remove it" in line
    # The refresh: a warning, and the command computes with what is there.
    computed = invoke(monkeypatch, *PASSES, url=server.url(GP_PATH))
    assert computed.returncode == 0, computed.stderr
    (warning,) = [x for x in stderr_lines(computed) if "fresh element sets" in x]
    assert "is a directory" in warning and BUNDLED_NEWEST in warning
    assert server.requests == []


@pytest.mark.skipif(os.geteuid() == 0, reason="root writes into read-only folders")
def test_a_read_only_cache_folder(online: Path, server) -> None:
    server.add(GP_PATH, Answer(200, STATIONS_TLE))
    (online / "tle").mkdir(parents=True)
    online.chmod(0o555)
    try:
        done = run("tle", "update", url=server.url(GP_PATH))
    finally:
        online.chmod(0o755)
    assert done.returncode == 2, done.stderr
    assert "read-only" in done.stderr


def test_stale_temporary_files_are_removed_on_the_next_write(tmp_path: Path) -> None:
    from tiangong_orbit.fileio import STALE_TMP_S, write_atomic

    target = tmp_path / "state.json"
    stale = tmp_path / ".state.json.abc123.tmp"  # what a SIGKILL mid-write leaves
    live = tmp_path / ".state.json.def456.tmp"  # another process writing right now
    other = tmp_path / ".other.json.xyz.tmp"
    for path in (stale, live, other):
        path.write_text("partial", encoding="utf-8")
    old = time.time() - STALE_TMP_S - 60
    os.utime(stale, (old, old))
    os.utime(other, (old, old))
    write_atomic(target, "{}\n")
    assert target.read_text(encoding="utf-8") == "{}\n"
    assert not stale.exists()
    assert live.exists() and other.exists()


def test_secrets_in_the_source_url_are_never_shown(online: Path) -> None:
    url = f"http://user:S3cretPW@127.0.0.1:{closed_port()}/gp.php?api_key=T0kenValue&GROUP=x"
    assert "S3cretPW" not in fetch.shown_url(url)
    assert "T0kenValue" not in fetch.shown_url(url)
    done = run(*PASSES, url=url)
    assert done.returncode == 0
    assert "S3cretPW" not in done.stderr and "T0kenValue" not in done.stderr
    assert "GROUP=x" in done.stderr
    with pytest.raises(UsageError):
        fetch.update(now=T0, url="ftp://user:S3cretPW@example.org/x")


def test_offline_key_of_the_alert_config_file(
    online: Path, tmp_path: Path, server, monkeypatch: pytest.MonkeyPatch
) -> None:
    server.add(GP_PATH, Answer(200, STATIONS_TLE))
    config = tmp_path / "alert.toml"
    config.write_text('cities = ["Lahore"]\noffline = true\nallow_stale = true\n', "utf-8")
    args = ("alert", "--config", str(config), "--quiet", "--dry-run")
    done = invoke(monkeypatch, *args, url=server.url(GP_PATH))
    assert done.returncode == 0, done.stderr
    assert server.requests == []
    config.write_text('cities = ["Lahore"]\noffline = "yes"\n', "utf-8")
    bad = invoke(monkeypatch, *args, url=server.url(GP_PATH))
    assert bad.returncode == 2
    assert "'offline' should be true or false" in bad.stderr
