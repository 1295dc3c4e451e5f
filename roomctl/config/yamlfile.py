"""Clinic YAML files read with line numbers, so every problem can name its line."""

from __future__ import annotations

import logging
import threading
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from ruamel.yaml import YAML
from ruamel.yaml.comments import CommentedMap, CommentedSeq, TaggedScalar
from ruamel.yaml.error import MarkedYAMLError, YAMLError
from ruamel.yaml.nodes import MappingNode, Node, ScalarNode, SequenceNode

from roomctl.config.problems import Problem, Severity

_LOGGER = logging.getLogger(__name__)

Loc = Sequence[str | int]
_MERGE_TAG = "tag:yaml.org,2002:merge"
_NUMBER_TAGS = ("tag:yaml.org,2002:int", "tag:yaml.org,2002:float")


@dataclass(frozen=True)
class YamlDocument:
    """A YAML file's content as plain Python values, with the tree that knows every line."""

    path: Path
    data: dict[str, Any]
    tree: CommentedMap

    def line_of(self, loc: Loc) -> int:
        """Return the 1-based line of the deepest node `loc` reaches in this document.

        A segment the document lacks is skipped when the next one is there (pydantic adds
        union tags such as `setting` or `tasmota` that are no keys); otherwise the path has
        left the document and the line is that of the last mapping it reached.
        """
        return _walk(self.tree, loc)[0]

    def field_path(self, loc: Loc) -> str:
        """Return `loc` as a field path like `phases[1].lights.lamp`, without union tags."""
        return format_path(_walk(self.tree, loc)[1])

    def problem(self, loc: Loc, message: str, severity: Severity = "error") -> Problem:
        """Return a problem at the line and field path `loc` reaches."""
        line, keys = _walk(self.tree, loc)
        return Problem(self.path, line, format_path(keys), message, severity)


def format_path(keys: Loc) -> str:
    """Return keys as `a.b[2].c`."""
    text = ""
    for key in keys:
        text += f"[{key}]" if isinstance(key, int) else (f".{key}" if text else str(key))
    return text


def _walk(tree: CommentedMap, loc: Loc) -> tuple[int, list[str | int]]:
    """Follow loc through the tree; return the line reached and the keys that exist."""
    node: object = tree
    line = tree.lc.line + 1
    keys: list[str | int] = []
    for index, segment in enumerate(loc):
        rest = loc[index + 1 :]
        if isinstance(node, CommentedMap):
            if segment in node:
                line = _key_line(node, segment, line)
                keys.append(segment)
                node = node[segment]
            elif not rest or rest[0] not in node:
                # Missing from the document: the line stays its parent's.
                keys.extend(loc[index:])
                break
        elif isinstance(node, CommentedSeq):
            if isinstance(segment, int) and 0 <= segment < len(node):
                line = node.lc.item(segment)[0] + 1
                keys.append(segment)
                node = node[segment]
        else:
            break
    return line, keys


def _key_line(mapping: CommentedMap, key: object, fallback: int) -> int:
    """Return the 1-based line of a key; keys that came from a merge (`<<`) have none."""
    position = mapping.lc.data.get(key)
    return int(position[0]) + 1 if position else fallback


def read_yaml(path: Path) -> tuple[YamlDocument | None, list[Problem]]:
    """Read a YAML 1.2 mapping; return it (None if unusable) and every problem found.

    Syntax errors, duplicate keys and a top level that is no mapping become problems with
    their line. YAML 1.2 keeps `off`, `yes` and `01:30:00` as the strings a clinic wrote.
    """
    text, unreadable = _read_text(path)
    if unreadable is not None:
        return None, [unreadable]
    try:
        tree = _round_trip().load(text)
    except MarkedYAMLError as error:
        return None, [_syntax_problem(path, error)]
    except YAMLError as error:
        return None, [Problem(path, 1, "", f"YAML error: {error}")]
    except (ValueError, TypeError) as error:  # `!!int`/`!!float` on a value that is none
        line = _tagged_value_line(text, str(error))
        message = f"YAML error: a tagged value cannot be read ({error}): fix it or drop the tag"
        return None, [Problem(path, line, "", message)]
    problems = _duplicate_keys(path, text)
    if not isinstance(tree, CommentedMap):
        found = "the file is empty" if tree is None else f"found {_kind(tree)}"
        return None, [*problems, Problem(path, 1, "", f"expected a mapping of fields: {found}")]
    data = to_plain(tree)
    assert isinstance(data, dict)
    return YamlDocument(path, data, tree), problems


def _read_text(path: Path) -> tuple[str, Problem | None]:
    """Return the file's UTF-8 text, or why it cannot be read as text."""
    try:
        raw = path.read_bytes()
    except OSError as error:
        return "", Problem(path, 0, "", f"cannot read the file: {error}")
    try:
        return raw.decode("utf-8"), None
    except UnicodeDecodeError as error:
        return "", _encoding_problem(path, raw, error)


def _kind(value: object) -> str:
    return "a list" if isinstance(value, list) else f"the single value {to_plain(value)!r}"


# A YAML instance per thread: making one looks for plug-ins on disk (a glob over
# sys.path, the most of a small file's load), and one instance is not safe to share
# between threads (rooms load profiles from their own threads).
_PARSERS = threading.local()


def _round_trip() -> YAML:
    """Return this thread's round-trip parser, which keeps duplicate keys for _duplicate_keys."""
    yaml: YAML | None = getattr(_PARSERS, "yaml", None)
    if yaml is None:
        yaml = YAML(typ="rt")
        # Duplicates are found on the composed nodes instead, all of them with their lines.
        yaml.allow_duplicate_keys = True
        _PARSERS.yaml = yaml
    return yaml


