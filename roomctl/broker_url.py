"""Broker URLs: `mqtt://user:pass@host:port` and `mqtts://...?ca=/path/ca.pem` as values."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Literal
from urllib.parse import parse_qs, unquote, urlsplit

Scheme = Literal["mqtt", "mqtts"]

DEFAULT_PORTS: dict[Scheme, int] = {"mqtt": 1883, "mqtts": 8883}
EMBEDDED = "embedded"
_PASSWORD_IN_URL = re.compile(r"^((?:[a-zA-Z][\w+.-]*://)?[^:@/]*:)[^@/]*@")


@dataclass(frozen=True)
class BrokerUrl:
    """Where and how to reach an MQTT broker; the password never shows in repr or str."""

    scheme: Scheme
    host: str
    port: int
    username: str | None = None
    password: str | None = field(default=None, repr=False)
    ca_file: str | None = None

    @property
    def tls(self) -> bool:
        """Return whether the connection uses TLS."""
        return self.scheme == "mqtts"

    def __str__(self) -> str:
        user = ""
        if self.username is not None:
            user = self.username + (":***" if self.password is not None else "") + "@"
        host = f"[{self.host}]" if ":" in self.host else self.host
        query = f"?ca={self.ca_file}" if self.ca_file else ""
        return f"{self.scheme}://{user}{host}:{self.port}{query}"


def is_embedded(text: str) -> bool:
    """Return whether a broker setting asks for the embedded broker instead of a URL."""
    return text.strip().lower() == EMBEDDED


def parse_broker_url(text: str) -> BrokerUrl:
    """Parse `mqtt://[user[:pass]@]host[:port]` or `mqtts://...[?ca=FILE]`; raise ValueError."""
    stripped = text.strip()
    shown = _PASSWORD_IN_URL.sub(r"\1***@", stripped)
    if "://" not in stripped:
        raise ValueError(f"broker URL {shown!r} must start with mqtt:// or mqtts://")
    parts = urlsplit(stripped)
    if parts.scheme.lower() not in DEFAULT_PORTS:
        raise ValueError(f"broker URL scheme must be mqtt or mqtts, not {parts.scheme!r}")
    scheme: Scheme = "mqtts" if parts.scheme.lower() == "mqtts" else "mqtt"
    if not parts.hostname:
        raise ValueError(f"broker URL {shown!r} has no host")
    if parts.path not in ("", "/"):
        raise ValueError(f"broker URL must not have a path, got {parts.path!r}")
    if parts.fragment:
        raise ValueError("broker URL must not have a #fragment")
    try:
        port = parts.port
    except ValueError:
        port = 0
    if port == 0:
        raise ValueError(f"broker URL {shown!r} has an invalid port (must be 1-65535)")
    username = unquote(parts.username) if parts.username is not None else None
    if username == "":
        raise ValueError("broker URL has a password but no user name")
    password = unquote(parts.password) if parts.password is not None else None
    return BrokerUrl(
        scheme=scheme,
        host=parts.hostname,
        port=port if port is not None else DEFAULT_PORTS[scheme],
        username=username,
        password=password,
        ca_file=_ca_file(parts.query, scheme),
    )


def _ca_file(query: str, scheme: str) -> str | None:
    """Return the `ca` query value, refusing anything else in the query."""
    if not query:
        return None
    try:
        values = parse_qs(query, keep_blank_values=True, strict_parsing=True)
    except ValueError:
        raise ValueError(f"broker URL query {query!r} is not key=value") from None
    unknown = sorted(set(values) - {"ca"})
    if unknown:
        raise ValueError(f"broker URL has unknown option(s) {', '.join(unknown)}; only ca= exists")
    if scheme != "mqtts":
        raise ValueError("broker URL option ca= needs mqtts://")
    (ca_file, *more) = values["ca"]
    if more or not ca_file:
        raise ValueError("broker URL option ca= takes exactly one file path")
    return ca_file
