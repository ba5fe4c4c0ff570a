"""The command-line adapter: Typer wiring, output formats and the one error boundary."""
