//! Templates run against data whose Go types a [`Schema`] describes: a
//! field a struct lacks fails with the type's name, a key a map lacks
//! prints `<no value>`, and list commands wrap the template in a loop so
//! error columns and parse errors read as Podman's do.

use serde_json::{Value, json};

use super::*;

/// A report with a struct inside, a map inside, and a list of structs.
const REPORT: Schema = Schema {
    root: "*demo.Report",
    fields: &[
        ("Inner", "*demo.Inner"),
        ("Tags", "map[string]string"),
        ("Parts", "[]demo.Part"),
        ("Parts[]", "demo.Part"),
        ("Missing", "*demo.Inner"),
        ("When", "time.Time"),
    ],
    struct_fields: &[],
};

fn report() -> Value {
    json!({
        "Name": "r1",
        "Inner": {"Kind": "deep"},
        "Tags": {"tier": "web"},
        "Parts": [{"Size": 1}, {"Size": 2}],
        "Missing": null,
        "When": "2026-12-06 03:21:21 +0000 UTC",
        "Loose": {"a": 1}
    })
}

fn item(src: &str) -> Result<String, String> {
    let t = Template::parse_named("demo", src).map_err(|e| e.to_string())?;
    let mut out = String::new();
    t.execute_item(&report(), &REPORT, &mut out)
        .map_err(|e| e.to_string())?;
    Ok(out)
}

#[test]
fn a_field_the_struct_lacks_names_the_go_type() {
    assert_eq!(
        item("{{.Typo}}").unwrap_err(),
        "template: demo:1:2: executing \"demo\" at <.Typo>: can't evaluate field Typo in type *demo.Report"
    );
    // The column of a chained field is where its second name starts.
    assert_eq!(
        item("{{.Inner.Typo}}").unwrap_err(),
        "template: demo:1:8: executing \"demo\" at <.Inner.Typo>: can't evaluate field Typo in type *demo.Inner"
    );
    assert!(
        item("{{.When.Unix}}")
            .unwrap_err()
            .ends_with("can't evaluate field Unix in type time.Time")
    );
    assert!(
        item("{{.Name.Length}}")
            .unwrap_err()
            .ends_with("can't evaluate field Length in type string")
    );
}

#[test]
fn a_key_the_map_lacks_prints_no_value() {
    assert_eq!(
        item("{{.Tags.tier}}|{{.Tags.nope}}|{{index .Tags \"nope\"}}").unwrap(),
        "web|<no value>|<no value>"
    );
    // A value the schema does not describe keeps the lenient map behaviour.
    assert_eq!(item("{{.Loose.b}}").unwrap(), "<no value>");
}

#[test]
fn narrowed_dots_keep_their_type() {
    assert_eq!(item("{{with .Inner}}{{.Kind}}{{end}}").unwrap(), "deep");
    assert!(
        item("{{with .Inner}}{{.Typo}}{{end}}")
            .unwrap_err()
            .ends_with("can't evaluate field Typo in type *demo.Inner")
    );
    assert_eq!(item("{{range .Parts}}{{.Size}}{{end}}").unwrap(), "12");
    assert!(
        item("{{range .Parts}}{{.Typo}}{{end}}")
            .unwrap_err()
            .ends_with("can't evaluate field Typo in type demo.Part")
    );
    // `$` is the item too.
    assert!(
        item("{{with .Inner}}{{$.Typo}}{{end}}")
            .unwrap_err()
            .ends_with("in type *demo.Report")
    );
}

#[test]
fn a_nil_pointer_fails_like_go() {
    assert!(
        item("{{.Missing.Kind}}")
            .unwrap_err()
            .ends_with("nil pointer evaluating *demo.Inner.Kind")
    );
    // Only reading through it fails; the nil itself prints as usual.
    assert_eq!(item("{{.Missing}}").unwrap(), "<no value>");
}

