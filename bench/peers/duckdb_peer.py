#!/usr/bin/env python3
"""Peer (d): DuckDB SQL, batch, on an ECS NDJSON stream.

    duckdb_peer.py ECS_FILE ALERTS_OUT [--threads 2] [--memory-limit 8GB] [--print-query]

Loads the file with `read_ndjson` (explicit columns), derives each link app's lineage with a
recursive CTE, names each connect from the event or from the host's latest DNS answer for its IP
(ASOF join, within dns_ttl), and joins untrusted egress to download-like writes of the same
lineage root within the OS's TimeWindow, with clickchain's click and link-strength conditions.
See README.md for every difference from clickchain's rules.

Writes one alert per (host, link root, file path) as NDJSON to ALERTS_OUT and prints one JSON
summary line on stdout. `secs` is end to end from the file: load, every query, and writing the
alerts (connecting and creating the small parameter tables are not in it; `setup_secs` reports
them). Peak RSS is this process's (DuckDB runs in it).
"""

import argparse
import json
import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

import duckdb  # noqa: E402

import common  # noqa: E402

COLUMNS = {
    "@timestamp": "VARCHAR",
    "host": "STRUCT(name VARCHAR, os STRUCT(type VARCHAR))",
    "event": "STRUCT(category VARCHAR[], type VARCHAR[], action VARCHAR)",
    "process": "STRUCT(entity_id VARCHAR, pid BIGINT, executable VARCHAR, command_line VARCHAR, "
    "parent STRUCT(entity_id VARCHAR, pid BIGINT))",
    "destination": "STRUCT(ip VARCHAR, port BIGINT, domain VARCHAR)",
    "dns": "STRUCT(question STRUCT(name VARCHAR), resolved_ip VARCHAR[])",
    "file": 'STRUCT(path VARCHAR, "Ext" STRUCT(original STRUCT(path VARCHAR)), origin_url VARCHAR)',
}

# The load: one narrow row per document that can matter, times as epoch ms.
LOAD = """
CREATE TEMP TABLE ev AS
SELECT epoch_ms(CAST("@timestamp" AS TIMESTAMPTZ)) AS t,
       host.name AS host, lower(host.os.type) AS os,
       event.category AS cat, event.type AS typ, event.action AS action,
       process.entity_id AS ent, process.parent.entity_id AS pent,
       process.pid AS pid, process.parent.pid AS ppid,
       process.executable AS exe, process.command_line AS cmd,
       destination.ip AS dip, destination.domain AS ddom,
       dns.question.name AS qname, dns.resolved_ip AS answers,
       file.path AS path, file."Ext".original.path AS from_path, file.origin_url AS origin
FROM read_ndjson({path}, columns = {columns}, format = 'newline_delimited', maximum_object_size = 16777216)
"""

# Documents that name a process by pid only (no entity_id, as from auditd-based sources): the
# process is the latest start of that pid on the host at or before the document (ASOF join), and
# a start's parent the latest start of its parent pid; keys `pid:<pid>@<start ms>`. Run only when
# the file has such documents.
PIDS = """
CREATE TEMP TABLE pid_starts AS
SELECT host, pid, t, 'pid:' || pid || '@' || t AS key
FROM ev WHERE ent IS NULL AND pid IS NOT NULL AND list_contains(cat, 'process') AND list_contains(typ, 'start');

CREATE TEMP TABLE pid_keys AS
SELECT e.rid, s.key AS ent, sp.key AS pent
FROM (SELECT rowid AS rid, host, pid, ppid, t FROM ev WHERE ent IS NULL AND pid IS NOT NULL) e
ASOF LEFT JOIN pid_starts s ON s.host = e.host AND s.pid = e.pid AND s.t <= e.t
ASOF LEFT JOIN pid_starts sp ON sp.host = e.host AND sp.pid = e.ppid AND sp.t <= e.t;

UPDATE ev SET ent = k.ent, pent = coalesce(ev.pent, k.pent) FROM pid_keys k WHERE ev.rowid = k.rid;
"""

