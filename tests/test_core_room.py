"""Every command against every status, through the pure core with an explicit clock."""

from __future__ import annotations

import json
from dataclasses import dataclass, field

import pytest

from roomctl.api.commands import ACTIONS, CommandError, parse_command
from roomctl.api.events import CommandRejected, Event
from roomctl.core import (
    OVERTAKEN,
    Accept,
    CommandIn,
    CoreInput,
    Decision,
    Effect,
    Emit,
    FreezeLights,
    JumpLights,
    PlayLights,
    PublishState,
    Refuse,
    RoomCore,
)
from roomctl.core.levels import LightFade, LightLevel
from roomctl.models import RoomPreset, SessionProfile

T0 = 1_800_000_000.0
ROOM = RoomPreset.model_validate(
    {
        "id": "room-t",
        "devices": {
            "ceiling": {"type": "zigbee2mqtt", "topic": "z/ceiling"},
            "speaker": {"type": "audio"},
        },
    }
)
PROFILE = SessionProfile.model_validate(
    {
        "title": "Cue test",
        "phases": [
            {
                "name": "first",
                "duration": "10m",
                "fade": "1m",
                "easing": "linear",
                "lights": {"all": {"brightness": "20%"}},
                "sound": {"source": "rain.ogg", "volume": -20},
                "cues": [
                    {"at": "0s", "notify": "Check identity"},
                    {"at": "5m", "notify": "Blood pressure"},
                ],
            },
            {"name": "second", "duration": "5m", "lights": {"all": {"brightness": "50%"}}},
        ],
    }
)


def command(**body: object) -> CommandError | object:
    """Return the typed command a JSON body parses to, or the refusal it earns."""
    try:
        return parse_command(json.dumps(body).encode())
    except CommandError as error:
        return error


@dataclass
class Rig:
    """A core, the lights' levels as its effects left them, and every decision's effects."""

    core: RoomCore = field(default_factory=lambda: RoomCore(ROOM))
    fades: dict[str, LightFade] = field(default_factory=dict)
    seq: int = 0
    effects: list[Effect] = field(default_factory=list)

    def lights(self, now: float) -> dict[str, LightLevel | None]:
        """Return where each light is at `now`, as the effects so far put it."""
        return {
            name: self.fades[name].at(now) if name in self.fades else None for name in ["ceiling"]
        }

    def feed(self, item: CoreInput, now: float) -> Decision:
        """Decide one input; move the lights as its effects say."""
        decision = self.core.decide(item, now, self.lights(now))
        for effect in decision.effects:
            if isinstance(effect, PlayLights):
                self.fades.update(effect.fades)
            elif isinstance(effect, JumpLights):
                self.fades.update(
                    {n: LightFade(now, now, lv, lv) for n, lv in effect.levels.items()}
                )
            elif isinstance(effect, FreezeLights):
                self.fades = {
                    n: LightFade(now, now, f.at(now), f.at(now)) for n, f in self.fades.items()
                }
        self.effects.extend(decision.effects)
        return decision

    def send(self, now: float, **body: object) -> Decision:
        """Decide a command sent at `now` (a start gets the test profile)."""
        self.seq += 1
        parsed = command(**body)
        profile = PROFILE if body.get("action") == "start" else None
        item = CommandIn(parsed, self.seq, profile, session_id=f"s{self.seq}")  # type: ignore[arg-type]
        return self.feed(item, now)


def events(decision: Decision) -> list[Event]:
    """Return the events a decision emits."""
    return [e.event for e in decision.effects if isinstance(e, Emit)]


def kinds(decision: Decision) -> list[str]:
    """Return the types of the events a decision emits, in order."""
    return [e.type for e in events(decision)]


SETUP_AT = T0 + 60.0  # the status is reached a minute into the session
SENT_AT = T0 + 120.0  # the command comes a minute later
STANDBY = {"ceiling": LightLevel(True, 0.4, 1_000_000 / 3500)}
EMERGENCY = {"ceiling": LightLevel(True, 1.0, 250.0)}


def rig_in(status: str) -> Rig:
    """Return a rig whose room has reached `status`."""
    rig = Rig()
    if status != "idle":
        rig.send(T0, action="start", profile="cues")
    if status in ("paused", "ended", "emergency"):
        action = {"paused": "pause", "ended": "stop", "emergency": "emergency"}[status]
        rig.send(SETUP_AT, action=action)
    assert rig.core.status == status
    return rig


def lights_did(decision: Decision, now: float) -> str:
    """Say what a decision did to the lights: freeze, emergency, a fade or a hold, or ''."""
    said: list[str] = []
    for effect in decision.effects:
        if isinstance(effect, FreezeLights):
            said.append("freeze")
        elif isinstance(effect, JumpLights):
            said.append("emergency" if dict(effect.levels) == EMERGENCY else "jump")
        elif isinstance(effect, PlayLights):
            fade = effect.fades["ceiling"]
            target = fade.target
            name = "standby" if target == STANDBY["ceiling"] else f"{target.brightness:.0%}"
            moving = fade.end > now and fade.source != fade.target
            said.append(f"fade to {name} over {fade.end - now:g} s" if moving else f"hold {name}")
    return ", ".join(said)


