"""Issue 13, backend items 1, 6 and 15, against the real server process on 127.0.0.1.

* item 1: 64 slow connections (headers and one body byte then silence; half a header block;
  a body trickled at 1 byte / 2 s) leave /health and an interactive /predict answering within
  1 s, and every one of them is closed after a bounded time;
* item 6: with gunicorn's access log on, no user name, credential or cookie is written, and
  the backend has a log level of its own;
* item 15: ``apeach-ls backend --workers N`` tells each worker how many they are.
"""

from __future__ import annotations

import base64
import os
import socket
import sys
import threading
import time
from pathlib import Path

import pytest
import requests
from backend_requests import interactive, text_item

from apeach_ls import label_config

AUTH = ("mluser", "s3cret-password-Qx7")
IDLE_TIMEOUT, BODY_TIMEOUT = 3, 4
SLOW_CLIENTS = 64
LATENCY_TARGET = 1.0


@pytest.fixture(scope="module")
def server(tmp_path_factory, default_model_dir):
    """The backend as `apeach-ls up` starts it (4 threads, Basic auth), access log on."""
    from apeach_ls.embedded import ml_backend_process
    from apeach_ls.processes import free_port

    tmp = tmp_path_factory.mktemp("slow-clients")
    port = free_port()
    env = {
        "APEACH_ML_BASIC_AUTH_USER": AUTH[0],
        "APEACH_ML_BASIC_AUTH_PASSWORD": AUTH[1],
        "APEACH_ML_IDLE_TIMEOUT": str(IDLE_TIMEOUT),
        "APEACH_ML_BODY_TIMEOUT": str(BODY_TIMEOUT),
        "APEACH_ML_LOG_LEVEL": "warning",
        "GUNICORN_CMD_ARGS": "--access-logfile - --access-logformat "
        '\'%(h)s %(u)s "%(r)s" %(s)s %({authorization}i)s %({http_authorization}e)s '
        "%({cookie}i)s'",
    }
    process = ml_backend_process(
        tmp, port, str(default_model_dir), threads=4, extra_env=env
    ).start()
    try:
        process.wait_healthy(60, auth=AUTH)
        yield f"http://127.0.0.1:{port}", port, process.log_path
    finally:
        process.stop()


def _connect(port: int) -> socket.socket:
    sock = socket.create_connection(("127.0.0.1", port), timeout=5)
    sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
    return sock


def _head(port: int, length: int, auth: bool = True) -> bytes:
    credentials = (
        f"Authorization: Basic {base64.b64encode(':'.join(AUTH).encode()).decode()}\r\n"
        if auth
        else ""
    )
    return (
        f"POST /predict HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\nContent-Type: application/json\r\n"
        f"{credentials}Content-Length: {length}\r\n\r\n"
    ).encode()


class SlowClients:
    """Three kinds of slow connections, a third each; the tricklers are fed by one thread."""

    def __init__(self, port: int, count: int):
        self.silent_body, self.half_header, self.trickle = [], [], []
        self.opened: list[socket.socket] = []
        for i in range(count):
            sock = _connect(port)
            self.opened.append(sock)
            kind = i % 3
            if kind == 0:  # headers plus one body byte, then silence
                sock.sendall(_head(port, 100, auth=i % 2 == 0) + b"{")
                self.silent_body.append(sock)
            elif kind == 1:  # half a header block, no credentials needed
                sock.sendall(
                    f"POST /predict HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\nContent-Ty".encode()
                )
                self.half_header.append(sock)
            else:  # a body trickled at 1 byte / 2 s
                sock.sendall(_head(port, 1000))
                self.trickle.append(sock)
        self.stop = threading.Event()
        self.trickler = threading.Thread(target=self._trickle, daemon=True)
        self.trickler.start()

    def _trickle(self) -> None:
        while not self.stop.wait(2.0):
            for sock in list(self.trickle):
                try:
                    sock.send(b" ")
                except OSError:  # closed by the server
                    self.trickle.remove(sock)

    def close(self) -> None:
        self.stop.set()
        self.trickler.join(5)
        for sock in self.opened:
            sock.close()


def _closed_by_server(sock: socket.socket, deadline: float) -> bool:
    """True once the server has closed the connection (EOF or reset), waiting until ``deadline``."""
    while time.monotonic() < deadline:
        sock.settimeout(max(0.05, deadline - time.monotonic()))
        try:
            data = sock.recv(4096)
        except TimeoutError:
            return False
        except OSError:
            return True
        if not data:
            return True
        # a response (e.g. 408/400) before the close is fine; keep reading until EOF
    return False


def _timed(call) -> tuple[float, requests.Response]:
    started = time.perf_counter()
    response = call()
    return time.perf_counter() - started, response


