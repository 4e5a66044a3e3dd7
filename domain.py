"""The records docent keeps: documents, their chunks, what a search finds (as flat dicts, for
the engines and for job payloads: `search/records.py`), and conversations: a person's
questions, docent's answers with their citations and ratings, private to their owner
(stored by `search/conversations.py`)."""

from __future__ import annotations

import enum
import secrets
import time
from collections.abc import Collection
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime


def utcnow() -> datetime:
    return datetime.now(UTC)


class DocumentStatus(enum.StrEnum):
    QUEUED = "QUEUED"
    PROCESSING = "PROCESSING"
    READY = "READY"
    FAILED = "FAILED"


class Stage(enum.StrEnum):
    """Where a document is in ingestion; carried by progress events."""

    QUEUED = "QUEUED"
    PARSING = "PARSING"
    OCR = "OCR"
    CHUNKING = "CHUNKING"
    EMBEDDING = "EMBEDDING"
    INDEXING = "INDEXING"
    READY = "READY"
    FAILED = "FAILED"
    DELETED = "DELETED"


class Visibility(enum.StrEnum):
    PRIVATE = "PRIVATE"  # its owner only
    GROUP = "GROUP"  # its owner, and every member of its group


@dataclass(frozen=True, slots=True)
class Access:
    """Who reads: a user, and the groups their token names. Every read of the store takes
    one: a user sees their own documents and those shared with one of their groups."""

    owner: str
    groups: tuple[str, ...] = ()

    @classmethod
    def of(cls, who: str | Access) -> Access:
        return who if isinstance(who, Access) else cls(owner=who)

    def can_see(self, record: DocumentRecord) -> bool:
        return record.owner == self.owner or (
            record.visibility is Visibility.GROUP and record.group in self.groups
        )


@dataclass(frozen=True, slots=True)
class DocumentRecord:
    """A document as docent tracks it. `owner` is on every record and every query."""

    id: str
    owner: str
    title: str
    filename: str
    mime_type: str
    size_bytes: int
    sha256: str
    status: DocumentStatus
    tags: tuple[str, ...] = ()
    error_code: str | None = None
    error_message: str | None = None
    page_count: int | None = None
    chunk_count: int = 0
    created_at: datetime = field(default_factory=utcnow)
    processed_at: datetime | None = None
    updated_at: datetime = field(default_factory=utcnow)
    # Incremented by every reprocess: the job id is per document version, so an old
    # job that wakes up late never overwrites a newer version's result.
    version: int = 1
    visibility: Visibility = Visibility.PRIVATE
    #: With GROUP visibility: the group (one of the owner's) the document is shared with.
    group: str | None = None
    #: How many processing runs have claimed this document (`DocumentCatalog.claim_document`):
    #: the latest run's number is its fencing token, and the store refuses the writes of
    #: any other run. Only a claim changes it.
    run: int = 0

    def evolve(self, **changes: object) -> DocumentRecord:
        return replace(self, updated_at=utcnow(), **changes)  # type: ignore[arg-type]


@dataclass(frozen=True, slots=True)
class Region:
    """Where on a page a passage is drawn: `page` (1-based) and the box `x0 y0 x1 y1` as
    fractions (0 to 1) of the page as it is shown, from its top-left corner (x right, y
    down). From a PDF's text layer (its lines' extents) or OCR's word boxes."""

    page: int
    x0: float
    y0: float
    x1: float
    y1: float


