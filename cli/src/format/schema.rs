//! The Go types behind a command's template data.
//!
//! Podman executes `--format` against Go values. A field that a struct
//! does not have is an execution error (`can't evaluate field Typo in type
//! containers.psReporter`), while a key missing from a map prints
//! `<no value>`. rpod's data is JSON, which cannot tell the two apart, so
//! each command describes its data with a [`Schema`]: the Go type of one
//! item and of the nested values it knows. A value at a position the
//! schema does not name keeps the lenient map behaviour, so only what is
//! described can turn into an error.

/// Where a value sits in the data: a dotted path of Go field names from
/// one item (`""` is the item itself, `Config.Labels` a nested field,
/// `Mounts[]` an element of `Mounts`), or the whole list of items.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum At {
    /// The list of items a wrapped template ranges over.
    List,
    /// A position inside one item.
    Path(String),
}

impl At {
    /// The position of field `name` of a value here.
    pub(crate) fn field(&self, name: &str) -> At {
        match self {
            At::List => At::Path(format!("[].{name}")),
            At::Path(p) if p.is_empty() => At::Path(name.to_string()),
            At::Path(p) => At::Path(format!("{p}.{name}")),
        }
    }

    /// The position of an element (of a slice or map) here.
    pub(crate) fn element(&self) -> At {
        match self {
            At::List => At::Path(String::new()),
            At::Path(p) => At::Path(format!("{p}[]")),
        }
    }
}

/// The Go types of a command's template data.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Schema {
    /// Go type of one item, as Go prints it (`containers.psReporter`,
    /// `*define.Version`, `interface {}` for inspect's list elements).
    pub root: &'static str,
    /// Go types of known nested values by path from an item (see [`At`]):
    /// `("Config", "*define.InspectContainerConfig")`, `("Labels",
    /// "map[string]string")`. Names compare ignoring ASCII case, as field
    /// lookup does.
    pub fields: &'static [(&'static str, &'static str)],
    /// The fields of the item's Go struct, promoted ones included, when
    /// known (empty otherwise). Podman heads a table column with the
    /// field's name (`CreatedAt` → `CREATED AT`) or an override; a name
    /// that is not a field (a method, a typo) heads it with `<no value>`.
    pub struct_fields: &'static [&'static str],
}

/// How field access on a value behaves.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Shape<'s> {
    /// Nothing known: objects behave as maps (a missing key is null).
    Unknown,
    /// A Go map: a missing key is null.
    Map,
    /// Any other Go type, by name: a struct's missing field is an error,
    /// and so is a field of a non-struct.
    Named(&'s str),
}

impl Schema {
    /// Whether `name` is a field of the item's struct: `None` when the
    /// schema does not list them.
    pub(crate) fn has_struct_field(&self, name: &str) -> Option<bool> {
        (!self.struct_fields.is_empty()).then(|| {
            self.struct_fields
                .iter()
                .any(|f| f.eq_ignore_ascii_case(name))
        })
    }

    /// What is known about the value at `at`.
    pub(crate) fn shape(&self, at: &At) -> Shape<'static> {
        let path = match at {
            At::List => return Shape::Unknown,
            At::Path(p) if p.is_empty() => return Shape::Named(self.root),
            At::Path(p) => p,
        };
        match self
            .fields
            .iter()
            .find(|(p, _)| p.eq_ignore_ascii_case(path))
        {
            Some((_, t)) if t.starts_with("map[") => Shape::Map,
            Some((_, t)) => Shape::Named(t),
            None => Shape::Unknown,
        }
    }
}

