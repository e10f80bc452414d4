"""One-line errors for bad CLI input outside the ledger (issue 13, cases 9, 10, 12): a model
registry that does not exist, an --out under a file, a URL that is not Label Studio."""

from __future__ import annotations

import shutil

import pytest
from click.testing import CliRunner

from apeach_ls.cli import cli
from apeach_ls.embedded import SHIPPED_MODEL_DIR


def run(*args, code=0, env=None):
    result = CliRunner().invoke(cli, [str(a) for a in args], env=env)
    assert result.exit_code == code, result.output
    assert "Traceback" not in result.output
    return result.output


@pytest.mark.parametrize("command", [["list"], ["pin", "v1"], ["unpin"], ["rollback"]])
def test_a_registry_that_does_not_exist_is_an_error_not_an_empty_list(tmp_path, command):
    """Issue 13, case 10: `models list --registry /nonexistent` printed nothing and exited 0."""
    missing = tmp_path / "nonexistent"
    out = run("models", *command, "--registry", missing, code=1)
    assert out == (
        f"Error: there is no model registry at {missing} (no versions/ folder); check --registry or "
        "APEACH_LS_REGISTRY, or create one with: apeach-ls models publish MODEL_DIR --registry "
        f"{missing}\n"
    )
    assert not missing.exists()


def test_publishing_never_turns_the_served_model_into_a_registry(tmp_path, monkeypatch):
    """APEACH_LS_MODEL is the model the backend serves (`classifier train` says to export it);
    `models` reads its registry from --registry or APEACH_LS_REGISTRY only, and never publishes
    into a folder that holds something else."""
    served, new = tmp_path / "served", tmp_path / "new"
    shutil.copytree(SHIPPED_MODEL_DIR, served)
    shutil.copytree(SHIPPED_MODEL_DIR, new)
    before = sorted(p.name for p in served.iterdir())
    monkeypatch.setenv("APEACH_LS_MODEL", str(served))
    monkeypatch.delenv("APEACH_LS_REGISTRY", raising=False)
    assert run("models", "publish", new, code=1) == (
        "Error: no registry: pass --registry DIR or set APEACH_LS_REGISTRY to it\n"
    )
    assert run("models", "publish", new, "--registry", served, code=1) == (
        f"Error: {served} is not a model registry and is not empty (a model, or other files); "
        "publish into a new or empty folder\n"
    )
    assert sorted(p.name for p in served.iterdir()) == before
    monkeypatch.setenv("APEACH_LS_REGISTRY", str(tmp_path / "registry"))
    assert run("models", "publish", new).endswith(": now current\n")
    assert (tmp_path / "registry" / "versions").is_dir()


def test_an_empty_registry_says_so(tmp_path):
    (tmp_path / "registry" / "versions").mkdir(parents=True)
    assert run("models", "list", "--registry", tmp_path / "registry") == (
        f"no model versions in {tmp_path / 'registry'} yet\n"
    )


class _NotLabelStudio:
    """A web server that is not Label Studio: an HTML 404 for everything, or an HTML 200 page."""

    def __init__(self, status: int):
        import http.server
        import threading

        page = b"<!doctype html><html><head><title>Welcome to nginx!</title></head><body>hi</body></html>"

        class Handler(http.server.BaseHTTPRequestHandler):
            def do_GET(self):
                if status == 404:
                    self.send_error(404)  # Python's own HTML error page
                    return
                self.send_response(200)
                self.send_header("Content-Type", "text/html")
                self.send_header("Content-Length", str(len(page)))
                self.end_headers()
                self.wfile.write(page)

            do_POST = do_GET

            def log_message(self, *args):
                pass

        self.server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_port}"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()


@pytest.fixture(params=[404, 200])
def not_label_studio(request):
    server = _NotLabelStudio(request.param)
    yield request.param, server.url
    server.server.shutdown()
    server.server.server_close()


@pytest.mark.parametrize(
    "args, doing",
    [
        (["submissions", "export", "--campaign", "abc"], "listing projects"),
        (["setup", "--campaign", "abc"], "listing projects"),
        (["managers", "--config", "{config}"], "listing users"),
    ],
)
def test_a_url_that_is_not_label_studio_is_named_without_dumping_its_page(
    not_label_studio, args, doing, tmp_path
):
    """Issue 13, case 12: the HTML page went into the error message, 15 lines of it."""
    status, url = not_label_studio
    config = tmp_path / "c.toml"
    config.write_text(
        '[campaign]\nname = "abc"\n[votes]\nmanagers = ["m@example.org"]\nk = 1\n', encoding="utf-8"
    )
    env = {
        "LABEL_STUDIO_URL": url,
        "LABEL_STUDIO_API_KEY": "x" * 40,
        "APEACH_LS_MODEL": "",
        "APEACH_ML_URL": None,
    }
    out = run(*[a.format(config=config) for a in args], code=1, env=env)
    title = "Error response" if status == 404 else "Welcome to nginx!"
    assert out == (
        f"Error: {doing}: got a web page ({status}, {title!r}) instead of Label Studio's API; check that "
        "LABEL_STUDIO_URL is your Label Studio's address, e.g. http://127.0.0.1:8080 (no path)\n"
    )


def test_other_error_bodies_are_one_line():
    from label_studio_sdk.core.api_error import ApiError

    from apeach_ls.labelstudio.connection import describe_api_error

    error = describe_api_error(
        ApiError(status_code=502, headers={}, body="bad\n  gateway\n" + "x" * 500), "listing users"
    )
    assert (
        str(error) == "listing users: Label Studio answered 502: bad gateway " + "x" * 285 + "..."
    )
    error = describe_api_error(
        ApiError(status_code=400, headers={}, body={"detail": "no\nway"}), "importing tasks"
    )
    assert str(error) == "importing tasks: Label Studio answered 400: no way"
