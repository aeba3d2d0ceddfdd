"""Hybrid retrieval (FAISS + BM25 fused by reciprocal rank) and the cosine scale dense scores are read on."""
