"""The `aep` Pulumi resource plugin, started as Pulumi's Python language host starts a source
plugin: ``<virtualenv>/bin/python <this folder> <engine address>``, in the virtualenv it made from
this folder's requirements.txt. It serves the provider (``pulumi-resource-aep``) and prints its
port, as every plugin does."""

import os
import sys

# The plugin download server this build's schema names; None: the package's own
# (aep_pulumi/version.py). `make plugin PLUGIN_SERVER=<url>` writes a build's server here.
PLUGIN_SERVER = None

if PLUGIN_SERVER:
    os.environ["AEP_PULUMI_PLUGIN_SERVER"] = PLUGIN_SERVER

from aep_pulumi.native.server import main  # noqa: E402 (after the server is set)

main(sys.argv[1:])