#[test]
fn untyped_execution_stays_lenient() {
    let t = Template::parse("{{.Typo}}|{{.Inner.Typo}}").unwrap();
    assert_eq!(t.render(&report()).unwrap(), "<no value>|<no value>");
}

#[test]
fn list_commands_report_columns_in_the_loop_they_wrap() {
    let rows = [report(), report()];
    let err = render_each("ps", "{{.Name}} {{.Typo}}", &rows, &REPORT).unwrap_err();
    assert_eq!(
        err.to_string(),
        "template: ps:1:23: executing \"ps\" at <.Typo>: can't evaluate field Typo in type *demo.Report"
    );
    // A template with its own loop over the rows is not wrapped again.
    let out = render_each("ps", "{{range .}}{{.Name}},{{end}}", &rows, &REPORT).unwrap();
    assert_eq!(out, "r1,r1,\n");
    // No rows: nothing runs, nothing fails (as in Podman).
    assert_eq!(render_each("ps", "{{.Typo}}", &[], &REPORT).unwrap(), "");
}

#[test]
fn a_bad_list_template_is_reported_as_podman_parses_it() {
    // Podman re-parses the raw text wrapped in its loop when the
    // normalized one fails: the action then runs into `{{end -}}`.
    assert_eq!(
        check_list_template("ps", "{{.Typo")
            .unwrap_err()
            .to_string(),
        "template: ps:1: bad character U+007B '{'"
    );
    assert_eq!(
        check_list_template("images", "{{nosuch .Names}}")
            .unwrap_err()
            .to_string(),
        "template: images:1: function \"nosuch\" not defined"
    );
    assert!(check_list_template("ps", "table {{.ID}} {{.Names}}").is_ok());
}

#[test]
fn table_headers_follow_overrides_then_field_names() {
    let rows = [json!({"ID": "abc", "Names": "web", "CreatedAt": "now"})];
    let headers: &[(&str, &str)] = &[("ID", "CONTAINER ID")];
    let out = render_table(
        "ps",
        "table {{.ID}} {{.Names}} {{.CreatedAt}}",
        &rows,
        Some(headers),
        &REPORT,
    )
    .unwrap();
    assert_eq!(
        out,
        "CONTAINER ID  NAMES       CREATED AT\nabc           web         now\n"
    );
    // An unknown field heads its column with `<no value>`, then the rows fail.
    let err = render_table("ps", "table {{.Typo}}", &rows, Some(headers), &REPORT).unwrap_err();
    assert!(err.to_string().contains("ps:1:13"), "{err}");
    // What was printed before the error stays, as on Podman's writer.
    assert_eq!(err.printed, "<no value>\n");
    let err = render_each("ps", "{{.Name}}|{{.Typo}}", &[report()], &REPORT).unwrap_err();
    assert_eq!(err.printed, "r1|");
    assert_eq!(
        table_headers("table {{.ID}} {{.Names}}", headers).unwrap(),
        vec!["CONTAINER ID", "NAMES"]
    );
}

#[test]
fn command_schemas_type_their_known_values() {
    let container = json!({
        "Config": {"Labels": {"a": "b"}},
        "State": {"Status": "running"},
        "GraphDriver": {"Data": {}}
    });
    let t = |src: &str| {
        let t = Template::parse_named("inspect", src).unwrap();
        let mut out = String::new();
        t.execute_item(&container, &CONTAINER_INSPECT, &mut out)
            .map(|()| out)
            .map_err(|e| e.to_string())
    };
    assert_eq!(
        t("{{.Config.Labels.a}}|{{.Config.Labels.x}}|{{.GraphDriver.Data.x}}").unwrap(),
        "b|<no value>|<no value>"
    );
    assert!(
        t("{{.State.Typo}}")
            .unwrap_err()
            .ends_with("can't evaluate field Typo in type *define.InspectContainerState")
    );
    assert!(
        t("{{.Typo}}")
            .unwrap_err()
            .ends_with("can't evaluate field Typo in type interface {}")
    );
}
