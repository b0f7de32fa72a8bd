"""The ``aep`` provider: the core's resources and functions behind Pulumi's provider protocol.

Unlike the dynamic door it can: predict outputs in a preview (``supportsPreview``); be imported
by id (``pulumi import``); stop waits on Cancel and keep the job in the state (partial state);
honour ``customTimeouts``; and run many operations at once (each core call on a thread of its
own, HTTP off the event loop, a bound on the requests in flight towards AEP). Values here are
plain camelCase wire data (:mod:`.properties`); the gRPC plumbing is :mod:`.server`'s.
"""

from __future__ import annotations

import asyncio
import threading
from collections.abc import Callable, Mapping
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from typing import Any, TypeVar

import grpc
from pulumi.runtime.proto import engine_pb2, engine_pb2_grpc

from ..config import config_keys
from ..core.context import Context
from ..core.dataset import DatasetCore
from ..core.export_job import ExportJobCore
from ..core.export_wait import ExportWaitCore
from ..core.functions import IMPLEMENTATIONS, check_arguments
from ..core.resource import CallOptions, ResourceCore
from ..core.schema import FUNCTIONS, RESOURCES, ResourceSpec, camel
from ..core.values import UNKNOWN
from ..errors import AepError, AepPartialState
from .properties import camel_path, from_wire, to_wire
from .provider_config import configured
from .schema import TOKEN, schema_json

CORES: dict[str, type[ResourceCore[Any, Any]]] = {
    f"{TOKEN}Dataset": DatasetCore,
    f"{TOKEN}ProfileExportJob": ExportJobCore,
    f"{TOKEN}ProfileExportWait": ExportWaitCore,
}
# Core calls at once (each may hold its thread for a whole export's wait).
THREADS = 512
# AEP requests in flight at once, across every operation of the plugin.
AEP_REQUESTS_AT_ONCE = 32
T = TypeVar("T")
Wire = dict[str, Any]


class InitFailed(Exception):
    """An operation that stopped half-way: the object's id and its state, on the wire."""

    def __init__(self, object_id: str, properties: Wire, message: str) -> None:
        super().__init__(message)
        self.object_id = object_id
        self.properties = properties


@dataclass(frozen=True)
class WireDiffOutcome:
    """A diff in the schema's names."""

    changed: bool
    replaces: list[str]
    updates: list[str]
    delete_before_replace: bool


class EngineLog:
    """Progress and warnings through the engine's Log service, on the resource being worked on
    (each core call runs on its own thread, which knows its resource's URN)."""

    def __init__(self, engine_address: str | None) -> None:
        self._stub: Any = None
        self._local = threading.local()
        if engine_address:
            self.connect(engine_address)

    def connect(self, engine_address: str) -> None:
        self._stub = engine_pb2_grpc.EngineStub(grpc.insecure_channel(engine_address))

    def bind(self, urn: str) -> None:
        self._local.urn = urn

    def _send(self, severity: Any, message: str) -> None:
        if self._stub is None:
            return
        try:
            self._stub.Log(
                engine_pb2.LogRequest(
                    severity=severity, message=message, urn=getattr(self._local, "urn", "")
                )
            )
        except grpc.RpcError:
            return  # the engine is going away: nothing to tell

    def info(self, message: str) -> None:
        self._send(engine_pb2.INFO, message)

    def warn(self, message: str) -> None:
        self._send(engine_pb2.WARNING, message)


def urn_parts(urn: str) -> tuple[str, str, str, str]:
    """(stack, project, type, name) of ``urn:pulumi:<stack>::<project>::<type>::<name>``."""
    body = urn.split("urn:pulumi:", 1)[-1].split("::")
    while len(body) < 4:
        body.insert(0, "")
    return body[0], body[1], body[-2], body[-1]


def owner_of(urn: str) -> str:
    """Who claims a job in AEP: the stack and resource the URN names."""
    stack, project, _, name = urn_parts(urn)
    return f"{project}/{stack}/{name}"


def config_key(variable: str) -> str:
    """``aep:config:clientId`` (how the engine names a provider's config) -> ``aep:clientId``."""
    package, _, rest = variable.partition(":")
    return f"{package}:{rest.removeprefix('config:')}"


