//! What one host evaluation works with: local fact identifiers for processes, images and names,
//! and where its records go.

use std::sync::Arc;

use clickchain_logic::Id;
use rustc_hash::FxHashMap;

use crate::alert::Record;
use crate::host::proctable::{Slot, MAX_DEPTH};
use crate::host::Host;
use crate::stats::Stats;

/// Local identifiers for one evaluation, and the facts about processes they imply.
#[derive(Default)]
pub(super) struct Local {
    pub(super) procs: FxHashMap<Slot, Id>,
    pub(super) slots: Vec<Slot>,
    pub(super) images: FxHashMap<Arc<str>, Id>,
    pub(super) names: FxHashMap<Arc<str>, Id>,
    pub(super) parent: Vec<(Id, Id)>,
    pub(super) image: Vec<(Id, Id)>,
    /// Lineage walks cut at [`MAX_DEPTH`].
    pub(super) truncated: u64,
    /// Every process brings its whole lineage (an enabled rule reads `ancestor`), not only an
    /// edge to its link root.
    pub(super) full_lineage: bool,
}

impl Local {
    /// The local id of `slot`, adding it and its ancestors (edges and images, at most
    /// [`MAX_DEPTH`] generations up; a cut walk is counted) on first sight.
    pub(super) fn lineage(&mut self, host: &Host, slot: Slot) -> Id {
        if let Some(&id) = self.procs.get(&slot) {
            return id;
        }
        let first = self.add(host, slot);
        let mut child = first;
        for (depth, anc) in host.procs.ancestors(slot).enumerate() {
            if depth == MAX_DEPTH {
                self.truncated += 1;
                break;
            }
            let known = self.procs.contains_key(&anc);
            let id = if known { self.procs[&anc] } else { self.add(host, anc) };
            self.parent.push((child, id));
            if known {
                break;
            }
            child = id;
        }
        first
    }

    /// The local id of `slot`, adding it (edge and image) on first sight with one edge to its
    /// link root, if it has another: what the chain rules need of a lineage, whatever its depth
    /// (they derive the same root from it as from the whole lineage).
    pub(super) fn rooted(&mut self, host: &Host, slot: Slot) -> Id {
        if self.full_lineage {
            return self.lineage(host, slot);
        }
        if let Some(&id) = self.procs.get(&slot) {
            return id;
        }
        let id = self.add(host, slot);
        if let Some(root) = host.procs.root_of(slot).filter(|&r| r != slot) {
            let root = match self.procs.get(&root) {
                Some(&r) => r,
                None => self.add(host, root),
            };
            self.parent.push((id, root));
        }
        id
    }

    fn add(&mut self, host: &Host, slot: Slot) -> Id {
        let id = self.slots.len() as Id;
        self.procs.insert(slot, id);
        self.slots.push(slot);
        let image = &host.procs.get(slot).image;
        let next = self.images.len() as Id;
        let img = *self.images.entry(Arc::clone(image)).or_insert(next);
        self.image.push((id, img));
        id
    }

    pub(super) fn name(&mut self, key: &Arc<str>) -> Id {
        let next = self.names.len() as Id;
        *self.names.entry(Arc::clone(key)).or_insert(next)
    }
}

/// Output of one host evaluation.
pub(crate) struct Emitted<'a> {
    pub out: &'a mut Vec<Record>,
    pub stats: &'a mut Stats,
    /// Most alerted files kept per host for follow-on matching.
    pub max_alerted: usize,
}
