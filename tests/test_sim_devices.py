"""Simulated lights against a real Mosquitto, driven by a real paho client with real payloads."""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass

import paho.mqtt.client as mqtt
import pytest
from paho.mqtt.enums import CallbackAPIVersion

from roomctl.core.levels import LightLevel
from roomctl.demo.sim import (
    SimDevice,
    SimulatedMqttJson,
    SimulatedRoom,
    SimulatedShelly,
    SimulatedTasmota,
    SimulatedWled,
    SimulatedZigbee2Mqtt,
)
from roomctl.demo.sim.wled import INTERFACE_COOLDOWN_S
from roomctl.models import RoomPreset
from tests.fixtures.broker import Mosquitto

# How long a test waits for a message that a local broker delivers in milliseconds.
WAIT_S = 3.0
# The transitions under test: long enough to sample the middle, short enough to stay fast.
FADE_S = 0.4
# How far a sampled level may be from the straight line through the transition: generous,
# because a loaded machine may sample late, but the check still fails a jump or no fade.
LEVEL_TOLERANCE = 0.1


@dataclass(frozen=True)
class Seen:
    """One message the watching client received."""

    at: float
    topic: str
    payload: str
    retain: bool


class Watcher:
    """A real paho client playing roomctl: publishes commands and records everything it sees."""

    def __init__(self, broker: Mosquitto, topics: str = "#") -> None:
        self.seen: list[Seen] = []
        self._changed = threading.Condition()
        self._client = mqtt.Client(CallbackAPIVersion.VERSION2)
        self._client.on_message = self._on_message
        subscribed = threading.Event()
        self._client.on_subscribe = lambda *_args: subscribed.set()
        self._client.connect("127.0.0.1", broker.port)
        self._client.subscribe(topics, qos=1)
        self._client.loop_start()
        assert subscribed.wait(WAIT_S)

    def _on_message(self, _client: mqtt.Client, _userdata: object, msg: mqtt.MQTTMessage) -> None:
        seen = Seen(time.monotonic(), msg.topic, msg.payload.decode(), bool(msg.retain))
        with self._changed:
            self.seen.append(seen)
            self._changed.notify_all()

    def publish(self, topic: str, payload: str | dict[str, object]) -> None:
        text = payload if isinstance(payload, str) else json.dumps(payload)
        self._client.publish(topic, text, qos=1).wait_for_publish(WAIT_S)

    def wait_for(
        self, topic: str, match: Callable[[str], bool] = lambda _p: True, after: int = 0
    ) -> Seen:
        """Return the first message on `topic` (from index `after`) whose payload matches."""
        deadline = time.monotonic() + WAIT_S
        with self._changed:
            while True:
                for seen in self.seen[after:]:
                    if seen.topic == topic and match(seen.payload):
                        return seen
                left = deadline - time.monotonic()
                if left <= 0:
                    got = [s for s in self.seen if s.topic == topic]
                    raise AssertionError(f"nothing matching on {topic}; got {got}")
                self._changed.wait(left)

    def mark(self) -> int:
        """Return an index: later waits look only at messages after this point."""
        with self._changed:
            return len(self.seen)

    def close(self) -> None:
        self._client.disconnect()
        self._client.loop_stop()


@pytest.fixture
def watcher(mosquitto: Mosquitto) -> Iterator[Watcher]:
    """Watch every topic on the test's broker."""
    watching = Watcher(mosquitto)
    yield watching
    watching.close()


@pytest.fixture
def started(mosquitto: Mosquitto) -> Iterator[Callable[[SimDevice], SimDevice]]:
    """Start simulated devices for a test and stop them afterwards."""
    devices: list[SimDevice] = []

    def start(device: SimDevice) -> SimDevice:
        device.start()
        devices.append(device)
        return device

    yield start
    for device in devices:
        device.stop()


def wait_received(device: SimDevice, count: int) -> float:
    """Wait until the device has received `count` commands; return the last arrival time."""
    deadline = time.monotonic() + WAIT_S
    while len(device.received) < count:
        assert time.monotonic() < deadline, f"{device.name} got {device.received}"
        time.sleep(0.005)
    return device.received[count - 1][0]


