"""Timeline properties over random rooms, profiles, plans and clocks (hypothesis)."""

from __future__ import annotations

import math
from collections.abc import Iterator
from itertools import pairwise

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from roomctl.core.easing import EASINGS
from roomctl.core.levels import LightLevel, SoundMix, Voice, db_to_gain
from roomctl.core.timeline import PhaseInfo, SessionClock, SessionPlan, Timeline
from roomctl.models import RoomPreset, SessionProfile

# Enough examples to meet off/on switches, zero fades, skips and caps, few enough that the
# whole file runs in seconds.
PROPERTY_SETTINGS = settings(
    max_examples=50, deadline=None, suppress_health_check=[HealthCheck.too_slow]
)
# Largest slope of each easing curve over 0..1: linear 1, smoothstep 1.5, the quadratics 2.
MAX_EASE_SLOPE = {"linear": 1.0, "s-curve": 1.5, "ease-in": 2.0, "ease-out": 2.0}
# Mireds of the model's kelvin range, 1000 K..10000 K: the most a colour temperature travels.
MIREDS_SPAN = 1000.0 - 100.0
# Float slack for comparisons of computed levels.
EPS = 1e-9
# How close to an instant "just before" it is sampled.
BEFORE = 1e-6
# Samples inside each stretch between two changes.
SAMPLES_PER_STRETCH = 24

LIGHT_NAMES = ("ceiling", "lamp", "strip", "cove")
LIGHT_TYPES = {
    "zigbee2mqtt": {"topic": "z2m/x"},
    "tasmota": {"topic": "x"},
    "wled": {"topic": "wled/x"},
    "mqtt_json": {"command_topic": "x/set"},
}


@st.composite
def rooms(draw: st.DrawFn) -> RoomPreset:
    names = draw(st.lists(st.sampled_from(LIGHT_NAMES), min_size=1, max_size=4, unique=True))
    devices: dict[str, object] = {}
    for name in names:
        kind = draw(st.sampled_from(sorted(LIGHT_TYPES)))
        devices[name] = {"type": kind, **LIGHT_TYPES[kind]}
    devices["speaker"] = {"type": "audio"}
    groups = {
        group: draw(st.lists(st.sampled_from(names), max_size=len(names), unique=True))
        for group in draw(st.lists(st.sampled_from(["ambient", "warm"]), unique=True))
    }
    return RoomPreset.model_validate(
        {
            "id": "room-p",
            "devices": devices,
            "groups": groups,
            "limits": {
                "min_brightness": f"{draw(st.integers(0, 20))}%",
                "max_volume": f"-{draw(st.integers(0, 40))} dB",
            },
        }
    )


def light_values() -> st.SearchStrategy[object]:
    setting = st.fixed_dictionaries(
        {},
        optional={
            "brightness": st.integers(0, 100).map(lambda v: f"{v}%"),
            "color_temp": st.integers(1000, 10000).map(lambda v: f"{v}K"),
        },
    ).filter(bool)
    color = st.fixed_dictionaries(
        {"color": st.integers(0, 0xFFFFFF).map(lambda v: f"#{v:06x}")},
        optional={"brightness": st.integers(0, 100).map(lambda v: f"{v}%")},
    )
    return st.one_of(st.just("off"), setting, color)


def sound_values() -> st.SearchStrategy[object]:
    setting = st.fixed_dictionaries(
        {
            "source": st.sampled_from(["noise:brown", "noise:pink", "tone:220"]),
            "volume": st.integers(-60, 0).map(lambda v: f"{v} dB"),
        }
    )
    return st.one_of(st.none(), st.just("off"), setting)


@st.composite
def profiles(draw: st.DrawFn, room: RoomPreset) -> SessionProfile:
    targets = ["all", *room.groups, *room.lights(), "missing"]
    phases = []
    for index in range(draw(st.integers(1, 4))):
        duration = draw(st.integers(1, 900))
        phase: dict[str, object] = {
            "name": f"phase-{index}",
            "duration": f"{duration}s",
            "fade": f"{draw(st.sampled_from([0, 1, 7, 45, 300, 1200]))}s",
            "easing": draw(st.sampled_from(EASINGS)),
            "lights": draw(st.dictionaries(st.sampled_from(targets), light_values(), max_size=4)),
            "cues": [
                {"at": f"{at}s", "notify": f"cue {at}"}
                for at in draw(st.lists(st.integers(0, duration), max_size=3))
            ],
        }
        sound = draw(sound_values())
        if sound is not None:
            phase["sound"] = sound
        phases.append(phase)
    return SessionProfile.model_validate({"title": "random", "phases": phases})


