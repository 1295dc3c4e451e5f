"""One thread that services every MQTT connection of a process, however many (paho's external loop).

paho's `loop_start` gives each connection a network thread of its own; with a connection
per room that was hundreds of threads taking turns at the interpreter lock. Here one
thread waits on all sockets at once (`selectors`) and calls paho's `loop_read`,
`loop_write` and `loop_misc` for whichever is ready; paho's `on_socket_register_write`
tells it when a client has something to send (a publish from any thread). Connecting
blocks (TCP connect and TLS handshake, up to CONNECT_TIMEOUT_S), so attempts run on one
helper thread, in order, and hand the connected socket back to the loop.
"""

from __future__ import annotations

import contextlib
import heapq
import itertools
import logging
import queue
import selectors
import socket
import threading
import time
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, cast

import paho.mqtt.client as mqtt

from roomctl.mqtt.held_writes import hold

_LOGGER = logging.getLogger(__name__)

# How often every connection's keepalive is looked at (paho's own loop does it at least
# once a second): a 15-s keepalive's PINGREQ is then never more than a second late.
MISC_INTERVAL_S = 1.0
# How long stop() waits for the threads: the loop answers at once; a connect attempt in
# progress may take its whole CONNECT_TIMEOUT_S, and is abandoned (daemon thread) after this.
STOP_JOIN_S = 2.0
# Read priority of a connection's socket: the urgent line's is read first when several are
# ready, so an emergency never waits behind a flood read from another connection.
URGENT, NORMAL = 0, 1


@dataclass
class _Watched:
    sock: socket.socket  # or its TLS wrapper
    events: int
    priority: int


