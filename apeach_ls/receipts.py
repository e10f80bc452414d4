"""Verdict receipts: proof that a verdict came from the ML backend, checkable without the model.

Writers are paid more for sentences that fooled the pseudo-classifier, and the stored
label is derived from the verdict they saw, so the verdict stored in an annotation is
something a writer could fake (any Label Studio account can post an annotation with any
result through the API). The backend therefore signs every verdict it issues: an HMAC
(SHA-256) over the project, the task, a hash of the exact sentence, the label, the score,
the model version and the time, with a secret that the backend and the CLI share. The
receipt travels in the annotation (a hidden TextArea of the generation config) and is
checked by every consumer through :func:`verify`. A receipt is stateless: nothing is
written on the request path, so it holds for any number of workers, replicas and model
swaps.

Token format: ``v1.<payload>.<mac>``, both parts base64url without padding; the payload
is canonical JSON (sorted keys, no spaces). Pure logic, no I/O.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import json
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from .labels import LABELS, Label, Verdict

VERSION = "v1"
MIN_SECRET_CHARS = 16
_DOMAIN = b"apeach-ls verdict receipt v1."


class ReceiptKey:
    """The shared secret; its repr never shows it."""

    def __init__(self, secret: str):
        secret = secret.strip()
        if len(secret) < MIN_SECRET_CHARS:
            raise ValueError(f"the verdict secret must have at least {MIN_SECRET_CHARS} characters")
        self._secret = secret.encode("utf-8")

    def __repr__(self) -> str:
        return "ReceiptKey(***)"

    def mac(self, message: bytes) -> bytes:
        return hmac.new(self._secret, _DOMAIN + message, hashlib.sha256).digest()


@dataclass(frozen=True)
class SignedVerdict:
    """What a valid receipt says: the verdict the backend issued for one sentence."""

    project_id: int
    task_id: int
    text_sha256: str
    label: Label
    score: float
    model_version: str
    issued_at: int  # unix seconds

    @property
    def verdict(self) -> Verdict:
        return Verdict(self.label, self.score)


def text_digest(text: str) -> str:
    return hashlib.sha256(text.encode("utf-8", "surrogatepass")).hexdigest()


def _b64(raw: bytes) -> str:
    return base64.urlsafe_b64encode(raw).rstrip(b"=").decode("ascii")


def _unb64(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


def sign(
    key: ReceiptKey,
    *,
    project_id: int,
    task_id: int,
    text: str,
    verdict: Verdict,
    model_version: str,
    issued_at: int,
) -> str:
    """The receipt of ``verdict`` on ``text`` in one task of one project."""
    payload = {
        "p": int(project_id),
        "t": int(task_id),
        "h": text_digest(text),
        "l": verdict.label,
        "s": round(float(verdict.score), 4),
        "m": str(model_version),
        "i": int(issued_at),
    }
    body = json.dumps(payload, sort_keys=True, separators=(",", ":"), ensure_ascii=True).encode(
        "ascii"
    )
    encoded = _b64(body)
    return f"{VERSION}.{encoded}.{_b64(key.mac(encoded.encode('ascii')))}"


class BadReceipt(ValueError):
    """Why a receipt does not count."""


def read(key: ReceiptKey, token: Any) -> SignedVerdict:
    """The signed verdict in ``token``; BadReceipt when it is not a receipt of this key."""
    if not isinstance(token, str) or token.count(".") != 2 or len(token) > 2000:
        raise BadReceipt("not a verdict receipt")
    version, encoded, mac = token.strip().split(".")
    if version != VERSION:
        raise BadReceipt(f"unknown receipt version {version[:10]!r}")
    try:
        given_mac = _unb64(mac)
    except (binascii.Error, ValueError):
        raise BadReceipt("the receipt's signature is not base64") from None
    if not hmac.compare_digest(given_mac, key.mac(encoded.encode("ascii", "replace"))):
        raise BadReceipt(
            "the receipt's signature does not match (forged, or signed with another secret)"
        )
    try:
        payload = json.loads(_unb64(encoded))
        signed = SignedVerdict(
            project_id=int(payload["p"]),
            task_id=int(payload["t"]),
            text_sha256=str(payload["h"]),
            label=payload["l"],
            score=float(payload["s"]),
            model_version=str(payload["m"]),
            issued_at=int(payload["i"]),
        )
    except (ValueError, KeyError, TypeError):
        raise BadReceipt("the receipt's payload is malformed") from None
    if signed.label not in LABELS:
        raise BadReceipt(f"the receipt names an unknown label {signed.label!r}")
    return signed


@dataclass(frozen=True)
class ReceiptCheck:
    """The outcome of checking a submission's receipts: the verdict that counts, or why none does."""

    signed: SignedVerdict | None
    problem: str | None = None


def verify(
    key: ReceiptKey,
    tokens: Iterable[Any],
    *,
    project_id: int,
    task_id: int,
    text: str,
    shown_label: str | None,
) -> ReceiptCheck:
    """The verdict that counts for the final ``text`` of one task, from the receipts stored with it.

    A receipt counts when its signature is valid, it was issued for this project and task,
    for exactly this text, and for the label the annotation shows (``shown_label``): a
    verdict changed after it was issued (a hotkey, an API edit) does not count. When an
    edit brought several receipts, the newest that matches counts.
    """
    problems: list[str] = []
    matching: list[SignedVerdict] = []
    digest = text_digest(text)
    for token in tokens:
        try:
            signed = read(key, token)
        except BadReceipt as exc:
            problems.append(str(exc))
            continue
        if signed.project_id != int(project_id) or signed.task_id != int(task_id):
            problems.append(
                f"the receipt was issued for project {signed.project_id} task {signed.task_id}"
            )
        elif signed.text_sha256 != digest:
            problems.append("the sentence was changed after its verdict was issued")
        elif signed.label != shown_label:
            problems.append(
                f"the stored verdict {shown_label!r} is not the issued one {signed.label!r}"
            )
        else:
            matching.append(signed)
    if matching:
        return ReceiptCheck(max(matching, key=lambda s: s.issued_at))
    if not problems:
        return ReceiptCheck(None, "no verdict receipt")
    return ReceiptCheck(None, problems[-1])
