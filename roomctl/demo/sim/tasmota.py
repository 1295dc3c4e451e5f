"""A Tasmota RGBCCT light: `cmnd/<topic>/<Command>` in, `stat/<topic>/RESULT` out."""

from __future__ import annotations

import logging
import time
from collections import deque
from typing import Self

from roomctl.api.wire import compact_json
from roomctl.core.levels import LightLevel
from roomctl.demo.sim._tasmota_driver import TasmotaDriver
from roomctl.devices.base import expect_spec
from roomctl.devices.spec import LightSpec
from roomctl.devices.tasmota import TasmotaSpec

_LOGGER = logging.getLogger(__name__)

# SetOption34's default: Tasmota waits 200 ms between the commands of a Backlog.
BACKLOG_DELAY_S = 0.2
GROUP_TOPIC = "tasmotas"
ONLINE = "Online"
OFFLINE = "Offline"


class SimulatedTasmota(TasmotaDriver):
    """A Tasmota light on MQTT: its topics, Backlog (SetOption34's delay), LWT and boot."""

    kind = "tasmota"

    def __init__(
        self, name: str, broker_url: str, topic: str, group_topic: str = GROUP_TOPIC
    ) -> None:
        self.group_topic = group_topic
        self._backlog: deque[tuple[str, bool]] = deque()
        self._backlog_running = False
        super().__init__(name, broker_url, topic)

    @classmethod
    def from_spec(cls, name: str, spec: LightSpec, broker_url: str) -> Self:
        """Return the simulation of the light a room file's entry describes."""
        spec = expect_spec(spec, TasmotaSpec)
        return cls(name, broker_url, spec.topic)

    def _subscriptions(self) -> list[str]:
        return [f"cmnd/{self.topic}/#", f"cmnd/{self.group_topic}/#"]

    def _will(self) -> tuple[str, str]:
        return (f"tele/{self.topic}/LWT", OFFLINE)

    def _announce(self) -> None:
        self._publish(f"tele/{self.topic}/LWT", ONLINE, retain=True)
        self._publish(f"tele/{self.topic}/STATE", compact_json(self._light_state()))

    def _handle(self, topic: str, payload: bytes, now: float) -> None:
        command = topic.rsplit("/", 1)[-1]
        text = payload.decode("utf-8", "replace").strip()
        if command.lower() in ("backlog", "backlog0"):
            immediate = command.lower() == "backlog0"
            self._backlog.extend((item.strip(), immediate) for item in text.split(";"))
            if not self._backlog_running:
                self._backlog_running = True
                self._drain_backlog()
            return
        self._run(command, text, now)

    def _drain_backlog(self) -> None:
        """Run queued Backlog commands, SetOption34's delay apart unless NoDelay or Backlog0."""
        while self._backlog:
            item, immediate = self._backlog.popleft()
            name, _, arg = item.partition(" ")
            if not name or name.lower() == "nodelay":
                continue
            self._run(name, arg.strip(), time.monotonic())
            next_is_nodelay = bool(self._backlog) and self._backlog[0][0].lower() == "nodelay"
            if self._backlog and not immediate and not next_is_nodelay:
                self._call_later(BACKLOG_DELAY_S, self._drain_backlog)
                return
        self._backlog_running = False

    def _run(self, command: str, arg: str, now: float) -> None:
        self._publish(f"stat/{self.topic}/RESULT", compact_json(self._respond(command, arg, now)))

    def _lose_power(self) -> None:
        # PowerOnState 0: the light boots off; Dimmer and CT are kept in flash.
        self._power = self._reported_power = False
        self._backlog.clear()
        self._backlog_running = False

    def _by_hand(self, level: LightLevel) -> tuple[str, bytes]:
        """Return the local command a button or the web UI runs for `level`."""
        if not level.on:
            return f"cmnd/{self.topic}/Power", b"OFF"
        return f"cmnd/{self.topic}/Dimmer", str(round(level.brightness * 100)).encode()
