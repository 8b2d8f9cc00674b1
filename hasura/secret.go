// Package hasura implements Hasura's JWT mode: parsing HASURA_GRAPHQL_JWT_SECRET,
// placing claims where Hasura looks for them, and verifying tokens with the same
// verdicts and error codes as Hasura (v2, jose-based).
package hasura

import (
	"bytes"
	"crypto"
	"crypto/ecdsa"
	"crypto/ed25519"
	"crypto/elliptic"
	"crypto/rsa"
	"crypto/x509"
	"encoding/json"
	"encoding/pem"
	"errors"
	"fmt"
	"io"
	"math"
	"net/url"
	"strings"
	"time"

	"github.com/golang-jwt/jwt/v5"
)

const DefaultClaimsNamespace = "https://hasura.io/jwt/claims"

// Header source types (HeaderSource.Type).
const (
	HeaderAuthorization = "Authorization"
	HeaderCookie        = "Cookie"
	HeaderCustom        = "CustomHeader" // newer Hasura: raw token in a named header
)

// Claims formats (JWTSecret.ClaimsFormat).
const (
	ClaimsFormatJSON            = "json"
	ClaimsFormatStringifiedJSON = "stringified_json"
)

// JWTSecret is HASURA_GRAPHQL_JWT_SECRET parsed and validated the way Hasura does
// (plus hasura-auth's extras signing_key and kid).
type JWTSecret struct {
	Type                string // HS256 HS384 HS512 RS256 RS384 RS512 ES256 ES384 ES512 Ed25519 ("EdDSA" is normalised to Ed25519)
	Key                 string // raw HS secret or PEM public key / X.509 certificate
	SigningKey          string // PEM private key (hasura-auth extra); optional
	KID                 string
	JWKURL              string
	ClaimsNamespace     string         // defaulted to DefaultClaimsNamespace when neither namespace option is set
	ClaimsNamespacePath string         // JSONPath like "$.hasura.claims" or "$"
	ClaimsFormat        string         // "json" (default) | "stringified_json"
	ClaimsMap           map[string]any // raw claims_map as decoded JSON; nil when absent
	Audience            []string       // nil when not configured; a configured [] rejects every token carrying aud
	Issuer              string
	AllowedSkew         time.Duration
	Header              HeaderSource // default {Type: "Authorization"}

	VerifyKey any // []byte for HS*, *rsa.PublicKey, *ecdsa.PublicKey or ed25519.PublicKey otherwise; nil with jwk_url
	SignKey   any // []byte for HS*, *rsa.PrivateKey, *ecdsa.PrivateKey or ed25519.PrivateKey from signing_key; nil when none
}

// HeaderSource says where Hasura reads the token from.
type HeaderSource struct {
	Type string // "Authorization" | "Cookie" | "CustomHeader"
	Name string // cookie or header name
}

// String redacts key material so a secret never ends up in logs via fmt.
func (s JWTSecret) String() string {
	return fmt.Sprintf("JWTSecret{Type: %q, KID: %q, JWKURL: %q, ClaimsNamespace: %q, ClaimsNamespacePath: %q, "+
		"ClaimsFormat: %q, Audience: %q, Issuer: %q, AllowedSkew: %s, Header: %+v, Key: <redacted>}",
		s.Type, s.KID, s.JWKURL, s.ClaimsNamespace, s.ClaimsNamespacePath, s.ClaimsFormat, s.Audience,
		s.Issuer, s.AllowedSkew, s.Header)
}

// GoString redacts key material for %#v as well.
func (s JWTSecret) GoString() string { return s.String() }

type keyKind int

const (
	kindHMAC keyKind = iota + 1
	kindRSA
	kindEC
	kindEd25519
)

type algInfo struct {
	kind   keyKind
	minLen int            // HS: minimum secret length in bytes
	curve  elliptic.Curve // ES: required curve
	method jwt.SigningMethod
}

// supportedTypes are the "type" values Hasura accepts (PS* are not accepted by Hasura).
var supportedTypes = map[string]algInfo{
	"HS256":   {kind: kindHMAC, minLen: 32, method: jwt.SigningMethodHS256},
	"HS384":   {kind: kindHMAC, minLen: 48, method: jwt.SigningMethodHS384},
	"HS512":   {kind: kindHMAC, minLen: 64, method: jwt.SigningMethodHS512},
	"RS256":   {kind: kindRSA, method: jwt.SigningMethodRS256},
	"RS384":   {kind: kindRSA, method: jwt.SigningMethodRS384},
	"RS512":   {kind: kindRSA, method: jwt.SigningMethodRS512},
	"ES256":   {kind: kindEC, curve: elliptic.P256(), method: jwt.SigningMethodES256},
	"ES384":   {kind: kindEC, curve: elliptic.P384(), method: jwt.SigningMethodES384},
	"ES512":   {kind: kindEC, curve: elliptic.P521(), method: jwt.SigningMethodES512},
	"Ed25519": {kind: kindEd25519, method: jwt.SigningMethodEdDSA},
}

