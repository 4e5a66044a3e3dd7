"""The local generator: an extractive answer, honest about being one.

It writes no words of its own. It quotes the unit of the retrieved passages that best
answers the question (a sentence, a list item, or a table row with its header: see
passages.py), scored by cosine similarity with the local embedder plus overlap with the
question's terms (those of the unit's heading counting half, wording.py), less a penalty
for a source that does not name what the question names, plus a bonus for the shape of
answer the question asks for (shapes.py: a figure with its unit, a date, a person, a
place); then, from the same source only, the units that score nearly as well and have
that shape too, or the rest of the list of a list item. Each is followed by the
number of its source, and they stream word by word as a language model would.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Sequence
from dataclasses import dataclass

import numpy as np

from docent.answering import (
    anaphora,
    attributes,
    cells,
    columns,
    containers,
    dates,
    grounding,
    held_kind,
    naming,
    passages,
    picking,
    places,
    premise,
    ranges,
    rates,
    reasons,
    shapes,
    steps,
    wording,
)
from docent.answering.clues import Clues
from docent.answering.contrast import Contrast
from docent.answering.elsewhere import sent_elsewhere
from docent.roles import Embedder, GenerationDone, Prompt, Source
from docent.search import analysis

MODEL = "docent-extractive (quotes the best sentences of your documents; no language model)"
_MAX_SENTENCES = 3
_MAX_CHARS = 900
_MAX_PER_SOURCE = 40
_LEXICAL_WEIGHT = 0.3
_FRAGMENT_PENALTY = 0.15
#: A source that names fewer of the question's names and codes than the best one loses
#: this much per share missing: the Tigon brochure does not answer for the Panther.
_ENTITY_PENALTY = 0.4
#: A source whose document names nowhere a word of the question that another retrieved
#: document's title holds loses this much per share missing (naming.py): "the lift
#: contract" is not answered from the grounds agreement. Weaker than `_ENTITY_PENALTY`: a
#: common noun names less surely than a name.
_NAMED_PENALTY = 0.15
#: A unit holding the question's names and none of its other words loses this much: the
#: letterhead "Atelier Lumière SARL - 14 rue ..." is close to any question naming the
#: company (its cosine with "À quelle heure commence la journée chez Atelier Lumière ?" is
#: above the opening-hours sentence's) and answers nothing asked of it.
_NAMES_ONLY_PENALTY = 0.1
#: A table row holding at least `_ROW_LEXICAL` of the question's terms (weighted as in
#: `wording.lexical_scores`) gains this much. Measured on the dev set (eval/devset).
_ROW_BONUS = 0.08
_ROW_LEXICAL = 0.5
#: A table row whose first cell (what the row is about: "Water tank", "Moving house") is
#: made of the question's words, and which has the shape of answer asked for, is the
#: record asked for: it gains this much times the share of the question's words (but the
#: subject's and the measure's) its first cell holds ("How much water does the tank
#: hold?": "Item: Water tank; Value: 1.8 litres" over a descaling step that pours 1 litre
#: into the tank; "the rabies vaccine" picks the rabies row, not the dog vaccine's).
_LABEL_BONUS = 0.08
#: A unit whose range holds the amount the question states (ranges.py: "Ages: 13 - 17"
#: for "My son is 14 and ...", "10-49 boxes" for "I'm ordering 12 boxes") gains this much
#: over its neighbours holding another range, which share its words.
_RANGE_BONUS = 0.1
#: A unit with the shape of answer the question asks for (a figure for "how many", a date
#: for "when": shapes.py) gains this much, twice that with the quantity's unit ("26,000
#: kg" for "how heavy"). Measured on the dev set (eval/devset): BENCHMARKS.md, session 5.
_SHAPE_WEIGHT = 0.06
#: A unit holding the kind of value the question names (held_kind: a telephone number for
#: "What number do I ring?", an address with "@" for "What's the e-mail address of ...?")
#: gains this much: across languages no word of the question meets the sentence giving
#: it, and a neighbouring sentence about the same office (its opening hours, its e-mail
#: for a telephone number) scores as high by cosine.
_KIND_WEIGHT = 2 * _SHAPE_WEIGHT
#: The kinds `_KIND_WEIGHT` is for: a value whose form is certain (a code or an amount is
#: any token with a digit, which many units hold).
_KINDS = (held_kind.Kind.PHONE, held_kind.Kind.EMAIL)
#: Beside the best unit, only units of the same source scoring this close to it are quoted:
#: the sick-leave rule does not follow the annual-leave answer.
_RELATIVE_FLOOR = 0.08
#: Two sentences this similar say the same thing: quote one.
_REDUNDANT = 0.9
#: A list answer quotes at most this many items of the list the best one belongs to.
_MAX_ITEMS = 8
#: Question marks: Latin, full-width (CJK), Arabic.
_QUESTION_MARKS = ("?", "？", "؟")


@dataclass(frozen=True, slots=True)
class _Candidate:
    text: str
    source: int
    position: int
    kind: str
    heading: str


@dataclass(frozen=True, slots=True)
class _Scored:
    """`ExtractiveGenerator.score`'s result: per candidate its score, embedding and shape
    fit (shapes.fit), the shape asked for, and per candidate whether it holds the kind of
    value asked (held_kind)."""

    candidates: list[_Candidate]
    scores: np.ndarray
    vectors: np.ndarray
    fits: np.ndarray
    shape: shapes.Asked | None
    #: Per candidate, whether it holds the kind of value the question names (`_KINDS`).
    held: np.ndarray
    #: Per candidate, 1 when a range of it holds the amount the question states, -1 when
    #: its ranges of that kind exclude it, else 0 (ranges.fits).
    ranged: np.ndarray


def split_sentences(text: str) -> list[str]:
    """The quotable units of `text` (passages.units): sentences, list items and table
    rows, without headings and without sentences of fewer than 3 words (4 characters in
    CJK): "Go now." answers nothing."""
    return [u.text for u in passages.units(text) if _long_enough(u.text)]


def _long_enough(text: str) -> bool:
    if grounding.script(text) == "CJK":
        return len(text) >= 4
    return len(text.split()) >= 3


def _quotable(text: str) -> bool:
    """Long enough, and not a question: an FAQ's "How long do the batteries last?" asks
    what the next sentence answers."""
    return _long_enough(text) and not text.rstrip().endswith(_QUESTION_MARKS)


def lexical_overlap(question_terms: set[str], sentence: str) -> float:
    if not question_terms:
        return 0.0
    return len(question_terms & set(analysis.analyze(sentence))) / len(question_terms)


class ExtractiveGenerator:
    model = MODEL

    def __init__(self, embedder: Embedder) -> None:
        self._embedder = embedder

    async def stream(self, prompt: Prompt) -> AsyncIterator[str | GenerationDone]:
        chosen = await self.select(prompt.question, prompt.sources)
        for i, (sentence, index) in enumerate(chosen):
            words = sentence.split(" ")
            for j in range(0, len(words), 3):
                prefix = " " if i or j else ""
                yield prefix + " ".join(words[j : j + 3])
                await asyncio.sleep(0)
            yield f" [{', '.join(str(n) for n in _sources_saying(sentence, index, prompt.sources))}]"
        yield GenerationDone(model=self.model)

    async def score(self, question: str, sources: Sequence[Source]) -> _Scored | None:
        """The quotable units of `sources` (at most `_MAX_PER_SOURCE` a source; an e-mail's
        header line only for a question about the message or a date: picking.message_header), each
        unit's score for `question` (higher is better), the units' embeddings and how well
        each has the shape of answer asked for (shapes.fit); None when there is nothing
        to quote."""
        # A question asking a date keeps the header lines: `picking.date_first` tells the
        # date of what the message announces from the header's.
        dated = dates.asks_date(question)
        candidates = [
            _Candidate(unit.text, source.index, position, unit.kind, unit.heading)
            for source in sources
            for position, unit in enumerate(
                [
                    u
                    for u in passages.units(source.hit.chunk.text)
                    if _quotable(u.text) and (dated or not picking.message_header(question, u.text))
                ][:_MAX_PER_SOURCE]
            )
        ]
        if not candidates:
            return None
        texts = [c.text[:1000] for c in candidates]
        query = await self._embedder.embed_query(question)
        vectors = await self._embedder.embed_documents(texts)
        lexical = wording.lexical_scores(question, candidates, sources)
        focus = naming.entity_focus(question, sources)
        titled = naming.named_focus(question, sources)
        # A unit holding only the question's names earns nothing for holding them.
        names_only = wording.names_only(question, candidates, sources)
        shape = picking.wanted(question)
        fits = np.array(
            [
                cells.headed_fit(
                    shape, places.fit(question, shape, c.text, c.kind), c.kind, c.heading
                )
                if shape
                else 0.0
                for c in candidates
            ],
            dtype=np.float32,
        )
        labelled = wording.label_shares(question, candidates, fits, shape, sources)
        if shape is not None and shape.shape is not shapes.Shape.QUANTITY:
            # A unit naming the subject and holding the date, person or place asked for
            # may be the answer ("DevCon 2025 · Kelvin Conference Centre, Glasgow" for
            # "Where is DevCon 2025 held?"): it is no letterhead.
            names_only *= fits == 0
        kind = held_kind.kind_of(question)
        held = np.array(
            [kind in _KINDS and held_kind.holds(kind, c.text) for c in candidates],
            dtype=np.float32,
        )
        ranged = np.array(ranges.fits(question, [c.text for c in candidates]), dtype=np.float32)
        scores = (
            2 * _SHAPE_WEIGHT * fits
            + _RANGE_BONUS * (ranged > 0)
            + _KIND_WEIGHT * held
            + _LABEL_BONUS * labelled
            + vectors @ query
            + _LEXICAL_WEIGHT * np.minimum(lexical, 1.0) * (1.0 - names_only)
            # a sentence that starts in lower case is a fragment cut by a chunk boundary
            - _FRAGMENT_PENALTY * np.array([t[:1].islower() for t in texts], dtype=np.float32)
            - _ENTITY_PENALTY * np.array([focus.get(c.source, 0.0) for c in candidates])
            - _NAMED_PENALTY * np.array([titled.get(c.source, 0.0) for c in candidates])
            - _NAMES_ONLY_PENALTY * names_only
            # A table row holding the question's terms states the value ("Item: Top speed;
            # Value: 120 km/h") where a sentence holding them may not ("gives the TIGON a
            # top speed that few vehicles of its class reach").
            + _ROW_BONUS
            * np.array(
                [c.kind == "row" and lexical[i] >= _ROW_LEXICAL for i, c in enumerate(candidates)],
                dtype=np.float32,
            )
        )
        return _Scored(candidates, scores, vectors, fits, shape, held, ranged)

    async def select(self, question: str, sources: Sequence[Source]) -> list[tuple[str, int]]:
        """The units to quote, best first, with their source numbers: the best one, then
        units of the same source that score nearly as well (or, for a list item, the rest
        of its list)."""
        scored = await self.score(question, sources)
        if scored is None:
            return []
        candidates, scores, vectors = scored.candidates, scored.scores, scored.vectors
        fits = scored.fits
        order = [int(i) for i in np.argsort(-scores, kind="stable")]
        documents = {s.index: s.hit.chunk.document_id for s in sources}
        documents_list = [documents.get(c.source) for c in candidates]
        texts, kinds = [c.text for c in candidates], [c.kind for c in candidates]
        numbers = [c.source for c in candidates]
        words = picking.question_words(question, texts, numbers, sources)
        first = picking.shape_first(
            scored.shape, order[0], scores, fits, words, documents_list, kinds, texts
        )
        first = picking.told_first(scored.shape, first, scores, fits, words, documents_list)
        first = picking.date_first(question, first, scores, words, documents_list, texts)
        defined = cells.defined_first(
            question, first, texts, kinds, documents_list, [float(x) for x in scores]
        )
        if defined != first:
            # The row defining the code asked is the whole answer: the next code's row
            # beside it is another's meaning.
            return [(candidates[defined].text, candidates[defined].source)]
        how = steps.steps_first(question, first, texts, numbers)
        if how is not None:
            # "How do I ...?": the instruction, with the unit scored first beside it in
            # the passage's order (what happens after it, or what it is for).
            return [(candidates[i].text, candidates[i].source) for i in sorted([how, first])]
        contrast = Contrast.of(question)
        first = contrast.own_first(first, order, scores, fits, texts, _RELATIVE_FLOOR)
        first = reasons.reason_first(question, first, scores, words.asked, documents_list, texts)
        best = float(scores[first])
        elsewhere = sent_elsewhere(question, candidates, first, sources)
        if elsewhere is not None:
            # The document says the question's subject is not its own: say that, not
            # its neighbouring rule (with the sentence after it, see below).
            order.remove(elsewhere)
            order.insert(0, elsewhere)
            first, best = elsewhere, float(scores[elsewhere])
        source = next(s for s in sources if s.index == candidates[first].source)
        context = f"{source.hit.document_title}\n{source.hit.chunk.section or ''}"
        if attributes.off_subject(
            question,
            Clues.of(question),
            texts[first],
            f"{context}\n{candidates[first].heading}",
            source.hit.chunk.text,
            row=candidates[first].kind == "row",
        ):
            # The best unit is about another thing than the one asked about (the gym's
            # address line for "¿tiene piscina?", another item's row): nothing here
            # answers it.
            return []
        # Per unit, whether it has the whole shape of value or list asked, or the kind of
        # value the question names ("call 999 first and then the race control number,
        # 01632 960 882" for "If a runner collapses, what number do I ring after 999?").
        answered = [
            bool(scored.held[i])
            or (
                scored.shape is not None
                and scored.shape.shape in picking.DECISIVE
                and bool(fits[i] >= picking.full_fit(scored.shape))
            )
            for i in range(len(candidates))
        ]
        follow = premise.follow_on(
            question,
            texts,
            numbers,
            documents_list,
            [float(x) for x in scores],
            first,
            {s.index: set(analysis.analyze(s.hit.document_title)) for s in sources},
            answered=answered,
            kinds=kinds,
        )
        if follow is not None:
            # The question knows its premise ("The NX-6 has been discontinued - what
            # should I buy instead?"): what follows the sentence saying it answers.
            return [(follow.text, candidates[follow.index].source)]
        if cells.named_cells(question, texts[first]) is None:
            # "the plan with unlimited callouts": a column picked by a value it holds.
            table = columns.table_answer(
                question,
                texts,
                kinds,
                documents_list,
                [float(x) for x in scores],
                first,
                asks_value=scored.shape is not None and scored.shape.shape in picking.DECISIVE,
                answered=answered,
            )
            if table is not None:
                return [(table[1], candidates[table[0]].source)]
        picked = [first]
        length = len(candidates[first].text)
        if candidates[first].kind == "item":
            # The items whose range excludes the amount stated are other cases ("Under
            # 16: free" beside "65 and over: £3" for "I'm 67"): not quoted.
            others = [i for i in _list_of(candidates, first) if i != first]
            rest = [i for i in others if scored.ranged[i] >= 0][: _MAX_ITEMS - 1]
            picked += [i for i in rest if length + len(candidates[i].text) <= _MAX_CHARS]
            return [(candidates[i].text, candidates[i].source) for i in picked]
        if words.foreign[first] and scored.held[first]:
            # A telephone number or an e-mail address in another language than the
            # question's stands alone: no word of the question tells it from the other
            # numbers around it (the workshop's after the tow truck's).
            return [(_quoted(question, candidates[first]), candidates[first].source)]
        follower = first + 1
        because = reasons.reason_after(question, first, texts, numbers, kinds)
        if because is not None and length + len(texts[because]) <= _MAX_CHARS:
            # "Why ...?": the fact asked about, then the sentence saying why.
            picked.append(because)
            length += len(texts[because])
        elif (
            follower < len(candidates)
            and candidates[follower].source == candidates[first].source
            and candidates[first].kind == candidates[follower].kind == "sentence"
            and anaphora.continues(candidates[follower].text)
            and length + len(candidates[follower].text) <= _MAX_CHARS
        ):
            picked.append(follower)
            length += len(candidates[follower].text)
        for i in order[1:]:
            if i in picked:
                continue
            if len(picked) >= _MAX_SENTENCES or scores[i] < best - _RELATIVE_FLOOR:
                break
            if candidates[i].source != candidates[first].source:
                continue
            if (
                not picking.answers_too(i, first, words, fits, scored.shape)
                or not picking.dated_too(question, i, first, texts)
                or rates.other_period(question, texts[i])
                or contrast.other(texts[i])
                or scored.ranged[i] < 0
            ):
                # Beside "Gross vehicle weight: 26,000 kg", the chassis row says no weight;
                # the rule after the answer is not what was asked; nor the hourly rate
                # after the monthly price asked (rates.py: "/h", 每小时), nor a unit about
                # another period or group the question's words name (contrast.py: the
                # children's fee beside the adults'), nor a unit whose range excludes the
                # amount the question states (ranges.py: the guitar class for ages 8 - 12
                # beside the one for 13 - 17, asked for a boy of 14).
                continue
            if any(float(vectors[i] @ vectors[j]) > _REDUNDANT for j in picked):
                continue
            if length + len(candidates[i].text) > _MAX_CHARS:
                continue
            picked.append(i)
            length += len(candidates[i].text)
        before = first - 1
        if (
            before >= 0
            and before not in picked
            and candidates[before].source == candidates[first].source
            and candidates[before].kind == candidates[first].kind == "sentence"
            and anaphora.refers_back(candidates[first].text)
            and length + len(candidates[before].text) <= _MAX_CHARS
        ):
            # "If you are claiming on one of these policies, ...": the policies are named
            # in the sentence before it, which is quoted first.
            picked.insert(0, before)
        quoted = [(_quoted(question, candidates[i]), candidates[i].source) for i in picked]
        # "In which version ...?": the heading naming the release, before its sentence.
        section = source.hit.chunk.section or ""
        if heading := containers.heading_for(question, quoted[0][0], section):
            quoted[0] = (f"{heading}: {quoted[0][0]}", quoted[0][1])
        return quoted


def _quoted(question: str, candidate: _Candidate) -> str:
    """What of `candidate` to quote: a table row cut to the cell the question names by its
    column ("on Thursdays", "the HX-9": `cells.named_cells`), else the whole unit."""
    if candidate.kind == "row":
        return cells.named_cells(question, candidate.text) or candidate.text
    return candidate.text


def _sources_saying(sentence: str, index: int, sources: Sequence[Source]) -> list[int]:
    """Source `index`, then every other source of another document whose passage holds
    `sentence` word for word: the same handbook uploaded as .txt and as .docx says it in
    both, and the answer cites both."""
    numbers = [index]
    folded = " ".join(sentence.split())
    own = next((s.hit.chunk.document_id for s in sources if s.index == index), None)
    seen = {own}
    for source in sources:
        document = source.hit.chunk.document_id
        if document in seen:
            continue
        if folded in " ".join(source.hit.chunk.text.split()):
            numbers.append(source.index)
            seen.add(document)
    return numbers


def _list_of(candidates: list[_Candidate], index: int) -> list[int]:
    """The items of the list that candidate `index` belongs to (consecutive items of one
    source), in order."""
    source = candidates[index].source
    run = [index]
    i = index - 1
    while i >= 0 and candidates[i].source == source and candidates[i].kind == "item":
        run.insert(0, i)
        i -= 1
    i = index + 1
    while i < len(candidates) and candidates[i].source == source and candidates[i].kind == "item":
        run.append(i)
        i += 1
    return run
