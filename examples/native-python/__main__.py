"""The guide's main export on the native `aep` provider, from Python (the generated SDK).

Optional stack configuration: `datasetName`, `exportRun` (change it to export again).
"""

import pulumi
import pulumi_aep as aep

config = pulumi.Config()
target = aep.Dataset("target", name=config.get("datasetName") or "Profile Data Export")

# The default merge policy of the profile class in the dataset's sandbox: no hard-coded id.
# It follows the dataset, so a first preview asks AEP nothing (see docs/native.md).
policies = aep.get_merge_policies_output(sandbox_name=target.sandbox_name)

export = aep.ProfileExportJob(
    "export",
    dataset_id=target.id,
    fields=["identities.id", "personalEmail.address"],
    merge_policy=aep.MergePolicyArgs(id=policies.default_id, version=policies.default_version),
    event_list=aep.EventListArgs(
        fields=["environment.browserDetails.name", "environment.browserDetails.version"],
        from_ingest_timestamp="2018-10-25T13:22:04-07:00",
    ),
    triggers=[config.get("exportRun") or "1"],
)

pulumi.export("datasetId", target.id)
pulumi.export("exportJobId", export.job_id)
pulumi.export("batchId", export.batch_id)
pulumi.export("status", export.status)
