package oauth

import (
	"encoding/json"
	"errors"
	"testing"
	"time"
)

func TestDeviceAuthorizationAnswers(t *testing.T) {
	app := &App{ProviderName: "P", DeviceAuthorizationURI: "https://p.example/device"}
	now := time.Date(2030, 1, 1, 0, 0, 0, 0, time.UTC)
	// Google's spelling and Microsoft's old string numbers.
	code, dc, err := parseDeviceAuth(app, json.RawMessage(`{"device_code":"d","user_code":"U","verification_url":"https://www.google.com/device","expires_in":"900","interval":"7"}`), now)
	if err != nil || dc != "d" || code.VerificationURI != "https://www.google.com/device" || !code.ExpiresAt.Equal(now.Add(15*time.Minute)) || code.Interval != 7*time.Second {
		t.Errorf("Google-style answer: %+v %q %v", code, dc, err)
	}
	// Defaults when expires_in and interval are missing; an unusable complete URI is dropped.
	code, _, err = parseDeviceAuth(app, json.RawMessage(`{"device_code":"d","user_code":"U","verification_uri":"https://p.example/a","verification_uri_complete":"javascript:alert(1)"}`), now)
	if err != nil || code.Interval != defaultDeviceInterval || !code.ExpiresAt.Equal(now.Add(defaultDeviceCodeLifetime)) || code.VerificationURIComplete != "" {
		t.Errorf("minimal answer: %+v %v", code, err)
	}
	for _, bad := range []string{``, `[]`, `{"user_code":"U","verification_uri":"https://p.example/a"}`,
		`{"device_code":"d","user_code":"U","verification_uri":"http://evil.example/a"}`} {
		if _, _, err := parseDeviceAuth(app, json.RawMessage(bad), now); !errors.Is(err, errInvalid) {
			t.Errorf("%s: err = %v", bad, err)
		}
	}
}
