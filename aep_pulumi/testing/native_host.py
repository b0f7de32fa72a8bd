"""Drive the native ``aep`` plugin (``pulumi-resource-aep``) over gRPC, without the CLI.

The counterpart of :class:`~aep_pulumi.testing.provider_host.ProviderHost` for the native door:
it starts the plugin as the engine does, reads its port, and speaks the ResourceProvider
protocol to it. Its methods take and return the state's snake_case names, as the dynamic host's
do, so one table of cases runs through both doors; on the wire they are the schema's camelCase.
"""

from __future__ import annotations

import json
import shutil
import sys
from collections.abc import Sequence
from concurrent import futures
from pathlib import Path
from typing import Any

import grpc
from google.protobuf import empty_pb2
from pulumi.runtime.proto import (
    engine_pb2,
    engine_pb2_grpc,
    provider_pb2,
    status_pb2,
)

from ..core.schema import FUNCTIONS, RESOURCES
from ..core.values import UNKNOWN
from ..native.properties import decode, encode, from_wire, to_wire
from .plugin_process import PluginProcess, replace_unknowns

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


class NativeHost(PluginProcess):
    """A running ``pulumi-resource-aep`` and a snake_case client for it.

    It plays the engine's part too: the plugin gets the address of a Log service here, and
    what the plugin logs is in :meth:`log_text`.
    """

    def __init__(
        self, env: dict[str, str], *, plugin: Sequence[str] | None = None, cwd: str | None = None
    ) -> None:
        """``plugin``: the command that starts the plugin, to which the engine's address is
        added (default: ``pulumi-resource-aep`` beside this Python, or on PATH)."""
        log_lines: list[str] = []
        self._engine = grpc.server(futures.ThreadPoolExecutor(max_workers=4))
        engine_pb2_grpc.add_EngineServicer_to_server(_EngineLog(log_lines), self._engine)
        engine_port = self._engine.add_insecure_port("127.0.0.1:0")
        self._engine.start()
        try:
            super().__init__(
                [*(plugin or _plugin()), f"127.0.0.1:{engine_port}"],
                env,
                what="pulumi-resource-aep",
                cwd=cwd,
                log_lines=log_lines,
            )
        except BaseException:
            self._engine.stop(None)
            raise

    def close(self) -> None:
        super().close()
        self._engine.stop(None)

    # ------------------------------------------------------------ conversions

    # The stack its URNs name (a second host with another stack plays a second stack).
    stack = "test"

    def urn(self, kind: str, name: str) -> str:
        return f"urn:pulumi:{self.stack}::aep-test::aep:index:{TYPES[kind]}::{name}"

    @staticmethod
    def _wire(kind: str, props: dict[str, Any]) -> Any:
        # Names the schema does not know go as written, as a user's misspelling would.
        properties = RESOURCES[TYPES[kind]].properties
        return encode(to_wire(properties, replace_unknowns(props, UNKNOWN), unlisted=True))

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

    def cancel(self) -> None:
        self.stub.Cancel(empty_pb2.Empty())
