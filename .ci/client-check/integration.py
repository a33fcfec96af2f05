"""An integrator's first hour, with the Python client that openapi-python-client
generated, untouched, from openapi/openapi.json: sign in, make an API key and
work with it alone; page through the interviews; sync notes (twice: a retry
stores nothing twice); meet a 412 and resolve it; download the .qdpx.

Usage: integration.py <folder of the generated package> <base URL> <email> <password>
"""
import datetime as dt
import io
import sys
import uuid
import zipfile

sys.path.insert(0, sys.argv[1])
BASE, EMAIL, PASSWORD = sys.argv[2:5]

from fieldnotes_api_client import AuthenticatedClient, Client  # noqa: E402
from fieldnotes_api_client.api.api_keys import create_api_key  # noqa: E402
from fieldnotes_api_client.api.auth import login  # noqa: E402
from fieldnotes_api_client.api.changes import list_changes  # noqa: E402
from fieldnotes_api_client.api.exports import project_qdpx  # noqa: E402
from fieldnotes_api_client.api.interviews import list_interviews  # noqa: E402
from fieldnotes_api_client.api.notes import get_note, patch_note, sync_notes  # noqa: E402
from fieldnotes_api_client.api.sites import list_sites  # noqa: E402
from fieldnotes_api_client.models import (  # noqa: E402
    ApiKeyIn,
    ChangePage,
    InterviewList,
    Location,
    LoginIn,
    NoteIn,
    NotePatch,
    Problem412,
    Scope,
    SyncIn,
    TokenOut,
)
from fieldnotes_api_client.types import File  # noqa: E402


def check(cond, what):
    if not cond:
        sys.exit(f"clients: {what}")
    print(f"ok - {what}")


# 1. Sign in as a person, make a key, then use only the key.
anon = Client(base_url=BASE, raise_on_unexpected_status=True)
signed = login.sync(client=anon, body=LoginIn(email=EMAIL, password=PASSWORD))
check(isinstance(signed, TokenOut), "sign-in gives tokens")
person = AuthenticatedClient(base_url=BASE, token=signed.access_token)
scopes = [Scope.SITESREAD, Scope.SCHEDULEREAD, Scope.NOTESREAD, Scope.NOTESWRITE, Scope.EXPORTSREAD, Scope.CHANGESREAD]
key = create_api_key.sync(client=person, body=ApiKeyIn(name="integration", scopes=scopes))
check(key is not None and key.secret.startswith("fnk_"), "an API key is made, its secret shown once")
app = AuthenticatedClient(base_url=BASE, token=key.secret)

# 2. Page through the interviews with the cursor.
seen, cursor, pages = [], None, 0
while True:
    kwargs = {"limit": 3}
    if cursor:
        kwargs["cursor"] = cursor
    page = list_interviews.sync(client=app, **kwargs)
    check(isinstance(page, InterviewList), f"page {pages + 1} of the interviews")
    pages += 1
    seen += [i.id for i in page.items]
    cursor = page.next_cursor if isinstance(page.next_cursor, str) else None
    if not cursor:
        break
whole = list_interviews.sync(client=app, limit=200)
check(pages > 1 and seen == [i.id for i in whole.items], f"{pages} pages hold every interview once, in order ({len(seen)})")

# 3. Sync notes from a phone's queue; the retry stores nothing twice.
site = list_sites.sync(client=app)[0]
now = dt.datetime.now(dt.timezone.utc) - dt.timedelta(minutes=5)
notes = [
    NoteIn(id=uuid.uuid4(), site_id=site.id, observed_at=now, location=Location.WAITING_ROOM, body=f"Integration note {n}")
    for n in range(3)
]
first = sync_notes.sync(client=app, body=SyncIn(notes=notes))
again = sync_notes.sync(client=app, body=SyncIn(notes=notes))
check([r.status.value for r in first.results] == ["created"] * 3, "three notes created")
check([r.status.value for r in again.results] == ["unchanged"] * 3, "the retry stores nothing twice")

# 4. Two edits from the same version: the second is a 412 with the current note.
nid = notes[0].id
one = patch_note.sync_detailed(nid, client=app, body=NotePatch(body="Edited by the app"), if_match='"1"')
check(one.status_code == 200, "an edit with If-Match")
stale = patch_note.sync_detailed(nid, client=app, body=NotePatch(body="Edited from an old copy"), if_match='"1"')
check(stale.status_code == 412 and isinstance(stale.parsed, Problem412) and stale.parsed.code == "version_mismatch", "a stale edit is a 412, its code one of the 412's")
etag = stale.headers.get("etag")
current = stale.parsed.current.to_dict()
check(etag == '"2"' == stale.parsed.etag and current["body"] == "Edited by the app", "the 412 carries the current ETag and note, typed")
merged = patch_note.sync_detailed(nid, client=app, body=NotePatch(body="Edited by the app, and merged"), if_match=etag)
check(merged.status_code == 200 and get_note.sync(nid, client=app).version == 3, "the merged edit goes through")

# 5. The change feed names the synced notes, by id, page by page.
created, after = set(), None
while True:
    kwargs = {"limit": 50}
    if after:
        kwargs["after"] = after
    feed = list_changes.sync(client=app, **kwargs)
    check(isinstance(feed, ChangePage), "a page of the change feed")
    created |= {c.object_id for c in feed.items if c.type_.value == "note.created"}
    after = feed.next_cursor if isinstance(feed.next_cursor, str) else after
    if not feed.has_more:
        break
check({str(n.id) for n in notes} <= created, "the change feed names every synced note")

# 6. The project file is bytes, a zip with project.qde inside.
qdpx = project_qdpx.sync(client=app)
check(isinstance(qdpx, File), "the .qdpx download is a file")
with zipfile.ZipFile(io.BytesIO(qdpx.payload.read())) as z:
    check("project.qde" in z.namelist(), "the .qdpx holds project.qde")
