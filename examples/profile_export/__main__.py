"""The guide's main example: a dataset on the Profile union schema and an export with events.

Optional stack configuration: `datasetName`, `datasetTags` (object), `fields` (list),
`mergePolicyId`, `exportRun` (change it to export again), `waitTimeoutSeconds`.
"""

import pulumi

from aep_pulumi import Dataset, EventListArgs, MergePolicyArgs, ProfileExportJob

config = pulumi.Config()
merge_policy_id = config.get("mergePolicyId") or "e5bc94de-cd14-4cdf-a2bc-88b6e8cbfac2"

target = Dataset(
    "profile-export-target",
    name=config.get("datasetName") or "Profile Data Export",
    tags=config.get_object("datasetTags"),
)

export = ProfileExportJob(
    "profile-export",
    dataset_id=target.dataset_id,
    fields=config.get_object("fields") or ["identities.id", "personalEmail.address"],
    merge_policy=MergePolicyArgs(id=merge_policy_id, version=1),
    event_list=EventListArgs(
        fields=["environment.browserDetails.name", "environment.browserDetails.version"],
        from_ingest_timestamp="2018-10-25T13:22:04-07:00",
    ),
    triggers=[config.get("exportRun") or "1"],
    wait_timeout_seconds=config.get_float("waitTimeoutSeconds") or 3600,
)

pulumi.export("datasetId", target.dataset_id)
pulumi.export("exportJobId", export.job_id)
pulumi.export("batchId", export.batch_id)
pulumi.export("status", export.status)
