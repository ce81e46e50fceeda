"""CLI commands for the bibliography, charts, notebooks, the report and text ingestion.

Kept apart from :mod:`srccrit.cli` so that each command sits beside the library calls it makes;
the parsing conventions (CASE, --format, --output, exit status 2) are the same.
"""

from __future__ import annotations
