"""Writes the Sysmon JSON fixtures of tests/fidelity.rs (deterministic: `python3 make_fixtures.py`).

Chromium children whose start (EID 1) a Sysmon configuration left out: their DNS (EID 22) and
network (EID 3) records name their GUID, pid, image and user, as Sysmon writes them. Shapes as in
the scenario corpus's `.sysmon.jsonl` files (flattened EventData, `UtcTime` in Sysmon's form).
"""
import json

CHROME = r"C:\Program Files\Google\Chrome\Application\chrome.exe"
EXPLORER = r"C:\Windows\explorer.exe"
DL = "C:\\Users\\alice\\Downloads\\"
DAY = "2024-06-12"
GUIDS = {
    "explorer": ("{5c1d7a10-1111-6650-0000-000000000001}", 4100),
    "chrome": ("{5c1d7a10-2222-6650-0000-000000000002}", 5200),
    "chrome2": ("{5c1d7a10-3333-6650-0000-000000000003}", 5300),
    "util": ("{5c1d7a10-4444-6650-0000-000000000004}", 5404),
}


def rec(sec, eid, who, **fields):
    guid, pid = GUIDS[who]
    m, s = divmod(sec, 60)
    t = f"{DAY} 09:{int(m):02d}:{s:06.3f}"
    r = {"EventID": eid, "Channel": "Microsoft-Windows-Sysmon/Operational", "Hostname": "WS-042",
         "SourceName": "Microsoft-Windows-Sysmon", "UtcTime": t,
         "ProcessGuid": guid, "ProcessId": str(pid)}
    r.update(fields)
    return r


def start(sec, who, image, parent, cmd, user="CORP\\alice", logon="0x5a1f3"):
    pg, pp = GUIDS[parent]
    return rec(sec, 1, who, Image=image, CommandLine=cmd, User=user, LogonId=logon,
               ParentProcessGuid=pg, ParentProcessId=str(pp), ParentImage=EXPLORER)


def desktop(main_logged=True):
    rows = [rec(0, 1, "explorer", Image=EXPLORER, CommandLine=EXPLORER, User="CORP\\alice",
                ParentProcessGuid="{00000000-0000-0000-0000-000000000000}")]
    if main_logged:
        rows.append(start(20, "chrome", CHROME, "explorer", f'"{CHROME}"'))
    return rows


def child_fetch(user="CORP\\alice", sec=300):
    """The utility (network service) child resolves and reaches the risky host: no EID 1."""
    return [
        rec(sec, 22, "util", Image=CHROME, User=user, QueryName="dl.invoice-portal.top", QueryStatus="0",
            QueryResults="::ffff:203.0.113.77;"),
        rec(sec + 0.3, 3, "util", Image=CHROME, User=user, Protocol="tcp", Initiated="true",
            DestinationIp="203.0.113.77", DestinationPort="443"),
    ]


def main_download(sec=309, who="chrome"):
    return [
        rec(sec, 11, who, Image=CHROME, User="CORP\\alice", TargetFilename=DL + "Unconfirmed 55120.crdownload"),
        rec(sec + 3, 15, who, Image=CHROME, User="CORP\\alice", TargetFilename=DL + "Invoice_0612.exe:Zone.Identifier",
            Contents="[ZoneTransfer]\r\nZoneId=3\r\nHostUrl=https://dl.invoice-portal.top/f/Invoice_0612.exe\r\n",
            Hash="SHA256=0"),
    ]


FIXTURES = {
    # The main browser's start is logged, its network child's is not.
    "child-no-start": desktop() + child_fetch() + main_download(),
    # The same child runs as another user: it is not that browser's child.
    "child-no-start-other-user": desktop() + child_fetch(user="CORP\\bob") + main_download(),
    # Two browsers of the user (two logon sessions): the child could belong to either.
    "child-no-start-two-sessions": desktop()
    + [start(25, "chrome2", CHROME, "explorer", f'"{CHROME}"', logon="0x7b2e9")]
    + child_fetch()
    + main_download(),
    # Neither the browser nor its child was seen starting (the log began after the launch).
    "main-and-child-no-start": desktop(main_logged=False) + child_fetch() + main_download(),
}

for name, rows in FIXTURES.items():
    with open(f"{name}.sysmon.jsonl", "w") as f:
        f.write("".join(json.dumps(r, separators=(",", ":")) + "\n" for r in rows))

# macOS: an eslogger file that saw Chrome start and write a download, and an ECS network file
# (another agent) whose connections name a helper pid the eslogger file never saw start, with
# its parent's pid.
MAC_CHROME = "/Applications/Google Chrome.app/Contents/MacOS/Google Chrome"
MAC_HELPER = ("/Applications/Google Chrome.app/Contents/Frameworks/Google Chrome Framework.framework/"
              "Versions/124.0.6367.119/Helpers/Google Chrome Helper.app/Contents/MacOS/Google Chrome Helper")
