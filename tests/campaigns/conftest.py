import pytest


@pytest.fixture(autouse=True)
def _database(db) -> None:
    """Every campaign content test uses the database (segments come from migrations)."""
