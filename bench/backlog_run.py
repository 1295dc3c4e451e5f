"""Run issue 14's emergency-under-load rows: one daemon for quiet, junk and flood; one frozen."""

from __future__ import annotations

import time
from collections.abc import Callable
from contextlib import ExitStack
from pathlib import Path
from typing import Any

from bench.backlog import (
    FAILURES,
    FLOOD_CLIENTS,
    FLOOD_COMMANDS,
    GAP_S,
    JUNK_COMMANDS,
    MARGIN_MS,
    TRIAL_TIMEOUT_S,
    Backlog,
    BacklogPlan,
    Row,
)
from bench.daemon import ONLINE_TIMEOUT_S, StartDaemon
from bench.freeze import Freeze, frozen_disk_unavailable, loop_mount

# After the thaw, the pause's reply is waited for this long.
PAUSE_AFTER_THAW_S = 10.0


def frozen_trial(backlog: Backlog, room: str, mount: Path) -> Callable[[Row], None]:
    """Return a trial on a frozen state disk: pause, emergency, thaw, then the pause's reply."""

    def trial(row: Row) -> None:
        with Freeze(mount) as freeze:
            pause = backlog.sup.send(room, "pause")
            emergency = backlog.emergency(room, row)
        pauses = row.extra.setdefault(
            "pause", {"replied_while_frozen": 0, "no_reply": 0, "refused": 0, "reply_s": []}
        )
        try:
            reply = backlog.sup.reply(*pause, timeout=PAUSE_AFTER_THAW_S)
        except TimeoutError:
            pauses["no_reply"] += 1
        else:
            pauses["replied_while_frozen"] += reply.arrival.mono < freeze.thaw_mono
            pauses["refused"] += not reply.ok
            pauses["reply_s"].append(round(reply.latency_s, 3))
            pauses.setdefault("after_thaw_s", []).append(
                round(max(0.0, reply.arrival.mono - freeze.thaw_mono), 3)
            )
        backlog.settle(room, row, emergency)

    return trial


def backlog_bench(
    backlog: Backlog,
    plan: BacklogPlan,
    start_daemon: StartDaemon,
    rooms: tuple[Path, Path],
    profile: str,
    work: Path,
) -> dict[str, Any]:
    """Run the four rows; return them with the settings they ran with."""
    sup, say = backlog.sup, backlog.say
    results: dict[str, Any] = {
        "timeout_s": TRIAL_TIMEOUT_S,
        "junk_commands": JUNK_COMMANDS,
        "flood_commands": FLOOD_COMMANDS,
        "flood_clients": FLOOD_CLIENTS,
        "margin_ms": MARGIN_MS,
    }
    busy = rooms[0].stem
    rows = {
        "quiet": Row(),
        "junk": Row(),
        "junk_topic": Row(),
        "flood": Row(),
        "flood_topic": Row(),
    }
    daemon = start_daemon([rooms[0]], "backlog")
    try:
        sup.wait_ready(busy, daemon.started_mono, ONLINE_TIMEOUT_S)
        sup.command(busy, "start", profile=profile)
        time.sleep(GAP_S[1])
        for name, trials, step in (
            ("quiet", plan.quiet, backlog.quiet(busy)),
            ("junk", plan.junk, backlog.junk(busy)),
            ("junk_topic", plan.junk, backlog.junk(busy, "emergency")),
            ("flood", plan.flood, backlog.flood(busy)),
            ("flood_topic", plan.flood, backlog.flood(busy, "emergency")),
        ):
            say(f"emergency under load, {name}: up to {trials} calls")
            row = rows[name]
            backlog.run_row(row, trials, plan.row_budget_s, lambda: step(row))  # noqa: B023
            daemon.check_running()
    except FAILURES as error:  # a failed set-up or a dead daemon: the rows left say so
        for row in rows.values():
            if not row.last and row.error is None:
                row.error = f"not run: {error}"
    finally:
        daemon.stop()
    results.update((name, row.as_dict()) for name, row in rows.items())
    results["frozen"] = _frozen_row(backlog, plan, start_daemon, rooms[1], profile, work)
    return results


def _frozen_row(
    backlog: Backlog,
    plan: BacklogPlan,
    start_daemon: StartDaemon,
    room_file: Path,
    profile: str,
    work: Path,
) -> dict[str, Any]:
    row = Row(planned=plan.frozen)
    why = frozen_disk_unavailable()
    if why is not None:
        row.skipped = why
        return row.as_dict()
    room = room_file.stem
    backlog.say(f"emergency under load, frozen state disk: up to {plan.frozen} calls")
    with ExitStack() as stack:
        try:
            mount = stack.enter_context(loop_mount(work / "frozen-disk"))
        except FAILURES as error:
            row.skipped = f"cannot mount a loop ext4 image: {error}"
            return row.as_dict()
        daemon = start_daemon([room_file], "frozen", state_dir=mount / "roomctl")
        stack.callback(daemon.stop)  # after the thaw (each freeze is left before this runs)
        try:
            backlog.sup.wait_ready(room, daemon.started_mono, ONLINE_TIMEOUT_S)
            backlog.sup.command(room, "start", profile=profile)
        except FAILURES as error:
            row.error = f"not run: {error}"
            return row.as_dict()
        time.sleep(GAP_S[1])
        step = frozen_trial(backlog, room, mount)
        backlog.run_row(row, plan.frozen, plan.row_budget_s, lambda: step(row))
    return row.as_dict()
