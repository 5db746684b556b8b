package core

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"testing"
	"time"

	"connectedapps/core/fail"
	"connectedapps/core/oauth"
	"connectedapps/core/oauth/oauthtest"
)

// newDeviceProvider is a provider whose device authorization endpoint hands out one code
// (5 s interval, 30 min) and whose token endpoint answers the n-th poll (from 1) with poll.
func newDeviceProvider(t *testing.T, poll func(w http.ResponseWriter, n int)) *oauthtest.Provider {
	t.Helper()
	dp := oauthtest.NewProvider(t)
	dp.Handle("/device", oauthtest.Always(http.StatusOK, map[string]any{"device_code": "dc-secret", "user_code": "WDJB-MJHT",
		"verification_uri": dp.At("/activate"), "verification_uri_complete": dp.At("/activate?user_code=WDJB-MJHT"),
		"expires_in": 1800, "interval": 5}))
	dp.Handle("/token", func(w http.ResponseWriter, n int, _ oauthtest.Request) { poll(w, n) })
	return dp
}

// newDeviceFixture registers a confidential app with the device grant against dp.
func newDeviceFixture(t *testing.T, dp *oauthtest.Provider, change func(a *App)) *fixture {
	t.Helper()
	f := newFixture(t, fixtureOpts{provider: dp, at: time.Date(2030, 1, 2, 3, 4, 5, 0, time.UTC)})
	app := NewApp("Device IdP")
	app.ClientID = tokClientID
	app.GrantType = GrantDeviceCode
	app.DeviceAuthorizationURI = dp.At("/device")
	app.TokenURI = dp.At("/token")
	app.Scopes = []string{"read", "write"}
	app.QueryParameters = []QueryParameter{{Key: "access_type", Value: "offline"}, {Key: "prompt", Value: "consent"}, {Key: "audience", Value: "api://x"}}
	if change != nil {
		change(&app)
	}
	f.add(t, app, tokClientSecret)
	return f
}

// connectDevice runs the device flow on the test clock and returns the codes it showed.
func (f *fixture) connectDevice(t *testing.T, opts DeviceOptions) (*ConnectResult, []DeviceCode, error) {
	t.Helper()
	var codes []DeviceCode
	opts.OnCode = func(c DeviceCode) { codes = append(codes, c) }
	opts.sleep = f.clock.sleep
	res, err := f.svc.ConnectDevice(context.Background(), f.app.ProviderName, opts)
	return res, codes, err
}

func pending(w http.ResponseWriter) {
	oauthtest.JSON(w, http.StatusBadRequest, map[string]any{"error": "authorization_pending"})
}

