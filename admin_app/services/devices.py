"""A browser or device as people name it ("Firefox on Linux"), from its User-Agent."""

from __future__ import annotations


def describe_device(user_agent: str) -> str:
    ua = user_agent.lower()
    browser = next(
        (
            name
            for key, name in [
                ("edg/", "Edge"),
                ("firefox/", "Firefox"),
                ("chrome/", "Chrome"),
                ("safari/", "Safari"),
                ("curl/", "curl"),
                ("python", "Python"),
            ]
            if key in ua
        ),
        "Browser",
    )
    system = next(
        (
            name
            for key, name in [
                ("windows", "Windows"),
                ("android", "Android"),
                ("iphone", "iPhone"),
                ("mac os", "macOS"),
                ("linux", "Linux"),
            ]
            if key in ua
        ),
        "",
    )
    return f"{browser} on {system}" if system else browser