def wait_level(device: SimDevice, expected: LightLevel) -> None:
    """Wait until the device shows exactly `expected` (after its transition ends)."""
    deadline = time.monotonic() + WAIT_S
    while device.level() != expected:
        assert time.monotonic() < deadline, f"{device.name} shows {device.level()}"
        time.sleep(0.01)


def check_midway(
    device: SimDevice, start: float, duration: float, low: float, high: float
) -> float:
    """Sample a fade halfway and check it lies on the line from `low` to `high`; return it."""
    time.sleep(max(0.0, start + duration / 2 - time.monotonic()))
    level = device.level()
    fraction = (time.monotonic() - start) / duration
    assert 0.3 < fraction < 0.8, "sampled too late to see the middle of the fade"
    assert level.on
    assert level.brightness == pytest.approx(low + (high - low) * fraction, abs=LEVEL_TOLERANCE)
    return level.brightness


# -- zigbee2mqtt --------------------------------------------------------------------------


def test_zigbee2mqtt_sets_level_and_echoes_full_state(
    mosquitto: Mosquitto, watcher: Watcher, started: Callable[[SimDevice], SimDevice]
) -> None:
    light = started(SimulatedZigbee2Mqtt("ceiling", mosquitto.url, "zigbee2mqtt/r1/ceiling"))
    mark = watcher.mark()
    watcher.publish(
        "zigbee2mqtt/r1/ceiling/set", {"state": "ON", "brightness": 127, "color_temp": 300}
    )
    on = watcher.wait_for("zigbee2mqtt/r1/ceiling", lambda p: '"ON"' in p, mark)
    echo = json.loads(on.payload)
    assert echo == {"state": "ON", "brightness": 127, "color_temp": 300, "color_mode": "color_temp"}
    assert light.level() == LightLevel(on=True, brightness=127 / 254, mireds=300.0)

    mark = watcher.mark()
    watcher.publish("zigbee2mqtt/r1/ceiling/set", {"color": {"hex": "#ff8800"}})
    xy = watcher.wait_for("zigbee2mqtt/r1/ceiling", lambda p: '"xy"' in p, mark)
    echo = json.loads(xy.payload)
    assert echo["color"] == pytest.approx({"x": 0.5336, "y": 0.4145}, abs=0.002)  # sRGB D65
    assert light.level() == LightLevel(on=True, brightness=127 / 254, color=(255.0, 136.0, 0.0))

    # An explicit state wins over a brightness in the same payload.
    mark = watcher.mark()
    watcher.publish("zigbee2mqtt/r1/ceiling/set", {"state": "OFF", "brightness": 100})
    off = watcher.wait_for("zigbee2mqtt/r1/ceiling", lambda p: '"OFF"' in p, mark)
    assert json.loads(off.payload)["brightness"] == 100
    assert light.level() == LightLevel(on=False, brightness=0.0, color=(255.0, 136.0, 0.0))
    watcher.publish("zigbee2mqtt/r1/ceiling/set", {"state": "TOGGLE"})
    wait_level(light, LightLevel(on=True, brightness=100 / 254, color=(255.0, 136.0, 0.0)))


def test_zigbee2mqtt_transition_runs_in_time_and_a_new_command_starts_where_it_is(
    mosquitto: Mosquitto, watcher: Watcher, started: Callable[[SimDevice], SimDevice]
) -> None:
    light = started(SimulatedZigbee2Mqtt("ceiling", mosquitto.url, "z/ceiling"))
    watcher.publish("z/ceiling/set", {"state": "ON", "brightness": 254, "transition": FADE_S})
    start = wait_received(light, 1)
    check_midway(light, start, FADE_S, 0.0, 1.0)
    wait_level(light, LightLevel(on=True, brightness=1.0, mireds=370.0))

    # Fade down again, and halfway send the level it shows with no transition: a pause.
    watcher.publish("z/ceiling/set", {"brightness": 2, "transition": FADE_S})
    start = wait_received(light, 2)
    here = check_midway(light, start, FADE_S, 1.0, 2 / 254)
    watcher.publish("z/ceiling/set", {"brightness": round(here * 254), "transition": 0})
    wait_received(light, 3)
    held = light.level()
    assert held.brightness == pytest.approx(here, abs=1 / 254)
    time.sleep(FADE_S)
    assert light.level() == held, "the old transition went on after the new command"


