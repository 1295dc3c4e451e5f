"""The bench's supervisor on roomctl's short-lived client, through a real Mosquitto."""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator
from typing import Any

import paho.mqtt.client as mqtt
import pytest
from paho.mqtt.enums import CallbackAPIVersion

from bench import Supervisor
from tests.fixtures.broker import Mosquitto
from tests.fixtures.room import wait_for


class _Daemon:
    """A paho client in a room's place: it answers each command and reports what it got."""

    def __init__(self, broker: Mosquitto) -> None:
        self.commands: list[dict[str, Any]] = []
        self._subscribed = threading.Event()
        self.client = mqtt.Client(CallbackAPIVersion.VERSION2, client_id="fake-room")
        self.client.on_connect = lambda c, *_: c.subscribe("roomctl/r1/cmd", 1)
        self.client.on_subscribe = lambda *_: self._subscribed.set()
        self.client.on_message = self._answer
        self.client.connect("127.0.0.1", broker.port)
        self.client.loop_start()
        wait_for(self._subscribed.is_set, what="the fake room's subscription")

    def _answer(self, client: mqtt.Client, _userdata: object, message: mqtt.MQTTMessage) -> None:
        command = json.loads(message.payload)
        self.commands.append(command)
        reply = {"request_id": command["request_id"], "ok": True, "status": "running"}
        client.publish("roomctl/r1/reply", json.dumps(reply), 1)
        client.publish("roomctl/r1/events", json.dumps({"room": "r1", "type": "cue"}), 1)

    def stop(self) -> None:
        self.client.disconnect()
        self.client.loop_stop()


@pytest.fixture
def room(mosquitto: Mosquitto) -> Iterator[_Daemon]:
    daemon = _Daemon(mosquitto)
    yield daemon
    daemon.stop()


def test_a_command_goes_out_whole_and_its_reply_and_event_come_back_timed(
    mosquitto: Mosquitto, room: _Daemon
) -> None:
    sup = Supervisor(mosquitto.url)
    try:
        reply = sup.command("r1", "start", profile="calm")
        assert room.commands == [
            {"action": "start", "request_id": room.commands[0]["request_id"], "profile": "calm"}
        ]
        assert reply.ok
        assert reply.arrival.payload["status"] == "running"
        assert reply.arrival.mono >= reply.sent_mono
        events = wait_for(sup.events, what="the room's event")
        assert [e.payload for e in events] == [{"room": "r1", "type": "cue"}]
        assert events[0].topic == "roomctl/r1/events"
    finally:
        sup.close()


def test_a_reply_that_never_comes_times_out(mosquitto: Mosquitto) -> None:
    sup = Supervisor(mosquitto.url)
    try:
        with pytest.raises(TimeoutError, match="no reply to command"):
            sup.reply(*sup.send("nobody", "pause"), timeout=0.2)
    finally:
        sup.close()
