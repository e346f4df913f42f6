//! Networking end to end: network commands, containers on real bridges
//! (netavark, veths, iptables), a published port answering a real HTTP
//! request from the host, name resolution through aardvark-dns, and no
//! leftovers after many cycles.
//!
//! Every test uses its own network names, subnets (10.201.<test>.0/24) and
//! bridge names (`rpt<test>`), and its environment's own network config
//! and run directories, so tests never touch the machine's networks.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::io::{Read, Write};
use std::net::{TcpListener, TcpStream};
use std::path::PathBuf;

use rpod_tests::TestEnv;

/// A busybox root filesystem with the network applets and a web page.
fn net_rootfs(env: &TestEnv) -> String {
    let root = env.busybox_rootfs();
    for applet in ["httpd", "wget", "nslookup", "ip", "ping"] {
        std::os::unix::fs::symlink("busybox", root.join("bin").join(applet)).unwrap();
    }
    std::fs::create_dir_all(root.join("www")).unwrap();
    std::fs::write(root.join("www/index.html"), "hello from rpod\n").unwrap();
    root.to_string_lossy().into_owned()
}

/// A port nothing listens on right now.
fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

/// GET / from the host; retried while the server in the container starts
/// (bounded by attempts, not by time).
fn http_get(port: u16) -> String {
    let mut last = String::new();
    for _ in 0..100 {
        match TcpStream::connect(("127.0.0.1", port)) {
            Ok(mut s) => {
                s.write_all(b"GET / HTTP/1.0\r\nHost: localhost\r\n\r\n")
                    .unwrap();
                let mut body = String::new();
                if s.read_to_string(&mut body).is_ok() && body.contains("200 OK") {
                    return body;
                }
                last = body;
            }
            Err(e) => last = e.to_string(),
        }
        std::thread::sleep(std::time::Duration::from_millis(50));
    }
    panic!("no HTTP answer on port {port}: {last}");
}

fn create_network(env: &TestEnv, name: &str, n: u8, extra: &[&str]) {
    let subnet = format!("10.201.{n}.0/24");
    let iface = format!("rpt{n}");
    let mut args = vec![
        "network",
        "create",
        "--subnet",
        &subnet,
        "--interface-name",
        &iface,
    ];
    args.extend_from_slice(extra);
    args.push(name);
    let r = env.rpod(&args).ok();
    assert_eq!(r.stdout, format!("{name}\n"));
}

/// Host-side veths enslaved to bridge `iface`.
fn veths_on(iface: &str) -> usize {
    std::fs::read_dir(format!("/sys/class/net/{iface}/brif"))
        .map(|d| d.count())
        .unwrap_or(0)
}

/// Firewall rules that mention `needle`.
fn rules_with(needle: &str) -> usize {
    let out = std::process::Command::new("iptables-save")
        .output()
        .expect("iptables-save is installed");
    String::from_utf8_lossy(&out.stdout)
        .lines()
        .filter(|l| l.contains(needle))
        .count()
}

fn netns_files(env: &TestEnv) -> usize {
    std::fs::read_dir(env.path("tmp/netns"))
        .map(|d| d.count())
        .unwrap_or(0)
}

fn leases(env: &TestEnv) -> String {
    std::fs::read_to_string(env.path("netrun/rpod-ipam.json")).unwrap_or_default()
}

