"""The shape of the answer a question asks for, and whether a quotable unit has it.

A question's interrogative says what its answer looks like (the "expected answer type"
of question answering, as in Li and Roth's question classification, kept to the coarse
classes that an extractive answerer can check on a sentence by its surface):

- QUANTITY ("how much/many/long/big", "wie viel", "combien", "cuánto", 多少/几/多久, كم,
  or a question for a price, a fee, a cost): a figure, in digits or written out;
- TIME ("when", "what time", "wann", "quand", "cuándo", 什么时候/几点, متى): a date, a
  clock time, a month or a weekday, or a figure with a unit of time ("within 30 days");
- PERSON ("who", "wer", "qui", "quién", 谁, من at the start): a person's name, a title
  ("Dr.", "Frau", "Mme"), a role ("manager", "Leiterin", "responsable", 经理, مدير) or an
  e-mail address;
- PLACE ("where", "wo", "où", "dónde", 哪里/在哪, أين): a room, floor, building, street or
  desk, or an address figure.

A unit that has the shape asked for may answer; one that lacks it names the subject
without stating the fact ("The Tigon 4x4 is built for rough terrain." against "How heavy
is the Tigon 4x4?"). The answerer (extractive.py) adds a small bonus for the shape; it is
one signal among its others, never a filter, since the shape tests are surface patterns.
Languages: en, de, fr, es, zh, ar.
"""

from __future__ import annotations

import enum
import re
from dataclasses import dataclass

from docent.answering import vocabulary
from docent.answering.measures import TIME_UNITS, Dimension, states_measure


class Shape(enum.StrEnum):
    QUANTITY = "quantity"
    TIME = "time"
    PERSON = "person"
    PLACE = "place"
    #: Several things: "Which bills do the tenants pay?", "What's included?" (`wanted`).
    LIST = "list"


