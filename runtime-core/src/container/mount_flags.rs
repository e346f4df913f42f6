//! `-v`, `--mount` and `--tmpfs` as Podman reads them, turned into
//! [`MountRequest`]s that `create` resolves (named volumes looked up or
//! made, anonymous ones made).

use std::path::PathBuf;

use super::spec::BindMount;
use crate::error::{Error, Result};

/// One mount a container asks for.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum MountRequest {
    /// A host path bound in.
    Bind(BindMount),
    /// A named volume (`name` empty: a new anonymous one).
    Volume {
        /// Volume name; empty for an anonymous volume.
        name: String,
        /// Absolute path in the container.
        dest: String,
        /// Options as given (`ro`, `nocopy`, `U`, ...).
        options: Vec<String>,
    },
    /// A tmpfs: destination and comma-separated options.
    Tmpfs(String, String),
}

fn absolute_dest(dest: &str) -> Result<String> {
    if dest.starts_with('/') {
        Ok(dest.to_string())
    } else {
        Err(Error::InvalidArg.context(format!(
            "invalid container path {dest:?}, must be an absolute path"
        )))
    }
}

fn split_options(o: &str) -> Vec<String> {
    o.split(',')
        .filter(|s| !s.is_empty())
        .map(str::to_string)
        .collect()
}

/// A host path of a bind: absolute, or relative to the working directory
/// (`./dir`), and existing.
fn bind_source(src: &str) -> Result<PathBuf> {
    let p = PathBuf::from(src);
    let p = if p.is_absolute() {
        p
    } else {
        std::env::current_dir()
            .map_err(|e| Error::io(".", e))?
            .join(p)
    };
    if std::fs::symlink_metadata(&p).is_err() {
        return Err(Error::msg(format!(
            "statfs {}: no such file or directory",
            p.display()
        )));
    }
    Ok(p)
}

/// `-v [SRC:]DEST[:OPTS]`: a bind when SRC is a path (`/...` or `.`), a
/// named volume when it is a name, an anonymous volume when only DEST is
/// given.
pub fn parse_volume_flag(v: &str) -> Result<MountRequest> {
    let parts: Vec<&str> = v.split(':').collect();
    if parts.len() > 3 || v.is_empty() {
        return Err(Error::InvalidArg.context(format!(
            "incorrect volume format {v:?}, should be [host-dir:]ctr-dir[:option]"
        )));
    }
    if parts.len() == 1 {
        return Ok(MountRequest::Volume {
            name: String::new(),
            dest: absolute_dest(parts[0])?,
            options: Vec::new(),
        });
    }
    let (src, dest) = (parts[0], absolute_dest(parts[1])?);
    let options = parts.get(2).map(|o| split_options(o)).unwrap_or_default();
    if src.starts_with('/') || src.starts_with('.') {
        return Ok(MountRequest::Bind(BindMount {
            source: bind_source(src)?,
            destination: dest,
            options,
        }));
    }
    if src.is_empty() {
        return Err(Error::InvalidArg.context(format!("host directory cannot be empty: {v:?}")));
    }
    Ok(MountRequest::Volume {
        name: src.to_string(),
        dest,
        options,
    })
}

