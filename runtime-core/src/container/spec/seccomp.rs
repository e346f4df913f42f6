//! Compiles a containers-common seccomp profile (`seccomp.json`: default
//! action, `archMap` or `architectures`, syscall groups with
//! `includes`/`excludes` on capabilities, architectures and minimum kernel)
//! into the OCI `linux.seccomp` object for this host and this container.
//!
//! Capability conditions are checked against the container's *bounding*
//! set, as containers/common does.

use std::path::Path;

use caps::Capability;
use oci_spec::runtime::{
    LinuxSeccomp, LinuxSeccompArgBuilder, LinuxSeccompBuilder, LinuxSyscall, LinuxSyscallBuilder,
};
use serde::Deserialize;
use serde::de::DeserializeOwned;

use super::Host;
use super::oci_error;
use crate::error::{Error, Result, ResultExt};

#[derive(Debug, Deserialize)]
struct Profile {
    #[serde(rename = "defaultAction", default)]
    default_action: String,
    #[serde(rename = "defaultErrnoRet", default)]
    default_errno_ret: Option<u32>,
    #[serde(default)]
    architectures: Option<Vec<String>>,
    #[serde(rename = "archMap", default)]
    arch_map: Option<Vec<ArchMap>>,
    #[serde(default)]
    flags: Option<Vec<String>>,
    #[serde(rename = "listenerPath", default)]
    listener_path: Option<String>,
    #[serde(rename = "listenerMetadata", default)]
    listener_metadata: Option<String>,
    #[serde(default)]
    syscalls: Option<Vec<Syscall>>,
}

#[derive(Debug, Deserialize)]
struct ArchMap {
    architecture: String,
    #[serde(rename = "subArchitectures", default)]
    sub_architectures: Option<Vec<String>>,
}

#[derive(Debug, Deserialize)]
struct Syscall {
    #[serde(default)]
    name: Option<String>,
    #[serde(default)]
    names: Option<Vec<String>>,
    action: String,
    #[serde(default)]
    args: Option<Vec<Arg>>,
    #[serde(default)]
    includes: Option<Filter>,
    #[serde(default)]
    excludes: Option<Filter>,
    #[serde(rename = "errnoRet", default)]
    errno_ret: Option<u32>,
}

#[derive(Debug, Deserialize, Default)]
struct Filter {
    #[serde(default)]
    caps: Option<Vec<String>>,
    #[serde(default)]
    arches: Option<Vec<String>>,
    #[serde(rename = "minKernel", default)]
    min_kernel: Option<String>,
}

#[derive(Debug, Deserialize)]
struct Arg {
    index: u32,
    value: u64,
    #[serde(rename = "valueTwo", default)]
    value_two: u64,
    op: String,
}

/// This machine's architecture in libseccomp's Go naming (`amd64`, `arm64`, ...).
pub(crate) fn native_arch() -> &'static str {
    match std::env::consts::ARCH {
        "x86_64" => "amd64",
        "x86" => "x86",
        "aarch64" => "arm64",
        "arm" => "arm",
        "powerpc64" if cfg!(target_endian = "little") => "ppc64le",
        "powerpc64" => "ppc64",
        "s390x" => "s390x",
        "riscv64" => "riscv64",
        "mips64" if cfg!(target_endian = "little") => "mipsel64",
        "mips64" => "mips64",
        "loongarch64" => "loong64",
        other => other,
    }
}

/// The `SCMP_ARCH_*` name of a native architecture.
fn seccomp_arch(arch: &str) -> Option<&'static str> {
    Some(match arch {
        "amd64" => "SCMP_ARCH_X86_64",
        "arm64" => "SCMP_ARCH_AARCH64",
        "mips64" => "SCMP_ARCH_MIPS64",
        "mips64n32" => "SCMP_ARCH_MIPS64N32",
        "mipsel64" => "SCMP_ARCH_MIPSEL64",
        "mipsel64n32" => "SCMP_ARCH_MIPSEL64N32",
        "s390x" => "SCMP_ARCH_S390X",
        "ppc64le" => "SCMP_ARCH_PPC64LE",
        "riscv64" => "SCMP_ARCH_RISCV64",
        _ => return None,
    })
}

/// `6.18.44-fc` → (6, 18).
pub(crate) fn parse_kernel_version(s: &str) -> Option<(u32, u32)> {
    let mut it = s.split(|c: char| !c.is_ascii_digit());
    let major = it.next()?.parse().ok()?;
    let minor = it.next().and_then(|m| m.parse().ok()).unwrap_or(0);
    Some((major, minor))
}

