//! Configuration: containers.conf in Podman's precedence and rpod's own
//! storage.conf.
//!
//! containers.conf files are read in this order, later keys overriding
//! earlier ones (tables merge key by key): built-in defaults,
//! `/usr/share/containers/containers.conf`, `/etc/containers/containers.conf`,
//! `/etc/containers/containers.conf.d/*.conf` (sorted), then the user's
//! `$XDG_CONFIG_HOME/containers/containers.conf` (when `XDG_CONFIG_HOME` is
//! set, or for non-root users `~/.config/...`). `CONTAINERS_CONF` replaces
//! that chain with one file; `CONTAINERS_CONF_OVERRIDE` is read last.
//!
//! A file that does not parse, or holds a value of the wrong type, is an
//! error naming the file and line. Unknown keys are ignored with a debug log.
//! This module is the only place that reads the process environment.

mod containers_conf;
mod storage_conf;
mod units;

use std::path::{Path, PathBuf};

use serde::de::DeserializeOwned;
use serde::{Deserialize, Serialize};

pub use containers_conf::{
    ContainersConf, ContainersSection, DEFAULT_CAPABILITIES, EngineSection, NetworkSection,
};
pub use storage_conf::{
    DEFAULT_GRAPH_ROOT, DEFAULT_RUN_ROOT, DEFAULT_STORAGE_CONF, StorageConf, StorageOptions,
    StorageSection,
};
pub use units::{ByteSize, Ulimit, human_size};

use crate::error::{Error, Result};

/// rpod's default tmp dir (exit files, events, alive file).
pub const DEFAULT_TMP_DIR: &str = "/run/rpod/libpod";
/// rpod's default shm lock segment name.
pub const DEFAULT_SHM_LOCK_PATH: &str = "/rpod_lock";

/// Where configuration comes from: the environment variables that matter,
/// captured once so that tests can build their own.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct ConfigEnv {
    /// `CONTAINERS_CONF`: the only containers.conf to read.
    pub containers_conf: Option<PathBuf>,
    /// `CONTAINERS_CONF_OVERRIDE`: read after everything else.
    pub containers_conf_override: Option<PathBuf>,
    /// `CONTAINERS_STORAGE_CONF`: the storage.conf to read.
    pub storage_conf: Option<PathBuf>,
    /// `XDG_CONFIG_HOME`.
    pub xdg_config_home: Option<PathBuf>,
    /// `HOME`.
    pub home: Option<PathBuf>,
    /// True when running as root.
    pub is_root: bool,
    /// Directory prefix for the system paths (`/usr/share`, `/etc`); `/` normally.
    pub system_root: PathBuf,
}

fn env_path(name: &str) -> Option<PathBuf> {
    #[allow(clippy::disallowed_methods)]
    std::env::var_os(name)
        .filter(|v| !v.is_empty())
        .map(PathBuf::from)
}

impl ConfigEnv {
    /// Reads the variables from this process's environment.
    pub fn from_process() -> Self {
        ConfigEnv {
            containers_conf: env_path("CONTAINERS_CONF"),
            containers_conf_override: env_path("CONTAINERS_CONF_OVERRIDE"),
            storage_conf: env_path("CONTAINERS_STORAGE_CONF"),
            xdg_config_home: env_path("XDG_CONFIG_HOME"),
            home: env_path("HOME"),
            is_root: nix::unistd::geteuid().is_root(),
            system_root: PathBuf::from("/"),
        }
    }

    /// An environment that reads only the given files (for tests and embedding).
    pub fn isolated(containers_conf: Option<PathBuf>, storage_conf: Option<PathBuf>) -> Self {
        ConfigEnv {
            containers_conf,
            storage_conf,
            is_root: true,
            system_root: PathBuf::from("/nonexistent-rpod-system-root"),
            ..Default::default()
        }
    }

    fn system(&self, p: &str) -> PathBuf {
        self.system_root.join(p.trim_start_matches('/'))
    }

