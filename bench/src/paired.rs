//! Paired measurements: a floor and a way of reading the same input, timed back to back many
//! times, the order alternating; the ratios of the pairs, summarised by their median and
//! quartiles.
//!
//! On this project's 2-core VMs one process's rate swings by a third from one second to the
//! next (`docs/performance.md`). The two
//! sides of a pair run within a few seconds of each other, so a slow spell mostly hits both; the
//! median of many pairs is steady where the ratio of three rounds' fastest runs is not. Taking
//! the floor first in one pair and second in the next cancels a drift in either direction.

use crate::windows::Rate;

/// The ratios (measured rate / floor rate) of `pairs` pairs, sorted.
#[derive(Debug, Clone, PartialEq)]
pub struct Paired {
    ratios: Vec<f64>,
}

impl Paired {
    /// Times `floor` and `measured` back to back `pairs` times (at least once), the floor first
    /// in even pairs and second in odd ones.
    pub fn measure<E>(
        pairs: usize,
        mut floor: impl FnMut() -> Result<Rate, E>,
        mut measured: impl FnMut() -> Result<Rate, E>,
    ) -> Result<Paired, E> {
        let mut ratios = Vec::with_capacity(pairs.max(1));
        for i in 0..pairs.max(1) {
            let (f, m) = if i % 2 == 0 {
                let f = floor()?;
                (f, measured()?)
            } else {
                let m = measured()?;
                (floor()?, m)
            };
            ratios.push(m.per_sec() / f.per_sec().max(f64::MIN_POSITIVE));
        }
        Ok(Paired::from_ratios(ratios))
    }

    /// The summary of given ratios (in any order).
    pub fn from_ratios(mut ratios: Vec<f64>) -> Paired {
        ratios.sort_by(f64::total_cmp);
        Paired { ratios }
    }

    /// The `q` quantile (0.0-1.0) of the ratios, interpolated between the nearest two.
    pub fn quantile(&self, q: f64) -> f64 {
        let Some(last) = self.ratios.len().checked_sub(1) else { return f64::NAN };
        let at = q.clamp(0.0, 1.0) * last as f64;
        let (lo, hi) = (at.floor() as usize, at.ceil() as usize);
        self.ratios[lo] + (self.ratios[hi] - self.ratios[lo]) * (at - lo as f64)
    }

    /// The median ratio.
    pub fn median(&self) -> f64 {
        self.quantile(0.5)
    }

    /// The lowest and highest ratio.
    pub fn range(&self) -> (f64, f64) {
        (self.quantile(0.0), self.quantile(1.0))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A pass of `per_sec` items in one second.
    fn rate(per_sec: u64) -> Rate {
        Rate { what: "test", items: per_sec, secs: 1.0 }
    }

    #[test]
    fn quantiles_interpolate_between_sorted_ratios() {
        let p = Paired::from_ratios(vec![0.9, 0.5, 0.7, 0.6, 0.8]);
        assert_eq!((p.ratios.len(), p.median(), p.range()), (5, 0.7, (0.5, 0.9)));
        assert!((p.quantile(0.25) - 0.6).abs() < 1e-12);
        assert!((Paired::from_ratios(vec![1.0, 2.0]).median() - 1.5).abs() < 1e-12);
        assert!(Paired::from_ratios(Vec::new()).median().is_nan());
    }

    #[test]
    fn pairs_alternate_which_side_runs_first() {
        let order = std::cell::RefCell::new(String::new());
        let floor = || {
            order.borrow_mut().push('f');
            Ok::<_, ()>(rate(100))
        };
        let measured = || {
            order.borrow_mut().push('m');
            Ok::<_, ()>(rate(80))
        };
        let p = Paired::measure(4, floor, measured).unwrap();
        assert_eq!(order.into_inner(), "fmmffmmf");
        assert_eq!((p.ratios.len(), p.median()), (4, 0.8));
        // At least one pair; an error stops the measurement.
        assert_eq!(Paired::measure(0, || Ok::<_, ()>(rate(2)), || Ok(rate(1))).unwrap().ratios.len(), 1);
        assert_eq!(Paired::measure(3, || Err::<Rate, _>("floor"), || Ok(rate(1))), Err("floor"));
    }
}
