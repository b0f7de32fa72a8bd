"""``aep-export``: a sandbox's export jobs, and an export's files, from the command line.

    aep-export jobs [--limit 20] [--status PROCESSING] [--dataset ID] [--json]
    aep-export files BATCH_ID [--json]
    aep-export download BATCH_ID [--out DIR] [--parallel 4] [--no-progress]
    aep-export head BATCH_ID [-n 10]

Configuration is the providers' environment variables (``AEP_ORG_ID``, ``AEP_CLIENT_ID``,
``AEP_CLIENT_SECRET`` or ``AEP_ACCESS_TOKEN``, ``AEP_SANDBOX_NAME``, ``AEP_ENDPOINT``...); the
CLI reads no Pulumi config. ``--sandbox`` (before or after the command) overrides the sandbox,
checked as ``AEP_SANDBOX_NAME`` is. Errors are one line, as AEP said them; no credential is ever
printed. ``download`` and ``head`` need the ``data`` extra (``pip install "aep-pulumi[data]"``)
and say so when it is missing.
"""

from __future__ import annotations

import argparse
import json
import re
import sys
import tempfile
from pathlib import Path
from typing import Any

DESCRIPTION = "Files of an AEP profile export (Data Access API): list, download, peek."


def _shared(suppress: bool) -> argparse.ArgumentParser:
    """The options every command takes, before or after its name (a subcommand's copy leaves
    the main parser's value alone when not given)."""
    shared = argparse.ArgumentParser(add_help=False)
    shared.add_argument(
        "--sandbox",
        default=argparse.SUPPRESS if suppress else None,
        help="AEP sandbox, lower case (default: AEP_SANDBOX_NAME, else prod)",
    )
    return shared


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="aep-export", description=DESCRIPTION, parents=[_shared(suppress=False)]
    )
    commands = parser.add_subparsers(dest="command", required=True)
    shared = [_shared(suppress=True)]
    jobs = commands.add_parser("jobs", help="list the sandbox's export jobs", parents=shared)
    jobs.add_argument("--limit", type=int, default=20, help="how many, newest first (default 20)")
    jobs.add_argument(
        "--status", help="only jobs with this status (NEW, PROCESSING, SUCCEEDED, FAILED)"
    )
    jobs.add_argument("--dataset", help="only jobs into this dataset")
    jobs.add_argument("--json", action="store_true", help="print JSON")
    files = commands.add_parser("files", help="list the batch's files and parts", parents=shared)
    files.add_argument("batch_id")
    files.add_argument("--json", action="store_true", help="print JSON")
    download = commands.add_parser(
        "download", help="download every part (resumable)", parents=shared
    )
    download.add_argument("batch_id")
    download.add_argument(
        "--out", type=Path, default=Path("aep-export"), help="target folder (default ./aep-export)"
    )
    download.add_argument("--parallel", type=int, default=4, help="parts at once (default 4)")
    download.add_argument("--no-progress", action="store_true", help="no progress bar")
    head = commands.add_parser("head", help="print the first records as a table", parents=shared)
    head.add_argument("batch_id")
    head.add_argument("-n", type=int, default=10, help="how many records (default 10)")
    return parser


def _cli_message(message: str) -> str:
    """A configuration message in the CLI's terms: it reads environment variables only."""
    message = re.sub(r"`aep:\w+` \(or env (AEP_\w+)\)", r"\1", message)
    return message.replace(" (set it with `pulumi config set --secret`)", "")


# The statuses `GET /export/jobs?status=` accepts (segmentation.yaml).
LISTING_STATUSES = ("NEW", "SUCCEEDED", "FAILED")
# How far back `jobs` pages when it filters itself (100 jobs a page).
JOBS_PAGES = 20


def _age(epoch_ms: int | None, now: float) -> str:
    if epoch_ms is None:
        return "?"
    seconds = max(0, int(now - epoch_ms / 1000))
    for unit, size in (("d", 86400), ("h", 3600), ("m", 60)):
        if seconds >= size:
            return f"{seconds // size}{unit}"
    return f"{seconds}s"


