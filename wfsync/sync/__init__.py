"""Sync: normalise desired and live state, plan, diff and apply (issue 3)."""
