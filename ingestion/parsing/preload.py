"""Imported once by the parsing fork server (`isolation.py`): the parsers and their heavy
dependencies, so that each parse forks warm instead of importing them again. It also ties
the fork server's life to its owner's (`lifeline.py`): import it nowhere else."""

from docent.ingestion.parsing.lifeline import watch_parent
from docent.ingestion.parsing.offline_nlp import configure_offline

watch_parent()
configure_offline()

# The imports are the point of this module. PPTX and XLSX are docent's own readers, on
# python-pptx and openpyxl; pycel (formulas saved without values) is rare: imported on use.
# PDF text layers are read by PDFium.
import openpyxl  # noqa: E402, F401
import pptx  # noqa: E402, F401
import pypdfium2  # noqa: E402, F401
import unstructured.partition.docx  # noqa: E402
import unstructured.partition.email  # noqa: E402
import unstructured.partition.html  # noqa: E402
import unstructured.partition.md  # noqa: E402
import unstructured.partition.odt  # noqa: E402
import unstructured.partition.text  # noqa: E402, F401
import unstructured_pytesseract  # noqa: E402, F401

import docent.ingestion.parsing  # noqa: E402, F401
from docent.ingestion.parsing import hyphenation, unicode  # noqa: E402

# Tables every child would otherwise build again: the common words that decide hyphens in
# PDFs, and the characters `unicode.normalize` replaces.
hyphenation.common_words()
unicode.normalize("\ufb01")
