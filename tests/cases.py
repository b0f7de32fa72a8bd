"""Cases shared by the tests of both front doors (the dynamic providers and the native plugin)."""

from __future__ import annotations

from typing import Any

from aep_pulumi.core.inputs import check_dataset_inputs, check_export_job_inputs

# ProfileExportJob inputs, the property each mistake is reported on, and part of the reason.
JOB_INPUT_CASES: list[tuple[dict[str, Any], str, str]] = [
    ({}, "dataset_id", "is required"),
    ({"dataset_id": 5}, "dataset_id", "must be a string"),
    ({"dataset_id": "d", "fields": "a,b"}, "fields", "list of dot paths"),
    ({"dataset_id": "d", "fields": ["ok", ""]}, "fields[1]", "non-empty dot path"),
    ({"dataset_id": "d", "fields": ["a..b"]}, "fields[0]", "not a dot path"),
    ({"dataset_id": "d", "merge_policy": {"version": 1}}, "merge_policy.id", "is required"),
    (
        {"dataset_id": "d", "merge_policy": {"id": "m", "version": 0}},
        "merge_policy.version",
        "1 or more",
    ),
    (
        {"dataset_id": "d", "merge_policy": {"id": "m", "version": 1.5}},
        "merge_policy.version",
        "whole number",
    ),
    (
        {"dataset_id": "d", "merge_policy": {"id": "m", "colour": 1}},
        "merge_policy.colour",
        "unknown property",
    ),
    (
        {"dataset_id": "d", "event_list": {"from_ingest_timestamp": "yesterday"}},
        "event_list.from_ingest_timestamp",
        "not an RFC 3339 timestamp",
    ),
    (
        {"dataset_id": "d", "from_ingest_timestamp": "2018-10-25 13:22"},
        "from_ingest_timestamp",
        "RFC 3339",
    ),
    (
        {"dataset_id": "d", "segments": [{"segment_ns": "ups"}]},
        "segments[0].segment_id",
        "is required",
    ),
    (
        {"dataset_id": "d", "segments": [{"segment_id": "s", "status": ["gone"]}]},
        "segments[0].status[0]",
        "realized",
    ),
    ({"dataset_id": "d", "segments": []}, "segments", "empty"),
    (
        {
            "dataset_id": "d",
            "segment_qualification_time": {
                "start_time": "2020-02-01T00:00:00Z",
                "end_time": "2020-01-01T00:00:00Z",
            },
        },
        "segment_qualification_time",
        "after end_time",
    ),
    ({"dataset_id": "d", "segment_qualification_time": {}}, "segment_qualification_time", "needs"),
    ({"dataset_id": "d", "segment_per_batch": True}, "segment_per_batch", "needs `segments`"),
    ({"dataset_id": "d", "empty_profiles": "yes"}, "empty_profiles", "true or false"),
    ({"dataset_id": "d", "wait_timeout_seconds": -1}, "wait_timeout_seconds", "greater than 0"),
    ({"dataset_id": "d", "sandbox_name": "Prod"}, "sandbox_name", "lower-case"),
    ({"dataset_id": "d", "triggers": "now"}, "triggers", "must be a list"),
    ({"dataset_id": "d", "batchid": "x"}, "batchid", "unknown property"),
    (
        {"dataset_id": "d", "segments": [{"segment_id": "vip"}, {"segment_id": "vip"}]},
        "segments",
        "lists segment 'vip' twice",
    ),
]

# Dataset inputs with one mistake each, and the property it is reported on.
DATASET_INPUT_CASES: list[tuple[dict[str, Any], str, str]] = [
    ({"name": ""}, "name", "must not be empty"),
    ({"name": "d", "tags": {"a b": ["x"]}}, "tags.a b", ""),
    ({"name": "d", "tags": {"ok": [1]}}, "tags.ok[0]", ""),
    ({"name": "d", "schema_id": "nope"}, "schema_id", ""),
    ({"name": "d", "extra": 1}, "extra", "unknown property"),
]