@dataclass(frozen=True, slots=True)
class Chunk:
    """A passage of a document, with the provenance a citation needs.

    `start_offset` and `end_offset` locate the passage in the document's text, as
    `ingestion.chunking.document_text` makes it (the parsed elements joined by a blank
    line): `text[start_offset:end_offset]` of that document text is the chunk's `text`,
    except in a chunk that continues a table split over several chunks, whose `text` begins
    with the table's header row and a newline, repeated from the table's start, before that
    span. Offsets count Unicode code points, end excluded. Neighbouring chunks of a section
    overlap (DOCENT_CHUNK_OVERLAP, whole sentences, words or table rows), so a chunk may
    start before its predecessor ends.
    """

    id: str
    document_id: str
    ordinal: int
    text: str
    page: int | None = None
    page_end: int | None = None
    section: str | None = None
    element_types: tuple[str, ...] = ()
    start_offset: int = 0
    end_offset: int = 0
    #: Where its elements are drawn (PDF text layer, OCR word boxes), one box per element
    #: and page, boxes on one page that overlap merged (`chunking.merge_regions`); empty
    #: for formats without pages.
    regions: tuple[Region, ...] = ()


@dataclass(frozen=True, slots=True)
class IndexedChunk:
    """A chunk with everything the index stores beside it."""

    chunk: Chunk
    owner: str
    title: str
    vector: list[float] | None = None
    #: What BM25 and the embedder see: the text with its section heading for context.
    search_text: str = ""
    #: Copied from the document, for filters inside the index.
    tags: tuple[str, ...] = ()
    mime_type: str = ""


@dataclass(frozen=True, slots=True)
class ChunkMatch:
    """One candidate from one retrieval method: its rank (1-based) and raw score."""

    chunk: Chunk
    document_title: str
    rank: int
    score: float
    highlights: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True)
class Hit:
    """A fused search result, carrying each method's rank and score so a user can see why."""

    chunk: Chunk
    document_title: str
    score: float
    keyword_rank: int | None = None
    keyword_score: float | None = None
    semantic_rank: int | None = None
    semantic_score: float | None = None
    rerank_score: float | None = None
    highlights: tuple[str, ...] = ()


#: The longest conversation title kept, in characters (a longer one is cut at a word).
MAX_TITLE_CHARS = 120
#: The longest feedback comment kept, in characters (longer: INVALID_INPUT).
MAX_COMMENT_CHARS = 2000


class Role(enum.StrEnum):
    USER = "USER"
    ASSISTANT = "ASSISTANT"


class Rating(enum.StrEnum):
    UP = "UP"
    DOWN = "DOWN"


def new_id(prefix: str) -> str:
    """An id that sorts by creation time: 13 hex digits of microseconds since the epoch,
    then 8 random ones (`c_...` a conversation, `m_...` a message)."""
    return f"{prefix}_{time.time_ns() // 1000:013x}{secrets.token_hex(4)}"


@dataclass(frozen=True, slots=True)
class Conversation:
    id: str
    owner: str
    title: str
    created_at: datetime = field(default_factory=utcnow)
    updated_at: datetime = field(default_factory=utcnow)

    def evolve(self, **changes: object) -> Conversation:
        return replace(self, **changes)  # type: ignore[arg-type]


@dataclass(frozen=True, slots=True)
class CitedPassage:
    """A passage an answer cited, as it was when cited: `index` is its source number in the
    answer's text (`[2]`). The text is shown again only to a reader who can still read
    its document (`api/conversations.py`)."""

    index: int
    document_id: str
    chunk_id: str
    title: str
    text: str
    page: int | None = None
    section: str | None = None


@dataclass(frozen=True, slots=True)
class Feedback:
    rating: Rating
    comment: str | None = None
    created_at: datetime = field(default_factory=utcnow)


