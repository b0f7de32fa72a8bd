"""The native plugin (`pulumi-resource-aep`) over gRPC, as the engine drives it, against the
sandbox: the schema it serves, previews that predict what they can, the lifecycle, imports by
id, functions, clean errors, partial state (Cancel, customTimeouts), and many operations at once.
"""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import grpc
import pytest
from pulumi.runtime.proto import provider_pb2

from aep_pulumi.native.properties import encode
from aep_pulumi.native.schema import package_schema
from aep_pulumi.testing import TEST_CLIENT_SECRET, NativeHost, SandboxHandle, native_host_for
from aep_pulumi.testing.provider_host import Unknown

from ..conftest import GUIDE_JOB


@pytest.fixture(scope="module")
def native(live_sandbox: SandboxHandle) -> Iterator[NativeHost]:
    with native_host_for(live_sandbox) as plugin:
        yield plugin


def dataset(native: NativeHost, name: str = "target") -> tuple[str, dict[str, Any]]:
    inputs, failures = native.check("dataset", name, {"name": f"native {name}"})
    assert failures == []
    created = native.create("dataset", name, inputs)
    return created.id, created.outs


def job(native: NativeHost, dataset_id: str, name: str = "export", **props: Any) -> Any:
    inputs, failures = native.check("job", name, {"dataset_id": dataset_id, **GUIDE_JOB, **props})
    assert failures == []
    return native.create("job", name, inputs)


def test_the_plugin_serves_the_schema_the_core_describes(native: NativeHost) -> None:
    served = native.schema()
    assert served == json.loads(json.dumps(package_schema()))
    job_inputs = served["resources"]["aep:index:ProfileExportJob"]["inputProperties"]
    assert {"datasetId", "mergePolicy", "eventList", "waitTimeoutSeconds"} <= set(job_inputs)
    assert "owner" not in job_inputs, "internal properties stay out of the schema"
    assert {"getMergePolicies", "getDataset"} == {
        token.rsplit(":", 1)[-1] for token in served["functions"]
    }


def test_a_preview_predicts_the_inputs_and_leaves_what_aep_decides_unknown(
    native: NativeHost, live_sandbox: SandboxHandle
) -> None:
    before = len(live_sandbox.app.request_log)
    inputs, _ = native.check("job", "export", {"dataset_id": Unknown(), **GUIDE_JOB})
    planned = native.create("job", "export", inputs, preview=True)
    assert planned.id == ""
    assert planned.outs["fields"] == GUIDE_JOB["fields"]
    assert planned.outs["merge_policy"] == GUIDE_JOB["merge_policy"]
    raw = native.stub.Create(
        provider_pb2.CreateRequest(
            urn=native.urn("job", "export"),
            properties=native._wire("job", inputs),
            preview=True,
        )
    )
    unknown = "04da6b54-80e4-46f7-96ec-b56ff0331ba9"
    assert raw.properties["batchId"] == unknown and raw.properties["jobId"] == unknown
    assert raw.properties["datasetId"] == unknown
    assert len(live_sandbox.app.request_log) == before, "a preview asks AEP nothing"


