"""``aep-export``: an export's files, downloaded or peeked at, from the command line.

    aep-export files BATCH_ID [--json]
    aep-export download BATCH_ID [--out DIR] [--parallel 4] [--no-progress]
    aep-export head BATCH_ID [-n 10]

Configuration is the providers': ``AEP_*`` environment variables (``AEP_ORG_ID``,
``AEP_CLIENT_ID``, ``AEP_CLIENT_SECRET`` or ``AEP_ACCESS_TOKEN``, ``AEP_SANDBOX_NAME``,
``AEP_ENDPOINT``...); ``--sandbox`` overrides the sandbox. Errors are one line, as AEP said
them; no credential is ever printed.
"""

from __future__ import annotations

import argparse
import json
import sys
import tempfile
from pathlib import Path
from typing import Any

DESCRIPTION = "Files of an AEP profile export (Data Access API): list, download, peek."


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="aep-export", description=DESCRIPTION)
    parser.add_argument("--sandbox", help="AEP sandbox (default: AEP_SANDBOX_NAME or prod)")
    commands = parser.add_subparsers(dest="command", required=True)
    files = commands.add_parser("files", help="list the batch's files and parts")
    files.add_argument("batch_id")
    files.add_argument("--json", action="store_true", help="print JSON")
    download = commands.add_parser("download", help="download every part (resumable)")
    download.add_argument("batch_id")
    download.add_argument("--out", type=Path, default=Path("aep-export"), help="target folder")
    download.add_argument("--parallel", type=int, default=4, help="parts at once (default 4)")
    download.add_argument("--no-progress", action="store_true", help="no progress bar")
    head = commands.add_parser("head", help="print the first records as a table")
    head.add_argument("batch_id")
    head.add_argument("-n", type=int, default=10, help="how many records (default 10)")
    return parser


def _table(records: list[dict[str, Any]], width: int = 32) -> str:
    from .exports import flatten

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
    from .aep.client import AepClient
    from .errors import AepError
    from .exports import Downloader, list_export_files, read_records
    from .settings import AepSettings

    try:
        client = AepClient(AepSettings.load({}))
        if args.command == "files":
            files = list_export_files(client, [args.batch_id], sandbox=args.sandbox)
            if args.json:
                from .core.files import files_output

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
            from .exports import ExportFile

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
