"""Per-address limits count IPv4 addresses one by one and IPv6 by /64."""

from __future__ import annotations

import pytest

from admin_app.security.client_ip import limit_group


@pytest.mark.parametrize(
    ("address", "group"),
    [
        ("198.51.100.7", "198.51.100.7"),
        ("2001:db8:1:2::1", "2001:db8:1:2::/64"),
        ("2001:db8:1:2:ffff:ffff:ffff:ffff", "2001:db8:1:2::/64"),
        ("::ffff:198.51.100.7", "198.51.100.7"),
        ("not an address", "not an address"),
    ],
)
def test_groups(address: str, group: str) -> None:
    assert limit_group(address) == group
