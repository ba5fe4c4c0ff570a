"""Commands: resolve what the user asked for (config, paths), call services, return results.

One module per command. Commands never print and never exit; the CLI renders what they return.
"""
