package oauth

import (
	"context"
	"encoding/json"
	"log/slog"
	"net/http"
	"strconv"
	"sync"
	"time"
)

// SignedInIdentity says who signed in, once tokens are in hand. With openid the ID token is
// required and verified (nonce "" skips the nonce check, for the device flow, which has none);
// without openid a userinfo-style endpoint is asked, as GitHub's https://api.github.com/user
// is the only way to learn who approved a GitHub app.
func SignedInIdentity(ctx context.Context, hc *http.Client, app *App, ts *TokenSet, nonce string, now func() time.Time, log *slog.Logger) (Identity, error) {
	pending, err := StartSignedInIdentity(ctx, hc, nil, app, ts, nonce, now, log)
	if err != nil {
		return Identity{}, err
	}
	return pending.Wait(), nil
}

// PendingIdentity is who signed in, with the userinfo call that completes it perhaps still
// running.
type PendingIdentity struct {
	subject      string // from the verified ID token
	subjectKnown bool   // false: only userinfo can tell (an app without openid)
	finish       func() Identity
}

// Subject names the account the tokens go under: the ID token's at once, or userinfo's once
// it answers. Userinfo never changes an ID token's subject (completeIdentity).
func (p PendingIdentity) Subject() string {
	if p.subjectKnown {
		return p.subject
	}
	return p.finish().Subject
}

// Wait gives the whole identity, once userinfo (if asked) has answered.
func (p PendingIdentity) Wait() Identity { return p.finish() }

// StartSignedInIdentity is SignedInIdentity with its userinfo call left running: every check
// (the ID token, its nonce) is done when it returns, and Wait waits for the userinfo answer,
// which only completes the identity shown and never decides anything. A sign-in stores its
// tokens meanwhile, under the ID token's subject. Cancelling ctx ends the call; Wait then
// gives what the ID token said. keys are those PrefetchIDTokenKeys started fetching (nil:
// fetch them now).
func StartSignedInIdentity(ctx context.Context, hc *http.Client, keys *IDTokenKeys, app *App, ts *TokenSet, nonce string, now func() time.Time, log *slog.Logger) (PendingIdentity, error) {
	if !app.UsesOpenID() {
		if app.UserinfoURI == "" {
			return PendingIdentity{subjectKnown: true, finish: func() Identity { return Identity{} }}, nil
		}
		return PendingIdentity{finish: inBackground(func() Identity { return userinfoIdentity(ctx, hc, app, ts, log) })}, nil
	}
	if ts.IDToken == "" {
		return PendingIdentity{}, failf(errInvalid, "%s: the provider sent no ID token although openid was asked for: check the scopes", app.ProviderName)
	}
	var id Identity
	var err error
	if keys == nil {
		id, err = VerifyIDToken(ctx, hc, app, ts.IDToken, nonce, now)
	} else {
		id, err = verifyWithKeys(ctx, keys, app, ts.IDToken, nonce, now)
	}
	if err != nil {
		return PendingIdentity{}, err
	}
	pending := PendingIdentity{subject: id.Subject, subjectKnown: true, finish: func() Identity { return id }}
	if id.Name == "" && id.Email == "" && app.UserinfoURI != "" {
		pending.finish = inBackground(func() Identity { return completeIdentity(ctx, hc, app, ts, id, log) })
	}
	return pending, nil
}

// inBackground starts f and returns its answer's wait, which may be called more than once.
func inBackground(f func() Identity) func() Identity {
	answer := make(chan Identity, 1)
	go func() { answer <- f() }()
	return sync.OnceValue(func() Identity { return <-answer })
}

// userinfoIdentity reads who holds the access token from the userinfo URI of an app without
// ID tokens. It is only shown to the person, never used to decide anything, so any failure
// leaves the identity empty rather than failing a sign-in that worked.
func userinfoIdentity(ctx context.Context, hc *http.Client, app *App, ts *TokenSet, log *slog.Logger) Identity {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, app.UserinfoURI, nil)
	if err != nil {
		return Identity{}
	}
	req.Header.Set("Authorization", ts.Type()+" "+ts.AccessToken)
	req.Header.Set("Accept", "application/json")
	raw, err := DoJSON(hc, app, "userinfo", req)
	if err != nil {
		log.Debug("userinfo after sign-in failed; no identity shown", "app", app.ProviderName, "error", err)
		return Identity{}
	}
	return identityFromUserinfo(raw)
}

// identityFromUserinfo reads OpenID userinfo claims and GitHub's /user shape alike (numeric
// id, login as the user name).
func identityFromUserinfo(raw json.RawMessage) Identity {
	var c struct {
		Sub               string          `json:"sub"`
		ID                json.RawMessage `json:"id"`
		Name              string          `json:"name"`
		PreferredUsername string          `json:"preferred_username"`
		Login             string          `json:"login"`
		Email             string          `json:"email"`
	}
	if json.Unmarshal(raw, &c) != nil {
		return Identity{}
	}
	id := CleanIdentity(Identity{Subject: c.Sub, Name: c.Name, Email: c.Email})
	if id.Subject == "" && len(c.ID) > 0 {
		var n json.Number
		var str string
		if json.Unmarshal(c.ID, &n) == nil {
			id.Subject = n.String()
		} else if json.Unmarshal(c.ID, &str) == nil {
			id.Subject = cleanText(str)
		}
	}
	for _, alt := range []string{cleanText(c.PreferredUsername), cleanText(c.Login)} {
		if id.Name == "" {
			id.Name = alt
		}
	}
	if _, err := strconv.ParseFloat(id.Name, 64); err == nil && id.Name == id.Subject {
		id.Name = "" // a bare number says nothing a person recognises
	}
	return id
}

// CleanIdentity strips control characters from what a provider says about who signed in.
func CleanIdentity(id Identity) Identity {
	return Identity{Issuer: cleanText(id.Issuer), Subject: cleanText(id.Subject), Name: cleanText(id.Name), Email: cleanText(id.Email)}
}

// completeIdentity fills name and email from userinfo when the ID token carries only the
// subject (many providers put profile claims there alone). Userinfo is trusted only for the
// same subject (OpenID Connect Core 5.3.2); any failure keeps what the ID token said.
func completeIdentity(ctx context.Context, hc *http.Client, app *App, ts *TokenSet, id Identity, log *slog.Logger) Identity {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, app.UserinfoURI, nil)
	if err != nil {
		return id
	}
	req.Header.Set("Authorization", ts.Type()+" "+ts.AccessToken)
	req.Header.Set("Accept", "application/json")
	raw, err := DoJSON(hc, app, "userinfo", req)
	if err != nil {
		log.Debug("userinfo after sign-in failed; showing the subject only", "app", app.ProviderName, "error", err)
		return id
	}
	var claims struct {
		Sub               string `json:"sub"`
		Name              string `json:"name"`
		PreferredUsername string `json:"preferred_username"`
		Email             string `json:"email"`
	}
	if json.Unmarshal(raw, &claims) != nil || cleanText(claims.Sub) != id.Subject {
		return id
	}
	id.Name, id.Email = cleanText(claims.Name), cleanText(claims.Email)
	if id.Name == "" {
		id.Name = cleanText(claims.PreferredUsername)
	}
	return id
}
