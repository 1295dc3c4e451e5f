"""`roomctl contract`: a valid AsyncAPI 3.0.0 document that the README's examples match."""

from __future__ import annotations

import copy
import json
import re
import subprocess
import sys
from pathlib import Path
from typing import Any

import jsonschema
import pytest
from ruamel.yaml import YAML

from roomctl.api import ASYNCAPI_VERSION, EVENT_TYPES, asyncapi_document

ROOT = Path(__file__).resolve().parent.parent
README = ROOT / "README.md"
# The official schema of AsyncAPI 3.0.0 documents (source and licence beside it).
META_SCHEMA = Path(__file__).resolve().parent / "data" / "asyncapi-3.0.0-schema.json"
# Starting Python takes about a second; a loaded CI machine may take longer.
PROCESS_TIMEOUT_S = 30.0


@pytest.fixture(scope="module")
def document() -> dict[str, Any]:
    return asyncapi_document()


@pytest.fixture(scope="module")
def meta() -> jsonschema.Draft7Validator:
    schema = json.loads(META_SCHEMA.read_text())
    assert schema["title"] == "AsyncAPI 3.0.0 schema."
    return jsonschema.Draft7Validator(schema)


def _errors(validator: jsonschema.Draft7Validator, instance: object) -> list[str]:
    return [
        f"{'/'.join(map(str, e.absolute_path))}: {e.message[:200]}"
        for e in validator.iter_errors(instance)
    ]


def _payload_validator(document: dict[str, Any], schema_name: str) -> jsonschema.Draft7Validator:
    """Return a validator of one payload schema, its references resolved in the document."""
    root = {"$ref": f"#/components/schemas/{schema_name}", "components": document["components"]}
    return jsonschema.Draft7Validator(root)


def test_the_document_is_valid_asyncapi_3(
    document: dict[str, Any], meta: jsonschema.Draft7Validator
) -> None:
    assert document["asyncapi"] == ASYNCAPI_VERSION == "3.0.0"
    assert _errors(meta, document) == []


@pytest.mark.parametrize(
    ("what", "break_it"),
    [
        (
            "a payload schema of no type",
            lambda d: d["components"]["schemas"]["Reply"].update(type=5),
        ),
        ("an AsyncAPI 2 action", lambda d: d["operations"]["sendState"].update(action="publish")),
        ("a channel's topic not as `address`", lambda d: d["channels"]["state"].update(topic="x")),
        ("an unknown top-level field", lambda d: d.update(topics={})),
    ],
)
def test_a_broken_document_is_refused(
    document: dict[str, Any], meta: jsonschema.Draft7Validator, what: str, break_it: Any
) -> None:
    broken = copy.deepcopy(document)
    break_it(broken)
    assert _errors(meta, broken), what


def test_every_reference_resolves(document: dict[str, Any]) -> None:
    refs = re.findall(r'"\$ref": "#/([^"]+)"', json.dumps(document))
    assert refs
    for ref in refs:
        node: Any = document
        for part in ref.split("/"):
            assert part in node, ref
            node = node[part]


def _readme_api() -> str:
    """Return the README's MQTT API section, its subsections included."""
    text = README.read_text()
    start = text.index("\n## MQTT API")
    return text[start : text.index("\n## ", start + 1)]


def test_every_topic_of_the_readme_is_a_channel(document: dict[str, Any]) -> None:
    table = re.findall(r"^\| `(roomctl/[^`]+)` \|", _readme_api(), re.MULTILINE)
    assert len(table) == 7
    addresses = {channel["address"] for channel in document["channels"].values()}
    assert {topic.replace("/R/", "/{room}/") for topic in table} <= addresses
    assert "roomctl/replies/{client}" in addresses  # the response topics


def test_every_event_type_of_the_readme_has_a_message(document: dict[str, Any]) -> None:
    prose = _readme_api().split("Events carry", 1)[1].split("### Promises", 1)[0]
    spans = re.findall(r"`([^`]+)`", prose)
    named = {name.strip() for span in spans for name in span.split(",")}
    fields = {"ts", "room", "session_id"} | {f for e in EVENT_TYPES for f in e.model_fields}
    published = {e.model_fields["type"].default for e in EVENT_TYPES}
    assert len(named - fields) > 10
    named -= fields
    assert named == published
    assert set(document["channels"]["events"]["messages"]) == published


