package hasura

import (
	"crypto"
	"crypto/ecdsa"
	"crypto/ed25519"
	"crypto/elliptic"
	"crypto/hmac"
	"crypto/rsa"
	"crypto/sha256"
	"crypto/sha512"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"hash"
	"math"
	"math/big"
	"net/http"
	"sort"
	"strconv"
	"strings"
	"sync"
	"time"
	"unsafe"

	"github.com/golang-jwt/jwt/v5"
)

// Hasura's error codes for JWT mode.
const (
	CodeInvalidJWT        = "invalid-jwt"
	CodeInvalidClaims     = "jwt-invalid-claims"
	CodeMissingRoleClaims = "jwt-missing-role-claims"
	CodeAccessDenied      = "access-denied"
	CodeInvalidHeaders    = "invalid-headers"
)

// Error carries Hasura's error code and message, e.g. Code "invalid-jwt",
// Message "Could not verify JWT: JWTExpired". Hasura answers all of them with HTTP 400.
type Error struct {
	Code    string
	Message string
}

func (e *Error) Error() string { return e.Code + ": " + e.Message }

func jwtErr(reason string) *Error {
	return &Error{Code: CodeInvalidJWT, Message: "Could not verify JWT: " + reason}
}

func claimsErr(msg string) *Error { return &Error{Code: CodeInvalidClaims, Message: msg} }

// VerifierConfig configures a Verifier.
type VerifierConfig struct {
	Secret *JWTSecret       // options (namespace, path, format, claims_map, audience, issuer, skew, header); its VerifyKey is tried if non-nil
	Keys   []any            // extra public keys (e.g. from ParseJWKS); Hasura tries every key and ignores kid
	Now    func() time.Time // nil = time.Now
	// RejectDuplicateKeys refuses tokens whose header or claims repeat a key
	// at any depth. Hasura (aeson) keeps the last value, other readers the
	// first: a token that says two things should mean neither. Off by
	// default, to keep Hasura's verdicts; the auth server turns it on.
	RejectDuplicateKeys bool
}

// Verifier gives the same verdict as Hasura in JWT mode for a token and request.
// It is immutable and safe for concurrent use; build a new one when keys change.
type Verifier struct {
	keys        []any
	namespace   string
	nsPath      jsonPath
	hasNSPath   bool
	stringified bool
	claimsMap   *claimsMapSpec
	audience    []string
	hasAudience bool
	issuer      string
	skew        *big.Rat
	skewDur     time.Duration // the same skew, for the integer fast path
	header      HeaderSource
	now         func() time.Time
	strict      bool       // RejectDuplicateKeys
	macs        []*hmacKey // per key: non-nil for HMAC keys
}

// Claims is the outcome of a successful verification.
type Claims struct {
	AllowedRoles []string
	DefaultRole  string
	Role         string // the role Hasura would use: x-hasura-role header if given (must be allowed) else default role
	// SessionVariables holds every session variable claim (lower-cased keys, string values)
	// except x-hasura-allowed-roles, plus x-hasura-role set to Role, as Hasura's session has it.
	SessionVariables map[string]string
	Payload          map[string]any // whole verified payload (numbers as float64, like encoding/json)
}

// jwsAlgs are the algorithms jose knows; "none" is known but never accepted.
var jwsAlgs = map[string]bool{
	"HS256": true, "HS384": true, "HS512": true,
	"RS256": true, "RS384": true, "RS512": true,
	"PS256": true, "PS384": true, "PS512": true,
	"ES256": true, "ES384": true, "ES512": true, "ES256K": true,
	"EdDSA": true, "none": true,
}

