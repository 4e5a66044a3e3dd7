"""Hybrid retrieval: keyword and semantic candidates, fused by rank, optionally reranked."""

from __future__ import annotations

import asyncio
import enum
import time
from collections.abc import Sequence
from dataclasses import dataclass, replace

from docent.domain import Access, ChunkMatch, Hit
from docent.errors import InvalidInput, ProviderFailure
from docent.providers.chains import RerankerChain
from docent.roles import Embedder
from docent.search import analysis, languages
from docent.search.backend import ChunkIndex, DocumentCatalog, DocumentQuery
from docent.search.fusion import reciprocal_rank_fusion
from docent.settings import SearchSettings

MAX_TOP_K = 100
MAX_QUERY_CHARS = 4000
#: The most documents a tag filter may stand for: each becomes a term of both searches'
#: filters (SQLite binds at most 32,766 values a statement, Elasticsearch's `terms` takes
#: 65,536), and they are read in one request (Elasticsearch answers 10,000 hits at most).
#: Past it the filter is refused (INVALID_INPUT on `tags`) rather than cut silently.
MAX_FILTERED_DOCUMENTS = 5000


class SearchMode(enum.StrEnum):
    HYBRID = "HYBRID"
    KEYWORD = "KEYWORD"
    SEMANTIC = "SEMANTIC"


@dataclass(frozen=True, slots=True)
class SearchRequest:
    query: str
    mode: SearchMode = SearchMode.HYBRID
    top_k: int = 10
    document_ids: tuple[str, ...] | None = None
    rerank: bool = False
    #: Only passages of documents carrying all of these tags (empty: no tag filter).
    tags: tuple[str, ...] = ()

    def validated(self) -> SearchRequest:
        query = checked_text(self.query, "query", max_chars=MAX_QUERY_CHARS)
        checked_top_k(self.top_k, MAX_TOP_K)
        return replace(self, query=query)


def checked_text(text: str, field: str, *, max_chars: int) -> str:
    """A query or question as searched: runs of white space folded to one space. Raises
    InvalidInput (on `field`) when nothing visible is left (white space, controls such as
    NUL, and format characters such as the zero-width space, the BOM and bidi overrides
    are not: `str.isprintable`), or more than `max_chars` characters."""
    folded = " ".join(text.split())
    # Folded, printable text holds a visible character; otherwise look for one.
    if not folded or not (
        folded.isprintable() or any(ch.isprintable() and not ch.isspace() for ch in folded)
    ):
        raise InvalidInput(f"the {field} is empty", field=field)
    if len(folded) > max_chars:
        raise InvalidInput(f"the {field} is longer than {max_chars} characters", field=field)
    return folded


def checked_top_k(top_k: int, maximum: int) -> int:
    """`top_k` when it is 1 to `maximum`; InvalidInput on `topK` otherwise."""
    if not 1 <= top_k <= maximum:
        raise InvalidInput(f"topK must be between 1 and {maximum}", field="topK")
    return top_k


async def filtered_ids(
    catalog: DocumentCatalog | None,
    reader: str | Access,
    document_ids: Sequence[str] | None,
    tags: Sequence[str],
) -> tuple[str, ...] | None:
    """The documents a search is restricted to: `document_ids` (None: all the reader's),
    and of those, with `tags`, the documents that carry every one of them now.

    Tags are matched in the catalogue, by the rule of `documents(filter: {tags})`, and the
    ids it finds filter both searches (inside the kNN search, as the owner filter). Chunks
    are not matched by tags of their own: the Elasticsearch chunks carry a copy of their
    document's tags, but `updateDocument` changes the record at once and the copies only
    when the document's next version is indexed (minutes, for a large one; the minimal
    Elasticsearch distribution has no _update_by_query to change them in place), so a
    search would disagree with the document list meanwhile. The catalogue answers with
    the record as it is (Elasticsearch: within its refresh interval). The cost is one
    catalogue read per search with tags, and a bound: more than MAX_FILTERED_DOCUMENTS
    documents is INVALID_INPUT (field `tags`). The read and the searches are not one
    snapshot: a document retagged between them is filtered by its tags of the read."""
    if not tags:
        return None if document_ids is None else tuple(document_ids)
    if catalog is None:
        raise RuntimeError("a tag filter needs the document catalogue")
    query = DocumentQuery(
        tags=tuple(tags), ids=None if document_ids is None else tuple(document_ids)
    )
    ids = await catalog.document_ids(reader, query, limit=MAX_FILTERED_DOCUMENTS + 1)
    if len(ids) > MAX_FILTERED_DOCUMENTS:
        raise InvalidInput(
            f"these tags are on more than {MAX_FILTERED_DOCUMENTS} documents: add a tag, or "
            "name the documents (documentIds)",
            field="tags",
        )
    return tuple(sorted(ids))


