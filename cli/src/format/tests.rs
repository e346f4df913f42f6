//! End-to-end tests of templates: parse + execute against sample data,
//! tables, error texts, resource limits, and property tests that no input
//! panics.

use proptest::prelude::*;
use serde_json::{Value, json};

use super::*;

/// Rows of a made-up Go type for the table tests.
const ROW: Schema = Schema {
    root: "test.row",
    fields: &[],
    struct_fields: &[],
};

fn info() -> Value {
    json!({
        "host": {
            "arch": "amd64",
            "os": "linux",
            "cpus": 8,
            "memFree": 1163870208u64,
            "cgroupControllers": ["cpuset", "cpu", "io"],
            "security": {"rootless": true, "selinuxEnabled": false},
            "labels": {"b": "2", "a": "1"}
        },
        "ID": "0123456789abcdef",
        "Names": ["web", "db"],
        "State": {"Status": "running", "Pid": 42},
        "Ratio": 0.25,
        "Empty": "",
        "EmptyList": [],
        "Nil": null,
        "Items": [{"Name": "x", "Size": 1}, {"Name": "y", "Size": 2}]
    })
}

fn run(src: &str) -> String {
    match Template::parse(src).and_then(|t| t.render(&info())) {
        Ok(s) => s,
        Err(e) => panic!("{src:?}: {e}"),
    }
}

fn fail(src: &str) -> String {
    match Template::parse(src).and_then(|t| t.render(&info())) {
        Ok(s) => panic!("{src:?} rendered {s:?}"),
        Err(e) => e.to_string(),
    }
}

#[test]
fn fields_and_printing() {
    assert_eq!(run("{{.Host.Arch}}"), "amd64");
    assert_eq!(run("{{.host.arch}}/{{.HOST.OS}}"), "amd64/linux");
    assert_eq!(run("{{.State.Status}} {{.State.Pid}}"), "running 42");
    assert_eq!(run("{{.Host.MemFree}}"), "1163870208");
    assert_eq!(run("{{.Ratio}}"), "0.25");
    assert_eq!(run("{{.Host.Security.Rootless}}"), "true");
    assert_eq!(run("{{.Names}}"), "[web db]");
    assert_eq!(run("{{.Host.Labels}}"), "map[a:1 b:2]");
    assert_eq!(
        run("{{.Missing}}|{{.Nil}}|{{.Missing.Deeper}}"),
        "<no value>|<no value>|<no value>"
    );
    assert_eq!(run("{{.Items}}"), "[map[Name:x Size:1] map[Name:y Size:2]]");
    assert_eq!(run("{{.State}}"), "map[Pid:42 Status:running]");
    assert_eq!(run("{{$.ID}}"), "0123456789abcdef");
}

#[test]
fn dot_is_the_whole_value() {
    let t = Template::parse("{{.}}").unwrap();
    assert_eq!(t.render(&json!("hi")).unwrap(), "hi");
    assert_eq!(t.render(&json!(3)).unwrap(), "3");
    assert_eq!(t.render(&json!(null)).unwrap(), "<no value>");
}

