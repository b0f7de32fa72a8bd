"""The sandbox's knobs, and the state it keeps per ``x-sandbox-name``."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any


@dataclass
class SandboxConfig:
    """Behaviour knobs of the sandbox (all changeable at runtime through the admin endpoint)."""

    job_duration: float = 3.0
    fail_rate: float = 0.0
    # A job whose `fields` names a field starting with this prefix FAILS (a deterministic rule).
    fail_field_prefix: str = "_sandbox.fail"
    # A job whose `fields` names a field starting with this prefix reports an unknown status.
    odd_status_field_prefix: str = "_sandbox.odd"
    token_ttl: float = 86399.0
    credentials: dict[str, str] | None = None
    static_tokens: list[str] = field(default_factory=list)
    # When false, job listings ignore Catalog dataset existence (AEP checks it on create).
    require_existing_dataset: bool = True
    # Echo `fields`, `filter` and `additionalFields` in job records. AEP's samples do not: off.
    echo_request: bool = False
    # Other clients' jobs (on their own datasets) already in each sandbox when it is first used.
    foreign_jobs: int = 20
    # After every this many of our creates, another client submits a job too (0: never).
    foreign_job_every: int = 2
    # What a successful export writes per batch: files, parts per file, and (when set) about
    # this many bytes per part (the records are repeated; such parts are uncompressed).
    export_files: int = 1
    export_parts: int = 1
    export_part_bytes: int = 0
    # Data Access pages (the API's maximum is 100).
    data_access_page_size: int = 100
    # Another client submits the very same export as each `POST /export/jobs` of ours, at the
    # same moment (even one whose connection drops before AEP sees it): the look-alike that a
    # lost answer must never adopt.
    foreign_twins: bool = False
    # Put the create request's `x-request-id` header in the job's `requestId`. AEP documents
    # `requestId` only as "an optional ID ... to identify the request": off, as hard as AEP.
    echo_request_id: bool = False
    # Apply a dataset's JSON Patch as a read, a pause and a write of the whole record (last
    # writer wins: concurrent PATCHes can undo each other's tags), as an undocumented Catalog
    # might. Off: each PATCH is applied atomically.
    patch_read_modify_write: bool = False
    # The pause between the read and the write of such a PATCH (seconds).
    patch_rmw_pause: float = 0.05
    # Seconds before a new job shows in listings (`GET /export/jobs/{id}` knows it at once).
    listing_lag: float = 1.0
    # Seconds AEP's clock runs ahead of the machine's (negative: behind): `Date` headers and
    # every timestamp the sandbox writes.
    clock_offset: float = 0.0


@dataclass
class Space:
    datasets: dict[str, dict[str, Any]] = field(default_factory=dict)
    jobs: dict[int, dict[str, Any]] = field(default_factory=dict)
    batches: dict[str, dict[str, Any]] = field(default_factory=dict)
    files: dict[str, dict[str, Any]] = field(default_factory=dict)
    # (creationTime, id) of every job, ascending: listings cost what their page costs.
    order: list[tuple[int, int]] = field(default_factory=list)
    creates: int = 0
