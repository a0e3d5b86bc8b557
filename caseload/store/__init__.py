"""The encrypted store: engine factory, keys, schema migrations, encrypted copies."""
