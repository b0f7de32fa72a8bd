"""The README's "Testing your own programs" example, kept here so the README stays true."""

from aep_pulumi.providers import DatasetProvider, ProfileExportJobProvider


def test_my_export_settings(aep_sandbox_inprocess):
    aep_sandbox_inprocess.use()
    ds = DatasetProvider().create({"name": "t"})
    job = ProfileExportJobProvider().create({"dataset_id": ds.id, "fields": ["identities.id"]})
    assert job.outs["status"] == "SUCCEEDED"
