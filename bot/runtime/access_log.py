"""The HTTP access log, without a line for each time a page or a probe only looked again.

The playground page asks for its inbox every 1.5 s, and orchestrators and Prometheus ask for
/healthz and /metrics: at INFO those lines would hide what happens. They go to DEBUG; anything
else, and any answer of 400 or more to them, is logged as aiohttp logs it.
"""

from __future__ import annotations

from aiohttp import web
from aiohttp.web_log import AccessLogger

POLLED = frozenset({"/playground/api/inbox", "/healthz", "/metrics"})
SECRET_IN_QUERY = "/trackers/"


class QuietPollsAccessLogger(AccessLogger):
    def log(self, request: web.BaseRequest, response: web.StreamResponse, time: float) -> None:
        if request.method == "GET" and request.path in POLLED and response.status < 400:
            self.logger.debug("%s %s %s", request.method, request.path_qs, response.status)
            return
        if request.path.startswith(SECRET_IN_QUERY) and request.query_string:
            # Jira's webhook carries its shared secret in the query: never in the log.
            self.logger.info(
                '%s "%s %s" %s', request.remote, request.method, request.path, response.status
            )
            return
        super().log(request, response, time)
