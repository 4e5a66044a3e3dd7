"""Where the commands write: what they produce to stdout, everything else to stderr; and how
they print what they did not write themselves.

Titles, passages, sections, file names and a server's messages are data, not markup and
not terminal commands: `plain` shows them as they are. Rich would read `[/]` in a passage
as a closing tag (and crash) or `[link=...]` as a link, and an ESC, C1 or bidi-override
character in a title would reach the terminal, which obeys it (clear the screen, set the
window title, reorder what follows: CVE-2021-42574's "Trojan Source").
"""

from __future__ import annotations

import sys
from typing import NoReturn

import typer
from pydantic import ValidationError
from rich.console import Console
from rich.text import Text

from docent.settings import Settings, describe

#: Columns when stdout is not a terminal (a file, a pipe, CI's log): Rich's default there
#: is 80, which folds the report's Markdown tables into several lines a row and cuts their
#: headers. Wide enough for every table docent prints; a terminal keeps its own width.
PIPED_WIDTH = 240

console = Console(width=None if sys.stdout.isatty() else PIPED_WIDTH)
err = Console(stderr=True)

#: Control characters (C0 but tab and newline, DEL, C1) and the explicit bidi formatting
#: characters (embeddings, overrides, isolates: Unicode's UAX #9, section 2), each shown as
#: its Python escape. Line breaks are `\n` whatever the text used.
_NEUTRALISED = {
    code: f"\\x{code:02x}"
    for code in (*range(0x00, 0x20), *range(0x7F, 0xA0))
    if chr(code) not in "\t\n\r"
} | {code: f"\\u{code:04x}" for code in (*range(0x202A, 0x202F), *range(0x2066, 0x206A))}


def neutralise(value: object) -> str:
    """`str(value)` with every control and bidi-override character replaced by its escape
    (`\\x1b`, `\\u202e`), and CR LF or a lone CR made a newline; nothing else changes."""
    text = str(value).replace("\r\n", "\n").replace("\r", "\n")
    return text.translate(_NEUTRALISED)


#: What `one_line` escapes besides: the line breaks and tab `neutralise` keeps in passages,
#: Unicode's line and paragraph separators, and the implicit bidi marks (LRM, RLM, ALM).
_BREAKS = {ord("\n"): "\\n", ord("\r"): "\\r", ord("\t"): "\\t"} | {
    code: f"\\u{code:04x}" for code in (0x2028, 0x2029, 0x200E, 0x200F, 0x061C)
}


def one_line(value: object) -> str:
    """`str(value)` (a file name, a path, a title) as one line: `neutralise`d, and its line
    breaks and tabs escaped too (`\\n`, `\\r`, `\\t`): a name holding
    `real.txt\\nREADY payroll.xlsx` would otherwise print as a second line of output that
    the command never wrote (the CLI's lines are one file each)."""
    return str(value).translate(_BREAKS).translate(_NEUTRALISED)


def plain(*parts: object) -> Text:
    """Text to print as it is, from values (a title, a passage, a server's message) and
    `(value, style)` pairs: `plain(("error:", "red"), " ", message)`. Each part is
    `neutralise`d and never read as Rich markup, emoji codes or highlighting."""
    text = Text()
    for part in parts:
        value, style = part if isinstance(part, tuple) and len(part) == 2 else (part, "")
        text.append(neutralise(value), style=str(style))
    return text


def fail(message: str) -> NoReturn:
    """Print `error: <message>` to stderr and exit with status 2 (docent cannot start or
    run as configured: the message says why and what to change)."""
    err.print(plain(("error:", "red"), " ", message), soft_wrap=True)  # paths stay whole
    raise typer.Exit(2)


def load_settings() -> Settings:
    """The settings from the environment and `.env`, or `error:` with each invalid variable
    and exit status 2."""
    try:
        return Settings.load()
    except ValidationError as exc:
        fail(describe(exc))
