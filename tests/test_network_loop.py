"""Many rooms in one `roomctl run`: availability kept per room, threads constant in rooms."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import paho.mqtt.client as mqtt
from paho.mqtt.enums import CallbackAPIVersion

from roomctl.mqtt import KEEPALIVE_S
from tests.fixtures.broker import Mosquitto
from tests.fixtures.room import wait_for

# Starting Python and connecting 50 rooms takes a few seconds; a loaded 2-core machine more.
SERVE_TIMEOUT_S = 60.0
# The broker publishes a will at once when the socket closes (kill -9), and within 1.5 x
# the keepalive when the machine vanishes; the margin is for a loaded machine.
OFFLINE_TIMEOUT_S = 1.5 * KEEPALIVE_S + 5.0
# A clean stop of 50 rooms: each room's last write, then offline on every connection.
EXIT_TIMEOUT_S = 20.0
# Replies to a command sent to every room: each room answers within milliseconds.
REPLY_TIMEOUT_S = 20.0
# Rooms retry a restarted broker within 0.5 s, then 1 s, 2 s...; the connections open one
# after another (milliseconds each); a loaded machine may miss two rounds.
RECONNECT_TIMEOUT_S = 20.0


class Watcher:
    """A paho client that keeps the last availability, retain flag and replies of every room."""

    def __init__(self, url: str) -> None:
        host, port = url.removeprefix("mqtt://").rsplit(":", 1)
        self.availability: dict[str, tuple[bytes, bool]] = {}
        self.replies: dict[str, dict[str, object]] = {}
        self._lock = threading.Lock()
        subscribed = threading.Event()
        self._client = mqtt.Client(CallbackAPIVersion.VERSION2)
        self._client.on_message = self._on_message
        self._client.on_subscribe = lambda *_: subscribed.set()
        self._client.connect(host, int(port))
        self._client.loop_start()
        self._client.subscribe([("roomctl/+/availability", 1), ("roomctl/+/reply", 1)])
        wait_for(subscribed.is_set, what="the watcher's subscription")

    def _on_message(self, _c: mqtt.Client, _u: object, msg: mqtt.MQTTMessage) -> None:
        room, kind = msg.topic.split("/")[1:3]
        with self._lock:
            if kind == "availability":
                self.availability[room] = (bytes(msg.payload), bool(msg.retain))
            else:
                self.replies[room] = json.loads(msg.payload)

    def rooms_saying(self, payload: bytes) -> set[str]:
        """Return the rooms whose last availability is payload."""
        with self._lock:
            return {room for room, (said, _) in self.availability.items() if said == payload}

    def command_all(self, rooms: list[str], action: str) -> None:
        """Send every room one command."""
        for room in rooms:
            body = json.dumps({"action": action, "request_id": room})
            self._client.publish(f"roomctl/{room}/cmd", body, qos=1)

    def close(self) -> None:
        self._client.disconnect()
        self._client.loop_stop()


def _room_files(folder: Path, count: int) -> tuple[list[str], list[Path]]:
    """Write `count` room files, each with a light of its own; return their ids and paths."""
    folder.mkdir(parents=True, exist_ok=True)
    ids = [f"n-{index:03d}" for index in range(count)]
    paths = []
    for room in ids:
        path = folder / f"{room}.yaml"
        path.write_text(
            f"id: {room}\nname: Room {room}\ndevices:\n"
            f"  ceiling: {{type: zigbee2mqtt, topic: zigbee2mqtt/{room}/ceiling}}\n"
            "standby: {lights: {all: {brightness: 40%, color_temp: 3500K}}}\n"
            "emergency: {lights: {all: {brightness: 100%, color_temp: 4000K}}}\n"
        )
        paths.append(path)
    return ids, paths


@contextmanager
def _daemon(mosquitto: Mosquitto, tmp_path: Path, paths: list[Path]) -> Iterator[int]:
    """Run `roomctl run` for the room files; yield its pid; stop it (if alive) at the end."""
    (tmp_path / "sessions").mkdir(parents=True, exist_ok=True)
    command = [sys.executable, "-m", "roomctl", "run", "--broker", mosquitto.url, "--no-sound"]
    command += ["--state-dir", str(tmp_path / "state"), "--profiles", str(tmp_path / "sessions")]
    for path in paths:
        command += ["--room", str(path)]
    with (tmp_path / "roomctl.log").open("ab") as log:
        process = subprocess.Popen(command, stdout=log, stderr=subprocess.STDOUT)
    try:
        yield process.pid
    finally:
        if process.poll() is None:
            process.send_signal(signal.SIGTERM)
        try:
            code = process.wait(timeout=EXIT_TIMEOUT_S)
        except subprocess.TimeoutExpired:
            process.kill()  # a daemon that would not stop must not outlive the test
            process.wait()
            raise
        assert code in (0, -signal.SIGKILL)


def _threads(pid: int) -> int:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("Threads:"):
            return int(line.split()[1])
    raise AssertionError("no Threads line")


def test_kill_9_turns_every_room_of_a_50_room_daemon_offline(
    mosquitto: Mosquitto, tmp_path: Path
) -> None:
    ids, paths = _room_files(tmp_path / "rooms", 50)
    watcher = Watcher(mosquitto.url)
    try:
        with _daemon(mosquitto, tmp_path, paths) as pid:
            wait_for(
                lambda: watcher.rooms_saying(b"online") == set(ids),
                timeout=SERVE_TIMEOUT_S,
                what="all 50 rooms online",
            )
            # Online means served: every room answers a command (a pause with no session).
            watcher.command_all(ids, "pause")
            wait_for(lambda: set(watcher.replies) == set(ids), REPLY_TIMEOUT_S, "50 replies")
            assert all(reply["ok"] is False for reply in watcher.replies.values())
            os.kill(pid, signal.SIGKILL)
            wait_for(
                lambda: watcher.rooms_saying(b"offline") == set(ids),
                timeout=OFFLINE_TIMEOUT_S,
                what="all 50 rooms offline",
            )
        # Retained: a watcher that comes afterwards finds all 50 offline.
        late = Watcher(mosquitto.url)
        try:
            wait_for(lambda: len(late.availability) == len(ids), what="50 retained messages")
            assert late.availability == dict.fromkeys(ids, (b"offline", True))
        finally:
            late.close()
    finally:
        watcher.close()


def test_threads_do_not_grow_with_rooms(mosquitto: Mosquitto, tmp_path: Path) -> None:
    counts = {}
    for rooms in (5, 50):
        ids, paths = _room_files(tmp_path / f"rooms-{rooms}", rooms)
        watcher = Watcher(mosquitto.url)
        try:
            with _daemon(mosquitto, tmp_path / f"run-{rooms}", paths) as pid:
                wait_for(
                    lambda ids=ids, w=watcher: w.rooms_saying(b"online") >= set(ids),
                    timeout=SERVE_TIMEOUT_S,
                    what=f"all {rooms} rooms online",
                )
                # Every room has handled an input on the pool: its reply came back.
                watcher.command_all(ids, "pause")
                wait_for(
                    lambda ids=ids, w=watcher: set(w.replies) >= set(ids),
                    REPLY_TIMEOUT_S,
                    f"{rooms} replies",
                )
                counts[rooms] = _threads(pid)
        finally:
            watcher.close()
    assert counts[5] == counts[50], counts


def test_after_a_broker_restart_every_room_is_back_online_and_answering(
    mosquitto: Mosquitto, tmp_path: Path
) -> None:
    ids, paths = _room_files(tmp_path / "rooms", 20)
    with _daemon(mosquitto, tmp_path, paths):
        watcher = Watcher(mosquitto.url)
        try:
            wait_for(lambda: watcher.rooms_saying(b"online") == set(ids), SERVE_TIMEOUT_S, "online")
        finally:
            watcher.close()
        mosquitto.stop()  # Mosquitto keeps nothing: every retained message and subscription
        mosquitto.start()
        after = Watcher(mosquitto.url)
        try:
            wait_for(
                lambda: after.rooms_saying(b"online") == set(ids),
                timeout=RECONNECT_TIMEOUT_S,
                what="all 20 rooms online again",
            )
            after.command_all(ids, "pause")  # resubscribed: every room answers
            wait_for(lambda: set(after.replies) == set(ids), REPLY_TIMEOUT_S, "20 replies")
        finally:
            after.close()