# -- Tasmota ------------------------------------------------------------------------------


def test_tasmota_backlog_runs_its_commands_200_ms_apart(
    mosquitto: Mosquitto, watcher: Watcher, started: Callable[[SimDevice], SimDevice]
) -> None:
    lamp = started(SimulatedTasmota("lamp", mosquitto.url, "r1-lamp"))
    mark = watcher.mark()
    watcher.publish("cmnd/r1-lamp/Backlog", "Power ON; Dimmer 40; CT 300")
    power = watcher.wait_for("stat/r1-lamp/RESULT", lambda p: p == '{"POWER":"ON"}', mark)
    dimmer = watcher.wait_for("stat/r1-lamp/RESULT", lambda p: '"Dimmer":40' in p, mark)
    ct = watcher.wait_for("stat/r1-lamp/RESULT", lambda p: '"CT":300' in p, mark)
    assert watcher.wait_for("stat/r1-lamp/POWER", after=mark).payload == "ON"
    assert dimmer.at - power.at >= 0.15
    assert ct.at - dimmer.at >= 0.15
    result = json.loads(ct.payload)
    assert result["POWER"] == "ON"
    assert result["Dimmer"] == 40
    assert result["White"] == 40
    assert lamp.level() == LightLevel(on=True, brightness=0.4, mireds=300.0)


def test_tasmota_speed2_fades_the_next_command_at_a_fixed_slew_rate(
    mosquitto: Mosquitto, watcher: Watcher, started: Callable[[SimDevice], SimDevice]
) -> None:
    lamp = started(SimulatedTasmota("lamp", mosquitto.url, "lamp"))
    watcher.publish("cmnd/lamp/Dimmer", "40")
    wait_level(lamp, LightLevel(on=True, brightness=0.4, mireds=153.0))
    # Speed2 2 is 1 s for a full 0-100 % fade, so 40 -> 90 % (half the range) takes 0.5 s.
    # Power ON and CT 153 change nothing here, so they leave Speed2 for the Dimmer.
    watcher.publish("cmnd/lamp/Backlog0", "Speed2 2; Power ON; CT 153; Dimmer 90")
    start = wait_received(lamp, 2)
    check_midway(lamp, start, 0.5, 0.4, 0.9)
    wait_level(lamp, LightLevel(on=True, brightness=0.9, mireds=153.0))
    # The speed was for that command only: the next change is immediate again.
    watcher.publish("cmnd/lamp/Dimmer", "20")
    wait_received(lamp, 3)
    time.sleep(0.05)
    assert lamp.level() == LightLevel(on=True, brightness=0.2, mireds=153.0)


def test_tasmota_dimmer_bang_stops_a_fade_where_it_is(
    mosquitto: Mosquitto, watcher: Watcher, started: Callable[[SimDevice], SimDevice]
) -> None:
    lamp = started(SimulatedTasmota("lamp", mosquitto.url, "lamp"))
    watcher.publish("cmnd/lamp/Backlog0", "SetOption117 1; Fade 1; Speed 1; Dimmer 10")
    wait_level(lamp, LightLevel(on=True, brightness=0.1, mireds=153.0))
    # Speed 8 with SetOption117: 4 s, any distance. Slow enough that the level the bang
    # holds is within the tolerance of the one sampled (0.5 s of fade) on a busy machine.
    watcher.publish("cmnd/lamp/Backlog0", "Speed 8; Dimmer 90")
    start = wait_received(lamp, 2)
    here = check_midway(lamp, start, 4.0, 0.1, 0.9)
    mark = watcher.mark()
    watcher.publish("cmnd/lamp/Dimmer", "!")
    bang = watcher.wait_for("stat/lamp/RESULT", lambda p: '"Dimmer":90' not in p, mark)
    result = json.loads(bang.payload)
    held = lamp.level()
    assert result["Dimmer"] == round(held.brightness * 100)
    assert held.brightness == pytest.approx(here, abs=LEVEL_TOLERANCE)
    time.sleep(0.5)
    assert lamp.level() == held


