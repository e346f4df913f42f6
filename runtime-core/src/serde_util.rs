//! Serde helpers for reading JSON that Go wrote.

use serde::{Deserialize, Deserializer};

/// Deserializes `null` as the type's default: Go writes `null` for empty
/// slices and maps, which `#[serde(default)]` alone does not accept.
pub fn null_default<'de, D, T>(d: D) -> Result<T, D::Error>
where
    D: Deserializer<'de>,
    T: Default + Deserialize<'de>,
{
    Ok(Option::<T>::deserialize(d)?.unwrap_or_default())
}

#[cfg(test)]
mod tests {
    use serde::Deserialize;

    #[derive(Deserialize)]
    struct T {
        #[serde(default, deserialize_with = "super::null_default")]
        v: Vec<String>,
    }

    #[test]
    fn null_is_empty() {
        let t: T = serde_json::from_str(r#"{"v": null}"#).unwrap();
        assert!(t.v.is_empty());
        let t: T = serde_json::from_str(r#"{}"#).unwrap();
        assert!(t.v.is_empty());
        let t: T = serde_json::from_str(r#"{"v": ["a"]}"#).unwrap();
        assert_eq!(t.v, ["a"]);
    }
}