#: Where an interrogative that is also a conjunction or a relative pronoun ("when",
#: "where", "who", "wo", "quand", "où", "cuando") asks: at the start of the question, or
#: after "and" ("And where is it held?"); "Does it keep heating when the internet is
#: down?" asks yes or no.
_OPENS = r"(?:^|^(?:and|so|but|und|et|y|e|also|alors|pero)[ ,]+)[¿¡]?"
# The interrogatives, per shape. TIME is tested before QUANTITY ("wie viel Uhr", 几点 are
# times), PLACE and PERSON before both. Latin patterns are matched on the casefolded
# question; accents optional where people drop them ("cuanto", "donde").
_ASKS: tuple[tuple[Shape, re.Pattern[str]], ...] = (
    (
        Shape.TIME,
        re.compile(
            rf"{_OPENS}(?:until |till |by |since |from )?when\b|\bwhat (?:time|date|day|year|month)\b|\bwhich (?:day|date|year|month)\b"
            r"|\bhow (?:late|early)\b|\buntil what time\b|\bhasta qu[eé] hora\b|\bjusqu'à quelle heure\b|\bbis wie ?viel uhr\b"
            r"|\bwann\b|\bum wie ?viel uhr\b|\ban welchem (?:tag|datum)\b|\bwelche[ms]? (?:datum|tag|jahr|monat)\b"
            rf"|{_OPENS}(?:jusqu'à |depuis |à partir de )?quand\b|\best-ce quand\b|\bà quelle (?:heure|date)\b|\bquel jour\b|\bquelle date\b|\ben quelle année\b"
            rf"|\bcuándo\b|{_OPENS}(?:hasta |desde )?cuando\b|\ba qu[eé] hora\b|\bqu[eé] (?:d[ií]a|fecha)\b|\ben qu[eé] (?:a[nñ]o|fecha|mes)\b"
            r"|什么时候|何时|几点|哪天|哪一天|几月|几号|哪年|哪一年|什么日期|截止"
            r"|متى|أي (?:يوم|تاريخ|ساعة|وقت)"
            # the times something is open or held, asked for by their noun
            r"|\b(?:opening|office|business|working) hours\b|\böffnungszeiten\b|\bsprechzeiten\b|\barbeitszeiten\b"
            r"|\bhoraires?\b|\bheures d'ouverture\b|\bhorarios?\b|营业时间|开放时间|工作时间|مواعيد|ساعات (?:العمل|الدوام)"
        ),
    ),
    (
        Shape.PLACE,
        re.compile(
            rf"{_OPENS}(?:from |to )?where\b|{_OPENS}wo(?:hin|her)?\b|{_OPENS}(?:d'|par )?où\b|\bdónde\b|\badónde\b|{_OPENS}(?:a |de |por )?donde\b"
            r"|哪里|哪儿|在哪|什么地方|何处|أين"
            # the place asked for by its noun: "On which floor ...?", "In welchem Raum ...?"
            r"|\b(?:on|in|at|to) (?:which|what) (?:floor|room|building|level|street|office|hall|gate|entrance)\b"
            r"|^(?:and )?(?:which|what) (?:floor|room|building)\b"
            r"|\b(?:in|auf|an) welche[mr]? (?:stock|stockwerk|etage|raum|zimmer|gebäude|halle|straße|eingang)\b"
            r"|\bà quel (?:étage|endroit|bâtiment|bureau)\b|\bdans quel(?:le)? (?:salle|bâtiment|bureau|local)\b"
            r"|\ben qu[eé] (?:planta|piso|sala|edificio|oficina|calle|lugar)\b"
            r"|哪层|几楼|几层|哪个房间|哪栋|في أي (?:طابق|مبنى|غرفة|قاعة)"
        ),
    ),
    (
        Shape.PERSON,
        re.compile(
            rf"{_OPENS}(?:to |for |with |from |by )?who(?:m|se)?\b|\bwer\b|\bwem\b|\bwen\b|\bwessen\b"
            r"|(?:^|[\s'’])qui (?:est|sont|doit|peut|s'occupe|gère|dirige|contacter|valide|approuve|signe|enseigne|anime|est responsable)\b"
            r"|^(?:à |a |avec |de |par )?qui\b|\bqui[eé]n(?:es)?\b"
            r"|谁|^(?:من|لمن|مع من)\s"
        ),
    ),
    (
        Shape.QUANTITY,
        re.compile(
            r"\bhow (?:much|many|long|big|large|heavy|far|fast|high|tall|wide|old|often|deep|thick|hot|cold|warm|loud|noisy)\b"
            r"|\bwhat (?:is|are) the (?:\w+ )?(?:price|cost|fee|fees|rate|charge|weight|capacity|size|speed|length|duration|amount|limit|number|temperature|voltage|power|range|budget|deposit|salary|discount|allowance)\b"
            r"|\bwie ?viele?\b|\bwie (?:lange|hoch|groß|gross|schwer|weit|schnell|alt|oft|breit|tief|teuer|laut)\b"
            r"|\bcombien\b|\bquel(?:le)? (?:est|sont) (?:le|la|les) (?:\w+ )?(?:prix|coût|cout|montant|durée|duree|poids|capacité|taille|vitesse|tarif|tarifs|frais|plafond|limite|nombre)\b"
            r"|\bcu[aá]nt[oa]s?\b|\bqu[eé] (?:precio|tama[nñ]o|capacidad|duraci[oó]n)\b|\bcu[aá]l es el (?:precio|importe|coste|costo|l[ií]mite)\b"
            r"|多少|几|多久|多长|多大|多重|多高|多远|多快|多少钱|价格|费用"
            r"|(?:^|\s)كم\s|(?:ما|ماهو|ما هو|ما هي) (?:سعر|تكلفة|مدة|قيمة|عدد|رسوم|وزن|سعة)"
        ),
    ),
)

