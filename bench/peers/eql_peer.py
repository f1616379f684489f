#!/usr/bin/env python3
"""Peer (c): Endgame EQL's Python engine (`pip install eql`) on an ECS NDJSON stream.

    eql_peer.py ECS_FILE ALERTS_OUT [--join host|process] [--maxspan 15m]
                [--style match|wildcard] [--print-query]

One `sequence by host.name with maxspan=<TimeWindow>` query per OS (windows, linux, macos):
an untrusted egress (a lineage connect to an untrusted destination.domain, or a DNS answer for an
untrusted name asked by the lineage or by no process), then a download-like write by a link-app
lineage.
Lineage uses EQL's `descendant of [...]` / `event of [...]` filters, which say "some link app is
an ancestor" but cannot bind *which* one, so the two terms are joined by host only
(`--join process` joins them by process.entity_id instead: the same process must do both).
See README.md for every difference from clickchain's rules.

Writes the alerts (deduplicated per host and file path) as NDJSON to ALERTS_OUT and prints one
JSON summary line on stdout. `secs` is the timed part: reading and parsing the file, mapping each
document to an EQL event and streaming it through the engine, up to the last alert written;
interpreter start-up, imports and query compilation are not in it (`compile_secs` reports the
latter).
"""

import argparse
import json
import os
import re
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

import eql  # noqa: E402
from eql.events import Event  # noqa: E402

import common  # noqa: E402


def q(s):
    """An EQL string literal."""
    return json.dumps(s)


SHORT = [False]
STYLE = ["match"]


def wildcard(field, patterns):
    """`field` matches one of the wildcard patterns (`*` = any text, case-insensitive). Written as
    one `match(field, regex)` (the default: the Python engine evaluates every argument of a
    function call on every event, so 100 literal wildcards cost 100 calls per event) or as
    `wildcard(field, p1, p2, ...)` (`--style wildcard`); both accept the same strings."""
    if STYLE[0] == "wildcard":
        if SHORT[0] and len(patterns) > 3:
            return "wildcard(%s, %s, %s, ... %d patterns)" % (field, q(patterns[0]), q(patterns[1]), len(patterns))
        return "wildcard(%s, %s)" % (field, ", ".join(q(p) for p in patterns))
    lead = all(p.startswith("*") for p in patterns)
    body = [p[1:] if lead else p for p in patterns]
    regex = "(?:%s)$" % "|".join(".*".join(re.escape(piece) for piece in p.split("*")) for p in body)
    if lead:
        regex = ".*" + regex
    if SHORT[0] and len(regex) > 80:
        return "match(%s, %s ... %d patterns)" % (field, q(regex[:60]), len(patterns))
    return "match(%s, %s)" % (field, q(regex))


