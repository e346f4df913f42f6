//! The `--filter` of `system prune`: `label=`, `label!=` and `until=`,
//! applied alike to containers, images and volumes.

use std::collections::BTreeMap;

use chrono::{DateTime, Utc};

use crate::error::{Error, Result};
use crate::image::LabelFilter;

/// Parsed `system prune --filter` values. The default passes everything.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct PruneFilters {
    /// Label filters an object must pass, all of them.
    pub labels: Vec<LabelFilter>,
    /// Only objects created before this time.
    pub until: Option<DateTime<Utc>>,
}

impl PruneFilters {
    /// Parses `key=value` specs; `now` anchors `until=<duration>`. Errors
    /// read as Podman's: a spec without `=`, an unknown key, an `until`
    /// that is neither a time nor a duration.
    pub fn parse(specs: &[String], now: DateTime<Utc>) -> Result<PruneFilters> {
        let mut out = PruneFilters::default();
        for spec in specs {
            let Some((key, value)) = spec.split_once('=') else {
                return Err(Error::msg(format!(
                    "filter input must be in the form of filter=value: {spec} is invalid"
                )));
            };
            match key {
                "label" => out.labels.push(LabelFilter::parse(value, false)),
                "label!" => out.labels.push(LabelFilter::parse(value, true)),
                "until" => {
                    let t = crate::time::parse_input_time(value, now).map_err(|_| {
                        Error::msg(format!(
                            "failed to parse value as time or duration: {value:?}"
                        ))
                    })?;
                    out.until = Some(t);
                }
                _ => return Err(Error::msg(format!("{key} is an invalid filter"))),
            }
        }
        Ok(out)
    }

    /// True when an object with `labels`, created at `created`, passes
    /// every filter.
    pub fn passes(&self, labels: &BTreeMap<String, String>, created: DateTime<Utc>) -> bool {
        self.labels.iter().all(|f| f.passes(labels)) && self.until.is_none_or(|u| created < u)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn specs(s: &[&str]) -> Vec<String> {
        s.iter().map(|x| x.to_string()).collect()
    }

    #[test]
    fn labels_and_until_select_objects() {
        let now = Utc::now();
        let f = PruneFilters::parse(&specs(&["label=tier=web", "until=1h"]), now).unwrap();
        let web: BTreeMap<String, String> = [("tier".to_string(), "web".to_string())].into();
        let old = now - chrono::Duration::hours(2);
        assert!(f.passes(&web, old));
        assert!(!f.passes(&web, now), "created after until");
        assert!(!f.passes(&BTreeMap::new(), old), "label missing");
        let not = PruneFilters::parse(&specs(&["label!=tier"]), now).unwrap();
        assert!(!not.passes(&web, old));
        assert!(not.passes(&BTreeMap::new(), old));
        assert!(PruneFilters::default().passes(&BTreeMap::new(), now));
    }

    #[test]
    fn bad_filters_are_rejected_with_podmans_words() {
        let now = Utc::now();
        let msg = |s: &str| {
            PruneFilters::parse(&specs(&[s]), now)
                .err()
                .map(|e| e.to_string())
                .unwrap_or_default()
        };
        assert!(msg("foo=bar").contains("foo is an invalid filter"));
        assert!(msg("label").contains("filter=value: label is invalid"));
        assert!(msg("until=xyz").contains("failed to parse value as time or duration: \"xyz\""));
    }
}
