"""Export jobs in the sandbox: their timeline, listing, cancellation, and other clients' jobs.

A job's status follows elapsed time (NEW, then PROCESSING, then SUCCEEDED or FAILED), so a test
controls a job's life with ``job_duration`` alone. Listings show a job only ``listing_lag``
seconds after it was created, while ``GET /export/jobs/{id}`` knows it at once, as AEP does.
"""

from __future__ import annotations

import abc
import bisect
import functools
import json
import random
import shutil
import threading
import uuid
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

from . import parquet_files, population
from .ahead import AheadOfTime
from .config import SandboxConfig, Space
from .foreign import foreign_job_record

# A job's files: (file id, its Catalog record) for each dataset file of each of its batches.
JobFiles = list[tuple[str, dict[str, Any]]]

FAILED_JOB_ERRORS = (
    (
        "0090000009",
        "Error writing profiles to output path 'sandbox://snapshot/{id}'",
        "com.adobe.aep.unifiedprofile.common.logging.Logger",
    ),
    ("unknown", "Job aborted.", "org.apache.spark.SparkException: Job aborted."),
)


class JobBook(abc.ABC):
    """The export jobs of every sandbox (mixed into :class:`~.store.Store`, which provides
    the state below)."""

    config: SandboxConfig
    lock: threading.RLock
    next_job_id: int
    rng: random.Random
    # Jobs cancelled while still running (DELETE before their end), in order.
    cancelled_running: list[int]
    deleted_finished: list[int]
    # Each job's files, written while it runs (from half its duration), as AEP does.
    file_writer: AheadOfTime[JobFiles]

    @abc.abstractmethod
    def space(self, sandbox: str) -> Space: ...

    @abc.abstractmethod
    def save(self) -> None: ...

    @abc.abstractmethod
    def now_ms(self) -> int: ...

    @abc.abstractmethod
    def data_dir(self) -> Path: ...

    # ------------------------------------------------------------ other clients

    def seed_foreign_jobs(self, sandbox: str, space: Space) -> None:
        """Jobs of other clients, created over the last hour, some still running."""
        now = self.now_ms()
        count = max(0, int(self.config.foreign_jobs))
        for n in range(count):
            age_ms = int((count - n) * 3_600_000 / max(count, 1))
            self.add_foreign_job(sandbox, now - age_ms, running=n >= count - 2)

    def add_foreign_job(
        self, sandbox: str, created_ms: int | None = None, *, running: bool = False
    ) -> int:
        """Another client's job (on its own dataset) created at ``created_ms`` (default: now)."""
        with self.lock:
            space = self.space(sandbox)
            created = self.now_ms() if created_ms is None else int(created_ms)
            self.next_job_id += 1
            job_id = self.next_job_id
            space.jobs[job_id] = foreign_job_record(
                job_id, created, running=running, failing=self.rng.random() < 0.2
            )
            bisect.insort(space.order, (created, job_id))
        return job_id

    # ------------------------------------------------------------ our jobs

    def create_job(
        self,
        sandbox: str,
        body: dict[str, Any],
        org: str,
        rng_value: float,
        request_id: str | None = None,
    ) -> dict[str, Any]:
        """A new job for a ``POST /export/jobs`` body; returns its record. ``request_id``: the
        request's ``x-request-id``, kept as the job's ``requestId`` when ``echo_request_id``."""
        cfg = self.config
        requested_fields = [f for f in (body.get("fields") or "").split(",") if f]
        will_fail = rng_value < cfg.fail_rate or any(
            f.startswith(cfg.fail_field_prefix) for f in requested_fields
        )
        odd = any(f.startswith(cfg.odd_status_field_prefix) for f in requested_fields)
        destination = dict(body.get("destination") or {})
        segments = [
            s for s in ((body.get("filter") or {}).get("segments") or []) if s.get("segmentId")
        ]
        with self.lock:
            now = self.now_ms()
            self.next_job_id += 1
            job_id = self.next_job_id
            batch_id = uuid.uuid4().hex
            dest: dict[str, Any] = {
                "datasetId": destination.get("datasetId"),
                "segmentPerBatch": bool(destination.get("segmentPerBatch", False)),
                "batchId": batch_id,
            }
            batch_ids: dict[str | None, str] = {None: batch_id}
            if dest["segmentPerBatch"] and segments:
                # One batch per segment; the top-level batchId has no Catalog batch of its own.
                batch_ids = {}
                dest["batches"] = {}
                for seg in segments:
                    seg_batch = uuid.uuid4().hex
                    batch_ids[seg["segmentId"]] = seg_batch
                    dest["batches"][seg["segmentId"]] = {
                        "segmentId": seg["segmentId"],
                        "segmentNs": seg.get("segmentNs", "ups"),
                        "status": seg.get("status", ["realized", "existing"]),
                        "batchId": seg_batch,
                    }
            job = {
                "profileInstanceId": "ups",
                "jobType": "BATCH",
                "id": job_id,
                "schema": body.get("schema"),
                "mergePolicy": body.get("mergePolicy")
                or {"id": "timestampOrdered-none-mp", "version": 1},
                "status": "NEW",
                "requestId": (request_id if cfg.echo_request_id and request_id else None)
                or uuid.uuid4().hex,
                "computeGatewayJobId": {},
                "metrics": {"totalTime": {"startTimeInMs": now}},
                "destination": dest,
                "updateTime": now,
                "imsOrgId": org,
                "creationTime": now,
                "_request": body,
                "_duration": cfg.job_duration,
                "_fail": will_fail,
                "_odd": odd,
                "_done": False,
            }
            if cfg.echo_request:
                for key in ("fields", "filter", "additionalFields"):
                    if body.get(key) is not None:
                        job[key] = body[key]
            space = self.space(sandbox)
            space.jobs[job_id] = job
            bisect.insort(space.order, (now, job_id))
            space.creates += 1
            if cfg.foreign_job_every and space.creates % int(cfg.foreign_job_every) == 0:
                self.add_foreign_job(sandbox, now)
            for segment_id, bid in batch_ids.items():
                space.batches[bid] = {
                    "status": "processing",
                    "created": now,
                    "updated": now,
                    "jobId": job_id,
                    "segmentId": segment_id,
                    "dataSetId": dest["datasetId"],
                }
            if not will_fail:
                self.file_writer.schedule(
                    (sandbox, job_id),
                    self._files_work(sandbox, body, [(b, s) for s, b in batch_ids.items()]),
                    after=float(cfg.job_duration) / 2,
                )
        self.save()
        return self.job_view(sandbox, job_id) or {}

    def advance(self, sandbox: str, job: dict[str, Any]) -> None:
        """Move a job along its timeline; write its files when it succeeds."""
        if job["_done"]:
            return
        now = self.now_ms()
        elapsed = (now - job["creationTime"]) / 1000
        duration = float(job["_duration"])
        if elapsed < duration * 0.2 and duration > 0:
            status = "NEW"
        elif elapsed < duration:
            status = "PROCESSING" if not job["_odd"] else "QUEUED_FOR_SPARK"
        else:
            status = "FAILED" if job["_fail"] else "SUCCEEDED"
        if status == job["status"]:
            return
        job["status"] = status
        job["updateTime"] = now
        if status not in ("SUCCEEDED", "FAILED"):
            return
        job["_done"] = True
        start = job["creationTime"]
        job["metrics"] = {
            "totalTime": {"startTimeInMs": start, "endTimeInMs": now, "totalTimeInMs": now - start},
            "profileExportTime": {
                "startTimeInMs": start,
                "endTimeInMs": start + (now - start) // 2,
                "totalTimeInMs": (now - start) // 2,
            },
        }
        job["computeGatewayJobId"] = {
            "exportJob": str(uuid.uuid5(uuid.NAMESPACE_OID, f"x{job['id']}"))
        }
        space = self.space(sandbox)
        batches = [b for b in space.batches.items() if b[1]["jobId"] == job["id"]]
        if status == "FAILED":
            job["errors"] = [
                {"code": code, "msg": msg.format(id=job["id"]), "callStack": stack}
                for code, msg, stack in FAILED_JOB_ERRORS
            ]
            for _bid, batch in batches:
                batch["status"] = "failed"
                batch["updated"] = now
            return
        job["metrics"]["aCPDatasetWriteTime"] = {
            "startTimeInMs": start + (now - start) // 2,
            "endTimeInMs": now,
            "totalTimeInMs": now - start - (now - start) // 2,
        }
        if job.get("_foreign"):
            return
        work = self._files_work(sandbox, job["_request"], [(b, x["segmentId"]) for b, x in batches])
        space.files.update(self.file_writer.take((sandbox, job["id"]), work))
        for _bid, batch in batches:
            batch["status"] = "success"
            batch["updated"] = now

    def _files_work(
        self, sandbox: str, request: dict[str, Any], batches: Sequence[tuple[str, str | None]]
    ) -> Callable[[], JobFiles]:
        """Writing a job's files, with what it needs taken now: the work runs without the
        store's lock (the lock's holder may be waiting for it)."""
        cfg = self.config
        return functools.partial(
            _write_job_files,
            request,
            list(batches),
            self.data_dir() / sandbox,
            files=max(1, int(cfg.export_files)),
            parts=int(cfg.export_parts),
            part_bytes=int(cfg.export_part_bytes),
        )

    def job_view(self, sandbox: str, job_id: int) -> dict[str, Any] | None:
        """A job's record as AEP returns it (a copy), after moving it along its timeline."""
        with self.lock:
            job = self.space(sandbox).jobs.get(job_id)
            if job is None:
                return None
            before = job["status"]
            self.advance(sandbox, job)
            view = {k: v for k, v in job.items() if not k.startswith("_")}
        if view["status"] != before:
            self.save()
        copy: dict[str, Any] = json.loads(json.dumps(view))
        return copy

    def list_jobs_page(
        self,
        sandbox: str,
        *,
        limit: int,
        before: tuple[int, int] | None = None,
        status: str | None = None,
    ) -> tuple[list[dict[str, Any]], bool]:
        """Up to ``limit`` listed jobs older than the cursor ``before``, newest first, and
        whether more follow. Costs what the page costs, not what the whole sandbox holds."""
        with self.lock:
            order = self.space(sandbox).order
            listed_before = self.now_ms() - int(self.config.listing_lag * 1000)
            limit_key = (listed_before, 1 << 62)
            if before is not None:
                limit_key = min(limit_key, before)
            index = bisect.bisect_left(order, limit_key)

            def matching(i: int) -> dict[str, Any] | None:
                view = self.job_view(sandbox, order[i][1])
                if view is not None and (status is None or view["status"] == status):
                    return view
                return None

            page: list[dict[str, Any]] = []
            while index > 0 and len(page) < limit:
                index -= 1
                view = matching(index)
                if view is not None:
                    page.append(view)
            more = False
            if len(page) == limit:
                probe = index
                while probe > 0 and not more:
                    probe -= 1
                    more = status is None or matching(probe) is not None
        return page, more

    def forget_job(self, sandbox: str, job_id: int) -> bool:
        """What AEP does to old job records: the job goes, its batches and files stay."""
        with self.lock:
            space = self.space(sandbox)
            job = space.jobs.get(job_id)
            if job is not None:
                # Its batches keep whatever the job reached by now.
                self.advance(sandbox, job)
                del space.jobs[job_id]
                _unindex(space, job)
        self.save()
        return job is not None

    def delete_job(self, sandbox: str, job_id: int) -> bool:
        """``DELETE /export/jobs/{id}``: a running job is cancelled (its batches aborted); a
        job that SUCCEEDED (by now, seen or not) is recorded in ``deleted_finished``."""
        with self.lock:
            space = self.space(sandbox)
            job = space.jobs.get(job_id)
            if job is None:
                return False
            self.advance(sandbox, job)
            space.jobs.pop(job_id)
            _unindex(space, job)
            if job["_done"] and job["status"] == "SUCCEEDED":
                self.deleted_finished.append(job_id)
            if not job["_done"]:
                self.cancelled_running.append(job_id)
                for batch in space.batches.values():
                    if batch["jobId"] == job_id:
                        batch["status"] = "aborted"
                # A cancelled export leaves no files, even those its job had begun to write.
                for file_id, _ in self.file_writer.discard((sandbox, job_id)) or []:
                    shutil.rmtree(self.data_dir() / sandbox / file_id, ignore_errors=True)
        self.save()
        return True

    def job_ends_at(self, sandbox: str, job_id: int) -> float:
        """When (epoch seconds, the sandbox's clock) the job reaches its final status."""
        with self.lock:
            job = self.space(sandbox).jobs[job_id]
            return float(job["creationTime"]) / 1000 + float(job["_duration"])


def _write_job_files(
    request: dict[str, Any],
    batches: list[tuple[str, str | None]],
    directory: Path,
    *,
    files: int,
    parts: int,
    part_bytes: int,
) -> JobFiles:
    """Write the Parquet files of each batch (its segment's records, or all the request's) under
    ``directory``; their Catalog records."""
    written: JobFiles = []
    for bid, segment_id in batches:
        records = population.export_records(request, segment_id)
        for index in range(files):
            file_id = f"{bid}-{index}"
            file_parts = parquet_files.write_parts(
                records[index::files] or records[:1],
                directory / file_id,
                parts=parts,
                part_bytes=part_bytes,
            )
            record = {
                "batchId": bid,
                "parts": file_parts,
                "records": parquet_files.total(file_parts, "records"),
                "size": parquet_files.total(file_parts, "length"),
            }
            written.append((file_id, record))
    return written


def _unindex(space: Space, job: dict[str, Any]) -> None:
    key = (int(job["creationTime"]), int(job["id"]))
    index = bisect.bisect_left(space.order, key)
    if index < len(space.order) and space.order[index] == key:
        del space.order[index]
