"""Benchmarks of clvcrm's heavy paths; run each from the repository root as a module.

``python -m benchmarks.<name>``, e.g. ``.venv/bin/python -m benchmarks.clv_recalculation``
(see ``benchmarks/README.md`` and the Makefile's ``bench-*`` targets).
"""

import os
from pathlib import Path

# The benchmarks run the app with its embedded settings (DEBUG off, their own PostgreSQL
# database by DATABASE_URL), in this process and in the commands they start. Chosen here,
# before anything imports clvcrm, whose Celery module would otherwise default the process
# to the production settings, which need a SECRET_KEY a benchmark has no business holding.
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "clvcrm.settings.local")

ROOT = Path(__file__).resolve().parents[1]  # the repository: commands run from here
