#!/usr/bin/env python3
"""Echo messages back through the broker: the far end of the MQTT round-trip baseline.

Run as `python -m bench.echo --broker URL`: plain paho clients in their own
process, as the daemon is, that republish at QoS 1 (what roomctl uses for commands and
replies) each payload they receive:

- `bench/echo/ping` -> `bench/echo/pong`, from a client with TCP_NODELAY set: the
  broker's and the network's own round trip, the floor any client can reach;
- `bench/echo/ping-default` -> `bench/echo/pong-default`, from a client with paho's
  defaults (Nagle's algorithm on), as roomctl's bus connects today.

It prints `ready` once both are subscribed and runs until stdin closes.
"""

from __future__ import annotations

import sys
import threading
from typing import Any

import paho.mqtt.client as mqtt
from paho.mqtt.enums import CallbackAPIVersion

from bench.supervisor import ECHOES
from roomctl.mqtt import CONNECT_TIMEOUT_S, no_delay, parse_broker_url

# Echoes travel at QoS 1, as roomctl's commands and replies do.
QOS = 1


def _echo(host: str, port: int, ping: str, pong: str, nodelay: bool) -> mqtt.Client:
    ready = threading.Event()
    client = mqtt.Client(CallbackAPIVersion.VERSION2, client_id=f"roomctl-bench-echo-{nodelay}")
    if nodelay:
        client.on_socket_open = no_delay

    def on_connect(c: mqtt.Client, _u: Any, _f: Any, _r: Any, _p: Any) -> None:
        c.subscribe(ping, QOS)

    def on_subscribe(_c: mqtt.Client, _u: Any, _m: int, _r: Any, _p: Any) -> None:
        ready.set()

    def on_message(c: mqtt.Client, _u: Any, message: mqtt.MQTTMessage) -> None:
        c.publish(pong, message.payload, QOS)

    client.on_connect = on_connect
    client.on_subscribe = on_subscribe
    client.on_message = on_message
    client.connect(host, port)
    client.loop_start()
    if not ready.wait(CONNECT_TIMEOUT_S):
        raise RuntimeError("echo: the broker did not answer")
    return client


def main() -> int:
    """Echo until stdin closes."""
    if len(sys.argv) != 3 or sys.argv[1] != "--broker":
        print("usage: python -m bench.echo --broker URL", file=sys.stderr)
        return 2
    url = parse_broker_url(sys.argv[2])
    clients = [_echo(url.host, url.port, *echo) for echo in ECHOES]
    print("ready", flush=True)
    sys.stdin.read()
    for client in clients:
        client.disconnect()
        client.loop_stop()
    return 0


if __name__ == "__main__":
    sys.exit(main())
