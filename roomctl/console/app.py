"""The console's ASGI application: pages, API, live stream and static files."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path

from fastapi import FastAPI
from fastapi.staticfiles import StaticFiles

from roomctl import __version__
from roomctl.console import api, live, pages, record, record_pages
from roomctl.console.auth import Console
from roomctl.console.places import Layout
from roomctl.console.security import SecurityHeaders
from roomctl.console.sender import Sender
from roomctl.console.users import UsersFile
from roomctl.console.watcher import Watcher
from roomctl.mqtt.broker_url import BrokerUrl


def create_app(url: BrokerUrl, users: Path, secure: bool, layout: Layout | None = None) -> FastAPI:
    """Return the console for a broker (some sites' rooms at a central one) and a users file."""
    watcher = Watcher(url, layout)
    console = Console(watcher, Sender(watcher), UsersFile(users), secure)
    console.users.users()  # a broken users file stops the console before it serves

    @asynccontextmanager
    async def lifespan(_app: FastAPI) -> AsyncIterator[None]:
        watcher.start(asyncio.get_running_loop())
        try:
            yield
        finally:
            watcher.stop()

    app = FastAPI(
        title="roomctl console",
        version=__version__,
        openapi_url="/api/openapi.json",
        docs_url=None,  # the docs pages load scripts from a CDN, which the CSP refuses
        redoc_url=None,
        lifespan=lifespan,
    )
    app.state.console = console
    app.add_middleware(SecurityHeaders)
    app.add_exception_handler(pages._Login, pages.login_redirect)
    app.include_router(api.router)
    app.include_router(record.router)
    app.include_router(live.router)
    app.include_router(pages.router)
    app.include_router(record_pages.router)
    app.mount("/static", StaticFiles(directory=Path(__file__).parent / "static"), name="static")
    return app
