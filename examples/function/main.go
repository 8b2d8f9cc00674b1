// Command function is an example serverless-style HTTP function that trusts
// the auth server's access tokens. Run it with NHOST_JWT_SECRET (or
// HASURA_GRAPHQL_JWT_SECRET) set as for Hasura: an HS secret, a PEM key, or
// {"jwk_url": "http://auth:4000/.well-known/jwks.json"}.
package main

import (
	"encoding/json"
	"log"
	"net/http"
	"os"

	"github.com/hasura-auth-go/auth/verify"
)

func main() {
	v, err := verify.FromEnv()
	if err != nil {
		log.Fatal(err)
	}
	addr := os.Getenv("PORT")
	if addr == "" {
		addr = "3000"
	}
	log.Fatal(http.ListenAndServe(":"+addr, handler(v)))
}

// handler answers who the caller is; the two lines that matter are the
// verify.FromEnv above and v.Request below.
func handler(v *verify.Verifier) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		user, err := v.Request(r)
		w.Header().Set("Content-Type", "application/json")
		if err != nil {
			w.WriteHeader(http.StatusUnauthorized)
			_ = json.NewEncoder(w).Encode(map[string]string{"error": err.Error()})
			return
		}
		_ = json.NewEncoder(w).Encode(map[string]any{
			"userId": user.ID, "role": user.Role, "roles": user.Roles, "isAnonymous": user.IsAnonymous,
		})
	})
}
