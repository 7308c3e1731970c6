"""``tle update`` against a real HTTP server on 127.0.0.1: every answer a source can give, and
what the cache holds afterwards (files re-read with the real parser), politeness, locking.

No test reaches the internet: the server is :mod:`tests.httpserver`, the DNS failure is a patched
resolver. Every answer body is real data (data/tle/*) or a source's real error wording.
"""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

import tiangong_orbit
from httpserver import Answer, LocalHTTPServer, closed_port
from tiangong_orbit import fetch, paths, tle
from tiangong_orbit.catalog_index import INDEX_NAME
from tiangong_orbit.errors import BusyError, DownloadError, UsageError
from tiangong_orbit.resources import data_path

NOW = datetime(2026, 11, 22, 6, 0, tzinfo=UTC)
GP_PATH = "/NORAD/elements/gp.php"
GP_QUERY = "?GROUP=stations&FORMAT=json"

STATIONS_TLE = data_path("tle", "stations_latest.tle").read_bytes()  # 6 objects, TLE text
TIANGONG_OMM = data_path("tle", "tiangong_omm.json").read_bytes()  # 4 Tiangong OMM records
HISTORY_LINES = data_path("tle", "tiangong_history.tle").read_text().splitlines()

# The newest Tiangong epochs of the real data above (2026-09-19 and 2026-10-06, SOURCES.md).
OMM_NEWEST = max(s.epoch for s in tle.parse_text(TIANGONG_OMM.decode()) if s.norad_id == 48274)
STATIONS_TIANGONG = max(
    s.epoch for s in tle.parse_text(STATIONS_TLE.decode()) if s.norad_id == 48274
)
STATION_IDS = {48274, 25544, 53239, 54216, 69049, 69180}

# CelesTrak's own wording for "nothing new since your last download".
NOT_UPDATED_TEXT = (
    "GP data has not updated since your last successful download of GROUP=stations at "
    "2026-11-22 04:00:00 UTC.\nData is updated once every 2 hours.\n"
)
HTML_PAGE = (
    "<!DOCTYPE html>\n<html><head><title>CelesTrak</title></head>\n"
    "<body><h1>Service temporarily unavailable</h1></body></html>\n"
)
PROXY_VARIABLES = (
    "http_proxy",
    "https_proxy",
    "all_proxy",
    "HTTP_PROXY",
    "HTTPS_PROXY",
    "ALL_PROXY",
)
CACHE_NAMES = {
    "tle",
    INDEX_NAME,
    fetch.STATE_NAME,
    fetch.LOCK_NAME,
    fetch.CACHE_JSON_NAME,
    fetch.CACHE_TLE_NAME,
}


def history_block(index: int) -> bytes:
    """The 3LE text of one real set of data/tle/tiangong_history.tle (0 = oldest)."""
    return ("\n".join(HISTORY_LINES[3 * index : 3 * index + 3]) + "\n").encode()


# --------------------------------------------------------------------------------------------
# Fixtures


@pytest.fixture
def cache_dir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """An empty cache in tmp_path (TIANGONG_ORBIT_CACHE_DIR), no proxy, no bundled sets."""
    folder = tmp_path / "cache"
    monkeypatch.setenv("TIANGONG_ORBIT_CACHE_DIR", str(folder))
    for name in PROXY_VARIABLES:
        monkeypatch.delenv(name, raising=False)
    bundle(monkeypatch)
    return folder


def bundle(monkeypatch: pytest.MonkeyPatch, *names: str) -> None:
    """Make the bundled data these files of data/tle only (none: an empty bundle), so that a
    real answer can be newer than what the tool already has."""
    files = [data_path("tle", name) for name in names]
    monkeypatch.setattr(tle, "bundled_files", lambda: files)


@pytest.fixture
def server() -> Iterator[LocalHTTPServer]:
    with LocalHTTPServer() as running:
        yield running


