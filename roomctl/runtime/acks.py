"""Answer a room's commands once their records are on disk, or say in time that they are not."""

from __future__ import annotations

from collections import deque
from collections.abc import Callable
from dataclasses import dataclass

from roomctl.api.messages import Inbound
from roomctl.api.state import Status

# A supervisor's CLI gives up after 5 s. A command carried out whose records are still not
# on disk after 1 s is answered anyway, as done but not yet recorded: a slow or stalled
# disk never turns a pause the room made into "no reply".
ACK_WAIT_S = 1.0


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