// NewVerifier validates the configuration and keys.
func NewVerifier(cfg VerifierConfig) (*Verifier, error) {
	v := &Verifier{
		namespace: DefaultClaimsNamespace,
		header:    HeaderSource{Type: HeaderAuthorization},
		now:       cfg.Now,
		skew:      new(big.Rat),
		strict:    cfg.RejectDuplicateKeys,
	}
	if v.now == nil {
		v.now = time.Now
	}
	if s := cfg.Secret; s != nil {
		if s.ClaimsNamespace != "" {
			v.namespace = s.ClaimsNamespace
		}
		if s.ClaimsNamespacePath != "" {
			if s.ClaimsNamespace != "" && s.ClaimsNamespace != DefaultClaimsNamespace {
				return nil, errors.New("hasura: claims_namespace and claims_namespace_path both cannot be set")
			}
			p, err := parseJSONPath(s.ClaimsNamespacePath)
			if err != nil {
				return nil, fmt.Errorf("hasura: invalid JSON path claims_namespace_path error: %w", err)
			}
			v.nsPath, v.hasNSPath = p, true
		}
		switch s.ClaimsFormat {
		case "", ClaimsFormatJSON:
		case ClaimsFormatStringifiedJSON:
			v.stringified = true
		default:
			return nil, fmt.Errorf("hasura: unknown claims_format %q", s.ClaimsFormat)
		}
		if s.ClaimsMap != nil {
			spec, err := compileClaimsMap(s.ClaimsMap)
			if err != nil {
				return nil, fmt.Errorf("hasura: claims_map: %w", err)
			}
			v.claimsMap = spec
		}
		v.audience, v.hasAudience = s.Audience, s.Audience != nil
		v.issuer = s.Issuer
		v.skew = new(big.Rat).SetFrac(big.NewInt(int64(s.AllowedSkew.Abs())), big.NewInt(int64(time.Second)))
		v.skewDur = s.AllowedSkew.Abs()
		switch s.Header.Type {
		case "", HeaderAuthorization:
		case HeaderCookie, HeaderCustom:
			if s.Header.Name == "" {
				return nil, fmt.Errorf("hasura: header type %s needs a name", s.Header.Type)
			}
			v.header = s.Header
		default:
			return nil, fmt.Errorf("hasura: unknown header type %q", s.Header.Type)
		}
		if s.VerifyKey != nil {
			k, err := normaliseVerifyKey(s.VerifyKey)
			if err != nil {
				return nil, err
			}
			v.keys = append(v.keys, k)
		}
	}
	for _, key := range cfg.Keys {
		k, err := normaliseVerifyKey(key)
		if err != nil {
			return nil, err
		}
		v.keys = append(v.keys, k)
	}
	v.macs = make([]*hmacKey, len(v.keys))
	for i, k := range v.keys {
		if b, ok := k.([]byte); ok {
			v.macs[i] = newHMACKey(b)
		}
	}
	return v, nil
}

func normaliseVerifyKey(key any) (any, error) {
	switch k := key.(type) {
	case []byte:
		return k, nil
	case *rsa.PublicKey, *ecdsa.PublicKey, ed25519.PublicKey:
		return k, nil
	case *rsa.PrivateKey, *ecdsa.PrivateKey, ed25519.PrivateKey:
		return k.(crypto.Signer).Public(), nil
	default:
		return nil, fmt.Errorf("hasura: unsupported verification key type %T", key)
	}
}

