"""What a claim says: the tags on a target dataset that name the export jobs a stack holds and
the requests whose answer was lost, as values (no HTTP; :mod:`.claims` reads and writes them).

* ``aep-pulumi/job-<id>``: ``["owner:<project/stack/resource>", "request:<fingerprint>",
  "by:aep-pulumi/2", "backend:<digest>", "at:<AEP epoch ms>"]``. Claims written by 0.1.0 carry
  only ``owner`` (the dynamic door's, with its organisation first) and ``request``; they count.
* ``aep-pulumi/lost-<nonce>``: ``["owner:...", "request:...", "sent:<AEP epoch ms>",
  "key:<x-request-id>"]``.
"""

from __future__ import annotations

import hashlib
import json
import os
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

CLAIM_PREFIX = "aep-pulumi/job-"
LOST_PREFIX = "aep-pulumi/lost-"
# What a claim written by this version says of itself (0.1.0's carry no `by:`).
WRITER = "aep-pulumi/2"


@dataclass(frozen=True)
class Claim:
    """A job a stack holds."""

    job_id: int
    owner: str
    request: str
    # Written by 0.1.0 (owners of the dynamic door then began with the organisation).
    legacy: bool = False
    # When it was written (AEP epoch ms), and a digest of the Pulumi backend of the stack
    # that wrote it (None in claims of 0.1.0).
    at_ms: int | None = None
    backend: str | None = None


@dataclass(frozen=True)
class LostAnswer:
    """A request whose answer was lost, awaiting the job it may have made."""

    tag: str
    owner: str
    request: str
    sent_ms: int
    # The `x-request-id` the request was sent with ("" in records of 0.1.0).
    key: str = ""


def owner_identity(project: str, stack: str, resource: str) -> str:
    """Who claims a job, the same on both doors: ``<project>/<stack>/<resource>``."""
    return f"{project}/{stack}/{resource}"


def identity_of_owner_input(owner: str) -> str:
    """The identity in the dynamic door's ``owner`` input, ``<org>/<project>/<stack>/<resource>``
    (its organisation is not part of the identity: the native door cannot know it)."""
    return owner.partition("/")[2] if owner.count("/") >= 3 else owner


def backend_identity(env: Mapping[str, str] | None = None) -> str:
    """A digest of the Pulumi backend this process's stack lives in: ``PULUMI_BACKEND_URL``, or
    the backend ``pulumi login`` chose (``$PULUMI_HOME/credentials.json``). Two stacks with the
    same project, stack and resource names on two self-managed backends (a laptop's ``--local``
    and CI's bucket) have the same owner identity; this tells them apart. A digest, so that a
    bucket or a home folder's path never reaches a tag."""
    env = os.environ if env is None else env
    url = env.get("PULUMI_BACKEND_URL", "").strip()
    if not url:
        home = Path(env.get("PULUMI_HOME") or Path.home() / ".pulumi")
        try:
            url = str(json.loads((home / "credentials.json").read_text()).get("current") or "")
        except (OSError, ValueError, AttributeError):
            url = ""
    if url.startswith("file://~"):
        url = "file://" + str(Path.home()) + url[len("file://~") :]
    return hashlib.sha256(url.rstrip("/").encode()).hexdigest()[:12] if url else "unknown"


def claim_is_owned_by(claim: Claim | LostAnswer, identity: str, backend: str = "") -> bool:
    """Whether ``claim`` names ``identity`` in ``backend`` (a 0.1.0 claim's organisation is
    ignored, and it names no backend)."""
    if not identity:
        return False
    if isinstance(claim, Claim) and claim.backend and backend and claim.backend != backend:
        return False
    if claim.owner == identity:
        return True
    legacy = isinstance(claim, LostAnswer) or claim.legacy
    return legacy and claim.owner.partition("/")[2] == identity


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


def claim_tag(job_id: int) -> str:
    return f"{CLAIM_PREFIX}{int(job_id)}"


def claim_value(owner: str, request: str, backend: str, at_ms: int) -> list[str]:
    return [
        f"owner:{owner}",
        f"request:{request}",
        f"by:{WRITER}",
        f"backend:{backend}",
        f"at:{int(at_ms)}",
    ]


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
            at = fields.get("at", "")
            claims[job_id] = Claim(
                job_id,
                fields.get("owner", ""),
                fields.get("request", ""),
                "by" not in fields,
                int(at) if at.isdigit() else None,
                fields.get("backend") or None,
            )
        elif name.startswith(LOST_PREFIX) and fields.get("sent", "").isdigit():
            lost.append(
                LostAnswer(
                    name,
                    fields.get("owner", ""),
                    fields.get("request", ""),
                    int(fields["sent"]),
                    fields.get("key", ""),
                )
            )
    return claims, lost


def identifying(value: list[str]) -> list[str]:
    """The entries of a tag's value that say whose it is (not when it was written)."""
    return [entry for entry in value if not entry.startswith("at:")]


def present(tags: Mapping[str, Any], expected: Mapping[str, list[str]]) -> bool:
    """Whether each expected tag is there with (at least) the expected entries."""
    return all(
        isinstance(tags.get(name), list) and set(entries) <= set(tags[name])
        for name, entries in expected.items()
    )
