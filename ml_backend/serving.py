"""How the backend is served: gunicorn processes, each reading whole requests in an event loop.

Why not gunicorn's sync or gthread workers: a thread is given to a connection while its
request is still being read (Flask reads the body from the socket, in that thread). The
probe held every thread with 4 clients that sent headers and one body byte and went silent,
5 that sent half a header block, or 6 that trickled a body at 1 byte / 2 s; ``/health``
then timed out. A bounded keep-alive does not help: those connections are not idle between
requests, they are inside one.

What this module does instead (:class:`BufferingWorker`): gunicorn stays the process
manager (``--workers`` processes, the worker heartbeat, graceful restarts, ``--bind``,
``GUNICORN_CMD_ARGS``), and each worker runs Tornado's HTTP server on one asyncio loop. The
loop reads a request's headers and body without any thread, with a total deadline for the
headers (``APEACH_ML_IDLE_TIMEOUT``, which also closes idle keep-alive connections) and one
for the body (``APEACH_ML_BODY_TIMEOUT``), so a trickle is cut off as surely as a silence.
Only a complete request goes to the pool of ``--threads`` threads that run the Flask app,
so Basic auth and the micro-batcher work as before. A slow or idle client costs a socket
and the bytes it sent, never a thread. A body declared larger than the app's limit gets its
413 before a byte of it is read.

Why not waitress, which also buffers whole requests in an async loop: its
``channel_timeout`` closes a connection only after it has been *silent* that long (a
client trickling a byte every 2 s is kept for ever, if without a thread), and it is a
single process, so ``--workers`` would need a process manager of our own.

:class:`RedactingLogger` is gunicorn's logger without credentials in the access log: the
``%(u)s`` atom (the Basic auth user name; the whole credential when it has no colon) and
the Authorization, Proxy-Authorization and Cookie headers are written as ``-``.
"""

from __future__ import annotations

import asyncio
import logging
import os
import sys
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from datetime import timedelta
from io import BytesIO
from types import SimpleNamespace
from typing import Any

from gunicorn.glogging import Logger
from gunicorn.workers.gtornado import TornadoWorker
from tornado import httputil, iostream
from tornado.escape import url_unescape
from tornado.httpserver import HTTPServer
from tornado.ioloop import IOLoop
from tornado.wsgi import to_wsgi_str

log = logging.getLogger("apeach_ls.ml_backend")

WORKER_CLASS = "apeach_ls.ml_backend.serving.BufferingWorker"
LOGGER_CLASS = "apeach_ls.ml_backend.serving.RedactingLogger"
HOOKS = "python:apeach_ls.ml_backend.gunicorn_hooks"
SECRET_HEADERS = ("authorization", "proxy-authorization", "cookie")


def gunicorn_argv(
    host: str, port: int, workers: int, threads: int, timeout: int | None = None
) -> list[str]:
    """The command that serves ``apeach_ls.ml_backend.wsgi:app``: our worker and logger classes."""
    argv = [
        sys.executable,
        "-m",
        "gunicorn",
        "--bind",
        f"{host}:{port}",
        "--workers",
        str(workers),
        "--threads",
        str(threads),
        "--worker-class",
        WORKER_CLASS,
        "--logger-class",
        LOGGER_CLASS,
        "--config",
        HOOKS,  # a fresh metrics directory per run (gunicorn_hooks.py)
    ]
    if timeout is not None:
        argv += ["--timeout", str(timeout)]
    return argv + ["apeach_ls.ml_backend.wsgi:app"]


class RedactingLogger(Logger):
    """gunicorn's logger; its access log never shows a user name, a credential or a cookie."""

    def atoms(self, resp: Any, req: Any, environ: dict, request_time: timedelta) -> dict:
        atoms = super().atoms(resp, req, environ, request_time)
        atoms["u"] = "-"
        for name in SECRET_HEADERS:
            for key in (f"{{{name}}}i", f"{{http_{name.replace('-', '_')}}}e"):
                if key in atoms:
                    atoms[key] = "-"
        return atoms


# -- the worker ----------------------------------------------------------------------------


