"""The topics of roomctl's MQTT API for one room."""

from __future__ import annotations

from dataclasses import dataclass

PREFIX = "roomctl"


@dataclass(frozen=True, slots=True)
class RoomTopics:
    """Every topic of one room's API; `base` is where they are (a site's at a central broker)."""

    room_id: str
    base: str = PREFIX

    @property
    def cmd(self) -> str:
        """Return the topic commands arrive on."""
        return f"{self.base}/{self.room_id}/cmd"

    @property
    def emergency(self) -> str:
        """Return the topic for emergencies alone, served ahead of everything on `cmd`."""
        return f"{self.base}/{self.room_id}/emergency"

    @property
    def reply(self) -> str:
        """Return the topic replies go to."""
        return f"{self.base}/{self.room_id}/reply"

    @property
    def state(self) -> str:
        """Return the retained state topic."""
        return f"{self.base}/{self.room_id}/state"

    @property
    def availability(self) -> str:
        """Return the retained availability topic (online/offline, also the last will)."""
        return f"{self.base}/{self.room_id}/availability"

    @property
    def events(self) -> str:
        """Return the event stream topic."""
        return f"{self.base}/{self.room_id}/events"

    @property
    def catalog(self) -> str:
        """Return the retained catalog topic: the profiles that fit the room, with plans."""
        return f"{self.base}/{self.room_id}/catalog"

    @property
    def ha_profile(self) -> str:
        """Return the retained topic of the profile chosen in Home Assistant (starts nothing)."""
        return f"{PREFIX}/{self.room_id}/ha/profile"

    @property
    def ha_start(self) -> str:
        """Return the topic whose press starts the profile chosen in Home Assistant."""
        return f"{PREFIX}/{self.room_id}/ha/start"


ALL_STATES = f"{PREFIX}/+/state"

# Where MQTT v5 response topics may point: a client names e.g. roomctl/replies/<client id>/x
# and the broker's ACL gives each client read on roomctl/replies/%c/#. Anything else could
# make the daemon publish to a topic it may write for devices (cmnd/..., zigbee2mqtt/...).
REPLIES_PREFIX = f"{PREFIX}/replies/"
# Longest response topic taken: a client id and a few levels fit in a fraction of this, and
# the daemon never echoes more than this into a topic name or a log line.
MAX_RESPONSE_TOPIC_LENGTH = 256
# A room's own API levels: a room with id "replies" would have these under the namespace.
_ROOM_LEVELS = frozenset({"cmd", "reply", "state", "availability", "events", "catalog"})


def response_topic_refusal(topic: str) -> str | None:
    """Return why a command's MQTT v5 response topic is refused, or None when it is allowed."""
    if len(topic) > MAX_RESPONSE_TOPIC_LENGTH:
        return f"it is longer than {MAX_RESPONSE_TOPIC_LENGTH} characters"
    if not topic.startswith(REPLIES_PREFIX):
        return f"replies go only under {REPLIES_PREFIX}<client id>/"
    rest = topic[len(REPLIES_PREFIX) :]
    problems = (
        (not rest or rest.startswith("/"), f"name your client, like {REPLIES_PREFIX}console-1"),
        (any(c in topic for c in "+#\x00"), "a topic to publish to has no '+', '#' or NUL"),
        (not _is_utf8(topic), "it is not valid UTF-8"),
        (rest in _ROOM_LEVELS, f"{topic} would be a room's own topic"),
    )
    return next((why for bad, why in problems if bad), None)


def _is_utf8(text: str) -> bool:
    """Return whether text encodes to UTF-8 (it holds no lone surrogate)."""
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        return False
    return True
