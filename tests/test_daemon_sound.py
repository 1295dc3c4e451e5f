"""Sound and light on one clock: the daemon plays a room's speaker and lights together."""

from __future__ import annotations

import json
import math
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import numpy as np
import paho.mqtt.client as mqtt
import pytest
from paho.mqtt.enums import CallbackAPIVersion

from roomctl.config.library import load_room
from roomctl.demo.sim import SimulatedRoom
from roomctl.runtime.daemon import Daemon, DaemonOptions
from tests.fixtures.broker import Mosquitto
from tests.fixtures.pulse import RATE, PulseServer
from tests.fixtures.room import wait_for
from tests.test_audio_output import crossing, envelope

ROOM = """
id: sound-1
devices:
  ceiling: {type: zigbee2mqtt, topic: z2m/sound/ceiling}
  speaker: {type: audio, output: default}
limits: {max_volume: -12 dB}
"""
# -12 dB, the most the room allows: a 0.25 peak.
PROFILE = """
title: Together
phases:
  - name: rise
    duration: 1m
    fade: 2s
    easing: linear
    lights: {all: {brightness: 80%}}
    sound: {source: "tone:440", volume: -12 dB}
"""
CAPPED_PEAK = 10 ** (-12 / 20)
# Above the room's -12 dB: plays clamped. tone:440 to tone:441 stay in phase for the whole
# 3 s crossfade, so they add in amplitude (+2.8 dB over the cap without the output limit).
CROSSFADE = """
title: Too loud, crossfaded
phases:
  - name: first
    duration: 4s
    fade: 0s
    sound: {source: "tone:440", volume: -6 dB}
  - name: second
    duration: 1m
    fade: 3s
    easing: linear
    sound: {source: "tone:441", volume: -6 dB}
"""
# One step of the 16-bit recording.
QUANTUM = 1 / 32768
# PulseAudio's resampling and sample conversion between the stream and the recording
# reconstruct the waveform between samples: its peak may sit a hair over the stream's
# (0.01 dB measured). 0.05 dB is far under the 2.8 dB an unlimited crossfade overshoots.
CONVERSION_OVERSHOOT = 10 ** (0.05 / 20)
# The daemon, its speaker and the simulated light are up within seconds on a loaded machine.
START_TIMEOUT_S = 15.0


class Room:
    """A daemon serving one room with a speaker, a simulated light and a supervisor."""

    def __init__(self, tmp_path: Path, broker: Mosquitto) -> None:
        rooms = tmp_path / "rooms"
        sessions = tmp_path / "sessions"
        rooms.mkdir()
        sessions.mkdir()
        (rooms / "sound-1.yaml").write_text(ROOM)
        (sessions / "together.yaml").write_text(PROFILE)
        (sessions / "loud.yaml").write_text(CROSSFADE)
        self.sim = SimulatedRoom(load_room(rooms / "sound-1.yaml"), broker.url)
        self.sim.start()
        self.daemon = Daemon(
            DaemonOptions(room_files=[rooms / "sound-1.yaml"], broker=broker.url, audio=True)
        )
        self.daemon.start()
        self.replies: dict[str, tuple[float, dict[str, Any]]] = {}
        self.state: dict[str, Any] = {}
        self._client = mqtt.Client(CallbackAPIVersion.VERSION2)
        self._client.on_message = self._on_message
        self._client.connect("127.0.0.1", broker.port)
        self._client.subscribe("roomctl/sound-1/#", qos=1)
        self._client.loop_start()
        wait_for(
            lambda: (
                self.state.get("devices", {}).get("speaker", {}).get("online") is not False
                and bool(self.state)
            ),
            START_TIMEOUT_S,
            "the room's state",
        )

    def _on_message(self, _c: object, _u: object, msg: mqtt.MQTTMessage) -> None:
        if msg.topic.endswith("/reply"):
            data = json.loads(msg.payload)
            self.replies[data["request_id"]] = (time.monotonic(), data)
        elif msg.topic.endswith("/state"):
            self.state = json.loads(msg.payload)

    def send(self, action: str, **fields: object) -> dict[str, Any]:
        request_id = f"r{time.monotonic_ns()}"
        body = {"action": action, "request_id": request_id, **fields}
        self._client.publish("roomctl/sound-1/cmd", json.dumps(body), qos=1)
        wait_for(lambda: request_id in self.replies, 10.0, f"a reply to {action}")
        return self.replies[request_id][1]

    def close(self) -> None:
        self._client.disconnect()
        self._client.loop_stop()
        self.daemon.stop()
        self.sim.stop()


