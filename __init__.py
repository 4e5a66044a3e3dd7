"""docent: document question answering with cited, streamed answers."""

__version__ = "0.1.0"
