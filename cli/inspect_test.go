package cli

import (
	"encoding/json"
	"strings"
	"testing"
	"time"

	"connectedapps/core"
	"connectedapps/core/oauth"
	"connectedapps/core/oauth/oauthtest"
	"connectedapps/core/secret"
)

func TestInspectPrintsEveryFactAndNoToken(t *testing.T) {
	p := oauthtest.NewProvider(t)
	dir, store := configDir(t), secret.NewMemoryStore()
	if _, e, code := runIn(t, dir, store, "", "add", "Lab", "--preset", "gitlab", "--client-id", "client-1",
		"--issuer", "https://idp.example", "--jwks-url", p.At(oauthtest.JWKSPath), "--scope", "openid read_user api"); code != 0 {
		t.Fatalf("add: %d %s", code, e)
	}
	now := time.Now().Truncate(time.Second)
	access := p.Sign(map[string]any{"iss": "https://idp.example", "sub": "user-1", "exp": now.Add(42*time.Minute + 30*time.Second).Unix(), "scope": "openid read_user"})
	hash, _ := oauth.AtHashOf("RS256", access)
	id := oauthtest.SignUnknown(t, map[string]any{"iss": "https://idp.example", "sub": "user-1", "aud": "client-1",
		"exp": now.Add(time.Hour).Unix(), "iat": now.Add(-3*time.Hour - 10*time.Second).Unix(), "at_hash": hash, "name": "Ada\x1b[2J"})
	exp := now.Add(42*time.Minute + 30*time.Second).UTC()
	ts, _ := json.Marshal(core.TokenSet{AccessToken: access, RefreshToken: "refresh-secret-9", IDToken: id, Expiry: &exp, Scopes: []string{"openid", "read_user", "email"}})
	appID := markConnected(t, dir, store, "Lab", "", string(ts))
	svc, _ := core.NewService(core.Config{Dir: dir, Secrets: store})
	connected := now.Add(-3 * time.Hour).UTC()
	if err := svc.Registry.UpdateApp(appID, func(a *core.App) error { a.Connection().ConnectedAt = connected; return nil }); err != nil {
		t.Fatal(err)
	}
	secrets := []string{access, id, "refresh-secret-9", strings.Split(access, ".")[2], strings.Split(id, ".")[2]}

	out, e, code := runIn(t, dir, store, "", "inspect", "Lab")
	if code != 0 {
		t.Fatalf("inspect: %d %s", code, e)
	}
	for _, want := range []string{
		"Access token: JWT, " + itoa(len(access)) + " characters, expires ",
		"(in 42 min)",
		"  header: alg RS256, kid k1, typ JWT",
		"  signature: verified with the key k1 of the JWKS at " + p.At(oauthtest.JWKSPath),
		"    scope  openid read_user",
		"ID token: JWT, ",
		"  signature: not verified: ",
		"(3 h ago)",
		"  at_hash: matches the access token held",
		"Scopes requested: openid read_user api",
		"  not granted: api",
		"  granted beyond the request: email",
		"Refresh token: held, since the sign-in at ",
		"  the provider: Access tokens last two hours and each refresh rotates the refresh token.",
	} {
		if !strings.Contains(out, want) {
			t.Errorf("inspect's text lacks %q:\n%s", want, out)
		}
	}
	if strings.Contains(out, "\x1b") {
		t.Errorf("a claim's control character reached the terminal:\n%q", out)
	}
	if !strings.Contains(out, now.Add(-3*time.Hour-10*time.Second).Local().Format(inspectTimeLayout)) {
		t.Errorf("iat is not shown in local time:\n%s", out)
	}

	jsonOut, e, code := runIn(t, dir, store, "", "inspect", "Lab", "--json")
	if code != 0 {
		t.Fatalf("inspect --json: %d %s", code, e)
	}
	var got struct {
		App    string `json:"app"`
		Access struct {
			Kind   string `json:"kind"`
			Length int    `json:"length"`
			JWT    struct {
				Header    map[string]string `json:"header"`
				Signature struct {
					Verified bool   `json:"verified"`
					Kid      string `json:"kid"`
					JWKSURI  string `json:"jwks_uri"`
				} `json:"signature"`
				Claims []struct {
					Name string          `json:"name"`
					Time *time.Time      `json:"time"`
					Val  json.RawMessage `json:"value"`
				} `json:"claims"`
			} `json:"jwt"`
		} `json:"access_token"`
		ID struct {
			JWT struct {
				Signature struct {
					Verified bool   `json:"verified"`
					Reason   string `json:"reason"`
				} `json:"signature"`
			} `json:"jwt"`
		} `json:"id_token"`
		AtHash struct {
			Matches bool `json:"matches"`
		} `json:"at_hash"`
		Scopes struct {
			Missing []string `json:"missing"`
			Extra   []string `json:"extra"`
		} `json:"scopes"`
		Refresh struct {
			Held     bool      `json:"held"`
			Since    time.Time `json:"since"`
			Provider []string  `json:"provider_notes"`
		} `json:"refresh_token"`
	}
	if err := json.Unmarshal([]byte(jsonOut), &got); err != nil {
		t.Fatalf("inspect --json is not JSON: %v\n%s", err, jsonOut)
	}
	if got.App != "Lab" || got.Access.Kind != "jwt" || got.Access.Length != len(access) || got.Access.JWT.Header["kid"] != "k1" ||
		!got.Access.JWT.Signature.Verified || got.Access.JWT.Signature.JWKSURI != p.At(oauthtest.JWKSPath) ||
		got.ID.JWT.Signature.Verified || got.ID.JWT.Signature.Reason == "" || !got.AtHash.Matches ||
		strings.Join(got.Scopes.Missing, " ") != "api" || strings.Join(got.Scopes.Extra, " ") != "email" ||
		!got.Refresh.Held || !got.Refresh.Since.Equal(connected) || len(got.Refresh.Provider) != 1 {
		t.Errorf("inspect --json: %+v\n%s", got, jsonOut)
	}
	expSeen := false
	for _, c := range got.Access.JWT.Claims {
		if c.Name == "exp" {
			expSeen = c.Time != nil && c.Time.Equal(exp)
		}
	}
	if !expSeen {
		t.Errorf("the exp claim has no time in the JSON:\n%s", jsonOut)
	}
	for _, text := range []string{out, jsonOut, e} {
		for _, s := range secrets {
			if strings.Contains(text, s) {
				t.Errorf("inspect printed a token or a signature (%.12s…):\n%s", s, text)
			}
		}
	}
}

