"""Vectors only: load a sentence-transformers model, and store/search a FAISS index directory."""
