package oauth

import (
	"context"
	"crypto/sha256"
	"crypto/sha512"
	"crypto/subtle"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"hash"
	"net/http"
	"slices"
	"strings"
	"time"

	"connectedapps/core/app"

	"github.com/coreos/go-oidc/v3/oidc"
)

// Token kinds as inspect names them.
const (
	KindJWT    = "jwt"    // a signed JWT (JWS compact form): its header and claims can be read
	KindJWE    = "jwe"    // encrypted (JWE compact form): only its addressee can read it
	KindOpaque = "opaque" // a string only the provider understands
)

// TokenKind says what a token is by its shape, without trusting it.
func TokenKind(raw string) string {
	if _, _, err := decodeJWT(raw); err == nil {
		return KindJWT
	}
	if parts := strings.Split(raw, "."); len(parts) == 5 {
		if h, err := base64.RawURLEncoding.DecodeString(parts[0]); err == nil {
			var hdr struct {
				Enc string `json:"enc"`
			}
			if json.Unmarshal(h, &hdr) == nil && hdr.Enc != "" {
				return KindJWE
			}
		}
	}
	return KindOpaque
}

// JWTHeader is what a JWT's header says of how it was signed.
type JWTHeader struct {
	Alg string `json:"alg"`
	Kid string `json:"kid,omitempty"`
	Typ string `json:"typ,omitempty"`
}

// Claim is one claim of a JWT as it was sent. Time is set for the claims that are moments
// (exp, iat, nbf, auth_time) when they hold a number.
type Claim struct {
	Name  string          `json:"name"`
	Value json.RawMessage `json:"value"`
	Time  *time.Time      `json:"time,omitempty"`
}

// ValueText is the claim's value on one line, for a person: a string without its quotes,
// anything else as compact JSON; no control character (app.CleanText) reaches a terminal or
// a label. The command line and the window both show a claim so.
func (c Claim) ValueText() string {
	var s string
	if json.Unmarshal(c.Value, &s) == nil {
		return app.CleanText(s)
	}
	var v any
	if json.Unmarshal(c.Value, &v) == nil {
		if b, err := json.Marshal(v); err == nil {
			return app.CleanText(string(b))
		}
	}
	return app.CleanText(string(c.Value))
}

// timeClaims are the registered claims whose value is a NumericDate.
var timeClaims = []string{"exp", "iat", "nbf", "auth_time", "updated_at"}

// Signature is what was found of a JWT's signature: verified (with the key kid of the JWKS
// at JWKSURI), or not, and why. It never holds the signature's bytes.
type Signature struct {
	Verified bool   `json:"verified"`
	Kid      string `json:"kid,omitempty"` // the key that verified it ("" with Verified: a key without a kid)
	JWKSURI  string `json:"jwks_uri,omitempty"`
	// Checked names what verification covered beyond the signature ("issuer, audience").
	Checked string `json:"checked,omitempty"`
	Reason  string `json:"reason,omitempty"` // why it was not verified, in a sentence
	// Why is the reason as one of the Why… codes, for a front end that words it itself.
	Why string `json:"why,omitempty"`
}

// Why a signature was not verified (Signature.Why).
const (
	WhyUnsigned     = "unsigned"      // alg none
	WhySharedSecret = "shared_secret" // an HMAC alg: no JWKS key can check it
	WhyAlgorithm    = "algorithm"     // an alg this app does not verify
	WhyNoJWKSURI    = "no_jwks_uri"
	WhyNoIssuer     = "no_issuer"
	WhyNoKey        = "no_key"  // no key of the JWKS verifies it: a forgery, or a key the JWKS no longer has
	WhyRefused      = "refused" // the ID token's issuer, audience, azp or tenant is wrong, or the JWKS could not be read (Reason says which)
)

// JWT is a decoded JWT: header, every claim (by name), what its signature showed.
type JWT struct {
	Header    JWTHeader `json:"header"`
	Claims    []Claim   `json:"claims"`
	Signature Signature `json:"signature"`
}

// Claim returns the named claim's value as sent (nil when absent).
func (j *JWT) Claim(name string) json.RawMessage {
	for _, c := range j.Claims {
		if c.Name == name {
			return c.Value
		}
	}
	return nil
}

// AtHash is the ID token's at_hash held against the access token (OpenID Connect Core
// 3.1.3.6): present or not, and whether it matches.
type AtHash struct {
	Present bool   `json:"present"`
	Matches bool   `json:"matches"`
	Reason  string `json:"reason,omitempty"` // why it does not match or could not be checked
	// Why is the reason as one of the AtHash… codes.
	Why string `json:"why,omitempty"`
}