// Verify checks a raw JWT with the given x-hasura-role header value ("" when absent).
// Errors are always *Error.
func (v *Verifier) Verify(token string, roleHeader string) (*Claims, error) {
	payload, jerr := v.verifyToken(token)
	if jerr != nil {
		return nil, jerr
	}
	hc, jerr := v.hasuraClaims(payload)
	if jerr != nil {
		return nil, jerr
	}
	allowed, def, jerr := parseRoleClaims(hc)
	if jerr != nil {
		return nil, jerr
	}
	role := roleHeader
	if role == "" {
		role = def
	}
	if !contains(allowed, role) {
		return nil, &Error{Code: CodeAccessDenied, Message: "Your requested role is not in allowed roles"}
	}
	// Stricter than Hasura, which only checks the requested role: a default role
	// outside the allowed roles is a broken token even when a header picks another role.
	if !contains(allowed, def) {
		return nil, claimsErr("invalid " + defaultRoleClaim + "; should be one of " + allowedRolesClaim)
	}
	vars := make(map[string]string, len(hc)+1)
	for k, val := range hc {
		if k == allowedRolesClaim {
			continue
		}
		s, ok := val.(string)
		if !ok {
			return nil, firstNonString(hc)
		}
		vars[k] = s
	}
	vars[roleClaim] = role

	return &Claims{
		AllowedRoles:     allowed,
		DefaultRole:      def,
		Role:             role,
		SessionVariables: vars,
		Payload:          plainNumbers(payload).(map[string]any), // payload is ours: converted in place
	}, nil
}

// firstNonString reports the first (in key order, for stable messages) session
// variable that is not a string.
func firstNonString(hc map[string]any) *Error {
	for _, k := range sortedKeys(hc) {
		if _, ok := hc[k].(string); !ok && k != allowedRolesClaim {
			return claimsErr("x-hasura-* claims: parsing Text failed, expected String, but encountered " + jsonTypeName(hc[k]))
		}
	}
	return nil
}

// plainNumbers converts json.Number to float64 as encoding/json would, keeping
// json.Number only for values a float64 cannot hold. It converts maps and
// slices in place: the payload was decoded for this verification alone, and
// nothing else holds its numbers.
func plainNumbers(v any) any {
	switch x := v.(type) {
	case json.Number:
		if f, err := x.Float64(); err == nil {
			return f
		}
		return x
	case map[string]any:
		for k, el := range x {
			switch el.(type) {
			case json.Number, map[string]any, []any:
				x[k] = plainNumbers(el)
			}
		}
		return x
	case []any:
		for i, el := range x {
			x[i] = plainNumbers(el)
		}
		return x
	}
	return v
}

// VerifyRequest reads the token as Hasura does (Authorization: Bearer <jwt> as exactly
// two words, or the configured cookie/header) and the X-Hasura-Role header.
func (v *Verifier) VerifyRequest(r *http.Request) (*Claims, error) {
	var tokens []string
	switch v.header.Type {
	case HeaderCookie:
		for _, c := range r.Cookies() {
			if c.Name == v.header.Name {
				tokens = append(tokens, c.Value)
			}
		}
	case HeaderCustom:
		tokens = r.Header.Values(v.header.Name)
	default:
		for _, h := range r.Header.Values("Authorization") {
			words := splitWords(h)
			if len(words) != 2 || words[0] != "Bearer" {
				return nil, &Error{Code: CodeInvalidHeaders, Message: "Malformed Authorization header"}
			}
			tokens = append(tokens, words[1])
		}
	}
	switch len(tokens) {
	case 0:
		return nil, &Error{Code: CodeInvalidHeaders, Message: "Missing 'Authorization' or 'Cookie' header in JWT authentication mode"}
	case 1:
		return v.Verify(tokens[0], r.Header.Get("X-Hasura-Role"))
	default:
		return nil, &Error{Code: CodeInvalidHeaders, Message: "Could not verify JWT: Multiple JWTs found"}
	}
}

// splitWords splits like Haskell's Data.ByteString.Char8.words (ASCII whitespace and 0xA0).
func splitWords(s string) []string {
	return strings.FieldsFunc(s, func(r rune) bool {
		switch r {
		case ' ', '\t', '\n', '\v', '\f', '\r', 0xA0:
			return true
		}
		return false
	})
}

func contains(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}

