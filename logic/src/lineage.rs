//! Lineage, derived once per evaluation and handed to every rule as input facts
//! (`docs/rules.md`): the transitive ancestors of each process and its link root.

use std::collections::{HashMap, HashSet};

use crate::{FxBuildHasher, Id};

/// The lineage of the processes in one evaluation.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Lineage {
    /// `(process, ancestor)`: every ancestor of every process, nearest first per process.
    pub ancestor: Vec<(Id, Id)>,
    /// `(process, root)`: the link root (top-most link-source ancestor, or the process itself
    /// when it is a link source with none above it) of every process that has one, sorted.
    pub root: Vec<(Id, Id)>,
}

/// Derives [`Lineage`] from `(child, parent)` edges, `(process, image)` pairs and the images
/// that are link sources. Each process has at most one parent edge (the engine's process table
/// is a tree); a cycle in bad input ends the walk instead of looping.
pub fn derive_lineage(parent: &[(Id, Id)], image: &[(Id, Id)], link_source_image: &[Id]) -> Lineage {
    let parent_of: HashMap<Id, Id, FxBuildHasher> = parent.iter().copied().collect();
    let sources: HashSet<Id, FxBuildHasher> =
        image.iter().filter(|(_, i)| link_source_image.contains(i)).map(|&(p, _)| p).collect();
    let is_source = |p: Id| sources.contains(&p);
    let mut procs: Vec<Id> = image.iter().map(|&(p, _)| p).chain(parent.iter().flat_map(|&(c, p)| [c, p])).collect();
    procs.sort_unstable();
    procs.dedup();
    let mut out = Lineage::default();
    // Ancestors per process (a cycle in bad input ends at the first repeat; a process in a
    // cycle is then its own ancestor, as in the Datalog closure).
    let mut spans: Vec<(Id, usize, usize)> = Vec::with_capacity(procs.len());
    for &p in &procs {
        let from = out.ancestor.len();
        let mut at = p;
        while let Some(&a) = parent_of.get(&at) {
            if out.ancestor[from..].iter().any(|&(_, x)| x == a) {
                break;
            }
            out.ancestor.push((p, a));
            at = a;
        }
        spans.push((p, from, out.ancestor.len()));
    }
    let below_source: HashSet<Id, FxBuildHasher> = spans
        .iter()
        .filter(|&&(_, from, to)| out.ancestor[from..to].iter().any(|&(_, a)| is_source(a)))
        .map(|&(p, _, _)| p)
        .collect();
    for &(p, from, to) in &spans {
        let mut roots: Vec<Id> = std::iter::once(p)
            .chain(out.ancestor[from..to].iter().map(|&(_, a)| a))
            .filter(|&r| is_source(r) && !below_source.contains(&r))
            .collect();
        roots.sort_unstable();
        roots.dedup();
        out.root.extend(roots.into_iter().map(|r| (p, r)));
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn root_is_the_top_most_link_source() {
        // explorer(9) -> chrome(0) -> chrome child(1) -> helper(3); 5 has no link source above.
        let l = derive_lineage(&[(0, 9), (1, 0), (3, 1)], &[(9, 1), (0, 2), (1, 2), (3, 1), (5, 1)], &[2]);
        assert_eq!(l.root, vec![(0, 0), (1, 0), (3, 0)]);
        assert!(l.ancestor.contains(&(3, 9)) && l.ancestor.contains(&(3, 0)));
        assert!(!l.ancestor.iter().any(|&(p, _)| p == 5 || p == 9));
    }

    #[test]
    fn cycle_in_bad_input_ends() {
        // Both are below a link source (each other), so neither is a root.
        let l = derive_lineage(&[(0, 1), (1, 0)], &[(0, 2), (1, 2)], &[2]);
        assert!(l.root.is_empty());
        assert!(l.ancestor.contains(&(0, 0)));
    }
}