_DIGIT = vocabulary.DIGIT
#: Numbers written out (`vocabulary`): "two weeks", "zwei Wochen", "trois jours", "dos
#: semanas", 十五天. Not the articles that are also "one" ("ein", "un", "uno").
_NUMBER_WORDS = vocabulary.NUMBER_WORDS
#: Clock times and dates in figures: 9:00, 14h30, 2025-05-06, 06.05.2025, 6/5/25; a year.
_DATE_FIGURES = re.compile(
    r"\b\d{1,2}[:h]\d{2}\b|\b\d{1,4}[./-]\d{1,2}[./-]\d{2,4}\b|\b(?:19|20)\d{2}\b"
    r"|\d+\s*(?:年|月|日|号|点|時)|\b\d{1,2}\s*(?:am|pm|a\.m\.|p\.m\.|uhr)\b|\b\d{1,2} ?h ?\d{2}\b",
    re.IGNORECASE,
)
#: Months, weekdays and the calendar's words (en, de, fr, es, zh, ar), and units of time
#: after a figure ("within 30 days", "binnen 14 Tagen", "sous 8 jours", 三天内).
_CALENDAR = re.compile(
    rf"\b(?:{vocabulary.MONTHS}|{vocabulary.WEEKDAYS}"
    r"|weekdays?|weekends?|daily|weekly|monthly|annually|yearly|quarterly|noon|midnight"
    r"|täglich|wöchentlich|monatlich|jährlich|quotidien|hebdomadaire|mensuel|annuel"
    r"|diario|semanal|mensual|anual)\b"
    r"|星期|周[一二三四五六日末]|每天|每周|每月|每年|上午|下午|中午"
    rf"|{vocabulary.ARABIC_MONTHS}|{vocabulary.ARABIC_WEEKDAYS}|صباحا|مساء",
    re.IGNORECASE,
)
#: Titles, honorifics and roles (en, de, fr, es, zh, ar); an e-mail address.
_PERSON_WORDS = re.compile(
    r"(?:\b(?:dr|mr|mrs|ms|prof|frau|herr|mme|mlle|sr|sra|srta|dª)\.?\s+\w"
    r"|\b(?:manager|director|officer|head|lead|leader|coordinator|administrator|secretary|chair|chairperson|supervisor|team|department|desk|contact|responsible|owner|representative|assistant|engineer|technician|nurse|doctor|teacher|trainer|instructor|accountant|clerk|hr"
    r"|leiter(?:in)?|abteilung|beauftragte[rn]?|geschäftsführer(?:in)?|verantwortlich|zuständig|ansprechpartner(?:in)?|sekretariat|vorsitzende[rn]?|personalabteilung|team"
    r"|responsable|directeur|directrice|chef(?:fe)?|service|équipe|gestionnaire|secrétaire|présidente?|formateur|formatrice|interlocuteur"
    r"|director(?:a)?|jef(?:e|a)|departamento|equipo|coordinador(?:a)?|encargad[oa]|secretari[oa]|profesor(?:a)?|gerente)\b"
    r"|[\w.+-]+@[\w-]+\.[\w.]+"
    r"|经理|主管|负责|主任|总监|部门|人事|行政|老师|教授|医生"
    r"|مدير|مسؤول|قسم|رئيس|فريق|السيد|السيدة|د\.)",
    re.IGNORECASE,
)
#: Two capitalised words in a row, not at the start: a person's name in cased scripts
#: ("contact Marta Kowalczyk", "chez Jean Dupont").
_NAME_PAIR = re.compile(r"(?<=\S\s)[A-ZÀ-ÖØ-Þ][a-zà-öø-ÿ]+\s+[A-ZÀ-ÖØ-Þ][a-zà-öø-ÿ]+")
_PLACE_WORDS = re.compile(
    r"\b(?:room|floor|building|office|street|road|avenue|reception|desk|entrance|hall|site|address|level|wing|basement|lobby|canteen|warehouse|campus|located|held in|held at"
    r"|centre|center|quay|square|plaza|venue|hotel|gate|car park|parking"
    # where something is, said by a preposition of place
    r"|near|next to|beside|behind|opposite|outside|inside|upstairs|downstairs"
    r"|neben|hinter|gegenüber|draußen|platz|kantine|parkplatz|tor"
    r"|près d[eu]|à côté d[eu]|derrière|devant|en face d[eu]|à l'extérieur|à l'intérieur|portail|parking|place"
    r"|cerca de|junto a|al lado de|detrás de|enfrente de|fuera|plaza|aparcamiento"
    r"|raum|stock|etage|stockwerk|obergeschoss|erdgeschoss|gebäude|büro|straße|strasse|empfang|eingang|halle|zimmer|standort|adresse"
    r"|salle|étage|bâtiment|bureau|rue|accueil|entrée|local|adresse|sous-sol|rez-de-chaussée"
    r"|sala|planta|piso|edificio|oficina|calle|recepción|entrada|dirección|sótano)\b"
    r"|楼|层|室|路|街|区|办公室|前台|大厅|地址|旁边|附近|对面|门口"
    r"|الطابق|مبنى|المبنى|غرفة|مكتب|شارع|قاعة|عنوان|الاستقبال|بجانب|قرب|مقابل|أمام|خلف",
    re.IGNORECASE,
)