def test_tasmota_color_sets_brightness_from_the_colour_unless_color2(
    mosquitto: Mosquitto, watcher: Watcher, started: Callable[[SimDevice], SimDevice]
) -> None:
    lamp = started(SimulatedTasmota("lamp", mosquitto.url, "lamp"))
    mark = watcher.mark()
    watcher.publish("cmnd/lamp/Color", "#804400")
    result = json.loads(watcher.wait_for("stat/lamp/RESULT", after=mark).payload)
    assert result["Dimmer"] == 50
    assert result["HSBColor"] == "32,100,50"
    assert lamp.level().color == pytest.approx((255.0, 135.5, 0.0), abs=0.6)
    watcher.publish("cmnd/lamp/Dimmer", "30")
    watcher.publish("cmnd/lamp/Color2", "0,0,255")
    watcher.wait_for("stat/lamp/RESULT", lambda p: '"HSBColor":"240,100,30"' in p, mark)
    assert lamp.level() == LightLevel(on=True, brightness=0.3, color=(0.0, 0.0, 255.0))
    mark = watcher.mark()
    watcher.publish("cmnd/lamp/Fly", "1")
    assert watcher.wait_for("stat/lamp/RESULT", after=mark).payload == '{"Command":"Unknown"}'


# -- WLED ---------------------------------------------------------------------------------


def test_wled_json_api_sets_level_and_publishes_g_and_c(
    mosquitto: Mosquitto, watcher: Watcher, started: Callable[[SimDevice], SimDevice]
) -> None:
    strip = started(SimulatedWled("strip", mosquitto.url, "wled/r1"))
    mark = watcher.mark()
    watcher.publish(
        "wled/r1/api", {"on": True, "bri": 128, "tt": 0, "seg": [{"col": [[255, 0, 0]]}]}
    )
    watcher.wait_for("wled/r1/g", lambda p: p == "128", mark)
    watcher.wait_for("wled/r1/c", lambda p: p == "#FF0000", mark)
    watcher.wait_for("wled/r1/v", lambda p: "<ac>128</ac><cl>255</cl><cl>0</cl>" in p, mark)
    assert strip.level() == LightLevel(on=True, brightness=128 / 255, color=(255.0, 0.0, 0.0))


def test_wled_tt_fades_this_call_and_echoes_at_most_once_a_second(
    mosquitto: Mosquitto, watcher: Watcher, started: Callable[[SimDevice], SimDevice]
) -> None:
    strip = started(SimulatedWled("strip", mosquitto.url, "wled/r1"))
    mark = watcher.mark()
    watcher.publish("wled/r1/api", {"on": True, "bri": 255, "tt": 0, "seg": {"col": ["0000FF"]}})
    first = watcher.wait_for("wled/r1/g", lambda p: p == "255", mark)
    assert strip.level() == LightLevel(on=True, brightness=1.0, color=(0.0, 0.0, 255.0))
    watcher.publish("wled/r1/api", {"bri": 51, "tt": round(FADE_S * 10)})
    start = wait_received(strip, 2)
    check_midway(strip, start, FADE_S, 1.0, 0.2)
    wait_level(strip, LightLevel(on=True, brightness=0.2, color=(0.0, 0.0, 255.0)))
    # The second command came within WLED's one-second cooldown: its echo waits for it.
    second = watcher.wait_for("wled/r1/g", lambda p: p == "51", mark)
    assert second.at - first.at >= INTERFACE_COOLDOWN_S - 0.05