# Link roots and lineage: every link app's transitive descendants (recursive CTE), then each
# process keeps only the top-most link app above it (the one with no link-app ancestor).
LINEAGE = """
CREATE TEMP TABLE procs AS
SELECT host, os, ent, pent, t, exe, cmd,
       lower(regexp_extract(exe, '[^\\\\/]+$')) AS name
FROM ev
WHERE list_contains(cat, 'process') AND (list_contains(typ, 'start') OR action IN ('exec', 'fork'));

CREATE TEMP TABLE lineage AS
WITH RECURSIVE lin(host, root, ent) AS (
    SELECT p.host, p.ent, p.ent
    FROM procs p JOIN link_apps l ON l.os = p.os AND l.name = p.name
    UNION
    SELECT lin.host, lin.root, c.ent
    FROM lin JOIN procs c ON c.host = lin.host AND c.pent = lin.ent
)
SELECT lin.host, lin.root, lin.ent, r.exe AS root_exe
FROM lin
JOIN (SELECT DISTINCT host, ent, exe FROM procs) r ON r.host = lin.host AND r.ent = lin.root
WHERE NOT EXISTS (SELECT 1 FROM lin b WHERE b.host = lin.host AND b.ent = lin.root AND b.root <> b.ent);
"""

# Egress: connects by a lineage process, named by the event or by the host's latest DNS answer
# for the IP (ASOF join) within dns_ttl; untrusted = suspicious TLD and not allowlisted.
EGRESS = """
CREATE TEMP TABLE dns AS
SELECT host, t, lower(rtrim(qname, '.')) AS name, trim(unnest(answers)) AS ip
FROM ev WHERE qname IS NOT NULL AND len(answers) > 0;

CREATE TEMP TABLE egress AS
WITH c AS (
    SELECT e.host, e.os, e.t, e.dip, lower(rtrim(e.ddom, '.')) AS ddom, L.root, L.root_exe
    FROM ev e JOIN lineage L ON L.host = e.host AND L.ent = e.ent
    WHERE list_contains(e.cat, 'network') AND e.qname IS NULL AND e.dip IS NOT NULL
      AND NOT list_contains(e.typ, 'end')
), named AS (
    SELECT c.*, coalesce(c.ddom, CASE WHEN c.t - d.t <= o.ttl_ms THEN d.name END) AS name
    FROM c
    JOIN osparams o ON o.os = c.os
    ASOF LEFT JOIN dns d ON d.host = c.host AND d.ip = c.dip AND d.t <= c.t
)
SELECT n.*, regexp_extract(n.name, '[^.]+\\.[^.]+$') AS reg
FROM named n
WHERE n.name IS NOT NULL
  AND regexp_extract(n.name, '[^.]+$') IN (SELECT tld FROM tlds WHERE tlds.os = n.os)
  AND NOT EXISTS (SELECT 1 FROM allowed a
                  WHERE a.os = n.os AND (n.name = a.dom OR ends_with(n.name, '.' || a.dom)));
"""

# Writes: creations and renames by a lineage process, final names only, in a user path, outside
# the profile/cache folders, download-like (Downloads folder, high-risk extension, or a member
# of an unpacked archive).
WRITES = """
CREATE TEMP TABLE writes AS
WITH w AS (
    SELECT e.host, e.os, e.t, e.ent, e.path, L.root, L.root_exe,
           lower(regexp_extract(e.origin, '^[A-Za-z][A-Za-z0-9+.-]*://(?:[^@/]*@)?([^/:?#]+)', 1)) AS ohost
    FROM ev e JOIN lineage L ON L.host = e.host AND L.ent = e.ent
    WHERE list_contains(e.cat, 'file') AND e.path IS NOT NULL
      AND (e.from_path IS NOT NULL OR list_contains(e.typ, 'creation') OR e.action IN ('creation', 'rename'))
)
SELECT w.*, nullif(regexp_extract(w.ohost, '[^.]+\\.[^.]+$'), '') AS oreg,
       EXISTS (SELECT 1 FROM allowed a WHERE a.os = w.os
               AND (w.ohost = a.dom OR ends_with(w.ohost, '.' || a.dom))) AS otrusted
FROM w
WHERE user_path(w.os, w.path)
  AND NOT excluded_path(w.os, w.path)
  AND NOT EXISTS (SELECT 1 FROM partials s WHERE s.os = w.os AND ends_with(lower(w.path), s.suffix))
  AND (downloads_dir(w.os, w.path)
       OR lower(regexp_extract(w.path, '\\.([^.\\\\/]+)$', 1)) IN (SELECT ext FROM exts x WHERE x.os = w.os)
       OR archive_member(w.os, w.path));
"""

