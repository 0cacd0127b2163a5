"""The campaign trigger step, as the pipeline runs it."""

from campaigns.triggers.step import TriggerOutcome, triggers_run

# The pipeline's task that runs this step: queued by name (campaigns may not import the
# pipeline, which composes the apps).
CAMPAIGN_TRIGGERS_TASK = "clvcrm.pipeline.tasks.campaign_triggers"


def campaign_triggers_run() -> TriggerOutcome:
    """Turn pending segment transitions, tier upgrades, downgrade warnings, custom-segment
    entries and due broadcasts into assignments and pending messages (``campaigns.triggers``).

    Safe to run twice or at once: each source is claimed under a row lock, and the unique
    constraints skip what is already there.
    """
    return triggers_run()