    /// The containers.conf files to read, in order (missing ones are skipped).
    pub fn containers_conf_files(&self) -> Vec<PathBuf> {
        let mut files = Vec::new();
        if let Some(p) = &self.containers_conf {
            files.push(p.clone());
        } else {
            files.push(self.system("/usr/share/containers/containers.conf"));
            files.push(self.system("/etc/containers/containers.conf"));
            let dropins = self.system("/etc/containers/containers.conf.d");
            if let Ok(rd) = std::fs::read_dir(&dropins) {
                let mut extra: Vec<PathBuf> = rd
                    .filter_map(|e| e.ok().map(|e| e.path()))
                    .filter(|p| p.extension().is_some_and(|x| x == "conf"))
                    .collect();
                extra.sort();
                files.extend(extra);
            }
            let user_dir = match (&self.xdg_config_home, &self.home) {
                (Some(x), _) => Some(x.clone()),
                (None, Some(h)) if !self.is_root => Some(h.join(".config")),
                _ => None,
            };
            if let Some(d) = user_dir {
                files.push(d.join("containers/containers.conf"));
            }
        }
        if let Some(p) = &self.containers_conf_override {
            files.push(p.clone());
        }
        files
    }

    /// The storage.conf to read.
    pub fn storage_conf_file(&self) -> PathBuf {
        self.storage_conf
            .clone()
            .unwrap_or_else(|| self.system(DEFAULT_STORAGE_CONF))
    }
}

/// The merged configuration rpod runs with.
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
pub struct Config {
    /// containers.conf, merged.
    #[serde(flatten)]
    pub conf: ContainersConf,
    /// storage.conf.
    pub storage: StorageSection,
    /// The containers.conf files that were read, in order.
    #[serde(skip)]
    pub sources: Vec<PathBuf>,
    /// The storage.conf that was read, if any.
    #[serde(skip)]
    pub storage_source: Option<PathBuf>,
}

impl Config {
    /// Loads containers.conf and storage.conf as `env` says.
    pub fn load(env: &ConfigEnv) -> Result<Config> {
        // Start from the built-in defaults so that tables (e.g. `runtimes`)
        // merge key by key with them.
        let mut merged = toml::Table::try_from(ContainersConf::default())
            .map_err(|e| Error::msg(format!("encoding default configuration: {e}")))?;
        let mut sources = Vec::new();
        for path in env.containers_conf_files() {
            let Some(text) = read_optional(&path, env.containers_conf.as_ref() == Some(&path))?
            else {
                continue;
            };
            let table = parse_file::<ContainersConf>(&path, &text)?;
            warn_unknown_keys(&path, &table);
            merge_tables(&mut merged, table);
            sources.push(path);
        }
        let conf: ContainersConf = toml::Value::Table(merged)
            .try_into()
            .map_err(|e| Error::msg(format!("merging containers.conf files: {e}")))?;

        let storage_path = env.storage_conf_file();
        let (storage, storage_source) =
            match read_optional(&storage_path, env.storage_conf.is_some())? {
                Some(text) => {
                    let table = parse_file::<StorageConf>(&storage_path, &text)?;
                    let sc: StorageConf = toml::Value::Table(table)
                        .try_into()
                        .map_err(|e| Error::msg(format!("{}: {e}", storage_path.display())))?;
                    (sc.storage, Some(storage_path))
                }
                None => (StorageSection::default(), None),
            };
        Ok(Config {
            conf,
            storage,
            sources,
            storage_source,
        })
    }

    /// Parses one containers.conf text (for tests and tools).
    pub fn parse_containers_conf(path: &Path, text: &str) -> Result<ContainersConf> {
        let table = parse_file::<ContainersConf>(path, text)?;
        let mut merged = toml::Table::try_from(ContainersConf::default())
            .map_err(|e| Error::msg(format!("encoding default configuration: {e}")))?;
        merge_tables(&mut merged, table);
        toml::Value::Table(merged)
            .try_into()
            .map_err(|e| Error::msg(format!("{}: {e}", path.display())))
    }
}