def test_slow_clients_do_not_take_the_backend_down_and_are_closed(server):
    url, port, _ = server
    config = label_config.load("generation")
    body = interactive([text_item("이 사람들 정말 싫어 꺼져")], label_config=config)
    slow = SlowClients(port, SLOW_CLIENTS)
    opened = time.monotonic()
    try:
        time.sleep(0.5)  # let the server see them all
        for _ in range(4):
            took, health = _timed(lambda: requests.get(f"{url}/health", auth=AUTH, timeout=15))
            assert health.status_code == 200 and took < LATENCY_TARGET, f"/health took {took:.2f} s"
            took, verdict = _timed(
                lambda: requests.post(f"{url}/predict", json=body, auth=AUTH, timeout=15)
            )
            assert verdict.status_code == 200 and took < LATENCY_TARGET, (
                f"/predict took {took:.2f} s"
            )
            assert verdict.json()["results"][0]["result"][0]["from_name"] == "verdict"
        # every slow connection is closed by the server within its deadline (plus slack)
        deadline = opened + max(IDLE_TIMEOUT, BODY_TIMEOUT) + 3
        still_open = [
            s for s in slow.silent_body + slow.half_header if not _closed_by_server(s, deadline)
        ]
        assert not still_open, (
            f"{len(still_open)} idle connections still open after {deadline - opened:.0f} s"
        )
        time.sleep(max(0.0, opened + BODY_TIMEOUT + 3 - time.monotonic()))
        still_trickling = [
            s for s in slow.trickle if not _closed_by_server(s, time.monotonic() + 2.5)
        ]
        assert not still_trickling, f"{len(still_trickling)} trickling connections still open"
    finally:
        slow.close()
    # and the backend is still fine afterwards
    assert requests.get(f"{url}/health", auth=AUTH, timeout=5).status_code == 200


def test_a_body_over_the_limit_is_refused_before_it_is_read(server):
    url, port, _ = server
    sock = _connect(port)
    try:
        sock.sendall(_head(port, 10**12) + b"{")
        sock.settimeout(5)
        answer = b""
        while b"\r\n\r\n" not in answer or not answer.rstrip().endswith(b"}"):
            chunk = sock.recv(4096)
            if not chunk:
                break
            answer += chunk
    finally:
        sock.close()
    assert answer.startswith(b"HTTP/1.1 413 "), answer[:200]
    assert b'"the request body is 1000000000000 bytes; the limit is 67108864"' in answer


def test_the_access_log_never_shows_credentials(server):
    url, port, log_path = server
    user_only = base64.b64encode(b"only-a-password-9Zk").decode()  # a header without a colon
    attempts = [
        {"auth": AUTH},
        {"auth": ("alice-the-user", "wrong-password-1")},
        {"headers": {"Authorization": f"Basic {user_only}"}},
        {
            "headers": {
                "Authorization": f"basic {base64.b64encode(':'.join(AUTH).encode()).decode()}"
            }
        },
        {
            "headers": {
                "Authorization": "Bearer tok-abcdef-123",
                "Cookie": "session=cookie-value-777",
            }
        },
    ]
    statuses = [
        requests.get(f"{url}/health", timeout=5, **kwargs).status_code for kwargs in attempts
    ]
    assert statuses == [200, 401, 401, 200, 401]
    requests.post(f"{url}/predict", json={"tasks": [{}], "project": "404.1"}, auth=AUTH, timeout=5)
    time.sleep(0.5)
    log = Path(log_path).read_text(encoding="utf-8", errors="replace")
    assert (
        '"GET /health HTTP/1.1" 200' in log and '"GET /health HTTP/1.1" 401' in log
    )  # the access log is on
    for secret in [
        AUTH[0],
        AUTH[1],
        "alice-the-user",
        "wrong-password-1",
        "only-a-password-9Zk",
        user_only,
        base64.b64encode(":".join(AUTH).encode()).decode(),
        "tok-abcdef-123",
        "cookie-value-777",
    ]:
        assert secret not in log, f"{secret!r} is in the log"
    # APEACH_ML_LOG_LEVEL=warning: the backend's own INFO lines (a refused request's reason) are not written
    assert '"POST /predict HTTP/1.1" 404' in log and "unknown project '404'" not in log


def test_the_backend_binds_loopback_and_tells_workers_how_many_they_are(tmp_path):
    """`apeach-ls backend --workers 2`: each worker gives torch cores / 2 threads (it was every core)."""
    pytest.importorskip("transformers")
    from tiny_bert import BEEP_LABELS, build_tiny_bert

    from apeach_ls.processes import ManagedProcess, free_port

    model_dir = build_tiny_bert(tmp_path / "tiny", BEEP_LABELS)
    port = free_port()
    env = {**os.environ, "APEACH_LS_MODEL": str(model_dir), "APEACH_ML_BATCHING": "on"}
    env.pop("WEB_CONCURRENCY", None)
    process = ManagedProcess(
        "backend",
        [
            sys.executable,
            "-m",
            "apeach_ls.cli",
            "backend",
            "--port",
            str(port),
            "--workers",
            "2",
            "--threads",
            "2",
        ],
        env,
        tmp_path / "backend.log",
        f"http://127.0.0.1:{port}/health",
    ).start()
    try:
        process.wait_healthy(120)
        expected = max(1, (os.cpu_count() or 1) // 2)
        seen = {
            requests.get(f"http://127.0.0.1:{port}/health", timeout=10).json().get("torch_threads")
            for _ in range(8)
        }
        assert seen == {expected}
        assert f"Listening at: http://127.0.0.1:{port}" in (tmp_path / "backend.log").read_text()
    finally:
        process.stop()
