"""What every simulated device shares: its own paho client, last will and command log."""

from __future__ import annotations

import contextlib
import logging
import socket
import threading
import time
import uuid
from abc import ABC, abstractmethod
from collections.abc import Callable
from typing import Any, Self

import paho.mqtt.client as mqtt
from paho.mqtt.enums import CallbackAPIVersion

from roomctl.core.levels import LightLevel
from roomctl.demo.sim._output import SimOutput
from roomctl.devices.spec import LightSpec
from roomctl.mqtt.broker_url import parse_broker_url
from roomctl.mqtt.connection import CONNECT_TIMEOUT_S

_LOGGER = logging.getLogger(__name__)

# The devices imitated here speak MQTT 3.1.1 (Tasmota, WLED, Shelly and zigbee2mqtt all
# connect with it by default), so the simulations do too.
MQTT_PROTOCOL = mqtt.MQTTv311
# QoS 1 for everything: a simulated device must not lose a command or an echo that a test
# or a rehearsal then waits for.
QOS = 1
# Keepalive of the simulated devices. The broker publishes a device's last will when it
# hears nothing for 1.5 keepalives; 10 s makes a silently hung simulation show as offline
# within 15 s, soon enough for a clinic trying a room, without pinging needlessly.
KEEPALIVE_S = 10
# Reconnect back-off after the broker goes away, doubling from 1 s (a restarted broker is
# back within a second) to at most 5 s, so a trial room recovers quickly.
RECONNECT_MIN_DELAY_S = 1
RECONNECT_MAX_DELAY_S = 5
# How long stop() waits for its final `offline` to leave before disconnecting.
STOP_PUBLISH_TIMEOUT_S = 2.0

Received = tuple[float, str, str]


