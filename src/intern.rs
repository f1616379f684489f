//! A bounded string interner: repeated strings (image paths, names) share one allocation.

use std::sync::Arc;

use rustc_hash::FxHashSet;

/// Interns strings into shared `Arc<str>`s, holding at most `cap` distinct strings.
///
/// When full it starts over: strings already handed out stay valid (they are reference
/// counted), so the only cost of a reset is a little less sharing. Memory stays bounded.
pub struct Interner {
    set: FxHashSet<Arc<str>>,
    cap: usize,
    /// How many times the interner was full and reset.
    pub resets: u64,
}

impl Interner {
    /// An interner holding at most `cap` strings.
    pub fn new(cap: usize) -> Self {
        Interner { set: FxHashSet::default(), cap: cap.max(1), resets: 0 }
    }

    /// The shared copy of `s`.
    pub fn intern(&mut self, s: &str) -> Arc<str> {
        if let Some(a) = self.set.get(s) {
            return Arc::clone(a);
        }
        if self.set.len() >= self.cap {
            self.set.clear();
            self.resets += 1;
        }
        let a: Arc<str> = Arc::from(s);
        self.set.insert(Arc::clone(&a));
        a
    }

    /// Distinct strings held.
    #[cfg(test)]
    pub fn len(&self) -> usize {
        self.set.len()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn shares_and_stays_bounded() {
        let mut i = Interner::new(2);
        let a = i.intern("chrome.exe");
        let b = i.intern("chrome.exe");
        assert!(Arc::ptr_eq(&a, &b));
        i.intern("x");
        i.intern("y");
        assert_eq!(i.len(), 1);
        assert_eq!(i.resets, 1);
        assert_eq!(&*a, "chrome.exe");
    }
}
