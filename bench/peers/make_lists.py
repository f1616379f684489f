#!/usr/bin/env python3
"""Writes lists.json (the peers' lists) from clickchain's default configuration.

    python3 bench/peers/make_lists.py [--clickchain target/release/clickchain]

Runs `clickchain config --print-default --os OS` for each OS and keeps what the peers use:
TimeWindow, DownloadGap, dns_ttl, link apps, suspicious TLDs, allowlisted domains, user paths,
excluded (profile and cache) paths, download folders, high-risk extensions and partial-download
suffixes. Without --clickchain it runs `cargo run --quiet --` in the workspace.
"""

import argparse
import json
import os
import re
import subprocess
import tomllib

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(os.path.dirname(HERE))
KEYS = (
    "browser_parents",
    "suspicious_tlds",
    "allowed_cdns",
    "user_paths",
    "excluded_paths",
    "download_dirs",
    "high_risk_extensions",
    "partial_suffixes",
    "archive_extensions",
)


def seconds(text):
    total = 0
    for num, unit in re.findall(r"(\d+)\s*([a-z]+)", text):
        total += int(num) * {"s": 1, "m": 60, "min": 60, "h": 3600}[unit]
    return total


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--clickchain", help="the clickchain binary")
    a = ap.parse_args()
    cmd = [a.clickchain] if a.clickchain else ["cargo", "run", "--quiet", "--locked", "--"]
    out = {}
    for os_name in ("windows", "linux", "macos"):
        text = subprocess.run(
            cmd + ["config", "--print-default", "--os", os_name], cwd=ROOT, check=True, capture_output=True, text=True
        ).stdout
        cfg = tomllib.loads(text)
        prof = cfg[os_name]
        lists = {k: prof[k] for k in KEYS}
        lists["time_window_s"] = seconds(prof["time_window"])
        lists["download_gap_s"] = seconds(prof["download_gap"])
        lists["dns_ttl_s"] = seconds(cfg["engine"]["dns_ttl"])
        out[os_name] = lists
    path = os.path.join(HERE, "lists.json")
    with open(path, "w", encoding="utf-8") as f:
        json.dump(out, f, indent=1, sort_keys=True)
        f.write("\n")
    print("wrote %s" % path)


if __name__ == "__main__":
    main()