def serve(server: LocalHTTPServer, *answers: Answer) -> str:
    """Answer the GP path with ``answers`` (one per request, the last repeated); its URL."""
    server.add(GP_PATH, list(answers))
    return server.url(GP_PATH + GP_QUERY)


def json_answer(body: bytes | str, status: int = 200) -> Answer:
    return Answer(status, body, content_type="application/json")


def update(url: str, *, now: datetime = NOW, force: bool = False) -> fetch.UpdateResult:
    """fetch.update with test-sized timeouts."""
    return fetch.update(now=now, url=url, force=force, timeout_s=2.0, lock_timeout_s=0.2)


def snapshot(folder: Path) -> dict[str, bytes]:
    """Every file under ``folder`` (but the lock and the catalog index, a derived shortcut)
    and its bytes."""
    if not folder.exists():
        return {}
    return {
        str(path.relative_to(folder)): path.read_bytes()
        for path in sorted(folder.rglob("*"))
        if path.is_file() and path.name not in (fetch.LOCK_NAME, INDEX_NAME)
    }


def assert_clean(folder: Path) -> None:
    """No temporary or unexpected file anywhere in the cache."""
    if not folder.exists():
        return
    for path in folder.rglob("*"):
        assert not path.name.endswith(".tmp") and not path.name.startswith("."), path
        assert path.name in CACHE_NAMES or ".broken-" in path.name, path


def cached_sets() -> list[tle.ElementSet]:
    """The sets the tool reads from the cache, through the real catalog loader."""
    catalog = tle.load_catalog()
    assert catalog.warnings == ()
    return [s for s in catalog.sets if s.source == "cache"]


def assert_refused(url: str, folder: Path, match: str) -> DownloadError:
    """update(url) fails with exit 4, and the cache is exactly as before."""
    before = snapshot(folder)
    with pytest.raises(DownloadError, match=match) as caught:
        update(url)
    assert caught.value.exit_code == 4
    assert "the cache is unchanged" in str(caught.value)
    assert "\n" not in str(caught.value)
    assert snapshot(folder) == before
    assert_clean(folder)
    return caught.value


# --------------------------------------------------------------------------------------------
# Good answers


def test_good_omm_answer_is_kept_verbatim(cache_dir: Path, server: LocalHTTPServer) -> None:
    url = serve(server, json_answer(TIANGONG_OMM))
    result = update(url)
    assert (result.http_status, result.sets_received, result.sets_added) == (200, 4, 4)
    assert result.answer_format == "omm"
    assert result.tiangong_epoch_before is None
    assert result.tiangong_epoch_after == OMM_NEWEST == result.answer_tiangong_epoch
    assert result.cache_file == fetch.cache_json_path() == cache_dir / "tle" / "elements.json"
    # The records as the source sent them, re-read by the parser every command uses.
    assert json.loads(result.cache_file.read_text()) == json.loads(TIANGONG_OMM)
    assert len(tle.parse_file(result.cache_file, source="cache")) == 4
    sets = cached_sets()
    assert {s.norad_id for s in sets} == {48274}
    assert max(s.epoch for s in sets) == OMM_NEWEST
    assert_clean(cache_dir)
    # One GET that names the tool and asks for JSON.
    (request,) = server.requests
    assert request.method == "GET"
    assert request.path == GP_PATH + GP_QUERY
    agent = request.header("User-Agent")
    assert agent is not None and agent.startswith(f"tiangong-orbit/{tiangong_orbit.__version__} ")
    assert "application/json" in (request.header("Accept") or "")
    # The check is remembered outside the tle/ folder.
    state = json.loads(fetch.state_path().read_text())
    assert fetch.state_path().parent == paths.cache_dir()
    assert state["sources"][url]["last_success"] == "2026-11-22T06:00:00.000000Z"


