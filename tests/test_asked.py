"""The form a question's answer takes (answering/asked.py), and whether a sentence or row
states it: the not-found gate's test of "the documents answer X"."""

from __future__ import annotations

import pytest

from docent.answering.asked import Form, counted, form_of, holds, states, units


@pytest.mark.parametrize(
    ("question", "form"),
    [
        ("How many fire wardens does Copperline have per shift?", Form.NUMBER),
        ("How long is the warranty?", Form.NUMBER),
        ("Wie viele Tage Sonderurlaub gibt es für einen Umzug?", Form.NUMBER),
        ("Combien pèse le Sirocco ?", Form.NUMBER),
        ("员工每年有几天年假？", Form.NUMBER),
        ("كم يوماً من الإجازة السنوية؟", Form.NUMBER),
        ("How much did the refrigerated centrifuge LAB-0233 cost?", Form.PRICE),
        ("Quel est le prix d'une batterie de rechange pour le Sirocco ?", Form.PRICE),
        ("¿Cuánto cuesta la cuota mensual?", Form.PRICE),
        ("What budget did the committee approve for the canteen?", Form.PRICE),
        # a count beside a price word is a count: the days, not the expenses
        ("差旅费用须在出差结束后多少天内提交发票？", Form.NUMBER),
        ("When will version 4.0 of the Quillon API be released?", Form.DATE),
        ("Wann beginnt die Betriebsversammlung?", Form.DATE),
        ("项目什么时候上线？", Form.DATE),
        # no value asked for: a name, a place, a frequency, yes or no
        ("Who is the project manager of the Xinghe project?", None),
        ("Wo steht das Notstromaggregat?", None),
        ("Wie oft wird die Lüftungsanlage LU-04 gewartet?", None),
        ("Does the Lumera T3 keep heating when the internet is down?", None),
        ("Bezahlt Velmora die Kosten für eine Kreditkarte?", None),
        ("¿Paga Grupo Marisma el gimnasio a las personas que teletrabajan?", None),
    ],
)
def test_form_of_a_question(question: str, form: Form | None) -> None:
    assert form_of(question) == form


def test_the_unit_counted_is_a_measure_not_the_subject() -> None:
    assert counted("How many weeks of paternity leave does Corvid give?") == "weeks"
    assert counted("Combien de jours de congés payés ont les salariés ?") == "jours"
    assert counted("How many fire wardens does Copperline have per shift?") is None
    assert counted("What is the capital of Australia?") is None


def test_units_are_sentences_and_rows_without_list_numbers() -> None:
    text = (
        "5. FIRE\n"
        "   5.3 Fire wardens wear red vests. Höhere Kosten, z. B. bei Messen, nur mit Genehmigung.\n"
        "SKU | Product | Price GBP excl. VAT\n"
        "1 January | New Year's Day\n"
        "年假规定：员工每年享有十五天带薪年假。差旅费用须在三十天内提交。"
    )
    assert units(text) == [
        "FIRE",
        "Fire wardens wear red vests.",
        "Höhere Kosten, z. B. bei Messen, nur mit Genehmigung.",
        "SKU | Product | Price GBP excl. VAT",  # a row is one unit, its "excl." no end
        "1 January | New Year's Day",  # a date's day is no list number
        "年假规定：员工每年享有十五天带薪年假。",
        "差旅费用须在三十天内提交。",
    ]


@pytest.mark.parametrize(
    ("form", "unit", "header", "own", "expected"),
    [
        (Form.NUMBER, "The warranty lasts 24 months.", "", (), True),
        (Form.NUMBER, "a week's notice is enough for two days", "", (), True),
        (Form.NUMBER, "员工每年享有十五天带薪年假", "", (), True),
        (Form.NUMBER, "Fire wardens wear red vests during a drill.", "", (), False),
        # the question's own code is not a value
        (Form.NUMBER, "LAB-0233 | Refrigerated centrifuge | Cold room", "", ("lab-0233",), False),
        (Form.PRICE, "Hotelkosten werden bis zu 120 € pro Nacht erstattet.", "", (), True),
        (
            Form.PRICE,
            "FX-1001 | A4 copier paper | box of 5 reams | 24.95",
            "SKU | Price (GBP)",
            (),
            True,
        ),
        (
            Form.PRICE,
            "LAB-0233 | Refrigerated centrifuge | 2024-03-12",
            "Asset ID | Last service",
            (),
            False,
        ),
        (Form.PRICE, "Batterie | 360 Wh, intégrée à la tige de selle", "", (), False),
        (Form.PRICE, "the service charge for 2025/26 will rise by 3.2%", "", ("2025/26",), True),
        (Form.PRICE, "charging costs 28p per kWh", "", (), True),
        (Form.DATE, "Carried-over days must be taken by 31 March.", "", (), True),
        (Form.DATE, "The meeting starts at 13:30.", "", (), True),
        (Form.DATE, "The old header will be removed in 4.0.", "", ("4.0",), False),
        # a duration is not a date
        (Form.DATE, "Each minor version gets security fixes for 12 months.", "", (), False),
        # a deadline or an offset in time answers "when" (the e2e handbook's expense claims)
        (Form.DATE, "Submit expense claims within 30 days with the receipts.", "", (), True),
        (Form.DATE, "Book the room two weeks in advance.", "", (), True),
        (Form.DATE, "Anträge sind innerhalb von 14 Tagen einzureichen.", "", (), True),
        (Form.DATE, "Les factures sont payées dans les 8 jours.", "", (), True),
        (Form.DATE, "Presente la solicitud dentro de 30 días.", "", (), True),
        (Form.DATE, "请在30天内提交报销单。", "", (), True),
        (Form.DATE, "تقدم الطلبات خلال 30 يومًا.", "", (), True),
        (Form.DATE, "The warranty lasts for 24 months.", "", (), False),
        # numbers written out past twelve are numbers ("sixteen weeks of parental leave")
        (Form.NUMBER, "Sixteen weeks of parental leave at full pay.", "", (), True),
        (
            Form.NUMBER,
            "Es gibt dreißig Urlaubstage und vierzehn Tage Bildungsurlaub.",
            "",
            (),
            True,
        ),
        (Form.NUMBER, "Le congé dure dix-huit semaines.", "", (), True),
        (Form.NUMBER, "El permiso dura dieciséis semanas.", "", (), True),
        (Form.NUMBER, "Parental leave is paid at full pay.", "", (), False),
    ],
)
def test_a_unit_holds_a_value_of_the_form(
    form: Form, unit: str, header: str, own: tuple[str, ...], expected: bool
) -> None:
    assert holds(form, unit, header=header, own=own) is expected


def test_the_value_must_be_in_the_unit_about_what_was_asked() -> None:
    passage = (
        "5.2 Leave by the nearest exit and go to the assembly point by Gate 2.\n"
        "5.3 Fire wardens wear red vests during a drill."
    )

    def about(unit: str) -> int:
        return sum(word in unit.lower() for word in ("fire", "warden"))

    # the sentence about fire wardens holds no number; Gate 2's sentence is about the exit
    assert not states(Form.NUMBER, passage, about)
    assert states(Form.NUMBER, passage + "\nTwo fire wardens are on duty per shift.", about)
    # nothing asked about is in the passage (another language): any unit may hold it
    assert states(Form.NUMBER, passage, lambda unit: 0)