func TestDeviceFlowApprovedAfterPendingAndSlowDown(t *testing.T) {
	dp := newDeviceProvider(t, func(w http.ResponseWriter, n int) {
		switch n {
		case 1, 3:
			pending(w)
		case 2:
			oauthtest.JSON(w, http.StatusBadRequest, map[string]any{"error": "slow_down"})
		default:
			oauthtest.JSON(w, http.StatusOK, map[string]any{"access_token": "at-device", "token_type": "Bearer", "expires_in": 3600,
				"refresh_token": "rt-device", "scope": "read write"})
		}
	})
	f := newDeviceFixture(t, dp, nil)
	res, codes, err := f.connectDevice(t, DeviceOptions{})
	if err != nil {
		t.Fatalf("ConnectDevice: %v", err)
	}
	// 5 s, 5 s, then +5 s for slow_down plus the 1 s margin, for every later poll.
	if got, want := f.clock.Waits(), []time.Duration{5 * time.Second, 5 * time.Second, 11 * time.Second, 11 * time.Second}; !slices.Equal(got, want) {
		t.Errorf("waits = %v, want %v", got, want)
	}
	if len(codes) != 1 || codes[0].UserCode != "WDJB-MJHT" || codes[0].VerificationURI != dp.URL+"/activate" ||
		codes[0].VerificationURIComplete != dp.URL+"/activate?user_code=WDJB-MJHT" || !codes[0].BrowserOpened ||
		!codes[0].ExpiresAt.Equal(f.clock.Now().Add(-32*time.Second).Add(30*time.Minute)) || codes[0].Interval != 5*time.Second {
		t.Errorf("OnCode got %+v", codes)
	}
	if !slices.Equal(f.opened, []string{dp.URL + "/activate?user_code=WDJB-MJHT"}) {
		t.Errorf("browser opened %v; want the complete verification URI", f.opened)
	}
	// The device request: authenticated like a token request, scopes, no browser-only params.
	dr := dp.Requests("/device")[0]
	if !dr.HasBasic || dr.RawBasicPass != url.QueryEscape(tokClientSecret) || dr.Form.Get("client_id") != tokClientID ||
		dr.Form.Get("scope") != "read write" || dr.Form.Get("audience") != "api://x" || dr.Form.Has("access_type") || dr.Form.Has("prompt") {
		t.Errorf("device authorization request: basic %v, form %v", dr.HasBasic, dr.Form)
	}
	for i, p := range dp.Requests("/token") {
		if p.Form.Get("grant_type") != oauth.DeviceGrantURN || p.Form.Get("device_code") != "dc-secret" || p.Form.Get("client_id") != tokClientID || !p.HasBasic || p.Form.Has("scope") {
			t.Errorf("poll %d: basic %v form %v", i+1, p.HasBasic, p.Form)
		}
	}
	if res.Tokens.AccessToken != "at-device" || res.Tokens.RefreshToken != "rt-device" || res.Tokens.Expiry == nil ||
		!res.Tokens.Expiry.Equal(f.clock.Now().Add(time.Hour)) {
		t.Errorf("tokens = %+v", res.Tokens)
	}
	app, _ := f.svc.Get(f.app.ID)
	if app.Connection() == nil || app.Connection().State != StateConnected || !app.Connection().HasRefreshToken {
		t.Errorf("connection = %+v", app.Connection())
	}
	if got, err := f.svc.Token(context.Background(), f.app.ID, DefaultMinValid); err != nil || got.AccessToken != "at-device" {
		t.Errorf("Token after the device flow = %+v, %v", got, err)
	}
}

func TestDeviceFlowSlowDownTakesTheProvidersInterval(t *testing.T) {
	// GitHub sends the interval it wants with slow_down, form-encoded with status 200.
	dp := newDeviceProvider(t, func(w http.ResponseWriter, n int) {
		w.Header().Set("Content-Type", "application/x-www-form-urlencoded")
		switch n {
		case 1:
			fmt.Fprint(w, "error=slow_down&error_description=too+fast&interval=15")
		case 2:
			fmt.Fprint(w, "error=authorization_pending")
		default:
			fmt.Fprint(w, "access_token=gho_abc&token_type=bearer&scope=repo%2Cgist")
		}
	})
	f := newDeviceFixture(t, dp, func(a *App) { a.TokenEndpointAuthMethod = AuthMethodPost })
	res, _, err := f.connectDevice(t, DeviceOptions{})
	if err != nil {
		t.Fatalf("ConnectDevice: %v", err)
	}
	if got, want := f.clock.Waits(), []time.Duration{5 * time.Second, 16 * time.Second, 16 * time.Second}; !slices.Equal(got, want) {
		t.Errorf("waits = %v, want %v", got, want)
	}
	if res.Tokens.AccessToken != "gho_abc" || res.Tokens.Expiry != nil || !slices.Equal(res.Tokens.Scopes, []string{"repo", "gist"}) {
		t.Errorf("tokens from a form-encoded answer = %+v", res.Tokens)
	}
	p := dp.Requests("/token")[0]
	if p.HasBasic || p.Form.Get("client_secret") != tokClientSecret || p.Form.Get("client_id") != tokClientID {
		t.Errorf("client_secret_post poll: basic %v form %v", p.HasBasic, p.Form)
	}
}

