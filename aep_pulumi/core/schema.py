"""The one description of each resource's properties (and of the functions and the object types
they use): names, types, defaults, what forces a replacement, what AEP decides.

Everything that lists properties derives from here: the input/output name lists the validators
and the dynamic resources use, the native plugin's Pulumi package schema (camelCase names, from
which the TypeScript, Python and Go SDKs are generated), and the reference in ``docs/``. What
restates it (the dynamic door's Args in ``resources.py``; each resource's inputs and state as
TypedDicts, for the type checker, in :mod:`.shapes`) is held to it by
``tests/unit/test_schema_ties.py``. Names are the state's snake_case names; the package schema's
are their camelCase (:func:`camel`).
Plain data: no pulumi, no pydantic. The kinds of description it is written in come first: a
property, an object type, a resource, a function.
"""

from __future__ import annotations

import functools
from dataclasses import dataclass, field
from typing import Any


@dataclass(frozen=True)
class Prop:
    """One property. ``kind`` is ``string``, ``integer``, ``number``, ``boolean``, ``array``,
    ``map`` (string keys the user chooses), ``object`` (free-form) or ``ref`` (an object type
    named by ``ref``); ``items`` is the element kind (or type name) of arrays and maps."""

    name: str
    kind: str
    description: str
    input: bool = True
    required: bool = False
    default: Any = None
    items: str | None = None
    ref: str | None = None
    replace: bool = False
    # Set by the resource itself, never by the user (the dynamic door's `owner`).
    internal: bool = False


@dataclass(frozen=True)
class ObjectType:
    """A nested object's properties (``merge_policy``, a segment, a file...)."""

    name: str
    description: str
    properties: tuple[Prop, ...]


@dataclass(frozen=True)
class ResourceSpec:
    """A resource: its token's name (``aep:index:<name>``), description and properties."""

    name: str
    description: str
    properties: tuple[Prop, ...]

    def inputs(self, *, internal: bool = True) -> tuple[str, ...]:
        return tuple(p.name for p in self.properties if p.input and (internal or not p.internal))

    def outputs(self) -> tuple[str, ...]:
        """The properties AEP decides (every input is an output too)."""
        return tuple(p.name for p in self.properties if not p.input)

    def prop(self, name: str) -> Prop:
        return next(p for p in self.properties if p.name == name)


@dataclass(frozen=True)
class FunctionSpec:
    """A function (an invoke): its inputs and outputs."""

    name: str
    description: str
    inputs: tuple[Prop, ...]
    outputs: tuple[Prop, ...] = field(default_factory=tuple)


# Every property of every request and answer goes through here (tens of thousands of calls for
# a stack of 500 exports); the names are few.
@functools.lru_cache(maxsize=1024)
def camel(name: str) -> str:
    """A state name as the package schema spells it: ``event_list`` -> ``eventList``."""
    head, *rest = name.split("_")
    return head + "".join(part[:1].upper() + part[1:] for part in rest)


DEFAULT_SCHEMA_ID = "https://ns.adobe.com/xdm/context/profile__union"
DEFAULT_SCHEMA_CONTENT_TYPE = "application/vnd.adobe.xed+json;version=1"
DEFAULT_SCHEMA_NAME = "_xdm.context.profile"
DEFAULT_WAIT_TIMEOUT_SECONDS = 3600


SANDBOX = Prop(
    "sandbox_name",
    "string",
    "The AEP sandbox this object lives in (lower case); defaults to the configured one. "
    "Changing it forces a replacement.",
    replace=True,
)
# A function's sandbox: the one it reads.
READ_SANDBOX = Prop(
    "sandbox_name",
    "string",
    "The AEP sandbox to read (lower case); defaults to the configured one.",
)
REPORT_FILES = Prop(
    "report_files",
    "boolean",
    "List the export's files (Data Access API) in `files` once it SUCCEEDED.",
    default=True,
)
FILES_OF_A_BATCH = "The export's dataset files and their parts (when `report_files`)."

