"""A daemon's site, pure: its name, the state, Home Assistant's ids and the record."""

from __future__ import annotations

import csv
import io
import json
import sqlite3
from pathlib import Path

import jsonschema
import pytest
from click.testing import CliRunner

from roomctl.api import asyncapi_document
from roomctl.api.replies import HistoryReply
from roomctl.api.state import DeviceState, RoomState
from roomctl.cli.exits import EXIT_USAGE
from roomctl.cli.group import cli
from roomctl.config import ConfigError, load_room
from roomctl.homeassistant.discovery import config_topic, discovery_config
from roomctl.homeassistant.entities import device_id
from roomctl.journal import JOURNAL_FILE, SCHEMA_VERSION, Journal, SessionRow, StoredEvent
from roomctl.journal.report import as_csv, as_json, as_markdown, build_report
from roomctl.journal.schema import MIGRATIONS
from roomctl.runtime.record_answers import summary
from roomctl.runtime.site import DAEMON_SITE_ENV, at_site, env_site

ROOM = """\
id: room-1
name: Therapy room 1
devices:
  ceiling: {type: zigbee2mqtt, topic: zigbee2mqtt/room1/ceiling}
"""
# 2027-01-15 08:00:00.201 UTC: the state's updated_at in the byte-exact payloads.
WALL = 1_800_000_000.201
T0 = 1_800_000_000.0


def write_room(tmp_path: Path, extra: str = "") -> Path:
    path = tmp_path / "rooms" / "room-1.yaml"
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(ROOM + extra)
    return path


# -- the site's name ------------------------------------------------------------------


def test_the_room_file_names_its_site(tmp_path: Path) -> None:
    assert load_room(write_room(tmp_path, "site: north\n")).site == "north"
    assert load_room(write_room(tmp_path)).site is None


@pytest.mark.parametrize(
    ("value", "says"),
    [
        ("north/east", "one topic level: no '/'"),
        ("'a b'", "one topic level: no ' '"),
        ("'#'", "one topic level: no '#'"),
        ("$SYS", "must not start with '$'"),
        ("''", "must not be empty"),
    ],
)
def test_a_site_that_is_no_topic_level_is_refused_at_its_line(
    tmp_path: Path, value: str, says: str
) -> None:
    path = write_room(tmp_path, f"site: {value}\n")
    with pytest.raises(ConfigError) as caught:
        load_room(path)
    (problem,) = caught.value.problems
    assert problem.line == 5 and says in problem.message, problem.format()
    assert problem.format().startswith(f"{path}:5: site")


def test_run_refuses_a_site_flag_that_is_no_topic_level(tmp_path: Path) -> None:
    path = write_room(tmp_path)
    result = CliRunner().invoke(cli, ["run", "--room", str(path), "--site", "north/east"])
    assert result.exit_code == EXIT_USAGE
    assert "--site" in result.output and "one topic level: no '/'" in result.output


def test_the_flag_wins_over_the_file_which_wins_over_the_environment(tmp_path: Path) -> None:
    bare, sited = load_room(write_room(tmp_path)), load_room(write_room(tmp_path, "site: east\n"))
    assert at_site(bare, None, None).site is None
    assert at_site(bare, None, "west").site == "west"
    assert at_site(sited, None, "west").site == "east"
    assert at_site(sited, "north", "west").site == "north"
    assert at_site(bare, "north", None).site == "north"
    assert at_site(sited, None, None) is sited  # nothing to change: the same room