#[test]
fn network_commands_behave_as_podmans() {
    let env = TestEnv::new();
    // The default network exists in memory only.
    let ls = env.rpod(&["network", "ls"]).ok();
    assert!(ls.stdout.starts_with("NETWORK ID    NAME"), "{}", ls.stdout);
    assert!(ls.stdout.contains("2f259bab93aa  podman"), "{}", ls.stdout);
    assert!(!env.path("networks/podman.json").exists());

    create_network(
        &env,
        "rpt-cmd",
        20,
        &[
            "--gateway",
            "10.201.20.254",
            "--ip-range",
            "10.201.20.128/25",
            "--label",
            "team=net",
            "--internal",
        ],
    );
    let def: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(env.path("networks/rpt-cmd.json")).unwrap())
            .unwrap();
    assert_eq!(def["subnets"][0]["gateway"], "10.201.20.254");
    assert_eq!(
        def["subnets"][0]["lease_range"]["start_ip"],
        "10.201.20.129"
    );
    assert_eq!(def["internal"], true);
    assert_eq!(def["dns_enabled"], true);
    assert_eq!(def["network_interface"], "rpt20");
    assert_eq!(def["labels"]["team"], "net");

    let q = env.rpod(&["network", "ls", "-q"]).ok();
    assert_eq!(q.stdout, "podman\nrpt-cmd\n");
    let f = env
        .rpod(&[
            "network",
            "ls",
            "--filter",
            "label=team=net",
            "--format",
            "{{.Name}} {{.Driver}} {{.Labels}}",
        ])
        .ok();
    assert_eq!(f.stdout, "rpt-cmd bridge team=net\n");
    let insp = env
        .rpod(&[
            "network",
            "inspect",
            "rpt-cmd",
            "--format",
            "{{.NetworkInterface}} {{.Internal}}",
        ])
        .ok();
    assert_eq!(insp.stdout, "rpt20 true\n");
    let json = env.rpod(&["network", "inspect", "rpt-cmd"]).ok();
    let v: serde_json::Value = serde_json::from_str(&json.stdout).unwrap();
    assert_eq!(v[0]["name"], "rpt-cmd");
    assert_eq!(v[0]["id"], def["id"]);

    assert_eq!(env.rpod(&["network", "exists", "rpt-cmd"]).code, 0);
    assert_eq!(env.rpod(&["network", "exists", "rpt-nope"]).code, 1);

    // Bad input: each a clear error, nothing written.
    let dup = env.rpod(&["network", "create", "--subnet", "10.201.21.0/24", "rpt-cmd"]);
    assert_eq!(dup.code, 125);
    assert!(
        dup.stderr.contains("network already exists"),
        "{}",
        dup.stderr
    );
    let overlap = env.rpod(&["network", "create", "--subnet", "10.201.20.0/25", "rpt-ov"]);
    assert_eq!(overlap.code, 125);
    assert!(
        overlap.stderr.contains("already used"),
        "{}",
        overlap.stderr
    );
    let bad_cidr = env.rpod(&["network", "create", "--subnet", "10.201.22.0/33", "rpt-bad"]);
    assert_eq!(bad_cidr.code, 125, "{}", bad_cidr.stderr);
    let bad_name = env.rpod(&["network", "create", "--subnet", "10.201.22.0/24", "../x"]);
    assert_eq!(bad_name.code, 125);
    assert!(
        bad_name.stderr.contains("names must match"),
        "{}",
        bad_name.stderr
    );
    for n in ["rpt-ov", "rpt-bad"] {
        assert!(!env.path(&format!("networks/{n}.json")).exists());
    }

    let missing = env.rpod(&["network", "rm", "rpt-nope"]);
    assert_eq!(missing.code, 1);
    assert!(
        missing.stderr.contains("network not found"),
        "{}",
        missing.stderr
    );
    let default = env.rpod(&["network", "rm", "podman"]);
    assert_eq!(default.code, 125);

    // A network in use is kept without -f; -f removes its containers.
    let rootfs = net_rootfs(&env);
    env.rpod(&[
        "create",
        "--name",
        "user",
        "--network",
        "rpt-cmd",
        "--rootfs",
        &rootfs,
        "true",
    ])
    .ok();
    let busy = env.rpod(&["network", "rm", "rpt-cmd"]);
    assert_eq!(busy.code, 125);
    assert!(
        busy.stderr.contains("network is being used"),
        "{}",
        busy.stderr
    );
    create_network(&env, "rpt-unused", 23, &[]);
    let pruned = env.rpod(&["network", "prune", "-f"]).ok();
    assert_eq!(pruned.stdout, "rpt-unused\n");
    env.rpod(&["network", "rm", "-f", "rpt-cmd"]).ok();
    assert_eq!(env.rpod(&["container", "exists", "user"]).code, 1);
    assert_eq!(env.rpod(&["network", "ls", "-q"]).ok().stdout, "podman\n");

    // system reset removes networks too.
    create_network(&env, "rpt-reset", 24, &[]);
    env.rpod(&["system", "reset", "-f"]).ok();
    assert_eq!(env.rpod(&["network", "ls", "-q"]).ok().stdout, "podman\n");
}