// verifyToken runs jose's checks in jose's order: compact decoding, claims-set
// decoding, signature, then exp, iat, nbf, iss, aud.
func (v *Verifier) verifyToken(token string) (map[string]any, *Error) {
	if n := strings.Count(token, ".") + 1; n != 3 {
		return nil, jwtErr(fmt.Sprintf("JWSError (CompactDecodeError Invalid number of parts: Expected 3 parts; got %d)", n))
	}
	head, rest, _ := strings.Cut(token, ".")
	body, sigPart, _ := strings.Cut(rest, ".")
	// The three parts are decoded into one buffer, payload first as jose
	// reads it. The header and payload are read as strings over that buffer
	// (never written again), so the claims' keys and values need no copies.
	enc := base64.RawURLEncoding
	nBody, nHead := enc.DecodedLen(len(body)), enc.DecodedLen(len(head))
	buf := make([]byte, nBody+nHead+enc.DecodedLen(len(sigPart)))
	var rawPayload, rawHeader string
	n, payloadErr := enc.Decode(buf[:nBody], readOnlyBytes(body))
	if payloadErr == nil {
		rawPayload = unsafe.String(unsafe.SliceData(buf), n)
	}
	var claims map[string]any
	claimsErr := payloadErr
	payloadDup := false
	if payloadErr == nil {
		claims, payloadDup, claimsErr = decodeClaimsSet(rawPayload, v.strict)
	}
	// Newer Hasura matches the unverified issuer against the config before anything else.
	if v.issuer != "" && claimsErr == nil {
		if iss, ok := claims["iss"].(string); ok && iss != v.issuer {
			return nil, jwtErr("JWTNotInIssuer")
		}
	}
	n, headerErr := enc.Decode(buf[nBody:nBody+nHead], readOnlyBytes(head))
	if headerErr == nil {
		rawHeader = unsafe.String(unsafe.SliceData(buf[nBody:]), n)
	}
	alg, headerDup, err := decodeHeader(rawHeader, headerErr, v.strict)
	if err != nil {
		return nil, jwtErr(fmt.Sprintf("JWSError (JSONDecodeError %q)", err.Error()))
	}
	sig := buf[nBody+nHead:]
	n, err = enc.Decode(sig, readOnlyBytes(sigPart))
	sig = sig[:n]
	if err != nil {
		return nil, jwtErr(`JWSError (JSONDecodeError "invalid base64url signature")`)
	}
	if payloadErr != nil {
		return nil, jwtErr(`JWSError (JSONDecodeError "invalid base64url payload")`)
	}
	if claimsErr != nil {
		return nil, jwtErr("JWTClaimsSetDecodeError " + strconv.Quote(claimsErr.Error()))
	}
	if headerDup || payloadDup {
		return nil, jwtErr(`JWTClaimsSetDecodeError "duplicate key"`)
	}
	if alg == "none" {
		return nil, jwtErr("JWSError JWSNoSignatures")
	}
	if len(v.keys) == 0 {
		return nil, jwtErr("JWSError NoUsableKeys")
	}
	// The payload is decoded once, above; the signature is checked directly
	// against every key that fits the algorithm (Hasura ignores kid).
	if !v.signatureValid(alg, token[:len(head)+1+len(body)], sig) {
		return nil, jwtErr("JWSError JWSInvalidSignature")
	}
	if jerr := v.checkClaims(claims); jerr != nil {
		return nil, jerr
	}
	return claims, nil
}

// readOnlyBytes is s's bytes without a copy, for functions that only read
// their argument (base64 decoding, hashing): a token is a few hundred bytes
// that each Bearer request would otherwise copy three times.
func readOnlyBytes(s string) []byte { return unsafe.Slice(unsafe.StringData(s), len(s)) }

// signatureValid reports whether any configured key that jose would accept
// for alg verifies the signature.
func (v *Verifier) signatureValid(alg, signingInput string, sig []byte) bool {
	method := jwt.GetSigningMethod(alg)
	if method == nil || alg == "none" {
		return false
	}
	for i, k := range v.keys {
		if !keyFitsAlg(k, alg) {
			continue
		}
		if mac := v.macs[i]; mac != nil {
			if mac.verify(alg, signingInput, sig) {
				return true
			}
			continue
		}
		if method.Verify(signingInput, sig, k) == nil {
			return true
		}
	}
	return false
}