class NetworkLoop:
    """Service many paho clients' sockets from one thread; connect them from one more."""

    def __init__(self, name: str = "roomctl-network") -> None:
        self._selector = selectors.DefaultSelector()
        self._wake_r, self._wake_w = socket.socketpair()
        self._wake_r.setblocking(False)
        self._wake_w.setblocking(False)
        self._selector.register(self._wake_r, selectors.EVENT_READ, None)
        self._lock = threading.Lock()  # guards the hand-overs below
        self._woken = False
        self._posted: deque[Callable[[], None]] = deque()
        self._writers: deque[mqtt.Client] = deque()
        self._timers: list[tuple[float, int, Callable[[], None]]] = []
        self._order = itertools.count()
        self._watched: dict[mqtt.Client, _Watched] = {}
        self._connects: queue.Queue[Callable[[], None] | None] = queue.Queue()
        self._stopping = False
        self._next_misc = 0.0
        self._thread = threading.Thread(target=self._run, name=name, daemon=True)
        self._connector = threading.Thread(
            target=self._connect_forever, name=f"{name}-connect", daemon=True
        )

    def start(self) -> None:
        """Start the loop's thread and its connecting thread."""
        self._thread.start()
        self._connector.start()

    def stop(self) -> None:
        """Stop both threads (connections still open are left to the process's exit)."""
        with self._lock:
            self._stopping = True
        self._wake()
        self._connects.put(None)
        if self._thread.is_alive() and not self.in_loop():
            self._thread.join(STOP_JOIN_S)
        if self._connector.is_alive() and threading.current_thread() is not self._connector:
            self._connector.join(STOP_JOIN_S)

    def in_loop(self) -> bool:
        """Return whether the caller runs on the loop's thread."""
        return threading.current_thread() is self._thread

    def call_soon(self, fn: Callable[[], None]) -> None:
        """Run fn on the loop's thread (from any thread)."""
        with self._lock:
            self._posted.append(fn)
        self._wake()

    def call_later(self, delay: float, fn: Callable[[], None]) -> None:
        """Run fn on the loop's thread after delay seconds (from any thread)."""
        with self._lock:
            heapq.heappush(self._timers, (time.monotonic() + delay, next(self._order), fn))
        if not self.in_loop():
            self._wake()

    def connect_soon(self, attempt: Callable[[], None]) -> None:
        """Run a (blocking) connection attempt on the connecting thread, after those queued."""
        self._connects.put(attempt)

    def watch(self, client: mqtt.Client, priority: int = NORMAL) -> None:
        """Service client's socket from now on (from any thread, once it is connected).

        The client's `on_socket_register_write` must be `register_write` from its creation,
        so that only this thread ever writes to its socket. The loop stops watching by
        itself when paho closes the socket.
        """
        self.call_soon(lambda: self._watch(client, priority))

    def register_write(self, client: mqtt.Client, _userdata: Any, _sock: Any) -> None:
        """Paho has queued something to send (on any thread): write it from the loop.

        A thread that holds its writes (see held_writes) writes it itself instead.
        """
        if not hold(client, self):
            self.hand_over(client)

    def hand_over(self, client: mqtt.Client) -> None:
        """Write client's waiting data on the loop's thread (from any thread)."""
        with self._lock:
            self._writers.append(client)
        if not self.in_loop():
            self._wake()

    def _wake(self) -> None:
        with self._lock:
            if self._woken:
                return
            self._woken = True
        # Full: a wake-up is pending anyway; closed: the loop has stopped.
        with contextlib.suppress(BlockingIOError, OSError):
            self._wake_w.send(b"\0")

    def _watch(self, client: mqtt.Client, priority: int) -> None:
        sock = client.socket()
        if sock is None or client in self._watched:
            return
        self._selector.register(sock, selectors.EVENT_READ, client)
        self._watched[client] = _Watched(cast(socket.socket, sock), selectors.EVENT_READ, priority)
        self._check(client)
        self._call(client.loop_write, client)  # what was queued while connecting (CONNECT)

    def _check(self, client: mqtt.Client) -> None:
        """Follow paho's socket: forget it once closed, ask to write while it has data."""
        watched = self._watched.get(client)
        if watched is None:
            return
        if client.socket() is not watched.sock:
            del self._watched[client]
            with contextlib.suppress(KeyError, ValueError):  # gone with its descriptor
                self._selector.unregister(watched.sock)
            return
        events = selectors.EVENT_READ
        if client.want_write():
            events |= selectors.EVENT_WRITE
        if events != watched.events:
            watched.events = events
            self._selector.modify(watched.sock, events, client)

    def _call(self, step: Callable[[], object], client: mqtt.Client) -> None:
        """Run one paho step for client; no error may stop the loop."""
        try:
            step()
        except Exception:
            _LOGGER.exception("servicing an MQTT connection failed")
        self._check(client)

    def _timeout(self) -> float | None:
        with self._lock:
            if self._posted or self._writers or self._stopping:
                return 0.0
            due = self._next_misc if self._watched else None
            if self._timers:
                due = self._timers[0][0] if due is None else min(due, self._timers[0][0])
        return None if due is None else max(0.0, due - time.monotonic())

    def _run(self) -> None:
        while True:
            events = self._selector.select(self._timeout())
            # What the rooms queued goes out before anything is read: a pause's freeze
            # waits for no read of the lights' echoes and acknowledgements.
            self._write_waiting()
            self._service(events)
            with self._lock:
                posted, self._posted = self._posted, deque()
                stopping = self._stopping
            for fn in posted:
                try:
                    fn()
                except Exception:
                    _LOGGER.exception("a network loop task failed")
            self._write_waiting()
            self._run_timers()
            self._misc()
            if stopping:
                self._selector.close()
                self._wake_r.close()
                self._wake_w.close()
                return

    def _write_waiting(self) -> None:
        """Write for every client that has asked to since the last time."""
        with self._lock:
            writers, self._writers = self._writers, deque()
        for client in writers:
            if client in self._watched:
                self._call(client.loop_write, client)

    def _service(self, events: list[tuple[selectors.SelectorKey, int]]) -> None:
        """Read and write the ready sockets, the urgent line's first."""
        ready = []
        for key, mask in events:
            if key.data is None:
                self._drain_wake()
            elif (watched := self._watched.get(key.data)) is not None:  # not closed since
                ready.append((watched.priority, key.data, mask))
        ready.sort(key=lambda entry: entry[0])
        for _priority, client, mask in ready:
            if self._writers:  # queued while reading: out first (an unlocked peek)
                self._write_waiting()
            if client not in self._watched:
                continue  # closed while an earlier one was serviced
            if mask & selectors.EVENT_READ:
                self._call(client.loop_read, client)
            if mask & selectors.EVENT_WRITE and client in self._watched:
                self._call(client.loop_write, client)

    def _drain_wake(self) -> None:
        try:
            while self._wake_r.recv(4096):
                pass
        except (BlockingIOError, OSError):
            pass
        with self._lock:
            self._woken = False

    def _run_timers(self) -> None:
        now = time.monotonic()
        while True:
            with self._lock:
                if not self._timers or self._timers[0][0] > now:
                    return
                _when, _order, fn = heapq.heappop(self._timers)
            try:
                fn()
            except Exception:
                _LOGGER.exception("a network loop timer failed")

    def _misc(self) -> None:
        now = time.monotonic()
        if now < self._next_misc:
            return
        self._next_misc = now + MISC_INTERVAL_S
        for client in list(self._watched):
            self._call(client.loop_misc, client)

    def _connect_forever(self) -> None:
        while (attempt := self._connects.get()) is not None:
            try:
                attempt()
            except Exception:
                _LOGGER.exception("a connection attempt failed unexpectedly")