def test_lifecycle_import_and_functions(native: NativeHost, live_sandbox: SandboxHandle) -> None:
    dataset_id, dataset_outs = dataset(native)
    assert dataset_outs["dataset_id"] == dataset_id and dataset_outs["sandbox_name"] == "prod"
    created = job(native, dataset_id)
    assert created.outs["status"] == "SUCCEEDED" and created.outs["batch_id"]
    assert created.id == str(created.outs["job_id"])

    # A refresh reads the same job; an import by id adopts it with inputs AEP can tell.
    id_, outs, _ = native.read("job", "export", created.id, created.outs)
    assert id_ == created.id and outs["batch_id"] == created.outs["batch_id"]
    id_, outs, inputs = native.read("job", "imported", created.id, {}, as_get=True)
    assert outs["batch_id"] == created.outs["batch_id"]
    assert (
        inputs["dataset_id"] == dataset_id and inputs["merge_policy"] == GUIDE_JOB["merge_policy"]
    )
    _, imported, imported_inputs = native.read("dataset", "imported", dataset_id, {}, as_get=True)
    assert imported["name"] == "native target" and imported_inputs["name"] == "native target"

    policies = native.invoke("getMergePolicies", {})
    assert policies["default_id"] and policies["default_version"] >= 1
    assert any(p["default"] for p in policies["merge_policies"])
    by_name = native.invoke("getDataset", {"name": "native target"})
    assert by_name["dataset_id"] == dataset_id

    # An in-place change (the dataset's name) is an update; delete leaves nothing.
    renamed = native.update(
        "dataset", "target", dataset_id, dataset_outs, {**dataset_outs, "name": "renamed"}
    )
    assert renamed["name"] == "renamed"
    native.delete("job", "export", created.id, created.outs)
    native.delete("dataset", "target", dataset_id, renamed)
    assert live_sandbox.state() == {"datasets": {}, "jobs": {}}


def test_an_aep_error_is_one_clean_line(native: NativeHost, live_sandbox: SandboxHandle) -> None:
    with pytest.raises(grpc.RpcError) as caught:
        native.invoke("getDataset", {"dataset_id": "5b020a27e7040801dedba61b"})
    details = caught.value.details() or ""
    assert "HTTP 404" in details and "[CAT-404]" in details and "request id" in details
    assert "Traceback" not in details and TEST_CLIENT_SECRET not in details


def test_customtimeouts_end_the_wait_and_the_stack_keeps_the_running_job(
    native: NativeHost, live_sandbox: SandboxHandle
) -> None:
    dataset_id, _ = dataset(native)
    live_sandbox.app.config.job_duration = 6.0
    inputs, _ = native.check("job", "export", {"dataset_id": dataset_id, **GUIDE_JOB})
    started = time.monotonic()
    with pytest.raises(grpc.RpcError) as caught:
        native.create("job", "export", inputs, timeout=1.0)
    assert time.monotonic() - started < 4
    assert "customTimeouts" in (caught.value.details() or "")
    kept = native.init_failure("job", caught.value)
    assert kept is not None
    job_id, state = kept
    assert state["status"] in ("NEW", "PROCESSING") and state["batch_id"]
    assert list(live_sandbox.state()["jobs"]) == [job_id], "the job runs on, not cancelled"

    # The next `up` updates the half-made resource: it waits for that same job.
    finished = native.update("job", "export", job_id, state, inputs)
    assert finished["status"] == "SUCCEEDED"
    assert list(live_sandbox.state()["jobs"]) == [job_id], "exported once"


def test_cancel_stops_a_wait_at_once_and_the_stack_keeps_the_job(
    live_sandbox: SandboxHandle,
) -> None:
    # A plugin of its own: a Cancel is for the whole process, as the engine sends it.
    with native_host_for(live_sandbox) as plugin:
        dataset_id, _ = dataset(plugin)
        live_sandbox.app.config.job_duration = 30.0
        inputs, _ = plugin.check("job", "export", {"dataset_id": dataset_id, **GUIDE_JOB})
        outcome: dict[str, Any] = {}

        def create() -> None:
            try:
                plugin.create("job", "export", inputs)
            except grpc.RpcError as exc:
                outcome["error"] = exc

        worker = threading.Thread(target=create)
        worker.start()
        while not live_sandbox.state()["jobs"]:
            time.sleep(0.05)
        time.sleep(0.5)
        cancelled_at = time.monotonic()
        plugin.cancel()
        worker.join(timeout=10)
        assert time.monotonic() - cancelled_at < 2, "the wait ended promptly"
        kept = plugin.init_failure("job", outcome["error"])
        assert kept is not None and "cancelled" in (outcome["error"].details() or "")
        (running,) = live_sandbox.state()["jobs"]
        assert kept[0] == running and live_sandbox.app.store.cancelled_running == []


