"""Gunicorn's settings for the web processes; gunicorn reads this file from the working directory.
README ("Production") says why each value is what it is. Any of them can be changed on the command
line (`gunicorn --timeout 60 ...`) or in GUNICORN_CMD_ARGS; the number of workers comes from --workers
or WEB_CONCURRENCY."""

wsgi_app = "pressroom.wsgi:application"

# Sync workers: every view is synchronous and bounded by the statement timeout; the TLS proxy in front
# buffers slow clients, which is the case sync workers are made for.
worker_class = "sync"

# The last resort for a request stuck outside the database (which the statement timeout bounds): the
# worker is killed and replaced after this many seconds without finishing.
timeout = 30
# On a restart or deploy, requests in flight get this long to finish.
graceful_timeout = 30
# Keep-alive to the proxy in front (sync workers close after each response anyway).
keepalive = 2

# Connections waiting for a worker. Kept short: when every worker is busy, new connections are refused
# quickly, so the proxy can try another machine or answer at once, instead of queueing work for
# clients who have given up by the time a worker takes it.
backlog = 64

# Each worker is replaced after about this many requests (the jitter keeps them from restarting
# together), which bounds the memory a long-lived Python process gathers. With the application loaded
# once before the workers are forked, a replacement costs a fork, not an import of Django.
max_requests = 10_000
max_requests_jitter = 1_000
preload_app = True