def span_text(secs):
    if secs % 60 == 0:
        return "%dm" % (secs // 60)
    return "%ds" % secs


def os_query(os_name, lists, join, maxspan):
    """The EQL sequence for one OS, from clickchain's default lists for it."""
    sep = "\\" if os_name == "windows" else "/"
    browsers = ["*" + sep + b for b in lists["browser_parents"]]
    root = "[process where %s]" % wildcard("process.executable", browsers)
    lineage = "(descendant of %s or event of %s)" % (root, root)
    risky = ["*." + t for t in lists["suspicious_tlds"]]
    allowed = []
    for d in lists["allowed_cdns"]:
        allowed += [d, "*." + d]

    def untrusted(field):
        return "(%s and not %s)" % (wildcard(field, risky), wildcard(field, allowed))

    # a connect named by the event, or a DNS answer for the name asked by the lineage or by no
    # process (a host resolver such as systemd-resolved): EQL cannot join the connect's IP to it
    egress = "((%s and %s) or (%s and (%s or process.entity_id == null)))" % (
        lineage,
        untrusted("destination.domain"),
        untrusted("dns.question.name"),
        lineage,
    )
    downloads = ["*" + sep + d + sep + "*" for d in lists["download_dirs"]]
    user = common.folder_wildcards(os_name, lists["user_paths"])
    excluded = common.folder_wildcards(os_name, lists["excluded_paths"])
    exts = ["*." + e for e in lists["high_risk_extensions"]]
    partial = ["*" + s for s in lists["partial_suffixes"]]
    archive = ["*" + sep + "*." + x + sep + "*" for x in lists["archive_extensions"]]
    download_like = "(%s and (%s or %s or %s))" % (
        wildcard("file.path", user),
        wildcard("file.path", downloads),
        wildcard("file.path", exts),
        wildcard("file.path", archive),
    )
    write = "(%s or %s) and %s and not %s and not %s" % (
        'arrayContains(event.type, "creation")',
        'event.action == "rename"',
        download_like,
        wildcard("file.path", excluded),
        wildcard("file.path", partial),
    )
    by = "host.name" if join == "host" else "host.name, process.entity_id"
    span = maxspan if maxspan else span_text(lists["time_window_s"])
    os_filter = "host.os.type == %s" % q(os_name)
    return (
        "sequence by %s with maxspan=%s\n"
        "  [network where %s and %s]\n"
        "  [file where %s and %s and %s]"
    ) % (by, span, os_filter, egress, os_filter, lineage, write)


class Loader:
    """ECS documents -> EQL events. The type is the first `event.category`; the time is epoch ms.
    For EQL's lineage filters, process events get Endgame's flat fields: `unique_pid` and
    `unique_ppid` (host + `entity_id`; for a document that names its process by pid only, the
    latest start of that pid on the host, as an Endgame sensor assigns unique_pid), `pid`, and
    `subtype` = create / terminate."""

    def __init__(self):
        self.by_pid = {}  # (host, pid) -> unique_pid of its latest start, for pid-only documents

    def key(self, host, ent, pid):
        if ent is not None:
            return "%s|%s" % (host, ent)
        if pid is not None:
            return self.by_pid.get((host, pid))
        return None

    def event(self, doc):
        cat = common.first(common.get(doc, "event.category")) or "any"
        ms = common.ts_ms(doc["@timestamp"])
        host = common.get(doc, "host.name")
        proc = doc.get("process")
        if isinstance(proc, dict):
            ent, pid = proc.get("entity_id"), proc.get("pid")
            start = cat == "process" and "start" in (common.get(doc, "event.type") or [])
            parent = proc.get("parent")
            if isinstance(parent, dict):
                upp = self.key(host, parent.get("entity_id"), parent.get("pid"))
                if upp is not None:
                    doc["unique_ppid"] = upp
            if start and ent is None and pid is not None:
                self.by_pid[(host, pid)] = "%s|pid:%s@%d" % (host, pid, ms)
            up = self.key(host, ent, pid)
            if up is not None:
                doc["unique_pid"] = up
            doc["pid"] = pid or 1
            if cat == "process":
                if start:
                    doc["subtype"] = "create"
                elif "end" in (common.get(doc, "event.type") or []):
                    doc["subtype"] = "terminate"
        return Event(cat, ms, doc)


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("ecs")
    ap.add_argument("alerts")
    ap.add_argument("--join", choices=("host", "process"), default="host")
    ap.add_argument("--maxspan", help="override every OS's TimeWindow, e.g. 2m")
    ap.add_argument(
        "--style",
        choices=("match", "wildcard"),
        default="match",
        help="pattern lists as one match() regex (default) or as wildcard() arguments",
    )
    ap.add_argument("--lists", help="lists.json [default: beside this script]")
    ap.add_argument("--print-query", action="store_true", help="print the queries on stderr")
    a = ap.parse_args(argv)

    lists = common.load_lists(a.lists)
    STYLE[0] = a.style
    compile_timer = common.Timer()
    texts = [os_query(o, lists[o], a.join, a.maxspan) for o in common.OSES]
    if a.print_query:
        for t in texts:
            sys.stderr.write(t + "\n\n")
    engine = eql.PythonEngine(
        {"pid_key": "unique_pid", "ppid_key": "unique_ppid", "time_unit": 1000}
    )
    with eql.parser.ignore_missing_fields, eql.parser.ignore_missing_functions:
        for t in texts:
            engine.add_query(eql.parse_query(t))
    compile_secs = compile_timer.secs()
    SHORT[0] = True
    short = [os_query(o, lists[o], a.join, a.maxspan) for o in common.OSES]

    seen = set()
    matches = [0]
    out = open(a.alerts, "w", encoding="utf-8")

    def on_output(result):
        matches[0] += 1
        egress, write = result.events[0], result.events[-1]
        host = common.get(write.data, "host.name")
        path = common.get(write.data, "file.path")
        if (host, path) in seen:
            return
        seen.add((host, path))
        domain = common.get(egress.data, "destination.domain") or common.get(egress.data, "dns.question.name")
        rec = common.alert_record(
            "eql",
            host,
            path,
            write.time,
            egress.time,
            domain,
            process=common.get(write.data, "process.entity_id"),
        )
        out.write(json.dumps(rec) + "\n")

    engine.add_output_hook(on_output)

    timer = common.Timer()
    loader = Loader()
    n = 0
    late = 0
    last = None
    with open(a.ecs, "rb") as f:
        for line in f:
            if not line.strip():
                continue
            ev = loader.event(json.loads(line))
            n += 1
            if last is not None and ev.time < last:
                late += 1
            else:
                last = ev.time
            engine.stream_event(ev)
    engine.finalize()
    out.close()
    secs = timer.secs()
    common.summary(
        "eql",
        n,
        secs,
        len(seen),
        " ;; ".join(" ".join(t.split()) for t in short),
        matches=matches[0],
        out_of_order=late,
        compile_secs=round(compile_secs, 6),
        join=a.join,
        style=a.style,
        eql_version=eql.__version__,
    )


if __name__ == "__main__":
    main()
