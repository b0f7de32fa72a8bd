"""Export job statuses (a module of its own so the providers load without pydantic)."""

STATUS_NEW = "NEW"
STATUS_PROCESSING = "PROCESSING"
STATUS_SUCCEEDED = "SUCCEEDED"
STATUS_FAILED = "FAILED"
# Statuses AEP documents. Others are kept as-is and treated as still running.
KNOWN_STATUSES = frozenset({STATUS_NEW, STATUS_PROCESSING, STATUS_SUCCEEDED, STATUS_FAILED})
TERMINAL_STATUSES = frozenset({STATUS_SUCCEEDED, STATUS_FAILED})
