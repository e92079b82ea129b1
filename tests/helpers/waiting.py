"""Waiting for what happens in the background, boundedly, without fixed sleeps."""

from __future__ import annotations

import asyncio
import time
from typing import Any, Callable


async def eventually(probe: Callable[[], Any], timeout: float = 10.0) -> Any:
    """The first truthy value of `probe()` (a function or a coroutine function), polled until
    `timeout` seconds have passed; then AssertionError."""
    deadline = time.monotonic() + timeout
    while True:
        value = probe()
        if asyncio.iscoroutine(value):
            value = await value
        if value:
            return value
        if time.monotonic() > deadline:
            raise AssertionError(f"still false after {timeout} s: {probe}")
        await asyncio.sleep(0.01)
