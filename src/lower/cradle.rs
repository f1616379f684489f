//! Process-start anchors: a process in a link lineage whose command line is a download cradle
//! (`curl … | sh`) is evaluated like a download-like write, for the rules that read `cradle`
//! (`docs/rules.md`). Whether a start is an anchor is decided here, and only here.

use clickchain_adapters::SourceRef;

use super::{cmd_class, Ctx, Lowering};
use crate::alert::Anchor;
use crate::host::proctable::Slot;
use crate::host::PendingWrite;

impl Lowering<'_> {
    /// The anchor of a start of `slot` running `image` with `command_line`, if an enabled rule
    /// reads `cradle`, the process is in a link lineage and its command line is a download
    /// cradle. It is ready a download gap after the start: the fetch it anchors comes after it.
    pub(super) fn cradle_anchor(
        &self,
        ctx: &Ctx<'_>,
        slot: Slot,
        t: i64,
        image: &str,
        command_line: Option<&str>,
        source: &SourceRef,
    ) -> Option<Box<PendingWrite>> {
        if !ctx.profile.wants_cradle {
            return None;
        }
        let root = self.procs.root_of(slot)?;
        let command_line = command_line.filter(|c| cmd_class::is_download_cradle(c))?;
        let paths = &ctx.profile.paths;
        // Deduplicated per (link root, image and command line): two different cradles run by
        // one shell image under one root are two detections, the same one repeated is one.
        let norm = format!("{} {command_line}", paths.normalize(image));
        Some(Box::new(PendingWrite {
            time: t,
            ready: t + ctx.profile.params.download_gap,
            proc: slot,
            root,
            path: image.to_owned(),
            norm,
            extension: None,
            high_risk_ext: false,
            renamed_from: None,
            origin: None,
            origin_key: None,
            origin_trusted: false,
            quarantine_path: false,
            quarantine_candidate: false,
            evidence: vec![source.clone()],
            held: Default::default(),
            anchor: Anchor::Process,
        }))
    }
}
