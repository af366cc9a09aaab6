"""The embeddings endpoint over real HTTP against a fake OpenAI-compatible server: what is sent,
what comes back, and that a failing endpoint never loses a request."""

from __future__ import annotations

import asyncio
import itertools
from collections.abc import AsyncIterator

import numpy as np
import pytest
from aiohttp.test_utils import TestClient, TestServer
from click.testing import CliRunner

from adapters.embeddings.client import EmbeddingsError, EndpointEmbedder
from adapters.embeddings.settings import EmbeddingsSettings, load_embeddings_settings
from bot.cli import main
from bot.kernel.clock import FakeClock
from bot.kernel.errors import ConfigurationError
from bot.kernel.events import ConversationRef, MessageEvent, PersonInfo
from bot.kernel.settings import load_settings
from bot.runtime.app import build_runtime, create_app, prepare
from handlers.triage import default_triager
from handlers.triage.embedding import BUILTIN_MODEL
from handlers.triage.service import COOLDOWN_SECONDS, TriageService
from tests import state
from tests.adapters.embeddings_fake import DIMENSIONS, FakeEmbeddings, serving_in_a_thread
from tests.playground import Playground

MODEL = "text-embedding-3-large"
FIRST = "The invoice PDF shows the wrong company bank account."
SAME = "De factuur-pdf toont de verkeerde bankrekening van ons bedrijf."


@pytest.fixture
async def fake() -> AsyncIterator[FakeEmbeddings]:
    server = FakeEmbeddings()
    async with TestClient(TestServer(server.app())) as client:
        server.url = str(client.make_url("")).rstrip("/")
        yield server


def settings_for(fake: FakeEmbeddings, **overrides: object) -> EmbeddingsSettings:
    values: dict[str, object] = {"url": fake.url, "model": MODEL, "api_key": "sk-test"}
    values.update(overrides)
    return load_embeddings_settings(**values)


async def test_texts_go_out_in_batches_and_come_back_as_unit_vectors_in_order(
    fake: FakeEmbeddings,
) -> None:
    embedder = EndpointEmbedder(settings_for(fake, batch_size=2))
    try:
        vectors = await embedder.embed([FIRST, "", SAME])
    finally:
        await embedder.close()

    assert vectors.shape == (3, DIMENSIONS)
    assert [body["input"] for body in fake.requests] == [[FIRST], [SAME]]
    assert all(body["model"] == MODEL for body in fake.requests)
    assert all(body["encoding_format"] == "float" for body in fake.requests)
    assert fake.headers[0]["Authorization"] == "Bearer sk-test"
    assert np.allclose(np.linalg.norm(vectors[[0, 2]], axis=1), 1.0, atol=1e-5)
    assert not vectors[1].any(), "an empty text is not sent and gets the zero vector"
    assert float(vectors[0] @ vectors[2]) > 0.5, "the answer's index order was kept"


async def test_azure_takes_its_key_in_an_api_key_header(fake: FakeEmbeddings) -> None:
    embedder = EndpointEmbedder(settings_for(fake, api_key_header="api-key", dimensions=256))
    try:
        await embedder.embed([FIRST])
    finally:
        await embedder.close()
    assert fake.headers[0]["api-key"] == "sk-test"
    assert "Authorization" not in fake.headers[0]
    assert fake.requests[0]["dimensions"] == 256


@pytest.mark.parametrize(
    ("mode", "problem"),
    [
        ("500", "HTTP 500"),
        ("429", "HTTP 429"),
        ("not-json", "not JSON"),
        ("short", "expected 2 embeddings"),
    ],
)
async def test_a_bad_answer_is_a_clear_error(fake: FakeEmbeddings, mode: str, problem: str) -> None:
    fake.mode = mode
    embedder = EndpointEmbedder(settings_for(fake))
    try:
        with pytest.raises(EmbeddingsError, match=problem):
            await embedder.embed([FIRST, SAME])
    finally:
        await embedder.close()


def test_the_settings_name_what_is_missing_or_wrong() -> None:
    with pytest.raises(ConfigurationError, match="HEATSHIELD_EMBEDDINGS_MODEL"):
        load_embeddings_settings(url="http://127.0.0.1:8080")
    with pytest.raises(ConfigurationError, match="HEATSHIELD_EMBEDDINGS_URL"):
        load_embeddings_settings(url="ftp://example.org", model="m")
    assert not load_embeddings_settings().configured
    endpoints = {
        "http://tei:8080": "http://tei:8080/v1/embeddings",
        "https://api.openai.com/v1": "https://api.openai.com/v1/embeddings",
        "http://ollama:11434/v1/": "http://ollama:11434/v1/embeddings",
        "https://x.openai.azure.com/openai/deployments/emb/embeddings?api-version=2024-10-21": (
            "https://x.openai.azure.com/openai/deployments/emb/embeddings?api-version=2024-10-21"
        ),
    }
    for url, endpoint in endpoints.items():
        assert load_embeddings_settings(url=url, model="m").endpoint == endpoint


