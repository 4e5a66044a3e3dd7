"""Text as a person reads it: every parser's text goes through `normalize` before it is
chunked and indexed, so that the indexed and the displayed text read as the page does.

Unicode has characters that look like other text but do not match it in a search (the
ligature "ﬁ" is not "fi"), and characters that are not seen at all but split or glue words
(a zero-width space inside "Data​Loader"). NFKC, the compatibility normalization, would fold
the first kind but damages other text: "x²" would become "x2", "1½" "11⁄2", the Chinese
comma "，" an ASCII one. So each class is decided on its own (the tests hold one case of
each):

=====================================  =========================================  =======
class                                  examples                                   becomes
=====================================  =========================================  =======
ligatures and digraphs (compatibility) ﬁ ﬂ ﬃ ﬀ ﬄ ﬅ ﬆ, Armenian ﬓ, ĳ, ǆ            letters
styled letters (decomposition <font>)  𝐁𝐨𝐥𝐝 (mathematical alphanumerics), ℝ, ﬠ    letters
Arabic presentation forms              ﺗﻘﺮﻳﺮ, ﻻ, ﷲ                                letters
full-width Latin letters and digits    ＡＢＣ１２３                                 ASCII
half-width katakana                    ｶﾞｷﾞ                                       カ゚ キ゚ (full width)
space variants                         no-break, narrow no-break, en, em, thin,   space
                                       figure, ideographic spaces
line and paragraph separators, VT, FF  U+2028, U+2029, U+000B, U+000C, U+0085     line break
invisible format characters            soft hyphen, word joiner, BOM / zero-      dropped
                                       width no-break space, invisible operators,
                                       object replacement character
zero-width space                       inside Thai, Lao, Khmer, Myanmar words it  kept there,
                                       marks word boundaries                      else dropped
zero-width (non-)joiner                Persian, Arabic, Indic scripts; emoji      kept there,
                                       sequences (👩‍💻)                            else dropped
bidirectional controls                 LRM, RLM, ALM, embeddings, isolates        kept in text
                                                                                  with RTL
                                                                                  letters
tag characters                         emoji flag sequences (🏴 + tags)           kept there,
                                                                                  else dropped
C1 controls                            U+0080-U+009F (cp1252 bytes decoded as     cp1252's
                                       Latin-1: "don\\x92t")                       characters
other control characters               NUL, ESC, ...                              dropped
kept as they are                       superscripts ², fractions ½, ™, №, …, µ,
                                       circled ①, Roman Ⅳ, full-width punctuation
                                       ，：（）, ſ, variation selectors
=====================================  =========================================  =======

Then the text is put in NFC (canonical composition: "e" + U+0301 is "é"), which changes no
character a reader could tell apart. Tag characters and runs of variation selectors are
also a known way to hide instructions from a reader in text a model reads ("ASCII
smuggling"): dropping them keeps what is indexed to what a person sees.
"""

from __future__ import annotations

import re
import unicodedata
from functools import cache

import regex

#: Scripts whose words are written without spaces, where U+200B marks word boundaries.
_NO_SPACE_SCRIPTS = ("Thai", "Lao", "Khmer", "Myanmar", "Tai_Tham", "New_Tai_Lue", "Tai_Viet",
                     "Balinese", "Javanese")  # fmt: skip
#: Scripts where U+200C ZWNJ and U+200D ZWJ change how letters join (Persian "می‌خواهم",
#: the half forms of Devanagari).
_JOINING_SCRIPTS = ("Arabic", "Syriac", "Nko", "Mongolian", "Devanagari", "Bengali", "Gurmukhi",
                    "Gujarati", "Oriya", "Tamil", "Telugu", "Kannada", "Malayalam", "Sinhala",
                    "Khmer", "Myanmar", "Tibetan")  # fmt: skip


def _scripts(names: tuple[str, ...]) -> str:
    return "".join(f"\\p{{Script_Extensions={name}}}" for name in names)


