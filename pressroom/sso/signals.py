"""Signals of the single sign-on, for the audit log to connect to."""

from django.dispatch import Signal

# Sent after a person logged in through the organisation's provider, with `request`, `user`, `claims`
# (the ID token's and userinfo's claims) and `groups` (the names of the roles the claims gave).
staff_logged_in_with_sso = Signal()
