"""The exit codes of roomctl's commands, one meaning each (the README's table)."""

from __future__ import annotations

# The room accepted the command; `status`: the rooms were shown (with --room: it is served).
EXIT_ACCEPTED = 0
# The room refused the command; the reason is printed.
EXIT_REFUSED = 1
# The broker took the command but no daemon answered within 5 s (nothing serves that
# room), or `status` found no room at all.
EXIT_NO_REPLY = 2
# The broker: it cannot be reached, or it refused the connection (user name, password,
# certificate) or this account's command or subscription.
EXIT_BROKER = 3
# `status --room R`: the room's daemon is offline, its state is stale, or unreadable.
EXIT_NOT_SERVED = 4
# The command line itself is wrong (unknown option, missing argument): BSD's EX_USAGE.
# Not click's default 2, which already means "no reply".
EXIT_USAGE = 64
