"""One writer's flow in the real labeling UI (Debian chromium driven by Playwright):
pick an intent, type a Korean sentence, press Enter, see the verdict, flip it, submit."""

from __future__ import annotations


import pytest

from apeach_ls.labelstudio.campaign import MLConnection, setup_generation
from apeach_ls.labelstudio.prompt_import import import_prompts
from apeach_ls.labelstudio.submissions import read_submissions
from apeach_ls.labels import opposite
from apeach_ls.prompts import default_prompts

pytestmark = [pytest.mark.integration, pytest.mark.browser]

SENTENCE = "ooo 같은 사람들은 다 싫어, 꺼져 버려"



def test_writer_flips_the_verdict_and_the_corrected_label_is_stored(
        browser, label_studio, ml_backend, campaign, default_model_dir, tmp_path):
    from apeach_ls.classifier import load_classifier

    client = label_studio.client()
    report = setup_generation(client, campaign, MLConnection(url=ml_backend.url))
    import_prompts(client, report.project_id, default_prompts()[:1], 1)
    [task] = list(client.tasks.list(project=report.project_id, fields="task_only"))
    page = browser.new_page(viewport={"width": 1280, "height": 1000}, locale="ko-KR")
    try:
        page.goto(f"{label_studio.url}/user/login/")
        page.fill("#email", label_studio.username)
        page.fill("#password", label_studio.password)
        page.click("button[type=submit]")
        page.wait_for_load_state("networkidle", timeout=60_000)
        assert "/user/login" not in page.url, "login failed"
        page.goto(f"{label_studio.url}/projects/{report.project_id}/data?tab=0&task={task.id}")
        textarea = page.locator('[data-testid="textarea-input"]')
        textarea.wait_for(timeout=60_000)
        intent, verdict, agreement = (page.locator(".lsf-choices").nth(i) for i in range(3))

        intent.locator("label", has_text="혐오 표현").click()
        textarea.fill(SENTENCE)
        textarea.press("Enter")
        # the verdict appears, ticked by the backend and locked for the writer
        checked = verdict.locator("input:checked")
        checked.wait_for(timeout=10_000)
        shown_verdict = checked.get_attribute("name")
        assert shown_verdict in ("분류기: 혐오", "분류기: 혐오 아님")
        assert verdict.locator("input").first.is_disabled()
        assert page.get_by_text("확신도 0.").is_visible()
        page.screenshot(path=str(tmp_path / "verdict.png"))
        assert verdict.locator("input:disabled").count() == 2  # the writer cannot change the verdict

        agreement.locator("label", has_text="뒤집기").click()
        page.get_by_role("button", name="Submit").click()
        page.wait_for_function("() => window.Htx && window.Htx.annotationStore.selected.pk", timeout=15_000)
    finally:
        page.close()

    [submission] = list(read_submissions(client, report.project_id, classifier=load_classifier(str(default_model_dir))))
    model_label = "hate" if shown_verdict == "분류기: 혐오" else "not_hate"
    assert submission.corrected.text == SENTENCE
    assert submission.corrected.verdict.label == model_label
    assert submission.corrected.agreement == "flip" and submission.corrected.fooled
    assert submission.corrected.label == opposite(model_label)
    assert submission.corrected.intent == "hate"
    assert "text_changed" not in {f.value for f in submission.corrected.flags}
