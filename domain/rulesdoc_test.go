package domain_test

import (
	"flag"
	"os"
	"strings"
	"testing"

	"github.com/kvportal/kvportal/domain"
)

var update = flag.Bool("update", false, "rewrite docs/rules.md from the parameter table")

// rulesDocPath is the rules reference, generated from domain.Table.
const rulesDocPath = "../docs/rules.md"

// TestRulesDoc keeps docs/rules.md what the parameter table says: a rule
// changed in the table and not in the document (or the other way round)
// fails here. `go test ./domain -run TestRulesDoc -update` rewrites it.
func TestRulesDoc(t *testing.T) {
	want := rulesDoc()
	if *update {
		if err := os.WriteFile(rulesDocPath, []byte(want), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	got, err := os.ReadFile(rulesDocPath)
	if err != nil {
		t.Fatal(err)
	}
	if string(got) != want {
		t.Errorf("%s differs from the parameter table: run go test ./domain -run TestRulesDoc -update", rulesDocPath)
	}
}

// rulesDoc is the rules reference in Markdown: one row per parameter of
// the table, in the form's order.
func rulesDoc() string {
	var b strings.Builder
	b.WriteString(`# The CreateInstance rules

<!-- Generated from domain.Table by: go test ./domain -run TestRulesDoc -update
     Change the table, not this file. -->

The form checks every rule below before anything is stored and shows each
error next to its field; the simulator applies the same rules
(` + "`domain.Validate`" + `). Surrounding spaces are trimmed from every field
but the password, and enumerated values are read without regard to case
(` + "`CLASSIC`" + ` is ` + "`Classic`" + `). The parameters are listed in the order of
the form.

| parameter | field | group | rule | default |
| --- | --- | --- | --- | --- |
`)
	for _, m := range domain.Table {
		name := "`" + m.Name + "`"
		if m.Wire != "" {
			name += " (sent as `" + m.Wire + "`)"
		}
		def := ""
		if m.Default != "" {
			def = "`" + m.Default + "`"
		}
		b.WriteString("| " + name + " | " + mdText(m.Label) + " | " + mdText(m.Group.Title) + " | " + mdText(m.FullRule()) + " | " + def + " |\n")
	}
	b.WriteString(`
Regions, zones, instance classes and engine versions are checked against the
cloud's catalog (DescribeRegions and DescribeAvailableResource), cached and
refreshed every 15 minutes; when the cloud can't be reached the form keeps
working with the last known catalog and says so. ` + "`make fuzz`" + ` runs the
validation fuzzer for a minute.
`)
	return b.String()
}

// mdText escapes what Markdown would read as markup in a table cell.
func mdText(s string) string {
	var b strings.Builder
	for _, r := range s {
		if strings.ContainsRune("\\`*_[]<>|#", r) {
			b.WriteByte('\\')
		}
		b.WriteRune(r)
	}
	return b.String()
}