/// `podman ps` rows.
pub const PS: Schema = Schema {
    root: "containers.psReporter",
    fields: &[
        ("Labels", "map[string]string"),
        ("Created", "time.Time"),
        ("Mounts", "[]string"),
        ("Networks", "[]string"),
        ("Names", "string"),
        ("ExitCode", "int32"),
        ("ExitedAt", "int64"),
        ("StartedAt", "int64"),
        ("Pid", "int"),
        ("Exited", "bool"),
        ("IsInfra", "bool"),
    ],
    struct_fields: &[
        "AutoRemove",
        "Command",
        "Created",
        "CreatedAt",
        "Exited",
        "ExitedAt",
        "ExitCode",
        "ID",
        "Image",
        "ImageID",
        "IsInfra",
        "Labels",
        "Mounts",
        "Names",
        "Namespaces",
        "Networks",
        "Pid",
        "Pod",
        "PodName",
        "Ports",
        "Size",
        "StartedAt",
        "State",
        "Status",
    ],
};

/// `podman images` rows.
pub const IMAGES: Schema = Schema {
    root: "images.imageReporter",
    fields: &[("Labels", "map[string]string"), ("Names", "[]string")],
    struct_fields: &[
        "Repository",
        "Tag",
        "ID",
        "ParentId",
        "RepoTags",
        "RepoDigests",
        "Created",
        "Size",
        "SharedSize",
        "VirtualSize",
        "Labels",
        "Containers",
        "ReadOnly",
        "Dangling",
        "Names",
        "Digest",
        "History",
    ],
};

/// `podman network ls` rows (Podman's `ListPrintReports`).
pub const NETWORKS: Schema = Schema {
    root: "network.ListPrintReports",
    fields: &[
        ("Options", "map[string]string"),
        ("IPAMOptions", "map[string]string"),
    ],
    struct_fields: &[
        "Name",
        "ID",
        "Driver",
        "NetworkInterface",
        "Created",
        "Subnets",
        "IPv6Enabled",
        "Internal",
        "DNSEnabled",
        "Labels",
        "Options",
        "IPAMOptions",
    ],
};

/// `podman network inspect` records (libnetwork's `Network`).
pub const NETWORK_INSPECT: Schema = Schema {
    root: "types.Network",
    fields: &[
        ("Labels", "map[string]string"),
        ("Options", "map[string]string"),
        ("IPAMOptions", "map[string]string"),
    ],
    struct_fields: &[
        "Name",
        "ID",
        "Driver",
        "NetworkInterface",
        "Created",
        "Subnets",
        "IPv6Enabled",
        "Internal",
        "DNSEnabled",
        "Labels",
        "Options",
        "IPAMOptions",
    ],
};

/// `podman history` rows.
pub const HISTORY: Schema = Schema {
    root: "images.historyReporter",
    fields: &[("Tags", "[]string")],
    struct_fields: &["ID", "Created", "CreatedBy", "Tags", "Size", "Comment"],
};

/// `podman system df` rows.
pub const DF: Schema = Schema {
    root: "*system.dfSummary",
    fields: &[],
    struct_fields: &[],
};

/// `podman events` entries.
pub const EVENTS: Schema = Schema {
    root: "*events.Event",
    fields: &[("Attributes", "map[string]string")],
    struct_fields: &[],
};

/// `podman info`.
pub const INFO: Schema = Schema {
    root: "*define.Info",
    fields: &[
        ("Host", "*define.HostInfo"),
        ("Store", "*define.StoreInfo"),
        ("Registries", "map[string]interface {}"),
        ("Plugins", "define.Plugins"),
        ("Version", "define.Version"),
        ("Host.Security", "define.SecurityInfo"),
        ("Host.Distribution", "define.DistributionInfo"),
        ("Host.IdMappings", "define.IDMappings"),
        ("Host.Slirp4NetNS", "define.SlirpInfo"),
        ("Store.GraphOptions", "map[string]interface {}"),
        ("Store.GraphStatus", "map[string]string"),
        ("Store.ContainerStore", "define.ContainerStore"),
        ("Store.ImageStore", "define.ImageStore"),
    ],
    struct_fields: &[],
};

/// `podman version`'s report (`.Client.Version`).
pub const VERSION_REPORT: Schema = Schema {
    root: "entities.SystemVersionReport",
    fields: &[("Client", "*define.Version"), ("Server", "*define.Version")],
    struct_fields: &[],
};

