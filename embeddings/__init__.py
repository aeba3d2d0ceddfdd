"""Embedding models: the embedded ones installed offline, loaded, encoding normalised vectors (no questions)."""
