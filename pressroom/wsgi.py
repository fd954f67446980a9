import os

from django.core.wsgi import get_wsgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "pressroom.settings")
# Web requests run under DATABASE_STATEMENT_TIMEOUT_MS; workers and commands, which do not start here, do not.
os.environ.setdefault("PRESSROOM_PROCESS", "web")
application = get_wsgi_application()
