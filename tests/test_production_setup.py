"""The README's production set-up, run for real from the files shipped in deploy/.

A Mosquitto started with deploy/mosquitto/roomctl.conf (TLS with a CA made here, a password
file made with mosquitto_passwd, the shipped ACL); `roomctl run` started with the command
line and environment of deploy/roomctl.service and its environment file; the room's
speaker playing through a PulseAudio started as deploy/roomctl-pulse.service starts it;
simulated lights of every type, each with its type's account; a supervisor that commands,
a staff screen that reads but cannot command, a device account that cannot command rooms;
the console's account (deploy/roomctl-console.service, its environment file) that reads
every room and commands, and nothing else.
Only the paths are moved into a temporary folder and the port made free; systemd itself
does not run in the test container, so its units are checked with `systemd-analyze verify`.
"""

from __future__ import annotations

import importlib.util
import json
import os
import re
import shlex
import shutil
import signal
import subprocess
import sys
import threading
import uuid
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import paho.mqtt.client as mqtt
import pytest
from paho.mqtt.enums import CallbackAPIVersion, MQTTProtocolVersion
from paho.mqtt.packettypes import PacketTypes
from paho.mqtt.properties import Properties

from roomctl.config.library import load_room
from roomctl.demo.sim._device import SimDevice
from roomctl.demo.sim.room import SimulatedRoom
from tests.fixtures.broker import Mosquitto, TlsFiles, write_password_file
from tests.fixtures.console import SUPERVISOR as CONSOLE_SUPERVISOR
from tests.fixtures.console import ConsoleProcess, login_api, make_users_file
from tests.fixtures.room import received, wait_for

ROOT = Path(__file__).resolve().parent.parent
DEPLOY = ROOT / "deploy"
ACL = DEPLOY / "mosquitto" / "roomctl.acl"
UNIT = DEPLOY / "roomctl.service"
PULSE_UNIT = DEPLOY / "roomctl-pulse.service"
CONSOLE_UNIT = DEPLOY / "roomctl-console.service"
CONSOLE_ENV = DEPLOY / "roomctl-console.env.example"
ROOM_ID = "room-1"
# The account each device type connects with (deploy/mosquitto/roomctl.acl).
DEVICE_ACCOUNTS = {
    "zigbee2mqtt": "zigbee2mqtt",
    "tasmota": "tasmota",
    "wled": "wled",
    "shelly": "shelly",
    "mqtt_json": "mqtt-json",
}
SUPERVISOR, STAFF, CONSOLE = "supervisor-kim", "staff-screen", "console"
# A room no daemon serves: the console's rights are probed on it without touching room-1.
PROBE_ROOM = "acl-probe"
NOT_AUTHORIZED = 0x87
# A publish the broker took: success, or success with nobody subscribed (MQTT v5 0x10).
ACCEPTED = (0x00, 0x10)
# Starting Python, the room, its devices and its sound output takes a few seconds; a
# loaded machine shared with other test runs may take several times that.
SERVE_TIMEOUT_S = 60.0
# An idle null sink renders in blocks of up to 2 s: the first sound can take that long.
SOUND_TIMEOUT_S = 30.0
# pulseaudio answers within a second; ten cover a loaded machine.
PULSE_START_TIMEOUT_S = 10.0
# A clean stop publishes offline and disconnects within the bus's 3 s flush limit.
EXIT_TIMEOUT_S = 15.0
# A null sink records exact zeros for silence; demo's brown noise at -30 dB, fading in over
# 10 s, passes an RMS of 0.005 within seconds. -60 dBFS tells the two apart with margin.
SOUND_RMS = 0.001
RATE = 48_000


def acl_users() -> list[str]:
    """Return the accounts the shipped ACL names, in order."""
    return re.findall(r"^user (\S+)$", ACL.read_text(), flags=re.MULTILINE)


def password(user: str) -> str:
    """Return the test's password for an account."""
    return f"pw-{user}-{user[::-1]}"


def unit_values(unit: Path, key: str) -> list[str]:
    """Return every value of `key=` in a systemd unit, in order."""
    return re.findall(rf"^{key}=(.*)$", unit.read_text(), flags=re.MULTILINE)


def unit_environment(unit: Path) -> dict[str, str]:
    """Return the variables a unit's Environment= lines set."""
    pairs = (value.split("=", 1) for value in unit_values(unit, "Environment"))
    return {name: value for name, value in pairs}


def env_file(path: Path) -> dict[str, str]:
    """Return the variables of a systemd EnvironmentFile (NAME=value lines, # comments)."""
    lines = path.read_text().splitlines()
    pairs = (line.split("=", 1) for line in lines if line.strip() and not line.startswith("#"))
    return {name.strip(): value.strip() for name, value in pairs}


def filled_url(example: Path, port: int, ca: Path) -> str:
    """Return an environment file example's ROOMCTL_BROKER as the README has it filled in."""
    url = env_file(example)["ROOMCTL_BROKER"]
    user = url.removeprefix("mqtts://").split(":", 1)[0]
    url = url.replace("CHANGE-ME", password(user))
    url = url.replace("broker.clinic.lan:8883", f"127.0.0.1:{port}")
    return url.replace("/etc/roomctl/ca.pem", str(ca))


