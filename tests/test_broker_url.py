"""Tests for parsing broker URLs."""

from __future__ import annotations

import re

import pytest

from roomctl.mqtt.broker_url import BrokerUrl, is_embedded, parse_broker_url


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("mqtt://127.0.0.1", BrokerUrl("mqtt", "127.0.0.1", 1883)),
        ("mqtts://broker.clinic.lan", BrokerUrl("mqtts", "broker.clinic.lan", 8883)),
        ("mqtt://10.0.0.5:1884", BrokerUrl("mqtt", "10.0.0.5", 1884)),
        ("  MQTT://Host:1883/  ", BrokerUrl("mqtt", "host", 1883)),
        ("mqtt://[::1]:1999", BrokerUrl("mqtt", "::1", 1999)),
        ("mqtt://roomctl@h", BrokerUrl("mqtt", "h", 1883, "roomctl", None)),
        ("mqtt://roomctl:s3cret@h:2000", BrokerUrl("mqtt", "h", 2000, "roomctl", "s3cret")),
        ("mqtt://r%40c:p%3Aw%2Fd%40@h", BrokerUrl("mqtt", "h", 1883, "r@c", "p:w/d@")),
        (
            "mqtts://u:p@h:8884?ca=/etc/roomctl/ca.pem",
            BrokerUrl("mqtts", "h", 8884, "u", "p", "/etc/roomctl/ca.pem"),
        ),
        ("mqtt://h?protocol=3.1.1", BrokerUrl("mqtt", "h", 1883, protocol="3.1.1")),
        (
            "mqtts://h?protocol=5&ca=/ca.pem",
            BrokerUrl("mqtts", "h", 8883, ca_file="/ca.pem", protocol="5"),
        ),
    ],
)
def test_parse_valid_urls(text: str, expected: BrokerUrl) -> None:
    assert parse_broker_url(text) == expected


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("127.0.0.1:1883", "must start with mqtt:// or mqtts://"),
        ("http://h", "scheme must be mqtt or mqtts, not 'http'"),
        ("mqtt://", "has no host"),
        ("mqtt://h:abc", "invalid port (must be 1-65535)"),
        ("mqtt://h:0", "invalid port"),
        ("mqtt://h:65536", "invalid port"),
        ("mqtt://h/room", "must not have a path"),
        ("mqtt://h#x", "must not have a #fragment"),
        ("mqtt://:pw@h", "password but no user name"),
        ("mqtt://h?ca=/ca.pem", "ca= needs mqtts://"),
        ("mqtts://h?ca=", "ca= takes exactly one value"),
        ("mqtts://h?ca=/a&ca=/b", "ca= takes exactly one value"),
        ("mqtts://h?cert=/c", "unknown option(s) cert; known: ca=, protocol="),
        ("mqtt://h?protocol=4", "protocol= must be 5 or 3.1.1, not '4'"),
        ("mqtts://h?ca", "not key=value"),
        ("embedded", "must start with mqtt://"),
    ],
)
def test_parse_refuses_bad_urls_with_a_reason(text: str, message: str) -> None:
    with pytest.raises(ValueError, match=re.escape(message)):
        parse_broker_url(text)


def test_password_is_never_shown() -> None:
    url = parse_broker_url("mqtts://kim:hunter2@h:8883?ca=/ca.pem")
    assert "hunter2" not in repr(url)
    assert str(url) == "mqtts://kim:***@h:8883?ca=/ca.pem"
    with pytest.raises(ValueError) as caught:
        parse_broker_url("mqtt://kim:hunter2@h:port")
    assert "hunter2" not in str(caught.value)
    assert "kim:***@h:port" in str(caught.value)
    with pytest.raises(ValueError) as no_scheme:
        parse_broker_url("kim:hunter2@h")
    assert "hunter2" not in str(no_scheme.value)


def test_str_round_trips() -> None:
    for text in (
        "mqtt://h:1883",
        "mqtt://[::1]:1999",
        "mqtt://u%40clinic@h:1883",
        "mqtts://h:8883?ca=/ca.pem&protocol=3.1.1",
    ):
        assert str(parse_broker_url(text)) == text
        assert parse_broker_url(str(parse_broker_url(text))) == parse_broker_url(text)


def test_tls_follows_scheme() -> None:
    assert parse_broker_url("mqtts://h").tls
    assert not parse_broker_url("mqtt://h").tls


@pytest.mark.parametrize(
    ("text", "embedded"),
    [("embedded", True), (" Embedded ", True), ("mqtt://embedded", False), ("embed", False)],
)
def test_is_embedded(text: str, embedded: bool) -> None:
    assert is_embedded(text) is embedded
