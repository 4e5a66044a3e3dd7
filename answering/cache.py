"""The semantic answer cache (DOCENT_ANSWER_CACHE): a question close enough to one already
answered, for the same reader over the same documents, gets that answer again, marked as
cached. A reader's documents are their own and those shared with their groups: each owner
and each group has a generation, moved on by any change to its documents (one ready,
failed, reprocessed, deleted or shared differently); answers are kept under the reader's
combined generation, so an answer given before a change is never read after it."""

from __future__ import annotations

import hashlib
import json
from dataclasses import asdict
from typing import Any

import numpy as np
from redis.asyncio import Redis

from docent.answering.answers import Answer
from docent.domain import Access, Chunk, Hit, Region
from docent.redis_keys import KEYS, RedisKeys
from docent.roles import Source, Usage

#: Answers kept per owner and generation (newest first), and how long.
MAX_ENTRIES = 200
TTL_S = 7 * 24 * 3600


class AnswerCache:
    def __init__(self, redis: Redis, *, similarity: float = 0.97, keys: RedisKeys = KEYS) -> None:
        self._redis = redis
        self._similarity = similarity
        self._keys = keys

    def _generation_key(self, space: str) -> str:
        return self._keys.answer_generation(space)

    def _entries_key(self, owner: str, generation: str) -> str:
        digest = hashlib.sha256(generation.encode()).hexdigest()[:32]
        return self._keys.answers(owner, digest)

    async def generation(self, reader: str | Access) -> str:
        """The state of every document the reader can see: an answer found or stored under
        one generation is never read under another."""
        access = Access.of(reader)
        spaces = [f"user:{access.owner}", *(f"group:{g}" for g in sorted(set(access.groups)))]
        values = await self._redis.mget([self._generation_key(space) for space in spaces])
        return "|".join(f"{space}={int(v or 0)}" for space, v in zip(spaces, values, strict=True))

    async def invalidate(self, owner: str, *groups: str | None) -> None:
        """The owner's documents changed (shared with `groups`, if any): forget every answer
        its owner, and every member of those groups, was given so far."""
        spaces = [f"user:{owner}", *(f"group:{g}" for g in groups if g)]
        async with self._redis.pipeline(transaction=False) as pipe:
            for space in spaces:
                pipe.incr(self._generation_key(space))
            await pipe.execute()

    async def lookup(
        self, owner: str, generation: str, scope: str, vector: np.ndarray
    ) -> Answer | None:
        """The answer to the most similar earlier question asked with the same `scope`
        (mode, top-k, document filter), if it is similar enough."""
        best: tuple[float, dict[str, Any]] | None = None
        key = self._entries_key(owner, generation)
        entries: list[bytes] = await self._redis.lrange(key, 0, MAX_ENTRIES - 1)  # type: ignore[misc]
        for raw in entries:
            entry = json.loads(raw)
            if entry["scope"] != scope or len(entry["vector"]) != len(vector):
                continue  # another scope, or a vector of another model
            similarity = float(np.dot(np.asarray(entry["vector"], dtype=np.float32), vector))
            if similarity >= self._similarity and (best is None or similarity > best[0]):
                best = (similarity, entry)
        return _answer(best[1]["answer"]) if best else None

    async def store(
        self,
        owner: str,
        generation: str,
        scope: str,
        vector: np.ndarray,
        answer: Answer,
        *,
        conversation_id: str | None = None,
    ) -> None:
        """Keep `answer` under the generation it was looked up in: an answer written after
        the documents changed lands in a generation nobody reads. `conversation_id`: the
        conversation it was given in, whose deletion takes it away (`forget_conversation`)."""
        key = self._entries_key(owner, generation)
        entry = {
            "scope": scope,
            "vector": [round(float(v), 6) for v in vector],
            "answer": _dump(answer),
            "conversation": conversation_id,
        }
        async with self._redis.pipeline(transaction=True) as pipe:
            pipe.lpush(key, json.dumps(entry))
            pipe.ltrim(key, 0, MAX_ENTRIES - 1)
            pipe.expire(key, TTL_S)
            await pipe.execute()

    async def forget_conversation(self, owner: str, conversation_id: str) -> int:
        """Remove the owner's cached answers given in the conversation, under every
        generation still kept; the number removed. One pass over the owner's lists (at most
        MAX_ENTRIES each; old generations expire after TTL_S)."""
        removed = 0
        # The owner's lists only: its id is matched literally, the digest as 32 hex digits.
        pattern = self._keys.answers(_glob_literal(owner), "[0-9a-f]" * 32)
        async for key in self._redis.scan_iter(match=pattern, count=200):
            entries: list[bytes] = await self._redis.lrange(key, 0, -1)  # type: ignore[misc]
            for raw in entries:
                if json.loads(raw).get("conversation") == conversation_id:
                    # LREM by value: atomic, whatever was pushed meanwhile.
                    removed += await self._redis.lrem(key, 0, raw)  # type: ignore[misc,arg-type]
        return removed


def _glob_literal(text: str) -> str:
    """`text` matched literally by a Redis glob pattern (SCAN MATCH)."""
    return "".join("\\" + ch if ch in "*?[]\\" else ch for ch in text)


def _dump(answer: Answer) -> dict[str, Any]:
    def source(s: Source) -> dict[str, Any]:
        hit = asdict(s.hit)
        hit["chunk"]["element_types"] = list(s.hit.chunk.element_types)
        hit["highlights"] = list(s.hit.highlights)
        return {"index": s.index, "hit": hit}

    return {
        "text": answer.text,
        "model": answer.model,
        "grounded": answer.grounded,
        "sources": [source(s) for s in answer.sources],
        "cited": [s.index for s in answer.citations],
        "usage": asdict(answer.usage) if answer.usage else None,
    }


def _answer(data: dict[str, Any]) -> Answer:
    sources = []
    for item in data["sources"]:
        hit = dict(item["hit"])
        chunk = dict(hit.pop("chunk"))
        chunk["element_types"] = tuple(chunk.get("element_types") or ())
        chunk["regions"] = tuple(Region(**r) for r in chunk.get("regions") or ())
        hit["highlights"] = tuple(hit.get("highlights") or ())
        sources.append(Source(index=item["index"], hit=Hit(chunk=Chunk(**chunk), **hit)))
    by_index = {s.index: s for s in sources}
    return Answer(
        text=data["text"],
        citations=[by_index[i] for i in data["cited"] if i in by_index],
        grounded=data["grounded"],
        model=data["model"],
        sources=sources,
        usage=Usage(**data["usage"]) if data.get("usage") else None,
        cached=True,
    )