/// True when the syscall group applies to this host and capability set.
fn applies(call: &Syscall, bounding: &[Capability], host: &Host) -> bool {
    let empty = Filter::default();
    let inc = call.includes.as_ref().unwrap_or(&empty);
    let exc = call.excludes.as_ref().unwrap_or(&empty);
    let has_cap = |c: &String| bounding.iter().any(|b| b.to_string() == *c);
    if let Some(arches) = exc.arches.as_ref()
        && arches.iter().any(|a| a == host.arch)
    {
        return false;
    }
    if exc
        .caps
        .as_ref()
        .is_some_and(|caps| caps.iter().any(has_cap))
    {
        return false;
    }
    if let Some(arches) = inc.arches.as_ref().filter(|a| !a.is_empty())
        && !arches.iter().any(|a| a == host.arch)
    {
        return false;
    }
    if inc
        .caps
        .as_ref()
        .is_some_and(|caps| !caps.iter().all(has_cap))
    {
        return false;
    }
    if let Some(min) = inc.min_kernel.as_deref().filter(|m| !m.is_empty()) {
        match parse_kernel_version(min) {
            Some(v) if host.kernel < v => return false,
            Some(_) => {}
            None => tracing::warn!("seccomp profile: ignoring bad minKernel {min:?}"),
        }
    }
    true
}

/// A profile's `SCMP_*` word as the OCI type it names (`what` says which
/// field, for the error).
fn scmp<T: DeserializeOwned>(word: &str, what: &str) -> Result<T> {
    serde_json::from_value(serde_json::Value::String(word.to_string()))
        .map_err(|_| Error::InvalidArg.context(format!("seccomp profile: unknown {what} {word:?}")))
}

/// One syscall group as an OCI rule.
fn rule(call: &Syscall, names: Vec<String>) -> Result<LinuxSyscall> {
    let args = call
        .args
        .iter()
        .flatten()
        .map(|a| {
            LinuxSeccompArgBuilder::default()
                .index(a.index as usize)
                .value(a.value)
                .value_two(a.value_two)
                .op(scmp::<oci_spec::runtime::LinuxSeccompOperator>(
                    &a.op, "operator",
                )?)
                .build()
                .map_err(oci_error)
        })
        .collect::<Result<Vec<_>>>()?;
    let mut b = LinuxSyscallBuilder::default().names(names).action(scmp::<
        oci_spec::runtime::LinuxSeccompAction,
    >(&call.action, "action")?);
    if !args.is_empty() {
        b = b.args(args);
    }
    if let Some(e) = call.errno_ret {
        b = b.errno_ret(e);
    }
    b.build().map_err(oci_error)
}

/// Translates a parsed profile into `linux.seccomp`; `None` when it is empty
/// (no default action and no syscalls: seccomp disabled).
fn compile(profile: Profile, bounding: &[Capability], host: &Host) -> Result<Option<LinuxSeccomp>> {
    let syscalls = profile.syscalls.unwrap_or_default();
    if profile.default_action.is_empty() && syscalls.is_empty() {
        return Ok(None);
    }
    let arches = profile.architectures.unwrap_or_default();
    let arch_map = profile.arch_map.unwrap_or_default();
    if !arches.is_empty() && !arch_map.is_empty() {
        return Err(Error::InvalidArg.context(
            "'architectures' and 'archMap' were specified in the seccomp profile, use either 'architectures' or 'archMap'",
        ));
    }
    let mut out_arches = arches;
    if let Some(native) = seccomp_arch(host.arch)
        && let Some(m) = arch_map.iter().find(|m| m.architecture == native)
    {
        out_arches.push(m.architecture.clone());
        out_arches.extend(m.sub_architectures.clone().unwrap_or_default());
    }

    let mut rules = Vec::new();
    for call in &syscalls {
        if !applies(call, bounding, host) {
            continue;
        }
        let names = match (&call.name, &call.names) {
            (Some(n), Some(ns)) if !n.is_empty() && !ns.is_empty() => {
                return Err(Error::InvalidArg.context(
                    "'name' and 'names' were specified in the seccomp profile, use either 'name' or 'names'",
                ));
            }
            (Some(n), _) if !n.is_empty() => vec![n.clone()],
            (_, Some(ns)) if !ns.is_empty() => ns.clone(),
            _ => continue,
        };
        rules.push(rule(call, names)?);
    }

    let mut s = LinuxSeccompBuilder::default()
        .default_action(scmp::<oci_spec::runtime::LinuxSeccompAction>(
            &profile.default_action,
            "action",
        )?)
        .syscalls(rules);
    if let Some(e) = profile.default_errno_ret {
        s = s.default_errno_ret(e);
    }
    if !out_arches.is_empty() {
        let arches = out_arches
            .iter()
            .map(|a| scmp::<oci_spec::runtime::Arch>(a, "architecture"))
            .collect::<Result<Vec<_>>>()?;
        s = s.architectures(arches);
    }
    if let Some(f) = profile.flags.filter(|f| !f.is_empty()) {
        let flags = f
            .iter()
            .map(|x| scmp::<oci_spec::runtime::LinuxSeccompFilterFlag>(x, "flag"))
            .collect::<Result<Vec<_>>>()?;
        s = s.flags(flags);
    }
    if let Some(p) = profile.listener_path.filter(|p| !p.is_empty()) {
        s = s.listener_path(p);
    }
    if let Some(m) = profile.listener_metadata.filter(|m| !m.is_empty()) {
        s = s.listener_metadata(m);
    }
    s.build().map(Some).map_err(oci_error)
}

