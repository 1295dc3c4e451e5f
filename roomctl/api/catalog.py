"""What the retained roomctl/R/catalog topic says: the profiles a room can play, as pictures."""

from __future__ import annotations

from typing import Annotated, Any, Literal

from pydantic import ConfigDict, Field

from roomctl.api.wire import WireModel, compact_json

PointFields = tuple[Literal["t_s"], Literal["brightness"], Literal["mireds"], Literal["volume"]]
POINT_FIELDS: PointFields = ("t_s", "brightness", "mireds", "volume")
# One point of a phase: session seconds, mean light 0..1, mean mireds or null, gain 0..1.
Point = tuple[
    Annotated[float, Field(ge=0.0)],
    Annotated[float, Field(ge=0.0, le=1.0)],
    Annotated[int, Field(gt=0)] | None,
    Annotated[float, Field(ge=0.0, le=1.0)],
]
CUE_ID_PATTERN = r"^[0-9]+\.[0-9]+$"


class CatalogCue(WireModel):
    """A cue of a profile: its id (phase index.cue index), session time and text."""

    id: str = Field(pattern=CUE_ID_PATTERN, description='"<phase index>.<cue index>", 0-based')
    at_s: float = Field(ge=0.0, description="session seconds from the profile's start")
    notify: str


class CatalogPhase(WireModel):
    """A phase of a profile: its span and fade in session seconds, its cues and level points."""

    name: str
    start_s: float = Field(ge=0.0)
    end_s: float = Field(ge=0.0)
    fade_s: float = Field(ge=0.0)
    cues: list[CatalogCue]
    points: list[Point] = Field(
        description="[t_s, brightness, mireds, volume] where the levels change, in time order"
    )


class CatalogProfile(WireModel):
    """A profile that fits the room (roomctl check finds no error), with its plan."""

    name: str = Field(description="what a start command names")
    title: str
    description: str
    duration_s: float = Field(gt=0.0)
    phases: list[CatalogPhase]


class CatalogProblem(WireModel):
    """A profile that does not fit the room, with its first error (no file paths)."""

    profile: str
    error: str


_EXAMPLE: dict[str, Any] = {
    "room": "room-1",
    "updated_at": "2026-11-26T14:03:11.201Z",
    "point_fields": list(POINT_FIELDS),
    "profiles": [
        {
            "name": "demo",
            "title": "Demo, 7 minutes",
            "description": "A short profile to show what a session looks like.",
            "duration_s": 450.0,
            "phases": [
                {
                    "name": "arrival",
                    "start_s": 0.0,
                    "end_s": 60.0,
                    "fade_s": 10.0,
                    "cues": [{"id": "0.0", "at_s": 30.0, "notify": "Baseline blood pressure"}],
                    "points": [
                        [0.0, 0.38, 286, 0.0],
                        [5.0, 0.47, 310, 0.022],
                        [10.0, 0.56, 333, 0.032],
                        [60.0, 0.56, 333, 0.032],
                    ],
                }
            ],
        }
    ],
    "problems": [
        {
            "profile": "reading",
            "error": "phases[1].lights.reading_lmap: room 'room-1' has no light or group "
            "'reading_lmap': did you mean 'reading_lamp'?",
        }
    ],
}


class Catalog(WireModel):
    """The profiles that fit a room, each with its plan sampled, and why the others do not.

    Retained; published when the daemon starts serving the room and whenever the
    profiles folder changes. Times are session seconds at speed 1.
    """

    model_config = ConfigDict(json_schema_extra={"examples": [_EXAMPLE]})

    room: str
    updated_at: str = Field(
        json_schema_extra={"format": "date-time"},
        description="when it was built: UTC with milliseconds, like 2026-11-26T14:03:11.201Z",
    )
    point_fields: PointFields = POINT_FIELDS
    profiles: list[CatalogProfile]
    problems: list[CatalogProblem]

    def payload(self) -> str:
        """Return the catalog as the JSON published on the topic."""
        return compact_json(self.model_dump(mode="json"))
