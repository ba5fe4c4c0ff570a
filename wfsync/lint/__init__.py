"""Offline lint: Argo's structural schema, its validation rules and references across files."""
