#!/usr/bin/env python3
"""Writes <name>.sysmon.jsonl beside each AN0178 scenario that Sysmon can express.

Each native event becomes the flattened Sysmon (or Security) record a Windows host would have
logged for it (FORMATS.md §1.2 shape A), so the same <name>.expected must hold through the
Windows adapter. A scenario is left out when Sysmon cannot say what it says: a url_open, a
connect whose name came with the event, a DNS answer or network/file event named by a bare pid,
a modify, or a rename from a file the same process did not create as a partial download.

Sysmon logs no renames: a rename carrying a MotW becomes an EID 15 on the final name's
`:Zone.Identifier` (Contents CRLF- or, alternately, two-space-separated as nxlog writes them);
one without becomes an EID 11 of the final name. Noise the adapter must skip is mixed in: a
Security 4624 and an inbound EID 3. Every Sysmon record names its process by GUID, pid and image,
and an EID 1 its parent's too, as Sysmon does; each GUID gets its own pid (7000, 7004, ...: no
native scenario uses those).

Each scenario is written three times, differing only in who logs the process starts and ends:
- `<name>.sysmon.jsonl`: Sysmon (EID 1 and 5);
- `<name>.sysmon-and-4688.jsonl`: Sysmon and the Security log both (EID 1 and a 4688 with the
  same pid, image and creator pid; EID 5 and 4689). Every other 4688 comes first at the same
  time, the others 1.5 s after the EID 1 (the Security log trails Sysmon by up to 6.2 s in the
  OTRF covenant recording);
- `<name>.4688-starts.jsonl`: the Security log only (4688 and 4689; Sysmon configured without
  EID 1 and 5), so that the Sysmon events join 4688's processes through their pids.
A 4688 names its creator's image (`ParentProcessName`, Windows 10 and later) when the scenario
started the creator. A native `session` becomes the EID 1's `LogonId` and the 4688's
`TargetLogonId`; the 4688's `SubjectLogonId` is its creator's session.

A scenario in UNLOGGED_STARTS has starts no Windows form logs (a browser started before the log,
a child the configuration filters): the engine must infer where those processes belong. Such a
process's records still name its image, as Sysmon's do. Sysmon names no logon session on the
records of a process whose start it did not log, so the scenarios about sessions are written
in the Security form only (SECURITY_ONLY).
"""
import datetime
import glob
import json
import os

from make_scenarios import guid

PARTIALS = (".crdownload", ".part", ".partial", ".download", ".tmp")
SYSMON = "Microsoft-Windows-Sysmon/Operational"


def utc(t):
    # 2024-08-27T09:10:00.000Z -> 2024-08-27 09:10:00.000
    return t.replace("T", " ").rstrip("Z")


def base(e, eid, channel=SYSMON):
    r = {"EventID": eid, "Channel": channel, "Hostname": e["host"], "TimeCreated": e["time"]}
    if channel == SYSMON:
        r["SourceName"] = "Microsoft-Windows-Sysmon"
        r["UtcTime"] = utc(e["time"])
    return r


STARTS = ("sysmon", "sysmon-and-4688", "4688-starts")

# Rules that read what Sysmon logs after the write (EID 1 runs, EID 23 on the Zone.Identifier,

# Scenarios whose Security 4689 records lost `ProcessId` to a shipper's field collision (as in
# OTRF recordings), keeping it in the rendered Message ("message") or not at all (None).
DAMAGED_EXITS = {"shipper-lost-exit-pid-in-message": "message", "shipper-lost-exit-pid-entirely": None}

# Per scenario, the process tags (as make_scenarios.py's `g`) whose start no Windows form logs.
UNLOGGED_STARTS = {
    "inferred-link-other-session-not-attached": ["b-chrome"],
    "inferred-link-same-session-attached": ["b-chrome-util"],
}
SECURITY_ONLY = set(UNLOGGED_STARTS)


