"""The README's "Where things are" table matches the folders, both ways."""

import re
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
# Folders a newcomer does not look for code in.
NOT_LISTED = {
    "customers/migrations",
    "customers/management",
    "customers/templates",
    "customers/templatetags",
    "campaigns/locale",
    "campaigns/management",
    "campaigns/migrations",
    "campaigns/templates",
    "clvcrm/core/management",
    "clvcrm/core/templatetags",
    "clvcrm/pipeline/management",
    "docs/examples",
    "feedback/locale",
    "feedback/management",
    "feedback/migrations",
    "feedback/templates",
    "static/css",
    "static/js",
    "templates/admin",
    "templates/partials",
    "templates/registration",
}


def _table_folders() -> set[str]:
    readme = (ROOT / "README.md").read_text()
    section = readme.split("## Where things are", 1)[1].split("\n## ", 1)[0]
    cells = re.findall(r"^\| ([^|]+) \|", section, flags=re.MULTILINE)
    return {name.rstrip("/") for cell in cells for name in re.findall(r"`([^`]+)/`", cell)}


def _folders() -> set[str]:
    """Top-level folders, and the packages inside the project package and the apps."""
    ignored = {line.strip().rstrip("/") for line in (ROOT / ".gitignore").read_text().splitlines()}
    tracked = {
        p.relative_to(ROOT).as_posix()
        for p in ROOT.iterdir()
        if p.is_dir() and not p.name.startswith(".") and p.name not in ignored | {"__pycache__"}
    }
    nested = {
        p.parent.relative_to(ROOT).as_posix()
        for top in ("clvcrm", "customers", "campaigns", "feedback", "static", "templates", "docs")
        for p in (ROOT / top).glob("*/*")
        if "__pycache__" not in p.parts
    }
    return (tracked | nested) - NOT_LISTED


def test_every_folder_in_the_table_exists():
    assert {folder for folder in _table_folders() if not (ROOT / folder).is_dir()} == set()


def test_every_folder_is_in_the_table():
    listed = _table_folders()
    covered = {f for f in _folders() if f in listed or any(f.startswith(p + "/") for p in listed)}
    apps = {"customers", "campaigns", "clvcrm", "static", "templates"}
    assert _folders() - covered - apps == set()
