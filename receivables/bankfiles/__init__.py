"""Bank statement files → `ParsedStatement`: CAMT.053 (`camt`), MT940 (`mt940`) and our CSV layout (`csv`).

`detect(content, filename)` refuses what is too large before reading a byte of it, sniffs the format
(an XML root in a camt.053 namespace / `:20:` and `:61:` tags / a CSV header) and parses it. Every
failure is an `o2c.errors.ValidationFailed` with a message for the person who uploaded the file and
`details={"file": [...]}`.
"""

from __future__ import annotations

from . import camt, csv, mt940
from .base import ParsedLine, ParsedStatement, max_statement_bytes, refuse

__all__ = ["ParsedLine", "ParsedStatement", "detect", "max_statement_bytes"]


def _size(content: bytes) -> None:
    limit = max_statement_bytes()
    if len(content) > limit:
        raise refuse(f"The file is {len(content) / 1_048_576:.1f} MB: statements up to "
                     f"{limit / 1_048_576:.0f} MB are accepted.")


def detect(content: bytes, filename: str = "") -> ParsedStatement:
    """Parse a bank statement file of any supported format."""
    if not isinstance(content, bytes | bytearray | memoryview):
        raise refuse("The statement must be given as the file's bytes.")
    content = bytes(content)
    _size(content)
    head = content[:4096].lstrip(b"\xef\xbb\xbf \t\r\n")
    if not head.strip():
        raise refuse("The file is empty.")
    if head.startswith(b"<"):
        return camt.parse(content)
    text = mt940.decode(content[:65536] if len(content) > 65536 else content)
    if mt940.looks_like(text):
        return mt940.parse(content)
    if csv.looks_like(csv.decode(content[:65536])):
        return csv.parse(content, filename)
    name = (filename or "").lower()
    if name.endswith(".xml"):
        return camt.parse(content)  # says why the XML is not read
    if name.endswith(".csv"):
        return csv.parse(content, filename)  # says which columns are wrong
    if name.endswith((".sta", ".940", ".mt940")):
        raise refuse("The MT940 file has no :20: statement with :61: lines.")
    raise refuse("The file is not a bank statement this import reads: CAMT.053 (XML), MT940 or the "
                 "statement CSV layout.")
