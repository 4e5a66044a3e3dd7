"""What is in a file: its type, decided by its content (`sniffing`), and its text as
elements (`parse_file`), read offline by unstructured and tesseract, under limits, in a
child process (`isolation`).

`parse_file` chooses the parser by the sniffed type: text and Office formats
(`partitioners`), PDFs (`pdf`), images (`images`), e-mail (`mail`). `offline_nlp` keeps
unstructured from downloading anything; `preload` warms the fork server of `isolation`.
"""

from docent.ingestion.parsing.base import ParsedDocument, ParseLimits, Progress
from docent.ingestion.parsing.files import SUPPORTED_TYPES, check_supported, parse_file

__all__ = [
    "SUPPORTED_TYPES",
    "ParseLimits",
    "ParsedDocument",
    "Progress",
    "check_supported",
    "parse_file",
]
