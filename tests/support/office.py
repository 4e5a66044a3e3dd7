"""Office files with the markup python-docx and openpyxl cannot write (text boxes, notes,
tracked changes, comments; formulas saved with their values), written as raw OOXML into a
package those libraries made; and the chunks of an uploaded document, read back through
the API."""

from __future__ import annotations

import re
import zipfile
from pathlib import Path
from typing import Any

from support.servers import DocentServer, gql, upload_ok, wait_ready

NAMESPACES = (
    'xmlns:w="http://schemas.openxmlformats.org/wordprocessingml/2006/main" '
    'xmlns:r="http://schemas.openxmlformats.org/officeDocument/2006/relationships" '
    'xmlns:mc="http://schemas.openxmlformats.org/markup-compatibility/2006" '
    'xmlns:wp="http://schemas.openxmlformats.org/drawingml/2006/wordprocessingDrawing" '
    'xmlns:a="http://schemas.openxmlformats.org/drawingml/2006/main" '
    'xmlns:wps="http://schemas.microsoft.com/office/word/2010/wordprocessingShape" '
    'xmlns:wpg="http://schemas.microsoft.com/office/word/2010/wordprocessingGroup" '
    'xmlns:v="urn:schemas-microsoft-com:vml" xmlns:o="urn:schemas-microsoft-com:office:office" '
    'xmlns:w14="http://schemas.microsoft.com/office/word/2010/wordml" mc:Ignorable="w14"'
)
_TYPES = "application/vnd.openxmlformats-officedocument.wordprocessingml"
_RELATIONSHIPS = "http://schemas.openxmlformats.org/officeDocument/2006/relationships"


def p(text: str, style: str | None = None) -> str:
    """A paragraph of one run."""
    properties = f'<w:pPr><w:pStyle w:val="{style}"/></w:pPr>' if style else ""
    return f'<w:p>{properties}<w:r><w:t xml:space="preserve">{text}</w:t></w:r></w:p>'


def r(text: str) -> str:
    """A run."""
    return f'<w:r><w:t xml:space="preserve">{text}</w:t></w:r>'


def drawing_text_box(text: str, *, fallback: bool = True) -> str:
    """A run holding a DrawingML text box (`wps:txbx`), with Word's VML fallback of the same
    text inside `mc:AlternateContent`, as Word 2010 and later save one."""
    choice = (
        '<w:drawing><wp:anchor distT="0" distB="0" distL="0" distR="0" simplePos="0" '
        'relativeHeight="1" behindDoc="0" locked="0" layoutInCell="1" allowOverlap="1">'
        '<wp:simplePos x="0" y="0"/><wp:positionH relativeFrom="column"><wp:posOffset>0'
        '</wp:posOffset></wp:positionH><wp:positionV relativeFrom="paragraph"><wp:posOffset>0'
        '</wp:posOffset></wp:positionV><wp:extent cx="2286000" cy="914400"/><wp:wrapSquare '
        'wrapText="bothSides"/><wp:docPr id="1" name="Text Box 1"/><a:graphic><a:graphicData '
        'uri="http://schemas.microsoft.com/office/word/2010/wordprocessingShape"><wps:wsp>'
        '<wps:cNvSpPr txBox="1"/><wps:spPr/><wps:txbx><w:txbxContent>'
        f"{p(text)}</w:txbxContent></wps:txbx><wps:bodyPr/></wps:wsp></a:graphicData>"
        "</a:graphic></wp:anchor></w:drawing>"
    )
    if not fallback:
        return f"<w:r>{choice}</w:r>"
    return (
        f'<w:r><mc:AlternateContent><mc:Choice Requires="wps">{choice}</mc:Choice>'
        f"<mc:Fallback>{vml_text_box(text, run=False)}</mc:Fallback></mc:AlternateContent></w:r>"
    )


def vml_text_box(text: str, *, run: bool = True) -> str:
    """A legacy VML text box (`v:textbox`), as Word 2003 saves one."""
    shape = (
        '<w:pict><v:shape id="box" type="#_x0000_t202" style="position:absolute;width:180pt;'
        f'height:72pt"><v:textbox><w:txbxContent>{p(text)}</w:txbxContent></v:textbox>'
        "</v:shape></w:pict>"
    )
    return f"<w:r>{shape}</w:r>" if run else shape