// hmacKey checks HS256/384/512 signatures with one key, reusing its keyed
// hashes: a new HMAC per request was a tenth of a Bearer check's time.
type hmacKey struct {
	pools [3]sync.Pool // HS256, HS384, HS512
}

func newHMACKey(key []byte) *hmacKey {
	k := &hmacKey{}
	for i, h := range []func() hash.Hash{sha256.New, sha512.New384, sha512.New} {
		k.pools[i].New = func() any { return hmac.New(h, key) }
	}
	return k
}

func (k *hmacKey) verify(alg, signingInput string, sig []byte) bool {
	var p *sync.Pool
	switch alg {
	case "HS256":
		p = &k.pools[0]
	case "HS384":
		p = &k.pools[1]
	case "HS512":
		p = &k.pools[2]
	default:
		return false
	}
	h := p.Get().(hash.Hash)
	defer p.Put(h)
	h.Reset()
	// Write only reads its argument (io.Writer's contract): the token's
	// bytes are hashed in place instead of copied.
	_, _ = h.Write(readOnlyBytes(signingInput))
	var sum [sha512.Size]byte
	return hmac.Equal(h.Sum(sum[:0]), sig) // constant time
}

// keyFitsAlg follows jose: HMAC keys verify any HS alg if at least as long as the
// digest, RSA keys any RS/PS alg, EC keys only the alg of their curve.
func keyFitsAlg(key any, alg string) bool {
	switch k := key.(type) {
	case []byte:
		switch alg {
		case "HS256":
			return len(k) >= 32
		case "HS384":
			return len(k) >= 48
		case "HS512":
			return len(k) >= 64
		}
	case *rsa.PublicKey:
		return strings.HasPrefix(alg, "RS") || strings.HasPrefix(alg, "PS")
	case *ecdsa.PublicKey:
		switch alg {
		case "ES256":
			return k.Curve == elliptic.P256()
		case "ES384":
			return k.Curve == elliptic.P384()
		case "ES512":
			return k.Curve == elliptic.P521()
		}
	case ed25519.PublicKey:
		return alg == "EdDSA"
	}
	return false
}

// decodeHeader returns the header's alg. With strict, dup reports a header
// that repeats a key (at any depth); it is decoded all the same, so that
// the caller can report errors in jose's order.
func decodeHeader(raw string, err error, strict bool) (alg string, dup bool, _ error) {
	if err != nil {
		return "", false, errors.New("invalid base64url header")
	}
	h, dup, err := decodeJSONObject(raw, strict)
	if err != nil || h == nil {
		return "", false, errors.New("header is not a JSON object")
	}
	alg, ok := h["alg"].(string)
	if !ok {
		return "", dup, errors.New(`key "alg" not found`)
	}
	if !jwsAlgs[alg] {
		return "", dup, errors.New("unknown alg")
	}
	return alg, dup, nil
}

// decodeJSONObject decodes exactly one JSON value that must be an object or
// null (nil map, no error), numbers as json.Number. With strict, dup reports
// a key repeated at any depth (the last value is kept, as without strict).
func decodeJSONObject(data string, strict bool) (m map[string]any, dup bool, err error) {
	v, dup, err := parseJSONString(data)
	dup = dup && strict
	if err != nil {
		return nil, false, err
	}
	switch x := v.(type) {
	case map[string]any:
		return x, dup, nil
	case nil:
		return nil, dup, nil
	}
	return nil, false, errors.New("not a JSON object")
}

