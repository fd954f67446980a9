"""The editors' workspace in the admin: the newsroom's name in the header, navigation grouped by task and
a start page with what needs doing (pressroom/dashboard/sites.py)."""