#: An ordinal day, week or month: a point in time ("from the third day of sickness", "ab
#: dem dritten Krankheitstag", "dès le troisième jour", "a partir del tercer día", 第三天,
#: اليوم الثالث).
_ORDINAL_DAY = re.compile(
    r"\b(?:\d+(?:st|nd|rd|th)|first|second|third|fourth|fifth|sixth|seventh|eighth|ninth|tenth)"
    r"\s+(?:\w+\s+)?(?:day|week|month|working day|business day)s?\b"
    r"|\b(?:erste|zweite|dritte|vierte|fünfte|sechste|siebte|achte|neunte|zehnte)[nmrs]?\s+\w*(?:tag|woche|monat)\b"
    r"|\b(?:premi(?:er|ère)|deuxième|troisième|quatrième|cinquième|sixième|septième|huitième|\d+e)\s+(?:jour|semaine|mois)\b"
    r"|\b(?:primer|segundo|tercer|cuarto|quinto|sexto|séptimo|octavo)[oa]?\s+(?:d[ií]a|semana|mes)\b"
    r"|第[一二三四五六七八九十\d]+(?:天|日|周|个月)"
    r"|(?:اليوم|الأسبوع|الشهر) (?:الأول|الثاني|الثالث|الرابع|الخامس|السادس|السابع)",
    re.IGNORECASE,
)