def test_wled_shows_white_from_its_white_channel_at_the_segment_cct(
    mosquitto: Mosquitto, watcher: Watcher, started: Callable[[SimDevice], SimDevice]
) -> None:
    strip = started(SimulatedWled("strip", mosquitto.url, "wled/r1"))
    orange = LightLevel(on=True, brightness=1.0, color=(255.0, 160.0, 0.0))
    watcher.publish("wled/r1/api", {"on": True, "bri": 255, "tt": 0, "seg": [{"cct": 2500}]})
    wait_received(strip, 1)
    assert strip.level() == orange, "cct alone changes only the white LEDs' temperature"
    mark = watcher.mark()
    watcher.publish("wled/r1/api", {"tt": 0, "seg": [{"col": [[0, 0, 0, 128]], "cct": 2500}]})
    watcher.wait_for("wled/r1/c", lambda p: p == "#80000000", mark)
    assert strip.level() == LightLevel(on=True, brightness=128 / 255, mireds=400.0)


def test_wled_turns_off_and_on_keeping_its_brightness(
    mosquitto: Mosquitto, watcher: Watcher, started: Callable[[SimDevice], SimDevice]
) -> None:
    strip = started(SimulatedWled("strip", mosquitto.url, "wled/r1"))
    watcher.publish("wled/r1/api", {"on": True, "bri": 100, "tt": 0})
    watcher.publish("wled/r1/api", {"on": False, "tt": 0})
    wait_received(strip, 2)
    assert not strip.level().on
    assert watcher.wait_for("wled/r1/g", lambda p: p == "0").payload == "0"
    watcher.publish("wled/r1/api", {"on": True, "transition": 0})
    wait_level(strip, LightLevel(on=True, brightness=100 / 255, color=(255.0, 160.0, 0.0)))


# -- Shelly -------------------------------------------------------------------------------


def test_shelly_rgb_set_answers_on_the_caller_topic_and_fades(
    mosquitto: Mosquitto, watcher: Watcher, started: Callable[[SimDevice], SimDevice]
) -> None:
    panel = started(SimulatedShelly("panel", mosquitto.url, "shellyprorgbwpm-r1"))
    mark = watcher.mark()
    watcher.publish(
        "shellyprorgbwpm-r1/rpc",
        {
            "id": 7,
            "src": "roomctl-r1",
            "method": "RGB.Set",
            "params": {
                "id": 0,
                "on": True,
                "brightness": 80,
                "rgb": [255, 136, 0],
                "transition_duration": 0.5,
            },
        },
    )
    reply = json.loads(watcher.wait_for("roomctl-r1/rpc", after=mark).payload)
    assert reply == {"id": 7, "src": "shellyprorgbwpm-r1", "dst": "roomctl-r1", "result": None}
    start = wait_received(panel, 1)
    check_midway(panel, start, 0.5, 0.0, 0.8)
    wait_level(panel, LightLevel(on=True, brightness=0.8, color=(255.0, 136.0, 0.0)))
    final = watcher.wait_for(
        "shellyprorgbwpm-r1/status/rgb:0", lambda p: "transition" not in p and "136" in p, mark
    )
    assert json.loads(final.payload) == {
        "id": 0,
        "source": "MQTT",
        "output": True,
        "brightness": 80,
        "rgb": [255, 136, 0],
    }
    event = json.loads(watcher.wait_for("shellyprorgbwpm-r1/events/rpc", after=mark).payload)
    assert event["method"] == "NotifyStatus"
    assert event["params"]["rgb:0"]["transition"]["target"]["brightness"] == 80


def test_shelly_refuses_what_the_device_refuses(
    mosquitto: Mosquitto, watcher: Watcher, started: Callable[[SimDevice], SimDevice]
) -> None:
    dimmer = started(SimulatedShelly("dimmer", mosquitto.url, "shelly-r1", mode="light"))
    calls: list[tuple[str, dict[str, object]]] = [
        ("Light.Set", {"id": 0, "on": True, "transition_duration": 0}),
        ("Light.Set", {"id": 1, "on": True}),
        ("RGB.Set", {"id": 0, "on": True}),
    ]
    mark = watcher.mark()
    for number, (method, params) in enumerate(calls):
        frame = {"id": number, "src": "me", "method": method, "params": params}
        watcher.publish("shelly-r1/rpc", frame)
    codes = []
    for number in range(len(calls)):
        seen = watcher.wait_for("me/rpc", lambda p, n=number: json.loads(p)["id"] == n, mark)
        codes.append(json.loads(seen.payload)["error"]["code"])
    assert codes == [-103, -105, 404]
    assert not dimmer.level().on

    watcher.publish(
        "shelly-r1/rpc",
        {
            "id": 9,
            "src": "me",
            "method": "Light.Set",
            "params": {"id": 0, "on": True, "brightness": 30, "transition_duration": 0.5},
        },
    )
    wait_level(dimmer, LightLevel(on=True, brightness=0.3))


