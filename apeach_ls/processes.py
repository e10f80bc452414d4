"""Child server processes (Label Studio, the ML backend) that start, wait and stop cleanly,
and the supervision that restarts a crashed backend with backoff while Label Studio stays up."""

from __future__ import annotations

import ctypes
import os
import re
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Protocol

import requests

from .errors import ApeachError

PR_SET_PDEATHSIG = 1
ERROR_LINE = re.compile(r"^[\w.]*(Error|Exception|Exit)\b: \S")  # a traceback's last line
SECRET_NAME = re.compile(r"PASSWORD|SECRET|TOKEN|KEY", re.IGNORECASE)


def free_port() -> int:
    """A free TCP port on the loopback interface."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def port_in_use(port: int, host: str = "127.0.0.1") -> bool:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        return sock.connect_ex((host, port)) == 0


def _die_with_parent() -> None:  # pragma: no cover - runs in the child between fork and exec
    """Linux: the child gets SIGTERM when its parent dies, even by SIGKILL: never an orphan server."""
    try:
        ctypes.CDLL(None, use_errno=True).prctl(PR_SET_PDEATHSIG, signal.SIGTERM)
    except (OSError, AttributeError):
        pass


class ManagedProcess:
    """A server in its own process group; ``stop()`` ends the whole group."""

    def __init__(
        self,
        name: str,
        argv: Sequence[str],
        env: Mapping[str, str],
        log_path: Path,
        health_url: str,
        cwd: Path | None = None,
    ):
        self.name, self.argv, self.env = name, list(argv), dict(env)
        self.log_path, self.health_url, self.cwd = log_path, health_url, cwd
        self.process: subprocess.Popen[bytes] | None = None

    def start(self) -> ManagedProcess:
        self.log_path.parent.mkdir(parents=True, exist_ok=True)
        log = open(self.log_path, "ab")
        try:
            self.process = subprocess.Popen(
                self.argv,
                env=self.env,
                stdout=log,
                stderr=subprocess.STDOUT,
                stdin=subprocess.DEVNULL,
                cwd=self.cwd,
                start_new_session=True,
                preexec_fn=_die_with_parent if sys.platform.startswith("linux") else None,
            )
        finally:
            log.close()
        return self

    def last_error(self) -> str | None:
        """The last exception line of the log (e.g. ``OperationalError: connection ... failed``),
        with the values of the secrets in the process's environment blanked out."""
        try:
            with self.log_path.open("rb") as log:
                log.seek(max(0, log.seek(0, os.SEEK_END) - 65536))
                tail = log.read().decode("utf-8", "replace")
        except OSError:
            return None
        lines = [line.strip() for line in tail.splitlines()]
        errors = [line for line in lines if ERROR_LINE.match(line)]
        if not errors:
            return None
        reason = errors[-1][:300]
        for name, value in self.env.items():
            if value and SECRET_NAME.search(name):
                reason = reason.replace(value, "***")
        return reason

    def wait_healthy(self, timeout: float, auth: tuple[str, str] | None = None) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.process is not None and self.process.poll() is not None:
                reason = self.last_error()
                raise ApeachError(
                    f"{self.name} exited with code {self.process.returncode} while starting"
                    f"{f' ({reason})' if reason else ''}; see {self.log_path}"
                )
            try:
                if requests.get(self.health_url, timeout=2, auth=auth).status_code == 200:
                    return
            except requests.RequestException:
                pass
            time.sleep(0.3)
        self.stop()
        raise ApeachError(
            f"{self.name} did not answer {self.health_url} within {timeout:.0f} s; see {self.log_path}"
        )

    @property
    def running(self) -> bool:
        return self.process is not None and self.process.poll() is None

    @property
    def exit_code(self) -> int | None:
        return None if self.process is None else self.process.poll()

    def stop(self, grace: float = 15.0) -> None:
        if self.process is None or self.process.poll() is not None:
            return
        try:
            os.killpg(self.process.pid, signal.SIGTERM)
            self.process.wait(timeout=grace)
        except subprocess.TimeoutExpired:
            os.killpg(self.process.pid, signal.SIGKILL)
            self.process.wait(timeout=5)
        except ProcessLookupError:
            pass


class Server(Protocol):
    name: str
    log_path: Path

    @property
    def running(self) -> bool: ...
    @property
    def exit_code(self) -> int | None: ...
    def start(self) -> object: ...
    def stop(self) -> None: ...
    def wait_healthy(self, timeout: float, auth: tuple[str, str] | None = None) -> None: ...


@dataclass
class Backoff:
    """Delays between restarts: ``first``, doubled each time up to ``limit``; back to ``first``
    once the server has stayed up for ``stable_after`` seconds."""

    first: float = 1.0
    limit: float = 30.0
    stable_after: float = 60.0
    _next: float = 0.0

    def next_delay(self) -> float:
        delay = self._next or self.first
        self._next = min(delay * 2, self.limit)
        return delay

    def reset(self) -> None:
        self._next = 0.0


def supervise(
    keep: Server,
    restart: Server,
    say: Callable[[str], None],
    *,
    auth: tuple[str, str] | None = None,
    backoff: Backoff | None = None,
    health_timeout: float = 60.0,
    poll: float = 0.5,
    sleep: Callable[[float], None] = time.sleep,
    clock: Callable[[], float] = time.monotonic,
) -> None:
    """Watch both servers until ``keep`` stops (then raise ApeachError): whenever ``restart``
    exits, start it again after a growing delay, while ``keep`` goes on serving."""
    backoff = backoff or Backoff()
    up_since = clock()
    while True:
        if not keep.running:
            raise ApeachError(
                f"{keep.name} stopped unexpectedly (exit code {keep.exit_code}); "
                f"see {keep.log_path}"
            )
        if restart.running:
            if clock() - up_since >= backoff.stable_after:
                backoff.reset()
            sleep(poll)
            continue
        delay = backoff.next_delay()
        say(
            f"{restart.name} exited (code {restart.exit_code}); restarting it in {delay:.0f} s "
            f"(see {restart.log_path}); {keep.name} stays up"
        )
        sleep(delay)
        restart.start()
        try:
            restart.wait_healthy(health_timeout, auth=auth)
        except ApeachError as exc:
            say(f"{restart.name} did not come back: {exc}")
            continue
        up_since = clock()
        say(f"{restart.name} is back")
