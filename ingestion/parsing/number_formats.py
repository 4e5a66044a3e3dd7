"""A number as Excel shows it under its cell's number format ("0.00", "#,##0", "£#,##0.00",
"0.00 [$€-407]", "0.0%"), by ssf, SheetJS's spreadsheet format engine ported to Python.

A reader sees 68.00 in a cell formatted "0.00" that stores 68, and 1,234,567 under "#,##0":
reading the stored number alone (68, 1234567) loses what the sheet says, and a question
quoting the price as printed does not find it. General-format cells keep the caller's own
rendering (`sheets.cell_text`), and so do dates, which docent writes as ISO 8601.

Separators are the format's symbols as Excel stores them (locale-invariant in the file):
"." for decimals and "," for thousands. ssf's locale support is off (it fails on current
Babel data, and a workbook's display locale is not in the file).
"""

from __future__ import annotations

import functools
import math
import re
from typing import Any

#: Formats read as General: no number format to apply.
_GENERAL = frozenset({"", "general", "@"})
#: A date or time code outside quotes, escapes and [..] blocks (openpyxl's test, which
#: also treats "General" right).
_QUOTED = re.compile(r'"[^"]*"|\\.|\[[^\]]*\]')
_DATE_CODES = re.compile(r"[dmyhs]", re.IGNORECASE)
#: A displayed number longer than this (1e300 under "0.00" is 303 characters) is not what a
#: cell shows (Excel shows "#####" or switches to scientific notation): General instead.
MAX_DISPLAYED = 64


@functools.cache
def _engine() -> Any:
    import ssf  # imported on first use: parse workers that never read a sheet skip it

    return ssf.SSF(locale_support=False, decimal_separator=".", thousands_separator=",")


def is_date_format(number_format: str) -> bool:
    """True where the format shows a date or a time (codes d, m, y, h, s outside quotes)."""
    return bool(_DATE_CODES.search(_QUOTED.sub("", number_format.split(";")[0])))


@functools.lru_cache(maxsize=8192)
def displayed(value: int | float, number_format: str) -> str | None:
    """The text Excel shows for the number `value` under `number_format`; None for General,
    text ("@") and date formats (the caller renders those), for NaN and infinities, and for
    whatever ssf cannot render or renders past MAX_DISPLAYED characters. Colour and
    condition blocks ("[Red]", "[>=100]") pick the section as Excel does; padding ("_)")
    and fill ("* ") characters are dropped at both ends. ~0.25 ms a call (hence the cache:
    a price list repeats its values)."""
    if number_format.strip().casefold() in _GENERAL or is_date_format(number_format):
        return None
    if isinstance(value, float) and not math.isfinite(value):
        return None
    try:
        text = str(_engine().format(number_format, value)).strip()
    except Exception:
        return None
    if not text or len(text) > MAX_DISPLAYED:
        return None
    return " ".join(text.split())
