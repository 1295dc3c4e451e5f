"""roomctl's MQTT edge: one network loop for every connection, hubs, presences, the CLI client.

A daemon serves all its rooms through one `NetworkLoop` (one thread, however many rooms)
and, per broker, one `BrokerHub`: a shared connection for every room's commands, state,
events and device traffic; an urgent line for emergencies alone; and a small will-only
`Presence` connection per room. The will is why: MQTT gives a connection one will, the
contract gives each room its own `roomctl/R/availability`, and only a will turns it
`offline` when the daemon dies without a word (kill -9, a crash, the machine gone). The
presence connections carry nothing else and cost the loop one socket each.
`roomctl.mqtt.embedded_broker` (amqtt) is imported on its own, only where it is used.
"""

from __future__ import annotations

from roomctl.mqtt.broker_url import (
    BROKER_ENV,
    DEFAULT_BROKER,
    BrokerUrl,
    is_embedded,
    parse_broker_url,
)
from roomctl.mqtt.bus import Bus
from roomctl.mqtt.client import (
    BrokerError,
    Client,
    ClientError,
    Delivery,
    NoReplyError,
    broker_url,
)
from roomctl.mqtt.connection import CONNECT_TIMEOUT_S, KEEPALIVE_S, no_delay
from roomctl.mqtt.hub import BrokerHub
from roomctl.mqtt.loop import NetworkLoop
from roomctl.mqtt.presence import Presence
from roomctl.mqtt.urgent_line import UrgentLine

__all__ = [
    "BROKER_ENV",
    "CONNECT_TIMEOUT_S",
    "DEFAULT_BROKER",
    "KEEPALIVE_S",
    "BrokerError",
    "BrokerHub",
    "BrokerUrl",
    "Bus",
    "Client",
    "ClientError",
    "Delivery",
    "NetworkLoop",
    "NoReplyError",
    "Presence",
    "UrgentLine",
    "broker_url",
    "is_embedded",
    "no_delay",
    "parse_broker_url",
]