#[test]
fn a_published_port_answers_http_from_the_host() {
    let env = TestEnv::new();
    let rootfs = net_rootfs(&env);
    create_network(&env, "rpt-web", 30, &[]);
    let port = free_port();
    let publish = format!("127.0.0.1:{port}:80");
    env.rpod(&[
        "run",
        "-d",
        "--name",
        "web",
        "--network",
        "rpt-web",
        "-p",
        &publish,
        "-p",
        "127.0.0.1::8080",
        "--rootfs",
        &rootfs,
        "httpd",
        "-f",
        "-p",
        "80",
        "-h",
        "/www",
    ])
    .ok();
    assert_eq!(veths_on("rpt30"), 1, "one veth on the bridge");
    assert_eq!(netns_files(&env), 1);
    let body = http_get(port);
    assert!(body.ends_with("hello from rpod\n"), "{body}");
    assert!(
        rules_with(&format!("--dport {port} ")) > 0,
        "a DNAT rule for the port"
    );

    let ports = env.rpod(&["port", "web"]).ok().stdout;
    let lines: Vec<&str> = ports.lines().collect();
    assert_eq!(lines[0], format!("80/tcp -> 127.0.0.1:{port}"));
    let random: u16 = lines[1]
        .strip_prefix("8080/tcp -> 127.0.0.1:")
        .unwrap_or_else(|| panic!("{ports}"))
        .parse()
        .unwrap();
    assert_ne!(random, 0);

    // The port is taken now: a second container cannot have it, and its
    // failed start leaves nothing behind.
    let clash = env.rpod(&[
        "run",
        "-d",
        "--name",
        "clash",
        "--network",
        "rpt-web",
        "-p",
        &publish,
        "--rootfs",
        &rootfs,
        "true",
    ]);
    assert_ne!(clash.code, 0, "{}", clash.stdout);
    assert!(
        clash.stderr.contains("address already in use"),
        "{}",
        clash.stderr
    );
    assert_eq!(veths_on("rpt30"), 1);
    assert_eq!(netns_files(&env), 1);

    env.rpod(&["stop", "-t", "0", "web"]).ok();
    assert_eq!(veths_on("rpt30"), 0, "stop tears the veth down");
    assert_eq!(netns_files(&env), 0);
    assert_eq!(rules_with(&format!("--dport {port} ")), 0);
    // The port is the host's again.
    assert!(TcpListener::bind(("127.0.0.1", port)).is_ok());

    // start sets everything up again.
    env.rpod(&["start", "web"]).ok();
    assert!(http_get(port).ends_with("hello from rpod\n"));
    env.rpod(&["rm", "-f", "-t", "0", "web"]).ok();
    env.rpod(&["rm", "-f", "clash"]);
    assert_eq!(netns_files(&env), 0);
    assert_eq!(leases(&env).trim(), "{}");
}

#[test]
fn containers_on_one_network_resolve_each_other_by_name() {
    let env = TestEnv::new();
    let rootfs = net_rootfs(&env);
    create_network(&env, "rpt-dns", 40, &[]);
    env.rpod(&[
        "run",
        "-d",
        "--name",
        "server",
        "--network",
        "rpt-dns",
        "--network-alias",
        "www",
        "--rootfs",
        &rootfs,
        "httpd",
        "-f",
        "-p",
        "80",
        "-h",
        "/www",
    ])
    .ok();
    let client = env
        .rpod(&[
            "run",
            "--rm",
            "--network",
            "rpt-dns",
            "--rootfs",
            &rootfs,
            "sh",
            "-c",
            "wget -q -O - http://server/ && wget -q -O - http://www/ && cat /etc/resolv.conf",
        ])
        .ok();
    let out = client.stdout;
    assert!(
        out.starts_with("hello from rpod\nhello from rpod\nsearch dns.podman"),
        "{out}"
    );
    assert!(out.contains("nameserver 10.201.40.1\n"), "{out}");

    // Joining the server's namespace reaches it on localhost.
    let joined = env
        .rpod(&[
            "run",
            "--rm",
            "--network",
            "container:server",
            "--rootfs",
            &rootfs,
            "wget",
            "-q",
            "-O",
            "-",
            "http://127.0.0.1/",
        ])
        .ok();
    assert_eq!(joined.stdout, "hello from rpod\n");
    env.rpod(&["rm", "-f", "-t", "0", "server"]).ok();
}

