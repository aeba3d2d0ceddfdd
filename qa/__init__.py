"""ragqa: find the passages of a document collection that answer a question."""
