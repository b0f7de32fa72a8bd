"""The sandbox's state: tokens, and per ``x-sandbox-name`` datasets, jobs, batches and files.

Job status follows elapsed time (NEW, then PROCESSING, then SUCCEEDED or FAILED), so a test
controls a job's life with ``job_duration`` alone. All access goes through one lock: the HTTP
server is threaded.

By default the sandbox is as awkward as AEP itself (the "realistic" defaults of
:class:`SandboxConfig`): job records do not echo ``fields``, ``filter`` and
``additionalFields`` (the guide's own create, GET and list samples show them without), and other
clients' jobs share the listings, some older than ours and some created while ours run.
"""

from __future__ import annotations

import bisect
import json
import os
import random
import secrets
import shutil
import tempfile
import threading
import time
import uuid
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from . import parquet_files, population


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


@dataclass
class _Space:
    datasets: dict[str, dict[str, Any]] = field(default_factory=dict)
    jobs: dict[int, dict[str, Any]] = field(default_factory=dict)
    batches: dict[str, dict[str, Any]] = field(default_factory=dict)
    files: dict[str, dict[str, Any]] = field(default_factory=dict)
    # (creationTime, id) of every job, ascending: listings cost what their page costs.
    order: list[tuple[int, int]] = field(default_factory=list)
    creates: int = 0


def _now_ms(clock: Callable[[], float]) -> int:
    return int(clock() * 1000)


