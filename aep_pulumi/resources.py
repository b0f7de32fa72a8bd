"""The Pulumi resources: :class:`Dataset` and :class:`ProfileExportJob`.

Constructors follow Pulumi's generated SDKs: ``Resource(resource_name, args=None, opts=None,
**inputs)``, where inputs are keyword arguments or an ``Args`` object. Nested inputs accept plain
dicts or the typed ``...Args`` classes below. Every state property is an ``Output`` attribute.
"""

from __future__ import annotations

import dataclasses
import difflib
import functools
import inspect
from collections.abc import Callable, Mapping, Sequence
from typing import Any, TypeVar, cast

import pulumi
from pulumi import Input, Output, ResourceOptions

from .core.inputs import (
    DATASET_INPUTS,
    DATASET_OUTPUTS,
    JOB_INPUTS,
    JOB_OUTPUTS,
    WAIT_INPUTS,
    WAIT_OUTPUTS,
)
from .pickling import unwrap_pickler
from .providers import DatasetProvider, ProfileExportJobProvider, ProfileExportWaitProvider


def _to_props(value: Any) -> Any:
    """Turn ``...Args`` dataclasses (at any depth) into plain dicts without ``None`` entries."""
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        return {
            f.name: _to_props(getattr(value, f.name))
            for f in dataclasses.fields(value)
            if getattr(value, f.name) is not None
        }
    if isinstance(value, Mapping):
        return {k: _to_props(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_to_props(v) for v in value]
    return value


def _merge_args(
    kind: str, args_cls: type, arguments: Mapping[str, Any]
) -> tuple[dict[str, Any], ResourceOptions | None]:
    """A constructor's inputs and options, from its ``locals()``: its keyword arguments are the
    fields of ``args_cls`` (one list of names, the signature's), or an ``args_cls`` is given
    instead; options may come second in ``args``' place, as in Pulumi's own constructors.
    Nested ``...Args`` (``merge_policy=MergePolicyArgs(...)``) become plain dicts."""
    args, opts = arguments["args"], arguments["opts"]
    if isinstance(args, ResourceOptions) and opts is None:
        args, opts = None, args
    names = [f.name for f in dataclasses.fields(args_cls)]
    given = {k: _to_props(arguments[k]) for k in names if arguments[k] is not None}
    if args is None:
        return given, opts
    if not isinstance(args, args_cls):
        raise TypeError(f"{kind}: args must be a {args_cls.__name__}, got {type(args).__name__}")
    if given:
        raise TypeError(
            f"{kind}: pass inputs either as a {args_cls.__name__} or as keyword arguments, not both"
            f" (got {', '.join(sorted(given))})"
        )
    props: dict[str, Any] = _to_props(args)
    return props, opts


F = TypeVar("F", bound=Callable[..., None])


def _suggesting_inputs(kind: str) -> Callable[[F], F]:
    """A constructor whose misspelt input (``feilds=``) is refused naming the closest one, as a
    mistyped config key is, rather than with Python's bare ``TypeError``."""

    def decorate(init: F) -> F:
        signature = inspect.signature(init)
        known = [n for n, p in signature.parameters.items() if p.kind is p.KEYWORD_ONLY]

        @functools.wraps(init)
        def checked(*args: Any, **kwargs: Any) -> None:
            unknown = sorted(k for k in kwargs if k not in signature.parameters)
            if unknown:
                hints = []
                for name in unknown:
                    close = difflib.get_close_matches(name, known, n=1)
                    hint = f"; did you mean `{close[0]}`?" if close else ""
                    hints.append(f"`{name}`{hint}")
                raise TypeError(
                    f"{kind} has no input {', '.join(hints)} (its inputs: {', '.join(known)})"
                )
            init(*args, **kwargs)

        return cast(F, checked)

    return decorate


def owner_of(resource_name: str) -> str:
    """Who claims a job in AEP: this stack and resource, as other stacks will read it."""
    return (
        f"{pulumi.get_organization()}/{pulumi.get_project()}/{pulumi.get_stack()}/{resource_name}"
    )


# ---------------------------------------------------------------- Dataset


@dataclasses.dataclass
class DatasetArgs:
    """Inputs of a :class:`Dataset` (see docs/resources.md for each one)."""

    name: Input[str] | None = None
    description: Input[str] | None = None
    schema_id: Input[str] | None = None
    schema_content_type: Input[str] | None = None
    tags: Input[Mapping[str, Input[Sequence[Input[str]]]]] | None = None
    sandbox_name: Input[str] | None = None


class Dataset(pulumi.dynamic.Resource, module="aep", name="Dataset"):
    """An AEP Catalog dataset, by default on the XDM Individual Profile union schema.

    ``name`` defaults to the resource name. The id is the AEP dataset id.
    """

    name: Output[str]
    description: Output[str | None]
    schema_id: Output[str]
    schema_content_type: Output[str]
    tags: Output[dict[str, list[str]] | None]
    sandbox_name: Output[str]
    dataset_id: Output[str]
    created: Output[int]
    updated: Output[int]

    @_suggesting_inputs("Dataset")
    def __init__(
        self,
        resource_name: str,
        args: DatasetArgs | None = None,
        opts: ResourceOptions | None = None,
        *,
        name: Input[str] | None = None,
        description: Input[str] | None = None,
        schema_id: Input[str] | None = None,
        schema_content_type: Input[str] | None = None,
        tags: Input[Mapping[str, Input[Sequence[Input[str]]]]] | None = None,
        sandbox_name: Input[str] | None = None,
    ) -> None:
        props, opts = _merge_args("Dataset", DatasetArgs, locals())
        adopting = opts is not None and opts.id is not None
        if not adopting:
            props.setdefault("name", resource_name)
        for key in (*DATASET_INPUTS, *DATASET_OUTPUTS):
            props.setdefault(key, None)
        unwrap_pickler()  # see aep_pulumi/pickling.py
        super().__init__(DatasetProvider(), resource_name, props, opts)
        # The dataset id *is* the resource id. Taken from the id, it stays known in the preview
        # of an in-place update, where the engine returns only the new inputs as the state (the
        # dynamic provider host does not support previews), so a job wired to it is not shown
        # as replaced when the dataset is only renamed or retagged.
        self.dataset_id = self.id

    @staticmethod
    def get(resource_name: str, id: Input[str], opts: ResourceOptions | None = None) -> Dataset:
        """Adopt an existing AEP dataset by its id (its inputs are read from AEP)."""
        return Dataset(resource_name, None, ResourceOptions.merge(opts, ResourceOptions(id=id)))


# ---------------------------------------------------------------- ProfileExportJob


@dataclasses.dataclass
class MergePolicyArgs:
    """``merge_policy``: the merge policy id and, optionally, its version (>= 1)."""

    id: Input[str]
    version: Input[int] | None = None


@dataclasses.dataclass
class EventListArgs:
    """``event_list``: export ExperienceEvents with the profiles (``additionalFields.eventList``)."""

    fields: Input[Sequence[Input[str]]] | None = None
    from_ingest_timestamp: Input[str] | None = None


@dataclasses.dataclass
class SegmentArgs:
    """One entry of ``segments``: a segment (audience) whose members are exported."""

    segment_id: Input[str]
    segment_ns: Input[str] | None = None
    status: Input[Sequence[Input[str]]] | None = None


@dataclasses.dataclass
class SegmentQualificationTimeArgs:
    """``segment_qualification_time``: RFC 3339 bounds of segment qualification."""

    start_time: Input[str] | None = None
    end_time: Input[str] | None = None


@dataclasses.dataclass
class ProfileExportJobArgs:
    """Inputs of a :class:`ProfileExportJob` (see docs/resources.md for each one)."""

    dataset_id: Input[str] | None = None
    schema_name: Input[str] | None = None
    fields: Input[Sequence[Input[str]]] | None = None
    merge_policy: Input[MergePolicyArgs | Mapping[str, Any]] | None = None
    event_list: Input[EventListArgs | Mapping[str, Any]] | None = None
    segments: Input[Sequence[Input[SegmentArgs | Mapping[str, Any]]]] | None = None
    segment_qualification_time: Input[SegmentQualificationTimeArgs | Mapping[str, Any]] | None = (
        None
    )
    from_ingest_timestamp: Input[str] | None = None
    empty_profiles: Input[bool] | None = None
    segment_per_batch: Input[bool] | None = None
    triggers: Input[Sequence[Any]] | None = None
    wait_for_completion: Input[bool] | None = None
    wait_timeout_seconds: Input[float] | None = None
    report_files: Input[bool] | None = None
    sandbox_name: Input[str] | None = None


class ProfileExportJob(pulumi.dynamic.Resource, module="aep", name="ProfileExportJob"):
    """An AEP profile export job (``POST /export/jobs``) into a dataset.

    Every input that reaches AEP, and ``triggers``, forces a new job. By default ``pulumi up``
    waits until the job SUCCEEDED; the id is the job id as a string.
    """

    dataset_id: Output[str]
    schema_name: Output[str]
    fields: Output[list[str] | None]
    merge_policy: Output[dict[str, Any] | None]
    event_list: Output[dict[str, Any] | None]
    segments: Output[list[dict[str, Any]] | None]
    segment_qualification_time: Output[dict[str, Any] | None]
    from_ingest_timestamp: Output[str | None]
    empty_profiles: Output[bool | None]
    segment_per_batch: Output[bool]
    triggers: Output[list[Any] | None]
    wait_for_completion: Output[bool]
    wait_timeout_seconds: Output[float]
    sandbox_name: Output[str]
    job_id: Output[int]
    status: Output[str]
    batch_id: Output[str]
    batches: Output[list[dict[str, Any]]]
    errors: Output[list[dict[str, Any]]]
    metrics: Output[dict[str, Any]]
    creation_time: Output[int]
    update_time: Output[int]
    request_id: Output[str]
    profile_instance_id: Output[str]
    job_type: Output[str]
    report_files: Output[bool]
    files: Output[list[dict[str, Any]] | None]

    @_suggesting_inputs("ProfileExportJob")
    def __init__(
        self,
        resource_name: str,
        args: ProfileExportJobArgs | None = None,
        opts: ResourceOptions | None = None,
        *,
        dataset_id: Input[str] | None = None,
        schema_name: Input[str] | None = None,
        fields: Input[Sequence[Input[str]]] | None = None,
        merge_policy: Input[MergePolicyArgs | Mapping[str, Any]] | None = None,
        event_list: Input[EventListArgs | Mapping[str, Any]] | None = None,
        segments: Input[Sequence[Input[SegmentArgs | Mapping[str, Any]]]] | None = None,
        segment_qualification_time: Input[SegmentQualificationTimeArgs | Mapping[str, Any]]
        | None = None,
        from_ingest_timestamp: Input[str] | None = None,
        empty_profiles: Input[bool] | None = None,
        segment_per_batch: Input[bool] | None = None,
        triggers: Input[Sequence[Any]] | None = None,
        wait_for_completion: Input[bool] | None = None,
        wait_timeout_seconds: Input[float] | None = None,
        report_files: Input[bool] | None = None,
        sandbox_name: Input[str] | None = None,
    ) -> None:
        props, opts = _merge_args("ProfileExportJob", ProfileExportJobArgs, locals())
        props["owner"] = owner_of(resource_name)
        for key in (*JOB_INPUTS, *JOB_OUTPUTS):
            props.setdefault(key, None)
        unwrap_pickler()  # see aep_pulumi/pickling.py
        super().__init__(ProfileExportJobProvider(), resource_name, props, opts)
        # Known in the preview of an in-place update (see Dataset.dataset_id).
        self.job_id = self.id.apply(int)

    @staticmethod
    def get(
        resource_name: str, id: Input[str], opts: ResourceOptions | None = None
    ) -> ProfileExportJob:
        """Adopt an existing export job by its id (its inputs are read from AEP)."""
        return ProfileExportJob(
            resource_name, None, ResourceOptions.merge(opts, ResourceOptions(id=id))
        )


# ---------------------------------------------------------------- ProfileExportWait


@dataclasses.dataclass
class ProfileExportWaitArgs:
    """Inputs of a :class:`ProfileExportWait`."""

    job_ids: Input[Sequence[Input[str]]] | None = None
    timeout_seconds: Input[float] | None = None
    report_files: Input[bool] | None = None
    sandbox_name: Input[str] | None = None


class ProfileExportWait(pulumi.dynamic.Resource, module="aep", name="ProfileExportWait"):
    """Waits for many export jobs at once (submit them with ``wait_for_completion=False``).

    Holds one provider thread and polls every job in one loop, so N exports in a stack finish in
    about one export's time. A FAILED job fails the deploy with AEP's errors; it stays FAILED in
    AEP and ``pulumi up --refresh`` replaces it. Jobs still running at ``timeout_seconds`` are
    cancelled.
    """

    job_ids: Output[list[str]]
    timeout_seconds: Output[float]
    sandbox_name: Output[str]
    statuses: Output[dict[str, str]]
    batch_ids: Output[dict[str, str]]
    errors: Output[dict[str, list[dict[str, Any]]]]
    report_files: Output[bool]
    files: Output[dict[str, list[dict[str, Any]]] | None]

    @_suggesting_inputs("ProfileExportWait")
    def __init__(
        self,
        resource_name: str,
        args: ProfileExportWaitArgs | None = None,
        opts: ResourceOptions | None = None,
        *,
        job_ids: Input[Sequence[Input[str]]] | None = None,
        timeout_seconds: Input[float] | None = None,
        report_files: Input[bool] | None = None,
        sandbox_name: Input[str] | None = None,
    ) -> None:
        props, opts = _merge_args("ProfileExportWait", ProfileExportWaitArgs, locals())
        for key in (*WAIT_INPUTS, *WAIT_OUTPUTS):
            props.setdefault(key, None)
        unwrap_pickler()  # see aep_pulumi/pickling.py
        super().__init__(ProfileExportWaitProvider(), resource_name, props, opts)