#: The words naming a unit of time (casefolded): counted, they ask a duration ("How many
#: days of leave?"); alone they may only name what is priced ("a day ticket", "le billet
#: d'un jour").
_TIME_WORDS = (
    r"(?:days?|weeks?|months?|years?|hours?|minutes?|seconds?|tage?n?|wochen|monate?n?|jahre?n?|stunden?|minuten"
    r"|jours?|semaines?|mois|ans|années|heures?|d[ií]as|semanas|meses|a[nñ]os|horas|minutos|segundos)"
)
# What a quantity question measures, by its words (casefolded). The first that matches
# wins: a duration named or counted before MONEY ("How many days of *paid* leave": days),
# MASS, TORQUE ("Wie hoch ist das Drehmoment?"), SPEED, AREA and VOLUME before LENGTH
# ("how high is the top speed" is a speed), NOISE last ("the price of the
# noise-cancelling headset" is a price). When none does, "how much is" asks a price and
# then a unit of time not counted a duration (`asked`).
_MEASURES: tuple[tuple[Dimension, re.Pattern[str]], ...] = (
    (
        Dimension.DURATION,
        re.compile(
            r"\bhow long\b(?! is the (?:hose|cable|vehicle|room|track|route))|\b(?:duration|durée|duración|dauer|period|période|periodo|frist|délai|plazo"
            # a notice is a length of time ("How much warning do we get before the rent
            # goes up?": "one month's written notice", not the rent's amount)
            r"|notice|warning|kündigungsfrist|vorlaufzeit|préavis|preaviso|antelación)\b|\bhow (?:soon|often)\b|\bwie lange\b|\bwie oft\b|\bcombien de temps\b"
            r"|\bcu[aá]nto (?:tiempo|tarda)\b|\btarda\b|\bdauert\b|\bdurent?\b|\bdura\b"
            # a unit of time counted: "how many (working) days", "number of weeks"
            r"|\b(?:how many|wie viele|combien de|cu[aá]nt[oa]s|number of|anzahl(?: der| an)?|nombre de|n[uú]mero de)\s+(?:\w+\s+)?"
            + _TIME_WORDS
            + r"\b|多久|多长时间|几天|多少天|几个月|几年|几周|多少小时|مدة|كم يوم|كم يوما|كم ساعة|كم شهر|كم أسبوع|كم من الوقت"
        ),
    ),
    (
        Dimension.MONEY,
        re.compile(
            r"\b(?:costs?|price[sd]?|pay|pays|paid|fees?|charged?|reimburs\w*|refund\w*|allowance|salary|budget|spend|revenue|deposit|worth|expensive"
            r"|rent|rental|tuition|premium|subscription|fines?|penalty|wages?"
            r"|kostet|kosten|preis\w*|gebühr\w*|bezahlt|erstatt\w*|zahlt|zuschuss|teuer|umsatz|betrag|miete|beitrag|abonnement"
            r"|loyer|cotisation|amende|alquiler|renta|mensualidad|multa"
            r"|co[uû]te?n?t?|prix|tarifs?|frais|pay[ée]e?s?|rembours\w*|montant|chiffre d'affaires"
            r"|cuesta|cuestan|precios?|coste|costo|tarifas?|pagan?|abona|importe|reembols\w*|cuota|matr[ií]cula|ingresos)\b"
            r"|多少钱|价格|费用|价钱|收费|报销|营收|租金|房租|سعر|تكلفة|رسوم|يدفع|بدل|مبلغ|إيجار"
        ),
    ),
    (
        Dimension.MASS,
        re.compile(
            r"\b(?:heavy|weighs?|weight|mass|schwer|wiegt|gewicht|p[eè]se|poids|pesa|peso"
            # what a vehicle or a shelf carries is a mass too ("What payload can ... carry?")
            r"|payload|load capacity|zuladung|nutzlast|traglast|charge utile|carga [uú]til)\b"
            r"|多重|重量|载重|载荷|وزن|حمولة"
        ),
    ),
    (
        Dimension.TORQUE,
        re.compile(
            r"\b(?:torque|drehmoment\w*|couple de serrage|par (?:motor|de apriete)|torsion)\b|扭矩|عزم"
        ),
    ),
    (
        Dimension.SPEED,
        re.compile(
            r"\b(?:speed|fast|schnell|geschwindigkeit|vitesse|rapide|velocidad|r[aá]pido)\b|速度|时速|سرعة"
        ),
    ),
    (
        Dimension.AREA,
        re.compile(r"\b(?:area|surface|square|fläche|superficie)\b|面积|مساحة"),
    ),
    (
        Dimension.VOLUME,
        re.compile(
            r"\b(?:capacity|volume|holds?|tank|litres?|liters?|fassungsvermögen|fasst|inhalt|volumen|tanks?"
            r"|contenance|capacité|contient|r[ée]servoir|capacidad|cabe|dep[oó]sito)\b|容量|容积|水箱|سعة|خزان"
        ),
    ),
    (
        Dimension.LENGTH,
        re.compile(
            r"\b(?:length|long|wide|width|height|tall|high|far|distance|range|länge|lang|breite?|höhe|hoch|weit|entfernung"
            r"|longueur|largeur|hauteur|distance|portée|longitud|anchura|altura|distancia|alcance)\b|长度|宽度|高度|多高|多远|距离|طول|ارتفاع|عرض|مسافة"
        ),
    ),
    (
        Dimension.POWER,
        re.compile(r"\b(?:power|output|watts?|leistung|puissance|potencia)\b|功率|قدرة"),
    ),
    (
        Dimension.TEMPERATURE,
        re.compile(
            r"\b(?:temperature|hot|warm|cold|temperatur|température|temperatura)\b|温度|درجة الحرارة"
        ),
    ),
    (
        Dimension.NOISE,
        re.compile(
            r"\b(?:loud|loudness|noise|noisy|decibels?|sound (?:power|pressure|level)"
            r"|laut|lautstärke|lärm|geräusch\w*|schall\w*|bruit|bruyant|sonore|ruido|ruidoso)\b"
            r"|噪音|噪声|分贝|ضوضاء|ديسيبل"
        ),
    ),
)
#: A unit of time named, not counted: a duration when nothing else is asked ("How much
#: leave per year in days?"), not when a price is ("How much is a day ticket?").
_UNCOUNTED_TIME = re.compile(rf"\b{_TIME_WORDS}\b")
#: The interrogative "what/which" (en, de, fr, es, zh, ar): asking for a measure by its
#: noun, it asks for a quantity.
_WHAT = re.compile(
    r"^(?:and |und |et |y )?(?:what|which|was|welche[rsnm]?|quel(?:le)?s?|qu[eé]|cu[aá]l(?:es)?)\b"
    r"|什么|多少|哪个|^(?:ما|ماذا|كم)\s"
)
#: "How much" (not "how many": a count has no unit) asked of a substance, no measure named.
_HOW_MUCH = re.compile(
    r"\bhow much\b|\bwie ?viel\b(?!e)|\bcombien d[e']|\bcu[aá]nt[oa]\b|多少(?!钱)|(?:^|\s)كم(?=\s)"
)
#: "How much is <a thing>?" with no measure named asks what it costs ("How much is a
#: student day ticket?", "¿Cuánto vale ...?", "Combien coûte ...?" has its price word),
#: where "How much flour ...?" asks an amount of a substance.
_PRICE_COPULA = re.compile(
    r"\bhow much (?:is|are|was|were|will)\b|\bcu[aá]nto (?:es|son|vale|valen)\b"
    r"|\bcombien (?:est|sont|vaut|valent|fait)\b|\bwie ?viel (?:ist|sind|macht)\b"
)
#: A rate's period: "per month", "a week", "pro Tag", "par mois", "al mes", 每月, في الشهر.
_RATE = re.compile(
    r"\b(?:per|a|an|each|every|pro|je|par|por|al|a la|chaque|cada) "
    r"(?:day|week|month|year|hour|night|person|tag|woche|monat|jahr|stunde|nacht|jour|semaine|mois|an|année|heure|nuit"
    r"|d[ií]a|semana|mes|a[nñ]o|hora|noche)\b|每(?:天|日|周|月|年|小时|晚)|(?:في|كل) (?:اليوم|الأسبوع|الشهر|السنة|الليلة)"
)


