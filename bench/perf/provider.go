package main

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/http/cookiejar"
	"net/url"
	"regexp"
	"strings"
	"sync/atomic"
	"time"

	"github.com/zitadel/oidc/v3/example/server/exampleop"
	"github.com/zitadel/oidc/v3/example/server/storage"
	"github.com/zitadel/oidc/v3/pkg/op"
)

// provider is zitadel/oidc's example OpenID Provider on loopback, as e2e/provider_test.go
// runs it: discovery, JWKS-signed ID tokens, PKCE, refresh-token rotation.
type provider struct {
	issuer       string
	server       *http.Server
	refreshCount atomic.Int64 // refresh_token grants acted on
	// refreshDelay holds back the next refresh this long (then it is reset), so the agent can
	// be killed while its refresh is on the way; a refresh whose client is gone by then is
	// dropped unseen, as a request lost on the way.
	refreshDelay   atomic.Int64
	refreshArrived atomic.Int64
}

const (
	nativeClientID = "native"
	opPassword     = "verysecure"
)

func startProvider() (*provider, error) {
	l, err := net.Listen("tcp4", "127.0.0.1:0")
	if err != nil {
		return nil, err
	}
	p := &provider{issuer: "http://" + l.Addr().String()}
	clients := map[string]*storage.Client{
		nativeClientID: storage.NativeClient(nativeClientID, "http://127.0.0.1/callback"),
	}
	store := appPathsStorage{storage.NewStorageWithClients(storage.NewUserStore(p.issuer), clients)}
	router := exampleop.SetupServer(p.issuer, store, slog.New(slog.NewTextHandler(io.Discard, nil)), false)
	p.server = &http.Server{Handler: p.countRefreshes(router), ReadHeaderTimeout: 10 * time.Second}
	go func() { _ = p.server.Serve(l) }()
	return p, nil
}

// appPathsStorage registers, for the native client, the redirect URI of every app the bench
// adds: each new app has its own path, /callback/NAME.
type appPathsStorage struct{ *storage.Storage }

func (s appPathsStorage) GetClientByClientID(ctx context.Context, id string) (op.Client, error) {
	c, err := s.Storage.GetClientByClientID(ctx, id)
	if err != nil || id != nativeClientID {
		return c, err
	}
	return appPathsClient{c}, nil
}

type appPathsClient struct{ op.Client }

func (appPathsClient) RedirectURIGlobs() []string { return []string{"http://127.0.0.1:*/callback/*"} }

func (appPathsClient) PostLogoutRedirectURIGlobs() []string { return nil }

// countRefreshes counts refresh_token grants reaching the token endpoint.
func (p *provider) countRefreshes(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Method == http.MethodPost && r.URL.Path == "/oauth/token" {
			body, _ := io.ReadAll(r.Body)
			r.Body = io.NopCloser(bytes.NewReader(body))
			if form, err := url.ParseQuery(string(body)); err == nil && form.Get("grant_type") == "refresh_token" {
				p.refreshArrived.Add(1)
				if d := p.refreshDelay.Swap(0); d > 0 {
					time.Sleep(time.Duration(d))
					if r.Context().Err() != nil {
						return
					}
				}
				p.refreshCount.Add(1)
			}
		}
		next.ServeHTTP(w, r)
	})
}

func (p *provider) username() string {
	u, _ := url.Parse(p.issuer)
	return "test-user@" + u.Hostname()
}

var idInput = regexp.MustCompile(`name="id" value="([^"]+)"`)

// scriptedBrowser plays the person, as in e2e: it follows the authorization link, submits
// the provider's login form and follows the redirect to the loopback catcher.
func scriptedBrowser(authURL, username string) error {
	jar, _ := cookiejar.New(nil)
	auth, err := url.Parse(authURL)
	if err != nil {
		return err
	}
	redirectURI := auth.Query().Get("redirect_uri")
	client := &http.Client{Jar: jar, Timeout: 30 * time.Second}
	resp, err := client.Get(authURL)
	if err != nil {
		return err
	}
	page, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	m := idInput.FindSubmatch(page)
	if m == nil {
		return fmt.Errorf("no login form at %s (status %d): %.300s", resp.Request.URL, resp.StatusCode, page)
	}
	loginURL := resp.Request.URL.ResolveReference(&url.URL{Path: "/login/username"})
	resp, err = client.PostForm(loginURL.String(), url.Values{"id": {string(m[1])}, "username": {username}, "password": {opPassword}})
	if err != nil {
		return err
	}
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if !strings.HasPrefix(resp.Request.URL.String(), redirectURI) || resp.StatusCode != http.StatusOK {
		return fmt.Errorf("sign-in ended at %s (status %d): %.300s", resp.Request.URL, resp.StatusCode, body)
	}
	return nil
}