// SigningMethod returns the golang-jwt signing method for Type (Ed25519 -> jwt.SigningMethodEdDSA);
// nil when Type is empty or unsupported.
func (s *JWTSecret) SigningMethod() jwt.SigningMethod {
	if s == nil {
		return nil
	}
	info, ok := supportedTypes[normaliseType(s.Type)]
	if !ok {
		return nil
	}
	return info.method
}

func normaliseType(t string) string {
	if t == "EdDSA" {
		return "Ed25519"
	}
	return t
}

func secretErr(format string, args ...any) error {
	return fmt.Errorf("invalid HASURA_GRAPHQL_JWT_SECRET: "+format, args...)
}

// ParseJWTSecret parses HASURA_GRAPHQL_JWT_SECRET. Errors use Hasura's wording where
// Hasura has one and never contain key material.
func ParseJWTSecret(raw string) (*JWTSecret, error) {
	fields, err := decodeObject([]byte(raw))
	if err != nil {
		return nil, secretErr("%v", err)
	}
	s := &JWTSecret{}
	var typ string
	var keySet, urlSet, nsSet, nsPathSet, typeSet bool
	for _, f := range []struct {
		name string
		dst  *string
		set  *bool
	}{
		{"type", &typ, &typeSet},
		{"key", &s.Key, &keySet},
		{"jwk_url", &s.JWKURL, &urlSet},
		{"claims_namespace", &s.ClaimsNamespace, &nsSet},
		{"claims_namespace_path", &s.ClaimsNamespacePath, &nsPathSet},
		{"claims_format", &s.ClaimsFormat, nil},
		{"signing_key", &s.SigningKey, nil},
		{"kid", &s.KID, nil},
		{"issuer", &s.Issuer, nil},
	} {
		v, ok, ferr := stringField(fields, f.name)
		if ferr != nil {
			return nil, secretErr("%v", ferr)
		}
		*f.dst = v
		if f.set != nil {
			*f.set = ok
		}
	}

	switch s.ClaimsFormat {
	case "":
		s.ClaimsFormat = ClaimsFormatJSON
	case ClaimsFormatJSON, ClaimsFormatStringifiedJSON:
	default:
		return nil, secretErr("claims_format must be %q or %q", ClaimsFormatJSON, ClaimsFormatStringifiedJSON)
	}

	switch {
	case nsSet && s.ClaimsNamespace == "":
		// Hasura would look for a claim named ""; treat that as the mistake it is.
		return nil, secretErr("claims_namespace must not be empty")
	case nsSet && nsPathSet:
		return nil, secretErr("claims_namespace and claims_namespace_path both cannot be set")
	case nsPathSet:
		p, perr := parseJSONPath(s.ClaimsNamespacePath)
		if perr != nil {
			return nil, secretErr("invalid JSON path claims_namespace_path error: %v", perr)
		}
		// Hasura looks for claims only among unregistered claims, so "$" can never hold a string.
		if len(p) == 0 && s.ClaimsFormat == ClaimsFormatStringifiedJSON {
			return nil, secretErr(`claims_format stringified_json cannot be used with claims_namespace_path "$"`)
		}
	case !nsSet:
		s.ClaimsNamespace = DefaultClaimsNamespace
	}

	if rawAud, ok := fields["audience"]; ok && !isNull(rawAud) {
		if s.Audience, err = parseAudience(rawAud); err != nil {
			return nil, secretErr("audience: %v", err)
		}
	}
	if rawSkew, ok := fields["allowed_skew"]; ok && !isNull(rawSkew) {
		if s.AllowedSkew, err = parseSkew(rawSkew); err != nil {
			return nil, secretErr("allowed_skew: %v", err)
		}
	}
	s.Header = HeaderSource{Type: HeaderAuthorization}
	if rawHeader, ok := fields["header"]; ok && !isNull(rawHeader) {
		if s.Header, err = parseHeaderSource(rawHeader); err != nil {
			return nil, secretErr("header: %v", err)
		}
	}
	if rawMap, ok := fields["claims_map"]; ok && !isNull(rawMap) {
		var m any
		if err := decodeJSON(rawMap, &m); err != nil {
			return nil, secretErr("claims_map: %v", err)
		}
		obj, ok := m.(map[string]any)
		if !ok {
			return nil, secretErr("claims_map: expected an object")
		}
		if _, err := compileClaimsMap(obj); err != nil {
			return nil, secretErr("claims_map: %v", err)
		}
		s.ClaimsMap = obj
	}

	switch {
	case keySet && urlSet:
		return nil, secretErr("key, jwk_url both cannot be present")
	case !keySet && !urlSet:
		return nil, secretErr("key and jwk_url both cannot be empty")
	case urlSet:
		u, perr := url.Parse(s.JWKURL)
		if perr != nil || !u.IsAbs() || u.Host == "" {
			return nil, secretErr("jwk_url is not an absolute URL")
		}
		// Hasura ignores type with jwk_url; we only need it to sign with signing_key.
		s.Type = normaliseType(typ)
		if s.SigningKey != "" {
			info, ok := supportedTypes[s.Type]
			if !ok {
				return nil, secretErr("signing_key with jwk_url needs a supported type")
			}
			if info.kind == kindHMAC {
				return nil, secretErr("signing_key cannot be used with type %s", s.Type)
			}
			if s.SignKey, err = parsePrivateKey(s.SigningKey, s.Type, info); err != nil {
				return nil, secretErr("signing_key: %v", err)
			}
		}
		return s, nil
	}

	if !typeSet {
		return nil, secretErr(`"type" is required when "key" is set`)
	}
	s.Type = normaliseType(typ)
	info, ok := supportedTypes[s.Type]
	if !ok {
		return nil, secretErr("Invalid JWK: Key type: %s is not supported", sanitiseType(typ))
	}
	if info.kind == kindHMAC {
		// Hasura counts UTF-8 bytes but calls them characters.
		if len(s.Key) < info.minLen {
			return nil, secretErr("Invalid JWK: Key size too small; should be atleast %d characters", info.minLen)
		}
		if s.SigningKey != "" && s.SigningKey != s.Key {
			return nil, secretErr("signing_key does not match key")
		}
		s.VerifyKey = []byte(s.Key)
		s.SignKey = []byte(s.Key)
		return s, nil
	}
	if s.VerifyKey, err = parsePublicKey(s.Key, s.Type, info); err != nil {
		return nil, secretErr("Invalid JWK: %v", err)
	}
	if s.SigningKey != "" {
		if s.SignKey, err = parsePrivateKey(s.SigningKey, s.Type, info); err != nil {
			return nil, secretErr("signing_key: %v", err)
		}
		pub := s.SignKey.(crypto.Signer).Public()
		if !publicKeysEqual(pub, s.VerifyKey) {
			return nil, secretErr("signing_key does not match key")
		}
	}
	return s, nil
}

