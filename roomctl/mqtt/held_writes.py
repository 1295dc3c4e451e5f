"""A room's thread writes what its turn published itself, at the turn's end.

Handing each publication to the network thread cost a hand-over of the interpreter lock
per turn: under 500 rooms the network thread waited for it behind the rooms' threads,
and a cue's event left up to 20 ms after the room published it. Within `held_writes()`,
a thread's publications are only noted; on leaving, it writes them itself, one write per
connection, while it still holds the interpreter. `write_held()` writes them at once (a
pause's or an emergency's light commands, an event, before the rest of the turn). What
cannot be written at once (a full socket buffer, a connection going away, a client
without `write_waiting`) goes to the network thread as before.
"""

from __future__ import annotations

import threading
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Protocol

import paho.mqtt.client as mqtt


class Writer(Protocol):
    """Who writes a connection's data when its own thread cannot (the network loop)."""

    def hand_over(self, client: mqtt.Client) -> None:
        """Write client's waiting data on the loop's thread."""


_held = threading.local()


def hold(client: mqtt.Client, writer: Writer) -> bool:
    """Note that client has data to write, if this thread holds its writes; say whether."""
    clients: dict[mqtt.Client, Writer] | None = getattr(_held, "clients", None)
    if clients is None:
        return False
    clients[client] = writer
    return True


@contextmanager
def held_writes() -> Iterator[None]:
    """Hold what this thread publishes meanwhile, and write it on leaving (the outermost)."""
    if getattr(_held, "clients", None) is not None:
        yield  # already held: the outer block writes it all
        return
    _held.clients = {}
    try:
        yield
    finally:
        write_held()
        _held.clients = None


def write_held() -> None:
    """Write now what this thread has held, each connection's in one write."""
    clients: dict[mqtt.Client, Writer] | None = getattr(_held, "clients", None)
    if not clients:
        return
    _held.clients = {}
    for client, writer in clients.items():
        write = getattr(client, "write_waiting", None)
        if write is None or write():  # something is left for the network thread
            writer.hand_over(client)
