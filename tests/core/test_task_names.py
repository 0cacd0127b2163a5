"""A task queued by name from a process that never imported its module (a web worker)."""

from tests.core.test_settings import run_python

LOOK_UP = """
import django
django.setup()
from celery import current_app
from clvcrm.core.tasks import task_named
name = "feedback.tasks.promoter_follow_ups_enrol"
print("registered before:", name in current_app.tasks)
print("found:", task_named(name).name)
"""


def test_a_task_of_a_module_nobody_imported_yet_is_found_by_name():
    name = "feedback.tasks.promoter_follow_ups_enrol"
    result = run_python("-c", LOOK_UP, env={"DJANGO_SETTINGS_MODULE": "clvcrm.settings.local"})
    assert result.returncode == 0, result.stderr
    # As a fresh web process starts: the module is not imported, yet the name is found.
    assert result.stdout.splitlines() == ["registered before: False", f"found: {name}"]
