"""Every open connection, and the deadlines that free those a client holds without using them.

aiohttp bounds nothing before a request reaches a handler: a client that connects and sends
nothing, or half a header, holds a socket and a file descriptor for as long as it likes.
Each accepted connection is wrapped (`Guarded`), told by `connection_middleware` when one of
its requests runs, and swept every second:

- a connection that has not sent a complete request header `header_timeout` seconds after
  it opened, or after it began sending one, is closed (with a 408 when it sent something);
- a keep-alive connection idle between requests is closed after `keepalive_timeout`;
- at `max_connections`, a new connection closes the one that has waited longest without a
  running request; when every connection runs one, the new one gets a 503 and is closed.

A request's body has its own deadline where the body is read (`http.read_json`, uploads),
and an event stream its own (`routes.events`). Closures are logged once per burst.
"""

from __future__ import annotations

import asyncio
import collections
import contextlib
import dataclasses
import json
import logging
import time
from typing import Callable, Iterator, Optional

from aiohttp import web

from ..base.logs import Bursts

log = logging.getLogger(__name__)

SWEEP_SECONDS = 1.0
REPORT_SECONDS = 60.0


def _raw_problem(status: str, code: str, detail: str, retry_after: Optional[int] = None) -> bytes:
    body = json.dumps({"type": "about:blank", "title": status.split(" ", 1)[1],
                       "status": int(status.split()[0]), "code": code, "detail": detail},
                      ensure_ascii=False).encode()
    head = [f"HTTP/1.1 {status}", "Server: TomatoPlan", "Connection: close",
            "Content-Type: application/problem+json", f"Content-Length: {len(body)}"]
    if retry_after is not None:
        head.append(f"Retry-After: {retry_after}")
    return ("\r\n".join(head) + "\r\n\r\n").encode() + body


TOO_SLOW = _raw_problem("408 Request Timeout", "header_timeout",
                        "En-têtes de la requête reçus trop lentement : connexion fermée.")
FULL = _raw_problem("503 Service Unavailable", "too_many_connections",
                    "Trop de connexions ouvertes : réessayez dans un instant.", retry_after=5)


@dataclasses.dataclass(frozen=True)
class Limits:
    max_connections: int = 1000
    header_timeout: float = 15.0
    keepalive_timeout: float = 75.0


class Guarded(asyncio.Protocol):
    """One connection: aiohttp's protocol inside, and since when it owes the server a request."""

    def __init__(self, guard: Connections, inner: asyncio.Protocol):
        self.guard = guard
        self.inner = inner
        self.transport: Optional[asyncio.Transport] = None
        self.address = ""
        self.admitted = False
        self.running = 0  # requests of this connection in a handler now
        self.reading_body = False  # that handler waits for the client to send the body
        self.served = 0
        self.waiting_since = guard.clock()  # since when it has no running request
        self.receiving_since: Optional[float] = None  # first byte of a request not yet running

    # asyncio.Protocol, forwarded to aiohttp's protocol once admitted
    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        self.transport = transport  # type: ignore[assignment]
        peer = transport.get_extra_info("peername")
        self.address = peer[0] if isinstance(peer, tuple) else ""
        if self.guard.admit(self):
            self.admitted = True
            self.inner.connection_made(transport)

    @property
    def busy(self) -> bool:
        """Running a request that does not wait on the client: never closed to make room."""
        return bool(self.running) and not self.reading_body

    def data_received(self, data: bytes) -> None:
        if not self.admitted:
            return
        if not self.running and self.receiving_since is None:
            self.receiving_since = self.guard.clock()
        self.guard.active(self)
        self.inner.data_received(data)  # type: ignore[attr-defined]

    def eof_received(self) -> Optional[bool]:
        return self.inner.eof_received() if self.admitted else None  # type: ignore[attr-defined]

    def connection_lost(self, exc: Optional[Exception]) -> None:
        self.guard.forget(self)
        if self.admitted:
            self.inner.connection_lost(exc)

    def pause_writing(self) -> None:
        if self.admitted:
            self.inner.pause_writing()

    def resume_writing(self) -> None:
        if self.admitted:
            self.inner.resume_writing()

    # told by the middleware
    def request_started(self) -> None:
        self.running += 1
        self.receiving_since = None
        self.guard.moved(self)

    def request_finished(self) -> None:
        self.running -= 1
        self.served += 1
        self.waiting_since = self.guard.clock()
        self.receiving_since = None
        self.guard.moved(self)