class ShippedMosquitto(Mosquitto):
    """Mosquitto with deploy/mosquitto/roomctl.conf, its /etc paths moved to test files."""

    def _config(self) -> str:
        assert self.tls is not None and self.password_file is not None
        text = (DEPLOY / "mosquitto" / "roomctl.conf").read_text()
        moved = {
            "listener 8883": f"listener {self.port} 127.0.0.1",
            "/etc/mosquitto/certs/ca.pem": str(self.tls.ca),
            "/etc/mosquitto/certs/server.pem": str(self.tls.cert),
            "/etc/mosquitto/certs/server.key": str(self.tls.key),
            "/etc/mosquitto/passwd": str(self.password_file),
            "/etc/mosquitto/roomctl.acl": str(ACL),
        }
        for old, new in moved.items():
            assert old in text, f"the shipped roomctl.conf no longer says {old}"
            text = text.replace(old, new)
        # As root, mosquitto drops to its own user, which cannot read pytest's tmp dirs.
        # Every packet is logged, so a publish the ACL refuses shows as "Denied PUBLISH".
        return text + "user root\npersistence false\nlog_type all\n"


class Account:
    """A real paho MQTT v5 client logged in with one of the ACL's accounts, over TLS."""

    def __init__(self, broker: Mosquitto, user: str | None, secret: str | None = None) -> None:
        self.client_id = f"test-{user or 'anonymous'}-{uuid.uuid4().hex[:8]}"
        self.client = mqtt.Client(
            CallbackAPIVersion.VERSION2,
            client_id=self.client_id,
            protocol=MQTTProtocolVersion.MQTTv5,
        )
        if user is not None:
            self.client.username_pw_set(user, secret if secret is not None else password(user))
        assert broker.tls is not None
        self.client.tls_set(ca_certs=str(broker.tls.ca))
        self.port = broker.port
        self.connack: Any = None
        self.acks: dict[int, list[int]] = {}
        self.messages: list[tuple[str, bytes]] = []
        self._lock = threading.Lock()
        self.client.on_connect = self._on_connect
        self.client.on_subscribe = self._on_subscribe
        self.client.on_publish = self._on_publish
        self.client.on_message = self._on_message

    def _on_connect(self, _c: Any, _u: Any, _f: Any, reason: Any, _p: Any) -> None:
        self.connack = reason

    def _on_subscribe(self, _c: Any, _u: Any, mid: int, reasons: Any, _p: Any) -> None:
        with self._lock:
            self.acks[mid] = [int(r.value) for r in reasons]

    def _on_publish(self, _c: Any, _u: Any, mid: int, reason: Any, _p: Any) -> None:
        with self._lock:
            self.acks[mid] = [int(reason.value)]

    def _on_message(self, _c: Any, _u: Any, msg: mqtt.MQTTMessage) -> None:
        with self._lock:
            self.messages.append((msg.topic, bytes(msg.payload)))

    def connect(self) -> Any:
        """Connect and return the broker's answer (a reason code)."""
        self.client.connect_async("127.0.0.1", self.port)
        self.client.loop_start()
        return wait_for(lambda: self.connack, what=f"{self.client_id}'s CONNACK")

    def _ack(self, mid: int) -> list[int]:
        with self._lock:
            return self.acks.get(mid, [])

    def subscribe(self, topic_filter: str) -> int:
        """Subscribe and return the broker's reason code (the QoS granted, or a refusal)."""
        _result, mid = self.client.subscribe(topic_filter, qos=1)
        return wait_for(lambda: self._ack(mid), what=f"SUBACK for {topic_filter}")[0]

    def publish(
        self,
        topic: str,
        payload: str,
        properties: Properties | None = None,
        retain: bool = False,
    ) -> int:
        """Publish at QoS 1 and return the broker's PUBACK reason code."""
        info = self.client.publish(topic, payload, qos=1, properties=properties, retain=retain)
        return wait_for(lambda: self._ack(info.mid), what=f"PUBACK for {topic}")[0]

    def on(self, topic: str) -> list[bytes]:
        """Return the payloads received on a topic."""
        with self._lock:
            return [payload for t, payload in self.messages if t == topic]

    def state(self) -> dict[str, Any] | None:
        """Return the room's latest state, if one arrived."""
        states = self.on(f"roomctl/{ROOM_ID}/state")
        return dict(json.loads(states[-1])) if states else None

    def close(self) -> None:
        """Disconnect."""
        self.client.disconnect()
        self.client.loop_stop()


