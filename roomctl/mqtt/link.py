"""Keep one paho client connected on a NetworkLoop: attempts, backoff, the v3.1.1 fallback."""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from typing import Any

import paho.mqtt.client as mqtt
from paho.mqtt.enums import MQTTErrorCode
from paho.mqtt.reasoncodes import ReasonCode

from roomctl.api.messages import Message
from roomctl.backoff import Backoff
from roomctl.mqtt.broker_url import BrokerUrl
from roomctl.mqtt.connection import UNSUPPORTED_PROTOCOL_VERSION, paho_client, tls_context
from roomctl.mqtt.loop import NetworkLoop

_LOGGER = logging.getLogger(__name__)


class Link:
    """One connection's life: connect, and after every loss or refusal try again with backoff.

    MQTT v5 is tried first; a broker that answers "unsupported protocol version" gets MQTT
    v3.1.1 from then on, for the life of this Link. A URL's `protocol` option pins either
    one (needed for brokers that neither answer nor refuse a v5 CONNECT, such as amqtt with
    a will). Attempts run on the loop's connecting thread, one at a time (a room's waits
    behind the others' only while the broker is unreachable). Subclasses say what an
    accepted connection needs (`_accept`) and hear of losses (`_lost`).
    """

    def __init__(
        self,
        url: BrokerUrl,
        client_id: str,
        will: Message | None,
        backoff: Backoff,
        keepalive_s: int,
        loop: NetworkLoop | None,
        priority: int,
    ) -> None:
        self._url = url
        self._client_id = client_id
        self._will = will
        self._backoff = backoff
        self._keepalive_s = keepalive_s
        self._own_loop = loop is None
        self._loop = loop or NetworkLoop(name=f"roomctl-bus-{client_id}")
        self._priority = priority
        self._v5 = url.protocol != "3.1.1"
        self._tls = tls_context(url)
        self._lock = threading.Lock()  # guards the state below (and the subclass's)
        self._started = False
        self._stopping = False
        self._attempting = False  # an attempt is queued or parked (at most one at a time)
        self._accepted = False  # the broker accepted this connection (CONNACK): may send
        self._connected = threading.Event()  # accepted and ready (see _ready)
        self._closed = threading.Event()  # the stopped connection is closed
        self._last_error: str | None = None
        self._answered = False  # whether the current connection attempt got a CONNACK
        self._client = self._new_client()

    @property
    def connected(self) -> bool:
        """Return whether the connection is up and ready."""
        return self._connected.is_set()

    @property
    def mqtt_v5(self) -> bool:
        """Return whether the link speaks MQTT v5 (False after falling back to v3.1.1)."""
        return self._v5

    @property
    def last_error(self) -> str | None:
        """Return why the last connection attempt failed, or None once connected."""
        return self._last_error

    def start(self) -> None:
        """Start connecting in the background; retry until the broker is reachable."""
        with self._lock:
            if self._started:
                raise RuntimeError("Bus.start() called twice")
            self._started = True
        if self._own_loop:
            self._loop.start()
        self._try_soon()

    def wait_connected(self, timeout: float) -> bool:
        """Wait up to timeout seconds until connected (see `connected`); return whether it is."""
        return self._connected.wait(timeout)

    # -- for subclasses ---------------------------------------------------------------

    def _configure(self, client: mqtt.Client) -> None:
        """Set the client's message callbacks (a new client after a fallback too)."""

    def _accept(self, client: mqtt.Client) -> bool:
        """Set up an accepted connection (the lock is held); return whether it is ready now."""
        return True

    def _lost(self) -> None:
        """Forget what the lost connection had under way (the lock is held)."""

    def _carry_over(self, old: mqtt.Client) -> None:
        """Keep what the replaced v5 client still held (the lock is held)."""

    def _on_ready(self, connected: bool) -> None:
        """Hear that the link became ready, or stopped being (on the loop's thread)."""

    # -- the connection's life ----------------------------------------------------------

    def _new_client(self) -> mqtt.Client:
        """Return a paho client configured for this link, not yet connected."""
        client = paho_client(self._url, self._client_id, self._v5, self._tls, self._will)
        client.on_socket_register_write = self._loop.register_write
        client.on_connect = self._handle_connect
        client.on_disconnect = self._handle_disconnect
        self._configure(client)
        host, port, keepalive = self._url.host, self._url.port, self._keepalive_s
        if self._v5:
            client.connect_async(host, port, keepalive, clean_start=True)
        else:
            client.connect_async(host, port, keepalive)
        return client

    def _try_soon(self, delay: float = 0.0) -> None:
        """Queue one connection attempt after delay, unless one is queued already."""
        with self._lock:
            if self._attempting or self._stopping:
                return
            self._attempting = True
        if delay > 0.0:
            self._loop.call_later(delay, lambda: self._loop.connect_soon(self._attempt))
        else:
            self._loop.connect_soon(self._attempt)

    def _attempt(self) -> None:
        """Connect (on the loop's connecting thread); hand the socket to the loop or retry."""
        with self._lock:
            self._attempting = False
            client = self._client
            if self._stopping or client.socket() is not None:
                return
        try:
            client.reconnect()
        except (OSError, ValueError) as error:  # refused, unreachable, timed out, TLS failed
            _LOGGER.debug("connecting to %s failed: %s", self._url, error)
            self._loop.call_soon(lambda: self._connect_failed(client))
            return
        self._loop.watch(client, self._priority)

    def _connect_failed(self, client: mqtt.Client) -> None:
        if client is not self._client or self._stopping:
            return
        delay = self._backoff.next_delay()
        self._last_error = "cannot connect to the broker (unreachable, or TLS failed)"
        _LOGGER.warning("%s: %s; retrying in %.1f s", self._url, self._last_error, delay)
        self._try_soon(delay)

    def _handle_connect(
        self, client: mqtt.Client, _u: Any, _f: Any, reason_code: ReasonCode, _p: Any
    ) -> None:
        """Handle CONNACK: set up when accepted, fall back to v3.1.1 or record why not."""
        if client is not self._client:
            return
        self._answered = True
        if reason_code.is_failure:
            if self._url.protocol is None and reason_code.value == UNSUPPORTED_PROTOCOL_VERSION:
                self._fall_back_to_v311(client)
                return
            self._last_error = f"broker refused the connection: {reason_code}"
            _LOGGER.error("%s %s", self._url, self._last_error)
            return
        with self._lock:
            if self._stopping:
                client.disconnect()
                return
            self._accepted = True
            ready = self._accept(client)
        if ready:
            self._ready()

    def _ready(self) -> None:
        """Mark the link connected and tell the owner."""
        self._connected.set()
        self._backoff.reset()
        self._last_error = None
        _LOGGER.info("connected to %s (MQTT %s)", self._url, "v5" if self._v5 else "v3.1.1")
        self._on_ready(True)

    def _fall_back_to_v311(self, client: mqtt.Client) -> None:
        """Drop the v5 client and connect a v3.1.1 one, carrying over what the old one held."""
        _LOGGER.info("%s does not speak MQTT v5; falling back to v3.1.1", self._url)
        client.on_disconnect = None  # the connection ends on purpose; no reconnect, no notice
        client.disconnect()
        with self._lock:
            self._v5 = False
            self._carry_over(client)
            self._client = self._new_client()
        self._try_soon()

    def _handle_disconnect(
        self, client: mqtt.Client, _u: Any, _f: Any, reason_code: ReasonCode, _p: Any
    ) -> None:
        """Handle a lost or closed connection: tell the owner, and retry after a backoff."""
        if client is not self._client:
            return
        was_connected = self._connected.is_set()
        with self._lock:
            self._connected.clear()
            self._accepted = False
            self._lost()
        answered, self._answered = self._answered, False
        if self._stopping:
            _LOGGER.info("disconnected from %s", self._url)
            self._closed.set()
        else:
            self._retry_after_loss(was_connected, answered, reason_code)
        if was_connected:
            self._on_ready(False)

    def _retry_after_loss(self, was_connected: bool, answered: bool, reason: ReasonCode) -> None:
        """Say why the connection ended, and try again after the backoff's next wait."""
        delay = self._backoff.next_delay()
        if was_connected:
            _LOGGER.warning(
                "connection to %s lost (%s); retrying in %.1f s", self._url, reason, delay
            )
        elif not answered:
            self._last_error = "the broker closed the connection without answering"
            _LOGGER.warning("%s %s; retrying in %.1f s", self._url, self._last_error, delay)
        self._try_soon(delay)  # refused: _handle_connect has said why

    def _close(self, timeout: float) -> None:
        """Stop retrying and disconnect cleanly (no will), waiting up to timeout for it."""
        with self._lock:
            self._stopping = True
            client = self._client
        if client.disconnect() == MQTTErrorCode.MQTT_ERR_SUCCESS:
            self._closed.wait(timeout)
        self._connected.clear()
        if self._own_loop:
            self._loop.stop()


def notify(callback: Callable[[bool], None] | None, connected: bool) -> None:
    """Tell an owner's callback the connection went up or down; never let its errors escape."""
    if callback is None:
        return
    try:
        callback(connected)
    except Exception:
        _LOGGER.exception("on_connection(%s) failed", connected)
