//! `--db-backend boltdb` end to end, and `system migrate --migrate-db`.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    reason = "test code: a failed unwrap is a failed test"
)]

use rpod_tests::TestEnv;

#[test]
fn boltdb_runs_containers_and_migrates_to_sqlite() {
    let env = TestEnv::new();
    let rootfs = env.busybox_rootfs().to_string_lossy().into_owned();
    let bolt = ["--db-backend", "boltdb"];
    let run = env.rpod(
        &[
            &bolt[..],
            &[
                "run",
                "--rm",
                "--rootfs",
                &rootfs,
                "sh",
                "-c",
                "echo via bolt; exit 2",
            ],
        ]
        .concat(),
    );
    assert_eq!(run.code, 2, "{}", run.stderr);
    assert_eq!(run.stdout, "via bolt\n");
    env.rpod(
        &[
            &bolt[..],
            &["create", "--name", "keep1", "--rootfs", &rootfs, "true"],
        ]
        .concat(),
    )
    .ok();
    env.rpod(
        &[
            &bolt[..],
            &[
                "run", "--name", "keep2", "--rootfs", &rootfs, "sh", "-c", "exit 6",
            ],
        ]
        .concat(),
    );
    assert!(env.path("root/libpod/bolt_state.db").exists());
    let info = env
        .rpod(
            &[
                &bolt[..],
                &["info", "--format", "{{.Host.DatabaseBackend}}"],
            ]
            .concat(),
        )
        .ok();
    assert_eq!(info.stdout, "boltdb\n");

    let migrate = env.rpod(&["system", "migrate", "--migrate-db"]);
    assert_eq!(migrate.code, 0, "{}", migrate.stderr);
    assert_eq!(
        migrate.stdout,
        "Migrated 2 containers from BoltDB to SQLite\n"
    );
    assert!(!env.path("root/libpod/bolt_state.db").exists());
    assert!(env.path("root/libpod/bolt_state.db-old").exists());
    let ps = env
        .rpod(&[
            "ps",
            "-a",
            "--sort",
            "names",
            "--format",
            "{{.Names}} {{.Status}}",
        ])
        .ok();
    let lines: Vec<&str> = ps.stdout.lines().collect();
    assert_eq!(lines.len(), 2, "{}", ps.stdout);
    assert_eq!(lines[0], "keep1 Created");
    assert!(lines[1].starts_with("keep2 Exited (6) "), "{}", ps.stdout);
    // The migrated containers work.
    let start = env.rpod(&["start", "--attach", "keep2"]);
    assert_eq!(start.code, 6, "{}", start.stderr);
    // A second migration has nothing to migrate and the SQLite state is not empty.
    let again = env.rpod(&["system", "migrate", "--migrate-db"]);
    assert_eq!(again.code, 125);
    assert!(
        again
            .stderr
            .starts_with("Error: the SQLite state is not empty"),
        "{}",
        again.stderr
    );
}
