"""Refusing webhook targets inside the network Roster runs in (SSRF).

A URL is checked when it is registered and again at every delivery, after DNS resolution:
the connection goes to an address this guard has approved, so a name that re-resolves to
an internal address between the two checks (DNS rebinding) is refused too.
"""

from __future__ import annotations

import asyncio
import ipaddress
import socket
from urllib.parse import urlsplit

from aiohttp.abc import AbstractResolver, ResolveResult
from aiohttp.resolver import DefaultResolver

# Cloud metadata services, named even though the ranges below already cover most of them.
_METADATA = {
    ipaddress.ip_address("169.254.169.254"),
    ipaddress.ip_address("fd00:ec2::254"),
    ipaddress.ip_address("100.100.100.200"),
}


class ForbiddenTarget(ValueError):
    pass


def forbidden(address: str) -> bool:
    ip = ipaddress.ip_address(address.split("%", 1)[0])
    if isinstance(ip, ipaddress.IPv6Address) and ip.ipv4_mapped:
        ip = ip.ipv4_mapped
    return (
        ip in _METADATA
        or ip.is_loopback
        or ip.is_private
        or ip.is_link_local
        or ip.is_multicast
        or ip.is_reserved
        or ip.is_unspecified
        or ip in ipaddress.ip_network("100.64.0.0/10")
    )


async def check_url(url: str, *, allow_private: bool) -> str:
    """The URL, trimmed, if it may receive webhooks; ``ForbiddenTarget`` otherwise."""
    url = url.strip()
    parts = urlsplit(url)
    if parts.scheme not in ("https", "http") or not parts.hostname:
        raise ForbiddenTarget("must be an http or https URL with a host")
    if parts.username or parts.password:
        raise ForbiddenTarget("must not carry credentials")
    if len(url) > 2048:
        raise ForbiddenTarget("must be at most 2048 characters")
    if allow_private:
        return url
    host = parts.hostname
    try:
        infos = await asyncio.get_running_loop().getaddrinfo(host, None)
        addresses = {info[4][0] for info in infos}
    except (socket.gaierror, UnicodeError):
        raise ForbiddenTarget(f"host {host!r} does not resolve") from None
    if any(forbidden(str(a)) for a in addresses):
        raise ForbiddenTarget("resolves to a loopback, private, link-local or metadata address")
    return url


def literal_forbidden(url: str) -> bool:
    """True when the URL's host is an IP address the guard forbids. Such a URL never reaches
    the resolver (there is nothing to resolve), so delivery checks it here."""
    host = urlsplit(url).hostname or ""
    try:
        return forbidden(host)
    except ValueError:
        return False  # a name, not an address: the resolver checks what it resolves to


class GuardedResolver(AbstractResolver):
    """Resolves as usual, then refuses any address the guard forbids."""

    def __init__(self, allow_private: bool):
        self._inner = DefaultResolver()
        self._allow_private = allow_private

    async def resolve(
        self, host: str, port: int = 0, family: socket.AddressFamily = socket.AF_INET
    ) -> list[ResolveResult]:
        results = await self._inner.resolve(host, port, family)
        if not self._allow_private:
            results = [r for r in results if not forbidden(r["host"])]
            if not results:
                raise ForbiddenTarget(f"{host} resolves only to forbidden addresses")
        return results

    async def close(self) -> None:
        await self._inner.close()
