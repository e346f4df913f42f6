//! Events: the record Podman writes for every state change, the filters
//! `events --filter` accepts, and the `Eventer` trait (implemented by the
//! `rpod-events` crate: file, journald, none).

use std::collections::BTreeMap;
use std::fmt::{self, Debug};
use std::str::FromStr;
use std::sync::Arc;
use std::sync::atomic::AtomicBool;

use chrono::{DateTime, Utc};
use serde::{Deserialize, Deserializer, Serialize, Serializer};

use crate::error::{Error, Result};
use crate::time::go_time_string;

macro_rules! string_enum {
    ($(#[$m:meta])* $name:ident { $($(#[$vm:meta])* $var:ident => $s:literal),+ $(,)? }) => {
        $(#[$m])*
        #[derive(Debug, Clone, PartialEq, Eq, Hash)]
        pub enum $name {
            $($(#[$vm])* $var,)+
            /// A value this version does not know (kept verbatim).
            Other(String),
        }

        impl $name {
            /// The string Podman uses.
            pub fn as_str(&self) -> &str {
                match self {
                    $($name::$var => $s,)+
                    $name::Other(s) => s,
                }
            }
        }

        impl FromStr for $name {
            type Err = std::convert::Infallible;
            fn from_str(s: &str) -> std::result::Result<Self, Self::Err> {
                Ok(match s {
                    $($s => $name::$var,)+
                    other => $name::Other(other.to_string()),
                })
            }
        }

        impl fmt::Display for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str(self.as_str())
            }
        }

        impl Serialize for $name {
            fn serialize<S: Serializer>(&self, s: S) -> std::result::Result<S::Ok, S::Error> {
                s.serialize_str(self.as_str())
            }
        }

        impl<'de> Deserialize<'de> for $name {
            fn deserialize<D: Deserializer<'de>>(d: D) -> std::result::Result<Self, D::Error> {
                let s = String::deserialize(d)?;
                Ok(s.parse().unwrap_or_else(|never| match never {}))
            }
        }
    };
}

string_enum! {
    /// What kind of object an event is about.
    EventType {
        /// A container.
        Container => "container",
        /// An image.
        Image => "image",
        /// A network.
        Network => "network",
        /// A pod.
        Pod => "pod",
        /// The engine itself.
        System => "system",
        /// A volume.
        Volume => "volume",
        /// A podman machine.
        Machine => "machine",
    }
}

string_enum! {
    /// What happened.
    EventStatus {
        /// attach
        Attach => "attach",
        /// checkpoint
        Checkpoint => "checkpoint",
        /// cleanup
        Cleanup => "cleanup",
        /// commit
        Commit => "commit",
        /// connect
        Connect => "connect",
        /// create
        Create => "create",
        /// The container's process exited (Podman's `Exited`).
        Died => "died",
        /// disconnect
        Disconnect => "disconnect",
        /// exec
        Exec => "exec",
        /// exec_died
        ExecDied => "exec_died",
        /// export
        Export => "export",
        /// import
        Import => "import",
        /// init
        Init => "init",
        /// kill
        Kill => "kill",
        /// loadfromarchive
        LoadFromArchive => "loadfromarchive",
        /// log-rotation
        LogRotation => "log-rotation",
        /// mount
        Mount => "mount",
        /// pause
        Pause => "pause",
        /// prune
        Prune => "prune",
        /// pull
        Pull => "pull",
        /// push
        Push => "push",
        /// refresh
        Refresh => "refresh",
        /// remove
        Remove => "remove",
        /// rename
        Rename => "rename",
        /// renumber
        Renumber => "renumber",
        /// restart
        Restart => "restart",
        /// restore
        Restore => "restore",
        /// save
        Save => "save",
        /// start
        Start => "start",
        /// stop
        Stop => "stop",
        /// sync
        Sync => "sync",
        /// tag
        Tag => "tag",
        /// unmount
        Unmount => "unmount",
        /// unpause
        Unpause => "unpause",
        /// untag
        Untag => "untag",
    }
}

/// One event, serialized exactly as Podman's file eventer writes it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Event {
    /// Exit code; set only on `died`.
    #[serde(
        rename = "ContainerExitCode",
        default,
        skip_serializing_if = "Option::is_none"
    )]
    pub container_exit_code: Option<i32>,
    /// Object ID.
    #[serde(
        rename = "ID",
        default,
        deserialize_with = "crate::serde_util::null_default",
        skip_serializing_if = "String::is_empty"
    )]
    pub id: String,
    /// Image name.
    #[serde(
        rename = "Image",
        default,
        deserialize_with = "crate::serde_util::null_default",
        skip_serializing_if = "String::is_empty"
    )]
    pub image: String,
    /// Object name.
    #[serde(
        rename = "Name",
        default,
        deserialize_with = "crate::serde_util::null_default",
        skip_serializing_if = "String::is_empty"
    )]
    pub name: String,
    /// Network name (network events).
    #[serde(
        rename = "network",
        default,
        deserialize_with = "crate::serde_util::null_default",
        skip_serializing_if = "String::is_empty"
    )]
    pub network: String,
    /// What happened.
    #[serde(rename = "Status")]
    pub status: EventStatus,
    /// When.
    #[serde(rename = "Time")]
    pub time: DateTime<Utc>,
    /// What kind of object.
    #[serde(rename = "Type")]
    pub event_type: EventType,
    /// Health status (health events).
    #[serde(
        rename = "health_status",
        default,
        deserialize_with = "crate::serde_util::null_default",
        skip_serializing_if = "String::is_empty"
    )]
    pub health_status: String,
    /// Pod of the container, if any.
    #[serde(
        rename = "PodID",
        default,
        deserialize_with = "crate::serde_util::null_default",
        skip_serializing_if = "String::is_empty"
    )]
    pub pod_id: String,
    /// Labels of the object (`{}` for containers without labels, `null` for images).
    #[serde(
        rename = "Attributes",
        default,
        deserialize_with = "crate::serde_util::null_default"
    )]
    pub attributes: Option<BTreeMap<String, String>>,
}

