"""The access log keeps what happens and drops the page's and the probes' polling to DEBUG."""

from __future__ import annotations

import logging

import pytest
from aiohttp import web
from aiohttp.test_utils import make_mocked_request
from aiohttp.web_log import AccessLogger

from bot.runtime.access_log import QuietPollsAccessLogger

LOGGER = "aiohttp.access"


def logged(method: str, path: str, status: int, caplog: pytest.LogCaptureFixture) -> list[int]:
    caplog.clear()
    access = QuietPollsAccessLogger(logging.getLogger(LOGGER), AccessLogger.LOG_FORMAT)
    access.log(make_mocked_request(method, path), web.Response(status=status), 0.001)
    return [record.levelno for record in caplog.records if record.name == LOGGER]


@pytest.mark.parametrize(
    "path", ["/playground/api/inbox?workspace=demo&user=anna&after=12", "/healthz", "/metrics"]
)
def test_a_poll_that_went_well_is_logged_at_debug_only(
    path: str, caplog: pytest.LogCaptureFixture
) -> None:
    with caplog.at_level(logging.DEBUG, logger=LOGGER):
        assert logged("GET", path, 200, caplog) == [logging.DEBUG]
    with caplog.at_level(logging.INFO, logger=LOGGER):
        assert logged("GET", path, 200, caplog) == []


@pytest.mark.parametrize(
    ("method", "path", "status"),
    [
        ("POST", "/playground/api/messages", 200),  # what a person does
        ("POST", "/slack/events", 200),
        ("GET", "/playground/api/inbox?user=nobody", 404),  # a poll that went wrong
        ("GET", "/healthz", 503),
        ("GET", "/playground", 200),  # the page itself
    ],
)
def test_everything_else_is_logged_at_info(
    method: str, path: str, status: int, caplog: pytest.LogCaptureFixture
) -> None:
    with caplog.at_level(logging.INFO, logger=LOGGER):
        assert logged(method, path, status, caplog) == [logging.INFO]


def test_the_jira_webhooks_secret_in_its_query_is_never_logged(
    caplog: pytest.LogCaptureFixture,
) -> None:
    with caplog.at_level(logging.INFO, logger=LOGGER):
        assert logged("POST", "/trackers/jira/webhook?secret=s3cr3t-hook", 200, caplog) == [
            logging.INFO
        ]
    [record] = [r for r in caplog.records if r.name == LOGGER]
    assert "/trackers/jira/webhook" in record.getMessage()
    assert "s3cr3t" not in record.getMessage()
