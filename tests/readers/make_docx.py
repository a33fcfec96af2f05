"""Writes a Word document (.docx) with python-docx, a writer that is not
Fieldnotes', from a JSON description: {"paragraphs": [text, ...],
"table": [[cell, ...], ...]}. A tab or a line break in a text becomes
Word's own. The document is printed as JSON, {"base64": ...}.

Usage: python make_docx.py <file.json>
"""
import base64
import io
import json
import sys

import docx

path = sys.argv[1]
with open(path, encoding="utf-8") as f:
    spec = json.load(f)
doc = docx.Document()
for text in spec.get("paragraphs", []):
    doc.add_paragraph(text)
rows = spec.get("table", [])
if rows:
    table = doc.add_table(rows=len(rows), cols=len(rows[0]))
    for r, row in enumerate(rows):
        for c, text in enumerate(row):
            table.cell(r, c).text = text
out = io.BytesIO()
doc.save(out)
print(json.dumps({"base64": base64.b64encode(out.getvalue()).decode("ascii")}))
