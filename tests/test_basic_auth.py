"""HTTP Basic credentials: the header `setup` writes is the header the backend accepts."""

from __future__ import annotations

import base64

import pytest

from apeach_ls import basic_auth
from apeach_ls.errors import ConfigError
from apeach_ls.labelstudio.projects import MLConnection
from apeach_ls.ml_backend.settings import BackendSettings
from apeach_ls.settings import ml_basic_auth_from_env


def b64(raw: bytes) -> str:
    return base64.b64encode(raw).decode()


@pytest.mark.parametrize(
    ("user", "password"), [("mluser", "mlpass"), ("관리자", "비밀:번호 with spaces"), ("u", ":")]
)
def test_what_is_written_reads_back_and_matches(user, password):
    written = basic_auth.header(user, password)
    assert basic_auth.parse(written) == (user, password)
    assert basic_auth.matches(written, user, password)
    assert not basic_auth.matches(written, user, password + "x")
    assert not basic_auth.matches(written, user + "x", password)


@pytest.mark.parametrize(
    "value",
    [
        None,
        "",
        "Basic",
        "Basic ",
        f"Bearer {b64(b'mluser:mlpass')}",
        f"Basic{b64(b'mluser:mlpass')}",  # no space after the scheme
        f"Basic {b64(b'no-colon-at-all')}",
        "Basic !!!not-base64!!!",
        f"Basic {b64(b'mluser:mlpass')[:-2]}",  # padding cut: strict base64 refuses it
        f"Basic {b64(b'mluser:' + bytes([0xFF]))}",  # not UTF-8
    ],
)
def test_anything_but_basic_credentials_is_none(value):
    assert basic_auth.parse(value) is None
    assert not basic_auth.matches(value, "mluser", "mlpass")
    assert not basic_auth.matches(value, "", "")


def test_the_scheme_and_spaces_are_free_the_credentials_are_not():
    token = b64(b"mluser:mlpass")
    for value in (f"basic {token}", f"BASIC   {token}", f"Basic {token} "):
        assert basic_auth.parse(value) == ("mluser", "mlpass")
        assert basic_auth.same(value, basic_auth.header("mluser", "mlpass"))
    assert not basic_auth.same(f"Basic {token}", basic_auth.header("mluser", "other"))
    assert not basic_auth.same("Basic !!!", "Basic !!!")  # unreadable is never "the same"
    assert basic_auth.same(None, None)
    assert not basic_auth.same(None, basic_auth.header("mluser", "mlpass"))
    assert not basic_auth.same(f"Basic {token}", None)


def test_setup_and_the_backend_read_the_same_credentials_from_the_same_environment():
    env = {"APEACH_ML_URL": "http://127.0.0.1:9090", "APEACH_ML_BASIC_AUTH_USER": "mluser"}
    env["APEACH_ML_BASIC_AUTH_PASSWORD"] = "pw:with:colons"
    sent = MLConnection.from_env(env).authorization
    backend = BackendSettings.from_env({**env, "APEACH_VERDICT_SECRET": "s" * 32})
    assert basic_auth.matches(sent, backend.basic_auth_user, backend.basic_auth_password)


def test_a_user_name_with_a_colon_is_refused_where_it_is_set():
    env = {"APEACH_ML_BASIC_AUTH_USER": "ml:user", "APEACH_ML_BASIC_AUTH_PASSWORD": "pw"}
    with pytest.raises(ConfigError, match="APEACH_ML_BASIC_AUTH_USER: a Basic auth user name"):
        ml_basic_auth_from_env(env)
