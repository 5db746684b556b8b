package core

import (
	"context"
	"errors"
	"net/http"
	"regexp"
	"strings"
	"time"

	"github.com/coreos/go-oidc/v3/oidc"
)

// Identity is who signed in, from a verified ID token.
type Identity struct {
	Subject string
	Name    string
	Email   string
}

// Display is the best single line for a person: name, email, then subject.
func (id Identity) Display() string {
	switch {
	case id.Name != "" && id.Email != "":
		return id.Name + " <" + id.Email + ">"
	case id.Name != "":
		return id.Name
	case id.Email != "":
		return id.Email
	}
	return id.Subject
}

// TenantIDPlaceholder in an app's issuer marks a multi-tenant provider: Microsoft's common,
// organizations and consumers endpoints advertise https://login.microsoftonline.com/{tenantid}/v2.0,
// and each ID token names the tenant that issued it in its tid claim.
const TenantIDPlaceholder = "{tenantid}"

// MultiTenantIssuer reports whether the issuer is a template checked against the tid claim.
func (a *App) MultiTenantIssuer() bool { return strings.Contains(a.Issuer, TenantIDPlaceholder) }

// tenantIDPattern is a Microsoft tenant ID (a GUID). Anything else in tid could smuggle
// another issuer's path into the template.
var tenantIDPattern = regexp.MustCompile(`^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$`)

// checkTenantIssuer is the issuer check for a templated issuer, as Microsoft asks of
// multi-tenant apps: iss must be the template with the token's own tid filled in.
func checkTenantIssuer(app *App, iss, tid string) error {
	if !tenantIDPattern.MatchString(tid) {
		return Failf(ErrInvalid, "%s: the provider's ID token names no valid tenant (tid %q), so its issuer %q cannot be checked against %s", app.ProviderName, tid, iss, app.Issuer)
	}
	if want := strings.ReplaceAll(app.Issuer, TenantIDPlaceholder, tid); iss != want {
		return Failf(ErrInvalid, "%s: the provider's ID token has the issuer %q, but its tenant %s means it must be %q: it was refused", app.ProviderName, iss, tid, want)
	}
	return nil
}

// issuerMatches says iss names the app's issuer: exactly (RFC 9207 compares as strings), or,
// for a templated issuer, the template with a tenant ID in place of the placeholder.
func (a *App) issuerMatches(iss string) bool {
	if !a.MultiTenantIssuer() {
		return iss == a.Issuer
	}
	tenant, ok := templateTenant(a.Issuer, iss)
	return ok && tenantIDPattern.MatchString(tenant)
}

// verifyIDToken checks signature (against the app's JWKS), issuer, audience, expiry and, when
// nonce is not empty, the nonce. An ID token that fails any of these is never trusted.
func verifyIDToken(ctx context.Context, hc *http.Client, app *App, raw, nonce string, now func() time.Time) (Identity, error) {
	if app.Issuer == "" || app.JWKSURI == "" {
		return Identity{}, Failf(ErrInvalid, "%s: cannot verify the ID token without an issuer and a JWKS URI: use `connectedapps edit %s --discovery URL`, or --issuer and --jwks-url", app.ProviderName, app.ProviderName)
	}
	ctx = oidc.ClientContext(ctx, httpClient(hc))
	keys := oidc.NewRemoteKeySet(ctx, app.JWKSURI)
	// A templated issuer never equals iss as written; it is checked against tid below instead.
	multiTenant := app.MultiTenantIssuer()
	v := oidc.NewVerifier(app.Issuer, keys, &oidc.Config{ClientID: app.ClientID, Now: now, SkipIssuerCheck: multiTenant})
	tok, err := v.Verify(ctx, raw)
	if err != nil {
		var expired *oidc.TokenExpiredError
		if errors.As(err, &expired) {
			return Identity{}, Failf(ErrInvalid, "%s: the provider's ID token has already expired (check this computer's clock)", app.ProviderName)
		}
		next := "check the issuer and JWKS URI"
		if strings.Contains(err.Error(), "audience") { // issued for another client
			next = "check the client ID"
		}
		return Identity{}, Failf(ErrInvalid, "%s: the provider's ID token failed verification (%s): %s", app.ProviderName, oneLine(err.Error()), next)
	}
	if nonce != "" && tok.Nonce != nonce {
		return Identity{}, Failf(ErrInvalid, "%s: the ID token's nonce does not match this sign-in (a replayed token?): start connect again", app.ProviderName)
	}
	var claims struct {
		Name              string `json:"name"`
		PreferredUsername string `json:"preferred_username"`
		Email             string `json:"email"`
		TenantID          string `json:"tid"`
	}
	_ = tok.Claims(&claims) // the standard claims were already checked; these are optional
	if multiTenant {
		if err := checkTenantIssuer(app, tok.Issuer, claims.TenantID); err != nil {
			return Identity{}, err
		}
	}
	id := Identity{Subject: tok.Subject, Name: claims.Name, Email: claims.Email}
	if id.Name == "" {
		id.Name = claims.PreferredUsername
	}
	return id, nil
}
