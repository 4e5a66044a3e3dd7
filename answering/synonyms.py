"""Everyday words people ask with, and the words documents write for the same thing.

People ask situationally and colloquially ("The heating died on Sunday night - who do I
ring?", "Can I plug my memory stick into a work PC?", "How much warning do we owe the
landlord?"); documents write the register's words ("report boiler breakdowns out of hours
to the 24-hour repair line", "USB drives may not be connected", "one month's written
notice"). The not-found gate counts the question's words in a passage (`clues.Clues`), so a
reworded question finds few of them and is refused although its passage is retrieved
first. Here a question's word also counts as found when a passage holds a word of its
group: general vocabulary of everyday verbs and nouns (en, de, fr, es), the kind a
thesaurus lists, never a document's own wording.

Two relations:
- `GROUPS`: words that say the same thing in a question and a document (ring / phone /
  call / telephone; warning / notice; memory stick / USB drive), both ways;
- `BROADER`: a word and the broader (or, for "which days", the narrower) words a document
  may use for it, one way only ("Sunday" is at the weekend, but "weekend" is not Sunday;
  "night" is in the evenings; the days a hall is free are "dienstags und donnerstags").

Words that tell neighbours apart are never grouped: a yearly pass is not a weekly pass,
a student is not an adult, Saturday is not Sunday (`contrast.py` reads those).

A multi-word entry ("memory stick", "call off") is found by each of its words' terms in a
passage, but does not bring its group to a question holding one of its words ("call"
brings the group of its own entry, "home" none): only single words do.
"""

from __future__ import annotations

from collections.abc import Iterable
from functools import cache

from docent.search import analysis

#: The languages whose stems a group's words are analysed in: each word's terms in every
#: one (a word is written alike in several: "budget", "service", "transport").
_LANGUAGES = ("en", "de", "fr", "es")

