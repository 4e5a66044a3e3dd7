"""The standalone question of a follow-up in Chinese and Arabic, made locally: the rules of
`followup.py` (a connective or an elliptical question gives a fragment that replaces its
counterpart; a pronoun gets its referent in parentheses) for two languages its word rules
do not fit. Deterministic, no model, no segmenter.

Chinese is written without spaces, so it is read by characters:

- a follow-up refers back when it opens with a connective ("那", "那么", "还有", "至于"),
  ends with the particle 呢 ("那兼职员工呢？": the fragment is what stands before it), holds
  a third-person pronoun or demonstrative ("它", "他们", "这个"), or leaves its subject out
  (three content characters or fewer once the question words and particles are gone:
  "是带薪的吗？");
- the fragment's head is the end of a noun phrase (Chinese modifiers come first): the
  longest end of the fragment found in the previous question marks the counterpart, and
  the characters before it there, as many as the fragment's modifier and no further than
  a boundary (的, punctuation, a question word), are replaced: "全职员工每年有几天年假？" +
  "那兼职员工呢？" -> "兼职员工每年有几天年假？";
- "它的 X" names the owner of X: the previous question's phrase before its first 的.

Arabic writes words apart but attaches the conjunction و and pronouns to them ("وفرع",
"سعرها"): words are compared by their Snowball stems, which take those off. Noun phrases
are head-first ("فرع النخيل"), so a fragment's counterpart starts with the word of the
same stem as the fragment's first content word. An attached pronoun counts as anaphoric on
a short question only, or on a preposition ("فيها", "عنه") of a question naming four things
at most (a longer one may hold a resumptive "عليها" that refers inside itself),
and a "هو"/"هي" right after "ما"/"من" is the copula ("ما هي ساعات ..."), not a pronoun.

Either way, a question that does none of this, however it starts, is kept as asked: no
subject is carried over on a change of topic.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import cache

import Stemmer

from docent.search import languages as lang

# --- Chinese ---------------------------------------------------------------------------

#: Openings that continue the previous question ("那兼职员工呢？", "还有夜班？").
_ZH_CONNECTIVES = ("那如果是", "如果是", "那么", "还有", "另外", "至于", "那", "而", "和")
#: Third-person pronouns and demonstratives (longest first: "那个" before the connective "那").
_ZH_PRONOUNS = ("它们", "他们", "她们", "这个", "那个", "这些", "那些", "这里", "那里", "这项",
                "这种", "它", "他", "她", "这")  # fmt: skip
#: Pronouns for a thing, whose "的" names an owner ("它的噪音").
_ZH_THINGS = {"它", "它们", "这个", "那个", "这些", "那些", "这项", "这种", "这"}
#: Question words, with the measure word a 几 asks for ("几天", "几年"), and particles: what
#: is left of a question without them is what it is about.
_ZH_ASKING = re.compile(
    r"请问|哪一[天个年种项]|是多少|多少钱|多少|是什么|什么时候|什么|在哪里|哪里|哪儿|哪个|哪些|哪|是谁|谁|怎么样|"
    r"怎么|如何|多久|多长时间|多长|多大|多高|几[天年个次周月岁号点种位名条项]?|为什么|是否|吗|呢|么"
)
#: Characters that say little of the subject: copulas, light verbs, particles.
_ZH_LIGHT = set("是的了吗呢吧啊有要会能可以在都也还就和与及或")
#: Where a phrase ends: punctuation, 的, and the parentheses of an earlier rewrite.
_ZH_BOUNDARY = set("的，。？！?!,.;；:：、（）() ")
_ZH_END = "？?。！!．. "
#: Words that compare with, or place inside, what was asked before: a question holding one
#: may leave its subject out though it names a few things ("包括麻醉吗？").
_ZH_REFERS_BACK = ("包括", "包含", "更便宜", "更贵", "便宜", "打折", "报销", "免费", "另外收费")
_ZH_IMPLIED_CHARS = 6
#: A Chinese follow-up with this many content characters or fewer leaves its subject out.
_ZH_ELLIPTICAL_CHARS = 3
#: After a connective, a whole question with this many content characters or fewer does.
_ZH_CONNECTED_CHARS = 4


def zh_standalone(question: str, before: str) -> str:
    """`question` (Chinese) made to stand alone after the previous standalone question
    `before`; unchanged when it does not refer back (see the module docstring)."""
    body = question.rstrip(_ZH_END)
    tail = question[len(body) :] or "？"
    rest = body
    connective = next((c for c in _ZH_CONNECTIVES if body.startswith(c) and not
                       any(body.startswith(p) for p in _ZH_PRONOUNS)), None)  # fmt: skip
    if connective:
        rest = body[len(connective) :].lstrip("，, ")
    ends_ne = rest.endswith("呢")
    if ends_ne:
        rest = rest[:-1].removesuffix("的")
    asks = bool(_ZH_ASKING.search(rest)) if not ends_ne else False
    pronoun = _zh_pronoun(body)
    if (connective or ends_ne) and rest and not asks and pronoun is None:
        return _zh_substitute(rest, before, tail)
    if pronoun is not None:
        start, end = pronoun
        # "它的噪音": the thing's owner; "他的分机号": the person asked about, all of it;
        # "那它有多重？" after "KJ-300的额定功率是多少？": a wh-question about "它" asks
        # another attribute of the thing, the owner too (a yes/no one asks about the
        # attribute: "它是带薪的吗？")
        thing = body[start:end] in _ZH_THINGS
        wh = bool(_ZH_WH.search(body[end:]))
        owner = thing and (body[end : end + 1] == "的" or wh)
        referent = _zh_referent(before, owner=owner)
        if not referent or set(_zh_content(referent)) <= set(_zh_content(body)):
            return question
        return f"{body[:end]}（{referent}）{body[end:]}{tail}"
    content = _zh_content(rest)
    limit = _ZH_CONNECTED_CHARS if connective else _ZH_ELLIPTICAL_CHARS
    if any(word in rest for word in _ZH_REFERS_BACK):  # "包括麻醉吗？", "学生更便宜吗？"
        limit = _ZH_IMPLIED_CHARS
    if len(content) <= limit and (asks or connective):
        referent = _zh_referent(before)
        if referent and not set(_zh_content(referent)) <= set(content):
            return f"{body}（{referent}）{tail}"
    return question


def _zh_pronoun(body: str) -> tuple[int, int] | None:
    """Where the first pronoun of `body` is (start, end), not inside another word
    ("其他" is "other", "这样" "so")."""
    for i in range(len(body)):
        if body[i - 1 : i] == "其":
            continue
        for pronoun in _ZH_PRONOUNS:
            if (
                body.startswith(pronoun, i)
                and body[i + len(pronoun) : i + len(pronoun) + 1] != "样"
            ):
                return i, i + len(pronoun)
    return None


def _zh_content(text: str) -> str:
    """The characters of `text` that say what it is about (question words, particles,
    light verbs and punctuation gone)."""
    text = _ZH_ASKING.sub("", re.sub(r"（[^）]*）", "", text))
    return "".join(c for c in text if c not in _ZH_LIGHT and c not in _ZH_BOUNDARY)


def _zh_referent(before: str, *, owner: bool = False) -> str:
    """What a pronoun stands for: the previous question without its question words and
    particles ("华岳物流苏州仓的安全主管是谁？" -> "华岳物流苏州仓的安全主管"); `owner` ("它的
    保修期"): its phrase before the first 的, the owner of what it asked about."""
    # an earlier rewrite's referent, in parentheses, is part of the subject: kept
    text = before.replace("（", "").replace("）", "").rstrip(_ZH_END)
    if owner and "的" in text.strip("的"):
        head = text.split("的", 1)[0].strip()
        if len(_zh_content(head)) >= 2:
            return head
    pieces = [p.strip("的，, 、") for p in _ZH_ASKING.split(text)]
    return "".join(p for p in pieces if p).strip("的")


def _zh_substitute(fragment: str, before: str, tail: str) -> str:
    """The previous question with `fragment` in place of its counterpart: the phrase that
    ends with the same head (the longest end of the fragment found there), or the same kind
    of entity (a code or a number: "KJ-400" for "KJ-300"); else the fragment is added as
    the new qualification ("..., 实习生呢？")."""
    base = before.rstrip(_ZH_END)
    for size in range(len(fragment), 0, -1):
        head = fragment[-size:]
        if size == 1 and (head in _ZH_LIGHT or head in _ZH_BOUNDARY or not head.strip()):
            break
        at = base.find(head)
        if at < 0:
            continue
        modifier = fragment[:-size]
        start = at
        while start > 0 and at - start < len(modifier) and base[start - 1] not in _ZH_BOUNDARY:
            start -= 1
        if start == at and modifier and at > 0 and base[at - 1] not in _ZH_BOUNDARY:
            break  # nothing to replace before the head: it is inside another word
        return f"{base[:start]}{fragment}{base[at + size :]}{tail}"
    entity = _ENTITY.search(fragment)
    if entity and entity.group() == fragment.strip():
        old = _ENTITY.search(base)
        if old:
            return f"{base[: old.start()]}{entity.group()}{base[old.end() :]}{tail}"
    # "苏州仓的灭火器多久检查一次？" + "那消防演练呢？": the head noun of the subject (after
    # its last 的, before the question word, when the verb comes after that: "检查一次";
    # in "整机保修几年" the verb is before it, inside what would be replaced) is what a
    # noun fragment replaces
    asking = _ZH_ASKING.search(base)
    subject = base[: asking.start()] if asking else ""
    predicate = _zh_content(base[asking.end() :]) if asking else ""
    if "的" in subject and predicate and not _ENTITY.fullmatch(fragment.strip()):
        head_at = subject.rindex("的") + 1
        head = subject[head_at:]
        if 0 < len(_zh_content(head)) <= _ZH_HEAD_CHARS:
            return f"{base[:head_at]}{fragment}{base[len(subject) :]}{tail}"
    return f"{base}，{fragment}呢{tail}"


#: Question words proper (not the particles 吗, 呢): where a question's subject ends.
_ZH_WH = re.compile(r"多少|什么|哪|谁|怎么|如何|多久|多长|多大|多高|多重|多远|几|为什么|是否")
#: The longest head noun (in content characters) a fragment replaces.
_ZH_HEAD_CHARS = 6

#: A code or a number written in Latin letters and digits ("KJ-300", "2025", "E5").
_ENTITY = re.compile(r"[A-Za-z]*\d[\w.-]*|[A-Z][A-Za-z]+(?:[- ][A-Za-z0-9]+)*")

# --- Arabic ----------------------------------------------------------------------------

_AR_CONNECTIVES = ("وماذا بالنسبة", "ماذا بالنسبة", "وماذا بشأن", "ماذا بشأن", "وماذا عن",
                   "ماذا عن", "وما بالنسبة", "وبالنسبة", "بالنسبة", "وكذلك", "وأيضا", "وأيضاً")  # fmt: skip
_AR_QUESTION_WORDS = {"ما", "ماذا", "متى", "أين", "اين", "كم", "من", "هل", "كيف", "لماذا", "أي",
                      "وما", "ومتى", "وأين", "وكم", "ومن", "وهل", "وكيف", "ولماذا", "وأي"}  # fmt: skip
_AR_PRONOUNS = {"هو", "هي", "هم", "هن", "هذا", "هذه", "ذلك", "تلك", "هؤلاء", "أولئك", "هناك",
                "وهو", "وهي", "وهذا", "وهذه", "وذلك"}  # fmt: skip
#: The word after these is the unit or kind asked for ("كم يوماً", "أي طابق"), not the subject.
_AR_UNIT_ASKED = {"كم", "وكم", "أي", "وأي", "اي"}
#: After these, "هو"/"هي" is the copula of the question ("ما هي", "من هو").
_AR_COPULA_AFTER = {"ما", "من", "وما", "ومن", "ماذا"}
#: A preposition with an attached pronoun ("فيها", "عنه", "بها").
_AR_PRONOUN_PREPOSITIONS = re.compile(r"^و?(?:في|عن|ب|ل|من|على|عل|إلي|الي|مع)(?:ها|هم|هما|ه)$")
#: Prepositions a fragment may start with ("في الرياض", "يوم الجمعة").
_AR_PREPOSITIONS = {"في", "ل", "على", "عن", "من", "إلى", "الى", "مع", "خلال", "بعد", "قبل",
                    "يوم", "لدى", "عند", "وفي", "ولل", "وعلى", "وخلال", "ويوم"}  # fmt: skip
#: Words the stop list misses that never name a subject (light verbs, particles).
_AR_LIGHT = {"يمكن", "يجب", "يتم", "تتم", "ستتم", "يكون", "تكون", "يوجد", "توجد", "هناك",
             "أيضا", "أيضاً", "فقط", "كان", "كانت", "سيصبح", "ستصبح", "يصبح", "تصبح", "عليها",
             "عليه", "فيها", "فيه", "لها", "له", "بها", "به", "منها", "منه", "عنها", "عنه", "حتى",
             "دون", "بدون", "يقع", "تقع", "يبدأ", "تبدأ"}  # fmt: skip
_AR_TOKEN = re.compile(r"[\w\u064b-\u0652\u0640]+")
_AR_MARKS = re.compile(r"[\u064b-\u0652\u0640]")  # short vowels, tatweel
_AR_END = "؟?.!، "
#: Words that compare with, or place inside, what was asked before (include, cheaper,
#: less, more, free, refunded).
_AR_REFERS_BACK = {"يشمل", "تشمل", "يتضمن", "تتضمن", "أرخص", "أقل", "أكثر", "مجاني", "مجانية",
                   "مشمول", "مشمولة", "يسترد", "مستردة"}  # fmt: skip
#: An attached pronoun ("سعرها") refers back only in a question of this many words at most.
_AR_SHORT_WORDS = 4


@dataclass(frozen=True, slots=True)
class _Word:
    text: str
    start: int
    end: int
    stem: str
    content: bool


@cache
def _ar_stemmer() -> Stemmer.Stemmer:
    return Stemmer.Stemmer("arabic")


def _ar_words(text: str) -> list[_Word]:
    stop = lang.stop_words("ar") | _AR_LIGHT | _AR_QUESTION_WORDS | _AR_PRONOUNS
    words = []
    for match in _AR_TOKEN.finditer(text):
        raw = match.group()
        plain = _AR_MARKS.sub("", raw)
        content = plain not in stop and plain.removeprefix("و") not in stop
        words.append(_Word(raw, match.start(), match.end(), _ar_stemmer().stemWord(plain), content))
    return words


def ar_standalone(question: str, before: str) -> str:
    """`question` (Arabic) made to stand alone after the previous standalone question
    `before`; unchanged when it does not refer back (see the module docstring)."""
    body = question.rstrip(_AR_END)
    tail = question[len(body) :] or "؟"
    words = _ar_words(body)
    if not words:
        return question
    fragment_start = next((len(c) for c in _AR_CONNECTIVES if body.startswith(c)), None)
    content = [w for w in words if w.content]
    asks = any(_AR_MARKS.sub("", w.text) in _AR_QUESTION_WORDS for w in words)
    if fragment_start is None and not asks and len(words) <= 3:
        # elliptical: "وفرع الملز؟", "وفي الرياض؟" (the conjunction on its first word)
        fragment_start = 1 if body.startswith("و") and len(words[0].text) > 2 else 0
    if fragment_start is not None and not asks:
        fragment = body[fragment_start:].strip(" ،,")
        if fragment:
            return _ar_substitute(fragment, before, tail)
    pronoun = _ar_pronoun(words, len(content))
    if pronoun is not None:
        referent = _ar_referent(before)
        stems = {w.stem for w in content}
        if not referent or {w.stem for w in _ar_words(referent) if w.content} <= stems:
            return question
        return f"{body[: pronoun.end]} ({referent}){body[pronoun.end :]}{tail}"
    implied = words[0].text in {"هل", "وهل"} and any(
        _AR_MARKS.sub("", w.text).removeprefix("و") in _AR_REFERS_BACK for w in words
    )
    if (fragment_start is not None or implied) and len(content) <= 2:
        # "وماذا عن ..." followed by a question that leaves its subject out; a yes/no
        # question that compares with or places inside it ("هل يشمل التخدير؟")
        referent = _ar_referent(before)
        if referent:
            return f"{body} ({referent}){tail}"
    return question


def _ar_pronoun(words: list[_Word], content_words: int) -> _Word | None:
    """The first anaphoric pronoun: a free one ("ذلك", "هي" but not the copula after
    "ما"/"من"), or on a short question a suffix ("سعرها", "عنه")."""
    for i, word in enumerate(words):
        plain = _AR_MARKS.sub("", word.text)
        previous = _AR_MARKS.sub("", words[i - 1].text) if i else ""
        if plain in _AR_PRONOUNS:
            if plain in {"هو", "هي", "هم"} and previous in _AR_COPULA_AFTER:
                continue
            return word
        attached = plain.endswith(("ها", "هم", "هما")) or (plain.endswith("ه") and len(plain) >= 3)
        if (
            attached
            and not plain.startswith(("ال", "وال"))
            and plain not in _AR_QUESTION_WORDS
            and (
                (len(words) <= _AR_SHORT_WORDS and content_words <= 2)
                or (_AR_PRONOUN_PREPOSITIONS.match(plain) and content_words <= _AR_SHORT_WORDS)
            )
        ):
            return word
    return None


def _ar_referent(before: str) -> str:
    """What a pronoun stands for: the previous question's content words, in their runs,
    less the unit "كم" or "أي" asks for ("كم يوماً", "أي طابق"), joined by "، "."""
    # an earlier rewrite's referent, in parentheses, is part of the subject: kept
    text = before.replace("(", "").replace(")", "")
    words = _ar_words(text)
    runs: list[list[_Word]] = []
    current: list[_Word] = []
    for i, word in enumerate(words):
        after_kam = i > 0 and _AR_MARKS.sub("", words[i - 1].text) in _AR_UNIT_ASKED
        if word.content and not after_kam:
            current.append(word)
        elif current:
            runs.append(current)
            current = []
    if current:
        runs.append(current)
    return "، ".join(text[run[0].start : run[-1].end] for run in runs)


def _ar_substitute(fragment: str, before: str, tail: str) -> str:
    """The previous question with `fragment` in place of its counterpart: the phrase that
    starts with a word of the same stem as the fragment's first content word, as long as
    the fragment's phrase ("فرع النخيل" -> "فرع الملز"); or the phrase after the same
    preposition; else the fragment is added as the new qualification ("...، للمتدربين؟")."""
    base = before.rstrip(_AR_END)
    words = _ar_words(base)
    fragment_words = _ar_words(fragment)
    content = [w for w in fragment_words if w.content]
    if not content:
        return f"{base}{tail}"
    first = content[0]
    for i, word in enumerate(words):
        if word.content and word.stem == first.stem:
            end = i
            while (
                end + 1 < len(words)
                and end + 1 - i < len(fragment_words) - fragment_words.index(first)
                and words[end + 1].content
            ):
                end += 1
            phrase = fragment[first.start :]
            return f"{base[: word.start]}{phrase}{base[words[end].end :]}{tail}"
    opener = _AR_MARKS.sub("", fragment_words[0].text)
    if opener in _AR_PREPOSITIONS:
        key = opener.removeprefix("و")
        for i, word in enumerate(words[:-1]):
            if _AR_MARKS.sub("", word.text) == key and words[i + 1].content:
                end = i + 1
                while end + 1 < len(words) and words[end + 1].content:
                    end += 1
                rest = fragment[fragment_words[1].start :] if len(fragment_words) > 1 else ""
                if rest:
                    return f"{base[: words[i + 1].start]}{rest}{base[words[end].end :]}{tail}"
    return f"{base}، {fragment}{tail}"
