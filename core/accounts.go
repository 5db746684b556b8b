package core

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strings"

	"connectedapps/core/fail"
	"connectedapps/internal/fsutil"
)

// An app holds accounts (core/app's Account): each its own tokens under tokensKey(app,
// account), its own refresh lock (accountLock), its own state. Two accounts of one app refresh
// at once without waiting for each other; only the one sign-in at a time (the connect lock,
// one loopback port) is per app.

// accountLock is the refresh lock of one account.
func (s *Service) accountLock(appID, accountID string) string {
	return s.lockPath(appID, "refresh-"+accountID)
}

// findAccount is the app name names and its account selector names (email, subject or ID;
// "" the default). The account is nil when the app has none and selector is "" (the callers
// say "not connected"); a selector naming no account is an error naming the ones there are.
func (s *Service) findAccount(name, selector string) (App, *Account, error) {
	app, err := s.Registry.Find(name)
	if err != nil {
		return App{}, nil, err
	}
	acct, err := accountOf(&app, selector)
	return app, acct, err
}

func accountOf(app *App, selector string) (*Account, error) {
	acct := app.FindAccount(selector)
	if acct == nil && selector != "" {
		var have []string
		for i := range app.Accounts {
			have = append(have, app.Accounts[i].Label())
		}
		known := "it has none yet"
		if len(have) > 0 {
			known = fmt.Sprintf("its accounts: %s", strings.Join(have, ", "))
		}
		return nil, Failf(ErrNotFound, "%s has no account %q (%s); sign in as that account to add it", app.ProviderName, CleanText(selector), known).With(fail.ReconnectApp(app.ProviderName))
	}
	return acct, nil
}

// SetDefaultAccount makes the account selector names the app's default: the one every
// command and program gets when it names none.
func (s *Service) SetDefaultAccount(name, selector string) (App, error) {
	if selector == "" {
		return App{}, Failf(ErrInvalid, "name the account to make the default (its email or subject)")
	}
	app, acct, err := s.findAccount(name, selector)
	if err != nil {
		return App{}, err
	}
	var saved App
	err = s.Registry.UpdateApp(app.ID, func(a *App) error {
		if a.FindAccount(acct.ID) == nil {
			return Failf(ErrNotFound, "%s: the account %s was disconnected meanwhile", app.ProviderName, acct.Label())
		}
		a.DefaultAccount = acct.ID
		saved = *a
		return nil
	})
	return saved, err
}

// readTokens is the one keyring read of the token path: the account's key, or for an account
// read from an apps.json of before accounts whose tokens were not moved yet, the old key.
func (s *Service) readTokens(app *App, acct *Account) (*TokenSet, error) {
	if acct == nil {
		return nil, Failf(ErrNotConnected, "%s is not connected", app.ProviderName).With(fail.ReconnectApp(app.ProviderName))
	}
	raw, err := s.Secrets.Get(tokensKey(app.ID, acct.ID))
	if errors.Is(err, ErrNotFound) && acct.LegacyTokens {
		raw, err = s.Secrets.Get(legacyTokensKey(app.ID))
	}
	if errors.Is(err, ErrNotFound) {
		return nil, Failf(ErrNotConnected, "%s%s is not connected", app.ProviderName, asAccount(app, acct)).With(fail.ReconnectApp(app.ProviderName))
	}
	if err != nil {
		return nil, err
	}
	var ts TokenSet
	if err := json.Unmarshal([]byte(raw), &ts); err != nil || ts.AccessToken == "" {
		return nil, Failf(ErrNeedsReauth, "%s: the stored tokens%s are unreadable", app.ProviderName, asAccount(app, acct)).With(fail.ReconnectApp(app.ProviderName))
	}
	return &ts, nil
}

// asAccount names the account in a message when the app has more than one.
func asAccount(app *App, acct *Account) string {
	if acct == nil || len(app.Accounts) < 2 {
		return ""
	}
	return fmt.Sprintf(" as %s", acct.Label())
}

