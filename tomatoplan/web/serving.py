"""Serving the application: one listening socket whose connections are guarded (see
`connections`), SIGTERM and SIGINT for a stop bounded in time, and the file descriptors the
connection limit needs; systemd is told when the server is ready and when it stops.

The stop: stop accepting, close idle connections, end the event streams, give running
requests `SHUTDOWN_GRACE` seconds, then close the database (checkpointed). Well inside
systemd's `TimeoutStopSec`, whatever the clients do.
"""

from __future__ import annotations

import asyncio
import json
import logging
import signal
from typing import Any, Callable, Optional

from aiohttp import http_exceptions, web, web_log, web_protocol, web_response

from ..base.config import Config
from ..base.logs import ACCESS_FORMAT, Bursts
from . import systemd
from .connections import CONNECTIONS, Connections, Limits

log = logging.getLogger(__name__)

SHUTDOWN_GRACE = 10.0
# Descriptors kept for the database, its WAL, logs, backups and the listening socket.
RESERVED_FDS = 64
SERVER_NAME = "TomatoPlan"
BACKLOG = 1024


class GuardedSite(web.BaseSite):
    """A TCP site whose accepted connections go through the guard."""

    __slots__ = ("_guard", "_host", "_port")

    def __init__(self, runner: web.BaseRunner, host: str, port: int, guard: Connections):
        super().__init__(runner, backlog=BACKLOG)
        self._host, self._port, self._guard = host, port, guard

    @property
    def name(self) -> str:
        return f"http://{self._host}:{self._port}"

    @property
    def port(self) -> int:
        assert self._server is not None
        return self._server.sockets[0].getsockname()[1]  # type: ignore[attr-defined]

    async def start(self) -> None:
        await super().start()
        server = self._runner.server
        assert server is not None

        def protocol() -> web_protocol.RequestHandler:
            handler = server()
            handler.__class__ = ProblemHandler  # same slots: only handle_error differs
            return handler

        self._server = await asyncio.get_running_loop().create_server(
            self._guard.factory(protocol), self._host, self._port, backlog=self._backlog,
            reuse_address=True)


LOW_LEVEL_ERRORS = {
    400: ("malformed_request", "Requête HTTP mal formée (ligne de requête ou en-tête illisible, "
                               "ou de plus de 8190 octets)."),
    500: ("internal_error", "Erreur interne du serveur : l'administrateur en trouve le détail dans "
                            "logs/server.log."),
}


class ProblemHandler(web_protocol.RequestHandler):
    """aiohttp's connection handler, answering what never reaches the application (a request
    it cannot parse) as problem+json in French like every other error."""

    __slots__ = ()

    def handle_error(self, request: Any, status: int = 500, exc: Optional[BaseException] = None,
                     message: Optional[str] = None) -> web.StreamResponse:
        super().handle_error(request, status, exc, message)  # its logging and checks
        code, detail = LOW_LEVEL_ERRORS.get(status, ("http_error", "Requête refusée."))
        body = {"type": "about:blank", "title": "Requête invalide" if status < 500 else "Erreur interne",
                "status": status, "code": code, "detail": detail}
        answer = web.Response(status=status, text=json.dumps(body, ensure_ascii=False),
                              content_type="application/problem+json")
        answer.force_close()
        return answer


def descriptor_budget(wanted: int) -> int:
    """Connections the process can hold open: raise the soft limit on open files to the hard
    one, keep `RESERVED_FDS` for the rest, and say so when `wanted` does not fit."""
    try:
        import resource
    except ImportError:  # not Unix
        return wanted
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    if hard == resource.RLIM_INFINITY or hard > soft:
        target = wanted + RESERVED_FDS if hard == resource.RLIM_INFINITY else hard
        try:
            resource.setrlimit(resource.RLIMIT_NOFILE, (max(soft, target), hard))
            soft = max(soft, target)
        except (ValueError, OSError):
            pass
    budget = max(8, soft - RESERVED_FDS)
    if wanted > budget:
        log.warning("TOMATOPLAN_MAX_CONNECTIONS=%d lowered to %d: the process may open %d files "
                    "(raise LimitNOFILE in the unit)", wanted, budget, soft)
        return budget
    return wanted


