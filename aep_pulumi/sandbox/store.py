"""The sandbox's state: tokens, and per ``x-sandbox-name`` datasets, jobs, batches and files.

All access goes through one lock: the HTTP server is threaded. By default the sandbox is as
awkward as AEP itself (the defaults of :class:`~.config.SandboxConfig`): job records do not echo
``fields``, ``filter`` and ``additionalFields`` (the guide's own create, GET and list samples
show them without), and other clients' jobs share the listings, some older than ours and some
created while ours run. Export files are written to a temporary folder, removed by
:meth:`Store.close` unless the state is persisted.
"""

from __future__ import annotations

import json
import os
import random
import secrets
import shutil
import tempfile
import threading
import time
import uuid
import weakref
from collections.abc import Callable
from dataclasses import asdict
from pathlib import Path
from typing import Any

import jsonpatch

from .ahead import AheadOfTime
from .config import SandboxConfig, Space
from .jobs import JobBook, JobFiles

# What a PATCH may change (AEP refuses the rest: schema, ids, timestamps).
PATCHABLE = ("/name", "/description", "/tags")


class Store(JobBook):
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
        self.spaces: dict[str, Space] = {}
        self.next_job_id = 1000
        self.rng = random.Random(11)
        self.cancelled_running: list[int] = []
        # Jobs that had SUCCEEDED when a DELETE removed them (a finished export deleted).
        self.deleted_finished: list[int] = []
        self.file_writer: AheadOfTime[JobFiles] = AheadOfTime("aep-sandbox-files")
        self._data_dir: Path | None = None
        self._cleanup: weakref.finalize[Any, Any] | None = None
        if state_file is not None and state_file.is_file():
            self._load(state_file)

    def now(self) -> float:
        """The sandbox's clock (AEP's): the machine's plus ``clock_offset``."""
        return self.clock() + float(self.config.clock_offset)

    def now_ms(self) -> int:
        return int(self.now() * 1000)

    # ------------------------------------------------------------ persistence

    def _load(self, path: Path) -> None:
        data = json.loads(path.read_text(encoding="utf-8"))
        self.next_job_id = int(data.get("next_job_id", 1000))
        self.tokens = data.get("tokens", {})
        for name, space in data.get("spaces", {}).items():
            jobs = {int(k): v for k, v in space["jobs"].items()}
            self.spaces[name] = Space(
                datasets=space["datasets"],
                jobs=jobs,
                batches=space["batches"],
                files=space["files"],
                order=sorted((int(j["creationTime"]), k) for k, j in jobs.items()),
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
        """Where export files are written (made on first use): beside a persisted state file,
        whose jobs' files must outlive the process; else a temporary folder, removed by
        :meth:`close`, or when the store is dropped or the process exits without it."""
        with self.lock:
            if self._data_dir is None:
                if self.state_file is not None:
                    self._data_dir = self.state_file.with_name(self.state_file.stem + "-files")
                    self._data_dir.mkdir(parents=True, exist_ok=True)
                else:
                    self._data_dir = Path(
                        tempfile.mkdtemp(prefix=f"aep-sandbox-data-{os.getpid()}-")
                    )
                    self._cleanup = weakref.finalize(
                        self, _remove_files, self.file_writer, str(self._data_dir)
                    )
            return self._data_dir

    def close(self) -> None:
        """Remove the export files this sandbox wrote (unless its state is persisted)."""
        self.file_writer.close()
        with self.lock:
            if self._cleanup is not None:
                self._cleanup()
                self._cleanup = None
                self._data_dir = None

    def reset(self) -> None:
        """Forget everything: every sandbox's objects and every token."""
        with self.lock:
            self.spaces.clear()
            self.tokens.clear()
        self.save()

    def clear_spaces(self) -> None:
        """Forget every sandbox's objects, keeping the tokens (clients stay signed in)."""
        with self.lock:
            self.spaces.clear()
            self.cancelled_running.clear()
            self.deleted_finished.clear()
        self.save()

    def space(self, sandbox: str) -> Space:
        with self.lock:
            space = self.spaces.get(sandbox)
            if space is None:
                space = self.spaces[sandbox] = Space()
                self.seed_foreign_jobs(sandbox, space)
            return space

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
        now = self.now_ms()
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

    def dataset(self, sandbox: str, dataset_id: str) -> dict[str, Any] | None:
        """A copy of a dataset's record (``None`` when it does not exist)."""
        with self.lock:
            record = self.space(sandbox).datasets.get(dataset_id)
            return json.loads(json.dumps(record)) if record is not None else None

    def patch_dataset(self, sandbox: str, dataset_id: str, changes: dict[str, Any]) -> bool:
        with self.lock:
            record = self.space(sandbox).datasets.get(dataset_id)
            if record is None:
                return False
            for key in ("name", "description", "tags"):
                if key in changes:
                    record[key] = changes[key]
            self._touch(record)
        self.save()
        return True

    def json_patch_dataset(
        self, sandbox: str, dataset_id: str, operations: list[Any]
    ) -> str | None:
        """Apply an RFC 6902 patch to a dataset's name, description and tags, all or nothing.
        Returns why it was refused (``None``: applied); an unknown dataset raises KeyError.

        With ``patch_read_modify_write`` the record is read, patched after a pause and written
        whole: a PATCH that overlaps another undoes its changes (last writer wins)."""
        for op in operations:
            path = op.get("path") if isinstance(op, dict) else None
            if not isinstance(path, str) or not path.startswith(PATCHABLE):
                return f"cannot patch {str(path)[:60]!r}: only /name, /description, /tags"
        with self.lock:
            editable = self._editable(self.space(sandbox).datasets[dataset_id])
        if self.config.patch_read_modify_write:
            time.sleep(self.config.patch_rmw_pause)
        with self.lock:
            record = self.space(sandbox).datasets[dataset_id]
            if not self.config.patch_read_modify_write:
                editable = self._editable(record)
            try:
                patched = jsonpatch.apply_patch(editable, operations)
            except (jsonpatch.JsonPatchException, jsonpatch.JsonPointerException, TypeError) as exc:
                return f"JSON Patch refused: {exc}"
            record.update({k: v for k, v in patched.items() if v is not None})
            self._touch(record)
        self.save()
        return None

    @staticmethod
    def _editable(record: dict[str, Any]) -> dict[str, Any]:
        editable = {
            k: json.loads(json.dumps(record.get(k))) for k in ("name", "description", "tags")
        }
        editable["tags"] = editable["tags"] or {}
        return editable

    def _touch(self, record: dict[str, Any]) -> None:
        record["updated"] = max(self.now_ms(), int(record["updated"]) + 1)
        major, minor, patch = (int(x) for x in str(record.get("version", "1.0.0")).split("."))
        record["version"] = f"{major}.{minor}.{patch + 1}"

    def delete_dataset(self, sandbox: str, dataset_id: str) -> bool:
        with self.lock:
            existed = self.space(sandbox).datasets.pop(dataset_id, None) is not None
        self.save()
        return existed

    # ------------------------------------------------------------ views

    def batch_view(self, sandbox: str, batch_id: str, org: str) -> dict[str, Any] | None:
        """A batch as Catalog shows it, after moving its job along (``None``: unknown)."""
        with self.lock:
            space = self.space(sandbox)
            known = space.batches.get(batch_id)
            if known is not None:
                self.job_view(sandbox, known["jobId"])
            batch = space.batches.get(batch_id)
            if batch is None:
                return None
            return {
                "imsOrg": org,
                "status": batch["status"],
                "created": batch["created"],
                "updated": batch["updated"],
                "createdClient": "profile_export",
                "relatedObjects": [{"type": "dataSet", "id": batch["dataSetId"]}],
                "version": "1.0.0",
            }

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


def _remove_files(writer: AheadOfTime[JobFiles], folder: str) -> None:
    """Stop writing first (a write after the removal would leave its folder behind), then
    remove the folder."""
    writer.close()
    shutil.rmtree(folder, ignore_errors=True)
