"""The daemon's collector policy: a full pass's survivors are frozen, given back hourly."""

from __future__ import annotations

import gc
import weakref
from collections.abc import Iterator

import pytest

from roomctl.runtime.collector import RELEASE_EVERY_S, SurvivorFreezer


class Clock:
    """A monotonic clock the test moves by hand."""

    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


@pytest.fixture
def freezer() -> Iterator[tuple[SurvivorFreezer, Clock]]:
    """Install a freezer on a hand clock; leave the process's collector as it was."""
    clock = Clock()
    policy = SurvivorFreezer(clock)
    policy.install()
    gc.unfreeze()
    try:
        yield policy, clock
    finally:
        policy.remove()
        gc.unfreeze()


def test_a_full_pass_freezes_what_survives_it_and_young_passes_do_not(
    freezer: tuple[SurvivorFreezer, Clock],
) -> None:
    kept = [[index] for index in range(1000)]  # tracked containers that stay alive
    gc.collect(0)
    assert gc.get_freeze_count() == 0
    gc.collect()
    assert gc.get_freeze_count() >= len(kept)


def test_an_hour_after_the_last_release_the_frozen_go_back_to_the_collector(
    freezer: tuple[SurvivorFreezer, Clock],
) -> None:
    _policy, clock = freezer
    gc.collect()
    assert gc.get_freeze_count() > 0
    clock.now += RELEASE_EVERY_S
    gc.collect()  # this pass ends by giving them back: the next walks them all
    assert gc.get_freeze_count() == 0
    gc.collect()
    assert gc.get_freeze_count() > 0


def test_a_cycle_frozen_while_alive_is_freed_after_the_release(
    freezer: tuple[SurvivorFreezer, Clock],
) -> None:
    _policy, clock = freezer

    class Node:
        """One half of a reference cycle."""

        other: object = None

    first, second = Node(), Node()
    first.other, second.other = second, first
    alive = weakref.ref(first)
    gc.collect()  # frozen with the cycle alive
    del first, second
    gc.collect()
    assert alive() is not None  # set aside: not walked, so not found
    clock.now += RELEASE_EVERY_S
    gc.collect()  # given back at this pass's end ...
    gc.collect()
    assert alive() is None  # ... and freed by the next
