"""The campaign trigger step, as the pipeline runs it."""

from campaigns.triggers.step import TriggerOutcome, triggers_run


def campaign_triggers_run() -> TriggerOutcome:
    """Turn pending segment transitions, tier upgrades, downgrade warnings, custom-segment
    entries and due broadcasts into assignments and pending messages (``campaigns.triggers``).

    Safe to run twice or at once: each source is claimed under a row lock, and the unique
    constraints skip what is already there.
    """
    return triggers_run()
