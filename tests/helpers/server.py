"""The app served as production serves it, for the in-process tests."""

from __future__ import annotations

from typing import Any

from aiohttp.test_utils import TestServer


class ServedLikeProduction(TestServer):
    """aiohttp's TestServer cancels a handler whose client left; the server lets it finish
    (aiohttp's default), so a client that disconnects mid-body reaches the handler as it
    does in production."""

    async def _make_runner(self, handler_cancellation: bool = False, **kwargs: Any):
        return await super()._make_runner(**kwargs)
