"""Export the members of two segments, one batch per segment."""

import pulumi

from aep_pulumi import Dataset, ProfileExportJob, SegmentArgs

config = pulumi.Config()
segments = config.get_object("segments") or [
    "7a93d2ff-a220-4bae-9a4e-5f3c35032be3",
    "52c26d0d-45f2-47a2-ab30-ed06abc981ff",
]

target = Dataset("segment-export-target", name="Segment members export", tags={"team": ["growth"]})

export = ProfileExportJob(
    "segment-export",
    dataset_id=target.dataset_id,
    fields=["identities.id", "personalEmail.address", "person.name.firstName"],
    segments=[
        SegmentArgs(segment_id=s, segment_ns="ups", status=["realized", "existing"])
        for s in segments
    ],
    segment_per_batch=True,
    # Change this value to run the export again on the next `pulumi up`.
    triggers=[config.get("exportRun") or "1"],
)

pulumi.export("batches", export.batches)
