"""Reduced motion: with `prefers-reduced-motion: reduce`, nothing slides, fades or spins.

One style element on every page (the sign-in card and the signed-in frame put
it there). Durations become a hundredth of a millisecond rather than zero, so
the `animationend` and `transitionend` events that Radix waits for (to unmount
a closed dialog) still arrive.
"""

from __future__ import annotations

import reflex as rx

REDUCED_MOTION_CSS = """
@media (prefers-reduced-motion: reduce) {
  *, *::before, *::after {
    animation-duration: 0.01ms !important;
    animation-delay: 0s !important;
    animation-iteration-count: 1 !important;
    transition-duration: 0.01ms !important;
    transition-delay: 0s !important;
    scroll-behavior: auto !important;
  }
}
"""


def reduced_motion() -> rx.Component:
    return rx.el.style(REDUCED_MOTION_CSS)