# fmt: off
GROUPS: tuple[tuple[str, ...], ...] = (
    ("ring", "call", "phone", "telephone", "dial", "number", "line", "hotline",
     "anrufen", "rufen", "telefon", "telefonnummer", "nummer", "hotline", "appeler",
     "téléphone", "numéro", "joindre", "llamar", "teléfono", "número"),
    ("report", "tell", "notify", "inform", "melden", "mitteilen", "informieren",
     "signaler", "prévenir", "avertir", "informer", "avisar", "informar", "comunicar"),
    ("broken", "break", "broke", "died", "dead", "stopped", "fault", "faulty", "breakdown",
     "failure", "failed", "defect", "defective", "repair", "kaputt", "defekt", "ausfall",
     "ausgefallen", "störung", "reparatur", "panne", "cassé", "défaut", "réparation",
     "roto", "averiado", "avería", "reparación"),
    ("warning", "notice", "advance", "vorwarnung", "frist", "kündigungsfrist", "préavis",
     "preaviso", "antelación"),
    ("cancel", "cancelled", "canceled", "cancellation", "call off", "absagen", "stornieren",
     "stornierung", "annuler", "annulation", "cancelar", "cancelación", "anular"),
    ("move out", "move", "moving", "end", "terminate", "termination", "quit", "leave", "leaving", "resign",
     "ausziehen", "kündigen", "kündigung", "austreten", "austritt", "beenden", "résilier",
     "résiliation", "quitter", "démissionner", "rescindir", "dejar", "baja",
     "darse de baja"),
    ("late", "overdue", "delay", "delayed", "arrears", "verspätet", "verspätung", "verzug",
     "retard", "tard", "retraso", "atrasado", "demora"),
    ("pay", "paid", "cost", "costs", "price", "fee", "fees", "charge", "charged", "rate",
     "zahlen", "bezahlen", "kosten", "kostet", "preis", "gebühr", "beitrag", "payer",
     "coût", "prix", "tarif", "frais", "cotisation", "facturer", "facturé", "pagar",
     "precio", "coste", "tarifa", "cuota", "cobrar", "cobran", "cobra", "cobro"),
    ("allowance", "budget", "limit", "zuschuss", "pauschale", "obergrenze",
     "plafond", "indemnité", "presupuesto", "límite", "asignación"),
    ("refund", "back", "return", "returned", "repay", "reimburse", "erstatten",
     "zurückzahlen", "rückzahlung", "rembourser", "remboursement", "restituer", "devolver",
     "devolución", "reembolso"),
    ("child", "children", "kid", "kids", "junior", "juniors", "son", "daughter", "kind",
     "kinder", "jugendliche", "enfant", "enfants", "niño", "niños", "hijo", "hijos",
     "menor", "menores"),
    ("usb", "memory stick", "stick", "flash drive", "thumb drive", "pen drive", "removable",
     "external drive", "usb-stick", "clé", "memoria", "pendrive"),
    ("computer", "pc", "laptop", "notebook", "desktop", "workstation", "rechner",
     "ordinateur", "portable", "ordenador", "portátil"),
    ("plug", "connect", "attach", "insert", "anschließen", "einstecken", "brancher",
     "connecter", "conectar", "enchufar"),
    ("software", "app", "apps", "application", "program", "programme", "programm",
     "logiciel", "programa", "aplicación"),
    ("close", "closes", "closing", "shut", "shuts", "schließen", "schließt", "geschlossen",
     "fermer", "ferme", "fermeture", "fermé", "cerrar", "cierra", "cierre", "cerrado"),
    ("open", "opens", "opening", "öffnen", "öffnet", "geöffnet", "offen", "ouvrir", "ouvre",
     "ouvert", "ouverture", "abrir", "abre", "abierto", "apertura"),
    ("flat", "apartment", "home", "house", "property", "wohnung", "haus", "appartement",
     "logement", "maison", "piso", "vivienda", "casa"),
    ("landlord", "landlady", "owner", "letting agent", "agent", "vermieter", "vermieterin",
     "propriétaire", "bailleur", "casero", "arrendador", "propietario"),
    ("tenant", "tenants", "renter", "mieter", "mieterin", "locataire", "inquilino",
     "arrendatario"),
    ("heating", "heater", "boiler", "radiator", "hot water", "heizung", "heizkessel",
     "chauffage", "chaudière", "calefacción", "caldera"),
    ("pet", "pets", "animal", "animals", "cat", "dog", "kitten", "puppy", "haustier", "tier", "katze", "hund",
     "chat", "chien", "mascota", "perro", "gato"),
    ("paint", "painting", "decorate", "decorating", "wallpaper", "streichen", "tapezieren",
     "peindre", "peinture", "pintar", "decorar"),
    ("visit", "inspect", "inspection", "viewing", "access", "enter",
     "besichtigen", "besichtigung", "zutritt", "betreten", "visite",
     "visiter", "accès", "visita", "inspección", "acceso", "entrar"),
    ("employee", "employees", "staff", "worker", "workers", "colleague", "colleagues",
     "mitarbeiter", "mitarbeiterin", "beschäftigte", "salarié", "employé", "personnel",
     "empleado", "trabajador", "personal"),
    ("manager", "boss", "supervisor", "line manager", "team lead", "vorgesetzte",
     "vorgesetzter", "chef", "responsable", "supérieur", "jefe", "superior"),
    ("approve", "approves", "approval", "sign off", "signs off", "authorise", "authorize",
     "consent", "permission", "agree", "genehmigen", "genehmigung", "zustimmung",
     "erlaubnis", "approuver", "approbation", "autorisation", "accord", "aprobar",
     "aprobación", "autorización", "permiso"),
    ("allowed", "permitted", "ok", "okay", "permission", "erlaubt", "gestattet", "zulässig",
     "erlaubnis", "autorisé", "permis", "permitido", "autorizado", "permiso"),
    ("install", "installing", "download", "installieren", "herunterladen",
     "installer", "télécharger", "instalar", "descargar"),
    ("new", "replace", "replacement", "replaced", "renew", "renewal", "upgrade", "instead",
     "successor", "neu", "ersetzen", "austausch", "ersatz", "stattdessen", "nachfolger",
     "nouveau", "remplacer", "remplacement", "successeur", "nuevo", "reemplazar", "sustituir",
     "sustitución", "sucesor"),
    ("keep", "kept", "retain", "retained", "store", "stored", "hang",
     "aufbewahren", "behalten", "speichern", "conserver", "garder", "conservar", "guardar"),
    ("ill", "sick", "unwell", "illness", "sickness", "krank", "krankheit", "malade",
     "maladie", "enfermo", "enfermedad"),
    ("free", "kostenlos", "gratis", "umsonst", "gratuit",
     "gratuito"),
    ("park", "parking", "car park", "parken", "parkplatz", "stationnement", "garer",
     "aparcar", "aparcamiento"),
    ("party", "celebration", "festival", "fest", "feier", "fête", "fiesta", "celebración"),
    ("guarantee", "guaranteed", "warranty", "garantie", "gewährleistung", "garantía"),
    ("reserve", "reserves", "savings", "fund", "rücklage", "rücklagen",
     "réserve", "provision", "reserva", "fondo"),
    ("join", "joining", "sign up", "enrol", "enroll", "admission", "membership", "aufnahme",
     "beitritt", "eintritt", "adhésion", "inscription", "inscripción", "alta"),
    ("lease", "tenancy", "rental agreement", "contract", "agreement", "mietvertrag",
     "vertrag", "bail", "contrat", "contrato", "arrendamiento"),
    ("fix", "fixed", "mend", "repair", "repaired", "reparieren", "réparer", "arreglar",
     "reparar"),
    ("note", "certificate", "sick note", "fit note", "attestation", "bescheinigung",
     "attest", "certificat", "justificatif", "justificante", "certificado"),
    ("start", "starts", "begin", "begins", "beginning", "commence", "kick off", "beginnt",
     "beginn", "anfang", "début", "commence", "démarre", "démarrer", "démarrage",
     "empieza", "comienza", "inicio"),
    ("finish", "finishes", "end", "ends", "ende", "endet", "fin", "termine", "termina",
     "final"),
    ("buy", "purchase", "order", "kaufen", "bestellen", "acheter", "commander", "comprar",
     "pedir"),
    ("send", "submit", "einreichen", "schicken", "senden", "envoyer",
     "soumettre", "remettre", "enviar", "presentar", "entregar"),
    ("help", "support", "assistance", "hilfe", "unterstützung", "soutien", "ayuda",
     "soporte", "asistencia"),
    ("lost", "lose", "missing", "stolen", "left", "forgot", "forgotten", "verloren",
     "verlieren", "gestohlen", "vergessen", "perdu", "perdre", "volé", "oublié", "perdido",
     "perder", "robado", "olvidado"),
    ("car", "vehicle", "auto", "fahrzeug", "wagen", "voiture", "véhicule", "coche",
     "vehículo"),
    ("bike", "bicycle", "cycle", "fahrrad", "vélo", "bicyclette", "bicicleta"),
    ("doctor", "gp", "physician", "arzt", "ärztin", "médecin", "médico"),
    ("remote", "wfh", "telework", "homeoffice",
     "télétravail", "teletrabajo"),
    ("salary", "wage", "wages", "gehalt", "lohn", "salaire", "rémunération", "salario",
     "sueldo"),
    ("trip", "travel", "journey", "business trip", "reise", "dienstreise", "voyage",
     "déplacement", "viaje", "desplazamiento"),
    ("hotel", "accommodation", "lodging", "overnight stay", "übernachtung", "unterkunft",
     "hébergement", "nuitée", "alojamiento", "hospedaje"),
    ("meal", "meals", "food", "lunch", "dinner", "breakfast", "verpflegung", "mahlzeit",
     "essen", "repas", "déjeuner", "comida", "almuerzo"),
    ("mileage", "kilometre", "kilometres", "kilometer", "km", "kilometerpauschale",
     "kilométrique", "kilometraje"),
    ("discount", "reduction", "reduced", "concession", "cheaper", "rabatt", "ermäßigung",
     "ermäßigt", "réduction", "remise", "réduit", "descuento", "reducido"),
    ("heavy", "weigh", "weighs", "weight", "schwer", "wiegt", "gewicht", "lourd", "pèse",
     "poids", "pesado", "pesa", "peso"),
    ("big", "large", "size", "dimensions", "groß", "größe", "abmessungen", "grand",
     "taille", "grande", "tamaño", "medidas"),
    ("loud", "noise", "noisy", "sound", "quiet", "laut", "lärm", "geräusch", "leise",
     "bruit", "bruyant", "silencieux", "ruido", "ruidoso", "silencioso"),
    ("cold", "hot", "warm", "temperature", "kalt", "heiß", "temperatur", "froid", "chaud",
     "température", "frío", "caliente", "temperatura"),
    ("efficient", "efficiency", "performance", "cop", "effizienz", "wirkungsgrad",
     "efficacité", "rendement", "eficiencia", "rendimiento"),
    ("space", "room", "clearance", "gap", "distance", "abstand", "platz", "espace",
     "dégagement", "espacio", "distancia"),
    ("electricity", "power supply", "supply", "mains", "voltage", "phase", "strom",
     "stromversorgung", "spannung", "électricité", "alimentation", "tension",
     "electricidad", "alimentación", "tensión"),
    ("swim", "swimming", "pool", "schwimmen", "schwimmbad", "nager", "natation", "piscine",
     "nadar", "natación", "piscina"),
    ("hall", "gym", "gymnasium", "sports hall", "halle", "turnhalle", "sporthalle",
     "gymnase", "gimnasio", "pabellón"),
    ("barbecue", "barbecues", "bbq", "grill", "grillen", "barbacoa"),
    ("wash", "washing", "laundry", "waschen", "wäsche", "waschküche", "lessive", "laver",
     "buanderie", "lavar", "lavandería", "colada"),
    ("rubbish", "trash", "garbage", "waste", "müll", "abfall", "ordures", "déchets",
     "basura", "residuos"),
    ("parcel", "parcels", "package", "packages", "delivery", "deliveries", "paket",
     "lieferung", "colis", "livraison", "paquete", "envío", "entrega"),
    ("clean", "cleaning", "cleaner", "cleaners", "reinigung", "reinigen", "putzen",
     "ménage", "nettoyage", "nettoyer", "limpieza", "limpiar"),
    ("photo", "photos", "photograph", "photographs", "photography", "picture", "pictures",
     "foto", "fotos", "fotografieren", "photographie", "photographier", "fotografía",
     "fotografiar"),
    ("trimmings", "clippings", "cuttings", "schnittgut"),
    ("consumption", "consume", "consumes", "draw", "draws", "verbrauch", "verbraucht",
     "leistungsaufnahme", "consommation", "consomme", "consumo", "consume"),
    ("rid", "dispose", "disposal", "throw away", "collection", "collected", "entsorgen",
     "entsorgung", "jeter", "débarrasser", "tirar", "deshacerse"),
)
# fmt: on