// decodeClaimsSet decodes the payload and type-checks the registered claims
// as jose does; dup as in decodeJSONObject.
func decodeClaimsSet(raw string, strict bool) (claims map[string]any, dup bool, _ error) {
	claims, dup, err := decodeJSONObject(raw, strict)
	if err != nil {
		return nil, false, errors.New("Error in $: payload is not valid JSON")
	}
	if claims == nil {
		return nil, false, errors.New("Error in $: expected Object")
	}
	for _, name := range []string{"iss", "sub", "jti"} {
		if c, ok := claims[name]; ok && c != nil {
			if _, ok := c.(string); !ok {
				return nil, false, fmt.Errorf("Error in $['%s']: expected String", name)
			}
		}
	}
	for _, name := range []string{"exp", "nbf", "iat"} {
		if c, ok := claims[name]; ok && c != nil {
			if _, ok := c.(json.Number); !ok {
				return nil, false, fmt.Errorf("Error in $['%s']: expected Number", name)
			}
		}
	}
	if aud, ok := claims["aud"]; ok && aud != nil {
		if _, err := audience(aud); err != nil {
			return nil, false, errors.New("Error in $['aud']: expected String or Array of String")
		}
	}
	return claims, dup, nil
}

func audience(v any) ([]string, error) {
	switch a := v.(type) {
	case string:
		return []string{a}, nil
	case []any:
		out := make([]string, 0, len(a))
		for _, el := range a {
			s, ok := el.(string)
			if !ok {
				return nil, errors.New("not a string")
			}
			out = append(out, s)
		}
		return out, nil
	}
	return nil, errors.New("not a string or array")
}

// checkClaims applies jose's time, issuer and audience rules with the injected clock.
func (v *Verifier) checkClaims(claims map[string]any) *Error {
	t := v.now()
	var now *big.Rat // exact rational time, built only for non-integer dates
	after := func(c any, sign int) (bool, bool) {
		// Whole seconds, the usual case, compare as times; anything else exactly.
		if sec, ok := integerDate(c); ok {
			return time.Unix(sec, 0).After(t.Add(time.Duration(sign) * v.skewDur)), true
		}
		d, ok := numericDate(c)
		if !ok {
			return false, false
		}
		if now == nil {
			now = timeRat(t)
		}
		return d.after(now, v.skew, sign), true
	}
	// Valid only while now < exp + skew, i.e. exp > now - skew.
	if later, ok := after(claims["exp"], -1); ok && !later {
		return jwtErr("JWTExpired")
	}
	// Issued in the future beyond the skew: iat > now + skew.
	if later, ok := after(claims["iat"], 1); ok && later {
		return jwtErr("JWTIssuedAtFuture")
	}
	// Not yet valid while now < nbf - skew, i.e. nbf > now + skew.
	if later, ok := after(claims["nbf"], 1); ok && later {
		return jwtErr("JWTNotYetValid")
	}
	if iss, ok := claims["iss"].(string); ok && v.issuer != "" && iss != v.issuer {
		return jwtErr("JWTNotInIssuer")
	}
	if raw, ok := claims["aud"]; ok && raw != nil {
		auds, _ := audience(raw)
		accepted := false
		for _, a := range auds {
			if !v.hasAudience || contains(v.audience, a) {
				accepted = true
				break
			}
		}
		// jose requires one accepted audience, so an empty aud list never passes.
		if !accepted {
			return jwtErr("JWTNotInAudience")
		}
	}
	return nil
}

// integerDate reads a NumericDate written as a plain integer of at most 15
// digits (well inside time's range), the form every issuer uses.
func integerDate(v any) (int64, bool) {
	n, ok := v.(json.Number)
	if !ok {
		return 0, false
	}
	s := string(n)
	digits := strings.TrimPrefix(s, "-")
	if digits == "" || len(digits) > 15 {
		return 0, false
	}
	for i := 0; i < len(digits); i++ {
		if digits[i] < '0' || digits[i] > '9' {
			return 0, false
		}
	}
	sec, err := strconv.ParseInt(s, 10, 64)
	return sec, err == nil
}

