#!/usr/bin/env python3
"""Check roomctl's Home Assistant discovery with Home Assistant's own code (not run by CI).

Run it with the Python of a venv where `pip install homeassistant` worked (3.12 or later),
outside the repository, from the repository's root:

    /work/ha-venv/bin/python scripts/ha_check.py [--roomctl-python .venv/bin/python]

It starts a Mosquitto, simulated lights and `roomctl run` (with roomctl's own venv), then:
the retained config goes through Home Assistant's device discovery (topic matcher,
abbreviations, DEVICE_DISCOVERY_SCHEMA, origin schema, shared options) and each
component through its platform's DISCOVERY_SCHEMA; the buttons are pressed as Home
Assistant's MQTT button presses them, the profile chosen as its select chooses; every
value and attribute template is rendered by Home Assistant's template engine
(MqttValueTemplate) against the room's real state payloads when idle, running, paused, in
emergency and ended, and the event template against real events, each read as the
platform reads it. Exit 0 when everything holds; each failure is printed.
"""

from __future__ import annotations

import argparse
import asyncio
import importlib
import json
import shutil
import socket
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path
from typing import Any

import paho.mqtt.client as mqtt
import voluptuous as vol
from homeassistant.components.mqtt import discovery
from homeassistant.components.mqtt.const import PAYLOAD_NONE, SUPPORTED_COMPONENTS
from homeassistant.components.mqtt.models import MqttValueTemplate, PayloadSentinel
from homeassistant.core import HomeAssistant
from homeassistant.helpers import frame
from homeassistant.helpers.template import Template
from homeassistant.util import dt as dt_util

ROOM = "ha-check"
PREFIX = "homeassistant"
OPERATOR = "home-assistant"
# How long a step may take: a local broker and daemon answer within milliseconds.
WAIT_S = 15.0
ROOM_YAML = f"""\
id: {ROOM}
name: HA check room
devices:
  ceiling: {{type: zigbee2mqtt, topic: zigbee2mqtt/hacheck/ceiling}}
  lamp:    {{type: tasmota, topic: hacheck-lamp}}
  speaker: {{type: audio, output: default}}
home_assistant: {{discovery: true, prefix: {PREFIX}}}
"""
PROFILE = """\
title: Check
phases:
  - name: settle
    duration: 10m
    lights: {all: {brightness: 50%, color_temp: 3000K}}
    cues: [{at: 10s, notify: Baseline blood pressure}]
  - name: rise
    duration: 10m
    lights: {all: {brightness: 80%}}
"""
failures: list[str] = []


def check(ok: bool, what: str) -> None:
    """Record and print one check."""
    print(("ok    " if ok else "FAIL  ") + what)
    if not ok:
        failures.append(what)


class Watch:
    """A paho client that records every message under roomctl/ and the prefix."""

    def __init__(self, port: int) -> None:
        self.seen: list[tuple[float, str, bytes]] = []
        self.lock = threading.Lock()
        self.client = mqtt.Client(mqtt.CallbackAPIVersion.VERSION2, client_id="ha-check")
        self.client.on_connect = lambda c, *_: c.subscribe([(f"{PREFIX}/#", 1), ("roomctl/#", 1)])
        self.client.on_message = self._message
        self.client.connect("127.0.0.1", port)
        self.client.loop_start()

    def _message(self, _c: Any, _u: Any, msg: mqtt.MQTTMessage) -> None:
        with self.lock:
            self.seen.append((time.monotonic(), msg.topic, bytes(msg.payload)))

    def wait(self, topic: str, since: float, test: Any = lambda _p: True) -> bytes:
        """Return the first payload on a topic since a time that passes a test."""
        deadline = time.monotonic() + WAIT_S
        while time.monotonic() < deadline:
            with self.lock:
                for at, seen_topic, payload in self.seen:
                    if seen_topic == topic and at >= since and test(payload):
                        return payload
            time.sleep(0.02)
        raise TimeoutError(f"nothing on {topic}")

    def publish(self, topic: str, payload: str, qos: int = 0, retain: bool = False) -> float:
        """Publish as Home Assistant does; return when."""
        at = time.monotonic()
        self.client.publish(topic, payload, qos, retain).wait_for_publish(WAIT_S)
        return at


