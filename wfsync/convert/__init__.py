"""Converters that turn existing CI pipelines (GitHub Actions, Makefiles) into Argo workflows."""
