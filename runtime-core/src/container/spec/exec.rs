//! The OCI `process` of an exec session: the container's process with the
//! session's arguments, environment, working directory, terminal and user.

use std::path::Path;

use oci_spec::runtime::{LinuxCapabilities, LinuxCapabilitiesBuilder, Process, Spec};

use super::oci_error;
use super::process::{env_has, merge_env};
use super::user::{oci_user, resolve_user};
use crate::container::ExecConfig;
use crate::error::{Error, Result};

/// The exec process's capabilities: root gets the container's bounding set
/// as effective and permitted, the container's own user keeps the
/// container's sets, another user gets bounding only; inheritable is always
/// cleared.
fn exec_capabilities(
    ctr: Option<&LinuxCapabilities>,
    uid: u32,
    ctr_uid: u32,
) -> Result<LinuxCapabilities> {
    let bounding = ctr.and_then(|c| c.bounding().clone()).unwrap_or_default();
    let mut b = LinuxCapabilitiesBuilder::default().bounding(bounding.clone());
    if uid == 0 {
        b = b.effective(bounding.clone()).permitted(bounding);
    }
    let mut caps = b.build().map_err(oci_error)?;
    // The builder starts from oci-spec's defaults; keep only what is meant.
    caps.set_inheritable(None);
    if uid != 0 {
        let own = uid == ctr_uid;
        let keep = |set: Option<&oci_spec::runtime::Capabilities>| set.filter(|_| own).cloned();
        caps.set_effective(keep(ctr.and_then(|c| c.effective().as_ref())));
        caps.set_permitted(keep(ctr.and_then(|c| c.permitted().as_ref())));
        caps.set_ambient(keep(ctr.and_then(|c| c.ambient().as_ref())));
    } else {
        caps.set_ambient(None);
    }
    Ok(caps)
}

/// Builds the exec process from the container's spec. The container's
/// environment comes first, then the session's, then `HOME` (from the
/// container's `/etc/passwd`, empty when unknown) if still unset.
/// Capabilities follow Podman: root gets the bounding set as effective and
/// permitted, the container's own user keeps the container's sets, another
/// user none; inheritable is always cleared.
pub fn exec_process(spec: &Spec, exec: &ExecConfig) -> Result<Process> {
    let mut p = spec
        .process()
        .clone()
        .ok_or_else(|| Error::Internal.context("the container's OCI spec has no process"))?;
    if exec.command.is_empty() {
        return Err(
            Error::InvalidArg.context("must provide a non-empty command to start an exec session")
        );
    }
    let rootfs = spec
        .root()
        .as_ref()
        .map_or(Path::new("/nonexistent"), |r| r.path().as_path());

    let umask = p.user().umask().unwrap_or(0o022);
    let ctr_uid = p.user().uid();
    let (uid, home) = if exec.user.is_empty() {
        let home = resolve_user(rootfs, &ctr_uid.to_string())
            .map(|u| u.home)
            .unwrap_or_default();
        (ctr_uid, home)
    } else {
        let u = resolve_user(rootfs, &exec.user)?;
        p.set_user(oci_user(&exec.user, &u, umask)?);
        (u.uid, u.home)
    };

    let mut env: Vec<String> = p.env().clone().unwrap_or_default();
    let extra: Vec<String> = exec
        .environment
        .iter()
        .map(|(k, v)| format!("{k}={v}"))
        .collect();
    merge_env(&mut env, &extra);
    if exec.terminal && !env_has(&env, "TERM") {
        env.push("TERM=xterm".into());
    }
    if !env_has(&env, "HOME") {
        env.push(format!("HOME={home}"));
    }

    p.set_args(Some(exec.command.clone()));
    p.set_env(Some(env));
    if !exec.work_dir.is_empty() {
        p.set_cwd(exec.work_dir.clone().into());
    }
    p.set_terminal(exec.terminal.then_some(true));
    let caps = exec_capabilities(p.capabilities().as_ref(), uid, ctr_uid)?;
    p.set_capabilities(Some(caps));
    Ok(p)
}

#[cfg(test)]
mod tests {
    use std::collections::BTreeMap;

    use serde_json::{Value, json};

    use super::super::shape::{process_to_json, spec_to_json};
    use super::super::tests::{test_config, test_host, test_opts};
    use super::*;
    use crate::container::spec::generate_for_host;

    fn exec_json(spec: &Spec, e: &ExecConfig) -> Value {
        process_to_json(&exec_process(spec, e).unwrap()).unwrap()
    }

    fn exec_config(cmd: &[&str]) -> ExecConfig {
        ExecConfig {
            command: cmd.iter().map(|s| s.to_string()).collect(),
            environment: BTreeMap::new(),
            terminal: false,
            attach_stdin: false,
            user: String::new(),
            work_dir: String::new(),
            extra: Default::default(),
        }
    }

