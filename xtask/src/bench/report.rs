//! The report: one aligned table for the terminal and every sample as JSON.

use std::time::{SystemTime, UNIX_EPOCH};

use super::Plan;
use super::engine::Image;
use super::json::Json;
use super::scenarios::{Measured, Samples};

const HEADER: [&str; 6] = [
    "scenario",
    "Podman",
    "rpod",
    "rpod/Podman",
    "target",
    "result",
];

/// The table: scenario, Podman median, rpod median, ratio, target, result;
/// the floor row shows bare runc in the rpod column and its ratio to
/// Podman's `run --rm`. Failures and setup errors follow as notes.
pub(crate) fn table(rows: &[Measured], image: &Image) -> String {
    let run_rm = rows
        .iter()
        .find(|m| m.key == "run_rm")
        .and_then(|m| m.podman.summary());
    let mut cells: Vec<[String; 6]> = vec![HEADER.map(str::to_string)];
    for m in rows {
        let podman = m.podman.summary().map(|s| s.median);
        let rpod = m.rpod.summary().map(|s| s.median);
        let (ratio, target, result) = match m.target {
            None => (
                rpod.zip(run_rm).map(|(f, p)| f / p.median),
                "-".to_string(),
                "floor".to_string(),
            ),
            Some(t) => (m.ratio(), format!("<= {t:.2}"), result(m)),
        };
        cells.push([
            m.label.clone(),
            podman.map_or("-".into(), ms),
            rpod.map_or("-".into(), ms),
            ratio.map_or("-".into(), |r| format!("{r:.2}")),
            target,
            result,
        ]);
    }
    let mut out = align(&cells);
    out.push_str(&format!(
        "\nmedians of wall time; IMAGE is {}; runc, --network none, private roots for each engine;\n\
         the floor's ratio is bare runc over Podman's `run --rm`\n",
        image.shown()
    ));
    for m in rows {
        if let Some(e) = &m.error {
            out.push_str(&format!("note: {}: {e}\n", m.key));
        }
        for (who, s) in [("podman", &m.podman), ("rpod", &m.rpod)] {
            if let Some(e) = &s.first_error {
                let who = if m.target.is_none() { "runc" } else { who };
                out.push_str(&format!(
                    "note: {}: {who}: {} failed; first: {e}\n",
                    m.key, s.failures
                ));
            }
        }
    }
    out
}

fn result(m: &Measured) -> String {
    match m.pass() {
        _ if m.error.is_some() => "error".into(),
        Some(true) => "pass".into(),
        Some(false) if m.rpod.failures > 0 => format!("FAIL ({} failed)", m.rpod.failures),
        Some(false) => "FAIL".into(),
        None => "-".into(),
    }
}

fn ms(v: f64) -> String {
    if v >= 100.0 {
        format!("{v:.0} ms")
    } else {
        format!("{v:.1} ms")
    }
}

/// Left-aligns the first column and right-aligns the numbers.
fn align(rows: &[[String; 6]]) -> String {
    let mut width = [0usize; 6];
    for r in rows {
        for (w, c) in width.iter_mut().zip(r) {
            *w = (*w).max(c.chars().count());
        }
    }
    let mut out = String::new();
    for (n, r) in rows.iter().enumerate() {
        let mut line = String::new();
        for (i, c) in r.iter().enumerate() {
            let pad = width[i] - c.chars().count();
            if i == 0 || i == 5 {
                line.push_str(c);
                line.push_str(&" ".repeat(pad));
            } else {
                line.push_str(&" ".repeat(pad));
                line.push_str(c);
            }
            line.push_str("  ");
        }
        out.push_str(line.trim_end());
        out.push('\n');
        if n == 0 {
            let total: usize = width.iter().sum::<usize>() + 2 * (width.len() - 1);
            out.push_str(&"-".repeat(total));
            out.push('\n');
        }
    }
    out
}