TYPES: dict[str, ObjectType] = {
    t.name: t
    for t in (
        ObjectType(
            "MergePolicy",
            "The merge policy an export uses (`mergePolicy` of the request).",
            (
                Prop("id", "string", "The merge policy's id.", required=True),
                Prop("version", "integer", "Its version (1 or more)."),
            ),
        ),
        ObjectType(
            "EventList",
            "ExperienceEvents exported with the profiles (`additionalFields.eventList`).",
            (
                Prop("fields", "array", "Dot paths of the event fields.", items="string"),
                Prop(
                    "from_ingest_timestamp",
                    "string",
                    "Only events ingested after this RFC 3339 time.",
                ),
            ),
        ),
        ObjectType(
            "Segment",
            "A segment (audience) whose members are exported.",
            (
                Prop("segment_id", "string", "The segment's id.", required=True),
                Prop("segment_ns", "string", "Its namespace (AEP's default: `ups`)."),
                Prop(
                    "status",
                    "array",
                    "Membership statuses to export: `realized`, `existing`, `exited`.",
                    items="string",
                ),
            ),
        ),
        ObjectType(
            "SegmentQualificationTime",
            "Bounds of segment qualification (RFC 3339).",
            (
                Prop("start_time", "string", "Qualified at or after this time."),
                Prop("end_time", "string", "Qualified at or before this time."),
            ),
        ),
        ObjectType(
            "SegmentBatch",
            "The batch that holds one segment's profiles (`segment_per_batch`).",
            (
                Prop("segment_id", "string", "The segment."),
                Prop("segment_ns", "string", "Its namespace."),
                Prop("status", "array", "The statuses exported.", items="string"),
                Prop("batch_id", "string", "The Catalog batch."),
            ),
        ),
        ObjectType(
            "JobError",
            "One of AEP's errors of a FAILED job.",
            (
                Prop("code", "string", "AEP's error code."),
                Prop("msg", "string", "AEP's message."),
            ),
        ),
        ObjectType(
            "ExportPart",
            "One part of a dataset file.",
            (
                Prop("name", "string", "The part's name (its `path` in Data Access)."),
                Prop("size", "integer", "Its size in bytes."),
            ),
        ),
        ObjectType(
            "ExportFile",
            "One dataset file of an export batch.",
            (
                Prop("batch_id", "string", "The batch."),
                Prop("file_id", "string", "The dataset file id (`dataSetFileId`)."),
                Prop("records", "integer", "Records in the file."),
                Prop("size", "integer", "Bytes in the file."),
                Prop("parts", "array", "Its parts.", items="ExportPart"),
            ),
        ),
    )
}

DATASET = ResourceSpec(
    "Dataset",
    "An AEP Catalog dataset (`POST /dataSets`), by default on the XDM Individual Profile union "
    "schema: the target of profile exports. The schema reference and the sandbox force a "
    "replacement; name, description and tags update in place. The id is the dataset id.",
    (
        Prop(
            "name", "string", "The dataset's name (defaults to the resource name).", required=True
        ),
        Prop("description", "string", "Its description."),
        Prop(
            "schema_id",
            "string",
            "The XDM schema's `$id`.",
            default=DEFAULT_SCHEMA_ID,
            replace=True,
        ),
        Prop(
            "schema_content_type",
            "string",
            "The schema reference's content type.",
            default=DEFAULT_SCHEMA_CONTENT_TYPE,
            replace=True,
        ),
        Prop(
            "tags",
            "map",
            "Catalog tags this resource manages (name -> values); tags others set are kept.",
            items="array",
        ),
        SANDBOX,
        Prop("dataset_id", "string", "The dataset's id (the resource id).", input=False),
        Prop("created", "integer", "When Catalog created it (epoch ms).", input=False),
        Prop("updated", "integer", "When Catalog last changed it (epoch ms).", input=False),
    ),
)

EXPORT_JOB = ResourceSpec(
    "ProfileExportJob",
    "An AEP profile export job (`POST /export/jobs`) into a dataset. Every input that reaches "
    "AEP, and `triggers`, forces a new job; by default `pulumi up` waits until it SUCCEEDED. "
    "The id is the job id.",
    (
        Prop("dataset_id", "string", "The target dataset's id.", required=True, replace=True),
        Prop(
            "schema_name",
            "string",
            "The XDM schema class exported.",
            default=DEFAULT_SCHEMA_NAME,
            replace=True,
        ),
        Prop(
            "fields",
            "array",
            "Dot paths of the profile fields to export (default: every field).",
            items="string",
            replace=True,
        ),
        Prop("merge_policy", "ref", "The merge policy to use.", ref="MergePolicy", replace=True),
        Prop("event_list", "ref", "ExperienceEvents to export too.", ref="EventList", replace=True),
        Prop(
            "segments",
            "array",
            "Export only these segments' members.",
            items="Segment",
            replace=True,
        ),
        Prop(
            "segment_qualification_time",
            "ref",
            "Export only members qualified in this interval.",
            ref="SegmentQualificationTime",
            replace=True,
        ),
        Prop(
            "from_ingest_timestamp",
            "string",
            "Export only profiles updated after this RFC 3339 time.",
            replace=True,
        ),
        Prop("empty_profiles", "boolean", "Export profiles without fields too.", replace=True),
        Prop(
            "segment_per_batch",
            "boolean",
            "One batch per segment (needs `segments`).",
            default=False,
            replace=True,
        ),
        Prop(
            "triggers",
            "array",
            "Any values: a change re-runs the export.",
            items="any",
            replace=True,
        ),
        Prop(
            "wait_for_completion",
            "boolean",
            "Wait until the job SUCCEEDED (false: return once it is submitted).",
            default=True,
        ),
        Prop(
            "wait_timeout_seconds",
            "number",
            "How long to wait; a job still running then is cancelled.",
            default=DEFAULT_WAIT_TIMEOUT_SECONDS,
        ),
        REPORT_FILES,
        SANDBOX,
        Prop(
            "owner",
            "string",
            "Who claims the job on the target dataset (`<org>/<project>/<stack>/<resource>`).",
            internal=True,
        ),
        Prop(
            "adopted_request",
            "string",
            "Of a job adopted by id: the request its claim records (see core/export_job/state.py).",
            input=False,
            internal=True,
        ),
        Prop("job_id", "integer", "The export job's id.", input=False),
        Prop("status", "string", "NEW, PROCESSING, SUCCEEDED or FAILED.", input=False),
        Prop("batch_id", "string", "The batch the export writes.", input=False),
        Prop("batches", "array", "Per-segment batches.", input=False, items="SegmentBatch"),
        Prop("errors", "array", "AEP's errors of a FAILED job.", input=False, items="JobError"),
        Prop("metrics", "object", "AEP's timing metrics.", input=False),
        Prop("creation_time", "integer", "When AEP created the job (epoch ms).", input=False),
        Prop("update_time", "integer", "When AEP last changed it (epoch ms).", input=False),
        Prop("request_id", "string", "AEP's request id of the job.", input=False),
        Prop("profile_instance_id", "string", "AEP's profile instance.", input=False),
        Prop("job_type", "string", "AEP's job type (BATCH).", input=False),
        Prop("files", "array", FILES_OF_A_BATCH, input=False, items="ExportFile"),
    ),
)

