"""Conversion of GitHub Actions workflows into Argo workflows."""
