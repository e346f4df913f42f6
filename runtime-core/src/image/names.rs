//! How image references relate to the names the store holds: the stored
//! form of a name, the stored name a reference picks, references by ID.

use crate::storage::ImageRecord;

/// The stored form of a name (`x` → `localhost/x:latest`), as messages and
/// events show it.
pub fn normalized_name(name: &str) -> String {
    let (first, _) = name.split_once('/').unwrap_or(("", name));
    let mut full = if first.contains('.') || first.contains(':') || first == "localhost" {
        name.to_string()
    } else {
        format!("localhost/{name}")
    };
    let last = full.rsplit('/').next().unwrap_or("");
    if !last.contains(':') && !full.contains('@') {
        full.push_str(":latest");
    }
    full
}

/// The stored name of `img` that `reference` picked, if it names one: the
/// name itself, its normalized form, or a stored name ending in
/// `/<reference>[:latest]`.
pub fn matched_name(reference: &str, img: &ImageRecord) -> Option<String> {
    if img.names.iter().any(|n| n == reference) {
        return Some(reference.to_string());
    }
    let full = normalized_name(reference);
    if img.names.contains(&full) {
        return Some(full);
    }
    let tagged = if reference
        .rsplit('/')
        .next()
        .is_some_and(|l| l.contains(':'))
    {
        reference.to_string()
    } else {
        format!("{reference}:latest")
    };
    let suffix = format!("/{tagged}");
    img.names.iter().find(|n| n.ends_with(&suffix)).cloned()
}

/// Splits a stored name into repository and tag (`latest` when it has
/// none, `<none>` when it has only a digest).
pub fn split_name(name: &str) -> (String, String) {
    if let Some((repo, _)) = name.split_once('@') {
        return (repo.to_string(), "<none>".to_string());
    }
    let slash = name.rfind('/').map_or(0, |i| i + 1);
    match name[slash..].rfind(':') {
        Some(i) => (
            name[..slash + i].to_string(),
            name[slash + i + 1..].to_string(),
        ),
        None => (name.to_string(), "latest".to_string()),
    }
}

/// True when `reference` names the image `id` by its ID (or an ID prefix,
/// with or without `sha256:`).
pub fn refers_by_id(reference: &str, id: &str) -> bool {
    let r = reference.strip_prefix("sha256:").unwrap_or(reference);
    !r.is_empty() && r.bytes().all(|b| b.is_ascii_hexdigit()) && id.starts_with(r)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_normalize_for_messages() {
        assert_eq!(normalized_name("x"), "localhost/x:latest");
        assert_eq!(normalized_name("bar:v1"), "localhost/bar:v1");
        assert_eq!(normalized_name("quay.io/a/b"), "quay.io/a/b:latest");
        assert_eq!(normalized_name("localhost:5000/x:1"), "localhost:5000/x:1");
    }

    #[test]
    fn references_pick_stored_names() {
        let img = ImageRecord {
            id: "abc".into(),
            names: vec!["localhost/x:latest".into(), "quay.io/y/z:2".into()],
            digest: String::new(),
            top_layer: String::new(),
            created: chrono::Utc::now(),
            size: 0,
            read_only: false,
        };
        assert_eq!(
            matched_name("x", &img).as_deref(),
            Some("localhost/x:latest")
        );
        assert_eq!(matched_name("z:2", &img).as_deref(), Some("quay.io/y/z:2"));
        assert_eq!(matched_name("z", &img), None);
    }

    #[test]
    fn names_split_into_repository_and_tag() {
        assert_eq!(
            split_name("localhost/x:latest"),
            ("localhost/x".into(), "latest".into())
        );
        assert_eq!(
            split_name("localhost:5000/a/b:v1"),
            ("localhost:5000/a/b".into(), "v1".into())
        );
        assert_eq!(
            split_name("quay.io/a@sha256:abc"),
            ("quay.io/a".into(), "<none>".into())
        );
    }

    #[test]
    fn id_references() {
        let id = "404cfa933f9359daa1b471d31cd26a88113ed15e585a9adda6bf59bffd4b8225";
        assert!(refers_by_id("404cfa", id));
        assert!(refers_by_id(&format!("sha256:{id}"), id));
        assert!(!refers_by_id("busybox", id));
        assert!(!refers_by_id("405", id));
    }
}
