"""One writer's flow in the real labeling UI (Debian chromium driven by Playwright):
pick an intent, type a Korean sentence, press Enter, see the verdict, flip it, submit."""

from __future__ import annotations

import pytest
from verdicts import TEST_SECRET

from apeach_ls.labels import opposite
from apeach_ls.labelstudio.projects import MLConnection, setup_generation
from apeach_ls.labelstudio.prompt_import import import_prompts
from apeach_ls.labelstudio.submissions import read_submissions
from apeach_ls.prompts import default_prompts
from apeach_ls.receipts import ReceiptKey

pytestmark = [pytest.mark.integration, pytest.mark.browser]

SENTENCE = "ooo 같은 사람들은 다 싫어, 꺼져 버려"


def login(page, label_studio):
    page.goto(f"{label_studio.url}/user/login/")
    page.fill("#email", label_studio.username)
    page.fill("#password", label_studio.password)
    page.click("button[type=submit]")
    page.wait_for_load_state("networkidle", timeout=60_000)
    assert "/user/login" not in page.url, "login failed"


def open_task(page, label_studio, project_id, task_id):
    page.goto(f"{label_studio.url}/projects/{project_id}/data?tab=0&task={task_id}")
    textarea = page.locator('[data-testid="textarea-input"]').first
    textarea.wait_for(timeout=60_000)
    return textarea, [page.locator(".lsf-choices").nth(i) for i in range(3)]


def stored(page):
    return page.evaluate("() => window.Htx.annotationStore.selected.serializeAnnotation()")


def submit(page):
    page.get_by_role("button", name="Submit").click()
    page.wait_for_function(
        "() => window.Htx && window.Htx.annotationStore.selected.pk", timeout=15_000
    )


def test_writer_flips_the_verdict_and_the_corrected_label_is_stored(
    browser, label_studio, ml_backend, campaign, tmp_path
):
    client = label_studio.client()
    report = setup_generation(client, campaign, MLConnection(url=ml_backend.url))
    import_prompts(client, report.project_id, default_prompts()[:1], 2)
    honest_task, hotkey_task = [
        t.id for t in client.tasks.list(project=report.project_id, fields="task_only")
    ]
    page = browser.new_page(viewport={"width": 1280, "height": 1000}, locale="ko-KR")
    try:
        login(page, label_studio)
        textarea, (intent, verdict, agreement) = open_task(
            page, label_studio, report.project_id, honest_task
        )
        intent.locator("label", has_text="혐오 표현").click()
        agreement.locator(
            "label", has_text="확인"
        ).click()  # ticked before any verdict: cleared by the verdict
        textarea.fill(SENTENCE)
        # Submit before pressing Enter: blocked, there is no verdict yet
        page.get_by_role("button", name="Submit").click()
        page.get_by_text("먼저 문장을 쓰고 Enter를 눌러 분류기의 판정을 받으세요").wait_for(
            timeout=10_000
        )
        assert page.evaluate("() => window.Htx.annotationStore.selected.pk") is None
        page.keyboard.press("Escape")
        textarea.press("Enter")
        # the verdict appears, ticked by the backend and locked for the writer
        checked = verdict.locator("input:checked")
        checked.wait_for(timeout=10_000)
        shown_verdict = checked.get_attribute("name")
        assert shown_verdict in ("분류기: 혐오", "분류기: 혐오 아님")
        assert verdict.locator("input").first.is_disabled()
        assert page.get_by_text("확신도 0.").is_visible()
        page.screenshot(path=str(tmp_path / "verdict.png"))
        assert verdict.locator("input:disabled").count() == 2  # the writer cannot click the verdict
        names = {item["from_name"]: item["value"] for item in stored(page)}
        assert names["agreement"] == {"choices": []}, (
            "an agreement ticked before the verdict carried over"
        )
        token = names["verdict_receipt"]["text"][0]
        assert token.startswith("v1.") and token not in page.inner_text(
            "body"
        )  # hidden from the writer

        agreement.locator("label", has_text="뒤집기").click()
        submit(page)

        # a hotkey still changes a locked verdict in Label Studio 1.23; the receipt catches it
        textarea, (intent, verdict, agreement) = open_task(
            page, label_studio, report.project_id, hotkey_task
        )
        intent.locator("label", has_text="혐오 표현").click()
        textarea.fill(SENTENCE)
        textarea.press("Enter")
        verdict.locator("input:checked").wait_for(timeout=10_000)
        issued = verdict.locator("input:checked").get_attribute("name")
        other_key = (
            "4" if issued == "분류기: 혐오" else "3"
        )  # hotkeys [3] and [4] are the verdict's
        page.evaluate("() => document.activeElement && document.activeElement.blur()")
        page.keyboard.press(other_key)
        page.wait_for_function(
            "(issued) => !document.querySelector(`input[name='${issued}']`).checked",
            arg=issued,
            timeout=5_000,
        )
        agreement.locator("label", has_text="확인").click()
        submit(page)
    finally:
        page.close()

    subs = {
        s.task_id: s.corrected
        for s in read_submissions(client, report.project_id, ReceiptKey(TEST_SECRET))
    }
    model_label = "hate" if shown_verdict == "분류기: 혐오" else "not_hate"
    honest = subs[honest_task]
    assert honest.text == SENTENCE
    assert honest.verdict.label == model_label and honest.model_version.startswith("ngram-")
    assert honest.agreement == "flip" and honest.fooled
    assert honest.label == opposite(model_label)
    assert honest.intent == "hate"
    assert "verdict_unverified" not in {f.value for f in honest.flags}

    changed = subs[hotkey_task]
    assert changed.shown_verdict != ("hate" if issued == "분류기: 혐오" else "not_hate")
    assert (
        changed.verdict is None and not changed.fooled and changed.label == "hate"
    )  # the writer's intent
    assert "verdict_unverified" in {f.value for f in changed.flags}