@dataclass
class PulseAsUnit:
    """pulseaudio started with roomctl-pulse.service's command line and environment."""

    root: Path
    process: subprocess.Popen[bytes] | None = None
    env: dict[str, str] = field(default_factory=dict)

    def moved(self, text: str) -> str:
        """Return a unit's text with /run/roomctl-pulse and /var/lib/... under root."""
        run, home = self.root / "run", self.root / "home"
        return text.replace("/run/roomctl-pulse", str(run)).replace(
            "/var/lib/roomctl-pulse", str(home)
        )

    @property
    def socket(self) -> str:
        """Return roomctl.service's PULSE_SERVER, moved like the pulse unit's paths."""
        return self.moved(unit_environment(UNIT)["PULSE_SERVER"])

    def start(self) -> None:
        """Start the server as its unit does and wait until its socket answers."""
        (self.root / "run").mkdir(parents=True, mode=0o750)
        (self.root / "home").mkdir(parents=True)
        variables = {k: self.moved(v) for k, v in unit_environment(PULSE_UNIT).items()}
        self.env = {**os.environ, **variables}
        self.env.pop("PULSE_SERVER", None)
        (command,) = unit_values(PULSE_UNIT, "ExecStart")
        log = (self.root / "pulse.log").open("wb")
        self.process = subprocess.Popen(
            shlex.split(self.moved(command)), env=self.env, stdout=log, stderr=log
        )
        probe = {**self.env, "PULSE_SERVER": self.socket}
        wait_for(
            lambda: (
                subprocess.run(
                    ["pactl", "info"], env=probe, capture_output=True, check=False
                ).returncode
                == 0
            ),
            timeout=PULSE_START_TIMEOUT_S,
            what="the service's pulseaudio",
        )
        self.env = probe

    def stop(self) -> None:
        """Stop the server."""
        if self.process is not None and self.process.poll() is None:
            self.process.terminate()
            self.process.wait(timeout=EXIT_TIMEOUT_S)


