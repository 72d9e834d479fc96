"""Throttling: bodies over their size limit refused however they are sent, and per-client rate limits."""

from __future__ import annotations

import ipaddress
import logging
import math
import time
from dataclasses import dataclass

import limits
import limits.storage
import limits.strategies
from flask import Flask, Request, request
from gunicorn.http.errors import ParseException
from werkzeug.exceptions import RequestEntityTooLarge
from werkzeug.middleware.proxy_fix import ProxyFix

from .config import ConfigError, Settings
from .errors import ApiError

log = logging.getLogger(__name__)

OFF = "off"
NO_EXEMPTIONS = "none"
WRITE_METHODS = frozenset({"PUT", "POST", "PATCH", "DELETE"})
ASK_ENDPOINT = "api.ask"
# A reader's vote on an answer is limited like a question (QA_RATE_LIMIT_ASK), in a count of its own.
FEEDBACK_ENDPOINT = "insights.feedback"
STORAGE_WARNING_SECONDS = 60.0


class BodyLimitedRequest(Request):
    """A request whose body over `max_content_length` is refused with 413, with or without Content-Length."""

    def get_data(self, cache: bool = True, as_text: bool = False, parse_form_data: bool = False) -> bytes | str:
        limit = self.max_content_length
        try:
            data = super().get_data(cache=cache, as_text=False, parse_form_data=parse_form_data)
            # Werkzeug refuses a Content-Length over the limit, but cuts a body streamed without one (chunked) at
            # the limit and hands on the first part as if it were whole. A byte still unread there means it was
            # longer.
            if (self.content_length is None and limit is not None and len(data) >= limit
                    and self.environ["wsgi.input"].read(1)):
                raise RequestEntityTooLarge()
        except ParseException as error:
            # gunicorn reads a chunked body as the app reads it, so broken chunks are found here, not by its parser.
            raise ApiError(400, "malformed_chunked_body",
                           f"The request body's chunks are malformed: {error}.") from None
        return data.decode(errors="replace") if as_text else data


@dataclass
class RateLimits:
    """Limits per kind of request ("ask", "feedback", "write"): per client address (429) and for all clients
    together (503)."""

    per_client: dict[str, list[limits.RateLimitItem]]
    all_clients: dict[str, list[limits.RateLimitItem]]
    strategy: limits.strategies.MovingWindowRateLimiter
    exempt: tuple[ipaddress.IPv4Network | ipaddress.IPv6Network, ...]
    storage_warned_at: float = float("-inf")

    @classmethod
    def from_settings(cls, settings: Settings) -> RateLimits:
        per_client = {kind: parse_limits(name, value) for kind, name, value in (
            ("ask", "QA_RATE_LIMIT_ASK", settings.qa_rate_limit_ask),
            ("feedback", "QA_RATE_LIMIT_ASK", settings.qa_rate_limit_ask),
            ("write", "QA_RATE_LIMIT_WRITE", settings.qa_rate_limit_write),
        )}
        all_clients = {"ask": parse_limits("QA_RATE_LIMIT_ASK_TOTAL", settings.qa_rate_limit_ask_total),
                       "feedback": [], "write": []}
        try:
            storage = limits.storage.storage_from_string(settings.qa_rate_limit_storage)
        except Exception as exc:  # the limits package raises several kinds for a bad URI or a missing driver
            raise ConfigError(f"QA_RATE_LIMIT_STORAGE={settings.qa_rate_limit_storage!r} cannot be used: "
                              f"{exc}") from exc
        return cls(per_client, all_clients, limits.strategies.MovingWindowRateLimiter(storage),
                   parse_networks(settings.qa_rate_limit_exempt))

    def kind_of_request(self) -> str | None:
        if request.url_rule is None:
            return None
        if request.endpoint == ASK_ENDPOINT:
            return "ask"
        if request.endpoint == FEEDBACK_ENDPOINT:
            return "feedback"
        return "write" if request.method in WRITE_METHODS else None

    def is_exempt(self, address: str | None) -> bool:
        try:
            ip = ipaddress.ip_address(address or "")
        except ValueError:
            return False
        return any(ip in network for network in self.exempt)

    def check(self) -> None:
        """Count this request; raise a 429 ApiError when its client's limit is used up, a 503 when everyone's is."""
        kind = self.kind_of_request()
        if kind is None:
            return
        if not self.is_exempt(request.remote_addr):
            client = request.remote_addr or "unknown"
            self.count(self.per_client[kind], (kind, client), 429, "rate_limited",
                       f"Too many {kind} requests from your address")
        # Capacity is the same whoever asks: exempt clients count here too.
        self.count(self.all_clients[kind], (kind, "all clients"), 503, "overloaded",
                   f"The service is taking all the {kind} requests it can")

    def count(self, items: list[limits.RateLimitItem], key: tuple[str, str], status: int, code: str,
              reason: str) -> None:
        for item in items:
            try:
                allowed = self.strategy.hit(item, "qa", *key)
            except self.strategy.storage.base_exceptions:
                # Asking matters more than throttling: without the shared storage, requests go through.
                self.storage_unavailable()
                return
            if not allowed:
                reset_at = self.strategy.get_window_stats(item, "qa", *key).reset_time
                retry_after = max(1, math.ceil(reset_at - time.time()))
                raise ApiError(status, code, f"{reason}: the limit is {item}. Try again in {retry_after} seconds.",
                               {"Retry-After": str(retry_after)})

    def storage_unavailable(self) -> None:
        # One line a minute is enough to say the storage is down; one per request would flood the log.
        now = time.monotonic()
        if now - self.storage_warned_at >= STORAGE_WARNING_SECONDS:
            self.storage_warned_at = now
            log.warning("rate limit storage unreachable: requests are not rate limited until it is back",
                        exc_info=True)


def parse_limits(name: str, value: str) -> list[limits.RateLimitItem]:
    if value.strip().lower() == OFF:
        return []
    try:
        return limits.parse_many(value)
    except ValueError as exc:
        raise ConfigError(f"{name}={value!r} is not a rate limit such as '120/minute' or "
                          f"'10/second;120/minute', or '{OFF}'") from exc


def parse_networks(value: str) -> tuple[ipaddress.IPv4Network | ipaddress.IPv6Network, ...]:
    if value.strip().lower() == NO_EXEMPTIONS:
        return ()
    try:
        return tuple(ipaddress.ip_network(entry.strip(), strict=False) for entry in value.split(",")
                     if entry.strip())
    except ValueError as exc:
        raise ConfigError(f"QA_RATE_LIMIT_EXEMPT={value!r} is not a comma-separated list of addresses or "
                          f"networks, or '{NO_EXEMPTIONS}'") from exc


def init_app(app: Flask, settings: Settings) -> None:
    if settings.qa_proxy_hops < 0:
        raise ConfigError(f"QA_PROXY_HOPS must not be negative, not {settings.qa_proxy_hops}")
    if settings.qa_proxy_hops:
        # Behind proxies every request comes from the nearest one; the client is in X-Forwarded-For, which only
        # the configured number of trusted proxies may set (anything further left is the client's own claim).
        app.wsgi_app = ProxyFix(app.wsgi_app, x_for=settings.qa_proxy_hops)
    app.request_class = BodyLimitedRequest
    app.before_request(RateLimits.from_settings(settings).check)