/// Reads a file; a missing file is `None` unless `required`.
fn read_optional(path: &Path, required: bool) -> Result<Option<String>> {
    match std::fs::read_to_string(path) {
        Ok(t) => Ok(Some(t)),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound && !required => Ok(None),
        Err(e) => Err(Error::io(path, e)),
    }
}

/// 1-based line of a byte offset.
fn line_of(text: &str, offset: usize) -> usize {
    text.get(..offset.min(text.len())).map_or(0, |prefix| {
        prefix.bytes().filter(|&b| b == b'\n').count() + 1
    })
}

/// Parses `text` as TOML and type-checks it against `T`; errors name the file and line.
fn parse_file<T: DeserializeOwned>(path: &Path, text: &str) -> Result<toml::Table> {
    let to_err = |e: toml::de::Error| {
        let line = e.span().map_or(0, |s| line_of(text, s.start));
        Error::ConfigParse {
            path: path.to_path_buf(),
            line,
            message: e.message().trim().to_string(),
        }
    };
    let table: toml::Table = toml::from_str(text).map_err(to_err)?;
    toml::from_str::<T>(text).map_err(to_err)?;
    Ok(table)
}

fn warn_unknown_keys(path: &Path, table: &toml::Table) {
    for (section, value) in table {
        let Some(known) = containers_conf::known_keys(section) else {
            tracing::debug!("{}: ignoring unknown table [{section}]", path.display());
            continue;
        };
        if let Some(t) = value.as_table() {
            for k in t.keys().filter(|k| !known.contains(k)) {
                tracing::debug!("{}: ignoring unknown key {section}.{k}", path.display());
            }
        }
    }
}