def components_as_home_assistant_sees_them(topic: str, payload: bytes) -> dict[str, Any]:
    """Run the config through Home Assistant's device discovery; return each platform's."""
    match = discovery.TOPIC_MATCHER.match(topic.removeprefix(f"{PREFIX}/"))
    check(match is not None and match.group(1) == "device", f"{topic} is a device topic")
    object_id = match.group(3) if match else ""
    device_payload = discovery._parse_device_payload(None, payload.decode(), object_id, None)  # type: ignore[arg-type]
    check(bool(device_payload), "DEVICE_DISCOVERY_SCHEMA takes the config")
    check(discovery._valid_origin_info(device_payload), "MQTT_ORIGIN_INFO_SCHEMA takes `o`")
    validated: dict[str, Any] = {}
    for key, given in device_payload["components"].items():
        config = dict(given)
        platform = config.pop("platform")
        check(platform in SUPPORTED_COMPONENTS, f"{key}: platform {platform} is supported")
        body = discovery.MQTTDiscoveryPayload(config)
        body["device"], body["origin"] = device_payload["device"], device_payload.get("origin")
        discovery._merge_common_device_options(body, device_payload)
        schema = importlib.import_module(f"homeassistant.components.mqtt.{platform}")
        try:
            validated[key] = {"platform": platform, **schema.DISCOVERY_SCHEMA(dict(body))}
            check(ROOM in str(validated[key].get("unique_id")), f"{key}: valid, room in id")
        except vol.Invalid as error:
            check(False, f"{key}: {platform} DISCOVERY_SCHEMA refuses it: {error}")
    return validated


def validated_template(hass: HomeAssistant, template: Template) -> Template:
    """Return a template as the platform's schema made it (cv.template), bound to hass."""
    check(isinstance(template, Template), "the schema made the template a Template")
    template.hass = hass
    return template


def rendered(hass: HomeAssistant, component: dict[str, Any], payload: bytes) -> Any:
    """Return a component's value template rendered as its platform renders it."""
    template = validated_template(hass, component["value_template"])
    return MqttValueTemplate(template, entity=None).async_render_with_possible_json_value(
        payload, PayloadSentinel.DEFAULT
    )


def takes_event(hass: HomeAssistant, component: dict[str, Any], payload: bytes) -> Any:
    """Return the event an event entity triggers for a payload, as it reads it, or None."""
    text = rendered(hass, component, payload)
    if not text or text in (PAYLOAD_NONE, "{}"):
        return None
    data = json.loads(text)
    check(data.get("event_type") in component["event_types"], f"event type {text[:60]}")
    return data


def reads(hass: HomeAssistant, component: dict[str, Any], payload: bytes) -> Any:
    """Return what a sensor or binary sensor shows for a payload, read as its platform does."""
    text = rendered(hass, component, payload)
    device_class = component.get("device_class")
    value: Any = text
    if text == PAYLOAD_NONE:
        value = None
    elif component["platform"] == "binary_sensor":
        check(text in ("ON", "OFF"), f"binary sensor says ON or OFF: {text}")
        value = text == "ON"
    elif device_class == "timestamp":
        value = dt_util.parse_datetime(text)
        check(value is not None and value.tzinfo is not None, f"timestamp {text} has a zone")
    elif device_class == "enum":
        check(text in component["options"], f"{text} is one of the enum's options")
    elif device_class == "duration":
        value = float(text)
    return value


def attributes(hass: HomeAssistant, component: dict[str, Any], payload: bytes) -> Any:
    """Return an entity's attributes rendered by Home Assistant's engine."""
    template = MqttValueTemplate(
        validated_template(hass, component["json_attributes_template"]), entity=None
    )
    return json.loads(template.async_render_with_possible_json_value(payload, "{}"))


def drive(watch: Watch, cmps: dict[str, Any]) -> tuple[dict[str, bytes], list[bytes]]:
    """Press the buttons as Home Assistant would; return a state per status and events."""
    state, events = f"roomctl/{ROOM}/state", f"roomctl/{ROOM}/events"

    def status(name: str) -> Any:
        return lambda p: json.loads(p)["status"] == name

    def by_home_assistant(kind: str) -> Any:
        return lambda p: json.loads(p)["type"] == kind and json.loads(p).get("by") == OPERATOR

    def press(key: str, kind: str) -> float:
        button = cmps[key]
        at = watch.publish(button["command_topic"], button["payload_press"], button["qos"])
        watch.wait(events, at, by_home_assistant(kind))
        check(True, f"button {key}: a {kind} event by {OPERATOR}")
        return at

    states = {"idle": watch.wait(state, 0, status("idle"))}
    choice = cmps["profile_choice"]
    at = watch.publish(choice["command_topic"], "check", choice["qos"], choice["retain"])
    time.sleep(0.5)  # a start that must not come
    with watch.lock:
        started = [p for t, topic, p in watch.seen if topic == events and t >= at]
    check(not any(b"session_started" in p for p in started), "choosing a profile starts nothing")
    at = press("start_selected", "session_started")
    states["running"] = watch.wait(state, at, status("running"))
    cue = watch.wait(events, at, lambda p: json.loads(p)["type"] == "cue")
    states["pending"] = watch.wait(state, at, lambda p: bool(json.loads(p)["pending_cues"]))
    press("ack", "cue_acknowledged")
    states["paused"] = watch.wait(state, press("pause", "paused"), status("paused"))
    press("resume", "resumed")
    press("extend", "extended")
    at = press("next", "skipped")
    phase = watch.wait(events, at, lambda p: json.loads(p)["type"] == "phase_started")
    states["emergency"] = watch.wait(state, press("emergency", "emergency"), status("emergency"))
    press("release", "released")
    states["ended"] = watch.wait(state, press("stop", "stopped"), status("ended"))
    return states, [cue, phase]


