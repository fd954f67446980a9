"""The user and group admins with the permissions named in the interface language (permissions.py).
django.contrib.auth's own admin module is imported first, so that it has registered them before they are
registered again here, whichever app the admin's autodiscovery reaches first."""

from django.contrib import admin
from django.contrib.auth import admin as auth_admin  # noqa: F401 - registers User and Group

from . import permissions

permissions.register(admin.site)