def _without_ellipses(value: Any) -> Any:
    """Return an example without its "..." list items (the README's "and so on")."""
    if isinstance(value, list):
        return [_without_ellipses(v) for v in value if v != "..."]
    if isinstance(value, dict):
        return {k: _without_ellipses(v) for k, v in value.items()}
    return value


def _readme_examples() -> list[tuple[str, Any]]:
    """Return every JSON example of the API section: code blocks, and inline objects."""
    section = _readme_api()
    examples: list[tuple[str, Any]] = []
    for block in re.findall(r"```json\n(.*?)```", section, re.DOTALL):
        try:
            examples.append((block, json.loads(block)))
        except json.JSONDecodeError:  # one object a line
            examples += [(line, json.loads(line)) for line in block.splitlines() if line.strip()]
    prose = re.sub(r"```.*?```", "", section, flags=re.DOTALL)
    for span in re.findall(r"`([^`]*\{[^`]*)`", prose):
        if re.search(r",\s*\.\.\.\s*\}", span):
            continue  # a shorthand, like {"action": "emergency", ...}
        text = span if span.startswith("{") else "{" + span + "}"
        examples.append((span, json.loads(text)))
    return [(text, _without_ellipses(value)) for text, value in examples]


def _schema_of(example: dict[str, Any]) -> tuple[str, Any]:
    """Return the payload schema an example is of, and the part of it that schema checks."""
    if "point_fields" in example:
        return "Catalog", example
    if "action" in example:
        return f"{str(example['action']).capitalize()}Command", example
    if "ok" in example and "status" in example:
        return ("HistoryReply" if "sessions" in example else "Reply"), example
    if "room" in example and "status" in example:
        return "RoomState", example
    if "type" in example and "ts" in example:
        (event,) = [e for e in EVENT_TYPES if e.model_fields["type"].default == example["type"]]
        return event.__name__, example
    wrapped = {"journal": "JournalProblem", "manual": "LightLevelFields"}
    if len(example) == 1 and next(iter(example)) in wrapped:
        (key,) = example
        return wrapped[key], example[key]
    raise AssertionError(f"the test cannot place this README example: {example}")


def test_every_json_example_of_the_readme_matches_its_payload_schema(
    document: dict[str, Any],
) -> None:
    examples = _readme_examples()
    placed = {_schema_of(value)[0] for _, value in examples}
    # Commands, replies, the state and its parts: a parsing slip cannot leave them unchecked.
    assert {"StartCommand", "PauseCommand", "ExtendCommand", "Reply", "RoomState"} <= placed
    assert {"JournalProblem", "LightLevelFields", "Catalog"} <= placed
    for text, value in examples:
        name, payload = _schema_of(value)
        assert _errors(_payload_validator(document, name), payload) == [], text


def test_a_payload_against_its_contract_can_fail(document: dict[str, Any]) -> None:
    cue = {"type": "cue", "ts": "2026-11-26T14:03:11.201Z", "room": "room-1"}
    cue |= {"phase": "onset", "notify": "Check blood pressure", "at_s": 722.0, "late_s": 0.0}
    assert _errors(_payload_validator(document, "Cue"), cue) == []
    untyped = {k: v for k, v in cue.items() if k != "type"}
    assert _errors(_payload_validator(document, "Cue"), untyped)
    assert _errors(_payload_validator(document, "Reply"), {"ok": True, "status": "asleep"})
    assert _errors(_payload_validator(document, "ExtendCommand"), {"action": "extend"})
    assert _errors(
        _payload_validator(document, "StartCommand"), {"action": "start", "profile": "a/b"}
    )


def test_the_examples_in_the_document_match_their_payloads(document: dict[str, Any]) -> None:
    checked = 0
    for name, message in document["components"]["messages"].items():
        for example in message.get("examples", []):
            assert _errors(_payload_validator(document, name), example["payload"]) == [], name
            checked += 1
    assert checked >= 5


def test_roomctl_contract_prints_the_document() -> None:
    result = subprocess.run(
        [sys.executable, "-m", "roomctl", "contract"],
        capture_output=True,
        text=True,
        timeout=PROCESS_TIMEOUT_S,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    printed = json.loads(result.stdout)
    assert printed["asyncapi"] == "3.0.0"
    assert printed == asyncapi_document()


def test_roomctl_contract_prints_yaml_too() -> None:
    result = subprocess.run(
        [sys.executable, "-m", "roomctl", "contract", "--format", "yaml"],
        capture_output=True,
        text=True,
        timeout=PROCESS_TIMEOUT_S,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    assert YAML(typ="safe").load(result.stdout) == asyncapi_document()
