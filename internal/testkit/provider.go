// Package testkit is what the end-to-end tests (e2e/) and the benchmarks (bench/perf) share to
// drive the built binary the way a person would: a real OpenID Provider run in-process on
// loopback, the scripted browser that signs in at it, and the environment of one person with
// a private registry folder.
//
// It lives under internal/ because it knows no app, token format or Service: it speaks only
// HTTP to the provider and hands the binary environment variables, so it obeys the leaves'
// rule (no import of core, cli, gui or Fyne) and both e2e and bench can use it without
// pulling in the engine. It is test support, not product code: nothing but e2e and bench
// imports it.
package testkit

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/zitadel/oidc/v3/example/server/exampleop"
	"github.com/zitadel/oidc/v3/example/server/storage"
	"github.com/zitadel/oidc/v3/pkg/oidc"
	zop "github.com/zitadel/oidc/v3/pkg/op"
)

// The provider's clients and its users, as its example storage has them.
const (
	// NativeClientID is a public client (PKCE, no secret) that accepts any loopback port and
	// any /callback/NAME path, so every app a test or the bench adds can use it.
	NativeClientID = "native"
	// JWTClientID is the native client again, but given its access tokens as JWTs signed with
	// the provider's key (as many APIs' providers do) rather than the encrypted bearer tokens
	// the others get.
	JWTClientID = "native-jwt"
	// WebClientID is a confidential client (Basic auth) with exact redirect URIs on
	// Provider.WebClientPort: /callback/web, /callback/tapped and /callback/moved.
	WebClientID = "web"
	// WebClientSecret is distinctive, so finding it in a log or a file cannot be a coincidence.
	WebClientSecret = "s3cr3t-Kq9vW-cl1ent-value"

	// DeviceClientID is zitadel's DeviceClient: confidential (Basic auth), the device grant only.
	DeviceClientID     = "device"
	DeviceClientSecret = "d3v1ce-Zq8-secret-value"
	// ServiceClientID is the example storage's one service user for the client credentials
	// grant (hard-wired in storage.NewStorageWithClients); it is registered as a client as
	// well, so that it can authenticate at the revocation and introspection endpoints.
	ServiceClientID     = "sid1"
	ServiceClientSecret = "verysecret"
	// ResourceClientID is a resource server, as a mail server is: it never signs anyone in,
	// and introspects the tokens the other clients were given (see SetIntrospectionFromToken).
	ResourceClientID     = "mailserver"
	ResourceClientSecret = "r3source-Xp4-introspect-value"

	// Password is every example user's password.
	Password = "verysecure"
	// UserID is the first test user's ID, the subject of its tokens.
	UserID = "id1"
	// SecondUser is the example provider's second user (subject id2), whom an attacker plays.
	SecondUser = "test-user2"
)

// Provider is zitadel/oidc's example OpenID Provider, run in this process on loopback: a real
// OP with discovery, JWKS-signed ID tokens, PKCE, refresh-token rotation (every refresh spends
// the old refresh token), revocation, introspection, the device grant and any-port loopback
// redirects for native clients. It counts the grants reaching its token endpoint, so a test
// can prove that many processes made one refresh.
type Provider struct {
	// Issuer is the provider's URL, http://127.0.0.1:PORT; discovery is under it.
	Issuer string
	// WebClientPort is the loopback port of the web client's registered redirect URIs, and
	// WebRedirect its /callback/web one.
	WebClientPort int
	WebRedirect   string

	server                             *http.Server
	refreshes, clientCreds, codeGrants atomic.Int64 // grants acted on
	// refreshDelay holds back the next refresh this long (then it is reset): a test kills the
	// process waiting for the answer meanwhile. A refresh whose client is gone by then is
	// dropped unseen, as a request lost on the way (the provider never rotates its token).
	refreshDelay   atomic.Int64
	refreshArrived atomic.Int64   // refresh_token grants received, acted on or not
	dyn            *registrations // clients registered at RegistrationPath

	authMu sync.Mutex
	auths  []url.Values // the query of every authorization request, in order of arrival
}

