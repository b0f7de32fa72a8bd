"""A provider plugin started the way the Pulumi engine starts one, for the kit's two hosts.

The engine starts a plugin, reads the port it serves on from its first line of output, and
speaks the ResourceProvider protocol to it over gRPC; the plugin's stderr is what the CLI shows.
:class:`PluginProcess` does the same for :class:`~aep_pulumi.testing.provider_host.ProviderHost`
(Pulumi's dynamic provider host) and :class:`~aep_pulumi.testing.native_host.NativeHost` (the
``aep`` plugin). The environment is the caller's: nothing ``AEP_*`` leaks in from the test's own.
"""

from __future__ import annotations

import array
import fcntl
import os
import re
import select
import signal
import subprocess
import termios
import threading
import time
from dataclasses import dataclass
from typing import Any

import grpc
from pulumi.runtime.proto import provider_pb2, provider_pb2_grpc


@dataclass
class Created:
    """A create's answer: the new id and the state."""

    id: str
    outs: dict[str, Any]


class Unknown:
    """Marks a value as unknown (preview) when building a request."""


def replace_unknowns(value: Any, marker: Any) -> Any:
    """``value`` with every :class:`Unknown` (class or instance), at any depth, as ``marker``."""
    if value is Unknown or isinstance(value, Unknown):
        return marker
    if isinstance(value, dict):
        return {k: replace_unknowns(v, marker) for k, v in value.items()}
    if isinstance(value, list):
        return [replace_unknowns(v, marker) for v in value]
    return value


def _unread(fd: int) -> int:
    """How many bytes a pipe holds that nobody has read yet."""
    found = array.array("i", [0])
    fcntl.ioctl(fd, termios.FIONREAD, found)
    return found[0]


def failure_path(failure: Any) -> tuple[str, str]:
    """A check failure as ``(property path, reason)``: the native plugin puts a nested path at
    the head of the reason (``mergePolicy.version: ...``), where the engine shows it."""
    if failure.property:
        return failure.property, failure.reason
    found = re.match(r"([A-Za-z_][^:`]*?): (.*)", failure.reason, re.S)
    return (found[1], found[2]) if found else ("", failure.reason)


class PluginProcess:
    """A running plugin: its process, the port it announced, a stub to it, its stderr lines."""

    def __init__(
        self,
        argv: list[str],
        env: dict[str, str],
        *,
        what: str,
        cwd: str | None = None,
        log_lines: list[str] | None = None,
    ) -> None:
        full_env = {k: v for k, v in os.environ.items() if not k.startswith("AEP_")}
        full_env.update(env)
        full_env["PYTHONUNBUFFERED"] = "1"
        # The native host's engine Log service writes into the same list as the stderr reader.
        self.log_lines = log_lines if log_lines is not None else []
        self.process = subprocess.Popen(
            argv, stdout=subprocess.PIPE, stderr=subprocess.PIPE, env=full_env, cwd=cwd
        )
        assert self.process.stdout is not None
        line = self.process.stdout.readline().decode().strip()
        if not line.isdigit():
            err = self.process.stderr.read().decode() if self.process.stderr else ""
            raise RuntimeError(f"{what} did not start: {line!r} {err}")
        self.port = int(line)
        self._drained = threading.Condition()
        self._consumed = 0  # bytes of stderr taken in so far
        self._closed = False
        threading.Thread(target=self._drain, daemon=True).start()
        self.channel = grpc.insecure_channel(f"127.0.0.1:{self.port}")
        self.stub = provider_pb2_grpc.ResourceProviderStub(self.channel)

    def _drain(self) -> None:
        """Read stderr into lines. The thread waits for data without the lock, then reads and
        files it under the lock, so a byte is always either still in the pipe or in
        :attr:`log_lines` (never in between): :meth:`log_text` relies on that."""
        assert self.process.stderr is not None
        fd = self.process.stderr.fileno()
        poller = select.poll()
        poller.register(fd, select.POLLIN | select.POLLHUP | select.POLLERR)
        partial = b""
        while True:
            poller.poll()
            with self._drained:
                data = os.read(fd, 65536)
                self._consumed += len(data)
                partial += data
                *lines, partial = partial.split(b"\n")
                if not data:
                    lines, partial = [*lines, partial] if partial else lines, b""
                self.log_lines.extend(raw.decode(errors="replace").rstrip() for raw in lines)
                if not data:
                    self._closed = True
                self._drained.notify_all()
                if self._closed:
                    return

    def log_text(self) -> str:
        """What the plugin logged so far: its stderr (``info:`` lines from ``pulumi.log`` in the
        dynamic host) and, for the native plugin, what it sent the engine's Log service.

        A plugin writes a call's log lines before it answers the call, but they reach this side
        through a pipe that a thread reads: this waits until that thread has taken in every byte
        the pipe held when it was called (ten seconds at most, for a plugin that stopped being
        read), so a line logged by a call that has returned is here."""
        assert self.process.stderr is not None
        fd = self.process.stderr.fileno()
        deadline = time.monotonic() + 10.0
        with self._drained:
            if not self._closed:
                wanted = self._consumed + _unread(fd)
                while not self._closed and self._consumed < wanted:
                    left = deadline - time.monotonic()
                    if left <= 0:
                        break
                    self._drained.wait(left)
            return "\n".join(self.log_lines)

    def close(self) -> None:
        """End the plugin as the engine does (pulumi/pulumi `sdk/go/common/resource/plugin/
        plugin.go`, `Kill`): an interrupt, five seconds to finish, then a kill."""
        self.channel.close()
        self.process.send_signal(signal.SIGINT)
        try:
            self.process.wait(timeout=5)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()

    # What each host says its own way: a resource's URN, and properties as its plugin reads them.
    def urn(self, kind: str, name: str) -> str:
        raise NotImplementedError

    def _wire(self, kind: str, props: dict[str, Any]) -> Any:
        raise NotImplementedError

    def _plain(self, kind: str, struct: Any) -> dict[str, Any]:
        raise NotImplementedError

    def check(
        self, kind: str, name: str, news: dict[str, Any], olds: dict[str, Any] | None = None
    ) -> tuple[dict[str, Any], list[tuple[str, str]]]:
        """The checked inputs, and each failure as ``(property path, reason)``."""
        response = self.stub.Check(
            provider_pb2.CheckRequest(
                urn=self.urn(kind, name),
                olds=self._wire(kind, olds or {}),
                news=self._wire(kind, news),
            )
        )
        return self._plain(kind, response.inputs), [failure_path(f) for f in response.failures]

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

    def diff(
        self, kind: str, name: str, id_: str, olds: dict[str, Any], news: dict[str, Any]
    ) -> Any:
        """The raw ``DiffResponse`` (``changes``, ``replaces``...)."""
        return self.stub.Diff(
            provider_pb2.DiffRequest(
                id=id_,
                urn=self.urn(kind, name),
                olds=self._wire(kind, olds),
                news=self._wire(kind, news),
            )
        )

    def delete(self, kind: str, name: str, id_: str, props: dict[str, Any]) -> None:
        self.stub.Delete(
            provider_pb2.DeleteRequest(
                id=id_, urn=self.urn(kind, name), properties=self._wire(kind, props)
            )
        )
