"""A fake OpenAI-compatible embeddings server (``POST /v1/embeddings``), shaped as OpenAI's API
documents it: ``{"object": "list", "data": [{"object": "embedding", "index", "embedding"}],
"model", "usage"}``. Its vectors come from another model than the built-in encoder's (the
built-in vectors turned by a fixed random rotation into 384 dimensions), so similar texts stay
close while the vectors are plainly not the built-in ones."""

from __future__ import annotations

import asyncio
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any

import numpy as np
from aiohttp import web

from handlers.triage.embedding import builtin

DIMENSIONS = 384
ROTATION = np.random.default_rng(7).standard_normal((512, DIMENSIONS)).astype(np.float32)


@dataclass
class FakeEmbeddings:
    requests: list[dict[str, Any]] = field(default_factory=list)
    headers: list[dict[str, str]] = field(default_factory=list)
    # What to answer instead of embeddings: "500", "429", "not-json", "short", "hang".
    mode: str | None = None
    url: str = ""

    def app(self) -> web.Application:
        app = web.Application()
        app.router.add_post("/v1/embeddings", self._embeddings)
        return app

    async def _embeddings(self, request: web.Request) -> web.StreamResponse:
        body = await request.json()
        self.requests.append(body)
        self.headers.append(dict(request.headers))
        if self.mode == "500":
            return web.json_response({"error": {"message": "model overloaded"}}, status=500)
        if self.mode == "429":
            return web.json_response(
                {"error": {"message": "rate limit"}}, status=429, headers={"Retry-After": "1"}
            )
        if self.mode == "not-json":
            return web.Response(text="<html>gateway</html>", content_type="text/html")
        if self.mode == "hang":
            await asyncio.Event().wait()
        inputs = body["input"] if isinstance(body["input"], list) else [body["input"]]
        vectors = builtin().embed(inputs) @ ROTATION * 3.0  # not unit length, as real ones
        if self.mode == "short":
            vectors = vectors[:-1]
        data = [
            {"object": "embedding", "index": i, "embedding": [float(x) for x in row]}
            for i, row in enumerate(vectors)
        ]
        data.reverse()  # the API gives an index; the client must not rely on the order
        return web.json_response(
            {
                "object": "list",
                "data": data,
                "model": body["model"],
                "usage": {"prompt_tokens": 8 * len(inputs), "total_tokens": 8 * len(inputs)},
            }
        )


@contextmanager
def serving_in_a_thread(fake: FakeEmbeddings) -> Iterator[FakeEmbeddings]:
    """The fake on its own loop in a thread, for code that runs its own loop (the CLI)."""
    loop = asyncio.new_event_loop()
    runner = web.AppRunner(fake.app())
    started = threading.Event()

    def run() -> None:
        asyncio.set_event_loop(loop)
        loop.run_until_complete(runner.setup())
        site = web.TCPSite(runner, "127.0.0.1", 0)
        loop.run_until_complete(site.start())
        port = site._server.sockets[0].getsockname()[1]  # type: ignore[union-attr]
        fake.url = f"http://127.0.0.1:{port}"
        started.set()
        loop.run_forever()

    thread = threading.Thread(target=run, daemon=True)
    thread.start()
    started.wait(10)
    try:
        yield fake
    finally:
        asyncio.run_coroutine_threadsafe(runner.cleanup(), loop).result(10)
        loop.call_soon_threadsafe(loop.stop)
        thread.join(10)
        loop.close()