TERMINAL = "/System/Applications/Utilities/Terminal.app/Contents/MacOS/Terminal"
MDL = "/Users/carol/Downloads/"


ES_TYPES = {"exec": 9, "create": 13, "rename": 25, "setextattr": 27}


SEQ = {}


def next_seq(kind):
    """eslogger numbers the records of each type without gaps (a gap is a loss)."""
    SEQ[kind] = SEQ.get(kind, 0) + 1
    return SEQ[kind]


def es(sec, pid, body, ppid=1):
    m, s = divmod(sec, 60)
    kind = next(iter(body))
    return {"schema_version": 1, "version": 7, "time": f"{DAY}T09:{int(m):02d}:{s:06.3f}Z",
            "event_type": ES_TYPES[kind], "seq_num": next_seq(kind),
            "process": {"audit_token": {"pid": pid, "pidversion": 1}, "ppid": ppid,
                        "executable": {"path": MAC_CHROME}},
            "event": body}


def es_exec(sec, pid, path):
    target = {"audit_token": {"pid": pid, "pidversion": 2}, "ppid": 1, "executable": {"path": path},
              "responsible_audit_token": {"pid": pid, "pidversion": 2}}
    return es(sec, pid, {"exec": {"target": target, "args": [path]}})


def es_file(sec, pid, body):
    return es(sec, pid, body)


ESLOGGER = [
    es_exec(10, 1790, MAC_CHROME),
    es_exec(12, 600, TERMINAL),
    es_file(309, 1790, {"create": {"destination_type": 1, "destination": {"new_path": {
        "dir": {"path": MDL}, "filename": "PayrollUpdate.dmg.crdownload", "mode": 420}}}}),
    es_file(309.1, 1790, {"setextattr": {"target": {"path": MDL + "PayrollUpdate.dmg.crdownload"},
                                         "extattr": "com.apple.quarantine"}}),
    es_file(312, 1790, {"rename": {"source": {"path": MDL + "PayrollUpdate.dmg.crdownload"}, "destination_type": 1,
                                   "destination": {"new_path": {"dir": {"path": MDL}, "filename": "PayrollUpdate.dmg"}}}}),
]


def ecs_connect(sec, parent_pid):
    m, s = divmod(sec, 60)
    return {"@timestamp": f"{DAY}T09:{int(m):02d}:{s:06.3f}Z",
            "event": {"category": ["network"], "type": ["start", "connection"]},
            "host": {"name": "mbp-7", "os": {"type": "macos"}}, "user": {"name": "carol"},
            "process": {"pid": 1834, "executable": MAC_HELPER, "parent": {"pid": parent_pid}},
            "destination": {"ip": "203.0.113.90", "port": 443, "domain": "payroll-update.monster"}}


with open("mac-browser.eslogger.jsonl", "w") as f:
    f.write("".join(json.dumps(r, separators=(",", ":")) + "\n" for r in ESLOGGER))
for name, parent in (("helper-of-chrome", 1790), ("helper-of-terminal", 600)):
    with open(f"mac-{name}.ecs.ndjson", "w") as f:
        f.write("".join(json.dumps(ecs_connect(sec, parent), separators=(",", ":")) + "\n" for sec in (300, 300.5)))

# Winlogbeat / Elastic Agent: Sysmon records whose fields an ingest pipeline moved from
# `winlog.event_data` to ECS (only `RuleName` and, for EID 15, `Contents` stay).
ECS_IDS = {"explorer": ("5c1d7a10-1111-6650-0000-0000000000e1", 4100), "chrome": ("5c1d7a10-2222-6650-0000-0000000000e2", 5200),
           "util": ("5c1d7a10-4444-6650-0000-0000000000e4", 5404)}


def wl(sec, eid, who, ecs, event_data=None):
    m, s = divmod(sec, 60)
    guid, pid = ECS_IDS[who]
    doc = {"@timestamp": f"{DAY}T09:{int(m):02d}:{s:06.3f}Z",
           "host": {"name": "WS-042", "os": {"type": "windows"}},
           "winlog": {"event_id": str(eid), "channel": "Microsoft-Windows-Sysmon/Operational",
                      "provider_name": "Microsoft-Windows-Sysmon", "computer_name": "WS-042",
                      "event_data": dict({"RuleName": "-"}, **(event_data or {}))},
           "user": {"domain": "CORP", "name": "alice"},
           "process": {"entity_id": guid, "pid": pid, "executable": CHROME if who != "explorer" else EXPLORER}}
    for k, v in ecs.items():
        doc.setdefault(k, {}).update(v) if isinstance(v, dict) else doc.__setitem__(k, v)
    return doc