// numDate is a NumericDate, exact as a rational, or clamped to +/- infinity.
type numDate struct {
	r   *big.Rat
	inf int
}

func timeRat(t time.Time) *big.Rat {
	r := new(big.Rat).SetInt64(t.Unix())
	return r.Add(r, big.NewRat(int64(t.Nanosecond()), int64(time.Second)))
}

// numericDate parses a JSON number exactly; absurd magnitudes are clamped so that
// hostile inputs cannot make big.Rat expand huge exponents.
func numericDate(v any) (numDate, bool) {
	n, ok := v.(json.Number)
	if !ok {
		return numDate{}, false
	}
	s := n.String()
	f, err := strconv.ParseFloat(s, 64)
	if err != nil && !errors.Is(err, strconv.ErrRange) {
		return numDate{}, false
	}
	switch {
	case math.IsInf(f, 1) || f > 1e15:
		return numDate{inf: 1}, true
	case math.IsInf(f, -1) || f < -1e15:
		return numDate{inf: -1}, true
	}
	if len(s) <= 64 {
		if exp := strings.IndexAny(s, "eE"); exp < 0 || len(s)-exp <= 4 {
			if r, ok := new(big.Rat).SetString(s); ok {
				return numDate{r: r}, true
			}
		}
	}
	return numDate{r: new(big.Rat).SetFloat64(f)}, true
}

// after reports whether d > now + sign*skew (sign -1: compares with now - skew).
func (d numDate) after(now, skew *big.Rat, sign int) bool {
	if d.inf != 0 {
		return d.inf > 0
	}
	bound := new(big.Rat).Set(now)
	if sign > 0 {
		bound.Add(bound, skew)
	} else {
		bound.Sub(bound, skew)
	}
	return d.r.Cmp(bound) > 0
}

// hasuraClaims finds the claims object (namespace, path or claims_map) and returns
// the session variable claims with lower-cased keys.
func (v *Verifier) hasuraClaims(payload map[string]any) (map[string]any, *Error) {
	if v.claimsMap != nil {
		return v.mappedClaims(payload)
	}
	// Lookups see only the unregistered claims. A key lookup needs no copy
	// of them; a path may start anywhere, so it gets one.
	unregistered := payload
	if v.hasNSPath {
		unregistered = make(map[string]any, len(payload))
		for k, val := range payload {
			if !registeredClaims[k] {
				unregistered[k] = val
			}
		}
	}
	var found any
	var ok bool
	location := "claims_namespace " + v.namespace
	if v.hasNSPath {
		found, ok = v.nsPath.lookup(unregistered)
		location = "claims_namespace_path " + v.nsPath.String()
		if !ok {
			return nil, claimsErr("claims not found at claims_namespace_path: '" + v.nsPath.String() + "'")
		}
	} else if found, ok = unregistered[v.namespace]; !ok || registeredClaims[v.namespace] {
		return nil, claimsErr("claims key: '" + v.namespace + "' not found")
	}
	var obj map[string]any
	if v.stringified {
		s, isStr := found.(string)
		if !isStr {
			return nil, claimsErr("expecting a string when claims_format is stringified_json")
		}
		var err error
		if obj, _, err = decodeJSONObject(s, false); err != nil || obj == nil {
			return nil, claimsErr("expecting stringified json at: '" + location + "', but found: " + s)
		}
	} else if obj, ok = found.(map[string]any); !ok {
		return nil, claimsErr("expecting a json object when claims_format is json")
	}
	return sessionClaims(obj), nil
}

