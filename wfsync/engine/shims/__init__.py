"""Host stand-ins for tools that well-known example images carry (``cowsay``); data, not code."""
