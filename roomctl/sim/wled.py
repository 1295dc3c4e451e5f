"""A WLED strip: JSON API on `<topic>/api`; brightness on `<topic>/g`, colour on `<topic>/c`."""

from __future__ import annotations

import json
import logging
import math
import time
from typing import Any

from roomctl.levels import LightLevel, Rgb
from roomctl.sim._color import normalized, to_hex
from roomctl.sim._device import SimDevice
from roomctl.sim._json import is_int

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
ONLINE = "online"
OFFLINE = "offline"


class WledLight(SimDevice):
    """A WLED RGB strip with one segment, taking the JSON API and WLED's plain topics."""

    kind = "wled"

    def __init__(self, name: str, broker_url: str, topic: str) -> None:
        self.topic = topic
        self._on = False
        self._bri = 128
        self._rgb: Rgb = (255.0, 160.0, 0.0)
        self._cct: int | None = None
        self._transition = DEFAULT_TRANSITION
        self._last_echo = -math.inf
        self._echo_pending = False
        super().__init__(name, broker_url)

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
            rgb = _parse_col(text)
            if rgb is None:
                return
            self._rgb = rgb
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
            rgb = _parse_json_color(colors[0])
            if rgb is not None:
                self._rgb = rgb
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

    def _target(self) -> LightLevel:
        # What the strip shows: the segment colour scaled by `bri`, as brightness x colour.
        peak = max(self._rgb) / 255.0
        color = normalized(self._rgb)
        if not self._on:
            return LightLevel(on=False, brightness=0.0, color=color)
        return LightLevel(on=True, brightness=self._bri / BRI_MAX * peak, color=color)

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
        self._publish(f"{self.topic}/c", to_hex(self._rgb))
        self._publish(
            f"{self.topic}/v",
            f'<?xml version="1.0" ?><vs><ac>{bri}</ac><cl>{r}</cl><cl>{g}</cl><cl>{b}</cl>'
            f"<ds>{self.name}</ds></vs>",
        )


def _parse_json_color(value: object) -> Rgb | None:
    """Parse a JSON API colour: `[r, g, b(, w)]` or a hex string `RRGGBB(WW)`."""
    if isinstance(value, list) and len(value) >= 3 and all(is_int(c) for c in value[:3]):
        return (float(value[0]), float(value[1]), float(value[2]))
    if isinstance(value, str) and len(value) >= 6:
        return _parse_col("#" + value[:6])
    return None


def _parse_col(text: str) -> Rgb | None:
    """Parse the `/col` topic: `#RRGGBB`, `#WWRRGGBB` (also `h`/`H` prefix) or 32-bit decimal."""
    try:
        value = int(text[1:], 16) if text[:1] in ("#", "h", "H") else int(text)
    except ValueError:
        return None
    return (float((value >> 16) & 0xFF), float((value >> 8) & 0xFF), float(value & 0xFF))
