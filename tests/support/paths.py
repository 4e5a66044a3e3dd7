"""Where the tests find the repository and the datasets shared beside it."""

from __future__ import annotations

import os
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
#: The shared folder beside the repository (DOCENT_SHARED to put it elsewhere).
SHARED = Path(os.environ.get("DOCENT_SHARED", REPO.parent / "shared"))
DATASETS = SHARED / "datasets"
