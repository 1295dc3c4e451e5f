"""A WLED strip: JSON API on `<topic>/api`; brightness on `<topic>/g`, colour on `<topic>/c`."""

from __future__ import annotations

import json
import logging
import math
import time
from typing import Any, Self

from roomctl.api.wire import compact_json
from roomctl.core.levels import LightLevel, Rgb
from roomctl.demo.sim._color import normalized, to_hex
from roomctl.demo.sim._device import SimDevice
from roomctl.demo.sim._json import is_int
from roomctl.devices.base import expect_spec
from roomctl.devices.spec import LightSpec
from roomctl.devices.wled import WledSpec

_LOGGER = logging.getLogger(__name__)

# WLED counts transitions (`transition`, `tt`) in units of 100 ms.
TRANSITION_UNIT_S = 0.1
# WLED's factory default transition: every change crossfades over 0.7 s unless told otherwise.
DEFAULT_TRANSITION = 7
# WLED keeps the running transition in a 16-bit millisecond counter: 65.5 s at most.
MAX_TRANSITION_S = 65.535
# WLED publishes its MQTT state at most once a second (INTERFACE_UPDATE_COOLDOWN), the
# latest state winning, so a burst of commands gives one echo now and one a second later.
INTERFACE_COOLDOWN_S = 1.0
BRI_MAX = 255
# WLED takes a segment's `cct` as 0 (warm) to 255 (cold), or as kelvin within this range.
CCT_KELVIN_MIN = 1900
CCT_KELVIN_MAX = 10091
# A new segment's `cct` in WLED: the middle of the range.
DEFAULT_CCT = 127
ONLINE = "online"
OFFLINE = "offline"


