"""What every roomctl MQTT client shares: time limits, TCP_NODELAY and paho's set-up."""

from __future__ import annotations

import contextlib
import socket
import ssl
from typing import Any

import paho.mqtt.client as mqtt
from paho.mqtt.enums import CallbackAPIVersion, MQTTProtocolVersion

from roomctl.api.messages import Message
from roomctl.mqtt.broker_url import BrokerUrl
from roomctl.mqtt.fast_client import FastClient

# TCP connect and TLS handshake limit per attempt: a LAN broker answers in milliseconds, a
# remote one within a few seconds; longer only delays the next attempt or the CLI's answer.
CONNECT_TIMEOUT_S = 5.0
# MQTT keepalive: the broker publishes a will within 1.5 x this after the machine vanishes
# without closing its socket; 15 s keeps that under the 30 s state heartbeat staff rely on.
KEEPALIVE_S = 15
# QoS>0 messages held while the broker is away (sent on reconnect); beyond this the newest
# are refused. Retained state is replayed from the bus's own map either way.
MAX_QUEUED_MESSAGES = 1000
# MQTT v5 CONNACK reason for "Unsupported protocol version" (also what paho reports when a
# v3.1.1-only broker answers a v5 CONNECT with its return code 1).
UNSUPPORTED_PROTOCOL_VERSION = 0x84


def no_delay(_client: mqtt.Client, _userdata: Any, sock: Any) -> None:
    """Send small packets at once: a pause must not wait 40 ms for a delayed ACK."""
    with contextlib.suppress(OSError, AttributeError):
        sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)


def tls_context(url: BrokerUrl) -> ssl.SSLContext | None:
    """Return the TLS context for url (its CA file or the system's), or None for plain MQTT."""
    return ssl.create_default_context(cafile=url.ca_file) if url.tls else None


def paho_client(
    url: BrokerUrl,
    client_id: str,
    v5: bool,
    tls: ssl.SSLContext | None,
    will: Message | None = None,
) -> mqtt.Client:
    """Return a paho client for url with roomctl's settings, not yet connected."""
    protocol = MQTTProtocolVersion.MQTTv5 if v5 else MQTTProtocolVersion.MQTTv311
    client = FastClient(
        CallbackAPIVersion.VERSION2,
        client_id=client_id,
        protocol=protocol,
        clean_session=None if v5 else True,
    )
    client.connect_timeout = CONNECT_TIMEOUT_S
    client.max_queued_messages_set(MAX_QUEUED_MESSAGES)
    if url.username is not None:
        client.username_pw_set(url.username, url.password)
    if tls is not None:
        client.tls_set_context(tls)
    if will is not None:
        client.will_set(will.topic, will.payload, will.qos, will.retain)
    client.on_socket_open = no_delay
    return client