    #[test]
    fn exec_replaces_args_env_cwd_terminal() {
        let d = tempfile::tempdir().unwrap();
        let mut opts = test_opts(d.path());
        opts.settings.terminal = true;
        opts.settings.env = vec!["FOO=ctr".into()];
        let spec = generate_for_host(&opts, &test_config(), &test_host()).unwrap();
        let spec_json = spec_to_json(&spec).unwrap();
        let mut e = exec_config(&["ls", "-l"]);
        e.environment.insert("FOO".into(), "exec".into());
        e.environment.insert("BAR".into(), "1".into());
        e.work_dir = "/tmp".into();
        let p = exec_json(&spec, &e);
        assert_eq!(p["args"], json!(["ls", "-l"]));
        assert_eq!(p["cwd"], "/tmp");
        assert!(p.get("terminal").is_none(), "no -t: no terminal");
        let env: Vec<&str> = p["env"]
            .as_array()
            .unwrap()
            .iter()
            .map(|v| v.as_str().unwrap())
            .collect();
        assert!(env.contains(&"FOO=exec") && env.contains(&"BAR=1"));
        assert!(!env.contains(&"FOO=ctr"));
        assert_eq!(env.iter().filter(|e| e.starts_with("HOME=")).count(), 1);
        assert!(env.contains(&"HOME=/root"));
        assert_eq!(p["rlimits"], spec_json["process"]["rlimits"]);
        assert_eq!(
            p["capabilities"]["effective"],
            spec_json["process"]["capabilities"]["bounding"]
        );
        assert!(p["capabilities"].get("inheritable").is_none());

        e.terminal = true;
        e.work_dir.clear();
        let p = exec_json(&spec, &e);
        assert_eq!(p["terminal"], true);
        assert_eq!(p["cwd"], "/");
    }

    #[test]
    fn the_containers_own_user_keeps_its_added_caps() {
        let d = tempfile::tempdir().unwrap();
        let mut opts = test_opts(d.path());
        opts.settings.user = "alice".into();
        opts.settings.cap_add = super::super::parse_cap_names(&["net_raw"]).unwrap();
        let spec = generate_for_host(&opts, &test_config(), &test_host()).unwrap();
        let p = exec_json(&spec, &exec_config(&["id"]));
        let caps = &p["capabilities"];
        assert_eq!(caps["effective"], json!(["CAP_NET_RAW"]));
        assert_eq!(caps["ambient"], json!(["CAP_NET_RAW"]));
        assert!(caps.get("inheritable").is_none());
        let mut e = exec_config(&["id"]);
        e.user = "root".into();
        let p = exec_json(&spec, &e);
        assert_eq!(
            p["capabilities"]["effective"],
            p["capabilities"]["bounding"]
        );
        assert!(p["capabilities"].get("ambient").is_none());
    }

    #[test]
    fn exec_as_another_user() {
        let d = tempfile::tempdir().unwrap();
        let opts = test_opts(d.path());
        let spec = generate_for_host(&opts, &test_config(), &test_host()).unwrap();
        let mut e = exec_config(&["id"]);
        e.user = "alice".into();
        let p = exec_json(&spec, &e);
        assert_eq!(p["user"]["uid"], 1000);
        assert_eq!(p["user"]["additionalGids"], json!([1000, 10, 29]));
        let caps = p["capabilities"].as_object().unwrap();
        assert_eq!(caps.keys().collect::<Vec<_>>(), ["bounding"]);
        // As in Podman, the container's HOME (root's here) is kept.
        let homes: Vec<&Value> = p["env"]
            .as_array()
            .unwrap()
            .iter()
            .filter(|e| e.as_str().unwrap().starts_with("HOME="))
            .collect();
        assert_eq!(homes, [&json!("HOME=/root")]);

        // Without a HOME in the container's env, the exec user's is used.
        let mut spec = spec;
        let process = spec.process_mut().as_mut().unwrap();
        let env: Vec<String> = process
            .env()
            .clone()
            .unwrap()
            .into_iter()
            .filter(|e| !e.starts_with("HOME="))
            .collect();
        process.set_env(Some(env));
        let p = exec_json(&spec, &e);
        assert!(
            p["env"]
                .as_array()
                .unwrap()
                .contains(&json!("HOME=/home/alice"))
        );

        e.user = "nosuchuser".into();
        assert!(exec_process(&spec, &e).unwrap_err().is(&Error::InvalidArg));
    }

    #[test]
    fn exec_without_passwd_gets_empty_home_and_needs_a_command() {
        let d = tempfile::tempdir().unwrap();
        let opts = test_opts(d.path());
        std::fs::remove_file(opts.rootfs.join("etc/passwd")).unwrap();
        let spec = generate_for_host(&opts, &test_config(), &test_host()).unwrap();
        let p = exec_json(&spec, &exec_config(&["true"]));
        assert!(p["env"].as_array().unwrap().contains(&json!("HOME=")));
        assert!(exec_process(&spec, &exec_config(&[])).is_err());
        let empty: Spec = serde_json::from_value(json!({})).unwrap();
        assert!(exec_process(&empty, &exec_config(&["true"])).is_err());
    }
}
