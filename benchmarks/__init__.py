"""Benchmarks of clvcrm's heavy paths; run each from the repository root as a module.

``python -m benchmarks.<name>``, e.g. ``.venv/bin/python -m benchmarks.clv_recalculation``
(see ``benchmarks/README.md`` and the Makefile's ``bench-*`` targets).
"""

from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]  # the repository: commands run from here