@dataclass(frozen=True, slots=True)
class Message:
    """One side of a turn. An ASSISTANT message carries what its answer was made from:
    the question docent searched for (`standalone_question`), the model, whether it was
    grounded, its citations; and the person's `feedback`, if any."""

    id: str
    conversation_id: str
    owner: str
    role: Role
    text: str
    #: Orders a conversation's messages (microseconds at creation, then its place in the turn).
    seq: int
    created_at: datetime = field(default_factory=utcnow)
    standalone_question: str | None = None
    citations: tuple[CitedPassage, ...] = ()
    model: str | None = None
    grounded: bool = False
    feedback: Feedback | None = None
    #: On an answer: the documents behind the earlier turns its standalone question was
    #: rewritten from (their answers' citations, and what those turns drew on in turn):
    #: "Where does he live?" became "Where does he (Dr. Quackenbush) live?" from an answer
    #: that quoted one of them.
    context_documents: tuple[str, ...] = ()

    def evolve(self, **changes: object) -> Message:
        return replace(self, **changes)  # type: ignore[arg-type]

    @property
    def sources(self) -> set[str]:
        """Every document this message's answer text or standalone question may restate."""
        return {p.document_id for p in self.citations} | set(self.context_documents)

    def standalone_withheld(self, readable: Collection[str]) -> bool:
        """Whether its standalone question is withheld from a reader who can read the
        documents of ids `readable`: when its text is (`withheld`), or when an earlier turn
        it was rewritten from drew on a document the reader can no longer read (the rewrite
        carries names and subjects from earlier answers into the question). The reader
        then sees the question as they typed it."""
        return self.withheld(readable) or any(d not in readable for d in self.context_documents)

    def withheld(self, readable: Collection[str]) -> bool:
        """Whether its text is withheld from a reader who can read the documents of ids
        `readable`: an answer that cited a document deleted since, or no longer shared
        with the reader. An answer's text quotes or restates its passages (the extractive
        answerer quotes them verbatim) and cannot be split by source, so all of it goes
        (`WITHHELD_TEXT` stands in its place) wherever it would be read again: the
        conversation's messages, the turns a follow-up is read with (rewrite and
        generator), the feedback export. The question, the reader's own words, stays."""
        return any(p.document_id not in readable for p in self.citations)


#: What an answer's text reads as once it is withheld (`Message.withheld`).
WITHHELD_TEXT = (
    "(This answer is withheld: it quoted a document that has been deleted or that you can "
    "no longer read.)"
)


#: Invisible joiners that emoji sequences and the spelling of several scripts (Persian,
#: the Indic scripts) need; every other format character goes.
_JOINERS = frozenset("\u200c\u200d")


def _printable(value: str) -> str:
    # White space other than the space becomes a space; everything else not printable goes.
    return "".join(
        ch if ch.isprintable() or ch in _JOINERS else (" " if ch.isspace() else "") for ch in value
    )


def clean_text(value: str) -> str:
    """`value` with every run of white space made one space and trimmed, and without the
    characters a terminal or a browser would act on or hide: controls (NUL, BEL, ESC, DEL,
    the C1 range), bidirectional embeddings, overrides and isolates (U+202A-U+202E,
    U+2066-U+2069: "Trojan Source", CVE-2021-42574), and every other code point that
    `str.isprintable` rejects (Unicode categories C and Z, except the space), but the
    joiners ZWJ and ZWNJ. Linear in `len(value)`. The one rule for every label people show
    each other: document file names, titles and tags, conversation titles."""
    if value.isprintable():  # the common case, at C speed
        return " ".join(value.split())
    return " ".join(_printable(value).split())


def clean_comment(value: str) -> str:
    """A free-text comment cleaned as `clean_text` cleans a label, line by line: its line
    breaks (LF, CRLF, CR) are kept as LF, at most one blank line in a row, and the whole is
    trimmed. Linear in `len(value)`."""
    lines = [
        clean_text(line) for line in value.replace("\r\n", "\n").replace("\r", "\n").split("\n")
    ]
    kept: list[str] = []
    for line in lines:
        if line or (kept and kept[-1]):
            kept.append(line)
    return "\n".join(kept).strip()


def title_from(question: str) -> str:
    """A new conversation's title: its first question, cleaned (`clean_text`: on one line,
    without controls or bidirectional overrides), cut at a word to MAX_TITLE_CHARS."""
    line = clean_text(question)
    if len(line) <= MAX_TITLE_CHARS:
        return line
    cut = line[: MAX_TITLE_CHARS - 1].rsplit(" ", 1)[0]
    return f"{cut}…"
