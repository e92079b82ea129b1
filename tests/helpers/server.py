"""The app served as production serves it, for the in-process tests."""

from __future__ import annotations

from typing import Any

from aiohttp import web
from aiohttp.test_utils import TestServer


class ServedLikeProduction(TestServer):
    """aiohttp's TestServer cancels a handler whose client left; the server lets it finish
    (aiohttp's default), so a client that disconnects mid-body reaches the handler as it
    does in production."""

    async def _make_runner(self, handler_cancellation: bool = False, **kwargs: Any):
        return await super()._make_runner(**kwargs)


# A request carrying this header is seen by the app as coming from that address.
REMOTE_HEADER = "X-Test-Remote"


def pretending_addresses(app: web.Application) -> web.Application:
    """Let each request choose the client address the app sees (`X-Test-Remote: 10.0.0.7`):
    the tests run on loopback, the rules about networks are about other addresses."""

    @web.middleware
    async def pretend(request: web.Request, handler):
        remote = request.headers.get(REMOTE_HEADER)
        return await handler(request.clone(remote=remote) if remote else request)

    app.middlewares.insert(0, pretend)
    return app
