//! Which profile a container gets, and how profiles compile.

use std::path::Path;

use caps::Capability;
use serde_json::{Value, json};

use super::super::tests::{generated, test_config, test_host, test_opts};
use super::compile::compile_text;
use super::*;

/// A small profile in containers-common's format.
pub(crate) const SAMPLE_PROFILE: &str = r#"{
    "defaultAction": "SCMP_ACT_ERRNO",
    "defaultErrnoRet": 38,
    "archMap": [
        {"architecture": "SCMP_ARCH_X86_64", "subArchitectures": ["SCMP_ARCH_X86", "SCMP_ARCH_X32"]},
        {"architecture": "SCMP_ARCH_AARCH64", "subArchitectures": ["SCMP_ARCH_ARM"]}
    ],
    "syscalls": [
        {"names": ["kexec_load", "vmsplice"], "action": "SCMP_ACT_ERRNO", "args": [], "comment": "",
         "includes": {}, "excludes": {}, "errnoRet": 1, "errno": "EPERM"},
        {"names": ["read", "write", "exit_group"], "action": "SCMP_ACT_ALLOW", "args": [],
         "includes": {}, "excludes": {}},
        {"names": ["personality"], "action": "SCMP_ACT_ALLOW",
         "args": [{"index": 0, "value": 8, "valueTwo": 0, "op": "SCMP_CMP_EQ"}],
         "includes": {}, "excludes": {}},
        {"names": ["arch_prctl"], "action": "SCMP_ACT_ALLOW", "args": [],
         "includes": {"arches": ["amd64", "x32"]}, "excludes": {}},
        {"names": ["set_tls"], "action": "SCMP_ACT_ALLOW", "args": [],
         "includes": {"arches": ["arm", "arm64"]}, "excludes": {}},
        {"names": ["chroot"], "action": "SCMP_ACT_ALLOW", "args": [],
         "includes": {"caps": ["CAP_SYS_CHROOT"]}, "excludes": {}},
        {"names": ["chroot"], "action": "SCMP_ACT_ERRNO", "args": [],
         "includes": {}, "excludes": {"caps": ["CAP_SYS_CHROOT"]}, "errnoRet": 1},
        {"names": ["bpf"], "action": "SCMP_ACT_ALLOW", "args": [],
         "includes": {"caps": ["CAP_SYS_ADMIN"]}, "excludes": {}},
        {"names": ["bpf"], "action": "SCMP_ACT_ERRNO", "args": [],
         "includes": {}, "excludes": {"caps": ["CAP_SYS_ADMIN"]}, "errnoRet": 1},
        {"names": ["socket"], "action": "SCMP_ACT_ALLOW", "args": null,
         "includes": {"caps": ["CAP_AUDIT_WRITE"]}, "excludes": {}},
        {"names": ["clone3"], "action": "SCMP_ACT_ALLOW", "args": [],
         "includes": {"minKernel": "5.3"}, "excludes": {}}
    ]
}"#;

fn compiled(bounding: &[&str], host: &Host) -> Value {
    let b: Vec<Capability> = bounding.iter().map(|s| s.parse().unwrap()).collect();
    let s = compile_text(SAMPLE_PROFILE, &b, host).unwrap().unwrap();
    serde_json::to_value(s).unwrap()
}

fn rule_names(v: &Value) -> Vec<String> {
    v["syscalls"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| {
            format!(
                "{}:{}",
                r["names"][0].as_str().unwrap(),
                r["action"].as_str().unwrap()
            )
        })
        .collect()
}

