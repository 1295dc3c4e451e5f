"""Device adapters: each light's protocol, its fade strategy and its network's rate."""

from __future__ import annotations