#[test]
fn hosts_and_resolv_conf_follow_the_flags() {
    let env = TestEnv::new();
    let rootfs = net_rootfs(&env);
    create_network(&env, "rpt-files", 50, &["--disable-dns"]);
    let r = env
        .rpod(&[
            "run",
            "--rm",
            "--name",
            "files",
            "--network",
            "rpt-files",
            "--ip",
            "10.201.50.77",
            "--add-host",
            "db.example:192.0.2.7",
            "--dns",
            "192.0.2.53",
            "--dns-search",
            "example.com",
            "--dns-option",
            "ndots:3",
            "--rootfs",
            &rootfs,
            "sh",
            "-c",
            "cat /etc/hosts; echo ---; cat /etc/resolv.conf; echo ---; ip -4 addr show eth0",
        ])
        .ok();
    let (hosts, rest) = r.stdout.split_once("---\n").unwrap();
    let (resolv, addr) = rest.split_once("---\n").unwrap();
    assert!(hosts.starts_with("192.0.2.7\tdb.example\n"), "{hosts}");
    assert!(hosts.contains("10.201.50.77\t"), "{hosts}");
    assert!(hosts.contains(" files\n"), "{hosts}");
    assert!(
        hosts.contains("10.201.50.1\thost.containers.internal\n"),
        "{hosts}"
    );
    assert_eq!(
        resolv,
        "search example.com\nnameserver 192.0.2.53\noptions ndots:3\n"
    );
    assert!(addr.contains("inet 10.201.50.77/24"), "{addr}");

    // An internal network without DNS has no resolver that cannot answer.
    create_network(&env, "rpt-internal", 51, &["--internal", "--disable-dns"]);
    let r = env
        .rpod(&[
            "run",
            "--rm",
            "--network",
            "rpt-internal",
            "--rootfs",
            &rootfs,
            "cat",
            "/etc/resolv.conf",
        ])
        .ok();
    assert!(!r.stdout.contains("nameserver"), "{}", r.stdout);
}

#[test]
fn create_start_stop_rm_cycles_leave_nothing_behind() {
    let env = TestEnv::new();
    let rootfs = net_rootfs(&env);
    create_network(&env, "rpt-leak", 60, &[]);
    let rules_before = rules_with("10.201.60.");
    let port = free_port().to_string();
    let publish = format!("127.0.0.1:{port}:80");
    for i in 0..10 {
        let name = format!("cycle{i}");
        env.rpod(&[
            "create",
            "--name",
            &name,
            "--network",
            "rpt-leak",
            "-p",
            &publish,
            "--rootfs",
            &rootfs,
            "sleep",
            "100",
        ])
        .ok();
        env.rpod(&["start", &name]).ok();
        assert_eq!(veths_on("rpt60"), 1, "cycle {i}");
        env.rpod(&["stop", "-t", "0", &name]).ok();
        env.rpod(&["rm", &name]).ok();
        assert_eq!(veths_on("rpt60"), 0, "cycle {i}");
        assert_eq!(netns_files(&env), 0, "cycle {i}");
    }
    assert_eq!(rules_with("10.201.60."), rules_before);
    assert_eq!(leases(&env).trim(), "{}");
    let netns_dir: PathBuf = env.path("tmp/netns");
    assert!(
        env.mounts()
            .iter()
            .all(|m| !m.starts_with(&*netns_dir.to_string_lossy()))
    );
}