def render_all(
    hass: HomeAssistant, cmps: dict[str, Any], states: dict[str, bytes], events: list[bytes]
) -> None:
    """Render every template against the real payloads with Home Assistant's engine."""
    expected = {
        "idle": {"status": "idle", "profile": None, "ends_at": None, "emergency_on": False},
        "running": {"status": "running", "profile": "check", "phase": "settle"},
        "pending": {"pending_cue": "Baseline blood pressure"},
        "paused": {"status": "paused", "ends_at": None, "pending_cue": None},
        "emergency": {"status": "emergency", "emergency_on": True, "ends_at": None},
        "ended": {"status": "ended", "phase": None, "ends_at": None, "time_left": 0.0},
    }
    for name, payload in states.items():
        shown = {}
        for key, component in cmps.items():
            if component.get("state_topic") == f"roomctl/{ROOM}/state":
                shown[key] = reads(hass, component, payload)
                if "json_attributes_template" in component:
                    attributes(hass, component, payload)
        print(f"      {name}: " + ", ".join(f"{k}={v}" for k, v in shown.items()))
        for key, value in expected[name].items():
            check(shown[key] == value, f"{name}: {key} shows {shown[key]!r}, expected {value!r}")
        if name == "running":
            check(shown["ends_at"] is not None and shown["time_left"] > 0, "running: ends, left")
    for payload in events:
        shown_event = takes_event(hass, cmps["room_event"], payload)
        check(shown_event is not None, f"event entity takes {json.loads(payload)['type']}")


async def with_home_assistant(work: Path, watch: Watch, topic: str) -> None:
    """Validate and render inside a Home Assistant instance (its helpers need one)."""
    hass = HomeAssistant(str(work / "ha-config"))
    frame.async_setup(hass)
    config = await asyncio.to_thread(watch.wait, topic, 0, bool)
    cmps = components_as_home_assistant_sees_them(topic, config)
    states, events = await asyncio.to_thread(drive, watch, cmps)
    render_all(hass, cmps, states, events)
    await hass.async_stop(force=True)


def main() -> int:
    """Run the check; return 0 when everything holds."""
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--roomctl-python", default=".venv/bin/python")
    roomctl_python = parser.parse_args().roomctl_python
    work = Path(tempfile.mkdtemp(prefix="ha-check-"))
    (work / "rooms").mkdir()
    (work / "sessions").mkdir()
    room = work / "rooms" / f"{ROOM}.yaml"
    room.write_text(ROOM_YAML)
    (work / "sessions" / "check.yaml").write_text(PROFILE)
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    (work / "mosquitto.conf").write_text(f"listener {port} 127.0.0.1\nallow_anonymous true\n")
    url = f"mqtt://127.0.0.1:{port}"
    mosquitto = shutil.which("mosquitto") or "/usr/sbin/mosquitto"
    log = (work / "processes.log").open("wb")
    quiet = {"stdout": log, "stderr": subprocess.STDOUT}
    processes = [subprocess.Popen([mosquitto, "-c", str(work / "mosquitto.conf")], **quiet)]
    time.sleep(0.5)  # Mosquitto binds within milliseconds
    watch = Watch(port)
    try:
        processes.append(
            subprocess.Popen(
                [roomctl_python, "scripts/sim_devices.py", str(room), "--broker", url], **quiet
            )
        )
        run = [roomctl_python, "-m", "roomctl", "run", "--room", str(room), "--broker", url]
        run += ["--state-dir", str(work / "state"), "--no-sound", "--speed", "10"]
        processes.append(subprocess.Popen(run, **quiet))
        topic = f"{PREFIX}/device/roomctl_{ROOM}/config"
        (work / "ha-config").mkdir()
        asyncio.run(with_home_assistant(work, watch, topic))
        config = watch.wait(topic, 0, bool)
        again = watch.wait(topic, watch.publish(f"{PREFIX}/status", "online"), bool)
        check(again == config, "`online` on homeassistant/status: announced again, the same")
        processes.pop().terminate()
        time.sleep(1.0)  # the daemon says offline and leaves
        remove = [roomctl_python, "-m", "roomctl", "ha-remove", "--room", ROOM, "--broker", url]
        check(subprocess.run(remove, check=False).returncode == 0, "roomctl ha-remove: exit 0")
        check(watch.wait(topic, 0, lambda p: p == b"") == b"", "ha-remove cleared the config")
    finally:
        for process in reversed(processes):
            process.terminate()
            process.wait()
        log.close()
    print(f"{len(failures)} failures (the processes' output: {work / 'processes.log'})")
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
