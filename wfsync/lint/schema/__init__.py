"""Structural schema of Argo's kinds: generated from Hera's models, checked by a fast walker."""
