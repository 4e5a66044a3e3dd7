"""The "not found" answer, in the question's language.

A question asked in German is told in German that its documents hold no answer. The
language is detected as the rest of answering detects it (`search.languages.detect`: the
script for Chinese, Japanese and Arabic, stop words and langdetect for the others); a
language without a message here, or a question too short to tell, gets English. The table
covers the languages of the dev set (`eval/devset`: en, de, fr, es, zh, ar).
"""

from __future__ import annotations

from docent.search import languages

#: The English message is the one clients have always seen ("could not find" is in it).
NOT_FOUND = "I could not find an answer to this question in your documents."
#: ISO 639-1 code -> the message in that language.
MESSAGES = {
    "en": NOT_FOUND,
    "de": "Ich konnte in Ihren Dokumenten keine Antwort auf diese Frage finden.",
    "fr": "Je n'ai pas trouvé de réponse à cette question dans vos documents.",
    "es": "No he encontrado una respuesta a esta pregunta en sus documentos.",
    "zh": "在您的文档中找不到这个问题的答案。",
    "ar": "لم أجد إجابة عن هذا السؤال في مستنداتك.",
}


def not_found(question: str) -> str:
    """The "not found" answer for `question`, in its language (`MESSAGES`), else English."""
    return MESSAGES.get(languages.detect(question).language, NOT_FOUND)