// Why an at_hash is absent or does not match (AtHash.Why).
const (
	AtHashAbsent        = "absent"
	AtHashNotString     = "not_string"
	AtHashUnknownAlg    = "unknown_alg"
	AtHashMismatch      = "mismatch"
	AtHashBeforeRefresh = "before_refresh" // a mismatch explained: the ID token is older than the access token
)

// decodeJWT reads a JWS compact JWT's header and claims, unchecked.
func decodeJWT(raw string) (JWTHeader, map[string]json.RawMessage, error) {
	parts := strings.Split(raw, ".")
	if len(parts) != 3 {
		return JWTHeader{}, nil, fmt.Errorf("not a JWT")
	}
	h, err := base64.RawURLEncoding.DecodeString(parts[0])
	if err != nil {
		return JWTHeader{}, nil, fmt.Errorf("not a JWT: its header is not base64url")
	}
	var hdr JWTHeader
	if err := json.Unmarshal(h, &hdr); err != nil || hdr.Alg == "" {
		return JWTHeader{}, nil, fmt.Errorf("not a JWT: its header names no alg")
	}
	p, err := base64.RawURLEncoding.DecodeString(parts[1])
	if err != nil {
		return JWTHeader{}, nil, fmt.Errorf("not a JWT: its claims are not base64url")
	}
	claims := map[string]json.RawMessage{}
	if err := json.Unmarshal(p, &claims); err != nil {
		return JWTHeader{}, nil, fmt.Errorf("not a JWT: its claims are not a JSON object")
	}
	hdr = JWTHeader{Alg: cleanText(hdr.Alg), Kid: cleanText(hdr.Kid), Typ: cleanText(hdr.Typ)}
	return hdr, claims, nil
}

// DecodeJWT reads raw's header and claims without checking anything (Signature is left
// "not verified"); an error when raw is not a signed JWT.
func DecodeJWT(raw string) (*JWT, error) {
	hdr, claims, err := decodeJWT(raw)
	if err != nil {
		return nil, err
	}
	j := &JWT{Header: hdr, Claims: []Claim{}}
	for name, v := range claims {
		c := Claim{Name: cleanText(name), Value: v}
		if slices.Contains(timeClaims, name) {
			var n json.Number
			if json.Unmarshal(v, &n) == nil {
				if f, err := n.Float64(); err == nil {
					t := time.Unix(int64(f), 0).UTC()
					c.Time = &t
				}
			}
		}
		j.Claims = append(j.Claims, c)
	}
	slices.SortFunc(j.Claims, func(a, b Claim) int { return strings.Compare(a.Name, b.Name) })
	j.Signature = Signature{Reason: "not checked"}
	return j, nil
}

// Inspected is what InspectJWTs found of an app's access and ID tokens: each decoded when
// it is a JWT (nil otherwise), and the ID token's at_hash against the access token.
type Inspected struct {
	Access *JWT
	ID     *JWT
	AtHash *AtHash // nil: no ID token that is a JWT
}

// InspectJWTs decodes the access and ID tokens that are JWTs and checks their signatures
// against the app's JWKS, fetched at most once: the ID token as connect verifies it
// (signature, issuer, audience and azp; not its expiry, which is shown instead), the access
// token by its signature alone, since its audience is the resource, not this client. A token
// whose signature cannot be checked says why; none is ever taken as verified untried.
func InspectJWTs(ctx context.Context, hc *http.Client, app *App, access, id string, now func() time.Time) Inspected {
	var out Inspected
	keys := NewIDTokenKeys(ctx, hc, app) // nothing is fetched until a check needs the keys
	if j, err := DecodeJWT(id); err == nil {
		out.ID = j
		j.Signature = checkIDToken(ctx, app, id, j, keys, now)
		out.AtHash = checkAtHash(j, access)
	}
	if j, err := DecodeJWT(access); err == nil {
		out.Access = j
		j.Signature = checkAccessToken(ctx, app, access, j, keys)
	}
	return out
}

// asymmetric are the algorithms a JWKS can hold a public key for (go-oidc's list).
var asymmetric = []string{oidc.RS256, oidc.RS384, oidc.RS512, oidc.ES256, oidc.ES384, oidc.ES512, oidc.PS256, oidc.PS384, oidc.PS512, oidc.EdDSA}

// unverifiable says why a JWT's signature is not one a JWKS can check; nil when it may be.
func unverifiable(app *App, hdr JWTHeader) *Signature {
	switch {
	case strings.EqualFold(hdr.Alg, "none"):
		return notVerified(app, WhyUnsigned, "it is unsigned (alg none)")
	case strings.HasPrefix(strings.ToUpper(hdr.Alg), "HS"):
		return notVerified(app, WhySharedSecret, fmt.Sprintf("it is signed with %s, a secret shared with the provider, not a key a JWKS publishes", hdr.Alg))
	case !slices.Contains(asymmetric, hdr.Alg):
		return notVerified(app, WhyAlgorithm, fmt.Sprintf("its algorithm %q is not one this app verifies", hdr.Alg))
	case app.JWKSURI == "":
		return notVerified(app, WhyNoJWKSURI, "this app has no JWKS URI")
	}
	return nil
}

