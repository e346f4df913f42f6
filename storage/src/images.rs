//! `images.json` records (containers/storage's `Image`), image names
//! (normalisation, Podman's short-name rules) and lookup.

use std::collections::BTreeMap;

use chrono::{DateTime, Utc};
use rpod_runtime_core::{Error, Result};
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};

use crate::digest::digest_hex;

/// One image record.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct Image {
    /// 64-hex ID (config digest hex).
    pub id: String,
    /// Manifest digest.
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub digest: String,
    /// Every manifest digest.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub digests: Vec<String>,
    /// Names.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub names: Vec<String>,
    /// Names the image had, newest first.
    #[serde(
        rename = "names-history",
        default,
        skip_serializing_if = "Vec::is_empty"
    )]
    pub names_history: Vec<String>,
    /// Top layer ID.
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub layer: String,
    /// Metadata (a JSON string).
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub metadata: String,
    /// Big-data keys.
    #[serde(
        rename = "big-data-names",
        default,
        skip_serializing_if = "Vec::is_empty"
    )]
    pub big_data_names: Vec<String>,
    /// Big-data sizes.
    #[serde(
        rename = "big-data-sizes",
        default,
        skip_serializing_if = "BTreeMap::is_empty"
    )]
    pub big_data_sizes: BTreeMap<String, u64>,
    /// Big-data digests.
    #[serde(
        rename = "big-data-digests",
        default,
        skip_serializing_if = "BTreeMap::is_empty"
    )]
    pub big_data_digests: BTreeMap<String, String>,
    /// Creation time.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub created: Option<DateTime<Utc>>,
    /// Flags.
    #[serde(default, skip_serializing_if = "Map::is_empty")]
    pub flags: Map<String, Value>,
    /// Keys this crate does not interpret, kept as they were.
    #[serde(flatten)]
    pub extra: Map<String, Value>,
}

impl Image {
    /// The big-data key of the config.
    pub fn config_key(&self) -> String {
        format!("sha256:{}", self.id)
    }
}

fn split_domain(name: &str) -> (Option<&str>, &str) {
    match name.split_once('/') {
        Some((first, rest))
            if first.contains('.') || first.contains(':') || first == "localhost" =>
        {
            (Some(first), rest)
        }
        _ => (None, name),
    }
}

/// True when the name's last component carries a tag or the name a digest.
fn has_tag_or_digest(name: &str) -> bool {
    if name.contains('@') {
        return true;
    }
    let last = name.rsplit('/').next().unwrap_or(name);
    last.contains(':')
}

/// Validates the characters of a reference.
fn valid_reference(name: &str) -> bool {
    !name.is_empty()
        && name.bytes().all(|b| {
            b.is_ascii_lowercase()
                || b.is_ascii_digit()
                || b".-_/:@".contains(&b)
                || (b.is_ascii_uppercase())
        })
        && !name.starts_with('/')
        && !name.ends_with('/')
}

/// Normalises a name the way Podman stores it: `busybox` →
/// `localhost/busybox:latest`, `docker.io/busybox` →
/// `docker.io/library/busybox:latest`, a missing tag becomes `latest`.
pub fn normalize_name(name: &str) -> Result<String> {
    let name = name.trim();
    if !valid_reference(name) {
        return Err(Error::msg(format!(
            "normalizing name {name:?}: invalid reference format"
        )));
    }
    let (domain, rest) = split_domain(name);
    let mut full = match domain {
        None => format!("localhost/{rest}"),
        Some("docker.io") | Some("index.docker.io") if !rest.contains('/') => {
            format!("docker.io/library/{rest}")
        }
        Some("index.docker.io") => format!("docker.io/{rest}"),
        Some(d) => format!("{d}/{rest}"),
    };
    let repo_part = full.split('@').next().unwrap_or(&full);
    if repo_part
        .rsplit('/')
        .next()
        .unwrap_or("")
        .chars()
        .any(|c| c.is_ascii_uppercase())
    {
        return Err(Error::msg(format!(
            "normalizing name {name:?}: repository name must be lowercase"
        )));
    }
    if !has_tag_or_digest(&full) {
        full.push_str(":latest");
    }
    Ok(full)
}

