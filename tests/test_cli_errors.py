"""One-line errors for bad CLI input outside the ledger (issue 13, cases 9, 10, 12): a model
registry that does not exist, an --out under a file, a URL that is not Label Studio."""

from __future__ import annotations

import pytest
from click.testing import CliRunner

from apeach_ls.cli import cli


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
    assert out == (f"Error: there is no model registry at {missing} (no versions/ folder); check --registry or "
                   "APEACH_LS_MODEL, or create one with: apeach-ls models publish MODEL_DIR --registry "
                   f"{missing}\n")
    assert not missing.exists()


def test_an_empty_registry_says_so(tmp_path):
    (tmp_path / "registry" / "versions").mkdir(parents=True)
    assert run("models", "list", "--registry", tmp_path / "registry") == (
        f"no model versions in {tmp_path / 'registry'} yet\n")