#: One way: a word, then broader (or narrower) words a document may say it with.
# fmt: off
BROADER: dict[str, tuple[str, ...]] = {
    "saturday": ("weekend", "weekends", "wochenende", "week-end", "fin de semana"),
    "sunday": ("weekend", "weekends", "wochenende", "week-end", "fin de semana",
        "public holiday", "holidays"),
    "samstag": ("wochenende",),
    "sonntag": ("wochenende", "feiertag", "feiertage"),
    "samedi": ("week-end",),
    "dimanche": ("week-end", "férié", "fériés"),
    "sábado": ("fin de semana",),
    "domingo": ("fin de semana", "festivo", "festivos"),
    "night": ("evening", "evenings", "overnight", "24-hour", "emergency"),
    "midnight": ("evening", "evenings", "overnight", "24-hour", "emergency"),
    # Things and people of a kind a document names by the kind ("furniture",
    # "perishable deliveries", "guests"): a narrower word, then its broader ones.
    "sofa": ("furniture", "bulky"),
    "couch": ("furniture", "bulky"),
    "mattress": ("bulky",),
    "wardrobe": ("furniture", "bulky"),
    "grocery": ("food", "perishable"),
    "groceries": ("food", "perishable"),
    "shelf": ("diy", "drilling"),
    "shelves": ("diy", "drilling"),
    "mum": ("guest", "guests", "visitor", "visitors"),
    "mother": ("guest", "guests", "visitor", "visitors"),
    "dad": ("guest", "guests", "visitor", "visitors"),
    "parents": ("guest", "guests", "visitor", "visitors"),
    "friend": ("guest", "guests", "visitor", "visitors"),
    "friends": ("guest", "guests", "visitor", "visitors"),
    "nacht": ("abend", "abends", "notdienst", "notfall"),
    "nuit": ("soir", "soirée", "urgence", "astreinte"),
    "noche": ("tarde", "urgencia", "guardia"),
    "day": ("monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday"),
    "days": ("monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday"),
    "tag": ("montag", "dienstag", "mittwoch", "donnerstag", "freitag", "samstag", "sonntag",
        "montags", "dienstags", "mittwochs", "donnerstags", "freitags", "samstags", "sonntags"),
    "tage": ("montag", "dienstag", "mittwoch", "donnerstag", "freitag", "samstag", "sonntag",
        "montags", "dienstags", "mittwochs", "donnerstags", "freitags", "samstags", "sonntags"),
    "tagen": ("montag", "dienstag", "mittwoch", "donnerstag", "freitag", "samstag",
        "sonntag", "montags", "dienstags", "mittwochs", "donnerstags", "freitags",
        "samstags", "sonntags"),
    "jour": ("lundi", "mardi", "mercredi", "jeudi", "vendredi", "samedi", "dimanche"),
    "jours": ("lundi", "mardi", "mercredi", "jeudi", "vendredi", "samedi", "dimanche"),
    "día": ("lunes", "martes", "miércoles", "jueves", "viernes", "sábado", "domingo"),
    "días": ("lunes", "martes", "miércoles", "jueves", "viernes", "sábado", "domingo"),
}
# fmt: on