# The chain: same host and link root; observed click <= egress <= write, write - click <= window;
# else (no observed alert for the write and no click explains the egress) egress <= write within
# the window. Link strength as in clickchain-logic's link_strength; medium or strong alert.
CHAIN = """
CREATE TEMP TABLE clicks AS
SELECT L.host, L.root, p.t
FROM procs p JOIN lineage L ON L.host = p.host AND L.ent = p.ent
WHERE regexp_matches(p.cmd, '(^|\\s)"?https?://');

CREATE TEMP TABLE pairs AS
SELECT w.host, w.root, w.root_exe, w.path, w.t AS tw, w.ent AS wproc, e.t AS te, e.name AS domain,
       o.win_ms, CASE
         WHEN w.oreg IS NOT NULL AND w.oreg = e.reg THEN 3
         WHEN w.oreg IS NOT NULL AND w.otrusted THEN 1
         WHEN w.t - e.t <= o.gap_ms THEN 2
         ELSE 1 END AS strength
FROM writes w
JOIN egress e ON e.host = w.host AND e.root = w.root AND e.t <= w.t
JOIN osparams o ON o.os = w.os
WHERE w.t - e.t <= o.win_ms;

CREATE TEMP TABLE hits AS
WITH ok AS (SELECT * FROM pairs WHERE strength >= 2),
observed AS (
    SELECT ok.* FROM ok
    WHERE EXISTS (SELECT 1 FROM clicks c WHERE c.host = ok.host AND c.root = ok.root
                  AND c.t <= ok.te AND ok.tw - c.t <= ok.win_ms)
),
inferred AS (
    SELECT ok.* FROM ok
    WHERE NOT EXISTS (SELECT 1 FROM observed x WHERE x.host = ok.host AND x.root = ok.root
                      AND x.path = ok.path AND x.tw = ok.tw)
      AND NOT EXISTS (SELECT 1 FROM clicks c WHERE c.host = ok.host AND c.root = ok.root
                      AND c.t <= ok.te AND ok.te - c.t <= ok.win_ms)
)
SELECT host, root, path, arg_min(root_exe, tw) AS root_exe, min(tw) AS tw,
       arg_min(te, tw) AS te, arg_min(domain, tw) AS domain, arg_min(wproc, tw) AS wproc
FROM (SELECT * FROM observed UNION ALL SELECT * FROM inferred)
GROUP BY host, root, path
ORDER BY tw, host, path;
"""


def sql_str(s):
    return "'" + s.replace("'", "''") + "'"


def queries(path):
    cols = "{" + ", ".join("%s: %s" % (sql_str(k), sql_str(v)) for k, v in COLUMNS.items()) + "}"
    return [LOAD.format(path=sql_str(path), columns=cols), PIDS, LINEAGE, EGRESS, WRITES, CHAIN]


