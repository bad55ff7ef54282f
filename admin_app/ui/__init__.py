"""The Reflex face: routes, layout, states and pages."""
