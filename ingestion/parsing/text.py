"""Decoding text of any common encoding, without ever failing on a byte."""

from __future__ import annotations

import codecs
import re

import regex

from docent.ingestion.parsing import fixed_width

_BOMS = (
    (codecs.BOM_UTF32_LE, "utf-32-le"),
    (codecs.BOM_UTF32_BE, "utf-32-be"),
    (codecs.BOM_UTF8, "utf-8"),
    (codecs.BOM_UTF16_LE, "utf-16-le"),
    (codecs.BOM_UTF16_BE, "utf-16-be"),
)
_CONTROL = set(range(0, 32)) - {9, 10, 12, 13, 27}


def detect_encoding(data: bytes) -> tuple[str, int]:
    """The encoding of `data` and the length of its byte-order mark."""
    for bom, encoding in _BOMS:
        if data.startswith(bom):
            return encoding, len(bom)
    sample = data[:65536]
    if sample:
        even_nul = sample[0::2].count(0) / max(1, len(sample[0::2]))
        odd_nul = sample[1::2].count(0) / max(1, len(sample[1::2]))
        if (
            sample[0::4].count(0) == 0
            and sample[1::4].count(0) > len(sample) // 5
            and (sample[2::4].count(0) > len(sample) // 5)
        ):
            return "utf-32-le", 0
        if odd_nul > 0.3 and even_nul < 0.05:
            return "utf-16-le", 0
        if even_nul > 0.3 and odd_nul < 0.05:
            return "utf-16-be", 0
    try:
        sample.decode("utf-8")
        return "utf-8", 0
    except UnicodeDecodeError as exc:
        # A multi-byte character cut by the sample's end is still UTF-8.
        if exc.start >= len(sample) - 3 and len(sample) == 65536:
            return "utf-8", 0
    from charset_normalizer import from_bytes

    matches = from_bytes(sample)
    best = matches.best()
    if best is None or not best.encoding:
        return "cp1252", 0
    # Single-byte Latin code pages often decode the same bytes equally well; Windows-1252
    # is by far the most common of them, so it wins ties (ï, not ď, in "naïve").
    for match in matches:
        if match.chaos <= best.chaos + 0.01 and "cp1252" in match.could_be_from_charset:
            return "cp1252", 0
    return best.encoding, 0


def decode_text(data: bytes) -> str:
    """`data` as text: BOM or heuristics pick the encoding; undecodable bytes are replaced."""
    encoding, skip = detect_encoding(data)
    text = data[skip:].decode(encoding, errors="replace")
    return text.replace("\r\n", "\n").replace("\r", "\n").replace("\x00", "")


def looks_like_text(head: bytes) -> bool:
    """Whether the first bytes of a file look like text in some encoding."""
    if any(head.startswith(bom) for bom, _ in _BOMS):
        return True
    encoding, _ = detect_encoding(head)
    if encoding.startswith(("utf-16", "utf-32")):
        return True
    if b"\x00" in head:
        return False
    text = head.decode(encoding, errors="replace")
    if not text:
        return False
    bad = sum(1 for ch in text if ord(ch) in _CONTROL) + text.count("\ufffd")
    return bad / len(text) < 0.02


_TERMINAL = tuple(".!?:;\"'”’)]»。！？」』）")
_LIST_ITEM = re.compile(r"^([-*•·▪–]|\d{1,3}[.)])\s")
#: Runs of characters two columns wide in a fixed-width font, by which a wrap's width is
#: measured: the blocks Unicode's East_Asian_Width calls Wide or Fullwidth (Hangul Jamo, CJK
#: symbols, kana, ideographs, Yi, Hangul syllables, full-width forms). Listed as ranges, as
#: testing each character's property is ten times slower.
_WIDE = re.compile(
    "[\u1100-\u115f\u2e80-\u303e\u3040-\ua4cf\uac00-\ud7a3\uf900-\ufaff\ufe10-\ufe19"
    "\ufe30-\ufe6f\uff00-\uff60\uffe0-\uffe6\U00020000-\U0003fffd]+"
)
_UNSPACED_SCRIPTS = r"\p{Han}\p{Hiragana}\p{Katakana}\p{Thai}\p{Lao}\p{Khmer}\p{Myanmar}"
#: Letters of scripts written without spaces between words.
UNSPACED = regex.compile(f"[{_UNSPACED_SCRIPTS}]")
#: Those, and the full-width punctuation among them: a line wrapped between two of these is
#: joined without a space.
_UNSPACED_EDGE = regex.compile(
    f"[{_UNSPACED_SCRIPTS}"
    r"\p{Block=CJK_Symbols_and_Punctuation}\p{Block=Halfwidth_and_Fullwidth_Forms}]"
)


def columns(line: str) -> int:
    """The width of `line` in a fixed-width font, in columns."""
    if line.isascii():
        return len(line)
    return len(line) + sum(map(len, _WIDE.findall(line)))


def unwrap_lines(text: str) -> str:
    """Join lines that a fixed-width wrap broke inside a paragraph.

    A line is a wrapped one when it does not end a sentence (in any script) and either
    reaches most of the text's usual line width (in columns: a Chinese character takes
    two) or is followed by a line that starts in lower case. Blank lines, list items,
    short lines (headings) and the rows of a table set in a fixed-width font (lines with
    a gap between cells: `fixed_width.gapped`) are left alone. Lines are joined by a space, or by
    nothing between two characters of scripts written without spaces (Chinese, Japanese,
    Thai...), where a space would split a word.
    """
    lines = text.split("\n")
    widths = [columns(line) for line in lines]
    lengths = sorted(width for width, line in zip(widths, lines, strict=True) if line.strip())
    if len(lengths) < 5:
        return text
    width = lengths[int(len(lengths) * 0.9)]
    if width < 40:
        return text
    # Each output line as its pieces, joined once at the end (joining a paragraph's lines
    # one at a time, and testing what was joined for a gap, cost its length squared), and
    # what the rules ask of the last: whether it holds text, ends a sentence, has a gap.
    out: list[list[str]] = []
    has_text = ends = has_gap = False
    previous_width = 0  # of out[-1], in columns
    for line, line_width in zip(lines, widths, strict=True):
        stripped = line.strip()
        if (
            has_text
            and stripped
            and not ends
            and not _LIST_ITEM.match(stripped)
            # a table's rows set in a fixed-width font are lines of their own
            and not has_gap
            and not fixed_width.gapped(line)
            and (previous_width >= 0.6 * width or stripped[0].islower())
        ):
            pieces = out[-1]
            pieces[-1] = pieces[-1].rstrip()  # only a line's first piece has white space after it
            joint = glue(pieces[-1], stripped)
            pieces += [joint, stripped]
            previous_width += len(joint) + line_width  # white space stripped or not: a heuristic
            # One space or none at the joint: no gap is made there.
            ends = stripped.endswith(_TERMINAL)
        else:
            out.append([line])
            previous_width = line_width
            has_text = bool(stripped)
            ends = line.rstrip().endswith(_TERMINAL)
            has_gap = fixed_width.gapped(line)
    return "\n".join("".join(pieces) for pieces in out)


def glue(head: str, tail: str) -> str:
    """What joins two pieces of a line broken between them: nothing between two characters
    of scripts written without spaces (Chinese, Japanese, Thai...), where a space would
    split a word; else a space. Either piece may be empty."""
    if head and tail and _UNSPACED_EDGE.match(head[-1]) and _UNSPACED_EDGE.match(tail[0]):
        return ""
    return " "
