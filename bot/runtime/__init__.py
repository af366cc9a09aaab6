"""The runtime: composes storage, handlers and adapters into a running server (the aiohttp app,
the pipeline and its workers, delivery, the scheduler)."""
