"""The daemon's log is written by a thread of its own, every line, in order, at exit too."""

from __future__ import annotations

import subprocess
import sys
import textwrap

# A burst well beyond what the writer thread can write while the caller logs.
LINES = 2000
# A child python with roomctl imported starts in well under this on a loaded machine.
CHILD_TIMEOUT_S = 60.0

_CHILD = textwrap.dedent(
    """
    import logging, os, sys, threading
    from roomctl import logs

    logging.basicConfig()  # as the command group does before `roomctl run` configures
    logs.configure(1)
    logs.configure(1)  # once is enough: still one writer
    assert threading.active_count() == 2, threading.enumerate()  # the writer's thread
    log = logging.getLogger("roomctl.session")
    fields = ["before"]
    for index in range(LINES):
        log.info("line %d of %s", index, fields)
    fields[0] = "after"  # changed once logged: the line keeps what it said
    logging.shutdown()  # what `roomctl run` does before os._exit on a stuck disk
    os._exit(0)
    """
).replace("LINES", str(LINES))


def test_every_line_is_written_in_order_with_its_arguments_as_they_were() -> None:
    done = subprocess.run(
        [sys.executable, "-c", _CHILD],
        capture_output=True,
        text=True,
        timeout=CHILD_TIMEOUT_S,
        check=True,
    )
    lines = done.stderr.splitlines()
    assert len(lines) == LINES
    assert lines[0].endswith("INFO roomctl.session: line 0 of ['before']")
    assert [int(line.split("line ")[1].split()[0]) for line in lines] == list(range(LINES))
    assert all(line.endswith("['before']") for line in lines)
