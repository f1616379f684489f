//! The benign episodes of a synthetic host: browsing, system processes, mail, Office, admin
//! commands, updaters, benign clicks, risky visits and allowlisted downloads.

use std::net::{IpAddr, Ipv4Addr};

use clickchain_adapters::{AttrChange, EventKind, FileOp, Origin, Os, ProcKey};

use crate::catalog::{DOCS, SITES, SUBDOMAINS};
use crate::host::HostSim;
use crate::{Decoy, DecoyKind};

impl HostSim {
    /// A page on a popular site: DNS, connects, cache writes; sometimes in a new tab.
    pub fn browse(&mut self, t: i64) {
        let name = format!("{}.{}", self.rng.pick(SUBDOMAINS), self.rng.pick(SITES));
        let (root, net) = (self.root.clone(), self.net.clone());
        let ip = self.dns(t, Some(root.clone()), &name);
        self.connect(t + 120, &net, ip, None);
        if self.rng.chance(0.3) {
            let ip = self.dns(t + 300, Some(root.clone()), "fonts.gstatic.com");
            self.connect(t + 380, &net, ip, None);
        }
        let writes = self.rng.range(1, 3);
        for i in 0..writes {
            let path = self.cache_path();
            self.write(t + 500 + i * 90, &root, path, FileOp::Create, None);
        }
        if self.rng.chance(0.25) {
            let end = t + 2_000 + self.rng.exp(120_000.0).min(600_000.0) as i64;
            let cmd = self.browser.renderer_cmd.to_owned();
            self.spawn(t + 50, Some(end), &root, self.browser.child, Some(cmd), false);
        }
    }

    /// A short-lived system process, sometimes with a connect or a write outside any lineage.
    pub fn system(&mut self, t: i64) {
        let &(image, cmd) = self.rng.pick(self.cat.system);
        let end = t + 200 + self.rng.exp(4_000.0) as i64;
        let services = self.services.clone();
        let p = self.spawn(t, Some(end), &services, image, Some(cmd.to_owned()), true);
        if self.rng.chance(0.3) && end > t + 60 {
            let ip = IpAddr::V4(Ipv4Addr::new(10, 0, (self.idx % 250) as u8, 53));
            self.connect(t + 50, &p, ip, None);
        }
    }

    /// The mail app polls its server and sometimes saves an opened attachment.
    pub fn mail(&mut self, t: i64) {
        let mail = self.mail.clone();
        let server = self.cat.mail_server;
        let ip = self.dns(t, Some(mail.clone()), server);
        let named = self.rng.chance(0.5).then_some(server);
        self.connect(t + 40, &mail, ip, named);
        if self.rng.chance(0.2) {
            let dir = format!("{:08X}", self.rng.next_u64() as u32);
            let doc = self.rng.pick(DOCS);
            let sep = self.cat.sep;
            let path = format!("{}{sep}{doc}.pdf", self.path(&self.cat.attachments.replace("{dir}", &dir)));
            self.write(t + 800, &mail, path, FileOp::Create, None);
        }
    }

    /// An Office document session: autosaves in the app's own folder, a save in Documents.
    pub fn office(&mut self, t: i64) {
        let image = *self.rng.pick(self.cat.office);
        let doc = self.rng.pick(DOCS);
        let sep = self.cat.sep;
        let file = format!("{}{sep}Documents{sep}{doc}.docx", self.path("~"));
        let minutes = 60_000 + self.rng.exp(300_000.0).min(1_800_000.0) as i64;
        let shell = self.shell.clone();
        let p = self.spawn(t, Some(t + minutes + 2_000), &shell, image, Some(format!("\"{image}\" \"{file}\"")), false);
        if self.os == Os::Windows {
            let ip = self.dns(t + 1_500, Some(p.clone()), "ecs.office.com");
            self.connect(t + 1_600, &p, ip, None);
        }
        let autosave = format!("{}{sep}~WRL{:04}.tmp", self.path(self.cat.office_autosave), self.next_n() % 10_000);
        self.write(t + minutes / 2, &p, autosave, FileOp::Create, None);
        self.write(t + minutes, &p, file, FileOp::Modify, None);
    }

    /// Admin activity with living-off-the-land binaries, outside any link lineage: a tool
    /// (on Windows sometimes with its console host), and with a process-tree depth above 2,
    /// nested tools (a script running a tool running a tool) up to that depth.
    pub fn admin(&mut self, t: i64) {
        let &(image, cmd) = self.rng.pick(self.cat.admin);
        let end = t + 300 + self.rng.exp(3_000.0) as i64;
        let term = self.terminal.clone();
        let p = self.spawn(t, Some(end), &term, image, Some(cmd.to_owned()), false);
        if self.os == Os::Windows && self.depth >= 2 && self.rng.chance(0.5) {
            self.spawn(
                t + 20,
                Some(end - 10),
                &p,
                r"C:\Windows\System32\conhost.exe",
                Some("conhost.exe 0xffffffff -ForceV1".into()),
                false,
            );
        }
        let (mut parent, mut start, mut stop) = (p, t, end);
        for _ in 2..self.depth {
            if stop - start < 100 || !self.rng.chance(0.7) {
                break;
            }
            let &(image, cmd) = self.rng.pick(self.cat.admin);
            (start, stop) = (start + 30, stop - 20);
            parent = self.spawn(start, Some(stop), &parent, image, Some(cmd.to_owned()), false);
        }
    }

