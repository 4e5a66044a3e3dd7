"""The unit that answers, through a real server with the default embedder (e5): an
Arabic customer notice whose letterhead line carries its date, an Arabic clinic guide
that opens with a greeting, a manual's troubleshooting table without a header, and a FAQ
whose reset steps sit before the sentence repeating the question's words (issue 13: the
wrong sentence of the right document). The documents are made up."""

from __future__ import annotations

import asyncio
from collections.abc import Iterator

import pytest

from support.answers import ask
from support.servers import DocentServer, running_server, upload_ok, wait_ready

pytestmark = [pytest.mark.e2e, pytest.mark.timeout(900)]


NOTICE = """<html><head><title>إشعار للعملاء - شركة الريم للاتصالات</title></head><body>
<h1>إشعار هام لعملائنا الكرام</h1>
<p>شركة الريم للاتصالات - إدارة خدمة العملاء - 5 فبراير 2025</p>
<h2>صيانة مجدولة للشبكة</h2>
<p>نود إعلامكم بأننا سنقوم بأعمال صيانة لشبكة الألياف البصرية يوم الخميس 20 فبراير 2025 من
الساعة 2:00 حتى الساعة 6:00 فجراً. خلال هذه الفترة قد تنقطع خدمة الإنترنت المنزلي.</p>
<h2>تواصلوا معنا</h2>
<p>للاستفسارات يمكنكم الاتصال على الرقم المجاني 800 4321 على مدار الساعة.</p>
</body></html>"""

GUIDE = """<html><head><title>دليل المراجعين - مجمع السدرة الطبي</title></head><body>
<h1>دليل المراجعين</h1>
<p>مرحباً بكم في مجمع السدرة الطبي التخصصي. يهدف هذا الدليل إلى تعريفكم بمواعيد العمل وطريقة
حجز المواعيد والأقسام الطبية.</p>
<h2>مواعيد العمل</h2>
<p>تعمل العيادات من الأحد إلى الخميس من الساعة 7:30 صباحاً حتى الساعة 10:00 مساءً، وتكون مغلقة
يوم الجمعة.</p>
<h2>حجز المواعيد</h2>
<p>يمكن حجز المواعيد عبر الرقم الموحد 920054321 أو من خلال تطبيق السدرة.</p>
</body></html>"""

MANUAL = """<html><head><title>Aquilo W8 washing machine - manual</title></head><body>
<h1>Aquilo W8 washing machine</h1>
<h2>Care</h2>
<p>Clean the drain filter every three months. When the filter needs cleaning, the display
shows error code F04 and the machine stops.</p>
<h2>Troubleshooting</h2>
<table>
<tr><td>F02</td><td>Door not closed</td><td>Close the door until it clicks</td></tr>
<tr><td>F04</td><td>Drain filter blocked</td><td>Clean the drain filter (page 6)</td></tr>
<tr><td>F07</td><td>Pump blocked</td><td>Contact Aquilo customer service</td></tr>
</table>
</body></html>"""


FAQ = """<html><head><title>Corvo R2 router - frequently asked questions</title></head><body>
<h1>Corvo R2 router: frequently asked questions</h1>
<h2>How do I factory reset the R2?</h2>
<p>Press and hold the small button on the back for 10 seconds until the light flashes
white, then release it. The router restarts with its factory settings, and you need to
set it up in the app again. Your saved devices are deleted.</p>
<h2>Can I use the R2 without the app?</h2>
<p>Yes: the web page at 192.168.8.1 has every setting the app has.</p>
<h2>How long is the warranty?</h2>
<p>The Corvo R2 has a 2-year warranty from the date of purchase.</p>
</body></html>"""


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[DocentServer]:
    with running_server(tmp_path_factory.mktemp("letterhead"), {"DOCENT_EMBEDDER": "e5"}) as s:

        async def load_all() -> None:
            for name, html in (
                ("ar-al-reem-telecom-notice.html", NOTICE),
                ("ar-al-sidra-clinics-guide.html", GUIDE),
                ("aquilo-w8-manual.html", MANUAL),
                ("corvo-r2-faq.html", FAQ),
            ):
                payload = await upload_ok(s, name, html.encode())
                events = await wait_ready(s, payload["document"]["id"])
                assert events[-1]["status"] == "READY", events

        asyncio.run(load_all())
        yield s


def test_the_letterhead_date_is_not_when_the_maintenance_is(server: DocentServer) -> None:
    answer = ask(server, "متى ستتم صيانة شبكة الريم للاتصالات؟")
    assert answer["grounded"], answer
    assert "20 فبراير 2025" in answer["text"], answer
    assert "5 فبراير 2025" not in answer["text"], answer


def test_the_greeting_does_not_answer_the_opening_hours(server: DocentServer) -> None:
    answer = ask(server, "ما هي مواعيد عمل مجمع السدرة الطبي؟")
    assert answer["grounded"], answer
    assert "7:30" in answer["text"], answer
    assert "مرحباً" not in answer["text"], answer


def test_the_row_of_the_code_says_what_it_means(server: DocentServer) -> None:
    answer = ask(server, "What does error code F04 mean on the Aquilo W8?")
    assert answer["grounded"], answer
    assert "Drain filter blocked" in answer["text"], answer
    assert "Pump blocked" not in answer["text"], answer


def test_the_instruction_answers_how_to_reset(server: DocentServer) -> None:
    answer = ask(server, "How do I factory reset the Corvo R2 router?")
    assert answer["grounded"], answer
    assert "10 seconds" in answer["text"], answer
