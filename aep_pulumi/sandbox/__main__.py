"""Command line: ``aep-sandbox [--host 127.0.0.1] [--port 8765] ...`` (the ``sandbox`` extra: it
says so, naming the command that installs it, when that is missing)."""

from __future__ import annotations

import argparse
import contextlib
import logging
import os
import signal
import sys
from pathlib import Path
from typing import Any

from . import needs

DESCRIPTION = (
    "A local Adobe Experience Platform (IMS, Catalog, export jobs, Data Access) under AEP's URL "
    "layout, as awkward as the real one, with fault injection."
)


def _parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="aep-sandbox", description=DESCRIPTION)
    p.add_argument("--host", default="127.0.0.1", help="address to listen on (default 127.0.0.1)")
    p.add_argument("--port", type=int, default=8765, help="port (default 8765; 0 picks a free one)")
    p.add_argument(
        "--job-duration", type=float, default=3.0, help="seconds an export job takes (default 3)"
    )
    p.add_argument(
        "--fail-rate", type=float, default=0.0, help="probability that a job FAILS (default 0)"
    )
    p.add_argument(
        "--echo-request",
        action="store_true",
        help="echo fields/filter/additionalFields in job records (AEP does not; default off)",
    )
    p.add_argument(
        "--foreign-jobs",
        type=int,
        default=20,
        help="other clients' jobs already in each sandbox (default 20)",
    )
    p.add_argument(
        "--foreign-job-every",
        type=int,
        default=2,
        help="another client submits a job after every N of ours (default 2; 0: never)",
    )
    p.add_argument(
        "--export-files", type=int, default=1, help="dataset files per export batch (default 1)"
    )
    p.add_argument("--export-parts", type=int, default=1, help="parts per dataset file (default 1)")
    p.add_argument(
        "--export-part-mb",
        type=float,
        default=0,
        help="about this many MB per part (records repeated, uncompressed; default: as selected)",
    )
    p.add_argument(
        "--data-access-page-size",
        type=int,
        default=100,
        help="files/parts per Data Access page (default 100, the API's maximum)",
    )
    p.add_argument(
        "--listing-lag",
        type=float,
        default=1.0,
        help="seconds before a new job shows in listings, as in AEP (default 1; GET knows it)",
    )
    p.add_argument(
        "--clock-offset",
        type=float,
        default=0.0,
        help="seconds AEP's clock runs ahead of this machine's (negative: behind; default 0)",
    )
    p.add_argument("--token-ttl", type=float, default=86399, help="IMS token lifetime in seconds")
    p.add_argument(
        "--credential",
        action="append",
        default=[],
        metavar="CLIENT_ID:SECRET",
        help="accept only these client credentials at IMS (repeatable; default: any)",
    )
    p.add_argument("--state-file", type=Path, help="persist state to this JSON file")
    p.add_argument(
        "--openapi-dir",
        type=Path,
        help="Adobe's OpenAPI specs (default: $AEP_OPENAPI_DIR, ../shared/aep-openapi beside a "
        "checkout, or the cache that --fetch-specs fills)",
    )
    p.add_argument(
        "--fetch-specs",
        action="store_true",
        help="download Adobe's published specs (a pinned revision, sha256-checked) into your "
        "cache, then exit",
    )
    p.add_argument("--throttle-rate", type=float, default=0.0, help="probability of a 429")
    p.add_argument("--retry-after-ms", type=int, default=200, help="retryAfterMs in 429 bodies")
    p.add_argument("--retry-after-header", action="store_true", help="also send Retry-After on 429")
    p.add_argument("--error-rate", type=float, default=0.0, help="probability of a 500/502/503")
    p.add_argument("--latency-ms", type=int, default=0, help="added latency per request")
    p.add_argument(
        "--latency-jitter-ms", type=int, default=0, help="latency varies by up to this either way"
    )
    for when in ("before", "after"):
        p.add_argument(
            f"--drop-{when}-rate",
            type=float,
            default=0.0,
            help=f"probability of dropping a connection {when} processing",
        )
    p.add_argument(
        "--echo-request-id",
        action="store_true",
        help="keep a create's x-request-id as its job's requestId (AEP does not document it)",
    )
    p.add_argument(
        "--foreign-twins",
        action="store_true",
        help="another client submits the same export as each of ours, at the same moment",
    )
    p.add_argument(
        "--patch-read-modify-write",
        action="store_true",
        help="apply dataset PATCHes as read, pause, write whole (concurrent ones lose tags)",
    )
    p.add_argument(
        "--fault",
        action="append",
        default=[],
        metavar="ACTION:METHOD:PATH[:STATUS][@SECONDS|xTIMES]",
        help="a scripted fault, e.g. error:PATCH:/dataSets/:403 (every claim refused), "
        "error:GET:/export/jobs/:503@30 (status reads down for 30 s), drop_after:PATCH:/dataSets/x1",
    )
    p.add_argument("--seed", type=int, default=7, help="seed for fault and failure decisions")
    p.add_argument("--quiet", action="store_true", help="no request log")
    return p


