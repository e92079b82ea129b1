"""The server as `tomatoplan serve` runs it (guarded connections, deadlines), in the test's own
event loop on a free loopback port; and raw sockets to talk to it the way odd clients do."""

from __future__ import annotations

import asyncio
import contextlib
import dataclasses
from typing import AsyncIterator

import aiohttp

from tomatoplan.app import create_app
from tomatoplan.base.config import Config
from tomatoplan.web.serving import serve


@dataclasses.dataclass
class Live:
    app: object
    port: int

    async def token(self, username: str = "ADMIN") -> str:
        """Log in as `username` (who must exist): the bearer token."""
        async with aiohttp.ClientSession() as http, http.post(
                f"http://127.0.0.1:{self.port}/auth/login", json={"username": username}) as answer:
            return (await answer.json())["access_token"]

    async def connect(self) -> tuple[asyncio.StreamReader, asyncio.StreamWriter]:
        return await asyncio.open_connection("127.0.0.1", self.port)

    async def request(self, raw: bytes, timeout: float = 10.0) -> bytes:
        """One request on a new connection; everything the server sent until it closed."""
        reader, writer = await self.connect()
        try:
            writer.write(raw)
            await writer.drain()
            return await asyncio.wait_for(reader.read(), timeout)
        finally:
            writer.close()

    async def get(self, path: str, token: str = "", timeout: float = 10.0) -> tuple[int, bytes]:
        auth = f"Authorization: Bearer {token}\r\n" if token else ""
        answer = await self.request(f"GET {path} HTTP/1.1\r\nHost: t\r\n{auth}"
                                    f"Connection: close\r\n\r\n".encode(), timeout)
        head, _, body = answer.partition(b"\r\n\r\n")
        return int(head.split()[1]), body


@contextlib.asynccontextmanager
async def served(config: Config) -> AsyncIterator[Live]:
    """Serve `create_app(config)` until the block ends (then stop it as SIGTERM would)."""
    app = create_app(config)
    loop = asyncio.get_running_loop()
    ready: asyncio.Future = loop.create_future()
    stop = asyncio.Event()
    task = asyncio.ensure_future(serve(app, config, ready=ready.set_result, stop=stop))
    done, _ = await asyncio.wait({task, ready}, timeout=30, return_when=asyncio.FIRST_COMPLETED)
    if task in done:
        task.result()  # raises what stopped the start
    assert ready in done, "the server did not start"
    try:
        yield Live(app, ready.result())
    finally:
        stop.set()
        await asyncio.wait_for(task, 60)
