package testsupport

import (
	"net/url"
	"os"
)

// PoolerURL is the transaction-pooling PgBouncer the suite runs through a
// second time (.ci/run sets TEST_PGBOUNCER_URL=postgres://postgres@127.0.0.1:6432);
// "" when the tests talk to PostgreSQL directly.
func PoolerURL() string { return os.Getenv("TEST_PGBOUNCER_URL") }

// PooledURL is dbURL reached through the pooler: the same database, user
// and options on the pooler's host and port. dbURL is returned unchanged when
// no pooler is set, or when it points at another server than AdminURL (a
// test's own cluster, which the pooler does not front).
func PooledURL(dbURL string) string {
	p := PoolerURL()
	if p == "" {
		return dbURL
	}
	pu, err1 := url.Parse(p)
	du, err2 := url.Parse(dbURL)
	au, err3 := url.Parse(AdminURL())
	if err1 != nil || err2 != nil || err3 != nil || du.Host != au.Host {
		return dbURL
	}
	du.Host = pu.Host
	return du.String()
}

// ThroughPooler rewrites a server configuration to reach its database
// through the pooler, as a deployment behind PgBouncer would:
// AUTH_DATABASE_POOLER=transaction and the direct URL for LISTEN (unless
// the test sets those itself). Without a pooler it returns vals as they are.
func ThroughPooler(vals map[string]string) map[string]string {
	direct := vals["HASURA_GRAPHQL_DATABASE_URL"]
	pooled := PooledURL(direct)
	if pooled == direct {
		return vals
	}
	out := make(map[string]string, len(vals)+2)
	for k, v := range vals {
		out[k] = v
	}
	out["HASURA_GRAPHQL_DATABASE_URL"] = pooled
	if _, ok := vals["AUTH_DATABASE_POOLER"]; !ok {
		out["AUTH_DATABASE_POOLER"] = "transaction"
	}
	if _, ok := vals["AUTH_DATABASE_DIRECT_URL"]; !ok {
		out["AUTH_DATABASE_DIRECT_URL"] = direct
	}
	return out
}