@dataclass(frozen=True)
class Outcome:
    """What a command in a status should do."""

    accepted: bool
    after: str = ""  # the status after it; "" for unchanged
    gist: str = ""  # a refusal's reason contains it
    emitted: tuple[str, ...] = ("command_rejected",)
    lights: str = ""  # what it did to the lights (see lights_did)


def ok(after: str, emitted: tuple[str, ...], lights: str = "") -> Outcome:
    """Return a command carried out."""
    return Outcome(True, after, "", emitted, lights)


def no(gist: str) -> Outcome:
    """Return a command refused, saying `gist`; nothing else changes."""
    return Outcome(False, gist=gist)


BODIES: dict[str, dict[str, object]] = {
    **{action: {"action": action} for action in ACTIONS},
    "start": {"action": "start", "profile": "cues"},
    "extend": {"action": "extend", "by": "5m"},
    "malformed": {"action": "dance"},
    "ack-named": {"action": "ack", "cue": "0.0"},  # "Check identity", fired at the start
    "ack-unfired": {"action": "ack", "cue": "0.1"},  # "Blood pressure", due at 5 min
}
NONE = "has no session running: start one first"
OVER = "has no session running (its last session ended): start one first"
STARTED = ("session_started", "cue", "phase_started")
ENDED = ("stopped", "session_ended")
TO_STANDBY = "fade to standby over 10 s"  # the contract's stop: to standby over 10 s
NOT_IN = "is not in emergency"
BAD = 'unknown action "dance"'
NO_CUE = "no cue is pending"
UNFIRED = "cue 0.1 is not pending"
ACKED = ("cue_acknowledged",)
TABLE: dict[tuple[str, str], Outcome] = {
    ("idle", "start"): ok("running", STARTED, "fade to 20% over 60 s"),
    ("idle", "pause"): no("cannot pause: room room-t " + NONE),
    ("idle", "resume"): no("cannot resume: room room-t " + NONE),
    ("idle", "stop"): no("cannot stop: room room-t " + NONE),
    ("idle", "next"): no("cannot next: room room-t " + NONE),
    ("idle", "emergency"): ok("emergency", ("emergency",), "emergency"),
    ("idle", "release"): no(NOT_IN),
    ("idle", "extend"): no("cannot extend: room room-t " + NONE),
    ("idle", "malformed"): no(BAD),
    ("idle", "ack"): no(NO_CUE),
    ("idle", "ack-named"): no(NO_CUE),
    ("idle", "ack-unfired"): no(NO_CUE),
    ("running", "start"): no("room room-t has a session running: stop it first"),
    ("running", "pause"): ok("paused", ("paused",), "freeze"),
    ("running", "resume"): no("cannot resume: room room-t has a session running"),
    ("running", "stop"): ok("ended", ENDED, TO_STANDBY),
    ("running", "next"): ok("running", ("skipped", "phase_started"), "hold 50%"),
    ("running", "emergency"): ok("emergency", ("emergency",), "emergency"),
    ("running", "release"): no(NOT_IN),
    ("running", "extend"): ok("running", ("extended",), "hold 20%"),
    ("running", "malformed"): no(BAD),
    ("running", "ack"): ok("running", ACKED),
    ("running", "ack-named"): ok("running", ACKED),
    ("running", "ack-unfired"): no(UNFIRED),
    ("paused", "start"): no("room room-t has a paused session: stop it first"),
    ("paused", "pause"): no("cannot pause: room room-t has a paused session"),
    ("paused", "resume"): ok("running", ("resumed",), "hold 20%"),
    ("paused", "stop"): ok("ended", ENDED, TO_STANDBY),
    ("paused", "next"): ok("paused", ("skipped",)),
    ("paused", "emergency"): ok("emergency", ("emergency",), "emergency"),
    ("paused", "release"): no(NOT_IN),
    ("paused", "extend"): ok("paused", ("extended",)),
    ("paused", "malformed"): no(BAD),
    ("paused", "ack"): ok("paused", ACKED),
    ("paused", "ack-named"): ok("paused", ACKED),
    ("paused", "ack-unfired"): no(UNFIRED),
    ("emergency", "start"): no("room room-t is in emergency: stop it first"),
    ("emergency", "pause"): no("cannot pause: room room-t is in emergency"),
    ("emergency", "resume"): no("cannot resume: room room-t is in emergency"),
    ("emergency", "stop"): no("cannot stop during an emergency: release it first"),
    ("emergency", "next"): ok("emergency", ("skipped",)),
    ("emergency", "emergency"): ok("emergency", (), "emergency"),  # the scene again
    ("emergency", "release"): ok("paused", ("released",), "fade to 20% over 3 s"),
    ("emergency", "extend"): ok("emergency", ("extended",)),
    ("emergency", "malformed"): no(BAD),
    ("emergency", "ack"): ok("emergency", ACKED),
    ("emergency", "ack-named"): ok("emergency", ACKED),
    ("emergency", "ack-unfired"): no(UNFIRED),
    ("ended", "start"): ok("running", STARTED, "fade to 20% over 60 s"),
    ("ended", "pause"): no("cannot pause: room room-t " + OVER),
    ("ended", "resume"): no("cannot resume: room room-t " + OVER),
    ("ended", "stop"): no("cannot stop: room room-t " + OVER),
    ("ended", "next"): no("cannot next: room room-t " + OVER),
    ("ended", "emergency"): ok("emergency", ("emergency",), "emergency"),
    ("ended", "release"): no(NOT_IN),
    ("ended", "extend"): no("cannot extend: room room-t " + OVER),
    ("ended", "malformed"): no(BAD),
    ("ended", "ack"): ok("ended", ACKED),
    ("ended", "ack-named"): ok("ended", ACKED),
    ("ended", "ack-unfired"): no(UNFIRED),
}
STATUSES = ("idle", "running", "paused", "emergency", "ended")


