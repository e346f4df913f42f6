//! The AppArmor profile a container runs under, chosen as Podman does: the
//! user's `--security-opt apparmor=`, else containers.conf's
//! `apparmor_profile` (none for a privileged container). On a host without
//! AppArmor, a profile the user named is an error (unless `unconfined`) and
//! the default is dropped. On a host with AppArmor, a profile that is not
//! loaded in the kernel is an error: rpod never starts a container
//! unconfined because its profile was missing (it does not load profiles
//! itself; `apparmor_parser` does).

use std::path::Path;

use crate::error::{Error, Result};

/// The name that means "no profile".
pub(crate) const UNCONFINED: &str = "unconfined";

/// The host's AppArmor state.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub(crate) struct AppArmorHost {
    /// The kernel has AppArmor enabled.
    pub enabled: bool,
    /// Profiles loaded in the kernel, by name.
    pub loaded: Vec<String>,
}

impl AppArmorHost {
    /// Reads the running host (`/sys/module/apparmor`, securityfs).
    pub(crate) fn detect() -> AppArmorHost {
        Self::read(Path::new("/sys"))
    }

    /// Reads the AppArmor state below a sysfs root.
    fn read(sys: &Path) -> AppArmorHost {
        let enabled = std::fs::read_to_string(sys.join("module/apparmor/parameters/enabled"))
            .is_ok_and(|s| s.trim_start().starts_with('Y'));
        if !enabled {
            return AppArmorHost::default();
        }
        let loaded = std::fs::read_to_string(sys.join("kernel/security/apparmor/profiles"))
            .unwrap_or_default()
            .lines()
            // "name (enforce)": the name may itself hold spaces.
            .filter_map(|l| l.rsplit_once(" (").map(|(n, _)| n.to_string()))
            .collect();
        AppArmorHost { enabled, loaded }
    }
}

/// The profile to put in the spec (`None`: none).
pub(crate) fn profile(
    requested: Option<&str>,
    configured: &str,
    privileged: bool,
    host: &AppArmorHost,
) -> Result<Option<String>> {
    let requested = requested.filter(|p| !p.is_empty());
    if !host.enabled {
        return match requested {
            Some(p) if p != UNCONFINED => Err(Error::msg(format!(
                "apparmor profile {p:?} specified, but Apparmor is not enabled on this system"
            ))),
            _ => Ok(None),
        };
    }
    let chosen = match requested {
        Some(p) => p,
        None if privileged || configured.is_empty() => return Ok(None),
        None => configured,
    };
    if chosen == UNCONFINED {
        return Ok(Some(UNCONFINED.to_string()));
    }
    if !host.loaded.iter().any(|l| l == chosen) {
        return Err(Error::InvalidArg.context(format!(
            "AppArmor profile {chosen:?} is not loaded in the kernel (load it with apparmor_parser, or use --security-opt apparmor=unconfined)"
        )));
    }
    Ok(Some(chosen.to_string()))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn on(loaded: &[&str]) -> AppArmorHost {
        AppArmorHost {
            enabled: true,
            loaded: loaded.iter().map(|s| s.to_string()).collect(),
        }
    }

    #[test]
    fn without_apparmor_only_an_explicit_profile_is_an_error() {
        let off = AppArmorHost::default();
        assert_eq!(
            profile(None, "containers-default-0.50.1", false, &off).unwrap(),
            None
        );
        assert_eq!(profile(Some("unconfined"), "x", false, &off).unwrap(), None);
        let e = profile(Some("mine"), "x", false, &off).unwrap_err();
        assert_eq!(
            e.to_string(),
            "apparmor profile \"mine\" specified, but Apparmor is not enabled on this system"
        );
    }

    #[test]
    fn with_apparmor_a_missing_profile_fails_closed() {
        let host = on(&["containers-default-0.50.1", "mine"]);
        let d = "containers-default-0.50.1";
        assert_eq!(profile(None, d, false, &host).unwrap().as_deref(), Some(d));
        assert_eq!(
            profile(None, d, true, &host).unwrap(),
            None,
            "privileged: none by default"
        );
        assert_eq!(
            profile(Some("mine"), d, true, &host).unwrap().as_deref(),
            Some("mine")
        );
        assert_eq!(
            profile(Some("unconfined"), d, false, &host)
                .unwrap()
                .as_deref(),
            Some("unconfined")
        );
        let e = profile(Some("gone"), d, false, &host).unwrap_err();
        assert!(e.to_string().contains("\"gone\" is not loaded"), "{e}");
        assert!(profile(None, "containers-default-9", false, &host).is_err());
    }

    #[test]
    fn the_host_is_read_from_sysfs() {
        let d = tempfile::tempdir().unwrap();
        assert_eq!(AppArmorHost::read(d.path()), AppArmorHost::default());
        std::fs::create_dir_all(d.path().join("module/apparmor/parameters")).unwrap();
        std::fs::write(d.path().join("module/apparmor/parameters/enabled"), "Y\n").unwrap();
        std::fs::create_dir_all(d.path().join("kernel/security/apparmor")).unwrap();
        std::fs::write(
            d.path().join("kernel/security/apparmor/profiles"),
            "containers-default-0.50.1 (enforce)\nwith space (complain)\n",
        )
        .unwrap();
        assert_eq!(
            AppArmorHost::read(d.path()),
            on(&["containers-default-0.50.1", "with space"])
        );
    }
}