/// `podman version`'s client version (`.Version`), what Podman retries a
/// template on when it fails on the report.
pub const VERSION: Schema = Schema {
    root: "*define.Version",
    fields: &[],
    struct_fields: &[],
};

/// `podman container inspect` elements. Only types whose fields rpod's
/// report has in full are named (`Config` lacks only Podman's
/// `HealthcheckOnFailureAction`).
pub const CONTAINER_INSPECT: Schema = Schema {
    root: "interface {}",
    fields: &[
        ("Config", "*define.InspectContainerConfig"),
        ("Config.Labels", "map[string]string"),
        ("Config.Annotations", "map[string]string"),
        ("Config.Env", "[]string"),
        ("State", "*define.InspectContainerState"),
        ("State.Health", "define.HealthCheckResults"),
        // `HostConfig`, `NetworkSettings` and the elements of `Mounts` stay
        // undescribed (lenient): rpod's report lacks some of their fields
        // (ShmSize, Dns..., Networks), which must not turn into errors.
        (
            "NetworkSettings.Ports",
            "map[string][]define.InspectHostPort",
        ),
        ("GraphDriver", "*define.DriverData"),
        ("GraphDriver.Data", "map[string]string"),
        ("Mounts", "[]define.InspectMount"),
        ("Args", "[]string"),
        ("Created", "time.Time"),
    ],
    struct_fields: &[],
};

/// `podman image inspect` elements.
pub const IMAGE_INSPECT: Schema = Schema {
    root: "interface {}",
    fields: &[
        ("Config", "*v1.ImageConfig"),
        ("Config.Labels", "map[string]string"),
        ("Config.ExposedPorts", "map[string]struct {}"),
        ("Config.Volumes", "map[string]struct {}"),
        ("Config.Env", "[]string"),
        ("Labels", "map[string]string"),
        ("Annotations", "map[string]string"),
        ("RootFS", "*inspect.RootFS"),
        ("GraphDriver", "*define.DriverData"),
        ("GraphDriver.Data", "map[string]string"),
        ("RepoTags", "[]string"),
        ("RepoDigests", "[]string"),
        ("Created", "*time.Time"),
    ],
    struct_fields: &[],
};

/// `podman volume ls` rows (`*entities.VolumeListReport`, which embeds
/// the inspect data) and `volume inspect` records.
pub const VOLUME: Schema = Schema {
    root: "*entities.VolumeListReport",
    fields: &[
        ("Labels", "map[string]string"),
        ("Options", "map[string]string"),
        ("CreatedAt", "time.Time"),
        ("MountCount", "uint"),
        ("UID", "int"),
        ("GID", "int"),
    ],
    struct_fields: &[
        "Anonymous",
        "CreatedAt",
        "Driver",
        "GID",
        "Labels",
        "MountCount",
        "Mountpoint",
        "Name",
        "NeedsChown",
        "NeedsCopyUp",
        "Options",
        "Scope",
        "Status",
        "StorageID",
        "Timeout",
        "UID",
        "VolumeConfigResponse",
    ],
};

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn positions_and_shapes() {
        let item = At::Path(String::new());
        assert_eq!(At::List.element(), item);
        assert_eq!(
            item.field("Config").field("Labels"),
            At::Path("Config.Labels".into())
        );
        assert_eq!(item.field("Mounts").element(), At::Path("Mounts[]".into()));
        assert_eq!(CONTAINER_INSPECT.shape(&item), Shape::Named("interface {}"));
        assert_eq!(
            CONTAINER_INSPECT.shape(&At::Path("config.labels".into())),
            Shape::Map
        );
        assert_eq!(
            CONTAINER_INSPECT.shape(&At::Path("State".into())),
            Shape::Named("*define.InspectContainerState")
        );
        assert_eq!(
            CONTAINER_INSPECT.shape(&At::Path("Nope".into())),
            Shape::Unknown
        );
        assert_eq!(PS.shape(&At::List), Shape::Unknown);
    }
}
