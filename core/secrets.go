package core

import "connectedapps/core/secret"

// The keys an app's secrets are filed under in whichever secret.Store is in use. They are
// core's: the store keeps values by key and knows nothing of apps. Each account's tokens have
// their own key; legacyTokensKey is where an app's one set of tokens was kept before accounts
// (read, moved to the account's key and deleted; see accounts.go).
func clientSecretKey(appID string) string { return "app/" + appID + "/client_secret" }
func tokensKey(appID, accountID string) string {
	return "app/" + appID + "/accounts/" + accountID + "/tokens"
}
func legacyTokensKey(appID string) string { return "app/" + appID + "/tokens" }

// registrationTokenKey holds RFC 7592's registration access token of a client this program
// registered: what deletes the registration at the provider when the app is removed.
func registrationTokenKey(appID string) string { return "app/" + appID + "/registration_access_token" }

// The vault's sentinel errors are secret's very values, so errors.Is(err, core.ErrX) holds for
// what the vault returns and every front end that tests them keeps working. (ErrNotFound and
// ErrKeyringUnavailable are in errors.go with the other kinds.)
var (
	ErrVaultLocked     = secret.ErrVaultLocked
	ErrWrongPassphrase = secret.ErrWrongPassphrase
	ErrCorruptVault    = secret.ErrCorruptVault
	ErrShortPassphrase = secret.ErrShortPassphrase
)
