//! Image configs for `import` and `commit`: Dockerfile-syntax `--change`
//! instructions, the OCI config (`rootfs.diff_ids`, `history`, `created`,
//! `architecture`/`os`) and the OCI manifest stored with the image.

use rpod_runtime_core::{Error, Result};
use serde_json::{Map, Value, json};

/// The host's architecture in Go/OCI spelling.
pub fn host_arch() -> &'static str {
    match std::env::consts::ARCH {
        "x86_64" => "amd64",
        "aarch64" => "arm64",
        "x86" => "386",
        "powerpc64" => "ppc64le",
        "s390x" => "s390x",
        "riscv64" => "riscv64",
        other => other,
    }
}

/// Splits `s` at whitespace; a JSON array is taken as is.
fn words_or_json(s: &str) -> Vec<String> {
    let t = s.trim();
    if t.starts_with('[')
        && let Ok(v) = serde_json::from_str::<Vec<String>>(t)
    {
        return v;
    }
    t.split_whitespace().map(str::to_string).collect()
}

/// `["/bin/sh","-c",s]` for shell form, the array for JSON form.
fn command(s: &str) -> Vec<String> {
    let t = s.trim();
    if t.starts_with('[')
        && let Ok(v) = serde_json::from_str::<Vec<String>>(t)
    {
        return v;
    }
    vec!["/bin/sh".into(), "-c".into(), t.to_string()]
}

fn unquote(s: &str) -> String {
    let s = s.trim();
    if s.len() >= 2
        && ((s.starts_with('"') && s.ends_with('"')) || (s.starts_with('\'') && s.ends_with('\'')))
    {
        s[1..s.len() - 1].to_string()
    } else {
        s.to_string()
    }
}

/// `k=v k2="v 2"` pairs, or the legacy `k v` form.
fn pairs(s: &str) -> Vec<(String, String)> {
    let t = s.trim();
    if !t.split_whitespace().next().unwrap_or("").contains('=') {
        let (k, v) = t.split_once(char::is_whitespace).unwrap_or((t, ""));
        return vec![(k.to_string(), unquote(v))];
    }
    let mut out = Vec::new();
    let mut cur = String::new();
    let mut quote: Option<char> = None;
    let mut tokens = Vec::new();
    for c in t.chars() {
        match (quote, c) {
            (Some(q), c) if c == q => quote = None,
            (Some(_), c) => cur.push(c),
            (None, '"' | '\'') => quote = Some(c),
            (None, c) if c.is_whitespace() => {
                if !cur.is_empty() {
                    tokens.push(std::mem::take(&mut cur));
                }
            }
            (None, c) => cur.push(c),
        }
    }
    if !cur.is_empty() {
        tokens.push(cur);
    }
    for tok in tokens {
        let (k, v) = tok.split_once('=').unwrap_or((&tok, ""));
        out.push((k.to_string(), v.to_string()));
    }
    out
}

/// Applies Dockerfile-syntax changes to an OCI config's `config` object.
pub fn apply_changes(cfg: &mut Map<String, Value>, changes: &[String]) -> Result<()> {
    for change in changes {
        let change = change.trim();
        let (inst, arg) = change
            .split_once(|c: char| c.is_whitespace() || c == '=')
            .unwrap_or((change, ""));
        let arg = arg.trim();
        match inst.to_ascii_uppercase().as_str() {
            "CMD" => {
                cfg.insert("Cmd".into(), json!(command(arg)));
            }
            "ENTRYPOINT" => {
                cfg.insert("Entrypoint".into(), json!(command(arg)));
            }
            "ENV" => {
                let env = cfg.entry("Env").or_insert_with(|| json!([]));
                let list = env
                    .as_array_mut()
                    .ok_or_else(|| Error::msg("bad Env in config"))?;
                for (k, v) in pairs(arg) {
                    let prefix = format!("{k}=");
                    list.retain(|e| !e.as_str().is_some_and(|s| s.starts_with(&prefix)));
                    list.push(json!(format!("{k}={v}")));
                }
            }
            "LABEL" => {
                let labels = cfg.entry("Labels").or_insert_with(|| json!({}));
                let m = labels
                    .as_object_mut()
                    .ok_or_else(|| Error::msg("bad Labels in config"))?;
                for (k, v) in pairs(arg) {
                    m.insert(k, json!(v));
                }
            }
            "WORKDIR" => {
                cfg.insert("WorkingDir".into(), json!(unquote(arg)));
            }
            "USER" => {
                cfg.insert("User".into(), json!(unquote(arg)));
            }
            "STOPSIGNAL" => {
                cfg.insert("StopSignal".into(), json!(unquote(arg)));
            }
            "EXPOSE" => {
                let ports = cfg.entry("ExposedPorts").or_insert_with(|| json!({}));
                let m = ports
                    .as_object_mut()
                    .ok_or_else(|| Error::msg("bad ExposedPorts in config"))?;
                for p in arg.split_whitespace() {
                    let p = if p.contains('/') {
                        p.to_string()
                    } else {
                        format!("{p}/tcp")
                    };
                    m.insert(p, json!({}));
                }
            }
            "VOLUME" => {
                let vols = cfg.entry("Volumes").or_insert_with(|| json!({}));
                let m = vols
                    .as_object_mut()
                    .ok_or_else(|| Error::msg("bad Volumes in config"))?;
                for v in words_or_json(arg) {
                    m.insert(v, json!({}));
                }
            }
            "ONBUILD" => {
                let ob = cfg.entry("OnBuild").or_insert_with(|| json!([]));
                if let Some(a) = ob.as_array_mut() {
                    a.push(json!(arg));
                }
            }
            other => {
                return Err(Error::msg(format!(
                    "processing change {change:?}: invalid change {other:?} - invalid instruction"
                )));
            }
        }
    }
    Ok(())
}

