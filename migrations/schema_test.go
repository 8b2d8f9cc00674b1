package migrations_test

import (
	"fmt"
	"regexp"
	"slices"
	"strings"
	"testing"
)

// schemaObject is one comparable piece of a pg_dump: a table's column list,
// a column, a constraint, an index, a trigger, a function's signature, a
// comment's presence, a domain.
type schemaObject struct {
	Kind  string // table, column, constraint, index, trigger, function, comment, domain, identity, schema, statement
	Table string // auth.users; "" for schema-level objects
	Name  string // column/constraint/index/trigger name; function signature; "" for a table itself
	Def   string // what must be equal; for a table, its columns in order
}

func (o schemaObject) key() string {
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

// normaliseSchema turns pg_dump --schema-only output into objects keyed by
// name. What it leaves out, on purpose: session settings and pg_dump's own
// lines, the text of comments (ours are our own words; their presence is
// compared) and the bodies of functions (ours are our own code; signature and
// language are compared).
func normaliseSchema(t testing.TB, dump string) map[string]schemaObject {
	t.Helper()
	out := map[string]schemaObject{}
	add := func(o schemaObject) {
		if _, dup := out[o.key()]; dup {
			t.Fatalf("schema object %s appears twice", o.key())
		}
		out[o.key()] = o
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
					add(schemaObject{Kind: "constraint", Table: m[1], Name: cname, Def: cdef})
					continue
				}
				cols = append(cols, name)
				add(schemaObject{Kind: "column", Table: m[1], Name: name, Def: def})
			}
			add(schemaObject{Kind: "table", Table: m[1], Def: strings.Join(cols, ", ")})
		case reAddConstr.MatchString(stmt):
			m := reAddConstr.FindStringSubmatch(stmt)
			add(schemaObject{Kind: "constraint", Table: m[1], Name: m[2], Def: spaces.ReplaceAllString(m[3], " ")})
		case reIndex.MatchString(flat):
			m := reIndex.FindStringSubmatch(flat)
			add(schemaObject{Kind: "index", Table: m[2], Name: m[1], Def: flat})
		case reTrigger.MatchString(flat):
			m := reTrigger.FindStringSubmatch(flat)
			add(schemaObject{Kind: "trigger", Table: m[2], Name: m[1], Def: flat})
		case reFunction.MatchString(stmt):
			m := reFunction.FindStringSubmatch(stmt)
			add(schemaObject{Kind: "function", Name: m[1], Def: spaces.ReplaceAllString(m[2], " ")})
		case reComment.MatchString(flat):
			m := reComment.FindStringSubmatch(flat)
			add(schemaObject{Kind: "comment", Table: m[2], Name: strings.ToLower(m[1])})
		case reDomain.MatchString(flat):
			add(schemaObject{Kind: "domain", Name: reDomain.FindStringSubmatch(flat)[1], Def: flat})
		case reIdentity.MatchString(flat):
			m := reIdentity.FindStringSubmatch(flat)
			add(schemaObject{Kind: "identity", Table: m[1], Name: m[2], Def: flat})
		default:
			add(schemaObject{Kind: "statement", Name: flat})
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

// ourAdditions is everything a fresh install of this server has beyond the
// schema hasura-auth leaves. Whole tables of ours are named by their table;
// on hasura-auth's tables only new nullable-or-defaulted columns, indexes and
// triggers are allowed, and never a column on auth.users (apps grant its
// columns one by one, and a column there would be exposed through Hasura).
var ourAdditions = []string{
	// Tables of ours, with everything on them.
	"table auth.hasura_auth_go_migrations",
	"table auth.refresh_token_history",
	"table auth.jwt_signing_keys",
	"table auth.user_totp_state",
	"table auth.user_sessions_epoch",
	"table auth.audit_log",
	"table auth.user_email_otp_state",
	// Refresh rotation and PAT sessions on auth.refresh_tokens.
	"column auth.refresh_tokens.generation",
	"column auth.refresh_tokens.pat_id",
	"constraint auth.refresh_tokens.refresh_tokens_pat_id_fkey",
	"index auth.refresh_tokens.refresh_tokens_pat_id_idx",
	"index auth.refresh_tokens.refresh_tokens_user_id_idx",
	"index auth.refresh_tokens.refresh_tokens_expires_at_idx",
	// Ticket lookups and the janitor's expiry scan.
	"index auth.users.users_ticket_idx",
	"index auth.users.users_ticket_expires_at_idx",
	// NOTIFY of changes to users and roles (profile and sessions-epoch caches).
	"function auth.notify_sessions_epoch()",
	"function auth.notify_user_row_changed()",
	"function auth.notify_user_roles_changed()",
	"trigger auth.users.notify_sessions_epoch",
	"trigger auth.users.notify_user_changed",
	"trigger auth.user_roles.notify_user_roles_inserted",
	"trigger auth.user_roles.notify_user_roles_updated",
	"trigger auth.user_roles.notify_user_roles_deleted",
}

// allowedAddition says whether o, absent from hasura-auth's schema, is one of ourAdditions.
func allowedAddition(o schemaObject) bool {
	if o.Table != "" && slices.Contains(ourAdditions, "table "+o.Table) {
		return true
	}
	return slices.Contains(ourAdditions, o.key())
}

// diffSchemas lists how got differs from want beyond ourAdditions: objects
// missing or different, tables whose hasura-auth columns are not first and
// in order, additions not declared; and declared additions got lacks.
func diffSchemas(want, got map[string]schemaObject) []string {
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
		case g.Def != w.Def:
			problems = append(problems, fmt.Sprintf("%s: %q, want %q", k, g.Def, w.Def))
		}
	}
	for k, g := range got {
		if _, ok := want[k]; !ok && !allowedAddition(g) {
			problems = append(problems, "not in hasura-auth's schema nor declared in ourAdditions: "+k+" "+g.Def)
		}
	}
	for _, a := range ourAdditions {
		found := false
		for _, g := range got {
			if g.key() == a || (strings.HasPrefix(a, "table ") && g.Kind == "table" && "table "+g.Table == a) {
				found = true
				break
			}
		}
		if !found {
			problems = append(problems, "declared addition absent: "+a)
		}
	}
	slices.Sort(problems)
	return problems
}
