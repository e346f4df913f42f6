//! Compiles a containers-common seccomp profile (`seccomp.json`: default
//! action, `archMap` or `architectures`, syscall groups with
//! `includes`/`excludes` on capabilities, architectures and minimum kernel)
//! into the OCI `linux.seccomp` object for this host and this container.
//! Which profile a container gets is the parent module's business.
//!
//! Capability conditions are checked against the container's *bounding*
//! set, as containers/common does.

use caps::Capability;
use oci_spec::runtime::{
    LinuxSeccomp, LinuxSeccompArgBuilder, LinuxSeccompBuilder, LinuxSyscall, LinuxSyscallBuilder,
};
use serde::Deserialize;
use serde::de::DeserializeOwned;

use super::super::{Host, oci_error};
use crate::error::{Error, Result};

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
            let b = LinuxSeccompArgBuilder::default()
                .index(a.index as usize)
                .value(a.value);
            // Podman leaves a zero `valueTwo` out of the spec.
            let b = if a.value_two == 0 {
                b
            } else {
                b.value_two(a.value_two)
            };
            b.op(scmp::<oci_spec::runtime::LinuxSeccompOperator>(
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

/// Parses a profile's JSON text and compiles it; `None` when the profile is
/// empty.
pub(super) fn compile_text(
    text: &str,
    bounding: &[Capability],
    host: &Host,
) -> Result<Option<LinuxSeccomp>> {
    let profile: Profile = serde_json::from_str(text)
        .map_err(|e| Error::msg(format!("decoding seccomp profile failed: {e}")))?;
    compile(profile, bounding, host)
}
