"""Where MQTT v5 response topics may point: only under roomctl/replies/."""

from __future__ import annotations

import pytest

from roomctl.api import MAX_RESPONSE_TOPIC_LENGTH, REPLIES_PREFIX, response_topic_refusal


@pytest.mark.parametrize(
    "topic", ["roomctl/replies/console-1", "roomctl/replies/kim/42", "roomctl/replies/é/x"]
)
def test_a_topic_under_the_reply_namespace_is_allowed(topic: str) -> None:
    assert response_topic_refusal(topic) is None


@pytest.mark.parametrize(
    ("topic", "why"),
    [
        ("cmnd/room2-lamp/Backlog", "only under roomctl/replies/"),
        ("zigbee2mqtt/ceiling/set", "only under roomctl/replies/"),
        ("roomctl/room-2/cmd", "only under roomctl/replies/"),
        ("roomctl/replies", "only under roomctl/replies/"),
        ("Roomctl/replies/x", "only under roomctl/replies/"),
        ("roomctl/replies/", "name your client"),
        ("roomctl/replies//x", "name your client"),
        ("roomctl/replies/kim/#", "no '+', '#' or NUL"),
        ("roomctl/replies/+/x", "no '+', '#' or NUL"),
        ("roomctl/replies/kim\x00cmnd", "no '+', '#' or NUL"),
        ("roomctl/replies/\ud800", "not valid UTF-8"),
        ("roomctl/replies/cmd", "a room's own topic"),
        ("roomctl/replies/state", "a room's own topic"),
        (REPLIES_PREFIX + "x" * MAX_RESPONSE_TOPIC_LENGTH, "longer than"),
    ],
)
def test_any_other_topic_is_refused_with_the_reason(topic: str, why: str) -> None:
    refusal = response_topic_refusal(topic)
    assert refusal is not None and why in refusal
