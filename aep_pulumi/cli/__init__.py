"""The package's command-line tools for users: ``aep-export`` (:mod:`.export`) and the export
downloader it drives (:mod:`.downloader`, also a Python API). They sit over the AEP layer (and the
core's helpers), never over a front door; the sandbox's CLI stays inside the sandbox."""