/// Deletes the NAT rules that forward host port `port` (as a firewall
/// flush would), touching no other rule.
fn drop_port_rules(port: u16) {
    let out = std::process::Command::new("iptables-save")
        .args(["-t", "nat"])
        .output()
        .unwrap();
    let needle = format!("--dport {port} ");
    for line in String::from_utf8_lossy(&out.stdout).lines() {
        if let Some(rule) = line.strip_prefix("-A ").filter(|_| line.contains(&needle)) {
            // iptables-save quotes comments as a shell would.
            let ok = std::process::Command::new("sh")
                .args(["-c", &format!("iptables -t nat -D {rule}")])
                .status()
                .unwrap()
                .success();
            assert!(ok, "iptables -D {rule}");
        }
    }
}

#[test]
fn connect_disconnect_and_reload_a_running_container() {
    let env = TestEnv::new();
    let rootfs = net_rootfs(&env);
    create_network(&env, "rpt-a", 70, &[]);
    create_network(&env, "rpt-b", 71, &[]);
    let port = free_port();
    let publish = format!("127.0.0.1:{port}:80");
    env.rpod(&[
        "run",
        "-d",
        "--name",
        "multi",
        "--network",
        "rpt-a",
        "-p",
        &publish,
        "--rootfs",
        &rootfs,
        "httpd",
        "-f",
        "-p",
        "80",
        "-h",
        "/www",
    ])
    .ok();
    let addrs = |env: &TestEnv| {
        env.rpod(&["exec", "multi", "ip", "-4", "-o", "addr"])
            .ok()
            .stdout
            .lines()
            .filter_map(|l| l.split_whitespace().nth(3).map(str::to_string))
            .collect::<Vec<_>>()
    };
    env.rpod(&[
        "network",
        "connect",
        "--ip",
        "10.201.71.9",
        "rpt-b",
        "multi",
    ])
    .ok();
    assert_eq!(
        addrs(&env),
        ["127.0.0.1/8", "10.201.70.2/24", "10.201.71.9/24"]
    );
    assert_eq!(veths_on("rpt71"), 1);
    let twice = env.rpod(&["network", "connect", "rpt-b", "multi"]);
    assert_eq!(twice.code, 125);
    assert!(
        twice.stderr.contains("already connected"),
        "{}",
        twice.stderr
    );
    let nets = env
        .rpod(&[
            "inspect",
            "multi",
            "--format",
            "{{range $k, $v := .NetworkSettings.Networks}}{{$k}}={{$v.IPAddress}} {{end}}",
        ])
        .ok();
    assert_eq!(nets.stdout, "rpt-a=10.201.70.2 rpt-b=10.201.71.9 \n");

    env.rpod(&["network", "disconnect", "rpt-b", "multi"]).ok();
    assert_eq!(addrs(&env), ["127.0.0.1/8", "10.201.70.2/24"]);
    assert_eq!(veths_on("rpt71"), 0);

    // reload puts back forwarding rules lost to a firewall flush.
    assert!(http_get(port).ends_with("hello from rpod\n"));
    drop_port_rules(port);
    assert_eq!(rules_with(&format!("--dport {port} ")), 0);
    env.rpod(&["network", "reload", "multi"]).ok();
    assert!(rules_with(&format!("--dport {port} ")) > 0);
    assert!(http_get(port).ends_with("hello from rpod\n"));
    assert_eq!(
        addrs(&env),
        ["127.0.0.1/8", "10.201.70.2/24"],
        "same address"
    );
    env.rpod(&["rm", "-f", "-t", "0", "multi"]).ok();
    assert_eq!(leases(&env).trim(), "{}");
}