def test_the_daemon_reads_its_own_variable_and_not_the_clis(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    # $ROOMCTL_SITE tells the CLI to reach a site through the centre: never the daemon's.
    monkeypatch.setenv("ROOMCTL_SITE", "south")
    monkeypatch.delenv(DAEMON_SITE_ENV, raising=False)
    assert env_site() is None
    monkeypatch.setenv(DAEMON_SITE_ENV, "north")
    assert env_site() == "north"
    monkeypatch.setenv(DAEMON_SITE_ENV, "north/east")
    with pytest.raises(ValueError, match=r"\$ROOMCTL_DAEMON_SITE='north/east' is not a site"):
        env_site()


def test_run_refuses_a_daemon_variable_that_is_no_site_name(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv(DAEMON_SITE_ENV, "north/east")
    path = write_room(tmp_path)
    result = CliRunner().invoke(
        cli, ["run", "--room", str(path), "--state-dir", str(tmp_path / "state")]
    )
    assert result.exit_code == 1
    assert "$ROOMCTL_DAEMON_SITE='north/east' is not a site name" in result.output


# -- the state --------------------------------------------------------------------------


def test_the_state_names_its_site_only_when_it_has_one() -> None:
    devices = {"ceiling": DeviceState(online=True)}
    rest = (
        '"status":"idle","profile":null,"session_id":null,"phase":null,'
        '"phase_index":null,"phase_count":null,"elapsed_s":null,"phase_remaining_s":null,'
        '"remaining_s":null,"paused_by":null,"updated_at":"2027-01-15T08:00:00.201Z",'
        '"devices":{"ceiling":{"online":true}},"next_cue":null,"pending_cues":[]}'
    )
    bare = RoomState(room="room-1", status="idle", devices=devices).payload(WALL)
    assert bare == '{"room":"room-1",' + rest
    sited = RoomState(room="room-1", site="north", status="idle", devices=devices)
    assert sited.payload(WALL) == '{"room":"room-1","site":"north",' + rest


def test_the_contract_types_the_states_site() -> None:
    document = asyncapi_document()
    schemas = document["components"]["schemas"]
    assert schemas["RoomState"]["properties"]["site"]["anyOf"][0] == {"type": "string"}
    assert "site" not in schemas["RoomState"].get("required", [])
    root = {"$ref": "#/components/schemas/RoomState", "components": document["components"]}
    state = json.loads(RoomState(room="room-1", site="north", status="idle").payload(WALL))
    assert list(jsonschema.Draft7Validator(root).iter_errors(state)) == []


# -- Home Assistant ---------------------------------------------------------------------


def test_home_assistant_ids_name_the_site_and_stay_as_they_were_without_one(
    tmp_path: Path,
) -> None:
    block = "home_assistant: {}\n"
    bare = load_room(write_room(tmp_path, block))
    sited = load_room(write_room(tmp_path, block + "site: north\n"))
    config = discovery_config(sited, ["calm"])
    assert device_id("room-1", "north") == "roomctl_north_room-1"
    assert config_topic("room-1", "homeassistant", "north") == (
        "homeassistant/device/roomctl_north_room-1/config"
    )
    assert config["dev"]["identifiers"] == ["roomctl_north_room-1"]
    assert config["dev"]["name"] == "north · Therapy room 1"
    assert all(c["unique_id"] == f"roomctl_north_room-1_{k}" for k, c in config["cmps"].items())
    # The topics stay the room's own: the site is in names, never in where it listens.
    assert config["cmps"]["pause"]["command_topic"] == "roomctl/room-1/cmd"
    # Without a site: exactly what it was, no churn for a clinic of one site.
    plain = discovery_config(bare, ["calm"])
    assert config_topic("room-1") == "homeassistant/device/roomctl_room-1/config"
    assert plain["dev"]["identifiers"] == ["roomctl_room-1"]
    assert plain["dev"]["name"] == "Therapy room 1"
    assert all(c["unique_id"] == f"roomctl_room-1_{k}" for k, c in plain["cmps"].items())
    document = asyncapi_document()
    addresses = {c["address"] for c in document["channels"].values()}
    assert "{prefix}/device/roomctl_{site}_{room}/config" in addresses
    root = {"$ref": "#/components/schemas/HomeAssistantDiscovery"}
    validator = jsonschema.Draft7Validator({**root, "components": document["components"]})
    assert list(validator.iter_errors(config)) == []


# -- the record -------------------------------------------------------------------------


def _row(session_id: str, site: str | None, start: float = T0) -> SessionRow:
    return SessionRow(
        session_id=session_id,
        room="room-1",
        profile="calm",
        started_at=start,
        ended_at=start + 600,
        end_reason="completed",
        alive_at=start + 600,
        snapshot={"profile": {"title": "Calm"}, "operator": "kim"},
        site=site,
    )


def _old_journal(state_dir: Path) -> None:
    """Write a journal as roomctl wrote it before sites (schema 1), with one session."""
    state_dir.mkdir(parents=True)
    connection = sqlite3.connect(state_dir / JOURNAL_FILE)
    connection.executescript(f"BEGIN; {MIGRATIONS[0]}; PRAGMA user_version = 1; COMMIT;")
    snapshot = json.dumps({"profile": {"title": "Calm"}, "operator": "kim"})
    with connection:
        connection.execute(
            "INSERT INTO sessions VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
            ("old1", "room-1", "calm", T0, T0 + 600, "completed", T0 + 600, snapshot),
        )
        connection.execute(
            "INSERT INTO events (room, session_id, ts, type, data) VALUES (?, ?, ?, ?, ?)",
            ("room-1", "old1", T0, "session_started", json.dumps({"profile": "calm"})),
        )
    connection.close()


def _version(state_dir: Path) -> int:
    connection = sqlite3.connect(state_dir / JOURNAL_FILE)
    try:
        return int(connection.execute("PRAGMA user_version").fetchone()[0])
    finally:
        connection.close()


def test_an_old_journal_reads_as_it_is_and_a_daemon_migrates_it(tmp_path: Path) -> None:
    state_dir = tmp_path / "state"
    _old_journal(state_dir)
    # Read-only (roomctl report, history): read as it is, never migrated.
    reading = Journal(state_dir, readonly=True)
    (old,) = reading.sessions()
    assert (old.session_id, old.site, old.snapshot["operator"]) == ("old1", None, "kim")
    assert reading.session("old1") == old
    assert [e.type for e in reading.events("old1")] == ["session_started"]
    reading.close()
    assert _version(state_dir) == 1
    runner = CliRunner()
    shown = runner.invoke(cli, ["report", "old1", "--state-dir", str(state_dir), "--tz", "UTC"])
    assert shown.exit_code == 0, shown.output
    assert "- Room: room-1" in shown.output and "Site" not in shown.output
    # A daemon's journal migrates it: the old session stays, without a site.
    journal = Journal(state_dir)
    journal.write([], [_row("new1", "north", start=T0 + 3600)])
    assert [(r.session_id, r.site) for r in journal.sessions()] == [
        ("new1", "north"),
        ("old1", None),
    ]
    journal.close()
    assert _version(state_dir) == SCHEMA_VERSION == 2


def test_a_sessions_site_is_kept_from_its_first_save(tmp_path: Path) -> None:
    journal = Journal(tmp_path)
    journal.write([], [_row("s1", "north")])
    journal.write([], [_row("s1", None)])  # a later snapshot does not move it
    journal.write([], [_row("s2", None, start=T0 + 3600)])
    assert [(r.session_id, r.site) for r in journal.sessions()] == [("s2", None), ("s1", "north")]
    journal.close()


def test_the_report_names_its_site_in_the_heading_the_header_csv_and_json() -> None:
    events = [StoredEvent("room-1", "s1", T0, "session_started", {"profile": "calm"})]
    report = build_report(_row("s1", "north"), events)
    markdown = as_markdown(report)
    assert markdown.startswith("# Session s1 at north: Calm\n\n- Site: north\n- Room: room-1\n")
    rows = list(csv.reader(io.StringIO(as_csv(report))))
    assert rows[0][:4] == ["site", "session_id", "room", "profile"]
    assert all(row[:3] == ["north", "s1", "room-1"] for row in rows[1:])
    assert json.loads(as_json(report))["site"] == "north"
    # Without a site: as before, no site anywhere.
    plain = build_report(_row("s1", None), events)
    assert as_markdown(plain).startswith("# Session s1: Calm\n\n- Room: room-1\n")
    assert next(csv.reader(io.StringIO(as_csv(plain))))[0] == "session_id"
    assert "site" not in json.loads(as_json(plain))


def test_historys_reply_names_a_sessions_site_only_when_it_has_one() -> None:
    reply = HistoryReply(
        request_id="h1",
        status="idle",
        sessions=[summary(_row("s2", "north", start=T0 + 3600)), summary(_row("s1", None))],
    )
    sessions = json.loads(json.dumps(reply.model_dump(mode="json")))["sessions"]
    assert list(sessions[0])[:2] == ["session_id", "site"] and sessions[0]["site"] == "north"
    assert "site" not in sessions[1]


def test_history_shows_a_site_column_only_when_a_session_has_a_site(tmp_path: Path) -> None:
    journal = Journal(tmp_path)
    journal.write([], [_row("s1", None)])
    runner = CliRunner()
    command = ["history", "--state-dir", str(tmp_path), "--tz", "UTC"]
    plain = runner.invoke(cli, command, terminal_width=200)
    assert plain.exit_code == 0, plain.output
    header = next(line for line in plain.output.splitlines() if line.startswith("┃"))
    assert [cell.strip() for cell in header.split("┃")[1:3]] == ["session", "room"]
    journal.write([], [_row("s2", "north", start=T0 + 3600)])
    journal.close()
    sited = runner.invoke(cli, command, terminal_width=200)
    assert sited.exit_code == 0, sited.output
    header = next(line for line in sited.output.splitlines() if line.startswith("┃"))
    assert [cell.strip() for cell in header.split("┃")[1:4]] == ["session", "site", "room"]
    cells = [[c.strip() for c in line.split("│")[1:4]] for line in sited.output.splitlines()]
    assert ["s2", "north", "room-1"] in cells and ["s1", "-", "room-1"] in cells
