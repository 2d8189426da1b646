"""The corpus database: its schema, the build from texts/, the store of slots and history, and the one read layer."""