#: U+200B outside the scripts that need it.
_ZWSP = regex.compile(
    f"(?<![{_scripts(_NO_SPACE_SCRIPTS)}])\u200b(?![{_scripts(_NO_SPACE_SCRIPTS)}])"
)
#: ZWNJ and ZWJ neither in a joining script nor in an emoji sequence.
_EMOJI_BEFORE = r"\p{Extended_Pictographic}\p{Emoji_Modifier}\ufe0f"
_JOINERS = regex.compile(
    f"(?<![{_scripts(_JOINING_SCRIPTS)}{_EMOJI_BEFORE}])[\u200c\u200d]"
    f"(?![{_scripts(_JOINING_SCRIPTS)}\\p{{Extended_Pictographic}}])"
)
_RTL = regex.compile(r"[\p{Bidi_Class=R}\p{Bidi_Class=AL}]")
_BIDI_CONTROLS = re.compile("[\u200e\u200f\u061c\u202a-\u202e\u2066-\u2069]")
#: Tag characters, kept only in an emoji tag sequence: 🏴, tags, CANCEL TAG.
_TAGS = re.compile("(\U0001f3f4[\U000e0020-\U000e007e]+\U000e007f)|[\U000e0001-\U000e007f]")
_SELECTORS = "\ufe00-\ufe0f\U000e0100-\U000e01ef"
_SELECTOR_RUN = re.compile(f"([{_SELECTORS}])[{_SELECTORS}]+")
_ASCII_CONTROLS = re.compile("[\x00-\x08\x0b-\x1f\x7f]")
_CONTEXTUAL = re.compile(
    f"[\u200b-\u200f\u061c\u202a-\u202e\u2066-\u2069{_SELECTORS}\U000e0001-\U000e007f]"
)
#: The blocks where `_replacements` looks for characters to fold: letterlike symbols, ligatures and
#: presentation forms, half- and full-width forms, mathematical and Arabic mathematical
#: alphanumerics.
_FOLDED_BLOCKS = (range(0x2100, 0x2150), range(0xFB00, 0xFF00), range(0xFF00, 0xFFF0),
                  range(0x1D400, 0x1D800), range(0x1EE00, 0x1EF00))  # fmt: skip


def normalize(text: str) -> str:
    """`text` as a person reads it, by the classes of the table above. Idempotent."""
    if "\r" in text:
        text = text.replace("\r\n", "\n")
    if text.isascii():
        # Only control characters to look for; most often none, and the text is not copied.
        return _ASCII_CONTROLS.sub(_replace, text) if _ASCII_CONTROLS.search(text) else text
    table = _table()
    for char in table.keys() & set(text):
        text = text.replace(char, table[char])
    if _CONTEXTUAL.search(text):
        text = _contextual(text)
    if not unicodedata.is_normalized("NFC", text):
        text = unicodedata.normalize("NFC", text)
    return text


def _contextual(text: str) -> str:
    """The format characters that are kept or dropped by what stands around them."""
    if "\u200b" in text:
        text = _ZWSP.sub("", text)
    if "\u200c" in text or "\u200d" in text:
        text = _JOINERS.sub("", text)
    if not _RTL.search(text):
        text = _BIDI_CONTROLS.sub("", text)
    text = _TAGS.sub(lambda m: m.group(1) or "", text)
    return _SELECTOR_RUN.sub(r"\1", text)


def _replace(match: re.Match[str]) -> str:
    return _table()[match.group()]


@cache
def _table() -> dict[str, str]:
    """The characters replaced (by "" when dropped) wherever they stand."""
    return {chr(code): text for code, text in _replacements().items()}


def _replacements() -> dict[int, str]:
    table: dict[int, str] = {}
    compatible = [
        *range(0xFB00, 0xFB07),  # Latin ligatures ﬀ ﬁ ﬂ ﬃ ﬄ ﬅ ﬆ
        *range(0xFB13, 0xFB18),  # Armenian ligatures
        0x0132, 0x0133,  # Ĳ ĳ
        *range(0x01C4, 0x01CD), *range(0x01F1, 0x01F4),  # Ǆ ǅ ǆ Ǉ ǈ ǉ Ǌ ǋ ǌ Ǳ ǲ ǳ
        *range(0xFF61, 0xFFA0),  # half-width katakana and its punctuation
    ]  # fmt: skip
    for code in compatible:
        table[code] = unicodedata.normalize("NFKC", chr(code))
    for code in (code for block in _FOLDED_BLOCKS for code in block):
        char = chr(code)
        tag = unicodedata.decomposition(char).partition(" ")[0]
        folds = tag in ("<font>", "<initial>", "<medial>", "<final>", "<isolated>") or (
            tag == "<wide>" and unicodedata.category(char)[0] in "LN"
        )
        if folds:
            table[code] = unicodedata.normalize("NFKC", char)
    for code in (0x00A0, *range(0x2000, 0x200B), 0x202F, 0x205F, 0x3000):
        table[code] = " "
    for code in (0x000B, 0x000C, 0x0085, 0x2028, 0x2029, 0x000D):
        table[code] = "\n"
    dropped = [0x00AD, 0x2060, 0xFEFF, *range(0x2061, 0x2065), *range(0x206A, 0x2070),
               0xFFF9, 0xFFFA, 0xFFFB, 0xFFFC]  # fmt: skip
    # C0 controls but tab and line feed (VT, FF and CR are line breaks, above).
    dropped += [code for code in (*range(0x20), 0x7F) if code not in (0x09, 0x0A, *table)]
    for code in dropped:
        table[code] = ""
    for code in range(0x80, 0xA0):
        table.setdefault(code, _cp1252(code))
    return table


def _cp1252(code: int) -> str:
    """A C1 control as the Windows-1252 character of the same byte (nothing where that byte
    is undefined): text decoded as Latin-1 that was written in Windows-1252 ("don\\x92t" is
    "don’t")."""
    try:
        return bytes([code]).decode("cp1252")
    except UnicodeDecodeError:
        return ""
