package oauth

import (
	"context"
	"encoding/json"
	"errors"
	"log/slog"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"

	"connectedapps/core/fail"

	"golang.org/x/oauth2"
	"golang.org/x/oauth2/clientcredentials"
)

// The device authorization grant (RFC 8628): the app shows a short code, the person approves
// it on any device with a browser, and the app polls the token endpoint meanwhile.
//
// x/oauth2's Config.DeviceAuth and Config.DeviceAccessToken were not used as they are:
// DeviceAuth sends no client authentication (a confidential client must authenticate at the
// device endpoint as at the token endpoint), and DeviceAccessToken polls on the wall clock,
// adds no margin after slow_down, ends on the first network error, and reports an expired
// code and a cancel alike as a context error. One poll is x/oauth2's token request (through
// clientcredentials, which lets grant_type be set) so answers, including GitHub's
// form-encoded ones and errors sent with status 200, are parsed by the library.
const (
	DeviceGrantURN = "urn:ietf:params:oauth:grant-type:device_code"

	// defaultDeviceInterval is RFC 8628 section 3.2's default when the provider names none.
	defaultDeviceInterval = 5 * time.Second
	// slowDownStep is what RFC 8628 section 3.5 adds to the interval on each slow_down;
	// slowDownMargin is added on top, because the provider already found us too fast once and
	// network jitter could make an exact interval look too fast again.
	slowDownStep   = 5 * time.Second
	slowDownMargin = time.Second
	// defaultDeviceCodeLifetime stands in for a missing expires_in (it is required, but a
	// provider that leaves it out must not make the wait endless).
	defaultDeviceCodeLifetime = 10 * time.Minute
	// MaxDevicePollFailures is how many polls in a row may fail to reach the provider before
	// the wait is given up: one lost request must not cost the person their approval.
	MaxDevicePollFailures = 3
)

// DeviceCode is what the person needs to approve a device sign-in elsewhere.
type DeviceCode struct {
	UserCode        string
	VerificationURI string
	// VerificationURIComplete has the code in it (for a link or a QR code); may be empty.
	VerificationURIComplete string
	ExpiresAt               time.Time
	Interval                time.Duration
	// BrowserOpened says the browser was started at VerificationURIComplete; BrowserErr says
	// why not when it was tried and failed.
	BrowserOpened bool
	BrowserErr    error
}

// browserOnlyParams steer the browser redirect of the code flow; the device endpoint has no
// use for them, and Google documents only client_id and scope there.
var browserOnlyParams = []string{"access_type", "prompt", "response_mode", "display"}

// RequestDeviceCode asks the device authorization endpoint for a code (RFC 8628 section 3.1),
// authenticated like a token request. It returns what to show and the secret device code.
func RequestDeviceCode(ctx context.Context, hc *http.Client, app *App, secret string, now time.Time) (DeviceCode, string, error) {
	// client_id always goes in the body: RFC 8628 names it, and Microsoft and GitHub want it
	// there even alongside other client authentication.
	form := url.Values{"client_id": {app.ClientID}}
	if len(app.Scopes) > 0 {
		form.Set("scope", strings.Join(app.Scopes, " "))
	}
	for _, p := range app.QueryParameters {
		if !containsFold(browserOnlyParams, p.Key) {
			form.Set(p.Key, p.Value)
		}
	}
	raw, err := PostClientAuth(ctx, hc, app, secret, "device authorization", app.DeviceAuthorizationURI, form)
	if err != nil {
		return DeviceCode{}, "", err
	}
	return parseDeviceAuth(app, raw, now)
}

func containsFold(list []string, s string) bool {
	for _, x := range list {
		if strings.EqualFold(x, s) {
			return true
		}
	}
	return false
}

// parseDeviceAuth reads the device authorization response. Google spells verification_uri
// "verification_url"; older Microsoft endpoints send numbers as strings.
func parseDeviceAuth(app *App, raw json.RawMessage, now time.Time) (DeviceCode, string, error) {
	var d struct {
		DeviceCode              string      `json:"device_code"`
		UserCode                string      `json:"user_code"`
		VerificationURI         string      `json:"verification_uri"`
		VerificationURL         string      `json:"verification_url"`
		VerificationURIComplete string      `json:"verification_uri_complete"`
		ExpiresIn               json.Number `json:"expires_in"`
		Interval                json.Number `json:"interval"`
	}
	if len(raw) == 0 || json.Unmarshal(raw, &d) != nil {
		return DeviceCode{}, "", failf(errInvalid, "%s: the device authorization endpoint %s did not answer with a device code: check the URI", app.ProviderName, app.DeviceAuthorizationURI)
	}
	if d.VerificationURI == "" {
		d.VerificationURI = d.VerificationURL
	}
	// The code and the page are printed for the person and shown in the window: no control
	// character of the provider's may reach the terminal (see CleanText).
	d.UserCode = strings.TrimSpace(cleanText(d.UserCode))
	d.VerificationURI = cleanText(d.VerificationURI)
	d.VerificationURIComplete = cleanText(d.VerificationURIComplete)
	if d.DeviceCode == "" || d.UserCode == "" || d.VerificationURI == "" {
		return DeviceCode{}, "", failf(errInvalid, "%s: the device authorization endpoint %s answered without a device code, user code or verification URI: check the URI", app.ProviderName, app.DeviceAuthorizationURI)
	}
	// The person is sent to this page with a code: only a web page (https, or this machine).
	if err := checkEndpointURL(d.VerificationURI); err != nil {
		return DeviceCode{}, "", failf(errInvalid, "%s: the provider's verification page is unusable: %v", app.ProviderName, err)
	}
	if d.VerificationURIComplete != "" && checkEndpointURL(d.VerificationURIComplete) != nil {
		d.VerificationURIComplete = "" // the plain page and the code still work
	}
	code := DeviceCode{UserCode: d.UserCode, VerificationURI: d.VerificationURI, VerificationURIComplete: d.VerificationURIComplete,
		ExpiresAt: now.Add(defaultDeviceCodeLifetime), Interval: defaultDeviceInterval}
	if n, err := d.ExpiresIn.Int64(); err == nil && n > 0 {
		code.ExpiresAt = now.Add(time.Duration(n) * time.Second)
	}
	if n, err := d.Interval.Int64(); err == nil && n > 0 && n < 3600 {
		code.Interval = time.Duration(n) * time.Second
	}
	return code, d.DeviceCode, nil
}

