"""Streamable HTTP transport with the protections a code server needs.

- Binds 127.0.0.1 unless told otherwise; any other address requires a bearer token, since
  the server reads source code.
- With a token, every request must carry ``Authorization: Bearer <token>`` (the scheme in any
  case, as RFC 9110 says; the token compared in constant time); others get 401.
- Host and Origin headers are checked against the bound address (and ``allowed_origins``),
  which defeats DNS rebinding: a web page cannot reach the server through a name it controls.
- Request bodies are limited in size (413 beyond).
"""

from __future__ import annotations

import hmac
import ipaddress
import json
import logging
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:  # the MCP SDK and starlette load in a second: only a server needs them
    from mcp.server.mcpserver import MCPServer
    from mcp.server.transport_security import TransportSecuritySettings
    from starlette.types import ASGIApp, Receive, Scope, Send

log = logging.getLogger(__name__)

TOKEN_ENV = "REPOLENS_TOKEN"
DEFAULT_MAX_BODY_BYTES = 1_000_000
MCP_PATH = "/mcp"


class HttpConfigError(ValueError):
    """The HTTP options are unsafe or malformed; the message says what to change."""


@dataclass(frozen=True, slots=True)
class HttpOptions:
    host: str = "127.0.0.1"
    port: int = 8765
    token: str | None = None
    allowed_origins: tuple[str, ...] = ()
    allowed_hosts: tuple[str, ...] = ()
    """Extra Host header values (e.g. a reverse proxy's public name)."""
    max_body_bytes: int = DEFAULT_MAX_BODY_BYTES
    extra: dict[str, Any] = field(default_factory=dict)


def parse_address(text: str) -> tuple[str, int]:
    """``HOST:PORT``, ``:PORT`` or ``PORT`` (host 127.0.0.1); IPv6 as ``[::1]:PORT``."""
    text = text.strip()
    host, port_text = "127.0.0.1", text
    if text.startswith("["):
        host, _, rest = text[1:].partition("]")
        port_text = rest.lstrip(":")
    elif ":" in text:
        host_part, _, port_text = text.rpartition(":")
        host = host_part or host
    try:
        port = int(port_text)
    except ValueError:
        raise HttpConfigError(f"--http expects HOST:PORT, e.g. 127.0.0.1:8765; got {text!r}") from None
    if not 0 <= port <= 65535:
        raise HttpConfigError(f"port {port} is out of range 0-65535")
    return host, port


def is_loopback(host: str) -> bool:
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def check_options(options: HttpOptions) -> None:
    if not is_loopback(options.host) and not options.token:
        raise HttpConfigError(
            f"binding {options.host} exposes the repository's code beyond this machine; set a bearer token with "
            f"--token or the {TOKEN_ENV} environment variable (clients send 'Authorization: Bearer <token>')")
    if options.token is not None and len(options.token) < 16:
        raise HttpConfigError("the bearer token must be at least 16 characters long")


def _security(options: HttpOptions, port: int) -> TransportSecuritySettings:
    from mcp.server.transport_security import TransportSecuritySettings

    names = ["127.0.0.1", "localhost", "[::1]"]
    if not is_loopback(options.host) and options.host not in ("0.0.0.0", "::"):
        names.append(f"[{options.host}]" if ":" in options.host else options.host)
    hosts = [f"{name}:{port}" for name in names] + list(options.allowed_hosts)
    origins = [f"http://{name}:{port}" for name in names] + list(options.allowed_origins)
    return TransportSecuritySettings(enable_dns_rebinding_protection=True, allowed_hosts=hosts,
                                     allowed_origins=origins)


def _bearer_token(authorization: bytes) -> bytes | None:
    """The token of an ``Authorization: Bearer <token>`` header value, or None for another
    scheme. The scheme is matched in any case and may be followed by several spaces, as RFC
    9110 (section 11.4) allows: ``bearer x`` and ``BEARER  x`` carry the token ``x``."""
    scheme, _, token = authorization.partition(b" ")
    return token.lstrip(b" ") if scheme.lower() == b"bearer" else None


class BearerTokenMiddleware:
    """Refuses HTTP requests without ``Authorization: Bearer <token>`` (scheme in any case)."""

    def __init__(self, app: ASGIApp, token: str) -> None:
        self.app = app
        self.expected = token.encode()

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http":
            given = _bearer_token(dict(scope.get("headers") or []).get(b"authorization", b""))
            # In constant time, so that how long a refusal takes says nothing about the token.
            if given is None or not hmac.compare_digest(given, self.expected):
                body = json.dumps({"error": "missing or wrong bearer token: send 'Authorization: Bearer <token>'"})
                await send({"type": "http.response.start", "status": 401,
                            "headers": [(b"content-type", b"application/json"),
                                        (b"www-authenticate", b'Bearer realm="repolens"')]})
                await send({"type": "http.response.body", "body": body.encode()})
                return
        await self.app(scope, receive, send)


def http_app(server: MCPServer[Any], options: HttpOptions, port: int | None = None) -> ASGIApp:
    """The ASGI application serving ``server`` at ``/mcp`` with the protections above."""
    check_options(options)
    app: ASGIApp = server.streamable_http_app(
        streamable_http_path=MCP_PATH, max_request_body_size=options.max_body_bytes,
        transport_security=_security(options, options.port if port is None else port), host=options.host)
    if options.token:
        app = BearerTokenMiddleware(app, options.token)
    return app


def serve_http(server: MCPServer[Any], options: HttpOptions, sockets: Sequence[Any] | None = None) -> None:
    """Run until interrupted; logs go to stderr."""
    import uvicorn

    app = http_app(server, options)
    config = uvicorn.Config(app, host=options.host, port=options.port, log_level="warning", lifespan="on")
    uvicorn.Server(config).run(sockets=list(sockets) if sockets else None)
