"""PR review of template changes: two library snapshots matched, classified, with their callers."""
