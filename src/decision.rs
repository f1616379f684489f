//! Debug events that say why the engine decided what it did: an egress trusted, a write
//! ignored, a chain that did not form. Each is a `tracing` event at debug level under the
//! target `clickchain::decision`, with its facts as fields; when debug is not enabled the macro's
//! level check skips it before any field is computed, so they cost nothing in a normal run.
//! Strings from the logs are fields, which the log writes quoted and escaped (`Debug`), so a
//! hostile path cannot drive the terminal.

use std::net::IpAddr;

use crate::alert::Reason;

/// An egress reached a destination that is not untrusted: it cannot be step 2.
pub(crate) fn egress_trusted(host: &str, ip: IpAddr, port: u16, domain: Option<&str>, risk: u8, reasons: &[Reason]) {
    tracing::debug!(
        target: "clickchain::decision",
        host,
        %ip,
        port,
        domain = domain.unwrap_or("-"),
        risk,
        reasons = %join(reasons),
        "egress trusted: {}",
        if reasons.iter().any(|r| matches!(r, Reason::AllowedCdn | Reason::AllowedCidr)) {
            "allowlisted"
        } else {
            "no signal makes it untrusted and the risk is below the threshold"
        }
    );
}

/// Why lowering ignores a write whose writer no link source started.
pub(crate) const NO_LINK_SOURCE: &str = "the writer has no link source (browser, mail client) above it";

/// A file write that cannot be step 3, and why; `step` says where every rule's chain broke:
/// `lineage` when no link source started the writer, else `write`.
pub(crate) fn write_ignored(host: &str, path: &str, why: &'static str) {
    let step = if why == NO_LINK_SOURCE { "lineage" } else { "write" };
    tracing::debug!(target: "clickchain::decision", host, path, step, "write ignored: {why}");
}

/// A download-like write evaluated without forming an alert of `rule`: the `step` of the rule's
/// chain that broke (a fact kind of the rule, `window`, `strength`, `order` or `dedup`) and why.
pub(crate) fn chain_not_formed(host: &str, path: &str, rule: &str, step: &str, why: &str) {
    // `why` may quote a domain from the logs: a field, escaped, not the message.
    tracing::debug!(target: "clickchain::decision", host, path, rule, step, why, "no chain for write");
}

/// Whether decision events are wanted (to skip working out a reason nobody reads).
pub(crate) fn enabled() -> bool {
    tracing::enabled!(target: "clickchain::decision", tracing::Level::DEBUG)
}

fn join(reasons: &[Reason]) -> String {
    reasons.iter().map(|r| r.as_str()).collect::<Vec<_>>().join(",")
}