def _jobs(client: Any, args: argparse.Namespace) -> int:
    import time

    status = args.status.upper() if args.status else None
    wanted = []
    for job in client.iter_export_jobs(
        sandbox=args.sandbox,
        limit=min(100, max(1, args.limit)),
        # AEP filters by NEW, SUCCEEDED and FAILED only; other statuses are filtered here.
        status=status if status in LISTING_STATUSES else None,
        max_pages=JOBS_PAGES,
    ):
        if (args.dataset and job.dataset_id != args.dataset) or (status and job.status != status):
            continue
        wanted.append(job)
        if len(wanted) >= args.limit:
            break
    if args.json:
        print(
            json.dumps(
                [
                    {
                        "id": j.id,
                        "status": j.status,
                        "dataset_id": j.dataset_id,
                        "batch_id": j.batch_id,
                        "creation_time": j.creation_time,
                    }
                    for j in wanted
                ],
                indent=2,
            )
        )
        return 0
    now = time.time()
    rows = [["JOB", "STATUS", "DATASET", "BATCH", "AGE"]] + [
        [str(j.id), j.status, j.dataset_id or "", j.batch_id or "", _age(j.creation_time, now)]
        for j in wanted
    ]
    widths = [max(len(r[i]) for r in rows) for i in range(5)]
    for row in rows:
        print("  ".join(v.ljust(w) for v, w in zip(row, widths, strict=True)).rstrip())
    if not wanted:
        print("aep-export: no export job matches", file=sys.stderr)
    return 0


def _table(records: list[dict[str, Any]], width: int = 32) -> str:
    from .downloader import flatten

    rows = [flatten(r) for r in records]
    columns: list[str] = []
    for row in rows:
        columns.extend(c for c in row if c not in columns)

    def cell(value: Any) -> str:
        text = value if isinstance(value, str) else json.dumps(value, ensure_ascii=False)
        return text if len(text) <= width else text[: width - 1] + "…"

    grid = [columns] + [[cell(row.get(c)) if c in row else "" for c in columns] for row in rows]
    widths = [max(len(line[i]) for line in grid) for i in range(len(columns))]
    lines = ["  ".join(v.ljust(w) for v, w in zip(line, widths, strict=True)) for line in grid]
    lines.insert(1, "  ".join("-" * w for w in widths))
    return "\n".join(lines)


def run(argv: list[str] | None = None) -> int:
    """Run one command; returns the exit status."""
    args = _parser().parse_args(argv)
    if args.command in ("download", "head"):
        from .. import extras

        absent = extras.missing("data")
        if absent:
            what = f"aep-export {args.command}"
            print(f"aep-export: {extras.message(what, 'data', absent)}", file=sys.stderr)
            return 2
    from ..aep.client import AepClient
    from ..errors import AepConfigError, AepError
    from ..settings import AepSettings
    from .downloader import Downloader, list_export_files, read_records

    sandbox = args.sandbox
    if sandbox is not None and (not sandbox.strip() or sandbox != sandbox.lower()):
        print(
            f"aep-export: --sandbox must be the all-lower-case sandbox name, got {sandbox!r}",
            file=sys.stderr,
        )
        return 2
    try:
        client = AepClient(AepSettings.load({}))
    except AepConfigError as exc:
        print(f"aep-export: {_cli_message(str(exc))}", file=sys.stderr)
        return 2
    try:
        if args.command == "jobs":
            return _jobs(client, args)
        if args.command == "files":
            files = list_export_files(client, [args.batch_id], sandbox=args.sandbox)
            if args.json:
                from ..core.files import files_output

                print(json.dumps(files_output(files), indent=2))
                return 0
            for f in files:
                print(f"{f.file_id}  {f.records} records  {f.size} bytes")
                for p in f.parts:
                    print(f"  {p.name}  {p.size} bytes")
            return 0
        if args.command == "download":
            report = Downloader(
                client,
                args.out,
                sandbox=args.sandbox,
                parallel=args.parallel,
                progress=not args.no_progress and sys.stderr.isatty(),
            ).download_batch(args.batch_id)
            for path in report.paths:
                print(path)
            print(
                f"{len(report.paths)} part(s): {report.fetched_bytes} bytes fetched, "
                f"{report.reused_bytes} already there",
                file=sys.stderr,
            )
            return 0
        files = list_export_files(client, [args.batch_id], sandbox=args.sandbox)
        first = [(f, p) for f in files for p in f.parts][:1]
        if not first:
            print(f"aep-export: batch {args.batch_id} holds no files", file=sys.stderr)
            return 1
        with tempfile.TemporaryDirectory(prefix="aep-export-") as scratch:
            from .downloader import ExportFile

            file, part = first[0]
            single = ExportFile(file.batch_id, file.file_id, file.records, file.size, [part])
            report = Downloader(client, Path(scratch), sandbox=args.sandbox).download([single])
            print(_table(read_records(report.paths, args.n)))
        return 0
    except AepError as exc:
        print(f"aep-export: {exc}", file=sys.stderr)
        return 1


def main() -> None:
    """Console entry point."""
    sys.exit(run())


if __name__ == "__main__":
    main()
