"""Reading files: sniffing, decoding, parsing under isolation, OCR, tables, offline NLP."""