class SimDevice(ABC):
    """A simulated light on MQTT with its own client, transitions, echoes and availability.

    Subclasses speak one device's protocol: they name the topics they listen on, the last
    will that marks them offline, what they announce on connecting, and how they turn a
    command into a new level. Handlers run under the device lock, in paho's thread or in a
    device timer, never at the same time.
    """

    kind: str = ""
    """The device type it plays: the `type` of a room file's entry."""

    def __init__(self, name: str, broker_url: str) -> None:
        self.name = name
        self.received: list[Received] = []
        self._broker = parse_broker_url(broker_url)
        self._lock = threading.RLock()
        self._online = True
        self._running = False
        self._ready = threading.Event()
        self._pending_subscribe: int | None = None
        self._timers: set[threading.Timer] = set()
        self._output = SimOutput()
        self._client_id = f"roomctl-sim-{self.kind}-{self.name}-{uuid.uuid4().hex[:8]}"
        self._client = self._make_client()

    # -- what a device type supplies -------------------------------------------------

    @classmethod
    @abstractmethod
    def from_spec(cls, name: str, spec: LightSpec, broker_url: str) -> Self:
        """Return the simulation of the light a room file's entry of type `kind` describes."""

    @abstractmethod
    def _subscriptions(self) -> list[str]:
        """Return the topics (filters allowed) the device listens on."""

    @abstractmethod
    def _will(self) -> tuple[str, str] | None:
        """Return the topic and payload that mark the device offline (its last will), if any."""

    @abstractmethod
    def _announce(self) -> None:
        """Publish availability `online` and the current state, as the device does on connecting."""

    @abstractmethod
    def _handle(self, topic: str, payload: bytes, now: float) -> None:
        """Handle one command the device received at monotonic time `now`."""

    @abstractmethod
    def _lose_power(self) -> None:
        """Forget the light's state as a power cut does: it boots off (power-on state OFF)."""

    @abstractmethod
    def _by_hand(self, level: LightLevel) -> tuple[str, bytes]:
        """Return the local command (topic, payload) a wall switch or app would give for `level`."""

    # -- public API ------------------------------------------------------------------

    @property
    def topics(self) -> list[str]:
        """Return the topics (filters allowed) the device listens on for commands."""
        return self._subscriptions()

    @property
    def online(self) -> bool:
        """Return whether the device answers commands (False after go_offline or crash)."""
        return self._online and self._running

    def level(self) -> LightLevel:
        """Return the level the light shows right now, transitions included.

        Brightness is what the light emits (0..1): for a colour given with less than full
        channels (WLED's `col`, Shelly's `rgb`) it is the brightness times the colour's
        strongest channel, and `color` is that colour scaled to full. A light that is off
        shows `on=False, brightness=0.0` and keeps its colour temperature or colour.
        """
        with self._lock:
            return self._output.at(time.monotonic())

    def start(self, timeout: float = CONNECT_TIMEOUT_S) -> None:
        """Connect, subscribe and announce; return once the device takes commands."""
        with self._lock:
            self._online = True
            self._running = True
        self._ready.clear()
        self._client.connect_async(self._broker.host, self._broker.port, KEEPALIVE_S)
        self._client.loop_start()
        if not self._ready.wait(timeout):
            self.stop()
            raise TimeoutError(
                f"simulated {self.kind} '{self.name}' could not reach the broker at "
                f"{self._broker} within {timeout:.0f} s"
            )
        _LOGGER.info("simulated %s '%s' is online", self.kind, self.name)

    def stop(self) -> None:
        """Publish offline, disconnect cleanly and cancel every pending device timer."""
        with self._lock:
            was_running, self._running = self._running, False
            self._cancel_timers()
        will = self._will()
        if was_running and will is not None and self._client.is_connected():
            info = self._client.publish(*will, qos=QOS, retain=True)
            try:
                info.wait_for_publish(STOP_PUBLISH_TIMEOUT_S)
            except (RuntimeError, ValueError):
                _LOGGER.warning("simulated %s '%s' could not say offline", self.kind, self.name)
        self._client.disconnect()
        self._client.loop_stop()

    def go_offline(self) -> None:
        """Publish the offline marker and stop answering, as a device that lost its network."""
        with self._lock:
            self._online = False
            self._say_offline()

    def go_online(self) -> None:
        """Answer again and republish availability and state (reconnecting after crash())."""
        with self._lock:
            self._online = True
            connected = self._client.is_connected() and self._running
            if connected:
                self._announce()
        if not connected:
            self.start()

    def crash(self) -> None:
        """Drop the connection without a DISCONNECT, so the broker publishes the last will."""
        with self._lock:
            self._running = False
            self._cancel_timers()
        # loop_stop() flags paho's thread and waits for it; shutting the socket down wakes
        # the thread at once (instead of after its one-second poll) and tells the broker
        # the connection is gone, without the DISCONNECT that would cancel the will.
        stopper = threading.Thread(target=self._client.loop_stop, daemon=True)
        stopper.start()
        sock = self._client.socket()
        if isinstance(sock, socket.socket):
            with contextlib.suppress(OSError):
                sock.shutdown(socket.SHUT_RDWR)
        stopper.join()
        if sock is not None:
            sock.close()
        # A device that comes back boots afresh: the next start() uses a new client.
        self._client = self._make_client()

    def power_cycle(self) -> None:
        """Lose power and boot again: the light comes back off and announces itself anew.

        The device's connection drops without a DISCONNECT (the broker publishes its last
        will, if it has one), then it reconnects and announces itself as on first boot.
        """
        self.crash()
        with self._lock:
            self._lose_power()
            self._output.go(LightLevel(on=False), 0.0, time.monotonic())
        self.start()

    def change_by_hand(self, level: LightLevel) -> None:
        """Set the light as a wall switch or Home Assistant would, reporting it as it does."""
        topic, payload = self._by_hand(level)
        with self._lock:
            self._handle(topic, payload, time.monotonic())

    # -- for device types -------------------------------------------------------------

    def _publish(self, topic: str, payload: str, retain: bool = False) -> None:
        """Publish one message from the device."""
        self._client.publish(topic, payload, qos=QOS, retain=retain)

    def _say_offline(self) -> None:
        will = self._will()
        if will is not None:
            self._publish(*will, retain=True)

    def _call_later(self, delay: float, action: Callable[[], None]) -> None:
        """Run `action` under the device lock after `delay` seconds, unless stopped first."""

        def run() -> None:
            with self._lock:
                self._timers.discard(timer)
                if self._running:
                    action()

        timer = threading.Timer(max(0.0, delay), run)
        timer.daemon = True
        with self._lock:
            self._timers.add(timer)
        timer.start()

    def _cancel_timers(self) -> None:
        for timer in self._timers:
            timer.cancel()
        self._timers.clear()

    # -- paho callbacks ---------------------------------------------------------------

    def _make_client(self) -> mqtt.Client:
        client = mqtt.Client(
            CallbackAPIVersion.VERSION2,
            client_id=self._client_id,
            protocol=MQTT_PROTOCOL,
        )
        if self._broker.username is not None:
            client.username_pw_set(self._broker.username, self._broker.password)
        if self._broker.tls:
            client.tls_set(ca_certs=self._broker.ca_file)
        will = self._will()
        if will is not None:
            client.will_set(*will, qos=QOS, retain=True)
        client.reconnect_delay_set(RECONNECT_MIN_DELAY_S, RECONNECT_MAX_DELAY_S)
        client.on_connect = self._on_connect
        client.on_subscribe = self._on_subscribe
        client.on_message = self._on_message
        return client

    def _on_connect(
        self, client: mqtt.Client, _userdata: Any, _flags: Any, reason: Any, _props: Any
    ) -> None:
        if reason.is_failure:
            _LOGGER.warning("simulated %s '%s' refused: %s", self.kind, self.name, reason)
            return
        with self._lock:
            # Subscribe first: the broker takes one connection's packets in order, so a
            # client that sees the device say `online` can command it at once.
            _result, mid = client.subscribe([(topic, QOS) for topic in self._subscriptions()])
            self._pending_subscribe = mid
            if self._online:
                self._announce()
            else:
                self._say_offline()

    def _on_subscribe(
        self, _client: mqtt.Client, _userdata: Any, mid: int, _codes: Any, _props: Any
    ) -> None:
        if mid == self._pending_subscribe:
            self._ready.set()

    def _on_message(self, _client: mqtt.Client, _userdata: Any, message: mqtt.MQTTMessage) -> None:
        now = time.monotonic()
        with self._lock:
            if not (self._online and self._running):
                return
            payload = bytes(message.payload)
            self.received.append((now, message.topic, payload.decode("utf-8", "replace")))
            try:
                self._handle(message.topic, payload, now)
            except Exception:
                _LOGGER.exception("simulated %s '%s' failed on a command", self.kind, self.name)