// StartProvider starts the provider on a free loopback port; Close stops it.
func StartProvider() (*Provider, error) {
	l, err := net.Listen("tcp4", "127.0.0.1:0")
	if err != nil {
		return nil, fmt.Errorf("the test provider cannot listen on 127.0.0.1: %w", err)
	}
	p := &Provider{Issuer: "http://" + l.Addr().String()}
	if p.WebClientPort, err = FreePort(); err != nil {
		l.Close()
		return nil, err
	}
	web := func(path string) string { return fmt.Sprintf("http://127.0.0.1:%d/callback/%s", p.WebClientPort, path) }
	p.WebRedirect = web("web")
	clients := map[string]*storage.Client{
		NativeClientID:   storage.NativeClient(NativeClientID, "http://127.0.0.1/callback", "http://localhost/callback", "http://[::1]/callback"),
		JWTClientID:      storage.NativeClient(JWTClientID, "http://127.0.0.1/callback"),
		WebClientID:      storage.WebClient(WebClientID, WebClientSecret, p.WebRedirect, web("tapped"), web("moved")),
		DeviceClientID:   storage.DeviceClient(DeviceClientID, DeviceClientSecret),
		ServiceClientID:  storage.WebClient(ServiceClientID, ServiceClientSecret),
		ResourceClientID: storage.WebClient(ResourceClientID, ResourceClientSecret),
	}
	p.dyn = &registrations{clients: map[string]*registered{}}
	store := appPathsStorage{storage.NewStorageWithClients(exampleUsers{storage.NewUserStore(p.Issuer)}, clients), p.dyn}
	router := exampleop.SetupServer(p.Issuer, store, slog.New(slog.NewTextHandler(io.Discard, nil)), false)
	p.server = &http.Server{Handler: p.withRegistration(p.recordAuthorizations(p.countGrants(router))), ReadHeaderTimeout: 10 * time.Second}
	go func() { _ = p.server.Serve(l) }()
	return p, nil
}

// Close stops the provider.
func (p *Provider) Close() error { return p.server.Close() }

// Username is the first test user's login name (the example's users are named after the
// issuer's host).
func (p *Provider) Username() string {
	u, _ := url.Parse(p.Issuer)
	return "test-user@" + u.Hostname()
}

// Refreshes is how many refresh_token grants reached the token endpoint so far.
func (p *Provider) Refreshes() int64 { return p.refreshes.Load() }

// DelayNextRefresh holds the next refresh_token grant back for d before the provider acts on
// it (and drops it if its client has gone by then).
func (p *Provider) DelayNextRefresh(d time.Duration) { p.refreshDelay.Store(int64(d)) }

// RefreshesArrived is how many refresh_token grants reached the token endpoint, including
// those dropped because their client left during DelayNextRefresh.
func (p *Provider) RefreshesArrived() int64 { return p.refreshArrived.Load() }

// ClientCredentialsGrants is how many client_credentials grants reached the token endpoint.
func (p *Provider) ClientCredentialsGrants() int64 { return p.clientCreds.Load() }

// CodeExchanges is how many authorization_code grants (code exchanges) reached it.
func (p *Provider) CodeExchanges() int64 { return p.codeGrants.Load() }

// AuthorizationPath is where the provider's authorization endpoint is (its discovery says so).
const AuthorizationPath = "/auth"

// AuthorizationRequests is the query of every authorization request (a sign-in link opened)
// that reached the provider so far whose redirect_uri ends in "/callback/"+callback (the
// app's path: each app a test adds has its own, so tests running at once do not see each
// other's), oldest first; callback "" gives them all. Each is a copy.
func (p *Provider) AuthorizationRequests(callback string) []url.Values {
	p.authMu.Lock()
	defer p.authMu.Unlock()
	var out []url.Values
	for _, q := range p.auths {
		if callback == "" || strings.HasSuffix(q.Get("redirect_uri"), "/callback/"+callback) {
			c := url.Values{}
			for k, v := range q {
				c[k] = append([]string(nil), v...)
			}
			out = append(out, c)
		}
	}
	return out
}

// recordAuthorizations notes the query of each authorization request (GET, as a browser
// follows the sign-in link; a POSTed one, its form) before the provider acts on it.
func (p *Provider) recordAuthorizations(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path == AuthorizationPath {
			q := r.URL.Query()
			if r.Method == http.MethodPost {
				body, _ := io.ReadAll(r.Body)
				r.Body = io.NopCloser(bytes.NewReader(body))
				if form, err := url.ParseQuery(string(body)); err == nil {
					q = form
				}
			}
			p.authMu.Lock()
			p.auths = append(p.auths, q)
			p.authMu.Unlock()
		}
		next.ServeHTTP(w, r)
	})
}

func (p *Provider) countGrants(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Method == http.MethodPost && r.URL.Path == "/oauth/token" {
			body, _ := io.ReadAll(r.Body)
			r.Body = io.NopCloser(bytes.NewReader(body))
			if form, err := url.ParseQuery(string(body)); err == nil {
				switch form.Get("grant_type") {
				case "refresh_token":
					p.refreshArrived.Add(1)
					if d := p.refreshDelay.Swap(0); d > 0 {
						time.Sleep(time.Duration(d))
						if r.Context().Err() != nil {
							return
						}
					}
					p.refreshes.Add(1)
				case "client_credentials":
					p.clientCreds.Add(1)
				case "authorization_code":
					p.codeGrants.Add(1)
				}
			}
		}
		next.ServeHTTP(w, r)
	})
}

