"""Word documents (DOCX) as Word shows them, read by unstructured.

unstructured (through python-docx) reads the runs directly inside a body paragraph, and the
paragraphs and tables directly inside the body. Word shows more than that: it applies the
markup below before any text is read, so that the text docent indexes is what a person sees
on the page (Word's "No Markup" view).

- tracked changes, as if accepted: insertions and moves in (`w:ins`, `w:moveTo`),
  deletions out (`w:del`, `w:moveFrom`, deleted table rows and cells);
- markup compatibility (`mc:AlternateContent`): one branch read, never both, so a text box
  with its VML fallback is read once;
- content controls, smart tags, custom XML, simple fields and bidirectional runs (`w:sdt`,
  `w:smartTag`, `w:customXml`, `w:fldSimple`, `w:dir`, `w:bdo`): their content in their place;
- footnotes and endnotes: after the paragraph that refers to them, led by their mark
  ("1 Source: ...");
- text boxes (DrawingML `wps:txbx` and VML `v:textbox`, both `w:txbxContent`): their
  paragraphs after the paragraph they are anchored in.

Comments are left out, as Word prints them (and as unstructured reads them). Headers and
footers get the same treatment as the body. Markup from ECMA-376 Part 1 (WordprocessingML,
section 17.13 for revisions) and Part 3 (markup compatibility).
"""

from __future__ import annotations

import copy
import tempfile
import zipfile
from collections.abc import Iterable
from pathlib import Path
from typing import Any

from lxml import etree

from docent.errors import ErrorCode, IngestionError

W = "http://schemas.openxmlformats.org/wordprocessingml/2006/main"
MC = "http://schemas.openxmlformats.org/markup-compatibility/2006"
_CONTENT_TYPES = "http://schemas.openxmlformats.org/package/2006/content-types"
_PARTS = (
    "document.main+xml", "document.macroEnabled.main+xml", "template.main+xml",
    "template.macroEnabledTemplate.main+xml", "header+xml", "footer+xml", "footnotes+xml",
    "endnotes+xml",
)  # fmt: skip
#: External entities are never resolved (XXE), nothing is fetched.
_PARSER = etree.XMLParser(resolve_entities=False, no_network=True)


def w(name: str) -> str:
    """The qualified name of a WordprocessingML element or attribute."""
    return f"{{{W}}}{name}"


#: Wrappers whose content Word shows in their place; their properties are not content.
_WRAPPERS = {
    w("sdt"): w("sdtContent"),
    w("smartTag"): None,
    w("customXml"): None,
    w("fldSimple"): None,
    w("dir"): None,
    w("bdo"): None,
}
_WRAPPER_PROPERTIES = {w("smartTagPr"), w("customXmlPr"), w("sdtPr"), w("sdtEndPr")}
#: Former properties kept by a revision, not what the document looks like now.
_FORMER_PROPERTIES = [
    w(name)
    for name in (
        "rPrChange", "pPrChange", "sectPrChange", "tblPrChange", "trPrChange", "tcPrChange",
        "tblGridChange", "numberingChange",
    )
]  # fmt: skip


def partition_docx(path: Path) -> list[Any]:
    """unstructured's elements of the DOCX at `path`, read as Word shows it."""
    from unstructured.partition.docx import partition_docx as unstructured_docx

    with tempfile.TemporaryDirectory(prefix="docent-docx-") as folder:
        shown = as_shown(path, Path(folder) / "shown.docx")
        return unstructured_docx(filename=str(shown))


def check_size(path: Path, max_paragraphs: int) -> None:
    """Raise TOO_LARGE, before the document is read, when its text parts hold more than
    `max_paragraphs` paragraphs (each costs the reader about 1 ms: 300,000 one-letter
    paragraphs, a 30 KB file, held a parse worker over 10 minutes) or a run of text longer
    than the XML parser takes in one piece (10 MB, libxml2's bound without `huge_tree`).
    Streams the parts (memory: one paragraph at a time); a part that is not well-formed is
    left to the reader, which says CORRUPT."""
    with zipfile.ZipFile(path) as package:
        count = 0
        for name in _text_parts(package):
            with package.open(name) as part:
                events = etree.iterparse(
                    part, events=("end",), tag=w("p"), resolve_entities=False, no_network=True
                )
                try:
                    for _, paragraph in events:
                        count += 1
                        if count > max_paragraphs:
                            raise IngestionError(
                                ErrorCode.TOO_LARGE,
                                f"this Word document has more than {max_paragraphs:,} "
                                "paragraphs (DOCENT_MAX_PARAGRAPHS)",
                            )
                        paragraph.clear(keep_tail=True)
                except etree.XMLSyntaxError as exc:
                    if "huge" in str(exc).lower():
                        raise IngestionError(
                            ErrorCode.TOO_LARGE,
                            "this Word document holds a run of text over 10 MB in one piece, "
                            "more than its reader takes",
                        ) from exc
                    return


