"""Requests to addresses that editors type (webhook URLs): never into the server's own network.

A URL is refused when its host is, or resolves to, an address that is not public: loopback, private,
link-local, unique-local, shared (CGNAT), multicast, reserved or unspecified, in IPv4, IPv6 or IPv4-mapped
form, in any spelling the resolver accepts (http://2130706433/, http://0x7f.1/, http://[::ffff:7f00:1]/).

It is checked twice. `check_url()` runs when the URL is saved, so the editor gets a form error at once.
`post()` checks again when the request is made: requests-hardened resolves the name once, checks that
address and connects to it (the Host header and TLS name stay the URL's), so a name that resolves to a
public address for the check cannot resolve to an internal one for the connection (DNS rebinding).

OUTBOUND_ALLOWED_HOSTS names hosts that may be called all the same (a receiver on the same network),
compared with the URL's host as it is written.
"""

import ipaddress
import socket
from urllib.parse import urlsplit

import requests
from django.conf import settings
from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _
from requests.adapters import HTTPAdapter
from requests_hardened import Config, HTTPSession
from requests_hardened.ip_filter import EXTRA_BLOCKED_NET_RANGES, InvalidIPAddress
from requests_hardened.ip_filter_adapter import IPFilterAdapter

# Redirects are answers, not deliveries; the timeout is replaced by the caller's.
CONFIG = Config(
    ip_filter_enable=True, ip_filter_allow_loopback_ips=False, never_redirect=True, default_timeout=(5, 10)
)


class RefusedAddress(requests.RequestException):
    """The URL's host is, or resolves to, an internal address."""


def is_internal(address):
    """Whether ADDRESS (an IP address as text) is anything but a public unicast address."""
    ip = ipaddress.ip_address(address)
    if ip.version == 6:
        # An IPv4 address written as IPv6 is judged as the IPv4 address it reaches.
        embedded = ip.ipv4_mapped or ip.sixtofour or (ip.teredo[1] if ip.teredo else None)
        if embedded is not None and is_internal(str(embedded)):
            return True
        if ip.is_site_local:
            return True
    return (
        not ip.is_global
        or ip.is_multicast
        or ip.is_reserved
        or ip.is_unspecified
        or any(ip in network for network in EXTRA_BLOCKED_NET_RANGES if network.version == ip.version)
    )


def is_allowed_host(host):
    return bool(host) and host.lower().rstrip(".") in settings.OUTBOUND_ALLOWED_HOSTS


def check_url(url):
    """Raise ValidationError when URL's host is, or resolves to, an internal address.

    A name that does not resolve now is let through: the receiver may not be set up yet, and `post()`
    checks again before every request."""
    parts = urlsplit(url)
    host = parts.hostname
    if parts.scheme not in ("http", "https") or not host:
        raise ValidationError(_("Enter an address that starts with http:// or https://."), code="invalid")
    if is_allowed_host(host):
        return
    try:
        port = parts.port or (443 if parts.scheme == "https" else 80)
        infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    except ValueError:
        raise ValidationError(_("Enter a valid port number."), code="invalid") from None
    except (OSError, UnicodeError):
        return
    for *_ignored, sockaddr in infos:
        if is_internal(sockaddr[0]):
            raise ValidationError(
                _(
                    "%(host)s is an internal address (%(address)s). Only public addresses can be called; "
                    "an administrator can allow a host by naming it in OUTBOUND_ALLOWED_HOSTS."
                ),
                code="internal_address",
                params={"host": host, "address": sockaddr[0]},
            )


class GuardedAdapter(IPFilterAdapter):
    """requests-hardened's adapter (resolve once, check, connect to that address), with our wider check of
    the address it pinned and the hosts allowed by name passed through."""

    def build_connection_pool_key_attributes(self, request, verify, cert=None):
        host = urlsplit(request.url).hostname
        if is_allowed_host(host):
            return HTTPAdapter.build_connection_pool_key_attributes(self, request, verify, cert)
        try:
            host_params, pool_kwargs = super().build_connection_pool_key_attributes(request, verify, cert)
        except InvalidIPAddress as exc:
            raise RefusedAddress(f"{host} is an internal address ({exc}): not contacted.") from None
        pinned = host_params["host"].strip("[]")
        if is_internal(pinned):
            raise RefusedAddress(f"{host} is an internal address ({pinned}): not contacted.")
        return host_params, pool_kwargs


def session():
    guarded = HTTPSession(CONFIG)
    guarded.mount("http://", GuardedAdapter(is_https_proto=False))
    guarded.mount("https://", GuardedAdapter(is_https_proto=True))
    return guarded


def post(url, **kwargs):
    """POST to URL unless it is, or resolves to, an internal address (RefusedAddress). Redirects are not
    followed; the response is streamed, so its body is read only if the caller reads it."""
    with session() as guarded:
        return guarded.post(url, stream=True, **kwargs)
