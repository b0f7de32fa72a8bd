"""`make demo`: the flagship example, end to end, against aep-sandbox.

Starts the sandbox on 127.0.0.1 and finds a Pulumi CLI (what `make engine` built, or one on
PATH; it never downloads one), then runs `pulumi up` of examples/profile_export in a throwaway
Pulumi home with a file backend under `.pulumi-demo/`, prints the stack outputs, the exported
files and a few exported records (read back through the Data Access API), destroys the stack
and stops the sandbox.

Without a Pulumi CLI it says so in one sentence, then runs the flagship program's resources
through Pulumi's own dynamic provider host (`python -m pulumi.dynamic`, the process the CLI
would start) instead: the same providers, the same calls, the same output, then deletes them.
"""

from __future__ import annotations

import json
import shutil
import sys
from pathlib import Path

from aep_pulumi import AepClient, AepSettings, extras
from aep_pulumi.sandbox import needs
from aep_pulumi.testing import make_app, sandbox_env

ROOT = Path(__file__).resolve().parents[1]
WORK = ROOT / ".pulumi-demo"


def show_export(env: dict[str, str], batch_id: str) -> None:
    """The export's Parquet files (Data Access API), downloaded, and its first records."""
    import tempfile

    from aep_pulumi.cli.downloader import Downloader, read_records

    client = AepClient(AepSettings.load({}, env))
    with tempfile.TemporaryDirectory(prefix="aep-demo-") as scratch:
        report = Downloader(client, Path(scratch)).download_batch(batch_id)
        for path in report.paths:
            records = read_records([path], 1_000_000)
            print(
                f"  {path.parent.name}/{path.name}: {len(records)} records, {path.stat().st_size} bytes"
            )
        for record in read_records(report.paths, 3):
            print("    " + json.dumps(record, ensure_ascii=False)[:160])


# The flagship program's resources (examples/profile_export), as the provider host receives them.
FLAGSHIP_DATASET = {"name": "Profile Data Export"}
FLAGSHIP_JOB = {
    "fields": ["identities.id", "personalEmail.address"],
    "merge_policy": {"id": "e5bc94de-cd14-4cdf-a2bc-88b6e8cbfac2", "version": 1},
    "event_list": {
        "fields": ["environment.browserDetails.name", "environment.browserDetails.version"],
        "from_ingest_timestamp": "2018-10-25T13:22:04-07:00",
    },
    "triggers": ["1"],
}


def run_through_provider_host() -> int:
    """`up` and `destroy` of the flagship resources without the CLI, through the provider host."""
    import threading
    import time

    from aep_pulumi.sandbox import SandboxServer
    from aep_pulumi.sandbox.specs import describe_validation
    from aep_pulumi.testing import provider_host_for

    app = make_app(job_duration=3.0)
    with SandboxServer(app) as server:
        env = sandbox_env(server.url, AEP_POLL_INITIAL_SECONDS="0.5", AEP_POLL_MAX_SECONDS="2")
        print(f"aep-sandbox listening on {server.url} ({describe_validation(app.openapi_dir)})")
        print("[provider host] python -m pulumi.dynamic, driven over gRPC as `pulumi up` would")
        with provider_host_for(env) as host:
            shown = 0
            stop = threading.Event()

            def relay() -> None:
                nonlocal shown
                while not stop.is_set():
                    lines = host.log_lines[shown:]
                    shown += len(lines)
                    for line in lines:
                        print(f"[provider host] {line}")
                    time.sleep(0.1)

            relay_thread = threading.Thread(target=relay, daemon=True)
            relay_thread.start()
            inputs, _ = host.check("dataset", "profile-export-target", FLAGSHIP_DATASET)
            dataset = host.create("dataset", "profile-export-target", inputs)
            print(f"[provider host] + aep:Dataset profile-export-target created: {dataset.id}")
            inputs, _ = host.check(
                "job", "profile-export", {"dataset_id": dataset.id, **FLAGSHIP_JOB}
            )
            job = host.create("job", "profile-export", inputs)
            time.sleep(0.3)
            stop.set()
            relay_thread.join()
            print(f"[provider host] + aep:ProfileExportJob profile-export created: {job.id}")
            print("\nOutputs:")
            for key in ("dataset_id",):
                print(f"  datasetId = {dataset.outs[key]}")
            print(f"  exportJobId = {job.id}")
            print(f"  batchId = {job.outs['batch_id']}")
            print(f"  status = {job.outs['status']}")
            print("\nExported data (Data Access API):")
            show_export(env, job.outs["batch_id"])
            host.delete("job", "profile-export", job.id, job.outs)
            host.delete("dataset", "profile-export-target", dataset.id, dataset.outs)
            print("\n[provider host] - both resources deleted")
    print("\nDemo finished (through the provider host): resources deleted, sandbox stopped.")
    return 0


def run_through_the_engine(engine: Path) -> int:
    """`pulumi up`, the outputs and the exported data, then `pulumi destroy`, with the real CLI
    (a throwaway Pulumi home and file backend under .pulumi-demo/)."""
    from aep_pulumi.sandbox import SandboxServer
    from aep_pulumi.sandbox.specs import describe_validation
    from aep_pulumi.testing.engine import Workspace

    print(f"demo: the real Pulumi engine ({engine / 'pulumi'})", flush=True)
    if WORK.exists():
        shutil.rmtree(WORK)
    app = make_app(job_duration=3.0)
    with SandboxServer(app) as server:
        env = sandbox_env(server.url, AEP_POLL_INITIAL_SECONDS="0.5", AEP_POLL_MAX_SECONDS="2")
        print(f"aep-sandbox listening on {server.url} ({describe_validation(app.openapi_dir)})")
        secret = env.pop("AEP_CLIENT_SECRET")
        workspace = Workspace(WORK, engine, env)
        project = workspace.project(ROOT / "examples" / "profile_export").init("sandbox")
        project.config("aep:clientSecret", secret, secret=True)
        try:
            up = project.run("up")
            print(up.stdout)
            if not up.ok:
                print(up.stderr, file=sys.stderr)
                return 1
            outputs = project.outputs()
            print("Stack outputs (pulumi stack output):")
            for key, value in outputs.items():
                print(f"  {key} = {value}")
            print("\nExported data (Data Access API):")
            show_export({**env, "AEP_CLIENT_SECRET": secret}, str(outputs["batchId"]))
        finally:
            destroyed = project.cli("destroy", "--yes")
            print(destroyed.stdout)
    shutil.rmtree(WORK, ignore_errors=True)
    print("\nDemo finished: stack destroyed, sandbox stopped.")
    return 0 if destroyed.ok else 1


def missing_extras() -> str | None:
    """What the demo needs beyond the package (the sandbox, and the data tools that read the
    export back), said as the command that installs it; ``None`` when it is all here."""
    absent = sorted(set(needs.missing()) | set(extras.missing("data")))
    if not absent:
        return None
    return (
        f"demo: the demo needs the sandbox and data extras ({', '.join(absent)} not installed): "
        'pip install "aep-pulumi[sandbox,data]" (`make demo` installs them)'
    )


def main() -> int:
    from aep_pulumi.testing.engine import HOW_TO_GET, find_engine

    missing = missing_extras()
    if missing:
        print(missing, file=sys.stderr)
        return 2

    engine = find_engine()
    if engine is None:
        print(
            f"demo: no Pulumi CLI here ({HOW_TO_GET}); running the same resources through "
            "Pulumi's provider host instead.",
            file=sys.stderr,
            flush=True,
        )
        return run_through_provider_host()
    return run_through_the_engine(engine)


if __name__ == "__main__":
    sys.exit(main())
