"""paho's client, cheaper: successful PUBACKs, many packets in one write, writes from any thread.

Every QoS 1 message the daemon publishes comes back as a PUBACK, which paho decodes into a
new ReasonCode and Properties before it looks up the message: about 11 us of the network
thread's ~45 us per message. A success without properties (the message id, and under v5
reason 0 or 0x10 "no matching subscribers": what Mosquitto sends) is taken here with
shared, never-changed values; any other PUBACK, and every PUBCOMP, goes through paho.
The packets waiting to be sent are joined into one write first (see batch.join_waiting).

A room's thread may write its own publications (see held_writes): every read, write and
keepalive step then holds the client's I/O lock, so two threads never use the socket (or
a TLS session, which allows one user at a time) at once.
paho (2.2) notes a packet sent only when one is left half-written, so a connection
publishing all the time still sent a PINGREQ every keepalive: 500 rooms' connections,
which connect together, all at once every 15 s, and an event published behind a waiting
PINGREQ left only when the network thread got to it (up to 60 ms at 500 rooms). Here a
complete write counts as the connection's sign of life, as MQTT's keepalive means it.
"""

from __future__ import annotations

import threading
import time
from typing import Any, Literal

import paho.mqtt.client as mqtt
from paho.mqtt.enums import MQTTErrorCode, MQTTProtocolVersion
from paho.mqtt.packettypes import PacketTypes
from paho.mqtt.properties import Properties
from paho.mqtt.reasoncodes import ReasonCode

from roomctl.mqtt.batch import disconnect_waiting, join_waiting

# What paho would hand on_publish (roomctl's daemon sets none) for each success, by what
# follows the message id: nothing (MQTT 3.1.1, or v5's short form), 0, or 0x10.
_SUCCESSES = {
    b"": ReasonCode(PacketTypes.PUBACK),
    b"\x00": ReasonCode(PacketTypes.PUBACK, identifier=0x00),
    b"\x10": ReasonCode(PacketTypes.PUBACK, identifier=0x10),
}
_NO_PROPERTIES = Properties(PacketTypes.PUBACK)  # type: ignore[no-untyped-call]
# The message id's length: two bytes right after the fixed header.
_MID_BYTES = 2


class FastClient(mqtt.Client):
    """paho's client: a successful PUBACK taken without full decoding, waiting packets joined."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.io_lock = threading.RLock()  # paho writes from within its own reads (CONNACK)

    def loop_read(self, max_packets: int = 1) -> MQTTErrorCode:
        """Read as paho does, holding the I/O lock."""
        with self.io_lock:
            return super().loop_read(max_packets)

    def loop_write(self) -> MQTTErrorCode:
        """Write as paho does, holding the I/O lock."""
        with self.io_lock:
            return super().loop_write()

    def loop_misc(self) -> MQTTErrorCode:
        """Keep the connection alive as paho does, holding the I/O lock."""
        with self.io_lock:
            return super().loop_misc()

    def write_waiting(self) -> bool:
        """Write what is waiting, from any thread; return whether the loop must take over.

        Only a plain write happens here: an error, a full socket buffer or a DISCONNECT
        waiting (whose write closes the connection and calls back) is left to the network
        thread, where paho handles it as always.
        """
        with self.io_lock:
            if self._sock is None or disconnect_waiting(self._out_packet):
                return True
            try:
                rc = self._packet_write()
            except OSError:
                return True
            if rc != MQTTErrorCode.MQTT_ERR_SUCCESS:
                return True
            if not self.want_write():
                self._call_socket_unregister_write()
            # Another thread may have queued a packet while paho still counted us as
            # registered for writing: then nobody else would write it.
            return self.want_write()

    def _packet_write(self) -> MQTTErrorCode:
        join_waiting(self._out_packet)
        writing = bool(self._out_packet) and self._sock is not None
        rc = super()._packet_write()
        if writing and rc == MQTTErrorCode.MQTT_ERR_SUCCESS:
            with self._msgtime_mutex:
                self._last_msg_out = time.monotonic()  # paho's clock for its keepalive
        return rc

    def _handle_pubackcomp(self, cmd: Literal["PUBACK", "PUBCOMP"]) -> MQTTErrorCode:
        packet = bytes(self._in_packet["packet"])
        rest = packet[_MID_BYTES:]
        plain = len(packet) == _MID_BYTES or self._protocol == MQTTProtocolVersion.MQTTv5
        if cmd != "PUBACK" or len(packet) < _MID_BYTES or not plain or rest not in _SUCCESSES:
            return super()._handle_pubackcomp(cmd)
        mid = int.from_bytes(packet[:_MID_BYTES], "big")
        with self._out_message_mutex:
            if mid in self._out_messages:
                return self._do_on_publish(mid, _SUCCESSES[rest], _NO_PROPERTIES)
        return MQTTErrorCode.MQTT_ERR_SUCCESS