// writeTokens stores the account's tokens under its key; for an account whose tokens were
// under the old key, that key is then deleted (the new value is written first, so a crash
// between the two loses nothing). Called under the account's refresh lock.
func (s *Service) writeTokens(app *App, acct *Account, ts *TokenSet) error {
	data, err := json.Marshal(ts)
	if err != nil {
		return err
	}
	if err := s.Secrets.Set(tokensKey(app.ID, acct.ID), string(data)); err != nil {
		return fmt.Errorf("%s: the new tokens could not be stored: %w", app.ProviderName, err)
	}
	crashPoint("account-tokens-written")
	if acct.LegacyTokens {
		s.dropLegacyTokens(app, acct)
	}
	return nil
}

// dropLegacyTokens deletes the old key once the account's own holds the tokens, and records
// that nothing is left there; a failure is logged (the old key is read only when the new one
// is missing, so a stale copy there is never used).
func (s *Service) dropLegacyTokens(app *App, acct *Account) {
	if err := s.Secrets.Delete(legacyTokensKey(app.ID)); err != nil {
		s.Log.Warn("the tokens were moved to the account's key, but the old key could not be deleted", "app", app.ProviderName, "error", err)
		return
	}
	crashPoint("legacy-tokens-deleted")
	if err := s.Registry.UpdateApp(app.ID, func(a *App) error {
		if x := a.FindAccount(acct.ID); x != nil {
			x.LegacyTokens = false
		}
		return nil
	}); err != nil {
		s.Log.Warn("the tokens were moved to the account's key, but the registry could not record it", "app", app.ProviderName, "error", err)
	}
	acct.LegacyTokens = false
}

// moveLegacyTokens moves an account's tokens from the old key to its own, under its refresh
// lock (so no refresh writes in between): write the new key, then delete the old. A lock
// held elsewhere or a keyring failure leaves it for the next time; the tokens stay readable
// from the old key meanwhile.
func (s *Service) moveLegacyTokens(app *App, acct *Account) {
	unlock, ok, err := fsutil.TryLockFile(s.accountLock(app.ID, acct.ID))
	if err != nil || !ok {
		return
	}
	defer unlock()
	saved, err := s.Registry.Find(app.ID)
	if err != nil {
		return
	}
	cur := saved.FindAccount(acct.ID)
	if cur == nil || !cur.LegacyTokens {
		return
	}
	if _, err := s.Secrets.Get(tokensKey(app.ID, acct.ID)); err == nil {
		s.dropLegacyTokens(&saved, cur) // written already (a crash, or a refresh before)
		return
	}
	ts, err := s.readTokens(&saved, cur)
	if err != nil {
		return
	}
	if err := s.writeTokens(&saved, cur, ts); err != nil {
		s.Log.Warn("the tokens could not be moved to the account's key; they stay under the old one", "app", app.ProviderName, "error", err)
	}
	acct.LegacyTokens = cur.LegacyTokens
}

// crashPoint marks a point between two writes of the move from the old key where the crash
// tests kill the process (fsutil.CrashPoint; nothing in production).
func crashPoint(name string) {
	if fsutil.CrashPoint != nil {
		fsutil.CrashPoint(name, "")
	}
}

// deleteAllTokens deletes every token key the app may hold: each account's and the old one.
func (s *Service) deleteAllTokens(app *App) error {
	for _, k := range tokenKeys(app) {
		if err := s.Secrets.Delete(k); err != nil {
			return err
		}
	}
	return nil
}

// tokenKeys are the keys app's tokens may be under.
func tokenKeys(app *App) []string {
	keys := []string{legacyTokensKey(app.ID)}
	for i := range app.Accounts {
		keys = append(keys, tokensKey(app.ID, app.Accounts[i].ID))
	}
	return keys
}

// lockAccounts takes the refresh lock of every account of app (in their order, which is the
// same in every process), so nothing is refreshed while the app's tokens are dropped.
func (s *Service) lockAccounts(ctx context.Context, app *App) (func(), error) {
	var unlocks []func()
	release := func() {
		for i := len(unlocks) - 1; i >= 0; i-- {
			unlocks[i]()
		}
	}
	for i := range app.Accounts {
		u, err := lockFile(ctx, s.accountLock(app.ID, app.Accounts[i].ID), lockWait)
		if err != nil {
			release()
			return nil, err
		}
		unlocks = append(unlocks, u)
	}
	return release, nil
}
