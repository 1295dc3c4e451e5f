"""roomctl's MQTT edge: one network loop for every connection of a process, and the CLI client.

A daemon serves all its rooms' sockets from one `NetworkLoop` thread (paho's external
loop: `selectors` over every socket, `loop_read`/`loop_write`/`loop_misc`), so its
threads do not grow with rooms. Each room keeps a connection of its own (`Bus`), whose
will is the room's retained `offline`, and each broker an `UrgentLine` for emergencies.
Why a connection per room rather than one shared by all rooms plus a will-only one per
room: the contract gives each room its own `roomctl/R/availability`, and only a will
turns it `offline` when the daemon dies without a word (kill -9, a crash, the machine
gone), so a connection per room exists either way; carrying the room's traffic on it
costs nothing more and keeps what the shared design would lose: the room's replies,
state and `offline` in one connection's order (no reply after `offline`, `online` only
once its subscriptions are active), a broker's Receive Maximum (Mosquitto announces 20
unacknowledged QoS 1 messages per connection) for each room instead of for all, and no
room's commands or light commands queued behind another room's flood.
`roomctl.mqtt.embedded_broker` (amqtt) is imported on its own, only where it is used.
"""

from __future__ import annotations

from roomctl.mqtt.batch import MAX_BATCH_BYTES, join_waiting
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
from roomctl.mqtt.fast_client import FastClient
from roomctl.mqtt.loop import NetworkLoop
from roomctl.mqtt.urgent_line import UrgentLine

__all__ = [
    "BROKER_ENV",
    "CONNECT_TIMEOUT_S",
    "DEFAULT_BROKER",
    "KEEPALIVE_S",
    "MAX_BATCH_BYTES",
    "BrokerError",
    "BrokerUrl",
    "Bus",
    "Client",
    "ClientError",
    "Delivery",
    "FastClient",
    "NetworkLoop",
    "NoReplyError",
    "UrgentLine",
    "broker_url",
    "is_embedded",
    "join_waiting",
    "no_delay",
    "parse_broker_url",
]
