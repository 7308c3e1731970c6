"""A small real HTTP server on 127.0.0.1 for tests: canned answers per path, and a request log.

Tests of network code talk to it over a real socket, so that timeouts, refused connections,
status codes and truncated bodies go through the same client code as in production, and no
test ever reaches the internet. Standard library only (``http.server``), one thread per request.

Usage, as a context manager (or inside a fixture that yields it, as tests/test_fetch.py does;
import it as ``from httpserver import ...``, tests/ being on pytest's path)::

    with LocalHTTPServer() as server:
        server.add("/gp.php", Answer(200, b"...", content_type="application/json"))
        url = server.url("/gp.php?GROUP=stations&FORMAT=json")
        ...
        assert len(server.requests) == 1

A path is matched first with its query (``/gp.php?GROUP=stations``), then without it; an
unknown path answers 404. :meth:`LocalHTTPServer.add` takes one :class:`Answer` (given to every
request), a list of them (one per request, the last one repeated), or a function of the
:class:`RecordedRequest` returning an :class:`Answer`.
"""

from __future__ import annotations

import socket
import struct
import threading
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from types import TracebackType
from urllib.parse import urlsplit

__all__ = ["Answer", "LocalHTTPServer", "RecordedRequest", "closed_port"]


@dataclass(frozen=True)
class Answer:
    """What the server sends for one request.

    ``delay_s`` waits before answering (a slow server, for timeout tests; the wait ends early
    when the server stops). ``content_length`` overrides the Content-Length header: a value
    larger than the body, with the connection closed after the body, is a truncated download.
    ``headers`` are sent as given, after Content-Type and Content-Length. ``drop`` closes
    the connection after reading the whole request, without answering: ``"fin"`` an orderly
    close, ``"rst"`` a reset (a webhook that took the request and then went away).
    """

    status: int = 200
    body: bytes | str = b""
    content_type: str = "text/plain; charset=utf-8"
    headers: dict[str, str] = field(default_factory=dict)
    delay_s: float = 0.0
    content_length: int | None = None
    drop: str | None = None

    @property
    def body_bytes(self) -> bytes:
        """The body as bytes (UTF-8 for text)."""
        return self.body.encode("utf-8") if isinstance(self.body, str) else self.body


@dataclass(frozen=True)
class RecordedRequest:
    """One request the server received: method, path with query, headers and body."""

    method: str
    path: str
    headers: dict[str, str]
    body: bytes

    @property
    def path_only(self) -> str:
        """The path without its query string."""
        return urlsplit(self.path).path

    def header(self, name: str) -> str | None:
        """A header's value (case-insensitive name), or ``None``."""
        wanted = name.lower()
        for key, value in self.headers.items():
            if key.lower() == wanted:
                return value
        return None


Responder = Answer | Sequence[Answer] | Callable[[RecordedRequest], Answer]

NOT_FOUND = Answer(404, b"Not Found\n")


