//! The order in which containers can be added to a State: dependencies
//! (namespace and other containers they need) before their users.

use std::collections::BTreeSet;

use crate::container::ContainerRecord;

/// Orders `ctrs` so that every container comes after the containers it
/// depends on. A cycle or a dependency outside `ctrs` leaves the rest in
/// their original order at the end (the State's checks report them).
pub fn dependency_order(mut ctrs: Vec<ContainerRecord>) -> Vec<ContainerRecord> {
    let mut done: BTreeSet<String> = BTreeSet::new();
    let mut out = Vec::with_capacity(ctrs.len());
    while !ctrs.is_empty() {
        let before = ctrs.len();
        let (ready, rest): (Vec<_>, Vec<_>) = ctrs
            .into_iter()
            .partition(|c| c.config.all_dependencies().iter().all(|d| done.contains(d)));
        for c in ready {
            done.insert(c.config.id.clone());
            out.push(c);
        }
        ctrs = rest;
        if ctrs.len() == before {
            out.append(&mut ctrs);
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::container::ContainerConfig;

    fn rec(id: &str, net_from: &str) -> ContainerRecord {
        let mut cfg = ContainerConfig::new(id, id, 0);
        cfg.net_ns_ctr = net_from.to_string();
        ContainerRecord::new(cfg)
    }

    #[test]
    fn dependencies_come_first() {
        let ids = |v: Vec<ContainerRecord>| -> Vec<String> {
            v.into_iter().map(|r| r.config.id).collect()
        };
        let order = dependency_order(vec![rec("c", "b"), rec("b", "a"), rec("a", "")]);
        assert_eq!(ids(order), ["a", "b", "c"]);
        let dangling = dependency_order(vec![rec("x", "missing"), rec("y", "")]);
        assert_eq!(ids(dangling), ["y", "x"]);
    }
}
