#!/usr/bin/env python3
"""Recompute an irbot timeline's hash chain (irbot.timeline.v1).

Usage: python3 verify_chain.py EVIDENCE.zip | timeline.json
Prints "ok: N events, chain head H" and exits 0, or names the first bad
event and exits 1. Python 3 standard library only.
"""
import datetime, hashlib, json, re, sys, zipfile

VERSION = "irbot.timeline.v1"
ZERO = "0" * 64


class Num(str):
    """A JSON number kept exactly as written (never re-formatted)."""


def no_dup(pairs):
    seen = {}
    for k, v in pairs:
        if k in seen:
            raise ValueError("duplicate object key %r" % k)
        seen[k] = v
    return seen


def jstr(s):
    out = ['"']
    for ch in s:
        c = ord(ch)
        if ch == '"':
            out.append('\\"')
        elif ch == "\\":
            out.append("\\\\")
        elif ch in "\b\t\n\f\r":
            out.append({"\b": "\\b", "\t": "\\t", "\n": "\\n", "\f": "\\f", "\r": "\\r"}[ch])
        elif c < 0x20:
            out.append("\\u%04x" % c)
        else:
            out.append(ch)
    out.append('"')
    return "".join(out)


def canon(v):
    if isinstance(v, Num):
        return str(v)
    if isinstance(v, str):
        return jstr(v)
    if v is True:
        return "true"
    if v is False:
        return "false"
    if v is None:
        return "null"
    if isinstance(v, list):
        return "[" + ",".join(canon(x) for x in v) + "]"
    if isinstance(v, dict):
        keys = sorted(v, key=lambda k: k.encode("utf-8"))
        return "{" + ",".join(jstr(k) + ":" + canon(v[k]) for k in keys) + "}"
    raise TypeError(type(v))


def at_string(s):
    """The event time as hashed: UTC, exactly six fractional digits."""
    m = re.fullmatch(r"(\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d)(?:\.(\d{1,9}))?(Z|[+-]\d\d:\d\d)", s)
    if not m:
        raise ValueError("unreadable time %r" % s)
    base, frac, zone = m.group(1), (m.group(2) or "")[:6].ljust(6, "0"), m.group(3)
    if zone != "Z":
        t = datetime.datetime.fromisoformat(base + zone).astimezone(datetime.timezone.utc)
        base = t.strftime("%Y-%m-%dT%H:%M:%S")
    return base + "." + frac + "Z"


def event_hash(e):
    # An encrypting store hashes the data as stored (sealed), not decrypted.
    data = e.get("sealed") or e.get("data")
    if data is None:
        data = {}
    parts = [jstr(VERSION), jstr(e["incident_id"]), str(int(e["seq"])), jstr(e["key"]),
             jstr(at_string(e["at"])), jstr(e["kind"]), jstr(e["actor"]), canon(data), jstr(e["prev_hash"])]
    return hashlib.sha256(("[" + ",".join(parts) + "]").encode("utf-8")).hexdigest()


def load(path):
    if path.endswith(".zip"):
        with zipfile.ZipFile(path) as z:
            name = next(n for n in z.namelist() if n.endswith("/timeline.json"))
            raw = z.read(name)
    else:
        with open(path, "rb") as f:
            raw = f.read()
    doc = json.loads(raw.decode("utf-8"), object_pairs_hook=no_dup,
                     parse_float=Num, parse_int=Num, parse_constant=Num)
    return doc["events"]


def main(argv):
    if len(argv) != 2:
        print(__doc__.strip(), file=sys.stderr)
        return 2
    prev = ZERO
    events = load(argv[1])
    for i, e in enumerate(events, 1):
        if int(e["seq"]) != i:
            print("event %d: seq is %s (missing, added or reordered events)" % (i, e["seq"]))
            return 1
        if e["prev_hash"] != prev:
            print("event %d: prev_hash is not event %d's hash" % (i, i - 1))
            return 1
        h = event_hash(e)
        if h != e["hash"]:
            print("event %d (%s): content hashes to %s, the chain says %s" % (i, e["kind"], h, e["hash"]))
            return 1
        prev = h
    print("ok: %d events, chain head %s" % (len(events), prev if events else ""))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
