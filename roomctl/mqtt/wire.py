"""Between paho's packets and roomctl's messages: received messages, reply copies, subscriptions."""

from __future__ import annotations

import logging
from collections.abc import Mapping

import paho.mqtt.client as mqtt
from paho.mqtt.packettypes import PacketTypes
from paho.mqtt.properties import Properties
from paho.mqtt.subscribeoptions import SubscribeOptions

from roomctl.api.excerpt import excerpt
from roomctl.api.messages import Inbound, Message
from roomctl.api.topics import response_topic_refusal

_LOGGER = logging.getLogger(__name__)


def inbound_of(msg: mqtt.MQTTMessage) -> Inbound:
    """Return a received paho message as an Inbound, with its v5 reply properties."""
    props = msg.properties
    response_topic = getattr(props, "ResponseTopic", None)
    correlation_data = getattr(props, "CorrelationData", None)
    return Inbound(
        topic=msg.topic,
        payload=bytes(msg.payload),
        retain=bool(msg.retain),
        response_topic=str(response_topic) if response_topic is not None else None,
        correlation_data=bytes(correlation_data) if correlation_data is not None else None,
    )


def reply_copy(inbound: Inbound, msg: Message) -> Message | None:
    """Return msg readdressed to the inbound's v5 response topic, or None if it has none allowed.

    Only topics under roomctl/replies/ are answered on (see response_topic_refusal): any
    other would let a client make the daemon publish to a device's topic.
    """
    topic = inbound.response_topic
    if topic is None:
        return None
    why = response_topic_refusal(topic)
    if why is not None:
        _LOGGER.warning("not replying on response topic %s: %s", excerpt(topic), why)
        return None
    return Message(topic, msg.payload, msg.qos)


def correlation(data: bytes | None) -> Properties | None:
    """Return v5 PUBLISH properties carrying correlation data, or None without any."""
    if data is None:
        return None
    properties = Properties(PacketTypes.PUBLISH)  # type: ignore[no-untyped-call]
    properties.CorrelationData = data
    return properties


def subscribe(client: mqtt.Client, filters: Mapping[str, int], v5: bool) -> int | None:
    """Subscribe to filters; with MQTT v5, retain as published. Return the message id.

    Then a message published with the retain flag arrives with it even while the
    subscription is live, so a retained command is told from a live one at once (MQTT
    3.1.1 brokers clear the flag on live delivery; the stored copy still shows it). The id
    is None when the connection has just closed (the next one subscribes again).
    """
    if v5:
        _rc, mid = client.subscribe(
            [(f, SubscribeOptions(qos=q, retainAsPublished=True)) for f, q in filters.items()]
        )
    else:
        _rc, mid = client.subscribe(list(filters.items()))
    return mid
