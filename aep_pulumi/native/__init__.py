"""The native front door: the ``aep`` Pulumi plugin (``pulumi-resource-aep``) over the same core
as the dynamic providers, for programs in every Pulumi language (resources
``aep:index:Dataset``, ``aep:index:ProfileExportJob``, ``aep:index:ProfileExportWait``;
functions ``aep:index:getMergePolicies`` and ``aep:index:getDataset``)."""