@dataclass(frozen=True, slots=True)
class Asked:
    """The answer's shape, and for a quantity what it measures (None: not told)."""

    shape: Shape
    dimension: Dimension | None = None


#: The interrogative phrases that name a measure ("how heavy", "wie schwer", 多少): the
#: question's words, never the answer's, which gives the figure ("26,000 kg").
_HOW = re.compile(
    r"\bhow (?:much|many|long|big|large|heavy|far|fast|high|tall|wide|old|often|deep|thick|hot|cold|warm|loud|noisy|soon|late|early)\b"
    r"|\bwie ?(?:viele?|lange|hoch|groß|gross|schwer|weit|schnell|alt|oft|breit|tief|teuer)\b"
    r"|\bcombien\b|\bcu[aá]nt[oa]s?\b|多少|多久|多长|多大|多重|多高|多远|多快|几|(?:^|\s)كم(?=\s)"
)


def interrogative(question: str) -> str:
    """The words of `question` that ask for a measure ("how heavy", "wie viele", 多少), as
    one string ("" when none): terms to leave out of the question's content words."""
    return " ".join(m.group() for m in _HOW.finditer(" ".join(question.casefold().split())))


def asking(question: str) -> str:
    """The words of `question` that say what shape of answer it asks for: its measure
    interrogative and the words naming the measure ("how much", "hold" of "How much water
    does the tank hold?"), as one string ("" when none)."""
    folded = " ".join(question.casefold().split())
    measured = _RATE.sub(" ", folded)
    found = [m.group() for m in _HOW.finditer(folded)]
    found += [m.group() for _, p in _MEASURES for m in p.finditer(measured)]
    # "day" of "How much is a day ticket?" names what is priced: it is the question's
    # content, and tells the day ticket's row from the weekly one's.
    if (shape := asked(question)) is not None and shape.dimension is Dimension.DURATION:
        found += [m.group() for m in _UNCOUNTED_TIME.finditer(measured)]
    return " ".join(found)


