"""``python -m wfsync``."""

from wfsync.cli.app import main

main()
