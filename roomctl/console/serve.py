"""Serve a console app on a listening socket with uvicorn, over TLS when given a certificate."""

from __future__ import annotations

import asyncio
import signal
import socket
from dataclasses import dataclass

import uvicorn
from fastapi import FastAPI

from roomctl.errors import RoomctlError

DEFAULT_LISTEN = "127.0.0.1:8080"
# How long a stop waits for open pages' live streams before closing them.
GRACEFUL_STOP_S = 2
# Connections the kernel holds before the server accepts them (uvicorn's own default).
LISTEN_BACKLOG = 2048


class ListenError(RoomctlError):
    """The console cannot listen where it was asked to."""


@dataclass(frozen=True, slots=True)
class Listener:
    """A bound, listening socket and the URL it answers on."""

    sock: socket.socket
    url: str


def parse_listen(text: str) -> tuple[str, int]:
    """Return HOST and PORT of "HOST:PORT"; raise ValueError with the expected form."""
    host, _, port = text.rpartition(":")
    if not host or not port.isdigit():
        raise ValueError(f"expected HOST:PORT, like {DEFAULT_LISTEN}, not {text!r}")
    return host.strip("[]"), int(port)


def listen(host: str, port: int, tls: bool) -> Listener:
    """Bind and listen now, so the URL answers as soon as it is shown; port 0 takes a free one."""
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    sock = socket.socket(family, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    try:
        sock.bind((host, port))
    except OSError as error:
        sock.close()
        raise ListenError(f"cannot listen on {host}:{port}: {error}") from None
    # Connections wait in the kernel's queue until the server takes them.
    sock.listen(LISTEN_BACKLOG)
    shown = f"[{host}]" if ":" in host else host
    scheme = "https" if tls else "http"
    return Listener(sock, f"{scheme}://{shown}:{sock.getsockname()[1]}/")


class _Stopped(Exception):  # noqa: N818 - the outcome of SIGTERM, not a fault
    """SIGTERM arrived after the server's graceful stop."""


def _stopped(_signal: int, _frame: object) -> None:
    raise _Stopped


def serve(app: FastAPI, listener: Listener, cert: str | None, key: str | None) -> None:
    """Serve app on the listener until SIGINT or SIGTERM, then return."""
    config = uvicorn.Config(
        app,
        ssl_certfile=cert,
        ssl_keyfile=key,
        log_level="warning",
        access_log=False,
        timeout_graceful_shutdown=GRACEFUL_STOP_S,
    )
    # uvicorn stops gracefully on either signal, then raises it again for the handler it
    # found: these handlers make that a plain return, so the caller's clean-up runs.
    previous = signal.signal(signal.SIGTERM, _stopped)
    try:
        asyncio.run(uvicorn.Server(config).serve(sockets=[listener.sock]))
    except (KeyboardInterrupt, _Stopped):
        pass
    finally:
        signal.signal(signal.SIGTERM, previous)
