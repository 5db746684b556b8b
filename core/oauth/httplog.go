package oauth

import (
	"encoding/base64"
	"io"
	"log/slog"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"time"
	"unicode"
)

// sensitiveParams never reach a log in clear.
var sensitiveParams = []string{"code", "code_verifier", "state", "nonce", "client_secret", "refresh_token",
	"access_token", "id_token", "token", "password", "assertion", "device_code"}

// LoggingTransport logs each request's method, redacted URL, status and duration. Bodies
// and headers are never logged: they carry secrets.
type LoggingTransport struct {
	Base http.RoundTripper
	Log  *slog.Logger
}

func (t *LoggingTransport) RoundTrip(req *http.Request) (*http.Response, error) {
	base := t.Base
	if base == nil {
		base = http.DefaultTransport
	}
	start := time.Now()
	resp, err := base.RoundTrip(req)
	attrs := []any{"method", req.Method, "url", RedactURL(req.URL), "duration", time.Since(start).Round(time.Millisecond)}
	if err != nil {
		t.Log.Debug("http request failed", append(attrs, "error", RedactText(err.Error()))...)
		return resp, err
	}
	t.Log.Debug("http request", append(attrs, "status", resp.StatusCode)...)
	return resp, nil
}

// RedactURL hides user info, the values of sensitive query parameters and any fragment
// (implicit-flow answers carry tokens there). It works on the raw pairs, so a query that
// url.ParseQuery would reject (";" separators, bad escapes) is redacted all the same.
func RedactURL(u *url.URL) string {
	c := *u
	c.User = nil
	if c.RawQuery != "" {
		pairs := strings.FieldsFunc(c.RawQuery, func(r rune) bool { return r == '&' || r == ';' })
		for i, p := range pairs {
			k, _, hasValue := strings.Cut(p, "=")
			name, err := url.QueryUnescape(k)
			if err != nil {
				name = k
			}
			if hasValue && slices.Contains(sensitiveParams, name) {
				pairs[i] = k + "=REDACTED"
			}
		}
		c.RawQuery = strings.Join(pairs, "&")
	}
	if c.Fragment != "" || c.RawFragment != "" {
		c.Fragment, c.RawFragment = "REDACTED", ""
	}
	return c.String()
}

// RedactText redacts URLs inside an error message (url.Error quotes the URL it failed on).
// A quoted string is taken whole, as Go quoted it: its URL may hold spaces (a raw query
// keeps them), and its last characters may be quotes, parentheses or colons that belong to
// the URL, not to the sentence around it.
func RedactText(s string) string {
	var out []string
	for s = strings.TrimLeftFunc(s, unicode.IsSpace); s != ""; s = strings.TrimLeftFunc(s, unicode.IsSpace) {
		quoted := ""
		if q, err := strconv.QuotedPrefix(s); err == nil {
			if unq, err := strconv.Unquote(q); err == nil {
				if u, err := url.Parse(unq); err == nil && u.Scheme != "" && u.Host != "" {
					quoted, s = strconv.Quote(RedactURL(u)), s[len(q):]
				}
			}
		}
		end := strings.IndexFunc(s, unicode.IsSpace)
		if end < 0 {
			end = len(s)
		}
		out = append(out, quoted+redactWord(s[:end]))
		s = s[end:]
	}
	return strings.Join(out, " ")
}

// redactWord redacts a URL standing in plain text, without the punctuation around it.
func redactWord(f string) string {
	trimmed := strings.Trim(f, `"':,()`)
	if u, err := url.Parse(trimmed); err == nil && u.Scheme != "" && u.Host != "" {
		return strings.Replace(f, trimmed, RedactURL(u), 1)
	}
	return f
}

// sentSecrets lists the secrets a request carried: its sensitive form values (the code and
// verifier, a refresh or access token, the client secret), its Basic credentials and its
// bearer token. An answer that quotes the request back (a debugging proxy, a framework's
// error page, a careless provider) must not carry them into a message or the registry.
func sentSecrets(req *http.Request) []string {
	if req == nil {
		return nil
	}
	var out []string
	if user, pass, ok := req.BasicAuth(); ok {
		out = append(out, pass, user+":"+pass)
		if p, err := url.QueryUnescape(pass); err == nil {
			out = append(out, p)
		}
	}
	if _, cred, ok := strings.Cut(req.Header.Get("Authorization"), " "); ok && cred != "" {
		out = append(out, cred) // the whole Basic value, or the bearer token
	}
	if req.GetBody != nil {
		if body, err := req.GetBody(); err == nil {
			raw, _ := io.ReadAll(io.LimitReader(body, 1<<20))
			body.Close()
			if form, err := url.ParseQuery(string(raw)); err == nil {
				for _, k := range sensitiveParams {
					out = append(out, form[k]...)
				}
			}
		}
	}
	return out
}

// redactSecrets replaces each secret in text, as is, URL-encoded or base64-encoded.
func redactSecrets(text string, secrets []string) string {
	// Longest first, so a secret that holds another (the Basic value holds the password) goes whole.
	secrets = slices.Clone(secrets)
	slices.SortFunc(secrets, func(a, b string) int { return len(b) - len(a) })
	for _, s := range secrets {
		if len(s) < 4 { // too short to be a real secret; replacing it would mangle the text
			continue
		}
		for _, form := range []string{s, url.QueryEscape(s), base64.StdEncoding.EncodeToString([]byte(s)),
			base64.RawStdEncoding.EncodeToString([]byte(s)), base64.RawURLEncoding.EncodeToString([]byte(s))} {
			text = strings.ReplaceAll(text, form, "REDACTED")
		}
	}
	return text
}
