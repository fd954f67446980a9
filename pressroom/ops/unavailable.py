"""A clean 503 when the database refuses, times out or drops the connection.

A request whose query fails because PostgreSQL is restarting, refuses connections, terminated the
backend or cancelled the statement at its timeout (DATABASE_STATEMENT_TIMEOUT_MS) would otherwise be a
500 with a traceback in the log. None of these is a bug in the page: the answer is 503 Service
Unavailable with Retry-After, which browsers, crawlers and load balancers understand as "try again
shortly", one warning line in the log, and never a cached copy. Django closes the broken connection when
the request ends (it checks connections that saw an error), so the next request gets a fresh one.

A GET or HEAD whose connection was lost (its backend terminated, the server gone) while it ran is run
once more on a new connection before any 503: such a request changes nothing, so running it again is
safe, and a reader should not see an error page because a connection broke under a query. A request
that may change something (POST and the rest), a statement cancelled at its timeout (the connection
still works, and running it again would double the load that made it slow) and a second loss get the
503.

The page is rendered without the request's context processors: they may query the database too.
Errors raised by other middleware (rare: a session saved at the end of an admin request) are still 500s.
"""

import logging

from django.db import InterfaceError, OperationalError, connections
from django.http import HttpResponse
from django.template import loader

log = logging.getLogger(__name__)

# A dropped connection is replaced at the next request and a restarting database is back within
# seconds; a longer wait would keep readers away after the cause is gone.
RETRY_AFTER_SECONDS = 5

# Django wraps the driver's errors in these: refused and dropped connections, and a statement cancelled
# at its timeout (psycopg's QueryCanceled is an OperationalError).
DATABASE_UNAVAILABLE = (OperationalError, InterfaceError)

# Requests that change nothing, which may be run again when their connection was lost.
SAFE_METHODS = frozenset({"GET", "HEAD"})
RETRIED = "_pressroom_database_retried"


def lost_connections():
    """This process's database connections whose link to the server is gone (psycopg marks them closed
    or broken), as against one whose statement the server cancelled, which still works."""
    lost = []
    for conn in connections.all(initialized_only=True):
        raw = conn.connection
        if raw is not None and (getattr(raw, "broken", False) or getattr(raw, "closed", False) is True):
            lost.append(conn)
    return lost


def unavailable_response():
    body = loader.get_template("503.html").render({"retry_after": RETRY_AFTER_SECONDS})
    response = HttpResponse(body, status=503)
    response["Retry-After"] = str(RETRY_AFTER_SECONDS)
    response["Cache-Control"] = "no-store"
    return response


class DatabaseUnavailableMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        return self.get_response(request)

    def process_exception(self, request, exception):
        if not isinstance(exception, DATABASE_UNAVAILABLE):
            return None
        if (
            request.method in SAFE_METHODS
            and not getattr(request, RETRIED, False)
            and (lost := lost_connections())
        ):
            setattr(request, RETRIED, True)
            for conn in lost:
                conn.close()
            log.warning(
                "database connection lost, running %s %s again on a new one", request.method, request.path
            )
            # The view and the middleware after this one, once more; a second failure comes back here
            # and is answered 503.
            return self.get_response(request)
        log.warning(
            "database unavailable, answered 503: %s %s: %s: %s",
            request.method,
            request.path,
            exception.__class__.__name__,
            str(exception).strip().splitlines()[0] if str(exception).strip() else "",
        )
        return unavailable_response()
