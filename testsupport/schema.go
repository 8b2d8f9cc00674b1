package testsupport

import (
	"fmt"
	"regexp"
	"strings"
	"testing"
)

// SchemaObject is one comparable piece of a pg_dump: a table's column list,
// a column, a constraint, an index, a trigger, a function's signature, a
// comment's presence, a domain.
type SchemaObject struct {
	Kind  string // table, column, constraint, index, trigger, function, comment, domain, identity, schema, statement
	Table string // auth.users; "" for schema-level objects
	Name  string // column/constraint/index/trigger name; function signature; "" for a table itself
	Def   string // what must be equal; for a table, its columns in order
}

// Key names the object: "<kind> <table>.<name>".
func (o SchemaObject) Key() string {
	switch {
	case o.Table == "":
		return o.Kind + " " + o.Name
	case o.Name == "":
		return o.Kind + " " + o.Table
	}
	return o.Kind + " " + o.Table + "." + o.Name
}

var (
	reCreateTable = regexp.MustCompile(`^CREATE TABLE (\S+) \(\n(?s)(.*)\n\);$`)
	reAddConstr   = regexp.MustCompile(`^ALTER TABLE ONLY (\S+)\s+ADD CONSTRAINT (\S+) (?s)(.*);$`)
	reIndex       = regexp.MustCompile(`^CREATE (?:UNIQUE )?INDEX (\S+) ON (?:ONLY )?(\S+) `)
	reTrigger     = regexp.MustCompile(`^CREATE TRIGGER (\S+) .* ON (\S+) `)
	reFunction    = regexp.MustCompile(`^CREATE FUNCTION (\S+\(.*?\)) (?s)(.*?)\s+AS \$(\w*)\$`)
	reComment     = regexp.MustCompile(`^COMMENT ON (\w+) (\S+) IS `)
	reDomain      = regexp.MustCompile(`^CREATE DOMAIN (\S+) `)
	reIdentity    = regexp.MustCompile(`^ALTER TABLE (\S+) ALTER COLUMN (\S+) ADD GENERATED `)
	spaces        = regexp.MustCompile(`\s+`)
)

// NormaliseSchema turns pg_dump --schema-only output into objects keyed by
// name. What it leaves out, on purpose: session settings and pg_dump's own
// lines, the text of comments (ours are our own words; their presence is
// compared) and the bodies of functions (ours are our own code; signature and
// language are compared).
func NormaliseSchema(t testing.TB, dump string) map[string]SchemaObject {
	t.Helper()
	out := map[string]SchemaObject{}
	add := func(o SchemaObject) {
		if _, dup := out[o.Key()]; dup {
			t.Fatalf("schema object %s appears twice", o.Key())
		}
		out[o.Key()] = o
	}
	for _, stmt := range splitStatements(dump) {
		flat := spaces.ReplaceAllString(stmt, " ")
		switch {
		case reCreateTable.MatchString(stmt):
			m := reCreateTable.FindStringSubmatch(stmt)
			var cols []string
			for _, line := range strings.Split(m[2], "\n") {
				line = strings.TrimSuffix(strings.TrimSpace(line), ",")
				name, def, _ := strings.Cut(line, " ")
				if name == "CONSTRAINT" {
					cname, cdef, _ := strings.Cut(def, " ")
					add(SchemaObject{Kind: "constraint", Table: m[1], Name: cname, Def: cdef})
					continue
				}
				cols = append(cols, name)
				add(SchemaObject{Kind: "column", Table: m[1], Name: name, Def: def})
			}
			add(SchemaObject{Kind: "table", Table: m[1], Def: strings.Join(cols, ", ")})
		case reAddConstr.MatchString(stmt):
			m := reAddConstr.FindStringSubmatch(stmt)
			add(SchemaObject{Kind: "constraint", Table: m[1], Name: m[2], Def: spaces.ReplaceAllString(m[3], " ")})
		case reIndex.MatchString(flat):
			m := reIndex.FindStringSubmatch(flat)
			add(SchemaObject{Kind: "index", Table: m[2], Name: m[1], Def: flat})
		case reTrigger.MatchString(flat):
			m := reTrigger.FindStringSubmatch(flat)
			add(SchemaObject{Kind: "trigger", Table: m[2], Name: m[1], Def: flat})
		case reFunction.MatchString(stmt):
			m := reFunction.FindStringSubmatch(stmt)
			add(SchemaObject{Kind: "function", Name: m[1], Def: spaces.ReplaceAllString(m[2], " ")})
		case reComment.MatchString(flat):
			m := reComment.FindStringSubmatch(flat)
			add(SchemaObject{Kind: "comment", Table: m[2], Name: strings.ToLower(m[1])})
		case reDomain.MatchString(flat):
			add(SchemaObject{Kind: "domain", Name: reDomain.FindStringSubmatch(flat)[1], Def: flat})
		case reIdentity.MatchString(flat):
			m := reIdentity.FindStringSubmatch(flat)
			add(SchemaObject{Kind: "identity", Table: m[1], Name: m[2], Def: flat})
		default:
			add(SchemaObject{Kind: "statement", Name: flat})
		}
	}
	return out
}

// splitStatements cuts a dump into statements, dropping comments, session
// settings and psql meta-commands; a statement inside dollar quotes (a
// function body) may hold semicolons.
func splitStatements(dump string) []string {
	var stmts []string
	var cur []string
	quote := "" // the open dollar quote, e.g. "$$" or "$fn$"
	reDollar := regexp.MustCompile(`\$\w*\$`)
	for _, line := range strings.Split(dump, "\n") {
		if quote == "" {
			trimmed := strings.TrimSpace(line)
			if len(cur) == 0 && (trimmed == "" || strings.HasPrefix(trimmed, "--") || strings.HasPrefix(trimmed, "SET ") ||
				strings.HasPrefix(trimmed, "SELECT pg_catalog.set_config") || strings.HasPrefix(trimmed, `\`)) {
				continue
			}
		}
		cur = append(cur, line)
		for _, q := range reDollar.FindAllString(line, -1) {
			switch quote {
			case "":
				quote = q
			case q:
				quote = ""
			}
		}
		if quote == "" && strings.HasSuffix(strings.TrimSpace(line), ";") {
			stmts = append(stmts, strings.Join(cur, "\n"))
			cur = nil
		}
	}
	return stmts
}

// Widened are hasura-auth's columns this server widens, with what they
// become: nhost's current schema has them so (migration 0105), and every
// value hasura-auth writes still fits.
var Widened = map[string]string{
	"column auth.users.locale": "character varying(3) NOT NULL",
}

// KeptObjects lists how got fails to keep want's objects: missing, changed
// (but for Widened), or (tables) without want's columns first and in order.
// Additions are not its business.
func KeptObjects(want, got map[string]SchemaObject) []string {
	var problems []string
	for k, w := range want {
		g, ok := got[k]
		switch {
		case !ok:
			problems = append(problems, "missing: "+k+" "+w.Def)
		case w.Kind == "table":
			if g.Def != w.Def && !strings.HasPrefix(g.Def, w.Def+", ") {
				problems = append(problems, fmt.Sprintf("%s: columns %q, want %q first", k, g.Def, w.Def))
			}
		case g.Def != w.Def && Widened[k] != g.Def:
			problems = append(problems, fmt.Sprintf("%s: %q, want %q", k, g.Def, w.Def))
		}
	}
	return problems
}
