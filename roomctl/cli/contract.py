"""`roomctl contract`: print the AsyncAPI 3.0 document of the MQTT API."""

from __future__ import annotations

import io
import json
import logging

import click
from ruamel.yaml import YAML

from roomctl.api import asyncapi_document
from roomctl.cli.group import cli

_LOGGER = logging.getLogger(__name__)


@cli.command("contract")
@click.option(
    "--format",
    "fmt",
    type=click.Choice(["json", "yaml"]),
    default="json",
    show_default=True,
    help="Print the document as JSON or as YAML.",
)
def contract(fmt: str) -> None:
    """Print the AsyncAPI 3.0 document of every MQTT topic and payload roomctl uses."""
    text = json.dumps(asyncapi_document(), indent=2, ensure_ascii=False)
    if fmt == "json":
        click.echo(text)
        return
    yaml = YAML()
    yaml.default_flow_style = False
    out = io.StringIO()
    yaml.dump(json.loads(text), out)  # parts the document shares become copies, not aliases
    click.echo(out.getvalue(), nl=False)