class Recorder:
    """parec on the default sink's monitor: mono floats at RATE."""

    def __init__(self, env: dict[str, str]) -> None:
        self._process = subprocess.Popen(
            ["parec", "-d", "@DEFAULT_MONITOR@", "--format=float32le", "--channels=1",
             f"--rate={RATE}", "--latency-msec=20", "--raw"],
            env=env, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL,
        )  # fmt: skip
        self._data = bytearray()
        self._lock = threading.Lock()
        self._thread = threading.Thread(target=self._read, daemon=True)
        self._thread.start()

    def _read(self) -> None:
        assert self._process.stdout is not None
        while chunk := self._process.stdout.read1(4096):
            with self._lock:
                self._data += chunk

    def loudest_rms(self, window: int = RATE // 10) -> float:
        """Return the RMS of the loudest 0.1 s window recorded so far."""
        with self._lock:
            usable = len(self._data) // 4 * 4
            samples = np.frombuffer(bytes(self._data[:usable]), dtype=np.float32)
        blocks = samples[: len(samples) // window * window].reshape(-1, window)
        return float(np.sqrt((blocks**2).mean(axis=1)).max()) if len(blocks) else 0.0

    def stop(self) -> None:
        """Stop recording."""
        self._process.terminate()
        self._process.wait(timeout=EXIT_TIMEOUT_S)


@dataclass
class Site:
    """The production set-up running: broker, sound server, roomctl run and its devices."""

    broker: ShippedMosquitto
    tls: TlsFiles
    pulse: PulseAsUnit
    roomctl: subprocess.Popen[bytes]
    state_dir: Path
    log: Path
    devices: dict[str, SimDevice]

    def url(self, user: str) -> str:
        """Return the broker URL for an account, as its environment file would write it."""
        return f"mqtts://{user}:{password(user)}@127.0.0.1:{self.broker.port}?ca={self.tls.ca}"

    def account(self, user: str) -> Account:
        """Return a connected client of an account."""
        client = Account(self.broker, user)
        assert not client.connect().is_failure, f"{user} was refused"
        return client


def readme_tls(directory: Path) -> TlsFiles:
    """Run step 3 of the README's production set-up (TLS) in `directory`, as written.

    Only `sudo` is dropped and the two /etc folders are moved into `directory`.
    """
    readme = (ROOT / "README.md").read_text()
    section = readme[readme.index("## Production set-up") :]
    step = section[section.index("# 3. TLS") : section.index("# 4. ")]
    script = step.replace("sudo ", "").replace("/etc/mosquitto/certs", str(directory))
    script = script.replace("/etc/roomctl/ca.pem", str(directory / "installed-ca.pem"))
    subprocess.run(["bash", "-euc", script], check=True, capture_output=True, timeout=120)
    return TlsFiles(
        ca=directory / "installed-ca.pem",
        cert=directory / "server.pem",
        key=directory / "server.key",
    )


def production_room(directory: Path) -> Path:
    """Write the room file as the README installs it: room-1 without its broker: line."""
    text = (ROOT / "profiles" / "rooms" / "room-1.yaml").read_text()
    path = directory / "room-1.yaml"
    path.write_text(re.sub(r"^broker:.*\n", "", text, flags=re.MULTILINE))
    return path


def roomctl_command(room: Path, state_dir: Path) -> list[str]:
    """Return roomctl.service's ExecStart with its paths moved to the test's files."""
    (command,) = unit_values(UNIT, "ExecStart")
    moved = {
        "/opt/roomctl/.venv/bin/roomctl": str(Path(sys.executable).with_name("roomctl")),
        "/etc/roomctl/rooms/room-1.yaml": str(room),
        "/etc/roomctl/sessions": str(ROOT / "profiles" / "sessions"),
        "/var/lib/roomctl": str(state_dir),
    }
    for old, new in moved.items():
        assert old in command, f"roomctl.service's ExecStart no longer says {old}"
        command = command.replace(old, new)
    return shlex.split(command)


@pytest.fixture(scope="module")
def site(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Site]:
    """Start the whole production set-up from the shipped files."""
    root = tmp_path_factory.mktemp("production")
    (root / "certs").mkdir()
    tls = readme_tls(root / "certs")
    passwd = write_password_file(root / "passwd", {u: password(u) for u in acl_users()})
    broker = ShippedMosquitto(root / "broker", tls=tls, password_file=passwd)
    broker.workdir.mkdir()
    broker.start()
    pulse = PulseAsUnit(root / "pulse")
    pulse.start()
    # The environment file as the README has it filled in: the example, with this broker.
    filled = filled_url(DEPLOY / "roomctl.env.example", broker.port, tls.ca)
    room_file = production_room(root)
    room = load_room(room_file)
    accounts = {
        kind: f"mqtts://{user}:{password(user)}@127.0.0.1:{broker.port}?ca={tls.ca}"
        for kind, user in DEVICE_ACCOUNTS.items()
    }
    sims = SimulatedRoom(room, "mqtt://nowhere.invalid:1", broker_for=accounts)
    sims.start()
    devices = sims.devices
    state_dir = root / "state"
    env = {
        **os.environ,
        **{k: pulse.moved(v) for k, v in unit_environment(UNIT).items()},
        "ALSA_CONFIG_PATH": str(DEPLOY / "roomctl-alsa.conf"),  # installed as the unit says
        "ROOMCTL_BROKER": filled,
        "HOME": str(root / "no-home"),  # the service's user has no home it can use
    }
    env.pop("XDG_RUNTIME_DIR", None)  # a system service has none
    log = root / "roomctl.log"
    with log.open("wb") as out:
        process = subprocess.Popen(
            roomctl_command(room_file, state_dir), env=env, stdout=out, stderr=subprocess.STDOUT
        )
    site = Site(broker, tls, pulse, process, state_dir, log, devices)
    try:
        yield site
    finally:
        if process.poll() is None:
            process.send_signal(signal.SIGTERM)
            process.wait(timeout=EXIT_TIMEOUT_S)
        sims.stop()
        pulse.stop()
        broker.stop()


def test_the_shipped_broker_config_loads_without_warnings(site: Site) -> None:
    lines = (site.broker.workdir / "mosquitto.log").read_text().splitlines()
    # Only the test runs mosquitto as root (`user root`, to read pytest's folders).
    warnings = [line for line in lines if "Warning" in line and "run as root" not in line]
    assert warnings == []
    assert [line for line in lines if "Error" in line] == []


def test_anonymous_wrong_password_and_plain_tcp_are_refused(site: Site) -> None:
    anonymous = Account(site.broker, None)
    assert anonymous.connect().is_failure
    anonymous.close()
    wrong = Account(site.broker, SUPERVISOR, "not-the-password")
    assert wrong.connect().is_failure
    wrong.close()
    plain = subprocess.run(
        ["mosquitto_sub", "-h", "127.0.0.1", "-p", str(site.broker.port), "-t", "#",
         "-u", SUPERVISOR, "-P", password(SUPERVISOR), "-C", "1", "-W", "3"],
        capture_output=True, text=True, check=False, timeout=30,
    )  # fmt: skip
    assert plain.returncode != 0


def test_the_service_serves_the_room_with_every_device_and_sound(site: Site) -> None:
    supervisor = site.account(SUPERVISOR)
    try:
        assert supervisor.subscribe(f"roomctl/{ROOM_ID}/#") == 1
        replies = f"roomctl/replies/{supervisor.client_id}/#"
        assert supervisor.subscribe(replies) == 1
        # Every light must be online: the cove (MQTT JSON without availability_topic) by
        # its state reports. The speaker reports no availability.
        announcing = {"ceiling", "reading_lamp", "strip", "panel", "cove"}
        wait_for(
            lambda: (
                (s := supervisor.state())
                and {n for n, d in s["devices"].items() if d["online"]} == announcing
            ),
            timeout=SERVE_TIMEOUT_S,
            what=f"every announcing light online (log: {site.log})",
        )
        recorder = Recorder(site.pulse.env)
        try:
            properties = Properties(PacketTypes.PUBLISH)  # type: ignore[no-untyped-call]
            properties.ResponseTopic = f"roomctl/replies/{supervisor.client_id}/1"
            properties.CorrelationData = b"start-1"
            command = {"action": "start", "profile": "demo", "request_id": "r1"}
            cmd = f"roomctl/{ROOM_ID}/cmd"
            assert supervisor.publish(cmd, json.dumps(command), properties) == 0
            reply = wait_for(
                lambda: supervisor.on(f"roomctl/replies/{supervisor.client_id}/1"),
                what="the reply on the supervisor's response topic",
            )
            assert json.loads(reply[0])["ok"] is True
            for name, device in site.devices.items():
                wait_for(lambda d=device: received(d), what=f"{name} ({device.kind}) commanded")
            wait_for(
                lambda: recorder.loudest_rms() > SOUND_RMS,
                timeout=SOUND_TIMEOUT_S,
                what="the speaker's brown noise in the service's pulseaudio",
            )
        finally:
            recorder.stop()
        state = supervisor.state()
        assert state is not None and state["status"] == "running"
    finally:
        supervisor.close()
    # Nothing roomctl or a device sent was refused by the ACL (its answers included).
    log = (site.broker.workdir / "mosquitto.log").read_text().splitlines()
    refused = [line for line in log if "Denied PUBLISH from roomctl-" in line]
    assert refused == []
    # A supervisor's `roomctl` command, with the account in ROOMCTL_BROKER as the README has it.
    roomctl = str(Path(sys.executable).with_name("roomctl"))
    paused = subprocess.run(
        [roomctl, "pause", "--room", ROOM_ID],
        env={**os.environ, "ROOMCTL_BROKER": site.url(SUPERVISOR)},
        capture_output=True, text=True, check=False, timeout=60,
    )  # fmt: skip
    assert (paused.returncode, paused.stdout) == (
        0,
        "room-1: pause accepted; the session is paused\n",
    )
    # `roomctl history` as the README has staff run it finds the service's journal.
    for args, extra in (
        (["--state-dir", str(site.state_dir)], {}),
        ([], {"ROOMCTL_STATE_DIR": str(site.state_dir)}),
    ):
        env = {**os.environ, **extra, "COLUMNS": "200"}
        shown = subprocess.run(
            [roomctl, "history", *args],
            env=env,
            capture_output=True,
            text=True,
            check=False,
            timeout=60,
        )
        assert shown.returncode == 0, shown.stderr
        assert re.search(rf"{ROOM_ID}\s.*\sdemo\s", shown.stdout), shown.stdout


def test_staff_screen_reads_but_cannot_command(site: Site) -> None:
    staff, supervisor = site.account(STAFF), site.account(SUPERVISOR)
    try:
        assert staff.subscribe(f"roomctl/{ROOM_ID}/state") == 1
        wait_for(staff.state, timeout=SERVE_TIMEOUT_S, what="the retained state for staff")
        # Mosquitto grants any subscription and filters each message by the ACL as it is
        # delivered: what a screen sees, not the SUBACK, shows what it may read.
        others = f"roomctl/replies/{supervisor.client_id}/#"
        assert staff.subscribe(others) == 1
        assert supervisor.subscribe(others) == 1
        properties = Properties(PacketTypes.PUBLISH)  # type: ignore[no-untyped-call]
        properties.ResponseTopic = f"roomctl/replies/{supervisor.client_id}/2"
        probe = json.dumps({"action": "extend", "by": "1s", "request_id": "probe"})
        assert supervisor.publish(f"roomctl/{ROOM_ID}/cmd", probe, properties) == 0
        wait_for(lambda: supervisor.on(properties.ResponseTopic), what="the supervisor's reply")
        barrier(staff)
        assert [t for t, _ in staff.messages if t.startswith("roomctl/replies/")] == []
        emergency = json.dumps({"action": "emergency", "request_id": "staff-1"})
        assert staff.publish(f"roomctl/{ROOM_ID}/cmd", emergency) == NOT_AUTHORIZED
    finally:
        staff.close()
        supervisor.close()


def barrier(account: Account) -> None:
    """Return once every message the broker queued for the account so far has arrived.

    Mosquitto answers a client's packets in order: a SUBACK comes after whatever it had
    already queued for that client, retained messages of earlier subscriptions included.
    """
    assert account.subscribe(f"roomctl/barrier/{uuid.uuid4().hex}") in (1, NOT_AUTHORIZED)


def test_a_device_account_cannot_command_rooms_or_other_devices(site: Site) -> None:
    staff = site.account(STAFF)
    device = site.account(DEVICE_ACCOUNTS["tasmota"])
    try:
        assert staff.subscribe(f"roomctl/{ROOM_ID}/state") == 1
        wait_for(staff.state, timeout=SERVE_TIMEOUT_S, what="the retained state for staff")
        assert device.subscribe(f"roomctl/{ROOM_ID}/#") == 1
        barrier(device)
        assert device.messages == []  # the retained state and availability are not its to read
        stop = json.dumps({"action": "stop", "request_id": "dev-1"})
        assert device.publish(f"roomctl/{ROOM_ID}/cmd", stop) == NOT_AUTHORIZED
        assert device.publish("zigbee2mqtt/room1/ceiling/set", '{"state":"OFF"}') == NOT_AUTHORIZED
    finally:
        device.close()
        staff.close()


def test_the_console_account_reads_every_room_and_commands_and_nothing_else(site: Site) -> None:
    console, daemon = site.account(CONSOLE), site.account("roomctl")
    supervisor, bridge = site.account(SUPERVISOR), site.account(DEVICE_ACCOUNTS["zigbee2mqtt"])
    probe = f"roomctl/{PROBE_ROOM}"
    readable = ("state", "availability", "events", "catalog")
    try:
        # What a daemon publishes for a room (retained, but events), and a device's state.
        for kind in ("state", "availability", "catalog"):
            body = f'{{"probe": "{kind}"}}'
            assert daemon.publish(f"{probe}/{kind}", body, retain=True) in ACCEPTED
        assert bridge.publish("zigbee2mqtt/acl-probe", '{"state": "ON"}', retain=True) in ACCEPTED
        for kind in readable:
            assert console.subscribe(f"roomctl/+/{kind}") == 1
        assert console.subscribe(f"roomctl/replies/{console.client_id}/#") == 1
        # Mosquitto grants every subscription and filters each message by the ACL as it
        # delivers it: what arrives shows what the console may read.
        others = f"roomctl/replies/{supervisor.client_id}/#"
        for topic_filter in ("roomctl/+/cmd", "roomctl/+/emergency", "roomctl/+/reply",
                             "zigbee2mqtt/#", others):  # fmt: skip
            assert console.subscribe(topic_filter) == 1
        wait_for(console.state, timeout=SERVE_TIMEOUT_S, what="room-1's retained state")
        for kind in ("state", "availability", "catalog"):
            wait_for(lambda k=kind: console.on(f"{probe}/{k}"), what=f"the probe's {kind}")
        assert daemon.publish(f"{probe}/events", '{"type": "probe"}') == 0
        wait_for(lambda: console.on(f"{probe}/events"), what="the probe's event")
        # Its commands reach the daemon, and the reply comes back on its own topic.
        properties = Properties(PacketTypes.PUBLISH)  # type: ignore[no-untyped-call]
        properties.ResponseTopic = f"roomctl/replies/{console.client_id}/1"
        properties.CorrelationData = b"console-1"
        command = json.dumps({"action": "barrier", "request_id": "console-1"})
        assert console.publish(f"roomctl/{ROOM_ID}/cmd", command, properties) == 0
        (reply,) = wait_for(lambda: console.on(properties.ResponseTopic), what="its reply")
        assert json.loads(reply)["request_id"] == "console-1"
        emergency = json.dumps({"action": "emergency", "request_id": "console-2"})
        assert console.publish(f"{probe}/emergency", emergency) in ACCEPTED
        # Another client's commands and replies are not the console's to read.
        theirs = Properties(PacketTypes.PUBLISH)  # type: ignore[no-untyped-call]
        theirs.ResponseTopic = f"roomctl/replies/{supervisor.client_id}/3"
        assert supervisor.subscribe(others) == 1
        barrier_cmd = json.dumps({"action": "barrier", "request_id": "sup-3"})
        assert supervisor.publish(f"roomctl/{ROOM_ID}/cmd", barrier_cmd, theirs) == 0
        wait_for(lambda: supervisor.on(theirs.ResponseTopic), what="the supervisor's reply")
        # It may not speak for a room, a device or another client.
        for topic in (*(f"roomctl/{ROOM_ID}/{kind}" for kind in (*readable, "reply")),
                      "zigbee2mqtt/room1/ceiling/set", "cmnd/reading_lamp/POWER",
                      f"roomctl/replies/{supervisor.client_id}/4"):  # fmt: skip
            assert console.publish(topic, '{"probe": true}') == NOT_AUTHORIZED, topic
        barrier(console)
        seen = {topic.split("/")[-1] for topic, _ in console.messages if topic.startswith(probe)}
        assert seen == set(readable)
        refused = [t for t, _ in console.messages if t.split("/")[0] != "roomctl"]
        refused += [t for t, _ in console.messages if t.split("/")[-1] in ("cmd", "reply")]
        refused += [t for t, _ in console.messages if t.startswith(others[:-1])]
        refused += [t for t, _ in console.messages if t.endswith("/emergency")]
        assert refused == []
    finally:
        for kind in ("state", "availability", "catalog"):
            daemon.publish(f"{probe}/{kind}", "", retain=True)
        bridge.publish("zigbee2mqtt/acl-probe", "", retain=True)
        for account in (console, daemon, supervisor, bridge):
            account.close()


HA_PROBE = "ha-probe"
HA_CONFIG = f"homeassistant/device/roomctl_{HA_PROBE}/config"


def test_home_assistant_discovery_works_on_the_shipped_accounts(site: Site, tmp_path: Path) -> None:
    """The daemon's account announces a room; Home Assistant's reads it and presses its buttons."""
    (tmp_path / "sessions").mkdir()
    (tmp_path / "sessions" / "calm.yaml").write_text(
        "title: Calm\nphases:\n  - name: calm\n    duration: 10m\n"
        "    lights: {all: {brightness: 50%}}\n"
    )
    room = tmp_path / f"{HA_PROBE}.yaml"
    room.write_text(
        f"id: {HA_PROBE}\ndevices:\n  lamp: {{type: zigbee2mqtt, topic: zigbee2mqtt/{HA_PROBE}}}\n"
        "home_assistant: {discovery: true}\n"
    )
    roomctl = str(Path(sys.executable).with_name("roomctl"))
    command = [roomctl, "run", "--room", str(room), "--broker", site.url("roomctl"), "--no-sound"]
    command += ["--profiles", str(tmp_path / "sessions"), "--state-dir", str(tmp_path / "state")]
    log = (tmp_path / "roomctl.log").open("wb")
    daemon = subprocess.Popen(command, stdout=log, stderr=subprocess.STDOUT)
    ha = site.account("homeassistant")
    try:
        assert ha.subscribe("homeassistant/#") == 1
        assert ha.subscribe(f"roomctl/{HA_PROBE}/#") == 1
        wait_for(lambda: ha.on(HA_CONFIG), timeout=SERVE_TIMEOUT_S, what="the discovery config")
        cmps = json.loads(ha.on(HA_CONFIG)[-1])["cmps"]
        assert ha.publish("homeassistant/status", "online") in ACCEPTED
        wait_for(lambda: len(ha.on(HA_CONFIG)) >= 2, what="the config announced again")
        choice = cmps["profile_choice"]
        assert ha.publish(choice["command_topic"], "calm", retain=True) in ACCEPTED
        events = f"roomctl/{HA_PROBE}/events"
        for key, kind in (("start_selected", "session_started"), ("pause", "paused"),
                          ("emergency", "emergency")):  # fmt: skip
            button = cmps[key]
            assert ha.publish(button["command_topic"], button["payload_press"]) in ACCEPTED

            def done(k: str = kind) -> bool:
                return any(json.loads(e).get("type") == k for e in ha.on(events))

            wait_for(done, what=f"the {kind} pressed in Home Assistant")
        by = {json.loads(e).get("by") for e in ha.on(events)}
        assert by - {None} == {"home-assistant"}
        # It may not speak for the room or a device.
        for topic in (f"roomctl/{HA_PROBE}/state", f"roomctl/{HA_PROBE}/reply", "zigbee2mqtt/x"):
            assert ha.publish(topic, "{}") == NOT_AUTHORIZED, topic
    finally:
        daemon.send_signal(signal.SIGTERM)
        daemon.wait(timeout=EXIT_TIMEOUT_S)
        log.close()
    # Served no more: ha-remove, on the daemon's account, takes the device away.
    remove = [roomctl, "ha-remove", "--room", HA_PROBE, "--broker", site.url("roomctl")]
    assert subprocess.run(remove, check=False, timeout=60).returncode == 0
    try:
        wait_for(lambda: ha.on(HA_CONFIG)[-1] == b"", what="the config removed")
    finally:
        ha.close()


def test_the_readme_makes_a_console_certificate_the_clinic_ca_signs(tmp_path: Path) -> None:
    """Step 6's certificate lines, as written, after step 3's CA (sudo and owners dropped)."""
    certs, installed = tmp_path / "certs", tmp_path / "console"
    certs.mkdir()
    installed.mkdir()
    readme_tls(certs)
    readme = (ROOT / "README.md").read_text()
    section = readme[readme.index("## Production set-up") :]
    step = section[section.index("# 6. ") :]
    lines = step[step.index("cd /etc/mosquitto/certs") : step.index("cd -")]
    ec = re.search(r"^EC=.*$", section, flags=re.MULTILINE)
    assert ec is not None
    script = f"{ec.group(0)}\n{lines}".replace("sudo ", "")
    script = script.replace("-o roomctl-console -g roomctl-console ", "")
    script = script.replace("/etc/roomctl/console/", f"{installed}/")
    script = script.replace("/etc/mosquitto/certs", str(certs))
    subprocess.run(["bash", "-euc", script], check=True, capture_output=True, timeout=120)
    assert sorted(p.name for p in installed.iterdir()) == ["console.key", "console.pem"]
    assert {oct(p.stat().st_mode & 0o777) for p in installed.iterdir()} == {"0o600"}
    assert not (certs / "console.key").exists()  # only the console's folder keeps the key
    pem = str(installed / "console.pem")
    verified = subprocess.run(
        ["openssl", "verify", "-CAfile", str(certs / "ca.pem"), pem],
        capture_output=True, text=True, check=False, timeout=60,
    )  # fmt: skip
    assert verified.returncode == 0, verified.stderr
    shown = subprocess.run(
        ["openssl", "x509", "-in", pem, "-noout", "-ext", "subjectAltName"],
        capture_output=True, text=True, check=True, timeout=60,
    ).stdout  # fmt: skip
    assert "DNS:console.clinic.lan" in shown


def console_command(users: Path, tls: TlsFiles) -> list[str]:
    """Return roomctl-console.service's ExecStart with its paths moved, on a free port."""
    (command,) = unit_values(CONSOLE_UNIT, "ExecStart")
    moved = {
        "/opt/roomctl/.venv/bin/roomctl": str(Path(sys.executable).with_name("roomctl")),
        "/etc/roomctl/console/users.yaml": str(users),
        "0.0.0.0:443": "127.0.0.1:0",
        "/etc/roomctl/console/console.pem": str(tls.cert),
        "/etc/roomctl/console/console.key": str(tls.key),
    }
    for old, new in moved.items():
        assert old in command, f"roomctl-console.service's ExecStart no longer says {old}"
        command = command.replace(old, new)
    return shlex.split(command)


def test_the_console_service_serves_the_rooms_over_tls_on_its_account(
    site: Site, tmp_path: Path
) -> None:
    if importlib.util.find_spec("roomctl.console") is None:
        pytest.skip("roomctl console is not in this tree (issue 11's console)")
    assert unit_values(CONSOLE_UNIT, "EnvironmentFile") == ["/etc/roomctl/console.env"]
    assert unit_values(CONSOLE_UNIT, "User") == ["roomctl-console"]
    url = filled_url(CONSOLE_ENV, site.broker.port, site.tls.ca)
    assert url.startswith(f"mqtts://{CONSOLE}:")
    users = make_users_file(tmp_path / "users.yaml", [CONSOLE_SUPERVISOR])
    console = ConsoleProcess(
        site.broker,
        users,
        tmp_path / "console",
        cert=site.tls.cert,
        key=site.tls.key,
        ca=site.tls.ca,
        argv=console_command(users, site.tls),
        env={"ROOMCTL_BROKER": url, "HOME": str(tmp_path / "no-home")},
    )
    console.start()
    try:
        arguments = Path(f"/proc/{console.process.pid}/cmdline").read_bytes()  # type: ignore[union-attr]
        assert password(CONSOLE).encode() not in arguments
        with console.client() as http:
            login_api(http, CONSOLE_SUPERVISOR)
            (cookie,) = [c for c in http.cookies.jar if c.name == "roomctl_session"]
            assert cookie.secure  # served over TLS
            room = wait_for(
                lambda: next(
                    (r for r in http.get("/api/rooms").json() if r["room"] == ROOM_ID), None
                ),
                timeout=SERVE_TIMEOUT_S,
                what="room-1 on the console",
            )
            assert room["availability"] == "online"
            assert room["state"]["room"] == ROOM_ID
            sent = http.post(
                f"/api/rooms/{ROOM_ID}/commands", json={"action": "extend", "by": "1s"}
            )
            assert sent.status_code == 200, sent.text
            assert isinstance(sent.json()["ok"], bool)
    finally:
        # systemd counts an exit with 0 or by SIGTERM as a clean stop of a service.
        assert console.stop() in (0, -signal.SIGTERM)
    log = (site.broker.workdir / "mosquitto.log").read_text().splitlines()
    assert [line for line in log if "Denied PUBLISH from roomctl-console-" in line] == []
    assert password(CONSOLE) not in console.log.read_text()


def test_the_units_pass_systemd_analyze_verify(tmp_path: Path) -> None:
    analyze = shutil.which("systemd-analyze")
    if analyze is None:
        pytest.skip("systemd-analyze is not installed")
    # The unit names /opt/roomctl's install; here the checkout's stands in for it.
    for unit in (UNIT, PULSE_UNIT, CONSOLE_UNIT):
        text = unit.read_text().replace(
            "/opt/roomctl/.venv/bin/roomctl", str(Path(sys.executable).with_name("roomctl"))
        )
        (tmp_path / unit.name).write_text(text)
    result = subprocess.run(
        [analyze, "verify", *(str(tmp_path / u.name) for u in (UNIT, PULSE_UNIT, CONSOLE_UNIT))],
        capture_output=True, text=True, check=False, timeout=60,
    )  # fmt: skip
    assert (result.returncode, result.stderr) == (0, "")


def test_the_service_reads_the_shipped_alsa_configuration() -> None:
    assert unit_environment(UNIT)["ALSA_CONFIG_PATH"] == "/etc/roomctl/alsa.conf"
    readme = (ROOT / "README.md").read_text()
    assert "sudo install -m 0644 deploy/roomctl-alsa.conf /etc/roomctl/alsa.conf" in readme


def test_the_password_is_not_on_the_command_line(site: Site) -> None:
    arguments = Path(f"/proc/{site.roomctl.pid}/cmdline").read_bytes().split(b"\0")
    assert not [a for a in arguments if password("roomctl").encode() in a]
    assert "ROOMCTL_BROKER" in env_file(DEPLOY / "roomctl.env.example")
    assert unit_values(UNIT, "EnvironmentFile") == ["/etc/roomctl/roomctl.env"]


def test_sim_devices_script_runs_each_type_with_its_account(site: Site) -> None:
    """The README's `scripts/sim_devices.py` line, as written (last: it adds lights)."""
    script = ROOT / "scripts" / "sim_devices.py"
    assert os.access(script, os.X_OK)
    (site.state_dir.parent / "sim-room").mkdir(exist_ok=True)
    room = production_room(site.state_dir.parent / "sim-room")
    command = [sys.executable, str(script), str(room)]
    for kind, user in DEVICE_ACCOUNTS.items():
        command += ["--broker-for", f"{kind}={site.url(user)}"]
    process = subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL)
    lines: list[str] = []
    assert process.stdout is not None
    reader = threading.Thread(
        target=lambda: lines.extend(line.decode() for line in process.stdout or ()), daemon=True
    )
    reader.start()
    try:
        ready = wait_for(
            lambda: [line for line in lines if "simulated lights of room-1" in line],
            timeout=SERVE_TIMEOUT_S,
            what="the simulated lights on their accounts",
        )
        assert ready[0].startswith("5 simulated lights of room-1 on mqtts://mqtt-json:***@")
        assert password("tasmota") not in "".join(lines)
    finally:
        process.send_signal(signal.SIGTERM)
        assert process.wait(timeout=EXIT_TIMEOUT_S) == 0


def test_the_readme_makes_a_password_for_every_acl_account() -> None:
    readme = (ROOT / "README.md").read_text()
    loop = re.search(r"^for user in (.*); do$", readme, flags=re.MULTILINE)
    assert loop is not None
    assert loop.group(1).split() == acl_users()
