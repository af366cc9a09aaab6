"""With an app id, /api/messages takes only requests with a valid Bot Framework token."""

from __future__ import annotations

import json
import threading
import time
from collections.abc import AsyncIterator, Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import jwt
import pytest
from aiohttp import web
from aiohttp.test_utils import TestClient, TestServer
from cryptography.hazmat.primitives.asymmetric import rsa
from jwt.algorithms import RSAAlgorithm

from adapters.teams.app import bot_authentication
from adapters.teams.platform import TeamsPlatform
from adapters.teams.settings import load_teams_settings
from bot.kernel.clock import FakeClock
from bot.kernel.settings import load_settings
from bot.runtime.app import Runtime, build_runtime, create_app
from storage.models import InboundRecord
from tests import state
from tests.adapters.teams.conftest import FakeConnector, activity

APP_ID = "0b1c2d3e-4f50-4a6b-8c7d-9e0f1a2b3c4d"
ISSUER = "https://api.botframework.com"


def key() -> rsa.RSAPrivateKey:
    return rsa.generate_private_key(public_exponent=65537, key_size=2048)


class OpenIdServer:
    """Microsoft's OpenID metadata and signing keys, served locally from a thread (the SDK
    fetches them with the blocking `requests` library, so not from the test's event loop)."""

    def __init__(self, signing_key: rsa.RSAPrivateKey) -> None:
        jwk = json.loads(RSAAlgorithm.to_jwk(signing_key.public_key()))
        jwk.update(kid="test-key", use="sig", endorsements=["msteams"])
        documents: dict[str, Any] = {"/keys": {"keys": [jwk]}}

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self) -> None:
                body = documents.get(self.path)
                if body is None:
                    self.send_error(404)
                    return
                data = json.dumps(body).encode()
                self.send_response(200)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

            def log_message(self, *_: Any) -> None:
                return None

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        base = f"http://127.0.0.1:{self.server.server_address[1]}"
        documents["/metadata"] = {"issuer": ISSUER, "jwks_uri": f"{base}/keys"}
        self.metadata_url = f"{base}/metadata"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()


def token(signing_key: rsa.RSAPrivateKey, service_url: str, **claims: Any) -> str:
    now = int(time.time())
    payload = {
        "iss": ISSUER,
        "aud": APP_ID,
        "serviceurl": service_url,
        "nbf": now - 10,
        "exp": now + 3600,
        **claims,
    }
    return jwt.encode(payload, signing_key, algorithm="RS256", headers={"kid": "test-key"})


@pytest.fixture(scope="module")
def signing_key() -> rsa.RSAPrivateKey:
    return key()


@pytest.fixture
def openid(signing_key: rsa.RSAPrivateKey) -> Iterator[OpenIdServer]:
    server = OpenIdServer(signing_key)
    yield server
    server.close()


@pytest.fixture
async def secured(runtime: Runtime, openid: OpenIdServer) -> AsyncIterator[TestClient]:  # type: ignore[type-arg]
    """The Teams endpoint with an app id, checking tokens against the local keys."""
    settings = load_teams_settings(id=APP_ID, password="secret", type="MultiTenant")
    platform = TeamsPlatform(
        runtime.platform_deps,
        settings,
        authentication=bot_authentication(settings, openid_metadata_url=openid.metadata_url),
    )
    app = web.Application()
    platform.mount(app)
    async with TestClient(TestServer(app)) as http:
        yield http


async def post(http: TestClient, service_url: str, headers: dict[str, str]) -> int:  # type: ignore[type-arg]
    body = activity("personal_message", serviceUrl=service_url)
    response = await http.post("/api/messages", json=body, headers=headers)
    return response.status


async def test_a_token_signed_with_the_channels_key_is_accepted(
    secured: TestClient,  # type: ignore[type-arg]
    signing_key: rsa.RSAPrivateKey,
    connector: FakeConnector,
    runtime: Runtime,
) -> None:
    bearer = token(signing_key, connector.service_url)

    status = await post(secured, connector.service_url, {"Authorization": f"Bearer {bearer}"})

    assert status == 200
    assert await state.count(runtime, InboundRecord) == 1
    await runtime.workers.drain()
    assert len(await state.items(runtime)) == 1


@pytest.mark.parametrize(
    "problem",
    ["other key", "other audience", "other issuer", "other service url", "expired"],
)
async def test_a_forged_token_is_refused_and_nothing_is_stored(
    secured: TestClient,  # type: ignore[type-arg]
    signing_key: rsa.RSAPrivateKey,
    connector: FakeConnector,
    runtime: Runtime,
    problem: str,
) -> None:
    url = connector.service_url
    bearer = {
        "other key": lambda: token(key(), url),
        "other audience": lambda: token(signing_key, url, aud="someone-else"),
        "other issuer": lambda: token(signing_key, url, iss="https://evil.example"),
        "other service url": lambda: token(signing_key, "https://evil.example/"),
        "expired": lambda: token(signing_key, url, exp=int(time.time()) - 3600),
    }[problem]()

    status = await post(secured, url, {"Authorization": f"Bearer {bearer}"})

    assert status == 401
    assert await state.count(runtime, InboundRecord) == 0


@pytest.fixture
async def configured(
    database_url: str, clock: FakeClock, monkeypatch: pytest.MonkeyPatch
) -> AsyncIterator[tuple[TestClient, Runtime]]:  # type: ignore[type-arg]
    """The whole app as `serve` builds it, with MICROSOFT_APP_* in the environment."""
    monkeypatch.setenv("MICROSOFT_APP_ID", APP_ID)
    monkeypatch.setenv("MICROSOFT_APP_PASSWORD", "secret")
    monkeypatch.setenv("MICROSOFT_APP_TYPE", "SingleTenant")
    monkeypatch.setenv("MICROSOFT_APP_TENANT_ID", "72f988bf-86f1-41af-91ab-2d7cd011db47")
    runtime = build_runtime(load_settings(database_url=database_url), clock=clock)
    async with TestClient(TestServer(create_app(runtime, background=False))) as http:
        yield http, runtime


@pytest.mark.parametrize(
    "authorization",
    [None, "", "Bearer", "Bearer not-a-jwt", "Basic dXNlcjpwYXNz", "Bearer a.b.c"],
)
async def test_with_an_app_id_a_missing_or_bad_token_is_refused(
    configured: tuple[TestClient, Runtime],  # type: ignore[type-arg]
    connector: FakeConnector,
    authorization: str | None,
) -> None:
    http, runtime = configured
    headers = {} if authorization is None else {"Authorization": authorization}

    status = await post(http, connector.service_url, headers)

    assert status == 401
    assert await state.count(runtime, InboundRecord) == 0
    assert connector.calls == []
