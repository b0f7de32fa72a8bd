"""Drive the providers through Pulumi's own dynamic provider host, over gRPC, without the CLI.

``python -m pulumi.dynamic`` is the process the Pulumi engine starts for Python dynamic
resources. :class:`ProviderHost` starts it the same way, reads its port, and speaks the
ResourceProvider protocol to it (Configure, Check, Diff, Create, Read, Update, Delete). Tests
and benchmarks use it; so can users who want to exercise their stack's providers for real.
"""

from __future__ import annotations

import os
import subprocess
import sys
import threading
import time
from dataclasses import dataclass
from typing import Any

import grpc
from google.protobuf import json_format, struct_pb2
from pulumi.dynamic.dynamic import serialize_provider
from pulumi.runtime.proto import provider_pb2, provider_pb2_grpc
from pulumi.runtime.rpc import UNKNOWN

from ..providers import DatasetProvider, ProfileExportJobProvider, ProfileExportWaitProvider

TYPES = {
    "dataset": ("pulumi-python:dynamic/aep:Dataset", DatasetProvider),
    "job": ("pulumi-python:dynamic/aep:ProfileExportJob", ProfileExportJobProvider),
    "wait": ("pulumi-python:dynamic/aep:ProfileExportWait", ProfileExportWaitProvider),
}


class Unknown:
    """Marks a value as unknown (preview) when building a request."""


def _to_struct(props: dict[str, Any]) -> struct_pb2.Struct:
    def convert(value: Any) -> Any:
        if value is Unknown or isinstance(value, Unknown):
            return UNKNOWN
        if isinstance(value, dict):
            return {k: convert(v) for k, v in value.items()}
        if isinstance(value, list):
            return [convert(v) for v in value]
        return value

    struct = struct_pb2.Struct()
    struct.update(convert(props))
    return struct


def _from_struct(struct: struct_pb2.Struct) -> dict[str, Any]:
    as_dict: dict[str, Any] = json_format.MessageToDict(struct)
    return as_dict


@dataclass
class Created:
    id: str
    outs: dict[str, Any]


class ProviderHost:
    """A running `python -m pulumi.dynamic` and a typed client for it."""

    def __init__(
        self, env: dict[str, str], cwd: str | None = None, python: str | None = None
    ) -> None:
        full_env = {k: v for k, v in os.environ.items() if not k.startswith("AEP_")}
        full_env.update(env)
        full_env["PYTHONUNBUFFERED"] = "1"
        self.started = time.monotonic()
        self.process = subprocess.Popen(
            [python or sys.executable, "-m", "pulumi.dynamic"],
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            env=full_env,
            cwd=cwd,
        )
        assert self.process.stdout is not None
        line = self.process.stdout.readline().decode().strip()
        if not line.isdigit():
            err = self.process.stderr.read().decode() if self.process.stderr else ""
            raise RuntimeError(f"provider host did not start: {line!r} {err}")
        self.port = int(line)
        self.log_lines: list[str] = []
        self._reader = threading.Thread(target=self._drain_stderr, daemon=True)
        self._reader.start()
        self.channel = grpc.insecure_channel(f"127.0.0.1:{self.port}")
        self.stub = provider_pb2_grpc.ResourceProviderStub(self.channel)
        self.providers = {kind: serialize_provider(cls()) for kind, (_, cls) in TYPES.items()}

    def _drain_stderr(self) -> None:
        assert self.process.stderr is not None
        for raw in self.process.stderr:
            self.log_lines.append(raw.decode(errors="replace").rstrip())

    def log_text(self) -> str:
        """What the host printed so far (`info:` lines from pulumi.log)."""
        return "\n".join(self.log_lines)

    def close(self) -> None:
        self.channel.close()
        self.process.terminate()
        try:
            self.process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()

    def urn(self, kind: str, name: str) -> str:
        return f"urn:pulumi:test::aep-test::{TYPES[kind][0]}::{name}"

    def _with_provider(self, kind: str, props: dict[str, Any]) -> dict[str, Any]:
        return {**props, "__provider": self.providers[kind]}

    def configure(self, config: dict[str, str]) -> None:
        self.stub.Configure(
            provider_pb2.ConfigureRequest(args=_to_struct(dict(config)), acceptSecrets=True)
        )

    def check(
        self, kind: str, name: str, news: dict[str, Any], olds: dict[str, Any] | None = None
    ) -> tuple[dict[str, Any], list[tuple[str, str]]]:
        response = self.stub.Check(
            provider_pb2.CheckRequest(
                urn=self.urn(kind, name),
                olds=_to_struct(self._with_provider(kind, olds or {})),
                news=_to_struct(self._with_provider(kind, news)),
            )
        )
        return _from_struct(response.inputs), [(f.property, f.reason) for f in response.failures]

    def diff(
        self, kind: str, name: str, id_: str, olds: dict[str, Any], news: dict[str, Any]
    ) -> Any:
        """The raw ``DiffResponse`` (``changes``, ``replaces``...)."""
        return self.stub.Diff(
            provider_pb2.DiffRequest(
                id=id_,
                urn=self.urn(kind, name),
                olds=_to_struct(self._with_provider(kind, olds)),
                news=_to_struct(self._with_provider(kind, news)),
            )
        )

    def create(self, kind: str, name: str, props: dict[str, Any]) -> Created:
        response = self.stub.Create(
            provider_pb2.CreateRequest(
                urn=self.urn(kind, name), properties=_to_struct(self._with_provider(kind, props))
            )
        )
        return Created(response.id, _from_struct(response.properties))

    def read(
        self, kind: str, name: str, id_: str, props: dict[str, Any], *, as_get: bool = False
    ) -> tuple[str, dict[str, Any], dict[str, Any]]:
        if as_get:
            request = provider_pb2.ReadRequest(
                id=id_,
                urn=self.urn(kind, name),
                inputs=_to_struct(self._with_provider(kind, props)),
            )
        else:
            request = provider_pb2.ReadRequest(
                id=id_,
                urn=self.urn(kind, name),
                properties=_to_struct(self._with_provider(kind, props)),
            )
        response = self.stub.Read(request)
        return response.id, _from_struct(response.properties), _from_struct(response.inputs)

    def update(
        self, kind: str, name: str, id_: str, olds: dict[str, Any], news: dict[str, Any]
    ) -> dict[str, Any]:
        response = self.stub.Update(
            provider_pb2.UpdateRequest(
                id=id_,
                urn=self.urn(kind, name),
                olds=_to_struct(self._with_provider(kind, olds)),
                news=_to_struct(self._with_provider(kind, news)),
            )
        )
        return _from_struct(response.properties)

    def delete(self, kind: str, name: str, id_: str, props: dict[str, Any]) -> None:
        self.stub.Delete(
            provider_pb2.DeleteRequest(
                id=id_,
                urn=self.urn(kind, name),
                properties=_to_struct(self._with_provider(kind, props)),
            )
        )
