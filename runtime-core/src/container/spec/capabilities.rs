//! Capability names as `--cap-add`, `--cap-drop` and containers.conf's
//! `default_capabilities` give them, checked against `caps::Capability`, and
//! Podman's merge of the three into the container's set.

use std::collections::BTreeMap;
use std::fmt;
use std::str::FromStr;

use caps::Capability;
use oci_spec::runtime::{Capabilities, LinuxCapabilities, LinuxCapabilitiesBuilder};

use super::{oci_error, oci_word};
use crate::error::{Error, Result};

/// One entry of a capability list: a single capability, or `ALL`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum CapName {
    /// Every capability the host can grant.
    All,
    /// One capability.
    One(Capability),
}

impl FromStr for CapName {
    type Err = Error;

    /// Accepts `NET_ADMIN`, `CAP_NET_ADMIN`, any letter case, and `ALL`, as
    /// Podman does. Nothing is trimmed: `" kill"` is unknown, as in Podman.
    /// An unknown name fails with [`Error::UnknownCapability`] naming the
    /// canonical (upper-case, `CAP_`-prefixed) form.
    fn from_str(name: &str) -> Result<CapName> {
        if name.eq_ignore_ascii_case("ALL") {
            return Ok(CapName::All);
        }
        let canonical = caps::to_canonical(name);
        canonical
            .parse::<Capability>()
            .map(CapName::One)
            .map_err(|_| Error::UnknownCapability(canonical))
    }
}

impl fmt::Display for CapName {
    /// `ALL` or the capability's `CAP_` name.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            CapName::All => f.write_str("ALL"),
            CapName::One(c) => write!(f, "{c}"),
        }
    }
}

/// Parses a list of capability names. Each entry may hold several names
/// separated by commas and empty names are skipped, as Podman's
/// `--cap-add a,b` and `--cap-add ""` behave.
pub fn parse_cap_names<S: AsRef<str>>(names: &[S]) -> Result<Vec<CapName>> {
    names
        .iter()
        .flat_map(|n| n.as_ref().split(','))
        .filter(|n| !n.is_empty())
        .map(str::parse)
        .collect()
}

/// Sorts capabilities by name (Podman lists them so) and removes duplicates.
pub(crate) fn sorted(caps: impl IntoIterator<Item = Capability>) -> Vec<Capability> {
    let by_name: BTreeMap<String, Capability> =
        caps.into_iter().map(|c| (c.to_string(), c)).collect();
    by_name.into_values().collect()
}

/// Fails, with Podman's messages, when `add` and `drop` contradict each
/// other: `ALL` on both sides, or one capability in both (unless `ALL` is
/// added, which a drop then trims).
pub fn check_add_drop(add: &[CapName], drop: &[CapName]) -> Result<()> {
    let add_all = add.contains(&CapName::All);
    if drop.contains(&CapName::All) {
        if add_all {
            return Err(Error::msg(
                "adding all caps and removing all caps not allowed",
            ));
        }
        return Ok(());
    }
    if !add_all && let Some(c) = add.iter().find(|c| drop.contains(c)) {
        return Err(Error::msg(format!(
            "capability \"{c}\" cannot be dropped and added"
        )));
    }
    Ok(())
}

/// Podman's capability merge: `defaults` plus `add` minus `drop`, with
/// `ALL` on either side, restricted to `available` (what the host can
/// grant), sorted by name.
pub(crate) fn merge_caps(
    defaults: &[CapName],
    add: &[CapName],
    drop: &[CapName],
    available: &[Capability],
) -> Result<Vec<Capability>> {
    let all = |v: &[CapName]| v.contains(&CapName::All);
    let ones = |v: &[CapName]| -> Vec<Capability> {
        v.iter()
            .filter_map(|c| match c {
                CapName::One(c) => Some(*c),
                CapName::All => None,
            })
            .collect()
    };
    let keep = |v: Vec<Capability>| sorted(v.into_iter().filter(|c| available.contains(c)));
    check_add_drop(add, drop)?;
    let (add_all, add) = (all(add), ones(add));
    let (drop_all, drop) = (all(drop), ones(drop));
    if drop_all {
        return Ok(keep(add));
    }
    let (base, add) = if add_all {
        (available.to_vec(), Vec::new())
    } else {
        (ones(defaults), add)
    };
    let mut caps: Vec<Capability> = base.into_iter().filter(|c| !drop.contains(c)).collect();
    caps.extend(add);
    Ok(keep(caps))
}

