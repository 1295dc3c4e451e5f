"""Broker URLs (`mqtt://user:pass@host:port`, `mqtts://...?ca=FILE`) as checked values.

Query options: `ca=FILE` (mqtts only) trusts that PEM CA bundle instead of the system's;
`protocol=5` or `protocol=3.1.1` pins the MQTT version (by default v5 is tried first and
v3.1.1 used when the broker refuses it).
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Literal
from urllib.parse import parse_qs, quote, unquote, urlsplit

Scheme = Literal["mqtt", "mqtts"]
Protocol = Literal["5", "3.1.1"]

DEFAULT_PORTS: dict[Scheme, int] = {"mqtt": 1883, "mqtts": 8883}
# Where every roomctl program looks for its broker when told nothing: $ROOMCTL_BROKER,
# else Mosquitto's standard port on this machine.
BROKER_ENV = "ROOMCTL_BROKER"
DEFAULT_BROKER = "mqtt://127.0.0.1:1883"
EMBEDDED = "embedded"
_OPTIONS = ("ca", "protocol")
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
    protocol: Protocol | None = None  # None: MQTT v5, falling back to v3.1.1 if refused

    @property
    def tls(self) -> bool:
        """Return whether the connection uses TLS."""
        return self.scheme == "mqtts"

    def __str__(self) -> str:
        user = ""
        if self.username is not None:
            user = quote(self.username, safe="")
            user += (":***" if self.password is not None else "") + "@"
        host = f"[{self.host}]" if ":" in self.host else self.host
        options = [f"ca={self.ca_file}"] if self.ca_file else []
        options += [f"protocol={self.protocol}"] if self.protocol else []
        query = "?" + "&".join(options) if options else ""
        return f"{self.scheme}://{user}{host}:{self.port}{query}"


def is_embedded(text: str) -> bool:
    """Return whether a broker setting asks for the embedded broker instead of a URL."""
    return text.strip().lower() == EMBEDDED


def parse_broker_url(text: str) -> BrokerUrl:
    """Parse `mqtt[s]://[user[:pass]@]host[:port][?ca=FILE&protocol=5|3.1.1]`; raise ValueError."""
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
    options = _options(parts.query)
    ca_file = options.get("ca")
    if ca_file is not None and scheme != "mqtts":
        raise ValueError("broker URL option ca= needs mqtts://")
    return BrokerUrl(
        scheme=scheme,
        host=parts.hostname,
        port=port if port is not None else DEFAULT_PORTS[scheme],
        username=username,
        password=password,
        ca_file=ca_file,
        protocol=_protocol(options.get("protocol")),
    )


def _options(query: str) -> dict[str, str]:
    """Return the query's options, each given once and known."""
    if not query:
        return {}
    try:
        values = parse_qs(query, keep_blank_values=True, strict_parsing=True)
    except ValueError:
        raise ValueError(f"broker URL query {query!r} is not key=value") from None
    unknown = sorted(set(values) - set(_OPTIONS))
    if unknown:
        known = ", ".join(f"{name}=" for name in _OPTIONS)
        raise ValueError(f"broker URL has unknown option(s) {', '.join(unknown)}; known: {known}")
    options: dict[str, str] = {}
    for name, given in values.items():
        if len(given) != 1 or not given[0]:
            raise ValueError(f"broker URL option {name}= takes exactly one value")
        options[name] = given[0]
    return options


def _protocol(value: str | None) -> Protocol | None:
    """Return the pinned MQTT version, refusing any other."""
    if value is None:
        return None
    if value == "5":
        return "5"
    if value == "3.1.1":
        return "3.1.1"
    raise ValueError(f"broker URL option protocol= must be 5 or 3.1.1, not {value!r}")