def as_shown(path: Path, target: Path) -> Path:
    """`path` itself when Word would show its text as stored; otherwise a copy at `target`
    with the markup this module names applied."""
    with zipfile.ZipFile(path) as package:
        parts = _text_parts(package)
        trees = {name: etree.fromstring(package.read(name), _PARSER) for name in parts}
        changed = {name for name, root in trees.items() if _show(root)}
        notes = {
            kind: _notes(root, kind)
            for name, root in trees.items()
            for kind in ("footnote", "endnote")
            if root.tag == w(f"{kind}s")
        }
        settings = _settings(package)
        for name, root in trees.items():
            if root.tag == w("document"):
                if _attach_notes(root, notes, settings) | _hoist_text_boxes(root):
                    changed.add(name)
            elif root.tag in (w("hdr"), w("ftr")) and _hoist_text_boxes(root):
                changed.add(name)
        if not changed:
            return path
        with zipfile.ZipFile(target, "w", zipfile.ZIP_STORED) as copy_:
            for info in package.infolist():
                data = (
                    etree.tostring(trees[info.filename], xml_declaration=True,
                                   encoding="UTF-8", standalone=True)
                    if info.filename in changed
                    else package.read(info)
                )  # fmt: skip
                # Stored, not deflated: the copy is read once, at once, and compressing
                # it again would cost more than the parse.
                copy_.writestr(zipfile.ZipInfo(info.filename, info.date_time), data)
    return target


def _text_parts(package: zipfile.ZipFile) -> list[str]:
    """The parts that hold text: the main document, headers, footers, notes."""
    try:
        types = etree.fromstring(package.read("[Content_Types].xml"), _PARSER)
    except KeyError:
        return []
    names = set(package.namelist())
    return [
        name
        for override in types.iter(f"{{{_CONTENT_TYPES}}}Override")
        if override.get("ContentType", "").endswith(_PARTS)
        and (name := override.get("PartName", "").lstrip("/")) in names
    ]


def _show(root: Any) -> bool:
    """Apply markup compatibility, tracked changes and wrappers; whether anything changed."""
    changed = False
    # (one nested in a branch left out is resolved too, harmlessly: it is no longer read)
    for alternate in list(root.iter(f"{{{MC}}}AlternateContent")):
        _replace(alternate, _branch(alternate))
        changed = True
    for row in list(root.iter(w("tr"))):
        if row.find(f"{w('trPr')}/{w('del')}") is not None:
            _remove(row)
            changed = True
    for cell in list(root.iter(w("tc"))):
        if cell.find(f"{w('tcPr')}/{w('cellDel')}") is not None:
            _remove(cell)
            changed = True
    for element in list(root.iter(w("del"), w("moveFrom"), *_FORMER_PROPERTIES)):
        _remove(element)
        changed = True
    for element in list(root.iter(w("ins"), w("moveTo"))):
        _replace(element, list(element))
        changed = True
    for element in list(root.iter(*_WRAPPERS)):
        content_tag = _WRAPPERS[element.tag]
        if content_tag is None:
            content = [c for c in element if c.tag not in _WRAPPER_PROPERTIES]
        else:
            found = element.find(content_tag)
            content = list(found) if found is not None else []
        _replace(element, content)
        changed = True
    return changed


def _branch(alternate: Any) -> list[Any]:
    """The content of the first branch of an `mc:AlternateContent` with text in it (a
    consumer reads exactly one); the first branch when none has text."""
    branches = [c for c in alternate if c.tag in (f"{{{MC}}}Choice", f"{{{MC}}}Fallback")]
    for branch in branches:
        if branch.find(f".//{w('t')}") is not None:
            return list(branch)
    return list(branches[0]) if branches else []


def _notes(root: Any, kind: str) -> dict[str, list[Any]]:
    """The blocks (paragraphs, tables) of each footnote or endnote, by id."""
    return {
        note.get(w("id"), ""): [c for c in note if c.tag in (w("p"), w("tbl"))]
        for note in root.iter(w(kind))
    }


def _settings(package: zipfile.ZipFile) -> Any:
    try:
        return etree.fromstring(package.read("word/settings.xml"), _PARSER)
    except (KeyError, etree.XMLSyntaxError):
        return None