#[test]
fn a_container_exiting_on_its_own_is_torn_down_by_the_exit_command() {
    let env = TestEnv::new();
    let rootfs = net_rootfs(&env);
    create_network(&env, "rpt-exit", 80, &[]);
    env.rpod(&[
        "run",
        "-d",
        "--name",
        "brief",
        "--network",
        "rpt-exit",
        "-P",
        "--expose",
        "7000",
        "--rootfs",
        &rootfs,
        "sh",
        "-c",
        "cat /sys/class/net/eth0/address",
    ])
    .ok();
    // conmon runs `rpod container cleanup` when the process exits: wait
    // for its teardown (bounded by attempts).
    for _ in 0..200 {
        if netns_files(&env) == 0 && veths_on("rpt80") == 0 {
            break;
        }
        std::thread::sleep(std::time::Duration::from_millis(50));
    }
    assert_eq!(
        netns_files(&env),
        0,
        "conmon's cleanup removed the namespace"
    );
    assert_eq!(veths_on("rpt80"), 0);
    assert_eq!(leases(&env).trim(), "{}");
    let port = env.rpod(&["port", "brief"]).ok().stdout;
    assert!(
        port.starts_with("7000/tcp -> 0.0.0.0:"),
        "-P gives --expose a host port: {port}"
    );
    let mac = env.rpod(&["logs", "brief"]).ok().stdout;
    assert_eq!(mac.trim().len(), 17, "{mac}");
    env.rpod(&["rm", "brief"]).ok();
}

#[test]
fn publish_all_publishes_the_images_exposed_ports() {
    let env = TestEnv::new();
    let rootfs = net_rootfs(&env);
    let tar = env.path("web.tar");
    let ok = std::process::Command::new("tar")
        .args(["-C", &rootfs, "-cf"])
        .arg(&tar)
        .arg(".")
        .status()
        .unwrap()
        .success();
    assert!(ok);
    env.rpod(&[
        "import",
        "--change",
        "EXPOSE 80",
        "--change",
        r#"CMD ["httpd", "-f", "-p", "80", "-h", "/www"]"#,
        &tar.to_string_lossy(),
        "localhost/web",
    ])
    .ok();
    create_network(&env, "rpt-all", 90, &[]);
    env.rpod(&[
        "run",
        "-d",
        "--name",
        "all",
        "--network",
        "rpt-all",
        "-P",
        "web",
    ])
    .ok();
    let port = env.rpod(&["port", "all"]).ok().stdout;
    let host_port: u16 = port
        .trim()
        .strip_prefix("80/tcp -> 0.0.0.0:")
        .unwrap_or_else(|| panic!("{port}"))
        .parse()
        .unwrap();
    assert!(http_get(host_port).ends_with("hello from rpod\n"));
    env.rpod(&["rm", "-f", "-t", "0", "all"]).ok();
}

/// Imports the web image (`localhost/web`: busybox, httpd, /www).
fn import_web_image(env: &TestEnv) {
    let rootfs = net_rootfs(env);
    let tar = env.path("webapp.tar");
    let ok = std::process::Command::new("tar")
        .args(["-C", &rootfs, "-cf"])
        .arg(&tar)
        .arg(".")
        .status()
        .unwrap()
        .success();
    assert!(ok);
    env.rpod(&["import", &tar.to_string_lossy(), "localhost/web"])
        .ok();
}

#[test]
fn the_documented_web_app_script_works() {
    let env = TestEnv::new();
    import_web_image(&env);
    // `rpod` for the script: the binary in this environment.
    let wrapper = env.path("rpod.sh");
    let mut line = format!("exec {}", rpod_tests::rpod_bin().display());
    for g in env.globals() {
        line.push_str(&format!(" '{g}'"));
    }
    std::fs::write(
        &wrapper,
        format!(
            "#!/bin/sh\nexport CONTAINERS_CONF='{}' CONTAINERS_STORAGE_CONF='{}'\n{line} \"$@\"\n",
            env.path("containers.conf").display(),
            env.path("storage.conf").display()
        ),
    )
    .unwrap();
    let script =
        std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../docs/network-web-app.sh");
    let out = std::process::Command::new("sh")
        .arg(&script)
        .env("RPOD", format!("sh {}", wrapper.display()))
        .env("NET", "rpt-webapp")
        .env("SUBNET", "10.201.100.0/24")
        .env("PORT", free_port().to_string())
        .output()
        .unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success(),
        "{stdout}{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert_eq!(
        stdout,
        "by name: hello from rpod\nfrom the host: hello from rpod\n"
    );
    assert_eq!(env.rpod(&["ps", "-aq"]).ok().stdout, "");
    assert_eq!(env.rpod(&["network", "ls", "-q"]).ok().stdout, "podman\n");
}
