"""Verifies webhook deliveries with the Standard Webhooks project's own
Python library (an implementation independent of the server's).

Reads a JSON file {"secret": "whsec_...", "deliveries": [{"headers": {...},
"body": "..."}]} and prints, for each delivery, {"ok": bool, "error": str,
"payload": the verified JSON body or null}.
"""
import json
import sys

from standardwebhooks.webhooks import Webhook


def main() -> None:
    with open(sys.argv[1], encoding="utf-8") as f:
        given = json.load(f)
    hook = Webhook(given["secret"])
    out = []
    for d in given["deliveries"]:
        try:
            payload = hook.verify(d["body"], d["headers"])
            out.append({"ok": True, "error": "", "payload": payload})
        except Exception as e:  # the library's own verification errors
            out.append({"ok": False, "error": f"{type(e).__name__}: {e}", "payload": None})
    # A tampered copy of each must fail: the check is real.
    for d in given["deliveries"]:
        try:
            hook.verify(d["body"] + " ", d["headers"])
            out.append({"ok": True, "error": "tampered body verified", "payload": None})
        except Exception:
            out.append({"ok": False, "error": "tampered", "payload": None})
    print(json.dumps(out))


if __name__ == "__main__":
    main()