# ProfileExportWait inputs with one mistake each.
WAIT_INPUT_CASES: list[tuple[dict[str, Any], str, str]] = [
    ({}, "job_ids", "is required"),
    ({"job_ids": ["12", "x/1"]}, "job_ids[1]", ""),
    ({"job_ids": ["12"], "timeout_seconds": 0}, "timeout_seconds", "greater than 0"),
]

_JOB = {
    "dataset_id": "d1",
    "fields": ["identities.id", "personalEmail.address"],
    "merge_policy": {"id": "m", "version": 1},
    "wait_for_completion": True,
    "wait_timeout_seconds": 3600,
    "sandbox_name": "prod",
}
# States as a create leaves them: the checked inputs and the outputs.
_JOB_STATE = {
    **check_export_job_inputs(dict(_JOB))[0],
    "status": "SUCCEEDED",
    "job_id": 7,
    "batch_id": "b7",
}
_DATASET = {"name": "Profile Data Export"}
_DATASET_STATE = {
    **check_dataset_inputs(dict(_DATASET))[0],
    "sandbox_name": "prod",
    "dataset_id": "ds1",
}
_WAIT_STATE = {
    "job_ids": ["1", "2"],
    "timeout_seconds": 3600,
    "sandbox_name": "prod",
    "statuses": {"1": "SUCCEEDED", "2": "SUCCEEDED"},
}
UNKNOWN = object()  # replaced by each door's unknown marker

# (case, kind, old state, new inputs, whether anything changed, the properties that replace).
DIFF_CASES: list[tuple[str, str, dict[str, Any], dict[str, Any], bool, list[str]]] = [
    ("dataset unchanged", "dataset", _DATASET_STATE, _DATASET, False, []),
    ("dataset renamed", "dataset", _DATASET_STATE, {**_DATASET, "name": "Other"}, True, []),
    ("dataset tagged", "dataset", _DATASET_STATE, {**_DATASET, "tags": {"a": ["b"]}}, True, []),
    (
        "dataset schema",
        "dataset",
        _DATASET_STATE,
        {**_DATASET, "schema_id": "https://ns.adobe.com/other"},
        True,
        ["schema_id"],
    ),
    (
        "dataset sandbox",
        "dataset",
        _DATASET_STATE,
        {**_DATASET, "sandbox_name": "dev"},
        True,
        ["sandbox_name"],
    ),
    ("dataset unknown name", "dataset", _DATASET_STATE, {**_DATASET, "name": UNKNOWN}, True, []),
    ("job unchanged", "job", _JOB_STATE, _JOB, False, []),
    ("job fields", "job", _JOB_STATE, {**_JOB, "fields": ["identities.id"]}, True, ["fields"]),
    ("job triggers", "job", _JOB_STATE, {**_JOB, "triggers": ["2024-06"]}, True, ["triggers"]),
    (
        "job merge policy",
        "job",
        _JOB_STATE,
        {**_JOB, "merge_policy": {"id": "other", "version": 1}},
        True,
        ["merge_policy"],
    ),
    ("job dataset", "job", _JOB_STATE, {**_JOB, "dataset_id": "d2"}, True, ["dataset_id"]),
    (
        "job unknown dataset",
        "job",
        _JOB_STATE,
        {**_JOB, "dataset_id": UNKNOWN},
        True,
        ["dataset_id"],
    ),
    ("job wait timeout", "job", _JOB_STATE, {**_JOB, "wait_timeout_seconds": 10}, True, []),
    ("job failed", "job", {**_JOB_STATE, "status": "FAILED"}, _JOB, True, ["status"]),
    ("wait reordered", "wait", _WAIT_STATE, {"job_ids": ["2", "1"]}, False, []),
    ("wait other jobs", "wait", _WAIT_STATE, {"job_ids": ["1", "3"]}, True, ["job_ids"]),
    (
        "wait unknown job",
        "wait",
        _WAIT_STATE,
        {"job_ids": [UNKNOWN, "2"]},
        True,
        ["job_ids"],
    ),
    (
        "wait still running",
        "wait",
        {**_WAIT_STATE, "statuses": {"1": "SUCCEEDED", "2": "PROCESSING"}},
        {"job_ids": ["1", "2"], "timeout_seconds": 7200},
        True,
        ["statuses"],
    ),
]
