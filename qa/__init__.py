import os

# Offline by design: Haystack would otherwise send usage telemetry over the network on import.
os.environ.setdefault("HAYSTACK_TELEMETRY_ENABLED", "False")
