"""The core imports nothing from the edges: only the API, the models and itself."""

from __future__ import annotations

import ast
import subprocess
import sys
from pathlib import Path

import roomctl.core

CORE = Path(roomctl.core.__file__).parent
# What a core module may import from roomctl: the typed contract, the models, the core.
ALLOWED = ("roomctl.api", "roomctl.core", "roomctl.models")
# Libraries that do I/O (MQTT, YAML, the disk, sound, timers): none belongs in the core.
IO_LIBRARIES = ("paho", "yaml", "ruamel", "sqlite3", "pyaudio", "socket", "threading")
EDGES = ("runtime", "mqtt", "config", "journal", "devices", "audio", "cli", "demo", "logs")
# What loading the core may pull in through the models: a room preset's lights are typed by
# their device type's spec, which lives in that type's one module with its adapter (pure
# translation into Message values), so roomctl.devices loads, but never the I/O below.
THROUGH_MODELS = ("devices",)
IO_LOADED = ("paho", "sqlite3", "pyaudio", "soundfile", "ruamel")


def imported(path: Path) -> list[str]:
    """Return the modules a source file imports, relative imports made absolute."""
    package = "roomctl." + ".".join(path.relative_to(CORE.parent).with_suffix("").parts[:-1])
    names: list[str] = []
    for node in ast.walk(ast.parse(path.read_text(), str(path))):
        if isinstance(node, ast.Import):
            names += [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                parts = package.split(".")
                base = ".".join(parts[: len(parts) - node.level + 1] + ([base] if base else []))
            names.append(base)
    return names


def refused(name: str) -> bool:
    """Tell whether a core module may not import `name`."""
    if name.split(".", maxsplit=1)[0] in IO_LIBRARIES:
        return True
    allowed = any(name == home or name.startswith(home + ".") for home in ALLOWED)
    return name.split(".", maxsplit=1)[0] == "roomctl" and not allowed


def test_the_rule_refuses_an_edge_and_allows_the_contract() -> None:
    assert refused("roomctl.runtime.lights") and refused("roomctl.journal")
    assert refused("paho.mqtt.client") and refused("roomctl")
    assert not refused("roomctl.api.events") and not refused("roomctl.models")
    assert not refused("math") and refused("roomctl.apiary")


def test_no_core_module_imports_an_edge() -> None:
    modules = sorted(CORE.rglob("*.py"))
    assert len(modules) > 10  # the walk found the core
    found = {
        f"{path.relative_to(CORE.parent)}: {name}"
        for path in modules
        for name in imported(path)
        if refused(name)
    }
    assert found == set()


def test_loading_the_core_loads_no_edge() -> None:
    names = [
        "roomctl.core." + ".".join(p.relative_to(CORE).with_suffix("").parts)
        for p in sorted(CORE.rglob("*.py"))
        if p.name != "__init__.py"
    ]
    code = (
        "import importlib, sys\n"
        f"for name in {names!r}: importlib.import_module(name)\n"
        "print('\\n'.join(sorted(sys.modules)))\n"
    )
    run = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    loaded = run.stdout.split()
    assert "roomctl.core.room" in loaded
    edges = [
        m
        for m in loaded
        if m.split(".")[:2] in [["roomctl", e] for e in EDGES if e not in THROUGH_MODELS]
    ]
    assert edges == []
    assert [m for m in loaded if m.split(".")[0] in IO_LOADED] == []


def test_the_cores_lazy_names_are_its_public_names_and_each_loads() -> None:
    # roomctl.core lists its names three times (the lazy map, the type checkers' imports,
    # __all__) to avoid an import cycle: this keeps the lists from drifting apart.
    home = roomctl.core._HOME
    assert sorted(roomctl.core.__all__) == sorted(home)
    for name, module in home.items():
        assert getattr(roomctl.core, name) is getattr(__import__(module, fromlist=[name]), name)
    source = (CORE / "__init__.py").read_text()
    typed = {
        alias.asname or alias.name
        for node in ast.walk(ast.parse(source))
        if isinstance(node, ast.ImportFrom) and (node.module or "").startswith("roomctl.core.")
        for alias in node.names
    }
    assert typed == set(home)
