"""MongoDB checks: spec section, real pymongo error paths, judges on documented replies (no MongoDB server here)."""
