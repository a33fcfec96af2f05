#!/usr/bin/env python3
"""Writes the service worker's VERSION and SHELL. VERSION: the first 12 hex
digits of a SHA-256 over every file of web/app except sw.js (path and
content). SHELL: the paths of those files (index.html as '/'), which the
service worker caches, so a new screen or file needs no edit of sw.js.
Run it after changing anything in web/app:  python3 web/tools/stamp-sw.py
The e2e tests compute the same digest and list, and fail when sw.js is stale."""
import hashlib
import re
from pathlib import Path

APP = Path(__file__).resolve().parent.parent / "app"


def files():
    return sorted(p for p in APP.rglob("*") if p.is_file() and p.name != "sw.js")


def digest():
    h = hashlib.sha256()
    for f in files():
        h.update(f.relative_to(APP).as_posix().encode() + b"\0" + f.read_bytes() + b"\0")
    return h.hexdigest()[:12]


def shell():
    paths = ["/" if f.name == "index.html" and f.parent == APP else "/" + f.relative_to(APP).as_posix() for f in files()]
    paths.sort(key=lambda p: (p != "/", p))
    return "const SHELL = [\n" + "".join(f"  '{p}',\n" for p in paths) + "];"


if __name__ == "__main__":
    sw = APP / "sw.js"
    text = sw.read_text()
    version = digest()
    new, n = re.subn(r"const VERSION = '[0-9a-f]*';", f"const VERSION = '{version}';", text, count=1)
    if n != 1:
        raise SystemExit("sw.js: no `const VERSION = '...';` to stamp")
    new, n = re.subn(r"const SHELL = \[[^\]]*\];", lambda _: shell(), new, count=1)
    if n != 1:
        raise SystemExit("sw.js: no `const SHELL = [...];` to stamp")
    sw.write_text(new)
    print(f"sw.js VERSION = {version}, SHELL = {len(files())} files")
