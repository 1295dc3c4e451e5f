"""An in-process MQTT broker (amqtt) for `broker: embedded`: a room with nothing else installed."""

from __future__ import annotations

import asyncio
import logging
import socket
import threading
from dataclasses import dataclass
from typing import TYPE_CHECKING

from roomctl.mqtt.broker_url import BrokerUrl

if TYPE_CHECKING:  # amqtt (~3 MB) is imported only when a broker starts: see _start_broker
    from amqtt.broker import Broker

_LOGGER = logging.getLogger(__name__)

# amqtt binds its listener within milliseconds; 10 s covers a slow CI machine's first import.
START_TIMEOUT_S = 10.0
# amqtt's shutdown closes each session in turn; a room has a handful of clients.
STOP_TIMEOUT_S = 5.0

# amqtt logs every connection at INFO and more under these names; a room needs warnings only.
_NOISY_LOGGERS = ("amqtt", "transitions")


# The port every roomctl command and the simulated lights look for a broker on by default
# (MQTT's registered port): `roomctl run` puts its embedded broker there when it is free.
STANDARD_PORT = 1883


def _free_port(host: str) -> int:
    """Return a TCP port free on host right now (another process could still take it)."""
    with socket.socket() as sock:
        sock.bind((host, 0))
        return int(sock.getsockname()[1])


def _port_taken(host: str, port: int) -> bool:
    """Return whether host:port cannot be listened on (one left in TIME_WAIT does not count)."""
    with socket.socket() as sock:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            sock.bind((host, port))
        except OSError:
            return True
    return False


@dataclass(frozen=True)
class PortChoice:
    """The port the embedded broker listens on, and why it is not the one asked for."""

    port: int
    instead_of: int | None = None  # the preferred port, when something else held it


class EmbeddedBroker:
    """Run amqtt's MQTT 3.1.1 broker on its own asyncio loop in a background thread.

    It keeps retained messages, QoS 1 and last wills in memory, for anonymous clients on
    host only (127.0.0.1 by default); nothing survives stop().
    """

    def __init__(
        self, host: str = "127.0.0.1", port: int | None = None, preferred_port: int | None = None
    ) -> None:
        """Listen on `port`; else on `preferred_port` when it is free; else on any free port."""
        self._host = host
        self._port = port
        self._preferred_port = preferred_port
        self.choice: PortChoice | None = None
        self._loop: asyncio.AbstractEventLoop | None = None
        self._broker: Broker | None = None
        self._thread: threading.Thread | None = None
        self._ready = threading.Event()
        self._error: BaseException | None = None

    def start(self) -> BrokerUrl:
        """Start the broker, wait until it listens, and return its URL (pinned to MQTT 3.1.1)."""
        if self._thread is not None:
            raise RuntimeError("EmbeddedBroker.start() called twice")
        for name in _NOISY_LOGGERS:
            logging.getLogger(name).setLevel(logging.WARNING)
        self.choice = self._choose_port()
        port = self.choice.port
        self._ready.clear()
        self._error = None
        self._thread = threading.Thread(
            target=self._run, args=(port,), name="roomctl-embedded-broker", daemon=True
        )
        self._thread.start()
        if not self._ready.wait(START_TIMEOUT_S):
            raise RuntimeError(f"embedded broker did not start within {START_TIMEOUT_S} s")
        if self._error is not None:
            self._thread.join()
            self._thread = None
            raise RuntimeError(f"embedded broker failed to start: {self._error}") from self._error
        if self.choice.instead_of is not None:
            _LOGGER.warning(
                "port %d on %s is taken (another MQTT broker?): the embedded broker listens "
                "on port %d instead",
                self.choice.instead_of,
                self._host,
                port,
            )
        _LOGGER.info("embedded MQTT broker listening on %s:%d", self._host, port)
        # amqtt speaks only MQTT 3.1.1 and leaves a v5 CONNECT with a will unanswered.
        return BrokerUrl("mqtt", self._host, port, protocol="3.1.1")

    def _choose_port(self) -> PortChoice:
        """Return the port to listen on: the one given, the preferred one if free, or any."""
        if self._port:
            return PortChoice(self._port)
        preferred = self._preferred_port
        if preferred is None:
            return PortChoice(_free_port(self._host))
        if _port_taken(self._host, preferred):
            return PortChoice(_free_port(self._host), instead_of=preferred)
        return PortChoice(preferred)

    def stop(self) -> None:
        """Shut the broker down, closing every client's connection, and end its thread."""
        loop, broker, thread = self._loop, self._broker, self._thread
        if loop is None or broker is None or thread is None:
            return
        future = asyncio.run_coroutine_threadsafe(self._shut_down(broker), loop)
        try:
            future.result(STOP_TIMEOUT_S)
        except Exception:
            _LOGGER.exception("embedded broker did not shut down cleanly")
        loop.call_soon_threadsafe(loop.stop)
        thread.join(STOP_TIMEOUT_S)
        self._loop = self._broker = self._thread = None

    def _run(self, port: int) -> None:
        """Run the broker's event loop until stop()."""
        loop = asyncio.new_event_loop()
        asyncio.set_event_loop(loop)
        try:
            self._broker = loop.run_until_complete(self._start_broker(port))
        except Exception as exc:  # reported to start()'s caller
            self._error = exc
            self._ready.set()
            loop.close()
            return
        self._loop = loop
        self._ready.set()
        try:
            loop.run_forever()
        finally:
            loop.close()

    @staticmethod
    async def _shut_down(broker: Broker) -> None:
        """Shut the broker down, then end the connection tasks amqtt leaves behind."""
        await broker.shutdown()
        leftovers = asyncio.all_tasks() - {asyncio.current_task()}
        for task in leftovers:
            task.cancel()
        await asyncio.gather(*leftovers, return_exceptions=True)

    async def _start_broker(self, port: int) -> Broker:
        """Create and start the broker inside the running loop (amqtt needs one)."""
        # Here, not at the top: every `roomctl run` imports this module, few embed a broker.
        from amqtt.broker import Broker  # noqa: PLC0415

        config = {
            "listeners": {"default": {"type": "tcp", "bind": f"{self._host}:{port}"}},
            "plugins": {
                "amqtt.plugins.authentication.AnonymousAuthPlugin": {"allow_anonymous": True},
            },
        }
        broker = Broker(config)
        await broker.start()
        return broker
