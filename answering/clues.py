"""What of a question a passage must hold to be keyword evidence for it (the not-found
gate's, answering/grounding.py): its words, its names and codes, the form of its answer
(`asked.py`), and the helpers that read a question and a passage alike (its script, its
names and codes, a document's letterhead).
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from docent.answering import asked, clock, shapes, synonyms
from docent.answering.gates import PASS, Verdict, check, refused
from docent.answering.texts import (
    bare,
    code_in_name,
    context,
    fold,
    has_word,
    letterhead,
    passage,
    script,
    table_headers,
    terms_of,
)
from docent.answering.vocabulary import INTERROGATIVES, LIGHT_VERBS, count_compound, stated_amounts
from docent.search import analysis
from docent.search import languages as lang

# Read from here by the answering modules written before texts.py.
__all__ = [
    "Clues",
    "bare",
    "code_in_name",
    "context",
    "letterhead",
    "names_and_codes",
    "passage",
    "script",
    "terms_of",
]

#: Keyword evidence: more than this share of the question's terms, weighted, found in one
#: passage (2 of 3 plain terms, or a name of two words and one more term of four; 3 of 5 is
#: not enough), and at least two terms. Names and codes weigh `NAME_WEIGHT` plain terms:
#: they are rare, and what the question is about. Measured on the dev set (eval/devset)
#: with `docent eval` and the retrieved passages of its questions: from 0.66 down to 0.61
#: two more answerable questions are grounded, no unanswerable one; 0.55: three near-misses.
KEYWORD_SHARE = 0.61
NAME_WEIGHT = 2.0
#: Keyword evidence also needs this share of the question's other terms (not names or
#: codes) in the passage itself. Measured on the dev set with `docent eval`: near-miss
#: questions found by a name in the title ("the Brevena CM-40 ... in decibels") fall
#: below it; the directory's "Marta Kowalczyk ... phone extension" (extension, not phone)
#: reaches it.
ASKED_SHARE = 0.5
#: The shortest German term found as a compound's part ("jahr" in "jahresbeitrag");
#: the compound is at least twice that less one ("tagesgeld" holds "tages").
_COMPOUND_PART = 4

# A code: letters and digits joined, or with a hyphen, slash or dot ("WH-147", "KJ-300",
# "3.4.0", "A4", "G.12"); a name: a capitalised word that does not start the question.
# Han, kana and Hangul are left out of tokens: a CJK question has no spaces, and "KJ-300的滤网"
# is the code "KJ-300" followed by Chinese words, not one code.
_NOT_CJK = r"[^\W\u3040-\u30ff\u3400-\u4dbf\u4e00-\u9fff\uac00-\ud7af\uf900-\ufaff]+"
_TOKEN = re.compile(rf"{_NOT_CJK}(?:[-/.]{_NOT_CJK})*")
# Han and kana, as search/analysis.py cuts them into bigrams.
_CJK_CHAR = re.compile(r"[\u3040-\u30ff\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff]")
#: Chinese interrogatives (how many, what, which, who, how, 哪里 where, 多久 how long,
#: 多少 how much), the question's and never the answer's, and the commonest function
#: characters (的 是 在 了), which say nothing of the subject: not counted among the
#: characters a passage must hold.
_CJK_QUESTION_CHARS = frozenset("几吗呢么什哪谁怎何的是在了久里儿少多")
#: Scripts without capital letters (`script` names): their names are told by the title.
_UNCASED = frozenset(["CJK", "ARABIC", "HEBREW"])
#: Languages that capitalise every noun: a capital there does not make a word a name.
CAPITALISED_NOUNS = frozenset(["de", "lb"])


@dataclass(frozen=True, slots=True)
class Clues:
    """What of a question a passage must contain to be keyword evidence."""

    #: The question's words (no stop words, no interrogatives), each as its analysed terms
    #: (its stems in each language the question is read as) with its weight: a word is in
    #: a passage when one of its terms is.
    words: tuple[tuple[frozenset[str], float], ...]
    #: Codes ("WH-147", "KJ-300"), case-folded: found as a whole word in a passage, they
    #: name what it is about.
    codes: tuple[str, ...]
    script: str | None
    #: The question's names (not codes), each as its terms: a passage whose context
    #: (title, letterhead, section, text) lacks one is about another entity ("Norvale's
    #: Q2 revenue in Africa" against a table of EMEA, Americas and APAC).
    names: tuple[frozenset[str], ...] = ()
    #: The same names as written, case and accents folded (`_bare`).
    name_words: tuple[str, ...] = ()
    #: What the answer must hold (`asked.form_of`), and the terms of the words that ask
    #: for it ("cost", "prix"), which the answer's unit need not repeat.
    form: asked.Form | None = None
    form_terms: frozenset[str] = frozenset()
    #: The question's figures and codes, case-folded: not values of its answer.
    figures: tuple[str, ...] = ()
    #: The terms of the word a "how many" question counts (`asked.counted`).
    counted: frozenset[str] = frozenset()
    #: The question's names and codes in Latin letters, case-folded (`signed`).
    signs: tuple[str, ...] = ()
    #: Whether the question is read as German, which writes compounds as one word: its
    #: terms are then also found as a compound's first or last part (`held`).
    compounds: bool = False
    #: The terms of the question's light verbs (`vocabulary.LIGHT_VERBS`): in `words`,
    #: but not counted in the share of its words a passage must hold (`share`) nor among
    #: the two it must hold at least; the words it asks about (`topic`) keep them.
    light: frozenset[str] = frozenset()
    #: For a question asking for a time of day (`asked.Form.CLOCK`: "Until what time can I
    #: do my washing?"), the terms of the words asking for it ("until", "time", "heure":
    #: `clock.CLOCK_WORDS`):
    #: in `words`, but not counted when telling a question of one word (`one_word_evidence`).
    clock_terms: frozenset[str] = frozenset()

    @classmethod
    def of(cls, question: str) -> Clues:
        # A count joined to its noun ("the 8-channel recorder", "a 16-port switch") names
        # no product: a data sheet writes the count in a row ("Camera channels | 4 | 8"),
        # never the compound, so it is read as its words, not as a code to find.
        # Nor is a duration or a sum the asker states ("called out for 40 minutes").
        amounts = stated_amounts(question)
        named = [n for n in names_and_codes(question) if not count_compound(n) and n not in amounts]
        languages = analysis.text_languages(question)
        # The names analysed as the question is (its stems): each variant weighs as a name.
        heavy = set(analysis.analyze(" ".join(named), languages))
        interrogative = {
            term for word in INTERROGATIVES for term in analysis.word_terms(word, languages)
        }
        light_verbs = {
            term for word in LIGHT_VERBS for term in analysis.word_terms(word, languages)
        }
        form = asked.form_of(question)
        # "Until what time": the words asking for a time of day ask, but the passage must
        # still hold them as before, but for a question of one word besides them.
        clock_words = (
            {term for word in clock.CLOCK_WORDS for term in analysis.word_terms(word, languages)}
            if form is asked.Form.CLOCK
            else set()
        )
        words = []
        light: set[str] = set()
        asking_clock: set[str] = set()
        own = [
            frozenset(t for t in variants if len(t) > 1 or not t.isascii())
            for variants in analysis.query_words(question, languages)
        ]
        for terms in own:
            if terms and not terms & interrogative:
                if terms & light_verbs and not terms & heavy:
                    light.update(terms)
                if terms & clock_words:
                    asking_clock.update(terms)
                if terms & heavy:
                    words.append((terms, NAME_WEIGHT))
                else:
                    # An everyday word is found where a passage says it in the register's
                    # words ("ring" where it says "telephone": `synonyms`), but not by
                    # another word of the question: in "one wash in the laundry room",
                    # "laundry" is its own word, and a passage saying it holds no wash.
                    others = frozenset().union(*(o for o in own if o != terms)) - terms
                    words.append((synonyms.widen(terms) - others, 1.0))
        # Codes with a digit: an acronym ("EV") may be written out in the passage.
        codes = tuple(dict.fromkeys(n.casefold() for n in named if any(c.isdigit() for c in n)))
        name_terms = {
            n: frozenset(analysis.analyze(n, languages)) for n in named if not _is_code(n)
        }
        kept = {n: t for n, t in name_terms.items() if t}
        names = tuple(kept.values())
        name_words = tuple(bare(n) for n in kept)
        form_terms = frozenset(
            t
            for m in asked.PRICE_WORDS.finditer(question)
            for t in analysis.analyze(m.group(), languages)
        )
        figures = tuple(
            dict.fromkeys(
                m.group().casefold()
                for m in _TOKEN.finditer(question)
                if any(c.isdigit() for c in m.group())
            )
        )
        counted = frozenset(analysis.analyze(asked.counted(question) or "", languages))
        return cls(
            tuple(words),
            codes,
            script(question),
            names,
            name_words,
            form,
            form_terms,
            figures,
            counted,
            _latin_signs(question, named),
            "de" in languages,
            frozenset(light),
            frozenset(asking_clock),
        )

    def held(self, text: str) -> set[str]:
        """The terms of `text`, and for a German question those of its terms that are the
        first or last part of a compound in `text` ("jahr" in "Jahresbeiträge", "miete" in
        "Monatsmiete"), or a compound whose first or last part `text` writes alone
        ("Rollstuhlfahrer" where it says "Rollstuhl", "anmelden" where "melden ... an")."""
        found = terms_of(text)
        if not self.compounds:
            return found
        wanted = [t for t in self.weights if len(t) >= _COMPOUND_PART and t not in found]
        whole = 2 * _COMPOUND_PART - 1
        longer, parts = [w for w in found if len(w) >= whole], [w for w in found if len(w) >= 4]
        return found | {
            t
            for t in wanted
            if any(w != t and (w.startswith(t) or w.endswith(t)) for w in longer)
            or _plural_s(t) in found
            or (len(t) >= whole and any(t.startswith(w) or t.endswith(w) for w in parts))
        }

    @property
    def weights(self) -> dict[str, float]:
        """Every term of the question's words, with its word's weight."""
        return {t: weight for terms, weight in self.words for t in terms}

    def keyword_evidence(
        self,
        text: str,
        passage: str | None = None,
        title: str = "",
        section: str = "",
        *,
        document: set[str] | None = None,
        document_text: str = "",
    ) -> Verdict:
        """Whether `text` (a passage in its context: title, section, text) holds enough of
        the question's terms to be about it (a `Verdict`: the gate that refused it).

        Names and codes say which document a question is about; its other words say what
        it asks of it. So besides the share over `text`, the question's other words (when
        there are two or more) must be at least half in `passage` itself (its section and
        text: not the `title`, which every passage of the document shares) unless one of
        the question's codes is in the passage and not in the title; and when the question
        has codes, one of them must be in `text`: "How loud is the Brevena CM-40 in decibels?" is not
        answered by the manual's title line, nor "a box of A5 paper" by the A4 row.

        A CJK or Arabic question has no capitals to tell its names by: its terms that the
        document's `title` or the passage's `section` path hold are taken for its subject,
        and at least half of the others must be in the passage's text ("星河项目的预算是多少？"
        is not answered by a passage under "星河项目周例会纪要" that never says 预算).
        """
        in_text = self.held(text)
        found = in_text & self.weights.keys()
        if (words := sum(bool(t & found) for t, _ in self.words if not t & self.light)) < 2:
            one = self.one_word_evidence(passage, title, section)
            return PASS if one else refused("keyword-words", words, 2)
        if (share := self.share(found)) < KEYWORD_SHARE:
            return refused("keyword-share", share, KEYWORD_SHARE)
        if self.codes and not any(has_word(fold(text), code) for code in self.codes):
            return refused("keyword-code")
        if not self.names_in(document or in_text, document_text or bare(text)):
            return refused("keyword-names")
        if passage is None:
            return PASS
        body = passage.removeprefix(section).lstrip("\n")
        subject = terms_of(f"{title}\n{section}")
        if self.script in _UNCASED:
            subjectless = self.plain - subject
            held = self.share(self.held(body) & subjectless, subjectless) if subjectless else 1.0
            if held < ASKED_SHARE:
                return refused("keyword-asked", held, ASKED_SHARE)
        # What the question asks about, besides its document's subject, the words asking
        # for a form ("cost") and the unit counted ("weeks"): at least half of it must be in
        # the passage itself ("paternity" in "How many weeks of paternity leave does Corvid
        # Analytics give?"). One such word is too little to judge by ("Wo steht das
        # Notstromaggregat?"). A code in the passage itself, not one its whole document is
        # about, points at the row or sentence that answers ("LU-04" in a maintenance plan).
        elif not (self.code_in(passage) and not self.code_in_name(title)):
            asked_about = self.topic(subject)
            if len(asked_about) >= 2:
                covered = sum(bool(terms & self.held(body)) for terms in asked_about)
                if covered / len(asked_about) < ASKED_SHARE:
                    return refused("keyword-asked", covered / len(asked_about), ASKED_SHARE)
        return check(self.states_form(body, subject, section), "keyword-form")

    def one_word_evidence(self, passage: str | None, title: str, section: str) -> bool:
        """Whether a question of one word and a form ("How long is the warranty?": the
        warranty, a duration) is answered by `passage`: the word is in the passage itself
        and a sentence of it holding the word states a value of the form ("The warranty
        ... lasts 24 months"). Two words are too many to leave to this: keyword evidence
        then needs both."""
        words = [
            (terms, weight)
            for terms, weight in self.words
            if not terms & self.light and not terms & self.clock_terms
        ]
        if passage is None or self.form is None or len(words) != 1:
            return False
        ((terms, weight),) = words
        body = passage.removeprefix(section).lstrip("\n")
        if weight >= NAME_WEIGHT or not terms & self.held(body):
            return False
        # The word is what the sentence must be about, even when the section names it.
        return self.states_form(body, terms_of(title) - terms, section)

    def answers_as_worded(self, body: str, subject: set[str], section: str = "") -> bool:
        """True unless `body` holds some of the words the question asks about (`topic`)
        without answering as keyword evidence must: at least half of them, and the form
        asked for in a sentence or row about them (`states_form`)."""
        asked_about = self.topic(subject)
        held = self.held(body)
        covered = sum(bool(terms & held) for terms in asked_about)
        if not covered:
            return True
        if covered / len(asked_about) < ASKED_SHARE:
            return False
        return self.states_form(body, subject, section)

    def names_in(self, terms: set[str], written: str) -> bool:
        """Whether every name of the question is in a document whose passages have
        `terms` and read `written` (`bare`): a name is when one of its terms is, or its
        letters are (accents aside: "Lumière" in "reglement-interieur-atelier-lumiere.docx")."""
        return all(
            name_terms & terms or re.search(rf"(?<![^\W_]){re.escape(word)}", written)
            for name_terms, word in zip(self.names, self.name_words, strict=True)
        )

    def states_form(
        self, body: str, subject: set[str], section: str = "", *, near: bool = True
    ) -> bool:
        """Whether `body` (a passage's text) states a value of the form the question asks
        for (`asked.states`) in a sentence or row about it: one holding the most of the
        question's words that are neither its document's subject (`subject`: the terms of
        its title, letterhead and section) nor the words asking for the form ("cost"), and
        of its codes. True when the question asks for no form. `near` False: any unit may
        hold it (similarity evidence: a passage in another language than the question's
        shares no words with it, and the few it shares are chance)."""
        if self.form is None:
            return True
        topic = self.topic(subject) + [terms for terms in self.names if not terms & subject]
        # Codes of the passage's rows, not of its section ("Public holidays 2025").
        codes = [
            c for c in self.codes if has_word(fold(body), c) and not has_word(fold(section), c)
        ]

        def about(unit: str) -> int:
            if not near:
                return 0
            held = self.held(unit)
            # a code heading a column names its rows' values ("| DH-12 | DH-20")
            folded = fold(f"{unit}\n{table_headers(body).get(unit.strip(), '')}")
            words = sum(bool(t & held) for t in topic)
            if codes:
                # A code in the passage names the row asked about: the value is in a unit
                # with the code and one of the words asked ("A5" in the notebook's row
                # does not price "a box of A5 copier paper").
                coded = any(has_word(folded, c) for c in codes)
                return words + 1 if coded and (words or not topic) else 0
            return words

        header = "\n".join([section, *[line for line in body.splitlines() if "|" in line][:1]])
        return asked.states(
            self.form,
            body,
            about,
            header=header,
            own=self.figures,
            share=0.5 if self.script in _UNCASED else 1.0,
            fallback=not (near and codes),
        )

    def topic(self, subject: set[str]) -> list[frozenset[str]]:
        """The question's words (each as its terms) that say what it asks about: not names
        or codes, nor in `subject` (the terms of the passage's title, letterhead and
        section), nor asking for the answer's form ("cost", "prix") or its unit ("weeks")."""
        skip = subject | self.form_terms | self.counted
        return [terms for terms, w in self.words if w < NAME_WEIGHT and not terms & skip]

    @property
    def plain(self) -> frozenset[str]:
        """The question's terms that are not names, codes or light verbs."""
        return frozenset(
            t
            for terms, w in self.words
            if w < NAME_WEIGHT and not terms & self.light
            for t in terms
        )

    def share(self, found: set[str] | frozenset[str], among: frozenset[str] | None = None) -> float:
        """The weighted share of the question's words (those with a term in `among`, or
        all) that `found` covers: a word is covered when one of its terms is found. Its
        light verbs (`light`) and the unit a count is given in (`counted`: a capacity
        column says "40", not "40 people") are not counted.

        CJK terms are character bigrams of unsegmented text, half of which straddle two
        words ("员工每年有几天年假" gives 员工 工每 每年 年有 ...), so they are counted by the
        question's characters instead: a character is found when a bigram holding it is.
        """
        words = [
            (terms, w)
            for terms, w in self.words
            if (among is None or terms & among)
            and not terms & self.light
            and not terms & self.counted
        ]
        plain = [(terms, w) for terms, w in words if not any(_CJK_CHAR.match(t) for t in terms)]
        bigrams = [min(terms) for terms, _ in words if any(_CJK_CHAR.match(t) for t in terms)]
        total = sum(w for _, w in plain)
        got = sum(w for terms, w in plain if terms & found)
        if bigrams:
            # Positions of each character in the question's bigram sequence: bigram i holds
            # characters i and i + 1 of its run (runs are joined; a boundary costs nothing).
            chars: dict[int, bool] = {}
            for i, term in enumerate(bigrams):
                hit = term in found
                for j, char in enumerate(term):
                    if char not in _CJK_QUESTION_CHARS:
                        chars[i + j] = chars.get(i + j, False) or hit
            total += len(chars)
            got += sum(chars.values())
        return got / total if total else 0.0

    def signed(self, text: str) -> bool:
        """Whether `text` is in another script than the question and writes one of its
        Latin names or codes as it does ("KJ-300", "Halden"): evidence, with similarity,
        that a Chinese or Arabic passage is about what an English question asks, or an
        English one about what a Chinese question asks ("Copperline达文特里仓库 ...")."""
        if self.script is None or script(text) in (self.script, None):
            return False
        folded = fold(text)
        return any(has_word(folded, sign) for sign in self.signs)

    def code_in(self, text: str) -> bool:
        """Whether one of the question's codes is in `text`, exactly, as a whole word."""
        folded = fold(text)
        return any(has_word(folded, code) for code in self.codes)

    def code_in_name(self, name: str) -> bool:
        """Whether one of the question's codes is in `name` (a document's title, often its
        file name), its separators aside: "brevena-cm40-manual.pdf" is about the CM-40."""
        return self.code_in(name) or any(code_in_name(code, name) for code in self.codes)


def _plural_s(term: str) -> str | None:
    """The singular of a German plural in -s after a vowel ("akkus" -> "akku", "autos"
    -> "auto", "fotos" -> "foto"), which the German stemmer keeps whole; None for other
    terms."""
    if len(term) > _COMPOUND_PART and term.endswith("s") and term[-2] in "aeiouy":
        return term[:-1]
    return None


def _is_code(token: str) -> bool:
    return any(c.isdigit() for c in token) or sum(c.isupper() for c in token) >= 2


def _everyday_word(token: str) -> bool:
    """A weekday or a month, or an everyday word in capitals ("OK", "PC", "USB"); a
    capitalised one stays a name ("Gimnasio Olivar")."""
    return shapes.is_calendar(token) or (token.isupper() and synonyms.everyday(token))


def names_and_codes(question: str) -> list[str]:
    """Words of `question` that are names or codes, as written: a token with a digit, an
    acronym or a word with a capital inside ("WH-147", "LAB-0233", "HomeKit"), or a
    capitalised word after the first ("Marta", "Kowalczyk"), except in a language that
    capitalises every noun (German: "Parkgebühren", "Dienstreisen" are no names). A
    possessive 's is dropped. Weekdays, months and everyday words ("Sunday", "OK", "PC":
    `synonyms.everyday`) are neither."""
    found: list[str] = []
    everyday = _everyday_word
    nouns_capitalised = lang.detect(question).language in CAPITALISED_NOUNS
    for i, match in enumerate(_TOKEN.finditer(question)):
        token = match.group()
        token = token[:-2] if token.endswith(("'s", "’s")) else token
        name = (
            i > 0
            and not nouns_capitalised
            and token[:1].isupper()
            and token[1:].islower()
            and token.isalpha()
        )
        # Weekdays and months are capitalised, and "OK", "PC", "USB" are capitals, but
        # none names what a document is about ("on Sunday night", "a work PC").
        if everyday(token):
            continue
        if name or _is_code(token):
            found.append(token)
    return found


def _latin_signs(question: str, named: list[str]) -> tuple[str, ...]:
    """The question's names and codes in Latin letters, case-folded; in a question of a
    script without capitals, every Latin word is one ("Copperline达文特里仓库 ...")."""
    if script(question) in _UNCASED:
        named = [m.group() for m in _TOKEN.finditer(question)]
    return tuple(dict.fromkeys(n.casefold() for n in named if script(n) == "LATIN"))