class AepNativeProvider:
    """The ``aep`` plugin's provider (over the core; see the module's description)."""

    def __init__(self, engine_address: str | None = None) -> None:
        self.log = EngineLog(engine_address)
        self.ctx = Context(log=self.log, partial_state=True, requests_at_once=AEP_REQUESTS_AT_ONCE)
        self._pool = ThreadPoolExecutor(max_workers=THREADS, thread_name_prefix="aep")

    # ------------------------------------------------------------ plumbing

    async def _run(self, urn: str, call: Callable[[], T]) -> T:
        """``call`` on a thread of its own (HTTP and waits never block the event loop). An
        operation that stopped half-way raises :class:`InitFailed` with the state to keep."""

        def bound() -> T:
            self.log.bind(urn)
            return call()

        try:
            return await asyncio.get_running_loop().run_in_executor(self._pool, bound)
        except AepPartialState as exc:
            raise InitFailed(exc.object_id, self.out(urn, exc.state), str(exc)) from None

    @staticmethod
    def spec(urn: str) -> ResourceSpec:
        kind = urn_parts(urn)[2]
        if kind not in CORES:
            raise AepError(f"unknown resource type {kind!r}")
        return RESOURCES[kind.removeprefix(TOKEN)]

    def core(self, urn: str) -> ResourceCore[Any, Any]:
        return CORES[urn_parts(urn)[2]](self.ctx)

    def inp(self, urn: str, values: Mapping[str, Any]) -> dict[str, Any]:
        return from_wire(self.spec(urn).properties, values)

    def out(self, urn: str, values: Mapping[str, Any]) -> Wire:
        return to_wire(self.spec(urn).properties, values)

    # ------------------------------------------------------------ provider

    def attach(self, engine_address: str) -> None:
        """The engine's address, as its handshake gives it (progress goes to its log)."""
        if engine_address:
            self.log.connect(engine_address)

    def schema(self) -> str:
        return schema_json()

    def configure(self, variables: Mapping[str, str], args: Mapping[str, Any]) -> None:
        """The `aep:` configuration: the engine's config variables, else the provider's
        inputs (an explicit provider resource)."""
        given = {config_key(k): v for k, v in variables.items() if k.startswith("aep:")}
        known = {key for key, _env in config_keys()}
        raw: dict[str, Any] = {k: v for k, v in given.items() if k in known}
        for key, text in configured(args).items():
            raw.setdefault(key, text)
        self.ctx.raw_config = raw
        self.ctx.config_key_names = sorted(given)

    def cancel(self) -> None:
        # Every wait wakes up and ends; what it was waiting for stays in the state.
        self.ctx.cancelled.set()

    # ------------------------------------------------------------ resources

    async def check(self, urn: str, news: Mapping[str, Any]) -> tuple[Wire, list[tuple[str, str]]]:
        spec = self.spec(urn)
        inputs = self.inp(urn, news)
        if spec.name == "Dataset" and inputs.get("name") is None:
            inputs["name"] = urn_parts(urn)[3]  # as the Python resources default it
        outcome = await self._run(urn, lambda: self.core(urn).check(inputs))
        failures = [
            (camel_path(spec.properties, path), reason) for path, reason in outcome.failures
        ]
        return self.out(urn, outcome.inputs), failures

    async def diff(
        self, urn: str, olds: Mapping[str, Any], news: Mapping[str, Any]
    ) -> WireDiffOutcome:
        state, inputs = self.inp(urn, olds), self.inp(urn, news)
        outcome = await self._run(urn, lambda: self.core(urn).diff(state, inputs))
        return WireDiffOutcome(
            outcome.changes,
            [camel(k) for k in outcome.replaces],
            [camel(k) for k in outcome.updates],
            outcome.delete_before_replace,
        )

    async def create(
        self, urn: str, props: Mapping[str, Any], *, timeout: float, preview: bool
    ) -> tuple[str, Wire]:
        inputs = self.inp(urn, props)
        if preview:
            # The inputs, and every output AEP decides as unknown.
            predicted = {**dict.fromkeys(self.spec(urn).outputs(), UNKNOWN), **inputs}
            return "", self.out(urn, predicted)
        options = CallOptions(timeout=timeout or None, owner=owner_of(urn))
        created = await self._run(urn, lambda: self.core(urn).create(inputs, options))
        return created.id, self.out(urn, created.outputs)

    async def read(
        self, urn: str, id_: str, props: Mapping[str, Any], inputs: Mapping[str, Any]
    ) -> tuple[str | None, Wire, Wire]:
        # An import (`pulumi import`, `import_`) gives only the id: the core adopts from AEP.
        state = self.inp(urn, props or inputs)
        outcome = await self._run(urn, lambda: self.core(urn).read(id_, state))
        if outcome.id is None:
            return None, {}, {}
        spec = self.spec(urn)
        kept = outcome.inputs
        if kept is None:
            kept = {k: v for k, v in outcome.outputs.items() if k in spec.inputs(internal=False)}
        return outcome.id, self.out(urn, outcome.outputs), self.out(urn, kept)

    async def update(
        self,
        urn: str,
        id_: str,
        olds: Mapping[str, Any],
        news: Mapping[str, Any],
        *,
        timeout: float,
        preview: bool,
    ) -> Wire:
        state, inputs = self.inp(urn, olds), self.inp(urn, news)
        if preview:
            return self.out(urn, self.predicted_update(urn, state, inputs))
        options = CallOptions(timeout=timeout or None, owner=owner_of(urn))
        updated = await self._run(urn, lambda: self.core(urn).update(id_, state, inputs, options))
        return self.out(urn, updated)

    def predicted_update(
        self, urn: str, state: Mapping[str, Any], inputs: Mapping[str, Any]
    ) -> dict[str, Any]:
        """A preview's outputs of an in-place update: the new inputs, and what AEP decided
        before, known, for an update keeps the object (its id, its sandbox: a function or a
        resource over them stays known, and no dependent is shown replaced), except what the
        update itself changes (:attr:`ResourceCore.changed_by_update`)."""
        core = self.core(urn)
        known = {k: v for k, v in state.items() if k in self.spec(urn).outputs()}
        known["sandbox_name"] = core.sandbox_of(state)
        return {**known, **inputs, **dict.fromkeys(core.changed_by_update, UNKNOWN)}

    async def delete(self, urn: str, id_: str, props: Mapping[str, Any]) -> None:
        state = self.inp(urn, props)
        await self._run(urn, lambda: self.core(urn).delete(id_, state))

    # ------------------------------------------------------------ functions

    async def invoke(self, token: str, args: Mapping[str, Any]) -> Wire:
        """A function's result. It reads AEP in a preview too: the engine takes no unknown in
        an invoke's result, so a function is the one thing a preview asks AEP."""
        name = token.removeprefix(TOKEN)
        function, spec = IMPLEMENTATIONS.get(name), FUNCTIONS.get(name)
        if function is None or spec is None:
            raise AepError(f"unknown function {token!r}")
        plain = from_wire(spec.inputs, args)
        check_arguments(name, plain, [p.name for p in spec.inputs])
        result = await self._run(token, lambda: function(self.ctx, plain))
        return to_wire(spec.outputs, result)
