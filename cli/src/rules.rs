//! `clickchain rules`: the rule registry with headers; and `--rules ID,ID` for scan and watch.

use std::io::Write as _;
use std::process::ExitCode;

use clap::Args;
use clickchain::config::{unknown_rule, Config};
use clickchain::logic::rules::{self, RuleHeader, RULES};

/// `clickchain rules` arguments.
#[derive(Args)]
pub struct RulesArgs {
    /// One JSON object per rule (NDJSON) instead of text.
    #[arg(long)]
    json: bool,
}

/// Parses `--rules ID,ID`: every id must be registered (the error names the closest one).
pub fn parse_list(list: &str) -> anyhow::Result<Vec<String>> {
    let ids: Vec<String> = list.split(',').map(str::trim).filter(|s| !s.is_empty()).map(str::to_owned).collect();
    if ids.is_empty() {
        anyhow::bail!("--rules: expected rule ids separated by commas (`clickchain rules` lists them)");
    }
    check(&ids)?;
    Ok(ids)
}

/// Every id must be registered (the error names the closest one).
pub fn check(ids: &[String]) -> anyhow::Result<()> {
    if let Some(h) = ids.iter().find_map(|id| rules::ALWAYS.iter().find(|h| h.id == id.as_str())) {
        anyhow::bail!("--rules: `{}` runs for every alert of every enabled rule; it is not selected", h.id);
    }
    match ids.iter().find(|id| rules::rule(id).is_none()) {
        Some(id) => anyhow::bail!("--rules: {}", unknown_rule(id)),
        None => Ok(()),
    }
}

/// `--rules` replaces `[rules] enabled`.
pub fn apply(config: &mut Config, rules: Option<&[String]>) {
    if let Some(ids) = rules {
        config.rules.enabled = ids.to_vec();
    }
}

pub fn run(args: RulesArgs) -> ExitCode {
    let default = Config::default().rules.enabled;
    let mut text = String::new();
    let selected = RULES.iter().map(|r| (r.header, default.iter().any(|id| id == r.header.id), false));
    for (h, on, always) in selected.chain(rules::ALWAYS.iter().map(|&h| (h, true, true))) {
        if args.json {
            let mut v = json(h, on);
            v["always"] = always.into();
            text.push_str(&v.to_string());
            text.push('\n');
        } else {
            text.push_str(&describe(h, on, always));
        }
    }
    // A closed stdout ends the output; it is no error.
    let _ = std::io::stdout().write_all(text.as_bytes());
    ExitCode::SUCCESS
}

fn json(h: &RuleHeader, default: bool) -> serde_json::Value {
    serde_json::json!({
        "id": h.id,
        "title": h.title,
        "status": h.status.as_str(),
        "default": default,
        "hypothesis": h.hypothesis,
        "attack": h.attack,
        "refines": h.refines,
        "data": h.data,
        "false_positives": h.false_positives,
        "hold_ms": h.hold,
    })
}

fn describe(h: &RuleHeader, default: bool, always: bool) -> String {
    let on = match (always, default) {
        (true, _) => ", for every alert",
        (false, true) => ", default",
        (false, false) => "",
    };
    format!(
        "{} ({}{on})\n  {}\n  hypothesis:      {}\n  attack:          {}\n  refines:         {}\n  data:            {}\n  false positives: {}\n  hold:            {} s\n\n",
        h.id,
        h.status.as_str(),
        h.title,
        h.hypothesis.split_whitespace().collect::<Vec<_>>().join(" "),
        h.attack.join(", "),
        h.refines.join(", "),
        h.data.join(", "),
        h.false_positives,
        h.hold / 1000,
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn list_parsing_names_the_closest_rule() {
        assert_eq!(parse_list("chain, redirect-chain").unwrap(), ["chain", "redirect-chain"]);
        let e = parse_list("chain,mail-paylod").unwrap_err().to_string();
        assert!(e.contains("mail-paylod") && e.contains("did you mean `mail-payload`"), "{e}");
        assert!(parse_list(" , ").is_err());
        let e = parse_list("chain,follow-on").unwrap_err().to_string();
        assert!(e.contains("runs for every alert"), "{e}");
    }
}
