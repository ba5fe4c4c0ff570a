"""Stand-ins on PATH only for busybox and alpine images (Alpine's ``nc``); data, not code."""
