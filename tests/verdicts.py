"""Verdict receipts for tests: one test secret, and result lists signed the way the backend signs them."""

from __future__ import annotations

from apeach_ls.correction import ReceiptContext
from apeach_ls.labels import Verdict
from apeach_ls.receipts import ReceiptKey, sign

TEST_SECRET = "test-verdict-secret-0123456789abcdef"
KEY = ReceiptKey(TEST_SECRET)


def receipt(
    text: str,
    label: str,
    score: float = 0.9,
    project_id: int = 1,
    task_id: int = 1,
    model_version: str = "test-v1",
    issued_at: int = 1_790_000_000,
    key: ReceiptKey = KEY,
) -> str:
    return sign(
        key,
        project_id=project_id,
        task_id=task_id,
        text=text,
        verdict=Verdict(label, score),
        model_version=model_version,
        issued_at=issued_at,
    )


def receipt_item(token: str) -> dict:
    return {
        "from_name": "verdict_receipt",
        "to_name": "prompt",
        "type": "textarea",
        "value": {"text": [token]},
        "readonly": True,
    }


def context(project_id: int = 1, task_id: int = 1) -> ReceiptContext:
    return ReceiptContext(KEY, project_id, task_id)


def generation_result(
    text: str,
    intent: str | None,
    verdict: tuple[str, float] | None,
    agreement: str | None,
    project_id: int = 1,
    task_id: int = 1,
    signed: bool = True,
) -> list[dict]:
    """A generation annotation's result as the labeling UI stores it, with the backend's receipt."""
    items = [
        {"from_name": "text", "to_name": "prompt", "type": "textarea", "value": {"text": [text]}}
    ]
    if intent:
        items.insert(
            0,
            {
                "from_name": "intent",
                "to_name": "prompt",
                "type": "choices",
                "value": {"choices": [intent]},
            },
        )
    if verdict:
        items.append(
            {
                "from_name": "verdict",
                "to_name": "prompt",
                "type": "choices",
                "value": {"choices": [verdict[0]]},
                "score": verdict[1],
                "readonly": True,
            }
        )
        if signed:
            items.append(receipt_item(receipt(text, verdict[0], verdict[1], project_id, task_id)))
    if agreement:
        items.append(
            {
                "from_name": "agreement",
                "to_name": "prompt",
                "type": "choices",
                "value": {"choices": [agreement]},
            }
        )
    return items
