"""The room worker's scheduling that needs no broker: when each room's heartbeat falls."""

from __future__ import annotations

from collections import Counter

from roomctl.runtime.worker import HEARTBEAT_S, heartbeat_offset

# Rooms of one daemon, and the parts of the heartbeat interval their beats are counted in.
ROOMS = 200
PARTS = 10


def test_rooms_of_one_daemon_beat_spread_over_the_interval() -> None:
    offsets = [heartbeat_offset(f"room-{index}") for index in range(ROOMS)]
    assert all(0.0 <= offset < HEARTBEAT_S for offset in offsets)
    per_part = Counter(int(offset / HEARTBEAT_S * PARTS) for offset in offsets)
    # 20 rooms a part on average; all at one instant would put 200 in one part.
    assert len(per_part) == PARTS
    assert max(per_part.values()) <= 2 * ROOMS // PARTS
    assert heartbeat_offset("room-7") == heartbeat_offset("room-7")  # the same at every start
