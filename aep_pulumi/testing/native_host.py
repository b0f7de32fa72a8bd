"""Drive the native ``aep`` plugin (``pulumi-resource-aep``) over gRPC, without the CLI.

The counterpart of :class:`~aep_pulumi.testing.provider_host.ProviderHost` for the native door:
it starts the plugin as the engine does, reads its port, and speaks the ResourceProvider
protocol to it. Its methods take and return the state's snake_case names, as the dynamic host's
do, so one table of cases runs through both doors; on the wire they are the schema's camelCase.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import threading
from concurrent import futures
from pathlib import Path
from typing import Any

import grpc
from google.protobuf import empty_pb2
from pulumi.runtime.proto import (
    engine_pb2,
    engine_pb2_grpc,
    provider_pb2,
    provider_pb2_grpc,
    status_pb2,
)

from ..core.schema import FUNCTIONS, RESOURCES
from ..core.unknown import UNKNOWN
from ..native.wire import decode, encode, from_wire, to_wire
from .provider_host import Created, Unknown

TYPES = {"dataset": "Dataset", "job": "ProfileExportJob", "wait": "ProfileExportWait"}
SEVERITIES = {engine_pb2.DEBUG: "debug", engine_pb2.INFO: "info", engine_pb2.WARNING: "warning"}


def _plugin() -> list[str]:
    beside = Path(sys.executable).with_name("pulumi-resource-aep")
    found = str(beside) if beside.exists() else shutil.which("pulumi-resource-aep")
    return [found] if found else [sys.executable, "-m", "aep_pulumi.native.server"]


class _EngineLog(engine_pb2_grpc.EngineServicer):
    """The engine's Log service, as the plugin reaches it: each message kept as a line."""

    def __init__(self, lines: list[str]) -> None:
        self.lines = lines

    def Log(self, request: Any, context: Any) -> Any:
        self.lines.append(f"{SEVERITIES.get(request.severity, 'error')}: {request.message}")
        return empty_pb2.Empty()


