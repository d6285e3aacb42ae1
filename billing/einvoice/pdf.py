"""The PDF as Factur-X PDF/A-3B: the CII XML embedded as factur-x.xml (AFRelationship Data) and the
Factur-X XMP properties with their PDF/A extension schema.

`write_facturx_pdf()` does it in WeasyPrint's own pass (pdf_variant pdf/a-3b + attachment + a finisher that
adds the XMP), which costs next to nothing over a plain render; `embed_facturx()` uses the factur-x library
on a finished PDF (it parses and rewrites the PDF with pypdf) for PDFs made elsewhere.
"""

from __future__ import annotations

import copy
import functools
import io
from typing import Any

import facturx
from lxml import etree
from weasyprint import HTML, Attachment

FACTURX_FILENAME = "factur-x.xml"

_RDF = "http://www.w3.org/1999/02/22-rdf-syntax-ns#"


@functools.cache
def _facturx_xmp(level: str = "en16931") -> tuple[bytes, ...]:
    """The Factur-X XMP descriptions: the fx: properties and their PDF/A extension schema."""
    xmp = etree.fromstring(facturx.generate_xmp_bytes("factur-x", level, None, {}).split(b"\n", 1)[1]
                           .rsplit(b"\n", 1)[0])
    found = []
    for description in xmp.iter(f"{{{_RDF}}}Description"):
        if any(child.tag.startswith(("{urn:factur-x", "{http://www.aiim.org/pdfa/ns/extension/"))
               for child in description):
            description = copy.deepcopy(description)
            description.set(f"{{{_RDF}}}about", "")
            etree.cleanup_namespaces(description)
            found.append(etree.tostring(description))
    return tuple(found)


def _finish_facturx(_document: Any, pdf: Any) -> None:
    """WeasyPrint finisher: the Factur-X descriptions join the one rdf:RDF of the PDF/A XMP WeasyPrint wrote,
    and the catalog's /AF lists the XML once (WeasyPrint 70 lists an attachment twice)."""
    metadata = pdf.objects[int(pdf.catalog["Metadata"].split()[0])]
    head, rest = b"".join(metadata.stream).split(b"<rdf:RDF", 1)
    end = rest.index(b"</rdf:RDF>")
    additions = b"".join(_facturx_xmp())
    metadata.stream = [head + b"<rdf:RDF" + rest[:end] + additions + rest[end:]]
    unique = list(dict.fromkeys(pdf.catalog["AF"]))
    pdf.catalog["AF"].clear()
    pdf.catalog["AF"].extend(unique)


def write_facturx_pdf(html: str, xml: bytes, *, base_url: str) -> bytes:
    """Render `html` straight to a Factur-X PDF/A-3B with `xml` embedded (one pass, no re-parsing)."""
    attachment = Attachment(file_obj=io.BytesIO(xml), name=FACTURX_FILENAME, relationship="Data",
                            description="Factur-X XML invoice")
    return HTML(string=html, base_url=base_url).write_pdf(
        pdf_variant="pdf/a-3b", attachments=[attachment], finisher=_finish_facturx)


def embed_facturx(pdf: bytes, xml: bytes) -> bytes:
    """Make an existing PDF a Factur-X PDF/A-3 (the factur-x library: parses and rewrites the PDF)."""
    return facturx.generate_from_binary(pdf, xml, flavor="factur-x", level="en16931", check_xsd=False,
                                        afrelationship="data")
