"""What each resource does, over plain dicts and the AEP layer (never imports pulumi).

Input checks, diff rules, create with reconciliation, read judgement, update, delete, the
waiter and the files output. A :class:`~.context.Context` carries what one provider process
shares: settings, the client, the clock, the log sink and the registries. Each front door
(``aep_pulumi.providers`` for dynamic providers, ``aep_pulumi.native`` for the ``aep`` plugin)
converts its protocol's values to plain data, calls these functions, and wraps the results.
"""
