"""Write the bench's room presets and session profiles, as a clinic would, into a work folder.

Files are JSON, which is YAML too. Rooms go to `<root>/rooms/`, profiles to
`<root>/sessions/`, so `roomctl run --room <root>/rooms/R.yaml` finds the profiles the
way it does in a clinic's `profiles/` folder.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path

from roomctl.core.easing import Easing

# The session floor every bench room keeps, as a clinic's room-1 does.
MIN_BRIGHTNESS = "5%"
# Phase length of the cue profile: every light fades through the whole phase (shorter
# than a clinic's fades, so traffic is heavier than in use), and five cues fall inside
# it, so a room has an event every CUE_PHASE_S / 6 seconds.
CUE_PHASE_S = 12.0
CUES_PER_PHASE = 5
# Phase length of the emergency profile: 60 s fades between 10 % and 90 % ask a stepped
# light for 80 steps a minute, more than a Tasmota's 1/s, so each always has one waiting;
# six Zigbee lights re-planned on every resume fill their shared network's queue.
STEPPED_PHASE_S = 60.0
# The live fade-economy check plays a 20-minute fade (the contract's unit of a long fade).
ECONOMY_FADE_S = 1200.0
# Before that fade the light is held low this long (session time) so the fade starts from
# a known level.
ECONOMY_LEAD_S = 60.0
LIVE_ECONOMY_SOURCE = 0.05
LIVE_ECONOMY_TARGET = 1.0


@dataclass(frozen=True)
class Light:
    """One light of a bench room: its name and type."""

    name: str
    type: str


# Six lights of every protocol, two on the shared Zigbee network: the cue and pause rooms.
SIX_LIGHTS = (
    Light("ceiling", "zigbee2mqtt"),
    Light("spot", "zigbee2mqtt"),
    Light("lamp", "tasmota"),
    Light("strip", "wled"),
    Light("panel", "shelly"),
    Light("cove", "mqtt_json"),
)
# Twelve lights for the emergency: six on one Zigbee network, six stepped Tasmotas.
TWELVE_LIGHTS = tuple(Light(f"zb{i}", "zigbee2mqtt") for i in range(1, 7)) + tuple(
    Light(f"tas{i}", "tasmota") for i in range(1, 7)
)


def _device(room_id: str, light: Light) -> dict[str, object]:
    """Return a light's spec with topics unique to its room."""
    base = f"{room_id}-{light.name}"
    match light.type:
        case "zigbee2mqtt":
            return {"type": "zigbee2mqtt", "topic": f"zigbee2mqtt/{base}"}
        case "tasmota":
            return {"type": "tasmota", "topic": base}
        case "wled":
            return {"type": "wled", "topic": f"wled/{base}"}
        case "shelly":
            return {"type": "shelly", "topic": f"shelly-{base}", "mode": "rgb"}
        case _:
            return {
                "type": "mqtt_json",
                "command_topic": f"{base}/set",
                "state_topic": base,
            }


class BenchFiles:
    """The bench's room and profile files under one root folder."""

    def __init__(self, root: Path) -> None:
        self.root = root
        self.rooms = root / "rooms"
        self.sessions = root / "sessions"
        self.rooms.mkdir(parents=True, exist_ok=True)
        self.sessions.mkdir(parents=True, exist_ok=True)

    def room(self, room_id: str, lights: tuple[Light, ...], audio: bool = False) -> Path:
        """Write a room preset with these lights (and a speaker); return its path."""
        devices: dict[str, object] = {light.name: _device(room_id, light) for light in lights}
        if audio:
            devices["speaker"] = {"type": "audio", "output": "default"}
        preset = {
            "id": room_id,
            "name": f"Bench room {room_id}",
            "devices": devices,
            "limits": {"min_brightness": MIN_BRIGHTNESS, "max_volume": "-12 dB"},
        }
        path = self.rooms / f"{room_id}.yaml"
        path.write_text(json.dumps(preset, indent=1) + "\n")
        return path

    def profile(self, name: str, phases: list[dict[str, object]]) -> str:
        """Write a session profile; return its name."""
        body = {"title": f"Bench {name}", "phases": phases, "end": "hold"}
        (self.sessions / f"{name}.yaml").write_text(json.dumps(body, indent=1) + "\n")
        return name

    def long_fade(self) -> str:
        """Write a session that fades every light for an hour (the pause bench)."""
        return self.profile(
            "longfade",
            [
                _phase("dim", 2.0, 0.0, "10%", "2700K"),
                _phase("rise", 3600.0, 3600.0, "100%", "4000K"),
            ],
        )

    def cues(self, phases: int) -> str:
        """Write a session of short phases, every light always fading, cues inside each."""
        body = []
        for index in range(phases):
            level, kelvin = ("80%", "4000K") if index % 2 == 0 else ("20%", "2700K")
            phase = _phase(f"p{index}", CUE_PHASE_S, CUE_PHASE_S, level, kelvin)
            step = CUE_PHASE_S / (CUES_PER_PHASE + 1)
            phase["cues"] = [
                {"at": step * (k + 1), "notify": f"cue {k + 1}"} for k in range(CUES_PER_PHASE)
            ]
            body.append(phase)
        return self.profile(f"cues{phases}", body)

    def stepped(self, phases: int) -> str:
        """Write a session of one-minute fades between 10 % and 90 % (the emergency bench)."""
        body = [
            _phase(
                f"s{index}",
                STEPPED_PHASE_S,
                STEPPED_PHASE_S,
                "90%" if index % 2 == 0 else "10%",
                "4000K" if index % 2 == 0 else "2700K",
            )
            for index in range(phases)
        ]
        return self.profile("stepped", body)

    def hold(self) -> str:
        """Write a session that settles in a second and then holds for an hour (idle cost)."""
        return self.profile("hold", [_phase("rest", 3600.0, 1.0, "30%", "2700K")])

    def sound(self) -> str:
        """Write a session with brown noise under dim light for an hour (memory with audio)."""
        phase = _phase("rest", 3600.0, 2.0, "30%", "2700K")
        phase["sound"] = {"source": "noise:brown", "volume": "-30 dB"}
        return self.profile("sound", [phase])

    def economy(self, easing: Easing) -> str:
        """Write a 20-minute fade from 5 % to 100 % after a lead-in held at 5 %."""
        source = f"{LIVE_ECONOMY_SOURCE:.0%}"
        target = f"{LIVE_ECONOMY_TARGET:.0%}"
        rise = _phase("rise", ECONOMY_FADE_S + ECONOMY_LEAD_S, ECONOMY_FADE_S, target, "3000K")
        rise["easing"] = easing
        return self.profile(
            f"economy-{easing}", [_phase("low", ECONOMY_LEAD_S, 0.0, source, "3000K"), rise]
        )


def _phase(
    name: str, duration: float, fade: float, brightness: str, kelvin: str
) -> dict[str, object]:
    return {
        "name": name,
        "duration": duration,
        "fade": fade,
        "lights": {"all": {"brightness": brightness, "color_temp": kelvin}},
    }
