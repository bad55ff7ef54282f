"""A minimal Reflex browser stand-in: Socket.IO over one websocket, no page.

It speaks what the compiled frontend speaks (reflex_base/.templates/web/utils/
state.js): Engine.IO v4 over a websocket to `/_event/?EIO=4&transport=websocket
&token=<client token>`, a Socket.IO CONNECT to the `/_event` namespace whose
auth carries the hydrate event (`{"event": ..., "state_schema": ...}`), then
`["event", {name, payload, router_data}]` messages up and `["event", {delta,
events}]` updates down. Engine.IO pings ("2") are answered ("3").

python-socketio's asyncio client needs aiohttp, which is not installed; this
uses wsproto (already in the venv, under python-engineio) on asyncio streams.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import time
import uuid
from collections.abc import Callable
from typing import Any

from wsproto import ConnectionType, WSConnection
from wsproto.events import (
    AcceptConnection,
    BytesMessage,
    CloseConnection,
    Ping,
    RejectConnection,
    Request,
    TextMessage,
)
from wsproto.utilities import LocalProtocolError

NAMESPACE = "/_event"
ROOT_STATE = "reflex___state____state"
HYDRATE = f"{ROOT_STATE}.hydrate_and_load"
IS_HYDRATED = "is_hydrated_rx_state_"

Update = dict[str, Any]


def router_data(path: str, query: str = "") -> dict[str, Any]:
    """What `withRouterData` in state.js puts on every event."""
    data: dict[str, Any] = {"pathname": path, "asPath": path + (f"?{query}" if query else "")}
    if query:
        data["query"] = dict(part.split("=", 1) for part in query.split("&"))
    return data


def hydrate_event(path: str, hashes: list[str] | None = None) -> dict[str, Any]:
    """`app.initialEvents(first)[0]`: hydrate and the page's on_load, in one event."""
    payload: dict[str, Any] = {}
    if hashes:
        payload["hashes"] = hashes
    return {"name": HYDRATE, "payload": payload, "router_data": router_data(path)}


def hydrated(update: Update) -> bool:
    """The update that ends a page load: the root state's hydrated flag turned on."""
    return bool((update.get("delta") or {}).get(ROOT_STATE, {}).get(IS_HYDRATED))


