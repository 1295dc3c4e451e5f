"""The bench's tap: a real `mosquitto_sub` stamping what a real Mosquitto hands over."""

from __future__ import annotations

import time
from collections.abc import Iterator
from pathlib import Path

import paho.mqtt.client as mqtt
import pytest
from paho.mqtt.enums import CallbackAPIVersion

from bench.session import BROKER_CONFIG
from bench.tap import Tap
from tests.fixtures.broker import Mosquitto


@pytest.fixture
def bench_broker(tmp_path: Path) -> Iterator[Mosquitto]:
    """Start a Mosquitto configured as the bench's (each packet sent at once)."""
    broker = Mosquitto(workdir=tmp_path, extra_config=BROKER_CONFIG)
    broker.start()
    yield broker
    broker.stop()


def _publish(broker: Mosquitto, topic: str, payload: str) -> None:
    client = mqtt.Client(CallbackAPIVersion.VERSION2, client_id="tap-test-publisher")
    client.connect("127.0.0.1", broker.port)
    client.loop_start()
    try:
        client.publish(topic, payload, 1).wait_for_publish(5.0)
    finally:
        client.disconnect()
        client.loop_stop()


def test_the_tap_finds_the_very_command_a_light_was_sent_stamped_when_the_broker_sent_it(
    bench_broker: Mosquitto,
) -> None:
    mosquitto = bench_broker
    tap = Tap(mosquitto.url, ["cmnd/lamp/#", "zigbee2mqtt/ceiling/set"])
    try:
        before = time.time()
        _publish(mosquitto, "cmnd/lamp/Backlog", "Dimmer 40; Fade 0")
        _publish(mosquitto, "zigbee2mqtt/ceiling/set", '{"brightness": 254, "state": "ON"}')
        _publish(mosquitto, "elsewhere/set", "not subscribed")
        after = time.time()
        lamp = tap.arrival("cmnd/lamp/Backlog", "Dimmer 40; Fade 0", before)
        ceiling = tap.arrival(
            "zigbee2mqtt/ceiling/set", '{"brightness": 254, "state": "ON"}', before
        )
        assert lamp is not None and ceiling is not None
        assert before < lamp < ceiling < after
        # Another payload on the same topic, a message before the mark, another topic: none.
        assert tap.arrival("cmnd/lamp/Backlog", "Dimmer 41; Fade 0", before) is None
        assert tap.arrival("cmnd/lamp/Backlog", "Dimmer 40; Fade 0", after) is None
        assert tap.arrival("elsewhere/set", "not subscribed", before) is None
        tap.forget(after)
        assert tap.arrival("cmnd/lamp/Backlog", "Dimmer 40; Fade 0", before) is None
    finally:
        tap.stop()
    assert tap.process.returncode is not None


def test_a_tap_whose_broker_is_not_there_says_so() -> None:
    with pytest.raises(RuntimeError, match=r"subscription at .* was not confirmed"):
        Tap("mqtt://127.0.0.1:1", ["cmnd/lamp/#"])
