"""Task imports stay exactly-once when a request fails after Label Studio stored it (issue 13,
case 13): the SDK's retries would send the batch again. Unit tests with a stand-in client;
the integration tests put a transport in front of the real Label Studio that lets the
import through and then answers 500, or drops the connection."""

from __future__ import annotations

from types import SimpleNamespace

import httpx
import pytest
from label_studio_sdk.core.api_error import ApiError

from apeach_ls.errors import LabelStudioError
from apeach_ls.labelstudio import tasks as tasks_module
from apeach_ls.labelstudio.tasks import import_in_batches


class StoresThenFails:
    """A stand-in client: the project's tasks, and imports that store and then fail ``failures`` times."""

    def __init__(self, failure: Exception, failures: int = 1):
        self.stored: list[dict] = []
        self.failure, self.failures = failure, failures
        self.calls: list[tuple[int, dict]] = []
        self.projects = SimpleNamespace(import_tasks=self.import_tasks)
        self.tasks = SimpleNamespace(
            list=lambda **kw: [SimpleNamespace(data=t["data"]) for t in self.stored]
        )

    def import_tasks(self, id, request, return_task_ids, request_options=None):
        self.calls.append((len(request), request_options))
        self.stored.extend(request)
        if self.failures:
            self.failures -= 1
            raise self.failure


def tasks(n):
    return [{"data": {"prompt_id": f"p-{i:04d}"}} for i in range(n)]


@pytest.fixture(autouse=True)
def no_waiting(monkeypatch):
    monkeypatch.setattr(tasks_module, "RETRY_WAIT", 0)


def test_a_batch_stored_before_a_500_is_not_sent_again():
    client = StoresThenFails(ApiError(status_code=500, headers={}, body={"detail": "boom"}))
    import_in_batches(client, 1, tasks(5), 3, "tasks", key="prompt_id")
    assert sorted(t["data"]["prompt_id"] for t in client.stored) == [f"p-{i:04d}" for i in range(5)]
    assert client.calls == [
        (3, {"max_retries": 0}),
        (2, {"max_retries": 0}),
    ]  # the SDK never retries an import


def test_a_batch_only_partly_stored_gets_the_rest():
    client = StoresThenFails(ApiError(status_code=500, headers={}, body="boom"))
    original = client.import_tasks

    def stores_two(id, request, return_task_ids, request_options=None):
        if client.failures:
            return original(id, request[:2], return_task_ids, request_options)
        return original(id, request, return_task_ids, request_options)

    client.projects.import_tasks = stores_two
    import_in_batches(client, 1, tasks(5), 5, "tasks", key="prompt_id")
    assert sorted(t["data"]["prompt_id"] for t in client.stored) == [f"p-{i:04d}" for i in range(5)]


@pytest.mark.parametrize(
    "failure",
    [
        httpx.ReadTimeout("timed out"),
        httpx.RemoteProtocolError("disconnected"),
        ApiError(status_code=504, headers={}, body="gateway timeout"),
    ],
)
def test_an_ambiguous_failure_stops_with_advice_and_sends_nothing_again(failure):
    """A timeout or a proxy's 504: Label Studio may still be storing the batch; re-checking
    now could miss it, so the run stops, and a re-run (which checks first) is safe."""
    client = StoresThenFails(failure)
    with pytest.raises(LabelStudioError) as caught:
        import_in_batches(client, 1, tasks(5), 3, "tasks", key="prompt_id")
    assert "importing tasks 1-3: " in str(caught.value)
    assert str(caught.value).endswith(
        "; run the command again once Label Studio is reachable: tasks it already "
        "has are not added twice"
    )
    assert len(client.stored) == 3 and len(client.calls) == 1


def test_without_a_key_nothing_is_retried():
    client = StoresThenFails(ApiError(status_code=500, headers={}, body="boom"))
    with pytest.raises(
        LabelStudioError,
        match="importing vote tasks 1-3: Label Studio answered 500: boom; run the command again",
    ):
        import_in_batches(client, 1, tasks(5), 3, "vote tasks")
    assert len(client.stored) == 3 and client.calls == [(3, {"max_retries": 0})]


def test_a_server_that_keeps_failing_is_given_up_after_a_few_attempts():
    client = StoresThenFails(ApiError(status_code=500, headers={}, body="boom"), failures=99)

    def stores_nothing(id, request, return_task_ids, request_options=None):
        client.calls.append((len(request), request_options))
        raise ApiError(status_code=500, headers={}, body="boom")

    client.projects.import_tasks = stores_nothing
    with pytest.raises(
        LabelStudioError, match="importing tasks 1-3: Label Studio answered 500: boom"
    ):
        import_in_batches(client, 1, tasks(5), 3, "tasks", key="prompt_id")
    assert len(client.calls) == tasks_module.ATTEMPTS


class _FailAfterStoring(httpx.BaseTransport):
    """In front of the real Label Studio: the first import goes through, then its answer is lost."""

    def __init__(self, how: str):
        self.inner, self.how, self.failed = httpx.HTTPTransport(), how, False

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        response = self.inner.handle_request(request)
        if request.method == "POST" and request.url.path.endswith("/import") and not self.failed:
            response.read()
            response.close()
            self.failed = True
            if self.how == "500":
                return httpx.Response(500, json={"detail": "stored, then failed"}, request=request)
            raise httpx.RemoteProtocolError(
                "Server disconnected without sending a response.", request=request
            )
        return response


@pytest.mark.integration
@pytest.mark.parametrize("how", ["500", "disconnect"])
def test_prompt_imports_are_exactly_once_against_label_studio(label_studio, campaign, how):
    from label_studio_sdk import LabelStudio

    from apeach_ls.labelstudio.projects import setup_generation
    from apeach_ls.labelstudio.prompt_import import import_prompts
    from apeach_ls.prompts import default_prompts

    project_id = setup_generation(label_studio.client(), campaign, None).project_id
    transport = _FailAfterStoring(how)
    client = LabelStudio(
        base_url=label_studio.url,
        api_key=label_studio.api_key,
        httpx_client=httpx.Client(transport=transport, timeout=120),
    )
    prompts = default_prompts()
    if how == "500":  # Label Studio answered: the batch is checked and the run goes on
        report = import_prompts(client, project_id, prompts, 2)
        assert report.added == 20
    else:  # the answer was lost: the run stops; running it again adds nothing twice
        with pytest.raises(
            LabelStudioError, match="run the command again once Label Studio is reachable"
        ):
            import_prompts(client, project_id, prompts, 2)
        assert import_prompts(client, project_id, prompts, 2).added == 0
    assert transport.failed
    ids = [
        t.data["prompt_id"]
        for t in label_studio.client().tasks.list(project=project_id, fields="task_only")
    ]
    assert len(ids) == 20 and len(set(ids)) == 20
