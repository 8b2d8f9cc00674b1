package metadata_test

import (
	"regexp"
	"sort"
	"strings"
	"testing"
	"testing/fstest"

	"github.com/stretchr/testify/require"

	"github.com/hasura-auth-go/auth/metadata"
	"github.com/hasura-auth-go/auth/testsupport"
)

// hasura-auth's tracked tables, and the OpenID Connect provider's, which
// nhost's current auth tracks.
var hasuraAuthTables = []string{
	"auth.oauth2_auth_requests", "auth.oauth2_authorization_codes", "auth.oauth2_clients", "auth.oauth2_refresh_tokens",
	"auth.provider_requests", "auth.providers", "auth.refresh_token_types", "auth.refresh_tokens", "auth.roles",
	"auth.user_providers", "auth.user_roles", "auth.user_security_keys", "auth.users",
}

// Tables of ours that must never reach GraphQL, even for the admin role by accident.
var internalTables = map[string]string{
	"auth.jwt_signing_keys":             "holds private signing keys",
	"auth.refresh_token_history":        "holds refresh token hashes and sealed tokens",
	"auth.schema_migrations":            "migration bookkeeping",
	"auth.user_totp_state":              "TOTP replay and lockout counters",
	"auth.webauthn_challenges":          "WebAuthn ceremonies in progress, with the emails and options of pending sign-ups",
	"auth.webauthn_key_details":         "our bookkeeping of security keys (GET /user/webauthn/keys serves it)",
	"auth.oauth2_refresh_token_history": "holds retired refresh token hashes of applications",
}

func loadTables(t *testing.T) map[string]metadata.Table {
	t.Helper()
	sources, err := metadata.Load()
	require.NoError(t, err)
	require.Len(t, sources, 1)
	require.Equal(t, "default", sources[0].Name)
	require.Equal(t, "postgres", sources[0].Kind)
	out := map[string]metadata.Table{}
	for _, tb := range sources[0].Tables {
		out[tb.Table.String()] = tb
	}
	return out
}

func TestEmbeddedMetadataTracksHasuraAuthTables(t *testing.T) {
	tables := loadTables(t)
	var names []string
	for n := range tables {
		names = append(names, n)
	}
	sort.Strings(names)
	require.Equal(t, hasuraAuthTables, names)
	for n := range internalTables {
		require.NotContains(t, tables, n)
	}

	// The names nhost front ends query.
	users := tables["auth.users"]
	require.Equal(t, "users", users.Configuration.CustomName)
	require.Equal(t, map[string]string{
		"select": "users", "select_by_pk": "user", "select_aggregate": "usersAggregate",
		"insert": "insertUsers", "insert_one": "insertUser",
		"update": "updateUsers", "update_by_pk": "updateUser",
		"delete": "deleteUsers", "delete_by_pk": "deleteUser",
	}, users.Configuration.CustomRootFields)
	require.Equal(t, "createdAt", users.Configuration.ColumnConfig["created_at"].CustomName)
	require.Equal(t, "currentChallenge", users.Configuration.ColumnConfig["webauthn_current_challenge"].CustomName)
	require.True(t, tables["auth.refresh_token_types"].IsEnum)

	// Every other table follows hasura-auth's authXxx / authXxxs pattern.
	for name, tb := range tables {
		if name == "auth.users" {
			continue
		}
		plural := tb.Configuration.CustomName
		require.True(t, strings.HasPrefix(plural, "auth"), name)
		singular := strings.TrimSuffix(plural, "s")
		up := strings.ToUpper(plural[:1]) + plural[1:]
		upSingular := strings.TrimSuffix(up, "s")
		require.Equal(t, map[string]string{
			"select": plural, "select_by_pk": singular, "select_aggregate": plural + "Aggregate",
			"insert": "insert" + up, "insert_one": "insert" + upSingular,
			"update": "update" + up, "update_by_pk": "update" + upSingular,
			"delete": "delete" + up, "delete_by_pk": "delete" + upSingular,
		}, tb.Configuration.CustomRootFields, name)
	}
}