def setup(con, lists):
    """The small parameter tables, from clickchain's default lists (lists.json)."""
    con.execute("CREATE TEMP TABLE link_apps(os VARCHAR, name VARCHAR)")
    con.execute("CREATE TEMP TABLE tlds(os VARCHAR, tld VARCHAR)")
    con.execute("CREATE TEMP TABLE allowed(os VARCHAR, dom VARCHAR)")
    con.execute("CREATE TEMP TABLE exts(os VARCHAR, ext VARCHAR)")
    con.execute("CREATE TEMP TABLE partials(os VARCHAR, suffix VARCHAR)")
    con.execute("CREATE TEMP TABLE osparams(os VARCHAR, win_ms BIGINT, gap_ms BIGINT, ttl_ms BIGINT)")
    # Path tests as macros with one constant regex per OS (a regex taken from a column would be
    # compiled again for every row).
    macros = []
    regexes = {"user_path": {}, "excluded_path": {}, "downloads_dir": {}, "archive_member": {}}
    for o in common.OSES:
        L = lists[o]
        con.executemany("INSERT INTO link_apps VALUES (?, ?)", [(o, b.lower()) for b in L["browser_parents"]])
        con.executemany("INSERT INTO tlds VALUES (?, ?)", [(o, t.lower()) for t in L["suspicious_tlds"]])
        con.executemany("INSERT INTO allowed VALUES (?, ?)", [(o, d.lower()) for d in L["allowed_cdns"]])
        con.executemany("INSERT INTO exts VALUES (?, ?)", [(o, e.lower()) for e in L["high_risk_extensions"]])
        con.executemany("INSERT INTO partials VALUES (?, ?)", [(o, s.lower()) for s in L["partial_suffixes"]])
        ci = "(?i)" if o in ("windows", "macos") else ""
        sep = r"[\\/]" if o == "windows" else "/"
        dl_re = ci + "(^|%s)(%s)%s" % (sep, "|".join(common.re.escape(d) for d in L["download_dirs"]), sep)
        archive_re = "(?i)%s[^\\\\/]+\\.(%s)%s" % (sep, "|".join(L["archive_extensions"]), sep)
        con.execute(
            "INSERT INTO osparams VALUES (?, ?, ?, ?)",
            (o, L["time_window_s"] * 1000, L["download_gap_s"] * 1000, L["dns_ttl_s"] * 1000),
        )
        regexes["user_path"][o] = common.folder_regex(o, L["user_paths"])
        regexes["excluded_path"][o] = common.folder_regex(o, L["excluded_paths"])
        regexes["downloads_dir"][o] = dl_re
        regexes["archive_member"][o] = archive_re
    for name, per_os in regexes.items():
        cases = " ".join(
            "WHEN %s THEN regexp_matches(p, %s)" % (sql_str(o), sql_str(r)) for o, r in sorted(per_os.items())
        )
        macro = "CREATE TEMP MACRO %s(os, p) AS CASE os %s ELSE false END" % (name, cases)
        con.execute(macro)
        macros.append(macro)
    return macros


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("ecs")
    ap.add_argument("alerts")
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--memory-limit", help="DuckDB memory_limit, e.g. 4GB [default: DuckDB's]")
    ap.add_argument("--lists", help="lists.json [default: beside this script]")
    ap.add_argument("--print-query", action="store_true", help="print the SQL on stderr")
    ap.add_argument("--verbose", action="store_true", help="print each stage's time on stderr")
    a = ap.parse_args(argv)

    lists = common.load_lists(a.lists)
    setup_timer = common.Timer()
    con = duckdb.connect()
    con.execute("SET threads = %d" % a.threads)
    con.execute("SET preserve_insertion_order = false")
    if a.memory_limit:
        con.execute("SET memory_limit = %s" % sql_str(a.memory_limit))
    macros = setup(con, lists)
    setup_secs = setup_timer.secs()
    texts = queries(os.path.abspath(a.ecs))
    if a.print_query:
        sys.stderr.write(";\n".join(macros) + ";\n" + "\n".join(texts) + "\n")

    timer = common.Timer()
    stage_secs = {}
    for name, text in zip(("load", "pids", "lineage", "egress", "writes", "chain"), texts):
        t = common.Timer()
        if name == "pids":
            pid_only = con.execute("SELECT count(*) FROM ev WHERE ent IS NULL AND pid IS NOT NULL").fetchone()[0]
            if not pid_only:
                continue
        con.execute(text)
        stage_secs[name] = round(t.secs(), 6)
        if a.verbose:
            sys.stderr.write("duckdb_peer: %s %.3f s\n" % (name, stage_secs[name]))
    n = con.execute("SELECT count(*) FROM ev").fetchone()[0]
    rows = con.execute("SELECT host, path, tw, te, domain, root_exe, wproc FROM hits").fetchall()
    with open(a.alerts, "w", encoding="utf-8") as out:
        for host, path, tw, te, domain, root_exe, wproc in rows:
            rec = common.alert_record("duckdb", host, path, tw, te, domain, root=root_exe, process=wproc)
            out.write(json.dumps(rec) + "\n")
    secs = timer.secs()
    common.summary(
        "duckdb",
        n,
        secs,
        len(rows),
        " ".join(" ".join(t.split()) for t in texts[2:]),
        threads=a.threads,
        pid_only_docs=pid_only,
        stage_secs=stage_secs,
        setup_secs=round(setup_secs, 6),
        duckdb_version=duckdb.__version__,
    )


if __name__ == "__main__":
    main()