# -- Home Assistant JSON ------------------------------------------------------------------


def test_mqtt_json_light_fades_and_keeps_a_retained_state(
    mosquitto: Mosquitto, watcher: Watcher, started: Callable[[SimDevice], SimDevice]
) -> None:
    cove = started(
        SimulatedMqttJson("cove", mosquitto.url, "r1/cove/set", "r1/cove", "r1/cove/avail")
    )
    watcher.publish(
        "r1/cove/set",
        {"state": "ON", "brightness": 255, "color": {"r": 0, "g": 0, "b": 255}, "transition": 0.4},
    )
    start = wait_received(cove, 1)
    check_midway(cove, start, FADE_S, 0.0, 1.0)
    wait_level(cove, LightLevel(on=True, brightness=1.0, color=(0.0, 0.0, 255.0)))
    late = Watcher(mosquitto, "r1/cove")
    try:
        state = late.wait_for("r1/cove")
    finally:
        late.close()
    assert state.retain
    assert json.loads(state.payload) == {
        "state": "ON",
        "brightness": 255,
        "color_mode": "rgb",
        "color": {"r": 0, "g": 0, "b": 255},
    }


# -- availability, for every type ---------------------------------------------------------

AVAILABILITY: list[tuple[Callable[[str], SimDevice], str, str, str]] = [
    (
        lambda url: SimulatedZigbee2Mqtt("z", url, "zigbee2mqtt/z"),
        "zigbee2mqtt/z/availability",
        '{"state":"online"}',
        '{"state":"offline"}',
    ),
    (lambda url: SimulatedTasmota("t", url, "t"), "tele/t/LWT", "Online", "Offline"),
    (lambda url: SimulatedWled("w", url, "wled/w"), "wled/w/status", "online", "offline"),
    (lambda url: SimulatedShelly("s", url, "shelly-s"), "shelly-s/online", "true", "false"),
    (
        lambda url: SimulatedMqttJson("j", url, "j/set", "j", "j/avail"),
        "j/avail",
        "online",
        "offline",
    ),
]


@pytest.mark.parametrize(("make", "topic", "online", "offline"), AVAILABILITY)
def test_availability_online_offline_and_back(
    mosquitto: Mosquitto,
    started: Callable[[SimDevice], SimDevice],
    make: Callable[[str], SimDevice],
    topic: str,
    online: str,
    offline: str,
) -> None:
    device = started(make(mosquitto.url))
    late = Watcher(mosquitto, topic)
    try:
        first = late.wait_for(topic)
        assert (first.payload, first.retain) == (online, True)
        mark = late.mark()
        device.go_offline()
        assert late.wait_for(topic, after=mark).payload == offline
        assert not device.online
        mark = late.mark()
        device.go_online()
        assert late.wait_for(topic, after=mark).payload == online
        assert device.online
    finally:
        late.close()


@pytest.mark.parametrize(("make", "topic", "online", "offline"), AVAILABILITY)
def test_last_will_marks_a_crashed_device_offline(
    mosquitto: Mosquitto,
    started: Callable[[SimDevice], SimDevice],
    make: Callable[[str], SimDevice],
    topic: str,
    online: str,
    offline: str,
) -> None:
    device = started(make(mosquitto.url))
    device.crash()
    late = Watcher(mosquitto, topic)
    try:
        will = late.wait_for(topic, lambda p: p != online)
        assert (will.payload, will.retain) == (offline, True)
        mark = late.mark()
        device.go_online()
        assert late.wait_for(topic, after=mark).payload == online
    finally:
        late.close()


