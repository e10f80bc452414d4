"""`apeach-ls up`: the embedded default, run as a user runs it on a fresh data directory
(no model file, nothing set), then again on the same data."""

from __future__ import annotations

import base64
import os
import signal
import subprocess
import sys
import time

import pytest
import requests
from label_studio_sdk.core.api_error import ApiError
from ls_users import sign_up
from up_run import UpRun, ask_verdict, clean_env, environ_of, line_value, listener_pids, listening

from apeach_ls.labelstudio.connection import LabelStudioSettings, connect
from apeach_ls.labelstudio.projects import find_project
from apeach_ls.processes import free_port, port_in_use

pytestmark = pytest.mark.integration


def test_up_on_a_fresh_data_dir_is_safe_complete_and_stops_on_sighup(tmp_path):
    port, ml_port = free_port(), free_port()
    data = tmp_path / "data"
    args = [
        "--data-dir",
        str(data),
        "--port",
        str(port),
        "--ml-port",
        str(ml_port),
        "--per-topic",
        "1",
        "--campaign",
        "demo",
    ]
    run = UpRun(args, clean_env(), cwd=tmp_path)
    out = run.wait_for("ready.")
    ls_url = f"http://127.0.0.1:{port}"

    # 2. a working verdict with no model file and nothing set: the built-in model
    assert "pseudo-classifier: built in: trained on BEEP! (CC BY-SA 4.0" in out
    assert (
        "generation project: created" in out
        and "ML webhook: updated (id 1: Authorization header set)" in out
    )
    assert "prompts: 10 added, 0 already there" in out

    # 3. the login is shown and so is where the API key is (never the key itself)
    username, password = (
        line_value(out, "login: ").split()[1],
        line_value(out, "login: ").split()[3],
    )
    assert line_value(out, "API key: ") == (
        f"API key: in {data}/label-studio-api-key (LABEL_STUDIO_API_KEY_FILE; readable only by you)"
    )
    api_key = (data / "label-studio-api-key").read_text().strip()
    assert api_key not in out
    assert f'eval "$(apeach-ls env --data-dir {data})"' in out
    for name in (
        "credentials.json",
        "label-studio-api-key",
        "ml-basic-auth-password",
        "verdict-secret",
    ):
        assert (data / name).stat().st_mode & 0o777 == 0o600, name
    logged_in = requests.Session()
    logged_in.get(f"{ls_url}/user/login/", timeout=10)
    response = logged_in.post(
        f"{ls_url}/user/login/",
        data={
            "email": username,
            "password": password,
            "csrfmiddlewaretoken": logged_in.cookies.get("csrftoken", ""),
        },
        headers={"Referer": f"{ls_url}/user/login/"},
        allow_redirects=False,
        timeout=10,
    )
    assert response.status_code == 302

    # 1. both servers listen on loopback only
    assert [address for address, _ in listening(port)] == ["127.0.0.1"]
    assert {address for address, _ in listening(ml_port)} == {"127.0.0.1"}
    # ... sign-up works only with the invite link
    client = connect(LabelStudioSettings(url=ls_url, api_key=api_key))
    session = requests.Session()
    session.get(f"{ls_url}/user/signup/", timeout=10)
    refused = session.post(
        f"{ls_url}/user/signup/",
        data={
            "email": "stranger@example.com",
            "password": "pw-123456",
            "csrfmiddlewaretoken": session.cookies.get("csrftoken", ""),
        },
        headers={"Referer": f"{ls_url}/user/signup/"},
        allow_redirects=False,
        timeout=10,
    )
    assert refused.status_code == 403
    assert "stranger@example.com" not in {u.email for u in client.users.list()}
    assert sign_up(ls_url, client, "writer@example.com", "writer-pass-123")
    # ... SSRF protection stays on: webhooks reach the backend's address and nothing else local
    project = find_project(client, "demo", "generation")
    for url in ("http://127.0.0.2:9/hook", "http://10.0.0.1/hook", "http://169.254.169.254/latest"):
        with pytest.raises(ApiError):
            client.webhooks.create(
                url=url, project=project.id, send_payload=True, send_for_all_actions=True
            )
    [hook] = [h for h in client.webhooks.list(project=project.id) if h.url.endswith("/webhook")]
    assert hook.url == f"http://127.0.0.1:{ml_port}/webhook"

    # issue 11: the backend requires Basic auth and gets the verdict secret as a file
    assert requests.get(f"http://127.0.0.1:{ml_port}/health", timeout=5).status_code == 401
    ml_password = (data / "ml-basic-auth-password").read_text().strip()
    assert (
        hook.headers["Authorization"]
        == "Basic " + base64.b64encode(f"apeach-ls:{ml_password}".encode()).decode()
    )
    [ml] = client.ml.list(project=project.id)
    assert (
        ml.url == f"http://127.0.0.1:{ml_port}"
        and ml.is_interactive
        and ml.auth_method == "BASIC_AUTH"
    )
    backend_env = environ_of(min(listener_pids(ml_port)))
    assert backend_env["APEACH_VERDICT_SECRET_FILE"] == str(data / "verdict-secret")
    assert backend_env["APEACH_ML_BASIC_AUTH_PASSWORD_FILE"] == str(data / "ml-basic-auth-password")
    secret = (data / "verdict-secret").read_text().strip()
    assert (
        len(secret) == 64 and secret not in out and ml_password not in "".join(backend_env.values())
    )
    tasks = [t.id for t in client.tasks.list(project=project.id, fields="task_only")]
    verdict = next(
        i
        for i in ask_verdict(ls_url, api_key, ml.id, tasks[0], "여자는 집에서 밥이나 해라")[
            "result"
        ]
        if i["from_name"] == "verdict"
    )
    assert verdict["value"]["choices"] == ["hate"] and verdict["readonly"] is True

    # 3. `apeach-ls env` gives the campaign commands what they need
    cli = f"{sys.executable} -m apeach_ls.cli"
    script = (
        f'eval "$({cli} env --data-dir {data})"\n{cli} prompts import --per-topic 2\n'
        f"{cli} setup --campaign other\n"
    )
    done = subprocess.run(
        ["bash", "-euo", "pipefail", "-c", script],
        env=clean_env(),
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode == 0, done.stderr
    assert "10 tasks added, 10 already there (10 topics x 2)" in done.stdout
    other = find_project(client, "other", "generation")
    assert [b.url for b in client.ml.list(project=other.id)] == [f"http://127.0.0.1:{ml_port}"]

    # 4. one `up` per data dir: a second one, even on other ports, is refused and changes nothing
    second = subprocess.run(
        [
            sys.executable,
            "-m",
            "apeach_ls.cli",
            "up",
            "--data-dir",
            str(data),
            "--port",
            str(free_port()),
            "--ml-port",
            str(free_port()),
        ],
        env=clean_env(),
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert second.returncode == 1
    assert (
        f"another `apeach-ls up` (pid {run.process.pid}) is running on the data directory {data}"
        in second.stderr
    )
    assert len(client.ml.list(project=project.id)) == 1

    # 4. a crashed backend comes back while Label Studio goes on serving
    [backend_group] = {os.getpgid(pid) for pid in listener_pids(ml_port)}
    os.killpg(backend_group, signal.SIGKILL)
    run.wait_for("ML backend exited (code -9); restarting it in 1 s")
    assert requests.get(f"{ls_url}/health", timeout=5).status_code == 200
    run.wait_for("ML backend is back", timeout=90)
    again = ask_verdict(ls_url, api_key, ml.id, tasks[1], "오늘 날씨가 정말 좋네요")
    assert next(i for i in again["result"] if i["from_name"] == "verdict")["value"]["choices"] == [
        "not_hate"
    ]

    # 4. closing the terminal (SIGHUP) stops both servers
    groups = {os.getpgid(pid) for pid in listener_pids(port) | listener_pids(ml_port)}
    out = run.stop(signal.SIGHUP)
    assert run.process.returncode == 0 and "stopped." in out
    assert not port_in_use(port) and not port_in_use(ml_port)
    for group in groups:
        with pytest.raises(ProcessLookupError):
            os.killpg(group, 0)
    logs = (data / "logs" / "label-studio.log").read_text() + (
        data / "logs" / "ml-backend.log"
    ).read_text()
    assert api_key not in logs and ml_password not in logs and password not in logs

    # a second run on the same data with another backend port: the same login and secrets,
    # the login is not shown again, and the project keeps no backend at the old address
    new_ml_port = free_port()
    args[args.index("--ml-port") + 1] = str(new_ml_port)
    rerun = UpRun(args, clean_env(), cwd=tmp_path)
    try:
        out = rerun.wait_for("ready.")
        assert "password:" not in out.replace(f"(password: in {data}/credentials.json)", "")
        assert (
            line_value(out, "login: ")
            == f"login: {username}  (password: in {data}/credentials.json)"
        )
        assert "prompts: 0 added, 10 already there" in out
        assert (
            f"old ML backend: updated (project {project.id}: id {ml.id} at http://127.0.0.1:{ml_port} removed "
            f"with its webhook; connected to http://127.0.0.1:{new_ml_port})"
        ) in out
        for moved in (project, other):  # the other campaign's project too
            assert [b.url for b in client.ml.list(project=moved.id)] == [
                f"http://127.0.0.1:{new_ml_port}"
            ]
            assert [
                h.url for h in client.webhooks.list(project=moved.id) if h.url.endswith("/webhook")
            ] == [f"http://127.0.0.1:{new_ml_port}/webhook"]
        assert (data / "verdict-secret").read_text().strip() == secret
        assert (data / "label-studio-api-key").read_text().strip() == api_key
    finally:
        out = rerun.stop(signal.SIGTERM)
    assert rerun.process.returncode == 0 and "stopped." in out
    assert not port_in_use(port) and not port_in_use(new_ml_port)


def test_up_honours_the_admin_credentials_from_the_environment(tmp_path):
    port, ml_port = free_port(), free_port()
    env = clean_env(
        LABEL_STUDIO_USERNAME="owner@example.com",
        LABEL_STUDIO_PASSWORD="owner-pass-123",
        LABEL_STUDIO_API_KEY="ab" * 20,
    )
    run = UpRun(
        [
            "--data-dir",
            str(tmp_path / "data"),
            "--port",
            str(port),
            "--ml-port",
            str(ml_port),
            "--per-topic",
            "1",
        ],
        env,
    )
    try:
        out = run.wait_for("ready.")
        assert "owner-pass-123" not in out and "ab" * 20 not in out
        assert "login: owner@example.com  (password: as set in LABEL_STUDIO_PASSWORD)" in out
        assert "API key: as set in LABEL_STUDIO_API_KEY" in out
        assert (
            "credentials.json" not in out and not (tmp_path / "data" / "credentials.json").exists()
        )
        client = connect(LabelStudioSettings(url=f"http://127.0.0.1:{port}", api_key="ab" * 20))
        assert client.users.whoami().email == "owner@example.com"
    finally:
        run.stop()


def test_up_refuses_a_busy_port(tmp_path, label_studio):
    busy = int(label_studio.url.rsplit(":", 1)[1])
    started = time.monotonic()
    result = subprocess.run(
        [
            sys.executable,
            "-m",
            "apeach_ls.cli",
            "up",
            "--data-dir",
            str(tmp_path),
            "--port",
            str(busy),
        ],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode == 1 and time.monotonic() - started < 60
    assert f"port {busy} (--port) is already in use" in result.stderr
    assert not (tmp_path / "credentials.json").exists()
