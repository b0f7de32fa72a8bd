"""Where the time of one `pulumi up` of N native exports goes, read from the sandbox's request log.

    .venv/bin/python benchmarks/timeline.py 500      # the engine's knobs tuned, as in the table
    .venv/bin/python benchmarks/timeline.py 1 --defaults

The same world as the benchmark's engine section (100 ms latency, D = 20 s, other clients' jobs),
one run: seconds from the command's start to its first AEP call, the POSTs, the claims, the
wait's polls, the file listings, the last job's end and the command's end, and how many
requests each phase made. Prints only; writes nothing.
"""

from __future__ import annotations

import argparse
import tempfile
from pathlib import Path
from typing import Any

from engine_scenarios import ENGINE_TUNED, native_program
from scenarios import world

from aep_pulumi.testing.engine import Workspace, find_engine


def span(entries: list[dict[str, Any]], t0: float) -> str:
    if not entries:
        return "none"
    times = [e["at"] - t0 for e in entries]
    return f"{min(times):6.2f} .. {max(times):6.2f} s  ({len(entries)} requests)"


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("n", type=int, help="exports in the stack")
    parser.add_argument("--defaults", action="store_true", help="the engine's own defaults")
    args = parser.parse_args()
    engine = find_engine()
    assert engine is not None, "no Pulumi engine: run `make engine`"
    with world(20.0, 100) as w, tempfile.TemporaryDirectory() as scratch:
        env = {**w.env, **({} if args.defaults else ENGINE_TUNED)}
        secret = env.pop("AEP_CLIENT_SECRET")
        workspace = Workspace(Path(scratch), engine, env)
        project = workspace.project(native_program(Path(scratch), args.n)).init("timeline")
        project.config("aep:clientSecret", secret, secret=True)
        since = len(w.app.request_log)
        t0 = w.app.store.now()
        run = project.run("up")
        assert run.ok, run.stderr[-2000:]
        log = [e for e in w.app.request_log[since:] if e["path"].startswith("/data/")]
        jobs = [e for e in log if e["method"] == "POST" and e["path"].endswith("/export/jobs")]
        phases = {
            "first AEP call": log[:1],
            "export POSTs": jobs,
            "claim PATCHes": [e for e in log if e["method"] == "PATCH"],
            "status polls": [
                e for e in log if e["method"] == "GET" and "/export/jobs" in e["path"]
            ],
            "file listings": [e for e in log if "/foundation/export/" in e["path"]],
        }
        for name, entries in phases.items():
            print(f"{name:15} {span(entries, t0)}")
        ours = [
            w.app.store.job_ends_at("prod", int(j)) - t0
            for j, job in w.app.store.space("prod").jobs.items()
            if not job.get("_foreign")
        ]
        print(f"{'last job ends':15} {max(ours):6.2f} s")
        print(f"{'command ends':15} {run.seconds:6.2f} s")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