def test_good_tle_answer_adds_every_station_object(
    cache_dir: Path, server: LocalHTTPServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    bundle(monkeypatch, "tiangong_omm.json")
    url = serve(server, Answer(200, STATIONS_TLE))
    result = update(url)
    assert (result.sets_received, result.sets_added, result.answer_format) == (6, 6, "tle")
    assert result.tiangong_epoch_before == OMM_NEWEST
    assert result.tiangong_epoch_after == STATIONS_TIANGONG
    assert result.cache_file == fetch.cache_tle_path()
    sent = tle.parse_text(STATIONS_TLE.decode())
    kept = tle.parse_file(result.cache_file, source="cache")
    assert [(s.name, s.line1, s.line2) for s in kept] == [(s.name, s.line1, s.line2) for s in sent]
    assert {s.norad_id for s in cached_sets()} == STATION_IDS
    assert_clean(cache_dir)


def test_history_grows_and_an_unchanged_answer_adds_nothing(
    cache_dir: Path, server: LocalHTTPServer
) -> None:
    url = serve(server, Answer(200, history_block(600)), Answer(200, history_block(601)))
    first = update(url)
    second = update(url, now=NOW + timedelta(hours=3))
    third = update(url, now=NOW + timedelta(hours=6))  # the source still has set 601
    assert (first.sets_added, second.sets_added, third.sets_added) == (1, 1, 0)
    assert third.tiangong_epoch_before == third.tiangong_epoch_after == second.answer_tiangong_epoch
    assert not third.answer_older
    history = tle.parse_file(data_path("tle", "tiangong_history.tle"))
    assert [s.epoch for s in cached_sets()] == [history[600].epoch, history[601].epoch]
    assert len(server.requests) == 3
    assert_clean(cache_dir)


def test_omm_and_tle_answers_share_one_history(cache_dir: Path, server: LocalHTTPServer) -> None:
    server.add("/omm", json_answer(TIANGONG_OMM))
    server.add("/tle", Answer(200, STATIONS_TLE))
    update(server.url("/omm"))
    update(server.url("/tle"))
    sets = cached_sets()
    assert len(sets) == 4 + 6
    assert max(s.epoch for s in sets if s.norad_id == 48274) == STATIONS_TIANGONG
    assert_clean(cache_dir)


def test_other_objects_keep_only_their_newest_sets(
    cache_dir: Path, server: LocalHTTPServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Real Tiangong sets stand in for "another object": only the newest two stay.
    monkeypatch.setattr(fetch, "FULL_HISTORY_IDS", frozenset())
    monkeypatch.setattr(fetch, "OTHER_SETS_KEPT", 2)
    url = serve(server, *(Answer(200, history_block(600 + k)) for k in range(4)))
    for hours in range(0, 12, 3):
        assert update(url, now=NOW + timedelta(hours=hours)).sets_added == 1
    history = tle.parse_file(data_path("tle", "tiangong_history.tle"))
    assert [s.epoch for s in cached_sets()] == [history[602].epoch, history[603].epoch]


def test_two_line_answer_keeps_the_known_name(
    cache_dir: Path, server: LocalHTTPServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    bundle(monkeypatch, "tiangong_omm.json")
    two_lines = b"\n".join(STATIONS_TLE.splitlines()[1:3]) + b"\n"  # no name line
    result = update(serve(server, Answer(200, two_lines)))
    assert result.sets_added == 1
    (kept,) = tle.parse_file(fetch.cache_tle_path(), source="cache")
    assert kept.name == "CSS (TIANHE)"
    assert (kept.line1, kept.line2) == tuple(STATIONS_TLE.decode().splitlines()[1:3])


# --------------------------------------------------------------------------------------------
# Answers that must not touch the cache (exit 4)


def test_html_page_with_status_200(cache_dir: Path, server: LocalHTTPServer) -> None:
    url = serve(server, Answer(200, HTML_PAGE, content_type="text/html"))
    assert_refused(url, cache_dir, "HTML page")


def test_no_gp_data_found(cache_dir: Path, server: LocalHTTPServer) -> None:
    url = serve(server, Answer(200, "No GP data found\n"))
    assert_refused(url, cache_dir, "No GP data found")


def test_json_cut_midway(cache_dir: Path, server: LocalHTTPServer) -> None:
    url = serve(server, json_answer(TIANGONG_OMM[: len(TIANGONG_OMM) // 2]))
    assert_refused(url, cache_dir, "not valid JSON")


def test_body_shorter_than_its_content_length(cache_dir: Path, server: LocalHTTPServer) -> None:
    # Every line that arrived is valid: only the announced length shows the answer is partial.
    url = serve(server, Answer(200, STATIONS_TLE, content_length=len(STATIONS_TLE) + 500))
    assert_refused(url, cache_dir, "cut off")


@pytest.mark.parametrize(
    ("status", "body"),
    [(404, "Not Found"), (500, "Internal Server Error"), (403, "Forbidden: too many requests")],
)
def test_error_status(cache_dir: Path, server: LocalHTTPServer, status: int, body: str) -> None:
    url = serve(server, Answer(status, body))
    error = assert_refused(url, cache_dir, f"HTTP {status}")
    assert body in str(error)
    assert not fetch.state_path().exists()  # a failure is not a check: the next run asks again


def test_answer_without_tiangong(cache_dir: Path, server: LocalHTTPServer) -> None:
    iss_only = b"\n".join(STATIONS_TLE.splitlines()[3:6]) + b"\n"  # ISS (ZARYA), real lines
    url = serve(server, Answer(200, iss_only))
    assert_refused(url, cache_dir, r"none for Tiangong")


def test_answer_that_is_not_text(cache_dir: Path, server: LocalHTTPServer) -> None:
    url = serve(server, Answer(200, b"\x1f\x8b\x08\x00" + STATIONS_TLE))  # gzip magic
    assert_refused(url, cache_dir, "not text")


def test_answer_far_too_large(
    cache_dir: Path, server: LocalHTTPServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(fetch, "MAX_BODY_BYTES", 500)
    url = serve(server, Answer(200, STATIONS_TLE))
    assert_refused(url, cache_dir, "larger than")


def test_a_refused_answer_leaves_earlier_data_alone(
    cache_dir: Path, server: LocalHTTPServer
) -> None:
    url = serve(server, json_answer(TIANGONG_OMM), Answer(200, HTML_PAGE))
    update(url)
    before = snapshot(cache_dir)
    with pytest.raises(DownloadError):
        update(url, force=True)
    assert snapshot(cache_dir) == before
    assert len(cached_sets()) == 4


# --------------------------------------------------------------------------------------------
# Network failures (exit 4)


def test_connection_refused(cache_dir: Path) -> None:
    assert_refused(f"http://127.0.0.1:{closed_port()}/gp.php", cache_dir, "refused")


def test_timeout(cache_dir: Path, server: LocalHTTPServer) -> None:
    url = serve(server, Answer(200, STATIONS_TLE, delay_s=5.0))
    started = time.monotonic()
    with pytest.raises(DownloadError, match="timeout") as caught:
        fetch.update(now=NOW, url=url, timeout_s=0.3)
    assert time.monotonic() - started < 3.0
    # The whole download's deadline or the connection's own timeout, whichever speaks first.
    assert "answer within 0.3 s" in str(caught.value)
    assert snapshot(cache_dir) == {}
    assert len(server.requests) == 1  # no retry


def test_dns_failure(cache_dir: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    def no_dns(*args: object, **kwargs: object) -> list[object]:
        raise socket.gaierror(socket.EAI_NONAME, "Name or service not known")

    monkeypatch.setattr(socket, "getaddrinfo", no_dns)
    assert_refused("https://celestrak.invalid/gp.php", cache_dir, "cannot resolve")


def test_only_http_urls(cache_dir: Path) -> None:
    for url in ("file:///etc/passwd", "celestrak.org/gp.php", "ftp://example.org/x.tle"):
        with pytest.raises(UsageError, match="not an http"):
            update(url)
    for url in ("http://127.0.0.1:port/gp.php", "http://[::1/gp.php"):
        with pytest.raises(UsageError, match="not a valid URL"):
            update(url)
    assert snapshot(cache_dir) == {}


def test_now_must_be_aware(cache_dir: Path) -> None:
    with pytest.raises(ValueError, match="aware"):
        fetch.update(now=datetime(2026, 11, 22), url="http://127.0.0.1:1/")


# --------------------------------------------------------------------------------------------
# Nothing new: exit 0, nothing written


def test_403_not_updated_means_nothing_changed(cache_dir: Path, server: LocalHTTPServer) -> None:
    url = serve(server, Answer(403, NOT_UPDATED_TEXT))
    result = update(url)
    assert result.not_updated and result.http_status == 403
    assert result.sets_added == 0 and result.cache_file is None
    assert result.source_message is not None and "has not updated" in result.source_message
    assert not fetch.cache_json_path().exists() and not fetch.cache_tle_path().exists()
    # CelesTrak counts it as a check: the next run inside 2 hours does not ask again.
    assert update(url, now=NOW + timedelta(minutes=30)).skipped_polite
    assert len(server.requests) == 1
    assert_clean(cache_dir)


def test_older_epoch_than_the_bundled_one(
    cache_dir: Path, server: LocalHTTPServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    bundle(monkeypatch, "stations_latest.tle")
    url = serve(server, json_answer(TIANGONG_OMM))
    result = update(url)
    assert result.answer_older and result.sets_added == 0 and result.sets_received == 4
    assert result.answer_tiangong_epoch == OMM_NEWEST
    assert result.tiangong_epoch_before == result.tiangong_epoch_after == STATIONS_TIANGONG
    assert cached_sets() == []
    assert set(snapshot(cache_dir)) == {fetch.STATE_NAME}


def test_older_epoch_than_the_cached_one(cache_dir: Path, server: LocalHTTPServer) -> None:
    url = serve(server, Answer(200, STATIONS_TLE), json_answer(TIANGONG_OMM))
    update(url)
    before = snapshot(cache_dir / "tle")
    result = update(url, force=True)
    assert result.answer_older and result.sets_added == 0
    assert result.tiangong_epoch_after == STATIONS_TIANGONG
    assert snapshot(cache_dir / "tle") == before
    newest = tle.nearest_set(tle.load_catalog().sets, 48274, NOW)
    assert newest.epoch == STATIONS_TIANGONG


# --------------------------------------------------------------------------------------------
# Politeness


def test_a_second_update_inside_two_hours_sends_no_request(
    cache_dir: Path, server: LocalHTTPServer
) -> None:
    url = serve(server, json_answer(TIANGONG_OMM))
    update(url)
    skipped = update(url, now=NOW + timedelta(hours=1, minutes=59))
    assert skipped.skipped_polite and not skipped.requested
    assert skipped.http_status is None and skipped.sets_added == 0
    assert skipped.last_check == NOW
    assert skipped.next_check_after == NOW + fetch.MIN_INTERVAL
    assert skipped.tiangong_epoch_before == skipped.tiangong_epoch_after == OMM_NEWEST
    assert len(server.requests) == 1
    # Two hours after the check, asking is polite again.
    assert update(url, now=NOW + timedelta(hours=2)).requested
    assert len(server.requests) == 2


def test_force_sends_one_request(cache_dir: Path, server: LocalHTTPServer) -> None:
    url = serve(server, json_answer(TIANGONG_OMM))
    update(url)
    forced = update(url, now=NOW + timedelta(minutes=5), force=True)
    assert forced.requested and forced.http_status == 200 and forced.sets_added == 0
    assert len(server.requests) == 2


def test_spacing_is_per_source(cache_dir: Path, server: LocalHTTPServer) -> None:
    server.add("/a", json_answer(TIANGONG_OMM))
    server.add("/b", json_answer(TIANGONG_OMM))
    update(server.url("/a"))
    assert update(server.url("/b"), now=NOW + timedelta(minutes=1)).requested
    assert update(server.url("/a"), now=NOW + timedelta(minutes=2)).skipped_polite
    assert [r.path for r in server.requests] == ["/a", "/b"]


def test_a_check_recorded_in_the_future_does_not_block(
    cache_dir: Path, server: LocalHTTPServer
) -> None:
    url = serve(server, json_answer(TIANGONG_OMM))
    update(url, now=NOW + timedelta(days=30))  # a clock that was wrong, then corrected
    result = update(url)
    assert result.requested
    assert any("clock" in w for w in result.warnings)


# --------------------------------------------------------------------------------------------
# Writing safely


def test_a_failed_write_leaves_no_temporary_file(
    cache_dir: Path, server: LocalHTTPServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    url = serve(server, json_answer(TIANGONG_OMM), Answer(200, STATIONS_TLE))
    update(url)
    before = snapshot(cache_dir)

    def disk_full(fd: int) -> None:
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(os, "fsync", disk_full)
    with pytest.raises(UsageError, match="No space left"):
        update(url, force=True)
    assert snapshot(cache_dir) == before
    assert_clean(cache_dir)
    assert len(cached_sets()) == 4


def test_a_broken_cache_file_is_kept_aside(cache_dir: Path, server: LocalHTTPServer) -> None:
    broken = fetch.cache_json_path()
    broken.parent.mkdir(parents=True)
    broken.write_bytes(TIANGONG_OMM[:200])  # what a crash of another tool could leave
    url = serve(server, json_answer(TIANGONG_OMM))
    result = update(url)
    assert result.sets_added == 4
    assert any("could not be read" in w for w in result.warnings)
    (aside,) = broken.parent.glob("elements.json.broken-*")
    assert aside.read_bytes() == TIANGONG_OMM[:200]
    assert len(cached_sets()) == 4  # the catalog reads the new file and ignores the old one


def test_an_unreadable_state_file_is_replaced(cache_dir: Path, server: LocalHTTPServer) -> None:
    cache_dir.mkdir(parents=True)
    fetch.state_path().write_text("{not json")
    url = serve(server, json_answer(TIANGONG_OMM))
    result = update(url)
    assert result.requested and any("state file" in w for w in result.warnings)
    assert url in json.loads(fetch.state_path().read_text())["sources"]


# --------------------------------------------------------------------------------------------
# Two updates at once: the second gives up at once (exit 5) and does nothing


def test_concurrent_update_is_busy(cache_dir: Path, server: LocalHTTPServer) -> None:
    slow = Answer(200, TIANGONG_OMM, content_type="application/json", delay_s=1.0)
    url = serve(server, slow)
    outcome: dict[str, object] = {}

    def first() -> None:
        try:
            outcome["result"] = update(url)
        except Exception as error:  # reported below, in the test's thread
            outcome["error"] = error

    worker = threading.Thread(target=first)
    worker.start()
    try:
        assert server.wait_for_requests(1)
        with pytest.raises(BusyError, match="another 'tiangong-orbit tle update' is running"):
            update(url, force=True)
    finally:
        worker.join(10)
    assert "error" not in outcome
    assert isinstance(outcome["result"], fetch.UpdateResult)
    assert outcome["result"].sets_added == 4
    assert len(server.requests) == 1
    assert len(cached_sets()) == 4


# --------------------------------------------------------------------------------------------
# The command line, as a real process


def run_cli(*args: str, cache: Path) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if k not in PROXY_VARIABLES}
    env["TIANGONG_ORBIT_CACHE_DIR"] = str(cache)
    env.pop("TIANGONG_ORBIT_DEBUG", None)
    return subprocess.run(
        [sys.executable, "-m", "tiangong_orbit", "tle", "update", *args],
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )


def assert_one_error_line(stderr: str) -> None:
    lines = [line for line in stderr.splitlines() if line.strip()]
    errors = [line for line in lines if line.startswith("error:")]
    assert len(errors) == 1 and lines[-1] == errors[0], stderr
    assert all(line.startswith("warning:") for line in lines[:-1]), stderr
    assert "Traceback" not in stderr


def test_cli_exit_0_then_polite(tmp_path: Path, server: LocalHTTPServer) -> None:
    # The real bundled data already holds these sets: "up to date", exit 0.
    url = serve(server, Answer(200, STATIONS_TLE))
    done = run_cli("--url", url, cache=tmp_path)
    assert done.returncode == 0, done.stderr
    assert done.stdout.startswith("Up to date: 6 sets received"), done.stdout
    assert "Newest Tiangong set: epoch 2026-10-06 16:02 UTC" in done.stdout
    assert "error:" not in done.stderr and "Traceback" not in done.stderr
    again = run_cli("--url", url, cache=tmp_path)
    assert again.returncode == 0 and again.stdout.startswith("Not asked:"), again.stdout
    assert len(server.requests) == 1
    assert_clean(tmp_path)


@pytest.mark.parametrize(
    ("answer", "message"),
    [
        (Answer(500, "Internal Server Error"), "HTTP 500"),
        (Answer(200, HTML_PAGE, content_type="text/html"), "HTML page"),
    ],
)
def test_cli_exit_4(tmp_path: Path, server: LocalHTTPServer, answer: Answer, message: str) -> None:
    done = run_cli("--url", serve(server, answer), cache=tmp_path)
    assert done.returncode == 4, done.stderr
    assert_one_error_line(done.stderr)
    assert message in done.stderr and "the cache is unchanged" in done.stderr
    assert done.stdout == ""
    assert snapshot(tmp_path / "tle") == {}


def test_cli_exit_5_while_another_update_holds_the_lock(
    tmp_path: Path, server: LocalHTTPServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    from filelock import FileLock

    monkeypatch.setenv("TIANGONG_ORBIT_CACHE_DIR", str(tmp_path))
    tmp_path.mkdir(exist_ok=True)
    with FileLock(fetch.lock_path()):
        done = run_cli("--url", serve(server, Answer(200, STATIONS_TLE)), cache=tmp_path)
    assert done.returncode == 5, done.stderr
    assert_one_error_line(done.stderr)
    assert "nothing was done" in done.stderr
    assert server.requests == []


def test_cli_says_what_changed(
    cache_dir: Path, server: LocalHTTPServer, capsys: pytest.CaptureFixture[str]
) -> None:
    from tiangong_orbit.cli import main

    server.add("/new", Answer(200, STATIONS_TLE))
    server.add("/old", json_answer(TIANGONG_OMM))
    with pytest.raises(SystemExit) as finished:
        main(["tle", "update", "--url", server.url("/new")])
    assert finished.value.code == 0
    out = capsys.readouterr().out.splitlines()
    assert out[0] == (f"Updated: 6 sets received, 6 new, saved in {fetch.cache_tle_path()}.")
    assert out[1].startswith("Newest Tiangong set: epoch 2026-10-06 16:02 UTC")
    with pytest.raises(SystemExit) as finished:
        main(["tle", "update", "--url", server.url("/old")])
    assert finished.value.code == 0
    captured = capsys.readouterr()
    assert captured.out == (
        "Nothing changed: the answer's Tiangong set (epoch 2026-09-19 12:20 UTC) is older than "
        "the one you have (epoch 2026-10-06 16:02 UTC).\n"
    )
    assert captured.err.startswith("warning: ") and "stale mirror" in captured.err


# --------------------------------------------------------------------------------------------
# The only network code


def test_no_other_module_uses_the_network() -> None:
    package = Path(tiangong_orbit.__file__).parent
    network = (
        "urllib.request",
        "http.client",
        # socket.gethostname() (the alert state's owner) is no network use: connections are.
        "socket.socket(",
        "create_connection(",
        "getaddrinfo(",
        "import requests",
        "import httpx",
        "import aiohttp",
        "urlopen(",
    )
    offenders = [
        f"{path.relative_to(package)}: {word}"
        for path in sorted(package.rglob("*.py"))
        if path.name != "fetch.py"
        for word in network
        if word in path.read_text(encoding="utf-8")
    ]
    assert offenders == [], "only fetch.py may use the network (tle update, the refresh)"
