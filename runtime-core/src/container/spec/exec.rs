//! The OCI `process` of an exec session: the container's process with the
//! session's arguments, environment, working directory, terminal and user.

use std::path::Path;

use serde_json::{Map, Value, json};

use super::process::{env_has, merge_env, resolve_user, user_json};
use crate::container::ExecConfig;
use crate::error::{Error, Result};

/// Builds the exec process from the container's spec. The container's
/// environment comes first, then the session's, then `HOME` (from the
/// container's `/etc/passwd`, empty when unknown) if still unset. Capabilities
/// follow Podman: root gets the bounding set as effective and permitted,
/// the container's own user keeps the container's sets, another user none;
/// inheritable is always cleared.
pub fn exec_process(spec: &Value, exec: &ExecConfig) -> Result<Value> {
    let mut p: Map<String, Value> = spec["process"]
        .as_object()
        .cloned()
        .ok_or_else(|| Error::Internal.context("the container's OCI spec has no process"))?;
    if exec.command.is_empty() {
        return Err(
            Error::InvalidArg.context("must provide a non-empty command to start an exec session")
        );
    }
    let rootfs = Path::new(spec["root"]["path"].as_str().unwrap_or("/nonexistent"));

    let umask = p["user"]["umask"].as_u64().unwrap_or(0o022) as u32;
    let ctr_uid = p["user"]["uid"].as_u64().unwrap_or(0);
    let (uid, home) = if exec.user.is_empty() {
        let home = resolve_user(rootfs, &ctr_uid.to_string())
            .map(|u| u.home)
            .unwrap_or_default();
        (ctr_uid, home)
    } else {
        let u = resolve_user(rootfs, &exec.user)?;
        p.insert(
            "user".into(),
            Value::Object(user_json(&exec.user, &u, umask)),
        );
        (u64::from(u.uid), u.home)
    };

    let mut env: Vec<String> = p["env"]
        .as_array()
        .map(|a| {
            a.iter()
                .filter_map(|v| v.as_str().map(String::from))
                .collect()
        })
        .unwrap_or_default();
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

    p.insert("args".into(), json!(exec.command));
    p.insert("env".into(), json!(env));
    if !exec.work_dir.is_empty() {
        p.insert("cwd".into(), json!(exec.work_dir));
    }
    if exec.terminal {
        p.insert("terminal".into(), Value::Bool(true));
    } else {
        p.remove("terminal");
    }

    let ctr_caps = p
        .get("capabilities")
        .and_then(Value::as_object)
        .cloned()
        .unwrap_or_default();
    let bounding = ctr_caps.get("bounding").cloned().unwrap_or(json!([]));
    let mut caps = Map::new();
    caps.insert("bounding".into(), bounding.clone());
    if uid == 0 {
        caps.insert("effective".into(), bounding.clone());
        caps.insert("permitted".into(), bounding);
    } else if uid == ctr_uid {
        for k in ["effective", "permitted", "ambient"] {
            if let Some(v) = ctr_caps.get(k) {
                caps.insert(k.into(), v.clone());
            }
        }
    }
    p.insert("capabilities".into(), Value::Object(caps));
    Ok(Value::Object(p))
}

#[cfg(test)]
mod tests {
    use std::collections::BTreeMap;

    use super::super::tests::{test_config, test_host, test_opts};
    use super::*;
    use crate::container::spec::generate_for_host;

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
        opts.terminal = true;
        opts.env = vec!["FOO=ctr".into()];
        let spec = generate_for_host(&opts, &test_config(), &test_host()).unwrap();
        let mut e = exec_config(&["ls", "-l"]);
        e.environment.insert("FOO".into(), "exec".into());
        e.environment.insert("BAR".into(), "1".into());
        e.work_dir = "/tmp".into();
        let p = exec_process(&spec, &e).unwrap();
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
        assert_eq!(p["rlimits"], spec["process"]["rlimits"]);
        assert_eq!(
            p["capabilities"]["effective"],
            spec["process"]["capabilities"]["bounding"]
        );
        assert!(p["capabilities"].get("inheritable").is_none());

        e.terminal = true;
        e.work_dir.clear();
        let p = exec_process(&spec, &e).unwrap();
        assert_eq!(p["terminal"], true);
        assert_eq!(p["cwd"], "/");
    }

    #[test]
    fn exec_as_another_user() {
        let d = tempfile::tempdir().unwrap();
        let opts = test_opts(d.path());
        let spec = generate_for_host(&opts, &test_config(), &test_host()).unwrap();
        let mut e = exec_config(&["id"]);
        e.user = "alice".into();
        let p = exec_process(&spec, &e).unwrap();
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
        let env: Vec<Value> = spec["process"]["env"]
            .as_array()
            .unwrap()
            .iter()
            .filter(|e| !e.as_str().unwrap().starts_with("HOME="))
            .cloned()
            .collect();
        spec["process"]["env"] = Value::Array(env);
        let p = exec_process(&spec, &e).unwrap();
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
        let p = exec_process(&spec, &exec_config(&["true"])).unwrap();
        assert!(p["env"].as_array().unwrap().contains(&json!("HOME=")));
        assert!(exec_process(&spec, &exec_config(&[])).is_err());
        assert!(exec_process(&json!({}), &exec_config(&["true"])).is_err());
    }
}
