"""`roomctl demo --console`: the demo room and the console on this machine, until Ctrl-C."""

from __future__ import annotations

import secrets
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from roomctl.config.library import load_room
from roomctl.console.app import create_app
from roomctl.console.serve import Listener, listen, serve
from roomctl.console.users import User, hash_password, save_users
from roomctl.demo.sim import SimulatedRoom
from roomctl.mqtt.embedded_broker import EmbeddedBroker
from roomctl.runtime.daemon import Daemon, DaemonOptions

DEMO_USER = "demo"
# Long enough that nobody guesses it on a shared machine, short enough to type from the
# screen: 12 characters of URL-safe base64 (72 bits).
PASSWORD_BYTES = 9


@dataclass(frozen=True, slots=True)
class DemoAccount:
    """The account printed on screen: a supervisor, so every button can be tried."""

    name: str
    password: str


def make_demo_users(users_file: Path) -> DemoAccount:
    """Write a users file with one supervisor of a fresh random password; return it."""
    password = secrets.token_urlsafe(PASSWORD_BYTES)
    save_users(
        users_file, {DEMO_USER: User(DEMO_USER, "supervisor", None, hash_password(password))}
    )
    return DemoAccount(DEMO_USER, password)


class ConsoleDemo:
    """The demo room with simulated lights, served by a daemon, and a console for it."""

    def __init__(
        self, room_file: Path, speed: float, sound: bool, state_dir: Path, users_file: Path
    ) -> None:
        self._room_file = room_file
        self._speed = speed
        self._sound = sound
        self._state_dir = state_dir
        self._users_file = users_file

    def run(self, host: str, port: int, announce: Callable[[Listener, DemoAccount], None]) -> None:
        """Serve until SIGINT or SIGTERM; call announce once the console answers."""
        account = make_demo_users(self._users_file)
        broker = EmbeddedBroker()
        url = broker.start()
        sim = SimulatedRoom(load_room(self._room_file), str(url))
        daemon = Daemon(
            DaemonOptions(
                room_files=[self._room_file],
                broker=str(url),
                speed=self._speed,
                audio=self._sound,
                state_dir=self._state_dir,
            )
        )
        try:
            sim.start()
            daemon.start()
            listener = listen(host, port, tls=False)
            announce(listener, account)
            serve(create_app(url, self._users_file, secure=False), listener, None, None)
        finally:
            daemon.stop()
            sim.stop()
            broker.stop()