def test_an_offline_device_ignores_commands(
    mosquitto: Mosquitto, watcher: Watcher, started: Callable[[SimDevice], SimDevice]
) -> None:
    light = started(SimulatedZigbee2Mqtt("ceiling", mosquitto.url, "z/ceiling"))
    light.go_offline()
    watcher.publish("z/ceiling/set", {"state": "ON"})
    watcher.wait_for("z/ceiling/set")
    time.sleep(0.1)
    assert light.received == []
    assert not light.level().on
    light.go_online()
    watcher.publish("z/ceiling/set", {"state": "ON"})
    wait_level(light, LightLevel(on=True, brightness=1.0, mireds=370.0))
    assert [topic for _at, topic, _payload in light.received] == ["z/ceiling/set"]


# -- a whole room -------------------------------------------------------------------------


def test_simulated_room_plays_every_light_of_a_preset(
    mosquitto: Mosquitto, watcher: Watcher
) -> None:
    room = RoomPreset.model_validate(
        {
            "id": "room-9",
            "devices": {
                "ceiling": {"type": "zigbee2mqtt", "topic": "zigbee2mqtt/r9/ceiling"},
                "lamp": {"type": "tasmota", "topic": "r9-lamp"},
                "strip": {"type": "wled", "topic": "wled/r9"},
                "panel": {"type": "shelly", "topic": "shelly-r9", "mode": "light"},
                "cove": {"type": "mqtt_json", "command_topic": "r9/cove/set"},
                "speaker": {"type": "audio"},
            },
        }
    )
    with SimulatedRoom(room, mosquitto.url) as sim:
        kinds = {name: device.kind for name, device in sim.devices.items()}
        assert kinds == {
            "ceiling": "zigbee2mqtt",
            "lamp": "tasmota",
            "strip": "wled",
            "panel": "shelly",
            "cove": "mqtt_json",
        }
        watcher.publish("cmnd/r9-lamp/Dimmer", "25")
        watcher.publish("r9/cove/set", {"state": "ON", "brightness": 51})
        wait_level(sim.devices["lamp"], LightLevel(on=True, brightness=0.25, mireds=153.0))
        wait_level(sim.devices["cove"], LightLevel(on=True, brightness=0.2, mireds=370.0))
        assert sim.levels()["panel"] == LightLevel(on=False, brightness=0.0)
        mark = watcher.mark()
    watcher.wait_for("tele/r9-lamp/LWT", lambda p: p == "Offline", mark)
    watcher.wait_for("shelly-r9/online", lambda p: p == "false", mark)


def test_every_light_comes_back_after_the_broker_restarts(mosquitto: Mosquitto) -> None:
    room = RoomPreset.model_validate(
        {
            "id": "room-8",
            "devices": {
                "ceiling": {"type": "zigbee2mqtt", "topic": "z/r8"},
                "lamp": {"type": "tasmota", "topic": "r8-lamp"},
                "strip": {"type": "wled", "topic": "wled/r8"},
                "panel": {"type": "shelly", "topic": "shelly-r8"},
                "cove": {
                    "type": "mqtt_json",
                    "command_topic": "r8/set",
                    "availability_topic": "r8/a",
                },
            },
        }
    )
    with SimulatedRoom(room, mosquitto.url) as sim:
        mosquitto.stop()  # a non-persistent broker: every retained availability is gone
        mosquitto.start()
        watcher = Watcher(mosquitto)
        try:
            for topic, online in [
                ("z/r8/availability", '{"state":"online"}'),
                ("tele/r8-lamp/LWT", "Online"),
                ("wled/r8/status", "online"),
                ("shelly-r8/online", "true"),
                ("r8/a", "online"),
            ]:
                assert watcher.wait_for(topic).payload == online
            watcher.publish("cmnd/r8-lamp/Dimmer", "60")
            wait_level(sim.devices["lamp"], LightLevel(on=True, brightness=0.6, mireds=153.0))
        finally:
            watcher.close()
