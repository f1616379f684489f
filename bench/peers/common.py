"""What the two external peers share: clickchain's default lists, path wildcards, ECS field access,
alert records and the one-line summary.

The lists come from `lists.json` beside this file, written by `make_lists.py` from
`clickchain config --print-default` (the same defaults the engine starts from).
"""

import json
import os
import re
import resource
import sys
import time
from datetime import datetime, timezone

HERE = os.path.dirname(os.path.abspath(__file__))
OSES = ("windows", "linux", "macos")


def load_lists(path=None):
    """Per-OS lists and durations (see make_lists.py)."""
    with open(path or os.path.join(HERE, "lists.json"), encoding="utf-8") as f:
        return json.load(f)


def get(doc, dotted):
    """A nested ECS field (`a.b.c`), or a dotted key at any level; None when absent."""
    cur = doc
    parts = dotted.split(".")
    i = 0
    while i < len(parts):
        if not isinstance(cur, dict):
            return None
        # the longest dotted key first ("host.name" written flat)
        for j in range(len(parts), i, -1):
            key = ".".join(parts[i:j])
            if key in cur:
                cur = cur[key]
                i = j
                break
        else:
            return None
    return cur


def first(v):
    """The first element of an array field, or the value."""
    if isinstance(v, list):
        return v[0] if v else None
    return v


def ts_ms(text):
    """RFC 3339 UTC timestamp -> epoch milliseconds (int)."""
    if text.endswith("Z"):
        text = text[:-1] + "+00:00"
    return int(round(datetime.fromisoformat(text).timestamp() * 1000))


def ms_to_text(ms):
    t = datetime.fromtimestamp(ms / 1000.0, tz=timezone.utc)
    return t.strftime("%Y-%m-%dT%H:%M:%S.") + "%03dZ" % (int(ms) % 1000)


# --- folder patterns (clickchain's `user_paths` / `excluded_paths`) ------------------------------

WINDOWS_VARS = {
    "USERPROFILE": r"?:\Users\*",
    "HOME": r"?:\Users\*",
    "TEMP": r"?:\Users\*\AppData\Local\Temp",
    "TMP": r"?:\Users\*\AppData\Local\Temp",
    "APPDATA": r"?:\Users\*\AppData\Roaming",
    "LOCALAPPDATA": r"?:\Users\*\AppData\Local",
    "ONEDRIVE": r"?:\Users\*\OneDrive*",
    "PUBLIC": r"?:\Users\Public",
    "PROGRAMDATA": r"?:\ProgramData",
}
HOMES = {"windows": [r"?:\Users\*"], "linux": ["/home/*", "/root"], "macos": ["/Users/*"]}


def expand_folder(os_name, pattern):
    """A clickchain folder pattern with `~`, `$VAR`, `${VAR}`, `%VAR%` expanded (a simplified copy
    of src/paths/pattern.rs: the variables the default lists use)."""
    outs = [pattern]
    if pattern == "~" or pattern.startswith("~/") or pattern.startswith("~\\"):
        outs = [h + pattern[1:] for h in HOMES[os_name]]
    m = re.match(r"^(?:%([A-Za-z_()0-9]+)%|\$\{([A-Za-z_]+)\}|\$([A-Za-z_]+))(.*)$", pattern)
    if m:
        name = (m.group(1) or m.group(2) or m.group(3)).upper()
        rest = m.group(4)
        if os_name == "windows":
            outs = [WINDOWS_VARS[name] + rest]
        elif name in ("HOME", "USERPROFILE"):
            outs = [h + rest for h in HOMES[os_name]]
        elif name == "TMPDIR":
            outs = [("/tmp" if os_name == "linux" else "/private/var/folders/*/*/T") + rest]
        else:
            raise ValueError("variable %s not handled" % name)
    if os_name == "macos":
        # clickchain treats /var, /tmp, /etc as the /private folders they link to; match both
        more = []
        for o in outs:
            for short in ("/var/", "/tmp", "/etc/"):
                if o.startswith("/private" + short):
                    more.append(o[len("/private"):])
        outs += more
    return outs


def folder_wildcards(os_name, patterns):
    """EQL wildcards (`*` = any text, across folders) for paths in or below these folders."""
    sep = "\\" if os_name == "windows" else "/"
    out = []
    for p in patterns:
        for f in expand_folder(os_name, p):
            out.append(f.replace("?", "*") + sep + "*")
    return out


def folder_regex(os_name, patterns):
    """One RE2/Python regex for paths in or below these folders: `*` and `?` stay within one folder
    name, `**` spans folders; case-insensitive on Windows and macOS; `\\` and `/` equivalent on
    Windows."""
    alts = []
    for p in patterns:
        for f in expand_folder(os_name, p):
            out = []
            i = 0
            while i < len(f):
                c = f[i]
                if f.startswith("**", i):
                    out.append(".*")
                    i += 2
                    continue
                if c == "*":
                    out.append(r"[^\\/]*" if os_name == "windows" else "[^/]*")
                elif c == "?":
                    out.append(".")
                elif c in "\\/" and os_name == "windows":
                    out.append(r"[\\/]")
                else:
                    out.append(re.escape(c))
                i += 1
            alts.append("".join(out))
    flags = "(?i)" if os_name in ("windows", "macos") else ""
    end = r"(?:[\\/]|$)" if os_name == "windows" else "(?:/|$)"
    return flags + "^(?:" + "|".join(alts) + ")" + end


# --- alerts and the summary ----------------------------------------------------------------------


def alert_record(peer, host, path, write_ms, egress_ms=None, domain=None, root=None, process=None):
    """One alert, in the shape `score::Observed::from_record` reads (host, write.path, write.time,
    egress.{time,domain}, lineage[0] = root image when known)."""
    rec = {
        "type": "alert",
        "peer": peer,
        "host": host,
        "path": path,
        "time": ms_to_text(write_ms),
        "write": {"time": ms_to_text(write_ms), "path": path},
        "egress": {"time": ms_to_text(egress_ms) if egress_ms is not None else None, "domain": domain},
    }
    if process is not None:
        rec["write"]["process"] = process
    if root is not None:
        rec["lineage"] = [root]
    return rec


def peak_rss_kib():
    """Peak resident set of this process in KiB: VmHWM from /proc (Linux), else ru_maxrss.

    Not ru_maxrss on Linux: it keeps the high-water mark of the process before exec, so a peer
    started by a large parent (the harness, fork then exec) would report the parent's RSS.
    """
    try:
        with open("/proc/self/status") as f:
            for line in f:
                if line.startswith("VmHWM:"):
                    return int(line.split()[1])
    except OSError:
        pass
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss


class Timer:
    def __init__(self):
        self.t0 = time.perf_counter()

    def secs(self):
        return time.perf_counter() - self.t0


def summary(peer, events, secs, alerts, query, **more):
    """The one JSON line on stdout that the Rust glue reads."""
    out = {
        "peer": peer,
        "events": events,
        "secs": round(secs, 6),
        "events_per_sec": round(events / secs, 1) if secs > 0 else None,
        "peak_rss_kib": peak_rss_kib(),
        "alerts": alerts,
        "query": query,
    }
    out.update(more)
    sys.stdout.write(json.dumps(out) + "\n")
    sys.stdout.flush()