class LocalHTTPServer:
    """A threaded HTTP/1.0 server on ``127.0.0.1`` and a free port, with canned answers.

    Start it with :meth:`start` or ``with``; :meth:`stop` wakes delayed answers, stops the
    server and closes its socket, so that pytest's warnings-as-errors sees no leaked resource.
    """

    def __init__(self, host: str = "127.0.0.1") -> None:
        self._host = host
        self._routes: dict[str, Responder] = {}
        self._served: dict[str, int] = {}
        self._lock = threading.Lock()
        self._stopping = threading.Event()
        self._requests: list[RecordedRequest] = []
        self._received = threading.Condition(self._lock)
        self._server: ThreadingHTTPServer | None = None
        self._thread: threading.Thread | None = None

    # -- configuration -------------------------------------------------------------------------

    def add(self, path: str, responder: Responder) -> None:
        """Answer requests for ``path`` (with or without a query) with ``responder``."""
        if not path.startswith("/"):
            raise ValueError(f"path {path!r} should start with '/'")
        with self._lock:
            self._routes[path] = responder
            self._served[path] = 0

    # -- inspection ----------------------------------------------------------------------------

    @property
    def requests(self) -> list[RecordedRequest]:
        """A copy of the requests received so far, oldest first."""
        with self._lock:
            return list(self._requests)

    def wait_for_requests(self, count: int, timeout_s: float = 5.0) -> bool:
        """Wait until at least ``count`` requests have arrived; ``False`` on timeout."""
        with self._received:
            return self._received.wait_for(lambda: len(self._requests) >= count, timeout_s)

    @property
    def port(self) -> int:
        """The port the server listens on."""
        if self._server is None:
            raise RuntimeError("the server is not started")
        return int(self._server.server_address[1])

    def url(self, path: str = "/") -> str:
        """The full ``http://127.0.0.1:PORT/...`` URL of ``path``."""
        return f"http://{self._host}:{self.port}{path}"

    # -- life cycle ----------------------------------------------------------------------------

    def start(self) -> LocalHTTPServer:
        """Bind a free port and serve in a background thread."""
        if self._server is not None:
            raise RuntimeError("the server is already started")
        owner = self

        class Handler(_Handler):
            server_owner = owner

        server = _QuietServer((self._host, 0), Handler)
        self._server = server
        self._thread = threading.Thread(
            target=server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True
        )
        self._thread.start()
        return self

    def stop(self) -> None:
        """Wake delayed answers, stop serving, wait for the handler threads, close the socket."""
        server, self._server = self._server, None
        if server is None:
            return
        self._stopping.set()
        server.shutdown()
        server.server_close()  # joins the (non-daemon) request threads
        if self._thread is not None:
            self._thread.join(5.0)
            self._thread = None

    def __enter__(self) -> LocalHTTPServer:
        return self.start()

    def __exit__(
        self,
        kind: type[BaseException] | None,
        value: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        self.stop()

    # -- used by the handler -------------------------------------------------------------------

    def _record_and_choose(self, request: RecordedRequest) -> Answer:
        with self._received:
            self._requests.append(request)
            self._received.notify_all()
            key = request.path if request.path in self._routes else request.path_only
            responder = self._routes.get(key)
            if responder is None:
                return NOT_FOUND
            index = self._served[key]
            self._served[key] = index + 1
        if isinstance(responder, Answer):
            return responder
        if callable(responder):
            return responder(request)
        answers = list(responder)
        return answers[min(index, len(answers) - 1)]

    def _sleep(self, seconds: float) -> None:
        if seconds > 0:
            self._stopping.wait(seconds)


class _QuietServer(ThreadingHTTPServer):
    # Request threads are joined by server_close() (block_on_close), so none outlives a test.
    daemon_threads = False
    block_on_close = True

    def handle_error(self, request, client_address) -> None:
        # A client that gave up (timeout tests) makes our late write fail: expected, stay quiet.
        # Anything else is a bug in a test's responder: let socketserver print it.
        import sys

        error = sys.exc_info()[1]
        if isinstance(error, ConnectionError | TimeoutError):
            return
        super().handle_error(request, client_address)


class _Handler(BaseHTTPRequestHandler):
    server_owner: LocalHTTPServer
    protocol_version = "HTTP/1.0"  # one request per connection, closed after the answer
    server_version = "tiangong-orbit-test-server"

    def _serve(self) -> None:
        length = int(self.headers.get("Content-Length") or 0)
        body = self.rfile.read(length) if length else b""
        request = RecordedRequest(self.command, self.path, dict(self.headers.items()), body)
        owner = self.server_owner
        answer = owner._record_and_choose(request)
        owner._sleep(answer.delay_s)
        if answer.drop is not None:
            if answer.drop == "rst":  # SO_LINGER with a zero timeout: close() sends a RST
                self.connection.setsockopt(
                    socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0)
                )
            self.close_connection = True
            self.wfile.flush()
            self.connection.close()
            return
        payload = answer.body_bytes
        try:
            self.send_response(answer.status)
            self.send_header("Content-Type", answer.content_type)
            declared = len(payload) if answer.content_length is None else answer.content_length
            self.send_header("Content-Length", str(declared))
            for name, value in answer.headers.items():
                self.send_header(name, value)
            self.end_headers()
            if self.command != "HEAD":
                self.wfile.write(payload)
            self.wfile.flush()
        except (ConnectionError, TimeoutError):
            pass  # the client went away (a timeout test): nothing to answer to
        self.close_connection = True

    do_GET = do_POST = do_PUT = do_DELETE = do_PATCH = do_HEAD = _serve

    def log_message(self, format: str, *args: object) -> None:
        pass  # the request log is self.server_owner.requests


def closed_port(host: str = "127.0.0.1") -> int:
    """A port on ``host`` that was just bound and closed again: connecting to it is refused."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.bind((host, 0))
        return int(probe.getsockname()[1])
