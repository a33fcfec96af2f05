"""Reads a .qdpx back with tools that are not Fieldnotes', and prints what
an analysis tool would see, as JSON.

1. xmlschema validates project.qde against the official REFI-QDA Project
   schema (the copy the qualitative-coding package ships).
2. pyrefiqda parses the project into typed models generated from that
   schema, and its resolve_source_path finds each source's text.
3. Selections are cut from the text with Python's own string slicing, which
   counts Unicode code points, as REFI-QDA does.

Usage: python qdpx.py <file.qdpx>
"""
import importlib.resources
import json
import sys
import tempfile
import zipfile

import xmlschema
from pyrefiqda import RefiProject

path = sys.argv[1]
schema = importlib.resources.files("qualitative_coding") / "refi_qda" / "schema.xsd"
with zipfile.ZipFile(path) as zf:
    names = zf.namelist()
    qde = zf.read("project.qde")
xmlschema.XMLSchema(str(schema)).validate(qde.decode("utf-8"))

out = {"entries": names}
with tempfile.TemporaryDirectory() as tmp:
    project = RefiProject.load(path, extract_dir=tmp)
    out["name"] = project.name
    out["origin"] = project.origin
    out["users"] = {u.guid: u.name for u in (project.users.user if project.users else [])}
    out["variables"] = {
        v.guid: {"name": v.name, "type": v.type_of_variable.value}
        for v in (project.variables.variable if project.variables else [])
    }

    def values(items):
        got = {}
        for vv in items:
            name = out["variables"][vv.variable_ref.target_guid]["name"]
            for v in (vv.text_value, vv.integer_value, vv.boolean_value, vv.date_value):
                if v is not None:
                    got[name] = v if isinstance(v, (str, int, bool)) else str(v)
                    break
        return got

    def code(c, parent):
        out["codes"][c.guid] = {"name": c.name, "parent": parent, "description": c.description}
        out["code_order"].append(c.name)
        for k in c.code:
            code(k, c.guid)

    out["codes"] = {}
    out["code_order"] = []  # names, depth first, as the file lists them
    if project.code_book:
        for c in project.code_book.codes.code:
            code(c, None)
    out["cases"] = [
        {
            "guid": c.guid,
            "name": c.name,
            "values": values(c.variable_value),
            "sources": [r.target_guid for r in c.source_ref],
        }
        for c in (project.cases.case if project.cases else [])
    ]
    out["sources"] = []
    for s in project.sources.text_source if project.sources else []:
        raw = open(RefiProject.resolve_source_path(s.plain_text_path, tmp), "rb").read()
        text = raw.decode("utf-8")
        out["sources"].append(
            {
                "guid": s.guid,
                "name": s.name,
                "creating_user": s.creating_user,
                "bom": raw.startswith(b"\xef\xbb\xbf"),
                "crlf": b"\r" in raw,
                "text": text,
                "values": values(s.variable_value),
                "selections": [
                    {
                        "guid": sel.guid,
                        "start": sel.start_position,
                        "end": sel.end_position,
                        "quote": text[sel.start_position : sel.end_position],
                        "codes": [c.code_ref.target_guid for c in sel.coding],
                        "users": [c.creating_user for c in sel.coding],
                    }
                    for sel in s.plain_text_selection
                ],
            }
        )
print(json.dumps(out, ensure_ascii=False))
