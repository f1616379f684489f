//! Lexical features of a (lowercase ASCII) label, used by the risk score.

/// Counts and entropy of one label.
#[derive(Debug, Clone, Copy, PartialEq)]
pub(crate) struct LabelStats {
    /// Length in bytes.
    pub len: usize,
    /// ASCII digits.
    pub digits: usize,
    /// `-` characters.
    pub hyphens: usize,
    /// `a e i o u`.
    pub vowels: usize,
    /// Shannon entropy in bits per character (0 for an empty label).
    pub entropy: f64,
}

impl LabelStats {
    /// Computes the statistics of `label` (bytes; the label is ASCII after normalisation).
    pub(crate) fn of(label: &str) -> LabelStats {
        let mut counts = [0u32; 256];
        let (mut digits, mut hyphens, mut vowels) = (0, 0, 0);
        for b in label.bytes() {
            counts[usize::from(b)] += 1;
            match b {
                b'0'..=b'9' => digits += 1,
                b'-' => hyphens += 1,
                b'a' | b'e' | b'i' | b'o' | b'u' => vowels += 1,
                _ => {}
            }
        }
        LabelStats { len: label.len(), digits, hyphens, vowels, entropy: shannon_entropy(&counts, label.len()) }
    }

    /// `part / len`, 0 for an empty label.
    pub(crate) fn ratio(&self, part: usize) -> f64 {
        if self.len == 0 {
            0.0
        } else {
            part as f64 / self.len as f64
        }
    }
}

fn shannon_entropy(counts: &[u32; 256], len: usize) -> f64 {
    if len == 0 {
        return 0.0;
    }
    let n = len as f64;
    counts
        .iter()
        .filter(|&&c| c > 0)
        .map(|&c| {
            let p = f64::from(c) / n;
            -p * p.log2()
        })
        .sum()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn stats_and_entropy() {
        let s = LabelStats::of("a-b-1");
        assert_eq!((s.len, s.digits, s.hyphens, s.vowels), (5, 1, 2, 1));
        assert_eq!(LabelStats::of("").entropy, 0.0);
        assert_eq!(LabelStats::of("aaaa").entropy, 0.0);
        assert!((LabelStats::of("abcd").entropy - 2.0).abs() < 1e-9);
        assert!((LabelStats::of("aabb").entropy - 1.0).abs() < 1e-9);
        // 14 distinct characters: log2(14).
        assert!((LabelStats::of("x7kq2m9vz4hd1w").entropy - 14f64.log2()).abs() < 1e-9);
        assert_eq!(LabelStats::of("").ratio(0), 0.0);
        assert!((LabelStats::of("ab12").ratio(2) - 0.5).abs() < 1e-9);
    }
}
