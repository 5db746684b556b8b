package testkit

import (
	"context"
	"encoding/json"
	"fmt"
	"math"
	"net"
	"net/http"
	"net/url"
	"os"
	"strings"
	"testing"
	"time"

	"golang.org/x/oauth2"
)

// The kit's own check, so a broken provider or browser fails here, in seconds, rather than as
// a puzzling e2e or bench failure: a code sign-in at the provider by the scripted browser, the
// exchange, a refresh that rotates the refresh token, and a declined sign-in.
func TestProviderAndScriptedBrowser(t *testing.T) {
	p, err := StartProvider()
	if err != nil {
		t.Fatal(err)
	}
	defer p.Close()

	l, err := net.Listen("tcp4", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	codes := make(chan url.Values, 4)
	srv := &http.Server{ReadHeaderTimeout: 5 * time.Second, Handler: http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		codes <- r.URL.Query()
		fmt.Fprintln(w, "caught")
	})}
	go func() { _ = srv.Serve(l) }()
	defer srv.Close()

	resp, err := http.Get(p.Issuer + "/.well-known/openid-configuration")
	if err != nil {
		t.Fatal(err)
	}
	var disc struct {
		Issuer string `json:"issuer"`
		Auth   string `json:"authorization_endpoint"`
		Token  string `json:"token_endpoint"`
	}
	err = json.NewDecoder(resp.Body).Decode(&disc)
	resp.Body.Close()
	if err != nil || disc.Issuer != p.Issuer || disc.Auth == "" || disc.Token == "" {
		t.Fatalf("discovery: %+v, %v", disc, err)
	}
	conf := oauth2.Config{
		ClientID:    NativeClientID,
		Endpoint:    oauth2.Endpoint{AuthURL: disc.Auth, TokenURL: disc.Token, AuthStyle: oauth2.AuthStyleInParams},
		RedirectURL: "http://" + l.Addr().String() + "/callback/kit",
		Scopes:      []string{"openid", "offline_access"},
	}
	verifier := oauth2.GenerateVerifier()
	if disc.Auth != p.Issuer+AuthorizationPath {
		t.Fatalf("the authorization endpoint is %s, not the AuthorizationPath the requests are recorded at", disc.Auth)
	}
	link := conf.AuthCodeURL("the-state", oauth2.S256ChallengeOption(verifier), oauth2.SetAuthURLParam("login_hint", "ann@example.com"))
	final, err := SignIn(link, ModeLogin, p.Username())
	if err != nil {
		t.Fatal(err)
	}
	// The provider recorded the link's query, once, for this callback only.
	if got := p.AuthorizationRequests("kit"); len(got) != 1 || got[0].Get("state") != "the-state" || got[0].Get("login_hint") != "ann@example.com" ||
		got[0].Get("redirect_uri") != conf.RedirectURL {
		t.Fatalf("recorded authorization requests for kit: %v", got)
	}
	if got := p.AuthorizationRequests("other"); len(got) != 0 {
		t.Fatalf("recorded for another callback: %v", got)
	}
	if !strings.HasPrefix(final, conf.RedirectURL+"?") {
		t.Fatalf("the sign-in ended at %s, not at the catcher", final)
	}
	got := <-codes
	if got.Get("state") != "the-state" || got.Get("code") == "" {
		t.Fatalf("the catcher got %v", got)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	tok, err := conf.Exchange(ctx, got.Get("code"), oauth2.VerifierOption(verifier))
	if err != nil {
		t.Fatal(err)
	}
	if p.CodeExchanges() != 1 || tok.RefreshToken == "" {
		t.Fatalf("code exchanges %d, refresh token %q", p.CodeExchanges(), tok.RefreshToken)
	}

	if status, body, err := p.TryRefresh(NativeClientID, "", tok.RefreshToken); err != nil || status != http.StatusOK {
		t.Fatalf("the first refresh: %d %s %v", status, body, err)
	}
	if status, body, _ := p.TryRefresh(NativeClientID, "", tok.RefreshToken); status != http.StatusBadRequest || !strings.Contains(body, "invalid_grant") {
		t.Fatalf("the spent refresh token again: %d %s; want 400 invalid_grant (rotation)", status, body)
	}
	if p.Refreshes() != 2 {
		t.Fatalf("the provider counted %d refreshes, want 2", p.Refreshes())
	}

	if _, err := SignIn(conf.AuthCodeURL("declined"), ModeDeny, p.Username()); err != nil {
		t.Fatal(err)
	}
	if got := <-codes; got.Get("error") != "access_denied" || got.Get("state") != "declined" {
		t.Fatalf("the declined sign-in reached the catcher with %v", got)
	}
	if _, err := SignIn(link, ModeAttacked, p.Username()); err == nil {
		t.Fatal("SignIn played the attacked mode without its attacker")
	}
}

func TestPersonEnvAndRun(t *testing.T) {
	env := PersonEnv("/the/config", "/the/self", ModeDeny, "someone")
	for _, want := range []string{"XDG_CONFIG_HOME=/the/config", "BROWSER=/the/self", BrowserModeEnv + "=deny", BrowserUserEnv + "=someone"} {
		if !strings.Contains(strings.Join(env, "\n")+"\n", want+"\n") {
			t.Errorf("PersonEnv lacks %s", want)
		}
	}
	self, err := os.Executable()
	if err != nil {
		t.Fatal(err)
	}
	r, err := Run(context.Background(), os.Environ(), nil, self, "-test.run=^$", "-no-such-flag")
	if err != nil || r.Code != 2 || !strings.Contains(r.Stderr, "no-such-flag") {
		t.Fatalf("Run of a failing program = %+v, %v; want exit 2 with its stderr", r, err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), time.Millisecond)
	defer cancel()
	time.Sleep(2 * time.Millisecond)
	if _, err := Run(ctx, nil, nil, self, "-test.run=^$"); err == nil || !strings.Contains(err.Error(), "did not finish in time") {
		t.Fatalf("Run past its deadline = %v", err)
	}
}

func TestQuantile(t *testing.T) {
	for _, c := range []struct {
		xs   []float64
		q    float64
		want float64
	}{
		{[]float64{3, 1, 2}, 0.5, 2},
		{[]float64{4, 1, 3, 2}, 0.5, 2.5},
		{[]float64{1, 2, 3, 4, 5}, 0.25, 2},
		{[]float64{10, 20}, 0.75, 17.5},
	} {
		if got := Quantile(c.xs, c.q); got != c.want {
			t.Errorf("Quantile(%v, %v) = %v, want %v", c.xs, c.q, got, c.want)
		}
	}
	if !math.IsNaN(Median(nil)) {
		t.Error("the median of nothing is a number")
	}
}