/// Candidate full names for a lookup, in Podman's order.
pub fn lookup_candidates(name: &str) -> Vec<String> {
    let mut out = Vec::new();
    let (domain, rest) = split_domain(name);
    let tagged = if has_tag_or_digest(name) {
        name.to_string()
    } else {
        format!("{name}:latest")
    };
    match domain {
        Some(_) => {
            out.push(tagged.clone());
            if let Ok(n) = normalize_name(name) {
                out.push(n);
            }
        }
        None => {
            let t = if has_tag_or_digest(rest) {
                rest.to_string()
            } else {
                format!("{rest}:latest")
            };
            out.push(format!("localhost/{t}"));
            if rest.contains('/') {
                out.push(format!("docker.io/{t}"));
            } else {
                out.push(format!("docker.io/library/{t}"));
            }
        }
    }
    out.dedup();
    out
}

/// Finds an image by full name, short name, ID, `sha256:` ID or unique ID prefix.
pub fn find<'a>(images: &'a [Image], name_or_id: &str) -> Result<&'a Image> {
    let not_known = || Error::msg("image not known").context(name_or_id.to_string());
    let q = name_or_id.trim();
    if q.is_empty() {
        return Err(Error::EmptyId);
    }
    let hexq = digest_hex(q);
    if let Some(i) = images.iter().find(|i| i.id == hexq) {
        return Ok(i);
    }
    for cand in lookup_candidates(q) {
        if let Some(i) = images.iter().find(|i| i.names.contains(&cand)) {
            return Ok(i);
        }
        if let Some((repo, dig)) = cand.split_once('@') {
            let repo = repo.to_string();
            if let Some(i) = images.iter().find(|i| {
                (i.digest == dig || i.digests.iter().any(|d| d == dig))
                    && i.names.iter().any(|n| {
                        n.rsplit_once(':').map(|x| x.0) == Some(repo.as_str()) || *n == repo
                    })
            }) {
                return Ok(i);
            }
        }
    }
    // Short names also match any registry's repository ending in `/<name>`.
    if split_domain(q).0.is_none() {
        let t = if has_tag_or_digest(q) {
            q.to_string()
        } else {
            format!("{q}:latest")
        };
        let suffix = format!("/{t}");
        let hits: Vec<&Image> = images
            .iter()
            .filter(|i| i.names.iter().any(|n| n.ends_with(&suffix)))
            .collect();
        if hits.len() == 1 {
            return Ok(hits[0]);
        }
    }
    if !hexq.is_empty() && hexq.bytes().all(|b| b.is_ascii_hexdigit()) {
        let hits: Vec<&Image> = images.iter().filter(|i| i.id.starts_with(hexq)).collect();
        match hits.len() {
            1 => return Ok(hits[0]),
            0 => {}
            _ => {
                return Err(Error::msg(format!(
                    "{name_or_id}: image ID prefix is ambiguous ({} images)",
                    hits.len()
                )));
            }
        }
    }
    Err(not_known())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn img(id: &str, names: &[&str]) -> Image {
        Image {
            id: id.into(),
            names: names.iter().map(|s| s.to_string()).collect(),
            ..Default::default()
        }
    }

    #[test]
    fn names_normalize_like_podman() {
        assert_eq!(
            normalize_name("busybox").unwrap(),
            "localhost/busybox:latest"
        );
        assert_eq!(normalize_name("latest").unwrap(), "localhost/latest:latest");
        assert_eq!(
            normalize_name("docker.io/busybox").unwrap(),
            "docker.io/library/busybox:latest"
        );
        assert_eq!(normalize_name("quay.io/a/b:1").unwrap(), "quay.io/a/b:1");
        assert_eq!(
            normalize_name("localhost:5000/x").unwrap(),
            "localhost:5000/x:latest"
        );
        assert!(normalize_name("Busybox").is_err());
    }

    #[test]
    fn lookup_follows_short_name_rules() {
        let a = "a".repeat(64);
        let b = format!("b{}", "0".repeat(63));
        let imgs = vec![
            img(&a, &["localhost/busybox:latest"]),
            img(&b, &["docker.io/library/alpine:3", "quay.io/x/tool:latest"]),
        ];
        assert_eq!(find(&imgs, "busybox").unwrap().id, a);
        assert_eq!(find(&imgs, "localhost/busybox").unwrap().id, a);
        assert_eq!(find(&imgs, "alpine:3").unwrap().id, b);
        assert_eq!(find(&imgs, "tool").unwrap().id, b);
        assert_eq!(find(&imgs, "aaaa").unwrap().id, a);
        assert_eq!(find(&imgs, &format!("sha256:{b}")).unwrap().id, b);
        let e = find(&imgs, "nothere").unwrap_err();
        assert_eq!(e.to_string(), "nothere: image not known");
    }
}
