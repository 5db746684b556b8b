// Package oauth is the protocol, stateless: every function takes what it needs, a context, the
// *http.Client, the app (core/app's document) and, where the client authenticates, its secret,
// and returns what the provider said. It never touches the registry or the secret store, so
// it is tested against a fake provider alone, and core's Service decides where tokens go.
//
// In it: discovery (OpenID Provider Configuration), the loopback catcher that receives the
// browser's answer (state, RFC 9207 iss, the peer's owner on Linux), the authorization code
// sign-in with PKCE and nonce, the device flow (RFC 8628), client credentials, ID-token
// verification (go-oidc) and who signed in, revocation (RFC 7009), userinfo, introspection
// (RFC 7662), the provider's error answers (ProviderError, with their kind), the HTTP client
// with its redirect policy (no secret follows a redirect) and the redacted request log.
//
// It imports core/app and core/fail and nothing else of core: not core/registry, not
// core/secret, not core itself.
package oauth
