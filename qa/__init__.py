"""ragqa's library: ingest, store, retrieval, reading and evaluation behind one `Pipeline` (never imports Flask)."""
