"""Other clients' jobs in the sandbox's listings: AEP's listing holds every client's jobs, and a
fake that shows only ours is kinder than AEP."""

from __future__ import annotations

import uuid
from typing import Any


def foreign_job_record(
    job_id: int, created_ms: int, *, running: bool, failing: bool
) -> dict[str, Any]:
    """Another client's job on its own dataset, created at ``created_ms``: running for an hour
    (``running``) or ending at once, FAILED when ``failing``."""
    return {
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
        "_duration": 3600.0 if running else 0.0,
        "_fail": failing,
        "_odd": False,
        "_done": False,
        "_foreign": True,
    }