/// The config of an imported root filesystem.
pub fn import_config(diff_digest: &str, changes: &[String], message: &str) -> Result<Value> {
    let now = rpod_runtime_core::time::rfc3339_nano_fixed(&chrono::Utc::now());
    let mut cfg = Map::new();
    apply_changes(&mut cfg, changes)?;
    let mut hist = json!({
        "created": now,
        "created_by": format!("/bin/sh -c #(nop) ADD file:{} in /", crate::digest::digest_hex(diff_digest)),
    });
    hist["comment"] = json!(if message.is_empty() {
        "imported from tarball"
    } else {
        message
    });
    Ok(json!({
        "created": now,
        "architecture": host_arch(),
        "os": "linux",
        "config": Value::Object(cfg),
        "rootfs": {"type": "layers", "diff_ids": [diff_digest]},
        "history": [hist],
    }))
}

/// An OCI manifest for `config` (bytes) and uncompressed layers `(digest, size)`.
pub fn oci_manifest(config: &[u8], layers: &[(String, u64)]) -> Vec<u8> {
    let m = json!({
        "schemaVersion": 2,
        "mediaType": "application/vnd.oci.image.manifest.v1+json",
        "config": {
            "mediaType": "application/vnd.oci.image.config.v1+json",
            "digest": crate::digest::sha256_digest(config),
            "size": config.len(),
        },
        "layers": layers.iter().map(|(d, s)| json!({
            "mediaType": "application/vnd.oci.image.layer.v1.tar",
            "digest": d,
            "size": s,
        })).collect::<Vec<_>>(),
    });
    serde_json::to_vec(&m).unwrap_or_default()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn changes_follow_dockerfile_syntax() {
        let mut c = Map::new();
        apply_changes(
            &mut c,
            &[
                "CMD [\"/bin/sh\", \"-c\", \"echo hi\"]".into(),
                "ENTRYPOINT top -b".into(),
                "ENV A=1 B=\"two words\"".into(),
                "ENV C 3".into(),
                "WORKDIR /srv".into(),
                "USER 1000:1000".into(),
                "LABEL a=b c=\"d e\"".into(),
                "EXPOSE 80 53/udp".into(),
                "VOLUME [\"/data\", \"/logs\"]".into(),
                "STOPSIGNAL SIGINT".into(),
            ],
        )
        .unwrap();
        assert_eq!(c["Cmd"], json!(["/bin/sh", "-c", "echo hi"]));
        assert_eq!(c["Entrypoint"], json!(["/bin/sh", "-c", "top -b"]));
        assert_eq!(c["Env"], json!(["A=1", "B=two words", "C=3"]));
        assert_eq!(c["WorkingDir"], json!("/srv"));
        assert_eq!(c["User"], json!("1000:1000"));
        assert_eq!(c["Labels"], json!({"a": "b", "c": "d e"}));
        assert_eq!(c["ExposedPorts"], json!({"80/tcp": {}, "53/udp": {}}));
        assert_eq!(c["Volumes"], json!({"/data": {}, "/logs": {}}));
        assert_eq!(c["StopSignal"], json!("SIGINT"));
        assert!(apply_changes(&mut c, &["FROB x".into()]).is_err());
    }
}
