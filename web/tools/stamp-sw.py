#!/usr/bin/env python3
"""Writes the service worker's VERSION: the first 12 hex digits of a SHA-256
over every file of web/app except sw.js (path and content). Run it after
changing anything in web/app:  python3 web/tools/stamp-sw.py
The e2e tests compute the same digest and fail when sw.js is stale."""
import hashlib
import re
from pathlib import Path

APP = Path(__file__).resolve().parent.parent / "app"


def digest():
    h = hashlib.sha256()
    for f in sorted(p for p in APP.rglob("*") if p.is_file() and p.name != "sw.js"):
        h.update(f.relative_to(APP).as_posix().encode() + b"\0" + f.read_bytes() + b"\0")
    return h.hexdigest()[:12]


if __name__ == "__main__":
    sw = APP / "sw.js"
    text = sw.read_text()
    new = re.sub(r"const VERSION = '[0-9a-f]*';", f"const VERSION = '{digest()}';", text, count=1)
    sw.write_text(new)
    print(f"sw.js VERSION = {digest()}")
