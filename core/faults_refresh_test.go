package core

import (
	"context"
	"errors"
	"io"
	"net/http"
	"strings"
	"testing"
	"time"

	"connectedapps/core/oauth/oauthtest"
)

// Refresh answers that are not OAuth answers at all (TestServiceTokenTransient,
// TestServiceTokenInvalidGrant and TestServiceTokenClientRejected cover the OAuth ones and the
// unreachable endpoint). The tokens and the connection stay as they were, and the message says
// what the endpoint did rather than that it could not be reached.
func TestRefreshAnswerThatIsNotOAuth(t *testing.T) {
	cases := []struct {
		name    string
		respond func(w http.ResponseWriter, n int, _ oauthtest.Request)
		kind    error
		want    []string
	}{
		{"200 that is not JSON", func(w http.ResponseWriter, n int, _ oauthtest.Request) {
			w.Header().Set("Content-Type", "text/html")
			io.WriteString(w, "<html><body>Sign in to the Wi-Fi</body></html>")
		}, ErrTransient, []string{"answered with something that is not a token", "check the token URI", "every token was kept"}},
		{"200 JSON without an access token", func(w http.ResponseWriter, n int, _ oauthtest.Request) {
			oauthtest.JSON(w, http.StatusOK, map[string]any{"token_type": "Bearer", "expires_in": 3600})
		}, ErrTransient, []string{"missing access_token", "check the token URI", "every token was kept"}},
		{"400 that is not JSON", func(w http.ResponseWriter, n int, _ oauthtest.Request) {
			w.Header().Set("Content-Type", "text/html")
			w.WriteHeader(http.StatusBadRequest)
			io.WriteString(w, "<html><body>Bad Request</body></html>")
		}, nil, []string{`"HTTP 400"`, "Bad Request", "check the token URI"}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			te := newTokEndpoint(t, c.respond)
			now := time.Now().UTC().Truncate(time.Second)
			f := newTokFixture(t, te.At("/token"), te.Client(), AuthMethodAuto, tokClientSecret, tokSet(now, 10*time.Second, tokOldRefresh))
			before := f.storedRaw(t)
			_, err := f.svc.Token(context.Background(), f.app.ProviderName, DefaultMinValid)
			fltAssertMessage(t, err, append([]string{f.app.ProviderName, "refresh failed"}, c.want...)...)
			if strings.Contains(err.Error(), "could not reach") {
				t.Errorf("the endpoint was reached, yet the message says it was not: %q", err)
			}
			if c.kind != nil && !errors.Is(err, c.kind) {
				t.Errorf("error %v is not %v", err, c.kind)
			}
			if errors.Is(err, ErrNeedsReauth) || errors.Is(err, ErrClientRejected) {
				t.Errorf("error %v claims a permanent kind", err)
			}
			tokNoSecrets(t, err)
			if f.storedRaw(t) != before {
				t.Error("the tokens changed")
			}
			if conn := f.connection(t); conn.State != StateConnected || conn.LastError != "" {
				t.Errorf("the connection changed: %+v", conn)
			}
		})
	}
}
