"""Sites and late commands as pure code: names, the bridge configuration, the age rule."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from click.testing import CliRunner

from roomctl.api.commands import CommandError, PauseCommand, parse_command
from roomctl.api.messages import Inbound
from roomctl.api.send_time import (
    CLOCK_SKEW_S,
    COMMAND_EXPIRY_S,
    MAX_COMMAND_AGE_S,
    REPLY_TIMEOUT_S,
    age_refusal,
    wire_time,
)
from roomctl.api.sites import site_base, site_name_refusal
from roomctl.cli.exits import EXIT_USAGE
from roomctl.cli.group import cli
from roomctl.cli.rooms import room_of
from roomctl.mqtt.bridge_config import BridgeSettings, bridge_config
from roomctl.mqtt.broker_url import parse_broker_url
from roomctl.runtime.inputs import CommandArrived
from roomctl.runtime.intake import CommandIntake

NOW = datetime(2026, 12, 1, 14, 0, 0, tzinfo=UTC)


def _taken(body: dict[str, object], now: datetime = NOW) -> CommandArrived:
    arrived = CommandIntake(clock=lambda: now).take(
        Inbound("roomctl/r/cmd", json.dumps(body).encode())
    )
    assert isinstance(arrived, CommandArrived)
    return arrived


def test_the_expiry_and_the_age_limit_sit_above_the_senders_wait() -> None:
    assert REPLY_TIMEOUT_S < COMMAND_EXPIRY_S < MAX_COMMAND_AGE_S
    assert MAX_COMMAND_AGE_S == REPLY_TIMEOUT_S + CLOCK_SKEW_S
    assert isinstance(COMMAND_EXPIRY_S, int)  # MQTT's message expiry is whole seconds


def test_sent_at_is_parsed_kept_and_sent_again_as_utc() -> None:
    command = parse_command(b'{"action":"pause","sent_at":"2026-12-01T15:00:00.250+01:00"}')
    assert isinstance(command, PauseCommand)
    assert command.sent_at == NOW + timedelta(milliseconds=250)
    assert json.loads(command.to_payload())["sent_at"] == "2026-12-01T14:00:00.250Z"
    assert parse_command(b'{"action":"pause"}').sent_at is None


@pytest.mark.parametrize(
    "value", ['"2026-12-01T14:00:00"', '"soon"', "1764597600", '"' + "9" * 50 + '"']
)
def test_a_sent_at_without_zone_or_not_a_time_is_refused(value: str) -> None:
    with pytest.raises(CommandError, match="'sent_at' must be a UTC time"):
        parse_command(f'{{"action":"stop","sent_at":{value},"request_id":"q"}}'.encode())


def test_a_query_takes_sent_at() -> None:
    assert (
        parse_command(b'{"action":"history","sent_at":"2026-12-01T14:00:00Z"}').action == "history"
    )


def test_a_command_older_than_the_limit_is_refused_with_its_age_and_id() -> None:
    sent = NOW - timedelta(seconds=MAX_COMMAND_AGE_S + 1)
    arrived = _taken({"action": "pause", "sent_at": wire_time(sent), "request_id": "p1"})
    assert isinstance(arrived.parsed, CommandError)
    assert arrived.parsed.request_id == "p1"
    assert "pause was sent 16.0 s ago" in arrived.parsed.reason
    assert "not applied" in arrived.parsed.reason and "NTP" in arrived.parsed.reason


def test_a_command_within_the_limit_is_taken() -> None:
    sent = NOW - timedelta(seconds=MAX_COMMAND_AGE_S - 0.5)
    arrived = _taken({"action": "stop", "sent_at": wire_time(sent)})
    assert not isinstance(arrived.parsed, CommandError)
    assert arrived.parsed.action == "stop"


def test_a_command_from_beyond_the_skew_allowance_ahead_is_refused() -> None:
    ahead = _taken({"action": "resume", "sent_at": wire_time(NOW + timedelta(seconds=11))})
    assert isinstance(ahead.parsed, CommandError)
    assert "ahead of this room's clock" in ahead.parsed.reason
    near = _taken({"action": "resume", "sent_at": wire_time(NOW + timedelta(seconds=9))})
    assert not isinstance(near.parsed, CommandError)


def test_an_emergency_is_never_refused_for_its_age() -> None:
    for moment in (NOW - timedelta(minutes=10), NOW + timedelta(minutes=10)):
        arrived = _taken({"action": "emergency", "sent_at": wire_time(moment)})
        assert not isinstance(arrived.parsed, CommandError)
        assert arrived.urgent
    assert age_refusal("release", NOW - timedelta(minutes=10), NOW) is not None


def test_a_command_without_sent_at_is_taken_whatever_the_clock() -> None:
    arrived = _taken({"action": "pause"}, now=datetime(2099, 1, 1, tzinfo=UTC))
    assert not isinstance(arrived.parsed, CommandError)


@pytest.mark.parametrize("name", ["", "a/b", "+", "#", "a b", "a,b", "$SYS", "x" * 65, "a\nb"])
def test_a_site_name_is_one_topic_level(name: str) -> None:
    assert site_name_refusal(name) is not None


def test_a_site_name_that_is_a_level_is_taken() -> None:
    assert site_name_refusal("north-2") is None
    assert site_base("north-2") == "clinic/north-2/roomctl"


def test_a_room_is_found_under_a_sites_base() -> None:
    assert room_of("clinic/a/roomctl/room-1/state", "clinic/a/roomctl") == ("room-1", "state")
    assert room_of("clinic/b/roomctl/room-1/state", "clinic/a/roomctl") is None
    assert room_of("roomctl/room-1/state") == ("room-1", "state")


def test_the_bridge_sends_outputs_out_and_takes_only_commands_in() -> None:
    central = parse_broker_url("mqtts://north:pw@hub.example:8883?ca=/etc/ca.pem")
    text = bridge_config(BridgeSettings(site="north", central=central))
    lines = [line for line in text.splitlines() if not line.startswith("#")]
    topics = [line.split() for line in lines if line.startswith("topic ")]
    inward = sorted(t[1] for t in topics if t[2] == "in")
    outward = sorted(t[1] for t in topics if t[2] == "out")
    assert inward == ["+/cmd", "+/emergency"]
    assert outward == sorted(
        ["+/state", "+/availability", "+/events", "+/reply", "+/catalog", "replies/#"]
    )
    assert all(t[4:] == ["roomctl/", "clinic/north/roomctl/"] for t in topics)
    assert {t[2]: t[3] for t in topics} == {"out": "1", "in": "0"}
    for line in (
        "connection roomctl-north",
        "address hub.example:8883",
        "bridge_protocol_version mqttv50",
        "bridge_cafile /etc/ca.pem",
        "bridge_insecure false",
        "remote_username north",
        "remote_password pw",
        "cleansession true",
        "notifications true",
        "notification_topic clinic/north/bridge/state",
        "restart_timeout 1 1",
    ):
        assert line in lines
    assert "mode 0640" in text


def test_bridge_config_refuses_a_bad_site_and_reads_the_password_file(tmp_path: Path) -> None:
    runner = CliRunner()
    bad = runner.invoke(cli, ["bridge-config", "--site", "a/b", "--central", "mqtts://h"])
    assert bad.exit_code == EXIT_USAGE and "one topic level" in bad.output
    secret = tmp_path / "pw"
    secret.write_text("s3cret\n")
    args = ["bridge-config", "--site", "south", "--central", "mqtts://hub:8883"]
    good = runner.invoke(cli, [*args, "--username", "site-south", "--password-file", str(secret)])
    assert good.exit_code == 0
    assert "remote_password s3cret\n" in good.output
    assert "bridge_capath /etc/ssl/certs" in good.output
    alone = runner.invoke(cli, [*args, "--password-file", str(secret)])
    assert alone.exit_code == EXIT_USAGE and "needs a user name" in alone.output


def test_a_control_command_refuses_a_site_that_is_not_a_level() -> None:
    done = CliRunner().invoke(cli, ["pause", "--room", "room-1", "--site", "a/b"])
    assert done.exit_code == EXIT_USAGE and "one topic level" in done.output
    shown = CliRunner().invoke(cli, ["status", "--site", "+"])
    assert shown.exit_code == EXIT_USAGE
