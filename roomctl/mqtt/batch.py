"""Join the packets waiting to be sent into one write, where paho sent each on its own.

paho's `_packet_write` makes one `send` per packet: with TCP_NODELAY each is a segment of
its own, and 500 replies and events were 500 system calls on the network thread. Packets
with nothing to do once written (QoS 1 and 2 publications, acknowledgements, subscriptions)
are joined, in order, into one; a QoS 0 publication (its waiter is told when it is written),
a DISCONNECT (the socket closes after it) and a packet written in part are left as they are.
"""

from __future__ import annotations

from collections import deque
from typing import Any

# Most bytes joined into one write: 64 KiB is a socket buffer's worth, and bounds the copy.
MAX_BATCH_BYTES = 64 * 1024
# MQTT packet types (the fixed header's high nibble) that need paho after their write.
_PUBLISH, _DISCONNECT = 0x30, 0xE0


def _joinable(packet: dict[str, Any]) -> bool:
    """Return whether nothing happens once this packet is written, and none of it is yet."""
    kind = packet["command"] & 0xF0
    quiet = kind != _DISCONNECT and not (kind == _PUBLISH and packet["qos"] == 0)
    return quiet and packet["pos"] == 0


def join_waiting(packets: deque[Any]) -> None:
    """Replace the leading joinable packets of paho's send queue with one packet holding them.

    Other threads only append to the queue's right end; only the thread writing (under the
    client's I/O lock) takes from the left, so the packets joined here are never touched
    by anyone else meanwhile.
    """
    joined: list[dict[str, Any]] = []
    size = 0
    while packets and _joinable(packets[0]) and size + packets[0]["to_process"] <= MAX_BATCH_BYTES:
        packet = packets.popleft()
        joined.append(packet)
        size += packet["to_process"]
    if len(joined) <= 1:  # one packet needs no joining
        packets.extendleft(joined)
        return
    data = b"".join(bytes(packet["packet"]) for packet in joined)
    first = joined[0]
    packets.appendleft({**first, "packet": data, "pos": 0, "to_process": len(data), "info": None})


def disconnect_waiting(packets: deque[Any]) -> bool:
    """Tell whether a DISCONNECT waits in paho's send queue (its write closes the socket)."""
    return any(packet["command"] & 0xF0 == _DISCONNECT for packet in packets)