func TestDeviceFlowEndings(t *testing.T) {
	cases := []struct {
		name   string
		answer func(w http.ResponseWriter, n int)
		opts   DeviceOptions
		kind   error
		words  []string
		polls  int
	}{
		{"declined", func(w http.ResponseWriter, n int) {
			if n < 2 {
				pending(w)
				return
			}
			oauthtest.JSON(w, http.StatusBadRequest, map[string]any{"error": "access_denied", "error_description": "The user said no"})
		}, DeviceOptions{}, nil, []string{"Device IdP", `"access_denied"`, "The user said no", "declined", "connect again"}, 2},
		{"expired at the provider", func(w http.ResponseWriter, n int) {
			oauthtest.JSON(w, http.StatusBadRequest, map[string]any{"error": "expired_token"})
		}, DeviceOptions{}, ErrTimeout, []string{`"expired_token"`, "expired before it was approved"}, 1},
		{"code runs out here", func(w http.ResponseWriter, n int) { pending(w) },
			DeviceOptions{}, ErrTimeout, []string{"WDJB-MJHT", "expired before anyone approved it", "connect again"}, 360},
		{"timeout", func(w http.ResponseWriter, n int) { pending(w) },
			DeviceOptions{Timeout: 12 * time.Second}, ErrTimeout, []string{"nobody approved the code WDJB-MJHT within 12s"}, 3},
		{"client refused", func(w http.ResponseWriter, n int) {
			oauthtest.JSON(w, http.StatusUnauthorized, map[string]any{"error": "invalid_client"})
		}, DeviceOptions{}, ErrClientRejected, []string{`"invalid_client"`, "does not accept this client"}, 1},
		{"provider down", func(w http.ResponseWriter, n int) {
			http.Error(w, "oops", http.StatusBadGateway)
		}, DeviceOptions{}, ErrTransient, []string{"HTTP 502"}, oauth.MaxDevicePollFailures},
		{"one bad gateway is survived", func(w http.ResponseWriter, n int) {
			if n == 1 {
				http.Error(w, "oops", http.StatusBadGateway)
				return
			}
			oauthtest.JSON(w, http.StatusBadRequest, map[string]any{"error": "access_denied"})
		}, DeviceOptions{}, nil, []string{"access_denied"}, 2},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			dp := newDeviceProvider(t, c.answer)
			f := newDeviceFixture(t, dp, nil)
			_, _, err := f.connectDevice(t, c.opts)
			if err == nil {
				t.Fatal("ConnectDevice succeeded")
			}
			if c.kind != nil && !errors.Is(err, c.kind) {
				t.Errorf("error %v is not %v", err, c.kind)
			}
			for _, w := range c.words {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("error %q lacks %q", err, w)
				}
			}
			if want, ok := map[string]fail.Remedy{"timeout": fail.WaitLongerFor("Device IdP"), "client refused": fail.CheckClientOf("Device IdP")}[c.name]; ok {
				wantRemedy(t, err, want)
			}
			tokOneLine(t, err)
			tokNoSecrets(t, err)
			if strings.Contains(err.Error(), "dc-secret") {
				t.Errorf("error reveals the device code: %q", err)
			}
			if got := dp.Count("/token"); got != c.polls {
				t.Errorf("%d polls, want %d", got, c.polls)
			}
			if app, _ := f.svc.Get(f.app.ID); app.Connection() != nil {
				t.Errorf("a failed device flow recorded a connection: %+v", app.Connection())
			}
		})
	}
}

func TestDeviceFlowCanceled(t *testing.T) {
	dp := newDeviceProvider(t, func(w http.ResponseWriter, n int) { pending(w) })
	f := newDeviceFixture(t, dp, nil)
	ctx, cancel := context.WithCancel(context.Background())
	opts := DeviceOptions{NoBrowser: true, sleep: func(ctx context.Context, d time.Duration) error {
		if f.clock.Now().Sub(time.Date(2030, 1, 2, 3, 4, 5, 0, time.UTC)) >= 10*time.Second {
			cancel() // the person presses Cancel while the third wait is under way
		}
		return f.clock.sleep(ctx, d)
	}}
	_, err := f.svc.ConnectDevice(ctx, f.app.ProviderName, opts)
	if !errors.Is(err, ErrCanceled) || !strings.Contains(err.Error(), "canceled") {
		t.Fatalf("err = %v; want a cancel", err)
	}
	if dp.Count("/token") != 2 {
		t.Errorf("%d polls after the cancel; want 2", dp.Count("/token"))
	}
	if len(f.opened) != 0 {
		t.Errorf("NoBrowser opened %v", f.opened)
	}
}

