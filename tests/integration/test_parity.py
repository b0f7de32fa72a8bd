"""The two doors agree: the dynamic providers (through `python -m pulumi.dynamic`) and the native
plugin (`pulumi-resource-aep`), each through its own gRPC host, give the same check failures,
normalised inputs and diffs on one table of cases. Property paths are each door's spelling:
snake_case on the dynamic door, the schema's camelCase on the native one."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest

from aep_pulumi.core.schema import RESOURCES, camel
from aep_pulumi.native.properties import camel_path
from aep_pulumi.testing import NativeHost, SandboxHandle, native_host_for
from aep_pulumi.testing.provider_host import ProviderHost, Unknown

from ..cases import (
    DATASET_INPUT_CASES,
    DIFF_CASES,
    JOB_INPUT_CASES,
    UNKNOWN,
    WAIT_INPUT_CASES,
)

SPECS = {"dataset": "Dataset", "job": "ProfileExportJob", "wait": "ProfileExportWait"}
INPUT_CASES = [
    *[("dataset", *case) for case in DATASET_INPUT_CASES],
    *[("job", *case) for case in JOB_INPUT_CASES],
    *[("wait", *case) for case in WAIT_INPUT_CASES],
]


@pytest.fixture(scope="module")
def native(live_sandbox: SandboxHandle) -> Iterator[NativeHost]:
    with native_host_for(live_sandbox) as plugin:
        yield plugin


def in_schema(kind: str, path: str) -> str:
    return camel_path(RESOURCES[SPECS[kind]].properties, path)


def with_unknowns(value: Any) -> Any:
    if value is UNKNOWN:
        return Unknown()
    if isinstance(value, dict):
        return {k: with_unknowns(v) for k, v in value.items()}
    if isinstance(value, list):
        return [with_unknowns(v) for v in value]
    return value


@pytest.mark.parametrize(
    ("kind", "props", "path", "reason"),
    INPUT_CASES,
    ids=[f"{kind}:{path}" for kind, _, path, _ in INPUT_CASES],
)
def test_check_failures_agree(
    host: ProviderHost,
    native: NativeHost,
    kind: str,
    props: dict[str, Any],
    path: str,
    reason: str,
) -> None:
    _, dynamic_failures = host.check(kind, "thing", props)
    _, native_failures = native.check(kind, "thing", props)
    dynamic = dict(dynamic_failures)
    assert path in dynamic and reason in dynamic[path], dynamic
    assert dict(native_failures) == {in_schema(kind, p): r for p, r in dynamic.items()}


@pytest.mark.parametrize(
    ("kind", "props"),
    [
        ("dataset", {"name": "Profile Data Export", "tags": {"team": ["growth"]}}),
        (
            "job",
            {
                "dataset_id": "d1",
                "fields": ["identities.id"],
                "merge_policy": {"id": "m", "version": 2},
                "segments": [{"segment_id": "vip"}],
                "event_list": {"fields": ["a.b"]},
            },
        ),
        ("wait", {"job_ids": ["3", 4]}),
    ],
)
def test_checked_inputs_agree(
    host: ProviderHost, native: NativeHost, kind: str, props: dict[str, Any]
) -> None:
    dynamic, dynamic_failures = host.check(kind, "thing", props)
    checked, native_failures = native.check(kind, "thing", props)
    assert dynamic_failures == native_failures == []
    dynamic.pop("__provider")
    # The dynamic door records the configured sandbox in its checked inputs: its host forwards no
    # detailed diff, so the engine shows a sandbox change from the inputs (`"prod" => "dev"`);
    # the native door reports its own detailed diff.
    assert dynamic.pop("sandbox_name") == "prod" and "sandbox_name" not in checked
    assert checked == {k: v for k, v in dynamic.items() if k != "owner"}


@pytest.mark.parametrize(
    ("kind", "olds", "news", "changes", "replaces"),
    [case[1:] for case in DIFF_CASES],
    ids=[case[0] for case in DIFF_CASES],
)
def test_diffs_agree(
    host: ProviderHost,
    native: NativeHost,
    kind: str,
    olds: dict[str, Any],
    news: dict[str, Any],
    changes: bool,
    replaces: list[str],
) -> None:
    # As the engine does: the new inputs are the door's own check of them.
    dynamic_news, dynamic_failures = host.check(kind, "thing", with_unknowns(news))
    native_news, native_failures = native.check(kind, "thing", with_unknowns(news))
    assert dynamic_failures == native_failures == []
    dynamic = host.diff(kind, "thing", "id-1", olds, dynamic_news)
    plugin = native.diff(kind, "thing", "id-1", olds, native_news)
    some = dynamic.DiffChanges.Value("DIFF_SOME")
    assert (dynamic.changes == some, sorted(dynamic.replaces)) == (changes, sorted(replaces))
    assert (plugin.changes == some, sorted(plugin.replaces)) == (
        changes,
        sorted(camel(r) for r in replaces),
    )
    assert dynamic.deleteBeforeReplace == plugin.deleteBeforeReplace