@pytest.fixture
def room(tmp_path: Path, mosquitto: Mosquitto, pulse: PulseServer) -> Iterator[Room]:
    served = Room(tmp_path, mosquitto)
    yield served
    served.close()


def test_light_and_sound_fades_end_together_and_emergency_silences(
    room: Room, pulse: PulseServer
) -> None:
    recorder = pulse.recorder
    assert recorder is not None
    before = recorder.position()
    sent = time.monotonic()
    reply = room.send("start", profile="together")
    assert reply["ok"] is True, reply
    # The light's native transition: 80% over the 2 s fade.
    ceiling = room.sim.devices["ceiling"]

    def sets() -> list[dict[str, Any]]:
        return [json.loads(p) for _, topic, p in ceiling.received if topic.endswith("/set")]

    wait_for(lambda: bool(sets()), 5.0, "the ceiling's command")
    command = sets()[0]
    assert command["brightness"] == round(0.8 * 254)
    assert command["transition"] == pytest.approx(2.0, abs=0.05)
    # The sound: the recording's sample clock runs with the wall clock from `before`.
    offset = round((sent - time.monotonic()) * RATE) + (recorder.position() - before)
    samples = recorder.read(before, 3.5)
    env = envelope(samples)
    start_index = max(0, offset)
    # Fully up (equal-power fade-in reaches 99% at 0.94 of its length) about when the
    # light's transition ends, 2 s after the command, within 50 ms plus output latency.
    # A tone at the cap comes out of the output limiter's soft knee at 0.988 of it.
    up = crossing(env[start_index:], 0.97 * CAPPED_PEAK, rising=True) / RATE
    assert up == pytest.approx(2.0 * (2 / math.pi) * math.asin(0.97 / 0.988), abs=0.15)
    assert float(np.abs(samples[start_index + round(2.6 * RATE) :]).max()) == pytest.approx(
        CAPPED_PEAK, abs=0.01
    )
    # Emergency: silence within 100 ms of the command.
    mark = recorder.position()
    emergency_sent = time.monotonic()
    assert room.send("emergency")["ok"] is True
    lag = round((time.monotonic() - emergency_sent) * RATE)
    after = recorder.read(mark, 0.6)
    quiet_from = round(0.1 * RATE) + lag
    assert float(np.abs(after[quiet_from:]).max()) < 0.001
    assert room.state["status"] == "emergency"


def test_a_profile_above_max_volume_starts_and_its_crossfade_peaks_at_the_cap(
    room: Room, pulse: PulseServer
) -> None:
    recorder = pulse.recorder
    assert recorder is not None
    before = recorder.position()
    reply = room.send("start", profile="loud")
    assert reply["ok"] is True, reply  # clamped, not refused
    wait_for(lambda: room.state.get("phase") == "second", 15.0, "the crossfade")
    crossing_from = recorder.position()
    samples = recorder.read(before, 2.0 + (crossing_from - before) / RATE + 3.5)
    peak = float(np.abs(samples).max())
    assert peak <= CAPPED_PEAK * CONVERSION_OVERSHOOT + QUANTUM
    # The clamp holds it at the cap, not far under it.
    assert peak >= 0.95 * CAPPED_PEAK