class SimulatedWled(SimDevice):
    """A WLED RGB+CCT strip with one segment, taking the JSON API and WLED's plain topics.

    The primary colour is `[r, g, b, w]`: RGB drives the colour LEDs and `w` the white
    LEDs, whose temperature is the segment's `cct`. Setting `cct` alone changes only that
    temperature; the strip shows white when its RGB is black and `w` is not. Modelled on
    WLED's MQTT and JSON API pages and its firmware (mqtt.cpp, led.cpp, json.cpp).
    """

    kind = "wled"

    def __init__(self, name: str, broker_url: str, topic: str) -> None:
        self.topic = topic
        self._on = False
        self._bri = 128
        self._rgb: Rgb = (255.0, 160.0, 0.0)
        self._white = 0.0
        self._cct = DEFAULT_CCT
        self._transition = DEFAULT_TRANSITION
        self._last_echo = -math.inf
        self._echo_pending = False
        super().__init__(name, broker_url)

    @classmethod
    def from_spec(cls, name: str, spec: LightSpec, broker_url: str) -> Self:
        """Return the simulation of the light a room file's entry describes."""
        spec = expect_spec(spec, WledSpec)
        return cls(name, broker_url, spec.topic)

    def _subscriptions(self) -> list[str]:
        return [self.topic, f"{self.topic}/col", f"{self.topic}/api"]

    def _will(self) -> tuple[str, str]:
        return (f"{self.topic}/status", OFFLINE)

    def _announce(self) -> None:
        # On connecting WLED publishes directly, outside its interface cooldown.
        self._publish(f"{self.topic}/status", ONLINE, retain=True)
        self._publish_state()

    def _handle(self, topic: str, payload: bytes, now: float) -> None:
        text = payload.decode("utf-8", "replace").strip()
        transition = self._transition
        if topic == f"{self.topic}/api":
            if not text.startswith("{"):
                _LOGGER.warning("wled '%s': the HTTP-style API is not simulated", self.name)
                return
            try:
                command = json.loads(text)
            except ValueError:
                _LOGGER.warning("wled '%s': invalid JSON %r", self.name, text[:80])
                return
            if not isinstance(command, dict):
                return
            transition = self._apply_json(command)
        elif topic == f"{self.topic}/col":
            rgbw = _parse_col(text)
            if rgbw is None:
                return
            self._rgb, self._white = rgbw
        else:
            self._apply_brightness_word(text)
        duration = min(MAX_TRANSITION_S, transition * TRANSITION_UNIT_S)
        self._output.go(self._target(), duration, now)
        self._echo(now)

    def _apply_json(self, command: dict[str, Any]) -> int:
        """Apply a JSON API state object; return the transition (100 ms units) for this call."""
        transition = self._transition
        if is_int(command.get("transition")):
            self._transition = transition = max(0, int(command["transition"]))
        if is_int(command.get("tt")):
            transition = max(0, int(command["tt"]))
        on = command.get("on")
        if is_int(command.get("bri")):
            bri = max(0, min(BRI_MAX, int(command["bri"])))
            if bri > 0:
                self._bri = bri
            if on is None:
                on = bri > 0
        if on == "t":
            self._on = not self._on
        elif isinstance(on, bool):
            self._on = on
        segments = command.get("seg")
        first = segments[0] if isinstance(segments, list) and segments else segments
        if isinstance(first, dict):
            self._apply_segment(first)
        return transition

    def _apply_segment(self, segment: dict[str, Any]) -> None:
        colors = segment.get("col")
        if isinstance(colors, list) and colors:
            rgbw = _parse_json_color(colors[0])
            if rgbw is not None:
                self._rgb, self._white = rgbw
        if is_int(segment.get("cct")):
            self._cct = int(segment["cct"])

    def _apply_brightness_word(self, text: str) -> None:
        """Handle the plain device topic: a brightness 0-255, ON, OFF or T (toggle)."""
        word = text.upper()
        if word in ("ON", "TRUE"):
            self._on = True
        elif word == "T":
            self._on = not self._on
        elif word in ("OFF", "FALSE"):
            self._on = False
        elif word.isdigit():
            bri = min(BRI_MAX, int(word))
            self._on = bri > 0
            self._bri = bri if bri > 0 else self._bri

    def _lose_power(self) -> None:
        self._on = False

    def _by_hand(self, level: LightLevel) -> tuple[str, bytes]:
        """Return the JSON API call the WLED app makes for `level`."""
        command = {"on": level.on, "bri": round(level.brightness * 255)}
        return f"{self.topic}/api", compact_json(command).encode()

    def _target(self) -> LightLevel:
        # What the strip shows, as brightness x colour: the RGB scaled by `bri`, or, when
        # the RGB is black, the white LEDs at their temperature.
        if max(self._rgb) <= 0.0 and self._white > 0.0:
            peak, mireds, color = self._white / 255.0, 1_000_000.0 / self._kelvin(), None
        else:
            peak, mireds, color = max(self._rgb) / 255.0, None, normalized(self._rgb)
        if not self._on:
            return LightLevel(on=False, brightness=0.0, mireds=mireds, color=color)
        brightness = self._bri / BRI_MAX * peak
        return LightLevel(on=True, brightness=brightness, mireds=mireds, color=color)

    def _kelvin(self) -> float:
        if self._cct >= CCT_KELVIN_MIN:
            return float(min(CCT_KELVIN_MAX, self._cct))
        share = max(0, min(255, self._cct)) / 255.0
        return CCT_KELVIN_MIN + share * (CCT_KELVIN_MAX - CCT_KELVIN_MIN)

    def _echo(self, now: float) -> None:
        """Publish the state now, or once WLED's interface cooldown has passed."""
        wait = self._last_echo + INTERFACE_COOLDOWN_S - now
        if wait <= 0.0:
            self._last_echo = now
            self._publish_state()
        elif not self._echo_pending:
            self._echo_pending = True
            self._call_later(wait, self._flush_echo)

    def _flush_echo(self) -> None:
        self._echo_pending = False
        self._last_echo = time.monotonic()
        self._publish_state()

    def _publish_state(self) -> None:
        bri = self._bri if self._on else 0
        r, g, b = (round(c) for c in self._rgb)
        self._publish(f"{self.topic}/g", str(bri))
        white = f"{round(self._white):02X}" if self._white > 0 else ""
        self._publish(f"{self.topic}/c", "#" + white + to_hex(self._rgb)[1:])
        self._publish(
            f"{self.topic}/v",
            f'<?xml version="1.0" ?><vs><ac>{bri}</ac><cl>{r}</cl><cl>{g}</cl><cl>{b}</cl>'
            f"<ds>{self.name}</ds></vs>",
        )


def _parse_json_color(value: object) -> tuple[Rgb, float] | None:
    """Parse a JSON API colour, `[r, g, b(, w)]` or `RRGGBB(WW)`, into RGB and white."""
    if isinstance(value, list) and len(value) >= 3 and all(is_int(c) for c in value[:4]):
        white = float(value[3]) if len(value) > 3 else 0.0
        return ((float(value[0]), float(value[1]), float(value[2])), white)
    if isinstance(value, str) and len(value) in (6, 8):
        try:
            number = int(value, 16)
        except ValueError:
            return None
        if len(value) == 8:  # RRGGBBWW
            number = ((number & 0xFF) << 24) | (number >> 8)
        return _split(number)
    return None


def _parse_col(text: str) -> tuple[Rgb, float] | None:
    """Parse the `/col` topic: `#RRGGBB`, `#WWRRGGBB` (also `h`/`H` prefix) or 32-bit decimal."""
    try:
        number = int(text[1:], 16) if text[:1] in ("#", "h", "H") else int(text)
    except ValueError:
        return None
    return _split(number)


def _split(number: int) -> tuple[Rgb, float]:
    """Split WLED's 32-bit colour, 0xWWRRGGBB, into RGB and white."""
    rgb = (float((number >> 16) & 0xFF), float((number >> 8) & 0xFF), float(number & 0xFF))
    return rgb, float((number >> 24) & 0xFF)
