"""What an action on a release will do and to whom, for the confirmation pages that end publishing,
scheduling and unpublishing in the admin.

The newsroom does not know who gets its releases: the apps that send them (subscriptions, press)
register a function that describes their part, counted with the same code that later chooses the
recipients. A description is rendered by its own template.
"""

from dataclasses import dataclass, field

PUBLISH = "publish"
SCHEDULE = "schedule"
UNPUBLISH = "unpublish"


@dataclass
class Part:
    # The template that renders this part of the page; it gets the part as `part`.
    template: str
    context: dict = field(default_factory=dict)


_DESCRIBERS = []


def register(describe):
    """DESCRIBE(release, action) -> a Part, or None when the action reaches none of its audience."""
    if describe not in _DESCRIBERS:
        _DESCRIBERS.append(describe)


def describe(release, action):
    return [part for describe in _DESCRIBERS if (part := describe(release, action)) is not None]
