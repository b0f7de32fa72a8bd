"""What each resource does, over plain dicts and the AEP layer (never imports pulumi).

Each front door (``aep_pulumi.providers`` for dynamic providers, ``aep_pulumi.native`` for the
``aep`` plugin) converts its protocol's values to plain data, calls the core, and wraps the
results. Shared machinery first, then one module or package per resource:

====================  ======================================================================
``context``           what one provider process shares: settings, client, clock, log, flags
``registries``        what the process remembers across resources (jobs held, claims...)
``values``            unknown values, the canonical form diffs compare, the diff rule
``resource``          the interface each resource implements, its result types, submit-once
``schema``            the one description of every property (and its description types)
``shapes``            each resource's inputs and state as TypedDicts (mypy checks their keys)
``validation``        checks of single values; ``inputs``: each resource's input checks
``payloads``          request bodies (pydantic) from normalised inputs
``waiter``            polling export jobs to their end; ``files``: the ``files`` output
``ran_with``          the configuration a failed operation ran with, for its message
``dataset``           the ``Dataset`` resource (and the search for a lost create's dataset)
``export_job/``       the ``ProfileExportJob`` resource: request, exactly-once submit, lost
                      answers, claims, state, endings (see its own description)
``export_wait``       the ``ProfileExportWait`` resource
``functions``         the functions (invokes): merge policies, a dataset by id or name
====================  ======================================================================

Helpers that talk to AEP take the :class:`~.context.Context` first.
"""
