// Command floorconnect is the floor for the connect benchmark: the same steps as
// `connectedapps connect` with the same libraries (go-oidc, x/oauth2, go-keyring) and none
// of our code: discovery, a loopback listener, the browser started through $BROWSER, the
// callback, the code exchange with PKCE, the JWKS fetch and ID-token check with the nonce,
// and one keyring write.
//
//	floorconnect -issuer URL -client-id ID -scope "openid profile email offline_access"
package main

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"net"
	"net/http"
	"os"
	"os/exec"
	"strconv"
	"strings"
	"time"

	"github.com/coreos/go-oidc/v3/oidc"
	"github.com/zalando/go-keyring"
	"golang.org/x/oauth2"
)

func main() {
	issuer := flag.String("issuer", "", "the provider's issuer")
	clientID := flag.String("client-id", "", "the client ID")
	scope := flag.String("scope", "openid", "space-separated scopes")
	user := flag.String("keyring-user", "bench/floorconnect", "the keyring entry's user name (service: connectedapps)")
	flag.Parse()
	if err := connect(*issuer, *clientID, strings.Fields(*scope), *user); err != nil {
		fmt.Fprintln(os.Stderr, "floorconnect:", err)
		os.Exit(1)
	}
}

// phase prints the time since CA_T0 (the launcher's clock, in seconds since the epoch) when it
// is set, so where the time goes can be compared with connectedapps step by step
// (docs/PERFORMANCE.md); silent otherwise.
func phase(what string) {
	if t0, err := strconv.ParseFloat(os.Getenv("CA_T0"), 64); err == nil {
		fmt.Fprintf(os.Stderr, "T %s %.2f\n", what, float64(time.Now().UnixMicro())/1000-t0*1000)
	}
}

func connect(issuer, clientID string, scopes []string, user string) error {
	phase("main")
	defer phase("end")
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	provider, err := oidc.NewProvider(ctx, issuer)
	if err != nil {
		return err
	}
	phase("discovered")
	l, err := net.Listen("tcp4", "127.0.0.1:0")
	if err != nil {
		return err
	}
	conf := oauth2.Config{
		ClientID:    clientID,
		Endpoint:    provider.Endpoint(),
		RedirectURL: fmt.Sprintf("http://%s/callback", l.Addr()),
		Scopes:      scopes,
	}
	state, nonce, verifier := random(), random(), oauth2.GenerateVerifier()
	codes := make(chan string, 1)
	srv := &http.Server{ReadHeaderTimeout: 10 * time.Second, Handler: http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path != "/callback" || r.URL.Query().Get("state") != state || r.URL.Query().Get("code") == "" {
			http.Error(w, "bad callback", http.StatusBadRequest)
			return
		}
		fmt.Fprintln(w, "Signed in. You can close this tab.")
		select {
		case codes <- r.URL.Query().Get("code"):
		default:
		}
	})}
	go func() { _ = srv.Serve(l) }()
	defer srv.Close()

	link := conf.AuthCodeURL(state, oauth2.S256ChallengeOption(verifier), oidc.Nonce(nonce))
	browser := exec.Command(os.Getenv("BROWSER"), link)
	if err := browser.Start(); err != nil {
		return err
	}
	phase("browser-started")
	go func() { _ = browser.Wait() }()

	var code string
	select {
	case code = <-codes:
	case <-ctx.Done():
		return ctx.Err()
	}
	phase("callback")
	tok, err := conf.Exchange(ctx, code, oauth2.VerifierOption(verifier))
	if err != nil {
		return err
	}
	phase("exchanged")
	rawID, _ := tok.Extra("id_token").(string)
	idt, err := provider.Verifier(&oidc.Config{ClientID: clientID}).Verify(ctx, rawID)
	if err != nil {
		return err
	}
	if idt.Nonce != nonce {
		return errors.New("ID token nonce mismatch")
	}
	phase("verified")
	record, err := json.Marshal(map[string]any{
		"access_token": tok.AccessToken, "token_type": tok.TokenType, "refresh_token": tok.RefreshToken,
		"id_token": rawID, "expires_at": tok.Expiry.UTC(), "scopes": scopes,
	})
	if err != nil {
		return err
	}
	return keyring.Set("connectedapps", user, string(record))
}

func random() string {
	b := make([]byte, 32)
	_, _ = rand.Read(b)
	return hex.EncodeToString(b)
}
