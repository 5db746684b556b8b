package e2e

import (
	"bytes"
	"context"
	"errors"
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
	zop "github.com/zitadel/oidc/v3/pkg/op"
)

// provider is zitadel/oidc's example OpenID Provider, run in this process on loopback: a
// real OP with discovery, JWKS-signed ID tokens, PKCE, refresh-token rotation, revocation,
// introspection and any-port loopback redirects for native clients.
type provider struct {
	issuer       string
	server       *http.Server
	refreshCount atomic.Int64 // refresh_token grants the provider acted on
	// refreshDelay holds back the next refresh this long (then it is reset): a test kills the
	// process waiting for the answer meanwhile. A refresh whose client is gone by then is
	// dropped unseen, as a request lost on the way (the provider never rotates its token).
	refreshDelay   atomic.Int64
	refreshArrived atomic.Int64 // refresh_token grants received, acted on or not
	ccCount        atomic.Int64 // client_credentials grants at the token endpoint
	codeCount      atomic.Int64 // authorization_code grants (code exchanges) at the token endpoint
	webRedirect    string       // the exact redirect URI registered for the confidential client
	webClientPort  int
}

const (
	nativeClientID = "native"
	webClientID    = "web"
	// A distinctive value, so finding it in a log or a file cannot be a coincidence.
	webClientSecret = "s3cr3t-Kq9vW-cl1ent-value"
	opUsernamePart  = "test-user@"
	opPassword      = "verysecure"
	opUserID        = "id1" // the test user's ID, which is the subject of its tokens

	// The device client: zitadel's DeviceClient is confidential (Basic auth) and has only
	// the device grant.
	deviceClientID     = "device"
	deviceClientSecret = "d3v1ce-Zq8-secret-value"
	// The example storage's one service user for the client credentials grant (hard-wired
	// in storage.NewStorageWithClients); it is registered as a client as well, so that it
	// can authenticate at the revocation and introspection endpoints.
	serviceClientID     = "sid1"
	serviceClientSecret = "verysecret"
)

func startProvider() (*provider, error) {
	l, err := net.Listen("tcp4", "127.0.0.1:0")
	if err != nil {
		return nil, err
	}
	p := &provider{issuer: "http://" + l.Addr().String()}
	p.webClientPort, err = freePort()
	if err != nil {
		return nil, err
	}
	// The apps the tests add as "Web", "Tapped" and "Moved" have these paths of their own.
	p.webRedirect = fmt.Sprintf("http://127.0.0.1:%d/callback/web", p.webClientPort)
	clients := map[string]*storage.Client{
		nativeClientID: storage.NativeClient(nativeClientID, "http://127.0.0.1/callback", "http://localhost/callback", "http://[::1]/callback"),
		webClientID: storage.WebClient(webClientID, webClientSecret, p.webRedirect, fmt.Sprintf("http://127.0.0.1:%d/callback/tapped", p.webClientPort),
			fmt.Sprintf("http://127.0.0.1:%d/callback/moved", p.webClientPort)),
		deviceClientID:  storage.DeviceClient(deviceClientID, deviceClientSecret),
		serviceClientID: storage.WebClient(serviceClientID, serviceClientSecret),
	}
	store := appPathsStorage{storage.NewStorageWithClients(exampleUsers{storage.NewUserStore(p.issuer)}, clients)}
	router := exampleop.SetupServer(p.issuer, store, slog.New(slog.NewTextHandler(io.Discard, nil)), false)
	p.server = &http.Server{Handler: p.countRefreshes(router), ReadHeaderTimeout: 10 * time.Second}
	go func() { _ = p.server.Serve(l) }()
	return p, nil
}

// appPathsStorage registers, for the native client, the redirect URI of every app a test
// adds: each new app has its own path, /callback/NAME, and the tests add many names. The
// example storage's own /callback entries stay for apps from before.
type appPathsStorage struct{ *storage.Storage }

func (s appPathsStorage) GetClientByClientID(ctx context.Context, id string) (zop.Client, error) {
	c, err := s.Storage.GetClientByClientID(ctx, id)
	if err != nil || id != nativeClientID {
		return c, err
	}
	return appPathsClient{c}, nil
}

type appPathsClient struct{ zop.Client }

func (appPathsClient) RedirectURIGlobs() []string {
	return []string{"http://127.0.0.1:*/callback/*", "http://localhost:*/callback/*", `http://\[::1\]:*/callback/*`}
}

func (appPathsClient) PostLogoutRedirectURIGlobs() []string { return nil }

// countRefreshes counts refresh_token grants reaching the token endpoint, so a test can
// prove that many processes made one refresh.
func (p *provider) countRefreshes(next http.Handler) http.Handler {
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
					p.refreshCount.Add(1)
				case "client_credentials":
					p.ccCount.Add(1)
				case "authorization_code":
					p.codeCount.Add(1)
				}
			}
		}
		next.ServeHTTP(w, r)
	})
}

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
	if id == serviceClientID {
		return &storage.User{ID: serviceClientID, Username: serviceClientID}
	}
	return u.UserStore.GetUserByID(id)
}