    /// An updater (outside any lineage) fetching and staging an installer.
    pub fn updater(&mut self, t: i64) {
        let u = self.rng.pick(self.cat.updaters);
        let n = self.next_n();
        let services = self.services.clone();
        let end = t + 8_000 + self.rng.range(0, 20_000);
        let p = self.spawn(t, Some(end), &services, u.image, Some(u.cmd.to_owned()), true);
        let ip = self.dns(t + 300, Some(p.clone()), u.host);
        self.connect(t + 400, &p, ip, Some(u.host));
        let stage = self.path(&u.stage.replace("{n}", &n.to_string()));
        self.write(t + 5_000, &p, stage, FileOp::Create, None);
    }

    /// A link to a popular site clicked in the mail app: a new browser process with the URL
    /// (Windows, Linux via xdg-open) or a URL-open record on the running browser (macOS).
    pub fn benign_click(&mut self, t: i64) {
        let site = format!("www.{}", self.rng.pick(SITES));
        let url = format!("https://{site}/articles/{}", self.next_n());
        let end = t + 20_000 + self.rng.range(0, 90_000);
        let proc = match self.os {
            Os::Macos => {
                let root = self.root.clone();
                self.emit(t, EventKind::UrlOpen { proc: root.clone(), url });
                self.net.clone()
            }
            _ => {
                let mut parent = self.mail.clone();
                if let Some(h) = self.cat.url_handler {
                    parent = self.spawn(t, Some(t + 400), &parent, h, Some(format!("xdg-open {url}")), false);
                }
                let b = self.browser;
                self.spawn(t + 100, Some(end), &parent, b.image, Some(format!("\"{}\" {url}", b.image)), false)
            }
        };
        let ip = self.dns(t + 600, Some(proc.clone()), &site);
        self.connect(t + 800, &proc, ip, None);
    }

    /// A visit to a risky (suspicious-TLD or DGA-like) site that downloads nothing.
    pub fn risky_visit(&mut self, t: i64) {
        let name = self.risky(false);
        let (root, net) = (self.root.clone(), self.net.clone());
        let ip = self.dns(t, Some(root.clone()), &name);
        self.connect(t + 150, &net, ip, None);
        for i in 0..self.rng.range(1, 2) {
            let path = self.cache_path();
            self.write(t + 600 + i * 100, &root, path, FileOp::Create, None);
        }
    }

    /// A visit to a risky domain, then 3 to 14 minutes later (past the default download gap,
    /// within the window) a download from an allowlisted CDN by the same browser.
    pub fn late_download(&mut self, t: i64) {
        self.risky_visit(t);
        let later = t + self.rng.range(180_000, 840_000);
        self.cdn_download_as(later, DecoyKind::DownloadAfterRiskyVisit);
    }

    /// A download from an allowlisted CDN into Downloads (partial, then renamed), with its origin.
    pub fn cdn_download(&mut self, t: i64) {
        self.cdn_download_as(t, DecoyKind::CdnDownload);
    }

    fn cdn_download_as(&mut self, t: i64, kind: DecoyKind) {
        let &(url, file) = self.rng.pick(self.cat.cdn);
        let n = self.next_n();
        let file = match file.rsplit_once('.') {
            Some((stem, ext)) => format!("{stem} ({n}).{ext}"),
            None => format!("{file} ({n})"),
        };
        let host = url.split('/').nth(2).expect("absolute URL");
        let (root, net) = (self.root.clone(), self.net.clone());
        let ip = self.dns(t, Some(root.clone()), host);
        self.connect(t + 100, &net, ip, None);
        let last = self.final_write(t + 1_500, &root, &file, url, None);
        self.decoys.push(Decoy { host: self.name.clone(), path: self.downloads(&file), kind, time_ms: last });
    }

    /// A partial download at `t` renamed to `file` in Downloads, with the origin each OS records
    /// (macOS: the quarantine flag, by attribute or in the origin). Returns the rename's time.
    pub fn final_write(&mut self, t: i64, proc: &ProcKey, file: &str, url: &str, referrer: Option<&str>) -> i64 {
        let partial = format!("{}{}", self.downloads(file), self.browser.partial);
        self.write(t, proc, partial.clone(), FileOp::Create, None);
        let mut origin =
            Origin { url: Some(url.to_owned()), referrer: referrer.map(str::to_owned), ..Origin::default() };
        match self.os {
            Os::Windows => origin.zone = Some(3),
            Os::Macos if self.rng.chance(0.5) => {
                self.attr(t + 50, proc, partial.clone(), AttrChange::QuarantineSet);
            }
            Os::Macos => origin.quarantine = Some(true),
            Os::Linux => {}
        }
        let done = t + 1_000 + self.rng.range(0, 15_000);
        self.write(done, proc, self.downloads(file), FileOp::Rename { from: partial }, Some(origin));
        done
    }
}
