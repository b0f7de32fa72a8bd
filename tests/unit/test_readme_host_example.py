"""The README's provider-host example, kept here so the README stays true."""

from aep_pulumi.testing import provider_host_for, served_sandbox


def test_readme_provider_host_example() -> None:
    with served_sandbox() as sandbox, provider_host_for(sandbox) as host:
        inputs, failures = host.check("dataset", "target", {"name": "Profile Data Export"})
        created = host.create("dataset", "target", inputs)
        assert failures == [] and created.outs["dataset_id"] == created.id
        assert list(sandbox.state()["datasets"]) == [created.id]
