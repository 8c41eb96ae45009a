"""Writing a file the running service reads: all of the new text or none of it."""

from __future__ import annotations

import os
import uuid
from pathlib import Path


def replace_file(path: Path, text: str) -> None:
    """Write beside the target and rename onto it, so a drafting worker reading at the
    same moment sees the old text or the new one, never half of it; the rename also
    gives the file a new inode, which is how the drafter notices the change."""
    path.parent.mkdir(parents=True, exist_ok=True)
    temporary = path.with_name(f".{path.name}.{uuid.uuid4().hex}.tmp")
    try:
        temporary.write_text(text, encoding="utf-8")
        os.replace(temporary, path)
    finally:
        temporary.unlink(missing_ok=True)