/// Merges `overlay` into `base`: tables merge key by key, anything else is replaced.
fn merge_tables(base: &mut toml::Table, overlay: toml::Table) {
    for (k, v) in overlay {
        match (base.get_mut(&k), v) {
            (Some(toml::Value::Table(b)), toml::Value::Table(o)) => merge_tables(b, o),
            (_, v) => {
                base.insert(k, v);
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn write(dir: &Path, name: &str, text: &str) -> PathBuf {
        let p = dir.join(name);
        if let Some(parent) = p.parent() {
            std::fs::create_dir_all(parent).unwrap();
        }
        std::fs::write(&p, text).unwrap();
        p
    }

    #[test]
    fn defaults_equal_podmans() {
        let c = Config::load(&ConfigEnv::isolated(None, None)).unwrap();
        assert_eq!(c.conf.containers.default_capabilities.len(), 11);
        assert_eq!(c.conf.engine.num_locks, 2048);
        assert_eq!(c.conf.engine.lock_type, "shm");
        assert_eq!(c.conf.engine.stop_timeout, 10);
        assert_eq!(c.conf.engine.events_logfile_max_size, ByteSize(1_000_000));
        assert_eq!(c.conf.network.default_network, "podman");
        assert_eq!(c.storage.graphroot, DEFAULT_GRAPH_ROOT);
        assert!(c.sources.is_empty());
    }

    #[test]
    fn precedence_merges_tables_key_by_key() {
        let d = tempfile::tempdir().unwrap();
        write(
            d.path(),
            "usr/share/containers/containers.conf",
            "[engine]\nnum_locks = 64\nstop_timeout = 3\n",
        );
        write(
            d.path(),
            "etc/containers/containers.conf",
            "[engine]\nnum_locks = 128\n[engine.runtimes]\nmyrt = [\"/opt/myrt\"]\n",
        );
        write(
            d.path(),
            "etc/containers/containers.conf.d/10-a.conf",
            "[containers]\npids_limit = 5\n",
        );
        write(
            d.path(),
            "etc/containers/containers.conf.d/20-b.conf",
            "[containers]\npids_limit = 7\n",
        );
        write(
            d.path(),
            "etc/containers/containers.conf.d/ignored.txt",
            "not toml at all [",
        );
        let env = ConfigEnv {
            system_root: d.path().to_path_buf(),
            is_root: true,
            ..Default::default()
        };
        let c = Config::load(&env).unwrap();
        assert_eq!(c.conf.engine.num_locks, 128);
        assert_eq!(c.conf.engine.stop_timeout, 3);
        assert_eq!(c.conf.containers.pids_limit, 7);
        assert_eq!(
            c.conf.engine.runtimes["myrt"],
            vec!["/opt/myrt".to_string()]
        );
        assert!(
            c.conf.engine.runtimes.contains_key("runc"),
            "default runtimes kept"
        );
        assert_eq!(c.sources.len(), 4);
    }

    #[test]
    fn containers_conf_env_replaces_the_chain() {
        let d = tempfile::tempdir().unwrap();
        write(
            d.path(),
            "etc/containers/containers.conf",
            "[engine]\nnum_locks = 128\n",
        );
        let only = write(d.path(), "only.conf", "[engine]\nlock_type = \"file\"\n");
        let env = ConfigEnv {
            system_root: d.path().to_path_buf(),
            containers_conf: Some(only.clone()),
            is_root: true,
            ..Default::default()
        };
        let c = Config::load(&env).unwrap();
        assert_eq!(c.conf.engine.num_locks, 2048);
        assert_eq!(c.conf.engine.lock_type, "file");
        assert_eq!(c.sources, vec![only]);
    }

    #[test]
    fn malformed_file_names_file_and_line() {
        let d = tempfile::tempdir().unwrap();
        let p = write(
            d.path(),
            "bad.conf",
            "[engine]\nnum_locks = 5\nlock_type = = \n",
        );
        let e = Config::load(&ConfigEnv::isolated(Some(p.clone()), None)).unwrap_err();
        let s = e.to_string();
        assert!(s.starts_with(&format!("{}:3:", p.display())), "{s}");

        let p = write(d.path(), "type.conf", "[engine]\n\nnum_locks = \"many\"\n");
        let s = Config::load(&ConfigEnv::isolated(Some(p.clone()), None))
            .unwrap_err()
            .to_string();
        assert!(s.starts_with(&format!("{}:3:", p.display())), "{s}");
    }

    #[test]
    fn unknown_keys_are_ignored() {
        let d = tempfile::tempdir().unwrap();
        let p = write(
            d.path(),
            "x.conf",
            "[engine]\nfuture_key = 1\nnum_locks = 32\n[machine]\ncpus = 2\n",
        );
        let c = Config::load(&ConfigEnv::isolated(Some(p), None)).unwrap();
        assert_eq!(c.conf.engine.num_locks, 32);
    }

    #[test]
    fn missing_explicit_file_is_an_error() {
        let e = Config::load(&ConfigEnv::isolated(
            Some("/nonexistent/c.conf".into()),
            None,
        ));
        assert!(e.unwrap_err().to_string().contains("/nonexistent/c.conf"));
    }

    #[test]
    fn storage_conf_is_read() {
        let d = tempfile::tempdir().unwrap();
        let p = write(
            d.path(),
            "storage.conf",
            "[storage]\ndriver = \"vfs\"\ngraphroot = \"/g\"\n[storage.options.overlay]\nmountopt = \"nodev\"\n",
        );
        let c = Config::load(&ConfigEnv::isolated(None, Some(p))).unwrap();
        assert_eq!(c.storage.driver, "vfs");
        assert_eq!(c.storage.graphroot, "/g");
        assert_eq!(c.storage.runroot, DEFAULT_RUN_ROOT);
        let bad = write(d.path(), "bad-storage.conf", "[storage]\ndriver = 3\n");
        let s = Config::load(&ConfigEnv::isolated(None, Some(bad.clone())))
            .unwrap_err()
            .to_string();
        assert!(s.starts_with(&format!("{}:2:", bad.display())), "{s}");
    }
}
