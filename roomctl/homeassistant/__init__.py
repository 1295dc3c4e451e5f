"""Home Assistant: each room announced as a device through MQTT discovery, and its buttons."""

from __future__ import annotations
