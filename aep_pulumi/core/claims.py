"""Claims every stack can see: tags on the target dataset that say which export jobs are held,
and which requests lost their answer.

AEP's job records carry nothing that tells one client's job from another's, and two stacks may
export the same request into one dataset. So each stack says what it holds, where the other
stacks look: on the dataset, one tag per job,

* ``aep-pulumi/job-<id>``: ``["owner:<org/project/stack/resource>", "request:<fingerprint>"]``
  — a state holds (or is about to hold) this job;
* ``aep-pulumi/lost-<nonce>``: ``["owner:...", "request:...", "sent:<AEP epoch ms>"]`` — the
  answer to that request was lost; the job it made, if any, is the owner's to adopt.

Each tag is written and removed on its own with a JSON Patch (``add``/``remove`` of
``/tags/<name>``), so stacks writing at once never undo each other's tags. A claim is written
right after the POST's answer, before the create returns; it is removed when the job is deleted.
Writing or reading claims can fail (a dataset the credentials may read but not change): that
costs only the protection they add, and says so.
"""

from __future__ import annotations

import hashlib
import json
import uuid
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from ..errors import AepError
from .context import Context

CLAIM_PREFIX = "aep-pulumi/job-"
LOST_PREFIX = "aep-pulumi/lost-"


@dataclass(frozen=True)
class Claim:
    """A job a stack holds."""

    job_id: int
    owner: str
    request: str


@dataclass(frozen=True)
class LostAnswer:
    """A request whose answer was lost, awaiting the job it may have made."""

    tag: str
    owner: str
    request: str
    sent_ms: int


def _trigger_text(value: Any) -> Any:
    # A trigger is an opaque value: `1`, `1.0` and `"1"` are one trigger whatever the door
    # (Pulumi YAML hands a numeric-looking string config value over as a number).
    if isinstance(value, bool) or not isinstance(value, (int, float, str)):
        return value
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value)


def request_fingerprint(api_body: Mapping[str, Any], triggers: Any) -> str:
    """What identifies an export request: its API body and the resource's ``triggers``."""
    if isinstance(triggers, (list, tuple)):
        triggers = [_trigger_text(t) for t in triggers]
    canonical = json.dumps({"body": api_body, "triggers": triggers}, sort_keys=True, default=str)
    return hashlib.sha256(canonical.encode()).hexdigest()[:20]


def tag_path(name: str) -> str:
    """The JSON Pointer of a tag (RFC 6901: ``~`` is ``~0``, ``/`` is ``~1``)."""
    return "/tags/" + name.replace("~", "~0").replace("/", "~1")


def removal(path: str) -> list[dict[str, Any]]:
    """Operations that remove ``path`` whether or not it is there (a bare ``remove`` of a
    missing member fails the whole patch, RFC 6902 §4.2)."""
    return [{"op": "add", "path": path, "value": []}, {"op": "remove", "path": path}]


def _fields(values: Any) -> dict[str, str]:
    out: dict[str, str] = {}
    for value in values if isinstance(values, list) else []:
        key, sep, rest = str(value).partition(":")
        if sep:
            out[key] = rest
    return out


def parse_claims(tags: Mapping[str, Any] | None) -> tuple[dict[int, Claim], list[LostAnswer]]:
    """The claims and lost answers recorded in a dataset's tags."""
    claims: dict[int, Claim] = {}
    lost: list[LostAnswer] = []
    for name, values in (tags or {}).items():
        fields = _fields(values)
        if name.startswith(CLAIM_PREFIX) and name[len(CLAIM_PREFIX) :].isdigit():
            job_id = int(name[len(CLAIM_PREFIX) :])
            claims[job_id] = Claim(job_id, fields.get("owner", ""), fields.get("request", ""))
        elif name.startswith(LOST_PREFIX) and fields.get("sent", "").isdigit():
            lost.append(
                LostAnswer(
                    name, fields.get("owner", ""), fields.get("request", ""), int(fields["sent"])
                )
            )
    return claims, lost


class DatasetClaims:
    """The claims on one dataset, read and written through the context's client."""

    def __init__(self, ctx: Context, sandbox: str, dataset_id: str) -> None:
        self.ctx = ctx
        self.sandbox = sandbox
        self.dataset_id = dataset_id

    def read(self) -> tuple[dict[int, Claim], list[LostAnswer]]:
        """The dataset's claims now; none (with a warning) when they cannot be read."""
        try:
            record = self.ctx.client().get_dataset(self.dataset_id, sandbox=self.sandbox)
        except AepError as exc:
            self.ctx.log.warn(f"could not read the claims on dataset {self.dataset_id}: {exc}")
            return {}, []
        return parse_claims(record.tags)

    def _patch(self, operations: list[dict[str, Any]], what: str) -> bool:
        try:
            self.ctx.client().patch_dataset(
                self.dataset_id,
                operations,
                sandbox=self.sandbox,
                operation=f"{what} on dataset {self.dataset_id}",
            )
        except AepError as exc:
            self.ctx.log.warn(
                f"{exc}; other stacks exporting into dataset {self.dataset_id} cannot see it"
            )
            return False
        return True

    def _batched(self, operations: list[dict[str, Any]], what: str) -> bool:
        """``operations`` in one PATCH with the other resources' queued on this dataset."""
        return self.ctx.dataset_patches.send(
            ("claim", self.sandbox, self.dataset_id), operations, lambda ops: self._patch(ops, what)
        )

    def claim(
        self, job_id: int, owner: str, request: str, *, resolves: LostAnswer | None = None
    ) -> bool:
        """Say that ``owner`` holds ``job_id`` (and that a lost answer is resolved)."""
        operations: list[dict[str, Any]] = [
            {
                "op": "add",
                "path": tag_path(f"{CLAIM_PREFIX}{int(job_id)}"),
                "value": [f"owner:{owner}", f"request:{request}"],
            }
        ]
        if resolves is not None:
            operations.extend(removal(tag_path(resolves.tag)))
        return self._batched(operations, "claim export jobs")

    def record_lost(self, owner: str, request: str, sent_ms: int) -> LostAnswer | None:
        """Record a request whose answer was lost, so that the next ``up`` can find its job."""
        tag = f"{LOST_PREFIX}{uuid.uuid4().hex[:16]}"
        value = [f"owner:{owner}", f"request:{request}", f"sent:{int(sent_ms)}"]
        if self._patch(
            [{"op": "add", "path": tag_path(tag), "value": value}], "record a lost answer"
        ):
            return LostAnswer(tag, owner, request, int(sent_ms))
        return None

    def forget_lost(self, lost: LostAnswer) -> None:
        """A lost answer settled without a job: its tag goes."""
        self._patch(removal(tag_path(lost.tag)), "forget a lost answer")

    def release(self, job_id: int) -> None:
        """The job is deleted: its claim goes (a claim already gone, or its dataset, is fine)."""

        def send(operations: list[dict[str, Any]]) -> bool:
            try:
                self.ctx.client().patch_dataset(
                    self.dataset_id,
                    operations,
                    sandbox=self.sandbox,
                    operation=f"release export jobs on dataset {self.dataset_id}",
                )
            except AepError:
                return False
            return True

        operations = removal(tag_path(f"{CLAIM_PREFIX}{int(job_id)}"))
        self.ctx.dataset_patches.send(("release", self.sandbox, self.dataset_id), operations, send)
