"""The client's address: `X-Forwarded-For` is believed only from trusted proxies."""

from __future__ import annotations

import ipaddress
from collections.abc import Iterable, Sequence

Network = ipaddress.IPv4Network | ipaddress.IPv6Network


def _trusted(address: str, trusted: Sequence[Network]) -> bool:
    try:
        ip = ipaddress.ip_address(address.strip())
    except ValueError:
        return False
    return any(ip in network for network in trusted)


def client_ip(peer: str, forwarded_for: str | None, trusted: Sequence[Network]) -> str:
    """Walk `X-Forwarded-For` from the right while the hop is a trusted proxy."""
    if not forwarded_for or not _trusted(peer, trusted):
        return peer
    hops = [hop.strip() for hop in forwarded_for.split(",") if hop.strip()]
    for hop in reversed(hops):
        if not _trusted(hop, trusted):
            return hop[:64]
    return hops[0][:64] if hops else peer


def is_local_request(peer: str, header_names: Iterable[str]) -> bool:
    """Made on this machine and not relayed: a loopback peer and no proxy header.

    A reverse proxy on the same host connects from loopback too, so a request
    that carries a forwarding header is never taken for a local one.
    """
    try:
        loopback = ipaddress.ip_address(peer).is_loopback
    except ValueError:
        return False
    relayed = {"x-forwarded-for", "forwarded", "x-real-ip"}
    return loopback and not any(name.lower() in relayed for name in header_names)


def limit_group(address: str) -> str:
    """The unit a per-address limit counts: an IPv4 address, or an IPv6 /64.

    One IPv6 subscriber usually holds a whole /64 and can pick any address in
    it, so counting addresses one by one would give them 2**64 budgets.
    """
    try:
        ip = ipaddress.ip_address(address.strip())
    except ValueError:
        return address.strip()[:64]
    if isinstance(ip, ipaddress.IPv6Address):
        if ip.ipv4_mapped is not None:
            return str(ip.ipv4_mapped)
        return str(ipaddress.IPv6Network(f"{ip}/64", strict=False))
    return str(ip)