#[test]
fn json_function() {
    assert_eq!(run("{{json .Names}}"), r#"["web","db"]"#);
    assert_eq!(run("{{json .State}}"), r#"{"Status":"running","Pid":42}"#);
    assert_eq!(run("{{json .Nil}}"), "null");
    let t = Template::parse("{{json .}}").unwrap();
    assert_eq!(
        t.render(&json!({"b": 1, "a": [true]})).unwrap(),
        r#"{"b":1,"a":[true]}"#
    );
}

#[test]
fn range_forms() {
    assert_eq!(run("{{range .Names}}[{{.}}]{{end}}"), "[web][db]");
    assert_eq!(
        run("{{range $i, $e := .Names}}{{$i}}={{$e}} {{end}}"),
        "0=web 1=db "
    );
    assert_eq!(run("{{range $e := .Names}}{{$e}}{{end}}"), "webdb");
    assert_eq!(
        run("{{range .Items}}{{.Name}}:{{.Size}};{{end}}"),
        "x:1;y:2;"
    );
    assert_eq!(
        run("{{range $k, $v := .Host.Labels}}{{$k}}{{$v}}{{end}}"),
        "a1b2"
    );
    assert_eq!(run("{{range .Missing}}x{{else}}none{{end}}"), "none");
    assert_eq!(run("{{range .EmptyList}}x{{else}}empty{{end}}"), "empty");
    assert!(fail("{{range .Empty}}{{end}}").contains("range can't iterate over"));
    assert_eq!(run("{{range 3}}{{.}}{{end}}"), "012");
    assert_eq!(
        run("{{range .Names}}{{if eq . \"db\"}}{{break}}{{end}}{{.}}{{end}}"),
        "web"
    );
    assert_eq!(
        run("{{range .Names}}{{if eq . \"web\"}}{{continue}}{{end}}{{.}}{{end}}"),
        "db"
    );
    assert_eq!(
        run("{{range .Names}}{{$.ID | printf \"%.3s\"}}{{end}}"),
        "012012"
    );
    assert_eq!(
        run("{{$n := 0}}{{range .Names}}{{$n = .}}{{end}}{{$n}}"),
        "db"
    );
}

#[test]
fn conditionals() {
    assert_eq!(
        run("{{if .Host.Security.Rootless}}yes{{else}}no{{end}}"),
        "yes"
    );
    assert_eq!(
        run("{{if .Empty}}a{{else if .Nil}}b{{else if .ID}}c{{else}}d{{end}}"),
        "c"
    );
    assert_eq!(run("{{if not .Empty}}blank{{end}}"), "blank");
    assert_eq!(run("{{with .State}}{{.Status}}{{end}}"), "running");
    assert_eq!(run("{{with .Nil}}x{{else}}nil{{end}}"), "nil");
    assert_eq!(
        run("{{with .Nil}}x{{else with .ID}}{{.}}{{end}}"),
        "0123456789abcdef"
    );
    assert_eq!(run("{{if and .ID .Names}}both{{end}}"), "both");
    assert_eq!(run("{{or .Empty .Nil \"fallback\"}}"), "fallback");
    assert_eq!(run("{{and .ID .Empty}}|{{and 1 2}}"), "|2");
    assert_eq!(
        run("{{if gt .State.Pid 40}}big{{end}}{{if le 1 1.5}}!{{end}}"),
        "big!"
    );
    assert_eq!(run("{{if ne .State.Status \"exited\"}}up{{end}}"), "up");
    assert_eq!(
        run("{{if eq .State.Status \"a\" \"running\"}}any{{end}}"),
        "any"
    );
}

#[test]
fn pipelines_and_functions() {
    assert_eq!(run(r#"{{join .Names ","}}"#), "web,db");
    // Podman's join is Go's strings.Join: the list first, then the separator.
    assert_eq!(
        fail(r#"{{.Names | join ","}}"#),
        "template: output:1:16: executing \"output\" at <\",\">: can't handle \",\" for arg of type []string"
    );
    // As in Go, the piped value is the last argument.
    assert!(fail("{{.ID | truncate 12}}").ends_with("at <12>: expected string; found 12"));
    assert_eq!(run("{{truncate .ID 12}}"), "0123456789ab");
    assert_eq!(
        run("{{upper .Host.Arch}} {{.Host.OS | lower}} {{title \"a b\"}}"),
        "AMD64 linux A B"
    );
    assert_eq!(run(r#"{{split "a/b/c" "/"}}"#), "[a b c]");
    assert_eq!(run(r#"{{index (split "a/b/c" "/") 2}}"#), "c");
    assert_eq!(run("[{{pad .Host.Arch 2 1}}]"), "[  amd64 ]");
    assert_eq!(
        run("{{len .Names}} {{len .ID}} {{len .Host.Labels}}"),
        "2 16 2"
    );
    assert_eq!(
        run("{{index .Names 1}} {{index .Host.Labels \"b\"}}"),
        "db 2"
    );
    assert_eq!(run("{{index .Items 0 \"Name\"}}"), "x");
    assert_eq!(run("{{(index .Items 1).Name}}"), "y");
    assert_eq!(
        run(r#"{{printf "%-6s|%3d|%v|%q" .Host.Arch 7 .Names "x"}}"#),
        "amd64 |  7|[web db]|\"x\""
    );
    assert_eq!(
        run("{{print 1 2 \"a\"}}{{println \"z\"}}"),
        "1 2a z\n".replace(" z", "z")
    );
    assert_eq!(run("{{slice .ID 0 4}}"), "0123");
    assert_eq!(run("{{.Names | len | printf \"%d names\"}}"), "2 names");
}

#[test]
fn literals() {
    assert_eq!(run(r#"{{"a\tb\u00e9\x41"}}"#), "a\tbéA");
    assert_eq!(run("{{`raw\\n`}}"), "raw\\n");
    assert_eq!(
        run("{{1.5}} {{0x10}} {{-3}} {{1e3}} {{'a'}}"),
        "1.5 16 -3 1000 97"
    );
    assert_eq!(run("{{true}} {{false}}"), "true false");
    assert_eq!(run("{{printf \"%v\" nil}}"), "<nil>");
}

#[test]
fn variables_are_scoped() {
    assert_eq!(run("{{$x := .Host.Arch}}{{$x}}"), "amd64");
    assert_eq!(run("{{$x := 1}}{{if true}}{{$x = 2}}{{end}}{{$x}}"), "2");
    assert_eq!(
        run("{{$x := 1}}{{if true}}{{$x := 2}}{{$x}}{{end}}{{$x}}"),
        "21"
    );
    assert!(fail("{{if true}}{{$y := 1}}{{end}}{{$y}}").contains("undefined variable \"$y\""));
}

#[test]
fn whitespace_trimming_and_comments() {
    assert_eq!(run("a  {{- .Host.Arch -}}  \n b"), "aamd64b");
    assert_eq!(run("{{/* note */}}x{{- /* trimmed */ -}} y"), "xy");
    assert_eq!(run("{{range .Names -}}\n  {{.}}\n{{- end}}"), "webdb");
}

#[test]
fn execution_errors_follow_go() {
    assert_eq!(
        fail("{{.ID.Foo}}"),
        "template: output:1:5: executing \"output\" at <.ID.Foo>: can't evaluate field Foo in type string"
    );
    assert_eq!(
        fail("ab\n{{index .Names 5}}"),
        "template: output:2:2: executing \"output\" at <index .Names 5>: error calling index: index out of range: 5"
    );
    assert_eq!(
        fail("{{lower 3}}"),
        "template: output:1:8: executing \"output\" at <3>: expected string; found 3"
    );
    // A computed argument is named by its type, at the argument.
    assert_eq!(
        fail("{{lower .State.Pid}}"),
        "template: output:1:14: executing \"output\" at <.State.Pid>: wrong type for value; expected string; got int"
    );
    // The pipeline's value is checked at the function's name.
    assert_eq!(
        fail("{{3 | upper}}"),
        "template: output:1:6: executing \"output\" at <upper>: wrong type for value; expected string; got int"
    );
    assert_eq!(
        fail("{{truncate .ID \"x\"}}"),
        "template: output:1:15: executing \"output\" at <\"x\">: expected integer; found \"x\""
    );
    assert_eq!(
        fail("{{upper nil}}"),
        "template: output:1:8: executing \"output\" at <nil>: cannot assign nil to string"
    );
    assert_eq!(
        fail("{{upper .Missing}}"),
        "template: output:1:8: executing \"output\" at <.Missing>: invalid value; expected string"
    );
    assert_eq!(
        fail("{{split .ID}}"),
        "template: output:1:2: executing \"output\" at <split>: wrong number of args for split: want 2 got 1"
    );
    assert_eq!(
        fail("{{eq .ID 1}}"),
        "template: output:1:2: executing \"output\" at <eq .ID 1>: error calling eq: incompatible types for comparison"
    );
    assert!(fail("{{range true}}{{end}}").contains("range can't iterate over true"));
    assert!(fail("{{.ID 1}}").contains("ID is not a method but has arguments"));
    assert!(fail("{{nil}}").contains("nil is not a command"));
    assert!(fail("{{.ID | .Names}}").contains("Names is not a method but has arguments"));
    assert!(fail("{{.ID | $}}").contains("can't give argument to non-function $"));
    assert!(fail("{{printf \"%s\" .ID | len | index .Names}}").contains("error calling index"));
}

#[test]
fn parse_errors_follow_go() {
    assert_eq!(
        fail("{{foo .}}"),
        "template: output:1: function \"foo\" not defined"
    );
    assert_eq!(
        fail("{{.Host.Arch }"),
        "template: output:1: unexpected \"}\" in operand"
    );
    assert_eq!(
        fail("{{.Host.Arch}"),
        "template: output:1: bad character U+007D '}'"
    );
    assert_eq!(fail("{{range .}}"), "template: output:1: unexpected EOF");
    assert_eq!(
        fail("{{template \"x\"}}"),
        "template: output:1: {{template}} is not supported by rpod"
    );
}

#[test]
fn errors_leave_output_untouched() {
    let t = Template::parse("abc{{.ID.X}}").unwrap();
    let mut out = String::from("keep");
    assert!(t.execute(&info(), &mut out).is_err());
    assert_eq!(out, "keep");
}

#[test]
fn output_and_steps_are_bounded() {
    let mut t = Template::parse("{{range 100}}0123456789{{end}}").unwrap();
    t.set_limits(500, 1_000_000);
    assert!(matches!(
        t.render(&info()),
        Err(FormatError::OutputLimit { .. })
    ));
    let mut t = Template::parse("{{range 1000}}{{range 1000}}{{end}}{{end}}").unwrap();
    t.set_limits(1_000, 10_000);
    assert!(matches!(
        t.render(&info()),
        Err(FormatError::StepLimit { .. })
    ));
    // Doubling a string in a loop hits the string cap, not the allocator.
    let t = Template::parse(
        "{{$s := \"xxxxxxxxxxxxxxxx\"}}{{range 40}}{{$s = printf \"%s%s\" $s $s}}{{end}}",
    )
    .unwrap();
    let err = t.render(&info()).unwrap_err().to_string();
    assert!(err.contains("16 MiB"), "{err}");
    let t = Template::parse("{{printf \"%999999999d\" 1}}").unwrap();
    assert_eq!(t.render(&info()).unwrap(), "%!(BADWIDTH)1");
    let t = Template::parse("{{pad \"x\" 99999999999 0}}").unwrap();
    assert!(t.render(&info()).is_err());
}

#[test]
fn table_output_aligns_like_podman() {
    let rows = [
        json!({"ID": "c061a0839e", "Value": "one"}),
        json!({"ID": "f10fc2e11057", "Value": "two"}),
        json!({"ID": "1eb6fab5aa8f4b5cbfd3e66aa35e9b2a", "Value": "three"}),
    ];
    let out = render_table(
        "t",
        "table {{.ID}}\t{{.Value}}",
        &rows,
        Some(&[("ID", "Identity")]),
        &ROW,
    )
    .unwrap();
    assert_eq!(
        out,
        "IDENTITY                          VALUE\n\
         c061a0839e                        one\n\
         f10fc2e11057                      two\n\
         1eb6fab5aa8f4b5cbfd3e66aa35e9b2a  three\n"
    );
    // Minimum column width 12, padding included.
    let rows = [json!({"A": "x", "B": "y"})];
    let out = render_table("t", "table {{.A}} {{.B}}", &rows, Some(&[]), &ROW).unwrap();
    assert_eq!(out, "A           B\nx           y\n");
    let out = render_table("t", "table {{.A}}\\t{{.B}}", &rows, None, &ROW).unwrap();
    assert_eq!(out, "x           y\n");
    // render_each sends table formats through the table path.
    assert_eq!(
        render_each("t", "table {{.A}} {{.B}}", &rows, &ROW).unwrap(),
        "A           B\nx           y\n"
    );
}

#[test]
fn table_headers_for_nested_fields() {
    let rows = [info()];
    let out = render_table(
        "t",
        "table {{.Host.Arch}}\t{{.State.Status}}",
        &rows,
        Some(&[]),
        &ROW,
    )
    .unwrap();
    assert_eq!(out, "ARCH        STATUS\namd64       running\n");
}

const SAMPLES: &[&str] = &[
    "{{.Host.Arch}}",
    "{{range $i, $e := .Items}}{{$i}}:{{$e.Name}} {{end}}",
    "{{if .ID}}{{json .}}{{else if .Nil}}x{{else}}y{{end}}",
    "{{with .State}}{{.Status | upper | printf \"%-10s\"}}{{end}}",
    "{{join .Names \",\"}} {{len .Names}} {{index .Names 0}}",
    "{{- /* c */ -}} {{truncate .ID 4}} {{pad .ID 1 1}} {{split .ID \"5\"}}",
    "{{$x := 1}}{{range 3}}{{$x = .}}{{break}}{{end}}{{$x}} {{eq 1 2}} {{lt 1 2}}",
    "{{(index .Items 1).Name}} {{slice .ID 1 3}} {{printf \"%q %x %5.2f\" .ID 255 .Ratio}}",
];

fn exercise(src: &str) {
    if let Ok(t) = Template::parse(src) {
        let _ = t.render(&info());
        let _ = t.render(&json!([1, "x", null]));
    }
    let _ = render_each("t", src, &[info()], &ROW);
    let _ = render_table("t", src, &[info()], Some(&[]), &ROW);
    for schema in [&PS, &CONTAINER_INSPECT, &INFO] {
        if let Ok(t) = Template::parse(src) {
            let _ = t.execute_item(&info(), schema, &mut String::new());
        }
    }
    let _ = table_headers(src, &[]);
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(2000))]

    #[test]
    fn arbitrary_text_never_panics(src in "\\PC{0,80}") {
        exercise(&src);
    }

    #[test]
    fn template_alphabet_never_panics(src in "[{}.$a-zA-Z0-9 ()|:=,\"`'\\\\/*+-]{0,60}") {
        exercise(&src);
    }

    #[test]
    fn mutated_samples_never_panic(
        idx in 0..SAMPLES.len(),
        cut in 0usize..200,
        insert in "[{}()|.$\"'` -]{0,4}",
        remove in 0usize..6,
    ) {
        let base = SAMPLES[idx];
        let mut at = cut % (base.len() + 1);
        while !base.is_char_boundary(at) {
            at -= 1;
        }
        let end = (at + remove).min(base.len());
        let mut end2 = end;
        while !base.is_char_boundary(end2) {
            end2 -= 1;
        }
        let src = format!("{}{}{}", &base[..at], insert, &base[end2.max(at)..]);
        exercise(&src);
    }

    #[test]
    fn yaml_never_panics(s in "\\PC{0,40}", n in any::<i64>(), f in any::<f64>()) {
        let f = serde_json::Number::from_f64(f).map_or(Value::Null, Value::Number);
        let v = json!({ s.clone(): [s.clone(), n, f, {"k": s.clone()}], "x": s });
        let out = to_yaml(&sort_keys_like_go_yaml(&v));
        prop_assert!(out.ends_with('\n'));
    }
}

#[test]
fn samples_render() {
    for s in SAMPLES {
        let t = Template::parse(s).unwrap_or_else(|e| panic!("{s}: {e}"));
        t.render(&info()).unwrap_or_else(|e| panic!("{s}: {e}"));
    }
}

#[test]
fn fields_read_follow_the_parse_tree() {
    let read = |src: &str| super::fields_read(src).map(|s| s.into_iter().collect::<Vec<_>>());
    assert_eq!(
        read("table {{.ID}}\\t{{.Names}}"),
        Some(vec!["ID".to_string(), "Names".to_string()])
    );
    assert_eq!(
        read("{{if .Pod}}{{.Pod}}{{else}}{{(.Labels).tier}}{{end}}"),
        Some(vec![
            "Labels".to_string(),
            "Pod".to_string(),
            "tier".to_string()
        ])
    );
    assert_eq!(read("plain text. with dots"), Some(vec![]));
    for whole in [
        "{{.}}",
        "{{json .}}",
        "{{$.ID}}",
        "{{range $i, $c := .}}{{end}}",
        "{{(.).ID}}",
    ] {
        assert_eq!(read(whole), None, "{whole}");
    }
    // Unparsable: everything (the render reports the error).
    assert_eq!(read("{{.ID"), None);
}
