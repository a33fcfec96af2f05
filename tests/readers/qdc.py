"""Reads a REFI-QDA codebook file (.qdc) back with tools that are not
Fieldnotes', and prints its tree as JSON.

1. xmlschema validates it against the official Codebook.xsd of QDA-XML 1.0
   (tests/readers/refi/Codebook.xsd; its source is pinned in SOURCE.md).
2. Python's own ElementTree walks the codes: guid, name, description and the
   codes under each, in the file's order.

Usage: python qdc.py <file.qdc>
"""
import json
import pathlib
import sys
import xml.etree.ElementTree as ET

import xmlschema

NS = "{urn:QDA-XML:codebook:1.0}"
here = pathlib.Path(__file__).parent
data = open(sys.argv[1], "rb").read()
xmlschema.XMLSchema(str(here / "refi" / "Codebook.xsd")).validate(data.decode("utf-8"))
root = ET.fromstring(data)


def code(el):
    desc = el.find(NS + "Description")
    return {
        "guid": el.get("guid"),
        "name": el.get("name"),
        "codable": el.get("isCodable"),
        "description": desc.text if desc is not None else None,
        "children": [code(k) for k in el.findall(NS + "Code")],
    }


print(json.dumps({
    "root": root.tag,
    "origin": root.get("origin"),
    "codes": [code(c) for c in root.find(NS + "Codes").findall(NS + "Code")],
}, ensure_ascii=False))