def _unknowns(value: Any) -> Any:
    if value is Unknown or isinstance(value, Unknown):
        return UNKNOWN
    if isinstance(value, dict):
        return {k: _unknowns(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_unknowns(v) for v in value]
    return value


class NativeHost:
    """A running ``pulumi-resource-aep`` and a snake_case client for it.

    It plays the engine's part too: the plugin gets the address of a Log service here, and
    what the plugin logs is in :meth:`log_text`.
    """

    def __init__(self, env: dict[str, str]) -> None:
        self.log_lines: list[str] = []
        self._engine = grpc.server(futures.ThreadPoolExecutor(max_workers=4))
        engine_pb2_grpc.add_EngineServicer_to_server(_EngineLog(self.log_lines), self._engine)
        engine_port = self._engine.add_insecure_port("127.0.0.1:0")
        self._engine.start()
        full_env = {k: v for k, v in os.environ.items() if not k.startswith("AEP_")}
        full_env.update(env)
        self.process = subprocess.Popen(
            [*_plugin(), f"127.0.0.1:{engine_port}"],
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            env=full_env,
        )
        assert self.process.stdout is not None
        line = self.process.stdout.readline().decode().strip()
        if not line.isdigit():
            err = self.process.stderr.read().decode() if self.process.stderr else ""
            self._engine.stop(None)
            raise RuntimeError(f"pulumi-resource-aep did not start: {line!r} {err}")
        threading.Thread(target=self._drain, daemon=True).start()
        self.channel = grpc.insecure_channel(f"127.0.0.1:{line}")
        self.stub = provider_pb2_grpc.ResourceProviderStub(self.channel)

    def _drain(self) -> None:
        assert self.process.stderr is not None
        for raw in self.process.stderr:
            self.log_lines.append(raw.decode(errors="replace").rstrip())

    def log_text(self) -> str:
        """What the plugin logged through the engine (and printed on stderr) so far."""
        return "\n".join(self.log_lines)

    def close(self) -> None:
        self.channel.close()
        self.process.terminate()
        try:
            self.process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()
        self._engine.stop(None)

    # ------------------------------------------------------------ conversions

    @staticmethod
    def urn(kind: str, name: str) -> str:
        return f"urn:pulumi:test::aep-test::aep:index:{TYPES[kind]}::{name}"

    @staticmethod
    def _wire(kind: str, props: dict[str, Any]) -> Any:
        # Names the schema does not know go as written, as a user's misspelling would.
        properties = RESOURCES[TYPES[kind]].properties
        return encode(to_wire(properties, _unknowns(props), unlisted=True))

    @staticmethod
    def _plain(kind: str, struct: Any) -> dict[str, Any]:
        values, _ = decode(struct)
        return from_wire(RESOURCES[TYPES[kind]].properties, values)

    # ------------------------------------------------------------ the protocol

    def configure(self, config: dict[str, str]) -> None:
        """``config`` as ``aep:clientId`` keys; sent as the engine names them
        (``aep:config:clientId``)."""
        variables = {key.replace(":", ":config:", 1): value for key, value in config.items()}
        self.stub.Configure(provider_pb2.ConfigureRequest(variables=variables, acceptSecrets=True))

    def check(
        self, kind: str, name: str, news: dict[str, Any], olds: dict[str, Any] | None = None
    ) -> tuple[dict[str, Any], list[tuple[str, str]]]:
        response = self.stub.Check(
            provider_pb2.CheckRequest(
                urn=self.urn(kind, name),
                olds=self._wire(kind, olds or {}),
                news=self._wire(kind, news),
            )
        )
        return self._plain(kind, response.inputs), [
            (f.property, f.reason) for f in response.failures
        ]

    def diff(
        self, kind: str, name: str, id_: str, olds: dict[str, Any], news: dict[str, Any]
    ) -> Any:
        return self.stub.Diff(
            provider_pb2.DiffRequest(
                id=id_,
                urn=self.urn(kind, name),
                olds=self._wire(kind, olds),
                news=self._wire(kind, news),
            )
        )

    def create(
        self,
        kind: str,
        name: str,
        props: dict[str, Any],
        *,
        timeout: float = 0,
        preview: bool = False,
    ) -> Created:
        """A create (``timeout``: the resource's ``customTimeouts.create``, in seconds)."""
        response = self.stub.Create(
            provider_pb2.CreateRequest(
                urn=self.urn(kind, name),
                properties=self._wire(kind, props),
                timeout=timeout,
                preview=preview,
            )
        )
        return Created(response.id, self._plain(kind, response.properties))

    def read(
        self, kind: str, name: str, id_: str, props: dict[str, Any], *, as_get: bool = False
    ) -> tuple[str, dict[str, Any], dict[str, Any]]:
        """A refresh (the state's ``props``), or with ``as_get`` an import/``.get()`` (only
        ``props`` as inputs)."""
        field = "inputs" if as_get else "properties"
        response = self.stub.Read(
            provider_pb2.ReadRequest(
                id=id_, urn=self.urn(kind, name), **{field: self._wire(kind, props)}
            )
        )
        return (
            response.id,
            self._plain(kind, response.properties),
            self._plain(kind, response.inputs),
        )

    def update(
        self,
        kind: str,
        name: str,
        id_: str,
        olds: dict[str, Any],
        news: dict[str, Any],
        *,
        timeout: float = 0,
        preview: bool = False,
    ) -> dict[str, Any]:
        response = self.stub.Update(
            provider_pb2.UpdateRequest(
                id=id_,
                urn=self.urn(kind, name),
                olds=self._wire(kind, olds),
                news=self._wire(kind, news),
                timeout=timeout,
                preview=preview,
            )
        )
        return self._plain(kind, response.properties)

    def invoke(self, function: str, args: dict[str, Any]) -> dict[str, Any]:
        """``aep:index:<function>`` with snake_case ``args``; its result in snake_case."""
        spec = FUNCTIONS[function]
        response = self.stub.Invoke(
            provider_pb2.InvokeRequest(
                tok=f"aep:index:{function}", args=encode(to_wire(spec.inputs, args))
            )
        )
        values, _ = decode(getattr(response, "return"))
        return from_wire(spec.outputs, values)

    def schema(self) -> dict[str, Any]:
        """The package schema the plugin serves."""
        answer = self.stub.GetSchema(provider_pb2.GetSchemaRequest(version=0))
        schema: dict[str, Any] = json.loads(answer.schema)
        return schema

    def init_failure(self, kind: str, error: grpc.RpcError) -> tuple[str, dict[str, Any]] | None:
        """The object an operation left half-way (``ErrorResourceInitFailed``): its id and
        state, as the engine would keep them; ``None`` for a plain error."""
        for key, value in error.trailing_metadata() or ():
            if key != "grpc-status-details-bin":
                continue
            details = status_pb2.Status.FromString(value)
            for detail in details.details:
                failed = provider_pb2.ErrorResourceInitFailed()
                if detail.Unpack(failed):
                    return failed.id, self._plain(kind, failed.properties)
        return None

    def delete(self, kind: str, name: str, id_: str, props: dict[str, Any]) -> None:
        self.stub.Delete(
            provider_pb2.DeleteRequest(
                id=id_, urn=self.urn(kind, name), properties=self._wire(kind, props)
            )
        )

    def cancel(self) -> None:
        self.stub.Cancel(empty_pb2.Empty())
