"""What a file is, decided by its content. The extension only breaks ties between text
formats that look alike (Markdown, CSV and plain text); a binary file renamed `.txt` is
still recognised as what it is."""

from __future__ import annotations

import re
import zipfile
from dataclasses import dataclass
from pathlib import Path

from docent.errors import ErrorCode, IngestionError

PDF = "application/pdf"
DOCX = "application/vnd.openxmlformats-officedocument.wordprocessingml.document"
PPTX = "application/vnd.openxmlformats-officedocument.presentationml.presentation"
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
ODT = "application/vnd.oasis.opendocument.text"
HTML = "text/html"
MARKDOWN = "text/markdown"
TEXT = "text/plain"
CSV = "text/csv"
TSV = "text/tab-separated-values"
EML = "message/rfc822"
PNG = "image/png"
JPEG = "image/jpeg"
TIFF = "image/tiff"

#: What a person would call each type, for messages.
NAMES = {
    PDF: "PDF document",
    DOCX: "Word document",
    PPTX: "PowerPoint presentation",
    XLSX: "Excel workbook",
    ODT: "OpenDocument text",
    HTML: "HTML page",
    MARKDOWN: "Markdown text",
    TEXT: "plain text",
    CSV: "CSV table",
    TSV: "TSV table",
    EML: "e-mail message",
    PNG: "PNG image",
    JPEG: "JPEG image",
    TIFF: "TIFF image",
}

