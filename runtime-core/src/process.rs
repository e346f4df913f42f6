//! Process identity: a PID plus the process's start time, so a PID the
//! kernel has handed to another process since is never taken for the
//! container's (or conmon's) process.

/// The start time of process `pid` in clock ticks since boot (field 22 of
/// `/proc/PID/stat`), or `None` when there is no such process.
pub fn start_ticks(pid: i32) -> Option<u64> {
    if pid <= 0 {
        return None;
    }
    let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).ok()?;
    parse_start_ticks(&stat)
}

/// Field 22 (`starttime`) of a `/proc/PID/stat` line. The command name in
/// field 2 may hold spaces and parentheses, so fields are counted from the
/// last `)`.
fn parse_start_ticks(stat: &str) -> Option<u64> {
    let rest = stat.get(stat.rfind(')')? + 1..)?;
    // After the name: field 3 (state) is the first; starttime is field 22.
    rest.split_whitespace().nth(22 - 3)?.parse().ok()
}

/// True while the process that had PID `pid` and start time `ticks` still
/// runs. With `ticks` 0 (recorded by an older rpod, or unknown) any
/// process with that PID counts.
pub fn is_alive(pid: i32, ticks: u64) -> bool {
    match start_ticks(pid) {
        None => false,
        Some(now) => ticks == 0 || now == ticks,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn start_time_is_read_past_odd_command_names() {
        let line = "4242 (a) b (c)) S 1 4242 4242 0 -1 4194560 100 0 0 0 1 2 0 0 20 0 1 0 987654 1000 100 18446744073709551615";
        assert_eq!(parse_start_ticks(line), Some(987_654));
        assert_eq!(parse_start_ticks("garbage"), None);
    }

    #[test]
    fn a_pid_with_another_start_time_is_not_alive() {
        let me = std::process::id() as i32;
        let t = start_ticks(me).unwrap();
        assert!(is_alive(me, t));
        assert!(is_alive(me, 0));
        assert!(!is_alive(me, t + 1), "a reused PID must not count");
        // A child that exited and was reaped: gone.
        let mut child = std::process::Command::new("true").spawn().unwrap();
        let pid = child.id() as i32;
        child.wait().unwrap();
        assert!(!is_alive(pid, 0) || start_ticks(pid).is_some());
    }
}
