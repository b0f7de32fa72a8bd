"""The package version and where its releases live (a module of its own, so that the AEP layer
can name itself without importing the package root).

``__version__`` is the one version: the package's (``pyproject.toml`` reads it), the plugin's
(``GetPluginInfo``, the release archives' names, their ``requirements.txt`` pin), the schema's,
and so every SDK's (generated with ``respectSchemaVersion``). ``CHANGELOG.md`` says what each
version changed; a release is tagged ``v<version>``.
"""

__version__ = "0.1.0"

# The repository the schema names (its `repository` and `homepage`) and the Go SDK's module path
# points at.
REPOSITORY = "https://github.com/aep-pulumi/aep-pulumi"
# Where the engine downloads the plugin from: the schema's `pluginDownloadURL`, which every SDK
# carries. The GitHub releases of REPOSITORY, as Pulumi's `github://` scheme names them (the engine
# asks for the release `v<version>` and its asset
# `pulumi-resource-aep-v<version>-<os>-<arch>.tar.gz`). Overridden for a build by the
# environment variable below (`make plugin sdks PLUGIN_SERVER=...` sets it): docs/install.md.
PLUGIN_SERVER = "github://api.github.com/aep-pulumi/aep-pulumi"
PLUGIN_SERVER_VARIABLE = "AEP_PULUMI_PLUGIN_SERVER"