/// Every sample and summary, with the plan, the tool versions and the load.
pub(crate) fn json(
    rows: &[Measured],
    plan: &Plan,
    image: &Image,
    environment: &[(&str, String)],
    elapsed_s: f64,
) -> Json {
    let count = |n: usize| Json::Num(n as f64);
    Json::obj([
        ("date", Json::str(utc_timestamp(SystemTime::now()))),
        ("mode", Json::str(plan.mode)),
        ("elapsed_s", Json::Num(elapsed_s)),
        ("image", Json::str(image.shown())),
        (
            "settings",
            Json::str(
                "runc, --network none, cgroupfs, file locks, file events, overlay storage, private roots",
            ),
        ),
        (
            "plan",
            Json::obj([
                ("warmup", count(plan.warmup)),
                ("rounds", count(plan.rounds)),
                ("bulk_rounds", count(plan.bulk_rounds)),
                ("batch_rounds", count(plan.batch_rounds)),
                ("n_create", count(plan.n_create)),
                ("n_population", count(plan.n_population)),
                ("n_rm", count(plan.n_rm)),
                ("batch_total", count(plan.batch_total)),
                ("batch_width", count(plan.batch_width)),
            ]),
        ),
        (
            "environment",
            Json::obj(environment.iter().map(|(k, v)| (*k, Json::str(v.clone())))),
        ),
        ("scenarios", Json::Arr(rows.iter().map(row_json).collect())),
    ])
}

fn row_json(m: &Measured) -> Json {
    let mut pairs = vec![
        ("key", Json::str(m.key)),
        ("scenario", Json::str(m.label.clone())),
        ("sample", Json::str(m.unit.clone())),
    ];
    if m.target.is_some() {
        pairs.extend([
            ("target_ratio", Json::opt_num(m.target)),
            ("ratio", Json::opt_num(m.ratio())),
            ("pass", m.pass().map_or(Json::Null, Json::Bool)),
            ("podman", samples_json(&m.podman)),
            ("rpod", samples_json(&m.rpod)),
        ]);
    } else {
        pairs.push(("runc", samples_json(&m.rpod)));
    }
    pairs.push((
        "error",
        m.error
            .as_ref()
            .map_or(Json::Null, |e| Json::str(e.clone())),
    ));
    Json::obj(pairs)
}

fn samples_json(s: &Samples) -> Json {
    let sum = s.summary();
    Json::obj([
        ("n", Json::Num(s.ms.len() as f64)),
        ("median_ms", Json::opt_num(sum.map(|s| s.median))),
        ("min_ms", Json::opt_num(sum.map(|s| s.min))),
        ("max_ms", Json::opt_num(sum.map(|s| s.max))),
        ("mean_ms", Json::opt_num(sum.map(|s| s.mean))),
        ("failures", Json::Num(s.failures as f64)),
        (
            "first_error",
            s.first_error
                .as_ref()
                .map_or(Json::Null, |e| Json::str(e.clone())),
        ),
        (
            "samples_ms",
            Json::Arr(s.ms.iter().map(|v| Json::Num(*v)).collect()),
        ),
    ])
}

