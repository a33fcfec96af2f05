"""Reads a calendar feed with the icalendar package and prints each event's
start and end in UTC, as JSON. The time zones come only from the feed's own
VTIMEZONE blocks (to_tz with lookup_tzid=False), never from the system's
database, so a wrong or missing VTIMEZONE shows as a wrong time.

Usage: python ics.py <file.ics>
"""
import datetime
import json
import sys

import icalendar

cal = icalendar.Calendar.from_ical(open(sys.argv[1], "rb").read())
zones = {str(z["TZID"]): z.to_tz(lookup_tzid=False) for z in cal.walk("VTIMEZONE")}


def utc(prop):
    naive = prop.dt.replace(tzinfo=None)
    tzid = prop.params.get("TZID")
    if tzid not in zones:
        raise SystemExit(f"no VTIMEZONE for TZID {tzid!r}")
    zone = zones[tzid]
    local = zone.localize(naive) if hasattr(zone, "localize") else naive.replace(tzinfo=zone)
    return local.astimezone(datetime.timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")


print(
    json.dumps(
        {
            "prodid": str(cal.get("PRODID")),
            "zones": sorted(zones),
            "events": [
                {
                    "summary": str(e.get("SUMMARY")),
                    "start": utc(e["DTSTART"]),
                    "end": utc(e["DTEND"]),
                }
                for e in cal.walk("VEVENT")
            ],
        }
    )
)
