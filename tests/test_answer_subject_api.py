"""An answer names what its question asks about (issue 13's near-misses), through a real
server with the default embedder (e5): a gym's page without a pool is not quoted (its
classes) for "¿Hay piscina ...?". Beside questions of the same forms that the page
answers. The page is made up; the rules are unit-tested in test_answer_subject.py (the
table row rule too: the gate refuses such questions over a small table already).
"""

from __future__ import annotations

import asyncio
from collections.abc import Iterator

import pytest

from support.answers import ask
from support.servers import DocentServer, running_server, upload_ok, wait_ready

pytestmark = [pytest.mark.e2e, pytest.mark.timeout(900)]

GYM = """<html><head><title>Gimnasio Sierra - Tarifas y horarios 2025</title></head><body>
<nav>Inicio · Clases · Tarifas · Contacto</nav>
<h1>Tarifas y horarios 2025</h1>
<p>Gimnasio Sierra · Avenida del Puerto 18, 46021 Valencia · Tel. 963 00 11 22</p>
<h2>Tarifas</h2>
<table><tr><th>Modalidad</th><th>Precio</th><th>Incluye</th></tr>
<tr><td>Cuota mensual</td><td>42,00 €</td><td>Sala de musculación, cardio y clases</td></tr>
<tr><td>Cuota anual</td><td>420,00 €</td><td>Lo mismo que la cuota mensual</td></tr>
<tr><td>Pase de un día</td><td>9,00 €</td><td>Sala de musculación y cardio</td></tr>
<tr><td>Matrícula</td><td>25,00 €</td><td>Gratis para altas en enero</td></tr></table>
<h2>Horario</h2>
<ul><li>De lunes a viernes: de 7:00 a 22:30</li><li>Sábados: de 9:00 a 20:00</li></ul>
<h2>Clases dirigidas</h2>
<p>Ofrecemos spinning, yoga, pilates y entrenamiento funcional. Las plazas se reservan en la app.</p>
<h2>Normas</h2>
<p>Es obligatorio usar toalla en la sala de musculación. Las taquillas se vacían cada noche.</p>
</body></html>"""


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[DocentServer]:
    root = tmp_path_factory.mktemp("subject")
    with running_server(root, {"DOCENT_EMBEDDER": "e5"}) as s:

        async def load_all() -> None:
            for name, data in (("gimnasio-sierra-tarifas-horarios.html", GYM.encode()),):
                payload = await upload_ok(s, name, data)
                events = await wait_ready(s, payload["document"]["id"])
                assert events[-1]["status"] == "READY", events

        asyncio.run(load_all())
        yield s


def test_an_answer_about_another_thing_is_refused(server: DocentServer) -> None:
    # the page's classes are close to the question, and name no pool
    answer = ask(server, "¿Hay piscina en el Gimnasio Sierra?")
    assert not answer["grounded"], answer


@pytest.mark.parametrize(
    ("question", "value"),
    [
        ("¿Cuánto cuesta la cuota mensual del Gimnasio Sierra?", "42,00 €"),
        # the same form, over a passage naming what is asked
        ("¿Hay clases de yoga en el Gimnasio Sierra?", "yoga"),
    ],
)
def test_the_same_forms_are_answered_when_the_documents_hold_them(
    server: DocentServer, question: str, value: str
) -> None:
    answer = ask(server, question)
    assert answer["grounded"], answer
    assert value in answer["text"], answer
