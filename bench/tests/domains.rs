//! The generator's risky domains are untrusted for the default policy by their name alone
//! (inside the newly-observed warm-up), as the labels assume: every injected chain can be found.

use clickchain::domain::{Destination, FirstSeen, Psl, RiskPolicy, RiskSettings};
use clickchain_bench::synth::risky_names;

#[test]
fn risky_names_are_untrusted_without_the_newly_observed_reason() {
    let policy = RiskPolicy::new(RiskSettings::default()).unwrap();
    let psl = Psl::vendored();
    // Still warming up: no name is "newly observed".
    let mut seen = FirstSeen::new(i64::MAX, 100_000);
    for malicious in [true, false] {
        for name in risky_names(7, 5_000, malicious) {
            let parsed = psl.parse(&name).unwrap();
            let verdict = policy.assess(Destination { ip: None, name: Some(&parsed) }, &mut seen, 0);
            assert!(verdict.untrusted, "{name}: {verdict:?}");
        }
    }
}
