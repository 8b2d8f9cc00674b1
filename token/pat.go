package token

import "github.com/google/uuid"

// PATClaim carries, in an access token of a session started with a
// personal access token, that PAT's id: the Bearer check refuses the token
// once the PAT is revoked or expired (session/pat.go), so revoking a PAT
// cuts what it issued at once. Hasura ignores claims outside its namespace.
const PATClaim = "pat_id"

// PATOf is the PAT v descends from, if any.
func PATOf(v *Verified) (uuid.UUID, bool) {
	if v == nil || v.Claims == nil {
		return uuid.Nil, false
	}
	s, ok := v.Claims.Payload[PATClaim].(string)
	if !ok {
		return uuid.Nil, false
	}
	id, err := uuid.Parse(s)
	return id, err == nil
}
