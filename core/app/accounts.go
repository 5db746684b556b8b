package app

import (
	"crypto/sha256"
	"encoding/hex"
	"slices"
	"strings"
	"time"
)

// Account is one person's sign-in to an app: its connection facts (the Connection type, so a
// field added there is every account's) under an ID that names its tokens and its refresh lock.
type Account struct {
	ID string `json:"id"`
	Connection
	// LegacyTokens: this account was read from an apps.json of before accounts, and its
	// tokens may still be under the app's old single key; core moves them (write the new
	// key, then delete the old) and clears this.
	LegacyTokens bool `json:"legacy_tokens,omitempty"`
}

// AnonymousAccount is the ID of the one account of an app whose sign-in names nobody (no
// ID token, no userinfo): signing in again replaces it.
const AnonymousAccount = "default"

// AccountIDFor is the ID of the account a verified subject signs in as: the same subject
// always gets the same ID, so signing in again updates that account, and a crash between
// moving tokens and recording it finds them again. "" is AnonymousAccount.
func AccountIDFor(subject string) string {
	if subject == "" {
		return AnonymousAccount
	}
	sum := sha256.Sum256([]byte(subject))
	return hex.EncodeToString(sum[:8])
}

// Label is how a person names the account: its email, else its name, else its subject.
func (a *Account) Label() string {
	switch {
	case a.Email != "":
		return a.Email
	case a.Name != "":
		return a.Name
	case a.Subject != "":
		return a.Subject
	}
	return a.ID
}

// Matches says selector names this account: its ID, its subject, or its email (any case).
func (a *Account) Matches(selector string) bool {
	return selector == a.ID || (a.Subject != "" && selector == a.Subject) ||
		(a.Email != "" && strings.EqualFold(selector, a.Email))
}

// StateAt is the state as a person sees it at now: "expired" once the access token has run out.
func (c *Connection) StateAt(now time.Time) ConnectionState {
	if c == nil || c.State == "" {
		return StateNotConnected
	}
	if c.State == StateConnected && c.ExpiresAt != nil && !now.Before(*c.ExpiresAt) {
		return StateExpired
	}
	return c.State
}

// Default is the default account (nil: none): the one named DefaultAccount, else the first.
// A value receiver, like Connection's, so a document returned by a call can be asked
// directly; the account is the document's own (the slice is shared), not a copy.
func (a App) Default() *Account {
	for i := range a.Accounts {
		if a.Accounts[i].ID == a.DefaultAccount {
			return &a.Accounts[i]
		}
	}
	if len(a.Accounts) > 0 {
		return &a.Accounts[0]
	}
	return nil
}

// Connection is the default account's connection (nil: never connected).
func (a App) Connection() *Connection {
	if d := a.Default(); d != nil {
		return &d.Connection
	}
	return nil
}

// FindAccount is the account selector names (ID, subject or email; "" the default), or nil.
func (a *App) FindAccount(selector string) *Account {
	if selector == "" {
		return a.Default()
	}
	for i := range a.Accounts {
		if a.Accounts[i].ID == selector || a.Accounts[i].Subject == selector {
			return &a.Accounts[i]
		}
	}
	for i := range a.Accounts { // an email last: a subject may look like one
		if a.Accounts[i].Matches(selector) {
			return &a.Accounts[i]
		}
	}
	return nil
}

// PutAccount adds acct, or replaces the account with its ID; the first account is the default.
// A copy of the document made before keeps its accounts as they were (the list is new).
func (a *App) PutAccount(acct Account) {
	a.Accounts = slices.Clone(a.Accounts)
	if i := slices.IndexFunc(a.Accounts, func(x Account) bool { return x.ID == acct.ID }); i >= 0 {
		a.Accounts[i] = acct
	} else {
		a.Accounts = append(a.Accounts, acct)
	}
	if !a.hasAccount(a.DefaultAccount) {
		a.DefaultAccount = a.Accounts[0].ID
	}
}

// DropAccount removes the account with id; the default passes to the first one left.
func (a *App) DropAccount(id string) {
	a.Accounts = slices.DeleteFunc(slices.Clone(a.Accounts), func(x Account) bool { return x.ID == id })
	if len(a.Accounts) == 0 {
		a.Accounts, a.DefaultAccount = nil, ""
	} else if !a.hasAccount(a.DefaultAccount) {
		a.DefaultAccount = a.Accounts[0].ID
	}
}

func (a *App) hasAccount(id string) bool {
	return slices.ContainsFunc(a.Accounts, func(x Account) bool { return x.ID == id })
}

// SetConnection sets the default account's connection (made, identified by c's subject, if
// the app has none); nil forgets every account.
func (a *App) SetConnection(c *Connection) {
	if c == nil {
		a.Accounts, a.DefaultAccount = nil, ""
		return
	}
	acct := Account{ID: AccountIDFor(c.Subject)}
	if d := a.Default(); d != nil {
		acct = *d
	}
	acct.Connection = *c
	a.PutAccount(acct)
}

// UpgradeLegacy reads the connection of an apps.json of before accounts as one account (its
// tokens marked as still under the old key), so nothing written then is lost; the registry
// calls it on every document it reads, and LegacyConnection is never written again.
func (a *App) UpgradeLegacy() {
	c := a.LegacyConnection
	a.LegacyConnection = nil
	if c == nil || len(a.Accounts) > 0 {
		return
	}
	a.Accounts = []Account{{ID: AccountIDFor(c.Subject), Connection: *c, LegacyTokens: true}}
	a.DefaultAccount = a.Accounts[0].ID
}

// SelectAccountParams is what the sign-in link adds to sign in another account (the preset's
// way, else prompt=select_account).
func (a *App) SelectAccountParams() []QueryParameter { return SelectAccountFor(a.Preset) }