/// `YYYY-MM-DDTHH:MM:SSZ` for `t`.
fn utc_timestamp(t: SystemTime) -> String {
    let secs = t.duration_since(UNIX_EPOCH).map_or(0, |d| d.as_secs());
    let (days, rem) = (secs / 86_400, secs % 86_400);
    // Civil date from days since 1970-01-01 (proleptic Gregorian calendar),
    // counted in 400-year eras starting on March 1st.
    let z = days as i64 + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z.rem_euclid(146_097);
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let day = doy - (153 * mp + 2) / 5 + 1;
    let month = if mp < 10 { mp + 3 } else { mp - 9 };
    let year = yoe + era * 400 + i64::from(month <= 2);
    format!(
        "{year:04}-{month:02}-{day:02}T{:02}:{:02}:{:02}Z",
        rem / 3600,
        rem % 3600 / 60,
        rem % 60
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::Duration;

    #[test]
    fn timestamps_are_utc_calendar_dates() {
        let at = |s| utc_timestamp(UNIX_EPOCH + Duration::from_secs(s));
        assert_eq!(at(0), "1970-01-01T00:00:00Z");
        assert_eq!(at(951_782_400), "2000-02-29T00:00:00Z");
        assert_eq!(at(1_700_000_000), "2023-11-14T22:13:20Z");
        assert_eq!(at(4_102_444_799), "2099-12-31T23:59:59Z");
    }

    #[test]
    fn columns_line_up_whatever_the_cell_widths() {
        let rows = [
            HEADER.map(str::to_string),
            [
                "a long scenario name",
                "1.0 ms",
                "0.5 ms",
                "0.50",
                "<= 0.30",
                "FAIL",
            ]
            .map(str::to_string),
            ["x", "1234 ms", "12.0 ms", "0.01", "<= 0.30", "pass"].map(str::to_string),
        ];
        let text = align(&rows);
        let lines: Vec<&str> = text.lines().collect();
        assert_eq!(lines.len(), 4);
        assert!(lines[1].chars().all(|c| c == '-'));
        // Right-aligned numbers end in the same column on every line.
        let end_of = |line: &str, cell: &str| line.find(cell).map(|i| i + cell.len());
        assert_eq!(end_of(lines[0], "Podman"), end_of(lines[2], "1.0 ms"));
        assert_eq!(end_of(lines[2], "1.0 ms"), end_of(lines[3], "1234 ms"));
        assert_eq!(end_of(lines[0], "target"), end_of(lines[3], "<= 0.30"));
        // The first column starts every line; the next starts after the widest.
        assert!(lines[3].starts_with("x "));
        assert_eq!(
            lines[2].find("1.0 ms"),
            lines[3].find("1234 ms").map(|i| i + 1)
        );
    }

    fn measured(
        target: Option<f64>,
        podman: &[f64],
        rpod: &[f64],
        rpod_failures: usize,
    ) -> Measured {
        Measured {
            key: "k",
            label: "label".into(),
            unit: "one command".into(),
            target,
            podman: Samples {
                ms: podman.to_vec(),
                ..Samples::default()
            },
            rpod: Samples {
                ms: rpod.to_vec(),
                failures: rpod_failures,
                first_error: (rpod_failures > 0).then(|| "boom".to_string()),
            },
            error: None,
        }
    }

    #[test]
    fn pass_needs_the_ratio_and_no_failures() {
        assert_eq!(measured(Some(0.3), &[100.0], &[30.0], 0).pass(), Some(true));
        assert_eq!(
            measured(Some(0.3), &[100.0], &[31.0], 0).pass(),
            Some(false)
        );
        assert_eq!(
            measured(Some(0.3), &[100.0], &[10.0], 1).pass(),
            Some(false)
        );
        assert_eq!(measured(Some(0.3), &[], &[10.0], 0).pass(), None);
        assert_eq!(measured(None, &[], &[10.0], 0).pass(), None);
        let m = measured(Some(0.3), &[100.0, 300.0, 200.0], &[20.0, 60.0, 40.0], 0);
        assert_eq!(m.ratio(), Some(0.2));
        assert_eq!(
            result(&measured(Some(0.3), &[100.0], &[10.0], 2)),
            "FAIL (2 failed)"
        );
    }

    #[test]
    fn json_keeps_every_sample() {
        let text = row_json(&measured(Some(0.3), &[100.0, 120.0], &[10.0, 11.5], 0)).pretty();
        assert!(text.contains("\"samples_ms\": [100, 120]"), "{text}");
        assert!(text.contains("\"samples_ms\": [10, 11.5]"), "{text}");
        assert!(text.contains("\"ratio\": 0.098"), "{text}");
        assert!(text.contains("\"pass\": true"), "{text}");
    }
}
