package core

import (
	"context"
	"fmt"
	"os"
	"testing"
	"time"

	"connectedapps/core/secret"
)

// BenchmarkTokenNoRefresh is the hot path of `connectedapps token`: find the app in
// apps.json, one secret read, no network. With secret.MemoryStore it measures our own overhead;
// BenchmarkTokenRealKeyring adds the Secret Service round trip.
func BenchmarkTokenNoRefresh(b *testing.B) {
	benchToken(b, secret.NewMemoryStore(), 100)
}

func BenchmarkTokenRealKeyring(b *testing.B) {
	requireRealKeyring(b)
	benchToken(b, secret.NewChunkedStore(&secret.KeyringStore{Timeout: 10 * time.Second}, 0), 100)
}

func BenchmarkRegistryLoad1000(b *testing.B) {
	svc := benchService(b, secret.NewMemoryStore(), 1000)
	b.ResetTimer()
	for b.Loop() {
		if _, err := svc.Registry.Load(); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkRegistryUpdate1000(b *testing.B) {
	svc := benchService(b, secret.NewMemoryStore(), 1000)
	apps, _ := svc.List()
	id := apps[500].ID
	b.ResetTimer()
	for b.Loop() {
		if err := svc.Registry.UpdateApp(id, func(a *App) error { a.ClientID += "x"; return nil }); err != nil {
			b.Fatal(err)
		}
	}
}

func benchService(b *testing.B, store secret.Store, n int) *Service {
	b.Helper()
	svc := newFixture(b, fixtureOpts{secrets: store}).svc
	err := svc.Registry.Update(func(apps []App) ([]App, error) {
		for i := range n {
			a := NewApp(fmt.Sprintf("App %04d", i))
			a.ClientID, a.AuthorizationURI, a.TokenURI = "client", "https://example.com/auth", "https://example.com/token"
			a.Scopes = []string{"openid", "email"}
			apps = append(apps, a)
		}
		return apps, nil
	})
	if err != nil {
		b.Fatal(err)
	}
	return svc
}

func benchToken(b *testing.B, store secret.Store, n int) {
	svc := benchService(b, store, n)
	apps, _ := svc.List()
	app := apps[n/2]
	exp := time.Now().Add(time.Hour).UTC()
	acct := Account{ID: AnonymousAccount}
	if err := svc.writeTokens(&app, &acct, &TokenSet{AccessToken: "at", RefreshToken: "rt", Expiry: &exp}); err != nil {
		b.Fatal(err)
	}
	defer svc.Secrets.Delete(tokensKey(app.ID, acct.ID))
	if err := svc.Registry.UpdateApp(app.ID, func(a *App) error {
		a.SetConnection(&Connection{State: StateConnected, ExpiresAt: &exp})
		return nil
	}); err != nil {
		b.Fatal(err)
	}
	ctx := context.Background()
	b.ResetTimer()
	for b.Loop() {
		if _, err := svc.Token(ctx, app.ProviderName, DefaultMinValid); err != nil {
			b.Fatal(err)
		}
	}
}

// requireRealKeyring skips unless the run has a private, unlocked keyring (make bench does).
func requireRealKeyring(tb testing.TB) {
	tb.Helper()
	if os.Getenv("CONNECTEDAPPS_TEST_KEYRING") != "1" {
		tb.Skip("set CONNECTEDAPPS_TEST_KEYRING=1 (inside a D-Bus session with an unlocked keyring) to use the real OS keyring")
	}
}
