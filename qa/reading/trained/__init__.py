"""The trained extractive reader: token windows with exact offsets, span edges and forms, loading and training."""