// sanitiseType keeps an unsupported "type" printable without echoing long junk
// (someone may paste a key into the wrong field).
func sanitiseType(t string) string {
	if len(t) > 16 || strings.ContainsAny(t, "\n-") {
		return "(unrecognised value)"
	}
	return t
}

// decodeObject decodes a JSON object into its raw fields. Errors mention only
// offsets, since the document holds secrets.
func decodeObject(data []byte) (map[string]json.RawMessage, error) {
	var fields map[string]json.RawMessage
	if err := decodeJSON(data, &fields); err != nil {
		return nil, err
	}
	if fields == nil {
		return nil, errors.New("expected a JSON object")
	}
	return fields, nil
}

func decodeJSON(data []byte, v any) error {
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.UseNumber()
	if err := dec.Decode(v); err != nil {
		var syn *json.SyntaxError
		var typ *json.UnmarshalTypeError
		switch {
		case errors.As(err, &syn):
			return fmt.Errorf("not valid JSON (syntax error at offset %d)", syn.Offset)
		case errors.As(err, &typ):
			return fmt.Errorf("expected %s, found a JSON %s", typ.Type, typ.Value)
		default:
			return errors.New("not valid JSON")
		}
	}
	if _, err := dec.Token(); err != io.EOF {
		return errors.New("not valid JSON (unexpected data after the value)")
	}
	return nil
}

func isNull(raw json.RawMessage) bool { return string(bytes.TrimSpace(raw)) == "null" }

// stringField reads an optional string; JSON null counts as absent, as in Hasura.
func stringField(fields map[string]json.RawMessage, name string) (string, bool, error) {
	raw, ok := fields[name]
	if !ok || isNull(raw) {
		return "", false, nil
	}
	var s string
	if err := json.Unmarshal(raw, &s); err != nil {
		return "", false, fmt.Errorf("%s must be a string", name)
	}
	return s, true, nil
}

func parseAudience(raw json.RawMessage) ([]string, error) {
	var one string
	if err := json.Unmarshal(raw, &one); err == nil {
		return []string{one}, nil
	}
	var many []string
	if err := json.Unmarshal(raw, &many); err != nil || many == nil {
		return nil, errors.New("expected a string or a list of strings")
	}
	return many, nil
}

