"""`online` means commands are taken: one sent the instant it is seen gets its reply."""

from __future__ import annotations

import json
import threading
from pathlib import Path
from typing import Any

import paho.mqtt.client as mqtt
from paho.mqtt.enums import CallbackAPIVersion

from roomctl.api.topics import RoomTopics
from roomctl.runtime.daemon import Daemon, DaemonOptions
from tests.fixtures.broker import Mosquitto
from tests.fixtures.room import ROOM_ID, room_yaml, wait_for, zigbee_lights

# Daemon starts watched. Whether the daemon's network thread has its socket open before
# `online` is handed over is up to the threads' timing: a daemon that could publish
# `online` ahead of its command subscription did so in about one in-process start in ten
# here (one in two as a process), so thirty starts catch it all but certainly; each takes
# a tenth of a second.
STARTS = 30
TOPICS = RoomTopics(ROOM_ID)


class Reactor:
    """A paho client that sends a command from its network thread the moment it sees online."""

    def __init__(self, port: int) -> None:
        self.onlines = 0
        self.replies: list[dict[str, Any]] = []
        self._lock = threading.Lock()
        self._subscribed = threading.Event()
        self._client = mqtt.Client(CallbackAPIVersion.VERSION2, client_id="online-reactor")
        self._client.on_message = self._on_message
        self._client.on_subscribe = lambda *_args: self._subscribed.set()
        self._client.connect("127.0.0.1", port)
        self._client.subscribe([(TOPICS.availability, 1), (TOPICS.reply, 1)])
        self._client.loop_start()
        wait_for(self._subscribed.is_set, what="the reactor's subscription")

    def _on_message(self, client: mqtt.Client, _userdata: object, msg: mqtt.MQTTMessage) -> None:
        with self._lock:
            if msg.topic == TOPICS.reply:
                self.replies.append(json.loads(msg.payload))
            elif msg.payload == b"online":
                self.onlines += 1
                body = {"action": "pause", "request_id": f"on-online-{self.onlines}"}
                client.publish(TOPICS.cmd, json.dumps(body), qos=1)

    def seen(self) -> tuple[int, list[str]]:
        """Return how many `online`s were seen and the request ids answered."""
        with self._lock:
            return self.onlines, [r["request_id"] for r in self.replies]

    def stop(self) -> None:
        """Disconnect."""
        self._client.disconnect()
        self._client.loop_stop()


def test_a_command_sent_on_seeing_online_is_answered_at_every_start(
    mosquitto: Mosquitto, tmp_path: Path
) -> None:
    room_file = tmp_path / "rooms" / f"{ROOM_ID}.yaml"
    room_file.parent.mkdir()
    room_file.write_text(room_yaml(zigbee_lights(1)))
    (tmp_path / "sessions").mkdir()
    reactor = Reactor(mosquitto.port)
    try:
        for start in range(1, STARTS + 1):
            daemon = Daemon(
                DaemonOptions(
                    room_files=[room_file],
                    broker=mosquitto.url,
                    profiles_dir=tmp_path / "sessions",
                    audio=False,
                )
            )
            daemon.start()
            try:
                request_id = f"on-online-{start}"
                wait_for(lambda r=request_id: r in reactor.seen()[1], what=f"start {start}'s reply")
            finally:
                daemon.stop()
            # One `online` a start: one sent before the subscription would be sent again
            # after it, and a command sent on the first would find no subscriber.
            assert reactor.seen() == (start, [f"on-online-{n}" for n in range(1, start + 1)])
    finally:
        reactor.stop()
