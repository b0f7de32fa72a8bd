"""Export job statuses (a module of its own, so that check and diff load without pydantic)."""

STATUS_NEW = "NEW"
STATUS_PROCESSING = "PROCESSING"
STATUS_SUCCEEDED = "SUCCEEDED"
STATUS_FAILED = "FAILED"
# Statuses AEP documents. Others are kept as-is and treated as still running.
KNOWN_STATUSES = frozenset({STATUS_NEW, STATUS_PROCESSING, STATUS_SUCCEEDED, STATUS_FAILED})
TERMINAL_STATUSES = frozenset({STATUS_SUCCEEDED, STATUS_FAILED})
# Catalog batch statuses: the export's data is there / the batch will never hold it.
BATCH_DONE = frozenset({"success", "active"})
BATCH_GONE = frozenset({"failed", "aborted", "abandoned", "inactive", "deleted"})