@dataclass(frozen=True, slots=True)
class SearchOutcome:
    hits: list[Hit]
    took_ms: float
    #: Best cosine similarity between the query and any candidate: how relevant the
    #: best evidence is, whatever the mode (None when nothing was found).
    best_similarity: float | None
    #: Rerankers skipped (down, out of quota...) on the way to these hits, and why.
    fallbacks: tuple[ProviderFailure, ...] = ()
    #: The `relevance_floor` of the reranker that scored the hits: None when they were not
    #: reranked or its scores are not calibrated.
    rerank_floor: float | None = None
    #: The best semantic candidate of each document, best first (`best_per_document`).
    semantic_documents: tuple[tuple[str, float, str], ...] = ()


class Retriever:
    """Runs a search for one owner: the owner filter reaches every backend call."""

    def __init__(
        self,
        backend: ChunkIndex,
        embedder: Embedder,
        reranker: RerankerChain | None,
        settings: SearchSettings,
        *,
        rerank_candidates: int = 50,
        catalog: DocumentCatalog | None = None,
    ) -> None:
        """`catalog`: where tag filters are matched (`filtered_ids`); without it, a search
        with tags raises RuntimeError."""
        self._backend = backend
        self._catalog = catalog
        self._embedder = embedder
        self._reranker = reranker
        self._settings = settings
        self._rerank_candidates = rerank_candidates

    @property
    def reranks(self) -> bool:
        """Whether a reranker is configured."""
        return self._reranker is not None

    async def search(
        self, owner: str | Access, request: SearchRequest, *, need_similarity: bool = False
    ) -> SearchOutcome:
        started = time.perf_counter()
        request = request.validated()
        depth = max(self._settings.candidates, request.top_k)
        scope = await filtered_ids(self._catalog, owner, request.document_ids, request.tags)
        ids = list(scope) if scope is not None else None
        want_keyword = request.mode in (SearchMode.HYBRID, SearchMode.KEYWORD)
        want_semantic = need_similarity or request.mode in (SearchMode.HYBRID, SearchMode.SEMANTIC)

        async def semantic() -> list[ChunkMatch]:
            if not want_semantic:
                return []
            vector = await self._embedder.embed_query(request.query)
            return await self._backend.semantic_search(owner, vector, limit=depth, document_ids=ids)

        async def keyword() -> list[ChunkMatch]:
            if not want_keyword:
                return []
            return await self._backend.keyword_search(
                owner, request.query, limit=depth, document_ids=ids
            )

        keyword_matches, semantic_matches = await asyncio.gather(keyword(), semantic())
        best = max((m.score for m in semantic_matches), default=None)
        # In KEYWORD mode the semantic candidates (when asked for) only measure relevance.
        semantic_used = [] if request.mode is SearchMode.KEYWORD else semantic_matches
        hits = fuse(
            keyword_matches,
            semantic_used,
            k=self._settings.rrf_k,
            keyword_weight=self._settings.keyword_weight,
        )
        fallbacks: tuple[ProviderFailure, ...] = ()
        floor: float | None = None
        hits_before_cut = hits
        if request.rerank and self._reranker is not None and hits:
            hits, fallbacks, floor = await self._rerank(
                request.query, hits[: max(self._rerank_candidates, request.top_k)]
            )
        hits = hits[: request.top_k]
        if need_similarity and not floor:
            hits = keep_first_semantic(hits, semantic_used, fused=hits_before_cut)
            hits = keep_foreign_semantic(hits, semantic_used, request.query, fused=hits_before_cut)
        if want_keyword:
            hits = add_highlights(hits, request.query)
        took_ms = (time.perf_counter() - started) * 1000
        return SearchOutcome(
            hits=hits,
            took_ms=took_ms,
            best_similarity=best,
            fallbacks=fallbacks,
            rerank_floor=floor,
            semantic_documents=best_per_document(semantic_matches),
        )

    async def _rerank(
        self, query: str, hits: list[Hit]
    ) -> tuple[list[Hit], tuple[ProviderFailure, ...], float | None]:
        """The candidates in the reranker's order, with its scores, and the relevance floor
        of the reranker that scored them; the fused order when every reranker failed and
        the chain ends in `none`."""
        assert self._reranker is not None
        reranked = await self._reranker.rerank(query, [h.chunk.text for h in hits])
        if reranked.scores is None:
            return hits, reranked.fallbacks, None
        rescored = [
            replace(h, rerank_score=s, score=s) for h, s in zip(hits, reranked.scores, strict=True)
        ]
        by = next((m for m in self._reranker.members if m.name == reranked.by), None)
        floor = getattr(by, "relevance_floor", None)
        return sorted(rescored, key=lambda h: -h.score), reranked.fallbacks, floor


