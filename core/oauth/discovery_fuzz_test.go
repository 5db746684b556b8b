package oauth

import (
	"bytes"
	"context"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"sync"
	"testing"
)

// FuzzDiscoveryURL turns fuzzed text into a discovery URL. Properties: a refusal is one line;
// an accepted URL gives a document URL and an issuer that are themselves acceptable endpoints,
// the document URL ends in the well-known path and the issuer carries no query or fragment;
// and the answer is a fixed point: the document URL given back yields the same two URLs.
func FuzzDiscoveryURL(f *testing.F) {
	f.Fuzz(func(t *testing.T, raw string) {
		docURL, issuer, err := DiscoveryURL(raw)
		if err != nil {
			fuzzOneLine(t, "DiscoveryURL error", err.Error())
			return
		}
		if err := checkEndpointURL(docURL); err != nil {
			t.Errorf("DiscoveryURL(%q) document URL %q is unusable: %v", raw, docURL, err)
		}
		if err := checkEndpointURL(issuer); err != nil {
			t.Errorf("DiscoveryURL(%q) issuer %q is unusable: %v", raw, issuer, err)
		}
		d, err := url.Parse(docURL)
		if err != nil || !strings.HasSuffix(d.Path, WellKnownSuffix) || d.Fragment != "" {
			t.Errorf("DiscoveryURL(%q) document URL %q is not a well-known URL without a fragment", raw, docURL)
		}
		if i, err := url.Parse(issuer); err != nil || i.RawQuery != "" || i.Fragment != "" || i.User != nil {
			t.Errorf("DiscoveryURL(%q) issuer %q carries more than scheme, host and path", raw, issuer)
		}
		docURL2, issuer2, err := DiscoveryURL(docURL)
		if err != nil || docURL2 != docURL || issuer2 != issuer {
			t.Errorf("DiscoveryURL(%q) = %q, %q; but DiscoveryURL(%q) = %q, %q, %v", raw, docURL, issuer, docURL, docURL2, issuer2, err)
		}
	})
}

// FuzzDiscover serves a fuzzed discovery document ("{base}" in it stands for the test server's
// URL) at a fuzzed issuer path and runs Discover against it. Properties: a refusal is one line
// naming the document's URL; an accepted document names both required endpoints, every
// endpoint it names is usable, its issuer is the one asked for (or a tenant template of it);
// and an app filled from it, as the form and the command line fill one, validates.
func FuzzDiscover(f *testing.F) {
	var mu sync.Mutex
	var body []byte
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if !strings.HasSuffix(r.URL.Path, WellKnownSuffix) {
			http.NotFound(w, r)
			return
		}
		mu.Lock()
		b := body
		mu.Unlock()
		w.Header().Set("Content-Type", "application/json")
		_, _ = w.Write(b)
	}))
	f.Cleanup(srv.Close)
	srvHost := strings.TrimPrefix(srv.URL, "http://")
	f.Fuzz(func(t *testing.T, issuerPath string, doc []byte) {
		raw := srv.URL + issuerPath
		docURL, derived, err := DiscoveryURL(raw)
		if err != nil {
			return // FuzzDiscoveryURL covers refused URLs
		}
		if d, err := url.Parse(docURL); err != nil || d.Host != srvHost {
			return // a path such as "@other.host" leaves the test server: no network here
		}
		mu.Lock()
		body = bytes.ReplaceAll(doc, []byte("{base}"), []byte(srv.URL))
		mu.Unlock()
		md, err := Discover(context.Background(), srv.Client(), raw, "")
		if err != nil {
			fuzzOneLine(t, "Discover error", err.Error())
			if !strings.Contains(err.Error(), docURL) {
				t.Errorf("Discover error %q does not name the document's URL %s", err, docURL)
			}
			return
		}
		if md.AuthorizationEndpoint == "" || md.TokenEndpoint == "" {
			t.Errorf("accepted a document without authorization or token endpoint: %+v", md)
		}
		for _, u := range []string{md.AuthorizationEndpoint, md.TokenEndpoint, md.UserinfoEndpoint, md.JWKSURI,
			md.RevocationEndpoint, md.IntrospectionEndpoint, md.DeviceAuthorizationEndpoint} {
			if u == "" {
				continue
			}
			if err := checkEndpointURL(u); err != nil {
				t.Errorf("accepted a document with an unusable endpoint: %v", err)
			}
		}
		if md.Issuer != derived && md.Issuer != derived+"/" && !tenantTemplateMatches(md.Issuer, derived) {
			t.Errorf("accepted issuer %q for a document fetched for issuer %q", md.Issuer, derived)
		}
		app := newApp("Fuzzed provider")
		app.ClientID = "client-id"
		app.ApplyMetadata(md, docURL)
		if err := app.Validate(); err != nil {
			t.Errorf("an app filled from an accepted discovery document does not validate: %v", err)
		}
	})
}
