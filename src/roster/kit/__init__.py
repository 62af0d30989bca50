"""Generic building blocks with no knowledge of any feature."""
