package cli

const appFlagsHelp = `  --discovery URL          issuer or its /.well-known/openid-configuration; fills the endpoints
  --issuer URL             expected issuer (when the document advertises another, or without discovery)
  --jwks-url URL           JWKS URI, to verify ID tokens without discovery
  --client-id ID           the client ID from the provider
  --client-secret-stdin    read the client secret from stdin (never from the command line)
  --scope S                a scope; repeat it, or give several separated by spaces
  --param KEY=VALUE        extra authorization parameter, e.g. access_type=offline; repeatable
  --auth-url U  --token-url U  --revocation-url U  --userinfo-url U  --introspection-url U  --device-url U
  --redirect-host H        127.0.0.1 (default), localhost (both IPv4 and IPv6) or [::1]
  --redirect-port N        default 8765; 0 = any free port, for providers that accept any loopback port
  --auth-method M          auto (default), client_secret_basic, client_secret_post or none
  --no-pkce                turn PKCE off (only for providers that reject it)
`

var helpTopics = map[string]string{
	"add": `connectedapps add NAME [flags]
Register an app. NAME is how every other command refers to it (case does not matter).
` + appFlagsHelp + `Example:
  printf %s "$SECRET" | connectedapps add Google --discovery https://accounts.google.com \
      --client-id ID --client-secret-stdin --scope "openid email" --param access_type=offline --param prompt=consent
`,
	"edit": `connectedapps edit NAME [flags] [--rename NEW]
Change an app. Only the flags given change anything; --scope and --param replace their lists.
A new client ID, token URI or issuer revokes and deletes the tokens; new scopes keep them until you connect again.
` + appFlagsHelp + `  --pkce                   turn PKCE back on
`,
	"list": `connectedapps list [--json]
Every app with its connection state and token expiry. Never reads the keyring.
`,
	"show": `connectedapps show NAME [--json]
The app's document, its redirect URI and connection state. Never prints a secret.
`,
	"remove": `connectedapps remove NAME [--local-only]
Revoke the tokens at the provider (unless --local-only), then delete the app and its secrets.
`,
	"discover": `connectedapps discover URL [--issuer URL]
Print the provider's discovered endpoints as JSON.
`,
	"connect": `connectedapps connect NAME [--timeout 5m] [--no-browser]
Open the browser to sign in, catch the redirect on this machine, and keep the tokens in the keyring.
  --no-browser   print the link instead, and accept the final redirected URL pasted on stdin
                 (for a browser on another machine)
`,
	"token": `connectedapps token NAME [--format bare|header|json] [--min-valid 60s] [--id-token]
Print a valid access token, refreshing it first when it expires within --min-valid
(capped at half the token's lifetime when the provider never grants that much).
  --format header  prints "Authorization: Bearer TOKEN"
  --format json    prints {access_token, token_type, expires_at, expires_in, scopes}
Exit 3: sign in again (or fix the client); exit 4: temporary failure, try again.
`,
	"refresh": `connectedapps refresh NAME
Refresh the tokens now.
`,
	"userinfo": `connectedapps userinfo NAME
Call the userinfo endpoint with the access token and print its answer.
`,
	"introspect": `connectedapps introspect NAME
Ask the introspection endpoint (RFC 7662) about the access token and print its answer.
`,
	"disconnect": `connectedapps disconnect NAME [--local-only]
Revoke the grant at the provider, then delete the tokens here. If revocation fails nothing is deleted;
--local-only forgets the tokens here without telling the provider.
`,
}