// TryRefresh asks the provider directly whether a refresh token is still accepted, the way a
// second program holding a stolen or stale copy would. It returns the status and the body.
func (p *Provider) TryRefresh(clientID, secret, refreshToken string) (int, string, error) {
	form := url.Values{"grant_type": {"refresh_token"}, "refresh_token": {refreshToken}}
	if secret == "" {
		form.Set("client_id", clientID)
	}
	req, err := http.NewRequest(http.MethodPost, p.Issuer+"/oauth/token", strings.NewReader(form.Encode()))
	if err != nil {
		return 0, "", err
	}
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	if secret != "" {
		req.SetBasicAuth(clientID, secret)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return 0, "", err
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(b), nil
}

// FreePort is a loopback port nobody listened on a moment ago.
func FreePort() (int, error) {
	l, err := net.Listen("tcp4", "127.0.0.1:0")
	if err != nil {
		return 0, fmt.Errorf("no free port on 127.0.0.1: %w", err)
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port, nil
}

// appPathsStorage registers, for the native client, the redirect URI of every app a test
// adds: each new app has its own path, /callback/NAME, and the tests add many names. The
// example storage's own /callback entries stay for apps from before.
type appPathsStorage struct {
	*storage.Storage
	dyn *registrations // the clients registered at run time (registration.go), looked up first
}

func (s appPathsStorage) GetClientByClientID(ctx context.Context, id string) (zop.Client, error) {
	if reg, ok := s.registeredClient(id); ok {
		return reg.client, nil
	}
	c, err := s.Storage.GetClientByClientID(ctx, id)
	switch {
	case err != nil:
		return c, err
	case id == NativeClientID:
		return appPathsClient{c}, nil
	case id == JWTClientID:
		return jwtAccessClient{appPathsClient{c}}, nil
	}
	return c, err
}

// jwtAccessClient is a client whose access tokens are JWTs (JWTClientID).
type jwtAccessClient struct{ appPathsClient }

func (jwtAccessClient) AccessTokenType() zop.AccessTokenType { return zop.AccessTokenTypeJWT }

// AuthorizeClientIDSecret checks a registered confidential client's secret; the others are
// the example storage's.
func (s appPathsStorage) AuthorizeClientIDSecret(ctx context.Context, id, secret string) error {
	if reg, ok := s.registeredClient(id); ok {
		if reg.secret == "" || reg.secret != secret {
			return errors.New("invalid secret")
		}
		return nil
	}
	return s.Storage.AuthorizeClientIDSecret(ctx, id, secret)
}

// SetIntrospectionFromToken lets the resource server introspect any client's token, as a
// provider lets an API (or a mail server) it knows about: the example storage answers only a
// client in the token's audience, so the question is put for each client the tests sign in
// with. A token that is unknown, revoked or expired is refused for every one of them, and the
// introspection endpoint then answers {"active":false}.
func (s appPathsStorage) SetIntrospectionFromToken(ctx context.Context, in *oidc.IntrospectionResponse, tokenID, subject, clientID string) error {
	if clientID != ResourceClientID {
		return s.Storage.SetIntrospectionFromToken(ctx, in, tokenID, subject, clientID)
	}
	err := errors.New("no client")
	for _, audience := range []string{NativeClientID, WebClientID, DeviceClientID} {
		if err = s.Storage.SetIntrospectionFromToken(ctx, in, tokenID, subject, audience); err == nil {
			return nil
		}
	}
	return err
}

type appPathsClient struct{ zop.Client }

func (appPathsClient) RedirectURIGlobs() []string {
	return []string{"http://127.0.0.1:*/callback/*", "http://localhost:*/callback/*", `http://\[::1\]:*/callback/*`}
}

func (appPathsClient) PostLogoutRedirectURIGlobs() []string { return nil }

// exampleUsers adjusts the example's user store for two of its paths that look a user up by
// ID with something else. The device login makes whatever name was typed the subject of the
// tokens, so the device page is signed in with the user's ID (accepted here as a user name
// too), which keeps the subject the same as in the code flow. A client credentials token's
// subject is the service client, which introspection looks up as a user.
type exampleUsers struct{ storage.UserStore }

func (u exampleUsers) GetUserByUsername(name string) *storage.User {
	if usr := u.UserStore.GetUserByUsername(name); usr != nil {
		return usr
	}
	return u.UserStore.GetUserByID(name)
}

func (u exampleUsers) GetUserByID(id string) *storage.User {
	if id == ServiceClientID {
		return &storage.User{ID: ServiceClientID, Username: ServiceClientID}
	}
	return u.UserStore.GetUserByID(id)
}
