"""The application: builds every part once and mounts the adapters on one aiohttp server."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
import time
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass, field
from datetime import timedelta
from typing import Any

from aiohttp import web
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncEngine

from adapters import registry
from adapters.base import Platform, PlatformDeps
from adapters.embeddings.client import endpoint_from_environment
from adapters.trackers.registry import build_tracker
from adapters.trackers.webhooks import TrackerWebhooks
from bot.kernel.clock import Clock, SystemClock
from bot.kernel.ports import Sender
from bot.kernel.settings import Settings, load_settings
from bot.runtime.delivery import DeliveryWorker
from bot.runtime.metrics import CONTENT_TYPE, Metrics
from bot.runtime.pipeline import Pipeline
from bot.runtime.scheduler import Scheduler
from bot.runtime.tracker_jobs import TrackerJobs
from bot.runtime.workers import Workers
from handlers.context import Defaults, Services
from handlers.team import seed_demo
from handlers.triage import Triager, default_triager
from handlers.triage.service import RemoteEmbedder, TriageService
from storage import migrate
from storage.db import create_engine, create_sessionmaker, is_sqlite
from storage.repositories import Database

log = logging.getLogger(__name__)


@dataclass
class Runtime:
    """Every long-lived part of a running Heatshield, built once from the settings."""

    settings: Settings
    engine: AsyncEngine
    db: Database
    services: Services
    pipeline: Pipeline
    worker: DeliveryWorker
    scheduler: Scheduler
    workers: Workers
    store_engine: AsyncEngine
    platform_deps: PlatformDeps  # what each adapter was built from (tests build more)
    trackers: TrackerJobs  # creates approved requests in the workspaces' trackers
    senders: dict[str, Sender] = field(default_factory=dict)
    platforms: list[Platform] = field(default_factory=list)


def build_runtime(
    settings: Settings,
    *,
    clock: Clock | None = None,
    triager: Triager | None = None,
    embeddings: RemoteEmbedder | None = None,
) -> Runtime:
    """Every part, once; ``embeddings`` overrides the endpoint the environment configures."""
    clock = clock or SystemClock()
    engine = create_engine(settings.database_url)
    db = Database(create_sessionmaker(engine))
    if triager is None:
        triager = configured_model(settings)
        embeddings = embeddings or endpoint_from_environment()
    services = Services(
        clock=clock,
        triage=TriageService(triager, embeddings),
        defaults=Defaults(
            language=settings.default_language,
            timezone=settings.default_timezone,
            review_times=settings.default_review_times,
        ),
    )
    senders: dict[str, Sender] = {}
    metrics = Metrics()
    worker = DeliveryWorker(
        db,
        senders,
        clock,
        give_up_after=timedelta(hours=settings.outbox_give_up_hours),
        metrics=metrics,
    )
    trackers = TrackerJobs(
        db,
        services,
        lambda tracker: build_tracker(tracker, os.environ),
        on_outbox=worker.wake,
        allowed_hosts=settings.tracker_hosts.split(","),
    )
    # Acks store inbound events through a small pool of their own, never behind the workers.
    store_engine = create_engine(settings.database_url, **_small_pool(settings))

    def after_handling() -> None:
        worker.wake()
        trackers.wake()

    pipeline = Pipeline(
        db,
        services,
        on_outbox=after_handling,
        store_db=Database(create_sessionmaker(store_engine), urgent=True),
        metrics=metrics,
    )
    workers = Workers(
        pipeline,
        count=settings.workers,
        batch=settings.handling_batch,
        prefetch=services.triage.prefetch,
    )
    pipeline.on_stored = workers.wake
    scheduler = Scheduler(db, services, settings.scheduler_tick_seconds, metrics)
    deps = PlatformDeps(settings, engine, db, services, pipeline, worker.deliver_due)
    runtime = Runtime(
        settings, engine, db, services, pipeline, worker, scheduler, workers, store_engine, deps,
        trackers, senders,
    )  # fmt: skip
    for factory in registry.PLATFORMS:
        platform = factory(deps)
        if platform is not None:
            runtime.platforms.append(platform)
            senders[platform.name] = platform.sender
    return runtime


def _small_pool(settings: Settings) -> dict[str, Any]:
    if is_sqlite(settings.database_url):
        return {}
    # No ping before each use: at thousands of acks a second it would double the round trips,
    # and a connection found broken is answered 500 (the platform delivers again) and dropped
    # with the rest of the pool by SQLAlchemy's disconnect handling.
    return {"pool_size": settings.store_connections, "max_overflow": 0, "pool_pre_ping": False}


def configured_model(settings: Settings) -> Triager:
    """The triager with the model file HEATSHIELD_TRIAGE_MODEL names, else the shipped one."""
    if settings.triage_model:
        return Triager(model_path=settings.triage_model)
    return default_triager()


def configured_triager(
    settings: Settings | None = None,
) -> tuple[Triager, RemoteEmbedder | None]:
    """The triager with the configured model file, and the embeddings endpoint if any."""
    return configured_model(settings or load_settings()), endpoint_from_environment()


async def prepare(runtime: Runtime, *, upgrade: bool = True, warm: bool = False) -> None:
    """Bring the schema up to date and create the demo workspace on a first start."""
    if upgrade:
        await migrate.upgrade(runtime.engine)
    if warm:
        # Load the triage model and the encoder before the first request, off the event loop.
        await runtime.services.triage.load()
    if runtime.settings.playground and runtime.settings.demo_workspace:
        async with runtime.db.transaction() as uow:
            await uow.exclusively("heatshield:seed-demo")
            if await seed_demo(uow, runtime.services.defaults, runtime.services.clock.now()):
                log.info("Created the playground's demo workspace 'demo'")


def create_app(runtime: Runtime, *, background: bool = True) -> web.Application:
    """The aiohttp app; `background` starts the delivery worker and the scheduler with it."""
    app = web.Application(client_max_size=1024 * 1024, middlewares=[_errors_as_json])
    app.router.add_get("/healthz", _healthz(runtime))
    app.router.add_get("/metrics", _metrics(runtime))
    for platform in runtime.platforms:
        platform.mount(app)
    TrackerWebhooks(runtime.db, runtime.pipeline, runtime.services.clock).mount(app)
    if background:
        app.cleanup_ctx.append(_background(runtime))
    app.on_cleanup.append(_dispose(runtime))
    return app


Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]


@web.middleware
async def _errors_as_json(request: web.Request, handler: Handler) -> web.StreamResponse:
    """An unexpected error is logged and answered with a plain 500, never a traceback page."""
    try:
        return await handler(request)
    except web.HTTPException:
        raise
    except Exception:
        log.exception("Unhandled error on %s %s", request.method, request.path)
        return web.json_response(
            {"error": "internal error; nothing you sent was lost, please try again"}, status=500
        )


def _healthz(runtime: Runtime) -> Handler:
    async def healthz(_: web.Request) -> web.Response:
        try:
            async with runtime.engine.connect() as connection:
                await connection.execute(text("SELECT 1"))
        except Exception as exc:
            log.warning("Health check: database unreachable: %s", exc)
            body = {"status": "unavailable", "database": "unreachable"}
            return web.json_response(body, status=503)
        return web.json_response({"status": "ok", "database": "ok"})

    return healthz


def _metrics(runtime: Runtime) -> Handler:
    async def metrics(_: web.Request) -> web.Response:
        async def refresh(m: Metrics) -> None:
            async with runtime.db.read() as uow:
                counts = await uow.inbound.counts()
                pending = await uow.outbox.pending_count()
            for status in ("pending", "working"):
                m.waiting.labels(status).set(counts.get(status, 0))
            m.outbox_pending.set(pending)

        body = await runtime.pipeline.metrics.render(refresh)
        return web.Response(body=body, headers={"Content-Type": CONTENT_TYPE})

    return metrics


def _background(runtime: Runtime) -> Callable[[web.Application], AsyncIterator[None]]:
    async def background(_: web.Application) -> AsyncIterator[None]:
        role = runtime.settings.role
        worker = None
        tracker_task = None
        warming = None
        if role != "receive":
            worker = asyncio.create_task(
                runtime.worker.run(runtime.settings.outbox_poll_seconds), name="outbox-delivery"
            )
            tracker_task = asyncio.create_task(
                runtime.trackers.run(runtime.settings.outbox_poll_seconds), name="tracker-jobs"
            )
            runtime.workers.start()
            runtime.scheduler.start()
            warming = asyncio.create_task(_warm_indexes(runtime), name="duplicate-indexes")
        for platform in runtime.platforms:
            await platform.start()
        yield
        # The HTTP server has stopped taking requests by now (aiohttp's cleanup comes after).
        runtime.scheduler.stop()
        runtime.trackers.stop()
        await runtime.pipeline.store.close()
        if warming is not None and not warming.done():
            warming.cancel()
            await asyncio.gather(warming, return_exceptions=True)
        if tracker_task is not None:
            await asyncio.gather(tracker_task, return_exceptions=True)
        if worker is not None:
            await _finish(runtime, worker)
        for platform in runtime.platforms:  # their senders were needed until here
            await platform.stop()

    return background


async def _warm_indexes(runtime: Runtime) -> None:
    try:
        await runtime.pipeline.warm_every_index()
    except Exception:  # each is loaded before its first request instead
        log.exception("Warming the duplicate indexes failed")


async def _finish(runtime: Runtime, delivery: asyncio.Task[None]) -> None:
    """Stopping (SIGTERM): finish the claimed events within the grace period, deliver what
    they wrote, and give the rest back; another replica (or the next start) goes on."""
    deadline = time.monotonic() + runtime.settings.stop_grace_seconds
    await runtime.workers.stop(runtime.settings.stop_grace_seconds)
    runtime.worker.stop()  # after the pass under way: one cut off leaves its sends unmarked
    try:
        await asyncio.wait_for(
            asyncio.shield(delivery), timeout=max(0.0, deadline - time.monotonic())
        )
    except TimeoutError:
        delivery.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await delivery
    left = deadline - time.monotonic()
    if left > 0:
        try:
            await asyncio.wait_for(runtime.worker.deliver_due(), timeout=left)
        except TimeoutError:
            log.info("Stopped delivering; the outbox keeps the rest for the next sender")
        except Exception as exc:  # the outbox keeps what failed; the next sender goes on
            log.warning("Delivering before stopping failed: %s", exc)


def _dispose(runtime: Runtime) -> Callable[[web.Application], Awaitable[None]]:
    async def dispose(_: web.Application) -> None:
        await runtime.services.triage.close()
        await runtime.store_engine.dispose()
        await runtime.engine.dispose()

    return dispose
