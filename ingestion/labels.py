"""What users call their documents: file names, titles and tags, cleaned and bounded.

All three are shown to other people (group members, in the web page and in a terminal), so
they go through one cleaning (`clean_text`). Each bound is checked on the raw value before
any work that grows with it, and every step is linear in the input: a request cannot make
the server spend more than a pass over what it sent.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import PurePosixPath, PureWindowsPath

from docent.domain import clean_text  # the one cleaning rule, shared with conversation titles
from docent.errors import InvalidInput

MAX_TAGS = 20
MAX_TAG_CHARS = 64
MAX_TITLE_CHARS = 300
MAX_FILENAME_CHARS = 255
#: A raw title or tag may be this many times its limit before cleaning (white space and
#: removed characters), no more: longer is refused before it is read.
RAW_FACTOR = 8
#: The longest path a file system takes (Linux PATH_MAX): a file name's base name is at
#: the end of it, so only this tail of a longer one is read.
_MAX_PATH = 4096
#: Characters Windows and most shells treat specially in a file name.
_FILENAME_RESERVED = frozenset('<>:"/\\|?*')


def clean_filename(name: str | None) -> str:
    """The file's base name, without any path, cleaned (`clean_text`) and without the
    characters Windows reserves, at most 255 characters; "upload" when nothing is left."""
    raw = (name or "")[-_MAX_PATH:]
    base = PureWindowsPath(PurePosixPath(raw).name).name
    base = "".join(ch for ch in clean_text(base) if ch not in _FILENAME_RESERVED).strip(" .")
    return base[:MAX_FILENAME_CHARS] or "upload"


def clean_title(title: str | None, default: str) -> str:
    """The title, cleaned (`clean_text`), or `default` when none is left. Raises
    InvalidInput (field `title`) when it is longer than MAX_TITLE_CHARS."""
    raw = title or ""
    if len(raw) > MAX_TITLE_CHARS * RAW_FACTOR:
        raise _long_title()
    cleaned = clean_text(raw)
    if len(cleaned) > MAX_TITLE_CHARS:
        raise _long_title()
    return cleaned or default


def clean_tags(tags: Sequence[str] | None) -> tuple[str, ...]:
    """The tags, each cleaned (`clean_text`), without empty ones and repeats, in their
    first order. Raises InvalidInput (field `tags`) for a tag longer than MAX_TAG_CHARS,
    or for more than MAX_TAGS distinct tags: it stops at the first tag over a bound, so
    the work is one pass over the tags up to there, whatever their number."""
    cleaned: dict[str, None] = {}  # an ordered set: each lookup is O(1)
    for raw in tags or ():
        if len(raw) > MAX_TAG_CHARS * RAW_FACTOR:
            raise _long_tag()
        tag = clean_text(raw)
        if len(tag) > MAX_TAG_CHARS:
            raise _long_tag()
        if tag:
            cleaned[tag] = None
            if len(cleaned) > MAX_TAGS:
                raise InvalidInput(f"at most {MAX_TAGS} tags", field="tags")
    return tuple(cleaned)


def _long_title() -> InvalidInput:
    return InvalidInput(f"the title is longer than {MAX_TITLE_CHARS} characters", field="title")


def _long_tag() -> InvalidInput:
    return InvalidInput(f"a tag is longer than {MAX_TAG_CHARS} characters", field="tags")