// The relationships nhost front ends use, by name.
func TestEmbeddedMetadataRelationships(t *testing.T) {
	tables := loadTables(t)
	type rel struct{ kind, name, fk string }
	got := map[string][]rel{}
	for name, tb := range tables {
		for _, r := range tb.ObjectRelationships {
			got[name] = append(got[name], rel{"object", r.Name, r.Using.ForeignKeyConstraintOn.Column})
		}
		for _, r := range tb.ArrayRelationships {
			fk := r.Using.ForeignKeyConstraintOn
			got[name] = append(got[name], rel{"array", r.Name, fk.Table.String() + "." + fk.Column})
		}
	}
	require.Equal(t, map[string][]rel{
		"auth.users": {
			{"object", "defaultRoleByRole", "default_role"},
			{"array", "oauth2AuthRequests", "auth.oauth2_auth_requests.user_id"},
			{"array", "oauth2RefreshTokens", "auth.oauth2_refresh_tokens.user_id"},
			{"array", "refreshTokens", "auth.refresh_tokens.user_id"},
			{"array", "roles", "auth.user_roles.user_id"},
			{"array", "securityKeys", "auth.user_security_keys.user_id"},
			{"array", "userProviders", "auth.user_providers.user_id"},
		},
		"auth.user_roles": {
			{"object", "roleByRole", "role"},
			{"object", "user", "user_id"},
		},
		"auth.roles": {
			{"array", "userRoles", "auth.user_roles.role"},
			{"array", "usersByDefaultRole", "auth.users.default_role"},
		},
		"auth.refresh_tokens":      {{"object", "user", "user_id"}},
		"auth.refresh_token_types": {{"array", "refreshTokens", "auth.refresh_tokens.type"}},
		"auth.providers":           {{"array", "userProviders", "auth.user_providers.provider_id"}},
		"auth.user_providers": {
			{"object", "provider", "provider_id"},
			{"object", "user", "user_id"},
		},
		"auth.user_security_keys": {{"object", "user", "user_id"}},
		"auth.oauth2_clients": {
			{"object", "createdByUser", "created_by"},
			{"array", "authRequests", "auth.oauth2_auth_requests.client_id"},
			{"array", "oauth2RefreshTokens", "auth.oauth2_refresh_tokens.client_id"},
		},
		"auth.oauth2_auth_requests": {
			{"object", "client", "client_id"},
			{"object", "user", "user_id"},
			{"array", "authorizationCodes", "auth.oauth2_authorization_codes.auth_request_id"},
			{"array", "refreshTokens", "auth.oauth2_refresh_tokens.auth_request_id"},
		},
		"auth.oauth2_authorization_codes": {{"object", "authRequest", "auth_request_id"}},
		"auth.oauth2_refresh_tokens": {
			{"object", "authRequest", "auth_request_id"},
			{"object", "client", "client_id"},
			{"object", "user", "user_id"},
		},
	}, got)
}

// The metadata against the schema our migrations build: every tracked table
// and renamed column exists, every snake_case column gets hasura-auth's
// camelCase name, and every relationship rides on a real foreign key (Hasura
// would mark it inconsistent otherwise).
func TestMetadataMatchesMigratedSchema(t *testing.T) {
	db := testsupport.MigratedDB(t)

	var cols []struct{ Tbl, Col string }
	require.NoError(t, db.Raw(`SELECT table_schema || '.' || table_name AS tbl, column_name AS col
		FROM information_schema.columns WHERE table_schema = 'auth'`).Scan(&cols).Error)
	columns := map[string]map[string]bool{}
	for _, c := range cols {
		if columns[c.Tbl] == nil {
			columns[c.Tbl] = map[string]bool{}
		}
		columns[c.Tbl][c.Col] = true
	}
	// single-column foreign keys: "auth.user_roles.user_id" -> "auth.users"
	var fks []struct{ Src, Ref string }
	require.NoError(t, db.Raw(`SELECT c.conrelid::regclass::text || '.' || a.attname AS src, c.confrelid::regclass::text AS ref
		FROM pg_constraint c
		JOIN pg_attribute a ON a.attrelid = c.conrelid AND a.attnum = c.conkey[1]
		WHERE c.contype = 'f' AND cardinality(c.conkey) = 1 AND c.connamespace = 'auth'::regnamespace`).Scan(&fks).Error)
	fkTo := map[string]string{}
	for _, fk := range fks {
		fkTo[fk.Src] = fk.Ref
	}

	tables := loadTables(t)
	for tbl := range columns {
		if _, tracked := tables[tbl]; !tracked && internalTables[tbl] == "" {
			t.Logf("auth table %s is not tracked in Hasura (add metadata for it if clients should see it)", tbl)
		}
	}
	graphQLName := regexp.MustCompile(`^[_A-Za-z][_0-9A-Za-z]*$`)
	for name, tb := range tables {
		have, ok := columns[name]
		require.True(t, ok, "metadata tracks %s, which the migrations do not create", name)
		for col, cc := range tb.Configuration.ColumnConfig {
			require.True(t, have[col], "%s: column_config names missing column %s", name, col)
			require.Regexp(t, graphQLName, cc.CustomName, "%s.%s", name, col)
		}
		for col := range have {
			if !strings.Contains(col, "_") {
				continue
			}
			want := camel(col)
			if col == "webauthn_current_challenge" {
				want = "currentChallenge" // hasura-auth's name
			}
			require.Equal(t, want, tb.Configuration.ColumnConfig[col].CustomName,
				"%s.%s needs hasura-auth's camelCase name in metadata/databases/default/tables/%s.yaml",
				name, col, strings.ReplaceAll(name, ".", "_"))
		}
		for _, r := range tb.ObjectRelationships {
			col := r.Using.ForeignKeyConstraintOn.Column
			require.NotEmpty(t, fkTo[name+"."+col], "%s.%s: no foreign key on %s", name, r.Name, col)
			require.Contains(t, tables, fkTo[name+"."+col], "%s.%s points at an untracked table", name, r.Name)
		}
		for _, r := range tb.ArrayRelationships {
			fk := r.Using.ForeignKeyConstraintOn
			require.Equal(t, name, fkTo[fk.Table.String()+"."+fk.Column],
				"%s.%s: %s.%s is not a foreign key to %s", name, r.Name, fk.Table, fk.Column, name)
			require.Contains(t, tables, fk.Table.String(), "%s.%s reads an untracked table", name, r.Name)
		}
	}
}

