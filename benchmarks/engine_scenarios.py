"""The benchmarks run through the real engine: `pulumi up` and `pulumi preview` of many exports.

The same worlds as ``scenarios.py`` (a sandbox with latency and other clients' jobs), driven by
the Pulumi CLI of ``make engine`` on a file backend in a throwaway workspace, for both doors:
``examples/many_exports`` on the dynamic resources, and its native YAML twin.
"""

from __future__ import annotations

import json
import tempfile
from pathlib import Path
from typing import Any

from scenarios import World, aep_requests, world

from aep_pulumi.testing.engine import Workspace, find_engine

ROOT = Path(__file__).resolve().parents[1]

# The engine's own knobs for many resources: operations at once (its default is 4 per CPU) and,
# on a file backend, the state written once at the end instead of after every step.
ENGINE_TUNED = {"PULUMI_PARALLEL": "64", "PULUMI_SKIP_CHECKPOINTS": "true"}


def engine_project(
    w: World, root: Path, segments: int, engine_env: dict[str, str] | None = None
) -> Any:
    """examples/many_exports with ``segments`` exports, on a fresh stack of a throwaway
    workspace (the real CLI, a file backend; the client secret a config secret)."""
    engine = find_engine()
    assert engine is not None, "no Pulumi engine: run `make engine`"
    env = {**w.env, **(engine_env or {})}
    secret = env.pop("AEP_CLIENT_SECRET")
    project = Workspace(root, engine, env).project(ROOT / "examples" / "many_exports").init("bench")
    project.config("aep:clientSecret", secret, secret=True)
    project.config("segments", [f"segment-{i:04d}" for i in range(segments)])
    return project


def native_project(
    w: World, root: Path, segments: int, engine_env: dict[str, str] | None = None
) -> Any:
    """:func:`native_program` with ``segments`` exports, set up as :func:`engine_project` is."""
    engine = find_engine()
    assert engine is not None, "no Pulumi engine: run `make engine`"
    env = {**w.env, **(engine_env or {})}
    secret = env.pop("AEP_CLIENT_SECRET")
    workspace = Workspace(root, engine, env)
    project = workspace.project(native_program(root, segments)).init("bench")
    project.config("aep:clientSecret", secret, secret=True)
    return project


def native_program(root: Path, segments: int) -> Path:
    """examples/many_exports as a native YAML program (Pulumi YAML has no loops: written out)."""
    resources: dict[str, Any] = {
        "target": {"type": "aep:index:Dataset", "properties": {"name": "Per-segment exports"}}
    }
    for i in range(segments):
        resources[f"export{i}"] = {
            "type": "aep:index:ProfileExportJob",
            "properties": {
                "datasetId": "${target.id}",
                "fields": ["identities.id", "personalEmail.address"],
                "segments": [{"segmentId": f"segment-{i:04d}"}],
                "waitForCompletion": False,
            },
        }
    resources["all"] = {
        "type": "aep:index:ProfileExportWait",
        "properties": {
            "jobIds": [f"${{export{i}.id}}" for i in range(segments)],
            "timeoutSeconds": 7200,
        },
    }
    program = {
        "name": "bench-native",
        "runtime": "yaml",
        "resources": resources,
        "outputs": {"batchIds": "${all.batchIds}"},
    }
    folder = root / "program"
    folder.mkdir(parents=True)
    (folder / "Pulumi.yaml").write_text(json.dumps(program), encoding="utf-8")
    return folder


def engine_up(
    n: int,
    duration: float,
    latency_ms: int,
    *,
    native: bool = False,
    engine_env: dict[str, str] | None = None,
) -> dict[str, float]:
    """`pulumi up` of N batched exports (examples/many_exports on the dynamic door, or its
    native YAML twin): wall time from the command's start to its end (the CLI's own start, the
    program, every create and the wait)."""
    with world(duration, latency_ms) as w, tempfile.TemporaryDirectory() as scratch:
        setup = native_project if native else engine_project
        project = setup(w, Path(scratch), n, engine_env)
        since = len(w.app.request_log)
        run = project.run("up")
        assert run.ok, run.stderr[-2000:]
        calls = aep_requests(w, since)
    # The command's own wall time (not the kit's reading of its event log afterwards).
    return {"wall": run.seconds, "requests_per_job": len(calls) / n}


def engine_preview(count: int) -> dict[str, float]:
    """`pulumi preview` (no credentials) of a stack of ``count`` exports, the dataset and the
    wait: wall time, and the AEP calls it made."""
    with world(1, 0) as w, tempfile.TemporaryDirectory() as scratch:
        project = engine_project(w, Path(scratch), count)
        since = len(w.app.request_log)
        env = project.workspace.environment(
            AEP_ORG_ID=None, AEP_CLIENT_ID=None, AEP_CLIENT_SECRET=None
        )
        run = project.run("preview", env=env)
        assert run.ok, run.stderr[-2000:]
        resources = len(run.steps())
    return {
        "seconds": run.seconds,
        "resources": resources,
        "http_calls": len(w.app.request_log) - since,
    }
