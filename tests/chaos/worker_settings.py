"""Settings of the Celery workers that the fault scenarios start and kill.

The test settings run tasks eagerly (a `.delay()` inside a worker would run inline there): these workers
queue every task on the broker, as production does, so that a killed worker or broker loses real messages.
Unacknowledged messages are checked for redelivery every second rather than every 100 seconds, so that a
visibility timeout shorter than a batch shows within a test.
"""

from tests.settings import *  # noqa: F403

CELERY_TASK_ALWAYS_EAGER = False
CELERY_BROKER_TRANSPORT_OPTIONS = {
    **CELERY_BROKER_TRANSPORT_OPTIONS,  # noqa: F405
    "unacked_restore_interval": 1,
    "unacked_restore_throttle": 1,
}