impl Event {
    /// A new event of `event_type`/`status`, stamped now, with no details.
    pub fn new(event_type: EventType, status: EventStatus) -> Self {
        let attributes = match event_type {
            EventType::Container | EventType::Pod => Some(BTreeMap::new()),
            _ => None,
        };
        Event {
            container_exit_code: None,
            id: String::new(),
            image: String::new(),
            name: String::new(),
            network: String::new(),
            status,
            time: Utc::now(),
            event_type,
            health_status: String::new(),
            pod_id: String::new(),
            attributes,
        }
    }

    /// A `system` event (e.g. `refresh`, `renumber`, `log-rotation`).
    pub fn system(status: EventStatus, name: impl Into<String>) -> Self {
        let mut e = Event::new(EventType::System, status);
        e.name = name.into();
        e
    }

    /// Podman's one-line human format, as `podman events` prints it.
    pub fn to_human(&self) -> String {
        let t = go_time_string(&self.time);
        let (ty, st) = (&self.event_type, &self.status);
        match self.event_type {
            EventType::Container | EventType::Pod => {
                let mut s = format!(
                    "{t} {ty} {st} {} (image={}, name={}",
                    self.id, self.image, self.name
                );
                if !self.pod_id.is_empty() {
                    s.push_str(&format!(", pod_id={}", self.pod_id));
                }
                if !self.health_status.is_empty() {
                    s.push_str(&format!(", health_status={}", self.health_status));
                }
                for (k, v) in self.attributes.iter().flatten() {
                    s.push_str(&format!(", {k}={v}"));
                }
                s.push(')');
                s
            }
            EventType::Network => format!(
                "{t} {ty} {st} {} (container={}, name={})",
                self.id, self.id, self.network
            ),
            EventType::Image => format!("{t} {ty} {st} {} {}", self.id, self.name),
            EventType::System if self.name.is_empty() => format!("{t} {ty} {st}"),
            EventType::System => format!("{t} {ty} {st} {}", self.name),
            _ => format!("{t} {ty} {st} {}", self.name),
        }
    }
}

/// One filter key.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
enum FilterKey {
    Container,
    Event,
    Image,
    Pod,
    Volume,
    Type,
    Label,
}

/// Parsed `--filter key=value` arguments: values under one key are ORed,
/// different keys are ANDed.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct EventFilter {
    by_key: BTreeMap<FilterKey, Vec<String>>,
}

impl EventFilter {
    /// Parses `key=value` strings. Keys are case-insensitive; `status` is an
    /// alias of `event`. A missing `=` or an unknown key is an error.
    pub fn parse<S: AsRef<str>>(filters: &[S]) -> Result<Self> {
        let mut by_key: BTreeMap<FilterKey, Vec<String>> = BTreeMap::new();
        for f in filters {
            let f = f.as_ref();
            let Some((k, v)) = f.split_once('=') else {
                return Err(Error::msg(format!("{f} is an invalid filter")));
            };
            let key = match k.to_ascii_lowercase().as_str() {
                "container" => FilterKey::Container,
                "event" | "status" => FilterKey::Event,
                "image" => FilterKey::Image,
                "pod" => FilterKey::Pod,
                "volume" => FilterKey::Volume,
                "type" => FilterKey::Type,
                "label" => FilterKey::Label,
                _ => return Err(Error::msg(format!("{k} is an invalid filter"))),
            };
            by_key.entry(key).or_default().push(v.to_string());
        }
        Ok(EventFilter { by_key })
    }

    /// True when no filter was given.
    pub fn is_empty(&self) -> bool {
        self.by_key.is_empty()
    }

    /// True when `e` passes every key (any value per key).
    pub fn matches(&self, e: &Event) -> bool {
        self.by_key
            .iter()
            .all(|(k, vals)| vals.iter().any(|v| matches_one(k, v, e)))
    }
}

fn name_or_id(e: &Event, v: &str) -> bool {
    e.name == v || (!v.is_empty() && e.id.starts_with(v))
}

