"""Adopt a dataset and an export job made outside Pulumi (config: datasetId, jobId)."""

import pulumi

from aep_pulumi import Dataset, ProfileExportJob

config = pulumi.Config()
dataset = Dataset.get("adopted-dataset", config.require("datasetId"))
job = ProfileExportJob.get("adopted-job", config.require("jobId"))

pulumi.export("datasetName", dataset.name)
pulumi.export("batchId", job.batch_id)
pulumi.export("jobDataset", job.dataset_id)
