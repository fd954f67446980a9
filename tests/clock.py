"""A clock a test moves instead of waiting: it stands in for the `time` module of a throttle."""

import time


class Clock:
    def __init__(self):
        self.now = time.time()

    def time(self):
        return self.now