def test_the_table_covers_every_command_in_every_status() -> None:
    assert set(TABLE) == {(s, a) for s in STATUSES for a in BODIES}


@pytest.mark.parametrize(("status", "action"), TABLE, ids=[f"{s}-{a}" for s, a in TABLE])
def test_a_command_in_a_status(status: str, action: str) -> None:
    want = TABLE[status, action]
    rig = rig_in(status)
    decision = rig.send(SENT_AT, request_id="r", **BODIES[action])
    assert rig.core.status == (want.after or status)
    answers = [e for e in decision.effects if isinstance(e, Accept | Refuse)]
    if want.accepted:
        assert answers == [Accept("r", rig.core.status)]
    else:
        [refusal] = answers
        assert isinstance(refusal, Refuse)
        assert want.gist in refusal.reason
        assert refusal.request_id == "r"
        assert refusal.qos == 0  # a refusal never waits behind the room's QoS 1 queue
        [rejected] = events(decision)
        assert isinstance(rejected, CommandRejected) and rejected.reason == refusal.reason
    assert tuple(kinds(decision)) == want.emitted
    assert lights_did(decision, SENT_AT) == want.lights
    # A state publication goes with every command carried out, and none with a refusal.
    assert (PublishState() in decision.effects) is want.accepted


def test_an_emergency_jumps_first_and_silences_before_its_event() -> None:
    rig = rig_in("running")
    decision = rig.send(SENT_AT, action="emergency")
    order = [type(e).__name__ for e in decision.effects]
    assert order[:3] == ["JumpLights", "SilenceSound", "Emit"]
    assert rig.core.session is not None and rig.core.session.clock.paused


def test_an_emergency_pressed_again_sends_the_scene_at_most_once_a_second() -> None:
    rig = rig_in("emergency")
    again = rig.send(SETUP_AT + 0.5, action="emergency")
    assert lights_did(again, SETUP_AT + 0.5) == ""
    assert lights_did(rig.send(SETUP_AT + 1.0, action="emergency"), SETUP_AT + 1.0) == "emergency"


def test_a_command_sent_before_an_emergency_and_handled_after_it_is_refused() -> None:
    rig = rig_in("running")
    rig.feed(CommandIn(command(action="emergency"), seq=10), SENT_AT)  # type: ignore[arg-type]
    decision = rig.feed(CommandIn(command(action="release"), seq=9), SENT_AT)  # type: ignore[arg-type]
    [refusal] = [e for e in decision.effects if isinstance(e, Refuse)]
    assert refusal.reason == OVERTAKEN
    assert rig.core.status == "emergency"


def test_a_start_whose_profile_did_not_load_is_refused_with_the_reason() -> None:
    rig = Rig()
    start = command(action="start", profile="nope")
    refusal = "profile 'nope' not found"
    decision = rig.feed(CommandIn(start, 1, profile_refusal=refusal), T0)  # type: ignore[arg-type]
    assert [e for e in decision.effects if isinstance(e, Refuse)] == [Refuse(None, refusal, 0)]
    assert rig.core.status == "idle"


def test_a_room_that_requires_an_operator_refuses_a_command_without_one() -> None:
    room = ROOM.model_copy(update={"require_operator": True})
    rig = Rig(RoomCore(room))
    decision = rig.send(T0, action="start", profile="cues")
    [refusal] = [e for e in decision.effects if isinstance(e, Refuse)]
    assert refusal.reason == "room room-t requires an operator"
    assert rig.send(T0, action="emergency").effects[-1] == Accept(None, "emergency")