/// The capabilities this host can grant: those the kernel knows
/// (`cap_last_cap`) that are in this process's bounding set, sorted by name.
/// When either cannot be read, every capability `caps` knows is assumed.
pub(crate) fn grantable() -> Vec<Capability> {
    let known = caps::runtime::procfs_all_supported(None).unwrap_or_else(|e| {
        tracing::debug!("reading the kernel's capabilities: {e}");
        caps::all()
    });
    let bounding = caps::read(None, caps::CapSet::Bounding).unwrap_or_else(|e| {
        tracing::debug!("reading the bounding set: {e}");
        caps::all()
    });
    sorted(known.intersection(&bounding).copied())
}

/// `caps::Capability` to the OCI spec's capability (same name).
pub(crate) fn to_oci(c: Capability) -> Result<oci_spec::runtime::Capability> {
    oci_word(&c.to_string()).ok_or_else(|| {
        Error::Internal.context(format!("capability {c} is unknown to the OCI spec types"))
    })
}

/// A set of the OCI spec's capabilities.
pub(crate) fn oci_set(caps: &[Capability]) -> Result<Capabilities> {
    caps.iter().map(|c| to_oci(*c)).collect()
}

/// The `process.capabilities` of a container: root gets the set in
/// bounding, effective and permitted; another user keeps only bounding,
/// plus its `--cap-add` capabilities in every set but bounding.
pub(crate) fn process_capabilities(
    caps: &[Capability],
    uid: u32,
    user_added: &[Capability],
) -> Result<LinuxCapabilities> {
    let set = oci_set(caps)?;
    let mut b = LinuxCapabilitiesBuilder::default().bounding(set.clone());
    if uid == 0 {
        b = b.effective(set.clone()).permitted(set);
    } else if !user_added.is_empty() {
        let added = oci_set(user_added)?;
        b = b
            .effective(added.clone())
            .inheritable(added.clone())
            .permitted(added.clone())
            .ambient(added);
    }
    let mut out = b.build().map_err(oci_error)?;
    // The builder starts from oci-spec's defaults; keep only what was set.
    if uid != 0 && user_added.is_empty() {
        out.set_effective(None);
        out.set_permitted(None);
    }
    if uid == 0 || user_added.is_empty() {
        out.set_inheritable(None);
        out.set_ambient(None);
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn names(v: &[&str]) -> Vec<CapName> {
        parse_cap_names(v).unwrap()
    }

    fn strs(v: &[Capability]) -> Vec<String> {
        v.iter().map(Capability::to_string).collect()
    }

    #[test]
    fn names_parse_in_every_spelling_podman_accepts() {
        let admin = CapName::One(Capability::CAP_NET_ADMIN);
        for n in [
            "NET_ADMIN",
            "CAP_NET_ADMIN",
            "net_admin",
            "cap_net_admin",
            "Net_Admin",
        ] {
            assert_eq!(n.parse::<CapName>().unwrap(), admin, "{n}");
        }
        for n in ["ALL", "all", "All"] {
            assert_eq!(n.parse::<CapName>().unwrap(), CapName::All, "{n}");
        }
        assert_eq!(
            "checkpoint_restore".parse::<CapName>().unwrap(),
            CapName::One(Capability::CAP_CHECKPOINT_RESTORE)
        );
        assert_eq!(admin.to_string(), "CAP_NET_ADMIN");
        assert_eq!(CapName::All.to_string(), "ALL");
    }

    #[test]
    fn unknown_names_fail_with_podmans_message() {
        for (given, shown) in [
            ("foo", "\"CAP_FOO\": unknown capability"),
            ("cap_foo", "\"CAP_FOO\": unknown capability"),
            // Podman neither trims nor treats CAP_ALL as ALL.
            (" net_admin", "\"CAP_ NET_ADMIN\": unknown capability"),
            ("CAP_ALL", "\"CAP_ALL\": unknown capability"),
            ("CAP_", "\"CAP_\": unknown capability"),
        ] {
            let e = given.parse::<CapName>().unwrap_err();
            assert_eq!(e.to_string(), shown, "{given:?}");
            assert!(e.is(&Error::UnknownCapability(String::new())));
        }
    }

    #[test]
    fn lists_split_on_commas_and_skip_empty_entries() {
        assert_eq!(
            names(&["kill,net_raw", "", "ALL"]),
            [
                CapName::One(Capability::CAP_KILL),
                CapName::One(Capability::CAP_NET_RAW),
                CapName::All
            ]
        );
        assert!(names(&[""]).is_empty());
        assert!(parse_cap_names(&["kill,bogus"]).is_err());
    }

    #[test]
    fn every_capability_has_an_oci_spec_twin() {
        for c in caps::all() {
            let oci = to_oci(c).unwrap();
            assert_eq!(serde_json::to_value(oci).unwrap(), c.to_string());
            let back: oci_spec::runtime::Capability =
                serde_json::from_value(serde_json::json!(c.to_string())).unwrap();
            assert_eq!(back, oci);
        }
    }

    #[test]
    fn merging_caps_follows_podman() {
        let avail = sorted(caps::all());
        let defaults = names(&crate::config::DEFAULT_CAPABILITIES);
        let base = merge_caps(&defaults, &[], &[], &avail).unwrap();
        assert_eq!(base.len(), 11);
        let base_names = strs(&base);
        assert!(base_names.windows(2).all(|w| w[0] < w[1]), "sorted");

        let c = merge_caps(
            &defaults,
            &names(&["net_admin"]),
            &names(&["CHOWN"]),
            &avail,
        )
        .unwrap();
        assert!(c.contains(&Capability::CAP_NET_ADMIN) && !c.contains(&Capability::CAP_CHOWN));
        assert_eq!(c.len(), 11);

        let c = merge_caps(&defaults, &names(&["ALL"]), &names(&["sys_admin"]), &avail).unwrap();
        assert_eq!(c.len(), avail.len() - 1);
        assert!(!c.contains(&Capability::CAP_SYS_ADMIN));

        let c = merge_caps(&defaults, &names(&["kill"]), &names(&["all"]), &avail).unwrap();
        assert_eq!(c, [Capability::CAP_KILL]);

        let e = merge_caps(&defaults, &names(&["ALL"]), &names(&["ALL"]), &avail).unwrap_err();
        assert_eq!(
            e.to_string(),
            "adding all caps and removing all caps not allowed"
        );
        let e = merge_caps(&defaults, &names(&["KILL"]), &names(&["kill"]), &avail).unwrap_err();
        assert_eq!(
            e.to_string(),
            "capability \"CAP_KILL\" cannot be dropped and added"
        );

        // A capability the host cannot grant is left out.
        let fewer: Vec<Capability> = avail
            .iter()
            .copied()
            .filter(|c| *c != Capability::CAP_SYS_RESOURCE)
            .collect();
        let c = merge_caps(&defaults, &names(&["SYS_RESOURCE"]), &[], &fewer).unwrap();
        assert!(!c.contains(&Capability::CAP_SYS_RESOURCE));
    }

    #[test]
    fn grantable_is_within_the_bounding_set() {
        let g = grantable();
        assert!(!g.is_empty());
        let bounding = caps::read(None, caps::CapSet::Bounding).unwrap();
        assert!(g.iter().all(|c| bounding.contains(c)));
        let last: u8 = std::fs::read_to_string("/proc/sys/kernel/cap_last_cap")
            .unwrap()
            .trim()
            .parse()
            .unwrap();
        assert!(g.iter().all(|c| c.index() <= last));
    }

    #[test]
    fn non_root_process_caps_keep_bounding_only() {
        let set = [Capability::CAP_KILL, Capability::CAP_CHOWN];
        let root = serde_json::to_value(process_capabilities(&set, 0, &[]).unwrap()).unwrap();
        let keys: Vec<&String> = root.as_object().unwrap().keys().collect();
        assert_eq!(keys, ["bounding", "effective", "permitted"]);
        let user = serde_json::to_value(process_capabilities(&set, 1000, &[]).unwrap()).unwrap();
        let keys: Vec<&String> = user.as_object().unwrap().keys().collect();
        assert_eq!(keys, ["bounding"]);
        let added = process_capabilities(&set, 1000, &[Capability::CAP_KILL]).unwrap();
        let v = serde_json::to_value(added).unwrap();
        for k in ["effective", "inheritable", "permitted", "ambient"] {
            assert_eq!(v[k], serde_json::json!(["CAP_KILL"]), "{k}");
        }
    }
}
