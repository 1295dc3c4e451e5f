"""Play a profile in one process: embedded broker, simulated room, daemon, live view."""

from __future__ import annotations

import json
import threading
import time
from collections import deque
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from rich.console import Console, Group, RenderableType
from rich.live import Live
from rich.table import Table
from rich.text import Text

from roomctl.api.topics import RoomTopics
from roomctl.cli.display import rooms_view
from roomctl.config.library import load_room
from roomctl.demo.sim import SimulatedRoom
from roomctl.models.units import format_duration
from roomctl.mqtt.client import Client
from roomctl.mqtt.embedded_broker import EmbeddedBroker
from roomctl.runtime.daemon import Daemon, DaemonOptions

# The view redraws often enough that a fast clock still looks smooth.
VIEW_REFRESH_HZ = 8
# How many recent events the view keeps on screen.
EVENT_LINES = 8
# A session that has not ended this long after its planned end (in wall time) is stuck.
END_GRACE_S = 15.0


@dataclass(frozen=True)
class Step:
    """A command the showcase sends when the session reaches a time, then waits a while."""

    at_s: float
    action: str
    hold_s: float = 0.0


class Showcase:
    """A room with simulated devices, served by a real daemon over a real (embedded) broker."""

    def __init__(
        self,
        room_file: Path,
        profiles_dir: Path | None,
        speed: float,
        sound: bool,
        state_dir: Path | None = None,
        console: Console | None = None,
    ) -> None:
        self.room = load_room(room_file)
        self._room_file = room_file
        self._profiles_dir = profiles_dir
        self._speed = speed
        self._sound = sound
        self._state_dir = state_dir
        self.session_id: str | None = None
        self._console = console or Console()
        self._events: deque[str] = deque(maxlen=EVENT_LINES)
        self._state: dict[str, Any] = {}
        self._ended = threading.Event()
        self._lock = threading.Lock()

    def play(self, profile: str, steps: Sequence[Step] = ()) -> bool:
        """Play a profile to its end with scripted commands; return whether it ended cleanly."""
        broker = EmbeddedBroker()
        url = broker.start()
        sim = SimulatedRoom(self.room, str(url))
        daemon = Daemon(
            DaemonOptions(
                room_files=[self._room_file],
                broker=str(url),
                profiles_dir=self._profiles_dir,
                speed=self._speed,
                audio=self._sound,
                state_dir=self._state_dir,
            )
        )
        try:
            sim.start()
            daemon.start()
            with Client(url) as client:
                return self._drive(client, sim, profile, steps)
        finally:
            daemon.stop()
            sim.stop()
            broker.stop()

    def _drive(
        self, client: Client, sim: SimulatedRoom, profile: str, steps: Sequence[Step]
    ) -> bool:
        topics = RoomTopics(self.room.id)
        client.on_message(self._take)
        client.subscribe(topics.events)
        client.subscribe(topics.state)
        reply = client.command(
            self.room.id, {"action": "start", "profile": profile, "operator": "demo"}
        )
        if not reply.get("ok"):
            self._console.print(f"[red]start refused: {reply.get('error')}[/red]")
            return False
        pending = deque(sorted(steps, key=lambda s: s.at_s))
        with Live(console=self._console, refresh_per_second=VIEW_REFRESH_HZ) as live:
            while not self._ended.is_set():
                live.update(self._view(sim))
                elapsed = self._session_time()
                if pending and elapsed is not None and elapsed >= pending[0].at_s:
                    step = pending.popleft()
                    client.command(self.room.id, {"action": step.action, "operator": "demo"})
                    self._hold(step.hold_s, live, sim)
                self._ended.wait(1 / VIEW_REFRESH_HZ)
            live.update(self._view(sim))
        return True

    def _hold(self, seconds: float, live: Live, sim: SimulatedRoom) -> None:
        deadline = time.monotonic() + seconds
        while time.monotonic() < deadline:
            live.update(self._view(sim))
            time.sleep(1 / VIEW_REFRESH_HZ)

    def _session_time(self) -> float | None:
        """Return the session time now, moved on from the last state while running."""
        with self._lock:
            value = self._state.get("elapsed_s")
            if not isinstance(value, int | float):
                return None
            if self._state.get("status") != "running":
                return float(value)
            received = float(self._state["_received"])
            return float(value) + (time.monotonic() - received) * self._speed

    def _take(self, topic: str, payload: bytes) -> None:
        try:
            data = json.loads(payload)
        except ValueError:
            return
        if not isinstance(data, dict):
            return
        with self._lock:
            if topic.endswith("/state"):
                self._state = {**data, "_received": time.monotonic()}
                self.session_id = data.get("session_id") or self.session_id
            elif topic.endswith("/events"):
                self._events.append(_describe(data))
                if data.get("type") == "session_ended":
                    self._ended.set()

    def _view(self, sim: SimulatedRoom) -> RenderableType:
        with self._lock:
            state = dict(self._state)
            events = list(self._events)
        elapsed = self._session_time()
        if elapsed is not None and state.get("status") == "running":
            # The time left runs down as the elapsed time runs up, between two states.
            moved = elapsed - float(state["elapsed_s"])
            for key in ("phase_remaining_s", "remaining_s"):
                if isinstance(state.get(key), int | float):
                    state[key] = max(0.0, state[key] - moved)
            state["elapsed_s"] = elapsed
        lights = Table(title="lights (simulated devices)")
        for column in ("light", "type", "on", "brightness", "colour"):
            lights.add_column(column)
        for name, device in sim.devices.items():
            level = device.level()
            colour = "-"
            if level.mireds:
                colour = f"{round(1_000_000 / level.mireds)} K"
            elif level.color:
                red, green, blue = (round(c) for c in level.color)
                colour = f"#{red:02x}{green:02x}{blue:02x}"
            lights.add_row(
                name,
                self.room.devices[name].type,
                "on" if level.on else "off",
                f"{level.brightness * 100:5.1f} %",
                colour,
            )
        log = Text("\n".join(events) if events else "(no events yet)")
        return Group(rooms_view({self.room.id: state}) if state else Text(""), lights, log)


def _describe(event: dict[str, Any]) -> str:
    kind = str(event.get("type"))
    details = {
        key: value
        for key, value in event.items()
        if key not in {"type", "ts", "room", "session_id"} and value is not None
    }
    stamp = str(event.get("ts", ""))[11:19]
    if "elapsed_s" in details and isinstance(details["elapsed_s"], int | float):
        details["elapsed_s"] = format_duration(details["elapsed_s"])
    words = ", ".join(f"{k}={v}" for k, v in details.items())
    return f"{stamp}  {kind:<16} {words}"