class AccessLog(web_log.AccessLogger):
    """The access log, less the /health checks that succeed: supervision repeats them every
    few seconds, and their line was a sixth of the cost of answering one. A /health that fails
    (503) is written like any other request. The same for /admin/server-log, which the
    Journaux page polls: its lines would fill the log it shows."""

    QUIET_PATHS = ("/health", "/admin/server-log")

    def log(self, request: web.BaseRequest, response: web.StreamResponse, time: float) -> None:
        if response.status == 200 and request.path in self.QUIET_PATHS:
            return
        super().log(request, response, time)


class MalformedRequests(logging.Filter):
    """aiohttp logs a traceback for each malformed request it answers 400 itself: one line per
    kind and per minute instead, with how many there were."""

    def __init__(self) -> None:
        super().__init__()
        self.bursts = Bursts(60.0)

    def filter(self, record: logging.LogRecord) -> bool:
        exc = record.exc_info[1] if record.exc_info else None
        if not isinstance(exc, http_exceptions.HttpProcessingError):
            return True
        held = self.bursts.check(type(exc).__name__)
        if held is None:
            return False
        remote = record.args[0] if isinstance(record.args, tuple) and record.args else "?"
        record.msg = "malformed request from %s answered %d: %s%s"
        detail = " ".join(str(exc.message or type(exc).__name__).split())[:200]
        record.args = (remote, exc.code, detail,
                       f" ({held} more of this kind in the last minute)" if held else "")
        record.levelno, record.levelname = logging.WARNING, "WARNING"
        record.exc_info = record.exc_text = None
        return True


async def serve(app: web.Application, config: Config, *,
                ready: Optional[Callable[[int], None]] = None,
                stop: Optional[asyncio.Event] = None) -> None:
    """Serve `app` until SIGTERM or SIGINT (or `stop` is set); `ready(port)` once listening.
    Startup errors (ConfigError, DatabaseError, OSError when the port is taken) propagate."""
    web_response.SERVER_SOFTWARE = SERVER_NAME  # aiohttp's own answers (400s) included
    guard = Connections(Limits(descriptor_budget(config.max_connections), config.header_timeout,
                               config.keepalive_timeout))
    app[CONNECTIONS] = guard
    malformed = MalformedRequests()
    logging.getLogger("aiohttp.server").addFilter(malformed)
    runner = web.AppRunner(app, access_log_class=AccessLog, access_log_format=ACCESS_FORMAT,
                           shutdown_timeout=SHUTDOWN_GRACE, keepalive_timeout=config.keepalive_timeout)
    loop = asyncio.get_running_loop()
    stop = stop or asyncio.Event()
    sweeper: Optional[asyncio.Future] = None
    try:
        await runner.setup()
        site = GuardedSite(runner, config.host, config.port, guard)
        await site.start()
        sweeper = asyncio.ensure_future(guard.run())
        for signum in (signal.SIGTERM, signal.SIGINT):
            loop.add_signal_handler(signum, stop.set)
        log.info("listening on http://%s:%d (at most %d connections)", config.host, site.port,
                 guard.limits.max_connections)
        # The database opened in runner.setup(), the port listens: under Type=notify this is
        # when `systemctl start` returns.
        systemd.notify("READY=1", f"STATUS=En service sur le port {site.port}")
        if ready is not None:
            ready(site.port)
        await stop.wait()
        log.info("stopping: %d connections open, %d running a request", len(guard),
                 len(guard.running))
        systemd.notify("STOPPING=1", "STATUS=Arrêt : fin des requêtes en cours")
    finally:
        for signum in (signal.SIGTERM, signal.SIGINT):
            loop.remove_signal_handler(signum)
        if sweeper is not None:
            sweeper.cancel()
        await runner.cleanup()
        logging.getLogger("aiohttp.server").removeFilter(malformed)