/// Loads and compiles the profile at `path`. A missing file means no
/// seccomp filter (with a warning), as an unconfined container.
pub(crate) fn load(
    path: &Path,
    bounding: &[Capability],
    host: &Host,
) -> Result<Option<LinuxSeccomp>> {
    if path.as_os_str().is_empty() {
        tracing::warn!("no seccomp profile configured: running without seccomp");
        return Ok(None);
    }
    let text = match std::fs::read_to_string(path) {
        Ok(t) => t,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
            tracing::warn!(
                "seccomp profile {} does not exist: running without seccomp",
                path.display()
            );
            return Ok(None);
        }
        Err(e) => return Err(Error::io(path, e)),
    };
    let profile: Profile = serde_json::from_str(&text)
        .with_context(|| format!("decoding seccomp profile {} failed", path.display()))?;
    compile(profile, bounding, host)
        .with_context(|| format!("loading seccomp profile {}", path.display()))
}

#[cfg(test)]
pub(crate) mod tests {
    use serde_json::{Value, json};

    use super::super::tests::test_host;
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
        let s = compile(serde_json::from_str(SAMPLE_PROFILE).unwrap(), &b, host)
            .unwrap()
            .unwrap();
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
            json!([{"index": 0, "value": 8, "valueTwo": 0, "op": "SCMP_CMP_EQ"}])
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
        let v = load(path, &defaults, &test_host()).unwrap().unwrap();
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

    #[test]
    fn missing_empty_and_bad_profiles() {
        let host = test_host();
        assert!(
            load(Path::new("/nonexistent/x.json"), &[], &host)
                .unwrap()
                .is_none()
        );
        assert!(load(Path::new(""), &[], &host).unwrap().is_none());
        let d = tempfile::tempdir().unwrap();
        let p = d.path().join("p.json");
        std::fs::write(&p, "{}").unwrap();
        assert!(
            load(&p, &[], &host).unwrap().is_none(),
            "empty profile: disabled"
        );
        std::fs::write(&p, "{not json").unwrap();
        let e = load(&p, &[], &host).unwrap_err();
        assert!(e.to_string().contains("decoding seccomp profile"), "{e}");
        std::fs::write(
            &p,
            r#"{"defaultAction":"SCMP_ACT_ALLOW","architectures":["SCMP_ARCH_X86"],"archMap":[{"architecture":"SCMP_ARCH_X86_64"}]}"#,
        )
        .unwrap();
        assert!(load(&p, &[], &host).is_err());
        std::fs::write(&p, r#"{"defaultAction":"SCMP_ACT_MAYBE"}"#).unwrap();
        let e = load(&p, &[], &host).unwrap_err();
        assert!(
            e.to_string()
                .contains("seccomp profile: unknown action \"SCMP_ACT_MAYBE\""),
            "{e}"
        );
    }

    #[test]
    fn kernel_versions_parse() {
        assert_eq!(parse_kernel_version("6.18.44-fc-v657"), Some((6, 18)));
        assert_eq!(parse_kernel_version("5.3"), Some((5, 3)));
        assert_eq!(parse_kernel_version("4"), Some((4, 0)));
        assert_eq!(parse_kernel_version("x"), None);
    }
}
