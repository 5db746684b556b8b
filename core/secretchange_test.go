package core

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"testing"
)

// An edit keeps, replaces or clears the client secret as its SecretChange says, and the
// zero value keeps it: an edit that says nothing about the secret never loses it.
func TestEditKeepsSetsOrClearsTheSecret(t *testing.T) {
	f := newFixture(t, fixtureOpts{realTime: true})
	svc, mem := f.svc, f.mem
	a := NewApp("Secretive")
	a.ClientID, a.AuthorizationURI, a.TokenURI = "c", "https://idp.example/auth", "https://idp.example/token"
	first := "first-secret"
	added, err := svc.Add(a, &first)
	if err != nil {
		t.Fatal(err)
	}
	stored := func() (string, bool) {
		t.Helper()
		got, _ := svc.Get(added.ID)
		v, err := mem.Get(clientSecretKey(added.ID))
		if errors.Is(err, ErrNotFound) {
			v = ""
		} else if err != nil {
			t.Fatal(err)
		}
		return v, got.HasClientSecret
	}
	rename := func(n string) func(*App) error { return func(a *App) error { a.ProviderName = n; return nil } }
	for _, step := range []struct {
		change SecretChange
		want   string
	}{
		{SecretChange{}, "first-secret"},
		{KeepSecret(), "first-secret"},
		{SetSecret("second-secret"), "second-secret"},
		{ClearSecret(), ""},
		{SetSecret("third-secret"), "third-secret"},
		{SetSecret(""), ""}, // an empty secret is none
	} {
		if _, err := svc.Edit(context.Background(), added.ID, rename("Secretive "+step.change.String()), step.change); err != nil {
			t.Fatalf("%v: %v", step.change, err)
		}
		if v, has := stored(); v != step.want || has != (step.want != "") {
			t.Errorf("after %v: secret %q (has_client_secret %v); want %q", step.change, v, has, step.want)
		}
	}
	for _, format := range []string{"%v", "%+v", "%#v", "%s"} {
		if out := fmt.Sprintf(format, SetSecret("never-printed")); strings.Contains(out, "never-printed") {
			t.Errorf("%s prints the secret: %s", format, out)
		}
	}
}
