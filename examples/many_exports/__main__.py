"""Twelve exports (one per segment) that run side by side and finish together.

Each job is submitted without waiting; one ProfileExportWait polls all of them in a single loop,
so the stack takes about one export's time instead of queueing behind the provider's 4 threads.
"""

import pulumi

from aep_pulumi import Dataset, ProfileExportJob, ProfileExportWait, SegmentArgs

config = pulumi.Config()
segment_ids = config.get_object("segments") or [f"segment-{n:02d}" for n in range(1, 13)]

target = Dataset("segments-target", name="Per-segment exports")

jobs = [
    ProfileExportJob(
        f"export-{segment_id}",
        dataset_id=target.dataset_id,
        fields=["identities.id", "personalEmail.address"],
        segments=[SegmentArgs(segment_id=segment_id)],
        wait_for_completion=False,
    )
    for segment_id in segment_ids
]

done = ProfileExportWait("all-exports", job_ids=[job.id for job in jobs], timeout_seconds=7200)

pulumi.export("batchIds", done.batch_ids)