func TestDeviceFlowNetworkFailuresAreRetried(t *testing.T) {
	dp := newDeviceProvider(t, func(w http.ResponseWriter, n int) {
		oauthtest.JSON(w, http.StatusOK, map[string]any{"access_token": "at-after-blip", "token_type": "Bearer"})
	})
	f := newDeviceFixture(t, dp, nil)
	failures := 0
	f.svc.HTTP = &http.Client{Transport: roundTripFunc(func(r *http.Request) (*http.Response, error) {
		if r.URL.Path == "/token" && failures < 2 {
			failures++
			return nil, errors.New("connection reset by peer")
		}
		return dp.Client().Transport.RoundTrip(r)
	})}
	res, _, err := f.connectDevice(t, DeviceOptions{})
	if err != nil || res.Tokens.AccessToken != "at-after-blip" {
		t.Fatalf("after two lost polls: %v %+v", err, res)
	}
	// The same blips three times in a row end the wait as a temporary failure.
	failures = -10
	g := newDeviceFixture(t, dp, func(a *App) { a.ProviderName = "Other" })
	g.svc.HTTP = f.svc.HTTP
	_, _, err = g.connectDevice(t, DeviceOptions{})
	if !errors.Is(err, ErrTransient) || !strings.Contains(err.Error(), "could not reach") {
		t.Fatalf("three lost polls: %v", err)
	}
}

type roundTripFunc func(*http.Request) (*http.Response, error)

func (f roundTripFunc) RoundTrip(r *http.Request) (*http.Response, error) { return f(r) }

func TestDeviceFlowRefusals(t *testing.T) {
	dp := newDeviceProvider(t, func(w http.ResponseWriter, n int) { t.Error("no poll expected") })
	f := newDeviceFixture(t, dp, func(a *App) {
		a.GrantType, a.AuthorizationURI, a.DeviceAuthorizationURI = GrantAuthorizationCode, "https://p.example/auth", ""
	})
	if _, _, err := f.connectDevice(t, DeviceOptions{}); !errors.Is(err, ErrInvalid) || fail.RemedyOf(err).Field != "device_authorization_uri" {
		t.Errorf("no device endpoint: %v", err)
	}
	g := newDeviceFixture(t, dp, func(a *App) { a.ProviderName, a.GrantType = "Machine", GrantClientCredentials })
	if _, _, err := g.connectDevice(t, DeviceOptions{}); !errors.Is(err, ErrInvalid) || !strings.Contains(err.Error(), "client credentials") {
		t.Errorf("client credentials app: %v", err)
	}
	dp.Handle("/device", func(w http.ResponseWriter, _ int, _ oauthtest.Request) {
		oauthtest.JSON(w, http.StatusBadRequest, map[string]any{"error": "unauthorized_client", "error_description": "device grant not enabled"})
	})
	h := newDeviceFixture(t, dp, func(a *App) { a.ProviderName = "Not enabled" })
	_, codes, err := h.connectDevice(t, DeviceOptions{})
	if !errors.Is(err, ErrClientRejected) || !strings.Contains(err.Error(), "device grant not enabled") || len(codes) != 0 {
		t.Errorf("device endpoint refusal: %v (codes %v)", err, codes)
	}
}

func TestConnectRunsTheDeviceFlowForADeviceGrantApp(t *testing.T) {
	dp := newDeviceProvider(t, func(w http.ResponseWriter, n int) {
		oauthtest.JSON(w, http.StatusOK, map[string]any{"access_token": "at-1", "token_type": "Bearer"})
	})
	f := newDeviceFixture(t, dp, nil)
	var got []DeviceCode
	// Connect uses the real clock and sleep: the provider's interval of 1 s keeps this short.
	dp.Handle("/device", func(w http.ResponseWriter, _ int, _ oauthtest.Request) {
		oauthtest.JSON(w, http.StatusOK, map[string]any{"device_code": "d", "user_code": "U", "verification_uri": dp.URL + "/a", "interval": 1})
	})
	res, err := f.svc.Connect(context.Background(), f.app.ProviderName, ConnectOptions{OnDeviceCode: func(c DeviceCode) { got = append(got, c) }})
	if err != nil || res.Tokens.AccessToken != "at-1" || len(got) != 1 || got[0].UserCode != "U" || got[0].BrowserOpened {
		t.Fatalf("Connect: %v %+v %+v", err, res, got)
	}
}