func verifiedBy(app *App, hdr JWTHeader, checked string) Signature {
	return Signature{Verified: true, Kid: hdr.Kid, JWKSURI: app.JWKSURI, Checked: checked}
}

func notVerified(app *App, why, reason string) *Signature {
	return &Signature{JWKSURI: app.JWKSURI, Why: why, Reason: reason}
}

// fetchProblem words a failed verification, preferring what went wrong with the JWKS fetch.
func fetchProblem(app *App, fetch *jwksFetch, err error) string {
	if problem := fetch.problem(); problem != nil {
		return fmt.Sprintf("the JWKS at %s %s", app.JWKSURI, oneLine(cleanText(problem.Error())))
	}
	return oneLine(cleanText(err.Error()))
}

func checkIDToken(ctx context.Context, app *App, raw string, j *JWT, keys *IDTokenKeys, now func() time.Time) Signature {
	if no := unverifiable(app, j.Header); no != nil {
		return *no
	}
	if app.Issuer == "" {
		return *notVerified(app, WhyNoIssuer, "this app has no issuer to check it against")
	}
	if _, err := verifyIDToken(ctx, keys.set, keys.fetch, app, raw, now, true); err != nil {
		why := WhyRefused
		if keys.fetch.problem() == nil && strings.Contains(err.Error(), "failed to verify") {
			why = WhyNoKey
		}
		// verifyIDToken's words name the app first; here the app is named already.
		return *notVerified(app, why, strings.TrimPrefix(oneLine(err.Error()), app.ProviderName+": "))
	}
	return verifiedBy(app, j.Header, "issuer, audience")
}

func checkAccessToken(ctx context.Context, app *App, raw string, j *JWT, keys *IDTokenKeys) Signature {
	if no := unverifiable(app, j.Header); no != nil {
		return *no
	}
	v := oidc.NewVerifier("", keys.set, &oidc.Config{SkipClientIDCheck: true, SkipIssuerCheck: true, SkipExpiryCheck: true, SupportedSigningAlgs: asymmetric})
	if _, err := v.Verify(ctx, raw); err != nil {
		if strings.Contains(err.Error(), "failed to verify") {
			return *notVerified(app, WhyNoKey, fmt.Sprintf("no key of the JWKS at %s verifies its signature", app.JWKSURI))
		}
		return *notVerified(app, WhyRefused, fetchProblem(app, keys.fetch, err))
	}
	return verifiedBy(app, j.Header, "")
}

// atHashFunc is the hash at_hash is made with for the ID token's alg (OpenID Connect Core
// 3.1.3.6: the alg's own hash; Ed25519's is SHA-512).
func atHashFunc(alg string) hash.Hash {
	switch {
	case strings.HasSuffix(alg, "256"):
		return sha256.New()
	case strings.HasSuffix(alg, "384"):
		return sha512.New384()
	case strings.HasSuffix(alg, "512"), alg == oidc.EdDSA:
		return sha512.New()
	}
	return nil
}

// AtHashOf is at_hash for accessToken under alg: the left half of its hash, base64url.
func AtHashOf(alg, accessToken string) (string, bool) {
	h := atHashFunc(alg)
	if h == nil {
		return "", false
	}
	h.Write([]byte(accessToken))
	sum := h.Sum(nil)
	return base64.RawURLEncoding.EncodeToString(sum[:len(sum)/2]), true
}

func checkAtHash(id *JWT, access string) *AtHash {
	raw := id.Claim("at_hash")
	if raw == nil {
		return &AtHash{Why: AtHashAbsent, Reason: "the ID token has no at_hash (optional for this sign-in)"}
	}
	var claimed string
	if json.Unmarshal(raw, &claimed) != nil {
		return &AtHash{Present: true, Why: AtHashNotString, Reason: "its at_hash is not a string"}
	}
	want, ok := AtHashOf(id.Header.Alg, access)
	if !ok {
		return &AtHash{Present: true, Why: AtHashUnknownAlg, Reason: fmt.Sprintf("no at_hash is defined for the algorithm %q", id.Header.Alg)}
	}
	if subtle.ConstantTimeCompare([]byte(claimed), []byte(want)) != 1 {
		return &AtHash{Present: true, Why: AtHashMismatch, Reason: "it does not match the access token held"}
	}
	return &AtHash{Present: true, Matches: true}
}