def test_many_creates_at_once_have_no_thread_cap(
    native: NativeHost, live_sandbox: SandboxHandle
) -> None:
    """40 waiting creates at once, each a 4 s job: every POST reaches AEP before the first job
    can have finished, so they all wait side by side. Under a cap of 4 (the dynamic host's), the
    fifth POST would come only once a job had ended, 4 s after the first. Asserted on the order
    of AEP's requests, not on a wall time a loaded machine could stretch."""
    duration = 4.0
    dataset_id, _ = dataset(native)
    live_sandbox.app.config.job_duration = duration
    inputs, _ = native.check("job", "e", {"dataset_id": dataset_id, **GUIDE_JOB})

    def create(i: int) -> str:
        return native.create("job", f"e{i}", {**inputs, "triggers": [str(i)]}).id

    since = len(live_sandbox.app.request_log)
    with ThreadPoolExecutor(max_workers=40) as pool:
        ids = list(pool.map(create, range(40)))
    assert len(set(ids)) == 40 and len(live_sandbox.state()["jobs"]) == 40
    posts = [
        entry["at"]
        for entry in live_sandbox.app.request_log[since:]
        if entry["method"] == "POST" and entry["path"].endswith("/export/jobs")
    ]
    assert len(posts) == 40
    spread = max(posts) - min(posts)
    assert spread < duration, f"the 40 POSTs took {spread:.1f}s to arrive: the creates queued"


def test_the_secret_never_reaches_the_log_or_the_state(
    native: NativeHost, live_sandbox: SandboxHandle
) -> None:
    dataset_id, outs = dataset(native)
    created = job(native, dataset_id)
    text = native.log_text() + json.dumps(outs) + json.dumps(created.outs)
    for secret in (TEST_CLIENT_SECRET, *live_sandbox.app.store.tokens):
        assert secret not in text


def test_misspelt_inputs_and_arguments_are_refused_with_the_closest_name(
    native: NativeHost, live_sandbox: SandboxHandle
) -> None:
    """Whatever reaches the plugin from any language: a misspelt input fails the check with
    a suggestion, showing the value where the engine can (a top-level property) and naming the
    path in the reason where it cannot (a nested one: the engine would print `{<nil>}`)."""
    props = {"dataset_id": "0123456789abcdef01234567", **GUIDE_JOB}
    _, failures = native.check("job", "export", {**props, "feilds": ["identities.id"]})
    assert failures == [("feilds", "unknown property; did you mean `fields`?")]
    _, failures = native.check("dataset", "target", {"name": "n", "descripton": "d"})
    assert failures == [("descripton", "unknown property; did you mean `description`?")]

    wire = native._wire("job", {**props, "feilds": ["identities.id"]})
    raw = native.stub.Check(
        provider_pb2.CheckRequest(urn=native.urn("job", "export"), olds=wire, news=wire)
    )
    (failure,) = raw.failures
    assert failure.property == "feilds" and list(raw.inputs["feilds"]) == ["identities.id"]

    nested = {**props, "merge_policy": {"id": "policy", "verison": 1}}
    raw = native.stub.Check(
        provider_pb2.CheckRequest(
            urn=native.urn("job", "export"),
            olds=native._wire("job", {}),
            news=native._wire("job", nested),
        )
    )
    (failure,) = raw.failures
    assert failure.property == ""
    assert failure.reason == (
        "mergePolicy.verison: unknown property; did you mean `version`? "
        "(expected one of id, version)"
    )

    with pytest.raises(grpc.RpcError) as refused:
        native.stub.Invoke(
            provider_pb2.InvokeRequest(
                tok="aep:index:getMergePolicies", args=encode({"sandboxNme": "prod"})
            )
        )
    assert refused.value.details() == (
        "getMergePolicies takes no argument `sandboxNme`; did you mean `sandboxName`? "
        "(its arguments: schemaName, sandboxName)"
    )