#: A stem shorter than this that is not a whole word of the entry is another language's
#: stemmer cutting a word it does not know ("owner" -> "own" in one, "offen" -> "off" in
#: another): it would join "my own" to landlords and "call off" to opening hours.
_SHORT_STEM = 4


@cache
def _terms(word: str) -> frozenset[str]:
    """The analysed terms of `word` (every word of it) in every language of `_LANGUAGES`,
    without the short stems of `_SHORT_STEM`."""
    whole = set(word.casefold().split())
    return frozenset(
        term
        for language in _LANGUAGES
        for term in analysis.analyze(word, (language,))
        if len(term) >= _SHORT_STEM or term in whole
    )


@cache
def _everyday() -> frozenset[str]:
    words = {w.casefold() for group in GROUPS for w in group if " " not in w}
    return frozenset(words | set(BROADER))


def everyday(word: str) -> bool:
    """Whether `word` is one of the everyday words above ("OK", "PC", "USB" in a question
    are no names nor codes to look for in a document)."""
    return word.casefold() in _everyday()


@cache
def _index() -> dict[str, frozenset[str]]:
    """Each term of a group's word, with the terms of its whole group (and of the broader
    words of a `BROADER` word)."""
    index: dict[str, set[str]] = {}
    for group in GROUPS:
        every = frozenset(t for word in group for t in _terms(word))
        for word in group:
            if " " in word:
                continue
            for term in _terms(word):
                index.setdefault(term, set()).update(every)
    for word, broader in BROADER.items():
        wider = {t for w in broader for t in _terms(w)}
        for term in _terms(word):
            index.setdefault(term, set()).update(wider)
    return {term: frozenset(terms) for term, terms in index.items()}


def widen(terms: Iterable[str]) -> frozenset[str]:
    """`terms` (one word's analysed terms) and the terms of the words that say the same
    (`GROUPS`) or more broadly (`BROADER`); `terms` alone when none."""
    own = frozenset(terms)
    index = _index()
    return own.union(*(index.get(term, frozenset()) for term in own))
