"""Drive the providers through Pulumi's own dynamic provider host, over gRPC, without the CLI.

``python -m pulumi.dynamic`` is the process the Pulumi engine starts for Python dynamic
resources. :class:`ProviderHost` starts it the same way, reads its port, and speaks the
ResourceProvider protocol to it (Configure, Check, Diff, Create, Read, Update, Delete). Tests
and benchmarks use it; so can users who want to exercise their stack's providers for real.
"""

from __future__ import annotations

import sys
import time
from typing import Any

from google.protobuf import json_format, struct_pb2
from pulumi.dynamic.dynamic import serialize_provider
from pulumi.runtime.proto import provider_pb2
from pulumi.runtime.rpc import UNKNOWN

from ..providers import DatasetProvider, ProfileExportJobProvider, ProfileExportWaitProvider
from .plugin_process import Created as Created
from .plugin_process import PluginProcess, replace_unknowns
from .plugin_process import Unknown as Unknown

TYPES = {
    "dataset": ("pulumi-python:dynamic/aep:Dataset", DatasetProvider),
    "job": ("pulumi-python:dynamic/aep:ProfileExportJob", ProfileExportJobProvider),
    "wait": ("pulumi-python:dynamic/aep:ProfileExportWait", ProfileExportWaitProvider),
}


def _to_struct(props: dict[str, Any]) -> struct_pb2.Struct:
    struct = struct_pb2.Struct()
    struct.update(replace_unknowns(props, UNKNOWN))
    return struct


def _from_struct(struct: struct_pb2.Struct) -> dict[str, Any]:
    as_dict: dict[str, Any] = json_format.MessageToDict(struct)
    return as_dict


class ProviderHost(PluginProcess):
    """A running `python -m pulumi.dynamic` and a typed client for it."""

    def __init__(
        self, env: dict[str, str], cwd: str | None = None, python: str | None = None
    ) -> None:
        self.started = time.monotonic()
        argv = [python or sys.executable, "-m", "pulumi.dynamic"]
        super().__init__(argv, env, what="provider host", cwd=cwd)
        self.providers = {kind: serialize_provider(cls()) for kind, (_, cls) in TYPES.items()}

    def urn(self, kind: str, name: str) -> str:
        return f"urn:pulumi:test::aep-test::{TYPES[kind][0]}::{name}"

    def _wire(self, kind: str, props: dict[str, Any]) -> struct_pb2.Struct:
        """``props`` as the host reads them: with the provider, pickled, in ``__provider``."""
        return _to_struct({**props, "__provider": self.providers[kind]})

    @staticmethod
    def _plain(kind: str, struct: struct_pb2.Struct) -> dict[str, Any]:
        return _from_struct(struct)

    def configure(self, config: dict[str, str]) -> None:
        self.stub.Configure(
            provider_pb2.ConfigureRequest(args=_to_struct(dict(config)), acceptSecrets=True)
        )
