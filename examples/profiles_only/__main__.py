"""The guide's appendix payload: profile attributes only, no ExperienceEvents."""

import pulumi

from aep_pulumi import Dataset, ProfileExportJob

target = Dataset("profiles-only-target", name="Profile Data Export (profiles only)")

export = ProfileExportJob(
    "profiles-only",
    dataset_id=target.dataset_id,
    fields=["identities.id", "personalEmail.address"],
    merge_policy={"id": "e5bc94de-cd14-4cdf-a2bc-88b6e8cbfac2", "version": 1},
)

pulumi.export("batchId", export.batch_id)
