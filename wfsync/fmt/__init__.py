"""Canonical formatting of Argo YAML (``wfsync fmt``): indentation and key order, comments kept."""