async def test_a_failing_endpoint_falls_back_and_is_left_alone_for_a_while(
    fake: FakeEmbeddings,
) -> None:
    now = itertools.count(0.0, 1.0)
    moment = [0.0]
    embedder = EndpointEmbedder(settings_for(fake))
    service = TriageService(default_triager(), embedder, monotonic=lambda: moment[0])
    try:
        [ok] = await service.vectors([FIRST])
        assert ok.similarity_model == f"endpoint:{MODEL}" and len(ok.similarity) == DIMENSIONS

        fake.mode = "500"
        [fallback] = await service.vectors([FIRST])
        assert fallback.similarity_model == BUILTIN_MODEL
        calls = len(fake.requests)
        moment[0] = COOLDOWN_SECONDS - 1
        await service.vectors([SAME])
        assert len(fake.requests) == calls, "resting: the endpoint is not asked"

        fake.mode = None
        moment[0] = COOLDOWN_SECONDS + next(now)
        [again] = await service.vectors([SAME])
        assert again.similarity_model == f"endpoint:{MODEL}"
    finally:
        await service.close()


async def test_a_timeout_falls_back_too(fake: FakeEmbeddings) -> None:
    fake.mode = "hang"
    service = TriageService(
        default_triager(), EndpointEmbedder(settings_for(fake, timeout_seconds=0.2))
    )
    try:
        [vectors] = await service.vectors([FIRST])
    finally:
        await service.close()
    assert vectors.similarity_model == BUILTIN_MODEL


async def test_intake_compares_requests_in_the_endpoint_model_and_survives_its_outage(
    fake: FakeEmbeddings, database_url: str, clock: FakeClock
) -> None:
    runtime = build_runtime(
        load_settings(database_url=database_url, playground=True, demo_workspace=True),
        clock=clock,
        embeddings=EndpointEmbedder(settings_for(fake)),
    )
    await prepare(runtime, upgrade=False)
    async with TestClient(TestServer(create_app(runtime, background=False))) as http:
        client = Playground(http)
        await client.say("anna", FIRST)
        await client.say("ben", SAME)
        first, second = await state.items(runtime)
        assert first.embedding_model == second.embedding_model == f"endpoint:{MODEL}"
        assert len(first.embedding or b"") == DIMENSIONS * 4, "float32 bytes"
        assert second.duplicate_of_id == first.id or second.check_of_id == first.id

        fake.mode = "500"
        await client.say("carl", "Hoe vraag ik een parkeerplaats aan op kantoor?")
        third = (await state.items(runtime))[-1]
        assert third.embedding_model == BUILTIN_MODEL, "taken with the built-in encoder"
        assert "parkeerplaats" in third.request.text
    await runtime.services.triage.close()
    await runtime.engine.dispose()


async def _two_requests(database_url: str) -> None:
    runtime = build_runtime(load_settings(database_url=database_url, demo_workspace=True))
    await prepare(runtime, upgrade=False)
    for user, request in (("anna", FIRST), ("ben", SAME)):
        await runtime.pipeline.receive(
            MessageEvent(
                conversation=ConversationRef(
                    platform="playground", workspace="demo", channel=f"@{user}", user=user
                ),
                sender=PersonInfo(user_id=user),
                text=request,
                idempotency_key=f"reembed-{user}",
            )
        )
    await runtime.engine.dispose()


def test_reembed_moves_every_stored_embedding_to_the_endpoint_model(
    database_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("HEATSHIELD_DATABASE_URL", database_url)
    asyncio.run(_two_requests(database_url))
    runner = CliRunner()

    with serving_in_a_thread(FakeEmbeddings()) as fake:
        monkeypatch.setenv("HEATSHIELD_EMBEDDINGS_URL", fake.url)
        monkeypatch.setenv("HEATSHIELD_EMBEDDINGS_MODEL", MODEL)
        result = runner.invoke(main, ["triage", "reembed"])
        assert result.exit_code == 0, result.output
        assert f"Re-embedded 2 items with endpoint:{MODEL}." in result.output
        result = runner.invoke(main, ["triage", "reembed"])
        assert "Re-embedded 0 items" in result.output

        fake.mode = "500"
        monkeypatch.setenv("HEATSHIELD_EMBEDDINGS_MODEL", "another-model")
        result = runner.invoke(main, ["triage", "reembed"])
        assert result.exit_code != 0
        assert "did not answer; 0 items were re-embedded" in result.output
