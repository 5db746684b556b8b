package gui

import (
	"encoding/json"
	"strings"
	"testing"
	"time"

	"fyne.io/fyne/v2/test"

	"connectedapps/core"
	"connectedapps/core/oauth"
	"connectedapps/core/oauth/oauthtest"
)

// addJWTApp registers name on a fake provider that serves its JWKS, connected with a signed
// access token and a forged ID token, and returns the raw tokens.
func addJWTApp(t *testing.T, svc *core.Service, name string) (p *oauthtest.Provider, access, id string) {
	t.Helper()
	p = oauthtest.NewProvider(t)
	app := core.NewApp(name)
	app.ClientID, app.Issuer = "c", "https://idp.example"
	app.AuthorizationURI, app.TokenURI = "https://idp.example/auth", "https://idp.example/token"
	app.JWKSURI = p.At(oauthtest.JWKSPath)
	app.Scopes = []string{"openid", "email", "offline_access"}
	app.Preset = "gitlab"
	added, err := svc.Add(app, nil)
	if err != nil {
		t.Fatal(err)
	}
	conn := connectedFor(42*time.Minute + 30*time.Second)
	if err := svc.Registry.UpdateApp(added.ID, func(a *core.App) error { a.SetConnection(&conn); return nil }); err != nil {
		t.Fatal(err)
	}
	access = p.Sign(map[string]any{"iss": "https://idp.example", "sub": "42", "exp": conn.ExpiresAt.Unix(), "scope": "openid email"})
	hash, _ := oauth.AtHashOf("RS256", access)
	id = oauthtest.SignUnknown(t, map[string]any{"iss": "https://idp.example", "sub": "42", "aud": "c", "exp": testNow.Add(time.Hour).Unix(),
		"iat": testNow.Add(-3 * time.Hour).Unix(), "at_hash": hash})
	raw, _ := json.Marshal(core.TokenSet{AccessToken: access, RefreshToken: "refresh-1", IDToken: id, Expiry: conn.ExpiresAt, Scopes: conn.GrantedScopes})
	if err := svc.Secrets.Set(accountTokensKey(added.ID, conn.Subject), string(raw)); err != nil {
		t.Fatal(err)
	}
	return p, access, id
}

func TestInspectPanelShowsTheTokensFacts(t *testing.T) {
	svc := newTestService(t)
	p, access, id := addJWTApp(t, svc, "Lab")
	w := openConnectionTab(t, svc, "Lab")

	test.Tap(w.tokens.inspect)

	jwks := p.At(oauthtest.JWKSPath)
	local := func(d time.Duration) string { return testNow.Add(d).Local().Format("2 Jan 2006, 15:04") }
	assertDialogShows(t, w,
		"Tokens of Lab",
		"JWT",
		"alg RS256 · kid k1 · typ JWT",
		"verified with the key k1 of "+jwks,
		"not verified: no key of "+jwks+" verifies its signature",
		"matches the access token held",
		local(42*time.Minute+30*time.Second)+" (in 42 min)",
		local(-3*time.Hour)+" (3 h ago)",
		"openid email",
		"offline_access",
		"held",
		local(-time.Hour)+" (1 h ago)",
		"Access tokens last two hours and each refresh rotates the refresh token.",
		"scope",
	)
	if w.tokens.inspected == nil || w.tokens.inspected.in.Access.JWT == nil || !w.tokens.inspected.in.Access.JWT.Signature.Verified {
		t.Fatalf("the panel's inspection: %+v", w.tokens.inspected)
	}
	for _, s := range overlayTexts(w) {
		for _, secret := range []string{access, id, "refresh-1", strings.Split(access, ".")[2]} {
			if strings.Contains(s, secret) {
				t.Errorf("the Inspect dialog shows a token: %q", s)
			}
		}
	}
	tapDialogButton(t, w, "Close")
}

func TestInspectPanelOpaqueToken(t *testing.T) {
	svc := newTestService(t)
	conn := connectedFor(time.Hour)
	conn.HasRefreshToken = false
	addConnectedApp(t, svc, "Example", nil, conn)
	w := openConnectionTab(t, svc, "Example")
	test.Tap(w.tokens.inspect)
	assertDialogShows(t, w,
		"opaque: only the provider can read it",
		"8 characters",
		"none: the provider gave no ID token",
		"none: when the access token runs out, connect again",
	)
	for _, s := range overlayTexts(w) {
		if strings.Contains(s, "access-1") || strings.Contains(s, "Signature") {
			t.Errorf("the Inspect dialog of an opaque token shows %q", s)
		}
	}
}

func TestSignatureWordsSayWhy(t *testing.T) {
	for why, want := range map[string]string{
		core.WhyUnsigned:     "unsigned",
		core.WhySharedSecret: "shared with the provider",
		core.WhyNoJWKSURI:    "no JWKS URI",
		core.WhyRefused:      "the provider's ID token failed verification",
	} {
		text, _ := signatureWords(core.JWTSignature{Why: why, Reason: "the provider's ID token failed verification (x)"})
		if !strings.HasPrefix(text, "not verified: ") || !strings.Contains(text, want) {
			t.Errorf("%s: %q", why, text)
		}
	}
}

func TestInspectPanelInChinese(t *testing.T) {
	inChinese(t)
	svc := newTestService(t)
	p, _, _ := addJWTApp(t, svc, "Lab")
	w := openConnectionTab(t, svc, "Lab")
	test.Tap(w.tokens.inspect)
	jwks := p.At(oauthtest.JWKSPath)
	assertDialogShows(t, w,
		"Lab 的令牌",
		"已用密钥 k1（来自 "+jwks+"）验证",
		"未验证："+jwks+" 中没有任何密钥能验证其签名",
		"与持有的访问令牌相符",
		"声明",
		"已持有",
	)
}
