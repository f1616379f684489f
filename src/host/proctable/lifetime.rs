//! When a process may leave its table: the one place that decides a process's lifetime.
//!
//! A process stays while it runs, while it has children in the table, and while some carried
//! state pins it (every host part that keeps a process pins it through [`ProcTable::pin`] or
//! [`ProcTable::keep_pinned`] and releases it with [`ProcTable::unpin`]); once it ended and
//! nothing holds it, it leaves at the first sweep past [`super::ENDED_GRACE_MS`] after its end
//! and last mention. When the table is full, idle processes are evicted (and counted).

use super::{Expiry, Proc, ProcTable, Slot};

impl ProcTable {
    pub fn pin(&mut self, slot: Slot) {
        self.get_mut(slot).pins += 1;
    }

    /// Keeps `item`, which refers to process `proc`, in `list` if it holds fewer than `cap`,
    /// pinning `proc` while kept; whether it was kept. (Whoever drops it unpins `proc`.)
    pub fn keep_pinned<T>(&mut self, list: &mut Vec<T>, item: T, proc: Slot, cap: usize) -> bool {
        if list.len() >= cap {
            return false;
        }
        self.pin(proc);
        list.push(item);
        true
    }

    pub fn unpin(&mut self, slot: Slot) {
        let p = self.get_mut(slot);
        p.pins = p.pins.saturating_sub(1);
        if p.pins == 0 {
            self.may_expire(slot);
        }
    }

    fn removable(p: &Proc, horizon: i64) -> bool {
        p.pins == 0 && p.children == 0 && p.end.is_some_and(|e| e < horizon) && p.last_seen < horizon
    }

    /// Lists an ended process for the sweep, with the time it may leave. Called whenever that
    /// time may have come earlier (its end recorded) or what held it went (its last pin, its
    /// last child), so that every removable process has an entry no later than its own.
    pub(super) fn may_expire(&mut self, slot: Slot) {
        let p = self.get(slot);
        if let Some(end) = p.end {
            if p.pins == 0 && p.children == 0 {
                self.expiry.push(Expiry { at: end.max(p.last_seen), slot, serial: p.serial });
            }
        }
    }

    /// Removes processes that ended before `horizon` and that nothing refers to any more.
    /// Leaves go first, which may free their parents in the same sweep.
    ///
    /// Only the ended processes listed for expiry are looked at, not the whole table; one still
    /// mentioned since its entry was made stays listed at its new time. They are removed in
    /// slot order, as a scan of the table would (which slots are freed first decides which are
    /// reused first).
    pub fn sweep(&mut self, horizon: i64) -> usize {
        let mut dead: Vec<Slot> = Vec::new();
        let slots = &self.slots;
        self.expiry.retain_mut(|e| {
            if e.at >= horizon {
                return true;
            }
            let Some(p) = slots.get(e.slot as usize).filter(|p| p.serial == e.serial) else { return false };
            if Self::removable(p, horizon) {
                dead.push(e.slot);
                false
            } else if p.pins == 0 && p.children == 0 {
                // Mentioned after its end: due later. (A pin or child lists it again when it goes.)
                e.at = p.end.map_or(p.last_seen, |end| end.max(p.last_seen));
                true
            } else {
                false
            }
        });
        dead.sort_unstable();
        dead.dedup();
        let mut removed = 0;
        // A parent whose last child leaves is checked right then (it was not removable before,
        // so it is not listed twice).
        while let Some(s) = dead.pop() {
            removed += 1;
            if let Some(parent) = self.remove_quiet(s) {
                if Self::removable(self.get(parent), horizon) {
                    dead.push(parent);
                }
            }
        }
        self.shrink_expiry();
        removed
    }

    /// Entries of processes gone are dropped when due; this keeps a list that grew in a burst
    /// from holding its memory.
    fn shrink_expiry(&mut self) {
        if self.expiry.capacity() > 4 * self.expiry.len() + 1024 {
            self.expiry.shrink_to_fit();
        }
    }

    /// Makes room when the table is full: first a sweep, then the least recently seen processes
    /// that nothing refers to (a tenth of the table at once, so that this stays rare).
    pub fn make_room(&mut self, cap: usize, horizon: i64) -> bool {
        if self.len < cap {
            return true;
        }
        self.sweep(horizon);
        if self.len < cap {
            return true;
        }
        let mut idle: Vec<(i64, Slot)> = self
            .slots
            .iter()
            .filter(|(_, p)| p.pins == 0 && p.children == 0)
            .map(|(s, p)| (p.last_seen, s as Slot))
            .collect();
        idle.sort_unstable();
        let n = (cap / 10).max(1).min(idle.len());
        for &(_, s) in &idle[..n] {
            self.remove_quiet(s);
            self.evicted += 1;
        }
        self.len < cap
    }

    /// Removes a process nothing refers to (no pins, no children); its parent, if any.
    fn remove_quiet(&mut self, slot: Slot) -> Option<Slot> {
        let p = self.slots.take(slot as usize).expect("live slot");
        self.len -= 1;
        self.free.push(slot);
        if let Some(id) = &p.id {
            self.by_id.remove_if(id, slot);
        }
        if let Some(pid) = p.pid.filter(|pid| self.by_pid.get(pid) == Some(&slot)) {
            self.by_pid.remove(&pid);
        }
        let ps = self.parent(slot)?;
        let parent = self.get_mut(ps);
        parent.children = parent.children.saturating_sub(1);
        if parent.children == 0 {
            self.may_expire(ps);
        }
        Some(ps)
    }
}