EXPORT_WAIT = ResourceSpec(
    "ProfileExportWait",
    "Waits for many export jobs at once (submitted with `wait_for_completion=false`): one "
    "poller, one listing per round. A FAILED job fails the deploy; it stays FAILED and the next "
    "`up --refresh` replaces it. Jobs still running at `timeout_seconds` are cancelled.",
    (
        Prop(
            "job_ids",
            "array",
            "The ids of the jobs to wait for.",
            items="string",
            required=True,
            replace=True,
        ),
        Prop(
            "timeout_seconds",
            "number",
            "How long to wait for all of them.",
            default=DEFAULT_WAIT_TIMEOUT_SECONDS,
        ),
        REPORT_FILES,
        SANDBOX,
        Prop("statuses", "map", "Each job's status, by job id.", input=False, items="string"),
        Prop("batch_ids", "map", "Each job's batch, by job id.", input=False, items="string"),
        Prop(
            "errors", "map", "AEP's errors of FAILED jobs, by job id.", input=False, items="array"
        ),
        Prop("files", "map", "Each job's export files, by job id.", input=False, items="array"),
    ),
)

RESOURCES: dict[str, ResourceSpec] = {r.name: r for r in (DATASET, EXPORT_JOB, EXPORT_WAIT)}

FUNCTIONS: dict[str, FunctionSpec] = {
    f.name: f
    for f in (
        FunctionSpec(
            "getMergePolicies",
            "The merge policies of a sandbox (`GET /data/core/ups/config/mergePolicies`), and "
            "the default one of a schema class.",
            (
                Prop(
                    "schema_name",
                    "string",
                    "The schema class whose policies to list.",
                    default=DEFAULT_SCHEMA_NAME,
                ),
                READ_SANDBOX,
            ),
            (
                Prop("merge_policies", "array", "Every merge policy.", items="MergePolicyInfo"),
                Prop("default_id", "string", "The default policy's id (none: empty)."),
                Prop("default_version", "integer", "The default policy's version."),
            ),
        ),
        FunctionSpec(
            "getDataset",
            "A dataset, by id or by name (`GET /dataSets`).",
            (
                Prop("dataset_id", "string", "The dataset's id."),
                Prop("name", "string", "Or its name (exactly one dataset must have it)."),
                READ_SANDBOX,
            ),
            (
                Prop("dataset_id", "string", "The dataset's id."),
                Prop("name", "string", "Its name."),
                Prop("description", "string", "Its description."),
                Prop("schema_id", "string", "Its schema's `$id`."),
                Prop("tags", "map", "Its tags.", items="array"),
                Prop("created", "integer", "When Catalog created it (epoch ms)."),
            ),
        ),
    )
}

TYPES["MergePolicyInfo"] = ObjectType(
    "MergePolicyInfo",
    "A merge policy as AEP lists it.",
    (
        Prop("id", "string", "Its id."),
        Prop("name", "string", "Its name."),
        Prop("schema_name", "string", "The schema class it applies to."),
        Prop("default", "boolean", "Whether it is that class's default."),
        Prop("version", "integer", "Its version."),
    ),
)