/// `--mount type=TYPE,KEY=VALUE,...` for `bind`, `volume` and `tmpfs`.
pub fn parse_mount_flag(m: &str) -> Result<MountRequest> {
    let mut kind = String::new();
    let mut source = String::new();
    let mut target = String::new();
    let mut options: Vec<String> = Vec::new();
    let mut tmpfs: Vec<String> = Vec::new();
    for field in m.split(',').filter(|f| !f.is_empty()) {
        let (key, value) = match field.split_once('=') {
            Some((k, v)) => (k, Some(v)),
            None => (field, None),
        };
        let flag = |v: Option<&str>| -> Result<bool> {
            match v {
                None | Some("true") => Ok(true),
                Some("false") => Ok(false),
                Some(other) => Err(Error::InvalidArg
                    .context(format!("invalid value {other:?} for option {key:?}"))),
            }
        };
        let need = |v: Option<&str>| -> Result<String> {
            v.map(str::to_string).ok_or_else(|| {
                Error::InvalidArg.context(format!("{key}: must be specified with a value"))
            })
        };
        match key {
            "type" => kind = need(value)?,
            "source" | "src" => source = need(value)?,
            "target" | "dst" | "destination" => target = need(value)?,
            "ro" | "readonly" => {
                if flag(value)? {
                    options.push("ro".into());
                }
            }
            "rw" => {
                if flag(value)? {
                    options.push("rw".into());
                }
            }
            "bind-propagation" => options.push(need(value)?),
            "bind-nonrecursive" => {
                if flag(value)? {
                    options.push("bind".into());
                }
            }
            "relabel" => match value {
                Some("shared") => options.push("z".into()),
                Some("private") => options.push("Z".into()),
                _ => {
                    return Err(Error::InvalidArg
                        .context("relabel: must be 'shared' or 'private'".to_string()));
                }
            },
            "volume-nocopy" | "nocopy" => {
                if flag(value)? {
                    options.push("nocopy".into());
                }
            }
            "U" | "chown" => {
                if flag(value)? {
                    options.push("U".into());
                }
            }
            "tmpfs-size" => tmpfs.push(format!("size={}", need(value)?)),
            "tmpfs-mode" => tmpfs.push(format!("mode={}", need(value)?)),
            "tmpcopyup" | "notmpcopyup" | "exec" | "noexec" | "suid" | "nosuid" | "dev"
            | "nodev" => options.push(key.to_string()),
            "consistency" | "volume-label" | "volume-driver" | "volume-opt" => {}
            _ => {
                return Err(Error::InvalidArg.context(format!("{key}: invalid mount option")));
            }
        }
    }
    if target.is_empty() {
        return Err(Error::InvalidArg.context("must set target/destination: invalid mount"));
    }
    let dest = absolute_dest(&target)?;
    match kind.as_str() {
        "bind" => {
            if source.is_empty() {
                return Err(Error::InvalidArg.context("must set source: invalid mount"));
            }
            Ok(MountRequest::Bind(BindMount {
                source: bind_source(&source)?,
                destination: dest,
                options,
            }))
        }
        "volume" => Ok(MountRequest::Volume {
            name: source,
            dest,
            options,
        }),
        "tmpfs" => {
            tmpfs.extend(options);
            Ok(MountRequest::Tmpfs(dest, tmpfs.join(",")))
        }
        "" => Err(Error::InvalidArg.context("type must be specified: invalid mount")),
        other => Err(Error::InvalidArg.context(format!("invalid filesystem type {other:?}"))),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn volume_flags_are_binds_named_or_anonymous_volumes() {
        assert_eq!(
            parse_volume_flag("/data").unwrap(),
            MountRequest::Volume {
                name: String::new(),
                dest: "/data".into(),
                options: vec![]
            }
        );
        assert_eq!(
            parse_volume_flag("vol:/data:ro,nocopy").unwrap(),
            MountRequest::Volume {
                name: "vol".into(),
                dest: "/data".into(),
                options: vec!["ro".into(), "nocopy".into()]
            }
        );
        assert!(matches!(
            parse_volume_flag("/tmp:/x").unwrap(),
            MountRequest::Bind(_)
        ));
        assert!(parse_volume_flag("vol:rel").is_err());
        assert!(parse_volume_flag("a:/b:c:d").is_err());
    }

    #[test]
    fn mount_flags_of_each_type() {
        assert_eq!(
            parse_mount_flag("type=volume,source=v,target=/d,readonly,volume-nocopy").unwrap(),
            MountRequest::Volume {
                name: "v".into(),
                dest: "/d".into(),
                options: vec!["ro".into(), "nocopy".into()]
            }
        );
        assert_eq!(
            parse_mount_flag("type=tmpfs,dst=/t,tmpfs-size=1m").unwrap(),
            MountRequest::Tmpfs("/t".into(), "size=1m".into())
        );
        assert!(parse_mount_flag("type=bind,target=/x").is_err());
        assert!(parse_mount_flag("type=volume,src=v").is_err());
        assert!(parse_mount_flag("type=weird,target=/x").is_err());
    }
}
