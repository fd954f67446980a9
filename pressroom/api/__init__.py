"""The HTTP API: a public read API (exactly what the public pages show) and an editors' API behind
per-user tokens. See docs/api.md; the OpenAPI schema is built in pressroom/api/openapi.py."""
