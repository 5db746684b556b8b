package core

import (
	"io/fs"
	"os"
	"slices"
	"strings"
	"testing"

	"connectedapps/core/fail"
)

// registryTestNames are the apps' names, sorted (core/registry's tests have the same).
func registryTestNames(apps []App) []string {
	var names []string
	for _, a := range apps {
		names = append(names, a.ProviderName)
	}
	slices.Sort(names)
	return names
}

// registryTestMode is a file's permission bits.
func registryTestMode(t *testing.T, path string) fs.FileMode {
	t.Helper()
	fi, err := os.Stat(path)
	if err != nil {
		t.Fatal(err)
	}
	return fi.Mode().Perm()
}

// The discovery document and its error check are core/oauth's test helpers (discovery_test.go),
// for core's tests through Service; the fake provider is core/oauth/oauthtest.

const (
	tenantA = "72f988bf-86f1-41af-91ab-2d7cd011db47"
	tenantB = "9188040d-6c67-4c5b-b112-36a304b66dad"
)

func fullDiscoveryDoc(base string) ProviderMetadata {
	return ProviderMetadata{
		Issuer:                            base,
		AuthorizationEndpoint:             base + "/authorize",
		TokenEndpoint:                     base + "/token",
		UserinfoEndpoint:                  base + "/userinfo",
		JWKSURI:                           base + "/jwks",
		RevocationEndpoint:                base + "/revoke",
		IntrospectionEndpoint:             base + "/introspect",
		DeviceAuthorizationEndpoint:       base + "/device",
		ScopesSupported:                   []string{"openid", "email", "profile", "offline_access"},
		CodeChallengeMethodsSupported:     []string{"S256", "plain"},
		TokenEndpointAuthMethodsSupported: []string{"client_secret_basic", "client_secret_post", "none"},

		AuthorizationResponseIssParameterSupported: true,
	}
}

// assertDiscoveryError checks the one-line rule and that the message names the URL and says
// what was wrong.
func assertDiscoveryError(t *testing.T, err error, docURL string, want ...string) {
	t.Helper()
	if err == nil {
		t.Fatalf("Discover succeeded; want an error mentioning %q", want)
	}
	msg := err.Error()
	t.Log(msg)
	if strings.ContainsAny(msg, "\r\n") {
		t.Errorf("error is not one line: %q", msg)
	}
	if !strings.Contains(msg, docURL) {
		t.Errorf("error does not name the URL %q: %q", docURL, msg)
	}
	for _, w := range want {
		if !strings.Contains(msg, w) {
			t.Errorf("error does not say %q: %q", w, msg)
		}
	}
}

// wantRemedy checks that err asks for want among its next steps (the front ends word them).
func wantRemedy(t *testing.T, err error, want fail.Remedy) {
	t.Helper()
	if got := fail.Remedies(err); !slices.Contains(got, want) {
		t.Errorf("error %q asks for %+v; want %+v among them", err, got, want)
	}
}
