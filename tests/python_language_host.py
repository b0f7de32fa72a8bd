"""What Pulumi's Python language host does with a source plugin (a folder with ``PulumiPlugin.yaml``,
``runtime: python``), reproduced for this machine, whose Pulumi CLI has no Python language host
(the Go module proxy does not serve ``pulumi-language-python``).

Reproduced from pulumi/pulumi's source (read at commit 1b59498, not copied):

- ``sdk/python/cmd/pulumi-language-python/main.go``: ``parseOptions`` (a plugin's ``virtualenv``
  option defaults to ``venv``, resolved against the plugin's folder); ``InstallDependencies``
  (the pip toolchain's, in the plugin's folder); ``RunPlugin`` (a plugin folder with a
  ``__main__.py`` runs as ``<venv>/bin/python <plugin folder> <args...>``, in the engine's
  working directory, in the activated venv's environment followed by the one the engine sends);
- ``sdk/python/toolchain/pip.go``: ``InstallDependencies`` (``python -m venv <venv>`` with the
  first ``python3`` or ``python`` on PATH, or ``PULUMI_PYTHON_CMD``; then, in the plugin's folder
  with the venv activated, ``<venv>/bin/python -m pip install --upgrade pip setuptools wheel``
  and ``<venv>/bin/python -m pip install -r requirements.txt``), ``CommandPath``;
- ``sdk/python/toolchain/toolchain.go``: ``ActivateVirtualEnv`` (the venv's ``bin`` first on
  ``PATH``, ``VIRTUAL_ENV`` set to it, ``PYTHONHOME`` dropped).

Run as a program (``python tests/python_language_host.py <engine address>``), it is a stand-in
``pulumi-language-python`` for the engine: it prints its port and serves ``InstallDependencies``
and ``RunPlugin`` (what ``pulumi plugin install`` and a deployment ask a language host for, for
a plugin) with the functions below; other calls are unimplemented, as the engine tolerates.
Standard library, grpc and pulumi's protobuf modules only.
"""

from __future__ import annotations

import os
import queue
import shutil
import signal
import subprocess
import sys
import threading
from collections.abc import Iterator, Mapping
from concurrent import futures
from pathlib import Path
from typing import IO, Any

PLUGIN_VENV_DEFAULT = "venv"


def python_command(environ: Mapping[str, str]) -> str:
    """``CommandPath``: ``PULUMI_PYTHON_CMD``, else ``python3``, else ``python``, on PATH."""
    chosen = environ.get("PULUMI_PYTHON_CMD")
    names = [chosen] if chosen else ["python3", "python"]
    for name in names:
        found = shutil.which(name, path=environ.get("PATH"))
        if found:
            return found
    raise RuntimeError(f"failed to locate any of {names} on your PATH")


def activate(environ: Mapping[str, str], venv: Path) -> dict[str, str]:
    """``ActivateVirtualEnv``."""
    result = {k: v for k, v in environ.items() if k.upper() not in ("PYTHONHOME", "VIRTUAL_ENV")}
    path_key = next((k for k in result if k.upper() == "PATH"), "PATH")
    bin_dir = str(venv / "bin")
    result[path_key] = f"{bin_dir}{os.pathsep}{result[path_key]}" if path_key in result else bin_dir
    result["VIRTUAL_ENV"] = str(venv)
    return result


def virtualenv_of(root: Path, options: Mapping[str, Any]) -> Path:
    """``parseOptions`` for a plugin (pip toolchain) and ``resolveVirtualEnvironmentPath``."""
    toolchain = options.get("toolchain", "pip")
    if toolchain != "pip":
        raise RuntimeError(f"this reproduction covers the pip toolchain only, not {toolchain!r}")
    name = str(options.get("virtualenv") or PLUGIN_VENV_DEFAULT)
    return Path(name) if Path(name).is_absolute() else root / name


def install_dependencies(
    root: Path, venv: Path, environ: Mapping[str, str], out: IO[bytes] | int | None = None
) -> None:
    """pip.go's ``InstallDependencies`` for a plugin folder ``root``: the venv, pip's upgrade,
    then ``requirements.txt``. Raises :class:`RuntimeError` with pip's error output."""
    environ = dict(environ)
    pip = [str(venv / "bin" / "python"), "-m", "pip", "install"]
    steps = [
        ([python_command(environ), "-m", "venv", str(venv)], environ),
        ([*pip, "--upgrade", "pip", "setuptools", "wheel"], activate(environ, venv)),
    ]
    if (root / "requirements.txt").exists():
        steps.append(([*pip, "-r", "requirements.txt"], activate(environ, venv)))
    for command, env in steps:
        done = subprocess.run(
            command, cwd=root, env=env, stdout=out, stderr=subprocess.PIPE, timeout=900
        )
        if done.returncode != 0:
            raise RuntimeError(
                f"{' '.join(command)} failed ({done.returncode}): "
                + done.stderr.decode(errors="replace")
            )


