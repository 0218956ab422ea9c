# Checks and prints hirebridge's events, read from `hirebridge tail` (a JSON
# line each: subject, headers, data), so no NATS client is needed:
#   go run ./cmd/hirebridge tail -all | python3 examples/consume-python/consume.py
# Python 3.11+ and jsonschema 4.10 or later (Debian: python3-jsonschema).
import json
import os
import sys
from datetime import datetime
from pathlib import Path

from jsonschema import Draft202012Validator, FormatChecker
from jsonschema.exceptions import best_match

schemas = Path(__file__).resolve().parents[2] / "schema" / "schemas"
prefix = os.environ.get("HIREBRIDGE_TOPIC_PREFIX", "hirempire")
sys.stdout.reconfigure(line_buffering=True)  # a line as soon as handled

# jsonschema checks a format only when told how: date-time, the schemas'
# only one, by the standard library, with the offset RFC 3339 requires.
formats = FormatChecker([])
formats.checks("date-time", raises=ValueError)(
    lambda v: not isinstance(v, str) or datetime.fromisoformat(v).tzinfo is not None)


def validator(path):
    return Draft202012Validator(json.loads(path.read_text()), format_checker=formats)


# One file a type, with no $ref to another: nothing to resolve or fetch.
documented = {p.stem: validator(p) for p in (schemas / "bundled").glob("*.json")}
undocumented = validator(schemas / "undocumented" / "event.json")

# ce-ids handled: JetStream drops a re-sent event only within the stream's
# duplicate window. A service that must act once keeps them with what it
# did, in one transaction.
done = set()
for line in sys.stdin:
    msg = json.loads(line)
    if msg["subject"] == f"{prefix}.dlq":
        continue  # a rejected body as received, without ce- headers
    headers, ev = msg["headers"], msg["data"]
    name = headers["ce-type"].removeprefix("com.hirempire.")
    # Undocumented types (hirebridge-validated: false), and types newer than
    # these schemas: only event and timestamp to rely on; checked, not handled.
    unknown = headers.get("hirebridge-validated") == "false" or name not in documented
    error = best_match((undocumented if unknown else documented[name]).iter_errors(ev))
    if error:
        print(msg["subject"], headers["ce-id"], f"{error.json_path}: {error.message}", file=sys.stderr)
    elif not unknown and headers["ce-id"] not in done:
        done.add(headers["ce-id"])
        match ev:
            case {"event": "job_added" | "job_activated" | "job_deactivated" | "job_deleted", "job": job}:
                print(ev["event"], job["id"], job["title"])
            case {"event": "applicant_applied" | "cv_upload_completed", "applicant": applicant, "job": job}:
                print(ev["event"], applicant["id"], applicant["name"], "for", job["id"])
            case {"event": "meeting_booked", "meeting": meeting}:
                print(ev["event"], meeting["id"], meeting["duration_minutes"], "min")
