use super::*;

const BROWSER: Id = 100;
const OTHER: Id = 200;
const MIN: Time = 60_000;

fn params() -> Params {
    Params { window: 15 * MIN, download_gap: 2 * MIN, min_strength: Strength::Medium, quarantine_grace: 30_000 }
}

/// explorer(9) -> chrome(0) -> network child(1); chrome(0) -> renderer(2) -> helper(3)
fn browser_tree() -> ChainFacts {
    ChainFacts {
        parent: vec![(0, 9), (1, 0), (2, 0), (3, 2)],
        image: vec![(9, OTHER), (0, BROWSER), (1, BROWSER), (2, BROWSER), (3, OTHER)],
        link_source_image: vec![BROWSER],
        params: params(),
        ..ChainFacts::default()
    }
}

fn egress(id: Id, proc: Id, time: Time, domain: Id) -> Egress {
    Egress { id, proc, time, domain }
}

fn write(id: Id, proc: Id, time: Time) -> Write {
    Write { id, proc, time, origin_domain: NONE, origin_trusted: false, quarantine_candidate: false }
}

#[test]
fn root_is_top_most_link_source_for_every_descendant() {
    let out = evaluate_chain(&browser_tree());
    assert_eq!(out.roots, vec![(0, 0), (1, 0), (2, 0), (3, 0)]);
}

#[test]
fn egress_from_child_links_write_from_grandchild() {
    let mut f = browser_tree();
    f.egress.push(egress(0, 1, 0, 7));
    f.write.push(write(0, 3, MIN));
    let out = evaluate_chain(&f);
    assert_eq!(out.matches, vec![ChainMatch { write: 0, egress: 0, click: None, root: 0, strength: Strength::Medium }]);
}

#[test]
fn observed_click_opens_the_window() {
    let mut f = browser_tree();
    f.click.push(Click { id: 5, proc: 0, time: 0 });
    f.egress.push(egress(0, 1, 1_000, 7));
    let named = |w: Write| Write { origin_domain: 7, ..w };
    f.write.push(named(write(0, 0, 15 * MIN)));
    f.write.push(named(write(1, 0, 15 * MIN + 1)));
    f.write.push(named(write(2, 0, 15 * MIN + 1_001)));
    let out = evaluate_chain(&f);
    let m: Vec<_> = out.matches.iter().map(|m| (m.write, m.click)).collect();
    // Write 0 is inside the click's window (inclusive). Write 1 is 1 ms outside it: the egress
    // belongs to the click, so no click may be inferred there to rescue it (regression:
    // window_observed_outside_not_rescued_by_inferred_click). Write 2 is outside both.
    assert_eq!(m, vec![(0, Some(5))]);
}

#[test]
fn weak_links_alert_only_when_allowed() {
    let mut f = browser_tree();
    f.egress.push(egress(0, 1, 0, 7));
    f.write.push(write(0, 0, 10 * MIN));
    assert!(evaluate_chain(&f).matches.is_empty());
    f.params.min_strength = Strength::Weak;
    assert_eq!(evaluate_chain(&f).matches[0].strength, Strength::Weak);
}

#[test]
fn origin_naming_the_domain_is_strong() {
    let mut f = browser_tree();
    f.egress.push(egress(0, 1, 0, 7));
    f.write.push(Write { origin_domain: 7, ..write(0, 0, 10 * MIN) });
    assert_eq!(evaluate_chain(&f).matches[0].strength, Strength::Strong);
}

#[test]
fn egress_after_write_or_outside_lineage_does_not_link() {
    let mut f = browser_tree();
    f.egress.push(egress(0, 1, MIN + 1, 7)); // after the write
    f.egress.push(egress(1, 9, 0, 7)); // explorer: not in the lineage
    f.write.push(write(0, 0, MIN));
    assert!(evaluate_chain(&f).matches.is_empty());
}

#[test]
fn outlook_above_the_browser_is_the_root() {
    // outlook(20) -> msedge(0) -> child(1)
    let mut f = browser_tree();
    f.parent[0] = (0, 20);
    f.image.push((20, 300));
    f.link_source_image.push(300);
    f.egress.push(egress(0, 1, 0, 7));
    f.write.push(write(0, 1, MIN));
    let out = evaluate_chain(&f);
    assert_eq!(out.matches[0].root, 20);
}

#[test]
fn parent_cycles_terminate() {
    let f = ChainFacts {
        parent: vec![(0, 1), (1, 0)],
        image: vec![(0, BROWSER), (1, BROWSER)],
        link_source_image: vec![BROWSER],
        params: params(),
        ..ChainFacts::default()
    };
    // Both are below a link source, so neither is a root: no lineage, no crash.
    assert!(evaluate_chain(&f).roots.is_empty());
}

#[test]
fn quarantine_missing_only_without_flag_in_grace() {
    let mut f = browser_tree();
    let cand = |id, t| Write { quarantine_candidate: true, ..write(id, 0, t) };
    f.write.extend([cand(0, 0), cand(1, 0), cand(2, 0)]);
    f.quarantine_seen.extend([(0, 30_000), (1, 30_001)]);
    assert_eq!(evaluate_chain(&f).quarantine_missing, vec![(1, 0), (2, 0)]);
}

#[test]
fn inferred_click_needs_an_egress_no_observed_click_explains() {
    // A click at 0 (egress at 1 s), then in-page navigation to another risky site 20 min later:
    // that egress has no observed click within the window, so a click is inferred there.
    let mut f = browser_tree();
    f.click.push(Click { id: 5, proc: 0, time: 0 });
    f.egress.push(egress(0, 1, 1_000, 7));
    f.egress.push(egress(1, 1, 20 * MIN, 8));
    f.write.push(write(0, 0, 20 * MIN + 30_000));
    let out = evaluate_chain(&f);
    assert_eq!(out.matches, vec![ChainMatch { write: 0, egress: 1, click: None, root: 0, strength: Strength::Medium }]);
}

#[test]
fn trusted_origin_on_another_domain_demotes_to_weak() {
    // An allowlisted CDN download 10 s after a risky visit: the origin says where it came from.
    let mut f = browser_tree();
    f.egress.push(egress(0, 1, 0, 7));
    f.write.push(Write { origin_domain: 9, origin_trusted: true, ..write(0, 0, 10_000) });
    f.write.push(Write { origin_domain: 9, origin_trusted: false, ..write(1, 0, 10_000) });
    let out = evaluate_chain(&f);
    assert_eq!(out.matches.iter().map(|m| (m.write, m.strength)).collect::<Vec<_>>(), vec![(1, Strength::Medium)]);
}