// Poll is how PollDeviceToken waits: for at most Timeout (0: until the code expires), by
// Sleep (nil: the real clock), on the clock Now, logging to Log.
type Poll struct {
	Timeout time.Duration
	Sleep   func(ctx context.Context, d time.Duration) error
	Now     func() time.Time
	Log     *slog.Logger
}

// PollDeviceToken polls the token endpoint at the interval until the person approves or
// declines, the code expires, the wait times out or ctx is canceled (RFC 8628 section 3.4).
func PollDeviceToken(ctx context.Context, hc *http.Client, app *App, secret, deviceCode string, code DeviceCode, opts Poll) (*oauth2.Token, error) {
	conf := Config(app, secret, "")
	cc := &clientcredentials.Config{ClientID: conf.ClientID, ClientSecret: conf.ClientSecret, TokenURL: app.TokenURI,
		AuthStyle: conf.Endpoint.AuthStyle, EndpointParams: url.Values{
			"grant_type": {DeviceGrantURN}, "device_code": {deviceCode}, "client_id": {app.ClientID}}}
	pollCtx := context.WithValue(ctx, oauth2.HTTPClient, Client(hc))
	sleep := opts.Sleep
	if sleep == nil {
		sleep = sleepContext
	}
	deadline, timedOut := code.ExpiresAt, false
	if opts.Timeout > 0 && opts.Now().Add(opts.Timeout).Before(deadline) {
		deadline, timedOut = opts.Now().Add(opts.Timeout), true
	}
	interval, failures := code.Interval, 0
	for {
		if !opts.Now().Before(deadline) {
			if timedOut {
				return nil, failf(errTimeout, "%s: nobody approved the code %s within %s", app.ProviderName, code.UserCode, opts.Timeout).With(fail.WaitLongerFor(app.ProviderName))
			}
			return nil, failf(errTimeout, "%s: the code %s expired before anyone approved it: connect again", app.ProviderName, code.UserCode)
		}
		if err := sleep(ctx, interval); err != nil {
			return nil, failf(errCanceled, "%s: sign-in canceled", app.ProviderName)
		}
		tok, err := cc.Token(pollCtx)
		if err == nil {
			return tok, nil
		}
		if ctx.Err() != nil {
			return nil, failf(errCanceled, "%s: sign-in canceled", app.ProviderName)
		}
		if refused := RefusedRedirect(app, "device sign-in", "", err); refused != nil {
			return nil, refused // polling again would meet the same redirect
		}
		var re *oauth2.RetrieveError
		if !errors.As(err, &re) {
			if failures++; failures >= MaxDevicePollFailures {
				return nil, failf(errTransient, "%s: waiting for the approval failed: could not reach %s (%w): connect again", app.ProviderName, app.TokenURI, describeNetError(err))
			}
			continue
		}
		status := 0
		if re.Response != nil {
			status = re.Response.StatusCode
		}
		switch {
		case re.ErrorCode == "authorization_pending":
			failures = 0
			continue
		case re.ErrorCode == "slow_down":
			failures = 0
			interval = max(interval+slowDownStep, intervalFrom(re)) + slowDownMargin
			opts.Log.Debug("the provider asked to poll more slowly", "app", app.ProviderName, "interval", interval)
			continue
		case status >= 500 || status == http.StatusTooManyRequests:
			if failures++; failures >= MaxDevicePollFailures {
				return nil, TokenRequestError(app, "device sign-in", err)
			}
			continue
		}
		pe := ProviderErrorFrom(app, "device sign-in", re)
		switch re.ErrorCode {
		case "expired_token":
			pe.Kind = errTimeout
		case "invalid_client", "unauthorized_client":
			pe.Kind = errClientRejected
		}
		return nil, pe
	}
}

// intervalFrom reads the new interval some providers (GitHub) send with slow_down.
func intervalFrom(re *oauth2.RetrieveError) time.Duration {
	var j struct {
		Interval json.Number `json:"interval"`
	}
	n := int64(0)
	if json.Unmarshal(re.Body, &j) == nil {
		n, _ = j.Interval.Int64()
	} else if v, err := url.ParseQuery(string(re.Body)); err == nil {
		n, _ = strconv.ParseInt(v.Get("interval"), 10, 64)
	}
	if n <= 0 || n > 3600 {
		return 0
	}
	return time.Duration(n) * time.Second
}

func sleepContext(ctx context.Context, d time.Duration) error {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-ctx.Done():
		return ctx.Err()
	case <-t.C:
		return nil
	}
}