def _attach_notes(root: Any, notes: dict[str, dict[str, list[Any]]], settings: Any) -> bool:
    """Copy each footnote and endnote after the paragraph that refers to it, its
    `w:footnoteRef` / `w:endnoteRef` written as the mark Word shows."""
    changed = False
    after: dict[Any, Any] = {}  # paragraph -> the last block put after it
    for kind, default_format in (("footnote", "decimal"), ("endnote", "lowerRoman")):
        number_format, number = _numbering(settings, kind, default_format)
        for reference in list(root.iter(w(f"{kind}Reference"))):
            blocks = notes.get(kind, {}).get(reference.get(w("id"), ""))
            paragraph = _ancestor(reference, w("p"))
            if not blocks or paragraph is None:
                continue
            if reference.get(w("customMarkFollows")) in ("1", "true", "on"):
                mark = _following_text(reference)
            else:
                mark = format_number(number, number_format)
                number += 1
            for block in blocks:
                block = copy.deepcopy(block)
                for ref_mark in list(block.iter(w(f"{kind}Ref"))):
                    _replace(ref_mark, [_mark(mark)])
                _separate_marks(block)
                anchor = after.get(paragraph, paragraph)
                anchor.addnext(block)
                after[paragraph] = block
            changed = True
    return changed


_MARK = "docent-mark"


def _mark(text: str) -> Any:
    element = etree.Element(w("t"), {_MARK: "1"})
    element.text = text
    return element


def _separate_marks(block: Any) -> None:
    """A space between a note's mark and its text, unless the text starts with one."""
    texts = list(block.iter(w("t")))
    for index, element in enumerate(texts):
        if element.attrib.pop(_MARK, None) is None:
            continue
        following = texts[index + 1].text if index + 1 < len(texts) else ""
        if following and not following[:1].isspace():
            element.text = f"{element.text} "
            element.set("{http://www.w3.org/XML/1998/namespace}space", "preserve")


def _numbering(settings: Any, kind: str, default: str) -> tuple[str, int]:
    """The number format and first number of footnotes or endnotes (`w:footnotePr` in the
    document settings; Word's defaults: 1, 2, 3 for footnotes, i, ii, iii for endnotes)."""
    if settings is None:
        return default, 1
    properties = settings.find(w(f"{kind}Pr"))
    if properties is None:
        return default, 1
    number_format = properties.find(w("numFmt"))
    start = properties.find(w("numStart"))
    try:
        first = int(start.get(w("val"))) if start is not None else 1
    except (TypeError, ValueError):
        first = 1
    return (number_format.get(w("val"), default) if number_format is not None else default), first


_ROMAN = [
    (1000, "m"), (900, "cm"), (500, "d"), (400, "cd"), (100, "c"), (90, "xc"), (50, "l"),
    (40, "xl"), (10, "x"), (9, "ix"), (5, "v"), (4, "iv"), (1, "i"),
]  # fmt: skip


def format_number(number: int, number_format: str) -> str:
    """`number` in a WordprocessingML number format (ST_NumberFormat: decimal, lowerRoman,
    upperRoman, lowerLetter, upperLetter; any other as decimal)."""
    if number_format in ("lowerRoman", "upperRoman") and number > 0:
        roman = ""
        for value, letters in _ROMAN:
            while number >= value:
                roman += letters
                number -= value
        return roman.upper() if number_format == "upperRoman" else roman
    if number_format in ("lowerLetter", "upperLetter") and number > 0:
        # Word repeats the letter past z: a..z, aa..zz, aaa...
        letter = chr(ord("a") + (number - 1) % 26) * ((number - 1) // 26 + 1)
        return letter.upper() if number_format == "upperLetter" else letter
    return str(number)


def _hoist_text_boxes(root: Any) -> bool:
    """Move the paragraphs and tables of each text box after the paragraph it is anchored
    in, in document order (a text box inside a text box follows its outer box)."""
    changed = False
    after: dict[Any, Any] = {}
    for content in list(root.iter(w("txbxContent"))):
        paragraph = _ancestor(content, w("p"))
        if paragraph is None:
            continue
        for block in [c for c in content if c.tag in (w("p"), w("tbl"))]:
            anchor = after.get(paragraph, paragraph)
            anchor.addnext(block)
            after[paragraph] = block
        _remove(content)
        changed = True
    return changed


def _ancestor(element: Any, tag: str) -> Any:
    parent = element.getparent()
    while parent is not None and parent.tag != tag:
        parent = parent.getparent()
    return parent


def _following_text(reference: Any) -> str:
    """The text of the run after a reference: its custom mark ("*")."""
    run = reference.getparent()
    following = run.getnext() if run is not None else None
    text = "".join(following.itertext()) if following is not None else ""
    return text.strip() or "*"


def _replace(element: Any, content: Iterable[Any]) -> None:
    parent = element.getparent()
    if parent is None:
        return
    index = parent.index(element)
    parent[index : index + 1] = list(content)


def _remove(element: Any) -> None:
    parent = element.getparent()
    if parent is not None:
        parent.remove(element)
