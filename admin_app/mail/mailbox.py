"""The development mailbox: what the console sender kept, newest first."""

from __future__ import annotations

import dataclasses
import json
from pathlib import Path

MAX_SHOWN = 50


@dataclasses.dataclass(frozen=True)
class StoredMail:
    to: str
    subject: str
    text: str
    sent_at: float


def read(mailbox_dir: Path, *, limit: int = MAX_SHOWN) -> list[StoredMail]:
    if not mailbox_dir.is_dir():
        return []
    mails = []
    for path in sorted(mailbox_dir.glob("*.json"), reverse=True)[:limit]:
        try:
            mails.append(StoredMail(**json.loads(path.read_text())))
        except (OSError, ValueError, TypeError):
            continue
    return mails