func camel(s string) string {
	parts := strings.Split(s, "_")
	for i := 1; i < len(parts); i++ {
		parts[i] = strings.ToUpper(parts[i][:1]) + parts[i][1:]
	}
	return strings.Join(parts, "")
}

// Whatever the files say must be applied; a key the loader does not know
// (and so would not apply) is an error, not a silent omission.
func TestLoadFSRejects(t *testing.T) {
	const okTable = "table: {name: t, schema: s}\n"
	cases := []struct {
		name, table, tables, version, wantErr string
	}{
		{name: "permissions are not applied", table: okTable + "select_permissions: []\n", wantErr: "select_permissions"},
		{name: "unknown configuration key", table: okTable + "configuration: {custom_nmae: x}\n", wantErr: "custom_nmae"},
		{name: "unknown root field", table: okTable + "configuration: {custom_root_fields: {selekt: x}}\n", wantErr: `unknown field "selekt"`},
		{name: "array relationship without remote table", table: okTable + "array_relationships: [{name: r, using: {foreign_key_constraint_on: c}}]\n", wantErr: "needs {column, table}"},
		{name: "unknown foreign key form", table: okTable + "object_relationships: [{name: r, using: {foreign_key_constraint_on: {columns: [a]}}}]\n", wantErr: "columns"},
		{name: "manual relationship", table: okTable + "object_relationships: [{name: r, using: {manual_configuration: {}}}]\n", wantErr: "manual_configuration"},
		{name: "relationship twice", table: okTable + "object_relationships: [{name: r, using: {foreign_key_constraint_on: a}}, {name: r, using: {foreign_key_constraint_on: b}}]\n", wantErr: "defined twice"},
		{name: "table without schema", table: "table: {name: t}\n", wantErr: "name and schema"},
		{name: "duplicate table", tables: "- \"!include t.yaml\"\n- \"!include t.yaml\"\n", table: okTable, wantErr: "already defined"},
		{name: "not an include", tables: "- \"t.yaml\"\n", table: okTable, wantErr: `want "!include <file>"`},
		{name: "missing include", tables: "- \"!include nope.yaml\"\n", table: okTable, wantErr: "nope.yaml"},
		{name: "config v2", version: "version: 2\n", table: okTable, wantErr: "want 3"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			fsys := testFS(tc.version, tc.tables, tc.table)
			_, err := metadata.LoadFS(fsys)
			require.ErrorContains(t, err, tc.wantErr)
		})
	}
}

func TestLoadFSInlineTablesAndRemoteObjectRelationship(t *testing.T) {
	fsys := testFS("", "", "")
	fsys["databases/databases.yaml"] = &fstest.MapFile{Data: []byte(`
- name: other
  kind: postgres
  configuration: {connection_info: {database_url: {from_env: X}}}
  tables:
    - table: {name: a, schema: public}
      object_relationships:
        - name: profile
          using: {foreign_key_constraint_on: {column: a_id, table: {name: p, schema: public}}}
`)}
	sources, err := metadata.LoadFS(fsys)
	require.NoError(t, err)
	require.Len(t, sources, 1)
	require.Equal(t, "other", sources[0].Name)
	fk := sources[0].Tables[0].ObjectRelationships[0].Using.ForeignKeyConstraintOn
	require.Equal(t, "a_id", fk.Column)
	require.Equal(t, "public.p", fk.Table.String())
}

func testFS(version, tables, table string) fstest.MapFS {
	if version == "" {
		version = "version: 3\n"
	}
	if tables == "" {
		tables = "- \"!include t.yaml\"\n"
	}
	return fstest.MapFS{
		"version.yaml":                         {Data: []byte(version)},
		"databases/databases.yaml":             {Data: []byte("- name: default\n  kind: postgres\n  tables: \"!include default/tables/tables.yaml\"\n")},
		"databases/default/tables/tables.yaml": {Data: []byte(tables)},
		"databases/default/tables/t.yaml":      {Data: []byte(table)},
	}
}