class Connections:
    """The open connections of one listening socket, and their deadlines."""

    def __init__(self, limits: Limits, clock: Callable[[], float] = time.monotonic):
        self.limits = limits
        self.clock = clock
        # Not running a request, the longest waiting first; and running one.
        self.waiting: collections.OrderedDict = collections.OrderedDict()
        self.running: dict = {}
        self.closed = collections.Counter()
        self._report = Bursts(REPORT_SECONDS, clock=clock)

    def __len__(self) -> int:
        return len(self.waiting) + len(self.running)

    def factory(self, make_protocol: Callable[[], asyncio.Protocol]) -> Callable[[], Guarded]:
        """The protocol factory for `loop.create_server`, around aiohttp's."""
        return lambda: Guarded(self, make_protocol())

    def of(self, transport) -> Optional[Guarded]:
        return self.waiting.get(transport) or self.running.get(transport)

    def admit(self, conn: Guarded) -> bool:
        if len(self) >= self.limits.max_connections:
            if not self.waiting:
                self._count("refused", conn, FULL)
                return False
            victim = next(iter(self.waiting.values()))
            self._count("evicted", victim)
        self.waiting[conn.transport] = conn
        return True

    def moved(self, conn: Guarded) -> None:
        """A request started or finished, or its body is awaited: the connection changes list
        (and goes last)."""
        self.waiting.pop(conn.transport, None)
        self.running.pop(conn.transport, None)
        if conn.transport is not None and not conn.transport.is_closing():
            (self.running if conn.busy else self.waiting)[conn.transport] = conn

    def active(self, conn: Guarded) -> None:
        """Bytes came in: a waiting connection goes last, to be the last closed to make room."""
        if conn.transport in self.waiting:
            self.waiting.move_to_end(conn.transport)

    def forget(self, conn: Guarded) -> None:
        self.waiting.pop(conn.transport, None)
        self.running.pop(conn.transport, None)

    def sweep(self) -> None:
        """Close the connections past their deadline; log what was closed, once per burst."""
        now = self.clock()
        limits = self.limits
        for conn in list(self.waiting.values()):
            if conn.running:
                continue  # its handler waits for the body, under its own deadline
            if conn.receiving_since is not None:
                if now - conn.receiving_since > limits.header_timeout:
                    self._count("slow_header", conn, TOO_SLOW)
            elif conn.served == 0:
                if now - conn.waiting_since > limits.header_timeout:
                    self._count("silent", conn)
            elif now - conn.waiting_since > limits.keepalive_timeout:
                self._count("idle", conn)
        self._log()

    async def run(self) -> None:
        while True:
            await asyncio.sleep(SWEEP_SECONDS)
            self.sweep()

    def _count(self, reason: str, conn: Guarded, answer: bytes = b"") -> None:
        self.forget(conn)
        if reason != "idle":  # closing idle keep-alive connections is routine, not news
            self.closed[reason] += 1
        transport = conn.transport
        if transport is None or transport.is_closing():
            return
        if answer:
            # A few hundred bytes into an empty socket buffer: sent even though the socket is
            # closed at once (a client that does not read cannot hold it open).
            transport.write(answer)
        if reason == "idle" and transport.get_write_buffer_size() == 0:
            transport.close()  # a polite FIN
        else:
            transport.abort()
        if reason in ("refused", "evicted"):
            self._log()

    def _log(self) -> None:
        if not self.closed or self._report.check() is None:
            return
        counts = dict(self.closed)
        self.closed.clear()
        limit, header = self.limits.max_connections, self.limits.header_timeout
        parts = {
            "refused": f"refused with a 503 (limit of {limit} reached, every one busy)",
            "evicted": f"closed to make room (limit of {limit} reached)",
            "slow_header": f"closed for a request header slower than {header} s",
            "silent": f"closed for sending no request within {header} s",
        }
        log.warning("connections: %s; %d open", "; ".join(
            f"{counts[key]} {text}" for key, text in parts.items() if key in counts), len(self))


CONNECTIONS = web.AppKey("connections", Connections)


def _connection_of(request: web.Request) -> Optional[Guarded]:
    guard = request.app.get(CONNECTIONS)
    return guard.of(request.transport) if guard is not None else None


@contextlib.contextmanager
def _client_gone_is_a_connection_error(request: web.Request) -> Iterator[None]:
    """aiohttp raises RuntimeError("Connection closed.") when a body is read after the
    connection was lost (the client left, or was closed to make room): a ConnectionError,
    like a loss during the read, which the error middleware answers quietly (499)."""
    try:
        yield
    except RuntimeError as exc:
        if request.transport is None or request.transport.is_closing():
            raise ConnectionResetError(f"client gone: {exc}") from None
        raise


@contextlib.contextmanager
def reading_body(request: web.Request) -> Iterator[None]:
    """While a handler waits for the client's body, its connection may be closed to make room
    like any connection that waits on its client (the oldest first)."""
    conn = _connection_of(request)
    with _client_gone_is_a_connection_error(request):
        if conn is None:
            yield
            return
        conn.reading_body = True
        conn.guard.moved(conn)
        try:
            yield
        finally:
            conn.reading_body = False
            conn.guard.moved(conn)


@web.middleware
async def connection_middleware(request: web.Request, handler) -> web.StreamResponse:
    """Tell the connection's guard that one of its requests runs (served by `serving`)."""
    conn = _connection_of(request)
    if conn is None:
        return await handler(request)
    conn.request_started()
    try:
        return await handler(request)
    finally:
        conn.request_finished()
