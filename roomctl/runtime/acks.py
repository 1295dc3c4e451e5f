"""Answer a room's commands once their records are on disk, or say in time that they are not."""

from __future__ import annotations

from collections import deque
from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Protocol

from roomctl.api.messages import Inbound, Message
from roomctl.api.replies import reply_payload
from roomctl.api.state import Status

if TYPE_CHECKING:
    from roomctl.runtime.recorder import Recorder

# A supervisor's CLI gives up after 5 s. A command carried out whose records are still not
# on disk after 1 s is answered anyway, as done but not yet recorded: a slow or stalled
# disk never turns a pause the room made into "no reply".
ACK_WAIT_S = 1.0
NOT_YET_RECORDED = (
    "not yet recorded: the state disk is slow; the room keeps the record in memory and "
    "writes it when the disk answers"
)


class Outbox(Protocol):
    """Where the room's publications go: the bus, or a recorder in unit tests."""

    def publish(self, msg: Message) -> None:
        """Publish one message."""

    def reply(self, inbound: Inbound, msg: Message) -> None:
        """Publish a reply, also to the command's MQTT v5 response topic if it has one."""


@dataclass(frozen=True, slots=True)
class PendingReply:
    """A command carried out, waiting for its records to reach the disk."""

    inbound: Inbound
    request_id: str | None
    status: Status
    mark: int  # the recorder's mark once the command's records were made
    due: float  # wall time by which it is answered, recorded or not


class Acknowledgements:
    """The commands carried out and not yet answered, in the order they were handled."""

    def __init__(self) -> None:
        self._waiting: deque[PendingReply] = deque()

    def add(self, reply: PendingReply) -> None:
        """Hold a reply until its records are on disk or it is due."""
        self._waiting.append(reply)

    def ready(
        self, durable: Callable[[int], bool], now: float, failing: bool = False
    ) -> list[tuple[PendingReply, bool]]:
        """Return the replies to send now, each with whether its records are on disk.

        Replies leave in the order their commands were handled: a later command's records
        are never on disk before an earlier one's. With `failing` (the journal refused the
        last write and none is in flight) waiting cannot help: all go now.
        """
        out: list[tuple[PendingReply, bool]] = []
        while self._waiting:
            reply = self._waiting[0]
            recorded = durable(reply.mark)
            if not recorded and now < reply.due and not failing:
                break
            out.append((self._waiting.popleft(), recorded))
        return out

    def next_due(self) -> float | None:
        """Return when the oldest waiting reply must be sent anyway, or None."""
        return self._waiting[0].due if self._waiting else None


class Replies:
    """Answer a room's commands: a refusal at once, a command carried out once recorded."""

    def __init__(self, topic: str, outbox: Outbox, recorder: Recorder) -> None:
        self._topic = topic
        self._outbox = outbox
        self._recorder = recorder
        self._acks = Acknowledgements()

    def refuse(
        self, inbound: Inbound, request_id: str | None, reason: str, status: Status, qos: int
    ) -> None:
        """Answer a refused command at once."""
        payload = reply_payload(request_id, False, status, reason)
        self._outbox.reply(inbound, Message(self._topic, payload, qos))

    def hold(self, inbound: Inbound, request_id: str | None, status: Status, now: float) -> None:
        """Hold a carried-out command's reply until the records made so far are on disk."""
        mark = self._recorder.mark()
        self._acks.add(PendingReply(inbound, request_id, status, mark, now + ACK_WAIT_S))

    def answer(self, now: float, final: bool = False) -> None:
        """Send the replies whose records are on disk, and those that cannot wait longer.

        `final` (the room stops) sends every reply still held.
        """
        recorder = self._recorder
        failing = recorder.error is not None and recorder.in_flight_since is None
        for pending, recorded in self._acks.ready(recorder.durable, now, failing or final):
            warning = None if recorded else recorder.problem(now) or NOT_YET_RECORDED
            said = recorded if recorder.keeps_records else None
            payload = reply_payload(pending.request_id, True, pending.status, warning, said)
            self._outbox.reply(pending.inbound, Message(self._topic, payload))

    def next_due(self) -> float | None:
        """Return when the oldest held reply must be sent anyway, or None."""
        return self._acks.next_due()