fn matches_one(k: &FilterKey, v: &str, e: &Event) -> bool {
    match k {
        FilterKey::Container => e.event_type == EventType::Container && name_or_id(e, v),
        FilterKey::Event => e.status.as_str() == v || (v == "die" && e.status == EventStatus::Died),
        FilterKey::Image => e.event_type == EventType::Image && name_or_id(e, v),
        FilterKey::Pod => e.event_type == EventType::Pod && name_or_id(e, v),
        FilterKey::Volume => e.event_type == EventType::Volume && name_or_id(e, v),
        FilterKey::Type => e.event_type.as_str() == v,
        FilterKey::Label => {
            let (lk, lv) = match v.split_once('=') {
                Some((a, b)) => (a, Some(b)),
                None => (v, None),
            };
            match e.attributes.as_ref().and_then(|a| a.get(lk)) {
                Some(val) => lv.is_none_or(|want| val == want),
                None => false,
            }
        }
    }
}

/// What to read from an event log.
#[derive(Debug, Clone, Default)]
pub struct ReadOptions {
    /// Which events.
    pub filter: EventFilter,
    /// Only events at or after this time.
    pub since: Option<DateTime<Utc>>,
    /// Only events at or before this time; with `stream`, stop once it passes.
    pub until: Option<DateTime<Utc>>,
    /// Keep reading new events as they are written (`--stream`).
    pub stream: bool,
    /// Set to stop a streaming read.
    pub stop: Option<Arc<AtomicBool>>,
}

impl ReadOptions {
    /// True when `e` passes the filter and the time window.
    pub fn wants(&self, e: &Event) -> bool {
        self.since.is_none_or(|s| e.time >= s)
            && self.until.is_none_or(|u| e.time <= u)
            && self.filter.matches(e)
    }
}

/// Whether a reader wants more events.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ReadControl {
    /// Keep going.
    Continue,
    /// Stop reading.
    Stop,
}

/// Writes and reads the event log. Object-safe.
pub trait Eventer: Send + Sync + Debug {
    /// The backend's name (`file`, `journald`, `none`).
    fn name(&self) -> &'static str;

    /// Appends one event. Safe against concurrent writers in other processes.
    fn write(&self, event: &Event) -> Result<()>;

    /// Calls `sink` with every stored event that `opts` wants, oldest first;
    /// with `opts.stream`, then waits for new ones until `sink` returns
    /// [`ReadControl::Stop`], `opts.stop` is set, or `opts.until` has passed.
    fn read(
        &self,
        opts: &ReadOptions,
        sink: &mut dyn FnMut(Event) -> Result<ReadControl>,
    ) -> Result<()>;
}

#[cfg(test)]
mod tests {
    use super::*;

    fn died() -> Event {
        let mut e = Event::new(EventType::Container, EventStatus::Died);
        e.id = "92c7eb34e201".into();
        e.name = "rsh-run1".into();
        e.image = "localhost/busybox:latest".into();
        e.container_exit_code = Some(3);
        e
    }

    #[test]
    fn json_uses_podman_field_names() {
        let mut e = died();
        e.time = "2026-11-28T12:40:17.095715935Z".parse().unwrap();
        let s = serde_json::to_string(&e).unwrap();
        assert_eq!(
            s,
            r#"{"ContainerExitCode":3,"ID":"92c7eb34e201","Image":"localhost/busybox:latest","Name":"rsh-run1","Status":"died","Time":"2026-11-28T12:40:17.095715935Z","Type":"container","Attributes":{}}"#
        );
        let back: Event = serde_json::from_str(&s).unwrap();
        assert_eq!(back, e);
        let img = Event::new(EventType::Image, EventStatus::Pull);
        assert!(
            serde_json::to_string(&img)
                .unwrap()
                .ends_with(r#""Attributes":null}"#)
        );
    }

    #[test]
    fn human_format_matches_podman() {
        let mut e = died();
        e.time = "2026-11-28T12:40:17.02606954Z".parse().unwrap();
        e.attributes = Some([("a".to_string(), "b".to_string())].into());
        assert_eq!(
            e.to_human(),
            "2026-11-28 12:40:17.02606954 +0000 UTC container died 92c7eb34e201 (image=localhost/busybox:latest, name=rsh-run1, a=b)"
        );
    }

    #[test]
    fn filters_or_within_and_across_keys() {
        let e = died();
        let f = EventFilter::parse(&["event=start", "event=died"]).unwrap();
        assert!(f.matches(&e));
        let f = EventFilter::parse(&["event=died", "type=image"]).unwrap();
        assert!(!f.matches(&e));
        let f = EventFilter::parse(&["CONTAINER=92c7", "status=died"]).unwrap();
        assert!(f.matches(&e));
        assert!(EventFilter::parse(&["bogus=1"]).is_err());
        let err = EventFilter::parse(&["noequals"]).unwrap_err();
        assert_eq!(err.to_string(), "noequals is an invalid filter");
    }
}
