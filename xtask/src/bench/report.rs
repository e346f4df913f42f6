//! The report: one aligned table for the terminal and every sample as JSON.

use serde_json::{Map, Value, json};

use super::Plan;
use super::engine::Image;
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
) -> Value {
    let environment: Map<String, Value> = environment
        .iter()
        .map(|(k, v)| ((*k).to_string(), Value::from(v.as_str())))
        .collect();
    json!({
        "date": chrono::Utc::now().to_rfc3339_opts(chrono::SecondsFormat::Secs, true),
        "mode": plan.mode,
        "elapsed_s": elapsed_s,
        "image": image.shown(),
        "settings": "runc, --network none, cgroupfs, file locks, file events, overlay storage, private roots",
        "plan": {
            "warmup": plan.warmup,
            "rounds": plan.rounds,
            "bulk_rounds": plan.bulk_rounds,
            "batch_rounds": plan.batch_rounds,
            "n_create": plan.n_create,
            "n_population": plan.n_population,
            "n_rm": plan.n_rm,
            "batch_total": plan.batch_total,
            "batch_width": plan.batch_width,
        },
        "environment": environment,
        "scenarios": rows.iter().map(row_json).collect::<Vec<_>>(),
    })
}

fn row_json(m: &Measured) -> Value {
    let mut row = json!({
        "key": m.key,
        "scenario": m.label,
        "sample": m.unit,
    });
    if m.target.is_some() {
        row["target_ratio"] = json!(m.target);
        row["ratio"] = json!(m.ratio());
        row["pass"] = json!(m.pass());
        row["podman"] = samples_json(&m.podman);
        row["rpod"] = samples_json(&m.rpod);
    } else {
        row["runc"] = samples_json(&m.rpod);
    }
    row["error"] = json!(m.error);
    row
}

fn samples_json(s: &Samples) -> Value {
    let sum = s.summary();
    json!({
        "n": s.ms.len(),
        "median_ms": sum.map(|s| s.median),
        "min_ms": sum.map(|s| s.min),
        "max_ms": sum.map(|s| s.max),
        "mean_ms": sum.map(|s| s.mean),
        "failures": s.failures,
        "first_error": s.first_error,
        "samples_ms": s.ms,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

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
        let row = row_json(&measured(Some(0.3), &[100.0, 120.0], &[10.0, 11.5], 0));
        assert_eq!(row["podman"]["samples_ms"], json!([100.0, 120.0]));
        assert_eq!(row["rpod"]["samples_ms"], json!([10.0, 11.5]));
        let ratio = row["ratio"].as_f64().unwrap();
        assert!((ratio - 0.0982).abs() < 0.001, "{row}");
        assert_eq!(row["pass"], json!(true));
    }
}