def convert(events, starts="sysmon", damaged=False, message=None, unlogged=()):
    out, partials, n = [], set(), 0
    pids, images, sessions = {}, {}, {}

    def pid_of(guid):
        return pids.setdefault(guid, 7000 + 4 * len(pids))

    def sysmon(e, eid, proc):
        r = base(e, eid)
        r.update(ProcessGuid=proc, ProcessId=str(pid_of(proc)))
        if proc in images:
            r["Image"] = images[proc]
        return r

    def security_start(e, proc, pid_parent, parent):
        r = base(e, 4688, "Security")
        r.update(NewProcessId=hex(proc if pid_parent else pid_of(proc)), NewProcessName=e["image"],
                 CommandLine=e.get("command_line", ""), SubjectUserName="alice", TargetUserName="-")
        if "session" in e:
            r["TargetLogonId"] = hex(e["session"])
        if parent in sessions:
            r["SubjectLogonId"] = hex(sessions[parent])
        if isinstance(parent, int):
            r["ProcessId"] = hex(parent)
        elif parent:
            r["ProcessId"] = hex(pid_of(parent))
        if parent in images:
            r["ParentProcessName"] = images[parent]
        return r

    for e in events:
        k, proc = e["kind"], e.get("proc")
        pid = isinstance(proc, int)
        if k == "process_start":
            if "session" in e:
                sessions[proc] = e["session"]
            if proc in unlogged:
                images[proc] = e["image"]
                continue
            if pid:
                out.append(security_start(e, proc, True, e.get("parent")))
                images[proc] = e["image"]
                continue
            images[proc] = e["image"]
            r = sysmon(e, 1, proc)
            parent = e.get("parent")
            r.update(CommandLine=e.get("command_line", ""), User=e.get("user", "-"),
                     ParentProcessGuid=parent or "{00000000-0000-0000-0000-000000000000}")
            if "session" in e:
                r["LogonId"] = hex(e["session"])
            if parent:
                r["ParentProcessId"] = str(pid_of(parent))
                r["ParentImage"] = images.get(parent, "-")
            security = security_start(e, proc, False, parent)
            if starts == "sysmon":
                out.append(r)
            elif starts == "4688-starts":
                out.append(security)
            elif len(pids) % 2:
                out += [security, r]
            else:
                later = datetime.datetime.fromisoformat(e["time"].replace("Z", "+00:00")) + datetime.timedelta(seconds=1.5)
                security["TimeCreated"] = later.strftime("%Y-%m-%dT%H:%M:%S.") + f"{later.microsecond // 1000:03d}Z"
                out += [r, security]
            continue
        elif k == "process_end":
            if pid:
                r = base(e, 4689, "Security")
                r["ProcessId"] = hex(proc)
            else:
                r = sysmon(e, 5, proc)
                security = base(e, 4689, "Security")
                if not damaged:
                    security["ProcessId"] = hex(pid_of(proc))
                elif message:
                    security["Message"] = ("A process has exited.\r\n\r\nProcess Information:\r\n"
                                           f"\tProcess ID:\t{hex(pid_of(proc))}\r\n\tProcess Name:\t{images.get(proc, '-')}")
                out += {"sysmon": [r], "sysmon-and-4688": [r, security], "4688-starts": [security]}[starts]
                continue
        elif k == "dns_answer":
            if proc is None or pid:
                return None
            results = "".join(f"::ffff:{a};" if ":" not in a else f"{a};" for a in e["answers"])
            r = sysmon(e, 22, proc)
            r.update(QueryName=e["query"], QueryStatus="0",
                     QueryResults="type:  5 edge.example-cdn.net;" + results)
        elif k == "connect":
            if pid or e.get("domain"):
                return None
            r = sysmon(e, 3, proc)
            r.update(Protocol="tcp", Initiated="true", DestinationIp=e["dst_ip"],
                     DestinationPort=str(e["dst_port"]), DestinationHostname="-")
        elif k == "file_write":
            op = e.get("op", "create")
            if pid or op == "modify":
                return None
            if op == "rename" and (proc, e["from"]) not in partials:
                return None
            if e["path"].lower().endswith(PARTIALS):
                partials.add((proc, e["path"]))
            origin = e.get("origin")
            if op == "rename" and origin:
                r = sysmon(e, 15, proc)
                lines = ["[ZoneTransfer]", f"ZoneId={origin.get('zone', 3)}"]
                if origin.get("referrer"):
                    lines.append(f"ReferrerUrl={origin['referrer']}")
                if origin.get("url"):
                    lines.append(f"HostUrl={origin['url']}")
                n += 1
                sep = "\r\n" if n % 2 else "  "
                r.update(TargetFilename=e["path"] + ":Zone.Identifier", Contents=sep.join(lines) + sep,
                         Hash="SHA256=0")
            elif origin:
                return None
            else:
                r = sysmon(e, 11, proc)
                r["TargetFilename"] = e["path"]
        elif k == "file_attr":
            if pid or e["attr"] != "motw_removed":
                return None
            r = sysmon(e, 23, proc)
            r.update(TargetFilename=e["path"], IsExecutable="false", Archived="false")
        else:
            return None
        out.append(r)
    noise_at = events[0]
    logon = base(noise_at, 4624, "Security")
    logon.update(TargetUserName="alice", LogonType="2")
    inbound = base(noise_at, 3)
    inbound.update(ProcessGuid="{00000000-1111-2222-3333-444444444444}", Initiated="false", DestinationIp="192.0.2.1",
                   DestinationPort="445")
    return out[:1] + [logon, inbound] + out[1:]


def rules_only(toml):
    """A configuration that only selects rules: a rule's scenario, which every format must pass."""
    lines = [l.strip() for l in open(toml) if l.strip() and not l.startswith("#")]
    return all(l == "[rules]" or l.startswith("enabled") for l in lines)


def main():
    here = os.path.dirname(os.path.abspath(__file__))
    for starts in STARTS:
        for old in glob.glob(os.path.join(here, f"*.{starts}.jsonl")):
            os.remove(old)
    written = []
    for path in sorted(glob.glob(os.path.join(here, "*.ndjson"))):
        events = [json.loads(l) for l in open(path) if l.strip()]
        os_of = {e["host"]: e["os"] for e in events if "os" in e}
        if not events or set(os_of.values()) != {"windows"}:
            continue
        toml = path[: -len(".ndjson")] + ".toml"
        if os.path.exists(toml) and not rules_only(toml):
            continue  # variants run the native file; one format is enough for a config switch
        if os.path.basename(path).startswith("out-of-order"):
            continue  # about the engine's lateness rules: the Windows reader puts its input in order
        name = os.path.basename(path)[: -len(".ndjson")]
        unlogged = {guid(f"{name}/{tag}") for tag in UNLOGGED_STARTS.get(name, [])}
        for starts in STARTS:
            if name in SECURITY_ONLY and starts != "4688-starts":
                continue
            records = convert(events, starts, name in DAMAGED_EXITS, DAMAGED_EXITS.get(name), unlogged)
            if records is None:
                break
            with open(os.path.join(here, f"{name}.{starts}.jsonl"), "w", newline="\n") as f:
                for r in records:
                    f.write(json.dumps(r, separators=(",", ":")) + "\n")
        else:
            written.append(name)
    print(f"{len(written)} scenarios written as Sysmon JSON ({', '.join(STARTS)}): {', '.join(written)}")


if __name__ == "__main__":
    main()
