"""Pulumi mocks that behave like the engine does with these dynamic resources.

``pulumi.runtime.set_mocks`` on its own never runs a provider: a unit test of a program accepts
``merge_policy={"version": 0}`` and shows every output as known. :class:`EngineMocks` runs our
providers' real ``configure`` / ``check`` / ``diff`` (never ``create``, ``update`` or ``read``,
so no AEP call is made) and then answers the way the Pulumi engine does for a Python dynamic
provider:

* **check** — a failure aborts the registration with the property path, as ``pulumi preview``
  reports ``CheckFailure``\\s.
* **the planned operation** — no prior state: *create*; prior state: the provider's ``diff``
  against the prior *outputs* decides *same*, *update* (``changes`` without ``replaces``) or
  *replace*.
* **outputs in a preview** — the dynamic provider host's Configure does not announce
  ``supportsPreview``, so for a create, an update and a replacement the engine returns the new
  *checked inputs* as the state, without calling the provider (pulumi/pulumi
  ``sdk/go/common/resource/plugin/provider_plugin.go``, ``Create`` and ``Update``: "If the
  provider does not support previews, return the inputs as the state"). Every output-only
  property is therefore unknown, and so is a replacement's id; an update keeps its id. A *same*
  step keeps the prior outputs.
* **outputs in an update (``up``)** — a create, update or replacement answers with the checked
  inputs plus plausible AEP-decided outputs (ids, ``SUCCEEDED``, a batch id); nothing is sent.

:func:`plan` runs a program as ``up`` and then as a ``preview`` of a changed program or config,
and reports each resource's planned operation and the properties that drive it.
"""

from __future__ import annotations

import hashlib
import json
import logging
import runpy
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, cast

import pulumi
from pulumi.dynamic import ConfigureRequest
from pulumi.dynamic.config import Config as DynamicConfig
from pulumi.runtime.stack import run_pulumi_func
from pulumi.runtime.sync_await import _sync_await

from ..core.context import Context
from ..core.values import UNKNOWN
from ..providers import DatasetProvider, ProfileExportJobProvider, ProfileExportWaitProvider
from ..providers.base import AepProviderBase
from .kit_log import KitLog
from .loops import own_event_loop

PROVIDERS: dict[str, type[AepProviderBase]] = {
    "pulumi-python:dynamic/aep:Dataset": DatasetProvider,
    "pulumi-python:dynamic/aep:ProfileExportJob": ProfileExportJobProvider,
    "pulumi-python:dynamic/aep:ProfileExportWait": ProfileExportWaitProvider,
}
PROVIDER_KEY = "__provider"


class CheckFailed(Exception):
    """A resource's inputs failed ``check()``: what ``pulumi preview`` would report."""

    def __init__(self, resource: str, failures: list[tuple[str, str]]) -> None:
        self.resource = resource
        self.failures = failures
        detail = "; ".join(f"{prop}: {reason}" for prop, reason in failures)
        super().__init__(f"{resource} has a problem: {detail}")


@dataclass
class Recorded:
    """One resource in the (simulated) state: its id, outputs and checked inputs."""

    type: str
    id: str
    outputs: dict[str, Any]
    inputs: dict[str, Any]


@dataclass
class Step:
    """What the engine would do with one resource."""

    name: str
    type: str
    op: str  # "create" | "update" | "replace" | "same"
    # The properties that drive the operation (``replaces`` for a replacement).
    properties: list[str] = field(default_factory=list)


def _fake_id(kind: str, name: str, inputs: Mapping[str, Any]) -> str:
    digest = hashlib.sha256(f"{kind}/{name}/{sorted(inputs.items())!r}".encode()).hexdigest()
    if kind.endswith("Dataset"):
        return digest[:24]
    if kind.endswith("ProfileExportJob"):
        return str(10_000 + int(digest[:6], 16) % 90_000)
    return digest[:12]


def _aep_outputs(kind: str, id_: str, inputs: Mapping[str, Any]) -> dict[str, Any]:
    """Plausible outputs of a successful create/update, as our providers would return them."""
    if kind.endswith("Dataset"):
        return {"dataset_id": id_, "created": 1_700_000_000_000, "updated": 1_700_000_000_000}
    if kind.endswith("ProfileExportJob"):
        return {
            "job_id": int(id_),
            "status": "SUCCEEDED",
            "batch_id": hashlib.sha256(id_.encode()).hexdigest()[:32],
            "batches": [],
            "errors": [],
            "metrics": {},
            "creation_time": 1_700_000_000_000,
            "update_time": 1_700_000_000_000,
            "request_id": "mock",
            "profile_instance_id": "ups",
            "job_type": "BATCH",
            "files": None,
        }
    job_ids = [str(j) for j in inputs.get("job_ids") or []]
    return {
        "statuses": dict.fromkeys(job_ids, "SUCCEEDED"),
        "batch_ids": {j: hashlib.sha256(j.encode()).hexdigest()[:32] for j in job_ids},
        "errors": {},
        "files": None,
    }


