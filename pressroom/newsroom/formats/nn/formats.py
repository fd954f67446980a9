# Nynorsk writes dates and times as bokmål does: "29. november 2026 kl. 09.00".
from pressroom.newsroom.formats.nb.formats import *  # noqa: F403
