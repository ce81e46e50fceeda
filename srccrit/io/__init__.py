"""The I/O edge: case files, BibTeX, notebooks, charts on disk, atomic writes."""