// sessionClaims keeps the x-hasura-* claims of obj under lower-cased keys.
// Keys are case-insensitive: when two spell the same name, they are taken
// again in sorted order, so the same one wins every time.
//
// obj was decoded for this verification alone: when every key already is a
// lower-case x-hasura-* name (as in every token this server issues), it is
// the answer itself.
func sessionClaims(obj map[string]any) map[string]any {
	if allSessionKeys(obj) {
		return obj
	}
	hc := make(map[string]any, len(obj))
	for k, val := range obj {
		lk := strings.ToLower(k) // no allocation when already lower case
		if !strings.HasPrefix(lk, sessionPrefix) {
			continue
		}
		if _, clash := hc[lk]; clash {
			clear(hc)
			for _, k := range sortedKeys(obj) {
				if lk := strings.ToLower(k); strings.HasPrefix(lk, sessionPrefix) {
					hc[lk] = obj[k]
				}
			}
			return hc
		}
		hc[lk] = val
	}
	return hc
}

func allSessionKeys(obj map[string]any) bool {
	for k := range obj {
		if !strings.HasPrefix(k, sessionPrefix) || strings.ToLower(k) != k {
			return false
		}
	}
	return true
}

func (v *Verifier) mappedClaims(payload map[string]any) (map[string]any, *Error) {
	spec := v.claimsMap
	hc := map[string]any{}
	roles, jerr := resolveRoleValue(spec.allowedRoles, payload, allowedRolesClaim, "should be a list of roles", func(x any) (any, error) {
		r, err := parseRoleList(x)
		return r, err
	})
	if jerr != nil {
		return nil, jerr
	}
	hc[allowedRolesClaim] = roles
	def, jerr := resolveRoleValue(spec.defaultRole, payload, defaultRoleClaim, "should be a role", func(x any) (any, error) {
		r, err := parseRole(x)
		return r, err
	})
	if jerr != nil {
		return nil, jerr
	}
	hc[defaultRoleClaim] = def
	for _, k := range sortedSpecKeys(spec.others) {
		mv := spec.others[k]
		if !mv.hasPath {
			hc[k] = mv.literal
			continue
		}
		if val, ok := mv.path.lookup(payload); ok {
			hc[k] = val
		} else if mv.hasDefault {
			hc[k] = mv.def
		} else {
			return nil, claimsErr("JWT claim from claims_map, " + k + " not found")
		}
	}
	return hc, nil
}

func resolveRoleValue(mv mapValue, payload map[string]any, name, hint string, parse func(any) (any, error)) (any, *Error) {
	if !mv.hasPath {
		return mv.literal, nil
	}
	val, ok := mv.path.lookup(payload)
	if !ok {
		if mv.hasDefault {
			return mv.def, nil
		}
		return nil, &Error{Code: CodeMissingRoleClaims, Message: "JWT claim does not contain " + name}
	}
	parsed, err := parse(val)
	if err != nil {
		return nil, claimsErr("invalid " + name + "; " + hint + ": " + err.Error())
	}
	return parsed, nil
}

func sortedSpecKeys(m map[string]mapValue) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}

// parseRoleClaims reads allowed-roles then default-role, with Hasura's messages.
func parseRoleClaims(hc map[string]any) ([]string, string, *Error) {
	rawAllowed, ok := hc[allowedRolesClaim]
	if !ok {
		return nil, "", &Error{Code: CodeMissingRoleClaims, Message: "JWT claim does not contain " + allowedRolesClaim}
	}
	var allowed []string
	switch a := rawAllowed.(type) {
	case []string: // already parsed from claims_map
		allowed = a
	default:
		var err error
		if allowed, err = parseRoleList(a); err != nil {
			return nil, "", claimsErr("invalid " + allowedRolesClaim + "; should be a list of roles: " + err.Error())
		}
	}
	rawDefault, ok := hc[defaultRoleClaim]
	if !ok {
		return nil, "", &Error{Code: CodeMissingRoleClaims, Message: "JWT claim does not contain " + defaultRoleClaim}
	}
	def, err := parseRole(rawDefault)
	if err != nil {
		return nil, "", claimsErr("invalid " + defaultRoleClaim + "; should be a single role name: " + err.Error())
	}
	return allowed, def, nil
}
