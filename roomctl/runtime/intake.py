"""Take a room's commands in where they arrive: parsed at once, so an emergency can go first."""

from __future__ import annotations

import itertools
import logging
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from roomctl.api.command_types import HistoryCommand, ReportCommand
from roomctl.api.commands import Command, CommandError, Query, QueryError, parse_inbound
from roomctl.api.excerpt import excerpt
from roomctl.api.messages import Inbound
from roomctl.api.send_time import MAX_COMMAND_AGE_S, age_refusal, wire_time
from roomctl.runtime.inputs import CommandArrived

_LOGGER = logging.getLogger(__name__)

# Older than this, a command taken anyway (an emergency) is logged as late.
_LATE = timedelta(seconds=MAX_COMMAND_AGE_S)
NOT_AN_EMERGENCY = (
    "only an emergency goes to roomctl/R/emergency: send other commands to roomctl/R/cmd"
)
UNREADABLE = 'cannot read this command: send a JSON object like {"action": "pause"}'


@dataclass(frozen=True, slots=True)
class QueryArrived:
    """A record query on the room's cmd topic, or why it is refused: for the record desk."""

    inbound: Inbound
    query: Query | QueryError


class CommandIntake:
    """Number and parse the messages of a room's cmd topic on the thread that receives them.

    Parsing is cheap and bounded (payloads are capped), so it can run on the MQTT network
    thread; the room then knows an emergency from junk before it queues either.
    """

    def __init__(self, clock: Callable[[], datetime] | None = None) -> None:
        self._arrivals = itertools.count()
        self._clock = clock or _utc_now

    def take(
        self, inbound: Inbound, emergency_only: bool = False
    ) -> CommandArrived | QueryArrived | None:
        """Return the arrived command or record query, or None for an empty message.

        An empty message is how MQTT deletes a retained one (roomctl does so for a
        retained command it refused; an MQTT 3.1.1 broker passes that on without its
        retain flag): not a command, no answer.
        """
        if not inbound.payload:
            return None
        parsed = _parse(inbound)
        if emergency_only and _not_an_emergency(parsed):
            parsed = CommandError(NOT_AN_EMERGENCY, parsed.request_id)
        if isinstance(parsed, HistoryCommand | ReportCommand | QueryError):
            return QueryArrived(inbound, parsed)
        if not isinstance(parsed, CommandError):
            parsed = self._refused_if_late(parsed)
        return CommandArrived(inbound, parsed, next(self._arrivals))

    def _refused_if_late(self, command: Command) -> Command | CommandError:
        """Return the command, or its refusal when it was sent too long ago (or ahead)."""
        now = self._clock()
        why = age_refusal(command.action, command.sent_at, now)
        if why is None:
            if command.sent_at is not None and now - command.sent_at > _LATE:
                _LOGGER.warning(
                    "%s sent at %s taken late: an emergency is never refused for its age",
                    command.action,
                    wire_time(command.sent_at),
                )
            return command
        _LOGGER.warning("refused %s from %s: %s", command.action, command.operator, why)
        return CommandError(why, command.request_id)


def _utc_now() -> datetime:
    return datetime.now(tz=UTC)


def _not_an_emergency(parsed: Command | Query | CommandError) -> bool:
    """Tell whether a message on the emergency topic is well formed and not an emergency."""
    if isinstance(parsed, QueryError):  # a query, malformed
        return True
    return not isinstance(parsed, CommandError) and parsed.action != "emergency"


def _parse(inbound: Inbound) -> Command | Query | CommandError:
    try:
        return parse_inbound(inbound)
    except CommandError as error:
        return error
    except Exception as error:  # any: every message gets its one answer, whatever it holds
        _LOGGER.warning(
            "cannot parse a command (%s): %s", type(error).__name__, excerpt(inbound.payload)
        )
        return CommandError(UNREADABLE)