class BufferingWorker(TornadoWorker):
    """A gunicorn worker: Tornado reads whole requests, ``--threads`` threads run the app."""

    def init_process(self) -> None:
        # Tell the app how many workers share the cores (torch threads = cores / workers),
        # whichever way --workers was given (flag, GUNICORN_CMD_ARGS, WEB_CONCURRENCY).
        os.environ["WEB_CONCURRENCY"] = str(self.cfg.workers)
        super().init_process()

    def run(self) -> None:
        asyncio.set_event_loop(asyncio.new_event_loop())
        self.ioloop = IOLoop.current()
        self.alive, self.server_alive = True, False
        for name in ("tornado.general", "tornado.access"):  # its INFO lines may quote a bad header
            logging.getLogger(name).setLevel(logging.WARNING)
        settings = _settings_of(self.wsgi)
        self.bridge = WSGIBridge(
            self.wsgi,
            ThreadPoolExecutor(self.cfg.threads, thread_name_prefix="apeach-http"),
            settings.max_body_bytes,
            self.log.access,
        )
        worker = self

        class _Server(HTTPServer):
            def on_close(self, server_conn: Any) -> None:
                worker.handle_request()  # counts towards --max-requests, as gunicorn's tornado worker does
                super().on_close(server_conn)

        ssl_options = None
        if self.cfg.is_ssl:
            from gunicorn.sock import ssl_context

            ssl_options = ssl_context(self.cfg)
        server = _Server(
            self.bridge,
            ssl_options=ssl_options,
            no_keep_alive=self.cfg.keepalive <= 0,
            idle_connection_timeout=settings.idle_timeout,
            body_timeout=settings.body_timeout,
            max_body_size=settings.max_body_bytes,
        )
        self.server, self.server_alive = server, True
        for sock in self.sockets:
            sock.setblocking(False)
            server.add_socket(sock)
        self.callbacks = [_periodic(self.watchdog), _periodic(self.heartbeat)]
        self.ioloop.start()

    def heartbeat(self) -> None:
        """On shutdown: stop accepting, let requests in the threads finish (graceful timeout), stop."""
        if self.alive:
            return
        if self.server_alive:
            self.server.stop()
            self.server_alive = False
            self._stop_by = time.monotonic() + self.cfg.graceful_timeout
            return
        if self.bridge.in_flight and time.monotonic() < self._stop_by:
            return
        for callback in self.callbacks:
            callback.stop()
        self.ioloop.stop()
        self.bridge.executor.shutdown(wait=False, cancel_futures=True)


def _periodic(callback: Callable[[], None]):
    from tornado.ioloop import PeriodicCallback

    periodic = PeriodicCallback(callback, 1000)
    periodic.start()
    return periodic


def _settings_of(app: Any):
    from .settings import BackendSettings

    config = getattr(app, "config", None)
    settings = config.get("APEACH_SETTINGS") if isinstance(config, dict) else None
    return settings if isinstance(settings, BackendSettings) else BackendSettings()


# -- from a complete request to the WSGI app and back ---------------------------------------


class WSGIBridge(httputil.HTTPServerConnectionDelegate):
    """Tornado's server hands each request here; the app runs in ``executor`` once the whole
    body is in (Tornado's own WSGIContainer is not used: it would parse form bodies on the
    event loop and write no gunicorn access log)."""

    def __init__(
        self,
        app: Callable,
        executor: ThreadPoolExecutor,
        max_body_bytes: int,
        access_log: Callable[..., None],
    ):
        self.app, self.executor, self.max_body_bytes, self.access_log = (
            app,
            executor,
            max_body_bytes,
            access_log,
        )
        self.in_flight = 0

    def start_request(
        self, server_conn: object, request_conn: httputil.HTTPConnection
    ) -> httputil.HTTPMessageDelegate:
        return _BufferedRequest(self, request_conn)

    async def respond(self, request: httputil.HTTPServerRequest, body: bytes) -> None:
        started = time.monotonic()
        environ = wsgi_environ(request, body)
        self.in_flight += 1
        try:
            status, headers, payload = await IOLoop.current().run_in_executor(
                self.executor, call_app, self.app, environ
            )
        finally:
            self.in_flight -= 1
        code, _, reason = status.partition(" ")
        out = httputil.HTTPHeaders()
        for name, value in headers:
            out.add(name, value)
        if "Content-Length" not in out and int(code) not in (204, 304):
            out["Content-Length"] = str(len(payload))
        try:
            assert request.connection is not None
            request.connection.write_headers(
                httputil.ResponseStartLine("HTTP/1.1", int(code), reason), out, chunk=payload
            )
            request.connection.finish()
        except iostream.StreamClosedError:
            return  # the client left; nothing to answer
        self.access_log(
            SimpleNamespace(status=status, headers=headers, sent=len(payload)),
            SimpleNamespace(headers=list(request.headers.get_all())),
            environ,
            timedelta(seconds=time.monotonic() - started),
        )


