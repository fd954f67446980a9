"""Release mailings over a per-recipient ledger (built in the mailings issue)."""


def create_for_release(*, release):
    """Create the mailing of a just-published release, inside the publishing transaction."""