def fuse(
    keyword: Sequence[ChunkMatch],
    semantic: Sequence[ChunkMatch],
    *,
    k: int,
    keyword_weight: float,
) -> list[Hit]:
    """Hits in fused order, each with its rank and score from every method that found it."""
    by_id: dict[str, tuple[ChunkMatch | None, ChunkMatch | None]] = {}
    for match in keyword:
        by_id.setdefault(match.chunk.id, (match, None))
    for match in semantic:
        kw, _ = by_id.get(match.chunk.id, (None, None))
        by_id[match.chunk.id] = (kw, match)
    if keyword and semantic:
        weights = {"keyword": keyword_weight, "semantic": 1.0 - keyword_weight}
    else:
        weights = {"keyword": 1.0, "semantic": 1.0}
    fused = reciprocal_rank_fusion(
        {"keyword": [m.chunk.id for m in keyword], "semantic": [m.chunk.id for m in semantic]},
        k=k,
        weights=weights,
    )
    hits = []
    for chunk_id, score in fused:
        kw, sem = by_id[chunk_id]
        source = kw or sem
        assert source is not None
        hits.append(
            Hit(
                chunk=source.chunk,
                document_title=source.document_title,
                score=score,
                keyword_rank=kw.rank if kw else None,
                keyword_score=kw.score if kw else None,
                semantic_rank=sem.rank if sem else None,
                semantic_score=sem.score if sem else None,
                highlights=kw.highlights if kw else (),
            )
        )
    return hits


def best_per_document(
    semantic: Sequence[ChunkMatch], limit: int = 10
) -> tuple[tuple[str, float, str], ...]:
    """The best of `semantic` (cosine-ranked candidates) per document, best first, at most
    `limit` documents: (document id, cosine, the passage's text). How far the first
    document leads the others of the question's script is evidence for the not-found
    gate: an answerable question's document stands out, for an off-topic question every
    document is about as close."""
    best: dict[str, tuple[str, float, str]] = {}
    for match in sorted(semantic, key=lambda m: m.rank):
        if match.chunk.document_id not in best:
            best[match.chunk.document_id] = (match.chunk.document_id, match.score, match.chunk.text)
            if len(best) == limit:
                break
    return tuple(best.values())


def keep_first_semantic(
    hits: list[Hit], semantic: Sequence[ChunkMatch], *, fused: list[Hit]
) -> list[Hit]:
    """`hits` (the top k of `fused`) with the passage the embedder ranked first among them,
    in the last place if fusion pushed it out. An answer's passages must include it: a
    question in another language than its document shares no word with it, so BM25 finds
    other passages (or nothing), and fusion ranks the embedder's first choice sixth or
    below (issue 13's held-out cross-lingual questions: semantic rank 1, fused rank 6 or
    out of the top 10). The not-found gate then judges it like any passage."""
    if not hits or not semantic:
        return hits
    first = min(semantic, key=lambda m: m.rank).chunk.id
    if any(h.chunk.id == first for h in hits):
        return hits
    kept = next((h for h in fused if h.chunk.id == first), None)
    return hits if kept is None else [*hits[:-1], kept]


#: The embedder's first passages down to this rank are kept among an answer's passages
#: when they are in another language than the question (`keep_foreign_semantic`).
FOREIGN_KEPT = 3


def keep_foreign_semantic(
    hits: list[Hit], semantic: Sequence[ChunkMatch], query: str, *, fused: list[Hit]
) -> list[Hit]:
    """`hits` with the embedder's first `FOREIGN_KEPT` passages that are in another language
    than `query` (languages.detect), each put in the place of the last hit in the query's
    language that is not the embedder's first passage. Keyword search cannot rank a
    passage in another language than the question's (only the names they share meet), so
    fusion puts the passage the embedder ranks second or third below same-language
    passages that share the question's words and answer nothing (an Arabic question over
    an English policy, under Arabic notices; an English one over a Spanish policy, under
    an English IT policy). Those are what it displaces; where no hit is in the question's
    language, keyword search pushed nothing out and `hits` stay as they are. The not-found
    gate and the answerer judge the passage like any other."""
    if not hits or not semantic:
        return hits
    asked = languages.detect(query).language
    ranked = sorted(semantic, key=lambda m: m.rank)
    keep = {ranked[0].chunk.id}
    wanted = [
        m.chunk.id
        for m in ranked[:FOREIGN_KEPT]
        if languages.detect(m.chunk.text).language != asked
    ]
    keep |= set(wanted)
    by_id = {h.chunk.id: h for h in fused}
    out = list(hits)
    for chunk_id in wanted:
        if any(h.chunk.id == chunk_id for h in out) or chunk_id not in by_id:
            continue
        place = next(
            (
                i
                for i in range(len(out) - 1, -1, -1)
                if out[i].chunk.id not in keep
                and languages.detect(out[i].chunk.text).language == asked
            ),
            None,
        )
        if place is None:
            break
        out[place] = by_id[chunk_id]
    return out


def add_highlights(hits: list[Hit], query: str) -> list[Hit]:
    """Fill highlights the backend did not provide (only for the hits that are shown)."""
    terms = set(analysis.query_terms(query))
    return [
        h if h.highlights else replace(h, highlights=tuple(analysis.highlight(h.chunk.text, terms)))
        for h in hits
    ]
