//! Signal names and numbers as Podman accepts them: `TERM`, `SIGTERM`,
//! `sigterm`, `15`, and the real-time signals `RTMIN+3`, `SIGRTMAX-2`.

/// The number of signal `s` (a name, with or without `SIG`, in any case,
/// or a number from 1 to 64), or `None` when it names no signal.
pub fn signal_number(s: &str) -> Option<i32> {
    if let Ok(n) = s.parse::<i32>() {
        return (1..=64).contains(&n).then_some(n);
    }
    let upper = s.to_ascii_uppercase();
    let name = upper.strip_prefix("SIG").unwrap_or(&upper);
    if let Some(n) = realtime(name) {
        return Some(n);
    }
    format!("SIG{name}")
        .parse::<nix::sys::signal::Signal>()
        .ok()
        .map(|sig| sig as i32)
}

/// `RTMIN`, `RTMIN+N`, `RTMAX`, `RTMAX-N`, within the real-time range.
fn realtime(name: &str) -> Option<i32> {
    let (min, max) = (libc::SIGRTMIN(), libc::SIGRTMAX());
    let n = if let Some(rest) = name.strip_prefix("RTMIN") {
        min + offset(rest, '+')?
    } else if let Some(rest) = name.strip_prefix("RTMAX") {
        max - offset(rest, '-')?
    } else {
        return None;
    };
    (min..=max).contains(&n).then_some(n)
}

/// `""` is 0; `"+3"` (with `sign`) is 3; anything else is not an offset.
fn offset(rest: &str, sign: char) -> Option<i32> {
    if rest.is_empty() {
        return Some(0);
    }
    rest.strip_prefix(sign)?
        .parse::<i32>()
        .ok()
        .filter(|n| *n >= 0)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_numbers_and_realtime_signals() {
        assert_eq!(signal_number("TERM"), Some(15));
        assert_eq!(signal_number("sigkill"), Some(9));
        assert_eq!(signal_number("SIGHUP"), Some(1));
        assert_eq!(signal_number("2"), Some(2));
        assert_eq!(signal_number("64"), Some(64));
        let min = libc::SIGRTMIN();
        assert_eq!(signal_number("RTMIN"), Some(min));
        assert_eq!(signal_number("rtmin+3"), Some(min + 3));
        assert_eq!(signal_number("SIGRTMIN+3"), Some(min + 3));
        assert_eq!(signal_number("RTMAX-1"), Some(libc::SIGRTMAX() - 1));
    }

    #[test]
    fn what_is_not_a_signal() {
        for bad in [
            "", "NOPE", "0", "65", "-9", "99", "RTMIN-1", "RTMAX+1", "RTMIN+x", "RTMIN+99", "SIG",
        ] {
            assert_eq!(signal_number(bad), None, "{bad:?}");
        }
    }
}
