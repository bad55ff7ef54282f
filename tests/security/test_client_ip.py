"""The client address: X-Forwarded-For only from trusted proxies."""

from __future__ import annotations

import ipaddress

from admin_app.security.client_ip import client_ip

PROXIES = (ipaddress.ip_network("10.0.0.0/8"), ipaddress.ip_network("fd00::/8"))


def test_without_trusted_proxies_the_header_is_ignored() -> None:
    assert client_ip("203.0.113.5", "198.51.100.9", ()) == "203.0.113.5"


def test_an_untrusted_peer_cannot_claim_an_address() -> None:
    assert client_ip("203.0.113.5", "198.51.100.9", PROXIES) == "203.0.113.5"
    assert client_ip("11.0.0.1", "198.51.100.9, 10.0.0.7", PROXIES) == "11.0.0.1"


def test_a_trusted_peer_without_the_header_is_the_client() -> None:
    assert client_ip("10.0.0.2", None, PROXIES) == "10.0.0.2"
    assert client_ip("10.0.0.2", "", PROXIES) == "10.0.0.2"


def test_a_trusted_peer_passes_on_the_forwarded_address() -> None:
    assert client_ip("10.0.0.2", "198.51.100.9", PROXIES) == "198.51.100.9"


def test_the_rightmost_untrusted_hop_wins_over_a_spoofed_left() -> None:
    # The client wrote "6.6.6.6"; our proxies appended what they saw.
    forwarded = "6.6.6.6, 198.51.100.9, 10.1.2.3"
    assert client_ip("10.0.0.2", forwarded, PROXIES) == "198.51.100.9"


def test_ipv6_proxies_and_spaces() -> None:
    forwarded = " 2001:db8::1 ,fd00::5 "
    assert client_ip("fd00::1", forwarded, PROXIES) == "2001:db8::1"


def test_a_chain_of_only_trusted_hops_gives_the_first() -> None:
    assert client_ip("10.0.0.2", "10.0.0.5, 10.0.0.6", PROXIES) == "10.0.0.5"


def test_garbage_is_handled() -> None:
    # Garbage left of the client's real address is skipped, as any spoof is.
    assert client_ip("10.0.0.2", "not-an-ip, 198.51.100.9", PROXIES) == "198.51.100.9"
    assert client_ip("10.0.0.2", " , ,, ", PROXIES) == "10.0.0.2"
    assert client_ip("unix:/tmp/socket", "198.51.100.9", PROXIES) == "unix:/tmp/socket"
    long = client_ip("10.0.0.2", "x" * 500, PROXIES)
    assert len(long) <= 64