def _env_defaults(parser: argparse.ArgumentParser) -> None:
    """Every option can also come from ``AEP_SANDBOX_<OPTION>`` (e.g. AEP_SANDBOX_THROTTLE_RATE)."""
    for action in parser._actions:
        if not action.option_strings or action.dest in ("help", "credential"):
            continue
        raw = os.environ.get(f"AEP_SANDBOX_{action.dest.upper()}")
        if raw is None:
            continue
        if isinstance(action, argparse._StoreTrueAction):
            action.default = raw.lower() in ("1", "true", "yes")
        else:
            convert: Any = action.type or str
            action.default = convert(raw)


def main(argv: list[str] | None = None) -> int:
    parser = _parser()
    _env_defaults(parser)
    args = parser.parse_args(argv)
    absent = needs.missing()
    if absent:
        print(needs.message("aep-sandbox", absent), file=sys.stderr)
        return 2
    from .app import SandboxApp
    from .config import SandboxConfig
    from .faults import FaultPlan, FaultRates, parse_fault
    from .server import SandboxServer
    from .specs import (
        SpecsNotFound,
        checked_openapi_dir,
        default_openapi_dir,
        describe_validation,
        fetch_specs,
    )

    logging.basicConfig(
        level=logging.WARNING if args.quiet else logging.INFO,
        format="%(message)s",
        stream=sys.stderr,
    )
    try:
        if args.fetch_specs:
            print(f"aep-sandbox: specs ready in {fetch_specs()}", flush=True)
            return 0
        openapi_dir = (
            checked_openapi_dir(args.openapi_dir) if args.openapi_dir else default_openapi_dir()
        )
    except SpecsNotFound as exc:
        print(f"aep-sandbox: {exc}", file=sys.stderr)
        return 2
    credentials = None
    if args.credential:
        credentials = {}
        for item in args.credential:
            client_id, sep, secret = item.partition(":")
            if not sep:
                print("aep-sandbox: --credential takes CLIENT_ID:SECRET", file=sys.stderr)
                return 2
            credentials[client_id] = secret
    config = SandboxConfig(
        job_duration=args.job_duration,
        fail_rate=args.fail_rate,
        token_ttl=args.token_ttl,
        credentials=credentials,
        echo_request=args.echo_request,
        foreign_jobs=args.foreign_jobs,
        foreign_job_every=args.foreign_job_every,
        export_files=args.export_files,
        export_parts=args.export_parts,
        export_part_bytes=int(args.export_part_mb * 1024 * 1024),
        data_access_page_size=args.data_access_page_size,
        listing_lag=args.listing_lag,
        clock_offset=args.clock_offset,
        echo_request_id=args.echo_request_id,
        foreign_twins=args.foreign_twins,
        patch_read_modify_write=args.patch_read_modify_write,
    )
    plan = FaultPlan(rates=FaultRates(), seed=args.seed)
    try:
        for spec in args.fault:
            plan.add(parse_fault(spec))
    except ValueError as exc:
        print(f"aep-sandbox: {exc}", file=sys.stderr)
        return 2
    plan.rates = FaultRates(
        throttle=args.throttle_rate,
        error=args.error_rate,
        drop_before=args.drop_before_rate,
        drop_after=args.drop_after_rate,
        latency_ms=args.latency_ms,
        latency_jitter_ms=args.latency_jitter_ms,
        retry_after_ms=args.retry_after_ms,
        throttle_header=args.retry_after_header,
    )
    app = SandboxApp(
        config,
        openapi_dir=openapi_dir,
        state_file=args.state_file,
        faults=plan,
        seed=args.seed,
    )
    try:
        server = SandboxServer(app, args.host, args.port)
    except OSError as exc:
        print(
            f"aep-sandbox: cannot listen on {args.host}:{args.port}: {exc.strerror or exc}",
            file=sys.stderr,
        )
        return 1
    print(f"aep-sandbox: {describe_validation(openapi_dir)}", file=sys.stderr, flush=True)
    print(f"aep-sandbox listening on {server.url}", flush=True)
    # `kill PID` and `timeout` (SIGTERM) and a closed terminal (SIGHUP) stop it as Ctrl-C does:
    # their default action ends the process at once, leaving the export files in the temporary
    # folder (no exit handler runs).
    for name in ("SIGTERM", "SIGHUP"):  # no SIGHUP on Windows
        if hasattr(signal, name):
            signal.signal(getattr(signal, name), _stop)
    try:
        with contextlib.suppress(KeyboardInterrupt, _Stopped):
            server.serve_forever()
    finally:
        app.close()
    return 0


class _Stopped(Exception):
    """SIGTERM or SIGHUP arrived: leave ``serve_forever`` as Ctrl-C does."""


def _stop(signum: int, frame: object) -> None:
    # A repeated signal (a supervisor's SIGTERM then SIGHUP) must not interrupt the clean-up.
    for name in ("SIGTERM", "SIGHUP"):
        if hasattr(signal, name):
            signal.signal(getattr(signal, name), signal.SIG_IGN)
    raise _Stopped(signal.Signals(signum).name)


if __name__ == "__main__":
    sys.exit(main())
