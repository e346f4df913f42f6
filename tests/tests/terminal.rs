//! `run -it` in a real terminal (tmux): raw mode, the window size and its
//! changes reach the container, and the exit code comes back.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    reason = "test code: a failed unwrap is a failed test"
)]

use std::process::Command;
use std::time::Duration;

use rpod_tests::{TestEnv, rpod_bin};

fn tmux(socket: &str, args: &[&str]) -> String {
    let out = Command::new("tmux")
        .arg("-L")
        .arg(socket)
        .args(args)
        .output()
        .unwrap();
    String::from_utf8_lossy(&out.stdout).into_owned()
}

/// Kills the test's tmux server however the test ends.
struct Server(String);

impl Drop for Server {
    fn drop(&mut self) {
        tmux(&self.0, &["kill-server"]);
    }
}

#[test]
fn interactive_terminal_sessions_behave_like_podmans() {
    let env = TestEnv::new();
    let rootfs = env.busybox_rootfs();
    let socket = format!("rpod-test-{}", std::process::id());
    let mut cmd = format!(
        "env CONTAINERS_CONF={} CONTAINERS_STORAGE_CONF={} {}",
        env.path("containers.conf").display(),
        env.path("storage.conf").display(),
        rpod_bin().display()
    );
    env.rpod(&["info", "--format", "{{.Host.Os}}"]).ok(); // writes storage.conf
    for g in env.globals() {
        cmd.push(' ');
        cmd.push_str(&g);
    }
    cmd.push_str(&format!(
        " run --rm -it --rootfs {} sh; echo EXITED $?; sleep 30",
        rootfs.display()
    ));
    tmux(
        &socket,
        &[
            "new-session",
            "-d",
            "-s",
            "t",
            "-x",
            "100",
            "-y",
            "30",
            &cmd,
        ],
    );
    let _server = Server(socket.clone());
    let screen = || tmux(&socket, &["capture-pane", "-p", "-t", "t"]);
    let wait_for = |needle: &str| {
        for _ in 0..300 {
            if screen().contains(needle) {
                return true;
            }
            std::thread::sleep(Duration::from_millis(100));
        }
        false
    };
    assert!(wait_for("/ #"), "no prompt: {}", screen());
    tmux(
        &socket,
        &[
            "send-keys",
            "-t",
            "t",
            "stty size; echo sum-$((1+2))",
            "Enter",
        ],
    );
    assert!(wait_for("sum-3"), "{}", screen());
    assert!(screen().contains("30 100"), "initial size: {}", screen());
    // Raw mode: the line appears once (echoed by the container's terminal only).
    assert_eq!(
        screen().matches("stty size; echo").count(),
        1,
        "{}",
        screen()
    );
    tmux(
        &socket,
        &["resize-window", "-t", "t", "-x", "80", "-y", "20"],
    );
    std::thread::sleep(Duration::from_millis(500));
    tmux(&socket, &["send-keys", "-t", "t", "stty size", "Enter"]);
    assert!(wait_for("20 80"), "resize: {}", screen());
    tmux(&socket, &["send-keys", "-t", "t", "exit 4", "Enter"]);
    assert!(wait_for("EXITED 4"), "{}", screen());
}