func TestInspectOpaqueAndNotConnected(t *testing.T) {
	dir, store := configDir(t), secret.NewMemoryStore()
	if _, e, code := runIn(t, dir, store, "", "add", "Hub", "--auth-url", "https://p.example/auth", "--token-url", "https://p.example/token", "--client-id", "c"); code != 0 {
		t.Fatalf("add: %d %s", code, e)
	}
	if _, e, code := runIn(t, dir, store, "", "inspect", "Hub"); code != ExitReauth || !strings.Contains(e, "not connected") || strings.Count(e, "\n") != 1 {
		t.Errorf("inspect of an app not connected: %d %q", code, e)
	}
	markConnected(t, dir, store, "Hub", "", `{"access_token":"gho_0123456789abcdef"}`)
	out, e, code := runIn(t, dir, store, "", "inspect", "Hub")
	if code != 0 {
		t.Fatalf("inspect: %d %s", code, e)
	}
	for _, want := range []string{"Access token: opaque, 20 characters, expiry unknown", "ID token: none", "Scopes granted: none", "Refresh token: none"} {
		if !strings.Contains(out, want) {
			t.Errorf("inspect lacks %q:\n%s", want, out)
		}
	}
	if strings.Contains(out, "gho_0123456789abcdef") || strings.Contains(out, "header:") || strings.Contains(out, "the provider:") {
		t.Errorf("inspect of an opaque token:\n%s", out)
	}
}

func TestRelativeText(t *testing.T) {
	for d, want := range map[time.Duration]string{
		42*time.Minute + 59*time.Second: "in 42 min",
		-3*time.Hour - 5*time.Second:    "3 h ago",
		90 * time.Minute:                "in 1 h 30 min",
		20 * time.Second:                "now",
		-72 * time.Hour:                 "3 days ago",
	} {
		if got := relativeText(d); got != want {
			t.Errorf("relativeText(%v) = %q, want %q", d, got, want)
		}
	}
}

func itoa(n int) string { b, _ := json.Marshal(n); return string(b) }