def light_levels() -> st.SearchStrategy[LightLevel]:
    fraction = st.floats(0.0, 1.0)
    return st.one_of(
        st.builds(LightLevel, on=st.just(False)),
        st.builds(LightLevel, on=st.just(True), brightness=fraction),
        st.builds(LightLevel, on=st.just(True), brightness=fraction, mireds=st.floats(100, 1000)),
        st.builds(
            LightLevel,
            on=st.just(True),
            brightness=fraction,
            color=st.tuples(*[st.floats(0, 255)] * 3),
        ),
    )


@st.composite
def timelines(draw: st.DrawFn) -> Timeline:
    room = draw(rooms())
    profile = draw(profiles(room))
    initial = draw(st.dictionaries(st.sampled_from(list(room.lights())), light_levels()))
    sound: SoundMix = tuple(
        Voice(source, gain)
        for source, gain in draw(
            st.dictionaries(st.sampled_from(["noise:white", "noise:pink"]), st.floats(0.0, 1.0))
        ).items()
    )
    return Timeline(profile, room, SessionPlan.from_profile(profile), initial, sound)


def fade_of(tl: Timeline, index: int) -> float:
    phase = tl.profile.phases[index]
    return min(phase.fade, phase.duration)


def changes(tl: Timeline) -> list[float]:
    out: list[float] = []
    change = tl.next_change(-1.0)
    while change is not None:
        out.append(change)
        change = tl.next_change(change)
    return out


def stretches(tl: Timeline) -> Iterator[tuple[float, float, int]]:
    """Yield (from, to, phase index) for each stretch between two changes in the session."""
    instants = changes(tl)
    for t0, t1 in pairwise(instants):
        index = tl.plan.phase_index_at(t0)
        if index is not None and t1 > t0:
            yield t0, t1, index


def gains(mix: SoundMix) -> dict[str, float]:
    return {voice.source: voice.gain for voice in mix}


# A colour fade runs between full-value colours kept at full value (levels.interpolate_light):
# its channels move at most 2 * 255 / 127.5 = 4 times as fast as the straight line would.
COLOR_BEND = 4.0


def assert_close_levels(a: LightLevel, b: LightLevel, bright: float, mireds: float) -> None:
    """Assert two levels of a light differ by at most these bounds (colour: see COLOR_BEND)."""
    assert a.on == b.on
    assert abs(a.brightness - b.brightness) <= bright + EPS
    if a.mireds is not None and b.mireds is not None:
        assert abs(a.mireds - b.mireds) <= mireds + EPS
    if a.color is not None and b.color is not None:
        for x, y in zip(a.color, b.color, strict=True):
            assert abs(x - y) <= COLOR_BEND * 255.0 * bright + EPS


def assert_same_room(a: Timeline, t_a: float, b: Timeline, t_b: float) -> None:
    """Assert two timelines want the same room at these times, up to float rounding."""
    lights_b = b.lights_at(t_b)
    for name, level in a.lights_at(t_a).items():
        assert_close_levels(level, lights_b[name], EPS, EPS)
        assert (level.mireds is None) == (lights_b[name].mireds is None)
        assert (level.color is None) == (lights_b[name].color is None)
    gains_a, gains_b = gains(a.sound_at(t_a)), gains(b.sound_at(t_b))
    assert set(gains_a) == set(gains_b)
    for source, gain in gains_a.items():
        assert gain == pytest.approx(gains_b[source], abs=EPS)


@PROPERTY_SETTINGS
@given(tl=timelines())
def test_limits_always_hold(tl: Timeline) -> None:
    limits = tl.room.limits
    cap = db_to_gain(limits.max_volume)
    samples = [t for t0, t1, _ in stretches(tl) for t in (t0, (t0 + t1) / 2, t1 - BEFORE)]
    for t in [*samples, tl.end, tl.end + 100.0]:
        for name, level in tl.lights_at(t).items():
            if level.on:
                assert limits.min_brightness - EPS <= level.brightness <= 1.0 + EPS, (name, t)
        for fade in tl.light_fades_at(t).values():
            for end in (fade.source, fade.target):
                assert not end.on or end.brightness >= limits.min_brightness - EPS
        assert all(voice.gain <= cap + EPS for voice in tl.sound_at(t))
        fade_mix = tl.sound_fade_at(t)
        assert all(v.gain <= cap + EPS for v in (*fade_mix.source, *fade_mix.target))


