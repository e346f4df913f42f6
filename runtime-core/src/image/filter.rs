//! `images --filter`: Podman's image filters, parsed once and applied to
//! [`ImageSummary`] values.

use chrono::{DateTime, Utc};

use super::names::split_name;
use super::prune::LabelFilter;
use super::{ImageSummary, image_summaries};
use crate::error::{Error, Result};
use crate::runtime::Runtime;

/// One image filter (`key=value`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ImageFilter {
    /// `dangling=true|false`: has no name (or has one).
    Dangling(bool),
    /// `reference=PATTERN`: a name, or its familiar forms, matches the glob.
    Reference(String),
    /// `before=IMAGE`: created before that image.
    Before(String),
    /// `since=IMAGE`: created after that image.
    Since(String),
    /// `label=KEY[=VALUE]` (`label!=` negated).
    Label(LabelFilter),
    /// `id=PREFIX`: the ID starts with it (`sha256:` allowed).
    Id(String),
    /// `readonly=true|false`: from an additional read-only store.
    ReadOnly(bool),
    /// `intermediate=true|false`: an untagged parent of another image.
    Intermediate(bool),
    /// `containers=true|false`: containers were made from it.
    Containers(bool),
}

impl ImageFilter {
    /// Parses one filter from its key (lowercase) and value; Podman's
    /// messages for a bad dangling value and an unknown key.
    pub fn parse(key: &str, value: &str) -> Result<ImageFilter> {
        let v = value.to_string();
        Ok(match key {
            "dangling" => match value {
                "true" => ImageFilter::Dangling(true),
                "false" => ImageFilter::Dangling(false),
                _ => {
                    return Err(Error::msg(format!(
                        "invalid dangling filter value {value:?}"
                    )));
                }
            },
            "reference" => ImageFilter::Reference(v),
            "before" => ImageFilter::Before(v),
            "since" => ImageFilter::Since(v),
            "label" => ImageFilter::Label(LabelFilter::parse(value, false)),
            "label!" => ImageFilter::Label(LabelFilter::parse(value, true)),
            "id" => ImageFilter::Id(v),
            "readonly" => ImageFilter::ReadOnly(value == "true"),
            "intermediate" => ImageFilter::Intermediate(value == "true"),
            "containers" => ImageFilter::Containers(value == "true"),
            other => return Err(Error::msg(format!("unsupported image filter {other:?}"))),
        })
    }

    /// True when `image` passes; `created_of` gives the creation time of
    /// the image a `before`/`since` filter names.
    pub fn matches(
        &self,
        image: &ImageSummary,
        created_of: &dyn Fn(&str) -> Result<DateTime<Utc>>,
    ) -> Result<bool> {
        let rec = &image.rec;
        Ok(match self {
            ImageFilter::Dangling(d) => rec.names.is_empty() == *d,
            ImageFilter::Reference(p) => reference_matches(p, &rec.names),
            ImageFilter::Before(other) => rec.created < created_of(other)?,
            ImageFilter::Since(other) => rec.created > created_of(other)?,
            ImageFilter::Label(f) => f.passes(&image.labels),
            ImageFilter::Id(p) => rec.id.starts_with(p.trim_start_matches("sha256:")),
            ImageFilter::ReadOnly(r) => rec.read_only == *r,
            ImageFilter::Intermediate(i) => image.intermediate == *i,
            ImageFilter::Containers(c) => (image.containers > 0) == *c,
        })
    }
}

/// A `*`/`?` glob match.
fn glob(pattern: &[u8], text: &[u8]) -> bool {
    match (pattern.first(), text.first()) {
        (None, None) => true,
        (Some(b'*'), _) => {
            glob(&pattern[1..], text) || (!text.is_empty() && glob(pattern, &text[1..]))
        }
        (Some(b'?'), Some(_)) => glob(&pattern[1..], &text[1..]),
        (Some(p), Some(t)) if p == t => glob(&pattern[1..], &text[1..]),
        _ => false,
    }
}

/// Podman's `reference=` match: a name's repository or its familiar forms
/// (without the registry, without `library/`), with the tag when the
/// pattern has one, matches the glob.
pub fn reference_matches(pattern: &str, names: &[String]) -> bool {
    let has_tag = pattern.rsplit('/').next().is_some_and(|l| l.contains(':'));
    names.iter().any(|n| {
        let (repo, tag) = split_name(n);
        let mut forms = vec![repo.clone()];
        if let Some((_, rest)) = repo.split_once('/') {
            forms.push(rest.to_string());
            if let Some(r) = rest.strip_prefix("library/") {
                forms.push(r.to_string());
            }
        }
        forms.iter().any(|f| {
            let cand = if has_tag {
                format!("{f}:{tag}")
            } else {
                f.clone()
            };
            glob(pattern.as_bytes(), cand.as_bytes())
        })
    })
}

/// Options of `images`.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ImageListOptions {
    /// Show intermediate images too (`-a`).
    pub all: bool,
    /// Filters every image shown passes.
    pub filters: Vec<ImageFilter>,
}

impl Runtime {
    /// The images `opts` selects, newest first.
    pub fn list_images(&self, opts: &ImageListOptions) -> Result<Vec<ImageSummary>> {
        let store = self.storage_or_err()?;
        let created_of = |name: &str| store.lookup_image(name).map(|i| i.created);
        let mut out = Vec::new();
        for image in image_summaries(store)? {
            if !opts.all && image.intermediate {
                continue;
            }
            let mut keep = true;
            for f in &opts.filters {
                if !f.matches(&image, &created_of)? {
                    keep = false;
                    break;
                }
            }
            if keep {
                out.push(image);
            }
        }
        out.sort_by_key(|i| std::cmp::Reverse(i.rec.created));
        Ok(out)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::storage::ImageRecord;

    #[test]
    fn references_match_familiar_names() {
        let names = vec![
            "localhost/myimg:latest".to_string(),
            "docker.io/library/alpine:3".to_string(),
        ];
        assert!(reference_matches("myimg", &names));
        assert!(reference_matches("localhost/myimg", &names));
        assert!(reference_matches("alpine:3", &names));
        assert!(reference_matches("alp*", &names));
        assert!(!reference_matches("alpine:4", &names));
        assert!(!reference_matches("other", &names));
    }

    #[test]
    fn filters_parse_and_match() {
        let image = ImageSummary {
            rec: ImageRecord {
                id: "abcdef".into(),
                names: vec!["localhost/web:1".into()],
                digest: String::new(),
                top_layer: String::new(),
                created: Utc::now(),
                size: 0,
                read_only: false,
            },
            labels: [("tier".to_string(), "web".to_string())].into(),
            parent: String::new(),
            intermediate: false,
            containers: 2,
        };
        let never = |_: &str| -> Result<DateTime<Utc>> { Err(Error::msg("unused")) };
        let check = |k: &str, v: &str| {
            ImageFilter::parse(k, v)
                .and_then(|f| f.matches(&image, &never))
                .unwrap()
        };
        assert!(check("dangling", "false"));
        assert!(!check("dangling", "true"));
        assert!(check("id", "sha256:abc"));
        assert!(check("label", "tier=web"));
        assert!(!check("label!", "tier"));
        assert!(check("containers", "true"));
        assert!(check("reference", "web:1"));
        let e = ImageFilter::parse("dangling", "maybe").unwrap_err();
        assert_eq!(e.to_string(), "invalid dangling filter value \"maybe\"");
        let e = ImageFilter::parse("colour", "x").unwrap_err();
        assert_eq!(e.to_string(), "unsupported image filter \"colour\"");
    }
}
