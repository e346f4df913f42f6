//! The brief, deterministic fuzz run of `cargo xtask test`: every target
//! gets its seed inputs, then a fixed budget of mutations of them from a
//! fixed-seed generator (bit flips, truncations, byte insertions, splices),
//! so the same inputs run every time. A panic in any body fails the test.
//! `cargo xtask fuzz` runs the real coverage-guided libFuzzer for longer.

use rpod_fuzz::TARGETS;

/// Mutations per target.
const BUDGET: usize = 2000;

/// xorshift64*: small, fixed-seed, good enough to pick mutations.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_F491_4F6C_DD1D)
    }
    fn below(&mut self, n: usize) -> usize {
        if n == 0 { 0 } else { (self.next() % n as u64) as usize }
    }
}

fn seeds(target: &str) -> Vec<Vec<u8>> {
    let text: &[&str] = match target {
        "containers_conf" => &[
            "[containers]\ndefault_ulimits = [\"nofile=1024:2048\"]\nlog_size_max = -1\n[engine]\nruntime = \"runc\"\nnum_locks = 2048\n[engine.runtimes]\nrunc = [\"/usr/sbin/runc\"]\n",
            "[network]\nnetwork_backend = \"netavark\"\n",
        ],
        "storage_conf" => &[
            "[storage]\ndriver = \"overlay\"\ngraphroot = \"/tmp/x\"\nrunroot = \"/tmp/y\"\n[storage.options.overlay]\nmountopt = \"nodev\"\n",
        ],
        "format_template" => &[
            "{{.ID}} {{.Names}}",
            "table {{range .Items}}{{.Name}}:{{.Size}} {{end}}",
            "{{json .Host}}{{if .Empty}}x{{else}}y{{end}}{{printf \"%5.2f\" .State.Ratio}}",
        ],
        "filters" => &[
            "status=running\nlabel=a=b\nname=web\nuntil=24h\nid=abc\nreference=busybox:*\ndangling=true\nbefore=x\nsince=y",
        ],
        _ => &[],
    };
    let mut out: Vec<Vec<u8>> = text.iter().map(|s| s.as_bytes().to_vec()).collect();
    match target {
        "archive" => out.push(docker_archive()),
        "archive_manifest" => {
            let m = br#"[{"Config":"config.json","RepoTags":["localhost/x:1"],"Layers":["layer.tar"]}]"#;
            let c = br#"{"architecture":"amd64","os":"linux","rootfs":{"type":"layers","diff_ids":[]},"config":{"Cmd":["sh"]}}"#;
            let mut both = m.to_vec();
            both.extend_from_slice(c);
            out.push(both);
        }
        "bolt_pages" | "bolt_file" => out.push(bolt_page()),
        _ => {}
    }
    if out.is_empty() {
        out.push(Vec::new());
    }
    out
}

/// A small docker-archive: one empty layer, its config and manifest.
fn docker_archive() -> Vec<u8> {
    let mut tar = tar::Builder::new(Vec::new());
    let files: [(&str, &[u8]); 3] = [
        ("manifest.json", br#"[{"Config":"c.json","RepoTags":["localhost/seed:1"],"Layers":["l/layer.tar"]}]"#),
        ("c.json", br#"{"architecture":"amd64","os":"linux","rootfs":{"type":"layers","diff_ids":["sha256:5f70bf18a086007016e948b04aed3b82103a36bea41755b6cddfaf10ace3c6ef"]}}"#),
        ("l/layer.tar", &[0u8; 1024]),
    ];
    for (name, body) in files {
        let mut h = tar::Header::new_gnu();
        h.set_size(body.len() as u64);
        h.set_mode(0o644);
        h.set_cksum();
        tar.append_data(&mut h, name, body).unwrap();
    }
    tar.into_inner().unwrap()
}

/// A Bolt meta page: magic, version 2, 4096-byte pages.
fn bolt_page() -> Vec<u8> {
    let mut p = vec![0u8; 4096];
    p[8..10].copy_from_slice(&4u16.to_le_bytes()); // meta page flag
    p[16..20].copy_from_slice(&0xED0C_DAEDu32.to_le_bytes());
    p[20..24].copy_from_slice(&2u32.to_le_bytes());
    p[24..28].copy_from_slice(&4096u32.to_le_bytes());
    p
}

fn mutate(rng: &mut Rng, seeds: &[Vec<u8>]) -> Vec<u8> {
    let mut d = seeds[rng.below(seeds.len())].clone();
    for _ in 0..1 + rng.below(8) {
        match rng.below(5) {
            0 if !d.is_empty() => {
                let i = rng.below(d.len());
                d[i] ^= 1 << rng.below(8);
            }
            1 if !d.is_empty() => {
                let n = rng.below(d.len());
                d.truncate(n);
            }
            2 => {
                let i = rng.below(d.len() + 1);
                let b = [b'{', b'}', b'"', b'[', b']', b'=', b'\n', 0, 0xff, b'.', b'|'][rng.below(11)];
                d.insert(i, b);
            }
            3 => {
                let other = &seeds[rng.below(seeds.len())];
                if !other.is_empty() {
                    let from = rng.below(other.len());
                    let at = rng.below(d.len() + 1);
                    let piece: Vec<u8> = other[from..].iter().take(64).copied().collect();
                    d.splice(at..at, piece);
                }
            }
            _ => {
                let i = rng.below(d.len() + 1);
                d.insert(i, rng.next() as u8);
            }
        }
    }
    d
}

#[test]
fn every_target_survives_its_seeds_and_a_fixed_mutation_budget() {
    for (name, body) in TARGETS {
        let seeds = seeds(name);
        for s in &seeds {
            body(s);
        }
        let mut rng = Rng(0x5EED_0000_0000_0001 ^ name.len() as u64);
        for _ in 0..BUDGET {
            body(&mutate(&mut rng, &seeds));
        }
    }
}