def plugin_command(root: Path, venv: Path, args: list[str]) -> list[str]:
    """``RunPlugin``'s command for a plugin folder with a ``__main__.py``."""
    if not (root / "__main__.py").exists():
        raise RuntimeError(f"{root} has no __main__.py (this reproduction covers that case only)")
    return [str(venv / "bin" / "python"), str(root), *args]


def plugin_environment(venv: Path, environ: Mapping[str, str], sent: list[str]) -> dict[str, str]:
    """``RunPlugin``'s environment: the activated venv's, then what the engine sent (a later
    value of a variable wins, as in Go's ``exec.Cmd``)."""
    env = activate(environ, venv)
    for item in sent:
        key, _, value = item.partition("=")
        env[key] = value
    return env


# ------------------------------------------------------------------ the stand-in language host


def _options(info: Any) -> dict[str, Any]:
    from google.protobuf import json_format

    options: dict[str, Any] = json_format.MessageToDict(info.options) if info.options else {}
    return options


def _streamed(process: subprocess.Popen[bytes], message: Any) -> Iterator[Any]:
    """Each chunk of the process's stdout and stderr as ``message(stdout=...)`` or
    ``message(stderr=...)``, until both end."""
    chunks: queue.Queue[tuple[str, bytes]] = queue.Queue()

    def pump(name: str, stream: IO[bytes]) -> None:
        while True:
            data = os.read(stream.fileno(), 65536)
            chunks.put((name, data))
            if not data:
                return

    assert process.stdout is not None and process.stderr is not None
    for name, stream in (("stdout", process.stdout), ("stderr", process.stderr)):
        threading.Thread(target=pump, args=(name, stream), daemon=True).start()
    open_streams = 2
    while open_streams:
        name, data = chunks.get()
        if not data:
            open_streams -= 1
            continue
        yield message(**{name: data})


def serve(argv: list[str]) -> None:
    import grpc
    from pulumi.runtime.proto import language_pb2, language_pb2_grpc, plugin_pb2

    class StandIn(language_pb2_grpc.LanguageRuntimeServicer):  # type: ignore[misc]
        def Handshake(self, request: Any, context: Any) -> Any:
            return language_pb2.LanguageHandshakeResponse()

        def GetPluginInfo(self, request: Any, context: Any) -> Any:
            return plugin_pb2.PluginInfo(version="0.0.0-reproduction")

        def InstallDependencies(self, request: Any, context: Any) -> Iterator[Any]:
            root = Path(request.info.root_directory or request.directory)
            venv = virtualenv_of(root, _options(request.info))
            yield language_pb2.InstallDependenciesResponse(stdout=b"Installing dependencies...\n")
            read, write = os.pipe()
            failure: list[str] = []

            def run() -> None:
                with os.fdopen(write, "wb") as out:
                    try:
                        install_dependencies(root, venv, os.environ, out)
                    except RuntimeError as exc:
                        failure.append(str(exc))

            worker = threading.Thread(target=run)
            worker.start()
            with os.fdopen(read, "rb") as output:
                while data := output.read1(65536):
                    yield language_pb2.InstallDependenciesResponse(stdout=data)
            worker.join()
            if failure:
                context.abort(grpc.StatusCode.UNKNOWN, failure[0])
            yield language_pb2.InstallDependenciesResponse(
                stdout=b"Finished installing dependencies\n"
            )

        def RunPlugin(self, request: Any, context: Any) -> Iterator[Any]:
            root = Path(request.info.program_directory or request.info.root_directory)
            venv = virtualenv_of(Path(request.info.root_directory or root), _options(request.info))
            process = subprocess.Popen(
                plugin_command(root, venv, list(request.args)),
                cwd=request.pwd or None,
                env=plugin_environment(venv, os.environ, list(request.env)),
                stdout=subprocess.PIPE,
                stderr=subprocess.PIPE,
            )
            # The engine ends a plugin by cancelling this call; Go's exec.CommandContext kills it.
            context.add_callback(lambda: process.poll() is None and process.kill())
            yield from _streamed(process, language_pb2.RunPluginResponse)
            yield language_pb2.RunPluginResponse(exitcode=process.wait())

    server = grpc.server(futures.ThreadPoolExecutor(max_workers=16))
    language_pb2_grpc.add_LanguageRuntimeServicer_to_server(StandIn(), server)
    port = server.add_insecure_port("127.0.0.1:0")
    server.start()
    print(port, flush=True)
    # The engine ends a language host with an interrupt, then kills it if it is still there a
    # moment later; a host that spends that moment tearing Python down makes the kill fail
    # (`closing language plugin "python": os: process already finished`, seen on a busy
    # machine). Nothing is left to save here: leave at once.
    signal.signal(signal.SIGINT, lambda *_: os._exit(0))
    server.wait_for_termination()


def launcher(folder: Path) -> Path:
    """A ``pulumi-language-python`` in ``folder`` that runs this stand-in with this Python."""
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / "pulumi-language-python"
    path.write_text(
        f'#!/bin/sh\nexec "{sys.executable}" "{Path(__file__).resolve()}" "$@"\n', encoding="utf-8"
    )
    path.chmod(0o755)
    return path


if __name__ == "__main__":
    serve(sys.argv[1:])