def asked(question: str) -> Asked | None:
    """The shape of the answer `question` asks for, or None when its interrogative says
    nothing of it ("Describe ...", "Does it ...?"). A "what" question for a measure ("What
    is the monthly rent on flat 7?", "Quel est le loyer ?") asks for a quantity."""
    folded = " ".join(question.casefold().split())
    # "per month" says how often, not what is counted ("How much is paid per month").
    measured = _RATE.sub(" ", folded)
    for shape, pattern in _ASKS:
        if pattern.search(folded):
            if shape is not Shape.QUANTITY:
                return Asked(shape)
            dimension = next((d for d, p in _MEASURES if p.search(measured)), None)
            if dimension is None and _PRICE_COPULA.search(folded):
                dimension = Dimension.MONEY
            elif dimension is None and _UNCOUNTED_TIME.search(measured):
                dimension = Dimension.DURATION
            elif dimension is None and _HOW_MUCH.search(folded):
                dimension = Dimension.AMOUNT
            return Asked(shape, dimension)
    if _WHAT.search(folded):
        for dimension, pattern in _MEASURES:
            if dimension is not Dimension.DURATION and pattern.search(measured):
                return Asked(Shape.QUANTITY, dimension)
    return None


#: What joins the items of an enumeration: commas, "and"/"or" (en, de, fr, es), 、 and و.
_ENUMERATION = re.compile(r",\s|\s(?:and|or|und|oder|et|ou|y|e|o)\s|、|،|\sو")
#: The commas of `_ENUMERATION`, which set off clauses as often as items.
_COMMAS = frozenset([",", "،"])


def enumerates(text: str) -> bool:
    """Whether `text` names three things or more: joined by a conjunction or 、 ("gas,
    water and broadband") or by three commas or more. Two commas alone set off a clause
    as often ("Fragen zu den Tagesordnungspunkten, z. B. zu den neuen Schichtmodellen,
    könnt ihr vorab schicken." lists nothing)."""
    joints = [m.group().strip() for m in _ENUMERATION.finditer(text)]
    return len(joints) >= 3 or (len(joints) == 2 and not set(joints) <= _COMMAS)


def fit(question: Asked, text: str, kind: str = "sentence") -> float:
    """How well `text` (a unit of passages.units, of `kind`) has the shape asked for: 0
    when it lacks it, 0.5 when it has it, 1 when it also has the quantity's unit. A table
    row's first cell is what the row is about, not its value: "Item: Acceleration 0-80
    km/h; Value: 24 s" holds no speed."""
    if question.shape is Shape.LIST:
        # A list item is one of a list (the answerer quotes its list); a sentence that
        # names three things or more lists them.
        return 1.0 if kind == "item" or enumerates(text) else 0.0
    if kind == "row" and "; " in text:
        text = text.split("; ", 1)[1]
    if not has(question.shape, text):
        return 0.0
    if question.dimension is not None and states_measure(question.dimension, text):
        return 1.0
    return 0.5


def is_calendar(word: str) -> bool:
    """Whether `word` is a month or a weekday ("March", "Thursdays", "Montag", "mardi")."""
    folded = word.casefold()
    return any(_CALENDAR.fullmatch(w) for w in (folded, folded.removesuffix("s")))


def has(shape: Shape, text: str) -> bool:
    """Whether `text` (a sentence, list item or table row) holds something of `shape`."""
    if shape is Shape.QUANTITY:
        return bool(_DIGIT.search(text) or _NUMBER_WORDS.search(text))
    if shape is Shape.TIME:
        return bool(
            _DATE_FIGURES.search(text)
            or _CALENDAR.search(text)
            or TIME_UNITS.search(text)
            or _ORDINAL_DAY.search(text)
        )
    if shape is Shape.PERSON:
        return bool(_PERSON_WORDS.search(text) or _NAME_PAIR.search(text))
    if shape is Shape.LIST:
        return enumerates(text)
    return bool(_PLACE_WORDS.search(text))
