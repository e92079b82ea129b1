"""A fixed rate of requests, whatever the answers' pace (open loop): request i leaves at
start + i / rate, on a free keep-alive connection (a new one when all are busy), and its
latency counts from when it was due, so a slow answer delays nobody's clock and shows in the
percentiles (closed-loop tools such as wrk, and hey's lock-step workers, hide it)."""

from __future__ import annotations

import asyncio
import statistics
import time

TIMEOUT = 10.0  # seconds after it was due: a request still unanswered is counted as failed


async def _fixed_rate(port: int, path: str, headers: dict, rate: float, seconds: float) -> dict:
    head = "".join(f"{name}: {value}\r\n" for name, value in headers.items())
    request = f"GET {path} HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\n{head}\r\n".encode()
    idle: list = []
    latencies: list = []
    failures: list = []

    async def one(due: float) -> None:
        try:
            await asyncio.wait_for(exchange(due), timeout=max(0.1, due + TIMEOUT - time.perf_counter()))
        except asyncio.TimeoutError:
            failures.append(f"no answer within {TIMEOUT:.0f} s")

    async def exchange(due: float) -> None:
        try:
            reader, writer = idle.pop() if idle else await asyncio.open_connection("127.0.0.1", port)
            writer.write(request)
            first = await reader.readline()
            if not first:  # a kept-alive connection the server had just closed: as any client
                writer.close()  # does, send again on a new one
                reader, writer = await asyncio.open_connection("127.0.0.1", port)
                writer.write(request)
                first = await reader.readline()
            status = int(first.split()[1])
            length = 0
            while (line := await reader.readline()) not in (b"\r\n", b""):
                name, _, value = line.decode("latin-1").partition(":")
                if name.strip().lower() == "content-length":
                    length = int(value)
            await reader.readexactly(length)
            latencies.append((time.perf_counter() - due) * 1000)
            if not 200 <= status < 300:
                failures.append(status)
            idle.append((reader, writer))
        except (OSError, ValueError, IndexError, asyncio.IncompleteReadError) as exc:
            failures.append(repr(exc))

    start = time.perf_counter() + 0.05
    tasks = []
    for index in range(int(rate * seconds)):
        due = start + index / rate
        await asyncio.sleep(max(0.0, due - time.perf_counter()))
        tasks.append(asyncio.ensure_future(one(due)))
    await asyncio.gather(*tasks)  # each bounded by TIMEOUT
    for _, writer in idle:
        writer.close()  # those of failed requests are dropped with their task
    ordered = sorted(latencies)

    def percentile(share: float) -> float:
        return ordered[min(len(ordered) - 1, int(share * len(ordered)))] if ordered else float("nan")

    return {"requests": len(tasks), "p50": statistics.median(ordered) if ordered else float("nan"),
            "p99": percentile(0.99), "slowest": ordered[-1] if ordered else float("nan"),
            "non_2xx": len(failures), "errors": sorted({str(failure) for failure in failures})[:3]}


def fixed_rate(port: int, path: str, *, rate: float = 100, seconds: float = 10,
               headers: dict | None = None) -> dict:
    return asyncio.run(_fixed_rate(port, path, headers or {}, rate, seconds))