class Store:
    """All sandbox state, optionally persisted to a JSON file after each change."""

    def __init__(
        self,
        config: SandboxConfig | None = None,
        *,
        state_file: Path | None = None,
        clock: Callable[[], float] = time.time,
    ) -> None:
        self.config = config or SandboxConfig()
        self.lock = threading.RLock()
        self.clock = clock
        self.state_file = state_file
        self.tokens: dict[str, dict[str, Any]] = {}
        self.spaces: dict[str, _Space] = {}
        self.next_job_id = 1000
        self._rng = random.Random(11)
        # Export files live on disk, like AEP's Data Lake (made on first use, removed by close()).
        self._data_dir: Path | None = None
        if state_file is not None and state_file.is_file():
            self._load(state_file)

    # ------------------------------------------------------------ persistence

    def _load(self, path: Path) -> None:
        data = json.loads(path.read_text(encoding="utf-8"))
        self.next_job_id = int(data.get("next_job_id", 1000))
        self.tokens = data.get("tokens", {})
        for name, space in data.get("spaces", {}).items():
            self.spaces[name] = _Space(
                datasets=space["datasets"],
                jobs={int(k): v for k, v in space["jobs"].items()},
                batches=space["batches"],
                files=space["files"],
            )
            self.spaces[name].order = sorted(
                (int(j["creationTime"]), int(k)) for k, j in self.spaces[name].jobs.items()
            )

    def save(self) -> None:
        if self.state_file is None:
            return
        with self.lock:
            data = {
                "next_job_id": self.next_job_id,
                "tokens": self.tokens,
                "spaces": {
                    name: {
                        "datasets": s.datasets,
                        "jobs": {str(k): v for k, v in s.jobs.items()},
                        "batches": s.batches,
                        "files": s.files,
                    }
                    for name, s in self.spaces.items()
                },
            }
            tmp = self.state_file.with_suffix(".tmp")
            tmp.write_text(json.dumps(data), encoding="utf-8")
            os.replace(tmp, self.state_file)

    def data_dir(self) -> Path:
        with self.lock:
            if self._data_dir is None:
                self._data_dir = Path(tempfile.mkdtemp(prefix="aep-sandbox-data-"))
            return self._data_dir

    def close(self) -> None:
        """Remove the export files this sandbox wrote (unless its state is persisted)."""
        with self.lock:
            if self._data_dir is not None and self.state_file is None:
                shutil.rmtree(self._data_dir, ignore_errors=True)
                self._data_dir = None

    def reset(self) -> None:
        with self.lock:
            self.spaces.clear()
            self.tokens.clear()
        self.save()

    def space(self, sandbox: str) -> _Space:
        with self.lock:
            space = self.spaces.get(sandbox)
            if space is None:
                space = self.spaces[sandbox] = _Space()
                self._seed_foreign_jobs(sandbox, space)
            return space

    # ------------------------------------------------------------ other clients

    def _seed_foreign_jobs(self, sandbox: str, space: _Space) -> None:
        """Jobs of other clients, created over the last hour, some still running."""
        now = _now_ms(self.clock)
        count = max(0, int(self.config.foreign_jobs))
        for n in range(count):
            age_ms = int((count - n) * 3_600_000 / max(count, 1))
            self._add_foreign_job(sandbox, space, now - age_ms, running=n >= count - 2)

    def _add_foreign_job(
        self, sandbox: str, space: _Space, created_ms: int, *, running: bool = False
    ) -> None:
        self.next_job_id += 1
        job_id = self.next_job_id
        duration = 3600.0 if running else 0.0
        job = {
            "profileInstanceId": "ups",
            "jobType": "BATCH",
            "id": job_id,
            "schema": {"name": "_xdm.context.profile"},
            "mergePolicy": {"id": "timestampOrdered-none-mp", "version": 1},
            "status": "NEW",
            "requestId": uuid.uuid4().hex,
            "computeGatewayJobId": {},
            "metrics": {"totalTime": {"startTimeInMs": created_ms}},
            "destination": {
                "datasetId": "foreign" + uuid.uuid4().hex[:17],
                "segmentPerBatch": False,
                "batchId": uuid.uuid4().hex,
            },
            "updateTime": created_ms,
            "imsOrgId": "OTHERCLIENT@AdobeOrg",
            "creationTime": created_ms,
            "_request": {},
            "_duration": duration,
            "_fail": self._rng.random() < 0.2,
            "_odd": False,
            "_done": False,
            "_foreign": True,
        }
        space.jobs[job_id] = job
        bisect.insort(space.order, (created_ms, job_id))

    # ------------------------------------------------------------ tokens

    def issue_token(self, client_id: str) -> tuple[str, float]:
        token = "sbx-" + secrets.token_urlsafe(24)
        with self.lock:
            self.tokens[token] = {
                "client_id": client_id,
                "expires_at": self.clock() + self.config.token_ttl,
            }
        self.save()
        return token, self.config.token_ttl

    def token_client(self, token: str) -> str | None:
        """The client id a token was issued to; ``None`` when unknown or expired."""
        if token in self.config.static_tokens:
            return "*"
        with self.lock:
            info = self.tokens.get(token)
            if info is None or info["expires_at"] <= self.clock():
                return None
            return str(info["client_id"])

    def expire_tokens(self) -> int:
        with self.lock:
            count = len(self.tokens)
            for info in self.tokens.values():
                info["expires_at"] = 0
        return count

    # ------------------------------------------------------------ datasets

    def create_dataset(self, sandbox: str, body: dict[str, Any], org: str, client_id: str) -> str:
        dataset_id = uuid.uuid4().hex[:24]
        now = _now_ms(self.clock)
        record = {
            "name": body.get("name"),
            "description": body.get("description"),
            "schemaRef": body.get("schemaRef"),
            "tags": body.get("tags") or {},
            "imsOrg": org,
            "created": now,
            "updated": now,
            "createdClient": client_id,
            "createdUser": f"{client_id}@AdobeID",
            "updatedUser": f"{client_id}@AdobeID",
            "version": "1.0.0",
            "viewId": uuid.uuid4().hex[:24],
            "files": f"@/dataSetFiles?dataSetId={dataset_id}",
        }
        with self.lock:
            self.space(sandbox).datasets[dataset_id] = {
                k: v for k, v in record.items() if v is not None
            }
        self.save()
        return dataset_id

    def patch_dataset(self, sandbox: str, dataset_id: str, changes: dict[str, Any]) -> bool:
        with self.lock:
            record = self.space(sandbox).datasets.get(dataset_id)
            if record is None:
                return False
            for key in ("name", "description", "tags"):
                if key in changes:
                    record[key] = changes[key]
            record["updated"] = max(_now_ms(self.clock), int(record["updated"]) + 1)
            major, minor, patch = (int(x) for x in str(record.get("version", "1.0.0")).split("."))
            record["version"] = f"{major}.{minor}.{patch + 1}"
        self.save()
        return True

    def delete_dataset(self, sandbox: str, dataset_id: str) -> bool:
        with self.lock:
            existed = self.space(sandbox).datasets.pop(dataset_id, None) is not None
        self.save()
        return existed

    # ------------------------------------------------------------ export jobs

    def create_job(
        self, sandbox: str, body: dict[str, Any], org: str, rng_value: float
    ) -> dict[str, Any]:
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
        now = _now_ms(self.clock)
        with self.lock:
            self.next_job_id += 1
            job_id = self.next_job_id
            batch_id = uuid.uuid4().hex
            dest: dict[str, Any] = {
                "datasetId": destination.get("datasetId"),
                "segmentPerBatch": bool(destination.get("segmentPerBatch", False)),
                "batchId": batch_id,
            }
            batch_ids = {None: batch_id}
            if dest["segmentPerBatch"] and segments:
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
                "requestId": uuid.uuid4().hex,
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
                self._add_foreign_job(sandbox, space, now)
            for segment_id, bid in batch_ids.items():
                space.batches[bid] = {
                    "status": "processing",
                    "created": now,
                    "updated": now,
                    "jobId": job_id,
                    "segmentId": segment_id,
                    "dataSetId": dest["datasetId"],
                }
        self.save()
        return self.job_view(sandbox, job_id) or {}

    def _advance(self, sandbox: str, job: dict[str, Any]) -> None:
        """Move a job along its timeline; write its files when it succeeds."""
        if job["_done"]:
            return
        now = _now_ms(self.clock)
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
                {
                    "code": "0090000009",
                    "msg": f"Error writing profiles to output path 'sandbox://snapshot/{job['id']}'",
                    "callStack": "com.adobe.aep.unifiedprofile.common.logging.Logger",
                },
                {
                    "code": "unknown",
                    "msg": "Job aborted.",
                    "callStack": "org.apache.spark.SparkException: Job aborted.",
                },
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
        per_segment = job["destination"].get("segmentPerBatch") and len(batches) > 1
        for bid, batch in batches:
            batch["status"] = "success"
            batch["updated"] = now
            if per_segment and batch["segmentId"] is None:
                continue
            records = population.export_records(job["_request"], batch["segmentId"])
            file_count = max(1, int(self.config.export_files))
            for index in range(file_count):
                file_id = f"{bid}-{index}"
                parts = parquet_files.write_parts(
                    records[index::file_count] or records[:1],
                    self.data_dir() / sandbox / file_id,
                    parts=int(self.config.export_parts),
                    part_bytes=int(self.config.export_part_bytes),
                )
                space.files[file_id] = {
                    "batchId": bid,
                    "parts": parts,
                    "records": parquet_files.total(parts, "records"),
                    "size": parquet_files.total(parts, "length"),
                }

    def job_view(self, sandbox: str, job_id: int) -> dict[str, Any] | None:
        with self.lock:
            job = self.space(sandbox).jobs.get(job_id)
            if job is None:
                return None
            before = job["status"]
            self._advance(sandbox, job)
            view = {k: v for k, v in job.items() if not k.startswith("_")}
        if view["status"] != before:
            self.save()
        copy: dict[str, Any] = json.loads(json.dumps(view))
        return copy

    def list_jobs(self, sandbox: str) -> list[dict[str, Any]]:
        """Every job, newest first."""
        records, _ = self.list_jobs_page(sandbox, limit=1_000_000)
        return records

    def list_jobs_page(
        self,
        sandbox: str,
        *,
        limit: int,
        before: tuple[int, int] | None = None,
        status: str | None = None,
    ) -> tuple[list[dict[str, Any]], bool]:
        """Up to ``limit`` jobs older than the cursor ``before``, newest first, and whether
        more follow. Costs what the page costs, not what the whole sandbox holds."""
        with self.lock:
            order = self.space(sandbox).order
            index = len(order) if before is None else bisect.bisect_left(order, before)
            page: list[dict[str, Any]] = []
            while index > 0 and len(page) < limit:
                index -= 1
                view = self.job_view(sandbox, order[index][1])
                if view is not None and (status is None or view["status"] == status):
                    page.append(view)
            more = False
            if len(page) == limit:
                probe = index
                while probe > 0 and not more:
                    probe -= 1
                    view = self.job_view(sandbox, order[probe][1]) if status else {}
                    more = view is not None and (status is None or view["status"] == status)
        return page, more

    def forget_job(self, sandbox: str, job_id: int) -> bool:
        """What AEP does to old job records: the job goes, its batches and files stay."""
        with self.lock:
            space = self.space(sandbox)
            job = space.jobs.get(job_id)
            if job is not None:
                # Its batches keep whatever the job reached by now.
                self._advance(sandbox, job)
                del space.jobs[job_id]
                self._unindex(space, job)
        self.save()
        return job is not None

    @staticmethod
    def _unindex(space: _Space, job: dict[str, Any]) -> None:
        key = (int(job["creationTime"]), int(job["id"]))
        index = bisect.bisect_left(space.order, key)
        if index < len(space.order) and space.order[index] == key:
            del space.order[index]

    def delete_job(self, sandbox: str, job_id: int) -> bool:
        with self.lock:
            space = self.space(sandbox)
            job = space.jobs.pop(job_id, None)
            if job is None:
                return False
            self._unindex(space, job)
            if not job["_done"]:
                for batch in space.batches.values():
                    if batch["jobId"] == job_id:
                        batch["status"] = "aborted"
        self.save()
        return True

    def snapshot(self) -> dict[str, Any]:
        """Counts and ids per sandbox, for tests and the admin endpoint."""
        with self.lock:
            return {
                name: {
                    "datasets": {
                        k: {"name": v.get("name"), "tags": v.get("tags")}
                        for k, v in s.datasets.items()
                    },
                    "jobs": {
                        str(k): {"status": v["status"], "datasetId": v["destination"]["datasetId"]}
                        for k, v in s.jobs.items()
                        if not v.get("_foreign")
                    },
                    "foreign_jobs": sum(1 for v in s.jobs.values() if v.get("_foreign")),
                    "batches": len(s.batches),
                    "files": len(s.files),
                }
                for name, s in self.spaces.items()
            }

    def config_dict(self) -> dict[str, Any]:
        data = asdict(self.config)
        data["credentials"] = sorted(self.config.credentials) if self.config.credentials else None
        data["static_tokens"] = len(self.config.static_tokens)
        return data
