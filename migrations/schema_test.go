package migrations_test

import (
	"slices"
	"strings"

	"github.com/hasura-auth-go/auth/testsupport"
)

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
	"table auth.webauthn_challenges",
	"table auth.webauthn_key_details",
	// Sign-in by SMS: wrong-code counts, and numbers hasura-auth stored as typed found by their E.164 form.
	"table auth.user_sms_otp_state",
	"index auth.users.users_phone_number_e164_idx",
	// Provider sign-in requests expire (social/).
	"column auth.provider_requests.expires_at",
	// Provider tokens (migration 0105): the access token's expiry, the
	// hash binding a refresh token to its user, a user's links by provider.
	"column auth.user_providers.access_token_expires_at",
	"column auth.user_providers.refresh_token_hash",
	"index auth.user_providers.user_providers_user_id_provider_id_idx",
	"index auth.provider_requests.provider_requests_expires_at_idx",
	// The OpenID Connect provider: nhost's tables (migration 0104) and our history.
	"table auth.oauth2_clients",
	"table auth.oauth2_auth_requests",
	"table auth.oauth2_authorization_codes",
	"table auth.oauth2_refresh_tokens",
	"table auth.oauth2_refresh_token_history",
	"function auth.generate_oauth2_client_id()",
	// A user's security keys are listed by user.
	"index auth.user_security_keys.user_security_keys_user_id_idx",
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
	// Disabling a user by any means moves their sessions epoch (0103).
	"function auth.revoke_sessions_on_disable()",
	"trigger auth.users.revoke_sessions_on_disable",
	// A PAT's deletion is announced, so the access tokens it issued die (0103).
	"function auth.notify_pat_deleted()",
	"trigger auth.refresh_tokens.notify_pat_deleted",
}

// allowedAddition says whether o, absent from hasura-auth's schema, is one of ourAdditions.
func allowedAddition(o testsupport.SchemaObject) bool {
	if o.Table != "" && slices.Contains(ourAdditions, "table "+o.Table) {
		return true
	}
	return slices.Contains(ourAdditions, o.Key())
}

// diffSchemas lists how got differs from want beyond ourAdditions: objects
// missing or different, tables whose hasura-auth columns are not first and
// in order, additions not declared; and declared additions got lacks.
func diffSchemas(want, got map[string]testsupport.SchemaObject) []string {
	problems := testsupport.KeptObjects(want, got)
	for k, g := range got {
		if _, ok := want[k]; !ok && !allowedAddition(g) {
			problems = append(problems, "not in hasura-auth's schema nor declared in ourAdditions: "+k+" "+g.Def)
		}
	}
	for _, a := range ourAdditions {
		found := false
		for _, g := range got {
			if g.Key() == a || (strings.HasPrefix(a, "table ") && g.Kind == "table" && "table "+g.Table == a) {
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