_BINARY_SIGNATURES: list[tuple[bytes, str, str]] = [
    (b"\x89PNG\r\n\x1a\n", PNG, "PNG image"),
    (b"\xff\xd8\xff", JPEG, "JPEG image"),
    (b"II*\x00", TIFF, "TIFF image"),
    (b"MM\x00*", TIFF, "TIFF image"),
    (b"GIF87a", "image/gif", "GIF image"),
    (b"GIF89a", "image/gif", "GIF image"),
    (b"\x7fELF", "application/x-executable", "ELF executable"),
    (b"MZ", "application/x-msdownload", "Windows executable"),
    (b"\x1f\x8b", "application/gzip", "gzip archive"),
    (b"BZh", "application/x-bzip2", "bzip2 archive"),
    (b"\xfd7zXZ\x00", "application/x-xz", "xz archive"),
    (b"7z\xbc\xaf\x27\x1c", "application/x-7z-compressed", "7-Zip archive"),
    (b"Rar!\x1a\x07", "application/vnd.rar", "RAR archive"),
    (b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1", "application/x-ole-storage", "OLE compound file"),
    (b"SQLite format 3\x00", "application/vnd.sqlite3", "SQLite database"),
    (b"\x00\x00\x00\x0cjP  ", "image/jp2", "JPEG 2000 image"),
    (b"OggS", "audio/ogg", "Ogg media"),
    (b"ID3", "audio/mpeg", "MP3 audio"),
    (b"RIFF", "application/x-riff", "RIFF media (WAV/AVI/WebP)"),
    (b"\x00asm", "application/wasm", "WebAssembly module"),
    (b"\xca\xfe\xba\xbe", "application/java-vm", "Java class or Mach-O binary"),
    (b"\xcf\xfa\xed\xfe", "application/x-mach-binary", "Mach-O executable"),
]

_HTML_START = re.compile(rb"^\s*(<!--.*?-->\s*)*<(!doctype\s+html|html|head|body)\b", re.I | re.S)
_HTML_TAGS = re.compile(rb"<(p|div|table|h[1-6]|ul|ol|span|a|br)\b[^>]*>", re.I)
_EML_HEADER = re.compile(
    rb"^(received|from|to|cc|bcc|subject|date|message-id|mime-version|return-path|"
    rb"delivered-to|content-type|reply-to|sender|in-reply-to|references|dkim-signature|"
    rb"arc-[\w-]+|authentication-results|thread-(topic|index)|x-[\w-]+):",
    re.I,
)
_MARKDOWN_STRONG = re.compile(r"^(#{1,6}\s+\S|```|~~~)|\[[^\]]+\]\([^)]+\)", re.M)
_MARKDOWN_SIGNS = re.compile(
    r"^(#{1,6}\s+\S|```|~~~|\s*[-*+]\s+\S|\s*\d+\.\s+\S|>\s|\|.*\|\s*$)|\[[^\]]+\]\([^)]+\)|\*\*\S",
    re.M,
)


@dataclass(frozen=True, slots=True)
class Detected:
    mime_type: str
    description: str


def sniff(path: Path, filename: str = "") -> Detected:
    """The type of the file at `path`. Raises `IngestionError` for files that are not
    documents docent reads (naming what was found) and for empty files."""
    with path.open("rb") as f:
        head = f.read(8192)
    if not head:
        raise IngestionError(ErrorCode.EMPTY, "the file is empty (0 bytes)")
    suffix = Path(filename).suffix.lower()

    if head.lstrip()[:5] == b"%PDF-" or b"%PDF-" in head[:1024]:
        return Detected(PDF, NAMES[PDF])
    if head.startswith(b"PK\x03\x04") or head.startswith(b"PK\x05\x06"):
        return _sniff_zip(path)
    for signature, mime, description in _BINARY_SIGNATURES:
        if head.startswith(signature):
            if mime == "application/x-ole-storage":
                return _sniff_ole(head, suffix)
            return Detected(mime, description)
    if head.startswith(b"\x00\x00\x00") and head[4:8] in (b"ftyp", b"moov"):
        return Detected("video/mp4", "MP4/QuickTime media")
    return _sniff_text(head, suffix)


def _sniff_zip(path: Path) -> Detected:
    try:
        with zipfile.ZipFile(path) as archive:
            names = set(archive.namelist())
            if "mimetype" in names:
                declared = archive.read("mimetype")[:100].decode("ascii", "replace").strip()
                if declared == ODT:
                    return Detected(ODT, NAMES[ODT])
                return Detected(declared or "application/zip", f"OpenDocument file ({declared})")
    except zipfile.BadZipFile:
        # A truncated office file still starts like a zip: let the parser report CORRUPT.
        return Detected("application/zip", "damaged ZIP container")
    if "word/document.xml" in names:
        return Detected(DOCX, NAMES[DOCX])
    if "ppt/presentation.xml" in names:
        return Detected(PPTX, NAMES[PPTX])
    if "xl/workbook.xml" in names:
        return Detected(XLSX, NAMES[XLSX])
    if "[Content_Types].xml" in names:
        return Detected("application/vnd.openxmlformats-package", "Office Open XML package")
    return Detected("application/zip", "ZIP archive")


def _sniff_ole(head: bytes, suffix: str) -> Detected:
    # Password-protected OOXML files are OLE containers holding an "EncryptedPackage"
    # stream; legacy .doc/.xls/.ppt are OLE too. The directory names are UTF-16.
    if "EncryptedPackage".encode("utf-16-le") in head or suffix in {".docx", ".xlsx", ".pptx"}:
        return Detected("application/x-encrypted-ooxml", "password-protected Office document")
    return Detected("application/x-ole-storage", "legacy Office (OLE) file (.doc, .xls or .ppt)")


def _sniff_text(head: bytes, suffix: str) -> Detected:
    from docent.ingestion.parsing.text import looks_like_text

    if not looks_like_text(head):
        return Detected("application/octet-stream", "file of binary data of an unknown kind")
    ascii_head = _ascii_view(head)
    if _HTML_START.search(ascii_head) or (
        suffix in {".html", ".htm", ".xhtml"} and _HTML_TAGS.search(ascii_head)
    ):
        return Detected(HTML, NAMES[HTML])
    # The first header fields: a long one (Received, DKIM-Signature) is folded over several
    # lines, each continuation starting with white space.
    lines = ascii_head.lstrip().splitlines()[:64]
    fields = [line for line in lines if not line[:1].isspace()][:8]
    if fields and sum(bool(_EML_HEADER.match(line)) for line in fields) >= 2:
        return Detected(EML, NAMES[EML])
    if suffix in {".csv", ".tsv"}:
        mime = TSV if suffix == ".tsv" else CSV
        return Detected(mime, NAMES[mime])
    text = ascii_head.decode("ascii", "ignore")
    if suffix in {".md", ".markdown", ".mdown", ".mkd"} or (
        _MARKDOWN_STRONG.search(text) and len(_MARKDOWN_SIGNS.findall(text)) >= 3
    ):
        return Detected(MARKDOWN, NAMES[MARKDOWN])
    if _HTML_TAGS.search(ascii_head) and len(_HTML_TAGS.findall(ascii_head)) >= 5:
        return Detected(HTML, NAMES[HTML])
    return Detected(TEXT, NAMES[TEXT])


def _ascii_view(head: bytes) -> bytes:
    """The head with UTF-16/32 NUL bytes dropped, enough for markup and header checks."""
    if head.count(b"\x00") > len(head) // 4:
        return head.replace(b"\x00", b"")
    return head