def _syntax_problem(path: Path, error: MarkedYAMLError) -> Problem:
    """Return the syntax error at its line: what to do first, the reader's words after."""
    mark = error.problem_mark or error.context_mark
    line = mark.line + 1 if mark is not None else 1
    said = str(error.problem or error.context)
    if error.context and error.problem and error.context_mark is not None:
        started = error.context_mark.line + 1
        if started != line:
            said += f" ({error.context} that starts on line {started})"
    fix = next((fix for clue, fix in _SYNTAX_FIXES if clue in said), None)
    message = f"{fix} (the YAML reader said: {said})" if fix else said
    return Problem(path, line, "", f"YAML syntax error: {message}")


# The reader's words for the slips a person makes by hand, and what to do about each.
_SYNTAX_FIXES = (
    ("'\\t'", "use spaces, not tabs: replace the tab on this line with spaces"),
    ("tab character", "use spaces, not tabs: replace the tab on this line with spaces"),
    (
        "mapping values are not allowed here",
        "quote text that contains ': ' (like note: \"dose: 40 mg\"), or indent this "
        "line like the other fields at its level",
    ),
    (
        "expected <block end>",
        "this line is indented differently from the lines above: line it up, with "
        "spaces, with the other fields at its level",
    ),
    (
        "could not find expected ':'",
        "write each field as name: value, and quote text that spans lines",
    ),
    (
        "found unexpected end of stream",
        "a quote is opened and never closed: close it at the end of its text",
    ),
    (
        "while scanning a quoted scalar",
        "a quote is opened and never closed: close it at the end of its text",
    ),
    (
        "found undefined alias",
        "an *alias names no &anchor above it: define the anchor first or quote the text",
    ),
)
# A share of undecodable bytes above this is a binary file, not text saved in another
# encoding (a Latin-1 file has a few accented letters among plain ASCII).
_BINARY_SHARE = 0.05


def _encoding_problem(path: Path, raw: bytes, error: UnicodeDecodeError) -> Problem:
    """Return why the bytes are no UTF-8 text, at the line of the first bad byte."""
    line = raw[: error.start].count(b"\n") + 1
    bad = raw.decode("utf-8", errors="replace").count("\ufffd")
    said = f"the reader said: {error}"
    if b"\0" in raw or bad > _BINARY_SHARE * len(raw):
        message = (
            "this is not a text file: a room or profile is text written in an editor; "
            f"is this the right file? ({said})"
        )
        return Problem(path, 0, "", message)
    byte = raw[error.start]
    message = (
        f"byte 0x{byte:02x} on this line is not UTF-8 text: save the file as UTF-8 "
        f"(in the editor's Save As or encoding menu) ({said})"
    )
    return Problem(path, line, "", message)


def _duplicate_keys(path: Path, text: str) -> list[Problem]:
    """Return a problem at every repeated key of a mapping, at the repeat's line."""
    root = _round_trip().compose(text)
    problems: list[Problem] = []
    seen: set[int] = set()
    stack: list[tuple[Node, list[str | int]]] = [(root, [])] if root is not None else []
    while stack:
        node, keys = stack.pop()
        if id(node) in seen:
            continue
        seen.add(id(node))
        if isinstance(node, MappingNode):
            first: dict[tuple[str, str], int] = {}
            for key, value in node.value:
                identity = (_tag_name(key), str(key.value))
                if isinstance(key, ScalarNode) and identity[0] != _MERGE_TAG:
                    line = key.start_mark.line + 1
                    if identity in first:
                        message = _duplicate(identity[1], first[identity])
                        where = format_path([*keys, identity[1]])
                        problems.append(Problem(path, line, where, message))
                    else:
                        first[identity] = line
                stack.append((value, [*keys, str(key.value)]))
        elif isinstance(node, SequenceNode):
            stack.extend((item, [*keys, i]) for i, item in enumerate(node.value))
    return problems


def _tagged_value_line(text: str, error: str) -> int:
    """Return the line of the first number-tagged value that the error names (else 1)."""
    root = _round_trip().compose(text)
    queue: list[Node] = [root] if root is not None else []
    while queue:
        node = queue.pop(0)
        if isinstance(node, ScalarNode):
            if _tag_name(node) in _NUMBER_TAGS and repr(str(node.value)) in error:
                return int(node.start_mark.line) + 1
        elif isinstance(node, MappingNode):
            queue.extend(item for pair in node.value for item in pair)
        elif isinstance(node, SequenceNode):
            queue.extend(node.value)
    return 1


def _tag_name(node: Node) -> str:
    """Return a node's tag as text (ruamel 0.18 wraps it in a Tag, 0.19 gives a str)."""
    return str(getattr(node.tag, "value", node.tag))


def _duplicate(key: str, original: int) -> str:
    return (
        f"duplicate key '{key}': it is already given on line {original}; "
        "keep one (only the first counts)"
    )


def to_plain(value: object) -> object:
    """Return ruamel's round-trip values as plain dicts, lists, str, int, float and bool."""
    if isinstance(value, dict):
        return {to_plain(k): to_plain(v) for k, v in value.items()}
    if isinstance(value, list):
        return [to_plain(item) for item in value]
    if isinstance(value, TaggedScalar):
        return str(value.value)
    # ruamel's ScalarBoolean, ScalarInt, ScalarFloat and string kinds subclass these.
    for plain in (bool, int, float, str):
        if isinstance(value, plain):
            return plain(value)
    return value