class EngineMocks(pulumi.runtime.Mocks):
    """Mocks that run the providers' real check/diff and follow the engine's preview rules.

    ``config`` holds stack configuration (``aep:*`` keys reach the providers' ``configure``, as
    the dynamic host delivers them); ``prior`` is the state of an earlier run (``mocks.state``
    after it); ``preview`` says whether this run is a ``pulumi preview``.
    """

    def __init__(
        self,
        *,
        config: Mapping[str, Any] | None = None,
        prior: Mapping[str, Recorded] | None = None,
        preview: bool = False,
        project: str = "project",
    ) -> None:
        self.config = dict(config or {})
        self.prior = dict(prior or {})
        self.preview = preview
        self.project = project
        self.state: dict[str, Recorded] = {}
        self.steps: dict[str, Step] = {}
        # What the run logged (`log.warnings()`); warnings are printed on stderr too.
        self.log = KitLog()
        # The providers' own context for this run: its log is the run's, and a run that never
        # calls AEP does not announce that `pulumi up` will need credentials.
        self._context = Context(log=self.log, announce_missing_credentials=False)

    def _provider(self, kind: str) -> AepProviderBase:
        provider = PROVIDERS[kind]()
        provider.use_context(self._context)
        provider.configure(
            ConfigureRequest(DynamicConfig(raw_config=dict(self.config), project_name=self.project))
        )
        return provider

    def new_resource(
        self, args: pulumi.runtime.MockResourceArgs
    ) -> tuple[str | None, dict[str, Any]]:
        news = {k: v for k, v in args.inputs.items() if k != PROVIDER_KEY}
        prior = self.prior.get(args.name)
        if prior is not None and prior.type != args.typ:
            prior = None
        if args.typ not in PROVIDERS:
            return self._plain_resource(args, news, prior)
        provider = self._provider(args.typ)
        if args.resource_id:
            # `.get()` is a read: the engine runs no Check for it.
            inputs = dict(news)
        else:
            checked = provider.check(prior.inputs if prior else {}, news)
            if checked.failures:
                raise CheckFailed(
                    f"{args.typ.rsplit(':', 1)[-1]} resource '{args.name}'",
                    [(f.property, f.reason) for f in checked.failures],
                )
            inputs = dict(checked.inputs)
        drivers: list[str]
        if args.resource_id:  # `.get()`: a read of an existing object
            op, drivers = "same", []
        elif prior is None:
            op, drivers = "create", []
        else:
            diff = provider.diff(prior.id, dict(prior.outputs), inputs)
            replaces = list(diff.replaces or [])
            if replaces:
                op, drivers = "replace", replaces
            elif diff.changes:
                op, drivers = "update", _changed(prior.inputs, inputs)
            else:
                op, drivers = "same", []
        self.steps[args.name] = Step(args.name, args.typ, op, drivers)
        return self._answer(args, op, inputs, prior, provider)

    def _answer(
        self,
        args: pulumi.runtime.MockResourceArgs,
        op: str,
        inputs: dict[str, Any],
        prior: Recorded | None,
        provider: AepProviderBase,
    ) -> tuple[str | None, dict[str, Any]]:
        # What our providers' create/update/read return: every input, the sandbox resolved.
        resolved = {**inputs, "sandbox_name": provider.context().effective_sandbox(inputs)}
        if args.resource_id:
            id_ = str(args.resource_id)
            outputs = {**resolved, **_aep_outputs(args.typ, id_, inputs)}
        elif op == "same" and prior is not None:
            id_, outputs = prior.id, dict(prior.outputs)
        elif self.preview:
            # The engine returns the checked inputs as the state; a new object's id is unknown.
            id_ = prior.id if (op == "update" and prior is not None) else ""
            outputs = dict(inputs)
        else:
            id_ = (
                prior.id
                if op == "update" and prior is not None
                else _fake_id(args.typ, args.name, inputs)
            )
            outputs = {**resolved, **_aep_outputs(args.typ, id_, inputs)}
        if id_:
            self.state[args.name] = Recorded(args.typ, id_, outputs, inputs)
        return id_ or None, outputs

    def _plain_resource(
        self, args: pulumi.runtime.MockResourceArgs, news: dict[str, Any], prior: Recorded | None
    ) -> tuple[str | None, dict[str, Any]]:
        """Resources of other providers: echo their inputs; changed inputs count as an update."""
        drivers = _changed(prior.inputs, news) if prior is not None else []
        op = "create" if prior is None else ("update" if drivers else "same")
        self.steps[args.name] = Step(args.name, args.typ, op, drivers)
        id_ = prior.id if prior is not None else f"{args.name}-id"
        self.state[args.name] = Recorded(args.typ, id_, dict(news), dict(news))
        return id_, dict(news)

    def call(
        self, args: pulumi.runtime.MockCallArgs
    ) -> tuple[dict[str, Any], list[tuple[str, str]] | None]:
        return {}, None