#[test]
fn profile_compiles_for_the_host_and_caps() {
    let host = test_host();
    let v = compiled(&["CAP_SYS_CHROOT", "CAP_KILL"], &host);
    assert_eq!(v["defaultAction"], "SCMP_ACT_ERRNO");
    assert_eq!(v["defaultErrnoRet"], 38);
    assert_eq!(
        v["architectures"],
        json!(["SCMP_ARCH_X86_64", "SCMP_ARCH_X86", "SCMP_ARCH_X32"])
    );
    assert_eq!(
        rule_names(&v),
        [
            "kexec_load:SCMP_ACT_ERRNO",
            "read:SCMP_ACT_ALLOW",
            "personality:SCMP_ACT_ALLOW",
            "arch_prctl:SCMP_ACT_ALLOW",
            "chroot:SCMP_ACT_ALLOW",
            "bpf:SCMP_ACT_ERRNO",
            "clone3:SCMP_ACT_ALLOW",
        ]
    );
    let rules = v["syscalls"].as_array().unwrap();
    assert_eq!(rules[0]["errnoRet"], 1);
    assert!(rules[1].get("args").is_none() && rules[1].get("errnoRet").is_none());
    assert_eq!(
        rules[2]["args"],
        json!([{"index": 0, "value": 8, "op": "SCMP_CMP_EQ"}]),
        "a zero valueTwo is left out, as Podman writes it"
    );

    // Other capabilities, another arch, an old kernel.
    let host = Host {
        arch: "arm64",
        kernel: (4, 19),
        ..test_host()
    };
    let v = compiled(&["CAP_SYS_ADMIN", "CAP_AUDIT_WRITE"], &host);
    assert_eq!(
        v["architectures"],
        json!(["SCMP_ARCH_AARCH64", "SCMP_ARCH_ARM"])
    );
    assert_eq!(
        rule_names(&v),
        [
            "kexec_load:SCMP_ACT_ERRNO",
            "read:SCMP_ACT_ALLOW",
            "personality:SCMP_ACT_ALLOW",
            "set_tls:SCMP_ACT_ALLOW",
            "chroot:SCMP_ACT_ERRNO",
            "bpf:SCMP_ACT_ALLOW",
            "socket:SCMP_ACT_ALLOW",
        ]
    );
}

#[test]
fn containers_common_profile_gives_podmans_22_rules() {
    let path = Path::new("/usr/share/containers/seccomp.json");
    if !path.exists() {
        return;
    }
    let defaults: Vec<Capability> = crate::config::DEFAULT_CAPABILITIES
        .iter()
        .map(|c| format!("CAP_{c}").parse().unwrap())
        .collect();
    let v = load_file(path, &defaults, &test_host()).unwrap().unwrap();
    let v = serde_json::to_value(v).unwrap();
    let rules = v["syscalls"].as_array().unwrap();
    assert_eq!(rules.len(), 22, "{}", rule_names(&v).join("\n"));
    assert_eq!(v["defaultErrnoRet"], 38);
    let personality = rules
        .iter()
        .filter(|r| r["names"][0] == "personality")
        .count();
    assert_eq!(personality, 5);
}

/// The `config.json` Podman 4.3.1 wrote for a container with the default
/// capabilities on an x86_64 host.
const PODMAN_CONFIG: &str = include_str!("../testdata/podman-4.3.1-config.json");

fn default_caps() -> Vec<Capability> {
    crate::config::DEFAULT_CAPABILITIES
        .iter()
        .map(|c| format!("CAP_{c}").parse().unwrap())
        .collect()
}

/// The filter of an unprivileged container with the default capabilities
/// whose containers.conf names `configured`.
fn pick(configured: &str, host: &Host) -> Result<Option<LinuxSeccomp>> {
    for_container(false, configured, &default_caps(), host)
}

fn host_with_default(path: &Path) -> Host {
    Host {
        seccomp_default: path.to_path_buf(),
        ..test_host()
    }
}

#[test]
fn a_missing_or_unreadable_profile_file_is_an_error_naming_it() {
    let e = pick("/nonexistent/profile.json", &test_host()).unwrap_err();
    assert_eq!(
        e.to_string(),
        "opening seccomp profile failed: open /nonexistent/profile.json: no such file or directory"
    );
    let d = tempfile::tempdir().unwrap();
    let dir = d.path().to_str().unwrap();
    let e = pick(dir, &test_host()).unwrap_err();
    assert_eq!(
        e.to_string(),
        format!("opening seccomp profile failed: open {dir}: is a directory")
    );
}

#[test]
fn an_invalid_profile_file_is_an_error_naming_it() {
    let d = tempfile::tempdir().unwrap();
    let p = d.path().join("p.json");
    for (text, cause) in [
        (
            "{not json",
            "decoding seccomp profile failed: key must be a string",
        ),
        (
            "42",
            "decoding seccomp profile failed: invalid type: integer `42`",
        ),
        (
            r#"{"defaultAction":"SCMP_ACT_ALLOW","architectures":["SCMP_ARCH_X86"],"archMap":[{"architecture":"SCMP_ARCH_X86_64"}]}"#,
            "'architectures' and 'archMap' were specified in the seccomp profile",
        ),
        (
            r#"{"defaultAction":"SCMP_ACT_MAYBE"}"#,
            "seccomp profile: unknown action \"SCMP_ACT_MAYBE\"",
        ),
    ] {
        std::fs::write(&p, text).unwrap();
        let e = pick(p.to_str().unwrap(), &test_host())
            .unwrap_err()
            .to_string();
        let head = format!("loading seccomp profile ({}) failed: ", p.display());
        assert!(e.starts_with(&head), "{text}: {e}");
        assert!(e.contains(cause), "{text}: {e}");
    }
}