@PROPERTY_SETTINGS
@given(tl=timelines())
def test_levels_move_no_faster_than_the_fade_allows_between_changes(tl: Timeline) -> None:
    cap = db_to_gain(tl.room.limits.max_volume)
    for t0, t1, index in stretches(tl):
        fade = fade_of(tl, index)
        slope = MAX_EASE_SLOPE[tl.profile.phases[index].easing] / fade if fade > 0 else 0.0
        step = (t1 - t0) / SAMPLES_PER_STRETCH
        times = [t0 + step * k for k in range(SAMPLES_PER_STRETCH)] + [t1 - BEFORE]
        previous_lights, previous_sound = tl.lights_at(times[0]), gains(tl.sound_at(times[0]))
        for before, t in pairwise(times):
            bound = slope * (t - before)
            lights, sound = tl.lights_at(t), gains(tl.sound_at(t))
            for name, level in lights.items():
                assert_close_levels(previous_lights[name], level, bound, MIREDS_SPAN * bound)
            for source in set(sound) | set(previous_sound):
                jump = abs(sound.get(source, 0.0) - previous_sound.get(source, 0.0))
                # An equal-power crossfade moves at most pi/2 times faster than a lerp.
                assert jump <= cap * math.pi / 2 * bound + EPS, (source, t)
            previous_lights, previous_sound = lights, sound


@PROPERTY_SETTINGS
@given(tl=timelines())
def test_levels_jump_only_at_a_zero_fade_or_an_off_on_switch(tl: Timeline) -> None:
    starts = {tl.plan.start_of(i): i for i in range(tl.phase_count)}
    for c in changes(tl):
        if c <= 0.0:
            continue
        before, after = tl.lights_at(c - BEFORE), tl.lights_at(c)
        index = starts.get(c)
        zero_fade = index is not None and fade_of(tl, index) == 0.0
        # Slope over BEFORE with the steepest fade there is: 2 / 1 s.
        bound = 2.0 * BEFORE
        entering = tl.lights_entering(index) if index is not None else {}
        for name, level in after.items():
            # An off/on switch: off on either side, or off for the instant between phases.
            switched = not (level.on and before[name].on and entering.get(name, level).on)
            if zero_fade or switched:
                continue
            assert_close_levels(before[name], level, bound, MIREDS_SPAN * bound)
        if not zero_fade:
            old, new = gains(tl.sound_at(c - BEFORE)), gains(tl.sound_at(c))
            for source in set(old) | set(new):
                assert abs(old.get(source, 0.0) - new.get(source, 0.0)) <= math.pi * bound + EPS


@PROPERTY_SETTINGS
@given(tl=timelines())
def test_next_change_is_increasing_hits_every_boundary_and_cue_and_segments_hold_between(
    tl: Timeline,
) -> None:
    instants = changes(tl)
    assert all(a < b for a, b in pairwise(instants))
    assert set(tl.plan.bounds) <= set(instants)
    assert {cue.at for cue in tl.cues.cues} <= set(instants)
    assert instants[-1] == tl.end
    assert tl.next_change(tl.end) is None
    for t0, t1, _ in stretches(tl):
        fades, sound = tl.light_fades_at(t0), tl.sound_fade_at(t0)
        for t in (t0 + (t1 - t0) / 3, t1 - BEFORE):
            # The daemon may play each stretch from one query: nothing else changes in it.
            assert tl.light_fades_at(t) == fades
            assert tl.sound_fade_at(t) == sound
            assert {n: f.at(t) for n, f in fades.items()} == tl.lights_at(t)
            assert sound.at(t) == tl.sound_at(t)


@PROPERTY_SETTINGS
@given(
    tl=timelines(),
    where=st.floats(0.0, 1.0, exclude_min=True, exclude_max=True),
    data=st.data(),
)
def test_skip_mid_fade_starts_the_next_phase_from_the_current_level(
    tl: Timeline, where: float, data: st.DataObject
) -> None:
    current = data.draw(st.integers(0, tl.phase_count - 1))
    start, end = tl.plan.start_of(current), tl.plan.end_of(current)
    at = start + where * (end - start)
    if not start < at < end:  # rounding put it on a boundary
        return
    skipped = tl.with_plan(tl.plan.skip(at))
    now, sound_now = tl.lights_at(at), tl.sound_at(at)
    for fraction in data.draw(st.lists(st.floats(0.0, 1.0, exclude_max=True), max_size=5)):
        if fraction * at < at:
            assert skipped.lights_at(fraction * at) == tl.lights_at(fraction * at)
            assert skipped.sound_at(fraction * at) == tl.sound_at(fraction * at)
    if current + 1 == tl.phase_count:
        assert skipped.ended(at)
        assert skipped.lights_at(at + 1.0) == now
        assert skipped.sound_at(at + 1.0) == sound_now
        return
    following = current + 1
    next_end = skipped.plan.end_of(following)
    assert next_end - at == pytest.approx(tl.plan.end_of(following) - end)
    name = tl.profile.phases[following].name
    assert skipped.phase_at(at) == PhaseInfo(following, name, at, next_end, 0.0, next_end - at)
    assert skipped.lights_entering(following) == now
    assert skipped.sound_entering(following) == sound_now
    if fade_of(tl, following) > 0.0:
        fades = skipped.light_fades_at(at)
        for name, level in now.items():
            if level.on:
                assert fades[name].source == level
                assert skipped.lights_at(at)[name] == level
        assert skipped.sound_at(at) == sound_now