def wl_start(sec, who, parent, cmd):
    pg, pp = ECS_IDS[parent]
    return wl(sec, 1, who, {"event": {"category": ["process"], "type": ["start"], "action": "Process Create (rule: ProcessCreate)"},
                            "process": {"command_line": cmd, "parent": {"entity_id": pg, "pid": pp,
                                                                        "executable": EXPLORER if parent == "explorer" else CHROME}}})


def winlog_ecs(dns_name, reverse_name, motw):
    final = DL + "Invoice_0612.exe"
    rows = [
        wl(0, 1, "explorer", {"event": {"category": ["process"], "type": ["start"]}}),
        wl_start(20, "chrome", "explorer", f'"{CHROME}"'),
        wl_start(20.4, "util", "chrome", f'"{CHROME}" --type=utility --utility-sub-type=network.mojom.NetworkService'),
        wl(300, 22, "chrome", {"event": {"category": ["network"], "type": ["protocol", "info"], "action": "DNSEvent (DNS query)"},
                               "dns": {"question": {"name": dns_name}, "resolved_ip": ["203.0.113.77"]}}),
        wl(300.3, 3, "util", {"event": {"category": ["network"], "type": ["connection", "start"]},
                              "network": {"direction": "egress", "transport": "tcp"},
                              "destination": {"ip": "203.0.113.77", "port": 443, "domain": reverse_name}}),
        wl(309, 11, "chrome", {"event": {"category": ["file"], "type": ["creation"], "action": "File created (rule: FileCreate)"},
                               "file": {"path": DL + "Unconfirmed 55120.crdownload"}}),
    ]
    if motw:
        rows.append(wl(312, 15, "chrome", {"event": {"category": ["file"], "type": ["change"], "action": "File stream created"},
                                           "file": {"path": final + ":Zone.Identifier", "origin_url": motw,
                                                    "Ext": {"windows": {"zone_identifier": 3}}}}))
    else:
        rows.append(wl(312, 11, "chrome", {"event": {"category": ["file"], "type": ["creation"]}, "file": {"path": final}}))
    return rows


for name, rows in {
    # The DNS answer names the connection; Sysmon's reverse lookup (an allowlisted CDN) does not.
    "winlog-ecs-chain": winlog_ecs("dl.invoice-portal.top", "a203-0-113-77.akamaiedge.net",
                                   "https://dl.invoice-portal.top/f/Invoice_0612.exe"),
    # The DNS answer names a trusted host; the reverse lookup a risky one: no egress.
    "winlog-ecs-reverse-lookup-risky": winlog_ecs("officecdn.microsoft.com", "x7k2q9.top", None),
}.items():
    with open(f"{name}.jsonl", "w") as f:
        f.write("".join(json.dumps(r, separators=(",", ":")) + "\n" for r in rows))

# ECS (Elastic Defend on Windows) without network events: the browser's DNS answer and the
# file's Mark of the Web on the same registrable domain stand for the connection.
def ecs_doc(sec, category, etype, who, extra):
    m, s = divmod(sec, 60)
    guid, pid = ECS_IDS[who]
    doc = {"@timestamp": f"{DAY}T09:{int(m):02d}:{s:06.3f}Z", "event": {"category": [category], "type": etype},
           "host": {"name": "WS-042", "os": {"type": "windows"}}, "user": {"name": "alice"},
           "process": {"entity_id": guid, "pid": pid, "executable": CHROME if who != "explorer" else EXPLORER}}
    for k, v in extra.items():
        doc.setdefault(k, {}).update(v)
    return doc


def ecs_dns_only(dns_name):
    eg, ep = ECS_IDS["explorer"]
    return [
        ecs_doc(0, "process", ["start"], "explorer", {}),
        ecs_doc(20, "process", ["start"], "chrome", {"process": {"parent": {"entity_id": eg, "pid": ep}}}),
        ecs_doc(300, "network", ["protocol", "info"], "chrome",
                {"dns": {"question": {"name": dns_name}, "resolved_ip": ["203.0.113.77"]}}),
        ecs_doc(312, "file", ["creation"], "chrome",
                {"file": {"path": DL + "Invoice_0612.exe", "origin_url": "https://dl.invoice-portal.top/f/Invoice_0612.exe",
                          "Ext": {"windows": {"zone_identifier": 3}}}}),
    ]


for name, dns_name in (("ecs-dns-only-origin-domain", "cdn.invoice-portal.top"), ("ecs-dns-only-other-domain", "cdn.docs-cdn.top")):
    with open(f"{name}.ndjson", "w") as f:
        f.write("".join(json.dumps(r, separators=(",", ":")) + "\n" for r in ecs_dns_only(dns_name)))