#[test]
fn an_empty_profile_asks_for_no_filter() {
    let d = tempfile::tempdir().unwrap();
    let p = d.path().join("p.json");
    std::fs::write(&p, "{}").unwrap();
    assert_eq!(pick(p.to_str().unwrap(), &test_host()).unwrap(), None);
}

#[test]
fn unconfined_and_privileged_containers_run_without_a_filter() {
    assert_eq!(pick(UNCONFINED, &test_host()).unwrap(), None);
    // --privileged never reads a profile, not even one that would fail.
    let privileged = for_container(
        true,
        "/nonexistent/profile.json",
        &default_caps(),
        &test_host(),
    );
    assert_eq!(privileged.unwrap(), None);

    let d = tempfile::tempdir().unwrap();
    let mut config = test_config();
    config.conf.containers.seccomp_profile = UNCONFINED.into();
    let s = generated(&test_opts(d.path()), &config, &test_host());
    assert!(s["linux"].get("seccomp").is_none(), "{}", s["linux"]);
}

#[test]
fn without_an_installed_default_the_builtin_profile_applies() {
    let host = test_host();
    assert!(!host.seccomp_default.exists());
    let builtin = compile_text(BUILTIN_PROFILE, &default_caps(), &host)
        .unwrap()
        .unwrap();
    // Naming no profile, or the absent default file, both get it.
    for configured in ["", host.seccomp_default.to_str().unwrap()] {
        assert_eq!(
            pick(configured, &host).unwrap().as_ref(),
            Some(&builtin),
            "{configured:?}"
        );
    }

    // In the generated spec it is exactly the filter Podman writes for a
    // default container: errno 38 (ENOSYS) for syscalls it does not know,
    // EPERM for the ones it refuses, the same 22 rules.
    let d = tempfile::tempdir().unwrap();
    let s = generated(&test_opts(d.path()), &test_config(), &host);
    let podman: Value = serde_json::from_str(PODMAN_CONFIG).unwrap();
    assert_eq!(s["linux"]["seccomp"], podman["linux"]["seccomp"]);
    assert_eq!(s["linux"]["seccomp"]["defaultAction"], "SCMP_ACT_ERRNO");
    let refused = s["linux"]["seccomp"]["syscalls"]
        .as_array()
        .unwrap()
        .iter()
        .find(|r| r["names"].as_array().unwrap().contains(&json!("swapoff")))
        .unwrap();
    assert_eq!(
        (&refused["action"], &refused["errnoRet"]),
        (&json!("SCMP_ACT_ERRNO"), &json!(1))
    );
}

#[test]
fn an_installed_default_file_is_used_and_must_be_valid() {
    let d = tempfile::tempdir().unwrap();
    let file = d.path().join("seccomp.json");
    std::fs::write(&file, SAMPLE_PROFILE).unwrap();
    let host = host_with_default(&file);
    let sample = compile_text(SAMPLE_PROFILE, &default_caps(), &host).unwrap();
    assert!(sample.is_some());
    assert_eq!(pick("", &host).unwrap(), sample);
    assert_eq!(pick(file.to_str().unwrap(), &host).unwrap(), sample);

    // A broken default is not silently replaced by the built-in one.
    std::fs::write(&file, "42").unwrap();
    let e = pick("", &host).unwrap_err().to_string();
    let head = format!("loading seccomp profile ({}) failed: ", file.display());
    assert!(e.starts_with(&head), "{e}");
}

#[test]
fn the_builtin_profile_parses_as_containers_common_json() {
    let v: Value = serde_json::from_str(BUILTIN_PROFILE).unwrap();
    assert_eq!(v["defaultAction"], "SCMP_ACT_ERRNO");
    assert_eq!(v["defaultErrnoRet"], 38);
    let names: Vec<&str> = v["syscalls"]
        .as_array()
        .unwrap()
        .iter()
        .flat_map(|r| r["names"].as_array().unwrap())
        .map(|n| n.as_str().unwrap())
        .collect();
    assert!(names.len() > 400, "{}", names.len());
    for allowed in ["read", "write", "execve", "clone3", "mount", "unshare"] {
        assert!(names.contains(&allowed), "{allowed}");
    }
}

#[test]
fn kernel_versions_parse() {
    assert_eq!(parse_kernel_version("6.18.44-fc-v657"), Some((6, 18)));
    assert_eq!(parse_kernel_version("5.3"), Some((5, 3)));
    assert_eq!(parse_kernel_version("4"), Some((4, 0)));
    assert_eq!(parse_kernel_version("x"), None);
}