func parseSkew(raw json.RawMessage) (time.Duration, error) {
	var f float64
	if err := json.Unmarshal(raw, &f); err != nil {
		return 0, errors.New("expected a number of seconds")
	}
	// jose applies abs() to the skew.
	secs := math.Abs(f)
	if secs >= float64(math.MaxInt64)/float64(time.Second) {
		return time.Duration(math.MaxInt64), nil
	}
	return time.Duration(secs * float64(time.Second)), nil
}

func parseHeaderSource(raw json.RawMessage) (HeaderSource, error) {
	var h struct {
		Type *string `json:"type"`
		Name *string `json:"name"`
	}
	if err := json.Unmarshal(raw, &h); err != nil || h.Type == nil {
		return HeaderSource{}, errors.New(`expected an object with "type"`)
	}
	var src HeaderSource
	switch strings.ToLower(*h.Type) {
	case "authorization":
		return HeaderSource{Type: HeaderAuthorization}, nil
	case "cookie":
		src.Type = HeaderCookie
	case "customheader":
		src.Type = HeaderCustom
	default:
		return HeaderSource{}, errors.New("expected 'type' is 'Authorization' or 'Cookie' or 'CustomHeader'")
	}
	if h.Name == nil || *h.Name == "" {
		return HeaderSource{}, fmt.Errorf(`"name" is required with type %s`, src.Type)
	}
	src.Name = *h.Name
	return src, nil
}

// firstPEMBlock mirrors Hasura: the first PEM block is used, whatever its label.
func firstPEMBlock(s string) (*pem.Block, error) {
	block, _ := pem.Decode([]byte(s))
	if block == nil {
		return nil, errors.New("Could not decode PEM: No pem found")
	}
	return block, nil
}

func parsePublicKey(s, typ string, info algInfo) (any, error) {
	block, err := firstPEMBlock(s)
	if err != nil {
		return nil, err
	}
	var pub any
	if k, err := x509.ParsePKIXPublicKey(block.Bytes); err == nil {
		pub = k
	} else if k, err := x509.ParsePKCS1PublicKey(block.Bytes); err == nil {
		pub = k
	} else if cert, err := x509.ParseCertificate(block.Bytes); err == nil {
		pub = cert.PublicKey
	} else if isPrivateKeyDER(block.Bytes) {
		return nil, errors.New("key must be a public key or certificate; put the private key in signing_key")
	} else {
		return nil, errors.New("Could not decode PEM: not a public key or X.509 certificate")
	}
	if err := checkKeyKind(pub, typ, info); err != nil {
		return nil, err
	}
	return pub, nil
}

func isPrivateKeyDER(der []byte) bool {
	_, err := parsePrivateDER(der)
	return err == nil
}

func parsePrivateDER(der []byte) (crypto.Signer, error) {
	if k, err := x509.ParsePKCS8PrivateKey(der); err == nil {
		if signer, ok := k.(crypto.Signer); ok {
			return signer, nil
		}
		return nil, errors.New("unsupported private key type")
	}
	if k, err := x509.ParsePKCS1PrivateKey(der); err == nil {
		return k, nil
	}
	if k, err := x509.ParseECPrivateKey(der); err == nil {
		return k, nil
	}
	return nil, errors.New("could not decode PEM private key (PKCS#8, PKCS#1 or SEC 1 expected)")
}

func parsePrivateKey(s, typ string, info algInfo) (crypto.Signer, error) {
	block, _ := pem.Decode([]byte(s))
	if block == nil {
		return nil, errors.New("could not decode PEM: no PEM block found")
	}
	signer, err := parsePrivateDER(block.Bytes)
	if err != nil {
		return nil, err
	}
	if err := checkKeyKind(signer.Public(), typ, info); err != nil {
		return nil, err
	}
	return signer, nil
}

// checkKeyKind rejects a key that cannot serve `type`. Hasura itself accepts any
// parseable key here, but we sign with `type`, so a mismatch could never work.
func checkKeyKind(pub any, typ string, info algInfo) error {
	var got string
	switch k := pub.(type) {
	case *rsa.PublicKey:
		if info.kind == kindRSA {
			return nil
		}
		got = "an RSA key"
	case *ecdsa.PublicKey:
		if info.kind == kindEC && k.Curve == info.curve {
			return nil
		}
		got = "an EC key on curve " + k.Curve.Params().Name
	case ed25519.PublicKey:
		if info.kind == kindEd25519 {
			return nil
		}
		got = "an Ed25519 key"
	default:
		got = fmt.Sprintf("an unsupported key (%T)", pub)
	}
	return fmt.Errorf("key is %s, which does not fit type %s", got, typ)
}

func publicKeysEqual(a, b any) bool {
	eq, ok := a.(interface{ Equal(crypto.PublicKey) bool })
	return ok && eq.Equal(b)
}
