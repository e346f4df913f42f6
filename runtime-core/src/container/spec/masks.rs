//! The masked and read-only paths of an unprivileged container: Podman's
//! defaults, less what `--security-opt unmask=` names, plus what `mask=`
//! adds.

use super::linux::{MASKED_PATHS, READONLY_PATHS};

/// `unmask=` value that removes every default.
pub const UNMASK_ALL: &str = "ALL";

/// The `(masked, read_only)` paths for a container whose `mask=` options
/// named `mask` and whose `unmask=` options named `unmask`. Unmask entries
/// are shell-style patterns (`*` and `?` stop at `/`) matched against the
/// defaults, or `ALL`; a relative mask path is skipped with an error
/// logged, as Podman does.
pub fn paths(mask: &[String], unmask: &[String]) -> (Vec<String>, Vec<String>) {
    let kept = |defaults: &[&str]| -> Vec<String> {
        defaults
            .iter()
            .filter(|p| {
                !unmask
                    .iter()
                    .any(|u| u == UNMASK_ALL || matches_pattern(u, p))
            })
            .map(|p| p.to_string())
            .collect()
    };
    let mut masked = kept(&MASKED_PATHS);
    let read_only = kept(&READONLY_PATHS);
    for m in mask {
        if !m.starts_with('/') {
            tracing::error!("Path {m:?} is not an absolute path, skipping...");
            continue;
        }
        masked.push(m.clone());
    }
    (masked, read_only)
}

/// Whether `path` matches `pattern`: `*` is any run of characters but `/`,
/// `?` one character but `/`, anything else itself.
fn matches_pattern(pattern: &str, path: &str) -> bool {
    let p: Vec<char> = pattern.chars().collect();
    let s: Vec<char> = path.chars().collect();
    // Positions in `p` and `s`, and where to resume after the last `*`.
    let (mut i, mut j) = (0, 0);
    let mut star: Option<(usize, usize)> = None;
    while j < s.len() {
        match p.get(i) {
            Some('*') => {
                star = Some((i, j));
                i += 1;
            }
            Some('?') if s[j] != '/' => {
                i += 1;
                j += 1;
            }
            Some(c) if *c != '*' && *c != '?' && *c == s[j] => {
                i += 1;
                j += 1;
            }
            _ => match star {
                // Let the last `*` take one more character (never a `/`).
                Some((si, sj)) if s[sj] != '/' => {
                    star = Some((si, sj + 1));
                    i = si + 1;
                    j = sj + 1;
                }
                _ => return false,
            },
        }
    }
    p[i..].iter().all(|c| *c == '*')
}

#[cfg(test)]
mod tests {
    use super::*;

    fn v(s: &[&str]) -> Vec<String> {
        s.iter().map(|x| x.to_string()).collect()
    }

    #[test]
    fn patterns_stop_at_slashes() {
        assert!(matches_pattern("/proc/*", "/proc/kcore"));
        assert!(!matches_pattern("/proc/*", "/sys/firmware"));
        assert!(!matches_pattern("/sys/*", "/sys/fs/selinux"));
        assert!(matches_pattern("/sys/*/selinux", "/sys/fs/selinux"));
        assert!(matches_pattern("/proc/k?ys", "/proc/keys"));
        assert!(matches_pattern("/proc/sys", "/proc/sys"));
        assert!(!matches_pattern("/proc/sys", "/proc/sysrq-trigger"));
    }

    #[test]
    fn unmask_removes_defaults_and_mask_adds() {
        let (m, r) = paths(&[], &v(&[UNMASK_ALL]));
        assert!(m.is_empty() && r.is_empty());
        let (m, r) = paths(&v(&["/tmp/a", "rel"]), &v(&["/proc/kcore", "/proc/sys"]));
        assert!(!m.contains(&"/proc/kcore".to_string()));
        assert_eq!(m.len(), MASKED_PATHS.len());
        assert_eq!(m.last().map(String::as_str), Some("/tmp/a"));
        assert_eq!(
            r,
            v(&[
                "/proc/asound",
                "/proc/bus",
                "/proc/fs",
                "/proc/irq",
                "/proc/sysrq-trigger"
            ])
        );
        let (m, r) = paths(&[], &v(&["/proc/*"]));
        assert_eq!(
            m,
            v(&["/sys/firmware", "/sys/fs/selinux", "/sys/dev/block"])
        );
        assert!(r.is_empty());
    }
}
