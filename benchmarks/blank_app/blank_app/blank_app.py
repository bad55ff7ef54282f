"""One page and a tiny state, with an on_load: what every Reflex app has at least."""

import reflex as rx


class BlankState(rx.State):
    count: int = 0
    loaded: bool = False

    @rx.event
    def load(self) -> None:
        self.loaded = True

    @rx.event
    def increment(self) -> None:
        self.count += 1


def index() -> rx.Component:
    return rx.vstack(rx.heading(BlankState.count), rx.button("+1", on_click=BlankState.increment))


app = rx.App()
app.add_page(index, route="/", on_load=BlankState.load)
