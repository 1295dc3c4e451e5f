"""Tasmota's light driver, simulated: commands in, channels, fades and replies out.

Modelled on Tasmota's command reference (Light, SetOption117) and its light driver
(xdrv_04_light.ino): fades start from the current output, Speed2 and `Dimmer !` behave
as there, and replies carry the target state. The device on MQTT is tasmota.py.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any

from roomctl.core.levels import LightLevel, Rgb
from roomctl.demo.sim._color import hs_to_rgb, normalized, parse_hex, rgb_to_hs
from roomctl.demo.sim._device import SimDevice

# `Speed` counts half-seconds for a full 0-100 % fade; by default (SetOption117 off) a
# smaller change takes proportionally less time, as Tasmota fades at a fixed slew rate.
SPEED_UNIT_S = 0.5
SPEED_MIN = 1
SPEED_MAX = 40
CT_MIN = 153
CT_MAX = 500
CT_STEP = 34
DIMMER_STEP = 10
_COMMAND = re.compile(r"([A-Za-z]+)(\d*)")
_ON_WORDS = ("1", "ON", "TRUE")
_OFF_WORDS = ("0", "OFF", "FALSE")
_TOGGLE_WORDS = ("2", "TOGGLE")

Response = dict[str, Any]


class TasmotaDriver(SimDevice):
    """A five-channel (RGB + cold/warm white) Tasmota light's state and its light commands."""

    def __init__(self, name: str, broker_url: str, topic: str) -> None:
        self.topic = topic
        self._power = False
        self._reported_power = False
        self._dimmer = 100
        self._ct = CT_MIN
        self._rgb: Rgb = (255.0, 255.0, 255.0)
        self._white = True
        self._fade = False
        self._speed = SPEED_MIN
        self._set_options: dict[int, bool] = {}
        self._fade_once: bool | None = None
        self._speed_once: int | None = None
        super().__init__(name, broker_url)

    def _respond(self, command: str, arg: str, now: float) -> Response:
        """Run one light command (`Dimmer`, `CT2`, ...) and return Tasmota's reply to it."""
        match = _COMMAND.fullmatch(command)
        handler = _HANDLERS.get(match[1].lower()) if match else None
        if match is None or handler is None:
            return {"Command": "Unknown"}
        index = int(match[2]) if match[2] else None
        return handler(self, index, arg, now)

    # -- commands -------------------------------------------------------------------

    def _cmd_power(self, _index: int | None, arg: str, now: float) -> Response:
        word = arg.upper()
        if word in _ON_WORDS or word in _OFF_WORDS or word in _TOGGLE_WORDS:
            self._power = (not self._power) if word in _TOGGLE_WORDS else word in _ON_WORDS
            if self._power and self._dimmer == 0:
                self._dimmer = 100
            self._changed(now)
        return {"POWER": _on_off(self._power)}

    def _cmd_dimmer(self, index: int | None, arg: str, now: float) -> Response:
        relative = {
            "+": min(100, self._dimmer + DIMMER_STEP),
            "-": max(1, self._dimmer - DIMMER_STEP),
            "<": 1,
            ">": 100,
        }
        if arg == "!":
            if self._output.fading(now):
                self._hold(now)
            return self._light_state()
        value = relative.get(arg, _int(arg))
        if value is None or not 0 <= value <= 100:
            return {"Dimmer": self._dimmer}
        self._dimmer = value
        self._power = value > 0
        self._changed(now, allow_fade=index != 3, forced=True)
        return self._light_state()

    def _cmd_ct(self, _index: int | None, arg: str, now: float) -> Response:
        relative = {"+": min(CT_MAX, self._ct + CT_STEP), "-": max(CT_MIN, self._ct - CT_STEP)}
        value = relative.get(arg, _int(arg))
        if value is None or not CT_MIN <= value <= CT_MAX:
            return {"CT": self._ct}
        self._ct, self._white = value, True
        self._power_on()
        self._changed(now)
        return self._light_state()

    def _cmd_color(self, index: int | None, arg: str, now: float) -> Response:
        rgb = _parse_color(arg)
        if rgb is None:
            return {"Color": self._light_state()["Color"]}
        if max(rgb) <= 0.0:
            self._power = False
        else:
            self._rgb, self._white = normalized(rgb), False
            if index != 2:
                self._dimmer = round(max(rgb) * 100.0 / 255.0)
            self._power_on()
        self._changed(now)
        return self._light_state()

    def _cmd_hsbcolor(self, index: int | None, arg: str, now: float) -> Response:
        numbers = _ints(arg)
        if not numbers:
            return self._light_state()
        hsb = [*rgb_to_hs(self._rgb), self._dimmer]
        first = index - 1 if index in (1, 2, 3) else 0
        for offset, number in enumerate(numbers[: 3 - first]):
            hsb[first + offset] = number
        self._rgb = hs_to_rgb(hsb[0], min(100, hsb[1]))
        self._white, self._dimmer = False, max(0, min(100, hsb[2]))
        self._power = self._dimmer > 0
        self._changed(now)
        return self._light_state()

    def _cmd_white(self, _index: int | None, arg: str, now: float) -> Response:
        value = _int(arg)
        if value is None or not 1 <= value <= 100:
            return self._light_state()
        self._white, self._dimmer = True, value
        self._power_on()
        self._changed(now)
        return self._light_state()

    def _cmd_fade(self, _index: int | None, arg: str, now: float) -> Response:
        word = arg.upper()
        if word in _ON_WORDS or word in _OFF_WORDS or word in _TOGGLE_WORDS:
            self._fade = (not self._fade) if word in _TOGGLE_WORDS else word in _ON_WORDS
            if not self._fade:
                self._output.freeze(now)
        return {"Fade": _on_off(self._fade)}

    def _cmd_speed(self, index: int | None, arg: str, now: float) -> Response:
        if index == 2:
            value = _int(arg)
            if value is not None and 0 <= value <= SPEED_MAX:
                self._fade_once, self._speed_once = value > 0, value
                if value == 0:
                    self._output.freeze(now)
            return {"Speed2": self._speed_once if self._speed_once is not None else 0}
        relative = {"+": max(SPEED_MIN, self._speed - 1), "-": min(SPEED_MAX, self._speed + 1)}
        value = relative.get(arg, _int(arg))
        if value is not None and SPEED_MIN <= value <= SPEED_MAX:
            self._speed = value
        return {"Speed": self._speed}

    def _cmd_setoption(self, index: int | None, arg: str, _now: float) -> Response:
        key = index if index is not None else 0
        word = arg.upper()
        if word in _ON_WORDS or word in _OFF_WORDS:
            self._set_options[key] = word in _ON_WORDS
        return {f"SetOption{key}": _on_off(self._set_options.get(key, False))}

    def _cmd_state(self, _index: int | None, _arg: str, _now: float) -> Response:
        return {**self._light_state(), "Fade": _on_off(self._fade), "Speed": self._speed}

    # -- light model ------------------------------------------------------------------

    def _power_on(self) -> None:
        self._power = True
        if self._dimmer == 0:
            self._dimmer = 100

    def _hold(self, now: float) -> None:
        """Stop a running fade where it is and make that the light's state (`Dimmer !`)."""
        here = self._output.freeze(now)
        self._dimmer = round(here.brightness * 100.0)
        self._power = here.on and self._dimmer > 0

    def _changed(self, now: float, allow_fade: bool = True, forced: bool = False) -> None:
        """Move the output to the new state, fading as Fade/Speed or Speed2 say.

        Like Tasmota's light loop, a command that leaves the channels as they are (Power ON
        on a light that is on, the CT it already has) is no light update: it neither fades
        nor uses up a pending Speed2. `Dimmer` always counts as an update (`forced`).
        """
        if self._power != self._reported_power:
            self._reported_power = self._power
            self._publish(f"stat/{self.topic}/POWER", _on_off(self._power))
        target = self._target()
        if target == self._output.target and not forced:
            return
        fade = self._fade if self._fade_once is None else self._fade_once
        speed = self._speed if self._speed_once is None else self._speed_once
        self._fade_once = self._speed_once = None
        duration = 0.0
        if fade and allow_fade:
            duration = speed * SPEED_UNIT_S
            if not self._set_options.get(117, False):
                duration *= _distance(self._output.at(now), target)
        self._output.go(target, duration, now)

    def _target(self, powered: bool | None = None) -> LightLevel:
        on = self._power if powered is None else powered
        mireds = float(self._ct) if self._white else None
        color = None if self._white else self._rgb
        brightness = self._dimmer / 100.0 if on else 0.0
        return LightLevel(on=on, brightness=brightness, mireds=mireds, color=color)

    def _light_state(self) -> Response:
        channels = [round(c * 255.0) for c in _channels(self._target(powered=True))]
        hue, sat = rgb_to_hs(self._rgb)
        return {
            "POWER": _on_off(self._power),
            "Dimmer": self._dimmer,
            "Color": "".join(f"{c:02X}" for c in channels),
            "HSBColor": f"{hue},{sat},{self._dimmer}",
            "White": self._dimmer if self._white else 0,
            "CT": self._ct,
            "Channel": [round(c * 100.0 / 255.0) for c in channels],
        }