func (p *provider) username() string {
	u, _ := url.Parse(p.issuer)
	return opUsernamePart + u.Hostname()
}

// tryRefresh asks the provider directly whether a refresh token is still accepted, the way a
// second program holding a stolen or stale copy would.
func (p *provider) tryRefresh(clientID, secret, refreshToken string) (int, string, error) {
	form := url.Values{"grant_type": {"refresh_token"}, "refresh_token": {refreshToken}}
	req, _ := http.NewRequest(http.MethodPost, p.issuer+"/oauth/token", strings.NewReader(form.Encode()))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	if secret != "" {
		req.SetBasicAuth(clientID, secret)
	} else {
		form.Set("client_id", clientID)
		req.Body = io.NopCloser(strings.NewReader(form.Encode()))
		req.ContentLength = int64(len(form.Encode()))
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return 0, "", err
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(b), nil
}

func freePort() (int, error) {
	l, err := net.Listen("tcp4", "127.0.0.1:0")
	if err != nil {
		return 0, err
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port, nil
}

// Browser modes: what the scripted person does with the authorization link.
const (
	modeLogin       = "login"        // sign in; the browser follows the redirect to the catcher
	modeTamperState = "tamper-state" // sign in; before the real callback, a cross-site one (another state) and a rebound one (another Host)
	modeAttacked    = "attacked"     // another local user delivers their own code first; then sign in
	modeMixedUp     = "mixed-up"     // sign in; the answer arrives with iss naming another provider
	modeDeny        = "deny"         // decline: the provider's redirect carries error=access_denied
	modeFollow      = "follow"       // just follow the link (for provider errors before login)
)

var idInput = regexp.MustCompile(`name="id" value="([^"]+)"`)

// attackers are what a hostile party does with the authorization link before the person signs
// in, by browser mode (the local-user attack needs Linux: see signin_attacks_linux_test.go).
var attackers = map[string]func(authURL string) error{}

// scriptedBrowser plays the person: an HTTP client with a cookie jar that follows redirects
// and submits the provider's login form. With capture it stops before the final redirect to
// the loopback catcher and returns that URL (for paste-back, or to tamper with it).
func scriptedBrowser(authURL, mode, username string) (finalURL string, err error) {
	jar, _ := cookiejar.New(nil)
	auth, err := url.Parse(authURL)
	if err != nil {
		return "", err
	}
	redirectURI := auth.Query().Get("redirect_uri")
	if mode == modeAttacked {
		attack := attackers[mode]
		if attack == nil {
			return "", errors.New("no attacker for this system")
		}
		if err := attack(authURL); err != nil {
			return "", err
		}
		mode = modeLogin
	}
	capture := mode == modeTamperState || mode == modeMixedUp || mode == "capture"
	var captured string
	client := &http.Client{Jar: jar, Timeout: 30 * time.Second,
		CheckRedirect: func(req *http.Request, via []*http.Request) error {
			if capture && strings.HasPrefix(req.URL.String(), redirectURI) {
				captured = req.URL.String()
				return http.ErrUseLastResponse
			}
			return nil
		}}
	if mode == modeDeny {
		q := url.Values{"error": {"access_denied"}, "error_description": {"The user declined <the> request"}, "state": {auth.Query().Get("state")}}
		resp, err := client.Get(redirectURI + "?" + q.Encode())
		if err != nil {
			return "", err
		}
		resp.Body.Close()
		return resp.Request.URL.String(), nil
	}
	resp, err := client.Get(authURL)
	if err != nil {
		return "", err
	}
	page, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if mode == modeFollow || strings.HasPrefix(resp.Request.URL.String(), redirectURI) {
		return resp.Request.URL.String(), nil
	}
	m := idInput.FindSubmatch(page)
	if m == nil {
		return "", fmt.Errorf("no login form at %s (status %d): %.300s", resp.Request.URL, resp.StatusCode, page)
	}
	loginURL := resp.Request.URL.ResolveReference(&url.URL{Path: "/login/username"})
	resp, err = client.PostForm(loginURL.String(), url.Values{"id": {string(m[1])}, "username": {username}, "password": {opPassword}})
	if err != nil {
		return "", err
	}
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if capture {
		if captured == "" {
			return "", fmt.Errorf("login did not redirect to %s (status %d): %.300s", redirectURI, resp.StatusCode, body)
		}
		if mode == modeTamperState {
			if err := crossSiteThenReal(captured); err != nil {
				return "", err
			}
		}
		if mode == modeMixedUp {
			if err := deliverMixedUp(captured); err != nil {
				return "", err
			}
		}
		return captured, nil
	}
	if !strings.HasPrefix(resp.Request.URL.String(), redirectURI) {
		return "", fmt.Errorf("sign-in ended at %s (status %d), not at the redirect URI: %.300s", resp.Request.URL, resp.StatusCode, body)
	}
	if resp.StatusCode != http.StatusOK {
		return "", errors.New("the catcher answered " + resp.Status)
	}
	return resp.Request.URL.String(), nil
}

// crossSiteThenReal plays two pages elsewhere that reach the catcher mid sign-in, then the
// real redirect: a cross-site request with a state of its own, and a DNS-rebinding page that
// sends the real callback under its own Host. Both must get 400 and leave the attempt waiting,
// so that the real redirect, last, is answered 200.
func crossSiteThenReal(captured string) error {
	u, err := url.Parse(captured)
	if err != nil {
		return err
	}
	forged := *u
	q := forged.Query()
	q.Set("state", "not-the-state-we-were-given")
	forged.RawQuery = q.Encode()
	rebound, _ := http.NewRequest(http.MethodGet, captured, nil)
	rebound.Host = "rebound.example:" + u.Port()
	real, _ := http.NewRequest(http.MethodGet, captured, nil)
	cross, _ := http.NewRequest(http.MethodGet, forged.String(), nil)
	for _, c := range []struct {
		name string
		req  *http.Request
		want int
	}{{"the cross-site request", cross, http.StatusBadRequest}, {"the rebound request", rebound, http.StatusBadRequest}, {"the real redirect", real, http.StatusOK}} {
		r, err := http.DefaultClient.Do(c.req)
		if err != nil {
			return fmt.Errorf("%s: %w", c.name, err)
		}
		r.Body.Close()
		if r.StatusCode != c.want {
			return fmt.Errorf("%s was answered %s; want %d", c.name, r.Status, c.want)
		}
	}
	return nil
}

// mixUpIssuer is the malicious provider whose name the mixed-up answer carries.
const mixUpIssuer = "https://evil-idp.example"

// deliverMixedUp plays the mix-up attack's last step: the honest provider's answer (its code,
// the attempt's state) reaches the catcher as the answer of another provider, iss naming it.
// The catcher must refuse it (400) before any exchange.
func deliverMixedUp(captured string) error {
	u, err := url.Parse(captured)
	if err != nil {
		return err
	}
	q := u.Query()
	q.Set("iss", mixUpIssuer)
	u.RawQuery = q.Encode()
	r, err := http.Get(u.String())
	if err != nil {
		return err
	}
	r.Body.Close()
	if r.StatusCode != http.StatusBadRequest {
		return fmt.Errorf("the mixed-up answer was answered %s; want 400", r.Status)
	}
	return nil
}

// deviceBrowser plays the person approving (or declining) a device sign-in on the provider's
// /device pages: the code page (unless the link already carries the code), the login form,
// then Allow or Deny. userCode is what the person types when the link has none.
func deviceBrowser(link, userCode string, approve bool, username string) error {
	jar, _ := cookiejar.New(nil)
	client := &http.Client{Jar: jar, Timeout: 30 * time.Second}
	u, err := url.Parse(link)
	if err != nil {
		return err
	}
	var resp *http.Response
	if u.Query().Get("user_code") != "" {
		resp, err = client.Get(link)
	} else {
		resp, err = client.PostForm(link, url.Values{"user_code": {userCode}}) // typed into the code page
	}
	if err != nil {
		return err
	}
	page, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if !strings.Contains(string(page), `action="/device/login"`) {
		return fmt.Errorf("no device login form at %s (status %d): %.300s", resp.Request.URL, resp.StatusCode, page)
	}
	code := regexp.MustCompile(`name="user_code" value="([^"]+)"`).FindSubmatch(page)
	if code == nil {
		return fmt.Errorf("the device login form carries no user code: %.300s", page)
	}
	loginURL := resp.Request.URL.ResolveReference(&url.URL{Path: "/device/login"})
	resp, err = client.PostForm(loginURL.String(), url.Values{"user_code": {string(code[1])}, "username": {username}, "password": {opPassword}})
	if err != nil {
		return err
	}
	page, _ = io.ReadAll(resp.Body)
	resp.Body.Close()
	if !strings.Contains(string(page), "./confirm?action=allowed") {
		return fmt.Errorf("no confirmation page after the device login (status %d): %.300s", resp.StatusCode, page)
	}
	action := "denied"
	if approve {
		action = "allowed"
	}
	resp, err = client.Get(resp.Request.URL.ResolveReference(&url.URL{Path: "/device/confirm", RawQuery: "action=" + action}).String())
	if err != nil {
		return err
	}
	page, _ = io.ReadAll(resp.Body)
	resp.Body.Close()
	if !strings.Contains(string(page), "Device authorization "+action) {
		return fmt.Errorf("the provider did not confirm %s (status %d): %.300s", action, resp.StatusCode, page)
	}
	return nil
}