def make_docx(
    path: Path,
    body: str,
    *,
    header: str | None = None,
    footnotes: dict[int, str] | None = None,
    endnotes: dict[int, str] | None = None,
    comments: dict[int, str] | None = None,
) -> Path:
    """A DOCX whose body is `body` (WordprocessingML paragraphs and tables), with a header
    and footnotes, endnotes and comments by id (each note a paragraph of text led by its
    reference mark, as Word writes them), on python-docx's default template."""
    import docx

    document = docx.Document()
    document.sections[0].header.paragraphs[0].text = "header"
    document.save(str(path))
    with zipfile.ZipFile(path) as source:
        files = {info.filename: source.read(info) for info in source.infolist()}
    section = re.search(rb"<w:sectPr.*</w:sectPr>", files["word/document.xml"], re.S)
    assert section is not None
    files["word/document.xml"] = (
        (
            f'<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n<w:document {NAMESPACES}>'
            f"<w:body>{body}"
        ).encode()
        + section.group(0)
        + b"</w:body></w:document>"
    )
    if header is not None:
        files["word/header1.xml"] = (
            f'<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n<w:hdr {NAMESPACES}>'
            f"{header}</w:hdr>"
        ).encode()
    for kind, notes in (("footnote", footnotes), ("endnote", endnotes)):
        if notes:
            parts = "".join(
                f'<w:{kind} w:id="{i}"><w:p><w:r><w:{kind}Ref/></w:r>{r(" " + text)}</w:p>'
                f"</w:{kind}>"
                for i, text in notes.items()
            )
            _add_part(files, f"{kind}s", f"<w:{kind}s {NAMESPACES}>{parts}</w:{kind}s>")
    if comments:
        parts = "".join(
            f'<w:comment w:id="{i}" w:author="Reviewer">{p(text)}</w:comment>'
            for i, text in comments.items()
        )
        _add_part(files, "comments", f"<w:comments {NAMESPACES}>{parts}</w:comments>")
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as target:
        for name, data in files.items():
            target.writestr(name, data)
    return path


def _add_part(files: dict[str, bytes], name: str, xml: str) -> None:
    files[f"word/{name}.xml"] = b'<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n' + (
        xml.encode()
    )
    override = f'<Override PartName="/word/{name}.xml" ContentType="{_TYPES}.{name}+xml"/>'
    files["[Content_Types].xml"] = files["[Content_Types].xml"].replace(
        b"</Types>", override.encode() + b"</Types>"
    )
    relationship = (
        f'<Relationship Id="rId{name}" Type="{_RELATIONSHIPS}/{name}" Target="{name}.xml"/>'
    )
    rels = "word/_rels/document.xml.rels"
    files[rels] = files[rels].replace(
        b"</Relationships>", relationship.encode() + b"</Relationships>"
    )


def with_cached_values(path: Path, sheet: int, values: dict[str, str]) -> Path:
    """The XLSX at `path` with the formula cells `values` names saved with those values, as
    Excel saves them (openpyxl writes formulas without one)."""
    part = f"xl/worksheets/sheet{sheet}.xml"
    with zipfile.ZipFile(path) as source:
        files = {info.filename: source.read(info) for info in source.infolist()}
    xml = files[part].decode()
    for coordinate, value in values.items():
        xml, count = re.subn(
            rf'(<c r="{coordinate}"[^>]*>)(<f>[^<]*</f>)(<v\s*/>|<v></v>)?',
            rf"\1\2<v>{value}</v>",
            xml,
        )
        assert count == 1, coordinate
    files[part] = xml.encode()
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as target:
        for name, data in files.items():
            target.writestr(name, data)
    return path


SEMANTIC = """query($id: ID!) { search(input: {query: "document", mode: SEMANTIC, topK: 100,
  documentIds: [$id]}) { hits { chunk { ordinal text page section } } } }"""


async def uploaded_chunks(server: DocentServer, name: str, content: bytes) -> list[dict[str, Any]]:
    """Upload a file, wait for it to be READY, and read back all its chunks (a document of
    fewer than 100) through the API, in order."""
    payload = await upload_ok(server, name, content)
    document_id = payload["document"]["id"]
    last = (await wait_ready(server, document_id, timeout=300))[-1]
    assert last["status"] == "READY", last
    hits = (await gql(server.url, SEMANTIC, {"id": document_id}))["search"]["hits"]
    return sorted((hit["chunk"] for hit in hits), key=lambda chunk: chunk["ordinal"])