class _BufferedRequest(httputil.HTTPMessageDelegate):
    def __init__(self, bridge: WSGIBridge, connection: httputil.HTTPConnection):
        self.bridge, self.connection = bridge, connection
        self.request: httputil.HTTPServerRequest | None = None
        self.chunks: list[bytes] = []

    def headers_received(self, start_line: Any, headers: httputil.HTTPHeaders):
        try:
            self.request = httputil.HTTPServerRequest(
                connection=self.connection, start_line=start_line, headers=headers
            )
        except (
            httputil.HTTPInputError
        ) as exc:  # e.g. no Host header: a reason, not a logged traceback
            return self._refuse(400, f"bad request: {str(exc)[:100]}")
        declared = headers.get("Content-Length", "")
        if declared.isdigit() and int(declared) > self.bridge.max_body_bytes:
            return self._refuse(
                413,
                f"the request body is {declared} bytes; the limit is {self.bridge.max_body_bytes}",
            )
        return None

    async def _refuse(self, code: int, reason: str) -> None:
        """Answer before reading the body, then close: what is still coming is never read."""
        import json

        payload = json.dumps({"error": reason}).encode()
        stream = self.connection.detach()  # type: ignore[attr-defined]
        head = (
            f"HTTP/1.1 {code} {httputil.responses.get(code, 'Error')}\r\nContent-Type: application/json\r\n"
            f"Content-Length: {len(payload)}\r\nConnection: close\r\n\r\n"
        ).encode()
        try:
            await stream.write(head + payload)
        except iostream.StreamClosedError:
            pass
        finally:
            stream.close()

    def data_received(self, chunk: bytes) -> None:
        self.chunks.append(chunk)

    def finish(self) -> None:
        assert self.request is not None
        body, self.chunks = b"".join(self.chunks), []
        IOLoop.current().spawn_callback(self.bridge.respond, self.request, body)

    def on_connection_close(self) -> None:
        self.chunks = []


def call_app(app: Callable, environ: dict) -> tuple[str, list[tuple[str, str]], bytes]:
    """Run a WSGI app to completion (in a pool thread): status, headers, body."""
    started: dict[str, Any] = {}
    chunks: list[bytes] = []

    def start_response(status: str, headers: list[tuple[str, str]], exc_info: Any = None):
        started["status"], started["headers"] = status, headers
        return chunks.append

    try:
        result = app(environ, start_response)
        try:
            chunks.extend(result)
        finally:
            if hasattr(result, "close"):
                result.close()
    except Exception as exc:  # the Flask app answers its own errors; this is a last resort
        log.error(
            "%s %s failed in the server: %s",
            environ.get("REQUEST_METHOD"),
            environ.get("PATH_INFO"),
            type(exc).__name__,
        )
        return (
            "500 Internal Server Error",
            [("Content-Type", "application/json")],
            b'{"error": "internal error in the ML backend; see its log"}',
        )
    return started["status"], started["headers"], b"".join(chunks)


def wsgi_environ(request: httputil.HTTPServerRequest, body: bytes) -> dict[str, Any]:
    host, port = httputil.split_host_and_port(request.host)
    environ: dict[str, Any] = {
        "REQUEST_METHOD": request.method,
        "SCRIPT_NAME": "",
        "PATH_INFO": to_wsgi_str(url_unescape(request.path, encoding=None, plus=False)),
        "QUERY_STRING": request.query,
        "RAW_URI": request.uri,
        "REMOTE_ADDR": request.remote_ip,
        "SERVER_NAME": host,
        "SERVER_PORT": str(port or (443 if request.protocol == "https" else 80)),
        "SERVER_PROTOCOL": request.version,
        "CONTENT_LENGTH": str(len(body)),
        "wsgi.version": (1, 0),
        "wsgi.url_scheme": request.protocol,
        "wsgi.input": BytesIO(body),
        "wsgi.errors": sys.stderr,
        "wsgi.multithread": True,
        "wsgi.multiprocess": True,
        "wsgi.run_once": False,
    }
    for name in {key for key, _ in request.headers.get_all()}:
        value = request.headers[name]
        if name == "Content-Type":
            environ["CONTENT_TYPE"] = value
        elif name != "Content-Length":
            environ["HTTP_" + name.replace("-", "_").upper()] = value
    return environ