def _changed(olds: Mapping[str, Any], news: Mapping[str, Any]) -> list[str]:
    return sorted(k for k in set(olds) | set(news) if olds.get(k) != news.get(k))


Program = Callable[[], Any] | str | Path


def run(
    program: Program,
    mocks: EngineMocks,
    *,
    stack_config: Mapping[str, Any] | None = None,
) -> dict[str, Any]:
    """Run ``program`` (a function, or a directory with ``__main__.py``) under ``mocks``.

    ``stack_config`` is the program's own configuration (``pulumi.Config()`` keys, given without
    the project prefix) plus any ``namespace:key`` entries. Returns the stack outputs as plain
    values (a value the run cannot know, such as an output in a preview, is
    :data:`aep_pulumi.core.values.UNKNOWN`). A resource whose inputs fail ``check`` raises
    :class:`CheckFailed`.

    Each run has an event loop of its own, closed at the end, and leaves nothing pending: the
    futures of a failed run are settled, so nothing reports "exception was never retrieved"
    later, from a garbage collection in the middle of someone else's code.
    """
    with own_event_loop():
        return _run_here(program, mocks, stack_config)


def _run_here(
    program: Program, mocks: EngineMocks, stack_config: Mapping[str, Any] | None
) -> dict[str, Any]:
    # A stack of its own: an earlier run's root resource would lend it its outputs.
    pulumi.runtime.settings.ROOT.set(None)
    pulumi.runtime.set_mocks(
        mocks,
        project=mocks.project,
        stack="test",
        preview=mocks.preview,
        logger=cast(logging.Logger, mocks.log),
    )
    full: dict[str, Any] = {}
    for key, value in {**(stack_config or {}), **mocks.config}.items():
        full[key if ":" in key else f"{mocks.project}:{key}"] = value
    pulumi.runtime.set_all_config({k: _config_text(v) for k, v in full.items()})
    root = pulumi.runtime.get_root_resource()

    def body() -> None:
        if callable(program):
            program()
        else:
            runpy.run_path(str(Path(program).resolve() / "__main__.py"), run_name="__main__")

    try:
        _sync_await(run_pulumi_func(body))
        outputs = dict(getattr(root, "outputs", {}) or {})
        return {name: _sync_await(_plain(value)) for name, value in outputs.items()}
    finally:
        pulumi.runtime.settings.ROOT.set(None)
        # Leave no mock engine behind: outside a program, pulumi.log prints to stderr again.
        pulumi.runtime.settings.configure(
            pulumi.runtime.settings.Settings(project=mocks.project, stack="test")
        )


async def _plain(value: Any) -> Any:
    """An output's value, resolved at any depth; unknown in a preview: ``UNKNOWN``."""
    output = pulumi.Output.from_input(value)
    if not await output.is_known():
        return UNKNOWN
    return await output.future(with_unknowns=True)


def _config_text(value: Any) -> str:
    return value if isinstance(value, str) else json.dumps(value)


@dataclass
class Plan:
    """The outcome of :func:`plan`: the preview's steps, by resource name."""

    steps: dict[str, Step]
    state: dict[str, Recorded]

    def op(self, name: str) -> str:
        return self.steps[name].op

    def ops(self) -> dict[str, str]:
        return {name: step.op for name, step in self.steps.items()}


def plan(
    before: Program,
    after: Program | None = None,
    *,
    config: Mapping[str, Any] | None = None,
    config_after: Mapping[str, Any] | None = None,
    stack_config: Mapping[str, Any] | None = None,
    stack_config_after: Mapping[str, Any] | None = None,
) -> Plan:
    """Run ``before`` as ``pulumi up``, then ``after`` (default: the same program) as ``pulumi
    preview`` with the changed configuration, and report what the preview plans.

    ``config`` holds ``aep:*`` keys (they reach the providers); ``stack_config`` the program's own
    keys. The ``*_after`` variants default to the first run's values.
    """
    up = EngineMocks(config=config, preview=False)
    run(before, up, stack_config=stack_config)
    preview = EngineMocks(
        config=config if config_after is None else config_after,
        prior=up.state,
        preview=True,
    )
    run(
        before if after is None else after,
        preview,
        stack_config=stack_config if stack_config_after is None else stack_config_after,
    )
    return Plan(preview.steps, up.state)
