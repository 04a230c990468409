//! What the outside of the namespaces saw, and what changed between two looks: the peer's
//! underlay counters, the host's counters, and every arrival at a listener.

use super::world::{self, Side};
use crate::common::nspawn::Container;
use std::collections::{BTreeMap, BTreeSet};

/// What the outside saw: the peer's underlay counters, the host's counters, and every
/// arrival at a listener (as counts of (listener, sender)).
pub struct Outside {
    pub underlay: BTreeMap<String, u64>,
    pub host: BTreeMap<String, u64>,
    pub world: BTreeMap<(String, String), usize>,
    pub host_arrivals: BTreeMap<(String, String), usize>,
}

/// What changed outside between two looks.
#[derive(Debug)]
pub struct Change {
    pub underlay: BTreeMap<String, u64>,
    pub host: BTreeMap<String, u64>,
    /// Senders of new arrivals at the world's listeners / at the host's.
    pub world: BTreeSet<String>,
    pub host_arrivals: BTreeSet<String>,
}

fn count(arrivals: Vec<(String, String)>) -> BTreeMap<(String, String), usize> {
    let mut m = BTreeMap::new();
    for a in arrivals {
        *m.entry(a).or_default() += 1;
    }
    m
}

impl Outside {
    pub fn look(c: &Container) -> Outside {
        Outside {
            underlay: world::counters(c, Side::World, "lp-underlay"),
            host: world::counters(c, Side::Host, "lp-hostside"),
            world: count(world::arrivals(c, Side::World)),
            host_arrivals: count(world::arrivals(c, Side::Host)),
        }
    }

    pub fn since(&self, before: &Outside) -> Change {
        let senders = |now: &BTreeMap<(String, String), usize>, then: &BTreeMap<(String, String), usize>| {
            now.iter()
                .filter(|(k, n)| then.get(*k).copied().unwrap_or(0) < **n)
                .map(|((_, sender), _)| sender.clone())
                .collect()
        };
        Change {
            underlay: growth(&self.underlay, &before.underlay),
            host: growth(&self.host, &before.host),
            world: senders(&self.world, &before.world),
            host_arrivals: senders(&self.host_arrivals, &before.host_arrivals),
        }
    }
}

/// How much each counter grew from `then` to `now`.
pub fn growth(now: &BTreeMap<String, u64>, then: &BTreeMap<String, u64>) -> BTreeMap<String, u64> {
    now.iter()
        .map(|(k, v)| (k.clone(), v - then.get(k).copied().unwrap_or(0)))
        .collect()
}
