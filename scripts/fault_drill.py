"""Fault drill for `tiangong-orbit alert`: kills, signals, a full disk, closed pipes, overlaps.

Runs the real command (subprocesses of this Python) against a real webhook on 127.0.0.1 and
real SQLite state files in a temporary folder, then prints, for each fault, the exit codes of
the runs, how many alerts were due, how many reached the destination, the duplicates and the
lost ones. The goal: 0 duplicates, 0 lost, and no exit 1 anywhere.

    python scripts/fault_drill.py            # every case (about a minute)
    python scripts/fault_drill.py --quick    # fewer places per case

The full-disk case mounts a 64 KB tmpfs, which needs root (or CAP_SYS_ADMIN); elsewhere it
prints that it was skipped and why. Nothing here reaches the internet: element sets come from
data/tle/stations_latest.tle and automatic refresh is off.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import signal
import sqlite3
import subprocess
import sys
import tempfile
import threading
import time
from collections import Counter
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
TLE = ROOT / "data" / "tle" / "stations_latest.tle"
#: Tiangong appears over Lahore at 23:44 UTC on 8 Oct 2026 (set of 6 Oct): 8 Punjab/KP places
#: see it. At 00:00 UTC on 7 Oct about 250 gazetteer places see the 00:04 pass.
NOW_FEW = "2026-10-08T23:15:00Z"
NOW_ALL = "2026-10-07T00:00:00Z"
FEW = ["Lahore", "Islamabad", "Rawalpindi", "Peshawar", "Faisalabad", "Gujranwala"]


# --------------------------------------------------------------------------------------------
# A webhook on 127.0.0.1 that can be slow, drop connections, or run a hook per request


@dataclass
class Webhook:
    """What the webhook does: answer after ``delay_s`` (the first ``slow_first`` requests
    only, when set), drop the connection after reading (``drop``: fin/rst), call ``hook``."""

    delay_s: float = 0.0
    slow_first: int | None = None
    drop: str | None = None
    hook: Callable[[], None] | None = None
    received: list[dict[str, str]] = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock)
    stopping: threading.Event = field(default_factory=threading.Event)


@contextlib.contextmanager
def webhook(behaviour: Webhook) -> Iterator[str]:
    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.0"

        def do_POST(self) -> None:
            body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
            with behaviour.lock:
                behaviour.received.append(json.loads(body or b"{}"))
                count = len(behaviour.received)
            if behaviour.hook is not None:
                behaviour.hook()
            if behaviour.slow_first is None or count <= behaviour.slow_first:
                behaviour.stopping.wait(behaviour.delay_s)
            if behaviour.drop is not None:
                if behaviour.drop == "rst":
                    import socket
                    import struct

                    self.connection.setsockopt(
                        socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0)
                    )
                self.connection.close()
                return
            with contextlib.suppress(OSError):
                self.send_response(200)
                self.send_header("Content-Length", "2")
                self.end_headers()
                self.wfile.write(b"{}")

        def log_message(self, *args: object) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    server.daemon_threads = True
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05})
    thread.start()
    try:
        yield f"json://127.0.0.1:{server.server_address[1]}/hook"
    finally:
        behaviour.stopping.set()
        server.shutdown()
        server.server_close()
        thread.join()


# --------------------------------------------------------------------------------------------
# Running the command


@dataclass
class Drill:
    folder: Path
    places: list[str]

    def env(self) -> dict[str, str]:
        env = {**os.environ, "TIANGONG_ORBIT_OFFLINE": "1", "NO_COLOR": "1"}
        env["TIANGONG_ORBIT_CACHE_DIR"] = str(self.folder / "cache")
        env["TIANGONG_ORBIT_STATE_DIR"] = str(self.folder / "state")
        env.pop("TIANGONG_ORBIT_DEBUG", None)
        return env

    def line(self, state: Path, now: str, *args: str, city_all: bool = False) -> list[str]:
        places = ["--city", "all"] if city_all else [a for p in self.places for a in ("--city", p)]
        return [sys.executable, "-m", "tiangong_orbit", "alert", "--tle", str(TLE), "--now", now,
                "--state", str(state), *places, *args]  # fmt: skip

    def start(self, state: Path, now: str, *args: str, city_all: bool = False, **kw):
        return subprocess.Popen(
            self.line(state, now, *args, city_all=city_all),
            stdout=kw.pop("stdout", subprocess.PIPE),
            stderr=subprocess.PIPE,
            text=True,
            env=self.env(),
            **kw,
        )

    def run(self, state: Path, now: str, *args: str, city_all: bool = False, **kw):
        process = self.start(state, now, *args, city_all=city_all, **kw)
        out, err = process.communicate(timeout=300)
        return process.returncode, out or "", err or ""

    def due(self, now: str, city_all: bool = False) -> Counter[str]:
        """The titles of the alerts due at ``now`` (a dry run: nothing posted)."""
        code, out, _ = self.run(self.folder / "dry.sqlite3", now, "--dry-run", city_all=city_all)
        assert code == 0, out
        return Counter(
            line.split("would post '", 1)[1].split("'", 1)[0]
            for line in out.splitlines()
            if "would post '" in line
        )


@dataclass
class Result:
    case: str
    codes: list[int | str]
    due: int
    delivered: int
    duplicates: int
    lost: int
    note: str = ""

    @property
    def ok(self) -> bool:
        return self.duplicates == 0 and self.lost == 0 and 1 not in self.codes


def tally(case: str, codes: list, due: Counter[str], got: Counter[str], note: str = "") -> Result:
    duplicates = sum(n - 1 for n in got.values() if n > 1)
    lost = sum(1 for title in due if got[title] == 0)
    return Result(case, codes, sum(due.values()), sum(got.values()), duplicates, lost, note)


def rows_by_state(state: Path) -> Counter[str]:
    with contextlib.closing(sqlite3.connect(state)) as connection:
        return Counter(row[0] for row in connection.execute("SELECT state FROM alerts"))


def sent_titles(state: Path) -> Counter[str]:
    with contextlib.closing(sqlite3.connect(state)) as connection:
        return Counter(
            row[0] for row in connection.execute("SELECT title FROM alerts WHERE state='sent'")
        )


# --------------------------------------------------------------------------------------------
# The cases


def case_concurrent(drill: Drill, runs: int = 8) -> Result:
    hook = Webhook(delay_s=0.3)
    state = drill.folder / "concurrent.sqlite3"
    with webhook(hook) as url:
        started = [drill.start(state, NOW_FEW, "--notify", url, "--quiet") for _ in range(runs)]
        codes = [p.wait(300) for p in started]
        for p in started:
            p.communicate()
    got = Counter(r["title"] for r in hook.received)
    return tally(f"{runs} runs at once, slow webhook", codes, drill.due(NOW_FEW), got)


def case_signal(drill: Drill, number: int) -> Result:
    hook = Webhook(delay_s=1.5, slow_first=1)
    state = drill.folder / f"signal{number}.sqlite3"
    with webhook(hook) as url:
        process = drill.start(state, NOW_ALL, "--notify", url, "--quiet", city_all=True)
        while not hook.received:
            time.sleep(0.01)
        process.send_signal(number)
        process.communicate(timeout=300)
        codes = [process.returncode]
        codes.append(drill.run(state, NOW_ALL, "--notify", url, "--quiet", city_all=True)[0])
    got = Counter(r["title"] for r in hook.received)
    name = signal.Signals(number).name
    return tally(f"{name} during a post, then a rerun", codes, drill.due(NOW_ALL, True), got)


def case_kill(drill: Drill) -> Result:
    hook = Webhook(delay_s=30.0, slow_first=1)
    state = drill.folder / "kill.sqlite3"
    with webhook(hook) as url:
        process = drill.start(state, NOW_ALL, "--notify", url, "--quiet", city_all=True)
        while not hook.received:
            time.sleep(0.01)
        process.kill()
        process.communicate(timeout=60)
        codes: list[int | str] = [process.returncode]
        codes.append(drill.run(state, NOW_ALL, "--notify", url, "--quiet", city_all=True)[0])
    got = Counter(r["title"] for r in hook.received)
    unknown = rows_by_state(state)["unknown"]
    return tally("SIGKILL mid-post, then a rerun", codes, drill.due(NOW_ALL, True), got,
                 f"{unknown} left 'unknown' (the post under way)")  # fmt: skip


def case_dropped(drill: Drill, how: str) -> Result:
    hook = Webhook(drop=how)
    state = drill.folder / f"drop-{how}.sqlite3"
    with webhook(hook) as url:
        codes = [drill.run(state, NOW_FEW, "--notify", url, "--quiet")[0] for _ in range(3)]
    got = Counter(r["title"] for r in hook.received)
    return tally(f"webhook reads, then closes ({how.upper()}); 3 runs", codes,
                 drill.due(NOW_FEW), got)  # fmt: skip


def case_slow_overlap(drill: Drill) -> Result:
    hook = Webhook(delay_s=1.0)
    state = drill.folder / "overlap.sqlite3"
    with webhook(hook) as url:
        first = drill.start(state, "2026-10-08T23:10:00Z", "--notify", url)
        while not hook.received:
            time.sleep(0.01)
        second = drill.run(state, "2026-10-08T23:21:00Z", "--notify", url)
        out, err = first.communicate(timeout=300)
    said = out + err + second[1] + second[2]
    got = Counter(r["title"] for r in hook.received)
    note = (
        "a live run was called interrupted!" if "interrupted" in said else "no false 'interrupted'"
    )
    return tally("slow run 1 (23:10) overlapped by run 2 (23:21)", [first.returncode, second[0]],
                 drill.due(NOW_FEW), got, note)  # fmt: skip


def case_head(drill: Drill) -> Result:
    state = drill.folder / "head.sqlite3"
    shell = " ".join(f"'{part}'" for part in drill.line(state, NOW_ALL, city_all=True))
    piped = subprocess.run(
        ["bash", "-c", f"{shell} 2>/dev/null | head -1; exit ${{PIPESTATUS[0]}}"],
        capture_output=True, text=True, env=drill.env(), timeout=300,
    )  # fmt: skip
    written = sent_titles(state)  # the ones the pipe took (head read the first)
    code, out, _ = drill.run(state, NOW_ALL, "--quiet", city_all=True)
    rerun = Counter(
        line.split(" visible from ", 1)[1].split(" on ", 1)[0] for line in out.splitlines()
    )
    got = Counter({title: n for title, n in written.items()})
    for place, n in rerun.items():
        got[f"Tiangong over {place}"] += n
    note = f"{sum(written.values())} written before the pipe closed"
    codes = [piped.returncode, code]
    return tally("--city all | head -1, then a rerun", codes, drill.due(NOW_ALL, True), got, note)


def case_stdout(drill: Drill, how: str) -> Result:
    state = drill.folder / f"stdout-{how}.sqlite3"
    if how == "closed":
        line = ["sh", "-c", 'exec "$@" >&-', "sh", *drill.line(state, NOW_FEW)]
        first = subprocess.run(line, stderr=subprocess.PIPE, text=True, env=drill.env()).returncode
    else:
        with open("/dev/full", "w") as full:
            first = drill.run(state, NOW_FEW, stdout=full)[0]
    code, out, _ = drill.run(state, NOW_FEW, "--quiet")
    got = Counter(
        f"Tiangong over {line.split(' visible from ', 1)[1].split(' on ', 1)[0]}"
        for line in out.splitlines()
    )
    got.update(sent_titles(state) - got)
    return tally(f"stdout {how}, then a rerun", [first, code], drill.due(NOW_FEW), got)


def case_full_disk(drill: Drill) -> Result:
    disk = drill.folder / "small"
    disk.mkdir()
    mounted = subprocess.run(["mount", "-t", "tmpfs", "-o", "size=64k", "tmpfs", str(disk)],
                             capture_output=True, text=True)  # fmt: skip
    if mounted.returncode != 0:
        why = mounted.stderr.strip() or "mount refused"
        return Result("full disk (64 KB tmpfs)", ["skipped"], 0, 0, 0, 0,
                      f"skipped: cannot mount a tmpfs here ({why}); run as root")  # fmt: skip
    filler = disk / "filler"
    filled: list[bool] = []

    def fill() -> None:
        if not filled:
            filled.append(True)
            with filler.open("wb", buffering=0) as stream, contextlib.suppress(OSError):
                while True:
                    stream.write(b"\0" * 4096)

    hook = Webhook(hook=fill)
    state = disk / "alerts.sqlite3"
    try:
        with webhook(hook) as url:
            codes = [drill.run(state, NOW_FEW, "--notify", url, "--quiet")[0]]
            filler.unlink()
            codes.append(drill.run(state, NOW_FEW, "--notify", url, "--quiet")[0])
    finally:
        subprocess.run(["umount", "-l", str(disk)], check=False)
    got = Counter(r["title"] for r in hook.received)
    return tally("disk full during the first post, then a rerun", codes, drill.due(NOW_FEW), got)


def case_other_commands(drill: Drill) -> Result:
    codes: list[int | str] = []
    for args in (["passes", "--tle", str(TLE), "--start", "2026-10-07"], ["cities"]):
        line = [sys.executable, "-m", "tiangong_orbit", *args]
        closed = ["sh", "-c", 'exec "$@" >&-', "sh", *line]
        codes.append(subprocess.run(closed, capture_output=True, env=drill.env()).returncode)
        with open("/dev/full", "w") as full:
            codes.append(
                subprocess.run(
                    line, stdout=full, stderr=subprocess.PIPE, env=drill.env()
                ).returncode
            )
    return Result("passes/cities with stdout closed, full", codes, 0, 0, 0, 0, "exit 2 expected")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--quick", action="store_true", help="fewer places in the small cases")
    options = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="tiangong-drill-") as folder:
        drill = Drill(Path(folder), FEW[:3] if options.quick else FEW)
        cases = [
            lambda: case_concurrent(drill),
            lambda: case_signal(drill, signal.SIGINT),
            lambda: case_signal(drill, signal.SIGTERM),
            lambda: case_kill(drill),
            lambda: case_dropped(drill, "fin"),
            lambda: case_dropped(drill, "rst"),
            lambda: case_slow_overlap(drill),
            lambda: case_head(drill),
            lambda: case_stdout(drill, "closed"),
            lambda: case_stdout(drill, "/dev/full"),
            lambda: case_full_disk(drill),
            lambda: case_other_commands(drill),
        ]
        print(f"{'case':48} {'exit codes':>16} {'due':>4} {'got':>4} {'dup':>4} {'lost':>4}")
        results = []
        for case in cases:
            result = case()
            results.append(result)
            codes = ",".join(str(code) for code in result.codes)
            counts = (
                f"{result.due:>4} {result.delivered:>4} {result.duplicates:>4} {result.lost:>4}"
            )
            print(f"{result.case:48} {codes:>16} {counts}  {result.note}", flush=True)
    duplicates = sum(r.duplicates for r in results)
    lost = sum(r.lost for r in results)
    exit_1 = sum(1 in r.codes for r in results)
    print(f"\ntotal: {duplicates} duplicates, {lost} lost, {exit_1} cases with exit 1")
    return 0 if duplicates == lost == exit_1 == 0 else 1


if __name__ == "__main__":
    raise SystemExit(main())