_HANDLERS: dict[str, Callable[[TasmotaDriver, int | None, str, float], Response]] = {
    "power": TasmotaDriver._cmd_power,
    "dimmer": TasmotaDriver._cmd_dimmer,
    "ct": TasmotaDriver._cmd_ct,
    "color": TasmotaDriver._cmd_color,
    "hsbcolor": TasmotaDriver._cmd_hsbcolor,
    "white": TasmotaDriver._cmd_white,
    "fade": TasmotaDriver._cmd_fade,
    "speed": TasmotaDriver._cmd_speed,
    "setoption": TasmotaDriver._cmd_setoption,
    "state": TasmotaDriver._cmd_state,
}


def _on_off(value: bool) -> str:
    return "ON" if value else "OFF"


def _int(text: str) -> int | None:
    try:
        return int(text.strip())
    except ValueError:
        return None


def _ints(text: str) -> list[int] | None:
    """Return the comma-separated integers of an argument, or None if one is not a number."""
    try:
        return [int(part) for part in text.split(",")] if text else None
    except ValueError:
        return None


def _parse_color(arg: str) -> Rgb | None:
    """Parse `r,g,b` or `#RRGGBB[CWWW]`, Tasmota's two ways of giving a colour."""
    if "," not in arg:
        return parse_hex(arg)
    parts = _ints(arg)
    if parts is None or len(parts) < 3 or not all(0 <= p <= 255 for p in parts[:3]):
        return None
    return (float(parts[0]), float(parts[1]), float(parts[2]))


def _channels(level: LightLevel) -> tuple[float, float, float, float, float]:
    """Return the five PWM channels (R, G, B, cold, warm; 0..1) that show a level."""
    if not level.on:
        return (0.0, 0.0, 0.0, 0.0, 0.0)
    b = level.brightness
    if level.color is not None:
        r, g, bl = (c / 255.0 * b for c in level.color)
        return (r, g, bl, 0.0, 0.0)
    mireds = level.mireds if level.mireds is not None else CT_MIN
    warm = (mireds - CT_MIN) / (CT_MAX - CT_MIN)
    cold = 1.0 - warm
    peak = max(warm, cold)
    return (0.0, 0.0, 0.0, cold / peak * b, warm / peak * b)


def _distance(source: LightLevel, target: LightLevel) -> float:
    """Return the largest channel change (0..1) between two levels: what a fade must travel."""
    return max(abs(a - b) for a, b in zip(_channels(source), _channels(target), strict=True))
