"""Claims on the target dataset, lost-answer records, and the search window in AEP's clock."""

from __future__ import annotations

from typing import Any

from aep_pulumi.aep.clock import ServerClock
from aep_pulumi.core.export_job.claims import (
    CLAIM_PREFIX,
    LOST_PREFIX,
    parse_claims,
    removal,
    request_fingerprint,
    tag_path,
)
from aep_pulumi.core.export_job.lost_answer import (
    SKEW_MARGIN_MS,
    UNKNOWN_CLOCK_MARGIN_MS,
    window_after,
)
from aep_pulumi.testing import SandboxHandle


def test_tag_paths_escape_as_json_pointers() -> None:
    assert tag_path("aep-pulumi/job-7") == "/tags/aep-pulumi~1job-7"
    assert tag_path("a~b") == "/tags/a~0b"


def test_claims_and_lost_answers_are_read_back_from_tags() -> None:
    tags = {
        f"{CLAIM_PREFIX}1021": ["owner:org/p/s/export", "request:abc"],
        f"{LOST_PREFIX}ff00": ["owner:org/p/s/export", "request:abc", "sent:1700000000000"],
        f"{LOST_PREFIX}broken": ["owner:x"],  # no send time: not a record we can use
        "team": ["data"],
    }
    claims, lost = parse_claims(tags)
    assert claims[1021].owner == "org/p/s/export" and claims[1021].request == "abc"
    assert [x.sent_ms for x in lost] == [1_700_000_000_000]


def test_the_fingerprint_covers_the_request_and_the_triggers() -> None:
    body = {"destination": {"datasetId": "d"}, "fields": "a,b"}
    assert request_fingerprint(body, ["1"]) == request_fingerprint(dict(body), ["1"])
    assert request_fingerprint(body, ["1"]) != request_fingerprint(body, ["2"])
    assert request_fingerprint(body, None) != request_fingerprint({**body, "fields": "a"}, None)


def test_a_removal_succeeds_whether_or_not_the_tag_is_there(
    aep_sandbox_inprocess: SandboxHandle,
) -> None:
    client = aep_sandbox_inprocess.client()
    store = aep_sandbox_inprocess.app.store
    dataset = store.create_dataset(
        "prod", {"name": "d", "schemaRef": {"id": "x"}, "tags": {"keep": ["me"]}}, "o", "c"
    )
    path = tag_path(f"{CLAIM_PREFIX}5")
    client.patch_dataset(dataset, [{"op": "add", "path": path, "value": ["owner:a"]}])
    client.patch_dataset(dataset, removal(path))
    client.patch_dataset(dataset, removal(path))  # already gone: still fine
    tags: dict[str, Any] = store.dataset("prod", dataset)["tags"]  # type: ignore[index]
    assert tags == {"keep": ["me"]}


def test_the_window_is_in_aeps_clock_and_wider_while_it_is_unknown() -> None:
    class Client:
        clock = ServerClock(wall=lambda: 1_700_000_000.0)

    client: Any = Client()
    unknown = window_after(client, 1_700_000_000.0, 60)
    assert unknown.start_ms == 1_700_000_000_000 - UNKNOWN_CLOCK_MARGIN_MS
    # AEP's clock 30 s behind ours, as a Date header told it.
    client.clock.note("Tue, 14 Nov 2023 22:12:50 GMT", 1_700_000_000.0, 1_700_000_000.0)
    known = window_after(client, 1_700_000_000.0, 60)
    assert abs(known.start_ms - (1_700_000_000_000 - 30_000 - SKEW_MARGIN_MS)) <= 1_000
    assert known.end_ms - known.start_ms == 60_000 + 2 * SKEW_MARGIN_MS


def test_claims_of_many_creates_go_out_in_few_patches() -> None:
    """Operations queued while a PATCH is out go together in the next one; each caller gets
    the outcome of the PATCH that carried its operations, and nothing is sent twice."""
    import threading
    import time
    from concurrent.futures import ThreadPoolExecutor

    from aep_pulumi.core.registries import Batches

    batches: Batches[list[dict[str, Any]], bool] = Batches()
    sent: list[list[dict[str, Any]]] = []
    lock = threading.Lock()

    def patch(items: list[list[dict[str, Any]]]) -> list[bool]:
        operations = [op for ops in items for op in ops]
        time.sleep(0.05)
        with lock:
            sent.append(operations)
        ok = not any(op["path"] == "/tags/bad" for op in operations)
        return [ok] * len(items)

    def claim(i: int) -> bool:
        path = "/tags/bad" if i == 77 else f"/tags/job-{i}"
        return batches.send(("claim", "prod", "ds"), [{"op": "add", "path": path}], patch)

    with ThreadPoolExecutor(max_workers=100) as pool:
        outcomes = list(pool.map(claim, range(200)))
    paths = [op["path"] for ops in sent for op in ops]
    assert sorted(paths) == sorted(
        ["/tags/bad", *(f"/tags/job-{i}" for i in range(200) if i != 77)]
    )
    assert len(sent) < 20, f"{len(sent)} PATCHes for 200 claims"
    failed = {i for i, ok in enumerate(outcomes) if not ok}
    carried_bad = next(ops for ops in sent if any(op["path"] == "/tags/bad" for op in ops))
    assert failed == {
        int(op["path"].rsplit("-", 1)[1]) if op["path"] != "/tags/bad" else 77 for op in carried_bad
    }
