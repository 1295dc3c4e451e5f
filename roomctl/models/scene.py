"""Light and sound settings: what a phase or a room scene asks of its devices."""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import Discriminator, Field, Tag, field_validator, model_validator

from roomctl.models.base import FrozenModel, Hint
from roomctl.models.units import Decibels, Fraction, HexColor, Kelvin

# The word a clinic writes to switch a light or the sound off. YAML 1.1 readers turn a
# bare `off` into false, so false is accepted as the same word.
OFF_WORD = "off"


def _off_word(value: object) -> object:
    return OFF_WORD if value is False else value


def _setting_or_word(value: object) -> str:
    """Tell a setting (a mapping) from the word off, so errors speak of one or the other."""
    return "word" if isinstance(value, str | bool) else "setting"


class LightSetting(FrozenModel):
    """A light's target: brightness, and a colour temperature or a colour."""

    brightness: Fraction | None = None
    color_temp: Kelvin | None = None
    color: HexColor | None = None

    @model_validator(mode="after")
    def _one_mode(self) -> LightSetting:
        if self.color is not None and self.color_temp is not None:
            raise ValueError("give color_temp or color, not both: a light shows one at a time")
        if self.brightness is None and self.color is None and self.color_temp is None:
            raise ValueError("give at least one of brightness, color_temp, color (or write off)")
        return self


LIGHT_HINT = Hint(
    expected="off or a setting like {brightness: 60%, color_temp: 3000K}",
    mismatch="'{value}' is not a setting: write {expected}",
)
LightValue = Annotated[
    Annotated[LightSetting, Tag("setting")] | Annotated[Literal["off"], Tag("word")],
    Discriminator(_setting_or_word),
    LIGHT_HINT,
]


class SoundSetting(FrozenModel):
    """A sound source and the gain it plays at."""

    source: str = Field(min_length=1)
    volume: Decibels = -20.0
    loop: bool = True


SOUND_HINT = Hint(
    expected="off or a setting like {source: noise:brown, volume: -30 dB}",
    mismatch="'{value}' is not a setting: write {expected}",
)
SoundValue = Annotated[
    Annotated[SoundSetting, Tag("setting")] | Annotated[Literal["off"], Tag("word")],
    Discriminator(_setting_or_word),
    SOUND_HINT,
]


class Scene(FrozenModel):
    """A named room look outside a session: standby, emergency or a clinic's own."""

    lights: dict[str, LightValue] = Field(default_factory=dict)
    sound: SoundValue | None = None

    @field_validator("lights", mode="before")
    @classmethod
    def _lights_off_word(cls, value: object) -> object:
        if isinstance(value, dict):
            return {key: _off_word(item) for key, item in value.items()}
        return value

    @field_validator("sound", mode="before")
    @classmethod
    def _sound_off_word(cls, value: object) -> object:
        return _off_word(value)
