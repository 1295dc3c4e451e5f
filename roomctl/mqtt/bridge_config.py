"""The Mosquitto bridge configuration that links a site's broker to the chain's central one.

What goes out (site to centre): each room's state, availability, events, replies and
catalog, and the MQTT v5 responses under roomctl/replies/. What comes in: commands and
emergencies only. Everything is remapped under `<central prefix>/<site>/roomctl/` at the
centre, so room ids may repeat between sites.
"""

from __future__ import annotations

from dataclasses import dataclass

from roomctl.api.sites import DEFAULT_CENTRAL_PREFIX, bridge_state_topic, site_base
from roomctl.api.topics import PREFIX
from roomctl.mqtt.broker_url import BrokerUrl

# Topics under the site's roomctl/ that go to the centre: what the console and the CLI
# read there (replies under replies/ are the MQTT v5 responses to the centre's commands).
OUT_TOPICS = ("+/state", "+/availability", "+/events", "+/reply", "+/catalog", "replies/#")
# Topics under the centre's <prefix>/<site>/roomctl/ that come in: commands only.
IN_TOPICS = ("+/cmd", "+/emergency")
# Out at QoS 1: the centre acknowledges each state, event and reply (QoS 2's extra round
# trip would only add time).
OUT_QOS = 1
# In at QoS 0: with a clean session a QoS 1 command is not delivered again after a
# reconnect either (and must not be: it would be late), so QoS 1 would add only the
# site's PUBACK, and Mosquitto's bridge socket (without TCP_NODELAY) then holds the
# room's reply behind it until the centre's delayed TCP ACK, ~40 ms. A command lost with
# its link gets no reply, which its sender hears at the time.
IN_QOS = 0
# Try the link again about every 2 s while it is down (Mosquitto checks its bridges once a
# second and waits strictly longer than this): the centre is current about a second after
# the link's return on average (the goal is 2 s), and one TCP connection attempt every
# 2 s per site is nothing for a central broker. Given as "base cap": Mosquitto 2.0 reads a
# lone value as the base of its default backoff, which grows to 30 s between attempts.
RESTART_TIMEOUT_S = 1
# A ping every 10 s when nothing else moves: a link that dies without closing (a cut WAN)
# is seen by the central broker within 1.5 x 10 s, which then publishes the bridge's will.
KEEPALIVE_INTERVAL_S = 10
# Where a site trusts the central broker's certificate when no CA file is given: the
# system's certificates (Debian's; Mosquitto needs a CA path or file to speak TLS at all).
SYSTEM_CA_PATH = "/etc/ssl/certs"


@dataclass(frozen=True)
class BridgeSettings:
    """What a site's bridge needs: the site's name, the centre, its account, the prefixes."""

    site: str
    central: BrokerUrl
    username: str | None = None
    password: str | None = None
    ca_file: str | None = None
    local_prefix: str = PREFIX
    central_prefix: str = DEFAULT_CENTRAL_PREFIX


def bridge_config(settings: BridgeSettings) -> str:
    """Return the Mosquitto configuration of a site's bridge to the central broker."""
    site, central = settings.site, settings.central
    remote = site_base(site, settings.central_prefix) + "/"
    local = settings.local_prefix + "/"
    secret = (settings.password or central.password) is not None
    lines = [
        f"# roomctl: the bridge of site {site} to the central broker {central}.",
        "# Install as /etc/mosquitto/conf.d/roomctl-bridge.conf on the site's broker"
        + (", owner root, group mosquitto, mode 0640: it holds a password." if secret else "."),
        f"connection roomctl-{site}",
        f"address {_address(central)}",
        f"remote_clientid roomctl-bridge-{site}",
        "bridge_protocol_version mqttv50",
        *_tls_lines(settings),
        *_account_lines(settings),
        "# Nothing is kept for a site that is away: a command is worth nothing late, and",
        "# every retained state is sent again when the link returns.",
        "cleansession true",
        "# '1' when the link is up, '0' when it fails (the central broker's will for the",
        "# bridge says it when the link dies), retained at both ends.",
        "notifications true",
        "notifications_local_only false",
        f"notification_topic {bridge_state_topic(site, settings.central_prefix)}",
        f"restart_timeout {RESTART_TIMEOUT_S} {RESTART_TIMEOUT_S}",
        f"keepalive_interval {KEEPALIVE_INTERVAL_S}",
        "try_private true",
        "# Out to the centre: what the console and the CLI read there.",
        *(f"topic {pattern} out {OUT_QOS} {local} {remote}" for pattern in OUT_TOPICS),
        "# In from the centre: commands and emergencies only, at QoS 0 (see the README).",
        *(f"topic {pattern} in {IN_QOS} {local} {remote}" for pattern in IN_TOPICS),
    ]
    return "\n".join(lines) + "\n"


def credential_refusal(value: str) -> str | None:
    """Return why a user name or password cannot go into Mosquitto's configuration, or None."""
    if not value:
        return "it is empty"
    if value != value.strip():
        return "it starts or ends with a space, which Mosquitto's configuration drops"
    if any(not char.isprintable() for char in value):
        return "it holds a line break or another control character"
    return None


def _address(central: BrokerUrl) -> str:
    host = f"[{central.host}]" if ":" in central.host else central.host
    return f"{host}:{central.port}"


def _tls_lines(settings: BridgeSettings) -> list[str]:
    if not settings.central.tls:
        return ["# No TLS: mqtt:// is for a link inside one trusted network only (or tests)."]
    ca = settings.ca_file or settings.central.ca_file
    trust = f"bridge_cafile {ca}" if ca else f"bridge_capath {SYSTEM_CA_PATH}"
    return [trust, "bridge_insecure false"]


def _account_lines(settings: BridgeSettings) -> list[str]:
    username = settings.username or settings.central.username
    password = settings.password or settings.central.password
    if username is None:
        return ["# No account: the central broker must then allow anonymous bridges."]
    lines = [f"remote_username {username}"]
    if password is not None:
        lines.append(f"remote_password {password}")
    return lines