class ReflexClient:
    """One browser tab: a client token, a websocket, the merged state it was sent."""

    def __init__(
        self,
        host: str,
        port: int,
        *,
        cookie: str = "",
        headers: dict[str, str] | None = None,
        token: str | None = None,
    ) -> None:
        self.host, self.port = host, port
        self.cookie = cookie
        self.headers = headers or {}
        self.token = token or str(uuid.uuid4())
        self.state: dict[str, dict[str, Any]] = {}
        self.updates = 0
        self._ws = WSConnection(ConnectionType.CLIENT)
        self._reader: asyncio.StreamReader | None = None
        self._writer: asyncio.StreamWriter | None = None
        self._task: asyncio.Task[None] | None = None
        self._waiter: tuple[Callable[[Update], bool], asyncio.Future[Update]] | None = None
        self._connected: asyncio.Future[None] | None = None
        self._closed = False

    # -- wire ---------------------------------------------------------------

    def _flush(self, data: bytes) -> None:
        assert self._writer is not None
        self._writer.write(data)

    def _send_text(self, text: str) -> None:
        self._flush(self._ws.send(TextMessage(data=text)))

    async def connect(
        self,
        boot_event: dict[str, Any] | None,
        *,
        state_schema: str | None = None,
        done: Callable[[Update], bool] | None = None,
        timeout: float = 30,
    ) -> float:
        """Open the socket; the boot event rides in the CONNECT packet, as the page does.

        Returns the seconds until `done` (default: the page hydrated) matched an update.
        """
        started = time.perf_counter()
        self._reader, self._writer = await asyncio.open_connection(self.host, self.port)
        extra = [(k.encode(), v.encode()) for k, v in self.headers.items()]
        if self.cookie:
            extra.append((b"cookie", self.cookie.encode()))
        extra.append((b"origin", f"http://localhost:{self.port}".encode()))
        self._flush(
            self._ws.send(
                Request(
                    host=f"localhost:{self.port}",
                    target=f"{NAMESPACE}/?token={self.token}&EIO=4&transport=websocket",
                    extra_headers=extra,
                )
            )
        )
        loop = asyncio.get_running_loop()
        self._connected = loop.create_future()
        future: asyncio.Future[Update] = loop.create_future()
        if boot_event is not None:
            self._waiter = (done or hydrated, future)
        self._task = asyncio.create_task(self._read_loop())
        await asyncio.wait_for(asyncio.shield(self._connected), timeout)
        auth: dict[str, Any] = {}
        if boot_event is not None:
            auth["event"] = boot_event
            if state_schema is not None:
                auth["state_schema"] = state_schema
        self._send_text(f"40{NAMESPACE}," + json.dumps(auth))
        await self._writer.drain()
        if boot_event is not None:
            await asyncio.wait_for(future, timeout)
        return time.perf_counter() - started

    async def _read_loop(self) -> None:
        assert self._reader is not None
        text_parts: list[str] = []
        try:
            while True:
                data = await self._reader.read(65536)
                if not data:
                    break
                self._ws.receive_data(data)
                for event in self._ws.events():
                    if isinstance(event, AcceptConnection):
                        pass
                    elif isinstance(event, RejectConnection):
                        raise ConnectionError(f"websocket refused: {event.status_code}")
                    elif isinstance(event, TextMessage):
                        text_parts.append(event.data)
                        if event.message_finished:
                            self._packet("".join(text_parts))
                            text_parts = []
                    elif isinstance(event, BytesMessage):
                        pass
                    elif isinstance(event, Ping):
                        self._flush(self._ws.send(event.response()))
                    elif isinstance(event, CloseConnection):
                        return
        except (ConnectionError, OSError) as exc:
            if self._connected and not self._connected.done():
                self._connected.set_exception(exc)
            if self._waiter and not self._waiter[1].done():
                self._waiter[1].set_exception(exc)
        finally:
            if self._waiter and not self._waiter[1].done() and not self._closed:
                self._waiter[1].set_exception(ConnectionError("socket closed"))

    def _packet(self, text: str) -> None:
        kind, body = text[:1], text[1:]
        if kind == "0":  # Engine.IO open
            assert self._connected is not None
            if not self._connected.done():
                self._connected.set_result(None)
        elif kind == "2":  # Engine.IO ping
            self._send_text("3")
        elif kind == "4":  # a Socket.IO packet
            sio_type, rest = body[:1], body[1:]
            if rest.startswith(NAMESPACE):
                rest = rest[len(NAMESPACE) :].removeprefix(",")
            if sio_type == "2":
                name, *args = json.loads(rest)
                if name == "event" and args:
                    self._update(args[0])
            elif sio_type == "4":
                raise ConnectionError(f"Socket.IO connect refused: {rest}")

    def _update(self, update: Update) -> None:
        self.updates += 1
        for state, values in (update.get("delta") or {}).items():
            self.state.setdefault(state, {}).update(values)
        if self._waiter is not None:
            check, future = self._waiter
            if not future.done() and check(update):
                self._waiter = None
                future.set_result(update)

    # -- events -------------------------------------------------------------

    async def request(
        self,
        event: dict[str, Any],
        done: Callable[[Update], bool],
        *,
        timeout: float = 30,
    ) -> tuple[float, Update]:
        """Send one event; (seconds until an update matched `done`, that update)."""
        assert self._writer is not None
        future: asyncio.Future[Update] = asyncio.get_running_loop().create_future()
        self._waiter = (done, future)
        started = time.perf_counter()
        self._send_text(f"42{NAMESPACE}," + json.dumps(["event", event]))
        await self._writer.drain()
        update = await asyncio.wait_for(future, timeout)
        return time.perf_counter() - started, update

    async def close(self) -> None:
        self._closed = True
        if self._writer is not None:
            # The server may have gone already.
            with contextlib.suppress(ConnectionError, OSError, LocalProtocolError):
                self._send_text(f"41{NAMESPACE},")
                self._flush(self._ws.send(CloseConnection(code=1000)))
                await self._writer.drain()
            self._writer.close()
        if self._task is not None:
            self._task.cancel()