@PROPERTY_SETTINGS
@given(tl=timelines(), data=st.data())
def test_extend_shifts_every_later_instant_by_the_extension(
    tl: Timeline, data: st.DataObject
) -> None:
    index = data.draw(st.integers(0, tl.phase_count - 1))
    by = float(data.draw(st.integers(1, 600)))
    longer = tl.with_plan(tl.plan.extend(index, by))
    boundary = tl.plan.end_of(index)
    for t in data.draw(st.lists(st.floats(0.0, tl.end + 10.0), min_size=1, max_size=8)):
        shifted = t if t < boundary else t + by
        assert_same_room(longer, shifted, tl, t)
    shifted_changes = {c if c < boundary else c + by for c in changes(tl)}
    # A fade that ended with the phase now ends inside it: the old boundary stays a change.
    assert shifted_changes <= set(changes(longer)) <= shifted_changes | {boundary}
    assert [c.at for c in longer.cues.cues] == [
        c.at + (by if c.phase_index > index else 0.0) for c in tl.cues.cues
    ]


def played_up_to(tl: Timeline, t: float) -> tuple[dict[str, LightLevel], SoundMix]:
    """Play the timeline as a daemon would, one segment per change, and return the room at t."""
    change = 0.0
    while True:
        fades, sound = tl.light_fades_at(change), tl.sound_fade_at(change)
        following = tl.next_change(change)
        if following is None or following > t:
            return {name: fade.at(t) for name, fade in fades.items()}, sound.at(t)
        change = following


@PROPERTY_SETTINGS
@given(tl=timelines(), where=st.floats(0.0, 1.1), speed=st.sampled_from([1.0, 60.0]))
def test_load_to_time_equals_playing_up_to_that_time(
    tl: Timeline, where: float, speed: float
) -> None:
    wall = 1_700_000_000.0
    load_to = where * tl.end
    loaded = SessionClock.start(wall, offset=load_to, speed=speed)
    from_zero = SessionClock.start(wall - load_to / speed, speed=speed)
    assert loaded.session_time(wall) == load_to
    assert from_zero.session_time(wall) == pytest.approx(load_to, abs=1e-3)
    lights, sound = played_up_to(tl, load_to)
    loaded_lights = tl.lights_at(loaded.session_time(wall))
    assert set(loaded_lights) == set(lights) == set(tl.room.lights())
    for name, level in loaded_lights.items():
        assert_close_levels(level, lights[name], EPS, EPS)
    assert gains(tl.sound_at(load_to)) == pytest.approx(gains(sound), abs=EPS)


@PROPERTY_SETTINGS
@given(
    tl=timelines(),
    pause_after=st.floats(0.0, 4000.0),
    pause_for=st.floats(0.001, 4000.0),
    later=st.floats(0.001, 4000.0),
)
def test_a_pause_shifts_the_room_and_its_next_change_by_the_pause(
    tl: Timeline, pause_after: float, pause_for: float, later: float
) -> None:
    wall = 1_700_000_000.0
    plain = SessionClock.start(wall)
    paused = plain.pause(wall + pause_after).resume(wall + pause_after + pause_for)
    probe = wall + pause_after + later
    t_plain, t_paused = plain.session_time(probe), paused.session_time(probe + pause_for)
    assert t_paused == pytest.approx(t_plain, abs=1e-6)
    # Session times equal to a microsecond: levels equal to what a microsecond can move.
    slack = 2.0 * 1e-6
    plain_lights, paused_lights = tl.lights_at(t_plain), tl.lights_at(t_paused)
    for name, level in plain_lights.items():
        if level.on == paused_lights[name].on:
            assert_close_levels(level, paused_lights[name], slack, MIREDS_SPAN * slack)
        else:  # the two instants straddle an off/on switch: a change lies between them
            switch = tl.next_change(min(t_plain, t_paused))
            assert switch is not None
            assert switch <= max(t_plain, t_paused)
    change = tl.next_change(t_plain)
    if change is not None:
        plain_wall, paused_wall = plain.wall_at(change), paused.wall_at(change)
        assert plain_wall is not None
        assert paused_wall is not None
        assert paused_wall - plain_wall == pytest.approx(pause_for, abs=1e-6)
